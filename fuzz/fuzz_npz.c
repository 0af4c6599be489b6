/* libFuzzer target: the .npz reader must reject any malformed archive with an
 * error (never crash, leak or allocate past what the bytes can hold), and every
 * member it hands out must be a consistent array. */
#include <stdlib.h>
#include "npz.h"

static int check_member(void *ctx, const char *key, const slimrt_array *a, char *err, size_t errlen) {
  if (!key || a->rank < 0 || a->rank > SLIMRT_MAX_RANK) abort();
  int64_t n = slimrt_shape_count(a->rank, a->dims);
  int esz = slimrt_dtype_size(a->dtype);
  if (n < 0 || esz <= 0 || a->nbytes != (size_t)n * (size_t)esz || (a->nbytes && !a->data)) abort();
  ++*(size_t *)ctx;
  return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
  char err[256] = "";
  size_t members = 0;
  if (npz_read_mem("fuzz.npz", data, size, check_member, &members, err, sizeof err)) {
    if (!err[0]) abort(); /* every rejection explains itself */
    return 0;
  }
  /* each member has its own central-directory entry: 46 bytes and a name of at
     least 5 ("X.npy"); local headers may be shared */
  if (members > size / 51) abort();
  return 0;
}
