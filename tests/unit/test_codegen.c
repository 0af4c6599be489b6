/* The back end: passes (dead-op removal, folding, memory plan), LLVM IR and
 * object emission, the C header, determinism, and compile-link-run. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <llvm-c/Analysis.h>
#include <llvm-c/Core.h>
#include "llvm/backend.h"
#include "llvm/cg_internal.h"
#include "slimrt.h"

#include "graph_util.h"

static char tmpdir[64];

static void setup(void) {
  graph_fixture_setup();
  strcpy(tmpdir, "/tmp/slimc_cg_XXXXXX");
  cr_assert_not_null(mkdtemp(tmpdir));
}

static void teardown(void) {
  DIR *dir = opendir(tmpdir);
  struct dirent *e;
  while (dir && (e = readdir(dir)))
    if (e->d_name[0] != '.') unlink(arena_printf(&arena, "%s/%s", tmpdir, e->d_name));
  if (dir) closedir(dir);
  rmdir(tmpdir);
  graph_fixture_teardown();
}

static int count_files(void) {
  DIR *dir = opendir(tmpdir);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(dir)))
    if (e->d_name[0] != '.') n++;
  closedir(dir);
  return n;
}

static GNode *op1(Graph *g, int o, const char *name, GNode *a) { return op(g, o, name, &a, 1, NULL); }
static GNode *op2(Graph *g, int o, const char *name, GNode *a, GNode *b) {
  GNode *in[2] = {a, b};
  return op(g, o, name, in, 2, NULL);
}

static const float *f32_const(Graph *g, int64_t n, float start, float step) {
  float *v = arena_alloc(g->arena, sizeof *v * n);
  for (int64_t i = 0; i < n; i++) v[i] = start + step * (float)i;
  return v;
}

/* conv2d(x, w) + b -> relu; an unused global_step */
static Graph *conv_graph(void) {
  Graph *g = graph_new(&arena, "convnet");
  GNode *x = graph_input(g, "images", SHAPE(1, 8, 8, 3), SPAN_NONE);
  GVar *w = graph_variable(g, "conv1/weights", SHAPE(3, 3, 3, 4), SPAN_NONE);
  GVar *b = graph_variable(g, "conv1/biases", SHAPE(4), SPAN_NONE);
  GShape step = {.dtype = SLIMRT_I64, .rank = 0};
  GVar *gs = graph_variable(g, "global_step", step, SPAN_NONE);
  w->init.kind = GINIT_VARIANCE_SCALING;
  w->init.factor = 2.0;
  w->init.mode = 0;
  b->init.kind = GINIT_ZEROS;
  gs->init.kind = GINIT_ZEROS;
  slimrt_attr a = {.conv = {1, 1, 1, 1, 1, 1, 1, 1}};
  GNode *in[2] = {x, w->node};
  GNode *c = op(g, SLIMRT_OP_CONV2D, "conv1/Conv2D", in, 2, &a);
  GNode *ba = op2(g, SLIMRT_OP_BIAS_ADD, "conv1/BiasAdd", c, b->node);
  GNode *r = op1(g, SLIMRT_OP_RELU, "conv1/Relu", ba);
  g->restore = arena_alloc(&arena, sizeof *g->restore * 3);
  g->restore[0] = (GRestore){"conv1/biases", b};
  g->restore[1] = (GRestore){"conv1/weights", w};
  g->restore[2] = (GRestore){"global_step", gs};
  g->nrestore = 3;
  set_outputs(g, 1, "features", r);
  return g;
}

/* x @ W -> softmax, W a constant: needs no weights at run time */
static Graph *mlp_graph(void) {
  Graph *g = graph_new(&arena, "mlp");
  GNode *x = graph_input(g, "x", SHAPE(2, 3), SPAN_NONE);
  GNode *w = graph_const(g, "W", SHAPE(3, 4), f32_const(g, 12, -0.5f, 0.1f), SPAN_NONE);
  slimrt_attr a = {.matmul = {0, 0}};
  GNode *in[2] = {x, w};
  GNode *m = op(g, SLIMRT_OP_MATMUL, "MatMul", in, 2, &a);
  GNode *s = op1(g, SLIMRT_OP_SOFTMAX, "Softmax", m);
  set_outputs(g, 1, "probs", s);
  return g;
}

