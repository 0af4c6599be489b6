/* The convolution GEMM: register-blocked micro-kernels for AVX-512, AVX2 and plain
 * C, chosen from cpuid when the kernel runs, with im2col done while packing each
 * MR-row tile of A (so a 1x1 convolution reads its input directly and a 3x3 one
 * never materialises the whole im2col matrix).
 *
 * Blocking: the output is cut into tasks of up to MB_TILES_MAX row tiles x NB columns;
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
  MB_TILES_MAX = 32, /* row tiles per task at most: C block 384 x 128 floats */
  MIN_TASKS = 4,
  PF_ROWS = 12,     /* filter rows prefetched ahead while packing */
};

/* 16 floats, loadable from any float-aligned address. */
typedef float vf16 __attribute__((vector_size(64), aligned(4)));

/* C[0..MR) x [0..32) (+)= A x B[kc][32] (row stride LDB), where A(r,k) is
   ap[k*MR + r] (a packed tile, LDA 0) or ap[r*LDA + k] (rows read in place).
   Instantiated per target below; MR is a constant there, so the accumulators live
   in registers. */
static inline __attribute__((always_inline)) void ukr_body(const int mr, int64_t kc, const float *restrict ap,
                                                           int64_t lda, const float *restrict b, int64_t ldb,
                                                           float *restrict c, int64_t ldc, int accumulate) {
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
  if (lda == 0) {
    for (int64_t k = 0; k < kc; k++) {
      vf16 b0 = *(const vf16 *)(b + k * ldb), b1 = *(const vf16 *)(b + k * ldb + 16);
#pragma GCC unroll 12
      for (int r = 0; r < mr; r++) {
        float a = ap[k * mr + r];
        c0[r] += a * b0;
        c1[r] += a * b1;
      }
    }
  } else {
    for (int64_t k = 0; k < kc; k++) {
      vf16 b0 = *(const vf16 *)(b + k * ldb), b1 = *(const vf16 *)(b + k * ldb + 16);
#pragma GCC unroll 12
      for (int r = 0; r < mr; r++) {
        float a = ap[r * lda + k];
        c0[r] += a * b0;
        c1[r] += a * b1;
      }
    }
  }
#pragma GCC unroll 12
  for (int r = 0; r < mr; r++) {
    *(vf16 *)(c + r * ldc) = c0[r];
    *(vf16 *)(c + r * ldc + 16) = c1[r];
  }
}

typedef void (*ukr_fn)(int64_t kc, const float *ap, int64_t lda, const float *b, int64_t ldb, float *c,
                       int64_t ldc, int accumulate);

/* AVX-512: 24 accumulators + 2 filter vectors of the 32 registers. */
__attribute__((target("avx512f,avx512vl,fma")))
static void ukr_avx512(int64_t kc, const float *ap, int64_t lda, const float *b, int64_t ldb, float *c, int64_t ldc,
                       int accumulate) {
  ukr_body(12, kc, ap, lda, b, ldb, c, ldc, accumulate);
}

/* AVX2: a 16-float vector is two registers, so 3 rows use 12 of the 16. */
__attribute__((target("avx2,fma")))
static void ukr_avx2(int64_t kc, const float *ap, int64_t lda, const float *b, int64_t ldb, float *c, int64_t ldc,
                     int accumulate) {
  ukr_body(3, kc, ap, lda, b, ldb, c, ldc, accumulate);
}

static void ukr_generic(int64_t kc, const float *ap, int64_t lda, const float *b, int64_t ldb, float *c, int64_t ldc,
                        int accumulate) {
  ukr_body(2, kc, ap, lda, b, ldb, c, ldc, accumulate);
}

typedef struct gemm_ctx {
  const slimrt_conv_geom *g;
  const float *b;
  float *c;
  const slimrt_epilogue *e;
  int64_t m, k, n;
  int64_t kc_step;
  int64_t mtiles, mb_tiles, mblocks, nblocks;
  int mr;
  int direct;       /* A is the input itself (1x1, stride 1, no padding) */
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
    const float *img = g->in + n * g->h * g->w * g->ci;
    int64_t iy0 = oy * g->sh - g->pt, ix0 = ox * g->sw - g->pl;
    /* divide once per row, then step through the taps (ci=3 stems have 3-float segments) */
    int64_t tap = k0 / g->ci, c0 = k0 % g->ci, ky = tap / g->kw, kx = tap % g->kw;
    float *dst = ap + r;
    for (int64_t left = kc; left > 0;) {
      int64_t seg = g->ci - c0 < left ? g->ci - c0 : left;
      int64_t iy = iy0 + ky * g->dh, ix = ix0 + kx * g->dw;
      if (iy >= 0 && iy < g->h && ix >= 0 && ix < g->w) {
        const float *src = img + (iy * g->w + ix) * g->ci + c0;
        for (int64_t s = 0; s < seg; s++) dst[s * mr] = src[s];
      } else {
        for (int64_t s = 0; s < seg; s++) dst[s * mr] = 0;
      }
      dst += seg * mr;
      left -= seg;
      c0 = 0;
      if (++kx == g->kw) {
        kx = 0;
        ky++;
      }
    }
  }
}

