/* The TF / TF-Slim library's state (TfLib, owned by tf_lib.c) and the internal interface
 * between its parts, listed from the top down: a part calls only parts below it
 * (docs/tf-semantics.md, "Files"):
 *   tf.c          tf_install: namespaces (tensorflow, tf_slim, ...), each part's register, globals
 *   tf_model.c    the model hooks: a fresh graph per model, inputs, outputs
 *   tf_layers.c   TF-Slim layers, repeat, stack
 *   tf_ema.c      ExponentialMovingAverage, restore(mapping), the restore map
 *   tf_vars.c     variable store, get_variable / Variable / slim variables, collections, queries
 *   tf_argscope.c arg_scope, add_arg_scope
 *   tf_ops.c      tf.* / tf.nn.* ops, initializer and regularizer objects
 *   tf_image.c    image_input()
 *   tf_print.c    --print-variables / -collection / -restore-map / -signature
 *   tf_tensor.c   the Tensor value type: arithmetic, attributes, conversion, dtypes
 *   tf_build.c    graph builders: GNode in, GNode out, under TF's op names
 *   tf_scope.c    variable scopes, name scopes, Graph.unique_name, default-name counters
 *   tf_lib.c      tf_lib: the TfLib of an Eval (calls no other part)
 * Not for use outside compiler/tf/. */
#ifndef SLIMC_TF_LIB_H
#define SLIMC_TF_LIB_H
#include "tf/tf.h"

typedef struct TfScope TfScope;     /* variable scope (tf_scope.c) */
typedef struct TfVarStore TfVarStore;

/* A tensor value: a graph node, or a variable (var != NULL; node is its VARIABLE op). */
typedef struct TfTensor {
  GNode *node;
  GVar *var;
  Value *self;                      /* the unique Value wrapping this tensor */
  PtrVec collections;               /* const char* keys holding this value (variables) */
} TfTensor;

/* Opaque recorded objects: initializers and regularizers (tf_ops.c). */
typedef struct TfInit { GInit init; const char *name; } TfInit;
typedef struct TfRegularizer {
  int kind;                         /* 0 l1, 1 l2, 2 l1_l2, 3 sum */
  double l1, l2;
  const char *op_name;              /* "l2_regularizer" ... */
  PtrVec parts;                     /* sum_regularizer: TfRegularizer* */
} TfRegularizer;

struct TfLib {
  Eval *ev;
  Arena *arena;
  Graph *graph;                     /* the current model's graph (fresh per model) */
  TfScope *var_scope;               /* current variable scope (tf_scope.c) */
  const char *name_stack;           /* current name scope, "" at root */
  struct TfNameCounts *names;       /* Graph.unique_name state (tf_scope.c) */
  struct TfScopeCounts *scope_counts; /* default-name counters (tf_scope.c) */
  TfVarStore *store;                /* tf_vars.c */
  Dict *collections;                /* key -> V_LIST of values, insertion ordered */
  PtrVec arg_scopes;                /* stack of Dict* (tf_argscope.c) */
  Value *restore_override;          /* restore(mapping) of the model, or NULL */
  bool restore_ema;                 /* --restore-ema */
  Value *model_result;
  Span model_span;
  const char *device;               /* current device scope or NULL */
  PtrVec argscope_srcs;             /* TfArgSrc*: where arg_scope kwargs came from (tf_argscope.c) */
  PtrVec argscope_keys;             /* op identities in order of first use (tf_argscope.c) */
  PtrVec node_values;               /* Value* by GNode id, the one Value per node (tf_tensor.c) */
  PtrVec restore_pins;              /* pairs (GNode *user, GNode *var): TF's graph reads VAR where
                                       slimc's computes USER without it (training batch_norm), so
                                       the default restore map needs VAR when USER is needed */
};

/* tf_scope.c: Graph.name_scope's check of NAME (TF's text, E0706); tf_ns_name_ok checks a
   name about to be opened with tf_ns_open (at the root when no name scope is open). */
bool tf_scope_name_ok(TfLib *t, const char *name, bool root, Span sp);
bool tf_scope_name_valid(const char *name, bool root);   /* the same test, no error */
bool tf_ns_name_ok(TfLib *t, const char *name, Span sp);

extern const ExtType tf_tensor_type;     /* plain tensors */
extern const ExtType tf_variable_type;   /* variables (also tensors) */

/* tf_lib.c */
TfLib *tf_lib(Eval *ev);                 /* the TfLib installed in EV */

/* tf_tensor.c */
Value *tf_wrap(TfLib *t, GNode *n);      /* the Value of N (one per node) */
Value *tf_wrap_var(TfLib *t, GVar *v);   /* the Value of a variable */
TfTensor *tf_tensor_of(Value *v);        /* NULL if V is not a tensor or variable */
/* convert_to_tensor: tensors pass through; numbers and (nested) lists become CONST
   nodes (dtype from DTYPE_HINT if > 0, else int32 for ints, float32 for floats).
   NULL with an error pending on failure. */
