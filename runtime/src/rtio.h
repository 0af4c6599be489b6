/* Internal to libslimrt (not installed): what npy.c, pnm.c, rng.c and model.c
 * export to exe_main.c and to each other beyond the public slimrt.h. */
#ifndef SLIMRT_RTIO_H
#define SLIMRT_RTIO_H
#include <stdint.h>
#include <stdio.h>
#include "fileio.h"
#include "slimrt.h"

/* How a path is named in messages: "-" is standard input/output. */
const char *slimrt_io_name(const char *path, int writing);

/* Writes A as a .npy file into O, staged but not committed, so a program with
   several outputs can commit them all at once (slimrt_out_commit_all) or none. */
int slimrt_npy_write_begin(const char *path, const slimrt_array *a, slimrt_out *o, char *err, size_t errlen);

/* PNG and JPEG images (image.c, stb_image). "PNG", "JPEG" or NULL by the magic bytes. */
const char *slimrt_image_kind(const void *buf, size_t len);
/* Decodes to u8 [1,H,W,C], C = 1 (grey) or 3 (colour; alpha dropped). */
int slimrt_image_read_mem(const char *name, const void *buf, size_t len, slimrt_array *out, char *err,
                          size_t errlen);
/* Whether an image can feed IO: uint8 [N,H,W,1|3], or float32 with the model's image_prep. */
int slimrt_image_takes(const slimrt_io_desc *io);
/* IMG (u8 [1,h,w,c], from either reader) as item ITEM of IO's tensor DST: channels converted,
   resized (bilinear, half-pixel centres), then uint8 or (pixel - mean) * scale. */
int slimrt_image_to_input(const char *name, const slimrt_array *img, const slimrt_io_desc *io, int64_t item,
                          void *dst, char *err, size_t errlen);

/* The PRNG of --random-init: xoshiro256** seeded through splitmix64 from
   (seed, FNV-1a hash of the variable name), so a variable's values do not
   depend on which other variables exist or their order. The streams are not
   TF's Philox streams: values differ from what TF would draw for the same seed. */
typedef struct slimrt_rng {
  uint64_t s[4];
  double spare;      /* Box-Muller yields normals in pairs */
  int has_spare;
} slimrt_rng;
void slimrt_rng_seed(slimrt_rng *r, uint64_t seed, const char *name);
uint64_t slimrt_rng_next(slimrt_rng *r);
double slimrt_rng_uniform(slimrt_rng *r);   /* [0, 1) with 53 random bits */
double slimrt_rng_normal(slimrt_rng *r);    /* N(0, 1) */
/* Fills DST (shape->dtype, count elements of SHAPE) from V's initializer. */
int slimrt_init_fill(const slimrt_var_desc *v, uint64_t seed, void *dst, char *err, size_t errlen);

/* Element I of BUF (of DTYPE) as a double, and the reverse (saturating for ints). */
double slimrt_io_get(int dtype, const void *buf, int64_t i);
void slimrt_io_set(int dtype, void *buf, int64_t i, double v);
/* slimrt_dtype_name(), or "?" for dtypes it does not know. */
const char *slimrt_io_dtype_name(int dtype);
/* Writes "[1,224,224,3]" into BUF. */
void slimrt_io_format_shape(char *buf, size_t n, int rank, const int64_t *dims);

/* The files of an open checkpoint: 0 its index, 1..N its data shards, else NULL
   (for refusing an output that would replace one of them). */
const char *slimrt_ckpt_file(const slimrt_ckpt *ck, int i);

/* Worker threads of a model's pool (1 if it runs on the caller). */
int slimrt_model_threads(const slimrt_model *m);
/* The descriptor M was made from (capi.c). */
const slimrt_model_desc *slimrt_model_descriptor(const slimrt_model *m);

#endif