/* relu chain: x -> a -> b -> c -> d (output) */
static Graph *chain_graph(void) {
  Graph *g = graph_new(&arena, "chain");
  GNode *x = graph_input(g, "x", SHAPE(1, 256), SPAN_NONE);
  GNode *a = op1(g, SLIMRT_OP_RELU, "a", x);
  GNode *b = op2(g, SLIMRT_OP_MUL, "b", a, a);
  GNode *c = op2(g, SLIMRT_OP_ADD, "c", b, x);
  GNode *d = op1(g, SLIMRT_OP_RELU, "d", c);
  set_outputs(g, 1, "y", d);
  return g;
}

/* x -> relu -> reshape (a view, which is also the output) and -> neg (second output) */
static Graph *view_graph(void) {
  Graph *g = graph_new(&arena, "viewy");
  GNode *x = graph_input(g, "x", SHAPE(2, 6), SPAN_NONE);
  GNode *r = op1(g, SLIMRT_OP_RELU, "r", x);
  GNode *v = graph_op_shaped(g, SLIMRT_OP_RESHAPE, "flat", &r, 1, NULL, SHAPE(12), SPAN_NONE);
  cr_assert_not_null(v);
  GNode *n = op1(g, SLIMRT_OP_NEG, "n", v);
  set_outputs(g, 2, "flat", v, "neg", n);
  return g;
}

static BackendOptions opts(EmitKind k, const char *out) {
  return (BackendOptions){.emit = k, .output = out, .prefix = "model", .opt_level = 2,
                          .runtime_dir = SLIMC_BINARY_DIR};
}

/* Checks the plan independently: recompute live intervals and require disjoint
   bytes for every pair of arena tensors alive at the same time. */
static void check_plan(Graph *g) {
  int n = g->nodes.n;
  int *last = calloc(n, sizeof *last);
  for (int i = 0; i < n; i++) {
    GNode *x = g->nodes.items[i];
    last[i] = i;
    for (int j = 0; j < x->nin; j++) {
      GNode *r = graph_view_root(x->in[j]);
      for (int k = 0; k < n; k++)
        if (g->nodes.items[k] == r && last[k] < i) last[k] = i;
    }
  }
  for (int k = 0; k < g->noutputs; k++) {
    GNode *r = graph_view_root(g->outputs[k].node);
    for (int i = 0; i < n; i++)
      if (g->nodes.items[i] == r && graph_output_slot(g, g->outputs[k].node) != k) last[i] = n;
  }
  for (int i = 0; i < n; i++) {
    GNode *a = g->nodes.items[i];
    if (a->arena_offset < 0) continue;
    cr_assert_eq(a->arena_offset % 64, 0, "%s not 64-byte aligned", a->name);
    cr_assert_leq(a->arena_offset + a->nbytes, g->arena_size, "%s past the arena", a->name);
    for (int j = i + 1; j < n; j++) {
      GNode *b = g->nodes.items[j];
      if (b->arena_offset < 0 || j > last[i]) continue;
      /* a convolution writing over its residual input, read last by it (pass_memplan.c) */
      if (j == last[i] && b->op == SLIMRT_OP_FUSED_CONV2D && b->attr.fconv.has_residual &&
          graph_view_root(b->in[b->nin - 1]) == a && b->arena_offset == a->arena_offset)
        continue;
      bool disjoint = a->arena_offset + a->nbytes <= b->arena_offset || b->arena_offset + b->nbytes <= a->arena_offset;
      cr_assert(disjoint, "%s [%lld,+%lld) overlaps %s [%lld,+%lld) while both live", a->name,
                (long long)a->arena_offset, (long long)a->nbytes, b->name, (long long)b->arena_offset,
                (long long)b->nbytes);
    }
  }
  free(last);
}

