/* Unit tests of the evaluator through its C interface (eval.h, value.h):
 * things the .slim cases cannot see — hooks, ExtType dispatch, eval_bind,
 * float repr, dict internals, and two evaluations in one process. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "py/eval.h"

typedef struct Ctx {
  Arena arena;
  SrcMgr sm;
  Diag d;
  char *out;
  size_t outlen;
  FILE *fp;
  Eval *ev;
} Ctx;

static void ctx_init(Ctx *c, const EvalOptions *opt) {
  memset(c, 0, sizeof *c);
  arena_init(&c->arena);
  src_init(&c->sm, &c->arena);
  c->fp = open_memstream(&c->out, &c->outlen);
  diag_init(&c->d, &c->sm, c->fp, DIAG_COLOR_NEVER);
  c->ev = eval_new(&c->arena, &c->d, &c->sm, opt);
}

static int ctx_run(Ctx *c, const char *src) {
  int idx = src_add(&c->sm, "t.slim", src, strlen(src));
  int r = eval_main_file(c->ev, idx);
  fflush(c->fp);
  return r;
}

static void ctx_fini(Ctx *c) {
  eval_free(c->ev);
  fclose(c->fp);
  free(c->out);
  arena_free(&c->arena);
}

Test(eval, runs_a_module) {
  Ctx c;
  ctx_init(&c, NULL);
  cr_assert_eq(ctx_run(&c, "x = [i * i for i in range(4)]\nassert x == [0, 1, 4, 9]\n"), 0, "%s", c.out);
  ctx_fini(&c);
}

Test(eval, error_has_location_code_and_chain) {
  Ctx c;
  ctx_init(&c, NULL);
  cr_assert_neq(ctx_run(&c, "def f(a):\n    return a + 'x'\nf(1)\n"), 0);
  cr_assert(strstr(c.out, "t.slim:2:12: error: unsupported operand type(s) for +: 'int' and 'str' [E0302]"), "%s", c.out);
  cr_assert(strstr(c.out, "t.slim:3:1: note: in call to 'f'"), "%s", c.out);
  cr_assert_eq(c.d.nerrors, 1);
  ctx_fini(&c);
}

Test(eval, two_evaluations_do_not_interfere) {
  Ctx a, b;
  ctx_init(&a, NULL);
  ctx_init(&b, NULL);
  cr_assert_eq(ctx_run(&a, "X = 1\n"), 0);
  cr_assert_neq(ctx_run(&b, "y = X\n"), 0); /* X belongs to the other compilation */
  cr_assert(strstr(b.out, "name 'X' is not defined"), "%s", b.out);
  ctx_fini(&a);
  ctx_fini(&b);
}

Test(eval, step_limit) {
  EvalOptions o = {.max_steps = 500};
  Ctx c;
  ctx_init(&c, &o);
  cr_assert_neq(ctx_run(&c, "for i in range(100000):\n    pass\n"), 0);
  cr_assert(strstr(c.out, "evaluation exceeded 500 steps (raise with -fmax-eval-steps=N)"), "%s", c.out);
  ctx_fini(&c);
}

Test(eval, recursion_limit_option) {
  EvalOptions o = {.max_depth = 50};
  Ctx c;
  ctx_init(&c, &o);
  cr_assert_neq(ctx_run(&c, "def f(n):\n    return f(n + 1)\nf(0)\n"), 0);
  cr_assert(strstr(c.out, "maximum recursion depth exceeded [E0312]"), "%s", c.out);
  cr_assert(strstr(c.out, "note: the call depth limit is 50 (calling 'f')"), "%s", c.out);
  ctx_fini(&c);
}

Test(eval, memory_limit) {
  EvalOptions o = {.max_memory = 1 << 20};
  Ctx c;
  ctx_init(&c, &o);
  cr_assert_neq(ctx_run(&c, "x = [0] * 10000000\n"), 0);
  cr_assert(strstr(c.out, "memory limit"), "%s", c.out);
  ctx_fini(&c);
}

/* ---- float repr ---- */

struct FloatCase { double f; const char *repr; };

