/* MATMUL and the convolutions (f32, NHWC data, HWIO filters).
 * Each kernel is split over output rows with slimrt_parallel_for; every output
 * element is produced by exactly one task with a fixed summation order, so the
 * results are bit-identical for any thread count. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gemm.h"
#include "kernels_common.h"

/* ---- MATMUL: [..., M, K] x [..., K, N]; a rank-2 operand is shared by every batch ---- */
typedef struct mm_ctx {
  const float *a, *b;
  float *o;
  int64_t m, k, n, stride_a, stride_b;
  int ta, tb;
} mm_ctx;

static void mm_row(void *vctx, int64_t r) {
  const mm_ctx *x = vctx;
  int64_t batch = r / x->m, i = r % x->m;
  const float *a = x->a + batch * x->stride_a, *b = x->b + batch * x->stride_b;
  float *o = x->o + r * x->n;
  /* a(i,kk) walks a row of A, or a column when A is transposed */
  int64_t a0 = x->ta ? i : i * x->k, ak = x->ta ? x->m : 1;
  if (x->tb) { /* rows of B are contiguous over k: dot products */
    for (int64_t j = 0; j < x->n; j++) {
      const float *bj = b + j * x->k;
      float acc = 0;
      for (int64_t kk = 0; kk < x->k; kk++) acc += a[a0 + kk * ak] * bj[kk];
      o[j] = acc;
    }
  } else { /* i-k-j order: the innermost loop streams a row of B */
    memset(o, 0, (size_t)x->n * sizeof *o);
    for (int64_t kk = 0; kk < x->k; kk++) {
      float av = a[a0 + kk * ak];
      const float *bk = b + kk * x->n;
      for (int64_t j = 0; j < x->n; j++) o[j] += av * bk[j];
    }
  }
}

void slimrt_k_MATMUL(const slimrt_call *c) {
  const slimrt_attr_matmul *at = c->attr;
  const slimrt_shape *sa = &c->in_shape[0], *sb = &c->in_shape[1], *so = c->out_shape;
  mm_ctx x = {.a = c->in[0], .b = c->in[1], .o = c->out, .ta = at && at->transpose_a,
              .tb = at && at->transpose_b};
  x.m = so->dims[so->rank - 2];
  x.n = so->dims[so->rank - 1];
  x.k = x.ta ? sa->dims[sa->rank - 2] : sa->dims[sa->rank - 1];
  x.stride_a = sa->rank > 2 ? x.m * x.k : 0;
  x.stride_b = sb->rank > 2 ? x.k * x.n : 0;
  int64_t rows = k_count(so) / (x.n ? x.n : 1);
  if (x.n == 0) return;
  slimrt_parallel_for(c->pool, rows, mm_row, &x);
}

/* ---- convolutions ---- */
typedef struct conv_ctx {
  const float *in, *f;
  float *o;
  int64_t n, h, w, ci;        /* input (for CONV2D_TRANSPOSE: the out_backprop) */
  int64_t oh, ow, co;         /* output */
  int64_t kh, kw, mult;       /* filter (mult: depthwise multiplier) */
  const slimrt_attr_conv *at;
} conv_ctx;

static void conv_init(conv_ctx *x, const slimrt_call *c, const slimrt_shape *in, const slimrt_shape *f,
                      const void *inp, const void *fp) {
  const slimrt_shape *so = c->out_shape;
  x->in = inp;
  x->f = fp;
  x->o = c->out;
  x->n = in->dims[0]; x->h = in->dims[1]; x->w = in->dims[2]; x->ci = in->dims[3];
  x->oh = so->dims[1]; x->ow = so->dims[2]; x->co = so->dims[3];
  x->kh = f->dims[0]; x->kw = f->dims[1]; x->mult = f->dims[3];
  x->at = c->attr;
}

/* CONV2D and DEPTHWISE_CONV2D go through the fused forms with an empty epilogue. */
/* The GEMM's view of a conv: an N x H x W x CI input, OH x OW outputs, a KH x KW filter. */
static slimrt_conv_geom geom_of(const slimrt_attr_conv *a, const float *in, int64_t n, int64_t h, int64_t w,
                                int64_t ci, int64_t oh, int64_t ow, int64_t kh, int64_t kw) {
  return (slimrt_conv_geom){.in = in, .n = n, .h = h, .w = w, .ci = ci, .oh = oh, .ow = ow, .kh = kh, .kw = kw,
                            .sh = a->stride_h, .sw = a->stride_w, .dh = a->dilation_h, .dw = a->dilation_w,
                            .pt = a->pad_top, .pl = a->pad_left};
}

