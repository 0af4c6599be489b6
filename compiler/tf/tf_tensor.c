/* The Tensor and Variable values: Python operators build graph ops, attributes
 * answer static queries (shape, dtype, name), and Python numbers and lists
 * convert to constants (convert_to_tensor). Also the TensorShape, DType and Op
 * helper objects those attributes return. */
#include <math.h>
#include <string.h>

#include "tf/tf_lib.h"
#include "slimrt_checked.h"

/* ---- small helpers ---- */

static TfLib *lib(Eval *ev) { return tf_lib(ev); }

static const char *dtname(int dt) {
  const char *s = slimrt_dtype_name(dt);
  return s ? s : "invalid";
}

/* A bound method: a Builtin whose data is the receiver. */
static Value *method(Eval *ev, const char *name, BuiltinFn fn, void *self) {
  Builtin *b = arena_alloc(eval_arena(ev), sizeof *b);
  b->name = name;
  b->fn = fn;
  b->data = self;
  return val_builtin(ev, b);
}

static bool no_args(Eval *ev, const Args *a, const char *fname) {
  if (a->npos == 0 && a->nkw == 0) return true;
  eval_error(ev, a->call_span, "E0501", "%s() takes no arguments", fname);
  return false;
}

/* ---- DType ---- */

typedef struct DTypeObj { int dtype; } DTypeObj;
static const ExtType dtype_type;

static const char *dtype_repr(Eval *ev, Value *self) {
  return arena_printf(eval_arena(ev), "tf.%s", dtname(((DTypeObj *)self->u.ext.data)->dtype));
}

static bool dtype_equal(Value *a, Value *b) {
  return ((DTypeObj *)a->u.ext.data)->dtype == ((DTypeObj *)b->u.ext.data)->dtype;
}

static Value *dtype_getattr(Eval *ev, Value *self, const char *attr, Span sp) {
  int dt = ((DTypeObj *)self->u.ext.data)->dtype;
  if (!strcmp(attr, "name")) return val_str(ev, dtname(dt));
  if (!strcmp(attr, "base_dtype") || !strcmp(attr, "real_dtype")) return self;
  if (!strcmp(attr, "is_floating"))
    return val_bool(ev, dt == SLIMRT_F32 || dt == SLIMRT_F64 || dt == SLIMRT_F16 || dt == SLIMRT_BF16);
  if (!strcmp(attr, "is_integer"))
    return val_bool(ev, dt == SLIMRT_I8 || dt == SLIMRT_I16 || dt == SLIMRT_I32 || dt == SLIMRT_I64 ||
                            dt == SLIMRT_U8 || dt == SLIMRT_U16 || dt == SLIMRT_U32 || dt == SLIMRT_U64);
  if (!strcmp(attr, "is_bool")) return val_bool(ev, dt == SLIMRT_BOOL);
  if (!strcmp(attr, "size")) return val_int(ev, slimrt_dtype_size(dt));
  return NULL;
}

static const ExtType dtype_type = {
    .name = "DType", .getattr = dtype_getattr, .repr = dtype_repr, .equal = dtype_equal};

Value *tf_dtype_value(TfLib *t, int dtype) {
  /* one value per dtype so `x.dtype is tf.float32` holds; kept in the collections dict's arena */
  char key[48];
  snprintf(key, sizeof key, "\x01dtype:%d", dtype); /* a key no model can spell */
  if (!t->collections) t->collections = val_dict(t->ev)->u.dict;
  Value *v = dict_get_str(t->collections, key);
  if (v) return v;
  DTypeObj *d = arena_alloc(t->arena, sizeof *d);
  d->dtype = dtype;
  v = val_ext(t->ev, &dtype_type, d);
  dict_set_str(t->ev, t->collections, key, v);
  return v;
}

int tf_dtype_of(Value *v) {
  if (!v) return 0;
  if (val_is_ext(v, &dtype_type)) return ((DTypeObj *)v->u.ext.data)->dtype;
  if (pymod_np_dtype_name(v)) return slimrt_dtype_from_name(pymod_np_dtype_name(v)); /* pymod: np.float32 */
  if (v->kind == V_STR) return memchr(v->u.str.s, 0, v->u.str.len) ? 0 : slimrt_dtype_from_name(v->u.str.s);
  return 0;
}

/* ---- TensorShape ---- */

typedef struct ShapeObj { GShape s; } ShapeObj;
static const ExtType shape_type;

static Value *new_shape(Eval *ev, const GShape *s) {
  ShapeObj *o = arena_alloc(eval_arena(ev), sizeof *o);
  o->s = *s;
  return val_ext(ev, &shape_type, o);
}

static Value *dim_value(Eval *ev, int64_t d) { return d < 0 ? val_none(ev) : val_int(ev, d); }

static Value *shape_as_list(Eval *ev, const Args *a, void *data) {
  if (!no_args(ev, a, "as_list")) return NULL;
  const GShape *s = &((ShapeObj *)data)->s;
  Value *l = val_list(ev, 0);
  for (int i = 0; i < s->rank; i++) val_list_append(ev, l, dim_value(ev, s->dims[i]));
  return l;
}

static Value *shape_num_elements(Eval *ev, const Args *a, void *data) {
  if (!no_args(ev, a, "num_elements")) return NULL;
  int64_t n = gshape_count(&((ShapeObj *)data)->s);
  return n < 0 ? val_none(ev) : val_int(ev, n);
}

