/* The Slim grammar (LANGUAGE.md section 2, plus the Python expression forms
 * TF-Slim nets use). Actions only build AST nodes; every semantic check lives
 * in parse.c's checking pass, so the grammar may accept more than is valid.
 * `error` rules let one run report every independent syntax error. */
%define api.pure full
%define api.prefix {parse_yy}
%define api.token.prefix {T_}
%define parse.error custom
%define parse.lac full
%locations
%expect 0
%param {LexCtx *c}

%code requires {
#include "front/ast.h"
typedef struct LexCtx LexCtx;
typedef struct ParseDims { int64_t *v; int n, cap; } ParseDims;
}

%code {
#include <string.h>
#include "front/lex.h"

/* Deep enough for LEX_MAX_NESTING brackets; deeper input (e.g. thousands of
   unary minus signs) is reported instead of building a tree nobody can walk. */
#define YYMAXDEPTH 5000

static int parse_yylex(PARSE_YYSTYPE *val, PARSE_YYLTYPE *loc, LexCtx *c) { return lex_next(val, loc, c); }
static void parse_yyerror(PARSE_YYLTYPE *loc, LexCtx *c, const char *msg);

#define SP(l) lex_span(c, &(l))
#define A (c->arena)

static Ast *mk(LexCtx *c, AstKind k, PARSE_YYLTYPE loc) { return ast_new(c->arena, k, lex_span(c, &loc)); }

static AstList one(LexCtx *c, Ast *n) {
  AstList l = {0};
  ast_list_push(c->arena, &l, n);
  return l;
}

static void list_cat(LexCtx *c, AstList *dst, AstList src) {
  for (int i = 0; i < src.n; i++) ast_list_push(c->arena, dst, src.items[i]);
}

static Ast *binop(LexCtx *c, AstKind k, AstOp op, Ast *l, Ast *r, PARSE_YYLTYPE loc) {
  Ast *n = mk(c, k, loc);
  n->u.bin.op = op;
  n->u.bin.lhs = l;
  n->u.bin.rhs = r;
  return n;
}

static Ast *unop(LexCtx *c, AstKind k, AstOp op, Ast *x, PARSE_YYLTYPE loc) {
  Ast *n = mk(c, k, loc);
  n->u.un.op = op;
  n->u.un.operand = x;
  return n;
}

/* "a" stays a itself; "a," and "a, b" are tuples. */
static Ast *tuple_or_one(LexCtx *c, AstList items, bool comma, PARSE_YYLTYPE loc) {
  if (items.n == 1 && !comma) return items.items[0];
  Ast *n = mk(c, AST_TUPLE, loc);
  n->u.list.items = items;
  return n;
}

static Ast *compare_push(LexCtx *c, Ast *n, AstOp op, Ast *rhs, PARSE_YYLTYPE loc) {
  int cap = n->u.cmp.rest.cap;
  ast_list_push(c->arena, &n->u.cmp.rest, rhs);
  if (n->u.cmp.rest.cap != cap) /* keep ops as long as rest */
    n->u.cmp.ops = arena_realloc(c->arena, n->u.cmp.ops, sizeof(AstOp) * (size_t)cap,
                                 sizeof(AstOp) * (size_t)n->u.cmp.rest.cap);
  n->u.cmp.ops[n->u.cmp.rest.n - 1] = op;
  n->span = lex_span(c, &loc);
  return n;
}

static Ast *arg(LexCtx *c, AstArgKind k, const char *name, Ast *v, PARSE_YYLTYPE loc) {
  Ast *n = mk(c, AST_ARG, loc);
  n->u.arg.kind = k;
  n->u.arg.name = name;
  n->u.arg.value = v;
  return n;
}

static Ast *param(LexCtx *c, AstParamKind k, const char *name, Ast *deflt, PARSE_YYLTYPE loc) {
  Ast *n = mk(c, AST_PARAM, loc);
  n->u.param.kind = k;
  n->u.param.name = name;
  n->u.param.deflt = deflt;
  return n;
}

static Ast *comp(LexCtx *c, AstKind k, Ast *key, Ast *elt, PtrVec gens, PARSE_YYLTYPE loc) {
  Ast *n = mk(c, k, loc);
  n->u.comp.key = key;
  n->u.comp.elt = elt;
  n->u.comp.gens = (AstGen **)gens.items;
  n->u.comp.ngens = gens.n;
  return n;
}

static Ast *impname(LexCtx *c, const char *name, const char *alias, PARSE_YYLTYPE loc) {
  Ast *n = mk(c, AST_IMPORT_NAME, loc);
  n->u.impname.name = name;
  n->u.impname.alias = alias;
  return n;
}

static Ast *fn(LexCtx *c, AstKind k, const char *name, AstList params, AstList body, PARSE_YYLTYPE loc) {
  Ast *n = mk(c, k, loc);
  n->u.fn.name = name;
  n->u.fn.params = params;
  n->u.fn.body = body;
  return n;
}

/* ITEMS alternates keys and values */
static Ast *dict(LexCtx *c, AstList items, PARSE_YYLTYPE loc) {
  Ast *n = mk(c, AST_DICT, loc);
  for (int i = 0; i + 1 < items.n; i += 2) {
    ast_list_push(c->arena, &n->u.dict.keys, items.items[i]);
    ast_list_push(c->arena, &n->u.dict.values, items.items[i + 1]);
  }
  return n;
}

static ParseDims dims_push(LexCtx *c, ParseDims d, int64_t v) {
  if (d.n == d.cap) {
    int cap = d.cap ? d.cap * 2 : 4;
    d.v = arena_realloc(c->arena, d.v, sizeof(int64_t) * (size_t)d.cap, sizeof(int64_t) * (size_t)cap);
    d.cap = cap;
  }
  d.v[d.n++] = v;
  return d;
}
}

