/* LLVM IR emission: the planned graph -> one module holding
 *   - constant descriptors (shapes and attribute structs as i64 arrays),
 *   - `run(io, arena, weights, pool)`: each live op in topological order, as a
 *     kernel call through a slimrt_call on the stack or as an inline loop,
 *   - `prepare(io, arena, weights, pool)`: the load-time hooks of the ops that
 *     have one (slimrt_p_<ID>), when any does,
 *   - the slimrt_model_desc, and
 *   - main() (executables) or the PREFIX_new/run/free C API (objects).
 * Everything is named deterministically so that two compiles are identical. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <llvm-c/Analysis.h>
#include <llvm-c/Core.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include "llvm/cg_abi.h"
#include "llvm/cg_internal.h"
#include "slimrt.h"

struct CgModule {
  LLVMContextRef ctx;
  LLVMModuleRef mod;
  LLVMTargetMachineRef tm;
};

typedef struct Cg {
  Graph *g;
  Diag *d;
  const BackendOptions *o;
  LLVMContextRef ctx;
  LLVMModuleRef mod;
  LLVMBuilderRef b;
  LLVMTypeRef i8, i32, i64, f32, f64, ptr, vd, shape_ty, call_ty;
  LLVMValueRef fn, io, arena, weights, pool;
  LLVMValueRef call_slot, in_slot;   /* entry-block allocas reused by every call */
  int *var_index;                    /* by GVar.id: index in g->vars */
  LLVMValueRef *const_global;        /* by GNode.id */
  LLVMValueRef *embedded;            /* by var index, or NULL */
  const char **ckpt_key;             /* by GVar.id: checkpoint key, or NULL */
  struct CgShared *shared;           /* descriptor globals by content (shared_find) */
  size_t nshared, shared_cap;
  int maxid, maxvarid, maxnin;       /* maxnin: the most inputs of an op (the `in` slot's size) */
  bool oom;                          /* an allocation failed while building the module */
  const char *abi_unset;             /* a runtime struct's field left unset (abi_const), or NULL */
  /* run()'s kernel calls as a table (see "kernel steps" below) */
  LLVMTypeRef ref_ty, step_ty;
  LLVMValueRef steps_gv, refs_gv, run_steps;
  LLVMValueRef *step_init, *ref_init;
  int nsteps, nrefs, batch;          /* batch: the first step not yet called */
} Cg;

/* ---- constants ---------------------------------------------------------- */

static LLVMValueRef const_i64(Cg *c, int64_t v) { return LLVMConstInt(c->i64, (unsigned long long)v, 1); }

static LLVMValueRef private_global(Cg *c, LLVMValueRef init, const char *name, unsigned align) {
  LLVMValueRef gv = LLVMAddGlobal(c->mod, LLVMTypeOf(init), name);
  LLVMSetInitializer(gv, init);
  LLVMSetGlobalConstant(gv, 1);
  LLVMSetLinkage(gv, LLVMPrivateLinkage);
  LLVMSetUnnamedAddress(gv, LLVMGlobalUnnamedAddr);
  if (align) LLVMSetAlignment(gv, align);
  return gv;
}

/* ---- shared descriptor globals ----------------------------------------------- */

/* Ops with the same shapes, attributes or constant bytes share one global: 20,000
   `y = y + 1.0` need one shape, attribute and constant global, not 80,000 (LLVM's
   work on a module grows with its globals, and -O0 emitted every copy). Keyed by
   the global's name prefix (its kind) and its bytes; open addressing. */
typedef struct CgShared {
  uint64_t hash;
  const char *kind;
  void *bytes;
  size_t n;
  LLVMValueRef gv;
  bool owned;   /* bytes is a copy to free */
} CgShared;

static uint64_t shared_hash(const char *kind, const void *bytes, size_t n) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (const char *k = kind; *k; k++) h = (h ^ (unsigned char)*k) * 1099511628211ull;
  for (size_t i = 0; i < n; i++) h = (h ^ ((const unsigned char *)bytes)[i]) * 1099511628211ull;
  return h;
}

static CgShared *shared_slot(Cg *c, uint64_t h, const char *kind, const void *bytes, size_t n) {
  for (size_t i = h & (c->shared_cap - 1);; i = (i + 1) & (c->shared_cap - 1)) {
    CgShared *e = &c->shared[i];
    if (!e->gv || (e->hash == h && e->n == n && !strcmp(e->kind, kind) && !memcmp(e->bytes, bytes, n)))
      return e;
  }
}

/* The global of KIND holding BYTES, or NULL when there is none yet. */
static LLVMValueRef shared_find(Cg *c, const char *kind, const void *bytes, size_t n) {
  if (!c->shared_cap) return NULL;
  CgShared *e = shared_slot(c, shared_hash(kind, bytes, n), kind, bytes, n);
  return e->gv;
}

/* Records GV as the global of KIND holding BYTES (when memory allows: else
   the next op of the same content gets a global of its own, which is correct).
   BYTES are copied unless BORROW (graph data, alive until the module is built). */
static LLVMValueRef shared_add(Cg *c, const char *kind, const void *bytes, size_t n, LLVMValueRef gv, bool borrow) {
  if (2 * (c->nshared + 1) > c->shared_cap) {
    size_t cap = c->shared_cap ? 2 * c->shared_cap : 256;
    CgShared *old = c->shared, *t = calloc(cap, sizeof *t);
    if (!t) return gv;
    size_t oldcap = c->shared_cap;
    c->shared = t;
    c->shared_cap = cap;
    for (size_t i = 0; i < oldcap; i++)
      if (old[i].gv) *shared_slot(c, old[i].hash, old[i].kind, old[i].bytes, old[i].n) = old[i];
    free(old);
  }
  void *copy = borrow ? NULL : malloc(n ? n : 1);
  if (!borrow && !copy) return gv;
  if (copy) memcpy(copy, bytes, n);
  uint64_t h = shared_hash(kind, bytes, n);
  *shared_slot(c, h, kind, bytes, n) = (CgShared){h, kind, borrow ? (void *)bytes : copy, n, gv, copy != NULL};
  c->nshared++;
  return gv;
}

static void shared_free(Cg *c) {
  for (size_t i = 0; i < c->shared_cap; i++)
    if (c->shared[i].owned) free(c->shared[i].bytes);
  free(c->shared);
}

/* A constant runtime struct S (slimrt_abi.h) from F, filled by field name. */
static LLVMValueRef abi_const(Cg *c, CgAbiStruct s, LLVMValueRef *f) {
  LLVMValueRef v = cg_abi_const(c->ctx, s, f);
  for (int i = 0; !v && i < cg_abi_nfields(s); i++)
    if (!f[i] && !c->abi_unset) c->abi_unset = cg_abi_field_name(s, i);
  return v ? v : LLVMGetUndef(cg_abi_type(c->ctx, s));
}

static LLVMValueRef cstring(Cg *c, const char *s) {
  if (!s) return LLVMConstPointerNull(c->ptr);
  return private_global(c, LLVMConstStringInContext2(c->ctx, s, strlen(s), 0), ".str", 1);
}

static LLVMValueRef bytes_global(Cg *c, const void *data, size_t n, const char *name) {
  LLVMValueRef init = LLVMConstStringInContext2(c->ctx, data, n, 1);
  return private_global(c, init, name, 64);
}

/* A shape as the runtime's slimrt_shape words: dtype, rank, dims padded with 0. */
static void shape_words(const GShape *s, int64_t w[2 + SLIMRT_MAX_RANK]) {
  w[0] = s->dtype;
  w[1] = s->rank;
  for (int i = 0; i < SLIMRT_MAX_RANK; i++) w[2 + i] = i < s->rank ? s->dims[i] : 0;
}

static LLVMValueRef shape_value(Cg *c, const GShape *s) {
  LLVMValueRef v[2 + SLIMRT_MAX_RANK];
  v[0] = const_i64(c, s->dtype);
  v[1] = const_i64(c, s->rank);
  for (int i = 0; i < SLIMRT_MAX_RANK; i++) v[2 + i] = const_i64(c, i < s->rank ? s->dims[i] : 0);
  return LLVMConstArray2(c->i64, v, 2 + SLIMRT_MAX_RANK);
}

/* The op's attribute struct as i64 words (doubles keep their bit pattern). */
static LLVMValueRef attr_global(Cg *c, const GNode *n) {
  size_t words = slimrt_op_attr_size(n->op) / sizeof(int64_t);
  int64_t raw[sizeof(slimrt_attr) / sizeof(int64_t)];
  memcpy(raw, &n->attr, sizeof raw);
  LLVMValueRef gv = shared_find(c, ".attr", raw, words * sizeof *raw);
  if (gv) return gv;
  LLVMValueRef v[sizeof(slimrt_attr) / sizeof(int64_t)];
  for (size_t i = 0; i < words; i++) v[i] = const_i64(c, raw[i]);
  gv = private_global(c, LLVMConstArray2(c->i64, v, words), ".attr", 8);
  return shared_add(c, ".attr", raw, words * sizeof *raw, gv, false);
}

