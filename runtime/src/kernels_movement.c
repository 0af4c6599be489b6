/* Data movement: TRANSPOSE, CONCAT, PAD, SLICE, TILE, ONE_HOT. All but ONE_HOT
 * move raw elements, so they work for every dtype; each walks its output in
 * order with an odometer over the outer dimensions and an innermost row loop. */
#include <string.h>
#include "kernels_common.h"

static int esize(const slimrt_shape *s) { return slimrt_dtype_size((int)s->dtype); }

/* Copies N elements of size ES from SRC (element stride SST) to contiguous DST;
   constant-size memcpy compiles to a plain load and store. */
static void copy_strided(char *dst, const char *src, int64_t sst, int64_t n, int es) {
  if (sst == 1) {
    memcpy(dst, src, (size_t)(n * es));
    return;
  }
  switch (es) {
  case 1: for (int64_t i = 0; i < n; i++) dst[i] = src[i * sst]; break;
  case 2: for (int64_t i = 0; i < n; i++) memcpy(dst + i * 2, src + i * sst * 2, 2); break;
  case 4: for (int64_t i = 0; i < n; i++) memcpy(dst + i * 4, src + i * sst * 4, 4); break;
  case 8: for (int64_t i = 0; i < n; i++) memcpy(dst + i * 8, src + i * sst * 8, 8); break;
  default: for (int64_t i = 0; i < n; i++) memcpy(dst + i * es, src + i * sst * es, (size_t)es);
  }
}

/* out dim d is input dim perm[d]. */
void slimrt_k_TRANSPOSE(const slimrt_call *c) {
  const slimrt_attr_transpose *at = c->attr;
  const slimrt_shape *s = &c->in_shape[0], *so = c->out_shape;
  int es = esize(s);
  int64_t rank = so->rank, n = k_count(so), ist[SLIMRT_MAX_RANK], sst[SLIMRT_MAX_RANK];
  if (n == 0) return;
  if (rank == 0) {
    memcpy(c->out, c->in[0], (size_t)es);
    return;
  }
  k_strides(s, ist);
  for (int64_t d = 0; d < rank; d++) sst[d] = ist[at->perm[d]];
  const char *in = c->in[0];
  char *out = c->out;
  int64_t inner = so->dims[rank - 1], idx[SLIMRT_MAX_RANK] = {0}, off = 0;
  for (int64_t r = 0; r < n / inner; r++) {
    copy_strided(out + r * inner * es, in + off * es, sst[rank - 1], inner, es);
    for (int64_t d = rank - 2; d >= 0; d--) {
      off += sst[d];
      if (++idx[d] < so->dims[d]) break;
      off -= sst[d] * so->dims[d];
      idx[d] = 0;
    }
  }
}

void slimrt_k_CONCAT(const slimrt_call *c) {
  const slimrt_attr_concat *at = c->attr;
  const slimrt_shape *so = c->out_shape;
  int es = esize(so);
  int64_t axis = k_axis(at->axis, so->rank);
  int64_t outer = k_span(so, 0, axis), inner = k_span(so, axis + 1, so->rank);
  char *out = c->out;
  for (int64_t o = 0; o < outer; o++)
    for (int64_t k = 0; k < c->nin; k++) {
      size_t len = (size_t)(c->in_shape[k].dims[axis] * inner * es);
      memcpy(out, (const char *)c->in[k] + o * len, len);
      out += len;
    }
}

/* The pad value in the output's dtype, as raw bytes in BUF (8 bytes). */
static void pad_value(int dtype, double v, unsigned char *buf) {
  memset(buf, 0, 8);
  slimrt_kx_store_f(dtype, buf, 0, v);
}

/* Fills the output with the value, then copies each input row into place. */
void slimrt_k_PAD(const slimrt_call *c) {
  const slimrt_attr_pad *at = c->attr;
  const slimrt_shape *s = &c->in_shape[0], *so = c->out_shape;
  int es = esize(so);
  int64_t rank = s->rank, on = k_count(so), n = k_count(s), ost[SLIMRT_MAX_RANK];
  unsigned char v[8];
  pad_value((int)so->dtype, at->value, v);
  char *out = c->out;
  const char *in = c->in[0];
  int zero = 1;
  for (int i = 0; i < es; i++) zero &= v[i] == 0;
  if (zero) memset(out, 0, (size_t)(on * es));
  else for (int64_t i = 0; i < on; i++) memcpy(out + i * es, v, (size_t)es);
  if (n == 0) return;
  if (rank == 0) {
    memcpy(out, in, (size_t)es);
    return;
  }
  k_strides(so, ost);
  int64_t inner = s->dims[rank - 1], idx[SLIMRT_MAX_RANK] = {0}, off = 0;
  for (int64_t d = 0; d < rank; d++) off += at->before[d] * ost[d];
  for (int64_t r = 0; r < n / inner; r++) {
    memcpy(out + off * es, in + r * inner * es, (size_t)(inner * es));
    for (int64_t d = rank - 2; d >= 0; d--) {
      off += ost[d];
      if (++idx[d] < s->dims[d]) break;
      off -= ost[d] * s->dims[d];
      idx[d] = 0;
    }
  }
}

