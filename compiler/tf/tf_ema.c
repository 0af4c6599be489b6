/* tf.train.ExponentialMovingAverage (tf-slim-reference.md §8) and restore(mapping):
 * shadow variables named <variable op name>/<ema name> relative to the variable scope
 * at apply() time, and the checkpoint-key maps built from them; the model's restore map
 * (tf_restore_map, at the model's end). */
#include <stdlib.h>
#include <string.h>
#include "tf/tf_lib.h"

typedef struct Ema {
  double decay;
  Value *num_updates;
  bool zero_debias;
  const char *name;
  Dict *averages;                   /* averaged Value (by identity) -> shadow variable Value */
} Ema;

static Value *ema_getattr(Eval *ev, Value *self, const char *attr, Span sp);
static const ExtType ema_type = {.name = "ExponentialMovingAverage", .getattr = ema_getattr};

static const char *op_name_of(Value *v) {
  TfTensor *tt = tf_tensor_of(v);
  return tt->var ? tt->var->name : tt->node->name;
}

static bool is_float(int dt) { return dt == SLIMRT_F32 || dt == SLIMRT_F64 || dt == SLIMRT_F16 || dt == SLIMRT_BF16; }

/* apply(var_list=None): one shadow per variable, default var_list = trainable_variables() */
static Value *ema_apply(Eval *ev, const Args *a, void *data) {
  static const char *const params[] = {"var_list", NULL};
  Ema *e = data;
  TfLib *t = tf_lib(ev);
  Value *p[1];
  if (eval_bind(ev, "apply", params, a, p) < 0) return NULL;
  Value *vars = p[0] && p[0]->kind != V_NONE ? eval_iter_list(ev, p[0], a->call_span)
                                             : tf_get_collection(t, "trainable_variables", NULL);
  if (!vars) return NULL;
  for (int i = 0; i < vars->u.list.n; i++) {
    Value *v = vars->u.list.items[i];
    TfTensor *tt = tf_tensor_of(v);
    if (!tt) return eval_error(ev, a->call_span, "E0760", "apply() expects variables or tensors, got %s", val_type_name(v));
    int dt = tt->var ? tt->var->shape.dtype : tt->node->shape.dtype;
    if (!is_float(dt))
      return eval_error(ev, a->call_span, "E0761", "The variables must be half, float, or double: %s:0", op_name_of(v));
    if (dict_get(e->averages, v)) continue;
    static const GInit zeros = {.kind = GINIT_ZEROS, .text = "zeros_initializer()"};
    /* TF 1.15's slot creator: variable_scope(None, default_name=<op name>/<ema name>) and
       get_variable(""), so a second average of the same variable gets a "_1" suffix. Its
       auxiliary name scope is not opened here: published checkpoints (e.g. the VWW one, TF
       1.15) show the shadow op named exactly <op name>/<ema name>, never with "_1". */
    TfVsCtx *c = tf_vs_open_no_name_scope(t, NULL, arena_printf(t->arena, "%s/%s", op_name_of(v), e->name), NULL, a->call_span);
    if (!c) return NULL;
    TfVarRequest r = {0};
    r.name = "";
    r.shape = tt->var ? tt->var->shape : tt->node->shape;
    r.has_shape = true;
    r.dtype = dt;
    r.default_init = tt->var ? &tt->var->init : &zeros; /* the variable's initial value */
    r.trainable = false;
    Value *colls = val_list(ev, 0);
    val_list_append(ev, colls, val_str(ev, "variables"));
    r.collections = colls;
    r.device = tt->var ? tt->var->device : NULL;
    r.sp = a->call_span;
    Value *shadow = tf_get_variable(t, &r);
    tf_vs_close(t, c);
    if (!shadow) return NULL;
    dict_set(ev, e->averages, v, shadow);
    if (tt->var) tf_add_to_collection(t, "moving_average_variables", v);
  }
  return val_none(ev);
}

static Value *ema_average(Eval *ev, const Args *a, void *data) {
  static const char *const params[] = {"var", NULL};
  Ema *e = data;
  Value *p[1];
  if (eval_bind_checked(ev, "ExponentialMovingAverage.average", params, 1, a, p) < 0) return NULL;
  Value *s = dict_get(e->averages, p[0]);
  return s ? s : val_none(ev);
}

static const char *average_name(TfLib *t, Ema *e, Value *v) {
  Value *s = dict_get(e->averages, v);
  if (s) return op_name_of(s);
  return arena_printf(t->arena, "%s/%s", op_name_of(v), e->name);
}

static Value *ema_average_name(Eval *ev, const Args *a, void *data) {
  static const char *const params[] = {"var", NULL};
  Value *p[1];
  if (eval_bind_checked(ev, "ExponentialMovingAverage.average_name", params, 1, a, p) < 0) return NULL;
  if (!tf_tensor_of(p[0])) return eval_error(ev, a->call_span, "E0760", "average_name() expects a variable");
  return val_str(ev, average_name(tf_lib(ev), data, p[0]));
}

/* variables_to_restore(moving_avg_variables=None): shadow key for the averaged set, own
   op name for every other global variable */
