/* Reading and writing files safely (fileio.h). */
#include "fileio.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "slimrt.h"

/* ---- the cleanup registry --------------------------------------------------
 * The one piece of process-wide mutable state in libslimrt, because a signal
 * handler has nowhere else to look: the paths of every live temporary. Slots
 * are claimed and released with atomic operations, so writers in several
 * threads (or two compilations in one process) do not interfere, and the
 * handler only reads pointers and calls unlink/rmdir (async-signal-safe). */

#define REG_SLOTS 256
static char *reg_slot[REG_SLOTS];
static pthread_once_t reg_once = PTHREAD_ONCE_INIT;
static const int reg_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};

void slimrt_out_remove_all(void) {
  int saved = errno;
  for (int i = 0; i < REG_SLOTS; i++) { /* files first, then their directories */
    char *p = __atomic_load_n(&reg_slot[i], __ATOMIC_SEQ_CST);
    if (p) unlink(p);
  }
  for (int i = 0; i < REG_SLOTS; i++) {
    char *p = __atomic_load_n(&reg_slot[i], __ATOMIC_SEQ_CST);
    if (p) rmdir(p);
  }
  errno = saved;
}

static void reg_handler(int sig) {
  slimrt_out_remove_all();
  /* SA_RESETHAND restored the default action: die of the same signal. */
  raise(sig);
}

