/* The variable store and collections (tf-slim-reference.md §2, §4): get_variable with
 * reuse, tf.Variable (name-scope named), TF-Slim's variable helpers, collections with
 * re.match-prefix queries, the global step. */
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include "tf/tf_lib.h"

struct TfVarStore {
  Dict *by_name;                    /* full store name -> variable Value */
};

static const char *const K_GLOBAL = "variables", *const K_LOCAL = "local_variables",
                         *const K_MODEL = "model_variables", *const K_TRAINABLE = "trainable_variables",
                         *const K_REG = "regularization_losses",
                         *const K_STEP = "global_step";

void tf_vars_reset(TfLib *t) {
  t->store = arena_alloc(t->arena, sizeof *t->store);
  t->store->by_name = val_dict(t->ev)->u.dict;
  t->collections = val_dict(t->ev)->u.dict;
}

/* ---- collections ---- */

void tf_add_to_collection(TfLib *t, const char *key, Value *v) {
  Value *l = dict_get_str(t->collections, key);
  if (!l) {
    l = val_list(t->ev, 0);
    dict_set_str(t->ev, t->collections, key, l);
  }
  val_list_append(t->ev, l, v);
  TfTensor *tt = tf_tensor_of(v);
  if (tt) {
    for (int i = 0; i < tt->collections.n; i++)
      if (!strcmp(tt->collections.items[i], key)) return;
    ptrvec_push(t->arena, &tt->collections, (void *)arena_strdup(t->arena, key));
  }
}

static bool in_collection(TfLib *t, const char *key, Value *v) {
  Value *l = dict_get_str(t->collections, key);
  if (!l) return false;
  for (int i = 0; i < l->u.list.n; i++)
    if (l->u.list.items[i] == v) return true;
  return false;
}

void tf_add_to_collection_once(TfLib *t, const char *key, Value *v) {
  if (!in_collection(t, key, v)) tf_add_to_collection(t, key, v);
}

/* The TF `.name` of a collection item ("conv1/weights:0"), NULL if it has none. */
static const char *item_name(TfLib *t, Value *v) {
  TfTensor *tt = tf_tensor_of(v);
  if (tt) return arena_printf(t->arena, "%s:0", tt->var ? tt->var->name : tt->node->name);
  return NULL;
}

/* Python's re.match(SCOPE, name): POSIX ERE anchored at the start. The constructs TF-Slim
   code uses (literals, ., .*, [...], |, ^, $) mean the same in both. */
Value *tf_get_collection(TfLib *t, const char *key, const char *scope_regex) {
  Value *out = val_list(t->ev, 0);
  Value *l = dict_get_str(t->collections, key);
  if (!l) return out;
  regex_t re;
  bool use_re = scope_regex != NULL;
  if (use_re) {
    const char *pat = arena_printf(t->arena, "^(%s)", scope_regex);
    if (regcomp(&re, pat, REG_EXTENDED | REG_NOSUB)) {
      eval_error(t->ev, eval_call_span(t->ev), "E0710", "invalid scope pattern '%s'", scope_regex);
      return NULL;
    }
  }
  for (int i = 0; i < l->u.list.n; i++) {
    Value *v = l->u.list.items[i];
    if (use_re) {
      const char *n = item_name(t, v);
      if (!n || regexec(&re, n, 0, NULL, 0)) continue;
    }
    val_list_append(t->ev, out, v);
  }
  if (use_re) regfree(&re);
  return out;
}

/* ---- helpers ---- */

static bool get_dtype(TfLib *t, Value *v, Span sp, int *out) {
  int d = tf_dtype_of(v);
  if (d <= 0) {
    eval_error(t->ev, sp, "E0711", "expected a dtype, got %s", val_repr(t->ev, v));
    return false;
  }
  *out = d;
  return true;
}

static bool get_shape(TfLib *t, Value *v, Span sp, GShape *s) {
  s->rank = 0;
  if (v->kind == V_INT) {
    s->rank = 1;
    s->dims[0] = v->u.i;
    return true;
  }
  if (v->kind != V_LIST && v->kind != V_TUPLE) {
    eval_error(t->ev, sp, "E0712", "shape must be a list of ints, got %s", val_type_name(v));
    return false;
  }
  if (v->u.list.n > SLIMRT_MAX_RANK) {
    eval_error(t->ev, sp, "E0712", "shape has rank %d; at most %d is supported", v->u.list.n, SLIMRT_MAX_RANK);
    return false;
  }
  for (int i = 0; i < v->u.list.n; i++) {
    Value *d = v->u.list.items[i];
    if (d->kind == V_NONE) s->dims[i] = -1;
    else if (d->kind == V_INT && d->u.i >= 0) s->dims[i] = d->u.i;
    else if (d->kind == V_INT) { /* TF's TensorShape text */
      eval_error(t->ev, sp, "E0712", "Dimension %lld must be >= 0", (long long)d->u.i);
      return false;
    } else {
      eval_error(t->ev, sp, "E0712", "shape must be a list of non-negative ints, got %s", val_repr(t->ev, v));
      return false;
    }
  }
  s->rank = v->u.list.n;
  return true;
}

