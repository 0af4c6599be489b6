/* REDUCE_SUM / REDUCE_MEAN / REDUCE_MAX over the dimensions marked in attr.axes,
 * and ARGMAX. keepdims only changes the output shape, never the data layout, so
 * the kernels ignore it. */
#include <math.h>
#include "kernels_common.h"

enum { R_SUM, R_MEAN, R_MAX };

/* Walks the input in memory order (cache friendly) and accumulates into the
   output, whose stride is 0 along reduced dimensions. */
static void reduce(const slimrt_call *c, int kind) {
  const slimrt_attr_reduce *at = c->attr;
  const slimrt_shape *s = &c->in_shape[0];
  const float *in = c->in[0];
  float *out = c->out;
  int64_t rank = s->rank, on = k_count(c->out_shape), n = k_count(s);
  for (int64_t i = 0; i < on; i++) out[i] = kind == R_MAX ? -INFINITY : 0.0f;
  if (n == 0) return;
  if (rank == 0) {
    out[0] = in[0];
    return;
  }
  int64_t ost[SLIMRT_MAX_RANK], acc = 1, reduced = 1;
  for (int64_t d = rank - 1; d >= 0; d--) {
    if (at->axes[d]) {
      ost[d] = 0;
      reduced *= s->dims[d];
    } else {
      ost[d] = acc;
      acc *= s->dims[d];
    }
  }
  int64_t inner = s->dims[rank - 1], idx[SLIMRT_MAX_RANK] = {0}, off = 0;
  int inner_reduced = at->axes[rank - 1] != 0;
  for (int64_t r = 0; r < n / inner; r++) {
    const float *row = in + r * inner;
    float *o = out + off;
    if (inner_reduced) {
      float v = *o;
      if (kind == R_MAX) {
        for (int64_t i = 0; i < inner; i++) v = row[i] > v || isnan(row[i]) ? row[i] : v;
      } else {
        for (int64_t i = 0; i < inner; i++) v += row[i];
      }
      *o = v;
    } else if (kind == R_MAX) {
      for (int64_t i = 0; i < inner; i++) o[i] = row[i] > o[i] || isnan(row[i]) ? row[i] : o[i];
    } else {
      for (int64_t i = 0; i < inner; i++) o[i] += row[i];
    }
    for (int64_t d = rank - 2; d >= 0; d--) {
      off += ost[d];
      if (++idx[d] < s->dims[d]) break;
      off -= ost[d] * s->dims[d];
      idx[d] = 0;
    }
  }
  if (kind == R_MEAN) {
    float inv = 1.0f / (float)reduced;
    for (int64_t i = 0; i < on; i++) out[i] *= inv;
  }
}

void slimrt_k_REDUCE_SUM(const slimrt_call *c) { reduce(c, R_SUM); }
void slimrt_k_REDUCE_MEAN(const slimrt_call *c) { reduce(c, R_MEAN); }
void slimrt_k_REDUCE_MAX(const slimrt_call *c) { reduce(c, R_MAX); }

/* ARGMAX along attr.axis; the first maximum wins, as in TF and numpy. Output is
   int64 unless the output shape asks for int32. */
void slimrt_k_ARGMAX(const slimrt_call *c) {
  const slimrt_attr_argmax *at = c->attr;
  const slimrt_shape *s = &c->in_shape[0];
  const float *in = c->in[0];
  int64_t axis = k_axis(at->axis, s->rank);
  int64_t outer = k_span(s, 0, axis), d = s->dims[axis], inner = k_span(s, axis + 1, s->rank);
  int is32 = c->out_shape->dtype == SLIMRT_I32;
  for (int64_t o = 0; o < outer; o++)
    for (int64_t i = 0; i < inner; i++) {
      const float *p = in + o * d * inner + i;
      int64_t best = 0;
      for (int64_t j = 1; j < d; j++)
        if (p[j * inner] > p[best * inner]) best = j;
      if (is32) ((int32_t *)c->out)[o * inner + i] = (int32_t)best;
      else ((int64_t *)c->out)[o * inner + i] = best;
    }
}
