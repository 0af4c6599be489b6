/* The run-time batch: a model input declared `f32[?, ...]` has an unknown
 * dimension 0 that shape checking keeps as -1. This pass makes such a graph one
 * batch item: it proves that item b of every output depends only on item b of
 * the inputs, then plans every batched tensor with dimension 0 at its size for
 * one item. The generated code is then the code of a batch-1 model, and the
 * runtime (slimrt_model_run_batch) runs it once per item with the batched
 * inputs' and outputs' pointers moved on by one item each time: a batch of N
 * gives bit for bit the outputs of N runs at batch 1, and the arena is one
 * item's, whatever N.
 *
 * A batched tensor's dimension 0 is k x the batch (k = batch_mult, 1 for the
 * inputs; a reshape may change k, as fully_connected on rank 3 does: [?,3,4] ->
 * [-1,4] -> [?,3,5]); each item's rows are contiguous. Ops that would mix
 * items (a reduction or concat over dimension 0, a transpose moving it, a
 * reshape merging it with another dimension, slicing it, ...) are errors
 * naming the op. */
#include <inttypes.h>
#include "passes/passes.h"

static const char *op_type(const GNode *n) { return slimrt_op_tf_type(n->op); }

static int refuse(Diag *d, const GNode *n, const char *why) {
  diag_error(d, n->span, "E0930", "op '%s' (%s) %s; a model with a '?' batch runs each batch item on its own",
             n->name, op_type(n), why);
  return -1;
}

/* Product of dimensions 1.. of S (all known). */
static int64_t row_count(const GShape *s) {
  int64_t c = 1;
  for (int i = 1; i < s->rank; i++)
    if (__builtin_mul_overflow(c, s->dims[i], &c)) return -1;
  return c;
}

/* ---- the rules the op table's BATCH column names: each checks that node N keeps the
   items of a '?' batch apart; X is input 0, K the batched inputs' multiple (a rule may
   change it), OTHERS_FIXED whether inputs 1.. are unbatched (weights, constants). ---- */

typedef struct BatchCtx {
  Diag *d;
  GNode *n, *x;
  int64_t k;
  bool others_fixed;
} BatchCtx;

/* element-wise, with broadcasting: no operand may broadcast across the batch */
static int batch_elementwise(BatchCtx *b) {
  const GShape *o = &b->n->shape;
  for (int j = 0; j < b->n->nin; j++) {
    const GShape *s = &b->n->in[j]->shape;
    if (b->n->in[j]->batch_mult ? s->rank != o->rank : s->rank == o->rank && s->dims[0] != 1)
      return refuse(b->d, b->n, "broadcasts across the '?' batch");
  }
  return 0;
}

/* an op applying per-item weights: the batch is input 0 only */
static int batch_weights(BatchCtx *b) {
  if (!b->x->batch_mult || !b->others_fixed) return refuse(b->d, b->n, "takes its weights from the '?' batch");
  return 0;
}

static int batch_matmul(BatchCtx *b) {
  if (!b->x->batch_mult || !b->others_fixed || b->n->attr.matmul.transpose_a)
    return refuse(b->d, b->n, "multiplies across the '?' batch");
  return 0;
}

/* normalizes over the last axis, which must not be the batch */
static int batch_last_axis(BatchCtx *b) {
  if (b->n->shape.rank < 2) return refuse(b->d, b->n, "normalizes over the '?' batch");
  return 0;
}

static int batch_reduce(BatchCtx *b) {
  if (b->n->attr.reduce.axes[0]) return refuse(b->d, b->n, "reduces over the '?' batch (dimension 0)");
  return 0;
}

static int batch_argmax(BatchCtx *b) {
  if (b->n->attr.argmax.axis == 0) return refuse(b->d, b->n, "reduces over the '?' batch (dimension 0)");
  return 0;
}

static int batch_transpose(BatchCtx *b) {
  if (b->n->attr.transpose.perm[0] != 0) return refuse(b->d, b->n, "moves the '?' batch off dimension 0");
  return 0;
}

static int batch_concat(BatchCtx *b) {
  GNode *n = b->n;
  int64_t ax = n->attr.concat.axis < 0 ? n->attr.concat.axis + n->shape.rank : n->attr.concat.axis;
  for (int j = 0; j < n->nin; j++)
    if (!n->in[j]->batch_mult) return refuse(b->d, n, "joins a tensor without the '?' batch to batched ones");
  if (ax == 0) return refuse(b->d, n, "concatenates along the '?' batch (dimension 0)");
  return 0;
}

static int batch_pad(BatchCtx *b) {
  if (b->n->attr.pad.before[0] || b->n->attr.pad.after[0])
    return refuse(b->d, b->n, "pads the '?' batch (dimension 0)");
  return 0;
}

static int batch_slice(BatchCtx *b) {
  if (b->n->attr.slice.count[0] != -1) return refuse(b->d, b->n, "slices the '?' batch (dimension 0)");
  b->n->attr.slice.count[0] = b->k;
  return 0;
}

