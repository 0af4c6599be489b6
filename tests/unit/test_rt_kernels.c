/* libslimrt kernels, op table, dtypes and thread pool.
 *
 * Kernel references come from tests/kernels/gen_refs.py (NumPy), run once before
 * the tests into a temporary directory (or taken from $SLIMRT_KERNEL_REFS when
 * set). Every case runs on the calling thread and on a 3-thread pool; the two
 * results must be bit-identical, and both must match NumPy within
 * rtol 1e-4 / atol 1e-5 (f32, f64) or exactly (integers, bool, f16). */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "slimrt.h"

#define RTOL 1e-4
#define ATOL 1e-5
/* A near-zero output of a long sum (a conv with K in the thousands, then batch
   norm's shift) carries the rounding of its larger terms: each element may also be
   off by this much of the array's largest magnitude (about 8 float ulps of it). */
#define RTOL_MAX 1e-6
#define MAX_SLOTS 32
#define MAX_IN 8

/* ---------------------------------------------------------------- fixture */

/* The directory made by the PRE_ALL hook; it reaches the forked test processes
   through the environment. */
static char made_dir[256];

ReportHook(PRE_ALL)(struct criterion_test_set *set) {
  (void)set;
  if (getenv("SLIMRT_KERNEL_REFS")) return;
  snprintf(made_dir, sizeof made_dir, "/tmp/slimrt-kernel-refs-XXXXXX");
  if (!mkdtemp(made_dir)) {
    made_dir[0] = 0;
    return;
  }
  const char *py = getenv("SLIMRT_PYTHON") ? getenv("SLIMRT_PYTHON") : "/usr/bin/python3";
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "'%s' '%s/tests/kernels/gen_refs.py' '%s' >/dev/null", py, SLIMC_SOURCE_DIR,
           made_dir);
  if (system(cmd) != 0) fprintf(stderr, "test_rt_kernels: generator failed: %s\n", cmd);
  setenv("SLIMRT_KERNEL_REFS", made_dir, 1);
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats) {
  (void)stats;
  if (!made_dir[0]) return;
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", made_dir);
  if (system(cmd) != 0) fprintf(stderr, "test_rt_kernels: could not remove %s\n", made_dir);
}

static const char *refs_dir(void) {
  const char *d = getenv("SLIMRT_KERNEL_REFS");
  cr_assert(d, "no reference directory: the generator did not run");
  return d;
}

/* ---------------------------------------------------------------- manifest */

typedef struct kcase {
  char name[64], op[32];
  int nin, nslots;
  int64_t slots[MAX_SLOTS];
} kcase;

/* Parses "CASE OP NIN i:N f:X ..."; 0 on success. */
static int parse_case(char *line, kcase *k) {
  char *save = NULL, *tok;
  memset(k, 0, sizeof *k);
  if (!(tok = strtok_r(line, " \n", &save))) return -1;
  snprintf(k->name, sizeof k->name, "%s", tok);
  if (!(tok = strtok_r(NULL, " \n", &save))) return -1;
  snprintf(k->op, sizeof k->op, "%s", tok);
  if (!(tok = strtok_r(NULL, " \n", &save))) return -1;
  k->nin = atoi(tok);
  while ((tok = strtok_r(NULL, " \n", &save))) {
    if (k->nslots == MAX_SLOTS || strlen(tok) < 3 || tok[1] != ':') return -1;
    if (tok[0] == 'i') {
      k->slots[k->nslots++] = strtoll(tok + 2, NULL, 10);
    } else if (tok[0] == 'f') {
      double d = strtod(tok + 2, NULL);
      memcpy(&k->slots[k->nslots++], &d, sizeof d);
    } else {
      return -1;
    }
  }
  return k->nin >= 0 && k->nin <= MAX_IN ? 0 : -1;
}

static slimrt_shape shape_of(const slimrt_array *a) {
  slimrt_shape s = {.dtype = a->dtype, .rank = a->rank};
  for (int i = 0; i < a->rank; i++) s.dims[i] = a->dims[i];
  return s;
}

static void load(const char *name, const char *suffix, slimrt_array *a) {
  char path[512], err[256];
  snprintf(path, sizeof path, "%s/%s.%s.npy", refs_dir(), name, suffix);
  cr_assert_eq(slimrt_npy_read(path, a, err, sizeof err), 0, "%s", err);
}

