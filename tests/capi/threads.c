/* Two instances of one model run at once from two pthreads (tests/scripts/capi.sh): every
 * result must equal the sequential run of the same input, bit for bit. A third thread runs
 * the other variant (wide) meanwhile. usage: threads ROUNDS */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "narrow.h"
#include "wide.h"

enum { NX = 4, B = 2, ISZ = NARROW_IMAGES_SIZE, OSZ = NARROW_LOGITS_SIZE };
static float x[NX][B * ISZ];

typedef struct job {
  narrow *m;
  wide *w;
  int rounds, first, failures;
  float want[NX][B * OSZ];
} job;

static int run(job *j, int k, float *logits) {
  static const int64_t xd[4] = {B, 8, 8, 2}, od[2] = {B, 3};
  float probs[B * OSZ];
  char err[256];
  if (j->w) {
    wide_tensor in = {WIDE_DT_FLOAT32, 4, xd, x[k]}, out[2] = {{WIDE_DT_FLOAT32, 2, od, logits}, {WIDE_DT_FLOAT32, 2, od, probs}};
    return wide_run_tensors(j->w, &in, 1, out, 2, err, sizeof err);
  }
  narrow_tensor in = {NARROW_DT_FLOAT32, 4, xd, x[k]},
                out[2] = {{NARROW_DT_FLOAT32, 2, od, logits}, {NARROW_DT_FLOAT32, 2, od, probs}};
  return narrow_run_tensors(j->m, &in, 1, out, 2, err, sizeof err);
}

static void *worker(void *arg) {
  job *j = arg;
  float got[B * OSZ];
  for (int r = 0; r < j->rounds; r++) {
    int k = (r + j->first) % NX;
    if (run(j, k, got) || memcmp(got, j->want[k], sizeof got)) j->failures++;
  }
  return NULL;
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 200;
  for (int k = 0; k < NX; k++)
    for (int i = 0; i < B * ISZ; i++) x[k][i] = (float)((i * 7 + k * 13) % 17) / 8.0f - 1.0f;
  char err[256];
  job jobs[3];
  memset(jobs, 0, sizeof jobs);
  narrow_options o;
  narrow_options_init(&o);
  o.random_init = 1;
  o.seed = 7;
  wide_options wo = {0, 1, 11, NULL}; /* threads, random_init, seed, checkpoint */
  for (int t = 0; t < 3; t++) {
    o.threads = t + 1; /* one instance on the caller, one with a pool of 2 */
    if (t < 2 ? !(jobs[t].m = narrow_new_ex(&o, err, sizeof err)) : !(jobs[t].w = wide_new_ex(&wo, err, sizeof err))) {
      printf("new_ex: %s\n", err);
      return 1;
    }
    jobs[t].rounds = rounds;
    jobs[t].first = t;
    for (int k = 0; k < NX; k++) /* the sequential results */
      if (run(&jobs[t], k, jobs[t].want[k])) return 1;
  }
  if (memcmp(jobs[0].want, jobs[1].want, sizeof jobs[0].want)) {
    printf("two instances disagree before any thread\n");
    return 1;
  }
  pthread_t th[3];
  for (int t = 0; t < 3; t++)
    if (pthread_create(&th[t], NULL, worker, &jobs[t])) return 1;
  int failures = 0;
  for (int t = 0; t < 3; t++) pthread_join(th[t], NULL), failures += jobs[t].failures;
  narrow_free(jobs[0].m);
  narrow_free(jobs[1].m);
  wide_free(jobs[2].w);
  printf("%s: %d of %d concurrent runs differ from the sequential ones\n", failures ? "FAILED" : "ok", failures,
         3 * rounds);
  return failures != 0;
}
