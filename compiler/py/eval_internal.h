/* Internal interface between the parts of the evaluator:
 *   value.c        value constructors, dicts, equality, ordering, hashing, str/repr
 *   eval.c         statements, expressions, calls, scopes, load/import, models, errors
 *   builtins_py.c  Python builtins, str/list/dict methods, % and str.format
 * Not for use outside these files (the TF library uses value.h and eval.h). */
#ifndef SLIMC_EVAL_INTERNAL_H
#define SLIMC_EVAL_INTERNAL_H
#include "py/eval.h"

/* ---- value.c ---- */
/* Shared singletons and the small-int cache live in this block, owned by the Eval. */
typedef struct ValCache {
  Value none, t, f;
  Value small[1024 + 6];   /* -5 .. 1024 */
} ValCache;
ValCache *eval_valcache(Eval *ev);
bool val_hashable(const Value *v);
/* Python's < on compile-time values: 1/0, or -1 with an error pending at SP. */
int val_less(Eval *ev, Value *a, Value *b, Span sp);
/* repr of a float as Python prints it (shortest round trip). BUF >= 32 bytes. */
void val_float_repr(double f, char *buf);
Value *val_tuple_of(Eval *ev, Value **items, int n);
Value *val_list_of(Eval *ev, Value **items, int n);
int val_len(const Value *v);   /* -1: no len() */
/* A "ValueError: msg" style exception object (what builtin exception constructors return). */
extern const ExtType val_exception_type;
/* pyexc: ARGS is e.args (a tuple), MSG str(e); CAUSE/CONTEXT are __cause__/__context__
   (NULL: None); VALUE is StopIteration.value. Once raised, SP/CODE/TEXT say where and
   how: a re-raise reports there again (CPython's innermost traceback frame). */
typedef struct ExcObj {
  const char *cls; const char *msg;
  Value *args, *cause, *context, *value;
  bool suppress_context, raised;
  Span sp; const char *code, *text;
} ExcObj;

/* Growable text in the evaluator's arena (value.c). */
typedef struct TextBuf { char *s; size_t n, cap; Eval *ev; } TextBuf;
void tb_put(TextBuf *b, const char *s, size_t n);
void tb_puts(TextBuf *b, const char *s);
Value *tb_value(TextBuf *b);   /* the text as a str value (no copy) */

/* ---- eval.c ---- */
void *eval_alloc(Eval *ev, size_t n);
/* Counts one evaluation step; false once the step or memory limit is hit (error pending). */
bool eval_step(Eval *ev, Span sp);
/* False, with an E0312 error pending at SP, once the C stack is nearly used up
   (stackguard.h); every recursive walk of values or ASTs checks it. */
bool eval_stack_ok(Eval *ev, Span sp);
/* Errors if allocating N more bytes would pass the memory limit. */
bool eval_check_mem(Eval *ev, size_t n, Span sp);
/* "did you mean 'x'?" candidate among CANDS (NULL if none close). */
const char *eval_suggest(const char *name, const char *const *cands, int n);
Value *eval_getattr(Eval *ev, Value *obj, const char *name, Span sp);
Value *eval_binop(Eval *ev, AstOp op, Value *l, Value *r, Span sp);
/* A call with only positional arguments. */
Value *eval_call_pos(Eval *ev, Value *fn, Value **argv, int argc, Span sp);
const char *eval_callable_name(Value *fn);
/* Drops the pending error (hasattr / getattr with a default); returns its code. */
const char *eval_clear_error(Eval *ev);
bool eval_is_callable(Value *v);

/* ---- builtins_py.c ---- */
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

/* ---- py_modules.c (pymod) ---- */
/* chr, ord, type, iter, next, set, frozenset, setattr, hex/oct/bin, and the modules copy,
   contextlib, os / os.path, six / six.moves, logging, numpy (called by py_install). */
void pymod_install(Eval *ev);
/* type(x) of a built-in value: the builtin named TNAME, or a stand-in type object. */
Value *pymod_type_object(Eval *ev, const char *tname);
/* functools.update_wrapper and functools.wraps, added to FUNCTOOLS. */
void pymod_install_functools(Eval *ev, Value *functools);
/* NS.NAME = V for a namespace; a user module's global NAME changes too (eval.c). */
void eval_ns_setattr(Eval *ev, Value *ns, const char *name, Value *v);

/* ---- py_class.c (pyclass): user classes, see the file's comment ---- */
extern const ExtType pyc_method_type, pyc_property_type, pyc_staticmethod_type, pyc_classmethod_type,
    pyc_super_type;
void pyc_install(Eval *ev);
ClassT *pyc_object(Eval *ev);
bool pyc_is_user(const Value *v);       /* an instance of a class statement's class */
Value *pyc_lookup(ClassT *c, const char *name, ClassT **owner);
/* attribute reads: NULL without a pending error when there is no such attribute */
Value *pyc_getattr_inst(Eval *ev, Value *obj, const char *name, Span sp);
Value *pyc_getattr_class(Eval *ev, ClassT *c, const char *name, Span sp);
/* OBJ.NAME = V for user instances and classes and functions; false with an error
   pending, or false without one when OBJ takes no attributes */
bool pyc_setattr(Eval *ev, Value *obj, const char *name, Value *v, Span sp);
Value *pyc_new_class(Eval *ev, const char *name, const char *qualname, const char *module, Value *base, Dict *ns,
                     Span sp);
Value *pyc_call_class(Eval *ev, ClassT *c, const Args *a);
Value *pyc_call_dunder(Eval *ev, Value *obj, const char *name, Value **argv, int argc, Span sp, bool *found);
bool pyc_has_dunder(Value *obj, const char *name);
Value *pyc_binop(Eval *ev, AstOp op, Value *l, Value *r, Span sp, bool *found);
int pyc_isinstance(Eval *ev, Value *x, Value *cls);
Value *pyc_super(Eval *ev, Value *cls, Value *obj, Span sp);
const char *pyc_default_repr(Eval *ev, Value *v);
const char *pyc_user_repr(Eval *ev, Value *v, bool str, bool *failed);
/* value.c: repr without a user __repr__ at the top (object.__repr__, a namedtuple base's) */
const char *val_repr_plain(Eval *ev, Value *v);
/* eval.c: a namedtuple (subclass) instance from A, argument errors worded as NEWNAME.__new__ */
Value *eval_nt_new(Eval *ev, ClassT *c, const char *ntname, const Args *a);
Span eval_cur_span(Eval *ev);                 /* the span of the latest evaluation step */
void eval_recursion_via_c(Eval *ev, Span sp); /* CPython's RecursionError text for a call from C */

#endif