static double as_double(int dtype, const void *p, int64_t i) {
  return dtype == SLIMRT_F32 ? ((const float *)p)[i] : ((const double *)p)[i];
}

/* Compares GOT with the expected array; returns the number of mismatches and
   reports the first few. */
static int compare(const kcase *k, const slimrt_array *exp, const void *got) {
  int64_t n = slimrt_shape_count(exp->rank, exp->dims);
  int bad = 0;
  if (exp->dtype == SLIMRT_F32 || exp->dtype == SLIMRT_F64) {
    double emax = 0;
    for (int64_t i = 0; i < n; i++) {
      double e = fabs(as_double(exp->dtype, exp->data, i));
      if (isfinite(e) && e > emax) emax = e;
    }
    for (int64_t i = 0; i < n; i++) {
      double e = as_double(exp->dtype, exp->data, i), g = as_double(exp->dtype, got, i);
      if (isnan(e) && isnan(g)) continue;
      if (!(fabs(g - e) <= ATOL + RTOL * fabs(e) + RTOL_MAX * emax)) {
        if (bad++ < 5) cr_log_error("%s: element %lld: got %.9g, expected %.9g", k->name, (long long)i, g, e);
      }
    }
  } else {
    int es = slimrt_dtype_size(exp->dtype);
    for (int64_t i = 0; i < n; i++)
      if (memcmp((const char *)got + i * es, (const char *)exp->data + i * es, (size_t)es)) {
        if (bad++ < 5) cr_log_error("%s: element %lld differs (dtype %s)", k->name, (long long)i,
                                    slimrt_dtype_name(exp->dtype));
      }
  }
  return bad;
}

static int inplace_cases; /* FUSED_CONV2D cases also run with the output over the residual */

/* Runs one case serially and on POOL; both must agree bit for bit and match. */
static void run_case(const kcase *k, int op, slimrt_pool *pool) {
  slimrt_array in[MAX_IN], exp;
  slimrt_shape shapes[MAX_IN];
  const void *ptrs[MAX_IN];
  cr_assert_eq((size_t)k->nslots * 8, slimrt_op_attr_size(op),
               "%s: %d attribute slots but slimrt_attr for %s has %zu bytes", k->name, k->nslots,
               k->op, slimrt_op_attr_size(op));
  int maxin = slimrt_op_max_inputs(op);
  cr_assert(k->nin >= slimrt_op_min_inputs(op) && (maxin < 0 || k->nin <= maxin),
            "%s: %d inputs out of the table's range", k->name, k->nin);
  for (int i = 0; i < k->nin; i++) {
    char suffix[16];
    snprintf(suffix, sizeof suffix, "in%d", i);
    load(k->name, suffix, &in[i]);
    shapes[i] = shape_of(&in[i]);
    ptrs[i] = in[i].data;
  }
  load(k->name, "out", &exp);
  slimrt_shape oshape = shape_of(&exp);
  size_t nbytes = exp.nbytes ? exp.nbytes : 1;
  unsigned char *serial = malloc(nbytes), *threaded = malloc(nbytes);
  cr_assert(serial && threaded);
  /* a poison pattern, so an element the kernel forgets cannot pass by luck */
  memset(serial, 0xA5, nbytes);
  memset(threaded, 0x5A, nbytes);
  slimrt_call call = {.in = ptrs, .in_shape = shapes, .nin = k->nin, .out = serial,
                      .out_shape = &oshape, .attr = k->slots, .pool = NULL};
  slimrt_kernel kern = slimrt_op_kernel(op), prep = slimrt_op_prepare(op);
  cr_assert(kern, "%s has no kernel", k->op);
  if (prep) prep(&call); /* once, as a model does at load time: it may rewrite weights */
  kern(&call);
  call.out = threaded;
  call.pool = pool;
  kern(&call);
  cr_expect(memcmp(serial, threaded, exp.nbytes) == 0, "%s: result depends on the thread count", k->name);
  /* a conv the memory plan may run in place (pass_memplan.c): written over a copy
     of its residual, the output must be the same bit for bit */
  if (op == SLIMRT_OP_FUSED_CONV2D) {
    const slimrt_attr_fconv *a = (const void *)k->slots;
    const slimrt_shape *xs = &shapes[0], *fs = &shapes[1];
    if (a->has_residual && slimrt_fused_conv_inplace_ok(a, xs->dims[0], xs->dims[1], xs->dims[2], xs->dims[3],
                                                        oshape.dims[1], oshape.dims[2], fs->dims[0], fs->dims[1])) {
      unsigned char *shared = malloc(nbytes);
      cr_assert(shared);
      memcpy(shared, in[k->nin - 1].data, exp.nbytes);
      ptrs[k->nin - 1] = shared;
      call.out = shared;
      kern(&call);
      cr_expect(memcmp(serial, shared, exp.nbytes) == 0, "%s: in place over its residual, the output differs",
                k->name);
      ptrs[k->nin - 1] = in[k->nin - 1].data;
      free(shared);
      inplace_cases++;
    }
  }
  int bad = compare(k, &exp, serial);
  cr_expect_eq(bad, 0, "%s (%s): %d elements outside rtol %g atol %g (+ %g of the largest)", k->name, k->op, bad, RTOL,
               ATOL, RTOL_MAX);
  free(serial);
  free(threaded);
  for (int i = 0; i < k->nin; i++) slimrt_array_free(&in[i]);
  slimrt_array_free(&exp);
}