static Value *shape_fully_defined(Eval *ev, const Args *a, void *data) {
  if (!no_args(ev, a, "is_fully_defined")) return NULL;
  return val_bool(ev, gshape_count(&((ShapeObj *)data)->s) >= 0);
}

static Value *shape_getattr(Eval *ev, Value *self, const char *attr, Span sp) {
  ShapeObj *o = self->u.ext.data;
  if (!strcmp(attr, "ndims") || !strcmp(attr, "rank")) return val_int(ev, o->s.rank);
  if (!strcmp(attr, "dims")) return shape_as_list(ev, &(Args){0}, o);
  if (!strcmp(attr, "as_list")) return method(ev, "as_list", shape_as_list, o);
  if (!strcmp(attr, "num_elements")) return method(ev, "num_elements", shape_num_elements, o);
  if (!strcmp(attr, "is_fully_defined")) return method(ev, "is_fully_defined", shape_fully_defined, o);
  return NULL;
}

/* Python's slice bounds for a sequence of length N (step != 0). */
static void slice_bounds(int64_t n, int64_t *lo, int64_t *hi, int64_t step, bool has_lo, bool has_hi) {
  if (step > 0) {
    if (!has_lo) *lo = 0;
    else if (*lo < 0) *lo = *lo + n < 0 ? 0 : *lo + n;
    else if (*lo > n) *lo = n;
    if (!has_hi) *hi = n;
    else if (*hi < 0) *hi = *hi + n < 0 ? 0 : *hi + n;
    else if (*hi > n) *hi = n;
  } else {
    if (!has_lo) *lo = n - 1;
    else if (*lo < 0) *lo = *lo + n < 0 ? -1 : *lo + n;
    else if (*lo >= n) *lo = n - 1;
    if (!has_hi) *hi = -1;
    else if (*hi < 0) *hi = *hi + n < 0 ? -1 : *hi + n;
    else if (*hi >= n) *hi = n - 1;
  }
}

static int64_t slice_count(int64_t lo, int64_t hi, int64_t step) { return slimrt_ck_span_count(lo, hi, step); }

/* Reads a slice object's fields; false with an error pending on bad types. */
static bool slice_fields(Eval *ev, Value *idx, Span sp, int64_t *lo, int64_t *hi, int64_t *step, bool *has_lo,
                         bool *has_hi) {
  SliceObj *so = idx->u.ext.data;
  *step = 1;
  *has_lo = so->lo && so->lo->kind != V_NONE;
  *has_hi = so->hi && so->hi->kind != V_NONE;
  if (*has_lo && !eval_to_int(ev, so->lo, sp, "slice start", lo)) return false;
  if (*has_hi && !eval_to_int(ev, so->hi, sp, "slice stop", hi)) return false;
  if (so->step && so->step->kind != V_NONE && !eval_to_int(ev, so->step, sp, "slice step", step)) return false;
  if (*step == 0) {
    eval_error(ev, sp, "E0502", "slice step cannot be zero");
    return false;
  }
  return true;
}

static Value *shape_index(Eval *ev, Value *self, Value *idx, Span sp) {
  const GShape *s = &((ShapeObj *)self->u.ext.data)->s;
  if (idx->kind == V_INT || idx->kind == V_BOOL) {
    int64_t i = idx->kind == V_INT ? idx->u.i : idx->u.b;
    if (i < 0) i += s->rank;
    if (i < 0 || i >= s->rank)
      return eval_error(ev, sp, "E0503", "IndexError: list index out of range (shape has %d dimensions)", s->rank);
    return dim_value(ev, s->dims[i]);
  }
  if (val_is_ext(idx, &val_slice_type)) {
    int64_t lo = 0, hi = 0, step;
    bool hl, hh;
    if (!slice_fields(ev, idx, sp, &lo, &hi, &step, &hl, &hh)) return NULL;
    slice_bounds(s->rank, &lo, &hi, step, hl, hh);
    GShape o = {.dtype = s->dtype};
    for (int64_t j = 0, k = slice_count(lo, hi, step); j < k; j++) o.dims[o.rank++] = s->dims[lo + j * step];
    return new_shape(ev, &o);
  }
  return eval_error(ev, sp, "E0503", "TensorShape indices must be integers or slices, not %s", val_type_name(idx));
}

static Value *shape_items(Eval *ev, Value *self, Span sp) {
  return shape_as_list(ev, &(Args){0}, self->u.ext.data);
}

static const char *shape_repr(Eval *ev, Value *self) {
  char buf[160];
  const GShape *s = &((ShapeObj *)self->u.ext.data)->s;
  /* str(TensorShape) in TF: "(2, 3, 4)", which is what print() shows */
  return arena_strdup(eval_arena(ev), gshape_tf_str(s, buf, sizeof buf));
}

static bool shape_equal(Value *a, Value *b) {
  const GShape *x = &((ShapeObj *)a->u.ext.data)->s, *y = &((ShapeObj *)b->u.ext.data)->s;
  if (x->rank != y->rank) return false;
  for (int i = 0; i < x->rank; i++)
    if (x->dims[i] != y->dims[i]) return false;
  return true;
}

static const ExtType shape_type = {.name = "TensorShape",
                                   .getattr = shape_getattr,
                                   .index = shape_index,
                                   .repr = shape_repr,
                                   .equal = shape_equal,
                                   .items = shape_items};

