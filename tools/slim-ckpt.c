/* slim-ckpt: inspect and convert TensorFlow V2 checkpoints (CLI.md, "Tools").
 *
 *   slim-ckpt ls PREFIX [KEY...] [--all-tensors] [--totals]
 *                                         KEY<TAB>DTYPE<TAB>SHAPE, sorted by key
 *   slim-ckpt dump PREFIX KEY [--npy=F]   values one a line, or a .npy file
 *   slim-ckpt from-npz NPZ -o PREFIX      every NAME.npy member becomes tensor NAME
 *   slim-ckpt to-npz PREFIX -o NPZ        every loadable tensor becomes NAME.npy
 *   slim-ckpt init FILE.slim -o PREFIX [--seed=N] [-m NAME] [-D N=V] [-I DIR]
 *                                         every restored variable from its initializer
 * from-npz and init create PREFIX's directory and write the `checkpoint` state file
 * beside the checkpoint, as TF's Saver does, so the directory works as PREFIX.
 *
 * Exit status: 0 success, 1 bad input, 2 usage. The .npz side is a plain zip
 * (stored or deflate members) handled with zlib, read by npz.c and written here;
 * .npy encoding is libslimrt's. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "base/arena.h"
#include "llvm/backend.h"
#include "slimrt_checked.h"
#include "base/diag.h"
#include "py/eval.h"
#include "npz.h"
#include "slimrt.h"
#include "tf/tf.h"
#include "../runtime/src/fileio.h"
#include "../runtime/src/rtio.h" /* slimrt_init_fill: the draws of --random-init */

enum { EXIT_INPUT = 1, EXIT_USAGE = 2 };

static const char usage_text[] =
    "usage: slim-ckpt ls PREFIX [KEY...] [--all-tensors] [--totals]\n"
    "       slim-ckpt dump PREFIX KEY [--npy=FILE]\n"
    "       slim-ckpt from-npz NPZ -o PREFIX\n"
    "       slim-ckpt to-npz PREFIX -o NPZ\n"
    "       slim-ckpt init FILE.slim -o PREFIX [--seed=N] [-m MODEL] [-D NAME=VALUE] [-I DIR]\n"
    "PREFIX is a checkpoint prefix or a directory with a 'checkpoint' file.\n"
    "  ls          one tensor a line, KEY<TAB>DTYPE<TAB>SHAPE, sorted by key; KEY... lists only those\n"
    "  --all-tensors  with ls: each tensor's values after its line, one a line (as dump prints them)\n"
    "  --totals    with ls: a last line 'total<TAB>N tensors<TAB>P parameters<TAB>B bytes'\n"
    "  dump        a tensor's values in C order, one a line (%.9g for floats); --npy=FILE writes a .npy\n"
    "  from-npz    every NAME.npy member of the archive becomes tensor NAME\n"
    "  to-npz      every tensor but strings becomes NAME.npy\n"
    "  init        the model's restored variables filled by their initializers (the draws of the\n"
    "              executable's --random-init=SEED, seed 0 by default)\n"
    "from-npz and init create PREFIX's directory and write a 'checkpoint' state file beside the\n"
    "checkpoint as TF's Saver does, so that the directory can be given as PREFIX.\n";

static int usage(const char *why) {
  if (why) fprintf(stderr, "slim-ckpt: %s\n", why);
  fputs(usage_text, stderr);
  return EXIT_USAGE;
}

static int fail(const char *msg) {
  fprintf(stderr, "slim-ckpt: %s\n", msg);
  return EXIT_INPUT;
}

static void print_dtype(FILE *f, int dtype) {
  const char *n = slimrt_dtype_name(dtype);
  if (n) fputs(n, f);
  else fprintf(f, "dtype%d", dtype);
}

static void print_shape(FILE *f, const slimrt_ckpt_entry *e) {
  fputc('[', f);
  for (int i = 0; i < e->rank; i++) fprintf(f, "%s%" PRId64, i ? "," : "", e->dims[i]);
  fputc(']', f);
}

static int print_values(const slimrt_ckpt *ck, const slimrt_ckpt_entry *e);

/* ls: the listing, optionally of some keys only, each followed by its values
   (--all-tensors), then the totals (--totals: element counts and their bytes). */
