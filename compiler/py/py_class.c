/* User classes with CPython's semantics (LANGUAGE.md 3.1): the object model of
 * `class` statements. A class is a V_CLASS whose ClassT has user set, a namespace
 * (attrs) and one base; an instance is a V_INSTANCE with a __dict__ (attrs) and,
 * when a namedtuple is among its bases, the tuple's items (vals). Bound methods,
 * property, staticmethod, classmethod and super objects are ExtTypes. The class
 * statement itself runs in eval.c (eval_exec_class); this file holds attribute
 * lookup along the single-inheritance chain, instance creation, the dunder
 * protocols and the builtins object, property, staticmethod, classmethod, super,
 * type, issubclass and setattr. */
#include "py/py_class.h"
#include "py/callargs.h"
#include <string.h>

typedef struct Method { Value *fn, *self; } Method;
typedef struct Prop { Value *fget, *fset, *fdel, *doc; } Prop;
typedef struct Super { ClassT *start; Value *obj; ClassT *objcls; bool of_class; } Super;

static Span argsp(const Args *a, int i) { return a->pos_spans && i < a->npos ? a->pos_spans[i] : a->call_span; }

static Value *native(Eval *ev, const char *name, BuiltinFn fn, void *data) {
  Builtin *b = eval_alloc(ev, sizeof *b);
  b->name = name;
  b->fn = fn;
  b->data = data;
  return val_builtin(ev, b);
}

ClassT *pyc_object(Eval *ev) {
  Value *o = eval_get_global(ev, "object");
  return o && o->kind == V_CLASS ? o->u.cls : NULL;
}

/* A dunder a user class defines (not object's defaults). */
static Value *user_dunder(Value *obj, const char *name) {
  if (!pyc_is_user(obj)) return NULL;
  return pyc_lookup(obj->u.inst->cls, name, NULL);
}

/* ---- bound methods ---- */

static Value *method_call(Eval *ev, Value *self, const Args *a) {
  Method *m = self->u.ext.data;
  Args b = *a;
  b.npos = a->npos + 1;
  b.pos = eval_alloc(ev, sizeof(Value *) * (size_t)b.npos);
  b.pos_spans = eval_alloc(ev, sizeof(Span) * (size_t)b.npos);
  b.pos[0] = m->self;
  b.pos_spans[0] = a->call_span;
  for (int i = 0; i < a->npos; i++) {
    b.pos[i + 1] = a->pos[i];
    b.pos_spans[i + 1] = argsp(a, i);
  }
  return eval_call(ev, m->fn, &b);
}

static const char *fn_qualname(Value *fn) {
  if (fn->kind == V_FUNC) return fn->u.func->qualname ? fn->u.func->qualname : fn->u.func->name;
  return eval_callable_name(fn);
}

static const char *method_repr(Eval *ev, Value *self) {
  Method *m = self->u.ext.data;
  return arena_printf(eval_arena(ev), "<bound method %s of %s>", fn_qualname(m->fn), val_repr(ev, m->self));
}

static bool method_equal(Value *a, Value *b) {
  Method *x = a->u.ext.data, *y = b->u.ext.data;
  return val_equal(x->fn, y->fn) && x->self == y->self;
}

static Value *method_getattr(Eval *ev, Value *self, const char *name, Span sp) {
  Method *m = self->u.ext.data;
  if (!strcmp(name, "__self__")) return m->self;
  if (!strcmp(name, "__func__")) return m->fn;
  Value *r = eval_getattr(ev, m->fn, name, sp); /* a method reads its function's attributes */
  if (!r) eval_clear_error(ev);
  return r;
}

const ExtType pyc_method_type = {.name = "method", .call = method_call, .repr = method_repr,
                                 .equal = method_equal, .getattr = method_getattr};

static Value *bound(Eval *ev, Value *fn, Value *self) {
  Method *m = eval_alloc(ev, sizeof *m);
  m->fn = fn;
  m->self = self;
  return val_ext(ev, &pyc_method_type, m);
}

/* ---- property, staticmethod, classmethod ---- */

static const char *prop_repr(Eval *ev, Value *self) { (void)self; return arena_printf(eval_arena(ev), "<property object>"); }
static Value *prop_getattr(Eval *ev, Value *self, const char *name, Span sp);
const ExtType pyc_property_type = {.name = "property", .repr = prop_repr, .getattr = prop_getattr};

static Value *new_prop(Eval *ev, Value *fget, Value *fset, Value *fdel, Value *doc) {
  Prop *p = eval_alloc(ev, sizeof *p);
  p->fget = fget && fget->kind != V_NONE ? fget : NULL;
  p->fset = fset && fset->kind != V_NONE ? fset : NULL;
  p->fdel = fdel && fdel->kind != V_NONE ? fdel : NULL;
  p->doc = doc;
  if ((!doc || doc->kind == V_NONE) && p->fget && p->fget->kind == V_FUNC) p->doc = NULL;
  return val_ext(ev, &pyc_property_type, p);
}

