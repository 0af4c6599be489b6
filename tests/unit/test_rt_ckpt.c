/* Checkpoint reader/writer, CRC32C and Snappy (runtime/src/ckpt_*.c, crc32c.c, snappy.c).
 * The real checkpoints are checked against the facts in their README.md (parsed at
 * test time: every key, dtype, shape, first element and sum). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "slimrt.h"

#define CKPTS SLIMC_SHARED_DIR "/testdata/tf-checkpoints"

#include "tmpdir.h"

static unsigned char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f, "cannot open %s", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *b = malloc((size_t)n + 1);
  cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  *len = (size_t)n;
  return b;
}

static void spit(const char *path, const void *b, size_t n) {
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f);
  cr_assert_eq(fwrite(b, 1, n, f), n);
  fclose(f);
}

/* ---- crc32c and snappy ---------------------------------------------------- */

Test(crc32c, check_value_and_mask) {
  cr_assert_eq(slimrt_crc32c(0, "123456789", 9), 0xE3069283u);
  cr_assert_eq(slimrt_crc32c(slimrt_crc32c(0, "1234", 4), "56789", 5), 0xE3069283u);
  cr_assert_eq(slimrt_crc32c_mask(0), 0xa282ead8u);
  cr_assert_eq(slimrt_crc32c_mask(slimrt_crc32c(0, "\0\0\0\0", 4)), 0x3a117ba6u);
  for (uint32_t x = 1; x < 0xf0000000u; x += 0x0fedcba7u)
    cr_assert_eq(slimrt_crc32c_unmask(slimrt_crc32c_mask(x)), x);
  /* a long unaligned buffer: the 8-byte path must agree with the byte path */
  unsigned char buf[1001];
  for (int i = 0; i < 1001; i++) buf[i] = (unsigned char)(i * 7 + 3);
  uint32_t whole = slimrt_crc32c(0, buf + 1, 1000), parts = 0;
  for (int i = 0; i < 1000; i++) parts = slimrt_crc32c(parts, buf + 1 + i, 1);
  cr_assert_eq(whole, parts);
}

