/* Compile-time values: constructors, insertion-ordered dicts, equality,
 * ordering, hashing, str() and repr(). Python's semantics throughout. */
#include "py/interp.h"
#include "py/value.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- constructors ---- */

static Value *newv(Eval *ev, ValueKind k) {
  Value *v = eval_alloc(ev, sizeof *v);
  v->kind = k;
  return v;
}

Value *val_none(Eval *ev) { return &eval_valcache(ev)->none; }
Value *val_bool(Eval *ev, bool b) { return b ? &eval_valcache(ev)->t : &eval_valcache(ev)->f; }

Value *val_int(Eval *ev, int64_t i) {
  if (i >= -5 && i <= 1024) return &eval_valcache(ev)->small[i + 5];
  Value *v = newv(ev, V_INT);
  v->u.i = i;
  return v;
}

Value *val_float(Eval *ev, double f) {
  Value *v = newv(ev, V_FLOAT);
  v->u.f = f;
  return v;
}

Value *val_strn(Eval *ev, const char *s, size_t n) {
  Value *v = newv(ev, V_STR);
  char *p = eval_alloc(ev, n + 1);
  memcpy(p, s, n);
  p[n] = 0;
  v->u.str.s = p;
  v->u.str.len = n;
  return v;
}

Value *val_str(Eval *ev, const char *s) { return val_strn(ev, s, strlen(s)); }

Value *val_strf(Eval *ev, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = arena_vprintf(eval_arena(ev), fmt, ap);
  va_end(ap);
  Value *v = newv(ev, V_STR);
  v->u.str.s = s;
  v->u.str.len = strlen(s);
  return v;
}

static Value *seq(Eval *ev, ValueKind k, int n) {
  Value *v = newv(ev, k);
  int cap = n < 4 ? 4 : n;
  v->u.list.items = eval_alloc(ev, sizeof(Value *) * (size_t)cap);
  for (int i = 0; i < n; i++) v->u.list.items[i] = val_none(ev);
  v->u.list.n = n;
  v->u.list.cap = cap;
  return v;
}

Value *val_list(Eval *ev, int n) { return seq(ev, V_LIST, n); }
Value *val_tuple(Eval *ev, int n) { return seq(ev, V_TUPLE, n); }

Value *val_list_of(Eval *ev, Value **items, int n) {
  Value *v = seq(ev, V_LIST, n);
  if (n) memcpy(v->u.list.items, items, sizeof(Value *) * (size_t)n);
  return v;
}

Value *val_tuple_of(Eval *ev, Value **items, int n) {
  Value *v = seq(ev, V_TUPLE, n);
  if (n) memcpy(v->u.list.items, items, sizeof(Value *) * (size_t)n);
  return v;
}

void val_list_append(Eval *ev, Value *list, Value *item) {
  if (list->u.list.n == list->u.list.cap) { /* doubling keeps appends amortised O(1) */
    int cap = list->u.list.cap ? list->u.list.cap * 2 : 4;
    Value **items = eval_alloc(ev, sizeof(Value *) * (size_t)cap);
    if (list->u.list.n) memcpy(items, list->u.list.items, sizeof(Value *) * (size_t)list->u.list.n);
    list->u.list.items = items;
    list->u.list.cap = cap;
  }
  list->u.list.items[list->u.list.n++] = item;
}

/* ---- dicts ---- */

typedef struct DictEntry { Value *key, *val; uint64_t hash; } DictEntry;

struct Dict {
  Eval *ev;
  DictEntry *e;   /* insertion order; key NULL = deleted */
  int n, cap;     /* used entries (incl. deleted), capacity */
  int live;
  int32_t *index; /* open addressing over entry indices; -1 empty */
  int nindex;     /* power of two */
};

Value *val_dict(Eval *ev) {
  Value *v = newv(ev, V_DICT);
  Dict *d = eval_alloc(ev, sizeof *d);
  d->ev = ev;
  v->u.dict = d;
  return v;
}

static uint64_t mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

static uint64_t hash_str(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
  return h;
}

