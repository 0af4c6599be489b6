/* NumPy .npy files (format versions 1.0, 2.0 and 3.0), little-endian, C order.
 *
 * Layout: "\x93NUMPY", major, minor, header length (u16 LE for 1.0, u32 LE for
 * 2.0/3.0), then a Python dict literal such as
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
 * padded with spaces and a final '\n' so the data starts 64-byte aligned, then
 * the raw elements. Every malformed input is a one-line error naming the file. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "halfconv.h"
#include "fileio.h"
#include "rtio.h"

static const unsigned char magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

/* The dtypes .npy can carry, by numpy's kind letter and item size. */
static const struct npy_type {
  char kind;
  int size;
  int dtype;
} npy_types[] = {
    {'f', 2, SLIMRT_F16}, {'f', 4, SLIMRT_F32}, {'f', 8, SLIMRT_F64}, {'i', 1, SLIMRT_I8},
    {'i', 2, SLIMRT_I16}, {'i', 4, SLIMRT_I32}, {'i', 8, SLIMRT_I64}, {'u', 1, SLIMRT_U8},
    {'u', 2, SLIMRT_U16}, {'u', 4, SLIMRT_U32}, {'u', 8, SLIMRT_U64}, {'b', 1, SLIMRT_BOOL},
};
enum { NTYPES = sizeof npy_types / sizeof npy_types[0] };

const char *slimrt_io_name(const char *path, int writing) {
  if (path && !strcmp(path, "-")) return writing ? "<stdout>" : "<stdin>";
  return path ? path : "(null)";
}

const char *slimrt_io_dtype_name(int dtype) {
  const char *s = slimrt_dtype_name(dtype);
  return s ? s : "?";
}

void slimrt_io_format_shape(char *buf, size_t n, int rank, const int64_t *dims) {
  size_t at = 0;
  at += (size_t)snprintf(buf, n, "[");
  for (int i = 0; i < rank && at < n; i++)
    at += dims[i] < 0 ? (size_t)snprintf(buf + at, n - at, "%s?", i ? "," : "") /* a '?' batch */
                      : (size_t)snprintf(buf + at, n - at, "%s%lld", i ? "," : "", (long long)dims[i]);
  if (at < n) snprintf(buf + at, n - at, "]");
}

void slimrt_array_free(slimrt_array *a) {
  if (!a) return;
  free(a->data);
  a->data = NULL;
  a->nbytes = 0;
}

/* ---- header parsing ------------------------------------------------------ */

typedef struct hdr_parser {
  const char *name;
  const char *p, *end;
  char *err;
  size_t errlen;
} hdr_parser;

static void skip_ws(hdr_parser *h) {
  while (h->p < h->end && (*h->p == ' ' || *h->p == '\t' || *h->p == '\n' || *h->p == '\r')) h->p++;
}

static int bad_dict(hdr_parser *h, const char *what) {
  return slimrt_errorf(h->err, h->errlen, "%s: bad .npy header dict: %s", h->name, what);
}

static int expect_char(hdr_parser *h, char c, const char *what) {
  skip_ws(h);
  if (h->p >= h->end || *h->p != c) return bad_dict(h, what);
  h->p++;
  return 0;
}

/* A Python string literal in single or double quotes, no escapes (numpy writes none). */
static int parse_str(hdr_parser *h, char *out, size_t outlen) {
  skip_ws(h);
  if (h->p >= h->end || (*h->p != '\'' && *h->p != '"')) return bad_dict(h, "expected a quoted string");
  char q = *h->p++;
  size_t n = 0;
  while (h->p < h->end && *h->p != q) {
    if (n + 1 >= outlen) return bad_dict(h, "string too long");
    /* a NUL would end the C string early and '<f4\0junk' would pass as '<f4' */
    if ((unsigned char)*h->p < 0x20) return bad_dict(h, "control byte in a string");
    out[n++] = *h->p++;
  }
  if (h->p >= h->end) return bad_dict(h, "unterminated string");
  h->p++;
  out[n] = 0;
  return 0;
}

static int parse_bool(hdr_parser *h, int *out) {
  skip_ws(h);
  size_t left = (size_t)(h->end - h->p);
  if (left >= 4 && !memcmp(h->p, "True", 4)) { *out = 1; h->p += 4; return 0; }
  if (left >= 5 && !memcmp(h->p, "False", 5)) { *out = 0; h->p += 5; return 0; }
  return bad_dict(h, "'fortran_order' must be True or False");
}