/* ---- Operation (x.op) ---- */

typedef struct OpObj { GNode *node; } OpObj;

static Value *op_getattr(Eval *ev, Value *self, const char *attr, Span sp) {
  GNode *n = ((OpObj *)self->u.ext.data)->node;
  if (!strcmp(attr, "name")) return val_str(ev, n->name);
  if (!strcmp(attr, "type")) return val_str(ev, slimrt_op_tf_type(n->op));
  if (!strcmp(attr, "inputs")) {
    Value *l = val_tuple(ev, n->nin);
    for (int i = 0; i < n->nin; i++) l->u.list.items[i] = tf_wrap(lib(ev), n->in[i]);
    return l;
  }
  if (!strcmp(attr, "outputs")) {
    Value *l = val_list(ev, 0);
    val_list_append(ev, l, tf_wrap(lib(ev), n));
    return l;
  }
  return NULL;
}

static const char *op_repr(Eval *ev, Value *self) {
  GNode *n = ((OpObj *)self->u.ext.data)->node;
  return arena_printf(eval_arena(ev), "<tf.Operation '%s' type=%s>", n->name, slimrt_op_tf_type(n->op));
}

static const ExtType op_type = {.name = "Operation", .getattr = op_getattr, .repr = op_repr};

/* ---- Tensor / Variable values ---- */

Value *tf_wrap(TfLib *t, GNode *n) {
  if (!n) return NULL;
  /* node ids restart per model graph, so a slot is only valid if it still holds N */
  while (t->node_values.n <= n->id) ptrvec_push(t->arena, &t->node_values, NULL);
  Value *v = t->node_values.items[n->id];
  if (v && ((TfTensor *)v->u.ext.data)->node == n) return v;
  TfTensor *tt = arena_alloc(t->arena, sizeof *tt);
  tt->node = n;
  tt->var = n->var;
  v = val_ext(t->ev, n->var ? &tf_variable_type : &tf_tensor_type, tt);
  tt->self = v;
  t->node_values.items[n->id] = v;
  return v;
}

Value *tf_wrap_var(TfLib *t, GVar *v) { return tf_wrap(t, v->node); }

TfTensor *tf_tensor_of(Value *v) {
  if (v && v->kind == V_EXT && (v->u.ext.type == &tf_tensor_type || v->u.ext.type == &tf_variable_type))
    return v->u.ext.data;
  return NULL;
}

/* ---- convert_to_tensor ---- */

typedef struct Flat {
  GShape shape;
  Value **items;
  int64_t n, cap;
  bool any_float, any_bool, any_other;
} Flat;

/* Walks nested lists/tuples, recording the shape of the first path and checking the rest. */
static bool flatten(TfLib *t, Value *v, int depth, Flat *f, Span sp) {
  if (v->kind == V_LIST || v->kind == V_TUPLE) {
    if (depth >= SLIMRT_MAX_RANK) {
      eval_error(t->ev, sp, "E0510", "constant has more than %d dimensions", SLIMRT_MAX_RANK);
      return false;
    }
    if (f->shape.rank == depth) {
      f->shape.rank = depth + 1;
      f->shape.dims[depth] = v->u.list.n;
    } else if (f->shape.rank < depth + 1 || f->shape.dims[depth] != v->u.list.n) {
      eval_error(t->ev, sp, "E0510",
                 "Can't convert non-rectangular Python sequence to Tensor (a list at depth %d has %d items, "
                 "expected %lld)",
                 depth, v->u.list.n, f->shape.rank > depth ? (long long)f->shape.dims[depth] : 0LL);
      return false;
    }
    for (int i = 0; i < v->u.list.n; i++)
      if (!flatten(t, v->u.list.items[i], depth + 1, f, sp)) return false;
    return true;
  }
  if (depth != f->shape.rank) {
    eval_error(t->ev, sp, "E0510", "Can't convert non-rectangular Python sequence to Tensor");
    return false;
  }
  if (v->kind == V_FLOAT) f->any_float = true;
  else if (v->kind == V_BOOL) f->any_bool = true;
  else if (v->kind != V_INT) {
    if (tf_tensor_of(v))
      eval_error(t->ev, sp, "E0510", "a list of tensors cannot be converted to a constant (use tf.stack? not "
                                     "supported; build the tensor with tf.concat)");
    else
      eval_error(t->ev, sp, "E0510", "Attempt to convert a value (%s) with an unsupported type (%s) to a Tensor.",
                 val_repr(t->ev, v), val_type_name(v));
    return false;
  }
  if (f->n == f->cap) {
    int64_t nc = f->cap ? f->cap * 2 : 16;
    f->items = arena_realloc(t->arena, f->items, sizeof *f->items * (size_t)f->cap, sizeof *f->items * (size_t)nc);
    f->cap = nc;
  }
  f->items[f->n++] = v;
  return true;
}

static void store_elem(void *data, int64_t i, int dt, double d, int64_t k) {
  switch (dt) {
  case SLIMRT_F32: ((float *)data)[i] = (float)d; break;
  case SLIMRT_F64: ((double *)data)[i] = d; break;
  case SLIMRT_I32: ((int32_t *)data)[i] = (int32_t)k; break;
  case SLIMRT_I64: ((int64_t *)data)[i] = k; break;
  case SLIMRT_U8: ((uint8_t *)data)[i] = (uint8_t)k; break;
  case SLIMRT_I8: ((int8_t *)data)[i] = (int8_t)k; break;
  case SLIMRT_I16: ((int16_t *)data)[i] = (int16_t)k; break;
  case SLIMRT_BOOL: ((uint8_t *)data)[i] = k != 0; break;
  default: break;
  }
}

