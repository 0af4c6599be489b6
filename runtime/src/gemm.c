/* The convolution GEMM: register-blocked micro-kernels for AVX-512, AVX2 and plain
 * C, chosen from cpuid when the kernel runs.
 *
 * A (the im2col matrix) is never materialised: the micro-kernel reads each of its
 * MR rows through its own pointer ("indirect" convolution). For one filter tap and
 * a run of input channels, row r of A is a contiguous run of the input (the pixel
 * that output pixel r sees through that tap), or a run of zeros where the tap
 * falls into the padding. Inputs with few channels (a 3-channel stem) would give
 * runs too short to pay for the call: their tiles inside the image are read as one
 * run per filter row, and the others gathered into a small row-major buffer first
 * and read through the same pointers. A 1x1 conv on at most 6 pixels (logits) is a
 * GEMV instead.
 *
 * Blocking: the output is cut into tasks of up to MB_ROWS rows x NB columns (or
 * smaller and wider ones for prepacked filters); a
 * task walks its K blocks, packs the block's filter slice once ([NB/NR][kc][NR]) —
 * unless the prepare hook packed the whole filter so at load time — and sweeps its
 * row tiles over it, so the slice stays in L2. Each tile's epilogue is applied in
 * registers with its last K step. The tile shape
 * (MR x NR) is chosen from the layer's shape: 7 x 64 when the output pixels are a
 * multiple of 7 (every ResNet/MobileNet map at 224: 112^2, 56^2 ... 7^2) and the
 * channels of 64, else 12 x 32. K blocks depend only on the shape, so every output
 * element is summed in the same order whatever the thread count. */
#include <stdlib.h>
#include <string.h>
#include "gemm.h"
#include "kernels_common.h"

enum {
  MR_MAX = 12,
  NR_MAX = 64,
  KC_MAX = 2304,    /* K block of a prepacked filter, read in place: 3x3 x 256 channels in one
                       block (at 640, ResNet's 14x14 3x3 was 5 blocks and 5-10% slower at 2 threads) */
  KC_PACK = 640,    /* K block of a filter its task packs: slice KC x NB = 320 KiB, in L2 */
  NB = 128,         /* columns per task */
  MB_ROWS = 448,    /* rows per task at most (C block 224 KiB) */
  MB_ROWS_PACKED = 224, /* the same for prepacked filters, which tasks do not pack */
  KC_WIDE = 256,    /* prepacked, K blocks up to this long: tasks of 2*NB columns */
  MIN_TASKS = 32,   /* so that a thread slowed by the machine's other work leaves
                       little for the other to wait on (4: ResNet-50 5% slower at 2
                       threads on this shared machine; 16 -> 32 with the pool's
                       guided chunks: 1.5-2% faster at 2 threads, level at 1) */
  MIN_RUN = 16,     /* channel runs shorter than this are gathered first */
  SEG_MAX = KC_MAX / MIN_RUN + 2, /* runs in a K block */
  MIN_ROW_RUN = 8,  /* a filter row's taps read in place when at least this long */
  PF_ROWS = 12,     /* filter rows prefetched ahead while packing */
};

/* Zeros for the padding taps and the rows past the edge of M. */
static const float ZEROS[KC_MAX] __attribute__((aligned(64)));

/* 16 floats, loadable from any float-aligned address. */
typedef float vf16 __attribute__((vector_size(64), aligned(4)));
typedef int32_t vi16 __attribute__((vector_size(64), aligned(4)));
/* 8 floats: one AVX2 register. */
typedef float vf8 __attribute__((vector_size(32), aligned(4)));
typedef int32_t vi8 __attribute__((vector_size(32), aligned(4)));

/* The epilogue of one tile, its pointers already at the tile's first column (and,
   for the residual, first row; row stride LDC like C's). */
typedef struct tile_epi {
  const float *scale, *shift, *residual;
  int act;
} tile_epi;

/* C[0..MR) x [0..W*NV) (+)= A x B[nseg*len][W*NV], then E (if not NULL: the
   tile's last K step) applied in registers before the store. A comes in NSEG runs
   of LEN columns (a tap's channels): A(r, s*len + k) = a[s*MR + r][k]. The
   accumulators stay in registers across the runs. Instantiated per target and
   tile shape below; MR and NV are constants there.
   Written once for vectors of W floats (VF, and VI for the masks): 16 for AVX-512 and
   the portable code, 8 for AVX2, whose registers hold 8 (GCC lowers a 16-float vector
   there through 128-bit halves and the stack: 40x slower). */