static void conv_geom(slimrt_conv_geom *g, const slimrt_call *c, const slimrt_attr_conv *a) {
  const slimrt_shape *in = &c->in_shape[0], *f = &c->in_shape[1], *so = c->out_shape;
  *g = geom_of(a, c->in[0], in->dims[0], in->dims[1], in->dims[2], in->dims[3], so->dims[1], so->dims[2],
               f->dims[0], f->dims[1]);
}

void slimrt_k_CONV2D(const slimrt_call *c) {
  slimrt_conv_geom g;
  conv_geom(&g, c, c->attr);
  slimrt_gemm_conv(&g, c->in[1], c->out_shape->dims[3], c->out, NULL, c->pool);
}

/* DEPTHWISE_CONV2D: out[n,oh,ow,c*mult+m] = sum in[n,ih,iw,c] * f[kh,kw,c,m]; the
   output channel index equals the filter's flattened (c, m) index. One task per
   output row; the inner loops run over contiguous channels so they vectorise. */
typedef struct dw_ctx {
  const slimrt_conv_geom *g;
  const float *f;
  float *o;
  int64_t mult;
  const slimrt_epilogue *e;
  int64_t nchunks, cchunk; /* a task is an output row's channels [k*cchunk, (k+1)*cchunk) */
} dw_ctx;

static inline __attribute__((always_inline)) void dw_row_body(const dw_ctx *x, int64_t r) {
  const slimrt_conv_geom *g = x->g;
  int64_t n = r / g->oh, oh = r % g->oh, cm = g->ci * x->mult;
  float *orow = x->o + r * g->ow * cm;
  memset(orow, 0, (size_t)(g->ow * cm) * sizeof *orow);
  for (int64_t ow = 0; ow < g->ow; ow++) {
    float *restrict acc = orow + ow * cm;
    for (int64_t kh = 0; kh < g->kh; kh++) {
      int64_t ih = oh * g->sh - g->pt + kh * g->dh;
      if (ih < 0 || ih >= g->h) continue;
      for (int64_t kw = 0; kw < g->kw; kw++) {
        int64_t iw = ow * g->sw - g->pl + kw * g->dw;
        if (iw < 0 || iw >= g->w) continue;
        const float *restrict px = g->in + ((n * g->h + ih) * g->w + iw) * g->ci;
        const float *restrict fw = x->f + (kh * g->kw + kw) * cm;
        if (x->mult == 1) {
          for (int64_t ch = 0; ch < g->ci; ch++) acc[ch] += px[ch] * fw[ch];
        } else {
          for (int64_t ch = 0; ch < g->ci; ch++)
            for (int64_t m = 0; m < x->mult; m++) acc[ch * x->mult + m] += px[ch] * fw[ch * x->mult + m];
        }
      }
    }
  }
  slimrt_epilogue_apply(x->e, orow, cm, r * g->ow, g->ow, 0, cm);
}

/* 16 floats, loadable from any float-aligned address. */
typedef float vf16 __attribute__((vector_size(64), aligned(4)));
typedef int32_t vi16 __attribute__((vector_size(64), aligned(4)));

enum { DW_OXB = 4, /* output pixels summed together: each filter vector loaded once for them */
       DW_MIN_TASKS = 24 };

/* Epilogues known when the kernel is compiled (EP): DW_EPI_ANY reads E at run
   time; DW_EPI_RELU6 (MobileNet's) is a shift (after a scale, unless the prepare
   hook folded it into the filter), no residual, then relu6. */
enum { DW_EPI_ANY, DW_EPI_RELU6 };

/* Stores ACC at DST through the epilogue (channels from C0). With DW_EPI_RELU6
   the residual and activation are known at compile time; otherwise E says. */
static inline __attribute__((always_inline)) void dw_store(float *dst, vf16 acc, const slimrt_epilogue *e,
                                                           const float *sc, const float *sh, const float *res,
                                                           int64_t c0, const int EP) {
  vf16 zero = {0}, six = zero + 6;
  if (EP == DW_EPI_ANY && !e) {
    *(vf16 *)dst = acc;
    return;
  }
  int act = EP == DW_EPI_RELU6 ? SLIMRT_ACT_RELU6 : e->act;
  if (sc && sh) acc = acc * *(const vf16 *)(sc + c0) + *(const vf16 *)(sh + c0);
  else if (sh) acc = acc + *(const vf16 *)(sh + c0);
  if (EP == DW_EPI_ANY && res) acc += *(const vf16 *)res;
  if (act != SLIMRT_ACT_NONE) acc = (vf16)((vi16)acc & (acc > zero)); /* NaN -> 0, like epi_row */
  if (act == SLIMRT_ACT_RELU6) {
    vi16 lo = acc < six;
    acc = (vf16)(((vi16)acc & lo) | ((vi16)six & ~lo));
  }
  *(vf16 *)dst = acc;
}