/* out[i...] = in[begin[d] + i_d*stride[d] ...] over the input's rank; strides may
   be negative. Shrunk dimensions have count 1 and vanish only from the shape. */
void slimrt_k_SLICE(const slimrt_call *c) {
  const slimrt_attr_slice *at = c->attr;
  const slimrt_shape *s = &c->in_shape[0];
  int es = esize(s);
  int64_t rank = s->rank, ist[SLIMRT_MAX_RANK], sst[SLIMRT_MAX_RANK], n = 1, off = 0;
  const char *in = c->in[0];
  char *out = c->out;
  if (rank == 0) {
    memcpy(out, in, (size_t)es);
    return;
  }
  k_strides(s, ist);
  for (int64_t d = 0; d < rank; d++) {
    n *= at->count[d];
    /* a dimension taken once never steps: its stride may be any int64 */
    sst[d] = at->count[d] > 1 ? at->stride[d] * ist[d] : 0;
    off += at->begin[d] * ist[d];
  }
  int64_t inner = at->count[rank - 1], idx[SLIMRT_MAX_RANK] = {0};
  if (n == 0) return;
  for (int64_t r = 0; r < n / inner; r++) {
    copy_strided(out + r * inner * es, in + off * es, sst[rank - 1], inner, es);
    for (int64_t d = rank - 2; d >= 0; d--) {
      off += sst[d];
      if (++idx[d] < at->count[d]) break;
      off -= sst[d] * at->count[d];
      idx[d] = 0;
    }
  }
}

/* out dims = in dims * multiples; out[i...] = in[i_d mod in_dim_d ...]. */
void slimrt_k_TILE(const slimrt_call *c) {
  const slimrt_shape *s = &c->in_shape[0], *so = c->out_shape;
  int es = esize(s);
  int64_t rank = s->rank, n = k_count(so), ist[SLIMRT_MAX_RANK];
  const char *in = c->in[0];
  char *out = c->out;
  if (n == 0) return;
  if (rank == 0) {
    memcpy(out, in, (size_t)es);
    return;
  }
  k_strides(s, ist);
  int64_t inner = s->dims[rank - 1], reps = so->dims[rank - 1] / inner, idx[SLIMRT_MAX_RANK] = {0};
  size_t row = (size_t)(inner * es);
  for (int64_t r = 0; r < n / so->dims[rank - 1]; r++) {
    int64_t off = 0;
    for (int64_t d = 0; d < rank - 1; d++) off += (idx[d] % s->dims[d]) * ist[d];
    for (int64_t k = 0; k < reps; k++, out += row) memcpy(out, in + off * es, row);
    for (int64_t d = rank - 2; d >= 0; d--) {
      if (++idx[d] < so->dims[d]) break;
      idx[d] = 0;
    }
  }
}

/* ONE_HOT: indices (any integer dtype) [outer..., inner...] -> [outer..., depth, inner...]
   with the depth axis at attr.axis (-1: last). Indices outside [0, depth) give a
   row of off_value, as TF does. */
void slimrt_k_ONE_HOT(const slimrt_call *c) {
  const slimrt_attr_onehot *at = c->attr;
  const slimrt_shape *s = &c->in_shape[0], *so = c->out_shape;
  int64_t axis = at->axis < 0 ? s->rank : at->axis, depth = at->depth;
  int64_t outer = k_span(s, 0, axis), inner = k_span(s, axis, s->rank);
  int es = esize(so);
  unsigned char on[8], off[8];
  pad_value((int)so->dtype, at->on_value, on);
  pad_value((int)so->dtype, at->off_value, off);
  char *out = c->out;
  for (int64_t o = 0; o < outer; o++)
    for (int64_t j = 0; j < depth; j++)
      for (int64_t i = 0; i < inner; i++) {
        int64_t k = o * inner + i;
        int64_t v = slimrt_kx_load_i((int)s->dtype, c->in[0], k);
        memcpy(out + ((o * depth + j) * inner + i) * es, v == j ? on : off, (size_t)es);
      }
}
