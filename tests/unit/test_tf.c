/* Unit tests of the TF-Slim library (compiler/tf_*.c): each test compiles a small model
   in-process and checks the listings or diagnostics. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "py/eval.h"
#include "tf/tf.h"

typedef struct Result { int rc; char *out; char *err; } Result;

/* Compiles SRC (one model) and prints what LISTING asks for: 'v' variables, 'r' restore
   map, 's' signature, or a collection key. */
static Result compile(const char *src, const char *listing, bool restore_ema) {
  Result r = {0};
  size_t on = 0, en = 0;
  FILE *out = open_memstream(&r.out, &on), *err = open_memstream(&r.err, &en);
  Arena arena;
  arena_init(&arena);
  SrcMgr sm;
  src_init(&sm, &arena);
  Diag d;
  diag_init(&d, &sm, err, DIAG_COLOR_NEVER);
  int file = src_add(&sm, "t.slim", src, strlen(src));
  EvalOptions eo = {0};
  Eval *ev = eval_new(&arena, &d, &sm, &eo);
  TfLib *t = tf_install(ev);
  tf_set_restore_ema(t, restore_ema);
  ModelDecl *models = NULL;
  r.rc = 1;
  if (eval_main_file(ev, file) == 0 && !d.nerrors && eval_models(ev, &models) == 1 &&
      eval_run_model(ev, &models[0]) == 0 && !d.nerrors) {
    r.rc = 0;
    if (!strcmp(listing, "v")) tf_print_variables(t, out, false);
    else if (!strcmp(listing, "r")) tf_print_restore_map(t, out);
    else if (!strcmp(listing, "s")) tf_print_signature(t, out);
    else tf_print_collection(t, out, listing);
  }
  eval_free(ev);
  arena_free(&arena);
  fclose(out);
  fclose(err);
  return r;
}

static void done(Result *r) {
  free(r->out);
  free(r->err);
}

Test(tf_scope, unique_names_are_case_insensitive) {
  Result r = compile("import tensorflow as tf\n"
                     "model m(x: f32[]):\n"
                     "    a = tf.Variable(1.0, name='v')\n"
                     "    b = tf.Variable(1.0, name='V')\n"
                     "    c = tf.Variable(1.0, name='w_1')\n"
                     "    d = tf.Variable(1.0, name='w')\n"
                     "    e = tf.Variable(1.0, name='w')\n"
                     "    return x + a + b + c + d + e\n",
                     "v", false);
  cr_assert_eq(r.rc, 0, "%s", r.err);
  cr_expect_str_eq(r.out, "v\tfloat32\t[]\ttrainable_variables,variables\n"
                          "V_1\tfloat32\t[]\ttrainable_variables,variables\n"
                          "w_1\tfloat32\t[]\ttrainable_variables,variables\n"
                          "w\tfloat32\t[]\ttrainable_variables,variables\n"
                          "w_2\tfloat32\t[]\ttrainable_variables,variables\n");
  done(&r);
}

Test(tf_scope, name_scope_absolute_and_reset) {
  Result r = compile("import tensorflow as tf\n"
                     "model m(x: f32[]):\n"
                     "    with tf.name_scope('a'):\n"
                     "        with tf.name_scope('b/'):\n"
                     "            p = tf.Variable(1.0, name='p')\n"
                     "        with tf.name_scope(None):\n"
                     "            q = tf.Variable(1.0, name='q')\n"
                     "    with tf.name_scope('a'):\n"
                     "        s = tf.Variable(1.0, name='s')\n"
                     "    return x + p + q + s\n",
                     "v", false);
  cr_assert_eq(r.rc, 0, "%s", r.err);
  cr_expect_str_eq(r.out, "b/p\tfloat32\t[]\ttrainable_variables,variables\n"
                          "q\tfloat32\t[]\ttrainable_variables,variables\n"
                          "a_1/s\tfloat32\t[]\ttrainable_variables,variables\n");
  done(&r);
}

