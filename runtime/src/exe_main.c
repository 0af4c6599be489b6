/* slimrt_main: the command line of every executable slimc builds (CLI.md,
 * "The generated executable"). Exit status 0 on success, 1 when the run fails
 * (bad input file, checkpoint, write error), 2 for usage errors. Every error is
 * one line on stderr, `PROG: ...`. Outputs are written to temporaries and
 * renamed only once every output has been written, so a failure leaves no file. */
#include <errno.h>
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "rtio.h"

enum { EXIT_RUN = 1, EXIT_USAGE = 2, DEFAULT_TOP = 5 };

typedef struct cli {
  const char *prog;
  const slimrt_model_desc *d;
  const slimrt_entry_desc *e; /* d's entry point "run" */
  const char *checkpoint;
  const char *labels_file;
  const char **in_files;   /* [ninputs], NULL until given */
  const char **more;       /* the 2nd, 3rd, ... image files of batched inputs, in order */
  int *more_of, nmore, capmore; /* the input each of them feeds */
  char **owned;            /* paths a glob pattern expanded to */
  int nowned;
  const char **out_files;  /* [noutputs] */
  int print, top, threads, bench, help, random;
  int64_t seed;
  char *labels_buf;        /* the --labels file, its newlines turned into NULs */
  const char **labels;     /* [nlabels], pointing into labels_buf */
  int64_t nlabels;
} cli;

static const char usage_line[] =
    "[--checkpoint=PREFIX] [--input[=NAME]=FILE ...] [--output[=NAME]=FILE ...]\n"
    "       [--print] [--top=K] [--labels=FILE] [--threads=N] [--bench=RUNS] [--random-init[=SEED]] [--help]\n";

static void print_sig(FILE *f, const char *kind, const slimrt_io_desc *io) {
  char sh[160];
  slimrt_io_format_shape(sh, sizeof sh, (int)io->shape.rank, io->shape.dims);
  fprintf(f, "  %s\t%s\t%s\t%s", kind, io->name, slimrt_io_dtype_name((int)io->shape.dtype), sh);
  if (io->image_prep) { /* as slimc --print-signature writes it */
    int C = (int)io->shape.dims[3];
    fputs("\timage(mean=[", f);
    for (int c = 0; c < 2 * C; c++) fprintf(f, "%s%.9g", c == C ? "],scale=[" : c ? "," : "", io->image_prep[c]);
    fputs("])", f);
  }
  fputc('\n', f);
}

static void print_help(const cli *c) {
  const slimrt_model_desc *d = c->d;
  const slimrt_entry_desc *e = c->e;
  printf("usage: %s %s\n", c->prog, usage_line);
  printf("Runs the model '%s' compiled by slimc.\n\n", d->name ? d->name : "?");
  for (int64_t i = 0; i < e->ninputs; i++) print_sig(stdout, "input", &e->inputs[i]);
  for (int64_t i = 0; i < e->noutputs; i++) print_sig(stdout, "output", &e->outputs[i]);
  printf("\nweights: %s\n\n", d->weights_embedded ? "embedded in this binary"
                                                   : "not embedded; give --checkpoint=PREFIX or --random-init");
  printf("  --checkpoint=PREFIX   TF checkpoint (format V2, or a directory with a `checkpoint` file)\n"
         "  --input[=NAME]=FILE   an input as .npy of exactly its dtype and shape ('-': stdin); image inputs\n"
         "                        (uint8 [N,H,W,1|3], or float32 with image_input()) also take PNG, JPEG\n"
         "                        and binary PGM/PPM images, resized to HxW; a batch of N takes N images;\n"
         "                        NAME may be left out when the model has one input\n"
         "  --output[=NAME]=FILE  write an output as .npy ('-': stdout)\n"
         "  --print               print each output: NAME, dtype, shape, then one value a line\n"
         "  --top=K               print the K largest entries of each output, per row of its last\n"
         "                        axis, with their indices along that axis\n"
         "  --labels=FILE         one label a line, line I naming index I: the top entries of the first\n"
         "                        output with that many classes print as 'LABEL VALUE' lines, alone\n"
         "  --threads=N           threads to run on (default: one per core)\n"
         "  --bench=RUNS          one warm-up run, then RUNS timed runs; prints median, min and max\n"
         "  --random-init[=SEED]  initialize variables from their initializers (seed 0 by default;\n"
         "                        the random streams are not TensorFlow's)\n"
         "  --help                this text\n"
         "Without --output, --print, --top or --bench, the %d largest entries of each output are printed.\n",
         DEFAULT_TOP);
}

static int usage_error(const cli *c, const char *fmt, const char *arg) {
  fprintf(stderr, "%s: ", c->prog);
  fprintf(stderr, fmt, arg);
  fprintf(stderr, " (see --help)\n");
  return EXIT_USAGE;
}

