/* A persistent pool of n-1 worker threads plus the calling thread.
 * slimrt_parallel_for hands out [0,n) in small chunks from a shared counter, so a
 * thread the OS preempts (the machine is shared) does not hold the others up. A
 * kernel's fn(ctx, i) computes index i the same way whichever thread runs it, so
 * results stay bit-identical whatever the thread count. A model's kernels come
 * back to back, so workers and the caller poll for up to ~200 microseconds before
 * blocking on a condition variable: a futex wake-up per kernel would cost more
 * than a small convolution. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>
#include "slimrt.h"

struct slimrt_pool {
  int nthreads;                 /* workers + caller */
  pthread_t *workers;
  int nworkers;                 /* actually started */
  pthread_mutex_t submit;       /* one parallel_for at a time; busy => run inline */
  pthread_mutex_t mu;
  pthread_cond_t work_cv, done_cv;
  _Atomic uint64_t generation;  /* bumped for every job (release: the job fields are set) */
  _Atomic int pending;          /* workers still running the current job */
  int shutdown;
  /* the current job */
  void (*fn)(void *ctx, int64_t i);
  void *ctx;
  int64_t n;
  int64_t grain;                /* indices taken at a time */
  _Atomic int64_t next;         /* first index not yet taken */
};

typedef struct worker_arg {
  slimrt_pool *p;
  int index;                    /* worker number (1..n-1; the caller is 0) */
} worker_arg;

/* Takes chunks of GRAIN indices from P->next until none are left. */
static void run_shared(slimrt_pool *p, void (*fn)(void *, int64_t), void *ctx, int64_t n, int64_t grain) {
  for (;;) {
    int64_t lo = atomic_fetch_add_explicit(&p->next, grain, memory_order_relaxed);
    if (lo >= n) return;
    int64_t hi = lo + grain < n ? lo + grain : n;
    for (int64_t i = lo; i < hi; i++) fn(ctx, i);
  }
}

enum { SPIN_ROUNDS = 8000 }; /* polls before blocking: ~200 us (a pause is ~26 ns on Zen 4), longer than the
                                 gap left by an unevenly finished kernel, so the next one finds
                                 its workers awake instead of paying a futex wake-up */

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

static void *worker_main(void *arg) {
  worker_arg *wa = arg;
  slimrt_pool *p = wa->p;
  free(wa);
  uint64_t seen = 0;
  for (;;) {
    for (int i = 0; i < SPIN_ROUNDS && atomic_load_explicit(&p->generation, memory_order_acquire) == seen; i++)
      cpu_relax();
    pthread_mutex_lock(&p->mu);
    while (!p->shutdown && atomic_load(&p->generation) == seen) pthread_cond_wait(&p->work_cv, &p->mu);
    if (p->shutdown) {
      pthread_mutex_unlock(&p->mu);
      break;
    }
    seen = atomic_load(&p->generation);
    void (*fn)(void *, int64_t) = p->fn;
    void *ctx = p->ctx;
    int64_t n = p->n, grain = p->grain;
    pthread_mutex_unlock(&p->mu);
    run_shared(p, fn, ctx, n, grain);
    if (atomic_fetch_sub(&p->pending, 1) == 1) { /* the last one wakes a blocked caller */
      pthread_mutex_lock(&p->mu);
      pthread_cond_signal(&p->done_cv);
      pthread_mutex_unlock(&p->mu);
    }
  }
  return NULL;
}

slimrt_pool *slimrt_pool_new(int nthreads) {
  if (nthreads <= 0) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    nthreads = n > 0 ? (int)n : 1;
  }
  if (nthreads > 1024) nthreads = 1024;
  slimrt_pool *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->nthreads = nthreads;
  pthread_mutex_init(&p->submit, NULL);
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->work_cv, NULL);
  pthread_cond_init(&p->done_cv, NULL);
  if (nthreads > 1) {
    p->workers = calloc((size_t)nthreads - 1, sizeof *p->workers);
    if (!p->workers) { slimrt_pool_free(p); return NULL; }
    for (int i = 1; i < nthreads; i++) {
      worker_arg *wa = malloc(sizeof *wa);
      if (!wa) { slimrt_pool_free(p); return NULL; }
      wa->p = p;
      wa->index = i;
      if (pthread_create(&p->workers[p->nworkers], NULL, worker_main, wa) != 0) {
        free(wa);
        slimrt_pool_free(p);
        return NULL;
      }
      p->nworkers++;
    }
  }
  return p;
}

void slimrt_pool_free(slimrt_pool *p) {
  if (!p) return;
  pthread_mutex_lock(&p->mu);
  p->shutdown = 1;
  pthread_cond_broadcast(&p->work_cv);
  pthread_mutex_unlock(&p->mu);
  for (int i = 0; i < p->nworkers; i++) pthread_join(p->workers[i], NULL);
  free(p->workers);
  pthread_cond_destroy(&p->work_cv);
  pthread_cond_destroy(&p->done_cv);
  pthread_mutex_destroy(&p->mu);
  pthread_mutex_destroy(&p->submit);
  free(p);
}

int slimrt_pool_size(const slimrt_pool *p) { return p ? p->nthreads : 1; }

void slimrt_parallel_for(slimrt_pool *p, int64_t n, void (*fn)(void *ctx, int64_t i), void *ctx) {
  if (n <= 0) return;
  /* Serial when there is nothing to share, or when the pool is already running a
     job: a nested call (from inside fn) or a second caller must not wait for
     workers that are busy with the outer job. */
  if (!p || p->nthreads == 1 || n == 1 || pthread_mutex_trylock(&p->submit) != 0) {
    for (int64_t i = 0; i < n; i++) fn(ctx, i);
    return;
  }
  pthread_mutex_lock(&p->mu);
  p->fn = fn;
  p->ctx = ctx;
  p->n = n;
  /* about 8 chunks per thread: balance against the cost of the shared counter */
  p->grain = n / ((int64_t)p->nthreads * 8) > 0 ? n / ((int64_t)p->nthreads * 8) : 1;
  atomic_store(&p->next, 0);
  atomic_store(&p->pending, p->nworkers);
  atomic_fetch_add_explicit(&p->generation, 1, memory_order_release);
  pthread_cond_broadcast(&p->work_cv);
  pthread_mutex_unlock(&p->mu);

  run_shared(p, fn, ctx, n, p->grain);

  for (int i = 0; i < SPIN_ROUNDS && atomic_load_explicit(&p->pending, memory_order_acquire) > 0; i++) cpu_relax();
  if (atomic_load(&p->pending) > 0) {
    pthread_mutex_lock(&p->mu);
    while (atomic_load(&p->pending) > 0) pthread_cond_wait(&p->done_cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
  }
  pthread_mutex_unlock(&p->submit);
}