static GNode *find(Graph *g, const char *name) {
  for (int i = 0; i < g->nodes.n; i++)
    if (strcmp(((GNode *)g->nodes.items[i])->name, name) == 0) return g->nodes.items[i];
  return NULL;
}

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc(n + 1);
  size_t got = fread(buf, 1, n, f);
  buf[got] = 0;
  fclose(f);
  if (len) *len = got;
  return buf;
}

/* ---- passes ------------------------------------------------------------- */

TestSuite(passes, .init = setup, .fini = teardown);

Test(passes, dce_drops_unused_ops_and_variables) {
  Graph *g = conv_graph();
  GNode *x = g->inputs.items[0];
  op1(g, SLIMRT_OP_TANH, "unused", x);
  BackendOptions o = opts(EMIT_LLVM, NULL);
  cr_assert_eq(run_passes(g, &diag, &o), 0);
  cr_assert_null(find(g, "unused"));
  cr_assert_null(find(g, "global_step"));
  cr_assert_eq(g->vars.n, 2);
  cr_assert_str_eq(((GVar *)g->vars.items[0])->name, "conv1/weights");
  for (int i = 0; i < g->nodes.n; i++) cr_assert(((GNode *)g->nodes.items[i])->live);
}

Test(passes, fold_evaluates_constant_subgraphs) {
  Graph *g = graph_new(&arena, "fold");
  GNode *x = graph_input(g, "x", SHAPE(4), SPAN_NONE);
  GNode *a = graph_const(g, "a", SHAPE(4), f32_const(g, 4, 1, 1), SPAN_NONE);   /* 1 2 3 4 */
  GNode *b = graph_const(g, "b", SHAPE(4), f32_const(g, 4, -1, 1), SPAN_NONE);  /* -1 0 1 2 */
  GNode *s = op2(g, SLIMRT_OP_MUL, "s", a, b);
  GNode *r = op1(g, SLIMRT_OP_RELU, "r", s); /* folds too: all inputs constant after s */
  GNode *y = op2(g, SLIMRT_OP_ADD, "y", x, r);
  set_outputs(g, 1, "y", y);
  BackendOptions o = opts(EMIT_LLVM, NULL);
  cr_assert_eq(run_passes(g, &diag, &o), 0);
  cr_assert_eq(r->op, SLIMRT_OP_CONST);
  const float *v = r->data;
  float want[4] = {0, 0, 3, 8};
  for (int i = 0; i < 4; i++) cr_assert_float_eq(v[i], want[i], 1e-6);
  cr_assert_null(find(g, "a"), "the folded ops' inputs are dead");
  cr_assert_null(find(g, "s"));
  cr_assert_eq(g->nodes.n, 3);
}

Test(passes, plan_chain_reuses_memory) {
  Graph *g = chain_graph();
  BackendOptions o = opts(EMIT_LLVM, NULL);
  cr_assert_eq(run_passes(g, &diag, &o), 0);
  check_plan(g);
  GNode *a = find(g, "a"), *b = find(g, "b"), *c = find(g, "c"), *d = find(g, "d");
  cr_assert_eq(d->arena_offset, -1, "an output is written in the caller's buffer");
  cr_assert_eq(a->arena_offset == b->arena_offset, false);
  cr_assert_eq(a->arena_offset, c->arena_offset, "a is dead when c is computed");
  cr_assert_eq(g->arena_size, 2048);
}

Test(passes, plan_conv_bias_relu) {
  Graph *g = conv_graph();
  BackendOptions o = opts(EMIT_LLVM, NULL);
  cr_assert_eq(run_passes(g, &diag, &o), 0);
  check_plan(g);
  cr_assert_eq(find(g, "images")->arena_offset, -1);
  cr_assert_eq(find(g, "conv1/weights")->arena_offset, -1);
  cr_assert_eq(find(g, "conv1/Relu")->arena_offset, -1);
  cr_assert_eq(find(g, "conv1/Relu")->op, SLIMRT_OP_FUSED_CONV2D);
  cr_assert_eq(g->arena_size, 0, "conv, bias and relu fused: no intermediate tensor");
}

