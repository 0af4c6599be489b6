/* Which vector paths the kernels take (kernels_common.h). */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "kernels_common.h"

static int detect(void) {
  int isa = SLIMRT_ISA_GENERIC;
#if SLIMRT_X86
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) isa = SLIMRT_ISA_AVX2;
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) isa = SLIMRT_ISA_AVX512;
#endif
  const char *cap = getenv("SLIMRT_ISA");
  if (cap && strcmp(cap, "generic") == 0) isa = SLIMRT_ISA_GENERIC;
  else if (cap && strcmp(cap, "avx2") == 0 && isa > SLIMRT_ISA_AVX2) isa = SLIMRT_ISA_AVX2;
  return isa;
}

int slimrt_isa(void) {
  static _Atomic int cached = -1; /* the same answer for the whole process: packed layouts depend on it */
  int isa = atomic_load_explicit(&cached, memory_order_relaxed);
  if (isa < 0) {
    isa = detect();
    atomic_store_explicit(&cached, isa, memory_order_relaxed);
  }
  return isa;
}
