/* The compile-time evaluator: a tree-walking interpreter of the Slim AST with
 * Python's semantics. Errors are recorded as one pending diagnostic that
 * collects notes and the call chain while it unwinds, and is printed when it
 * reaches eval_main_file / eval_run_model. */
#include "py/eval.h"
#include "py/py_class.h"
#include "py/builtins_py.h"
#include "py/py_modules.h"
#include "front/parse.h"
#include "slimrt_checked.h"
#include "base/stackguard.h"
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sys/mman.h>
#include <ucontext.h>
#if defined(__SANITIZE_ADDRESS__)
#define SLIMC_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLIMC_ASAN 1
#endif
#endif
#ifdef SLIMC_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif


/* ---- environments ---- */

typedef struct Module Module;

/* One scope: module globals (locals == NULL, parent == NULL), a function call
   (locals = names assigned in the body), or a comprehension. */
typedef struct Env {
  struct Env *parent;
  Table vars;
  const Table *locals;
  Module *mod;
  const Table *decls;   /* pyexc: names declared global (value True) or nonlocal (False) here */
  /* pyclass */
  bool is_class;          /* a class body: functions defined here do not see its names */
  const char *qualname;   /* a class body's class qualname (for its functions' qualnames) */
  Ast *fdef;              /* a function call's def (super() reads its first parameter) */
} Env;

struct Module {
  const char *path;     /* resolved path (cache key) */
  int file;
  Env *env;
  bool done, is_main;
  Span load_span;       /* where it was first loaded (cycle notes) */
  Module *loader;
  /* pymod: the module system (LANGUAGE.md 3.2) */
  const char *name;     /* __name__: "__main__", the dotted name, or a load()ed file's stem */
  const char *package;  /* __package__ (relative imports); "" outside any package */
  const char *root;     /* the directory its top-level package was found in */
  const char *dir;      /* a package's own directory (its submodules' home), else NULL */
  Value *ns;            /* the module object: mirrors the module's globals */
};


enum Flow { F_NORMAL, F_RETURN, F_BREAK, F_CONTINUE, F_ERROR };

static Value *eval_expr(Eval *ev, Env *env, Ast *n);
static enum Flow exec_block(Eval *ev, Env *env, AstList *body);
static const Table *localset(Eval *ev, Ast *def);
static Value *eval_fstring(Eval *ev, Env *env, Ast *n);
static Value *eval_yield(Eval *ev, Env *env, Ast *n);
static void gen_install(Eval *ev);


static void *pm_get(PtrMap *m, const void *k) {
  if (!m->cap) return NULL;
  size_t mask = (size_t)m->cap - 1;
  for (size_t i = ((uintptr_t)k >> 4) * 0x9e3779b97f4a7c15ULL & mask;; i = (i + 1) & mask) {
    if (!m->k[i]) return NULL;
    if (m->k[i] == k) return m->v[i];
  }
}

static void pm_put(Eval *ev, PtrMap *m, const void *k, void *v) {
  if ((m->n + 1) * 2 > m->cap) {
    PtrMap old = *m;
    m->cap = old.cap ? old.cap * 2 : 16;
    m->k = eval_alloc(ev, sizeof(void *) * (size_t)m->cap);
    m->v = eval_alloc(ev, sizeof(void *) * (size_t)m->cap);
    m->n = 0;
    for (int i = 0; i < old.cap; i++)
      if (old.k[i]) pm_put(ev, m, old.k[i], old.v[i]);
  }
  size_t mask = (size_t)m->cap - 1;
  size_t i = ((uintptr_t)k >> 4) * 0x9e3779b97f4a7c15ULL & mask;
  while (m->k[i]) i = (i + 1) & mask;
  m->k[i] = k;
  m->v[i] = v;
  m->n++;
}

/* ---- errors ---- */


static void chain_note(Eval *ev, Span sp, const char *fmt, const char *name) {
  if (ev->err) eval_add_note(ev, &ev->chain, sp, arena_printf(ev->arena, fmt, name));
}

/* Prints the pending error; long call chains (deep recursion) are cut. */
static void report(Eval *ev) {
  if (!ev->err) return;
  diag_error(ev->d, ev->err_sp, ev->err_code, "%s", ev->err_msg);
  for (int i = 0; i < ev->notes.n; i++) {
    ENote *n = ev->notes.items[i];
    diag_note(ev->d, n->sp, "%s", n->msg);
  }
  enum { HEAD = 8, TAIL = 2 };
  int n = ev->chain.n;
  for (int i = 0; i < n; i++) {
    if (n > HEAD + TAIL + 1 && i == HEAD) {
      diag_note(ev->d, SPAN_NONE, "... %d more calls not shown", n - HEAD - TAIL);
      i = n - TAIL - 1;
      continue;
    }
    ENote *e = ev->chain.items[i];
    diag_note(ev->d, e->sp, "%s", e->msg);
  }
  ev->err = false;
  ev->notes.n = ev->chain.n = 0;
}


static void table_names(Eval *ev, const Table *t, PtrVec *out) {
  for (int i = 0; i < t->cap; i++)
    if (t->s[i].name && t->s[i].v) ptrvec_push(ev->arena, out, (void *)t->s[i].name);
}


/* ---- construction ---- */

static int ev_truthy(Eval *ev, Value *v, Span sp);
static Value *ev_iter_list(Eval *ev, Value *v, Span sp);
static Value *ev_binop(Eval *ev, AstOp op, Value *l, Value *r, Span sp);
static Value *ev_getattr(Eval *ev, Value *obj, const char *name, Span sp);
static Value *ev_call(Eval *ev, Value *fn, const Args *a);
static void ev_ns_setattr(Eval *ev, Value *ns, const char *name, Value *v);

/* The call interface of the layers below (interp.h) */
static const EvalOps eval_ops = {
  .call = ev_call, .getattr = ev_getattr, .binop = ev_binop, .truthy = ev_truthy, .iter_list = ev_iter_list,
  .ns_setattr = ev_ns_setattr, .user_binop = pyc_binop, .user_repr = pyc_user_repr,
  .default_repr = pyc_default_repr, .builtin_attr = py_attr,
};

Eval *eval_new(Arena *arena, Diag *d, SrcMgr *sm, const EvalOptions *opt) {
  Eval *ev = arena_alloc(arena, sizeof *ev);
  ev->arena = arena;
  ev->d = d;
  ev->sm = sm;
  ev->ops = &eval_ops;
  if (opt) ev->opt = *opt;
  if (ev->opt.max_steps <= 0) ev->opt.max_steps = 100000000;
  if (!ev->opt.max_memory) ev->opt.max_memory = (size_t)4 << 30;
  if (ev->opt.max_depth <= 0) ev->opt.max_depth = 1000;
  stack_guard_init(&ev->stack);
  ev->mem_base = arena->used_total;
  ev->vc = eval_alloc(ev, sizeof *ev->vc);
  ev->vc->none.kind = V_NONE;
  ev->vc->t.kind = ev->vc->f.kind = V_BOOL;
  ev->vc->t.u.b = true;
  for (int i = 0; i < 1024 + 6; i++) {
    ev->vc->small[i].kind = V_INT;
    ev->vc->small[i].u.i = i - 5;
  }
  ev->modules = val_dict(ev)->u.dict;
  pyc_install(ev); /* pyclass: object, property, super, type, ... */
  py_install(ev);
  pymod_install(ev); /* pymod: the rest of 3.1's builtins and 3.2's modules */
  gen_install(ev);
  return ev;
}

static void gen_release_all(Eval *ev);
void eval_free(Eval *ev) { gen_release_all(ev); /* the rest lives in the compilation's arena */ }

void eval_set_hooks(Eval *ev, const EvalHooks *h) {
  ev->hooks = *h;
  ev->has_hooks = true;
}



/* ---- truth, conversion helpers ---- */

static int ev_truthy(Eval *ev, Value *v, Span sp) {
  switch (v->kind) {
  case V_NONE: return 0;
  case V_BOOL: return v->u.b;
  case V_INT: return v->u.i != 0;
  case V_FLOAT: return v->u.f != 0;
  case V_STR: return v->u.str.len != 0;
  case V_LIST: case V_TUPLE: return v->u.list.n != 0;
  case V_DICT: return dict_len(v->u.dict) != 0;
  case V_INSTANCE:
    if (pyc_is_user(v)) { /* pyclass: __bool__, then __len__ */
      bool found;
      Value *r = pyc_call_dunder(ev, v, "__bool__", NULL, 0, sp, &found);
      if (found) {
        if (!r) return -1;
        if (r->kind != V_BOOL) {
          eval_error(ev, sp, "E0302", "__bool__ should return bool, returned %s", val_type_name(r));
          return -1;
        }
        return r->u.b;
      }
      r = pyc_call_dunder(ev, v, "__len__", NULL, 0, sp, &found);
      if (found) {
        if (!r) return -1;
        if (r->kind != V_INT && r->kind != V_BOOL) {
          eval_error(ev, sp, "E0302", "'%s' object cannot be interpreted as an integer", val_type_name(r));
          return -1;
        }
        return r->kind == V_INT ? r->u.i != 0 : r->u.b;
      }
      if (!v->u.inst->cls->is_tuple) return 1;
    }
    return v->u.inst->cls->nfields != 0;
  case V_EXT:
    if (v->u.ext.type->truthy) return v->u.ext.type->truthy(ev, v, sp);
    if (v->u.ext.type == &py_range_type) return py_range_len(v->u.ext.data) != 0;
    return 1;
  default: return 1;
  }
}


/* ---- iteration ---- */

typedef struct Iter { Value *src; Value **items; int64_t i, n; RangeObj r; int kind; } Iter;
enum { IT_ITEMS, IT_RANGE, IT_STR, IT_GEN };
extern const ExtType gen_type;
static Value *gen_next(Eval *ev, Value *g, Span sp);

static bool iter_init(Eval *ev, Iter *it, Value *v, Span sp) {
  memset(it, 0, sizeof *it);
  it->src = v;
  switch (v->kind) {
  case V_LIST: case V_TUPLE: it->kind = IT_ITEMS; it->n = -1; return true; /* live length: lists may grow */
  case V_STR: it->kind = IT_STR; it->n = (int64_t)v->u.str.len; return true;
  case V_INSTANCE:
    if (pyc_is_user(v)) { /* pyclass: __iter__ (its result is iterated: see docs/python.md) */
      bool found;
      Value *r = pyc_call_dunder(ev, v, "__iter__", NULL, 0, sp, &found);
      if (found) {
        if (!r) return false;
        if (r == v) break; /* an iterator returning itself needs __next__, which is not supported */
        return iter_init(ev, it, r, sp);
      }
      if (!v->u.inst->cls->is_tuple) break;
    }
    it->kind = IT_ITEMS; it->items = v->u.inst->vals; it->n = v->u.inst->cls->nfields; return true;
  case V_DICT: {
    int n = dict_len(v->u.dict), k = 0;
    it->items = eval_alloc(ev, sizeof(Value *) * (size_t)(n ? n : 1));
    Value *key;
    for (int j = 0; dict_next(v->u.dict, &j, &key, NULL);) it->items[k++] = key;
    it->kind = IT_ITEMS;
    it->n = n;
    return true;
  }
  case V_EXT:
    if (v->u.ext.type == &gen_type) { /* pyexc */
      it->kind = IT_GEN;
      return true;
    }
    if (v->u.ext.type == &py_range_type) {
      it->kind = IT_RANGE;
      it->r = *(RangeObj *)v->u.ext.data;
      it->n = py_range_len(&it->r);
      return true;
    }
    if (v->u.ext.type->items) {
      Value *l = v->u.ext.type->items(ev, v, sp);
      if (!l) return false;
      it->kind = IT_ITEMS;
      it->items = l->u.list.items;
      it->n = l->u.list.n;
      return true;
    }
    break;
  default: break;
  }
  eval_error(ev, sp, "E0302", "'%s' object is not iterable", val_type_name(v));
  return false;
}

static Value *iter_next(Eval *ev, Iter *it) {
  if (ev->mem_over) return NULL;
  switch (it->kind) {
  case IT_ITEMS:
    if (it->n < 0) {
      if (it->i >= it->src->u.list.n) return NULL;
      return it->src->u.list.items[it->i++];
    }
    if (it->i >= it->n) return NULL;
    return it->items[it->i++];
  case IT_RANGE:
    if (it->i >= it->n) return NULL;
    return val_int(ev, slimrt_ck_nth(it->r.start, it->r.step, it->i++));
  case IT_GEN: return gen_next(ev, it->src, ev->cur); /* NULL: exhausted, or an error is pending */
  case IT_STR: {
    if (it->i >= it->n) return NULL;
    const unsigned char *s = (const unsigned char *)it->src->u.str.s;
    int64_t j = it->i + 1; /* a UTF-8 sequence is one character */
    if (s[it->i] >= 0xC0)
      while (j < it->n && (s[j] & 0xC0) == 0x80) j++;
    Value *c = val_strn(ev, (const char *)s + it->i, (size_t)(j - it->i));
    it->i = j;
    return c;
  }
  }
  return NULL;
}

static Value *ev_iter_list(Eval *ev, Value *v, Span sp) {
  Iter it;
  if (!iter_init(ev, &it, v, sp)) return NULL;
  if (it.kind == IT_RANGE && !eval_check_mem(ev, (size_t)it.n * 8, sp)) return NULL;
  Value *out = val_list(ev, 0);
  for (Value *x; (x = iter_next(ev, &it));) val_list_append(ev, out, x);
  return ev->err ? NULL : out;
}

/* ---- names ---- */

static Value *lookup(Eval *ev, Env *env, const char *name, Span sp) {
  uint32_t h = hname(name);
  if (env->decls) { /* pyexc: `global x` reads the module's x */
    Slot *d = tab_find(env->decls, name, h);
    if (d && d->v->u.b && env->mod && env->mod->env) env = env->mod->env;
  }
  for (Env *e = env; e; e = e->parent) {
    Slot *s = tab_find(&e->vars, name, h);
    if (s && s->v) return s->v; /* a NULL value: deleted (del x) */
    if (e->locals && tab_find(e->locals, name, h)) {
      if (e == env)
        return eval_error(ev, sp, "E0301", "cannot access local variable '%s' where it is not associated with a value", name);
      return eval_error(ev, sp, "E0301",
                        "cannot access free variable '%s' where it is not associated with a value in enclosing scope", name);
    }
  }
  Slot *s = tab_find(&ev->builtins, name, h);
  if (s) return s->v;
  PtrVec names = {0};
  for (Env *e = env; e; e = e->parent) table_names(ev, &e->vars, &names);
  table_names(ev, &ev->builtins, &names);
  const char *sug = eval_suggest(name, (const char *const *)names.items, names.n);
  if (sug) return eval_error(ev, sp, "E0301", "name '%s' is not defined; did you mean '%s'?", name, sug);
  return eval_error(ev, sp, "E0301", "name '%s' is not defined", name);
}

/* pyexc: the scope a name assigned in ENV lives in (global / nonlocal declarations). */
static Env *scope_of(Env *env, const char *name, uint32_t h) {
  if (!env->decls) return env;
  Slot *d = tab_find(env->decls, name, h);
  if (!d) return env;
  if (d->v->u.b) return env->mod && env->mod->env ? env->mod->env : env;
  for (Env *e = env->parent; e; e = e->parent)
    if (e->locals && tab_find(e->locals, name, h)) return e;
  return env;
}

static void bind(Eval *ev, Env *env, const char *name, Value *v) {
  uint32_t h = hname(name);
  env = scope_of(env, name, h);
  tab_put(ev, &env->vars, name, h, v);
  /* pymod: a module's globals are also its module object's attributes (no allocation
     when the name exists already: a module-level loop rebinds it on every step) */
  if (env->mod && env == env->mod->env && env->mod->ns) {
    Value key = {.kind = V_STR, .u.str = {name, strlen(name)}};
    if (dict_get(env->mod->ns->u.ns->attrs, &key)) dict_set(ev, env->mod->ns->u.ns->attrs, &key, v);
    else ns_set(ev, env->mod->ns, name, v);
  }
}

/* ---- arithmetic ---- */

static bool is_num(const Value *v) { return v->kind == V_INT || v->kind == V_BOOL || v->kind == V_FLOAT; }
static bool is_intlike(const Value *v) { return v->kind == V_INT || v->kind == V_BOOL; }
static int64_t ival(const Value *v) { return v->kind == V_INT ? v->u.i : (int64_t)v->u.b; }
static double fval(const Value *v) { return v->kind == V_FLOAT ? v->u.f : (double)ival(v); }

static Value *overflow(Eval *ev, Span sp, const char *op) {
  return eval_error(ev, sp, "E0308", "integer overflow in '%s' (compile-time ints are 64-bit)", op);
}

static Value *unsupported(Eval *ev, AstOp op, Value *l, Value *r, Span sp) {
  return eval_error(ev, sp, "E0302", "unsupported operand type(s) for %s: '%s' and '%s'",
                    op == OP_POW ? "** or pow()" : ast_op_name(op), val_type_name(l), val_type_name(r));
}

static Value *int_binop(Eval *ev, AstOp op, int64_t a, int64_t b, Span sp) {
  int64_t r;
  switch (op) {
  case OP_ADD: if (__builtin_add_overflow(a, b, &r)) return overflow(ev, sp, "+"); return val_int(ev, r);
  case OP_SUB: if (__builtin_sub_overflow(a, b, &r)) return overflow(ev, sp, "-"); return val_int(ev, r);
  case OP_MUL: if (__builtin_mul_overflow(a, b, &r)) return overflow(ev, sp, "*"); return val_int(ev, r);
  case OP_DIV:
    if (b == 0) return eval_error(ev, sp, "E0307", "division by zero");
    return val_float(ev, (double)a / (double)b);
  case OP_FLOORDIV: case OP_MOD: {
    if (b == 0) /* CPython 3.11's texts */
      return eval_error(ev, sp, "E0307", op == OP_MOD ? "integer modulo by zero" : "integer division or modulo by zero");
    if (a == INT64_MIN && b == -1) return op == OP_MOD ? val_int(ev, 0) : overflow(ev, sp, "//");
    int64_t q = a / b, m = a % b;
    if (m != 0 && ((m < 0) != (b < 0))) { q--; m += b; } /* Python floors toward -inf */
    return val_int(ev, op == OP_MOD ? m : q);
  }
  case OP_POW: {
    if (b < 0) return val_float(ev, pow((double)a, (double)b));
    int64_t res = 1, base = a;
    while (b) {
      if (b & 1 && __builtin_mul_overflow(res, base, &res)) return overflow(ev, sp, "**");
      b >>= 1;
      if (b && __builtin_mul_overflow(base, base, &base)) return overflow(ev, sp, "**");
    }
    return val_int(ev, res);
  }
  default: return NULL;
  }
}

static Value *float_binop(Eval *ev, AstOp op, double a, double b, Span sp) {
  switch (op) {
  case OP_ADD: return val_float(ev, a + b);
  case OP_SUB: return val_float(ev, a - b);
  case OP_MUL: return val_float(ev, a * b);
  case OP_DIV:
    if (b == 0) return eval_error(ev, sp, "E0307", "float division by zero");
    return val_float(ev, a / b);
  case OP_FLOORDIV: case OP_MOD: {
    if (b == 0) return eval_error(ev, sp, "E0307", "float %s by zero", op == OP_MOD ? "modulo" : "floor division");
    double m = fmod(a, b);
    if (m != 0 && ((m < 0) != (b < 0))) m += b;
    if (op == OP_MOD) return val_float(ev, m);
    return val_float(ev, floor((a - m) / b + 0.5) == (a - m) / b ? (a - m) / b : floor(a / b));
  }
  case OP_POW:
    if (a == 0 && b < 0) return eval_error(ev, sp, "E0307", "0.0 cannot be raised to a negative power");
    if (a < 0 && b != floor(b))
      return eval_error(ev, sp, "E0306", "negative number cannot be raised to a fractional power");
    return val_float(ev, pow(a, b));
  default: return NULL;
  }
}

