/* The C header of `slimc -c`: self-contained C99 declaring PREFIX_new/run/free, the
 * input/output shapes as macros, and options, checked runs and introspection
 * (docs/c-api.md); the checks of its names and of the prefix. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "llvm/cg_internal.h"
#include "slimrt.h"

static const char *c_type(int dtype) {
  switch (dtype) {
  case SLIMRT_F32: return "float";
  case SLIMRT_F64: return "double";
  case SLIMRT_I32: return "int32_t";
  case SLIMRT_I64: return "int64_t";
  case SLIMRT_U8: return "uint8_t";
  case SLIMRT_I8: return "int8_t";
  case SLIMRT_I16: return "int16_t";
  case SLIMRT_U16: case SLIMRT_F16: case SLIMRT_BF16: return "uint16_t"; /* raw 16-bit floats */
  case SLIMRT_U32: return "uint32_t";
  case SLIMRT_U64: return "uint64_t";
  case SLIMRT_BOOL: return "bool";
  default: return "void";
  }
}

static void upper(FILE *f, const char *s) {
  for (; *s; s++) fputc(isalnum((unsigned char)*s) ? toupper((unsigned char)*s) : '_', f);
}

static void ident(FILE *f, const char *s) {
  for (; *s; s++) fputc(isalnum((unsigned char)*s) ? *s : '_', f);
}

/* N's shape as the caller sees it: a batched dimension 0 is -1 ('?'). */
static GShape api_shape(const GNode *n) {
  GShape s = n->shape;
  if (n->batch_mult) s.dims[0] = -1;
  return s;
}

/* _SHAPE has -1 for a '?' batch; _SIZE then counts the elements of one batch item. */
static void shape_macros(FILE *f, const char *prefix, const char *name, const GNode *n) {
  GShape sh = api_shape(n), one = n->shape;
  const GShape *s = &sh;
  fputs("#define ", f); upper(f, prefix); fputc('_', f); upper(f, name); fputs("_SHAPE {", f);
  for (int i = 0; i < s->rank; i++) fprintf(f, "%s%lld", i ? ", " : "", (long long)s->dims[i]);
  fputs("}\n#define ", f); upper(f, prefix); fputc('_', f); upper(f, name);
  fprintf(f, "_RANK %d\n#define ", s->rank);
  upper(f, prefix); fputc('_', f); upper(f, name);
  fprintf(f, "_SIZE %lld\n", (long long)gshape_count(&one));
}

static void param(FILE *f, const char *name, const GNode *n, bool is_const) {
  char buf[160];
  GShape sh = api_shape(n);
  const GShape *s = &sh;
  fprintf(f, ",\n    %s%s *", is_const ? "const " : "", c_type(s->dtype));
  ident(f, name);
  fprintf(f, " /* %s */", gshape_str(s, buf, sizeof buf));
}

/* A macro PREFIX_NAME VALUE. */
static void define(FILE *f, const char *prefix, const char *name, long long value) {
  fputs("#define ", f);
  upper(f, prefix);
  fprintf(f, "_%s %lld\n", name, value);
}

/* Options, checked runs and introspection (runtime/src/capi.c; docs/c-api.md): the layouts are
   slimrt_options, slimrt_tensor and slimrt_io_info's. Only suffixes that no input's or output's
   _SHAPE/_RANK/_SIZE macro can end in. */