%union {
  Ast *node;
  AstList list;
  const char *name;
  int64_t ival;
  double fval;
  struct { const char *s; size_t len; } str;
  int op;
  PtrVec vec;
  AstGen *gen;
  ParseDims dims;
  struct { Ast *n; size_t cap; } strs;   /* adjacent literals: the node and its buffer's size */
}

%token <name> NAME "identifier" RESERVED "unsupported keyword"
%token <ival> INT "integer"
%token <fval> FLOAT "number"
%token <str> STRING "string"
%token NEWLINE "end of line" INDENT "indent" DEDENT "dedent"
%token AND "'and'" AS "'as'" ASSERT "'assert'" BREAK "'break'" CONTINUE "'continue'" DEF "'def'"
%token ELIF "'elif'" ELSE "'else'" FOR "'for'" FROM "'from'" IF "'if'" IMPORT "'import'" IN "'in'"
%token IS "'is'" LAMBDA "'lambda'" NOT "'not'" OR "'or'" PASS "'pass'" RAISE "'raise'"
%token RETURN "'return'" WITH "'with'" WHILE "'while'" TRUE "'True'" FALSE "'False'" NONE "'None'"
%token MODEL "'model'" LOAD "'load'"
%token TRY "'try'" EXCEPT "'except'" FINALLY "'finally'" DEL "'del'" GLOBAL "'global'" NONLOCAL "'nonlocal'"
%token YIELD "'yield'"
%token <node> FSTRING "f-string"
%token CLASS "'class'"  /* pyclass */
%token POW "'**'" FLOORDIV "'//'" EQ "'=='" NE "'!='" LE "'<='" GE "'>='" ARROW "'->'"
%token <op> AUGOP "augmented assignment"

%type <list> stmts stmt simple_stmt small_list suite else_part xitems titems subs arglist args_opt
%type <list> params params_opt mparams mparams_opt decorators import_names load_items dict_items
%type <node> import_more import_first
%type <node> small expr_stmt assign_chain exprs targets xitem titem import_stmt load_stmt load_item
%type <node> compound if_stmt for_stmt while_stmt with_stmt with_item funcdef decorated decorator dotted_expr model_def classdef
%type <list> with_items
%type <node> try_stmt handler yield_expr
%type <list> handlers finally_part name_list
%type <node> param mparam expr lambdef or_test and_test not_test comparison chain arith term factor power
%type <node> postfix atom strings arg subscripts sub expr_opt import_name
%type <op> comp_op
%type <name> dotted from_module reldots
%type <vec> comp_fors elifs
%type <gen> comp_for
%type <list> comp_ifs
%type <dims> dims dims_opt
%type <ival> dim
%type <strs> strparts

%start file

%%

file:
  %empty          { c->module->u.module.body = (AstList){0}; }
| stmts           { c->module->u.module.body = $1; }
;

stmts:
  stmt
| stmts stmt      { $$ = $1; list_cat(c, &$$, $2); }
;

stmt:
  simple_stmt
| compound        { $$ = one(c, $1); }
;

simple_stmt:
  small_list NEWLINE          { $$ = $1; }
| small_list ';' NEWLINE      { $$ = $1; }
| error NEWLINE               { $$ = one(c, mk(c, AST_ERROR, @1)); }
  /* a broken block header: keep checking the block under it */
| error NEWLINE INDENT stmts DEDENT  { $$ = one(c, mk(c, AST_ERROR, @1)); }
;

small_list:
  small                  { $$ = one(c, $1); }
| small_list ';' small   { $$ = $1; ast_list_push(A, &$$, $3); }
;

small:
  expr_stmt
| RETURN                 { $$ = mk(c, AST_RETURN, @$); }
| RETURN exprs           { $$ = mk(c, AST_RETURN, @$); $$->u.expr.value = $2; }
| PASS                   { $$ = mk(c, AST_PASS, @$); }
| BREAK                  { $$ = mk(c, AST_BREAK, @$); }
| CONTINUE               { $$ = mk(c, AST_CONTINUE, @$); }
| RAISE                  { $$ = mk(c, AST_RAISE, @$); }
| RAISE expr             { $$ = mk(c, AST_RAISE, @$); $$->u.expr.value = $2; }
| RAISE expr FROM expr   { $$ = mk(c, AST_RAISE, @$); $$->u.raise.value = $2; $$->u.raise.cause = $4; }
| DEL exprs              { $$ = mk(c, AST_DEL, @$);
                           if ($2->kind == AST_TUPLE) $$->u.list.items = $2->u.list.items; /* del a, b */
                           else $$->u.list.items = one(c, $2); }
