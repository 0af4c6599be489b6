/* Variable scopes and name scopes with TF 1.15's rules (tf-slim-reference.md §1, §3):
 * two stacks, a variable scope naming variables and a name scope naming ops;
 * Graph.unique_name (case-insensitive, "_1" suffixes); default-name counters per full
 * scope name, reset for sub-scopes when a string scope is left and restored from a
 * snapshot when a re-entered VariableScope object is left. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "tf/tf_lib.h"

/* ---- a string -> count map (open addressing, arena-backed) ---- */

typedef struct StrCount {
  const char **keys;
  int64_t *vals;
  int cap, n;
} StrCount;

static uint64_t str_hash(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

static int64_t *sc_slot(Arena *a, StrCount *m, const char *key, bool create) {
  if (create && (m->n + 1) * 2 > m->cap) {
    int ncap = m->cap ? m->cap * 2 : 64;
    StrCount nm = {arena_alloc(a, sizeof(char *) * ncap), arena_alloc(a, sizeof(int64_t) * ncap), ncap, 0};
    for (int i = 0; i < m->cap; i++)
      if (m->keys[i]) *sc_slot(a, &nm, m->keys[i], true) = m->vals[i];
    *m = nm;
  }
  if (!m->cap) return NULL;
  for (uint64_t i = str_hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
    if (!m->keys[i]) {
      if (!create) return NULL;
      m->keys[i] = key;
      m->n++;
      return &m->vals[i];
    }
    if (!strcmp(m->keys[i], key)) return &m->vals[i];
  }
}

static int64_t sc_get(StrCount *m, const char *key) {
  int64_t *p = sc_slot(NULL, m, key, false);
  return p ? *p : 0;
}

static StrCount sc_copy(Arena *a, const StrCount *m) {
  StrCount c = *m;
  if (m->cap) {
    c.keys = arena_alloc(a, sizeof(char *) * m->cap);
    c.vals = arena_alloc(a, sizeof(int64_t) * m->cap);
    memcpy(c.keys, m->keys, sizeof(char *) * m->cap);
    memcpy(c.vals, m->vals, sizeof(int64_t) * m->cap);
  }
  return c;
}

struct TfNameCounts { StrCount m; };
/* m: the default-name counter of each full scope name, plus, under "BASE\001", the
   smallest index D_i of default name BASE = D not yet known to be taken (so finding
   the next free D_i is not a walk from D_1: n default-named layers cost O(n), not
   O(n^2) lookups and strings). The hint lives in m so that resets and snapshots of
   the counters reset and restore it too; 0 means "search from 1".
   parents: scope names that have a sub-scope counter, so leaving a scope without
   any scans nothing (marks are never removed: a stale one only costs a scan). */
struct TfScopeCounts { StrCount m, parents; };

/* ---- VariableScope objects ---- */

struct TfScope {
  const char *name;                 /* "" at root */
  const char *original_name_scope;  /* "one/" ("" at root) */
  int reuse;                        /* TF_REUSE_* */
  Value *initializer, *regularizer;
  Value *self;
};

static bool reuse_equal(Value *a, Value *b) { return a->kind == V_EXT && b->kind == V_EXT && a->u.ext.type == b->u.ext.type; }
static const ExtType reuse_type = {.name = "_ReuseMode", .equal = reuse_equal};

static Value *scope_getattr(Eval *ev, Value *self, const char *attr, Span sp);
static const char *scope_repr(Eval *ev, Value *self) {
  TfScope *s = self->u.ext.data;
  return arena_printf(eval_arena(ev), "<VariableScope '%s'>", s->name);
}
static const ExtType scope_type = {.name = "VariableScope", .getattr = scope_getattr, .repr = scope_repr};

static TfScope *scope_new(TfLib *t, const char *name) {
  TfScope *s = arena_alloc(t->arena, sizeof *s);
  s->name = name;
  s->original_name_scope = "";
  s->self = val_ext(t->ev, &scope_type, s);
  return s;
}

static Value *reuse_value(TfLib *t, int r) {
  if (r == TF_REUSE_AUTO) return val_ext(t->ev, &reuse_type, NULL);
  return r ? val_bool(t->ev, true) : val_bool(t->ev, false);
}

static Value *scope_reuse_variables(Eval *ev, const Args *a, void *data) {
  (void)a;
  ((TfScope *)data)->reuse = TF_REUSE_TRUE;
  return val_none(ev);
}

static Value *scope_getattr(Eval *ev, Value *self, const char *attr, Span sp) {
  (void)sp;
  TfScope *s = self->u.ext.data;
  TfLib *t = tf_lib(ev);
  if (!strcmp(attr, "name")) return val_str(ev, s->name);
  if (!strcmp(attr, "original_name_scope")) return val_str(ev, s->original_name_scope);
  if (!strcmp(attr, "reuse")) return reuse_value(t, s->reuse);
  if (!strcmp(attr, "initializer")) return s->initializer ? s->initializer : val_none(ev);
  if (!strcmp(attr, "regularizer")) return s->regularizer ? s->regularizer : val_none(ev);
  if (!strcmp(attr, "reuse_variables")) {
    Builtin *b = arena_alloc(t->arena, sizeof *b);
    *b = (Builtin){"reuse_variables", NULL, 0, scope_reuse_variables, s, false};
    return val_builtin(ev, b);
  }
  return NULL;
}

/* ---- Graph.unique_name and name scopes ---- */

const char *tf_unique_name(TfLib *t, const char *name) {
  Arena *a = t->arena;
  const char *full = t->name_stack[0] ? arena_printf(a, "%s/%s", t->name_stack, name) : arena_strdup(a, name);
  /* TF >= 1.9 compares names case-insensitively but keeps the given spelling */
  char *key = arena_strdup(a, full);
  for (char *p = key; *p; p++) *p = (char)tolower((unsigned char)*p);
  StrCount *m = &t->names->m;
  int64_t i = sc_get(m, key);
  *sc_slot(a, m, key, true) = i + 1;
  if (i == 0) return full;
  const char *k = key;
  while (sc_get(m, k) > 0) k = arena_printf(a, "%s_%lld", key, (long long)i++);
  *sc_slot(a, m, k, true) = 1;
  return arena_printf(a, "%s_%lld", full, (long long)(i - 1));
}

const char *tf_op_name(TfLib *t, const char *name, const char *dflt) {
  return tf_unique_name(t, name && name[0] ? name : dflt);
}

const char *tf_var_scope_name(TfLib *t) { return t->var_scope ? t->var_scope->name : ""; }
int tf_scope_reuse(TfLib *t) { return t->var_scope ? t->var_scope->reuse : 0; }
Value *tf_scope_initializer(TfLib *t) { return t->var_scope ? t->var_scope->initializer : NULL; }
Value *tf_scope_regularizer(TfLib *t) { return t->var_scope ? t->var_scope->regularizer : NULL; }

const char *tf_ns_open(TfLib *t, const char *name, const char *dflt) {
  const char *saved = t->name_stack;
  if (!name || !name[0]) name = dflt;
  if (!name || !name[0]) t->name_stack = "";
  else if (name[strlen(name) - 1] == '/') t->name_stack = arena_strndup(t->arena, name, strlen(name) - 1);
  else t->name_stack = tf_unique_name(t, name);
  return saved;
}

void tf_ns_restore(TfLib *t, const char *saved) { t->name_stack = saved; }

void tf_scope_reset(TfLib *t) {
  t->names = arena_alloc(t->arena, sizeof *t->names);
  t->scope_counts = arena_alloc(t->arena, sizeof *t->scope_counts);
  t->var_scope = scope_new(t, "");
  t->name_stack = "";
  t->device = NULL;
}

/* ---- variable_scope ---- */

struct TfVsCtx {
  Value *name_or_scope;             /* str, VariableScope or NULL */
  const char *dflt;
  Value *reuse, *initializer, *regularizer;
  bool aux_name_scope;
  Span sp;
  /* state while entered */
  bool entered, is_object;
  TfScope *old_scope, *scope;
  const char *old_stack;
  StrCount snapshot;
};

/* The reuse argument: True, AUTO_REUSE, or None/False (the same since TF 1.1). */
static int parse_reuse(TfLib *t, Value *r, Span sp) {
  if (!r || r->kind == V_NONE) return TF_REUSE_NONE;
  if (r->kind == V_BOOL) return r->u.b ? TF_REUSE_TRUE : TF_REUSE_NONE;
  if (val_is_ext(r, &reuse_type)) return TF_REUSE_AUTO;
  eval_error(t->ev, sp, "E0701", "The reuse parameter must be True or False or None.");
  return -1;
}

static int vs_enter(TfLib *t, TfVsCtx *c) {
  Arena *a = t->arena;
  int reuse = parse_reuse(t, c->reuse, c->sp);
  if (reuse < 0) return -1;
  TfScope *old = t->var_scope;
  Value *nos = c->name_or_scope && c->name_or_scope->kind != V_NONE ? c->name_or_scope : NULL;
  c->old_scope = old;
  c->old_stack = t->name_stack;
  const char *new_name, *orig_ns;
  int new_reuse;
  Value *init = old->initializer, *reg = old->regularizer;
  if (nos && nos->kind == V_STR) {
    if (!eval_str_nul_free(t->ev, nos, c->sp, "scope name")) return -1;
    if (c->aux_name_scope && !tf_ns_name_ok(t, nos->u.str.s, c->sp)) return -1;
    if (c->aux_name_scope) {
      tf_ns_open(t, nos->u.str.s, NULL);
      orig_ns = t->name_stack[0] ? arena_printf(a, "%s/", t->name_stack) : "";
    } else {
      orig_ns = t->name_stack[0] ? arena_printf(a, "%s/", t->name_stack) : "";
    }
    new_name = old->name[0] ? arena_printf(a, "%s/%s", old->name, nos->u.str.s) : nos->u.str.s;
    new_reuse = reuse ? reuse : old->reuse;  /* reuse is inherited by sub-scopes */
  } else if (nos && val_is_ext(nos, &scope_type)) {
    TfScope *obj = nos->u.ext.data;
    c->is_object = true;
    if (c->aux_name_scope) {
      const char *last = strrchr(obj->name, '/');
      last = last ? last + 1 : obj->name;
      if (last[0]) tf_ns_open(t, last, NULL);
    }
    orig_ns = obj->original_name_scope;
    new_name = obj->name;
    new_reuse = reuse ? reuse : obj->reuse;  /* the object's own flag, not the parent's */
    init = obj->initializer;
    reg = obj->regularizer;
    c->snapshot = sc_copy(a, &t->scope_counts->m);
  } else if (nos) {
    eval_error(t->ev, c->sp, "E0702", "VariableScope: name_or_scope must be a string or VariableScope.");
    return -1;
  } else {
    if (!c->dflt) {
      eval_error(t->ev, c->sp, "E0703", "If default_name is None then name_or_scope is required");
      return -1;
    }
    if (reuse) {
      eval_error(t->ev, c->sp, "E0704", "reuse=True cannot be used without a name_or_scope");
      return -1;
    }
    if (c->aux_name_scope) tf_ns_open(t, c->dflt, NULL);
    orig_ns = t->name_stack[0] ? arena_printf(a, "%s/", t->name_stack) : "";
    /* _get_unique_variable_scope: first free of D, D_1, D_2, ... by the counters */
    const char *base = old->name[0] ? arena_printf(a, "%s/%s", old->name, c->dflt) : c->dflt;
    const char *rel = c->dflt;
    StrCount *m = &t->scope_counts->m;
    if (sc_get(m, base) > 0) {
      const char *hint_key = arena_printf(a, "%s\001", base);
      int64_t idx = sc_get(m, hint_key);
      if (idx < 1) idx = 1;
      size_t blen = strlen(base), cap = blen + 24;
      char *probe = malloc(cap);
      if (!probe) {
        eval_error(t->ev, c->sp, "E0314", "out of memory");
        return -1;
      }
      do snprintf(probe, cap, "%s_%lld", base, (long long)idx);
      while (sc_get(m, probe) > 0 && idx++ < INT64_MAX - 1);
      free(probe);
      rel = arena_printf(a, "%s_%lld", c->dflt, (long long)idx);
      *sc_slot(a, m, hint_key, true) = idx + 1; /* D_idx is taken just below */
    }
    new_name = old->name[0] ? arena_printf(a, "%s/%s", old->name, rel) : rel;
    new_reuse = old->reuse;
  }
  TfScope *s = scope_new(t, new_name);
  s->original_name_scope = orig_ns;
  s->reuse = new_reuse;
  s->initializer = c->initializer && c->initializer->kind != V_NONE ? c->initializer : init;
  s->regularizer = c->regularizer && c->regularizer->kind != V_NONE ? c->regularizer : reg;
  int64_t *cnt = sc_slot(a, &t->scope_counts->m, new_name, true);
  (*cnt)++;
  for (size_t n = strlen(new_name); n > 0; n--) { /* longest parent first */
    if (new_name[n - 1] != '/') continue;
    const char *parent = arena_strndup(a, new_name, n - 1);
    if (sc_get(&t->scope_counts->parents, parent)) break; /* marked with all its own parents */
    *sc_slot(a, &t->scope_counts->parents, parent, true) = 1;
  }
  c->scope = s;
  c->entered = true;
  t->var_scope = s;
  return 0;
}

static void vs_exit(TfLib *t, TfVsCtx *c) {
  if (!c->entered) return;
  if (c->is_object) {
    t->scope_counts->m = c->snapshot;
  } else {
    /* close_variable_subscopes: sub-scope counters restart when the scope is left */
    StrCount *m = &t->scope_counts->m;
    size_t n = strlen(c->scope->name);
    bool has_sub = sc_get(&t->scope_counts->parents, c->scope->name) > 0;
    for (int i = 0; has_sub && i < m->cap; i++)
      if (m->keys[i] && !strncmp(m->keys[i], c->scope->name, n) && m->keys[i][n] == '/') m->vals[i] = 0;
  }
  t->var_scope = c->old_scope;
  t->name_stack = c->old_stack;
  c->entered = false;
}

TfVsCtx *tf_vs_open(TfLib *t, Value *name_or_scope, const char *dflt, Value *reuse, Span sp) {
  TfVsCtx *c = arena_alloc(t->arena, sizeof *c);
  c->name_or_scope = name_or_scope;
  c->dflt = dflt;
  c->reuse = reuse;
  c->aux_name_scope = true;
  c->sp = sp;
  return vs_enter(t, c) ? NULL : c;
}

TfVsCtx *tf_vs_open_no_name_scope(TfLib *t, Value *name_or_scope, const char *dflt, Value *reuse, Span sp) {
  TfVsCtx *c = arena_alloc(t->arena, sizeof *c);
  c->name_or_scope = name_or_scope;
  c->dflt = dflt;
  c->reuse = reuse;
  c->sp = sp;
  return vs_enter(t, c) ? NULL : c;
}

void tf_vs_close(TfLib *t, TfVsCtx *c) { vs_exit(t, c); }

static Value *vs_ctx_enter(Eval *ev, Value *self, Span sp) {
  TfVsCtx *c = self->u.ext.data;
  TfLib *t = tf_lib(ev);
  if (c->entered) return eval_error(ev, sp, "E0705", "variable_scope is already entered");
  return vs_enter(t, c) ? NULL : c->scope->self;
}

static int vs_ctx_exit(Eval *ev, Value *self, Span sp) {
  (void)sp;
  vs_exit(tf_lib(ev), self->u.ext.data);
  return 0;
}

static const ExtType vs_ctx_type = {.name = "variable_scope", .enter = vs_ctx_enter, .exit = vs_ctx_exit};

static const char *const vs_params[] = {"name_or_scope", "default_name", "values", "initializer", "regularizer",
                                        "caching_device", "partitioner", "custom_getter", "reuse", "dtype",
                                        "use_resource", "constraint", "auxiliary_name_scope", NULL};

/* variable_scope(name_or_scope, default_name=None, values=None, initializer=None, regularizer=None,
                  ..., reuse=None, dtype=None, ..., auxiliary_name_scope=True) */
static Value *bi_variable_scope(Eval *ev, const Args *a, void *data) {
  (void)data;
  TfLib *t = tf_lib(ev);
  Value *p[13];
  if (eval_bind(ev, "variable_scope", vs_params, a, p) < 0) return NULL;
  TfVsCtx *c = arena_alloc(t->arena, sizeof *c);
  c->name_or_scope = p[0];
  if (p[1] && p[1]->kind != V_NONE && !eval_to_str(ev, p[1], a->call_span, "default_name", &c->dflt)) return NULL;
  c->initializer = p[3];
  c->regularizer = p[4];
  c->reuse = p[8];
  c->aux_name_scope = true;
  if (p[12]) {
    int tr = eval_truthy(ev, p[12], a->call_span);
    if (tr < 0) return NULL;
    c->aux_name_scope = tr;
  }
  c->sp = a->call_span;
  if (c->name_or_scope && c->name_or_scope->kind != V_NONE && c->name_or_scope->kind != V_STR &&
      !val_is_ext(c->name_or_scope, &scope_type))
    return eval_error(ev, a->call_span, "E0702", "VariableScope: name_or_scope must be a string or VariableScope.");
  if (parse_reuse(t, c->reuse, a->call_span) < 0) return NULL;
  return val_ext(ev, &vs_ctx_type, c);
}

/* ---- name_scope ---- */

typedef struct NsCtx { const char *name; const char *saved; bool entered; } NsCtx;

static Value *ns_ctx_enter(Eval *ev, Value *self, Span sp) {
  (void)sp;
  NsCtx *c = self->u.ext.data;
  TfLib *t = tf_lib(ev);
  c->saved = tf_ns_open(t, c->name, NULL);
  c->entered = true;
  return val_str(ev, t->name_stack[0] ? arena_printf(t->arena, "%s/", t->name_stack) : "");
}

static int ns_ctx_exit(Eval *ev, Value *self, Span sp) {
  (void)sp;
  NsCtx *c = self->u.ext.data;
  if (c->entered) tf_ns_restore(tf_lib(ev), c->saved);
  c->entered = false;
  return 0;
}

static const ExtType ns_ctx_type = {.name = "name_scope", .enter = ns_ctx_enter, .exit = ns_ctx_exit};

/* Valid scope names, as Graph.name_scope checks them: at the root
   ^[A-Za-z0-9.][A-Za-z0-9_.\\/>-]*$, inside a scope ^[A-Za-z0-9_.\\/>-]*$. */
bool tf_scope_name_valid(const char *s, bool root) {
  for (const char *p = s; *p; p++) {
    unsigned char ch = (unsigned char)*p;
    bool ok = (ch < 128 && isalnum(ch)) || ch == '.' ||
              (!(root && p == s) && (ch == '_' || ch == '-' || ch == '/' || ch == '\\' || ch == '>'));
    if (!ok) return false;
  }
  return true;
}

bool tf_scope_name_ok(TfLib *t, const char *name, bool root, Span sp) {
  if (!name || !name[0] || tf_scope_name_valid(name, root)) return true;
  if (root)
    eval_error(t->ev, sp, "E0706", "'%s' is not a valid root scope name. A root scope name has to match the "
               "following pattern: ^[A-Za-z0-9.][A-Za-z0-9_.\\\\/>-]*$", name);
  else
    eval_error(t->ev, sp, "E0706", "'%s' is not a valid scope name. A scope name has to match the following "
               "pattern: ^[A-Za-z0-9_.\\\\/>-]*$", name);
  return false;
}

bool tf_ns_name_ok(TfLib *t, const char *name, Span sp) {
  if (!name || !name[0] || name[strlen(name) - 1] == '/') return true; /* a '/' name re-enters a scope */
  return tf_scope_name_ok(t, name, !t->name_stack[0], sp);
}

/* name_scope(name, default_name=None, values=None) */
static Value *bi_name_scope(Eval *ev, const Args *a, void *data) {
  (void)data;
  static const char *const params[] = {"name", "default_name", "values", NULL};
  TfLib *t = tf_lib(ev);
  Value *p[3];
  if (eval_bind(ev, "name_scope", params, a, p) < 0) return NULL;
  NsCtx *c = arena_alloc(t->arena, sizeof *c);
  Value *n = p[0] && p[0]->kind != V_NONE ? p[0] : p[1];
  if (n && n->kind != V_NONE) {
    if (!eval_to_str(ev, n, a->call_span, "name", &c->name)) return NULL;
    if (!tf_ns_name_ok(t, c->name, a->call_span)) return NULL;
  }
  return val_ext(ev, &ns_ctx_type, c);
}

static Value *bi_get_variable_scope(Eval *ev, const Args *a, void *data) {
  (void)data;
  static const char *const params[] = {NULL};
  Value *none[1];
  if (eval_bind(ev, "get_variable_scope", params, a, none) < 0) return NULL;
  return tf_lib(ev)->var_scope->self;
}

/* device(name): recorded on variables created inside */
typedef struct DevCtx { const char *dev, *saved; } DevCtx;
static Value *dev_enter(Eval *ev, Value *self, Span sp) {
  (void)sp;
  DevCtx *c = self->u.ext.data;
  TfLib *t = tf_lib(ev);
  c->saved = t->device;
  t->device = c->dev;
  return val_none(ev);
}
static int dev_exit(Eval *ev, Value *self, Span sp) {
  (void)sp;
  DevCtx *c = self->u.ext.data;
  tf_lib(ev)->device = c->saved;
  return 0;
}
static const ExtType dev_type = {.name = "device", .enter = dev_enter, .exit = dev_exit};

static Value *bi_device(Eval *ev, const Args *a, void *data) {
  (void)data;
  static const char *const params[] = {"device_name_or_function", NULL};
  Value *p[1];
  if (eval_bind_checked(ev, "device", params, 1, a, p) < 0) return NULL;
  DevCtx *c = arena_alloc(eval_arena(ev), sizeof *c);
  if (p[0]->kind != V_NONE && !eval_to_str(ev, p[0], a->call_span, "device", &c->dev)) return NULL;
  return val_ext(ev, &dev_type, c);
}

static const Builtin b_variable_scope = {"variable_scope", NULL, 0, bi_variable_scope, NULL, false};
static const Builtin b_name_scope = {"name_scope", NULL, 0, bi_name_scope, NULL, false};
static const Builtin b_get_variable_scope = {"get_variable_scope", NULL, 0, bi_get_variable_scope, NULL, false};
static const Builtin b_device = {"device", NULL, 0, bi_device, NULL, false};

void tf_scope_register(TfLib *t, Value *tf_ns) {
  Eval *ev = t->ev;
  ns_set(ev, tf_ns, "variable_scope", val_builtin(ev, &b_variable_scope));
  ns_set(ev, tf_ns, "name_scope", val_builtin(ev, &b_name_scope));
  ns_set(ev, tf_ns, "get_variable_scope", val_builtin(ev, &b_get_variable_scope));
  ns_set(ev, tf_ns, "device", val_builtin(ev, &b_device));
  ns_set(ev, tf_ns, "AUTO_REUSE", val_ext(ev, &reuse_type, NULL));
}
