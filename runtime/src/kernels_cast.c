/* CAST between every numeric dtype and bool. Values travel through double (float
 * sources) or int64/uint64 (integer sources) so no precision is lost on the way;
 * float -> integer truncates toward zero as TF does. */
#include <math.h>
#include <string.h>
#include "halfconv.h"
#include "kernels_common.h"

int slimrt_kx_is_float(int dt) {
  return dt == SLIMRT_F32 || dt == SLIMRT_F64 || dt == SLIMRT_F16 || dt == SLIMRT_BF16;
}

static double load_f(int dt, const void *p, int64_t i) {
  switch (dt) {
  case SLIMRT_F32: return ((const float *)p)[i];
  case SLIMRT_F64: return ((const double *)p)[i];
  case SLIMRT_F16: return slimrt_f16_to_f32(((const uint16_t *)p)[i]);
  case SLIMRT_BF16: return slimrt_bf16_to_f32(((const uint16_t *)p)[i]);
  }
  return 0;
}

static int64_t load_i(int dt, const void *p, int64_t i) {
  switch (dt) {
  case SLIMRT_I8: return ((const int8_t *)p)[i];
  case SLIMRT_U8: return ((const uint8_t *)p)[i];
  case SLIMRT_I16: return ((const int16_t *)p)[i];
  case SLIMRT_U16: return ((const uint16_t *)p)[i];
  case SLIMRT_I32: return ((const int32_t *)p)[i];
  case SLIMRT_U32: return ((const uint32_t *)p)[i];
  case SLIMRT_I64: return ((const int64_t *)p)[i];
  case SLIMRT_U64: return (int64_t)((const uint64_t *)p)[i];
  case SLIMRT_BOOL: return ((const uint8_t *)p)[i] != 0;
  }
  return 0;
}

static void store_f(int dt, void *p, int64_t i, double v) {
  switch (dt) {
  case SLIMRT_F32: ((float *)p)[i] = (float)v; break;
  case SLIMRT_F64: ((double *)p)[i] = v; break;
  case SLIMRT_F16: ((uint16_t *)p)[i] = slimrt_f32_to_f16((float)v); break;
  case SLIMRT_BF16: ((uint16_t *)p)[i] = slimrt_f32_to_bf16((float)v); break;
  }
}

/* Integers wrap modulo the destination width, as a C conversion through uint64. */
static void store_i(int dt, void *p, int64_t i, int64_t v) {
  uint64_t u = (uint64_t)v;
  switch (dt) {
  case SLIMRT_I8: ((int8_t *)p)[i] = (int8_t)(uint8_t)u; break;
  case SLIMRT_U8: ((uint8_t *)p)[i] = (uint8_t)u; break;
  case SLIMRT_I16: ((int16_t *)p)[i] = (int16_t)(uint16_t)u; break;
  case SLIMRT_U16: ((uint16_t *)p)[i] = (uint16_t)u; break;
  case SLIMRT_I32: ((int32_t *)p)[i] = (int32_t)(uint32_t)u; break;
  case SLIMRT_U32: ((uint32_t *)p)[i] = (uint32_t)u; break;
  case SLIMRT_I64: ((int64_t *)p)[i] = v; break;
  case SLIMRT_U64: ((uint64_t *)p)[i] = u; break;
  case SLIMRT_BOOL: ((uint8_t *)p)[i] = v != 0; break;
  }
}

/* Truncation toward zero; NaN gives 0 and out-of-range values saturate at the
   int64 range (C leaves the conversion undefined there). */
static int64_t trunc_i64(double d) {
  if (isnan(d)) return 0;
  if (d >= 9223372036854775807.0) return INT64_MAX;
  if (d <= -9223372036854775808.0) return INT64_MIN;
  return (int64_t)d;
}

void slimrt_k_CAST(const slimrt_call *c) {
  int src = (int)c->in_shape[0].dtype, dst = (int)c->out_shape->dtype;
  int64_t n = k_count(&c->in_shape[0]);
  const void *in = c->in[0];
  void *out = c->out;
  /* the conversions models actually use, without the per-element dispatch */
  if (src == SLIMRT_U8 && dst == SLIMRT_F32) {
    for (int64_t i = 0; i < n; i++) ((float *)out)[i] = ((const uint8_t *)in)[i];
    return;
  }
  if (src == SLIMRT_I32 && dst == SLIMRT_F32) {
    for (int64_t i = 0; i < n; i++) ((float *)out)[i] = (float)((const int32_t *)in)[i];
    return;
  }
  if (src == dst) {
    memmove(out, in, (size_t)n * (size_t)slimrt_dtype_size(src));
    return;
  }
  for (int64_t i = 0; i < n; i++) {
    if (slimrt_kx_is_float(src)) {
      double d = load_f(src, in, i);
      if (slimrt_kx_is_float(dst)) store_f(dst, out, i, d);
      else if (dst == SLIMRT_BOOL) ((uint8_t *)out)[i] = d != 0;
      else if (dst == SLIMRT_U64 && d >= 9223372036854775808.0)
        ((uint64_t *)out)[i] = d >= 18446744073709551616.0 ? UINT64_MAX : (uint64_t)d;
      else store_i(dst, out, i, trunc_i64(d));
    } else {
      int64_t v = load_i(src, in, i);
      if (slimrt_kx_is_float(dst))
        store_f(dst, out, i, src == SLIMRT_U64 ? (double)(uint64_t)v : (double)v);
      else store_i(dst, out, i, v);
    }
  }
}

/* ---- element access by dtype, for the kernels' generic (non-f32) paths ---- */

double slimrt_kx_load_f(int dt, const void *p, int64_t i) {
  if (slimrt_kx_is_float(dt)) return load_f(dt, p, i);
  if (dt == SLIMRT_U64) return (double)((const uint64_t *)p)[i];
  return (double)load_i(dt, p, i);
}

int64_t slimrt_kx_load_i(int dt, const void *p, int64_t i) {
  return slimrt_kx_is_float(dt) ? trunc_i64(load_f(dt, p, i)) : load_i(dt, p, i);
}

void slimrt_kx_store_f(int dt, void *p, int64_t i, double v) {
  if (slimrt_kx_is_float(dt)) store_f(dt, p, i, v);
  else if (dt == SLIMRT_BOOL) ((uint8_t *)p)[i] = v != 0;
  else store_i(dt, p, i, trunc_i64(v));
}

void slimrt_kx_store_i(int dt, void *p, int64_t i, int64_t v) {
  if (slimrt_kx_is_float(dt)) store_f(dt, p, i, (double)v);
  else store_i(dt, p, i, v);
}
