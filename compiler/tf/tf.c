/* The TF / TF-Slim library's installer: the namespaces (tensorflow, tf_slim, tf.contrib.*,
 * ...), each part's registration, the model hooks (tf_model.c) and the prefix-free globals
 * of LANGUAGE.md. Only the driver (and tools that compile) call it; no tf_*.c does. */
#include <string.h>
#include "tf/tf_lib.h"

static const char *const graph_keys[][2] = {
    {"GLOBAL_VARIABLES", "variables"}, {"VARIABLES", "variables"}, {"LOCAL_VARIABLES", "local_variables"},
    {"MODEL_VARIABLES", "model_variables"}, {"TRAINABLE_VARIABLES", "trainable_variables"},
    {"MOVING_AVERAGE_VARIABLES", "moving_average_variables"}, {"REGULARIZATION_LOSSES", "regularization_losses"},
    {"UPDATE_OPS", "update_ops"}, {"SAVEABLE_OBJECTS", "saveable_objects"}, {"GLOBAL_STEP", "global_step"},
    {"ACTIVATIONS", "activations"}, {"LOSSES", "losses"}, {"SUMMARIES", "summaries"}, {"INIT_OP", "init_op"}};

/* slim re-exports these from tf.contrib.layers; tf_ops.c registers them on tf */
static const char *const slim_from_tf[] = {
    "l1_regularizer", "l2_regularizer", "l1_l2_regularizer", "sum_regularizer", "xavier_initializer",
    "xavier_initializer_conv2d", "variance_scaling_initializer", "apply_regularization"};

static void set_globals_from(Eval *ev, Value *ns) {
  Value *k, *v;
  for (int i = 0; dict_next(ns->u.ns->attrs, &i, &k, &v);)
    if (k->kind == V_STR && !eval_get_global(ev, k->u.str.s)) eval_set_global(ev, k->u.str.s, v);
}

TfLib *tf_install(Eval *ev) {
  if (!ev) return NULL;
  Arena *a = eval_arena(ev);
  TfLib *t = arena_alloc(a, sizeof *t);
  t->ev = ev;
  t->arena = a;
  tf_model_register(t);

  Value *tf = val_namespace(ev, "tensorflow"), *nn = val_namespace(ev, "tensorflow.nn"),
        *math = val_namespace(ev, "tensorflow.math"), *train = val_namespace(ev, "tensorflow.train"),
        *keys = val_namespace(ev, "tensorflow.GraphKeys"), *compat = val_namespace(ev, "tensorflow.compat"),
        *contrib = val_namespace(ev, "tensorflow.contrib"), *slim = val_namespace(ev, "tf_slim"),
        *utils = val_namespace(ev, "tf_slim.utils");
  for (size_t i = 0; i < sizeof graph_keys / sizeof *graph_keys; i++)
    ns_set(ev, keys, graph_keys[i][0], val_str(ev, graph_keys[i][1]));
  ns_set(ev, tf, "nn", nn);
  ns_set(ev, tf, "math", math);
  ns_set(ev, tf, "train", train);
  ns_set(ev, tf, "GraphKeys", keys);
  ns_set(ev, tf, "compat", compat);
  ns_set(ev, tf, "contrib", contrib);
  ns_set(ev, compat, "v1", tf);
  ns_set(ev, contrib, "slim", slim);
  ns_set(ev, contrib, "layers", slim);
  ns_set(ev, contrib, "framework", slim);
  ns_set(ev, slim, "utils", utils);

  tf_ops_register(t, tf, nn, math);
  tf_ops_register_slim(t, slim); /* slim's own xavier / variance_scaling (factor, mode, uniform) */
  tf_scope_register(t, tf);
  tf_vars_register(t, tf, slim, train);
  tf_argscope_register(t, slim);
  tf_layers_register(t, slim, utils);
  tf_ema_register(t, train);
  tf_image_register(t);
  for (size_t i = 0; i < sizeof slim_from_tf / sizeof *slim_from_tf; i++) {
    Value *v = ns_get(tf, slim_from_tf[i]);
    if (v && !ns_get(slim, slim_from_tf[i])) ns_set(ev, slim, slim_from_tf[i], v);
  }
  ns_set(ev, slim, "get_or_create_global_step", ns_get(train, "get_or_create_global_step"));

  eval_register_module(ev, "tensorflow", tf);
  eval_register_module(ev, "tensorflow.compat", compat);
  eval_register_module(ev, "tensorflow.compat.v1", tf);
  eval_register_module(ev, "tensorflow.nn", nn);
  eval_register_module(ev, "tensorflow.contrib", contrib);
  eval_register_module(ev, "tensorflow.contrib.slim", slim);
  eval_register_module(ev, "tensorflow.contrib.layers", slim);
  eval_register_module(ev, "tensorflow.contrib.framework", slim);
  eval_register_module(ev, "tf_slim", slim);
  eval_register_module(ev, "tf_slim.utils", utils);
  pymod_install_tf(ev, tf, contrib); /* pymod: tf.logging, tf.contrib.training, tf.test */

  /* prefix-free spellings: slim first, then tf; never shadow a Python builtin */
  set_globals_from(ev, slim);
  set_globals_from(ev, tf);
  if (!eval_get_global(ev, "nn")) eval_set_global(ev, "nn", nn);
  return t;
}
