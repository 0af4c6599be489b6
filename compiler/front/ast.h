/* The abstract syntax tree of a .slim file. Every node carries its source span.
 * Built by the parser (grammar/parser.y), read by the evaluator. Nodes live in
 * the arena of the compilation. */
#ifndef SLIMC_AST_H
#define SLIMC_AST_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "base/arena.h"
#include "base/diag.h"

typedef struct Ast Ast;

typedef struct AstList { Ast **items; int n, cap; } AstList;

typedef enum AstKind {
  /* expressions */
  AST_NAME,       /* name */
  AST_INT,        /* ival */
  AST_FLOAT,      /* fval */
  AST_STR,        /* str.s, str.len (adjacent literals already concatenated) */
  AST_BOOL,       /* ival 0/1 */
  AST_NONE,
  AST_TUPLE,      /* list.items; also bare "a, b" */
  AST_LIST,       /* list.items */
  AST_DICT,       /* dict.keys, dict.values (same length) */
  AST_LISTCOMP,   /* comp.elt, comp.gens */
  AST_DICTCOMP,   /* comp.key, comp.elt (value), comp.gens */
  AST_BINOP,      /* bin.op, bin.lhs, bin.rhs */
  AST_UNOP,       /* un.op, un.operand */
  AST_AND,        /* bin.lhs and bin.rhs */
  AST_OR,         /* bin.lhs or bin.rhs */
  AST_NOT,        /* un.operand */
  AST_COMPARE,    /* cmp.first, cmp.ops[i] cmp.rest.items[i] (chained a < b < c) */
  AST_IFEXP,      /* ifexp.cond, ifexp.then, ifexp.els */
  AST_LAMBDA,     /* fn.params, fn.body (a single expression node in body.items[0]) */
  AST_CALL,       /* call.fn, call.args (each an AST_ARG) */
  AST_ARG,        /* arg.kind, arg.name (keyword), arg.value */
  AST_ATTR,       /* attr.obj, attr.name */
  AST_INDEX,      /* index.obj, index.index (an expression, AST_SLICE or AST_TUPLE of them) */
  AST_SLICE,      /* slice.lo, slice.hi, slice.step (each may be NULL) */
  AST_STARRED,    /* un.operand: "*x" as an assignment target */
  /* statements */
  AST_EXPR_STMT,  /* expr.value */
  AST_ASSIGN,     /* assign.targets (a = b = value), assign.value */
  AST_AUGASSIGN,  /* aug.op, aug.target, aug.value */
  AST_RETURN,     /* expr.value (may be NULL) */
  AST_PASS,
  AST_BREAK,
  AST_CONTINUE,
  AST_RAISE,      /* expr.value (may be NULL: bare raise) */
  AST_ASSERT,     /* assert_.cond, assert_.msg (may be NULL) */
  AST_IF,         /* if_.cond, if_.body, if_.orelse (elif is a nested AST_IF in orelse) */
  AST_FOR,        /* for_.target, for_.iter, for_.body */
  AST_WHILE,      /* while_.cond, while_.body, while_.orelse (the else: suite, run unless a break) */
  AST_WITH,       /* with.items (each an AST_WITH_ITEM), with.body */
  AST_WITH_ITEM,  /* withitem.ctx, withitem.as (target expr or NULL) */
  AST_DEF,        /* fn.name, fn.params, fn.body, fn.decorators */
  AST_MODEL,      /* fn.name, fn.params (model params), fn.body */
  AST_PARAM,      /* param.* */
  AST_LOAD,       /* load.path, load.names (AST_IMPORT_NAME: name, alias) */
  AST_IMPORT,     /* import.module (dotted "a.b.c"), import.alias (or NULL) */
  AST_FROM_IMPORT,/* import.module, import.names (AST_IMPORT_NAME) */
  AST_IMPORT_NAME,/* impname.name, impname.alias (or NULL) */
  AST_MODULE,     /* module.body */
  AST_ERROR,      /* placeholder left by syntax-error recovery */
  /* pyexc: exceptions, generators, del/global/nonlocal, f-strings */
  AST_TRY,        /* try_.body, try_.handlers (AST_EXCEPT), try_.orelse, try_.finalbody */
  AST_EXCEPT,     /* except_.type (NULL: bare except), except_.name (or NULL), except_.body */
  AST_DEL,        /* list.items: the targets */
  AST_GLOBAL,     /* list.items: AST_NAME nodes */
  AST_NONLOCAL,   /* list.items: AST_NAME nodes */
  AST_YIELD,      /* expr.value (may be NULL) */
  AST_YIELD_FROM, /* expr.value */
  AST_FSTRING,    /* list.items: AST_STR and AST_FORMATTED parts */
  AST_FORMATTED,  /* fmt.value, fmt.conv ('r', 's', 'a' or 0), fmt.spec (an AST_FSTRING or NULL) */
  /* pyclass */
  AST_CLASS,      /* cls.name, cls.bases (each an AST_ARG), cls.body, cls.decorators */
} AstKind;

