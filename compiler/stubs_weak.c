/* TEMPORARY: weak stand-ins for stages still being written, so the driver links
 * while the stages land one by one (slimc links libslimc_core whole, so a real
 * definition always wins). Delete this file once every stage exists. */
#include <stdio.h>
#include "backend.h"
#include "eval.h"
#include "parse.h"
#include "tf.h"

#define WEAK __attribute__((weak))
static int missing(const char *what) {
  fprintf(stderr, "slimc: error: %s is not implemented yet\n", what);
  return -1;
}
WEAK void parse_dump_tokens(FILE *out, Arena *arena, Diag *d, int file_idx) { missing("--dump=tokens"); d->nerrors++; }
WEAK void ast_dump(FILE *out, const Ast *module) { missing("--dump=ast"); }
WEAK Eval *eval_new(Arena *arena, Diag *d, SrcMgr *sm, const EvalOptions *opt) { return NULL; }
WEAK void eval_free(Eval *ev) {}
WEAK int eval_main_file(Eval *ev, int file_idx) { return missing("the evaluator"); }
WEAK int eval_models(Eval *ev, ModelDecl **out) { return 0; }
WEAK int eval_loaded_files(Eval *ev, const char ***paths) { return 0; }
WEAK int eval_run_model(Eval *ev, const ModelDecl *m) { return missing("the evaluator"); }
WEAK TfLib *tf_install(Eval *ev) { return NULL; }
WEAK void tf_set_restore_ema(TfLib *t, bool on) {}
WEAK Graph *tf_graph(TfLib *t) { return NULL; }
WEAK void tf_print_variables(TfLib *t, FILE *out, bool verbose) { missing("--print-variables"); }
WEAK void tf_print_collection(TfLib *t, FILE *out, const char *key) { missing("--print-collection"); }
WEAK void tf_print_restore_map(TfLib *t, FILE *out) { missing("--print-restore-map"); }
WEAK void tf_print_signature(TfLib *t, FILE *out) { missing("--print-signature"); }
WEAK void graph_print(FILE *out, const Graph *g) { missing("--print-graph"); }
WEAK int passes_run(Graph *g, Diag *d, const BackendOptions *o) { return missing("the graph passes"); }
WEAK int backend_compile(Graph *g, Diag *d, const BackendOptions *o) { return missing("the back end"); }