/* A 3-wide filter row, dilation 1, stride S (1 or 2), over B output pixels
   inside the image: each input pixel of the filter row is loaded once and fed to
   the (up to 3) output pixels that see it, in increasing input order, so every
   output sums its taps in kx order, as dw_row_body does. A generic
   block loads each input pixel once per tap (three times for a 3-wide filter),
   which made the loads, not the FMAs, the bound. */
enum { DW3_B = 8 };

static inline __attribute__((always_inline)) void dw3_row(vf16 *acc, const float *row, const float *fk, int64_t C,
                                                          const int s, const int B) {
  vf16 f0 = *(const vf16 *)fk, f1 = *(const vf16 *)(fk + C), f2 = *(const vf16 *)(fk + 2 * C);
#pragma GCC unroll 17
  for (int i = 0; i < (B - 1) * s + 3; i++) {
    vf16 p = *(const vf16 *)(row + i * C);
    /* input pixel i is tap kx of output j when j*s + kx == i */
    if (i % s == 0 && i / s < B) acc[i / s] += p * f0;
    if (i >= 1 && (i - 1) % s == 0 && (i - 1) / s < B) acc[(i - 1) / s] += p * f1;
    if (i >= 2 && (i - 2) % s == 0 && (i - 2) / s < B) acc[(i - 2) / s] += p * f2;
  }
}

/* The first of the NK (<= 3) input rows a 3-wide block of output row R sees
   from filter row KY0 on, at input pixel IX (the others follow W*C apart), and
   where the block's output starts. */
static inline __attribute__((always_inline)) const float *dw3_in(const dw_ctx *x, int64_t r, int64_t ix,
                                                                 int64_t ky0) {
  const slimrt_conv_geom *g = x->g;
  return g->in + ((r / g->oh * g->h + r % g->oh * g->sh - g->pt + ky0) * g->w + ix) * g->ci;
}

/* B output pixels from OX (all taps inside the image), channels [C_LO, C_HI)
   (whole 16-slices), 3-wide filter of NK <= 3 rows starting at KY0, stride S.
   The slice loop is innermost,
   its pointers advance by one vector, and the filter rows loop a constant
   number of times, so that everything unrolls into registers. */
static inline __attribute__((always_inline)) void dw3_run(const dw_ctx *x, int64_t r, int64_t ox, int64_t c_lo,
                                                          int64_t c_hi, int64_t ky0, int64_t nk, const int S,
                                                          const int B, const int EP) {
  const slimrt_conv_geom *g = x->g;
  const slimrt_epilogue *e = x->e;
  const int64_t C = g->ci;
  const float *in0 = dw3_in(x, r, ox * S - g->pl, ky0);
  const float *in1 = nk > 1 ? in0 + g->w * C : in0, *in2 = nk > 2 ? in0 + 2 * g->w * C : in0;
  const float *fk = x->f + ky0 * 3 * C;
  float *out = x->o + (r * g->ow + ox) * C;
  const float *res = EP == DW_EPI_ANY && e && e->residual ? e->residual + (r * g->ow + ox) * C : NULL;
  const float *sc = e ? e->scale : NULL, *sh = e ? e->shift : NULL;
  for (int64_t c0 = c_lo; c0 < c_hi; c0 += 16) {
    vf16 acc[B];
    for (int j = 0; j < B; j++) acc[j] = (vf16){0};
#pragma GCC unroll 3
    for (int kk = 0; kk < 3; kk++) {
      if (kk >= nk) break;
      const float *row = (kk == 0 ? in0 : kk == 1 ? in1 : in2) + c0;
      dw3_row(acc, row, fk + kk * 3 * C + c0, C, S, B);
    }
#pragma GCC unroll 8
    for (int j = 0; j < B; j++)
      dw_store(out + j * C + c0, acc[j], e, sc, sh, res ? res + j * C + c0 : NULL, c0, EP);
  }
}

/* One output pixel OX whose 3-wide filter taps [K0, K1) lie inside the image (a
   border pixel, or a last odd one), channels [C_LO, C_HI) in whole slices;
   otherwise as dw3_run. */