static bool int_fits(int dt, int64_t k) {
  switch (dt) {
  case SLIMRT_I32: return k >= INT32_MIN && k <= INT32_MAX;
  case SLIMRT_U8: return k >= 0 && k <= 255;
  case SLIMRT_I8: return k >= -128 && k <= 127;
  case SLIMRT_I16: return k >= -32768 && k <= 32767;
  default: return true;
  }
}

GNode *tf_to_node(TfLib *t, Value *v, int dtype_hint, Span sp) {
  if (!v) {
    eval_error(t->ev, sp, "E0303", "missing required tensor argument");
    return NULL;
  }
  TfTensor *tt = tf_tensor_of(v);
  if (tt) {
    if (dtype_hint > 0 && tt->node->shape.dtype != dtype_hint) {
      eval_error(t->ev, sp, "E0511", "Tensor conversion requested dtype %s for Tensor with dtype %s: %s",
                 dtname(dtype_hint), dtname(tt->node->shape.dtype), val_repr(t->ev, v));
      return NULL;
    }
    return tt->node;
  }
  return tf_const_values(t, v, dtype_hint, NULL, sp);
}

/* A CONST node from a Python number or nested list (NAME: op name, NULL for "Const"). */
GNode *tf_const_values(TfLib *t, Value *v, int dtype_hint, const char *name, Span sp) {
  Flat f = {0};
  if (!flatten(t, v, 0, &f, sp)) return NULL;
  int dt = dtype_hint > 0 ? dtype_hint : f.any_float ? SLIMRT_F32 : f.any_bool && f.n ? SLIMRT_BOOL : SLIMRT_I32;
  if (f.n == 0 && dtype_hint <= 0) dt = SLIMRT_F32; /* TF: an empty list is float32 */
  int size = slimrt_dtype_size(dt);
  if (size == 0 || dt == SLIMRT_F16 || dt == SLIMRT_BF16 || dt == SLIMRT_U16 || dt == SLIMRT_U32 ||
      dt == SLIMRT_U64) {
    eval_error(t->ev, sp, "E0512", "constants of dtype %s are not supported", dtname(dt));
    return NULL;
  }
  bool is_f = dt == SLIMRT_F32 || dt == SLIMRT_F64;
  void *data = arena_alloc(t->arena, (size_t)size * (size_t)(f.n ? f.n : 1));
  for (int64_t i = 0; i < f.n; i++) {
    Value *e = f.items[i];
    double d = e->kind == V_FLOAT ? e->u.f : e->kind == V_INT ? (double)e->u.i : (double)e->u.b;
    int64_t k = e->kind == V_INT ? e->u.i : e->kind == V_BOOL ? e->u.b : 0;
    if (!is_f && e->kind == V_FLOAT) {
      /* TF refuses to truncate: tf.constant(0.5, tf.int32) and u8_tensor - 0.5 are errors */
      eval_error(t->ev, sp, "E0513", "TypeError: Expected %s, got %s of type 'float' instead.", dtname(dt),
                 val_repr(t->ev, e));
      return NULL;
    }
    if (!is_f && !int_fits(dt, k)) {
      eval_error(t->ev, sp, "E0513", "Value %lld is out of range for dtype %s", (long long)k, dtname(dt));
      return NULL;
    }
    store_elem(data, i, dt, d, k);
  }
  f.shape.dtype = dt;
  /* tf.constant makes its op without a name scope: Graph.create_op checks the node name */
  const char *full = tf_op_name(t, name, "Const");
  if (name && name[0] && !tf_scope_name_valid(full, true) /* a node name: the root pattern */) {
    eval_error(t->ev, sp, "E0706", "`%s` is not a valid node name. Accepted names conform to Regex "
                      "/re.compile('^[A-Za-z0-9.][A-Za-z0-9_.\\\\\\\\/>-]*$')/", full);
    return NULL;
  }
  return graph_const(t->graph, full, f.shape, data, sp);
}

/* TF refuses a Python float for an integer (or bool) input. The message is op_def_library's
   when the op is named (OP_TYPE, its input PARAM), else convert_to_tensor's (a reflected
   operator: 0.5 - u8_tensor). False with the error pending. */
bool tf_py_has_float(Value *v) {
  if (v->kind == V_FLOAT) return true;
  if (v->kind == V_LIST || v->kind == V_TUPLE)
    for (int i = 0; i < v->u.list.n; i++)
      if (tf_py_has_float(v->u.list.items[i])) return true;
  return false;
}

static Value *first_float(Value *v) {
  if (v->kind == V_FLOAT) return v;
  if (v->kind == V_LIST || v->kind == V_TUPLE)
    for (int i = 0; i < v->u.list.n; i++) {
      Value *f = first_float(v->u.list.items[i]);
      if (f) return f;
    }
  return NULL;
}