GNode *tf_to_node(TfLib *t, Value *v, int dtype_hint, Span sp);
/* TF's TypeError for a Python float given to an integer input (op_def_library's text naming
   PARAM of OP_TYPE, or convert_to_tensor's if OP_TYPE is NULL); true if V is fine. */
bool tf_py_operand_ok(TfLib *t, Value *v, int dt, const char *param, const char *op_type, Span sp);
bool tf_py_has_float(Value *v); /* a Python float, or a (nested) list holding one */
/* tf.float32 etc.: the DType value of DTYPE (one per dtype and TfLib). */
Value *tf_dtype_value(TfLib *t, int dtype);
/* A dtype argument: DType value or TF name string ("float32"); 0 (no error) if V is neither. */
int tf_dtype_of(Value *v);
/* A CONST node from a Python number or nested list, named tf_op_name(NAME, "Const"). */
GNode *tf_const_values(TfLib *t, Value *v, int dtype_hint, const char *name, Span sp);
/* tf_ops.c: slim's initializers (xavier, slim's variance_scaling) and the regularizers on slim. */
void tf_ops_register_slim(TfLib *t, Value *slim_ns);

/* tf_scope.c */
/* Graph.unique_name(name) under the current name scope (mark_as_used=True). */
const char *tf_unique_name(TfLib *t, const char *name);
/* The full op name for an op whose default name is DEFAULT ("Conv2D"), or NAME if given. */
const char *tf_op_name(TfLib *t, const char *name, const char *dflt);
const char *tf_var_scope_name(TfLib *t); /* current variable scope name, "" at root */

/* tf_build.c: adds op OP (inputs IN, attributes ATTR or NULL) named tf_node_name(NAME, DFLT);
   shape errors become diagnostics at SP naming the op. Returns the node or NULL. */
GNode *tf_build(TfLib *t, int op, const char *name, const char *dflt, GNode **in, int nin,
                const slimrt_attr *attr, Span sp);
/* Builders used by both the tf.nn ops and the slim layers (NULL on error). */
GNode *tf_conv2d(TfLib *t, GNode *x, GNode *w, const int64_t strides[2], const int64_t rates[2],
                 const char *padding, const char *name, Span sp);
/* The op whose API column (slimrt_ops.def) lists API ("nn.softmax"; "add" for tf.add);
   -1 if none. How the library's own layers name the ops they compose. */
int tf_api_op(const char *api);
/* Calls FN for each name of the API column of every op: NS[0..NSLEN) its namespace ("nn";
   empty: tf itself), NAME[0..LEN) the name (tf_build.c; tf_ops.c registers them). */
void tf_each_api_name(void (*fn)(void *ctx, int op, const char *ns, size_t nslen, const char *name, size_t len),
                      void *ctx);
GNode *tf_depthwise_conv2d(TfLib *t, GNode *x, GNode *w, const int64_t strides[2], const int64_t rates[2],
                           const char *padding, const char *name, Span sp);
GNode *tf_pool(TfLib *t, int op, GNode *x, const int64_t ksize[2], const int64_t strides[2],
               const char *padding, const char *name, Span sp);
GNode *tf_matmul(TfLib *t, GNode *a, GNode *b, bool ta, bool tb, const char *name, Span sp);
GNode *tf_binary(TfLib *t, int op, GNode *a, GNode *b, const char *name, Span sp);
GNode *tf_unary(TfLib *t, int op, GNode *x, const char *name, Span sp);
GNode *tf_reshape(TfLib *t, GNode *x, const int64_t *dims, int rank, const char *name, Span sp);
/* Like tf_build with a requested output (see graph_op_shaped): reshape, cast, slice. */
GNode *tf_build_shaped(TfLib *t, int op, const char *name, const char *dflt, GNode **in, int nin,
                       const slimrt_attr *attr, GShape out, Span sp);
GNode *tf_cast(TfLib *t, GNode *x, int dtype, const char *name, Span sp);
/* A new node's name: NAME verbatim if it ends in '/' (a name scope's own name), else
   tf_op_name(NAME, DFLT). */
const char *tf_node_name(TfLib *t, const char *name, const char *dflt);
/* tf_tensor.c: a generated op (Less, LogicalAnd, Select, FloorDiv, ...) as TF's op_def_library builds it:
   Python operands become constants named after their input (ARGNAMES) inside the op's name
   scope; FIXED (or NULL) gives inputs of a fixed dtype; HINT > 0: the dtype of the others. */
GNode *tf_gen_op(TfLib *t, int op, const char *name, const char *dflt, Value **args, const char *const *argnames,
                 const int *fixed, int nargs, int hint, Span sp);
/* Does X / Y cast its operands (integer or bool tensors: TF's truediv table)? */
bool tf_truediv_casts(Value *x, Value *y);
/* TF's truediv of integer operands: "truediv/Cast", "truediv/Cast_1" to float32/float64, RealDiv. */
GNode *tf_truediv(TfLib *t, Value *x, Value *y, const char *name, int hint, Span sp);
/* tf_ops.c: applies an activation given as a value (tf.nn.relu builtin, a user function, None). */
Value *tf_apply_fn(TfLib *t, Value *fn, Value *x, Span sp);
/* Initializer / regularizer objects (values of ExtType "Initializer"/"Regularizer"). */
TfInit *tf_init_of(Value *v);
TfRegularizer *tf_regularizer_of(Value *v);

