/* The builtins of LANGUAGE.md 3.1 that builtins_py.c lacks (chr, ord, type, iter, next,
 * set, frozenset, setattr, hex/oct/bin) and the pure-Python built-in modules of 3.2
 * (copy, contextlib, os / os.path, six / six.moves, logging, a small numpy), with
 * CPython's behaviour on compile-time values. tf.logging, tf.contrib.training.HParams
 * and tf.test live here too (pymod_install_tf), on top of the TF namespace. */
#include "py/py_modules.h"
#include "py/callargs.h"
#include "py/builtins_py.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define P(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NOARGS ((const char *const[]){NULL})
#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Span asp(const Args *a, int i) { return a->pos_spans && i < a->npos ? a->pos_spans[i] : a->call_span; }

static void pm_fill(Eval *ev, Value *ns, const PyFn *tab, int n, Value *self) {
  for (int i = 0; i < n; i++) ns_set(ev, ns, tab[i].name, py_fn_new(ev, &tab[i], self));
}

/* ---- chr, ord, hex, oct, bin ---- */

static Value *b_chr(Eval *ev, Value *self, Value **v, const Args *a) {
  (void)self;
  if (v[0]->kind != V_INT && v[0]->kind != V_BOOL)
    return eval_error(ev, asp(a, 0), "E0302", "'%s' object cannot be interpreted as an integer", val_type_name(v[0]));
  int64_t c = v[0]->kind == V_INT ? v[0]->u.i : v[0]->u.b;
  if (c < 0 || c >= 0x110000) return eval_error(ev, asp(a, 0), "E0306", "chr() arg not in range(0x110000)");
  char buf[5];
  int n;
  if (c < 0x80) buf[0] = (char)c, n = 1;
  else if (c < 0x800) buf[0] = (char)(0xC0 | (c >> 6)), buf[1] = (char)(0x80 | (c & 63)), n = 2;
  else if (c < 0x10000)
    buf[0] = (char)(0xE0 | (c >> 12)), buf[1] = (char)(0x80 | ((c >> 6) & 63)), buf[2] = (char)(0x80 | (c & 63)), n = 3;
  else
    buf[0] = (char)(0xF0 | (c >> 18)), buf[1] = (char)(0x80 | ((c >> 12) & 63)), buf[2] = (char)(0x80 | ((c >> 6) & 63)),
    buf[3] = (char)(0x80 | (c & 63)), n = 4;
  return val_strn(ev, buf, (size_t)n);
}

/* The number of code points of UTF-8 text S (N bytes). */
static int64_t utf8_count(const char *s, size_t n) {
  int64_t k = 0;
  for (size_t i = 0; i < n; i++) k += ((unsigned char)s[i] & 0xC0) != 0x80;
  return k;
}

static Value *b_ord(Eval *ev, Value *self, Value **v, const Args *a) {
  (void)self;
  if (v[0]->kind != V_STR)
    return eval_error(ev, asp(a, 0), "E0302", "ord() expected string of length 1, but %s found", val_type_name(v[0]));
  const unsigned char *s = (const unsigned char *)v[0]->u.str.s;
  int64_t len = utf8_count(v[0]->u.str.s, v[0]->u.str.len);
  if (len != 1)
    return eval_error(ev, asp(a, 0), "E0302", "ord() expected a character, but string of length %lld found",
                      (long long)len);
  int64_t c = s[0];
  size_t n = v[0]->u.str.len;
  if (n == 2) c = ((s[0] & 31) << 6) | (s[1] & 63);
  else if (n == 3) c = ((s[0] & 15) << 12) | ((s[1] & 63) << 6) | (s[2] & 63);
  else if (n == 4) c = ((int64_t)(s[0] & 7) << 18) | ((s[1] & 63) << 12) | ((s[2] & 63) << 6) | (s[3] & 63);
  return val_int(ev, c);
}

static Value *int_radix(Eval *ev, Value **v, const Args *a, int base, const char *pfx) {
  if (v[0]->kind != V_INT && v[0]->kind != V_BOOL)
    return eval_error(ev, asp(a, 0), "E0302", "'%s' object cannot be interpreted as an integer", val_type_name(v[0]));
  int64_t x = v[0]->kind == V_INT ? v[0]->u.i : v[0]->u.b;
  uint64_t u = x < 0 ? (uint64_t)0 - (uint64_t)x : (uint64_t)x;
  char buf[80];
  int i = (int)sizeof buf;
  buf[--i] = 0;
  do {
    buf[--i] = "0123456789abcdef"[u % (uint64_t)base];
    u /= (uint64_t)base;
  } while (u);
  return val_strf(ev, "%s%s%s", x < 0 ? "-" : "", pfx, buf + i);
}
static Value *b_hex(Eval *ev, Value *s, Value **v, const Args *a) { (void)s; return int_radix(ev, v, a, 16, "0x"); }
static Value *b_oct(Eval *ev, Value *s, Value **v, const Args *a) { (void)s; return int_radix(ev, v, a, 8, "0o"); }
static Value *b_bin(Eval *ev, Value *s, Value **v, const Args *a) { (void)s; return int_radix(ev, v, a, 2, "0b"); }

/* ---- iter / next ---- */

typedef struct IterObj { Value *items; int pos; const char *tname; } IterObj;

static Value *iter_items(Eval *ev, Value *self, Span sp) {
  (void)sp;
  IterObj *it = self->u.ext.data;
  Value *rest = val_list(ev, 0);
  for (; it->pos < it->items->u.list.n; it->pos++) val_list_append(ev, rest, it->items->u.list.items[it->pos]);
  return rest;
}

static const char *iter_repr(Eval *ev, Value *self) {
  IterObj *it = self->u.ext.data;
  return arena_printf(eval_arena(ev), "<%s object>", it->tname);
}

static const ExtType iter_type = {.name = "iterator", .items = iter_items, .repr = iter_repr};

static Value *b_iter(Eval *ev, Value *self, Value **v, const Args *a) {
  (void)self;
  if (val_is_ext(v[0], &iter_type)) return v[0];
  Value *items = eval_iter_list(ev, v[0], asp(a, 0));
  if (!items) {
    if (eval_has_error(ev)) eval_clear_error(ev);
    return eval_error(ev, asp(a, 0), "E0302", "'%s' object is not iterable", val_type_name(v[0]));
  }
  IterObj *it = eval_alloc(ev, sizeof *it);
  it->items = items;
  const char *tn = val_type_name(v[0]);
  it->tname = strcmp(tn, "str") == 0 ? "str_ascii_iterator"
              : strcmp(tn, "dict") == 0 ? "dict_keyiterator"
              : arena_printf(eval_arena(ev), "%s_iterator", tn);
  return val_ext(ev, &iter_type, it);
}

static Value *b_next(Eval *ev, Value *self, Value **v, const Args *a) {
  (void)self;
  if (!val_is_ext(v[0], &iter_type))
    return eval_error(ev, asp(a, 0), "E0302", "'%s' object is not an iterator", val_type_name(v[0]));
  IterObj *it = v[0]->u.ext.data;
  if (it->pos < it->items->u.list.n) return it->items->u.list.items[it->pos++];
  if (v[1]) return v[1];
  return eval_error(ev, a->call_span, "E0309", "StopIteration");
}

/* ---- set and frozenset: a dict of the members (insertion ordered) ---- */

typedef struct SetObj { Dict *d; bool frozen; } SetObj;
static const ExtType set_type, frozenset_type;

