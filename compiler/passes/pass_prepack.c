/* Prepacking: marks each FUSED_CONV2D whose weights can be rewritten once at load
 * time (attr.fconv.prepacked). The runtime's prepare hook (slimrt_p_FUSED_CONV2D)
 * then lays the filter out as the GEMM reads it (when the target says it can:
 * PassTarget.conv_prepack_ok) (a depthwise filter keeps its
 * layout), with the batch-norm scale folded in, and stores the per-channel shift
 * in the batch norm's offset variable; the kernel no longer repacks the filter or
 * refolds batch norm on every run. The
 * rewrite happens in place (same size), so peak memory stays weights + arena.
 *
 * In place is only sound when nothing else can see the rewritten variables: the
 * filter and the offset must be variables (reached through views at most) that
 * this op alone reads and that are not model outputs; the inputs the hook only
 * reads (bias, scale, mean, variance) must be variables or constants, since the
 * arena holds nothing at load time. */
#include <string.h>
#include "passes/passes.h"

/* Readers of each node id; model outputs count twice so they are never "sole". */
static int *readers_count(Graph *g) {
  int maxid = 0;
  for (int i = 0; i < g->nodes.n; i++) {
    GNode *n = g->nodes.items[i];
    if (n->id > maxid) maxid = n->id;
  }
  int *count = arena_alloc(g->arena, sizeof(int) * (size_t)(maxid + 1));
  memset(count, 0, sizeof(int) * (size_t)(maxid + 1));
  for (int i = 0; i < g->nodes.n; i++) {
    GNode *n = g->nodes.items[i];
    for (int j = 0; j < n->nin; j++) count[n->in[j]->id]++;
  }
  for (int k = 0; k < g->noutputs; k++) count[g->outputs[k].node->id] += 2;
  return count;
}

/* A variable read only through N (views between them read only by each other). */
static bool private_variable(const int *count, GNode *n) {
  for (;;) {
    if (count[n->id] != 1) return false;
    if (n->op == SLIMRT_OP_VARIABLE) return n->shape.dtype == SLIMRT_F32;
    if (!(slimrt_op_flags(n->op) & SLIMRT_F_VIEW)) return false;
    n = n->in[0];
  }
}

/* Holds its value before the first run: a variable or a constant. */
static bool loaded(GNode *n) {
  n = graph_view_root(n);
  return n->op == SLIMRT_OP_VARIABLE || n->op == SLIMRT_OP_CONST;
}

int pass_prepack(Graph *g, const PassTarget *t) {
  if (!t || !t->conv_prepack_ok) return 0;
  int *count = readers_count(g);
  int marked = 0;
  for (int i = 0; i < g->nodes.n; i++) {
    GNode *n = g->nodes.items[i];
    if (n->op != SLIMRT_OP_FUSED_CONV2D) continue;
    slimrt_attr_fconv *a = &n->attr.fconv;
    if (n->shape.dtype != SLIMRT_F32 || n->shape.rank != 4 || !t->conv_prepack_ok(a, n->shape.dims[3]) ||
        !private_variable(count, n->in[1]))
      continue;
    int next = 2;
    bool ok = true;
    if (a->has_bias && a->has_bn) ok = loaded(n->in[next]);
    next += (int)a->has_bias;
    if (a->has_bn) /* scale, offset (rewritten: the shift), mean, variance */
      for (int j = 0; j < 4; j++) ok = ok && (j == 1 ? private_variable(count, n->in[next + j]) : loaded(n->in[next + j]));
    if (!ok) continue;
    a->prepacked = 1;
    marked++;
  }
  return marked;
}
