/* The graph IR: ops with their output tensors (dtype and static shape), built by
 * the evaluator (TF-Slim semantics) and consumed by the passes and the backend.
 * Ops come from the single op table runtime/include/slimrt_ops.def; an op has the
 * table's NOUT outputs: output 0 is the node's own `shape`, the others (a training
 * op's batch statistics, say) are `outs`, and an input edge names the output it reads
 * (`in_port`, TF's "name:1"). */
#ifndef SLIMC_GRAPH_H
#define SLIMC_GRAPH_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "base/arena.h"
#include "base/diag.h"
#include "slimrt_ops.h"

typedef struct GNode GNode;
typedef struct GVar GVar;

typedef struct GShape {
  int dtype;                      /* slimrt_dtype */
  int rank;
  int64_t dims[SLIMRT_MAX_RANK];
} GShape;

typedef enum GInitKind {
  GINIT_DEFAULT = 0,              /* glorot_uniform for floats, zeros otherwise (TF's default) */
  GINIT_ZEROS, GINIT_ONES, GINIT_CONSTANT,
  GINIT_RANDOM_NORMAL, GINIT_TRUNCATED_NORMAL, GINIT_RANDOM_UNIFORM,
  GINIT_VARIANCE_SCALING,         /* slim/TF variance scaling; xavier/glorot are special cases */
  GINIT_VALUE,                    /* tf.Variable(initial_value): data in `values` */
} GInitKind;

typedef struct GInit {
  GInitKind kind;
  double mean, stddev, minval, maxval;
  double factor;                  /* variance scaling */
  int mode;                       /* 0 fan_in, 1 fan_out, 2 fan_avg */
  bool uniform;
  bool truncate_1_3;              /* slim's truncated normal with sqrt(1.3 * factor / n) */
  const double *values; int64_t nvalues; /* GINIT_CONSTANT list / GINIT_VALUE */
  const char *text;               /* as shown by --print-variables --verbose */
} GInit;

struct GVar {
  int id;                         /* creation order */
  const char *name;               /* op name = default checkpoint key ("conv1/weights") */
  GShape shape;
  bool trainable;
  bool is_local;                  /* LOCAL_VARIABLES only: never restored */
  bool is_global;                 /* in GLOBAL_VARIABLES */
  GInit init;
  const char *regularizer;        /* text for --verbose, or NULL */
  const char *device;             /* or NULL */
  Span span;                      /* where it was created */
  GNode *node;                    /* its VARIABLE op */
};

struct GNode {
  int id;                         /* creation order */
  int op;                         /* slimrt_op */
  const char *name;               /* TF-style op name, graph-unique */
  GShape shape;                   /* output 0 */
  int nout;                       /* outputs: the op table's NOUT */
  GShape *outs;                   /* outputs 1..nout-1 (outs[k-1]); NULL when nout is 1 */
  GNode **in; int nin;
  int *in_port;                   /* the output of in[j] read; NULL: output 0 of each */
  slimrt_attr attr;
  Span span;
  /* op-specific */
  GVar *var;                      /* VARIABLE */
  int input_index;                /* INPUT: index among model inputs */
  const float *image_prep;        /* INPUT: NULL, or mean[C] then scale[C] (image_input()) */
  const void *data;               /* CONST: shape.count elements of shape.dtype */
  /* pass annotations */
  bool live;                      /* needed by an output (dead-op removal) */
  int64_t arena_offset;           /* memory plan: -1 not in arena */
  int64_t nbytes;
  int64_t batch_mult;             /* run-time batch (pass_batch.c): 0 none; k >= 1: dimension 0
                                     was unknown, is k x the batch, and is planned as k (one item) */
};

typedef struct GOutput { const char *name; GNode *node; } GOutput;
typedef struct GRestore { const char *key; GVar *var; } GRestore;