static int cmd_ls(const char *prefix, const char **keys, int nkeys, int all, int totals) {
  char err[1024];
  slimrt_ckpt *ck = slimrt_ckpt_open(prefix, err, sizeof err);
  if (!ck) return fail(err);
  int rc = 0, n = nkeys ? nkeys : slimrt_ckpt_count(ck);
  int64_t params = 0, bytes = 0;
  for (int i = 0; i < n && !rc; i++) {
    const slimrt_ckpt_entry *e = nkeys ? slimrt_ckpt_find(ck, keys[i]) : slimrt_ckpt_entry_at(ck, i);
    if (!e) {
      fprintf(stderr, "slim-ckpt: %s: no tensor '%s' in the checkpoint\n", slimrt_ckpt_prefix(ck), keys[i]);
      rc = EXIT_INPUT;
      break;
    }
    fputs(e->key, stdout);
    putchar('\t');
    print_dtype(stdout, e->dtype);
    putchar('\t');
    print_shape(stdout, e);
    putchar('\n');
    int64_t count = slimrt_shape_count(e->rank, e->dims);
    int esz = slimrt_dtype_size(e->dtype);
    /* damaged shapes can hold near 2**63 elements: totals saturate instead of wrapping */
    int64_t nb = e->size;
    if (esz > 0 && count > 0 && slimrt_ck_mul(count, esz, &nb)) nb = INT64_MAX;
    if (slimrt_ck_add(params, count > 0 ? count : 0, &params)) params = INT64_MAX;
    if (slimrt_ck_add(bytes, nb, &bytes)) bytes = INT64_MAX;
    if (all && e->dtype != SLIMRT_STRING) rc = print_values(ck, e);
  }
  if (!rc && totals)
    printf("total\t%d tensors\t%" PRId64 " parameters\t%" PRId64 " bytes\n", n, params, bytes);
  slimrt_ckpt_close(ck);
  if (!rc && fflush(stdout)) rc = fail("write error on standard output");
  return rc;
}

/* Reads tensor E into a fresh slimrt_array (raw dtype). */
static int load_array(const slimrt_ckpt *ck, const slimrt_ckpt_entry *e, slimrt_array *a, char *err, size_t errlen) {
  memset(a, 0, sizeof *a);
  int esz = slimrt_dtype_size(e->dtype);
  int64_t n = slimrt_shape_count(e->rank, e->dims);
  if (esz <= 0 || n < 0)
    return slimrt_errorf(err, errlen, "%s: tensor '%s' has dtype %s, which cannot be loaded",
                         slimrt_ckpt_prefix(ck), e->key, slimrt_dtype_name(e->dtype) ? slimrt_dtype_name(e->dtype) : "(unsupported)");
  a->dtype = e->dtype;
  a->rank = e->rank;
  memcpy(a->dims, e->dims, sizeof a->dims);
  /* check the stored size before allocating: a damaged shape must not turn into a
     huge malloc (or a bare "out of memory" that names no file) */
  if (n > INT64_MAX / esz || (e->nslices == 0 && n * esz != e->size))
    return slimrt_errorf(err, errlen, "%s: tensor '%s': stored size %lld does not match its shape",
                         slimrt_ckpt_prefix(ck), e->key, (long long)e->size);
  a->nbytes = (size_t)n * (size_t)esz;
  a->data = malloc(a->nbytes ? a->nbytes : 1);
  if (!a->data)
    return slimrt_errorf(err, errlen, "%s: tensor '%s': out of memory for %zu bytes", slimrt_ckpt_prefix(ck),
                         e->key, a->nbytes);
  if (slimrt_ckpt_read(ck, e, a->data, a->nbytes, err, errlen)) {
    free(a->data);
    a->data = NULL;
    return -1;
  }
  return 0;
}