/* tf_vars.c: the one path that creates variables (get_variable semantics with reuse). */
typedef struct TfVarRequest {
  const char *name;                 /* relative to the current variable scope */
  GShape shape;                     /* rank -1: unknown (reuse only) */
  bool has_shape;
  int dtype;
  Value *initializer;               /* None/NULL: TF's default */
  Value *regularizer;
  const char *reg_name;             /* regularizer op base name (e.g. "kernel") or NULL: variable name */
  bool trainable;
  Value *collections;               /* list of keys or NULL (defaults) */
  bool model_variable;              /* slim.model_variable: add GLOBAL + MODEL */
  const char *device;
  Span sp;
  const GInit *default_init;        /* used when initializer is NULL (absent); NULL: TF's default */
} TfVarRequest;
Value *tf_get_variable(TfLib *t, const TfVarRequest *r);
/* The arg_scopes of slim.model_variable / slim.variable as a slim layer's variable sees them. */
bool tf_layer_var_argscope(TfLib *t, Span sp, const char **device, Value **reg);
void tf_add_to_collection(TfLib *t, const char *key, Value *v);
void tf_add_to_collection_once(TfLib *t, const char *key, Value *v); /* unless already there */
Value *tf_get_collection(TfLib *t, const char *key, const char *scope_regex);


/* ---- registration and C-side helpers of the TF-Slim parts (tfslim) ---- */
/* tf_ops.c: registers tf.* / tf.nn.* / tf.math.* ops, dtypes, initializers, regularizers. */
void tf_ops_register(TfLib *t, Value *tf_ns, Value *nn_ns, Value *math_ns);

/* tf_scope.c */
enum { TF_REUSE_NONE = 0, TF_REUSE_TRUE = 1, TF_REUSE_AUTO = 2 };
typedef struct TfVsCtx TfVsCtx;
/* variable_scope(NAME_OR_SCOPE (str, VariableScope or NULL/None), default_name=DFLT, reuse=REUSE
   (NULL: not given)) entered from C; NULL with an error pending. */
TfVsCtx *tf_vs_open(TfLib *t, Value *name_or_scope, const char *dflt, Value *reuse, Span sp);
/* The same with auxiliary_name_scope=False (no name scope is opened or claimed). */
TfVsCtx *tf_vs_open_no_name_scope(TfLib *t, Value *name_or_scope, const char *dflt, Value *reuse, Span sp);
void tf_vs_close(TfLib *t, TfVsCtx *c);
/* name_scope(NAME or DFLT) from C: returns the name stack to give back to tf_ns_restore. */
const char *tf_ns_open(TfLib *t, const char *name, const char *dflt);
void tf_ns_restore(TfLib *t, const char *saved);
int tf_scope_reuse(TfLib *t);
Value *tf_scope_initializer(TfLib *t);   /* variable_scope(initializer=...) or NULL */
Value *tf_scope_regularizer(TfLib *t);
void tf_scope_reset(TfLib *t);          /* fresh state for a model */
void tf_scope_register(TfLib *t, Value *tf_ns);
/* tf_vars.c */
void tf_vars_reset(TfLib *t);
void tf_vars_register(TfLib *t, Value *tf_ns, Value *slim_ns, Value *train_ns);
/* tf_argscope.c: merges the active arg_scope defaults of op KEY into A (explicit keywords
   win); OUT shares A's arrays where it can. Reports unknown keywords (PARAMS != NULL)
   at the call with a note at the arg_scope. -1 with an error pending. */
int tf_argscope_merge(TfLib *t, const char *fname, const void *key, const char *const *params,
                      const Args *a, Args *out);
const char *tf_argscope_key(TfLib *t, Value *op);   /* NULL: not decorated */
/* After an error about keyword NAME's value V: a note at the arg_scope that supplied V, if
   one did ("'padding' supplied by this arg_scope"). */
void tf_argscope_note(TfLib *t, const char *name, Value *v);
void tf_argscope_register(TfLib *t, Value *slim_ns);
/* tf_layers.c */
void tf_layers_register(TfLib *t, Value *slim_ns, Value *utils_ns);
/* tf_ema.c */
void tf_ema_register(TfLib *t, Value *train_ns);
/* tf_image.c: image_input(), the signature's image preprocessing */
void tf_image_register(TfLib *t);
/* tf_ema.c: the graph's restore map at the model's end (-1 with an error pending). */
int tf_restore_map(TfLib *t, Span sp);
/* tf_model.c: installs the model hooks into T's Eval and a fresh state. */
void tf_model_register(TfLib *t);
/* tf_print.c: "float32" etc. */
const char *tf_dtype_name(int dtype);

#endif
