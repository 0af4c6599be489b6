/* The middle end: graph passes between the checked graph and a back end. They know
 * the IR (ir/graph.h) and the op table, never a code generator; what they need from
 * the target and its kernel library they ask through PassTarget, which the back end
 * fills (llvm/target.c for libslimrt). */
#ifndef SLIMC_PASSES_H
#define SLIMC_PASSES_H
#include <stdbool.h>
#include <stdio.h>
#include "base/diag.h"
#include "ir/graph.h"

/* What a pass may ask of the target and its kernels (in the manner of QBE's Target):
   a second target or kernel library plugs in by filling one of these. */
typedef struct PassTarget {
  const char *name;
  /* Folding: the kernel that computes N from its constant inputs bit for bit as the
     target's code would, or NULL: N is left for run time. */
  slimrt_kernel (*fold_kernel)(const GNode *n);
  /* Memory plan: may a FUSED_CONV2D with attributes A, an N x H x W x CI input, OH x OW
     output pixels and a KH x KW filter write its output over its residual input? */
  bool (*conv_inplace_ok)(const slimrt_attr_fconv *a, int64_t n, int64_t h, int64_t w, int64_t ci, int64_t oh,
                          int64_t ow, int64_t kh, int64_t kw);
  /* Prepacking: can the kernels lay out a FUSED_CONV2D's filter with CO output channels
     once at load time? */
  bool (*conv_prepack_ok)(const slimrt_attr_fconv *a, int64_t co);
} PassTarget;

typedef struct PassOptions {
  const PassTarget *target;
  bool dump_graph, dump_fuse, dump_opt; /* print the graph before, after fusion, after all */
  bool print_memory_plan;               /* print the plan (--print-memory-plan) */
} PassOptions;

/* Runs the pipeline on G: dead-op removal, the '?' batch made one item, constant
   folding, fusion, prepacking marks, memory plan. 0, or -1 after a diagnostic. */
int passes_run(Graph *g, Diag *d, const PassOptions *o);

/* The passes, in pipeline order (passes.c calls them; the unit tests too). */
void pass_dce(Graph *g);                              /* pass_dce.c */
int pass_batch(Graph *g, Diag *d);                    /* pass_batch.c: 0 or -1 */
int pass_fold(Graph *g, const PassTarget *t);         /* pass_fold.c: ops folded */
int pass_fuse(Graph *g);                              /* pass_fuse.c: pads and chains fused */
int pass_prepack(Graph *g, const PassTarget *t);      /* pass_prepack.c: convs marked */
int pass_memplan(Graph *g, Diag *d, const PassTarget *t); /* pass_memplan.c: 0 or -1 */
void pass_memplan_print(FILE *out, const Graph *g);

#endif
