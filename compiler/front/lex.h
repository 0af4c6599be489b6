/* Front-end internals shared by grammar/lexer.l, grammar/parser.y and parse.c.
 * Nothing outside the front end includes this; the public interface is parse.h. */
#ifndef SLIMC_LEX_H
#define SLIMC_LEX_H
#include <stdbool.h>
#include "front/ast.h"
#include "parser.h" /* generated: token kinds, PARSE_YYSTYPE, PARSE_YYLTYPE */

enum {
  LEX_MAX_NESTING = 200, /* open brackets; deeper is an error, not a stack overflow */
  LEX_MAX_INDENT = 100,  /* nested indented blocks */
};

/* One token as the raw (flex) scanner produced it. */
typedef struct LexTok {
  int kind;
  PARSE_YYSTYPE val;
  PARSE_YYLTYPE loc;
  size_t end_off;    /* byte offset just past the token */
  bool bracket_stmt; /* a statement keyword opening a physical line inside brackets */
} LexTok;

/* All front-end state for one parse: no globals, so parses can run side by side. */
struct LexCtx {
  Arena *arena;
  Diag *d;
  int file;
  const char *text;
  size_t len;
  void *scanner; /* flex's yyscan_t */

  /* raw scanner position */
  int line, col;
  size_t off;
  bool bol;         /* the next token is the first on its physical line */
  int tab_line;     /* last line a tab-in-indentation error was reported for */
  char open[LEX_MAX_NESTING];
  Span open_at[LEX_MAX_NESTING];
  int depth;
  bool fatal;       /* a lexical error that stops the scan: the parser goes quiet */
  int lex_err_line;  /* last line a lexical error dropped input on */
  bool stmt_kw;
  char unclosed;          /* the bracket a statement keyword showed to be unclosed */
  Span unclosed_at;
  bool closing_newline;   /* the lookahead NEWLINE was made up to end that bracket's line */     /* set by the scanner: a statement keyword first on a line inside brackets */

  /* layout (INDENT/DEDENT/NEWLINE) */
  int indents[LEX_MAX_INDENT + 1];
  int nindent;
  int ndedent;      /* DEDENTs still to emit */
  bool held;        /* hold is the next token to hand out */
  LexTok hold;
  bool at_line_start;
  bool started;
  int last;         /* kind of the last token handed to the parser; 0 = none yet */
  PARSE_YYLTYPE last_loc;
  PARSE_YYSTYPE last_val; /* the parser's lookahead, for error messages */

  Ast *module;      /* set by the grammar's start rule */
};

Span lex_span(const LexCtx *c, const PARSE_YYLTYPE *loc);

/* lexer.l */
void lex_init(LexCtx *c, Arena *arena, Diag *d, int file);
void lex_fini(LexCtx *c);
/* The next token for the parser, layout tokens included; 0 at the end. */
int lex_next(PARSE_YYSTYPE *val, PARSE_YYLTYPE *loc, LexCtx *c);

/* pyexc: f-strings (compiler/front/fstring.c). lex_fstring turns a whole f-string token into
   an AST_FSTRING; its replacement fields are parsed by a nested scanner and parser. */
void lex_init_text(LexCtx *c, Arena *arena, Diag *d, int file, const char *text, size_t len, int line, int col);
void lex_decode_part(LexCtx *c, PARSE_YYLTYPE *loc, const char *s, size_t n, bool raw, const char **out, size_t *outn);
Ast *lex_fstring(LexCtx *c, PARSE_YYLTYPE *loc, const char *tok, size_t n);

/* parser.y */
int lex_parse(LexCtx *c);
/* Stable token name for --dump=tokens: NAME, INT, 'def', '(', NEWLINE, ... */
const char *lex_token_name(int kind, char *buf, size_t n);

#endif
