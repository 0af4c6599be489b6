/* Static shape and dtype inference, one rule per op of slimrt_ops.def (its SHAPE
 * column names rule_<SHAPE> below), with
 * TensorFlow's rules and (where TF has one) TensorFlow's message text.
 *
 * Unknown dimensions are -1 (a model input's '?' batch); checks that involve
 * them are skipped, as TF's shape functions do.
 *
 * For RESHAPE, CAST, SLICE and CONV2D_TRANSPOSE the node's shape on entry may
 * hold the requested output (rank >= 0, from graph_op_shaped): the target dims
 * of a reshape, the dtype of a cast, the dims left after a slice's shrinks, the
 * output size of a transposed convolution. rank -1 means "infer". */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ir/graph.h"
#include "slimrt_checked.h"

#define op_tf_type(op) slimrt_op_tf_type(op)

/* The state of one inference: node, message buffer, shape texts. */
typedef struct Ctx {
  GNode *n;
  char *err;
  size_t errlen;
} Ctx;

static int fail(Ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(Ctx *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->err, c->errlen, fmt, ap);
  va_end(ap);
  return -1;
}

static const char *node_name(const GNode *n) { return n->name ? n->name : op_tf_type(n->op); }

/* "[1,256], [512,10]": the input shapes as TF lists them in its messages. */
static const char *in_shapes(Ctx *c, char *buf, size_t n) {
  size_t used = 0;
  buf[0] = '\0';
  for (int i = 0; i < c->n->nin && used < n; i++) {
    char s[128];
    gshape_str(graph_in_shape(c->n, i), s, sizeof s);
    int w = snprintf(buf + used, n - used, "%s%s", i ? ", " : "", s);
    if (w > 0) used += (size_t)w;
  }
  return buf;
}

static const char *dt_name(int dt) {
  const char *s = slimrt_dtype_name(dt);
  return s ? s : "invalid";
}

static bool is_float(int dt) {
  return dt == SLIMRT_F32 || dt == SLIMRT_F64 || dt == SLIMRT_F16 || dt == SLIMRT_BF16;
}
static bool is_int(int dt) {
  return dt == SLIMRT_I8 || dt == SLIMRT_I16 || dt == SLIMRT_I32 || dt == SLIMRT_I64 || dt == SLIMRT_U8 ||
         dt == SLIMRT_U16 || dt == SLIMRT_U32 || dt == SLIMRT_U64;
}
static bool is_number(int dt) { return is_float(dt) || is_int(dt); }

/* Dimensions agree if equal or if either is unknown. */
static bool dim_eq(int64_t a, int64_t b) { return a < 0 || b < 0 || a == b; }

static int need_rank(Ctx *c, const GShape *s, int rank) {
  if (s->rank == rank) return 0;
  char b[512];
  return fail(c, "Shape must be rank %d but is rank %d for '%s' with input shapes: %s.", rank,
              s->rank, node_name(c->n), in_shapes(c, b, sizeof b));
}

static int need_float(Ctx *c, int dt, const char *arg) {
  if (is_float(dt)) return 0;
  return fail(c, "Value for attr 'T' of %s is not in the list of allowed values for '%s' (%s): float16, "
              "bfloat16, float32, float64", dt_name(dt), op_tf_type(c->n->op), arg);
}

static int same_dtype(Ctx *c, int i, const char *arg_i, const char *arg_0) {
  int a = graph_in_shape(c->n, 0)->dtype, b = graph_in_shape(c->n, i)->dtype;
  if (a == b) return 0;
  return fail(c, "Input '%s' of '%s' Op has type %s that does not match type %s of argument '%s'.", arg_i,
              op_tf_type(c->n->op), dt_name(b), dt_name(a), arg_0);
}

/* Input I must have input J's dtype. */
static int same_dtype_of(Ctx *c, int i, int j, const char *arg_i, const char *arg_j) {
  int a = graph_in_shape(c->n, j)->dtype, b = graph_in_shape(c->n, i)->dtype;
  if (a == b) return 0;
  return fail(c, "Input '%s' of '%s' Op has type %s that does not match type %s of argument '%s'.", arg_i,
              op_tf_type(c->n->op), dt_name(b), dt_name(a), arg_j);
}

/* ---- element-wise ---- */

static int infer_unary(Ctx *c, bool float_only) {
  const GShape *x = graph_in_shape(c->n, 0);
  if (float_only ? need_float(c, x->dtype, "x") : (is_number(x->dtype) ? 0 : need_float(c, x->dtype, "x")))
    return -1;
  c->n->shape = *x;
  return 0;
}

