/* tf.* / tf.nn.* ops: the Python-level builtins with TF's argument names, defaults and op
 * names, built with tf_build.c's builders; initializer and regularizer objects. */
#include <math.h>
#include <inttypes.h>
#include <string.h>

#include "tf/tf_lib.h"

Value *tf_apply_fn(TfLib *t, Value *fn, Value *x, Span sp) {
  if (!fn || fn->kind == V_NONE) return x;
  Value *argv[1] = {x};
  Span spans[1] = {sp};
  Args a = {.pos = argv, .pos_spans = spans, .npos = 1, .call_span = sp};
  return eval_call(t->ev, fn, &a);
}

/* ---- argument helpers ---- */

enum { MAXL = SLIMRT_MAX_RANK };

static bool given(Value *v) { return v && v->kind != V_NONE; }

static bool opt_str(Eval *ev, Value *v, Span sp, const char *what, const char **out) {
  *out = NULL;
  if (!given(v)) return true;
  return eval_to_str(ev, v, sp, what, out);
}

/* An int or a list/tuple of ints into OUT[0..*n). */
static bool int_list(Eval *ev, Value *v, Span sp, const char *what, int64_t *out, int max, int *n) {
  if (v->kind == V_INT) {
    out[0] = v->u.i;
    *n = 1;
    return true;
  }
  if (v->kind != V_LIST && v->kind != V_TUPLE) {
    TfTensor *tt = tf_tensor_of(v);
    if (tt && tt->node->op == SLIMRT_OP_CONST && tt->node->shape.rank <= 1 &&
        (tt->node->shape.dtype == SLIMRT_I32 || tt->node->shape.dtype == SLIMRT_I64)) {
      int64_t c = gshape_count(&tt->node->shape);
      if (c > max) goto too_many;
      for (int64_t i = 0; i < c; i++)
        out[i] = tt->node->shape.dtype == SLIMRT_I32 ? ((const int32_t *)tt->node->data)[i]
                                                     : ((const int64_t *)tt->node->data)[i];
      *n = (int)c;
      return true;
    }
    eval_error(ev, sp, "E0640", "%s must be an int or a list of ints, got %s", what, val_type_name(v));
    return false;
  }
  if (v->u.list.n > max) goto too_many;
  for (int i = 0; i < v->u.list.n; i++)
    if (!eval_to_int(ev, v->u.list.items[i], sp, what, &out[i])) return false;
  *n = v->u.list.n;
  return true;
too_many:
  eval_error(ev, sp, "E0640", "%s has more than %d entries", what, max);
  return false;
}

/* TF's 4-element NHWC strides/ksize with 1 at batch and channel. */
static bool nhwc4(Eval *ev, Value *v, Span sp, const char *what, int64_t out[2]) {
  int64_t l[MAXL];
  int n;
  if (!given(v)) {
    eval_error(ev, sp, "E0641", "%s is required", what);
    return false;
  }
  if (!int_list(ev, v, sp, what, l, MAXL, &n)) return false;
  if (n == 1) l[1] = l[2] = l[0], l[0] = l[3] = 1, n = 4;
  else if (n == 2) l[2] = l[1], l[1] = l[0], l[0] = l[3] = 1, n = 4;
  if (n != 4) {
    eval_error(ev, sp, "E0641", "%s must have 1, 2 or 4 elements, got %d", what, n);
    return false;
  }
  if (l[0] != 1 || l[3] != 1) {
    eval_error(ev, sp, "E0641", "Current implementation does not yet support %s in the batch and depth dimensions.",
               what);
    return false;
  }
  out[0] = l[1];
  out[1] = l[2];
  return true;
}

static bool check_nhwc(Eval *ev, Value *df, Span sp) {
  const char *s;
  if (!opt_str(ev, df, sp, "data_format", &s)) return false;
  if (s && strcmp(s, "NHWC") != 0) {
    eval_error(ev, sp, "E0742", "data_format=\"%s\" is not supported (only NHWC)", s);
    return false;
  }
  return true;
}

/* Resolves an alias pair (axis/dim, keepdims/keep_dims): at most one may be given. */
static Value *alias(Eval *ev, Value *a, Value *b, const char *na, const char *nb, Span sp, bool *ok) {
  *ok = true;
  if (given(a) && given(b)) {
    eval_error(ev, sp, "E0643", "Cannot specify both '%s' and '%s'", na, nb);
    *ok = false;
    return NULL;
  }
  return given(a) ? a : b;
}

static GNode *arg_tensor(TfLib *t, Value *v, int hint, Span sp, const char *what) {
  if (!v) {
    eval_error(t->ev, sp, "E0641", "%s is required", what);
    return NULL;
  }
  return tf_to_node(t, v, hint, sp);
}

static Value *wrap(TfLib *t, GNode *n) { return n ? tf_wrap(t, n) : NULL; }

#define BIND(fname, params, out)                                                    \
  Value *out[sizeof(params) / sizeof(params[0])] = {0};                             \
  if (eval_bind(ev, fname, params, a, out) != 0) return NULL;                       \
  TfLib *t = tf_lib(ev);                                                            \
  Span sp = a->call_span;                                                           \
  const char *name = NULL;                                                          \
  (void)t; (void)sp; (void)name

#define NAME_ARG(v)                                                    \
  do {                                                                 \
    if (!opt_str(ev, (v), sp, "name", &name)) return NULL;             \
  } while (0)

/* ---- element-wise ops: one builtin function, the op in the Builtin's data ---- */

static Value *b_unary(Eval *ev, const Args *a, void *data) {
  static const char *const P[] = {"x", "name", NULL};
  BIND("unary", P, v);
  NAME_ARG(v[1]);
  GNode *x = arg_tensor(t, v[0], 0, sp, "x");
  return x ? wrap(t, tf_unary(t, (int)(intptr_t)data, x, name, sp)) : NULL;
}

static Value *b_binary(Eval *ev, const Args *a, void *data) {
  static const char *const P[] = {"x", "y", "name", NULL};
  BIND("binary", P, v);
  NAME_ARG(v[2]);
  if ((int)(intptr_t)data == SLIMRT_OP_DIV && tf_truediv_casts(v[0], v[1]))
    return wrap(t, tf_truediv(t, v[0], v[1], name, 0, sp));
  TfTensor *tx = tf_tensor_of(v[0]), *ty = tf_tensor_of(v[1]);
  int hint = tx ? tx->node->shape.dtype : ty ? ty->node->shape.dtype : 0;
  GNode *x = arg_tensor(t, v[0], hint, sp, "x");
  if (!x) return NULL;
  GNode *y = arg_tensor(t, v[1], x->shape.dtype, sp, "y");
  /* tf.add & co. are the generated ops (names "Add", "Sub", "Mul", "Pow"); only the
     Python operators are named "add", "sub", ... */
  int op = (int)(intptr_t)data;
  if (!name || !name[0])
    name = op == SLIMRT_OP_ADD ? "Add" : op == SLIMRT_OP_SUB ? "Sub" : op == SLIMRT_OP_MUL ? "Mul"
           : op == SLIMRT_OP_POW ? "Pow" : name;
  return y ? wrap(t, tf_binary(t, op, x, y, name, sp)) : NULL;
}

/* tf.less & co., tf.logical_*: generated ops (tf_gen_op); DATA is the op */
static Value *b_compare(Eval *ev, const Args *a, void *data) {
  static const char *const P[] = {"x", "y", "name", NULL};
  BIND("compare", P, v);
  NAME_ARG(v[2]);
  int op = (int)(intptr_t)data;
  static const int both_bool[2] = {SLIMRT_BOOL, SLIMRT_BOOL};
  bool logical = op == SLIMRT_OP_LOGICAL_AND || op == SLIMRT_OP_LOGICAL_OR;
  return wrap(t, tf_gen_op(t, op, name, slimrt_op_tf_type(op), v, P, logical ? both_bool : NULL, 2, 0, sp));
}

static Value *b_logical_not(Eval *ev, const Args *a, void *data) {
  static const char *const P[] = {"x", "name", NULL};
  BIND("logical_not", P, v);
  NAME_ARG(v[1]);
  static const int fixed[1] = {SLIMRT_BOOL};
  return wrap(t, tf_gen_op(t, SLIMRT_OP_LOGICAL_NOT, name, slimrt_op_tf_type(SLIMRT_OP_LOGICAL_NOT), v, P, fixed, 1, 0, sp));
}

/* tf.where (TF 1.x): where(condition, x, y) is Select; where(condition) (Where: the
   coordinates of true elements, a shape known only at run time) is not supported */
static Value *b_where(Eval *ev, const Args *a, void *data) {
  static const char *const P[] = {"condition", "x", "y", "name", NULL};
  BIND("where", P, v);
  NAME_ARG(v[3]);
  if (!given(v[1]) && !given(v[2]))
    return eval_error(ev, sp, "E0641", "tf.where(condition) without x and y (the Where op, whose output shape "
                                       "depends on the values) is not supported; pass x and y");
  if (!given(v[1]) || !given(v[2]))
    return eval_error(ev, sp, "E0641", "x and y must both be non-None or both be None.");
  static const char *const names[3] = {"condition", "t", "e"};
  static const int fixed[3] = {SLIMRT_BOOL, 0, 0};
  return wrap(t, tf_gen_op(t, SLIMRT_OP_SELECT, name, slimrt_op_tf_type(SLIMRT_OP_SELECT), v, names, fixed, 3, 0, sp));
}