/* Flattens a nested list of numbers; fills SHAPE from the nesting. */
static bool flatten_const(TfLib *t, Value *v, int depth, GShape *shape, PtrVec *vals, bool *is_float, Span sp) {
  if (v->kind == V_INT || v->kind == V_BOOL || v->kind == V_FLOAT) {
    if (depth != shape->rank && shape->rank >= 0 && vals->n) goto ragged;
    if (!vals->n) shape->rank = depth;
    double *d = arena_alloc(t->arena, sizeof *d);
    *d = v->kind == V_FLOAT ? v->u.f : v->kind == V_BOOL ? v->u.b : (double)v->u.i;
    if (v->kind == V_FLOAT) *is_float = true;
    ptrvec_push(t->arena, vals, d);
    return true;
  }
  if (v->kind == V_LIST || v->kind == V_TUPLE) {
    if (depth >= SLIMRT_MAX_RANK) goto ragged;
    if (!vals->n && !v->u.list.n) {
      shape->rank = depth + 1;
      shape->dims[depth] = 0;
      return true;
    }
    if (vals->n && shape->dims[depth] != v->u.list.n) goto ragged;
    shape->dims[depth] = v->u.list.n;
    for (int i = 0; i < v->u.list.n; i++)
      if (!flatten_const(t, v->u.list.items[i], depth + 1, shape, vals, is_float, sp)) return false;
    return true;
  }
  eval_error(t->ev, sp, "E0713", "initial value must be a number or a nested list of numbers, got %s",
             val_type_name(v));
  return false;
ragged:
  eval_error(t->ev, sp, "E0713", "initial value is not a rectangular nested list");
  return false;
}

/* A constant initial value (number, nested list, or a Const tensor) as a GINIT_VALUE. */
static bool const_init(TfLib *t, Value *v, Span sp, GShape *shape, GInit *init, bool *is_float) {
  memset(init, 0, sizeof *init);
  init->kind = GINIT_VALUE;
  TfTensor *tt = tf_tensor_of(v);
  if (tt) {
    if (tt->var) {
      *shape = tt->var->shape;
      *init = tt->var->init;
      *is_float = true;
      return true;
    }
    GNode *n = tt->node;
    *shape = n->shape;
    *is_float = n->shape.dtype == SLIMRT_F32 || n->shape.dtype == SLIMRT_F64;
    if (n->op != SLIMRT_OP_CONST || !n->data) {
      init->kind = GINIT_ZEROS;
      init->text = arena_printf(t->arena, "value of %s", n->name);
      return true;
    }
    int64_t cnt = gshape_count(&n->shape);
    double *d = arena_alloc(t->arena, sizeof(double) * (cnt ? cnt : 1));
    for (int64_t i = 0; i < cnt; i++) {
      switch (n->shape.dtype) {
      case SLIMRT_F32: d[i] = ((const float *)n->data)[i]; break;
      case SLIMRT_F64: d[i] = ((const double *)n->data)[i]; break;
      case SLIMRT_I32: d[i] = ((const int32_t *)n->data)[i]; break;
      case SLIMRT_I64: d[i] = (double)((const int64_t *)n->data)[i]; break;
      default: d[i] = 0;
      }
    }
    init->values = d;
    init->nvalues = cnt;
    init->text = "constant";
    return true;
  }
  PtrVec vals = {0};
  shape->rank = -1;
  *is_float = false;
  if (!flatten_const(t, v, 0, shape, &vals, is_float, sp)) return false;
  if (shape->rank < 0) shape->rank = 0;
  double *d = arena_alloc(t->arena, sizeof(double) * (vals.n ? vals.n : 1));
  for (int i = 0; i < vals.n; i++) d[i] = *(double *)vals.items[i];
  init->values = d;
  init->nvalues = vals.n;
  init->text = vals.n == 1 ? arena_printf(t->arena, "constant(%g)", d[0]) : "constant";
  return true;
}

static bool shape_compatible(const GShape *a, const GShape *b) {
  if (a->rank < 0 || b->rank < 0) return true;
  if (a->rank != b->rank) return false;
  for (int i = 0; i < a->rank; i++)
    if (a->dims[i] >= 0 && b->dims[i] >= 0 && a->dims[i] != b->dims[i]) return false;
  return true;
}

static const char *shape_text(TfLib *t, const GShape *s) {
  if (s->rank < 0) return "<unknown>";
  char buf[256];
  gshape_tf_str(s, buf, sizeof buf);
  return arena_strdup(t->arena, buf);
}

static bool list_has(PtrVec *v, const char *k) {
  for (int i = 0; i < v->n; i++)
    if (!strcmp(v->items[i], k)) return true;
  return false;
}

/* Collection keys: COLLS (list of str, or a str) or DEFAULT, without duplicates. */
static bool collect_keys(TfLib *t, Value *colls, const char *dflt, PtrVec *keys, Span sp) {
  if (!colls || colls->kind == V_NONE) {
    if (dflt) ptrvec_push(t->arena, keys, (void *)dflt);
    return true;
  }
  if (colls->kind == V_STR) {
    if (!eval_str_nul_free(t->ev, colls, sp, "collection name")) return false;
    ptrvec_push(t->arena, keys, (void *)colls->u.str.s);
    return true;
  }
  Value *l = eval_iter_list(t->ev, colls, sp);
  if (!l) return false;
  for (int i = 0; i < l->u.list.n; i++) {
    const char *k;
    if (!eval_to_str(t->ev, l->u.list.items[i], sp, "collection name", &k)) return false;
    if (!list_has(keys, k)) ptrvec_push(t->arena, keys, (void *)k);
  }
  return true;
}

