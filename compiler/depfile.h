/* Make dependency files (-MD / -MMD / -MF / -MT). */
#ifndef SLIMC_DEPFILE_H
#define SLIMC_DEPFILE_H
#include <stddef.h>

/* Writes "TARGET: MAIN DEP..." plus an empty rule per dependency (as -MP does,
   so deleting a loaded file does not break make), through a temporary renamed
   into place. 0 on success, -1 with a message in ERR. */
int depfile_write(const char *path, const char *target, const char *main_file, const char **deps, int ndeps,
                  char *err, size_t errlen);

#endif
