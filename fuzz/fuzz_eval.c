/* libFuzzer target: parser + evaluator + TF-Slim library + graph passes. The
 * input is evaluated as a module (with a step, memory and depth budget so that
 * no input can hang or exhaust the machine); if it declares a model, the first
 * one is run to a graph and the passes (DCE, folding, memory plan) run on it.
 * Every outcome is fine except a crash, a sanitizer report, a leak, or an
 * error exit that printed no diagnostic. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "llvm/backend.h"
#include "base/diag.h"
#include "py/eval.h"
#include "tf/tf.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
  if (size > 64 * 1024) return 0; /* larger inputs only slow the search down */
  Arena arena;
  arena_init(&arena);
  char *text = arena_alloc(&arena, size + 1);
  if (size) memcpy(text, data, size);
  SrcMgr sm;
  src_init(&sm, &arena);
  /* diagnostics go to a memory stream so the check below can see them */
  char *msgs = NULL;
  size_t msgs_len = 0;
  FILE *out = open_memstream(&msgs, &msgs_len);
  if (!out) abort();
  Diag d;
  diag_init(&d, &sm, out, DIAG_COLOR_NEVER);
  int file = src_add(&sm, "fuzz.slim", text, size);

  EvalOptions eo = {0};
  eo.max_steps = 200000;
  eo.max_memory = (size_t)64 << 20;
  eo.max_depth = 200;
  Eval *ev = eval_new(&arena, &d, &sm, &eo);
  TfLib *tf = tf_install(ev);
  int failed = eval_main_file(ev, file) != 0 || d.nerrors;
  ModelDecl *models;
  if (!failed && eval_models(ev, &models) > 0) {
    failed = eval_run_model(ev, &models[0]) != 0 || d.nerrors;
    if (!failed) {
      BackendOptions bo = {0};
      bo.emit = EMIT_OBJ;
      bo.opt_level = 2;
      bo.output = "/nonexistent/fuzz.o"; /* passes only: nothing is emitted */
      PassOptions po = backend_pass_options(&bo);
      failed = passes_run(tf_graph(tf), &d, &po) != 0 || d.nerrors;
    }
  }
  eval_free(ev);
  fclose(out);
  /* a failure must have said why */
  if (failed && (!msgs || !strstr(msgs, "error"))) abort();
  free(msgs);
  arena_free(&arena);
  return 0;
}
