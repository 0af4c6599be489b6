/* Python's builtins (builtins_py.c): the global functions, the methods of built-in
 * values, %-formatting, the exception hierarchy. Part of the evaluator's own
 * interface (compiler/py/). */
#ifndef SLIMC_BUILTINS_PY_H
#define SLIMC_BUILTINS_PY_H
#include "py/interp.h"
#include "py/value.h"

/* range() values are lazy so `for i in range(N)` allocates nothing per step. */
typedef struct RangeObj { int64_t start, stop, step; } RangeObj;
extern const ExtType py_range_type;
int64_t py_range_len(const RangeObj *r);
void py_install(Eval *ev);
/* The bound method NAME of a str/list/dict/namedtuple/partial/func value, or an
   attribute such as __name__; NULL without a pending error if there is none. */
Value *py_attr(Eval *ev, Value *self, const char *name, Span sp);
/* FMT % ARGS */
/* The class name if V is an exception class (ValueError), else NULL. */
const char *py_exception_class(Value *v);
Value *py_str_mod(Eval *ev, Value *fmt, Value *args, Span sp);
/* pyexc: the built-in exception hierarchy (builtins_py.c). */
bool py_exc_subclass(const char *cls, const char *base);   /* cls is base or derives from it */
bool py_exc_known(const char *cls);
/* A new exception object of class CLS with ARGS (a tuple; NULL: no args). */
Value *py_exc_new(Eval *ev, const char *cls, Value *args);
/* '{!CONV:SPEC}'.format(V) (CONV 0: none; SPEC NULL: none), for f-strings. */
Value *py_format_value(Eval *ev, Value *v, int conv, const char *spec, Span sp);

#endif