/* prop.setter(f) / prop.getter(f) / prop.deleter(f): a copy with one accessor replaced */
static Value *prop_with(Eval *ev, const Args *a, void *data, int which) {
  Prop *p = ((Value *)data)->u.ext.data;
  if (a->npos != 1 || a->nkw)
    return eval_error(ev, a->call_span, "E0303", "%s() takes exactly one argument (%d given)",
                      which == 0 ? "getter" : which == 1 ? "setter" : "deleter", a->npos + a->nkw);
  Value *f = a->pos[0];
  return new_prop(ev, which == 0 ? f : p->fget, which == 1 ? f : p->fset, which == 2 ? f : p->fdel, p->doc);
}
static Value *prop_getter(Eval *ev, const Args *a, void *data) { return prop_with(ev, a, data, 0); }
static Value *prop_setter(Eval *ev, const Args *a, void *data) { return prop_with(ev, a, data, 1); }
static Value *prop_deleter(Eval *ev, const Args *a, void *data) { return prop_with(ev, a, data, 2); }

static Value *prop_getattr(Eval *ev, Value *self, const char *name, Span sp) {
  Prop *p = self->u.ext.data;
  if (!strcmp(name, "fget")) return p->fget ? p->fget : val_none(ev);
  if (!strcmp(name, "fset")) return p->fset ? p->fset : val_none(ev);
  if (!strcmp(name, "fdel")) return p->fdel ? p->fdel : val_none(ev);
  if (!strcmp(name, "getter")) return native(ev, "getter", prop_getter, self);
  if (!strcmp(name, "setter")) return native(ev, "setter", prop_setter, self);
  if (!strcmp(name, "deleter")) return native(ev, "deleter", prop_deleter, self);
  if (!strcmp(name, "__doc__")) {
    if (p->doc) return p->doc;
    if (p->fget) {
      Value *d = eval_getattr(ev, p->fget, "__doc__", sp);
      if (!d) eval_clear_error(ev);
      return d ? d : val_none(ev);
    }
    return val_none(ev);
  }
  return NULL;
}

static Value *wrapped_getattr(Eval *ev, Value *self, const char *name, Span sp) {
  (void)sp;
  if (!strcmp(name, "__func__")) return self->u.ext.data;
  Value *r = eval_getattr(ev, self->u.ext.data, name, sp);
  if (!r) eval_clear_error(ev);
  return r;
}
static const char *static_repr(Eval *ev, Value *self) {
  return arena_printf(eval_arena(ev), "<staticmethod(%s)>", val_repr(ev, self->u.ext.data));
}
static const char *classm_repr(Eval *ev, Value *self) {
  return arena_printf(eval_arena(ev), "<classmethod(%s)>", val_repr(ev, self->u.ext.data));
}
static Value *static_call(Eval *ev, Value *self, const Args *a) { return eval_call(ev, self->u.ext.data, a); }
const ExtType pyc_staticmethod_type = {.name = "staticmethod", .repr = static_repr, .getattr = wrapped_getattr,
                                       .call = static_call};
const ExtType pyc_classmethod_type = {.name = "classmethod", .repr = classm_repr, .getattr = wrapped_getattr};

/* ---- attribute lookup ---- */

/* What class attribute V becomes when read through OBJ (an instance, or NULL when
   read on the class CLS itself): the descriptor protocol of functions, properties,
   staticmethod and classmethod. */
static Value *descr_get(Eval *ev, Value *v, Value *obj, ClassT *cls, Span sp) {
  /* TF-Slim's layers and @add_arg_scope wrappers are Python functions in TF: they bind too */
  if (v->kind == V_FUNC || (v->kind == V_BUILTIN && v->u.builtin->arg_scope)) return obj ? bound(ev, v, obj) : v;
  if (v->kind != V_EXT) return v;
  if (v->u.ext.type == &pyc_staticmethod_type) return v->u.ext.data;
  if (v->u.ext.type == &pyc_classmethod_type) return bound(ev, v->u.ext.data, cls->self);
  if (v->u.ext.type == &pyc_property_type && obj) {
    Prop *p = v->u.ext.data;
    if (!p->fget) return NULL; /* the caller words the error */
    return eval_call_pos(ev, p->fget, &obj, 1, sp);
  }
  return v;
}

static Value *object_method(Eval *ev, Value *obj, ClassT *cls, const char *name);
static Value *obj_unbound(Eval *ev, const Args *a, void *data);

