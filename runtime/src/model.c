/* A loaded model: the generated code's descriptor plus the memory it runs in
 * (arena, weights, thread pool). Weights come from the binary itself, a
 * checkpoint, or the variables' initializers, all-or-nothing: either every
 * variable is filled or slimrt_model_new fails and frees everything.
 * No global state: any number of models, each used by one thread at a time. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "rtio.h"

struct slimrt_model {
  const slimrt_model_desc *d;
  const slimrt_entry_desc *run; /* d's entry point "run" */
  void *arena;         /* arena_size bytes, 64-byte aligned */
  void *weight_block;  /* every non-embedded variable, each 64-byte aligned */
  void **weights;      /* weights[i] for d->vars[i] */
  void **io;           /* inputs then outputs, filled by each run (room for every entry point's) */
  slimrt_pool *pool;   /* NULL: kernels run on the caller */
};

enum { BATCH_LIMIT_GIB = 16 };
#define BATCH_LIMIT ((int64_t)BATCH_LIMIT_GIB << 30) /* one batched input or output, as one tensor (E0904) */

static size_t round64(size_t n) { return (n + 63) & ~(size_t)63; }

/* Embedded weights that were copied out are not read again: their whole pages
   leave the resident set (they are file-backed, so this only drops clean pages),
   and peak memory stays one copy of the weights. */
static void drop_pages(const void *p, size_t n) {
  long page = sysconf(_SC_PAGESIZE);
  if (page <= 0) return;
  uintptr_t lo = ((uintptr_t)p + (uintptr_t)page - 1) & ~((uintptr_t)page - 1), hi = ((uintptr_t)p + n) & ~((uintptr_t)page - 1);
  if (hi > lo) madvise((void *)lo, hi - lo, MADV_DONTNEED);
}

/* N bytes, 64-byte aligned; blocks of 2 MiB and more are 2 MiB aligned and
   asked to be backed by huge pages, so that streaming a model's weights and
   activations does not miss the TLB every 4 KiB. */
static void *block_alloc(size_t n) {
  const size_t huge = (size_t)2 << 20;
  if (n < huge) return aligned_alloc(64, round64(n));
  size_t size = (n + huge - 1) & ~(huge - 1);
  void *p = aligned_alloc(huge, size);
#ifdef MADV_HUGEPAGE
  if (p) madvise(p, size, MADV_HUGEPAGE);
#endif
  return p;
}

/* Bytes of variable V, or -1 for a malformed descriptor. */
static int64_t var_bytes(const slimrt_var_desc *v) {
  int64_t n = slimrt_shape_count((int)v->shape.rank, v->shape.dims);
  int64_t es = slimrt_dtype_size((int)v->shape.dtype);
  if (n < 0 || es <= 0 || n > INT64_MAX / 64 / es) return -1;
  return n * es;
}

const slimrt_entry_desc *slimrt_model_entry(const slimrt_model_desc *d, const char *name) {
  for (int64_t i = 0; d && d->entries && name && i < d->nentries; i++)
    if (d->entries[i].name && !strcmp(d->entries[i].name, name)) return &d->entries[i];
  return NULL;
}

static int check_desc(const slimrt_model_desc *d, char *err, size_t errlen) {
  if (!d) return slimrt_errorf(err, errlen, "no model descriptor");
  const char *mn = d->name ? d->name : "?";
  if (d->nentries < 1 || !d->entries || !slimrt_model_entry(d, "run") || d->nvars < 0 || d->arena_size < 0 ||
      (d->nvars && !d->vars))
    return slimrt_errorf(err, errlen, "model %s: malformed descriptor", mn);
  for (int64_t i = 0; i < d->nentries; i++) {
    const slimrt_entry_desc *e = &d->entries[i];
    if (!e->name || !e->fn || e->ninputs < 0 || e->noutputs < 0 || (e->ninputs && !e->inputs) ||
        (e->noutputs && !e->outputs))
      return slimrt_errorf(err, errlen, "model %s: malformed descriptor for entry point %lld", mn, (long long)i);
  }
  for (int64_t i = 0; i < d->nvars; i++)
    if (!d->vars[i].name || var_bytes(&d->vars[i]) < 0)
      return slimrt_errorf(err, errlen, "model %s: malformed descriptor for variable %lld", mn, (long long)i);
  return 0;
}

static int shapes_equal(const slimrt_ckpt_entry *e, const slimrt_shape *s) {
  if (e->rank != s->rank) return 0;
  for (int i = 0; i < e->rank; i++)
    if (e->dims[i] != s->dims[i]) return 0;
  return 1;
}