/* numpy broadcasting: align from the right; each pair equal or one of them 1. */
static int rule_broadcast(Ctx *c) {
  const GShape *a = graph_in_shape(c->n, 0), *b = graph_in_shape(c->n, 1);
  if (same_dtype(c, 1, "y", "x")) return -1;
  if (!is_number(a->dtype) && a->dtype != SLIMRT_BOOL) return need_float(c, a->dtype, "x");
  GShape o = {.dtype = a->dtype, .rank = a->rank > b->rank ? a->rank : b->rank};
  for (int i = 0; i < o.rank; i++) {
    int ia = a->rank - o.rank + i, ib = b->rank - o.rank + i;
    int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
    int64_t d;
    if (da == db) d = da;
    else if (da == 1) d = db;
    else if (db == 1) d = da;
    else if (da < 0) d = db;
    else if (db < 0) d = da;
    else {
      char s[512];
      return fail(c, "Dimensions must be equal, but are %" PRId64 " and %" PRId64
                  " for '%s' with input shapes: %s.", da, db, node_name(c->n), in_shapes(c, s, sizeof s));
    }
    o.dims[i] = d;
  }
  c->n->shape = o;
  return 0;
}

/* Less & co.: TF's realnumbertypes (no bool); Equal/NotEqual take bool too. Output bool. */
static int compare(Ctx *c, bool eq) {
  int dt = graph_in_shape(c->n, 0)->dtype;
  if (!is_number(dt) && !(eq && dt == SLIMRT_BOOL))
    return fail(c, "Value passed to parameter 'x' has DataType %s not in list of allowed values: float32, "
                "float64, int32, uint8, int16, int8, int64, bfloat16, uint16, float16, uint32, uint64",
                dt_name(dt));
  if (rule_broadcast(c)) return -1;
  c->n->shape.dtype = SLIMRT_BOOL;
  return 0;
}

/* An input that must be bool (TF's message for a fixed-type input). */
static int need_bool(Ctx *c, int i, const char *arg) {
  int dt = graph_in_shape(c->n, i)->dtype;
  if (dt == SLIMRT_BOOL) return 0;
  return fail(c, "Input '%s' of '%s' Op has type %s that does not match expected type of bool.", arg,
              op_tf_type(c->n->op), dt_name(dt));
}

static int rule_logical(Ctx *c) {
  if (need_bool(c, 0, "x") || need_bool(c, 1, "y")) return -1;
  return rule_broadcast(c);
}

static int rule_logical_not(Ctx *c) {
  if (need_bool(c, 0, "x")) return -1;
  c->n->shape = *graph_in_shape(c->n, 0);
  return 0;
}

/* TF's shape Merge(A, B) into *OUT: same rank, equal known dimensions (messages name A first). */
static int merge_shapes(Ctx *c, const GShape *a, const GShape *b, GShape *out) {
  char s[512];
  if (a->rank != b->rank)
    return fail(c, "Shapes must be equal rank, but are %d and %d for '%s' with input shapes: %s.", a->rank,
                b->rank, node_name(c->n), in_shapes(c, s, sizeof s));
  GShape o = *a;
  for (int i = 0; i < a->rank; i++) {
    if (!dim_eq(a->dims[i], b->dims[i])) {
      char sa[128], sb[128];
      return fail(c, "Dimension %d in both shapes must be equal, but are %" PRId64 " and %" PRId64
                  ". Shapes are %s and %s. for '%s' with input shapes: %s.", i, a->dims[i], b->dims[i],
                  gshape_str(a, sa, sizeof sa), gshape_str(b, sb, sizeof sb), node_name(c->n),
                  in_shapes(c, s, sizeof s));
    }
    if (o.dims[i] < 0) o.dims[i] = b->dims[i];
  }
  o.dtype = out->dtype;
  *out = o;
  return 0;
}

/* TF 1.x's Select: t and e have one shape; the condition is a scalar, that shape, or
   (t of rank >= 1) a vector over t's first dimension. */
static int rule_select(Ctx *c) {
  const GShape *cond = graph_in_shape(c->n, 0), *t = graph_in_shape(c->n, 1), *e = graph_in_shape(c->n, 2);
  if (need_bool(c, 0, "condition")) return -1;
  if (same_dtype_of(c, 2, 1, "e", "t")) return -1;
  GShape data = *t;
  if (merge_shapes(c, t, e, &data)) return -1;
  if (cond->rank == 1 && data.rank >= 1) {
    GShape v = {.dtype = cond->dtype, .rank = 1, .dims = {data.dims[0]}}, m = v;
    if (merge_shapes(c, cond, &v, &m)) return -1;
  } else if (cond->rank != 0) {
    if (merge_shapes(c, &data, cond, &data)) return -1;
  }
  c->n->shape = data;
  return 0;
}

static int rule_bias_add(Ctx *c) {
  const GShape *x = graph_in_shape(c->n, 0), *b = graph_in_shape(c->n, 1);
  char s[512];
  if (x->rank < 2)
    return fail(c, "Shape must be at least rank 2 but is rank %d for '%s' with input shapes: %s.",
                x->rank, node_name(c->n), in_shapes(c, s, sizeof s));
  if (need_rank(c, b, 1)) return -1;
  if (same_dtype(c, 1, "bias", "value")) return -1;
  if (!dim_eq(x->dims[x->rank - 1], b->dims[0]))
    return fail(c, "Dimensions must be equal, but are %" PRId64 " and %" PRId64
                " for '%s' with input shapes: %s.", x->dims[x->rank - 1], b->dims[0],
                node_name(c->n), in_shapes(c, s, sizeof s));
  c->n->shape = *x;
  return 0;
}