Value *pyc_getattr_inst(Eval *ev, Value *obj, const char *name, Span sp) {
  Instance *in = obj->u.inst;
  ClassT *owner;
  Value *cv = pyc_lookup(in->cls, name, &owner);
  if (cv && val_is_ext(cv, &pyc_property_type)) { /* a data descriptor wins over __dict__ */
    Prop *p = cv->u.ext.data;
    if (!p->fget)
      return eval_error(ev, sp, "E0304", "property '%s' of '%s' object has no getter", name, in->cls->name);
    return descr_get(ev, cv, obj, in->cls, sp);
  }
  if (in->cls->is_tuple) /* namedtuple fields are read-only descriptors of the base */
    for (int i = 0; i < in->cls->nfields; i++)
      if (!strcmp(in->cls->fields[i], name)) return in->vals[i];
  if (in->attrs) {
    Value *v = dict_get_str(in->attrs, name);
    if (v) return v;
  }
  if (cv) return descr_get(ev, cv, obj, in->cls, sp);
  if (!strcmp(name, "__class__")) return in->cls->self;
  if (!strcmp(name, "__dict__")) {
    if (!in->attrs) in->attrs = val_dict(ev)->u.dict;
    Value *d = val_dict(ev);
    d->u.dict = in->attrs;
    return d;
  }
  if (!strcmp(name, "__doc__")) return pyc_getattr_class(ev, in->cls, "__doc__", sp);
  if (in->cls->is_tuple) {
    Value *v = ev->ops->builtin_attr(ev, obj, name, sp);
    if (v || eval_has_error(ev)) return v;
  }
  Value *v = object_method(ev, obj, in->cls, name);
  if (v) return v;
  Value *ga = pyc_lookup(in->cls, "__getattr__", NULL);
  if (ga) {
    Value *argv[2] = {obj, val_str(ev, name)};
    return eval_call_pos(ev, ga, argv, 2, sp);
  }
  return NULL;
}

static Value *mro_tuple(Eval *ev, ClassT *c) {
  Value *t = val_tuple(ev, 0);
  for (; c; c = c->base) {
    if (c->self) val_list_append(ev, t, c->self);
    if (!c->user && !c->base) { /* a namedtuple type: then tuple, object */
      Value *tt = eval_get_global(ev, "tuple");
      if (tt) val_list_append(ev, t, tt);
      ClassT *o = pyc_object(ev);
      if (o) val_list_append(ev, t, o->self);
    }
  }
  return t;
}

Value *pyc_getattr_class(Eval *ev, ClassT *c, const char *name, Span sp) {
  Value *v = pyc_lookup(c, name, NULL);
  if (v) return descr_get(ev, v, NULL, c, sp);
  if (!strcmp(name, "__name__")) return val_str(ev, c->name);
  if (!strcmp(name, "__qualname__")) return val_str(ev, c->qualname ? c->qualname : c->name);
  if (!strcmp(name, "__module__")) return val_str(ev, c->module ? c->module : "__main__");
  if (!strcmp(name, "__doc__")) return val_none(ev);
  if (!strcmp(name, "__class__")) return eval_get_global(ev, "type");
  if (!strcmp(name, "__dict__")) {
    Value *d = val_dict(ev);
    if (c->attrs) d->u.dict = c->attrs;
    return d;
  }
  if (!strcmp(name, "__bases__")) {
    Value *t = val_tuple(ev, 0);
    if (c->base && c->base->self) val_list_append(ev, t, c->base->self);
    else if (c->base || (!c->user)) {
      Value *tt = eval_get_global(ev, c->user ? "object" : "tuple");
      if (tt) val_list_append(ev, t, tt);
    }
    return t;
  }
  if (!strcmp(name, "__mro__")) return mro_tuple(ev, c);
  if (!strcmp(name, "__init__") || !strcmp(name, "__repr__") || !strcmp(name, "__str__") ||
      !strcmp(name, "__setattr__")) /* object.__init__(self), Base.__setattr__(self, k, v), ... */
    return native(ev, arena_printf(eval_arena(ev), "%s", name), obj_unbound, (void *)name);
  for (ClassT *b = c; b; b = b->base)
    if (!b->user) { /* _fields, _make, ... of a namedtuple base */
      Value *r = ev->ops->builtin_attr(ev, c->self, name, sp);
      if (r || eval_has_error(ev)) return r;
      break;
    }
  return NULL;
}

/* ---- attribute assignment ---- */

