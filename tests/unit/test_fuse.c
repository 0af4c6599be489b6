/* compiler/passes/pass_fuse.c through the pass pipeline: which chains become one
 * FUSED_CONV2D, with which inputs and flags, and which must not. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdarg.h>
#include <string.h>
#include "llvm/backend.h"
#include "llvm/cg_internal.h"

#include "graph_util.h"

TestSuite(pass_fuse, .init = graph_fixture_setup, .fini = graph_fixture_teardown);

static GNode *find(Graph *g, const char *name) {
  for (int i = 0; i < g->nodes.n; i++) {
    GNode *n = g->nodes.items[i];
    if (!strcmp(n->name, name)) return n;
  }
  return NULL;
}

static int count_op(Graph *g, int o) {
  int k = 0;
  for (int i = 0; i < g->nodes.n; i++) k += ((GNode *)g->nodes.items[i])->op == o;
  return k;
}

static BackendOptions opts(void) { return (BackendOptions){.emit = EMIT_LLVM, .opt_level = 2}; }

/* conv -> batch norm, named PREFIX, 4 channels */
static GNode *conv_bn(Graph *g, const char *prefix, GNode *x, int64_t stride) {
  slimrt_attr a = {.conv = {stride, stride, 1, 1, 0, 0, 0, 0}};
  GNode *in[5] = {x, var(g, arena_printf(&arena, "%s/w", prefix), SHAPE(1, 1, 4, 4))};
  GNode *c = op(g, SLIMRT_OP_CONV2D, arena_printf(&arena, "%s/Conv2D", prefix), in, 2, &a);
  in[0] = c;
  const char *bn[4] = {"gamma", "beta", "mean", "var"};
  for (int i = 0; i < 4; i++) in[1 + i] = var(g, arena_printf(&arena, "%s/%s", prefix, bn[i]), SHAPE(4));
  slimrt_attr e = {.batchnorm = {0.001}};
  return op(g, SLIMRT_OP_BATCH_NORM, arena_printf(&arena, "%s/BN", prefix), in, 5, &e);
}

/* A ResNet unit: relu(bn(conv(x)) + bn(conv(x))): the later chain takes the add
   and the relu, the earlier one ends at its batch norm; both are fused. */
static Graph *residual_graph(GNode **add, GNode **relu) {
  Graph *g = graph_new(&arena, "unit");
  GNode *x = graph_input(g, "x", SHAPE(1, 6, 6, 4), SPAN_NONE);
  GNode *in[2] = {conv_bn(g, "shortcut", x, 1), conv_bn(g, "conv3", x, 1)};
  *add = op(g, SLIMRT_OP_ADD, "add", in, 2, NULL);
  *relu = op(g, SLIMRT_OP_RELU, "relu", add, 1, NULL);
  set_outputs(g, 1, "y", *relu);
  return g;
}

Test(pass_fuse, residual_unit) {
  GNode *add, *relu;
  Graph *g = residual_graph(&add, &relu);
  BackendOptions o = opts();
  cr_assert_eq(run_passes(g, &diag, &o), 0);
  cr_assert_eq(count_op(g, SLIMRT_OP_FUSED_CONV2D), 2);
  cr_assert_eq(count_op(g, SLIMRT_OP_CONV2D) + count_op(g, SLIMRT_OP_BATCH_NORM) + count_op(g, SLIMRT_OP_ADD), 0);
  GNode *first = find(g, "shortcut/BN"), *last = find(g, "relu");
  cr_assert(first && last);
  const slimrt_attr_fconv *f = &first->attr.fconv, *l = &last->attr.fconv;
  cr_expect(f->has_bn && !f->has_residual && f->act == 0 && !f->has_bias);
  cr_expect(l->has_bn && l->has_residual && l->act == 1 && !l->depthwise);
  cr_expect_eq(l->epsilon, 0.001);
  cr_assert_eq(last->nin, 7, "x, filter, 4 batch norm inputs, residual");
  cr_expect_eq(last->in[6], first, "the residual is the other chain's result");
  cr_expect_eq(last->in[0], g->inputs.items[0]);
}