| GLOBAL name_list       { $$ = mk(c, AST_GLOBAL, @$); $$->u.list.items = $2; }
| NONLOCAL name_list     { $$ = mk(c, AST_NONLOCAL, @$); $$->u.list.items = $2; }
| ASSERT expr            { $$ = mk(c, AST_ASSERT, @$); $$->u.assert_.cond = $2; }
| ASSERT expr ',' expr   { $$ = mk(c, AST_ASSERT, @$); $$->u.assert_.cond = $2; $$->u.assert_.msg = $4; }
| import_stmt
| load_stmt
;

expr_stmt:
  exprs                  { $$ = mk(c, AST_EXPR_STMT, @$); $$->u.expr.value = $1; }
| yield_expr             { $$ = mk(c, AST_EXPR_STMT, @$); $$->u.expr.value = $1; }
| assign_chain
| exprs AUGOP exprs      { $$ = mk(c, AST_AUGASSIGN, @$); $$->u.aug.op = $2; $$->u.aug.target = $1; $$->u.aug.value = $3; }
;

/* a = b = value: every expression but the last is a target */
assign_chain:
  exprs '=' exprs        { $$ = mk(c, AST_ASSIGN, @$); $$->u.assign.targets = one(c, $1); $$->u.assign.value = $3; }
| assign_chain '=' exprs { $$ = $1; ast_list_push(A, &$$->u.assign.targets, $$->u.assign.value);
                           $$->u.assign.value = $3; $$->span = SP(@$); }
| exprs '=' yield_expr   { $$ = mk(c, AST_ASSIGN, @$); $$->u.assign.targets = one(c, $1); $$->u.assign.value = $3; }
| assign_chain '=' yield_expr
                         { $$ = $1; ast_list_push(A, &$$->u.assign.targets, $$->u.assign.value);
                           $$->u.assign.value = $3; $$->span = SP(@$); }
;

/* pyexc */
yield_expr:
  YIELD                  { $$ = mk(c, AST_YIELD, @$); }
| YIELD exprs            { $$ = mk(c, AST_YIELD, @$); $$->u.expr.value = $2; }
| YIELD FROM expr        { $$ = mk(c, AST_YIELD_FROM, @$); $$->u.expr.value = $3; }
;

name_list:
  NAME                   { $$ = one(c, mk(c, AST_NAME, @1)); $$.items[0]->u.name = $1; }
| name_list ',' NAME     { $$ = $1; Ast *n = mk(c, AST_NAME, @3); n->u.name = $3; ast_list_push(A, &$$, n); }
;

/* expression lists: "a", "a,", "a, *b" */
exprs:
  xitems                 { $$ = tuple_or_one(c, $1, false, @$); }
| xitems ','             { $$ = tuple_or_one(c, $1, true, @$); }
;

xitems:
  xitem                  { $$ = one(c, $1); }
| xitems ',' xitem       { $$ = $1; ast_list_push(A, &$$, $3); }
;

xitem:
  expr
| '*' arith              { $$ = unop(c, AST_STARRED, OP_MUL, $2, @$); }
;

import_stmt:
  IMPORT dotted          { $$ = mk(c, AST_IMPORT, @$); $$->u.import.module = $2; }
| IMPORT dotted AS NAME  { $$ = mk(c, AST_IMPORT, @$); $$->u.import.module = $2; $$->u.import.alias = $4; }
| import_more
| FROM from_module IMPORT import_names
                         { $$ = mk(c, AST_FROM_IMPORT, @$); $$->u.import.module = $2; $$->u.import.names = $4; }
| FROM from_module IMPORT '(' import_names ')'
                         { $$ = mk(c, AST_FROM_IMPORT, @$); $$->u.import.module = $2; $$->u.import.names = $5; }
| FROM from_module IMPORT '(' import_names ',' ')'
                         { $$ = mk(c, AST_FROM_IMPORT, @$); $$->u.import.module = $2; $$->u.import.names = $5; }
  /* pymod: `from M import *` binds the public names (one AST_IMPORT_NAME "*") */
| FROM from_module IMPORT '*'
                         { $$ = mk(c, AST_FROM_IMPORT, @$); $$->u.import.module = $2;
                           $$->u.import.names = one(c, impname(c, "*", NULL, @4)); }
;

/* pymod: `import a, b.c as d`: the modules after the first in import.names */
import_more:
  import_first ',' dotted { $$ = $1; $$->span = SP(@$); ast_list_push(A, &$$->u.import.names, impname(c, $3, NULL, @3)); }
| import_first ',' dotted AS NAME
                         { $$ = $1; $$->span = SP(@$); ast_list_push(A, &$$->u.import.names, impname(c, $3, $5, @3)); }
| import_more ',' dotted { $$ = $1; $$->span = SP(@$); ast_list_push(A, &$$->u.import.names, impname(c, $3, NULL, @3)); }
| import_more ',' dotted AS NAME
                         { $$ = $1; $$->span = SP(@$); ast_list_push(A, &$$->u.import.names, impname(c, $3, $5, @3)); }
;

