/* GFLOP/s of the largest ResNet-50 v1 convolutions on the path a compiled model
 * takes: FUSED_CONV2D with batch norm and relu, its filter packed once by the
 * prepare hook (compiler/passes/pass_prepack.c marks every ResNet conv so).
 * conv_bench THREADS [RUNS]. One line per shape: name, median ms, GFLOP/s. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "bench_util.h"
#include "slimrt.h"

typedef struct shape { const char *name; int64_t hw, ci, co, k, s; } shape;

static const shape SHAPES[] = {
  {"block3 conv2 3x3 256->256 14x14", 14, 256, 256, 3, 1},
  {"block4 conv2 3x3 512->512 7x7", 7, 512, 512, 3, 1},
  {"block2 conv2 3x3 128->128 28x28", 28, 128, 128, 3, 1},
  {"block3 conv3 1x1 256->1024 14x14", 14, 256, 1024, 1, 1},
  {"block3 conv1 1x1 1024->256 14x14", 14, 1024, 256, 1, 1},
  {"block1 shortcut 1x1 64->256 56x56", 56, 64, 256, 1, 1},
};

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1, runs = argc > 2 ? atoi(argv[2]) : 30;
  if (runs < 1 || runs > 1000) runs = 30;
  slimrt_pool *pool = slimrt_pool_new(threads);
  if (!pool) return 1;
  for (size_t i = 0; i < sizeof SHAPES / sizeof *SHAPES; i++) {
    const shape *s = &SHAPES[i];
    int64_t pad = s->k / 2, oh = (s->hw + 2 * pad - s->k) / s->s + 1;
    size_t nin = (size_t)(s->hw * s->hw * s->ci), nf = (size_t)(s->k * s->k * s->ci * s->co),
           nout = (size_t)(oh * oh * s->co);
    float *in = malloc(nin * 4), *f = malloc(nf * 4), *out = malloc(nout * 4), *bn = malloc((size_t)s->co * 16);
    if (!in || !f || !out || !bn) return 1;
    for (int64_t j = 0; j < s->co; j++) { /* gamma, beta, mean, variance */
      bn[j] = 1.0f + (float)(j % 7) / 10;
      bn[s->co + j] = (float)(j % 5) / 10;
      bn[2 * s->co + j] = (float)(j % 3) / 10;
      bn[3 * s->co + j] = 1.0f + (float)(j % 4) / 10;
    }
    for (size_t j = 0; j < nin; j++) in[j] = (float)((j * 7919) % 1000) / 1000.0f - 0.5f;
    for (size_t j = 0; j < nf; j++) f[j] = (float)((j * 104729) % 1000) / 1000.0f - 0.5f;
    slimrt_shape v = {SLIMRT_F32, 1, {s->co}};
    slimrt_shape shp[6] = {{SLIMRT_F32, 4, {1, s->hw, s->hw, s->ci}}, {SLIMRT_F32, 4, {s->k, s->k, s->ci, s->co}},
                           v, v, v, v};
    slimrt_shape so = {SLIMRT_F32, 4, {1, oh, oh, s->co}};
    slimrt_attr_fconv at = {.conv = {s->s, s->s, 1, 1, pad, pad, pad, pad}, .has_bn = 1, .act = 1, .epsilon = 1e-5,
                            .prepacked = 1};
    const void *ins[6] = {in, f, bn, bn + s->co, bn + 2 * s->co, bn + 3 * s->co};
    slimrt_call c = {.in = ins, .in_shape = shp, .nin = 6, .out = out, .out_shape = &so, .attr = &at, .pool = pool};
    slimrt_p_FUSED_CONV2D(&c); /* once, as a model does at load time */
    for (int w = 0; w < 3; w++) slimrt_k_FUSED_CONV2D(&c);
    double t[1000];
    for (int r = 0; r < runs; r++) {
      double t0 = bench_now_ms();
      slimrt_k_FUSED_CONV2D(&c);
      t[r] = bench_now_ms() - t0;
    }
    qsort(t, (size_t)runs, sizeof *t, bench_cmp_double);
    double med = t[runs / 2], flops = 2.0 * (double)(oh * oh) * (double)(s->k * s->k * s->ci) * (double)s->co;
    printf("%s\t%.3f\t%.1f\n", s->name, med, flops / med / 1e6);
    free(in);
    free(f);
    free(out);
    free(bn);
  }
  slimrt_pool_free(pool);
  return 0;
}
