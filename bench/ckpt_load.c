/* Times opening the MobileNet checkpoint (vww-mobilenet-v1-025: 441 tensors, 3.4 MB)
 * and reading every numeric tensor with CRC verification; prints the median of 20
 * runs. Goal: under 20 ms. usage: ckpt_load [PREFIX] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "bench_util.h"
#include "slimrt.h"

#define RUNS 20

int main(int argc, char **argv) {
  const char *prefix = argc > 1 ? argv[1] : SLIMC_SHARED_DIR "/testdata/tf-checkpoints/vww-mobilenet-v1-025";
  double t[RUNS];
  char err[1024];
  long long bytes = 0;
  int tensors = 0;
  for (int r = 0; r < RUNS; r++) {
    double t0 = bench_now_ms();
    slimrt_ckpt *ck = slimrt_ckpt_open(prefix, err, sizeof err);
    if (!ck) {
      fprintf(stderr, "ckpt_load: %s\n", err);
      return 1;
    }
    bytes = 0;
    tensors = 0;
    for (int i = 0; i < slimrt_ckpt_count(ck); i++) {
      const slimrt_ckpt_entry *e = slimrt_ckpt_entry_at(ck, i);
      int esz = slimrt_dtype_size(e->dtype);
      if (esz <= 0) continue; /* strings are listed, not loadable */
      size_t n = (size_t)slimrt_shape_count(e->rank, e->dims) * (size_t)esz;
      void *buf = malloc(n ? n : 1);
      if (!buf || slimrt_ckpt_read(ck, e, buf, n, err, sizeof err)) {
        fprintf(stderr, "ckpt_load: %s\n", buf ? err : "out of memory");
        free(buf);
        slimrt_ckpt_close(ck);
        return 1;
      }
      free(buf);
      bytes += (long long)n;
      tensors++;
    }
    slimrt_ckpt_close(ck);
    t[r] = bench_now_ms() - t0;
  }
  qsort(t, RUNS, sizeof t[0], bench_cmp_double);
  double med = (t[RUNS / 2 - 1] + t[RUNS / 2]) / 2;
  printf("ckpt_load: %d tensors, %lld bytes: median %.2f ms over %d runs (min %.2f, max %.2f; goal < 20 ms)\n",
         tensors, bytes, med, RUNS, t[0], t[RUNS - 1]);
  return 0;
}