Test(passes, plan_view_extends_life) {
  Graph *g = view_graph();
  BackendOptions o = opts(EMIT_LLVM, NULL);
  cr_assert_eq(run_passes(g, &diag, &o), 0);
  check_plan(g);
  GNode *r = find(g, "r"), *flat = find(g, "flat");
  cr_assert_geq(r->arena_offset, 0, "the view's root lives in the arena");
  cr_assert_eq(flat->arena_offset, -1, "views share their input's buffer");
  cr_assert_eq(g->arena_size, 64);
}

Test(passes, print_memory_plan) {
  Graph *g = chain_graph();
  BackendOptions o = opts(EMIT_LLVM, NULL);
  o.print_memory_plan = true;
  cr_redirect_stdout();
  cr_assert_eq(run_passes(g, &diag, &o), 0);
  fflush(stdout);
  cr_assert_stdout_eq_str("a\t0\t1024\nb\t1024\t1024\nc\t0\t1024\npeak\t2048\n");
}

/* ---- codegen -------------------------------------------------------------- */

TestSuite(codegen, .init = setup, .fini = teardown);

static char *emit_ir(Graph *g, EmitKind kind) {
  BackendOptions o = opts(kind, NULL);
  cr_assert_eq(run_passes(g, &diag, &o), 0);
  CgModule *m = cg_module_build(g, &diag, &o);
  cr_assert_not_null(m);
  char *msg = NULL;
  cr_assert_eq(LLVMVerifyModule(cg_module_llvm(m), LLVMReturnStatusAction, &msg), 0, "%s", msg);
  LLVMDisposeMessage(msg);
  char *ir = cg_module_ir(m);
  cg_module_free(m);
  return ir;
}

Test(codegen, conv_calls_kernels) {
  char *ir = emit_ir(conv_graph(), EMIT_EXE);
  /* pass_fuse.c makes conv -> bias -> relu one kernel call */
  cr_assert(strstr(ir, "declare void @slimrt_k_FUSED_CONV2D(ptr)"), "%s", ir);
  cr_assert_null(strstr(ir, "@slimrt_k_BIAS_ADD"));
  cr_assert_null(strstr(ir, "@slimrt_k_RELU"));
  cr_assert(strstr(ir, "define i32 @main(i32"));
  cr_assert(strstr(ir, "c\"conv1/weights\\00\""));
  cr_assert_null(strstr(ir, "global_step"), "dead variables are not in the model");
  free(ir);
}

Test(codegen, object_api) {
  char *ir = emit_ir(mlp_graph(), EMIT_OBJ);
  cr_assert(strstr(ir, "define ptr @model_new(ptr"), "%s", ir);
  cr_assert(strstr(ir, "define i32 @model_run(ptr"));
  cr_assert(strstr(ir, "define void @model_free(ptr"));
  cr_assert_null(strstr(ir, "@main("));
  cr_assert(strstr(ir, "@slimrt_k_SOFTMAX"));
  free(ir);
}

Test(codegen, chain_is_inline) {
  char *ir = emit_ir(chain_graph(), EMIT_EXE);
  cr_assert_null(strstr(ir, "@slimrt_k_"), "%s", ir);
  cr_assert(strstr(ir, "fmul"));
  free(ir);
}

/* y = x + 1.0, N times (a broadcast: kernel calls, not inline loops) */
static Graph *add_chain_graph(int n) {
  Graph *g = graph_new(&arena, "addchain");
  GNode *y = graph_input(g, "x", SHAPE(1, 4), SPAN_NONE);
  static const float one = 1.0f;
  GShape scalar = {.dtype = SLIMRT_F32, .rank = 0};
  for (int i = 0; i < n; i++) {
    GNode *k = graph_const(g, arena_printf(&arena, "c%d", i), scalar, &one, SPAN_NONE);
    y = op2(g, SLIMRT_OP_ADD, arena_printf(&arena, "add%d", i), y, k);
  }
  set_outputs(g, 1, "y", y);
  return g;
}