/* Creates the graph variable and its Value, and adds it to KEYS. */
static Value *make_var(TfLib *t, const char *opname, GShape shape, const GInit *init, bool trainable,
                       PtrVec *keys, const char *device, Span sp) {
  if (trainable && !list_has(keys, K_TRAINABLE)) ptrvec_push(t->arena, keys, (void *)K_TRAINABLE);
  GVar *gv = graph_variable(t->graph, opname, shape, sp);
  if (!gv) return eval_error(t->ev, sp, "E0714", "cannot create variable %s", opname);
  gv->trainable = trainable;
  gv->is_global = list_has(keys, K_GLOBAL);
  gv->is_local = !gv->is_global && list_has(keys, K_LOCAL);
  gv->init = *init;
  gv->device = device;
  Value *v = tf_wrap_var(t, gv);
  for (int i = 0; i < keys->n; i++) tf_add_to_collection(t, keys->items[i], v);
  return v;
}

static const char *init_text(TfLib *t, const GInit *g, int dtype, Value *src) {
  if (g->text) return g->text;
  if (src) {
    TfInit *ti = tf_init_of(src);
    if (ti && ti->name) return ti->name;
  }
  (void)t;
  if (g->kind == GINIT_DEFAULT)
    return dtype == SLIMRT_F32 || dtype == SLIMRT_F64 || dtype == SLIMRT_F16 || dtype == SLIMRT_BF16
               ? "glorot_uniform_initializer"
               : "zeros_initializer";
  return NULL;
}

/* ---- get_variable ---- */

Value *tf_get_variable(TfLib *t, const TfVarRequest *r) {
  Eval *ev = t->ev;
  Arena *a = t->arena;
  const char *scope = tf_var_scope_name(t);
  const char *full = scope[0] ? (r->name[0] ? arena_printf(a, "%s/%s", scope, r->name) : scope) : r->name;
  int reuse = tf_scope_reuse(t);
  GShape shape = r->shape;
  bool has_shape = r->has_shape;
  int dtype = r->dtype ? r->dtype : SLIMRT_F32;
  shape.dtype = dtype;
  /* A constant (non-initializer) initializer supplies the shape itself. */
  Value *initv = r->initializer && r->initializer->kind != V_NONE ? r->initializer : NULL;
  GInit init = {0};
  bool const_initv = initv && !tf_init_of(initv) && initv->kind != V_FUNC && initv->kind != V_BUILTIN;
  if (const_initv) {
    if (has_shape) return eval_error(ev, r->sp, "E0715", "If initializer is a constant, do not specify shape.");
    bool is_float;
    GShape cs;
    if (!const_init(t, initv, r->sp, &cs, &init, &is_float)) return NULL;
    cs.dtype = r->dtype ? r->dtype : is_float ? SLIMRT_F32 : SLIMRT_I32;
    shape = cs;
    dtype = cs.dtype;
    has_shape = true;
  }
  Value *found = dict_get_str(t->store->by_name, full);
  if (found) {
    TfTensor *ft = tf_tensor_of(found);
    if (reuse == TF_REUSE_NONE) {
      eval_error(ev, r->sp, "E0720",
                 "Variable %s already exists, disallowed. Did you mean to set reuse=True or reuse=tf.AUTO_REUSE in "
                 "VarScope?",
                 full);
      eval_note(ev, ft->var->span, "variable '%s' was first created here", full);
      return NULL;
    }
    if (has_shape && !shape_compatible(&shape, &ft->var->shape)) {
      eval_error(ev, r->sp, "E0722", "Trying to share variable %s, but specified shape %s and found shape %s.", full,
                 shape_text(t, &shape), shape_text(t, &ft->var->shape));
      eval_note(ev, ft->var->span, "variable '%s' was created here", full);
      return NULL;
    }
    if (r->dtype && r->dtype != ft->var->shape.dtype) {
      eval_error(ev, r->sp, "E0723", "Trying to share variable %s, but specified dtype %s and found dtype %s_ref.",
                 full, slimrt_dtype_name(r->dtype), slimrt_dtype_name(ft->var->shape.dtype));
      eval_note(ev, ft->var->span, "variable '%s' was created here", full);
      return NULL;
    }
    return found;
  }
  if (reuse == TF_REUSE_TRUE)
    return eval_error(ev, r->sp, "E0721",
                      "Variable %s does not exist, or was not created with tf.get_variable(). Did you mean to set "
                      "reuse=tf.AUTO_REUSE in VarScope?",
                      full);
  if (!has_shape || shape.rank < 0)
    return eval_error(ev, r->sp, "E0724", "Shape of a new variable (%s) must be fully defined, but instead was %s.",
                      full, shape_text(t, &shape));
  for (int i = 0; i < shape.rank; i++)
    if (shape.dims[i] < 0)
      return eval_error(ev, r->sp, "E0724", "Shape of a new variable (%s) must be fully defined, but instead was %s.",
                        full, shape_text(t, &shape));
  if (!const_initv) {
    Value *src = initv;
    TfInit *ti = initv ? tf_init_of(initv) : NULL;
    if (ti) init = ti->init;
    else if (initv)
      return eval_error(ev, r->sp, "E0716", "initializer must be an initializer object or a constant, got %s",
                        val_type_name(initv));
    else if (r->default_init) init = *r->default_init;
    else if ((src = tf_scope_initializer(t)) && (ti = tf_init_of(src))) init = ti->init;
    else src = NULL;
    init.text = init_text(t, &init, dtype, src);
  }
  PtrVec keys = {0};
  if (!collect_keys(t, r->collections, K_GLOBAL, &keys, r->sp)) return NULL;
  if (r->model_variable) {
    if (!list_has(&keys, K_GLOBAL)) ptrvec_push(a, &keys, (void *)K_GLOBAL);
    if (!list_has(&keys, K_MODEL)) ptrvec_push(a, &keys, (void *)K_MODEL);
  }
  /* the variable op is named unique_name(full name) outside any name scope, which
     Graph.name_scope checks as a root scope name */
  if (!tf_scope_name_ok(t, full, true, r->sp)) return NULL;
  const char *saved = t->name_stack;
  t->name_stack = "";
  const char *opname = tf_unique_name(t, full);
  t->name_stack = saved;
  Value *v = make_var(t, opname, shape, &init, r->trainable, &keys, r->device ? r->device : t->device, r->sp);
  if (!v) return NULL;
  dict_set_str(ev, t->store->by_name, full, v);
  Value *reg = r->regularizer && r->regularizer->kind != V_NONE ? r->regularizer : tf_scope_regularizer(t);
  if (reg) {
    TfRegularizer *tr = tf_regularizer_of(reg);
    TfTensor *vt = tf_tensor_of(v);
    if (tr && tr->kind == 2) vt->var->regularizer = arena_printf(a, "%s(%g,%g)", tr->op_name, tr->l1, tr->l2);
    else if (tr && tr->kind <= 1) vt->var->regularizer = arena_printf(a, "%s(%g)", tr->op_name, tr->kind ? tr->l2 : tr->l1);
    else if (tr) vt->var->regularizer = tr->op_name;
    else vt->var->regularizer = "custom";
    /* tf.layers-based layers name the loss after the layer-internal weight name */
    const char *stack = r->reg_name ? (t->name_stack[0] ? arena_printf(a, "%s/%s/Regularizer", t->name_stack, r->reg_name)
                                                        : arena_printf(a, "%s/Regularizer", r->reg_name))
                                    : arena_printf(a, "%s/Regularizer", opname);
    t->name_stack = stack;
    Args ra = {.pos = &v, .pos_spans = (Span *)&r->sp, .npos = 1, .call_span = r->sp};
    Value *loss = eval_call(ev, reg, &ra);
    t->name_stack = saved;
    if (!loss) return NULL;
    if (loss->kind != V_NONE) tf_add_to_collection(t, K_REG, loss);
  }
  return v;
}