static inline __attribute__((always_inline)) void dw3_pixel(const dw_ctx *x, int64_t r, int64_t ox, int64_t c_lo,
                                                            int64_t c_hi, int64_t ky0, int64_t nk, const int K0,
                                                            const int K1, const int EP) {
  const slimrt_conv_geom *g = x->g;
  const slimrt_epilogue *e = x->e;
  const int64_t C = g->ci;
  const float *in0 = dw3_in(x, r, ox * g->sw - g->pl + K0, ky0);
  const float *in1 = nk > 1 ? in0 + g->w * C : in0, *in2 = nk > 2 ? in0 + 2 * g->w * C : in0;
  const float *fk = x->f + ky0 * 3 * C;
  float *out = x->o + (r * g->ow + ox) * C;
  const float *res = EP == DW_EPI_ANY && e && e->residual ? e->residual + (r * g->ow + ox) * C : NULL;
  const float *sc = e ? e->scale : NULL, *sh = e ? e->shift : NULL;
  for (int64_t c0 = c_lo; c0 < c_hi; c0 += 16) {
    vf16 acc = {0};
#pragma GCC unroll 3
    for (int kk = 0; kk < 3; kk++) {
      if (kk >= nk) break;
      const float *row = (kk == 0 ? in0 : kk == 1 ? in1 : in2) + c0;
#pragma GCC unroll 3
      for (int kx = K0; kx < K1; kx++)
        acc += *(const vf16 *)(row + (kx - K0) * C) * *(const vf16 *)(fk + (kk * 3 + kx) * C + c0);
    }
    dw_store(out + c0, acc, e, sc, sh, res ? res + c0 : NULL, c0, EP);
  }
}

/* DW_OXB output pixels from OX (all taps inside the image), 16 channels from
   C0, any filter: each filter vector is loaded once for the block. */
static inline __attribute__((always_inline)) void dw_block(const dw_ctx *x, int64_t r, int64_t ox, int64_t c0,
                                                           int64_t ky0, int64_t ky1, const int EP) {
  const slimrt_conv_geom *g = x->g;
  const slimrt_epilogue *e = x->e;
  int64_t C = g->ci, oy = r % g->oh, ix0 = ox * g->sw - g->pl;
  const float *img = g->in + r / g->oh * g->h * g->w * C;
  vf16 acc[DW_OXB] = {{0}};
  for (int64_t ky = ky0; ky < ky1; ky++) {
    const float *row = img + ((oy * g->sh - g->pt + ky * g->dh) * g->w + ix0) * C + c0;
    const float *fk = x->f + ky * g->kw * C + c0;
    for (int64_t kx = 0; kx < g->kw; kx++) {
      vf16 fv = *(const vf16 *)(fk + kx * C);
#pragma GCC unroll 4
      for (int j = 0; j < DW_OXB; j++) acc[j] += *(const vf16 *)(row + (j * g->sw + kx * g->dw) * C) * fv;
    }
  }
  float *orow = x->o + r * g->ow * C;
  const float *res = e ? e->residual : NULL;
#pragma GCC unroll 4
  for (int j = 0; j < DW_OXB; j++) {
    int64_t o = (ox + j) * C + c0;
    dw_store(orow + o, acc[j], e, e ? e->scale : NULL, e ? e->shift : NULL, res ? res + r * g->ow * C + o : NULL,
             c0, EP);
  }
}

/* One output pixel OX, whose taps may fall outside the image (those are
   skipped), channels [C0, C1) in slices of 16, DW_PXS slices at a time so that
   their sums run side by side instead of one dependent chain. */
enum { DW_PXS = 4 };

static inline __attribute__((always_inline)) void dw_pixel(const dw_ctx *x, int64_t r, int64_t ox, int64_t c0,
                                                           int64_t c1, int64_t ky0, int64_t ky1, const int EP) {
  const slimrt_conv_geom *g = x->g;
  const slimrt_epilogue *e = x->e;
  int64_t C = g->ci, oy = r % g->oh, ix0 = ox * g->sw - g->pl;
  const float *img = g->in + r / g->oh * g->h * g->w * C;
  int64_t kx0 = 0, kx1 = g->kw;
  while (kx0 < kx1 && ix0 + kx0 * g->dw < 0) kx0++;
  while (kx1 > kx0 && ix0 + (kx1 - 1) * g->dw >= g->w) kx1--;
  float *orow = x->o + r * g->ow * C;
  const float *res = e ? e->residual : NULL;
  for (; c0 < c1; c0 += 16 * DW_PXS) {
    int ns = (int)((c1 - c0) / 16 < DW_PXS ? (c1 - c0) / 16 : DW_PXS);
    vf16 acc[DW_PXS] = {{0}};
    for (int64_t ky = ky0; ky < ky1; ky++) {
      const float *row = img + (oy * g->sh - g->pt + ky * g->dh) * g->w * C + c0;
      const float *fk = x->f + ky * g->kw * C + c0;
      for (int64_t kx = kx0; kx < kx1; kx++) {
        const float *px = row + (ix0 + kx * g->dw) * C, *fv = fk + kx * C;
        if (ns == DW_PXS) {
#pragma GCC unroll 4
          for (int s = 0; s < DW_PXS; s++) acc[s] += *(const vf16 *)(px + 16 * s) * *(const vf16 *)(fv + 16 * s);
        } else {
          for (int s = 0; s < ns; s++) acc[s] += *(const vf16 *)(px + 16 * s) * *(const vf16 *)(fv + 16 * s);
        }
      }
    }
    for (int s = 0; s < ns; s++) {
      int64_t o = ox * C + c0 + 16 * s;
      dw_store(orow + o, acc[s], e, e ? e->scale : NULL, e ? e->shift : NULL,
               res ? res + r * g->ow * C + o : NULL, c0 + 16 * s, EP);
    }
  }
}

