/* The TF / TF-Slim library: namespaces (tensorflow, tf_slim, tf.contrib.*, ...), the
 * prefix-free globals of LANGUAGE.md, and the model hooks that give each model a fresh
 * graph and turn its result into outputs and a restore map. */
#include <stdlib.h>
#include <string.h>
#include "tf/tf_internal.h"

TfLib *tf_lib(Eval *ev) { return eval_hooks_ud(ev); }

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

static int cmp_restore(const void *a, const void *b) {
  return strcmp(((const GRestore *)a)->key, ((const GRestore *)b)->key);
}

static void mark_live(GNode *n, char *seen) {
  if (seen[n->id]) return;
  seen[n->id] = 1;
  for (int i = 0; i < n->nin; i++) mark_live(n->in[i], seen);
}

static bool has_key(TfTensor *tt, const char *key) {
  for (int i = 0; i < tt->collections.n; i++)
    if (!strcmp(tt->collections.items[i], key)) return true;
  return false;
}

/* The restore map: restore(mapping) if given; else every global variable an output needs,
   by its own name (or its EMA shadow with --restore-ema for model variables). */
static int build_restore(TfLib *t, Span sp) {
  Eval *ev = t->ev;
  Graph *g = t->graph;
  PtrVec keys = {0}, vars = {0};
  Value *m = t->restore_override;
  if (m && m->kind == V_DICT) {
    Value *k, *v;
    for (int i = 0; dict_next(m->u.dict, &i, &k, &v);) {
      ptrvec_push(t->arena, &keys, (void *)k->u.str.s);
      ptrvec_push(t->arena, &vars, tf_tensor_of(v)->var);
    }
  } else if (m) {
    for (int i = 0; i < m->u.list.n; i++) {
      GVar *gv = tf_tensor_of(m->u.list.items[i])->var;
      ptrvec_push(t->arena, &keys, (void *)gv->name);
      ptrvec_push(t->arena, &vars, gv);
    }
  } else {
    char *seen = calloc(g->nodes.n + 1, 1);
    for (int i = 0; i < g->noutputs; i++) mark_live(g->outputs[i].node, seen);
    for (int i = 0; i + 1 < t->restore_pins.n; i += 2) {
      GNode *user = t->restore_pins.items[i], *var = t->restore_pins.items[i + 1];
      if (seen[user->id]) mark_live(var, seen);
    }
    for (int i = 0; i < g->vars.n; i++) {
      GVar *gv = g->vars.items[i];
      if (!gv->is_global || !gv->node || !seen[gv->node->id]) continue;
      TfTensor *tt = tf_tensor_of(tf_wrap_var(t, gv));
      bool shadow = t->restore_ema && tt && has_key(tt, "model_variables");
      ptrvec_push(t->arena, &keys, shadow ? arena_printf(t->arena, "%s/ExponentialMovingAverage", gv->name) : (void *)gv->name);
      ptrvec_push(t->arena, &vars, gv);
    }
    free(seen);
  }
  g->nrestore = keys.n;
  g->restore = arena_alloc(t->arena, sizeof(GRestore) * (keys.n ? keys.n : 1));
  for (int i = 0; i < keys.n; i++) g->restore[i] = (GRestore){keys.items[i], vars.items[i]};
  qsort(g->restore, g->nrestore, sizeof(GRestore), cmp_restore);
  for (int i = 1; i < g->nrestore; i++)
    if (!strcmp(g->restore[i].key, g->restore[i - 1].key)) {
      eval_error(ev, sp, "E0773", "At least two variables have the same name: %s", g->restore[i].key);
      return -1;
    }
  return 0;
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
  return build_restore(t, t->restore_override ? t->model_span : sp);
}

void tf_set_restore_ema(TfLib *t, bool on) {
  if (t) t->restore_ema = on;
}

Graph *tf_graph(TfLib *t) { return t ? t->graph : NULL; }

static const char *const graph_keys[][2] = {
    {"GLOBAL_VARIABLES", "variables"}, {"VARIABLES", "variables"}, {"LOCAL_VARIABLES", "local_variables"},
    {"MODEL_VARIABLES", "model_variables"}, {"TRAINABLE_VARIABLES", "trainable_variables"},
    {"MOVING_AVERAGE_VARIABLES", "moving_average_variables"}, {"REGULARIZATION_LOSSES", "regularization_losses"},
    {"UPDATE_OPS", "update_ops"}, {"SAVEABLE_OBJECTS", "saveable_objects"}, {"GLOBAL_STEP", "global_step"},
    {"ACTIVATIONS", "activations"}, {"LOSSES", "losses"}, {"SUMMARIES", "summaries"}, {"INIT_OP", "init_op"}};