/* A zero PAD over H and W joins the conv's padding; bias + relu6 fuse. */
Test(pass_fuse, pad_bias_relu6) {
  Graph *g = graph_new(&arena, "padded");
  GNode *x = graph_input(g, "x", SHAPE(1, 5, 5, 4), SPAN_NONE);
  slimrt_attr pa = {.pad = {.before = {0, 1, 2, 0}, .after = {0, 3, 1, 0}}};
  GNode *p = op(g, SLIMRT_OP_PAD, "pad", &x, 1, &pa);
  slimrt_attr a = {.conv = {2, 2, 1, 1, 0, 0, 0, 0}};
  GNode *in[2] = {p, var(g, "w", SHAPE(3, 3, 4, 1))};
  GNode *c = op(g, SLIMRT_OP_DEPTHWISE_CONV2D, "dw", in, 2, &a);
  in[0] = c;
  in[1] = var(g, "b", SHAPE(4));
  GNode *ba = op(g, SLIMRT_OP_BIAS_ADD, "bias", in, 2, NULL);
  GNode *r = op(g, SLIMRT_OP_RELU6, "relu6", &ba, 1, NULL);
  set_outputs(g, 1, "y", r);
  BackendOptions o = opts();
  cr_assert_eq(run_passes(g, &diag, &o), 0);
  cr_assert_null(find(g, "pad"));
  cr_assert_eq(r->op, SLIMRT_OP_FUSED_CONV2D);
  const slimrt_attr_fconv *f = &r->attr.fconv;
  cr_expect(f->depthwise && f->has_bias && !f->has_bn && f->act == 2);
  cr_expect_eq(f->conv.pad_top, 1);
  cr_expect_eq(f->conv.pad_bottom, 3);
  cr_expect_eq(f->conv.pad_left, 2);
  cr_expect_eq(f->conv.pad_right, 1);
  cr_expect_eq(r->in[0], x);
  cr_expect_eq(r->nin, 3);
}

/* A tensor with a second reader, or a model output, is not absorbed; a PAD with a
   non-zero value stays. */
Test(pass_fuse, shared_intermediates_stay) {
  Graph *g = graph_new(&arena, "shared");
  GNode *x = graph_input(g, "x", SHAPE(1, 4, 4, 4), SPAN_NONE);
  slimrt_attr pa = {.pad = {.before = {0, 1, 1, 0}, .after = {0, 1, 1, 0}, .value = 1.0}};
  GNode *p = op(g, SLIMRT_OP_PAD, "pad", &x, 1, &pa);
  GNode *bn = conv_bn(g, "a", p, 1);      /* read by relu and by an output */
  GNode *relu = op(g, SLIMRT_OP_RELU, "relu", &bn, 1, NULL);
  set_outputs(g, 2, "bn", bn, "relu", relu);
  BackendOptions o = opts();
  cr_assert_eq(run_passes(g, &diag, &o), 0);
  cr_expect_not_null(find(g, "pad"));
  cr_expect_eq(bn->op, SLIMRT_OP_FUSED_CONV2D, "conv + bn fuse: the conv has one reader");
  cr_expect_eq(relu->op, SLIMRT_OP_RELU, "the output tensor is not absorbed");
}

/* --dump=fuse prints the graph after fusion. */
Test(pass_fuse, dump) {
  Graph *g = graph_new(&arena, "d");
  GNode *x = graph_input(g, "x", SHAPE(1, 2, 2, 4), SPAN_NONE);
  GNode *bn = conv_bn(g, "c", x, 1);
  set_outputs(g, 1, "y", bn);
  BackendOptions o = opts();
  o.dump = "fuse";
  cr_redirect_stdout();
  cr_assert_eq(run_passes(g, &diag, &o), 0);
  fflush(stdout);
  char buf[4096] = "";
  FILE *f = cr_get_redirected_stdout();
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = 0;
  cr_expect(strstr(buf, "c/BN\t_FusedConv2D\tfloat32\t[1,2,2,4]\tx,c/w,c/gamma,c/beta,c/mean,c/var"), "%s", buf);
}

/* relu(bn(conv(h)) + s) followed by another conv: the residual S is an arena
   tensor read last by the unit's conv, so the memory plan gives the conv's output
   S's buffer (the kernel reads each residual element before writing it). */
static Graph *unit_between_convs(GNode **s_out, GNode **y_out, int image_is_residual) {
  Graph *g = graph_new(&arena, "unit2");
  GNode *x = graph_input(g, "x", SHAPE(1, 7, 7, 4), SPAN_NONE);
  GNode *s = conv_bn(g, "shortcut", x, 1);
  GNode *h = image_is_residual ? s : conv_bn(g, "conv1", s, 1);
  GNode *r = conv_bn(g, "conv3", h, 1);
  GNode *in[2] = {r, s};
  GNode *add = op(g, SLIMRT_OP_ADD, "add", in, 2, NULL);
  GNode *y = op(g, SLIMRT_OP_RELU, "relu", &add, 1, NULL);
  set_outputs(g, 1, "out", conv_bn(g, "next", y, 1));
  *s_out = s;
  *y_out = y;
  return g;
}

Test(pass_fuse, residual_output_in_place) {
  GNode *s, *y;
  Graph *g = unit_between_convs(&s, &y, 0);
  BackendOptions o = opts();
  cr_assert_eq(run_passes(g, &diag, &o), 0);
  cr_assert(y->op == SLIMRT_OP_FUSED_CONV2D && y->attr.fconv.has_residual);
  cr_assert_eq(y->in[y->nin - 1], s);
  cr_assert_geq(s->arena_offset, 0);
  cr_expect_eq(y->arena_offset, s->arena_offset, "the output takes the residual's buffer");
  GNode *h = find(g, "conv1/BN");
  cr_assert_not_null(h);
  cr_expect(h->arena_offset + h->nbytes <= s->arena_offset || s->arena_offset + s->nbytes <= h->arena_offset,
            "the conv's image lives beside the shared buffer");
}

