/* PNG and JPEG images for the generated executable's --input (docs/executable.md, "Images").
 *
 * Decoding is stb_image (Debian's libstb-dev, header-only): compiled into this one file with
 * every function static, PNG and JPEG only, no stdio, at most 16384 pixels a side. Being
 * header-only it adds no library to link: libslimrt keeps to libc, libm and pthreads, the
 * static and shared libraries and the pkg-config line do not change, and the runtime builds
 * for any --target that has a C compiler.
 *
 * An image becomes one item of an input [N,H,W,C] (C = 1 or 3): grey <-> colour conversion
 * (luma with PIL's weights, a grey image replicated), then a bilinear resize with half-pixel
 * centres (TF2's tf.image.resize default, antialias off) when the sizes differ, then the
 * input's dtype: uint8 takes the pixels rounded to 0..255, float32 takes
 * (pixel - mean[c]) * scale[c] as the model's signature declares (image_input()). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "rtio.h"

#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STBI_MAX_DIMENSIONS 16384
/* zeroed allocations: a JPEG scan that uses a Huffman table no DHT segment defined reads
   stb's table from fresh memory (an out-of-bounds index, found by fuzz_image); a zero
   table has no codes, and stb reports the scan as corrupt */
#define STBI_MALLOC(sz) calloc(1, (sz) ? (sz) : 1)
#define STBI_REALLOC(p, sz) realloc(p, sz)
#define STBI_FREE(p) free(p)
/* stb declares static functions this file never calls or defines */
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include <stb/stb_image.h>
#pragma GCC diagnostic pop

#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define IMG_MAX_PIXELS (1ll << 20) /* fuzzing: a 380-byte progressive JPEG of 518x15624 took 12 s */
#else
#define IMG_MAX_PIXELS (1ll << 26) /* 64 Mpixel: an 8192x8192 photo */
#endif

const char *slimrt_image_kind(const void *buf, size_t len) {
  const unsigned char *b = buf;
  if (len >= 8 && !memcmp(b, "\x89PNG\r\n\x1a\n", 8)) return "PNG";
  if (len >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff) return "JPEG";
  return NULL;
}

/* Debian's stb_image (2022) trusts a JPEG DHT segment's 16 code-length counts: a table of
   more than 256 codes writes past its arrays (found by fuzz_image; later stb releases
   check it). stb takes a segment after any FF C4 pair it meets between segments, and skips
   other bytes there as it likes, so every FF C4 pair in the file is read as a DHT segment
   here, as stb would read it (zeros past the end, tables while the length lasts): a superset
   of what stb can see. 0: a table of more than 256 codes. */
static int jpeg_tables_ok(const unsigned char *b, size_t len) {
  for (size_t at = 0; at + 1 < len; at++) {
    if (b[at] != 0xff || b[at + 1] != 0xc4) continue;
    long left = (long)((at + 3 < len ? (size_t)b[at + 2] << 8 | b[at + 3] : 0)) - 2;
    size_t p = at + 4;
    while (left > 0) {
      unsigned n = 0;
      for (size_t i = p + 1; i <= p + 16 && i < len; i++) n += b[i];
      if (n > 256) return 0;
      left -= 17 + (long)n;
      p += 17 + n;
    }
  }
  return 1;
}

static int decode(const char *name, const char *kind, const void *buf, size_t len, slimrt_array *out, char *err,
                  size_t errlen);

/* The PNG's chunks as stb_image will see them, checked first: a chunk that claims more bytes
   than the file holds is refused here (stb allocates the claimed size, up to 2 GiB, before it
   finds the data missing: found by fuzz_image), and an IDAT chunk of no bytes, which carries
   nothing but makes stb start its buffer from NULL + 0 (undefined behaviour, fuzz_image), is
   left out of a copy. Returns -1 for a truncated chunk, else 0 with *COPY the copy or NULL
   when the file needs none (or no memory: then stb sees the file as it is). */
static int png_prepare(const unsigned char *b, size_t len, unsigned char **copy, size_t *outlen) {
  size_t at = 8, empties = 0;
  *copy = NULL;
  while (at + 8 <= len) { /* a chunk's length and type are there: all of it must be */
    size_t L = (size_t)b[at] << 24 | (size_t)b[at + 1] << 16 | (size_t)b[at + 2] << 8 | b[at + 3];
    if (len - at < 12 || L > len - at - 12) return -1;
    if (L == 0 && !memcmp(b + at + 4, "IDAT", 4)) empties++;
    if (!memcmp(b + at + 4, "IEND", 4)) break;
    at += 12 + L;
  }
  unsigned char *c = empties ? malloc(len) : NULL;
  if (!c) return 0;
  memcpy(c, b, 8);
  size_t o = 8;
  for (at = 8; at + 12 <= len;) {
    size_t L = (size_t)b[at] << 24 | (size_t)b[at + 1] << 16 | (size_t)b[at + 2] << 8 | b[at + 3];
    if (L > len - at - 12) break;
    if (!(L == 0 && !memcmp(b + at + 4, "IDAT", 4))) memcpy(c + o, b + at, 12 + L), o += 12 + L;
    at += 12 + L;
  }
  memcpy(c + o, b + at, len - at); /* a tail as it was */
  *outlen = o + (len - at);
  *copy = c;
  return 0;
}

