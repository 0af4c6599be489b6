#include <stdbool.h>
/* Target machine, optimisation and output files. Every output goes through
 * runtime/src/fileio.h: staged in a private temporary, put in place only when
 * everything succeeded, so a failed or interrupted compile leaves nothing behind. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <llvm-c/Analysis.h>
#include <llvm-c/Core.h>
#include <llvm-c/Error.h>
#include <llvm-c/ErrorHandling.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include "llvm/cg_internal.h"

bool cg_dump_has(const char *list, const char *stage) {
  size_t n = strlen(stage);
  for (const char *p = list; p && *p;) {
    const char *e = strchr(p, ',');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len == n && memcmp(p, stage, n) == 0) return true;
    p = e ? e + 1 : NULL;
  }
  return false;
}
#include "../../runtime/src/fileio.h"

/* -ftime-report: one line for each back-end step (after slimc's own "passes"). */
static void step_time(const BackendOptions *o, const char *step, struct timespec *t0) {
  if (!o->time_report) return;
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  fprintf(stderr, "slimc:   %-12s %9.3f ms\n", step, (t.tv_sec - t0->tv_sec) * 1e3 + (t.tv_nsec - t0->tv_nsec) / 1e6);
  *t0 = t;
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
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  LLVMPassBuilderOptionsRef popt = LLVMCreatePassBuilderOptions();
  LLVMErrorRef e = LLVMRunPasses(m, opt_pipeline(o->opt_level), tm, popt);
  LLVMDisposePassBuilderOptions(popt);
  step_time(o, "llvm-opt", &t0);
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
  step_time(o, kind == EMIT_LLVM ? "llvm-print" : "llvm-codegen", &t0);
  if (failed) {
    diag_error(d, SPAN_NONE, "E0914", "cannot write '%s': %s", o->output ? o->output : path, err ? err : "error");
    LLVMDisposeMessage(err);
    return -1;
  }
  LLVMDisposeMessage(err);
  return 0;
}

/* Writes the outputs into OUT (and HDR for -c), staged: the caller commits them. */
static int compile_into(Graph *g, Diag *d, const BackendOptions *o, slimrt_out *out, slimrt_out *hdr) {
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  CgModule *m = cg_module_build(g, d, o);
  if (!m) return -1;
  step_time(o, "llvm-ir", &t0);
  int rc = -1;
  char err[1024];
  if (o->emit == EMIT_EXE) {
    /* the object is an intermediate in the output's private directory, where the
       linker may delete and recreate the executable's temporary by name */
    const char *obj = slimrt_out_scratch(out, "model.o");
    if (!obj) {
      diag_error(d, SPAN_NONE, "E0912", "cannot create a temporary object file for '%s': out of memory", o->output);
      rc = 2;
    } else if (cg_module_emit(m, d, o, EMIT_OBJ, obj) == 0) {
      clock_gettime(CLOCK_MONOTONIC, &t0);
      if (cg_link(d, o, obj, out->tmp) == 0) rc = 0;
      step_time(o, "link", &t0);
    }
  } else if (cg_module_emit(m, d, o, o->emit, out->tmp) == 0) {
    rc = 0;
    if (hdr) {
      FILE *f = slimrt_out_stream(hdr);
      if (!f || cg_header_write(f, g, o->prefix ? o->prefix : g->model_name) != 0 ||
          slimrt_out_finish(hdr, err, sizeof err) != 0) {
        diag_error(d, SPAN_NONE, "E0915", "cannot write '%s': %s", o->header, f ? err : "out of memory");
        rc = 2;
      }
    }
  }
  cg_module_free(m);
  return rc;
}

int backend_compile(Graph *g, Diag *d, const BackendOptions *o) {
  if (o->print_memory_plan) return 0; /* printed by passes_run: nothing to emit */
  if (!o->output) {
    diag_error(d, SPAN_NONE, "E0917", "no output path");
    return -1;
  }
  if (o->out) return compile_into(g, d, o, o->out, o->emit == EMIT_OBJ ? o->hdr : NULL);
  /* on its own (tests): stage, compile and commit here */
  slimrt_out out, hdr = {0};
  char err[1024];
  slimrt_out *all[2] = {&out, NULL};
  int rc = 2;
  if (slimrt_out_begin(&out, o->output, o->emit == EMIT_EXE ? SLIMRT_OUT_EXEC : 0, err, sizeof err)) goto io;
  if (o->emit == EMIT_OBJ && o->header) {
    if (slimrt_out_begin(&hdr, o->header, 0, err, sizeof err)) {
      slimrt_out_abort(&out);
      goto io;
    }
    all[1] = &hdr;
  }
  rc = compile_into(g, d, o, &out, all[1]);
  if (rc != 0) {
    slimrt_out_abort(&out);
    slimrt_out_abort(&hdr);
    return rc;
  }
  if (slimrt_out_commit_all(all, 2, err, sizeof err) == 0) return 0;
  rc = 2;
io:
  diag_error(d, SPAN_NONE, "E0916", "cannot write: %s", err);
  return rc;
}