static Value *b_floordiv(Eval *ev, const Args *a, void *data) {
  static const char *const P[] = {"x", "y", "name", NULL};
  BIND("floordiv", P, v);
  NAME_ARG(v[2]);
  return wrap(t, tf_gen_op(t, SLIMRT_OP_FLOOR_DIV, name, "floordiv", v, P, NULL, 2, 0, sp));
}

/* features/logits spellings of the activation ops. relu() and elu() are plain Python
   functions in TF (its "relu() missing 1 required positional argument" text); relu6's
   dispatch wrapper words it its own way, so a missing relu6 argument keeps slimc's text. */
static Value *b_activation(Eval *ev, const Args *a, void *data) {
  static const char *const P[] = {"features", "name", NULL};
  int op = (int)(intptr_t)data;
  const char *fname = op == SLIMRT_OP_RELU ? "relu" : op == SLIMRT_OP_ELU ? "elu" : "relu6";
  Value *v[3] = {0};
  if (eval_bind_checked(ev, fname, P, op == SLIMRT_OP_RELU6 ? 0 : 1, a, v) < 0) return NULL;
  TfLib *t = tf_lib(ev);
  Span sp = a->call_span;
  const char *name = NULL;
  NAME_ARG(v[1]);
  GNode *x = arg_tensor(t, v[0], 0, sp, "features");
  return x ? wrap(t, tf_unary(t, (int)(intptr_t)data, x, name, sp)) : NULL;
}

static Value *b_softmax(Eval *ev, const Args *a, void *data) {
  static const char *const P[] = {"logits", "axis", "name", "dim", NULL};
  BIND("softmax", P, v);
  NAME_ARG(v[2]);
  bool ok;
  Value *axis = alias(ev, v[1], v[3], "axis", "dim", sp, &ok);
  if (!ok) return NULL;
  GNode *x = arg_tensor(t, v[0], 0, sp, "logits");
  if (!x) return NULL;
  int64_t ax = -1;
  if (given(axis) && !eval_to_int(ev, axis, sp, "axis", &ax)) return NULL;
  if (ax != -1 && ax != x->shape.rank - 1)
    return eval_error(ev, sp, "E0644", "softmax over axis %lld of a rank-%d tensor is not supported (last axis only)",
                      (long long)ax, x->shape.rank);
  return wrap(t, tf_unary(t, (int)(intptr_t)data, x, name, sp));
}

static Value *b_identity(Eval *ev, const Args *a, void *data) {
  static const char *const P[] = {"input", "name", NULL};
  BIND("identity", P, v);
  NAME_ARG(v[1]);
  GNode *x = arg_tensor(t, v[0], 0, sp, "input");
  if (!x) return NULL;
  return wrap(t, tf_build(t, SLIMRT_OP_IDENTITY, name, data ? (const char *)data : "Identity", &x, 1, NULL, sp));
}

/* ---- nn ---- */

static Value *b_conv2d(Eval *ev, const Args *a, void *data) {
  static const char *const P[] = {"input", "filter", "strides", "padding", "use_cudnn_on_gpu", "data_format",
                                  "dilations", "name", "filters", NULL};
  BIND("conv2d", P, v);
  NAME_ARG(v[7]);
  bool ok;
  Value *filt = alias(ev, v[1], v[8], "filter", "filters", sp, &ok);
  if (!ok || !check_nhwc(ev, v[5], sp)) return NULL;
  int64_t s[2], r[2] = {1, 1};
  const char *padding;
  if (!nhwc4(ev, v[2], sp, "strides", s)) return NULL;
  if (given(v[6]) && !nhwc4(ev, v[6], sp, "dilations", r)) return NULL;
  if (!given(v[3])) return eval_error(ev, sp, "E0641", "padding is required");
  if (!eval_to_str(ev, v[3], sp, "padding", &padding)) return NULL;
  GNode *x = arg_tensor(t, v[0], 0, sp, "input");
  if (!x) return NULL;
  GNode *w = arg_tensor(t, filt, 0, sp, "filter");
  return w ? wrap(t, tf_conv2d(t, x, w, s, r, padding, name, sp)) : NULL;
}

static Value *b_depthwise(Eval *ev, const Args *a, void *data) {
  static const char *const P[] = {"input", "filter", "strides", "padding", "rate", "name", "data_format",
                                  "dilations", NULL};
  BIND("depthwise_conv2d", P, v);
  NAME_ARG(v[5]);
  bool ok;
  Value *rate = alias(ev, v[4], v[7], "rate", "dilations", sp, &ok);
  if (!ok || !check_nhwc(ev, v[6], sp)) return NULL;
  int64_t s[2], r[2] = {1, 1};
  const char *padding;
  if (!nhwc4(ev, v[2], sp, "strides", s)) return NULL;
  if (given(rate)) {
    int64_t l[MAXL];
    int n;
    if (!int_list(ev, rate, sp, "rate", l, MAXL, &n)) return NULL;
    if (n == 1) r[0] = r[1] = l[0];
    else if (n == 2) r[0] = l[0], r[1] = l[1];
    else if (!nhwc4(ev, rate, sp, "rate", r)) return NULL;
  }
  if (!given(v[3])) return eval_error(ev, sp, "E0641", "padding is required");
  if (!eval_to_str(ev, v[3], sp, "padding", &padding)) return NULL;
  GNode *x = arg_tensor(t, v[0], 0, sp, "input");
  if (!x) return NULL;
  GNode *w = arg_tensor(t, v[1], 0, sp, "filter");
  return w ? wrap(t, tf_depthwise_conv2d(t, x, w, s, r, padding, name, sp)) : NULL;
}

static Value *b_bias_add(Eval *ev, const Args *a, void *data) {
  static const char *const P[] = {"value", "bias", "data_format", "name", NULL};
  BIND("bias_add", P, v);
  NAME_ARG(v[3]);
  if (!check_nhwc(ev, v[2], sp)) return NULL;
  GNode *x = arg_tensor(t, v[0], 0, sp, "value");
  if (!x) return NULL;
  GNode *b = arg_tensor(t, v[1], x->shape.dtype, sp, "bias");
  return b ? wrap(t, tf_binary(t, SLIMRT_OP_BIAS_ADD, x, b, name, sp)) : NULL;
}

static Value *b_pool(Eval *ev, const Args *a, void *data) {
  static const char *const P[] = {"value", "ksize", "strides", "padding", "data_format", "name", "input", NULL};
  int op = (int)(intptr_t)data;
  BIND(op == SLIMRT_OP_MAX_POOL ? "max_pool" : "avg_pool", P, v);
  NAME_ARG(v[5]);
  bool ok;
  Value *val = alias(ev, v[0], v[6], "value", "input", sp, &ok);
  if (!ok || !check_nhwc(ev, v[4], sp)) return NULL;
  int64_t k[2], s[2];
  const char *padding;
  if (!nhwc4(ev, v[1], sp, "ksize", k) || !nhwc4(ev, v[2], sp, "strides", s)) return NULL;
  if (!given(v[3])) return eval_error(ev, sp, "E0641", "padding is required");
  if (!eval_to_str(ev, v[3], sp, "padding", &padding)) return NULL;
  GNode *x = arg_tensor(t, val, 0, sp, "value");
  return x ? wrap(t, tf_pool(t, op, x, k, s, padding, name, sp)) : NULL;
}

/* Reduction axes: None = all; int or list, negatives counted from the end. */
static bool reduce_axes(TfLib *t, Value *axis, const GNode *x, slimrt_attr *at, Span sp) {
  memset(at->reduce.axes, 0, sizeof at->reduce.axes);
  if (!given(axis)) {
    for (int i = 0; i < x->shape.rank; i++) at->reduce.axes[i] = 1;
    return true;
  }
  int64_t l[MAXL];
  int n;
  if (!int_list(t->ev, axis, sp, "axis", l, MAXL, &n)) return false;
  for (int i = 0; i < n; i++) {
    int64_t ax = l[i] < 0 ? l[i] + x->shape.rank : l[i];
    if (ax < 0 || ax >= x->shape.rank) {
      eval_error(t->ev, sp, "E0645", "Invalid reduction dimension %lld for input with %d dimensions.",
                 (long long)l[i], x->shape.rank);
      return false;
    }
    at->reduce.axes[ax] = 1;
  }
  return true;
}

static GNode *reduce(TfLib *t, int op, GNode *x, Value *axis, bool keep, const char *name, const char *dflt, Span sp) {
  slimrt_attr at = {0};
  if (!reduce_axes(t, axis, x, &at, sp)) return NULL;
  at.reduce.keepdims = keep;
  return tf_build(t, op, name, dflt, &x, 1, &at, sp);
}

