/* The graph builders shared by the tf.* ops, the Tensor operators and the slim layers:
 * a node of an op under TF's op name (tf_op_name, a trailing '/' taken verbatim), with
 * shape errors reported under the layer's name; convolution and pooling windows and their
 * padding; the default names of TF's element-wise ops. GNode in, GNode out: no Python
 * values here (those are tf_tensor.c's). */
#include <inttypes.h>
#include <string.h>

#include "tf/tf_lib.h"

/* The name shown before a shape error: the layer's scope ("vgg_16/fc6") when the
   op carries its default name inside a scope, else the op's full name. */
static const char *err_subject(TfLib *t, const char *full, const char *dflt) {
  const char *slash = strrchr(full, '/');
  if (!slash || !dflt) return full;
  const char *last = slash + 1;
  size_t dl = strlen(dflt);
  if (strncmp(last, dflt, dl) == 0 && (last[dl] == '\0' || last[dl] == '_'))
    return arena_strndup(t->arena, full, (size_t)(slash - full));
  return full;
}

/* TF's rule: a name ending in '/' is used verbatim (a name scope's own name). */
const char *tf_node_name(TfLib *t, const char *name, const char *dflt) {
  size_t n = name ? strlen(name) : 0;
  if (n && name[n - 1] == '/') return arena_strndup(t->arena, name, n - 1);
  return tf_op_name(t, name, dflt);
}

GNode *tf_build(TfLib *t, int op, const char *name, const char *dflt, GNode **in, int nin,
                const slimrt_attr *attr, Span sp) {
  if (!tf_ns_name_ok(t, name, sp)) return NULL; /* a given name is a name scope to TF */
  const char *full = tf_node_name(t, name, dflt);
  char err[1024];
  GNode *n = graph_op(t->graph, op, full, in, nin, attr, sp, err, sizeof err);
  if (!n) {
    /* graph_op prefixes the op name; report under the layer's name instead */
    size_t fl = strlen(full);
    const char *msg = strncmp(err, full, fl) == 0 && err[fl] == ':' ? err + fl + 2 : err;
    eval_error(t->ev, sp, "E0630", "%s: %s", err_subject(t, full, dflt), msg);
  }
  return n;
}

GNode *tf_build_shaped(TfLib *t, int op, const char *name, const char *dflt, GNode **in, int nin,
                       const slimrt_attr *attr, GShape out, Span sp) {
  if (!tf_ns_name_ok(t, name, sp)) return NULL; /* a given name is a name scope to TF */
  const char *full = tf_node_name(t, name, dflt);
  /* check first on a scratch node so that the error has a message */
  GNode probe = {.op = op, .name = full, .in = in, .nin = nin, .shape = out};
  if (attr) probe.attr = *attr;
  char err[1024];
  if (shape_infer(&probe, err, sizeof err) != 0) {
    eval_error(t->ev, sp, "E0630", "%s: %s", err_subject(t, full, dflt), err);
    return NULL;
  }
  return graph_op_shaped(t->graph, op, full, in, nin, attr, out, sp);
}

static bool parse_padding(TfLib *t, const char *padding, bool *same, Span sp) {
  if (padding && (!strcmp(padding, "SAME") || !strcmp(padding, "same"))) *same = true;
  else if (padding && (!strcmp(padding, "VALID") || !strcmp(padding, "valid"))) *same = false;
  else {
    eval_error(t->ev, sp, "E0741", "padding must be 'SAME' or 'VALID', got '%s'", padding ? padding : "None");
    return false;
  }
  return true;
}

/* TF keeps ksize, strides and dilations in int32 attributes: a larger value is its
   graph-construction error, so no window size computed from them can overflow. */
static bool attr_int32(TfLib *t, const char *attr, const int64_t v[2], Span sp) {
  for (int i = 0; i < 2; i++)
    if (v[i] > INT32_MAX || v[i] < INT32_MIN) {
      eval_error(t->ev, sp, "E0630", "Attr %s has value %" PRId64 " out of range for an int32", attr, v[i]);
      return false;
    }
  return true;
}

/* Explicit pads of a window op over x's H and W (x not rank 4: zero pads, the shape check reports it). */
static bool window_pads(TfLib *t, const GNode *x, const int64_t k[2], const int64_t s[2], const int64_t r[2],
                        const char *padding, int64_t pads[4], Span sp) {
  bool same;
  if (!parse_padding(t, padding, &same, sp)) return false;
  memset(pads, 0, sizeof(int64_t) * 4);
  if (x->shape.rank != 4) return true;
  for (int i = 0; i < 2; i++) {
    if (shape_same_padding(x->shape.dims[1 + i], k[i], s[i], r[i], same, &pads[2 * i], &pads[2 * i + 1]) != 0) {
      if (k[i] > 0 && s[i] > 0 && r[i] > 0 && x->shape.dims[1 + i] < 0) {
        eval_error(t->ev, sp, "E0631", "SAME padding needs a known input size (dimension %d is unknown)", 1 + i);
        return false;
      }
      if (k[i] > 0 && s[i] > 0 && r[i] > 0) {
        eval_error(t->ev, sp, "E0630", "Negative dimension size caused by overflow when multiplying %" PRId64
                   " and %" PRId64, k[i] - 1, r[i]);
        return false;
      }
    }
  }
  return true;
}