static int rule_cast(Ctx *c) {
  const GShape *x = graph_in_shape(c->n, 0);
  if (c->n->shape.rank < 0 || c->n->shape.dtype == SLIMRT_INVALID)
    return fail(c, "Cast needs its destination dtype");
  int to = c->n->shape.dtype;
  if (to == SLIMRT_STRING || x->dtype == SLIMRT_STRING)
    return fail(c, "Cast string to %s is not supported", dt_name(to));
  c->n->shape = *x;
  c->n->shape.dtype = to;
  return 0;
}

/* ---- linear algebra, convolution, pooling ---- */

static int rule_matmul(Ctx *c) {
  const GShape *a = graph_in_shape(c->n, 0), *b = graph_in_shape(c->n, 1);
  if (need_rank(c, a, 2) || need_rank(c, b, 2)) return -1;
  if (same_dtype(c, 1, "b", "a") || need_float(c, a->dtype, "a")) return -1;
  bool ta = c->n->attr.matmul.transpose_a, tb = c->n->attr.matmul.transpose_b;
  int64_t m = a->dims[ta ? 1 : 0], ka = a->dims[ta ? 0 : 1];
  int64_t kb = b->dims[tb ? 1 : 0], nn = b->dims[tb ? 0 : 1];
  if (!dim_eq(ka, kb)) {
    char s[512];
    return fail(c, "Dimensions must be equal, but are %" PRId64 " and %" PRId64
                " for '%s' with input shapes: %s.", ka, kb, node_name(c->n),
                in_shapes(c, s, sizeof s));
  }
  c->n->shape = (GShape){.dtype = a->dtype, .rank = 2, .dims = {m, nn}};
  return 0;
}

/* TF's shape-function texts for a dimension that does not fit in int64. */
static int add_overflow(Ctx *c, int64_t a, int64_t b) {
  char s[512];
  return fail(c, "Dimension size overflow from adding %" PRId64 " and %" PRId64 " for '%s' with input shapes: %s.", a,
              b, node_name(c->n), in_shapes(c, s, sizeof s));
}
static int mul_overflow(Ctx *c, int64_t a, int64_t b) {
  char s[512];
  return fail(c, "Negative dimension size caused by overflow when multiplying %" PRId64 " and %" PRId64
              " for '%s' with input shapes: %s.", a, b, node_name(c->n), in_shapes(c, s, sizeof s));
}

/* One spatial dimension of a window op over explicit pads: floor((in + pads - k_eff) / s) + 1. */
static int window_out(Ctx *c, int64_t in, int64_t k, int64_t stride, int64_t rate, int64_t pb, int64_t pa,
                      const char *what, int64_t *out) {
  if (k <= 0 || stride <= 0 || rate <= 0)
    return fail(c, "%s window %" PRId64 ", stride %" PRId64 " and rate %" PRId64 " must be positive", what, k,
                stride, rate);
  if (pb < 0 || pa < 0) return fail(c, "%s padding must not be negative", what);
  if (in < 0) {
    *out = -1;
    return 0;
  }
  int64_t keff, padded;
  if (slimrt_ck_window_extent(k, rate, &keff)) return mul_overflow(c, k - 1, rate);
  if (slimrt_ck_add(in, pb, &padded)) return add_overflow(c, in, pb);
  if (slimrt_ck_add(padded, pa, &padded)) return add_overflow(c, in + pb, pa);
  if (padded < keff) {
    char s[512];
    return fail(c, "Negative dimension size caused by subtracting %" PRId64 " from %" PRId64
                " for '%s' with input shapes: %s.", keff, padded, node_name(c->n), in_shapes(c, s, sizeof s));
  }
  *out = (padded - keff) / stride + 1;
  return 0;
}

/* The three convolutions: KIND names them in messages; a transposed one maps its
   output back onto its input; a depthwise one has channels x multiplier outputs. */
typedef enum ConvKind { CONV_PLAIN, CONV_DEPTHWISE, CONV_TRANSPOSE } ConvKind;

