#include "driver/ckpt_deps.h"
#include <string.h>
#include <sys/stat.h>
#include "slimrt.h"

int ckpt_deps(Arena *arena, const char *checkpoint, PtrVec *out) {
  char err[512];
  slimrt_ckpt *ck = slimrt_ckpt_open(checkpoint, err, sizeof err);
  if (!ck) return -1;
  struct stat st;
  if (stat(checkpoint, &st) == 0 && S_ISDIR(st.st_mode)) {
    size_t n = strlen(checkpoint);
    while (n > 1 && checkpoint[n - 1] == '/') n--;
    ptrvec_push(arena, out, arena_printf(arena, "%.*s/checkpoint", (int)n, checkpoint));
  }
  const char *prefix = slimrt_ckpt_prefix(ck);
  ptrvec_push(arena, out, arena_printf(arena, "%s.index", prefix));
  int shards = slimrt_ckpt_num_shards(ck);
  for (int i = 0; i < shards; i++)
    ptrvec_push(arena, out, arena_printf(arena, "%s.data-%05d-of-%05d", prefix, i, shards));
  slimrt_ckpt_close(ck);
  return 0;
}