static bool is_set(const Value *v) { return val_is_ext(v, &set_type) || val_is_ext(v, &frozenset_type); }
static SetObj *set_of(Value *v) { return v->u.ext.data; }

static Value *set_new(Eval *ev, bool frozen) {
  SetObj *s = eval_alloc(ev, sizeof *s);
  s->d = val_dict(ev)->u.dict;
  s->frozen = frozen;
  return val_ext(ev, frozen ? &frozenset_type : &set_type, s);
}

static bool set_add(Eval *ev, Value *set, Value *x, Span sp) {
  if (!val_key_ok(ev, x, sp)) return false;
  if (!dict_get(set_of(set)->d, x)) dict_set(ev, set_of(set)->d, x, val_none(ev));
  return true;
}

static bool set_fill(Eval *ev, Value *set, Value *src, Span sp) {
  if (is_set(src)) {
    Value *k;
    for (int it = 0; dict_next(set_of(src)->d, &it, &k, NULL);) dict_set(ev, set_of(set)->d, k, val_none(ev));
    return true;
  }
  Value *items = eval_iter_list(ev, src, sp);
  if (!items) return false;
  for (int i = 0; i < items->u.list.n; i++)
    if (!set_add(ev, set, items->u.list.items[i], sp)) return false;
  return true;
}

static Value *set_items(Eval *ev, Value *self, Span sp) {
  (void)sp;
  Value *l = val_list(ev, 0), *k;
  for (int it = 0; dict_next(set_of(self)->d, &it, &k, NULL);) val_list_append(ev, l, k);
  return l;
}

static const char *set_repr(Eval *ev, Value *self) {
  SetObj *s = set_of(self);
  bool fz = s->frozen;
  if (!dict_len(s->d)) return fz ? "frozenset()" : "set()";
  TextBuf b = {.ev = ev};
  tb_puts(&b, fz ? "frozenset({" : "{");
  Value *k;
  int n = 0;
  for (int it = 0; dict_next(s->d, &it, &k, NULL); n++) {
    if (n) tb_puts(&b, ", ");
    tb_puts(&b, val_repr(ev, k));
  }
  tb_puts(&b, fz ? "})" : "}");
  return tb_value(&b)->u.str.s;
}

static bool subset(Value *a, Value *b) {
  Value *k;
  for (int it = 0; dict_next(set_of(a)->d, &it, &k, NULL);)
    if (!dict_get(set_of(b)->d, k)) return false;
  return true;
}

static bool set_equal(Value *a, Value *b) {
  return is_set(a) && is_set(b) && dict_len(set_of(a)->d) == dict_len(set_of(b)->d) && subset(a, b);
}

static int set_truthy(Eval *ev, Value *self, Span sp) {
  (void)ev, (void)sp;
  return dict_len(set_of(self)->d) > 0;
}

/* A | B, A & B, A - B, A ^ B: a new set of A's kind. */
static Value *set_combine(Eval *ev, Value *a, Value *b, char op) {
  Value *r = set_new(ev, set_of(a)->frozen);
  Value *k;
  if (op == '|' || op == '^' || op == '-' || op == '&')
    for (int it = 0; dict_next(set_of(a)->d, &it, &k, NULL);) {
      bool inb = dict_get(set_of(b)->d, k) != NULL;
      if (op == '|' || (op == '&' && inb) || ((op == '-' || op == '^') && !inb)) dict_set(ev, set_of(r)->d, k, val_none(ev));
    }
  if (op == '|' || op == '^')
    for (int it = 0; dict_next(set_of(b)->d, &it, &k, NULL);)
      if (!dict_get(set_of(a)->d, k) || op == '|') dict_set(ev, set_of(r)->d, k, val_none(ev));
  return r;
}

static Value *set_binop(Eval *ev, AstOp op, Value *l, Value *r, Span sp) {
  if (is_set(l) && is_set(r)) {
    switch (op) {
    case OP_ADD: break;
    case OP_SUB: return set_combine(ev, l, r, '-');
    case OP_LT: return val_bool(ev, dict_len(set_of(l)->d) < dict_len(set_of(r)->d) && subset(l, r));
    case OP_LE: return val_bool(ev, subset(l, r));
    case OP_GT: return val_bool(ev, dict_len(set_of(l)->d) > dict_len(set_of(r)->d) && subset(r, l));
    case OP_GE: return val_bool(ev, subset(r, l));
    default: break;
    }
  }
  if (op == OP_LT || op == OP_LE || op == OP_GT || op == OP_GE)
    return eval_error(ev, sp, "E0302", "'%s' not supported between instances of '%s' and '%s'", ast_op_name(op),
                      val_type_name(l), val_type_name(r));
  return eval_error(ev, sp, "E0302", "unsupported operand type(s) for %s: '%s' and '%s'", ast_op_name(op),
                    val_type_name(l), val_type_name(r));
}

static Value *set_from_arg(Eval *ev, Value *x, Span sp) {
  if (is_set(x)) return x;
  Value *s = set_new(ev, true);
  return set_fill(ev, s, x, sp) ? s : NULL;
}

static Value *sm_add(Eval *ev, Value *self, Value **v, const Args *a) {
  return set_add(ev, self, v[0], asp(a, 0)) ? val_none(ev) : NULL;
}
static Value *sm_discard(Eval *ev, Value *self, Value **v, const Args *a) {
  if (!val_key_ok(ev, v[0], asp(a, 0))) return NULL;
  dict_del(set_of(self)->d, v[0]);
  return val_none(ev);
}
static Value *sm_remove(Eval *ev, Value *self, Value **v, const Args *a) {
  if (!val_key_ok(ev, v[0], asp(a, 0))) return NULL;
  if (!dict_del(set_of(self)->d, v[0])) return eval_error(ev, a->call_span, "E0305", "KeyError: %s", val_repr(ev, v[0]));
  return val_none(ev);
}
static Value *sm_pop(Eval *ev, Value *self, Value **v, const Args *a) {
  (void)v;
  Value *k;
  int it = 0;
  if (!dict_next(set_of(self)->d, &it, &k, NULL))
    return eval_error(ev, a->call_span, "E0305", "KeyError: 'pop from an empty set'");
  dict_del(set_of(self)->d, k);
  return k;
}
static Value *sm_clear(Eval *ev, Value *self, Value **v, const Args *a) {
  (void)v, (void)a;
  set_of(self)->d = val_dict(ev)->u.dict;
  return val_none(ev);
}
static Value *sm_copy(Eval *ev, Value *self, Value **v, const Args *a) {
  (void)v;
  if (set_of(self)->frozen) return self;
  Value *r = set_new(ev, false);
  return set_fill(ev, r, self, a->call_span) ? r : NULL;
}
static Value *sm_update(Eval *ev, Value *self, Value **v, const Args *a) {
  Value *rest = v[0];
  for (int i = 0; i < rest->u.list.n; i++)
    if (!set_fill(ev, self, rest->u.list.items[i], asp(a, i))) return NULL;
  return val_none(ev);
}
/* union / intersection / difference / symmetric_difference with any iterables */
static Value *set_multi(Eval *ev, Value **v, const Args *a, Value *self, char op) {
  Value *r = sm_copy(ev, self, v, a);
  if (r == self) r = set_combine(ev, self, self, '|');
  for (int i = 0; r && i < v[0]->u.list.n; i++) {
    Value *o = set_from_arg(ev, v[0]->u.list.items[i], asp(a, i));
    if (!o) return NULL;
    r = set_combine(ev, r, o, op);
  }
  return r;
}
static Value *sm_union(Eval *ev, Value *self, Value **v, const Args *a) { return set_multi(ev, v, a, self, '|'); }
static Value *sm_inter(Eval *ev, Value *self, Value **v, const Args *a) { return set_multi(ev, v, a, self, '&'); }
static Value *sm_diff(Eval *ev, Value *self, Value **v, const Args *a) { return set_multi(ev, v, a, self, '-'); }
static Value *sm_symdiff(Eval *ev, Value *self, Value **v, const Args *a) {
  Value *o = set_from_arg(ev, v[0], asp(a, 0));
  return o ? set_combine(ev, self, o, '^') : NULL;
}
static Value *sm_issubset(Eval *ev, Value *self, Value **v, const Args *a) {
  Value *o = set_from_arg(ev, v[0], asp(a, 0));
  return o ? val_bool(ev, subset(self, o)) : NULL;
}
static Value *sm_issuperset(Eval *ev, Value *self, Value **v, const Args *a) {
  Value *o = set_from_arg(ev, v[0], asp(a, 0));
  return o ? val_bool(ev, subset(o, self)) : NULL;
}
static Value *sm_isdisjoint(Eval *ev, Value *self, Value **v, const Args *a) {
  Value *o = set_from_arg(ev, v[0], asp(a, 0));
  return o ? val_bool(ev, dict_len(set_of(set_combine(ev, self, o, '&'))->d) == 0) : NULL;
}

