/* Element-wise unary and binary kernels, and BIAS_ADD.
 * Binary ops broadcast numpy-style: shapes are right-aligned and a dimension of
 * size 1 stretches. The walk goes over the output in order, one innermost row at
 * a time, with a per-operand stride of 0 along stretched dimensions. */
#include <math.h>
#include "kernels_common.h"

/* ---- unary (f32) ---- */
#define UNARY(ID, EXPR)                                            \
  void slimrt_k_##ID(const slimrt_call *c) {                      \
    const float *in = c->in[0];                                   \
    float *out = c->out;                                          \
    int64_t n = k_count(&c->in_shape[0]);                         \
    for (int64_t i = 0; i < n; i++) {                             \
      float x = in[i];                                            \
      out[i] = (EXPR);                                            \
    }                                                             \
  }

UNARY(RELU, x > 0.0f ? x : 0.0f)
UNARY(RELU6, x > 0.0f ? (x < 6.0f ? x : 6.0f) : 0.0f)
UNARY(ELU, x > 0.0f ? x : expm1f(x))
UNARY(SIGMOID, 1.0f / (1.0f + expf(-x)))
UNARY(TANH, tanhf(x))
UNARY(NEG, -x)
UNARY(ABS, fabsf(x))
UNARY(SQRT, sqrtf(x))
UNARY(RSQRT, 1.0f / sqrtf(x))
UNARY(SQUARE, x * x)
UNARY(EXP, expf(x))
UNARY(LOG, logf(x))

/* ---- binary ---- */
typedef void (*row_fn)(const void *a, int64_t sa, const void *b, int64_t sb, void *o, int64_t n);

#define ROW(NAME, T, EXPR)                                                                   \
  static void NAME(const void *pa, int64_t sa, const void *pb, int64_t sb, void *po, int64_t n) { \
    const T *a = pa, *b = pb;                                                                \
    T *o = po;                                                                               \
    for (int64_t i = 0; i < n; i++) {                                                        \
      T x = a[i * sa], y = b[i * sb];                                                        \
      o[i] = (EXPR);                                                                         \
    }                                                                                        \
  }

/* Integer add/sub/mul wrap around like TF's (two's complement) instead of being UB. */
#define INT_ROWS(OP, T, U)                                                                   \
  ROW(OP##_add_##T, T, (T)((U)x + (U)y))                                                     \
  ROW(OP##_sub_##T, T, (T)((U)x - (U)y))                                                     \
  ROW(OP##_mul_##T, T, (T)((U)x * (U)y))                                                     \
  ROW(OP##_max_##T, T, x > y ? x : y)                                                        \
  ROW(OP##_min_##T, T, x < y ? x : y)
INT_ROWS(r, int32_t, uint32_t)
INT_ROWS(r, int64_t, uint64_t)

#define FLOAT_ROWS(T, POW)                                                                   \
  ROW(r_add_##T, T, x + y)                                                                   \
  ROW(r_sub_##T, T, x - y)                                                                   \
  ROW(r_mul_##T, T, x * y)                                                                   \
  ROW(r_div_##T, T, x / y)                                                                   \
  ROW(r_max_##T, T, x > y || isnan(x) ? x : y)                                               \
  ROW(r_min_##T, T, x < y || isnan(x) ? x : y)                                               \
  ROW(r_pow_##T, T, POW(x, y))
FLOAT_ROWS(float, powf)
FLOAT_ROWS(double, pow)

/* Applies ROW over the broadcast of inputs 0 and 1 into the output. */
static void broadcast(const slimrt_call *c, row_fn row, int esize) {
  const slimrt_shape *os = c->out_shape;
  int64_t rank = os->rank;
  int64_t sa[SLIMRT_MAX_RANK] = {0}, sb[SLIMRT_MAX_RANK] = {0};
  for (int k = 0; k < 2; k++) {
    const slimrt_shape *s = &c->in_shape[k];
    int64_t *st = k ? sb : sa, acc = 1;
    for (int64_t d = s->rank - 1; d >= 0; d--) {
      int64_t od = d + rank - s->rank;
      st[od] = s->dims[d] == 1 ? 0 : acc;
      acc *= s->dims[d];
    }
  }
  const char *a = c->in[0], *b = c->in[1];
  char *o = c->out;
  if (rank == 0) {
    row(a, 0, b, 0, o, 1);
    return;
  }
  int64_t inner = os->dims[rank - 1], nrows = k_count(os) / (inner ? inner : 1);
  if (inner == 0) return;
  int64_t idx[SLIMRT_MAX_RANK] = {0}, offa = 0, offb = 0;
  for (int64_t r = 0; r < nrows; r++) {
    row(a + offa * esize, sa[rank - 1], b + offb * esize, sb[rank - 1], o + r * inner * esize, inner);
    /* odometer over the outer dimensions */
    for (int64_t d = rank - 2; d >= 0; d--) {
      offa += sa[d];
      offb += sb[d];
      if (++idx[d] < os->dims[d]) break;
      offa -= sa[d] * os->dims[d];
      offb -= sb[d] * os->dims[d];
      idx[d] = 0;
    }
  }
}

#define BINARY(ID, OP, INTS)                                                     \
  void slimrt_k_##ID(const slimrt_call *c) {                                    \
    switch (c->out_shape->dtype) {                                              \
    case SLIMRT_F32: broadcast(c, r_##OP##_float, 4); break;                    \
    case SLIMRT_F64: broadcast(c, r_##OP##_double, 8); break;                   \
    INTS(OP)                                                                    \
    default: break; /* rejected by the compiler's dtype check */                \
    }                                                                           \
  }
#define WITH_INTS(OP)                                                           \
  case SLIMRT_I32: broadcast(c, r_##OP##_int32_t, 4); break;                    \
  case SLIMRT_I64: broadcast(c, r_##OP##_int64_t, 8); break;
#define NO_INTS(OP)

BINARY(ADD, add, WITH_INTS)
BINARY(SUB, sub, WITH_INTS)
BINARY(MUL, mul, WITH_INTS)
BINARY(MAXIMUM, max, WITH_INTS)
BINARY(MINIMUM, min, WITH_INTS)
BINARY(DIV, div, NO_INTS)
BINARY(POW, pow, NO_INTS)

/* BIAS_ADD: bias [C] added along the last axis of x. */
void slimrt_k_BIAS_ADD(const slimrt_call *c) {
  const float *x = c->in[0], *bias = c->in[1];
  float *out = c->out;
  const slimrt_shape *s = &c->in_shape[0];
  int64_t ch = s->rank ? s->dims[s->rank - 1] : 1, n = k_count(s);
  if (ch == 0) return;
  for (int64_t r = 0; r < n / ch; r++)
    for (int64_t i = 0; i < ch; i++) out[r * ch + i] = x[r * ch + i] + bias[i];
}