static int batch_tile(BatchCtx *b) {
  if (b->n->attr.tile.multiples[0] != 1) return refuse(b->d, b->n, "tiles the '?' batch (dimension 0)");
  return 0;
}

static int batch_one_hot(BatchCtx *b) {
  if (b->n->attr.onehot.axis == 0) return refuse(b->d, b->n, "inserts its depth before the '?' batch");
  return 0;
}

/* C order keeps each item's elements together: only the multiple changes */
static int batch_reshape(BatchCtx *b) {
  int64_t in_rows = row_count(&b->x->shape), out_rows = row_count(&b->n->shape), item;
  if (in_rows < 0 || out_rows <= 0 || __builtin_mul_overflow(in_rows, b->k, &item) || item % out_rows)
    return refuse(b->d, b->n, "merges the '?' batch with another dimension");
  b->k = item / out_rows;
  if (b->k < 1) return refuse(b->d, b->n, "merges the '?' batch with another dimension");
  return 0;
}

static int batch_none(BatchCtx *b) { return refuse(b->d, b->n, "is not supported on a '?' batch"); }

typedef int BatchRule(BatchCtx *b);
static BatchRule *const rule[SLIMRT_OP_COUNT] = {
#define SLIMRT_OP(ID, TF, NAME, MINI, MAXI, NOUT, ATTR, FLAGS, ACT, SHAPE, BATCH, API, BUILD, GRAD) batch_##BATCH,
#include "slimrt_ops.def"
#undef SLIMRT_OP
};

/* Checks that batched node N (some input batched) keeps items apart, and sets its
   batch_mult; 0 or -1 after a diagnostic. */
static int check_node(Diag *d, GNode *n) {
  const GShape *o = &n->shape;
  if (o->rank < 1 || o->dims[0] >= 0) return refuse(d, n, "combines the items of the '?' batch");
  for (int i = 1; i < o->rank; i++)
    if (o->dims[i] < 0) return refuse(d, n, "moves the '?' batch off dimension 0");
  int64_t k = 0; /* the batched inputs' multiple, which must agree */
  for (int j = 0; j < n->nin; j++) {
    const GNode *x = n->in[j];
    if (!x->batch_mult) continue;
    if (k && x->batch_mult != k && rule[n->op] != batch_reshape)
      return refuse(d, n, "combines tensors of different multiples of the '?' batch");
    k = x->batch_mult;
  }
  const GNode *x = n->in[0];
  bool others_fixed = true; /* inputs 1.. are weights or constants */
  for (int j = 1; j < n->nin; j++) others_fixed &= n->in[j]->batch_mult == 0;
  BatchCtx b = {d, n, (GNode *)x, k, others_fixed};
  if (rule[n->op](&b)) return -1;
  k = b.k;
  n->batch_mult = k;
  return 0;
}

int pass_batch(Graph *g, Diag *d) {
  g->dyn_batch = false;
  for (int i = 0; i < g->inputs.n; i++) {
    GNode *in = g->inputs.items[i];
    if (in->shape.rank >= 1 && in->shape.dims[0] < 0) g->dyn_batch = true;
  }
  if (!g->dyn_batch) return 0;
  int rc = 0;
  for (int i = 0; i < g->nodes.n && !rc; i++) {
    GNode *n = g->nodes.items[i];
    if (n->op == SLIMRT_OP_INPUT) {
      n->batch_mult = n->shape.rank >= 1 && n->shape.dims[0] < 0;
      for (int k = 1; k < n->shape.rank; k++)
        if (n->shape.dims[k] < 0) rc = refuse(d, n, "has an unknown dimension other than the batch");
      continue;
    }
    bool batched = false;
    for (int j = 0; j < n->nin; j++) batched |= n->in[j]->batch_mult != 0;
    if (batched) {
      rc = check_node(d, n);
    } else {
      for (int k = 0; k < n->shape.rank; k++)
        if (n->shape.dims[k] < 0) rc = refuse(d, n, "has a dimension of unknown size");
    }
  }
  for (int k = 0; k < g->noutputs && !rc; k++) {
    const GNode *n = g->outputs[k].node;
    if (n->batch_mult > 1) {
      char s[160];
      diag_error(d, n->span, "E0930", "output '%s' has shape %s, whose dimension 0 is %" PRId64
                 " times the '?' batch; an output's dimension 0 must be the batch itself",
                 g->outputs[k].name, gshape_str(&n->shape, s, sizeof s), n->batch_mult);
      rc = -1;
    }
  }
  if (rc) return -1;
  /* plan and generate code for one item */
  for (int i = 0; i < g->nodes.n; i++) {
    GNode *n = g->nodes.items[i];
    if (n->batch_mult) n->shape.dims[0] = n->batch_mult;
  }
  return 0;
}