/* One output row: v = v*scale + shift (+ residual), then the activation. Called with
   constant flags so that each combination is its own vectorised loop. */
static inline __attribute__((always_inline)) void epi_row(float *restrict row, const float *restrict sc,
                                                          const float *restrict sh, const float *restrict res,
                                                          int64_t cols, const int affine, const int has_res,
                                                          const int act) {
  for (int64_t j = 0; j < cols; j++) {
    float v = row[j];
    if (affine) v = v * sc[j] + sh[j];
    if (has_res) v += res[j];
    if (act == SLIMRT_ACT_RELU) v = v > 0 ? v : 0;
    if (act == SLIMRT_ACT_RELU6) v = v > 0 ? (v < 6 ? v : 6) : 0;
    row[j] = v;
  }
}

#define EPI_CASES(AFF, RES)                                                                 \
  switch (act) {                                                                            \
  case SLIMRT_ACT_RELU: epi_row(row, sc, sh, res, cols, AFF, RES, SLIMRT_ACT_RELU); break;  \
  case SLIMRT_ACT_RELU6: epi_row(row, sc, sh, res, cols, AFF, RES, SLIMRT_ACT_RELU6); break; \
  default: epi_row(row, sc, sh, res, cols, AFF, RES, SLIMRT_ACT_NONE); break;              \
  }

static inline __attribute__((always_inline)) void epilogue_body(const slimrt_epilogue *e, float *c, int64_t ldc,
                                                                int64_t row0, int64_t rows, int64_t col0,
                                                                int64_t cols) {
  const float *sc = e->scale ? e->scale + col0 : NULL, *sh = e->shift ? e->shift + col0 : NULL;
  int act = e->act, affine = sc && sh;
  for (int64_t r = 0; r < rows; r++) {
    float *row = c + r * ldc;
    const float *res = e->residual ? e->residual + (row0 + r) * ldc + col0 : NULL;
    if (affine && res) {
      EPI_CASES(1, 1)
    } else if (affine) {
      EPI_CASES(1, 0)
    } else if (res) {
      EPI_CASES(0, 1)
    } else {
      EPI_CASES(0, 0)
    }
  }
}

__attribute__((target("avx512f,avx512vl,fma")))
static void epilogue_avx512(const slimrt_epilogue *e, float *c, int64_t ldc, int64_t row0, int64_t rows,
                            int64_t col0, int64_t cols) {
  epilogue_body(e, c, ldc, row0, rows, col0, cols);
}

__attribute__((target("avx2,fma")))
static void epilogue_avx2(const slimrt_epilogue *e, float *c, int64_t ldc, int64_t row0, int64_t rows,
                          int64_t col0, int64_t cols) {
  epilogue_body(e, c, ldc, row0, rows, col0, cols);
}

void slimrt_epilogue_apply(const slimrt_epilogue *e, float *c, int64_t ldc, int64_t row0, int64_t rows,
                           int64_t col0, int64_t cols) {
  if (!e || (!(e->scale && e->shift) && !e->residual && e->act == SLIMRT_ACT_NONE)) return;
  if (__builtin_cpu_supports("avx512f")) epilogue_avx512(e, c, ldc, row0, rows, col0, cols);
  else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) epilogue_avx2(e, c, ldc, row0, rows, col0, cols);
  else epilogue_body(e, c, ldc, row0, rows, col0, cols);
}

/* One task: row tiles [mt0, mt1) x columns [n0, n1). K blocks outermost, so the
   filter slice of a block (KC x NB) stays in L2 while every row tile uses it. */
