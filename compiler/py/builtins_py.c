/* Python's builtins for compile-time values: the global functions (len, range,
 * sorted, ...), the methods of str / list / dict / namedtuples, % formatting and
 * str.format, and the small modules functools, collections and math. Each
 * function is described once in a table (name, parameters, implementation). */
#include "py/builtins_py.h"
#include "py/callargs.h"
#include "py/py_class.h"
#include "slimrt_checked.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>

#define P(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NOARGS ((const char *const[]){NULL})

static Span argsp(const Args *a, int i) { return a->pos_spans && i < a->npos ? a->pos_spans[i] : a->call_span; }

static bool is_intlike(const Value *v) { return v->kind == V_INT || v->kind == V_BOOL; }
static int64_t ival(const Value *v) { return v->kind == V_INT ? v->u.i : (int64_t)v->u.b; }

static Value *str_of_len(Eval *ev, const char *s, size_t n) { return val_strn(ev, s, n); }



/* ---- range ---- */

/* range() refuses a range whose length does not fit in int64, so this is exact. */
int64_t py_range_len(const RangeObj *r) { return slimrt_ck_span_count(r->start, r->stop, r->step); }

static const char *range_repr(Eval *ev, Value *self) {
  RangeObj *r = self->u.ext.data;
  if (r->step == 1) return arena_printf(eval_arena(ev), "range(%lld, %lld)", (long long)r->start, (long long)r->stop);
  return arena_printf(eval_arena(ev), "range(%lld, %lld, %lld)", (long long)r->start, (long long)r->stop,
                      (long long)r->step);
}

static bool range_equal(Value *a, Value *b) {
  RangeObj *x = a->u.ext.data, *y = b->u.ext.data;
  int64_t n = py_range_len(x);
  if (n != py_range_len(y)) return false;
  if (n == 0) return true;
  if (x->start != y->start) return false;
  return n == 1 || x->step == y->step;
}

const ExtType py_range_type = {.name = "range", .repr = range_repr, .equal = range_equal};

/* ---- type objects (int, str, ...) are builtins tagged with the kind they test ---- */

typedef struct TypeTag { ValueKind kind; } TypeTag;
static const TypeTag tag_int = {V_INT}, tag_float = {V_FLOAT}, tag_str = {V_STR}, tag_bool = {V_BOOL},
                     tag_list = {V_LIST}, tag_tuple = {V_TUPLE}, tag_dict = {V_DICT};

/* ---- global builtins ---- */

static Value *b_len(Eval *ev, Value *self, Value **v, const Args *a) {
  if (pyc_is_user(v[0]) && pyc_has_dunder(v[0], "__len__")) { /* pyclass */
    bool found;
    Value *r = pyc_call_dunder(ev, v[0], "__len__", NULL, 0, argsp(a, 0), &found);
    if (!r) return NULL;
    if (r->kind == V_BOOL) return val_int(ev, r->u.b);
    if (r->kind != V_INT)
      return eval_error(ev, argsp(a, 0), "E0302", "'%s' object cannot be interpreted as an integer", val_type_name(r));
    if (r->u.i < 0) return eval_error(ev, argsp(a, 0), "E0306", "__len__() should return >= 0");
    return r;
  }
  int n = val_len(v[0]);
  if (n >= 0) return val_int(ev, n);
  if (val_is_ext(v[0], &py_range_type)) return val_int(ev, py_range_len(v[0]->u.ext.data));
  if (v[0]->kind == V_EXT && v[0]->u.ext.type->items) {
    Value *l = v[0]->u.ext.type->items(ev, v[0], argsp(a, 0));
    return l ? val_int(ev, l->u.list.n) : NULL;
  }
  return eval_error(ev, argsp(a, 0), "E0302", "object of type '%s' has no len()", val_type_name(v[0]));
}

static Value *b_range(Eval *ev, Value *self, Value **v, const Args *a) {
  RangeObj *r = eval_alloc(ev, sizeof *r);
  int64_t x[3];
  for (int i = 0; i < 3; i++) {
    if (!v[i]) { x[i] = 0; continue; }
    if (!is_intlike(v[i]))
      return eval_error(ev, argsp(a, i), "E0302", "'%s' object cannot be interpreted as an integer",
                        val_type_name(v[i]));
    x[i] = ival(v[i]);
  }
  if (!v[1]) { r->start = 0; r->stop = x[0]; r->step = 1; }
  else { r->start = x[0]; r->stop = x[1]; r->step = v[2] ? x[2] : 1; }
  if (r->step == 0) return eval_error(ev, argsp(a, 2), "E0306", "range() arg 3 must not be zero");
  /* CPython makes such a range and fails at len(); slimc's ranges keep their length in an int64 */
  if (slimrt_ck_span_count(r->start, r->stop, r->step) < 0)
    return eval_error(ev, a->call_span, "E0308", "Python int too large to convert to C ssize_t");
  return val_ext(ev, &py_range_type, r);
}

static Value *apply_key(Eval *ev, Value *key, Value *x, Span sp) {
  if (!key || key->kind == V_NONE) return x;
  return eval_call_pos(ev, key, &x, 1, sp);
}

static Value *minmax(Eval *ev, const Args *a, bool want_max) {
  const char *fname = want_max ? "max" : "min";
  Value *key = NULL, *dflt = NULL;
  for (int i = 0; i < a->nkw; i++) {
    if (strcmp(a->kw[i], "key") == 0) key = a->kwv[i];
    else if (strcmp(a->kw[i], "default") == 0) dflt = a->kwv[i];
    else return eval_error(ev, a->kw_spans ? a->kw_spans[i] : a->call_span, "E0303",
                           "%s() got an unexpected keyword argument '%s'", fname, a->kw[i]);
  }
  if (a->npos == 0) return eval_error(ev, a->call_span, "E0303", "%s expected at least 1 argument, got 0", fname);
  Value *items;
  if (a->npos == 1) {
    if (!(items = eval_iter_list(ev, a->pos[0], argsp(a, 0)))) return NULL;
  } else {
    items = val_list_of(ev, a->pos, a->npos);
  }
  if (items->u.list.n == 0) {
    if (dflt) return dflt;
    return eval_error(ev, a->call_span, "E0306", "%s() arg is an empty sequence", fname);
  }
  Value *best = items->u.list.items[0];
  Value *bk = apply_key(ev, key, best, a->call_span);
  if (!bk) return NULL;
  for (int i = 1; i < items->u.list.n; i++) {
    Value *x = items->u.list.items[i];
    Value *k = apply_key(ev, key, x, a->call_span);
    if (!k) return NULL;
    int lt = want_max ? val_less(ev, bk, k, a->call_span) : val_less(ev, k, bk, a->call_span);
    if (lt < 0) return NULL;
    if (lt) { best = x; bk = k; }
  }
  return best;
}
static Value *b_min(Eval *ev, Value *self, Value **v, const Args *a) { return minmax(ev, a, false); }
static Value *b_max(Eval *ev, Value *self, Value **v, const Args *a) { return minmax(ev, a, true); }

static Value *b_abs(Eval *ev, Value *self, Value **v, const Args *a) {
  Value *x = v[0];
  if (is_intlike(x)) {
    if (ival(x) == INT64_MIN) return eval_error(ev, a->call_span, "E0308", "integer overflow in abs()");
    return val_int(ev, ival(x) < 0 ? -ival(x) : ival(x));
  }
  if (x->kind == V_FLOAT) return val_float(ev, fabs(x->u.f));
  if (x->kind == V_EXT && x->u.ext.type->unop) { /* tensors: abs builds an op through unop(-)? no: let TF decide */
    Value *r = x->u.ext.type->getattr ? x->u.ext.type->getattr(ev, x, "__abs__", a->call_span) : NULL;
    if (r) return eval_call_pos(ev, r, NULL, 0, a->call_span);
    if (eval_has_error(ev)) return NULL;
  }
  return eval_error(ev, argsp(a, 0), "E0302", "bad operand type for abs(): '%s'", val_type_name(x));
}

static const char *trim(const char *s, size_t *n) {
  while (*n && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) { s++; (*n)--; }
  while (*n && (s[*n - 1] == ' ' || s[*n - 1] == '\t' || s[*n - 1] == '\n' || s[*n - 1] == '\r')) (*n)--;
  return s;
}

static Value *b_int(Eval *ev, Value *self, Value **v, const Args *a) {
  Value *x = v[0];
  if (!x) return val_int(ev, 0);
  if (is_intlike(x) && !v[1]) return val_int(ev, ival(x));
  if (x->kind == V_FLOAT && !v[1]) {
    if (isnan(x->u.f)) return eval_error(ev, argsp(a, 0), "E0306", "cannot convert float NaN to integer");
    if (isinf(x->u.f)) return eval_error(ev, argsp(a, 0), "E0308", "cannot convert float infinity to integer");
    if (fabs(x->u.f) >= 9.2233720368547758e18) return eval_error(ev, argsp(a, 0), "E0308", "integer overflow in int()");
    return val_int(ev, (int64_t)x->u.f);
  }
  if (x->kind == V_STR) {
    int64_t base = 10;
    if (v[1] && !eval_to_int(ev, v[1], argsp(a, 1), "int() base", &base)) return NULL;
    /* strtoll leaves END unset for a bad base: check as Python does */
    if (base != 0 && (base < 2 || base > 36))
      return eval_error(ev, argsp(a, 1), "E0306", "int() base must be >= 2 and <= 36, or 0");
    size_t n = x->u.str.len;
    const char *s = trim(x->u.str.s, &n);
    char buf[80];
    size_t k = 0;
    for (size_t i = 0; i < n && k < sizeof buf - 1; i++)
      if (s[i] != '_') buf[k++] = s[i];
    buf[k] = 0;
    char *end;
    errno = 0;
    long long r = k ? strtoll(buf, &end, (int)base) : 0;
    if (!k || *end || n >= sizeof buf || (n && (s[0] == '_' || s[n - 1] == '_')))
      return eval_error(ev, argsp(a, 0), "E0306", "invalid literal for int() with base %lld: %s", (long long)base,
                        val_repr(ev, x));
    if (errno == ERANGE) return eval_error(ev, argsp(a, 0), "E0308", "integer overflow in int()");
    return val_int(ev, r);
  }
  return eval_error(ev, argsp(a, 0), "E0302", "int() argument must be a string or a number, not '%s'",
                    val_type_name(x));
}

static Value *b_float(Eval *ev, Value *self, Value **v, const Args *a) {
  Value *x = v[0];
  if (!x) return val_float(ev, 0);
  if (is_intlike(x)) return val_float(ev, (double)ival(x));
  if (x->kind == V_FLOAT) return x;
  if (x->kind == V_STR) {
    size_t n = x->u.str.len;
    const char *s = trim(x->u.str.s, &n);
    char buf[80];
    if (n && n < sizeof buf) {
      memcpy(buf, s, n);
      buf[n] = 0;
      char *end;
      double f = strtod(buf, &end);
      if (!*end && (buf[0] != '0' || (buf[1] != 'x' && buf[1] != 'X'))) return val_float(ev, f);
    }
    return eval_error(ev, argsp(a, 0), "E0306", "could not convert string to float: %s", val_repr(ev, x));
  }
  return eval_error(ev, argsp(a, 0), "E0302", "float() argument must be a string or a number, not '%s'",
                    val_type_name(x));
}

static Value *b_str(Eval *ev, Value *self, Value **v, const Args *a) {
  if (!v[0]) return val_str(ev, "");
  if (v[0]->kind == V_STR) return v[0];
  const char *s = val_str_at(ev, v[0], argsp(a, 0));
  return s ? val_str(ev, s) : NULL;
}

static Value *b_repr(Eval *ev, Value *self, Value **v, const Args *a) {
  const char *s = val_repr_at(ev, v[0], argsp(a, 0));
  return s ? val_str(ev, s) : NULL;
}

static Value *b_bool(Eval *ev, Value *self, Value **v, const Args *a) {
  if (!v[0]) return val_bool(ev, false);
  int t = eval_truthy(ev, v[0], argsp(a, 0));
  return t < 0 ? NULL : val_bool(ev, t);
}

