/* slim.arg_scope and slim.add_arg_scope (tf-slim-reference.md §7). The active scope is a
 * stack of dicts {op key: {kwarg: value}}; entering a list of ops copies the top and
 * updates it per op, entering a stored dict replaces the top wholesale. At call time the
 * op's defaults are passed as keywords, explicit keywords win. */
#include <string.h>
#include "tf/tf_lib.h"

/* Where an arg_scope keyword came from, for the note of an unexpected-keyword error. */
typedef struct TfArgSrc { const char *name; Value *val; Span sp; } TfArgSrc;

/* The text of an op's key. TF prints the function object (with its address); ours
   numbers the keys in order of first use instead, so listings stay deterministic. */
static const char *key_str(TfLib *t, const char *name, const void *key) {
  int id = 0;
  while (id < t->argscope_keys.n && t->argscope_keys.items[id] != key) id++;
  if (id == t->argscope_keys.n) ptrvec_push(t->arena, &t->argscope_keys, (void *)key);
  return arena_printf(t->arena, "<function %s #%d>", name, id + 1);
}

const char *tf_argscope_key(TfLib *t, Value *op) {
  if (op->kind == V_BUILTIN && op->u.builtin->arg_scope)
    return key_str(t, op->u.builtin->name, op->u.builtin->data ? op->u.builtin->data : (void *)op->u.builtin);
  if (op->kind == V_FUNC && op->u.func->arg_scope) return key_str(t, op->u.func->name, op->u.func);
  return NULL;
}

static Dict *top_frame(TfLib *t) { return t->arg_scopes.n ? t->arg_scopes.items[t->arg_scopes.n - 1] : NULL; }

static Span src_span(TfLib *t, const char *name, Value *v) {
  for (int i = t->argscope_srcs.n - 1; i >= 0; i--) {
    TfArgSrc *s = t->argscope_srcs.items[i];
    if (s->val == v && !strcmp(s->name, name)) return s->sp;
  }
  return SPAN_NONE;
}

void tf_argscope_note(TfLib *t, const char *name, Value *v) {
  Span sp = src_span(t, name, v);
  if (sp.file >= 0) eval_note(t->ev, sp, "'%s' supplied by this arg_scope", name);
}

static bool takes(const char *const *params, const char *name) {
  for (int i = 0; params[i]; i++)
    if (!strcmp(params[i], name) || !strcmp(params[i], "**kwargs")) return true;
  return false;
}

int tf_argscope_merge(TfLib *t, const char *fname, const void *key, const char *const *params, const Args *a,
                      Args *out) {
  *out = *a;
  Dict *frame = top_frame(t);
  Value *kw = frame ? dict_get_str(frame, key_str(t, fname, key)) : NULL;
  if (!kw || kw->kind != V_DICT || !dict_len(kw->u.dict)) return 0;
  int extra = dict_len(kw->u.dict);
  int n = a->nkw + extra;
  out->kw = arena_alloc(t->arena, sizeof(char *) * n);
  out->kwv = arena_alloc(t->arena, sizeof(Value *) * n);
  out->kw_spans = arena_alloc(t->arena, sizeof(Span) * n);
  for (int i = 0; i < a->nkw; i++) {
    out->kw[i] = a->kw[i];
    out->kwv[i] = a->kwv[i];
    out->kw_spans[i] = a->kw_spans ? a->kw_spans[i] : a->call_span;
  }
  out->nkw = a->nkw;
  Value *k, *v;
  for (int it = 0; dict_next(kw->u.dict, &it, &k, &v);) {
    if (!eval_str_nul_free(t->ev, k, a->call_span, "keyword")) return -1;
    const char *name = k->u.str.s;
    bool explicit_kw = false;
    for (int i = 0; i < a->nkw && !explicit_kw; i++) explicit_kw = !strcmp(a->kw[i], name);
    if (explicit_kw) continue; /* explicit keyword arguments win */
    if (params && !takes(params, name)) {
      eval_error(t->ev, a->call_span, "E0730", "%s() got an unexpected keyword argument '%s'", fname, name);
      Span sp = src_span(t, name, v);
      if (sp.file >= 0) eval_note(t->ev, sp, "'%s' supplied by this arg_scope", name);
      return -1;
    }
    out->kw[out->nkw] = name;
    out->kwv[out->nkw] = v;
    out->kw_spans[out->nkw] = a->call_span;
    out->nkw++;
  }
  return 0;
}

