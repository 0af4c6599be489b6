/* The model loader (runtime/src/model.c), --random-init (rng.c) and the
 * generated executable's command line (exe_main.c), driven by hand-written
 * model descriptors whose run functions are tiny C functions. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "slimrt.h"
#include "../../runtime/src/rtio.h" /* slimrt_init_fill is internal */

/* ---- hand-written models ----------------------------------------------------- */

#define F32_SHAPE(...) {SLIMRT_F32, sizeof((int64_t[]){__VA_ARGS__}) / 8, {__VA_ARGS__}}

/* y = x * w + b, through the arena so that it is exercised too */
static void affine_run(void *const *io, void *arena, void *const *w, slimrt_pool *pool) {
  const float *x = io[0], *wt = w[0], *b = w[1];
  float *y = io[1], *tmp = arena;
  for (int i = 0; i < 4; i++) tmp[i] = x[i] * wt[i];
  for (int i = 0; i < 4; i++) y[i] = tmp[i] + b[i];
}

static const float w_emb[4] = {1, 2, 3, 4}, b_emb[4] = {0.5f, 0.5f, 0.5f, 0.5f};
static const double w_init[2] = {1, 2};  /* constant_initializer([1, 2]) pads to [1, 2, 2, 2] */
static const slimrt_io_desc affine_in[] = {{"x", F32_SHAPE(1, 4)}};
static const slimrt_io_desc affine_out[] = {{"y", F32_SHAPE(1, 4)}};
static const slimrt_var_desc affine_vars[] = {
    {"dense/w", "dense/w", F32_SHAPE(4), NULL, SLIMRT_INIT_CONSTANT, {0, 0}, w_init, 2},
    {"dense/b", "dense/b", F32_SHAPE(4), NULL, SLIMRT_INIT_ONES, {0, 0}, NULL, 0},
};
static const slimrt_var_desc affine_vars_emb[] = {
    {"dense/w", "dense/w", F32_SHAPE(4), w_emb, SLIMRT_INIT_CONSTANT, {0, 0}, w_init, 2},
    {"dense/b", "dense/b", F32_SHAPE(4), b_emb, SLIMRT_INIT_ONES, {0, 0}, NULL, 0},
};
/* dense/b is not restored (as a local variable would not be): its initializer runs */
static const slimrt_var_desc affine_vars_local[] = {
    {"dense/w", "dense/w", F32_SHAPE(4), NULL, SLIMRT_INIT_NONE, {0, 0}, NULL, 0},
    {"dense/b", NULL, F32_SHAPE(4), NULL, SLIMRT_INIT_CONSTANT, {7, 0}, NULL, 0},
};

/* name, entry points, variables, arena_size, weights_embedded */
static const slimrt_entry_desc affine_entry[] = {{"run", affine_run, 1, 1, affine_in, affine_out}};
static const slimrt_model_desc affine = {"affine", 1, affine_entry, 2, affine_vars, 16, 0};
static const slimrt_model_desc affine_emb = {"affine", 1, affine_entry, 2, affine_vars_emb, 16, 1};
static const slimrt_model_desc affine_local = {"affine", 1, affine_entry, 2, affine_vars_local, 16, 0};

#include "tmpdir.h"

static const char *tmp_path(const char *name) {
  static char bufs[4][512];  /* a few paths live at once in one test */
  static int next;
  char *p = bufs[next++ % 4];
  snprintf(p, 512, "%s/%s", tmpdir, name);
  return p;
}

/* Writes a checkpoint at tmpdir/NAME with dense/w = W (dtype DT, 4 elements or
   SHAPE_N) and, if B, dense/b. Returns the prefix. */
static const char *write_ckpt(const char *name, int dt, int64_t shape_n, const void *w, const float *b) {
  const char *prefix = tmp_path(name);
  char err[256];
  slimrt_ckpt_writer *wr = slimrt_ckpt_writer_new(prefix, 1, err, sizeof err);
  cr_assert_not_null(wr, "%s", err);
  int64_t dims[1] = {shape_n}, four[1] = {4};
  cr_assert_eq(slimrt_ckpt_writer_add(wr, "dense/w", dt, 1, dims, w, 0, err, sizeof err), 0, "%s", err);
  if (b) cr_assert_eq(slimrt_ckpt_writer_add(wr, "dense/b", SLIMRT_F32, 1, four, b, 0, err, sizeof err), 0, "%s", err);
  cr_assert_eq(slimrt_ckpt_writer_finish(wr, err, sizeof err), 0, "%s", err);
  return prefix;
}