/* The shapes of N's inputs (KIND ".in_shape") or of N itself (".out_shape"). */
static LLVMValueRef shapes_global(Cg *c, const GNode *n, const char *kind) {
  bool in = kind[1] == 'i';
  int count = in ? n->nin : 1;
  int64_t(*w)[2 + SLIMRT_MAX_RANK] = malloc(sizeof *w * (size_t)count);
  if (!w) return NULL;
  for (int j = 0; j < count; j++) shape_words(in ? &n->in[j]->shape : &n->shape, w[j]);
  size_t nb = sizeof *w * (size_t)count;
  LLVMValueRef gv = shared_find(c, kind, w, nb);
  if (!gv) {
    LLVMValueRef *v = malloc(sizeof *v * (size_t)count);
    if (v) {
      for (int j = 0; j < count; j++) v[j] = shape_value(c, in ? &n->in[j]->shape : &n->shape);
      gv = private_global(c, in ? LLVMConstArray2(c->shape_ty, v, (uint64_t)count) : v[0], kind, 8);
      shared_add(c, kind, w, nb, gv, false);
    }
    free(v);
  }
  free(w);
  return gv;
}

/* ---- buffers -------------------------------------------------------------- */

static LLVMValueRef load_slot(Cg *c, LLVMValueRef base, int64_t idx) {
  LLVMValueRef i = const_i64(c, idx);
  LLVMValueRef p = LLVMBuildInBoundsGEP2(c->b, c->ptr, base, &i, 1, "");
  return LLVMBuildLoad2(c->b, c->ptr, p, "");
}

/* Where N's buffer is: a constant global, an arena offset, an io slot (inputs, then
   outputs) or a weights slot. One classification for the code and the step table. */
enum { REF_CONST, REF_ARENA, REF_IO, REF_WEIGHTS };
typedef struct BufRef {
  int kind;
  int64_t value;   /* offset or slot */
  LLVMValueRef p;  /* REF_CONST: the global */
} BufRef;

static BufRef buf_ref(Cg *c, GNode *n) {
  n = graph_view_root(n);
  int k;
  switch (n->op) {
  case SLIMRT_OP_INPUT: return (BufRef){REF_IO, n->input_index, NULL};
  case SLIMRT_OP_VARIABLE: return (BufRef){REF_WEIGHTS, c->var_index[n->var->id], NULL};
  case SLIMRT_OP_CONST:
    if (!c->const_global[n->id]) {
      LLVMValueRef gv = shared_find(c, "const", n->data, (size_t)n->nbytes);
      if (!gv) gv = shared_add(c, "const", n->data, (size_t)n->nbytes,
                               bytes_global(c, n->data, (size_t)n->nbytes, "const"), true);
      c->const_global[n->id] = gv;
    }
    return (BufRef){REF_CONST, 0, c->const_global[n->id]};
  default:
    if ((k = graph_output_slot(c->g, n)) >= 0) return (BufRef){REF_IO, c->g->inputs.n + k, NULL};
    return (BufRef){REF_ARENA, n->arena_offset, NULL};
  }
}

/* The address of N's buffer inside run(). */
static LLVMValueRef buffer(Cg *c, GNode *n) {
  BufRef r = buf_ref(c, n);
  switch (r.kind) {
  case REF_CONST: return r.p;
  case REF_IO: return load_slot(c, c->io, r.value);
  case REF_WEIGHTS: return load_slot(c, c->weights, r.value);
  default: {
    LLVMValueRef off = const_i64(c, r.value);
    return LLVMBuildInBoundsGEP2(c->b, c->i8, c->arena, &off, 1, "");
  }
  }
}

/* ---- ops -------------------------------------------------------------------- */

static bool same_shape(const GShape *a, const GShape *b) {
  if (a->dtype != b->dtype || a->rank != b->rank) return false;
  for (int i = 0; i < a->rank; i++)
    if (a->dims[i] != b->dims[i]) return false;
  return true;
}

/* Simple f32 element-wise ops on same-shape operands become a loop in place
   of a kernel call, so LLVM can vectorise them with their neighbours. */
static bool inline_ok(const GNode *n) {
  if (!(slimrt_op_flags(n->op) & SLIMRT_F_INLINE)) return false;
  if (n->shape.dtype != SLIMRT_F32) return false;
  for (int j = 0; j < n->nin; j++)
    if (!same_shape(&n->in[j]->shape, &n->shape)) return false;
  return true;
}

/* A and B are floats, or vectors of floats (then so is the result). One case per
   op the table flags SLIMRT_F_INLINE. */
static LLVMValueRef scalar_op(Cg *c, int op, LLVMValueRef a, LLVMValueRef b) {
  LLVMValueRef zero = LLVMConstNull(LLVMTypeOf(a));
  switch (op) {
  case SLIMRT_OP_RELU: return LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOGT, a, zero, ""), a, zero, "");
  case SLIMRT_OP_NEG: return LLVMBuildFNeg(c->b, a, "");
  case SLIMRT_OP_ADD: return LLVMBuildFAdd(c->b, a, b, "");
  case SLIMRT_OP_SUB: return LLVMBuildFSub(c->b, a, b, "");
  case SLIMRT_OP_MUL: return LLVMBuildFMul(c->b, a, b, "");
  case SLIMRT_OP_DIV: return LLVMBuildFDiv(c->b, a, b, "");
  case SLIMRT_OP_MAXIMUM: return LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOGE, a, b, ""), a, b, "");
  case SLIMRT_OP_MINIMUM: return LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOLE, a, b, ""), a, b, "");
  default: /* the table flags an op SLIMRT_F_INLINE that has no case here */
    fprintf(stderr, "slimc: internal error: no inline lowering for %s\n", slimrt_op_name(op));
    abort();
  }
}

/* Inline ops of at most this many elements are one operation on a vector of all
   of them instead of a loop: LLVM's loop passes, unrolling and SLP vectorising cost
   ~1 ms a loop at -O2 (8,000 four-element ReLUs spent 5 s there) to reach the same
   code. Each lane is the same IEEE operation as in the loop: the same numbers. */
enum { INLINE_VECTOR = 16 };

static void emit_inline(Cg *c, GNode *n) {
  int64_t count = gshape_count(&n->shape);
  if (count <= 0) return;
  LLVMValueRef in[2] = {NULL, NULL};
  for (int j = 0; j < n->nin; j++) in[j] = buffer(c, n->in[j]);
  LLVMValueRef out = buffer(c, n);
  if (count <= INLINE_VECTOR) { /* one <count x float> operation: no loop */
    LLVMTypeRef vt = LLVMVectorType(c->f32, (unsigned)count);
    LLVMValueRef v[2] = {NULL, NULL};
    for (int j = 0; j < n->nin; j++) {
      v[j] = LLVMBuildLoad2(c->b, vt, in[j], "");
      LLVMSetAlignment(v[j], 4);
    }
    LLVMSetAlignment(LLVMBuildStore(c->b, scalar_op(c, n->op, v[0], v[1]), out), 4);
    return;
  }
  LLVMBasicBlockRef pre = LLVMGetInsertBlock(c->b);
  LLVMBasicBlockRef loop = LLVMAppendBasicBlockInContext(c->ctx, c->fn, n->name);
  LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(c->ctx, c->fn, "");
  LLVMBuildBr(c->b, loop);
  LLVMPositionBuilderAtEnd(c->b, loop);
  LLVMValueRef i = LLVMBuildPhi(c->b, c->i64, "i");
  LLVMValueRef v[2] = {NULL, NULL};
  for (int j = 0; j < n->nin; j++)
    v[j] = LLVMBuildLoad2(c->b, c->f32, LLVMBuildInBoundsGEP2(c->b, c->f32, in[j], &i, 1, ""), "");
  LLVMValueRef r = scalar_op(c, n->op, v[0], v[1]);
  LLVMBuildStore(c->b, r, LLVMBuildInBoundsGEP2(c->b, c->f32, out, &i, 1, ""));
  LLVMValueRef next = LLVMBuildNUWAdd(c->b, i, const_i64(c, 1), "");
  LLVMValueRef more = LLVMBuildICmp(c->b, LLVMIntULT, next, const_i64(c, count), "");
  LLVMBuildCondBr(c->b, more, loop, done);
  LLVMValueRef zero = const_i64(c, 0);
  LLVMAddIncoming(i, &zero, &pre, 1);
  LLVMAddIncoming(i, &next, &loop, 1);
  LLVMPositionBuilderAtEnd(c->b, done);
}

static LLVMValueRef kernel_decl(Cg *c, const char *sym) {
  LLVMValueRef f = LLVMGetNamedFunction(c->mod, sym);
  if (f) return f;
  LLVMTypeRef p = c->ptr;
  return LLVMAddFunction(c->mod, sym, LLVMFunctionType(c->vd, &p, 1, 0));
}

static void store_field(Cg *c, int field, LLVMValueRef v) {
  LLVMValueRef p = LLVMBuildStructGEP2(c->b, c->call_ty, c->call_slot, (unsigned)field, "");
  LLVMBuildStore(c->b, v, p);
}