static Value *b_list(Eval *ev, Value *self, Value **v, const Args *a) {
  if (!v[0]) return val_list(ev, 0);
  Value *l = eval_iter_list(ev, v[0], argsp(a, 0));
  if (l && l == v[0]) l = val_list_of(ev, l->u.list.items, l->u.list.n);
  return l;
}

static Value *b_tuple(Eval *ev, Value *self, Value **v, const Args *a) {
  if (!v[0]) return val_tuple(ev, 0);
  if (v[0]->kind == V_TUPLE) return v[0];
  Value *l = eval_iter_list(ev, v[0], argsp(a, 0));
  return l ? val_tuple_of(ev, l->u.list.items, l->u.list.n) : NULL;
}

static bool dict_update_from(Eval *ev, Value *d, Value *src, Span sp) {
  Value *k, *x;
  if (src->kind == V_DICT) {
    for (int it = 0; dict_next(src->u.dict, &it, &k, &x);) dict_set(ev, d->u.dict, k, x);
    return true;
  }
  Value *items = eval_iter_list(ev, src, sp);
  if (!items) return false;
  for (int i = 0; i < items->u.list.n; i++) {
    Value *p = items->u.list.items[i];
    Value *pl = (p->kind == V_LIST || p->kind == V_TUPLE) ? p : NULL;
    if (!pl || pl->u.list.n != 2) {
      eval_error(ev, sp, "E0306", "dictionary update sequence element #%d has length %d; 2 is required", i,
                 pl ? pl->u.list.n : 1);
      return false;
    }
    if (!val_key_ok(ev, pl->u.list.items[0], sp)) return false;
    dict_set(ev, d->u.dict, pl->u.list.items[0], pl->u.list.items[1]);
  }
  return true;
}

static Value *b_dict(Eval *ev, Value *self, Value **v, const Args *a) {
  Value *d = val_dict(ev);
  if (v[0] && !dict_update_from(ev, d, v[0], argsp(a, 0))) return NULL;
  if (v[1]) dict_update_from(ev, d, v[1], a->call_span);
  return d;
}

/* Stable merge sort on precomputed keys; stops at the first comparison error. */
static bool msort(Eval *ev, Value **items, Value **keys, int n, Value **ti, Value **tk, Span sp) {
  if (n < 2) return true;
  int h = n / 2;
  if (!msort(ev, items, keys, h, ti, tk, sp) || !msort(ev, items + h, keys + h, n - h, ti, tk, sp))
    return false;
  int i = 0, j = h, k = 0;
  while (i < h && j < n) {
    int lt = val_less(ev, keys[j], keys[i], sp);
    if (lt < 0) return false;
    if (lt) { ti[k] = items[j]; tk[k++] = keys[j++]; }
    else { ti[k] = items[i]; tk[k++] = keys[i++]; }
  }
  while (i < h) { ti[k] = items[i]; tk[k++] = keys[i++]; }
  while (j < n) { ti[k] = items[j]; tk[k++] = keys[j++]; }
  memcpy(items, ti, sizeof(Value *) * (size_t)n);
  memcpy(keys, tk, sizeof(Value *) * (size_t)n);
  return true;
}

static void reverse_pairs(Value **items, Value **keys, int n) {
  for (int i = 0, j = n - 1; i < j; i++, j--) {
    Value *t = items[i]; items[i] = items[j]; items[j] = t;
    t = keys[i]; keys[i] = keys[j]; keys[j] = t;
  }
}

/* A list shorter than 64 is sorted as CPython's list.sort sorts it, comparison for
   comparison: the leading run (strictly descending runs are reversed), then binary
   insertion of the rest. With items that cannot be ordered, the first failing pair, and
   so the TypeError's text, is CPython's. Longer lists are merge sorted (the same result;
   CPython's galloping merges may meet an unorderable pair in another order). */
static bool small_sort(Eval *ev, Value **items, Value **keys, int n, Span sp) {
  if (n < 2) return true;
  int run = 2, lt = val_less(ev, keys[1], keys[0], sp);
  if (lt < 0) return false;
  bool desc = lt;
  for (; run < n; run++) {
    if ((lt = val_less(ev, keys[run], keys[run - 1], sp)) < 0) return false;
    if (lt != desc) break;
  }
  if (desc) reverse_pairs(items, keys, run);
  for (int s = run; s < n; s++) {
    Value *pi = items[s], *pk = keys[s];
    int l = 0, r = s;
    while (l < r) {
      int p = l + ((r - l) >> 1);
      if ((lt = val_less(ev, pk, keys[p], sp)) < 0) return false;
      if (lt) r = p;
      else l = p + 1;
    }
    memmove(items + l + 1, items + l, sizeof(Value *) * (size_t)(s - l));
    memmove(keys + l + 1, keys + l, sizeof(Value *) * (size_t)(s - l));
    items[l] = pi;
    keys[l] = pk;
  }
  return true;
}

static bool sort_list(Eval *ev, Value *l, Value *key, Value *reverse, Span sp) {
  int n = l->u.list.n;
  int rev = 0;
  if (reverse && (rev = eval_truthy(ev, reverse, sp)) < 0) return false;
  Value **keys = eval_alloc(ev, sizeof(Value *) * (size_t)(n + 1));
  for (int i = 0; i < n; i++)
    if (!(keys[i] = apply_key(ev, key, l->u.list.items[i], sp))) return false;
  Value **items = l->u.list.items;
  /* reverse=True as CPython does it: reverse, sort stably, reverse (equal items keep
     their order) */
  if (rev) reverse_pairs(items, keys, n);
  bool ok;
  if (n < 64) {
    ok = small_sort(ev, items, keys, n, sp);
  } else {
    Value **ti = eval_alloc(ev, sizeof(Value *) * (size_t)(n + 1));
    Value **tk = eval_alloc(ev, sizeof(Value *) * (size_t)(n + 1));
    ok = msort(ev, items, keys, n, ti, tk, sp);
  }
  if (ok && rev) reverse_pairs(items, keys, n);
  return ok;
}

static Value *b_sorted(Eval *ev, Value *self, Value **v, const Args *a) {
  Value *l = eval_iter_list(ev, v[0], argsp(a, 0));
  if (!l) return NULL;
  l = val_list_of(ev, l->u.list.items, l->u.list.n);
  /* v[1] is the bare '*' of the parameter list */
  return sort_list(ev, l, v[2], v[3], a->call_span) ? l : NULL;
}

static Value *b_reversed(Eval *ev, Value *self, Value **v, const Args *a) {
  if (v[0]->kind == V_DICT || v[0]->kind == V_NONE || v[0]->kind == V_INT)
    return eval_error(ev, argsp(a, 0), "E0302", "'%s' object is not reversible", val_type_name(v[0]));
  Value *l = eval_iter_list(ev, v[0], argsp(a, 0));
  if (!l) return NULL;
  Value *out = val_list(ev, l->u.list.n);
  for (int i = 0; i < l->u.list.n; i++) out->u.list.items[i] = l->u.list.items[l->u.list.n - 1 - i];
  return out;
}

static Value *b_sum(Eval *ev, Value *self, Value **v, const Args *a) {
  Value *l = eval_iter_list(ev, v[0], argsp(a, 0));
  if (!l) return NULL;
  Value *acc = v[1] ? v[1] : val_int(ev, 0);
  if (acc->kind == V_STR)
    return eval_error(ev, argsp(a, 1), "E0302", "sum() can't sum strings [use ''.join(seq) instead]");
  for (int i = 0; i < l->u.list.n; i++)
    if (!(acc = eval_binop(ev, OP_ADD, acc, l->u.list.items[i], a->call_span))) return NULL;
  return acc;
}

static Value *anyall(Eval *ev, Value **v, const Args *a, bool want) {
  Value *l = eval_iter_list(ev, v[0], argsp(a, 0));
  if (!l) return NULL;
  for (int i = 0; i < l->u.list.n; i++) {
    int t = eval_truthy(ev, l->u.list.items[i], argsp(a, 0));
    if (t < 0) return NULL;
    if (t == want) return val_bool(ev, want);
  }
  return val_bool(ev, !want);
}
static Value *b_any(Eval *ev, Value *self, Value **v, const Args *a) { return anyall(ev, v, a, true); }
static Value *b_all(Eval *ev, Value *self, Value **v, const Args *a) { return anyall(ev, v, a, false); }

static Value *b_enumerate(Eval *ev, Value *self, Value **v, const Args *a) {
  Value *l = eval_iter_list(ev, v[0], argsp(a, 0));
  if (!l) return NULL;
  int64_t start = 0;
  if (v[1] && !eval_to_int(ev, v[1], argsp(a, 1), "enumerate() start", &start)) return NULL;
  Value *out = val_list(ev, l->u.list.n);
  for (int i = 0; i < l->u.list.n; i++) {
    Value *pair[2] = {val_int(ev, start + i), l->u.list.items[i]};
    out->u.list.items[i] = val_tuple_of(ev, pair, 2);
  }
  return out;
}

static Value *b_zip(Eval *ev, Value *self, Value **v, const Args *a) {
  if (a->nkw) return eval_error(ev, a->call_span, "E0303", "zip() takes no keyword arguments");
  int k = a->npos, n = k ? INT32_MAX : 0;
  Value **ls = eval_alloc(ev, sizeof(Value *) * (size_t)(k + 1));
  for (int i = 0; i < k; i++) {
    if (!(ls[i] = eval_iter_list(ev, a->pos[i], argsp(a, i)))) return NULL;
    if (ls[i]->u.list.n < n) n = ls[i]->u.list.n;
  }
  Value *out = val_list(ev, n);
  for (int j = 0; j < n; j++) {
    Value *t = val_tuple(ev, k);
    for (int i = 0; i < k; i++) t->u.list.items[i] = ls[i]->u.list.items[j];
    out->u.list.items[j] = t;
  }
  return out;
}

static int isinstance_one(Eval *ev, Value *x, Value *cls, Span sp) {
  if (py_exception_class(cls)) /* pyexc */
    return val_is_ext(x, &val_exception_type) &&
           py_exc_subclass(((ExcObj *)x->u.ext.data)->cls, py_exception_class(cls));
  if (cls->kind == V_TUPLE) {
    for (int i = 0; i < cls->u.list.n; i++) {
      int r = isinstance_one(ev, x, cls->u.list.items[i], sp);
      if (r) return r;
    }
    return 0;
  }
  int pr = pyc_isinstance(ev, x, cls); /* pyclass: user classes, object, type */
  if (pr != -2) return pr;
  if (cls->kind == V_BUILTIN) {
    PyFnBound *b = cls->u.builtin->fn == py_fn_dispatch ? cls->u.builtin->data : NULL;
    const TypeTag *t = b ? (const TypeTag *)b->self : NULL;
    if (t == &tag_int) return x->kind == V_INT || x->kind == V_BOOL; /* bool is an int */
    if (t == &tag_tuple) return x->kind == V_TUPLE || (x->kind == V_INSTANCE && x->u.inst->cls->is_tuple);
    if (t) return x->kind == t->kind;
  }
  eval_error(ev, sp, "E0302", "isinstance() arg 2 must be a type or tuple of types");
  return -1;
}

static Value *b_isinstance(Eval *ev, Value *self, Value **v, const Args *a) {
  int r = isinstance_one(ev, v[0], v[1], argsp(a, 1));
  return r < 0 ? NULL : val_bool(ev, r);
}

static Value *b_callable(Eval *ev, Value *self, Value **v, const Args *a) {
  return val_bool(ev, eval_is_callable(v[0]));
}

static Value *b_getattr(Eval *ev, Value *self, Value **v, const Args *a) {
  const char *name;
  if (!eval_to_str(ev, v[1], argsp(a, 1), "attribute name", &name)) return NULL;
  Value *r = eval_getattr(ev, v[0], name, argsp(a, 1));
  if (!r && v[2]) {
    const char *code = eval_clear_error(ev);
    if (code && strcmp(code, "E0304") != 0) { /* only "no such attribute" falls back to the default */
      return eval_getattr(ev, v[0], name, argsp(a, 1));
    }
    return v[2];
  }
  return r;
}

