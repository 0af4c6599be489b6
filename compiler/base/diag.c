#include "base/diag.h"
#include "../../runtime/src/fileio.h"
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void src_init(SrcMgr *sm, Arena *arena) {
  memset(sm, 0, sizeof *sm);
  sm->arena = arena;
}

int src_add(SrcMgr *sm, const char *path, const char *text, size_t len) {
  if (sm->nfiles == sm->cap) {
    int cap = sm->cap ? sm->cap * 2 : 8;
    sm->files = arena_realloc(sm->arena, sm->files, sizeof(SrcFile *) * (size_t)sm->cap,
                              sizeof(SrcFile *) * (size_t)cap);
    sm->cap = cap;
  }
  SrcFile *f = arena_alloc(sm->arena, sizeof *f);
  f->path = arena_strdup(sm->arena, path);
  /* Python's universal newlines: CRLF and a lone CR both end a line, as LF */
  char *t = arena_alloc(sm->arena, len + 1);
  size_t n = 0;
  for (size_t i = 0; i < len; i++) {
    if (text[i] != '\r') t[n++] = text[i];
    else if (i + 1 >= len || text[i + 1] != '\n') t[n++] = '\n';
  }
  t[n] = 0;
  f->text = t;
  f->len = n;
  sm->files[sm->nfiles] = f;
  return sm->nfiles++;
}

int src_load(SrcMgr *sm, const char *path, bool regular_only, char *err, size_t errlen) {
  unsigned char *buf;
  size_t n;
  char why[1024];
  if (slimrt_file_read(path, SLIMRT_LIMIT_SOURCE, regular_only ? SLIMRT_READ_REGULAR : SLIMRT_READ_STDIN, &buf, &n,
                       why, sizeof why)) {
    /* "PATH: cannot open: REASON" -> "REASON": the callers name the file */
    const char *r = why, *p;
    size_t pl = strlen(path);
    if (!strncmp(r, path, pl) && !strncmp(r + pl, ": ", 2)) r += pl + 2;
    if ((p = strstr(r, "cannot open: ")) == r) r += 13;
    snprintf(err, errlen, "%s", r);
    return -1;
  }
  int idx = src_add(sm, path, (const char *)buf, n);
  free(buf);
  return idx;
}

const SrcFile *src_file(const SrcMgr *sm, int idx) {
  return idx >= 0 && idx < sm->nfiles ? sm->files[idx] : NULL;
}

const char *src_line(SrcMgr *sm, int file, int line, size_t *len) {
  if (file < 0 || file >= sm->nfiles) return NULL;
  SrcFile *f = sm->files[file];
  if (!f->lines) {
    int n = 1;
    for (size_t i = 0; i < f->len; i++)
      if (f->text[i] == '\n') n++;
    f->lines = arena_alloc(sm->arena, sizeof(char *) * (size_t)n);
    int k = 0;
    f->lines[k++] = f->text;
    for (size_t i = 0; i < f->len; i++)
      if (f->text[i] == '\n') f->lines[k++] = f->text + i + 1;
    f->nlines = n;
  }
  if (line < 1 || line > f->nlines) return NULL;
  const char *s = f->lines[line - 1];
  const char *end = f->text + f->len;
  const char *e = s;
  while (e < end && *e != '\n') e++;
  if (e > s && e[-1] == '\r') e--;
  *len = (size_t)(e - s);
  return s;
}

void diag_init(Diag *d, SrcMgr *sm, FILE *out, DiagColor color) {
  memset(d, 0, sizeof *d);
  d->sm = sm;
  d->out = out;
  d->max_errors = 20;
  d->last_printed = true;
  d->color = color == DIAG_COLOR_ALWAYS || (color == DIAG_COLOR_AUTO && isatty(fileno(out)));
}

Span span_join(Span a, Span b) {
  if (a.file < 0) return b;
  if (b.file < 0 || b.file != a.file) return a;
  Span r = a;
  if (b.end_line > r.end_line || (b.end_line == r.end_line && b.end_col > r.end_col)) {
    r.end_line = b.end_line;
    r.end_col = b.end_col;
  }
  return r;
}

