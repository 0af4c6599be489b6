/* Make dependency files (-MD / -MMD / -MF / -MT / -MQ), as gcc writes them. */
#ifndef SLIMC_DEPFILE_H
#define SLIMC_DEPFILE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct DepTarget {
  const char *name;
  bool quote; /* -MQ (and the default target): quoted for make; -MT: written as given */
} DepTarget;

/* Writes "TARGET...: MAIN DEP..." plus an empty rule per dependency (as -MP
   does, so deleting a loaded file does not break make) to F. Make quoting as
   gcc's: a space (and the backslashes before it) and '#' escaped with '\',
   '$' doubled. A newline, carriage return or TAB in a name cannot be written
   in a make rule: -1 with a message naming it in ERR, before anything is
   written. 0 on success (F's write errors are the caller's to check). */
int depfile_write(FILE *f, const DepTarget *targets, int ntargets, const char *main_file, const char **deps,
                  int ndeps, char *err, size_t errlen);

#endif