static Value *b_hasattr(Eval *ev, Value *self, Value **v, const Args *a) {
  const char *name;
  if (!eval_to_str(ev, v[1], argsp(a, 1), "attribute name", &name)) return NULL;
  Value *r = eval_getattr(ev, v[0], name, argsp(a, 1));
  if (r) return val_bool(ev, true);
  const char *code = eval_clear_error(ev);
  if (code && strcmp(code, "E0304") != 0) return eval_getattr(ev, v[0], name, argsp(a, 1));
  return val_bool(ev, false);
}

static Value *b_print(Eval *ev, Value *self, Value **v, const Args *a) {
  const char *sep = " ", *end = "\n";
  for (int i = 0; i < a->nkw; i++) {
    Value *x = a->kwv[i];
    if (strcmp(a->kw[i], "sep") == 0 && x->kind == V_STR) sep = x->u.str.s;
    else if (strcmp(a->kw[i], "end") == 0 && x->kind == V_STR) end = x->u.str.s;
    else if (strcmp(a->kw[i], "sep") != 0 && strcmp(a->kw[i], "end") != 0 && strcmp(a->kw[i], "flush") != 0)
      return eval_error(ev, a->kw_spans ? a->kw_spans[i] : a->call_span, "E0303",
                        "print() got an unexpected keyword argument '%s'", a->kw[i]);
  }
  Diag *d = eval_diag(ev);
  Span sp = a->call_span;
  const SrcFile *f = src_file(d->sm, sp.file);
  TextBuf b = {.ev = ev};
  if (f) {
    char loc[32];
    tb_puts(&b, f->path);
    snprintf(loc, sizeof loc, ":%d:%d: ", sp.line, sp.col);
    tb_puts(&b, loc);
  }
  for (int i = 0; i < a->npos; i++) {
    if (i) tb_puts(&b, sep);
    const char *s = val_str_at(ev, a->pos[i], argsp(a, i));
    if (!s) return NULL;
    tb_puts(&b, s);
  }
  tb_puts(&b, end);
  fputs(b.s, d->out);
  return val_none(ev);
}

static Value *b_round(Eval *ev, Value *self, Value **v, const Args *a) {
  Value *x = v[0];
  if (!is_intlike(x) && x->kind != V_FLOAT)
    return eval_error(ev, argsp(a, 0), "E0302", "type %s doesn't define __round__ method", val_type_name(x));
  if (!v[1] || v[1]->kind == V_NONE) {
    if (is_intlike(x)) return val_int(ev, ival(x));
    if (!isfinite(x->u.f) || fabs(x->u.f) >= 9.2e18)
      return eval_error(ev, argsp(a, 0), "E0308", "cannot convert float %s to integer", val_repr(ev, x));
    return val_int(ev, (int64_t)nearbyint(x->u.f)); /* round half to even, like Python */
  }
  int64_t nd;
  if (!eval_to_int(ev, v[1], argsp(a, 1), "round() ndigits", &nd)) return NULL;
  if (is_intlike(x)) { /* exact, half to even; 10**19 is past int64, so |x| rounds to 0 or 10**19 there */
    if (nd >= 0) return val_int(ev, ival(x));
    if (nd < -19) return val_int(ev, 0);
    __int128 p = 1, xi = ival(x);
    for (int64_t i = 0; i < -nd; i++) p *= 10;
    __int128 q = xi / p, rem = xi % p; /* truncated: rem has x's sign */
    __int128 twice = rem < 0 ? -2 * rem : 2 * rem;
    if (twice > p || (twice == p && (q & 1))) q += xi < 0 ? -1 : 1;
    __int128 res = q * p;
    if (res > INT64_MAX || res < INT64_MIN)
      return eval_error(ev, a->call_span, "E0308", "integer overflow in round() (compile-time ints are 64-bit)");
    return val_int(ev, (int64_t)res);
  }
  if (!isfinite(x->u.f) || nd > 300) return x;
  if (nd < -300) return val_float(ev, 0.0 * x->u.f);
  if (nd >= 0) { /* printf rounds the exact binary value correctly, as Python's round does */
    char buf[400];
    snprintf(buf, sizeof buf, "%.*f", (int)nd, x->u.f);
    return val_float(ev, strtod(buf, NULL));
  }
  double p = pow(10, (double)-nd);
  return val_float(ev, nearbyint(x->u.f / p) * p);
}

/* (x * y) mod m for 0 <= x, y < m. */
static uint64_t mulmod(uint64_t x, uint64_t y, uint64_t m) { return (uint64_t)((unsigned __int128)x * y % m); }

/* pow(base, exp): base ** exp (so an int stays an int and overflow is E0308);
   pow(base, exp, mod): Python's modular power of ints, the result with mod's sign. */
static Value *b_pow(Eval *ev, Value *self, Value **v, const Args *a) {
  if (!v[2] || v[2]->kind == V_NONE) return eval_binop(ev, OP_POW, v[0], v[1], a->call_span);
  if (!is_intlike(v[0]) || !is_intlike(v[1]) || !is_intlike(v[2]))
    return eval_error(ev, a->call_span, "E0302", "TypeError: pow() 3rd argument not allowed unless all arguments are integers");
  int64_t b = ival(v[0]), e = ival(v[1]), m = ival(v[2]);
  if (m == 0) return eval_error(ev, argsp(a, 2), "E0306", "ValueError: pow() 3rd argument cannot be 0");
  uint64_t um = m < 0 ? (uint64_t)0 - (uint64_t)m : (uint64_t)m;
  uint64_t ub = b < 0 ? (um - ((uint64_t)0 - (uint64_t)b) % um) % um : (uint64_t)b % um;
  if (e < 0) { /* the inverse of base modulo |mod| (extended Euclid), raised to -exp */
    __int128 r0 = (__int128)um, r1 = (__int128)ub, t0 = 0, t1 = 1;
    while (r1) {
      __int128 q = r0 / r1, r2 = r0 - q * r1, t2 = t0 - q * t1;
      r0 = r1, r1 = r2, t0 = t1, t1 = t2;
    }
    if (r0 != 1) return eval_error(ev, argsp(a, 0), "E0306", "ValueError: base is not invertible for the given modulus");
    ub = (uint64_t)(((t0 % (__int128)um) + (__int128)um) % (__int128)um);
  }
  uint64_t ue = e < 0 ? (uint64_t)0 - (uint64_t)e : (uint64_t)e, r = um == 1 ? 0 : 1;
  for (; ue; ue >>= 1, ub = mulmod(ub, ub, um))
    if (ue & 1) r = mulmod(r, ub, um);
  /* r is in [0, |mod|); a negative mod gives a result in (mod, 0] */
  int64_t out = m > 0 || r == 0 ? (int64_t)r : (int64_t)(r - um);
  return val_int(ev, out);
}

static Value *b_divmod(Eval *ev, Value *self, Value **v, const Args *a) {
  Value *q = eval_binop(ev, OP_FLOORDIV, v[0], v[1], a->call_span);
  if (!q) return NULL;
  Value *r = eval_binop(ev, OP_MOD, v[0], v[1], a->call_span);
  if (!r) return NULL;
  Value *t[2] = {q, r};
  return val_tuple_of(ev, t, 2);
}

static Value *b_map(Eval *ev, Value *self, Value **v, const Args *a) {
  if (a->npos < 2 || a->nkw)
    return eval_error(ev, a->call_span, "E0303", "map() must have at least two arguments");
  int k = a->npos - 1, n = INT32_MAX;
  Value **ls = eval_alloc(ev, sizeof(Value *) * (size_t)k);
  for (int i = 0; i < k; i++) {
    if (!(ls[i] = eval_iter_list(ev, a->pos[i + 1], argsp(a, i + 1)))) return NULL;
    if (ls[i]->u.list.n < n) n = ls[i]->u.list.n;
  }
  Value *out = val_list(ev, n);
  Value **argv = eval_alloc(ev, sizeof(Value *) * (size_t)k);
  for (int j = 0; j < n; j++) {
    for (int i = 0; i < k; i++) argv[i] = ls[i]->u.list.items[j];
    if (!(out->u.list.items[j] = eval_call_pos(ev, a->pos[0], argv, k, a->call_span))) return NULL;
  }
  return out;
}

static Value *b_filter(Eval *ev, Value *self, Value **v, const Args *a) {
  Value *l = eval_iter_list(ev, v[1], argsp(a, 1));
  if (!l) return NULL;
  Value *out = val_list(ev, 0);
  for (int i = 0; i < l->u.list.n; i++) {
    Value *x = l->u.list.items[i];
    Value *t = v[0]->kind == V_NONE ? x : eval_call_pos(ev, v[0], &x, 1, a->call_span);
    if (!t) return NULL;
    int b = eval_truthy(ev, t, a->call_span);
    if (b < 0) return NULL;
    if (b) val_list_append(ev, out, x);
  }
  return out;
}

/* pyexc: the built-in exception hierarchy, each class with its base (CPython's). */
static const struct { const char *name, *base; } exc_tree[] = {
  {"BaseException", NULL}, {"SystemExit", "BaseException"}, {"KeyboardInterrupt", "BaseException"},
  {"GeneratorExit", "BaseException"}, {"Exception", "BaseException"},
  {"StopIteration", "Exception"}, {"ArithmeticError", "Exception"}, {"ZeroDivisionError", "ArithmeticError"},
  {"OverflowError", "ArithmeticError"}, {"FloatingPointError", "ArithmeticError"},
  {"AssertionError", "Exception"}, {"AttributeError", "Exception"}, {"LookupError", "Exception"},
  {"IndexError", "LookupError"}, {"KeyError", "LookupError"}, {"NameError", "Exception"},
  {"UnboundLocalError", "NameError"}, {"RuntimeError", "Exception"}, {"NotImplementedError", "RuntimeError"},
  {"RecursionError", "RuntimeError"}, {"TypeError", "Exception"}, {"ValueError", "Exception"},
  {"UnicodeError", "ValueError"}, {"ImportError", "Exception"}, {"ModuleNotFoundError", "ImportError"},
  {"OSError", "Exception"}, {"FileNotFoundError", "OSError"}, {"EOFError", "Exception"},
  {"MemoryError", "Exception"}, {"Warning", "Exception"}, {"UserWarning", "Warning"},
  {"DeprecationWarning", "Warning"}, {"RuntimeWarning", "Warning"},
};

static int exc_index(const char *name) {
  for (int i = 0; i < (int)(sizeof exc_tree / sizeof *exc_tree); i++)
    if (strcmp(exc_tree[i].name, name) == 0) return i;
  return -1;
}

bool py_exc_known(const char *cls) { return exc_index(cls) >= 0; }

bool py_exc_subclass(const char *cls, const char *base) {
  for (int i = exc_index(cls); i >= 0; i = exc_tree[i].base ? exc_index(exc_tree[i].base) : -1)
    if (strcmp(exc_tree[i].name, base) == 0) return true;
  return false;
}

Value *py_exc_new(Eval *ev, const char *cls, Value *args) {
  ExcObj *x = eval_alloc(ev, sizeof *x);
  x->cls = cls;
  x->args = args ? args : val_tuple(ev, 0);
  int n = x->args->u.list.n;
  Value **av = x->args->u.list.items;
  /* str(e): CPython's BaseException.__str__, and KeyError's repr of its one key */
  if (n == 0) x->msg = "";
  else if (n == 1) x->msg = strcmp(cls, "KeyError") == 0 ? val_repr(ev, av[0]) : val_str_of(ev, av[0]);
  else x->msg = val_repr(ev, x->args);
  if (strcmp(cls, "StopIteration") == 0) x->value = n ? av[0] : val_none(ev);
  return val_ext(ev, &val_exception_type, x);
}