#define DEFINE_UKR_BODY(NAME, VF, VI, W) \
static inline __attribute__((always_inline)) void NAME(const int mr, const int nv, int64_t nseg, int64_t len, \
                                                           const float *const *a, const float *restrict b, \
                                                           float *c, int64_t ldc, int accumulate, \
                                                           const tile_epi *e) { \
  VF acc[MR_MAX][4]; \
_Pragma("GCC unroll 12") \
  for (int r = 0; r < mr; r++) \
_Pragma("GCC unroll 4") \
    for (int v = 0; v < nv; v++) acc[r][v] = accumulate ? *(const VF *)(c + r * ldc + W * v) : (VF){0}; \
  for (int64_t s = 0; s < nseg; s++, a += mr) { \
    const float *ar[MR_MAX]; \
_Pragma("GCC unroll 12") \
    for (int r = 0; r < mr; r++) ar[r] = a[r]; \
    for (int64_t k = 0; k < len; k++, b += W * nv) { \
      VF bv[4]; \
_Pragma("GCC unroll 4") \
      for (int v = 0; v < nv; v++) bv[v] = *(const VF *)(b + W * v); \
_Pragma("GCC unroll 12") \
      for (int r = 0; r < mr; r++) { \
        float x = ar[r][k]; \
_Pragma("GCC unroll 4") \
        for (int v = 0; v < nv; v++) acc[r][v] += x * bv[v]; \
      } \
    } \
  } \
  if (e) { \
    VF sc[4], sh[4], zero = {0}, six = zero + 6; \
_Pragma("GCC unroll 4") \
    for (int v = 0; v < nv; v++) { \
      sc[v] = e->scale ? *(const VF *)(e->scale + W * v) : zero + 1; \
      sh[v] = e->shift ? *(const VF *)(e->shift + W * v) : zero; \
    } \
_Pragma("GCC unroll 12") \
    for (int r = 0; r < mr; r++) \
_Pragma("GCC unroll 4") \
      for (int v = 0; v < nv; v++) { \
        VF y = acc[r][v]; \
        if (e->scale) y = y * sc[v]; \
        y = y + sh[v]; \
        if (e->residual) y += *(const VF *)(e->residual + r * ldc + W * v); \
        if (e->act != SLIMRT_ACT_NONE) y = (VF)((VI)y & (y > zero)); /* NaN -> 0, like epi_row */ \
        if (e->act == SLIMRT_ACT_RELU6) { \
          VI lo = y < six; \
          y = (VF)(((VI)y & lo) | ((VI)six & ~lo)); \
        } \
        acc[r][v] = y; \
      } \
  } \
_Pragma("GCC unroll 12") \
  for (int r = 0; r < mr; r++) \
_Pragma("GCC unroll 4") \
    for (int v = 0; v < nv; v++) *(VF *)(c + r * ldc + W * v) = acc[r][v]; \
}
DEFINE_UKR_BODY(ukr_body, vf16, vi16, 16)
DEFINE_UKR_BODY(ukr_body8, vf8, vi8, 8)
#undef DEFINE_UKR_BODY

typedef void (*ukr_fn)(int64_t nseg, int64_t len, const float *const *a, const float *b, float *c, int64_t ldc,
                       int accumulate, const tile_epi *e);

/* AVX-512: 24 or 28 accumulators + the filter vectors of the 32 registers; A is
   broadcast straight from memory. */
SLIMRT_TARGET_X86("avx512f,avx512vl,fma")
static void ukr_avx512_12x32(int64_t nseg, int64_t len, const float *const *a, const float *b, float *c,
                             int64_t ldc, int acc, const tile_epi *e) {
  ukr_body(12, 2, nseg, len, a, b, c, ldc, acc, e);
}
SLIMRT_TARGET_X86("avx512f,avx512vl,fma")
static void ukr_avx512_7x64(int64_t nseg, int64_t len, const float *const *a, const float *b, float *c,
                             int64_t ldc, int acc, const tile_epi *e) {
  ukr_body(7, 4, nseg, len, a, b, c, ldc, acc, e);
}
/* AVX2: a 16-float vector is two registers, so 3 rows use 12 of the 16. */
SLIMRT_TARGET_X86("avx2,fma")
static void ukr_avx2_3x32(int64_t nseg, int64_t len, const float *const *a, const float *b, float *c,
                             int64_t ldc, int acc, const tile_epi *e) {
  ukr_body8(3, 4, nseg, len, a, b, c, ldc, acc, e);
}
static void ukr_generic_2x32(int64_t nseg, int64_t len, const float *const *a, const float *b, float *c,
                             int64_t ldc, int acc, const tile_epi *e) {
  ukr_body(2, 2, nseg, len, a, b, c, ldc, acc, e);
}

