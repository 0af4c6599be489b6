/* The pass pipeline: dead-op removal, the '?' batch made one item, constant folding, dead-op removal again
 * (folding orphans the folded ops' inputs), fusion into convolutions (then
 * dead-op removal of what was absorbed), prepacking marks, memory plan. */
#include <string.h>
#include "llvm/cg_internal.h"

bool cg_dump_has(const char *list, const char *stage) {
  size_t n = strlen(stage);
  for (const char *p = list; p && *p;) {
    const char *e = strchr(p, ',');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len == n && memcmp(p, stage, n) == 0) return true;
    p = e ? e + 1 : NULL;
  }
  return false;
}

int passes_run(Graph *g, Diag *d, const BackendOptions *o) {
  int errors = d->nerrors;
  if (cg_dump_has(o->dump, "graph")) graph_print(stdout, g);
  cg_pass_dce(g);
  if (cg_pass_batch(g, d) != 0) return -1;
  if (cg_pass_fold(g, d) > 0) cg_pass_dce(g);
  if (cg_pass_fuse(g) > 0) cg_pass_dce(g);
  cg_pass_prepack(g);
  if (cg_dump_has(o->dump, "fuse")) graph_print(stdout, g);
  if (cg_pass_memplan(g, d) != 0 || d->nerrors > errors) return -1;
  if (cg_dump_has(o->dump, "opt")) graph_print(stdout, g);
  if (o->print_memory_plan) cg_memplan_print(stdout, g);
  return 0;
}
