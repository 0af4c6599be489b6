/* Shape inference (compiler/ir/shape.c) and the graph IR (compiler/ir/graph.c):
 * every op of the table, TF's padding arithmetic, and the error texts. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/graph.h"
#include "slimrt_checked.h"

static Arena arena;
static Graph *g;
static char err[1024];

static void setup(void) {
  arena_init(&arena);
  g = graph_new(&arena, "m");
  err[0] = '\0';
}
static void teardown(void) { arena_free(&arena); }

/* A float32 placeholder with the given dims (-1 = unknown). */
static GNode *in_dt(int dt, int rank, const int64_t *dims) {
  GShape s = {.dtype = dt, .rank = rank};
  for (int i = 0; i < rank; i++) s.dims[i] = dims[i];
  char name[16];
  snprintf(name, sizeof name, "x%d", g->nodes.n);
  return graph_input(g, name, s, SPAN_NONE);
}
#define IN(...) in_dt(SLIMRT_F32, sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t), (int64_t[]){__VA_ARGS__})
#define IN_DT(dt, ...) in_dt(dt, sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t), (int64_t[]){__VA_ARGS__})
static GNode *scalar(int dt) { return in_dt(dt, 0, NULL); }

static GNode *op(int opid, const slimrt_attr *a, int nin, GNode *x0, GNode *x1) {
  GNode *ins[2] = {x0, x1};
  return graph_op(g, opid, NULL, ins, nin, a, SPAN_NONE, err, sizeof err);
}

static const char *shp(const GNode *n) {
  static char buf[128];
  return gshape_str(&n->shape, buf, sizeof buf);
}

#define EXPECT_SHAPE(n, text)                                             \
  do {                                                                    \
    GNode *n_ = (n);                                                      \
    cr_assert_not_null(n_, "unexpected error: %s", err);                  \
    cr_expect_str_eq(shp(n_), text);                                      \
  } while (0)
#define EXPECT_ERROR(n, text)                                             \
  do {                                                                    \
    cr_assert_null((n), "expected an error containing \"%s\"", text);     \
    cr_expect(strstr(err, text) != NULL, "error \"%s\" lacks \"%s\"", err, text); \
  } while (0)

TestSuite(shape, .init = setup, .fini = teardown);
TestSuite(graph, .init = setup, .fini = teardown);

/* ---- element-wise ---- */

Test(shape, unary_keeps_shape_and_dtype) {
  GNode *r = op(SLIMRT_OP_RELU, NULL, 1, IN(2, 3), NULL);
  EXPECT_SHAPE(r, "[2,3]");
  cr_expect_eq(r->shape.dtype, SLIMRT_F32);
  EXPECT_SHAPE(op(SLIMRT_OP_SIGMOID, NULL, 1, IN(4), NULL), "[4]");
  EXPECT_SHAPE(op(SLIMRT_OP_NEG, NULL, 1, IN_DT(SLIMRT_I32, 5), NULL), "[5]");
}

Test(shape, float_only_unary_rejects_int) {
  EXPECT_ERROR(op(SLIMRT_OP_SQRT, NULL, 1, IN_DT(SLIMRT_I32, 3), NULL), "Value for attr 'T' of int32");
}

Test(shape, broadcast_numpy_rules) {
  EXPECT_SHAPE(op(SLIMRT_OP_ADD, NULL, 2, IN(2, 1, 3), IN(4, 1)), "[2,4,3]");
  EXPECT_SHAPE(op(SLIMRT_OP_MUL, NULL, 2, IN(1, 8, 8, 3), scalar(SLIMRT_F32)), "[1,8,8,3]");
  EXPECT_SHAPE(op(SLIMRT_OP_SUB, NULL, 2, IN(3), IN(5, 1)), "[5,3]");
  EXPECT_SHAPE(op(SLIMRT_OP_MAXIMUM, NULL, 2, IN(-1, 10), IN(10)), "[?,10]");
}

