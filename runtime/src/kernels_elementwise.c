/* Element-wise unary and binary kernels, and BIAS_ADD.
 * Binary ops broadcast numpy-style: shapes are right-aligned and a dimension of
 * size 1 stretches. The walk goes over the output in order, one innermost row at
 * a time, with a per-operand stride of 0 along stretched dimensions.
 * f32 (and for binary ops f64, int32, int64) have dedicated loops; every other
 * dtype the compiler admits goes through a generic path that computes in double
 * (floats) or wrapping int64 (integers). */
#include <tgmath.h> /* one expression serves float and double */
#include <string.h>
#include "kernels_common.h"

/* ---- unary ---- */
static int64_t wrap_neg(int64_t v) { return (int64_t)(0 - (uint64_t)v); }

/* EXPR over x (float or double); IEXPR over int64 v for the ops TF also defines
   on integers (others compute through double). */
#define UNARY(ID, EXPR, IEXPR)                                                    \
  static double ID##_d(double x) { return (EXPR); }                              \
  static int64_t ID##_i(int64_t v) { return (IEXPR); }                           \
  void slimrt_k_##ID(const slimrt_call *c) {                                     \
    int dt = (int)c->in_shape[0].dtype;                                          \
    int64_t n = k_count(&c->in_shape[0]);                                        \
    if (dt == SLIMRT_F32) {                                                      \
      const float *in = c->in[0];                                                \
      float *out = c->out;                                                       \
      for (int64_t i = 0; i < n; i++) {                                          \
        float x = in[i];                                                         \
        out[i] = (EXPR);                                                         \
      }                                                                          \
    } else if (slimrt_kx_is_float(dt)) {                                         \
      for (int64_t i = 0; i < n; i++)                                            \
        slimrt_kx_store_f(dt, c->out, i, ID##_d(slimrt_kx_load_f(dt, c->in[0], i))); \
    } else {                                                                     \
      for (int64_t i = 0; i < n; i++)                                            \
        slimrt_kx_store_i(dt, c->out, i, ID##_i(slimrt_kx_load_i(dt, c->in[0], i))); \
    }                                                                            \
  }
/* through double, then truncated like CAST (NaN gives 0, no UB out of range) */
static int64_t d2i(double d) { return d != d ? 0 : d >= 9.2e18 ? INT64_MAX : d <= -9.2e18 ? INT64_MIN : (int64_t)d; }
#define VIA_DOUBLE(ID) d2i(ID##_d((double)v))

UNARY(RELU, x > 0 ? x : 0, v > 0 ? v : 0)
UNARY(RELU6, x > 0 ? (x < 6 ? x : 6) : 0, v > 0 ? (v < 6 ? v : 6) : 0)
UNARY(ELU, x > 0 ? x : expm1(x), VIA_DOUBLE(ELU))
UNARY(SIGMOID, 1 / (1 + exp(-x)), VIA_DOUBLE(SIGMOID))
UNARY(TANH, tanh(x), VIA_DOUBLE(TANH))
UNARY(NEG, -x, wrap_neg(v))
UNARY(ABS, fabs(x), v < 0 ? wrap_neg(v) : v)
UNARY(SQRT, sqrt(x), VIA_DOUBLE(SQRT))
UNARY(RSQRT, 1 / sqrt(x), VIA_DOUBLE(RSQRT))
UNARY(SQUARE, x * x, (int64_t)((uint64_t)v * (uint64_t)v))
UNARY(EXP, exp(x), VIA_DOUBLE(EXP))
UNARY(LOG, log(x), VIA_DOUBLE(LOG))

/* ---- binary ---- */
typedef void (*row_fn)(int dt, const void *a, int64_t sa, const void *b, int64_t sb, void *o, int64_t ooff,
                       int64_t n);

/* A row of N outputs starting at element OOFF of O. */
#define ROW(NAME, T, EXPR)                                                                       \
  static void NAME(int dt, const void *pa, int64_t sa, const void *pb, int64_t sb, void *po,     \
                   int64_t ooff, int64_t n) {                                                    \
    const T *a = pa, *b = pb;                                                                    \
    T *o = (T *)po + ooff;                                                                       \
    for (int64_t i = 0; i < n; i++) {                                                            \
      T x = a[i * sa], y = b[i * sb];                                                            \
      o[i] = (EXPR);                                                                             \
    }                                                                                            \
  }

/* Integer add/sub/mul wrap around like TF's (two's complement) instead of being UB. */
#define INT_ROWS(T, U)                                                                           \
  ROW(r_add_##T, T, (T)((U)x + (U)y))                                                            \
  ROW(r_sub_##T, T, (T)((U)x - (U)y))                                                            \
  ROW(r_mul_##T, T, (T)((U)x * (U)y))                                                            \
  ROW(r_max_##T, T, x > y ? x : y)                                                               \
  ROW(r_min_##T, T, x < y ? x : y)
INT_ROWS(int32_t, uint32_t)
INT_ROWS(int64_t, uint64_t)

/* NaN propagates through maximum/minimum, as in TF and numpy. */
#define FLOAT_ROWS(T)                                                                            \
  ROW(r_add_##T, T, x + y)                                                                       \
  ROW(r_sub_##T, T, x - y)                                                                       \
  ROW(r_mul_##T, T, x * y)                                                                       \
  ROW(r_div_##T, T, x / y)                                                                       \
  ROW(r_max_##T, T, x > y || isnan(x) ? x : y)                                                   \
  ROW(r_min_##T, T, x < y || isnan(x) ? x : y)                                                   \
  ROW(r_pow_##T, T, pow(x, y))
FLOAT_ROWS(float)
FLOAT_ROWS(double)

/* Generic rows: operands are element pointers of dtype DT. */
#define GEN_ROW(NAME, FEXPR, IEXPR)                                                              \
  static void NAME(int dt, const void *pa, int64_t sa, const void *pb, int64_t sb, void *po,     \
                   int64_t ooff, int64_t n) {                                                    \
    if (slimrt_kx_is_float(dt)) {                                                                \
      for (int64_t i = 0; i < n; i++) {                                                          \
        double x = slimrt_kx_load_f(dt, pa, i * sa), y = slimrt_kx_load_f(dt, pb, i * sb);       \
        slimrt_kx_store_f(dt, po, ooff + i, (FEXPR));                                            \
      }                                                                                          \
    } else {                                                                                     \
      for (int64_t i = 0; i < n; i++) {                                                          \
        int64_t x = slimrt_kx_load_i(dt, pa, i * sa), y = slimrt_kx_load_i(dt, pb, i * sb);      \
        slimrt_kx_store_i(dt, po, ooff + i, (IEXPR));                                            \
      }                                                                                          \
    }                                                                                            \
  }
/* Integer division truncates; x/0 gives 0 rather than trapping. */
static int64_t idiv(int64_t x, int64_t y) { return y == 0 ? 0 : (y == -1 ? wrap_neg(x) : x / y); }
GEN_ROW(r_add_gen, x + y, (int64_t)((uint64_t)x + (uint64_t)y))
GEN_ROW(r_sub_gen, x - y, (int64_t)((uint64_t)x - (uint64_t)y))
GEN_ROW(r_mul_gen, x * y, (int64_t)((uint64_t)x * (uint64_t)y))
GEN_ROW(r_div_gen, x / y, idiv(x, y))
GEN_ROW(r_max_gen, x > y || isnan(x) ? x : y, x > y ? x : y)
GEN_ROW(r_min_gen, x < y || isnan(x) ? x : y, x < y ? x : y)
GEN_ROW(r_pow_gen, pow(x, y), d2i(pow((double)x, (double)y)))

/* Applies ROW over the broadcast of inputs 0 and 1 (of dtype DT) into the output. */
static void broadcast_dt(const slimrt_call *c, row_fn row, int dt) {
  const slimrt_shape *os = c->out_shape;
  int es = slimrt_dtype_size(dt);
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
  if (rank == 0) {
    row(dt, a, 0, b, 0, c->out, 0, 1);
    return;
  }
  int64_t inner = os->dims[rank - 1];
  if (inner == 0) return;
  int64_t nrows = k_count(os) / inner, idx[SLIMRT_MAX_RANK] = {0}, offa = 0, offb = 0;
  for (int64_t r = 0; r < nrows; r++) {
    row(dt, a + offa * es, sa[rank - 1], b + offb * es, sb[rank - 1], c->out, r * inner, inner);
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

/* Inputs and output of one dtype. */
static void broadcast(const slimrt_call *c, row_fn row) { broadcast_dt(c, row, (int)c->out_shape->dtype); }

#define BINARY(ID, OP, INTS)                                                     \
  void slimrt_k_##ID(const slimrt_call *c) {                                    \
    switch (c->out_shape->dtype) {                                              \
    case SLIMRT_F32: broadcast(c, r_##OP##_float); break;                       \
    case SLIMRT_F64: broadcast(c, r_##OP##_double); break;                      \
    INTS(OP)                                                                    \
    default: broadcast(c, r_##OP##_gen); break;                                 \
    }                                                                           \
  }
#define WITH_INTS(OP)                                                           \
  case SLIMRT_I32: broadcast(c, r_##OP##_int32_t); break;                       \
  case SLIMRT_I64: broadcast(c, r_##OP##_int64_t); break;
#define NO_INTS(OP)

BINARY(ADD, add, WITH_INTS)
BINARY(SUB, sub, WITH_INTS)
BINARY(MUL, mul, WITH_INTS)
BINARY(MAXIMUM, max, WITH_INTS)
BINARY(MINIMUM, min, WITH_INTS)
BINARY(DIV, div, NO_INTS)
BINARY(POW, pow, NO_INTS)

/* BIAS_ADD: bias [C] along the last axis of x, which is exactly ADD's
   right-aligned broadcast. */
void slimrt_k_BIAS_ADD(const slimrt_call *c) { slimrt_k_ADD(c); }

/* ---- floor division ---- */
/* Python's // on integers: rounds toward -inf; x // 0 gives 0 (TF raises at run time). */
static int64_t ifloordiv(int64_t x, int64_t y) {
  if (y == 0) return 0;
  if (y == -1) return wrap_neg(x);
  int64_t q = x / y;
  return (x % y != 0 && ((x < 0) != (y < 0))) ? q - 1 : q;
}
ROW(r_floordiv_float, float, floorf(x / y))
ROW(r_floordiv_double, double, floor(x / y))
GEN_ROW(r_floordiv_gen, floor(x / y), ifloordiv(x, y))
BINARY(FLOOR_DIV, floordiv, NO_INTS)

/* ---- comparisons: inputs of any numeric dtype (or bool), bool output ---- */
#define CMP_ROW(NAME, CMP)                                                                       \
  static void NAME(int dt, const void *pa, int64_t sa, const void *pb, int64_t sb, void *po,     \
                   int64_t ooff, int64_t n) {                                                    \
    uint8_t *o = (uint8_t *)po + ooff;                                                           \
    if (dt == SLIMRT_F32) {                                                                      \
      const float *a = pa, *b = pb;                                                              \
      for (int64_t i = 0; i < n; i++) {                                                          \
        float x = a[i * sa], y = b[i * sb];                                                      \
        o[i] = (CMP);                                                                            \
      }                                                                                          \
    } else if (slimrt_kx_is_float(dt)) {                                                         \
      for (int64_t i = 0; i < n; i++) {                                                          \
        double x = slimrt_kx_load_f(dt, pa, i * sa), y = slimrt_kx_load_f(dt, pb, i * sb);       \
        o[i] = (CMP);                                                                            \
      }                                                                                          \
    } else if (dt == SLIMRT_U64) {                                                               \
      const uint64_t *a = pa, *b = pb;                                                           \
      for (int64_t i = 0; i < n; i++) {                                                          \
        uint64_t x = a[i * sa], y = b[i * sb];                                                   \
        o[i] = (CMP);                                                                            \
      }                                                                                          \
    } else {                                                                                     \
      for (int64_t i = 0; i < n; i++) {                                                          \
        int64_t x = slimrt_kx_load_i(dt, pa, i * sa), y = slimrt_kx_load_i(dt, pb, i * sb);      \
        o[i] = (CMP);                                                                            \
      }                                                                                          \
    }                                                                                            \
  }
#define COMPARE(ID, NAME, CMP)                                                   \
  CMP_ROW(r_##NAME, CMP)                                                         \
  void slimrt_k_##ID(const slimrt_call *c) { broadcast_dt(c, r_##NAME, (int)c->in_shape[0].dtype); }
COMPARE(LESS, less, x < y)
COMPARE(LESS_EQUAL, less_equal, x <= y)
COMPARE(GREATER, greater, x > y)
COMPARE(GREATER_EQUAL, greater_equal, x >= y)
COMPARE(EQUAL, equal, x == y)
COMPARE(NOT_EQUAL, not_equal, x != y)

/* ---- logic on bool (any non-zero byte is true) ---- */
ROW(r_and_bool, uint8_t, (uint8_t)(x != 0 && y != 0))
ROW(r_or_bool, uint8_t, (uint8_t)(x != 0 || y != 0))
void slimrt_k_LOGICAL_AND(const slimrt_call *c) { broadcast_dt(c, r_and_bool, SLIMRT_BOOL); }
void slimrt_k_LOGICAL_OR(const slimrt_call *c) { broadcast_dt(c, r_or_bool, SLIMRT_BOOL); }
void slimrt_k_LOGICAL_NOT(const slimrt_call *c) {
  const uint8_t *in = c->in[0];
  uint8_t *out = c->out;
  for (int64_t i = 0, n = k_count(&c->in_shape[0]); i < n; i++) out[i] = in[i] == 0;
}

/* ---- SELECT: the condition has the output's shape, is a scalar, or is a vector over
   its first dimension: one condition element picks a block of INNER elements ---- */
void slimrt_k_SELECT(const slimrt_call *c) {
  const uint8_t *cond = c->in[0];
  const char *t = c->in[1], *e = c->in[2];
  char *out = c->out;
  int64_t total = k_count(c->out_shape), blocks = k_count(&c->in_shape[0]);
  if (total == 0 || blocks == 0) return;
  size_t bytes = (size_t)(total / blocks) * (size_t)slimrt_dtype_size((int)c->out_shape->dtype);
  for (int64_t b = 0; b < blocks; b++) {
    const char *src = cond[b] ? t : e;
    memmove(out + (size_t)b * bytes, src + (size_t)b * bytes, bytes);
  }
}