/* (), (5,), (2, 3) -- Python 2 era files may write 3L. */
static int parse_shape(hdr_parser *h, int *rank, int64_t *dims) {
  if (expect_char(h, '(', "'shape' must be a tuple")) return -1;
  int r = 0;
  for (;;) {
    skip_ws(h);
    if (h->p < h->end && *h->p == ')') { h->p++; break; }
    if (h->p >= h->end || *h->p < '0' || *h->p > '9') return bad_dict(h, "'shape' must hold non-negative integers");
    int64_t v = 0;
    while (h->p < h->end && *h->p >= '0' && *h->p <= '9') {
      int d = *h->p++ - '0';
      if (v > (INT64_MAX - d) / 10)
        return slimrt_errorf(h->err, h->errlen, "%s: .npy shape dimension overflows 64 bits", h->name);
      v = v * 10 + d;
    }
    if (h->p < h->end && *h->p == 'L') h->p++;
    if (r == SLIMRT_MAX_RANK)
      return slimrt_errorf(h->err, h->errlen, "%s: .npy array has more than %d dimensions", h->name, SLIMRT_MAX_RANK);
    dims[r++] = v;
    skip_ws(h);
    if (h->p < h->end && *h->p == ',') { h->p++; continue; }
    if (h->p < h->end && *h->p == ')') { h->p++; break; }
    return bad_dict(h, "expected ',' or ')' in 'shape'");
  }
  /* "(5)" is not a tuple in Python; numpy never writes it */
  *rank = r;
  return 0;
}

static int parse_descr(hdr_parser *h, const char *d, int *dtype) {
  char order = d[0];
  const char *k = d;
  if (order == '<' || order == '>' || order == '|' || order == '=') k++;
  else order = '=';
  if (*k == 'O') return slimrt_errorf(h->err, h->errlen, "%s: object arrays are not supported", h->name);
  char kind = *k;
  if (kind == '?') kind = 'b';  /* numpy's other spelling of bool */
  char *endp;
  long size = k[0] && k[1] ? strtol(k + 1, &endp, 10) : (kind == 'b' ? 1 : -1);
  if (k[0] && k[1] && *endp) size = -1;
  for (int i = 0; i < NTYPES; i++) {
    if (npy_types[i].kind != kind || npy_types[i].size != size) continue;
    if (order == '>' && size > 1)
      return slimrt_errorf(h->err, h->errlen, "%s: big-endian .npy data ('%s') is not supported; save it little-endian", h->name, d);
    *dtype = npy_types[i].dtype;
    return 0;
  }
  return slimrt_errorf(h->err, h->errlen,
                       "%s: unsupported .npy dtype '%s' (expected one of f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1)", h->name, d);
}

/* Parses the fixed prefix and header dict of BUF; on success *DATA_OFF is where
   the elements start and OUT has dtype, rank, dims and nbytes (data unset). */