static void header_ex(FILE *f, const Graph *g, const char *prefix) {
  static const struct { const char *name; int dtype; } dts[] = {
      {"FLOAT32", SLIMRT_F32}, {"FLOAT64", SLIMRT_F64}, {"INT8", SLIMRT_I8},     {"INT16", SLIMRT_I16},
      {"INT32", SLIMRT_I32},   {"INT64", SLIMRT_I64},   {"UINT8", SLIMRT_U8},    {"UINT16", SLIMRT_U16},
      {"UINT32", SLIMRT_U32},  {"UINT64", SLIMRT_U64},  {"BOOL", SLIMRT_BOOL},   {"FLOAT16", SLIMRT_F16},
      {"BFLOAT16", SLIMRT_BF16},
  };
  static const struct { const char *name; int value; } errs[] = {
      {"OK", SLIMRT_API_OK},       {"ERR_ARGUMENT", SLIMRT_API_ERR_ARGUMENT}, {"ERR_COUNT", SLIMRT_API_ERR_COUNT},
      {"ERR_DTYPE", SLIMRT_API_ERR_DTYPE}, {"ERR_DIMS", SLIMRT_API_ERR_DIMS},  {"ERR_BATCH", SLIMRT_API_ERR_BATCH},
  };
  const char *p = prefix;
  fputs("/* ---- options, checked runs, introspection ---- */\n", f);
  define(f, p, "NUM_INPUTS", g->inputs.n);
  define(f, p, "NUM_OUTPUTS", g->noutputs);
  fputs("/* dtypes: TensorFlow's DataType numbers */\n", f);
  for (size_t i = 0; i < sizeof dts / sizeof *dts; i++) define(f, p, arena_printf(g->arena, "DT_%s", dts[i].name),
                                                               dts[i].dtype);
  fputs("/* results of _run_tensors */\n", f);
  for (size_t i = 0; i < sizeof errs / sizeof *errs; i++) define(f, p, errs[i].name, errs[i].value);
  fprintf(f, "\n/* Zero-initialised or set by %s_options_init: one thread per core, weights embedded\n"
             "   (else from checkpoint, or random_init's initializers seeded with seed). */\n", p);
  fprintf(f, "typedef struct %s_options {\n"
             "  int threads;            /* 0: one per core; 1 to 4096 */\n"
             "  int random_init;        /* nonzero: variables from their initializers, seeded */\n"
             "  uint64_t seed;          /* below 2^63 */\n"
             "  const char *checkpoint; /* a checkpoint prefix or directory; NULL: embedded weights */\n"
             "} %s_options;\n", p, p);
  fprintf(f, "void %s_options_init(%s_options *o);\n", p, p);
  fputs("/* As _new with options (NULL: the defaults). NULL on failure, with a message in err. */\n", f);
  fprintf(f, "%s *%s_new_ex(const %s_options *o, char *err, size_t err_len);\n\n", p, p, p);
  fputs("/* A tensor with its description; an input's data is never written. */\n", f);
  fprintf(f, "typedef struct %s_tensor {\n"
             "  int dtype;            /* _DT_... */\n"
             "  int rank;\n"
             "  const int64_t *dims;  /* rank dimensions; a '?' batch: this run's batch */\n"
             "  void *data;\n"
             "} %s_tensor;\n", p, p);
  fputs("/* Checks every tensor's dtype and shape against the model's (a '?' batch is taken from\n"
        "   dimension 0 and must agree across tensors), then runs. _OK, or an _ERR_ code with a\n"
        "   message in err (if not NULL) and nothing written. */\n", f);
  fprintf(f, "int %s_run_tensors(%s *m, const %s_tensor *inputs, size_t ninputs,\n"
             "    const %s_tensor *outputs, size_t noutputs, char *err, size_t err_len);\n\n", p, p, p, p);
  fputs("/* An input's or output's description; the strings and shape live as long as the program. */\n", f);
  fprintf(f, "typedef struct %s_io_info {\n"
             "  const char *name;\n"
             "  int dtype;              /* _DT_... */\n"
             "  int rank;\n"
             "  const int64_t *shape;   /* rank dimensions, -1 for a '?' batch */\n"
             "  const char *dtype_name; /* TensorFlow's name: \"float32\", ... */\n"
             "} %s_io_info;\n", p, p);
  fprintf(f, "int %s_num_inputs(void);\nint %s_num_outputs(void);\n", p, p);
  fputs("/* 0, or -1 if i is out of range. */\n", f);
  fprintf(f, "int %s_input_info(int i, %s_io_info *info);\nint %s_output_info(int i, %s_io_info *info);\n\n", p, p,
          p, p);
}