/* Channels [C0, C1) (fewer than 16) of output pixels [OX, OX+NB): scalar, taps
   outside the image skipped, then the epilogue. */
static void dw_tail(const dw_ctx *x, int64_t r, int64_t ox, int64_t nb, int64_t c0, int64_t c1, int64_t ky0,
                    int64_t ky1) {
  const slimrt_conv_geom *g = x->g;
  int64_t C = g->ci, oy = r % g->oh;
  const float *img = g->in + r / g->oh * g->h * g->w * C;
  float *orow = x->o + r * g->ow * C;
  for (int64_t j = 0; j < nb; j++) {
    float *acc = orow + (ox + j) * C;
    for (int64_t ch = c0; ch < c1; ch++) acc[ch] = 0;
    for (int64_t ky = ky0; ky < ky1; ky++) {
      int64_t iy = oy * g->sh - g->pt + ky * g->dh;
      for (int64_t kx = 0; kx < g->kw; kx++) {
        int64_t ix = (ox + j) * g->sw - g->pl + kx * g->dw;
        if (ix < 0 || ix >= g->w) continue;
        const float *px = img + (iy * g->w + ix) * C;
        const float *fw = x->f + (ky * g->kw + kx) * C;
        for (int64_t ch = c0; ch < c1; ch++) acc[ch] += px[ch] * fw[ch];
      }
    }
  }
  if (x->e) {
    slimrt_epilogue te = *x->e;
    if (te.scale) te.scale += c0;
    if (te.shift) te.shift += c0;
    if (te.residual) te.residual += c0;
    slimrt_epilogue_apply(&te, orow + ox * C + c0, C, r * g->ow + ox, nb, 0, c1 - c0);
  }
}

/* Depthwise, multiplier 1, channels [C_LO, C_HI) of output row R. Pixels whose
   taps all lie inside the image go in blocks: of 8, 4 or 2 for 3-wide filters
   (dw3_run), of DW_OXB otherwise (dw_block). The rest (the borders, and a row's
   last pixel or so) go one at a time: 3-wide filters with one tap outside the
   image skip it at compile time (dw3_pixel), anything else at run time
   (dw_pixel). Every output sums its taps in (ky, kx) order and leaves through
   the epilogue in registers; EP (see dw_row_any) is a constant here.
   Channels past the last full 16-slice: dw_tail. */
static inline __attribute__((always_inline)) void dw_row_vec(const dw_ctx *x, int64_t r, int64_t c_lo,
                                                            int64_t c_hi, const int EP) {
  const slimrt_conv_geom *g = x->g;
  int64_t oy = r % g->oh;
  int64_t ky0 = 0, ky1 = g->kh;
  while (ky0 < ky1 && oy * g->sh - g->pt + ky0 * g->dh < 0) ky0++;
  while (ky1 > ky0 && oy * g->sh - g->pt + (ky1 - 1) * g->dh >= g->h) ky1--;
  int64_t cfull = c_lo + (c_hi - c_lo) / 16 * 16, span = (g->kw - 1) * g->dw;
  int k3 = g->kw == 3 && g->kh <= 3 && g->dw == 1 && (g->sw == 1 || g->sw == 2);
  for (int64_t ox = 0; ox < g->ow;) {
    int64_t ix0 = ox * g->sw - g->pl, left = g->ow - ox;
    /* pixels from ox whose taps all lie inside the image, if ix0 is inside */
    int64_t fit = ix0 < 0 || ix0 + span >= g->w ? 0 : (g->w - 1 - span - ix0) / g->sw + 1;
    if (fit > left) fit = left;
    int64_t nb;
    if (k3 && fit >= 2) {
      nb = fit >= DW3_B ? DW3_B : fit >= 4 ? 4 : 2;
      int64_t nk = ky1 - ky0;
#define DW3_RUN(S_, B_) dw3_run(x, r, ox, c_lo, cfull, ky0, nk, S_, B_, EP)
      if (g->sw == 1) {
        if (nb == DW3_B) DW3_RUN(1, DW3_B);
        else if (nb == 4) DW3_RUN(1, 4);
        else DW3_RUN(1, 2);
      } else {
        if (nb == DW3_B) DW3_RUN(2, DW3_B);
        else if (nb == 4) DW3_RUN(2, 4);
        else DW3_RUN(2, 2);
      }
#undef DW3_RUN
    } else if (k3 && (ix0 >= -1 && ix0 + 2 <= g->w) && g->w >= 2) { /* at most one tap outside */
      nb = 1;
      int64_t nk = ky1 - ky0;
      if (ix0 < 0) dw3_pixel(x, r, ox, c_lo, cfull, ky0, nk, 1, 3, EP);
      else if (ix0 + 2 == g->w) dw3_pixel(x, r, ox, c_lo, cfull, ky0, nk, 0, 2, EP);
      else dw3_pixel(x, r, ox, c_lo, cfull, ky0, nk, 0, 3, EP);
    } else if (!k3 && fit >= DW_OXB) {
      nb = DW_OXB;
      for (int64_t c0 = c_lo; c0 < cfull; c0 += 16) dw_block(x, r, ox, c0, ky0, ky1, EP);
    } else {
      nb = 1;
      dw_pixel(x, r, ox, c_lo, cfull, ky0, ky1, EP);
    }
    if (cfull < c_hi) dw_tail(x, r, ox, nb, cfull, c_hi, ky0, ky1);
    ox += nb;
  }
}