/* Parses a decimal in [LO, INT32_MAX]; -1 if malformed or out of range. */
static int64_t parse_count(const char *s, int64_t lo, int64_t hi) {
  if (!*s) return -1;
  int64_t v = 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9') return -1;
    v = v * 10 + (*s - '0');
    if (v > hi) return -1;
  }
  return v < lo ? -1 : v;
}

static void list_names(const slimrt_io_desc *io, int64_t n, char *buf, size_t len) {
  size_t at = 0;
  buf[0] = 0;
  for (int64_t i = 0; i < n && at < len; i++)
    at += (size_t)snprintf(buf + at, len - at, "%s%s", i ? ", " : "", io[i].name);
}

static int file_exists(const char *path) { return access(path, F_OK) == 0; /* no open: a FIFO would block */ }

static int bind_file(cli *c, const char *kind, const slimrt_io_desc *io, int64_t which, const char **files,
                     const char *file);

/* --input=FILE or --input=NAME=FILE (same for --output): a prefix before '='
   that names an input selects it; otherwise the whole value is a file, which
   needs a model with exactly one input. */
static int bind(cli *c, const char *opt, const char *kind, const char *val, const slimrt_io_desc *io, int64_t n,
                const char **files) {
  char msg[512], names[256];
  list_names(io, n, names, sizeof names);
  const char *eq = strchr(val, '=');
  int64_t which = -1;
  const char *file = val;
  if (eq)
    for (int64_t i = 0; i < n; i++)
      if (strlen(io[i].name) == (size_t)(eq - val) && !strncmp(io[i].name, val, (size_t)(eq - val))) {
        which = i;
        file = eq + 1;
      }
  if (which < 0) {
    if (n == 1 && eq && !file_exists(val) && eq > val) {
      /* NAME=FILE naming no input (a file really named "x=y" is taken as it is) */
      snprintf(msg, sizeof msg, "%s=%s: no %s named '%.*s' (the model's %s: %s)", opt, val, kind, (int)(eq - val),
               val, kind, names);
      return usage_error(c, "%s", msg);
    } else if (n == 1) {
      which = 0;
    } else if (n == 0) {
      snprintf(msg, sizeof msg, "%s: the model has no %ss", opt, kind);
      return usage_error(c, "%s", msg);
    } else if (eq) {
      snprintf(msg, sizeof msg, "%s=%s: no %s named '%.*s' (%ss: %s)", opt, val, kind, (int)(eq - val), val, kind,
               names);
      return usage_error(c, "%s", msg);
    } else {
      snprintf(msg, sizeof msg, "%s=%s: the model has several %ss; use %s=NAME=FILE (%ss: %s)", opt, val, kind, opt,
               kind, names);
      return usage_error(c, "%s", msg);
    }
  }
  if (!*file) return usage_error(c, "%s needs a file name", opt);
  if (files == c->in_files && strpbrk(file, "*?[") && !file_exists(file)) {
    /* a pattern the shell left alone (--input=*.png): its files in sorted order */
    glob_t g;
    int grc = glob(file, 0, NULL, &g);
    if (grc != 0) {
      if (grc != GLOB_NOMATCH) globfree(&g);
      snprintf(msg, sizeof msg, "%s=%s: no file matches '%s'", opt, val, file);
      return usage_error(c, "%s", msg);
    }
    int rc = 0;
    char **owned = realloc(c->owned, sizeof *owned * (size_t)(c->nowned + (int)g.gl_pathc));
    if (!owned) rc = usage_error(c, "%s", "out of memory");
    else c->owned = owned;
    for (size_t k = 0; k < g.gl_pathc && !rc; k++) {
      if (!(c->owned[c->nowned] = strdup(g.gl_pathv[k]))) rc = usage_error(c, "%s", "out of memory");
      else rc = bind_file(c, kind, io, which, files, c->owned[c->nowned++]);
    }
    globfree(&g);
    return rc;
  }
  return bind_file(c, kind, io, which, files, file);
}

/* FILE for input/output WHICH: the first file, or the next item of a batch of images. */
static int bind_file(cli *c, const char *kind, const slimrt_io_desc *io, int64_t which, const char **files,
                     const char *file) {
  char msg[512];
  if (files[which] && files == c->in_files && io[which].shape.rank >= 1 &&
      (io[which].shape.dims[0] > 1 || io[which].shape.dims[0] == -1) && slimrt_image_takes(&io[which])) {
    /* a batch of image files: one an item, in order */
    if (c->nmore == c->capmore) {
      int cap = c->capmore ? 2 * c->capmore : 16;
      const char **m = realloc(c->more, sizeof *m * (size_t)cap);
      if (m) c->more = m;
      int *mo = m ? realloc(c->more_of, sizeof *mo * (size_t)cap) : NULL;
      if (!mo) return usage_error(c, "%s", "out of memory");
      c->more_of = mo, c->capmore = cap;
    }
    c->more[c->nmore] = file, c->more_of[c->nmore++] = (int)which;
    return 0;
  }
  if (files[which]) {
    snprintf(msg, sizeof msg, "%s '%s' given twice", kind, io[which].name);
    return usage_error(c, "%s", msg);
  }
  files[which] = file;
  return 0;
}