static int infer_conv(Ctx *c, ConvKind ck) {
  GNode *n = c->n;
  const GShape *x = graph_in_shape(n, 0), *w = graph_in_shape(n, 1);
  const slimrt_attr_conv *a = &n->attr.conv;
  if (x->rank != 4) return fail(c, "Convolution expects input with rank 4, got %d", x->rank);
  if (need_rank(c, w, 4)) return -1;
  if (same_dtype(c, 1, "filter", "input") || need_float(c, x->dtype, "input")) return -1;
  const char *kind = ck == CONV_DEPTHWISE ? "depthwise_conv2d" : ck == CONV_PLAIN ? "conv2d" : "conv2d_transpose";
  /* the filter dimension that must match the input's channels */
  int64_t want = ck == CONV_TRANSPOSE ? w->dims[3] : w->dims[2];
  if (!dim_eq(x->dims[3], want))
    return fail(c, "%s input has %" PRId64 " channels but weights expect %" PRId64, kind, x->dims[3], want);
  GShape o = {.dtype = x->dtype, .rank = 4, .dims = {x->dims[0]}};
  if (ck == CONV_TRANSPOSE) {
    /* The forward convolution maps the output back onto the input; given the
       forward pads the smallest such output is (in-1)*s + k_eff - pads. */
    int64_t k[2] = {w->dims[0], w->dims[1]}, s[2] = {a->stride_h, a->stride_w};
    int64_t r[2] = {a->dilation_h, a->dilation_w}, p[2] = {a->pad_top + a->pad_bottom, a->pad_left + a->pad_right};
    const int64_t pb[2] = {a->pad_top, a->pad_left}, pa[2] = {a->pad_bottom, a->pad_right};
    for (int i = 0; i < 2; i++) {
      if (k[i] <= 0 || s[i] <= 0 || r[i] <= 0)
        return fail(c, "conv2d_transpose window, stride and rate must be positive");
      int64_t keff, d = -1;
      if (slimrt_ck_window_extent(k[i], r[i], &keff)) return mul_overflow(c, k[i] - 1, r[i]);
      if (x->dims[1 + i] >= 0 && (slimrt_ck_mul(x->dims[1 + i] - 1, s[i], &d) || slimrt_ck_add(d, keff, &d) ||
                                  slimrt_ck_sub(d, p[i], &d)))
        return mul_overflow(c, x->dims[1 + i] - 1, s[i]);
      if (n->shape.rank == 4 && n->shape.dims[1 + i] >= 0) {
        int64_t back;
        if (window_out(c, n->shape.dims[1 + i], k[i], s[i], r[i], pb[i], pa[i], kind, &back)) return -1;
        if (x->dims[1 + i] >= 0 && back != x->dims[1 + i])
          return fail(c, "conv2d_transpose output size %" PRId64 " does not map back to input size %" PRId64
                      " with stride %" PRId64, n->shape.dims[1 + i], x->dims[1 + i], s[i]);
        d = n->shape.dims[1 + i];
      }
      if (d == 0 || d < -1) return fail(c, "conv2d_transpose output size %" PRId64 " is not positive", d);
      o.dims[1 + i] = d;
    }
    o.dims[3] = w->dims[2];
  } else {
    if (window_out(c, x->dims[1], w->dims[0], a->stride_h, a->dilation_h, a->pad_top, a->pad_bottom, kind,
                   &o.dims[1]) ||
        window_out(c, x->dims[2], w->dims[1], a->stride_w, a->dilation_w, a->pad_left, a->pad_right, kind,
                   &o.dims[2]))
      return -1;
    if (ck == CONV_PLAIN) o.dims[3] = w->dims[3];
    else if (w->dims[2] < 0 || w->dims[3] < 0) o.dims[3] = -1;
    else if (slimrt_ck_mul(w->dims[2], w->dims[3], &o.dims[3])) return mul_overflow(c, w->dims[2], w->dims[3]);
  }
  n->shape = o;
  return 0;
}

static int infer_pool(Ctx *c, const char *kind) {
  GNode *n = c->n;
  const GShape *x = graph_in_shape(n, 0);
  const slimrt_attr_pool *a = &n->attr.pool;
  if (need_rank(c, x, 4)) return -1;
  if (need_float(c, x->dtype, "input")) return -1;
  GShape o = *x;
  if (window_out(c, x->dims[1], a->window_h, a->stride_h, 1, a->pad_top, a->pad_bottom, kind, &o.dims[1]) ||
      window_out(c, x->dims[2], a->window_w, a->stride_w, 1, a->pad_left, a->pad_right, kind, &o.dims[2]))
    return -1;
  /* a window lying entirely in the padding has no cell to read */
  if ((a->pad_top >= a->window_h || a->pad_bottom >= a->window_h || a->pad_left >= a->window_w ||
       a->pad_right >= a->window_w) &&
      (a->pad_top | a->pad_bottom | a->pad_left | a->pad_right))
    return fail(c, "%s padding must be smaller than the window", kind);
  n->shape = o;
  return 0;
}