import_first:
  IMPORT dotted          { $$ = mk(c, AST_IMPORT, @$); $$->u.import.module = $2; }
| IMPORT dotted AS NAME  { $$ = mk(c, AST_IMPORT, @$); $$->u.import.module = $2; $$->u.import.alias = $4; }
;

/* pymod: a relative import keeps its leading dots in the module string (".sub", "..") */
from_module:
  dotted
| reldots
| reldots dotted         { $$ = arena_printf(A, "%s%s", $1, $2); }
;

reldots:
  '.'                    { $$ = "."; }
| reldots '.'            { $$ = arena_printf(A, "%s.", $1); }
;

dotted:
  NAME
| dotted '.' NAME        { $$ = arena_printf(A, "%s.%s", $1, $3); }
;

import_names:
  import_name                   { $$ = one(c, $1); }
| import_names ',' import_name  { $$ = $1; ast_list_push(A, &$$, $3); }
;

import_name:
  NAME                   { $$ = impname(c, $1, NULL, @$); }
| NAME AS NAME           { $$ = impname(c, $1, $3, @$); }
;

/* load("file.slim", "sym", local = "sym2") */
load_stmt:
  LOAD '(' strings load_items ')'      { $$ = mk(c, AST_LOAD, @$); $$->u.load.path = $3; $$->u.load.names = $4; }
| LOAD '(' strings load_items ',' ')'  { $$ = mk(c, AST_LOAD, @$); $$->u.load.path = $3; $$->u.load.names = $4; }
;

load_items:
  %empty                     { $$ = (AstList){0}; }
| load_items ',' load_item   { $$ = $1; ast_list_push(A, &$$, $3); }
;

load_item:
  strings                { $$ = impname(c, $1->u.str.s, NULL, @$); }
| NAME '=' strings       { $$ = impname(c, $3->u.str.s, $1, @$); }
;

compound:
  try_stmt
| if_stmt
| for_stmt
| while_stmt
| with_stmt
| funcdef
| decorated
| model_def
| classdef
;

/* elif chains are left-recursive, so thousands of branches take no parser stack;
   each elif is an AST_IF alone in the orelse of the one before, spanning to the end */
if_stmt:
  IF expr ':' suite elifs else_part
      { $$ = mk(c, AST_IF, @$); $$->u.if_.cond = $2; $$->u.if_.body = $4;
        AstList tail = $6;
        for (int i = $5.n - 1; i >= 0; i--) {
          Ast *n = $5.items[i];
          n->span = span_join(n->span, SP(@$));
          n->u.if_.orelse = tail;
          tail = one(c, n);
        }
        $$->u.if_.orelse = tail; }
;

elifs:
  %empty                       { $$ = (PtrVec){0}; }
| elifs ELIF expr ':' suite
      { $$ = $1; Ast *n = mk(c, AST_IF, @2); n->u.if_.cond = $3; n->u.if_.body = $5; ptrvec_push(A, &$$, n); }
;

else_part:
  %empty                       { $$ = (AstList){0}; }
| ELSE ':' suite               { $$ = $3; }
;

for_stmt:
  FOR targets IN exprs ':' suite else_part
      { $$ = mk(c, AST_FOR, @$); $$->u.for_.target = $2; $$->u.for_.iter = $4; $$->u.for_.body = $6;
        $$->u.for_.orelse = $7; }
;

/* pyexc */
try_stmt:
  TRY ':' suite handlers else_part finally_part
      { $$ = mk(c, AST_TRY, @$); $$->u.try_.body = $3; $$->u.try_.handlers = $4; $$->u.try_.orelse = $5;
        $$->u.try_.finalbody = $6; }
| TRY ':' suite FINALLY ':' suite
      { $$ = mk(c, AST_TRY, @$); $$->u.try_.body = $3; $$->u.try_.finalbody = $6; }
;

handlers:
  handler                { $$ = one(c, $1); }
| handlers handler       { $$ = $1; ast_list_push(A, &$$, $2); }
;

handler:
  EXCEPT ':' suite       { $$ = mk(c, AST_EXCEPT, @1); $$->u.except_.body = $3; }
| EXCEPT expr ':' suite  { $$ = mk(c, AST_EXCEPT, @1); $$->u.except_.type = $2; $$->u.except_.body = $4; }
| EXCEPT expr AS NAME ':' suite
      { $$ = mk(c, AST_EXCEPT, @1); $$->u.except_.type = $2; $$->u.except_.name = $4; $$->u.except_.body = $6; }
;

finally_part:
  %empty                 { $$ = (AstList){0}; }
| FINALLY ':' suite      { $$ = $3; }
;

while_stmt:
  WHILE expr ':' suite else_part
      { $$ = mk(c, AST_WHILE, @$); $$->u.while_.cond = $2; $$->u.while_.body = $4; $$->u.while_.orelse = $5; }
;

/* loop targets stop below comparisons, so "in" ends them */
targets:
  titems                 { $$ = tuple_or_one(c, $1, false, @$); }
| titems ','             { $$ = tuple_or_one(c, $1, true, @$); }
;

titems:
  titem                  { $$ = one(c, $1); }