Test(snappy, literal_and_copies) {
  /* "abcabcabcabc" + "xyzw" x3: literal, copy-1 (overlapping), literal, copy-2 */
  const unsigned char in[] = {24, 0x08, 'a', 'b', 'c', 0x15, 0x03, 0x0c, 'x', 'y', 'z', 'w', 0x1e, 0x04, 0x00};
  size_t n;
  cr_assert_eq(slimrt_snappy_uncompressed_length(in, sizeof in, &n), 0);
  cr_assert_eq(n, 24);
  char out[24];
  cr_assert_eq(slimrt_snappy_decompress(in, sizeof in, out, sizeof out), 0);
  cr_assert_eq(memcmp(out, "abcabcabcabcxyzwxyzwxyzw", 24), 0);
  cr_assert_eq(slimrt_snappy_decompress(in, sizeof in, out, 23), -1);   /* output too small */
  cr_assert_eq(slimrt_snappy_decompress(in, sizeof in - 1, out, 24), -1); /* truncated */
  const unsigned char bad_off[] = {8, 0x00, 'a', 0x15, 0x05};               /* offset past start */
  cr_assert_eq(slimrt_snappy_decompress(bad_off, sizeof bad_off, out, 8), -1);
  const unsigned char zero_off[] = {5, 0x00, 'a', 0x01, 0x00};
  cr_assert_eq(slimrt_snappy_decompress(zero_off, sizeof zero_off, out, 5), -1);
  const unsigned char bad_len[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  cr_assert_eq(slimrt_snappy_uncompressed_length(bad_len, sizeof bad_len, &n), -1);
}

/* ---- real checkpoints against their README facts --------------------------- */

static int dtype_of(const char *s) {
  static const struct { const char *n; int d; } t[] = {
      {"float", 1}, {"double", 2}, {"int32", 3}, {"uint8", 4}, {"int16", 5}, {"int8", 6},
      {"string", 7}, {"int64", 9}, {"bool", 10}, {"bfloat16", 14}, {"half", 19}};
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
    if (!strcmp(s, t[i].n)) return t[i].d;
  return -1;
}

static void fmt_shape(char *b, size_t n, const slimrt_ckpt_entry *e) {
  size_t o = (size_t)snprintf(b, n, "[");
  for (int i = 0; i < e->rank; i++) o += (size_t)snprintf(b + o, n - o, "%s%lld", i ? ", " : "", (long long)e->dims[i]);
  snprintf(b + o, n - o, "]");
}

static double elem(const slimrt_ckpt_entry *e, const unsigned char *p, int64_t i) {
  switch (e->dtype) {
  case 1: { float f; memcpy(&f, p + 4 * i, 4); return f; }
  case 2: { double f; memcpy(&f, p + 8 * i, 8); return f; }
  case 3: { int32_t v; memcpy(&v, p + 4 * i, 4); return v; }
  case 9: { int64_t v; memcpy(&v, p + 8 * i, 8); return (double)v; }
  default: cr_assert_fail("unexpected dtype %d in %s", e->dtype, e->key); return 0;
  }
}

static int near(double got, double want, double scale) {
  return fabs(got - want) <= 2e-6 * fabs(want) + 1e-12 * scale + 1e-37;
}

/* Checks every table of one README; returns the number of tensors checked. */
static int check_readme(const char *dir) {
  char path[512], line[4096], prefix[512] = "";
  snprintf(path, sizeof path, "%s/README.md", dir);
  FILE *f = fopen(path, "r");
  cr_assert_not_null(f, "%s", path);
  slimrt_ckpt *ck = NULL;
  int checked = 0, rows = 0;
  char err[512];
  while (fgets(line, sizeof line, f)) {
    char rel[256];
    int count;
    if (sscanf(line, "## Decoded index: `%255[^`]`", rel) == 1) {
      if (ck) slimrt_ckpt_close(ck);
      snprintf(prefix, sizeof prefix, "%s/%s", dir, rel);
      ck = slimrt_ckpt_open(prefix, err, sizeof err);
      cr_assert_not_null(ck, "%s", err);
      rows = 0;
      continue;
    }
    if (sscanf(line, "Tensor count (excluding header): %d", &count) == 1) {
      cr_assert_eq(slimrt_ckpt_count(ck), count, "%s", prefix);
      cr_assert_eq(rows, count, "%s: README rows", prefix);
      continue;
    }
    /* | # | `key` | dtype | [shape] | shard | offset | size | crc | check | first | sum | */
    char key[512], dt[32], shape[256], first[64] = "", sum[64] = "";
    int num;
    if (!ck || sscanf(line, "| %d | `%511[^`]` | %31s | %255[^|]|", &num, key, dt, shape) != 4) continue;
    char *cells[16];
    int nc = 0;
    for (char *c = strtok(line, "|"); c && nc < 16; c = strtok(NULL, "|")) cells[nc++] = c;
    cr_assert_geq(nc, 11);
    sscanf(cells[9], "%63s", first);
    sscanf(cells[10], "%63s", sum);
    shape[strlen(shape) - 1] = 0; /* drop the space before '|' */
    rows++;
    const slimrt_ckpt_entry *e = slimrt_ckpt_find(ck, key);
    cr_assert_not_null(e, "%s: key %s", prefix, key);
    cr_assert_eq(e->dtype, dtype_of(dt), "%s: %s dtype", prefix, key);
    char sh[256];
    fmt_shape(sh, sizeof sh, e);
    cr_assert_str_eq(sh, shape, "%s: %s shape", prefix, key);
    if (e->dtype == 7) {
      cr_assert_eq(slimrt_ckpt_read(ck, e, NULL, 0, err, sizeof err), -1);
      cr_assert(strstr(err, "dtype string, which cannot be loaded"), "%s", err);
      checked++;
      continue;
    }
    int64_t n = 1;
    for (int i = 0; i < e->rank; i++) n *= e->dims[i];
    size_t esz = e->dtype == 2 || e->dtype == 9 ? 8 : 4;
    unsigned char *buf = malloc((size_t)n * esz + 1);
    cr_assert_eq(slimrt_ckpt_read(ck, e, buf, (size_t)n * esz, err, sizeof err), 0, "%s", err);
    double s = 0, sa = 0;
    for (int64_t i = 0; i < n; i++) {
      double v = elem(e, buf, i);
      s += v;
      sa += fabs(v);
    }
    if (n > 0) {
      double f0 = elem(e, buf, 0);
      cr_assert(near(f0, atof(first), fabs(f0)), "%s: %s first %.9g, README %s", prefix, key, f0, first);
      cr_assert(near(s, atof(sum), sa), "%s: %s sum %.9g, README %s", prefix, key, s, sum);
    }
    /* the float32 view agrees with the raw one */
    float *fv = malloc((size_t)n * 4 + 4);
    cr_assert_eq(slimrt_ckpt_read_f32(ck, e, fv, (size_t)n, err, sizeof err), 0, "%s", err);
    if (n > 0) cr_assert_eq(fv[n - 1], (float)elem(e, buf, n - 1));
    free(fv);
    free(buf);
    checked++;
  }
  fclose(f);
  if (ck) slimrt_ckpt_close(ck);
  return checked;
}

Test(ckpt, every_real_checkpoint_matches_its_readme) {
  static const char *dirs[] = {"vww-mobilenet-v1-025", "pku-mnist-mlp-ema", "lenet-mnist-tflayers",
                               "dnn-mnist-weights-biases", "carnd-traffic-sign-tf012", "tf-serving-testdata"};
  int total = 0;
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
    char d[512];
    snprintf(d, sizeof d, "%s/%s", CKPTS, dirs[i]);
    total += check_readme(d);
  }
  cr_assert_eq(total, 582, "tensors checked: %d", total); /* the count the top README gives */
}

Test(ckpt, directory_resolves_through_checkpoint_file) {
  char err[512];
  slimrt_ckpt *ck = slimrt_ckpt_open(CKPTS "/vww-mobilenet-v1-025/", err, sizeof err);
  cr_assert_not_null(ck, "%s", err);
  const char *p = slimrt_ckpt_prefix(ck);
  cr_assert(strstr(p, "vww-mobilenet-v1-025/model.ckpt-963849"), "%s", p);
  cr_assert_eq(slimrt_ckpt_count(ck), 441);
  const slimrt_ckpt_entry *e = slimrt_ckpt_find(ck, "global_step");
  cr_assert_not_null(e);
  int64_t step;
  cr_assert_eq(slimrt_ckpt_read(ck, e, &step, 8, err, sizeof err), 0, "%s", err);
  cr_assert_eq(step, 963849);
  cr_assert_null(slimrt_ckpt_find(ck, "MobilenetV1/no_such_tensor"));
  cr_assert_null(slimrt_ckpt_find(ck, ""));
  /* entries come sorted bytewise */
  for (int i = 1; i < slimrt_ckpt_count(ck); i++)
    cr_assert_lt(strcmp(slimrt_ckpt_entry_at(ck, i - 1)->key, slimrt_ckpt_entry_at(ck, i)->key), 0);
  cr_assert_null(slimrt_ckpt_entry_at(ck, 441));
  slimrt_ckpt_close(ck);
}

