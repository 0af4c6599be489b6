/* slimc: the driver. Parses the command line (GCC/Clang conventions, CLI.md),
 * then runs the stages in a straight line:
 *   load -> parse -> evaluate (TF-Slim semantics) -> listings, or
 *   passes -> LLVM back end -> object / assembly / IR / executable.
 * Exit status: 0 success, 1 the model has errors, 2 usage or I/O error. */
#include <errno.h>
#include <sys/resource.h>
#include <time.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/arena.h"
#include "front/ast.h"
#include "llvm/backend.h"
#include "passes/passes.h"
#include "driver/ckpt_deps.h"
#include "driver/depfile.h"
#include "base/diag.h"
#include "base/stackguard.h"
#include "py/eval.h"
#include "front/parse.h"
#include "tf/tf.h"
#include "slimrt.h"
#include "../../runtime/src/fileio.h"
#include "../../runtime/src/rtio.h"

typedef struct Options {
  const char *input;
  const char *output;
  EmitKind emit;
  bool emit_set_c, emit_set_S, emit_llvm;
  const char *model;
  PtrVec defines, includes;
  int opt_level;
  const char *target, *cpu, *checkpoint;
  const char *api_prefix; /* --api-prefix, or NULL: the model name */
  bool restore_ema;
  bool md, mmd;
  const char *mf;
  PtrVec targets;   /* DepTarget*: -MT (as given) and -MQ (quoted), in order */
  bool syntax_only;
  bool show_commands; /* -v */
  bool print_variables, verbose, print_restore_map, print_signature, print_graph, print_memory_plan;
  const char *print_collection;
  bool dump_tokens, dump_ast, dump_eval, dump_graph, dump_fuse, dump_opt, dump_llvm;
  const char *dump_list;
  bool werror;
  PtrVec wno;
  DiagColor color;
  int64_t max_steps;
  size_t max_memory;
  bool time_report;
} Options;

static const char *const usage_text =
    "usage: slimc [options] FILE.slim\n"
    "  -o PATH              output path (default: model name, or FILE.o / FILE.s / FILE.ll)\n"
    "  -c                   emit an object file and a C header (PATH with .h)\n"
    "  -S                   emit assembly; with -emit-llvm / --emit-llvm: LLVM IR text\n"
    "  -m NAME              which model of the file (default: the only one)\n"
    "  -D NAME=VALUE        set a model's compile-time option\n"
    "  -I DIR               search path for load()\n"
    "  -O0 -O1 -O2 -O3      optimisation level (default -O2)\n"
    "  --target=TRIPLE      target triple (default: host); -mcpu=NAME (default generic; native)\n"
    "                       executables for another architecture link with its runtime\n"
    "                       (built for aarch64-linux-gnu) and its C compiler TRIPLE-gcc\n"
    "  -march=CPU           the same as -mcpu=CPU (as clang); -mtune=CPU is accepted and ignored\n"
    "  --checkpoint=PREFIX  embed the weights of this TensorFlow checkpoint\n"
    "  --restore-ema        restore model variables from their ExponentialMovingAverage shadows\n"
    "  --api-prefix=NAME    prefix of the C API's symbols and macros (default: the model name)\n"
    "  -MD, -MMD, -MF PATH, -MT/-MQ TARGET   write a make dependency file\n"
    "  -fsyntax-only        parse and evaluate, report errors, emit nothing\n"
    "  --print-variables [--verbose]  list the model's variables and exit\n"
    "  --print-collection=KEY  list a collection and exit (KEY *: every collection, KEY<TAB>ENTRY)\n"
    "  --print-restore-map  list checkpoint key -> variable and exit\n"
    "  --print-signature    list the model's inputs and outputs and exit\n"
    "  --print-graph        list the graph's ops and exit\n"
    "  --print-memory-plan  list the arena plan and its peak and exit\n"
    "  --dump=STAGE[,...]   print the IR after a stage: tokens, ast, eval, graph, fuse, opt, llvm\n"
    "  -Werror, -Wno-NAME   warnings\n"
    "  --explain=CODE       print what a diagnostic code (such as E0720) means and exit\n"
    "  -fdiagnostics-color=auto|always|never\n"
    "  -fmax-eval-steps=N, -fmax-eval-memory=MB   compile-time evaluation limits\n"
    "  -ftime-report        print the time and memory of each stage to stderr\n"
    "  -v                   print the version and each command run (the link) to stderr\n"
    "  -g, -fPIC, -fpic     accepted for build systems; the code is always position-independent\n"
    "                       and carries no debug information\n"
    "  --version, --help\n"
    "Compiles a TF-Slim model file into an executable, an object file with a C header, assembly\n"
    "or LLVM IR. Exit status: 0 success, 1 the model has errors, 2 usage or I/O error.\n";