static int rule_batch_norm(Ctx *c) {
  const GShape *x = graph_in_shape(c->n, 0);
  static const char *const what[] = {"x", "scale", "offset", "mean", "variance"};
  if (x->rank != 4 && x->rank != 2) {
    char s[512];
    return fail(c, "Shape must be rank 4 but is rank %d for '%s' with input shapes: %s.",
                x->rank, node_name(c->n), in_shapes(c, s, sizeof s));
  }
  if (need_float(c, x->dtype, "x")) return -1;
  int64_t ch = x->dims[x->rank - 1];
  for (int i = 1; i < 5; i++) {
    const GShape *p = graph_in_shape(c->n, i);
    if (need_rank(c, p, 1)) return -1;
    if (!is_float(p->dtype)) return need_float(c, p->dtype, what[i]);
    if (!dim_eq(p->dims[0], ch))
      return fail(c, "batch_norm %s has %" PRId64 " elements but the input has %" PRId64 " channels", what[i],
                  p->dims[0], ch);
  }
  c->n->shape = *x;
  /* FusedBatchNormV3's batch_mean and batch_variance: in inference, the mean and
     variance it was given ([C]) */
  for (int k = 1; k < c->n->nout && k < 3; k++) c->n->outs[k - 1] = *graph_in_shape(c->n, 2 + k);
  return 0;
}

static int rule_softmax(Ctx *c) {
  const GShape *x = graph_in_shape(c->n, 0);
  if (x->rank < 1) {
    char s[512];
    return fail(c, "Shape must be at least rank 1 but is rank 0 for '%s' with input shapes: %s.",
                node_name(c->n), in_shapes(c, s, sizeof s));
  }
  if (need_float(c, x->dtype, "logits")) return -1;
  c->n->shape = *x;
  return 0;
}

/* ---- reductions ---- */

static int rule_reduce(Ctx *c) {
  const GShape *x = graph_in_shape(c->n, 0);
  const slimrt_attr_reduce *a = &c->n->attr.reduce;
  if (!is_number(x->dtype)) return need_float(c, x->dtype, "input");
  for (int i = x->rank; i < SLIMRT_MAX_RANK; i++)
    if (a->axes[i]) {
      char s[128];
      return fail(c, "Invalid reduction dimension %d for input with %d dimensions (input shape %s)", i, x->rank,
                  gshape_str(x, s, sizeof s));
    }
  GShape o = {.dtype = x->dtype};
  for (int i = 0; i < x->rank; i++) {
    if (!a->axes[i]) o.dims[o.rank++] = x->dims[i];
    else if (a->keepdims) o.dims[o.rank++] = 1;
  }
  c->n->shape = o;
  return 0;
}

static int rule_argmax(Ctx *c) {
  const GShape *x = graph_in_shape(c->n, 0);
  int64_t ax = c->n->attr.argmax.axis;
  if (!is_number(x->dtype)) return need_float(c, x->dtype, "input");
  if (x->rank < 1) return fail(c, "ArgMax needs an input of rank at least 1, got a scalar");
  if (ax < -x->rank || ax >= x->rank)
    return fail(c, "Expected dimension in the range [%d, %d), but got %" PRId64, -x->rank, x->rank, ax);
  if (ax < 0) ax += x->rank;
  c->n->attr.argmax.axis = ax;
  GShape o = {.dtype = SLIMRT_I64};
  for (int i = 0; i < x->rank; i++)
    if (i != ax) o.dims[o.rank++] = x->dims[i];
  c->n->shape = o;
  return 0;
}

/* ---- data movement ---- */

static int rule_reshape(Ctx *c) {
  const GShape *x = graph_in_shape(c->n, 0);
  if (c->n->shape.rank < 0) return fail(c, "Reshape needs its target shape");
  GShape o;
  char err[512];
  if (shape_reshape(x, c->n->shape.dims, c->n->shape.rank, &o, err, sizeof err)) {
    /* shape_reshape names the op generically; say which one */
    char s[512];
    return fail(c, "%s for '%s' with input shapes: %s.", err, node_name(c->n),
                in_shapes(c, s, sizeof s));
  }
  c->n->shape = o;
  return 0;
}

/* The requested dims as written ("[5,-1]"), not as a shape ("?"). */
static char *dims_text(const int64_t *d, int rank, char *buf, size_t n) {
  size_t used = 0;
  buf[0] = '\0';
  for (int i = 0; i < rank && used < n; i++) {
    int w = snprintf(buf + used, n - used, "%s%" PRId64, i ? "," : "[", d[i]);
    if (w > 0) used += (size_t)w;
  }
  if (used < n) snprintf(buf + used, n - used, "%s]", rank ? "" : "[");
  return buf;
}