/* SPECIAL: compile the relu6 epilogue as a constant too (the AVX-512 build; the
   AVX2 one keeps one copy). Channel counts compiled as constants as well made
   stride 2 8-15 % faster but this file 8x slower to compile (90 s with GCC -O3,
   over 7 minutes under clang's sanitizers), so they are not. */
static inline __attribute__((always_inline)) void dw_row_any(const dw_ctx *x, int64_t t, const int SPECIAL) {
  int64_t r = t / x->nchunks, c_lo = t % x->nchunks * x->cchunk;
  if (x->mult != 1) {
    dw_row_body(x, r);
    return;
  }
  int64_t c_hi = c_lo + x->cchunk < x->g->ci ? c_lo + x->cchunk : x->g->ci;
  const slimrt_epilogue *e = x->e;
  if (SPECIAL && e && e->shift && !e->residual && e->act == SLIMRT_ACT_RELU6)
    dw_row_vec(x, r, c_lo, c_hi, DW_EPI_RELU6);
  else
    dw_row_vec(x, r, c_lo, c_hi, DW_EPI_ANY);
}

SLIMRT_TARGET_X86("avx512f,avx512vl,fma")
static void dw_row_avx512(void *vctx, int64_t r) { dw_row_any(vctx, r, 1); }
SLIMRT_TARGET_X86("avx2,fma")
static void dw_row_avx2(void *vctx, int64_t r) { dw_row_any(vctx, r, 0); }
static void dw_row_generic(void *vctx, int64_t r) { dw_row_body(vctx, r); }

static void depthwise(const slimrt_call *c, const slimrt_attr_conv *a, const slimrt_epilogue *e) {
  slimrt_conv_geom g;
  conv_geom(&g, c, a);
  dw_ctx x = {.g = &g, .f = c->in[1], .o = c->out, .mult = c->in_shape[1].dims[3], .e = e, .nchunks = 1,
              .cchunk = g.ci};
  void (*row)(void *, int64_t) = dw_row_generic;
  if (slimrt_isa() == SLIMRT_ISA_AVX512) row = dw_row_avx512;
  else if (slimrt_isa() == SLIMRT_ISA_AVX2) row = dw_row_avx2;
  /* Few rows (a 14x14 or 7x7 map): a row's channels are cut into chunks of whole
     vectors, so that two threads get even shares (7 rows split 4 against 3). By
     shape only; channels are independent, so no sum changes. */
  if (row != dw_row_generic && x.mult == 1)
    while (g.n * g.oh * x.nchunks < DW_MIN_TASKS && x.cchunk % 32 == 0 && x.cchunk >= 128) {
      x.nchunks *= 2;
      x.cchunk /= 2;
    }
  slimrt_parallel_for(c->pool, g.n * g.oh * x.nchunks, row, &x);
}

void slimrt_k_DEPTHWISE_CONV2D(const slimrt_call *c) { depthwise(c, c->attr, NULL); }

/* FUSED_CONV2D: bias and batch norm become one per-channel scale and shift,
   computed here from the current weights, so variables loaded from a checkpoint
   at start-up are folded as well as embedded ones. */
enum { FC_STACK_CHANNELS = 2048 };

typedef struct fconv_inputs {
  const float *bias, *bn[4], *residual;
} fconv_inputs;

static fconv_inputs fconv_split(const slimrt_call *c) {
  const slimrt_attr_fconv *a = c->attr;
  fconv_inputs f = {0};
  int next = 2;
  if (a->has_bias) f.bias = c->in[next++];
  if (a->has_bn)
    for (int i = 0; i < 4; i++) f.bn[i] = c->in[next++];
  if (a->has_residual) f.residual = c->in[next++];
  return f;
}