static const PyFn set_methods[] = {
  {"add", P("elem"), 1, sm_add},
  {"discard", P("elem"), 1, sm_discard},
  {"remove", P("elem"), 1, sm_remove},
  {"pop", NOARGS, 0, sm_pop},
  {"clear", NOARGS, 0, sm_clear},
  {"update", P("*others"), 0, sm_update},
  {"copy", NOARGS, 0, sm_copy},
  {"union", P("*others"), 0, sm_union},
  {"intersection", P("*others"), 0, sm_inter},
  {"difference", P("*others"), 0, sm_diff},
  {"symmetric_difference", P("other"), 1, sm_symdiff},
  {"issubset", P("other"), 1, sm_issubset},
  {"issuperset", P("other"), 1, sm_issuperset},
  {"isdisjoint", P("other"), 1, sm_isdisjoint},
};
enum { SET_FIRST_PURE = 6 }; /* copy and below: frozenset has them too */

static Value *set_getattr(Eval *ev, Value *self, const char *attr, Span sp) {
  (void)sp;
  for (int i = set_of(self)->frozen ? SET_FIRST_PURE : 0; i < COUNT(set_methods); i++)
    if (strcmp(set_methods[i].name, attr) == 0) return py_fn_new(ev, &set_methods[i], self);
  return NULL;
}

static Value *set_bitop(Eval *ev, AstOp op, Value *l, Value *r, Span sp) { return set_binop(ev, op, l, r, sp); }

static const ExtType set_type = {.name = "set", .getattr = set_getattr, .binop = set_bitop, .truthy = set_truthy,
                                 .repr = set_repr, .equal = set_equal, .items = set_items};
static const ExtType frozenset_type = {.name = "frozenset", .getattr = set_getattr, .binop = set_bitop,
                                       .truthy = set_truthy, .repr = set_repr, .equal = set_equal,
                                       .items = set_items};

static Value *b_set(Eval *ev, Value *self, Value **v, const Args *a) {
  bool frozen = self != NULL;
  if (frozen && v[0] && val_is_ext(v[0], &frozenset_type)) return v[0];
  Value *s = set_new(ev, frozen);
  if (v[0] && !set_fill(ev, s, v[0], asp(a, 0))) return NULL;
  return s;
}

static const PyFn globals_tab[] = {
  {"chr", P("i"), 1, b_chr},
  {"ord", P("c"), 1, b_ord},
  {"hex", P("number"), 1, b_hex},
  {"oct", P("number"), 1, b_oct},
  {"bin", P("number"), 1, b_bin},
  {"iter", P("object"), 1, b_iter},
  {"next", P("iterator", "default"), 1, b_next},
};
static const PyFn set_ctor = {"set", P("iterable"), 0, b_set};
static const PyFn frozenset_ctor = {"frozenset", P("iterable"), 0, b_set};

/* ---- copy ---- */

typedef struct Memo { Value **from, **to; int n, cap; } Memo;

static Value *deepcopy_r(Eval *ev, Value *v, Memo *m, Span sp, int depth) {
  if (depth > VAL_MAX_NEST) return eval_error(ev, sp, "E0312", "maximum recursion depth exceeded");
  if (v->kind != V_LIST && v->kind != V_TUPLE && v->kind != V_DICT && v->kind != V_INSTANCE &&
      !val_is_ext(v, &set_type))
    return v;
  for (int i = 0; i < m->n; i++)
    if (m->from[i] == v) return m->to[i];
  Value *r;
  if (v->kind == V_DICT) r = val_dict(ev);
  else if (v->kind == V_LIST) r = val_list(ev, 0);
  else if (v->kind == V_TUPLE) r = val_tuple(ev, v->u.list.n);
  else if (v->kind == V_INSTANCE) { /* a namedtuple's fields and an instance's __dict__, copied */
    r = eval_alloc(ev, sizeof *r);
    r->kind = V_INSTANCE;
    r->u.inst = eval_alloc(ev, sizeof *r->u.inst);
    r->u.inst->cls = v->u.inst->cls;
  } else r = set_new(ev, false);
  if (m->n == m->cap) {
    m->cap = m->cap ? m->cap * 2 : 16;
    Value **f = eval_alloc(ev, sizeof *f * (size_t)m->cap), **t = eval_alloc(ev, sizeof *t * (size_t)m->cap);
    if (m->n) memcpy(f, m->from, sizeof *f * (size_t)m->n), memcpy(t, m->to, sizeof *t * (size_t)m->n);
    m->from = f, m->to = t;
  }
  m->from[m->n] = v, m->to[m->n] = r, m->n++;
  if (v->kind == V_DICT) {
    Value *k, *x;
    for (int it = 0; dict_next(v->u.dict, &it, &k, &x);) {
      Value *c = deepcopy_r(ev, x, m, sp, depth + 1);
      if (!c) return NULL;
      dict_set(ev, r->u.dict, k, c);
    }
  } else if (v->kind == V_LIST) {
    for (int i = 0; i < v->u.list.n; i++) {
      Value *c = deepcopy_r(ev, v->u.list.items[i], m, sp, depth + 1);
      if (!c) return NULL;
      val_list_append(ev, r, c);
    }
  } else if (v->kind == V_TUPLE) {
    for (int i = 0; i < v->u.list.n; i++)
      if (!(r->u.list.items[i] = deepcopy_r(ev, v->u.list.items[i], m, sp, depth + 1))) return NULL;
  } else if (v->kind == V_INSTANCE) {
    const Instance *in = v->u.inst;
    int nf = in->cls->nfields;
    if (in->vals) {
      r->u.inst->vals = eval_alloc(ev, sizeof(Value *) * (size_t)(nf + 1));
      for (int i = 0; i < nf; i++)
        if (!(r->u.inst->vals[i] = deepcopy_r(ev, in->vals[i], m, sp, depth + 1))) return NULL;
    }
    if (in->attrs) {
      r->u.inst->attrs = val_dict(ev)->u.dict;
      Value *k, *x;
      for (int it = 0; dict_next(in->attrs, &it, &k, &x);) {
        Value *c = deepcopy_r(ev, x, m, sp, depth + 1);
        if (!c) return NULL;
        dict_set(ev, r->u.inst->attrs, k, c);
      }
    }
  } else {
    Value *k;
    for (int it = 0; dict_next(set_of(v)->d, &it, &k, NULL);) dict_set(ev, set_of(r)->d, k, val_none(ev));
  }
  return r;
}