int shape_reshape(const GShape *in, const int64_t *dims, int rank, GShape *out, char *err, size_t errlen) {
  GShape o = {.dtype = in->dtype, .rank = rank};
  char want[160];
  if (rank < 0 || rank > SLIMRT_MAX_RANK) {
    snprintf(err, errlen, "Reshape to rank %d is not supported (at most %d dimensions)", rank, SLIMRT_MAX_RANK);
    return -1;
  }
  int infer = -1;
  int64_t known = 1;
  for (int i = 0; i < rank; i++) {
    o.dims[i] = dims[i];
    if (dims[i] == -1) {
      if (infer >= 0) {
        dims_text(dims, rank, want, sizeof want);
        snprintf(err, errlen, "Cannot infer multiple unknown dimensions in shape %s", want);
        return -1;
      }
      infer = i;
    } else if (dims[i] < -1) {
      snprintf(err, errlen, "Size %d must be non-negative, not %" PRId64, i, dims[i]);
      return -1;
    } else if (__builtin_mul_overflow(known, dims[i], &known)) {
      /* [2^32, 2^32, 0] would overflow before the 0 arrives */
      dims_text(dims, rank, want, sizeof want);
      snprintf(err, errlen, "Shape %s has more elements than fit in 64 bits", want);
      return -1;
    }
  }
  int64_t count = gshape_count(in);
  if (count < 0) {
    /* unknown input size (a '?' batch): the inferred dimension stays unknown */
    *out = o;
    return 0;
  }
  if (infer >= 0) {
    if (known == 0 || count % known != 0) {
      dims_text(dims, rank, want, sizeof want);
      if (known == 0)
        snprintf(err, errlen, "Cannot reshape a tensor with %" PRId64 " elements to shape %s", count, want);
      else /* TF's Reshape shape function with a -1 */
        snprintf(err, errlen, "Dimension size must be evenly divisible by %" PRId64 " but is %" PRId64, known, count);
      return -1;
    }
    o.dims[infer] = count / known;
  } else if (known != count) {
    dims_text(dims, rank, want, sizeof want);
    snprintf(err, errlen, "Cannot reshape a tensor with %" PRId64 " elements to shape %s (%" PRId64 " elements)",
             count, want, known);
    return -1;
  }
  *out = o;
  return 0;
}

static int rule_transpose(Ctx *c) {
  const GShape *x = graph_in_shape(c->n, 0);
  const int64_t *p = c->n->attr.transpose.perm;
  bool seen[SLIMRT_MAX_RANK] = {0};
  GShape o = {.dtype = x->dtype, .rank = x->rank};
  for (int i = 0; i < x->rank; i++) {
    if (p[i] < 0 || p[i] >= x->rank || seen[p[i]]) {
      char s[128];
      return fail(c, "transpose perm is not a permutation of 0..%d for input shape %s", x->rank - 1,
                  gshape_str(x, s, sizeof s));
    }
    seen[p[i]] = true;
    o.dims[i] = x->dims[p[i]];
  }
  c->n->shape = o;
  return 0;
}

static int rule_concat(Ctx *c) {
  GNode *n = c->n;
  const GShape *x0 = graph_in_shape(n, 0);
  int64_t ax = n->attr.concat.axis;
  if (ax < -x0->rank || ax >= x0->rank || x0->rank == 0)
    return fail(c, "ConcatOp : Expected concatenating dimensions in the range [%d, %d), but got %" PRId64,
                -x0->rank, x0->rank, ax);
  if (ax < 0) ax += x0->rank;
  n->attr.concat.axis = ax;
  GShape o = *x0;
  for (int i = 1; i < n->nin; i++) {
    const GShape *xi = graph_in_shape(n, i);
    char a[128], b[128], s[1024];
    int64_t sum;
    if (xi->dtype != x0->dtype)
      return fail(c, "ConcatOp : inputs must all have the same dtype: values[0] is %s but values[%d] is %s",
                  dt_name(x0->dtype), i, dt_name(xi->dtype));
    if (xi->rank != x0->rank)
      return fail(c, "Shape must be rank %d but is rank %d for '%s' with input shapes: %s.",
                  x0->rank, xi->rank, node_name(n), in_shapes(c, s, sizeof s));
    for (int d = 0; d < o.rank; d++) {
      if (d == ax) {
        if (o.dims[d] < 0 || xi->dims[d] < 0) o.dims[d] = -1;
        else if (slimrt_ck_add(o.dims[d], xi->dims[d], &sum)) return add_overflow(c, o.dims[d], xi->dims[d]);
        else o.dims[d] = sum;
      } else if (!dim_eq(x0->dims[d], xi->dims[d])) {
        /* TF merges the dimensions before the axis and those after it as two sub-shapes,
           and names the dimension and the shapes within the sub-shape */
        GShape s0 = *x0, si = *xi;
        int lo = d < ax ? 0 : ax + 1, hi = d < ax ? ax : o.rank;
        s0.rank = si.rank = hi - lo;
        for (int k = lo; k < hi; k++) s0.dims[k - lo] = x0->dims[k], si.dims[k - lo] = xi->dims[k];
        return fail(c, "Dimension %d in both shapes must be equal, but are %" PRId64 " and %" PRId64
                    ". Shapes are %s and %s. for '%s' with input shapes: %s.", d - lo,
                    x0->dims[d], xi->dims[d], gshape_str(&s0, a, sizeof a), gshape_str(&si, b, sizeof b),
                    node_name(n), in_shapes(c, s, sizeof s));
      }
    }
  }
  n->shape = o;
  return 0;
}

