/* AST construction helpers and the --dump=ast text form. */
#include "front/ast.h"
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

Ast *ast_new(Arena *a, AstKind kind, Span span) {
  Ast *n = arena_alloc(a, sizeof *n);
  n->kind = kind;
  n->span = span;
  return n;
}

void ast_list_push(Arena *a, AstList *l, Ast *node) {
  if (l->n == l->cap) {
    int cap = l->cap ? l->cap * 2 : 4;
    l->items = arena_realloc(a, l->items, sizeof(Ast *) * (size_t)l->cap, sizeof(Ast *) * (size_t)cap);
    l->cap = cap;
  }
  l->items[l->n++] = node;
}

static const char *const kind_names[] = {
  [AST_NAME] = "NAME", [AST_INT] = "INT", [AST_FLOAT] = "FLOAT", [AST_STR] = "STR",
  [AST_BOOL] = "BOOL", [AST_NONE] = "NONE", [AST_TUPLE] = "TUPLE", [AST_LIST] = "LIST",
  [AST_DICT] = "DICT", [AST_LISTCOMP] = "LISTCOMP", [AST_DICTCOMP] = "DICTCOMP",
  [AST_BINOP] = "BINOP", [AST_UNOP] = "UNOP", [AST_AND] = "AND", [AST_OR] = "OR", [AST_NOT] = "NOT",
  [AST_COMPARE] = "COMPARE", [AST_IFEXP] = "IFEXP", [AST_LAMBDA] = "LAMBDA", [AST_CALL] = "CALL",
  [AST_ARG] = "ARG", [AST_ATTR] = "ATTR", [AST_INDEX] = "INDEX", [AST_SLICE] = "SLICE",
  [AST_STARRED] = "STARRED", [AST_EXPR_STMT] = "EXPR_STMT", [AST_ASSIGN] = "ASSIGN",
  [AST_AUGASSIGN] = "AUGASSIGN", [AST_RETURN] = "RETURN", [AST_PASS] = "PASS", [AST_BREAK] = "BREAK",
  [AST_CONTINUE] = "CONTINUE", [AST_RAISE] = "RAISE", [AST_ASSERT] = "ASSERT", [AST_IF] = "IF",
  [AST_FOR] = "FOR", [AST_WHILE] = "WHILE", [AST_WITH] = "WITH", [AST_WITH_ITEM] = "WITH_ITEM", [AST_DEF] = "DEF",
  [AST_MODEL] = "MODEL", [AST_PARAM] = "PARAM", [AST_LOAD] = "LOAD", [AST_IMPORT] = "IMPORT",
  [AST_FROM_IMPORT] = "FROM_IMPORT", [AST_IMPORT_NAME] = "IMPORT_NAME", [AST_MODULE] = "MODULE",
  [AST_ERROR] = "ERROR",
  [AST_TRY] = "TRY", [AST_EXCEPT] = "EXCEPT", [AST_DEL] = "DEL", [AST_GLOBAL] = "GLOBAL",
  [AST_NONLOCAL] = "NONLOCAL", [AST_YIELD] = "YIELD", [AST_YIELD_FROM] = "YIELD_FROM",
  [AST_FSTRING] = "FSTRING", [AST_FORMATTED] = "FORMATTED",
  [AST_CLASS] = "CLASS", /* pyclass */
};

const char *ast_kind_name(AstKind k) {
  return (unsigned)k < sizeof kind_names / sizeof *kind_names && kind_names[k] ? kind_names[k] : "?";
}

static const char *const op_names[] = {
  [OP_ADD] = "+", [OP_SUB] = "-", [OP_MUL] = "*", [OP_DIV] = "/", [OP_FLOORDIV] = "//",
  [OP_MOD] = "%", [OP_POW] = "**", [OP_MATMUL] = "@", [OP_NEG] = "-", [OP_POS] = "+",
  [OP_INVERT] = "~", [OP_EQ] = "==", [OP_NE] = "!=", [OP_LT] = "<", [OP_LE] = "<=",
  [OP_GT] = ">", [OP_GE] = ">=", [OP_IN] = "in", [OP_NOT_IN] = "not in", [OP_IS] = "is",
  [OP_IS_NOT] = "is not",
};

const char *ast_op_name(AstOp op) {
  return (unsigned)op < sizeof op_names / sizeof *op_names && op_names[op] ? op_names[op] : "?";
}

/* ---- dump ---- */

