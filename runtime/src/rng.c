/* Deterministic random initialisation for --random-init.
 *
 * xoshiro256** (Blackman and Vigna), state filled by splitmix64 from a key that
 * mixes the user's seed with an FNV-1a hash of the variable's name: each
 * variable gets its own stream, so adding, removing or reordering variables
 * never changes another variable's values. Normals come from Box-Muller;
 * truncated normals redraw samples beyond two standard deviations, as TF's
 * truncated_normal_initializer does. The streams are NOT TensorFlow's (TF uses
 * Philox): the same seed gives different numbers than TF. */
#include <math.h>
#include <string.h>
#include "rtio.h"

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static uint64_t fnv1a(const char *s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (; s && *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
  return h;
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void slimrt_rng_seed(slimrt_rng *r, uint64_t seed, const char *name) {
  uint64_t x = seed;
  uint64_t key = splitmix64(&x) ^ fnv1a(name);
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&key);
  r->has_spare = 0;
  r->spare = 0;
}

uint64_t slimrt_rng_next(slimrt_rng *r) {
  uint64_t *s = r->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double slimrt_rng_uniform(slimrt_rng *r) { return (double)(slimrt_rng_next(r) >> 11) * 0x1.0p-53; }

double slimrt_rng_normal(slimrt_rng *r) {
  if (r->has_spare) {
    r->has_spare = 0;
    return r->spare;
  }
  double u1 = 1.0 - slimrt_rng_uniform(r); /* (0, 1]: log stays finite */
  double u2 = slimrt_rng_uniform(r);
  double rad = sqrt(-2.0 * log(u1)), th = 2.0 * M_PI * u2;
  r->spare = rad * sin(th);
  r->has_spare = 1;
  return rad * cos(th);
}

int slimrt_init_fill(const slimrt_var_desc *v, uint64_t seed, void *dst, char *err, size_t errlen) {
  const slimrt_shape *sh = &v->shape;
  int64_t n = slimrt_shape_count((int)sh->rank, sh->dims);
  if (n < 0) return slimrt_errorf(err, errlen, "variable '%s': bad shape", v->name);
  if (slimrt_dtype_size((int)sh->dtype) <= 0 || sh->dtype == SLIMRT_STRING)
    return slimrt_errorf(err, errlen, "variable '%s': dtype %s cannot be initialized", v->name,
                         slimrt_io_dtype_name((int)sh->dtype));
  int dt = (int)sh->dtype;
  double a = v->init_p[0], b = v->init_p[1];
  slimrt_rng r;
  slimrt_rng_seed(&r, seed, v->name);
  switch (v->init_kind) {
  case SLIMRT_INIT_ZEROS:
  case SLIMRT_INIT_ONES:
    for (int64_t i = 0; i < n; i++) slimrt_io_set(dt, dst, i, v->init_kind == SLIMRT_INIT_ONES);
    return 0;
  case SLIMRT_INIT_CONSTANT:
    if (v->init_values && v->init_nvalues > 0) {
      /* TF's constant_initializer pads a short list with its last value */
      if (v->init_nvalues > n)
        return slimrt_errorf(err, errlen, "variable '%s': constant initializer has %lld values for %lld elements",
                             v->name, (long long)v->init_nvalues, (long long)n);
      for (int64_t i = 0; i < n; i++)
        slimrt_io_set(dt, dst, i, v->init_values[i < v->init_nvalues ? i : v->init_nvalues - 1]);
    } else {
      for (int64_t i = 0; i < n; i++) slimrt_io_set(dt, dst, i, a);
    }
    return 0;
  case SLIMRT_INIT_UNIFORM:
    for (int64_t i = 0; i < n; i++) slimrt_io_set(dt, dst, i, a + (b - a) * slimrt_rng_uniform(&r));
    return 0;
  case SLIMRT_INIT_NORMAL:
    for (int64_t i = 0; i < n; i++) slimrt_io_set(dt, dst, i, a + b * slimrt_rng_normal(&r));
    return 0;
  case SLIMRT_INIT_TRUNCATED_NORMAL:
    for (int64_t i = 0; i < n; i++) {
      double z;
      do z = slimrt_rng_normal(&r);
      while (fabs(z) > 2.0);
      slimrt_io_set(dt, dst, i, a + b * z);
    }
    return 0;
  case SLIMRT_INIT_NONE:
    return slimrt_errorf(err, errlen, "variable '%s' has no initializer the runtime can run; it must come from a checkpoint",
                         v->name);
  default:
    return slimrt_errorf(err, errlen, "variable '%s': unknown initializer kind %lld", v->name,
                         (long long)v->init_kind);
  }
}
