#include <stdbool.h>
/* Target machine, optimisation and output files. Every output is written to a
 * temporary beside its final path and renamed only when everything succeeded,
 * so a failed compile leaves nothing behind. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <llvm-c/Analysis.h>
#include <llvm-c/Core.h>
#include <llvm-c/Error.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include "cg_internal.h"

LLVMTargetMachineRef cg_target_machine(Diag *d, const BackendOptions *o) {
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

static mode_t file_mode(mode_t want) {
  mode_t mask = umask(0);
  umask(mask);
  return want & ~mask;
}

char *cg_temp_beside(Arena *a, Diag *d, const char *path) {
  char *tmp = arena_printf(a, "%s.tmpXXXXXX", path);
  int fd = mkstemp(tmp);
  if (fd < 0) {
    diag_error(d, SPAN_NONE, "E0912", "cannot create a temporary file beside '%s': %s", path, strerror(errno));
    return NULL;
  }
  fchmod(fd, file_mode(0666)); /* mkstemp's 0600 would otherwise survive the rename */
  close(fd);
  return tmp;
}

static const char *opt_pipeline(int level) {
  switch (level) {
  case 0: return "default<O0>";
  case 1: return "default<O1>";
  case 3: return "default<O3>";
  default: return "default<O2>";
  }
}

int cg_module_emit(CgModule *cm, Diag *d, const BackendOptions *o, EmitKind kind, const char *path) {
  LLVMModuleRef m = cg_module_llvm(cm);
  LLVMTargetMachineRef tm = cg_module_tm(cm);
  LLVMPassBuilderOptionsRef popt = LLVMCreatePassBuilderOptions();
  LLVMErrorRef e = LLVMRunPasses(m, opt_pipeline(o->opt_level), tm, popt);
  LLVMDisposePassBuilderOptions(popt);
  if (e) {
    char *msg = LLVMGetErrorMessage(e);
    diag_error(d, SPAN_NONE, "E0913", "LLVM optimisation failed: %s", msg);
    LLVMDisposeErrorMessage(msg);
    return -1;
  }
  char *err = NULL;
  if (LLVMVerifyModule(m, LLVMReturnStatusAction, &err)) {
    diag_error(d, SPAN_NONE, "E0906", "internal error: optimised LLVM IR is invalid: %s", err);
    LLVMDisposeMessage(err);
    return -1;
  }
  LLVMDisposeMessage(err);
  err = NULL;
  if (cg_dump_has(o->dump, "llvm")) {
    char *ir = LLVMPrintModuleToString(m);
    fputs(ir, stdout);
    LLVMDisposeMessage(ir);
  }
  int failed;
  if (kind == EMIT_LLVM) failed = LLVMPrintModuleToFile(m, path, &err);
  else
    failed = LLVMTargetMachineEmitToFile(tm, m, (char *)path, kind == EMIT_ASM ? LLVMAssemblyFile : LLVMObjectFile,
                                         &err);
  if (failed) {
    diag_error(d, SPAN_NONE, "E0914", "cannot write '%s': %s", o->output ? o->output : path, err ? err : "error");
    LLVMDisposeMessage(err);
    return -1;
  }
  LLVMDisposeMessage(err);
  return 0;
}

static int write_header(Diag *d, const Graph *g, const BackendOptions *o, const char *path) {
  FILE *f = fopen(path, "w");
  if (!f) {
    diag_error(d, SPAN_NONE, "E0915", "cannot write '%s': %s", o->header, strerror(errno));
    return -1;
  }
  int rc = cg_header_write(f, g, o->prefix ? o->prefix : g->model_name);
  if (fclose(f) != 0 || rc != 0) {
    diag_error(d, SPAN_NONE, "E0915", "cannot write '%s': %s", o->header, strerror(errno));
    return -1;
  }
  return 0;
}

static int commit(Diag *d, const char *tmp, const char *path) {
  if (rename(tmp, path) == 0) return 0;
  diag_error(d, SPAN_NONE, "E0916", "cannot write '%s': %s", path, strerror(errno));
  return -1;
}

int backend_compile(Graph *g, Diag *d, const BackendOptions *o) {
  if (o->print_memory_plan) return 0; /* printed by passes_run: nothing to emit */
  if (!o->output) {
    diag_error(d, SPAN_NONE, "E0917", "no output path");
    return -1;
  }
  CgModule *m = cg_module_build(g, d, o);
  if (!m) return -1;
  Arena *a = g->arena;
  int rc = -1;
  bool io = false; /* the failure was writing a file: exit status 2 */
  char *tmp = NULL, *htmp = NULL, *obj = NULL;
  if (o->emit == EMIT_EXE) {
    /* the object is an intermediate: beside the output, with the suffix cc expects */
    obj = arena_printf(a, "%s.tmpXXXXXX.o", o->output);
    int fd = mkstemps(obj, 2);
    if (fd < 0) {
      diag_error(d, SPAN_NONE, "E0912", "cannot create a temporary file beside '%s': %s", o->output,
                 strerror(errno));
      obj = NULL;
      io = true;
      goto out;
    }
    close(fd);
    if (cg_module_emit(m, d, o, EMIT_OBJ, obj) != 0) goto out;
    if (!(tmp = cg_temp_beside(a, d, o->output))) { io = true; goto out; }
    if (cg_link(d, o, obj, tmp) != 0) goto out;
    chmod(tmp, file_mode(0777));
    rc = commit(d, tmp, o->output);
    io = rc != 0;
  } else {
    if (!(tmp = cg_temp_beside(a, d, o->output))) { io = true; goto out; }
    if (cg_module_emit(m, d, o, o->emit, tmp) != 0) goto out;
    if (o->emit == EMIT_OBJ && o->header) {
      if (!(htmp = cg_temp_beside(a, d, o->header))) { io = true; goto out; }
      if (write_header(d, g, o, htmp) != 0) { io = true; goto out; }
    }
    if (commit(d, tmp, o->output) != 0) { io = true; goto out; }
    tmp = NULL;
    if (htmp && commit(d, htmp, o->header) != 0) {
      unlink(o->output); /* all or nothing */
      io = true;
      goto out;
    }
    htmp = NULL;
    rc = 0;
  }
out:
  if (rc == 0) tmp = NULL;
  if (obj) unlink(obj);
  if (tmp) unlink(tmp);
  if (htmp) unlink(htmp);
  cg_module_free(m);
  return rc == 0 ? 0 : io ? 2 : -1;
}
