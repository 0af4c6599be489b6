/* libFuzzer target: the PNG/JPEG decoder of the executable's --input (image.c over
 * stb_image). A rejected file must say why; an accepted one must be u8 [1,H,W,1|3] with a
 * byte count matching its shape, and must then convert, through the same resize and
 * preprocessing the executable uses, into a uint8 item of a batch and a float32 input with
 * image_input() preprocessing, every byte of which ASan sees written inside its buffer. */
#include <stdlib.h>
#include <string.h>
#include "../runtime/src/rtio.h"

static void feed(const slimrt_array *img, const slimrt_io_desc *io, int64_t item) {
  const slimrt_shape *s = &io->shape;
  size_t n = (size_t)slimrt_shape_count((int)s->rank, s->dims) * (size_t)slimrt_dtype_size((int)s->dtype);
  unsigned char *dst = malloc(n);
  char err[256];
  if (!dst) abort();
  memset(dst, 0xa5, n);
  if (slimrt_image_to_input("fuzz.img", img, io, item, dst, err, sizeof err)) abort(); /* the io takes images */
  volatile unsigned char sink = 0;
  for (size_t i = 0; i < n; i++) sink ^= dst[i];
  (void)sink;
  free(dst);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
  slimrt_array a;
  char err[256];
  err[0] = 0;
  if (slimrt_image_read_mem("fuzz.img", data, size, &a, err, sizeof err)) {
    if (!err[0]) abort();
    return 0;
  }
  if (a.dtype != SLIMRT_U8 || a.rank != 4 || a.dims[0] != 1 || (a.dims[3] != 1 && a.dims[3] != 3) ||
      a.dims[1] <= 0 || a.dims[2] <= 0 || (size_t)(a.dims[1] * a.dims[2] * a.dims[3]) != a.nbytes)
    abort();
  /* a batch of 2 uint8 colour items (the second one written), and a grey float32 input
     with a mean and scale, upscaled in one direction and downscaled in the other */
  static const float prep[2] = {127.5f, 1.0f / 127.5f};
  slimrt_io_desc u8 = {"u8", {SLIMRT_U8, 4, {2, 5, 7, 3}}, NULL};
  slimrt_io_desc f32 = {"f32", {SLIMRT_F32, 4, {1, 9, 2, 1}}, prep};
  feed(&a, &u8, 1);
  feed(&a, &f32, 0);
  slimrt_array_free(&a);
  return 0;
}