int slimrt_image_read_mem(const char *name, const void *buf, size_t len, slimrt_array *out, char *err,
                          size_t errlen) {
  memset(out, 0, sizeof *out);
  const char *kind = slimrt_image_kind(buf, len);
  if (!kind) return slimrt_errorf(err, errlen, "%s: not a PNG or JPEG image", name);
  if (len > 0x7fffffff) return slimrt_errorf(err, errlen, "%s: %s file too large", name, kind);
  if (kind[0] == 'J' && !jpeg_tables_ok(buf, len))
    return slimrt_errorf(err, errlen, "%s: bad JPEG image: a Huffman table of more than 256 codes", name);
  unsigned char *png = NULL;
  if (kind[0] == 'P' && png_prepare(buf, len, &png, &len))
    return slimrt_errorf(err, errlen, "%s: bad PNG image: a chunk runs past the end of the file", name);
  if (png) buf = png;
  int rc = decode(name, kind, buf, len, out, err, errlen);
  free(png);
  return rc;
}

static int decode(const char *name, const char *kind, const void *buf, size_t len, slimrt_array *out, char *err,
                  size_t errlen) {
  int w, h, comp;
  if (!stbi_info_from_memory(buf, (int)len, &w, &h, &comp))
    return slimrt_errorf(err, errlen, "%s: bad %s image: %s", name, kind, stbi_failure_reason());
  if ((long long)w * h > IMG_MAX_PIXELS)
    return slimrt_errorf(err, errlen, "%s: %s image of %dx%d pixels is too large (at most %lld)", name, kind, w, h,
                         (long long)IMG_MAX_PIXELS);
  int channels = comp <= 2 ? 1 : 3; /* alpha is dropped */
  unsigned char *px = stbi_load_from_memory(buf, (int)len, &w, &h, &comp, channels);
  if (!px) return slimrt_errorf(err, errlen, "%s: bad %s image: %s", name, kind, stbi_failure_reason());
  size_t n = (size_t)w * (size_t)h * (size_t)channels;
  out->data = malloc(n);
  if (!out->data) {
    stbi_image_free(px);
    return slimrt_errorf(err, errlen, "%s: out of memory for a %dx%d image", name, w, h);
  }
  memcpy(out->data, px, n);
  stbi_image_free(px);
  out->dtype = SLIMRT_U8;
  out->rank = 4;
  out->dims[0] = 1, out->dims[1] = h, out->dims[2] = w, out->dims[3] = channels;
  out->nbytes = n;
  return 0;
}

int slimrt_image_takes(const slimrt_io_desc *io) {
  const slimrt_shape *s = &io->shape;
  if (s->rank != 4 || (s->dims[3] != 1 && s->dims[3] != 3) || s->dims[1] <= 0 || s->dims[2] <= 0) return 0;
  return s->dtype == SLIMRT_U8 || (s->dtype == SLIMRT_F32 && io->image_prep);
}

/* Pixel (y, x, channel c of C) of IMG after the channel conversion. */
static float pixel(const slimrt_array *img, int64_t y, int64_t x, int c, int C) {
  const unsigned char *p = (const unsigned char *)img->data + (y * img->dims[2] + x) * img->dims[3];
  if (img->dims[3] == C) return p[c];
  if (C == 3) return p[0];                                              /* grey -> colour */
  return (float)((p[0] * 19595 + p[1] * 38470 + p[2] * 7471 + 0x8000) >> 16); /* colour -> grey */
}

int slimrt_image_to_input(const char *name, const slimrt_array *img, const slimrt_io_desc *io, int64_t item,
                          void *dst, char *err, size_t errlen) {
  const slimrt_shape *s = &io->shape;
  if (!slimrt_image_takes(io))
    return slimrt_errorf(err, errlen, "%s: an image cannot feed input '%s': images feed uint8 [N,H,W,1|3] inputs, "
                         "and float32 ones whose model declares the preprocessing with image_input()", name, io->name);
  int64_t H = s->dims[1], W = s->dims[2], h = img->dims[1], w = img->dims[2];
  int C = (int)s->dims[3];
  size_t item_elems = (size_t)(H * W * C);
  float sy = (float)h / (float)H, sx = (float)w / (float)W;
  for (int64_t y = 0; y < H; y++) {
    /* half-pixel centres: source coordinate of the output pixel's centre */
    float fy = (y + 0.5f) * sy - 0.5f;
    if (fy < 0) fy = 0;
    int64_t y0 = (int64_t)fy, y1 = y0 + 1 < h ? y0 + 1 : h - 1;
    float ay = h == H ? 0 : fy - (float)y0;
    for (int64_t x = 0; x < W; x++) {
      float fx = (x + 0.5f) * sx - 0.5f;
      if (fx < 0) fx = 0;
      int64_t x0 = (int64_t)fx, x1 = x0 + 1 < w ? x0 + 1 : w - 1;
      float ax = w == W ? 0 : fx - (float)x0;
      for (int c = 0; c < C; c++) {
        float v = pixel(img, y0, x0, c, C);
        if (ay != 0 || ax != 0) {
          float top = v + ax * (pixel(img, y0, x1, c, C) - v);
          float bot = pixel(img, y1, x0, c, C);
          bot += ax * (pixel(img, y1, x1, c, C) - bot);
          v = top + ay * (bot - top);
        }
        size_t at = (size_t)item * item_elems + (size_t)((y * W + x) * C + c);
        if (s->dtype == SLIMRT_U8) {
          float r = floorf(v + 0.5f);
          ((unsigned char *)dst)[at] = (unsigned char)(r < 0 ? 0 : r > 255 ? 255 : r);
        } else {
          ((float *)dst)[at] = (v - io->image_prep[c]) * io->image_prep[C + c];
        }
      }
    }
  }
  return 0;
}