/* ---- writer -> reader round trips ------------------------------------------ */

TestSuite(ckpt_write, .init = make_tmpdir, .fini = remove_tmpdir);

Test(ckpt_write, every_dtype_round_trips) {
  static const int dts[] = {SLIMRT_F32, SLIMRT_F64, SLIMRT_I32, SLIMRT_U8, SLIMRT_I16, SLIMRT_I8, SLIMRT_I64,
                            SLIMRT_BOOL, SLIMRT_BF16, SLIMRT_U16, SLIMRT_F16, SLIMRT_U32, SLIMRT_U64};
  static const int sizes[] = {4, 8, 4, 1, 2, 1, 8, 1, 2, 2, 2, 4, 8};
  enum { ND = sizeof dts / sizeof dts[0] };
  char prefix[300], err[512], key[32];
  snprintf(prefix, sizeof prefix, "%s/all", tmpdir);
  slimrt_ckpt_writer *w = slimrt_ckpt_writer_new(prefix, 1, err, sizeof err);
  cr_assert_not_null(w, "%s", err);
  unsigned char data[ND][2 * 3 * 8];
  int64_t dims[2] = {2, 3};
  for (int d = 0; d < ND; d++) {
    for (size_t i = 0; i < sizeof data[d]; i++) data[d][i] = (unsigned char)(d * 31 + i * 5);
    if (dts[d] == SLIMRT_BOOL) for (int i = 0; i < 6; i++) data[d][i] &= 1;
    snprintf(key, sizeof key, "t%02d", dts[d]);
    cr_assert_eq(slimrt_ckpt_writer_add(w, key, dts[d], 2, dims, data[d], 0, err, sizeof err), 0, "%s", err);
  }
  float scalar = 42.5f;
  cr_assert_eq(slimrt_ckpt_writer_add(w, "scalar", SLIMRT_F32, 0, NULL, &scalar, 0, err, sizeof err), 0);
  cr_assert_eq(slimrt_ckpt_writer_add(w, "empty", SLIMRT_F32, 1, (int64_t[]){0}, NULL, 0, err, sizeof err), 0);
  cr_assert_eq(slimrt_ckpt_writer_finish(w, err, sizeof err), 0, "%s", err);
  cr_assert_eq(count_entries(), 2); /* .index + one data file, no temporaries */

  slimrt_ckpt *ck = slimrt_ckpt_open(prefix, err, sizeof err);
  cr_assert_not_null(ck, "%s", err);
  cr_assert_eq(slimrt_ckpt_count(ck), ND + 2);
  for (int d = 0; d < ND; d++) {
    snprintf(key, sizeof key, "t%02d", dts[d]);
    const slimrt_ckpt_entry *e = slimrt_ckpt_find(ck, key);
    cr_assert_not_null(e, "%s", key);
    cr_assert_eq(e->dtype, dts[d]);
    cr_assert_eq(e->rank, 2);
    cr_assert_eq(e->dims[1], 3);
    unsigned char back[48];
    cr_assert_eq(slimrt_ckpt_read(ck, e, back, 6 * (size_t)sizes[d], err, sizeof err), 0, "%s", err);
    cr_assert_eq(memcmp(back, data[d], 6 * (size_t)sizes[d]), 0, "%s", key);
    /* wrong buffer size is refused, naming the key */
    cr_assert_eq(slimrt_ckpt_read(ck, e, back, 5, err, sizeof err), -1);
    cr_assert(strstr(err, key), "%s", err);
    float f[6];
    cr_assert_eq(slimrt_ckpt_read_f32(ck, e, f, 6, err, sizeof err), 0, "%s", err);
  }
  float v;
  cr_assert_eq(slimrt_ckpt_read_f32(ck, slimrt_ckpt_find(ck, "scalar"), &v, 1, err, sizeof err), 0);
  cr_assert_eq(v, 42.5f);
  const slimrt_ckpt_entry *e0 = slimrt_ckpt_find(ck, "empty");
  cr_assert_eq(e0->rank, 1);
  cr_assert_eq(slimrt_ckpt_read(ck, e0, NULL, 0, err, sizeof err), 0, "%s", err);
  slimrt_ckpt_close(ck);
}

