/* TF-Slim layers (tf-slim-reference.md §5, §6): each creates the variables TF-Slim
 * creates, in the same order, under the same default scope, and builds the inference
 * computation. Every layer is one row of the table at the end: name, parameters in
 * TF-Slim's order, builder. batch_norm with is_training=True (its default) normalizes
 * with the batch's statistics, as TF's forward pass does, and records its moving-average
 * updates in updates_collections by TF's names; slimc never runs them (no training). */
#include <ctype.h>
#include <inttypes.h>
#include <string.h>
#include "py/eval_internal.h"
#include "tf/tf_lib.h"
#include "slimrt_checked.h"

typedef struct Layer Layer;
typedef Value *(*LayerFn)(TfLib *t, Value **p, Span sp, const Layer *L);
struct Layer {
  const char *name;                 /* __name__ */
  const char *const *params;
  int nreq;
  LayerFn fn;
};

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

enum { CV_IN, CV_NOUT, CV_K, CV_STRIDE, CV_PAD, CV_DF, CV_RATE, CV_ACT, CV_NORM, CV_NORMP, CV_WINIT, CV_WREG,
       CV_BINIT, CV_BREG, CV_REUSE, CV_VC, CV_OC, CV_TRAIN, CV_SCOPE };
static const char *const conv_params[] = {
    "inputs", "num_outputs", "kernel_size", "stride", "padding", "data_format", "rate", "activation_fn",
    "normalizer_fn", "normalizer_params", "weights_initializer", "weights_regularizer", "biases_initializer",
    "biases_regularizer", "reuse", "variables_collections", "outputs_collections", "trainable", "scope", NULL};

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

static Value *l_conv2d(TfLib *t, Value **p, Span sp, const Layer *L) {
  (void)L;
  GNode *x = node_arg(t, p[CV_IN], sp);
  int64_t k[2], s[2] = {1, 1}, r[2] = {1, 1}, nout;
  const char *pad = "SAME";
  bool trainable, wnone;
  if (!x || !want_rank(t, x, 4, sp) || !eval_to_int(t->ev, p[CV_NOUT], sp, "num_outputs", &nout) ||
      !int_pair(t, p[CV_K], "kernel_size", sp, k) || (p[CV_STRIDE] && !int_pair(t, p[CV_STRIDE], "stride", sp, s)) ||
      (p[CV_RATE] && !int_pair(t, p[CV_RATE], "rate", sp, r)) || (p[CV_PAD] && !padding_arg(t, p[CV_PAD], sp, &pad)) ||
      !data_format_ok(t, p[CV_DF], sp) || !opt_true(t, p[CV_TRAIN], sp, &trainable))
    return NULL;
  TfVsCtx *c = tf_vs_open(t, p[CV_SCOPE], "Conv", p[CV_REUSE], sp);
  if (!c) return NULL;
  int64_t wd[4] = {k[0], k[1], x->shape.dims[3], nout};
  Value *winit = init_arg(p[CV_WINIT], &wnone);
  Value *out = NULL;
  GNode *w = layer_var(t, "weights", wd, 4, winit, wnone ? NULL : &xavier, p[CV_WREG], "kernel", trainable,
                       var_colls(t, p[CV_VC], "weights"), sp);
  /* TF builds a dilated convolution between SpaceToBatchND and BatchToSpaceND */
  GNode *y = w ? tf_conv2d(t, x, w, s, r, pad, r[0] > 1 || r[1] > 1 ? "Conv2D/BatchToSpaceND" : NULL, sp) : NULL;
  if (y)
    out = finish(t, y, nout, p[CV_NORM], p[CV_NORMP], p[CV_BINIT], p[CV_BREG], "bias", trainable, p[CV_VC], p[CV_ACT],
                 sp);
  return run_scoped(t, c, out, p[CV_OC], sp);
}

enum { CT_IN, CT_NOUT, CT_K, CT_STRIDE, CT_PAD, CT_DF, CT_ACT, CT_NORM, CT_NORMP, CT_WINIT, CT_WREG, CT_BINIT,
       CT_BREG, CT_REUSE, CT_VC, CT_OC, CT_TRAIN, CT_SCOPE };
