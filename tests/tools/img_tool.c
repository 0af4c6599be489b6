/* img_tool: test images made at test time from binary PGM/PPM files (never stored in the
 * repository), with Debian's stb_image_write:
 *   img_tool IN.pgm|IN.ppm OUT.png|OUT.jpg [--scale=K] [--rgb]
 * --scale=K repeats each pixel KxK times (so a half-pixel-centre bilinear resize back to the
 * original size is exact), --rgb writes a grey image as three equal channels. JPEG at quality
 * 95. Exit 1 with a message on a bad input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
/* stb declares static functions this file never calls or defines */
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

static int next_int(FILE *f) {
  int c, v = 0;
  while ((c = fgetc(f)) == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '#')
    if (c == '#')
      while ((c = fgetc(f)) != '\n' && c != EOF) {}
  if (c < '0' || c > '9') return -1;
  for (; c >= '0' && c <= '9'; c = fgetc(f)) v = v * 10 + (c - '0');
  return v; /* the one whitespace byte after the number is consumed */
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: img_tool IN.pgm|IN.ppm OUT.png|OUT.jpg [--scale=K] [--rgb]\n");
    return 2;
  }
  int k = 1, rgb = 0;
  for (int i = 3; i < argc; i++) {
    if (!strncmp(argv[i], "--scale=", 8)) k = atoi(argv[i] + 8);
    else if (!strcmp(argv[i], "--rgb")) rgb = 1;
  }
  FILE *f = fopen(argv[1], "rb");
  char m[2];
  if (!f || fread(m, 1, 2, f) != 2 || m[0] != 'P' || (m[1] != '5' && m[1] != '6')) {
    fprintf(stderr, "img_tool: %s: not a binary PGM/PPM\n", argv[1]);
    return 1;
  }
  int c = m[1] == '5' ? 1 : 3, w = next_int(f), h = next_int(f), maxval = next_int(f);
  if (w <= 0 || h <= 0 || maxval != 255 || k < 1 || k > 16) {
    fprintf(stderr, "img_tool: %s: unsupported header\n", argv[1]);
    return 1;
  }
  unsigned char *px = malloc((size_t)w * h * c);
  if (!px || fread(px, 1, (size_t)w * h * c, f) != (size_t)w * h * c) {
    fprintf(stderr, "img_tool: %s: truncated\n", argv[1]);
    return 1;
  }
  fclose(f);
  int oc = rgb && c == 1 ? 3 : c, ow = w * k, oh = h * k;
  unsigned char *out = malloc((size_t)ow * oh * oc);
  for (int y = 0; y < oh; y++)
    for (int x = 0; x < ow; x++)
      for (int ch = 0; ch < oc; ch++)
        out[((size_t)y * ow + x) * oc + ch] = px[((size_t)(y / k) * w + x / k) * c + (c == 1 ? 0 : ch)];
  const char *dot = strrchr(argv[2], '.');
  int ok = dot && !strcmp(dot, ".png")   ? stbi_write_png(argv[2], ow, oh, oc, out, ow * oc)
           : dot && !strcmp(dot, ".jpg") ? stbi_write_jpg(argv[2], ow, oh, oc, out, 95)
                                         : -1;
  if (ok <= 0) {
    fprintf(stderr, "img_tool: %s: %s\n", argv[2], ok < 0 ? "give a .png or .jpg name" : "cannot write");
    return 1;
  }
  free(px);
  free(out);
  return 0;
}