static void reg_install(void) {
  for (size_t i = 0; i < sizeof reg_signals / sizeof *reg_signals; i++) {
    struct sigaction old, sa;
    if (sigaction(reg_signals[i], NULL, &old) != 0) continue;
    /* An ignored signal stays ignored (nohup), and a program's own handler is kept. */
    if ((old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL) continue;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = reg_handler;
    sigfillset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    sigaction(reg_signals[i], &sa, NULL);
  }
}

/* Registers a malloc'ed PATH (ownership passes to the registry): its slot, or -1. */
static int reg_add(char *path) {
  pthread_once(&reg_once, reg_install);
  for (int i = 0; i < REG_SLOTS; i++) {
    char *expected = NULL;
    if (__atomic_compare_exchange_n(&reg_slot[i], &expected, path, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) return i;
  }
  free(path);
  return -1;
}

static void reg_drop(int slot) {
  if (slot < 0 || slot >= REG_SLOTS) return;
  free(__atomic_exchange_n(&reg_slot[slot], NULL, __ATOMIC_SEQ_CST));
}

/* ---- paths ---- */

static char *str_join(const char *a, size_t alen, const char *b) {
  size_t bl = strlen(b);
  char *r = malloc(alen + bl + 2);
  if (!r) return NULL;
  memcpy(r, a, alen);
  r[alen] = '/';
  memcpy(r + alen + 1, b, bl + 1);
  return r;
}

/* PATH with its symlinks followed (each hop's relative target is taken from the
   link's directory), or NULL with errno (ELOOP after 40 hops, ENOMEM). */
static char *resolve_links(const char *path) {
  char *p = strdup(path);
  for (int hops = 0; p; hops++) {
    struct stat st;
    if (lstat(p, &st) != 0 || !S_ISLNK(st.st_mode)) return p;
    if (hops == 40) {
      free(p);
      errno = ELOOP;
      return NULL;
    }
    char buf[PATH_MAX];
    ssize_t n = readlink(p, buf, sizeof buf - 1);
    if (n < 0) return p;
    buf[n] = 0;
    const char *slash = strrchr(p, '/');
    char *np = buf[0] == '/' || !slash ? strdup(buf) : str_join(p, (size_t)(slash - p), buf);
    free(p);
    p = np;
  }
  errno = ENOMEM;
  return NULL;
}

static char *dir_part(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return strdup(".");
  if (slash == path) return strdup("/");
  return strndup(path, (size_t)(slash - path));
}

/* "a regular file", "a FIFO", ... for messages. */
static const char *kind_name(mode_t m) {
  return S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO" : S_ISCHR(m) ? "a character device"
       : S_ISBLK(m) ? "a block device" : S_ISSOCK(m) ? "a socket" : "not a regular file";
}

int slimrt_file_same(const char *a, const char *b) {
  char *ra = resolve_links(a), *rb = resolve_links(b);
  int same = 0;
  if (ra && rb) {
    struct stat sa, sb;
    int ea = stat(ra, &sa), eb = stat(rb, &sb);
    if (!ea && !eb) {
      same = sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino && S_ISREG(sa.st_mode);
    } else if (ea && eb) {
      /* neither exists yet: the same name in the same directory? */
      char *da = dir_part(ra), *db = dir_part(rb);
      char *ca = da ? realpath(da, NULL) : NULL, *cb = db ? realpath(db, NULL) : NULL;
      const char *ba = strrchr(ra, '/'), *bb = strrchr(rb, '/');
      ba = ba ? ba + 1 : ra;
      bb = bb ? bb + 1 : rb;
      same = ca && cb && !strcmp(ca, cb) && !strcmp(ba, bb);
      free(da), free(db), free(ca), free(cb);
    }
  }
  free(ra);
  free(rb);
  return same;
}

/* ---- reading ---- */

int slimrt_file_open_regular(const char *path, uint64_t *size, char *err, size_t errlen) {
  /* O_NONBLOCK: opening a FIFO for reading must not wait for a writer. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return slimrt_errorf(err, errlen, "%s: cannot open: %s", path, strerror(errno)), -1;
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return slimrt_errorf(err, errlen, "%s: cannot open: %s", path, strerror(e)), -1;
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return slimrt_errorf(err, errlen, "%s: not a regular file (%s)", path, kind_name(st.st_mode)), -1;
  }
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  if (size) *size = (uint64_t)st.st_size;
  return fd;
}

int slimrt_file_read(const char *path, size_t max, unsigned flags, unsigned char **buf, size_t *len, char *err,
                     size_t errlen) {
  int is_stdin = (flags & SLIMRT_READ_STDIN) && !strcmp(path, "-");
  const char *name = is_stdin ? "<stdin>" : path;
  int fd;
  struct stat st;
  if (is_stdin) {
    fd = 0;
  } else if (flags & SLIMRT_READ_REGULAR) {
    if ((fd = slimrt_file_open_regular(path, NULL, err, errlen)) < 0) return -1;
  } else {
    /* a FIFO given as an input (bash's <(...)) is read like stdin, up to MAX */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return slimrt_errorf(err, errlen, "%s: cannot open: %s", name, strerror(errno));
  }
  int rc = 0;
  unsigned char *b = NULL;
  size_t cap = 1 << 16, n = 0;
  if (fstat(fd, &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      rc = slimrt_errorf(err, errlen, "%s: is a directory", name);
      goto done;
    }
    if (S_ISREG(st.st_mode)) {
      if ((uint64_t)st.st_size > max) {
        rc = slimrt_errorf(err, errlen, "%s: %llu bytes, more than the limit of %zu bytes for this file", name,
                           (unsigned long long)st.st_size, max);
        goto done;
      }
      cap = (size_t)st.st_size + 1; /* one more to see the end without growing */
    }
  }
  if (cap > max + 1) cap = max + 1;
  if (!(b = malloc(cap + 1))) {
    rc = slimrt_errorf(err, errlen, "%s: out of memory", name);
    goto done;
  }
  for (;;) {
    if (n == cap) {
      if (cap > max) {
        rc = slimrt_errorf(err, errlen, "%s: more than the limit of %zu bytes for this file", name, max);
        goto done;
      }
      size_t ncap = cap > max / 2 ? max + 1 : cap * 2;
      unsigned char *nb = realloc(b, ncap + 1);
      if (!nb) {
        rc = slimrt_errorf(err, errlen, "%s: out of memory", name);
        goto done;
      }
      b = nb;
      cap = ncap;
    }
    ssize_t got = read(fd, b + n, cap - n);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      rc = slimrt_errorf(err, errlen, "%s: read error: %s", name, strerror(errno));
      goto done;
    }
    if (got == 0) break;
    n += (size_t)got;
  }
  if (n > max) rc = slimrt_errorf(err, errlen, "%s: more than the limit of %zu bytes for this file", name, max);
done:
  if (!is_stdin) close(fd);
  if (rc) {
    free(b);
    return rc;
  }
  b[n] = 0;
  *buf = b;
  *len = n;
  return 0;
}

/* ---- writing ---- */

static const char *out_name(const slimrt_out *o) { return o->in_place && !strcmp(o->dest, "-") ? "<stdout>" : o->path; }

static void out_release(slimrt_out *o) {
  for (int i = o->nreg - 1; i >= 0; i--) {
    reg_drop(o->reg[i]);
    free(o->names[i]);
  }
  free(o->path);
  free(o->dest);
  free(o->dir);
  free(o->tmp);
  memset(o, 0, sizeof *o);
  o->fd = -1;
}