static void put_str(FILE *out, const char *s, size_t len) {
  fputc('"', out);
  for (size_t i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)s[i];
    switch (ch) {
    case '"': fputs("\\\"", out); break;
    case '\\': fputs("\\\\", out); break;
    case '\n': fputs("\\n", out); break;
    case '\t': fputs("\\t", out); break;
    case '\r': fputs("\\r", out); break;
    default:
      if (ch < 0x20 || ch == 0x7f) fprintf(out, "\\x%02x", ch);
      else fputc(ch, out);
    }
  }
  fputc('"', out);
}

/* The shortest text that reads back as the same double, so goldens stay stable. */
static void put_float(FILE *out, double v) {
  char buf[64];
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (strtod(buf, NULL) == v) break;
  }
  fputs(buf, out);
  if (!strpbrk(buf, ".eEn")) fputs(".0", out); /* keep 1.0 distinguishable from 1 */
}

/* Two spaces a level up to DUMP_MAX_INDENT levels; deeper lines carry their depth as
   a number instead, so the dump of a 100,000-term sum stays linear in size (its
   indentation alone used to be quadratic: 800 MB for a 40 KB file). */
enum { DUMP_MAX_INDENT = 40 };

static void indent(FILE *out, int depth) {
  for (int i = 0; i < depth && i < DUMP_MAX_INDENT; i++) fputs("  ", out);
  if (depth > DUMP_MAX_INDENT) fprintf(out, "[%d] ", depth);
}

const Ast *ast_chain_next(const Ast *n) {
  switch (n->kind) {
  case AST_BINOP: case AST_AND: case AST_OR: return n->u.bin.lhs;
  case AST_CALL: return n->u.call.fn;
  case AST_ATTR: return n->u.attr.obj;
  case AST_INDEX: return n->u.index.obj;
  default: return NULL;
  }
}

static void dump(FILE *out, const Ast *n, int depth, const char *label);

static void dump_list(FILE *out, const AstList *l, int depth, const char *label) {
  for (int i = 0; i < l->n; i++) dump(out, l->items[i], depth, label);
}

static void dump_children(FILE *out, const Ast *n, int d);

/* The children of chain node N that are not on the chain, at depth D. */
static void dump_rest(FILE *out, const Ast *n, int d) {
  switch (n->kind) {
  case AST_BINOP: case AST_AND: case AST_OR: dump(out, n->u.bin.rhs, d, NULL); break;
  case AST_CALL: dump_list(out, &n->u.call.args, d, NULL); break;
  case AST_INDEX: dump(out, n->u.index.index, d, "index"); break;
  default: break;
  }
}

static void dump_line(FILE *out, const Ast *n, int depth, const char *label);

/* A left-deep chain (a + b + c ..., f()()..., a.b.c, a[0][0]) is printed in a loop:
   its nodes top-down, the innermost operand, then the other children bottom-up. */
static void dump(FILE *out, const Ast *n, int depth, const char *label) {
  if (!n) return;
  int k = 0;
  const Ast *x = n;
  for (; ast_chain_next(x); x = ast_chain_next(x)) k++;
  if (k == 0) {
    dump_line(out, n, depth, label);
    dump_children(out, n, depth + 1);
    return;
  }
  const Ast **spine = malloc(sizeof *spine * (size_t)k);
  if (!spine) return;
  x = n;
  for (int i = 0; i < k; i++, x = ast_chain_next(x)) {
    spine[i] = x;
    dump_line(out, x, depth + i, label);
    label = x->kind == AST_CALL ? "fn" : NULL;
  }
  dump(out, x, depth + k, label);
  for (int i = k - 1; i >= 0; i--) dump_rest(out, spine[i], depth + i + 1);
  free(spine);
}