int cg_header_write(FILE *f, const Graph *g, const char *prefix) {
  fprintf(f, "/* Generated by slimc from model '%s'. Do not edit.\n", g->model_name);
  fprintf(f, " * Link with the runtime: cc app.c model.o -lslimrt -lm -lpthread\n");
  fprintf(f, " * Reentrant: no global state; each instance is used from one thread at a time, and\n"
             " * separate instances may run concurrently. */\n");
  fputs("#ifndef ", f); upper(f, prefix); fputs("_H\n#define ", f); upper(f, prefix); fputs("_H\n", f);
  fputs("#include <stdbool.h>\n#include <stddef.h>\n#include <stdint.h>\n\n", f);
  fputs("#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n", f);
  for (int i = 0; i < g->inputs.n; i++) {
    const GNode *n = g->inputs.items[i];
    shape_macros(f, prefix, n->name, n);
  }
  for (int k = 0; k < g->noutputs; k++) shape_macros(f, prefix, g->outputs[k].name, g->outputs[k].node);
  fprintf(f, "\ntypedef struct %s %s;\n\n", prefix, prefix);
  fputs("/* Loads the weights: a checkpoint prefix, or NULL for weights embedded at compile\n"
        "   time. NULL on failure, with a message in err (if not NULL). */\n", f);
  fprintf(f, "%s *%s_new(const char *checkpoint, char *err, size_t err_len);\n", prefix, prefix);
  fputs(g->dyn_batch ? "/* Runs the model on a batch of 1 ('?' is 1): inputs, then outputs (caller-allocated).\n"
                       "   0 on success. */\n"
                     : "/* Runs the model: inputs, then outputs (caller-allocated). 0 on success. */\n", f);
  for (int batch = 0; batch <= (int)g->dyn_batch; batch++) {
    if (batch) {
      fputs(";\n/* Runs the model on a batch of n items ('?' is n; _SIZE counts one item): inputs, then\n"
            "   outputs (caller-allocated), each item as a batch-1 run would give it. 0 on success; -1 if\n"
            "   n < 1 or a batched tensor of n items would exceed 16 GiB, with a message in err (if not NULL). */\n",
            f);
      fprintf(f, "int %s_run_batch(%s *m, int64_t n", prefix, prefix);
    } else {
      fprintf(f, "int %s_run(%s *m", prefix, prefix);
    }
    for (int i = 0; i < g->inputs.n; i++) {
      const GNode *n = g->inputs.items[i];
      param(f, n->name, n, true);
    }
    for (int k = 0; k < g->noutputs; k++) param(f, g->outputs[k].name, g->outputs[k].node, false);
    if (batch) fputs(",\n    char *err, size_t err_len", f);
    fputs(")", f);
  }
  fprintf(f, ";\nvoid %s_free(%s *m);\n\n", prefix, prefix);
  header_ex(f, g, prefix);
  fputs("#ifdef __cplusplus\n}\n#endif\n#endif\n", f);
  return ferror(f) ? -1 : 0;
}

/* ---- checking the names before anything is written ---- */

static const char *const c_reserved[] = {
    /* C11 and C23 keywords */
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern",
    "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short", "signed",
    "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while",
    "_Alignas", "_Alignof", "_Atomic", "_Bool", "_Complex", "_Generic", "_Imaginary", "_Noreturn",
    "_Static_assert", "_Thread_local", "alignas", "alignof", "bool", "constexpr", "false", "nullptr",
    "static_assert", "thread_local", "true", "typeof", "typeof_unqual", "_BitInt", "_Decimal32", "_Decimal64",
    "_Decimal128",
    /* C++ keywords (the header is included from C++ through extern "C") */
    "and", "and_eq", "asm", "bitand", "bitor", "catch", "char8_t", "char16_t", "char32_t", "class", "compl",
    "concept", "consteval", "constinit", "const_cast", "co_await", "co_return", "co_yield", "decltype", "delete",
    "dynamic_cast", "explicit", "export", "friend", "mutable", "namespace", "new", "noexcept", "not", "not_eq",
    "operator", "or", "or_eq", "private", "protected", "public", "reinterpret_cast", "requires", "static_cast",
    "template", "this", "throw", "try", "typeid", "typename", "using", "virtual", "wchar_t", "xor", "xor_eq",
    /* what the header itself declares: the handle parameter */
    "m",
};

typedef struct HName {
  const char *kind, *name; /* "input"/"output", the graph's name */
  char *c, *upper;         /* the parameter and the macro spelling */
  Span span;
} HName;

static char *spell(const char *s, bool up) {
  char *r = malloc(strlen(s) + 1), *p = r;
  if (!r) return NULL;
  for (; *s; s++)
    *p++ = isalnum((unsigned char)*s) ? (up ? (char)toupper((unsigned char)*s) : *s) : '_';
  *p = 0;
  return r;
}