static Value *c_deepcopy(Eval *ev, Value *self, Value **v, const Args *a) {
  (void)self;
  Memo m = {0};
  return deepcopy_r(ev, v[0], &m, a->call_span, 0);
}

static Value *c_copy(Eval *ev, Value *self, Value **v, const Args *a) {
  (void)self;
  Value *x = v[0];
  if (x->kind == V_LIST) {
    Value *r = val_list(ev, 0);
    for (int i = 0; i < x->u.list.n; i++) val_list_append(ev, r, x->u.list.items[i]);
    return r;
  }
  if (x->kind == V_DICT) {
    Value *r = val_dict(ev), *k, *y;
    for (int it = 0; dict_next(x->u.dict, &it, &k, &y);) dict_set(ev, r->u.dict, k, y);
    return r;
  }
  if (val_is_ext(x, &set_type)) return sm_copy(ev, x, v, a);
  return x;
}

static const PyFn copy_tab[] = {
  {"copy", P("x"), 1, c_copy},
  {"deepcopy", P("x", "memo"), 1, c_deepcopy},
};

/* ---- contextlib (contextmanager is pyexc's: it needs generators) ---- */

typedef struct NullCtx { Value *enter; } NullCtx;
static Value *nullctx_enter(Eval *ev, Value *self, Span sp) {
  (void)ev, (void)sp;
  return ((NullCtx *)self->u.ext.data)->enter;
}
static int nullctx_exit(Eval *ev, Value *self, Span sp) { (void)ev, (void)self, (void)sp; return 0; }
static const ExtType nullctx_type = {.name = "nullcontext", .enter = nullctx_enter, .exit = nullctx_exit};

static Value *cl_nullcontext(Eval *ev, Value *self, Value **v, const Args *a) {
  (void)a, (void)self;
  NullCtx *c = eval_alloc(ev, sizeof *c);
  c->enter = v[0] ? v[0] : val_none(ev);
  return val_ext(ev, &nullctx_type, c);
}

static const PyFn contextlib_tab[] = {
  {"nullcontext", P("enter_result"), 0, cl_nullcontext},
};

/* ---- os.path: string functions only (no file system access: LANGUAGE.md 3) ---- */

static bool strs(Eval *ev, Value *list, const Args *a, const char *fn) {
  for (int i = 0; i < list->u.list.n; i++)
    if (list->u.list.items[i]->kind != V_STR) {
      eval_error(ev, asp(a, i), "E0302", "%s() argument must be str, not '%s'", fn, val_type_name(list->u.list.items[i]));
      return false;
    }
  return true;
}

static Value *op_join(Eval *ev, Value *self, Value **v, const Args *a) {
  (void)self;
  Value *all = val_list(ev, 0);
  val_list_append(ev, all, v[0]);
  for (int i = 0; i < v[1]->u.list.n; i++) val_list_append(ev, all, v[1]->u.list.items[i]);
  if (!strs(ev, all, a, "join")) return NULL;
  TextBuf b = {.ev = ev};
  for (int i = 0; i < all->u.list.n; i++) {
    Value *p = all->u.list.items[i];
    if (p->u.str.len && p->u.str.s[0] == '/') b.n = 0; /* an absolute part restarts the path */
    else if (b.n && b.s[b.n - 1] != '/') tb_put(&b, "/", 1);
    tb_put(&b, p->u.str.s, p->u.str.len);
  }
  if (!b.n) return val_str(ev, "");
  return tb_value(&b);
}

static Value *str_arg(Eval *ev, Value **v, const Args *a, const char *fn) {
  if (v[0]->kind != V_STR)
    return eval_error(ev, asp(a, 0), "E0302", "expected str, bytes or os.PathLike object, not %s",
                      val_type_name(v[0]));
  (void)fn;
  return v[0];
}

/* split at the last '/': (head without trailing slashes unless all slashes, tail) */
static Value *op_split(Eval *ev, Value *self, Value **v, const Args *a) {
  (void)self;
  if (!str_arg(ev, v, a, "split")) return NULL;
  const char *s = v[0]->u.str.s;
  size_t n = v[0]->u.str.len, i = n;
  while (i > 0 && s[i - 1] != '/') i--;
  size_t h = i;
  while (h > 0 && s[h - 1] == '/') h--;
  if (h == 0) h = i; /* the head is all slashes: keep them */
  Value *t = val_tuple(ev, 2);
  t->u.list.items[0] = val_strn(ev, s, h);
  t->u.list.items[1] = val_strn(ev, s + i, n - i);
  return t;
}
static Value *op_basename(Eval *ev, Value *self, Value **v, const Args *a) {
  Value *t = op_split(ev, self, v, a);
  return t ? t->u.list.items[1] : NULL;
}
static Value *op_dirname(Eval *ev, Value *self, Value **v, const Args *a) {
  Value *t = op_split(ev, self, v, a);
  return t ? t->u.list.items[0] : NULL;
}
static Value *op_splitext(Eval *ev, Value *self, Value **v, const Args *a) {
  (void)self;
  if (!str_arg(ev, v, a, "splitext")) return NULL;
  const char *s = v[0]->u.str.s;
  size_t n = v[0]->u.str.len, base = n;
  while (base > 0 && s[base - 1] != '/') base--;
  size_t dot = n;
  for (size_t i = n; i > base; i--)
    if (s[i - 1] == '.') { dot = i - 1; break; }
  /* leading dots of the name are not an extension (".bashrc") */
  size_t j = base;
  while (j < n && s[j] == '.') j++;
  if (dot == n || dot < j) dot = n;
  Value *t = val_tuple(ev, 2);
  t->u.list.items[0] = val_strn(ev, s, dot);
  t->u.list.items[1] = val_strn(ev, s + dot, n - dot);
  return t;
}
static Value *op_isabs(Eval *ev, Value *self, Value **v, const Args *a) {
  (void)self;
  if (!str_arg(ev, v, a, "isabs")) return NULL;
  return val_bool(ev, v[0]->u.str.len && v[0]->u.str.s[0] == '/');
}
static Value *op_normpath(Eval *ev, Value *self, Value **v, const Args *a) {
  (void)self;
  if (!str_arg(ev, v, a, "normpath")) return NULL;
  const char *s = v[0]->u.str.s;
  size_t n = v[0]->u.str.len;
  if (!n) return val_str(ev, ".");
  int lead = s[0] == '/' ? (n > 1 && s[1] == '/' && (n == 2 || s[2] != '/') ? 2 : 1) : 0;
  const char **parts = eval_alloc(ev, sizeof *parts * (n + 1));
  size_t *lens = eval_alloc(ev, sizeof *lens * (n + 1));
  int np = 0;
  for (size_t i = 0; i < n;) {
    while (i < n && s[i] == '/') i++;
    size_t st = i;
    while (i < n && s[i] != '/') i++;
    size_t l = i - st;
    if (!l || (l == 1 && s[st] == '.')) continue;
    if (l == 2 && s[st] == '.' && s[st + 1] == '.') {
      if (np && !(lens[np - 1] == 2 && parts[np - 1][0] == '.' && parts[np - 1][1] == '.')) { np--; continue; }
      if (lead) continue;
    }
    parts[np] = s + st, lens[np] = l, np++;
  }
  TextBuf b = {.ev = ev};
  for (int i = 0; i < lead; i++) tb_put(&b, "/", 1);
  for (int i = 0; i < np; i++) {
    if (i) tb_put(&b, "/", 1);
    tb_put(&b, parts[i], lens[i]);
  }
  if (!b.n) return val_str(ev, ".");
  return tb_value(&b);
}