Test(ckpt_write, f32_conversions) {
  char prefix[300], err[512];
  snprintf(prefix, sizeof prefix, "%s/conv", tmpdir);
  slimrt_ckpt_writer *w = slimrt_ckpt_writer_new(prefix, 1, err, sizeof err);
  int64_t d4[1] = {4};
  uint16_t half[4] = {0x3c00, 0xc000, 0x0001, 0x7c00};   /* 1, -2, smallest subnormal, inf */
  uint16_t bf[4] = {0x3f80, 0xbfc0, 0x4049, 0x0000};     /* 1, -1.5, 3.140625, 0 */
  double dbl[4] = {0.25, -1e10, 3.5, 1e-3};
  int64_t i64[4] = {-7, 1 << 20, 0, 963849};
  int8_t i8[4] = {-128, 127, 0, -1};
  cr_assert_eq(slimrt_ckpt_writer_add(w, "h", SLIMRT_F16, 1, d4, half, 0, err, sizeof err), 0);
  cr_assert_eq(slimrt_ckpt_writer_add(w, "b", SLIMRT_BF16, 1, d4, bf, 0, err, sizeof err), 0);
  cr_assert_eq(slimrt_ckpt_writer_add(w, "d", SLIMRT_F64, 1, d4, dbl, 0, err, sizeof err), 0);
  cr_assert_eq(slimrt_ckpt_writer_add(w, "l", SLIMRT_I64, 1, d4, i64, 0, err, sizeof err), 0);
  cr_assert_eq(slimrt_ckpt_writer_add(w, "c", SLIMRT_I8, 1, d4, i8, 0, err, sizeof err), 0);
  cr_assert_eq(slimrt_ckpt_writer_finish(w, err, sizeof err), 0, "%s", err);
  slimrt_ckpt *ck = slimrt_ckpt_open(prefix, err, sizeof err);
  cr_assert_not_null(ck, "%s", err);
  float f[4];
  cr_assert_eq(slimrt_ckpt_read_f32(ck, slimrt_ckpt_find(ck, "h"), f, 4, err, sizeof err), 0);
  cr_assert(f[0] == 1.0f && f[1] == -2.0f && f[2] == 5.9604644775390625e-08f && isinf(f[3]));
  cr_assert_eq(slimrt_ckpt_read_f32(ck, slimrt_ckpt_find(ck, "b"), f, 4, err, sizeof err), 0);
  cr_assert(f[0] == 1.0f && f[1] == -1.5f && f[2] == 3.140625f && f[3] == 0.0f);
  cr_assert_eq(slimrt_ckpt_read_f32(ck, slimrt_ckpt_find(ck, "d"), f, 4, err, sizeof err), 0);
  cr_assert(f[0] == 0.25f && f[1] == -1e10f && f[2] == 3.5f && f[3] == 1e-3f);
  cr_assert_eq(slimrt_ckpt_read_f32(ck, slimrt_ckpt_find(ck, "l"), f, 4, err, sizeof err), 0);
  cr_assert(f[0] == -7.0f && f[1] == 1048576.0f && f[2] == 0.0f && f[3] == 963849.0f);
  cr_assert_eq(slimrt_ckpt_read_f32(ck, slimrt_ckpt_find(ck, "c"), f, 4, err, sizeof err), 0);
  cr_assert(f[0] == -128.0f && f[1] == 127.0f && f[2] == 0.0f && f[3] == -1.0f);
  cr_assert_eq(slimrt_ckpt_read_f32(ck, slimrt_ckpt_find(ck, "c"), f, 3, err, sizeof err), -1);
  slimrt_ckpt_close(ck);
}

Test(ckpt_write, three_shards) {
  char prefix[300], err[512], key[32], path[400];
  snprintf(prefix, sizeof prefix, "%s/sh", tmpdir);
  slimrt_ckpt_writer *w = slimrt_ckpt_writer_new(prefix, 3, err, sizeof err);
  cr_assert_not_null(w, "%s", err);
  float v[10];
  for (int k = 0; k < 30; k++) {
    for (int i = 0; i < 10; i++) v[i] = (float)(k * 100 + i);
    snprintf(key, sizeof key, "layer%d/w", k);
    cr_assert_eq(slimrt_ckpt_writer_add(w, key, SLIMRT_F32, 1, (int64_t[]){10}, v, k, err, sizeof err), 0);
  }
  cr_assert_eq(slimrt_ckpt_writer_finish(w, err, sizeof err), 0, "%s", err);
  cr_assert_eq(count_entries(), 4);
  for (int s = 0; s < 3; s++) {
    snprintf(path, sizeof path, "%s.data-%05d-of-00003", prefix, s);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0, "%s", path);
    cr_assert_eq(st.st_size, 10 * 40);
  }
  slimrt_ckpt *ck = slimrt_ckpt_open(prefix, err, sizeof err);
  cr_assert_not_null(ck, "%s", err);
  for (int k = 0; k < 30; k++) {
    snprintf(key, sizeof key, "layer%d/w", k);
    const slimrt_ckpt_entry *e = slimrt_ckpt_find(ck, key);
    cr_assert_not_null(e);
    cr_assert_eq(e->shard_id, k % 3);
    cr_assert_eq(slimrt_ckpt_read_f32(ck, e, v, 10, err, sizeof err), 0, "%s", err);
    cr_assert_eq(v[9], (float)(k * 100 + 9));
  }
  slimrt_ckpt_close(ck);
  /* a missing shard is named */
  snprintf(path, sizeof path, "%s.data-00001-of-00003", prefix);
  unlink(path);
  cr_assert_null(slimrt_ckpt_open(prefix, err, sizeof err));
  char want[600];
  snprintf(want, sizeof want, "%s: cannot open data shard 1 of 3: No such file or directory", path);
  cr_assert_str_eq(err, want);
}

