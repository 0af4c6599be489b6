/* MAX_POOL and AVG_POOL over H and W of NHWC data. Padding is explicit; padded
 * cells never take part: max ignores them and avg divides by the number of
 * valid cells (TF's SAME pooling). */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include "kernels_common.h"

typedef struct pool_ctx {
  const float *in;
  float *o;
  int64_t h, w, ch, oh, ow;
  const slimrt_attr_pool *at;
} pool_ctx;

/* One output row. IS_MAX is a constant in each instantiation below, and the
   pointers are restrict, so the channel loops become plain vector max/add (the
   1x1 stride-2 "subsample" pools of ResNet are then a strided copy). */
static inline __attribute__((always_inline)) void pool_row_body(const pool_ctx *x, int64_t r, const int is_max) {
  const slimrt_attr_pool *a = x->at;
  int64_t n = r / x->oh, oh = r % x->oh, ch = x->ch;
  int64_t h0 = oh * a->stride_h - a->pad_top, h1 = h0 + a->window_h;
  if (h0 < 0) h0 = 0;
  if (h1 > x->h) h1 = x->h;
  for (int64_t ow = 0; ow < x->ow; ow++) {
    int64_t w0 = ow * a->stride_w - a->pad_left, w1 = w0 + a->window_w;
    if (w0 < 0) w0 = 0;
    if (w1 > x->w) w1 = x->w;
    float *restrict acc = x->o + (r * x->ow + ow) * ch;
    for (int64_t c = 0; c < ch; c++) acc[c] = is_max ? -FLT_MAX : 0.0f;
    for (int64_t ih = h0; ih < h1; ih++)
      for (int64_t iw = w0; iw < w1; iw++) {
        const float *restrict px = x->in + ((n * x->h + ih) * x->w + iw) * ch;
        if (is_max) {
          for (int64_t c = 0; c < ch; c++) acc[c] = px[c] > acc[c] ? px[c] : acc[c];
        } else {
          for (int64_t c = 0; c < ch; c++) acc[c] += px[c];
        }
      }
    int64_t cells = (h1 > h0 ? h1 - h0 : 0) * (w1 > w0 ? w1 - w0 : 0);
    /* a window made only of padding (impossible with TF's padding rules) gives 0 */
    if (cells == 0) {
      for (int64_t c = 0; c < ch; c++) acc[c] = 0.0f;
    } else if (!is_max) {
      float inv = 1.0f / (float)cells;
      for (int64_t c = 0; c < ch; c++) acc[c] *= inv;
    }
  }
}

#define POOL_VARIANT(NAME, TARGET, IS_MAX) \
  TARGET static void NAME(void *x, int64_t r) { pool_row_body(x, r, IS_MAX); }
POOL_VARIANT(pool_max_avx512, SLIMRT_TARGET_X86("avx512f,avx512vl"), 1)
POOL_VARIANT(pool_avg_avx512, SLIMRT_TARGET_X86("avx512f,avx512vl"), 0)
POOL_VARIANT(pool_max_avx2, SLIMRT_TARGET_X86("avx2"), 1)
POOL_VARIANT(pool_avg_avx2, SLIMRT_TARGET_X86("avx2"), 0)
POOL_VARIANT(pool_max_generic, , 1)
POOL_VARIANT(pool_avg_generic, , 0)

static void pool(const slimrt_call *c, int is_max) {
  const slimrt_shape *s = &c->in_shape[0], *so = c->out_shape;
  pool_ctx x = {.in = c->in[0], .o = c->out, .h = s->dims[1], .w = s->dims[2], .ch = s->dims[3],
                .oh = so->dims[1], .ow = so->dims[2], .at = c->attr};
  void (*row)(void *, int64_t) =
      slimrt_isa() == SLIMRT_ISA_AVX512 ? (is_max ? pool_max_avx512 : pool_avg_avx512)
      : slimrt_isa() == SLIMRT_ISA_AVX2 ? (is_max ? pool_max_avx2 : pool_avg_avx2)
      : (is_max ? pool_max_generic : pool_avg_generic);
  slimrt_parallel_for(c->pool, so->dims[0] * x.oh, row, &x);
}

/* SLIMRT_PROFILE set: each call prints its shape and time, like FUSED_CONV2D's. */
static void pool_profiled(const slimrt_call *c, int is_max) {
  if (!getenv("SLIMRT_PROFILE")) {
    pool(c, is_max);
    return;
  }
  double t0 = k_now_ms();
  pool(c, is_max);
  double ms = k_now_ms() - t0;
  const slimrt_shape *s = &c->in_shape[0], *o = c->out_shape;
  fprintf(stderr, "SLIMRT_PROFILE %s %lldx%lldx%lld -> %lldx%lldx%lld %.3f ms\n", is_max ? "MAX_POOL" : "AVG_POOL",
          (long long)s->dims[1], (long long)s->dims[2], (long long)s->dims[3], (long long)o->dims[1],
          (long long)o->dims[2], (long long)o->dims[3], ms);
}

void slimrt_k_MAX_POOL(const slimrt_call *c) { pool_profiled(c, 1); }
void slimrt_k_AVG_POOL(const slimrt_call *c) { pool_profiled(c, 0); }
