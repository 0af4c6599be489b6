/* The structs that slimc-generated code and the runtime share, written once.
 *
 * Each struct is a list of rows, one per field, in layout order:
 *   F(STRUCT, FIELD, KIND, C_TYPE)        a field `C_TYPE FIELD;`
 *   A(STRUCT, FIELD, KIND, C_TYPE, N)     an array field `C_TYPE FIELD[N];`
 * KIND is the field's type as the generated code builds it: PTR (any pointer, also
 * to a function), I64, F64, SHAPE (a slimrt_shape). slimrt_ops.h and slimrt.h declare
 * the C structs from these rows (SLIMRT_ABI_DECLARE); the compiler builds its LLVM
 * struct types and names the fields it fills from the same rows
 * (compiler/llvm/cg_abi.h), and a unit test compares the two layouts field by field.
 * Every field is 8 bytes wide (or a multiple), so a struct has the same layout on
 * every 64-bit target. To change a struct: edit its rows, then what fills or reads
 * the field. */
#ifndef SLIMRT_ABI_H
#define SLIMRT_ABI_H

/* slimrt_call: what the generated code passes to every kernel. */
#define SLIMRT_ABI_call(F, A) \
  F(call, in,         PTR, const void *const *) /* nin input buffers */ \
  F(call, in_shape,   PTR, const slimrt_shape *) /* nin shapes */ \
  F(call, nin,        I64, int64_t) \
  F(call, out,        PTR, void *) \
  F(call, out_shape,  PTR, const slimrt_shape *) \
  F(call, attr,       PTR, const void *) /* slimrt_attr_<ATTR> of the op */ \
  F(call, pool,       PTR, slimrt_pool *) /* may be NULL: run on the calling thread */

/* slimrt_var_desc: a variable of a compiled model. */
#define SLIMRT_ABI_var_desc(F, A) \
  F(var_desc, name,         PTR,   const char *) /* variable name (op name) */ \
  F(var_desc, ckpt_key,     PTR,   const char *) /* checkpoint key from the restore map; NULL: not restored */ \
  F(var_desc, shape,        SHAPE, slimrt_shape) \
  F(var_desc, embedded,     PTR,   const void *) /* compile-time weights (read-only) or NULL */ \
  F(var_desc, init_kind,    I64,   int64_t) /* slimrt_init_kind, for --random-init */ \
  A(var_desc, init_p,       F64,   double, 2) \
  F(var_desc, init_values,  PTR,   const double *) /* SLIMRT_INIT_CONSTANT with a list */ \
  F(var_desc, init_nvalues, I64,   int64_t)

/* slimrt_io_desc: an input or output of an entry point. */
#define SLIMRT_ABI_io_desc(F, A) \
  F(io_desc, name,       PTR,   const char *) \
  F(io_desc, shape,      SHAPE, slimrt_shape) \
  F(io_desc, image_prep, PTR,   const float *) /* inputs: NULL, or mean[C] then scale[C] of image_input() */

/* slimrt_entry_desc: an entry point of a compiled model ("run"; training adds others). */
#define SLIMRT_ABI_entry_desc(F, A) \
  F(entry_desc, name,     PTR, const char *) /* "run" */ \
  F(entry_desc, fn,       PTR, slimrt_run_fn) \
  F(entry_desc, ninputs,  I64, int64_t) \
  F(entry_desc, noutputs, I64, int64_t) \
  F(entry_desc, inputs,   PTR, const slimrt_io_desc *) \
  F(entry_desc, outputs,  PTR, const slimrt_io_desc *)

/* slimrt_model_desc: a compiled model, the one global the generated code defines. */
#define SLIMRT_ABI_model_desc(F, A) \
  F(model_desc, name,             PTR, const char *) \
  F(model_desc, nentries,         I64, int64_t) \
  F(model_desc, entries,          PTR, const slimrt_entry_desc *) /* entries[0] is "run" */ \
  F(model_desc, nvars,            I64, int64_t) \
  F(model_desc, vars,             PTR, const slimrt_var_desc *) \
  F(model_desc, arena_size,       I64, int64_t) /* bytes, shared by every entry point */ \
  F(model_desc, weights_embedded, I64, int64_t) /* 1: every var has `embedded` */ \
  F(model_desc, prepare,          PTR, slimrt_run_fn) /* NULL, or the load-time hooks (slimrt.h) */

/* Every struct above, for code that walks them all. */
#define SLIMRT_ABI_STRUCTS(S) S(call) S(var_desc) S(io_desc) S(entry_desc) S(model_desc)

#define SLIMRT_ABI_DECL_F_(S, FIELD, KIND, T) T FIELD;
#define SLIMRT_ABI_DECL_A_(S, FIELD, KIND, T, N) T FIELD[N];
/* typedef struct slimrt_S { ...the rows... } slimrt_S; */
#define SLIMRT_ABI_DECLARE(S) \
  typedef struct slimrt_##S { SLIMRT_ABI_##S(SLIMRT_ABI_DECL_F_, SLIMRT_ABI_DECL_A_) } slimrt_##S;

#endif