static Value *b_reduce(Eval *ev, const Args *a, void *data) {
  static const char *const P[] = {"input_tensor", "axis", "keepdims", "name", "reduction_indices", "keep_dims", NULL};
  int op = (int)(intptr_t)data;
  BIND(op == SLIMRT_OP_REDUCE_MEAN ? "reduce_mean" : op == SLIMRT_OP_REDUCE_SUM ? "reduce_sum" : "reduce_max", P, v);
  NAME_ARG(v[3]);
  bool ok;
  Value *axis = alias(ev, v[1], v[4], "axis", "reduction_indices", sp, &ok);
  if (!ok) return NULL;
  Value *kd = alias(ev, v[2], v[5], "keepdims", "keep_dims", sp, &ok);
  if (!ok) return NULL;
  int keep = given(kd) ? eval_truthy(ev, kd, sp) : 0;
  if (keep < 0) return NULL;
  GNode *x = arg_tensor(t, v[0], 0, sp, "input_tensor");
  if (!x) return NULL;
  const char *dflt = op == SLIMRT_OP_REDUCE_MEAN ? "Mean" : op == SLIMRT_OP_REDUCE_SUM ? "Sum" : "Max";
  return wrap(t, reduce(t, op, x, axis, keep, name, dflt, sp));
}

/* Drops the reduced axes again (moments without keep_dims). */
static GNode *squeeze_axes(TfLib *t, GNode *x, const slimrt_attr *at, const char *name, Span sp) {
  int64_t d[MAXL];
  int r = 0;
  for (int i = 0; i < x->shape.rank; i++)
    if (!at->reduce.axes[i]) d[r++] = x->shape.dims[i];
  return tf_reshape(t, x, d, r, name, sp);
}

static Value *b_moments(Eval *ev, const Args *a, void *data) {
  static const char *const P[] = {"x", "axes", "shift", "name", "keep_dims", "keepdims", NULL};
  BIND("moments", P, v);
  NAME_ARG(v[3]);
  bool ok;
  Value *kd = alias(ev, v[4], v[5], "keep_dims", "keepdims", sp, &ok);
  if (!ok) return NULL;
  int keep = given(kd) ? eval_truthy(ev, kd, sp) : 0;
  if (keep < 0) return NULL;
  if (!given(v[1])) return eval_error(ev, sp, "E0641", "moments() missing required argument 'axes'");
  GNode *x = arg_tensor(t, v[0], 0, sp, "x");
  if (!x) return NULL;
  slimrt_attr at = {0};
  if (!reduce_axes(t, v[1], x, &at, sp)) return NULL;
  at.reduce.keepdims = 1;
  if (!tf_ns_name_ok(t, name, sp)) return NULL;
  const char *saved = tf_ns_open(t, name, "moments");
  GNode *mean = tf_build(t, SLIMRT_OP_REDUCE_MEAN, "mean", NULL, &x, 1, &at, sp);
  GNode *var = NULL;
  if (mean) {
    /* variance = mean((x - mean)^2), TF's squared_difference */
    GNode *d = tf_binary(t, SLIMRT_OP_SUB, x, mean, "SquaredDifference/sub", sp);
    GNode *sq = d ? tf_unary(t, SLIMRT_OP_SQUARE, d, "SquaredDifference", sp) : NULL;
    var = sq ? tf_build(t, SLIMRT_OP_REDUCE_MEAN, "variance", NULL, &sq, 1, &at, sp) : NULL;
  }
  if (var && !keep) {
    mean = squeeze_axes(t, mean, &at, "Squeeze", sp);
    var = mean ? squeeze_axes(t, var, &at, "Squeeze_1", sp) : NULL;
  }
  tf_ns_restore(t, saved);
  if (!mean || !var) return NULL;
  Value *r = val_tuple(ev, 2);
  r->u.list.items[0] = tf_wrap(t, mean);
  r->u.list.items[1] = tf_wrap(t, var);
  return r;
}

static Value *b_batch_normalization(Eval *ev, const Args *a, void *data) {
  static const char *const P[] = {"x", "mean", "variance", "offset", "scale", "variance_epsilon", "name", NULL};
  BIND("batch_normalization", P, v);
  NAME_ARG(v[6]);
  double eps;
  if (!v[5]) return eval_error(ev, sp, "E0641", "batch_normalization() missing required argument 'variance_epsilon'");
  if (!eval_to_float(ev, v[5], sp, "variance_epsilon", &eps)) return NULL;
  GNode *x = arg_tensor(t, v[0], 0, sp, "x");
  if (!x) return NULL;
  int dt = x->shape.dtype;
  GNode *mean = arg_tensor(t, v[1], dt, sp, "mean");
  GNode *var = mean ? arg_tensor(t, v[2], dt, sp, "variance") : NULL;
  GNode *off = var && given(v[3]) ? tf_to_node(t, v[3], dt, sp) : NULL;
  GNode *scale = var && given(v[4]) ? tf_to_node(t, v[4], dt, sp) : NULL;
  if (!var || (given(v[3]) && !off) || (given(v[4]) && !scale)) return NULL;
  if (!tf_ns_name_ok(t, name, sp)) return NULL;
  const char *saved = tf_ns_open(t, name, "batchnorm");
  GNode *out = NULL;
  /* inv = rsqrt(variance + eps) * scale; y = x * inv + (offset - mean * inv) */
  GNode *e = tf_const_values(t, val_float(ev, eps), dt, "add/y", sp);
  GNode *s = e ? tf_binary(t, SLIMRT_OP_ADD, var, e, NULL, sp) : NULL;
  GNode *inv = s ? tf_unary(t, SLIMRT_OP_RSQRT, s, NULL, sp) : NULL;
  if (inv && scale) inv = tf_binary(t, SLIMRT_OP_MUL, inv, scale, NULL, sp);
  GNode *xs = inv ? tf_binary(t, SLIMRT_OP_MUL, x, inv, "mul_1", sp) : NULL;
  GNode *ms = xs ? tf_binary(t, SLIMRT_OP_MUL, mean, inv, "mul_2", sp) : NULL;
  GNode *sh = NULL;
  if (ms) sh = off ? tf_binary(t, SLIMRT_OP_SUB, off, ms, NULL, sp) : tf_unary(t, SLIMRT_OP_NEG, ms, NULL, sp);
  if (sh) out = tf_binary(t, SLIMRT_OP_ADD, xs, sh, "add_1", sp);
  tf_ns_restore(t, saved);
  return wrap(t, out);
}

static Value *b_l2_normalize(Eval *ev, const Args *a, void *data) {
  static const char *const P[] = {"x", "axis", "epsilon", "name", "dim", NULL};
  BIND("l2_normalize", P, v);
  NAME_ARG(v[3]);
  bool ok;
  Value *axis = alias(ev, v[1], v[4], "axis", "dim", sp, &ok);
  if (!ok) return NULL;
  double eps = 1e-12;
  if (given(v[2]) && !eval_to_float(ev, v[2], sp, "epsilon", &eps)) return NULL;
  GNode *x = arg_tensor(t, v[0], 0, sp, "x");
  if (!x) return NULL;
  if (!tf_ns_name_ok(t, name, sp)) return NULL;
  const char *saved = tf_ns_open(t, name, "l2_normalize");
  const char *scope = t->name_stack;
  GNode *sq = tf_unary(t, SLIMRT_OP_SQUARE, x, NULL, sp);
  GNode *sum = sq ? reduce(t, SLIMRT_OP_REDUCE_SUM, sq, axis, true, NULL, "Sum", sp) : NULL;
  GNode *e = sum ? tf_const_values(t, val_float(ev, eps), x->shape.dtype, "Maximum/y", sp) : NULL;
  GNode *mx = e ? tf_binary(t, SLIMRT_OP_MAXIMUM, sum, e, NULL, sp) : NULL;
  GNode *inv = mx ? tf_unary(t, SLIMRT_OP_RSQRT, mx, NULL, sp) : NULL;
  /* the result carries the scope's own name, as TF's multiply(name=name) does */
  GNode *out = NULL;
  if (inv) {
    tf_ns_restore(t, saved);
    out = tf_binary(t, SLIMRT_OP_MUL, x, inv, arena_printf(t->arena, "%s/", scope), sp);
  }
  tf_ns_restore(t, saved);
  return wrap(t, out);
}

static Value *b_dropout(Eval *ev, const Args *a, void *data) {
  static const char *const P[] = {"x", "keep_prob", "noise_shape", "seed", "name", "rate", NULL};
  BIND("dropout", P, v);
  NAME_ARG(v[4]);
  double keep = 1.0;
  if (given(v[1]) && given(v[5])) return eval_error(ev, sp, "E0643", "Cannot specify both 'keep_prob' and 'rate'");
  if (given(v[1])) {
    if (!eval_to_float(ev, v[1], sp, "keep_prob", &keep)) return NULL;
  } else if (given(v[5])) {
    double rate;
    if (!eval_to_float(ev, v[5], sp, "rate", &rate)) return NULL;
    if (!(rate >= 0 && rate < 1))
      return eval_error(ev, sp, "E0646", "rate must be a scalar tensor or a float in the range [0, 1), got %g", rate);
    keep = 1 - rate;
  } else {
    return eval_error(ev, sp, "E0641", "dropout() needs keep_prob or rate");
  }
  if (!(keep > 0 && keep <= 1))
    return eval_error(ev, sp, "E0646", "keep_prob must be a scalar tensor or a float in the range (0, 1], got %g", keep);
  GNode *x = arg_tensor(t, v[0], 0, sp, "x");
  if (!x) return NULL;
  /* inference graph: dropout is the identity (keep_prob only matters for training) */
  if (!tf_ns_name_ok(t, name, sp)) return NULL;
  const char *saved = tf_ns_open(t, name, "dropout");
  GNode *out = tf_build(t, SLIMRT_OP_IDENTITY, NULL, "Identity", &x, 1, NULL, sp);
  tf_ns_restore(t, saved);
  return wrap(t, out);
}

