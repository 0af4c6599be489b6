/* Compile-time values of the Slim language (Python semantics) and the calling
 * convention shared by the evaluator core (eval.c) and the builtin libraries
 * (Python builtins, the TF / TF-Slim namespaces). Values live in the
 * compilation's arena. NULL as a Value* result means "an error is pending"
 * (see eval_error in eval.h). */
#ifndef SLIMC_VALUE_H
#define SLIMC_VALUE_H
#include <stdbool.h>
#include <stdint.h>
#include "front/ast.h"
#include "base/diag.h"

typedef struct Value Value;
typedef struct Eval Eval;
typedef struct Dict Dict;

typedef enum ValueKind {
  V_NONE, V_BOOL, V_INT, V_FLOAT, V_STR,
  V_LIST, V_TUPLE, V_DICT,
  V_FUNC,       /* def / lambda closure */
  V_BUILTIN,    /* native function */
  V_PARTIAL,    /* functools.partial(fn, *args, **kw) */
  V_CLASS,      /* a namedtuple type or a user class (callable) */
  V_INSTANCE,   /* a namedtuple value or an instance of a user class */
  V_NAMESPACE,  /* module-like bag of attributes: tf, slim, tf.nn, ... */
  V_EXT,        /* graph values and other opaque objects, see ExtType */
} ValueKind;

/* Call arguments as received by a callee. Spans point at each argument. */
typedef struct Args {
  Value **pos; Span *pos_spans; int npos;
  const char **kw; Value **kwv; Span *kw_spans; int nkw;
  Span call_span;               /* the whole call expression */
} Args;

typedef Value *(*BuiltinFn)(Eval *ev, const Args *a, void *data);

/* A native function. PARAMS is Python-like: {"inputs", "num_outputs", "kernel_size",
   "stride", ..., NULL}; "*args"/"**kwargs" entries collect extras. eval_bind()
   applies it (positional, keyword, unknown-keyword and missing-argument errors). */
typedef struct Builtin {
  const char *name;             /* __name__ (e.g. "convolution2d" for slim.conv2d) */
  const char *const *params;    /* NULL: the function checks its own arguments */
  int nrequired;                /* leading params that have no default */
  BuiltinFn fn;
  void *data;
  bool arg_scope;               /* may be listed in arg_scope (decorated) */
  /* Attributes set on it, for builtins that are Python functions in TF (the function
     add_arg_scope returns): NULL until the first is set. Only on arena-made builtins. */
  Dict *attrs;
  bool py_function;             /* takes attributes (attrs) as a Python function does */
} Builtin;

typedef struct Func {
  const char *name;             /* __name__ ("<lambda>" for lambdas) */
  Ast *def;                     /* AST_DEF or AST_LAMBDA */
  Value **defaults;             /* evaluated at def time, one per param (NULL: none) */
  struct Env *closure;
  bool arg_scope;               /* decorated with @add_arg_scope */
  Value *wrapped;               /* decorator result chain (for __name__ etc.), may be NULL */
  /* pyclass */
  const char *qualname;         /* "Cls.meth" for a def in a class body (argument errors), else NULL */
  Dict *attrs;                  /* attributes set on the function (f.default_image_size = 224), or NULL */
} Func;

typedef struct Partial { Value *fn; Args args; } Partial;

typedef struct ClassT {
  const char *name; const char **fields; int nfields;
  /* pyclass: a class statement's class (user), or `object`; a namedtuple type has user false */
  bool user;
  bool is_tuple;                /* a namedtuple type or a class derived from one: instances hold VALS */
  struct ClassT *base;          /* the single base; NULL for object and for namedtuple types */
  Dict *attrs;                  /* the class namespace (user classes) */
  const char *qualname, *module;
  Value *self;                  /* the class as a value (type(x), x.__class__), set for user classes */
} ClassT;
/* pyclass: ATTRS is the instance's __dict__ (NULL for a plain namedtuple value) */
typedef struct Instance { ClassT *cls; Value **vals; Dict *attrs; } Instance;

typedef struct Namespace { const char *name; Dict *attrs; } Namespace;

/* Opaque objects. Every hook may be NULL (the core then raises the usual
   Python error: "'Tensor' object has no attribute 'foo'", etc.). */
typedef struct ExtType {
  const char *name;             /* type name in messages: "Tensor", "VariableScope" */
  /* attribute read; return NULL without a pending error for "no such attribute" */
  Value *(*getattr)(Eval *ev, Value *self, const char *attr, Span sp);
  /* arithmetic where either operand is of this type (l or r is self) */
  Value *(*binop)(Eval *ev, AstOp op, Value *l, Value *r, Span sp);
  Value *(*unop)(Eval *ev, AstOp op, Value *self, Span sp);
  Value *(*index)(Eval *ev, Value *self, Value *idx, Span sp);
  Value *(*call)(Eval *ev, Value *self, const Args *a);
  /* truth value; -1 with an error pending (tensors refuse) */
  int (*truthy)(Eval *ev, Value *self, Span sp);
  /* context manager protocol for `with`: enter returns the `as` value */
  Value *(*enter)(Eval *ev, Value *self, Span sp);
  int (*exit)(Eval *ev, Value *self, Span sp);
  /* str()/repr() text; NULL: "<Name object>" */
  const char *(*repr)(Eval *ev, Value *self);
  /* equality for == (identity if NULL) */
  bool (*equal)(Value *a, Value *b);
  /* len() and iteration: the items as a list value (NULL hook: not iterable). (tfops addition) */
  Value *(*items)(Eval *ev, Value *self, Span sp);
  /* str() text where it differs from repr() (NULL: repr) */
  const char *(*str)(Eval *ev, Value *self);
} ExtType;