| titems ',' titem       { $$ = $1; ast_list_push(A, &$$, $3); }
;

titem:
  arith
| '*' arith              { $$ = unop(c, AST_STARRED, OP_MUL, $2, @$); }
;

with_stmt:
  WITH with_items ':' suite  { $$ = mk(c, AST_WITH, @$); $$->u.with.items = $2; $$->u.with.body = $4; }
;

with_items:
  with_item                  { $$ = one(c, $1); }
| with_items ',' with_item   { $$ = $1; ast_list_push(A, &$$, $3); }
;

with_item:
  expr                   { $$ = mk(c, AST_WITH_ITEM, @$); $$->u.withitem.ctx = $1; }
| expr AS titem          { $$ = mk(c, AST_WITH_ITEM, @$); $$->u.withitem.ctx = $1; $$->u.withitem.as = $3; }
;

funcdef:
  DEF NAME '(' params_opt ')' ':' suite             { $$ = fn(c, AST_DEF, $2, $4, $7, @$); }
;

decorated:
  decorators funcdef     { $$ = $2; $$->u.fn.decorators = $1; $$->span = SP(@$); }
| decorators classdef    { $$ = $2; $$->u.cls.decorators = $1; $$->span = SP(@$); }  /* pyclass */
;

/* pyclass: class NAME ['(' bases ')'] ':' suite; the bases are call arguments (metaclass=...) */
classdef:
  CLASS NAME ':' suite                    { $$ = mk(c, AST_CLASS, @$); $$->u.cls.name = $2; $$->u.cls.body = $4; }
| CLASS NAME '(' args_opt ')' ':' suite   { $$ = mk(c, AST_CLASS, @$); $$->u.cls.name = $2; $$->u.cls.bases = $4;
                                            $$->u.cls.body = $7; }
;

decorators:
  decorator              { $$ = one(c, $1); }
| decorators decorator   { $$ = $1; ast_list_push(A, &$$, $2); }
;

decorator:
  '@' dotted_expr NEWLINE                   { $$ = $2; }
| '@' dotted_expr '(' args_opt ')' NEWLINE  { $$ = mk(c, AST_CALL, @2); $$->span = span_join(SP(@2), SP(@5));
                                              $$->u.call.fn = $2; $$->u.call.args = $4; }
;

dotted_expr:
  NAME                   { $$ = mk(c, AST_NAME, @$); $$->u.name = $1; }
| dotted_expr '.' NAME   { $$ = mk(c, AST_ATTR, @$); $$->u.attr.obj = $1; $$->u.attr.name = $3; $$->u.attr.name_span = SP(@3); }
;

model_def:
  MODEL NAME '(' mparams_opt ')' ':' suite  { $$ = fn(c, AST_MODEL, $2, $4, $7, @$); }
;

suite:
  simple_stmt
| NEWLINE INDENT stmts DEDENT   { $$ = $3; }
;

params_opt:
  %empty                 { $$ = (AstList){0}; }
| params
| params ','
;

params:
  param                  { $$ = one(c, $1); }
| params ',' param       { $$ = $1; ast_list_push(A, &$$, $3); }
;

param:
  NAME                   { $$ = param(c, PARAM_PLAIN, $1, NULL, @$); }
| NAME '=' expr          { $$ = param(c, PARAM_PLAIN, $1, $3, @$); }
| '*'                    { $$ = param(c, PARAM_STAR, NULL, NULL, @$); }
| '*' NAME               { $$ = param(c, PARAM_STAR, $2, NULL, @$); }
| POW NAME               { $$ = param(c, PARAM_DSTAR, $2, NULL, @$); }
;

mparams_opt:
  %empty                 { $$ = (AstList){0}; }
| mparams
| mparams ','
;

mparams:
  mparam                 { $$ = one(c, $1); }
| mparams ',' mparam     { $$ = $1; ast_list_push(A, &$$, $3); }
;

/* x: f32[1, 224, 224, 3] is an input; opt=1 a compile-time option */
mparam:
  NAME ':' NAME '[' dims_opt ']'
      { $$ = param(c, PARAM_TENSOR, $1, NULL, @$); $$->u.param.dtype = $3;
        $$->u.param.dims = $5.v; $$->u.param.ndims = $5.n; }
| NAME '=' expr          { $$ = param(c, PARAM_PLAIN, $1, $3, @$); }
| NAME                   { $$ = param(c, PARAM_PLAIN, $1, NULL, @$); }
;

dims_opt:
  %empty                 { $$ = (ParseDims){0}; }
| dims
;

dims:
  dim                    { $$ = dims_push(c, (ParseDims){0}, $1); }
| dims ',' dim           { $$ = dims_push(c, $1, $3); }
;

dim:
  INT
| '?'                    { $$ = -1; }
;

/* ---- expressions, lowest precedence first ---- */

expr:
  or_test
| or_test IF or_test ELSE expr
      { $$ = mk(c, AST_IFEXP, @$); $$->u.ifexp.then = $1; $$->u.ifexp.cond = $3; $$->u.ifexp.els = $5; }
| lambdef
;

lambdef:
  LAMBDA params_opt ':' expr
      { AstList body = one(c, $4); $$ = fn(c, AST_LAMBDA, NULL, $2, body, @$); }