static const PyFn ospath_tab[] = {
  {"join", P("a", "*p"), 1, op_join},
  {"split", P("p"), 1, op_split},
  {"basename", P("p"), 1, op_basename},
  {"dirname", P("p"), 1, op_dirname},
  {"splitext", P("p"), 1, op_splitext},
  {"isabs", P("s"), 1, op_isabs},
  {"normpath", P("path"), 1, op_normpath},
};

/* ---- logging and tf.logging: messages go to stderr as notes ---- */

static Value *log_at(Eval *ev, Value *self, Value **v, const Args *a) {
  const char *level = (const char *)self;
  Value *msg = v[0];
  if (v[1] && v[1]->u.list.n) {
    if (msg->kind != V_STR) return eval_error(ev, asp(a, 0), "E0302", "not all arguments converted during string formatting");
    Value *args = v[1]->u.list.n == 1 && v[1]->u.list.items[0]->kind == V_DICT ? v[1]->u.list.items[0] : v[1];
    if (!(msg = py_str_mod(ev, msg, args, a->call_span))) return NULL;
  }
  const char *text = val_str_at(ev, msg, asp(a, 0));
  if (!text) return NULL;
  diag_note_always(eval_diag(ev), a->call_span, "%s: %s", level, text);
  return val_none(ev);
}

static Value *log_nop(Eval *ev, Value *self, Value **v, const Args *a) {
  (void)v, (void)a, (void)self;
  return val_none(ev);
}

static const PyFn log_tab[] = {
  {"debug", P("msg", "*args"), 1, log_at},   {"info", P("msg", "*args"), 1, log_at},
  {"warning", P("msg", "*args"), 1, log_at}, {"warn", P("msg", "*args"), 1, log_at},
  {"error", P("msg", "*args"), 1, log_at},   {"fatal", P("msg", "*args"), 1, log_at},
  {"critical", P("msg", "*args"), 1, log_at},
};
static const char *const log_levels[] = {"DEBUG", "INFO", "WARNING", "WARNING", "ERROR", "CRITICAL", "CRITICAL"};
static const PyFn log_misc[] = {
  {"set_verbosity", P("v"), 1, log_nop},
  {"basicConfig", P("**kwargs"), 0, log_nop},
};

static void fill_logging(Eval *ev, Value *ns, bool tf) {
  for (int i = 0; i < COUNT(log_tab); i++) {
    if (!tf && (strcmp(log_tab[i].name, "fatal") == 0)) continue;
    ns_set(ev, ns, log_tab[i].name, py_fn_new(ev, &log_tab[i], (void *)log_levels[i]));
  }
  pm_fill(ev, ns, log_misc, tf ? 1 : 2, NULL);
  static const struct { const char *n; int v; } lv[] = {
    {"DEBUG", 10}, {"INFO", 20}, {"WARN", 30}, {"WARNING", 30}, {"ERROR", 40}, {"FATAL", 50}, {"CRITICAL", 50}};
  for (int i = 0; i < COUNT(lv); i++) ns_set(ev, ns, lv[i].n, val_int(ev, lv[i].v));
}

/* ---- numpy: dtypes as scalar types, arrays of Python values, a few functions ---- */

typedef struct NpArr { Value *data; Value *shape; const char *dtype; } NpArr;
static const ExtType nparr_type;

/* The shape of nested lists V (a tuple), or NULL if ragged (error pending). */
static bool np_shape(Eval *ev, Value *v, Value *dims, int depth, Span sp, bool *isf) {
  if (v->kind == V_LIST || v->kind == V_TUPLE || val_is_ext(v, &nparr_type)) {
    if (val_is_ext(v, &nparr_type)) v = ((NpArr *)v->u.ext.data)->data;
    if (depth >= dims->u.list.n) {
      if (depth > 32) return eval_error(ev, sp, "E0306", "array nested too deeply"), false;
      val_list_append(ev, dims, val_int(ev, v->u.list.n));
    } else if (dims->u.list.items[depth]->kind != V_INT || dims->u.list.items[depth]->u.i != v->u.list.n) {
      eval_error(ev, sp, "E0306",
                 "setting an array element with a sequence. The requested array has an inhomogeneous shape");
      return false;
    }
    for (int i = 0; i < v->u.list.n; i++)
      if (!np_shape(ev, v->u.list.items[i], dims, depth + 1, sp, isf)) return false;
    return true;
  }
  if (depth < dims->u.list.n) {
    eval_error(ev, sp, "E0306", "setting an array element with a sequence. The requested array has an inhomogeneous shape");
    return false;
  }
  if (v->kind == V_FLOAT) *isf = true;
  else if (v->kind != V_INT && v->kind != V_BOOL)
    return eval_error(ev, sp, "E0302", "a numpy array holds numbers here, not '%s'", val_type_name(v)), false;
  return true;
}

static Value *np_wrap(Eval *ev, Value *data, Value *shape, const char *dtype) {
  NpArr *a = eval_alloc(ev, sizeof *a);
  a->data = data;
  a->shape = shape;
  a->dtype = dtype;
  return val_ext(ev, &nparr_type, a);
}

/* A copy of nested lists V as lists of numbers converted to DTYPE. */
static Value *np_convert(Eval *ev, Value *v, const char *dtype) {
  if (val_is_ext(v, &nparr_type)) v = ((NpArr *)v->u.ext.data)->data;
  if (v->kind == V_LIST || v->kind == V_TUPLE) {
    Value *r = val_list(ev, 0);
    for (int i = 0; i < v->u.list.n; i++) val_list_append(ev, r, np_convert(ev, v->u.list.items[i], dtype));
    return r;
  }
  double f = v->kind == V_FLOAT ? v->u.f : v->kind == V_INT ? (double)v->u.i : (double)v->u.b;
  if (strncmp(dtype, "float", 5) == 0) {
    if (strcmp(dtype, "float32") == 0) f = (double)(float)f;
    return val_float(ev, f);
  }
  if (strcmp(dtype, "bool") == 0) return val_bool(ev, f != 0);
  if (v->kind == V_FLOAT) return val_int(ev, (int64_t)f);
  return val_int(ev, v->kind == V_INT ? v->u.i : v->u.b);
}

static const char *np_dtype_name(Value *dt) {
  if (!dt || dt->kind == V_NONE) return NULL;
  if (dt->kind == V_STR) return dt->u.str.s;
  if (dt->kind == V_BUILTIN) {
    const char *n = dt->u.builtin->name;
    if (strcmp(n, "float") == 0) return "float64";
    if (strcmp(n, "int") == 0) return "int64";
    if (strcmp(n, "bool_") == 0) return "bool";
    return n;
  }
  if (dt->kind == V_EXT && dt->u.ext.type->repr) return NULL;
  return NULL;
}

static Value *np_array(Eval *ev, Value *self, Value **v, const Args *a) {
  (void)self;
  Value *dims = val_list(ev, 0);
  bool isf = false;
  if (!np_shape(ev, v[0], dims, 0, asp(a, 0), &isf)) return NULL;
  const char *dt = np_dtype_name(v[1]);
  if (v[1] && v[1]->kind != V_NONE && !dt)
    return eval_error(ev, a->call_span, "E0302", "data type %s not understood", val_repr(ev, v[1]));
  if (!dt) dt = isf ? "float64" : (v[0]->kind == V_BOOL ? "bool" : "int64");
  Value *data = np_convert(ev, v[0], dt);
  return np_wrap(ev, data, val_tuple_of(ev, dims->u.list.items, dims->u.list.n), dt);
}