/* ---- builtins ---- */

#define ARGN(name) static const char *const name[]

static bool opt_bool(TfLib *t, Value *v, bool dflt, Span sp, bool *out) {
  if (!v || v->kind == V_NONE) {
    *out = dflt;
    return true;
  }
  int b = eval_truthy(t->ev, v, sp);
  if (b < 0) return false;
  *out = b;
  return true;
}

static bool opt_str(TfLib *t, Value *v, const char *what, Span sp, const char **out) {
  *out = NULL;
  if (!v || v->kind == V_NONE) return true;
  return eval_to_str(t->ev, v, sp, what, out);
}

/* Fills a request from get_variable-style arguments: name, shape, dtype, initializer,
   regularizer, trainable, collections, device (indices into P, -1 = absent). */
static bool fill_request(TfLib *t, TfVarRequest *r, Value **p, const int idx[8], Span sp) {
  memset(r, 0, sizeof *r);
  r->sp = sp;
  if (!p[idx[0]]) { /* eval_bind leaves absent parameters NULL, even the required name */
    eval_error(t->ev, sp, "E0303", "missing 1 required argument: 'name' (the variable name)");
    return false;
  }
  if (!eval_to_str(t->ev, p[idx[0]], sp, "name", &r->name)) return false;
  Value *shape = idx[1] >= 0 ? p[idx[1]] : NULL;
  if (shape && shape->kind != V_NONE) {
    if (!get_shape(t, shape, sp, &r->shape)) return false;
    r->has_shape = true;
  } else r->shape.rank = -1;
  if (idx[2] >= 0 && p[idx[2]] && p[idx[2]]->kind != V_NONE && !get_dtype(t, p[idx[2]], sp, &r->dtype)) return false;
  r->initializer = idx[3] >= 0 ? p[idx[3]] : NULL;
  r->regularizer = idx[4] >= 0 ? p[idx[4]] : NULL;
  if (!opt_bool(t, idx[5] >= 0 ? p[idx[5]] : NULL, true, sp, &r->trainable)) return false;
  r->collections = idx[6] >= 0 ? p[idx[6]] : NULL;
  if (idx[7] >= 0 && !opt_str(t, p[idx[7]], "device", sp, &r->device)) return false;
  return true;
}

ARGN(gv_params) = {"name", "shape", "dtype", "initializer", "regularizer", "trainable", "collections",
                   "caching_device", "partitioner", "validate_shape", "use_resource", "custom_getter",
                   "constraint", "synchronization", "aggregation", NULL};

