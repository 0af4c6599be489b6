/* Calls from C: callable names, argument binding with Python's rules, conversion
 * helpers, and the table-described native functions (see callargs.h). */
#include "py/callargs.h"
#include <string.h>

const char *eval_callable_name(Value *fn) {
  switch (fn->kind) {
  case V_FUNC: return fn->u.func->name;
  case V_BUILTIN: return fn->u.builtin->name;
  case V_PARTIAL: return eval_callable_name(fn->u.partial->fn);
  case V_CLASS: return fn->u.cls->name;
  default: return val_type_name(fn);
  }
}

Value *eval_call_pos(Eval *ev, Value *fn, Value **argv, int argc, Span sp) {
  Span spans[8];
  Args a = {.pos = argv, .npos = argc, .call_span = sp};
  if (argc <= 8) {
    for (int i = 0; i < argc; i++) spans[i] = sp;
    a.pos_spans = spans;
  }
  return eval_call(ev, fn, &a);
}

/* ---- binding ---- */

static const char *name_list(Eval *ev, const char **names, int n) {
  /* 'a', 'a' and 'b', 'a', 'b', and 'c' like Python */
  const char *s = "";
  for (int i = 0; i < n; i++) {
    const char *sep = i == 0 ? "" : (n == 2 ? " and " : (i == n - 1 ? ", and " : ", "));
    s = arena_printf(ev->arena, "%s%s'%s'", s, sep, names[i]);
  }
  return s;
}

/* Binds A to SPEC; OUT has npos + nkwonly (+1 star) (+1 dstar) slots; absent
   optional params stay NULL. CHECK_MISSING is off for eval_bind (builtins
   with defaults check for NULL themselves). */
int eval_bind_spec(Eval *ev, const char *fname, const ParamSpec *ps, const Args *a, Value **out, bool check_missing) {
  int nnamed = ps->npos + ps->nkwonly;
  Span sp = a->call_span;
  int np = a->npos;
  if (np > ps->npos && ps->star < 0) {
    int nreq = 0;
    for (int i = 0; i < ps->npos; i++) nreq += !ps->has_default[i];
    const char *takes;
    if (nreq == ps->npos)
      takes = arena_printf(ev->arena, "%d positional argument%s", ps->npos, ps->npos == 1 ? "" : "s");
    else
      takes = arena_printf(ev->arena, "from %d to %d positional arguments", nreq, ps->npos);
    eval_error(ev, a->npos > ps->npos && a->pos_spans ? a->pos_spans[ps->npos] : sp, "E0303",
               "%s() takes %s but %d %s given", fname, takes, np, np == 1 ? "was" : "were");
    return -1;
  }
  for (int i = 0; i < np && i < ps->npos; i++) out[i] = a->pos[i];
  if (ps->star >= 0) {
    int extra = np > ps->npos ? np - ps->npos : 0;
    out[ps->star] = val_tuple_of(ev, a->pos + ps->npos, extra);
  }
  Value *kwd = ps->dstar >= 0 ? val_dict(ev) : NULL;
  for (int k = 0; k < a->nkw; k++) {
    const char *kn = a->kw[k];
    Span ks = a->kw_spans ? a->kw_spans[k] : sp;
    int j = -1;
    for (int i = 0; i < nnamed; i++)
      if (strcmp(ps->names[i], kn) == 0) { j = i; break; }
    if (j < 0) {
      if (kwd) {
        if (dict_get_str(kwd->u.dict, kn)) {
          eval_error(ev, ks, "E0303", "%s() got multiple values for keyword argument '%s'", fname, kn);
          return -1;
        }
        dict_set_str(ev, kwd->u.dict, kn, a->kwv[k]);
        continue;
      }
      /* CPython's (and so TF's) text; the suggestion is a note */
      const char *sug = eval_suggest(kn, ps->names, nnamed);
      eval_error(ev, ks, "E0303", "%s() got an unexpected keyword argument '%s'", fname, kn);
      if (sug) eval_note(ev, ks, "did you mean '%s'?", sug);
      return -1;
    }
    if (out[j]) {
      eval_error(ev, ks, "E0303", "%s() got multiple values for argument '%s'", fname, kn);
      return -1;
    }
    out[j] = a->kwv[k];
  }
  if (kwd) out[ps->dstar] = kwd;
  if (check_missing) {
    const char *miss[64];
    int nm = 0;
    for (int i = 0; i < ps->npos; i++)
      if (!out[i] && !ps->has_default[i] && nm < 64) miss[nm++] = ps->names[i];
    if (nm) {
      eval_error(ev, sp, "E0303", "%s() missing %d required positional argument%s: %s", fname, nm,
                 nm == 1 ? "" : "s", name_list(ev, miss, nm));
      return -1;
    }
    for (int i = ps->npos; i < nnamed; i++)
      if (!out[i] && !ps->has_default[i] && nm < 64) miss[nm++] = ps->names[i];
    if (nm) {
      eval_error(ev, sp, "E0303", "%s() missing %d required keyword-only argument%s: %s", fname, nm,
                 nm == 1 ? "" : "s", name_list(ev, miss, nm));
      return -1;
    }
  }
  return 0;
}