/* Load time, for a prepacked FUSED_CONV2D (compiler/passes/pass_prepack.c made sure
   nothing else reads the filter or the offset): the filter is rewritten in place
   as the GEMM's panels with the batch-norm scale k = gamma / sqrt(var + eps)
   folded into its columns, and the offset becomes the whole shift
   beta + (bias - mean) * k. Done once, so the kernel neither repacks nor refolds. */
void slimrt_p_FUSED_CONV2D(const slimrt_call *c) {
  const slimrt_attr_fconv *a = c->attr;
  if (!a->prepacked) return;
  const slimrt_shape *f = &c->in_shape[1], *so = c->out_shape;
  /* depthwise: [KH*KW] x [C*MULT], the column index being the output channel */
  int64_t k = a->depthwise ? f->dims[0] * f->dims[1] : f->dims[0] * f->dims[1] * f->dims[2];
  int64_t co = a->depthwise ? f->dims[2] * f->dims[3] : f->dims[3];
  int nr = a->depthwise ? 0 : slimrt_gemm_panel(so->dims[0] * so->dims[1] * so->dims[2], co);
  if (nr && co % nr) abort(); /* the compiler only marks convs whose channels fill the panels */
  fconv_inputs in = fconv_split(c);
  float scale_buf[FC_STACK_CHANNELS], *scale = NULL, *heap = NULL;
  if (a->has_bn) {
    scale = scale_buf;
    if (co > FC_STACK_CHANNELS && !(scale = heap = malloc((size_t)co * sizeof(float))))
      abort(); /* a kernel cannot report errors; one float per channel */
    float *shift = (float *)in.bn[1];
    for (int64_t i = 0; i < co; i++) {
      double kk = in.bn[0][i] / sqrt((double)in.bn[3][i] + a->epsilon);
      scale[i] = (float)kk;
      shift[i] = (float)(in.bn[1][i] + ((in.bias ? (double)in.bias[i] : 0.0) - in.bn[2][i]) * kk);
    }
  }
  if (a->depthwise) { /* the layout stays; only the scale is folded in */
    float *w = (float *)c->in[1];
    for (int64_t t = 0; scale && t < k; t++)
      for (int64_t j = 0; j < co; j++) w[t * co + j] *= scale[j];
  } else if (slimrt_gemm_pack_filter((float *)c->in[1], k, co, nr, scale) != 0) {
    abort();
  }
  free(heap);
}

int slimrt_fused_conv_prepack_ok(const slimrt_attr_fconv *a, int64_t co) {
  return a->depthwise || (co > 0 && co % SLIMRT_GEMM_MIN_PANEL == 0);
}

int slimrt_fused_conv_inplace_ok(const slimrt_attr_fconv *a, int64_t n, int64_t h, int64_t w, int64_t ci,
                                 int64_t oh, int64_t ow, int64_t kh, int64_t kw) {
  /* the GEMM path only: depthwise sums into its output before the epilogue */
  if (!a->has_residual || a->depthwise) return 0;
  slimrt_conv_geom g = geom_of(&a->conv, NULL, n, h, w, ci, oh, ow, kh, kw);
  return slimrt_gemm_conv_inplace_ok(&g, (int)a->prepacked);
}

static void fused_conv(const slimrt_call *c) {
  const slimrt_attr_fconv *a = c->attr;
  int64_t co = c->out_shape->dims[c->out_shape->rank - 1];
  fconv_inputs in = fconv_split(c);
  const float *bias = in.bias, *residual = in.residual;
  const float *const *bn = in.bn;
  if (a->prepacked) { /* folded at load time: shift only */
    slimrt_epilogue e = {.shift = a->has_bn ? bn[1] : bias, .residual = residual, .act = (int)a->act};
    if (a->depthwise) {
      depthwise(c, &a->conv, &e);
      return;
    }
    slimrt_conv_geom g;
    conv_geom(&g, c, &a->conv);
    slimrt_gemm_conv_packed(&g, c->in[1], co, c->out, &e, c->pool);
    return;
  }
  float stack_buf[2 * FC_STACK_CHANNELS];
  float *buf = stack_buf, *heap = NULL;
  if (co > FC_STACK_CHANNELS) {
    heap = malloc((size_t)co * 2 * sizeof(float));
    if (!heap) abort(); /* kernels cannot report errors; this is 2 floats per channel */
    buf = heap;
  }
  slimrt_epilogue e = {.residual = residual, .act = (int)a->act};
  if (a->has_bn) {
    float *k = buf, *b = buf + co;
    for (int64_t i = 0; i < co; i++) {
      double inv = 1.0 / sqrt((double)bn[3][i] + a->epsilon);
      double kk = bn[0][i] * inv;
      k[i] = (float)kk;
      b[i] = (float)(bn[1][i] + ((bias ? (double)bias[i] : 0.0) - bn[2][i]) * kk);
    }
    e.scale = k;
    e.shift = b;
  } else if (bias) { /* the epilogue's affine step wants both factors */
    float *k = buf, *b = buf + co;
    for (int64_t i = 0; i < co; i++) {
      k[i] = 1.0f;
      b[i] = bias[i];
    }
    e.scale = k;
    e.shift = b;
  }
  if (a->depthwise) {
    depthwise(c, &a->conv, &e);
  } else {
    slimrt_conv_geom g;
    conv_geom(&g, c, &a->conv);
    slimrt_gemm_conv(&g, c->in[1], co, c->out, &e, c->pool);
  }
  free(heap);
}