static Value *seq_repeat(Eval *ev, Value *s, int64_t k, Span sp) {
  if (k < 0) k = 0;
  if (s->kind == V_STR) {
    if (s->u.str.len && (uint64_t)k > (uint64_t)1 << 40) return eval_error(ev, sp, "E0314", "repeated string is too long");
    size_t n = s->u.str.len * (size_t)k;
    if (!eval_check_mem(ev, n, sp)) return NULL;
    char *p = eval_alloc(ev, n + 1);
    for (int64_t i = 0; i < k; i++) memcpy(p + (size_t)i * s->u.str.len, s->u.str.s, s->u.str.len);
    Value *v = val_strn(ev, "", 0);
    v->u.str.s = p;
    v->u.str.len = n;
    return v;
  }
  int n = s->u.list.n;
  if (n && k > INT_MAX / n) return eval_error(ev, sp, "E0314", "repeated %s is too large", val_type_name(s));
  if (!eval_check_mem(ev, (size_t)n * (size_t)k * sizeof(Value *), sp)) return NULL;
  Value *out = s->kind == V_LIST ? val_list(ev, (int)(n * k)) : val_tuple(ev, (int)(n * k));
  for (int64_t i = 0; i < k; i++)
    if (n) memcpy(out->u.list.items + i * n, s->u.list.items, sizeof(Value *) * (size_t)n);
  return out;
}

static Value *seq_concat(Eval *ev, Value *l, Value *r, Span sp) {
  /* doubling a list in a loop must hit the memory limit, not the host's */
  if ((int64_t)l->u.list.n + r->u.list.n > INT_MAX ||
      !eval_check_mem(ev, sizeof(Value *) * ((size_t)l->u.list.n + (size_t)r->u.list.n), sp))
    return ev->err ? NULL : eval_error(ev, sp, "E0314", "concatenated %s is too large", val_type_name(l));
  int n = l->u.list.n + r->u.list.n;
  Value *out = l->kind == V_LIST ? val_list(ev, n) : val_tuple(ev, n);
  if (l->u.list.n) memcpy(out->u.list.items, l->u.list.items, sizeof(Value *) * (size_t)l->u.list.n);
  if (r->u.list.n) memcpy(out->u.list.items + l->u.list.n, r->u.list.items, sizeof(Value *) * (size_t)r->u.list.n);
  return out;
}

static Value *ev_binop(Eval *ev, AstOp op, Value *l, Value *r, Span sp) {
  if (pyc_is_user(l) || pyc_is_user(r)) { /* pyclass: __add__ / __radd__ ... */
    bool found;
    Value *res = pyc_binop(ev, op, l, r, sp, &found);
    if (found) return res;
  }
  if (l->kind == V_EXT || r->kind == V_EXT) {
    Value *res = NULL;
    if (l->kind == V_EXT && l->u.ext.type->binop) res = l->u.ext.type->binop(ev, op, l, r, sp);
    if (!res && !ev->err && r->kind == V_EXT && r->u.ext.type->binop && r->u.ext.type != (l->kind == V_EXT ? l->u.ext.type : NULL))
      res = r->u.ext.type->binop(ev, op, l, r, sp);
    if (res || ev->err) return res;
    return unsupported(ev, op, l, r, sp);
  }
  if (is_intlike(l) && is_intlike(r)) {
    Value *res = int_binop(ev, op, ival(l), ival(r), sp);
    if (res || ev->err) return res;
    return unsupported(ev, op, l, r, sp);
  }
  if (is_num(l) && is_num(r)) {
    Value *res = float_binop(ev, op, fval(l), fval(r), sp);
    if (res || ev->err) return res;
    return unsupported(ev, op, l, r, sp);
  }
  switch (op) {
  case OP_ADD:
    if (l->kind == V_STR && r->kind == V_STR) {
      size_t n = l->u.str.len + r->u.str.len;
      if (!eval_check_mem(ev, n + 1, sp)) return NULL; /* s = s + s in a loop */
      char *p = eval_alloc(ev, n + 1);
      memcpy(p, l->u.str.s, l->u.str.len);
      memcpy(p + l->u.str.len, r->u.str.s, r->u.str.len);
      Value *v = val_strn(ev, "", 0);
      v->u.str.s = p;
      v->u.str.len = n;
      return v;
    }
    if ((l->kind == V_LIST && r->kind == V_LIST) || (l->kind == V_TUPLE && r->kind == V_TUPLE))
      return seq_concat(ev, l, r, sp);
    if (l->kind == V_LIST && r->kind != V_LIST && (r->kind == V_TUPLE || r->kind == V_STR))
      return eval_error(ev, sp, "E0302", "can only concatenate list (not \"%s\") to list", val_type_name(r));
    if (l->kind == V_STR && r->kind != V_STR)
      return eval_error(ev, sp, "E0302", "can only concatenate str (not \"%s\") to str", val_type_name(r));
    break;
  case OP_MUL:
    if ((l->kind == V_STR || l->kind == V_LIST || l->kind == V_TUPLE) && is_intlike(r))
      return seq_repeat(ev, l, ival(r), sp);
    if ((r->kind == V_STR || r->kind == V_LIST || r->kind == V_TUPLE) && is_intlike(l))
      return seq_repeat(ev, r, ival(l), sp);
    break;
  case OP_MOD:
    if (l->kind == V_STR) return py_str_mod(ev, l, r, sp);
    break;
  default: break;
  }
  return unsupported(ev, op, l, r, sp);
}

static Value *unop(Eval *ev, AstOp op, Value *v, Span sp) {
  if (v->kind == V_EXT) {
    Value *r = v->u.ext.type->unop ? v->u.ext.type->unop(ev, op, v, sp) : NULL;
    if (r || ev->err) return r;
  } else if (is_intlike(v)) {
    int64_t i = ival(v);
    if (op == OP_NEG) return i == INT64_MIN ? overflow(ev, sp, "-") : val_int(ev, -i);
    if (op == OP_POS) return val_int(ev, i);
    if (op == OP_INVERT) return val_int(ev, ~i);
  } else if (v->kind == V_FLOAT) {
    if (op == OP_NEG) return val_float(ev, -v->u.f);
    if (op == OP_POS) return v;
  }
  return eval_error(ev, sp, "E0302", "bad operand type for unary %s: '%s'", ast_op_name(op), val_type_name(v));
}

static int contains(Eval *ev, Value *container, Value *x, Span sp) {
  if (pyc_is_user(container)) { /* pyclass: __contains__, else iteration */
    bool found;
    Value *r = pyc_call_dunder(ev, container, "__contains__", &x, 1, sp, &found);
    if (found) return r ? eval_truthy(ev, r, sp) : -1;
    if (!container->u.inst->cls->is_tuple) {
      if (!pyc_has_dunder(container, "__iter__")) {
        eval_error(ev, sp, "E0302", "argument of type '%s' is not iterable", val_type_name(container));
        return -1;
      }
      Value *items = eval_iter_list(ev, container, sp);
      if (!items) return -1;
      container = items;
    }
  }
  switch (container->kind) {
  case V_STR:
    if (x->kind != V_STR)
      return eval_error(ev, sp, "E0302", "'in <string>' requires string as left operand, not %s", val_type_name(x)), -1;
    if (!x->u.str.len) return 1;
    for (size_t i = 0; i + x->u.str.len <= container->u.str.len; i++)
      if (memcmp(container->u.str.s + i, x->u.str.s, x->u.str.len) == 0) return 1;
    return 0;
  case V_LIST: case V_TUPLE: case V_INSTANCE: {
    int n = container->kind == V_INSTANCE ? container->u.inst->cls->nfields : container->u.list.n;
    Value **items = container->kind == V_INSTANCE ? container->u.inst->vals : container->u.list.items;
    for (int i = 0; i < n; i++) {
      int eq = val_equal_r(items[i], x);
      if (eq < 0) return eval_error(ev, sp, "E0312", "maximum recursion depth exceeded in comparison"), -1;
      if (eq) return 1;
    }
    return 0;
  }
  case V_DICT:
    if (!val_key_ok(ev, x, sp)) return -1;
    return dict_get(container->u.dict, x) != NULL;
  case V_EXT:
    if (container->u.ext.type->items && (!strcmp(container->u.ext.type->name, "set") ||
        !strcmp(container->u.ext.type->name, "frozenset") || !strcmp(container->u.ext.type->name, "ndarray") ||
        !strcmp(container->u.ext.type->name, "iterator"))) { /* pymod: py_modules.c's containers */
      Value *l = container->u.ext.type->items(ev, container, sp);
      if (!l) return -1;
      for (int i = 0; i < l->u.list.n; i++) {
        int r = val_equal_r(l->u.list.items[i], x);
        if (r) return r;
      }
      return 0;
    }
    if (container->u.ext.type == &py_range_type && is_intlike(x)) {
      RangeObj *r = container->u.ext.data;
      int64_t i = ival(x), n = py_range_len(r);
      if (n == 0) return 0;
      /* unsigned distances: i - start may not fit in int64 */
      if (r->step > 0 ? i < r->start : i > r->start) return 0;
      uint64_t dist = r->step > 0 ? (uint64_t)i - (uint64_t)r->start : (uint64_t)r->start - (uint64_t)i;
      uint64_t st = r->step > 0 ? (uint64_t)r->step : (uint64_t)0 - (uint64_t)r->step;
      return dist % st == 0 && dist / st < (uint64_t)n;
    }
    break;
  default: break;
  }
  eval_error(ev, sp, "E0302", "argument of type '%s' is not iterable", val_type_name(container));
  return -1;
}

/* One comparison a OP b; returns a bool value, or a graph value for tensors. */
static Value *compare(Eval *ev, AstOp op, Value *a, Value *b, Span sp) {
  int r;
  if ((pyc_is_user(a) || pyc_is_user(b)) && op != OP_IS && op != OP_IS_NOT && op != OP_IN && op != OP_NOT_IN) {
    bool found; /* pyclass: __eq__, __lt__, ... and their reflections; != is not == */
    Value *res = pyc_binop(ev, op, a, b, sp, &found);
    if (found) return res;
    if (op == OP_NE) {
      res = pyc_binop(ev, OP_EQ, a, b, sp, &found);
      if (found) {
        if (!res) return NULL;
        int t = eval_truthy(ev, res, sp);
        return t < 0 ? NULL : val_bool(ev, !t);
      }
    }
    if (op != OP_EQ && op != OP_NE && !(a->kind == V_INSTANCE && a->u.inst->cls->is_tuple &&
                                        b->kind == V_INSTANCE && b->u.inst->cls->is_tuple))
      return eval_error(ev, sp, "E0302", "'%s' not supported between instances of '%s' and '%s'", ast_op_name(op),
                        val_type_name(a), val_type_name(b));
  }
  switch (op) {
  case OP_EQ: case OP_NE:
    if ((r = val_equal_r(a, b)) < 0)
      return eval_error(ev, sp, "E0312", "maximum recursion depth exceeded in comparison");
    return val_bool(ev, op == OP_EQ ? r : !r);
  case OP_IS: return val_bool(ev, a == b || (a->kind == V_EXT && b->kind == V_EXT && a->u.ext.data == b->u.ext.data));
  case OP_IS_NOT: return val_bool(ev, !(a == b || (a->kind == V_EXT && b->kind == V_EXT && a->u.ext.data == b->u.ext.data)));
  case OP_IN: case OP_NOT_IN:
    r = contains(ev, b, a, sp);
    if (r < 0) return NULL;
    return val_bool(ev, op == OP_IN ? r : !r);
  default: break;
  }
  if (a->kind == V_EXT || b->kind == V_EXT) return eval_binop(ev, op, a, b, sp);
  switch (op) {
  case OP_LT: r = val_less(ev, a, b, sp); break;
  case OP_GT: r = val_less(ev, b, a, sp); break;
  case OP_LE: r = val_less(ev, b, a, sp); if (r >= 0) r = !r; break;
  case OP_GE: r = val_less(ev, a, b, sp); if (r >= 0) r = !r; break;
  default: r = -1; break;
  }
  if (r < 0) {
    if (!ev->err) return NULL;
    /* name the real operator, not the '<' used to implement it */
    if (strcmp(ev->err_code, "E0302")) return NULL; /* a RecursionError */
    ev->err_msg = arena_printf(ev->arena, "'%s' not supported between instances of '%s' and '%s'",
                               ast_op_name(op), val_type_name(a), val_type_name(b));
    return NULL;
  }
  /* NaN compares false both ways: <= is not "not >" then */
  if ((op == OP_LE || op == OP_GE) && is_num(a) && is_num(b) && (isnan(fval(a)) || isnan(fval(b))))
    return val_bool(ev, false);
  return val_bool(ev, r);
}

/* ---- indexing ---- */

static bool norm_index(Eval *ev, Value *idx, int64_t n, const char *what, Span sp, int64_t *out) {
  if (!is_intlike(idx)) {
    eval_error(ev, sp, "E0302", "%s indices must be integers or slices, not %s", what, val_type_name(idx));
    return false;
  }
  int64_t i = ival(idx);
  if (i < 0) i += n;
  if (i < 0 || i >= n) {
    eval_error(ev, sp, "E0305", "%s index out of range", what);
    eval_note(ev, sp, "index is %lld, length is %lld", (long long)ival(idx), (long long)n);
    return false;
  }
  *out = i;
  return true;
}

/* Python's slice.indices(): clamps LO/HI and returns the element count. */
static bool slice_indices(Eval *ev, SliceObj *s, int64_t n, Span sp, int64_t *start, int64_t *step, int64_t *count) {
  int64_t st = 1, lo, hi;
  if (s->step->kind != V_NONE) {
    if (!eval_to_int(ev, s->step, sp, "slice step", &st)) return false;
    if (st == 0) { eval_error(ev, sp, "E0306", "slice step cannot be zero"); return false; }
  }
  if (s->lo->kind == V_NONE) lo = st < 0 ? n - 1 : 0;
  else {
    if (!eval_to_int(ev, s->lo, sp, "slice index", &lo)) return false;
    if (lo < 0) { lo += n; if (lo < 0) lo = st < 0 ? -1 : 0; }
    else if (lo >= n) lo = st < 0 ? n - 1 : n;
  }
  if (s->hi->kind == V_NONE) hi = st < 0 ? -1 : n;
  else {
    if (!eval_to_int(ev, s->hi, sp, "slice index", &hi)) return false;
    if (hi < 0) { hi += n; if (hi < 0) hi = st < 0 ? -1 : 0; }
    else if (hi >= n) hi = st < 0 ? n - 1 : n;
  }
  int64_t c = slimrt_ck_span_count(lo, hi, st);
  *start = lo;
  *step = st;
  *count = c;
  return true;
}

static Value *index_value(Eval *ev, Value *obj, Value *idx, Span sp) {
  bool is_slice = val_is_ext(idx, &val_slice_type);
  if (pyc_is_user(obj)) { /* pyclass: __getitem__ */
    bool found;
    Value *r = pyc_call_dunder(ev, obj, "__getitem__", &idx, 1, sp, &found);
    if (found) return r;
    if (!obj->u.inst->cls->is_tuple)
      return eval_error(ev, sp, "E0302", "'%s' object is not subscriptable", val_type_name(obj));
  }
  switch (obj->kind) {
  case V_LIST: case V_TUPLE: case V_STR: case V_INSTANCE: {
    int64_t n = val_len(obj);
    const char *what = obj->kind == V_LIST ? "list" : obj->kind == V_STR ? "string" : "tuple";
    if (is_slice) {
      int64_t start, step, count;
      if (!slice_indices(ev, idx->u.ext.data, n, sp, &start, &step, &count)) return NULL;
      if (obj->kind == V_STR) {
        char *p = eval_alloc(ev, (size_t)count + 1);
        for (int64_t i = 0; i < count; i++) p[i] = obj->u.str.s[start + i * step];
        Value *v = val_strn(ev, "", 0);
        v->u.str.s = p;
        v->u.str.len = (size_t)count;
        return v;
      }
      Value **src = obj->kind == V_INSTANCE ? obj->u.inst->vals : obj->u.list.items;
      Value *out = obj->kind == V_LIST ? val_list(ev, (int)count) : val_tuple(ev, (int)count);
      for (int64_t i = 0; i < count; i++) out->u.list.items[i] = src[start + i * step];
      return out;
    }
    int64_t i;
    if (!norm_index(ev, idx, n, what, sp, &i)) return NULL;
    if (obj->kind == V_STR) return val_strn(ev, obj->u.str.s + i, 1);
    if (obj->kind == V_INSTANCE) return obj->u.inst->vals[i];
    return obj->u.list.items[i];
  }
  case V_DICT: {
    if (!val_key_ok(ev, idx, sp)) return NULL;
    Value *v = dict_get(obj->u.dict, idx);
    if (!v) return eval_error(ev, sp, "E0305", "KeyError: %s", val_repr(ev, idx));
    return v;
  }
  case V_EXT:
    if (obj->u.ext.type == &py_range_type) {
      RangeObj *r = obj->u.ext.data;
      int64_t n = py_range_len(r), i;
      if (is_slice) {
        int64_t start, step, count;
        if (!slice_indices(ev, idx->u.ext.data, n, sp, &start, &step, &count)) return NULL;
        RangeObj *o = eval_alloc(ev, sizeof *o);
        /* every element picked lies in R, so only the new step can overflow */
        o->start = count ? slimrt_ck_nth(r->start, r->step, start) : 0;
        o->step = 1;
        if (count > 1 && slimrt_ck_mul(r->step, step, &o->step))
          return eval_error(ev, sp, "E0308", "the step of the sliced range does not fit in 64 bits (compile-time ints are 64-bit)");
        /* one past the last element; the last one is strictly inside R's bounds */
        o->stop = count ? slimrt_ck_nth(o->start, o->step, count - 1) + (o->step > 0 ? 1 : -1) : 0;
        return val_ext(ev, &py_range_type, o);
      }
      if (!norm_index(ev, idx, n, "range object", sp, &i)) return NULL;
      return val_int(ev, slimrt_ck_nth(r->start, r->step, i));
    }
    if (obj->u.ext.type->index) return obj->u.ext.type->index(ev, obj, idx, sp);
    break;
  default: break;
  }
  return eval_error(ev, sp, "E0302", "'%s' object is not subscriptable", val_type_name(obj));
}

static Value *make_slice(Eval *ev, Env *env, Ast *n) {
  SliceObj *s = eval_alloc(ev, sizeof *s);
  Ast *parts[3] = {n->u.slice.lo, n->u.slice.hi, n->u.slice.step};
  Value **out[3] = {&s->lo, &s->hi, &s->step};
  for (int i = 0; i < 3; i++) {
    if (!parts[i]) { *out[i] = val_none(ev); continue; }
    if (!(*out[i] = eval_expr(ev, env, parts[i]))) return NULL;
  }
  return val_ext(ev, &val_slice_type, s);
}