Test(shape, broadcast_mismatch_names_both_shapes) {
  EXPECT_ERROR(op(SLIMRT_OP_ADD, NULL, 2, IN(2, 3), IN(2, 4)),
               "AddV2: Dimensions must be equal, but are 3 and 4 for 'AddV2' with input shapes: [2,3], [2,4].");
}

Test(shape, binary_dtype_mismatch) {
  EXPECT_ERROR(op(SLIMRT_OP_DIV, NULL, 2, IN_DT(SLIMRT_U8, 2), IN(2)),
               "Input 'y' of 'RealDiv' Op has type float32 that does not match type uint8 of argument 'x'.");
}

Test(shape, bias_add) {
  EXPECT_SHAPE(op(SLIMRT_OP_BIAS_ADD, NULL, 2, IN(1, 4, 4, 8), IN(8)), "[1,4,4,8]");
  EXPECT_ERROR(op(SLIMRT_OP_BIAS_ADD, NULL, 2, IN(1, 10), IN(5)),
               "Dimensions must be equal, but are 10 and 5 for 'BiasAdd' with input shapes: [1,10], [5].");
  EXPECT_ERROR(op(SLIMRT_OP_BIAS_ADD, NULL, 2, IN(10), IN(10)), "at least rank 2");
}

Test(shape, cast_takes_requested_dtype) {
  GNode *x = IN_DT(SLIMRT_U8, 1, 4);
  GShape want = {.dtype = SLIMRT_F32, .rank = 0};
  GNode *c = graph_op_shaped(g, SLIMRT_OP_CAST, "Cast", &x, 1, NULL, want, SPAN_NONE);
  EXPECT_SHAPE(c, "[1,4]");
  cr_expect_eq(c->shape.dtype, SLIMRT_F32);
  EXPECT_ERROR(op(SLIMRT_OP_CAST, NULL, 1, x, NULL), "destination dtype");
}

/* ---- matmul ---- */

Test(shape, matmul_inner_dims) {
  EXPECT_SHAPE(op(SLIMRT_OP_MATMUL, NULL, 2, IN(1, 256), IN(256, 10)), "[1,10]");
  EXPECT_SHAPE(op(SLIMRT_OP_MATMUL, NULL, 2, IN(-1, 256), IN(256, 10)), "[?,10]");
  slimrt_attr a = {.matmul = {.transpose_a = 1, .transpose_b = 1}};
  EXPECT_SHAPE(op(SLIMRT_OP_MATMUL, &a, 2, IN(256, 3), IN(10, 256)), "[3,10]");
}

Test(shape, matmul_mismatch_tf_text) {
  EXPECT_ERROR(op(SLIMRT_OP_MATMUL, NULL, 2, IN(1, 256), IN(512, 10)),
               "MatMul: Dimensions must be equal, but are 256 and 512 for 'MatMul' with input shapes: "
               "[1,256], [512,10].");
  EXPECT_ERROR(op(SLIMRT_OP_MATMUL, NULL, 2, IN(1, 2, 3), IN(3, 4)),
               "Shape must be rank 2 but is rank 3 for 'MatMul' with input shapes: [1,2,3], [3,4].");
}

/* ---- padding arithmetic (tf-slim-reference.md section 5) ---- */

typedef struct PadCase {
  int64_t in, k, stride, rate;
  int same;
  int64_t before, after, out;
} PadCase;

