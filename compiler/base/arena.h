/* Arena allocation: many small objects, one lifetime, freed in bulk. */
#ifndef SLIMC_ARENA_H
#define SLIMC_ARENA_H
#include <stddef.h>
#include <stdarg.h>

typedef struct ArenaBlock ArenaBlock;
typedef struct Arena {
  ArenaBlock *head;
  size_t used_total;  /* bytes handed out, for resource limits */
  size_t limit;       /* 0 = unlimited; arena_alloc returns NULL past it */
} Arena;

void arena_init(Arena *a);
void arena_free(Arena *a);
/* Zeroed, 16-byte aligned. Returns NULL only when a->limit would be exceeded
   (out of host memory aborts: there is nothing sensible to report then). */
void *arena_alloc(Arena *a, size_t n);
void *arena_realloc(Arena *a, void *old, size_t old_n, size_t new_n);
char *arena_strdup(Arena *a, const char *s);
char *arena_strndup(Arena *a, const char *s, size_t n);
char *arena_printf(Arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *arena_vprintf(Arena *a, const char *fmt, va_list ap);

/* A growable array of pointers living in an arena. */
typedef struct PtrVec { void **items; int n, cap; } PtrVec;
void ptrvec_push(Arena *a, PtrVec *v, void *p);

#endif
