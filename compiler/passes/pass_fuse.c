/* Fusion: a convolution absorbs the ops that follow it channel by channel, so their
 * work happens while each output tile is still in cache and their tensors never
 * reach memory:
 *
 *   PAD(zeros over H,W) -> a convolution (SLIMRT_F_FUSES_CONV) the pad joins the conv's own
 *   conv -> BIAS_ADD -> BATCH_NORM -> ADD(residual) -> RELU / RELU6   (each step optional)
 *
 * become one FUSED_CONV2D. Batch norm is kept as its four inputs and folded into a
 * per-channel scale and shift at run time (runtime/src/kernels_conv.c: once at load
 * time by the prepare hook when pass_prepack.c marks the op, else by each call), so
 * weights loaded from a checkpoint at start-up are folded too. An op is absorbed only when the chain is its only reader and it is not a
 * model output. The last op of the chain is rewritten in place: it sits after every
 * input of the chain in the topological order, and the absorbed ops become dead
 * (the pipeline runs dead-op removal next). */
#include <string.h>
#include "passes/passes.h"

typedef struct Uses {
  int *count;      /* readers of each node id (model outputs count as readers) */
  GNode **reader;  /* the last reader seen: THE reader when count is 1 */
} Uses;

static void uses_build(Graph *g, Uses *u) {
  int maxid = 0;
  for (int i = 0; i < g->nodes.n; i++) {
    GNode *n = g->nodes.items[i];
    if (n->id > maxid) maxid = n->id;
  }
  u->count = arena_alloc(g->arena, sizeof(int) * (size_t)(maxid + 1));
  u->reader = arena_alloc(g->arena, sizeof(GNode *) * (size_t)(maxid + 1));
  memset(u->count, 0, sizeof(int) * (size_t)(maxid + 1));
  memset(u->reader, 0, sizeof(GNode *) * (size_t)(maxid + 1));
  for (int i = 0; i < g->nodes.n; i++) {
    GNode *n = g->nodes.items[i];
    for (int j = 0; j < n->nin; j++) {
      u->count[n->in[j]->id]++;
      u->reader[n->in[j]->id] = n;
    }
  }
  for (int k = 0; k < g->noutputs; k++) u->count[g->outputs[k].node->id] += 2;
}

static GNode *sole_reader(const Uses *u, const GNode *n) {
  return u->count[n->id] == 1 ? u->reader[n->id] : NULL;
}

static bool same_shape(const GShape *a, const GShape *b) {
  if (a->dtype != b->dtype || a->rank != b->rank) return false;
  for (int i = 0; i < a->rank; i++)
    if (a->dims[i] != b->dims[i]) return false;
  return true;
}

static bool is_channel_vector(const GNode *v, int64_t channels) {
  return v->shape.dtype == SLIMRT_F32 && v->shape.rank == 1 && v->shape.dims[0] == channels;
}

/* PAD with zeros on H and W only, read by nothing else: the conv pads instead. */
static bool fold_pad(const Uses *u, GNode *conv) {
  GNode *p = conv->in[0];
  if (p->op != SLIMRT_OP_PAD || p->shape.rank != 4 || sole_reader(u, p) != conv) return false;
  const slimrt_attr_pad *a = &p->attr.pad;
  if (a->value != 0.0 || a->before[0] || a->after[0] || a->before[3] || a->after[3]) return false;
  slimrt_attr_conv *c = &conv->attr.conv;
  c->pad_top += a->before[1];
  c->pad_bottom += a->after[1];
  c->pad_left += a->before[2];
  c->pad_right += a->after[2];
  conv->in[0] = p->in[0];
  return true;
}

/* Grows the chain from CONV; rewrites its last op as FUSED_CONV2D. 1 if fused. */
static int fuse_chain(Graph *g, const Uses *u, GNode *conv) {
  int64_t ch = conv->shape.dims[3];
  GNode *bias = NULL, *bn = NULL, *res = NULL, *last = conv;
  int act = 0;
  for (GNode *next; (next = sole_reader(u, last)) != NULL && !act; last = next) {
    if (next->shape.dtype != SLIMRT_F32 || !same_shape(&next->shape, &conv->shape)) break;
    if (next->op == SLIMRT_OP_BIAS_ADD && !bias && !bn && !res && next->in[0] == last &&
        is_channel_vector(next->in[1], ch)) {
      bias = next->in[1];
    } else if (next->op == SLIMRT_OP_BATCH_NORM && !bn && !res && next->in[0] == last) {
      bool ok = true;
      for (int i = 1; i < 5; i++) ok = ok && is_channel_vector(next->in[i], ch);
      if (!ok) break;
      bn = next;
    } else if (next->op == SLIMRT_OP_ADD && !res && next->in[0] != next->in[1]) {
      GNode *other = next->in[0] == last ? next->in[1] : next->in[0];
      /* Of two conv chains meeting at an ADD, the later one takes it: the earlier
         chain then ends at its batch norm, and both stay fused. */
      if (!same_shape(&other->shape, &conv->shape) || other->id > conv->id) break;
      res = other;
    } else if (slimrt_op_act(next->op) != SLIMRT_ACT_NONE) {
      act = slimrt_op_act(next->op);
    } else {
      break;
    }
  }
  if (last == conv) return 0;
  GNode *in[8];
  int nin = 0;
  in[nin++] = conv->in[0];
  in[nin++] = conv->in[1];
  if (bias) in[nin++] = bias;
  if (bn)
    for (int i = 1; i < 5; i++) in[nin++] = bn->in[i];
  if (res) in[nin++] = res;
  slimrt_attr_fconv f = {
      .conv = conv->attr.conv,
      .depthwise = (slimrt_op_flags(conv->op) & SLIMRT_F_PER_CHANNEL) != 0,
      .has_bias = bias != NULL,
      .has_bn = bn != NULL,
      .has_residual = res != NULL,
      .act = act,
      .epsilon = bn ? bn->attr.batchnorm.epsilon : 0,
  };
  GNode **ins = arena_alloc(g->arena, sizeof(GNode *) * (size_t)nin);
  memcpy(ins, in, sizeof(GNode *) * (size_t)nin);
  last->op = SLIMRT_OP_FUSED_CONV2D;
  last->nout = 1; /* a batch norm's other outputs: nothing reads them (passes_run checked) */
  last->outs = NULL;
  last->in = ins;
  last->nin = nin;
  memset(&last->attr, 0, sizeof last->attr);
  last->attr.fconv = f;
  return 1;
}

int pass_fuse(Graph *g) {
  Uses u;
  uses_build(g, &u);
  int fused = 0;
  for (int i = 0; i < g->nodes.n; i++) {
    GNode *n = g->nodes.items[i];
    if (!(slimrt_op_flags(n->op) & SLIMRT_F_FUSES_CONV) || n->shape.dtype != SLIMRT_F32 || n->shape.rank != 4)
      continue;
    fused += fold_pad(&u, n);
    fused += fuse_chain(g, &u, n);
  }
  return fused;
}