static void print_value(const slimrt_array *a, size_t i, float f) {
  const unsigned char *p = a->data;
  switch (a->dtype) {
  case SLIMRT_F64: { double d; memcpy(&d, p + 8 * i, 8); printf("%.17g\n", d); return; }
  case SLIMRT_F32: case SLIMRT_F16: case SLIMRT_BF16: printf("%.9g\n", f); return;
  case SLIMRT_I64: { int64_t v; memcpy(&v, p + 8 * i, 8); printf("%" PRId64 "\n", v); return; }
  case SLIMRT_U64: { uint64_t v; memcpy(&v, p + 8 * i, 8); printf("%" PRIu64 "\n", v); return; }
  case SLIMRT_I32: { int32_t v; memcpy(&v, p + 4 * i, 4); printf("%" PRId32 "\n", v); return; }
  case SLIMRT_U32: { uint32_t v; memcpy(&v, p + 4 * i, 4); printf("%" PRIu32 "\n", v); return; }
  case SLIMRT_I16: { int16_t v; memcpy(&v, p + 2 * i, 2); printf("%d\n", v); return; }
  case SLIMRT_U16: { uint16_t v; memcpy(&v, p + 2 * i, 2); printf("%u\n", v); return; }
  case SLIMRT_I8: printf("%d\n", (int)(int8_t)p[i]); return;
  default: printf("%u\n", (unsigned)p[i]); return; /* uint8, bool */
  }
}

/* Is OUT one of the files of checkpoint CK? Then writing it would destroy an input. */
static int clashes(const char *out, const slimrt_ckpt *ck) {
  for (int i = 0; slimrt_ckpt_file(ck, i); i++)
    if (slimrt_file_same(out, slimrt_ckpt_file(ck, i))) {
      fprintf(stderr, "slim-ckpt: %s: is the checkpoint's own '%s': refusing to overwrite an input\n", out,
              slimrt_ckpt_file(ck, i));
      return 1;
    }
  return 0;
}

static int cmd_dump(const char *prefix, const char *key, const char *npy) {
  char err[1024];
  slimrt_ckpt *ck = slimrt_ckpt_open(prefix, err, sizeof err);
  if (!ck) return fail(err);
  int rc = EXIT_INPUT;
  slimrt_array a = {0};
  const slimrt_ckpt_entry *e = slimrt_ckpt_find(ck, key);
  if (!e) {
    fprintf(stderr, "slim-ckpt: %s: no tensor '%s' in the checkpoint\n", slimrt_ckpt_prefix(ck), key);
    goto out;
  }
  if (npy && clashes(npy, ck)) goto out;
  if (!npy) {
    rc = print_values(ck, e);
    if (!rc && fflush(stdout)) rc = fail("write error on standard output");
  } else if (load_array(ck, e, &a, err, sizeof err) || slimrt_npy_write(npy, &a, err, sizeof err)) {
    fail(err);
  } else {
    rc = 0;
  }
out:
  free(a.data);
  slimrt_ckpt_close(ck);
  return rc;
}

/* E's values in C order, one a line (%.9g for floats, halves widened). */
static int print_values(const slimrt_ckpt *ck, const slimrt_ckpt_entry *e) {
  char err[1024];
  int rc = EXIT_INPUT;
  slimrt_array a = {0};
  float *f = NULL;
  if (load_array(ck, e, &a, err, sizeof err)) {
    fail(err);
    goto out;
  }
  size_t n = (size_t)slimrt_shape_count(a.rank, a.dims);
  int half = a.dtype == SLIMRT_F32 || a.dtype == SLIMRT_F16 || a.dtype == SLIMRT_BF16;
  if (half) {
    f = malloc(n * sizeof *f + 1);
    if (!f || slimrt_ckpt_read_f32(ck, e, f, n, err, sizeof err)) {
      fail(f ? err : "out of memory");
      goto out;
    }
  }
  for (size_t i = 0; i < n; i++) print_value(&a, i, half ? f[i] : 0);
  rc = 0;
out:
  free(f);
  free(a.data);
  return rc;
}

/* ---- .npz (zip) -------------------------------------------------------------- */

static void wr16(unsigned char *p, unsigned v) { p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8); }
static void wr32(unsigned char *p, uint32_t v) { wr16(p, v & 0xffff), wr16(p + 2, v >> 16); }

