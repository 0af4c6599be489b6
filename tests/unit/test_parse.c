/* Front end: lexer (token dump), parser (AST shape, spans, recovery) and the
 * limits on hostile input. Each test parses text from memory. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>
#include "front/parse.h"

typedef struct Fx {
  Arena arena;
  SrcMgr sm;
  Diag d;
  char *err;   /* diagnostics text */
  size_t errlen;
  FILE *errf;
} Fx;

static Fx fx;

static void setup(void) {
  memset(&fx, 0, sizeof fx);
  arena_init(&fx.arena);
  src_init(&fx.sm, &fx.arena);
  fx.errf = open_memstream(&fx.err, &fx.errlen);
  diag_init(&fx.d, &fx.sm, fx.errf, DIAG_COLOR_NEVER);
}

static void teardown(void) {
  fclose(fx.errf);
  free(fx.err);
  arena_free(&fx.arena);
}

static Ast *parse_n(const char *text, size_t len) {
  int f = src_add(&fx.sm, "t.slim", text, len);
  Ast *m = parse_file(&fx.arena, &fx.d, f);
  fflush(fx.errf);
  return m;
}

static Ast *parse(const char *text) { return parse_n(text, strlen(text)); }

/* Caller frees. */
static char *dump_ast(const Ast *m) {
  char *s = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&s, &n);
  ast_dump(f, m);
  fclose(f);
  return s;
}

static char *dump_tokens(const char *text) {
  int file = src_add(&fx.sm, "t.slim", text, strlen(text));
  char *s = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&s, &n);
  parse_dump_tokens(f, &fx.arena, &fx.d, file);
  fclose(f);
  fflush(fx.errf);
  return s;
}

static Ast *stmt(const Ast *m, int i) {
  cr_assert_lt(i, m->u.module.body.n);
  return m->u.module.body.items[i];
}

TestSuite(lex, .init = setup, .fini = teardown);
TestSuite(parse, .init = setup, .fini = teardown);
TestSuite(ast, .init = setup, .fini = teardown);

/* ---- lexer ---- */

Test(lex, indentation_tokens) {
  char *t = dump_tokens("if a:\n\n    # c\n    b = 1\nc\n");
  cr_expect_str_eq(t, "1:1 'if'\n1:4 NAME a\n1:5 ':'\n1:6 NEWLINE\n4:5 INDENT\n4:5 NAME b\n4:7 '='\n"
                      "4:9 INT 1\n4:10 NEWLINE\n4:10 DEDENT\n5:1 NAME c\n5:2 NEWLINE\n6:1 EOF\n");
  free(t);
  cr_expect_eq(fx.d.nerrors, 0);
}

Test(lex, dedent_to_outer_level_emits_several) {
  char *t;
  int n = 0;
  t = dump_tokens("if a:\n  if b:\n    c\nd");
  for (const char *p = t; (p = strstr(p, "DEDENT")); p++) n++;
  cr_expect_eq(n, 2);
  cr_expect(strstr(t, "4:2 NEWLINE\n"), "a NEWLINE is supplied at EOF without one:\n%s", t);
  free(t);
}

Test(lex, brackets_join_lines_and_backslash_continues) {
  char *t = dump_tokens("x = (1,\n  2) + \\\n 3\n");
  cr_expect_str_eq(t, "1:1 NAME x\n1:3 '='\n1:5 '('\n1:6 INT 1\n1:7 ','\n2:3 INT 2\n2:4 ')'\n2:6 '+'\n"
                      "3:2 INT 3\n3:3 NEWLINE\n4:1 EOF\n");
  free(t);
}

Test(lex, literals) {
  Ast *m = parse("a = 0x2A + 0o52 + 0b10_1010 + 42\nb = 1e-3\nc = 'a' \"b\" r'\\d' '''x\ny'''\n"
                 "d = '\\x41\\u00e9\\n'\ne = 9223372036854775807\n");
  cr_assert_eq(fx.d.nerrors, 0, "%s", fx.err);
  const Ast *sum = stmt(m, 0)->u.assign.value;
  cr_expect_eq(sum->u.bin.rhs->u.ival, 42);
  cr_expect_eq(sum->u.bin.lhs->u.bin.rhs->u.ival, 42);
  cr_expect_float_eq(stmt(m, 1)->u.assign.value->u.fval, 1e-3, 1e-15);
  const Ast *s = stmt(m, 2)->u.assign.value;
  cr_expect_eq(s->u.str.len, 7);
  cr_expect(memcmp(s->u.str.s, "ab\\dx\ny", 7) == 0);
  cr_expect_str_eq(stmt(m, 3)->u.assign.value->u.str.s, "A\xc3\xa9\n");
  cr_expect_eq(stmt(m, 4)->u.assign.value->u.ival, INT64_MAX);
}

