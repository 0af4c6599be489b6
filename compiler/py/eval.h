/* The compile-time evaluator: runs a .slim module (and the files it load()s),
 * records its `model` declarations, and runs one model body to build a graph.
 * Graph semantics come from a builtin library installed through EvalHooks
 * (compiler/tf_*.c). */
#ifndef SLIMC_EVAL_H
#define SLIMC_EVAL_H
#include "py/value.h"

typedef struct EvalHooks {
  void *ud;
  /* A fresh graph for model NAME. */
  int (*model_begin)(Eval *ev, const char *name, Span sp);
  /* The tensor value of a model input parameter. */
  Value *(*model_input)(Eval *ev, const char *name, const char *dtype, const int64_t *dims, int ndims,
                        Span sp);
  /* The model returned RESULT (tensor, tuple of tensors, or dict name -> tensor). */
  int (*model_end)(Eval *ev, Value *result, Span sp);
} EvalHooks;

typedef struct EvalOptions {
  const char **include_dirs; int ninclude;   /* -I */
  const char **defines; int ndefines;        /* -D NAME=VALUE, as written */
  int64_t max_steps;                         /* 0: default (100M) */
  size_t max_memory;                         /* bytes; 0: default (4 GiB) */
  int max_depth;                             /* 0: default (1000) */
} EvalOptions;

typedef struct ModelDecl { const char *name; Ast *def; int file; } ModelDecl;

Eval *eval_new(Arena *arena, Diag *d, SrcMgr *sm, const EvalOptions *opt);
void eval_free(Eval *ev);
void eval_set_hooks(Eval *ev, const EvalHooks *h);
Arena *eval_arena(Eval *ev);
Diag *eval_diag(Eval *ev);
void *eval_hooks_ud(Eval *ev);

/* Builtins visible in every module without prefix, and importable modules. */
void eval_set_global(Eval *ev, const char *name, Value *v);
Value *eval_get_global(Eval *ev, const char *name);
void eval_register_module(Eval *ev, const char *dotted, Value *ns);

/* pymod (py_modules.c): tf.logging, tf.contrib.training.HParams, tf.test on TF's namespaces. */
void pymod_install_tf(Eval *ev, Value *tf, Value *contrib);
/* The dtype name ("float32", "bool") if V is a numpy scalar type (np.float32), else NULL. */
const char *pymod_np_dtype_name(Value *v);

/* Parses and runs the main file (its index in the SrcMgr). 0 on success.
   The model declarations of the main file are then listed by eval_models(). */
int eval_main_file(Eval *ev, int file_idx);
int eval_models(Eval *ev, ModelDecl **out);
/* Every file reached through load(), in load order (for -MD). */
int eval_loaded_files(Eval *ev, const char ***paths);
/* Runs model M (option defaults overridden by -D). 0 on success. */
int eval_run_model(Eval *ev, const ModelDecl *m);

/* ---- for builtin libraries ---- */
/* Records an error at SP (printed with the call chain when it reaches the top);
   always returns NULL so callers can `return eval_error(...)`. */
Value *eval_error(Eval *ev, Span sp, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Adds a note to the pending error (printed before the call-chain notes). */
void eval_note(Eval *ev, Span sp, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
bool eval_has_error(Eval *ev);

/* Calls any callable value. */
Value *eval_call(Eval *ev, Value *fn, const Args *a);
/* Binds A to PARAMS (see Builtin); OUT[i] is NULL for absent optional params,
   "*args" gets a tuple and "**kwargs" a dict. FNAME is used in messages
   ("conv2d() got an unexpected keyword argument 'x'"). -1 on error (pending). */
int eval_bind(Eval *ev, const char *fname, const char *const *params, const Args *a, Value **out);
/* eval_bind that also reports missing required params (the first NREQUIRED), with
   Python's "f() missing 1 required positional argument: 'x'". */
int eval_bind_checked(Eval *ev, const char *fname, const char *const *params, int nrequired, const Args *a,
                      Value **out);
/* The span of the call currently being evaluated (innermost). */
Span eval_call_span(Eval *ev);
/* Helpers that check a value's type and report "X must be int, got str" errors. */
bool eval_to_int(Eval *ev, Value *v, Span sp, const char *what, int64_t *out);
bool eval_to_float(Eval *ev, Value *v, Span sp, const char *what, double *out);
bool eval_to_str(Eval *ev, Value *v, Span sp, const char *what, const char **out);
/* False with a ValueError pending when V is a str holding a NUL byte: every name
   (variable, scope, op, collection key, checkpoint key, keyword) is a C string, and a
   NUL would cut it short silently. eval_to_str checks it too. */
bool eval_str_nul_free(Eval *ev, Value *v, Span sp, const char *what);
/* The truth value of V (Python's); -1 on error. */
int eval_truthy(Eval *ev, Value *v, Span sp);
/* Iterates a list/tuple/dict(keys)/str; returns a list of items or NULL. */
Value *eval_iter_list(Eval *ev, Value *v, Span sp);

#endif
