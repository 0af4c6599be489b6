/* The files a --checkpoint argument reads, for make dependency files (-MD). */
#ifndef SLIMC_CKPT_DEPS_H
#define SLIMC_CKPT_DEPS_H
#include "base/arena.h"

/* Appends to OUT (char * items, in ARENA) the files CHECKPOINT names: for a directory its
   `checkpoint` state file, then the prefix's .index and every data shard. 0 on success;
   -1 if the checkpoint cannot be opened (nothing appended). */
int ckpt_deps(Arena *arena, const char *checkpoint, PtrVec *out);

#endif