static int hashable_at(const Value *v, int depth) {
  if (depth > VAL_MAX_NEST) return -1;
  int r = 1;
  switch (v->kind) {
  case V_LIST: case V_DICT: return 0;
  case V_TUPLE:
    for (int i = 0; i < v->u.list.n && r == 1; i++) r = hashable_at(v->u.list.items[i], depth + 1);
    return r;
  case V_INSTANCE:
    if (v->u.inst->cls->user) { /* pyclass: a class defining __eq__ but not __hash__ gets __hash__ = None */
      ClassT *o1 = NULL, *o2 = NULL;
      Value *h = pyc_lookup(v->u.inst->cls, "__hash__", &o2);
      if (h && h->kind == V_NONE) return 0;
      if (pyc_lookup(v->u.inst->cls, "__eq__", &o1)) {
        bool eq_nearer = true; /* the nearer of the two owners along the base chain wins */
        for (ClassT *c = v->u.inst->cls; c && o2; c = c->base) {
          if (c == o1) break;
          if (c == o2) { eq_nearer = false; break; }
        }
        if (eq_nearer && o2 != o1) return 0;
      }
      if (!v->u.inst->cls->is_tuple) return 1;
    }
    for (int i = 0; i < v->u.inst->cls->nfields && r == 1; i++) r = hashable_at(v->u.inst->vals[i], depth + 1);
    return r;
  default: return 1;
  }
}

int val_hashable_r(const Value *v) { return hashable_at(v, 0); }

bool val_key_ok(Eval *ev, Value *k, Span sp) {
  int h = hashable_at(k, 0);
  Value *uh = h == 1 && k->kind == V_INSTANCE && k->u.inst->cls->user && !k->u.inst->cls->is_tuple
                  ? pyc_lookup(k->u.inst->cls, "__hash__", NULL) : NULL;
  if (uh) { /* pyclass */
    eval_error(ev, sp, "E0104", "a user-defined __hash__ is not supported in Slim (instances hash by identity)");
    return false;
  }
  if (h == 1) return true;
  if (h < 0) eval_error(ev, sp, "E0312", "maximum recursion depth exceeded in comparison");
  else eval_error(ev, sp, "E0302", "unhashable type: '%s'", val_type_name(k));
  return false;
}
bool val_hashable(const Value *v) { return hashable_at(v, 0) == 1; }

/* Equal values hash equal (1 == 1.0 == True). Identity-hashed kinds use the
   address only to find a bucket: iteration order is insertion order, so
   output never depends on it. */
static uint64_t hash_at(const Value *v, int depth) {
  if (depth > VAL_MAX_NEST) return 0; /* keys are never nested deeper (val_hashable_r) */
  switch (v->kind) {
  case V_NONE: return 0x9e3779b97f4a7c15ULL;
  case V_BOOL: return mix64((uint64_t)v->u.b);
  case V_INT: return mix64((uint64_t)v->u.i);
  case V_FLOAT:
    if (v->u.f == floor(v->u.f) && fabs(v->u.f) < 9.2e18) return mix64((uint64_t)(int64_t)v->u.f);
    {
      uint64_t bits;
      memcpy(&bits, &v->u.f, sizeof bits);
      return mix64(bits);
    }
  case V_STR: return hash_str(v->u.str.s, v->u.str.len);
  case V_TUPLE: {
    uint64_t h = 0x345678;
    for (int i = 0; i < v->u.list.n; i++) h = mix64(h ^ hash_at(v->u.list.items[i], depth + 1)) + 97;
    return h;
  }
  case V_INSTANCE: {
    if (!v->u.inst->cls->is_tuple) return mix64((uint64_t)(uintptr_t)v->u.inst); /* pyclass: by identity */
    uint64_t h = 0x345678;
    for (int i = 0; i < v->u.inst->cls->nfields; i++) h = mix64(h ^ hash_at(v->u.inst->vals[i], depth + 1)) + 97;
    return h;
  }
  case V_EXT: return mix64((uint64_t)(uintptr_t)v->u.ext.data);
  case V_FUNC: return mix64((uint64_t)(uintptr_t)v->u.func);
  case V_CLASS: return mix64((uint64_t)(uintptr_t)v->u.cls);
  case V_BUILTIN: return mix64((uint64_t)(uintptr_t)v->u.builtin->fn ^ (uint64_t)(uintptr_t)v->u.builtin->data);
  default: return mix64((uint64_t)(uintptr_t)v);
  }
}

static uint64_t val_hash(const Value *v) { return hash_at(v, 0); }

static int dict_find(const Dict *d, Value *key, uint64_t h) {
  if (!d->nindex) return -1;
  size_t mask = (size_t)d->nindex - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    int32_t ix = d->index[i];
    if (ix < 0) return -1;
    DictEntry *e = &d->e[ix];
    if (e->key && e->hash == h && (e->key == key || val_equal(e->key, key))) return ix;
  }
}

static void dict_reindex(Dict *d, int nindex) {
  d->index = eval_alloc(d->ev, sizeof(int32_t) * (size_t)nindex);
  memset(d->index, 0xff, sizeof(int32_t) * (size_t)nindex);
  d->nindex = nindex;
  size_t mask = (size_t)nindex - 1;
  for (int ix = 0; ix < d->n; ix++) {
    if (!d->e[ix].key) continue;
    size_t i = d->e[ix].hash & mask;
    while (d->index[i] >= 0) i = (i + 1) & mask;
    d->index[i] = ix;
  }
}

