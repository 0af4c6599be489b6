/* Calls from C: what a callable is called in messages, binding call arguments to
 * parameters with Python's rules (and its error messages), the conversions with
 * "X must be int, got str" errors that builtins apply to bound arguments, and the
 * native functions described by a table row (PyFn: name, parameters, implementation)
 * that the Python builtins and modules are made of. Above value.c, below the object
 * model (py_class.c), the builtins and eval.c. */
#ifndef SLIMC_CALLARGS_H
#define SLIMC_CALLARGS_H
#include "py/interp.h"
#include "py/value.h"

/* __name__ of a callable, or its type name. */
const char *eval_callable_name(Value *fn);
/* A call with only positional arguments. */
Value *eval_call_pos(Eval *ev, Value *fn, Value **argv, int argc, Span sp);

/* Binds A to PARAMS (see Builtin); OUT[i] is NULL for absent optional params,
   "*args" gets a tuple and "**kwargs" a dict. FNAME is used in messages
   ("conv2d() got an unexpected keyword argument 'x'"). -1 on error (pending). */
int eval_bind(Eval *ev, const char *fname, const char *const *params, const Args *a, Value **out);
/* eval_bind that also reports missing required params (the first NREQUIRED), with
   Python's "f() missing 1 required positional argument: 'x'". */
int eval_bind_checked(Eval *ev, const char *fname, const char *const *params, int nrequired, const Args *a,
                      Value **out);
/* The parameter list of a callee, normalised for binding. */
typedef struct ParamSpec {
  const char **names;   /* positional then keyword-only */
  int npos, nkwonly;    /* counts */
  int star, dstar;      /* index of *args / **kwargs slot in OUT, or -1 */
  bool *has_default;    /* per name */
} ParamSpec;
/* Binds A to SPEC (a def's parameters, or a builtin's list); OUT has a slot per name, then *args and
   **kwargs; CHECK_MISSING reports absent required parameters. -1 on error (pending). */
int eval_bind_spec(Eval *ev, const char *fname, const ParamSpec *ps, const Args *a, Value **out, bool check_missing);
/* pyclass: a namedtuple (subclass) instance from A, argument errors worded as NTNAME.__new__ */
Value *eval_nt_new(Eval *ev, ClassT *c, const char *ntname, const Args *a);

/* Helpers that check a value's type and report "X must be int, got str" errors. */
bool eval_to_int(Eval *ev, Value *v, Span sp, const char *what, int64_t *out);
bool eval_to_float(Eval *ev, Value *v, Span sp, const char *what, double *out);
bool eval_to_str(Eval *ev, Value *v, Span sp, const char *what, const char **out);
/* False with a ValueError pending when V is a str holding a NUL byte: every name
   (variable, scope, op, collection key, checkpoint key, keyword) is a C string, and a
   NUL would cut it short silently. eval_to_str checks it too. */
bool eval_str_nul_free(Eval *ev, Value *v, Span sp, const char *what);

/* ---- table-described native functions (Python's builtins and modules) ---- */
/* SELF is what py_fn_new bound (a value, or a tag of the table's own). */
typedef Value *(*PyImpl)(Eval *ev, Value *self, Value **v, const Args *a);
/* PARAMS as for Builtin (at most 8); NULL: the implementation reads A itself. */
typedef struct PyFn { const char *name; const char *const *params; int nreq; PyImpl fn; } PyFn;
typedef struct PyFnBound { Value *self; const PyFn *m; } PyFnBound;
/* The parameter list of CPython's one-argument C builtins (METH_O: len, abs, ...),
   which word their argument errors their own way. */
extern const char *const py_meth_o[];
/* The builtin value of M bound to SELF; its Builtin.fn is py_fn_dispatch and its data a PyFnBound. */
Value *py_fn_new(Eval *ev, const PyFn *m, Value *self);
Value *py_fn_dispatch(Eval *ev, const Args *a, void *data);

#endif
