/* The runtime's ABI structs (runtime/include/slimrt_abi.h): the LLVM types that
 * codegen fills have the C layout that libslimrt reads, field by field, on the
 * host and on every 64-bit target slimc compiles for. */
#include <criterion/criterion.h>
#include <string.h>
#include <llvm-c/Core.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include "llvm/cg_abi.h"
#include "slimrt.h"

static void check_triple(const char *triple) {
  LLVMInitializeAllTargetInfos();
  LLVMInitializeAllTargets();
  LLVMInitializeAllTargetMCs();
  LLVMTargetRef target;
  char *msg = NULL;
  cr_assert_eq(LLVMGetTargetFromTriple(triple, &target, &msg), 0, "%s: %s", triple, msg);
  LLVMTargetMachineRef tm = LLVMCreateTargetMachine(target, triple, "generic", "", LLVMCodeGenLevelNone,
                                                    LLVMRelocPIC, LLVMCodeModelDefault);
  cr_assert_not_null(tm);
  LLVMTargetDataRef td = LLVMCreateTargetDataLayout(tm);
  char err[256] = "";
  cr_expect_eq(cg_abi_check(td, err, sizeof err), 0, "%s: %s", triple, err);
  LLVMDisposeTargetData(td);
  LLVMDisposeTargetMachine(tm);
}

Test(abi, host_layout_is_the_c_layout) {
  char *host = LLVMGetDefaultTargetTriple();
  check_triple(host);
  LLVMDisposeMessage(host);
}

Test(abi, cross_layouts_are_the_c_layout) {
  check_triple("aarch64-unknown-linux-gnu");
  check_triple("riscv64-unknown-linux-gnu");
}

/* The check can fail: 32-bit pointers are 4 bytes where C has 8. */
Test(abi, a_different_layout_is_reported) {
  LLVMTargetDataRef td = LLVMCreateTargetData("e-m:e-p:32:32-i64:64-n32-S128");
  char err[256] = "";
  cr_expect_eq(cg_abi_check(td, err, sizeof err), -1);
  cr_expect_str_eq(err, "slimrt_call.in: LLVM offset 0 size 4, C offset 0 size 8");
  LLVMDisposeTargetData(td);
}

/* Fields are numbered by name, in the rows' order: the C struct's order. */
Test(abi, field_enums_follow_the_rows) {
  cr_expect_eq(CG_ABI_call_in, 0);
  cr_expect_eq(CG_ABI_call_pool, CG_ABI_call_NFIELDS - 1);
  cr_expect_eq(CG_ABI_model_desc_NFIELDS, 8);
  cr_expect_str_eq(cg_abi_field_name(CG_ABI_model_desc, CG_ABI_model_desc_entries), "entries");
  cr_expect_str_eq(cg_abi_field_name(CG_ABI_var_desc, CG_ABI_var_desc_init_p), "init_p");
  LLVMContextRef ctx = LLVMContextCreate();
  LLVMTypeRef t = cg_abi_type(ctx, CG_ABI_entry_desc);
  cr_expect_eq(cg_abi_type(ctx, CG_ABI_entry_desc), t, "one type per context");
  cr_expect_str_eq(LLVMGetStructName(t), "slimrt_entry_desc");
  cr_expect_eq(LLVMCountStructElementTypes(t), CG_ABI_entry_desc_NFIELDS);
  /* a constant with a field left out is refused */
  LLVMValueRef f[CG_ABI_io_desc_NFIELDS] = {[CG_ABI_io_desc_name] = LLVMConstPointerNull(LLVMPointerTypeInContext(ctx, 0))};
  cr_expect_null(cg_abi_const(ctx, CG_ABI_io_desc, f));
  LLVMContextDispose(ctx);
}
