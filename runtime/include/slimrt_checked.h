/* Overflow-checked 64-bit arithmetic: the one place where shape, window and offset
 * sizes are added and multiplied. Every helper returns 0 with the exact result in
 * *R, or -1 when the mathematical result does not fit in int64 (*R is then
 * unspecified). Used by the compiler's shape inference and the evaluator's integer
 * edges, and by the runtime's shape counts. Internal: not installed. */
#ifndef SLIMRT_CHECKED_H
#define SLIMRT_CHECKED_H
#include <stdint.h>

static inline int slimrt_ck_add(int64_t a, int64_t b, int64_t *r) { return __builtin_add_overflow(a, b, r) ? -1 : 0; }
static inline int slimrt_ck_sub(int64_t a, int64_t b, int64_t *r) { return __builtin_sub_overflow(a, b, r) ? -1 : 0; }
static inline int slimrt_ck_mul(int64_t a, int64_t b, int64_t *r) { return __builtin_mul_overflow(a, b, r) ? -1 : 0; }

/* A window's effective extent with dilation: k + (k - 1) * (rate - 1), K and RATE >= 1. */
static inline int slimrt_ck_window_extent(int64_t k, int64_t rate, int64_t *r) {
  int64_t t;
  if (slimrt_ck_mul(k - 1, rate - 1, &t)) return -1;
  return slimrt_ck_add(t, k, r);
}

/* The number of elements of the dims D[0..RANK): -1 if a dim is negative or the
   product of the non-zero dims overflows (so that every stride a kernel computes
   from them fits too, even when a zero dim makes the count 0). */
static inline int64_t slimrt_ck_count(int rank, const int64_t *d) {
  int64_t n = 1;
  int zero = 0;
  for (int i = 0; i < rank; i++) {
    if (d[i] < 0) return -1;
    if (d[i] == 0) zero = 1;
    else if (slimrt_ck_mul(n, d[i], &n)) return -1;
  }
  return zero ? 0 : n;
}

/* START + I * STEP for an element the caller knows lies in int64 (the I-th element of a
   range or slice): the product alone may not fit (range(-2**63, 2**63-1, 2**63-1)[2]),
   so it is formed in uint64, where wrapping is defined and the sum comes out exact. */
static inline int64_t slimrt_ck_nth(int64_t start, int64_t step, int64_t i) {
  return (int64_t)((uint64_t)start + (uint64_t)step * (uint64_t)i);
}

/* How many elements a Python-style slice START, START+STEP, ... picks before
   reaching STOP (exclusive); STEP != 0. Exact for every int64 input. */
static inline int64_t slimrt_ck_span_count(int64_t start, int64_t stop, int64_t step) {
  uint64_t dist, st;
  if (step > 0) {
    if (stop <= start) return 0;
    dist = (uint64_t)stop - (uint64_t)start;
    st = (uint64_t)step;
  } else {
    if (stop >= start) return 0;
    dist = (uint64_t)start - (uint64_t)stop;
    st = (uint64_t)0 - (uint64_t)step;
  }
  uint64_t c = (dist - 1) / st + 1;
  return c > (uint64_t)INT64_MAX ? -1 : (int64_t)c;
}
#endif