/* inline arrays: parameters are copied into a fresh test process, pointers would dangle */
struct BadLex { char src[40]; char code[8]; };

ParameterizedTestParameters(lex, errors) {
  static struct BadLex cases[] = {
    {"x = 9223372036854775808\n", "E0011"}, {"x = 0x1_0000_0000_0000_0000\n", "E0011"},
    {"x = 12ab\n", "E0012"}, {"x = 007\n", "E0013"}, {"x = 'abc\n", "E0007"},
    {"x = '''abc\n", "E0008"}, {"x = '\\xg0'\n", "E0009"}, {"x = '\\ud800'\n", "E0010"},
    {"def f():\n\tpass\n", "E0003"}, {"if a:\n    b\n  c\n", "E0004"}, {"x = 1 $ 2\n", "E0005"},
    {"x = a | b\n", "E0006"}, {"x = (1, 2]\n", "E0016"}, {"x = 1)\n", "E0015"}, {"x = (1,\n", "E0017"},
    {"x = 1 \\ 2\n", "E0018"},
  };
  return cr_make_param_array(struct BadLex, cases, sizeof cases / sizeof *cases);
}

ParameterizedTest(struct BadLex *c, lex, errors) {
  parse(c->src);
  cr_expect_geq(fx.d.nerrors, 1, "%s", c->src);
  cr_expect(strstr(fx.err, c->code), "expected %s for %s, got:\n%s", c->code, c->src, fx.err);
  cr_expect(strstr(fx.err, "t.slim:"), "errors name the file:\n%s", fx.err);
}

Test(lex, invalid_utf8_and_nul_are_located) {
  parse_n("x = 1\ny = '\xff'\n", 13);
  cr_expect(strstr(fx.err, "t.slim:2:6: error: invalid UTF-8 byte 0xff"), "%s", fx.err);
  parse_n("x = 1\0\n", 7);
  cr_expect(strstr(fx.err, "t.slim:1:6: error: NUL byte"), "%s", fx.err);
}

/* ---- parser ---- */

Test(parse, model_declaration) {
  Ast *m = parse("model net(x: f32[1, 224, 224, 3], y: float32[?, 10], k=2):\n    return x\n");
  cr_assert_eq(fx.d.nerrors, 0, "%s", fx.err);
  const Ast *md = stmt(m, 0);
  cr_assert_eq(md->kind, AST_MODEL);
  cr_expect_str_eq(md->u.fn.name, "net");
  cr_assert_eq(md->u.fn.params.n, 3);
  const Ast *x = md->u.fn.params.items[0], *y = md->u.fn.params.items[1], *k = md->u.fn.params.items[2];
  cr_expect_eq(x->u.param.kind, PARAM_TENSOR);
  cr_expect_str_eq(x->u.param.dtype, "f32");
  cr_assert_eq(x->u.param.ndims, 4);
  cr_expect_eq(x->u.param.dims[1], 224);
  cr_expect_eq(y->u.param.dims[0], -1);
  cr_expect_eq(k->u.param.kind, PARAM_PLAIN);
  cr_expect_eq(k->u.param.deflt->u.ival, 2);
}

Test(parse, model_and_load_are_contextual) {
  Ast *m = parse("load = 1\nmodel = load\nx.model = 2\nload('a.slim', 'b', c = 'd')\n");
  cr_assert_eq(fx.d.nerrors, 0, "%s", fx.err);
  cr_expect_eq(stmt(m, 0)->kind, AST_ASSIGN);
  cr_expect_eq(stmt(m, 1)->kind, AST_ASSIGN);
  cr_expect_eq(stmt(m, 2)->kind, AST_ASSIGN);
  const Ast *l = stmt(m, 3);
  cr_assert_eq(l->kind, AST_LOAD);
  cr_expect_str_eq(l->u.load.path->u.str.s, "a.slim");
  cr_assert_eq(l->u.load.names.n, 2);
  const Ast *alias = l->u.load.names.items[1];
  cr_expect_str_eq(alias->u.impname.name, "d");
  cr_expect_str_eq(alias->u.impname.alias, "c");
}

