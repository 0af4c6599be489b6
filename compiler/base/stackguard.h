/* One depth guard for every recursive walk of the compiler (the evaluator, the
 * AST checks and dump, value printing): instead of counting nesting levels, whose
 * cost in bytes differs per walker and per build (ASan frames are several times
 * larger), each walker compares the address of its current frame with the low end
 * of the running thread's stack, less a safety margin. Any input, of any size and
 * shape, then ends in a clean "nested too deeply" error instead of a SIGSEGV.
 *
 * slimc runs its whole compilation on a thread with a large stack (stack_run),
 * so the depth a program may legitimately need (1000 calls, each with a few dozen
 * nested brackets) fits with room to spare. */
#ifndef SLIMC_STACKGUARD_H
#define SLIMC_STACKGUARD_H
#include <stdbool.h>
#include <stdint.h>

typedef struct StackGuard { uintptr_t limit; } StackGuard;

/* The guard of the calling thread: the low end of its stack plus a margin for the
   non-recursive work done between two checks (a builtin, printf, LLVM). */
void stack_guard_init(StackGuard *g);

/* False once the caller's frame is within the margin (stacks grow down). The frame
   address, not a local's, since ASan may move locals to a heap "fake stack". */
static inline bool stack_guard_ok(const StackGuard *g) {
  return (uintptr_t)__builtin_frame_address(0) > g->limit;
}

/* Runs FN(ARG) on a new thread with a stack of STACK_RUN_SIZE (or less if the
   address space is limited: 1/4, then 1/16 of it; on the calling thread if no
   thread can be made) and returns its result. */
enum { STACK_RUN_MB = 512 };
int stack_run(int (*fn)(void *), void *arg);

#endif
