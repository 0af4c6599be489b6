/* LLVM types of the runtime's ABI structs, from the rows of slimrt_abi.h, and
 * the checks that their layout is the C one. */
#include <stdio.h>
#include <string.h>
#include "llvm/cg_abi.h"
#include "slimrt.h"

enum { KIND_PTR, KIND_I64, KIND_F64, KIND_SHAPE };

typedef struct AbiField {
  const char *name;
  int kind;
  unsigned count;   /* 0: a scalar, else an array of COUNT */
  size_t c_offset, c_size;
} AbiField;

enum { MAX_FIELDS = 16 };

/* Each kind's size in the generated code, where every pointer is 8 bytes. */
enum { SIZE_PTR = 8, SIZE_I64 = 8, SIZE_F64 = 8, SIZE_SHAPE = 8 * (2 + SLIMRT_MAX_RANK) };

/* Each row's C type is of its kind and has its kind's size, and no struct has
   padding: then the C and LLVM layouts can only differ in alignment, which
   cg_abi_check sees. */
#define KIND_OF_(x) _Generic((x), int64_t: KIND_I64, double: KIND_F64, slimrt_shape: KIND_SHAPE, default: KIND_PTR)
#define FIELD_SIZE_(S, F, K, T) \
  _Static_assert(KIND_OF_(((slimrt_##S *)0)->F) == KIND_##K && sizeof(((slimrt_##S *)0)->F) == SIZE_##K, \
                 "slimrt_" #S "." #F ": its C type is not of kind " #K);
#define ARRAY_SIZE_(S, F, K, T, N) \
  _Static_assert(KIND_OF_(((slimrt_##S *)0)->F[0]) == KIND_##K && \
                 sizeof(((slimrt_##S *)0)->F) == (size_t)SIZE_##K * (N), \
                 "slimrt_" #S "." #F ": its C type is not of kind " #K);
#define SUM_F_(S, F, K, T) + SIZE_##K
#define SUM_A_(S, F, K, T, N) + (size_t)SIZE_##K * (N)
#define STRUCT_CHECKS_(S) \
  _Static_assert((int)CG_ABI_##S##_NFIELDS <= (int)MAX_FIELDS, "slimrt_" #S ": raise MAX_FIELDS"); \
  SLIMRT_ABI_##S(FIELD_SIZE_, ARRAY_SIZE_) \
  _Static_assert(sizeof(slimrt_##S) == 0 SLIMRT_ABI_##S(SUM_F_, SUM_A_), "slimrt_" #S " has padding");
SLIMRT_ABI_STRUCTS(STRUCT_CHECKS_)
_Static_assert(sizeof(slimrt_shape) == SIZE_SHAPE, "slimrt_shape is not 2 + SLIMRT_MAX_RANK words");

#define ROW_F_(S, F, K, T) {#F, KIND_##K, 0, offsetof(slimrt_##S, F), sizeof(((slimrt_##S *)0)->F)},
#define ROW_A_(S, F, K, T, N) {#F, KIND_##K, N, offsetof(slimrt_##S, F), sizeof(((slimrt_##S *)0)->F)},
#define ROWS_(S) static const AbiField fields_##S[] = {SLIMRT_ABI_##S(ROW_F_, ROW_A_)};
SLIMRT_ABI_STRUCTS(ROWS_)

static const struct {
  const char *name;       /* the C and LLVM type name */
  const AbiField *fields;
  int nfields;
  size_t c_size;
} structs[] = {
#define STRUCT_(S) {"slimrt_" #S, fields_##S, CG_ABI_##S##_NFIELDS, sizeof(slimrt_##S)},
    SLIMRT_ABI_STRUCTS(STRUCT_)
#undef STRUCT_
};

static LLVMTypeRef kind_type(LLVMContextRef ctx, const AbiField *f) {
  LLVMTypeRef t;
  switch (f->kind) {
  case KIND_PTR: t = LLVMPointerTypeInContext(ctx, 0); break;
  case KIND_I64: t = LLVMInt64TypeInContext(ctx); break;
  case KIND_F64: t = LLVMDoubleTypeInContext(ctx); break;
  default: t = LLVMArrayType2(LLVMInt64TypeInContext(ctx), 2 + SLIMRT_MAX_RANK); break;
  }
  return f->count ? LLVMArrayType2(t, f->count) : t;
}

LLVMTypeRef cg_abi_type(LLVMContextRef ctx, CgAbiStruct s) {
  LLVMTypeRef t = LLVMGetTypeByName2(ctx, structs[s].name);
  if (t) return t;
  LLVMTypeRef el[MAX_FIELDS];
  int n = structs[s].nfields;
  for (int i = 0; i < n; i++) el[i] = kind_type(ctx, &structs[s].fields[i]);
  t = LLVMStructCreateNamed(ctx, structs[s].name);
  LLVMStructSetBody(t, el, (unsigned)n, 0);
  return t;
}

LLVMValueRef cg_abi_const(LLVMContextRef ctx, CgAbiStruct s, LLVMValueRef *f) {
  for (int i = 0; i < structs[s].nfields; i++)
    if (!f[i]) return NULL;
  return LLVMConstNamedStruct(cg_abi_type(ctx, s), f, (unsigned)structs[s].nfields);
}

int cg_abi_nfields(CgAbiStruct s) { return structs[s].nfields; }
const char *cg_abi_field_name(CgAbiStruct s, int field) { return structs[s].fields[field].name; }

int cg_abi_check(LLVMTargetDataRef td, char *err, size_t errlen) {
  LLVMContextRef ctx = LLVMContextCreate();
  int rc = 0;
  for (int s = 0; s < CG_ABI_NSTRUCTS && !rc; s++) {
    LLVMTypeRef t = cg_abi_type(ctx, (CgAbiStruct)s);
    for (int i = 0; i < structs[s].nfields && !rc; i++) {
      const AbiField *f = &structs[s].fields[i];
      unsigned long long off = LLVMOffsetOfElement(td, t, (unsigned)i);
      unsigned long long size = LLVMABISizeOfType(td, LLVMStructGetTypeAtIndex(t, (unsigned)i));
      if (off != f->c_offset || size != f->c_size) {
        snprintf(err, errlen, "%s.%s: LLVM offset %llu size %llu, C offset %zu size %zu", structs[s].name, f->name,
                 off, size, f->c_offset, f->c_size);
        rc = -1;
      }
    }
    unsigned long long size = LLVMABISizeOfType(td, t);
    if (!rc && size != structs[s].c_size) {
      snprintf(err, errlen, "%s: LLVM size %llu, C size %zu", structs[s].name, size, structs[s].c_size);
      rc = -1;
    }
  }
  LLVMContextDispose(ctx);
  return rc;
}