static void run_affine(slimrt_model *m, const float x[4], float y[4]) {
  const void *in[1] = {x};
  void *out[1] = {y};
  cr_assert_eq(slimrt_model_run(m, in, out), 0);
}

static void assert_floats(const float *got, const float *want, int n) {
  for (int i = 0; i < n; i++) cr_assert_float_eq(got[i], want[i], 1e-6, "element %d: %g, expected %g", i, got[i], want[i]);
}

/* ---- model: loading weights ------------------------------------------------------ */

Test(model, embedded_weights_are_used_in_place) {
  char err[256];
  slimrt_model *m = slimrt_model_new(&affine_emb, NULL, -1, 1, err, sizeof err);
  cr_assert_not_null(m, "%s", err);
  float x[4] = {1, 1, 2, 2}, y[4], want[4] = {1.5f, 2.5f, 6.5f, 8.5f};
  run_affine(m, x, y);
  assert_floats(y, want, 4);
  slimrt_model_free(m);
}

/* The runtime finds `run` among the entry points by its name; a model without one
   is refused. */
static void never_run(void *const *io, void *arena, void *const *w, slimrt_pool *pool) {
  (void)io, (void)arena, (void)w, (void)pool;
  cr_assert_fail("the entry point 'other' was run");
}

Test(model, run_is_found_among_the_entry_points) {
  static const slimrt_io_desc none_out[] = {{"z", F32_SHAPE(2)}};
  const slimrt_entry_desc two[] = {{"other", never_run, 0, 1, NULL, none_out},
                                   {"run", affine_run, 1, 1, affine_in, affine_out}};
  slimrt_model_desc d = affine_emb;
  d.nentries = 2;
  d.entries = two;
  cr_assert_eq(slimrt_model_entry(&d, "run"), &two[1]);
  cr_assert_eq(slimrt_model_entry(&d, "other"), &two[0]);
  cr_assert_null(slimrt_model_entry(&d, "train"));
  slimrt_io_info info;
  cr_assert_eq(slimrt_model_io_info(&d, 1, 0, &info), 0);
  cr_assert_str_eq(info.name, "y");
  char err[256];
  slimrt_model *m = slimrt_model_new(&d, NULL, -1, 1, err, sizeof err);
  cr_assert_not_null(m, "%s", err);
  float x[4] = {1, 1, 2, 2}, y[4], want[4] = {1.5f, 2.5f, 6.5f, 8.5f};
  run_affine(m, x, y);
  assert_floats(y, want, 4);
  slimrt_model_free(m);

  d.nentries = 1; /* "other" alone */
  cr_assert_null(slimrt_model_new(&d, NULL, -1, 1, err, sizeof err));
  cr_assert_str_eq(err, "model affine: malformed descriptor");
  cr_assert_eq(slimrt_model_io_info(&d, 1, 0, &info), -1);
}

/* A prepare() that rewrites the weights in place, as the conv prepare hooks do:
   doubles w. */
static void affine_prepare(void *const *io, void *arena, void *const *w, slimrt_pool *pool) {
  (void)io, (void)arena, (void)pool;
  float *wt = w[0];
  for (int i = 0; i < 4; i++) wt[i] *= 2;
}

/* prepare() runs once per model, after the weights are loaded, on writable copies:
   the embedded originals stay as they were, so a second model prepares the same. */
Test(model, prepare_runs_once_on_writable_weights) {
  slimrt_model_desc emb = affine_emb, rnd = affine;
  emb.prepare = affine_prepare;
  rnd.prepare = affine_prepare;
  float x[4] = {1, 1, 2, 2}, y[4], want[4] = {2.5f, 4.5f, 12.5f, 16.5f};
  for (int k = 0; k < 2; k++) {
    char err[256];
    slimrt_model *m = slimrt_model_new(&emb, NULL, -1, k + 1, err, sizeof err);
    cr_assert_not_null(m, "%s", err);
    run_affine(m, x, y);
    run_affine(m, x, y);
    assert_floats(y, want, 4);
    slimrt_model_free(m);
  }
  const float orig[4] = {1, 2, 3, 4};
  assert_floats(w_emb, orig, 4);
  char err[256];
  slimrt_model *m = slimrt_model_new(&rnd, NULL, 0, 1, err, sizeof err);
  cr_assert_not_null(m, "%s", err);
  float ones[4] = {1, 1, 1, 1}, want_rnd[4] = {3, 5, 5, 5}; /* w = 2 * [1,2,2,2], b = ones */
  run_affine(m, ones, y);
  assert_floats(y, want_rnd, 4);
  slimrt_model_free(m);
}