static GNode *conv_like(TfLib *t, int op, GNode *x, GNode *w, const int64_t strides[2], const int64_t rates[2],
                        const char *padding, const char *name, const char *dflt, Span sp) {
  if ((rates[0] > 1 || rates[1] > 1) && (strides[0] > 1 || strides[1] > 1)) {
    eval_error(t->ev, sp, "E0632", "strides > 1 not supported in conjunction with dilation_rate > 1");
    return NULL;
  }
  int64_t k[2] = {w->shape.rank == 4 ? w->shape.dims[0] : 1, w->shape.rank == 4 ? w->shape.dims[1] : 1};
  int64_t pads[4];
  if (!attr_int32(t, "strides", strides, sp) || !attr_int32(t, "dilations", rates, sp)) return NULL;
  if (!window_pads(t, x, k, strides, rates, padding, pads, sp)) return NULL;
  slimrt_attr a = {.conv = {strides[0], strides[1], rates[0], rates[1], pads[0], pads[1], pads[2], pads[3]}};
  GNode *in[2] = {x, w};
  return tf_build(t, op, name, dflt, in, 2, &a, sp);
}

GNode *tf_conv2d(TfLib *t, GNode *x, GNode *w, const int64_t strides[2], const int64_t rates[2],
                 const char *padding, const char *name, Span sp) {
  return conv_like(t, SLIMRT_OP_CONV2D, x, w, strides, rates, padding, name, "Conv2D", sp);
}

GNode *tf_depthwise_conv2d(TfLib *t, GNode *x, GNode *w, const int64_t strides[2], const int64_t rates[2],
                           const char *padding, const char *name, Span sp) {
  /* tf.nn.depthwise_conv2d names its op after its name scope, "depthwise" (the table's NAME) */
  int op = tf_api_op("nn.depthwise_conv2d");
  return conv_like(t, op, x, w, strides, rates, padding, name, slimrt_op_default_name(op), sp);
}

GNode *tf_pool(TfLib *t, int op, GNode *x, const int64_t ksize[2], const int64_t strides[2], const char *padding,
               const char *name, Span sp) {
  static const int64_t one[2] = {1, 1};
  int64_t pads[4];
  if (!attr_int32(t, "ksize", ksize, sp) || !attr_int32(t, "strides", strides, sp)) return NULL;
  if (!window_pads(t, x, ksize, strides, one, padding, pads, sp)) return NULL;
  slimrt_attr a = {.pool = {ksize[0], ksize[1], strides[0], strides[1], pads[0], pads[1], pads[2], pads[3]}};
  return tf_build(t, op, name, op == SLIMRT_OP_MAX_POOL ? "MaxPool" : "AvgPool", &x, 1, &a, sp);
}

GNode *tf_matmul(TfLib *t, GNode *a, GNode *b, bool ta, bool tb, const char *name, Span sp) {
  slimrt_attr at = {.matmul = {ta, tb}};
  GNode *in[2] = {a, b};
  return tf_build(t, SLIMRT_OP_MATMUL, name, "MatMul", in, 2, &at, sp);
}

GNode *tf_binary(TfLib *t, int op, GNode *a, GNode *b, const char *name, Span sp) {
  GNode *in[2] = {a, b};
  return tf_build(t, op, name, slimrt_op_default_name(op), in, 2, NULL, sp);
}

GNode *tf_unary(TfLib *t, int op, GNode *x, const char *name, Span sp) {
  return tf_build(t, op, name, slimrt_op_default_name(op), &x, 1, NULL, sp);
}

GNode *tf_reshape(TfLib *t, GNode *x, const int64_t *dims, int rank, const char *name, Span sp) {
  GShape out;
  char err[512];
  if (shape_reshape(&x->shape, dims, rank, &out, err, sizeof err) != 0) {
    const char *full = tf_node_name(t, name, "Reshape");
    char s[128];
    eval_error(t->ev, sp, "E0630", "%s: %s for '%s' with input shape %s", err_subject(t, full, "Reshape"), err,
               full, gshape_str(&x->shape, s, sizeof s));
    return NULL;
  }
  return tf_build_shaped(t, SLIMRT_OP_RESHAPE, name, "Reshape", &x, 1, NULL, out, sp);
}

GNode *tf_cast(TfLib *t, GNode *x, int dtype, const char *name, Span sp) {
  if (x->shape.dtype == dtype) return x; /* TF returns the input unchanged */
  GShape out = x->shape;
  out.dtype = dtype;
  return tf_build_shaped(t, SLIMRT_OP_CAST, name, "Cast", &x, 1, NULL, out, sp);
}

/* ---- the op table's API column: the tf.* names of each op ---- */

/* Calls FN(op, namespace, name) for each name of the API column of every op. */
void tf_each_api_name(void (*fn)(void *ctx, int op, const char *ns, size_t nslen, const char *name, size_t len),
                          void *ctx) {
  for (int op = 0; op < SLIMRT_OP_COUNT; op++) {
    const char *p = slimrt_op_api(op);
    while (p && *p) {
      while (*p == ' ') p++;
      size_t n = strcspn(p, " ");
      if (!n) break;
      const char *dot = memchr(p, '.', n);
      if (dot) fn(ctx, op, p, (size_t)(dot - p), dot + 1, n - (size_t)(dot - p) - 1);
      else fn(ctx, op, "", 0, p, n);
      p += n;
    }
  }
}

typedef struct ApiFind { const char *want; int op; } ApiFind;

static void api_find(void *ctx, int op, const char *ns, size_t nslen, const char *name, size_t len) {
  ApiFind *f = ctx;
  size_t wl = strlen(f->want);
  if (f->op >= 0) return;
  if (nslen ? wl == nslen + 1 + len && !memcmp(f->want, ns, nslen) && f->want[nslen] == '.' &&
                  !memcmp(f->want + nslen + 1, name, len)
            : wl == len && !memcmp(f->want, name, len))
    f->op = op;
}

int tf_api_op(const char *api) {
  ApiFind f = {api, -1};
  tf_each_api_name(api_find, &f);
  return f.op;
}