static int rule_pad(Ctx *c) {
  const GShape *x = graph_in_shape(c->n, 0);
  const slimrt_attr_pad *a = &c->n->attr.pad;
  GShape o = *x;
  for (int i = 0; i < SLIMRT_MAX_RANK; i++) {
    if (a->before[i] < 0 || a->after[i] < 0)
      return fail(c, "Paddings must be non-negative: %" PRId64 " %" PRId64, a->before[i], a->after[i]);
    if (i >= x->rank) {
      if (a->before[i] || a->after[i])
        return fail(c, "The first dimension of paddings must be the rank of inputs[%d], got more", x->rank);
      continue;
    }
    if (x->dims[i] < 0) continue;
    int64_t mid;
    if (slimrt_ck_add(x->dims[i], a->before[i], &mid)) return add_overflow(c, x->dims[i], a->before[i]);
    if (slimrt_ck_add(mid, a->after[i], &o.dims[i])) return add_overflow(c, mid, a->after[i]);
  }
  c->n->shape = o;
  return 0;
}

static int rule_slice(Ctx *c) {
  GNode *n = c->n;
  const GShape *x = graph_in_shape(n, 0);
  const slimrt_attr_slice *a = &n->attr.slice;
  GShape full = {.dtype = x->dtype, .rank = x->rank};
  for (int i = 0; i < x->rank; i++) {
    int64_t b = a->begin[i], s = a->stride[i], k = a->count[i];
    if (s == 0) return fail(c, "strided_slice stride of dimension %d must be non-zero", i);
    if (k == -1 && x->dims[i] < 0 && b == 0 && s == 1) { /* the whole '?' batch */
      full.dims[i] = -1;
      continue;
    }
    if (k < 0) return fail(c, "strided_slice count of dimension %d must not be negative", i);
    int64_t last = b;
    bool wrap = k > 0 && (slimrt_ck_mul(k - 1, s, &last) || slimrt_ck_add(last, b, &last));
    if (wrap && x->dims[i] >= 0 && b >= 0 && b < x->dims[i])
      return fail(c, "strided_slice of dimension %d: %" PRId64 " elements with stride %" PRId64
                  " from %" PRId64 " run past the end of the input", i, k, s, b);
    if (wrap) return fail(c, "strided_slice of dimension %d: the last index does not fit in 64 bits", i);
    if (x->dims[i] >= 0 && k > 0 && (b < 0 || b >= x->dims[i] || last < 0 || last >= x->dims[i])) {
      char t[128];
      return fail(c, "slice index %" PRId64 " of dimension %d out of bounds for input shape %s",
                  b < 0 || b >= x->dims[i] ? b : last, i, gshape_str(x, t, sizeof t));
    }
    full.dims[i] = k;
    /* a dimension taken at most once never steps: stride 1, so the kernel's offsets stay in the input */
    if (k <= 1) n->attr.slice.stride[i] = 1;
    if (k == 0) n->attr.slice.begin[i] = 0;
  }
  if (n->shape.rank >= 0) {
    /* shrunk dimensions are dropped by the caller; the rest must be the counts, in order */
    int j = 0;
    for (int i = 0; i < full.rank && j <= n->shape.rank; i++) {
      if (j < n->shape.rank && n->shape.dims[j] == full.dims[i]) j++;
      else if (full.dims[i] != 1) break;
    }
    if (j != n->shape.rank || gshape_count(&full) != gshape_count(&n->shape)) {
      char s1[128], s2[128];
      return fail(c, "strided_slice result shape %s does not match the slice %s", gshape_str(&n->shape, s1, sizeof s1),
                  gshape_str(&full, s2, sizeof s2));
    }
    n->shape.dtype = x->dtype;
    return 0;
  }
  n->shape = full;
  return 0;
}

static int rule_tile(Ctx *c) {
  const GShape *x = graph_in_shape(c->n, 0);
  GShape o = *x;
  for (int i = 0; i < SLIMRT_MAX_RANK; i++) {
    int64_t m = c->n->attr.tile.multiples[i];
    if (i >= x->rank) {
      if (m != 0 && m != 1) return fail(c, "Expected multiples argument to be a vector of length %d", x->rank);
      continue;
    }
    if (m < 0) return fail(c, "Expected multiples[%d] >= 0, but got %" PRId64, i, m);
    if (x->dims[i] >= 0 && slimrt_ck_mul(x->dims[i], m, &o.dims[i])) return mul_overflow(c, x->dims[i], m);
  }
  c->n->shape = o;
  return 0;
}