typedef struct gemm_ctx {
  const slimrt_conv_geom *g;
  const float *b;
  float *c;
  const slimrt_epilogue *e;
  int64_t m, k, n;
  int64_t kc_step;
  int64_t mtiles, mb_tiles, mblocks, nblocks;
  int64_t nbc;      /* columns per task */
  int mr, nr;
  int gather;       /* runs shorter than MIN_RUN: gather each tile first */
  int packed;       /* B is already [N/NR][K][NR] (slimrt_gemm_pack_filter) */
  int direct;       /* 1x1, stride 1, unpadded: row m of A is the input's row m */
  int row_runs;     /* gathered, but interior tiles can be read as runs per filter row */
  int64_t gv_cols;  /* GEMV: columns per task (one panel when packed) */
  int64_t gv_ksplit, gv_kc; /* GEMV: blocks of K rows (1: none) and their length */
  float *gv_part;   /* GEMV split along K: [gv_ksplit][m][n] partial sums */
  ukr_fn ukr;
} gemm_ctx;

/* Where the rows of a tile start in the input: for row r, its image and the input
   position of tap (0,0); INVALID rows (past M) read zeros. */
typedef struct tile_rows {
  const float *img[MR_MAX];
  int64_t iy0[MR_MAX], ix0[MR_MAX];
  int rows;
} tile_rows;

static void tile_rows_init(const gemm_ctx *x, int64_t m0, tile_rows *t) {
  const slimrt_conv_geom *g = x->g;
  int64_t plane = g->oh * g->ow;
  t->rows = x->m - m0 < x->mr ? (int)(x->m - m0) : x->mr;
  int64_t m = m0, n = m / plane, rem = m % plane, oy = rem / g->ow, ox = rem % g->ow;
  for (int r = 0; r < t->rows; r++) { /* one division per tile, then step */
    t->img[r] = g->in + n * g->h * g->w * g->ci;
    t->iy0[r] = oy * g->sh - g->pt;
    t->ix0[r] = ox * g->sw - g->pl;
    if (++ox == g->ow) {
      ox = 0;
      if (++oy == g->oh) {
        oy = 0;
        n++;
      }
    }
  }
}

/* Pointers to the run of A's rows for tap TAP, channels [c0, c0+len). */
static inline void tile_ptrs(const gemm_ctx *x, const tile_rows *t, int64_t tap, int64_t c0, const float **p) {
  const slimrt_conv_geom *g = x->g;
  int64_t ky = tap / g->kw, kx = tap % g->kw, dy = ky * g->dh, dx = kx * g->dw;
  for (int r = 0; r < x->mr; r++) {
    p[r] = ZEROS;
    if (r >= t->rows) continue;
    int64_t iy = t->iy0[r] + dy, ix = t->ix0[r] + dx;
    if (iy >= 0 && iy < g->h && ix >= 0 && ix < g->w) p[r] = t->img[r] + (iy * g->w + ix) * g->ci + c0;
  }
}

/* Few channels, dilation 1 along W, one K block: when every row of the tile sees
   only pixels inside the image, a filter row's taps are one contiguous run of
   kw*ci floats of the input, so the tile is read in place as KH runs per row
   (P: KH x MR pointers). 0 when some row touches the padding. */
static int tile_row_runs(const gemm_ctx *x, const tile_rows *t, const float **p) {
  const slimrt_conv_geom *g = x->g;
  for (int r = 0; r < t->rows; r++)
    if (t->iy0[r] < 0 || t->iy0[r] + (g->kh - 1) * g->dh >= g->h || t->ix0[r] < 0 || t->ix0[r] + g->kw - 1 >= g->w)
      return 0;
  for (int64_t ky = 0; ky < g->kh; ky++)
    for (int r = 0; r < x->mr; r++)
      p[ky * x->mr + r] = r < t->rows ? t->img[r] + ((t->iy0[r] + ky * g->dh) * g->w + t->ix0[r]) * g->ci : ZEROS;
  return 1;
}

/* Gathers columns [k0, k0+kc) of the tile's rows into AP ([mr][kc], row-major).
   Few channels means short runs, so with dilation 1 the taps of a filter row that
   fall inside the image are copied as one run (they are adjacent in the input). */