/* slim re-exports these from tf.contrib.layers; tf_ops.c registers them on tf */
static const char *const slim_from_tf[] = {
    "l1_regularizer", "l2_regularizer", "l1_l2_regularizer", "sum_regularizer", "xavier_initializer",
    "xavier_initializer_conv2d", "variance_scaling_initializer", "apply_regularization"};

static void set_globals_from(Eval *ev, Value *ns) {
  Value *k, *v;
  for (int i = 0; dict_next(ns->u.ns->attrs, &i, &k, &v);)
    if (k->kind == V_STR && !eval_get_global(ev, k->u.str.s)) eval_set_global(ev, k->u.str.s, v);
}

TfLib *tf_install(Eval *ev) {
  if (!ev) return NULL;
  Arena *a = eval_arena(ev);
  TfLib *t = arena_alloc(a, sizeof *t);
  t->ev = ev;
  t->arena = a;
  EvalHooks h = {t, hook_begin, hook_input, hook_end};
  eval_set_hooks(ev, &h);
  reset(t, "");

  Value *tf = val_namespace(ev, "tensorflow"), *nn = val_namespace(ev, "tensorflow.nn"),
        *math = val_namespace(ev, "tensorflow.math"), *train = val_namespace(ev, "tensorflow.train"),
        *keys = val_namespace(ev, "tensorflow.GraphKeys"), *compat = val_namespace(ev, "tensorflow.compat"),
        *contrib = val_namespace(ev, "tensorflow.contrib"), *slim = val_namespace(ev, "tf_slim"),
        *utils = val_namespace(ev, "tf_slim.utils");
  for (size_t i = 0; i < sizeof graph_keys / sizeof *graph_keys; i++)
    ns_set(ev, keys, graph_keys[i][0], val_str(ev, graph_keys[i][1]));
  ns_set(ev, tf, "nn", nn);
  ns_set(ev, tf, "math", math);
  ns_set(ev, tf, "train", train);
  ns_set(ev, tf, "GraphKeys", keys);
  ns_set(ev, tf, "compat", compat);
  ns_set(ev, tf, "contrib", contrib);
  ns_set(ev, compat, "v1", tf);
  ns_set(ev, contrib, "slim", slim);
  ns_set(ev, contrib, "layers", slim);
  ns_set(ev, contrib, "framework", slim);
  ns_set(ev, slim, "utils", utils);

  tf_ops_register(t, tf, nn, math);
  tf_ops_register_slim(t, slim); /* slim's own xavier / variance_scaling (factor, mode, uniform) */
  tf_scope_register(t, tf);
  tf_vars_register(t, tf, slim, train);
  tf_argscope_register(t, slim);
  tf_layers_register(t, slim, utils);
  tf_ema_register(t, train);
  tf_image_register(t);
  for (size_t i = 0; i < sizeof slim_from_tf / sizeof *slim_from_tf; i++) {
    Value *v = ns_get(tf, slim_from_tf[i]);
    if (v && !ns_get(slim, slim_from_tf[i])) ns_set(ev, slim, slim_from_tf[i], v);
  }
  ns_set(ev, slim, "get_or_create_global_step", ns_get(train, "get_or_create_global_step"));

  eval_register_module(ev, "tensorflow", tf);
  eval_register_module(ev, "tensorflow.compat", compat);
  eval_register_module(ev, "tensorflow.compat.v1", tf);
  eval_register_module(ev, "tensorflow.nn", nn);
  eval_register_module(ev, "tensorflow.contrib", contrib);
  eval_register_module(ev, "tensorflow.contrib.slim", slim);
  eval_register_module(ev, "tensorflow.contrib.layers", slim);
  eval_register_module(ev, "tensorflow.contrib.framework", slim);
  eval_register_module(ev, "tf_slim", slim);
  eval_register_module(ev, "tf_slim.utils", utils);
  pymod_install_tf(ev, tf, contrib); /* pymod: tf.logging, tf.contrib.training, tf.test */

  /* prefix-free spellings: slim first, then tf; never shadow a Python builtin */
  set_globals_from(ev, slim);
  set_globals_from(ev, tf);
  if (!eval_get_global(ev, "nn")) eval_set_global(ev, "nn", nn);
  return t;
}