Test(ckpt_write, index_with_several_blocks) {
  char prefix[300], err[512], key[128], path[400];
  snprintf(prefix, sizeof prefix, "%s/big", tmpdir);
  slimrt_ckpt_writer *w = slimrt_ckpt_writer_new(prefix, 2, err, sizeof err);
  enum { N = 6000 };
  for (int k = N - 1; k >= 0; k--) { /* added in reverse: the writer sorts */
    snprintf(key, sizeof key, "model/block_%05d/some_rather_long_layer_name/BatchNorm/moving_variance", k);
    int32_t v = k;
    cr_assert_eq(slimrt_ckpt_writer_add(w, key, SLIMRT_I32, 0, NULL, &v, k, err, sizeof err), 0, "%s", err);
  }
  cr_assert_eq(slimrt_ckpt_writer_finish(w, err, sizeof err), 0, "%s", err);
  snprintf(path, sizeof path, "%s.index", prefix);
  struct stat st;
  cr_assert_eq(stat(path, &st), 0);
  cr_assert_gt(st.st_size, 262144, "index is only %lld bytes", (long long)st.st_size);
  /* the index block (found through the footer) has more than one entry */
  size_t len;
  unsigned char *b = slurp(path, &len);
  const unsigned char *foot = b + len - 48;
  size_t i = 0;
  uint64_t h[4] = {0};
  for (int f = 0; f < 4; f++)
    for (int s = 0;; s += 7) {
      h[f] |= (uint64_t)(foot[i] & 0x7f) << s;
      if (!(foot[i++] & 0x80)) break;
    }
  uint32_t nr;
  memcpy(&nr, b + h[2] + h[3] - 4, 4);
  cr_assert_geq(nr, 2, "index block restarts: %u", nr);
  free(b);
  slimrt_ckpt *ck = slimrt_ckpt_open(prefix, err, sizeof err);
  cr_assert_not_null(ck, "%s", err);
  cr_assert_eq(slimrt_ckpt_count(ck), N);
  for (int k = 0; k < N; k += 7) {
    snprintf(key, sizeof key, "model/block_%05d/some_rather_long_layer_name/BatchNorm/moving_variance", k);
    const slimrt_ckpt_entry *e = slimrt_ckpt_find(ck, key);
    cr_assert_not_null(e, "%s", key);
    int32_t v;
    cr_assert_eq(slimrt_ckpt_read(ck, e, &v, 4, err, sizeof err), 0, "%s", err);
    cr_assert_eq(v, k);
  }
  slimrt_ckpt_close(ck);
}

Test(ckpt_write, partitioned_variable_reassembled) {
  char prefix[300], err[512];
  snprintf(prefix, sizeof prefix, "%s/part", tmpdir);
  slimrt_ckpt_writer *w = slimrt_ckpt_writer_new(prefix, 2, err, sizeof err);
  float full[4][6];
  for (int r = 0; r < 4; r++) for (int c = 0; c < 6; c++) full[r][c] = (float)(r * 10 + c);
  int64_t dims[2] = {4, 6};
  /* rows 0-2 full width (length -1), then row 3 as two column pieces (offsets >= 64 would
     need the long OrderedCode form, so also a big tensor below) */
  cr_assert_eq(slimrt_ckpt_writer_add_slice(w, "emb", SLIMRT_F32, 2, dims, (int64_t[]){0, 0}, (int64_t[]){3, -1},
                                            full, 0, err, sizeof err), 0, "%s", err);
  cr_assert_eq(slimrt_ckpt_writer_add_slice(w, "emb", SLIMRT_F32, 2, dims, (int64_t[]){3, 0}, (int64_t[]){1, 2},
                                            &full[3][0], 1, err, sizeof err), 0, "%s", err);
  cr_assert_eq(slimrt_ckpt_writer_add_slice(w, "emb", SLIMRT_F32, 2, dims, (int64_t[]){3, 2}, (int64_t[]){1, 4},
                                            &full[3][2], 0, err, sizeof err), 0, "%s", err);
  enum { BIG = 300 };
  static int32_t big[BIG];
  for (int i = 0; i < BIG; i++) big[i] = i * 3;
  cr_assert_eq(slimrt_ckpt_writer_add_slice(w, "big", SLIMRT_I32, 1, (int64_t[]){BIG}, (int64_t[]){0},
                                            (int64_t[]){100}, big, 0, err, sizeof err), 0);
  cr_assert_eq(slimrt_ckpt_writer_add_slice(w, "big", SLIMRT_I32, 1, (int64_t[]){BIG}, (int64_t[]){100},
                                            (int64_t[]){-1}, big + 100, 1, err, sizeof err), 0);
  cr_assert_eq(slimrt_ckpt_writer_add(w, "plain", SLIMRT_F32, 0, NULL, &full[1][1], 0, err, sizeof err), 0);
  cr_assert_eq(slimrt_ckpt_writer_finish(w, err, sizeof err), 0, "%s", err);

  slimrt_ckpt *ck = slimrt_ckpt_open(prefix, err, sizeof err);
  cr_assert_not_null(ck, "%s", err);
  cr_assert_eq(slimrt_ckpt_count(ck), 3); /* slice-data keys are hidden */
  const slimrt_ckpt_entry *e = slimrt_ckpt_find(ck, "emb");
  cr_assert_not_null(e);
  cr_assert_eq(e->nslices, 3);
  float back[4][6];
  memset(back, 0, sizeof back);
  cr_assert_eq(slimrt_ckpt_read(ck, e, back, sizeof back, err, sizeof err), 0, "%s", err);
  cr_assert_eq(memcmp(back, full, sizeof full), 0);
  static int32_t bigback[BIG];
  cr_assert_eq(slimrt_ckpt_read(ck, slimrt_ckpt_find(ck, "big"), bigback, sizeof bigback, err, sizeof err), 0,
               "%s", err);
  cr_assert_eq(memcmp(big, bigback, sizeof big), 0);
  slimrt_ckpt_close(ck);
}