static int usage_error(const char *fmt, const char *arg) {
  fprintf(stderr, "slimc: error: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\nslimc: run 'slimc --help' for the options\n");
  return 2;
}

static bool starts(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

/* Options that take a value either joined ("-ofoo", "--x=foo") or as the next argument. */
static const char *take_value(int argc, char **argv, int *i, const char *flag) {
  const char *a = argv[*i];
  size_t n = strlen(flag);
  if (a[n] == '=' && flag[1] == '-') return a + n + 1;
  if (a[n]) return flag[1] == '-' ? NULL : a + n;
  if (*i + 1 >= argc) return NULL;
  return argv[++*i];
}

static int parse_dump(Options *o, const char *list) {
  o->dump_list = list;
  char buf[256];
  snprintf(buf, sizeof buf, "%s", list);
  for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    if (!strcmp(t, "tokens")) o->dump_tokens = true;
    else if (!strcmp(t, "ast")) o->dump_ast = true;
    else if (!strcmp(t, "eval")) o->dump_eval = true;
    else if (!strcmp(t, "graph")) o->dump_graph = true;
    else if (!strcmp(t, "fuse")) o->dump_fuse = true;
    else if (!strcmp(t, "opt")) o->dump_opt = true;
    else if (!strcmp(t, "llvm")) o->dump_llvm = true;
    else return usage_error("unknown --dump stage '%s' (expected tokens, ast, eval, graph, fuse, opt, llvm)", t);
  }
  return 0;
}

