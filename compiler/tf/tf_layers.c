/* TF-Slim layers (tf-slim-reference.md §5, §6): each creates the variables TF-Slim
 * creates, in the same order, under the same default scope, and builds the inference
 * computation. batch_norm with is_training=True (its default) normalizes with the
 * batch's statistics, as TF's forward pass does, and records its moving-average updates
 * in updates_collections by TF's names; slimc never runs them (no training).
 *
 * A layer is described in two places, both in this file, and nothing refers to a
 * parameter by its position:
 *   - its parameters: one X-macro NAME_PARAMS(R, O) in TF-Slim's order, R(name) for a
 *     required parameter, O(name, default) for an optional one (the default as TF-Slim
 *     spells it). LAYER_ARGS(Type, NAME_PARAMS) generates the struct Type (one Value *
 *     field per parameter, NULL when absent), the names eval_bind follows (Type_params),
 *     the count of required ones (Type_nreq) and Type_of(), which fills the struct from the
 *     bound arguments. The builder reads a->kernel_size and applies the defaults itself,
 *     where TF checks them, so that errors come in TF's order.
 *   - its row in SLIM_LAYERS at the end: __name__, argument struct, builder, and the names
 *     slim exports it under.
 * A new layer: its X-macro and LAYER_ARGS, its builder
 * `static Value *l_NAME(TfLib *t, const Type *a, Span sp)`, its SLIM_LAYERS row, and its
 * cases (docs/tf-semantics.md, "Adding a layer"). */
#include <ctype.h>
#include <inttypes.h>
#include <stddef.h>
#include <string.h>
#include "py/eval.h"
#include "tf/tf_lib.h"
#include "slimrt_checked.h"

/* ---- the argument structs (see the header) ---- */

enum { LAYER_MAX_PARAMS = 32 };

