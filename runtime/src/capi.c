/* The C API of `slimc -c` beyond new/run/free (CLI.md): options, runs with
 * every tensor's dtype and shape checked before anything is touched, and the
 * inputs' and outputs' descriptions. The generated PREFIX_* functions are thin
 * wrappers over these. No global state: separate models run concurrently. */
#include <stdlib.h>
#include <string.h>
#include "rtio.h"

enum { MAX_THREADS = 4096 }; /* as the executable's --threads */

void slimrt_options_init(slimrt_options *o) {
  if (o) memset(o, 0, sizeof *o);
}

slimrt_model *slimrt_model_new_ex(const slimrt_model_desc *d, const slimrt_options *o, char *err, size_t errlen) {
  static const slimrt_options defaults = {0};
  if (!o) o = &defaults;
  const char *mn = d && d->name ? d->name : "?";
  if (o->threads < 0 || o->threads > MAX_THREADS) {
    slimrt_errorf(err, errlen, "model %s: options.threads is %d: give 0 (one per core) or 1 to %d", mn, o->threads,
                  MAX_THREADS);
    return NULL;
  }
  if (o->random_init && o->seed > (uint64_t)INT64_MAX) {
    slimrt_errorf(err, errlen, "model %s: options.seed is %llu: the seed must be below 2^63", mn,
                  (unsigned long long)o->seed);
    return NULL;
  }
  if (d && d->weights_embedded && d->nvars > 0 && (o->checkpoint || o->random_init)) {
    slimrt_errorf(err, errlen, "model %s: it was compiled with embedded weights; it takes no %s", mn,
                  o->checkpoint ? "options.checkpoint" : "options.random_init");
    return NULL;
  }
  if (d && !d->weights_embedded && !o->checkpoint && !o->random_init) {
    slimrt_errorf(err, errlen, "model %s: no weights: it was compiled without embedded weights; set "
                  "options.checkpoint, or options.random_init (and options.seed)", mn);
    return NULL;
  }
  return slimrt_model_new(d, o->checkpoint, o->random_init ? (int64_t)o->seed : -1, o->threads, err, errlen);
}

/* " [2,28,28]", or nothing for dims that cannot be shown. */
static void given_shape(char *buf, size_t n, const slimrt_tensor *t) {
  buf[0] = 0;
  if (t->rank >= 0 && t->rank <= SLIMRT_MAX_RANK && (t->rank == 0 || t->dims)) {
    buf[0] = ' ';
    slimrt_io_format_shape(buf + 1, n - 1, t->rank, t->dims);
  }
}

typedef struct batch_seen {
  int64_t n;               /* 0: no batched tensor yet */
  const char *kind, *name; /* the first batched tensor */
} batch_seen;

/* Checks T against IO; the batch of a '?' dimension 0 must agree with B's. */
static int check_tensor(const char *mn, const char *kind, const slimrt_io_desc *io, const slimrt_tensor *t,
                        batch_seen *b, char *err, size_t errlen) {
  const slimrt_shape *s = &io->shape;
  char want[160], have[160];
  slimrt_io_format_shape(want, sizeof want, (int)s->rank, s->dims);
  if (!t->data) {
    slimrt_errorf(err, errlen, "model %s: %s '%s': data is NULL", mn, kind, io->name);
    return SLIMRT_API_ERR_ARGUMENT;
  }
  if (t->dtype != s->dtype) {
    const char *dn = slimrt_dtype_name(t->dtype);
    if (dn) slimrt_errorf(err, errlen, "model %s: %s '%s' expects %s %s, found %s", mn, kind, io->name,
                          slimrt_io_dtype_name((int)s->dtype), want, dn);
    else slimrt_errorf(err, errlen, "model %s: %s '%s' expects %s %s, found an unknown dtype %d", mn, kind, io->name,
                       slimrt_io_dtype_name((int)s->dtype), want, (int)t->dtype);
    return SLIMRT_API_ERR_DTYPE;
  }
  given_shape(have, sizeof have, t);
  if (t->rank != s->rank) {
    slimrt_errorf(err, errlen, "model %s: %s '%s' expects rank %d %s, found rank %d%s", mn, kind, io->name,
                  (int)s->rank, want, (int)t->rank, have);
    return SLIMRT_API_ERR_DIMS;
  }
  if (t->rank > 0 && !t->dims) {
    slimrt_errorf(err, errlen, "model %s: %s '%s': dims is NULL (rank %d)", mn, kind, io->name, (int)t->rank);
    return SLIMRT_API_ERR_ARGUMENT;
  }
  for (int i = 0; i < t->rank; i++) {
    if (i == 0 && s->dims[0] == -1) { /* a '?' batch */
      if (t->dims[0] < 1) {
        slimrt_errorf(err, errlen, "model %s: %s '%s' has a batch of %lld: the batch must be at least 1", mn, kind,
                      io->name, (long long)t->dims[0]);
        return SLIMRT_API_ERR_BATCH;
      }
      if (b->n && b->n != t->dims[0]) {
        slimrt_errorf(err, errlen, "model %s: %s '%s' has a batch of %lld but %s '%s' has %lld", mn, kind, io->name,
                      (long long)t->dims[0], b->kind, b->name, (long long)b->n);
        return SLIMRT_API_ERR_BATCH;
      }
      if (!b->n) *b = (batch_seen){t->dims[0], kind, io->name};
    } else if (t->dims[i] != s->dims[i]) {
      slimrt_errorf(err, errlen, "model %s: %s '%s' expects %s %s, found%s (dimension %d)", mn, kind, io->name,
                    slimrt_io_dtype_name((int)s->dtype), want, have, i);
      return SLIMRT_API_ERR_DIMS;
    }
  }
  return SLIMRT_API_OK;
}