/* Calls SYM (a kernel or a prepare hook) with N's slimrt_call. */
static void emit_call(Cg *c, GNode *n, const char *sym) {
  for (int j = 0; j < n->nin; j++) {
    LLVMValueRef idx[2] = {const_i64(c, 0), const_i64(c, j)};
    LLVMValueRef p = LLVMBuildInBoundsGEP2(c->b, LLVMArrayType2(c->ptr, (uint64_t)n->nin), c->in_slot, idx, 2, "");
    LLVMBuildStore(c->b, buffer(c, n->in[j]), p);
  }
  LLVMValueRef in_shapes = n->nin ? shapes_global(c, n, ".in_shape") : LLVMConstPointerNull(c->ptr);
  LLVMValueRef out_shape = shapes_global(c, n, ".out_shape");
  if (!in_shapes || !out_shape) { /* out of memory: an error, never a NULL shape */
    c->oom = true;
    return;
  }
  store_field(c, CG_ABI_call_in, c->in_slot);
  store_field(c, CG_ABI_call_in_shape, in_shapes);
  store_field(c, CG_ABI_call_nin, const_i64(c, n->nin));
  store_field(c, CG_ABI_call_out, buffer(c, n));
  store_field(c, CG_ABI_call_out_shape, out_shape);
  store_field(c, CG_ABI_call_attr, attr_global(c, n));
  store_field(c, CG_ABI_call_pool, c->pool);
  LLVMValueRef f = kernel_decl(c, sym);
  LLVMBuildCall2(c->b, LLVMGlobalGetValueType(f), f, &c->call_slot, 1, "");
}

/* ---- kernel steps ------------------------------------------------------------- */

/* run() calls its kernels through a table: one constant step a kernel call (the
   kernel, its input and output buffers as BufRefs, its shapes and attributes), and
   one internal function, slimc_steps(steps, n, io, arena, weights, pool), that
   fills a slimrt_call for each step and calls its kernel. A run of consecutive
   kernel ops costs one call in the code, so LLVM's time (-O2 spent ~14 machine
   instructions and ~0.5 ms of CPU on every kernel call built inline) no longer
   grows with the number of kernel calls; the kernels and their arguments are the
   same, so the numbers are. Load-time hooks (prepare) stay direct calls. */
enum { STEP_KERNEL, STEP_IN, STEP_NIN, STEP_IN_SHAPE, STEP_OUT, STEP_OUT_SHAPE, STEP_ATTR, STEP_NFIELDS };

static LLVMValueRef ref_const(Cg *c, BufRef r) {
  LLVMValueRef f[3] = {const_i64(c, r.kind), const_i64(c, r.value), r.p ? r.p : LLVMConstPointerNull(c->ptr)};
  return LLVMConstNamedStruct(c->ref_ty, f, 3);
}

static LLVMValueRef field_ptr(Cg *c, LLVMTypeRef ty, LLVMValueRef base, unsigned k) {
  return LLVMBuildStructGEP2(c->b, ty, base, k, "");
}

/* slimc_ref(ref, io, arena, weights): the address a BufRef names, at run time. */
static LLVMValueRef build_ref_fn(Cg *c) {
  LLVMTypeRef params[4] = {c->ptr, c->ptr, c->ptr, c->ptr};
  LLVMValueRef f = LLVMAddFunction(c->mod, "slimc_ref", LLVMFunctionType(c->ptr, params, 4, 0));
  LLVMSetLinkage(f, LLVMInternalLinkage);
  LLVMValueRef r = LLVMGetParam(f, 0), io = LLVMGetParam(f, 1), arena = LLVMGetParam(f, 2),
               w = LLVMGetParam(f, 3);
  LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(c->ctx, f, "entry");
  LLVMBasicBlockRef bconst = LLVMAppendBasicBlockInContext(c->ctx, f, "const");
  LLVMBasicBlockRef barena = LLVMAppendBasicBlockInContext(c->ctx, f, "arena");
  LLVMBasicBlockRef bio = LLVMAppendBasicBlockInContext(c->ctx, f, "io");
  LLVMBasicBlockRef bw = LLVMAppendBasicBlockInContext(c->ctx, f, "weights");
  LLVMPositionBuilderAtEnd(c->b, entry);
  LLVMValueRef kind = LLVMBuildLoad2(c->b, c->i64, field_ptr(c, c->ref_ty, r, 0), "kind");
  LLVMValueRef v = LLVMBuildLoad2(c->b, c->i64, field_ptr(c, c->ref_ty, r, 1), "value");
  LLVMValueRef sw = LLVMBuildSwitch(c->b, kind, bconst, 3);
  LLVMAddCase(sw, const_i64(c, REF_ARENA), barena);
  LLVMAddCase(sw, const_i64(c, REF_IO), bio);
  LLVMAddCase(sw, const_i64(c, REF_WEIGHTS), bw);
  LLVMPositionBuilderAtEnd(c->b, bconst);
  LLVMBuildRet(c->b, LLVMBuildLoad2(c->b, c->ptr, field_ptr(c, c->ref_ty, r, 2), ""));
  LLVMPositionBuilderAtEnd(c->b, barena);
  LLVMBuildRet(c->b, LLVMBuildInBoundsGEP2(c->b, c->i8, arena, &v, 1, ""));
  LLVMPositionBuilderAtEnd(c->b, bio);
  LLVMBuildRet(c->b, LLVMBuildLoad2(c->b, c->ptr, LLVMBuildInBoundsGEP2(c->b, c->ptr, io, &v, 1, ""), ""));
  LLVMPositionBuilderAtEnd(c->b, bw);
  LLVMBuildRet(c->b, LLVMBuildLoad2(c->b, c->ptr, LLVMBuildInBoundsGEP2(c->b, c->ptr, w, &v, 1, ""), ""));
  return f;
}

/* slimc_steps(steps, n, io, arena, weights, pool): runs N >= 1 steps in order. */
static LLVMValueRef build_steps_fn(Cg *c) {
  LLVMValueRef ref_fn = build_ref_fn(c);
  LLVMTypeRef ref_fty = LLVMGlobalGetValueType(ref_fn);
  LLVMTypeRef params[6] = {c->ptr, c->i64, c->ptr, c->ptr, c->ptr, c->ptr};
  LLVMValueRef f = LLVMAddFunction(c->mod, "slimc_steps", LLVMFunctionType(c->vd, params, 6, 0));
  LLVMSetLinkage(f, LLVMInternalLinkage);
  unsigned noinline = LLVMGetEnumAttributeKindForName("noinline", 8);
  LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(c->ctx, noinline, 0));
  LLVMValueRef steps = LLVMGetParam(f, 0), n = LLVMGetParam(f, 1), io = LLVMGetParam(f, 2),
               arena = LLVMGetParam(f, 3), w = LLVMGetParam(f, 4), pool = LLVMGetParam(f, 5);
  LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(c->ctx, f, "entry");
  LLVMBasicBlockRef step = LLVMAppendBasicBlockInContext(c->ctx, f, "step");
  LLVMBasicBlockRef inputs = LLVMAppendBasicBlockInContext(c->ctx, f, "inputs");
  LLVMBasicBlockRef callb = LLVMAppendBasicBlockInContext(c->ctx, f, "call");
  LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(c->ctx, f, "done");
  LLVMPositionBuilderAtEnd(c->b, entry);
  LLVMValueRef call = LLVMBuildAlloca(c->b, c->call_ty, "call");
  LLVMValueRef in = LLVMBuildAlloca(c->b, LLVMArrayType2(c->ptr, (uint64_t)c->maxnin), "in");
  LLVMBuildBr(c->b, step);

  LLVMPositionBuilderAtEnd(c->b, step);
  LLVMValueRef i = LLVMBuildPhi(c->b, c->i64, "i");
  LLVMValueRef s = LLVMBuildInBoundsGEP2(c->b, c->step_ty, steps, &i, 1, "s");
  LLVMValueRef refs = LLVMBuildLoad2(c->b, c->ptr, field_ptr(c, c->step_ty, s, STEP_IN), "refs");
  LLVMValueRef nin = LLVMBuildLoad2(c->b, c->i64, field_ptr(c, c->step_ty, s, STEP_NIN), "nin");
  LLVMValueRef zero = const_i64(c, 0), one = const_i64(c, 1);
  LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntSGT, nin, zero, ""), inputs, callb);

  LLVMPositionBuilderAtEnd(c->b, inputs);
  LLVMValueRef j = LLVMBuildPhi(c->b, c->i64, "j");
  LLVMValueRef ra[4] = {LLVMBuildInBoundsGEP2(c->b, c->ref_ty, refs, &j, 1, ""), io, arena, w};
  LLVMValueRef p = LLVMBuildCall2(c->b, ref_fty, ref_fn, ra, 4, "");
  LLVMBuildStore(c->b, p, LLVMBuildInBoundsGEP2(c->b, c->ptr, in, &j, 1, ""));
  LLVMValueRef jn = LLVMBuildNUWAdd(c->b, j, one, "");
  LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, jn, nin, ""), inputs, callb);
  LLVMAddIncoming(j, &zero, &step, 1);
  LLVMAddIncoming(j, &jn, &inputs, 1);

  LLVMPositionBuilderAtEnd(c->b, callb);
  LLVMValueRef oa[4] = {field_ptr(c, c->step_ty, s, STEP_OUT), io, arena, w};
  LLVMValueRef out = LLVMBuildCall2(c->b, ref_fty, ref_fn, oa, 4, "out");
  LLVMValueRef fields[CG_ABI_call_NFIELDS] = {
      [CG_ABI_call_in] = in,
      [CG_ABI_call_in_shape] = LLVMBuildLoad2(c->b, c->ptr, field_ptr(c, c->step_ty, s, STEP_IN_SHAPE), ""),
      [CG_ABI_call_nin] = nin,
      [CG_ABI_call_out] = out,
      [CG_ABI_call_out_shape] = LLVMBuildLoad2(c->b, c->ptr, field_ptr(c, c->step_ty, s, STEP_OUT_SHAPE), ""),
      [CG_ABI_call_attr] = LLVMBuildLoad2(c->b, c->ptr, field_ptr(c, c->step_ty, s, STEP_ATTR), ""),
      [CG_ABI_call_pool] = pool};
  for (unsigned k = 0; k < CG_ABI_call_NFIELDS; k++) LLVMBuildStore(c->b, fields[k], field_ptr(c, c->call_ty, call, k));
  LLVMValueRef kernel = LLVMBuildLoad2(c->b, c->ptr, field_ptr(c, c->step_ty, s, STEP_KERNEL), "kernel");
  LLVMTypeRef kp = c->ptr;
  LLVMBuildCall2(c->b, LLVMFunctionType(c->vd, &kp, 1, 0), kernel, &call, 1, "");
  LLVMValueRef in_ = LLVMBuildNUWAdd(c->b, i, one, "");
  LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntULT, in_, n, ""), step, done);
  LLVMAddIncoming(i, &zero, &entry, 1);
  LLVMAddIncoming(i, &in_, &callb, 1);

  LLVMPositionBuilderAtEnd(c->b, done);
  LLVMBuildRetVoid(c->b);
  return f;
}