Value *dict_get(Dict *d, Value *key) {
  int ix = dict_find(d, key, val_hash(key));
  return ix < 0 ? NULL : d->e[ix].val;
}

Value *dict_get_str(Dict *d, const char *key) {
  Value k = {.kind = V_STR};
  k.u.str.s = key;
  k.u.str.len = strlen(key);
  return dict_get(d, &k);
}

void dict_set(Eval *ev, Dict *d, Value *key, Value *val) {
  uint64_t h = val_hash(key);
  int ix = dict_find(d, key, h);
  if (ix >= 0) {
    d->e[ix].val = val;
    return;
  }
  if (d->n == d->cap) {
    if (d->live < d->n / 2) { /* compact tombstones instead of growing */
      int k = 0;
      for (int i = 0; i < d->n; i++)
        if (d->e[i].key) d->e[k++] = d->e[i];
      d->n = k;
    } else {
      int cap = d->cap ? d->cap * 2 : 8;
      DictEntry *e = eval_alloc(ev, sizeof *e * (size_t)cap);
      if (d->n) memcpy(e, d->e, sizeof *e * (size_t)d->n);
      d->e = e;
      d->cap = cap;
    }
    dict_reindex(d, d->cap * 2);
  }
  d->e[d->n] = (DictEntry){key, val, h};
  size_t mask = (size_t)d->nindex - 1;
  size_t i = h & mask;
  while (d->index[i] >= 0) i = (i + 1) & mask;
  d->index[i] = d->n++;
  d->live++;
}

void dict_set_str(Eval *ev, Dict *d, const char *key, Value *val) { dict_set(ev, d, val_str(ev, key), val); }

bool dict_del(Dict *d, Value *key) {
  int ix = dict_find(d, key, val_hash(key));
  if (ix < 0) return false;
  d->e[ix].key = NULL;
  d->e[ix].val = NULL;
  d->live--;
  dict_reindex(d, d->nindex); /* tombstones in the entry array, none in the index */
  return true;
}

int dict_len(const Dict *d) { return d->live; }

bool dict_next(const Dict *d, int *iter, Value **key, Value **val) {
  while (*iter < d->n) {
    DictEntry *e = &d->e[(*iter)++];
    if (!e->key) continue;
    if (key) *key = e->key;
    if (val) *val = e->val;
    return true;
  }
  return false;
}

/* ---- builtins, namespaces, ext ---- */

Value *val_builtin(Eval *ev, const Builtin *b) {
  Value *v = newv(ev, V_BUILTIN);
  v->u.builtin = (Builtin *)b;
  return v;
}

Value *val_namespace(Eval *ev, const char *name) {
  Value *v = newv(ev, V_NAMESPACE);
  v->u.ns = eval_alloc(ev, sizeof *v->u.ns);
  v->u.ns->name = arena_strdup(eval_arena(ev), name);
  v->u.ns->attrs = val_dict(ev)->u.dict;
  return v;
}

Value *val_ext(Eval *ev, const ExtType *t, void *data) {
  Value *v = newv(ev, V_EXT);
  v->u.ext.type = t;
  v->u.ext.data = data;
  return v;
}

bool val_is_ext(const Value *v, const ExtType *t) { return v && v->kind == V_EXT && v->u.ext.type == t; }

void ns_set(Eval *ev, Value *ns, const char *name, Value *v) { dict_set_str(ev, ns->u.ns->attrs, name, v); }
Value *ns_get(Value *ns, const char *name) { return dict_get_str(ns->u.ns->attrs, name); }

void eval_register_module(Eval *ev, const char *dotted, Value *ns) { dict_set_str(ev, ev->modules, dotted, ns); }

static const char *exc_repr(Eval *ev, Value *self) {
  ExcObj *x = self->u.ext.data;
  if (!x->args || x->args->u.list.n == 0) return arena_printf(eval_arena(ev), "%s()", x->cls);
  const char *r = val_repr(ev, x->args); /* "(a, b)" or "(a,)": CPython drops the 1-tuple's comma */
  size_t n = strlen(r);
  if (x->args->u.list.n == 1 && n >= 3) return arena_printf(eval_arena(ev), "%s(%.*s)", x->cls, (int)(n - 3), r + 1);
  return arena_printf(eval_arena(ev), "%s%s", x->cls, r);
}
const ExtType val_exception_type = {.name = "Exception", .repr = exc_repr};

/* ---- introspection ---- */

