/* The interpreter's state and its services (see interp.h): allocation against the
 * memory limit, the one pending error, the step and stack limits, "did you mean"
 * suggestions, the builtin-name table, and the call interface into the evaluator. */
#include "py/interp.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *eval_alloc(Eval *ev, size_t n) {
  void *p = arena_alloc(ev->arena, n);
  if (!p) { /* the arena has its own hard limit: nothing sensible to report */
    fprintf(stderr, "slimc: out of memory\n");
    abort();
  }
  /* every value the program builds comes through here (strings, lists, tuples, dicts,
     materialised ranges), also inside builtins that loop in C: past the limit the
     error is raised at the latest step and iterations stop (iter_next, eval_step) */
  if (!ev->mem_over && ev->arena->used_total - ev->mem_base > ev->opt.max_memory) {
    ev->mem_over = true;
    if (!ev->err) eval_error(ev, ev->cur, "E0314", "evaluation exceeded the memory limit of %zu bytes", ev->opt.max_memory);
  }
  return p;
}

ValCache *eval_valcache(Eval *ev) { return ev->vc; }
Arena *eval_arena(Eval *ev) { return ev->arena; }
Diag *eval_diag(Eval *ev) { return ev->d; }
void *eval_hooks_ud(Eval *ev) { return ev->hooks.ud; }
bool eval_has_error(Eval *ev) { return ev->err; }
Span eval_call_span(Eval *ev) { return ev->frame ? ev->frame->call : SPAN_NONE; }

/* ---- errors ---- */

Value *eval_error(Eval *ev, Span sp, const char *code, const char *fmt, ...) {
  if (ev->err) return NULL; /* the first error wins: evaluation stops there */
  va_list ap;
  va_start(ap, fmt);
  ev->err_msg = arena_vprintf(ev->arena, fmt, ap);
  va_end(ap);
  ev->err = true;
  ev->err_sp = sp;
  ev->err_code = code;
  ev->notes.n = ev->chain.n = 0;
  ev->err_exc = NULL;
  ev->err_ctx = ev->handling;
  return NULL;
}

const char *eval_clear_error(Eval *ev) {
  const char *code = ev->err ? ev->err_code : NULL;
  ev->err = false;
  ev->err_exc = NULL;
  ev->notes.n = ev->chain.n = 0;
  return code;
}

void eval_add_note(Eval *ev, PtrVec *v, Span sp, const char *msg) {
  ENote *n = eval_alloc(ev, sizeof *n);
  n->sp = sp;
  n->msg = msg;
  ptrvec_push(ev->arena, v, n);
}

void eval_note(Eval *ev, Span sp, const char *fmt, ...) {
  if (!ev->err) return;
  va_list ap;
  va_start(ap, fmt);
  eval_add_note(ev, &ev->notes, sp, arena_vprintf(ev->arena, fmt, ap));
  va_end(ap);
}

Span eval_cur_span(Eval *ev) { return ev->cur; }

/* A recursion limit hit by the call at SP, made from "C" (a class's __init__):
   CPython's words for that case. */
void eval_recursion_via_c(Eval *ev, Span sp) {
  if (ev->err && !strcmp(ev->err_code, "E0312") && ev->err_sp.line == sp.line && ev->err_sp.col == sp.col &&
      !strcmp(ev->err_msg, "maximum recursion depth exceeded"))
    ev->err_msg = "maximum recursion depth exceeded while calling a Python object";
}

/* pymod: CPython's rule for "did you mean" (Python/suggestions.c): a weighted Levenshtein
   distance (an insertion, deletion or substitution costs 2, a change of case only 1),
   accepted up to (len(name) + len(candidate) + 3) * 2 / 6; names over 40 bytes are never
   compared. So `lib` never suggests `len` (distance 4 > 3). */
enum { SUG_MOVE = 2, SUG_CASE = 1, SUG_MAX_LEN = 40 };

static int sug_subst(char a, char b) {
  if (a == b) return 0;
  char la = (char)(a >= 'A' && a <= 'Z' ? a + 32 : a), lb = (char)(b >= 'A' && b <= 'Z' ? b + 32 : b);
  return la == lb ? SUG_CASE : SUG_MOVE;
}