static int rule_one_hot(Ctx *c) {
  const GShape *x = graph_in_shape(c->n, 0);
  const slimrt_attr_onehot *a = &c->n->attr.onehot;
  if (!is_int(x->dtype))
    return fail(c, "Value for attr 'TI' of %s is not in the list of allowed values: uint8, int32, int64",
                dt_name(x->dtype));
  if (a->depth < 0) return fail(c, "depth must be non-negative, got: %" PRId64, a->depth);
  if (x->rank + 1 > SLIMRT_MAX_RANK) return fail(c, "one_hot output would have more than %d dimensions", SLIMRT_MAX_RANK);
  int64_t ax = a->axis;
  if (ax < -1 || ax > x->rank) return fail(c, "Expected axis to be -1 or between [0, %d).  But received: %" PRId64,
                                           x->rank + 1, ax);
  if (ax == -1) ax = x->rank;
  GShape o = {.dtype = c->n->shape.rank >= 0 && c->n->shape.dtype ? c->n->shape.dtype : SLIMRT_F32,
              .rank = x->rank + 1};
  for (int i = 0, j = 0; i < o.rank; i++) o.dims[i] = i == ax ? a->depth : x->dims[j++];
  c->n->shape = o;
  return 0;
}

/* ---- the rest of the rules the op table's SHAPE column names (rule_<SHAPE>; the
   rules above with a Ctx only are named so already) ---- */

static int rule_source(Ctx *c) {
  if (c->n->shape.rank < 0) return fail(c, "%s needs its shape", op_tf_type(c->n->op));
  return 0;
}
static int rule_identity(Ctx *c) { c->n->shape = *graph_in_shape(c->n, 0); return 0; }
/* element-wise unary: any number, or floats only when the table says so */
static int rule_unary(Ctx *c) { return infer_unary(c, slimrt_op_flags(c->n->op) & SLIMRT_F_FLOAT_ONLY); }
static int rule_compare(Ctx *c) { return compare(c, false); }
static int rule_equality(Ctx *c) { return compare(c, true); }
static int rule_conv2d(Ctx *c) { return infer_conv(c, CONV_PLAIN); }
static int rule_depthwise_conv2d(Ctx *c) { return infer_conv(c, CONV_DEPTHWISE); }
static int rule_conv2d_transpose(Ctx *c) { return infer_conv(c, CONV_TRANSPOSE); }
static int rule_max_pool(Ctx *c) { return infer_pool(c, "max_pool"); }
static int rule_avg_pool(Ctx *c) { return infer_pool(c, "avg_pool"); }
/* ops made after shape inference (the fusion pass's FUSED_CONV2D) */
static int rule_none(Ctx *c) { return fail(c, "no shape rule for op %s", op_tf_type(c->n->op)); }

typedef int ShapeRule(Ctx *c);
static ShapeRule *const rule[SLIMRT_OP_COUNT] = {
#define SLIMRT_OP(ID, TF, NAME, MINI, MAXI, NOUT, ATTR, FLAGS, ACT, SHAPE, BATCH, API, BUILD, GRAD) rule_##SHAPE,
#include "slimrt_ops.def"
#undef SLIMRT_OP
};

int shape_infer(GNode *n, char *err, size_t errlen) {
  Ctx c = {n, err, errlen};
  if (errlen) err[0] = '\0';
  if (n->op < 0 || n->op >= SLIMRT_OP_COUNT) return fail(&c, "unknown op %d", n->op);
  int mn = slimrt_op_min_inputs(n->op), mx = slimrt_op_max_inputs(n->op);
  if (n->nin < mn || (mx >= 0 && n->nin > mx)) {
    if (mn == mx) return fail(&c, "%s takes %d input%s, got %d", op_tf_type(n->op), mn, mn == 1 ? "" : "s", n->nin);
    return fail(&c, "%s takes at least %d inputs, got %d", op_tf_type(n->op), mn, n->nin);
  }
  for (int i = 0; i < n->nin; i++)
    if (!n->in[i]) return fail(&c, "input %d of %s is missing", i, op_tf_type(n->op));

  if (rule[n->op](&c) != 0) return -1;
  for (int k = 1; k < n->nout; k++)
    if (n->outs[k - 1].rank < 0) return fail(&c, "the shape rule of %s leaves output %d unset", op_tf_type(n->op), k);
  return 0;
}

int shape_same_padding(int64_t in, int64_t k, int64_t stride, int64_t rate, bool same, int64_t *pad_before,
                       int64_t *pad_after) {
  int64_t keff;
  if (k <= 0 || stride <= 0 || rate <= 0 || slimrt_ck_window_extent(k, rate, &keff)) return -1;
  if (!same || in < 0) {
    /* VALID, or an unknown size (padding cannot be resolved; TF needs it static too) */
    *pad_before = *pad_after = 0;
    return same && in < 0 ? -1 : 0;
  }
  int64_t out = in / stride + (in % stride != 0), total;
  if (out > 0 && (slimrt_ck_mul(out - 1, stride, &total) || slimrt_ck_add(total, keff, &total))) return -1;
  if (out == 0) total = keff - stride;
  total -= in;
  if (total < 0) total = 0;
  *pad_before = total / 2;
  *pad_after = total - total / 2;
  return 0;
}
