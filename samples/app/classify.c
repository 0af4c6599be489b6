/* classify: person detection from C. Links the object file and header that
 * `slimc -c person_detection.slim` writes, and libslimrt (for its PGM reader).
 *
 *   classify [--checkpoint=PREFIX] IMAGE.pgm ...
 *
 * prints "IMAGE: person 0.928" per image (class 0 "no person", 1 "person").
 * Weights: embedded ones if the object was built with --checkpoint, else PREFIX. */
#include <stdio.h>
#include <string.h>
#include "person_detection.h"
#include "slimrt.h"

static const char *const labels[PERSON_DETECTION_PROBABILITIES_SIZE] = {"no person", "person"};

int main(int argc, char **argv) {
  const char *checkpoint = NULL;
  int first = 1;
  if (argc > 1 && !strncmp(argv[1], "--checkpoint=", 13)) {
    checkpoint = argv[1] + 13;
    first = 2;
  }
  if (first >= argc) {
    fprintf(stderr, "usage: %s [--checkpoint=PREFIX] IMAGE.pgm ...\n", argv[0]);
    return 2;
  }
  char err[512];
  person_detection *m = person_detection_new(checkpoint, err, sizeof err);
  if (!m) {
    fprintf(stderr, "%s: %s\n", argv[0], err);
    return 1;
  }
  int rc = 0;
  for (int i = first; i < argc; i++) {
    slimrt_array img;
    float probs[PERSON_DETECTION_PROBABILITIES_SIZE], logits[PERSON_DETECTION_LOGITS_SIZE];
    if (slimrt_pnm_read(argv[i], &img, err, sizeof err)) {
      fprintf(stderr, "%s: %s\n", argv[0], err);
      rc = 1;
      continue;
    }
    /* the model takes exactly one 96x96 grayscale image */
    if (img.nbytes != PERSON_DETECTION_IMAGE_SIZE || img.dims[3] != 1) {
      fprintf(stderr, "%s: %s: expected a 96x96 grayscale image, found %lldx%lld with %lld channel(s)\n", argv[0],
              argv[i], (long long)img.dims[2], (long long)img.dims[1], (long long)img.dims[3]);
      slimrt_array_free(&img);
      rc = 1;
      continue;
    }
    if (person_detection_run(m, img.data, probs, logits)) {
      fprintf(stderr, "%s: %s: the model could not run\n", argv[0], argv[i]);
      rc = 1;
    } else {
      int best = probs[1] > probs[0];
      printf("%s: %s %.3f\n", argv[i], labels[best], probs[best]);
    }
    slimrt_array_free(&img);
  }
  person_detection_free(m);
  return rc;
}