/* No global state: the second compilation starts from fresh counters. */
Test(tf_scope, compilations_do_not_interfere) {
  const char *src = "import tf_slim as slim\n"
                    "model m(x: f32[1, 4]):\n"
                    "    return slim.fully_connected(x, 2)\n";
  Result a = compile(src, "v", false), b = compile(src, "v", false);
  cr_assert_eq(a.rc, 0, "%s", a.err);
  cr_expect_str_eq(a.out, b.out);
  cr_expect(strstr(b.out, "fully_connected/weights\t") == b.out);
  done(&a);
  done(&b);
}

Test(tf_vars, already_exists_has_note_at_first_creation) {
  Result r = compile("import tensorflow as tf\n"
                     "model m(x: f32[1]):\n"
                     "    a = tf.get_variable('v', [1])\n"
                     "    b = tf.get_variable('v', [1])\n"
                     "    return x\n",
                     "v", false);
  cr_assert_eq(r.rc, 1);
  cr_expect(strstr(r.err, "t.slim:4:") && strstr(r.err, "Variable v already exists, disallowed."), "%s", r.err);
  cr_expect(strstr(r.err, "t.slim:3:") && strstr(r.err, "note:"), "%s", r.err);
  done(&r);
}

Test(tf_vars, shape_of_new_variable_must_be_known) {
  Result r = compile("import tensorflow as tf\n"
                     "model m(x: f32[1]):\n"
                     "    a = tf.get_variable('v')\n"
                     "    return x\n",
                     "v", false);
  cr_assert_eq(r.rc, 1);
  cr_expect(strstr(r.err, "Shape of a new variable (v) must be fully defined"), "%s", r.err);
  done(&r);
}

Test(tf_argscope, unknown_keyword_names_the_arg_scope) {
  Result r = compile("import tf_slim as slim\n"
                     "model m(x: f32[1, 4]):\n"
                     "    with slim.arg_scope([slim.fully_connected], bogus=1):\n"
                     "        y = slim.fully_connected(x, 2)\n"
                     "    return y\n",
                     "v", false);
  cr_assert_eq(r.rc, 1);
  cr_expect(strstr(r.err, "t.slim:4:") && strstr(r.err, "fully_connected() got an unexpected keyword argument 'bogus'"),
            "%s", r.err);
  cr_expect(strstr(r.err, "t.slim:3:"), "%s", r.err);
  done(&r);
}

Test(tf_ema, restore_ema_maps_model_variables_to_shadows) {
  Result r = compile("import tensorflow as tf\n"
                     "import tf_slim as slim\n"
                     "model m(x: f32[1, 4]):\n"
                     "    y = slim.fully_connected(x, 2, scope='fc')\n"
                     "    w = tf.get_variable('scale', [2])\n"
                     "    return y * w\n",
                     "r", true);
  cr_assert_eq(r.rc, 0, "%s", r.err);
  cr_expect_str_eq(r.out, "fc/biases/ExponentialMovingAverage\tfc/biases\n"
                          "fc/weights/ExponentialMovingAverage\tfc/weights\n"
                          "scale\tscale\n");
  done(&r);
}

Test(tf, outputs_are_named_by_dict_keys) {
  Result r = compile("import tensorflow as tf\n"
                     "model m(x: f32[2, 3]):\n"
                     "    return {'b': x, 'a': x}\n",
                     "s", false);
  cr_assert_eq(r.rc, 0, "%s", r.err);
  cr_expect_str_eq(r.out, "input\tx\tfloat32\t[2,3]\noutput\tb\tfloat32\t[2,3]\noutput\ta\tfloat32\t[2,3]\n");
  done(&r);
}

Test(tf, non_tensor_output_is_an_error) {
  Result r = compile("model m(x: f32[2, 3]):\n"
                     "    return 3\n",
                     "s", false);
  cr_assert_eq(r.rc, 1);
  cr_expect(strstr(r.err, "a model must return a tensor"), "%s", r.err);
  done(&r);
}