static int count_of(const char *s, const char *pat) {
  int n = 0;
  for (const char *p = s; (p = strstr(p, pat)); p += strlen(pat)) n++;
  return n;
}

/* Compile time stays linear with a small constant (docs/reliability.md, "Compile
   time at -O2"): identical ops share their shape, attribute and constant globals,
   and kernel calls are steps of a table, not code, so the IR grows by a table
   entry an op and LLVM's passes have no per-op code to work through. */
Test(codegen, identical_ops_share_globals_and_code) {
  char *small = emit_ir(add_chain_graph(10), EMIT_EXE);
  char *big = emit_ir(add_chain_graph(1000), EMIT_EXE);
  const char *shared[] = {"\n@.in_shape", "\n@.out_shape", "\n@.attr", "\n@const"};
  for (int i = 0; i < 4; i++) cr_assert_eq(count_of(big, shared[i]), 1, "%s: %d globals", shared[i], count_of(big, shared[i]));
  cr_assert_eq(count_of(big, "call void @slimrt_k_"), 0, "kernel calls are table steps");
  cr_assert_eq(count_of(big, "@slimrt_k_ADD, "), 1000, "one step an op");
  cr_assert_leq(count_of(big, "call void @slimc_steps("), 1000 / 64 + 1, "one call a chunk");
  size_t per_op = (strlen(big) - strlen(small)) / 990;
  cr_assert_lt(per_op, 400, "%zu bytes of IR an op", per_op);
  free(small);
  free(big);
}

Test(codegen, view_output_is_copied) {
  char *ir = emit_ir(view_graph(), EMIT_EXE);
  cr_assert(strstr(ir, "llvm.memcpy"), "%s", ir);
  free(ir);
}

Test(codegen, object_and_header) {
  Graph *g = mlp_graph();
  char *out = arena_printf(&arena, "%s/mlp.o", tmpdir), *hdr = arena_printf(&arena, "%s/mlp.h", tmpdir);
  BackendOptions o = opts(EMIT_OBJ, out);
  o.header = hdr;
  o.prefix = "mlp";
  cr_assert_eq(run_passes(g, &diag, &o), 0);
  cr_assert_eq(backend_compile(g, &diag, &o), 0);
  size_t n;
  char *obj = slurp(out, &n);
  cr_assert_not_null(obj);
  cr_assert(n > 16 && memcmp(obj, "\177ELF", 4) == 0);
  free(obj);
  char *h = slurp(hdr, NULL);
  cr_assert(strstr(h, "#define MLP_X_SHAPE {2, 3}\n"), "%s", h);
  cr_assert(strstr(h, "#define MLP_PROBS_SIZE 8\n"));
  cr_assert(strstr(h, "#define MLP_X_RANK 2\n"));
  cr_assert(strstr(h, "int mlp_run(mlp *m,\n    const float *x /* [2,3] */,\n    float *probs /* [2,4] */);"));
  cr_assert(strstr(h, "cc app.c model.o -lslimrt -lm -lpthread"));
  free(h);
  cr_assert_eq(count_files(), 2, "no temporaries left");
}

Test(codegen, deterministic_output) {
  char *p[2];
  for (int i = 0; i < 2; i++) {
    Graph *g = conv_graph();
    p[i] = arena_printf(&arena, "%s/m%d.o", tmpdir, i);
    BackendOptions o = opts(EMIT_OBJ, p[i]);
    cr_assert_eq(run_passes(g, &diag, &o), 0);
    cr_assert_eq(backend_compile(g, &diag, &o), 0);
  }
  size_t n0, n1;
  char *a = slurp(p[0], &n0), *b = slurp(p[1], &n1);
  cr_assert_eq(n0, n1);
  cr_assert(memcmp(a, b, n0) == 0, "two compiles differ");
  free(a);
  free(b);
}