static int parse_npy(const char *name, const unsigned char *buf, size_t len, slimrt_array *out, size_t *data_off,
                     char *err, size_t errlen) {
  if (len < 8 || memcmp(buf, magic, sizeof magic))
    return slimrt_errorf(err, errlen, "%s: not a .npy file (bad magic)", name);
  int major = buf[6], minor = buf[7];
  size_t pre, hlen;
  if (major == 1 && minor == 0) {
    pre = 10;
    if (len < pre) return slimrt_errorf(err, errlen, "%s: truncated .npy header", name);
    hlen = (size_t)buf[8] | (size_t)buf[9] << 8;
  } else if ((major == 2 || major == 3) && minor == 0) {
    pre = 12;
    if (len < pre) return slimrt_errorf(err, errlen, "%s: truncated .npy header", name);
    hlen = (size_t)buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
  } else {
    return slimrt_errorf(err, errlen, "%s: unsupported .npy version %d.%d (expected 1.0, 2.0 or 3.0)", name, major, minor);
  }
  if (hlen > len - pre)
    return slimrt_errorf(err, errlen, "%s: truncated .npy header (%zu bytes announced, %zu present)", name, hlen,
                         len - pre);

  hdr_parser h = {name, (const char *)buf + pre, (const char *)buf + pre + hlen, err, errlen};
  int have_descr = 0, have_order = 0, have_shape = 0, fortran = 0, dtype = 0, rank = 0;
  int64_t dims[SLIMRT_MAX_RANK] = {0};
  if (expect_char(&h, '{', "expected '{'")) return -1;
  for (;;) {
    skip_ws(&h);
    if (h.p < h.end && *h.p == '}') { h.p++; break; }
    char key[32], val[64];
    if (parse_str(&h, key, sizeof key) || expect_char(&h, ':', "expected ':' after a key")) return -1;
    skip_ws(&h);
    if (!strcmp(key, "descr")) {
      if (have_descr) return bad_dict(&h, "duplicate key 'descr'");
      if (h.p < h.end && *h.p == '[')
        return slimrt_errorf(err, errlen, "%s: structured .npy arrays are not supported", name);
      if (parse_str(&h, val, sizeof val) || parse_descr(&h, val, &dtype)) return -1;
      have_descr = 1;
    } else if (!strcmp(key, "fortran_order")) {
      if (have_order) return bad_dict(&h, "duplicate key 'fortran_order'");
      if (parse_bool(&h, &fortran)) return -1;
      have_order = 1;
    } else if (!strcmp(key, "shape")) {
      if (have_shape) return bad_dict(&h, "duplicate key 'shape'");
      if (parse_shape(&h, &rank, dims)) return -1;
      have_shape = 1;
    } else {
      char what[64];
      snprintf(what, sizeof what, "unexpected key '%s'", key);
      return bad_dict(&h, what);
    }
    skip_ws(&h);
    if (h.p < h.end && *h.p == ',') { h.p++; continue; }
    if (h.p < h.end && *h.p == '}') { h.p++; break; }
    return bad_dict(&h, "expected ',' or '}'");
  }
  skip_ws(&h);
  if (h.p != h.end) return bad_dict(&h, "text after the closing '}'");
  if (!have_descr) return bad_dict(&h, "missing 'descr'");
  if (!have_order) return bad_dict(&h, "missing 'fortran_order'");
  if (!have_shape) return bad_dict(&h, "missing 'shape'");
  /* Fortran order is harmless for 0-d and 1-d arrays (same layout); reject the rest. */
  int nontrivial = 0;
  for (int i = 0; i < rank; i++) nontrivial += dims[i] > 1;
  if (fortran && nontrivial > 1)
    return slimrt_errorf(err, errlen, "%s: Fortran-order .npy arrays are not supported; save it in C order", name);

  int64_t count = slimrt_shape_count(rank, dims);
  int64_t esize = slimrt_dtype_size(dtype);
  if (count < 0 || esize <= 0 || count > (INT64_MAX / esize) || (uint64_t)(count * esize) > SIZE_MAX)
    return slimrt_errorf(err, errlen, "%s: .npy shape overflows the address space", name);
  size_t nbytes = (size_t)(count * esize);
  size_t off = pre + hlen, have = len - off;
  if (have < nbytes)
    return slimrt_errorf(err, errlen, "%s: truncated .npy data: expected %zu bytes, found %zu", name, nbytes, have);
  if (have > nbytes)
    return slimrt_errorf(err, errlen, "%s: .npy data length mismatch: expected %zu bytes for the shape, found %zu",
                         name, nbytes, have);
  memset(out, 0, sizeof *out);
  out->dtype = dtype;
  out->rank = rank;
  memcpy(out->dims, dims, sizeof dims);
  out->nbytes = nbytes;
  *data_off = off;
  return 0;
}

int slimrt_npy_read_mem(const char *name, const void *buf, size_t len, slimrt_array *out, char *err,
                        size_t errlen) {
  if (!out) return slimrt_errorf(err, errlen, "%s: no output array", name);
  memset(out, 0, sizeof *out);
  if (!buf && len) return slimrt_errorf(err, errlen, "%s: no data", name);
  slimrt_array a;
  size_t off;
  if (parse_npy(name, buf ? buf : "", len, &a, &off, err, errlen)) return -1;
  a.data = malloc(a.nbytes ? a.nbytes : 1);
  if (!a.data) return slimrt_errorf(err, errlen, "%s: out of memory for %zu bytes", name, a.nbytes);
  if (a.nbytes) memcpy(a.data, (const unsigned char *)buf + off, a.nbytes);
  *out = a;
  return 0;
}

