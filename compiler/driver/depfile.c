#include "driver/depfile.h"
#include <string.h>

/* gcc's munge(): backslashes are doubled only before a space (GNU make reads
   2N+1 backslashes and a space as N backslashes and a space), '$' is "$$",
   '#' and ' ' get a backslash. */
static void put_escaped(FILE *f, const char *s) {
  size_t slashes = 0;
  for (; *s; s++) {
    if (*s == '\\') {
      slashes++;
    } else {
      if (*s == ' ')
        for (size_t i = 0; i < slashes; i++) fputc('\\', f);
      if (*s == ' ' || *s == '#') fputc('\\', f);
      if (*s == '$') fputc('$', f);
      slashes = 0;
    }
    fputc(*s, f);
  }
}

static void put_name(FILE *f, const char *s, bool quote) {
  if (quote) put_escaped(f, s);
  else fputs(s, f);
}

static const char *unwritable(const char *s) {
  if (strchr(s, '\n')) return "a newline";
  if (strchr(s, '\r')) return "a carriage return";
  if (strchr(s, '\t')) return "a TAB";
  return NULL;
}

int depfile_write(FILE *f, const DepTarget *targets, int ntargets, const char *main_file, const char **deps,
                  int ndeps, char *err, size_t errlen) {
  const char *why;
  for (int i = 0; i < ntargets; i++)
    if ((why = unwritable(targets[i].name))) {
      snprintf(err, errlen, "the make target '%s' contains %s, which a dependency file cannot hold",
               targets[i].name, why);
      return -1;
    }
  if ((why = unwritable(main_file))) {
    snprintf(err, errlen, "the file name '%s' contains %s, which a dependency file cannot hold", main_file, why);
    return -1;
  }
  for (int i = 0; i < ndeps; i++)
    if ((why = unwritable(deps[i]))) {
      snprintf(err, errlen, "the loaded file name '%s' contains %s, which a dependency file cannot hold",
               deps[i], why);
      return -1;
    }
  for (int i = 0; i < ntargets; i++) {
    if (i) fputc(' ', f);
    put_name(f, targets[i].name, targets[i].quote);
  }
  fputs(": ", f);
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
  return 0;
}