/* Appends N's kernel call to the step table (called in run() by flush_steps). */
static void add_step(Cg *c, GNode *n) {
  LLVMValueRef in_refs = LLVMConstPointerNull(c->ptr);
  if (n->nin > 0) {
    LLVMValueRef idx[2] = {const_i64(c, 0), const_i64(c, c->nrefs)};
    in_refs = LLVMConstInBoundsGEP2(LLVMGlobalGetValueType(c->refs_gv), c->refs_gv, idx, 2);
  }
  for (int j = 0; j < n->nin; j++) c->ref_init[c->nrefs++] = ref_const(c, buf_ref(c, n->in[j]));
  LLVMValueRef in_shapes = n->nin ? shapes_global(c, n, ".in_shape") : LLVMConstPointerNull(c->ptr);
  LLVMValueRef out_shape = shapes_global(c, n, ".out_shape");
  if (!in_shapes || !out_shape) {
    c->oom = true;
    return;
  }
  LLVMValueRef f[STEP_NFIELDS] = {kernel_decl(c, slimrt_op_kernel_symbol(n->op)), in_refs, const_i64(c, n->nin),
                                  in_shapes, ref_const(c, buf_ref(c, n)), out_shape, attr_global(c, n)};
  c->step_init[c->nsteps++] = LLVMConstNamedStruct(c->step_ty, f, STEP_NFIELDS);
}

/* Calls slimc_steps for the steps added since the last call, if any. */
static void flush_steps(Cg *c) {
  if (c->nsteps == c->batch) return;
  LLVMValueRef idx[2] = {const_i64(c, 0), const_i64(c, c->batch)};
  LLVMValueRef args[6] = {LLVMConstInBoundsGEP2(LLVMGlobalGetValueType(c->steps_gv), c->steps_gv, idx, 2),
                          const_i64(c, c->nsteps - c->batch), c->io, c->arena, c->weights, c->pool};
  LLVMBuildCall2(c->b, LLVMGlobalGetValueType(c->run_steps), c->run_steps, args, 6, "");
  c->batch = c->nsteps;
}

/* Creates the (still empty) step and ref tables of run()'s ops FROM..TO-1 (one
   chunk: a table of every step of the model, referenced from every chunk, made
   LLVM's call graph walk all of it once per chunk). false when out of memory. */
static bool steps_begin(Cg *c, int from, int to) {
  int nsteps = 0, nrefs = 0;
  for (int i = from; i < to; i++) {
    GNode *n = c->g->nodes.items[i];
    if ((slimrt_op_flags(n->op) & (SLIMRT_F_SOURCE | SLIMRT_F_VIEW)) || inline_ok(n)) continue;
    nsteps++;
    nrefs += n->nin;
  }
  c->nsteps = c->nrefs = c->batch = 0;
  c->steps_gv = c->refs_gv = NULL;
  if (nsteps == 0) return true;
  free(c->step_init);
  free(c->ref_init);
  c->step_init = malloc(sizeof *c->step_init * (size_t)nsteps);
  c->ref_init = malloc(sizeof *c->ref_init * (size_t)(nrefs ? nrefs : 1));
  if (!c->step_init || !c->ref_init) return false;
  if (!c->run_steps) {
    LLVMTypeRef rf[3] = {c->i64, c->i64, c->ptr};
    c->ref_ty = LLVMStructCreateNamed(c->ctx, "slimc_ref");
    LLVMStructSetBody(c->ref_ty, rf, 3, 0);
    LLVMTypeRef sf[STEP_NFIELDS] = {c->ptr, c->ptr, c->i64, c->ptr, c->ref_ty, c->ptr, c->ptr};
    c->step_ty = LLVMStructCreateNamed(c->ctx, "slimc_step");
    LLVMStructSetBody(c->step_ty, sf, STEP_NFIELDS, 0);
    c->run_steps = build_steps_fn(c);
  }
  c->steps_gv = LLVMAddGlobal(c->mod, LLVMArrayType2(c->step_ty, (uint64_t)nsteps), ".steps");
  c->refs_gv = LLVMAddGlobal(c->mod, LLVMArrayType2(c->ref_ty, (uint64_t)nrefs), ".refs");
  return true;
}

/* Gives the chunk's tables their contents, once every step is added. */
static void steps_end(Cg *c) {
  if (!c->steps_gv) return;
  LLVMValueRef g[2] = {c->steps_gv, c->refs_gv};
  LLVMValueRef init[2] = {LLVMConstArray2(c->step_ty, c->step_init, (uint64_t)c->nsteps),
                          LLVMConstArray2(c->ref_ty, c->ref_init, (uint64_t)c->nrefs)};
  for (int k = 0; k < 2; k++) {
    LLVMSetInitializer(g[k], init[k]);
    LLVMSetGlobalConstant(g[k], 1);
    LLVMSetLinkage(g[k], LLVMPrivateLinkage);
    LLVMSetUnnamedAddress(g[k], LLVMGlobalUnnamedAddr);
    LLVMSetAlignment(g[k], 8);
  }
}

/* Does N have a load-time hook to call (its op's prepare flag, and the pass's mark)? */
static bool needs_prepare(const GNode *n) {
  return (slimrt_op_flags(n->op) & SLIMRT_F_PREPARE) && n->op == SLIMRT_OP_FUSED_CONV2D && n->attr.fconv.prepacked;
}

/* Sets up a function (io, arena, weights, pool) named NAME and its call slots. */
static void begin_fn(Cg *c, const char *name) {
  LLVMTypeRef params[4] = {c->ptr, c->ptr, c->ptr, c->ptr};
  c->fn = LLVMAddFunction(c->mod, name, LLVMFunctionType(c->vd, params, 4, 0));
  LLVMSetLinkage(c->fn, LLVMInternalLinkage);
  c->io = LLVMGetParam(c->fn, 0);
  c->arena = LLVMGetParam(c->fn, 1);
  c->weights = LLVMGetParam(c->fn, 2);
  c->pool = LLVMGetParam(c->fn, 3);
  LLVMSetValueName2(c->io, "io", 2);
  LLVMSetValueName2(c->arena, "arena", 5);
  LLVMSetValueName2(c->weights, "weights", 7);
  LLVMSetValueName2(c->pool, "pool", 4);
  LLVMPositionBuilderAtEnd(c->b, LLVMAppendBasicBlockInContext(c->ctx, c->fn, "entry"));
  c->call_slot = LLVMBuildAlloca(c->b, c->call_ty, "call");
  c->in_slot = LLVMBuildAlloca(c->b, LLVMArrayType2(c->ptr, (uint64_t)c->maxnin), "in");
}

/* LLVM's optimisation of one function grows faster than linearly with its size
   (4,000 inline additions in one function took 43 s at -O2, 20,000 over 300 s), so
   the ops go into internal noinline functions of at most CHUNK_OPS ops each, called
   in order by run()/prepare(): compile time stays linear in the number of ops, and a
   call per CHUNK_OPS kernels costs nothing at run time. */
enum { CHUNK_OPS = 64 };

