/* Op ids and typed attribute structs, shared by compiler and runtime.
 * Every attribute struct holds only int64_t and double fields so that its
 * layout is the same on every 64-bit target (the backend emits them as i64 arrays). */
#ifndef SLIMRT_OPS_H
#define SLIMRT_OPS_H
#include <stdint.h>
#include "slimrt_abi.h"

#define SLIMRT_MAX_RANK 8

/* FLAGS of the op table: facts the passes and the backend read. */
enum {
  SLIMRT_F_SOURCE = 1,      /* no kernel: input, constant or variable */
  SLIMRT_F_VIEW = 2,        /* output aliases input 0 */
  SLIMRT_F_INLINE = 4,      /* f32 element-wise: the backend may emit it inline in a loop */
  SLIMRT_F_PREPARE = 8,     /* has a load-time hook slimrt_p_<ID>, run once after the
                               weights are in place by the model's prepare() */
  SLIMRT_F_FLOAT_ONLY = 16, /* its inputs must be floating point (TF's type constraint) */
  SLIMRT_F_FUSES_CONV = 32, /* a convolution the fusion pass may turn into FUSED_CONV2D */
  SLIMRT_F_PER_CHANNEL = 64,/* each input channel is filtered on its own (depthwise) */
  SLIMRT_F_EXACT = 128,     /* each output element is a copy or one correctly rounded IEEE
                               operation of its inputs: the same bits on every target */
};

/* ACT of the op table, and FUSED_CONV2D's act attribute: the activation an op is. */
typedef enum slimrt_act { SLIMRT_ACT_NONE = 0, SLIMRT_ACT_RELU = 1, SLIMRT_ACT_RELU6 = 2 } slimrt_act;

typedef enum slimrt_op {
#define SLIMRT_OP(ID, TF, NAME, MINI, MAXI, NOUT, ATTR, FLAGS, ACT, SHAPE, BATCH, API, BUILD, GRAD) SLIMRT_OP_##ID,
#include "slimrt_ops.def"
#undef SLIMRT_OP
  SLIMRT_OP_COUNT
} slimrt_op;

/* dtypes: values are TensorFlow's DataType enum numbers (types.proto). */
typedef enum slimrt_dtype {
  SLIMRT_INVALID = 0,
  SLIMRT_F32 = 1, SLIMRT_F64 = 2, SLIMRT_I32 = 3, SLIMRT_U8 = 4, SLIMRT_I16 = 5,
  SLIMRT_I8 = 6, SLIMRT_STRING = 7, SLIMRT_I64 = 9, SLIMRT_BOOL = 10,
  SLIMRT_BF16 = 14, SLIMRT_U16 = 17, SLIMRT_F16 = 19, SLIMRT_U32 = 22, SLIMRT_U64 = 23,
} slimrt_dtype;

typedef struct slimrt_attr_none { int64_t unused; } slimrt_attr_none;

typedef struct slimrt_attr_matmul {
  int64_t transpose_a, transpose_b;
} slimrt_attr_matmul;

/* CONV2D: filter [kh,kw,cin,cout]. DEPTHWISE: filter [kh,kw,cin,mult], output
   channel c*mult+m. CONV2D_TRANSPOSE: filter [kh,kw,cout,cin], pads are those of
   the forward convolution. Padding is explicit (SAME already resolved). */
typedef struct slimrt_attr_conv {
  int64_t stride_h, stride_w, dilation_h, dilation_w;
  int64_t pad_top, pad_bottom, pad_left, pad_right;
} slimrt_attr_conv;

/* Pool window over H,W; padded cells are ignored (max) or not counted (avg). */
typedef struct slimrt_attr_pool {
  int64_t window_h, window_w, stride_h, stride_w;
  int64_t pad_top, pad_bottom, pad_left, pad_right;
} slimrt_attr_pool;

typedef struct slimrt_attr_batchnorm { double epsilon; } slimrt_attr_batchnorm;

/* FUSED_CONV2D, made by the optimizer (compiler/passes/pass_fuse.c): a CONV2D (or, with
   depthwise, a DEPTHWISE_CONV2D) and the per-channel ops after it. Inputs: x, filter,
   then bias if has_bias, then scale, offset, mean, variance if has_bn, then the
   residual if has_residual. out = act(bn(conv + bias) + residual), each step only
   when present; act: a slimrt_act.
   prepacked (set by compiler/passes/pass_prepack.c when the filter and batch-norm inputs
   are variables read by this op alone): the prepare hook slimrt_p_FUSED_CONV2D
   rewrites those variables in place once at load time: the filter becomes the
   GEMM's panel layout (a depthwise one keeps its layout) with the batch-norm scale
   folded in, and the shift (bias and batch norm together) is stored in the offset
   variable. */
typedef struct slimrt_attr_fconv {
  slimrt_attr_conv conv;
  int64_t depthwise, has_bias, has_bn, has_residual, act;
  double epsilon;
  int64_t prepacked;
} slimrt_attr_fconv;

/* 1 when a FUSED_CONV2D with these attributes, an N x H x W x CI input, OH x OW
   output pixels and a KH x KW filter may write its output over its residual input (the memory
   plan then gives both one buffer): each output element's residual is read before
   that element is written, and by the same thread. Depends on the shape only. */
/* 1 when the prepare hook can pack a FUSED_CONV2D's filter with CO output channels at
   load time: a depthwise filter always, a GEMM filter when CO fills the panels of every
   tile shape the kernels may choose at run time. */
