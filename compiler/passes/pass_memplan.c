/* Static memory plan: every intermediate tensor gets an offset in one arena
 * whose size is known at compile time.
 *
 * A tensor lives from the op that writes it to its last reader (position in the
 * topological order; views extend their root's life, as they read its buffer).
 * Two tensors may share bytes only if their intervals are disjoint; intervals
 * are closed, so an op's output never aliases its own inputs, with one exception:
 * a convolution may write its output over its residual input (inplace_residual),
 * the two then being one buffer. Placement is
 * greedy, largest first, each into the smallest gap that fits (best fit).
 * Inputs, outputs, variables and constants live outside the arena; an op whose
 * result is a model output writes straight into the caller's buffer. */
#include <stdlib.h>
#include <string.h>
#include "passes/passes.h"

enum { ALIGN = 64 };
/* Sanity limits: far beyond any real model (VGG-16's largest tensor is about 400 MB),
   well below what would overflow or hang a build. Weights count too: a variable's
   tensor is embedded in the binary or read from a checkpoint. */
#define MAX_TENSOR_BYTES ((int64_t)16 << 30)
#define MAX_ARENA_BYTES ((int64_t)32 << 30)

typedef struct Interval {
  GNode *n;
  int first, last;
  int64_t size;       /* rounded up to ALIGN */
} Interval;

enum { BLOCK = 64 };
typedef struct Block {
  int *items; /* indices of placed intervals */
  int n, cap;
} Block;

static int block_add(Block *b, int v) {
  if (b->n == b->cap) {
    int cap = b->cap ? 2 * b->cap : 8;
    int *t = realloc(b->items, sizeof *t * (size_t)cap);
    if (!t) return -1;
    b->items = t;
    b->cap = cap;
  }
  b->items[b->n++] = v;
  return 0;
}

static int by_size_desc(const void *pa, const void *pb) {
  const Interval *a = pa, *b = pb;
  if (a->size != b->size) return a->size > b->size ? -1 : 1;
  return a->first - b->first; /* deterministic tie-break */
}

static int by_offset(const void *pa, const void *pb) {
  const GNode *a = *(GNode *const *)pa, *b = *(GNode *const *)pb;
  if (a->arena_offset != b->arena_offset) return a->arena_offset < b->arena_offset ? -1 : 1;
  return a->id - b->id;
}

/* The tensor whose buffer FUSED_CONV2D X (at position I) may write its output
   into: its residual input, when that is an arena tensor of the same size that X
   reads last, that is not also X's image or filter, and the kernel reads each
   residual element before writing it (the target's conv_inplace_ok). Saves the
   output's buffer and the memory traffic of filling it. NULL otherwise. */
static GNode *inplace_residual(const Graph *g, const PassTarget *t, GNode *x, const int *last, int i) {
  if (x->op != SLIMRT_OP_FUSED_CONV2D || !x->attr.fconv.has_residual || x->nin < 3 || x->shape.rank != 4 ||
      graph_output_slot(g, x) >= 0)
    return NULL;
  GNode *r = graph_view_root(x->in[x->nin - 1]);
  if ((slimrt_op_flags(r->op) & (SLIMRT_F_SOURCE | SLIMRT_F_VIEW)) || graph_output_slot(g, r) >= 0 ||
      last[r->id] != i || r->nbytes != x->nbytes)
    return NULL;
  for (int j = 0; j < x->nin - 1; j++)
    if (graph_view_root(x->in[j]) == r) return NULL;
  const GShape *in = &x->in[0]->shape, *f = &x->in[1]->shape;
  if (in->rank != 4 || f->rank != 4 || !t || !t->conv_inplace_ok ||
      !t->conv_inplace_ok(&x->attr.fconv, in->dims[0], in->dims[1], in->dims[2], in->dims[3],
                                    x->shape.dims[1], x->shape.dims[2], f->dims[0], f->dims[1]))
    return NULL;
  return r;
}

