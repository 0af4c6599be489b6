/* compiler/passes/pass_prepack.c through the pass pipeline: which FUSED_CONV2D ops get
 * their weights packed at load time, and the prepare() function codegen emits for
 * them (runtime side: tests/kernels/gen_refs.py prepacked cases in test_rt_kernels). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "llvm/backend.h"
#include "llvm/cg_internal.h"

#include "graph_util.h"

TestSuite(pass_prepack, .init = graph_fixture_setup, .fini = graph_fixture_teardown);

static BackendOptions opts(void) { return (BackendOptions){.emit = EMIT_LLVM, .opt_level = 2}; }

/* conv(x, W) -> batch norm (gamma, beta, mean, var) -> relu, CO channels; W and
   beta returned so tests can give them extra readers. */
static GNode *conv_bn_relu(Graph *g, GNode *x, int64_t co, GNode **w, GNode **beta) {
  slimrt_attr a = {.conv = {1, 1, 1, 1, 1, 1, 1, 1}};
  *w = var(g, "w", SHAPE(3, 3, 8, co));
  GNode *in[5] = {x, *w};
  GNode *c = op(g, SLIMRT_OP_CONV2D, "conv", in, 2, &a);
  in[0] = c;
  const char *bn[4] = {"gamma", "beta", "mean", "var"};
  for (int i = 0; i < 4; i++) in[1 + i] = var(g, bn[i], SHAPE(co));
  *beta = in[2];
  slimrt_attr e = {.batchnorm = {0.001}};
  GNode *b = op(g, SLIMRT_OP_BATCH_NORM, "bn", in, 5, &e);
  return op(g, SLIMRT_OP_RELU, "relu", &b, 1, NULL);
}

Test(pass_prepack, private_weights_are_marked) {
  Graph *g = graph_new(&arena, "m");
  GNode *x = graph_input(g, "x", SHAPE(1, 7, 7, 8), SPAN_NONE), *w, *beta;
  GNode *y = conv_bn_relu(g, x, 64, &w, &beta);
  set_outputs(g, 1, "y", y);
  BackendOptions o = opts();
  cr_assert_eq(run_passes(g, &diag, &o), 0);
  cr_assert_eq(y->op, SLIMRT_OP_FUSED_CONV2D);
  cr_expect_eq(y->attr.fconv.prepacked, 1);
}

/* 48 channels do not fill the 32/64-column panels: packed in place they would
   not fit. */
Test(pass_prepack, partial_panels_are_not) {
  Graph *g = graph_new(&arena, "m");
  GNode *x = graph_input(g, "x", SHAPE(1, 7, 7, 8), SPAN_NONE), *w, *beta;
  GNode *y = conv_bn_relu(g, x, 48, &w, &beta);
  set_outputs(g, 1, "y", y);
  BackendOptions o = opts();
  cr_assert_eq(run_passes(g, &diag, &o), 0);
  cr_assert_eq(y->op, SLIMRT_OP_FUSED_CONV2D);
  cr_expect_eq(y->attr.fconv.prepacked, 0);
}

/* A filter (or offset) that something else also reads must keep its layout. */
Test(pass_prepack, shared_weights_are_not) {
  for (int which = 0; which < 2; which++) {
    Graph *g = graph_new(&arena, "m");
    GNode *x = graph_input(g, "x", SHAPE(1, 7, 7, 8), SPAN_NONE), *w, *beta;
    GNode *y = conv_bn_relu(g, x, 64, &w, &beta);
    GNode *other = which ? beta : w;
    GNode *sq = op(g, SLIMRT_OP_SQUARE, "sq", &other, 1, NULL);
    slimrt_attr r = {.reduce = {.axes = {1, (int64_t)!which, (int64_t)!which, (int64_t)!which}}};
    GNode *s = op(g, SLIMRT_OP_REDUCE_SUM, "sum", &sq, 1, &r);
    GNode *in[2] = {y, s};
    GNode *out = op(g, SLIMRT_OP_ADD, "out", in, 2, NULL);
    set_outputs(g, 1, "y", out);
    BackendOptions o = opts();
    cr_assert_eq(run_passes(g, &diag, &o), 0);
    cr_assert_eq(y->op, SLIMRT_OP_FUSED_CONV2D);
    cr_expect_eq(y->attr.fconv.prepacked, 0, "%s has a second reader", which ? "beta" : "the filter");
  }
}

/* Codegen: a prepare() that calls the hook, recorded in the descriptor. */
Test(pass_prepack, prepare_function_emitted) {
  Graph *g = graph_new(&arena, "m");
  GNode *x = graph_input(g, "x", SHAPE(1, 7, 7, 8), SPAN_NONE), *w, *beta;
  set_outputs(g, 1, "y", conv_bn_relu(g, x, 64, &w, &beta));
  BackendOptions o = opts();
  cr_assert_eq(run_passes(g, &diag, &o), 0);
  CgModule *m = cg_module_build(g, &diag, &o);
  cr_assert_not_null(m);
  char *ir = cg_module_ir(m);
  cr_expect(strstr(ir, "define internal void @slimc_prepare("), "no prepare function");
  cr_expect(strstr(ir, "call void @slimrt_p_FUSED_CONV2D("), "prepare does not call the hook");
  cr_expect(strstr(ir, "ptr @slimc_run, i64 1, i64 1, "), "the descriptor's entry point does not record run");
  cr_expect(strstr(ir, ", ptr @slimc_prepare }, align 8"), "the descriptor does not record prepare");
  free(ir);
  cg_module_free(m);
}