struct Value {
  ValueKind kind;
  union {
    bool b;
    int64_t i;
    double f;
    struct { const char *s; size_t len; } str;
    struct { Value **items; int n, cap; } list;    /* V_LIST, V_TUPLE */
    Dict *dict;
    Func *func;
    Builtin *builtin;
    Partial *partial;
    ClassT *cls;
    Instance *inst;
    Namespace *ns;
    struct { const ExtType *type; void *data; } ext;
  } u;
};

/* constructors (arena of EV) */
Value *val_none(Eval *ev);
Value *val_bool(Eval *ev, bool b);
Value *val_int(Eval *ev, int64_t i);
Value *val_float(Eval *ev, double f);
Value *val_str(Eval *ev, const char *s);
Value *val_strn(Eval *ev, const char *s, size_t n);
Value *val_strf(Eval *ev, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
Value *val_list(Eval *ev, int n);      /* n None items */
Value *val_tuple(Eval *ev, int n);
void val_list_append(Eval *ev, Value *list, Value *item);
Value *val_dict(Eval *ev);
Value *val_builtin(Eval *ev, const Builtin *b);
Value *val_namespace(Eval *ev, const char *name);
Value *val_ext(Eval *ev, const ExtType *t, void *data);

bool val_is_ext(const Value *v, const ExtType *t);
const char *val_type_name(const Value *v);   /* Python's: "int", "str", "list", "Tensor" */
bool val_equal(Value *a, Value *b);          /* Python == on compile-time values */
/* Containers nest at most this deep in comparison, hashing and printing (CPython's
   recursion limit); deeper is a RecursionError, never a wrong answer or a stack overflow. */
enum { VAL_MAX_NEST = 1000 };
int val_equal_r(Value *a, Value *b);          /* 1 equal, 0 not, -1 nested too deeply */
int val_hashable_r(const Value *v);           /* 1 hashable, 0 not, -1 nested too deeply */
/* A dict key: true, or false with "unhashable type" or a RecursionError pending at SP. */
bool val_key_ok(Eval *ev, Value *k, Span sp);
/* str() / repr() of a value, allocated in EV's arena */
const char *val_str_of(Eval *ev, Value *v);
const char *val_repr(Eval *ev, Value *v);
/* repr() / str() for the program's own output: NULL with a RecursionError pending at
   SP when V nests deeper than VAL_MAX_NEST (val_repr ends such a value in "..."). */
const char *val_repr_at(Eval *ev, Value *v, Span sp);
const char *val_str_at(Eval *ev, Value *v, Span sp);

/* dicts: insertion ordered; keys hashable (None, bool, int, float, str, tuple, ext by identity) */
Value *dict_get(Dict *d, Value *key);             /* NULL if absent */
Value *dict_get_str(Dict *d, const char *key);
void dict_set(Eval *ev, Dict *d, Value *key, Value *val);
void dict_set_str(Eval *ev, Dict *d, const char *key, Value *val);
bool dict_del(Dict *d, Value *key);
int dict_len(const Dict *d);
/* iteration in insertion order: for (int i = 0; dict_next(d, &i, &k, &v);) */
bool dict_next(const Dict *d, int *iter, Value **key, Value **val);

/* x[lo:hi:step] passes a slice object to ExtType.index (each field None if omitted);
   a tuple index (x[:, 0]) arrives as a V_TUPLE of ints and slices. (eval addition) */
typedef struct SliceObj { Value *lo, *hi, *step; } SliceObj;
extern const ExtType val_slice_type;

/* namespaces */
void ns_set(Eval *ev, Value *ns, const char *name, Value *v);
Value *ns_get(Value *ns, const char *name);

/* ---- for the evaluator's own files (compiler/py/) ---- */
/* Shared singletons and the small-int cache live in this block, owned by the Eval. */
typedef struct ValCache {
  Value none, t, f;
  Value small[1024 + 6];   /* -5 .. 1024 */
} ValCache;
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
/* repr without a user __repr__ at the top (object.__repr__, a namedtuple base's) */
const char *val_repr_plain(Eval *ev, Value *v);
/* pyclass: an instance of a class statement's class; the attribute NAME of class C or
   its bases (user classes' namespaces only), and the class that holds it in OWNER */
bool pyc_is_user(const Value *v);
Value *pyc_lookup(ClassT *c, const char *name, ClassT **owner);
/* type(x) of a built-in value: the builtin named TNAME, or a stand-in type object. */
Value *val_type_object(Eval *ev, const char *tname);

/* Registers NS as an importable module (import DOTTED). */
void eval_register_module(Eval *ev, const char *dotted, Value *ns);

#endif