/* A builtin's "a", "b", "*args", "**kw" list as a ParamSpec; slot order is the
   order of PARAMS (eval_bind's contract). */
static int builtin_bind(Eval *ev, const char *fname, const char *const *params, int nrequired, const Args *a,
                        Value **out, bool check) {
  int n = 0;
  while (params[n]) n++;
  ParamSpec ps = {.star = -1, .dstar = -1};
  ps.names = eval_alloc(ev, sizeof(char *) * (size_t)(n + 1));
  ps.has_default = eval_alloc(ev, sizeof(bool) * (size_t)(n + 1));
  int *slot = eval_alloc(ev, sizeof(int) * (size_t)(n + 1));
  bool seen_star = false;
  for (int i = 0; i < n; i++) {
    const char *p = params[i];
    if (p[0] == '*' && p[1] == '*') { ps.dstar = i; continue; }
    if (p[0] == '*' && !p[1]) { seen_star = true; continue; } /* bare '*': keyword-only marker */
    if (p[0] == '*') { ps.star = i; seen_star = true; continue; }
    slot[ps.npos + ps.nkwonly] = i;
    ps.has_default[ps.npos + ps.nkwonly] = i >= nrequired;
    ps.names[ps.npos + ps.nkwonly] = p;
    if (seen_star) ps.nkwonly++;
    else ps.npos++;
  }
  int nn = ps.npos + ps.nkwonly;
  Value **tmp = eval_alloc(ev, sizeof(Value *) * (size_t)(nn + 2));
  int star = ps.star, dstar = ps.dstar;
  ps.star = star >= 0 ? nn : -1;
  ps.dstar = dstar >= 0 ? nn + 1 : -1;
  if (eval_bind_spec(ev, fname, &ps, a, tmp, check) < 0) return -1;
  for (int i = 0; i < n; i++) out[i] = NULL;
  for (int i = 0; i < nn; i++) out[slot[i]] = tmp[i];
  if (star >= 0) out[star] = tmp[nn];
  if (dstar >= 0) out[dstar] = tmp[nn + 1];
  return 0;
}

int eval_bind_checked(Eval *ev, const char *fname, const char *const *params, int nrequired, const Args *a,
                      Value **out) {
  return builtin_bind(ev, fname, params, nrequired, a, out, true);
}

int eval_bind(Eval *ev, const char *fname, const char *const *params, const Args *a, Value **out) {
  int n = 0;
  while (params[n]) n++;
  return builtin_bind(ev, fname, params, n, a, out, false) < 0 ? -1 : 0;
}

/* pyclass: the namedtuple part of an instance of C (a namedtuple type or a class
   derived from one); NTNAME names the generated __new__ in argument errors. */