Test(ckpt_write, failures_leave_nothing_behind) {
  char prefix[300], err[512];
  snprintf(prefix, sizeof prefix, "%s/dup", tmpdir);
  slimrt_ckpt_writer *w = slimrt_ckpt_writer_new(prefix, 2, err, sizeof err);
  float v = 1;
  cr_assert_eq(slimrt_ckpt_writer_add(w, "a", SLIMRT_F32, 0, NULL, &v, 0, err, sizeof err), 0);
  cr_assert_eq(slimrt_ckpt_writer_add(w, "a", SLIMRT_F32, 0, NULL, &v, 1, err, sizeof err), 0);
  cr_assert_eq(slimrt_ckpt_writer_add(w, "s", SLIMRT_STRING, 0, NULL, &v, 1, err, sizeof err), -1);
  cr_assert(strstr(err, "tensor 's': dtype 7 cannot be written"), "%s", err);
  cr_assert_eq(slimrt_ckpt_writer_finish(w, err, sizeof err), -1);
  char want[400];
  snprintf(want, sizeof want, "%s.index: tensor 'a' was added twice", prefix);
  cr_assert_str_eq(err, want);
  cr_assert_eq(count_entries(), 0);
  w = slimrt_ckpt_writer_new(prefix, 1, err, sizeof err);
  cr_assert_eq(slimrt_ckpt_writer_add(w, "a", SLIMRT_F32, 0, NULL, &v, 0, err, sizeof err), 0);
  slimrt_ckpt_writer_abort(w);
  cr_assert_eq(count_entries(), 0);
  cr_assert_null(slimrt_ckpt_writer_new("/nonexistent-dir/x", 1, err, sizeof err));
  cr_assert_str_eq(err, "/nonexistent-dir/x.data-00000-of-00001: cannot create: No such file or directory");
}

/* ---- corrupt inputs ----------------------------------------------------------- */

TestSuite(ckpt_corrupt, .init = make_tmpdir, .fini = remove_tmpdir);

/* Copies the 1-tensor `counter` bundle (the format notes' worked example) to tmpdir/c. */
static void copy_counter(char *prefix, size_t n) {
  static const char *src = CKPTS "/tf-serving-testdata/saved_model_counter/00000123/variables/variables";
  const char *sfx[] = {".index", ".data-00000-of-00001"};
  snprintf(prefix, n, "%s/c", tmpdir);
  for (int i = 0; i < 2; i++) {
    char a[512], b[512];
    size_t len;
    snprintf(a, sizeof a, "%s%s", src, sfx[i]);
    snprintf(b, sizeof b, "%s%s", prefix, sfx[i]);
    unsigned char *buf = slurp(a, &len);
    spit(b, buf, len);
    free(buf);
  }
}

static void patch(const char *prefix, const char *sfx, long off, unsigned char x, long truncate_to) {
  char p[512];
  size_t len;
  snprintf(p, sizeof p, "%s%s", prefix, sfx);
  unsigned char *b = slurp(p, &len);
  if (off >= 0) b[off < 0 ? 0 : off] ^= x;
  spit(p, b, truncate_to >= 0 ? (size_t)truncate_to : len);
  free(b);
}

static void expect_open_error(const char *prefix, const char *fmt_suffix) {
  char err[512], want[600];
  cr_assert_null(slimrt_ckpt_open(prefix, err, sizeof err));
  snprintf(want, sizeof want, "%s.index: %s", prefix, fmt_suffix);
  cr_assert_str_eq(err, want);
  cr_assert_null(strchr(err, '\n'));
}

static void expect_read_error(const char *prefix, const char *want_suffix) {
  char err[512], want[600];
  slimrt_ckpt *ck = slimrt_ckpt_open(prefix, err, sizeof err);
  cr_assert_not_null(ck, "%s", err);
  float v;
  cr_assert_eq(slimrt_ckpt_read_f32(ck, slimrt_ckpt_find(ck, "counter"), &v, 1, err, sizeof err), -1);
  snprintf(want, sizeof want, "%s%s", prefix, want_suffix);
  cr_assert_str_eq(err, want);
  slimrt_ckpt_close(ck);
}

Test(ckpt_corrupt, pristine_copy_reads) {
  char prefix[300], err[512];
  copy_counter(prefix, sizeof prefix);
  slimrt_ckpt *ck = slimrt_ckpt_open(prefix, err, sizeof err);
  cr_assert_not_null(ck, "%s", err);
  float v = 1;
  cr_assert_eq(slimrt_ckpt_read_f32(ck, slimrt_ckpt_find(ck, "counter"), &v, 1, err, sizeof err), 0);
  cr_assert_eq(v, 0.0f);
  slimrt_ckpt_close(ck);
}