/* ---------------------------------------------------------------- kernels */

ParameterizedTestParameters(kernels, reference) {
  static int ops[SLIMRT_OP_COUNT];
  for (int i = 0; i < SLIMRT_OP_COUNT; i++) ops[i] = i;
  return cr_make_param_array(int, ops, SLIMRT_OP_COUNT);
}

/* Every op of the table: sources have no kernel, every other op has one and at
   least one reference case, and all its cases pass. */
ParameterizedTest(int *op, kernels, reference) {
  const char *name = slimrt_op_name(*op);
  cr_assert(name);
  if (slimrt_op_flags(*op) & SLIMRT_F_SOURCE) {
    cr_expect_null(slimrt_op_kernel(*op), "%s is a source op but has a kernel", name);
    return;
  }
  char path[512], line[1024];
  snprintf(path, sizeof path, "%s/manifest.txt", refs_dir());
  FILE *f = fopen(path, "r");
  cr_assert(f, "cannot open %s", path);
  slimrt_pool *pool = slimrt_pool_new(3);
  cr_assert(pool);
  int ncases = 0;
  while (fgets(line, sizeof line, f)) {
    kcase k;
    cr_assert_eq(parse_case(line, &k), 0, "%s: malformed manifest line", path);
    if (strcmp(k.op, name)) continue;
    ncases++;
    run_case(&k, *op, pool);
  }
  fclose(f);
  slimrt_pool_free(pool);
  cr_expect_gt(ncases, 0, "op %s has no reference case in gen_refs.py", name);
  if (*op == SLIMRT_OP_FUSED_CONV2D) cr_expect_gt(inplace_cases, 0, "no FUSED_CONV2D case ran in place");
}

/* Views run only when the buffers differ; aliased buffers are left alone. */
Test(kernels, view_in_place) {
  float buf[6] = {1, 2, 3, 4, 5, 6};
  slimrt_shape s = {.dtype = SLIMRT_F32, .rank = 2, .dims = {2, 3}}, o = {.dtype = SLIMRT_F32, .rank = 1, .dims = {6}};
  const void *in[1] = {buf};
  slimrt_call c = {.in = in, .in_shape = &s, .nin = 1, .out = buf, .out_shape = &o};
  slimrt_k_RESHAPE(&c);
  slimrt_k_IDENTITY(&c);
  for (int i = 0; i < 6; i++) cr_expect_eq(buf[i], (float)(i + 1));
}