/* The value of "--NAME=VALUE" if ARG is that option, else NULL. */
static const char *opt_value(const char *arg, const char *name) {
  size_t n = strlen(name);
  return !strncmp(arg, name, n) && arg[n] == '=' ? arg + n + 1 : NULL;
}

static int parse_args(cli *c, int argc, char **argv) {
  const slimrt_entry_desc *e = c->e;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v;
    int64_t n;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      c->help = 1;
    } else if (!strcmp(a, "--print")) {
      c->print = 1;
    } else if (!strcmp(a, "--random-init")) {
      c->random = 1;
      c->seed = 0;
    } else if ((v = opt_value(a, "--random-init"))) {
      if ((n = parse_count(v, 0, INT64_MAX / 10)) < 0)
        return usage_error(c, "--random-init=%s: the seed must be a non-negative integer", v);
      c->random = 1;
      c->seed = n;
    } else if ((v = opt_value(a, "--checkpoint"))) {
      if (!*v) return usage_error(c, "%s needs a checkpoint prefix", "--checkpoint");
      c->checkpoint = v;
    } else if ((v = opt_value(a, "--input"))) {
      if (bind(c, "--input", "input", v, e->inputs, e->ninputs, c->in_files)) return EXIT_USAGE;
    } else if ((v = opt_value(a, "--output"))) {
      if (bind(c, "--output", "output", v, e->outputs, e->noutputs, c->out_files)) return EXIT_USAGE;
    } else if ((v = opt_value(a, "--top"))) {
      if ((n = parse_count(v, 1, 1 << 30)) < 0) return usage_error(c, "--top=%s: K must be a positive integer", v);
      c->top = (int)n;
    } else if ((v = opt_value(a, "--labels"))) {
      if (!*v) return usage_error(c, "%s needs a file name", "--labels");
      c->labels_file = v;
    } else if ((v = opt_value(a, "--threads"))) {
      if ((n = parse_count(v, 1, 4096)) < 0)
        return usage_error(c, "--threads=%s: N must be an integer from 1 to 4096", v);
      c->threads = (int)n;
    } else if ((v = opt_value(a, "--bench"))) {
      if ((n = parse_count(v, 1, 1 << 24)) < 0)
        return usage_error(c, "--bench=%s: RUNS must be a positive integer", v);
      c->bench = (int)n;
    } else {
      static const char *const with_value[] = {"--checkpoint", "--input", "--output", "--top", "--labels", "--threads",
                                                  "--bench"};
      for (size_t k = 0; k < sizeof with_value / sizeof *with_value; k++)
        if (!strcmp(a, with_value[k])) return usage_error(c, "%s needs a value: write it as OPTION=VALUE", a);
      if (a[0] != '-')
        return usage_error(c, "unexpected argument '%s': give input files as --input=FILE or --input=NAME=FILE", a);
      return usage_error(c, "unknown option '%s'", a);
    }
  }
  int from_stdin = 0;
  for (int64_t i = 0; i < e->ninputs; i++) from_stdin += c->in_files[i] && !strcmp(c->in_files[i], "-");
  if (from_stdin > 1) return usage_error(c, "%s", "only one input can be read from standard input ('-')");
  /* an output must not replace an input, the labels, or another output */
  for (int64_t i = 0; i < e->noutputs; i++) {
    const char *o = c->out_files[i];
    if (!o || !strcmp(o, "-")) continue;
    const char *clash = NULL;
    for (int64_t j = 0; j < e->ninputs && !clash; j++)
      if (c->in_files[j] && strcmp(c->in_files[j], "-") && slimrt_file_same(o, c->in_files[j])) clash = "an --input";
    if (!clash && c->labels_file && slimrt_file_same(o, c->labels_file)) clash = "the --labels file";
    for (int64_t j = 0; j < i && !clash; j++)
      if (c->out_files[j] && slimrt_file_same(o, c->out_files[j])) clash = "another --output";
    if (clash) {
      char msg[600];
      snprintf(msg, sizeof msg, "--output '%s' is the same file as %s", o, clash);
      return usage_error(c, "%s", msg);
    }
  }
  return 0;
}

/* The most an --input file may hold: the input's bytes and a header, but at
   least 256 MiB (an image may be larger than the tensor it is resized to); a
   shape with an unknown batch gets the 16 GiB one-tensor limit. */
