/* The bottom layer of the evaluator: the interpreter's state (struct Eval), its
 * allocation, the pending error, the resource limits, the table of builtin names,
 * and the call interface (EvalOps) through which the layers above the evaluator
 * core (values, the object model, the builtins and modules) call back into it.
 * Above it, one way: value.c, callargs.c, py_class.c, builtins_py.c, py_modules.c,
 * then eval.c (statements and expressions), which fills EvalOps in eval_new. */
#ifndef SLIMC_INTERP_H
#define SLIMC_INTERP_H
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "front/ast.h"
#include "base/diag.h"
#include "base/stackguard.h"

typedef struct Eval Eval;
typedef struct Value Value;
typedef struct Dict Dict;
typedef struct Args Args;
typedef struct ValCache ValCache;

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

/* What the layers below eval.c need of the evaluator and of the layers between:
   set once by eval_new; the public wrappers below (eval_call, ...) go through it. */
typedef struct EvalOps {
  /* eval.c: statements and expressions */
  Value *(*call)(Eval *ev, Value *fn, const Args *a);
  Value *(*getattr)(Eval *ev, Value *obj, const char *name, Span sp);
  Value *(*binop)(Eval *ev, AstOp op, Value *l, Value *r, Span sp);
  int (*truthy)(Eval *ev, Value *v, Span sp);
  Value *(*iter_list)(Eval *ev, Value *v, Span sp);
  void (*ns_setattr)(Eval *ev, Value *ns, const char *name, Value *v);
  /* py_class.c, for value.c: user __eq__ / __lt__, __repr__ / __str__, object.__repr__ */
  Value *(*user_binop)(Eval *ev, AstOp op, Value *l, Value *r, Span sp, bool *found);
  const char *(*user_repr)(Eval *ev, Value *v, bool str, bool *failed);
  const char *(*default_repr)(Eval *ev, Value *v);
  /* builtins_py.c, for py_class.c: the methods of built-in values (py_attr) */
  Value *(*builtin_attr)(Eval *ev, Value *self, const char *name, Span sp);
} EvalOps;

/* ---- interp.c ---- */
Arena *eval_arena(Eval *ev);
Diag *eval_diag(Eval *ev);
void *eval_hooks_ud(Eval *ev);
void *eval_alloc(Eval *ev, size_t n);
ValCache *eval_valcache(Eval *ev);
/* Counts one evaluation step; false once the step or memory limit is hit (error pending). */
bool eval_step(Eval *ev, Span sp);
/* False, with an E0312 error pending at SP, once the C stack is nearly used up
   (stackguard.h); every recursive walk of values or ASTs checks it. */
bool eval_stack_ok(Eval *ev, Span sp);
/* Errors if allocating N more bytes would pass the memory limit. */
bool eval_check_mem(Eval *ev, size_t n, Span sp);
/* "did you mean 'x'?" candidate among CANDS (NULL if none close). */
const char *eval_suggest(const char *name, const char *const *cands, int n);

/* Builtins visible in every module without prefix. */
void eval_set_global(Eval *ev, const char *name, Value *v);
Value *eval_get_global(Eval *ev, const char *name);

/* Records an error at SP (printed with the call chain when it reaches the top);
   always returns NULL so callers can `return eval_error(...)`. */