static void gather_tile(const gemm_ctx *x, const tile_rows *t, int64_t k0, int64_t kc, float *ap, const float **p) {
  const slimrt_conv_geom *g = x->g;
  for (int r = 0; r < x->mr; r++) p[r] = r < t->rows ? ap + r * kc : ZEROS;
  int whole = k0 == 0 && kc == x->k && g->dw == 1; /* the block is the whole row */
  int64_t run = g->kw * g->ci;
  for (int r = 0; r < t->rows; r++) {
    float *dst = ap + r * kc - k0;
    int64_t iy0 = t->iy0[r], ix0 = t->ix0[r];
    if (whole && iy0 >= 0 && iy0 + (g->kh - 1) * g->dh < g->h && ix0 >= 0 && ix0 + g->kw - 1 < g->w) {
      /* inside the image: one run per filter row, no per-tap arithmetic */
      for (int64_t ky = 0; ky < g->kh; ky++) {
        const float *src = t->img[r] + ((iy0 + ky * g->dh) * g->w + ix0) * g->ci;
        for (int64_t i = 0; i < run; i++) dst[ky * run + i] = src[i];
      }
      continue;
    }
    for (int64_t k = k0, end = k0 + kc; k < end;) {
      int64_t tap = k / g->ci, c0 = k % g->ci, ky = tap / g->kw, kx = tap % g->kw;
      int64_t iy = t->iy0[r] + ky * g->dh, ix = t->ix0[r] + kx * g->dw, len = g->ci - c0;
      const float *src = NULL;
      if (iy >= 0 && iy < g->h && ix >= 0 && ix < g->w) {
        src = t->img[r] + (iy * g->w + ix) * g->ci + c0;
        if (g->dw == 1) {
          int64_t kx_end = g->w - t->ix0[r] < g->kw ? g->w - t->ix0[r] : g->kw;
          len = (kx_end - kx) * g->ci - c0;
        }
      }
      if (len > end - k) len = end - k;
      if (src)
        for (int64_t i = 0; i < len; i++) dst[k + i] = src[i];
      else
        for (int64_t i = 0; i < len; i++) dst[k + i] = 0;
      k += len;
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
    if (affine == 1) v = v * sc[j] + sh[j];
    if (affine == 2) v = v + sh[j];
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
  int act = e->act, affine = sc && sh ? 1 : sh ? 2 : 0;
  for (int64_t r = 0; r < rows; r++) {
    float *row = c + r * ldc;
    const float *res = e->residual ? e->residual + (row0 + r) * ldc + col0 : NULL;
    if (affine == 1 && res) {
      EPI_CASES(1, 1)
    } else if (affine == 1) {
      EPI_CASES(1, 0)
    } else if (affine == 2 && res) {
      EPI_CASES(2, 1)
    } else if (affine == 2) {
      EPI_CASES(2, 0)
    } else if (res) {
      EPI_CASES(0, 1)
    } else {
      EPI_CASES(0, 0)
    }
  }
}

SLIMRT_TARGET_X86("avx512f,avx512vl,fma")
static void epilogue_avx512(const slimrt_epilogue *e, float *c, int64_t ldc, int64_t row0, int64_t rows,
                            int64_t col0, int64_t cols) {
  epilogue_body(e, c, ldc, row0, rows, col0, cols);
}

SLIMRT_TARGET_X86("avx2,fma")
static void epilogue_avx2(const slimrt_epilogue *e, float *c, int64_t ldc, int64_t row0, int64_t rows,
                          int64_t col0, int64_t cols) {
  epilogue_body(e, c, ldc, row0, rows, col0, cols);
}

void slimrt_epilogue_apply(const slimrt_epilogue *e, float *c, int64_t ldc, int64_t row0, int64_t rows,
                           int64_t col0, int64_t cols) {
  if (!e || (!e->shift && !e->residual && e->act == SLIMRT_ACT_NONE)) return;
  if (slimrt_isa() == SLIMRT_ISA_AVX512) epilogue_avx512(e, c, ldc, row0, rows, col0, cols);
  else if (slimrt_isa() == SLIMRT_ISA_AVX2) epilogue_avx2(e, c, ldc, row0, rows, col0, cols);
  else epilogue_body(e, c, ldc, row0, rows, col0, cols);
}

/* Packs filter rows [k0, k0+kc) x columns [n0, n1) panel by panel ([..][kc][NR],
   zero past N): read in place, its rows (N floats apart) would fall into a few
   cache sets. Row by row, so each filter row is one contiguous run for the
   prefetcher (the weights come from DRAM once per inference). */
static inline __attribute__((always_inline)) void pack_b(const gemm_ctx *x, const int nr, int64_t k0, int64_t kc,
                                                         int64_t n0, int64_t n1, float *restrict bpack) {
  for (int64_t kk = 0; kk < kc; kk++) {
    const float *src = x->b + (k0 + kk) * x->n;
    if (kk + PF_ROWS < x->k - k0) /* hide DRAM latency: ask for a later row now */
      for (int64_t j = n0; j < n1; j += 16) __builtin_prefetch(src + PF_ROWS * x->n + j);
    for (int64_t j = n0; j < n1; j += nr) {
      int64_t cols = n1 - j < nr ? n1 - j : nr;
      float *dst = bpack + (j - n0) * kc + kk * nr;
      if (cols == nr) { /* vector moves: a short memcpy here is a slow `rep movs` */
        for (int v = 0; v < nr / 16; v++) *(vf16 *)(dst + 16 * v) = *(const vf16 *)(src + j + 16 * v);
      } else {
        memcpy(dst, src + j, (size_t)cols * sizeof(float));
        memset(dst + cols, 0, (size_t)(nr - cols) * sizeof(float));
      }
    }
  }
}

/* SRC[0..n) then zeros up to NR, in DST. */
static inline const float *pad_copy(float *dst, const float *src, int64_t n, int nr) {
  memcpy(dst, src, (size_t)n * sizeof(float));
  memset(dst + n, 0, (size_t)(nr - n) * sizeof(float));
  return dst;
}

/* One task: row tiles [mt0, mt1) x columns [n0, n1). K blocks outermost, so the
   filter slice of a block (KC x NB) stays in L2 while every row tile uses it. */
static inline __attribute__((always_inline)) void gemm_task_body(const gemm_ctx *x, int64_t t, const int nr) {
  const int mr = x->mr;
  const slimrt_conv_geom *g = x->g;
  int64_t mb = t / x->nblocks, nb = t % x->nblocks;
  int64_t n0 = nb * x->nbc, n1 = n0 + x->nbc < x->n ? n0 + x->nbc : x->n;
  int64_t mt0 = mb * x->mb_tiles, mt1 = (mb + 1) * x->mb_tiles < x->mtiles ? (mb + 1) * x->mb_tiles : x->mtiles;
  float ap[MR_MAX * KC_MAX] __attribute__((aligned(64)));
  float ct[MR_MAX * NR_MAX] __attribute__((aligned(64)));
  float rt[MR_MAX * NR_MAX] __attribute__((aligned(64))), sct[NR_MAX], sht[NR_MAX]; /* an edge tile's epilogue */
  float bpack[KC_PACK * NB] __attribute__((aligned(64)));
  /* the block's runs of A: pointers (MR per run) and lengths, made once per tile */
  const float *p[SEG_MAX * MR_MAX];
  int64_t seglen[SEG_MAX];
  int nseg = 0;
  tile_rows tr;
  for (int64_t k0 = 0; k0 < x->k; k0 += x->kc_step) {
    int64_t kc = x->k - k0 < x->kc_step ? x->k - k0 : x->kc_step;
    int last_block = k0 + kc == x->k;
    if (!x->packed) pack_b(x, nr, k0, kc, n0, n1, bpack);
    for (int64_t mt = mt0; mt < mt1; mt++) {
      int64_t m0 = mt * mr;
      if (x->direct) { /* 1x1, stride 1, no padding: A's rows are the input's rows */
        tr.rows = x->m - m0 < mr ? (int)(x->m - m0) : mr;
        for (int r = 0; r < mr; r++) p[r] = r < tr.rows ? g->in + (m0 + r) * x->k + k0 : ZEROS;
        nseg = 1;
        seglen[0] = kc;
      } else if ((tile_rows_init(x, m0, &tr), x->gather)) {
        if (x->row_runs && tile_row_runs(x, &tr, p)) { /* in the image: a run per filter row */
          nseg = (int)g->kh;
          for (int q = 0; q < nseg; q++) seglen[q] = g->kw * g->ci;
        } else {
          gather_tile(x, &tr, k0, kc, ap, p);
          nseg = 1;
          seglen[0] = kc;
        }
      } else { /* one run per tap (or part of a tap) in the block */
        nseg = 0;
        for (int64_t k = k0; k < k0 + kc; k += seglen[nseg++]) {
          int64_t tap = k / g->ci, c0 = k % g->ci;
          seglen[nseg] = g->ci - c0 < k0 + kc - k ? g->ci - c0 : k0 + kc - k;
          tile_ptrs(x, &tr, tap, c0, p + nseg * mr);
        }
      }
      for (int64_t j = n0; j < n1; j += nr) {
        int64_t cols = n1 - j < nr ? n1 - j : nr;
        const float *bp = x->packed ? x->b + j * x->k + k0 * nr : bpack + (j - n0) * kc;
        float *cp = x->c + m0 * x->n + j, *dst = cp;
        int64_t ldc = x->n;
        int edge = tr.rows < mr || cols < nr;
        if (edge) { /* through a full-size tile */
          dst = ct;
          ldc = nr;
          if (k0 > 0)
            for (int64_t r = 0; r < tr.rows; r++) memcpy(ct + r * nr, cp + r * x->n, (size_t)cols * sizeof(float));
        }
        /* the epilogue is applied in registers with the tile's last K step; an edge
           tile reads zero-padded copies of its scale, shift and residual, so that
           the residual is read before the tile's output is written (the output
           may be the residual's buffer: slimrt_gemm_conv_inplace_ok) */
        tile_epi te, *tep = NULL;
        if (last_block && x->e) {
          const slimrt_epilogue *e = x->e;
          te = (tile_epi){.scale = e->scale ? e->scale + j : NULL, .shift = e->shift ? e->shift + j : NULL,
                          .residual = e->residual ? e->residual + m0 * x->n + j : NULL, .act = e->act};
          if (edge) {
            if (te.scale) te.scale = pad_copy(sct, te.scale, cols, nr);
            if (te.shift) te.shift = pad_copy(sht, te.shift, cols, nr);
            if (te.residual) {
              memset(rt, 0, sizeof rt);
              for (int64_t r = 0; r < tr.rows; r++) memcpy(rt + r * nr, te.residual + r * x->n, (size_t)cols * sizeof(float));
              te.residual = rt;
            }
          }
          tep = &te;
        }
        /* The tile's output lines (for writing, on the first K block) and residual
           lines (on the last) are touched only once, scattered, at the end of the
           call, where the prefetcher cannot guess them: ask for them now, while
           the call's FMAs hide the memory latency. */
        if (!edge)
          for (int r = 0; r < mr; r++)
            for (int q = 0; q < nr; q += 16) {
              if (k0 == 0) __builtin_prefetch(cp + r * x->n + q, 1);
              if (tep && tep->residual) __builtin_prefetch(tep->residual + r * x->n + q, 0);
            }
        /* one call per stretch of runs of equal length (all of them, unless a
           block of a wide tap crosses into the next tap) */
        for (int s0 = 0, s1; s0 < nseg; s0 = s1) {
          for (s1 = s0 + 1; s1 < nseg && seglen[s1] == seglen[s0];) s1++;
          x->ukr(s1 - s0, seglen[s0], p + s0 * mr, bp, dst, ldc, k0 > 0 || s0 > 0, s1 == nseg ? tep : NULL);
          bp += (s1 - s0) * seglen[s0] * nr;
        }
        if (edge)
          for (int64_t r = 0; r < tr.rows; r++) memcpy(cp + r * x->n, ct + r * nr, (size_t)cols * sizeof(float));
      }
    }
  }
}

SLIMRT_TARGET_X86("avx512f,avx512vl,fma")
static void gemm_task_avx512_32(void *x, int64_t t) { gemm_task_body(x, t, 32); }
SLIMRT_TARGET_X86("avx512f,avx512vl,fma")
static void gemm_task_avx512_64(void *x, int64_t t) { gemm_task_body(x, t, 64); }
SLIMRT_TARGET_X86("avx2,fma")
static void gemm_task_avx2(void *x, int64_t t) { gemm_task_body(x, t, 32); }
static void gemm_task_generic(void *x, int64_t t) { gemm_task_body(x, t, 32); }

/* Few output pixels (a logits layer on a 1x1 map): a tile would be mostly padding
   rows, and packing B would cost more than using it once, so each task streams
   B's rows for GV_COLS columns (or one panel when B is packed) and sums every
   output pixel's row against them, K in order. A 1x1 stride-1 unpadded conv only:
   A's rows are the input's. Such a layer only streams B from memory: an unpacked
   B is also cut along K into GV_KSPLIT contiguous blocks of rows, so that two
   threads read two distant streams at once instead of interleaved slices of the
   same rows; the blocks' partial sums are added in block order afterwards (the
   split depends on the shape only, so results do not depend on the thread count). */
enum { GV_COLS = 1024, GV_ROWS_MAX = 6, GV_PF = 8, /* 2 KiB row runs: streams the prefetcher follows */
       GV_KSPLIT = 4, GV_KSPLIT_MIN_K = 512, GV_PART_MAX = 16384 /* floats of partial sums (caller's stack) */ };

static inline __attribute__((always_inline)) void gemv_task_body(const gemm_ctx *x, int64_t t) {
  int64_t ks = x->gv_ksplit, kb = t % ks, cw = x->gv_cols, j0 = t / ks * cw, cols = x->n - j0 < cw ? x->n - j0 : cw;
  int64_t k0 = kb * x->gv_kc, k1 = k0 + x->gv_kc < x->k ? k0 + x->gv_kc : x->k;
  float acc[GV_COLS] __attribute__((aligned(64)));
  for (int64_t m = 0; m < x->m; m++) {
    const float *a = x->g->in + m * x->k;
    for (int64_t j = 0; j < cols; j++) acc[j] = 0;
    for (int64_t k = k0; k < k1; k++) {
      const float *row = x->packed ? x->b + j0 * x->k + k * x->nr : x->b + k * x->n + j0;
      if (!x->packed && k + GV_PF < k1) /* rows N floats apart: ask for a later one now */
        for (int64_t j = 0; j < cols; j += 16) __builtin_prefetch(row + GV_PF * x->n + j);
      float av = a[k];
      for (int64_t j = 0; j < cols; j++) acc[j] += av * row[j];
    }
    float *dst = ks > 1 ? x->gv_part + (kb * x->m + m) * x->n + j0 : x->c + m * x->n + j0;
    memcpy(dst, acc, (size_t)cols * sizeof(float));
  }
  if (ks == 1) slimrt_epilogue_apply(x->e, x->c + j0, x->n, 0, x->m, j0, cols);
}

SLIMRT_TARGET_X86("avx512f,avx512vl,fma")
static void gemv_task_avx512(void *x, int64_t t) { gemv_task_body(x, t); }
SLIMRT_TARGET_X86("avx2,fma")
static void gemv_task_avx2(void *x, int64_t t) { gemv_task_body(x, t); }
static void gemv_task_generic(void *x, int64_t t) { gemv_task_body(x, t); }

/* Rows computed for M with tiles of MR (the last tile is padded). */
static int64_t padded_rows(int64_t m, int64_t mr) { return (m + mr - 1) / mr * mr; }

/* The tile shape for M x N on this CPU (a function of the shape only, so the
   prepare hook and the kernel agree on the panel width). */
static void choose_tile(gemm_ctx *x, void (**task)(void *, int64_t)) {
  if (slimrt_isa() == SLIMRT_ISA_AVX512) {
    /* 7 x 64 when it wastes no more rows than 12 x 32 (and N fills its panels) */
    if (x->n % 64 == 0 && padded_rows(x->m, 7) <= padded_rows(x->m, 12)) {
      x->mr = 7, x->nr = 64, x->ukr = ukr_avx512_7x64, *task = gemm_task_avx512_64;
    } else {
      x->mr = 12, x->nr = 32, x->ukr = ukr_avx512_12x32, *task = gemm_task_avx512_32;
    }
  } else if (slimrt_isa() == SLIMRT_ISA_AVX2) {
    x->mr = 3, x->nr = 32, x->ukr = ukr_avx2_3x32, *task = gemm_task_avx2;
  } else {
    x->mr = 2, x->nr = 32, x->ukr = ukr_generic_2x32, *task = gemm_task_generic;
  }
}

int slimrt_gemm_panel(int64_t m, int64_t n) {
  gemm_ctx x = {.m = m, .n = n};
  void (*task)(void *, int64_t);
  choose_tile(&x, &task);
  return x.nr;
}

int slimrt_gemm_pack_filter(float *b, int64_t k, int64_t n, int nr, const float *scale) {
  /* Seen as blocks of NR floats, [K][N] -> [N/NR][K][NR] is the transpose of a
     K x P block matrix (P = N/NR): followed cycle by cycle, it needs one block and
     a bit per block of scratch, not a second copy of the filter (which would
     raise peak memory by the largest filter). */
  int64_t p = n / nr, blocks = k * p;
  unsigned char *done = calloc((size_t)(blocks + 7) / 8, 1);
  float tmp[NR_MAX];
  if (!done) return -1;
  for (int64_t s = 0; s < blocks; s++) {
    if (done[s >> 3] & (1u << (s & 7))) continue;
    memcpy(tmp, b + s * nr, (size_t)nr * sizeof(float));
    for (int64_t i = s;;) { /* position i = (panel, kk) takes source block (kk, panel) */
      done[i >> 3] |= (unsigned char)(1u << (i & 7));
      int64_t j = (i % k) * p + i / k;
      if (j == s) {
        memcpy(b + i * nr, tmp, (size_t)nr * sizeof(float));
        break;
      }
      memcpy(b + i * nr, b + j * nr, (size_t)nr * sizeof(float));
      i = j;
    }
  }
  free(done);
  if (scale)
    for (int64_t j0 = 0; j0 < n; j0 += nr)
      for (int64_t kk = 0; kk < k; kk++)
        for (int j = 0; j < nr; j++) b[j0 * k + kk * nr + j] *= scale[j0 + j];
  return 0;
}

/* K blocks of at most KC_MAX (prepacked filters) or KC_PACK, equal in size; read
   in place, they are whole taps (or equal parts of one tap) so that the runs of
   channels stay long. */
static int64_t kc_limit(int packed) { return packed ? KC_MAX : KC_PACK; }

static int64_t kc_step(const slimrt_conv_geom *g, int packed) {
  int64_t taps = g->kh * g->kw, k = taps * g->ci, kc = kc_limit(packed);
  if (g->ci < MIN_RUN || g->ci > kc) {
    int64_t kblocks = (k + kc - 1) / kc;
    return (k + kblocks - 1) / kblocks;
  }
  int64_t per = kc / g->ci, kblocks = (taps + per - 1) / per;
  return (taps + kblocks - 1) / kblocks * g->ci;
}

/* The GEMV path: few output pixels of a 1x1, stride-1, unpadded conv. */
static int use_gemv(const slimrt_conv_geom *g, int64_t m) {
  return m <= GV_ROWS_MAX && g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->pt == 0 && g->pl == 0 &&
         g->oh == g->h && g->ow == g->w;
}

int slimrt_gemm_conv_inplace_ok(const slimrt_conv_geom *g, int packed) {
  /* One K block: each tile's sums are finished in registers, its residual read and
     its output written by the same call, and no partial sum is ever stored in C.
     The GEMV stores its sums before the epilogue reads the residual. */
  int64_t k = g->kh * g->kw * g->ci, m = g->n * g->oh * g->ow;
  return k > 0 && m > 0 && !use_gemv(g, m) && kc_step(g, packed) >= k;
}

static void gemm_conv(const slimrt_conv_geom *g, const float *b, int64_t n_cols, int packed, float *c,
                      const slimrt_epilogue *e, slimrt_pool *pool) {
  gemm_ctx x = {.g = g, .b = b, .c = c, .e = e, .n = n_cols, .packed = packed};
  x.m = g->n * g->oh * g->ow;
  x.k = g->kh * g->kw * g->ci;
  if (x.m == 0 || x.n == 0) return;
  if (x.k == 0) { /* empty sum: zeros through the epilogue */
    memset(c, 0, (size_t)(x.m * x.n) * sizeof(float));
    slimrt_epilogue_apply(e, c, x.n, 0, x.m, 0, x.n);
    return;
  }
  void (*task)(void *, int64_t);
  choose_tile(&x, &task);
  if (use_gemv(g, x.m)) {
    task = slimrt_isa() == SLIMRT_ISA_AVX512 ? gemv_task_avx512
         : slimrt_isa() == SLIMRT_ISA_AVX2 ? gemv_task_avx2 : gemv_task_generic;
    /* Each output is summed over K in order whatever the chunk, so the chunk width
       may follow the thread count: two chunks per thread, in whole vectors, so that
       a logits layer (N = 1001, one chunk of 1024) does not run on one core. */
    int64_t threads = slimrt_pool_size(pool), cw = GV_COLS, ks = 1;
    if (!x.packed && x.k >= GV_KSPLIT_MIN_K && x.n <= GV_COLS)
      for (ks = GV_KSPLIT; ks > 1 && ks * x.m * x.n > GV_PART_MAX;) ks /= 2;
    if (x.packed) cw = x.nr; /* one panel per task */
    else if (threads > 1 && ks == 1) {
      int64_t per = (x.n + 2 * threads - 1) / (2 * threads);
      per = (per + 15) / 16 * 16;
      if (per < cw) cw = per;
    }
    float part[ks > 1 ? GV_PART_MAX : 1];
    x.gv_cols = cw;
    x.gv_ksplit = ks;
    x.gv_kc = (x.k + ks - 1) / ks;
    x.gv_part = part;
    slimrt_parallel_for(pool, (x.n + cw - 1) / cw * ks, task, &x);
    if (ks > 1) { /* the blocks' sums, in block order */
      for (int64_t i = 0; i < x.m * x.n; i++) {
        float v = part[i];
        for (int64_t b = 1; b < ks; b++) v += part[b * x.m * x.n + i];
        c[i] = v;
      }
      slimrt_epilogue_apply(e, c, x.n, 0, x.m, 0, x.n);
    }
    return;
  }
  x.gather = g->ci < MIN_RUN;
  x.row_runs = x.gather && g->dw == 1 && g->kh <= SEG_MAX && g->kw * g->ci >= MIN_ROW_RUN &&
               x.k <= kc_limit(packed);
  x.direct = !x.gather && g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->pt == 0 && g->pl == 0 &&
             g->oh == g->h && g->ow == g->w;
  x.kc_step = kc_step(g, packed);
  x.mtiles = (x.m + x.mr - 1) / x.mr;
  /* A prepacked filter costs a task nothing to set up, so its tasks can be
     smaller (a 56x56 map with 64 channels was 7 tasks: 4 against 3 on two
     threads) and, where the K block is short, twice as wide (each thread then
     writes whole output rows, which the next layer reads from the same core). */
  x.nbc = x.packed && x.kc_step <= KC_WIDE ? 2 * NB : NB;
  int64_t mb_rows = x.packed ? MB_ROWS_PACKED : MB_ROWS;
  x.nblocks = (x.n + x.nbc - 1) / x.nbc;
  /* At least MIN_TASKS tasks (so two threads get equal shares), each with as many
     row tiles as possible up to MB_ROWS, since every task packs its filter slice
     once. Depends on the shape only, never on the thread count. */
  int64_t want = (MIN_TASKS + x.nblocks - 1) / x.nblocks;
  x.mb_tiles = (x.mtiles + want - 1) / want;
  if (x.mb_tiles > mb_rows / x.mr) x.mb_tiles = mb_rows / x.mr;
  if (x.mb_tiles < 1) x.mb_tiles = 1;
  x.mblocks = (x.mtiles + x.mb_tiles - 1) / x.mb_tiles;
  slimrt_parallel_for(pool, x.mblocks * x.nblocks, task, &x);
}

void slimrt_gemm_conv(const slimrt_conv_geom *g, const float *b, int64_t n_cols, float *c,
                      const slimrt_epilogue *e, slimrt_pool *pool) {
  gemm_conv(g, b, n_cols, 0, c, e, pool);
}

void slimrt_gemm_conv_packed(const slimrt_conv_geom *g, const float *b, int64_t n_cols, float *c,
                             const slimrt_epilogue *e, slimrt_pool *pool) {
  gemm_conv(g, b, n_cols, 1, c, e, pool);
}