/* Keeps PATH for abort and registers a copy for the signal handler. */
static int out_track(slimrt_out *o, const char *path) {
  if (o->nreg == (int)(sizeof o->reg / sizeof *o->reg)) return -1;
  char *mine = strdup(path), *theirs = strdup(path);
  if (!mine || !theirs) {
    free(mine);
    free(theirs);
    return -1;
  }
  o->names[o->nreg] = mine;
  o->reg[o->nreg++] = reg_add(theirs);
  return 0;
}

int slimrt_out_begin(slimrt_out *o, const char *path, unsigned flags, char *err, size_t errlen) {
  memset(o, 0, sizeof *o);
  o->fd = -1;
  if (!path || !*path) return slimrt_errorf(err, errlen, "empty output path");
  o->flags = flags;
  if (!(o->path = strdup(path))) goto oom;
  const char *where;
  if ((flags & SLIMRT_OUT_STDOUT) && !strcmp(path, "-")) {
    if (!(o->dest = strdup("-"))) goto oom;
    o->in_place = 1;
  } else {
    if (!(o->dest = resolve_links(path)))
      return slimrt_errorf(err, errlen, "%s: cannot resolve: %s", path, strerror(errno)), out_release(o), -1;
    struct stat st;
    if (stat(o->dest, &st) == 0) {
      if (S_ISDIR(st.st_mode)) return slimrt_errorf(err, errlen, "%s: is a directory", path), out_release(o), -1;
      o->in_place = !S_ISREG(st.st_mode);
    } else if (errno != ENOENT) {
      return slimrt_errorf(err, errlen, "%s: cannot write: %s", path, strerror(errno)), out_release(o), -1;
    }
  }
  char *parent = NULL;
  if (o->in_place) {
    const char *t = getenv("TMPDIR");
    where = t && *t ? t : "/tmp";
  } else {
    if (!(parent = dir_part(o->dest))) goto oom;
    where = parent;
  }
  /* mkdtemp: O_EXCL-style creation under a random name, mode 0700, so nobody else
     can plant or swap anything inside while external tools write by name. */
  o->dir = str_join(where, strlen(where), ".slimtmp-XXXXXX");
  free(parent);
  if (!o->dir) goto oom;
  if (!mkdtemp(o->dir)) {
    int e = errno;
    char *d = dir_part(o->dir);
    slimrt_errorf(err, errlen, "%s: cannot create: %s", path, strerror(e));
    free(d);
    out_release(o);
    return -1;
  }
  if (out_track(o, o->dir)) goto oom_rm;
  if (!(o->tmp = str_join(o->dir, strlen(o->dir), "out")) || out_track(o, o->tmp)) goto oom_rm;
  o->fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, (flags & SLIMRT_OUT_EXEC) ? 0777 : 0666);
  if (o->fd < 0) {
    slimrt_errorf(err, errlen, "%s: cannot create a temporary: %s", path, strerror(errno));
    slimrt_out_abort(o);
    return -1;
  }
  return 0;
oom_rm:
  slimrt_out_abort(o);
  return slimrt_errorf(err, errlen, "%s: out of memory", path);
oom:
  out_release(o);
  return slimrt_errorf(err, errlen, "%s: out of memory", path);
}

FILE *slimrt_out_stream(slimrt_out *o) {
  if (!o->fp && o->fd >= 0) o->fp = fdopen(o->fd, "wb");
  return o->fp;
}