static Value *np_dtype_obj(Eval *ev, const char *name);

static Value *nparr_getattr(Eval *ev, Value *self, const char *attr, Span sp) {
  (void)sp;
  NpArr *x = self->u.ext.data;
  if (strcmp(attr, "shape") == 0) return x->shape;
  if (strcmp(attr, "ndim") == 0) return val_int(ev, x->shape->u.list.n);
  if (strcmp(attr, "dtype") == 0) return np_dtype_obj(ev, x->dtype);
  if (strcmp(attr, "size") == 0) {
    int64_t n = 1;
    for (int i = 0; i < x->shape->u.list.n; i++) n *= x->shape->u.list.items[i]->u.i;
    return val_int(ev, n);
  }
  return NULL;
}

static Value *nparr_items(Eval *ev, Value *self, Span sp) {
  NpArr *x = self->u.ext.data;
  if (!x->shape->u.list.n) return eval_error(ev, sp, "E0302", "iteration over a 0-d array");
  Value *r = val_list(ev, 0);
  for (int i = 0; i < x->data->u.list.n; i++) {
    Value *e = x->data->u.list.items[i];
    if (e->kind == V_LIST)
      e = np_wrap(ev, e, val_tuple_of(ev, x->shape->u.list.items + 1, x->shape->u.list.n - 1), x->dtype);
    val_list_append(ev, r, e);
  }
  return r;
}

static Value *nparr_index(Eval *ev, Value *self, Value *idx, Span sp) {
  NpArr *x = self->u.ext.data;
  Value *cur = self;
  int nidx = idx->kind == V_TUPLE ? idx->u.list.n : 1;
  for (int k = 0; k < nidx; k++) {
    Value *i = idx->kind == V_TUPLE ? idx->u.list.items[k] : idx;
    if (!val_is_ext(cur, &nparr_type))
      return eval_error(ev, sp, "E0305", "too many indices for array: array is %d-dimensional, but %d were indexed",
                        x->shape->u.list.n, nidx);
    NpArr *c = cur->u.ext.data;
    if (i->kind != V_INT && i->kind != V_BOOL)
      return eval_error(ev, sp, "E0302", "only integers are valid indices here");
    if (!c->shape->u.list.n)
      return eval_error(ev, sp, "E0305", "too many indices for array: array is 0-dimensional, but %d were indexed", nidx);
    int64_t n = c->data->u.list.n, j = i->kind == V_INT ? i->u.i : i->u.b;
    if (j < -n || j >= n)
      return eval_error(ev, sp, "E0305", "index %lld is out of bounds for axis %d with size %lld", (long long)j, k,
                        (long long)n);
    if (j < 0) j += n;
    Value *e = c->data->u.list.items[j];
    cur = e->kind == V_LIST ? np_wrap(ev, e, val_tuple_of(ev, c->shape->u.list.items + 1, c->shape->u.list.n - 1), c->dtype)
                            : e;
  }
  return cur;
}

static const char *nparr_repr(Eval *ev, Value *self) {
  NpArr *x = self->u.ext.data;
  return arena_printf(eval_arena(ev), "array(%s)", val_repr(ev, x->data));
}

static const char *nparr_str(Eval *ev, Value *self) {
  NpArr *x = self->u.ext.data;
  /* numpy prints [1 2 3]: the list's repr without commas */
  const char *r = val_repr(ev, x->data);
  TextBuf b = {.ev = ev};
  for (const char *p = r; *p; p++)
    if (*p != ',') tb_put(&b, p, 1);
  return tb_value(&b)->u.str.s;
}

static const ExtType nparr_type = {.name = "ndarray", .getattr = nparr_getattr, .index = nparr_index,
                                   .repr = nparr_repr, .str = nparr_str, .items = nparr_items};

/* Every number of V (nested lists or an array), flattened. */
static bool np_flat(Eval *ev, Value *v, Value *out, Span sp, int depth) {
  if (depth > 64) return eval_error(ev, sp, "E0306", "array nested too deeply"), false;
  if (val_is_ext(v, &nparr_type)) v = ((NpArr *)v->u.ext.data)->data;
  if (v->kind == V_LIST || v->kind == V_TUPLE) {
    for (int i = 0; i < v->u.list.n; i++)
      if (!np_flat(ev, v->u.list.items[i], out, sp, depth + 1)) return false;
    return true;
  }
  if (v->kind != V_INT && v->kind != V_BOOL && v->kind != V_FLOAT)
    return eval_error(ev, sp, "E0302", "unsupported operand: numpy needs numbers here, not '%s'", val_type_name(v)), false;
  val_list_append(ev, out, v);
  return true;
}

static Value *np_prod(Eval *ev, Value *self, Value **v, const Args *a) {
  (void)self;
  Value *l = val_list(ev, 0);
  if (!np_flat(ev, v[0], l, asp(a, 0), 0)) return NULL;
  bool isf = false;
  int64_t p = 1;
  double f = 1;
  for (int i = 0; i < l->u.list.n; i++) {
    Value *x = l->u.list.items[i];
    if (x->kind == V_FLOAT) isf = true;
    int64_t xi = x->kind == V_INT ? x->u.i : x->kind == V_BOOL ? x->u.b : 0;
    f *= x->kind == V_FLOAT ? x->u.f : (double)xi;
    if (!isf && __builtin_mul_overflow(p, xi, &p)) p = (int64_t)((uint64_t)p * (uint64_t)xi); /* numpy wraps */
  }
  return isf || !l->u.list.n ? val_float(ev, f) : val_int(ev, p); /* numpy: an empty product is 1.0 */
}

static Value *np_sum(Eval *ev, Value *self, Value **v, const Args *a) {
  (void)self;
  Value *l = val_list(ev, 0);
  if (!np_flat(ev, v[0], l, asp(a, 0), 0)) return NULL;
  bool isf = false;
  int64_t s = 0;
  double f = 0;
  for (int i = 0; i < l->u.list.n; i++) {
    Value *x = l->u.list.items[i];
    if (x->kind == V_FLOAT) isf = true;
    int64_t xi = x->kind == V_INT ? x->u.i : x->kind == V_BOOL ? x->u.b : 0;
    f += x->kind == V_FLOAT ? x->u.f : (double)xi;
    s = (int64_t)((uint64_t)s + (uint64_t)xi);
  }
  return isf || !l->u.list.n ? val_float(ev, f) : val_int(ev, s);
}

typedef double (*MathFn)(double);
static Value *np_unary(Eval *ev, Value *self, Value **v, const Args *a) {
  double x;
  if (!eval_to_float(ev, v[0], asp(a, 0), "x", &x)) return NULL;
  return val_float(ev, ((MathFn)self)(x));
}
static Value *np_minmax(Eval *ev, Value *self, Value **v, const Args *a) {
  double x, y;
  if (!eval_to_float(ev, v[0], asp(a, 0), "x1", &x) || !eval_to_float(ev, v[1], asp(a, 1), "x2", &y)) return NULL;
  bool mx = self != NULL, pickx = mx ? x >= y : x <= y;
  Value *r = pickx ? v[0] : v[1];
  if (v[0]->kind == V_FLOAT || v[1]->kind == V_FLOAT) return val_float(ev, pickx ? x : y);
  return r;
}
static Value *np_abs(Eval *ev, Value *self, Value **v, const Args *a) {
  (void)self;
  if (v[0]->kind == V_INT) return val_int(ev, v[0]->u.i < 0 ? (int64_t)(0 - (uint64_t)v[0]->u.i) : v[0]->u.i);
  double x;
  if (!eval_to_float(ev, v[0], asp(a, 0), "x", &x)) return NULL;
  return val_float(ev, fabs(x));
}

