/* The LLVM back end: a graph the passes have planned -> object / assembly / IR /
 * executable linked with libslimrt. */
#ifndef SLIMC_BACKEND_H
#define SLIMC_BACKEND_H
#include <stdbool.h>
#include "base/diag.h"
#include "ir/graph.h"
#include "passes/passes.h"

typedef enum EmitKind { EMIT_EXE, EMIT_OBJ, EMIT_ASM, EMIT_LLVM } EmitKind;

struct slimrt_out;

typedef struct BackendOptions {
  EmitKind emit;
  const char *output;          /* final path, for messages (and written here when out is NULL) */
  const char *header;          /* EMIT_OBJ: the C header path */
  struct slimrt_out *out, *hdr; /* staged outputs (runtime/src/fileio.h) the caller commits, or NULL:
                                   backend_compile stages and commits output and header itself */
  const char *prefix;          /* C identifier prefix of the C API (model name, sanitized) */
  int opt_level;               /* 0..3 */
  const char *triple;          /* NULL: host */
  const char *cpu;             /* NULL: "generic"; "native" supported */
  const char *checkpoint;      /* embed weights from this checkpoint (NULL: none) */
  const char *dump;            /* comma list of stages to print to stdout: graph,opt,llvm */
  bool print_memory_plan;      /* print the plan and stop */
  const char *runtime_dir;     /* where libslimrt.a lives (for EMIT_EXE); NULL: none for triple */
  bool cross;                  /* triple names another architecture than the host's */
  const char *cc;              /* system C compiler used to link (default "cc") */
  bool show_commands;          /* -v: print each command run to stderr */
  bool time_report;            /* -ftime-report: print the time of each back-end step to stderr */
} BackendOptions;

/* The runtime initializer (slimrt_init_kind) and its two parameters for V, as the
   model descriptor records them for --random-init; shared with `slim-ckpt init` so
   a written checkpoint holds exactly the values --random-init would draw. */
int64_t backend_init_kind(const GVar *v, double p[2]);

/* The pass options for O: libslimrt's answers for O's target (llvm/target.c), and the
   --dump / --print-memory-plan requests. */
PassOptions backend_pass_options(const BackendOptions *o);
/* The C API's prefix (--api-prefix, or GIVEN false: the model's name) is an identifier
   starting with a letter, no keyword and not slimrt*: else an error [E0940] and -1. */
int backend_prefix_check(const char *prefix, bool given, Span span, Diag *d);
/* Emits G as asked. 0 on success; errors are diagnostics; nothing is left behind.
   Returns 2 when the failure was writing an output file (slimc exits 2), else -1. */
/* The C header's names: every input and output must give a distinct, valid C
   identifier that is no keyword. 0, or -1 after a diagnostic naming both clashing names. */
int backend_header_check(const Graph *g, Diag *d);
int backend_compile(Graph *g, Diag *d, const BackendOptions *o);

#endif