const char *val_type_name(const Value *v) {
  switch (v->kind) {
  case V_NONE: return "NoneType";
  case V_BOOL: return "bool";
  case V_INT: return "int";
  case V_FLOAT: return "float";
  case V_STR: return "str";
  case V_LIST: return "list";
  case V_TUPLE: return "tuple";
  case V_DICT: return "dict";
  case V_FUNC: return "function";
  case V_BUILTIN: return "builtin_function_or_method";
  case V_PARTIAL: return "functools.partial";
  case V_CLASS: return "type";
  case V_INSTANCE: return v->u.inst->cls->name;
  case V_NAMESPACE: return "module";
  case V_EXT:
    if (v->u.ext.type == &val_exception_type) return ((ExcObj *)v->u.ext.data)->cls;
    return v->u.ext.type->name;
  }
  return "object";
}

int val_len(const Value *v) {
  switch (v->kind) {
  case V_STR: return (int)v->u.str.len;
  case V_LIST: case V_TUPLE: return v->u.list.n;
  case V_DICT: return dict_len(v->u.dict);
  case V_INSTANCE: return v->u.inst->cls->is_tuple || !v->u.inst->cls->user ? v->u.inst->cls->nfields : -1;
  default: return -1;
  }
}

static bool is_num(const Value *v) { return v->kind == V_INT || v->kind == V_BOOL || v->kind == V_FLOAT; }
static int64_t num_i(const Value *v) { return v->kind == V_INT ? v->u.i : (int64_t)v->u.b; }

/* Python's exact comparison of two numbers (no rounding of an int to a double:
   2**53 + 1 != 2.0**53): -1, 0 or 1, or 2 when a float is NaN (unordered). */
static int num_cmp(const Value *a, const Value *b) {
  if (a->kind != V_FLOAT && b->kind != V_FLOAT) {
    int64_t x = num_i(a), y = num_i(b);
    return (x > y) - (x < y);
  }
  if (a->kind == V_FLOAT && b->kind == V_FLOAT) {
    if (isnan(a->u.f) || isnan(b->u.f)) return 2;
    return (a->u.f > b->u.f) - (a->u.f < b->u.f);
  }
  bool flip = a->kind == V_FLOAT;
  int64_t i = num_i(flip ? b : a);
  double f = flip ? a->u.f : b->u.f;
  int r;
  if (isnan(f)) return 2;
  if (f >= 9223372036854775808.0) r = -1;
  else if (f < -9223372036854775808.0) r = 1;
  else {
    double t = trunc(f); /* |t| < 2**63: exact as an int64 */
    int64_t ti = (int64_t)t;
    if (i != ti) r = i < ti ? -1 : 1;
    else r = f > t ? -1 : f < t ? 1 : 0;
  }
  return flip ? -r : r;
}

static bool equal_at(Value *a, Value *b, int depth, bool *deep);

static bool seq_equal(Value **a, int na, Value **b, int nb, int depth, bool *deep) {
  if (na != nb) return false;
  for (int i = 0; i < na; i++)
    if (!equal_at(a[i], b[i], depth + 1, deep)) return false;
  return true;
}

/* Containers nested deeper than VAL_MAX_NEST (or two distinct lists that contain
   themselves) would recurse until the C stack overflows: past that depth the
   comparison stops and reports it, as CPython's RecursionError does. */
int val_equal_r(Value *a, Value *b) {
  bool deep = false;
  bool eq = equal_at(a, b, 0, &deep);
  return deep ? -1 : eq;
}

bool val_equal(Value *a, Value *b) { return val_equal_r(a, b) == 1; }

