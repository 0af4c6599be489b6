/* Helpers shared by the kernels_*.c files (internal to libslimrt). */
#ifndef SLIMRT_KERNELS_COMMON_H
#define SLIMRT_KERNELS_COMMON_H
#include <stdint.h>
#include <time.h>
#include "slimrt.h"

/* The vector paths the kernels take (isa.c): from cpuid, capped by the
   environment variable SLIMRT_ISA ("avx2" or "generic"), so that the tests can run
   every path on one machine. Fixed for the life of the process. */
enum { SLIMRT_ISA_GENERIC, SLIMRT_ISA_AVX2, SLIMRT_ISA_AVX512 };
int slimrt_isa(void);

/* The kernel sets: on x86-64 the AVX2 and AVX-512 variants are compiled for those
   instruction sets and chosen at run time by slimrt_isa(). On any other target
   (--target=aarch64-linux-gnu, ...) slimrt_isa() is always GENERIC, so only the portable
   C set runs; the x86 variants still compile there, as plain C, but are never called. */
#if defined(__x86_64__) || defined(__i386__)
#define SLIMRT_X86 1
#define SLIMRT_TARGET_X86(features) __attribute__((target(features)))
#else
#define SLIMRT_X86 0
#define SLIMRT_TARGET_X86(features)
#endif

/* A monotonic clock in milliseconds, for the SLIMRT_PROFILE lines. */
static inline double k_now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Number of elements of a shape (shapes reaching kernels were checked by the compiler). */
static inline int64_t k_count(const slimrt_shape *s) {
  int64_t n = 1;
  for (int64_t i = 0; i < s->rank; i++) n *= s->dims[i];
  return n;
}

/* Product of dims [lo, hi). */
static inline int64_t k_span(const slimrt_shape *s, int64_t lo, int64_t hi) {
  int64_t n = 1;
  for (int64_t i = lo; i < hi; i++) n *= s->dims[i];
  return n;
}

/* Row-major element strides of S into ST. */
static inline void k_strides(const slimrt_shape *s, int64_t *st) {
  int64_t acc = 1;
  for (int64_t i = s->rank - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= s->dims[i];
  }
}

/* Normalises a possibly negative axis against RANK. */
static inline int64_t k_axis(int64_t axis, int64_t rank) { return axis < 0 ? axis + rank : axis; }

/* Element access by dtype (kernels_cast.c), for the generic paths that serve
   the dtypes without a dedicated loop: floats travel as double, integers as
   int64 (wrapping to the destination width on store). */
int slimrt_kx_is_float(int dtype);
double slimrt_kx_load_f(int dtype, const void *p, int64_t i);
int64_t slimrt_kx_load_i(int dtype, const void *p, int64_t i);
void slimrt_kx_store_f(int dtype, void *p, int64_t i, double v);
void slimrt_kx_store_i(int dtype, void *p, int64_t i, int64_t v);

#endif