bool pyc_setattr(Eval *ev, Value *obj, const char *name, Value *v, Span sp) {
  if (obj->kind == V_CLASS && obj->u.cls->user) {
    if (!obj->u.cls->attrs) obj->u.cls->attrs = val_dict(ev)->u.dict;
    if (!strcmp(name, "__name__")) {
      if (v->kind != V_STR) {
        eval_error(ev, sp, "E0302", "can only assign string to %s.__name__, not '%s'", obj->u.cls->name, val_type_name(v));
        return false;
      }
      obj->u.cls->name = v->u.str.s;
      return true;
    }
    dict_set_str(ev, obj->u.cls->attrs, name, v);
    return true;
  }
  if (obj->kind == V_FUNC) {
    Func *f = obj->u.func;
    if (!f->attrs) f->attrs = val_dict(ev)->u.dict;
    if (!strcmp(name, "__name__") || !strcmp(name, "__qualname__")) {
      if (v->kind != V_STR) {
        eval_error(ev, sp, "E0302", "%s must be set to a string object", name);
        return false;
      }
      if (name[2] == 'n') f->name = v->u.str.s;
      else f->qualname = v->u.str.s;
      return true;
    }
    dict_set_str(ev, f->attrs, name, v);
    return true;
  }
  if (obj->kind == V_BUILTIN && obj->u.builtin->py_function) { /* add_arg_scope's wrapper */
    Builtin *b = obj->u.builtin;
    if (!b->attrs) b->attrs = val_dict(ev)->u.dict;
    dict_set_str(ev, b->attrs, name, v);
    return true;
  }
  if (obj->kind != V_INSTANCE) return false;
  Instance *in = obj->u.inst;
  if (in->cls->user) {
    Value *cv = pyc_lookup(in->cls, name, NULL);
    if (cv && val_is_ext(cv, &pyc_property_type)) {
      Prop *p = cv->u.ext.data;
      if (!p->fset) {
        eval_error(ev, sp, "E0304", "property '%s' of '%s' object has no setter", name, in->cls->name);
        return false;
      }
      Value *argv[2] = {obj, v};
      return eval_call_pos(ev, p->fset, argv, 2, sp) != NULL;
    }
    Value *sa = pyc_lookup(in->cls, "__setattr__", NULL);
    if (sa) {
      Value *argv[3] = {obj, val_str(ev, name), v};
      return eval_call_pos(ev, sa, argv, 3, sp) != NULL;
    }
  }
  if (in->cls->is_tuple)
    for (int i = 0; i < in->cls->nfields; i++)
      if (!strcmp(in->cls->fields[i], name)) {
        eval_error(ev, sp, "E0304", "can't set attribute");
        return false;
      }
  if (!in->cls->user) { /* a namedtuple has __slots__ = () */
    eval_error(ev, sp, "E0304", "'%s' object has no attribute '%s'", in->cls->name, name);
    return false;
  }
  if (!strcmp(name, "__class__") || !strcmp(name, "__dict__")) {
    eval_error(ev, sp, "E0304", "assigning '%s' is not supported in Slim", name);
    return false;
  }
  if (!in->attrs) in->attrs = val_dict(ev)->u.dict;
  dict_set_str(ev, in->attrs, name, v);
  return true;
}

/* ---- object's own methods (the end of every lookup) ---- */

static Value *obj_init(Eval *ev, const Args *a, void *data) {
  Value *self = data;
  if ((a->npos || a->nkw) && !(self->kind == V_INSTANCE && self->u.inst->cls->is_tuple))
    return eval_error(ev, a->call_span, "E0303", "object.__init__() takes exactly one argument (the instance to initialize)");
  return val_none(ev);
}
static Value *obj_repr(Eval *ev, const Args *a, void *data) {
  (void)a;
  return val_str(ev, pyc_default_repr(ev, data));
}
static Value *obj_setattr(Eval *ev, const Args *a, void *data) {
  if (a->npos != 2 || a->nkw)
    return eval_error(ev, a->call_span, "E0303", "expected 2 arguments, got %d", a->npos + a->nkw);
  const char *name;
  if (!eval_to_str(ev, a->pos[0], argsp(a, 0), "attribute name", &name)) return NULL;
  Value *self = data;
  if (self->kind == V_INSTANCE && self->u.inst->cls->user) {
    Instance *in = self->u.inst;
    Value *cv = pyc_lookup(in->cls, name, NULL);
    if (!(cv && val_is_ext(cv, &pyc_property_type))) {
      if (!in->attrs) in->attrs = val_dict(ev)->u.dict;
      dict_set_str(ev, in->attrs, name, a->pos[1]);
      return val_none(ev);
    }
  }
  return pyc_setattr(ev, self, name, a->pos[1], a->call_span) ? val_none(ev) : NULL;
}

static Value *object_method(Eval *ev, Value *obj, ClassT *cls, const char *name);

