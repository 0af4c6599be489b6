/* The stack depth guard and the big-stack compile thread (stackguard.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "base/stackguard.h"
#include <pthread.h>
#include <stddef.h>

void stack_guard_init(StackGuard *g) {
  g->limit = 0;
  pthread_attr_t at;
  void *lo;
  size_t size;
  if (pthread_getattr_np(pthread_self(), &at) != 0) return;
  if (pthread_attr_getstack(&at, &lo, &size) == 0) {
    /* a quarter of the stack, between 256 KiB and 8 MiB, is left for the leaf work
       between two checks (ASan's frames and its report need the most) */
    size_t margin = size / 4;
    if (margin < ((size_t)256 << 10)) margin = (size_t)256 << 10;
    if (margin > ((size_t)8 << 20)) margin = (size_t)8 << 20;
    if (margin < size) g->limit = (uintptr_t)lo + margin;
    else g->limit = (uintptr_t)lo + size / 2;
  }
  pthread_attr_destroy(&at);
}

typedef struct RunArg { int (*fn)(void *); void *arg; int rc; } RunArg;

static void *run_thread(void *p) {
  RunArg *r = p;
  r->rc = r->fn(r->arg);
  return NULL;
}

int stack_run(int (*fn)(void *), void *arg) {
  RunArg r = {fn, arg, 0};
  for (size_t mb = STACK_RUN_MB; mb >= STACK_RUN_MB / 16; mb /= 4) {
    pthread_attr_t at;
    pthread_t th;
    if (pthread_attr_init(&at) != 0) break;
    int ok = pthread_attr_setstacksize(&at, mb << 20) == 0 && pthread_create(&th, &at, run_thread, &r) == 0;
    pthread_attr_destroy(&at);
    if (ok) {
      pthread_join(th, NULL);
      return r.rc;
    }
  }
  return fn(arg);
}