;

or_test:
  and_test
| or_test OR and_test    { $$ = binop(c, AST_OR, OP_ADD, $1, $3, @$); }
;

and_test:
  not_test
| and_test AND not_test  { $$ = binop(c, AST_AND, OP_ADD, $1, $3, @$); }
;

not_test:
  NOT not_test           { $$ = unop(c, AST_NOT, OP_INVERT, $2, @$); }
| comparison
;

comparison:
  arith
| chain
;

/* a < b < c is one node; a parenthesised comparison starts a new one */
chain:
  arith comp_op arith
      { $$ = mk(c, AST_COMPARE, @$); $$->u.cmp.first = $1; $$ = compare_push(c, $$, (AstOp)$2, $3, @$); }
| chain comp_op arith    { $$ = compare_push(c, $1, (AstOp)$2, $3, @$); }
;

comp_op:
  '<'        { $$ = OP_LT; }
| '>'        { $$ = OP_GT; }
| EQ         { $$ = OP_EQ; }
| NE         { $$ = OP_NE; }
| LE         { $$ = OP_LE; }
| GE         { $$ = OP_GE; }
| IN         { $$ = OP_IN; }
| NOT IN     { $$ = OP_NOT_IN; }
| IS         { $$ = OP_IS; }
| IS NOT     { $$ = OP_IS_NOT; }
;

arith:
  term
| arith '+' term         { $$ = binop(c, AST_BINOP, OP_ADD, $1, $3, @$); }
| arith '-' term         { $$ = binop(c, AST_BINOP, OP_SUB, $1, $3, @$); }
;

term:
  factor
| term '*' factor        { $$ = binop(c, AST_BINOP, OP_MUL, $1, $3, @$); }
| term '/' factor        { $$ = binop(c, AST_BINOP, OP_DIV, $1, $3, @$); }
| term FLOORDIV factor   { $$ = binop(c, AST_BINOP, OP_FLOORDIV, $1, $3, @$); }
| term '%' factor        { $$ = binop(c, AST_BINOP, OP_MOD, $1, $3, @$); }
| term '@' factor        { $$ = binop(c, AST_BINOP, OP_MATMUL, $1, $3, @$); }
;

factor:
  '+' factor             { $$ = unop(c, AST_UNOP, OP_POS, $2, @$); }
| '-' factor             { $$ = unop(c, AST_UNOP, OP_NEG, $2, @$); }
| '~' factor             { $$ = unop(c, AST_UNOP, OP_INVERT, $2, @$); }
| power
;

/* ** binds tighter than a unary minus on its left, looser on its right: -2**-1 */
power:
  postfix
| postfix POW factor     { $$ = binop(c, AST_BINOP, OP_POW, $1, $3, @$); }
;

postfix:
  atom
| postfix '(' args_opt ')'    { $$ = mk(c, AST_CALL, @$); $$->u.call.fn = $1; $$->u.call.args = $3; }
| postfix '[' subscripts ']'  { $$ = mk(c, AST_INDEX, @$); $$->u.index.obj = $1; $$->u.index.index = $3; }
| postfix '.' NAME            { $$ = mk(c, AST_ATTR, @$); $$->u.attr.obj = $1; $$->u.attr.name = $3; $$->u.attr.name_span = SP(@3); }
;

atom:
  NAME                   { $$ = mk(c, AST_NAME, @$); $$->u.name = $1; }
| INT                    { $$ = mk(c, AST_INT, @$); $$->u.ival = $1; }
| FLOAT                  { $$ = mk(c, AST_FLOAT, @$); $$->u.fval = $1; }
| strings
| TRUE                   { $$ = mk(c, AST_BOOL, @$); $$->u.ival = 1; }
| FALSE                  { $$ = mk(c, AST_BOOL, @$); $$->u.ival = 0; }
| NONE                   { $$ = mk(c, AST_NONE, @$); }
| FSTRING                { $$ = $1; }
| '(' yield_expr ')'     { $$ = $2; }
| '(' ')'                { $$ = mk(c, AST_TUPLE, @$); }
| '(' exprs ')'          { $$ = $2; if ($$->kind == AST_TUPLE) $$->span = SP(@$); }
| '(' expr comp_fors ')' { $$ = comp(c, AST_LISTCOMP, NULL, $2, $3, @$); /* a generator, evaluated eagerly */ }
| '[' ']'                { $$ = mk(c, AST_LIST, @$); }
| '[' xitems ']'         { $$ = mk(c, AST_LIST, @$); $$->u.list.items = $2; }
| '[' xitems ',' ']'     { $$ = mk(c, AST_LIST, @$); $$->u.list.items = $2; }
| '[' expr comp_fors ']' { $$ = comp(c, AST_LISTCOMP, NULL, $2, $3, @$); }
| '{' '}'                { $$ = mk(c, AST_DICT, @$); }
| '{' dict_items '}'     { $$ = dict(c, $2, @$); }
| '{' dict_items ',' '}' { $$ = dict(c, $2, @$); }
| '{' expr ':' expr comp_fors '}'  { $$ = comp(c, AST_DICTCOMP, $2, $4, $5, @$); }
| '(' error ')'          { $$ = mk(c, AST_ERROR, @$); }
| '[' error ']'          { $$ = mk(c, AST_ERROR, @$); }
| '{' error '}'          { $$ = mk(c, AST_ERROR, @$); }
;