static void gemm_task(void *vctx, int64_t t) {
  const gemm_ctx *x = vctx;
  const int mr = x->mr;
  int64_t mb = t / x->nblocks, nb = t % x->nblocks;
  int64_t n0 = nb * NB, n1 = n0 + NB < x->n ? n0 + NB : x->n;
  int64_t mt0 = mb * x->mb_tiles, mt1 = (mb + 1) * x->mb_tiles < x->mtiles ? (mb + 1) * x->mb_tiles : x->mtiles;
  float ap[MR_MAX * KC_MAX] __attribute__((aligned(64)));
  float ct[MR_MAX * NR] __attribute__((aligned(64)));
  /* the filter slice, packed panel by panel ([NB/NR][kc][NR], zero-padded past N):
     read in place, its rows (N floats apart) would fall into a few cache sets */
  float bpack[KC_MAX * NB] __attribute__((aligned(64)));
  memset(ct, 0, sizeof ct);
  for (int64_t k0 = 0; k0 < x->k; k0 += x->kc_step) {
    int64_t kc = x->k - k0 < x->kc_step ? x->k - k0 : x->kc_step;
    /* row by row, so each filter row's NB floats are read as one contiguous run
       (the prefetcher follows it; weights come from DRAM once per inference) */
    for (int64_t kk = 0; kk < kc; kk++) {
      const float *src = x->b + (k0 + kk) * x->n;
      if (kk + PF_ROWS < x->k - k0) /* hide DRAM latency: ask for a later row now */
        for (int64_t j = n0; j < n1; j += 16) __builtin_prefetch(src + PF_ROWS * x->n + j);
      for (int64_t j = n0; j < n1; j += NR) {
        int64_t cols = n1 - j < NR ? n1 - j : NR;
        float *dst = bpack + (j - n0) * kc + kk * NR;
        if (cols == NR) { /* two vector moves: a 128-byte memcpy here is a slow `rep movs` */
          *(vf16 *)dst = *(const vf16 *)(src + j);
          *(vf16 *)(dst + 16) = *(const vf16 *)(src + j + 16);
        } else {
          memcpy(dst, src + j, (size_t)cols * sizeof(float));
          memset(dst + cols, 0, (size_t)(NR - cols) * sizeof(float));
        }
      }
    }
    for (int64_t mt = mt0; mt < mt1; mt++) {
      int64_t m0 = mt * mr, rows = x->m - m0 < mr ? x->m - m0 : mr;
      const float *a = ap;
      int64_t lda = 0;
      if (x->direct && rows == mr) { /* 1x1, stride 1, no padding: the input rows are A's rows */
        a = x->g->in + m0 * x->k + k0;
        lda = x->k;
      } else {
        pack_a(x, m0, rows, k0, kc, ap);
      }
      for (int64_t j = n0; j < n1; j += NR) {
        int64_t cols = n1 - j < NR ? n1 - j : NR;
        const float *bp = bpack + (j - n0) * kc;
        int64_t ldb = NR;
        float *cp = x->c + m0 * x->n + j;
        if (rows == mr && cols == NR) {
          x->ukr(kc, a, lda, bp, ldb, cp, x->n, k0 > 0);
        } else { /* edge tile: through a full-size buffer */
          if (k0 > 0)
            for (int64_t r = 0; r < rows; r++) memcpy(ct + r * NR, cp + r * x->n, (size_t)cols * sizeof(float));
          x->ukr(kc, a, lda, bp, ldb, ct, NR, k0 > 0);
          for (int64_t r = 0; r < rows; r++) memcpy(cp + r * x->n, ct + r * NR, (size_t)cols * sizeof(float));
        }
      }
    }
  }
  for (int64_t mt = mt0; mt < mt1; mt++) {
    int64_t m0 = mt * mr, rows = x->m - m0 < mr ? x->m - m0 : mr;
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
  x.direct = g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->pt == 0 && g->pl == 0 &&
             g->oh == g->h && g->ow == g->w;
  /* equal K blocks of at most KC_MAX */
  int64_t kblocks = (x.k + KC_MAX - 1) / KC_MAX;
  x.kc_step = (x.k + kblocks - 1) / kblocks;
  x.mtiles = (x.m + x.mr - 1) / x.mr;
  x.nblocks = (x.n + NB - 1) / NB;
  /* At least MIN_TASKS tasks (so two threads get equal shares), each with as many
     row tiles as possible up to MB_TILES_MAX, since every task packs its filter
     slice once. Depends on the shape only, never on the thread count. */
  int64_t want = (MIN_TASKS + x.nblocks - 1) / x.nblocks;
  x.mb_tiles = (x.mtiles + want - 1) / want;
  if (x.mb_tiles > MB_TILES_MAX) x.mb_tiles = MB_TILES_MAX;
  if (x.mb_tiles < 1) x.mb_tiles = 1;
  x.mblocks = (x.mtiles + x.mb_tiles - 1) / x.mb_tiles;
  slimrt_parallel_for(pool, x.mblocks * x.nblocks, gemm_task, &x);
}