/* ---- tf.* ---- */

static Value *b_matmul(Eval *ev, const Args *a, void *data) {
  static const char *const P[] = {"a", "b", "transpose_a", "transpose_b", "adjoint_a", "adjoint_b", "a_is_sparse",
                                  "b_is_sparse", "name", NULL};
  BIND("matmul", P, v);
  NAME_ARG(v[8]);
  int ta = given(v[2]) ? eval_truthy(ev, v[2], sp) : 0, tb = given(v[3]) ? eval_truthy(ev, v[3], sp) : 0;
  int aa = given(v[4]) ? eval_truthy(ev, v[4], sp) : 0, ab = given(v[5]) ? eval_truthy(ev, v[5], sp) : 0;
  if (ta < 0 || tb < 0 || aa < 0 || ab < 0) return NULL;
  TfTensor *tx = tf_tensor_of(v[0]);
  GNode *x = arg_tensor(t, v[0], 0, sp, "a");
  if (!x) return NULL;
  GNode *y = arg_tensor(t, v[1], tx ? x->shape.dtype : 0, sp, "b");
  return y ? wrap(t, tf_matmul(t, x, y, ta || aa, tb || ab, name, sp)) : NULL;
}

static bool shape_arg(TfLib *t, Value *v, Span sp, int64_t *dims, int *rank) {
  if (v->kind == V_EXT && !tf_tensor_of(v)) {
    /* a TensorShape: through its list form */
    Value *l = eval_iter_list(t->ev, v, sp);
    if (!l) return false;
    v = l;
  }
  if (v->kind == V_LIST || v->kind == V_TUPLE)
    for (int i = 0; i < v->u.list.n; i++)
      if (v->u.list.items[i]->kind == V_NONE) v->u.list.items[i] = val_int(t->ev, -1);
  return int_list(t->ev, v, sp, "shape", dims, MAXL, rank);
}

static Value *b_reshape(Eval *ev, const Args *a, void *data) {
  static const char *const P[] = {"tensor", "shape", "name", NULL};
  BIND("reshape", P, v);
  NAME_ARG(v[2]);
  int64_t d[MAXL];
  int r;
  if (!v[1]) return eval_error(ev, sp, "E0641", "reshape() missing required argument 'shape'");
  if (!shape_arg(t, v[1], sp, d, &r)) return NULL;
  if (v[1]->kind == V_INT) r = 1;
  GNode *x = arg_tensor(t, v[0], 0, sp, "tensor");
  return x ? wrap(t, tf_reshape(t, x, d, r, name, sp)) : NULL;
}

static Value *b_squeeze(Eval *ev, const Args *a, void *data) {
  static const char *const P[] = {"input", "axis", "name", "squeeze_dims", NULL};
  BIND("squeeze", P, v);
  NAME_ARG(v[2]);
  bool ok;
  Value *axis = alias(ev, v[1], v[3], "axis", "squeeze_dims", sp, &ok);
  if (!ok) return NULL;
  GNode *x = arg_tensor(t, v[0], 0, sp, "input");
  if (!x) return NULL;
  bool drop[MAXL] = {0};
  if (given(axis)) {
    int64_t l[MAXL];
    int n;
    if (!int_list(ev, axis, sp, "axis", l, MAXL, &n)) return NULL;
    for (int i = 0; i < n; i++) {
      int64_t ax = l[i] < 0 ? l[i] + x->shape.rank : l[i];
      if (ax < 0 || ax >= x->shape.rank)
        return eval_error(ev, sp, "E0647", "Tried to squeeze dim index %lld for tensor with %d dimensions.",
                          (long long)l[i], x->shape.rank);
      if (x->shape.dims[ax] != 1) {
        char s[128];
        return eval_error(ev, sp, "E0647", "Can not squeeze dim[%lld], expected a dimension of 1, got %lld for input shape %s",
                          (long long)ax, (long long)x->shape.dims[ax], gshape_str(&x->shape, s, sizeof s));
      }
      drop[ax] = true;
    }
  } else {
    for (int i = 0; i < x->shape.rank; i++) drop[i] = x->shape.dims[i] == 1;
  }
  int64_t d[MAXL];
  int r = 0;
  for (int i = 0; i < x->shape.rank; i++)
    if (!drop[i]) d[r++] = x->shape.dims[i];
  GShape out = {.dtype = x->shape.dtype, .rank = r};
  memcpy(out.dims, d, sizeof(int64_t) * (size_t)r);
  return wrap(t, tf_build_shaped(t, SLIMRT_OP_RESHAPE, name, "Squeeze", &x, 1, NULL, out, sp));
}

static Value *b_expand_dims(Eval *ev, const Args *a, void *data) {
  static const char *const P[] = {"input", "axis", "name", "dim", NULL};
  BIND("expand_dims", P, v);
  NAME_ARG(v[2]);
  bool ok;
  Value *axis = alias(ev, v[1], v[3], "axis", "dim", sp, &ok);
  if (!ok) return NULL;
  int64_t ax;
  if (!given(axis)) return eval_error(ev, sp, "E0641", "expand_dims() needs axis");
  if (!eval_to_int(ev, axis, sp, "axis", &ax)) return NULL;
  GNode *x = arg_tensor(t, v[0], 0, sp, "input");
  if (!x) return NULL;
  int r = x->shape.rank;
  if (ax < -r - 1 || ax > r)
    return eval_error(ev, sp, "E0647", "Tried to expand dim index %lld for tensor with %d dimensions.", (long long)ax, r);
  if (r + 1 > MAXL) return eval_error(ev, sp, "E0647", "expand_dims would exceed %d dimensions", MAXL);
  if (ax < 0) ax += r + 1;
  GShape out = {.dtype = x->shape.dtype, .rank = r + 1};
  for (int i = 0, j = 0; i <= r; i++) out.dims[i] = i == ax ? 1 : x->shape.dims[j++];
  return wrap(t, tf_build_shaped(t, SLIMRT_OP_RESHAPE, name, "ExpandDims", &x, 1, NULL, out, sp));
}

static Value *b_concat(Eval *ev, const Args *a, void *data) {
  /* tf.concat(values, axis) (TF >= 1.0) and the old tf.concat(concat_dim, values) by keyword */
  static const char *const P[] = {"values", "axis", "name", "concat_dim", NULL};
  BIND("concat", P, v);
  NAME_ARG(v[2]);
  Value *vals = v[0], *axis = v[1];
  if (given(v[3])) {
    if (given(axis) && !tf_tensor_of(axis) && axis->kind != V_INT)
      return eval_error(ev, sp, "E0643", "Cannot specify both 'axis' and 'concat_dim'");
    axis = v[3];
  }
  /* old positional order concat(0, [a, b]) */
  if (vals && vals->kind == V_INT && axis && (axis->kind == V_LIST || axis->kind == V_TUPLE)) {
    Value *tmp = vals;
    vals = axis;
    axis = tmp;
  }
  if (!vals || (vals->kind != V_LIST && vals->kind != V_TUPLE))
    return eval_error(ev, sp, "E0648", "concat() values must be a list of tensors, got %s",
                      vals ? val_type_name(vals) : "nothing");
  int64_t ax;
  if (!given(axis)) return eval_error(ev, sp, "E0641", "concat() missing required argument 'axis'");
  if (!eval_to_int(ev, axis, sp, "axis", &ax)) return NULL;
  int n = vals->u.list.n;
  if (n == 0) return eval_error(ev, sp, "E0648", "List argument 'values' to 'ConcatV2' Op with length 0 shorter than "
                                                 "minimum length 1.");
  GNode **in = arena_alloc(t->arena, sizeof *in * (size_t)n);
  int hint = 0;
  for (int i = 0; i < n; i++)
    if (tf_tensor_of(vals->u.list.items[i]) && !hint) hint = tf_tensor_of(vals->u.list.items[i])->node->shape.dtype;
  for (int i = 0; i < n; i++)
    if (!(in[i] = tf_to_node(t, vals->u.list.items[i], hint, sp))) return NULL;
  if (n == 1) /* TF returns identity(values[0]) */
    return wrap(t, tf_build(t, SLIMRT_OP_IDENTITY, name, "concat", in, 1, NULL, sp));
  slimrt_attr at = {.concat = {ax}};
  return wrap(t, tf_build(t, SLIMRT_OP_CONCAT, name, "concat", in, n, &at, sp));
}

static Value *b_pad(Eval *ev, const Args *a, void *data) {
  static const char *const P[] = {"tensor", "paddings", "mode", "name", "constant_values", NULL};
  BIND("pad", P, v);
  NAME_ARG(v[3]);
  const char *mode = NULL;
  if (!opt_str(ev, v[2], sp, "mode", &mode)) return NULL;
  if (mode && strcasecmp(mode, "CONSTANT") != 0)
    return eval_error(ev, sp, "E0649", "pad mode '%s' is not supported (only CONSTANT)", mode);
  double cv = 0;
  if (given(v[4]) && !eval_to_float(ev, v[4], sp, "constant_values", &cv)) return NULL;
  GNode *x = arg_tensor(t, v[0], 0, sp, "tensor");
  if (!x) return NULL;
  Value *p = v[1];
  if (!p || (p->kind != V_LIST && p->kind != V_TUPLE))
    return eval_error(ev, sp, "E0649", "paddings must be a list of [before, after] pairs");
  if (p->u.list.n != x->shape.rank) {
    char s[128];
    return eval_error(ev, sp, "E0649", "The first dimension of paddings must be the rank of inputs[%d,2], input shape %s",
                      p->u.list.n, gshape_str(&x->shape, s, sizeof s));
  }
  slimrt_attr at = {.pad = {.value = cv}};
  for (int i = 0; i < p->u.list.n; i++) {
    int64_t pr[MAXL];
    int n;
    if (!int_list(ev, p->u.list.items[i], sp, "paddings", pr, MAXL, &n)) return NULL;
    if (n != 2) return eval_error(ev, sp, "E0649", "each paddings entry must be [before, after], got %d numbers", n);
    at.pad.before[i] = pr[0];
    at.pad.after[i] = pr[1];
  }
  return wrap(t, tf_build(t, SLIMRT_OP_PAD, name, "Pad", &x, 1, &at, sp));
}