/* The distance, or MAX + 1 once it is certainly above MAX. */
static int sug_distance(const char *a, const char *b, int max) {
  int na = (int)strlen(a), nb = (int)strlen(b);
  if (na > SUG_MAX_LEN || nb > SUG_MAX_LEN) return max + 1;
  if (abs(na - nb) * SUG_MOVE > max) return max + 1;
  int row[SUG_MAX_LEN + 1];
  for (int j = 0; j <= nb; j++) row[j] = j * SUG_MOVE;
  for (int i = 1; i <= na; i++) {
    int diag = row[0], best = row[0] = i * SUG_MOVE;
    for (int j = 1; j <= nb; j++) {
      int up = row[j];
      int v = diag + sug_subst(a[i - 1], b[j - 1]);
      if (up + SUG_MOVE < v) v = up + SUG_MOVE;
      if (row[j - 1] + SUG_MOVE < v) v = row[j - 1] + SUG_MOVE;
      row[j] = v;
      diag = up;
      if (v < best) best = v;
    }
    if (best > max) return max + 1;
  }
  return row[nb];
}

const char *eval_suggest(const char *name, const char *const *cands, int n) {
  const char *best = NULL;
  int bestd = 0;
  int nlen = (int)strlen(name);
  for (int i = 0; i < n; i++) {
    if (!cands[i] || strcmp(cands[i], name) == 0) continue;
    int limit = (nlen + (int)strlen(cands[i]) + 3) * SUG_MOVE / 6;
    int dd = sug_distance(name, cands[i], limit);
    /* ties go to the alphabetically first name so the hint never depends on table layout */
    if (dd <= limit && (!best || dd < bestd || (dd == bestd && strcmp(cands[i], best) < 0))) {
      best = cands[i];
      bestd = dd;
    }
  }
  return best;
}

/* ---- resource limits ---- */

bool eval_check_mem(Eval *ev, size_t n, Span sp) {
  size_t used = ev->arena->used_total - ev->mem_base;
  if (used + n > ev->opt.max_memory) {
    eval_error(ev, sp, "E0314", "evaluation exceeded the memory limit of %zu bytes", ev->opt.max_memory);
    return false;
  }
  return true;
}

bool eval_stack_ok(Eval *ev, Span sp) {
  if (stack_guard_ok(&ev->stack)) return true;
  if (!ev->err)
    eval_error(ev, sp, "E0312", "maximum recursion depth exceeded: calls or expressions nested too deeply for "
               "the compiler's stack");
  return false;
}

bool eval_step(Eval *ev, Span sp) {
  if (ev->err) return false;
  ev->cur = sp;
  if (ev->mem_over) return eval_check_mem(ev, SIZE_MAX / 2, sp);
  if (!eval_stack_ok(ev, sp)) return false;
  if (++ev->steps > ev->opt.max_steps) {
    eval_error(ev, sp, "E0313", "evaluation exceeded %lld steps (raise with -fmax-eval-steps=N)",
               (long long)ev->opt.max_steps);
    return false;
  }
  if ((ev->steps & 1023) == 0) return eval_check_mem(ev, 0, sp);
  return true;
}

/* ---- builtin names ---- */

void eval_set_global(Eval *ev, const char *name, Value *v) {
  name = arena_strdup(ev->arena, name);
  tab_put(ev, &ev->builtins, name, hname(name), v);
}

Value *eval_get_global(Eval *ev, const char *name) {
  Slot *s = tab_find(&ev->builtins, name, hname(name));
  return s ? s->v : NULL;
}

/* ---- the call interface (EvalOps, filled by eval_new) ---- */

Value *eval_call(Eval *ev, Value *fn, const Args *a) { return ev->ops->call(ev, fn, a); }
Value *eval_getattr(Eval *ev, Value *obj, const char *name, Span sp) { return ev->ops->getattr(ev, obj, name, sp); }
Value *eval_binop(Eval *ev, AstOp op, Value *l, Value *r, Span sp) { return ev->ops->binop(ev, op, l, r, sp); }
int eval_truthy(Eval *ev, Value *v, Span sp) { return ev->ops->truthy(ev, v, sp); }
Value *eval_iter_list(Eval *ev, Value *v, Span sp) { return ev->ops->iter_list(ev, v, sp); }
void eval_ns_setattr(Eval *ev, Value *ns, const char *name, Value *v) { ev->ops->ns_setattr(ev, ns, name, v); }