Test(pass_fuse, residual_that_is_also_the_image_is_not_overwritten) {
  GNode *s, *y;
  Graph *g = unit_between_convs(&s, &y, 1);
  BackendOptions o = opts();
  cr_assert_eq(run_passes(g, &diag, &o), 0);
  cr_assert(y->op == SLIMRT_OP_FUSED_CONV2D && y->attr.fconv.has_residual);
  cr_assert_eq(y->in[0], s);
  cr_expect_neq(y->arena_offset, s->arena_offset, "other tiles still read the image");
}

/* The driver lowers a clone (graph_clone): fusion rewrites the clone's nodes, the
   forward graph keeps its conv, batch norm, add and relu, its variables' nodes and
   its outputs. */
Test(pass_fuse, forward_graph_survives_lowering) {
  GNode *add, *relu;
  Graph *g = residual_graph(&add, &relu);
  int nodes = g->nodes.n, vars = g->vars.n;
  Graph *low = graph_clone(g);
  cr_assert_eq(low->nodes.n, nodes);
  cr_assert_eq(low->vars.n, vars);
  for (int i = 0; i < low->vars.n; i++) {
    GVar *v = low->vars.items[i];
    cr_expect(v != g->vars.items[i] && v->node && v->node->var == v && v->node != ((GVar *)g->vars.items[i])->node);
  }
  BackendOptions o = opts();
  cr_assert_eq(run_passes(low, &diag, &o), 0);
  cr_expect_eq(count_op(low, SLIMRT_OP_FUSED_CONV2D), 2);
  cr_expect_eq(g->nodes.n, nodes);
  cr_expect_eq(count_op(g, SLIMRT_OP_FUSED_CONV2D), 0);
  cr_expect_eq(count_op(g, SLIMRT_OP_CONV2D), 2);
  cr_expect_eq(count_op(g, SLIMRT_OP_BATCH_NORM), 2);
  cr_expect_eq(relu->op, SLIMRT_OP_RELU);
  cr_expect_eq(relu->in[0], add);
  cr_expect_eq(g->outputs[0].node, relu);
  cr_expect_neq(low->outputs[0].node, relu);
  cr_expect_eq(low->outputs[0].node->op, SLIMRT_OP_FUSED_CONV2D);
}

/* Ops with several outputs: FusedBatchNormV3's y, batch mean and batch variance. A
   consumer names the output it reads (TF's "bn:1") and sees that output's shape; reading
   an output the op lacks is refused; the pipeline refuses a second output being read
   (E0931) since the kernels write only the first. */
Test(pass_fuse, multi_output_batch_norm) {
  Graph *g = graph_new(&arena, "unit");
  GNode *x = graph_input(g, "x", SHAPE(1, 6, 6, 4), SPAN_NONE);
  GNode *in[5] = {x};
  const char *p[4] = {"gamma", "beta", "mean", "var"};
  for (int i = 0; i < 4; i++) in[1 + i] = var(g, p[i], SHAPE(4));
  slimrt_attr e = {.batchnorm = {0.001}};
  GNode *bn = op(g, SLIMRT_OP_BATCH_NORM, "bn", in, 5, &e);
  cr_assert_eq(bn->nout, 3);
  char s[64];
  cr_expect_str_eq(gshape_str(graph_out_shape(bn, 0), s, sizeof s), "[1,6,6,4]");
  cr_expect_str_eq(gshape_str(graph_out_shape(bn, 1), s, sizeof s), "[4]");
  cr_expect_str_eq(gshape_str(graph_out_shape(bn, 2), s, sizeof s), "[4]");
  char err[256];
  int port = 1, bad = 3;
  GNode *m = graph_op_ports(g, SLIMRT_OP_RELU, "mean_relu", &bn, &port, 1, NULL, SPAN_NONE, err, sizeof err);
  cr_assert(m, "%s", err);
  cr_expect_str_eq(gshape_str(&m->shape, s, sizeof s), "[4]");
  cr_expect_null(graph_op_ports(g, SLIMRT_OP_RELU, "r", &bn, &bad, 1, NULL, SPAN_NONE, err, sizeof err));
  cr_expect(strstr(err, "reads output 3 of an op with 3"), "%s", err);
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  graph_print(f, g);
  fclose(f);
  cr_expect(strstr(text, "mean_relu\tRelu\tfloat32\t[4]\tbn:1\n"), "%s", text);
  free(text);
  Graph *low = graph_clone(g);
  cr_expect_eq(((GNode *)low->nodes.items[m->id])->in_port[0], 1);
  set_outputs(g, 1, "y", m);
  BackendOptions o = opts();
  cr_expect_eq(run_passes(g, &diag, &o), -1);
}