/* adjacent literals are one string, appended to a buffer that doubles as it
   fills, so N literals cost O(N) bytes (copying the whole each time was quadratic:
   an 800 KB file of "a" "a" ... took 16 GB) */
strings:
  strparts               { $$ = $1.n; }
;

strparts:
  STRING                 { $$.n = mk(c, AST_STR, @$); $$.n->u.str.s = $1.s; $$.n->u.str.len = $1.len; $$.cap = 0; }
| strparts STRING
      { $$ = $1; Ast *n = $$.n; size_t len = n->u.str.len + $2.len;
        if (len + 1 > $$.cap) { /* cap 0: the lexer's own buffer, not ours to append to */
          size_t cap = $$.cap ? $$.cap : 64;
          while (cap < len + 1) cap *= 2;
          char *s = arena_alloc(A, cap);
          memcpy(s, n->u.str.s, n->u.str.len);
          n->u.str.s = s;
          $$.cap = cap;
        }
        memcpy((char *)n->u.str.s + n->u.str.len, $2.s, $2.len);
        ((char *)n->u.str.s)[len] = 0;
        n->u.str.len = len;
        n->span = SP(@$); }
;

/* keys and values alternate */
dict_items:
  expr ':' expr                 { $$ = one(c, $1); ast_list_push(A, &$$, $3); }
| dict_items ',' expr ':' expr  { $$ = $1; ast_list_push(A, &$$, $3); ast_list_push(A, &$$, $5); }
| POW or_test                   { $$ = one(c, NULL); ast_list_push(A, &$$, $2); /* pyexc: {**d} */ }
| dict_items ',' POW or_test    { $$ = $1; ast_list_push(A, &$$, NULL); ast_list_push(A, &$$, $4); }
;

comp_fors:
  comp_for               { $$ = (PtrVec){0}; ptrvec_push(A, &$$, $1); }
| comp_fors comp_for     { $$ = $1; ptrvec_push(A, &$$, $2); }
;

comp_for:
  FOR targets IN or_test comp_ifs
      { $$ = arena_alloc(A, sizeof *$$); $$->target = $2; $$->iter = $4; $$->conds = $5; }
;

comp_ifs:
  %empty                 { $$ = (AstList){0}; }
| comp_ifs IF or_test    { $$ = $1; ast_list_push(A, &$$, $3); }
;

args_opt:
  %empty                 { $$ = (AstList){0}; }
| arglist
| arglist ','
;

arglist:
  arg                    { $$ = one(c, $1); }
| arglist ',' arg        { $$ = $1; ast_list_push(A, &$$, $3); }
;

arg:
  expr                   { $$ = arg(c, ARG_POS, NULL, $1, @$); }
| expr comp_fors         { $$ = arg(c, ARG_POS, NULL, comp(c, AST_LISTCOMP, NULL, $1, $2, @$), @$); }
| NAME '=' expr          { $$ = arg(c, ARG_KW, $1, $3, @$); }
| '*' expr               { $$ = arg(c, ARG_STAR, NULL, $2, @$); }
| POW expr               { $$ = arg(c, ARG_DSTAR, NULL, $2, @$); }
;

/* a[i], a[1:2:3], a[:, 0] */
subscripts:
  subs                   { $$ = tuple_or_one(c, $1, false, @$); }
| subs ','               { $$ = tuple_or_one(c, $1, true, @$); }
;

subs:
  sub                    { $$ = one(c, $1); }
| subs ',' sub           { $$ = $1; ast_list_push(A, &$$, $3); }
;

sub:
  expr
| expr_opt ':' expr_opt  { $$ = mk(c, AST_SLICE, @$); $$->u.slice.lo = $1; $$->u.slice.hi = $3; }
| expr_opt ':' expr_opt ':' expr_opt
      { $$ = mk(c, AST_SLICE, @$); $$->u.slice.lo = $1; $$->u.slice.hi = $3; $$->u.slice.step = $5; }
;

expr_opt:
  %empty                 { $$ = NULL; }
| expr
;

%%

static void parse_yyerror(PARSE_YYLTYPE *loc, LexCtx *c, const char *msg) {
  if (c->fatal) return;
  if (strcmp(msg, "memory exhausted") == 0) {
    diag_error(c->d, lex_span(c, loc), "E0103", "expression nested too deeply (parser stack limit %d)",
               YYMAXDEPTH);
    c->fatal = true;
    return;
  }
  diag_error(c->d, lex_span(c, loc), "E0100", "%s", msg);
}

/* "'def'" -> 'def'; bison keeps the double quotes of string aliases. */
static const char *sym_text(yysymbol_kind_t s, char *buf, size_t n) {
  const char *name = yysymbol_name(s);
  size_t len = strlen(name);
  if (len >= 2 && name[0] == '"') { name++; len -= 2; }
  snprintf(buf, n, "%.*s", (int)len, name);
  return buf;
}