/* ---- arg_scope(list_ops_or_scope, **kwargs) ---- */

typedef struct ArgScopeCtx { Value *frame; bool entered; } ArgScopeCtx;

static Value *as_enter(Eval *ev, Value *self, Span sp) {
  (void)sp;
  ArgScopeCtx *c = self->u.ext.data;
  TfLib *t = tf_lib(ev);
  ptrvec_push(t->arena, &t->arg_scopes, c->frame->u.dict);
  c->entered = true;
  return c->frame;
}

static int as_exit(Eval *ev, Value *self, Span sp) {
  (void)sp;
  ArgScopeCtx *c = self->u.ext.data;
  TfLib *t = tf_lib(ev);
  if (c->entered && t->arg_scopes.n) t->arg_scopes.n--;
  c->entered = false;
  return 0;
}

static const ExtType as_ctx_type = {.name = "arg_scope", .enter = as_enter, .exit = as_exit};

/* A copy of FRAME with each op's kwargs dict copied too (a stored scope must not change). */
static Value *copy_frame(Eval *ev, Dict *frame) {
  Value *out = val_dict(ev);
  if (!frame) return out;
  Value *k, *v;
  for (int i = 0; dict_next(frame, &i, &k, &v);) {
    Value *kw = v;
    if (v->kind == V_DICT) {
      kw = val_dict(ev);
      Value *k2, *v2;
      for (int j = 0; dict_next(v->u.dict, &j, &k2, &v2);) dict_set(ev, kw->u.dict, k2, v2);
    }
    dict_set(ev, out->u.dict, k, kw);
  }
  return out;
}

static const char *op_name(Eval *ev, Value *op) {
  if (op->kind == V_FUNC) return op->u.func->name;
  if (op->kind == V_BUILTIN) return op->u.builtin->name;
  return val_repr(ev, op);
}

static Value *bi_arg_scope(Eval *ev, const Args *a, void *data) {
  (void)data;
  TfLib *t = tf_lib(ev);
  Value *ops = a->npos ? a->pos[0] : NULL;
  int kw0 = 0;
  if (!ops && a->nkw && !strcmp(a->kw[0], "list_ops_or_scope")) ops = a->kwv[0], kw0 = 1;
  if (!ops || a->npos > 1)
    return eval_error(ev, a->call_span, "E0731", "arg_scope() takes one positional argument (list_ops_or_scope)");
  Value *frame;
  if (ops->kind == V_DICT) {
    if (a->nkw > kw0)
      return eval_error(ev, a->call_span, "E0732",
                        "When attempting to re-use a scope by suppling adictionary, kwargs must be empty.");
    frame = copy_frame(ev, ops->u.dict);
  } else if (ops->kind == V_LIST || ops->kind == V_TUPLE) {
    frame = copy_frame(ev, top_frame(t));
    for (int i = 0; i < ops->u.list.n; i++) {
      Value *op = ops->u.list.items[i];
      const char *key = tf_argscope_key(t, op);
      if (!key)
        return eval_error(ev, a->pos_spans ? a->pos_spans[0] : a->call_span, "E0733",
                          "%s is not decorated with @add_arg_scope", op_name(ev, op));
      Value *kw = dict_get_str(frame->u.dict, key);
      if (!kw) {
        kw = val_dict(ev);
        dict_set_str(ev, frame->u.dict, key, kw);
      }
      for (int j = kw0; j < a->nkw; j++) {
        dict_set_str(ev, kw->u.dict, a->kw[j], a->kwv[j]);
        TfArgSrc *s = arena_alloc(t->arena, sizeof *s);
        *s = (TfArgSrc){a->kw[j], a->kwv[j], a->kw_spans ? a->kw_spans[j] : a->call_span};
        ptrvec_push(t->arena, &t->argscope_srcs, s);
      }
    }
  } else {
    return eval_error(ev, a->call_span, "E0734",
                      "list_ops_or_scope must either be a list/tuple or reused scope (i.e. dict)");
  }
  ArgScopeCtx *c = arena_alloc(t->arena, sizeof *c);
  c->frame = frame;
  return val_ext(ev, &as_ctx_type, c);
}

