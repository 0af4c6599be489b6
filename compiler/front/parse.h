/* Front end: source text -> AST (flex lexer + bison parser in grammar/). */
#ifndef SLIMC_PARSE_H
#define SLIMC_PARSE_H
#include "front/ast.h"
#include "base/diag.h"

/* Parses file FILE_IDX of the source manager. Syntax errors are reported to D
   (up to its error limit, with recovery); returns an AST_MODULE always (possibly
   with AST_ERROR nodes), and the caller checks d->nerrors. */
Ast *parse_file(Arena *arena, Diag *d, int file_idx);

/* Token dump for golden tests: one token a line, "LINE:COL KIND [text]". */
void parse_dump_tokens(FILE *out, Arena *arena, Diag *d, int file_idx);

#endif