bool tf_py_operand_ok(TfLib *t, Value *v, int dt, const char *param, const char *op_type, Span sp) {
  if (tf_tensor_of(v) || dt <= 0 || dt == SLIMRT_F32 || dt == SLIMRT_F64 || dt == SLIMRT_F16 || dt == SLIMRT_BF16 ||
      !tf_py_has_float(v))
    return true;
  const char *f = val_repr(t->ev, first_float(v)), *d = dtname(dt);
  if (op_type)
    eval_error(t->ev, sp, "E0513", "TypeError: Expected %s passed to parameter '%s' of op '%s', got %s of type "
               "'float' instead. Error: Expected %s, but got %s of type 'float'.", d, param, op_type,
               val_repr(t->ev, v), d, f);
  else
    eval_error(t->ev, sp, "E0513", "TypeError: Expected %s, but got %s of type 'float'.", d, f);
  return false;
}

/* ---- generated ops: Python operands converted as TF's op_def_library does ---- */

/* A generated TF op as TF's op_def_library builds it: under a name scope NAME (or DFLT), the
   Python operands become constants named after their input (ARGNAMES), converted in input
   order: an input of fixed dtype (FIXED[i] > 0, e.g. bool) takes it, the others share one
   dtype, HINT if > 0 (the operator overloads pass the tensor operand's), else that of the
   first tensor or constant before it. The op takes the scope's name. */
GNode *tf_gen_op(TfLib *t, int op, const char *name, const char *dflt, Value **args, const char *const *argnames,
                 const int *fixed, int nargs, int hint, Span sp) {
  GNode *in[4];
  int shared = hint;
  for (int i = 0; i < nargs && !shared; i++) {
    TfTensor *tt = tf_tensor_of(args[i]);
    if (tt && !(fixed && fixed[i] > 0)) shared = tt->node->shape.dtype;
    if (!tt && !(fixed && fixed[i] > 0)) break; /* a Python value first: its own dtype */
  }
  if (!tf_ns_name_ok(t, name, sp)) return NULL;
  const char *saved = tf_ns_open(t, name, dflt);
  const char *scope = t->name_stack;
  GNode *n = NULL;
  for (int i = 0; i < nargs; i++) {
    int dt = fixed && fixed[i] > 0 ? fixed[i] : shared;
    if (!args[i]) {
      eval_error(t->ev, sp, "E0641", "%s is required", argnames[i]);
      goto out;
    }
    if (!tf_py_operand_ok(t, args[i], dt, argnames[i], slimrt_op_tf_type(op), sp)) goto out;
    in[i] = tf_tensor_of(args[i]) ? tf_tensor_of(args[i])->node : tf_const_values(t, args[i], dt, argnames[i], sp);
    if (!in[i]) goto out;
    if (!(fixed && fixed[i] > 0) && !shared) shared = in[i]->shape.dtype;
  }
  n = tf_build(t, op, arena_printf(t->arena, "%s/", scope), dflt, in, nargs, NULL, sp);
out:
  tf_ns_restore(t, saved);
  return n;
}

/* TF's truediv table: the dtype integer operands are cast to (0: none, -1: refused). */
static int truediv_dtype(int dt) {
  switch (dt) {
  case SLIMRT_U8: case SLIMRT_I8: case SLIMRT_U16: case SLIMRT_I16: return SLIMRT_F32;
  case SLIMRT_U32: case SLIMRT_I32: case SLIMRT_U64: case SLIMRT_I64: return SLIMRT_F64;
  case SLIMRT_BOOL: case SLIMRT_STRING: return -1;
  default: return 0;
  }
}

/* Would converting the Python value V to the integer dtype DT fail (a float in it)? */
static bool tf_truediv_dtype_soft(Value *v, int dt) {
  return dt > 0 && truediv_dtype(dt) != 0 && tf_py_has_float(v);
}

bool tf_truediv_casts(Value *x, Value *y) {
  TfTensor *tx = tf_tensor_of(x), *ty = tf_tensor_of(y);
  if (tx && ty && tx->node->shape.dtype != ty->node->shape.dtype) return true; /* truediv's dtype error */
  int dt = tx ? tx->node->shape.dtype : ty ? ty->node->shape.dtype : 0;
  return truediv_dtype(dt) != 0;
}

/* x / y of integer (or bool) operands as TF's truediv: under the scope "truediv" (or NAME), both
   are cast to float32 (8- and 16-bit) or float64 (32- and 64-bit) ("Cast", "Cast_1"), then
   divided ("RealDiv" named after the scope). HINT as for tf_gen_op. */