/* The f32 -> f16 rounding edge cases that the random cases are unlikely to hit. */
Test(kernels, cast_half_edges) {
  float in[6] = {65504.0f, 65520.0f, 5.9604645e-8f, 1.0f + 1.0f / 2048, -0.0f, NAN};
  uint16_t out[6];
  slimrt_shape s = {.dtype = SLIMRT_F32, .rank = 1, .dims = {6}}, o = {.dtype = SLIMRT_F16, .rank = 1, .dims = {6}};
  const void *ins[1] = {in};
  slimrt_call c = {.in = ins, .in_shape = &s, .nin = 1, .out = out, .out_shape = &o};
  slimrt_k_CAST(&c);
  cr_expect_eq(out[0], 0x7bff);       /* largest half */
  cr_expect_eq(out[1], 0x7c00);       /* rounds up to infinity */
  cr_expect_eq(out[2], 0x0001);       /* smallest subnormal */
  cr_expect_eq(out[3], 0x3c00);       /* tie rounds to even */
  cr_expect_eq(out[4], 0x8000);
  cr_expect_eq(out[5] & 0x7c00, 0x7c00);
  cr_expect_neq(out[5] & 0x3ff, 0);
}

/* ---------------------------------------------------------------- op table */

Test(optable, entries) {
  for (int op = 0; op < SLIMRT_OP_COUNT; op++) {
    const char *name = slimrt_op_name(op);
    cr_assert(name && slimrt_op_tf_type(op), "op %d lacks a name", op);
    for (int j = 0; j < op; j++) cr_expect_str_neq(name, slimrt_op_name(j));
    int lo = slimrt_op_min_inputs(op), hi = slimrt_op_max_inputs(op);
    cr_expect(lo >= 0 && (hi == -1 || hi >= lo), "%s: bad input range %d..%d", name, lo, hi);
    cr_expect(slimrt_op_attr_size(op) >= 8 && slimrt_op_attr_size(op) % 8 == 0, "%s: attr size", name);
    if (slimrt_op_flags(op) & SLIMRT_F_SOURCE) {
      cr_expect_null(slimrt_op_kernel_symbol(op));
      cr_expect_eq(lo, 0);
    } else {
      char sym[64];
      snprintf(sym, sizeof sym, "slimrt_k_%s", name);
      cr_expect_str_eq(slimrt_op_kernel_symbol(op), sym);
      cr_expect(slimrt_op_kernel(op) != NULL, "%s has no kernel", name);
    }
  }
}

Test(optable, known_ops) {
  cr_expect_str_eq(slimrt_op_name(SLIMRT_OP_CONV2D), "CONV2D");
  cr_expect_str_eq(slimrt_op_tf_type(SLIMRT_OP_CONV2D), "Conv2D");
  cr_expect_str_eq(slimrt_op_kernel_symbol(SLIMRT_OP_CONV2D), "slimrt_k_CONV2D");
  cr_expect_eq(slimrt_op_kernel(SLIMRT_OP_CONV2D), slimrt_k_CONV2D);
  cr_expect_eq(slimrt_op_attr_size(SLIMRT_OP_CONV2D), sizeof(slimrt_attr_conv));
  cr_expect_eq(slimrt_op_attr_size(SLIMRT_OP_PAD), sizeof(slimrt_attr_pad));
  cr_expect_eq(slimrt_op_max_inputs(SLIMRT_OP_CONCAT), -1);
  cr_expect_eq(slimrt_op_min_inputs(SLIMRT_OP_BATCH_NORM), 5);
  cr_expect(slimrt_op_flags(SLIMRT_OP_RESHAPE) & SLIMRT_F_VIEW);
  cr_expect_null(slimrt_op_kernel(SLIMRT_OP_INPUT));
}

Test(optable, out_of_range) {
  cr_expect_null(slimrt_op_name(-1));
  cr_expect_null(slimrt_op_name(SLIMRT_OP_COUNT));
  cr_expect_null(slimrt_op_kernel(SLIMRT_OP_COUNT));
  cr_expect_null(slimrt_op_kernel_symbol(-5));
  cr_expect_eq(slimrt_op_attr_size(SLIMRT_OP_COUNT), 0);
  cr_expect_eq(slimrt_op_flags(1000), 0);
}

/* ---------------------------------------------------------------- dtypes */