typedef enum AstOp {
  OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_FLOORDIV, OP_MOD, OP_POW, OP_MATMUL,
  OP_NEG, OP_POS, OP_INVERT,
  OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_IN, OP_NOT_IN, OP_IS, OP_IS_NOT,
} AstOp;

typedef enum AstArgKind { ARG_POS, ARG_KW, ARG_STAR, ARG_DSTAR } AstArgKind;

typedef enum AstParamKind {
  PARAM_PLAIN,    /* name or name=default */
  PARAM_STAR,     /* *args (name) or bare * (name == NULL): later params are keyword-only */
  PARAM_DSTAR,    /* **kwargs */
  PARAM_TENSOR,   /* model input: name: dtype[dims] */
} AstParamKind;

/* A comprehension clause: "for target in iter if c1 if c2". */
typedef struct AstGen { Ast *target, *iter; AstList conds; } AstGen;

struct Ast {
  AstKind kind;
  Span span;
  union {
    const char *name;                        /* AST_NAME */
    int64_t ival;                            /* AST_INT, AST_BOOL */
    double fval;                             /* AST_FLOAT */
    struct { const char *s; size_t len; } str;
    struct { AstList items; } list;          /* AST_TUPLE, AST_LIST */
    struct { AstList keys, values; } dict;
    struct { Ast *key, *elt; AstGen **gens; int ngens; } comp;
    struct { AstOp op; Ast *lhs, *rhs; } bin;
    struct { AstOp op; Ast *operand; } un;
    struct { Ast *first; AstOp *ops; AstList rest; } cmp;
    struct { Ast *cond, *then, *els; } ifexp;
    struct { Ast *fn; AstList args; } call;
    struct { AstArgKind kind; const char *name; Ast *value; } arg;
    struct { Ast *obj; const char *name; Span name_span; } attr;
    struct { Ast *obj, *index; } index;
    struct { Ast *lo, *hi, *step; } slice;
    struct { Ast *value; } expr;
    struct { AstList targets; Ast *value; } assign;
    struct { AstOp op; Ast *target, *value; } aug;
    struct { Ast *cond, *msg; } assert_;
    struct { Ast *cond; AstList body, orelse; } if_;
    struct { Ast *target, *iter; AstList body, orelse; } for_;
    struct { Ast *cond; AstList body, orelse; } while_;
    struct { AstList items; AstList body; } with;
    struct { Ast *ctx, *as; } withitem;
    struct { const char *name; AstList params, body, decorators; } fn;
    struct {
      AstParamKind kind;
      const char *name;        /* NULL for a bare '*' */
      Ast *deflt;              /* default value or NULL */
      const char *dtype;       /* PARAM_TENSOR: as written (f32, float32, ...) */
      int64_t *dims; int ndims;/* PARAM_TENSOR: -1 for '?' */
    } param;
    struct { Ast *path; AstList names; } load;   /* path is an AST_STR */
    struct { const char *module; const char *alias; AstList names; } import;
    struct { const char *name, *alias; } impname;
    struct { AstList body; const char *path; } module;
    /* pyexc */
    struct { Ast *value, *cause; } raise;    /* AST_RAISE: value as expr.value; raise X from CAUSE */
    struct { AstList body, handlers, orelse, finalbody; } try_;
    struct { Ast *type; const char *name; AstList body; } except_;
    struct { Ast *value; int conv; Ast *spec; } fmt;
    struct { const char *name; AstList bases, body, decorators; } cls;   /* pyclass */
  } u;
};

Ast *ast_new(Arena *a, AstKind kind, Span span);
void ast_list_push(Arena *a, AstList *l, Ast *node);
const char *ast_kind_name(AstKind k);
const char *ast_op_name(AstOp op);   /* "+", "not in", ... */

/* Stable, indented text form used by --dump=ast and golden tests. One node a
   line: KIND <fields> @LINE:COL-ENDLINE:ENDCOL. */
void ast_dump(FILE *out, const Ast *module);
/* The next node down a left-deep chain: the left operand of a + b / a and b /
   a or b, the callee of a call, the object of an attribute or index; else NULL.
   Walkers loop along these chains, whose length is the input's, not a nesting. */
const Ast *ast_chain_next(const Ast *n);

#endif