Value *eval_nt_new(Eval *ev, ClassT *c, const char *ntname, const Args *a) {
  const char **params = eval_alloc(ev, sizeof(char *) * (size_t)(c->nfields + 1));
  for (int i = 0; i < c->nfields; i++) params[i] = c->fields[i];
  Value **out = eval_alloc(ev, sizeof(Value *) * (size_t)(c->nfields + 1));
  const char *fname = arena_printf(ev->arena, "%s.__new__", ntname);
  if (builtin_bind(ev, fname, params, c->nfields, a, out, true) < 0) return NULL;
  Value *v = eval_alloc(ev, sizeof *v);
  v->kind = V_INSTANCE;
  v->u.inst = eval_alloc(ev, sizeof *v->u.inst);
  v->u.inst->cls = c;
  v->u.inst->vals = out;
  return v;
}

/* ---- conversions ---- */

/* An absent argument (NULL from eval_bind) reaching a conversion was a required one. */
static bool missing_arg(Eval *ev, Value *v, Span sp, const char *what) {
  if (v) return false;
  eval_error(ev, sp, "E0303", "missing required argument '%s'", what);
  return true;
}

bool eval_to_int(Eval *ev, Value *v, Span sp, const char *what, int64_t *out) {
  if (missing_arg(ev, v, sp, what)) return false;
  if (v->kind == V_INT) { *out = v->u.i; return true; }
  if (v->kind == V_BOOL) { *out = v->u.b; return true; }
  eval_error(ev, sp, "E0302", "%s must be int, got %s", what, val_type_name(v));
  return false;
}

bool eval_to_float(Eval *ev, Value *v, Span sp, const char *what, double *out) {
  if (missing_arg(ev, v, sp, what)) return false;
  if (v->kind == V_FLOAT) { *out = v->u.f; return true; }
  if (v->kind == V_INT) { *out = (double)v->u.i; return true; }
  if (v->kind == V_BOOL) { *out = v->u.b; return true; }
  eval_error(ev, sp, "E0302", "%s must be float, got %s", what, val_type_name(v));
  return false;
}

bool eval_str_nul_free(Eval *ev, Value *v, Span sp, const char *what) {
  if (v->kind != V_STR || !memchr(v->u.str.s, 0, v->u.str.len)) return true;
  eval_error(ev, sp, "E0306", "ValueError: %s %s contains a NUL character (TF: not a valid name)", what,
             val_repr(ev, v));
  return false;
}

bool eval_to_str(Eval *ev, Value *v, Span sp, const char *what, const char **out) {
  if (missing_arg(ev, v, sp, what)) return false;
  if (v->kind == V_STR) {
    if (!eval_str_nul_free(ev, v, sp, what)) return false;
    *out = v->u.str.s;
    return true;
  }
  eval_error(ev, sp, "E0302", "%s must be str, got %s", what, val_type_name(v));
  return false;
}

/* ---- table-described native functions ---- */

const char *const py_meth_o[] = {"obj", NULL};

Value *py_fn_dispatch(Eval *ev, const Args *a, void *data) {
  PyFnBound *b = data;
  Value *v[8] = {0};
  if (b->m->params == py_meth_o) {
    if (a->nkw) return eval_error(ev, a->call_span, "E0303", "%s() takes no keyword arguments", b->m->name);
    if (a->npos != 1)
      return eval_error(ev, a->call_span, "E0303", "%s() takes exactly one argument (%d given)", b->m->name, a->npos);
  }
  if (b->m->params && eval_bind_checked(ev, b->m->name, b->m->params, b->m->nreq, a, v) < 0) return NULL;
  return b->m->fn(ev, b->self, v, a);
}

Value *py_fn_new(Eval *ev, const PyFn *m, Value *self) {
  PyFnBound *b = eval_alloc(ev, sizeof *b);
  b->self = self;
  b->m = m;
  Builtin *bi = eval_alloc(ev, sizeof *bi);
  bi->name = m->name;
  bi->fn = py_fn_dispatch;
  bi->data = b;
  return val_builtin(ev, bi);
}