#define LA_FIELD_R(n) Value *n;
#define LA_FIELD_O(n, dflt) Value *n;
#define LA_NAME_R(n) #n,
#define LA_NAME_O(n, dflt) #n,
#define LA_COUNT_R(n) +1
#define LA_COUNT_O(n, dflt)
#define LA_TAKE_R(n) a.n = p[i++];
#define LA_TAKE_O(n, dflt) a.n = p[i++];
#define LA_LEADS_R(n) _Static_assert(offsetof(Self, n) < sizeof(Value *) * nreq, "required parameters lead");
#define LA_LEADS_O(n, dflt)
#define LAYER_ARGS(Type, PARAMS)                                                             \
  typedef struct Type { PARAMS(LA_FIELD_R, LA_FIELD_O) } Type;                               \
  static const char *const Type##_params[] = {PARAMS(LA_NAME_R, LA_NAME_O) NULL};            \
  enum { Type##_nreq = 0 PARAMS(LA_COUNT_R, LA_COUNT_O) };                                   \
  _Static_assert(sizeof(Type) <= sizeof(Value *) * LAYER_MAX_PARAMS, "too many parameters"); \
  /* P: the arguments bound by Type##_params, in that order */                               \
  static Type Type##_of(Value *const *p) {                                                   \
    typedef Type Self;                                                                       \
    enum { nreq = Type##_nreq };                                                             \
    PARAMS(LA_LEADS_R, LA_LEADS_O)                                                           \
    Self a;                                                                                  \
    int i = 0;                                                                               \
    PARAMS(LA_TAKE_R, LA_TAKE_O)                                                             \
    return a;                                                                                \
  }

static const GInit xavier = {.kind = GINIT_VARIANCE_SCALING, .factor = 1.0, .mode = 2, .uniform = true,
                             .text = "xavier_initializer()"};
static const GInit zeros = {.kind = GINIT_ZEROS, .text = "zeros_initializer()"};
static const GInit ones = {.kind = GINIT_ONES, .text = "ones_initializer()"};

/* ---- argument helpers ---- */

static bool given(Value *v) { return v && v->kind != V_NONE; }

static GNode *node_arg(TfLib *t, Value *v, Span sp) { return tf_to_node(t, v, 0, sp); }

static bool int_pair(TfLib *t, Value *v, const char *what, Span sp, int64_t out[2]) {
  if (v->kind == V_INT) {
    out[0] = out[1] = v->u.i;
    return out[0] > 0 || !eval_error(t->ev, sp, "E0740", "%s must be positive, got %lld", what, (long long)v->u.i);
  }
  if ((v->kind == V_LIST || v->kind == V_TUPLE) && v->u.list.n == 2 && v->u.list.items[0]->kind == V_INT &&
      v->u.list.items[1]->kind == V_INT) {
    out[0] = v->u.list.items[0]->u.i;
    out[1] = v->u.list.items[1]->u.i;
    if (out[0] > 0 && out[1] > 0) return true;
  }
  eval_error(t->ev, sp, "E0740", "%s must be an int or a list of 2 positive ints, got %s", what, val_repr(t->ev, v));
  return false;
}

static bool padding_arg(TfLib *t, Value *v, Span sp, const char **out) {
  const char *s;
  if (!eval_to_str(t->ev, v, sp, "padding", &s)) return false;
  if (!strcasecmp(s, "SAME")) *out = "SAME";
  else if (!strcasecmp(s, "VALID")) *out = "VALID";
  else {
    /* the slim layers' padding goes through Keras' conv_utils.normalize_padding (TF 2.15 text) */
    char *low = arena_strdup(t->arena, s);
    for (char *q = low; *q; q++) *q = (char)tolower((unsigned char)*q);
    eval_error(t->ev, sp, "E0741",
               "The `padding` argument must be a list/tuple or one of \"valid\", \"same\" (or \"causal\", only for "
               "`Conv1D). Received: %s", low);
    tf_argscope_note(t, "padding", v);
    return false;
  }
  return true;
}

static bool data_format_ok(TfLib *t, Value *v, Span sp) {
  const char *s;
  if (!given(v)) return true;
  if (!eval_to_str(t->ev, v, sp, "data_format", &s)) return false;
  if (!strcmp(s, "NHWC") || !strcmp(s, "NWC") || !strcmp(s, "NDHWC")) return true;
  eval_error(t->ev, sp, "E0742", "data_format=\"%s\" is not supported (NHWC only)", s);
  tf_argscope_note(t, "data_format", v);
  return false;
}

static bool want_rank(TfLib *t, GNode *x, int rank, Span sp) {
  if (x->shape.rank == rank) return true;
  eval_error(t->ev, sp, "E0743", "Convolution expects input with rank %d, got %d", rank, x->shape.rank);
  return false;
}

/* variables_collections: a list for all variables, or a dict keyed by variable kind */
static Value *var_colls(TfLib *t, Value *vc, const char *kind) {
  if (!given(vc)) return NULL;
  if (vc->kind == V_DICT) {
    Value *v = dict_get_str(vc->u.dict, kind);
    return v && v->kind != V_NONE ? v : NULL;
  }
  (void)t;
  return vc;
}

/* REG of a layer variable that tf_slim creates with variables.model_variable() but no
   regularizer= (batch_norm's moving statistics, the legacy path's beta and gamma): the
   regularizer of an arg_scope on slim.model_variable applies, as in TF. */
static Value reg_from_scope;
#define REG_SCOPE (&reg_from_scope)

/* A layer variable: slim.model_variable semantics (GLOBAL + MODEL, + TRAINABLE). */
static GNode *layer_var(TfLib *t, const char *name, const int64_t *dims, int rank, Value *init,
                        const GInit *dflt, Value *reg, const char *reg_name, bool trainable, Value *colls, Span sp) {
  TfVarRequest r = {0};
  r.name = name;
  r.has_shape = true;
  r.shape.rank = rank;
  for (int i = 0; i < rank; i++) r.shape.dims[i] = dims[i];
  r.dtype = SLIMRT_F32;
  r.initializer = init;
  r.default_init = init ? NULL : dflt;
  r.regularizer = reg;
  r.reg_name = reg_name;
  r.trainable = trainable;
  r.collections = colls;
  r.model_variable = true;
  r.device = t->device;
  r.sp = sp;
  Value *scope_reg = NULL;
  if (reg == REG_SCOPE) r.regularizer = NULL;
  if (!tf_layer_var_argscope(t, sp, &r.device, reg == REG_SCOPE ? &scope_reg : NULL)) return NULL;
  if (reg == REG_SCOPE) r.regularizer = scope_reg;
  Value *v = tf_get_variable(t, &r);
  if (!v) return NULL;
  return tf_tensor_of(v)->node;
}

/* Initializer argument: absent -> NULL (layer default), None -> TF's default. */
static Value *init_arg(Value *v, bool *none) {
  *none = v && v->kind == V_NONE;
  return given(v) ? v : NULL;
}

static GNode *bias_add(TfLib *t, GNode *y, GNode *b, Span sp) {
  GNode *in[2] = {y, b};
  return tf_build(t, SLIMRT_OP_BIAS_ADD, NULL, "BiasAdd", in, 2, NULL, sp);
}

/* activation_fn: absent -> DFLT_RELU ? relu : none; None -> none; else the callable */
static Value *activate(TfLib *t, Value *fn, Value *y, bool dflt_relu, Span sp) {
  if (!fn) {
    if (!dflt_relu) return y;
    GNode *n = tf_unary(t, SLIMRT_OP_RELU, tf_tensor_of(y)->node, NULL, sp);
    return n ? tf_wrap(t, n) : NULL;
  }
  if (fn->kind == V_NONE) return y;
  return tf_apply_fn(t, fn, y, sp);
}

/* normalizer_fn(outputs, **normalizer_params) */
static Value *normalize(TfLib *t, Value *fn, Value *params, Value *y, Span sp) {
  Args a = {0};
  a.pos = &y;
  a.pos_spans = &sp;
  a.npos = 1;
  a.call_span = sp;
  if (given(params)) {
    if (params->kind != V_DICT)
      return eval_error(t->ev, sp, "E0744", "normalizer_params must be a dict, got %s", val_type_name(params));
    int n = dict_len(params->u.dict);
    a.kw = arena_alloc(t->arena, sizeof(char *) * (n + 1));
    a.kwv = arena_alloc(t->arena, sizeof(Value *) * (n + 1));
    a.kw_spans = arena_alloc(t->arena, sizeof(Span) * (n + 1));
    Value *k, *v;
    for (int i = 0; dict_next(params->u.dict, &i, &k, &v);) {
      if (k->kind != V_STR) return eval_error(t->ev, sp, "E0744", "normalizer_params keys must be strings");
      if (!eval_str_nul_free(t->ev, k, sp, "normalizer_params key")) return NULL;
      a.kw[a.nkw] = k->u.str.s;
      a.kwv[a.nkw] = v;
      a.kw_spans[a.nkw++] = sp;
    }
  }
  return eval_call(t->ev, fn, &a);
}

#define ALIAS_KEY "\001slimc_aliases" /* (alias, tensor) pairs for convert_collection_to_dict */

static bool collect_outputs(TfLib *t, Value *colls, const char *alias, Value *out, Span sp) {
  if (!given(colls)) return true;
  Value *l = colls->kind == V_STR ? NULL : eval_iter_list(t->ev, colls, sp);
  if (!l && colls->kind != V_STR) return false;
  size_t n = strlen(alias);
  if (n && alias[n - 1] == '/') alias = arena_strndup(t->arena, alias, n - 1);
  int cnt = l ? l->u.list.n : 1;
  for (int i = 0; i < cnt; i++) {
    Value *k = l ? l->u.list.items[i] : colls;
    const char *key;
    if (!eval_to_str(t->ev, k, sp, "collection name", &key)) return false;
    tf_add_to_collection(t, key, out);
  }
  Value *pair = val_tuple(t->ev, 2);
  pair->u.list.items[0] = val_str(t->ev, alias);
  pair->u.list.items[1] = out;
  tf_add_to_collection(t, ALIAS_KEY, pair);
  return true;
}

/* ---- convolutions and fully_connected ---- */

#define CONV2D_PARAMS(R, O)                                                                               \
  R(inputs) R(num_outputs) R(kernel_size) O(stride, 1) O(padding, "SAME") O(data_format, None) O(rate, 1) \
  O(activation_fn, nn.relu) O(normalizer_fn, None) O(normalizer_params, None)                             \
  O(weights_initializer, initializers.xavier_initializer()) O(weights_regularizer, None)                  \
  O(biases_initializer, init_ops.zeros_initializer()) O(biases_regularizer, None) O(reuse, None)          \
  O(variables_collections, None) O(outputs_collections, None) O(trainable, True) O(scope, None)
LAYER_ARGS(Conv2dArgs, CONV2D_PARAMS)

/* After the main op: bias (iff no normalizer and a biases initializer), normalizer, activation. */
static Value *finish(TfLib *t, GNode *y, int64_t nout, Value *norm, Value *normp, Value *binit_raw, Value *breg,
                     const char *breg_name, bool trainable, Value *vc, Value *act, Span sp) {
  bool bnone;
  Value *binit = init_arg(binit_raw, &bnone);
  if (!given(norm) && !bnone) {
    GNode *b = layer_var(t, "biases", &nout, 1, binit, &zeros, breg, breg_name, trainable, var_colls(t, vc, "biases"), sp);
    if (!b || !(y = bias_add(t, y, b, sp))) return NULL;
  }
  Value *out = tf_wrap(t, y);
  if (given(norm) && !(out = normalize(t, norm, normp, out, sp))) return NULL;
  return activate(t, act, out, true, sp);
}

static bool opt_true(TfLib *t, Value *v, Span sp, bool *out) {
  *out = true;
  if (!given(v)) return true;
  int b = eval_truthy(t->ev, v, sp);
  if (b < 0) return false;
  *out = b;
  return true;
}

static Value *run_scoped(TfLib *t, TfVsCtx *c, Value *out, Value *oc, Span sp) {
  const char *alias = tf_var_scope_name(t);
  tf_vs_close(t, c);
  if (!out) return NULL;
  return collect_outputs(t, oc, alias, out, sp) ? out : NULL;
}

static Value *l_conv2d(TfLib *t, const Conv2dArgs *a, Span sp) {
  GNode *x = node_arg(t, a->inputs, sp);
  int64_t k[2], s[2] = {1, 1}, r[2] = {1, 1}, nout;
  const char *pad = "SAME";
  bool trainable, wnone;
  if (!x || !want_rank(t, x, 4, sp) || !eval_to_int(t->ev, a->num_outputs, sp, "num_outputs", &nout) ||
      !int_pair(t, a->kernel_size, "kernel_size", sp, k) || (a->stride && !int_pair(t, a->stride, "stride", sp, s)) ||
      (a->rate && !int_pair(t, a->rate, "rate", sp, r)) || (a->padding && !padding_arg(t, a->padding, sp, &pad)) ||
      !data_format_ok(t, a->data_format, sp) || !opt_true(t, a->trainable, sp, &trainable))
    return NULL;
  TfVsCtx *c = tf_vs_open(t, a->scope, "Conv", a->reuse, sp);
  if (!c) return NULL;
  int64_t wd[4] = {k[0], k[1], x->shape.dims[3], nout};
  Value *winit = init_arg(a->weights_initializer, &wnone);
  Value *out = NULL;
  GNode *w = layer_var(t, "weights", wd, 4, winit, wnone ? NULL : &xavier, a->weights_regularizer, "kernel", trainable,
                       var_colls(t, a->variables_collections, "weights"), sp);
  /* TF builds a dilated convolution between SpaceToBatchND and BatchToSpaceND */
  GNode *y = w ? tf_conv2d(t, x, w, s, r, pad, r[0] > 1 || r[1] > 1 ? "Conv2D/BatchToSpaceND" : NULL, sp) : NULL;
  if (y)
    out = finish(t, y, nout, a->normalizer_fn, a->normalizer_params, a->biases_initializer, a->biases_regularizer,
                 "bias", trainable, a->variables_collections, a->activation_fn, sp);
  return run_scoped(t, c, out, a->outputs_collections, sp);
}

#define CONV2D_TRANSPOSE_PARAMS(R, O)                                                                      \
  R(inputs) R(num_outputs) R(kernel_size) O(stride, 1) O(padding, "SAME") O(data_format, DATA_FORMAT_NHWC) \
  O(activation_fn, nn.relu) O(normalizer_fn, None) O(normalizer_params, None)                              \
  O(weights_initializer, initializers.xavier_initializer()) O(weights_regularizer, None)                   \
  O(biases_initializer, init_ops.zeros_initializer()) O(biases_regularizer, None) O(reuse, None)           \
  O(variables_collections, None) O(outputs_collections, None) O(trainable, True) O(scope, None)
LAYER_ARGS(Conv2dTransposeArgs, CONV2D_TRANSPOSE_PARAMS)

static Value *l_conv2d_transpose(TfLib *t, const Conv2dTransposeArgs *a, Span sp) {
  GNode *x = node_arg(t, a->inputs, sp);
  int64_t k[2], s[2] = {1, 1}, nout;
  const char *pad = "SAME";
  bool trainable, wnone;
  if (!x || !want_rank(t, x, 4, sp) || !eval_to_int(t->ev, a->num_outputs, sp, "num_outputs", &nout) ||
      !int_pair(t, a->kernel_size, "kernel_size", sp, k) || (a->stride && !int_pair(t, a->stride, "stride", sp, s)) ||
      (a->padding && !padding_arg(t, a->padding, sp, &pad)) || !data_format_ok(t, a->data_format, sp) ||
      !opt_true(t, a->trainable, sp, &trainable))
    return NULL;
  TfVsCtx *c = tf_vs_open(t, a->scope, "Conv2d_transpose", a->reuse, sp);
  if (!c) return NULL;
  int64_t wd[4] = {k[0], k[1], nout, x->shape.dims[3]};
  Value *winit = init_arg(a->weights_initializer, &wnone), *out = NULL;
  GNode *w = layer_var(t, "weights", wd, 4, winit, wnone ? NULL : &xavier, a->weights_regularizer, "kernel", trainable,
                       var_colls(t, a->variables_collections, "weights"), sp);
  if (w) {
    /* Keras deconv_output_length; the pads are those of the matching forward convolution */
    GShape os = x->shape;
    slimrt_attr at = {0};
    at.conv.stride_h = s[0], at.conv.stride_w = s[1], at.conv.dilation_h = at.conv.dilation_w = 1;
    for (int d = 0; d < 2; d++) {
      int64_t in = x->shape.dims[1 + d], o;
      if (s[d] > INT32_MAX) {
        eval_error(t->ev, sp, "E0630", "Attr strides has value %" PRId64 " out of range for an int32", s[d]);
        return run_scoped(t, c, NULL, a->outputs_collections, sp);
      }
      if (slimrt_ck_mul(in, s[d], &o) || (strcmp(pad, "SAME") && slimrt_ck_add(o, k[d] > s[d] ? k[d] - s[d] : 0, &o))) {
        eval_error(t->ev, sp, "E0630", "Negative dimension size caused by overflow when multiplying %" PRId64
                   " and %" PRId64, in, s[d]);
        return run_scoped(t, c, NULL, a->outputs_collections, sp);
      }
      int64_t total = !strcmp(pad, "SAME") ? (in - 1) * s[d] + k[d] - o : 0;
      if (total < 0) total = 0;
      if (d == 0) at.conv.pad_top = total / 2, at.conv.pad_bottom = total - total / 2;
      else at.conv.pad_left = total / 2, at.conv.pad_right = total - total / 2;
      os.dims[1 + d] = o;
    }
    os.dims[3] = nout;
    GNode *in[2] = {x, w};
    GNode *y = tf_build_shaped(t, SLIMRT_OP_CONV2D_TRANSPOSE, NULL, "conv2d_transpose", in, 2, &at, os, sp);
    if (y)
      out = finish(t, y, nout, a->normalizer_fn, a->normalizer_params, a->biases_initializer, a->biases_regularizer,
                   "bias", trainable, a->variables_collections, a->activation_fn, sp);
  }
  return run_scoped(t, c, out, a->outputs_collections, sp);
}

#define CONV2D_IN_PLANE_PARAMS(R, O)                                                             \
  R(inputs) R(kernel_size) O(stride, 1) O(padding, "SAME") O(activation_fn, nn.relu)             \
  O(normalizer_fn, None) O(normalizer_params, None)                                              \
  O(weights_initializer, initializers.xavier_initializer()) O(weights_regularizer, None)         \
  O(biases_initializer, init_ops.zeros_initializer()) O(biases_regularizer, None) O(reuse, None) \
  O(variables_collections, None) O(outputs_collections, None) O(trainable, True) O(scope, None)
LAYER_ARGS(InPlaneArgs, CONV2D_IN_PLANE_PARAMS)

static Value *l_conv2d_in_plane(TfLib *t, const InPlaneArgs *a, Span sp) {
  GNode *x = node_arg(t, a->inputs, sp);
  int64_t k[2], s[2] = {1, 1}, one[2] = {1, 1};
  const char *pad = "SAME";
  bool trainable, wnone;
  if (!x || !want_rank(t, x, 4, sp) || !int_pair(t, a->kernel_size, "kernel_size", sp, k) ||
      (a->stride && !int_pair(t, a->stride, "stride", sp, s)) ||
      (a->padding && !padding_arg(t, a->padding, sp, &pad)) || !opt_true(t, a->trainable, sp, &trainable))
    return NULL;
  TfVsCtx *c = tf_vs_open(t, a->scope, "ConvInPlane", a->reuse, sp);
  if (!c) return NULL;
  int64_t wd[4] = {k[0], k[1], 1, 1}, C = x->shape.dims[3];
  Value *winit = init_arg(a->weights_initializer, &wnone), *out = NULL;
  GNode *w = layer_var(t, "weights", wd, 4, winit, wnone ? NULL : &xavier, a->weights_regularizer, NULL, trainable,
                       var_colls(t, a->variables_collections, "weights"), sp);
  if (w) {
    slimrt_attr at = {0};
    at.tile.multiples[0] = at.tile.multiples[1] = at.tile.multiples[3] = 1;
    at.tile.multiples[2] = C;
    GNode *tiled = tf_build(t, SLIMRT_OP_TILE, NULL, "Tile", &w, 1, &at, sp);
    GNode *y = tiled ? tf_depthwise_conv2d(t, x, tiled, s, one, pad, NULL, sp) : NULL;
    if (y)
      out = finish(t, y, C, a->normalizer_fn, a->normalizer_params, a->biases_initializer, a->biases_regularizer, NULL,
                   trainable, a->variables_collections, a->activation_fn, sp);
  }
  return run_scoped(t, c, out, a->outputs_collections, sp);
}

#define SEPARABLE_CONV2D_PARAMS(R, O)                                                            \
  R(inputs) R(num_outputs) R(kernel_size) O(depth_multiplier, 1) O(stride, 1) O(padding, "SAME") \
  O(data_format, DATA_FORMAT_NHWC) O(rate, 1) O(activation_fn, nn.relu) O(normalizer_fn, None)   \
  O(normalizer_params, None) O(weights_initializer, initializers.xavier_initializer())           \
  O(pointwise_initializer, None) O(weights_regularizer, None)                                    \
  O(biases_initializer, init_ops.zeros_initializer()) O(biases_regularizer, None) O(reuse, None) \
  O(variables_collections, None) O(outputs_collections, None) O(trainable, True) O(scope, None)
LAYER_ARGS(SeparableArgs, SEPARABLE_CONV2D_PARAMS)

static Value *l_separable_conv2d(TfLib *t, const SeparableArgs *a, Span sp) {
  GNode *x = node_arg(t, a->inputs, sp);
  int64_t k[2], s[2] = {1, 1}, r[2] = {1, 1}, dm = 1, nout = 0;
  const char *pad = "SAME";
  bool trainable, wnone, pnone;
  bool has_nout = given(a->num_outputs);
  if (!x || !want_rank(t, x, 4, sp) || (has_nout && !eval_to_int(t->ev, a->num_outputs, sp, "num_outputs", &nout)) ||
      !int_pair(t, a->kernel_size, "kernel_size", sp, k) ||
      (a->depth_multiplier && !eval_to_int(t->ev, a->depth_multiplier, sp, "depth_multiplier", &dm)) ||
      (a->stride && !int_pair(t, a->stride, "stride", sp, s)) || (a->rate && !int_pair(t, a->rate, "rate", sp, r)) ||
      (a->padding && !padding_arg(t, a->padding, sp, &pad)) || !data_format_ok(t, a->data_format, sp) ||
      !opt_true(t, a->trainable, sp, &trainable))
    return NULL;
  TfVsCtx *c = tf_vs_open(t, a->scope, "SeparableConv2d", a->reuse, sp);
  if (!c) return NULL;
  int64_t C = x->shape.dims[3];
  int64_t dwd[4] = {k[0], k[1], C, dm};
  Value *winit = init_arg(a->weights_initializer, &wnone), *pinit = init_arg(a->pointwise_initializer, &pnone),
        *out = NULL;
  Value *wc = var_colls(t, a->variables_collections, "weights");
  GNode *dw = layer_var(t, "depthwise_weights", dwd, 4, winit, wnone ? NULL : &xavier, a->weights_regularizer,
                        has_nout ? "depthwise_kernel" : NULL, trainable, wc, sp);
  GNode *y = dw ? tf_depthwise_conv2d(t, x, dw, s, r, pad, r[0] > 1 || r[1] > 1 ? "depthwise/BatchToSpaceND" : NULL, sp)
                 : NULL;
  if (y && has_nout) {
    int64_t pwd[4] = {1, 1, C * dm, nout}, one[2] = {1, 1};
    /* pointwise_initializer None -> weights_initializer */
    Value *pi = pinit ? pinit : winit;
    GNode *pw = layer_var(t, "pointwise_weights", pwd, 4, pi, (pinit || winit || wnone) ? NULL : &xavier,
                          a->weights_regularizer, "pointwise_kernel", trainable, wc, sp);
    y = pw ? tf_conv2d(t, y, pw, one, one, "VALID", NULL, sp) : NULL;
  }
  if (y)
    out = finish(t, y, has_nout ? nout : C * dm, a->normalizer_fn, a->normalizer_params, a->biases_initializer,
                 a->biases_regularizer, has_nout ? "bias" : NULL, trainable, a->variables_collections, a->activation_fn,
                 sp);
  return run_scoped(t, c, out, a->outputs_collections, sp);
}

#define FULLY_CONNECTED_PARAMS(R, O)                                                                   \
  R(inputs) R(num_outputs) O(activation_fn, nn.relu) O(normalizer_fn, None) O(normalizer_params, None) \
  O(weights_initializer, initializers.xavier_initializer()) O(weights_regularizer, None)               \
  O(biases_initializer, init_ops.zeros_initializer()) O(biases_regularizer, None) O(reuse, None)       \
  O(variables_collections, None) O(outputs_collections, None) O(trainable, True) O(scope, None)
LAYER_ARGS(FcArgs, FULLY_CONNECTED_PARAMS)

static Value *l_fully_connected(TfLib *t, const FcArgs *a, Span sp) {
  if (a->num_outputs->kind != V_INT)
    return eval_error(t->ev, sp, "E0745", "num_outputs type should be one of [<class 'int'>], got <class '%s'>.",
                      val_type_name(a->num_outputs));
  int64_t nout = a->num_outputs->u.i;
  GNode *x = node_arg(t, a->inputs, sp);
  bool trainable, wnone;
  if (!x || !opt_true(t, a->trainable, sp, &trainable)) return NULL;
  if (x->shape.rank < 2 || x->shape.dims[x->shape.rank - 1] < 0)
    return eval_error(t->ev, sp, "E0746", "fully_connected input must have rank >= 2 and a known last dimension");
  TfVsCtx *c = tf_vs_open(t, a->scope, "fully_connected", a->reuse, sp);
  if (!c) return NULL;
  int rank = x->shape.rank;
  int64_t cin = x->shape.dims[rank - 1];
  int64_t wd[2] = {cin, nout};
  Value *winit = init_arg(a->weights_initializer, &wnone), *out = NULL;
  GNode *w = layer_var(t, "weights", wd, 2, winit, wnone ? NULL : &xavier, a->weights_regularizer, "kernel", trainable,
                       var_colls(t, a->variables_collections, "weights"), sp);
  GNode *y = NULL;
  if (w && rank == 2) y = tf_matmul(t, x, w, false, false, NULL, sp);
  else if (w) { /* Dense on rank > 2: tensordot over the last axis */
    int64_t rows = 1, flat[2], back[SLIMRT_MAX_RANK];
    for (int i = 0; i < rank - 1; i++) {
      back[i] = x->shape.dims[i];
      rows = rows < 0 || back[i] < 0 ? -1 : rows * back[i]; /* an unknown batch stays unknown */
    }
    flat[0] = rows, flat[1] = cin;
    back[rank - 1] = nout;
    GNode *x2 = tf_reshape(t, x, flat, 2, NULL, sp);
    GNode *m = x2 ? tf_matmul(t, x2, w, false, false, NULL, sp) : NULL;
    y = m ? tf_reshape(t, m, back, rank, NULL, sp) : NULL;
  }
  if (y)
    out = finish(t, y, nout, a->normalizer_fn, a->normalizer_params, a->biases_initializer, a->biases_regularizer,
                 "bias", trainable, a->variables_collections, a->activation_fn, sp);
  return run_scoped(t, c, out, a->outputs_collections, sp);
}

/* ---- batch_norm ---- */

#define BATCH_NORM_PARAMS(R, O)                                                                      \
  R(inputs) O(decay, 0.999) O(center, True) O(scale, False) O(epsilon, 0.001) O(activation_fn, None) \
  O(param_initializers, None) O(param_regularizers, None)                                            \
  O(updates_collections, ops.GraphKeys.UPDATE_OPS) O(is_training, True) O(reuse, None)               \
  O(variables_collections, None) O(outputs_collections, None) O(trainable, True)                     \
  O(batch_weights, None) O(fused, None) O(data_format, DATA_FORMAT_NHWC)                             \
  O(zero_debias_moving_mean, False) O(scope, None) O(renorm, False) O(renorm_clipping, None)         \
  O(renorm_decay, 0.99) O(adjustment, None)
LAYER_ARGS(BatchNormArgs, BATCH_NORM_PARAMS)

static bool bool_arg(TfLib *t, Value *v, bool dflt, Span sp, bool *out) {
  *out = dflt;
  if (!given(v)) return true;
  int b = eval_truthy(t->ev, v, sp);
  if (b < 0) return false;
  *out = b;
  return true;
}

static Value *dict_arg(Value *d, const char *key) {
  if (!given(d) || d->kind != V_DICT) return NULL;
  Value *v = dict_get_str(d->u.dict, key);
  return given(v) ? v : NULL;
}

static GNode *const_fill(TfLib *t, int64_t n, float val, Span sp) {
  float *d = arena_alloc(t->arena, sizeof(float) * (n ? n : 1));
  for (int64_t i = 0; i < n; i++) d[i] = val;
  GShape s = {.dtype = SLIMRT_F32, .rank = 1, .dims = {n}};
  return graph_const(t->graph, tf_op_name(t, NULL, "Const"), s, d, sp);
}

/* TF-Slim's default epsilon. Only the oracle's plant test (tests/oracle/plant.sh) builds a
   slimc with another value, to see scripts/oracle diff catch a wrong default. */
#ifndef SLIMC_PLANT_BN_EPSILON
#define SLIMC_PLANT_BN_EPSILON 0.001
#endif

/* is_training left at TF-Slim's default True (neither at the call nor by an arg_scope): TF
   would build the training form (batch statistics, dropout), slimc builds inference. */
static void warn_is_training(TfLib *t, Value *v, Span sp, const char *layer, const char *what) {
  if (given(v)) return;
  diag_warning(eval_diag(t->ev), sp, "is-training",
               "slim.%s() leaves is_training at its default True, which in TF means %s; slimc compiles "
               "the inference form: pass is_training=False (or set it in an arg_scope)", layer, what);
}

static Value *l_batch_norm(TfLib *t, const BatchNormArgs *a, Span sp) {
  warn_is_training(t, a->is_training, sp, "batch_norm", "normalizing by the batch's own statistics");
  GNode *x = node_arg(t, a->inputs, sp);
  bool center, scale, trainable, fused = true, zdm, renorm;
  double eps = SLIMC_PLANT_BN_EPSILON;
  if (!x || !bool_arg(t, a->center, true, sp, &center) || !bool_arg(t, a->scale, false, sp, &scale) ||
      !bool_arg(t, a->trainable, true, sp, &trainable) || !bool_arg(t, a->fused, true, sp, &fused) ||
      !bool_arg(t, a->zero_debias_moving_mean, false, sp, &zdm) || !bool_arg(t, a->renorm, false, sp, &renorm) ||
      (given(a->epsilon) && !eval_to_float(t->ev, a->epsilon, sp, "epsilon", &eps)) ||
      !data_format_ok(t, a->data_format, sp))
    return NULL;
  int rank = x->shape.rank;
  if (rank < 1 || x->shape.dims[rank - 1] < 0)
    return eval_error(t->ev, sp, "E0747", "Inputs %s has undefined rank or channel dimension.", x->name);
  int64_t C = x->shape.dims[rank - 1];
  /* updates_collections default is the UPDATE_OPS key; TF tests it by identity */
  bool upd_is_update_ops = true;
  if (a->updates_collections)
    upd_is_update_ops = a->updates_collections->kind == V_STR && !strcmp(a->updates_collections->u.str.s, "update_ops");
  bool plain = !given(a->batch_weights) && !renorm && !given(a->adjustment);
  /* the three code paths of slim.batch_norm differ in variable creation order */
  int path;
  if (fused && plain && (rank == 2 || rank == 4) && (zdm || rank == 2 || !upd_is_update_ops)) path = 1;
  else if (!given(a->batch_weights) && upd_is_update_ops && !zdm) path = 2;
  else path = 3;
  TfVsCtx *c = tf_vs_open(t, a->scope, "BatchNorm", a->reuse, sp);
  if (!c) return NULL;
  Value *pi = a->param_initializers, *pr = a->param_regularizers, *vc = a->variables_collections;
  GNode *gamma = NULL, *beta = NULL, *mean = NULL, *var = NULL;
  bool core = path == 2;
  bool ok = true;
#define BN_VAR(dst, nm, dflt, reg, tr) \
  (ok = ok && (dst = layer_var(t, nm, &C, 1, dict_arg(pi, nm), dflt, reg, core ? nm : NULL, tr, \
                               core ? NULL : var_colls(t, vc, nm), sp)))
  if (core) {
    if (scale) BN_VAR(gamma, "gamma", &ones, dict_arg(pr, "gamma"), trainable);
    if (center) BN_VAR(beta, "beta", &zeros, dict_arg(pr, "beta"), trainable);
  } else {
    /* the legacy path passes no regularizer to beta/gamma: model_variable's arg_scope's applies */
    if (center) BN_VAR(beta, "beta", &zeros, path == 1 ? dict_arg(pr, "beta") : REG_SCOPE, trainable);
    if (scale) BN_VAR(gamma, "gamma", &ones, path == 1 ? dict_arg(pr, "gamma") : REG_SCOPE, trainable);
  }
  /* the Keras path's getter passes regularizer=None; the others pass none */
  BN_VAR(mean, "moving_mean", &zeros, core ? NULL : REG_SCOPE, false);
  BN_VAR(var, "moving_variance", &ones, core ? NULL : REG_SCOPE, false);
#undef BN_VAR
  if (ok && core) {
    /* the Keras path adds variables_collections after the layer ran, in this order */
    GNode *vs[4] = {mean, var, beta, gamma};
    const char *names[4] = {"moving_mean", "moving_variance", "beta", "gamma"};
    for (int i = 0; i < 4; i++) {
      Value *keys = vs[i] ? var_colls(t, vc, names[i]) : NULL;
      if (keys && (keys->kind == V_LIST || keys->kind == V_TUPLE))
        for (int j = 0; j < keys->u.list.n; j++)
          if (keys->u.list.items[j]->kind == V_STR)
            tf_add_to_collection_once(t, keys->u.list.items[j]->u.str.s, tf_wrap_var(t, vs[i]->var));
    }
  }
  bool training = true;
  /* a tensor is_training (decided when the graph runs) compiles as inference */
  if (tf_tensor_of(a->is_training ? a->is_training : val_none(t->ev))) training = false;
  else ok = ok && bool_arg(t, a->is_training, true, sp, &training);
  /* in training mode the moving averages are updated: zero-debiased ones need two more
     variables under `<scope>/<moving_mean's full name>/` (model variables on the legacy path) */
  bool upd_none = a->updates_collections && a->updates_collections->kind == V_NONE;
  GNode *moving[4] = {mean, var, NULL, NULL};
  if (ok && training && zdm) {
    const char *mm = arena_printf(t->arena, "%s/moving_mean", tf_var_scope_name(t));
    TfVarRequest r = {.dtype = SLIMRT_F32, .has_shape = true, .default_init = &zeros, .trainable = false,
                      .model_variable = path == 3, .device = t->device, .sp = sp};
    r.name = arena_printf(t->arena, "%s/biased", mm);
    r.shape.rank = 1;
    r.shape.dims[0] = C;
    Value *b = tf_get_variable(t, &r), *ls = NULL;
    r.name = arena_printf(t->arena, "%s/local_step", mm);
    r.shape.rank = 0;
    ok = b && (ls = tf_get_variable(t, &r)) != NULL;
    if (ok) moving[2] = tf_tensor_of(b)->node, moving[3] = tf_tensor_of(ls)->node;
  }
  Value *out = NULL;
  if (ok) {
    if (!gamma) gamma = const_fill(t, C, 1.0f, sp);
    if (!beta) beta = const_fill(t, C, 0.0f, sp);
    if (training) {
      /* batch statistics: mean and (biased) variance over every axis but the channel */
      slimrt_attr ra = {0};
      for (int i = 0; i < rank - 1; i++) ra.reduce.axes[i] = 1;
      mean = tf_build(t, SLIMRT_OP_REDUCE_MEAN, "moments/mean", NULL, &x, 1, &ra, sp);
      GNode *d = mean ? tf_binary(t, SLIMRT_OP_SUB, x, mean, "moments/SquaredDifference/sub", sp) : NULL;
      GNode *sq = d ? tf_unary(t, SLIMRT_OP_SQUARE, d, "moments/SquaredDifference", sp) : NULL;
      var = sq ? tf_build(t, SLIMRT_OP_REDUCE_MEAN, "moments/variance", NULL, &sq, 1, &ra, sp) : NULL;
    }
    slimrt_attr at = {0};
    at.batchnorm.epsilon = eps;
    GNode *in[5] = {x, gamma, beta, mean, var};
    /* TF's name for the normalized tensor differs by code path */
    const char *last = strrchr(tf_var_scope_name(t), '/');
    last = last ? last + 1 : tf_var_scope_name(t);
    /* TF's non-fused paths name their normalization `batchnorm_1` when the variable
       scope's last component is `batchnorm` in any case (a name TF marks used before it) */
    const char *yname = !fused && !strcasecmp(last, "batchnorm") ? "batchnorm_1/add_1"
                        : !fused ? "batchnorm/add_1"
                        : path == 1 && rank == 2 ? "Reshape_1"
                        : "FusedBatchNormV3";
    GNode *y = mean && var ? tf_build(t, SLIMRT_OP_BATCH_NORM, yname, NULL, in, 5, &at, sp) : NULL;
    /* the update ops: op names on the core path, tensors (":0") on the others; in place
       (updates_collections=None) they are control dependencies of an Identity */
    if (y && training) {
      const char *u0 = tf_op_name(t, "AssignMovingAvg", NULL), *u1 = tf_op_name(t, "AssignMovingAvg", NULL);
      if (path == 2 && !trainable) {
        /* a non-trainable Keras layer reports no updates (Layer.updates) */
      } else if (path == 2) {
        tf_add_to_collection(t, "update_ops", val_str(t->ev, u0));
        tf_add_to_collection(t, "update_ops", val_str(t->ev, u1));
      } else if (!upd_none && a->updates_collections && a->updates_collections->kind == V_STR) {
        tf_add_to_collection(t, a->updates_collections->u.str.s, val_str(t->ev, arena_printf(t->arena, "%s:0", u0)));
        tf_add_to_collection(t, a->updates_collections->u.str.s, val_str(t->ev, arena_printf(t->arena, "%s:0", u1)));
      } else if (!upd_none) {
        tf_add_to_collection(t, "update_ops", val_str(t->ev, arena_printf(t->arena, "%s:0", u0)));
        tf_add_to_collection(t, "update_ops", val_str(t->ev, arena_printf(t->arena, "%s:0", u1)));
      } else if (fused && path == 1 && rank == 4) {
        y = tf_unary(t, SLIMRT_OP_IDENTITY, y, "Identity", sp);
      }
    }
    /* TF's output still reads the moving statistics in training where the updates are
       its control dependencies (updates_collections=None) and on TF 2.15's fused Keras
       path (docs/oracle-fuzz.md) */
    if (y && training && ((path != 2 && upd_none) || (path == 2 && fused)))
      for (int i = 0; i < 4; i++)
        if (moving[i]) ptrvec_push(t->arena, &t->restore_pins, y), ptrvec_push(t->arena, &t->restore_pins, moving[i]);
    if (y) out = activate(t, a->activation_fn, tf_wrap(t, y), false, sp);
  }
  return run_scoped(t, c, out, a->outputs_collections, sp);
}

#define BIAS_ADD_PARAMS(R, O)                                                                        \
  R(inputs) O(activation_fn, None) O(initializer, init_ops.zeros_initializer()) O(regularizer, None) \
  O(reuse, None) O(variables_collections, None) O(outputs_collections, None) O(trainable, True)      \
  O(data_format, DATA_FORMAT_NHWC) O(scope, None)
LAYER_ARGS(BiasAddArgs, BIAS_ADD_PARAMS)

static Value *l_bias_add(TfLib *t, const BiasAddArgs *a, Span sp) {
  GNode *x = node_arg(t, a->inputs, sp);
  bool trainable, inone;
  if (!x || !opt_true(t, a->trainable, sp, &trainable) || !data_format_ok(t, a->data_format, sp)) return NULL;
  if (x->shape.rank < 2 || x->shape.dims[x->shape.rank - 1] < 0)
    return eval_error(t->ev, sp, "E0748", "`C` dimension must be known but is None");
  TfVsCtx *c = tf_vs_open(t, a->scope, "BiasAdd", a->reuse, sp);
  if (!c) return NULL;
  int64_t C = x->shape.dims[x->shape.rank - 1];
  Value *init = init_arg(a->initializer, &inone), *out = NULL;
  GNode *b = layer_var(t, "biases", &C, 1, init, inone ? NULL : &zeros, a->regularizer, NULL, trainable,
                       var_colls(t, a->variables_collections, "biases"), sp);
  GNode *y = b ? bias_add(t, x, b, sp) : NULL;
  if (y) out = activate(t, a->activation_fn, tf_wrap(t, y), false, sp);
  return run_scoped(t, c, out, a->outputs_collections, sp);
}

/* ---- name-scope layers: pools, flatten, one_hot_encoding ---- */

#define POOL2D_PARAMS(R, O)                                                                  \
  R(inputs) R(kernel_size) O(stride, 2) O(padding, "VALID") O(data_format, DATA_FORMAT_NHWC) \
  O(outputs_collections, None) O(scope, None)
LAYER_ARGS(PoolArgs, POOL2D_PARAMS)

static Value *pool(TfLib *t, const PoolArgs *a, Span sp, int op, const char *dflt) {
  GNode *x = node_arg(t, a->inputs, sp);
  int64_t k[2], s[2] = {2, 2};
  const char *pad = "VALID", *scope = NULL;
  if (!x || !want_rank(t, x, 4, sp) || !int_pair(t, a->kernel_size, "kernel_size", sp, k) ||
      (a->stride && !int_pair(t, a->stride, "stride", sp, s)) ||
      (a->padding && !padding_arg(t, a->padding, sp, &pad)) || !data_format_ok(t, a->data_format, sp) ||
      (given(a->scope) && !eval_to_str(t->ev, a->scope, sp, "scope", &scope)))
    return NULL;
  if (!tf_ns_name_ok(t, scope, sp)) return NULL;
  const char *saved = tf_ns_open(t, scope, dflt);
  const char *alias = t->name_stack;
  GNode *y = tf_pool(t, op, x, k, s, pad, NULL, sp);
  tf_ns_restore(t, saved);
  if (!y) return NULL;
  Value *out = tf_wrap(t, y);
  return collect_outputs(t, a->outputs_collections, alias, out, sp) ? out : NULL;
}
static Value *l_max_pool2d(TfLib *t, const PoolArgs *a, Span sp) {
  return pool(t, a, sp, SLIMRT_OP_MAX_POOL, "MaxPool2D");
}
static Value *l_avg_pool2d(TfLib *t, const PoolArgs *a, Span sp) {
  return pool(t, a, sp, SLIMRT_OP_AVG_POOL, "AvgPool2D");
}

#define FLATTEN_PARAMS(R, O) R(inputs) O(outputs_collections, None) O(scope, None)
LAYER_ARGS(FlattenArgs, FLATTEN_PARAMS)

static Value *l_flatten(TfLib *t, const FlattenArgs *a, Span sp) {
  GNode *x = node_arg(t, a->inputs, sp);
  const char *scope = NULL;
  if (!x || (given(a->scope) && !eval_to_str(t->ev, a->scope, sp, "scope", &scope))) return NULL;
  if (x->shape.rank < 2) return eval_error(t->ev, sp, "E0749", "Inputs must have a least 2 dimensions.");
  if (!tf_ns_name_ok(t, scope, sp)) return NULL;
  const char *saved = tf_ns_open(t, scope, "Flatten");
  const char *alias = t->name_stack;
  int64_t d[2] = {x->shape.dims[0], 1};
  for (int i = 1; i < x->shape.rank; i++) d[1] *= x->shape.dims[i];
  GNode *y = tf_reshape(t, x, d, 2, NULL, sp);
  tf_ns_restore(t, saved);
  if (!y) return NULL;
  Value *out = tf_wrap(t, y);
  return collect_outputs(t, a->outputs_collections, alias, out, sp) ? out : NULL;
}

#define ONE_HOT_ENCODING_PARAMS(R, O) \
  R(labels) R(num_classes) O(on_value, 1.0) O(off_value, 0.0) O(outputs_collections, None) O(scope, None)
LAYER_ARGS(OneHotArgs, ONE_HOT_ENCODING_PARAMS)

static Value *l_one_hot_encoding(TfLib *t, const OneHotArgs *a, Span sp) {
  GNode *x = node_arg(t, a->labels, sp);
  int64_t n;
  double on = 1.0, off = 0.0;
  const char *scope = NULL;
  if (!x || !eval_to_int(t->ev, a->num_classes, sp, "num_classes", &n) ||
      (given(a->on_value) && !eval_to_float(t->ev, a->on_value, sp, "on_value", &on)) ||
      (given(a->off_value) && !eval_to_float(t->ev, a->off_value, sp, "off_value", &off)) ||
      (given(a->scope) && !eval_to_str(t->ev, a->scope, sp, "scope", &scope)))
    return NULL;
  if (!tf_ns_name_ok(t, scope, sp)) return NULL;
  const char *saved = tf_ns_open(t, scope, "OneHotEncoding");
  const char *alias = t->name_stack;
  slimrt_attr at = {0};
  at.onehot.depth = n, at.onehot.axis = -1, at.onehot.on_value = on, at.onehot.off_value = off;
  GNode *y = tf_build(t, SLIMRT_OP_ONE_HOT, NULL, "one_hot", &x, 1, &at, sp);
  tf_ns_restore(t, saved);
  if (!y) return NULL;
  Value *out = tf_wrap(t, y);
  return collect_outputs(t, a->outputs_collections, alias, out, sp) ? out : NULL;
}

/* ---- dropout, softmax, unit_norm: variable-scope layers without variables ---- */

#define DROPOUT_PARAMS(R, O)                                                                         \
  R(inputs) O(keep_prob, 0.5) O(noise_shape, None) O(is_training, True) O(outputs_collections, None) \
  O(scope, None) O(seed, None)
LAYER_ARGS(DropoutArgs, DROPOUT_PARAMS)

/* the identity at inference */
static Value *l_dropout(TfLib *t, const DropoutArgs *a, Span sp) {
  warn_is_training(t, a->is_training, sp, "dropout", "dropping activations at random");
  GNode *x = node_arg(t, a->inputs, sp);
  if (!x) return NULL;
  bool training;
  if (a->is_training && tf_tensor_of(a->is_training)) training = false; /* decided when the graph runs: inference */
  else if (!bool_arg(t, a->is_training, true, sp, &training)) return NULL;
  TfVsCtx *c = tf_vs_open(t, a->scope, "Dropout", NULL, sp);
  if (!c) return NULL;
  /* Keras' Dropout returns an Identity at inference, its input unchanged in training
     (slimc computes the inference graph either way) */
  GNode *y = training ? x : tf_unary(t, SLIMRT_OP_IDENTITY, x, NULL, sp);
  return run_scoped(t, c, y ? tf_wrap(t, y) : NULL, a->outputs_collections, sp);
}

#define SOFTMAX_PARAMS(R, O) R(logits) O(scope, None)
LAYER_ARGS(SoftmaxArgs, SOFTMAX_PARAMS)

static Value *l_softmax(TfLib *t, const SoftmaxArgs *a, Span sp) {
  GNode *x = node_arg(t, a->logits, sp);
  if (!x) return NULL;
  TfVsCtx *c = tf_vs_open(t, a->scope, "softmax", NULL, sp);
  if (!c) return NULL;
  /* TF reshapes to 2-D, applies Softmax and reshapes back: the output is Reshape_1 */
  GNode *y = tf_unary(t, tf_api_op("nn.softmax"), x, "Reshape_1", sp);
  return run_scoped(t, c, y ? tf_wrap(t, y) : NULL, NULL, sp);
}

#define UNIT_NORM_PARAMS(R, O) R(inputs) R(dim) O(epsilon, 1e-07) O(scope, None)
LAYER_ARGS(UnitNormArgs, UNIT_NORM_PARAMS)

static Value *l_unit_norm(TfLib *t, const UnitNormArgs *a, Span sp) {
  GNode *x = node_arg(t, a->inputs, sp);
  int64_t dim;
  double eps = 1e-7;
  if (!x || !eval_to_int(t->ev, a->dim, sp, "dim", &dim) ||
      (given(a->epsilon) && !eval_to_float(t->ev, a->epsilon, sp, "epsilon", &eps)))
    return NULL;
  if (dim < 0 || dim >= x->shape.rank)
    return eval_error(t->ev, sp, "E0750", "dim must be positive but smaller than the input rank.");
  TfVsCtx *c = tf_vs_open(t, a->scope, "UnitNorm", NULL, sp);
  if (!c) return NULL;
  slimrt_attr at = {0};
  at.reduce.axes[dim] = 1, at.reduce.keepdims = 1;
  GNode *sq = tf_unary(t, SLIMRT_OP_SQUARE, x, NULL, sp);
  GNode *sum = sq ? tf_build(t, SLIMRT_OP_REDUCE_SUM, NULL, "Sum", &sq, 1, &at, sp) : NULL;
  GNode *e = sum ? tf_to_node(t, val_float(t->ev, eps), SLIMRT_F32, sp) : NULL;
  GNode *add = e ? tf_binary(t, SLIMRT_OP_ADD, e, sum, NULL, sp) : NULL;
  GNode *len = add ? tf_unary(t, SLIMRT_OP_SQRT, add, NULL, sp) : NULL;
  GNode *y = len ? tf_binary(t, SLIMRT_OP_DIV, x, len, "div", sp) : NULL;
  return run_scoped(t, c, y ? tf_wrap(t, y) : NULL, NULL, sp);
}

/* ---- repeat and stack (not decorated: they cannot be arg_scope keys) ---- */

static const char *fn_name(Value *fn) {
  if (fn->kind == V_BUILTIN) return fn->u.builtin->name;
  if (fn->kind == V_FUNC) return fn->u.func->name;
  if (fn->kind == V_PARTIAL) return fn_name(fn->u.partial->fn); /* layer.func.__name__ */
  return NULL;
}

/* Calls LAYER(x, *args, **kw, scope=SCOPE) */
static Value *call_layer(TfLib *t, Value *layer, Value *x, Value **args, int nargs, const Args *a, int kw_skip,
                         const char *scope, Span sp) {
  Args c = {0};
  c.npos = 1 + nargs;
  c.pos = arena_alloc(t->arena, sizeof(Value *) * c.npos);
  c.pos_spans = arena_alloc(t->arena, sizeof(Span) * c.npos);
  c.pos[0] = x;
  c.pos_spans[0] = sp;
  for (int i = 0; i < nargs; i++) c.pos[1 + i] = args[i], c.pos_spans[1 + i] = sp;
  c.kw = arena_alloc(t->arena, sizeof(char *) * (a->nkw + 1));
  c.kwv = arena_alloc(t->arena, sizeof(Value *) * (a->nkw + 1));
  c.kw_spans = arena_alloc(t->arena, sizeof(Span) * (a->nkw + 1));
  for (int i = 0; i < a->nkw; i++) {
    if (i == kw_skip) continue;
    c.kw[c.nkw] = a->kw[i];
    c.kwv[c.nkw] = a->kwv[i];
    c.kw_spans[c.nkw++] = a->kw_spans ? a->kw_spans[i] : sp;
  }
  c.kw[c.nkw] = "scope";
  c.kwv[c.nkw] = val_str(t->ev, scope);
  c.kw_spans[c.nkw++] = sp;
  c.call_span = sp;
  return eval_call(t->ev, layer, &c);
}

/* repeat(inputs, repetitions, layer, *args, **kwargs); stack(inputs, layer, stack_args, **kwargs) */
enum { REPEAT_MAX = 100000 };

static Value *repeat_or_stack(Eval *ev, const Args *a, bool stack) {
  TfLib *t = tf_lib(ev);
  Span sp = a->call_span;
  const char *fname = stack ? "stack" : "repeat";
  int scope_i = -1;
  for (int i = 0; i < a->nkw; i++)
    if (!strcmp(a->kw[i], "scope")) scope_i = i;
  int need = stack ? 3 : 3;
  if (a->npos < need)
    return eval_error(ev, sp, "E0751", "%s() takes inputs, %s positionally", fname,
                      stack ? "layer and stack_args" : "repetitions and layer");
  Value *x = a->pos[0];
  Value *layer = stack ? a->pos[1] : a->pos[2];
  int64_t reps = 0;
  Value *sargs = NULL;
  if (stack) {
    sargs = a->pos[2];
    if (sargs->kind != V_LIST && sargs->kind != V_TUPLE)
      return eval_error(ev, sp, "E0752", "stack_args need to be a list or tuple");
    if (a->npos > 3) return eval_error(ev, sp, "E0751", "stack() takes 3 positional arguments");
    reps = sargs->u.list.n;
  } else if (!eval_to_int(ev, a->pos[1], sp, "repetitions", &reps))
    return NULL;
  /* each repetition builds a layer in C, outside the evaluator's step count: a typo
     like repeat(x, 1000000000, ...) would otherwise run for hours */
  if (reps > REPEAT_MAX)
    return eval_error(ev, sp, "E0754", "%s() of %lld layers is too many (the limit is %d)", fname, (long long)reps,
                      REPEAT_MAX);
  Value *scope = scope_i >= 0 ? a->kwv[scope_i] : NULL;
  TfVsCtx *c = tf_vs_open(t, scope, stack ? "Stack" : "Repeat", NULL, sp);
  if (!c) return NULL;
  const char *base = NULL;
  if (given(scope)) base = scope->u.str.s;
  else base = fn_name(layer);
  if (!base) base = fname;
  Value *out = x;
  for (int64_t i = 0; i < reps && out; i++) {
    if (!eval_step(ev, sp)) {
      out = NULL;
      break;
    }
    const char *sc = arena_printf(t->arena, "%s_%lld", base, (long long)(i + 1));
    if (stack) {
      Value *la = sargs->u.list.items[i];
      Value **args = &la;
      int n = 1;
      if (la->kind == V_LIST || la->kind == V_TUPLE) args = la->u.list.items, n = la->u.list.n;
      out = call_layer(t, layer, out, args, n, a, scope_i, sc, sp);
    } else {
      out = call_layer(t, layer, out, a->pos + 3, a->npos - 3, a, scope_i, sc, sp);
    }
  }
  tf_vs_close(t, c);
  return out;
}
static Value *bi_repeat(Eval *ev, const Args *a, void *d) { (void)d; return repeat_or_stack(ev, a, false); }
static Value *bi_stack(Eval *ev, const Args *a, void *d) { (void)d; return repeat_or_stack(ev, a, true); }

/* ---- slim.utils ---- */

static Value *bi_collect_named_outputs(Eval *ev, const Args *a, void *data) {
  (void)data;
  static const char *const params[] = {"collections", "alias", "outputs", NULL};
  Value *p[3];
  const char *alias;
  if (eval_bind(ev, "collect_named_outputs", params, a, p) < 0 || !eval_to_str(ev, p[1], a->call_span, "alias", &alias))
    return NULL;
  return collect_outputs(tf_lib(ev), p[0], alias, p[2], a->call_span) ? p[2] : NULL;
}

static Value *bi_convert_collection_to_dict(Eval *ev, const Args *a, void *data) {
  (void)data;
  static const char *const params[] = {"collection", "clear_collection", NULL};
  TfLib *t = tf_lib(ev);
  Value *p[2];
  const char *key;
  if (eval_bind(ev, "convert_collection_to_dict", params, a, p) < 0 ||
      !eval_to_str(ev, p[0], a->call_span, "collection", &key))
    return NULL;
  Value *items = tf_get_collection(t, key, NULL), *pairs = tf_get_collection(t, ALIAS_KEY, NULL);
  Value *out = val_dict(ev);
  for (int i = 0; i < items->u.list.n; i++) {
    Value *it = items->u.list.items[i];
    const char *alias = NULL;
    for (int j = pairs->u.list.n - 1; j >= 0 && !alias; j--)
      if (pairs->u.list.items[j]->u.list.items[1] == it) alias = pairs->u.list.items[j]->u.list.items[0]->u.str.s;
    if (!alias) {
      TfTensor *tt = tf_tensor_of(it);
      alias = tt ? (tt->var ? tt->var->name : tt->node->name) : val_str_of(ev, it);
    }
    dict_set_str(ev, out->u.dict, alias, it);
  }
  return out;
}

static Value *bi_last_dimension(Eval *ev, const Args *a, void *data) {
  (void)data;
  static const char *const params[] = {"shape", "min_rank", NULL};
  Value *p[2];
  int64_t min_rank = 1;
  if (eval_bind(ev, "last_dimension", params, a, p) < 0 ||
      (given(p[1]) && !eval_to_int(ev, p[1], a->call_span, "min_rank", &min_rank)))
    return NULL;
  Value *dims;
  TfTensor *tt = tf_tensor_of(p[0]);
  if (tt) {
    dims = val_list(ev, 0);
    for (int i = 0; i < tt->node->shape.rank; i++) val_list_append(ev, dims, val_int(ev, tt->node->shape.dims[i]));
  } else if (!(dims = eval_iter_list(ev, p[0], a->call_span)))
    return NULL;
  if (dims->u.list.n < min_rank)
    return eval_error(ev, a->call_span, "E0753", "rank of shape must be at least %lld not: %d", (long long)min_rank,
                      dims->u.list.n);
  if (!dims->u.list.n) return eval_error(ev, a->call_span, "E0753", "Dims of shape must be known but is None");
  Value *last = dims->u.list.items[dims->u.list.n - 1];
  if (last->kind != V_INT) return eval_error(ev, a->call_span, "E0753", "Last dimension must be known but is None");
  return last;
}

/* ---- the layer table ---- */

/* Every layer: L(__name__, argument struct, builder, the names slim exports it under...).
   Names on one row share one Builtin, hence one arg_scope key; convolution is its own. */
#define SLIM_LAYERS(L)                                                                                   \
  L(convolution2d, Conv2dArgs, l_conv2d, "conv2d", "convolution2d")                                      \
  L(convolution, Conv2dArgs, l_conv2d, "convolution")                                                    \
  L(convolution2d_transpose, Conv2dTransposeArgs, l_conv2d_transpose, "conv2d_transpose",                \
    "convolution2d_transpose")                                                                           \
  L(convolution2d_in_plane, InPlaneArgs, l_conv2d_in_plane, "conv2d_in_plane", "convolution2d_in_plane") \
  L(separable_convolution2d, SeparableArgs, l_separable_conv2d, "separable_conv2d",                      \
    "separable_convolution2d")                                                                           \
  L(fully_connected, FcArgs, l_fully_connected, "fully_connected")                                       \
  L(batch_norm, BatchNormArgs, l_batch_norm, "batch_norm")                                               \
  L(bias_add, BiasAddArgs, l_bias_add, "bias_add")                                                       \
  L(max_pool2d, PoolArgs, l_max_pool2d, "max_pool2d")                                                    \
  L(avg_pool2d, PoolArgs, l_avg_pool2d, "avg_pool2d")                                                    \
  L(flatten, FlattenArgs, l_flatten, "flatten")                                                          \
  L(one_hot_encoding, OneHotArgs, l_one_hot_encoding, "one_hot_encoding")                                \
  L(dropout, DropoutArgs, l_dropout, "dropout")                                                          \
  L(softmax, SoftmaxArgs, l_softmax, "softmax")                                                          \
  L(unit_norm, UnitNormArgs, l_unit_norm, "unit_norm")

typedef struct Layer {
  const char *name;                 /* __name__ */
  const char *const *params;
  int nreq;
  Value *(*build)(TfLib *t, Value *const *p, Span sp); /* P: bound in the order of PARAMS */
  const char *names[3];             /* exported names, NULL-terminated */
} Layer;

/* build_NAME: the builder called with its argument struct */
#define LAYER_BUILD(nm, Type, fn, ...)                           \
  static Value *build_##nm(TfLib *t, Value *const *p, Span sp) { \
    Type a = Type##_of(p);                                       \
    return fn(t, &a, sp);                                        \
  }
