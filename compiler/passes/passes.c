/* The pass pipeline: dead-op removal, the '?' batch made one item, constant folding, dead-op removal again
 * (folding orphans the folded ops' inputs), fusion into convolutions (then
 * dead-op removal of what was absorbed), prepacking marks, memory plan. */
#include "passes/passes.h"

/* The passes and today's back end compute an op's first output only (the kernels
   write one buffer): reading another output is an error naming both ops. */
static int first_outputs_only(const Graph *g, Diag *d) {
  for (int i = 0; i < g->nodes.n; i++) {
    const GNode *n = g->nodes.items[i];
    for (int j = 0; n->in_port && j < n->nin; j++)
      if (n->in_port[j]) {
        diag_error(d, n->span, "E0931", "op '%s' (%s) reads output %d of '%s' (%s); the back end computes only "
                   "an op's first output", n->name, slimrt_op_tf_type(n->op), n->in_port[j], n->in[j]->name,
                   slimrt_op_tf_type(n->in[j]->op));
        return -1;
      }
  }
  return 0;
}

int passes_run(Graph *g, Diag *d, const PassOptions *o) {
  int errors = d->nerrors;
  if (o->dump_graph) graph_print(stdout, g);
  if (first_outputs_only(g, d) != 0) return -1;
  pass_dce(g);
  if (pass_batch(g, d) != 0) return -1;
  if (pass_fold(g, o->target) > 0) pass_dce(g);
  if (pass_fuse(g) > 0) pass_dce(g);
  pass_prepack(g, o->target);
  if (o->dump_fuse) graph_print(stdout, g);
  if (pass_memplan(g, d, o->target) != 0 || d->nerrors > errors) return -1;
  if (o->dump_opt) graph_print(stdout, g);
  if (o->print_memory_plan) pass_memplan_print(stdout, g);
  return 0;
}
