/* Dead-op removal: keep only what the model outputs need.
 * Nodes are in creation order, which is a topological order (an op can only
 * take existing nodes as inputs), so one backward sweep marks everything. */
#include "passes/passes.h"

void pass_dce(Graph *g) {
  for (int i = 0; i < g->nodes.n; i++) ((GNode *)g->nodes.items[i])->live = false;
  for (int k = 0; k < g->noutputs; k++) g->outputs[k].node->live = true;
  for (int i = g->nodes.n - 1; i >= 0; i--) {
    GNode *n = g->nodes.items[i];
    if (!n->live) continue;
    for (int j = 0; j < n->nin; j++) n->in[j]->live = true;
  }
  /* Compact in place: order is preserved, so later passes still see a topological order. */
  int m = 0;
  for (int i = 0; i < g->nodes.n; i++)
    if (((GNode *)g->nodes.items[i])->live) g->nodes.items[m++] = g->nodes.items[i];
  g->nodes.n = m;
  /* Variables nobody reads (global_step, unused heads) drop out of the model. */
  m = 0;
  for (int i = 0; i < g->vars.n; i++) {
    GVar *v = g->vars.items[i];
    if (v->node && v->node->live) g->vars.items[m++] = v;
  }
  g->vars.n = m;
}