Test(parse, chained_comparison_is_one_node) {
  Ast *m = parse("x = a < b <= c not in d\ny = (a < b) < c\n");
  cr_assert_eq(fx.d.nerrors, 0, "%s", fx.err);
  const Ast *c = stmt(m, 0)->u.assign.value;
  cr_assert_eq(c->kind, AST_COMPARE);
  cr_assert_eq(c->u.cmp.rest.n, 3);
  cr_expect_eq(c->u.cmp.ops[0], OP_LT);
  cr_expect_eq(c->u.cmp.ops[1], OP_LE);
  cr_expect_eq(c->u.cmp.ops[2], OP_NOT_IN);
  const Ast *p = stmt(m, 1)->u.assign.value;
  cr_expect_eq(p->u.cmp.rest.n, 1);
  cr_expect_eq(p->u.cmp.first->kind, AST_COMPARE);
}

Test(parse, targets_and_slices) {
  Ast *m = parse("a, *rest = b = x[1:2:3, :, 0]\n");
  cr_assert_eq(fx.d.nerrors, 0, "%s", fx.err);
  const Ast *as = stmt(m, 0);
  cr_assert_eq(as->u.assign.targets.n, 2);
  const Ast *t = as->u.assign.targets.items[0];
  cr_assert_eq(t->kind, AST_TUPLE);
  cr_expect_eq(t->u.list.items.items[1]->kind, AST_STARRED);
  const Ast *idx = as->u.assign.value->u.index.index;
  cr_assert_eq(idx->kind, AST_TUPLE);
  cr_assert_eq(idx->u.list.items.n, 3);
  const Ast *s0 = idx->u.list.items.items[0], *s1 = idx->u.list.items.items[1];
  cr_expect_eq(s0->u.slice.step->u.ival, 3);
  cr_expect_null(s1->u.slice.lo);
  cr_expect_null(s1->u.slice.hi);
}

Test(parse, def_params_and_decorators) {
  Ast *m = parse("@add_arg_scope\n@a.b(1)\ndef f(a, b=1, *args, c, d=2, **kw):\n    return a\n"
                 "def g(*, k): return k\n");
  cr_assert_eq(fx.d.nerrors, 0, "%s", fx.err);
  const Ast *f = stmt(m, 0);
  cr_expect_eq(f->u.fn.decorators.n, 2);
  cr_expect_eq(f->u.fn.decorators.items[1]->kind, AST_CALL);
  static const AstParamKind kinds[] = {PARAM_PLAIN, PARAM_PLAIN, PARAM_STAR, PARAM_PLAIN, PARAM_PLAIN, PARAM_DSTAR};
  cr_assert_eq(f->u.fn.params.n, 6);
  for (int i = 0; i < 6; i++) cr_expect_eq(f->u.fn.params.items[i]->u.param.kind, kinds[i]);
  const Ast *g = stmt(m, 1);
  cr_expect_null(g->u.fn.params.items[0]->u.param.name);
  cr_expect_eq(g->u.fn.body.items[0]->kind, AST_RETURN);
}

Test(parse, comprehensions_lambda_ifexp) {
  Ast *m = parse("l = [x for x in a if x if y for z in b]\nd = {k: v for k, v in c}\n"
                 "f = lambda d: max(int(d * m), 8) if d else None\n");
  cr_assert_eq(fx.d.nerrors, 0, "%s", fx.err);
  const Ast *l = stmt(m, 0)->u.assign.value;
  cr_assert_eq(l->kind, AST_LISTCOMP);
  cr_assert_eq(l->u.comp.ngens, 2);
  cr_expect_eq(l->u.comp.gens[0]->conds.n, 2);
  cr_expect_eq(stmt(m, 1)->u.assign.value->kind, AST_DICTCOMP);
  const Ast *f = stmt(m, 2)->u.assign.value;
  cr_assert_eq(f->kind, AST_LAMBDA, "lambda's body holds the whole conditional");
  cr_expect_eq(f->u.fn.body.items[0]->kind, AST_IFEXP);
}