int pass_memplan(Graph *g, Diag *d, const PassTarget *t) {
  int n = g->nodes.n;
  int maxid = 0;
  for (int i = 0; i < n; i++) {
    GNode *x = g->nodes.items[i];
    if (x->id > maxid) maxid = x->id;
  }
  /* per node id: position in the order, and last position that reads its buffer */
  int *pos = calloc((size_t)maxid + 1, sizeof *pos);
  int *last = calloc((size_t)maxid + 1, sizeof *last);
  Interval *iv = calloc((size_t)n + 1, sizeof *iv);
  GNode **placed = calloc((size_t)n + 1, sizeof *placed);
  int rc = 0;
  for (int i = 0; i < n; i++) {
    GNode *x = g->nodes.items[i];
    pos[x->id] = i;
    last[x->id] = i;
    x->arena_offset = -1;
    x->nbytes = graph_nbytes(x);
    if (x->nbytes < 0) {
      diag_error(d, x->span, "E0901", "tensor of op '%s' is too large", x->name);
      rc = -1;
    } else if (x->nbytes > MAX_TENSOR_BYTES) {
      /* shapes that fit int64 can still be absurd: refuse them here rather than
         emit a binary whose arena or weights no machine can hold */
      diag_error(d, x->span, "E0904", "tensor of op '%s' needs %lld bytes, more than the limit of %lld GiB",
                 x->name, (long long)x->nbytes, (long long)(MAX_TENSOR_BYTES >> 30));
      rc = -1;
    }
  }
  for (int i = 0; i < n; i++) {
    GNode *x = g->nodes.items[i];
    for (int j = 0; j < x->nin; j++) {
      GNode *r = graph_view_root(x->in[j]);
      if (last[r->id] < i) last[r->id] = i;
    }
  }
  /* An output that is not written in place is copied after the last op. */
  for (int k = 0; k < g->noutputs; k++) {
    GNode *o = g->outputs[k].node;
    if (graph_output_slot(g, o) == k) continue;
    last[graph_view_root(o)->id] = n;
  }
  /* in-place outputs share their residual's buffer, whose life then runs to the
     last use of the output (chains, block after block, share one buffer) */
  GNode **alias = calloc((size_t)maxid + 1, sizeof *alias);
  for (int i = 0; i < n && rc == 0 && alias; i++) { /* (no memory: no aliasing) */
    GNode *x = g->nodes.items[i], *r = inplace_residual(g, t, x, last, i);
    if (!r) continue;
    while (alias[r->id]) r = alias[r->id];
    alias[x->id] = r;
    if (last[x->id] > last[r->id]) last[r->id] = last[x->id];
  }
  int niv = 0;
  for (int i = 0; i < n && rc == 0; i++) {
    GNode *x = g->nodes.items[i];
    if (slimrt_op_flags(x->op) & (SLIMRT_F_SOURCE | SLIMRT_F_VIEW)) continue;
    if (graph_output_slot(g, x) >= 0 || (alias && alias[x->id])) continue;
    int64_t size = (x->nbytes + ALIGN - 1) / ALIGN * ALIGN;
    if (size == 0) size = ALIGN; /* distinct address even for empty tensors */
    iv[niv++] = (Interval){x, pos[x->id], last[x->id], size};
  }
  qsort(iv, (size_t)niv, sizeof *iv, by_size_desc);
  /* The placed tensors by time: each is listed in the BLOCK-position blocks its life
     spans, so finding the ones alive with the next tensor reads only its blocks (a
     scan of every placed tensor made the plan quadratic: 0.4 s for 24,000 ops). */
  int nblocks = n / BLOCK + 2;
  Block *blocks = calloc((size_t)nblocks, sizeof *blocks);
  int *seen = calloc((size_t)niv + 1, sizeof *seen);
  if (!blocks || !seen) {
    diag_error(d, SPAN_NONE, "E0918", "out of memory planning %d tensors", niv);
    rc = -1;
  }
  int64_t peak = 0;
  for (int a = 0; a < niv && rc == 0; a++) {
    /* the already placed tensors alive at the same time, by offset */
    int np = 0;
    for (int k = iv[a].first / BLOCK; k <= iv[a].last / BLOCK && k < nblocks; k++)
      for (int e = 0; e < blocks[k].n; e++) {
        int b = blocks[k].items[e];
        if (seen[b] == a + 1) continue;
        seen[b] = a + 1;
        if (iv[b].first <= iv[a].last && iv[a].first <= iv[b].last) placed[np++] = iv[b].n;
      }
    qsort(placed, (size_t)np, sizeof *placed, by_offset);
    int64_t best = -1, best_gap = INT64_MAX, cursor = 0;
    for (int b = 0; b < np; b++) {
      int64_t off = placed[b]->arena_offset;
      int64_t gap = off - cursor;
      if (gap >= iv[a].size && gap < best_gap) {
        best = cursor;
        best_gap = gap;
      }
      int64_t end = off + (placed[b]->nbytes + ALIGN - 1) / ALIGN * ALIGN;
      if (end == off) end = off + ALIGN;
      if (end > cursor) cursor = end;
    }
    if (best < 0) best = cursor;
    iv[a].n->arena_offset = best;
    if (best + iv[a].size > peak) peak = best + iv[a].size;
    for (int k = iv[a].first / BLOCK; k <= iv[a].last / BLOCK && k < nblocks && rc == 0; k++)
      if (block_add(&blocks[k], a) != 0) {
        diag_error(d, SPAN_NONE, "E0918", "out of memory planning %d tensors", niv);
        rc = -1;
      }
  }
  for (int k = 0; blocks && k < nblocks; k++) free(blocks[k].items);
  free(blocks);
  free(seen);
  for (int i = 0; i < n && rc == 0; i++) {
    GNode *x = g->nodes.items[i];
    if (alias && alias[x->id]) x->arena_offset = alias[x->id]->arena_offset;
  }
  g->arena_size = peak;
  if (rc == 0 && peak > MAX_ARENA_BYTES) {
    const Interval *big = &iv[0]; /* sorted by size, largest first */
    diag_error(d, big->n->span, "E0905",
               "the model's intermediate tensors need an arena of %lld bytes, more than the limit of %lld GiB "
               "(largest: op '%s', %lld bytes)",
               (long long)peak, (long long)(MAX_ARENA_BYTES >> 30), big->n->name, (long long)big->n->nbytes);
    rc = -1;
  }
  free(pos);
  free(last);
  free(alias);
  free(iv);
  free(placed);
  return rc;
}

void pass_memplan_print(FILE *out, const Graph *g) {
  for (int i = 0; i < g->nodes.n; i++) {
    const GNode *x = g->nodes.items[i];
    if (x->arena_offset < 0) continue;
    fprintf(out, "%s\t%lld\t%lld\n", x->name, (long long)x->arena_offset, (long long)x->nbytes);
  }
  fprintf(out, "peak\t%lld\n", (long long)g->arena_size);
}