Test(codegen, missing_checkpoint_leaves_nothing) {
  Graph *g = conv_graph();
  char *out = arena_printf(&arena, "%s/m.o", tmpdir);
  BackendOptions o = opts(EMIT_OBJ, out);
  o.checkpoint = arena_printf(&arena, "%s/nope", tmpdir);
  cr_assert_eq(run_passes(g, &diag, &o), 0);
  FILE *err = tmpfile();
  diag.out = err;
  cr_assert_neq(backend_compile(g, &diag, &o), 0);
  cr_assert_eq(diag.nerrors, 1);
  cr_assert_eq(count_files(), 0);
  rewind(err);
  char buf[1024] = "";
  fread(buf, 1, sizeof buf - 1, err);
  fclose(err);
  cr_assert(strstr(buf, "nope"), "%s", buf);
}

Test(codegen, bad_target_is_a_diagnostic) {
  Graph *g = chain_graph();
  BackendOptions o = opts(EMIT_OBJ, arena_printf(&arena, "%s/m.o", tmpdir));
  o.triple = "nonsense-unknown-nowhere";
  cr_assert_eq(run_passes(g, &diag, &o), 0);
  FILE *err = tmpfile();
  diag.out = err;
  cr_assert_neq(backend_compile(g, &diag, &o), 0);
  cr_assert_eq(diag.nerrors, 1);
  fclose(err);
  cr_assert_eq(count_files(), 0);
}

Test(codegen, asm_native_O0) {
  Graph *g = conv_graph();
  char *out = arena_printf(&arena, "%s/m.s", tmpdir);
  BackendOptions o = opts(EMIT_ASM, out);
  o.cpu = "native";
  o.opt_level = 0;
  cr_assert_eq(run_passes(g, &diag, &o), 0);
  cr_assert_eq(backend_compile(g, &diag, &o), 0);
  char *s = slurp(out, NULL);
  cr_assert(strstr(s, "slimc_run"));
  cr_assert(strstr(s, "slimrt_k_FUSED_CONV2D"));
  free(s);
  cr_assert_eq(count_files(), 1);
}

Test(codegen, dump_opt_and_llvm) {
  Graph *g = chain_graph();
  BackendOptions o = opts(EMIT_LLVM, arena_printf(&arena, "%s/m.ll", tmpdir));
  o.dump = "llvm";
  cr_redirect_stdout();
  cr_assert_eq(run_passes(g, &diag, &o), 0);
  cr_assert_eq(backend_compile(g, &diag, &o), 0);
  fflush(stdout);
  char *ll = slurp(o.output, NULL);
  cr_assert_stdout_eq_str(ll, "--dump=llvm prints the module as written");
  free(ll);
}

/* ---- end to end: compile, link, run, compare ------------------------------- */

TestSuite(e2e, .init = setup, .fini = teardown);

Test(e2e, mlp_softmax_executable) {
  Graph *g = mlp_graph();
  char *exe = arena_printf(&arena, "%s/mlp", tmpdir);
  BackendOptions o = opts(EMIT_EXE, exe);
  cr_assert_eq(run_passes(g, &diag, &o), 0);
  cr_assert_eq(backend_compile(g, &diag, &o), 0);
  float xv[6] = {1, 2, 3, -1, 0.5f, 2};
  slimrt_array x = {.dtype = SLIMRT_F32, .rank = 2, .dims = {2, 3}, .data = xv, .nbytes = sizeof xv};
  char err[256];
  char *xin = arena_printf(&arena, "%s/x.npy", tmpdir), *yout = arena_printf(&arena, "%s/y.npy", tmpdir);
  cr_assert_eq(slimrt_npy_write(xin, &x, err, sizeof err), 0, "%s", err);
  char *cmd = arena_printf(&arena, "'%s' --input='%s' --output='%s'", exe, xin, yout);
  cr_assert_eq(system(cmd), 0);
  slimrt_array y;
  cr_assert_eq(slimrt_npy_read(yout, &y, err, sizeof err), 0, "%s", err);
  cr_assert_eq(y.rank, 2);
  cr_assert_eq(y.dims[1], 4);
  const float *w = ((GNode *)find(g, "W"))->data;
  const float *yv = y.data;
  for (int r = 0; r < 2; r++) {
    double z[4], mx = -1e30, sum = 0;
    for (int j = 0; j < 4; j++) {
      z[j] = 0;
      for (int k = 0; k < 3; k++) z[j] += xv[r * 3 + k] * w[k * 4 + j];
      if (z[j] > mx) mx = z[j];
    }
    for (int j = 0; j < 4; j++) sum += exp(z[j] - mx);
    for (int j = 0; j < 4; j++) cr_assert_float_eq(yv[r * 4 + j], exp(z[j] - mx) / sum, 1e-5);
  }
  slimrt_array_free(&y);
}