typedef struct Graph {
  Arena *arena;
  const char *model_name;
  PtrVec nodes;                   /* GNode*, creation order */
  PtrVec vars;                    /* GVar*, creation order */
  PtrVec inputs;                  /* GNode* (INPUT) in parameter order */
  GOutput *outputs; int noutputs;
  GRestore *restore; int nrestore;/* checkpoint key -> variable, sorted by key */
  int64_t arena_size;             /* memory plan result */
  bool dyn_batch;                 /* a '?' batch: the plan is for one item (pass_batch.c) */
} Graph;

Graph *graph_new(Arena *a, const char *model_name);

int64_t gshape_count(const GShape *s);  /* -1 on overflow */
/* "[1,224,224,3]" into BUF; returns BUF. */
char *gshape_str(const GShape *s, char *buf, size_t n);
/* TF's TensorShape text "(1, 224, 224, 3)", "(1,)" into BUF. */
char *gshape_tf_str(const GShape *s, char *buf, size_t n);

GNode *graph_input(Graph *g, const char *name, GShape shape, Span sp);
GNode *graph_const(Graph *g, const char *name, GShape shape, const void *data, Span sp);
GVar *graph_variable(Graph *g, const char *name, GShape shape, Span sp);

/* Adds op OP with inputs IN[0..NIN) and attributes ATTR (may be NULL for none);
   infers the output dtype and shape. On a shape or dtype error returns NULL and
   writes a message naming the op (NAME) and the shapes into ERR. */
GNode *graph_op(Graph *g, int op, const char *name, GNode **in, int nin, const slimrt_attr *attr,
                Span sp, char *err, size_t errlen);
/* Same, reading output PORTS[j] of IN[j] (PORTS may be NULL: all output 0). */
GNode *graph_op_ports(Graph *g, int op, const char *name, GNode **in, const int *ports, int nin,
                      const slimrt_attr *attr, Span sp, char *err, size_t errlen);
/* The shape of the output that N's input J reads. */
const GShape *graph_in_shape(const GNode *n, int j);
/* The shape of N's output K (0 <= K < N->nout). */
const GShape *graph_out_shape(const GNode *n, int k);
/* Same, with the output shape already known (reshape-like ops built by the caller). */
GNode *graph_op_shaped(Graph *g, int op, const char *name, GNode **in, int nin, const slimrt_attr *attr,
                       GShape out, Span sp);

/* Shape inference for one op (compiler/ir/shape.c): fills n->shape from its inputs
   and attributes; 0 on success, -1 with a message in ERR. */
int shape_infer(GNode *n, char *err, size_t errlen);
/* Added by tfops. graph_op_shaped's OUT is checked by shape_infer (NULL if
   inconsistent); for RESHAPE, CAST, SLICE and CONV2D_TRANSPOSE it is the requested
   result (reshape dims, cast dtype, slice dims after shrinking, deconv size). */
/* IN reshaped to DIMS[0..RANK) (one -1 is inferred, TF's rule); -1 with TF's message. */
int shape_reshape(const GShape *in, const int64_t *dims, int rank, GShape *out, char *err, size_t errlen);
/* TF's SAME (or VALID, SAME false) padding of one spatial dimension; -1 if invalid. */
int shape_same_padding(int64_t in, int64_t k, int64_t stride, int64_t rate, bool same, int64_t *pad_before,
                       int64_t *pad_after);

/* A copy of G whose nodes, variables, inputs, outputs and restore map are its own (the
   tensors' data and names are shared): the driver lowers the copy, so the forward graph
   the evaluator built survives the passes, which rewrite nodes in place. */
Graph *graph_clone(const Graph *g);

/* Queries the passes and the back end share. */
int64_t graph_nbytes(const GNode *n);   /* bytes of N's tensor; -1 on overflow */
GNode *graph_view_root(GNode *n);       /* follows views to the node that owns the buffer */
/* The output index K such that N writes straight into the model's output K, or -1. */
int graph_output_slot(const Graph *g, const GNode *n);

/* --print-graph: one op a line: name, op, dtype, shape, inputs. */
void graph_print(FILE *out, const Graph *g);

#endif
