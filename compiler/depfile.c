#include "depfile.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Make's quoting: spaces and '#' escaped with '\', '$' doubled. */
static void put_escaped(FILE *f, const char *s) {
  for (; *s; s++) {
    if (*s == ' ' || *s == '#' || *s == '\\') fputc('\\', f);
    if (*s == '$') fputc('$', f);
    fputc(*s, f);
  }
}

int depfile_write(const char *path, const char *target, const char *main_file, const char **deps, int ndeps,
                  char *err, size_t errlen) {
  size_t n = strlen(path) + 32;
  char *tmp = malloc(n);
  snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
  FILE *f = fopen(tmp, "w");
  if (!f) {
    snprintf(err, errlen, "cannot write dependency file '%s': %s", path, strerror(errno));
    free(tmp);
    return -1;
  }
  put_escaped(f, target);
  fputs(":", f);
  fputs(" ", f);
  put_escaped(f, main_file);
  for (int i = 0; i < ndeps; i++) {
    if (!strcmp(deps[i], main_file)) continue;
    fputs(" \\\n  ", f);
    put_escaped(f, deps[i]);
  }
  fputc('\n', f);
  for (int i = 0; i < ndeps; i++) {
    if (!strcmp(deps[i], main_file)) continue;
    fputc('\n', f);
    put_escaped(f, deps[i]);
    fputs(":\n", f);
  }
  int bad = ferror(f);
  if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
    snprintf(err, errlen, "cannot write dependency file '%s': %s", path, strerror(errno));
    unlink(tmp);
    free(tmp);
    return -1;
  }
  free(tmp);
  return 0;
}