/* Exception constructors: ValueError("msg") makes an object for `raise`. */
static Value *b_exception(Eval *ev, Value *self, Value **v, const Args *a) {
  if (a->nkw) return eval_error(ev, a->call_span, "E0303", "%s() takes no keyword arguments", (const char *)self);
  return py_exc_new(ev, (const char *)self, val_tuple_of(ev, a->pos, a->npos));
}

/* ---- functools, collections, math ---- */

static Value *b_partial(Eval *ev, Value *self, Value **v, const Args *a) {
  if (a->npos < 1) return eval_error(ev, a->call_span, "E0303", "partial() missing 1 required positional argument: 'func'");
  if (!eval_is_callable(a->pos[0]))
    return eval_error(ev, argsp(a, 0), "E0302", "the first argument must be callable");
  Value *r = eval_alloc(ev, sizeof *r);
  r->kind = V_PARTIAL;
  Partial *p = r->u.partial = eval_alloc(ev, sizeof *p);
  Value *fn = a->pos[0];
  Args *pa = &p->args;
  /* partial(partial(f, x), y) flattens like CPython's */
  int base_np = 0, base_nk = 0;
  if (fn->kind == V_PARTIAL) {
    base_np = fn->u.partial->args.npos;
    base_nk = fn->u.partial->args.nkw;
  }
  pa->pos = eval_alloc(ev, sizeof(Value *) * (size_t)(base_np + a->npos));
  pa->kw = eval_alloc(ev, sizeof(char *) * (size_t)(base_nk + a->nkw + 1));
  pa->kwv = eval_alloc(ev, sizeof(Value *) * (size_t)(base_nk + a->nkw + 1));
  if (fn->kind == V_PARTIAL) {
    Partial *q = fn->u.partial;
    for (int i = 0; i < base_np; i++) pa->pos[pa->npos++] = q->args.pos[i];
    for (int i = 0; i < base_nk; i++) {
      pa->kw[pa->nkw] = q->args.kw[i];
      pa->kwv[pa->nkw++] = q->args.kwv[i];
    }
    fn = q->fn;
  }
  for (int i = 1; i < a->npos; i++) pa->pos[pa->npos++] = a->pos[i];
  for (int i = 0; i < a->nkw; i++) {
    int j = 0;
    while (j < pa->nkw && strcmp(pa->kw[j], a->kw[i]) != 0) j++;
    pa->kw[j] = a->kw[i];
    pa->kwv[j] = a->kwv[i];
    if (j == pa->nkw) pa->nkw++;
  }
  pa->call_span = a->call_span;
  p->fn = fn;
  return r;
}

static Value *b_reduce(Eval *ev, Value *self, Value **v, const Args *a) {
  Value *l = eval_iter_list(ev, v[1], argsp(a, 1));
  if (!l) return NULL;
  int i = 0;
  Value *acc = v[2];
  if (!acc) {
    if (l->u.list.n == 0)
      return eval_error(ev, a->call_span, "E0302", "reduce() of empty iterable with no initial value");
    acc = l->u.list.items[i++];
  }
  for (; i < l->u.list.n; i++) {
    Value *argv[2] = {acc, l->u.list.items[i]};
    if (!(acc = eval_call_pos(ev, v[0], argv, 2, a->call_span))) return NULL;
  }
  return acc;
}

static bool is_ident(const char *s) {
  if (!*s || (*s >= '0' && *s <= '9')) return false;
  for (; *s; s++)
    if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
      return false;
  return true;
}

static Value *b_namedtuple(Eval *ev, Value *self, Value **v, const Args *a) {
  const char *name;
  if (!eval_to_str(ev, v[0], argsp(a, 0), "namedtuple() typename", &name)) return NULL;
  PtrVec fields = {0};
  Arena *ar = eval_arena(ev);
  if (v[1]->kind == V_STR) { /* "x y" or "x, y" */
    const char *s = v[1]->u.str.s;
    while (*s) {
      while (*s == ' ' || *s == ',' || *s == '\t' || *s == '\n') s++;
      const char *st = s;
      while (*s && *s != ' ' && *s != ',' && *s != '\t' && *s != '\n') s++;
      if (s > st) ptrvec_push(ar, &fields, arena_strndup(ar, st, (size_t)(s - st)));
    }
  } else {
    Value *l = eval_iter_list(ev, v[1], argsp(a, 1));
    if (!l) return NULL;
    for (int i = 0; i < l->u.list.n; i++) {
      const char *f;
      if (!eval_to_str(ev, l->u.list.items[i], argsp(a, 1), "namedtuple() field name", &f)) return NULL;
      ptrvec_push(ar, &fields, (void *)f);
    }
  }
  for (int i = 0; i < fields.n; i++) {
    const char *f = fields.items[i];
    if (!is_ident(f) || f[0] == '_')
      return eval_error(ev, argsp(a, 1), "E0306", "namedtuple() field names must be identifiers not starting with "
                        "an underscore: '%s'", f);
    for (int j = 0; j < i; j++)
      if (strcmp(f, fields.items[j]) == 0)
        return eval_error(ev, argsp(a, 1), "E0306", "encountered duplicate field name: '%s'", f);
  }
  if (!is_ident(name)) return eval_error(ev, argsp(a, 0), "E0306", "type names must be valid identifiers: '%s'", name);
  Value *r = eval_alloc(ev, sizeof *r);
  r->kind = V_CLASS;
  ClassT *c = r->u.cls = eval_alloc(ev, sizeof *c);
  c->name = name;
  c->fields = (const char **)fields.items;
  c->nfields = fields.n;
  c->is_tuple = true; /* pyclass */
  c->self = r;
  return r;
}

static Value *math1(Eval *ev, Value **v, const Args *a, double (*f)(double), const char *name) {
  double x;
  if (!eval_to_float(ev, v[0], argsp(a, 0), name, &x)) return NULL;
  errno = 0;
  double r = f(x);
  if (isnan(r) && !isnan(x)) return eval_error(ev, a->call_span, "E0306", "math domain error");
  return val_float(ev, r);
}
static Value *m_sqrt(Eval *ev, Value *self, Value **v, const Args *a) {
  double x;
  if (!eval_to_float(ev, v[0], argsp(a, 0), "sqrt() argument", &x)) return NULL;
  if (x < 0) return eval_error(ev, a->call_span, "E0306", "math domain error");
  return val_float(ev, sqrt(x));
}
static Value *m_exp(Eval *ev, Value *self, Value **v, const Args *a) { return math1(ev, v, a, exp, "exp() argument"); }
static Value *m_log(Eval *ev, Value *self, Value **v, const Args *a) {
  double x, b = 0;
  if (!eval_to_float(ev, v[0], argsp(a, 0), "log() argument", &x)) return NULL;
  if (v[1] && !eval_to_float(ev, v[1], argsp(a, 1), "log() base", &b)) return NULL;
  if (x <= 0 || (v[1] && (b <= 0 || b == 1))) return eval_error(ev, a->call_span, "E0306", "math domain error");
  return val_float(ev, v[1] ? log(x) / log(b) : log(x));
}
static Value *rounding(Eval *ev, Value **v, const Args *a, double (*f)(double)) {
  if (is_intlike(v[0])) return val_int(ev, ival(v[0]));
  double x;
  if (!eval_to_float(ev, v[0], argsp(a, 0), "argument", &x)) return NULL;
  if (!isfinite(x) || fabs(x) >= 9.2e18)
    return eval_error(ev, argsp(a, 0), "E0308", "cannot convert float %s to integer", val_repr(ev, v[0]));
  return val_int(ev, (int64_t)f(x));
}
static Value *m_floor(Eval *ev, Value *self, Value **v, const Args *a) { return rounding(ev, v, a, floor); }
static Value *m_ceil(Eval *ev, Value *self, Value **v, const Args *a) { return rounding(ev, v, a, ceil); }

/* ---- % formatting ---- */

typedef struct Spec {
  char fill, align, sign;
  bool alt, zero, comma;
  int width, prec;     /* -1: absent */
  char type;           /* 0: absent */
} Spec;

static void pad_into(TextBuf *out, const char *body, size_t n, const Spec *sp, char dflt_align) {
  size_t w = sp->width > 0 ? (size_t)sp->width : 0;
  char align = sp->align ? sp->align : dflt_align;
  char fill = sp->fill ? sp->fill : ' ';
  if (n >= w) { tb_put(out, body, n); return; }
  size_t padn = w - n, left = 0;
  if (align == '>') left = padn;
  else if (align == '^') left = padn / 2;
  else if (align == '=') { /* after the sign */
    size_t s = (n && (body[0] == '-' || body[0] == '+' || body[0] == ' ')) ? 1 : 0;
    tb_put(out, body, s);
    for (size_t i = 0; i < padn; i++) tb_put(out, &fill, 1);
    tb_put(out, body + s, n - s);
    return;
  }
  for (size_t i = 0; i < left; i++) tb_put(out, &fill, 1);
  tb_put(out, body, n);
  for (size_t i = left; i < padn; i++) tb_put(out, &fill, 1);
}

static void group_thousands(TextBuf *b, const char *digits) {
  const char *p = digits;
  if (*p == '-' || *p == '+' || *p == ' ') tb_put(b, p++, 1);
  size_t n = strspn(p, "0123456789");
  for (size_t i = 0; i < n; i++) {
    tb_put(b, p + i, 1);
    if ((n - i - 1) % 3 == 0 && i + 1 < n) tb_puts(b, ",");
  }
  tb_puts(b, p + n);
}

/* Formats number/str V by SP into OUT (shared by % and format()). */
/* A width or precision in a format: digits at F[*I]; false past 100000 (Python says
   "width too big"; ours also keeps the int from overflowing). */
static bool spec_number(const char *f, size_t n, size_t *i, int *out) {
  int v = 0;
  while (*i < n && f[*i] >= '0' && f[*i] <= '9') {
    v = v * 10 + (f[(*i)++] - '0');
    if (v > 100000) return false;
  }
  *out = v;
  return true;
}

