/* Linking executables with the system C compiler, run directly (no shell, so
 * paths with spaces or quotes need no escaping). */
#include <errno.h>
#include <spawn.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "llvm/cg_internal.h"

extern char **environ;

int cg_link(Diag *d, const BackendOptions *o, const char *obj, const char *out) {
  Arena a;
  arena_init(&a);
  const char *cc = o->cc && *o->cc ? o->cc : "cc";
  int rc = -1;
  if (!o->runtime_dir) {
    diag_error(d, SPAN_NONE, "E0920",
               "no runtime library for target '%s' (slimc builds one for each triple of "
               "SLIMC_CROSS_TARGETS whose compiler gcc-%s is installed); -c gives the object file",
               o->triple, o->triple);
    goto done;
  }
  const char *lib = arena_printf(&a, "%s/libslimrt.a", o->runtime_dir);
  struct stat st;
  if (stat(lib, &st) != 0) {
    diag_error(d, SPAN_NONE, "E0920", "runtime library '%s' not found: %s", lib, strerror(errno));
    goto done;
  }
  char *argv[] = {(char *)cc, (char *)obj, "-o", (char *)out, (char *)lib, "-lm", "-lpthread", NULL, NULL};
#ifdef __SANITIZE_ADDRESS__
  /* A sanitized slimc comes from a sanitized build (SLIMC_SANITIZE), whose
     libslimrt.a needs the sanitizer runtimes too. */
  if (!o->cross) argv[7] = "-fsanitize=address,undefined";
#endif
  if (o->show_commands) {
    for (int i = 0; argv[i]; i++) fprintf(stderr, " %s", argv[i]);
    fputc('\n', stderr);
  }
  pid_t pid;
  int err = posix_spawnp(&pid, cc, NULL, NULL, argv, environ);
  if (err != 0) {
    diag_error(d, SPAN_NONE, "E0921", "cannot run the C compiler '%s' to link '%s': %s%s", cc, o->output,
               strerror(err), o->cross ? " (install the target's C compiler, e.g. Debian's gcc-TRIPLE)" : "");
    goto done;
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) {
      diag_error(d, SPAN_NONE, "E0921", "waiting for '%s': %s", cc, strerror(errno));
      goto done;
    }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    diag_error(d, SPAN_NONE, "E0922", "linking '%s' with '%s' failed (%s %d)", o->output, cc,
               WIFEXITED(status) ? "exit status" : "signal",
               WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    goto done;
  }
  rc = 0;
done:
  arena_free(&a);
  return rc;
}