static bool equal_at(Value *a, Value *b, int depth, bool *deep) {
  if (*deep) return false;
  if (depth > VAL_MAX_NEST) {
    *deep = true;
    return false;
  }
  if (a == b) return a->kind != V_FLOAT || a->u.f == a->u.f;
  if (is_num(a) && is_num(b)) return num_cmp(a, b) == 0;
  if (a->kind == V_EXT || b->kind == V_EXT) {
    if (a->kind == V_EXT && b->kind == V_EXT && a->u.ext.type == b->u.ext.type && a->u.ext.type->equal)
      return a->u.ext.type->equal(a, b);
    return a->kind == b->kind && a->u.ext.data == b->u.ext.data && a->u.ext.type == b->u.ext.type;
  }
  /* pyclass: a user __eq__ (in lists, dicts, `in`), run by the classes' evaluator */
  if ((a->kind == V_INSTANCE && a->u.inst->cls->user && pyc_lookup(a->u.inst->cls, "__eq__", NULL)) ||
      (b->kind == V_INSTANCE && b->u.inst->cls->user && pyc_lookup(b->u.inst->cls, "__eq__", NULL))) {
    ClassT *c = a->kind == V_INSTANCE && a->u.inst->cls->user ? a->u.inst->cls : b->u.inst->cls;
    Eval *ev = c->attrs->ev;
    bool found;
    Span sp = eval_call_span(ev);
    Value *r = ev->ops->user_binop(ev, OP_EQ, a, b, sp, &found);
    int t = r ? eval_truthy(ev, r, sp) : -1;
    if (t < 0) {
      *deep = true; /* an error is pending: it wins over the comparison's */
      return false;
    }
    return t;
  }
  /* pyclass: instances of user classes compare by identity here (eval.c calls __eq__) */
  if ((a->kind == V_INSTANCE && !a->u.inst->cls->is_tuple && a->u.inst->cls->user) ||
      (b->kind == V_INSTANCE && !b->u.inst->cls->is_tuple && b->u.inst->cls->user))
    return a->kind == b->kind && a->u.inst == b->u.inst;
  /* a namedtuple compares like a tuple */
  if ((a->kind == V_INSTANCE || a->kind == V_TUPLE) && (b->kind == V_INSTANCE || b->kind == V_TUPLE)) {
    Value **ai = a->kind == V_TUPLE ? a->u.list.items : a->u.inst->vals;
    Value **bi = b->kind == V_TUPLE ? b->u.list.items : b->u.inst->vals;
    int na = a->kind == V_TUPLE ? a->u.list.n : a->u.inst->cls->nfields;
    int nb = b->kind == V_TUPLE ? b->u.list.n : b->u.inst->cls->nfields;
    return seq_equal(ai, na, bi, nb, depth, deep);
  }
  if (a->kind != b->kind) return false;
  switch (a->kind) {
  case V_NONE: return true;
  case V_STR: return a->u.str.len == b->u.str.len && memcmp(a->u.str.s, b->u.str.s, a->u.str.len) == 0;
  case V_LIST: return seq_equal(a->u.list.items, a->u.list.n, b->u.list.items, b->u.list.n, depth, deep);
  case V_DICT: {
    if (dict_len(a->u.dict) != dict_len(b->u.dict)) return false;
    Value *k, *v;
    for (int it = 0; dict_next(a->u.dict, &it, &k, &v);) {
      Value *w = dict_get(b->u.dict, k);
      if (!w || !equal_at(v, w, depth + 1, deep)) return false;
    }
    return true;
  }
  case V_FUNC: return a->u.func == b->u.func;
  case V_BUILTIN:
    return a->u.builtin == b->u.builtin ||
           (a->u.builtin->fn == b->u.builtin->fn && a->u.builtin->data == b->u.builtin->data);
  case V_PARTIAL: return a->u.partial == b->u.partial;
  case V_CLASS: return a->u.cls == b->u.cls;
  case V_NAMESPACE: return a->u.ns == b->u.ns;
  default: return false;
  }
}

static int less_at(Eval *ev, Value *a, Value *b, Span sp, int depth) {
  if (depth > VAL_MAX_NEST) {
    eval_error(ev, sp, "E0312", "maximum recursion depth exceeded in comparison");
    return -1;
  }
  if (is_num(a) && is_num(b)) return num_cmp(a, b) == -1;
  if ((a->kind == V_INSTANCE && a->u.inst->cls->user) || (b->kind == V_INSTANCE && b->u.inst->cls->user)) {
    bool found; /* pyclass: sorted(), min() and max() through __lt__ / __gt__ */
    Value *r = ev->ops->user_binop(ev, OP_LT, a, b, sp, &found);
    if (found) return r ? eval_truthy(ev, r, sp) : -1;
  }
  if (a->kind == V_STR && b->kind == V_STR) {
    size_t n = a->u.str.len < b->u.str.len ? a->u.str.len : b->u.str.len;
    int c = memcmp(a->u.str.s, b->u.str.s, n);
    return c < 0 || (c == 0 && a->u.str.len < b->u.str.len);
  }
  if ((a->kind == V_LIST && b->kind == V_LIST) || (a->kind == V_TUPLE && b->kind == V_TUPLE)) {
    int n = a->u.list.n < b->u.list.n ? a->u.list.n : b->u.list.n;
    for (int i = 0; i < n; i++) {
      Value *x = a->u.list.items[i], *y = b->u.list.items[i];
      int eq = val_equal_r(x, y);
      if (eq == 1) continue;
      if (eq < 0) {
        eval_error(ev, sp, "E0312", "maximum recursion depth exceeded in comparison");
        return -1;
      }
      return less_at(ev, x, y, sp, depth + 1);
    }
    return a->u.list.n < b->u.list.n;
  }
  eval_error(ev, sp, "E0302", "'<' not supported between instances of '%s' and '%s'", val_type_name(a),
             val_type_name(b));
  return -1;
}