/* object.NAME read on a class: the first argument is the instance */
static Value *obj_unbound(Eval *ev, const Args *a, void *data) {
  const char *name = data;
  if (a->npos < 1)
    return eval_error(ev, a->call_span, "E0303", "descriptor '%s' of 'object' object needs an argument", name);
  Value *self = a->pos[0];
  Value *m = object_method(ev, self, NULL, name);
  Args b = *a;
  b.pos++;
  b.npos--;
  if (b.pos_spans) b.pos_spans++;
  return eval_call(ev, m, &b);
}

static Value *object_method(Eval *ev, Value *obj, ClassT *cls, const char *name) {
  (void)cls;
  if (!strcmp(name, "__init__")) return native(ev, "__init__", obj_init, obj);
  if (!strcmp(name, "__repr__") || !strcmp(name, "__str__")) return native(ev, name, obj_repr, obj);
  if (!strcmp(name, "__setattr__")) return native(ev, "__setattr__", obj_setattr, obj);
  return NULL;
}

/* ---- repr ---- */

const char *pyc_default_repr(Eval *ev, Value *v) {
  if (v->u.inst->cls->is_tuple) return val_repr_plain(ev, v);
  ClassT *c = v->u.inst->cls;
  const char *mod = c->module ? c->module : "__main__";
  if (!strcmp(mod, "builtins")) return arena_printf(eval_arena(ev), "<%s object>", c->name);
  return arena_printf(eval_arena(ev), "<%s.%s object>", mod, c->qualname ? c->qualname : c->name);
}

/* repr(V) / str(V) through a user __repr__ / __str__, or NULL (no such method, or an
   error pending). */
const char *pyc_user_repr(Eval *ev, Value *v, bool str, bool *failed) {
  *failed = false;
  Value *m = str ? user_dunder(v, "__str__") : NULL;
  if (!m) m = user_dunder(v, "__repr__");
  if (!m || eval_has_error(ev)) return NULL;
  Span sp = eval_cur_span(ev);
  Value *r = eval_call_pos(ev, m, &v, 1, sp);
  if (!r) {
    *failed = true;
    return NULL;
  }
  if (r->kind != V_STR) {
    eval_error(ev, sp, "E0302", "%s returned non-string (type %s)", str ? "__str__" : "__repr__", val_type_name(r));
    *failed = true;
    return NULL;
  }
  return r->u.str.s;
}

/* ---- creating classes and instances ---- */

Value *pyc_new_class(Eval *ev, const char *name, const char *qualname, const char *module, Value *base, Dict *ns,
                     Span sp) {
  ClassT *b = NULL;
  if (base) {
    if (base->kind != V_CLASS) {
      const char *tn = val_type_name(base);
      if (base->kind == V_BUILTIN && eval_get_global(ev, base->u.builtin->name) == base)
        return eval_error(ev, sp, "E0104", "a class derived from '%s' is not supported in Slim (bases: object, "
                          "a class, or a namedtuple)", base->u.builtin->name);
      /* CPython calls type(base)(name, bases, ns): these are its words for the usual mistakes */
      if (base->kind == V_INT || base->kind == V_BOOL)
        return eval_error(ev, sp, "E0302", "%s() takes at most 2 arguments (3 given)", tn);
      if (base->kind == V_NONE) return eval_error(ev, sp, "E0302", "NoneType takes no arguments");
      if (base->kind == V_FUNC)
        return eval_error(ev, sp, "E0302", "function() argument 'code' must be code, not str");
      if (base->kind == V_STR)
        return eval_error(ev, sp, "E0302", "str() argument 'encoding' must be str, not tuple");
      if (base->kind == V_BUILTIN) return eval_error(ev, sp, "E0302", "cannot create '%s' instances", tn);
      return eval_error(ev, sp, "E0302", "a class's base must be a class, not '%s'", tn);
    }
    b = base->u.cls;
  } else {
    b = pyc_object(ev);
  }
  Value *r = eval_alloc(ev, sizeof *r);
  r->kind = V_CLASS;
  ClassT *c = r->u.cls = eval_alloc(ev, sizeof *c);
  c->name = name;
  c->qualname = qualname;
  c->module = module;
  c->user = true;
  c->base = b;
  c->attrs = ns ? ns : val_dict(ev)->u.dict;
  c->self = r;
  if (b) {
    c->is_tuple = b->is_tuple || !b->user;
    c->fields = b->fields;
    c->nfields = b->nfields;
  }
  return r;
}

static Value *new_instance(Eval *ev, ClassT *c) {
  Value *v = eval_alloc(ev, sizeof *v);
  v->kind = V_INSTANCE;
  v->u.inst = eval_alloc(ev, sizeof *v->u.inst);
  v->u.inst->cls = c;
  return v;
}

