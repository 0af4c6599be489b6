/* f-strings: f'text {expr!r:>{width}} {{literal braces}}' becomes an AST_FSTRING whose
 * parts are AST_STR (escapes decoded as in plain literals) and AST_FORMATTED nodes.
 * A replacement field's expression is parsed by a nested scanner and parser over
 * "(EXPR)\n", positioned at the field's place in the file; nesting is bounded by the
 * four quote kinds (an inner f-string must use other quotes). */
#include "front/lex.h"
#include <string.h>

enum { FSTR_MAX_SPEC_NEST = 2 }; /* CPython: format specs nest at most 2 levels */

static Ast *part_str(LexCtx *c, PARSE_YYLTYPE *loc, const char *s, size_t n, bool raw) {
  Ast *p = ast_new(c->arena, AST_STR, lex_span(c, loc));
  lex_decode_part(c, loc, s, n, raw, &p->u.str.s, &p->u.str.len);
  return p;
}

/* Parses EXPR (N bytes) as an expression; an AST_ERROR after reporting why not. */
static Ast *field_expr(LexCtx *c, PARSE_YYLTYPE *loc, const char *expr, size_t n, int line, int col) {
  Span sp = lex_span(c, loc);
  size_t k = 0;
  while (k < n && (expr[k] == ' ' || expr[k] == '\t' || expr[k] == '\n')) k++;
  if (k == n) {
    diag_error(c->d, sp, "E0030", "f-string: empty expression not allowed");
    return ast_new(c->arena, AST_ERROR, sp);
  }
  char *buf = arena_alloc(c->arena, n + 4);
  buf[0] = '(';
  memcpy(buf + 1, expr, n);
  buf[n + 1] = ')';
  buf[n + 2] = '\n';
  buf[n + 3] = 0;
  LexCtx sub;
  lex_init_text(&sub, c->arena, c->d, c->file, buf, n + 3, line, col > 1 ? col - 1 : 1);
  Ast *m = ast_new(c->arena, AST_MODULE, sp);
  sub.module = m;
  int before = c->d->nerrors;
  lex_parse(&sub);
  lex_fini(&sub);
  if (c->d->nerrors > before) return ast_new(c->arena, AST_ERROR, sp);
  if (m->u.module.body.n != 1 || m->u.module.body.items[0]->kind != AST_EXPR_STMT) {
    diag_error(c->d, sp, "E0030", "f-string: invalid expression");
    return ast_new(c->arena, AST_ERROR, sp);
  }
  return m->u.module.body.items[0]->u.expr.value;
}

/* The body S[0..N) of an f-string (or of a format spec, NEST > 0) into parts of OUT.
   LINE/COL: where S starts in the file (for the fields' positions). */