static void emit_op(Cg *c, GNode *n, bool prepare) {
  if (prepare) {
    char sym[64];
    snprintf(sym, sizeof sym, "slimrt_p_%s", slimrt_op_name(n->op));
    emit_call(c, n, sym);
  } else if (inline_ok(n)) {
    flush_steps(c);
    emit_inline(c, n);
  } else {
    add_step(c, n);
  }
}

static bool op_in_fn(const GNode *n, bool prepare) {
  if (prepare) return needs_prepare(n);
  return !(slimrt_op_flags(n->op) & (SLIMRT_F_SOURCE | SLIMRT_F_VIEW));
}

/* The ops of run() (or prepare()) as functions NAME.0, NAME.1, ... of CHUNK_OPS ops;
   returns their number and the functions in *OUT (malloc'd). */
static int emit_chunks(Cg *c, const char *name, bool prepare, LLVMValueRef **out) {
  int nops = 0, nparts = 0, i = 0;
  for (int k = 0; k < c->g->nodes.n; k++) nops += op_in_fn(c->g->nodes.items[k], prepare);
  *out = NULL;
  if (nops == 0) return 0;
  *out = malloc(sizeof **out * (size_t)(nops / CHUNK_OPS + 1));
  while (i < c->g->nodes.n) {
    int end = i;
    for (int count = 0; end < c->g->nodes.n && count < CHUNK_OPS; end++)
      count += op_in_fn(c->g->nodes.items[end], prepare);
    if (!prepare && !steps_begin(c, i, end)) {
      c->oom = true;
      break;
    }
    char fname[64];
    snprintf(fname, sizeof fname, "%s.%d", name, nparts);
    begin_fn(c, fname);
    unsigned kind = LLVMGetEnumAttributeKindForName("noinline", 8);
    LLVMAddAttributeAtIndex(c->fn, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(c->ctx, kind, 0));
    for (; i < end; i++) {
      GNode *n = c->g->nodes.items[i];
      if (op_in_fn(n, prepare)) emit_op(c, n, prepare);
    }
    if (!prepare) {
      flush_steps(c);
      steps_end(c);
    }
    LLVMBuildRetVoid(c->b);
    (*out)[nparts++] = c->fn;
    if (nparts * CHUNK_OPS >= nops) break;
  }
  return nparts;
}

static void call_chunks(Cg *c, LLVMValueRef *parts, int n) {
  LLVMValueRef args[4] = {c->io, c->arena, c->weights, c->pool};
  for (int k = 0; k < n; k++)
    LLVMBuildCall2(c->b, LLVMGlobalGetValueType(parts[k]), parts[k], args, 4, "");
}

/* `prepare(io, arena, weights, pool)`: the prepare hooks, in graph order, or NULL
   when no op has one. Called once after the weights are loaded. */
static LLVMValueRef build_prepare(Cg *c) {
  int count = 0;
  for (int i = 0; i < c->g->nodes.n; i++) count += needs_prepare(c->g->nodes.items[i]);
  if (count == 0) return LLVMConstPointerNull(c->ptr);
  LLVMValueRef *parts = NULL;
  int nparts = emit_chunks(c, "slimc_prepare", true, &parts);
  begin_fn(c, "slimc_prepare");
  call_chunks(c, parts, nparts);
  free(parts);
  LLVMBuildRetVoid(c->b);
  return c->fn;
}

static LLVMValueRef build_run(Cg *c) {
  LLVMValueRef *parts = NULL;
  int nparts = emit_chunks(c, "slimc_run", false, &parts);
  begin_fn(c, "slimc_run");
  call_chunks(c, parts, nparts);
  free(parts);
  /* Outputs not written in place (views, constants, duplicates) are copied. */
  for (int k = 0; k < c->g->noutputs; k++) {
    GNode *n = c->g->outputs[k].node;
    if (graph_output_slot(c->g, n) == k || n->nbytes == 0) continue;
    LLVMValueRef dst = load_slot(c, c->io, c->g->inputs.n + k);
    LLVMBuildMemCpy(c->b, dst, 1, buffer(c, n), 1, const_i64(c, n->nbytes));
  }
  LLVMBuildRetVoid(c->b);
  return c->fn;
}

/* ---- weights and initializers ---------------------------------------------- */

/* V's checkpoint key (its first in the restore map), or NULL: from a table by
   variable id (a scan of the map for each variable was quadratic: 16,000 variables
   took 0.3 s). */
static const char *ckpt_key_of(const Cg *c, const GVar *v) { return c->ckpt_key[v->id]; }

/* TF's _compute_fans (tf-slim-reference.md §10). */
static void fans(const GShape *s, double *fan_in, double *fan_out) {
  if (s->rank == 0) { *fan_in = *fan_out = 1; return; }
  if (s->rank == 1) { *fan_in = *fan_out = (double)s->dims[0]; return; }
  double receptive = 1;
  for (int i = 0; i < s->rank - 2; i++) receptive *= (double)s->dims[i];
  *fan_in = (double)s->dims[s->rank - 2] * receptive;
  *fan_out = (double)s->dims[s->rank - 1] * receptive;
}

static bool is_float(int dtype) {
  return dtype == SLIMRT_F32 || dtype == SLIMRT_F64 || dtype == SLIMRT_F16 || dtype == SLIMRT_BF16;
}

/* Resolves the initializer to a runtime distribution. */
static int64_t init_kind(const GVar *v, double p[2]) {
  const GInit *in = &v->init;
  double fi, fo, n;
  p[0] = p[1] = 0;
  switch (in->kind) {
  case GINIT_ZEROS: return SLIMRT_INIT_ZEROS;
  case GINIT_ONES: return SLIMRT_INIT_ONES;
  case GINIT_CONSTANT: case GINIT_VALUE:
    if (in->nvalues == 0) p[0] = in->mean;
    return SLIMRT_INIT_CONSTANT;
  case GINIT_RANDOM_NORMAL: p[0] = in->mean; p[1] = in->stddev; return SLIMRT_INIT_NORMAL;
  case GINIT_TRUNCATED_NORMAL: p[0] = in->mean; p[1] = in->stddev; return SLIMRT_INIT_TRUNCATED_NORMAL;
  case GINIT_RANDOM_UNIFORM: p[0] = in->minval; p[1] = in->maxval; return SLIMRT_INIT_UNIFORM;
  case GINIT_DEFAULT:
    if (!is_float(v->shape.dtype)) return SLIMRT_INIT_ZEROS;
    fans(&v->shape, &fi, &fo); /* glorot_uniform */
    p[1] = sqrt(6.0 / fmax(1.0, fi + fo));
    p[0] = -p[1];
    return SLIMRT_INIT_UNIFORM;
  case GINIT_VARIANCE_SCALING:
    fans(&v->shape, &fi, &fo);
    n = in->mode == 0 ? fi : in->mode == 1 ? fo : (fi + fo) / 2;
    n = fmax(1.0, n);
    if (in->uniform) {
      p[1] = sqrt(3.0 * in->factor / n);
      p[0] = -p[1];
      return SLIMRT_INIT_UNIFORM;
    }
    p[1] = sqrt((in->truncate_1_3 ? 1.3 : 1.0) * in->factor / n);
    return SLIMRT_INIT_TRUNCATED_NORMAL;
  }
  return SLIMRT_INIT_NONE;
}

int64_t backend_init_kind(const GVar *v, double p[2]) { return init_kind(v, p); }

/* Reads every restorable variable from o->checkpoint into read-only globals.
   Returns 0, or -1 after diagnostics naming the key, shapes and file. */
