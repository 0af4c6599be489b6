/* libFuzzer target: the PGM/PPM reader rejects malformed images with an error
 * and returns [1,H,W,C] arrays whose byte count matches their shape. */
#include <stdlib.h>
#include "slimrt.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
  slimrt_array a;
  char err[256];
  if (slimrt_pnm_read_mem("fuzz.pgm", data, size, &a, err, sizeof err)) {
    if (!err[0]) abort();
    return 0;
  }
  if (a.dtype != SLIMRT_U8 || a.rank != 4 || a.dims[0] != 1 || (a.dims[3] != 1 && a.dims[3] != 3) ||
      (size_t)(a.dims[1] * a.dims[2] * a.dims[3]) != a.nbytes)
    abort();
  volatile unsigned char sink = 0;
  for (size_t i = 0; i < a.nbytes; i++) sink ^= ((unsigned char *)a.data)[i];  /* ASan checks the whole buffer */
  (void)sink;
  slimrt_array_free(&a);
  return 0;
}