Value *eval_error(Eval *ev, Span sp, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
bool eval_has_error(Eval *ev);
/* Adds a note to the pending error (printed before the call-chain notes). */
void eval_note(Eval *ev, Span sp, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A note on the list V (ev->notes, or ev->chain: the call chain, printed last). */
void eval_add_note(Eval *ev, PtrVec *v, Span sp, const char *msg);
/* Drops the pending error (hasattr / getattr with a default); returns its code. */
const char *eval_clear_error(Eval *ev);
/* The span of the call currently being evaluated (innermost). */
Span eval_call_span(Eval *ev);
Span eval_cur_span(Eval *ev);                 /* the span of the latest evaluation step */
void eval_recursion_via_c(Eval *ev, Span sp); /* CPython's RecursionError text for a call from C */

/* Through EvalOps: */
/* Calls any callable value. */
Value *eval_call(Eval *ev, Value *fn, const Args *a);
Value *eval_getattr(Eval *ev, Value *obj, const char *name, Span sp);
Value *eval_binop(Eval *ev, AstOp op, Value *l, Value *r, Span sp);
/* The truth value of V (Python's); -1 on error. */
int eval_truthy(Eval *ev, Value *v, Span sp);
/* Iterates a list/tuple/dict(keys)/str; returns a list of items or NULL. */
Value *eval_iter_list(Eval *ev, Value *v, Span sp);
/* NS.NAME = V for a namespace; a user module's global NAME changes too (eval.c). */
void eval_ns_setattr(Eval *ev, Value *ns, const char *name, Value *v);

/* ---- name tables: open addressing keyed by string hash ---- */

typedef struct Slot { const char *name; uint32_t h; Value *v; } Slot;
typedef struct Table { Slot *s; int n, cap; } Table;

static inline uint32_t hname(const char *s) {
  uint32_t h = 2166136261u;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

static inline Slot *tab_find(const Table *t, const char *name, uint32_t h) {
  if (!t->cap) return NULL;
  uint32_t mask = (uint32_t)t->cap - 1;
  for (uint32_t i = h & mask;; i = (i + 1) & mask) {
    Slot *s = &t->s[i];
    if (!s->name) return NULL;
    if (s->h == h && (s->name == name || strcmp(s->name, name) == 0)) return s;
  }
}

static inline void tab_put(Eval *ev, Table *t, const char *name, uint32_t h, Value *v);

static inline void tab_grow(Eval *ev, Table *t) {
  Table old = *t;
  t->cap = old.cap ? old.cap * 2 : 8;
  t->s = eval_alloc(ev, sizeof(Slot) * (size_t)t->cap);
  t->n = 0;
  for (int i = 0; i < old.cap; i++)
    if (old.s[i].name) tab_put(ev, t, old.s[i].name, old.s[i].h, old.s[i].v);
}

static inline void tab_put(Eval *ev, Table *t, const char *name, uint32_t h, Value *v) {
  Slot *s = tab_find(t, name, h);
  if (s) { s->v = v; return; }
  if ((t->n + 1) * 4 > t->cap * 3) tab_grow(ev, t);
  uint32_t mask = (uint32_t)t->cap - 1;
  uint32_t i = h & mask;
  while (t->s[i].name) i = (i + 1) & mask;
  t->s[i] = (Slot){name, h, v};
  t->n++;
}

typedef struct ENote { Span sp; const char *msg; } ENote;

typedef struct Frame { struct Frame *prev; const char *name; Span call; } Frame;

typedef struct PtrMap { const void **k; void **v; int n, cap; } PtrMap;

struct Eval {
  Arena *arena;
  Diag *d;
  SrcMgr *sm;
  EvalOptions opt;
  EvalHooks hooks;
  bool has_hooks;
  size_t mem_base;
  bool mem_over;        /* an allocation went past max_memory: everything stops */
  Span cur;             /* the span of the latest step, for that error */
  int64_t steps;
  int depth;
  StackGuard stack;     /* the C stack's depth guard (stackguard.h) */
  Frame *frame;
  ValCache *vc;
  Table builtins;
  Dict *modules;        /* dotted name -> namespace */
  PtrVec mods;          /* Module* in load order */
  Table mod_paths;      /* resolved path -> Module* (as the slot's pointer): a 30,000-file load chain */
  PtrVec loaded_paths;
  PtrMap localsets;     /* Ast* (def / lambda / model) -> Table* */
  ModelDecl *models;
  int nmodels, capmodels;
  Value *retval;
  /* the pending error */
  bool err;
  Span err_sp;
  const char *err_code, *err_msg;
  PtrVec notes, chain;
  Table umods;          /* pymod: dotted name -> Module* of every imported user module */
  /* pyexc: the exception object of the pending error (NULL until raised or caught),
     the exception an `except` block is handling (bare raise, __context__) */
  Value *err_exc, *err_ctx, *handling;
  struct Gen *gen;      /* pyexc: the generator whose body is running (NULL: none) */
  PtrVec gens;          /* every generator that got a stack (released by eval_free) */
  int live_gens;
  const EvalOps *ops;   /* the call interface (eval_new) */
};

#endif