SLIM_LAYERS(LAYER_BUILD)
#undef LAYER_BUILD

#define LAYER_ROW(nm, Type, fn, ...) {#nm, Type##_params, Type##_nreq, build_##nm, {__VA_ARGS__, NULL}},
static const Layer layers[] = {SLIM_LAYERS(LAYER_ROW)};
#undef LAYER_ROW
enum { NLAYERS = sizeof layers / sizeof *layers };

/* The Builtin of every layer: arg_scope defaults merged in, then bound and built. */
static Value *layer_call(Eval *ev, const Args *a, void *data) {
  const Layer *L = data;
  TfLib *t = tf_lib(ev);
  Args m;
  if (tf_argscope_merge(t, L->name, L, L->params, a, &m) < 0) return NULL;
  Value *p[LAYER_MAX_PARAMS] = {0};
  if (eval_bind_checked(ev, L->name, L->params, L->nreq, &m, p) < 0) return NULL;
  return L->build(t, p, a->call_span);
}

static const Builtin b_repeat = {"repeat", NULL, 0, bi_repeat, NULL, false};
static const Builtin b_stack = {"stack", NULL, 0, bi_stack, NULL, false};
static const Builtin b_cno = {"collect_named_outputs", NULL, 0, bi_collect_named_outputs, NULL, false};
static const Builtin b_cctd = {"convert_collection_to_dict", NULL, 0, bi_convert_collection_to_dict, NULL, false};
static const Builtin b_lastdim = {"last_dimension", NULL, 0, bi_last_dimension, NULL, false};

void tf_layers_register(TfLib *t, Value *slim_ns, Value *utils_ns) {
  Eval *ev = t->ev;
  /* one Builtin per layer, named by __name__; params NULL: layer_call binds after merging
     the arg_scope */
  Builtin *bs = arena_alloc(t->arena, sizeof(Builtin) * NLAYERS);
  for (int i = 0; i < NLAYERS; i++) {
    bs[i] = (Builtin){layers[i].name, NULL, 0, layer_call, (void *)&layers[i], true};
    for (int j = 0; layers[i].names[j]; j++) ns_set(ev, slim_ns, layers[i].names[j], val_builtin(ev, &bs[i]));
  }
  ns_set(ev, slim_ns, "repeat", val_builtin(ev, &b_repeat));
  ns_set(ev, slim_ns, "stack", val_builtin(ev, &b_stack));
  ns_set(ev, utils_ns, "collect_named_outputs", val_builtin(ev, &b_cno));
  ns_set(ev, utils_ns, "convert_collection_to_dict", val_builtin(ev, &b_cctd));
  ns_set(ev, utils_ns, "last_dimension", val_builtin(ev, &b_lastdim));
}