static Value *b_transpose(Eval *ev, const Args *a, void *data) {
  static const char *const P[] = {"a", "perm", "name", "conjugate", NULL};
  BIND("transpose", P, v);
  NAME_ARG(v[2]);
  GNode *x = arg_tensor(t, v[0], 0, sp, "a");
  if (!x) return NULL;
  slimrt_attr at = {0};
  if (given(v[1])) {
    int64_t l[MAXL];
    int n;
    if (!int_list(ev, v[1], sp, "perm", l, MAXL, &n)) return NULL;
    if (n != x->shape.rank)
      return eval_error(ev, sp, "E0650", "transpose expects a vector of size %d. But input(1) is a vector of size %d",
                        x->shape.rank, n);
    memcpy(at.transpose.perm, l, sizeof(int64_t) * (size_t)n);
  } else {
    for (int i = 0; i < x->shape.rank; i++) at.transpose.perm[i] = x->shape.rank - 1 - i;
  }
  return wrap(t, tf_build(t, SLIMRT_OP_TRANSPOSE, name, "transpose", &x, 1, &at, sp));
}

static int dtype_arg(Eval *ev, Value *v, Span sp, int dflt) {
  if (!given(v)) return dflt;
  int dt = tf_dtype_of(v);
  if (!dt) {
    eval_error(ev, sp, "E0651", "expected a dtype (tf.float32, 'float32', ...), got %s", val_repr(ev, v));
    return -1;
  }
  return dt;
}

static Value *b_cast(Eval *ev, const Args *a, void *data) {
  static const char *const P[] = {"x", "dtype", "name", NULL};
  BIND("cast", P, v);
  NAME_ARG(v[2]);
  if (!given(v[1])) return eval_error(ev, sp, "E0641", "cast() missing required argument 'dtype'");
  int dt = dtype_arg(ev, v[1], sp, 0);
  if (dt < 0) return NULL;
  GNode *x = arg_tensor(t, v[0], 0, sp, "x");
  return x ? wrap(t, tf_cast(t, x, dt, name, sp)) : NULL;
}

static Value *b_argmax(Eval *ev, const Args *a, void *data) {
  static const char *const P[] = {"input", "axis", "name", "dimension", "output_type", NULL};
  BIND("argmax", P, v);
  NAME_ARG(v[2]);
  bool ok;
  Value *axis = alias(ev, v[1], v[3], "axis", "dimension", sp, &ok);
  if (!ok) return NULL;
  int64_t ax = 0; /* TF 1.x: axis None means 0 */
  if (given(axis) && !eval_to_int(ev, axis, sp, "axis", &ax)) return NULL;
  int ot = dtype_arg(ev, v[4], sp, SLIMRT_I64);
  if (ot < 0) return NULL;
  if (ot != SLIMRT_I64 && ot != SLIMRT_I32)
    return eval_error(ev, sp, "E0651", "argmax output_type must be int32 or int64");
  GNode *x = arg_tensor(t, v[0], 0, sp, "input");
  if (!x) return NULL;
  slimrt_attr at = {.argmax = {ax}};
  GNode *r = tf_build(t, SLIMRT_OP_ARGMAX, name, "ArgMax", &x, 1, &at, sp);
  /* the kernel yields int64; int32 output is a cast after it */
  if (r && ot == SLIMRT_I32) r = tf_cast(t, r, SLIMRT_I32, NULL, sp);
  return wrap(t, r);
}

static Value *b_one_hot(Eval *ev, const Args *a, void *data) {
  static const char *const P[] = {"indices", "depth", "on_value", "off_value", "axis", "dtype", "name", NULL};
  BIND("one_hot", P, v);
  NAME_ARG(v[6]);
  int64_t depth, axis = -1;
  double on = 1, off = 0;
  if (!v[1]) return eval_error(ev, sp, "E0641", "one_hot() missing required argument 'depth'");
  if (!eval_to_int(ev, v[1], sp, "depth", &depth)) return NULL;
  if (given(v[2]) && !eval_to_float(ev, v[2], sp, "on_value", &on)) return NULL;
  if (given(v[3]) && !eval_to_float(ev, v[3], sp, "off_value", &off)) return NULL;
  if (given(v[4]) && !eval_to_int(ev, v[4], sp, "axis", &axis)) return NULL;
  int dt = dtype_arg(ev, v[5], sp, SLIMRT_F32);
  if (dt < 0) return NULL;
  if (dt != SLIMRT_F32) return eval_error(ev, sp, "E0651", "one_hot dtype %s is not supported (float32 only)",
                                          slimrt_dtype_name(dt));
  GNode *x = arg_tensor(t, v[0], 0, sp, "indices");
  if (!x) return NULL;
  slimrt_attr at = {.onehot = {depth, axis, on, off}};
  return wrap(t, tf_build(t, SLIMRT_OP_ONE_HOT, name, "one_hot", &x, 1, &at, sp));
}

static Value *b_tile(Eval *ev, const Args *a, void *data) {
  static const char *const P[] = {"input", "multiples", "name", NULL};
  BIND("tile", P, v);
  NAME_ARG(v[2]);
  GNode *x = arg_tensor(t, v[0], 0, sp, "input");
  if (!x) return NULL;
  int64_t l[MAXL];
  int n;
  if (!v[1] || !int_list(ev, v[1], sp, "multiples", l, MAXL, &n)) return v[1] ? NULL : eval_error(ev, sp, "E0641", "tile() needs multiples");
  if (n != x->shape.rank)
    return eval_error(ev, sp, "E0652", "Expected multiples argument to be a vector of length %d but got length %d",
                      x->shape.rank, n);
  slimrt_attr at = {0};
  memcpy(at.tile.multiples, l, sizeof(int64_t) * (size_t)n);
  return wrap(t, tf_build(t, SLIMRT_OP_TILE, name, "Tile", &x, 1, &at, sp));
}

/* Fills a constant of SHAPE with VALUE (tf.constant(3.0, shape=[2,2]), zeros, ones). */
static GNode *filled(TfLib *t, int dt, const int64_t *dims, int rank, double value, const char *name,
                     const char *dflt, Span sp) {
  GShape s = {.dtype = dt, .rank = rank};
  memcpy(s.dims, dims, sizeof(int64_t) * (size_t)rank);
  int64_t n = gshape_count(&s);
  int size = slimrt_dtype_size(dt);
  if (n < 0) {
    eval_error(t->ev, sp, "E0653", "constant shape must be fully known and non-negative");
    return NULL;
  }
  if (size == 0 || n > (int64_t)(1 << 28) / size) {
    eval_error(t->ev, sp, "E0653", "constant of %lld elements of %s is too large or unsupported", (long long)n,
               slimrt_dtype_name(dt) ? slimrt_dtype_name(dt) : "?");
    return NULL;
  }
  void *data = arena_alloc(t->arena, (size_t)(n ? n : 1) * (size_t)size);
  for (int64_t i = 0; i < n; i++) {
    switch (dt) {
    case SLIMRT_F32: ((float *)data)[i] = (float)value; break;
    case SLIMRT_F64: ((double *)data)[i] = value; break;
    case SLIMRT_I32: ((int32_t *)data)[i] = (int32_t)value; break;
    case SLIMRT_I64: ((int64_t *)data)[i] = (int64_t)value; break;
    case SLIMRT_U8: case SLIMRT_I8: case SLIMRT_BOOL: ((uint8_t *)data)[i] = (uint8_t)value; break;
    case SLIMRT_I16: ((int16_t *)data)[i] = (int16_t)value; break;
    default: eval_error(t->ev, sp, "E0512", "constants of dtype %s are not supported", slimrt_dtype_name(dt)); return NULL;
    }
  }
  return graph_const(t->graph, tf_node_name(t, name, dflt), s, data, sp);
}