static int embed_weights(Cg *c) {
  char err[512];
  slimrt_ckpt *ck = slimrt_ckpt_open(c->o->checkpoint, err, sizeof err);
  if (!ck) {
    diag_error(c->d, SPAN_NONE, "E0950", "cannot open checkpoint '%s': %s", c->o->checkpoint, err);
    return -1;
  }
  int rc = 0, nwanted = 0, nfound = 0;
  int nkeys = slimrt_ckpt_count(ck);
  const char **keys = malloc(sizeof *keys * (size_t)(nkeys ? nkeys : 1));
  for (int i = 0; keys && i < nkeys; i++) keys[i] = slimrt_ckpt_entry_at(ck, i)->key;
  for (int i = 0; i < c->g->vars.n; i++) {
    GVar *v = c->g->vars.items[i];
    const char *key = ckpt_key_of(c, v);
    if (!key) continue;
    nwanted++;
    const slimrt_ckpt_entry *e = slimrt_ckpt_find(ck, key);
    char want[128], got[128];
    gshape_str(&v->shape, want, sizeof want);
    if (!e) {
      diag_error(c->d, v->span, "E0951", "checkpoint '%s' has no key '%s' (variable '%s', expected %s %s)",
                 c->o->checkpoint, key, v->name, slimrt_dtype_name(v->shape.dtype), want);
      const char *near = keys ? diag_closest(key, keys, nkeys) : NULL;
      const slimrt_ckpt_entry *ne = near ? slimrt_ckpt_find(ck, near) : NULL;
      if (ne) {
        GShape ns = {.dtype = ne->dtype, .rank = ne->rank};
        for (int j = 0; j < ne->rank && j < SLIMRT_MAX_RANK; j++) ns.dims[j] = ne->dims[j];
        const char *dn = slimrt_dtype_name(ne->dtype);
        diag_note(c->d, SPAN_NONE, "did you mean '%s'? (the checkpoint's most similar key, %s %s)", near,
                  dn ? dn : "unknown dtype", gshape_str(&ns, got, sizeof got));
      }
      rc = -1;
      continue;
    }
    nfound++;
    GShape es = {.dtype = e->dtype, .rank = e->rank};
    for (int j = 0; j < e->rank && j < SLIMRT_MAX_RANK; j++) es.dims[j] = e->dims[j];
    bool ok = es.rank == v->shape.rank;
    for (int j = 0; ok && j < es.rank; j++) ok = es.dims[j] == v->shape.dims[j];
    if (ok && e->dtype != v->shape.dtype) { /* no conversion: the executable refuses it the same way */
      const char *dn = slimrt_dtype_name(e->dtype);
      diag_error(c->d, v->span, "E0952", "checkpoint '%s': key '%s' has dtype %s but the model expects %s (variable '%s')",
                 c->o->checkpoint, key, dn ? dn : "unknown", slimrt_dtype_name(v->shape.dtype), v->name);
      rc = -1;
      continue;
    }
    if (!ok || e->dtype != v->shape.dtype) {
      const char *dn = slimrt_dtype_name(e->dtype);
      diag_error(c->d, v->span, "E0952",
                 "checkpoint '%s', key '%s': expected %s %s for variable '%s', found %s %s",
                 c->o->checkpoint, key, slimrt_dtype_name(v->shape.dtype), want, v->name,
                 dn ? dn : "unknown dtype", gshape_str(&es, got, sizeof got));
      rc = -1;
      continue;
    }
    int64_t count = gshape_count(&v->shape);
    int64_t nb = v->node ? graph_nbytes(v->node) : -1;
    if (count < 0 || nb < 0) { rc = -1; continue; }
    void *buf = malloc(nb ? (size_t)nb : 1);
    if (!buf) {
      diag_error(c->d, v->span, "E0907", "cannot allocate %lld bytes to embed variable '%s' from checkpoint '%s'",
                 (long long)nb, v->name, c->o->checkpoint);
      rc = -1;
      continue;
    }
    int r = slimrt_ckpt_read(ck, e, buf, (size_t)nb, err, sizeof err);
    if (r != 0) {
      diag_error(c->d, v->span, "E0953", "checkpoint '%s', key '%s': %s", c->o->checkpoint, key, err);
      rc = -1;
    } else {
      c->embedded[i] = bytes_global(c, buf, (size_t)nb, "weight");
    }
    free(buf);
  }
  if (nfound < nwanted) /* printed even past the error limit: how far off the checkpoint is */
    diag_note_always(c->d, SPAN_NONE, "%d of %d variables found in checkpoint '%s' (%d keys)", nfound, nwanted,
                     c->o->checkpoint, nkeys);
  free(keys);
  slimrt_ckpt_close(ck);
  return rc;
}

/* Code and data of an object file are addressed with 32-bit PC-relative offsets
   (the small code model): embedded weights and constants past 2 GiB would end in
   pages of raw relocation errors from the linker. One error before any work. */
#define CG_MAX_DATA (((int64_t)2 << 30) - ((int64_t)64 << 20)) /* leave room for code */
static int check_data_size(Cg *c) {
  int64_t total = 0;
  for (int i = 0; i < c->g->nodes.n; i++) {
    GNode *n = c->g->nodes.items[i];
    if (n->op == SLIMRT_OP_CONST && n->nbytes > 0) total += n->nbytes;
  }
  if (c->o->checkpoint)
    for (int i = 0; i < c->g->vars.n; i++) {
      GVar *v = c->g->vars.items[i];
      int64_t nb = v->node ? graph_nbytes(v->node) : 0;
      if (ckpt_key_of(c, v) && nb > 0) total += nb;
      if (total > CG_MAX_DATA) break;
    }
  if (total <= CG_MAX_DATA) return 0;
  diag_error(c->d, SPAN_NONE, "E0908",
             "the %s need %lld bytes, more than the %lld an object file can hold (2 GiB less room for code)%s",
             c->o->checkpoint ? "embedded weights and constants" : "model's constants", (long long)total,
             (long long)CG_MAX_DATA,
             c->o->checkpoint ? "; drop --checkpoint and give the checkpoint at run time instead" : "");
  return -1;
}

/* ---- descriptors -------------------------------------------------------------- */

static LLVMValueRef io_descs(Cg *c, LLVMTypeRef io_ty, GNode **nodes, const char **names, int n) {
  if (n == 0) return LLVMConstPointerNull(c->ptr);
  LLVMValueRef *v = malloc(sizeof *v * (size_t)n);
  for (int i = 0; i < n; i++) {
    LLVMValueRef prep = LLVMConstPointerNull(c->ptr);
    const float *ip = nodes[i]->op == SLIMRT_OP_INPUT ? nodes[i]->image_prep : NULL;
    if (ip) {
      int C = (int)nodes[i]->shape.dims[3];
      LLVMValueRef fv[6];
      for (int k = 0; k < 2 * C && k < 6; k++) fv[k] = LLVMConstReal(c->f32, ip[k]);
      prep = private_global(c, LLVMConstArray2(c->f32, fv, (uint64_t)(2 * C)), ".image_prep", 4);
    }
    GShape sh = nodes[i]->shape;
    if (nodes[i]->batch_mult) sh.dims[0] = -1; /* the run-time batch (pass_batch.c) */
    LLVMValueRef f[CG_ABI_io_desc_NFIELDS] = {[CG_ABI_io_desc_name] = cstring(c, names[i]),
                                              [CG_ABI_io_desc_shape] = shape_value(c, &sh),
                                              [CG_ABI_io_desc_image_prep] = prep};
    v[i] = abi_const(c, CG_ABI_io_desc, f);
  }
  LLVMValueRef gv = private_global(c, LLVMConstArray2(io_ty, v, (uint64_t)n), ".io", 8);
  free(v);
  return gv;
}

static LLVMValueRef build_desc(Cg *c, LLVMValueRef run, LLVMValueRef prepare, bool *all_embedded) {
  Graph *g = c->g;
  LLVMTypeRef io_ty = cg_abi_type(c->ctx, CG_ABI_io_desc);
  LLVMTypeRef var_ty = cg_abi_type(c->ctx, CG_ABI_var_desc);
  LLVMTypeRef entry_ty = cg_abi_type(c->ctx, CG_ABI_entry_desc);

  int ni = g->inputs.n, no = g->noutputs;
  GNode **nodes = malloc(sizeof *nodes * (size_t)(ni + no + 1));
  const char **names = malloc(sizeof *names * (size_t)(ni + no + 1));
  for (int i = 0; i < ni; i++) {
    nodes[i] = g->inputs.items[i];
    names[i] = nodes[i]->name;
  }
  for (int k = 0; k < no; k++) {
    nodes[ni + k] = g->outputs[k].node;
    names[ni + k] = g->outputs[k].name;
  }
  LLVMValueRef inputs = io_descs(c, io_ty, nodes, names, ni);
  LLVMValueRef outputs = io_descs(c, io_ty, nodes + ni, names + ni, no);
  free(nodes);
  free(names);

  *all_embedded = true;
  LLVMValueRef vars = LLVMConstPointerNull(c->ptr);
  if (g->vars.n > 0) {
    LLVMValueRef *v = malloc(sizeof *v * (size_t)g->vars.n);
    for (int i = 0; i < g->vars.n; i++) {
      GVar *var = g->vars.items[i];
      double p[2];
      int64_t kind = init_kind(var, p);
      LLVMValueRef values = LLVMConstPointerNull(c->ptr);
      int64_t nvalues = 0;
      if (kind == SLIMRT_INIT_CONSTANT && var->init.nvalues > 0) {
        nvalues = var->init.nvalues;
        LLVMValueRef *dv = malloc(sizeof *dv * (size_t)nvalues);
        for (int64_t j = 0; j < nvalues; j++) dv[j] = LLVMConstReal(c->f64, var->init.values[j]);
        values = private_global(c, LLVMConstArray2(c->f64, dv, (uint64_t)nvalues), ".init", 8);
        free(dv);
      }
      LLVMValueRef pv[2] = {LLVMConstReal(c->f64, p[0]), LLVMConstReal(c->f64, p[1])};
      if (!c->embedded[i]) *all_embedded = false;
      LLVMValueRef f[CG_ABI_var_desc_NFIELDS] = {
          [CG_ABI_var_desc_name] = cstring(c, var->name),
          [CG_ABI_var_desc_ckpt_key] = cstring(c, ckpt_key_of(c, var)),
          [CG_ABI_var_desc_shape] = shape_value(c, &var->shape),
          [CG_ABI_var_desc_embedded] = c->embedded[i] ? c->embedded[i] : LLVMConstPointerNull(c->ptr),
          [CG_ABI_var_desc_init_kind] = const_i64(c, kind),
          [CG_ABI_var_desc_init_p] = LLVMConstArray2(c->f64, pv, 2),
          [CG_ABI_var_desc_init_values] = values,
          [CG_ABI_var_desc_init_nvalues] = const_i64(c, nvalues)};
      v[i] = abi_const(c, CG_ABI_var_desc, f);
    }
    vars = private_global(c, LLVMConstArray2(var_ty, v, (uint64_t)g->vars.n), ".vars", 8);
    free(v);
  }
  /* the entry points: `run` alone for now */
  LLVMValueRef e[CG_ABI_entry_desc_NFIELDS] = {
      [CG_ABI_entry_desc_name] = cstring(c, "run"),
      [CG_ABI_entry_desc_fn] = run,
      [CG_ABI_entry_desc_ninputs] = const_i64(c, ni),
      [CG_ABI_entry_desc_noutputs] = const_i64(c, no),
      [CG_ABI_entry_desc_inputs] = inputs,
      [CG_ABI_entry_desc_outputs] = outputs};
  LLVMValueRef entry = abi_const(c, CG_ABI_entry_desc, e);
  LLVMValueRef entries = private_global(c, LLVMConstArray2(entry_ty, &entry, 1), ".entries", 8);
  LLVMValueRef f[CG_ABI_model_desc_NFIELDS] = {
      [CG_ABI_model_desc_name] = cstring(c, g->model_name),
      [CG_ABI_model_desc_nentries] = const_i64(c, 1),
      [CG_ABI_model_desc_entries] = entries,
      [CG_ABI_model_desc_nvars] = const_i64(c, g->vars.n),
      [CG_ABI_model_desc_vars] = vars,
      [CG_ABI_model_desc_arena_size] = const_i64(c, g->arena_size),
      [CG_ABI_model_desc_weights_embedded] = const_i64(c, *all_embedded),
      [CG_ABI_model_desc_prepare] = prepare};
  return private_global(c, abi_const(c, CG_ABI_model_desc, f), "slimc_model", 8);
}