static int parse_args(Arena *a, int argc, char **argv, Options *o) {
  o->opt_level = 2;
  o->color = DIAG_COLOR_AUTO;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    const char *v;
    if (arg[0] != '-' || !strcmp(arg, "-")) {
      if (o->input) return usage_error("more than one input file ('%s')", arg);
      o->input = arg;
    } else if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
      fputs(usage_text, stdout);
      exit(0);
    } else if (!strcmp(arg, "--explain") || starts(arg, "--explain=")) {
      if (!(v = take_value(argc, argv, &i, "--explain")) || !*v)
        return usage_error("%s needs a diagnostic code: --explain=E0720", "--explain");
      if (diag_explain(stdout, v)) exit(0);
      fprintf(stderr, "slimc: error: unknown diagnostic code '%s' (a code is E or W and four digits, as printed "
              "in brackets after a diagnostic: E0720, W0701)\n", v);
      exit(1);
    } else if (!strcmp(arg, "--version")) {
      printf("slimc %s (LLVM 19)\n", SLIMC_VERSION);
      exit(0);
    } else if (!strcmp(arg, "-c")) {
      o->emit_set_c = true;
    } else if (!strcmp(arg, "-S")) {
      o->emit_set_S = true;
    } else if (!strcmp(arg, "-emit-llvm") || !strcmp(arg, "--emit-llvm")) {
      o->emit_llvm = true;
    } else if (starts(arg, "-o")) {
      if (!(v = take_value(argc, argv, &i, "-o"))) return usage_error("%s needs a path", "-o");
      o->output = v;
    } else if (starts(arg, "-mcpu=") || starts(arg, "-march=")) {
      o->cpu = strchr(arg, '=') + 1;
      if (!*o->cpu) return usage_error("%s needs a CPU name (e.g. native)", arg);
    } else if (starts(arg, "-mtune=")) {
      /* GCC's tuning without a change of instruction set: the back end's own */
    } else if (starts(arg, "-m") && arg[2] &&
               (strchr(arg, '=') || !strcmp(arg, "-march") || !strcmp(arg, "-mcpu") || !strcmp(arg, "-mtune"))) {
      return usage_error("unknown target option '%s' (slimc takes -mcpu=CPU, -march=CPU, -mtune=CPU)", arg);
    } else if (starts(arg, "-m")) {
      if (!(v = take_value(argc, argv, &i, "-m"))) return usage_error("%s needs a model name", "-m");
      o->model = v;
    } else if (starts(arg, "-D")) {
      if (!(v = take_value(argc, argv, &i, "-D")) || !strchr(v, '='))
        return usage_error("%s needs NAME=VALUE", "-D");
      ptrvec_push(a, &o->defines, (void *)v);
    } else if (starts(arg, "-I")) {
      if (!(v = take_value(argc, argv, &i, "-I"))) return usage_error("%s needs a directory", "-I");
      ptrvec_push(a, &o->includes, (void *)v);
    } else if (!strcmp(arg, "-O0") || !strcmp(arg, "-O1") || !strcmp(arg, "-O2") || !strcmp(arg, "-O3")) {
      o->opt_level = arg[2] - '0';
    } else if (!strcmp(arg, "-O")) {
      o->opt_level = 2;
    } else if (starts(arg, "--target=")) {
      o->target = arg + 9;
    } else if (starts(arg, "--checkpoint=")) {
      o->checkpoint = arg + 13;
    } else if (!strcmp(arg, "--checkpoint")) {
      if (!(v = take_value(argc, argv, &i, "--checkpoint"))) return usage_error("%s needs a prefix", arg);
      o->checkpoint = v;
    } else if (starts(arg, "--api-prefix=")) {
      o->api_prefix = arg + 13;
    } else if (!strcmp(arg, "--api-prefix")) {
      return usage_error("%s needs a name: --api-prefix=NAME", arg);
    } else if (!strcmp(arg, "--restore-ema")) {
      o->restore_ema = true;
    } else if (!strcmp(arg, "-MD")) {
      o->md = true;
    } else if (!strcmp(arg, "-MMD")) {
      o->mmd = true;
    } else if (starts(arg, "-MF")) {
      if (!(v = take_value(argc, argv, &i, "-MF"))) return usage_error("%s needs a path", "-MF");
      o->mf = v;
    } else if (starts(arg, "-MT") || starts(arg, "-MQ")) {
      bool quote = arg[2] == 'Q';
      if (!(v = take_value(argc, argv, &i, quote ? "-MQ" : "-MT")))
        return usage_error("%s needs a target", quote ? "-MQ" : "-MT");
      DepTarget *t = arena_alloc(a, sizeof *t);
      t->name = v;
      t->quote = quote;
      ptrvec_push(a, &o->targets, t);
    } else if (!strcmp(arg, "-fsyntax-only")) {
      o->syntax_only = true;
    } else if (!strcmp(arg, "--print-variables")) {
      o->print_variables = true;
    } else if (!strcmp(arg, "--verbose")) {
      o->verbose = true;
    } else if (!strcmp(arg, "-v")) {
      o->show_commands = true;
    } else if (!strcmp(arg, "-g") || (arg[1] == 'g' && arg[2] >= '0' && arg[2] <= '3' && !arg[3]) ||
               !strcmp(arg, "-fPIC") || !strcmp(arg, "-fpic") || !strcmp(arg, "-fPIE") || !strcmp(arg, "-fpie")) {
      /* the object is always PIC; no debug information is emitted */
    } else if (starts(arg, "--print-collection=")) {
      o->print_collection = arg + 19;
    } else if (!strcmp(arg, "--print-restore-map")) {
      o->print_restore_map = true;
    } else if (!strcmp(arg, "--print-signature")) {
      o->print_signature = true;
    } else if (!strcmp(arg, "--print-graph")) {
      o->print_graph = true;
    } else if (!strcmp(arg, "--print-memory-plan")) {
      o->print_memory_plan = true;
    } else if (starts(arg, "--dump=")) {
      if (parse_dump(o, arg + 7)) return 2;
    } else if (!strcmp(arg, "-Werror")) {
      o->werror = true;
    } else if (starts(arg, "-Wno-") || (starts(arg, "-W") && diag_warning_known(arg + 2))) {
      const char *name = arg + (arg[2] == 'n' && arg[3] == 'o' && arg[4] == '-' ? 5 : 2);
      if (!diag_warning_known(name)) {
        char known[256] = "";
        for (int k = 0; diag_warning_name(k); k++)
          snprintf(known + strlen(known), sizeof known - strlen(known), "%s-W%s", k ? ", " : "", diag_warning_name(k));
        fprintf(stderr, "slimc: error: unknown warning option '%s' (the warnings: %s)\n", arg, known);
        return 2;
      }
      if (name != arg + 2) ptrvec_push(a, &o->wno, (void *)name);
      /* -WNAME: every warning is on by default */
    } else if (!strcmp(arg, "-Wall") || !strcmp(arg, "-Wextra")) {
      /* every warning is on by default */
    } else if (starts(arg, "-fdiagnostics-color")) {
      const char *c = arg[19] == '=' ? arg + 20 : "always";
      if (!strcmp(c, "auto")) o->color = DIAG_COLOR_AUTO;
      else if (!strcmp(c, "always")) o->color = DIAG_COLOR_ALWAYS;
      else if (!strcmp(c, "never")) o->color = DIAG_COLOR_NEVER;
      else return usage_error("-fdiagnostics-color takes auto, always or never, not '%s'", c);
    } else if (!strcmp(arg, "-ftime-report")) {
      o->time_report = true;
    } else if (!strcmp(arg, "-fno-diagnostics-color")) {
      o->color = DIAG_COLOR_NEVER;
    } else if (starts(arg, "-fmax-eval-steps=")) {
      char *end;
      long long n = strtoll(arg + 17, &end, 10);
      if (*end || n <= 0) return usage_error("-fmax-eval-steps needs a positive number, not '%s'", arg + 17);
      o->max_steps = n;
    } else if (starts(arg, "-fmax-eval-memory=")) {
      char *end;
      long long n = strtoll(arg + 18, &end, 10);
      if (*end || n <= 0) return usage_error("-fmax-eval-memory needs a size in MB, not '%s'", arg + 18);
      o->max_memory = (size_t)n << 20;
    } else {
      return usage_error("unknown option '%s'", arg);
    }
  }
  if (o->show_commands) fprintf(stderr, "slimc version %s (LLVM 19)\n", SLIMC_VERSION);
  if (!o->input && o->show_commands) exit(0); /* as 'gcc -v' */
  if (!o->input) return usage_error("%s", "no input file");
  if (o->emit_set_c && o->emit_set_S) return usage_error("%s", "-c and -S cannot be combined");
  o->emit = o->emit_set_c ? EMIT_OBJ : o->emit_set_S ? (o->emit_llvm ? EMIT_LLVM : EMIT_ASM)
                                                     : (o->emit_llvm ? EMIT_LLVM : EMIT_EXE);
  if (o->output && !strcmp(o->output, "-")) {
    /* "-o -" is standard output for the text outputs (and nothing to write with
       -fsyntax-only); an executable, or an object with its header, needs paths */
    if (!o->syntax_only && o->emit == EMIT_EXE)
      return usage_error("%s", "-o -: an executable cannot be written to standard output; give a path");
    if (!o->syntax_only && o->emit == EMIT_OBJ)
      return usage_error("%s", "-o -: -c writes an object and a header; give a path");
    if ((o->md || o->mmd) && !o->mf)
      return usage_error("%s", "-MD with -o -: give the dependency file's path with -MF");
  }
  return 0;
}