static Value *b_constant(Eval *ev, const Args *a, void *data) {
  static const char *const P[] = {"value", "dtype", "shape", "name", "verify_shape", NULL};
  BIND("constant", P, v);
  NAME_ARG(v[3]);
  int dt = dtype_arg(ev, v[1], sp, 0);
  if (dt < 0) return NULL;
  if (!v[0]) return eval_error(ev, sp, "E0641", "constant() missing required argument 'value'");
  if (tf_tensor_of(v[0])) return eval_error(ev, sp, "E0654", "tf.constant needs a Python value, got a Tensor");
  if (given(v[2])) {
    int64_t d[MAXL];
    int r;
    if (!shape_arg(t, v[2], sp, d, &r)) return NULL;
    if (v[2]->kind == V_INT) r = 1;
    if (v[0]->kind == V_INT || v[0]->kind == V_FLOAT || v[0]->kind == V_BOOL) {
      if (!dt) dt = v[0]->kind == V_FLOAT ? SLIMRT_F32 : v[0]->kind == V_BOOL ? SLIMRT_BOOL : SLIMRT_I32;
      double x = v[0]->kind == V_FLOAT ? v[0]->u.f : v[0]->kind == V_INT ? (double)v[0]->u.i : v[0]->u.b;
      return wrap(t, filled(t, dt, d, r, x, name, "Const", sp));
    }
    GNode *c = tf_const_values(t, v[0], dt, name, sp);
    if (!c) return NULL;
    GShape want = {.rank = r};
    memcpy(want.dims, d, sizeof(int64_t) * (size_t)r);
    if (gshape_count(&want) != gshape_count(&c->shape)) {
      char s1[128], s2[128];
      return eval_error(ev, sp, "E0654", "Expected Tensor's shape: %s, got %s.", gshape_tf_str(&want, s1, sizeof s1),
                        gshape_tf_str(&c->shape, s2, sizeof s2));
    }
    c->shape.rank = r; /* same elements, the requested dims */
    memcpy(c->shape.dims, d, sizeof(int64_t) * (size_t)r);
    return wrap(t, c);
  }
  return wrap(t, tf_const_values(t, v[0], dt, name, sp));
}

static Value *b_fill(Eval *ev, const Args *a, void *data) {
  static const char *const P[] = {"shape", "dtype", "name", NULL};
  bool ones = data != NULL;
  BIND(ones ? "ones" : "zeros", P, v);
  NAME_ARG(v[2]);
  int dt = dtype_arg(ev, v[1], sp, SLIMRT_F32);
  if (dt < 0) return NULL;
  int64_t d[MAXL];
  int r;
  if (!v[0]) return eval_error(ev, sp, "E0641", "missing required argument 'shape'");
  if (!shape_arg(t, v[0], sp, d, &r)) return NULL;
  if (v[0]->kind == V_INT) r = 1;
  return wrap(t, filled(t, dt, d, r, ones ? 1.0 : 0.0, name, ones ? "ones" : "zeros", sp));
}

static Value *b_fill_like(Eval *ev, const Args *a, void *data) {
  static const char *const P[] = {"tensor", "dtype", "name", "optimize", NULL};
  bool ones = data != NULL;
  BIND(ones ? "ones_like" : "zeros_like", P, v);
  NAME_ARG(v[2]);
  GNode *x = arg_tensor(t, v[0], 0, sp, "tensor");
  if (!x) return NULL;
  int dt = dtype_arg(ev, v[1], sp, x->shape.dtype);
  if (dt < 0) return NULL;
  return wrap(t, filled(t, dt, x->shape.dims, x->shape.rank, ones ? 1.0 : 0.0, name, ones ? "ones_like" : "zeros_like",
                        sp));
}

/* ---- initializers ---- */

static const char *init_repr(Eval *ev, Value *self) {
  TfInit *i = self->u.ext.data;
  return i->init.text ? i->init.text : i->name;
}

static const ExtType init_type = {.name = "Initializer", .repr = init_repr};

TfInit *tf_init_of(Value *v) { return v && val_is_ext(v, &init_type) ? v->u.ext.data : NULL; }

static Value *new_init(Eval *ev, const char *name, GInit in) {
  TfInit *i = arena_alloc(eval_arena(ev), sizeof *i);
  i->init = in;
  i->name = name;
  return val_ext(ev, &init_type, i);
}

/* Which initializer a builtin makes. */
enum { I_ZEROS, I_ONES, I_CONSTANT, I_TRUNC, I_NORMAL, I_UNIFORM, I_GLOROT_U, I_GLOROT_N, I_TF_VS, I_SLIM_VS, I_XAVIER };

static const char *fmt_g(Eval *ev, double d) { return arena_printf(eval_arena(ev), "%g", d); }

static Value *b_init(Eval *ev, const Args *a, void *data) {
  int kind = (int)(intptr_t)data;
  static const char *const P0[] = {"dtype", NULL};
  static const char *const PC[] = {"value", "dtype", "verify_shape", NULL};
  static const char *const PN[] = {"mean", "stddev", "seed", "dtype", NULL};
  static const char *const PU[] = {"minval", "maxval", "seed", "dtype", NULL};
  static const char *const PG[] = {"seed", "dtype", NULL};
  static const char *const PV[] = {"scale", "mode", "distribution", "seed", "dtype", NULL};
  static const char *const PS[] = {"factor", "mode", "uniform", "seed", "dtype", NULL};
  static const char *const PX[] = {"uniform", "seed", "dtype", NULL};
  const char *const *P = kind <= I_ONES ? P0 : kind == I_CONSTANT ? PC : kind <= I_NORMAL ? PN : kind == I_UNIFORM ? PU
                         : kind <= I_GLOROT_N ? PG : kind == I_TF_VS ? PV : kind == I_SLIM_VS ? PS : PX;
  Value *v[6] = {0};
  Span sp = a->call_span;
  if (eval_bind(ev, "initializer", P, a, v) != 0) return NULL;
  GInit in = {0};
  switch (kind) {
  case I_ZEROS: in.kind = GINIT_ZEROS; in.text = "zeros_initializer()"; break;
  case I_ONES: in.kind = GINIT_ONES; in.text = "ones_initializer()"; break;
  case I_CONSTANT: {
    in.kind = GINIT_CONSTANT;
    Value *val = given(v[0]) ? v[0] : val_int(ev, 0);
    if (val->kind == V_LIST || val->kind == V_TUPLE) {
      /* nested lists flatten in C order; a shorter list is padded with its last element when used */
      Value *l = val;
      int n = l->u.list.n;
      double *d = arena_alloc(eval_arena(ev), sizeof *d * (size_t)(n ? n : 1));
      for (int i = 0; i < n; i++)
        if (!eval_to_float(ev, l->u.list.items[i], sp, "constant_initializer value", &d[i])) return NULL;
      in.values = d;
      in.nvalues = n;
      in.text = arena_printf(eval_arena(ev), "constant_initializer(%s)", val_repr(ev, val));
    } else {
      if (!eval_to_float(ev, val, sp, "constant_initializer value", &in.mean)) return NULL;
      in.text = arena_printf(eval_arena(ev), "constant_initializer(%s)", fmt_g(ev, in.mean));
    }
    break;
  }
  case I_TRUNC:
  case I_NORMAL:
    in.kind = kind == I_TRUNC ? GINIT_TRUNCATED_NORMAL : GINIT_RANDOM_NORMAL;
    in.stddev = 1.0;
    if (given(v[0]) && !eval_to_float(ev, v[0], sp, "mean", &in.mean)) return NULL;
    if (given(v[1]) && !eval_to_float(ev, v[1], sp, "stddev", &in.stddev)) return NULL;
    in.text = arena_printf(eval_arena(ev), "%s(mean=%g, stddev=%g)",
                           kind == I_TRUNC ? "truncated_normal_initializer" : "random_normal_initializer", in.mean,
                           in.stddev);
    break;
  case I_UNIFORM:
    in.kind = GINIT_RANDOM_UNIFORM;
    in.maxval = 1.0;
    if (given(v[0]) && !eval_to_float(ev, v[0], sp, "minval", &in.minval)) return NULL;
    if (given(v[1]) && !eval_to_float(ev, v[1], sp, "maxval", &in.maxval)) return NULL;
    in.text = arena_printf(eval_arena(ev), "random_uniform_initializer(minval=%g, maxval=%g)", in.minval, in.maxval);
    break;
  case I_GLOROT_U:
  case I_GLOROT_N:
    in.kind = GINIT_VARIANCE_SCALING;
    in.factor = 1.0;
    in.mode = 2;
    in.uniform = kind == I_GLOROT_U;
    in.text = kind == I_GLOROT_U ? "glorot_uniform_initializer()" : "glorot_normal_initializer()";
    break;
  case I_TF_VS: {
    in.kind = GINIT_VARIANCE_SCALING;
    in.factor = 1.0;
    const char *mode = "fan_in", *dist = "normal";
    if (given(v[0]) && !eval_to_float(ev, v[0], sp, "scale", &in.factor)) return NULL;
    if (!opt_str(ev, v[1], sp, "mode", &mode) || !opt_str(ev, v[2], sp, "distribution", &dist)) return NULL;
    if (!mode) mode = "fan_in";
    if (!dist) dist = "normal";
    if (in.factor <= 0) return eval_error(ev, sp, "E0660", "`scale` must be positive float.");
    if (!strcmp(mode, "fan_in")) in.mode = 0;
    else if (!strcmp(mode, "fan_out")) in.mode = 1;
    else if (!strcmp(mode, "fan_avg")) in.mode = 2;
    else return eval_error(ev, sp, "E0660", "Invalid `mode` argument: %s", mode);
    if (!strcmp(dist, "uniform")) in.uniform = true;
    else if (strcmp(dist, "normal") && strcmp(dist, "truncated_normal"))
      return eval_error(ev, sp, "E0660", "Invalid `distribution` argument: %s", dist);
    in.text = arena_printf(eval_arena(ev), "variance_scaling_initializer(scale=%g, mode=%s, distribution=%s)",
                           in.factor, mode, dist);
    break;
  }
  case I_SLIM_VS:
  case I_XAVIER: {
    in.kind = GINIT_VARIANCE_SCALING;
    in.factor = kind == I_XAVIER ? 1.0 : 2.0;
    const char *mode = kind == I_XAVIER ? "FAN_AVG" : "FAN_IN";
    Value *uni = kind == I_XAVIER ? v[0] : v[2];
    int u = kind == I_XAVIER ? 1 : 0;
    if (given(uni) && (u = eval_truthy(ev, uni, sp)) < 0) return NULL;
    if (kind == I_SLIM_VS) {
      if (given(v[0]) && !eval_to_float(ev, v[0], sp, "factor", &in.factor)) return NULL;
      if (!opt_str(ev, v[1], sp, "mode", &mode)) return NULL;
      if (!mode) mode = "FAN_IN";
    }
    if (!strcmp(mode, "FAN_IN")) in.mode = 0;
    else if (!strcmp(mode, "FAN_OUT")) in.mode = 1;
    else if (!strcmp(mode, "FAN_AVG")) in.mode = 2;
    else return eval_error(ev, sp, "E0660", "Unknown mode %s [FAN_IN, FAN_OUT, FAN_AVG]", mode);
    in.uniform = u;
    in.truncate_1_3 = !u;
    in.text = kind == I_XAVIER ? (u ? "xavier_initializer()" : "xavier_initializer(uniform=False)")
                               : arena_printf(eval_arena(ev), "variance_scaling_initializer(factor=%g, mode=%s, uniform=%s)",
                                              in.factor, mode, u ? "True" : "False");
    break;
  }
  }
  return new_init(ev, in.text, in);
}

