/* The model hooks: each model gets a fresh graph and fresh TF state; its inputs become
 * INPUT nodes; its result becomes the graph's outputs, then the restore map is built
 * (tf_ema.c). tf_model_register installs them into the Eval. */
#include <string.h>
#include "tf/tf_lib.h"

/* Fresh graph state: names, scopes, store, collections, arg scopes. */
static void reset(TfLib *t, const char *model) {
  t->graph = graph_new(t->arena, model);
  tf_scope_reset(t);
  tf_vars_reset(t);
  t->arg_scopes = (PtrVec){0};
  t->argscope_srcs = (PtrVec){0};
  t->node_values = (PtrVec){0};
  t->restore_override = NULL;
  t->restore_pins = (PtrVec){0};
  t->model_result = NULL;
}

static int hook_begin(Eval *ev, const char *name, Span sp) {
  TfLib *t = tf_lib(ev);
  reset(t, name);
  t->model_span = sp;
  return 0;
}

static int input_dtype(const char *s) {
  static const struct { const char *a, *b; } alias[] = {
      {"f16", "float16"}, {"bf16", "bfloat16"}, {"f32", "float32"}, {"f64", "float64"}, {"i8", "int8"},
      {"i16", "int16"}, {"i32", "int32"}, {"i64", "int64"}, {"u8", "uint8"}, {"bool", "bool"}};
  for (size_t i = 0; i < sizeof alias / sizeof *alias; i++)
    if (!strcmp(s, alias[i].a)) return slimrt_dtype_from_name(alias[i].b);
  return slimrt_dtype_from_name(s);
}

static Value *hook_input(Eval *ev, const char *name, const char *dtype, const int64_t *dims, int ndims, Span sp) {
  TfLib *t = tf_lib(ev);
  GShape s = {0};
  s.dtype = input_dtype(dtype);
  if (s.dtype <= 0) return eval_error(ev, sp, "E0770", "unknown dtype '%s' for input '%s'", dtype, name);
  if (ndims > SLIMRT_MAX_RANK)
    return eval_error(ev, sp, "E0771", "input '%s' has rank %d; at most %d is supported", name, ndims, SLIMRT_MAX_RANK);
  s.rank = ndims;
  for (int i = 0; i < ndims; i++) s.dims[i] = dims[i];
  GNode *n = graph_input(t->graph, tf_unique_name(t, name), s, sp);
  if (!n) return eval_error(ev, sp, "E0777", "cannot create input '%s'", name);
  return tf_wrap(t, n);
}

static int hook_end(Eval *ev, Value *result, Span sp) {
  TfLib *t = tf_lib(ev);
  Graph *g = t->graph;
  t->model_result = result;
  int n = 0;
  Value **vals = NULL;
  const char **names = NULL;
  if (tf_tensor_of(result)) {
    n = 1;
    vals = &result;
    names = arena_alloc(t->arena, sizeof(char *));
    names[0] = "output";
  } else if (result->kind == V_TUPLE || result->kind == V_LIST) {
    n = result->u.list.n;
    vals = result->u.list.items;
    names = arena_alloc(t->arena, sizeof(char *) * (n ? n : 1));
    for (int i = 0; i < n; i++) names[i] = arena_printf(t->arena, "output_%d", i);
  } else if (result->kind == V_DICT) {
    n = dict_len(result->u.dict);
    vals = arena_alloc(t->arena, sizeof(Value *) * (n ? n : 1));
    names = arena_alloc(t->arena, sizeof(char *) * (n ? n : 1));
    Value *k, *v;
    int j = 0;
    for (int i = 0; dict_next(result->u.dict, &i, &k, &v); j++) {
      if (k->kind != V_STR) {
        eval_error(ev, sp, "E0774", "model output names must be strings, got %s", val_type_name(k));
        return -1;
      }
      if (!eval_str_nul_free(ev, k, sp, "model output name")) return -1;
      names[j] = k->u.str.s;
      vals[j] = v;
    }
  } else {
    eval_error(ev, sp, "E0775", "a model must return a tensor, a tuple of tensors or a dict of tensors, got %s",
               val_type_name(result));
    return -1;
  }
  if (!n) {
    eval_error(ev, sp, "E0775", "the model returns no outputs");
    return -1;
  }
  g->outputs = arena_alloc(t->arena, sizeof(GOutput) * n);
  g->noutputs = n;
  for (int i = 0; i < n; i++) {
    TfTensor *tt = tf_tensor_of(vals[i]);
    if (!tt) {
      eval_error(ev, sp, "E0776", "model output '%s' is not a tensor (got %s)", names[i], val_type_name(vals[i]));
      return -1;
    }
    g->outputs[i] = (GOutput){names[i], tt->node};
  }
  return tf_restore_map(t, t->restore_override ? t->model_span : sp);
}

void tf_model_register(TfLib *t) {
  EvalHooks h = {t, hook_begin, hook_input, hook_end};
  eval_set_hooks(t->ev, &h);
  reset(t, "");
}
