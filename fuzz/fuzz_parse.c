/* libFuzzer target: the lexer and parser must turn any bytes into an AST or
 * diagnostics, never a crash, a hang or a leak. The token dump and the AST
 * dump run too, so their code sees the same inputs. */
#include <stdio.h>
#include "front/parse.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
  static FILE *null; /* opened once: fopen per input would dominate the run time */
  if (!null) null = fopen("/dev/null", "w");
  Arena arena;
  arena_init(&arena);
  SrcMgr sm;
  src_init(&sm, &arena);
  Diag d;
  diag_init(&d, &sm, null, DIAG_COLOR_NEVER);
  int f = src_add(&sm, "fuzz.slim", (const char *)data, size);
  parse_dump_tokens(null, &arena, &d, f);
  d.nerrors = 0;
  Ast *m = parse_file(&arena, &d, f);
  if (!m || m->kind != AST_MODULE) __builtin_trap();
  if (d.nerrors == 0) ast_dump(null, m);
  arena_free(&arena);
  return 0;
}
