/* The convolution GEMM: register-blocked micro-kernels for AVX-512, AVX2 and plain
 * C, chosen from cpuid when the kernel runs, with im2col done while packing each
 * MR-row tile of A (so a 1x1 convolution reads its input directly and a 3x3 one
 * never materialises the whole im2col matrix).
 *
 * Blocking: the output is cut into tasks of up to MB_TILES row tiles x NB columns;
 * a task walks its row tiles, and for each K block packs the tile of A once and
 * sweeps its column panels (NR = 32 floats), so the K block x NB slice of the
 * filter stays in L2 while the packed A tile stays in L1. The K blocking depends
 * only on K, so every output element is summed in the same order whatever the
 * thread count. */
#include <string.h>
#include "gemm.h"

enum {
  NR = 32,          /* columns per micro-kernel: two 16-float vectors */
  MR_MAX = 12,
  KC_MAX = 512,     /* K block: A tile 24 KiB, B panel slice 64 KiB */
  NB = 128,         /* columns per task */
  MB_TILES = 4,     /* row tiles per task */
};

/* 16 floats, loadable from any float-aligned address. */
typedef float vf16 __attribute__((vector_size(64), aligned(4)));

/* C[0..MR) x [0..32) (+)= Ap[kc][MR] x B[kc][32] (row stride LDB). Instantiated per
   target below; MR is a constant there, so the accumulators live in registers. */
static inline __attribute__((always_inline)) void ukr_body(const int mr, int64_t kc, const float *restrict ap,
                                                           const float *restrict b, int64_t ldb, float *restrict c,
                                                           int64_t ldc, int accumulate) {
  vf16 c0[MR_MAX], c1[MR_MAX];
#pragma GCC unroll 12
  for (int r = 0; r < mr; r++) {
    if (accumulate) {
      c0[r] = *(const vf16 *)(c + r * ldc);
      c1[r] = *(const vf16 *)(c + r * ldc + 16);
    } else {
      c0[r] = (vf16){0};
      c1[r] = (vf16){0};
    }
  }
  for (int64_t k = 0; k < kc; k++) {
    vf16 b0 = *(const vf16 *)(b + k * ldb), b1 = *(const vf16 *)(b + k * ldb + 16);
#pragma GCC unroll 12
    for (int r = 0; r < mr; r++) {
      float a = ap[k * mr + r];
      c0[r] += a * b0;
      c1[r] += a * b1;
    }
  }
#pragma GCC unroll 12
  for (int r = 0; r < mr; r++) {
    *(vf16 *)(c + r * ldc) = c0[r];
    *(vf16 *)(c + r * ldc + 16) = c1[r];
  }
}

typedef void (*ukr_fn)(int64_t kc, const float *ap, const float *b, int64_t ldb, float *c, int64_t ldc,
                       int accumulate);

/* AVX-512: 24 accumulators + 2 filter vectors of the 32 registers. */
__attribute__((target("avx512f,avx512vl,fma")))
static void ukr_avx512(int64_t kc, const float *ap, const float *b, int64_t ldb, float *c, int64_t ldc,
                       int accumulate) {
  ukr_body(12, kc, ap, b, ldb, c, ldc, accumulate);
}

/* AVX2: a 16-float vector is two registers, so 3 rows use 12 of the 16. */
__attribute__((target("avx2,fma")))
static void ukr_avx2(int64_t kc, const float *ap, const float *b, int64_t ldb, float *c, int64_t ldc,
                     int accumulate) {
  ukr_body(3, kc, ap, b, ldb, c, ldc, accumulate);
}

static void ukr_generic(int64_t kc, const float *ap, const float *b, int64_t ldb, float *c, int64_t ldc,
                        int accumulate) {
  ukr_body(2, kc, ap, b, ldb, c, ldc, accumulate);
}

typedef struct gemm_ctx {
  const slimrt_conv_geom *g;
  const float *b;
  float *c;
  const slimrt_epilogue *e;
  int64_t m, k, n;
  int64_t kc_step;
  int64_t mtiles, mblocks, nblocks;
  int mr;
  ukr_fn ukr;
} gemm_ctx;

/* Packs rows [m0, m0+rows) x cols [k0, k0+kc) of the im2col matrix as Ap[kc][MR],
   zero-filling padding taps and the rows past ROWS. */
static void pack_a(const gemm_ctx *x, int64_t m0, int64_t rows, int64_t k0, int64_t kc, float *ap) {
  const slimrt_conv_geom *g = x->g;
  const int mr = x->mr;
  int64_t plane = g->oh * g->ow;
  for (int r = 0; r < mr; r++) {
    if (r >= rows) {
      for (int64_t kk = 0; kk < kc; kk++) ap[kk * mr + r] = 0;
      continue;
    }
    int64_t m = m0 + r, n = m / plane, rem = m % plane, oy = rem / g->ow, ox = rem % g->ow;
    for (int64_t k = k0; k < k0 + kc;) {
      int64_t tap = k / g->ci, c0 = k % g->ci, ky = tap / g->kw, kx = tap % g->kw;
      int64_t seg = g->ci - c0 < k0 + kc - k ? g->ci - c0 : k0 + kc - k;
      int64_t iy = oy * g->sh - g->pt + ky * g->dh, ix = ox * g->sw - g->pl + kx * g->dw;
      float *dst = ap + (k - k0) * mr + r;
      if (iy >= 0 && iy < g->h && ix >= 0 && ix < g->w) {
        const float *src = g->in + ((n * g->h + iy) * g->w + ix) * g->ci + c0;
        for (int64_t s = 0; s < seg; s++) dst[s * mr] = src[s];
      } else {
        for (int64_t s = 0; s < seg; s++) dst[s * mr] = 0;
      }
      k += seg;
    }
  }
}