int slimrt_npy_read(const char *path, slimrt_array *out, char *err, size_t errlen) {
  if (!out) return slimrt_errorf(err, errlen, "no output array");
  memset(out, 0, sizeof *out);
  if (!path) return slimrt_errorf(err, errlen, "no .npy path given");
  const char *name = slimrt_io_name(path, 0);
  unsigned char *buf;
  size_t len, off;
  if (slimrt_file_read(path, SLIMRT_LIMIT_TENSOR, SLIMRT_READ_STDIN, &buf, &len, err, errlen)) return -1;
  slimrt_array a;
  if (parse_npy(name, buf, len, &a, &off, err, errlen)) {
    free(buf);
    return -1;
  }
  /* reuse the file buffer: slide the elements to its start */
  memmove(buf, buf + off, a.nbytes);
  a.data = buf;
  *out = a;
  return 0;
}

/* ---- writing ------------------------------------------------------------- */

/* The header of A (prefix + dict + padding), into HDR of at least 256 bytes. */
static int encode_header(const slimrt_array *a, unsigned char *hdr, size_t *hlen, char *err, size_t errlen) {
  const struct npy_type *t = NULL;
  for (int i = 0; i < NTYPES; i++)
    if (npy_types[i].dtype == a->dtype) t = &npy_types[i];
  if (!t)
    return slimrt_errorf(err, errlen, "dtype %s cannot be stored in a .npy file", slimrt_io_dtype_name(a->dtype));
  if (a->rank < 0 || a->rank > SLIMRT_MAX_RANK) return slimrt_errorf(err, errlen, "bad array rank %d", a->rank);
  int64_t count = slimrt_shape_count(a->rank, a->dims);
  if (count < 0 || (uint64_t)count * (uint64_t)t->size != a->nbytes)
    return slimrt_errorf(err, errlen, "array shape does not match its %zu data bytes", a->nbytes);
  char dict[224];
  int n = snprintf(dict, sizeof dict, "{'descr': '%c%c%d', 'fortran_order': False, 'shape': (",
                   t->size == 1 ? '|' : '<', t->kind, t->size);
  for (int i = 0; i < a->rank; i++)
    n += snprintf(dict + n, sizeof dict - n, "%s%lld", i ? ", " : "", (long long)a->dims[i]);
  n += snprintf(dict + n, sizeof dict - n, "%s), }", a->rank == 1 ? "," : "");
  /* version 1.0 suffices: the dict of a rank-8 array is far below 65535 bytes */
  size_t total = 10 + (size_t)n + 1;
  total = (total + 63) / 64 * 64;
  size_t dlen = total - 10;
  memcpy(hdr, magic, 6);
  hdr[6] = 1;
  hdr[7] = 0;
  hdr[8] = (unsigned char)(dlen & 0xff);
  hdr[9] = (unsigned char)(dlen >> 8);
  memcpy(hdr + 10, dict, (size_t)n);
  memset(hdr + 10 + n, ' ', dlen - (size_t)n - 1);
  hdr[total - 1] = '\n';
  *hlen = total;
  return 0;
}

int slimrt_npy_encode(const slimrt_array *a, void **buf, size_t *len, char *err, size_t errlen) {
  if (!a || !buf || !len) return slimrt_errorf(err, errlen, "npy_encode: bad arguments");
  unsigned char hdr[256];
  size_t hlen;
  if (encode_header(a, hdr, &hlen, err, errlen)) return -1;
  unsigned char *b = malloc(hlen + a->nbytes);
  if (!b) return slimrt_errorf(err, errlen, "out of memory encoding a .npy of %zu bytes", a->nbytes);
  memcpy(b, hdr, hlen);
  if (a->nbytes) memcpy(b + hlen, a->data, a->nbytes);
  *buf = b;
  *len = hlen + a->nbytes;
  return 0;
}