int slimrt_out_write(slimrt_out *o, const void *p, size_t n, char *err, size_t errlen) {
  const unsigned char *c = p;
  if (o->fp) {
    if (fwrite(p, 1, n, o->fp) != n)
      return slimrt_errorf(err, errlen, "%s: write error: %s", out_name(o), strerror(errno));
    return 0;
  }
  while (n) {
    ssize_t k = write(o->fd, c, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return slimrt_errorf(err, errlen, "%s: write error: %s", out_name(o), k < 0 ? strerror(errno) : "short write");
    c += k;
    n -= (size_t)k;
  }
  return 0;
}

const char *slimrt_out_scratch(slimrt_out *o, const char *name) {
  char *p = o->dir ? str_join(o->dir, strlen(o->dir), name) : NULL;
  int bad = !p || out_track(o, p);
  free(p);
  return bad ? NULL : o->names[o->nreg - 1];
}

int slimrt_out_finish(slimrt_out *o, char *err, size_t errlen) {
  if (o->ready) return 0;
  int bad = 0, e = 0;
  if (o->fp) {
    bad = fflush(o->fp) != 0 || ferror(o->fp);
    e = errno;
  }
  if (!bad && (o->flags & SLIMRT_OUT_SYNC) && !o->in_place && o->fd >= 0 && fsync(o->fd) != 0) bad = 1, e = errno;
  if (o->fp) {
    if (fclose(o->fp) != 0 && !bad) bad = 1, e = errno;
    o->fp = NULL;
    o->fd = -1;
  } else if (o->fd >= 0) {
    if (close(o->fd) != 0) bad = 1, e = errno;
    o->fd = -1;
  }
  if (bad) return slimrt_errorf(err, errlen, "%s: write error: %s", out_name(o), strerror(e ? e : EIO));
  o->ready = 1;
  return 0;
}

/* Copies the staged file into DEST in place (a FIFO, a device, stdout). */
static int copy_in_place(slimrt_out *o, char *err, size_t errlen) {
  int stdout_ = !strcmp(o->dest, "-");
  int in = open(o->tmp, O_RDONLY | O_CLOEXEC);
  if (in < 0) return slimrt_errorf(err, errlen, "%s: cannot reopen its temporary: %s", o->path, strerror(errno));
  int out = stdout_ ? 1 : open(o->dest, O_WRONLY | O_CLOEXEC | O_NOCTTY);
  if (out < 0) {
    int e = errno;
    close(in);
    return slimrt_errorf(err, errlen, "%s: cannot open for writing: %s", o->path, strerror(e));
  }
  int rc = 0;
  unsigned char buf[1 << 16];
  for (;;) {
    ssize_t k = read(in, buf, sizeof buf);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) {
      rc = slimrt_errorf(err, errlen, "%s: cannot read its temporary: %s", o->path, strerror(errno));
      break;
    }
    if (k == 0) break;
    for (ssize_t off = 0; off < k && !rc;) {
      ssize_t w = write(out, buf + off, (size_t)(k - off));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) rc = slimrt_errorf(err, errlen, "%s: write error: %s", out_name(o), w < 0 ? strerror(errno) : "short write");
      else off += w;
    }
    if (rc) break;
  }
  close(in);
  if (!stdout_ && close(out) != 0 && !rc)
    rc = slimrt_errorf(err, errlen, "%s: write error: %s", out_name(o), strerror(errno));
  return rc;
}

/* Puts O's staged file in place; 1 when it replaced DEST by renaming. */
static int out_place(slimrt_out *o, int *renamed, char *err, size_t errlen) {
  *renamed = 0;
  if (!o->in_place) {
    /* DEST may have changed since begin: never rename over a FIFO or device */
    struct stat st;
    if (stat(o->dest, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) o->in_place = 1;
  }
  if (o->in_place) return copy_in_place(o, err, errlen);
  if (rename(o->tmp, o->dest) != 0)
    return slimrt_errorf(err, errlen, "%s: cannot rename into place: %s", o->path, strerror(errno));
  *renamed = 1;
  return 0;
}

int slimrt_out_commit_all(slimrt_out *const *os, int n, char *err, size_t errlen) {
  int rc = 0;
  for (int i = 0; i < n && !rc; i++)
    if (os[i]) rc = slimrt_out_finish(os[i], err, errlen);
  /* renames first: an in-place write that fails can still take them back */
  for (int pass = 0; pass < 2 && !rc; pass++)
    for (int i = 0; i < n && !rc; i++) {
      slimrt_out *o = os[i];
      if (!o || !o->path || o->in_place != pass) continue;
      int renamed;
      rc = out_place(o, &renamed, err, errlen);
      if (!rc && renamed) {
        free(o->tmp);
        o->tmp = NULL;
      }
    }
  for (int i = 0; i < n; i++) {
    slimrt_out *o = os[i];
    if (!o || !o->path) continue;
    if (rc && !o->tmp && !o->in_place) unlink(o->dest); /* renamed before a later one failed */
    slimrt_out_abort(o);
  }
  return rc;
}

int slimrt_out_commit(slimrt_out *o, char *err, size_t errlen) {
  slimrt_out *one[1] = {o};
  return slimrt_out_commit_all(one, 1, err, errlen);
}

void slimrt_out_abort(slimrt_out *o) {
  if (!o || !o->path) return;
  if (o->fp) fclose(o->fp);
  else if (o->fd >= 0) close(o->fd);
  o->fp = NULL;
  o->fd = -1;
  /* scratch files and the temporary, then the directory (registered first) */
  for (int i = o->nreg - 1; i >= 0; i--)
    if (unlink(o->names[i]) != 0) rmdir(o->names[i]);
  if (o->dir) rmdir(o->dir);
  out_release(o);
}