static size_t input_limit(const slimrt_shape *s) {
  int64_t count = slimrt_shape_count((int)s->rank, s->dims);
  int esz = slimrt_dtype_size((int)s->dtype);
  size_t lim = (size_t)256 << 20;
  if (count < 0 || esz <= 0 || (uint64_t)count > (SLIMRT_LIMIT_TENSOR >> 3)) return SLIMRT_LIMIT_TENSOR;
  size_t want = (size_t)count * (size_t)esz + ((size_t)1 << 20);
  return want > lim ? want : lim;
}

/* Decodes PATH's image (PNG, JPEG, PGM/PPM) into item ITEM of OUT (IO's shape). 1: the file is
   no image (nothing done), 0: done, -1: error reported. */
static int load_image(const cli *c, const slimrt_io_desc *io, const char *path, const unsigned char *buf,
                      size_t len, int64_t item, slimrt_array *out) {
  const char *name = slimrt_io_name(path, 0);
  char err[512], want[160];
  const char *kind = slimrt_image_kind(buf, len);
  int is_pnm = len >= 2 && buf[0] == 'P' && (buf[1] == '5' || buf[1] == '6');
  if (!kind && !is_pnm) return 1;
  const slimrt_shape *s = &io->shape;
  if (!slimrt_image_takes(io)) {
    slimrt_io_format_shape(want, sizeof want, (int)s->rank, s->dims);
    fprintf(stderr, "%s: %s: a %s image cannot feed input '%s' (%s %s): images feed uint8 [N,H,W,1|3] inputs and "
            "float32 ones whose model declares image_input(); give a .npy file\n", c->prog, name,
            kind ? kind : "PGM/PPM", io->name, slimrt_io_dtype_name((int)s->dtype), want);
    return -1;
  }
  slimrt_array img;
  int rc = kind ? slimrt_image_read_mem(name, buf, len, &img, err, sizeof err)
                : slimrt_pnm_read_mem(name, buf, len, &img, err, sizeof err);
  if (!rc && !out->data) {
    int64_t n = slimrt_shape_count((int)s->rank, s->dims);
    out->dtype = (int)s->dtype, out->rank = (int)s->rank;
    memcpy(out->dims, s->dims, sizeof s->dims[0] * (size_t)s->rank);
    out->nbytes = (size_t)n * (size_t)slimrt_dtype_size((int)s->dtype);
    if (!(out->data = malloc(out->nbytes ? out->nbytes : 1)))
      rc = slimrt_errorf(err, sizeof err, "%s: out of memory for input '%s'", name, io->name);
  }
  if (!rc) rc = slimrt_image_to_input(name, &img, io, item, out->data, err, sizeof err);
  if (kind || img.data) slimrt_array_free(&img);
  if (rc) {
    fprintf(stderr, "%s: %s\n", c->prog, err);
    return -1;
  }
  return 0;
}

/* Input IO from its files PATHS[0..N): one .npy of exactly its dtype and shape, or images,
   one an item of its batch. */