/* ---- entry points ------------------------------------------------------------ */

static void build_main(Cg *c, LLVMValueRef desc) {
  LLVMTypeRef mp[2] = {c->i32, c->ptr};
  LLVMValueRef mainf = LLVMAddFunction(c->mod, "main", LLVMFunctionType(c->i32, mp, 2, 0));
  LLVMTypeRef sp[3] = {c->ptr, c->i32, c->ptr};
  LLVMTypeRef smt = LLVMFunctionType(c->i32, sp, 3, 0);
  LLVMValueRef sm = LLVMAddFunction(c->mod, "slimrt_main", smt);
  LLVMPositionBuilderAtEnd(c->b, LLVMAppendBasicBlockInContext(c->ctx, mainf, "entry"));
  LLVMValueRef args[3] = {desc, LLVMGetParam(mainf, 0), LLVMGetParam(mainf, 1)};
  LLVMBuildRet(c->b, LLVMBuildCall2(c->b, smt, sm, args, 3, ""));
}

/* In a C API wrapper F, its NI input and NO output pointer parameters (from parameter FIRST on)
   stored into two stack arrays, as slimrt_model_run and _run_batch take them. */
static void io_arrays(Cg *c, LLVMValueRef f, int first, int ni, int no, LLVMValueRef *ins, LLVMValueRef *outs) {
  LLVMTypeRef in_ty = LLVMArrayType2(c->ptr, (uint64_t)(ni ? ni : 1));
  LLVMTypeRef out_ty = LLVMArrayType2(c->ptr, (uint64_t)(no ? no : 1));
  *ins = LLVMBuildAlloca(c->b, in_ty, "inputs");
  *outs = LLVMBuildAlloca(c->b, out_ty, "outputs");
  for (int i = 0; i < ni + no; i++) {
    bool is_in = i < ni;
    LLVMValueRef idx[2] = {const_i64(c, 0), const_i64(c, is_in ? i : i - ni)};
    LLVMValueRef p = LLVMBuildInBoundsGEP2(c->b, is_in ? in_ty : out_ty, is_in ? *ins : *outs, idx, 2, "");
    LLVMBuildStore(c->b, LLVMGetParam(f, (unsigned)(first + i)), p);
  }
}

/* A C API function NAME(params...) returning CALLEE(lead..., params...); RET NULL: void. */
static void forward(Cg *c, const char *name, LLVMTypeRef ret, LLVMTypeRef *params, int np, const char *callee,
                    LLVMValueRef *lead, int nlead, LLVMTypeRef *lead_ty) {
  LLVMTypeRef r = ret ? ret : c->vd;
  LLVMValueRef f = LLVMAddFunction(c->mod, name, LLVMFunctionType(r, params, (unsigned)np, 0));
  LLVMTypeRef cp[8];
  LLVMValueRef ca[8];
  for (int i = 0; i < nlead; i++) cp[i] = lead_ty[i], ca[i] = lead[i];
  for (int i = 0; i < np; i++) cp[nlead + i] = params[i], ca[nlead + i] = LLVMGetParam(f, (unsigned)i);
  LLVMTypeRef ct = LLVMFunctionType(r, cp, (unsigned)(nlead + np), 0);
  LLVMValueRef callee_f = LLVMGetNamedFunction(c->mod, callee);
  if (!callee_f) callee_f = LLVMAddFunction(c->mod, callee, ct);
  LLVMPositionBuilderAtEnd(c->b, LLVMAppendBasicBlockInContext(c->ctx, f, "entry"));
  LLVMValueRef v = LLVMBuildCall2(c->b, ct, callee_f, ca, (unsigned)(nlead + np), "");
  if (ret) LLVMBuildRet(c->b, v);
  else LLVMBuildRetVoid(c->b);
}

/* The rest of the C API (runtime/src/capi.c): options, checked runs, introspection. */
static void build_c_api_ex(Cg *c, LLVMValueRef desc, const char *pfx) {
  Arena *a = c->g->arena;
  LLVMTypeRef p = c->ptr, i64 = c->i64, i32 = c->i32;
  forward(c, arena_printf(a, "%s_options_init", pfx), NULL, &p, 1, "slimrt_options_init", NULL, 0, NULL);
  LLVMTypeRef nx[3] = {p, p, i64};
  forward(c, arena_printf(a, "%s_new_ex", pfx), p, nx, 3, "slimrt_model_new_ex", &desc, 1, &p);
  LLVMTypeRef rt[7] = {p, p, i64, p, i64, p, i64};
  forward(c, arena_printf(a, "%s_run_tensors", pfx), i32, rt, 7, "slimrt_model_run_tensors", NULL, 0, NULL);
  LLVMTypeRef info[2] = {i32, p};
  LLVMTypeRef lead_ty[2] = {p, i32};
  for (int out = 0; out < 2; out++) {
    LLVMValueRef lead[2] = {desc, LLVMConstInt(i32, (unsigned long long)out, 0)};
    forward(c, arena_printf(a, "%s_%s_info", pfx, out ? "output" : "input"), i32, info, 2, "slimrt_model_io_info",
            lead, 2, lead_ty);
    LLVMValueRef f = LLVMAddFunction(c->mod, arena_printf(a, "%s_num_%s", pfx, out ? "outputs" : "inputs"),
                                     LLVMFunctionType(i32, NULL, 0, 0));
    LLVMPositionBuilderAtEnd(c->b, LLVMAppendBasicBlockInContext(c->ctx, f, "entry"));
    LLVMBuildRet(c->b, LLVMConstInt(i32, (unsigned long long)(out ? c->g->noutputs : c->g->inputs.n), 0));
  }
}