int val_less(Eval *ev, Value *a, Value *b, Span sp) { return less_at(ev, a, b, sp, 0); }

/* ---- str / repr ---- */

void val_float_repr(double f, char *buf) {
  if (isnan(f)) { strcpy(buf, "nan"); return; }
  if (isinf(f)) { strcpy(buf, f < 0 ? "-inf" : "inf"); return; }
  if (f == 0) { strcpy(buf, signbit(f) ? "-0.0" : "0.0"); return; }
  /* shortest digit string that reads back as the same double */
  char tmp[40];
  int prec;
  for (prec = 1; prec <= 17; prec++) {
    snprintf(tmp, sizeof tmp, "%.*e", prec - 1, f);
    if (strtod(tmp, NULL) == f) break;
  }
  /* tmp is [-]d.ddde[+-]XX: collect digits and the exponent */
  char digits[24];
  int nd = 0;
  const char *p = tmp;
  bool neg = *p == '-';
  if (neg) p++;
  for (; *p && *p != 'e'; p++)
    if (*p >= '0' && *p <= '9') digits[nd++] = *p;
  int exp = atoi(p + 1);
  while (nd > 1 && digits[nd - 1] == '0') nd--;
  char *o = buf;
  if (neg) *o++ = '-';
  if (exp >= -4 && exp < 16) { /* Python switches to exponents outside [1e-4, 1e16) */
    if (exp < 0) {
      *o++ = '0';
      *o++ = '.';
      for (int i = 0; i < -exp - 1; i++) *o++ = '0';
      for (int i = 0; i < nd; i++) *o++ = digits[i];
    } else {
      for (int i = 0; i <= exp; i++) *o++ = i < nd ? digits[i] : '0';
      *o++ = '.';
      if (nd > exp + 1)
        for (int i = exp + 1; i < nd; i++) *o++ = digits[i];
      else
        *o++ = '0';
    }
    *o = 0;
  } else {
    *o++ = digits[0];
    if (nd > 1) {
      *o++ = '.';
      for (int i = 1; i < nd; i++) *o++ = digits[i];
    }
    sprintf(o, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
  }
}

void tb_put(TextBuf *b, const char *s, size_t n) {
  if (b->n + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 64;
    while (cap < b->n + n + 1) cap *= 2;
    char *ns = eval_alloc(b->ev, cap);
    if (b->n) memcpy(ns, b->s, b->n);
    b->s = ns;
    b->cap = cap;
  }
  memcpy(b->s + b->n, s, n);
  b->n += n;
  b->s[b->n] = 0;
}
void tb_puts(TextBuf *b, const char *s) { tb_put(b, s, strlen(s)); }

Value *tb_value(TextBuf *b) {
  Value *v = val_strn(b->ev, "", 0);
  if (b->s) {
    v->u.str.s = b->s;
    v->u.str.len = b->n;
  }
  return v;
}

static void repr_str(TextBuf *b, const char *s, size_t n) {
  /* Python prefers single quotes unless the text has one and no double quote */
  char q = '\'';
  if (memchr(s, '\'', n) && !memchr(s, '"', n)) q = '"';
  tb_put(b, &q, 1);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    char esc[8];
    if (c == (unsigned char)q || c == '\\') { esc[0] = '\\'; esc[1] = (char)c; tb_put(b, esc, 2); }
    else if (c == '\n') tb_puts(b, "\\n");
    else if (c == '\t') tb_puts(b, "\\t");
    else if (c == '\r') tb_puts(b, "\\r");
    else if (c < 32 || c == 127) { snprintf(esc, sizeof esc, "\\x%02x", c); tb_puts(b, esc); }
    else tb_put(b, (const char *)&c, 1);
  }
  tb_put(b, &q, 1);
}

/* The containers being printed, outermost first: one met again inside itself
   prints as [...] / {...} (CPython's Py_ReprEnter); nesting deeper than
   VAL_MAX_NEST stops with `deep` set (CPython's RecursionError). */
typedef struct Repr {
  TextBuf *b;
  const void *open[VAL_MAX_NEST + 1];
  int depth;
  bool deep;
  bool plain;     /* pyclass: no user __repr__ for the outermost value */
} Repr;

static void repr_into(Repr *r, Value *v);

static void repr_seq(Repr *r, Value **items, int n) {
  for (int i = 0; i < n && !r->deep; i++) {
    if (i) tb_puts(r->b, ", ");
    repr_into(r, items[i]);
  }
}