Test(value, float_repr_is_pythons) {
  static const struct FloatCase cases[] = {
    {0.1, "'0.1'"}, {1.0, "'1.0'"}, {1e-05, "'1e-05'"}, {0.0001, "'0.0001'"}, {1e16, "'1e+16'"},
    {1e15, "'1000000000000000.0'"}, {-2.5, "'-2.5'"}, {1.0 / 3, "'0.3333333333333333'"},
    {123.456, "'123.456'"}, {5e-324, "'5e-324'"}, {1.7976931348623157e308, "'1.7976931348623157e+308'"},
  };
  Ctx c;
  ctx_init(&c, NULL);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *s = val_repr(c.ev, val_str(c.ev, val_str_of(c.ev, val_float(c.ev, cases[i].f))));
    cr_expect_str_eq(s, cases[i].repr, "repr of %.17g", cases[i].f);
  }
  ctx_fini(&c);
}

Test(value, dict_order_delete_and_reinsert) {
  Ctx c;
  ctx_init(&c, NULL);
  Eval *ev = c.ev;
  Dict *d = val_dict(ev)->u.dict;
  for (int i = 0; i < 100; i++) dict_set(ev, d, val_int(ev, i * 7919 % 101), val_int(ev, i));
  cr_assert_eq(dict_len(d), 100);
  cr_assert(dict_del(d, val_int(ev, 0)));
  cr_assert(!dict_del(d, val_int(ev, 0)));
  dict_set(ev, d, val_float(ev, 0.0), val_str(ev, "back")); /* 0.0 == 0: same key */
  Value *k, *v;
  int it = 0, n = 0;
  Value *last = NULL;
  while (dict_next(d, &it, &k, &v)) { n++; last = k; }
  cr_assert_eq(n, 100);
  cr_assert_eq(last->kind, V_FLOAT, "re-inserted key goes last");
  cr_assert_str_eq(dict_get(d, val_int(ev, 0))->u.str.s, "back");
  ctx_fini(&c);
}

Test(value, equality_across_kinds) {
  Ctx c;
  ctx_init(&c, NULL);
  Eval *ev = c.ev;
  cr_assert(val_equal(val_int(ev, 1), val_bool(ev, true)));
  cr_assert(val_equal(val_int(ev, 2), val_float(ev, 2.0)));
  cr_assert(!val_equal(val_str(ev, "1"), val_int(ev, 1)));
  cr_assert(!val_equal(val_list(ev, 0), val_tuple(ev, 0)));
  cr_assert(!val_equal(val_float(ev, NAN), val_float(ev, NAN)));
  cr_assert_str_eq(val_type_name(val_none(ev)), "NoneType");
  ctx_fini(&c);
}

/* ---- eval_bind ---- */

Test(eval, bind_maps_keywords_and_extras) {
  Ctx c;
  ctx_init(&c, NULL);
  Eval *ev = c.ev;
  static const char *const params[] = {"inputs", "num_outputs", "*args", "**kwargs", NULL};
  Value *pos[] = {val_int(ev, 1), val_int(ev, 2), val_int(ev, 3)};
  const char *kw[] = {"scope"};
  Value *kwv[] = {val_str(ev, "fc")};
  Args a = {.pos = pos, .npos = 3, .kw = kw, .kwv = kwv, .nkw = 1};
  Value *out[4] = {0};
  cr_assert_eq(eval_bind(ev, "fully_connected", params, &a, out), 0);
  cr_assert_eq(out[0]->u.i, 1);
  cr_assert_eq(out[1]->u.i, 2);
  cr_assert_eq(out[2]->kind, V_TUPLE);
  cr_assert_eq(out[2]->u.list.n, 1);
  cr_assert_str_eq(dict_get_str(out[3]->u.dict, "scope")->u.str.s, "fc");
  ctx_fini(&c);
}

Test(eval, bind_rejects_unknown_keyword_with_suggestion) {
  Ctx c;
  ctx_init(&c, NULL);
  Eval *ev = c.ev;
  static const char *const params[] = {"inputs", "kernel_size", NULL};
  const char *kw[] = {"kernel_sise"};
  Value *kwv[] = {val_int(ev, 3)};
  Args a = {.kw = kw, .kwv = kwv, .nkw = 1, .call_span = SPAN_NONE};
  Value *out[2] = {0};
  cr_assert_eq(eval_bind(ev, "conv2d", params, &a, out), -1);
  cr_assert(eval_has_error(ev));
  ctx_fini(&c);
}

/* ---- hooks and ext values ---- */

typedef struct Rec { int begins, inputs, ends; char dtype[16]; int ndims; Value *result; } Rec;