static Value *bi_get_variable(Eval *ev, const Args *a, void *data) {
  TfLib *t = tf_lib(ev);
  Value *p[15];
  if (eval_bind_checked(ev, data ? "get_local_variable" : "get_variable", gv_params, 1, a, p) < 0) return NULL;
  TfVarRequest r;
  if (!fill_request(t, &r, p, (const int[8]){0, 1, 2, 3, 4, 5, 6, -1}, a->call_span)) return NULL;
  if (data) { /* get_local_variable */
    r.trainable = false;
    PtrVec keys = {0};
    if (!collect_keys(t, r.collections, NULL, &keys, a->call_span)) return NULL;
    Value *l = val_list(ev, 0);
    val_list_append(ev, l, val_str(ev, K_LOCAL));
    for (int i = 0; i < keys.n; i++) val_list_append(ev, l, val_str(ev, keys.items[i]));
    r.collections = l;
  }
  return tf_get_variable(t, &r);
}

ARGN(slim_var_params) = {"name", "shape", "dtype", "initializer", "regularizer", "trainable", "collections",
                         "caching_device", "device", "partitioner", "custom_getter", "use_resource",
                         "synchronization", "aggregation", NULL};

static const Builtin b_slim_variable, b_model_variable;

/* slim.variable / slim.model_variable (both decorated with @add_arg_scope) */
static Value *slim_variable(Eval *ev, const Args *in, bool model) {
  TfLib *t = tf_lib(ev);
  Args a;
  const char *fname = model ? "model_variable" : "variable";
  if (tf_argscope_merge(t, fname, model ? &b_model_variable : &b_slim_variable, slim_var_params, in, &a) < 0)
    return NULL;
  Value *p[14];
  if (eval_bind_checked(ev, fname, slim_var_params, 1, &a, p) < 0) return NULL;
  TfVarRequest r;
  if (!fill_request(t, &r, p, (const int[8]){0, 1, 2, 3, 4, 5, 6, 8}, a.call_span)) return NULL;
  r.model_variable = model;
  if (model && !r.dtype) r.dtype = SLIMRT_F32;
  return tf_get_variable(t, &r);
}
/* A slim layer makes each variable with model_variable(name, shape=..., ...) (no device),
   which calls variable(...) with every argument: both are @add_arg_scope, so an arg_scope
   keyword for them that the call does not pass applies (model_variable's device), and one
   they do not take is the layer call's TypeError. *DEVICE is left alone unless set. */
bool tf_layer_var_argscope(TfLib *t, Span sp, const char **device, Value **reg) {
  for (int model = 1; model >= 0; model--) {
    Args in = {.call_span = sp}, out;
    Value *none[16];
    for (int i = 0; i < 16; i++) none[i] = val_none(t->ev);
    in.kw = (const char **)slim_var_params;
    in.kwv = none;
    for (in.nkw = 0; slim_var_params[in.nkw]; in.nkw++)
      if (model && !strcmp(slim_var_params[in.nkw], "device")) break;
    if (model) { /* the names the layer passes; device (and regularizer when REG) come from the scope */
      static const char *const mv[] = {"name", "shape", "dtype", "initializer", "trainable", "collections",
                                       "caching_device", "partitioner", "custom_getter", "use_resource",
                                       "synchronization", "aggregation", "regularizer", NULL};
      in.kw = (const char **)mv;
      for (in.nkw = 0; mv[in.nkw]; in.nkw++) {}
      if (reg) in.nkw--; /* regularizer not passed */
    }
    if (tf_argscope_merge(t, model ? "model_variable" : "variable", model ? &b_model_variable : &b_slim_variable,
                          slim_var_params, &in, &out) < 0)
      return false;
    for (int i = in.nkw; i < out.nkw; i++) {
      if (!strcmp(out.kw[i], "device") && out.kwv[i]->kind == V_STR) *device = out.kwv[i]->u.str.s;
      if (model && reg && !strcmp(out.kw[i], "regularizer") && out.kwv[i]->kind != V_NONE) *reg = out.kwv[i];
    }
  }
  return true;
}

static Value *bi_slim_variable(Eval *ev, const Args *a, void *d) { (void)d; return slim_variable(ev, a, false); }
static Value *bi_model_variable(Eval *ev, const Args *a, void *d) { (void)d; return slim_variable(ev, a, true); }

/* tf.Variable(initial_value, trainable=True, collections=None, ..., name=None, dtype=None):
   named by the name scope, never in the store. KIND 0 tf.Variable, 1 slim.local_variable,
   2 slim.global_variable. */
ARGN(var_params) = {"initial_value", "trainable", "collections", "validate_shape", "caching_device", "name",
                    "variable_def", "dtype", "expected_shape", "import_scope", "constraint", "use_resource",
                    "synchronization", "aggregation", NULL};
ARGN(local_params) = {"initial_value", "validate_shape", "name", "use_resource", NULL};