/* The unexpected token, named with its text where that helps. */
static void describe(const LexCtx *c, yysymbol_kind_t s, char *buf, size_t n) {
  char tmp[64];
  switch (s) {
  case YYSYMBOL_NAME: snprintf(buf, n, "identifier '%.40s'", c->last_val.name); break;
  case YYSYMBOL_INT: snprintf(buf, n, "integer literal"); break;
  case YYSYMBOL_FLOAT: snprintf(buf, n, "number"); break;
  case YYSYMBOL_STRING: snprintf(buf, n, "string literal"); break;
  case YYSYMBOL_AUGOP: snprintf(buf, n, "'%s='", ast_op_name((AstOp)c->last_val.op)); break;
  case YYSYMBOL_DEDENT: snprintf(buf, n, "end of block"); break;
  default: snprintf(buf, n, "%s", sym_text(s, tmp, sizeof tmp)); break;
  }
}

/* Operators and postfix openers: listing them after "x" would bury the one
   token that was really missing. */
static bool continues_expr(yysymbol_kind_t s) {
  switch (s) {
  case YYSYMBOL_AND: case YYSYMBOL_OR: case YYSYMBOL_NOT: case YYSYMBOL_IN: case YYSYMBOL_IS:
  case YYSYMBOL_IF: case YYSYMBOL_FOR: case YYSYMBOL_POW: case YYSYMBOL_FLOORDIV: case YYSYMBOL_EQ:
  case YYSYMBOL_NE: case YYSYMBOL_LE: case YYSYMBOL_GE: case YYSYMBOL_AUGOP:
    return true;
  default: break;
  }
  const char *name = yysymbol_name(s); /* single-character tokens are named "'x'" */
  return name[0] == '\'' && name[2] == '\'' && strchr("+-*/%@<>([.", name[1]);
}

static int yyreport_syntax_error(const yypcontext_t *pc, LexCtx *c) {
  if (c->fatal) return 0; /* the lexer already said why the input stopped */
  yysymbol_kind_t la = yypcontext_token(pc), exp[YYNTOKENS];
  int n = yypcontext_expected_tokens(pc, exp, YYNTOKENS);
  Span sp = lex_span(c, yypcontext_location(pc));
  if (sp.line == c->lex_err_line) return 0;
  bool want_expr = false; /* an expression could start here */
  int nshown = 0;         /* the expected tokens that do not just continue an expression */
  yysymbol_kind_t shown[4];
  for (int i = 0; i < n; i++) {
    want_expr |= exp[i] == YYSYMBOL_INT;
    if (!continues_expr(exp[i]) && nshown++ < 4) shown[nshown - 1] = exp[i];
  }
  char what[96], buf[256], tmp[64];
  describe(c, la, what, sizeof what);
  if (la == YYSYMBOL_NEWLINE && c->closing_newline) {
    char close = c->unclosed == '(' ? ')' : c->unclosed == '[' ? ']' : '}';
    diag_error(c->d, c->unclosed_at, "E0017", "'%c' was never closed", c->unclosed);
    diag_note(c->d, sp, "expected '%c' before the end of this line", close);
  } else if (la == YYSYMBOL_RESERVED) {
    diag_error(c->d, sp, "E0104", "'%s' is not supported in Slim", c->last_val.name);
  } else if (la == YYSYMBOL_INDENT) {
    diag_error(c->d, sp, "E0101", "unexpected indent");
  } else if (n == 1 && exp[0] == YYSYMBOL_INDENT) {
    diag_error(c->d, sp, "E0102", "expected an indented block before %s", what);
  } else if ((la == YYSYMBOL_ELSE || la == YYSYMBOL_ELIF) && want_expr) {
    diag_error(c->d, sp, "E0106", "%s without a matching 'if'", what);
  } else if (n > 4 && want_expr) {
    diag_error(c->d, sp, "E0105", "expected an expression before %s", what);
  } else if (nshown > 0 && nshown <= 4) {
    size_t k = 0;
    for (int i = 0; i < nshown; i++) {
      const char *sep = i == 0 ? "" : i == nshown - 1 ? " or " : ", ";
      k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%s", sep, sym_text(shown[i], tmp, sizeof tmp));
      if (k >= sizeof buf) break;
    }
    diag_error(c->d, sp, "E0100", "expected %s before %s", buf, what);
  } else {
    diag_error(c->d, sp, "E0100", "unexpected %s", what);
  }
  return 0;
}

int lex_parse(LexCtx *c) { return parse_yyparse(c); }

const char *lex_token_name(int kind, char *buf, size_t n) {
  switch (kind) {
  case T_YYEOF: return "EOF";
  case T_NAME: return "NAME";
  case T_RESERVED: return "RESERVED";
  case T_INT: return "INT";
  case T_FLOAT: return "FLOAT";
  case T_STRING: return "STRING";
  case T_NEWLINE: return "NEWLINE";
  case T_INDENT: return "INDENT";
  case T_DEDENT: return "DEDENT";
  case T_AUGOP: return "AUGOP";
  case T_FSTRING: return "FSTRING";
  default: return sym_text(YYTRANSLATE(kind), buf, n);
  }
}
