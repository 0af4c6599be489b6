/* .npy reading/writing and PGM/PPM reading (runtime/src/npy.c, pnm.c). */
#define _GNU_SOURCE /* memmem */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <criterion/redirect.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "slimrt.h"
#include "../../runtime/src/rtio.h" /* element conversions are internal */

#include "tmpdir.h"

static void write_bytes(const char *path, const void *buf, size_t len) {
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f);
  cr_assert_eq(fwrite(buf, 1, len, f), len);
  fclose(f);
}

/* ---- round trips ---------------------------------------------------------- */

/* Criterion copies parameters into another process: arrays, not pointers. */
typedef struct dtype_case { int dtype; char descr[8]; } dtype_case;

ParameterizedTestParameters(npy, roundtrip_every_dtype) {
  static dtype_case cases[] = {
      {SLIMRT_F16, "<f2"}, {SLIMRT_F32, "<f4"}, {SLIMRT_F64, "<f8"}, {SLIMRT_I8, "|i1"},
      {SLIMRT_I16, "<i2"}, {SLIMRT_I32, "<i4"}, {SLIMRT_I64, "<i8"}, {SLIMRT_U8, "|u1"},
      {SLIMRT_U16, "<u2"}, {SLIMRT_U32, "<u4"}, {SLIMRT_U64, "<u8"}, {SLIMRT_BOOL, "|b1"},
  };
  return cr_make_param_array(dtype_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(dtype_case *c, npy, roundtrip_every_dtype, .init = make_tmpdir, .fini = remove_tmpdir) {
  int es = slimrt_dtype_size(c->dtype);
  slimrt_array a = {.dtype = c->dtype, .rank = 3, .dims = {2, 3, 4}};
  a.nbytes = (size_t)24 * es;
  unsigned char data[24 * 8];
  for (size_t i = 0; i < a.nbytes; i++) data[i] = (unsigned char)(i * 37 + 11);
  if (c->dtype == SLIMRT_BOOL)
    for (size_t i = 0; i < a.nbytes; i++) data[i] &= 1;
  a.data = data;
  char path[512], err[256];
  snprintf(path, sizeof path, "%s/a.npy", tmpdir);
  cr_assert_eq(slimrt_npy_write(path, &a, err, sizeof err), 0, "%s", err);
  cr_assert_eq(count_entries(), 1, "the temporary file was left behind");

  /* the header carries numpy's spelling of the dtype, and data starts 64-aligned */
  FILE *f = fopen(path, "rb");
  char head[128] = {0};
  cr_assert_eq(fread(head, 1, 64, f), 64);
  fclose(f);
  char want[32];
  snprintf(want, sizeof want, "'descr': '%s'", c->descr);
  cr_assert_not_null(strstr(head + 10, want), "header %s lacks %s", head + 10, want);

  slimrt_array b;
  cr_assert_eq(slimrt_npy_read(path, &b, err, sizeof err), 0, "%s", err);
  cr_assert_eq(b.dtype, c->dtype);
  cr_assert_eq(b.rank, 3);
  cr_assert_eq(b.dims[0], 2);
  cr_assert_eq(b.dims[2], 4);
  cr_assert_eq(b.nbytes, a.nbytes);
  cr_assert_eq(memcmp(b.data, data, a.nbytes), 0);
  slimrt_array_free(&b);
  cr_assert_null(b.data);
}

/* np.save(np.arange(6, dtype='<f4').reshape(2, 3)) from numpy 1.24, byte for byte */
static const char numpy_header[] =
    "\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";

Test(npy, writes_what_numpy_writes) {
  float v[6] = {0, 1, 2, 3, 4, 5};
  slimrt_array a = {.dtype = SLIMRT_F32, .rank = 2, .dims = {2, 3}, .data = v, .nbytes = sizeof v};
  void *buf;
  size_t len;
  char err[256];
  cr_assert_eq(slimrt_npy_encode(&a, &buf, &len, err, sizeof err), 0, "%s", err);
  cr_assert_eq(len, 152);
  unsigned char *b = buf;
  size_t hl = sizeof numpy_header - 1;
  cr_assert_eq(memcmp(b, numpy_header, hl), 0);
  for (size_t i = hl; i < 127; i++) cr_assert_eq(b[i], ' ');
  cr_assert_eq(b[127], '\n');
  cr_assert_eq(memcmp(b + 128, v, sizeof v), 0);
  free(buf);
}

/* Rewrites a v1.0 file as version MAJOR (u32 header length). */
static unsigned char *as_version(const unsigned char *v1, size_t len, int major, size_t *outlen) {
  unsigned char *b = malloc(len + 2);
  size_t hlen = v1[8] | v1[9] << 8;
  memcpy(b, v1, 6);
  b[6] = (unsigned char)major;
  b[7] = 0;
  b[8] = (unsigned char)hlen;
  b[9] = (unsigned char)(hlen >> 8);
  b[10] = b[11] = 0;
  memcpy(b + 12, v1 + 10, len - 10);
  *outlen = len + 2;
  return b;
}

Test(npy, reads_versions_1_2_and_3) {
  int32_t v[5] = {-7, 0, 7, 1 << 30, -1};
  slimrt_array a = {.dtype = SLIMRT_I32, .rank = 1, .dims = {5}, .data = v, .nbytes = sizeof v};
  void *buf;
  size_t len;
  char err[256];
  cr_assert_eq(slimrt_npy_encode(&a, &buf, &len, err, sizeof err), 0, "%s", err);
  for (int major = 1; major <= 3; major++) {
    size_t n = len;
    unsigned char *b = major == 1 ? buf : as_version(buf, len, major, &n);
    slimrt_array r;
    cr_assert_eq(slimrt_npy_read_mem("v.npy", b, n, &r, err, sizeof err), 0, "version %d: %s", major, err);
    cr_assert_eq(r.rank, 1);
    cr_assert_eq(r.dims[0], 5);
    cr_assert_eq(memcmp(r.data, v, sizeof v), 0);
    slimrt_array_free(&r);
    if (major != 1) free(b);
  }
  free(buf);
}

Test(npy, scalar_and_empty_arrays) {
  char err[256];
  double x = 2.5;
  slimrt_array a = {.dtype = SLIMRT_F64, .rank = 0, .data = &x, .nbytes = 8};
  void *buf;
  size_t len;
  cr_assert_eq(slimrt_npy_encode(&a, &buf, &len, err, sizeof err), 0, "%s", err);
  cr_assert_not_null(memmem(buf, len, "'shape': ()", 11));
  slimrt_array r;
  cr_assert_eq(slimrt_npy_read_mem("s.npy", buf, len, &r, err, sizeof err), 0, "%s", err);
  cr_assert_eq(r.rank, 0);
  cr_assert_eq(*(double *)r.data, 2.5);
  slimrt_array_free(&r);
  free(buf);

  slimrt_array e = {.dtype = SLIMRT_F32, .rank = 2, .dims = {0, 3}, .data = NULL, .nbytes = 0};
  cr_assert_eq(slimrt_npy_encode(&e, &buf, &len, err, sizeof err), 0, "%s", err);
  cr_assert_eq(slimrt_npy_read_mem("e.npy", buf, len, &r, err, sizeof err), 0, "%s", err);
  cr_assert_eq(r.nbytes, 0);
  cr_assert_eq(r.dims[1], 3);
  slimrt_array_free(&r);
  free(buf);
}

/* Headers written by other tools: double quotes, keys in another order, 'L'
   suffixes of Python 2, '?' for bool, no trailing comma. */
Test(npy, lenient_header_spellings) {
  const char hdr[] = "{\"shape\": (2L,), \"fortran_order\": True, \"descr\": \"?\"}\n";
  unsigned char b[128] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, sizeof hdr - 1, 0};
  memcpy(b + 10, hdr, sizeof hdr - 1);
  b[10 + sizeof hdr - 1] = 1;
  b[10 + sizeof hdr] = 0;
  slimrt_array r;
  char err[256];
  cr_assert_eq(slimrt_npy_read_mem("x.npy", b, 10 + sizeof hdr + 1, &r, err, sizeof err), 0, "%s", err);
  cr_assert_eq(r.dtype, SLIMRT_BOOL);
  cr_assert_eq(r.dims[0], 2);
  slimrt_array_free(&r);
}

/* ---- malformed files -------------------------------------------------------- */

typedef struct bad_case {
  char what[128];
  char bytes[200];
  int len;          /* -1: prefix + header + 4 data bytes built from `header` */
  char header[120]; /* dict for len == -1 */
  char expect[64];
} bad_case;

#define HDR(h, msg) {"" #h, {0}, -1, h, msg}

ParameterizedTestParameters(npy, malformed) {
  static bad_case cases[] = {
      {"bad magic", "\x93NUMPX\x01\x00\x10\x00{}", 12, "", "not a .npy file (bad magic)"},
      {"empty", "", 0, "", "not a .npy file (bad magic)"},
      {"text file", "hello, world\n", 13, "", "not a .npy file (bad magic)"},
      {"truncated prefix", "\x93NUMPY\x02\x00\x10", 9, "", "truncated .npy header"},
      {"version 4", "\x93NUMPY\x04\x00\x10\x00", 10, "", "unsupported .npy version 4.0"},
      {"version 1.1", "\x93NUMPY\x01\x01\x10\x00", 10, "", "unsupported .npy version 1.1"},
      {"truncated header", "\x93NUMPY\x01\x00\x40\x00{'descr': '<f4'", 25, "", "truncated .npy header"},
      HDR("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", "Fortran-order"),
      HDR("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", "big-endian"),
      HDR("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", "object arrays are not supported"),
      HDR("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", "unsupported .npy dtype '<c8'"),
      HDR("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", "structured"),
      HDR("'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", "bad .npy header dict: expected '{'"),
      HDR("{'descr': '<f4', 'fortran_order': False, }", "missing 'shape'"),
      HDR("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", "unexpected key 'x'"),
      HDR("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", "duplicate key 'descr'"),
      HDR("{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}", "must be True or False"),
      HDR("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}", "non-negative integers"),
      HDR("{'descr': '<f4', 'fortran_order': False, 'shape': [1]}", "'shape' must be a tuple"),
      HDR("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} junk", "text after the closing"),
      HDR("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296)}", "overflows"),
      HDR("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", "overflows 64 bits"),
      HDR("{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1)}", "more than 8 dimensions"),
      HDR("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", "truncated .npy data: expected 8 bytes, found 4"),
      HDR("{'descr': '<u2', 'fortran_order': False, 'shape': (1,)}", "data length mismatch"),
      HDR("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), ", "bad .npy header dict"),
  };
  return cr_make_param_array(bad_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(bad_case *c, npy, malformed) {
  unsigned char buf[256];
  size_t len;
  if (c->len >= 0) {
    memcpy(buf, c->bytes, (size_t)c->len);
    len = (size_t)c->len;
  } else {
    size_t h = strlen(c->header);
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (unsigned char)(h + 1);
    buf[9] = 0;
    memcpy(buf + 10, c->header, h);
    buf[10 + h] = '\n';
    memset(buf + 11 + h, 0, 4);  /* one f4 element */
    len = 15 + h;
  }
  slimrt_array r = {.data = (void *)1};
  char err[256] = "";
  cr_assert_eq(slimrt_npy_read_mem("bad.npy", buf, len, &r, err, sizeof err), -1, "%s: accepted", c->what);
  cr_assert_null(r.data, "%s: data left allocated", c->what);
  cr_assert(!strncmp(err, "bad.npy: ", 9), "%s: message does not name the file: %s", c->what, err);
  cr_assert_not_null(strstr(err, c->expect), "%s: got '%s', expected '%s'", c->what, err, c->expect);
  cr_assert_null(strchr(err, '\n'), "%s: message is not one line", c->what);
}

Test(npy, missing_file_names_it) {
  slimrt_array r;
  char err[256];
  cr_assert_eq(slimrt_npy_read("/nonexistent/dir/x.npy", &r, err, sizeof err), -1);
  cr_assert_str_eq(err, "/nonexistent/dir/x.npy: cannot open: No such file or directory");
}

Test(npy, truncated_file_on_disk, .init = make_tmpdir, .fini = remove_tmpdir) {
  float v[4] = {1, 2, 3, 4};
  slimrt_array a = {.dtype = SLIMRT_F32, .rank = 1, .dims = {4}, .data = v, .nbytes = sizeof v};
  void *buf;
  size_t len;
  char path[512], err[256];
  cr_assert_eq(slimrt_npy_encode(&a, &buf, &len, err, sizeof err), 0);
  snprintf(path, sizeof path, "%s/t.npy", tmpdir);
  write_bytes(path, buf, len - 3);
  free(buf);
  slimrt_array r;
  cr_assert_eq(slimrt_npy_read(path, &r, err, sizeof err), -1);
  cr_assert_not_null(strstr(err, "t.npy: truncated .npy data: expected 16 bytes, found 13"), "%s", err);
}

Test(npy, failed_write_leaves_nothing, .init = make_tmpdir, .fini = remove_tmpdir) {
  char path[512], err[256];
  float v = 1;
  slimrt_array a = {.dtype = SLIMRT_F32, .rank = 0, .data = &v, .nbytes = 4};
  snprintf(path, sizeof path, "%s/no/such/dir/o.npy", tmpdir);
  cr_assert_eq(slimrt_npy_write(path, &a, err, sizeof err), -1);
  cr_assert_not_null(strstr(err, "o.npy: cannot create"), "%s", err);
  /* a dtype .npy cannot hold: error before anything is created */
  slimrt_array s = {.dtype = SLIMRT_BF16, .rank = 0, .data = &v, .nbytes = 2};
  snprintf(path, sizeof path, "%s/bf.npy", tmpdir);
  cr_assert_eq(slimrt_npy_write(path, &s, err, sizeof err), -1);
  cr_assert_not_null(strstr(err, "bfloat16 cannot be stored"), "%s", err);
  cr_assert_eq(count_entries(), 0);
}

Test(npy, dash_reads_stdin, .init = cr_redirect_stdin) {
  float v[2] = {3, 4};
  slimrt_array a = {.dtype = SLIMRT_F32, .rank = 1, .dims = {2}, .data = v, .nbytes = sizeof v};
  void *buf;
  size_t len;
  char err[256];
  cr_assert_eq(slimrt_npy_encode(&a, &buf, &len, err, sizeof err), 0);
  FILE *in = cr_get_redirected_stdin();
  fwrite(buf, 1, len, in);
  fclose(in);
  free(buf);
  slimrt_array r;
  cr_assert_eq(slimrt_npy_read("-", &r, err, sizeof err), 0, "%s", err);
  cr_assert_eq(((float *)r.data)[1], 4);
  slimrt_array_free(&r);
}

/* float16 conversions round to nearest even and keep infinities and subnormals */
Test(npy, half_precision_conversions) {
  uint16_t h[1];
  static const struct { float f; uint16_t bits; } cases[] = {
      {1.0f, 0x3c00}, {-2.5f, 0xc100}, {65504.0f, 0x7bff}, {65520.0f, 0x7c00},
      {5.9604645e-08f, 0x0001}, {0.0f, 0x0000}, {1.0009765625f, 0x3c01}, {1.00048828125f, 0x3c00},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    slimrt_io_set(SLIMRT_F16, h, 0, cases[i].f);
    cr_assert_eq(h[0], cases[i].bits, "%g -> 0x%04x, expected 0x%04x", cases[i].f, h[0], cases[i].bits);
    if (cases[i].bits != 0x7c00 && cases[i].f != 1.00048828125f)
      cr_assert_float_eq(slimrt_io_get(SLIMRT_F16, h, 0), cases[i].f, 1e-12);
  }
  int8_t i8[1];
  slimrt_io_set(SLIMRT_I8, i8, 0, 1000.0);
  cr_assert_eq(i8[0], 127, "integers saturate");
}

/* ---- PGM / PPM ------------------------------------------------------------- */

Test(pnm, reads_the_real_test_images) {
  static const struct { const char *file; unsigned char px[5]; } imgs[] = {
      /* pixels (0,0) (0,1) (50,50) (95,95) (10,80), read with numpy */
      {"person.pgm", {139, 144, 15, 37, 91}},
      {"no_person.pgm", {10, 10, 98, 122, 226}},
  };
  for (int k = 0; k < 2; k++) {
    char path[512], err[256];
    snprintf(path, sizeof path, "%s/testdata/images/%s", SLIMC_SHARED_DIR, imgs[k].file);
    slimrt_array a;
    cr_assert_eq(slimrt_pnm_read(path, &a, err, sizeof err), 0, "%s", err);
    cr_assert_eq(a.dtype, SLIMRT_U8);
    cr_assert_eq(a.rank, 4);
    cr_assert_eq(a.dims[0], 1);
    cr_assert_eq(a.dims[1], 96);
    cr_assert_eq(a.dims[2], 96);
    cr_assert_eq(a.dims[3], 1);
    cr_assert_eq(a.nbytes, 9216);
    const unsigned char *p = a.data;
    cr_assert_eq(p[0], imgs[k].px[0]);
    cr_assert_eq(p[1], imgs[k].px[1]);
    cr_assert_eq(p[50 * 96 + 50], imgs[k].px[2]);
    cr_assert_eq(p[95 * 96 + 95], imgs[k].px[3]);
    cr_assert_eq(p[10 * 96 + 80], imgs[k].px[4]);
    slimrt_array_free(&a);
  }
}

Test(pnm, ppm_with_comments) {
  const char img[] = "P6\n# made by hand\n2 # width\n1\n255\n\x01\x02\x03\xfa\xfb\xfc";
  slimrt_array a;
  char err[256];
  cr_assert_eq(slimrt_pnm_read_mem("c.ppm", img, sizeof img - 1, &a, err, sizeof err), 0, "%s", err);
  cr_assert_eq(a.dims[1], 1);
  cr_assert_eq(a.dims[2], 2);
  cr_assert_eq(a.dims[3], 3);
  cr_assert_eq(((unsigned char *)a.data)[5], 0xfc);
  slimrt_array_free(&a);
}

Test(pnm, small_maxval_is_rescaled) {
  const char img[] = "P5 3 1 15\n\x00\x0f\x07";
  slimrt_array a;
  char err[256];
  cr_assert_eq(slimrt_pnm_read_mem("m.pgm", img, sizeof img - 1, &a, err, sizeof err), 0, "%s", err);
  const unsigned char *p = a.data;
  cr_assert_eq(p[0], 0);
  cr_assert_eq(p[1], 255);
  cr_assert_eq(p[2], 119);  /* 7 * 255 / 15 */
  slimrt_array_free(&a);
}

typedef struct pnm_bad { char what[32], bytes[32]; int len; char expect[64]; } pnm_bad;

ParameterizedTestParameters(pnm, malformed) {
  static pnm_bad cases[] = {
      {"ascii pgm", "P2 1 1 255\n0", 12, "expected magic P5 or P6"},
      {"ascii ppm", "P3 1 1 255\n0 0 0", 16, "expected magic P5 or P6"},
      {"npy", "\x93NUMPY", 6, "expected magic P5 or P6"},
      {"magic glued", "P55 1 1 255\n0", 13, "expected magic P5 or P6"},
      {"empty", "", 0, "expected magic P5 or P6"},
      {"no height", "P5 4", 4, "truncated PNM header"},
      {"letter", "P5 4 x 255\n", 11, "expected the height"},
      {"maxval 16 bit", "P5 1 1 65535\n\x00\x00", 15, "maxval 65535 is not supported"},
      {"maxval 0", "P5 1 1 0\n\x00", 10, "maxval 0 is not supported"},
      {"zero width", "P5 0 5 255\n", 11, "empty size 0x5"},
      {"absurd size", "P5 100000 100000 255\n", 21, "too large"},
      {"huge number", "P5 99999999999 1 255\n", 21, "absurdly large"},
      {"truncated pixels", "P5 2 2 255\n\x01\x02\x03", 14, "expected 4 bytes, found 3"},
      {"truncated ppm", "P6 2 1 255\n\x01\x02\x03", 14, "expected 6 bytes, found 3"},
      {"no separator", "P5 1 1 255", 10, "truncated PNM header after the maxval"},
      {"comment after maxval", "P5 1 1 255#c\n\x01", 14, "one whitespace byte"},
      {"sample above maxval", "P5 1 1 100\n\xc8", 12, "exceeds the maxval 100"},
  };
  return cr_make_param_array(pnm_bad, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(pnm_bad *c, pnm, malformed) {
  slimrt_array a = {.data = (void *)1};
  char err[256] = "";
  cr_assert_eq(slimrt_pnm_read_mem("bad.pgm", c->bytes, (size_t)c->len, &a, err, sizeof err), -1, "%s: accepted",
               c->what);
  cr_assert_null(a.data);
  cr_assert(!strncmp(err, "bad.pgm: ", 9), "%s: %s", c->what, err);
  cr_assert_not_null(strstr(err, c->expect), "%s: got '%s', expected '%s'", c->what, err, c->expect);
}

Test(pnm, missing_file) {
  slimrt_array a;
  char err[256];
  cr_assert_eq(slimrt_pnm_read("/nonexistent.pgm", &a, err, sizeof err), -1);
  cr_assert_str_eq(err, "/nonexistent.pgm: cannot open: No such file or directory");
}
