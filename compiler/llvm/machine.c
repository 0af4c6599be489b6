/* The target machine of a compile (triple, processor, optimisation level): its
 * own file so that code generation and emission both take it from here. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <llvm-c/Core.h>
#include <llvm-c/ErrorHandling.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include "llvm/cg_internal.h"
#include "../../runtime/src/fileio.h"

/* LLVM ends the process on some errors, e.g. "IO failure on output stream" when
   a write into the staged file fails (a full disk): remove the staged files
   and exit 2 (an I/O error) instead of leaving them behind with exit 1. */
static void cg_fatal(const char *reason) {
  slimrt_out_remove_all();
  fprintf(stderr, "slimc: error: %s\n", reason);
  _exit(2);
}

LLVMTargetMachineRef cg_target_machine(Diag *d, const BackendOptions *o) {
  LLVMInstallFatalErrorHandler(cg_fatal);
  /* LLVM's target registry is process-wide and initialising it is idempotent. */
  LLVMInitializeAllTargetInfos();
  LLVMInitializeAllTargets();
  LLVMInitializeAllTargetMCs();
  LLVMInitializeAllAsmPrinters();
  char *def = LLVMGetDefaultTargetTriple();
  char *triple = LLVMNormalizeTargetTriple(o->triple ? o->triple : def);
  LLVMDisposeMessage(def);
  LLVMTargetRef target;
  char *err = NULL;
  if (LLVMGetTargetFromTriple(triple, &target, &err)) {
    diag_error(d, SPAN_NONE, "E0910", "unknown target '%s': %s", o->triple ? o->triple : triple, err);
    LLVMDisposeMessage(err);
    LLVMDisposeMessage(triple);
    return NULL;
  }
  bool native = o->cpu && strcmp(o->cpu, "native") == 0;
  if (native && o->cross) {
    diag_error(d, SPAN_NONE, "E0911", "-mcpu=native names this machine's processor, not one of target '%s': "
               "give that target's processor by name (e.g. -mcpu=cortex-a72) or leave -mcpu out", o->triple);
    LLVMDisposeMessage(triple);
    return NULL;
  }
  char *cpu = native ? LLVMGetHostCPUName() : NULL;
  char *features = native ? LLVMGetHostCPUFeatures() : NULL;
  LLVMCodeGenOptLevel lvl = o->opt_level <= 0 ? LLVMCodeGenLevelNone
                          : o->opt_level == 1 ? LLVMCodeGenLevelLess
                          : o->opt_level == 2 ? LLVMCodeGenLevelDefault : LLVMCodeGenLevelAggressive;
  /* PIC so that objects from `slimc -c` link into PIE executables and shared libraries. */
  LLVMTargetMachineRef tm = LLVMCreateTargetMachine(target, triple, native ? cpu : o->cpu ? o->cpu : "generic",
                                                    native ? features : "", lvl, LLVMRelocPIC,
                                                    LLVMCodeModelDefault);
  if (!tm) diag_error(d, SPAN_NONE, "E0911", "cannot create a target machine for '%s' (cpu '%s')", triple,
                      o->cpu ? o->cpu : "generic");
  LLVMDisposeMessage(cpu);
  LLVMDisposeMessage(features);
  LLVMDisposeMessage(triple);
  return tm;
}
