/* Source files and diagnostics, shared by every stage.
 *
 * A Span names a range in one loaded source file. Diagnostics print as
 *   FILE:LINE:COL: error: MESSAGE [-Ecode]
 *     source line
 *     ^~~~~~
 * followed by their notes, each with its own span. */
#ifndef SLIMC_DIAG_H
#define SLIMC_DIAG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "base/arena.h"

typedef struct Span {
  int file;               /* index into SrcMgr.files; -1 = no location */
  int line, col;          /* 1-based; col counts bytes */
  int end_line, end_col;  /* inclusive end; end_col >= col on one line */
} Span;

#define SPAN_NONE ((Span){-1, 0, 0, 0, 0})

typedef struct SrcFile {
  const char *path;     /* as given / as resolved (printed in diagnostics) */
  const char *text;     /* NUL-terminated contents (may contain inner NULs: see len) */
  size_t len;
  const char **lines;   /* start of each line, computed lazily */
  int nlines;
} SrcFile;

typedef struct SrcMgr {
  Arena *arena;
  SrcFile **files;
  int nfiles, cap;
} SrcMgr;

void src_init(SrcMgr *sm, Arena *arena);
/* Adds a file whose text is already in memory; returns its index. Line endings
   become LF (CRLF and a lone CR, as Python reads source). */
int src_add(SrcMgr *sm, const char *path, const char *text, size_t len);
/* Reads PATH (at most 64 MiB, runtime/src/fileio.h); returns its index, or -1
   with "PATH: why" in ERR. REGULAR_ONLY refuses FIFOs and devices without
   blocking (load()); otherwise "-" is standard input (the main file). */
int src_load(SrcMgr *sm, const char *path, bool regular_only, char *err, size_t errlen);
const SrcFile *src_file(const SrcMgr *sm, int idx);
/* The text of line LINE (1-based) without its newline, and its length. */
const char *src_line(SrcMgr *sm, int file, int line, size_t *len);

typedef enum DiagLevel { DIAG_NOTE, DIAG_WARNING, DIAG_ERROR } DiagLevel;

typedef enum DiagColor { DIAG_COLOR_AUTO, DIAG_COLOR_ALWAYS, DIAG_COLOR_NEVER } DiagColor;

typedef struct Diag {
  SrcMgr *sm;
  FILE *out;             /* stderr by default */
  bool color;
  bool werror;
  int max_errors;        /* 0 = unlimited */
  int nerrors, nwarnings;
  bool last_printed;     /* notes follow their diagnostic only if it was printed */
  const char **disabled_warnings; /* -Wno-NAME */
  int ndisabled;
  Span *warned;          /* where warnings were given: one a place (a layer in a loop) */
  int nwarned, capwarned;
} Diag;

void diag_init(Diag *d, SrcMgr *sm, FILE *out, DiagColor color);

/* CODE is a stable identifier like "E0101" with a row in base/diag_codes.def; may be NULL.
   Errors past max_errors are counted but not printed. */
void diag_error(Diag *d, Span sp, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A warning NAME (a FLAG of base/diag_codes.def; its code W0NNN and its -W flag are printed):
   dropped by -Wno-NAME, an error under -Werror. */
void diag_warning(Diag *d, Span sp, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The I-th warning's name (0-based), NULL past the last; whether NAME is one. */
const char *diag_warning_name(int i);
bool diag_warning_known(const char *name);

/* A row of the table of diagnostic codes, base/diag_codes.def. */
typedef struct DiagCode {
  const char *code;  /* "E0720", "W0701" */
  const char *flag;  /* a warning's -W name; NULL for an error */
  const char *title; /* one short line */
  const char *text;  /* what it means, the usual cause, the fix */
} DiagCode;
/* The row of CODE ("E0720"; the letter in either case), or NULL. */
const DiagCode *diag_code_find(const char *code);
/* Prints CODE's title and text to OUT, wrapped (slimc --explain); false if CODE has no row. */
bool diag_explain(FILE *out, const char *code);
/* A note printed even after a suppressed diagnostic (a summary at the end of a list). */
void diag_note_always(Diag *d, Span sp, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Levenshtein distance of A and B (for "did you mean"), capped at CAP. */
int diag_edit_distance(const char *a, const char *b, int cap);
/* The candidate nearest to WANT, or NULL if none is near enough to be a likely typo or
   scope change (distance at most a third of WANT's length, and at least 1 shorter than it). */
const char *diag_closest(const char *want, const char *const *cands, int n);
/* A note belongs to the diagnostic printed just before it. */
void diag_note(Diag *d, Span sp, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void diag_emit(Diag *d, DiagLevel lv, Span sp, const char *code, const char *fmt, va_list ap);

/* Span covering both A and B (same file assumed; A first). */
Span span_join(Span a, Span b);

#endif