GNode *tf_truediv(TfLib *t, Value *x, Value *y, const char *name, int hint, Span sp) {
  Value *args[2] = {x, y};
  static const char *const names[2] = {"x", "y"};
  GNode *in[2], *n = NULL;
  int shared = hint;
  if (!shared) shared = tf_tensor_of(x) ? tf_tensor_of(x)->node->shape.dtype : 0;
  if (!tf_ns_name_ok(t, name, sp)) return NULL;
  const char *saved = tf_ns_open(t, name, "truediv");
  const char *scope = t->name_stack;
  for (int i = 0; i < 2; i++) {
    int dt = shared;
    /* x / 0.5 converts 0.5 with x's dtype only as a hint (then the dtypes differ);
       0.5 / x converts it to x's dtype or fails */
    if (i == 1 && !tf_tensor_of(args[i]) && tf_truediv_dtype_soft(args[i], dt)) dt = 0;
    if (i == 0 && !tf_py_operand_ok(t, args[i], dt, "x", NULL, sp)) goto out;
    in[i] = tf_tensor_of(args[i]) ? tf_tensor_of(args[i])->node : tf_const_values(t, args[i], dt, names[i], sp);
    if (!in[i]) goto out;
    if (!shared) shared = in[i]->shape.dtype;
  }
  if (in[0]->shape.dtype != in[1]->shape.dtype) {
    eval_error(t->ev, sp, "E0511", "`x` and `y` must have the same dtype, got tf.%s != tf.%s.",
               slimrt_dtype_name(in[0]->shape.dtype), slimrt_dtype_name(in[1]->shape.dtype));
    goto out;
  }
  int to = truediv_dtype(in[0]->shape.dtype);
  if (to < 0) {
    eval_error(t->ev, sp, "E0511", "TypeError: Invalid dtype tf.%s in __truediv__",
               slimrt_dtype_name(in[0]->shape.dtype));
    goto out;
  }
  if (to > 0) {
    for (int i = 0; i < 2; i++)
      if (!(in[i] = tf_cast(t, in[i], to, "Cast", sp))) goto out;
  }
  n = tf_build(t, SLIMRT_OP_DIV, arena_printf(t->arena, "%s/", scope), "truediv", in, 2, NULL, sp);
out:
  tf_ns_restore(t, saved);
  return n;
}

/* ---- operators ---- */

/* The graph op of a Python operator; its default name is the op table's. */
static int binop_info(AstOp op, const char **dflt) {
  int g;
  switch (op) {
  case OP_ADD: g = SLIMRT_OP_ADD; break;
  case OP_SUB: g = SLIMRT_OP_SUB; break;
  case OP_MUL: g = SLIMRT_OP_MUL; break;
  case OP_DIV: g = SLIMRT_OP_DIV; break;
  case OP_POW: g = SLIMRT_OP_POW; break;
  case OP_MATMUL: g = SLIMRT_OP_MATMUL; break;
  default: return -1;
  }
  *dflt = slimrt_op_default_name(g);
  return g;
}

/* A comparison operator's op; REFLECTED: the op that `r OP l` becomes (Python calls the
   tensor's reflected method: 2 < x is x.__gt__(2), tf.greater(x, 2)). */
static int compare_op(AstOp op, bool reflected) {
  switch (op) {
  case OP_LT: return reflected ? SLIMRT_OP_GREATER : SLIMRT_OP_LESS;
  case OP_LE: return reflected ? SLIMRT_OP_GREATER_EQUAL : SLIMRT_OP_LESS_EQUAL;
  case OP_GT: return reflected ? SLIMRT_OP_LESS : SLIMRT_OP_GREATER;
  case OP_GE: return reflected ? SLIMRT_OP_LESS_EQUAL : SLIMRT_OP_GREATER_EQUAL;
  default: return -1;
  }
}

static Value *tensor_binop(Eval *ev, AstOp op, Value *l, Value *r, Span sp) {
  TfLib *t = lib(ev);
  const char *dflt = NULL;
  TfTensor *tl = tf_tensor_of(l), *tr = tf_tensor_of(r);
  /* the Python operand takes the tensor's dtype, as TF's operator overloads convert it */
  int hint = tl ? tl->node->shape.dtype : tr->node->shape.dtype;
  static const char *const xy[2] = {"x", "y"};
  int cmp = compare_op(op, !tl);
  if (cmp >= 0) {
    /* Tensor.__lt__ & co. are the generated ops: Less(x, Less/y) */
    Value *args[2] = {tl ? l : r, tl ? r : l};
    GNode *n = tf_gen_op(t, cmp, NULL, slimrt_op_tf_type(cmp), args, xy, NULL, 2, hint, sp);
    return n ? tf_wrap(t, n) : NULL;
  }
  if (op == OP_FLOORDIV) {
    Value *args[2] = {l, r};
    GNode *n = tf_gen_op(t, SLIMRT_OP_FLOOR_DIV, NULL, "floordiv", args, xy, NULL, 2, hint, sp);
    return n ? tf_wrap(t, n) : NULL;
  }
  if (op == OP_DIV && tf_truediv_casts(l, r)) {
    GNode *n = tf_truediv(t, l, r, NULL, hint, sp);
    return n ? tf_wrap(t, n) : NULL;
  }
  int gop = binop_info(op, &dflt);
  if (gop < 0) {
    if (op == OP_EQ || op == OP_NE || op == OP_IS || op == OP_IS_NOT || op == OP_IN || op == OP_NOT_IN)
      return NULL; /* identity semantics (TF 1.x's Tensor.__eq__), handled by the core */
    return eval_error(ev, sp, "E0520", "unsupported operand type(s) for %s: '%s' and '%s' (no such tensor op)",
                      ast_op_name(op), val_type_name(l), val_type_name(r));
  }
  if (gop != SLIMRT_OP_MATMUL &&
      (!tf_py_operand_ok(t, l, hint, "x", NULL, sp) || !tf_py_operand_ok(t, r, hint, "y", slimrt_op_tf_type(gop), sp)))
    return NULL;
  GNode *a = tf_to_node(t, l, tl ? 0 : hint, sp);
  if (!a) return NULL;
  GNode *b = tf_to_node(t, r, tr ? 0 : hint, sp);
  if (!b) return NULL;
  GNode *n = gop == SLIMRT_OP_MATMUL ? tf_matmul(t, a, b, false, false, NULL, sp) : tf_binary(t, gop, a, b, NULL, sp);
  (void)dflt;
  return n ? tf_wrap(t, n) : NULL;
}