/* ---- embedded weights (a real TF 1.0 checkpoint) ------------------------------ */

#define DNN_CKPT SLIMC_SHARED_DIR "/testdata/tf-checkpoints/dnn-mnist-weights-biases/model.ckpt"

static Graph *bias_graph(int64_t n) {
  Graph *g = graph_new(&arena, "bias");
  GNode *x = graph_input(g, "x", SHAPE(n), SPAN_NONE);
  GVar *b = graph_variable(g, "dnn/hidden1/biases", SHAPE(n), SPAN_NONE);
  GNode *y = op2(g, SLIMRT_OP_ADD, "y", x, b->node);
  g->restore = arena_alloc(&arena, sizeof *g->restore);
  g->restore[0] = (GRestore){"dnn/hidden1/biases", b};
  g->nrestore = 1;
  set_outputs(g, 1, "y", y);
  return g;
}

Test(e2e, embedded_checkpoint_weights) {
  Graph *g = bias_graph(300);
  char *exe = arena_printf(&arena, "%s/bias", tmpdir);
  BackendOptions o = opts(EMIT_EXE, exe);
  o.checkpoint = DNN_CKPT;
  cr_assert_eq(run_passes(g, &diag, &o), 0);
  cr_assert_eq(backend_compile(g, &diag, &o), 0);
  float xv[300] = {0};
  slimrt_array x = {.dtype = SLIMRT_F32, .rank = 1, .dims = {300}, .data = xv, .nbytes = sizeof xv};
  char err[256];
  char *xin = arena_printf(&arena, "%s/x.npy", tmpdir), *yout = arena_printf(&arena, "%s/y.npy", tmpdir);
  cr_assert_eq(slimrt_npy_write(xin, &x, err, sizeof err), 0, "%s", err);
  /* no --checkpoint at run time: the weights are in the binary */
  cr_assert_eq(system(arena_printf(&arena, "'%s' --input='%s' --output='%s'", exe, xin, yout)), 0);
  slimrt_array y;
  cr_assert_eq(slimrt_npy_read(yout, &y, err, sizeof err), 0, "%s", err);
  const float *yv = y.data;
  double sum = 0;
  for (int i = 0; i < 300; i++) sum += yv[i];
  /* first element and sum as listed in the checkpoint's README */
  cr_assert_float_eq(yv[0], -0.0121380379, 1e-7);
  cr_assert_float_eq(sum, 2.65289235, 1e-5);
  slimrt_array_free(&y);
}

Test(e2e, embedded_shape_mismatch_is_a_diagnostic) {
  Graph *g = bias_graph(299);
  char *out = arena_printf(&arena, "%s/bias.o", tmpdir);
  BackendOptions o = opts(EMIT_OBJ, out);
  o.header = arena_printf(&arena, "%s/bias.h", tmpdir);
  o.checkpoint = DNN_CKPT;
  cr_assert_eq(run_passes(g, &diag, &o), 0);
  FILE *err = tmpfile();
  diag.out = err;
  cr_assert_neq(backend_compile(g, &diag, &o), 0);
  rewind(err);
  char buf[2048] = "";
  fread(buf, 1, sizeof buf - 1, err);
  fclose(err);
  cr_assert(strstr(buf, "key 'dnn/hidden1/biases'"), "%s", buf);
  cr_assert(strstr(buf, "expected float32 [299]"), "%s", buf);
  cr_assert(strstr(buf, "found float32 [300]"), "%s", buf);
  cr_assert(strstr(buf, "model.ckpt"), "%s", buf);
  cr_assert_eq(count_files(), 0, "nothing written");
}