Value *pyc_call_class(Eval *ev, ClassT *c, const Args *a) {
  Value *obj;
  if (c->is_tuple) {
    ClassT *nt = c;
    while (nt->user) nt = nt->base;
    if (!(obj = eval_nt_new(ev, c, nt->name, a))) return NULL;
  } else {
    obj = new_instance(ev, c);
  }
  Value *init = pyc_lookup(c, "__init__", NULL);
  if (!init) {
    if (!c->is_tuple && (a->npos || a->nkw)) {
      if (!c->base) return eval_error(ev, a->call_span, "E0303", "object() takes no arguments");
      return eval_error(ev, a->call_span, "E0303", "%s() takes no arguments", c->name);
    }
    return obj;
  }
  Value *m = descr_get(ev, init, obj, c, a->call_span);
  if (!m) return NULL;
  Value *r = eval_call(ev, m, a);
  if (!r) {
    eval_recursion_via_c(ev, a->call_span);
    return NULL;
  }
  if (r->kind != V_NONE)
    return eval_error(ev, a->call_span, "E0302", "__init__() should return None, not '%s'", val_type_name(r));
  return obj;
}

/* ---- dunder protocols (eval.c calls these for user instances) ---- */

/* Calls OBJ.NAME(ARGV...) if OBJ's class defines NAME: the result, or NULL with
   *FOUND false (not defined) or true (an error pending). */
Value *pyc_call_dunder(Eval *ev, Value *obj, const char *name, Value **argv, int argc, Span sp, bool *found) {
  Value *f = user_dunder(obj, name);
  *found = f != NULL;
  if (!f) return NULL;
  Value *m = descr_get(ev, f, obj, obj->u.inst->cls, sp);
  if (!m) return NULL;
  return eval_call_pos(ev, m, argv, argc, sp);
}

bool pyc_has_dunder(Value *obj, const char *name) { return user_dunder(obj, name) != NULL; }

bool eval_is_callable(Value *v) {
  switch (v->kind) {
  case V_FUNC: case V_BUILTIN: case V_PARTIAL: case V_CLASS: return true;
  case V_EXT: return v->u.ext.type->call != NULL;
  case V_INSTANCE: return pyc_is_user(v) && pyc_has_dunder(v, "__call__"); /* pyclass */
  default: return false;
  }
}

/* a + b etc. with a user instance on either side: __add__, then the reflected __radd__ */
Value *pyc_binop(Eval *ev, AstOp op, Value *l, Value *r, Span sp, bool *found) {
  static const char *const names[][2] = {
    [OP_ADD] = {"__add__", "__radd__"}, [OP_SUB] = {"__sub__", "__rsub__"}, [OP_MUL] = {"__mul__", "__rmul__"},
    [OP_DIV] = {"__truediv__", "__rtruediv__"}, [OP_FLOORDIV] = {"__floordiv__", "__rfloordiv__"},
    [OP_MOD] = {"__mod__", "__rmod__"}, [OP_POW] = {"__pow__", "__rpow__"}, [OP_MATMUL] = {"__matmul__", "__rmatmul__"},
    [OP_LT] = {"__lt__", "__gt__"}, [OP_GT] = {"__gt__", "__lt__"}, [OP_LE] = {"__le__", "__ge__"},
    [OP_GE] = {"__ge__", "__le__"}, [OP_EQ] = {"__eq__", "__eq__"}, [OP_NE] = {"__ne__", "__ne__"},
  };
  *found = false;
  if ((unsigned)op >= sizeof names / sizeof names[0] || !names[op][0]) return NULL;
  Value *res = pyc_call_dunder(ev, l, names[op][0], &r, 1, sp, found);
  if (*found) return res;
  return pyc_call_dunder(ev, r, names[op][1], &l, 1, sp, found);
}

/* ---- isinstance / issubclass ---- */

static bool class_derives(ClassT *c, ClassT *base) {
  for (; c; c = c->base)
    if (c == base) return true;
  return false;
}

/* 1/0, or -2 when CLS is no class of this file's (the caller tests builtin types). */
int pyc_isinstance(Eval *ev, Value *x, Value *cls) {
  if (cls->kind != V_CLASS) {
    if (cls == eval_get_global(ev, "type")) return x->kind == V_CLASS;
    if (cls == eval_get_global(ev, "property")) return val_is_ext(x, &pyc_property_type);
    if (cls == eval_get_global(ev, "staticmethod")) return val_is_ext(x, &pyc_staticmethod_type);
    if (cls == eval_get_global(ev, "classmethod")) return val_is_ext(x, &pyc_classmethod_type);
    return -2;
  }
  ClassT *c = cls->u.cls;
  if (c == pyc_object(ev)) return 1;
  return x->kind == V_INSTANCE && class_derives(x->u.inst->cls, c);
}

