/* Constant folding: an op whose inputs are all constants, and whose result is
 * small, is evaluated at compile time by the kernel the target names
 * (PassTarget.fold_kernel), so folded and unfolded graphs compute bit-identical
 * values; an op the target cannot evaluate here stays for run time. */
#include <string.h>
#include "passes/passes.h"

/* Larger results stay in the graph: embedding them would bloat the binary. */
enum { FOLD_MAX_BYTES = 64 * 1024 };

static void to_rt_shape(const GShape *s, slimrt_shape *r) {
  memset(r, 0, sizeof *r);
  r->dtype = s->dtype;
  r->rank = s->rank;
  for (int i = 0; i < s->rank; i++) r->dims[i] = s->dims[i];
}

static bool foldable(const GNode *n) {
  int flags = slimrt_op_flags(n->op);
  if (flags & SLIMRT_F_SOURCE) return false;
  if (n->nin == 0) return false;
  for (int j = 0; j < n->nin; j++)
    if (n->in[j]->op != SLIMRT_OP_CONST || !n->in[j]->data) return false;
  int64_t nb = graph_nbytes(n);
  return nb >= 0 && nb <= FOLD_MAX_BYTES;
}

int pass_fold(Graph *g, const PassTarget *t) {
  int folded = 0;
  for (int i = 0; i < g->nodes.n; i++) {
    GNode *n = g->nodes.items[i];
    if (!foldable(n)) continue;
    int64_t nb = graph_nbytes(n);
    void *out;
    if (slimrt_op_flags(n->op) & SLIMRT_F_VIEW) {
      out = (void *)n->in[0]->data; /* same bytes, new shape */
    } else {
      slimrt_kernel k = t && t->fold_kernel ? t->fold_kernel(n) : NULL;
      if (!k) continue;
      out = arena_alloc(g->arena, nb ? (size_t)nb : 1);
      const void **in = arena_alloc(g->arena, sizeof *in * n->nin);
      slimrt_shape *ish = arena_alloc(g->arena, sizeof *ish * n->nin);
      for (int j = 0; j < n->nin; j++) {
        in[j] = n->in[j]->data;
        to_rt_shape(&n->in[j]->shape, &ish[j]);
      }
      slimrt_shape osh;
      to_rt_shape(&n->shape, &osh);
      slimrt_call c = {.in = in, .in_shape = ish, .nin = n->nin, .out = out, .out_shape = &osh,
                       .attr = &n->attr, .pool = NULL};
      k(&c);
    }
    /* Rewritten in place so that consumers keep pointing at it. */
    n->op = SLIMRT_OP_CONST;
    n->nout = 1; /* nothing reads another output (passes_run checked) */
    n->outs = NULL;
    n->data = out;
    n->in = NULL;
    n->nin = 0;
    memset(&n->attr, 0, sizeof n->attr);
    folded++;
  }
  return folded;
}