/* ---- regularizers ---- */

static Value *reg_call(Eval *ev, Value *self, const Args *a);

static const char *reg_repr(Eval *ev, Value *self) {
  TfRegularizer *r = self->u.ext.data;
  switch (r->kind) {
  case 0: return arena_printf(eval_arena(ev), "l1_regularizer(%g)", r->l1);
  case 1: return arena_printf(eval_arena(ev), "l2_regularizer(%g)", r->l2);
  case 2: return arena_printf(eval_arena(ev), "l1_l2_regularizer(%g, %g)", r->l1, r->l2);
  default: return "sum_regularizer";
  }
}

static const ExtType reg_type = {.name = "Regularizer", .call = reg_call, .repr = reg_repr};

TfRegularizer *tf_regularizer_of(Value *v) { return v && val_is_ext(v, &reg_type) ? v->u.ext.data : NULL; }

/* scale * reduce_sum(abs(w)) or scale * sum(w^2)/2, in name scope SCOPE; the final op carries the scope's name. */
static GNode *reg_term(TfLib *t, int kind, double scale, GNode *w, const char *scope, Span sp) {
  const char *saved = tf_ns_open(t, NULL, scope);
  const char *here = t->name_stack;
  int dt = w->shape.dtype;
  GNode *s = tf_const_values(t, val_float(t->ev, scale), dt, "scale", sp);
  GNode *loss = NULL;
  if (s && kind == 0) {
    GNode *ab = tf_unary(t, SLIMRT_OP_ABS, w, NULL, sp);
    loss = ab ? reduce(t, SLIMRT_OP_REDUCE_SUM, ab, NULL, false, NULL, "Sum", sp) : NULL;
  } else if (s) {
    /* nn.l2_loss(w) = sum(w ** 2) / 2 */
    const char *l2 = t->name_stack;
    const char *in = tf_ns_open(t, NULL, "L2Loss");
    GNode *sq = tf_unary(t, SLIMRT_OP_SQUARE, w, NULL, sp);
    GNode *sum = sq ? reduce(t, SLIMRT_OP_REDUCE_SUM, sq, NULL, false, NULL, "Sum", sp) : NULL;
    GNode *half = sum ? tf_const_values(t, val_float(t->ev, 0.5), dt, "y", sp) : NULL;
    const char *ls = t->name_stack;
    tf_ns_restore(t, in);
    (void)l2;
    loss = half ? tf_binary(t, SLIMRT_OP_MUL, sum, half, arena_printf(t->arena, "%s/", ls), sp) : NULL;
  }
  GNode *out = NULL;
  if (loss) {
    tf_ns_restore(t, saved);
    out = tf_binary(t, SLIMRT_OP_MUL, s, loss, arena_printf(t->arena, "%s/", here), sp);
  }
  tf_ns_restore(t, saved);
  return out;
}

static GNode *reg_apply(TfLib *t, TfRegularizer *r, GNode *w, Span sp) {
  switch (r->kind) {
  case 0: return reg_term(t, 0, r->l1, w, r->op_name, sp);
  case 1: return reg_term(t, 1, r->l2, w, r->op_name, sp);
  case 2: {
    /* tf-slim: add_n([l1(w), l2(w)]) under name scope l1_l2_regularizer */
    const char *saved = tf_ns_open(t, NULL, r->op_name);
    const char *here = t->name_stack;
    GNode *a = reg_term(t, 0, r->l1, w, "l1_regularizer", sp);
    GNode *b = a ? reg_term(t, 1, r->l2, w, "l2_regularizer", sp) : NULL;
    GNode *out = NULL;
    if (b) {
      tf_ns_restore(t, saved);
      out = tf_binary(t, SLIMRT_OP_ADD, a, b, arena_printf(t->arena, "%s/", here), sp);
    }
    tf_ns_restore(t, saved);
    return out;
  }
  default: {
    const char *saved = tf_ns_open(t, NULL, "sum_regularizer");
    const char *here = t->name_stack;
    GNode *acc = NULL;
    for (int i = 0; i < r->parts.n; i++) {
      TfRegularizer *p = r->parts.items[i];
      if ((p->kind == 0 && p->l1 == 0) || (p->kind == 1 && p->l2 == 0)) continue; /* disabled: returns None */
      GNode *term = reg_apply(t, p, w, sp);
      if (!term) {
        tf_ns_restore(t, saved);
        return NULL;
      }
      acc = acc ? tf_binary(t, SLIMRT_OP_ADD, acc, term, NULL, sp) : term;
      if (!acc) break;
    }
    tf_ns_restore(t, saved);
    (void)here;
    return acc;
  }
  }
}

static Value *reg_call(Eval *ev, Value *self, const Args *a) {
  static const char *const P[] = {"weights", NULL};
  Value *v[1] = {0};
  if (eval_bind(ev, "regularizer", P, a, v) != 0) return NULL;
  TfLib *t = tf_lib(ev);
  TfRegularizer *r = self->u.ext.data;
  GNode *w = tf_to_node(t, v[0], 0, a->call_span);
  if (!w) return NULL;
  if (!(w->shape.dtype == SLIMRT_F32 || w->shape.dtype == SLIMRT_F64))
    return eval_error(ev, a->call_span, "E0661", "regularizers need float weights, got %s",
                      slimrt_dtype_name(w->shape.dtype));
  GNode *loss = reg_apply(t, r, w, a->call_span);
  if (!loss && !eval_has_error(ev)) return val_none(ev); /* a sum of disabled parts */
  return wrap(t, loss);
}

/* TF-Slim's scale checks (regularizers.py). Returns false with an error pending. */
static bool check_scale(Eval *ev, Value *v, Span sp, bool l1, double *out) {
  if (!v) v = val_float(ev, 0.0);
  if (v->kind == V_INT || v->kind == V_BOOL)
    return eval_error(ev, sp, "E0662", "scale cannot be an integer: %s", val_repr(ev, v)), false;
  if (!eval_to_float(ev, v, sp, "scale", out)) return false;
  if (*out < 0)
    return eval_error(ev, sp, "E0662", l1 ? "Setting a scale less than 0 on a regularizer: %g"
                                          : "Setting a scale less than 0 on a regularizer: %g.", *out), false;
  return true;
}

static Value *lambda_none(Eval *ev, const Args *a, void *data) { return val_none(ev); }
static const Builtin none_fn = {.name = "<lambda>", .fn = lambda_none};