Test(ckpt_corrupt, flipped_index_byte) {
  char prefix[300];
  copy_counter(prefix, sizeof prefix);
  patch(prefix, ".index", 0x0c, 0x01, -1); /* inside the key "counter" */
  expect_open_error(prefix, "block at offset 0: CRC mismatch (stored 0xdac3e846, computed 0x84fd7ae6); "
                            "the index file is corrupt");
}

Test(ckpt_corrupt, flipped_index_block_byte) {
  char prefix[300], err[512];
  copy_counter(prefix, sizeof prefix);
  patch(prefix, ".index", 0x3b, 0x10, -1); /* the index block's handle */
  cr_assert_null(slimrt_ckpt_open(prefix, err, sizeof err));
  cr_assert(strstr(err, ".index: block at offset 56: CRC mismatch"), "%s", err);
}

Test(ckpt_corrupt, flipped_tensor_byte) {
  char prefix[300];
  copy_counter(prefix, sizeof prefix);
  patch(prefix, ".data-00000-of-00001", 2, 0x40, -1);
  expect_read_error(prefix, ".data-00000-of-00001: tensor 'counter': CRC32C mismatch (stored 0x48674bc7, "
                            "computed 0xb7708dc3); the data is corrupt");
}

Test(ckpt_corrupt, truncated_data) {
  char prefix[300];
  copy_counter(prefix, sizeof prefix);
  patch(prefix, ".data-00000-of-00001", -1, 0, 3);
  expect_read_error(prefix, ".data-00000-of-00001: tensor 'counter': bytes [0, +4) lie outside the 3-byte "
                            "file (truncated?)");
}

Test(ckpt_corrupt, truncated_index) {
  char prefix[300];
  copy_counter(prefix, sizeof prefix);
  patch(prefix, ".index", -1, 0, 100);
  expect_open_error(prefix, "not a checkpoint index (bad table magic number)");
  patch(prefix, ".index", -1, 0, 20);
  expect_open_error(prefix, "file is too short to be a checkpoint index (20 bytes)");
}

Test(ckpt_corrupt, wrong_magic) {
  char prefix[300];
  copy_counter(prefix, sizeof prefix);
  patch(prefix, ".index", 122, 0xff, -1);
  expect_open_error(prefix, "not a checkpoint index (bad table magic number)");
}

Test(ckpt_corrupt, missing_files) {
  char prefix[300], path[400], err[512], want[600];
  copy_counter(prefix, sizeof prefix);
  snprintf(path, sizeof path, "%s.data-00000-of-00001", prefix);
  unlink(path);
  cr_assert_null(slimrt_ckpt_open(prefix, err, sizeof err));
  snprintf(want, sizeof want, "%s: cannot open data shard 0 of 1: No such file or directory", path);
  cr_assert_str_eq(err, want);
  cr_assert_null(slimrt_ckpt_open(CKPTS "/no-such-prefix", err, sizeof err));
  cr_assert_str_eq(err, CKPTS "/no-such-prefix.index: cannot open: No such file or directory");
  cr_assert_null(slimrt_ckpt_open(tmpdir, err, sizeof err));
  snprintf(want, sizeof want, "%s: is a directory without a 'checkpoint' file", tmpdir);
  cr_assert_str_eq(err, want);
}

/* A hand-built single-block table (restart interval 1) holding ENTRIES, so that
   entries can carry values no writer would produce. */
static void build_index(const char *prefix, const unsigned char *const *vals, const size_t *vlens,
                        const char *const *keys, int n) {
  unsigned char b[4096];
  size_t o = 0;
  uint32_t restarts[64];
  for (int i = 0; i < n; i++) {
    restarts[i] = (uint32_t)o;
    size_t kl = strlen(keys[i]);
    b[o++] = 0, b[o++] = (unsigned char)kl, b[o++] = (unsigned char)vlens[i];
    memcpy(b + o, keys[i], kl), o += kl;
    memcpy(b + o, vals[i], vlens[i]), o += vlens[i];
  }
  for (int i = 0; i < n; i++) memcpy(b + o, &restarts[i], 4), o += 4;
  uint32_t nr = (uint32_t)n, crc;
  memcpy(b + o, &nr, 4), o += 4;
  size_t dsize = o;
  b[o++] = 0;
  crc = slimrt_crc32c_mask(slimrt_crc32c(0, b, dsize + 1));
  memcpy(b + o, &crc, 4), o += 4;
  size_t moff = o;
  memcpy(b + o, "\0\0\0\0\1\0\0\0\0\xc0\xf2\xa1\xb0", 13), o += 13;
  size_t ioff = o;
  unsigned char ib[] = {0, 1, 2, 'z', 0, (unsigned char)dsize, 0, 0, 0, 0, 1, 0, 0, 0};
  memcpy(b + o, ib, sizeof ib), o += sizeof ib;
  b[o++] = 0;
  crc = slimrt_crc32c_mask(slimrt_crc32c(0, b + ioff, sizeof ib + 1));
  memcpy(b + o, &crc, 4), o += 4;
  unsigned char foot[48] = {(unsigned char)moff, 8, (unsigned char)ioff, sizeof ib};
  memcpy(foot + 40, "\x57\xfb\x80\x8b\x24\x75\x47\xdb", 8);
  memcpy(b + o, foot, 48), o += 48;
  cr_assert_lt(dsize, 128);
  char p[400];
  snprintf(p, sizeof p, "%s.index", prefix);
  spit(p, b, o);
  snprintf(p, sizeof p, "%s.data-00000-of-00001", prefix);
  spit(p, "\0\0\0\0", 4);
}