/* "dir/net.slim" -> "net" + SUFFIX, in the current directory as compilers do. */
static char *derived_path(Arena *a, const char *input, const char *suffix) {
  const char *base = strrchr(input, '/');
  base = base ? base + 1 : input;
  size_t n = strlen(base);
  if (n > 5 && !strcmp(base + n - 5, ".slim")) n -= 5;
  return arena_printf(a, "%.*s%s", (int)n, base, suffix);
}

/* The C identifier prefix of the C API: the model name with non-identifier
   characters replaced. */
static char *c_prefix(Arena *a, const char *name) {
  char *p = arena_strdup(a, name);
  for (char *c = p; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_'))
      *c = '_';
  if (p[0] >= '0' && p[0] <= '9') p = arena_printf(a, "m_%s", p);
  return p;
}

/* The architecture slimc itself runs on: a --target of this architecture links with the
   host's runtime and C compiler. */
#if defined(__x86_64__)
#define HOST_ARCH "x86_64"
#elif defined(__aarch64__)
#define HOST_ARCH "aarch64"
#else
#define HOST_ARCH ""
#endif

/* True if TRIPLE (NULL: the host) names another architecture than the host's. */
static bool is_cross(const char *triple) {
  if (!triple) return false;
  size_t n = strcspn(triple, "-");
  const char *arch = (n == 5 && !strncmp(triple, "amd64", 5)) ? "x86_64"
                     : (n == 5 && !strncmp(triple, "arm64", 5)) ? "aarch64" : NULL;
  return arch ? strcmp(arch, HOST_ARCH) != 0 : (strlen(HOST_ARCH) != n || strncmp(triple, HOST_ARCH, n));
}

/* The directory holding libslimrt.a: beside slimc in the build tree, or PREFIX/lib when
   installed; for another architecture's TRIPLE, targets/TRIPLE/ in the build tree or
   PREFIX/lib/slimc/targets/TRIPLE/ (cmake/CrossRuntime.cmake builds them). NULL if a
   cross runtime is missing. */
static const char *find_runtime_dir(Arena *a, const char *triple) {
  char self[4096];
  const char *sub = is_cross(triple) ? arena_printf(a, "targets/%s", triple) : NULL;
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = 0;
    char *slash = strrchr(self, '/');
    if (slash) *slash = 0;
    const char *cands[] = {sub ? arena_printf(a, "%s/%s", self, sub) : arena_printf(a, "%s", self),
                           sub ? arena_printf(a, "%s/../lib/slimc/%s", self, sub) : arena_printf(a, "%s/../lib", self)};
    for (int i = 0; i < 2; i++) {
      char *lib = arena_printf(a, "%s/libslimrt.a", cands[i]);
      if (access(lib, R_OK) == 0) return cands[i];
    }
  }
  if (!sub) return SLIMC_INSTALL_LIBDIR;
  const char *dir = arena_printf(a, "%s/slimc/%s", SLIMC_INSTALL_LIBDIR, sub);
  return access(arena_printf(a, "%s/libslimrt.a", dir), R_OK) == 0 ? dir : NULL;
}