static Value *eval_index_expr(Eval *ev, Env *env, Ast *n) {
  if (n->kind == AST_SLICE) return make_slice(ev, env, n);
  if (n->kind == AST_TUPLE) {
    Value *t = val_tuple(ev, n->u.list.items.n);
    for (int i = 0; i < n->u.list.items.n; i++)
      if (!(t->u.list.items[i] = eval_index_expr(ev, env, n->u.list.items.items[i]))) return NULL;
    return t;
  }
  return eval_expr(ev, env, n);
}

/* ---- attributes ---- */

static Module *user_module(Eval *ev, const char *dotted);

static Value *ev_getattr(Eval *ev, Value *obj, const char *name, Span sp) {
  Value *v = NULL;
  switch (obj->kind) {
  case V_NAMESPACE: {
    v = ns_get(obj, name);
    if (v) return v;
    { /* pymod: CPython's words for a module still running its own imports */
      Module *um = user_module(ev, obj->u.ns->name);
      if (um && !um->done && um->ns == obj)
        return eval_error(ev, sp, "E0304", "partially initialized module '%s' has no attribute '%s' (most likely due "
                          "to a circular import)", obj->u.ns->name, name);
    }
    PtrVec names = {0};
    Value *k;
    for (int it = 0; dict_next(obj->u.ns->attrs, &it, &k, NULL);) ptrvec_push(ev->arena, &names, (void *)k->u.str.s);
    const char *sug = eval_suggest(name, (const char *const *)names.items, names.n);
    if (sug)
      return eval_error(ev, sp, "E0304", "module '%s' has no attribute '%s'; did you mean '%s'?", obj->u.ns->name,
                        name, sug);
    return eval_error(ev, sp, "E0304", "module '%s' has no attribute '%s'", obj->u.ns->name, name);
  }
  case V_INSTANCE:
    if (obj->u.inst->cls->user) { /* pyclass */
      v = pyc_getattr_inst(ev, obj, name, sp);
      if (v || ev->err) return v;
      return eval_error(ev, sp, "E0304", "'%s' object has no attribute '%s'", val_type_name(obj), name);
    }
    for (int i = 0; i < obj->u.inst->cls->nfields; i++)
      if (strcmp(obj->u.inst->cls->fields[i], name) == 0) return obj->u.inst->vals[i];
    break;
  case V_CLASS:
    if (obj->u.cls->user) { /* pyclass */
      v = pyc_getattr_class(ev, obj->u.cls, name, sp);
      if (v || ev->err) return v;
      return eval_error(ev, sp, "E0304", "type object '%s' has no attribute '%s'", obj->u.cls->name, name);
    }
    break;
  case V_EXT:
    if (obj->u.ext.type->getattr) {
      v = obj->u.ext.type->getattr(ev, obj, name, sp);
      if (v || ev->err) return v;
    }
    break;
  default: break;
  }
  v = py_attr(ev, obj, name, sp);
  if (v || ev->err) return v;
  if (obj->kind == V_INSTANCE) {
    const char *sug = eval_suggest(name, obj->u.inst->cls->fields, obj->u.inst->cls->nfields);
    if (sug)
      return eval_error(ev, sp, "E0304", "'%s' object has no attribute '%s'; did you mean '%s'?",
                        val_type_name(obj), name, sug);
  }
  return eval_error(ev, sp, "E0304", "'%s' object has no attribute '%s'", val_type_name(obj), name);
}

/* ---- assignment ---- */

static bool assign(Eval *ev, Env *env, Ast *t, Value *v);

static bool unpack(Eval *ev, Env *env, Ast *t, Value *v) {
  AstList *tl = &t->u.list.items;
  Value *items;
  if (v->kind == V_LIST || v->kind == V_TUPLE) items = v;
  else if (v->kind == V_EXT && v->u.ext.type != &py_range_type && !v->u.ext.type->items) {
    eval_error(ev, t->span, "E0302", "cannot unpack non-iterable %s object", val_type_name(v));
    return false;
  } else {
    if (!is_num(v) && v->kind != V_NONE) items = eval_iter_list(ev, v, t->span);
    else items = NULL;
    if (!items) {
      if (!ev->err) eval_error(ev, t->span, "E0302", "cannot unpack non-iterable %s object", val_type_name(v));
      else ev->err_msg = arena_printf(ev->arena, "cannot unpack non-iterable %s object", val_type_name(v));
      return false;
    }
  }
  int n = items->u.list.n, star = -1;
  for (int i = 0; i < tl->n; i++)
    if (tl->items[i]->kind == AST_STARRED) star = i;
  if (star < 0) {
    if (n < tl->n) {
      eval_error(ev, t->span, "E0306", "not enough values to unpack (expected %d, got %d)", tl->n, n);
      return false;
    }
    if (n > tl->n) {
      eval_error(ev, t->span, "E0306", "too many values to unpack (expected %d)", tl->n);
      return false;
    }
    for (int i = 0; i < n; i++)
      if (!assign(ev, env, tl->items[i], items->u.list.items[i])) return false;
    return true;
  }
  int after = tl->n - star - 1;
  if (n < tl->n - 1) {
    eval_error(ev, t->span, "E0306", "not enough values to unpack (expected at least %d, got %d)", tl->n - 1, n);
    return false;
  }
  for (int i = 0; i < star; i++)
    if (!assign(ev, env, tl->items[i], items->u.list.items[i])) return false;
  Value *rest = val_list_of(ev, items->u.list.items + star, n - star - after);
  if (!assign(ev, env, tl->items[star]->u.un.operand, rest)) return false;
  for (int i = 0; i < after; i++)
    if (!assign(ev, env, tl->items[star + 1 + i], items->u.list.items[n - after + i])) return false;
  return true;
}

static bool store_index(Eval *ev, Value *obj, Value *idx, Value *v, Span sp) {
  if (obj->kind == V_LIST) {
    if (val_is_ext(idx, &val_slice_type)) {
      int64_t start, step, count;
      if (!slice_indices(ev, idx->u.ext.data, obj->u.list.n, sp, &start, &step, &count)) return false;
      Value *src = eval_iter_list(ev, v, sp);
      if (!src) return false;
      if (step != 1) {
        if (src->u.list.n != count) {
          eval_error(ev, sp, "E0306", "attempt to assign sequence of size %d to extended slice of size %lld",
                     src->u.list.n, (long long)count);
          return false;
        }
        for (int64_t i = 0; i < count; i++) obj->u.list.items[start + i * step] = src->u.list.items[i];
        return true;
      }
      Value *out = val_list_of(ev, obj->u.list.items, (int)start);
      for (int i = 0; i < src->u.list.n; i++) val_list_append(ev, out, src->u.list.items[i]);
      for (int64_t i = start + count; i < obj->u.list.n; i++) val_list_append(ev, out, obj->u.list.items[i]);
      obj->u.list = out->u.list;
      return true;
    }
    int64_t i;
    if (!norm_index(ev, idx, obj->u.list.n, "list assignment", sp, &i)) return false;
    obj->u.list.items[i] = v;
    return true;
  }
  if (obj->kind == V_DICT) {
    if (!val_key_ok(ev, idx, sp)) return false;
    dict_set(ev, obj->u.dict, idx, v);
    return true;
  }
  eval_error(ev, sp, "E0302", "'%s' object does not support item assignment", val_type_name(obj));
  return false;
}

static bool assign(Eval *ev, Env *env, Ast *t, Value *v) {
  switch (t->kind) {
  case AST_NAME: bind(ev, env, t->u.name, v); return true;
  case AST_TUPLE: case AST_LIST: return unpack(ev, env, t, v);
  case AST_INDEX: {
    Value *obj = eval_expr(ev, env, t->u.index.obj);
    if (!obj) return false;
    Value *idx = eval_index_expr(ev, env, t->u.index.index);
    if (!idx) return false;
    return store_index(ev, obj, idx, v, t->span);
  }
  case AST_ATTR: {
    Value *obj = eval_expr(ev, env, t->u.attr.obj);
    if (!obj) return false;
    if (pyc_setattr(ev, obj, t->u.attr.name, v, t->span)) return true; /* pyclass */
    if (ev->err) return false;
    if (obj->kind == V_INSTANCE) /* a namedtuple's field: CPython's read-only descriptor text */
      for (int i = 0; i < obj->u.inst->cls->nfields; i++)
        if (!strcmp(obj->u.inst->cls->fields[i], t->u.attr.name)) {
          eval_error(ev, t->span, "E0304", "can't set attribute");
          return false;
        }
    eval_error(ev, t->span, "E0304", "cannot set attribute '%s' of a '%s' object", t->u.attr.name,
               val_type_name(obj));
    return false;
  }
  case AST_STARRED:
    eval_error(ev, t->span, "E0306", "starred assignment target must be in a list or tuple");
    return false;
  default:
    eval_error(ev, t->span, "E0306", "cannot assign to %s", ast_kind_name(t->kind));
    return false;
  }
}

/* ---- calls ---- */




static ParamSpec *func_spec(Eval *ev, Ast *def) {
  AstList *pl = &def->u.fn.params;
  ParamSpec *ps = eval_alloc(ev, sizeof *ps);
  ps->star = ps->dstar = -1;
  ps->names = eval_alloc(ev, sizeof(char *) * (size_t)(pl->n + 1));
  ps->has_default = eval_alloc(ev, sizeof(bool) * (size_t)(pl->n + 1));
  bool kwonly = false;
  int k = 0;
  for (int i = 0; i < pl->n; i++) {
    Ast *p = pl->items[i];
    if (p->u.param.kind == PARAM_STAR) { kwonly = true; if (p->u.param.name) ps->star = -2; continue; }
    if (p->u.param.kind == PARAM_DSTAR) { ps->dstar = -2; continue; }
    ps->names[k] = p->u.param.name;
    ps->has_default[k] = p->u.param.deflt != NULL;
    k++;
    if (kwonly) ps->nkwonly++;
    else ps->npos++;
  }
  if (ps->star == -2) ps->star = k++;
  if (ps->dstar == -2) ps->dstar = k++;
  return ps;
}

typedef struct FuncInfo { const Table *locals; ParamSpec *spec; const Table *decls; bool generator; } FuncInfo;
static const Table *decls_of(Eval *ev, Ast *def, bool *generator);

static FuncInfo *func_info(Eval *ev, Ast *def) {
  FuncInfo *fi = pm_get(&ev->localsets, def);
  if (fi) return fi;
  fi = eval_alloc(ev, sizeof *fi);
  fi->locals = localset(ev, def);
  fi->decls = decls_of(ev, def, &fi->generator);
  fi->spec = func_spec(ev, def);
  pm_put(ev, &ev->localsets, def, fi);
  return fi;
}

static bool push_frame(Eval *ev, Frame *fr, const char *name, Span call) {
  if (ev->depth >= ev->opt.max_depth) {
    eval_error(ev, call, "E0312", "maximum recursion depth exceeded"); /* CPython's RecursionError text */
    eval_note(ev, call, "the call depth limit is %d (calling '%s')", ev->opt.max_depth, name);
    return false;
  }
  fr->prev = ev->frame;
  fr->name = name;
  fr->call = call;
  ev->frame = fr;
  ev->depth++;
  return true;
}

static void pop_frame(Eval *ev, Frame *fr) {
  ev->frame = fr->prev;
  ev->depth--;
}

static Value *gen_new(Eval *ev, Func *f, Env *env, Span call);
static Value *call_func(Eval *ev, Func *f, const Args *a) {
  Ast *def = f->def;
  FuncInfo *fi = func_info(ev, def);
  ParamSpec *ps = fi->spec;
  int nslots = ps->npos + ps->nkwonly + (ps->star >= 0) + (ps->dstar >= 0);
  Value *stackv[16];
  Value **out = nslots <= 16 ? stackv : eval_alloc(ev, sizeof(Value *) * (size_t)nslots);
  memset(out, 0, sizeof(Value *) * (size_t)nslots);
  if (eval_bind_spec(ev, f->qualname ? f->qualname : f->name, ps, a, out, true) < 0) {
    eval_note(ev, def->span, "'%s' defined here", f->name);
    return NULL;
  }
  Env *env = eval_alloc(ev, sizeof *env);
  env->parent = f->closure;
  env->locals = fi->locals;
  env->mod = f->closure ? f->closure->mod : NULL;
  env->decls = fi->decls;
  env->fdef = def;
  /* defaults are per param in declaration order; map them to spec slots */
  AstList *pl = &def->u.fn.params;
  int k = 0;
  for (int i = 0; i < pl->n; i++) {
    Ast *p = pl->items[i];
    if (p->u.param.kind == PARAM_STAR || p->u.param.kind == PARAM_DSTAR) continue;
    Value *v = out[k];
    if (!v) v = f->defaults ? f->defaults[i] : NULL;
    if (!v) v = val_none(ev);
    bind(ev, env, p->u.param.name, v);
    k++;
  }
  for (int i = 0; i < pl->n; i++) {
    Ast *p = pl->items[i];
    if (p->u.param.kind == PARAM_STAR && p->u.param.name) bind(ev, env, p->u.param.name, out[ps->star]);
    if (p->u.param.kind == PARAM_DSTAR) bind(ev, env, p->u.param.name, out[ps->dstar]);
  }
  if (fi->generator) return gen_new(ev, f, env, a->call_span); /* pyexc: the body runs on next() */
  Frame fr;
  if (!push_frame(ev, &fr, f->name, a->call_span)) return NULL;
  Value *result;
  if (def->kind == AST_LAMBDA) {
    result = eval_expr(ev, env, def->u.fn.body.items[0]);
  } else {
    enum Flow fl = exec_block(ev, env, &def->u.fn.body);
    result = fl == F_ERROR ? NULL : fl == F_RETURN ? ev->retval : val_none(ev);
    ev->retval = NULL;
  }
  pop_frame(ev, &fr);
  if (!result) chain_note(ev, a->call_span, "in call to '%s'", f->name);
  return result;
}


/* CPython names the generated constructor: "P.__new__() missing 1 required ..." */
static Value *make_instance(Eval *ev, ClassT *c, const Args *a) { return eval_nt_new(ev, c, c->name, a); }

static Value *ev_call(Eval *ev, Value *fn, const Args *a) {
  if (!eval_step(ev, a->call_span)) return NULL;
  switch (fn->kind) {
  case V_FUNC: return call_func(ev, fn->u.func, a);
  case V_BUILTIN: {
    Builtin *b = fn->u.builtin;
    if (b->params) {
      int n = 0;
      while (b->params[n]) n++;
      Value **tmp = eval_alloc(ev, sizeof(Value *) * (size_t)(n + 1));
      if (eval_bind_checked(ev, b->name, b->params, b->nrequired, a, tmp) < 0) return NULL;
    }
    /* builtins see the call span through eval_call_span() */
    Frame fr = {ev->frame, b->name, a->call_span};
    ev->frame = &fr;
    Value *r = b->fn(ev, a, b->data);
    ev->frame = fr.prev;
    return r;
  }
  case V_PARTIAL: {
    Partial *p = fn->u.partial;
    Args m = *a;
    m.npos = p->args.npos + a->npos;
    m.pos = eval_alloc(ev, sizeof(Value *) * (size_t)(m.npos + 1));
    m.pos_spans = eval_alloc(ev, sizeof(Span) * (size_t)(m.npos + 1));
    for (int i = 0; i < p->args.npos; i++) {
      m.pos[i] = p->args.pos[i];
      m.pos_spans[i] = a->call_span;
    }
    for (int i = 0; i < a->npos; i++) {
      m.pos[p->args.npos + i] = a->pos[i];
      m.pos_spans[p->args.npos + i] = a->pos_spans ? a->pos_spans[i] : a->call_span;
    }
    /* call-time keywords override the stored ones */
    int nkw = 0;
    m.kw = eval_alloc(ev, sizeof(char *) * (size_t)(p->args.nkw + a->nkw + 1));
    m.kwv = eval_alloc(ev, sizeof(Value *) * (size_t)(p->args.nkw + a->nkw + 1));
    m.kw_spans = eval_alloc(ev, sizeof(Span) * (size_t)(p->args.nkw + a->nkw + 1));
    for (int i = 0; i < p->args.nkw; i++) {
      bool over = false;
      for (int j = 0; j < a->nkw; j++) over |= strcmp(a->kw[j], p->args.kw[i]) == 0;
      if (over) continue;
      m.kw[nkw] = p->args.kw[i];
      m.kwv[nkw] = p->args.kwv[i];
      m.kw_spans[nkw++] = a->call_span;
    }
    for (int j = 0; j < a->nkw; j++) {
      m.kw[nkw] = a->kw[j];
      m.kwv[nkw] = a->kwv[j];
      m.kw_spans[nkw++] = a->kw_spans ? a->kw_spans[j] : a->call_span;
    }
    m.nkw = nkw;
    return eval_call(ev, p->fn, &m);
  }
  case V_CLASS:
    if (fn->u.cls->user) return pyc_call_class(ev, fn->u.cls, a); /* pyclass */
    return make_instance(ev, fn->u.cls, a);
  case V_INSTANCE:
    if (pyc_is_user(fn) && pyc_has_dunder(fn, "__call__")) { /* pyclass */
      Value *m = eval_getattr(ev, fn, "__call__", a->call_span);
      return m ? eval_call(ev, m, a) : NULL;
    }
    break;
  case V_EXT:
    if (fn->u.ext.type->call) return fn->u.ext.type->call(ev, fn, a);
    break;
  default: break;
  }
  return eval_error(ev, a->call_span, "E0302", "'%s' object is not callable", val_type_name(fn));
}


static Value *zero_arg_super(Eval *ev, Env *env, Span sp);