static const unsigned char HDR[] = {0x08, 0x01, 0x1a, 0x02, 0x08, 0x01};

static void one_entry(const char *prefix, const unsigned char *v, size_t vl) {
  const unsigned char *vals[] = {HDR, v};
  size_t vlens[] = {sizeof HDR, vl};
  const char *keys[] = {"", "counter"};
  build_index(prefix, vals, vlens, keys, 2);
}

Test(ckpt_corrupt, hand_built_index_is_valid) {
  char prefix[300];
  snprintf(prefix, sizeof prefix, "%s/h", tmpdir);
  const unsigned char v[] = {0x08, 0x01, 0x12, 0x00, 0x28, 0x04, 0x35, 0xa6, 0x7b, 0x11, 0x3a};
  one_entry(prefix, v, sizeof v);
  char err[512];
  slimrt_ckpt *ck = slimrt_ckpt_open(prefix, err, sizeof err);
  cr_assert_not_null(ck, "%s", err);
  slimrt_ckpt_close(ck);
}

Test(ckpt_corrupt, huge_offset_and_size) {
  char prefix[300];
  snprintf(prefix, sizeof prefix, "%s/h", tmpdir);
  /* offset 2^62 */
  const unsigned char v1[] = {0x08, 0x01, 0x12, 0x00, 0x20, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40,
                              0x28, 0x04, 0x35, 0xa6, 0x7b, 0x11, 0x3a};
  one_entry(prefix, v1, sizeof v1);
  expect_read_error(prefix, ".data-00000-of-00001: tensor 'counter': bytes [4611686018427387904, +4) lie outside "
                            "the 4-byte file (truncated?)");
  /* size 2^62 for a scalar: refused before any read */
  const unsigned char v2[] = {0x08, 0x01, 0x12, 0x00, 0x28, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40,
                              0x35, 0xa6, 0x7b, 0x11, 0x3a};
  one_entry(prefix, v2, sizeof v2);
  expect_read_error(prefix, ".index: tensor 'counter': stored size 4611686018427387904 does not match its shape "
                            "(4 bytes)");
  /* a shape whose element count overflows */
  const unsigned char v3[] = {0x08, 0x01, 0x12, 0x18, 0x12, 0x0a, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                              0xff, 0x3f, 0x12, 0x0a, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3f};
  one_entry(prefix, v3, sizeof v3);
  expect_open_error(prefix, "entry 'counter': shape has a negative dimension or too many elements");
  /* a shard id past num_shards */
  const unsigned char v4[] = {0x08, 0x01, 0x12, 0x00, 0x18, 0x05, 0x28, 0x04, 0x35, 0xa6, 0x7b, 0x11, 0x3a};
  one_entry(prefix, v4, sizeof v4);
  expect_read_error(prefix, ".index: tensor 'counter': shard 5 out of range (checkpoint has 1)");
  /* a truncated varint inside the entry */
  const unsigned char v5[] = {0x08, 0x01, 0x12, 0x00, 0x28, 0x84};
  one_entry(prefix, v5, sizeof v5);
  expect_open_error(prefix, "entry 'counter': malformed BundleEntryProto");
}

Test(ckpt_corrupt, bad_header) {
  char prefix[300];
  snprintf(prefix, sizeof prefix, "%s/h", tmpdir);
  const unsigned char ent[] = {0x08, 0x01, 0x12, 0x00, 0x28, 0x04, 0x35, 0xa6, 0x7b, 0x11, 0x3a};
  const unsigned char big_endian[] = {0x08, 0x01, 0x10, 0x01};
  const unsigned char *vals[] = {big_endian, ent};
  size_t vl[] = {sizeof big_endian, sizeof ent};
  const char *keys[] = {"", "counter"};
  build_index(prefix, vals, vl, keys, 2);
  expect_open_error(prefix, "big-endian checkpoints are not supported");
  const unsigned char shards[] = {0x08, 0x00};
  vals[0] = shards, vl[0] = sizeof shards;
  build_index(prefix, vals, vl, keys, 2);
  expect_open_error(prefix, "header has an invalid shard count 0");
  const unsigned char newer[] = {0x08, 0x01, 0x1a, 0x04, 0x08, 0x01, 0x10, 0x05};
  vals[0] = newer, vl[0] = sizeof newer;
  build_index(prefix, vals, vl, keys, 2);
  expect_open_error(prefix, "checkpoint needs a newer reader (min_consumer 5)");
  /* no header: the first key is a tensor */
  build_index(prefix, vals + 1, vl + 1, keys + 1, 1);
  expect_open_error(prefix, "the first key is not the header entry \"\"");
  /* keys out of order */
  const char *keys2[] = {"", "b", "a"};
  const unsigned char *vals2[] = {HDR, ent, ent};
  size_t vl2[] = {sizeof HDR, sizeof ent, sizeof ent};
  build_index(prefix, vals2, vl2, keys2, 3);
  expect_open_error(prefix, "keys are not in increasing order at 'a'");
}
