/* REDUCE_SUM / REDUCE_MEAN / REDUCE_MAX over the dimensions marked in attr.axes,
 * and ARGMAX. keepdims only changes the output shape, never the data layout, so
 * the kernels ignore it. */
#include <math.h>
#include <stdlib.h>
#include "kernels_common.h"

enum { R_SUM, R_MEAN, R_MAX };

/* Walks the input in memory order (cache friendly) and accumulates into the
   output, whose stride is 0 along reduced dimensions. */
#define REDUCE_LOOP(NAME, T)                                                              \
  static void NAME(const slimrt_shape *s, const slimrt_attr_reduce *at, const T *in, T *out, \
                   int64_t on, int kind) {                                                \
    int64_t rank = s->rank, n = k_count(s);                                               \
    for (int64_t i = 0; i < on; i++) out[i] = kind == R_MAX ? -INFINITY : 0;              \
    if (n == 0) return;                                                                   \
    if (rank == 0) {                                                                      \
      out[0] = in[0];                                                                     \
      return;                                                                             \
    }                                                                                     \
    int64_t ost[SLIMRT_MAX_RANK], acc = 1, reduced = 1;                                   \
    for (int64_t d = rank - 1; d >= 0; d--) {                                             \
      if (at->axes[d]) {                                                                  \
        ost[d] = 0;                                                                       \
        reduced *= s->dims[d];                                                            \
      } else {                                                                            \
        ost[d] = acc;                                                                     \
        acc *= s->dims[d];                                                                \
      }                                                                                   \
    }                                                                                     \
    int64_t inner = s->dims[rank - 1], idx[SLIMRT_MAX_RANK] = {0}, off = 0;               \
    int inner_reduced = at->axes[rank - 1] != 0;                                          \
    for (int64_t r = 0; r < n / inner; r++) {                                             \
      const T *row = in + r * inner;                                                      \
      T *o = out + off;                                                                   \
      if (inner_reduced) {                                                                \
        T v = *o;                                                                         \
        if (kind == R_MAX) {                                                              \
          for (int64_t i = 0; i < inner; i++) v = row[i] > v || isnan(row[i]) ? row[i] : v; \
        } else {                                                                          \
          for (int64_t i = 0; i < inner; i++) v += row[i];                                \
        }                                                                                 \
        *o = v;                                                                           \
      } else if (kind == R_MAX) {                                                         \
        for (int64_t i = 0; i < inner; i++) o[i] = row[i] > o[i] || isnan(row[i]) ? row[i] : o[i]; \
      } else {                                                                            \
        for (int64_t i = 0; i < inner; i++) o[i] += row[i];                               \
      }                                                                                   \
      for (int64_t d = rank - 2; d >= 0; d--) {                                           \
        off += ost[d];                                                                    \
        if (++idx[d] < s->dims[d]) break;                                                 \
        off -= ost[d] * s->dims[d];                                                       \
        idx[d] = 0;                                                                       \
      }                                                                                   \
    }                                                                                     \
    if (kind == R_MEAN) {                                                                 \
      T inv = (T)1 / (T)reduced;                                                          \
      for (int64_t i = 0; i < on; i++) out[i] *= inv;                                     \
    }                                                                                     \
  }
REDUCE_LOOP(reduce_f32, float)
REDUCE_LOOP(reduce_f64, double)

/* Other dtypes reduce in double through temporaries (exact for integer sums
   below 2^53); integer means truncate toward zero, as TF's. */
static void reduce(const slimrt_call *c, int kind) {
  const slimrt_shape *s = &c->in_shape[0];
  int dt = (int)s->dtype;
  int64_t n = k_count(s), on = k_count(c->out_shape);
  if (dt == SLIMRT_F32) {
    reduce_f32(s, c->attr, c->in[0], c->out, on, kind);
    return;
  }
  if (dt == SLIMRT_F64) {
    reduce_f64(s, c->attr, c->in[0], c->out, on, kind);
    return;
  }
  double *tin = malloc((size_t)(n ? n : 1) * sizeof *tin), *tout = malloc((size_t)(on ? on : 1) * sizeof *tout);
  if (tin && tout) { /* no error channel: on allocation failure the output is left alone */
    for (int64_t i = 0; i < n; i++) tin[i] = slimrt_kx_load_f(dt, c->in[0], i);
    reduce_f64(s, c->attr, tin, tout, on, kind);
    for (int64_t i = 0; i < on; i++) slimrt_kx_store_f(dt, c->out, i, tout[i]);
  }
  free(tin);
  free(tout);
}

void slimrt_k_REDUCE_SUM(const slimrt_call *c) { reduce(c, R_SUM); }
void slimrt_k_REDUCE_MEAN(const slimrt_call *c) { reduce(c, R_MEAN); }
void slimrt_k_REDUCE_MAX(const slimrt_call *c) { reduce(c, R_MAX); }

/* ARGMAX along attr.axis (any numeric dtype); the first maximum wins, as in TF
   and numpy. Output is int64 unless the output shape asks for int32. */
void slimrt_k_ARGMAX(const slimrt_call *c) {
  const slimrt_attr_argmax *at = c->attr;
  const slimrt_shape *s = &c->in_shape[0];
  int dt = (int)s->dtype;
  int64_t axis = k_axis(at->axis, s->rank);
  int64_t outer = k_span(s, 0, axis), d = s->dims[axis], inner = k_span(s, axis + 1, s->rank);
  int is32 = c->out_shape->dtype == SLIMRT_I32;
  for (int64_t o = 0; o < outer; o++)
    for (int64_t i = 0; i < inner; i++) {
      int64_t base = o * d * inner + i, best = 0;
      if (dt == SLIMRT_F32) {
        const float *p = (const float *)c->in[0] + base;
        for (int64_t j = 1; j < d; j++)
          if (p[j * inner] > p[best * inner]) best = j;
      } else {
        double bv = slimrt_kx_load_f(dt, c->in[0], base);
        for (int64_t j = 1; j < d; j++) {
          double v = slimrt_kx_load_f(dt, c->in[0], base + j * inner);
          if (v > bv) bv = v, best = j;
        }
      }
      if (is32) ((int32_t *)c->out)[o * inner + i] = (int32_t)best;
      else ((int64_t *)c->out)[o * inner + i] = best;
    }
}