/* Fills every variable from CK (restored ones) or its initializer (the rest). */
static int load_checkpoint(slimrt_model *m, const char *checkpoint, uint64_t seed, char *err, size_t errlen) {
  const slimrt_model_desc *d = m->d;
  char msg[512];
  slimrt_ckpt *ck = slimrt_ckpt_open(checkpoint, msg, sizeof msg);
  if (!ck) return slimrt_errorf(err, errlen, "%s", msg);
  int rc = 0;
  for (int64_t i = 0; i < d->nvars && !rc; i++) {
    const slimrt_var_desc *v = &d->vars[i];
    if (!v->ckpt_key) {  /* not restored (e.g. a local variable): its initializer runs, as in TF */
      if (slimrt_init_fill(v, seed, m->weights[i], msg, sizeof msg)) rc = slimrt_errorf(err, errlen, "%s", msg);
      continue;
    }
    const slimrt_ckpt_entry *e = slimrt_ckpt_find(ck, v->ckpt_key);
    char want[128], have[128];
    if (!e) {
      rc = slimrt_errorf(err, errlen, "checkpoint %s: key '%s' not found (needed for variable '%s')", checkpoint,
                         v->ckpt_key, v->name);
    } else if (e->dtype != v->shape.dtype) {
      rc = slimrt_errorf(err, errlen, "checkpoint %s: key '%s' has dtype %s but the model expects %s", checkpoint,
                         v->ckpt_key, slimrt_io_dtype_name(e->dtype), slimrt_io_dtype_name((int)v->shape.dtype));
    } else if (!shapes_equal(e, &v->shape)) {
      slimrt_io_format_shape(have, sizeof have, e->rank, e->dims);
      slimrt_io_format_shape(want, sizeof want, (int)v->shape.rank, v->shape.dims);
      rc = slimrt_errorf(err, errlen, "checkpoint %s: key '%s' has shape %s but the model expects %s", checkpoint,
                         v->ckpt_key, have, want);
    } else if (slimrt_ckpt_read(ck, e, m->weights[i], (size_t)var_bytes(v), msg, sizeof msg)) {
      rc = slimrt_errorf(err, errlen, "%s", msg);
    }
  }
  slimrt_ckpt_close(ck);
  return rc;
}

slimrt_model *slimrt_model_new(const slimrt_model_desc *d, const char *checkpoint, int64_t random_seed, int nthreads,
                               char *err, size_t errlen) {
  if (check_desc(d, err, errlen)) return NULL;
  const char *mn = d->name ? d->name : "?";
  if (!d->weights_embedded && !checkpoint && random_seed < 0) {
    slimrt_errorf(err, errlen, "model %s: no weights: it was compiled without embedded weights, and neither a "
                  "checkpoint nor a random seed was given", mn);
    return NULL;
  }
  slimrt_model *m = calloc(1, sizeof *m);
  if (!m) {
    slimrt_errorf(err, errlen, "model %s: out of memory", mn);
    return NULL;
  }
  m->d = d;
  m->run = slimrt_model_entry(d, "run");
  int64_t nio = 0;
  for (int64_t i = 0; i < d->nentries; i++)
    if (d->entries[i].ninputs + d->entries[i].noutputs > nio) nio = d->entries[i].ninputs + d->entries[i].noutputs;
  m->weights = calloc((size_t)d->nvars + 1, sizeof *m->weights);
  m->io = calloc((size_t)nio + 1, sizeof *m->io);
  /* the generated code may index the arena even when its plan is empty */
  m->arena = block_alloc(d->arena_size > 0 ? (size_t)d->arena_size : 64);
  if (!m->weights || !m->io || !m->arena) goto oom;

  for (int64_t i = 0; d->weights_embedded && i < d->nvars; i++)
    if (!d->vars[i].embedded) {
      slimrt_errorf(err, errlen, "model %s: variable '%s' has no embedded weights", mn, d->vars[i].name);
      goto fail;
    }
  if (d->weights_embedded && !d->prepare) {
    for (int64_t i = 0; i < d->nvars; i++)
      m->weights[i] = (void *)d->vars[i].embedded;  /* used in place: kernels only read weights */
  } else { /* loaded, drawn, or embedded ones that prepare() will rewrite */
    size_t total = 0;
    for (int64_t i = 0; i < d->nvars; i++) total += round64((size_t)var_bytes(&d->vars[i]));
    m->weight_block = block_alloc(total ? total : 64);
    if (!m->weight_block) goto oom;
    size_t at = 0;
    for (int64_t i = 0; i < d->nvars; i++) {
      m->weights[i] = (char *)m->weight_block + at;
      at += round64((size_t)var_bytes(&d->vars[i]));
    }
  }
  if (d->weights_embedded) {
    if (d->prepare)
      for (int64_t i = 0; i < d->nvars; i++) {
        memcpy(m->weights[i], d->vars[i].embedded, (size_t)var_bytes(&d->vars[i]));
        drop_pages(d->vars[i].embedded, (size_t)var_bytes(&d->vars[i]));
      }
  } else {
    uint64_t seed = random_seed >= 0 ? (uint64_t)random_seed : 0;
    if (checkpoint) {
      if (load_checkpoint(m, checkpoint, seed, err, errlen)) goto fail;
    } else {
      char msg[512];
      for (int64_t i = 0; i < d->nvars; i++)
        if (slimrt_init_fill(&d->vars[i], seed, m->weights[i], msg, sizeof msg)) {
          slimrt_errorf(err, errlen, "model %s: --random-init: %s", mn, msg);
          goto fail;
        }
    }
  }
  if (nthreads != 1) {  /* one thread: no workers to start */
    m->pool = slimrt_pool_new(nthreads);
    if (!m->pool) {
      slimrt_errorf(err, errlen, "model %s: cannot start %d threads", mn, nthreads);
      goto fail;
    }
  }
  /* load-time hooks (filters packed for the GEMM, batch norm folded): once, here */
  if (d->prepare) d->prepare(m->io, m->arena, m->weights, m->pool);
  return m;
oom:
  slimrt_errorf(err, errlen, "model %s: out of memory", mn);
fail:
  slimrt_model_free(m);
  return NULL;
}