/* mkdir -p of PREFIX's directory. */
static int make_parent_dirs(const char *prefix, char *err, size_t errlen) {
  size_t n = strlen(prefix);
  char *dir = malloc(n + 1);
  if (!dir) return slimrt_errorf(err, errlen, "%s: out of memory", prefix);
  memcpy(dir, prefix, n + 1);
  char *slash = strrchr(dir, '/');
  int rc = 0;
  if (slash && slash != dir) {
    *slash = 0;
    for (char *p = dir + 1;; p++) {
      if (*p != '/' && *p) continue;
      char c = *p;
      *p = 0;
      struct stat st;
      if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        rc = slimrt_errorf(err, errlen, "%s: cannot create directory: %s", dir, strerror(errno));
        break;
      }
      if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        rc = slimrt_errorf(err, errlen, "%s: exists and is not a directory", dir);
        break;
      }
      *p = c;
      if (!c) break;
    }
  }
  free(dir);
  return rc;
}

/* A text-format string as TF writes it (C escapes). */
static void put_quoted(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\'' || *p == '\\') fprintf(f, "\\%c", *p);
    else if (*p == '\n') fputs("\\n", f);
    else if (*p == '\t') fputs("\\t", f);
    else if (*p == '\r') fputs("\\r", f);
    else if (*p < 32 || *p == 127) fprintf(f, "\\%03o", *p);
    else fputc(*p, f);
  }
  fputc('"', f);
}

/* DIR/checkpoint naming PREFIX, as tf.compat.v1.train.Saver writes it for a Saver that
   saved once: the prefix relative to DIR when it was given relative, else absolute. */
static int write_state_file(const char *prefix, char *err, size_t errlen) {
  const char *slash = strrchr(prefix, '/');
  const char *name = prefix[0] == '/' ? prefix : slash ? slash + 1 : prefix;
  size_t dlen = slash ? (size_t)(slash - prefix) : 1;
  if (slash == prefix) dlen = 1; /* "/x": the root */
  size_t n = dlen + 40;
  char *path = malloc(n);
  if (!path) return slimrt_errorf(err, errlen, "%s: out of memory", prefix);
  snprintf(path, n, "%.*s/checkpoint", (int)dlen, slash ? prefix : ".");
  slimrt_out o;
  int rc = slimrt_out_begin(&o, path, 0, err, errlen);
  FILE *f = rc ? NULL : slimrt_out_stream(&o);
  if (!rc && !f) rc = slimrt_errorf(err, errlen, "%s: out of memory", path);
  if (!rc) {
    fputs("model_checkpoint_path: ", f);
    put_quoted(f, name);
    fputs("\nall_model_checkpoint_paths: ", f);
    put_quoted(f, name);
    fputc('\n', f);
    rc = slimrt_out_commit(&o, err, errlen);
  }
  slimrt_out_abort(&o);
  free(path);
  return rc;
}

/* The writer is opened at the first member, so a file that is no zip at all is
   reported as such before any trouble with the output prefix. */
typedef struct FromNpz {
  const char *prefix;
  slimrt_ckpt_writer *w;
} FromNpz;

static int add_member(void *ctx, const char *key, const slimrt_array *a, char *err, size_t errlen) {
  FromNpz *fz = ctx;
  if (!fz->w && !(fz->w = slimrt_ckpt_writer_new(fz->prefix, 1, err, errlen))) return -1;
  return slimrt_ckpt_writer_add(fz->w, key, a->dtype, a->rank, a->dims, a->data, 0, err, errlen);
}

static int cmd_from_npz(const char *npz, const char *prefix) {
  char err[1024];
  size_t len;
  unsigned char *z;
  if (slimrt_file_read(npz, SLIMRT_LIMIT_ARCHIVE, 0, &z, &len, err, sizeof err)) return fail(err);
  /* the prefix's files must not be the archive being read */
  char *idx = malloc(strlen(prefix) + 32);
  int same = 0;
  if (idx) {
    sprintf(idx, "%s.index", prefix);
    same = slimrt_file_same(idx, npz);
    sprintf(idx, "%s.data-00000-of-00001", prefix);
    same |= slimrt_file_same(idx, npz);
    free(idx);
  }
  if (same) {
    free(z);
    fprintf(stderr, "slim-ckpt: %s: the output checkpoint '%s' would overwrite it\n", npz, prefix);
    return EXIT_INPUT;
  }
  FromNpz fz = {prefix, NULL};
  int bad = make_parent_dirs(prefix, err, sizeof err) ||
            npz_read_mem(npz, z, len, add_member, &fz, err, sizeof err);
  free(z);
  if (!bad && !fz.w) bad = !(fz.w = slimrt_ckpt_writer_new(prefix, 1, err, sizeof err)); /* no members */
  if (bad) {
    slimrt_ckpt_writer_abort(fz.w);
    return fail(err);
  }
  if (slimrt_ckpt_writer_finish(fz.w, err, sizeof err) || write_state_file(prefix, err, sizeof err)) return fail(err);
  return 0;
}