int slimrt_model_run_tensors(slimrt_model *m, const slimrt_tensor *inputs, int64_t ninputs,
                             const slimrt_tensor *outputs, int64_t noutputs, char *err, size_t errlen) {
  const slimrt_model_desc *d = slimrt_model_descriptor(m);
  if (!d) {
    slimrt_errorf(err, errlen, "no model (NULL)");
    return SLIMRT_API_ERR_ARGUMENT;
  }
  const char *mn = d->name ? d->name : "?";
  const slimrt_entry_desc *e = slimrt_model_entry(d, "run"); /* found when the model was made */
  for (int out = 0; out < 2; out++) {
    int64_t want = out ? e->noutputs : e->ninputs, have = out ? noutputs : ninputs;
    const char *kind = out ? "output" : "input";
    if (have != want) {
      slimrt_errorf(err, errlen, "model %s has %lld %s%s, found %lld", mn, (long long)want, kind, want == 1 ? "" : "s",
                    (long long)have);
      return SLIMRT_API_ERR_COUNT;
    }
    if (want && !(out ? outputs : inputs)) {
      slimrt_errorf(err, errlen, "model %s: the %ss array is NULL", mn, kind);
      return SLIMRT_API_ERR_ARGUMENT;
    }
  }
  batch_seen b = {0, NULL, NULL};
  for (int64_t i = 0; i < e->ninputs + e->noutputs; i++) {
    int is_in = i < e->ninputs;
    int rc = is_in ? check_tensor(mn, "input", &e->inputs[i], &inputs[i], &b, err, errlen)
                   : check_tensor(mn, "output", &e->outputs[i - e->ninputs], &outputs[i - e->ninputs], &b, err, errlen);
    if (rc != SLIMRT_API_OK) return rc;
  }
  size_t nio = (size_t)(e->ninputs + e->noutputs);
  void **ptrs = malloc((nio ? nio : 1) * sizeof *ptrs);
  if (!ptrs) {
    slimrt_errorf(err, errlen, "model %s: out of memory", mn);
    return SLIMRT_API_ERR_ARGUMENT;
  }
  for (int64_t i = 0; i < e->ninputs; i++) ptrs[i] = inputs[i].data;
  for (int64_t i = 0; i < e->noutputs; i++) ptrs[e->ninputs + i] = outputs[i].data;
  int rc;
  if (b.n) { /* a '?' batch: the only failure left is the 16 GiB limit */
    rc = slimrt_model_run_batch(m, b.n, (const void *const *)ptrs, ptrs + e->ninputs, err, errlen)
             ? SLIMRT_API_ERR_BATCH : SLIMRT_API_OK;
  } else {
    rc = slimrt_model_run(m, (const void *const *)ptrs, ptrs + e->ninputs) ? SLIMRT_API_ERR_ARGUMENT : SLIMRT_API_OK;
    if (rc) slimrt_errorf(err, errlen, "model %s: the run failed", mn);
  }
  free(ptrs);
  return rc;
}

int slimrt_model_io_info(const slimrt_model_desc *d, int output, int i, slimrt_io_info *info) {
  const slimrt_entry_desc *e = d ? slimrt_model_entry(d, "run") : NULL;
  if (!e || !info || i < 0 || i >= (output ? e->noutputs : e->ninputs)) return -1;
  const slimrt_io_desc *io = output ? &e->outputs[i] : &e->inputs[i];
  info->name = io->name;
  info->dtype = (int32_t)io->shape.dtype;
  info->rank = (int32_t)io->shape.rank;
  info->shape = io->shape.dims;
  info->dtype_name = slimrt_io_dtype_name((int)io->shape.dtype);
  return 0;
}
