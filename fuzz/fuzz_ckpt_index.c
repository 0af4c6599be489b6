/* libFuzzer target: the checkpoint index parser (SSTable blocks, Snappy, protobuf
 * entries). Any input must open cleanly or fail with a message; whatever opens
 * must list and read without crashing. Seeds: the real .index files under
 * shared/testdata/tf-checkpoints (see docs/checkpoints.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "slimrt.h"

static int write_file(const char *path, const void *p, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  int bad = n && fwrite(p, 1, n, f) != n;
  return (fclose(f) || bad) ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
  char dir[] = "/tmp/fuzz_ckpt_XXXXXX", prefix[64], idx[80], shard[96];
  if (!mkdtemp(dir)) abort();
  snprintf(prefix, sizeof prefix, "%s/f", dir);
  snprintf(idx, sizeof idx, "%s.index", prefix);
  snprintf(shard, sizeof shard, "%s.data-00000-of-00001", prefix);
  static const unsigned char zeros[256];
  if (write_file(idx, data, size) || write_file(shard, zeros, sizeof zeros)) abort();
  char err[512] = "";
  slimrt_ckpt *ck = slimrt_ckpt_open(prefix, err, sizeof err);
  if (!ck) {
    if (!err[0] || strchr(err, '\n')) abort(); /* one line, always present */
  } else {
    for (int i = 0; i < slimrt_ckpt_count(ck); i++) {
      const slimrt_ckpt_entry *e = slimrt_ckpt_entry_at(ck, i);
      if (slimrt_ckpt_find(ck, e->key) != e) abort(); /* binary search finds every key */
      int64_t n = slimrt_shape_count(e->rank, e->dims);
      if (n < 0 || n > (1 << 16)) continue;
      float *f = malloc((size_t)n * 16 + 1);
      if (!f) abort();
      slimrt_ckpt_read(ck, e, f, (size_t)n * (size_t)(slimrt_dtype_size(e->dtype)), err, sizeof err);
      slimrt_ckpt_read_f32(ck, e, f, (size_t)n, err, sizeof err);
      free(f);
    }
    slimrt_ckpt_close(ck);
  }
  unlink(idx);
  unlink(shard);
  rmdir(dir);
  return 0;
}