static bool format_value(Eval *ev, TextBuf *out, Value *v, Spec *sp, Span where, bool percent_style) {
  char buf[512];
  char t = sp->type;
  const char *body = NULL;
  if (t == 0 && !percent_style && (v->kind == V_INT || v->kind == V_BOOL) && v->kind != V_BOOL) t = 'd';
  if (t == 0 && !percent_style && v->kind == V_FLOAT && (sp->prec >= 0 || sp->sign || sp->comma)) t = 'g';
  switch (t) {
  case 's': case 'r': case 'a': case 0: {
    const char *s = (t == 'r' || t == 'a') ? val_repr_at(ev, v, where) : val_str_at(ev, v, where);
    if (!s) return false;
    size_t n = strlen(s);
    if (sp->prec >= 0 && (size_t)sp->prec < n) n = (size_t)sp->prec;
    pad_into(out, s, n, sp, percent_style ? '>' : '<');
    return true;
  }
  case 'c': {
    size_t n = 0;
    if (is_intlike(v)) { /* a code point, written as UTF-8 */
      int64_t c = ival(v);
      if (c < 0 || c > 0x10FFFF) {
        eval_error(ev, where, "E0308", "%%c arg not in range(0x110000)");
        return false;
      }
      if (c >= 0xD800 && c <= 0xDFFF) {
        eval_error(ev, where, "E0306", "UnicodeEncodeError: surrogate code point U+%04llX cannot be written",
                   (unsigned long long)c);
        return false;
      }
      if (c < 0x80) buf[n++] = (char)c;
      else if (c < 0x800) buf[n++] = (char)(0xC0 | c >> 6), buf[n++] = (char)(0x80 | (c & 0x3F));
      else if (c < 0x10000)
        buf[n++] = (char)(0xE0 | c >> 12), buf[n++] = (char)(0x80 | (c >> 6 & 0x3F)), buf[n++] = (char)(0x80 | (c & 0x3F));
      else
        buf[n++] = (char)(0xF0 | c >> 18), buf[n++] = (char)(0x80 | (c >> 12 & 0x3F)),
        buf[n++] = (char)(0x80 | (c >> 6 & 0x3F)), buf[n++] = (char)(0x80 | (c & 0x3F));
    } else if (v->kind == V_STR && v->u.str.len == 1) {
      buf[n++] = v->u.str.s[0];
    } else {
      eval_error(ev, where, "E0302", "%%c requires int or char");
      return false;
    }
    buf[n] = 0;
    pad_into(out, buf, n, sp, '<');
    return true;
  }
  case 'd': case 'i': case 'u': case 'x': case 'X': case 'o': case 'b': {
    int64_t i;
    if (is_intlike(v)) i = ival(v);
    else if (v->kind == V_FLOAT && percent_style && (t == 'd' || t == 'i' || t == 'u')) {
      if (!isfinite(v->u.f) || fabs(v->u.f) >= 9.2233720368547758e18) { /* as int() refuses it */
        eval_error(ev, where, "E0308", "cannot convert float %s to integer", val_repr(ev, v));
        return false;
      }
      i = (int64_t)v->u.f;
    } else {
      if (percent_style) /* CPython 3.11: %d %i %u take any real number, %x %o %c an integer */
        eval_error(ev, where, "E0302", "%%%c format: %s is required, not %s", t,
                   strchr("diu", t) ? "a real number" : "an integer", val_type_name(v));
      else eval_error(ev, where, "E0306", "Unknown format code '%c' for object of type '%s'", t, val_type_name(v));
      return false;
    }
    uint64_t mag = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
    char digits[80];
    if (t == 'x' || t == 'X' || t == 'o') snprintf(digits, sizeof digits, t == 'x' ? "%llx" : t == 'X' ? "%llX" : "%llo", (unsigned long long)mag);
    else if (t == 'b') {
      int k = 0;
      char tmp[70];
      do { tmp[k++] = (char)('0' + (mag & 1)); mag >>= 1; } while (mag);
      for (int j = 0; j < k; j++) digits[j] = tmp[k - 1 - j];
      digits[k] = 0;
    } else snprintf(digits, sizeof digits, "%llu", (unsigned long long)mag);
    const char *prefix = "";
    if (sp->alt) prefix = t == 'x' ? "0x" : t == 'X' ? "0X" : t == 'o' ? "0o" : t == 'b' ? "0b" : "";
    const char *sign = i < 0 ? "-" : sp->sign == '+' ? "+" : sp->sign == ' ' ? " " : "";
    TextBuf num = {.ev = ev};
    tb_puts(&num, sign);
    tb_puts(&num, prefix);
    if (sp->comma) group_thousands(&num, digits); else tb_puts(&num, digits);
    if (percent_style && sp->prec > 0) { /* %.3d zero-pads the digits */
      TextBuf z = {.ev = ev};
      tb_puts(&z, sign);
      for (int k = (int)strlen(digits); k < sp->prec; k++) tb_puts(&z, "0");
      tb_puts(&z, digits);
      num = z;
    }
    Spec s2 = *sp;
    if (sp->zero && !sp->align) { s2.fill = '0'; s2.align = '='; }
    pad_into(out, num.s, num.n, &s2, '>');
    return true;
  }
  case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': case '%': {
    double f;
    if (is_intlike(v)) f = (double)ival(v);
    else if (v->kind == V_FLOAT) f = v->u.f;
    else {
      if (percent_style) eval_error(ev, where, "E0302", "must be real number, not %s", val_type_name(v));
      else eval_error(ev, where, "E0306", "Unknown format code '%c' for object of type '%s'", t, val_type_name(v));
      return false;
    }
    int prec = sp->prec >= 0 ? sp->prec : 6;
    if (prec > 100) prec = 100;
    char fmt[16];
    char ct = t == '%' ? 'f' : t;
    if (t == '%') f *= 100;
    snprintf(fmt, sizeof fmt, "%%%s%s.%d%c", sp->sign == '+' ? "+" : sp->sign == ' ' ? " " : "", sp->alt ? "#" : "",
             prec, ct);
    if ((t == 'g' || t == 'G') && sp->prec < 0 && !percent_style && sp->type == 0) {
      /* format(x, '+') etc.: no explicit type keeps repr's digits */
      val_float_repr(f, buf + 1);
      buf[0] = f >= 0 && sp->sign == '+' ? '+' : f >= 0 && sp->sign == ' ' ? ' ' : 0;
      body = buf[0] ? buf : buf + 1;
    } else {
      snprintf(buf, sizeof buf - 2, fmt, f);
      if (t == '%') strcat(buf, "%");
      body = buf;
    }
    TextBuf num = {.ev = ev};
    if (sp->comma) group_thousands(&num, body); else tb_puts(&num, body);
    Spec s2 = *sp;
    if (sp->zero && !sp->align) { s2.fill = '0'; s2.align = '='; }
    pad_into(out, num.s, num.n, &s2, '>');
    return true;
  }
  default:
    eval_error(ev, where, "E0306", "unsupported format character '%c'", t);
    return false;
  }
}

Value *py_str_mod(Eval *ev, Value *fmtv, Value *args, Span sp) {
  const char *f = fmtv->u.str.s;
  size_t n = fmtv->u.str.len;
  Value **items = &args;
  int nitems = 1, used = 0;
  if (args->kind == V_TUPLE) { items = args->u.list.items; nitems = args->u.list.n; }
  if (args->kind == V_INSTANCE && args->u.inst->cls->is_tuple) { /* a namedtuple is a tuple (pyclass) */
    items = args->u.inst->vals;
    nitems = args->u.inst->cls->nfields;
  }
  Value *mapping = args->kind == V_DICT ? args : NULL;
  bool used_map = false;
  TextBuf out = {.ev = ev};
  for (size_t i = 0; i < n; i++) {
    if (f[i] != '%') { tb_put(&out, f + i, 1); continue; }
    if (++i >= n) return eval_error(ev, sp, "E0306", "incomplete format");
    Spec s = {.width = -1, .prec = -1};
    Value *v = NULL;
    if (f[i] == '(') {
      size_t st = ++i;
      while (i < n && f[i] != ')') i++;
      if (i >= n) return eval_error(ev, sp, "E0306", "incomplete format key");
      if (!mapping) return eval_error(ev, sp, "E0302", "format requires a mapping");
      Value *key = val_strn(ev, f + st, i - st);
      v = dict_get(mapping->u.dict, key);
      if (!v) return eval_error(ev, sp, "E0305", "KeyError: %s", val_repr(ev, key));
      used_map = true;
      i++;
    }
    for (; i < n && strchr("-+ #0", f[i]); i++) {
      if (f[i] == '-') s.align = '<';
      else if (f[i] == '+') s.sign = '+';
      else if (f[i] == ' ') { if (!s.sign) s.sign = ' '; }
      else if (f[i] == '#') s.alt = true;
      else s.zero = true;
    }
    if (i < n && f[i] == '*') return eval_error(ev, sp, "E0306", "'*' widths are not supported in %% formatting");
    if (i < n && f[i] >= '0' && f[i] <= '9' && !spec_number(f, n, &i, &s.width))
      return eval_error(ev, sp, "E0306", "width too big");
    if (i < n && f[i] == '.' && (++i, !spec_number(f, n, &i, &s.prec)))
      return eval_error(ev, sp, "E0306", "precision too big");
    if (i >= n) return eval_error(ev, sp, "E0306", "incomplete format");
    char t = f[i];
    if (t == '%') { tb_puts(&out, "%"); continue; }
    if (!strchr("sridufFeEgGxXoc", t))
      return eval_error(ev, sp, "E0306", "unsupported format character '%c' (0x%x) at index %zu", t, (unsigned char)t, i);
    if (!v) {
      if (used >= nitems) return eval_error(ev, sp, "E0302", "not enough arguments for format string");
      v = items[used++];
    }
    if (s.align == '<') s.zero = false;
    s.type = t;
    if (!format_value(ev, &out, v, &s, sp, true)) return NULL;
  }
  if (!mapping && used < nitems && !(nitems == 1 && items == &args && used == 0 && used_map))
    return eval_error(ev, sp, "E0302", "not all arguments converted during string formatting");
  return tb_value(&out);
}

/* str.format's mini-language: [[fill]align][sign][#][0][width][,][.prec][type] */
static bool parse_spec(Eval *ev, const char *s, Spec *sp, Span where) {
  memset(sp, 0, sizeof *sp);
  sp->width = sp->prec = -1;
  size_t n = strlen(s), i = 0;
  if (n >= 2 && strchr("<>=^", s[1])) { sp->fill = s[0]; sp->align = s[1]; i = 2; }
  else if (n >= 1 && strchr("<>=^", s[0])) { sp->align = s[0]; i = 1; }
  if (i < n && strchr("+- ", s[i])) sp->sign = s[i++] == '-' ? 0 : s[i - 1];
  if (i < n && s[i] == '#') { sp->alt = true; i++; }
  if (i < n && s[i] == '0') { sp->zero = true; i++; }
  if (i < n && s[i] >= '0' && s[i] <= '9' && !spec_number(s, n, &i, &sp->width)) {
    eval_error(ev, where, "E0306", "width too big");
    return false;
  }
  if (i < n && s[i] == ',') { sp->comma = true; i++; }
  if (i < n && s[i] == '.' && (++i, !spec_number(s, n, &i, &sp->prec))) {
    eval_error(ev, where, "E0306", "precision too big");
    return false;
  }
  if (i < n) sp->type = s[i++];
  if (i < n || (sp->type && !strchr("sdxXobcfFeEgG%nr", sp->type))) {
    eval_error(ev, where, "E0306", "Invalid format specifier '%s'", s);
    return false;
  }
  return true;
}