/* np.float32(x), np.int64(x), ...: Python numbers (numpy's scalar types, see docs/python.md) */
static Value *np_scalar(Eval *ev, Value *self, Value **v, const Args *a) {
  const char *dt = (const char *)self;
  Value *x = v[0] ? v[0] : val_int(ev, 0);
  if (x->kind == V_STR) {
    char *end;
    double f = strtod(x->u.str.s, &end);
    if (*end || !x->u.str.len) return eval_error(ev, asp(a, 0), "E0306", "could not convert string to float: '%s'", x->u.str.s);
    x = val_float(ev, f);
  }
  if (x->kind != V_INT && x->kind != V_BOOL && x->kind != V_FLOAT)
    return eval_error(ev, asp(a, 0), "E0302", "%s() argument must be a number, not '%s'", dt, val_type_name(x));
  return np_convert(ev, x, dt);
}

static const char *const np_dtypes[] = {"float16", "float32", "float64", "int8", "int16", "int32", "int64",
                                        "uint8", "uint16", "bool_"};

const char *pymod_np_dtype_name(Value *v) {
  if (!v || v->kind != V_BUILTIN || v->u.builtin->fn != py_fn_dispatch) return NULL;
  PyFnBound *b = v->u.builtin->data;
  return b->m->fn == np_scalar ? (const char *)b->self : NULL;
}

static Value *np_dtype_obj(Eval *ev, const char *name) {
  char key[64];
  snprintf(key, sizeof key, " numpy %s", strcmp(name, "bool") == 0 ? "bool_" : name);
  Value *t = eval_get_global(ev, key);
  return t ? t : val_str(ev, name);
}

static const PyFn np_scalar_def[] = {
  {"float16", P("x"), 0, np_scalar}, {"float32", P("x"), 0, np_scalar}, {"float64", P("x"), 0, np_scalar},
  {"int8", P("x"), 0, np_scalar},    {"int16", P("x"), 0, np_scalar},   {"int32", P("x"), 0, np_scalar},
  {"int64", P("x"), 0, np_scalar},   {"uint8", P("x"), 0, np_scalar},   {"uint16", P("x"), 0, np_scalar},
  {"bool_", P("x"), 0, np_scalar},
};

static const PyFn np_tab[] = {
  {"array", P("object", "dtype"), 1, np_array},
  {"asarray", P("a", "dtype"), 1, np_array},
  {"prod", P("a"), 1, np_prod},
  {"sum", P("a"), 1, np_sum},
  {"abs", P("x"), 1, np_abs},
};
static const PyFn np_math[] = {
  {"sqrt", P("x"), 1, np_unary}, {"ceil", P("x"), 1, np_unary}, {"floor", P("x"), 1, np_unary},
  {"log", P("x"), 1, np_unary},  {"log2", P("x"), 1, np_unary}, {"exp", P("x"), 1, np_unary},
  {"round", P("a"), 1, np_unary}, {"around", P("a"), 1, np_unary}, /* half to even, as numpy */
};
static const MathFn np_math_fn[] = {sqrt, ceil, floor, log, log2, exp, rint, rint};
static const PyFn np_minmax_def[] = {
  {"maximum", P("x1", "x2"), 2, np_minmax},
  {"minimum", P("x1", "x2"), 2, np_minmax},
};

static void install_numpy(Eval *ev) {
  Value *np = val_namespace(ev, "numpy");
  pm_fill(ev, np, np_tab, COUNT(np_tab), NULL);
  for (int i = 0; i < COUNT(np_math); i++) ns_set(ev, np, np_math[i].name, py_fn_new(ev, &np_math[i], (void *)np_math_fn[i]));
  ns_set(ev, np, "maximum", py_fn_new(ev, &np_minmax_def[0], (void *)1));
  ns_set(ev, np, "minimum", py_fn_new(ev, &np_minmax_def[1], NULL));
  for (int i = 0; i < COUNT(np_scalar_def); i++) {
    const char *dt = strcmp(np_dtypes[i], "bool_") == 0 ? "bool" : np_dtypes[i];
    Value *f = py_fn_new(ev, &np_scalar_def[i], (void *)dt);
    ns_set(ev, np, np_dtypes[i], f);
    char key[64];
    snprintf(key, sizeof key, " numpy %s", np_dtypes[i]);
    eval_set_global(ev, key, f);
  }
  ns_set(ev, np, "pi", val_float(ev, M_PI));
  ns_set(ev, np, "e", val_float(ev, M_E));
  ns_set(ev, np, "inf", val_float(ev, INFINITY));
  ns_set(ev, np, "nan", val_float(ev, NAN));
  ns_set(ev, np, "newaxis", val_none(ev));
  eval_register_module(ev, "numpy", np);
}

/* ---- six ---- */

static Value *six_items(Eval *ev, Value *self, Value **v, const Args *a) {
  const char *m = (const char *)self;
  Value *f = eval_getattr(ev, v[0], m, asp(a, 0));
  return f ? eval_call_pos(ev, f, NULL, 0, a->call_span) : NULL;
}
static const PyFn six_tab[] = {
  {"iteritems", P("d"), 1, six_items},
  {"iterkeys", P("d"), 1, six_items},
  {"itervalues", P("d"), 1, six_items},
};
static const char *const six_meth[] = {"items", "keys", "values"};

/* ---- functools.update_wrapper / wraps ---- */

static Value *update_wrapper(Eval *ev, Value *wrapper, Value *wrapped) {
  if (wrapper->kind == V_FUNC) {
    Value *n = py_attr(ev, wrapped, "__name__", SPAN_NONE);
    if (n && n->kind == V_STR) wrapper->u.func->name = n->u.str.s;
    wrapper->u.func->wrapped = wrapped;
  }
  return wrapper;
}
static Value *ft_update_wrapper(Eval *ev, Value *self, Value **v, const Args *a) {
  (void)a, (void)self;
  return update_wrapper(ev, v[0], v[1]);
}
static Value *ft_wraps_apply(Eval *ev, Value *self, Value **v, const Args *a) {
  (void)a;
  return update_wrapper(ev, v[0], self);
}
static const PyFn ft_wraps_dec = {"update_wrapper", P("wrapper"), 1, ft_wraps_apply};
static Value *ft_wraps(Eval *ev, Value *self, Value **v, const Args *a) {
  (void)a, (void)self;
  return py_fn_new(ev, &ft_wraps_dec, v[0]);
}
static const PyFn functools_tab[] = {
  {"update_wrapper", P("wrapper", "wrapped", "assigned", "updated"), 2, ft_update_wrapper},
  {"wraps", P("wrapped", "assigned", "updated"), 1, ft_wraps},
};

/* ---- install ---- */

static Value *module(Eval *ev, const char *name) {
  Value *ns = val_namespace(ev, name);
  eval_register_module(ev, name, ns);
  return ns;
}