static int subclass_one(Eval *ev, Value *x, Value *cls, Span sp) {
  if (cls->kind == V_TUPLE) {
    for (int i = 0; i < cls->u.list.n; i++) {
      int r = subclass_one(ev, x, cls->u.list.items[i], sp);
      if (r) return r;
    }
    return 0;
  }
  ClassT *o = pyc_object(ev);
  Value *tuple_t = eval_get_global(ev, "tuple");
  if (cls->kind == V_CLASS) {
    if (cls->u.cls == o) return 1;
    return x->kind == V_CLASS && class_derives(x->u.cls, cls->u.cls);
  }
  if (cls->kind == V_BUILTIN) {
    if (x->kind == V_CLASS) return cls == tuple_t && x->u.cls->is_tuple;
    return x == cls;
  }
  eval_error(ev, sp, "E0302", "issubclass() arg 2 must be a class, a tuple of classes, or a union");
  return -1;
}

static Value *b_issubclass(Eval *ev, const Args *a, void *data) {
  (void)data;
  if (a->npos != 2 || a->nkw)
    return eval_error(ev, a->call_span, "E0303", "issubclass expected 2 arguments, got %d", a->npos + a->nkw);
  Value *x = a->pos[0];
  if (x->kind != V_CLASS && x->kind != V_BUILTIN)
    return eval_error(ev, argsp(a, 0), "E0302", "issubclass() arg 1 must be a class");
  int r = subclass_one(ev, x, a->pos[1], argsp(a, 1));
  return r < 0 ? NULL : val_bool(ev, r);
}

/* ---- the builtins ---- */

static Value *b_property(Eval *ev, const Args *a, void *data) {
  (void)data;
  static const char *const params[] = {"fget", "fset", "fdel", "doc", NULL};
  Value *v[4] = {0};
  if (eval_bind_checked(ev, "property", params, 0, a, v) < 0) return NULL;
  return new_prop(ev, v[0], v[1], v[2], v[3]);
}

static Value *wrap1(Eval *ev, const Args *a, const char *name, const ExtType *t) {
  if (a->nkw) return eval_error(ev, a->call_span, "E0303", "%s() takes no keyword arguments", name);
  if (a->npos != 1)
    return eval_error(ev, a->call_span, "E0303", "%s expected 1 argument, got %d", name, a->npos);
  return val_ext(ev, t, a->pos[0]);
}
static Value *b_staticmethod(Eval *ev, const Args *a, void *data) {
  (void)data;
  return wrap1(ev, a, "staticmethod", &pyc_staticmethod_type);
}
static Value *b_classmethod(Eval *ev, const Args *a, void *data) {
  (void)data;
  return wrap1(ev, a, "classmethod", &pyc_classmethod_type);
}

static Value *super_getattr(Eval *ev, Value *self, const char *name, Span sp) {
  Super *s = self->u.ext.data;
  ClassT *c = s->objcls;
  while (c && c != s->start) c = c->base;
  for (c = c ? c->base : NULL; c; c = c->base) {
    if (c->attrs) {
      Value *v = dict_get_str(c->attrs, name);
      if (v) return descr_get(ev, v, s->of_class ? NULL : s->obj, s->objcls, sp);
    }
    if (!c->user && !s->of_class) { /* a namedtuple base: its methods */
      Value *v = ev->ops->builtin_attr(ev, s->obj, name, sp);
      if (v || eval_has_error(ev)) return v;
    }
  }
  if (!s->of_class) return object_method(ev, s->obj, s->objcls, name);
  return NULL;
}
static const char *super_repr(Eval *ev, Value *self) {
  Super *s = self->u.ext.data;
  return arena_printf(eval_arena(ev), "<super: <class '%s'>, <%s object>>", s->start->name, s->objcls->name);
}
const ExtType pyc_super_type = {.name = "super", .getattr = super_getattr, .repr = super_repr};

Value *pyc_super(Eval *ev, Value *cls, Value *obj, Span sp) {
  if (cls->kind != V_CLASS)
    return eval_error(ev, sp, "E0302", "super() argument 1 must be a type, not %s", val_type_name(cls));
  Super *s = eval_alloc(ev, sizeof *s);
  s->start = cls->u.cls;
  s->obj = obj;
  if (obj->kind == V_CLASS && class_derives(obj->u.cls, cls->u.cls)) {
    s->objcls = obj->u.cls;
    s->of_class = true;
  } else if (obj->kind == V_INSTANCE && class_derives(obj->u.inst->cls, cls->u.cls)) {
    s->objcls = obj->u.inst->cls;
  } else {
    return eval_error(ev, sp, "E0302", "super(type, obj): obj must be an instance or subtype of type");
  }
  return val_ext(ev, &pyc_super_type, s);
}