static int load_input(const cli *c, const slimrt_io_desc *io, const char **paths, int npaths, slimrt_array *out) {
  char err[512], want[160], have[160];
  slimrt_io_format_shape(want, sizeof want, (int)io->shape.rank, io->shape.dims);
  int batched = io->shape.rank >= 1 && io->shape.dims[0] == -1;
  slimrt_io_desc items;
  if (batched) { /* a '?' batch: as many items as image files (a .npy's own batch is checked below) */
    items = *io;
    items.shape.dims[0] = npaths;
    io = &items;
  }
  const slimrt_shape *s = &io->shape;
  memset(out, 0, sizeof *out);
  if (npaths > 1 && (s->rank < 1 || s->dims[0] != npaths)) {
    fprintf(stderr, "%s: input '%s' (%s %s) takes %s; %d files were given\n", c->prog, io->name,
            slimrt_io_dtype_name((int)s->dtype), want, s->rank >= 1 && s->dims[0] > 1 ? "one image per batch item"
                                                                                      : "one file", npaths);
    return -1;
  }
  for (int k = 0; k < npaths; k++) {
    const char *name = slimrt_io_name(paths[k], 0);
    unsigned char *buf;
    size_t len;
    if (slimrt_file_read(paths[k], input_limit(s), SLIMRT_READ_STDIN, &buf, &len, err, sizeof err)) {
      fprintf(stderr, "%s: %s\n", c->prog, err);
      slimrt_array_free(out);
      return -1;
    }
    int rc = load_image(c, io, paths[k], buf, len, k, out);
    if (rc == 1 && npaths == 1) {
      rc = slimrt_npy_read_mem(name, buf, len, out, err, sizeof err);
      if (rc && slimrt_image_takes(io) && len >= 6 && memcmp(buf, "\x93NUMPY", 6))
        snprintf(err, sizeof err, "%s: neither a .npy file nor a PNG, JPEG or binary PGM/PPM image", name);
      if (rc) fprintf(stderr, "%s: %s\n", c->prog, err);
      if (!rc) {
        int same = out->dtype == s->dtype && out->rank == s->rank;
        for (int i = 0; same && i < out->rank; i++) same = out->dims[i] == s->dims[i] || (batched && i == 0);
        if (same && batched && out->dims[0] < 1) {
          fprintf(stderr, "%s: %s: input '%s' (%s %s) has a batch of %lld: the batch must be at least 1\n", c->prog,
                  name, io->name, slimrt_io_dtype_name((int)s->dtype), want, (long long)out->dims[0]);
          rc = -1;
        } else if (!same) {
          slimrt_io_format_shape(have, sizeof have, out->rank, out->dims);
          fprintf(stderr, "%s: %s: input '%s' expects %s %s, found %s %s\n", c->prog, name, io->name,
                  slimrt_io_dtype_name((int)s->dtype), want, slimrt_io_dtype_name(out->dtype), have);
          rc = -1;
        }
      }
    } else if (rc == 1) {
      fprintf(stderr, "%s: %s: not an image (PNG, JPEG, PGM/PPM); a batch of %d files for input '%s' takes one "
              "image an item\n", c->prog, name, npaths, io->name);
      rc = -1;
    } else if (rc == 0 && npaths == 1 && s->dims[0] != 1 && !batched) {
      fprintf(stderr, "%s: %s: input '%s' (%s %s) is a batch of %lld: give %lld image files\n", c->prog, name,
              io->name, slimrt_io_dtype_name((int)s->dtype), want, (long long)s->dims[0], (long long)s->dims[0]);
      rc = -1;
    }
    free(buf);
    if (rc) {
      slimrt_array_free(out);
      return -1;
    }
  }
  return 0;
}

static void print_value(int dtype, const void *buf, int64_t i) {
  switch (dtype) {
  case SLIMRT_I64: printf("%lld", (long long)((const int64_t *)buf)[i]); break;
  case SLIMRT_U64: printf("%llu", (unsigned long long)((const uint64_t *)buf)[i]); break;
  case SLIMRT_F32: case SLIMRT_F64: case SLIMRT_F16: case SLIMRT_BF16:
    printf("%.9g", slimrt_io_get(dtype, buf, i));
    break;
  default: printf("%.0f", slimrt_io_get(dtype, buf, i)); break;
  }
}

static void print_header(const slimrt_io_desc *io) {
  char sh[160];
  slimrt_io_format_shape(sh, sizeof sh, (int)io->shape.rank, io->shape.dims);
  printf("%s\t%s\t%s\n", io->name, slimrt_io_dtype_name((int)io->shape.dtype), sh);
}

typedef struct ranked { double v; int64_t i; } ranked;

/* Largest first; NaN after every number; ties keep the lower index first. */
static int cmp_ranked(const void *pa, const void *pb) {
  const ranked *a = pa, *b = pb;
  int an = isnan(a->v), bn = isnan(b->v);
  if (an != bn) return an - bn;
  if (!an && a->v != b->v) return a->v > b->v ? -1 : 1;
  return (a->i > b->i) - (a->i < b->i);
}

/* tf.nn.top_k's view: the top K along the last axis, for every leading index.
   With LABELS (one per entry of the last axis) entries print as "LABEL VALUE"
   and the header line is left out: that view is for people, not scripts. */
static int print_top(const slimrt_io_desc *io, const void *buf, int k, const char *const *labels) {
  const slimrt_shape *s = &io->shape;
  int dt = (int)s->dtype;
  int64_t total = slimrt_shape_count((int)s->rank, s->dims);
  int64_t row = s->rank > 0 ? s->dims[s->rank - 1] : 1;
  int64_t nrows = row > 0 ? total / row : 0;
  if (!labels) print_header(io);
  ranked *r = malloc(sizeof *r * (size_t)(row > 0 ? row : 1));
  if (!r) return -1;
  for (int64_t q = 0; q < nrows; q++) {
    if (nrows > 1) {  /* name the row by its leading indices */
      printf("[");
      int64_t rem = q;
      int64_t idx[SLIMRT_MAX_RANK] = {0};
      for (int64_t d = s->rank - 2; d >= 0; d--) {
        idx[d] = rem % s->dims[d];
        rem /= s->dims[d];
      }
      for (int64_t d = 0; d + 1 < s->rank; d++) printf("%s%lld", d ? "," : "", (long long)idx[d]);
      printf("]\n");
    }
    for (int64_t i = 0; i < row; i++) r[i] = (ranked){slimrt_io_get(dt, buf, q * row + i), i};
    qsort(r, (size_t)row, sizeof *r, cmp_ranked);
    for (int64_t i = 0; i < row && i < k; i++) {
      if (labels) {
        printf("%s %.6g\n", labels[r[i].i], slimrt_io_get(dt, buf, q * row + r[i].i));
        continue;
      }
      printf("  %lld\t", (long long)r[i].i);
      print_value(dt, buf, q * row + r[i].i);
      printf("\n");
    }
  }
  free(r);
  return 0;
}

