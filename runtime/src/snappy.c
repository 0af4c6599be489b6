/* Snappy raw-format decompression (google/snappy format_description.txt).
 * Only decompression: some real .index files (tf-serving test data, pre-1.2 TF
 * writers) hold Snappy blocks, but nothing we write needs compression.
 * Every length and offset is checked against both buffers, so malformed input
 * returns -1 instead of reading or writing out of bounds. */
#include <string.h>
#include "slimrt.h"

/* Reads the varint32 preamble; returns the number of bytes it used, 0 if malformed. */
static size_t snappy_preamble(const unsigned char *p, size_t n, size_t *out_len) {
  uint64_t v = 0;
  for (size_t i = 0; i < n && i < 5; i++) {
    v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
    if (!(p[i] & 0x80)) {
      if (v > UINT32_MAX) return 0;
      *out_len = (size_t)v;
      return i + 1;
    }
  }
  return 0;
}

int slimrt_snappy_uncompressed_length(const void *in, size_t n, size_t *out_len) {
  return snappy_preamble(in, n, out_len) ? 0 : -1;
}

int slimrt_snappy_decompress(const void *in, size_t n, void *out, size_t out_len) {
  const unsigned char *p = in, *end = p + n;
  unsigned char *o = out;
  size_t want, pos = 0;
  size_t used = snappy_preamble(p, n, &want);
  if (!used || want > out_len) return -1;
  p += used;
  while (p < end) {
    unsigned tag = *p++;
    size_t len, off;
    if ((tag & 3) == 0) { /* literal; lengths >= 61 follow the tag in 1-4 LE bytes */
      len = tag >> 2;
      if (len >= 60) {
        size_t nb = len - 59;
        if ((size_t)(end - p) < nb) return -1;
        len = 0;
        for (size_t i = 0; i < nb; i++) len |= (size_t)p[i] << (8 * i);
        p += nb;
      }
      len += 1;
      if ((size_t)(end - p) < len || want - pos < len) return -1;
      memcpy(o + pos, p, len);
      p += len;
      pos += len;
      continue;
    }
    if ((tag & 3) == 1) {
      if (end - p < 1) return -1;
      len = 4 + ((tag >> 2) & 7);
      off = ((size_t)(tag >> 5) << 8) | p[0];
      p += 1;
    } else if ((tag & 3) == 2) {
      if (end - p < 2) return -1;
      len = (tag >> 2) + 1;
      off = (size_t)p[0] | (size_t)p[1] << 8;
      p += 2;
    } else {
      if (end - p < 4) return -1;
      len = (tag >> 2) + 1;
      off = (size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16 | (size_t)p[3] << 24;
      p += 4;
    }
    if (off == 0 || off > pos || want - pos < len) return -1;
    /* Byte by byte: a copy may overlap its own output (run-length style). */
    for (size_t i = 0; i < len; i++) o[pos + i] = o[pos - off + i];
    pos += len;
  }
  return pos == want ? 0 : -1;
}