static Value *b_super(Eval *ev, const Args *a, void *data) {
  (void)data;
  /* super() without arguments is resolved by eval.c, which knows the method */
  if (a->nkw) return eval_error(ev, a->call_span, "E0303", "super() takes no keyword arguments");
  if (a->npos == 0) return eval_error(ev, a->call_span, "E0309", "super(): no arguments");
  if (a->npos != 2)
    return eval_error(ev, a->call_span, "E0104", "super() with %d argument%s is not supported in Slim", a->npos,
                      a->npos == 1 ? "" : "s");
  return pyc_super(ev, a->pos[0], a->pos[1], a->call_span);
}

static Value *b_type(Eval *ev, const Args *a, void *data) {
  (void)data;
  if (a->nkw) return eval_error(ev, a->call_span, "E0303", "type() takes no keyword arguments");
  if (a->npos == 3) { /* type(name, bases, dict) */
    const char *name;
    if (!eval_to_str(ev, a->pos[0], argsp(a, 0), "type.__new__() argument 1", &name)) return NULL;
    Value *bases = a->pos[1], *ns = a->pos[2];
    if (bases->kind != V_TUPLE)
      return eval_error(ev, argsp(a, 1), "E0302", "type.__new__() argument 2 must be tuple, not %s", val_type_name(bases));
    if (ns->kind != V_DICT)
      return eval_error(ev, argsp(a, 2), "E0302", "type.__new__() argument 3 must be dict, not %s", val_type_name(ns));
    if (bases->u.list.n > 1)
      return eval_error(ev, argsp(a, 1), "E0104", "multiple inheritance is not supported in Slim");
    Dict *d = val_dict(ev)->u.dict;
    Value *k, *x;
    for (int it = 0; dict_next(ns->u.dict, &it, &k, &x);) dict_set(ev, d, k, x);
    return pyc_new_class(ev, name, name, "__main__", bases->u.list.n ? bases->u.list.items[0] : NULL, d,
                         argsp(a, 1));
  }
  if (a->npos != 1) return eval_error(ev, a->call_span, "E0303", "type() takes 1 or 3 arguments");
  Value *x = a->pos[0];
  if (x->kind == V_INSTANCE) {
    if (x->u.inst->cls->self) return x->u.inst->cls->self;
  } else if (x->kind == V_CLASS) {
    return eval_get_global(ev, "type");
  }
  /* pymod: the built-in types by name (a stand-in object for those with no builtin) */
  return val_type_object(ev, val_type_name(x));
}

static Value *b_setattr(Eval *ev, const Args *a, void *data) {
  (void)data;
  if (a->nkw) return eval_error(ev, a->call_span, "E0303", "setattr() takes no keyword arguments");
  if (a->npos != 3) return eval_error(ev, a->call_span, "E0303", "setattr expected 3 arguments, got %d", a->npos);
  if (a->pos[1]->kind != V_STR)
    return eval_error(ev, argsp(a, 1), "E0302", "attribute name must be string, not '%s'", val_type_name(a->pos[1]));
  if (a->pos[0]->kind == V_NAMESPACE) { /* pymod: a module's attribute is its global too */
    eval_ns_setattr(ev, a->pos[0], arena_strdup(eval_arena(ev), a->pos[1]->u.str.s), a->pos[2]);
    return val_none(ev);
  }
  if (!pyc_setattr(ev, a->pos[0], a->pos[1]->u.str.s, a->pos[2], a->call_span)) {
    if (!eval_has_error(ev))
      eval_error(ev, a->call_span, "E0304", "'%s' object has no attribute '%s'", val_type_name(a->pos[0]),
                 a->pos[1]->u.str.s);
    return NULL;
  }
  return val_none(ev);
}

void pyc_install(Eval *ev) {
  Value *obj = pyc_new_class(ev, "object", "object", "builtins", NULL, NULL, SPAN_NONE);
  obj->u.cls->base = NULL;
  obj->u.cls->is_tuple = false;
  eval_set_global(ev, "object", obj);
  static const struct { const char *name; BuiltinFn fn; } tab[] = {
    {"property", b_property}, {"staticmethod", b_staticmethod}, {"classmethod", b_classmethod},
    {"super", b_super}, {"type", b_type}, {"issubclass", b_issubclass}, {"setattr", b_setattr},
  };
  for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
    eval_set_global(ev, tab[i].name, native(ev, tab[i].name, tab[i].fn, NULL));
}
