/* libFuzzer target: the tensor data path. The input chooses a dtype and shape and
 * supplies the bytes; writer -> reader must give them back exactly, and the same
 * index over a data file replaced by the raw input must either read identical
 * bytes or report a one-line error (CRC mismatch, out of range), never a wrong value. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "slimrt.h"

static const int dtypes[] = {SLIMRT_F32, SLIMRT_F64, SLIMRT_I32, SLIMRT_U8, SLIMRT_I16, SLIMRT_I8, SLIMRT_I64,
                             SLIMRT_BOOL, SLIMRT_BF16, SLIMRT_U16, SLIMRT_F16, SLIMRT_U32, SLIMRT_U64};

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
  if (size < 2) return 0;
  int dtype = dtypes[data[0] % (sizeof dtypes / sizeof dtypes[0])];
  int nshards = 1 + data[1] % 3;
  size_t esz = (size_t)slimrt_dtype_size(dtype);
  data += 2, size -= 2;
  int64_t n = (int64_t)(size / esz);
  int64_t dims[2] = {n > 0 && n % 2 == 0 ? 2 : 1, 0};
  dims[1] = n / dims[0];
  char dir[] = "/tmp/fuzz_ckpt_XXXXXX", prefix[64], err[512];
  if (!mkdtemp(dir)) abort();
  snprintf(prefix, sizeof prefix, "%s/f", dir);
  slimrt_ckpt_writer *w = slimrt_ckpt_writer_new(prefix, nshards, err, sizeof err);
  if (!w) abort();
  if (slimrt_ckpt_writer_add(w, "t", dtype, 2, dims, data, nshards - 1, err, sizeof err) ||
      slimrt_ckpt_writer_add(w, "pad", SLIMRT_U8, 1, (int64_t[]){(int64_t)size}, data, 0, err, sizeof err) ||
      slimrt_ckpt_writer_finish(w, err, sizeof err))
    abort();
  slimrt_ckpt *ck = slimrt_ckpt_open(prefix, err, sizeof err);
  if (!ck) abort();
  size_t nb = (size_t)n * esz;
  unsigned char *back = malloc(nb + 1);
  float *f = malloc((size_t)n * 4 + 4);
  const slimrt_ckpt_entry *e = slimrt_ckpt_find(ck, "t");
  if (!e || slimrt_ckpt_read(ck, e, back, nb, err, sizeof err) || (nb && memcmp(back, data, nb))) abort();
  if (slimrt_ckpt_read_f32(ck, e, f, (size_t)n, err, sizeof err)) abort();
  slimrt_ckpt_close(ck);
  /* overwrite the shard holding "t" with the raw input */
  char shard[96];
  snprintf(shard, sizeof shard, "%s.data-%05d-of-%05d", prefix, nshards - 1, nshards);
  FILE *fp = fopen(shard, "wb");
  if (!fp) abort();
  if (size) fwrite(data + size / 2, 1, size - size / 2, fp);
  fclose(fp);
  ck = slimrt_ckpt_open(prefix, err, sizeof err);
  if (!ck) abort();
  e = slimrt_ckpt_find(ck, "t");
  if (slimrt_ckpt_read(ck, e, back, nb, err, sizeof err) == 0) {
    if (nb && memcmp(back, data, nb)) abort(); /* accepted bytes must be the right ones */
  } else if (!err[0] || strchr(err, '\n')) {
    abort();
  }
  slimrt_ckpt_close(ck);
  free(back);
  free(f);
  char p[128];
  for (int i = 0; i < nshards; i++) {
    snprintf(p, sizeof p, "%s.data-%05d-of-%05d", prefix, i, nshards);
    unlink(p);
  }
  snprintf(p, sizeof p, "%s.index", prefix);
  unlink(p);
  rmdir(dir);
  return 0;
}