void slimrt_epilogue_apply(const slimrt_epilogue *e, float *c, int64_t ldc, int64_t row0, int64_t rows,
                           int64_t col0, int64_t cols) {
  if (!e || (!e->scale && !e->shift && !e->residual && e->act == SLIMRT_ACT_NONE)) return;
  for (int64_t r = 0; r < rows; r++) {
    float *row = c + r * ldc;
    const float *res = e->residual ? e->residual + (row0 + r) * ldc + col0 : NULL;
    if (e->scale)
      for (int64_t j = 0; j < cols; j++) row[j] *= e->scale[col0 + j];
    if (e->shift)
      for (int64_t j = 0; j < cols; j++) row[j] += e->shift[col0 + j];
    if (res)
      for (int64_t j = 0; j < cols; j++) row[j] += res[j];
    if (e->act == SLIMRT_ACT_RELU)
      for (int64_t j = 0; j < cols; j++) row[j] = row[j] > 0 ? row[j] : 0;
    else if (e->act == SLIMRT_ACT_RELU6)
      for (int64_t j = 0; j < cols; j++) row[j] = row[j] > 0 ? (row[j] < 6 ? row[j] : 6) : 0;
  }
}

static void gemm_task(void *vctx, int64_t t) {
  const gemm_ctx *x = vctx;
  const int mr = x->mr;
  int64_t mb = t / x->nblocks, nb = t % x->nblocks;
  int64_t n0 = nb * NB, n1 = n0 + NB < x->n ? n0 + NB : x->n;
  int64_t mt1 = (mb + 1) * MB_TILES < x->mtiles ? (mb + 1) * MB_TILES : x->mtiles;
  float ap[MR_MAX * KC_MAX] __attribute__((aligned(64)));
  float bpad[KC_MAX * NR] __attribute__((aligned(64)));
  float ct[MR_MAX * NR] __attribute__((aligned(64)));
  memset(ct, 0, sizeof ct);
  for (int64_t mt = mb * MB_TILES; mt < mt1; mt++) {
    int64_t m0 = mt * mr, rows = x->m - m0 < mr ? x->m - m0 : mr;
    for (int64_t k0 = 0; k0 < x->k; k0 += x->kc_step) {
      int64_t kc = x->k - k0 < x->kc_step ? x->k - k0 : x->kc_step;
      pack_a(x, m0, rows, k0, kc, ap);
      for (int64_t j = n0; j < n1; j += NR) {
        int64_t cols = n1 - j < NR ? n1 - j : NR;
        const float *bp = x->b + k0 * x->n + j;
        int64_t ldb = x->n;
        if (cols < NR) { /* last panel: zero-padded copy, so the kernel reads nothing past N */
          for (int64_t kk = 0; kk < kc; kk++) {
            memcpy(bpad + kk * NR, bp + kk * ldb, (size_t)cols * sizeof(float));
            memset(bpad + kk * NR + cols, 0, (size_t)(NR - cols) * sizeof(float));
          }
          bp = bpad;
          ldb = NR;
        }
        float *cp = x->c + m0 * x->n + j;
        if (rows == mr && cols == NR) {
          x->ukr(kc, ap, bp, ldb, cp, x->n, k0 > 0);
        } else { /* edge tile: through a full-size buffer */
          if (k0 > 0)
            for (int64_t r = 0; r < rows; r++) memcpy(ct + r * NR, cp + r * x->n, (size_t)cols * sizeof(float));
          x->ukr(kc, ap, bp, ldb, ct, NR, k0 > 0);
          for (int64_t r = 0; r < rows; r++) memcpy(cp + r * x->n, ct + r * NR, (size_t)cols * sizeof(float));
        }
      }
    }
    slimrt_epilogue_apply(x->e, x->c + m0 * x->n + n0, x->n, m0, rows, n0, n1 - n0);
  }
}

void slimrt_gemm_conv(const slimrt_conv_geom *g, const float *b, int64_t n_cols, float *c,
                      const slimrt_epilogue *e, slimrt_pool *pool) {
  gemm_ctx x = {.g = g, .b = b, .c = c, .e = e, .n = n_cols};
  x.m = g->n * g->oh * g->ow;
  x.k = g->kh * g->kw * g->ci;
  if (x.m == 0 || x.n == 0) return;
  if (x.k == 0) { /* empty sum: zeros through the epilogue */
    memset(c, 0, (size_t)(x.m * x.n) * sizeof(float));
    slimrt_epilogue_apply(e, c, x.n, 0, x.m, 0, x.n);
    return;
  }
  if (__builtin_cpu_supports("avx512f")) {
    x.mr = 12;
    x.ukr = ukr_avx512;
  } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    x.mr = 3;
    x.ukr = ukr_avx2;
  } else {
    x.mr = 2;
    x.ukr = ukr_generic;
  }
  /* equal K blocks of at most KC_MAX */
  int64_t kblocks = (x.k + KC_MAX - 1) / KC_MAX;
  x.kc_step = (x.k + kblocks - 1) / kblocks;
  x.mtiles = (x.m + x.mr - 1) / x.mr;
  x.mblocks = (x.mtiles + MB_TILES - 1) / MB_TILES;
  x.nblocks = (x.n + NB - 1) / NB;
  slimrt_parallel_for(pool, x.mblocks * x.nblocks, gemm_task, &x);
}
