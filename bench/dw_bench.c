/* Time per call of MobileNet v1's depthwise convolutions on the path a compiled
 * model takes: FUSED_CONV2D (depthwise) with batch norm and relu6, NHWC, TF's
 * SAME padding. Each result is checked against a plain loop first.
 * dw_bench THREADS [RUNS [NAME]]: NAME picks one shape (a substring of its name).
 * One line per shape: name, median ms, minimum ms, GFLOP/s at the median, max |err|. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bench_util.h"
#include "slimrt.h"

typedef struct shape { const char *name; int64_t hw, c, s; } shape;

static const shape SHAPES[] = {
  {"dw 112x112x32 s1", 112, 32, 1}, {"dw 112x112x64 s2", 112, 64, 2}, {"dw 56x56x128 s1", 56, 128, 1},
  {"dw 56x56x128 s2", 56, 128, 2},  {"dw 28x28x256 s1", 28, 256, 1},  {"dw 28x28x256 s2", 28, 256, 2},
  {"dw 14x14x512 s1", 14, 512, 1},  {"dw 14x14x512 s2", 14, 512, 2},  {"dw 7x7x1024 s1", 7, 1024, 1},
};

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1, runs = argc > 2 ? atoi(argv[2]) : 200;
  if (runs < 1 || runs > 10000) runs = 200;
  slimrt_pool *pool = slimrt_pool_new(threads);
  double *t = malloc((size_t)runs * sizeof *t);
  if (!pool || !t) return 1;
  for (size_t i = 0; i < sizeof SHAPES / sizeof *SHAPES; i++) {
    const shape *s = &SHAPES[i];
    if (argc > 3 && !strstr(s->name, argv[3])) continue;
    int64_t hw = s->hw, c = s->c, oh = (hw + s->s - 1) / s->s;
    int64_t pad_total = (oh - 1) * s->s + 3 - hw > 0 ? (oh - 1) * s->s + 3 - hw : 0, pt = pad_total / 2;
    size_t nin = (size_t)(hw * hw * c), nf = (size_t)(9 * c), nout = (size_t)(oh * oh * c);
    /* 64-byte aligned, as a model's arena and weights are */
    float *in = aligned_alloc(64, nin * 4), *f = aligned_alloc(64, nf * 4), *out = aligned_alloc(64, nout * 4),
          *bn = aligned_alloc(64, (size_t)c * 16);
    if (!in || !f || !out || !bn) return 1;
    for (int64_t j = 0; j < c; j++) { /* gamma, beta, mean, variance */
      bn[j] = 1.0f + (float)(j % 7) / 10;
      bn[c + j] = (float)(j % 5) / 10;
      bn[2 * c + j] = (float)(j % 3) / 10;
      bn[3 * c + j] = 1.0f + (float)(j % 4) / 10;
    }
    for (size_t j = 0; j < nin; j++) in[j] = (float)((j * 7919) % 1000) / 1000.0f - 0.5f;
    for (size_t j = 0; j < nf; j++) f[j] = (float)((j * 104729) % 1000) / 500.0f - 1.0f;
    slimrt_shape v = {SLIMRT_F32, 1, {c}};
    slimrt_shape shp[6] = {{SLIMRT_F32, 4, {1, hw, hw, c}}, {SLIMRT_F32, 4, {3, 3, c, 1}}, v, v, v, v};
    slimrt_shape so = {SLIMRT_F32, 4, {1, oh, oh, c}};
    slimrt_attr_fconv at = {.conv = {s->s, s->s, 1, 1, pt, pad_total - pt, pt, pad_total - pt},
                            .depthwise = 1, .has_bn = 1, .act = 2, .epsilon = 1e-3};
    const void *ins[6] = {in, f, bn, bn + c, bn + 2 * c, bn + 3 * c};
    slimrt_call call = {.in = ins, .in_shape = shp, .nin = 6, .out = out, .out_shape = &so, .attr = &at,
                        .pool = pool};
    slimrt_k_FUSED_CONV2D(&call);
    double err = 0; /* against a plain loop in double */
    for (int64_t y = 0; y < oh; y++)
      for (int64_t x = 0; x < oh; x++)
        for (int64_t ch = 0; ch < c; ch++) {
          double acc = 0;
          for (int64_t ky = 0; ky < 3; ky++)
            for (int64_t kx = 0; kx < 3; kx++) {
              int64_t iy = y * s->s - pt + ky, ix = x * s->s - pt + kx;
              if (iy >= 0 && iy < hw && ix >= 0 && ix < hw) acc += (double)in[(iy * hw + ix) * c + ch] * f[(ky * 3 + kx) * c + ch];
            }
          double k = bn[ch] / sqrt((double)bn[3 * c + ch] + 1e-3);
          acc = (acc - bn[2 * c + ch]) * k + bn[c + ch];
          acc = acc < 0 ? 0 : acc > 6 ? 6 : acc;
          double d = fabs(acc - out[(y * oh + x) * c + ch]);
          if (d > err) err = d;
        }
    for (int w = 0; w < 10; w++) slimrt_k_FUSED_CONV2D(&call);
    for (int r = 0; r < runs; r++) {
      double t0 = bench_now_ms();
      slimrt_k_FUSED_CONV2D(&call);
      t[r] = bench_now_ms() - t0;
    }
    qsort(t, (size_t)runs, sizeof *t, bench_cmp_double);
    double med = t[runs / 2], flops = 2.0 * (double)nout * 9;
    printf("%-18s\t%.4f\t%.4f\t%.1f\t%.1e\n", s->name, med, t[0], flops / med / 1e6, err);
    free(in);
    free(f);
    free(out);
    free(bn);
  }
  free(t);
  slimrt_pool_free(pool);
  return 0;
}
