/* The runtime's ABI structs (runtime/include/slimrt_abi.h) as LLVM types, built
 * from the same rows as the C structs: codegen names each field it fills by the
 * enums below, never by a bare number. */
#ifndef SLIMC_CG_ABI_H
#define SLIMC_CG_ABI_H
#include <stddef.h>
#include <llvm-c/Core.h>
#include <llvm-c/Target.h>
#include "slimrt_abi.h"

/* CG_ABI_<struct>: which struct. */
#define CG_ABI_STRUCT_(S) CG_ABI_##S,
typedef enum CgAbiStruct { SLIMRT_ABI_STRUCTS(CG_ABI_STRUCT_) CG_ABI_NSTRUCTS } CgAbiStruct;
#undef CG_ABI_STRUCT_

/* CG_ABI_<struct>_<field>: a field's index in its struct's LLVM type;
   CG_ABI_<struct>_NFIELDS: their number. */
#define CG_ABI_F_(S, F, K, T) CG_ABI_##S##_##F,
#define CG_ABI_A_(S, F, K, T, N) CG_ABI_##S##_##F,
#define CG_ABI_FIELDS_(S) enum { SLIMRT_ABI_##S(CG_ABI_F_, CG_ABI_A_) CG_ABI_##S##_NFIELDS };
SLIMRT_ABI_STRUCTS(CG_ABI_FIELDS_)
#undef CG_ABI_FIELDS_
#undef CG_ABI_A_
#undef CG_ABI_F_

/* The named LLVM struct type "slimrt_<S>" in CTX (made once per context). */
LLVMTypeRef cg_abi_type(LLVMContextRef ctx, CgAbiStruct s);
/* A constant of S's type (cg_abi_type) from F[CG_ABI_<S>_NFIELDS], every element
   set: fill F by field name, e.g. `LLVMValueRef f[CG_ABI_io_desc_NFIELDS] =
   {[CG_ABI_io_desc_name] = ...}`. NULL if one was left out (an internal error). */
LLVMValueRef cg_abi_const(LLVMContextRef ctx, CgAbiStruct s, LLVMValueRef *f);
int cg_abi_nfields(CgAbiStruct s);
const char *cg_abi_field_name(CgAbiStruct s, int field);
/* Compares every struct's LLVM layout under TD with the C layout slimc was built
   with (offset of each field, size): 0, or -1 with the first difference in ERR. */
int cg_abi_check(LLVMTargetDataRef td, char *err, size_t errlen);

#endif