static Value *b_regularizer(Eval *ev, const Args *a, void *data) {
  int kind = (int)(intptr_t)data;
  static const char *const P1[] = {"scale", "scope", NULL};
  static const char *const P2[] = {"scale_l1", "scale_l2", "scope", NULL};
  static const char *const PS[] = {"regularizer_list", "scope", NULL};
  Value *v[3] = {0};
  Span sp = a->call_span;
  if (eval_bind(ev, kind == 0 ? "l1_regularizer" : kind == 1 ? "l2_regularizer" : kind == 2 ? "l1_l2_regularizer"
                                                                                            : "sum_regularizer",
                kind <= 1 ? P1 : kind == 2 ? P2 : PS, a, v) != 0)
    return NULL;
  TfRegularizer *r = arena_alloc(eval_arena(ev), sizeof *r);
  r->kind = kind;
  const char *scope = NULL;
  if (kind <= 1) {
    if (!v[0]) return eval_error(ev, sp, "E0641", "missing required argument 'scale'");
    double s;
    if (!check_scale(ev, v[0], sp, kind == 0, &s)) return NULL;
    if (s == 0) return val_builtin(ev, &none_fn); /* "Scale of 0 disables regularizer." */
    if (kind == 0) r->l1 = s;
    else r->l2 = s;
    if (!opt_str(ev, v[1], sp, "scope", &scope)) return NULL;
    r->op_name = scope ? scope : kind == 0 ? "l1_regularizer" : "l2_regularizer";
  } else if (kind == 2) {
    double s1 = 1.0, s2 = 1.0;
    if (given(v[0]) && !check_scale(ev, v[0], sp, true, &s1)) return NULL;
    if (given(v[1]) && !check_scale(ev, v[1], sp, false, &s2)) return NULL;
    if (!opt_str(ev, v[2], sp, "scope", &scope)) return NULL;
    r->l1 = s1;
    r->l2 = s2;
    r->op_name = scope ? scope : "l1_l2_regularizer";
  } else {
    Value *l = v[0] ? eval_iter_list(ev, v[0], sp) : NULL;
    if (!l) return v[0] ? NULL : eval_error(ev, sp, "E0641", "missing required argument 'regularizer_list'");
    if (!opt_str(ev, v[1], sp, "scope", &scope)) return NULL;
    for (int i = 0; i < l->u.list.n; i++) {
      Value *p = l->u.list.items[i];
      if (p->kind == V_NONE || (p->kind == V_BUILTIN && p->u.builtin == &none_fn)) continue;
      TfRegularizer *pr = tf_regularizer_of(p);
      if (!pr) return eval_error(ev, sp, "E0663", "sum_regularizer takes regularizers, got %s", val_type_name(p));
      ptrvec_push(eval_arena(ev), &r->parts, pr);
    }
    if (r->parts.n == 0) return val_none(ev); /* TF-Slim: no regularizers -> None */
    r->op_name = scope ? scope : "sum_regularizer";
  }
  return val_ext(ev, &reg_type, r);
}

/* ---- registration ---- */

#define OPDATA(op) ((void *)(intptr_t)(op))

typedef struct Entry {
  const char *name;
  BuiltinFn fn;
  void *data;
  unsigned where; /* bit 0 tf, 1 tf.nn, 2 tf.math */
} Entry;

enum { TF = 1, NN = 2, MATH = 4 };

static const Entry entries[] = {
    /* nn */
    {"conv2d", b_conv2d, NULL, NN},
    {"bias_add", b_bias_add, NULL, NN},
    {"moments", b_moments, NULL, NN},
    {"batch_normalization", b_batch_normalization, NULL, NN},
    {"l2_normalize", b_l2_normalize, NULL, NN | MATH},
    {"dropout", b_dropout, NULL, NN},
    /* tf */
    {"matmul", b_matmul, NULL, TF | MATH},
    {"floordiv", b_floordiv, NULL, TF | MATH},
    {"logical_not", b_logical_not, NULL, TF | MATH},
    {"where", b_where, NULL, TF},
    {"reshape", b_reshape, NULL, TF},
    {"squeeze", b_squeeze, NULL, TF},
    {"expand_dims", b_expand_dims, NULL, TF},
    {"concat", b_concat, NULL, TF},
    {"pad", b_pad, NULL, TF},
    {"transpose", b_transpose, NULL, TF},
    {"identity", b_identity, NULL, TF},
    {"stop_gradient", b_identity, (void *)"StopGradient", TF},
    {"cast", b_cast, NULL, TF},
    {"argmax", b_argmax, NULL, TF | MATH},
    {"one_hot", b_one_hot, NULL, TF},
    {"tile", b_tile, NULL, TF},
    {"constant", b_constant, NULL, TF},
    {"zeros", b_fill, NULL, TF},
    {"ones", b_fill, (void *)"1", TF},
    {"zeros_like", b_fill_like, NULL, TF},
    {"ones_like", b_fill_like, (void *)"1", TF},
    /* initializers */
    {"zeros_initializer", b_init, OPDATA(I_ZEROS), TF},
    {"ones_initializer", b_init, OPDATA(I_ONES), TF},
    {"constant_initializer", b_init, OPDATA(I_CONSTANT), TF},
    {"truncated_normal_initializer", b_init, OPDATA(I_TRUNC), TF},
    {"random_normal_initializer", b_init, OPDATA(I_NORMAL), TF},
    {"random_uniform_initializer", b_init, OPDATA(I_UNIFORM), TF},
    {"glorot_uniform_initializer", b_init, OPDATA(I_GLOROT_U), TF},
    {"glorot_normal_initializer", b_init, OPDATA(I_GLOROT_N), TF},
    {"variance_scaling_initializer", b_init, OPDATA(I_TF_VS), TF},
    /* regularizers (also the slim spellings; see tf_ops_slim_names) */
    {"l1_regularizer", b_regularizer, OPDATA(0), TF},
    {"l2_regularizer", b_regularizer, OPDATA(1), TF},
    {"l1_l2_regularizer", b_regularizer, OPDATA(2), TF},
    {"sum_regularizer", b_regularizer, OPDATA(3), TF},
};

/* slim's own initializers (slim.variance_scaling_initializer differs from tf's) */
static const Entry slim_entries[] = {
    {"xavier_initializer", b_init, OPDATA(I_XAVIER), 0},
    {"xavier_initializer_conv2d", b_init, OPDATA(I_XAVIER), 0},
    {"variance_scaling_initializer", b_init, OPDATA(I_SLIM_VS), 0},
};

static Value *make_builtin(TfLib *t, const Entry *e) {
  Builtin *b = arena_alloc(t->arena, sizeof *b);
  b->name = e->name;
  b->fn = e->fn;
  b->data = e->data;
  return val_builtin(t->ev, b);
}

/* The builders the op table's BUILD column names (b_none: the row has no API). */
#define b_none NULL
static BuiltinFn const op_builder[SLIMRT_OP_COUNT] = {
#define SLIMRT_OP(ID, TF, NAME, MINI, MAXI, NOUT, ATTR, FLAGS, ACT, SHAPE, BATCH, API, BUILD, GRAD) b_##BUILD,
#include "slimrt_ops.def"
#undef SLIMRT_OP
};
#undef b_none

/* One builtin per op and name, shared by the namespaces that list it (tf.sigmoid is
   tf.math.sigmoid, as in TF). */
typedef struct ApiReg {
  TfLib *t;
  Value *tf_ns, *nn_ns, *math_ns;
  PtrVec made; /* Value* builtins made so far */
} ApiReg;

static Value *api_builtin(ApiReg *r, int op, const char *name, size_t len) {
  for (int i = 0; i < r->made.n; i++) {
    Value *v = r->made.items[i];
    const Builtin *b = v->u.builtin;
    if (b->data == OPDATA(op) && strlen(b->name) == len && !memcmp(b->name, name, len)) return v;
  }
  Builtin *b = arena_alloc(r->t->arena, sizeof *b);
  b->name = arena_strndup(r->t->arena, name, len);
  b->fn = op_builder[op];
  b->data = OPDATA(op);
  Value *v = val_builtin(r->t->ev, b);
  ptrvec_push(r->t->arena, &r->made, v);
  return v;
}

static void api_register(void *ctx, int op, const char *ns, size_t nslen, const char *name, size_t len) {
  ApiReg *r = ctx;
  Value *where = !nslen ? r->tf_ns : nslen == 2 && !memcmp(ns, "nn", 2) ? r->nn_ns
                 : nslen == 4 && !memcmp(ns, "math", 4)                 ? r->math_ns
                                                                        : NULL;
  if (!where || !op_builder[op]) return;
  Value *v = api_builtin(r, op, name, len);
  ns_set(r->t->ev, where, v->u.builtin->name, v);
}

void tf_ops_register(TfLib *t, Value *tf_ns, Value *nn_ns, Value *math_ns) {
  ApiReg reg = {t, tf_ns, nn_ns, math_ns, {0}};
  tf_each_api_name(api_register, &reg);
  for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++) {
    const Entry *e = &entries[i];
    Value *v = make_builtin(t, e);
    if ((e->where & TF) && tf_ns) ns_set(t->ev, tf_ns, e->name, v);
    if ((e->where & NN) && nn_ns) ns_set(t->ev, nn_ns, e->name, v);
    if ((e->where & MATH) && math_ns) ns_set(t->ev, math_ns, e->name, v);
  }
  static const struct { const char *name; int dt; } dtypes[] = {
      {"float32", SLIMRT_F32}, {"float16", SLIMRT_F16}, {"float64", SLIMRT_F64}, {"bfloat16", SLIMRT_BF16},
      {"int8", SLIMRT_I8},     {"int16", SLIMRT_I16},   {"int32", SLIMRT_I32},   {"int64", SLIMRT_I64},
      {"uint8", SLIMRT_U8},    {"bool", SLIMRT_BOOL},   {"string", SLIMRT_STRING}, {"half", SLIMRT_F16},
      {"double", SLIMRT_F64},  {"float", SLIMRT_F32},
  };
  if (tf_ns) {
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
      ns_set(t->ev, tf_ns, dtypes[i].name, tf_dtype_value(t, dtypes[i].dt));
    ns_set(t->ev, tf_ns, "newaxis", val_none(t->ev));
  }
}

void tf_ops_register_slim(TfLib *t, Value *slim_ns) {
  for (size_t i = 0; i < sizeof slim_entries / sizeof slim_entries[0]; i++)
    ns_set(t->ev, slim_ns, slim_entries[i].name, make_builtin(t, &slim_entries[i]));
  for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++)
    if (entries[i].fn == b_regularizer) ns_set(t->ev, slim_ns, entries[i].name, make_builtin(t, &entries[i]));
}