Test(parse, shared_syntax_errors_both_reported) {
  /* /work/shared/conformance/naming/syntax_errors.slim: two independent errors */
  parse("import tensorflow as tf\n\nmodel m(x: f32[1, 4]):\n    y = tf.nn.relu(x\n    return y\n\n"
        "def broken(a, b)\n    return a +\n");
  cr_expect_geq(fx.d.nerrors, 2);
  cr_expect(strstr(fx.err, "t.slim:4:"), "%s", fx.err);
  cr_expect(strstr(fx.err, "t.slim:7:17: error: expected ':' before end of line"), "%s", fx.err);
}

Test(parse, recovery_reports_every_line_up_to_the_limit) {
  char src[64 * 30] = "";
  for (int i = 0; i < 30; i++) strcat(src, "x = (1 +)\n");
  Ast *m = parse(src);
  cr_expect_eq(fx.d.nerrors, 30);
  cr_expect(strstr(fx.err, "too many errors"), "%s", fx.err);
  cr_expect_eq(m->kind, AST_MODULE);
}

Test(parse, caret_under_the_token) {
  parse("x = [1 2]\n");
  cr_expect_str_eq(fx.err, "t.slim:1:8: error: expected ',' or ']' before integer literal [E0100]\n"
                           "  x = [1 2]\n         ^\n");
}

Test(parse, deep_nesting_is_an_error_not_a_crash) {
  enum { N = 10000 };
  char *src = malloc(2 * N + 8);
  strcpy(src, "x = ");
  memset(src + 4, '(', N);
  src[4 + N] = '1';
  memset(src + 5 + N, ')', N);
  strcpy(src + 5 + 2 * N, "\n");
  parse(src);
  free(src);
  cr_expect_eq(fx.d.nerrors, 1);
  cr_expect(strstr(fx.err, "E0014"), "%s", fx.err);
}

Test(parse, deep_unary_chain_is_an_error_not_a_crash) {
  enum { N = 100000 };
  char *src = malloc(N + 8);
  strcpy(src, "x = ");
  memset(src + 4, '-', N);
  strcpy(src + 4 + N, "1\n");
  parse(src);
  free(src);
  cr_expect(strstr(fx.err, "E0103"), "%s", fx.err);
}

Test(parse, ten_megabyte_line) {
  enum { N = 10 * 1000 * 1000 };
  char *src = malloc(N + 16);
  strcpy(src, "x = '");
  memset(src + 5, 'a', N);
  strcpy(src + 5 + N, "'\n");
  Ast *m = parse(src);
  free(src);
  cr_assert_eq(fx.d.nerrors, 0, "%s", fx.err);
  cr_expect_eq(stmt(m, 0)->u.assign.value->u.str.len, (size_t)N);
}

Test(parse, checks_after_parsing) {
  parse("f() = 1\ndef g(a=1, b):\n    break\nreturn 2\nf(a=1, a=2)\n");
  cr_expect(strstr(fx.err, "E0200"), "%s", fx.err);
  cr_expect(strstr(fx.err, "E0209"), "%s", fx.err);
  cr_expect(strstr(fx.err, "E0214"), "%s", fx.err);
  cr_expect(strstr(fx.err, "E0213"), "%s", fx.err);
  cr_expect(strstr(fx.err, "E0207"), "%s", fx.err);
}

/* ---- AST ---- */