/* PREFIX_new / PREFIX_run / PREFIX_free of CLI.md, thin wrappers over slimrt_model_*. */
static void build_c_api(Cg *c, LLVMValueRef desc) {
  const char *pfx = c->o->prefix ? c->o->prefix : c->g->model_name;
  Arena *a = c->g->arena;
  int ni = c->g->inputs.n, no = c->g->noutputs;

  LLVMTypeRef nt_p[6] = {c->ptr, c->ptr, c->i64, c->i32, c->ptr, c->i64};
  LLVMTypeRef nt = LLVMFunctionType(c->ptr, nt_p, 6, 0);
  LLVMValueRef model_new = LLVMAddFunction(c->mod, "slimrt_model_new", nt);
  LLVMTypeRef np[3] = {c->ptr, c->ptr, c->i64};
  LLVMValueRef fnew = LLVMAddFunction(c->mod, arena_printf(a, "%s_new", pfx), LLVMFunctionType(c->ptr, np, 3, 0));
  LLVMPositionBuilderAtEnd(c->b, LLVMAppendBasicBlockInContext(c->ctx, fnew, "entry"));
  /* seed -1: no random weights; 0 threads: one per core */
  LLVMValueRef na[6] = {desc, LLVMGetParam(fnew, 0), const_i64(c, -1), LLVMConstInt(c->i32, 0, 0),
                        LLVMGetParam(fnew, 1), LLVMGetParam(fnew, 2)};
  LLVMBuildRet(c->b, LLVMBuildCall2(c->b, nt, model_new, na, 6, ""));

  LLVMTypeRef rt_p[3] = {c->ptr, c->ptr, c->ptr};
  LLVMTypeRef rt = LLVMFunctionType(c->i32, rt_p, 3, 0);
  LLVMValueRef model_run = LLVMAddFunction(c->mod, "slimrt_model_run", rt);
  LLVMTypeRef *rp = malloc(sizeof *rp * (size_t)(1 + ni + no));
  for (int i = 0; i < 1 + ni + no; i++) rp[i] = c->ptr;
  LLVMValueRef frun = LLVMAddFunction(c->mod, arena_printf(a, "%s_run", pfx),
                                      LLVMFunctionType(c->i32, rp, (unsigned)(1 + ni + no), 0));
  free(rp);
  LLVMPositionBuilderAtEnd(c->b, LLVMAppendBasicBlockInContext(c->ctx, frun, "entry"));
  LLVMValueRef ins, outs;
  io_arrays(c, frun, 1, ni, no, &ins, &outs);
  LLVMValueRef ra[3] = {LLVMGetParam(frun, 0), ins, outs};
  LLVMBuildRet(c->b, LLVMBuildCall2(c->b, rt, model_run, ra, 3, ""));

  if (c->g->dyn_batch) { /* PREFIX_run_batch(m, n, in..., out..., err, err_len) */
    LLVMTypeRef bt_p[6] = {c->ptr, c->i64, c->ptr, c->ptr, c->ptr, c->i64};
    LLVMTypeRef bt = LLVMFunctionType(c->i32, bt_p, 6, 0);
    LLVMValueRef model_run_batch = LLVMAddFunction(c->mod, "slimrt_model_run_batch", bt);
    int np2 = 2 + ni + no + 2;
    LLVMTypeRef *bp = malloc(sizeof *bp * (size_t)np2);
    for (int i = 0; i < np2; i++) bp[i] = c->ptr;
    bp[1] = c->i64, bp[np2 - 1] = c->i64;
    LLVMValueRef fbatch = LLVMAddFunction(c->mod, arena_printf(a, "%s_run_batch", pfx),
                                          LLVMFunctionType(c->i32, bp, (unsigned)np2, 0));
    free(bp);
    LLVMPositionBuilderAtEnd(c->b, LLVMAppendBasicBlockInContext(c->ctx, fbatch, "entry"));
    LLVMValueRef bins, bouts;
    io_arrays(c, fbatch, 2, ni, no, &bins, &bouts);
    LLVMValueRef ba[6] = {LLVMGetParam(fbatch, 0), LLVMGetParam(fbatch, 1), bins, bouts,
                          LLVMGetParam(fbatch, (unsigned)(np2 - 2)), LLVMGetParam(fbatch, (unsigned)(np2 - 1))};
    LLVMBuildRet(c->b, LLVMBuildCall2(c->b, bt, model_run_batch, ba, 6, ""));
  }

  LLVMTypeRef ft = LLVMFunctionType(c->vd, &c->ptr, 1, 0);
  LLVMValueRef model_free = LLVMAddFunction(c->mod, "slimrt_model_free", ft);
  LLVMValueRef ffree = LLVMAddFunction(c->mod, arena_printf(a, "%s_free", pfx), ft);
  LLVMPositionBuilderAtEnd(c->b, LLVMAppendBasicBlockInContext(c->ctx, ffree, "entry"));
  LLVMValueRef fa = LLVMGetParam(ffree, 0);
  LLVMBuildCall2(c->b, ft, model_free, &fa, 1, "");
  LLVMBuildRetVoid(c->b);
  build_c_api_ex(c, desc, pfx);
}

CgModule *cg_module_build(Graph *g, Diag *d, const BackendOptions *o) {
  LLVMTargetMachineRef tm = cg_target_machine(d, o);
  if (!tm) return NULL;
  CgModule *m = calloc(1, sizeof *m);
  m->tm = tm;
  m->ctx = LLVMContextCreate();
  const char *name = g->model_name ? g->model_name : "model";
  m->mod = LLVMModuleCreateWithNameInContext(name, m->ctx);
  /* the source name lands in objects: keep it free of paths for reproducibility */
  LLVMSetSourceFileName(m->mod, name, strlen(name));
  char *triple = LLVMGetTargetMachineTriple(tm);
  LLVMSetTarget(m->mod, triple);
  LLVMDisposeMessage(triple);
  LLVMTargetDataRef td = LLVMCreateTargetDataLayout(tm);
  char *layout = LLVMCopyStringRepOfTargetData(td);
  LLVMSetDataLayout(m->mod, layout);
  LLVMDisposeMessage(layout);
  LLVMDisposeTargetData(td);

  Cg c = {.g = g, .d = d, .o = o, .ctx = m->ctx, .mod = m->mod};
  c.b = LLVMCreateBuilderInContext(c.ctx);
  c.i8 = LLVMInt8TypeInContext(c.ctx);
  c.i32 = LLVMInt32TypeInContext(c.ctx);
  c.i64 = LLVMInt64TypeInContext(c.ctx);
  c.f32 = LLVMFloatTypeInContext(c.ctx);
  c.f64 = LLVMDoubleTypeInContext(c.ctx);
  c.ptr = LLVMPointerTypeInContext(c.ctx, 0);
  c.vd = LLVMVoidTypeInContext(c.ctx);
  c.shape_ty = LLVMArrayType2(c.i64, 2 + SLIMRT_MAX_RANK);
  c.call_ty = cg_abi_type(c.ctx, CG_ABI_call);
  c.maxnin = 1;
  for (int i = 0; i < g->nodes.n; i++) {
    GNode *n = g->nodes.items[i];
    if (n->id > c.maxid) c.maxid = n->id;
    if (n->nin > c.maxnin) c.maxnin = n->nin;
  }
  for (int i = 0; i < g->vars.n; i++) {
    GVar *v = g->vars.items[i];
    if (v->id > c.maxvarid) c.maxvarid = v->id;
  }
  c.const_global = calloc((size_t)c.maxid + 1, sizeof *c.const_global);
  c.var_index = calloc((size_t)c.maxvarid + 1, sizeof *c.var_index);
  c.embedded = calloc((size_t)g->vars.n + 1, sizeof *c.embedded);
  for (int i = 0; i < g->vars.n; i++) c.var_index[((GVar *)g->vars.items[i])->id] = i;
  c.ckpt_key = calloc((size_t)c.maxvarid + 1, sizeof *c.ckpt_key);
  for (int i = g->nrestore - 1; i >= 0 && c.ckpt_key; i--) { /* the first entry of a variable wins */
    const GVar *v = g->restore[i].var;
    if (v && v->id >= 0 && v->id <= c.maxvarid) c.ckpt_key[v->id] = g->restore[i].key; /* else not in the model */
  }

  int rc = 0;
  if (!c.const_global || !c.var_index || !c.embedded || !c.ckpt_key) {
    diag_error(d, SPAN_NONE, "E0918", "out of memory while generating code for model '%s'", name);
    rc = -1;
  }
  if (rc == 0) rc = check_data_size(&c);
  if (rc == 0 && o->checkpoint) rc = embed_weights(&c);
  if (rc == 0) {
    bool all;
    LLVMValueRef run = build_run(&c);
    LLVMValueRef prepare = build_prepare(&c);
    LLVMValueRef desc = build_desc(&c, run, prepare, &all);
    if (o->emit == EMIT_OBJ) build_c_api(&c, desc);
    else build_main(&c, desc);
    char *msg = NULL;
    if (c.oom) {
      diag_error(d, SPAN_NONE, "E0918", "out of memory while generating code for model '%s'", name);
      rc = -1;
    } else if (c.abi_unset) {
      diag_error(d, SPAN_NONE, "E0906", "internal error: runtime descriptor field '%s' left unset", c.abi_unset);
      rc = -1;
    } else if (LLVMVerifyModule(m->mod, LLVMReturnStatusAction, &msg)) {
      diag_error(d, SPAN_NONE, "E0906", "internal error: generated LLVM IR is invalid: %s", msg);
      rc = -1;
    }
    LLVMDisposeMessage(msg);
  }
  LLVMDisposeBuilder(c.b);
  free(c.const_global);
  free(c.var_index);
  free(c.embedded);
  free((void *)c.ckpt_key);
  free(c.step_init);
  free(c.ref_init);
  shared_free(&c);
  if (rc != 0) {
    cg_module_free(m);
    return NULL;
  }
  return m;
}

char *cg_module_ir(CgModule *m) {
  char *s = LLVMPrintModuleToString(m->mod);
  char *r = strdup(s);
  LLVMDisposeMessage(s);
  return r;
}

LLVMModuleRef cg_module_llvm(CgModule *m) { return m->mod; }
LLVMTargetMachineRef cg_module_tm(CgModule *m) { return m->tm; }

void cg_module_free(CgModule *m) {
  if (!m) return;
  if (m->mod) LLVMDisposeModule(m->mod);
  if (m->ctx) LLVMContextDispose(m->ctx);
  if (m->tm) LLVMDisposeTargetMachine(m->tm);
  free(m);
}