/* Reads --labels: one label a line (a trailing newline ends the last one; CRLF
   is accepted). Then picks the first output with as many entries along its last
   axis as there are labels; -1 (message printed) if the file is unreadable or
   empty, or if no output has that many classes. */
static int read_labels(cli *c, int64_t *which) {
  const slimrt_io_desc *outs = c->e->outputs;
  unsigned char *buf;
  size_t len;
  char err[512];
  if (slimrt_file_read(c->labels_file, SLIMRT_LIMIT_LABELS, SLIMRT_READ_STDIN, &buf, &len, err, sizeof err)) {
    fprintf(stderr, "%s: %s\n", c->prog, err);
    return -1;
  }
  c->labels_buf = (char *)buf;
  int64_t n = 0;
  for (size_t i = 0; i < len; i++) n += buf[i] == '\n' || (i + 1 == len && buf[i] != '\n');
  const char *name = slimrt_io_name(c->labels_file, 0);
  if (n == 0) {
    fprintf(stderr, "%s: %s: no labels (expected one label a line)\n", c->prog, name);
    return -1;
  }
  c->labels = malloc(sizeof *c->labels * (size_t)n);
  if (!c->labels) {
    fprintf(stderr, "%s: out of memory\n", c->prog);
    return -1;
  }
  char *line = (char *)buf, *end = (char *)buf + len;
  for (int64_t k = 0; k < n; k++) {
    char *nl = memchr(line, '\n', (size_t)(end - line));
    char *stop = nl ? nl : end;
    if (stop > line && stop[-1] == '\r') stop--;
    *stop = 0;  /* slimrt_file_read leaves a spare byte past the end */
    c->labels[k] = line;
    line = nl ? nl + 1 : end;
  }
  c->nlabels = n;
  for (int64_t i = 0; i < c->e->noutputs; i++) {
    const slimrt_shape *s = &outs[i].shape;
    if (s->rank > 0 && s->dims[s->rank - 1] == n) {
      *which = i;
      return 0;
    }
  }
  char have[512] = "", sh[160];
  size_t at = 0;
  for (int64_t i = 0; i < c->e->noutputs && at < sizeof have; i++) {
    slimrt_io_format_shape(sh, sizeof sh, (int)outs[i].shape.rank, outs[i].shape.dims);
    at += (size_t)snprintf(have + at, sizeof have - at, "%s%s %s", i ? ", " : "", outs[i].name, sh);
  }
  fprintf(stderr, "%s: %s: %lld labels, but no output has %lld entries along its last axis (outputs: %s)\n",
          c->prog, name, (long long)n, (long long)n, have);
  return -1;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *pa, const void *pb) {
  double a = *(const double *)pa, b = *(const double *)pb;
  return (a > b) - (a < b);
}

static int bench(const cli *c, slimrt_model *m, int64_t batch, const void *const *in, void *const *out) {
  double *t = malloc(sizeof *t * (size_t)c->bench);
  if (!t) {
    fprintf(stderr, "%s: out of memory\n", c->prog);
    return -1;
  }
  char err[512];
  if (slimrt_model_run_batch(m, batch, in, out, err, sizeof err)) { /* warm-up: page faults, pool start-up, caches */
    fprintf(stderr, "%s: %s\n", c->prog, err);
    free(t);
    return -1;
  }
  for (int i = 0; i < c->bench; i++) {
    double t0 = now_ms();
    slimrt_model_run_batch(m, batch, in, out, NULL, 0);
    t[i] = now_ms() - t0;
  }
  qsort(t, (size_t)c->bench, sizeof *t, cmp_double);
  int n = c->bench;
  double median = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
  /* always "runs"/"threads": scripts parse this line */
  printf("median %.3f ms  min %.3f ms  max %.3f ms  (%d runs, %d threads)\n", median, t[0], t[n - 1], n,
         slimrt_model_threads(m));
  free(t);
  return 0;
}