static int refuse_truth(Eval *ev, Value *self, Span sp) {
  eval_error(ev, sp, "E0317", "using a Tensor as a Python bool is not allowed");
  return -1;
}
static Value *fake_binop(Eval *ev, AstOp op, Value *l, Value *r, Span sp) { return l->kind == V_EXT ? l : r; }
static const ExtType fake_tensor = {.name = "Tensor", .truthy = refuse_truth, .binop = fake_binop};

static int h_begin(Eval *ev, const char *name, Span sp) {
  ((Rec *)eval_hooks_ud(ev))->begins++;
  return 0;
}
static Value *h_input(Eval *ev, const char *name, const char *dtype, const int64_t *dims, int ndims, Span sp) {
  Rec *r = eval_hooks_ud(ev);
  r->inputs++;
  snprintf(r->dtype, sizeof r->dtype, "%s", dtype);
  r->ndims = ndims;
  return val_ext(ev, &fake_tensor, r);
}
static int h_end(Eval *ev, Value *result, Span sp) {
  Rec *r = eval_hooks_ud(ev);
  r->ends++;
  r->result = result;
  return 0;
}

Test(eval, model_hooks_and_defines) {
  const char *defs[] = {"depth=8"};
  EvalOptions o = {.defines = defs, .ndefines = 1};
  Ctx c;
  ctx_init(&c, &o);
  Rec rec = {0};
  EvalHooks h = {.ud = &rec, .model_begin = h_begin, .model_input = h_input, .model_end = h_end};
  eval_set_hooks(c.ev, &h);
  cr_assert_eq(ctx_run(&c, "model m(x: f32[?, 4], depth=2):\n    assert depth == 8\n    return x * 2 + 1\n"), 0,
               "%s", c.out);
  ModelDecl *ms;
  cr_assert_eq(eval_models(c.ev, &ms), 1);
  cr_assert_str_eq(ms[0].name, "m");
  cr_assert_eq(eval_run_model(c.ev, &ms[0]), 0, "%s", c.out);
  cr_assert_eq(rec.begins, 1);
  cr_assert_eq(rec.inputs, 1);
  cr_assert_eq(rec.ends, 1);
  cr_assert_str_eq(rec.dtype, "f32");
  cr_assert_eq(rec.ndims, 2);
  cr_assert(val_is_ext(rec.result, &fake_tensor));
  ctx_fini(&c);
}

Test(eval, tensor_as_bool_is_an_error) {
  Ctx c;
  ctx_init(&c, NULL);
  Rec rec = {0};
  EvalHooks h = {.ud = &rec, .model_input = h_input};
  eval_set_hooks(c.ev, &h);
  cr_assert_eq(ctx_run(&c, "model m(x: f32[1]):\n    if x:\n        pass\n    return x\n"), 0);
  ModelDecl *ms;
  eval_models(c.ev, &ms);
  cr_assert_neq(eval_run_model(c.ev, &ms[0]), 0);
  cr_assert(strstr(c.out, "t.slim:2:8: error: using a Tensor as a Python bool is not allowed [E0317]"), "%s", c.out);
  ctx_fini(&c);
}

Test(eval, unknown_define_is_an_error) {
  const char *defs[] = {"dpth=8"};
  EvalOptions o = {.defines = defs, .ndefines = 1};
  Ctx c;
  ctx_init(&c, &o);
  cr_assert_eq(ctx_run(&c, "model m(x: f32[1], depth=2):\n    return x\n"), 0);
  ModelDecl *ms;
  eval_models(c.ev, &ms);
  cr_assert_neq(eval_run_model(c.ev, &ms[0]), 0);
  cr_assert(strstr(c.out, "-D dpth: model 'm' has no parameter 'dpth'; did you mean 'depth'?"), "%s", c.out);
  ctx_fini(&c);
}

Test(eval, registered_module_and_global) {
  Ctx c;
  ctx_init(&c, NULL);
  Value *ns = val_namespace(c.ev, "tensorflow");
  ns_set(c.ev, ns, "float32", val_str(c.ev, "float32"));
  eval_register_module(c.ev, "tensorflow", ns);
  eval_set_global(c.ev, "MAGIC", val_int(c.ev, 42));
  cr_assert_eq(ctx_run(&c, "import tensorflow as tf\nassert tf.float32 == 'float32'\nassert MAGIC == 42\n"), 0,
               "%s", c.out);
  ctx_fini(&c);
}