static Value *tf_variable(Eval *ev, const Args *a, int kind) {
  TfLib *t = tf_lib(ev);
  Value *p[14] = {0};
  Value *init = NULL, *name = NULL, *dtv = NULL, *colls = NULL;
  bool trainable = kind == 0;
  if (kind == 0) {
    if (eval_bind(ev, "Variable", var_params, a, p) < 0) return NULL;
    init = p[0], name = p[5], dtv = p[7], colls = p[2];
    if (!opt_bool(t, p[1], true, a->call_span, &trainable)) return NULL;
  } else {
    if (eval_bind_checked(ev, kind == 1 ? "local_variable" : "global_variable", local_params, 1, a, p) < 0)
      return NULL;
    init = p[0], name = p[2];
  }
  if (!init || init->kind == V_NONE) return eval_error(ev, a->call_span, "E0717", "initial_value must be specified.");
  const char *nm = "Variable";
  if (!opt_str(t, name, "name", a->call_span, &nm)) return NULL;
  if (!nm) nm = "Variable";
  GShape shape;
  GInit gi;
  bool is_float;
  if (!const_init(t, init, a->call_span, &shape, &gi, &is_float)) return NULL;
  shape.dtype = is_float ? SLIMRT_F32 : SLIMRT_I32;
  if (dtv && dtv->kind != V_NONE && !get_dtype(t, dtv, a->call_span, &shape.dtype)) return NULL;
  PtrVec keys = {0};
  if (kind == 1) ptrvec_push(t->arena, &keys, (void *)K_LOCAL);
  else if (!collect_keys(t, colls, K_GLOBAL, &keys, a->call_span)) return NULL;
  const char *opname = tf_unique_name(t, nm);
  return make_var(t, opname, shape, &gi, trainable, &keys, t->device, a->call_span);
}
static Value *bi_Variable(Eval *ev, const Args *a, void *d) { (void)d; return tf_variable(ev, a, 0); }
static Value *bi_local_variable(Eval *ev, const Args *a, void *d) { (void)d; return tf_variable(ev, a, 1); }
static Value *bi_global_variable(Eval *ev, const Args *a, void *d) { (void)d; return tf_variable(ev, a, 2); }

static Value *bi_add_to_collection(Eval *ev, const Args *a, void *data) {
  ARGN(params) = {"name", "value", NULL};
  TfLib *t = tf_lib(ev);
  Value *p[2];
  if (eval_bind(ev, data ? "add_to_collections" : "add_to_collection", params, a, p) < 0) return NULL;
  PtrVec keys = {0};
  if (!collect_keys(t, p[0], NULL, &keys, a->call_span)) return NULL;
  for (int i = 0; i < keys.n; i++) tf_add_to_collection(t, keys.items[i], p[1]);
  return val_none(ev);
}

/* get_collection(key, scope=None), get_collection_ref(key) (data = REF_KEY) and the
   fixed-key listings (data = key). */
static const char REF_KEY[] = "";
static Value *bi_get_collection(Eval *ev, const Args *a, void *data) {
  ARGN(params) = {"key", "scope", NULL};
  ARGN(params2) = {"scope", NULL};
  ARGN(params_ref) = {"key", NULL};
  TfLib *t = tf_lib(ev);
  Value *p[2] = {0};
  const char *key = data, *scope = NULL;
  if (key == REF_KEY) {
    if (eval_bind_checked(ev, "get_collection_ref", params_ref, 1, a, p) < 0) return NULL;
    if (!eval_to_str(ev, p[0], a->call_span, "key", &key)) return NULL;
  } else if (key) {
    if (eval_bind(ev, key, params2, a, p + 1) < 0) return NULL;
  } else {
    if (eval_bind_checked(ev, "get_collection", params, 1, a, p) < 0) return NULL;
    if (!eval_to_str(ev, p[0], a->call_span, "key", &key)) return NULL;
  }
  if (p[1] && p[1]->kind != V_NONE) {
    if (p[1]->kind == V_EXT && p[1]->u.ext.type->getattr) {
      Value *n = p[1]->u.ext.type->getattr(ev, p[1], "name", a->call_span);
      if (n && n->kind == V_STR) scope = n->u.str.s;
    }
    if (!scope && !eval_to_str(ev, p[1], a->call_span, "scope", &scope)) return NULL;
  }
  return tf_get_collection(t, key, scope);
}

/* slim.get_variables(scope=None, suffix=None, collection=GLOBAL_VARIABLES) and friends
   (data = the collection key); the scope is a re.match prefix. */
static Value *slim_get_variables(TfLib *t, Value *scopev, Value *suffixv, const char *key, Span sp) {
  Eval *ev = t->ev;
  const char *scope = NULL, *suffix = NULL;
  if (scopev && scopev->kind != V_NONE) {
    if (scopev->kind == V_EXT && scopev->u.ext.type->getattr) {
      Value *n = scopev->u.ext.type->getattr(ev, scopev, "name", sp);
      if (n && n->kind == V_STR) scope = n->u.str.s;
    }
    if (!scope && !eval_to_str(ev, scopev, sp, "scope", &scope)) return NULL;
  }
  if (suffixv && suffixv->kind != V_NONE) {
    if (!eval_to_str(ev, suffixv, sp, "suffix", &suffix)) return NULL;
    if (!strchr(suffix, ':')) suffix = arena_printf(t->arena, "%s:", suffix);
    scope = arena_printf(t->arena, "%s.*%s", scope ? scope : "", suffix);
  }
  return tf_get_collection(t, key, scope);
}

static Value *bi_slim_get_variables(Eval *ev, const Args *a, void *data) {
  ARGN(params) = {"scope", "suffix", "collection", NULL};
  Value *p[3];
  const char *key = data ? data : K_GLOBAL;
  if (eval_bind(ev, data ? "get_model_variables" : "get_variables", params, a, p) < 0) return NULL;
  if (!data && p[2] && p[2]->kind != V_NONE && !eval_to_str(ev, p[2], a->call_span, "collection", &key)) return NULL;
  return slim_get_variables(tf_lib(ev), p[0], p[1], key, a->call_span);
}