/* ---- add_arg_scope: a wrapper that merges the function's defaults at each call ---- */

typedef struct Wrapped { Value *fn; const char *name; } Wrapped;

static Value *wrapper_call(Eval *ev, const Args *a, void *data) {
  Wrapped *w = data;
  Args m;
  if (tf_argscope_merge(tf_lib(ev), w->name, w, NULL, a, &m) < 0) return NULL;
  return eval_call(ev, w->fn, &m);
}

static Value *bi_add_arg_scope(Eval *ev, const Args *a, void *data) {
  (void)data;
  static const char *const params[] = {"func", NULL};
  TfLib *t = tf_lib(ev);
  Value *p[1];
  if (eval_bind_checked(ev, "add_arg_scope", params, 1, a, p) < 0) return NULL;
  Value *fn = p[0];
  if (fn->kind == V_BUILTIN && fn->u.builtin->arg_scope) return fn;
  if (fn->kind != V_FUNC && fn->kind != V_BUILTIN && fn->kind != V_PARTIAL)
    return eval_error(ev, a->call_span, "E0735", "add_arg_scope expects a function, got %s", val_type_name(fn));
  Wrapped *w = arena_alloc(t->arena, sizeof *w);
  w->fn = fn;
  w->name = fn->kind == V_FUNC ? fn->u.func->name : fn->kind == V_BUILTIN ? fn->u.builtin->name : "partial";
  if (fn->kind == V_FUNC) fn->u.func->arg_scope = true;
  Builtin *b = arena_alloc(t->arena, sizeof *b);
  *b = (Builtin){w->name, NULL, 0, wrapper_call, w, true, NULL, true};
  /* functools.wraps: the wrapper starts with the function's attributes */
  if (fn->kind == V_FUNC && fn->u.func->attrs) {
    b->attrs = val_dict(ev)->u.dict;
    Value *k, *x;
    for (int it = 0; dict_next(fn->u.func->attrs, &it, &k, &x);) dict_set(ev, b->attrs, k, x);
  }
  return val_builtin(ev, b);
}

static Value *bi_current_arg_scope(Eval *ev, const Args *a, void *data) {
  (void)data;
  static const char *const params[] = {NULL};
  Value *p[1];
  if (eval_bind(ev, "current_arg_scope", params, a, p) < 0) return NULL;
  return copy_frame(ev, top_frame(tf_lib(ev)));
}

static const Builtin b_arg_scope = {"arg_scope", NULL, 0, bi_arg_scope, NULL, false};
static const Builtin b_add_arg_scope = {"add_arg_scope", NULL, 0, bi_add_arg_scope, NULL, false};
static const Builtin b_current_arg_scope = {"current_arg_scope", NULL, 0, bi_current_arg_scope, NULL, false};

void tf_argscope_register(TfLib *t, Value *slim_ns) {
  Eval *ev = t->ev;
  ns_set(ev, slim_ns, "arg_scope", val_builtin(ev, &b_arg_scope));
  ns_set(ev, slim_ns, "add_arg_scope", val_builtin(ev, &b_add_arg_scope));
  ns_set(ev, slim_ns, "current_arg_scope", val_builtin(ev, &b_current_arg_scope));
}
