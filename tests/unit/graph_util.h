/* Building small graphs by hand in the back-end tests (test_codegen, test_fuse,
 * test_prepack): a compilation arena, source manager and diagnostics reset per test
 * (graph_fixture_setup/teardown as the suite's .init/.fini), f32 shapes written
 * SHAPE(1, 8, 8, 3), ops that must build, and variables. Include after
 * <criterion/criterion.h>. */
#ifndef SLIMC_TEST_GRAPH_UTIL_H
#define SLIMC_TEST_GRAPH_UTIL_H
#include <stdarg.h>
#include "llvm/backend.h"
#include "ir/graph.h"
#include "passes/passes.h"

static Arena arena;
static SrcMgr sm;
static Diag diag;

static void graph_fixture_setup(void) {
  arena_init(&arena);
  src_init(&sm, &arena);
  diag_init(&diag, &sm, stderr, DIAG_COLOR_NEVER);
}
static void graph_fixture_teardown(void) { arena_free(&arena); }

static GShape shp(int rank, const int64_t *dims) {
  GShape s = {.dtype = SLIMRT_F32, .rank = rank};
  for (int i = 0; i < rank; i++) s.dims[i] = dims[i];
  return s;
}
/* The pass pipeline as the driver runs it for back-end options O. */
static int run_passes(Graph *g, Diag *d, const BackendOptions *o) {
  PassOptions po = backend_pass_options(o);
  return passes_run(g, d, &po);
}

#define SHAPE(...) shp(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t), (int64_t[]){__VA_ARGS__})

/* An op that must build: a shape error fails the test with graph_op's message. */
static GNode *op(Graph *g, int o, const char *name, GNode **in, int nin, const slimrt_attr *attr) {
  char err[256] = "";
  GNode *n = graph_op(g, o, name, in, nin, attr, SPAN_NONE, err, sizeof err);
  cr_assert_not_null(n, "%s", err);
  return n;
}

static inline GNode *var(Graph *g, const char *name, GShape s) { return graph_variable(g, name, s, SPAN_NONE)->node; }

/* The graph's outputs: N pairs of (const char *name, GNode *node). */
static inline void set_outputs(Graph *g, int n, ...) {
  va_list ap;
  va_start(ap, n);
  g->outputs = arena_alloc(g->arena, sizeof *g->outputs * n);
  g->noutputs = n;
  for (int i = 0; i < n; i++) {
    g->outputs[i].name = va_arg(ap, const char *);
    g->outputs[i].node = va_arg(ap, GNode *);
  }
  va_end(ap);
}

#endif
