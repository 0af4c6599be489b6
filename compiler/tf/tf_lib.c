/* The bottom of the TF library: the TfLib state of an Eval and its accessors. Every
 * other tf_*.c may call these; they call none of them (docs/tf-semantics.md, "Files"). */
#include "tf/tf_lib.h"

TfLib *tf_lib(Eval *ev) { return eval_hooks_ud(ev); }

void tf_set_restore_ema(TfLib *t, bool on) {
  if (t) t->restore_ema = on;
}

Graph *tf_graph(TfLib *t) { return t ? t->graph : NULL; }