ParameterizedTestParameters(shape, same_valid_padding) {
  static PadCase cases[] = {
      {224, 3, 1, 1, 1, 1, 1, 224}, {224, 3, 2, 1, 1, 0, 1, 112}, {224, 7, 2, 1, 1, 2, 3, 112},
      {5, 3, 2, 1, 1, 1, 1, 3},     {8, 1, 1, 1, 1, 0, 0, 8},     {10, 3, 1, 2, 1, 2, 2, 10},
      {224, 7, 2, 1, 0, 0, 0, 109}, {10, 3, 1, 2, 0, 0, 0, 6},    {4, 2, 2, 1, 1, 0, 0, 2},
      {1, 3, 1, 1, 1, 1, 1, 1},     {7, 2, 3, 1, 1, 0, 1, 3},
  };
  return cr_make_param_array(PadCase, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(PadCase *p, shape, same_valid_padding) {
  int64_t b, a;
  cr_assert_eq(shape_same_padding(p->in, p->k, p->stride, p->rate, p->same, &b, &a), 0);
  cr_expect_eq(b, p->before, "in %ld k %ld s %ld: before %ld != %ld", (long)p->in, (long)p->k, (long)p->stride,
               (long)b, (long)p->before);
  cr_expect_eq(a, p->after, "after %ld != %ld", (long)a, (long)p->after);
  /* the convolution over those pads has TF's output size */
  Arena ar;
  arena_init(&ar);
  Graph *gg = graph_new(&ar, "p");
  GNode *ins[2] = {graph_input(gg, "x", (GShape){SLIMRT_F32, 4, {1, p->in, p->in, 2}}, SPAN_NONE),
                   graph_input(gg, "w", (GShape){SLIMRT_F32, 4, {p->k, p->k, 2, 3}}, SPAN_NONE)};
  slimrt_attr at = {.conv = {p->stride, p->stride, p->rate, p->rate, b, a, b, a}};
  char e[512];
  GNode *c = graph_op(gg, SLIMRT_OP_CONV2D, "Conv2D", ins, 2, &at, SPAN_NONE, e, sizeof e);
  cr_assert_not_null(c, "%s", e);
  cr_expect_eq(c->shape.dims[1], p->out, "out %ld != %ld", (long)c->shape.dims[1], (long)p->out);
  cr_expect_eq(c->shape.dims[2], p->out);
  cr_expect_eq(c->shape.dims[3], 3);
  arena_free(&ar);
}

Test(shape, padding_rejects_bad_window) {
  int64_t b, a;
  cr_expect_eq(shape_same_padding(10, 0, 1, 1, 1, &b, &a), -1);
  cr_expect_eq(shape_same_padding(10, 3, 0, 1, 1, &b, &a), -1);
}

/* ---- convolution ---- */

Test(shape, conv2d_channels_mismatch) {
  slimrt_attr a = {.conv = {1, 1, 1, 1, 1, 1, 1, 1}};
  EXPECT_ERROR(op(SLIMRT_OP_CONV2D, &a, 2, IN(1, 8, 8, 3), IN(3, 3, 4, 8)),
               "Conv2D: conv2d input has 3 channels but weights expect 4");
}

Test(shape, conv2d_rank_and_negative_size) {
  slimrt_attr a = {.conv = {1, 1, 1, 1}};
  EXPECT_ERROR(op(SLIMRT_OP_CONV2D, &a, 2, IN(8, 8, 3), IN(3, 3, 3, 8)), "Convolution expects input with rank 4, got 3");
  EXPECT_ERROR(op(SLIMRT_OP_CONV2D, &a, 2, IN(1, 2, 2, 3), IN(3, 3, 3, 8)),
               "Negative dimension size caused by subtracting 3 from 2 for 'Conv2D'");
  slimrt_attr z = {.conv = {0, 1, 1, 1}};
  EXPECT_ERROR(op(SLIMRT_OP_CONV2D, &z, 2, IN(1, 4, 4, 3), IN(3, 3, 3, 8)), "must be positive");
}

Test(shape, conv2d_strided_dilated_unknown_batch) {
  slimrt_attr a = {.conv = {2, 2, 1, 1, 0, 1, 0, 1}};
  EXPECT_SHAPE(op(SLIMRT_OP_CONV2D, &a, 2, IN(-1, 224, 224, 3), IN(3, 3, 3, 32)), "[?,112,112,32]");
  slimrt_attr d = {.conv = {1, 1, 2, 2}};
  EXPECT_SHAPE(op(SLIMRT_OP_CONV2D, &d, 2, IN(1, 10, 12, 3), IN(3, 3, 3, 4)), "[1,6,8,4]");
}

Test(shape, depthwise_multiplies_channels) {
  slimrt_attr a = {.conv = {1, 1, 1, 1, 1, 1, 1, 1}};
  EXPECT_SHAPE(op(SLIMRT_OP_DEPTHWISE_CONV2D, &a, 2, IN(1, 8, 8, 4), IN(3, 3, 4, 2)), "[1,8,8,8]");
  EXPECT_ERROR(op(SLIMRT_OP_DEPTHWISE_CONV2D, &a, 2, IN(1, 8, 8, 4), IN(3, 3, 5, 1)),
               "depthwise_conv2d input has 4 channels but weights expect 5");
}

Test(shape, conv2d_transpose_inverts_forward) {
  /* forward SAME conv 8 -> 4 with k3 s2 has pads 0,1 */
  slimrt_attr a = {.conv = {2, 2, 1, 1, 0, 1, 0, 1}};
  EXPECT_SHAPE(op(SLIMRT_OP_CONV2D_TRANSPOSE, &a, 2, IN(1, 4, 4, 16), IN(3, 3, 8, 16)), "[1,8,8,8]");
  EXPECT_ERROR(op(SLIMRT_OP_CONV2D_TRANSPOSE, &a, 2, IN(1, 4, 4, 16), IN(3, 3, 8, 4)),
               "conv2d_transpose input has 16 channels but weights expect 4");
  /* a requested size must map back onto the input */
  GNode *ins[2] = {IN(1, 4, 4, 16), IN(3, 3, 8, 16)};
  GShape bad = {SLIMRT_F32, 4, {1, 20, 20, 8}};
  cr_expect_null(graph_op_shaped(g, SLIMRT_OP_CONV2D_TRANSPOSE, "d", ins, 2, &a, bad, SPAN_NONE));
}

/* ---- pooling ---- */

Test(shape, pools) {
  slimrt_attr same = {.pool = {3, 3, 2, 2, 1, 1, 1, 1}};
  EXPECT_SHAPE(op(SLIMRT_OP_AVG_POOL, &same, 1, IN(1, 5, 5, 1), NULL), "[1,3,3,1]");
  slimrt_attr valid = {.pool = {2, 2, 1, 1}};
  EXPECT_SHAPE(op(SLIMRT_OP_MAX_POOL, &valid, 1, IN(1, 3, 3, 1), NULL), "[1,2,2,1]");
  slimrt_attr big = {.pool = {4, 4, 1, 1}};
  EXPECT_ERROR(op(SLIMRT_OP_MAX_POOL, &big, 1, IN(1, 3, 3, 1), NULL), "Negative dimension size");
  EXPECT_ERROR(op(SLIMRT_OP_MAX_POOL, &valid, 1, IN(3, 3, 1), NULL), "Shape must be rank 4 but is rank 3");
}

/* ---- normalisation, softmax ---- */

Test(shape, batch_norm_channels) {
  GNode *ins[5] = {IN(1, 2, 2, 3), IN(3), IN(3), IN(3), IN(3)};
  GNode *b = graph_op(g, SLIMRT_OP_BATCH_NORM, "bn", ins, 5, NULL, SPAN_NONE, err, sizeof err);
  EXPECT_SHAPE(b, "[1,2,2,3]");
  ins[3] = IN(4);
  EXPECT_ERROR(graph_op(g, SLIMRT_OP_BATCH_NORM, "bn", ins, 5, NULL, SPAN_NONE, err, sizeof err),
               "bn: batch_norm mean has 4 elements but the input has 3 channels");
}

Test(shape, softmax) {
  EXPECT_SHAPE(op(SLIMRT_OP_SOFTMAX, NULL, 1, IN(2, 10), NULL), "[2,10]");
  EXPECT_SHAPE(op(SLIMRT_OP_LOG_SOFTMAX, NULL, 1, IN(10), NULL), "[10]");
  EXPECT_ERROR(op(SLIMRT_OP_SOFTMAX, NULL, 1, scalar(SLIMRT_F32), NULL), "at least rank 1");
}

/* ---- reductions ---- */

Test(shape, reductions) {
  slimrt_attr a = {.reduce = {.axes = {0, 1, 1, 0}}};
  EXPECT_SHAPE(op(SLIMRT_OP_REDUCE_MEAN, &a, 1, IN(1, 7, 7, 64), NULL), "[1,64]");
  a.reduce.keepdims = 1;
  EXPECT_SHAPE(op(SLIMRT_OP_REDUCE_MEAN, &a, 1, IN(1, 7, 7, 64), NULL), "[1,1,1,64]");
  slimrt_attr all = {.reduce = {.axes = {1, 1}}};
  EXPECT_SHAPE(op(SLIMRT_OP_REDUCE_SUM, &all, 1, IN(3, 4), NULL), "[]");
  slimrt_attr bad = {.reduce = {.axes = {0, 0, 1}}};
  EXPECT_ERROR(op(SLIMRT_OP_REDUCE_MAX, &bad, 1, IN(3, 4), NULL), "Invalid reduction dimension 2");
}

Test(shape, argmax) {
  slimrt_attr a = {.argmax = {-1}};
  GNode *r = op(SLIMRT_OP_ARGMAX, &a, 1, IN(2, 10), NULL);
  EXPECT_SHAPE(r, "[2]");
  cr_expect_eq(r->shape.dtype, SLIMRT_I64);
  cr_expect_eq(r->attr.argmax.axis, 1);
  slimrt_attr b = {.argmax = {2}};
  EXPECT_ERROR(op(SLIMRT_OP_ARGMAX, &b, 1, IN(2, 10), NULL), "Expected dimension in the range [-2, 2), but got 2");
}

/* ---- data movement ---- */

Test(shape, reshape_infers_minus_one) {
  GShape out;
  GShape in = {SLIMRT_F32, 4, {2, 7, 7, 16}};
  cr_assert_eq(shape_reshape(&in, (int64_t[]){2, -1}, 2, &out, err, sizeof err), 0, "%s", err);
  cr_expect_eq(out.dims[1], 784);
  GShape unk = {SLIMRT_F32, 2, {-1, 10}};
  cr_assert_eq(shape_reshape(&unk, (int64_t[]){-1, 5, 2}, 3, &out, err, sizeof err), 0);
  cr_expect_eq(out.dims[0], -1);
}

Test(shape, reshape_errors) {
  GShape out;
  GShape in = {SLIMRT_F32, 2, {3, 4}};
  cr_expect_eq(shape_reshape(&in, (int64_t[]){5, 3}, 2, &out, err, sizeof err), -1);
  cr_expect_str_eq(err, "Cannot reshape a tensor with 12 elements to shape [5,3] (15 elements)");
  cr_expect_eq(shape_reshape(&in, (int64_t[]){5, -1}, 2, &out, err, sizeof err), -1);
  cr_expect_str_eq(err, "Dimension size must be evenly divisible by 5 but is 12");
  cr_expect_eq(shape_reshape(&in, (int64_t[]){-1, -1}, 2, &out, err, sizeof err), -1);
  cr_expect(strstr(err, "multiple unknown") != NULL);
  /* through the op: the requested shape is checked too */
  GNode *x = IN(3, 4);
  cr_expect_null(graph_op_shaped(g, SLIMRT_OP_RESHAPE, "r", &x, 1, NULL, (GShape){SLIMRT_F32, 1, {13}}, SPAN_NONE));
  EXPECT_SHAPE(graph_op_shaped(g, SLIMRT_OP_RESHAPE, "r", &x, 1, NULL, (GShape){SLIMRT_F32, 1, {12}}, SPAN_NONE),
               "[12]");
  EXPECT_ERROR(op(SLIMRT_OP_RESHAPE, NULL, 1, x, NULL), "target shape");
}

Test(shape, transpose) {
  slimrt_attr a = {.transpose = {.perm = {0, 3, 1, 2}}};
  EXPECT_SHAPE(op(SLIMRT_OP_TRANSPOSE, &a, 1, IN(1, 2, 3, 4), NULL), "[1,4,2,3]");
  slimrt_attr bad = {.transpose = {.perm = {0, 0, 1, 2}}};
  EXPECT_ERROR(op(SLIMRT_OP_TRANSPOSE, &bad, 1, IN(1, 2, 3, 4), NULL), "not a permutation");
}

Test(shape, concat) {
  GNode *ins[3] = {IN(1, 2, 3), IN(1, 5, 3), IN(1, 1, 3)};
  slimrt_attr a = {.concat = {1}};
  EXPECT_SHAPE(graph_op(g, SLIMRT_OP_CONCAT, "concat", ins, 3, &a, SPAN_NONE, err, sizeof err), "[1,8,3]");
  slimrt_attr neg = {.concat = {-1}};
  EXPECT_SHAPE(graph_op(g, SLIMRT_OP_CONCAT, "concat", ins, 1, &neg, SPAN_NONE, err, sizeof err), "[1,2,3]");
  ins[1] = IN(1, 5, 4);
  EXPECT_ERROR(graph_op(g, SLIMRT_OP_CONCAT, "concat", ins, 2, &a, SPAN_NONE, err, sizeof err),
               "Dimension 0 in both shapes must be equal, but are 3 and 4. Shapes are [3] and [4].");
  slimrt_attr out = {.concat = {3}};
  EXPECT_ERROR(graph_op(g, SLIMRT_OP_CONCAT, "concat", ins, 2, &out, SPAN_NONE, err, sizeof err),
               "range [-3, 3), but got 3");
  ins[1] = IN(1, 2);
  EXPECT_ERROR(graph_op(g, SLIMRT_OP_CONCAT, "concat", ins, 2, &a, SPAN_NONE, err, sizeof err),
               "Shape must be rank 3 but is rank 2");
}

Test(shape, pad) {
  slimrt_attr a = {.pad = {.before = {0, 1, 2, 0}, .after = {0, 1, 3, 0}}};
  EXPECT_SHAPE(op(SLIMRT_OP_PAD, &a, 1, IN(1, 4, 4, 3), NULL), "[1,6,9,3]");
  slimrt_attr bad = {.pad = {.before = {0, 0, 1}}};
  EXPECT_ERROR(op(SLIMRT_OP_PAD, &bad, 1, IN(2, 2), NULL), "rank of inputs");
}

Test(shape, slice_and_shrink) {
  slimrt_attr a = {.slice = {.begin = {0, 1}, .stride = {1, 1}, .count = {4, 2}}};
  EXPECT_SHAPE(op(SLIMRT_OP_SLICE, &a, 1, IN(4, 5), NULL), "[4,2]");
  /* x[:, 0]: the second dimension is shrunk */
  GNode *x = IN(4, 5);
  slimrt_attr s = {.slice = {.begin = {0, 0}, .stride = {1, 1}, .count = {4, 1}}};
  EXPECT_SHAPE(graph_op_shaped(g, SLIMRT_OP_SLICE, "s", &x, 1, &s, (GShape){SLIMRT_F32, 1, {4}}, SPAN_NONE), "[4]");
  slimrt_attr oob = {.slice = {.begin = {0, 4}, .stride = {1, 1}, .count = {4, 2}}};
  EXPECT_ERROR(op(SLIMRT_OP_SLICE, &oob, 1, IN(4, 5), NULL), "out of bounds");
  slimrt_attr rev = {.slice = {.begin = {4}, .stride = {-2}, .count = {3}}};
  EXPECT_SHAPE(op(SLIMRT_OP_SLICE, &rev, 1, IN(5), NULL), "[3]");
}

Test(shape, tile_and_one_hot) {
  slimrt_attr t = {.tile = {.multiples = {1, 1, 4, 1}}};
  EXPECT_SHAPE(op(SLIMRT_OP_TILE, &t, 1, IN(3, 3, 1, 1), NULL), "[3,3,4,1]");
  slimrt_attr o = {.onehot = {.depth = 10, .axis = -1, .on_value = 1}};
  EXPECT_SHAPE(op(SLIMRT_OP_ONE_HOT, &o, 1, IN_DT(SLIMRT_I64, 4), NULL), "[4,10]");
  slimrt_attr o0 = {.onehot = {.depth = 10, .axis = 0}};
  EXPECT_SHAPE(op(SLIMRT_OP_ONE_HOT, &o0, 1, IN_DT(SLIMRT_I32, 4), NULL), "[10,4]");
  EXPECT_ERROR(op(SLIMRT_OP_ONE_HOT, &o, 1, IN(4), NULL), "attr 'TI' of float32");
}

Test(shape, identity_and_arity) {
  EXPECT_SHAPE(op(SLIMRT_OP_IDENTITY, NULL, 1, IN(2, 2), NULL), "[2,2]");
  EXPECT_ERROR(op(SLIMRT_OP_ADD, NULL, 1, IN(2), NULL), "AddV2 takes 2 inputs, got 1");
}

/* ---- graph listing ---- */

Test(graph, shape_texts) {
  char b[64];
  GShape s = {SLIMRT_F32, 4, {-1, 224, 224, 3}};
  cr_expect_str_eq(gshape_str(&s, b, sizeof b), "[?,224,224,3]");
  cr_expect_str_eq(gshape_tf_str(&s, b, sizeof b), "(?, 224, 224, 3)");
  GShape one = {SLIMRT_F32, 1, {4}}, none = {SLIMRT_F32, 0, {0}};
  cr_expect_str_eq(gshape_tf_str(&one, b, sizeof b), "(4,)");
  cr_expect_str_eq(gshape_tf_str(&none, b, sizeof b), "()");
  cr_expect_str_eq(gshape_str(&none, b, sizeof b), "[]");
  cr_expect_eq(gshape_count(&s), -1);
  cr_expect_eq(gshape_count(&one), 4);
  cr_expect_eq(gshape_count(&none), 1);
  char tiny[4];
  cr_expect_str_eq(gshape_str(&s, tiny, sizeof tiny), "[?,");
}

Test(graph, failed_op_leaves_no_node) {
  GNode *x = IN(2, 3);
  int before = g->nodes.n;
  cr_expect_null(op(SLIMRT_OP_ADD, NULL, 2, x, IN(2, 4)));
  cr_expect_eq(g->nodes.n, before + 1); /* only the second placeholder */
}

Test(graph, print_listing) {
  GNode *x = graph_input(g, "images", (GShape){SLIMRT_F32, 2, {1, 4}}, SPAN_NONE);
  GVar *w = graph_variable(g, "fc/weights", (GShape){SLIMRT_F32, 2, {4, 3}}, SPAN_NONE);
  GNode *ins[2] = {x, w->node};
  GNode *mm = graph_op(g, SLIMRT_OP_MATMUL, "fc/MatMul", ins, 2, NULL, SPAN_NONE, err, sizeof err);
  cr_assert_not_null(mm, "%s", err);
  graph_op(g, SLIMRT_OP_SOFTMAX, "Softmax", &mm, 1, NULL, SPAN_NONE, err, sizeof err);
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  graph_print(f, g);
  fclose(f);
  cr_expect_str_eq(text, "images\tPlaceholder\tfloat32\t[1,4]\t\n"
                         "fc/weights\tVariableV2\tfloat32\t[4,3]\t\n"
                         "fc/MatMul\tMatMul\tfloat32\t[1,3]\timages,fc/weights\n"
                         "Softmax\tSoftmax\tfloat32\t[1,3]\tfc/MatMul\n");
  free(text);
  cr_expect_eq(w->id, 0);
  cr_expect_eq(x->input_index, 0);
  cr_expect_eq(mm->arena_offset, -1);
}

/* ---- checked arithmetic (issue 19): the helpers and the shapes built on them ---- */

TestSuite(checked, .init = setup, .fini = teardown);

Test(checked, helpers) {
  int64_t r;
  cr_expect_eq(slimrt_ck_add(INT64_MAX, 1, &r), -1);
  cr_expect_eq(slimrt_ck_add(INT64_MAX - 1, 1, &r), 0);
  cr_expect_eq(r, INT64_MAX);
  cr_expect_eq(slimrt_ck_mul((int64_t)1 << 32, (int64_t)1 << 31, &r), -1);
  cr_expect_eq(slimrt_ck_sub(INT64_MIN, 1, &r), -1);
  cr_expect_eq(slimrt_ck_window_extent(65, ((int64_t)1 << 58) - 1, &r), -1);
  cr_expect_eq(slimrt_ck_window_extent(3, 2, &r), 0);
  cr_expect_eq(r, 5);
  cr_expect_eq(slimrt_ck_count(3, (int64_t[]){(int64_t)1 << 32, (int64_t)1 << 32, 0}), -1);
  cr_expect_eq(slimrt_ck_count(3, (int64_t[]){0, (int64_t)1 << 32, (int64_t)1 << 32}), -1);
  cr_expect_eq(slimrt_ck_count(2, (int64_t[]){0, 7}), 0);
  cr_expect_eq(slimrt_ck_count(2, (int64_t[]){-1, 7}), -1);
  cr_expect_eq(slimrt_ck_span_count(1, 4, INT64_MAX), 1);
  cr_expect_eq(slimrt_ck_span_count(3, -1, INT64_MIN), 1);
  cr_expect_eq(slimrt_ck_span_count(0, 10, 3), 4);
  cr_expect_eq(slimrt_ck_span_count(INT64_MIN, INT64_MAX, 1), -1);
  cr_expect_eq(slimrt_ck_span_count(INT64_MIN, INT64_MAX, INT64_MAX), 3);
  cr_expect_eq(slimrt_ck_span_count(5, 5, -1), 0);
}

Test(checked, shapes_overflow_with_tf_text) {
  slimrt_attr pad = {.pad = {.before = {0, INT64_MAX}, .after = {0, INT64_MAX}}};
  EXPECT_ERROR(op(SLIMRT_OP_PAD, &pad, 1, IN(1, 2), NULL), "Dimension size overflow from adding 2 and 9223372036854775807");
  slimrt_attr tile = {.tile = {.multiples = {1, ((int64_t)1 << 61) + 1}}};
  EXPECT_ERROR(op(SLIMRT_OP_TILE, &tile, 1, IN(1, 8), NULL),
               "Negative dimension size caused by overflow when multiplying 8 and 2305843009213693953");
  slimrt_attr cat = {.concat = {.axis = 0}};
  EXPECT_ERROR(op(SLIMRT_OP_CONCAT, &cat, 2, IN((int64_t)1 << 62, 1), IN((int64_t)1 << 62, 1)),
               "Dimension size overflow from adding 4611686018427387904 and 4611686018427387904");
  slimrt_attr conv = {.conv = {1, 1, ((int64_t)1 << 58) - 1, 1, 0, 0, 0, 0}};
  EXPECT_ERROR(op(SLIMRT_OP_CONV2D, &conv, 2, IN(1, 8, 8, 1), IN(65, 1, 1, 1)),
               "Negative dimension size caused by overflow when multiplying 64 and 288230376151711743");
  slimrt_attr sl = {.slice = {.begin = {0, 1}, .stride = {1, INT64_MAX}, .count = {1, 2}}};
  EXPECT_ERROR(op(SLIMRT_OP_SLICE, &sl, 1, IN(1, 4), NULL), "run past the end of the input");
  /* one element per dimension: any stride is fine and becomes 1 for the kernel */
  slimrt_attr one = {.slice = {.begin = {0, 1}, .stride = {1, INT64_MAX}, .count = {1, 1}}};
  GNode *s = op(SLIMRT_OP_SLICE, &one, 1, IN(1, 4), NULL);
  EXPECT_SHAPE(s, "[1,1]");
  cr_expect_eq(s->attr.slice.stride[1], 1);
}
