/* User classes (py_class.c, pyclass): the object model of `class` statements, see
 * the file's comment. Part of the evaluator's own interface (compiler/py/). */
#ifndef SLIMC_PY_CLASS_H
#define SLIMC_PY_CLASS_H
#include "py/interp.h"
#include "py/value.h"

extern const ExtType pyc_method_type, pyc_property_type, pyc_staticmethod_type, pyc_classmethod_type,
    pyc_super_type;
void pyc_install(Eval *ev);
ClassT *pyc_object(Eval *ev);
/* attribute reads: NULL without a pending error when there is no such attribute */
Value *pyc_getattr_inst(Eval *ev, Value *obj, const char *name, Span sp);
Value *pyc_getattr_class(Eval *ev, ClassT *c, const char *name, Span sp);
/* OBJ.NAME = V for user instances and classes and functions; false with an error
   pending, or false without one when OBJ takes no attributes */
bool pyc_setattr(Eval *ev, Value *obj, const char *name, Value *v, Span sp);
Value *pyc_new_class(Eval *ev, const char *name, const char *qualname, const char *module, Value *base, Dict *ns,
                     Span sp);
Value *pyc_call_class(Eval *ev, ClassT *c, const Args *a);
Value *pyc_call_dunder(Eval *ev, Value *obj, const char *name, Value **argv, int argc, Span sp, bool *found);
bool pyc_has_dunder(Value *obj, const char *name);
Value *pyc_binop(Eval *ev, AstOp op, Value *l, Value *r, Span sp, bool *found);
int pyc_isinstance(Eval *ev, Value *x, Value *cls);
Value *pyc_super(Eval *ev, Value *cls, Value *obj, Span sp);
const char *pyc_default_repr(Eval *ev, Value *v);
const char *pyc_user_repr(Eval *ev, Value *v, bool str, bool *failed);
/* Whether V can be called (a user instance: its class defines __call__). */
bool eval_is_callable(Value *v);

#endif
