/* The builtins and pure-Python modules of py_modules.c (pymod). Part of the
 * evaluator's interface; eval.h includes it for the TF library. */
#ifndef SLIMC_PY_MODULES_H
#define SLIMC_PY_MODULES_H
#include "py/interp.h"
#include "py/value.h"

/* chr, ord, type, iter, next, set, frozenset, setattr, hex/oct/bin, and the modules copy,
   contextlib, os / os.path, six / six.moves, logging, numpy, and functools.update_wrapper
   and functools.wraps (called by eval_new after py_install). */
void pymod_install(Eval *ev);
/* tf.logging, tf.contrib.training.HParams, tf.test on TF's namespaces (for the TF library). */
void pymod_install_tf(Eval *ev, Value *tf, Value *contrib);
/* The dtype name ("float32", "bool") if V is a numpy scalar type (np.float32), else NULL. */
const char *pymod_np_dtype_name(Value *v);

#endif
