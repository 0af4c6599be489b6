/* The convolution GEMM (internal to libslimrt): C[M,N] = im2col(in)[M,K] x B[K,N]
 * with a per-column scale/shift, an optional residual and an activation applied
 * as the last step of each output tile, while it is still in cache.
 * M = n*oh*ow output pixels, K = kh*kw*ci, N = output channels; B is the HWIO
 * filter as stored (row-major [K,N]) or, for slimrt_gemm_conv_packed, as
 * slimrt_gemm_pack_filter left it; C and the residual are NHWC. */
#ifndef SLIMRT_GEMM_H
#define SLIMRT_GEMM_H
#include <stdint.h>
#include "slimrt.h"

/* the activation codes are the op table's public slimrt_act (slimrt_ops.h) */

typedef struct slimrt_epilogue {
  const float *scale;     /* [N] or NULL (1) */
  const float *shift;     /* [N] or NULL (0); with scale NULL: v + shift */
  const float *residual;  /* [M,N] added after scale/shift, or NULL */
  int act;                /* SLIMRT_ACT_* */
} slimrt_epilogue;

typedef struct slimrt_conv_geom {
  const float *in;
  int64_t n, h, w, ci;    /* input NHWC */
  int64_t oh, ow;         /* output spatial size */
  int64_t kh, kw, sh, sw, dh, dw, pt, pl;
} slimrt_conv_geom;

/* Deterministic for any pool size: every output element is summed over K in
   one fixed order, whichever thread computes it. */
void slimrt_gemm_conv(const slimrt_conv_geom *g, const float *b, int64_t n_cols, float *c,
                      const slimrt_epilogue *e, slimrt_pool *pool);

/* The same with B packed once beforehand by slimrt_gemm_pack_filter (N a multiple
   of slimrt_gemm_panel(M, N)). */
void slimrt_gemm_conv_packed(const slimrt_conv_geom *g, const float *b, int64_t n_cols, float *c,
                             const slimrt_epilogue *e, slimrt_pool *pool);
/* 1 when C may be E's residual buffer (every tile reads its residual before it
   writes its output, and nothing else reads it): a function of the shape and of
   whether B is prepacked only. */
int slimrt_gemm_conv_inplace_ok(const slimrt_conv_geom *g, int packed);
/* The panel width (32 or 64 columns) the GEMM uses for M x N on this CPU. */
int slimrt_gemm_panel(int64_t m, int64_t n);
/* Every panel width slimrt_gemm_panel may choose is this or a multiple of it, chosen
   only when N is a multiple of it: an N that is a multiple of this fills the panels. */
enum { SLIMRT_GEMM_MIN_PANEL = 32 };
/* B [K,N] -> [N/NR][K][NR] in place, column j multiplied by SCALE[j] (SCALE may be
   NULL). -1 when out of memory (K*N/NR bits of scratch), B unchanged. */
int slimrt_gemm_pack_filter(float *b, int64_t k, int64_t n, int nr, const float *scale);

/* Applies E to ROWS x COLS of C (row stride LDC) whose first row is global row ROW0. */
void slimrt_epilogue_apply(const slimrt_epilogue *e, float *c, int64_t ldc, int64_t row0, int64_t rows,
                           int64_t col0, int64_t cols);

#endif