/* CONV2D_TRANSPOSE (TF's Conv2DBackpropInput): inputs dy [n,h,w,ci] then filter
   [kh,kw,co,ci], like CONV2D's (TF's input_sizes is implied by the output shape,
   and the compiler's shape inference takes the data first). The forward conv maps the output (as its
   input) to dy, so out[n,oh,ow,co] gathers dy[n,ih,iw,ci] * f[kh,kw,co,ci] over
   every (ih,kh) with ih*sh - pt + kh*dh == oh (and likewise for w). Gathering per
   output row keeps tasks independent. */
static void convt_row(void *vctx, int64_t r) {
  const conv_ctx *x = vctx;
  const slimrt_attr_conv *a = x->at;
  int64_t n = r / x->oh, oh = r % x->oh;
  float *orow = x->o + r * x->ow * x->co;
  memset(orow, 0, (size_t)(x->ow * x->co) * sizeof *orow);
  for (int64_t ow = 0; ow < x->ow; ow++) {
    float *acc = orow + ow * x->co;
    for (int64_t kh = 0; kh < x->kh; kh++) {
      int64_t th = oh + a->pad_top - kh * a->dilation_h;
      if (th < 0 || th % a->stride_h) continue;
      int64_t ih = th / a->stride_h;
      if (ih >= x->h) continue;
      for (int64_t kw = 0; kw < x->kw; kw++) {
        int64_t tw = ow + a->pad_left - kw * a->dilation_w;
        if (tw < 0 || tw % a->stride_w) continue;
        int64_t iw = tw / a->stride_w;
        if (iw >= x->w) continue;
        const float *px = x->in + ((n * x->h + ih) * x->w + iw) * x->ci;
        const float *fw = x->f + (kh * x->kw + kw) * x->co * x->ci;
        for (int64_t co = 0; co < x->co; co++) {
          const float *fr = fw + co * x->ci;
          float s = 0;
          for (int64_t ci = 0; ci < x->ci; ci++) s += px[ci] * fr[ci];
          acc[co] += s;
        }
      }
    }
  }
}

void slimrt_k_CONV2D_TRANSPOSE(const slimrt_call *c) {
  conv_ctx x;
  conv_init(&x, c, &c->in_shape[0], &c->in_shape[1], c->in[0], c->in[1]);
  slimrt_parallel_for(c->pool, x.n * x.oh, convt_row, &x);
}

/* SLIMRT_PROFILE set in the environment: each FUSED_CONV2D call prints its shape,
   time and GFLOP/s to stderr (one line, no state kept), for finding the layers
   that fall short of the others. */
void slimrt_k_FUSED_CONV2D(const slimrt_call *c) {
  if (!getenv("SLIMRT_PROFILE")) {
    fused_conv(c);
    return;
  }
  double t0 = k_now_ms();
  fused_conv(c);
  double ms = k_now_ms() - t0;
  const slimrt_attr_fconv *a = c->attr;
  const slimrt_shape *x = &c->in_shape[0], *f = &c->in_shape[1], *o = c->out_shape;
  double macs = (double)(o->dims[0] * o->dims[1] * o->dims[2] * o->dims[3]) * (double)(f->dims[0] * f->dims[1]) *
                (a->depthwise ? 1.0 : (double)f->dims[2]);
  fprintf(stderr, "SLIMRT_PROFILE FUSED_CONV2D%s %lldx%lldx%lld k%lldx%lld/%lld -> %lldx%lldx%lld %.3f ms %.1f GFLOP/s\n",
          a->depthwise ? "(depthwise)" : "", (long long)x->dims[1], (long long)x->dims[2], (long long)x->dims[3],
          (long long)f->dims[0], (long long)f->dims[1], (long long)a->conv.stride_h, (long long)o->dims[1],
          (long long)o->dims[2], (long long)o->dims[3], ms, ms > 0 ? 2 * macs / ms / 1e6 : 0.0);
}
