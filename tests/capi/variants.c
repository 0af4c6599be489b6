/* Two variants of tests/capi/digits.slim (-D width=4 and -D width=6) compiled with
 * --api-prefix=narrow and --api-prefix=wide, linked into one program (tests/scripts/capi.sh).
 * usage: variants DIR   (DIR holds narrow.ckpt and wide.ckpt; writes x3.npy and NAME[.ckpt].logits.raw) */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "narrow.h"
#include "wide.h"

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)

/* X as a float32 .npy of SHAPE (version 1.0: the header padded to 64 bytes). */
static int write_npy(FILE *f, const float *x, size_t n, const char *shape) {
  char h[128];
  int len = snprintf(h, sizeof h, "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }", shape);
  int total = (10 + len + 1 + 63) / 64 * 64;
  fwrite("\x93NUMPY\x01\x00", 1, 8, f);
  fputc((total - 10) & 0xff, f), fputc((total - 10) >> 8, f);
  fputs(h, f);
  for (int i = 10 + len; i < total - 1; i++) fputc(' ', f);
  fputc('\n', f);
  return fwrite(x, sizeof *x, n, f) != n;
}

#define P narrow
#define PU NARROW
#include "variant.inc"
#undef P
#undef PU
#define P wide
#define PU WIDE
#include "variant.inc"

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  int rc = narrow_check(argv[1], "narrow", 7);
  rc |= wide_check(argv[1], "wide", 11);
  return rc;
}
