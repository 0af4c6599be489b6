/* BATCH_NORM (inference), SOFTMAX and LOG_SOFTMAX, all over the last axis. */
#include <math.h>
#include "kernels_common.h"

enum { BN_CHUNK = 256 }; /* channels whose factors are precomputed at a time */

/* y = scale*(x-mean)/sqrt(var+eps) + offset as y = (x - mean)*k + offset: x == mean
   (a training-mode batch of one) gives offset exactly, as TF does, where the folded
   x*k + b left rounding noise. Channels go in chunks so the factors live on the stack
   whatever C is. */
void slimrt_k_BATCH_NORM(const slimrt_call *c) {
  const float *x = c->in[0], *scale = c->in[1], *offset = c->in[2], *mean = c->in[3], *var = c->in[4];
  const slimrt_attr_batchnorm *at = c->attr;
  float *out = c->out;
  const slimrt_shape *s = &c->in_shape[0];
  int64_t ch = s->rank ? s->dims[s->rank - 1] : 1, n = k_count(s);
  if (ch == 0) return;
  int64_t rows = n / ch;
  float k[BN_CHUNK];
  for (int64_t c0 = 0; c0 < ch; c0 += BN_CHUNK) {
    int64_t len = ch - c0 < BN_CHUNK ? ch - c0 : BN_CHUNK;
    const float *m = mean + c0, *o = offset + c0;
    for (int64_t i = 0; i < len; i++) k[i] = (float)(scale[c0 + i] / sqrt((double)var[c0 + i] + at->epsilon));
    for (int64_t r = 0; r < rows; r++) {
      const float *xr = x + r * ch + c0;
      float *yr = out + r * ch + c0;
      for (int64_t i = 0; i < len; i++) yr[i] = (xr[i] - m[i]) * k[i] + o[i];
    }
  }
}

/* Subtracting the row maximum keeps exp() from overflowing. */
static void softmax(const slimrt_call *c, int log_form) {
  const float *x = c->in[0];
  float *out = c->out;
  const slimrt_shape *s = &c->in_shape[0];
  int64_t d = s->rank ? s->dims[s->rank - 1] : 1, n = k_count(s);
  if (d == 0) return;
  for (int64_t r = 0; r < n / d; r++) {
    const float *xr = x + r * d;
    float *yr = out + r * d;
    float mx = xr[0];
    for (int64_t i = 1; i < d; i++) mx = xr[i] > mx ? xr[i] : mx;
    double sum = 0;
    for (int64_t i = 0; i < d; i++) sum += exp((double)xr[i] - mx);
    if (log_form) {
      float lse = (float)log(sum);
      for (int64_t i = 0; i < d; i++) yr[i] = (xr[i] - mx) - lse;
    } else {
      double inv = 1.0 / sum;
      for (int64_t i = 0; i < d; i++) yr[i] = (float)(exp((double)xr[i] - mx) * inv);
    }
  }
}

void slimrt_k_SOFTMAX(const slimrt_call *c) { softmax(c, 0); }
void slimrt_k_LOG_SOFTMAX(const slimrt_call *c) { softmax(c, 1); }