static Value *tensor_unop(Eval *ev, AstOp op, Value *self, Span sp) {
  TfLib *t = lib(ev);
  TfTensor *tt = tf_tensor_of(self);
  if (op == OP_POS) return self;
  if (op == OP_NEG) {
    GNode *n = tf_unary(t, SLIMRT_OP_NEG, tt->node, NULL, sp);
    return n ? tf_wrap(t, n) : NULL;
  }
  if (op == OP_INVERT && tt->node->shape.dtype == SLIMRT_BOOL) { /* TF: ~c is tf.logical_not(c) */
    GNode *n = tf_unary(t, SLIMRT_OP_LOGICAL_NOT, tt->node, slimrt_op_tf_type(SLIMRT_OP_LOGICAL_NOT), sp);
    return n ? tf_wrap(t, n) : NULL;
  }
  if (op == OP_INVERT) {
    int dt = tt->node->shape.dtype;
    if (dt == SLIMRT_F32 || dt == SLIMRT_F64 || dt == SLIMRT_F16 || dt == SLIMRT_BF16)
      return eval_error(ev, sp, "E0520", "Value passed to parameter 'x' has DataType %s not in list of allowed "
                        "values: int8, int16, int32, int64, uint8, uint16, uint32, uint64", dtname(dt));
    return eval_error(ev, sp, "E0520", "~ on a %s tensor (TF's bitwise Invert) is not supported", dtname(dt));
  }
  return eval_error(ev, sp, "E0520", "bad operand type for unary %s: 'Tensor'", ast_op_name(op));
}

static int tensor_truthy(Eval *ev, Value *self, Span sp) {
  eval_error(ev, sp, "E0521",
             "using a tf.Tensor as a Python bool is not allowed. Use `if t is not None:` instead of `if t:` to test "
             "if a tensor is defined; the value of a tensor is not known at compile time");
  return -1;
}

/* One component of an index: an int (shrinks), a slice, or None (new axis). */
typedef struct IndexPart { int kind; int64_t v; Value *slice; } IndexPart; /* 0 int, 1 slice, 2 newaxis */

static Value *tensor_index(Eval *ev, Value *self, Value *idx, Span sp) {
  TfLib *t = lib(ev);
  GNode *x = tf_tensor_of(self)->node;
  const GShape *xs = &x->shape;
  IndexPart parts[SLIMRT_MAX_RANK * 2];
  int np = 0;
  Value **items = &idx;
  int nitems = 1;
  if (idx->kind == V_TUPLE) {
    items = idx->u.list.items;
    nitems = idx->u.list.n;
  }
  if (nitems > SLIMRT_MAX_RANK * 2) return eval_error(ev, sp, "E0522", "too many indices for tensor");
  int used_dims = 0;
  for (int i = 0; i < nitems; i++) {
    Value *it = items[i];
    if (it->kind == V_INT || it->kind == V_BOOL) {
      parts[np++] = (IndexPart){0, it->kind == V_INT ? it->u.i : it->u.b, NULL};
      used_dims++;
    } else if (val_is_ext(it, &val_slice_type)) {
      parts[np++] = (IndexPart){1, 0, it};
      used_dims++;
    } else if (it->kind == V_NONE) {
      parts[np++] = (IndexPart){2, 0, NULL};
    } else if (tf_tensor_of(it)) {
      return eval_error(ev, sp, "E0522", "indexing with a tensor is not supported: indices must be compile-time "
                                         "integers or slices");
    } else {
      return eval_error(ev, sp, "E0522", "Only integers, slices (`:`) and None (tf.newaxis) are valid indices, got %s",
                        val_type_name(it));
    }
  }
  if (used_dims > xs->rank)
    return eval_error(ev, sp, "E0522", "Index out of range: %d indices for a tensor of rank %d", used_dims,
                      xs->rank);
  slimrt_attr a = {0};
  GShape out = {.dtype = xs->dtype};
  bool newaxis = false;
  int d = 0;
  for (int p = 0; p < np || d < xs->rank; p++) {
    if (p >= np) { /* remaining dimensions are taken whole */
      a.slice.begin[d] = 0;
      a.slice.stride[d] = 1;
      a.slice.count[d] = xs->dims[d];
      out.dims[out.rank++] = xs->dims[d];
      d++;
      continue;
    }
    int64_t n = xs->dims[d < xs->rank ? d : 0];
    if (parts[p].kind == 2) {
      newaxis = true;
      continue;
    }
    if (n < 0) {
      /* the '?' batch: taken whole (`:`), as each item runs on its own */
      int64_t lo = 0, hi = 0, step = 1;
      bool hl = false, hh = false;
      if (parts[p].kind == 1 && !slice_fields(ev, parts[p].slice, sp, &lo, &hi, &step, &hl, &hh)) return NULL;
      if (parts[p].kind != 1 || hl || hh || step != 1)
        return eval_error(ev, sp, "E0522", "cannot index dimension %d of unknown size (the '?' batch): only `:` "
                          "takes it, whole", d);
      a.slice.begin[d] = 0;
      a.slice.stride[d] = 1;
      a.slice.count[d] = -1;
      out.dims[out.rank++] = -1;
      d++;
      continue;
    }
    if (parts[p].kind == 0) {
      int64_t i = parts[p].v;
      if (i < -n || i >= n)
        return eval_error(ev, sp, "E0522", "slice index %lld of dimension %d out of bounds.", (long long)i, d);
      a.slice.begin[d] = i < 0 ? i + n : i;
      a.slice.stride[d] = 1;
      a.slice.count[d] = 1;
    } else {
      int64_t lo = 0, hi = 0, step;
      bool hl, hh;
      if (!slice_fields(ev, parts[p].slice, sp, &lo, &hi, &step, &hl, &hh)) return NULL;
      slice_bounds(n, &lo, &hi, step, hl, hh);
      int64_t k = slice_count(lo, hi, step);
      a.slice.begin[d] = k ? lo : 0;
      a.slice.stride[d] = step;
      a.slice.count[d] = k;
      out.dims[out.rank++] = k;
    }
    d++;
  }
  GNode *s = tf_build_shaped(t, SLIMRT_OP_SLICE, NULL, "strided_slice", &x, 1, &a, out, sp);
  if (!s) return NULL;
  if (newaxis) {
    /* tf.newaxis inserts size-1 dimensions: one reshape after the slice */
    GShape r = {.dtype = xs->dtype};
    int k = 0;
    for (int p = 0; p < np; p++) {
      if (parts[p].kind == 2) r.dims[r.rank++] = 1;
      else if (parts[p].kind == 1) r.dims[r.rank++] = out.dims[k++];
    }
    while (k < out.rank) r.dims[r.rank++] = out.dims[k++];
    if (r.rank > SLIMRT_MAX_RANK) return eval_error(ev, sp, "E0522", "too many dimensions after tf.newaxis");
    s = tf_reshape(t, s, r.dims, r.rank, NULL, sp);
    if (!s) return NULL;
  }
  return tf_wrap(t, s);
}