Test(model, random_init_runs_the_initializers) {
  char err[256];
  slimrt_model *m = slimrt_model_new(&affine, NULL, 0, 1, err, sizeof err);
  cr_assert_not_null(m, "%s", err);
  float x[4] = {1, 1, 1, 1}, y[4], want[4] = {2, 3, 3, 3};  /* w = [1,2,2,2], b = ones */
  run_affine(m, x, y);
  assert_floats(y, want, 4);
  slimrt_model_free(m);
}

Test(model, checkpoint_weights, .init = make_tmpdir, .fini = remove_tmpdir) {
  float w[4] = {2, 4, 6, 8}, b[4] = {-1, -2, -3, -4};
  const char *prefix = write_ckpt("ck", SLIMRT_F32, 4, w, b);
  char err[256];
  slimrt_model *m = slimrt_model_new(&affine, prefix, -1, 2, err, sizeof err);
  cr_assert_not_null(m, "%s", err);
  float x[4] = {1, 2, 3, 4}, y[4], want[4] = {1, 6, 15, 28};
  run_affine(m, x, y);
  assert_floats(y, want, 4);
  slimrt_model_free(m);
}

Test(model, unrestored_variables_take_their_initializer, .init = make_tmpdir, .fini = remove_tmpdir) {
  float w[4] = {1, 2, 3, 4};
  const char *prefix = write_ckpt("ck", SLIMRT_F32, 4, w, NULL);
  char err[256];
  slimrt_model *m = slimrt_model_new(&affine_local, prefix, -1, 1, err, sizeof err);
  cr_assert_not_null(m, "%s", err);
  float x[4] = {1, 1, 1, 1}, y[4], want[4] = {8, 9, 10, 11};
  run_affine(m, x, y);
  assert_floats(y, want, 4);
  slimrt_model_free(m);
}

static void expect_load_error(const slimrt_model_desc *d, const char *ckpt, int64_t seed, const char *want) {
  char err[512] = "";
  slimrt_model *m = slimrt_model_new(d, ckpt, seed, 1, err, sizeof err);
  cr_assert_null(m, "loaded, expected: %s", want);
  cr_assert_not_null(strstr(err, want), "got '%s', expected '%s'", err, want);
}

Test(model, checkpoint_errors, .init = make_tmpdir, .fini = remove_tmpdir) {
  float w[4] = {1, 2, 3, 4}, b[4] = {0}, w3[3] = {1, 2, 3};
  double w64[4] = {1, 2, 3, 4};
  char want[512];
  const char *p = write_ckpt("no_b", SLIMRT_F32, 4, w, NULL);
  snprintf(want, sizeof want, "checkpoint %s: key 'dense/b' not found (needed for variable 'dense/b')", p);
  expect_load_error(&affine, p, -1, want);
  p = write_ckpt("shape", SLIMRT_F32, 3, w3, b);
  snprintf(want, sizeof want, "checkpoint %s: key 'dense/w' has shape [3] but the model expects [4]", p);
  expect_load_error(&affine, p, -1, want);
  p = write_ckpt("dtype", SLIMRT_F64, 4, w64, b);
  snprintf(want, sizeof want, "checkpoint %s: key 'dense/w' has dtype float64 but the model expects float32", p);
  expect_load_error(&affine, p, -1, want);
  expect_load_error(&affine, tmp_path("nothing_here"), -1, "nothing_here");
}

Test(model, no_weights_is_an_error) {
  expect_load_error(&affine, NULL, -1, "model affine: no weights");
  /* a variable with no initializer cannot be randomly initialized */
  static const slimrt_model_desc d = {"affine", 1, affine_entry, 2, affine_vars_local, 16, 0};
  expect_load_error(&d, NULL, 3, "variable 'dense/w' has no initializer the runtime can run");
}

/* Two models with different weights, each run on its own thread. */
typedef struct thread_arg { slimrt_model *m; float scale; int ok; } thread_arg;

static void *hammer(void *p) {
  thread_arg *a = p;
  a->ok = 1;
  for (int k = 0; k < 2000; k++) {
    float x[4] = {(float)k, 1, 2, 3}, y[4];
    const void *in[1] = {x};
    void *out[1] = {y};
    slimrt_model_run(a->m, in, out);
    if (y[0] != x[0] * a->scale + 0.5f) a->ok = 0;
  }
  return NULL;
}