static void repr_into(Repr *r, Value *v) {
  TextBuf *b = r->b;
  char tmp[64];
  const void *box = v->kind == V_LIST || v->kind == V_TUPLE || v->kind == V_DICT || v->kind == V_INSTANCE ||
                            v->kind == V_PARTIAL ? (const void *)v : NULL;
  if (r->deep) return;
  if (box) {
    for (int i = 0; i < r->depth; i++)
      if (r->open[i] == box) {
        tb_puts(b, v->kind == V_LIST ? "[...]" : v->kind == V_DICT ? "{...}" : "...");
        return;
      }
    if (r->depth >= VAL_MAX_NEST) {
      r->deep = true;
      tb_puts(b, "...");
      return;
    }
    r->open[r->depth++] = box;
  }
  switch (v->kind) {
  case V_NONE: tb_puts(b, "None"); break;
  case V_BOOL: tb_puts(b, v->u.b ? "True" : "False"); break;
  case V_INT: snprintf(tmp, sizeof tmp, "%lld", (long long)v->u.i); tb_puts(b, tmp); break;
  case V_FLOAT: val_float_repr(v->u.f, tmp); tb_puts(b, tmp); break;
  case V_STR: repr_str(b, v->u.str.s, v->u.str.len); break;
  case V_LIST: tb_puts(b, "["); repr_seq(r, v->u.list.items, v->u.list.n); tb_puts(b, "]"); break;
  case V_TUPLE:
    tb_puts(b, "(");
    repr_seq(r, v->u.list.items, v->u.list.n);
    if (v->u.list.n == 1) tb_puts(b, ",");
    tb_puts(b, ")");
    break;
  case V_DICT: {
    tb_puts(b, "{");
    Value *k, *x;
    int first = 1;
    for (int it = 0; dict_next(v->u.dict, &it, &k, &x);) {
      if (!first) tb_puts(b, ", ");
      first = 0;
      repr_into(r, k);
      tb_puts(b, ": ");
      repr_into(r, x);
    }
    tb_puts(b, "}");
    break;
  }
  case V_FUNC:
    tb_puts(b, "<function ");
    tb_puts(b, v->u.func->qualname ? v->u.func->qualname : v->u.func->name);
    tb_puts(b, ">");
    break;
  case V_BUILTIN: tb_puts(b, "<built-in function "); tb_puts(b, v->u.builtin->name); tb_puts(b, ">"); break;
  case V_PARTIAL:
    tb_puts(b, "functools.partial(");
    repr_into(r, v->u.partial->fn);
    for (int i = 0; i < v->u.partial->args.npos; i++) {
      tb_puts(b, ", ");
      repr_into(r, v->u.partial->args.pos[i]);
    }
    for (int i = 0; i < v->u.partial->args.nkw; i++) {
      tb_puts(b, ", ");
      tb_puts(b, v->u.partial->args.kw[i]);
      tb_puts(b, "=");
      repr_into(r, v->u.partial->args.kwv[i]);
    }
    tb_puts(b, ")");
    break;
  case V_CLASS:
    tb_puts(b, "<class '");
    if (v->u.cls->user && v->u.cls->module && strcmp(v->u.cls->module, "builtins")) {
      tb_puts(b, v->u.cls->module);
      tb_puts(b, ".");
    }
    tb_puts(b, v->u.cls->user && v->u.cls->qualname ? v->u.cls->qualname : v->u.cls->name);
    tb_puts(b, "'>");
    break;
  case V_INSTANCE:
    if (v->u.inst->cls->user) { /* pyclass: a user __repr__, else object's */
      bool plain = r->plain && r->depth == 1, failed = false;
      r->plain = false;
      const char *t = plain ? NULL : b->ev->ops->user_repr(b->ev, v, false, &failed);
      if (failed) {
        r->deep = true;
        break;
      }
      if (t || !v->u.inst->cls->is_tuple) {
        tb_puts(b, t ? t : b->ev->ops->default_repr(b->ev, v));
        break;
      }
    }
    tb_puts(b, v->u.inst->cls->name);
    tb_puts(b, "(");
    for (int i = 0; i < v->u.inst->cls->nfields; i++) {
      if (i) tb_puts(b, ", ");
      tb_puts(b, v->u.inst->cls->fields[i]);
      tb_puts(b, "=");
      repr_into(r, v->u.inst->vals[i]);
    }
    tb_puts(b, ")");
    break;
  case V_NAMESPACE: tb_puts(b, "<module '"); tb_puts(b, v->u.ns->name); tb_puts(b, "'>"); break;
  case V_EXT:
    if (v->u.ext.type->repr) tb_puts(b, v->u.ext.type->repr(b->ev, v));
    else { tb_puts(b, "<"); tb_puts(b, v->u.ext.type->name); tb_puts(b, " object>"); }
    break;
  }
  if (box) r->depth--;
}