static Value *str_format(Eval *ev, Value *self, const Args *a) {
  const char *f = self->u.str.s;
  size_t n = self->u.str.len;
  TextBuf out = {.ev = ev};
  Span sp = a->call_span;
  int autoidx = 0;
  bool manual = false;
  for (size_t i = 0; i < n; i++) {
    char c = f[i];
    if (c == '}') {
      if (i + 1 < n && f[i + 1] == '}') { tb_puts(&out, "}"); i++; continue; }
      return eval_error(ev, sp, "E0306", "Single '}' encountered in format string");
    }
    if (c != '{') { tb_put(&out, &c, 1); continue; }
    if (i + 1 < n && f[i + 1] == '{') { tb_puts(&out, "{"); i++; continue; }
    size_t st = ++i;
    int depth = 1;
    while (i < n && depth) { if (f[i] == '{') depth++; else if (f[i] == '}') depth--; if (depth) i++; }
    if (i >= n) return eval_error(ev, sp, "E0306", "Single '{' encountered in format string");
    char *field = arena_strndup(eval_arena(ev), f + st, i - st);
    char *spec = strchr(field, ':');
    if (spec) *spec++ = 0;
    char *conv = strchr(field, '!');
    if (conv) *conv++ = 0;
    /* the field name: index or keyword, then .attr / [index] parts */
    size_t k = strcspn(field, ".[");
    char head[128];
    snprintf(head, sizeof head, "%.*s", (int)k, field);
    Value *v;
    if (!head[0]) {
      if (manual) return eval_error(ev, sp, "E0306", "cannot switch from manual field specification to automatic field numbering");
      if (autoidx >= a->npos)
        return eval_error(ev, sp, "E0305", "Replacement index %d out of range for positional args tuple", autoidx);
      v = a->pos[autoidx++];
    } else if (head[0] >= '0' && head[0] <= '9') {
      if (autoidx) return eval_error(ev, sp, "E0306", "cannot switch from automatic field numbering to manual field specification");
      manual = true;
      /* all digits: an index (any size; past the arguments it is out of range), else a
         keyword such as "0a", which is never given */
      size_t nd = strspn(head, "0123456789");
      if (head[nd]) return eval_error(ev, sp, "E0305", "KeyError: '%s'", head);
      long long ix = nd > 18 ? LLONG_MAX : atoll(head);
      if (ix >= a->npos)
        return eval_error(ev, sp, "E0305", "Replacement index %s out of range for positional args tuple", head);
      v = a->pos[ix];
    } else {
      v = NULL;
      for (int j = 0; j < a->nkw; j++)
        if (strcmp(a->kw[j], head) == 0) v = a->kwv[j];
      if (!v) return eval_error(ev, sp, "E0305", "KeyError: '%s'", head);
    }
    for (char *p = field + k; *p;) {
      if (*p == '.') {
        size_t m = strcspn(p + 1, ".[");
        char *attr = arena_strndup(eval_arena(ev), p + 1, m);
        if (!(v = eval_getattr(ev, v, attr, sp))) return NULL;
        p += 1 + m;
      } else {
        char *close = strchr(p, ']');
        if (!close) return eval_error(ev, sp, "E0306", "Missing ']' in format string");
        char *key = arena_strndup(eval_arena(ev), p + 1, (size_t)(close - p - 1));
        char *end;
        long ix = strtol(key, &end, 10);
        Value *kv = *key && !*end ? val_int(ev, ix) : val_str(ev, key);
        if (v->kind == V_DICT) {
          Value *r = dict_get(v->u.dict, kv);
          if (!r) return eval_error(ev, sp, "E0305", "KeyError: %s", val_repr(ev, kv));
          v = r;
        } else if ((v->kind == V_LIST || v->kind == V_TUPLE) && kv->kind == V_INT) {
          if (ix < 0 || ix >= v->u.list.n) return eval_error(ev, sp, "E0305", "%s index out of range", val_type_name(v));
          v = v->u.list.items[ix];
        } else {
          return eval_error(ev, sp, "E0302", "'%s' object is not subscriptable", val_type_name(v));
        }
        p = close + 1;
      }
    }
    if (conv) {
      const char *cs = NULL;
      if (strcmp(conv, "r") == 0 || strcmp(conv, "a") == 0) cs = val_repr_at(ev, v, sp);
      else if (strcmp(conv, "s") == 0) cs = val_str_at(ev, v, sp);
      else return eval_error(ev, sp, "E0306", "Unknown conversion specifier %s", conv);
      if (!cs) return NULL;
      v = val_str(ev, cs);
    }
    Spec s;
    if (!parse_spec(ev, spec ? spec : "", &s, sp)) return NULL;
    if (s.type == 'n') s.type = is_intlike(v) ? 'd' : 'g';
    if (s.type == 0 && v->kind == V_FLOAT && s.prec >= 0) s.type = 'g';
    if (v->kind == V_STR && s.type && s.type != 's')
      return eval_error(ev, sp, "E0306", "Unknown format code '%c' for object of type 'str'", s.type);
    if (!format_value(ev, &out, v, &s, sp, false)) return NULL;
  }
  return tb_value(&out);
}

/* ---- str methods ---- */

static bool ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

static Value *s_join(Eval *ev, Value *self, Value **v, const Args *a) {
  Value *l = eval_iter_list(ev, v[0], argsp(a, 0));
  if (!l) return NULL;
  TextBuf b = {.ev = ev};
  for (int i = 0; i < l->u.list.n; i++) {
    Value *x = l->u.list.items[i];
    if (x->kind != V_STR)
      return eval_error(ev, argsp(a, 0), "E0302", "sequence item %d: expected str instance, %s found", i, val_type_name(x));
    if (i) tb_put(&b, self->u.str.s, self->u.str.len);
    tb_put(&b, x->u.str.s, x->u.str.len);
  }
  return tb_value(&b);
}

static Value *split_impl(Eval *ev, Value *self, Value **v, const Args *a, bool right) {
  const char *s = self->u.str.s;
  size_t n = self->u.str.len;
  int64_t maxsplit = -1;
  if (v[1] && !eval_to_int(ev, v[1], a->call_span, "maxsplit", &maxsplit)) return NULL;
  Value *out = val_list(ev, 0);
  if (!v[0] || v[0]->kind == V_NONE) { /* runs of whitespace, no empty strings */
    PtrVec parts = {0};
    size_t i = 0, j = n;
    int64_t done = 0;
    if (!right) {
      while (i < n) {
        while (i < n && ws(s[i])) i++;
        if (i >= n) break;
        if (maxsplit >= 0 && done == maxsplit) {
          size_t e = n;
          while (e > i && ws(s[e - 1])) e--;
          val_list_append(ev, out, str_of_len(ev, s + i, e - i));
          break;
        }
        size_t st = i;
        while (i < n && !ws(s[i])) i++;
        val_list_append(ev, out, str_of_len(ev, s + st, i - st));
        done++;
      }
      return out;
    }
    while (j > 0) {
      while (j > 0 && ws(s[j - 1])) j--;
      if (!j) break;
      if (maxsplit >= 0 && done == maxsplit) {
        size_t b = 0;
        while (b < j && ws(s[b])) b++;
        ptrvec_push(eval_arena(ev), &parts, str_of_len(ev, s + b, j - b));
        break;
      }
      size_t e = j;
      while (j > 0 && !ws(s[j - 1])) j--;
      ptrvec_push(eval_arena(ev), &parts, str_of_len(ev, s + j, e - j));
      done++;
    }
    for (int k = parts.n - 1; k >= 0; k--) val_list_append(ev, out, parts.items[k]);
    return out;
  }
  const char *sep;
  if (!eval_to_str(ev, v[0], argsp(a, 0), "separator", &sep)) return NULL;
  size_t m = v[0]->u.str.len;
  if (!m) return eval_error(ev, argsp(a, 0), "E0306", "empty separator");
  if (!right) {
    size_t st = 0;
    int64_t done = 0;
    for (size_t i = 0; i + m <= n;) {
      if ((maxsplit < 0 || done < maxsplit) && memcmp(s + i, sep, m) == 0) {
        val_list_append(ev, out, str_of_len(ev, s + st, i - st));
        i += m;
        st = i;
        done++;
      } else i++;
    }
    val_list_append(ev, out, str_of_len(ev, s + st, n - st));
    return out;
  }
  PtrVec parts = {0};
  size_t end = n;
  int64_t done = 0;
  for (size_t i = n; i >= m;) {
    if ((maxsplit < 0 || done < maxsplit) && memcmp(s + i - m, sep, m) == 0) {
      ptrvec_push(eval_arena(ev), &parts, str_of_len(ev, s + i, end - i));
      i -= m;
      end = i;
      done++;
    } else i--;
  }
  ptrvec_push(eval_arena(ev), &parts, str_of_len(ev, s, end));
  for (int k = parts.n - 1; k >= 0; k--) val_list_append(ev, out, parts.items[k]);
  return out;
}
static Value *s_split(Eval *ev, Value *self, Value **v, const Args *a) { return split_impl(ev, self, v, a, false); }
static Value *s_rsplit(Eval *ev, Value *self, Value **v, const Args *a) { return split_impl(ev, self, v, a, true); }

static Value *strip_impl(Eval *ev, Value *self, Value **v, const Args *a, bool l, bool r) {
  const char *s = self->u.str.s, *chars = NULL;
  size_t n = self->u.str.len, i = 0, j = n;
  if (v[0] && v[0]->kind != V_NONE && !eval_to_str(ev, v[0], argsp(a, 0), "strip() argument", &chars)) return NULL;
#define STRIPPABLE(c) (chars ? strchr(chars, (c)) != NULL && (c) != 0 : ws(c))
  if (l) while (i < j && STRIPPABLE(s[i])) i++;
  if (r) while (j > i && STRIPPABLE(s[j - 1])) j--;
#undef STRIPPABLE
  return str_of_len(ev, s + i, j - i);
}
static Value *s_strip(Eval *ev, Value *self, Value **v, const Args *a) { return strip_impl(ev, self, v, a, true, true); }
static Value *s_lstrip(Eval *ev, Value *self, Value **v, const Args *a) { return strip_impl(ev, self, v, a, true, false); }
static Value *s_rstrip(Eval *ev, Value *self, Value **v, const Args *a) { return strip_impl(ev, self, v, a, false, true); }

static int affix(Eval *ev, Value *self, Value *x, Span sp, bool end) {
  if (x->kind == V_TUPLE) {
    for (int i = 0; i < x->u.list.n; i++) {
      int r = affix(ev, self, x->u.list.items[i], sp, end);
      if (r) return r;
    }
    return 0;
  }
  if (x->kind != V_STR) {
    eval_error(ev, sp, "E0302", "%s first arg must be str or a tuple of str, not %s", end ? "endswith" : "startswith",
               val_type_name(x));
    return -1;
  }
  size_t n = self->u.str.len, m = x->u.str.len;
  if (m > n) return 0;
  return memcmp(self->u.str.s + (end ? n - m : 0), x->u.str.s, m) == 0;
}
static Value *s_startswith(Eval *ev, Value *self, Value **v, const Args *a) {
  int r = affix(ev, self, v[0], argsp(a, 0), false);
  return r < 0 ? NULL : val_bool(ev, r);
}
static Value *s_endswith(Eval *ev, Value *self, Value **v, const Args *a) {
  int r = affix(ev, self, v[0], argsp(a, 0), true);
  return r < 0 ? NULL : val_bool(ev, r);
}

static Value *s_replace(Eval *ev, Value *self, Value **v, const Args *a) {
  const char *old, *new_;
  if (!eval_to_str(ev, v[0], argsp(a, 0), "replace() argument 1", &old)) return NULL;
  if (!eval_to_str(ev, v[1], argsp(a, 1), "replace() argument 2", &new_)) return NULL;
  int64_t count = -1;
  if (v[2] && !eval_to_int(ev, v[2], argsp(a, 2), "replace() count", &count)) return NULL;
  const char *s = self->u.str.s;
  size_t n = self->u.str.len, m = v[0]->u.str.len;
  TextBuf b = {.ev = ev};
  int64_t done = 0;
  if (!m) { /* "" matches between every character */
    for (size_t i = 0; i <= n; i++) {
      if (count < 0 || done < count) { tb_put(&b, new_, v[1]->u.str.len); done++; }
      if (i < n) tb_put(&b, s + i, 1);
    }
    return tb_value(&b);
  }
  for (size_t i = 0; i < n;) {
    if ((count < 0 || done < count) && i + m <= n && memcmp(s + i, old, m) == 0) {
      tb_put(&b, new_, v[1]->u.str.len);
      i += m;
      done++;
    } else tb_put(&b, s + i++, 1);
  }
  return tb_value(&b);
}

static Value *case_impl(Eval *ev, Value *self, bool upper) {
  Value *r = str_of_len(ev, self->u.str.s, self->u.str.len);
  char *p = (char *)r->u.str.s;
  for (size_t i = 0; i < r->u.str.len; i++)
    if (upper && p[i] >= 'a' && p[i] <= 'z') p[i] = (char)(p[i] - 32);
    else if (!upper && p[i] >= 'A' && p[i] <= 'Z') p[i] = (char)(p[i] + 32);
  return r;
}
static Value *s_lower(Eval *ev, Value *self, Value **v, const Args *a) { return case_impl(ev, self, false); }
static Value *s_upper(Eval *ev, Value *self, Value **v, const Args *a) { return case_impl(ev, self, true); }

static bool sub_range(Eval *ev, Value *self, Value **v, const Args *a, size_t *lo, size_t *hi) {
  int64_t n = (int64_t)self->u.str.len, st = 0, en = n;
  if (v[1] && v[1]->kind != V_NONE && !eval_to_int(ev, v[1], argsp(a, 1), "start", &st)) return false;
  if (v[2] && v[2]->kind != V_NONE && !eval_to_int(ev, v[2], argsp(a, 2), "end", &en)) return false;
  if (st < 0) st = st + n < 0 ? 0 : st + n;
  if (en < 0) en = en + n < 0 ? 0 : en + n;
  if (st > n) st = n + 1; /* empty, and even "" is not found past the end */
  if (en > n) en = n;
  *lo = (size_t)st;
  *hi = (size_t)en;
  return true;
}