Test(dtype, names_round_trip) {
  int named = 0;
  for (int dt = 0; dt < 32; dt++) {
    const char *n = slimrt_dtype_name(dt);
    if (!n) continue;
    named++;
    cr_expect_eq(slimrt_dtype_from_name(n), dt, "%s", n);
    char tf[32];
    snprintf(tf, sizeof tf, "tf.%s", n);
    cr_expect_eq(slimrt_dtype_from_name(tf), dt, "%s", tf);
  }
  cr_expect_eq(named, 14);
  cr_expect_null(slimrt_dtype_name(0));
  cr_expect_null(slimrt_dtype_name(8));
}

Test(dtype, short_names_and_sizes) {
  static const struct { const char *s; int dt, size; } t[] = {
    {"f32", SLIMRT_F32, 4}, {"float32", SLIMRT_F32, 4}, {"f16", SLIMRT_F16, 2}, {"bf16", SLIMRT_BF16, 2},
    {"f64", SLIMRT_F64, 8}, {"i8", SLIMRT_I8, 1}, {"i16", SLIMRT_I16, 2}, {"i32", SLIMRT_I32, 4},
    {"i64", SLIMRT_I64, 8}, {"u8", SLIMRT_U8, 1}, {"u16", SLIMRT_U16, 2}, {"bool", SLIMRT_BOOL, 1},
    {"tf.int64", SLIMRT_I64, 8}, {"uint32", SLIMRT_U32, 4}, {"u64", SLIMRT_U64, 8}, {"string", SLIMRT_STRING, 0},
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    cr_expect_eq(slimrt_dtype_from_name(t[i].s), t[i].dt, "%s", t[i].s);
    cr_expect_eq(slimrt_dtype_size(t[i].dt), t[i].size, "%s", t[i].s);
  }
  cr_expect_str_eq(slimrt_dtype_name(SLIMRT_BF16), "bfloat16");
  cr_expect_eq(slimrt_dtype_from_name("float33"), 0);
  cr_expect_eq(slimrt_dtype_from_name("tf."), 0);
  cr_expect_eq(slimrt_dtype_from_name(""), 0);
  cr_expect_eq(slimrt_dtype_from_name(NULL), 0);
  cr_expect_eq(slimrt_dtype_size(99), 0);
}

Test(dtype, shape_count) {
  int64_t d[3] = {2, 3, 4};
  cr_expect_eq(slimrt_shape_count(3, d), 24);
  cr_expect_eq(slimrt_shape_count(0, NULL), 1);
  int64_t z[2] = {0, INT64_MAX};
  cr_expect_eq(slimrt_shape_count(2, z), 0);
  int64_t big[2] = {INT64_MAX / 2 + 1, 2};
  cr_expect_eq(slimrt_shape_count(2, big), -1);
  int64_t neg[2] = {3, -1};
  cr_expect_eq(slimrt_shape_count(2, neg), -1);
  cr_expect_eq(slimrt_shape_count(SLIMRT_MAX_RANK + 1, d), -1);
}

/* ---------------------------------------------------------------- thread pool */

#define NITEMS 1000000
#define NBLOCKS 97

typedef struct sum_ctx {
  const float *x;
  float partial[NBLOCKS];
  atomic_int *visits;
} sum_ctx;

/* Each block sums its slice in a fixed order, so the total cannot depend on
   which thread ran which block. */
static void sum_block(void *vctx, int64_t b) {
  sum_ctx *c = vctx;
  int64_t lo = NITEMS * b / NBLOCKS, hi = NITEMS * (b + 1) / NBLOCKS;
  float s = 0;
  for (int64_t i = lo; i < hi; i++) {
    s += c->x[i];
    atomic_fetch_add(&c->visits[i], 1);
  }
  c->partial[b] = s;
}

static float pooled_sum(int nthreads, const float *x, atomic_int *visits) {
  sum_ctx c = {.x = x, .visits = visits};
  slimrt_pool *p = slimrt_pool_new(nthreads);
  cr_assert(p);
  cr_expect_eq(slimrt_pool_size(p), nthreads);
  slimrt_parallel_for(p, NBLOCKS, sum_block, &c);
  slimrt_pool_free(p);
  float total = 0;
  for (int b = 0; b < NBLOCKS; b++) total += c.partial[b];
  return total;
}

