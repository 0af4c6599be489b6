/* Binary PGM (P5) and PPM (P6) images as u8 [1,H,W,C] tensors (C = 1 or 3).
 *
 * Header: magic, width, height, maxval as ASCII decimals separated by
 * whitespace, '#' comments running to the end of a line anywhere between
 * tokens, then exactly one whitespace byte before the pixels (rows top to
 * bottom). Only maxval <= 255 (one byte a sample) is accepted. A maxval below
 * 255 is rescaled to 0..255 so that a model always sees full-range pixels. */
#include <stdlib.h>
#include <string.h>
#include "rtio.h"

/* Larger images are not what a model input reads; also keeps W*H*C in range. */
#define PNM_MAX_DIM 65536
#define PNM_MAX_PIXELS (1ull << 28)

static int is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

/* Reads the next header number at *POS; skips whitespace and comments first. */
static int header_number(const char *name, const unsigned char *b, size_t len, size_t *pos, const char *what,
                         long *out, char *err, size_t errlen) {
  size_t i = *pos;
  for (;;) {
    while (i < len && is_space(b[i])) i++;
    if (i < len && b[i] == '#') {
      while (i < len && b[i] != '\n' && b[i] != '\r') i++;
      continue;
    }
    break;
  }
  if (i >= len) return slimrt_errorf(err, errlen, "%s: truncated PNM header (missing %s)", name, what);
  if (b[i] < '0' || b[i] > '9')
    return slimrt_errorf(err, errlen, "%s: bad PNM header: expected the %s, found '%c'", name, what,
                         b[i] >= 32 && b[i] < 127 ? b[i] : '?');
  long v = 0;
  while (i < len && b[i] >= '0' && b[i] <= '9') {
    if (v > 100000000) return slimrt_errorf(err, errlen, "%s: PNM %s is absurdly large", name, what);
    v = v * 10 + (b[i++] - '0');
  }
  if (i >= len) return slimrt_errorf(err, errlen, "%s: truncated PNM header after the %s", name, what);
  if (!is_space(b[i]) && b[i] != '#')
    return slimrt_errorf(err, errlen, "%s: bad PNM header: junk after the %s", name, what);
  *pos = i;
  *out = v;
  return 0;
}

int slimrt_pnm_read_mem(const char *name, const void *buf, size_t len, slimrt_array *out, char *err,
                        size_t errlen) {
  if (!out) return slimrt_errorf(err, errlen, "%s: no output array", name);
  memset(out, 0, sizeof *out);
  const unsigned char *b = buf;
  if (!b || len < 2 || b[0] != 'P' || (b[1] != '5' && b[1] != '6'))
    return slimrt_errorf(err, errlen, "%s: not a binary PGM/PPM image (expected magic P5 or P6)", name);
  int channels = b[1] == '5' ? 1 : 3;
  size_t pos = 2;
  if (pos >= len) return slimrt_errorf(err, errlen, "%s: truncated PNM header", name);
  if (!is_space(b[pos]) && b[pos] != '#')
    return slimrt_errorf(err, errlen, "%s: not a binary PGM/PPM image (expected magic P5 or P6)", name);
  long w, h, maxval;
  if (header_number(name, b, len, &pos, "width", &w, err, errlen) ||
      header_number(name, b, len, &pos, "height", &h, err, errlen) ||
      header_number(name, b, len, &pos, "maxval", &maxval, err, errlen))
    return -1;
  /* exactly one whitespace byte separates maxval from the pixels (a comment here
     would be ambiguous with pixel data, netpbm does not allow it either) */
  if (!is_space(b[pos]))
    return slimrt_errorf(err, errlen, "%s: bad PNM header: expected one whitespace byte after the maxval", name);
  pos++;
  if (w <= 0 || h <= 0) return slimrt_errorf(err, errlen, "%s: PNM image has an empty size %ldx%ld", name, w, h);
  if (w > PNM_MAX_DIM || h > PNM_MAX_DIM || (unsigned long long)w * (unsigned long long)h > PNM_MAX_PIXELS)
    return slimrt_errorf(err, errlen, "%s: PNM image size %ldx%ld is too large", name, w, h);
  if (maxval < 1 || maxval > 255)
    return slimrt_errorf(err, errlen, "%s: PNM maxval %ld is not supported (expected 1..255: one byte a sample)", name,
                         maxval);
  size_t n = (size_t)w * (size_t)h * (size_t)channels;
  if (len - pos < n)
    return slimrt_errorf(err, errlen, "%s: truncated PNM pixel data: expected %zu bytes, found %zu", name, n,
                         len - pos);
  unsigned char *px = malloc(n);
  if (!px) return slimrt_errorf(err, errlen, "%s: out of memory for a %ldx%ld image", name, w, h);
  const unsigned char *src = b + pos;
  if (maxval == 255) {
    memcpy(px, src, n);
  } else {
    for (size_t i = 0; i < n; i++) {
      if (src[i] > maxval) {
        free(px);
        return slimrt_errorf(err, errlen, "%s: PNM sample value %d exceeds the maxval %ld", name, src[i], maxval);
      }
      px[i] = (unsigned char)((src[i] * 255 + maxval / 2) / maxval);
    }
  }
  /* bytes after the image (a multi-image PNM stream) are ignored, as netpbm's readers do */
  out->dtype = SLIMRT_U8;
  out->rank = 4;
  out->dims[0] = 1;
  out->dims[1] = h;
  out->dims[2] = w;
  out->dims[3] = channels;
  out->data = px;
  out->nbytes = n;
  return 0;
}

int slimrt_pnm_read(const char *path, slimrt_array *out, char *err, size_t errlen) {
  if (!out) return slimrt_errorf(err, errlen, "no output array");
  memset(out, 0, sizeof *out);
  if (!path) return slimrt_errorf(err, errlen, "no image path given");
  unsigned char *buf;
  size_t len;
  if (slimrt_file_read(path, SLIMRT_LIMIT_TENSOR, SLIMRT_READ_STDIN, &buf, &len, err, errlen)) return -1;
  int rc = slimrt_pnm_read_mem(slimrt_io_name(path, 0), buf, len, out, err, errlen);
  free(buf);
  return rc;
}