static void check_spans(const Ast *n, int *count) {
  if (!n) return;
  (*count)++;
  cr_expect_geq(n->span.file, 0, "%s has no file", ast_kind_name(n->kind));
  cr_expect_geq(n->span.line, 1, "%s has no line", ast_kind_name(n->kind));
  cr_expect(n->span.end_line > n->span.line || (n->span.end_line == n->span.line && n->span.end_col >= n->span.col),
            "%s span ends before it starts", ast_kind_name(n->kind));
  switch (n->kind) {
  case AST_ASSIGN:
    for (int i = 0; i < n->u.assign.targets.n; i++) check_spans(n->u.assign.targets.items[i], count);
    check_spans(n->u.assign.value, count);
    break;
  case AST_CALL:
    check_spans(n->u.call.fn, count);
    for (int i = 0; i < n->u.call.args.n; i++) check_spans(n->u.call.args.items[i], count);
    break;
  case AST_ARG: check_spans(n->u.arg.value, count); break;
  case AST_ATTR: check_spans(n->u.attr.obj, count); break;
  case AST_BINOP: check_spans(n->u.bin.lhs, count); check_spans(n->u.bin.rhs, count); break;
  case AST_WITH:
    for (int i = 0; i < n->u.with.items.n; i++) check_spans(n->u.with.items.items[i], count);
    for (int i = 0; i < n->u.with.body.n; i++) check_spans(n->u.with.body.items[i], count);
    break;
  case AST_WITH_ITEM: check_spans(n->u.withitem.ctx, count); check_spans(n->u.withitem.as, count); break;
  case AST_DEF: case AST_MODEL:
    for (int i = 0; i < n->u.fn.params.n; i++) check_spans(n->u.fn.params.items[i], count);
    for (int i = 0; i < n->u.fn.body.n; i++) check_spans(n->u.fn.body.items[i], count);
    break;
  case AST_RETURN: case AST_EXPR_STMT: check_spans(n->u.expr.value, count); break;
  case AST_LIST: case AST_TUPLE:
    for (int i = 0; i < n->u.list.items.n; i++) check_spans(n->u.list.items.items[i], count);
    break;
  case AST_MODULE:
    for (int i = 0; i < n->u.module.body.n; i++) check_spans(n->u.module.body.items[i], count);
    break;
  default: break;
  }
}

Test(ast, every_node_has_a_span) {
  Ast *m = parse("import tf_slim as slim\n\ndef vgg_arg_scope(weight_decay=0.0005):\n"
                 "    with slim.arg_scope([slim.conv2d], padding='SAME') as sc:\n        return sc\n\n"
                 "model vgg(images: f32[1, 224, 224, 3]):\n"
                 "    net = slim.repeat(images, 2, slim.conv2d, 64, [3, 3], scope='conv1')\n    return net\n");
  cr_assert_eq(fx.d.nerrors, 0, "%s", fx.err);
  int count = 0;
  check_spans(m, &count);
  cr_expect_gt(count, 25);
  const Ast *md = stmt(m, 2);
  cr_expect_eq(md->span.line, 7);
  cr_expect_eq(md->span.end_line, 9);
}

Test(ast, dump_format) {
  Ast *m = parse("y = f(x, k=-1.5)\n");
  char *s = dump_ast(m);
  cr_expect_str_eq(s, "MODULE @1:1-2:1\n"
                      "  ASSIGN @1:1-1:16\n"
                      "    target: NAME y @1:1-1:1\n"
                      "    value: CALL @1:5-1:16\n"
                      "      fn: NAME f @1:5-1:5\n"
                      "      ARG pos @1:7-1:7\n"
                      "        NAME x @1:7-1:7\n"
                      "      ARG kw k @1:10-1:15\n"
                      "        UNOP '-' @1:12-1:15\n"
                      "          FLOAT 1.5 @1:13-1:15\n");
  free(s);
}

Test(ast, names) {
  cr_expect_str_eq(ast_kind_name(AST_MODEL), "MODEL");
  cr_expect_str_eq(ast_kind_name(AST_ERROR), "ERROR");
  cr_expect_str_eq(ast_op_name(OP_NOT_IN), "not in");
  cr_expect_str_eq(ast_op_name(OP_FLOORDIV), "//");
  cr_expect_str_eq(ast_op_name(OP_IS_NOT), "is not");
}

Test(ast, two_parses_do_not_share_state) {
  const char *src = "def f(a):\n    if a:\n        return [a for a in b]\n";
  char *one = dump_ast(parse(src));
  parse("x = (\n"); /* a failing parse in between leaves nothing behind */
  char *two = dump_ast(parse(src));
  /* spans differ only by file index, which the dump does not print */
  cr_expect_str_eq(one, two);
  free(one);
  free(two);
}