Test(model, two_models_on_two_threads) {
  static float w2[4] = {2, 2, 2, 2}, w3[4] = {3, 3, 3, 3};
  slimrt_var_desc v2[2], v3[2];
  memcpy(v2, affine_vars_emb, sizeof v2);
  memcpy(v3, affine_vars_emb, sizeof v3);
  v2[0].embedded = w2;
  v3[0].embedded = w3;
  slimrt_model_desc d2 = affine_emb, d3 = affine_emb;
  d2.vars = v2;
  d3.vars = v3;
  char err[256];
  thread_arg a = {slimrt_model_new(&d2, NULL, -1, 1, err, sizeof err), 2, 0};
  thread_arg b = {slimrt_model_new(&d3, NULL, -1, 1, err, sizeof err), 3, 0};
  cr_assert(a.m && b.m);
  pthread_t ta, tb;
  pthread_create(&ta, NULL, hammer, &a);
  pthread_create(&tb, NULL, hammer, &b);
  pthread_join(ta, NULL);
  pthread_join(tb, NULL);
  cr_assert(a.ok && b.ok);
  slimrt_model_free(a.m);
  slimrt_model_free(b.m);
}

/* ---- rng: --random-init's distributions ------------------------------------------ */

static void fill(const char *name, int64_t kind, double p0, double p1, uint64_t seed, float *out, int64_t n) {
  slimrt_var_desc v = {name, name, {SLIMRT_F32, 1, {n}}, NULL, kind, {p0, p1}, NULL, 0};
  char err[256];
  cr_assert_eq(slimrt_init_fill(&v, seed, out, err, sizeof err), 0, "%s", err);
}

Test(rng, deterministic_per_name_and_seed) {
  float a[64], b[64], c[64], d[64];
  fill("conv1/weights", SLIMRT_INIT_NORMAL, 0, 1, 42, a, 64);
  fill("conv1/weights", SLIMRT_INIT_NORMAL, 0, 1, 42, b, 64);
  fill("conv2/weights", SLIMRT_INIT_NORMAL, 0, 1, 42, c, 64);
  fill("conv1/weights", SLIMRT_INIT_NORMAL, 0, 1, 43, d, 64);
  cr_assert_eq(memcmp(a, b, sizeof a), 0, "same name and seed must give the same values");
  cr_assert_neq(memcmp(a, c, sizeof a), 0, "another name must give another stream");
  cr_assert_neq(memcmp(a, d, sizeof a), 0, "another seed must give another stream");
}

Test(rng, distributions) {
  enum { N = 20000 };
  static float v[N];
  fill("u", SLIMRT_INIT_UNIFORM, -0.5, 1.5, 1, v, N);
  double sum = 0;
  for (int i = 0; i < N; i++) {
    cr_assert(v[i] >= -0.5f && v[i] < 1.5f, "uniform sample %g outside [-0.5, 1.5)", v[i]);
    sum += v[i];
  }
  cr_assert_float_eq(sum / N, 0.5, 0.02);

  fill("n", SLIMRT_INIT_NORMAL, 3, 2, 1, v, N);
  double s = 0, s2 = 0;
  for (int i = 0; i < N; i++) s += v[i], s2 += (double)v[i] * v[i];
  double mean = s / N, sd = sqrt(s2 / N - mean * mean);
  cr_assert_float_eq(mean, 3, 0.05);
  cr_assert_float_eq(sd, 2, 0.05);

  fill("t", SLIMRT_INIT_TRUNCATED_NORMAL, 0, 0.1, 1, v, N);
  int beyond_one_sd = 0;
  for (int i = 0; i < N; i++) {
    cr_assert(fabsf(v[i]) <= 0.2f + 1e-6f, "truncated normal sample %g beyond 2 stddev", v[i]);
    beyond_one_sd += fabsf(v[i]) > 0.1f;
  }
  /* a N(0,1) cut at 2 has P(|z| > 1) = (0.3173 - 0.0455) / 0.9545 = 0.285 */
  cr_assert_float_eq((double)beyond_one_sd / N, 0.285, 0.02);
}

Test(rng, constant_list_too_long_is_an_error) {
  static const double vals[3] = {1, 2, 3};
  slimrt_var_desc v = {"c", "c", {SLIMRT_F32, 1, {2}}, NULL, SLIMRT_INIT_CONSTANT, {0, 0}, vals, 3};
  float out[2];
  char err[256];
  cr_assert_eq(slimrt_init_fill(&v, 0, out, err, sizeof err), -1);
  cr_assert_str_eq(err, "variable 'c': constant initializer has 3 values for 2 elements");
}