static const char *const convt_params[] = {
    "inputs", "num_outputs", "kernel_size", "stride", "padding", "data_format", "activation_fn", "normalizer_fn",
    "normalizer_params", "weights_initializer", "weights_regularizer", "biases_initializer", "biases_regularizer",
    "reuse", "variables_collections", "outputs_collections", "trainable", "scope", NULL};

static Value *l_conv2d_transpose(TfLib *t, Value **p, Span sp, const Layer *L) {
  (void)L;
  GNode *x = node_arg(t, p[CT_IN], sp);
  int64_t k[2], s[2] = {1, 1}, nout;
  const char *pad = "SAME";
  bool trainable, wnone;
  if (!x || !want_rank(t, x, 4, sp) || !eval_to_int(t->ev, p[CT_NOUT], sp, "num_outputs", &nout) ||
      !int_pair(t, p[CT_K], "kernel_size", sp, k) || (p[CT_STRIDE] && !int_pair(t, p[CT_STRIDE], "stride", sp, s)) ||
      (p[CT_PAD] && !padding_arg(t, p[CT_PAD], sp, &pad)) || !data_format_ok(t, p[CT_DF], sp) ||
      !opt_true(t, p[CT_TRAIN], sp, &trainable))
    return NULL;
  TfVsCtx *c = tf_vs_open(t, p[CT_SCOPE], "Conv2d_transpose", p[CT_REUSE], sp);
  if (!c) return NULL;
  int64_t wd[4] = {k[0], k[1], nout, x->shape.dims[3]};
  Value *winit = init_arg(p[CT_WINIT], &wnone), *out = NULL;
  GNode *w = layer_var(t, "weights", wd, 4, winit, wnone ? NULL : &xavier, p[CT_WREG], "kernel", trainable,
                       var_colls(t, p[CT_VC], "weights"), sp);
  if (w) {
    /* Keras deconv_output_length; the pads are those of the matching forward convolution */
    GShape os = x->shape;
    slimrt_attr at = {0};
    at.conv.stride_h = s[0], at.conv.stride_w = s[1], at.conv.dilation_h = at.conv.dilation_w = 1;
    for (int d = 0; d < 2; d++) {
      int64_t in = x->shape.dims[1 + d], o;
      if (s[d] > INT32_MAX) {
        eval_error(t->ev, sp, "E0630", "Attr strides has value %" PRId64 " out of range for an int32", s[d]);
        return run_scoped(t, c, NULL, p[CT_OC], sp);
      }
      if (slimrt_ck_mul(in, s[d], &o) || (strcmp(pad, "SAME") && slimrt_ck_add(o, k[d] > s[d] ? k[d] - s[d] : 0, &o))) {
        eval_error(t->ev, sp, "E0630", "Negative dimension size caused by overflow when multiplying %" PRId64
                   " and %" PRId64, in, s[d]);
        return run_scoped(t, c, NULL, p[CT_OC], sp);
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
      out = finish(t, y, nout, p[CT_NORM], p[CT_NORMP], p[CT_BINIT], p[CT_BREG], "bias", trainable, p[CT_VC],
                   p[CT_ACT], sp);
  }
  return run_scoped(t, c, out, p[CT_OC], sp);
}

enum { CP_IN, CP_K, CP_STRIDE, CP_PAD, CP_ACT, CP_NORM, CP_NORMP, CP_WINIT, CP_WREG, CP_BINIT, CP_BREG, CP_REUSE,
       CP_VC, CP_OC, CP_TRAIN, CP_SCOPE };
static const char *const inplane_params[] = {
    "inputs", "kernel_size", "stride", "padding", "activation_fn", "normalizer_fn", "normalizer_params",
    "weights_initializer", "weights_regularizer", "biases_initializer", "biases_regularizer", "reuse",
    "variables_collections", "outputs_collections", "trainable", "scope", NULL};

static Value *l_conv2d_in_plane(TfLib *t, Value **p, Span sp, const Layer *L) {
  (void)L;
  GNode *x = node_arg(t, p[CP_IN], sp);
  int64_t k[2], s[2] = {1, 1}, one[2] = {1, 1};
  const char *pad = "SAME";
  bool trainable, wnone;
  if (!x || !want_rank(t, x, 4, sp) || !int_pair(t, p[CP_K], "kernel_size", sp, k) ||
      (p[CP_STRIDE] && !int_pair(t, p[CP_STRIDE], "stride", sp, s)) ||
      (p[CP_PAD] && !padding_arg(t, p[CP_PAD], sp, &pad)) || !opt_true(t, p[CP_TRAIN], sp, &trainable))
    return NULL;
  TfVsCtx *c = tf_vs_open(t, p[CP_SCOPE], "ConvInPlane", p[CP_REUSE], sp);
  if (!c) return NULL;
  int64_t wd[4] = {k[0], k[1], 1, 1}, C = x->shape.dims[3];
  Value *winit = init_arg(p[CP_WINIT], &wnone), *out = NULL;
  GNode *w = layer_var(t, "weights", wd, 4, winit, wnone ? NULL : &xavier, p[CP_WREG], NULL, trainable,
                       var_colls(t, p[CP_VC], "weights"), sp);
  if (w) {
    slimrt_attr at = {0};
    at.tile.multiples[0] = at.tile.multiples[1] = at.tile.multiples[3] = 1;
    at.tile.multiples[2] = C;
    GNode *tiled = tf_build(t, SLIMRT_OP_TILE, NULL, "Tile", &w, 1, &at, sp);
    GNode *y = tiled ? tf_depthwise_conv2d(t, x, tiled, s, one, pad, NULL, sp) : NULL;
    if (y)
      out = finish(t, y, C, p[CP_NORM], p[CP_NORMP], p[CP_BINIT], p[CP_BREG], NULL, trainable, p[CP_VC], p[CP_ACT],
                   sp);
  }
  return run_scoped(t, c, out, p[CP_OC], sp);
}

enum { SP_IN, SP_NOUT, SP_K, SP_DM, SP_STRIDE, SP_PAD, SP_DF, SP_RATE, SP_ACT, SP_NORM, SP_NORMP, SP_WINIT, SP_PINIT,
       SP_WREG, SP_BINIT, SP_BREG, SP_REUSE, SP_VC, SP_OC, SP_TRAIN, SP_SCOPE };
static const char *const sep_params[] = {
    "inputs", "num_outputs", "kernel_size", "depth_multiplier", "stride", "padding", "data_format", "rate",
    "activation_fn", "normalizer_fn", "normalizer_params", "weights_initializer", "pointwise_initializer",
    "weights_regularizer", "biases_initializer", "biases_regularizer", "reuse", "variables_collections",
    "outputs_collections", "trainable", "scope", NULL};

static Value *l_separable_conv2d(TfLib *t, Value **p, Span sp, const Layer *L) {
  (void)L;
  GNode *x = node_arg(t, p[SP_IN], sp);
  int64_t k[2], s[2] = {1, 1}, r[2] = {1, 1}, dm = 1, nout = 0;
  const char *pad = "SAME";
  bool trainable, wnone, pnone;
  bool has_nout = given(p[SP_NOUT]);
  if (!x || !want_rank(t, x, 4, sp) || (has_nout && !eval_to_int(t->ev, p[SP_NOUT], sp, "num_outputs", &nout)) ||
      !int_pair(t, p[SP_K], "kernel_size", sp, k) || (p[SP_DM] && !eval_to_int(t->ev, p[SP_DM], sp, "depth_multiplier", &dm)) ||
      (p[SP_STRIDE] && !int_pair(t, p[SP_STRIDE], "stride", sp, s)) ||
      (p[SP_RATE] && !int_pair(t, p[SP_RATE], "rate", sp, r)) || (p[SP_PAD] && !padding_arg(t, p[SP_PAD], sp, &pad)) ||
      !data_format_ok(t, p[SP_DF], sp) || !opt_true(t, p[SP_TRAIN], sp, &trainable))
    return NULL;
  TfVsCtx *c = tf_vs_open(t, p[SP_SCOPE], "SeparableConv2d", p[SP_REUSE], sp);
  if (!c) return NULL;
  int64_t C = x->shape.dims[3];
  int64_t dwd[4] = {k[0], k[1], C, dm};
  Value *winit = init_arg(p[SP_WINIT], &wnone), *pinit = init_arg(p[SP_PINIT], &pnone), *out = NULL;
  Value *wc = var_colls(t, p[SP_VC], "weights");
  GNode *dw = layer_var(t, "depthwise_weights", dwd, 4, winit, wnone ? NULL : &xavier, p[SP_WREG],
                        has_nout ? "depthwise_kernel" : NULL, trainable, wc, sp);
  GNode *y = dw ? tf_depthwise_conv2d(t, x, dw, s, r, pad, r[0] > 1 || r[1] > 1 ? "depthwise/BatchToSpaceND" : NULL, sp)
                 : NULL;
  if (y && has_nout) {
    int64_t pwd[4] = {1, 1, C * dm, nout}, one[2] = {1, 1};
    /* pointwise_initializer None -> weights_initializer */
    Value *pi = pinit ? pinit : winit;
    GNode *pw = layer_var(t, "pointwise_weights", pwd, 4, pi, (pinit || winit || wnone) ? NULL : &xavier,
                          p[SP_WREG], "pointwise_kernel", trainable, wc, sp);
    y = pw ? tf_conv2d(t, y, pw, one, one, "VALID", NULL, sp) : NULL;
  }
  if (y)
    out = finish(t, y, has_nout ? nout : C * dm, p[SP_NORM], p[SP_NORMP], p[SP_BINIT], p[SP_BREG],
                 has_nout ? "bias" : NULL, trainable, p[SP_VC], p[SP_ACT], sp);
  return run_scoped(t, c, out, p[SP_OC], sp);
}

enum { FC_IN, FC_NOUT, FC_ACT, FC_NORM, FC_NORMP, FC_WINIT, FC_WREG, FC_BINIT, FC_BREG, FC_REUSE, FC_VC, FC_OC,
       FC_TRAIN, FC_SCOPE };
static const char *const fc_params[] = {
    "inputs", "num_outputs", "activation_fn", "normalizer_fn", "normalizer_params", "weights_initializer",
    "weights_regularizer", "biases_initializer", "biases_regularizer", "reuse", "variables_collections",
    "outputs_collections", "trainable", "scope", NULL};

static Value *l_fully_connected(TfLib *t, Value **p, Span sp, const Layer *L) {
  (void)L;
  if (p[FC_NOUT]->kind != V_INT)
    return eval_error(t->ev, sp, "E0745", "num_outputs type should be one of [<class 'int'>], got <class '%s'>.",
                      val_type_name(p[FC_NOUT]));
  int64_t nout = p[FC_NOUT]->u.i;
  GNode *x = node_arg(t, p[FC_IN], sp);
  bool trainable, wnone;
  if (!x || !opt_true(t, p[FC_TRAIN], sp, &trainable)) return NULL;
  if (x->shape.rank < 2 || x->shape.dims[x->shape.rank - 1] < 0)
    return eval_error(t->ev, sp, "E0746", "fully_connected input must have rank >= 2 and a known last dimension");
  TfVsCtx *c = tf_vs_open(t, p[FC_SCOPE], "fully_connected", p[FC_REUSE], sp);
  if (!c) return NULL;
  int rank = x->shape.rank;
  int64_t cin = x->shape.dims[rank - 1];
  int64_t wd[2] = {cin, nout};
  Value *winit = init_arg(p[FC_WINIT], &wnone), *out = NULL;
  GNode *w = layer_var(t, "weights", wd, 2, winit, wnone ? NULL : &xavier, p[FC_WREG], "kernel", trainable,
                       var_colls(t, p[FC_VC], "weights"), sp);
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
    out = finish(t, y, nout, p[FC_NORM], p[FC_NORMP], p[FC_BINIT], p[FC_BREG], "bias", trainable, p[FC_VC],
                 p[FC_ACT], sp);
  return run_scoped(t, c, out, p[FC_OC], sp);
}

/* ---- batch_norm ---- */

enum { BN_IN, BN_DECAY, BN_CENTER, BN_SCALE, BN_EPS, BN_ACT, BN_PINIT, BN_PREG, BN_UPD, BN_TRAINING, BN_REUSE, BN_VC,
       BN_OC, BN_TRAIN, BN_BW, BN_FUSED, BN_DF, BN_ZDM, BN_SCOPE, BN_RENORM, BN_RCLIP, BN_RDECAY, BN_ADJ };
static const char *const bn_params[] = {
    "inputs", "decay", "center", "scale", "epsilon", "activation_fn", "param_initializers", "param_regularizers",
    "updates_collections", "is_training", "reuse", "variables_collections", "outputs_collections", "trainable",
    "batch_weights", "fused", "data_format", "zero_debias_moving_mean", "scope", "renorm", "renorm_clipping",
    "renorm_decay", "adjustment", NULL};

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

static Value *l_batch_norm(TfLib *t, Value **p, Span sp, const Layer *L) {
  (void)L;
  warn_is_training(t, p[BN_TRAINING], sp, "batch_norm", "normalizing by the batch's own statistics");
  GNode *x = node_arg(t, p[BN_IN], sp);
  bool center, scale, trainable, fused = true, zdm, renorm;
  double eps = SLIMC_PLANT_BN_EPSILON;
  if (!x || !bool_arg(t, p[BN_CENTER], true, sp, &center) || !bool_arg(t, p[BN_SCALE], false, sp, &scale) ||
      !bool_arg(t, p[BN_TRAIN], true, sp, &trainable) || !bool_arg(t, p[BN_FUSED], true, sp, &fused) ||
      !bool_arg(t, p[BN_ZDM], false, sp, &zdm) || !bool_arg(t, p[BN_RENORM], false, sp, &renorm) ||
      (given(p[BN_EPS]) && !eval_to_float(t->ev, p[BN_EPS], sp, "epsilon", &eps)) || !data_format_ok(t, p[BN_DF], sp))
    return NULL;
  int rank = x->shape.rank;
  if (rank < 1 || x->shape.dims[rank - 1] < 0)
    return eval_error(t->ev, sp, "E0747", "Inputs %s has undefined rank or channel dimension.", x->name);
  int64_t C = x->shape.dims[rank - 1];
  /* updates_collections default is the UPDATE_OPS key; TF tests it by identity */
  bool upd_is_update_ops = true;
  if (p[BN_UPD]) upd_is_update_ops = p[BN_UPD]->kind == V_STR && !strcmp(p[BN_UPD]->u.str.s, "update_ops");
  bool plain = !given(p[BN_BW]) && !renorm && !given(p[BN_ADJ]);
  /* the three code paths of slim.batch_norm differ in variable creation order */
  int path;
  if (fused && plain && (rank == 2 || rank == 4) && (zdm || rank == 2 || !upd_is_update_ops)) path = 1;
  else if (!given(p[BN_BW]) && upd_is_update_ops && !zdm) path = 2;
  else path = 3;
  TfVsCtx *c = tf_vs_open(t, p[BN_SCOPE], "BatchNorm", p[BN_REUSE], sp);
  if (!c) return NULL;
  Value *pi = p[BN_PINIT], *pr = p[BN_PREG], *vc = p[BN_VC];
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
  if (tf_tensor_of(p[BN_TRAINING] ? p[BN_TRAINING] : val_none(t->ev))) training = false;
  else ok = ok && bool_arg(t, p[BN_TRAINING], true, sp, &training);
  /* in training mode the moving averages are updated: zero-debiased ones need two more
     variables under `<scope>/<moving_mean's full name>/` (model variables on the legacy path) */
  bool upd_none = p[BN_UPD] && p[BN_UPD]->kind == V_NONE;
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
      } else if (!upd_none && p[BN_UPD] && p[BN_UPD]->kind == V_STR) {
        tf_add_to_collection(t, p[BN_UPD]->u.str.s, val_str(t->ev, arena_printf(t->arena, "%s:0", u0)));
        tf_add_to_collection(t, p[BN_UPD]->u.str.s, val_str(t->ev, arena_printf(t->arena, "%s:0", u1)));
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
    if (y) out = activate(t, p[BN_ACT], tf_wrap(t, y), false, sp);
  }
  return run_scoped(t, c, out, p[BN_OC], sp);
}

static Value *l_bias_add(TfLib *t, Value **p, Span sp, const Layer *L) {
  /* inputs, activation_fn, initializer, regularizer, reuse, variables_collections,
     outputs_collections, trainable, data_format, scope */
  (void)L;
  GNode *x = node_arg(t, p[0], sp);
  bool trainable, inone;
  if (!x || !opt_true(t, p[7], sp, &trainable) || !data_format_ok(t, p[8], sp)) return NULL;
  if (x->shape.rank < 2 || x->shape.dims[x->shape.rank - 1] < 0)
    return eval_error(t->ev, sp, "E0748", "`C` dimension must be known but is None");
  TfVsCtx *c = tf_vs_open(t, p[9], "BiasAdd", p[4], sp);
  if (!c) return NULL;
  int64_t C = x->shape.dims[x->shape.rank - 1];
  Value *init = init_arg(p[2], &inone), *out = NULL;
  GNode *b = layer_var(t, "biases", &C, 1, init, inone ? NULL : &zeros, p[3], NULL, trainable,
                       var_colls(t, p[5], "biases"), sp);
  GNode *y = b ? bias_add(t, x, b, sp) : NULL;
  if (y) out = activate(t, p[1], tf_wrap(t, y), false, sp);
  return run_scoped(t, c, out, p[6], sp);
}

/* ---- name-scope layers: pools, flatten, one_hot_encoding ---- */

static Value *pool(TfLib *t, Value **p, Span sp, int op, const char *dflt) {
  /* inputs, kernel_size, stride=2, padding='VALID', data_format, outputs_collections, scope */
  GNode *x = node_arg(t, p[0], sp);
  int64_t k[2], s[2] = {2, 2};
  const char *pad = "VALID", *scope = NULL;
  if (!x || !want_rank(t, x, 4, sp) || !int_pair(t, p[1], "kernel_size", sp, k) ||
      (p[2] && !int_pair(t, p[2], "stride", sp, s)) || (p[3] && !padding_arg(t, p[3], sp, &pad)) ||
      !data_format_ok(t, p[4], sp) || (given(p[6]) && !eval_to_str(t->ev, p[6], sp, "scope", &scope)))
    return NULL;
  if (!tf_ns_name_ok(t, scope, sp)) return NULL;
  const char *saved = tf_ns_open(t, scope, dflt);
  const char *alias = t->name_stack;
  GNode *y = tf_pool(t, op, x, k, s, pad, NULL, sp);
  tf_ns_restore(t, saved);
  if (!y) return NULL;
  Value *out = tf_wrap(t, y);
  return collect_outputs(t, p[5], alias, out, sp) ? out : NULL;
}
static Value *l_max_pool2d(TfLib *t, Value **p, Span sp, const Layer *L) { (void)L; return pool(t, p, sp, SLIMRT_OP_MAX_POOL, "MaxPool2D"); }
static Value *l_avg_pool2d(TfLib *t, Value **p, Span sp, const Layer *L) { (void)L; return pool(t, p, sp, SLIMRT_OP_AVG_POOL, "AvgPool2D"); }

static Value *l_flatten(TfLib *t, Value **p, Span sp, const Layer *L) {
  /* inputs, outputs_collections, scope */
  (void)L;
  GNode *x = node_arg(t, p[0], sp);
  const char *scope = NULL;
  if (!x || (given(p[2]) && !eval_to_str(t->ev, p[2], sp, "scope", &scope))) return NULL;
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
  return collect_outputs(t, p[1], alias, out, sp) ? out : NULL;
}

static Value *l_one_hot_encoding(TfLib *t, Value **p, Span sp, const Layer *L) {
  /* labels, num_classes, on_value=1.0, off_value=0.0, outputs_collections, scope */
  (void)L;
  GNode *x = node_arg(t, p[0], sp);
  int64_t n;
  double on = 1.0, off = 0.0;
  const char *scope = NULL;
  if (!x || !eval_to_int(t->ev, p[1], sp, "num_classes", &n) || (given(p[2]) && !eval_to_float(t->ev, p[2], sp, "on_value", &on)) ||
      (given(p[3]) && !eval_to_float(t->ev, p[3], sp, "off_value", &off)) ||
      (given(p[5]) && !eval_to_str(t->ev, p[5], sp, "scope", &scope)))
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
  return collect_outputs(t, p[4], alias, out, sp) ? out : NULL;
}

/* ---- dropout, softmax, unit_norm: variable-scope layers without variables ---- */

static Value *l_dropout(TfLib *t, Value **p, Span sp, const Layer *L) {
  /* inputs, keep_prob=0.5, noise_shape, is_training=True, outputs_collections, scope, seed:
     the identity at inference */
  (void)L;
  warn_is_training(t, p[3], sp, "dropout", "dropping activations at random");
  GNode *x = node_arg(t, p[0], sp);
  if (!x) return NULL;
  bool training;
  if (p[3] && tf_tensor_of(p[3])) training = false; /* decided when the graph runs: inference */
  else if (!bool_arg(t, p[3], true, sp, &training)) return NULL;
  TfVsCtx *c = tf_vs_open(t, p[5], "Dropout", NULL, sp);
  if (!c) return NULL;
  /* Keras' Dropout returns an Identity at inference, its input unchanged in training
     (slimc computes the inference graph either way) */
  GNode *y = training ? x : tf_unary(t, SLIMRT_OP_IDENTITY, x, NULL, sp);
  return run_scoped(t, c, y ? tf_wrap(t, y) : NULL, p[4], sp);
}

static Value *l_softmax(TfLib *t, Value **p, Span sp, const Layer *L) {
  /* logits, scope */
  (void)L;
  GNode *x = node_arg(t, p[0], sp);
  if (!x) return NULL;
  TfVsCtx *c = tf_vs_open(t, p[1], "softmax", NULL, sp);
  if (!c) return NULL;
  /* TF reshapes to 2-D, applies Softmax and reshapes back: the output is Reshape_1 */
  GNode *y = tf_unary(t, SLIMRT_OP_SOFTMAX, x, "Reshape_1", sp);
  return run_scoped(t, c, y ? tf_wrap(t, y) : NULL, NULL, sp);
}

static Value *l_unit_norm(TfLib *t, Value **p, Span sp, const Layer *L) {
  /* inputs, dim, epsilon=1e-7, scope */
  (void)L;
  GNode *x = node_arg(t, p[0], sp);
  int64_t dim;
  double eps = 1e-7;
  if (!x || !eval_to_int(t->ev, p[1], sp, "dim", &dim) || (given(p[2]) && !eval_to_float(t->ev, p[2], sp, "epsilon", &eps)))
    return NULL;
  if (dim < 0 || dim >= x->shape.rank)
    return eval_error(t->ev, sp, "E0750", "dim must be positive but smaller than the input rank.");
  TfVsCtx *c = tf_vs_open(t, p[3], "UnitNorm", NULL, sp);
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

static const char *const pool_params[] = {"inputs", "kernel_size", "stride", "padding", "data_format",
                                          "outputs_collections", "scope", NULL};
static const char *const flatten_params[] = {"inputs", "outputs_collections", "scope", NULL};
static const char *const onehot_params[] = {"labels", "num_classes", "on_value", "off_value", "outputs_collections",
                                            "scope", NULL};
static const char *const dropout_params[] = {"inputs", "keep_prob", "noise_shape", "is_training",
                                             "outputs_collections", "scope", "seed", NULL};
static const char *const softmax_params[] = {"logits", "scope", NULL};
static const char *const unit_norm_params[] = {"inputs", "dim", "epsilon", "scope", NULL};
static const char *const bias_add_params[] = {"inputs", "activation_fn", "initializer", "regularizer", "reuse",
                                              "variables_collections", "outputs_collections", "trainable",
                                              "data_format", "scope", NULL};

static const Layer layers[] = {
    {"convolution2d", conv_params, 3, l_conv2d},
    {"convolution", conv_params, 3, l_conv2d},
    {"convolution2d_transpose", convt_params, 3, l_conv2d_transpose},
    {"convolution2d_in_plane", inplane_params, 2, l_conv2d_in_plane},
    {"separable_convolution2d", sep_params, 3, l_separable_conv2d},
    {"fully_connected", fc_params, 2, l_fully_connected},
    {"batch_norm", bn_params, 1, l_batch_norm},
    {"bias_add", bias_add_params, 1, l_bias_add},
    {"max_pool2d", pool_params, 2, l_max_pool2d},
    {"avg_pool2d", pool_params, 2, l_avg_pool2d},
    {"flatten", flatten_params, 1, l_flatten},
    {"one_hot_encoding", onehot_params, 2, l_one_hot_encoding},
    {"dropout", dropout_params, 1, l_dropout},
    {"softmax", softmax_params, 1, l_softmax},
    {"unit_norm", unit_norm_params, 2, l_unit_norm},
};
enum { NLAYERS = sizeof layers / sizeof *layers };

/* The Builtin of every layer: arg_scope defaults merged in, then bound and built. */
static Value *layer_call(Eval *ev, const Args *a, void *data) {
  const Layer *L = data;
  TfLib *t = tf_lib(ev);
  Args m;
  if (tf_argscope_merge(t, L->name, L, L->params, a, &m) < 0) return NULL;
  Value *p[32] = {0};
  if (eval_bind_checked(ev, L->name, L->params, L->nreq, &m, p) < 0) return NULL;
  return L->fn(t, p, a->call_span, L);
}

static const Builtin layer_builtins[NLAYERS] = {
#define LB(i) {NULL, NULL, 0, layer_call, (void *)&layers[i], true}
    LB(0), LB(1), LB(2), LB(3), LB(4), LB(5), LB(6), LB(7), LB(8), LB(9), LB(10), LB(11), LB(12), LB(13), LB(14),
#undef LB
};

/* Names under which each layer is reachable (aliases share one Builtin, hence one arg_scope key). */
static const struct { const char *name; int layer; } layer_names[] = {
    {"conv2d", 0}, {"convolution2d", 0}, {"convolution", 1}, {"conv2d_transpose", 2},
    {"convolution2d_transpose", 2}, {"conv2d_in_plane", 3}, {"convolution2d_in_plane", 3},
    {"separable_conv2d", 4}, {"separable_convolution2d", 4}, {"fully_connected", 5}, {"batch_norm", 6},
    {"bias_add", 7}, {"max_pool2d", 8}, {"avg_pool2d", 9}, {"flatten", 10}, {"one_hot_encoding", 11},
    {"dropout", 12}, {"softmax", 13}, {"unit_norm", 14},
};

static const Builtin b_repeat = {"repeat", NULL, 0, bi_repeat, NULL, false};
static const Builtin b_stack = {"stack", NULL, 0, bi_stack, NULL, false};
static const Builtin b_cno = {"collect_named_outputs", NULL, 0, bi_collect_named_outputs, NULL, false};
static const Builtin b_cctd = {"convert_collection_to_dict", NULL, 0, bi_convert_collection_to_dict, NULL, false};
static const Builtin b_lastdim = {"last_dimension", NULL, 0, bi_last_dimension, NULL, false};

void tf_layers_register(TfLib *t, Value *slim_ns, Value *utils_ns) {
  Eval *ev = t->ev;
  /* one Builtin per layer, named by __name__ */
  Builtin *bs = arena_alloc(t->arena, sizeof(Builtin) * NLAYERS);
  for (int i = 0; i < NLAYERS; i++) {
    bs[i] = layer_builtins[i];
    bs[i].name = layers[i].name;
    bs[i].params = NULL; /* layer_call binds after merging the arg_scope */
  }
  for (size_t i = 0; i < sizeof layer_names / sizeof *layer_names; i++)
    ns_set(ev, slim_ns, layer_names[i].name, val_builtin(ev, &bs[layer_names[i].layer]));
  ns_set(ev, slim_ns, "repeat", val_builtin(ev, &b_repeat));
  ns_set(ev, slim_ns, "stack", val_builtin(ev, &b_stack));
  ns_set(ev, utils_ns, "collect_named_outputs", val_builtin(ev, &b_cno));
  ns_set(ev, utils_ns, "convert_collection_to_dict", val_builtin(ev, &b_cctd));
  ns_set(ev, utils_ns, "last_dimension", val_builtin(ev, &b_lastdim));
}
