/* MAX_POOL and AVG_POOL over H and W of NHWC data. Padding is explicit; padded
 * cells never take part: max ignores them and avg divides by the number of
 * valid cells (TF's SAME pooling). */
#include <float.h>
#include "kernels_common.h"

typedef struct pool_ctx {
  const float *in;
  float *o;
  int64_t h, w, ch, oh, ow;
  const slimrt_attr_pool *at;
  int is_max;
} pool_ctx;

static void pool_row(void *vctx, int64_t r) {
  const pool_ctx *x = vctx;
  const slimrt_attr_pool *a = x->at;
  int64_t n = r / x->oh, oh = r % x->oh;
  int64_t h0 = oh * a->stride_h - a->pad_top, h1 = h0 + a->window_h;
  if (h0 < 0) h0 = 0;
  if (h1 > x->h) h1 = x->h;
  for (int64_t ow = 0; ow < x->ow; ow++) {
    int64_t w0 = ow * a->stride_w - a->pad_left, w1 = w0 + a->window_w;
    if (w0 < 0) w0 = 0;
    if (w1 > x->w) w1 = x->w;
    float *acc = x->o + (r * x->ow + ow) * x->ch;
    for (int64_t c = 0; c < x->ch; c++) acc[c] = x->is_max ? -FLT_MAX : 0.0f;
    for (int64_t ih = h0; ih < h1; ih++)
      for (int64_t iw = w0; iw < w1; iw++) {
        const float *px = x->in + ((n * x->h + ih) * x->w + iw) * x->ch;
        if (x->is_max) {
          for (int64_t c = 0; c < x->ch; c++) acc[c] = px[c] > acc[c] ? px[c] : acc[c];
        } else {
          for (int64_t c = 0; c < x->ch; c++) acc[c] += px[c];
        }
      }
    int64_t cells = (h1 > h0 ? h1 - h0 : 0) * (w1 > w0 ? w1 - w0 : 0);
    /* a window made only of padding (impossible with TF's padding rules) gives 0 */
    if (cells == 0) {
      for (int64_t c = 0; c < x->ch; c++) acc[c] = 0.0f;
    } else if (!x->is_max) {
      float inv = 1.0f / (float)cells;
      for (int64_t c = 0; c < x->ch; c++) acc[c] *= inv;
    }
  }
}

static void pool(const slimrt_call *c, int is_max) {
  const slimrt_shape *s = &c->in_shape[0], *so = c->out_shape;
  pool_ctx x = {.in = c->in[0], .o = c->out, .h = s->dims[1], .w = s->dims[2], .ch = s->dims[3],
                .oh = so->dims[1], .ow = so->dims[2], .at = c->attr, .is_max = is_max};
  slimrt_parallel_for(c->pool, so->dims[0] * x.oh, pool_row, &x);
}

void slimrt_k_MAX_POOL(const slimrt_call *c) { pool(c, 1); }
void slimrt_k_AVG_POOL(const slimrt_call *c) { pool(c, 0); }
