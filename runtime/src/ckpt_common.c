/* Checkpoint helpers that the reader and the writer share (ckpt_internal.h):
 * element sizes of TF dtypes and the keys of partitioned tensors' slices. */
#include <stdint.h>
#include "ckpt_internal.h"

int slimrt_ckpti_elem_size(int dtype) {
  switch (dtype) {
  case 1: case 3: case 13: case 22: return 4;          /* float int32 qint32 uint32 */
  case 2: case 8: case 9: case 23: return 8;           /* double complex64 int64 uint64 */
  case 4: case 6: case 10: case 11: case 12: return 1; /* uint8 int8 bool qint8 quint8 */
  case 5: case 14: case 15: case 16: case 17: case 19: return 2;
  case 18: return 16;                                  /* complex128 */
  default: return 0;
  }
}

/* ---- slice keys (OrderedCode) ------------------------------------------- */

typedef struct kout { unsigned char *p; size_t cap, n; } kout;
static void ko_byte(kout *k, unsigned char c) {
  if (k->n < k->cap) k->p[k->n] = c;
  k->n++;
}

/* Length byte, then the value big-endian without leading zero bytes. */
static void oc_num_increasing(kout *k, uint64_t v) {
  unsigned char t[8];
  int n = 0;
  while (v) {
    t[n++] = (unsigned char)v;
    v >>= 8;
  }
  ko_byte(k, (unsigned char)n);
  while (n) ko_byte(k, t[--n]);
}

/* Sign-extended big-endian value whose leading bits give the length (1-10 bytes). */
static void oc_signed_increasing(kout *k, int64_t v) {
  static const unsigned char hdr[11][2] = {{0, 0}, {0x80, 0}, {0xc0, 0}, {0xe0, 0}, {0xf0, 0}, {0xf8, 0},
                                           {0xfc, 0}, {0xfe, 0}, {0xff, 0}, {0xff, 0x80}, {0xff, 0xc0}};
  uint64_t x = v < 0 ? ~(uint64_t)v : (uint64_t)v;
  if (x < 64) {
    ko_byte(k, (unsigned char)(hdr[1][0] ^ (unsigned char)v));
    return;
  }
  int bits = 0;
  while (x >> bits) bits++;     /* number of significant bits, 7..63 */
  int len = bits / 7 + 1;
  unsigned char buf[10];
  unsigned char sign = v < 0 ? 0xff : 0;
  buf[0] = buf[1] = sign;
  for (int i = 0; i < 8; i++) buf[2 + i] = (unsigned char)((uint64_t)v >> (56 - 8 * i));
  unsigned char *b = buf + 10 - len;
  b[0] ^= hdr[len][0];
  b[1] ^= hdr[len][1];
  for (int i = 0; i < len; i++) ko_byte(k, b[i]);
}

size_t slimrt_ckpti_slice_key(unsigned char *out, size_t cap, const char *name, int rank,
                              const int64_t *start, const int64_t *length) {
  kout k = {out, cap, 0};
  oc_num_increasing(&k, 0);
  for (const unsigned char *s = (const unsigned char *)name; *s; s++) {
    ko_byte(&k, *s);
    if (*s == 0xff) ko_byte(&k, 0x00); /* escape, so the 0x00 0x01 terminator stays unique */
  }
  ko_byte(&k, 0x00);
  ko_byte(&k, 0x01);
  oc_num_increasing(&k, (uint64_t)rank);
  for (int i = 0; i < rank; i++) {
    oc_signed_increasing(&k, start[i]);
    oc_signed_increasing(&k, length[i]);
  }
  return k.n;
}