static Value *eval_call_expr(Eval *ev, Env *env, Ast *n) {
  Value *fn = eval_expr(ev, env, n->u.call.fn);
  if (!fn) return NULL;
  if (n->u.call.args.n == 0 && n->u.call.fn->kind == AST_NAME && fn == eval_get_global(ev, "super") &&
      !strcmp(n->u.call.fn->u.name, "super")) /* pyclass */
    return zero_arg_super(ev, env, n->span);
  AstList *al = &n->u.call.args;
  int cap = al->n + 4;
  Args a = {.call_span = n->span};
  a.pos = eval_alloc(ev, sizeof(Value *) * (size_t)cap);
  a.pos_spans = eval_alloc(ev, sizeof(Span) * (size_t)cap);
  a.kw = eval_alloc(ev, sizeof(char *) * (size_t)cap);
  a.kwv = eval_alloc(ev, sizeof(Value *) * (size_t)cap);
  a.kw_spans = eval_alloc(ev, sizeof(Span) * (size_t)cap);
  int pcap = cap, kcap = cap;
  Table seen_kw = {0};
  for (int i = 0; i < al->n; i++) {
    Ast *arg = al->items[i];
    Ast *ve = arg->kind == AST_ARG ? arg->u.arg.value : arg;
    AstArgKind kind = arg->kind == AST_ARG ? arg->u.arg.kind : ARG_POS;
    Value *v = eval_expr(ev, env, ve);
    if (!v) return NULL;
    Value **extra = NULL;
    int nextra = 0;
    if (kind == ARG_POS) {
      extra = &v;
      nextra = 1;
    } else if (kind == ARG_STAR) {
      Value *l = eval_iter_list(ev, v, ve->span);
      if (!l) {
        ev->err_msg = arena_printf(ev->arena, "%s() argument after * must be an iterable, not %s",
                                   eval_callable_name(fn), val_type_name(v));
        return NULL;
      }
      extra = l->u.list.items;
      nextra = l->u.list.n;
    }
    if (kind == ARG_POS || kind == ARG_STAR) {
      if (a.npos + nextra > pcap) {
        int nc = (a.npos + nextra) * 2;
        a.pos = arena_realloc(ev->arena, a.pos, sizeof(Value *) * (size_t)pcap, sizeof(Value *) * (size_t)nc);
        a.pos_spans = arena_realloc(ev->arena, a.pos_spans, sizeof(Span) * (size_t)pcap, sizeof(Span) * (size_t)nc);
        pcap = nc;
      }
      for (int j = 0; j < nextra; j++) {
        a.pos[a.npos] = extra[j];
        a.pos_spans[a.npos++] = ve->span;
      }
      continue;
    }
    const char **names;
    Value **vals;
    int nk;
    const char *one;
    if (kind == ARG_KW) {
      one = arg->u.arg.name;
      names = &one;
      vals = &v;
      nk = 1;
    } else {
      if (v->kind != V_DICT)
        return eval_error(ev, ve->span, "E0302", "%s() argument after ** must be a mapping, not %s",
                          eval_callable_name(fn), val_type_name(v));
      nk = dict_len(v->u.dict);
      names = eval_alloc(ev, sizeof(char *) * (size_t)(nk + 1));
      vals = eval_alloc(ev, sizeof(Value *) * (size_t)(nk + 1));
      Value *k, *x;
      int j = 0;
      for (int it = 0; dict_next(v->u.dict, &it, &k, &x); j++) {
        if (k->kind != V_STR) return eval_error(ev, ve->span, "E0302", "keywords must be strings");
        if (!eval_str_nul_free(ev, k, ve->span, "keyword")) return NULL;
        names[j] = k->u.str.s;
        vals[j] = x;
      }
    }
    for (int j = 0; j < nk; j++) {
      /* repeated keywords: past a few, a hash set (100k keywords were 5*10^9 strcmp) */
      bool dup = false;
      if (a.nkw < 8) {
        for (int q = 0; q < a.nkw && !dup; q++) dup = strcmp(a.kw[q], names[j]) == 0;
      } else {
        for (int q = seen_kw.n; q < a.nkw; q++) tab_put(ev, &seen_kw, a.kw[q], hname(a.kw[q]), fn);
        dup = tab_find(&seen_kw, names[j], hname(names[j])) != NULL;
      }
      if (dup)
        return eval_error(ev, kind == ARG_KW ? arg->span : ve->span, "E0303",
                          "%s() got multiple values for keyword argument '%s'", eval_callable_name(fn), names[j]);
      if (a.nkw == kcap) {
        int nc = kcap * 2;
        a.kw = arena_realloc(ev->arena, a.kw, sizeof(char *) * (size_t)kcap, sizeof(char *) * (size_t)nc);
        a.kwv = arena_realloc(ev->arena, a.kwv, sizeof(Value *) * (size_t)kcap, sizeof(Value *) * (size_t)nc);
        a.kw_spans = arena_realloc(ev->arena, a.kw_spans, sizeof(Span) * (size_t)kcap, sizeof(Span) * (size_t)nc);
        kcap = nc;
      }
      a.kw[a.nkw] = names[j];
      a.kwv[a.nkw] = vals[j];
      a.kw_spans[a.nkw++] = kind == ARG_KW ? arg->span : ve->span;
    }
  }
  return eval_call(ev, fn, &a);
}

/* ---- functions, lambdas, comprehensions ---- */

static Value *make_func(Eval *ev, Env *env, Ast *def, const char *name) {
  AstList *pl = &def->u.fn.params;
  Func *f = eval_alloc(ev, sizeof *f);
  f->name = name;
  f->def = def;
  f->closure = env;
  if (env->is_class) { /* pyclass: a class body is no enclosing scope of its functions */
    f->closure = env->parent;
    f->qualname = arena_printf(ev->arena, "%s.%s", env->qualname, name);
  }
  for (int i = 0; i < pl->n; i++) {
    Ast *p = pl->items[i];
    if (!p->u.param.deflt) continue;
    if (!f->defaults) f->defaults = eval_alloc(ev, sizeof(Value *) * (size_t)pl->n);
    if (!(f->defaults[i] = eval_expr(ev, env, p->u.param.deflt))) return NULL;
  }
  Value *v = eval_alloc(ev, sizeof *v);
  v->kind = V_FUNC;
  v->u.func = f;
  return v;
}

static bool comp_loop(Eval *ev, Env *cenv, Env *outer, Ast *n, int g, Value *out) {
  AstGen *gen = n->u.comp.gens[g];
  /* the first iterable is evaluated in the enclosing scope, as in Python */
  Value *it_v = eval_expr(ev, g == 0 ? outer : cenv, gen->iter);
  if (!it_v) return false;
  Iter it;
  if (!iter_init(ev, &it, it_v, gen->iter->span)) return false;
  for (Value *x; (x = iter_next(ev, &it));) {
    if (!eval_step(ev, n->span)) return false;
    if (!assign(ev, cenv, gen->target, x)) return false;
    bool ok = true;
    for (int c = 0; c < gen->conds.n && ok; c++) {
      Value *cv = eval_expr(ev, cenv, gen->conds.items[c]);
      if (!cv) return false;
      int t = eval_truthy(ev, cv, gen->conds.items[c]->span);
      if (t < 0) return false;
      ok = t;
    }
    if (!ok) continue;
    if (g + 1 < n->u.comp.ngens) {
      if (!comp_loop(ev, cenv, outer, n, g + 1, out)) return false;
      continue;
    }
    if (n->kind == AST_LISTCOMP) {
      Value *e = eval_expr(ev, cenv, n->u.comp.elt);
      if (!e) return false;
      val_list_append(ev, out, e);
    } else {
      Value *k = eval_expr(ev, cenv, n->u.comp.key);
      if (!k) return false;
      Value *e = eval_expr(ev, cenv, n->u.comp.elt);
      if (!e) return false;
      if (!val_key_ok(ev, k, n->u.comp.key->span)) return false;
      dict_set(ev, out->u.dict, k, e);
    }
  }
  return !ev->err;
}

static Value *eval_comp(Eval *ev, Env *env, Ast *n) {
  Env *cenv = eval_alloc(ev, sizeof *cenv);
  cenv->parent = env;
  cenv->mod = env->mod;
  Value *out = n->kind == AST_LISTCOMP ? val_list(ev, 0) : val_dict(ev);
  if (!comp_loop(ev, cenv, env, n, 0, out)) return NULL;
  return out;
}

/* ---- expressions ---- */

/* A left-deep chain of one kind, a + b - c ... or a or b or c ..., as the parser
   builds it: evaluated bottom-up in a loop, so a million terms need no C stack.
   The steps and the order of evaluation are those of the recursive form. */
static Value *eval_chain(Eval *ev, Env *env, Ast *n) {
  int k = 0;
  for (Ast *x = n; x->kind == n->kind; x = x->u.bin.lhs) k++;
  Ast *small[16], **spine = k <= 16 ? small : eval_alloc(ev, sizeof *spine * (size_t)k);
  k = 0;
  for (Ast *x = n; x->kind == n->kind; x = x->u.bin.lhs) spine[k++] = x;
  Value *l = eval_expr(ev, env, spine[k - 1]->u.bin.lhs);
  if (!l) return NULL;
  for (int i = k - 1; i >= 0; i--) {
    Ast *x = spine[i];
    if (i > 0 && !eval_step(ev, x->span)) return NULL; /* N's own step was counted by eval_expr */
    if (n->kind == AST_BINOP) {
      Value *r = eval_expr(ev, env, x->u.bin.rhs);
      if (!r || !(l = eval_binop(ev, x->u.bin.op, l, r, x->span))) return NULL;
      continue;
    }
    int t = eval_truthy(ev, l, x->u.bin.lhs->span);
    if (t < 0) return NULL;
    if ((n->kind == AST_AND) != (t != 0)) continue; /* short circuit: L is this level's value */
    if (!(l = eval_expr(ev, env, x->u.bin.rhs))) return NULL;
  }
  return l;
}

static Value *eval_expr(Eval *ev, Env *env, Ast *n) {
  if (!eval_step(ev, n->span)) return NULL;
  switch (n->kind) {
  case AST_NAME: return lookup(ev, env, n->u.name, n->span);
  case AST_INT: return val_int(ev, n->u.ival);
  case AST_FLOAT: return val_float(ev, n->u.fval);
  case AST_STR: {
    Value *v = eval_alloc(ev, sizeof *v); /* literal text lives as long as the AST */
    v->kind = V_STR;
    v->u.str.s = n->u.str.s;
    v->u.str.len = n->u.str.len;
    return v;
  }
  case AST_BOOL: return val_bool(ev, n->u.ival != 0);
  case AST_NONE: return val_none(ev);
  case AST_TUPLE: case AST_LIST: {
    AstList *l = &n->u.list.items;
    Value *out = n->kind == AST_LIST ? val_list(ev, 0) : val_tuple(ev, 0);
    for (int i = 0; i < l->n; i++) {
      Ast *e = l->items[i];
      if (e->kind == AST_STARRED) { /* [*a, b] */
        Value *v = eval_expr(ev, env, e->u.un.operand);
        if (!v) return NULL;
        Value *items = eval_iter_list(ev, v, e->span);
        if (!items) return NULL;
        for (int j = 0; j < items->u.list.n; j++) val_list_append(ev, out, items->u.list.items[j]);
        continue;
      }
      Value *v = eval_expr(ev, env, e);
      if (!v) return NULL;
      val_list_append(ev, out, v);
    }
    return out;
  }
  case AST_DICT: {
    Value *d = val_dict(ev);
    for (int i = 0; i < n->u.dict.keys.n; i++) {
      Ast *ke = n->u.dict.keys.items[i];
      Value *k = ke ? eval_expr(ev, env, ke) : NULL;
      if (ke && !k) return NULL;
      Value *v = eval_expr(ev, env, n->u.dict.values.items[i]);
      if (!v) return NULL;
      if (!ke) { /* {**other} */
        if (v->kind != V_DICT)
          return eval_error(ev, n->u.dict.values.items[i]->span, "E0302", "'%s' object is not a mapping",
                            val_type_name(v));
        Value *kk, *vv;
        for (int it = 0; dict_next(v->u.dict, &it, &kk, &vv);) dict_set(ev, d->u.dict, kk, vv);
        continue;
      }
      if (!val_key_ok(ev, k, ke->span)) return NULL;
      dict_set(ev, d->u.dict, k, v);
    }
    return d;
  }
  case AST_LISTCOMP: case AST_DICTCOMP: return eval_comp(ev, env, n);
  case AST_BINOP: case AST_AND: case AST_OR: return eval_chain(ev, env, n);
  case AST_UNOP: {
    Value *v = eval_expr(ev, env, n->u.un.operand);
    if (!v) return NULL;
    return unop(ev, n->u.un.op, v, n->span);
  }
  case AST_NOT: {
    Value *v = eval_expr(ev, env, n->u.un.operand);
    if (!v) return NULL;
    int t = eval_truthy(ev, v, n->u.un.operand->span);
    return t < 0 ? NULL : val_bool(ev, !t);
  }
  case AST_COMPARE: {
    Value *l = eval_expr(ev, env, n->u.cmp.first);
    if (!l) return NULL;
    Value *res = NULL;
    for (int i = 0; i < n->u.cmp.rest.n; i++) {
      Ast *re = n->u.cmp.rest.items[i];
      Value *r = eval_expr(ev, env, re);
      if (!r) return NULL;
      res = compare(ev, n->u.cmp.ops[i], l, r, n->span);
      if (!res) return NULL;
      if (i + 1 < n->u.cmp.rest.n) { /* a < b < c: stop at the first false link */
        int t = eval_truthy(ev, res, n->span);
        if (t < 0) return NULL;
        if (!t) return res;
      }
      l = r;
    }
    return res;
  }
  case AST_IFEXP: {
    Value *c = eval_expr(ev, env, n->u.ifexp.cond);
    if (!c) return NULL;
    int t = eval_truthy(ev, c, n->u.ifexp.cond->span);
    if (t < 0) return NULL;
    return eval_expr(ev, env, t ? n->u.ifexp.then : n->u.ifexp.els);
  }
  case AST_LAMBDA: return make_func(ev, env, n, "<lambda>");
  case AST_CALL: return eval_call_expr(ev, env, n);
  case AST_ATTR: {
    Value *o = eval_expr(ev, env, n->u.attr.obj);
    if (!o) return NULL;
    return eval_getattr(ev, o, n->u.attr.name, n->span);
  }
  case AST_INDEX: {
    Value *o = eval_expr(ev, env, n->u.index.obj);
    if (!o) return NULL;
    Value *i = eval_index_expr(ev, env, n->u.index.index);
    if (!i) return NULL;
    return index_value(ev, o, i, n->span);
  }
  case AST_SLICE: return make_slice(ev, env, n);
  case AST_STARRED: return eval_error(ev, n->span, "E0306", "can't use starred expression here");
  case AST_FSTRING: return eval_fstring(ev, env, n); /* pyexc */
  case AST_YIELD: case AST_YIELD_FROM: return eval_yield(ev, env, n);
  case AST_ERROR: return eval_error(ev, n->span, "E0300", "invalid expression");
  default: return eval_error(ev, n->span, "E0300", "%s is not an expression", ast_kind_name(n->kind));
  }
}

/* ---- locals analysis: a name assigned anywhere in a def is local to it ---- */

static void add_local(Eval *ev, Table *t, const char *name) {
  if (name) tab_put(ev, t, name, hname(name), val_none(ev));
}

static void target_names(Eval *ev, Table *t, Ast *tg) {
  if (!tg) return;
  switch (tg->kind) {
  case AST_NAME: add_local(ev, t, tg->u.name); break;
  case AST_TUPLE: case AST_LIST:
    for (int i = 0; i < tg->u.list.items.n; i++) target_names(ev, t, tg->u.list.items.items[i]);
    break;
  case AST_STARRED: target_names(ev, t, tg->u.un.operand); break;
  default: break;
  }
}

static void scan_locals(Eval *ev, Table *t, AstList *body) {
  for (int i = 0; i < body->n; i++) {
    Ast *s = body->items[i];
    switch (s->kind) {
    case AST_ASSIGN:
      for (int j = 0; j < s->u.assign.targets.n; j++) target_names(ev, t, s->u.assign.targets.items[j]);
      break;
    case AST_AUGASSIGN: target_names(ev, t, s->u.aug.target); break;
    case AST_FOR:
      target_names(ev, t, s->u.for_.target);
      scan_locals(ev, t, &s->u.for_.body);
      scan_locals(ev, t, &s->u.for_.orelse); /* pyexc */
      break;
    case AST_WHILE:
      scan_locals(ev, t, &s->u.while_.body);
      scan_locals(ev, t, &s->u.while_.orelse);
      break;
    /* pyexc */
    case AST_TRY:
      scan_locals(ev, t, &s->u.try_.body);
      for (int j = 0; j < s->u.try_.handlers.n; j++) {
        Ast *h = s->u.try_.handlers.items[j];
        add_local(ev, t, h->u.except_.name);
        scan_locals(ev, t, &h->u.except_.body);
      }
      scan_locals(ev, t, &s->u.try_.orelse);
      scan_locals(ev, t, &s->u.try_.finalbody);
      break;
    case AST_DEL:
      for (int j = 0; j < s->u.list.items.n; j++) target_names(ev, t, s->u.list.items.items[j]);
      break;
    case AST_IF: /* an elif chain is a loop, not a recursion */
      for (Ast *e = s;; e = e->u.if_.orelse.items[0]) {
        scan_locals(ev, t, &e->u.if_.body);
        if (e->u.if_.orelse.n != 1 || e->u.if_.orelse.items[0]->kind != AST_IF) {
          scan_locals(ev, t, &e->u.if_.orelse);
          break;
        }
      }
      break;
    case AST_WITH:
      for (int j = 0; j < s->u.with.items.n; j++) target_names(ev, t, s->u.with.items.items[j]->u.withitem.as);
      scan_locals(ev, t, &s->u.with.body);
      break;
    case AST_DEF: add_local(ev, t, s->u.fn.name); break;
    case AST_CLASS: add_local(ev, t, s->u.cls.name); break; /* pyclass */
    case AST_IMPORT:
      for (int j = -1; j < s->u.import.names.n; j++) {
        const char *mod = j < 0 ? s->u.import.module : s->u.import.names.items[j]->u.impname.name;
        const char *alias = j < 0 ? s->u.import.alias : s->u.import.names.items[j]->u.impname.alias;
        const char *dot = strchr(mod, '.');
        add_local(ev, t, alias ? alias : dot ? arena_strndup(ev->arena, mod, (size_t)(dot - mod)) : mod);
      }
      break;
    case AST_FROM_IMPORT: case AST_LOAD: {
      AstList *nl = s->kind == AST_LOAD ? &s->u.load.names : &s->u.import.names;
      for (int j = 0; j < nl->n; j++)
        add_local(ev, t, nl->items[j]->u.impname.alias ? nl->items[j]->u.impname.alias : nl->items[j]->u.impname.name);
      break;
    }
    default: break;
    }
  }
}

static const Table *localset(Eval *ev, Ast *def) {
  Table *t = eval_alloc(ev, sizeof *t);
  for (int i = 0; i < def->u.fn.params.n; i++) add_local(ev, t, def->u.fn.params.items[i]->u.param.name);
  if (def->kind != AST_LAMBDA) scan_locals(ev, t, &def->u.fn.body);
  bool gen;
  const Table *d = decls_of(ev, def, &gen);
  if (!d) return t;
  Table *k = eval_alloc(ev, sizeof *k); /* pyexc: declared names are not local */
  for (int i = 0; i < t->cap; i++)
    if (t->s[i].name && !tab_find(d, t->s[i].name, t->s[i].h)) tab_put(ev, k, t->s[i].name, t->s[i].h, t->s[i].v);
  return k;
}

/* ---- pyexc: global / nonlocal declarations and yield, found by one walk of a body ---- */

static void scan_expr_yield(const Ast *n, bool *gen);

static void scan_decls(Eval *ev, Table **t, AstList *body, bool *gen) {
  for (int i = 0; i < body->n; i++) {
    Ast *s = body->items[i];
    switch (s->kind) {
    case AST_GLOBAL: case AST_NONLOCAL:
      for (int j = 0; j < s->u.list.items.n; j++) {
        const char *nm = s->u.list.items.items[j]->u.name;
        if (!*t) *t = eval_alloc(ev, sizeof **t);
        tab_put(ev, *t, nm, hname(nm), val_bool(ev, s->kind == AST_GLOBAL));
      }
      break;
    case AST_EXPR_STMT: case AST_RETURN: scan_expr_yield(s->u.expr.value, gen); break;
    case AST_ASSIGN: scan_expr_yield(s->u.assign.value, gen); break;
    case AST_AUGASSIGN: scan_expr_yield(s->u.aug.value, gen); break;
    case AST_FOR:
      scan_decls(ev, t, &s->u.for_.body, gen);
      scan_decls(ev, t, &s->u.for_.orelse, gen);
      break;
    case AST_WHILE:
      scan_decls(ev, t, &s->u.while_.body, gen);
      scan_decls(ev, t, &s->u.while_.orelse, gen);
      break;
    case AST_IF:
      for (Ast *e = s;; e = e->u.if_.orelse.items[0]) {
        scan_decls(ev, t, &e->u.if_.body, gen);
        if (e->u.if_.orelse.n != 1 || e->u.if_.orelse.items[0]->kind != AST_IF) {
          scan_decls(ev, t, &e->u.if_.orelse, gen);
          break;
        }
      }
      break;
    case AST_WITH: scan_decls(ev, t, &s->u.with.body, gen); break;
    case AST_TRY:
      scan_decls(ev, t, &s->u.try_.body, gen);
      for (int j = 0; j < s->u.try_.handlers.n; j++) scan_decls(ev, t, &s->u.try_.handlers.items[j]->u.except_.body, gen);
      scan_decls(ev, t, &s->u.try_.orelse, gen);
      scan_decls(ev, t, &s->u.try_.finalbody, gen);
      break;
    default: break;
    }
  }
}