/* ---- exe_main: the generated executable's command line ----------------------------- */

typedef struct captured { int rc; char out[8192], err[4096]; } captured;

static void slurp(const char *path, char *buf, size_t n) {
  FILE *f = fopen(path, "rb");
  size_t got = f ? fread(buf, 1, n - 1, f) : 0;
  buf[got] = 0;
  if (f) fclose(f);
}

/* Calls slimrt_main with stdout and stderr pointed at temporary files. */
static captured run_main(const slimrt_model_desc *d, char **argv) {
  static captured c;
  int argc = 0;
  while (argv[argc]) argc++;
  char po[] = "/tmp/rt_model_out.XXXXXX", pe[] = "/tmp/rt_model_err.XXXXXX";
  int fo = mkstemp(po), fe = mkstemp(pe);
  fflush(stdout);
  fflush(stderr);
  int so = dup(1), se = dup(2);
  dup2(fo, 1);
  dup2(fe, 2);
  c.rc = slimrt_main(d, argc, argv);
  fflush(stdout);
  fflush(stderr);
  dup2(so, 1);
  dup2(se, 2);
  close(so);
  close(se);
  close(fo);
  close(fe);
  slurp(po, c.out, sizeof c.out);
  slurp(pe, c.err, sizeof c.err);
  unlink(po);
  unlink(pe);
  return c;
}

static void write_input(const char *path, int dtype, int rank, const int64_t *dims, const void *data, size_t n) {
  slimrt_array a = {.dtype = dtype, .rank = rank, .data = (void *)data, .nbytes = n};
  memcpy(a.dims, dims, sizeof(int64_t) * (size_t)rank);
  char err[256];
  cr_assert_eq(slimrt_npy_write(path, &a, err, sizeof err), 0, "%s", err);
}

static const char *x_npy(void) {
  static const float x[4] = {1, 1, 2, 2};
  const char *p = tmp_path("x.npy");
  write_input(p, SLIMRT_F32, 2, (int64_t[]){1, 4}, x, sizeof x);
  return p;
}

static void check_golden(const char *name, const char *got) {
  char path[512], want[8192];
  snprintf(path, sizeof path, "%s/tests/golden/rtio/%s", SLIMC_SOURCE_DIR, name);
  if (getenv("SLIMC_UPDATE_GOLDEN")) {
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot write %s", path);
    fputs(got, f);
    fclose(f);
  }
  slurp(path, want, sizeof want);
  cr_assert_str_eq(got, want, "output differs from %s (SLIMC_UPDATE_GOLDEN=1 rewrites it):\n%s", path, got);
}

Test(exe_main, help_lists_inputs_and_outputs) {
  captured c = run_main(&affine, (char *[]){"model", "--help", NULL});
  cr_assert_eq(c.rc, 0);
  cr_assert_str_eq(c.err, "");
  check_golden("help.txt", c.out);
}

Test(exe_main, input_to_output_file, .init = make_tmpdir, .fini = remove_tmpdir) {
  char in[600], out[600];
  snprintf(in, sizeof in, "--input=%s", x_npy());
  snprintf(out, sizeof out, "--output=%s", tmp_path("y.npy"));
  captured c = run_main(&affine_emb, (char *[]){"./model", in, out, NULL});
  cr_assert_eq(c.rc, 0, "%s", c.err);
  cr_assert_str_eq(c.out, "", "an --output suppresses the default --top printing");
  slimrt_array y;
  char err[256];
  cr_assert_eq(slimrt_npy_read(tmp_path("y.npy"), &y, err, sizeof err), 0, "%s", err);
  cr_assert_eq(y.rank, 2);
  cr_assert_eq(y.dims[1], 4);
  assert_floats(y.data, (float[]){1.5f, 2.5f, 6.5f, 8.5f}, 4);
  slimrt_array_free(&y);
  cr_assert_eq(count_entries(), 2, "temporaries left behind");
}

Test(exe_main, print_and_top, .init = make_tmpdir, .fini = remove_tmpdir) {
  char in[600];
  snprintf(in, sizeof in, "--input=x=%s", x_npy());
  captured c = run_main(&affine_emb, (char *[]){"model", in, "--print", "--top=2", NULL});
  cr_assert_eq(c.rc, 0, "%s", c.err);
  cr_assert_str_eq(c.out, "y\tfloat32\t[1,4]\n1.5\n2.5\n6.5\n8.5\n"
                          "y\tfloat32\t[1,4]\n  3\t8.5\n  2\t6.5\n");
  /* nothing asked for: --top=5, clamped to the 4 entries there are */
  c = run_main(&affine_emb, (char *[]){"model", in, NULL});
  cr_assert_eq(c.rc, 0, "%s", c.err);
  cr_assert_str_eq(c.out, "y\tfloat32\t[1,4]\n  3\t8.5\n  2\t6.5\n  1\t2.5\n  0\t1.5\n");
}