static int select_model(Diag *d, Eval *ev, const Options *o, int file, const ModelDecl **out) {
  ModelDecl *models;
  int n = eval_models(ev, &models);
  if (o->model) {
    for (int i = 0; i < n; i++)
      if (!strcmp(models[i].name, o->model)) {
        *out = &models[i];
        return 0;
      }
    diag_error(d, (Span){file, 0, 0, 0, 0}, "E0900", "no model named '%s' in this file", o->model);
    for (int i = 0; i < n; i++) diag_note(d, models[i].def->span, "model '%s' is declared here", models[i].name);
    return -1;
  }
  if (n == 1) {
    *out = &models[0];
    return 0;
  }
  if (n == 0) {
    *out = NULL;
    return 0;
  }
  diag_error(d, (Span){file, 0, 0, 0, 0}, "E0902", "this file declares %d models: pick one with -m NAME", n);
  for (int i = 0; i < n; i++) diag_note(d, models[i].def->span, "model '%s' is declared here", models[i].name);
  return -1;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* -ftime-report: one line a stage, with the compilation arena's size after it. */
static void report_stage(const Options *o, Arena *a, const char *stage, double *t0) {
  if (!o->time_report) return;
  double t = now_ms();
  fprintf(stderr, "slimc: %-10s %9.3f ms   arena %8.2f MB\n", stage, t - *t0, a->used_total / 1048576.0);
  *t0 = t;
}

static bool wants_listing(const Options *o) {
  return o->print_variables || o->print_collection || o->print_restore_map || o->print_signature ||
         o->print_graph;
}

/* The dependency file's path: -MF, else -o's path with its suffix replaced by
   ".d", else the input's base name with ".d" (gcc's driver does the same). */
static const char *dep_path(Arena *a, const Options *o) {
  if (o->mf) return o->mf;
  if (!o->output) return derived_path(a, o->input, ".d");
  const char *dot = strrchr(o->output, '.'), *slash = strrchr(o->output, '/');
  size_t k = dot && (!slash || dot > slash) && dot[1] ? (size_t)(dot - o->output) : strlen(o->output);
  return arena_printf(a, "%.*s.d", (int)k, o->output);
}

/* Refuses an output that is an input or another output, before anything is written. */
static int check_clashes(Arena *a, const Options *o, Eval *ev, const char **outs, const char **what, int nout) {
  PtrVec ins = {0};
  ptrvec_push(a, &ins, (void *)o->input);
  const char **paths;
  int n = eval_loaded_files(ev, &paths);
  for (int i = 0; i < n; i++) ptrvec_push(a, &ins, (void *)paths[i]);
  if (o->checkpoint) {
    char err[256];
    slimrt_ckpt *ck = slimrt_ckpt_open(o->checkpoint, err, sizeof err); /* a bad one is reported later */
    for (int i = 0; ck && slimrt_ckpt_file(ck, i); i++)
      ptrvec_push(a, &ins, arena_strdup(a, slimrt_ckpt_file(ck, i)));
    slimrt_ckpt_close(ck);
  }
  for (int i = 0; i < nout; i++) {
    if (!strcmp(outs[i], "-")) continue;
    for (int j = 0; j < ins.n; j++)
      if (slimrt_file_same(outs[i], ins.items[j])) {
        fprintf(stderr, "slimc: error: the %s '%s' is the input file '%s': refusing to overwrite it\n", what[i],
                outs[i], (const char *)ins.items[j]);
        return 2;
      }
    for (int j = 0; j < i; j++)
      if (slimrt_file_same(outs[i], outs[j])) {
        fprintf(stderr, "slimc: error: the %s '%s' and the %s '%s' are the same file\n", what[j], outs[j], what[i],
                outs[i]);
        return 2;
      }
  }
  return 0;
}

/* Stages every output (the compiled file, -c's header, the dependency file),
   writes them, and commits them all or none (runtime/src/fileio.h). BO is NULL
   for -fsyntax-only, which writes only the dependency file. 0, 1 or 2. */
static int write_outputs(Arena *a, Options *o, Diag *d, Eval *ev, Graph *g, BackendOptions *bo) {
  const char *outs[3], *what[3];
  unsigned flags[3];
  int nout = 0, dep = -1;
  if (bo) {
    flags[nout] = bo->emit == EMIT_EXE ? SLIMRT_OUT_EXEC : SLIMRT_OUT_STDOUT;
    what[nout] = "output", outs[nout++] = bo->output;
    if (bo->header) flags[nout] = 0, what[nout] = "C header", outs[nout++] = bo->header;
  }
  if (o->md || o->mmd) {
    dep = nout;
    flags[nout] = 0, what[nout] = "dependency file", outs[nout++] = dep_path(a, o);
  }
  if (nout == 0) return 0;
  int rc = check_clashes(a, o, ev, outs, what, nout);
  if (rc) return rc;
  slimrt_out st[3];
  slimrt_out *all[3] = {0};
  char err[1024];
  for (int i = 0; i < nout; i++) {
    if (slimrt_out_begin(&st[i], outs[i], flags[i], err, sizeof err)) {
      fprintf(stderr, "slimc: error: %s\n", err);
      rc = 2;
      goto out;
    }
    all[i] = &st[i];
  }
  if (dep >= 0) {
    const char **paths;
    int n = eval_loaded_files(ev, &paths);
    if (o->checkpoint) { /* the weights too: retraining rebuilds (ckpt_deps.c) */
      PtrVec deps = {0};
      for (int i = 0; i < n; i++) ptrvec_push(a, &deps, (void *)paths[i]);
      ckpt_deps(a, o->checkpoint, &deps);
      paths = (const char **)deps.items, n = deps.n;
    }
    DepTarget dflt = {o->output ? o->output : bo ? bo->output : derived_path(a, o->input, ".o"), true};
    const DepTarget *ts = o->targets.n ? NULL : &dflt;
    DepTarget *list = NULL;
    if (o->targets.n) {
      list = arena_alloc(a, sizeof *list * (size_t)o->targets.n);
      for (int i = 0; i < o->targets.n; i++) list[i] = *(DepTarget *)o->targets.items[i];
      ts = list;
    }
    FILE *f = slimrt_out_stream(all[dep]);
    if (!f) {
      fprintf(stderr, "slimc: error: %s: out of memory\n", outs[dep]);
      rc = 2;
      goto out;
    }
    if (depfile_write(f, ts, o->targets.n ? o->targets.n : 1, o->input, paths, n, err, sizeof err)) {
      fprintf(stderr, "slimc: error: %s: %s\n", outs[dep], err);
      rc = 1;
      goto out;
    }
  }
  if (bo) {
    bo->out = all[0];
    bo->hdr = bo->header ? all[1] : NULL;
    int brc = backend_compile(g, d, bo);
    if (brc != 0 || d->nerrors) {
      rc = brc == 2 ? 2 : 1;
      goto out;
    }
  }
  if (slimrt_out_commit_all(all, nout, err, sizeof err)) {
    fprintf(stderr, "slimc: error: %s\n", err);
    return 2;
  }
  return 0;
out:
  for (int i = 0; i < nout; i++)
    if (all[i]) slimrt_out_abort(all[i]);
  return rc;
}

static int run(Arena *arena, Options *o) {
  SrcMgr sm;
  src_init(&sm, arena);
  Diag d;
  diag_init(&d, &sm, stderr, o->color);
  d.werror = o->werror;
  d.disabled_warnings = (const char **)o->wno.items;
  d.ndisabled = o->wno.n;
  if (o->api_prefix && backend_prefix_check(o->api_prefix, true, SPAN_NONE, &d) != 0) return 1;

  char rerr[512];
  int file = src_load(&sm, o->input, false, rerr, sizeof rerr);
  if (file < 0) {
    fprintf(stderr, "slimc: error: cannot read '%s': %s\n", o->input, rerr);
    return 2;
  }
  if (o->dump_tokens) {
    parse_dump_tokens(stdout, arena, &d, file);
    return d.nerrors ? 1 : 0;
  }
  if (o->dump_ast) {
    Ast *m = parse_file(arena, &d, file);
    if (d.nerrors) return 1;
    ast_dump(stdout, m);
    return 0;
  }

  EvalOptions eo = {0};
  eo.include_dirs = (const char **)o->includes.items;
  eo.ninclude = o->includes.n;
  eo.defines = (const char **)o->defines.items;
  eo.ndefines = o->defines.n;
  eo.max_steps = o->max_steps;
  eo.max_memory = o->max_memory;
  double t0 = now_ms();
  Eval *ev = eval_new(arena, &d, &sm, &eo);
  TfLib *tf = tf_install(ev);
  tf_set_restore_ema(tf, o->restore_ema);
  int rc = 0;
  const ModelDecl *model = NULL;
  if (eval_main_file(ev, file) != 0 || d.nerrors) {
    rc = 1;
    goto done;
  }
  if (select_model(&d, ev, o, file, &model) != 0) {
    rc = 1;
    goto done;
  }
  if (!model) {
    if (o->syntax_only) goto deps; /* a library file: evaluating it was the check */
    diag_error(&d, (Span){file, 0, 0, 0, 0}, "E0903", "no model declared in this file (expected 'model NAME(...):')");
    rc = 1;
    goto done;
  }
  if (eval_run_model(ev, model) != 0 || d.nerrors) {
    rc = 1;
    goto done;
  }
  report_stage(o, arena, "evaluate", &t0);
  Graph *g = tf_graph(tf);
  if (wants_listing(o)) {
    if (o->print_variables) tf_print_variables(tf, stdout, o->verbose);
    if (o->print_collection) tf_print_collection(tf, stdout, o->print_collection);
    if (o->print_restore_map) tf_print_restore_map(tf, stdout);
    if (o->print_signature) tf_print_signature(tf, stdout);
    if (o->print_graph) graph_print(stdout, g);
    goto done;
  }
  if (o->dump_eval) {
    tf_print_variables(tf, stdout, true);
    graph_print(stdout, g);
  }
  if (o->syntax_only) goto deps;

  BackendOptions bo = {0};
  bo.emit = o->emit;
  bo.opt_level = o->opt_level;
  bo.triple = o->target;
  bo.cpu = o->cpu;
  bo.checkpoint = o->checkpoint;
  bo.print_memory_plan = o->print_memory_plan;
  bo.prefix = o->api_prefix ? o->api_prefix : c_prefix(arena, model->name);
  if (!o->api_prefix && o->emit == EMIT_OBJ && backend_prefix_check(bo.prefix, false, model->def->span, &d) != 0) {
    rc = 1;
    goto done;
  }
  bo.runtime_dir = find_runtime_dir(arena, o->target);
  bo.cross = is_cross(o->target);
  /* another architecture links with its triple's C compiler (Debian's gcc-TRIPLE) */
  bo.cc = getenv("SLIMC_CC") ? getenv("SLIMC_CC") : bo.cross ? arena_printf(arena, "%s-gcc", o->target) : "cc";
  bo.show_commands = o->show_commands;
  bo.time_report = o->time_report;
  {
    char stages[64] = "";
    if (o->dump_graph) strcat(stages, "graph,");
    if (o->dump_fuse) strcat(stages, "fuse,");
    if (o->dump_opt) strcat(stages, "opt,");
    if (o->dump_llvm) strcat(stages, "llvm,");
    bo.dump = stages[0] ? arena_strdup(arena, stages) : NULL;
  }
  if (o->output) bo.output = o->output;
  else if (o->emit == EMIT_EXE) bo.output = arena_strdup(arena, model->name);
  else if (o->emit == EMIT_OBJ) bo.output = derived_path(arena, o->input, ".o");
  else if (o->emit == EMIT_ASM) bo.output = derived_path(arena, o->input, ".s");
  else bo.output = derived_path(arena, o->input, ".ll");
  if (o->emit == EMIT_OBJ) {
    const char *dot = strrchr(bo.output, '.'), *slash = strrchr(bo.output, '/');
    size_t n = dot && (!slash || dot > slash) ? (size_t)(dot - bo.output) : strlen(bo.output);
    bo.header = arena_printf(arena, "%.*s.h", (int)n, bo.output);
    if (backend_header_check(g, &d) != 0) {
      rc = 1;
      goto done;
    }
  }
  /* the passes lower a copy: the forward graph the evaluator built stays as it was */
  g = graph_clone(g);
  PassOptions po = backend_pass_options(&bo);
  if (passes_run(g, &d, &po) != 0 || d.nerrors) {
    rc = 1;
    goto done;
  }
  report_stage(o, arena, "passes", &t0);
  if (o->print_memory_plan) goto done;
  rc = write_outputs(arena, o, &d, ev, g, &bo);
  report_stage(o, arena, "backend", &t0);
  goto done;

deps:
  rc = write_outputs(arena, o, &d, ev, NULL, NULL);
done:
  /* listings and dumps: a full disk or a closed pipe is an I/O error, not success */
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "slimc: error: cannot write to standard output: %s\n", strerror(errno ? errno : EIO));
    if (!rc) rc = 2;
  }
  if (o->time_report) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    fprintf(stderr, "slimc: peak RSS %.1f MB\n", ru.ru_maxrss / 1024.0);
  }
  eval_free(ev);
  return rc ? rc : (d.nerrors ? 1 : 0);
}

typedef struct RunCtx { Arena *arena; Options *o; } RunCtx;

static int run_on_stack(void *p) {
  RunCtx *r = p;
  return run(r->arena, r->o);
}

int main(int argc, char **argv) {
  Arena arena;
  arena_init(&arena);
  Options o;
  memset(&o, 0, sizeof o);
  int rc = parse_args(&arena, argc, argv, &o);
  RunCtx r = {&arena, &o};
  if (rc == 0) rc = stack_run(run_on_stack, &r); /* deep but legal programs need a big stack */
  arena_free(&arena);
  return rc;
}