/* A yield at the top of a statement's expression (x = yield v, yield v, (yield)). */
static void scan_expr_yield(const Ast *n, bool *gen) {
  if (n && (n->kind == AST_YIELD || n->kind == AST_YIELD_FROM)) *gen = true;
}

static const Table *decls_of(Eval *ev, Ast *def, bool *generator) {
  Table *t = NULL;
  *generator = false;
  if (def->kind != AST_LAMBDA) scan_decls(ev, &t, &def->u.fn.body, generator);
  return t;
}

/* ---- imports and load ---- */

static Value *find_module(Eval *ev, const char *dotted) { return dict_get_str(ev->modules, dotted); }
static const char *dir_of(Eval *ev, const char *path);
static enum Flow run_module(Eval *ev, Module *m, Ast *ast);

/* pymod: the module system of LANGUAGE.md 3.2. A module name is looked up, part by part,
   as NAME/__init__.py (a package), NAME.slim, NAME.py, or a directory NAME (a namespace
   package, used only when no search directory has one of the others: CPython's rule);
   the top-level part first in the importing file's package root, then in each -I
   directory; a submodule in its package's directory. Builtin modules come first. */

static Module *user_module(Eval *ev, const char *dotted) {
  Slot *sl = tab_find(&ev->umods, dotted, hname(dotted));
  return sl ? (Module *)(void *)sl->v : NULL;
}