Test(exe_main, bench_line, .init = make_tmpdir, .fini = remove_tmpdir) {
  char in[600];
  snprintf(in, sizeof in, "--input=%s", x_npy());
  captured c = run_main(&affine_emb, (char *[]){"model", in, "--bench=3", "--threads=1", NULL});
  cr_assert_eq(c.rc, 0, "%s", c.err);
  regex_t re;
  cr_assert_eq(regcomp(&re, "^median [0-9]+\\.[0-9]{3} ms  min [0-9]+\\.[0-9]{3} ms  max [0-9]+\\.[0-9]{3} ms  "
                            "\\(3 runs, 1 threads\\)\n$", REG_EXTENDED), 0);
  cr_assert_eq(regexec(&re, c.out, 0, NULL, 0), 0, "bench line: '%s'", c.out);
  regfree(&re);
}

Test(exe_main, random_init_and_checkpoint, .init = make_tmpdir, .fini = remove_tmpdir) {
  char in[600], ck[600];
  snprintf(in, sizeof in, "--input=%s", x_npy());
  captured c = run_main(&affine, (char *[]){"model", in, "--random-init=5", "--print", NULL});
  cr_assert_eq(c.rc, 0, "%s", c.err);
  cr_assert_str_eq(c.out, "y\tfloat32\t[1,4]\n2\n3\n5\n5\n");
  float w[4] = {1, 1, 1, 1}, b[4] = {0, 0, 0, 1};
  snprintf(ck, sizeof ck, "--checkpoint=%s", write_ckpt("ck", SLIMRT_F32, 4, w, b));
  c = run_main(&affine, (char *[]){"model", ck, in, "--print", NULL});
  cr_assert_eq(c.rc, 0, "%s", c.err);
  cr_assert_str_eq(c.out, "y\tfloat32\t[1,4]\n1\n1\n2\n3\n");
}

/* Every failure: one line on stderr naming the file, exit status 1, no output file. */
Test(exe_main, run_errors, .init = make_tmpdir, .fini = remove_tmpdir) {
  char in[600], out[600], ck[600], want[1024];
  double xd[4] = {0};
  const char *bad = tmp_path("xd.npy");
  write_input(bad, SLIMRT_F64, 2, (int64_t[]){1, 4}, xd, sizeof xd);
  snprintf(in, sizeof in, "--input=%s", bad);
  snprintf(out, sizeof out, "--output=%s", tmp_path("y.npy"));
  captured c = run_main(&affine_emb, (char *[]){"model", in, out, NULL});
  cr_assert_eq(c.rc, 1);
  snprintf(want, sizeof want, "model: %s: input 'x' expects float32 [1,4], found float64 [1,4]\n", bad);
  cr_assert_str_eq(c.err, want);

  c = run_main(&affine_emb, (char *[]){"model", "--input=/nonexistent/x.npy", out, NULL});
  cr_assert_eq(c.rc, 1);
  cr_assert_str_eq(c.err, "model: /nonexistent/x.npy: cannot open: No such file or directory\n");

  float w[4] = {1, 2, 3, 4};
  snprintf(ck, sizeof ck, "--checkpoint=%s", write_ckpt("ck", SLIMRT_F32, 4, w, NULL));
  snprintf(in, sizeof in, "--input=%s", x_npy());
  c = run_main(&affine, (char *[]){"model", ck, in, out, NULL});
  cr_assert_eq(c.rc, 1);
  snprintf(want, sizeof want, "model: checkpoint %s: key 'dense/b' not found (needed for variable 'dense/b')\n",
           ck + 13);
  cr_assert_str_eq(c.err, want);
  cr_assert_neq(access(tmp_path("y.npy"), F_OK), 0, "an output file was left behind");
  cr_assert_eq(count_entries(), 4, "xd.npy, x.npy, ck.index and ck.data only");
}

