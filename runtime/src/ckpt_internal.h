/* Shared between ckpt_read.c and ckpt_write.c (defined in ckpt_common.c); not part
   of the public API. */
#ifndef SLIMRT_CKPT_INTERNAL_H
#define SLIMRT_CKPT_INTERNAL_H
#include <stddef.h>
#include <stdint.h>

#define CKPT_MAX_SHARDS 100000      /* the file names have five digits */
#define CKPT_TABLE_MAGIC_LO 0x8b80fb57u
#define CKPT_TABLE_MAGIC_HI 0xdb477524u
#define CKPT_FOOTER_SIZE 48
#define CKPT_TRAILER_SIZE 5

/* Bytes per element of a fixed-size TF dtype (incl. complex and quantized ones,
   which can be listed and read raw); 0 for string, variant, resource, unknown. */
int slimrt_ckpti_elem_size(int dtype);

/* The key TF stores a slice's data under (saved_tensor_slice_util.cc
   EncodeTensorNameSlice, OrderedCode): writes up to CAP bytes to OUT and returns
   the full length. LENGTH[i] == -1 means the whole dimension. */
size_t slimrt_ckpti_slice_key(unsigned char *out, size_t cap, const char *name, int rank,
                              const int64_t *start, const int64_t *length);
#define CKPT_SLICE_KEY_MAX(namelen, rank) (4 + 2 * (namelen) + 10 + 20 * (size_t)(rank))

#endif