static void fstr_body(LexCtx *c, PARSE_YYLTYPE *loc, const char *s, size_t n, bool raw, int nest, Ast *out,
                      int line, int col) {
  size_t lit = 0, i = 0;
  char *tmp = arena_alloc(c->arena, n + 1);
  Span sp = lex_span(c, loc);
#define FLUSH()                                                                 \
  do {                                                                          \
    if (lit) ast_list_push(c->arena, &out->u.list.items, part_str(c, loc, tmp, lit, raw)); \
    lit = 0;                                                                    \
  } while (0)
  int fline = line, fcol = col; /* position of s[i] */
#define ADV(k)                                          \
  do {                                                  \
    for (size_t a_ = 0; a_ < (k); a_++, i++) {          \
      if (s[i] == '\n') { fline++; fcol = 1; }          \
      else fcol++;                                      \
    }                                                   \
  } while (0)
  while (i < n) {
    char ch = s[i];
    if (ch == '{' && i + 1 < n && s[i + 1] == '{' && nest == 0) { tmp[lit++] = '{'; ADV(2); continue; }
    if (ch == '}' && i + 1 < n && s[i + 1] == '}' && nest == 0) { tmp[lit++] = '}'; ADV(2); continue; }
    if (ch == '}') {
      diag_error(c->d, sp, "E0030", "f-string: single '}' is not allowed");
      return;
    }
    if (ch == '\\' && !raw && i + 1 < n) { /* an escape stays whole for the decoder */
      tmp[lit++] = s[i];
      tmp[lit++] = s[i + 1];
      ADV(2);
      continue;
    }
    if (ch != '{') { tmp[lit++] = ch; ADV(1); continue; }
    FLUSH();
    ADV(1);
    int eline = fline, ecol = fcol;
    size_t start = i;
    int depth = 0;
    char q = 0;
    /* the expression ends at a top-level '}', '!' (not '!=') or ':' */
    while (i < n) {
      char d = s[i];
      if (q) {
        if (d == '\\' && i + 1 < n) { ADV(2); continue; }
        if (d == q) q = 0;
        ADV(1);
        continue;
      }
      if (d == '\'' || d == '"') { q = d; ADV(1); continue; }
      if (d == '(' || d == '[' || d == '{') depth++;
      else if ((d == ')' || d == ']' || d == '}') && depth > 0) depth--;
      else if (depth == 0 && (d == '}' || d == ':' || (d == '!' && !(i + 1 < n && s[i + 1] == '=')))) break;
      ADV(1);
    }
    if (i >= n || q) {
      diag_error(c->d, sp, "E0030", "f-string: expecting '}'");
      return;
    }
    Ast *f = ast_new(c->arena, AST_FORMATTED, sp);
    f->u.fmt.value = field_expr(c, loc, s + start, i - start, eline, ecol);
    if (s[i] == '!') {
      ADV(1);
      if (i + 1 >= n || (s[i] != 'r' && s[i] != 's' && s[i] != 'a') || (s[i + 1] != '}' && s[i + 1] != ':')) {
        diag_error(c->d, sp, "E0030", "f-string: invalid conversion character: expected 's', 'r', or 'a'");
        return;
      }
      f->u.fmt.conv = s[i];
      ADV(1);
    }
    if (s[i] == ':') {
      ADV(1);
      if (nest >= FSTR_MAX_SPEC_NEST) {
        diag_error(c->d, sp, "E0030", "f-string: expressions nested too deeply");
        return;
      }
      size_t ss = i;
      int sline = fline, scol = fcol, bd = 0;
      while (i < n && !(s[i] == '}' && bd == 0)) {
        if (s[i] == '{') bd++;
        else if (s[i] == '}') bd--;
        ADV(1);
      }
      if (i >= n) {
        diag_error(c->d, sp, "E0030", "f-string: expecting '}'");
        return;
      }
      Ast *spec = ast_new(c->arena, AST_FSTRING, sp);
      fstr_body(c, loc, s + ss, i - ss, raw, nest + 1, spec, sline, scol);
      f->u.fmt.spec = spec;
    }
    if (i >= n || s[i] != '}') {
      diag_error(c->d, sp, "E0030", "f-string: expecting '}'");
      return;
    }
    ADV(1);
    ast_list_push(c->arena, &out->u.list.items, f);
  }
  FLUSH();
#undef FLUSH
#undef ADV
}

Ast *lex_fstring(LexCtx *c, PARSE_YYLTYPE *loc, const char *tok, size_t n) {
  Ast *out = ast_new(c->arena, AST_FSTRING, lex_span(c, loc));
  bool raw = false;
  size_t p = 0;
  while (p < n && tok[p] != '\'' && tok[p] != '"') {
    if (tok[p] == 'r' || tok[p] == 'R') raw = true;
    p++;
  }
  size_t q = n - p >= 6 && tok[p] == tok[p + 1] && tok[p + 1] == tok[p + 2] ? 3 : 1;
  if (n - p < 2 * q) return out;
  fstr_body(c, loc, tok + p + q, n - p - 2 * q, raw, 0, out, loc->first_line, loc->first_column + (int)(p + q));
  return out;
}
