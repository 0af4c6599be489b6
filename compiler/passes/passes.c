/* The pass pipeline: dead-op removal, the '?' batch made one item, constant folding, dead-op removal again
 * (folding orphans the folded ops' inputs), fusion into convolutions (then
 * dead-op removal of what was absorbed), prepacking marks, memory plan. */
#include "passes/passes.h"

int passes_run(Graph *g, Diag *d, const PassOptions *o) {
  int errors = d->nerrors;
  if (o->dump_graph) graph_print(stdout, g);
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