/* Stages every --output, then commits them all or none (fileio.h). */
static int write_outputs(const cli *c, void *const *out) {
  const slimrt_entry_desc *e = c->e;
  slimrt_out *p = calloc((size_t)e->noutputs + 1, sizeof *p);
  slimrt_out **pp = calloc((size_t)e->noutputs + 1, sizeof *pp);
  char err[512];
  int rc = 0;
  if (!p || !pp) {
    free(p);
    free(pp);
    fprintf(stderr, "%s: out of memory\n", c->prog);
    return -1;
  }
  for (int64_t i = 0; i < e->noutputs && !rc; i++) {
    if (!c->out_files[i]) continue;
    const slimrt_shape *s = &e->outputs[i].shape;
    slimrt_array a = {.dtype = (int)s->dtype, .rank = (int)s->rank, .data = out[i]};
    memcpy(a.dims, s->dims, sizeof a.dims);
    a.nbytes = (size_t)slimrt_shape_count(a.rank, a.dims) * (size_t)slimrt_dtype_size(a.dtype);
    if (slimrt_npy_write_begin(c->out_files[i], &a, &p[i], err, sizeof err)) {
      fprintf(stderr, "%s: %s\n", c->prog, err);
      rc = -1;
    }
    pp[i] = &p[i];
  }
  if (rc) {
    for (int64_t i = 0; i < e->noutputs; i++) slimrt_out_abort(&p[i]);
  } else if (slimrt_out_commit_all(pp, (int)e->noutputs, err, sizeof err)) {
    fprintf(stderr, "%s: %s\n", c->prog, err);
    rc = -1;
  }
  free(p);
  free(pp);
  return rc;
}

/* Everything after argument parsing; frees what it allocates. */
static int run(cli *c) {
  const slimrt_model_desc *d = c->d;
  const slimrt_entry_desc *e = c->e;
  int64_t nio = e->ninputs + e->noutputs;
  slimrt_array *in = calloc((size_t)e->ninputs + 1, sizeof *in);
  void **ptrs = calloc((size_t)nio + 1, sizeof *ptrs);
  slimrt_model *m = NULL;
  slimrt_io_desc *outs = NULL; /* e->outputs with the '?' batch's size */
  slimrt_entry_desc shown;
  int rc = EXIT_RUN;
  char err[1024];
  if (!in || !ptrs) {
    fprintf(stderr, "%s: out of memory\n", c->prog);
    goto done;
  }
  int64_t labelled = -1;
  if (c->labels_file && read_labels(c, &labelled)) goto done;
  for (int64_t i = 0; i < e->ninputs; i++) {
    const char **paths = malloc(sizeof *paths * (size_t)(c->nmore + 1));
    int np = 0;
    if (paths) {
      paths[np++] = c->in_files[i];
      for (int k = 0; k < c->nmore; k++)
        if (c->more_of[k] == i) paths[np++] = c->more[k];
    }
    int bad = !paths || load_input(c, &e->inputs[i], paths, np, &in[i]);
    free(paths);
    if (bad) goto done;
    ptrs[i] = in[i].data;
  }
  /* a '?' batch: its size comes from the inputs, which must agree */
  int64_t batch = 1, batch_of = -1;
  for (int64_t i = 0; i < e->ninputs; i++) {
    if (e->inputs[i].shape.rank < 1 || e->inputs[i].shape.dims[0] != -1) continue;
    if (batch_of >= 0 && in[i].dims[0] != batch) {
      fprintf(stderr, "%s: input '%s' has a batch of %lld but input '%s' one of %lld\n", c->prog, e->inputs[i].name,
              (long long)in[i].dims[0], e->inputs[batch_of].name, (long long)batch);
      goto done;
    }
    batch = in[i].dims[0], batch_of = i;
  }
  if (!(outs = calloc((size_t)e->noutputs + 1, sizeof *outs))) {
    fprintf(stderr, "%s: out of memory\n", c->prog);
    goto done;
  }
  for (int64_t i = 0; i < e->noutputs; i++) { /* the outputs' shapes at this batch */
    outs[i] = e->outputs[i];
    int64_t item = slimrt_io_item_bytes(&outs[i]);
    if (outs[i].shape.rank >= 1 && outs[i].shape.dims[0] == -1) {
      outs[i].shape.dims[0] = batch;
      if (item > 0 && batch > ((int64_t)16 << 30) / item) {
        fprintf(stderr, "%s: a batch of %lld: output '%s' would need %lld x %lld bytes, more than the limit of 16 GiB\n",
                c->prog, (long long)batch, outs[i].name, (long long)batch, (long long)item);
        goto done;
      }
    }
  }
  shown = *e;
  shown.outputs = outs;
  c->e = &shown;
  for (int64_t i = 0; i < e->noutputs; i++) {
    const slimrt_shape *s = &outs[i].shape;
    int64_t n = slimrt_shape_count((int)s->rank, s->dims);
    size_t bytes = n > 0 ? (size_t)n * (size_t)slimrt_dtype_size((int)s->dtype) : 0;
    bytes = (bytes + 63) & ~(size_t)63;
    ptrs[e->ninputs + i] = aligned_alloc(64, bytes ? bytes : 64);
    if (!ptrs[e->ninputs + i]) {
      fprintf(stderr, "%s: out of memory for output '%s'\n", c->prog, e->outputs[i].name);
      goto done;
    }
    memset(ptrs[e->ninputs + i], 0, bytes);
  }
  m = slimrt_model_new(d, c->checkpoint, c->random ? c->seed : -1, c->threads, err, sizeof err);
  if (!m) {
    fprintf(stderr, "%s: %s\n", c->prog, err);
    goto done;
  }
  const void *const *inp = (const void *const *)ptrs;
  void *const *outp = ptrs + e->ninputs;
  if (c->bench) {
    if (bench(c, m, batch, inp, outp)) goto done;
  } else if (slimrt_model_run_batch(m, batch, inp, outp, err, sizeof err)) {
    fprintf(stderr, "%s: %s\n", c->prog, err);
    goto done;
  }
  if (write_outputs(c, outp)) goto done;
  int any_out = 0;
  for (int64_t i = 0; i < e->noutputs; i++) any_out |= c->out_files[i] != NULL;
  int top = c->top ? c->top : (!any_out && !c->print && !c->bench ? DEFAULT_TOP : 0);
  for (int64_t i = 0; i < e->noutputs; i++) {
    if (c->print) {
      const slimrt_shape *s = &outs[i].shape;
      int64_t n = slimrt_shape_count((int)s->rank, s->dims);
      print_header(&outs[i]);
      for (int64_t j = 0; j < n; j++) {
        print_value((int)s->dtype, outp[i], j);
        printf("\n");
      }
    }
    if (top && labelled >= 0 && i != labelled) continue;  /* --labels: only the labelled output */
    if (top && print_top(&outs[i], outp[i], top, i == labelled ? c->labels : NULL)) {
      fprintf(stderr, "%s: out of memory\n", c->prog);
      goto done;
    }
  }
  if (fflush(stdout)) {
    fprintf(stderr, "%s: <stdout>: write error: %s\n", c->prog, strerror(errno));
    goto done;
  }
  rc = 0;
done:
  slimrt_model_free(m);
  for (int64_t i = 0; in && i < e->ninputs; i++) slimrt_array_free(&in[i]);
  for (int64_t i = 0; ptrs && i < e->noutputs; i++) free(ptrs[e->ninputs + i]);
  free(in);
  free(ptrs);
  free(outs);
  c->e = e;
  free(c->labels);
  free(c->labels_buf);
  fflush(stdout);
  return rc;
}

