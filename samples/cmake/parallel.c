/* parallel: two instances of the person-detection model, each on its own thread,
 * classify the same images many times in opposite orders; every result must equal
 * a single-threaded baseline bit for bit (the C API is reentrant: no global state).
 *
 *   parallel [--checkpoint=PREFIX] IMAGE.pgm IMAGE.pgm
 *
 * Prints the baseline probabilities and "two threads agree", exit status 0; 1 otherwise. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "person_detection.h"
#include "slimrt.h"

enum { NIMG = 2, ROUNDS = 20, NPROB = PERSON_DETECTION_PROBABILITIES_SIZE, NLOGIT = PERSON_DETECTION_LOGITS_SIZE };

typedef struct job {
  person_detection *m;
  const slimrt_array *img;
  const float (*want)[NPROB];
  int reverse;
  int mismatches, failures;
} job;

static void *work(void *arg) {
  job *j = arg;
  for (int r = 0; r < ROUNDS; r++)
    for (int k = 0; k < NIMG; k++) {
      int i = j->reverse ? NIMG - 1 - k : k;
      float p[NPROB], l[NLOGIT];
      if (person_detection_run(j->m, j->img[i].data, p, l)) j->failures++;
      else if (memcmp(p, j->want[i], sizeof p)) j->mismatches++;
    }
  return NULL;
}

int main(int argc, char **argv) {
  const char *ck = NULL;
  int a = 1;
  if (argc > 1 && !strncmp(argv[1], "--checkpoint=", 13)) ck = argv[a++] + 13;
  if (argc - a != NIMG) {
    fprintf(stderr, "usage: %s [--checkpoint=PREFIX] IMAGE.pgm IMAGE.pgm\n", argv[0]);
    return 2;
  }
  char err[512];
  slimrt_array img[NIMG] = {{0}};
  person_detection *m[2] = {NULL, NULL};
  float want[NIMG][NPROB], logits[NLOGIT];
  int rc = 1;
  for (int i = 0; i < NIMG; i++)
    if (slimrt_pnm_read(argv[a + i], &img[i], err, sizeof err) || img[i].nbytes != PERSON_DETECTION_IMAGE_SIZE) {
      fprintf(stderr, "%s: %s: %s\n", argv[0], argv[a + i], img[i].data ? "expected a 96x96 grayscale image" : err);
      goto out;
    }
  for (int t = 0; t < 2; t++)
    if (!(m[t] = person_detection_new(ck, err, sizeof err))) {
      fprintf(stderr, "%s: %s\n", argv[0], err);
      goto out;
    }
  for (int i = 0; i < NIMG; i++) {
    if (person_detection_run(m[0], img[i].data, want[i], logits)) goto out;
    printf("%s: no person %.6f, person %.6f\n", argv[a + i], want[i][0], want[i][1]);
  }
  job jobs[2] = {{m[0], img, want, 0, 0, 0}, {m[1], img, want, 1, 0, 0}};
  pthread_t th[2];
  for (int t = 0; t < 2; t++)
    if (pthread_create(&th[t], NULL, work, &jobs[t])) {
      fprintf(stderr, "%s: cannot start a thread\n", argv[0]);
      for (int u = 0; u < t; u++) pthread_join(th[u], NULL);
      goto out;
    }
  for (int t = 0; t < 2; t++) pthread_join(th[t], NULL);
  int bad = 0;
  for (int t = 0; t < 2; t++) bad += jobs[t].mismatches + jobs[t].failures;
  if (bad) {
    printf("two threads disagree: %d of %d runs differ from the baseline or failed\n", bad, 2 * ROUNDS * NIMG);
  } else {
    printf("two threads agree (%d runs)\n", 2 * ROUNDS * NIMG);
    rc = 0;
  }
out:
  for (int t = 0; t < 2; t++) person_detection_free(m[t]);
  for (int i = 0; i < NIMG; i++) slimrt_array_free(&img[i]);
  return rc;
}
