/* The output-file module (runtime/src/fileio.c) over fuzzer-made directory trees:
 * regular files, directories, symlinks (relative, absolute, dangling, looping,
 * chained) in a private sandbox, then one output written and committed or
 * aborted, and slimrt_file_same() on pairs of names. No FIFOs or devices: an
 * in-place write into a FIFO blocks without a reader (io_safety.sh covers them).
 * Invariants (abort() when broken):
 *  - a symlink named as the output is still the same symlink afterwards;
 *  - after a commit the resolved target holds exactly the bytes written;
 *  - after an abort or a failure every existing file keeps its bytes;
 *  - no staged file or private directory (".slimtmp-*") is ever left;
 *  - slimrt_file_same(p, p) holds for a regular or missing p in an existing dir. */
#define _GNU_SOURCE /* nftw */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../runtime/src/fileio.h"

static char sandbox[64];

/* The names a tree may use (all inside the sandbox). */
static const char *const names[] = {"a", "b", "c", "d", "d/a", "d/b", "d/d", "e", "d/e", "s"};
enum { NNAMES = sizeof names / sizeof *names };
/* Symlink targets: relative, into and out of d, absolute into the sandbox, missing, loops. */
static const char *const targets[] = {"a", "b", "d", "d/a", "../a", "../d/b", "e", "s", "d/../a", "@/a", "@/d/e",
                                      "/nonexistent/x", "c", "d/d"};
enum { NTARGETS = sizeof targets / sizeof *targets };

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f) {
  (void)st, (void)flag, (void)f;
  return remove(p);
}

static int leftovers(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return 0;
  int bad = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    if (!strncmp(e->d_name, ".slimtmp-", 9)) bad = 1;
    char sub[512];
    snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
    struct stat st;
    if (!lstat(sub, &st) && S_ISDIR(st.st_mode)) bad |= leftovers(sub);
  }
  closedir(d);
  return bad;
}

/* The whole content of PATH (following links) into BUF; its length, or -1. */
static long slurp(const char *path, char *buf, size_t cap) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  size_t n = fread(buf, 1, cap, f);
  fclose(f);
  return (long)n;
}

static void remove_sandbox(void) { nftw(sandbox, rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

static int run_one(const uint8_t *data, size_t size) {
  if (!sandbox[0]) {
    snprintf(sandbox, sizeof sandbox, "/tmp/fuzz_outpath.XXXXXX");
    if (!mkdtemp(sandbox)) abort();
    atexit(remove_sandbox);
    setenv("TMPDIR", sandbox, 1);
  }
  if (size < 4) return 0;
  nftw(sandbox, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  if (mkdir(sandbox, 0700) && errno != EEXIST) abort();
  if (chdir(sandbox)) abort();
  size_t i = 0;
  int nent = data[i++] % 8;
  for (int k = 0; k < nent && i + 2 <= size; k++) {
    int kind = data[i] % 3;
    const char *name = names[data[i + 1] % NNAMES];
    i += 2;
    if (kind == 0) {
      FILE *f = fopen(name, "wb");
      if (f) {
        fprintf(f, "old %s %d", name, k);
        fclose(f);
      }
    } else if (kind == 1) {
      mkdir(name, 0700);
    } else if (i < size) {
      const char *t = targets[data[i++] % NTARGETS];
      char abs[128];
      if (t[0] == '@') snprintf(abs, sizeof abs, "%s%s", sandbox, t + 1), t = abs;
      symlink(t, name);
    }
  }
  if (i + 3 > size) return 0;
  const char *out = names[data[i] % NNAMES];
  const char *other = names[data[i + 1] % NNAMES];
  int action = data[i + 2];
  i += 3;
  const unsigned char *payload = data + i;
  size_t plen = size - i;

  /* what the tree held before */
  char before[NNAMES][64];
  long blen[NNAMES];
  for (int k = 0; k < NNAMES; k++) blen[k] = slurp(names[k], before[k], sizeof before[k]);
  struct stat lst;
  int was_link = lstat(out, &lst) == 0 && S_ISLNK(lst.st_mode);
  char link_target[256] = "";
  if (was_link) {
    ssize_t n = readlink(out, link_target, sizeof link_target - 1);
    link_target[n > 0 ? n : 0] = 0;
  }

  struct stat st;
  if (slimrt_file_same(out, other) && strcmp(out, other)) {
    /* different names for one file: both must exist as one regular file, or be one name */
    struct stat sa, sb;
    if (stat(out, &sa) == 0 && stat(other, &sb) == 0 && (sa.st_ino != sb.st_ino || !S_ISREG(sa.st_mode))) abort();
  }
  if ((stat(out, &st) == 0 && S_ISREG(st.st_mode)) && !slimrt_file_same(out, out)) abort();

  slimrt_out o;
  char err[512] = "";
  int committed = 0;
  if (slimrt_out_begin(&o, out, (action & 1) ? SLIMRT_OUT_EXEC : 0, err, sizeof err) == 0) {
    int bad = slimrt_out_write(&o, payload, plen, err, sizeof err);
    if (!bad && (action & 2)) {
      committed = slimrt_out_commit(&o, err, sizeof err) == 0;
    } else {
      slimrt_out_abort(&o);
    }
    slimrt_out_abort(&o); /* a second abort is harmless */
  }
  if (!err[0] && !committed && (action & 2)) abort(); /* every failure says why */

  if (was_link) {
    char now[256] = "";
    if (lstat(out, &lst) != 0 || !S_ISLNK(lst.st_mode)) abort(); /* the link was replaced */
    ssize_t n = readlink(out, now, sizeof now - 1);
    now[n > 0 ? n : 0] = 0;
    if (strcmp(now, link_target)) abort();
  }
  if (committed) {
    static char got[1 << 16];
    long n = slurp(out, got, sizeof got);
    if (n != (long)(plen < sizeof got ? plen : sizeof got) || memcmp(got, payload, (size_t)n)) abort();
  } else {
    for (int k = 0; k < NNAMES; k++) {
      char now[64];
      long nl = slurp(names[k], now, sizeof now);
      if (nl != blen[k] || (nl > 0 && memcmp(now, before[k], (size_t)nl))) abort();
    }
  }
  if (leftovers(sandbox)) abort();
  return 0;
}

/* run_one works inside the sandbox; libFuzzer's corpus and artifact paths are
   relative to the directory it was started in. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static char home[4096];
  if (!home[0] && !getcwd(home, sizeof home)) abort();
  run_one(data, size);
  if (chdir(home)) abort();
  return 0;
}
