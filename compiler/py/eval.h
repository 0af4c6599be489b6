/* The compile-time evaluator: runs a .slim module (and the files it load()s),
 * records its `model` declarations, and runs one model body to build a graph.
 * Graph semantics come from a builtin library installed through EvalHooks
 * (compiler/tf_*.c). */
#ifndef SLIMC_EVAL_H
#define SLIMC_EVAL_H
#include "py/interp.h"
#include "py/value.h"
#include "py/callargs.h"
#include "py/py_modules.h"

Eval *eval_new(Arena *arena, Diag *d, SrcMgr *sm, const EvalOptions *opt);
void eval_free(Eval *ev);
void eval_set_hooks(Eval *ev, const EvalHooks *h);

/* Parses and runs the main file (its index in the SrcMgr). 0 on success.
   The model declarations of the main file are then listed by eval_models(). */
int eval_main_file(Eval *ev, int file_idx);
int eval_models(Eval *ev, ModelDecl **out);
/* Every file reached through load(), in load order (for -MD). */
int eval_loaded_files(Eval *ev, const char ***paths);
/* Runs model M (option defaults overridden by -D). 0 on success. */
int eval_run_model(Eval *ev, const ModelDecl *m);

/* ---- for builtin libraries ----
   interp.h: eval_error, eval_call, eval_truthy, eval_iter_list, eval_set_global, ...
   value.h: values and eval_register_module; callargs.h: eval_bind, eval_to_int, ... */

#endif