static Value *get_shape_m(Eval *ev, const Args *a, void *data) {
  if (!no_args(ev, a, "get_shape")) return NULL;
  return new_shape(ev, &((TfTensor *)data)->node->shape);
}

static Value *read_value_m(Eval *ev, const Args *a, void *data) {
  if (!no_args(ev, a, "value")) return NULL;
  return ((TfTensor *)data)->self;
}

static Value *tensor_getattr(Eval *ev, Value *self, const char *attr, Span sp) {
  TfLib *t = lib(ev);
  TfTensor *tt = self->u.ext.data;
  GNode *n = tt->node;
  if (!strcmp(attr, "shape")) return new_shape(ev, &n->shape);
  if (!strcmp(attr, "get_shape")) return method(ev, "get_shape", get_shape_m, tt);
  if (!strcmp(attr, "dtype")) return tf_dtype_value(t, n->shape.dtype);
  if (!strcmp(attr, "name")) return val_strf(ev, "%s:0", n->name);
  if (!strcmp(attr, "op")) {
    OpObj *o = arena_alloc(t->arena, sizeof *o);
    o->node = n;
    return val_ext(ev, &op_type, o);
  }
  if (!strcmp(attr, "value_index")) return val_int(ev, 0);
  if (!strcmp(attr, "device")) return val_str(ev, tt->var && tt->var->device ? tt->var->device : "");
  if (tt->var) {
    if (!strcmp(attr, "value") || !strcmp(attr, "read_value")) return method(ev, attr, read_value_m, tt);
    if (!strcmp(attr, "trainable")) return val_bool(ev, tt->var->trainable);
  }
  return NULL;
}

static const char *tensor_repr(Eval *ev, Value *self) {
  TfTensor *tt = self->u.ext.data;
  char buf[160];
  gshape_tf_str(&tt->node->shape, buf, sizeof buf);
  if (tt->var)
    return arena_printf(eval_arena(ev), "<tf.Variable '%s:0' shape=%s dtype=%s_ref>", tt->var->name, buf,
                        dtname(tt->node->shape.dtype));
  return arena_printf(eval_arena(ev), "<tf.Tensor '%s:0' shape=%s dtype=%s>", tt->node->name, buf,
                      dtname(tt->node->shape.dtype));
}

/* str(tensor) is TF's Tensor.__str__: Tensor("flat:0", shape=(2, 12), dtype=float32);
   a variable's str() is its repr, as for TF's RefVariable */
static const char *tensor_str(Eval *ev, Value *self) {
  TfTensor *tt = self->u.ext.data;
  if (tt->var) return tensor_repr(ev, self);
  char buf[160];
  gshape_tf_str(&tt->node->shape, buf, sizeof buf);
  return arena_printf(eval_arena(ev), "Tensor(\"%s:0\", shape=%s, dtype=%s)", tt->node->name, buf,
                      dtname(tt->node->shape.dtype));
}

static Value *tensor_items(Eval *ev, Value *self, Span sp) {
  return eval_error(ev, sp, "E0523", "Tensor objects are only iterable when eager execution is enabled. To iterate "
                                     "over this tensor use tf.map_fn.");
}

/* Variables behave as tensors; only the type name in messages differs. */
#define TENSOR_HOOKS                                                                          \
  .getattr = tensor_getattr, .binop = tensor_binop, .unop = tensor_unop, .index = tensor_index, \
  .truthy = tensor_truthy, .repr = tensor_repr, .str = tensor_str, .items = tensor_items

const ExtType tf_tensor_type = {.name = "Tensor", TENSOR_HOOKS};
const ExtType tf_variable_type = {.name = "Variable", TENSOR_HOOKS};