int slimrt_npy_write_begin(const char *path, const slimrt_array *a, slimrt_out *o, char *err, size_t errlen) {
  memset(o, 0, sizeof *o);
  const char *name = slimrt_io_name(path, 1);
  unsigned char hdr[256];
  size_t hlen;
  char msg[256];
  if (encode_header(a, hdr, &hlen, msg, sizeof msg)) return slimrt_errorf(err, errlen, "%s: %s", name, msg);
  if (slimrt_out_begin(o, path, SLIMRT_OUT_STDOUT, err, errlen)) return -1;
  if (slimrt_out_write(o, hdr, hlen, err, errlen) || (a->nbytes && slimrt_out_write(o, a->data, a->nbytes, err, errlen)) ||
      slimrt_out_finish(o, err, errlen)) {
    slimrt_out_abort(o);
    return -1;
  }
  return 0;
}

int slimrt_npy_write(const char *path, const slimrt_array *a, char *err, size_t errlen) {
  if (!path || !a) return slimrt_errorf(err, errlen, "npy_write: bad arguments");
  slimrt_out o;
  if (slimrt_npy_write_begin(path, a, &o, err, errlen)) return -1;
  return slimrt_out_commit(&o, err, errlen);
}

/* ---- element access -------------------------------------------------------- */


/* Round to nearest even, overflow to infinity. */

double slimrt_io_get(int dtype, const void *buf, int64_t i) {
  switch (dtype) {
  case SLIMRT_F32: return ((const float *)buf)[i];
  case SLIMRT_F64: return ((const double *)buf)[i];
  case SLIMRT_F16: return slimrt_f16_to_f32(((const uint16_t *)buf)[i]);
  case SLIMRT_BF16: return slimrt_bf16_to_f32(((const uint16_t *)buf)[i]);
  case SLIMRT_I8: return ((const int8_t *)buf)[i];
  case SLIMRT_I16: return ((const int16_t *)buf)[i];
  case SLIMRT_I32: return ((const int32_t *)buf)[i];
  case SLIMRT_I64: return (double)((const int64_t *)buf)[i];
  case SLIMRT_U8: return ((const uint8_t *)buf)[i];
  case SLIMRT_U16: return ((const uint16_t *)buf)[i];
  case SLIMRT_U32: return ((const uint32_t *)buf)[i];
  case SLIMRT_U64: return (double)((const uint64_t *)buf)[i];
  case SLIMRT_BOOL: return ((const uint8_t *)buf)[i] != 0;
  default: return 0;
  }
}

static double clampd(double v, double lo, double hi) {
  if (v != v) return 0;  /* NaN has no integer value; 0 as a C cast would be undefined */
  return v < lo ? lo : v > hi ? hi : v;
}

void slimrt_io_set(int dtype, void *buf, int64_t i, double v) {
  switch (dtype) {
  case SLIMRT_F32: ((float *)buf)[i] = (float)v; break;
  case SLIMRT_F64: ((double *)buf)[i] = v; break;
  case SLIMRT_F16: ((uint16_t *)buf)[i] = slimrt_f32_to_f16((float)v); break;
  case SLIMRT_BF16: ((uint16_t *)buf)[i] = slimrt_f32_to_bf16((float)v); break;
  case SLIMRT_I8: ((int8_t *)buf)[i] = (int8_t)clampd(v, INT8_MIN, INT8_MAX); break;
  case SLIMRT_I16: ((int16_t *)buf)[i] = (int16_t)clampd(v, INT16_MIN, INT16_MAX); break;
  case SLIMRT_I32: ((int32_t *)buf)[i] = (int32_t)clampd(v, INT32_MIN, INT32_MAX); break;
  case SLIMRT_I64: ((int64_t *)buf)[i] = (int64_t)clampd(v, -9223372036854775808.0, 9223372036854774784.0); break;
  case SLIMRT_U8: ((uint8_t *)buf)[i] = (uint8_t)clampd(v, 0, UINT8_MAX); break;
  case SLIMRT_U16: ((uint16_t *)buf)[i] = (uint16_t)clampd(v, 0, UINT16_MAX); break;
  case SLIMRT_U32: ((uint32_t *)buf)[i] = (uint32_t)clampd(v, 0, UINT32_MAX); break;
  case SLIMRT_U64: ((uint64_t *)buf)[i] = (uint64_t)clampd(v, 0, 18446744073709549568.0); break;
  case SLIMRT_BOOL: ((uint8_t *)buf)[i] = v != 0; break;
  default: break;
  }
}
