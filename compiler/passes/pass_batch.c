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
#include "llvm/cg_internal.h"

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
    if (k && x->batch_mult != k && n->op != SLIMRT_OP_RESHAPE)
      return refuse(d, n, "combines tensors of different multiples of the '?' batch");
    k = x->batch_mult;
  }
  const GNode *x = n->in[0];
  bool others_fixed = true; /* inputs 1.. are weights or constants */
  for (int j = 1; j < n->nin; j++) others_fixed &= n->in[j]->batch_mult == 0;
  switch (n->op) {
  case SLIMRT_OP_IDENTITY: case SLIMRT_OP_CAST:
  case SLIMRT_OP_RELU: case SLIMRT_OP_RELU6: case SLIMRT_OP_ELU: case SLIMRT_OP_SIGMOID: case SLIMRT_OP_TANH:
  case SLIMRT_OP_NEG: case SLIMRT_OP_ABS: case SLIMRT_OP_SQRT: case SLIMRT_OP_RSQRT: case SLIMRT_OP_SQUARE:
  case SLIMRT_OP_EXP: case SLIMRT_OP_LOG:
    break;
  case SLIMRT_OP_ADD: case SLIMRT_OP_SUB: case SLIMRT_OP_MUL: case SLIMRT_OP_DIV: case SLIMRT_OP_MAXIMUM:
  case SLIMRT_OP_MINIMUM: case SLIMRT_OP_POW:
    for (int j = 0; j < 2; j++) {
      const GShape *s = &n->in[j]->shape;
      if (n->in[j]->batch_mult ? s->rank != o->rank : s->rank == o->rank && s->dims[0] != 1)
        return refuse(d, n, "broadcasts across the '?' batch");
    }
    break;
  case SLIMRT_OP_BIAS_ADD: case SLIMRT_OP_CONV2D: case SLIMRT_OP_DEPTHWISE_CONV2D: case SLIMRT_OP_CONV2D_TRANSPOSE:
  case SLIMRT_OP_MAX_POOL: case SLIMRT_OP_AVG_POOL: case SLIMRT_OP_BATCH_NORM:
    if (!x->batch_mult || !others_fixed) return refuse(d, n, "takes its weights from the '?' batch");
    break;
  case SLIMRT_OP_MATMUL:
    if (!x->batch_mult || !others_fixed || n->attr.matmul.transpose_a)
      return refuse(d, n, "multiplies across the '?' batch");
    break;
  case SLIMRT_OP_SOFTMAX: case SLIMRT_OP_LOG_SOFTMAX:
    if (o->rank < 2) return refuse(d, n, "normalizes over the '?' batch");
    break;
  case SLIMRT_OP_REDUCE_SUM: case SLIMRT_OP_REDUCE_MEAN: case SLIMRT_OP_REDUCE_MAX:
    if (n->attr.reduce.axes[0]) return refuse(d, n, "reduces over the '?' batch (dimension 0)");
    break;
  case SLIMRT_OP_ARGMAX:
    if (n->attr.argmax.axis == 0) return refuse(d, n, "reduces over the '?' batch (dimension 0)");
    break;
  case SLIMRT_OP_TRANSPOSE:
    if (n->attr.transpose.perm[0] != 0) return refuse(d, n, "moves the '?' batch off dimension 0");
    break;
  case SLIMRT_OP_CONCAT: {
    int64_t ax = n->attr.concat.axis < 0 ? n->attr.concat.axis + o->rank : n->attr.concat.axis;
    for (int j = 0; j < n->nin; j++)
      if (!n->in[j]->batch_mult) return refuse(d, n, "joins a tensor without the '?' batch to batched ones");
    if (ax == 0) return refuse(d, n, "concatenates along the '?' batch (dimension 0)");
    break;
  }
  case SLIMRT_OP_PAD:
    if (n->attr.pad.before[0] || n->attr.pad.after[0]) return refuse(d, n, "pads the '?' batch (dimension 0)");
    break;
  case SLIMRT_OP_SLICE:
    if (n->attr.slice.count[0] != -1) return refuse(d, n, "slices the '?' batch (dimension 0)");
    n->attr.slice.count[0] = k;
    break;
  case SLIMRT_OP_TILE:
    if (n->attr.tile.multiples[0] != 1) return refuse(d, n, "tiles the '?' batch (dimension 0)");
    break;
  case SLIMRT_OP_ONE_HOT:
    if (n->attr.onehot.axis == 0) return refuse(d, n, "inserts its depth before the '?' batch");
    break;
  case SLIMRT_OP_RESHAPE: {
    /* C order keeps each item's elements together: only the multiple changes */
    int64_t in_rows = row_count(&x->shape), out_rows = row_count(o), item;
    if (in_rows < 0 || out_rows <= 0 || __builtin_mul_overflow(in_rows, k, &item) || item % out_rows)
      return refuse(d, n, "merges the '?' batch with another dimension");
    k = item / out_rows;
    if (k < 1) return refuse(d, n, "merges the '?' batch with another dimension");
    break;
  }
  default:
    return refuse(d, n, "is not supported on a '?' batch");
  }
  n->batch_mult = k;
  return 0;
}

int cg_pass_batch(Graph *g, Diag *d) {
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
