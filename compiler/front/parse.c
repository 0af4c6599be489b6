/* Front end entry points: encoding check, lexer + parser run, token dump, and
 * the checks the grammar leaves out on purpose (it accepts more than is valid
 * so that these can say something precise). */
#include "front/parse.h"
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "front/lex.h"

/* ---- encoding ---- */

enum { MAX_ENCODING_ERRORS = 5 }; /* a binary file would otherwise bury the first error */

/* Length of the valid UTF-8 sequence at S (at most N bytes), or 0. */
static int utf8_len(const unsigned char *s, size_t n) {
  unsigned ch = s[0];
  int len;
  unsigned min;
  if (ch < 0x80) return 1;
  if (ch >= 0xc2 && ch <= 0xdf) len = 2, min = 0x80;
  else if (ch >= 0xe0 && ch <= 0xef) len = 3, min = 0x800;
  else if (ch >= 0xf0 && ch <= 0xf4) len = 4, min = 0x10000;
  else return 0;
  if ((size_t)len > n) return 0;
  unsigned cp = ch & (0xff >> (len + 1));
  for (int i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80) return 0;
    cp = cp << 6 | (s[i] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

static bool check_encoding(Diag *d, int file) {
  const SrcFile *f = src_file(d->sm, file);
  const unsigned char *s = (const unsigned char *)f->text;
  int line = 1, col = 1, nerr = 0;
  for (size_t i = 0; i < f->len && nerr < MAX_ENCODING_ERRORS;) {
    Span sp = {file, line, col, line, col};
    if (s[i] == 0) {
      diag_error(d, sp, "E0002", "NUL byte in source file");
      nerr++;
      i++, col++;
      continue;
    }
    int n = utf8_len(s + i, f->len - i);
    if (n == 0) {
      diag_error(d, sp, "E0001", "invalid UTF-8 byte 0x%02x in source file", s[i]);
      nerr++;
      n = 1;
    }
    if (s[i] == '\n') line++, col = 1;
    else col += n;
    i += (size_t)n;
  }
  return nerr == 0;
}

/* ---- checks after parsing ---- */

typedef struct Check {
  Diag *d;
  int in_def;   /* inside def / model bodies */
  int in_loop;  /* inside for bodies (reset by def) */
  int depth;    /* statement nesting: 0 = top level */
} Check;

static void check_expr(Check *k, const Ast *n);
static void check_stmts(Check *k, const AstList *l);

static const char *describe(const Ast *n) {
  switch (n->kind) {
  case AST_CALL: return "a function call";
  case AST_INT: case AST_FLOAT: case AST_STR: return "a literal";
  case AST_BOOL: return n->u.ival ? "True" : "False";
  case AST_NONE: return "None";
  case AST_COMPARE: return "a comparison";
  case AST_LAMBDA: return "a lambda";
  case AST_IFEXP: return "a conditional expression";
  case AST_DICT: return "a dict display";
  case AST_LISTCOMP: case AST_DICTCOMP: return "a comprehension";
  case AST_AND: case AST_OR: case AST_NOT: case AST_BINOP: case AST_UNOP: return "an operator expression";
  default: return "this expression";
  }
}

/* Assignment, for, with-as and comprehension targets. */
static void check_target(Check *k, const Ast *n, bool in_seq) {
  switch (n->kind) {
  case AST_NAME: return;
  case AST_ATTR: check_expr(k, n->u.attr.obj); return;
  case AST_INDEX: check_expr(k, n); return;
  case AST_ERROR: return;
  case AST_TUPLE: case AST_LIST: {
    int nstar = 0;
    for (int i = 0; i < n->u.list.items.n; i++) {
      const Ast *t = n->u.list.items.items[i];
      if (t->kind == AST_STARRED && ++nstar == 2)
        diag_error(k->d, t->span, "E0204", "multiple starred expressions in one assignment target");
      check_target(k, t, true);
    }
    return;
  }
  case AST_STARRED:
    if (!in_seq)
      diag_error(k->d, n->span, "E0203", "a starred assignment target must be in a list or tuple");
    check_target(k, n->u.un.operand, false);
    return;
  default:
    diag_error(k->d, n->span, "E0200", "cannot assign to %s", describe(n));
  }
}

/* Names seen so far in one argument or parameter list -> the node that gave each, so
   that finding a repeat is linear in the list (100k keywords were 5*10^9 strcmp). */
typedef struct NameSet { const char **names; const Ast **at; size_t cap, n; } NameSet;

static uint64_t nameset_hash(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

/* The node that added NAME before, or NULL after adding it with AT (also when out of memory). */
static const Ast *nameset_add(NameSet *m, const char *name, const Ast *at) {
  if ((m->n + 1) * 2 > m->cap) {
    size_t nc = m->cap ? m->cap * 2 : 16;
    const char **nn = calloc(nc, sizeof *nn);
    const Ast **na = calloc(nc, sizeof *na);
    if (!nn || !na) {
      free(nn);
      free(na);
      return NULL;
    }
    for (size_t i = 0; i < m->cap; i++)
      if (m->names[i]) {
        size_t j = nameset_hash(m->names[i]) & (nc - 1);
        while (nn[j]) j = (j + 1) & (nc - 1);
        nn[j] = m->names[i];
        na[j] = m->at[i];
      }
    free(m->names);
    free(m->at);
    m->names = nn, m->at = na, m->cap = nc;
  }
  size_t i = nameset_hash(name) & (m->cap - 1);
  for (; m->names[i]; i = (i + 1) & (m->cap - 1))
    if (!strcmp(m->names[i], name)) return m->at[i];
  m->names[i] = name;
  m->at[i] = at;
  m->n++;
  return NULL;
}

static void nameset_free(NameSet *m) {
  free(m->names);
  free(m->at);
}

static void check_args(Check *k, const AstList *args) {
  NameSet seen = {0};
  bool kw = false, dstar = false;
  for (int i = 0; i < args->n; i++) {
    const Ast *a = args->items[i];
    switch (a->u.arg.kind) {
    case ARG_POS:
      if (dstar)
        diag_error(k->d, a->span, "E0206", "positional argument follows keyword argument unpacking");
      else if (kw)
        diag_error(k->d, a->span, "E0205", "positional argument follows keyword argument");
      break;
    case ARG_STAR:
      if (dstar)
        diag_error(k->d, a->span, "E0206", "iterable argument unpacking follows keyword argument unpacking");
      break;
    case ARG_KW: {
      kw = true;
      const Ast *b = nameset_add(&seen, a->u.arg.name, a);
      if (b) {
        diag_error(k->d, a->span, "E0207", "keyword argument '%s' repeated", a->u.arg.name);
        diag_note(k->d, b->span, "first given here");
      }
      break;
    }
    case ARG_DSTAR: dstar = true; break;
    }
    check_expr(k, a->u.arg.value);
  }
  nameset_free(&seen);
}

static void check_params(Check *k, const AstList *ps) {
  bool deflt = false, star = false, dstar = false;
  NameSet seen = {0};
  for (int i = 0; i < ps->n; i++) {
    const Ast *p = ps->items[i];
    if (dstar) {
      diag_error(k->d, p->span, "E0211", "no parameter may follow '**' parameter");
      break;
    }
    const Ast *q = p->u.param.name ? nameset_add(&seen, p->u.param.name, p) : NULL;
    if (q) {
      diag_error(k->d, p->span, "E0208", "duplicate parameter '%s'", p->u.param.name);
      diag_note(k->d, q->span, "first declared here");
    }
    switch (p->u.param.kind) {
    case PARAM_PLAIN: case PARAM_TENSOR:
      if (p->u.param.deflt) deflt = true;
      else if (deflt && !star)
        diag_error(k->d, p->span, "E0209", "parameter '%s' without a default follows a parameter with a default",
                   p->u.param.name);
      break;
    case PARAM_STAR:
      if (star) diag_error(k->d, p->span, "E0212", "only one '*' parameter is allowed");
      star = true;
      if (!p->u.param.name && (i + 1 == ps->n || ((const Ast *)ps->items[i + 1])->u.param.kind == PARAM_DSTAR))
        diag_error(k->d, p->span, "E0210", "named parameters must follow a bare '*'");
      break;
    case PARAM_DSTAR: dstar = true; break;
    }
    if (p->u.param.deflt) check_expr(k, p->u.param.deflt);
  }
  nameset_free(&seen);
}

/* Model parameters: tensors with a known dtype and dims, or options with a value. */
static void check_model_params(Check *k, const AstList *ps) {
  static const char *const dtypes[] = {
    "f16", "bf16", "f32", "f64", "i8", "i32", "i64", "u8", "bool", "float16", "bfloat16", "float32",
    "float64", "int8", "int32", "int64", "uint8", "half", "float", "double",
  };
  for (int i = 0; i < ps->n; i++) {
    const Ast *p = ps->items[i];
    if (p->u.param.kind == PARAM_TENSOR) {
      bool ok = false;
      for (size_t j = 0; j < sizeof dtypes / sizeof *dtypes; j++) ok |= strcmp(dtypes[j], p->u.param.dtype) == 0;
      if (!ok)
        diag_error(k->d, p->span, "E0217",
                   "unknown dtype '%s' for input '%s' (expected f16, bf16, f32, f64, i8, i32, i64, u8, bool "
                   "or a TF name such as float32)", p->u.param.dtype, p->u.param.name);
      for (int j = 0; j < p->u.param.ndims; j++) {
        if (p->u.param.dims[j] < 0 && j > 0)
          diag_error(k->d, p->span, "E0218", "'?' is allowed only as the first (batch) dimension of '%s'",
                     p->u.param.name);
        else if (p->u.param.dims[j] == 0)
          diag_error(k->d, p->span, "E0219", "dimension %d of input '%s' must be positive", j + 1,
                     p->u.param.name);
      }
    } else if (!p->u.param.deflt) {
      diag_error(k->d, p->span, "E0220",
                 "model parameter '%s' needs a tensor type (name: f32[dims]) or a default value",
                 p->u.param.name);
    }
  }
}

static void check_gens(Check *k, AstGen **gens, int n) {
  for (int i = 0; i < n; i++) {
    check_target(k, gens[i]->target, false);
    check_expr(k, gens[i]->iter);
    for (int j = 0; j < gens[i]->conds.n; j++) check_expr(k, gens[i]->conds.items[j]);
  }
}

/* The children of chain node N that are not on the chain (ast_chain_next). */
static void check_rest(Check *k, const Ast *n) {
  switch (n->kind) {
  case AST_BINOP: case AST_AND: case AST_OR: check_expr(k, n->u.bin.rhs); break;
  case AST_CALL: check_args(k, &n->u.call.args); break;
  case AST_INDEX: check_expr(k, n->u.index.index); break;
  default: break;
  }
}

static void check_expr(Check *k, const Ast *n) {
  if (!n) return;
  if (ast_chain_next(n)) { /* a left-deep chain, in a loop: bottom-up, in source order */
    int len = 0;
    const Ast *x = n;
    for (; ast_chain_next(x); x = ast_chain_next(x)) len++;
    const Ast **spine = malloc(sizeof *spine * (size_t)len);
    if (!spine) return;
    len = 0;
    for (x = n; ast_chain_next(x); x = ast_chain_next(x)) spine[len++] = x;
    check_expr(k, x);
    for (int i = len - 1; i >= 0; i--) check_rest(k, spine[i]);
    free(spine);
    return;
  }
  switch (n->kind) {
  case AST_TUPLE: case AST_LIST:
    for (int i = 0; i < n->u.list.items.n; i++) {
      const Ast *e = n->u.list.items.items[i];
      check_expr(k, e->kind == AST_STARRED ? e->u.un.operand : e); /* pyexc: [*xs, y] */
    }
    break;
  case AST_DICT:
    for (int i = 0; i < n->u.dict.keys.n; i++) {
      check_expr(k, n->u.dict.keys.items[i]);
      check_expr(k, n->u.dict.values.items[i]);
    }
    break;
  case AST_LISTCOMP: case AST_DICTCOMP:
    check_gens(k, n->u.comp.gens, n->u.comp.ngens);
    check_expr(k, n->u.comp.key);
    check_expr(k, n->u.comp.elt);
    break;
  case AST_UNOP: case AST_NOT: check_expr(k, n->u.un.operand); break;
  case AST_STARRED:
    diag_error(k->d, n->span, "E0202", "a starred expression is allowed only as an assignment target");
    break;
  case AST_COMPARE:
    check_expr(k, n->u.cmp.first);
    for (int i = 0; i < n->u.cmp.rest.n; i++) check_expr(k, n->u.cmp.rest.items[i]);
    break;
  case AST_IFEXP:
    check_expr(k, n->u.ifexp.cond);
    check_expr(k, n->u.ifexp.then);
    check_expr(k, n->u.ifexp.els);
    break;
  case AST_LAMBDA:
    check_params(k, &n->u.fn.params);
    check_expr(k, n->u.fn.body.items[0]);
    break;
  case AST_SLICE:
    check_expr(k, n->u.slice.lo);
    check_expr(k, n->u.slice.hi);
    check_expr(k, n->u.slice.step);
    break;
  /* pyexc */
  case AST_YIELD: case AST_YIELD_FROM:
    if (!k->in_def) diag_error(k->d, n->span, "E0230", "'yield' outside function");
    check_expr(k, n->u.expr.value);
    break;
  case AST_FSTRING:
    for (int i = 0; i < n->u.list.items.n; i++) check_expr(k, n->u.list.items.items[i]);
    break;
  case AST_FORMATTED:
    check_expr(k, n->u.fmt.value);
    check_expr(k, n->u.fmt.spec);
    break;
  default: break;
  }
}

/* pyexc: del targets: names, attributes, subscripts, and tuples/lists of them. */
static void check_del(Check *k, const Ast *n) {
  switch (n->kind) {
  case AST_NAME: case AST_ERROR: return;
  case AST_ATTR: check_expr(k, n->u.attr.obj); return;
  case AST_INDEX: check_expr(k, n); return;
  case AST_TUPLE: case AST_LIST:
    for (int i = 0; i < n->u.list.items.n; i++) check_del(k, n->u.list.items.items[i]);
    return;
  default: diag_error(k->d, n->span, "E0231", "cannot delete %s", describe(n));
  }
}

static void check_body(Check *k, const AstList *body, bool def, bool loop) {
  Check inner = *k;
  inner.depth++;
  if (def) inner.in_def++, inner.in_loop = 0;
  if (loop) inner.in_loop++;
  check_stmts(&inner, body);
  k->d = inner.d;
}

static void check_stmt(Check *k, const Ast *n) {
  switch (n->kind) {
  case AST_EXPR_STMT: check_expr(k, n->u.expr.value); break;
  case AST_ASSIGN:
    for (int i = 0; i < n->u.assign.targets.n; i++) check_target(k, n->u.assign.targets.items[i], false);
    check_expr(k, n->u.assign.value);
    break;
  case AST_AUGASSIGN: {
    AstKind t = n->u.aug.target->kind;
    if (t != AST_NAME && t != AST_ATTR && t != AST_INDEX && t != AST_ERROR)
      diag_error(k->d, n->u.aug.target->span, "E0201", "'%s=' cannot update %s", ast_op_name(n->u.aug.op),
                 t == AST_TUPLE ? "a tuple" : describe(n->u.aug.target));
    else
      check_expr(k, n->u.aug.target);
    check_expr(k, n->u.aug.value);
    break;
  }
  case AST_RETURN:
    if (!k->in_def) diag_error(k->d, n->span, "E0213", "'return' outside a function or model");
    check_expr(k, n->u.expr.value);
    break;
  case AST_BREAK: case AST_CONTINUE:
    if (!k->in_loop)
      diag_error(k->d, n->span, "E0214", "'%s' outside a loop", n->kind == AST_BREAK ? "break" : "continue");
    break;
  case AST_RAISE:
    check_expr(k, n->u.expr.value);
    check_expr(k, n->u.raise.cause);
    break;
  case AST_ASSERT:
    check_expr(k, n->u.assert_.cond);
    check_expr(k, n->u.assert_.msg);
    break;
  case AST_IF: /* an elif chain, in a loop */
    for (;; n = n->u.if_.orelse.items[0]) {
      check_expr(k, n->u.if_.cond);
      check_body(k, &n->u.if_.body, false, false);
      if (n->u.if_.orelse.n != 1 || n->u.if_.orelse.items[0]->kind != AST_IF) {
        check_body(k, &n->u.if_.orelse, false, false);
        break;
      }
    }
    break;
  case AST_FOR:
    check_target(k, n->u.for_.target, false);
    check_expr(k, n->u.for_.iter);
    check_body(k, &n->u.for_.body, false, true);
    check_body(k, &n->u.for_.orelse, false, false);
    break;
  /* pyexc */
  case AST_TRY:
    check_body(k, &n->u.try_.body, false, false);
    for (int i = 0; i < n->u.try_.handlers.n; i++) {
      const Ast *h = n->u.try_.handlers.items[i];
      if (!h->u.except_.type && i + 1 < n->u.try_.handlers.n)
        diag_error(k->d, h->span, "E0233", "default 'except:' must be last");
      check_expr(k, h->u.except_.type);
      check_body(k, &h->u.except_.body, false, false);
    }
    check_body(k, &n->u.try_.orelse, false, false);
    check_body(k, &n->u.try_.finalbody, false, false);
    break;
  case AST_DEL:
    for (int i = 0; i < n->u.list.items.n; i++) check_del(k, n->u.list.items.items[i]);
    break;
  case AST_NONLOCAL:
    if (!k->in_def) diag_error(k->d, n->span, "E0232", "nonlocal declaration not allowed at module level");
    break;
  case AST_WHILE:
    check_expr(k, n->u.while_.cond);
    check_body(k, &n->u.while_.body, false, true);
    check_body(k, &n->u.while_.orelse, false, false); /* a break there leaves an outer loop */
    break;
  case AST_WITH:
    for (int i = 0; i < n->u.with.items.n; i++) {
      const Ast *w = n->u.with.items.items[i];
      check_expr(k, w->u.withitem.ctx);
      if (w->u.withitem.as) check_target(k, w->u.withitem.as, false);
    }
    check_body(k, &n->u.with.body, false, false);
    break;
  case AST_DEF:
    for (int i = 0; i < n->u.fn.decorators.n; i++) check_expr(k, n->u.fn.decorators.items[i]);
    check_params(k, &n->u.fn.params);
    check_body(k, &n->u.fn.body, true, false);
    break;
  case AST_CLASS: { /* pyclass: a class body is no function and no loop */
    for (int i = 0; i < n->u.cls.decorators.n; i++) check_expr(k, n->u.cls.decorators.items[i]);
    check_args(k, &n->u.cls.bases);
    Check inner = *k;
    inner.depth++;
    inner.in_def = 0;
    inner.in_loop = 0;
    check_stmts(&inner, &n->u.cls.body);
    k->d = inner.d;
    break;
  }
  case AST_MODEL:
    if (k->depth > 0) diag_error(k->d, n->span, "E0215", "'model' declarations must be at the top level");
    check_params(k, &n->u.fn.params);
    check_model_params(k, &n->u.fn.params);
    check_body(k, &n->u.fn.body, true, false);
    break;
  case AST_LOAD:
    if (k->depth > 0) diag_error(k->d, n->span, "E0216", "'load' must be at the top level");
    if (n->u.load.names.n == 0)
      diag_error(k->d, n->span, "E0221", "'load' names no symbols to import");
    break;
  default: break;
  }
}

static void check_stmts(Check *k, const AstList *l) {
  for (int i = 0; i < l->n; i++) check_stmt(k, l->items[i]);
}

/* ---- entry points ---- */

Ast *parse_file(Arena *arena, Diag *d, int file_idx) {
  const SrcFile *f = src_file(d->sm, file_idx);
  Span whole = {file_idx, 1, 1, 1, 1};
  Ast *m = ast_new(arena, AST_MODULE, whole);
  if (!f) return m;
  m->u.module.path = f->path;
  if (!check_encoding(d, file_idx)) return m;

  LexCtx c;
  lex_init(&c, arena, d, file_idx);
  c.module = m;
  lex_parse(&c);
  m->span.end_line = c.line;
  m->span.end_col = c.col;
  lex_fini(&c);

  Check k = {.d = d};
  check_stmts(&k, &m->u.module.body);
  return m;
}

void parse_dump_tokens(FILE *out, Arena *arena, Diag *d, int file_idx) {
  if (!src_file(d->sm, file_idx) || !check_encoding(d, file_idx)) return;
  LexCtx c;
  lex_init(&c, arena, d, file_idx);
  char buf[64];
  for (;;) {
    PARSE_YYSTYPE v;
    PARSE_YYLTYPE l;
    int k = lex_next(&v, &l, &c);
    fprintf(out, "%d:%d %s", l.first_line, l.first_column, lex_token_name(k, buf, sizeof buf));
    switch (k) {
    case T_NAME: case T_RESERVED: fprintf(out, " %s", v.name); break;
    case T_INT: fprintf(out, " %" PRId64, v.ival); break;
    case T_FLOAT: fprintf(out, " %.17g", v.fval); break;
    case T_STRING: {
      fputs(" \"", out);
      for (size_t i = 0; i < v.str.len; i++) {
        unsigned char ch = (unsigned char)v.str.s[i];
        if (ch == '"' || ch == '\\') fprintf(out, "\\%c", ch);
        else if (ch < 0x20 || ch == 0x7f) fprintf(out, "\\x%02x", ch);
        else fputc(ch, out);
      }
      fputc('"', out);
      break;
    }
    case T_AUGOP: fprintf(out, " %s=", ast_op_name((AstOp)v.op)); break;
    default: break;
    }
    fputc('\n', out);
    if (k == T_YYEOF) break;
  }
  lex_fini(&c);
}