static Value *bi_get_variables_by_suffix(Eval *ev, const Args *a, void *data) {
  (void)data;
  ARGN(params) = {"suffix", "scope", NULL};
  Value *p[2];
  if (eval_bind(ev, "get_variables_by_suffix", params, a, p) < 0) return NULL;
  return slim_get_variables(tf_lib(ev), p[1], p[0], K_GLOBAL, a->call_span);
}

static Value *bi_get_variables_by_name(Eval *ev, const Args *a, void *data) {
  (void)data;
  ARGN(params) = {"given_name", "scope", NULL};
  Value *p[2];
  if (eval_bind(ev, "get_variables_by_name", params, a, p) < 0) return NULL;
  const char *n;
  if (!eval_to_str(ev, p[0], a->call_span, "given_name", &n)) return NULL;
  Value *suffix = val_strf(ev, "/%s:|^%s:", n, n);
  return slim_get_variables(tf_lib(ev), p[1], suffix, K_GLOBAL, a->call_span);
}

static Value *bi_get_unique_variable(Eval *ev, const Args *a, void *data) {
  (void)data;
  ARGN(params) = {"var_op_name", NULL};
  Value *p[1];
  if (eval_bind(ev, "get_unique_variable", params, a, p) < 0) return NULL;
  const char *n;
  if (!eval_to_str(ev, p[0], a->call_span, "var_op_name", &n)) return NULL;
  Value *cands = slim_get_variables(tf_lib(ev), p[0], NULL, K_GLOBAL, a->call_span);
  if (!cands) return NULL;
  if (!cands->u.list.n) return eval_error(ev, a->call_span, "E0725", "Couldn't find variable %s", n);
  for (int i = 0; i < cands->u.list.n; i++) {
    TfTensor *tt = tf_tensor_of(cands->u.list.items[i]);
    if (tt && tt->var && !strcmp(tt->var->name, n)) return cands->u.list.items[i];
  }
  return eval_error(ev, a->call_span, "E0726", "Variable %s does not uniquely identify a variable", n);
}

static Value *bi_get_variables_to_restore(Eval *ev, const Args *a, void *data) {
  (void)data;
  ARGN(params) = {"include", "exclude", NULL};
  TfLib *t = tf_lib(ev);
  Value *p[2];
  if (eval_bind(ev, "get_variables_to_restore", params, a, p) < 0) return NULL;
  Value *vars;
  if (p[0] && p[0]->kind != V_NONE) {
    if (p[0]->kind != V_LIST && p[0]->kind != V_TUPLE)
      return eval_error(ev, a->call_span, "E0727", "include is provided but is not a list or a tuple.");
    vars = val_list(ev, 0);
    for (int i = 0; i < p[0]->u.list.n; i++) {
      Value *l = slim_get_variables(t, p[0]->u.list.items[i], NULL, K_GLOBAL, a->call_span);
      if (!l) return NULL;
      for (int j = 0; j < l->u.list.n; j++) val_list_append(ev, vars, l->u.list.items[j]);
    }
  } else vars = tf_get_collection(t, K_GLOBAL, NULL);
  if (p[1] && p[1]->kind != V_NONE) {
    if (p[1]->kind != V_LIST && p[1]->kind != V_TUPLE)
      return eval_error(ev, a->call_span, "E0727", "exclude is provided but is not a list or a tuple.");
    PtrVec ex = {0};
    for (int i = 0; i < p[1]->u.list.n; i++) {
      Value *l = slim_get_variables(t, p[1]->u.list.items[i], NULL, K_GLOBAL, a->call_span);
      if (!l) return NULL;
      for (int j = 0; j < l->u.list.n; j++) ptrvec_push(t->arena, &ex, l->u.list.items[j]);
    }
    Value *kept = val_list(ev, 0);
    for (int i = 0; i < vars->u.list.n; i++) {
      bool drop = false;
      for (int j = 0; j < ex.n && !drop; j++) drop = ex.items[j] == vars->u.list.items[i];
      if (!drop) val_list_append(ev, kept, vars->u.list.items[i]);
    }
    vars = kept;
  }
  return vars;
}

static Value *bi_add_model_variable(Eval *ev, const Args *a, void *data) {
  (void)data;
  ARGN(params) = {"var", NULL};
  TfLib *t = tf_lib(ev);
  Value *p[1];
  if (eval_bind(ev, "add_model_variable", params, a, p) < 0) return NULL;
  if (!in_collection(t, K_MODEL, p[0])) tf_add_to_collection(t, K_MODEL, p[0]);
  return val_none(ev);
}

