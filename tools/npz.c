/* The .npz reader: a zip archive found through its end-of-central-directory record,
 * each central-directory entry checked against its local header, the data stored or
 * raw deflate (zlib), CRC-checked, then parsed by libslimrt's .npy reader. Every
 * offset and size comes from the file, so each is checked against LEN before use. */
#include "npz.h"
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

enum {
  EOCD_SIZE = 22,         /* end of central directory record, without its comment */
  CDIR_SIZE = 46,         /* central directory header, without name/extra/comment */
  LOCAL_SIZE = 30,        /* local file header, without name/extra */
  MAX_COMMENT = 65535,    /* the EOCD comment length is 16-bit */
  DEFLATE_MAX_RATIO = 1032 /* deflate cannot expand further (2 bits per 258 bytes) */
};

static uint16_t rd16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const unsigned char *p) { return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16; }

/* Inflates a raw deflate stream of known output size. */
static int inflate_raw(const unsigned char *in, size_t n, unsigned char *out, size_t outlen) {
  z_stream z;
  memset(&z, 0, sizeof z);
  if (inflateInit2(&z, -15) != Z_OK) return -1;
  z.next_in = (unsigned char *)in;
  z.avail_in = (uInt)n;
  z.next_out = out;
  z.avail_out = (uInt)outlen;
  int r = inflate(&z, Z_FINISH);
  int ok = r == Z_STREAM_END && z.total_out == outlen;
  inflateEnd(&z);
  return ok ? 0 : -1;
}

/* One member whose central-directory entry has been read: unpacks, parses and hands
   it to FN. NAME is NLEN bytes ending in ".npy". */
static int read_member(const char *path, const unsigned char *z, size_t len, const char *name, size_t nlen,
                       unsigned method, uint32_t crc, uint32_t csize, uint32_t usize, uint32_t loff,
                       npz_member_fn fn, void *ctx, char *err, size_t errlen) {
  int nl = (int)nlen;
  if (csize == 0xffffffffu || usize == 0xffffffffu || loff == 0xffffffffu || (method != 0 && method != 8))
    return slimrt_errorf(err, errlen, "%s: member '%.*s': unsupported zip entry (zip64 or compression %u)", path,
                         nl, name, method);
  if ((size_t)loff > len || len - loff < LOCAL_SIZE || rd32(z + loff) != 0x04034b50u ||
      len - loff - LOCAL_SIZE < (size_t)rd16(z + loff + 26) + rd16(z + loff + 28) ||
      len - loff - LOCAL_SIZE - rd16(z + loff + 26) - rd16(z + loff + 28) < csize)
    return slimrt_errorf(err, errlen, "%s: member '%.*s': truncated or corrupt", path, nl, name);
  const unsigned char *data = z + loff + LOCAL_SIZE + rd16(z + loff + 26) + rd16(z + loff + 28);
  /* the sizes must agree before allocating: a damaged size field must not become a
     4 GiB malloc (stored data is its own size; deflate expands at most 1032:1) */
  if (method == 0 ? csize != usize : (uint64_t)usize > (uint64_t)csize * DEFLATE_MAX_RATIO)
    return slimrt_errorf(err, errlen, "%s: member '%.*s': corrupt sizes: %" PRIu32 " bytes of %s data cannot hold %" PRIu32
                         " bytes", path, nl, name, csize, method == 0 ? "stored" : "deflate", usize);
  unsigned char *raw = malloc(usize ? usize : 1);
  if (!raw) return slimrt_errorf(err, errlen, "out of memory");
  int bad = method == 0 ? (memcpy(raw, data, usize), 0) : inflate_raw(data, csize, raw, usize);
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION /* fuzz_npz: let mutated data reach the .npy parser */
  if (!bad && (uint32_t)crc32(crc32(0, NULL, 0), raw, usize) != crc) bad = 1;
#else
  (void)crc;
#endif
  if (bad) {
    free(raw);
    return slimrt_errorf(err, errlen, "%s: member '%.*s': corrupt data (CRC or deflate error)", path, nl, name);
  }
  char *key = malloc(nlen - 3);
  if (!key) {
    free(raw);
    return slimrt_errorf(err, errlen, "out of memory");
  }
  snprintf(key, nlen - 3, "%.*s", nl - 4, name);
  slimrt_array a;
  char why[1024];
  int r = slimrt_npy_read_mem(key, raw, usize, &a, why, sizeof why);
  free(raw);
  if (r) slimrt_errorf(err, errlen, "%s: %s", path, why);
  else {
    r = fn(ctx, key, &a, err, errlen);
    slimrt_array_free(&a);
  }
  free(key);
  return r ? -1 : 0;
}

int npz_read_mem(const char *path, const unsigned char *z, size_t len, npz_member_fn fn, void *ctx, char *err,
                 size_t errlen) {
  /* end of central directory: the last "PK\5\6" that leaves room for a full comment */
  size_t eocd = (size_t)-1;
  for (size_t i = len >= EOCD_SIZE ? len - EOCD_SIZE + 1 : 0; i-- > 0 && len - i <= MAX_COMMENT + EOCD_SIZE;)
    if (rd32(z + i) == 0x06054b50u) {
      eocd = i;
      break;
    }
  if (eocd == (size_t)-1) return slimrt_errorf(err, errlen, "%s: not a .npz (zip) file", path);
  uint32_t count = rd16(z + eocd + 10), cd_size = rd32(z + eocd + 12), cd_off = rd32(z + eocd + 16);
  if (cd_off > eocd || cd_size > eocd - cd_off || count == 0xffff || cd_off == 0xffffffffu)
    return slimrt_errorf(err, errlen, "%s: unsupported or corrupt zip directory (zip64?)", path);
  size_t p = cd_off;
  for (uint32_t m = 0; m < count; m++) {
    if (p > eocd || eocd - p < CDIR_SIZE || rd32(z + p) != 0x02014b50u)
      return slimrt_errorf(err, errlen, "%s: corrupt zip central directory", path);
    const unsigned char *h = z + p;
    size_t nlen = rd16(h + 28), xlen = rd16(h + 30), clen = rd16(h + 32);
    const char *name = (const char *)h + CDIR_SIZE;
    if (eocd - p - CDIR_SIZE < nlen) return slimrt_errorf(err, errlen, "%s: corrupt zip central directory", path);
    p += CDIR_SIZE + nlen + xlen + clen;
    if (nlen < 5 || memcmp(name + nlen - 4, ".npy", 4))
      return slimrt_errorf(err, errlen, "%s: member '%.*s' is not a .npy file", path, (int)nlen, name);
    if (read_member(path, z, len, name, nlen, rd16(h + 10), rd32(h + 16), rd32(h + 20), rd32(h + 24),
                    rd32(h + 42), fn, ctx, err, errlen))
      return -1;
  }
  return 0;
}