static void dump_line(FILE *out, const Ast *n, int depth, const char *label) {
  indent(out, depth);
  if (label) fprintf(out, "%s: ", label);
  fputs(ast_kind_name(n->kind), out);
  /* fields on the node's own line first */
  switch (n->kind) {
  case AST_NAME: fprintf(out, " %s", n->u.name); break;
  case AST_INT: fprintf(out, " %" PRId64, n->u.ival); break;
  case AST_FLOAT: fputc(' ', out); put_float(out, n->u.fval); break;
  case AST_STR: fputc(' ', out); put_str(out, n->u.str.s, n->u.str.len); break;
  case AST_BOOL: fputs(n->u.ival ? " True" : " False", out); break;
  case AST_BINOP: case AST_UNOP: fprintf(out, " '%s'", ast_op_name(n->kind == AST_BINOP ? n->u.bin.op : n->u.un.op)); break;
  case AST_COMPARE:
    for (int i = 0; i < n->u.cmp.rest.n; i++) fprintf(out, " '%s'", ast_op_name(n->u.cmp.ops[i]));
    break;
  case AST_ARG: {
    static const char *const k[] = {"pos", "kw", "star", "dstar"};
    fprintf(out, " %s", k[n->u.arg.kind]);
    if (n->u.arg.name) fprintf(out, " %s", n->u.arg.name);
    break;
  }
  case AST_ATTR: fprintf(out, " .%s", n->u.attr.name); break;
  case AST_EXCEPT: if (n->u.except_.name) fprintf(out, " as %s", n->u.except_.name); break;
  case AST_FORMATTED: if (n->u.fmt.conv) fprintf(out, " !%c", n->u.fmt.conv); break;
  case AST_AUGASSIGN: fprintf(out, " '%s='", ast_op_name(n->u.aug.op)); break;
  case AST_DEF: case AST_MODEL: fprintf(out, " %s", n->u.fn.name); break;
  case AST_CLASS: fprintf(out, " %s", n->u.cls.name); break;
  case AST_PARAM: {
    static const char *const k[] = {"plain", "star", "dstar", "tensor"};
    fprintf(out, " %s %s", k[n->u.param.kind], n->u.param.name ? n->u.param.name : "(bare)");
    if (n->u.param.kind == PARAM_TENSOR) {
      fprintf(out, " %s[", n->u.param.dtype);
      for (int i = 0; i < n->u.param.ndims; i++) {
        if (i) fputs(", ", out);
        if (n->u.param.dims[i] < 0) fputc('?', out);
        else fprintf(out, "%" PRId64, n->u.param.dims[i]);
      }
      fputc(']', out);
    }
    break;
  }
  case AST_IMPORT: case AST_FROM_IMPORT:
    fprintf(out, " %s", n->u.import.module);
    if (n->kind == AST_IMPORT && n->u.import.alias) fprintf(out, " as %s", n->u.import.alias);
    break;
  case AST_IMPORT_NAME:
    fprintf(out, " %s", n->u.impname.name);
    if (n->u.impname.alias) fprintf(out, " as %s", n->u.impname.alias);
    break;
  default: break;
  }
  if (n->span.file >= 0)
    fprintf(out, " @%d:%d-%d:%d", n->span.line, n->span.col, n->span.end_line, n->span.end_col);
  fputc('\n', out);
}