static void print_caret(Diag *d, Span sp, const char *col_on, const char *col_off) {
  size_t len;
  const char *line = src_line(d->sm, sp.file, sp.line, &len);
  if (!line) return;
  if (len > 4096) { /* do not flood the terminal with huge lines */
    fprintf(d->out, "  (line %d is %zu bytes long)\n", sp.line, len);
    return;
  }
  fputs("  ", d->out);
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)line[i];
    fputc(c == '\t' ? ' ' : (c < 32 ? '?' : c), d->out);
  }
  fputs("\n  ", d->out);
  int col = sp.col < 1 ? 1 : sp.col;
  for (int i = 1; i < col && (size_t)i <= len; i++) fputc(' ', d->out);
  int end = sp.end_line == sp.line && sp.end_col >= col ? sp.end_col : (int)len;
  if (end < col) end = col;
  fputs(col_on, d->out);
  fputc('^', d->out);
  for (int i = col + 1; i <= end; i++) fputc('~', d->out);
  fputs(col_off, d->out);
  fputc('\n', d->out);
}

void diag_emit(Diag *d, DiagLevel lv, Span sp, const char *code, const char *fmt, va_list ap) {
  if (lv == DIAG_WARNING && d->werror) lv = DIAG_ERROR;
  if (lv == DIAG_ERROR) {
    d->nerrors++;
    if (d->max_errors && d->nerrors > d->max_errors) {
      if (d->nerrors == d->max_errors + 1)
        fprintf(d->out, "slimc: too many errors emitted, stopping now\n");
      d->last_printed = 0;
      return;
    }
  } else if (lv == DIAG_WARNING) {
    d->nwarnings++;
  } else if (!d->last_printed) {
    return;
  }
  d->last_printed = 1;
  const char *bold = d->color ? "\033[1m" : "", *reset = d->color ? "\033[0m" : "";
  const char *lc = "", *name = "note";
  if (lv == DIAG_ERROR) lc = d->color ? "\033[1;31m" : "", name = "error";
  else if (lv == DIAG_WARNING) lc = d->color ? "\033[1;35m" : "", name = "warning";
  else lc = d->color ? "\033[1;36m" : "";
  const SrcFile *f = src_file(d->sm, sp.file);
  if (f && sp.line > 0)
    fprintf(d->out, "%s%s:%d:%d: %s", bold, f->path, sp.line, sp.col, reset);
  else if (f)
    fprintf(d->out, "%s%s: %s", bold, f->path, reset);
  else
    fprintf(d->out, "%sslimc: %s", bold, reset);
  fprintf(d->out, "%s%s:%s %s", lc, name, reset, bold);
  vfprintf(d->out, fmt, ap);
  fputs(reset, d->out);
  if (code) fprintf(d->out, " [%s]", code);
  fputc('\n', d->out);
  if (f && sp.line > 0) print_caret(d, sp, d->color ? "\033[1;32m" : "", reset);
}

void diag_error(Diag *d, Span sp, const char *code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  diag_emit(d, DIAG_ERROR, sp, code, fmt, ap);
  va_end(ap);
}

static const DiagCode codes[] = {
#define DIAG_CODE(CODE, FLAG, TITLE, TEXT) {#CODE, FLAG, TITLE, TEXT},
#include "base/diag_codes.def"
#undef DIAG_CODE
};
enum { NCODES = sizeof codes / sizeof *codes };

const DiagCode *diag_code_find(const char *code) {
  if (!code || strlen(code) != 5) return NULL;
  char want[6];
  memcpy(want, code, 6);
  want[0] = (char)toupper((unsigned char)want[0]);
  for (int i = 0; i < NCODES; i++)
    if (!strcmp(codes[i].code, want)) return &codes[i];
  return NULL;
}

/* TEXT as lines of at most WIDTH columns, each indented by two spaces. */
static void print_wrapped(FILE *out, const char *text, int width) {
  const char *p = text;
  while (*p) {
    int len = 0, cut = 0;
    while (p[len] && len < width) {
      if (p[len] == ' ') cut = len;
      len++;
    }
    if (!p[len] || !cut) cut = len; /* the rest fits, or one word longer than a line */
    fprintf(out, "  %.*s\n", cut, p);
    p += cut;
    while (*p == ' ') p++;
  }
}