int slimrt_model_run(slimrt_model *m, const void *const *inputs, void *const *outputs) {
  if (!m) return -1;
  const slimrt_entry_desc *e = m->run;
  if ((e->ninputs && !inputs) || (e->noutputs && !outputs)) return -1;
  for (int64_t i = 0; i < e->ninputs; i++) {
    if (!inputs[i]) return -1;
    m->io[i] = (void *)inputs[i];  /* the generated code never writes its inputs */
  }
  for (int64_t i = 0; i < e->noutputs; i++) {
    if (!outputs[i]) return -1;
    m->io[e->ninputs + i] = outputs[i];
  }
  e->fn(m->io, m->arena, m->weights, m->pool);
  return 0;
}

int64_t slimrt_io_item_bytes(const slimrt_io_desc *io) {
  const slimrt_shape *s = &io->shape;
  int batched = s->rank >= 1 && s->dims[0] == -1;
  if (s->rank < 0 || s->rank > SLIMRT_MAX_RANK) return -1;
  int64_t n = slimrt_shape_count((int)s->rank - batched, s->dims + batched);
  int64_t es = slimrt_dtype_size((int)s->dtype);
  if (n < 0 || es <= 0 || n > INT64_MAX / es) return -1;
  return n * es;
}

/* The generated code is one item's: it runs once per item, the batched
   pointers moved on by one item each time (compiler/passes/pass_batch.c). */
int slimrt_model_run_batch(slimrt_model *m, int64_t n, const void *const *inputs, void *const *outputs, char *err,
                           size_t errlen) {
  if (!m) return slimrt_errorf(err, errlen, "no model");
  const slimrt_model_desc *d = m->d;
  const slimrt_entry_desc *e = m->run;
  const char *mn = d->name ? d->name : "?";
  if (n < 1) return slimrt_errorf(err, errlen, "model %s: a batch of %lld items: the batch must be at least 1", mn,
                                  (long long)n);
  if ((e->ninputs && !inputs) || (e->noutputs && !outputs))
    return slimrt_errorf(err, errlen, "model %s: no %s array", mn, e->ninputs && !inputs ? "input" : "output");
  int64_t nio = e->ninputs + e->noutputs;
  for (int64_t i = 0; i < nio; i++) {
    int is_in = i < e->ninputs;
    const slimrt_io_desc *io = is_in ? &e->inputs[i] : &e->outputs[i - e->ninputs];
    const void *p = is_in ? inputs[i] : outputs[i - e->ninputs];
    int64_t item = slimrt_io_item_bytes(io);
    if (!p) return slimrt_errorf(err, errlen, "model %s: %s '%s' is NULL", mn, is_in ? "input" : "output", io->name);
    if (item < 0) return slimrt_errorf(err, errlen, "model %s: malformed descriptor", mn);
    if (io->shape.rank >= 1 && io->shape.dims[0] == -1 && item > 0 && n > BATCH_LIMIT / item)
      return slimrt_errorf(err, errlen, "model %s: a batch of %lld items: %s '%s' would need %lld x %lld bytes, more "
                           "than the limit of 16 GiB", mn, (long long)n, is_in ? "input" : "output", io->name,
                           (long long)n, (long long)item);
  }
  for (int64_t b = 0; b < n; b++) {
    for (int64_t i = 0; i < nio; i++) {
      int is_in = i < e->ninputs;
      const slimrt_io_desc *io = is_in ? &e->inputs[i] : &e->outputs[i - e->ninputs];
      char *p = is_in ? (char *)inputs[i] : (char *)outputs[i - e->ninputs];
      int batched = io->shape.rank >= 1 && io->shape.dims[0] == -1;
      m->io[i] = batched ? p + b * slimrt_io_item_bytes(io) : p; /* the generated code never writes its inputs */
    }
    e->fn(m->io, m->arena, m->weights, m->pool);
  }
  return 0;
}

void slimrt_model_free(slimrt_model *m) {
  if (!m) return;
  if (m->pool) slimrt_pool_free(m->pool);
  free(m->arena);
  free(m->weight_block);
  free(m->weights);
  free(m->io);
  free(m);
}

int slimrt_model_threads(const slimrt_model *m) { return m && m->pool ? slimrt_pool_size(m->pool) : 1; }

const slimrt_model_desc *slimrt_model_descriptor(const slimrt_model *m) { return m ? m->d : NULL; }