int backend_header_check(const Graph *g, Diag *d) {
  int n = g->inputs.n + g->noutputs, rc = 0;
  HName *h = calloc((size_t)n + 1, sizeof *h);
  if (!h) {
    diag_error(d, SPAN_NONE, "E0918", "out of memory checking the C header's names");
    return -1;
  }
  for (int i = 0; i < n; i++) {
    bool in = i < g->inputs.n;
    const GNode *nd = in ? g->inputs.items[i] : g->outputs[i - g->inputs.n].node;
    h[i].kind = in ? "input" : "output";
    h[i].name = in ? nd->name : g->outputs[i - g->inputs.n].name;
    h[i].span = nd->span;
    h[i].c = spell(h[i].name, false);
    h[i].upper = spell(h[i].name, true);
  }
  bool dyn = g->dyn_batch; /* a '?' batch (before the passes: an input's unknown dimension 0) */
  for (int i = 0; i < g->inputs.n; i++) {
    const GNode *in = g->inputs.items[i];
    dyn |= in->batch_mult || (in->shape.rank >= 1 && in->shape.dims[0] < 0);
  }
  for (int i = 0; i < n && rc == 0; i++) {
    if (!h[i].c || !h[i].upper) {
      diag_error(d, SPAN_NONE, "E0918", "out of memory checking the C header's names");
      rc = -1;
      break;
    }
    if (!h[i].c[0] || isdigit((unsigned char)h[i].c[0])) {
      diag_error(d, h[i].span, "E0909", "%s '%s' cannot name a parameter of the C header: %s", h[i].kind,
                 h[i].name, h[i].c[0] ? "it starts with a digit" : "it is empty");
      rc = -1;
    }
    for (size_t k = 0; rc == 0 && k < sizeof c_reserved / sizeof *c_reserved; k++)
      if (!strcmp(h[i].c, c_reserved[k])) {
        diag_error(d, h[i].span, "E0909", "%s '%s' cannot name a parameter of the C header: '%s' is a %s",
                   h[i].kind, h[i].name, h[i].c,
                   !strcmp(h[i].c, "m") ? "name the header already uses (the model handle)" : "C or C++ keyword");
        rc = -1;
      }
    static const char *const batch_params[] = {"n", "err", "err_len"}; /* PREFIX_run_batch's own */
    for (size_t k = 0; rc == 0 && dyn && k < sizeof batch_params / sizeof *batch_params; k++)
      if (!strcmp(h[i].c, batch_params[k])) {
        diag_error(d, h[i].span, "E0909", "%s '%s' cannot name a parameter of the C header: '%s' is a name the "
                   "header already uses (a parameter of the '?' batch's _run_batch)", h[i].kind, h[i].name, h[i].c);
        rc = -1;
      }
    for (int j = 0; rc == 0 && j < i; j++) {
      bool same_c = !strcmp(h[i].c, h[j].c);
      if (same_c || !strcmp(h[i].upper, h[j].upper)) {
        diag_error(d, h[i].span, "E0909", "%s '%s' and %s '%s' both become '%s' in the C header", h[j].kind,
                   h[j].name, h[i].kind, h[i].name, same_c ? h[i].c : h[i].upper);
        diag_note(d, h[j].span, "%s '%s' is declared here", h[j].kind, h[j].name);
        rc = -1;
      }
    }
  }
  for (int i = 0; i < n; i++) free(h[i].c), free(h[i].upper);
  free(h);
  return rc;
}

/* The C API's prefix: an identifier starting with a letter (a leading '_' would make the macros
   reserved names), no C/C++ keyword, outside the runtime's slimrt namespace. */
int backend_prefix_check(const char *prefix, bool given, Span span, Diag *d) {
  char why[160] = "";
  if (!prefix[0]) snprintf(why, sizeof why, "it is empty");
  else if (prefix[0] == '_')
    snprintf(why, sizeof why, "it starts with '_' (its macros would be names C reserves); start with a letter");
  else if (!isalpha((unsigned char)prefix[0]) || (unsigned char)prefix[0] >= 0x80)
    snprintf(why, sizeof why, "it does not start with a letter");
  for (const char *c = prefix; !why[0] && *c; c++)
    if (!(isalnum((unsigned char)*c) || *c == '_') || (unsigned char)*c >= 0x80)
      snprintf(why, sizeof why, "a C identifier has only letters, digits and '_', not '%c'", *c);
  for (size_t k = 0; !why[0] && k + 1 < sizeof c_reserved / sizeof *c_reserved; k++) /* all but the handle 'm' */
    if (!strcmp(prefix, c_reserved[k])) snprintf(why, sizeof why, "it is a C or C++ keyword");
  if (!why[0] && !strncmp(prefix, "slimrt", 6))
    snprintf(why, sizeof why, "names starting with 'slimrt' belong to the runtime library");
  if (!why[0]) return 0;
  if (given) diag_error(d, span, "E0940", "--api-prefix=%s cannot prefix the C API: %s", prefix, why);
  else
    diag_error(d, span, "E0940", "the model name '%s' cannot prefix the C API: %s; give one with --api-prefix=NAME",
               prefix, why);
  return -1;
}