bool diag_explain(FILE *out, const char *code) {
  const DiagCode *c = diag_code_find(code);
  if (!c) return false;
  if (c->flag) fprintf(out, "%s (warning, -W%s): %s\n", c->code, c->flag, c->title);
  else fprintf(out, "%s (error): %s\n", c->code, c->title);
  print_wrapped(out, c->text, 76);
  return true;
}

const char *diag_warning_name(int i) {
  for (int k = 0; k < NCODES; k++)
    if (codes[k].flag && i-- == 0) return codes[k].flag;
  return NULL;
}

static const DiagCode *warning_row(const char *name) {
  for (int k = 0; name && k < NCODES; k++)
    if (codes[k].flag && !strcmp(codes[k].flag, name)) return &codes[k];
  return NULL;
}

bool diag_warning_known(const char *name) { return warning_row(name) != NULL; }

void diag_warning(Diag *d, Span sp, const char *name, const char *fmt, ...) {
  for (int i = 0; i < d->ndisabled; i++)
    if (name && strcmp(d->disabled_warnings[i], name) == 0) {
      d->last_printed = false; /* its notes go too */
      return;
    }
  for (int i = 0; i < d->nwarned; i++)
    if (!memcmp(&d->warned[i], &sp, sizeof sp)) {
      d->last_printed = false;
      return;
    }
  if (d->nwarned == d->capwarned) {
    int cap = d->capwarned ? 2 * d->capwarned : 16;
    d->warned = arena_realloc(d->sm->arena, d->warned, sizeof(Span) * (size_t)d->capwarned, sizeof(Span) * (size_t)cap);
    d->capwarned = cap;
  }
  d->warned[d->nwarned++] = sp;
  const DiagCode *w = warning_row(name); /* every caller's NAME has a row: diag_codes.sh checks */
  va_list ap;
  va_start(ap, fmt);
  char code[96];
  snprintf(code, sizeof code, "%s%s-W%s%s", w ? w->code : "", w ? " " : "", d->werror ? "error=" : "",
           name ? name : "");
  diag_emit(d, DIAG_WARNING, sp, code, fmt, ap);
  va_end(ap);
}

void diag_note_always(Diag *d, Span sp, const char *fmt, ...) {
  d->last_printed = true;
  va_list ap;
  va_start(ap, fmt);
  diag_emit(d, DIAG_NOTE, sp, NULL, fmt, ap);
  va_end(ap);
}

int diag_edit_distance(const char *a, const char *b, int cap) {
  size_t n = strlen(a), m = strlen(b);
  if ((n > m ? n - m : m - n) > (size_t)cap) return cap + 1;
  int *row = malloc((m + 1) * sizeof *row);
  if (!row) return cap + 1;
  for (size_t j = 0; j <= m; j++) row[j] = (int)j;
  for (size_t i = 1; i <= n; i++) {
    int diag = row[0], best = row[0] = (int)i;
    for (size_t j = 1; j <= m; j++) {
      int up = row[j];
      int v = diag + (a[i - 1] != b[j - 1]);
      if (up + 1 < v) v = up + 1;
      if (row[j - 1] + 1 < v) v = row[j - 1] + 1;
      row[j] = v;
      diag = up;
      if (v < best) best = v;
    }
    if (best > cap) { /* no path can come back under the cap */
      free(row);
      return cap + 1;
    }
  }
  int r = row[m];
  free(row);
  return r;
}

const char *diag_closest(const char *want, const char *const *cands, int n) {
  int len = (int)strlen(want), cap = len / 3, bestd = cap + 1;
  const char *best = NULL;
  for (int i = 0; i < n; i++) {
    int dist = diag_edit_distance(want, cands[i], cap);
    if (dist > 0 && dist < bestd) best = cands[i], bestd = dist;
  }
  return best;
}

void diag_note(Diag *d, Span sp, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  diag_emit(d, DIAG_NOTE, sp, NULL, fmt, ap);
  va_end(ap);
}