/* tf.train.get_or_create_global_step(graph=None) / get_global_step / create_global_step */
static Value *global_step(Eval *ev, const Args *a, int mode) {
  ARGN(params) = {"graph", NULL};
  TfLib *t = tf_lib(ev);
  Value *p[1];
  if (eval_bind(ev, mode == 0 ? "get_or_create_global_step" : mode == 1 ? "get_global_step" : "create_global_step",
                params, a, p) < 0)
    return NULL;
  Value *l = dict_get_str(t->collections, K_STEP);
  if (l && l->u.list.n) {
    if (mode == 2) return eval_error(ev, a->call_span, "E0728", "\"global_step\" already exists.");
    return l->u.list.items[0];
  }
  if (mode == 1) return val_none(ev);
  TfVarRequest r = {.name = "global_step", .has_shape = true, .dtype = SLIMRT_I64, .trainable = false,
                    .sp = a->call_span};
  static const GInit zeros = {.kind = GINIT_ZEROS, .text = "zeros_initializer"};
  r.default_init = &zeros;
  Value *colls = val_list(ev, 0);
  val_list_append(ev, colls, val_str(ev, K_GLOBAL));
  val_list_append(ev, colls, val_str(ev, K_STEP));
  r.collections = colls;
  const char *saved = tf_ns_open(t, NULL, NULL);
  Value *v = tf_get_variable(t, &r);
  tf_ns_restore(t, saved);
  return v;
}
static Value *bi_goc_step(Eval *ev, const Args *a, void *d) { (void)d; return global_step(ev, a, 0); }
static Value *bi_get_step(Eval *ev, const Args *a, void *d) { (void)d; return global_step(ev, a, 1); }
static Value *bi_create_step(Eval *ev, const Args *a, void *d) { (void)d; return global_step(ev, a, 2); }

#define B(id, name, fn, data, as) static const Builtin id = {name, NULL, 0, fn, (void *)(data), as};
B(b_get_variable, "get_variable", bi_get_variable, NULL, false)
B(b_get_local_variable, "get_local_variable", bi_get_variable, 1, false)
B(b_Variable, "Variable", bi_Variable, NULL, false)
B(b_slim_variable, "variable", bi_slim_variable, NULL, true)
B(b_model_variable, "model_variable", bi_model_variable, NULL, true)
B(b_local_variable, "local_variable", bi_local_variable, NULL, false)
B(b_global_variable, "global_variable", bi_global_variable, NULL, false)
B(b_add_to_collection, "add_to_collection", bi_add_to_collection, NULL, false)
B(b_add_to_collections, "add_to_collections", bi_add_to_collection, 1, false)
B(b_get_collection, "get_collection", bi_get_collection, NULL, false)
B(b_get_collection_ref, "get_collection_ref", bi_get_collection, REF_KEY, false)
B(b_global_variables, "global_variables", bi_get_collection, "variables", false)
B(b_local_variables, "local_variables", bi_get_collection, "local_variables", false)
B(b_trainable_variables, "trainable_variables", bi_get_collection, "trainable_variables", false)
B(b_model_variables, "model_variables", bi_get_collection, "model_variables", false)
B(b_mavg_variables, "moving_average_variables", bi_get_collection, "moving_average_variables", false)
B(b_get_variables, "get_variables", bi_slim_get_variables, NULL, false)
B(b_get_model_variables, "get_model_variables", bi_slim_get_variables, "model_variables", false)
B(b_get_trainable_variables, "get_trainable_variables", bi_slim_get_variables, "trainable_variables", false)
B(b_get_local_variables, "get_local_variables", bi_slim_get_variables, "local_variables", false)
B(b_get_by_suffix, "get_variables_by_suffix", bi_get_variables_by_suffix, NULL, false)
B(b_get_by_name, "get_variables_by_name", bi_get_variables_by_name, NULL, false)
B(b_get_unique, "get_unique_variable", bi_get_unique_variable, NULL, false)
B(b_to_restore, "get_variables_to_restore", bi_get_variables_to_restore, NULL, false)
B(b_add_model_variable, "add_model_variable", bi_add_model_variable, NULL, false)
B(b_goc_step, "get_or_create_global_step", bi_goc_step, NULL, false)
B(b_get_step, "get_global_step", bi_get_step, NULL, false)
B(b_create_step, "create_global_step", bi_create_step, NULL, false)
#undef B

void tf_vars_register(TfLib *t, Value *tf_ns, Value *slim_ns, Value *train_ns) {
  Eval *ev = t->ev;
  const Builtin *tf_list[] = {&b_get_variable, &b_get_local_variable, &b_Variable, &b_add_to_collection,
                              &b_add_to_collections, &b_get_collection, &b_global_variables, &b_local_variables,
                              &b_trainable_variables, &b_model_variables, &b_mavg_variables};
  for (size_t i = 0; i < sizeof tf_list / sizeof *tf_list; i++) ns_set(ev, tf_ns, tf_list[i]->name, val_builtin(ev, tf_list[i]));
  ns_set(ev, tf_ns, "all_variables", val_builtin(ev, &b_global_variables));
  ns_set(ev, tf_ns, "get_collection_ref", val_builtin(ev, &b_get_collection_ref));
  const Builtin *slim_list[] = {&b_slim_variable, &b_model_variable, &b_local_variable, &b_global_variable,
                                &b_get_variables, &b_get_model_variables, &b_get_trainable_variables,
                                &b_get_local_variables, &b_get_by_suffix, &b_get_by_name, &b_get_unique,
                                &b_to_restore, &b_add_model_variable, &b_goc_step, &b_get_step, &b_create_step};
  for (size_t i = 0; i < sizeof slim_list / sizeof *slim_list; i++)
    ns_set(ev, slim_ns, slim_list[i]->name, val_builtin(ev, slim_list[i]));
  ns_set(ev, train_ns, "get_or_create_global_step", val_builtin(ev, &b_goc_step));
  ns_set(ev, train_ns, "get_global_step", val_builtin(ev, &b_get_step));
  ns_set(ev, train_ns, "create_global_step", val_builtin(ev, &b_create_step));
}
