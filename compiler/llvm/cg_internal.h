/* Private interface between the back end's files (target, machine, codegen, emit, link,
 * cheader). Only backend.h is seen by the driver. */
#ifndef SLIMC_CG_INTERNAL_H
#define SLIMC_CG_INTERNAL_H
#include <stdbool.h>
#include <stdio.h>
#include <llvm-c/TargetMachine.h>
#include "llvm/backend.h"

/* emit.c: is STAGE one of the comma-separated names in LIST (NULL: none)? */
bool cg_dump_has(const char *list, const char *stage);

/* codegen.c: builds the LLVM module for G into an opaque handle. */
typedef struct CgModule CgModule;
CgModule *cg_module_build(Graph *g, Diag *d, const BackendOptions *o);
/* emit.c: optimises, verifies and writes M to PATH (a temporary) as o->emit asks
   (EMIT_EXE writes an object). 0 or -1 with a diagnostic. */
int cg_module_emit(CgModule *m, Diag *d, const BackendOptions *o, EmitKind kind, const char *path);
/* The verified IR text of M (malloc'ed) for --dump=llvm and tests. */
char *cg_module_ir(CgModule *m);
LLVMModuleRef cg_module_llvm(CgModule *m);
LLVMTargetMachineRef cg_module_tm(CgModule *m);
/* machine.c: the target machine for o->triple / o->cpu / o->opt_level, or NULL with a diagnostic. */
LLVMTargetMachineRef cg_target_machine(Diag *d, const BackendOptions *o);
void cg_module_free(CgModule *m);

/* link.c: cc OBJ -o OUT RUNTIME_DIR/libslimrt.a -lm -lpthread (no shell). */
int cg_link(Diag *d, const BackendOptions *o, const char *obj, const char *out);

/* cheader.c: the C header of `slimc -c`. */
int cg_header_write(FILE *f, const Graph *g, const char *prefix);

#endif