static const char *repr_text_p(Eval *ev, Value *v, bool *deep, bool plain);
static const char *repr_text(Eval *ev, Value *v, bool *deep) { return repr_text_p(ev, v, deep, false); }

const char *val_repr_plain(Eval *ev, Value *v) {
  bool deep;
  return repr_text_p(ev, v, &deep, true);
}

static const char *repr_text_p(Eval *ev, Value *v, bool *deep, bool plain) {
  TextBuf b = {.ev = ev};
  Repr *r = malloc(sizeof *r);
  if (!r) {
    fprintf(stderr, "slimc: out of memory\n");
    abort();
  }
  r->b = &b;
  r->depth = 0;
  r->deep = false;
  r->plain = plain;
  repr_into(r, v);
  *deep = r->deep;
  free(r);
  return b.s ? b.s : "";
}

/* For messages: a value nested too deeply ends in "...". */
const char *val_repr(Eval *ev, Value *v) {
  bool deep;
  return repr_text(ev, v, &deep);
}

const char *val_str_of(Eval *ev, Value *v) {
  if (v->kind == V_STR) return v->u.str.s;
  if (val_is_ext(v, &val_exception_type)) {
    ExcObj *x = v->u.ext.data;
    return x->msg ? x->msg : "";
  }
  if (v->kind == V_EXT && v->u.ext.type->str) return v->u.ext.type->str(ev, v);
  if (v->kind == V_INSTANCE && v->u.inst->cls->user && pyc_lookup(v->u.inst->cls, "__str__", NULL)) { /* pyclass */
    bool failed;
    const char *t = ev->ops->user_repr(ev, v, true, &failed);
    if (t || failed) return t ? t : "";
  }
  return val_repr(ev, v);
}

const char *val_repr_at(Eval *ev, Value *v, Span sp) {
  bool deep;
  const char *s = repr_text(ev, v, &deep);
  if (!deep) return s;
  if (eval_has_error(ev)) return NULL; /* pyclass: a user __repr__ failed */
  eval_error(ev, sp, "E0312", "maximum recursion depth exceeded while getting the repr of an object");
  return NULL;
}

const char *val_str_at(Eval *ev, Value *v, Span sp) {
  if (v->kind == V_INSTANCE && v->u.inst->cls->user && pyc_lookup(v->u.inst->cls, "__str__", NULL)) { /* pyclass */
    bool failed;
    const char *t = ev->ops->user_repr(ev, v, true, &failed);
    return failed ? NULL : t;
  }
  if (v->kind == V_STR || val_is_ext(v, &val_exception_type)) return val_str_of(ev, v);
  if (v->kind == V_EXT && v->u.ext.type->str) return v->u.ext.type->str(ev, v);
  return val_repr_at(ev, v, sp);
}

static const char *slice_repr(Eval *ev, Value *self) {
  SliceObj *s = self->u.ext.data;
  return arena_printf(eval_arena(ev), "slice(%s, %s, %s)", val_repr(ev, s->lo), val_repr(ev, s->hi),
                      val_repr(ev, s->step));
}
const ExtType val_slice_type = {.name = "slice", .repr = slice_repr};

/* ---- pyclass: class attributes (the object model is py_class.c) ---- */

bool pyc_is_user(const Value *v) { return v->kind == V_INSTANCE && v->u.inst->cls->user; }

/* The attribute NAME of class C or its bases (user classes' namespaces only). */
Value *pyc_lookup(ClassT *c, const char *name, ClassT **owner) {
  for (; c; c = c->base)
    if (c->attrs) {
      Value *v = dict_get_str(c->attrs, name);
      if (v) {
        if (owner) *owner = c;
        return v;
      }
    }
  return NULL;
}

/* The type object of a value: the builtin of that name where one exists (int, str, ...),
   else one made once per compilation under a name no program can spell. */
Value *val_type_object(Eval *ev, const char *tname) {
  Value *t = eval_get_global(ev, tname);
  if (t && t->kind == V_BUILTIN && strcmp(t->u.builtin->name, tname) == 0) return t;
  char key[96];
  snprintf(key, sizeof key, " type %s", tname);
  t = eval_get_global(ev, key);
  if (t) return t;
  Value *ns = val_namespace(ev, tname);
  ns_set(ev, ns, "__name__", val_str(ev, tname));
  eval_set_global(ev, key, ns);
  return ns;
}