/* The children of N, one a line, labelled by their role (chains: see dump). */
static void dump_children(FILE *out, const Ast *n, int d) {
  switch (n->kind) {
  case AST_TUPLE: case AST_LIST: dump_list(out, &n->u.list.items, d, NULL); break;
  case AST_DICT:
    for (int i = 0; i < n->u.dict.keys.n; i++) {
      dump(out, n->u.dict.keys.items[i], d, "key");
      dump(out, n->u.dict.values.items[i], d, "value");
    }
    break;
  case AST_LISTCOMP: case AST_DICTCOMP:
    dump(out, n->u.comp.key, d, "key");
    dump(out, n->u.comp.elt, d, n->kind == AST_DICTCOMP ? "value" : "elt");
    for (int i = 0; i < n->u.comp.ngens; i++) {
      const AstGen *g = n->u.comp.gens[i];
      indent(out, d);
      fputs("for:\n", out);
      dump(out, g->target, d + 1, "target");
      dump(out, g->iter, d + 1, "iter");
      dump_list(out, &g->conds, d + 1, "if");
    }
    break;
  case AST_UNOP: case AST_NOT: case AST_STARRED: dump(out, n->u.un.operand, d, NULL); break;
  case AST_COMPARE:
    dump(out, n->u.cmp.first, d, NULL);
    dump_list(out, &n->u.cmp.rest, d, NULL);
    break;
  case AST_IFEXP:
    dump(out, n->u.ifexp.cond, d, "cond");
    dump(out, n->u.ifexp.then, d, "then");
    dump(out, n->u.ifexp.els, d, "else");
    break;
  case AST_LAMBDA:
    dump_list(out, &n->u.fn.params, d, "param");
    dump_list(out, &n->u.fn.body, d, "body");
    break;
  case AST_ARG: dump(out, n->u.arg.value, d, NULL); break;
  case AST_SLICE:
    dump(out, n->u.slice.lo, d, "lo");
    dump(out, n->u.slice.hi, d, "hi");
    dump(out, n->u.slice.step, d, "step");
    break;
  case AST_EXPR_STMT: case AST_RETURN: dump(out, n->u.expr.value, d, NULL); break;
  case AST_RAISE:
    dump(out, n->u.raise.value, d, NULL);
    dump(out, n->u.raise.cause, d, "from");
    break;
  case AST_TRY:
    dump_list(out, &n->u.try_.body, d, "body");
    dump_list(out, &n->u.try_.handlers, d, NULL);
    dump_list(out, &n->u.try_.orelse, d, "else");
    dump_list(out, &n->u.try_.finalbody, d, "finally");
    break;
  case AST_EXCEPT:
    dump(out, n->u.except_.type, d, "type");
    dump_list(out, &n->u.except_.body, d, "body");
    break;
  case AST_DEL: case AST_GLOBAL: case AST_NONLOCAL: case AST_FSTRING: dump_list(out, &n->u.list.items, d, NULL); break;
  case AST_YIELD: case AST_YIELD_FROM: dump(out, n->u.expr.value, d, NULL); break;
  case AST_FORMATTED:
    dump(out, n->u.fmt.value, d, NULL);
    dump(out, n->u.fmt.spec, d, "spec");
    break;
  case AST_ASSIGN:
    dump_list(out, &n->u.assign.targets, d, "target");
    dump(out, n->u.assign.value, d, "value");
    break;
  case AST_AUGASSIGN:
    dump(out, n->u.aug.target, d, "target");
    dump(out, n->u.aug.value, d, "value");
    break;
  case AST_ASSERT:
    dump(out, n->u.assert_.cond, d, NULL);
    dump(out, n->u.assert_.msg, d, "msg");
    break;
  case AST_IF: /* an elif chain: a loop, each elif one level deeper as before */
    for (;;) {
      dump(out, n->u.if_.cond, d, "cond");
      dump_list(out, &n->u.if_.body, d, "then");
      if (n->u.if_.orelse.n != 1 || n->u.if_.orelse.items[0]->kind != AST_IF) {
        dump_list(out, &n->u.if_.orelse, d, "else");
        break;
      }
      n = n->u.if_.orelse.items[0];
      dump_line(out, n, d, "else");
      d++;
    }
    break;
  case AST_FOR:
    dump(out, n->u.for_.target, d, "target");
    dump(out, n->u.for_.iter, d, "iter");
    dump_list(out, &n->u.for_.body, d, "body");
    dump_list(out, &n->u.for_.orelse, d, "else");
    break;
  case AST_WHILE:
    dump(out, n->u.while_.cond, d, "cond");
    dump_list(out, &n->u.while_.body, d, "body");
    dump_list(out, &n->u.while_.orelse, d, "else");
    break;
  case AST_WITH:
    dump_list(out, &n->u.with.items, d, NULL);
    dump_list(out, &n->u.with.body, d, "body");
    break;
  case AST_WITH_ITEM:
    dump(out, n->u.withitem.ctx, d, NULL);
    dump(out, n->u.withitem.as, d, "as");
    break;
  case AST_DEF: case AST_MODEL:
    dump_list(out, &n->u.fn.decorators, d, "decorator");
    dump_list(out, &n->u.fn.params, d, "param");
    dump_list(out, &n->u.fn.body, d, "body");
    break;
  case AST_PARAM: dump(out, n->u.param.deflt, d, "default"); break;
  case AST_CLASS:
    dump_list(out, &n->u.cls.decorators, d, "decorator");
    dump_list(out, &n->u.cls.bases, d, "base");
    dump_list(out, &n->u.cls.body, d, "body");
    break;
  case AST_LOAD:
    dump(out, n->u.load.path, d, "path");
    dump_list(out, &n->u.load.names, d, NULL);
    break;
  case AST_FROM_IMPORT: case AST_IMPORT: dump_list(out, &n->u.import.names, d, NULL); break; /* pymod: import a, b */
  case AST_MODULE: dump_list(out, &n->u.module.body, d, NULL); break;
  default: break;
  }
}

void ast_dump(FILE *out, const Ast *module) { dump(out, module, 0, NULL); }