static int cmd_to_npz(const char *prefix, const char *npz) {
  char err[1024];
  slimrt_ckpt *ck = slimrt_ckpt_open(prefix, err, sizeof err);
  if (!ck) return fail(err);
  int rc = EXIT_INPUT, n = slimrt_ckpt_count(ck);
  unsigned char *cd = NULL;
  size_t cdlen = 0, cdcap = 0;
  slimrt_out zo = {0};
  FILE *f = NULL;
  if (clashes(npz, ck)) goto out;
  if (slimrt_out_begin(&zo, npz, 0, err, sizeof err)) {
    fail(err);
    goto out;
  }
  if (!(f = slimrt_out_stream(&zo))) goto out;
  uint32_t off = 0;
  int written = 0;
  for (int i = 0; i < n; i++) {
    const slimrt_ckpt_entry *e = slimrt_ckpt_entry_at(ck, i);
    if (e->dtype == SLIMRT_STRING) continue; /* e.g. _CHECKPOINTABLE_OBJECT_GRAPH: not an array */
    slimrt_array a;
    void *buf;
    size_t blen;
    if (load_array(ck, e, &a, err, sizeof err) || slimrt_npy_encode(&a, &buf, &blen, err, sizeof err)) {
      free(a.data);
      fprintf(stderr, "slim-ckpt: %s: tensor '%s': %s\n", npz, e->key, err);
      goto out;
    }
    free(a.data);
    size_t nlen = strlen(e->key) + 4;
    if (nlen > 0xffff || blen > 0xfffffffeu || (uint64_t)off + 30 + nlen + blen > 0xfffffffeu) {
      free(buf);
      fprintf(stderr, "slim-ckpt: %s: too large for a non-zip64 archive at '%s'\n", npz, e->key);
      goto out;
    }
    uint32_t crc = (uint32_t)crc32(crc32(0, NULL, 0), buf, (uInt)blen);
    unsigned char lh[30] = {0};
    wr32(lh, 0x04034b50u), wr16(lh + 4, 20), wr16(lh + 10, 0), wr16(lh + 12, 0x21); /* 1980-01-01 */
    wr32(lh + 14, crc), wr32(lh + 18, (uint32_t)blen), wr32(lh + 22, (uint32_t)blen), wr16(lh + 26, (unsigned)nlen);
    int bad = fwrite(lh, 1, 30, f) != 30 || fprintf(f, "%s.npy", e->key) < 0 || fwrite(buf, 1, blen, f) != blen;
    free(buf);
    if (bad) {
      fprintf(stderr, "slim-ckpt: %s: write error: %s\n", npz, strerror(errno));
      goto out;
    }
    if (cdlen + 46 + nlen > cdcap) {
      size_t c = (cdcap + 46 + nlen) * 2;
      unsigned char *nc = realloc(cd, c);
      if (!nc) goto out;
      cd = nc, cdcap = c;
    }
    unsigned char *ch = cd + cdlen;
    memset(ch, 0, 46);
    wr32(ch, 0x02014b50u), wr16(ch + 4, 20), wr16(ch + 6, 20), wr16(ch + 14, 0x21);
    wr32(ch + 16, crc), wr32(ch + 20, (uint32_t)blen), wr32(ch + 24, (uint32_t)blen), wr16(ch + 28, (unsigned)nlen);
    wr32(ch + 42, off);
    memcpy(ch + 46, e->key, nlen - 4);
    memcpy(ch + 46 + nlen - 4, ".npy", 4);
    cdlen += 46 + nlen;
    off += (uint32_t)(30 + nlen + blen);
    written++;
  }
  unsigned char end[22] = {0};
  wr32(end, 0x06054b50u), wr16(end + 8, (unsigned)written), wr16(end + 10, (unsigned)written);
  wr32(end + 12, (uint32_t)cdlen), wr32(end + 16, off);
  if (written > 0xfffe || (cdlen && fwrite(cd, 1, cdlen, f) != cdlen) || fwrite(end, 1, 22, f) != 22) {
    fprintf(stderr, "slim-ckpt: %s: write error\n", npz);
    goto out;
  }
  if (slimrt_out_commit(&zo, err, sizeof err)) {
    fail(err);
    goto out;
  }
  rc = 0;
out:
  slimrt_out_abort(&zo);
  free(cd);
  slimrt_ckpt_close(ck);
  return rc;
}