Test(exe_main, usage_errors) {
  static const struct { char *args[4]; const char *msg; } cases[] = {
      {{"--frobnicate"}, "model: unknown option '--frobnicate' (see --help)\n"},
      {{"stray"}, "model: unexpected argument 'stray': give input files as --input=FILE or --input=NAME=FILE (see --help)\n"},
      {{"--top=0", "--input=x.npy"}, "model: --top=0: K must be a positive integer (see --help)\n"},
      {{"--bench=x", "--input=x.npy"}, "model: --bench=x: RUNS must be a positive integer (see --help)\n"},
      {{"--input"}, "model: --input needs a value: write it as OPTION=VALUE (see --help)\n"},
      {{"--input=a.npy", "--input=x=b.npy"}, "model: input 'x' given twice (see --help)\n"},
      {{"--threads=0"}, "model: --threads=0: N must be an integer from 1 to 4096 (see --help)\n"},
      {{"--random-init"}, "model: missing --input=FILE for input 'x' (see --help)\n"},
      {{"--input=x.npy"}, "model: no weights: give --checkpoint=PREFIX or --random-init[=SEED] (this binary has "
                          "none embedded) (see --help)\n"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *argv[6] = {"model"};
    for (int k = 0; k < 4 && cases[i].args[k]; k++) argv[k + 1] = cases[i].args[k];
    captured c = run_main(&affine, argv);
    cr_assert_eq(c.rc, 2, "%s: exit %d", cases[i].args[0], c.rc);
    cr_assert_str_eq(c.err, cases[i].msg);
    cr_assert_str_eq(c.out, "");
  }
  captured c = run_main(&affine_emb, (char *[]){"model", "--checkpoint=ck", "--input=x.npy", NULL});
  cr_assert_eq(c.rc, 2);
  cr_assert_not_null(strstr(c.err, "this binary has embedded weights"), "%s", c.err);
}

/* Two inputs: z = a - b, named on the command line. */
static void sub_run(void *const *io, void *arena, void *const *w, slimrt_pool *pool) {
  const int32_t *a = io[0], *b = io[1];
  int64_t *z = io[2];
  for (int i = 0; i < 3; i++) z[i] = (int64_t)a[i] - b[i];
}
static const slimrt_io_desc sub_in[] = {{"a", {SLIMRT_I32, 1, {3}}}, {"b", {SLIMRT_I32, 1, {3}}}};
static const slimrt_io_desc sub_out[] = {{"z", {SLIMRT_I64, 1, {3}}}};
static const slimrt_entry_desc sub_entry[] = {{"run", sub_run, 2, 1, sub_in, sub_out}};
static const slimrt_model_desc sub = {"sub", 1, sub_entry, 0, NULL, 0, 1};

Test(exe_main, named_inputs, .init = make_tmpdir, .fini = remove_tmpdir) {
  int32_t a[3] = {10, 20, 30}, b[3] = {1, 2, 40};
  char ia[600], ib[600];
  write_input(tmp_path("a.npy"), SLIMRT_I32, 1, (int64_t[]){3}, a, sizeof a);
  write_input(tmp_path("b.npy"), SLIMRT_I32, 1, (int64_t[]){3}, b, sizeof b);
  snprintf(ia, sizeof ia, "--input=a=%s", tmp_path("a.npy"));
  snprintf(ib, sizeof ib, "--input=b=%s", tmp_path("b.npy"));
  captured c = run_main(&sub, (char *[]){"sub", ib, ia, "--top=1", NULL});
  cr_assert_eq(c.rc, 0, "%s", c.err);
  cr_assert_str_eq(c.out, "z\tint64\t[3]\n  1\t18\n");
  c = run_main(&sub, (char *[]){"sub", "--input=a=-", "--input=b=-", NULL});
  cr_assert_eq(c.rc, 2);
  cr_assert_str_eq(c.err, "sub: only one input can be read from standard input ('-') (see --help)\n");
  c = run_main(&sub, (char *[]){"sub", "--input=a.npy", NULL});
  cr_assert_eq(c.rc, 2);
  cr_assert_str_eq(c.err, "sub: --input=a.npy: the model has several inputs; use --input=NAME=FILE (inputs: a, b) "
                          "(see --help)\n");
}

/* An image model: the mean pixel of a uint8 [1,96,96,1] input. */
static void mean_run(void *const *io, void *arena, void *const *w, slimrt_pool *pool) {
  const uint8_t *px = io[0];
  double s = 0;
  for (int i = 0; i < 96 * 96; i++) s += px[i];
  *(float *)io[1] = (float)(s / (96 * 96));
}
static const slimrt_io_desc img_in[] = {{"image", {SLIMRT_U8, 4, {1, 96, 96, 1}}}};
static const slimrt_io_desc img_out[] = {{"mean", F32_SHAPE(1)}};
static const slimrt_entry_desc img_entry[] = {{"run", mean_run, 1, 1, img_in, img_out}};
static const slimrt_model_desc img = {"img", 1, img_entry, 0, NULL, 0, 1};

Test(exe_main, pgm_input) {
  char in[600];
  snprintf(in, sizeof in, "--input=%s/testdata/images/person.pgm", SLIMC_SHARED_DIR);
  captured c = run_main(&img, (char *[]){"img", in, "--print", NULL});
  cr_assert_eq(c.rc, 0, "%s", c.err);
  float mean = 0;
  cr_assert_eq(sscanf(c.out, "mean\tfloat32\t[1]\n%f", &mean), 1, "%s", c.out);
  cr_assert_float_eq(mean, 90.08, 0.01);  /* the images README's statistic */
  /* an image cannot feed a float input */
  c = run_main(&affine_emb, (char *[]){"model", in, NULL});
  cr_assert_eq(c.rc, 1);
  cr_assert_not_null(strstr(c.err, "person.pgm: a PGM/PPM image cannot feed input 'x' (float32 [1,4])"), "%s", c.err);
}

/* --labels: entries named by label, only the first output with that many classes. */
static const char *write_text(const char *name, const char *text) {
  const char *p = tmp_path(name);
  FILE *f = fopen(p, "wb");
  cr_assert_not_null(f);
  fputs(text, f);
  fclose(f);
  return p;
}

Test(exe_main, labels, .init = make_tmpdir, .fini = remove_tmpdir) {
  char in[600], lab[600];
  snprintf(in, sizeof in, "--input=%s", x_npy());
  /* CRLF line ends and no newline after the last label */
  snprintf(lab, sizeof lab, "--labels=%s", write_text("labels.txt", "ant\r\nbee\ncat\ndog"));
  captured c = run_main(&affine_emb, (char *[]){"model", in, lab, "--top=2", NULL});
  cr_assert_eq(c.rc, 0, "%s", c.err);
  cr_assert_str_eq(c.out, "dog 8.5\ncat 6.5\n");
  /* without --top: the default top 5, clamped to the 4 classes */
  c = run_main(&affine_emb, (char *[]){"model", in, lab, NULL});
  cr_assert_eq(c.rc, 0, "%s", c.err);
  cr_assert_str_eq(c.out, "dog 8.5\ncat 6.5\nbee 2.5\nant 1.5\n");
  /* --print keeps its format beside the labelled top */
  c = run_main(&affine_emb, (char *[]){"model", in, lab, "--top=1", "--print", NULL});
  cr_assert_eq(c.rc, 0, "%s", c.err);
  cr_assert_str_eq(c.out, "y\tfloat32\t[1,4]\n1.5\n2.5\n6.5\n8.5\ndog 8.5\n");
}

Test(exe_main, labels_errors, .init = make_tmpdir, .fini = remove_tmpdir) {
  char in[600], lab[600], want[1024];
  snprintf(in, sizeof in, "--input=%s", x_npy());
  const char *three = write_text("three.txt", "a\nb\nc\n");
  snprintf(lab, sizeof lab, "--labels=%s", three);
  captured c = run_main(&affine_emb, (char *[]){"model", in, lab, NULL});
  cr_assert_eq(c.rc, 1);
  snprintf(want, sizeof want, "model: %s: 3 labels, but no output has 3 entries along its last axis "
           "(outputs: y [1,4])\n", three);
  cr_assert_str_eq(c.err, want);
  cr_assert_str_eq(c.out, "");
  const char *empty = write_text("empty.txt", "");
  snprintf(lab, sizeof lab, "--labels=%s", empty);
  c = run_main(&affine_emb, (char *[]){"model", in, lab, NULL});
  cr_assert_eq(c.rc, 1);
  snprintf(want, sizeof want, "model: %s: no labels (expected one label a line)\n", empty);
  cr_assert_str_eq(c.err, want);
  c = run_main(&affine_emb, (char *[]){"model", in, "--labels=/nonexistent/labels.txt", NULL});
  cr_assert_eq(c.rc, 1);
  cr_assert_str_eq(c.err, "model: /nonexistent/labels.txt: cannot open: No such file or directory\n");
  c = run_main(&affine_emb, (char *[]){"model", in, "--labels", NULL});
  cr_assert_eq(c.rc, 2);
  cr_assert_str_eq(c.err, "model: --labels needs a value: write it as OPTION=VALUE (see --help)\n");
}