static Value *find_impl(Eval *ev, Value *self, Value **v, const Args *a, int mode /*0 find 1 rfind 2 count*/) {
  const char *sub;
  if (!eval_to_str(ev, v[0], argsp(a, 0), "substring", &sub)) return NULL;
  size_t lo, hi, m = v[0]->u.str.len;
  if (!sub_range(ev, self, v, a, &lo, &hi)) return NULL;
  const char *s = self->u.str.s;
  int64_t found = -1, count = 0;
  if (lo <= hi && hi - lo >= m) {
    for (size_t i = lo; i + m <= hi;) {
      if (memcmp(s + i, sub, m) == 0) {
        if (found < 0 || mode == 1) found = (int64_t)i;
        if (mode == 0) break;
        count++;
        i += (mode == 2 && m) ? m : 1;
      } else i++;
    }
  }
  if (mode == 2) return val_int(ev, count);
  return val_int(ev, found);
}
static Value *s_find(Eval *ev, Value *self, Value **v, const Args *a) { return find_impl(ev, self, v, a, 0); }
static Value *s_rfind(Eval *ev, Value *self, Value **v, const Args *a) { return find_impl(ev, self, v, a, 1); }
static Value *s_count(Eval *ev, Value *self, Value **v, const Args *a) { return find_impl(ev, self, v, a, 2); }

static Value *s_index(Eval *ev, Value *self, Value **v, const Args *a) {
  Value *r = find_impl(ev, self, v, a, 0);
  if (r && r->u.i < 0) return eval_error(ev, a->call_span, "E0306", "substring not found");
  return r;
}

static Value *classify(Eval *ev, Value *self, int (*pred)(int)) {
  if (!self->u.str.len) return val_bool(ev, false);
  for (size_t i = 0; i < self->u.str.len; i++)
    if (!pred((unsigned char)self->u.str.s[i])) return val_bool(ev, false);
  return val_bool(ev, true);
}
static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_alnum(int c) { return is_digit(c) || is_alpha(c); }
static Value *s_isdigit(Eval *ev, Value *self, Value **v, const Args *a) { return classify(ev, self, is_digit); }
static Value *s_isalpha(Eval *ev, Value *self, Value **v, const Args *a) { return classify(ev, self, is_alpha); }
static Value *s_isalnum(Eval *ev, Value *self, Value **v, const Args *a) { return classify(ev, self, is_alnum); }
static Value *s_format(Eval *ev, Value *self, Value **v, const Args *a) { return str_format(ev, self, a); }

Value *py_format_value(Eval *ev, Value *v, int conv, const char *spec, Span sp) { /* pyexc */
  Value *f = val_strf(ev, "{%s%c%s%s}", conv ? "!" : "", conv ? conv : '\0', spec ? ":" : "", spec ? spec : "");
  if (!conv) f = val_strf(ev, "{%s%s}", spec ? ":" : "", spec ? spec : "");
  Span spans[1] = {sp};
  Args a = {.pos = &v, .pos_spans = spans, .npos = 1, .call_span = sp};
  return str_format(ev, f, &a);
}

/* ---- list methods ---- */

static Value *l_append(Eval *ev, Value *self, Value **v, const Args *a) {
  val_list_append(ev, self, v[0]);
  return val_none(ev);
}
static Value *l_extend(Eval *ev, Value *self, Value **v, const Args *a) {
  Value *l = eval_iter_list(ev, v[0], argsp(a, 0));
  if (!l) return NULL;
  int n = l->u.list.n; /* l may be self */
  for (int i = 0; i < n; i++) val_list_append(ev, self, l->u.list.items[i]);
  return val_none(ev);
}
static Value *l_insert(Eval *ev, Value *self, Value **v, const Args *a) {
  int64_t i, n = self->u.list.n;
  if (!eval_to_int(ev, v[0], argsp(a, 0), "insert() index", &i)) return NULL;
  if (i < 0) i = i + n < 0 ? 0 : i + n;
  if (i > n) i = n;
  val_list_append(ev, self, v[1]);
  memmove(self->u.list.items + i + 1, self->u.list.items + i, sizeof(Value *) * (size_t)(n - i));
  self->u.list.items[i] = v[1];
  return val_none(ev);
}
static Value *l_pop(Eval *ev, Value *self, Value **v, const Args *a) {
  int64_t n = self->u.list.n, i = n - 1;
  if (!n) return eval_error(ev, a->call_span, "E0305", "pop from empty list");
  if (v[0] && !eval_to_int(ev, v[0], argsp(a, 0), "pop() index", &i)) return NULL;
  if (i < 0) i += n;
  if (i < 0 || i >= n) return eval_error(ev, argsp(a, 0), "E0305", "pop index out of range");
  Value *x = self->u.list.items[i];
  memmove(self->u.list.items + i, self->u.list.items + i + 1, sizeof(Value *) * (size_t)(n - i - 1));
  self->u.list.n--;
  return x;
}
/* The first index of X in SELF, -1 if absent, -2 with a RecursionError pending at SP. */
static int list_find(Eval *ev, Value *self, Value *x, Span sp) {
  for (int i = 0; i < self->u.list.n; i++) {
    int eq = val_equal_r(self->u.list.items[i], x);
    if (eq < 0) {
      eval_error(ev, sp, "E0312", "maximum recursion depth exceeded in comparison");
      return -2;
    }
    if (eq) return i;
  }
  return -1;
}
static Value *l_remove(Eval *ev, Value *self, Value **v, const Args *a) {
  int i = list_find(ev, self, v[0], argsp(a, 0));
  if (i == -2) return NULL;
  if (i < 0) return eval_error(ev, argsp(a, 0), "E0306", "list.remove(x): x not in list");
  memmove(self->u.list.items + i, self->u.list.items + i + 1, sizeof(Value *) * (size_t)(self->u.list.n - i - 1));
  self->u.list.n--;
  return val_none(ev);
}
static Value *l_index(Eval *ev, Value *self, Value **v, const Args *a) {
  int i = list_find(ev, self, v[0], argsp(a, 0));
  if (i == -2) return NULL;
  if (i < 0) return eval_error(ev, argsp(a, 0), "E0306", "%s is not in %s", val_repr(ev, v[0]), val_type_name(self));
  return val_int(ev, i);
}
static Value *l_count(Eval *ev, Value *self, Value **v, const Args *a) {
  int c = 0;
  for (int i = 0; i < self->u.list.n; i++) {
    int eq = val_equal_r(self->u.list.items[i], v[0]);
    if (eq < 0) return eval_error(ev, argsp(a, 0), "E0312", "maximum recursion depth exceeded in comparison");
    c += eq;
  }
  return val_int(ev, c);
}
static Value *l_reverse(Eval *ev, Value *self, Value **v, const Args *a) {
  for (int i = 0, j = self->u.list.n - 1; i < j; i++, j--) {
    Value *t = self->u.list.items[i];
    self->u.list.items[i] = self->u.list.items[j];
    self->u.list.items[j] = t;
  }
  return val_none(ev);
}
static Value *l_sort(Eval *ev, Value *self, Value **v, const Args *a) {
  return sort_list(ev, self, v[1], v[2], a->call_span) ? val_none(ev) : NULL; /* v[0]: '*' */
}
static Value *l_copy(Eval *ev, Value *self, Value **v, const Args *a) {
  return val_list_of(ev, self->u.list.items, self->u.list.n);
}
static Value *l_clear(Eval *ev, Value *self, Value **v, const Args *a) {
  self->u.list.n = 0;
  return val_none(ev);
}

/* ---- dict methods ---- */

static bool hashable_or_err(Eval *ev, Value *k, Span sp) { return val_key_ok(ev, k, sp); }
static Value *d_get(Eval *ev, Value *self, Value **v, const Args *a) {
  if (!hashable_or_err(ev, v[0], argsp(a, 0))) return NULL;
  Value *r = dict_get(self->u.dict, v[0]);
  return r ? r : v[1] ? v[1] : val_none(ev);
}
static Value *d_view(Eval *ev, Value *self, int which) {
  Value *out = val_list(ev, 0), *k, *x;
  for (int it = 0; dict_next(self->u.dict, &it, &k, &x);) {
    if (which == 0) val_list_append(ev, out, k);
    else if (which == 1) val_list_append(ev, out, x);
    else {
      Value *p[2] = {k, x};
      val_list_append(ev, out, val_tuple_of(ev, p, 2));
    }
  }
  return out;
}
static Value *d_keys(Eval *ev, Value *self, Value **v, const Args *a) { return d_view(ev, self, 0); }
static Value *d_values(Eval *ev, Value *self, Value **v, const Args *a) { return d_view(ev, self, 1); }
static Value *d_items(Eval *ev, Value *self, Value **v, const Args *a) { return d_view(ev, self, 2); }
static Value *d_update(Eval *ev, Value *self, Value **v, const Args *a) {
  if (v[0] && !dict_update_from(ev, self, v[0], argsp(a, 0))) return NULL;
  if (v[1]) dict_update_from(ev, self, v[1], a->call_span);
  return val_none(ev);
}
static Value *d_pop(Eval *ev, Value *self, Value **v, const Args *a) {
  if (!hashable_or_err(ev, v[0], argsp(a, 0))) return NULL;
  Value *r = dict_get(self->u.dict, v[0]);
  if (!r) {
    if (v[1]) return v[1];
    return eval_error(ev, argsp(a, 0), "E0305", "KeyError: %s", val_repr(ev, v[0]));
  }
  dict_del(self->u.dict, v[0]);
  return r;
}
static Value *d_setdefault(Eval *ev, Value *self, Value **v, const Args *a) {
  if (!hashable_or_err(ev, v[0], argsp(a, 0))) return NULL;
  Value *r = dict_get(self->u.dict, v[0]);
  if (r) return r;
  r = v[1] ? v[1] : val_none(ev);
  dict_set(ev, self->u.dict, v[0], r);
  return r;
}
static Value *d_copy(Eval *ev, Value *self, Value **v, const Args *a) {
  Value *d = val_dict(ev);
  dict_update_from(ev, d, self, a->call_span);
  return d;
}
static Value *d_clear(Eval *ev, Value *self, Value **v, const Args *a) {
  Value *k;
  for (int it = 0; dict_next(self->u.dict, &it, &k, NULL);) dict_del(self->u.dict, k);
  return val_none(ev);
}

/* ---- namedtuple instance methods ---- */

static Value *n_replace(Eval *ev, Value *self, Value **v, const Args *a) {
  if (a->npos) return eval_error(ev, a->call_span, "E0303", "_replace() takes only keyword arguments");
  ClassT *c = self->u.inst->cls;
  Value *r = eval_alloc(ev, sizeof *r);
  r->kind = V_INSTANCE;
  r->u.inst = eval_alloc(ev, sizeof *r->u.inst);
  r->u.inst->cls = c;
  r->u.inst->vals = eval_alloc(ev, sizeof(Value *) * (size_t)(c->nfields + 1));
  memcpy(r->u.inst->vals, self->u.inst->vals, sizeof(Value *) * (size_t)c->nfields);
  for (int k = 0; k < a->nkw; k++) {
    int j = -1;
    for (int i = 0; i < c->nfields; i++)
      if (strcmp(c->fields[i], a->kw[k]) == 0) j = i;
    if (j < 0)
      return eval_error(ev, a->kw_spans ? a->kw_spans[k] : a->call_span, "E0306", "Got unexpected field names: ['%s']",
                        a->kw[k]);
    r->u.inst->vals[j] = a->kwv[k];
  }
  return r;
}
static Value *n_asdict(Eval *ev, Value *self, Value **v, const Args *a) {
  Value *d = val_dict(ev);
  for (int i = 0; i < self->u.inst->cls->nfields; i++)
    dict_set_str(ev, d->u.dict, self->u.inst->cls->fields[i], self->u.inst->vals[i]);
  return d;
}

/* ---- tables ---- */