static Value *ema_variables_to_restore(Eval *ev, const Args *a, void *data) {
  static const char *const params[] = {"moving_avg_variables", NULL};
  Ema *e = data;
  TfLib *t = tf_lib(ev);
  Value *p[1];
  if (eval_bind(ev, "variables_to_restore", params, a, p) < 0) return NULL;
  Value *avg;
  if (p[0] && p[0]->kind != V_NONE) {
    if (!(avg = eval_iter_list(ev, p[0], a->call_span))) return NULL;
  } else {
    avg = tf_get_collection(t, "trainable_variables", NULL);
    Value *m = tf_get_collection(t, "moving_average_variables", NULL);
    for (int i = 0; i < m->u.list.n; i++) val_list_append(ev, avg, m->u.list.items[i]);
  }
  Value *map = val_dict(ev);
  Dict *set = val_dict(ev)->u.dict;
  for (int i = 0; i < avg->u.list.n; i++) {
    Value *v = avg->u.list.items[i];
    if (!tf_tensor_of(v)) return eval_error(ev, a->call_span, "E0760", "variables_to_restore() expects variables");
    dict_set(ev, set, v, v);
    dict_set_str(ev, map->u.dict, average_name(t, e, v), v);
  }
  Value *g = tf_get_collection(t, "variables", NULL);
  for (int i = 0; i < g->u.list.n; i++) {
    Value *v = g->u.list.items[i];
    if (dict_get(set, v) || dict_get_str(map->u.dict, op_name_of(v))) continue;
    dict_set_str(ev, map->u.dict, op_name_of(v), v);
  }
  return map;
}

static Value *method(Eval *ev, const char *name, BuiltinFn fn, void *data) {
  Builtin *b = arena_alloc(eval_arena(ev), sizeof *b);
  *b = (Builtin){name, NULL, 0, fn, data, false};
  return val_builtin(ev, b);
}

static Value *ema_getattr(Eval *ev, Value *self, const char *attr, Span sp) {
  (void)sp;
  Ema *e = self->u.ext.data;
  if (!strcmp(attr, "name")) return val_str(ev, e->name);
  if (!strcmp(attr, "apply")) return method(ev, "apply", ema_apply, e);
  if (!strcmp(attr, "average")) return method(ev, "average", ema_average, e);
  if (!strcmp(attr, "average_name")) return method(ev, "average_name", ema_average_name, e);
  if (!strcmp(attr, "variables_to_restore")) return method(ev, "variables_to_restore", ema_variables_to_restore, e);
  return NULL;
}

/* ExponentialMovingAverage(decay, num_updates=None, zero_debias=False, name="ExponentialMovingAverage") */
static Value *bi_ema(Eval *ev, const Args *a, void *data) {
  (void)data;
  static const char *const params[] = {"decay", "num_updates", "zero_debias", "name", NULL};
  Value *p[4];
  if (eval_bind_checked(ev, "ExponentialMovingAverage.__init__", params, 1, a, p) < 0) return NULL;
  Ema *e = arena_alloc(eval_arena(ev), sizeof *e);
  e->name = "ExponentialMovingAverage";
  if (!eval_to_float(ev, p[0], a->call_span, "decay", &e->decay)) return NULL;
  e->num_updates = p[1];
  if (p[2]) {
    int z = eval_truthy(ev, p[2], a->call_span);
    if (z < 0) return NULL;
    e->zero_debias = z;
  }
  if (p[3] && p[3]->kind != V_NONE && !eval_to_str(ev, p[3], a->call_span, "name", &e->name)) return NULL;
  e->averages = val_dict(ev)->u.dict;
  return val_ext(ev, &ema_type, e);
}

/* restore(mapping): checkpoint key -> variable dict, or a list of variables (own names) */
static Value *bi_restore(Eval *ev, const Args *a, void *data) {
  (void)data;
  static const char *const params[] = {"mapping", NULL};
  TfLib *t = tf_lib(ev);
  Value *p[1];
  if (eval_bind_checked(ev, "restore", params, 1, a, p) < 0) return NULL;
  Value *m = p[0];
  if (m->kind == V_DICT) {
    Value *k, *v;
    for (int i = 0; dict_next(m->u.dict, &i, &k, &v);) {
      if (k->kind != V_STR) return eval_error(ev, a->call_span, "E0762", "restore() keys must be checkpoint key strings, got %s", val_type_name(k));
      if (!eval_str_nul_free(ev, k, a->call_span, "checkpoint key")) return NULL;
      TfTensor *tt = tf_tensor_of(v);
      if (!tt || !tt->var) return eval_error(ev, a->call_span, "E0763", "restore() maps '%s' to %s, not a variable", k->u.str.s, val_type_name(v));
    }
  } else if (m->kind == V_LIST || m->kind == V_TUPLE) {
    for (int i = 0; i < m->u.list.n; i++) {
      TfTensor *tt = tf_tensor_of(m->u.list.items[i]);
      if (!tt || !tt->var) return eval_error(ev, a->call_span, "E0763", "restore() list item %d is %s, not a variable", i, val_type_name(m->u.list.items[i]));
    }
  } else {
    return eval_error(ev, a->call_span, "E0764", "restore() takes a dict (checkpoint key -> variable) or a list of variables, got %s", val_type_name(m));
  }
  t->restore_override = m;
  t->model_span = a->call_span;
  return val_none(ev);
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
int tf_restore_map(TfLib *t, Span sp) {
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

static const Builtin b_ema = {"ExponentialMovingAverage", NULL, 0, bi_ema, NULL, false};
static const Builtin b_restore = {"restore", NULL, 0, bi_restore, NULL, false};

void tf_ema_register(TfLib *t, Value *train_ns) {
  ns_set(t->ev, train_ns, "ExponentialMovingAverage", val_builtin(t->ev, &b_ema));
  eval_set_global(t->ev, "restore", val_builtin(t->ev, &b_restore));
}