/* init: evaluates the model as slimc does, then writes every variable of its restore
   map under its checkpoint key, filled by its initializer with the runtime's
   --random-init streams (so `--checkpoint=PREFIX` and `--random-init=SEED` agree). */
typedef struct InitOpts {
  const char *model;
  int64_t seed;
  PtrVec defines, includes;
} InitOpts;

static int cmd_init(Arena *arena, const char *slim, const char *prefix, const InitOpts *io) {
  SrcMgr sm;
  src_init(&sm, arena);
  Diag d;
  diag_init(&d, &sm, stderr, DIAG_COLOR_AUTO);
  char rerr[512];
  int file = src_load(&sm, slim, false, rerr, sizeof rerr);
  if (file < 0) {
    fprintf(stderr, "slim-ckpt: cannot read '%s': %s\n", slim, rerr);
    return EXIT_INPUT;
  }
  EvalOptions eo = {0};
  eo.include_dirs = (const char **)io->includes.items;
  eo.ninclude = io->includes.n;
  eo.defines = (const char **)io->defines.items;
  eo.ndefines = io->defines.n;
  Eval *ev = eval_new(arena, &d, &sm, &eo);
  TfLib *tf = tf_install(ev);
  int rc = EXIT_INPUT;
  ModelDecl *models;
  const ModelDecl *m = NULL;
  if (eval_main_file(ev, file) != 0 || d.nerrors) goto done;
  int n = eval_models(ev, &models);
  for (int i = 0; i < n; i++)
    if (io->model ? !strcmp(models[i].name, io->model) : n == 1) m = &models[i];
  if (!m) {
    if (io->model) fprintf(stderr, "slim-ckpt: %s: no model named '%s'\n", slim, io->model);
    else if (n == 0) fprintf(stderr, "slim-ckpt: %s: no model declared in this file\n", slim);
    else fprintf(stderr, "slim-ckpt: %s: declares %d models: pick one with -m NAME\n", slim, n);
    goto done;
  }
  if (eval_run_model(ev, m) != 0 || d.nerrors) goto done;
  Graph *g = tf_graph(tf);
  char err[1024];
  slimrt_ckpt_writer *w = make_parent_dirs(prefix, err, sizeof err) ? NULL
                                                                    : slimrt_ckpt_writer_new(prefix, 1, err, sizeof err);
  if (!w) {
    fprintf(stderr, "slim-ckpt: %s\n", err);
    goto done;
  }
  for (int i = 0; i < g->nrestore; i++) {
    const GVar *v = g->restore[i].var;
    slimrt_var_desc vd = {.name = v->name, .ckpt_key = g->restore[i].key};
    vd.shape.dtype = v->shape.dtype;
    vd.shape.rank = v->shape.rank;
    memcpy(vd.shape.dims, v->shape.dims, sizeof v->shape.dims);
    vd.init_kind = backend_init_kind(v, vd.init_p);
    if (vd.init_kind == SLIMRT_INIT_CONSTANT && v->init.nvalues > 0) {
      vd.init_values = v->init.values;
      vd.init_nvalues = v->init.nvalues;
    }
    int64_t count = gshape_count(&v->shape);
    int esz = slimrt_dtype_size(v->shape.dtype);
    void *buf = count >= 0 && esz > 0 ? malloc((size_t)(count ? count : 1) * (size_t)esz) : NULL;
    int bad = !buf;
    if (bad) snprintf(err, sizeof err, "variable '%s': cannot allocate its %lld elements", v->name, (long long)count);
    else bad = slimrt_init_fill(&vd, (uint64_t)io->seed, buf, err, sizeof err) ||
               slimrt_ckpt_writer_add(w, vd.ckpt_key, v->shape.dtype, v->shape.rank, v->shape.dims, buf, 0, err,
                                      sizeof err);
    free(buf);
    if (bad) {
      fprintf(stderr, "slim-ckpt: %s: %s\n", slim, err);
      slimrt_ckpt_writer_abort(w);
      goto done;
    }
  }
  if (slimrt_ckpt_writer_finish(w, err, sizeof err) || write_state_file(prefix, err, sizeof err)) {
    fprintf(stderr, "slim-ckpt: %s\n", err);
    goto done;
  }
  rc = 0;
done:
  eval_free(ev);
  return rc;
}

