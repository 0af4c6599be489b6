/* The one way libslimrt, slimc and slim-ckpt read and write files (not
 * installed; the compiler and the tools include it by its relative path).
 *
 * Writing (slimrt_out_*): a regular file, or a path that does not exist yet,
 * is written to a fresh temporary in a private 0700 directory beside it (both
 * created with O_EXCL under unpredictable names) and renamed over it at commit,
 * so it is all or nothing. Anything else (FIFO, character device, "-" for
 * standard output) is written in place at commit, as gcc does: its bytes are
 * staged in a private directory under $TMPDIR until then. A symlink is never
 * replaced: its final target is. Every temporary is removed on failure and on
 * SIGINT, SIGTERM, SIGHUP and SIGPIPE.
 *
 * Reading (slimrt_file_*): never blocks on a FIFO where a regular file is
 * required, and never reads more than a stated limit. */
#ifndef SLIMRT_FILEIO_H
#define SLIMRT_FILEIO_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- reading ---- */

enum {
  SLIMRT_READ_REGULAR = 1, /* refuse anything but a regular file, without blocking on a FIFO */
  SLIMRT_READ_STDIN = 2,   /* "-" is standard input */
};

/* Size limits (docs/reliability.md, "Reading files"). */
#define SLIMRT_LIMIT_SOURCE ((size_t)64 << 20)      /* a .slim source file */
#define SLIMRT_LIMIT_INDEX ((size_t)256 << 20)      /* a checkpoint's .index */
#define SLIMRT_LIMIT_STATE ((size_t)1 << 20)        /* a checkpoint's `checkpoint` state file */
#define SLIMRT_LIMIT_LABELS ((size_t)64 << 20)      /* an executable's --labels */
#define SLIMRT_LIMIT_TENSOR (((size_t)16 << 30) + ((size_t)1 << 20)) /* one tensor's file (16 GiB + header) */
#define SLIMRT_LIMIT_ARCHIVE ((size_t)32 << 30)     /* a .npz archive */

/* Reads the whole file at PATH (at most MAX bytes) into a malloc'ed buffer with
   one spare NUL byte after the data. 0, or -1 with "PATH: why" in ERR. */
int slimrt_file_read(const char *path, size_t max, unsigned flags, unsigned char **buf, size_t *len, char *err,
                     size_t errlen);
/* Opens PATH read-only if it is a regular file (a FIFO is refused at once).
   The descriptor, or -1 with "PATH: why" in ERR; *SIZE gets the file's size. */
int slimrt_file_open_regular(const char *path, uint64_t *size, char *err, size_t errlen);

/* ---- writing ---- */

enum {
  SLIMRT_OUT_EXEC = 1,   /* an executable: created with mode 0777 (less the umask), not 0666 */
  SLIMRT_OUT_STDOUT = 2, /* "-" is standard output (else "-" is a file named "-") */
  SLIMRT_OUT_SYNC = 4,   /* fsync a replacing file before the rename (checkpoints, as TF does) */
};

typedef struct slimrt_out {
  char *path;   /* as given, for messages */
  char *dest;   /* PATH with its symlinks followed: what is replaced or written */
  char *dir;    /* the private directory holding tmp */
  char *tmp;    /* the staged file; writers may also (re)create it by name */
  int fd;       /* open on tmp for writing, or -1 once closed */
  FILE *fp;     /* slimrt_out_stream()'s stream on fd, or NULL */
  int in_place; /* dest is a FIFO, a device or stdout: copied into at commit */
  int ready;    /* slimrt_out_finish() succeeded */
  unsigned flags;
  char *names[8]; /* dir, tmp and scratch files, removed by abort */
  int reg[8];   /* their cleanup registrations (slots, or -1) */
  int nreg;
} slimrt_out;

/* Prepares to write PATH. Nothing is visible at PATH until commit. */
int slimrt_out_begin(slimrt_out *o, const char *path, unsigned flags, char *err, size_t errlen);
/* A stdio stream on the staged file (owned by O), or NULL when out of memory. */
FILE *slimrt_out_stream(slimrt_out *o);
/* Writes N bytes to the staged file; -1 with "PATH: write error: ..." in ERR. */
int slimrt_out_write(slimrt_out *o, const void *p, size_t n, char *err, size_t errlen);
/* A scratch file path in O's private directory (NAME must be a plain file
   name), removed with O on abort, commit or a signal. NULL when out of room. */
const char *slimrt_out_scratch(slimrt_out *o, const char *name);
/* Flushes and closes the staged file, reporting any write error (ENOSPC...). */
int slimrt_out_finish(slimrt_out *o, char *err, size_t errlen);
/* Finishes each of OS, then renames or copies each into place; when one fails,
   the files already renamed are removed again and the rest aborted, so a set
   of outputs appears whole or not at all (short of a failing in-place write,
   which cannot be taken back). Every slimrt_out is released. */
int slimrt_out_commit_all(slimrt_out *const *os, int n, char *err, size_t errlen);
int slimrt_out_commit(slimrt_out *o, char *err, size_t errlen);
/* Removes everything O staged. Safe on a zeroed or released slimrt_out. */
void slimrt_out_abort(slimrt_out *o);

/* Removes every staged file of the process (async-signal-safe): for handlers
   of fatal errors that end the process without returning (LLVM's). */
void slimrt_out_remove_all(void);

/* Do paths A and B name the same file, one that an output would replace or
   write (a regular file, or the same not-yet-existing path)? Two names for
   one FIFO or device are not "the same" here: gcc accepts -o /dev/null -MF
   /dev/null. */
int slimrt_file_same(const char *a, const char *b);

#endif
