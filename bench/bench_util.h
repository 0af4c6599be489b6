/* Timing helpers shared by the C benchmarks in bench/. */
#ifndef SLIMC_BENCH_UTIL_H
#define SLIMC_BENCH_UTIL_H
#include <time.h>

/* A monotonic clock in milliseconds. */
static inline double bench_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* qsort comparison of doubles, ascending (for medians). */
static inline int bench_cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

#endif