void pymod_install(Eval *ev) {
  /* functools.update_wrapper and functools.wraps, on builtins_py.c's functools */
  pm_fill(ev, dict_get_str(ev->modules, "functools"), functools_tab, COUNT(functools_tab), NULL);
  for (int i = 0; i < COUNT(globals_tab); i++) eval_set_global(ev, globals_tab[i].name, py_fn_new(ev, &globals_tab[i], NULL));
  eval_set_global(ev, "set", py_fn_new(ev, &set_ctor, NULL));
  eval_set_global(ev, "frozenset", py_fn_new(ev, &frozenset_ctor, (void *)1));

  pm_fill(ev, module(ev, "copy"), copy_tab, COUNT(copy_tab), NULL);
  pm_fill(ev, module(ev, "contextlib"), contextlib_tab, COUNT(contextlib_tab), NULL);

  Value *os = module(ev, "os"), *osp = module(ev, "os.path");
  pm_fill(ev, osp, ospath_tab, COUNT(ospath_tab), NULL);
  ns_set(ev, osp, "sep", val_str(ev, "/"));
  ns_set(ev, os, "path", osp);
  ns_set(ev, os, "sep", val_str(ev, "/"));
  ns_set(ev, os, "curdir", val_str(ev, "."));
  ns_set(ev, os, "pardir", val_str(ev, ".."));

  Value *six = module(ev, "six"), *moves = module(ev, "six.moves");
  ns_set(ev, six, "moves", moves);
  ns_set(ev, six, "PY2", val_bool(ev, false));
  ns_set(ev, six, "PY3", val_bool(ev, true));
  Value *str = eval_get_global(ev, "str"), *intv = eval_get_global(ev, "int");
  ns_set(ev, six, "string_types", val_tuple_of(ev, &str, 1));
  ns_set(ev, six, "integer_types", val_tuple_of(ev, &intv, 1));
  ns_set(ev, six, "text_type", str);
  for (int i = 0; i < COUNT(six_tab); i++) ns_set(ev, six, six_tab[i].name, py_fn_new(ev, &six_tab[i], (void *)six_meth[i]));
  static const char *const moved[][2] = {{"xrange", "range"}, {"range", "range"}, {"zip", "zip"}, {"map", "map"},
                                         {"filter", "filter"}, {"input", NULL}};
  for (int i = 0; i < COUNT(moved); i++) {
    Value *b = moved[i][1] ? eval_get_global(ev, moved[i][1]) : NULL;
    if (b) ns_set(ev, moves, moved[i][0], b);
  }
  Value *lg = module(ev, "logging");
  fill_logging(ev, lg, false);
  install_numpy(ev);
}

/* Adds update_wrapper / wraps to functools (made by builtins_py.c). */

/* ---- TF parts: tf.logging, tf.contrib.training.HParams, tf.test ---- */

typedef struct HParams { Dict *d; } HParams;
static const ExtType hparams_type;

static Value *hp_set(Eval *ev, Value *self, Value **v, const Args *a) {
  HParams *h = ((Value *)self)->u.ext.data;
  const char *name;
  if (!eval_to_str(ev, v[0], asp(a, 0), "name", &name)) return NULL;
  Value *old = dict_get_str(h->d, name);
  if (!old) return eval_error(ev, asp(a, 0), "E0305", "KeyError: '%s'", name); /* TF 1.15: _hparam_types[name] */
  if (old->kind != V_NONE && v[1]->kind != old->kind && !(old->kind == V_FLOAT && v[1]->kind == V_INT))
    return eval_error(ev, asp(a, 1), "E0302", "Could not cast hparam '%s' of type '%s' from value %s", name,
                      val_type_name(old), val_repr(ev, v[1]));
  dict_set_str(ev, h->d, name, old->kind == V_FLOAT && v[1]->kind == V_INT ? val_float(ev, (double)v[1]->u.i) : v[1]);
  return val_none(ev);
}
static Value *hp_add(Eval *ev, Value *self, Value **v, const Args *a) {
  HParams *h = ((Value *)self)->u.ext.data;
  const char *name;
  if (!eval_to_str(ev, v[0], asp(a, 0), "name", &name)) return NULL;
  if (dict_get_str(h->d, name)) return eval_error(ev, asp(a, 0), "E0306", "Hyperparameter name is reserved: %s", name);
  dict_set_str(ev, h->d, name, v[1]);
  return val_none(ev);
}
static Value *hp_values(Eval *ev, Value *self, Value **v, const Args *a) {
  (void)v, (void)a;
  HParams *h = ((Value *)self)->u.ext.data;
  Value *r = val_dict(ev), *k, *x;
  for (int it = 0; dict_next(h->d, &it, &k, &x);) dict_set(ev, r->u.dict, k, x);
  return r;
}
static Value *hp_get(Eval *ev, Value *self, Value **v, const Args *a) {
  HParams *h = ((Value *)self)->u.ext.data;
  const char *name;
  if (!eval_to_str(ev, v[0], asp(a, 0), "key", &name)) return NULL;
  Value *x = dict_get_str(h->d, name);
  return x ? x : v[1] ? v[1] : val_none(ev);
}
static const PyFn hp_methods[] = {
  {"set_hparam", P("name", "value"), 2, hp_set},
  {"add_hparam", P("name", "value"), 2, hp_add},
  {"values", NOARGS, 0, hp_values},
  {"get", P("key", "default"), 1, hp_get},
};

static Value *hp_getattr(Eval *ev, Value *self, const char *attr, Span sp) {
  (void)sp;
  HParams *h = self->u.ext.data;
  Value *x = dict_get_str(h->d, attr);
  if (x) return x;
  for (int i = 0; i < COUNT(hp_methods); i++)
    if (strcmp(hp_methods[i].name, attr) == 0) return py_fn_new(ev, &hp_methods[i], self);
  return NULL;
}
static const ExtType hparams_type = {.name = "HParams", .getattr = hp_getattr};

static Value *hp_new(Eval *ev, Value *self, Value **v, const Args *a) {
  (void)a, (void)self;
  HParams *h = eval_alloc(ev, sizeof *h);
  h->d = val_dict(ev)->u.dict;
  Value *k, *x;
  for (int it = 0; dict_next(v[1]->u.dict, &it, &k, &x);) dict_set(ev, h->d, k, x);
  return val_ext(ev, &hparams_type, h);
}
static const PyFn hp_ctor = {"HParams", P("hparam_def", "**kwargs"), 0, hp_new};

static Value *gpu_false(Eval *ev, Value *self, Value **v, const Args *a) {
  (void)v, (void)a, (void)self;
  return val_bool(ev, false);
}
static const PyFn tftest_tab[] = {
  {"is_gpu_available", P("cuda_only", "min_cuda_compute_capability"), 0, gpu_false},
  {"is_built_with_cuda", NOARGS, 0, gpu_false},
};

void pymod_install_tf(Eval *ev, Value *tf, Value *contrib) {
  Value *lg = val_namespace(ev, "tensorflow.logging");
  fill_logging(ev, lg, true);
  ns_set(ev, tf, "logging", lg);
  eval_register_module(ev, "tensorflow.logging", lg);
  Value *training = val_namespace(ev, "tensorflow.contrib.training");
  ns_set(ev, training, "HParams", py_fn_new(ev, &hp_ctor, NULL));
  ns_set(ev, contrib, "training", training);
  eval_register_module(ev, "tensorflow.contrib.training", training);
  Value *test = val_namespace(ev, "tensorflow.test");
  pm_fill(ev, test, tftest_tab, COUNT(tftest_tab), NULL);
  ns_set(ev, tf, "test", test);
  eval_register_module(ev, "tensorflow.test", test);
}