int slimrt_main(const slimrt_model_desc *d, int argc, char **argv) {
  cli c = {0};
  const char *prog = argc > 0 && argv[0] ? argv[0] : (d && d->name ? d->name : "model");
  const char *slash = strrchr(prog, '/');
  c.prog = slash ? slash + 1 : prog;
  c.d = d;
  const slimrt_entry_desc *e = c.e = d ? slimrt_model_entry(d, "run") : NULL;
  if (!e || e->ninputs < 0 || e->noutputs < 0) {
    fprintf(stderr, "%s: malformed model descriptor\n", c.prog);
    return EXIT_RUN;
  }
  c.in_files = calloc((size_t)e->ninputs + 1, sizeof *c.in_files);
  c.out_files = calloc((size_t)e->noutputs + 1, sizeof *c.out_files);
  int rc;
  if (!c.in_files || !c.out_files) {
    fprintf(stderr, "%s: out of memory\n", c.prog);
    rc = EXIT_RUN;
  } else if ((rc = parse_args(&c, argc, argv))) {
    /* usage error already reported */
  } else if (c.help) {
    print_help(&c);
    fflush(stdout);
    rc = 0;
  } else if (d->weights_embedded && d->nvars > 0 && (c.checkpoint || c.random)) {
    /* a model without variables needs no weights and accepts either option */
    rc = usage_error(&c, "%s: this binary has embedded weights; it takes no checkpoint or random init",
                     c.checkpoint ? "--checkpoint" : "--random-init");
  } else if (!d->weights_embedded && d->nvars > 0 && !c.checkpoint && !c.random) {
    rc = usage_error(&c, "%s", "no weights: give --checkpoint=PREFIX or --random-init[=SEED] (this binary has none "
                     "embedded)");
  } else {
    rc = 0;
    for (int64_t i = 0; i < e->ninputs && !rc; i++)
      if (!c.in_files[i]) {
        char msg[300];
        snprintf(msg, sizeof msg, "missing %s for input '%s'", e->ninputs == 1 ? "--input=FILE" : "--input=NAME=FILE",
                 e->inputs[i].name);
        rc = usage_error(&c, "%s", msg);
      }
    if (!rc) rc = run(&c);
  }
  free(c.in_files);
  free(c.out_files);
  free(c.more);
  free(c.more_of);
  for (int i = 0; i < c.nowned; i++) free(c.owned[i]);
  free(c.owned);
  return rc;
}
