/* libFuzzer target: the generated executable's input path. fuzz_exe_input.slim
 * is compiled by the just-built slimc into assembly at build time and its
 * main() renamed to fuzz_exe_model_main (see CMakeLists.txt here), so this runs
 * exactly what `./model --input=NAME=FILE` runs: reading the file, telling
 * .npy from PGM/PPM, checking dtype and shape, running the graph, writing the
 * outputs. The first byte picks which input gets the fuzz data; the other one
 * gets a valid file. Exit 0 or 1 are both fine; 2 (usage) or a crash are not. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int fuzz_exe_model_main(int argc, char **argv);

static int write_file(const char *path, const void *p, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  int bad = n && fwrite(p, 1, n, f) != n;
  return (fclose(f) || bad) ? -1 : 0;
}

/* A valid .npy header for DESCR and SHAPE followed by N zero bytes. */
static int write_npy(const char *path, const char *descr, const char *shape, size_t n) {
  char hdr[128];
  int len = snprintf(hdr, sizeof hdr, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape);
  size_t total = 10 + (size_t)len + 1;
  size_t pad = (64 - total % 64) % 64;
  size_t size = total + pad + n;
  unsigned char *b = calloc(1, size);
  if (!b) return -1;
  memcpy(b, "\x93NUMPY\x01\x00", 8);
  b[8] = (unsigned char)((len + 1 + pad) & 0xff);
  b[9] = (unsigned char)((len + 1 + pad) >> 8);
  memcpy(b + 10, hdr, (size_t)len);
  memset(b + 10 + len, ' ', pad);
  b[10 + len + pad] = '\n';
  int rc = write_file(path, b, size);
  free(b);
  return rc;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
  if (size < 1) return 0;
  char dir[] = "/tmp/fuzz_exe_XXXXXX";
  if (!mkdtemp(dir)) abort();
  char fz[64], ok[64], o1[64], o2[64];
  snprintf(fz, sizeof fz, "%s/fuzz.in", dir);
  snprintf(o1, sizeof o1, "%s/pixels.npy", dir);
  snprintf(o2, sizeof o2, "%s/y.npy", dir);
  int fuzz_image = data[0] & 1;
  snprintf(ok, sizeof ok, "%s/ok.npy", dir);
  if (write_file(fz, data + 1, size - 1)) abort();
  if (fuzz_image ? write_npy(ok, "<f4", "(2, 3)", 24) : write_npy(ok, "|u1", "(1, 8, 8, 3)", 192)) abort();
  char a_img[96], a_x[96], a_o1[96], a_o2[96];
  snprintf(a_img, sizeof a_img, "--input=image=%s", fuzz_image ? fz : ok);
  snprintf(a_x, sizeof a_x, "--input=x=%s", fuzz_image ? ok : fz);
  snprintf(a_o1, sizeof a_o1, "--output=pixels=%s", o1);
  snprintf(a_o2, sizeof a_o2, "--output=y=%s", o2);
  char *argv[] = {"fuzz_exe", a_img, a_x, a_o1, a_o2, "--threads=1", NULL};
  int rc = fuzz_exe_model_main(6, argv);
  if (rc != 0 && rc != 1) abort();
  /* outputs exist exactly when the run succeeded */
  if ((access(o1, F_OK) == 0) != (rc == 0) || (access(o2, F_OK) == 0) != (rc == 0)) abort();
  unlink(fz);
  unlink(ok);
  unlink(o1);
  unlink(o2);
  rmdir(dir);
  return 0;
}
