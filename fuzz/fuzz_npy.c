/* libFuzzer target: the .npy reader must reject any malformed bytes with an
 * error (never crash or leak), and whatever it accepts must survive a round
 * trip through the writer unchanged. */
#include <stdlib.h>
#include <string.h>
#include "slimrt.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
  slimrt_array a;
  char err[256];
  if (slimrt_npy_read_mem("fuzz.npy", data, size, &a, err, sizeof err)) {
    if (!err[0]) abort();  /* every rejection explains itself */
    return 0;
  }
  void *buf;
  size_t len;
  if (slimrt_npy_encode(&a, &buf, &len, err, sizeof err) == 0) {
    slimrt_array b;
    if (slimrt_npy_read_mem("again.npy", buf, len, &b, err, sizeof err)) abort();
    if (b.dtype != a.dtype || b.rank != a.rank || b.nbytes != a.nbytes ||
        (a.nbytes && memcmp(a.data, b.data, a.nbytes)))
      abort();
    slimrt_array_free(&b);
    free(buf);
  }
  slimrt_array_free(&a);
  return 0;
}