static bool is_file(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static bool is_dir(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static const char *join_path(Eval *ev, const char *dir, const char *rel) {
  return !dir || !*dir || strcmp(dir, ".") == 0 ? arena_strdup(ev->arena, rel) : arena_printf(ev->arena, "%s/%s", dir, rel);
}

/* The text of "searched ..." notes: the directories tried for NAME. */
static const char *searched_dirs(Eval *ev, const char *const *dirs, int n) {
  TextBuf b = {.ev = ev};
  for (int i = 0; i < n; i++) {
    if (i) tb_puts(&b, ", ");
    tb_puts(&b, "'");
    tb_puts(&b, dirs[i]);
    tb_puts(&b, "'");
  }
  return tb_value(&b)->u.str.s;
}

static const char *last_part(const char *dotted) {
  const char *dot = strrchr(dotted, '.');
  return dot ? dot + 1 : dotted;
}

static const char *parent_name(Eval *ev, const char *dotted) {
  const char *dot = strrchr(dotted, '.');
  return dot ? arena_strndup(ev->arena, dotted, (size_t)(dot - dotted)) : "";
}

/* Runs the module file PATH (shown as SHOWN) as module DOTTED; NULL on error. */
static Value *exec_user_module(Eval *ev, Module *importer, const char *dotted, const char *path, bool is_pkg,
                               const char *pkgdir, const char *root, Span sp) {
  Module *m = eval_alloc(ev, sizeof *m);
  m->name = dotted;
  m->package = is_pkg ? dotted : parent_name(ev, dotted);
  m->root = root;
  m->dir = pkgdir;
  m->file = -1;
  m->load_span = sp;
  m->loader = importer;
  m->ns = val_namespace(ev, dotted);
  tab_put(ev, &ev->umods, dotted, hname(dotted), (Value *)(void *)m);
  eval_register_module(ev, dotted, m->ns);
  if (!path) { /* a namespace package: a directory without __init__.py */
    m->done = true;
    return m->ns;
  }
  char why[512];
  int idx = src_load(ev->sm, path, true, why, sizeof why);
  if (idx < 0) return eval_error(ev, sp, "E0316", "cannot read '%s': %s", path, why);
  m->file = idx;
  m->path = path;
  int before = ev->d->nerrors;
  Ast *ast = parse_file(ev->arena, ev->d, idx);
  if (ev->d->nerrors > before) return eval_error(ev, sp, "E0316", "'%s' has syntax errors", path);
  ptrvec_push(ev->arena, &ev->loaded_paths, (void *)path);
  ptrvec_push(ev->arena, &ev->mods, m);
  if (run_module(ev, m, ast) == F_ERROR || ev->err) {
    chain_note(ev, sp, "in module '%s' imported here", dotted);
    return NULL;
  }
  return m->ns;
}

/* Finds and runs module DOTTED (its parent already imported: PARENT, or NULL for a
   top-level name searched in DIRS). NULL without an error pending: not found. */
static Value *find_user_module(Eval *ev, Module *importer, const char *dotted, Module *parent,
                               const char *const *dirs, int ndirs, Span sp) {
  const char *name = last_part(dotted);
  const char *nspkg = NULL, *nsroot = NULL;
  for (int i = 0; i < ndirs; i++) {
    const char *d = dirs[i];
    const char *pd = join_path(ev, d, name);
    const char *root = parent ? parent->root : d;
    const char *init = arena_printf(ev->arena, "%s/__init__.py", pd);
    if (is_dir(pd) && is_file(init)) return exec_user_module(ev, importer, dotted, init, true, pd, root, sp);
    const char *f = arena_printf(ev->arena, "%s.slim", pd);
    if (!is_file(f)) f = arena_printf(ev->arena, "%s.py", pd);
    if (is_file(f)) return exec_user_module(ev, importer, dotted, f, false, NULL, root, sp);
    if (!nspkg && is_dir(pd)) nspkg = pd, nsroot = root;
  }
  if (nspkg) return exec_user_module(ev, importer, dotted, NULL, true, nspkg, nsroot, sp);
  return NULL;
}

static Value *module_not_found(Eval *ev, Span sp, const char *dotted, const char *const *dirs, int ndirs,
                               const char *not_pkg) {
  if (not_pkg) return eval_error(ev, sp, "E0315", "No module named '%s'; '%s' is not a package", dotted, not_pkg);
  eval_error(ev, sp, "E0315", "No module named '%s'", dotted);
  const char *rel = arena_strdup(ev->arena, dotted);
  for (char *q = (char *)rel; *q; q++)
    if (*q == '.') *q = '/';
  if (ndirs)
    eval_note(ev, sp, "searched for '%s.slim', '%s.py' and the package '%s/' in %s", rel, rel, rel,
              searched_dirs(ev, dirs, ndirs));
  PtrVec names = {0};
  Value *k;
  for (int it = 0; dict_next(ev->modules, &it, &k, NULL);) ptrvec_push(ev->arena, &names, (void *)k->u.str.s);
  const char *sug = eval_suggest(dotted, (const char *const *)names.items, names.n);
  if (sug) eval_note(ev, sp, "did you mean '%s'?", sug);
  return NULL;
}

/* The directories a top-level name is searched in from module IMPORTER. */
static int search_dirs(Eval *ev, Module *importer, const char ***out) {
  const char **d = eval_alloc(ev, sizeof *d * (size_t)(ev->opt.ninclude + 1));
  int n = 0;
  const char *root = importer && importer->root ? importer->root : NULL;
  if (!root) {
    const SrcFile *cur = src_file(ev->sm, importer ? importer->file : -1);
    root = cur ? dir_of(ev, cur->path) : ".";
  }
  d[n++] = root;
  for (int i = 0; i < ev->opt.ninclude; i++) d[n++] = ev->opt.include_dirs[i];
  *out = d;
  return n;
}

/* Imports DOTTED and each of its parents (a.b.c: a, a.b, a.b.c); the module object of
   DOTTED, or NULL with an error pending. */
static Value *import_dotted(Eval *ev, Module *importer, const char *dotted, Span sp) {
  Value *v = find_module(ev, dotted);
  if (v) return v;
  const char **dirs;
  int ndirs = search_dirs(ev, importer, &dirs);
  Value *parent = NULL;
  Module *pm = NULL;
  for (const char *p = dotted;;) {
    const char *dot = strchr(p, '.');
    const char *prefix = dot ? arena_strndup(ev->arena, dotted, (size_t)(dot - dotted)) : dotted;
    v = find_module(ev, prefix);
    if (!v) {
      if (parent && !pm) /* a builtin module without this submodule */
        return module_not_found(ev, sp, prefix, NULL, 0, NULL);
      if (pm && !pm->dir) return module_not_found(ev, sp, prefix, NULL, 0, pm->name);
      const char *const *dl = pm ? (const char *const *)&pm->dir : dirs;
      int nd = pm ? 1 : ndirs;
      v = find_user_module(ev, importer, prefix, pm, dl, nd, sp);
      if (!v) return ev->err ? NULL : module_not_found(ev, sp, prefix, dl, nd, NULL);
      if (parent) ns_set(ev, parent, last_part(prefix), v);
    }
    parent = v;
    pm = user_module(ev, prefix);
    if (!dot) return v;
    p = dot + 1;
  }
}

static void ev_ns_setattr(Eval *ev, Value *ns, const char *name, Value *v) {
  Module *m = user_module(ev, ns->u.ns->name);
  if (m && m->ns == ns && m->env) bind(ev, m->env, name, v);
  else {
    Module *main = ev->mods.n ? ev->mods.items[0] : NULL;
    if (main && main->ns == ns && main->env) bind(ev, main->env, name, v);
    else ns_set(ev, ns, name, v);
  }
}

/* The absolute name of a relative import ("..sub" in package a.b.c is a.b.sub). */
static const char *absolute_name(Eval *ev, Module *importer, const char *mod, Span sp) {
  int level = 0;
  while (mod[level] == '.') level++;
  if (!level) return mod;
  const char *pkg = importer && importer->package ? importer->package : "";
  if (!*pkg) return eval_error(ev, sp, "E0315", "attempted relative import with no known parent package"), NULL;
  const char *base = pkg;
  for (int i = 1; i < level; i++) {
    if (!strchr(base, '.'))
      return eval_error(ev, sp, "E0315", "attempted relative import beyond top-level package"), NULL;
    base = parent_name(ev, base);
  }
  return mod[level] ? arena_printf(ev->arena, "%s.%s", base, mod + level) : base;
}

/* `import a.b.c [as d]`, `from [.]M import x [as y], *` */
static bool exec_import(Eval *ev, Env *env, Ast *s) {
  Module *me = env->mod;
  if (s->kind == AST_IMPORT) {
    for (int i = -1; i < s->u.import.names.n; i++) {
      const char *mod = i < 0 ? s->u.import.module : s->u.import.names.items[i]->u.impname.name;
      const char *alias = i < 0 ? s->u.import.alias : s->u.import.names.items[i]->u.impname.alias;
      Value *m = import_dotted(ev, me, mod, i < 0 ? s->span : s->u.import.names.items[i]->span);
      if (!m) return false;
      const char *dot = strchr(mod, '.');
      if (alias) bind(ev, env, alias, m);
      else if (!dot) bind(ev, env, mod, m);
      else { /* `import a.b` binds `a` */
        const char *top = arena_strndup(ev->arena, mod, (size_t)(dot - mod));
        bind(ev, env, top, find_module(ev, top));
      }
    }
    return true;
  }
  if (strcmp(s->u.import.module, "__future__") == 0) return true;
  const char *mod = absolute_name(ev, me, s->u.import.module, s->span);
  if (!mod) return false;
  Value *m = import_dotted(ev, me, mod, s->span);
  if (!m) return false;
  Module *um = user_module(ev, mod);
  for (int i = 0; i < s->u.import.names.n; i++) {
    Ast *in = s->u.import.names.items[i];
    const char *name = in->u.impname.name;
    if (strcmp(name, "*") == 0) { /* the public names, in definition order */
      Value *k, *v;
      for (int it = 0; dict_next(m->u.ns->attrs, &it, &k, &v);)
        if (k->u.str.s[0] != '_') bind(ev, env, k->u.str.s, v);
      continue;
    }
    const char *full = arena_printf(ev->arena, "%s.%s", mod, name);
    Value *v = ns_get(m, name);
    if (!v) v = find_module(ev, full);
    if (!v && um && um->dir) { /* a submodule of a package */
      v = find_user_module(ev, me, full, um, (const char *const *)&um->dir, 1, in->span);
      if (ev->err) return false;
      if (v) ns_set(ev, m, name, v);
    }
    if (!v) {
      if (um && !um->done) {
        eval_error(ev, in->span, "E0315",
                   "cannot import name '%s' from partially initialized module '%s' (most likely due to a circular "
                   "import)", name, mod);
        TextBuf b = {.ev = ev};
        tb_puts(&b, mod);
        for (Module *x = me; x && x != um; x = x->loader) {
          tb_puts(&b, " -> ");
          tb_puts(&b, x->name ? x->name : "?");
        }
        tb_puts(&b, " -> ");
        tb_puts(&b, mod);
        eval_note(ev, in->span, "import cycle: %s", tb_value(&b)->u.str.s);
        return false;
      }
      if (um && !um->path) eval_error(ev, in->span, "E0315", "cannot import name '%s' from '%s' (unknown location)", name, mod);
      else eval_error(ev, in->span, "E0315", "cannot import name '%s' from '%s'", name, mod);
      return false;
    }
    bind(ev, env, in->u.impname.alias ? in->u.impname.alias : name, v);
  }
  return true;
}

static enum Flow run_module(Eval *ev, Module *m, Ast *ast);

static char *resolve_path(Eval *ev, const char *dir, const char *rel) {
  char *p = rel[0] == '/' || !dir || !*dir ? arena_strdup(ev->arena, rel) : arena_printf(ev->arena, "%s/%s", dir, rel);
  if (access(p, R_OK) != 0) return NULL;
  char *real = realpath(p, NULL);
  if (!real) return NULL;
  char *r = arena_strdup(ev->arena, real);
  free(real);
  return r;
}

static const char *dir_of(Eval *ev, const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? arena_strndup(ev->arena, path, (size_t)(slash - path)) : ".";
}

static bool exec_load(Eval *ev, Env *env, Ast *s) {
  Ast *pe = s->u.load.path;
  const char *rel = pe->u.str.s;
  const SrcFile *cur = src_file(ev->sm, env->mod ? env->mod->file : -1);
  const char *shown = NULL;
  char *path = resolve_path(ev, cur ? dir_of(ev, cur->path) : ".", rel);
  if (path) /* keep paths as the user would write them: no "./" for files in the working directory */
    shown = cur && rel[0] != '/' && strchr(cur->path, '/') ? arena_printf(ev->arena, "%s/%s", dir_of(ev, cur->path), rel)
                                                           : rel;
  for (int i = 0; !path && i < ev->opt.ninclude; i++) {
    path = resolve_path(ev, ev->opt.include_dirs[i], rel);
    if (path) shown = arena_printf(ev->arena, "%s/%s", ev->opt.include_dirs[i], rel);
  }
  if (!path) {
    eval_error(ev, pe->span, "E0316", "cannot find '%s' to load", rel);
    eval_note(ev, pe->span, "searched %s%s", cur ? dir_of(ev, cur->path) : ".",
              ev->opt.ninclude ? " and the -I directories" : "");
    return false;
  }
  Slot *known = tab_find(&ev->mod_paths, path, hname(path));
  Module *m = known ? (Module *)(void *)known->v : NULL;
  if (m && !m->done) {
    eval_error(ev, s->span, "E0316", "load cycle: '%s' is already being loaded", rel);
    for (Module *x = env->mod; x && x != m; x = x->loader)
      if (x->loader) eval_note(ev, x->load_span, "'%s' loaded from here", src_file(ev->sm, x->file)->path);
    eval_note(ev, m->load_span.file >= 0 ? m->load_span : s->span, "'%s' first loaded here",
              src_file(ev->sm, m->file)->path);
    return false;
  }
  if (!m) {
    char why[512];
    int idx = src_load(ev->sm, shown, true, why, sizeof why);
    if (idx < 0) {
      eval_error(ev, pe->span, "E0316", "cannot read '%s': %s", shown, why);
      return false;
    }
    int before = ev->d->nerrors;
    Ast *ast = parse_file(ev->arena, ev->d, idx);
    if (ev->d->nerrors > before) {
      eval_error(ev, s->span, "E0316", "'%s' has syntax errors", rel);
      return false;
    }
    ptrvec_push(ev->arena, &ev->loaded_paths, (void *)shown);
    m = eval_alloc(ev, sizeof *m);
    m->path = path;
    m->file = idx;
    m->load_span = s->span;
    m->loader = env->mod;
    { /* pymod: a load()ed file is module `stem`, its imports searched beside it */
      const char *base = strrchr(shown, '/') ? strrchr(shown, '/') + 1 : shown;
      const char *dot = strrchr(base, '.');
      m->name = dot && dot != base ? arena_strndup(ev->arena, base, (size_t)(dot - base)) : base;
      m->root = dir_of(ev, shown);
    }
    ptrvec_push(ev->arena, &ev->mods, m);
    tab_put(ev, &ev->mod_paths, path, hname(path), (Value *)(void *)m);
    if (run_module(ev, m, ast) == F_ERROR) {
      chain_note(ev, s->span, "in '%s' loaded here", rel);
      return false;
    }
  }
  for (int i = 0; i < s->u.load.names.n; i++) {
    Ast *in = s->u.load.names.items[i];
    const char *name = in->u.impname.name;
    Slot *sl = tab_find(&m->env->vars, name, hname(name));
    if (!sl || !sl->v) {
      PtrVec names = {0};
      table_names(ev, &m->env->vars, &names);
      const char *sug = eval_suggest(name, (const char *const *)names.items, names.n);
      if (sug) eval_error(ev, in->span, "E0316", "'%s' has no symbol '%s'; did you mean '%s'?", rel, name, sug);
      else eval_error(ev, in->span, "E0316", "'%s' has no symbol '%s'", rel, name);
      return false;
    }
    bind(ev, env, in->u.impname.alias ? in->u.impname.alias : name, sl->v);
  }
  return true;
}

/* ---- statements ---- */


/* ---- pyexc: exceptions ---- */

/* The pending error, put aside while an except/finally block or __exit__ runs. */
typedef struct ErrState {
  bool err;
  Span sp;
  const char *code, *msg;
  PtrVec notes, chain;
  Value *exc, *ctx;
} ErrState;

static void err_save(Eval *ev, ErrState *st) {
  *st = (ErrState){ev->err, ev->err_sp, ev->err_code, ev->err_msg, ev->notes, ev->chain, ev->err_exc, ev->err_ctx};
  ev->err = false;
  ev->notes = (PtrVec){0};
  ev->chain = (PtrVec){0};
  ev->err_exc = ev->err_ctx = NULL;
}

static void err_restore(Eval *ev, const ErrState *st) {
  ev->err = st->err;
  ev->err_sp = st->sp;
  ev->err_code = st->code;
  ev->err_msg = st->msg;
  ev->notes = st->notes;
  ev->chain = st->chain;
  ev->err_exc = st->exc;
  ev->err_ctx = st->ctx;
}

/* Resource limits and errors of the compilation itself: no `except` sees them. */
static bool err_catchable(Eval *ev) {
  if (!ev->err || ev->mem_over) return false;
  static const char *const fatal[] = {"E0300", "E0312", "E0313", "E0314", "E0316", "E0318", "E0319", "E0330", "E0331"};
  for (size_t i = 0; i < sizeof fatal / sizeof *fatal; i++)
    if (strcmp(ev->err_code, fatal[i]) == 0) return false;
  return true;
}

/* The Python class of a pending error: "Name: text" names it; else its code does. */
static const char *err_class(const char *code, const char *msg, const char **text) {
  *text = msg;
  size_t k = strspn(msg, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
  if (k > 0 && k < 40 && msg[k] == ':' && msg[k + 1] == ' ') {
    char name[40];
    memcpy(name, msg, k);
    name[k] = 0;
    if (py_exc_known(name)) {
      *text = msg + k + 2;
      return NULL; /* the caller takes the class name from the prefix */
    }
  }
  int c = atoi(code + 1);
  switch (c) {
  case 301: return strstr(msg, "cannot access local") ? "UnboundLocalError" : "NameError";
  case 302: case 303: case 317: case 501: case 511: case 513: case 520: case 523: case 730: return "TypeError";
  case 304: return "AttributeError";
  case 305: return "IndexError";
  case 307: return "ZeroDivisionError";
  case 308: return strstr(msg, "NaN") ? "ValueError" : "OverflowError";
  case 309: return "RuntimeError";
  case 311: return "AssertionError";
  case 315: return strncmp(msg, "no module", 9) == 0 ? "ModuleNotFoundError" : "ImportError";
  default: return "ValueError"; /* E0306 and the TF library's errors: TF raises ValueError */
  }
}

/* The exception object of the pending (catchable) error, made on first need. */
static Value *pending_exc(Eval *ev) {
  if (ev->err_exc) return ev->err_exc;
  const char *text;
  const char *cls = err_class(ev->err_code, ev->err_msg, &text);
  char name[40];
  if (!cls) { /* "KeyError: 'k'" */
    size_t k = (size_t)(text - 2 - ev->err_msg);
    memcpy(name, ev->err_msg, k);
    name[k] = 0;
    cls = arena_strdup(ev->arena, name);
  }
  /* str(e) is the message without slimc's "; did you mean" hint */
  const char *dym = strstr(text, "; did you mean '");
  if (dym) text = arena_strndup(ev->arena, text, (size_t)(dym - text));
  Value *arg = val_str(ev, text);
  size_t tl = strlen(text);
  if (strcmp(cls, "KeyError") == 0 && tl >= 2 && text[0] == '\'' && text[tl - 1] == '\'' &&
      !memchr(text + 1, '\'', tl - 2) && !strchr(text, '\\'))
    arg = val_strn(ev, text + 1, tl - 2); /* the key itself, as CPython's e.args[0] */
  bool bare = strcmp(text, cls) == 0; /* "AssertionError": no message, no args */
  Value *e = py_exc_new(ev, cls, bare ? NULL : val_tuple_of(ev, &arg, 1));
  ExcObj *x = e->u.ext.data;
  x->msg = bare ? "" : text;
  x->raised = true;
  x->sp = ev->err_sp;
  x->code = ev->err_code;
  x->text = ev->err_msg;
  if (ev->err_ctx && ev->err_ctx != e) x->context = ev->err_ctx;
  ev->err_exc = e;
  return e;
}

/* Makes E (an exception object) the pending error, raised at SP. */
static void raise_exc(Eval *ev, Value *e, Span sp) {
  ExcObj *x = e->u.ext.data;
  if (!x->raised) {
    x->raised = true;
    x->sp = sp;
    x->code = "E0309";
    x->text = *x->msg ? arena_printf(ev->arena, "%s: %s", x->cls, x->msg) : x->cls;
  }
  if (ev->handling && ev->handling != e && !x->context) x->context = ev->handling;
  Value *ctx = ev->handling;
  ev->handling = NULL; /* eval_error records the context; ours is set above */
  eval_error(ev, x->sp, x->code, "%s", x->text);
  ev->handling = ctx;
  ev->err_exc = e;
}

/* An exception instance from V (an instance, or a class to call with no arguments). */
static Value *as_exception(Eval *ev, Value *v, Span sp) {
  if (py_exception_class(v)) return py_exc_new(ev, py_exception_class(v), NULL);
  if (val_is_ext(v, &val_exception_type)) return v;
  return eval_error(ev, sp, "E0302", "exceptions must derive from BaseException");
}

static enum Flow exec_raise(Eval *ev, Env *env, Ast *s) {
  if (!s->u.raise.value) {
    if (!ev->handling) {
      eval_error(ev, s->span, "E0309", "RuntimeError: No active exception to reraise");
      return F_ERROR;
    }
    raise_exc(ev, ev->handling, s->span);
    return F_ERROR;
  }
  Value *v = eval_expr(ev, env, s->u.raise.value);
  if (!v) return F_ERROR;
  Value *e = as_exception(ev, v, s->span);
  if (!e) return F_ERROR;
  if (s->u.raise.cause) {
    Value *c = eval_expr(ev, env, s->u.raise.cause);
    if (!c) return F_ERROR;
    ExcObj *x = e->u.ext.data;
    if (c->kind == V_NONE) x->cause = NULL;
    else {
      Value *ce = py_exception_class(c) || val_is_ext(c, &val_exception_type) ? as_exception(ev, c, s->span) : NULL;
      if (!ce) {
        eval_error(ev, s->span, "E0302", "exception causes must derive from BaseException");
        return F_ERROR;
      }
      x->cause = ce;
    }
    x->suppress_context = true;
  }
  raise_exc(ev, e, s->span);
  return F_ERROR;
}

/* 1 if exception E matches the handler's class value T (a class or a tuple), 0 if not,
   -1 with an error pending. */
static int exc_matches(Eval *ev, Value *e, Value *t, Span sp) {
  const char *cls = ((ExcObj *)e->u.ext.data)->cls;
  if (t->kind == V_TUPLE) {
    for (int i = 0; i < t->u.list.n; i++) {
      int r = exc_matches(ev, e, t->u.list.items[i], sp);
      if (r) return r;
    }
    return 0;
  }
  if (py_exception_class(t)) return py_exc_subclass(cls, py_exception_class(t));
  eval_error(ev, sp, "E0302", "catching classes that do not inherit from BaseException is not allowed");
  return -1;
}

static void unbind(Eval *ev, Env *env, const char *name) {
  uint32_t h = hname(name);
  env = scope_of(env, name, h);
  Slot *sl = tab_find(&env->vars, name, h);
  if (sl) sl->v = NULL;
  /* pymod: a module's global is also its module object's attribute */
  if (env->mod && env == env->mod->env && env->mod->ns) {
    Value key = {.kind = V_STR, .u.str = {name, strlen(name)}};
    dict_del(env->mod->ns->u.ns->attrs, &key);
  }
  (void)ev;
}

static enum Flow exec_try(Eval *ev, Env *env, Ast *s) {
  enum Flow fl = exec_block(ev, env, &s->u.try_.body);
  if (fl == F_ERROR && err_catchable(ev) && s->u.try_.handlers.n) {
    Value *e = pending_exc(ev);
    ErrState st;
    err_save(ev, &st);
    Value *prev = ev->handling;
    ev->handling = e; /* errors in the handler types have E as their context */
    Ast *h = NULL;
    for (int i = 0; i < s->u.try_.handlers.n && !h; i++) {
      Ast *hi = s->u.try_.handlers.items[i];
      if (!hi->u.except_.type) { h = hi; break; }
      Value *t = eval_expr(ev, env, hi->u.except_.type);
      int m = t ? exc_matches(ev, e, t, hi->u.except_.type->span) : -1;
      if (m < 0) { ev->handling = prev; return F_ERROR; }
      if (m) h = hi;
    }
    if (!h) {
      ev->handling = prev;
      err_restore(ev, &st);
    } else {
      if (h->u.except_.name) bind(ev, env, h->u.except_.name, e);
      fl = exec_block(ev, env, &h->u.except_.body);
      ev->handling = prev;
      if (h->u.except_.name && fl != F_ERROR) unbind(ev, env, h->u.except_.name); /* as CPython: del e */
    }
  } else if (fl == F_NORMAL) {
    fl = exec_block(ev, env, &s->u.try_.orelse);
  }
  if (!s->u.try_.finalbody.n || (fl == F_ERROR && !err_catchable(ev))) return fl;
  /* finally: runs on every way out; its own return/break/continue/error wins */
  ErrState st = {0};
  Value *prev = ev->handling, *ret = ev->retval;
  if (fl == F_ERROR) {
    ev->handling = pending_exc(ev);
    err_save(ev, &st);
  }
  enum Flow ff = exec_block(ev, env, &s->u.try_.finalbody);
  ev->handling = prev;
  if (ff != F_NORMAL) return ff;
  if (fl == F_ERROR) err_restore(ev, &st);
  ev->retval = ret;
  return fl;
}

/* del TARGET */
static bool exec_del(Eval *ev, Env *env, Ast *t) {
  switch (t->kind) {
  case AST_NAME: {
    uint32_t h = hname(t->u.name);
    Env *e = scope_of(env, t->u.name, h);
    Slot *sl = tab_find(&e->vars, t->u.name, h);
    if (!sl || !sl->v) {
      if (e->locals && tab_find(e->locals, t->u.name, h))
        eval_error(ev, t->span, "E0301", "cannot access local variable '%s' where it is not associated with a value",
                   t->u.name);
      else eval_error(ev, t->span, "E0301", "name '%s' is not defined", t->u.name);
      return false;
    }
    unbind(ev, env, t->u.name);
    return true;
  }
  case AST_TUPLE: case AST_LIST:
    for (int i = 0; i < t->u.list.items.n; i++)
      if (!exec_del(ev, env, t->u.list.items.items[i])) return false;
    return true;
  case AST_INDEX: {
    Value *obj = eval_expr(ev, env, t->u.index.obj);
    if (!obj) return false;
    Value *idx = eval_index_expr(ev, env, t->u.index.index);
    if (!idx) return false;
    if (obj->kind == V_DICT) {
      if (!val_key_ok(ev, idx, t->span)) return false;
      if (!dict_del(obj->u.dict, idx)) {
        eval_error(ev, t->span, "E0305", "KeyError: %s", val_repr(ev, idx));
        return false;
      }
      return true;
    }
    if (obj->kind == V_LIST) {
      int n = obj->u.list.n;
      int64_t start, step, count;
      if (val_is_ext(idx, &val_slice_type)) {
        if (!slice_indices(ev, idx->u.ext.data, n, t->span, &start, &step, &count)) return false;
      } else {
        if (!norm_index(ev, idx, n, "list assignment", t->span, &start)) return false;
        step = 1;
        count = 1;
      }
      if (step < 0) { start += (count - 1) * step; step = -step; }
      Value **it = obj->u.list.items;
      int k = 0;
      for (int i = 0; i < n; i++) {
        bool gone = i >= start && (i - start) % step == 0 && (i - start) / step < count;
        if (!gone) it[k++] = it[i];
      }
      obj->u.list.n = k;
      return true;
    }
    eval_error(ev, t->span, "E0302", "'%s' object doesn't support item deletion", val_type_name(obj));
    return false;
  }
  case AST_ATTR: {
    Value *obj = eval_expr(ev, env, t->u.attr.obj);
    if (!obj) return false;
    if (obj->kind == V_NAMESPACE && ns_get(obj, t->u.attr.name)) {
      dict_del(obj->u.ns->attrs, val_str(ev, t->u.attr.name));
      return true;
    }
    if (eval_getattr(ev, obj, t->u.attr.name, t->span))
      eval_error(ev, t->span, "E0304", "'%s' object attribute '%s' is read-only", val_type_name(obj), t->u.attr.name);
    return false;
  }
  default:
    eval_error(ev, t->span, "E0306", "cannot delete %s", ast_kind_name(t->kind));
    return false;
  }
}

/* nonlocal x: x must be a local of an enclosing function. */
static bool exec_nonlocal(Eval *ev, Env *env, Ast *s) {
  for (int i = 0; i < s->u.list.items.n; i++) {
    Ast *nm = s->u.list.items.items[i];
    uint32_t h = hname(nm->u.name);
    bool found = false;
    for (Env *e = env->parent; e && !found; e = e->parent)
      found = e->locals && tab_find(e->locals, nm->u.name, h);
    if (!found) {
      eval_error(ev, nm->span, "E0330", "no binding for nonlocal '%s' found", nm->u.name);
      return false;
    }
  }
  return true;
}

/* f'...': the parts' text joined */
static Value *eval_fstring(Eval *ev, Env *env, Ast *n) {
  TextBuf tb = {.ev = ev};
  for (int i = 0; i < n->u.list.items.n; i++) {
    Ast *p = n->u.list.items.items[i];
    if (p->kind == AST_STR) { tb_put(&tb, p->u.str.s, p->u.str.len); continue; }
    if (p->kind != AST_FORMATTED) return eval_error(ev, p->span, "E0300", "invalid expression");
    Value *v = eval_expr(ev, env, p->u.fmt.value);
    if (!v) return NULL;
    const char *spec = NULL;
    if (p->u.fmt.spec) {
      Value *sv = eval_fstring(ev, env, p->u.fmt.spec);
      if (!sv) return NULL;
      spec = sv->u.str.s;
    }
    Value *r;
    if (!spec && !p->u.fmt.conv) {
      const char *t = val_str_at(ev, v, p->span);
      if (!t) return NULL;
      r = val_str(ev, t);
    } else {
      r = py_format_value(ev, v, p->u.fmt.conv, spec, p->span);
    }
    if (!r) return NULL;
    tb_put(&tb, r->u.str.s, r->u.str.len);
  }
  return tb_value(&tb);
}

/* ---- pyexc: generators ----
 * A generator's body runs on its own C stack (ucontext), so a yield deep inside
 * statements, loops, try blocks and with blocks simply switches back to whoever
 * called next()/send(); the tree-walking evaluator needs no change. Each stack is
 * mmap'd with a guard page below it, made on the first next() and released when the
 * generator ends (or at eval_free); at most GEN_MAX_LIVE exist at once. The stack
 * guard (eval_stack_ok) is pointed at the running stack's own low end, and ASan is
 * told of every switch. */
enum { GEN_MAX_LIVE = 256 };
/* address space only (MAP_NORESERVE): a body may recurse to the call-depth limit */
#ifdef SLIMC_ASAN
#define GEN_STACK ((size_t)256 << 20)
#define GEN_MARGIN ((size_t)16 << 20)
#else
#define GEN_STACK ((size_t)64 << 20)
#define GEN_MARGIN ((size_t)8 << 20)
#endif
enum GenState { G_NEW, G_SUSPENDED, G_RUNNING, G_DONE };

typedef struct Gen {
  Eval *ev;
  Func *f;
  Env *env;
  Span call;
  enum GenState st;
  char *map;            /* the stack mapping, guard page first (NULL: none) */
  size_t maplen, page;
  ucontext_t ctx, back;
  Frame base;           /* the body's frame; prev is the resumer's frame */
  Frame *top;           /* the innermost frame at the yield */
  int depth, rdepth;    /* frames inside the body at the yield; the resumer's depth */
  Value *in, *thrown, *out, *ret, *handling;
  const void *back_lo;  /* ASan: the resumer's stack */
  size_t back_size;
} Gen;

/* swapcontext by hand: getcontext saves, setcontext jumps, and the saved context comes
   back here with BACK set (ASan's swapcontext interceptor warns on every program) */
static void ctx_switch(ucontext_t *save, const ucontext_t *to) {
  volatile int back = 0;
  getcontext(save);
  if (!back) {
    back = 1;
    setcontext(to);
  }
}

static const char *gen_repr(Eval *ev, Value *self) {
  Gen *g = self->u.ext.data;
  return arena_printf(ev->arena, "<generator object %s at %p>", g->f->name, (void *)g);
}
static Value *gen_getattr(Eval *ev, Value *self, const char *attr, Span sp);
const ExtType gen_type = {.name = "generator", .repr = gen_repr, .getattr = gen_getattr};

static Value *gen_new(Eval *ev, Func *f, Env *env, Span call) {
  Gen *g = eval_alloc(ev, sizeof *g);
  g->ev = ev;
  g->f = f;
  g->env = env;
  g->call = call;
  return val_ext(ev, &gen_type, g);
}

static void gen_release(Eval *ev, Gen *g) {
  if (!g->map) return;
#ifdef SLIMC_ASAN
  /* a suspended body's frames never returned: clear their poison before reuse */
  __asan_unpoison_memory_region(g->map + g->page, g->maplen - g->page);
#endif
  munmap(g->map, g->maplen);
  g->map = NULL;
  ev->live_gens--;
}

static void gen_release_all(Eval *ev) {
  for (int i = 0; i < ev->gens.n; i++) gen_release(ev, ev->gens.items[i]);
  ev->gens.n = 0;
}

static void gen_main(unsigned hi, unsigned lo) {
  Gen *g = (Gen *)(((uintptr_t)hi << 32) | (uintptr_t)lo);
  Eval *ev = g->ev;
#ifdef SLIMC_ASAN
  __sanitizer_finish_switch_fiber(NULL, &g->back_lo, &g->back_size);
#endif
  g->ret = NULL;
  if (push_frame(ev, &g->base, g->f->name, g->call)) {
    enum Flow fl;
    if (g->thrown) { /* throw() into a generator that never ran */
      raise_exc(ev, g->thrown, g->f->def->span);
      fl = F_ERROR;
    } else {
      fl = exec_block(ev, g->env, &g->f->def->u.fn.body);
    }
    if (fl == F_RETURN) g->ret = ev->retval;
    ev->retval = NULL;
    pop_frame(ev, &g->base);
    if (fl == F_ERROR || ev->err) chain_note(ev, g->call, "in generator '%s'", g->f->name);
  }
  g->st = G_DONE;
#ifdef SLIMC_ASAN
  __sanitizer_start_switch_fiber(NULL, g->back_lo, g->back_size);
#endif
  setcontext(&g->back);
}

static bool gen_stack(Eval *ev, Gen *g, Span sp) {
  if (ev->live_gens >= GEN_MAX_LIVE) {
    eval_error(ev, sp, "E0331", "too many generators running at once (the limit is %d)", GEN_MAX_LIVE);
    return false;
  }
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t len = (size_t)GEN_STACK + page;
  void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED || mprotect(m, page, PROT_NONE) != 0 || getcontext(&g->ctx) != 0) {
    if (m != MAP_FAILED) munmap(m, len);
    eval_error(ev, sp, "E0314", "out of memory for a generator's stack");
    return false;
  }
  g->map = m;
  g->maplen = len;
  g->page = page;
  g->ctx.uc_stack.ss_sp = (char *)m + page;
  g->ctx.uc_stack.ss_size = len - page;
  g->ctx.uc_link = NULL;
  uintptr_t p = (uintptr_t)g;
  makecontext(&g->ctx, (void (*)(void))gen_main, 2, (unsigned)(p >> 32), (unsigned)(p & 0xffffffffu));
  ev->live_gens++;
  ptrvec_push(ev->arena, &ev->gens, g);
  return true;
}

/* Runs G until its next yield (the value), its end (NULL, no error; G->ret holds the
   return value) or an error (NULL, pending). IN is what the yield evaluates to (NULL:
   None); THROWN an exception to raise there instead. */
static Value *gen_resume(Eval *ev, Gen *g, Value *in, Value *thrown, Span sp) {
  if (ev->err) return NULL;
  if (g->st == G_RUNNING) return eval_error(ev, sp, "E0306", "ValueError: generator already executing");
  if (g->st == G_DONE) {
    if (thrown) raise_exc(ev, thrown, sp);
    return NULL;
  }
  if (g->st == G_NEW) {
    if (in && in->kind != V_NONE)
      return eval_error(ev, sp, "E0302", "TypeError: can't send non-None value to a just-started generator");
    if (!gen_stack(ev, g, sp)) return NULL;
  }
  g->in = in ? in : val_none(ev);
  g->thrown = thrown;
  g->out = NULL;
  Gen *pgen = ev->gen;
  Frame *pframe = ev->frame;
  int pdepth = ev->depth;
  StackGuard pguard = ev->stack;
  Value *phandling = ev->handling, *pret = ev->retval;
  g->rdepth = ev->depth;
  if (g->st == G_SUSPENDED) {
    g->base.prev = ev->frame;
    ev->frame = g->top;
    ev->depth += g->depth;
    ev->handling = g->handling;
  } else {
    ev->handling = NULL;
  }
  ev->stack.limit = (uintptr_t)g->map + g->page + GEN_MARGIN;
  ev->gen = g;
  g->st = G_RUNNING;
#ifdef SLIMC_ASAN
  void *fake = NULL;
  __sanitizer_start_switch_fiber(&fake, g->map + g->page, g->maplen - g->page);
#endif
  ctx_switch(&g->back, &g->ctx);
#ifdef SLIMC_ASAN
  __sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
  ev->gen = pgen;
  ev->frame = pframe;
  ev->depth = pdepth;
  ev->stack = pguard;
  ev->handling = phandling;
  ev->retval = pret;
  if (g->st == G_DONE) {
    gen_release(ev, g);
    return NULL;
  }
  return g->out;
}

/* The yield: hands V to the resumer; returns what send() gave (or NULL with the
   thrown exception pending). */
static Value *gen_suspend(Eval *ev, Gen *g, Value *v, Span sp) {
  g->out = v;
  g->st = G_SUSPENDED;
  g->top = ev->frame;
  g->depth = ev->depth - g->rdepth;
  g->handling = ev->handling;
#ifdef SLIMC_ASAN
  void *fake = NULL;
  __sanitizer_start_switch_fiber(&fake, g->back_lo, g->back_size);
#endif
  ctx_switch(&g->ctx, &g->back);
#ifdef SLIMC_ASAN
  __sanitizer_finish_switch_fiber(fake, &g->back_lo, &g->back_size);
#endif
  if (g->thrown) {
    Value *e = g->thrown;
    g->thrown = NULL;
    raise_exc(ev, e, sp);
    return NULL;
  }
  return g->in;
}

/* next(): NULL at the end (no error) or with an error pending. */
static Value *gen_next(Eval *ev, Value *gv, Span sp) { return gen_resume(ev, gv->u.ext.data, NULL, NULL, sp); }

static Value *stop_iteration(Eval *ev, Gen *g, Span sp) {
  Value *r = g->ret ? g->ret : val_none(ev);
  Value *e = py_exc_new(ev, "StopIteration", g->ret && g->ret->kind != V_NONE ? val_tuple_of(ev, &r, 1) : NULL);
  ((ExcObj *)e->u.ext.data)->value = r;
  raise_exc(ev, e, sp);
  return NULL;
}

static Value *eval_yield(Eval *ev, Env *env, Ast *n) {
  Gen *g = ev->gen;
  if (!g || env != g->env) return eval_error(ev, n->span, "E0330", "'yield' outside function");
  if (n->kind == AST_YIELD) {
    Value *v = n->u.expr.value ? eval_expr(ev, env, n->u.expr.value) : val_none(ev);
    if (!v) return NULL;
    return gen_suspend(ev, g, v, n->span);
  }
  Value *src = eval_expr(ev, env, n->u.expr.value);
  if (!src) return NULL;
  if (!val_is_ext(src, &gen_type)) { /* yield from a list, tuple, range, ... */
    Value *items = eval_iter_list(ev, src, n->u.expr.value->span);
    if (!items) return NULL;
    for (int i = 0; i < items->u.list.n; i++)
      if (!gen_suspend(ev, g, items->u.list.items[i], n->span)) return NULL;
    return val_none(ev);
  }
  Gen *sub = src->u.ext.data;
  Value *in = NULL, *thrown = NULL;
  for (;;) {
    Value *y = gen_resume(ev, sub, in, thrown, n->span);
    if (!y) return ev->err ? NULL : sub->ret ? sub->ret : val_none(ev);
    in = gen_suspend(ev, g, y, n->span);
    thrown = NULL;
    if (!in) { /* thrown into this generator: on to the delegate */
      if (!err_catchable(ev)) return NULL;
      thrown = pending_exc(ev);
      eval_clear_error(ev);
    }
  }
}

static bool exc_is(Eval *ev, const char *cls) {
  return ev->err && err_catchable(ev) && py_exc_subclass(((ExcObj *)pending_exc(ev)->u.ext.data)->cls, cls);
}

/* g.close(): GeneratorExit at the yield; the generator must not yield again. */
static Value *gen_close(Eval *ev, Gen *g, Span sp) {
  if (g->st == G_NEW) {
    g->st = G_DONE;
    return val_none(ev);
  }
  if (g->st == G_DONE) return val_none(ev);
  Value *y = gen_resume(ev, g, NULL, py_exc_new(ev, "GeneratorExit", NULL), sp);
  if (y) return eval_error(ev, sp, "E0309", "RuntimeError: generator ignored GeneratorExit");
  if (exc_is(ev, "GeneratorExit") || exc_is(ev, "StopIteration")) eval_clear_error(ev);
  return ev->err ? NULL : val_none(ev);
}

typedef struct GenMethod { Value *self; int which; } GenMethod;
enum { GM_NEXT, GM_SEND, GM_CLOSE, GM_THROW, GM_ITER };

static Value *gen_method(Eval *ev, const Args *a, void *data) {
  GenMethod *m = data;
  Gen *g = m->self->u.ext.data;
  Span sp = a->call_span;
  static const char *const names[] = {"__next__", "send", "close", "throw", "__iter__"};
  int want = m->which == GM_SEND || m->which == GM_THROW ? 1 : 0;
  if (a->nkw) return eval_error(ev, sp, "E0303", "generator.%s() takes no keyword arguments", names[m->which]);
  if (a->npos != want)
    return eval_error(ev, sp, "E0303", "generator.%s() takes exactly %s (%d given)", names[m->which],
                      want ? "one argument" : "no arguments", a->npos);
  switch (m->which) {
  case GM_ITER: return m->self;
  case GM_CLOSE: return gen_close(ev, g, sp);
  case GM_THROW: {
    Value *e = as_exception(ev, a->pos[0], sp);
    if (!e) return NULL;
    Value *y = gen_resume(ev, g, NULL, e, sp);
    return y ? y : ev->err ? NULL : stop_iteration(ev, g, sp);
  }
  default: {
    Value *y = gen_resume(ev, g, m->which == GM_SEND ? a->pos[0] : NULL, NULL, sp);
    return y ? y : ev->err ? NULL : stop_iteration(ev, g, sp);
  }
  }
}

static Value *gen_getattr(Eval *ev, Value *self, const char *attr, Span sp) {
  (void)sp;
  static const char *const names[] = {"__next__", "send", "close", "throw", "__iter__"};
  for (int i = 0; i < 5; i++)
    if (strcmp(attr, names[i]) == 0) {
      GenMethod *m = eval_alloc(ev, sizeof *m);
      m->self = self;
      m->which = i;
      Builtin *b = eval_alloc(ev, sizeof *b);
      b->name = names[i];
      b->fn = gen_method;
      b->data = m;
      return val_builtin(ev, b);
    }
  if (strcmp(attr, "__name__") == 0) return val_str(ev, ((Gen *)self->u.ext.data)->f->name);
  return NULL;
}

/* next(iterator[, default]) for generators; other iterators go to the builtin `next`
   installed before (DATA, the Value of py_modules.c's), if any. */
static Value *b_next(Eval *ev, const Args *a, void *data) {
  if (data && !(a->npos >= 1 && val_is_ext(a->pos[0], &gen_type))) return eval_call(ev, data, a);
  if (a->nkw) return eval_error(ev, a->call_span, "E0303", "next() takes no keyword arguments");
  if (a->npos < 1 || a->npos > 2)
    return eval_error(ev, a->call_span, "E0303", "next expected at least 1 argument, got %d", a->npos);
  if (!val_is_ext(a->pos[0], &gen_type))
    return eval_error(ev, a->call_span, "E0302", "'%s' object is not an iterator", val_type_name(a->pos[0]));
  Gen *g = a->pos[0]->u.ext.data;
  Value *y = gen_resume(ev, g, NULL, NULL, a->call_span);
  if (y || ev->err) return y;
  return a->npos == 2 ? a->pos[1] : stop_iteration(ev, g, a->call_span);
}

/* contextlib.contextmanager: calling the decorated function makes a context manager
   whose __enter__ runs the generator to its yield and whose exit resumes it (throwing
   the with-body's exception in at the yield). */
static Value *cm_enter(Eval *ev, Value *self, Span sp) {
  Value *g = self->u.ext.data;
  Value *y = gen_next(ev, g, sp);
  if (!y && !ev->err) return eval_error(ev, sp, "E0309", "RuntimeError: generator didn't yield");
  return y;
}
static const char *cm_repr(Eval *ev, Value *self) {
  return arena_printf(ev->arena, "<contextlib._GeneratorContextManager object at %p>", self->u.ext.data);
}
static const ExtType gen_cm_type = {.name = "_GeneratorContextManager", .enter = cm_enter, .repr = cm_repr};

static Value *cm_call(Eval *ev, const Args *a, void *data) {
  Value *g = eval_call(ev, data, a);
  if (!g) return NULL;
  if (!val_is_ext(g, &gen_type))
    return eval_error(ev, a->call_span, "E0302", "TypeError: '%s' object is not an iterator", val_type_name(g));
  return val_ext(ev, &gen_cm_type, g);
}

static Value *b_contextmanager(Eval *ev, const Args *a, void *data) {
  (void)data;
  if (a->npos != 1 || a->nkw)
    return eval_error(ev, a->call_span, "E0303", "contextmanager() takes exactly one argument (%d given)", a->npos);
  Builtin *b = eval_alloc(ev, sizeof *b);
  b->name = eval_callable_name(a->pos[0]);
  b->fn = cm_call;
  b->data = a->pos[0];
  return val_builtin(ev, b);
}

/* The end of `with CM:` for a generator context manager; FL is the body's flow. */
static enum Flow cm_exit(Eval *ev, Value *cm, enum Flow fl, Span sp) {
  Gen *g = ((Value *)cm->u.ext.data)->u.ext.data;
  if (fl != F_ERROR) {
    Value *ret = ev->retval;
    if (gen_resume(ev, g, NULL, NULL, sp)) {
      eval_error(ev, sp, "E0309", "RuntimeError: generator didn't stop");
      return F_ERROR;
    }
    ev->retval = ret;
    return ev->err ? F_ERROR : fl;
  }
  if (!err_catchable(ev)) return F_ERROR;
  Value *e = pending_exc(ev);
  ErrState st;
  err_save(ev, &st);
  if (gen_resume(ev, g, NULL, e, sp)) {
    eval_error(ev, sp, "E0309", "RuntimeError: generator didn't stop after throw()");
    return F_ERROR;
  }
  if (!ev->err) return F_NORMAL; /* the generator swallowed the exception */
  if (ev->err_exc == e) err_restore(ev, &st); /* the same exception: as first raised */
  return F_ERROR;
}

/* iter(generator) is the generator itself; anything else goes to the builtin `iter`
   installed before (DATA). */
static Value *b_iter_gen(Eval *ev, const Args *a, void *data) {
  if (a->npos == 1 && !a->nkw && val_is_ext(a->pos[0], &gen_type)) return a->pos[0];
  if (data) return eval_call(ev, data, a);
  return eval_error(ev, a->call_span, "E0302", "'%s' object is not iterable",
                    a->npos ? val_type_name(a->pos[0]) : "NoneType");
}

static void gen_install(Eval *ev) {
  Builtin *b = eval_alloc(ev, sizeof *b);
  b->name = "next";
  b->fn = b_next;
  b->data = eval_get_global(ev, "next");
  eval_set_global(ev, "next", val_builtin(ev, b));
  Builtin *bi = eval_alloc(ev, sizeof *bi);
  bi->name = "iter";
  bi->fn = b_iter_gen;
  bi->data = eval_get_global(ev, "iter");
  eval_set_global(ev, "iter", val_builtin(ev, bi));
  Value *ns = dict_get_str(ev->modules, "contextlib");
  if (!ns) {
    ns = val_namespace(ev, "contextlib");
    eval_register_module(ev, "contextlib", ns);
  }
  Builtin *c = eval_alloc(ev, sizeof *c);
  c->name = "contextmanager";
  c->fn = b_contextmanager;
  ns_set(ev, ns, "contextmanager", val_builtin(ev, c));
}

/* Decorators: their expressions evaluated top-down (DECS), applied bottom-up to V. */
static Value **eval_decorators(Eval *ev, Env *env, AstList *dl, bool *ok) {
  Value **decs = dl->n ? eval_alloc(ev, sizeof(Value *) * (size_t)dl->n) : NULL;
  *ok = true;
  for (int i = 0; i < dl->n && *ok; i++) *ok = (decs[i] = eval_expr(ev, env, dl->items[i])) != NULL;
  return decs;
}

static Value *apply_decorators(Eval *ev, AstList *dl, Value **decs, Value *v) {
  for (int i = dl->n - 1; i >= 0 && v; i--) {
    Value *inner = v;
    v = eval_call_pos(ev, decs[i], &inner, 1, dl->items[i]->span);
  }
  return v;
}

/* ---- pyclass: the class statement, super(), `with` on instances ---- */

/* class NAME(BASE): BODY -- the body runs in its own namespace whose parent holds
   __class__ (what super() and methods' __class__ read), as CPython's cell does. */
static enum Flow exec_class(Eval *ev, Env *env, Ast *s) {
  AstList *dl = &s->u.cls.decorators;
  bool ok;
  Value **decs = eval_decorators(ev, env, dl, &ok);
  if (!ok) return F_ERROR;
  Value *base = NULL;
  for (int i = 0; i < s->u.cls.bases.n; i++) {
    Ast *a = s->u.cls.bases.items[i];
    if (a->u.arg.kind != ARG_POS) {
      eval_error(ev, a->span, "E0104", "%s in a class statement is not supported in Slim",
                 a->u.arg.kind == ARG_KW ? arena_printf(ev->arena, "keyword '%s'", a->u.arg.name) : "unpacking");
      return F_ERROR;
    }
    Value *b = eval_expr(ev, env, a->u.arg.value);
    if (!b) return F_ERROR;
    if (base && b->kind == V_CLASS && base->kind == V_CLASS && b->u.cls == base->u.cls) {
      eval_error(ev, a->span, "E0302", "duplicate base class %s", b->u.cls->name);
      return F_ERROR;
    }
    if (base) {
      eval_error(ev, a->span, "E0104", "multiple inheritance is not supported in Slim (one base class)");
      return F_ERROR;
    }
    base = b;
  }
  const char *qual = s->u.cls.name;
  if (env->is_class) qual = arena_printf(ev->arena, "%s.%s", env->qualname, qual);
  else if (env->fdef && env->fdef->kind == AST_DEF)
    qual = arena_printf(ev->arena, "%s.<locals>.%s", env->fdef->u.fn.name, qual);
  bool loaded = env->mod && !env->mod->is_main && env->mod->path;
  const char *module = loaded ? env->mod->path : "__main__";
  if (loaded) { /* a loaded file's module name: its stem */
    const char *slash = strrchr(module, '/'), *dot;
    module = slash ? slash + 1 : module;
    dot = strrchr(module, '.');
    if (dot) module = arena_strndup(ev->arena, module, (size_t)(dot - module));
  }
  /* check the base before the body runs, as CPython does */
  Value *cls = pyc_new_class(ev, s->u.cls.name, qual, module, base, NULL, s->span);
  if (!cls) return F_ERROR;
  Env *cell = eval_alloc(ev, sizeof *cell);
  cell->parent = env;
  cell->mod = env->mod;
  cell->fdef = env->fdef;
  Env *body = eval_alloc(ev, sizeof *body);
  body->parent = cell;
  body->mod = env->mod;
  body->is_class = true;
  body->qualname = qual;
  bind(ev, body, "__module__", val_str(ev, module));
  bind(ev, body, "__qualname__", val_str(ev, qual));
  AstList *bl = &s->u.cls.body;
  if (bl->n && bl->items[0]->kind == AST_EXPR_STMT && bl->items[0]->u.expr.value->kind == AST_STR) {
    Ast *d = bl->items[0]->u.expr.value;
    bind(ev, body, "__doc__", val_strn(ev, d->u.str.s, d->u.str.len));
  } else {
    bind(ev, body, "__doc__", val_none(ev));
  }
  Frame fr;
  if (!push_frame(ev, &fr, s->u.cls.name, s->span)) return F_ERROR;
  enum Flow fl = exec_block(ev, body, bl);
  pop_frame(ev, &fr);
  if (fl == F_ERROR) {
    chain_note(ev, s->span, "in the body of class '%s'", s->u.cls.name);
    return F_ERROR;
  }
  Dict *ns = cls->u.cls->attrs;
  for (int i = 0; i < body->vars.cap; i++) /* __qualname__ is no class attribute in CPython */
    if (body->vars.s[i].name && strcmp(body->vars.s[i].name, "__qualname__"))
      dict_set_str(ev, ns, body->vars.s[i].name, body->vars.s[i].v);
  Value *q = dict_get_str(ns, "__module__");
  if (q && q->kind == V_STR) cls->u.cls->module = q->u.str.s;
  bind(ev, cell, "__class__", cls);
  if (!(cls = apply_decorators(ev, dl, decs, cls))) return F_ERROR;
  bind(ev, env, s->u.cls.name, cls);
  return F_NORMAL;
}

/* super() in a method: super(__class__, <first argument>) */
static Value *zero_arg_super(Eval *ev, Env *env, Span sp) {
  Env *fe = env;
  while (fe && !fe->fdef) fe = fe->parent;
  if (!fe || fe->fdef->u.fn.params.n == 0 || fe->fdef->u.fn.params.items[0]->u.param.kind != PARAM_PLAIN)
    return eval_error(ev, sp, "E0309", "super(): no arguments");
  Slot *cs = NULL;
  for (Env *e = fe->parent; e && !cs; e = e->parent) cs = tab_find(&e->vars, "__class__", hname("__class__"));
  if (!cs || cs->v->kind != V_CLASS) return eval_error(ev, sp, "E0309", "super(): __class__ cell not found");
  const char *self = fe->fdef->u.fn.params.items[0]->u.param.name;
  Slot *ss = tab_find(&fe->vars, self, hname(self));
  if (!ss) return eval_error(ev, sp, "E0309", "super(): arg[0] deleted");
  return pyc_super(ev, cs->v, ss->v, sp);
}


/* `with` on a user instance: __enter__, the rest, then __exit__ on every way out:
   (None, None, None), or the body's exception, which a true result suppresses. The
   resource limits are no exceptions: no __exit__ runs for them (docs/python.md). */
static enum Flow exec_with(Eval *ev, Env *env, Ast *s, int k);
static enum Flow with_user(Eval *ev, Env *env, Ast *s, int k, Value *cm) {
  Ast *item = s->u.with.items.items[k];
  Span sp = item->u.withitem.ctx->span;
  bool has_enter = pyc_has_dunder(cm, "__enter__"), has_exit = pyc_has_dunder(cm, "__exit__");
  if (!has_enter || !has_exit) {
    eval_error(ev, sp, "E0302", "'%s' object does not support the context manager protocol%s", val_type_name(cm),
               has_enter ? " (missed __exit__ method)" : "");
    return F_ERROR;
  }
  bool found;
  Value *as = pyc_call_dunder(ev, cm, "__enter__", NULL, 0, sp, &found);
  if (!as) return F_ERROR;
  enum Flow fl = F_NORMAL;
  if (item->u.withitem.as && !assign(ev, env, item->u.withitem.as, as)) fl = F_ERROR;
  if (fl != F_ERROR) fl = exec_with(ev, env, s, k + 1);
  Value *retval = ev->retval;
  Value *none[3] = {val_none(ev), val_none(ev), val_none(ev)};
  if (fl == F_ERROR && err_catchable(ev)) {
    /* __exit__(type, value, None) with the body's exception; a true result suppresses it */
    Value *e = pending_exc(ev), *prev = ev->handling;
    ExcObj *x = e->u.ext.data;
    Value *cls = eval_get_global(ev, x->cls);
    Value *exc3[3] = {cls ? cls : val_none(ev), e, val_none(ev)};
    ErrState st;
    err_save(ev, &st);
    ev->handling = e;
    Value *r = pyc_call_dunder(ev, cm, "__exit__", exc3, 3, sp, &found);
    ev->handling = prev;
    if (!r) return F_ERROR; /* an error in __exit__ replaces the body's */
    int t = eval_truthy(ev, r, sp);
    if (t < 0) return F_ERROR;
    if (t) {
      ev->retval = retval;
      return F_NORMAL;
    }
    err_restore(ev, &st);
    return F_ERROR;
  }
  if (fl == F_ERROR) return fl;
  if (!pyc_call_dunder(ev, cm, "__exit__", none, 3, sp, &found)) return F_ERROR;
  ev->retval = retval;
  return fl;
}

static enum Flow exec_with(Eval *ev, Env *env, Ast *s, int k) {
  if (k == s->u.with.items.n) return exec_block(ev, env, &s->u.with.body);
  Ast *item = s->u.with.items.items[k];
  Value *cm = eval_expr(ev, env, item->u.withitem.ctx);
  if (!cm) return F_ERROR;
  if (pyc_is_user(cm)) return with_user(ev, env, s, k, cm); /* pyclass */
  if (cm->kind != V_EXT || !cm->u.ext.type->enter) {
    eval_error(ev, item->u.withitem.ctx->span, "E0302", "'%s' object does not support the context manager protocol",
               val_type_name(cm));
    return F_ERROR;
  }
  Value *as = cm->u.ext.type->enter(ev, cm, item->u.withitem.ctx->span);
  if (!as) return F_ERROR;
  if (item->u.withitem.as && !assign(ev, env, item->u.withitem.as, as)) return F_ERROR;
  enum Flow fl = exec_with(ev, env, s, k + 1);
  if (val_is_ext(cm, &gen_cm_type)) return cm_exit(ev, cm, fl, item->u.withitem.ctx->span); /* pyexc */
  if (fl == F_ERROR && err_catchable(ev) && cm->u.ext.type->exit) { /* pyexc: an exception leaves the block */
    Value *e = pending_exc(ev), *prev = ev->handling;
    ErrState st;
    err_save(ev, &st);
    ev->handling = e;
    int r = cm->u.ext.type->exit(ev, cm, item->u.withitem.ctx->span);
    ev->handling = prev;
    if (r == 0 && !ev->err) err_restore(ev, &st);
    return F_ERROR;
  }
  /* scopes must close on return/break too; after an error evaluation stops anyway */
  if (fl != F_ERROR && cm->u.ext.type->exit && cm->u.ext.type->exit(ev, cm, item->u.withitem.ctx->span) != 0)
    return F_ERROR;
  return fl;
}

static enum Flow exec_stmt(Eval *ev, Env *env, Ast *s) {
  if (!eval_step(ev, s->span)) return F_ERROR;
  switch (s->kind) {
  case AST_EXPR_STMT: return eval_expr(ev, env, s->u.expr.value) ? F_NORMAL : F_ERROR;
  case AST_ASSIGN: {
    Value *v = eval_expr(ev, env, s->u.assign.value);
    if (!v) return F_ERROR;
    for (int i = 0; i < s->u.assign.targets.n; i++)
      if (!assign(ev, env, s->u.assign.targets.items[i], v)) return F_ERROR;
    return F_NORMAL;
  }
  case AST_AUGASSIGN: {
    Ast *t = s->u.aug.target;
    Value *obj = NULL, *idx = NULL, *cur;
    if (t->kind == AST_NAME) cur = lookup(ev, env, t->u.name, t->span);
    else if (t->kind == AST_ATTR) { /* pyclass: obj.x += 1 */
      if (!(obj = eval_expr(ev, env, t->u.attr.obj))) return F_ERROR;
      cur = eval_getattr(ev, obj, t->u.attr.name, t->span);
    } else if (t->kind == AST_INDEX) {
      if (!(obj = eval_expr(ev, env, t->u.index.obj))) return F_ERROR;
      if (!(idx = eval_index_expr(ev, env, t->u.index.index))) return F_ERROR;
      cur = index_value(ev, obj, idx, t->span);
    } else {
      eval_error(ev, t->span, "E0306", "illegal expression for augmented assignment");
      return F_ERROR;
    }
    if (!cur) return F_ERROR;
    Value *r = eval_expr(ev, env, s->u.aug.value);
    if (!r) return F_ERROR;
    Value *nv;
    if (cur->kind == V_LIST && s->u.aug.op == OP_ADD) { /* list += iterable extends in place */
      Value *items = eval_iter_list(ev, r, s->u.aug.value->span);
      if (!items) return F_ERROR;
      /* n fixed first: for `xs += xs` ITEMS is CUR itself, and grows as we append */
      int n = items->u.list.n;
      if ((int64_t)cur->u.list.n + n > INT_MAX ||
          !eval_check_mem(ev, sizeof(Value *) * ((size_t)cur->u.list.n + (size_t)n), s->span)) {
        if (!ev->err) eval_error(ev, s->span, "E0314", "extended list is too large");
        return F_ERROR;
      }
      for (int i = 0; i < n; i++) val_list_append(ev, cur, items->u.list.items[i]);
      nv = cur;
    } else {
      nv = eval_binop(ev, s->u.aug.op, cur, r, s->span);
      if (!nv) return F_ERROR;
    }
    if (t->kind == AST_NAME) bind(ev, env, t->u.name, nv);
    else if (t->kind == AST_ATTR) {
      if (!pyc_setattr(ev, obj, t->u.attr.name, nv, t->span)) {
        if (!ev->err)
          eval_error(ev, t->span, "E0304", "cannot set attribute '%s' of a '%s' object", t->u.attr.name,
                     val_type_name(obj));
        return F_ERROR;
      }
    } else if (!store_index(ev, obj, idx, nv, t->span)) return F_ERROR;
    return F_NORMAL;
  }
  case AST_RETURN: {
    if (!env->locals) {
      eval_error(ev, s->span, "E0319", "'return' outside function");
      return F_ERROR;
    }
    Value *v = s->u.expr.value ? eval_expr(ev, env, s->u.expr.value) : val_none(ev);
    if (!v) return F_ERROR;
    ev->retval = v;
    return F_RETURN;
  }
  case AST_PASS: return F_NORMAL;
  case AST_BREAK: return F_BREAK;
  case AST_CONTINUE: return F_CONTINUE;
  case AST_RAISE: return exec_raise(ev, env, s);
  /* pyexc */
  case AST_TRY: return exec_try(ev, env, s);
  case AST_DEL:
    for (int i = 0; i < s->u.list.items.n; i++)
      if (!exec_del(ev, env, s->u.list.items.items[i])) return F_ERROR;
    return F_NORMAL;
  case AST_GLOBAL: return F_NORMAL;
  case AST_NONLOCAL: return exec_nonlocal(ev, env, s) ? F_NORMAL : F_ERROR;
  case AST_ASSERT: {
    Value *c = eval_expr(ev, env, s->u.assert_.cond);
    if (!c) return F_ERROR;
    int t = eval_truthy(ev, c, s->u.assert_.cond->span);
    if (t < 0) return F_ERROR;
    if (t) return F_NORMAL;
    if (s->u.assert_.msg) {
      Value *m = eval_expr(ev, env, s->u.assert_.msg);
      if (!m) return F_ERROR;
      eval_error(ev, s->span, "E0311", "AssertionError: %s", val_str_of(ev, m));
    } else {
      eval_error(ev, s->span, "E0311", "AssertionError");
    }
    return F_ERROR;
  }
  case AST_IF: /* if / elif / ... / else: the elif chain runs as a loop */
    for (;;) {
      Value *c = eval_expr(ev, env, s->u.if_.cond);
      if (!c) return F_ERROR;
      int t = eval_truthy(ev, c, s->u.if_.cond->span);
      if (t < 0) return F_ERROR;
      if (t) return exec_block(ev, env, &s->u.if_.body);
      if (s->u.if_.orelse.n != 1 || s->u.if_.orelse.items[0]->kind != AST_IF)
        return exec_block(ev, env, &s->u.if_.orelse);
      s = s->u.if_.orelse.items[0];
      if (!eval_step(ev, s->span)) return F_ERROR;
    }
  case AST_FOR: {
    Value *seqv = eval_expr(ev, env, s->u.for_.iter);
    if (!seqv) return F_ERROR;
    Iter it;
    if (!iter_init(ev, &it, seqv, s->u.for_.iter->span)) return F_ERROR;
    for (Value *x; (x = iter_next(ev, &it));) {
      if (!assign(ev, env, s->u.for_.target, x)) return F_ERROR;
      enum Flow fl = exec_block(ev, env, &s->u.for_.body);
      if (fl == F_BREAK) return F_NORMAL;
      if (fl == F_RETURN || fl == F_ERROR) return fl;
    }
    if (ev->err) return F_ERROR;
    return exec_block(ev, env, &s->u.for_.orelse); /* pyexc: for/else, run unless a break */
  }
  case AST_WHILE: /* Python's while/else; every test of the condition is an evaluation step, so
                     a loop that never ends stops at -fmax-eval-steps */
    for (;;) {
      if (!eval_step(ev, s->span)) return F_ERROR;
      Value *c = eval_expr(ev, env, s->u.while_.cond);
      if (!c) return F_ERROR;
      int t = eval_truthy(ev, c, s->u.while_.cond->span);
      if (t < 0) return F_ERROR;
      if (!t) return exec_block(ev, env, &s->u.while_.orelse);
      enum Flow fl = exec_block(ev, env, &s->u.while_.body);
      if (fl == F_BREAK) return F_NORMAL;
      if (fl == F_RETURN || fl == F_ERROR) return fl;
    }
  case AST_WITH: return exec_with(ev, env, s, 0);
  case AST_DEF: {
    /* decorator expressions are evaluated top-down, applied bottom-up */
    AstList *dl = &s->u.fn.decorators;
    bool ok;
    Value **decs = eval_decorators(ev, env, dl, &ok);
    if (!ok) return F_ERROR;
    Value *f = make_func(ev, env, s, s->u.fn.name);
    if (!f || !(f = apply_decorators(ev, dl, decs, f))) return F_ERROR;
    bind(ev, env, s->u.fn.name, f);
    return F_NORMAL;
  }
  case AST_MODEL:
    if (!env->locals && env->mod && env->mod->is_main) {
      if (ev->nmodels == ev->capmodels) {
        int cap = ev->capmodels ? ev->capmodels * 2 : 4;
        ev->models = arena_realloc(ev->arena, ev->models, sizeof(ModelDecl) * (size_t)ev->capmodels,
                                   sizeof(ModelDecl) * (size_t)cap);
        ev->capmodels = cap;
      }
      for (int i = 0; i < ev->nmodels; i++)
        if (strcmp(ev->models[i].name, s->u.fn.name) == 0) {
          eval_error(ev, s->span, "E0319", "model '%s' is declared twice", s->u.fn.name);
          eval_note(ev, ev->models[i].def->span, "first declared here");
          return F_ERROR;
        }
      ev->models[ev->nmodels++] = (ModelDecl){s->u.fn.name, s, env->mod->file};
    } else if (env->locals) {
      eval_error(ev, s->span, "E0319", "'model' must be declared at the top level of a file");
      return F_ERROR;
    }
    return F_NORMAL;
  case AST_LOAD: return exec_load(ev, env, s) ? F_NORMAL : F_ERROR;
  case AST_CLASS: return exec_class(ev, env, s); /* pyclass */
  case AST_IMPORT: case AST_FROM_IMPORT: return exec_import(ev, env, s) ? F_NORMAL : F_ERROR;
  case AST_ERROR: eval_error(ev, s->span, "E0300", "invalid statement"); return F_ERROR;
  default:
    if (eval_expr(ev, env, s)) return F_NORMAL;
    return F_ERROR;
  }
}

static enum Flow exec_block(Eval *ev, Env *env, AstList *body) {
  for (int i = 0; i < body->n; i++) {
    enum Flow fl = exec_stmt(ev, env, body->items[i]);
    if (fl != F_NORMAL) return fl;
  }
  return F_NORMAL;
}

static enum Flow run_module(Eval *ev, Module *m, Ast *ast) {
  m->env = eval_alloc(ev, sizeof *m->env);
  m->env->mod = m;
  /* pymod: every module is a module object, with __name__ as CPython gives it */
  if (!m->name) m->name = "__main__";
  if (!m->package) m->package = "";
  if (!m->ns) m->ns = val_namespace(ev, m->name);
  bind(ev, m->env, "__name__", val_str(ev, m->name));
  enum Flow fl = exec_block(ev, m->env, &ast->u.module.body);
  if (fl == F_BREAK || fl == F_CONTINUE) {
    eval_error(ev, ast->span, "E0319", "'break' or 'continue' outside loop");
    fl = F_ERROR;
  }
  m->done = true;
  return fl;
}

/* ---- entry points ---- */

int eval_main_file(Eval *ev, int file_idx) {
  int before = ev->d->nerrors;
  Ast *ast = parse_file(ev->arena, ev->d, file_idx);
  if (ev->d->nerrors > before) return 1;
  Module *m = eval_alloc(ev, sizeof *m);
  const SrcFile *f = src_file(ev->sm, file_idx);
  char *real = f ? realpath(f->path, NULL) : NULL;
  m->path = real ? arena_strdup(ev->arena, real) : NULL;
  free(real);
  m->file = file_idx;
  m->is_main = true;
  m->load_span = SPAN_NONE;
  m->root = f ? dir_of(ev, f->path) : ".";
  ptrvec_push(ev->arena, &ev->mods, m);
  if (m->path) tab_put(ev, &ev->mod_paths, m->path, hname(m->path), (Value *)(void *)m);
  if (run_module(ev, m, ast) == F_ERROR || ev->err) {
    report(ev);
    return 1;
  }
  return 0;
}

int eval_models(Eval *ev, ModelDecl **out) {
  *out = ev->models;
  return ev->nmodels;
}

int eval_loaded_files(Eval *ev, const char ***paths) {
  *paths = (const char **)ev->loaded_paths.items;
  return ev->loaded_paths.n;
}

/* -D values: int, float, True/False/None, else the text as a string. */
static Value *parse_define(Eval *ev, const char *s) {
  char *end;
  if (*s) {
    long long i = strtoll(s, &end, 0);
    if (!*end) return val_int(ev, i);
    double f = strtod(s, &end);
    if (!*end) return val_float(ev, f);
  }
  if (strcmp(s, "True") == 0) return val_bool(ev, true);
  if (strcmp(s, "False") == 0) return val_bool(ev, false);
  if (strcmp(s, "None") == 0) return val_none(ev);
  return val_str(ev, s);
}

int eval_run_model(Eval *ev, const ModelDecl *md) {
  Ast *def = md->def;
  Module *mod = NULL;
  for (int i = 0; i < ev->mods.n; i++) {
    Module *x = ev->mods.items[i];
    if (x->file == md->file) mod = x;
  }
  if (!mod) {
    diag_error(ev->d, def->span, "E0318", "model '%s' does not belong to an evaluated file", md->name);
    return 1;
  }
  AstList *pl = &def->u.fn.params;
  /* -D names must each name a parameter */
  const char **pnames = eval_alloc(ev, sizeof(char *) * (size_t)(pl->n + 1));
  for (int i = 0; i < pl->n; i++) pnames[i] = pl->items[i]->u.param.name;
  Value **dvals = eval_alloc(ev, sizeof(Value *) * (size_t)(pl->n + 1));
  for (int d = 0; d < ev->opt.ndefines; d++) {
    const char *def_s = ev->opt.defines[d];
    const char *eq = strchr(def_s, '=');
    const char *name = eq ? arena_strndup(ev->arena, def_s, (size_t)(eq - def_s)) : def_s;
    int j = -1;
    for (int i = 0; i < pl->n; i++)
      if (pnames[i] && strcmp(pnames[i], name) == 0) j = i;
    if (j < 0 || pl->items[j]->u.param.kind != PARAM_PLAIN) {
      const char *sug = eval_suggest(name, pnames, pl->n);
      if (j >= 0)
        diag_error(ev->d, pl->items[j]->span, "E0318", "-D %s: '%s' is an input tensor of model '%s', not an option",
                   name, name, md->name);
      else if (sug)
        diag_error(ev->d, def->span, "E0318", "-D %s: model '%s' has no parameter '%s'; did you mean '%s'?", name,
                   md->name, name, sug);
      else
        diag_error(ev->d, def->span, "E0318", "-D %s: model '%s' has no parameter '%s'", name, md->name, name);
      return 1;
    }
    dvals[j] = parse_define(ev, eq ? eq + 1 : "True");
  }
  if (ev->has_hooks && ev->hooks.model_begin && ev->hooks.model_begin(ev, md->name, def->span) != 0) {
    report(ev);
    return 1;
  }
  Env *env = eval_alloc(ev, sizeof *env);
  env->parent = mod->env;
  env->locals = func_info(ev, def)->locals;
  env->decls = func_info(ev, def)->decls;
  env->mod = mod;
  for (int i = 0; i < pl->n; i++) {
    Ast *p = pl->items[i];
    Value *v = NULL;
    if (p->u.param.kind == PARAM_TENSOR) {
      if (ev->has_hooks && ev->hooks.model_input)
        v = ev->hooks.model_input(ev, p->u.param.name, p->u.param.dtype, p->u.param.dims, p->u.param.ndims, p->span);
      else
        v = val_none(ev);
    } else if (dvals[i]) {
      v = dvals[i];
    } else if (p->u.param.deflt) {
      v = eval_expr(ev, mod->env, p->u.param.deflt);
    } else if (p->u.param.name) {
      eval_error(ev, p->span, "E0318", "model option '%s' has no value (give one with -D %s=VALUE)", p->u.param.name,
                 p->u.param.name);
    }
    if (!v) {
      report(ev);
      return 1;
    }
    if (p->u.param.name) bind(ev, env, p->u.param.name, v);
  }
  Frame fr;
  push_frame(ev, &fr, md->name, def->span);
  enum Flow fl = exec_block(ev, env, &def->u.fn.body);
  pop_frame(ev, &fr);
  Value *result = fl == F_RETURN ? ev->retval : val_none(ev);
  ev->retval = NULL;
  if (fl == F_ERROR || ev->err || (fl != F_RETURN && fl != F_NORMAL)) {
    if (!ev->err) eval_error(ev, def->span, "E0319", "'break' or 'continue' outside loop");
    report(ev);
    return 1;
  }
  if ((ev->has_hooks && ev->hooks.model_end && ev->hooks.model_end(ev, result, def->span) != 0) || ev->err) {
    report(ev);
    return 1;
  }
  return 0;
}