Test(threadpool, sum_same_for_any_thread_count) {
  float *x = malloc(NITEMS * sizeof *x);
  atomic_int *visits = calloc(NITEMS, sizeof *visits);
  cr_assert(x && visits);
  for (int i = 0; i < NITEMS; i++) x[i] = (float)((i * 2654435761u) % 1000u) / 7.0f;
  float s1 = pooled_sum(1, x, visits), s2 = pooled_sum(2, x, visits), s3 = pooled_sum(3, x, visits);
  cr_expect_eq(s1, s2);
  cr_expect_eq(s1, s3);
  for (int i = 0; i < NITEMS; i++)
    if (atomic_load(&visits[i]) != 3) cr_assert_fail("item %d visited %d times over 3 runs", i, (int)visits[i]);
  cr_expect(s1 > 0);
  free(x);
  free(visits);
}

static void count_one(void *ctx, int64_t i) {
  (void)i;
  atomic_fetch_add((atomic_long *)ctx, 1);
}

typedef struct nest_ctx {
  slimrt_pool *p;
  atomic_long count;
} nest_ctx;

static void nested(void *vctx, int64_t i) {
  nest_ctx *c = vctx;
  (void)i;
  slimrt_parallel_for(c->p, 10, count_one, &c->count);
}

Test(threadpool, many_jobs_small_n_and_nesting) {
  slimrt_pool *p = slimrt_pool_new(3);
  cr_assert(p);
  atomic_long count = 0;
  for (int j = 0; j < 2000; j++) slimrt_parallel_for(p, j % 5, count_one, &count);
  long want = 0;
  for (int j = 0; j < 2000; j++) want += j % 5;
  cr_expect_eq(atomic_load(&count), want);
  /* a kernel that itself calls parallel_for must not deadlock */
  nest_ctx nc = {.p = p};
  slimrt_parallel_for(p, 7, nested, &nc);
  cr_expect_eq(atomic_load(&nc.count), 70);
  slimrt_pool_free(p);
}

/* Two kinds of job in turn, each with its own function, context and count: a
   chunk run with the other job's function or context, or twice, or not at all,
   shows in the per-job tallies. */
typedef struct tally_ctx {
  atomic_int *hits;
  int64_t n;
} tally_ctx;

static void tally_a(void *vctx, int64_t i) {
  tally_ctx *c = vctx;
  if (i >= 0 && i < c->n) atomic_fetch_add(&c->hits[i], 1);
}

static void tally_b(void *vctx, int64_t i) {
  tally_ctx *c = vctx;
  if (i >= 0 && i < c->n) atomic_fetch_add(&c->hits[i], 1000);
}

Test(threadpool, late_workers_never_run_a_finished_job) {
  /* 8 threads on this 2-core machine: workers are often descheduled while the
     caller finishes a job alone and moves on (it waits only for taken chunks) */
  slimrt_pool *p = slimrt_pool_new(8);
  cr_assert(p);
  enum { JOBS = 20000, NA = 37, NB = 5 };
  atomic_int *ha = calloc(NA, sizeof *ha), *hb = calloc(NB, sizeof *hb);
  cr_assert(ha && hb);
  tally_ctx a = {ha, NA}, b = {hb, NB};
  for (int j = 0; j < JOBS; j++) {
    if (j % 2 == 0) slimrt_parallel_for(p, NA, tally_a, &a);
    else slimrt_parallel_for(p, NB, tally_b, &b);
  }
  slimrt_pool_free(p);
  for (int i = 0; i < NA; i++) cr_expect_eq(atomic_load(&ha[i]), JOBS / 2, "a[%d] = %d", i, atomic_load(&ha[i]));
  for (int i = 0; i < NB; i++)
    cr_expect_eq(atomic_load(&hb[i]), 1000 * (JOBS / 2), "b[%d] = %d", i, atomic_load(&hb[i]));
  free(ha);
  free(hb);
}

Test(threadpool, null_pool_and_default_size) {
  atomic_long count = 0;
  slimrt_parallel_for(NULL, 100, count_one, &count);
  cr_expect_eq(atomic_load(&count), 100);
  cr_expect_eq(slimrt_pool_size(NULL), 1);
  slimrt_pool *p = slimrt_pool_new(0);
  cr_assert(p);
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  cr_expect_eq(slimrt_pool_size(p), cores > 0 ? cores : 1);
  slimrt_pool_free(p);
  slimrt_pool_free(NULL);
}