/* Splits ARGV into positional arguments and the options, then runs the command. */
static int run(Arena *arena, int argc, char **argv, InitOpts *io) {
  const char *pos[64] = {0}, *out = NULL, *npy = NULL;
  int npos = 0, init_opts = 0, all = 0, totals = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      fputs(usage_text, stdout);
      return 0;
    } else if (!strcmp(a, "-o")) {
      if (++i >= argc) return usage("-o needs a file name");
      out = argv[i];
    } else if (!strncmp(a, "-o", 2)) {
      out = a + 2;
    } else if (!strncmp(a, "--seed=", 7)) {
      char *end;
      errno = 0;
      long long seed = strtoll(a + 7, &end, 10);
      if (!a[7] || *end || seed < 0 || errno) return usage("--seed needs a non-negative integer");
      io->seed = seed;
      init_opts = 1;
    } else if (!strcmp(a, "-m") || !strcmp(a, "-D") || !strcmp(a, "-I")) {
      if (++i >= argc) return usage("-m, -D and -I need a value");
      if (a[1] == 'm') io->model = argv[i];
      else ptrvec_push(arena, a[1] == 'D' ? &io->defines : &io->includes, argv[i]);
      init_opts = 1;
    } else if (!strncmp(a, "-D", 2) || !strncmp(a, "-I", 2)) {
      ptrvec_push(arena, a[1] == 'D' ? &io->defines : &io->includes, (void *)(a + 2));
      init_opts = 1;
    } else if (!strncmp(a, "--npy=", 6)) {
      npy = a + 6;
      if (!*npy) return usage("--npy needs a file name");
    } else if (!strcmp(a, "--all-tensors")) {
      all = 1;
    } else if (!strcmp(a, "--totals")) {
      totals = 1;
    } else if (a[0] == '-' && a[1]) {
      fprintf(stderr, "slim-ckpt: unknown option '%s'\n", a);
      return usage(NULL);
    } else if (npos < 64) {
      pos[npos++] = a;
    } else {
      return usage("too many arguments");
    }
  }
  if (npos == 0) return usage("missing command");
  const char *cmd = pos[0];
  if (init_opts && strcmp(cmd, "init")) return usage("--seed, -m, -D and -I go with init only");
  if ((all || totals) && strcmp(cmd, "ls")) return usage("--all-tensors and --totals go with ls only");
  if (!strcmp(cmd, "ls")) {
    if (npos < 2 || out || npy) return usage("ls takes PREFIX [KEY...]");
    return cmd_ls(pos[1], pos + 2, npos - 2, all, totals);
  }
  if (!strcmp(cmd, "dump")) {
    if (npos != 3 || out) return usage("dump takes PREFIX KEY [--npy=FILE]");
    return cmd_dump(pos[1], pos[2], npy);
  }
  if (!strcmp(cmd, "from-npz")) {
    if (npos != 2 || !out || npy) return usage("from-npz takes NPZ -o PREFIX");
    return cmd_from_npz(pos[1], out);
  }
  if (!strcmp(cmd, "to-npz")) {
    if (npos != 2 || !out || npy) return usage("to-npz takes PREFIX -o NPZ");
    return cmd_to_npz(pos[1], out);
  }
  if (!strcmp(cmd, "init")) {
    if (npos != 2 || !out || npy) return usage("init takes FILE.slim -o PREFIX");
    return cmd_init(arena, pos[1], out, io);
  }
  fprintf(stderr, "slim-ckpt: unknown command '%s'\n", cmd);
  return usage(NULL);
}

int main(int argc, char **argv) {
  Arena arena;
  arena_init(&arena);
  InitOpts io = {0};
  int rc = run(&arena, argc, argv, &io);
  arena_free(&arena);
  return rc;
}