int slimrt_fused_conv_prepack_ok(const slimrt_attr_fconv *a, int64_t co);
int slimrt_fused_conv_inplace_ok(const slimrt_attr_fconv *a, int64_t n, int64_t h, int64_t w, int64_t ci,
                                 int64_t oh, int64_t ow, int64_t kh, int64_t kw);

/* axes[i] != 0 means dimension i of the input is reduced. */
typedef struct slimrt_attr_reduce {
  int64_t axes[SLIMRT_MAX_RANK];
  int64_t keepdims;
} slimrt_attr_reduce;

typedef struct slimrt_attr_argmax { int64_t axis; } slimrt_attr_argmax;
typedef struct slimrt_attr_transpose { int64_t perm[SLIMRT_MAX_RANK]; } slimrt_attr_transpose;
typedef struct slimrt_attr_concat { int64_t axis; } slimrt_attr_concat;
typedef struct slimrt_attr_pad {
  int64_t before[SLIMRT_MAX_RANK], after[SLIMRT_MAX_RANK];
  double value;
} slimrt_attr_pad;
/* out[i...] = in[begin[d] + i_d * stride[d] ...]; dims of the output give the counts.
   Dimensions removed by shrink are still described here (count 1) and the
   output shape simply omits them. */
typedef struct slimrt_attr_slice {
  int64_t begin[SLIMRT_MAX_RANK], stride[SLIMRT_MAX_RANK], count[SLIMRT_MAX_RANK];
} slimrt_attr_slice;
typedef struct slimrt_attr_tile { int64_t multiples[SLIMRT_MAX_RANK]; } slimrt_attr_tile;
typedef struct slimrt_attr_onehot {
  int64_t depth, axis;
  double on_value, off_value;
} slimrt_attr_onehot;

/* Every attribute struct the op table's ATTR column names, once; the union of them is
   what a graph node carries (a row naming a struct missing here fails to compile in
   runtime/src/optable.c). */
#define SLIMRT_ATTR_KINDS(X) \
  X(none) X(matmul) X(conv) X(pool) X(batchnorm) X(fconv) X(reduce) X(argmax) X(transpose) \
  X(concat) X(pad) X(slice) X(tile) X(onehot)

typedef union slimrt_attr {
#define SLIMRT_ATTR_MEMBER(ATTR) slimrt_attr_##ATTR ATTR;
  SLIMRT_ATTR_KINDS(SLIMRT_ATTR_MEMBER)
#undef SLIMRT_ATTR_MEMBER
} slimrt_attr;

/* A tensor's static description; all int64 for a fixed layout. */
typedef struct slimrt_shape {
  int64_t dtype;                  /* slimrt_dtype */
  int64_t rank;
  int64_t dims[SLIMRT_MAX_RANK];
} slimrt_shape;

typedef struct slimrt_pool slimrt_pool;

/* What the generated code passes to every kernel: slimrt_call, its fields in
   slimrt_abi.h (in, in_shape, nin, out, out_shape, attr, pool). */
SLIMRT_ABI_DECLARE(call)

typedef void (*slimrt_kernel)(const slimrt_call *c);

/* Table access (runtime/src/optable.c). */
const char *slimrt_op_name(int op);     /* "CONV2D" */
const char *slimrt_op_tf_type(int op);  /* "Conv2D" */
const char *slimrt_op_default_name(int op); /* "add" for ADD: the graph name when none is given */
int slimrt_op_outputs(int op);          /* NOUT */
int slimrt_op_act(int op);              /* slimrt_act */
const char *slimrt_op_api(int op);      /* "nn.softmax math.softmax" ("" if none) */
int slimrt_op_min_inputs(int op);
int slimrt_op_max_inputs(int op);       /* -1: any */
int slimrt_op_flags(int op);
slimrt_kernel slimrt_op_kernel(int op); /* NULL for SOURCE ops */
const char *slimrt_op_kernel_symbol(int op); /* "slimrt_k_conv2d" (NULL for SOURCE ops) */
slimrt_kernel slimrt_op_prepare(int op); /* the load-time hook, NULL unless SLIMRT_F_PREPARE */
size_t slimrt_op_attr_size(int op);

/* dtypes */
const char *slimrt_dtype_name(int dtype);  /* TF's: "float32", "int64", ... NULL if unknown */
int slimrt_dtype_size(int dtype);          /* bytes per element; 0 for string/unknown */
int slimrt_dtype_from_name(const char *s); /* "f32", "float32", "tf.float32"... ; 0 if unknown */

/* Kernels: one per non-source op, declared from the table. */
#define SLIMRT_OP(ID, TF, NAME, MINI, MAXI, NOUT, ATTR, FLAGS, ACT, SHAPE, BATCH, API, BUILD, GRAD) void slimrt_k_##ID(const slimrt_call *c);
#include "slimrt_ops.def"
#undef SLIMRT_OP
/* Prepare hooks: same call as the kernel's, at load time, with only the weight
   inputs valid; they may rewrite those weights. Declared for every op, defined
   only for the ops flagged SLIMRT_F_PREPARE. */
#define SLIMRT_OP(ID, TF, NAME, MINI, MAXI, NOUT, ATTR, FLAGS, ACT, SHAPE, BATCH, API, BUILD, GRAD) void slimrt_p_##ID(const slimrt_call *c);
#include "slimrt_ops.def"
#undef SLIMRT_OP

#endif