static const PyFn globals_tab[] = {
  {"len", py_meth_o, 1, b_len},
  {"range", P("start", "stop", "step"), 1, b_range},
  {"min", NULL, 0, b_min},
  {"max", NULL, 0, b_max},
  {"abs", py_meth_o, 1, b_abs},
  {"repr", py_meth_o, 1, b_repr},
  {"sorted", P("iterable", "*", "key", "reverse"), 1, b_sorted},
  {"reversed", P("sequence"), 1, b_reversed},
  {"sum", P("iterable", "start"), 1, b_sum},
  {"any", py_meth_o, 1, b_any},
  {"all", py_meth_o, 1, b_all},
  {"enumerate", P("iterable", "start"), 1, b_enumerate},
  {"zip", NULL, 0, b_zip},
  {"isinstance", P("obj", "class_or_tuple"), 2, b_isinstance},
  {"callable", py_meth_o, 1, b_callable},
  {"getattr", P("object", "name", "default"), 2, b_getattr},
  {"hasattr", P("obj", "name"), 2, b_hasattr},
  {"print", NULL, 0, b_print},
  {"round", P("number", "ndigits"), 1, b_round},
  {"divmod", P("x", "y"), 2, b_divmod},
  {"pow", P("base", "exp", "mod"), 2, b_pow},
  {"map", NULL, 0, b_map},
  {"filter", P("function", "iterable"), 2, b_filter},
};

static const struct { PyFn fn; const TypeTag *tag; } types_tab[] = {
  {{"int", P("x", "base"), 0, b_int}, &tag_int},
  {{"float", P("x"), 0, b_float}, &tag_float},
  {{"str", P("object"), 0, b_str}, &tag_str},
  {{"bool", P("x"), 0, b_bool}, &tag_bool},
  {{"list", P("iterable"), 0, b_list}, &tag_list},
  {{"tuple", P("iterable"), 0, b_tuple}, &tag_tuple},
  {{"dict", P("mapping", "**kwargs"), 0, b_dict}, &tag_dict},
};


static const PyFn exc_fn = {"Exception", NULL, 0, b_exception};

static const PyFn str_methods[] = {
  {"join", P("iterable"), 1, s_join},
  {"split", P("sep", "maxsplit"), 0, s_split},
  {"rsplit", P("sep", "maxsplit"), 0, s_rsplit},
  {"strip", P("chars"), 0, s_strip},
  {"lstrip", P("chars"), 0, s_lstrip},
  {"rstrip", P("chars"), 0, s_rstrip},
  {"startswith", P("prefix"), 1, s_startswith},
  {"endswith", P("suffix"), 1, s_endswith},
  {"replace", P("old", "new", "count"), 2, s_replace},
  {"lower", NOARGS, 0, s_lower},
  {"upper", NOARGS, 0, s_upper},
  {"find", P("sub", "start", "end"), 1, s_find},
  {"rfind", P("sub", "start", "end"), 1, s_rfind},
  {"index", P("sub", "start", "end"), 1, s_index},
  {"count", P("sub", "start", "end"), 1, s_count},
  {"isdigit", NOARGS, 0, s_isdigit},
  {"isalpha", NOARGS, 0, s_isalpha},
  {"isalnum", NOARGS, 0, s_isalnum},
  {"format", NULL, 0, s_format},
  {NULL, NULL, 0, NULL},
};

static const PyFn list_methods[] = {
  {"append", P("object"), 1, l_append},
  {"extend", P("iterable"), 1, l_extend},
  {"insert", P("index", "object"), 2, l_insert},
  {"pop", P("index"), 0, l_pop},
  {"remove", P("value"), 1, l_remove},
  {"index", P("value"), 1, l_index},
  {"count", P("value"), 1, l_count},
  {"reverse", NOARGS, 0, l_reverse},
  {"sort", P("*", "key", "reverse"), 0, l_sort},
  {"copy", NOARGS, 0, l_copy},
  {"clear", NOARGS, 0, l_clear},
  {NULL, NULL, 0, NULL},
};

static const PyFn tuple_methods[] = {
  {"index", P("value"), 1, l_index},
  {"count", P("value"), 1, l_count},
  {NULL, NULL, 0, NULL},
};

static const PyFn dict_methods[] = {
  {"get", P("key", "default"), 1, d_get},
  {"keys", NOARGS, 0, d_keys},
  {"values", NOARGS, 0, d_values},
  {"items", NOARGS, 0, d_items},
  {"update", P("other", "**kwargs"), 0, d_update},
  {"pop", P("key", "default"), 1, d_pop},
  {"setdefault", P("key", "default"), 1, d_setdefault},
  {"copy", NOARGS, 0, d_copy},
  {"clear", NOARGS, 0, d_clear},
  {NULL, NULL, 0, NULL},
};

static const PyFn inst_methods[] = {
  {"_replace", NULL, 0, n_replace},
  {"_asdict", NOARGS, 0, n_asdict},
  {NULL, NULL, 0, NULL},
};

static const PyFn functools_tab[] = {
  {"partial", NULL, 0, b_partial},
  {"reduce", P("function", "iterable", "initial"), 2, b_reduce},
};
static const PyFn collections_tab[] = {
  {"namedtuple", P("typename", "field_names"), 2, b_namedtuple},
};
static const PyFn math_tab[] = {
  {"sqrt", P("x"), 1, m_sqrt}, {"exp", P("x"), 1, m_exp}, {"log", P("x", "base"), 1, m_log},
  {"floor", P("x"), 1, m_floor}, {"ceil", P("x"), 1, m_ceil},
};

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Value *method(Eval *ev, const PyFn *tab, Value *self, const char *name) {
  for (const PyFn *m = tab; m->name; m++)
    if (strcmp(m->name, name) == 0) return py_fn_new(ev, m, self);
  return NULL;
}

static Value *fields_tuple(Eval *ev, ClassT *c) {
  Value *t = val_tuple(ev, c->nfields);
  for (int i = 0; i < c->nfields; i++) t->u.list.items[i] = val_str(ev, c->fields[i]);
  return t;
}

Value *py_attr(Eval *ev, Value *self, const char *name, Span sp) {
  switch (self->kind) {
  case V_STR: return method(ev, str_methods, self, name);
  case V_LIST: return method(ev, list_methods, self, name);
  case V_TUPLE: return method(ev, tuple_methods, self, name);
  case V_DICT: return method(ev, dict_methods, self, name);
  case V_INSTANCE:
    if (strcmp(name, "_fields") == 0) return fields_tuple(ev, self->u.inst->cls);
    return method(ev, inst_methods, self, name);
  case V_CLASS:
    if (strcmp(name, "_fields") == 0) return fields_tuple(ev, self->u.cls);
    if (strcmp(name, "__name__") == 0) return val_str(ev, self->u.cls->name);
    return NULL;
  case V_FUNC: { /* pyclass: attributes set on functions, __doc__, __qualname__, __dict__ */
    Func *f = self->u.func;
    Value *x = f->attrs ? dict_get_str(f->attrs, name) : NULL;
    if (x) return x;
    if (strcmp(name, "__name__") == 0) return val_str(ev, f->name);
    if (strcmp(name, "__qualname__") == 0) return val_str(ev, f->qualname ? f->qualname : f->name);
    if (strcmp(name, "__module__") == 0) return val_str(ev, "__main__");
    if (strcmp(name, "__doc__") == 0) {
      AstList *body = &f->def->u.fn.body;
      Ast *d = f->def->kind == AST_DEF && body->n ? body->items[0] : NULL;
      if (d && d->kind == AST_EXPR_STMT && d->u.expr.value->kind == AST_STR)
        return val_strn(ev, d->u.expr.value->u.str.s, d->u.expr.value->u.str.len);
      return val_none(ev);
    }
    if (strcmp(name, "__dict__") == 0) {
      if (!f->attrs) f->attrs = val_dict(ev)->u.dict;
      Value *d = val_dict(ev);
      d->u.dict = f->attrs;
      return d;
    }
    return NULL;
  }
  case V_BUILTIN: {
    Value *x = self->u.builtin->attrs ? dict_get_str(self->u.builtin->attrs, name) : NULL;
    if (x) return x;
    if (strcmp(name, "__name__") == 0) return val_str(ev, self->u.builtin->name);
    return NULL;
  }
  case V_PARTIAL:
    if (strcmp(name, "func") == 0) return self->u.partial->fn;
    if (strcmp(name, "args") == 0) return val_tuple_of(ev, self->u.partial->args.pos, self->u.partial->args.npos);
    if (strcmp(name, "keywords") == 0) {
      Value *d = val_dict(ev);
      for (int i = 0; i < self->u.partial->args.nkw; i++)
        dict_set_str(ev, d->u.dict, self->u.partial->args.kw[i], self->u.partial->args.kwv[i]);
      return d;
    }
    return NULL;
  case V_NAMESPACE:
    if (strcmp(name, "__name__") == 0) return val_str(ev, self->u.ns->name);
    return NULL;
  case V_EXT:
    if (self->u.ext.type == &py_range_type) {
      RangeObj *r = self->u.ext.data;
      if (strcmp(name, "start") == 0) return val_int(ev, r->start);
      if (strcmp(name, "stop") == 0) return val_int(ev, r->stop);
      if (strcmp(name, "step") == 0) return val_int(ev, r->step);
    }
    if (self->u.ext.type == &val_exception_type) { /* pyexc */
      ExcObj *x = self->u.ext.data;
      if (strcmp(name, "args") == 0) return x->args ? x->args : val_tuple(ev, 0);
      if (strcmp(name, "__cause__") == 0) return x->cause ? x->cause : val_none(ev);
      if (strcmp(name, "__context__") == 0) return x->context ? x->context : val_none(ev);
      if (strcmp(name, "__suppress_context__") == 0) return val_bool(ev, x->suppress_context);
      if (strcmp(name, "__class__") == 0) return eval_get_global(ev, x->cls);
      if (strcmp(name, "value") == 0 && x->value) return x->value;
    }
    return NULL;
  default: return NULL;
  }
}

const char *py_exception_class(Value *v) {
  if (v->kind != V_BUILTIN || v->u.builtin->fn != py_fn_dispatch) return NULL;
  PyFnBound *b = v->u.builtin->data;
  return b->m == &exc_fn ? (const char *)b->self : NULL;
}

static Value *module_of(Eval *ev, const char *name, const PyFn *tab, int n) {
  Value *ns = val_namespace(ev, name);
  for (int i = 0; i < n; i++) ns_set(ev, ns, tab[i].name, py_fn_new(ev, &tab[i], NULL));
  eval_register_module(ev, name, ns);
  return ns;
}

void py_install(Eval *ev) {
  for (int i = 0; i < COUNT(globals_tab); i++) eval_set_global(ev, globals_tab[i].name, py_fn_new(ev, &globals_tab[i], NULL));
  for (int i = 0; i < COUNT(types_tab); i++)
    eval_set_global(ev, types_tab[i].fn.name, py_fn_new(ev, &types_tab[i].fn, (Value *)types_tab[i].tag));
  for (int i = 0; i < COUNT(exc_tree); i++) {
    /* self carries the class name (see b_exception and py_exception_class) */
    Value *v = py_fn_new(ev, &exc_fn, (Value *)exc_tree[i].name);
    v->u.builtin->name = exc_tree[i].name;
    eval_set_global(ev, exc_tree[i].name, v);
  }
  eval_set_global(ev, "IOError", eval_get_global(ev, "OSError"));
  eval_set_global(ev, "EnvironmentError", eval_get_global(ev, "OSError"));
  module_of(ev, "functools", functools_tab, COUNT(functools_tab)); /* py_modules.c adds wraps */
  Value *col = module_of(ev, "collections", collections_tab, COUNT(collections_tab));
  ns_set(ev, col, "OrderedDict", eval_get_global(ev, "dict")); /* dicts are ordered already */
  Value *m = module_of(ev, "math", math_tab, COUNT(math_tab));
  ns_set(ev, m, "pi", val_float(ev, M_PI));
  ns_set(ev, m, "e", val_float(ev, M_E));
  ns_set(ev, m, "inf", val_float(ev, INFINITY));
  eval_register_module(ev, "__future__", val_namespace(ev, "__future__"));
}
