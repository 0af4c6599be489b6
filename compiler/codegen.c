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
#include "cg_internal.h"
#include "slimrt.h"

/* Read from the op table: each kernel's symbol and attribute struct size. */
static const struct {
  const char *kernel;
  size_t attr_size;
} op_info[] = {
#define SLIMRT_OP(ID, TF, MINI, MAXI, ATTR, FLAGS) {"slimrt_k_" #ID, sizeof(slimrt_attr_##ATTR)},
#include "slimrt_ops.def"
#undef SLIMRT_OP
};

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
  int maxid, maxvarid;
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

static LLVMValueRef cstring(Cg *c, const char *s) {
  if (!s) return LLVMConstPointerNull(c->ptr);
  return private_global(c, LLVMConstStringInContext2(c->ctx, s, strlen(s), 0), ".str", 1);
}

static LLVMValueRef bytes_global(Cg *c, const void *data, size_t n, const char *name) {
  LLVMValueRef init = LLVMConstStringInContext2(c->ctx, data, n, 1);
  return private_global(c, init, name, 64);
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
  size_t words = op_info[n->op].attr_size / sizeof(int64_t);
  int64_t raw[sizeof(slimrt_attr) / sizeof(int64_t)];
  memcpy(raw, &n->attr, sizeof raw);
  LLVMValueRef v[sizeof(slimrt_attr) / sizeof(int64_t)];
  for (size_t i = 0; i < words; i++) v[i] = const_i64(c, raw[i]);
  return private_global(c, LLVMConstArray2(c->i64, v, words), ".attr", 8);
}

/* ---- buffers -------------------------------------------------------------- */

static LLVMValueRef load_slot(Cg *c, LLVMValueRef base, int64_t idx) {
  LLVMValueRef i = const_i64(c, idx);
  LLVMValueRef p = LLVMBuildInBoundsGEP2(c->b, c->ptr, base, &i, 1, "");
  return LLVMBuildLoad2(c->b, c->ptr, p, "");
}

/* The address of N's buffer inside run(). */
static LLVMValueRef buffer(Cg *c, GNode *n) {
  n = cg_view_root(n);
  int k;
  switch (n->op) {
  case SLIMRT_OP_INPUT: return load_slot(c, c->io, n->input_index);
  case SLIMRT_OP_VARIABLE: return load_slot(c, c->weights, c->var_index[n->var->id]);
  case SLIMRT_OP_CONST:
    if (!c->const_global[n->id])
      c->const_global[n->id] = bytes_global(c, n->data, (size_t)n->nbytes, "const");
    return c->const_global[n->id];
  default:
    if ((k = cg_output_slot(c->g, n)) >= 0) return load_slot(c, c->io, c->g->inputs.n + k);
    LLVMValueRef off = const_i64(c, n->arena_offset);
    return LLVMBuildInBoundsGEP2(c->b, c->i8, c->arena, &off, 1, "");
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
  switch (n->op) {
  case SLIMRT_OP_RELU: case SLIMRT_OP_NEG:
  case SLIMRT_OP_ADD: case SLIMRT_OP_SUB: case SLIMRT_OP_MUL: case SLIMRT_OP_DIV:
  case SLIMRT_OP_MAXIMUM: case SLIMRT_OP_MINIMUM: break;
  default: return false;
  }
  if (n->shape.dtype != SLIMRT_F32) return false;
  for (int j = 0; j < n->nin; j++)
    if (!same_shape(&n->in[j]->shape, &n->shape)) return false;
  return true;
}

static LLVMValueRef scalar_op(Cg *c, int op, LLVMValueRef a, LLVMValueRef b) {
  LLVMValueRef zero = LLVMConstReal(c->f32, 0.0);
  switch (op) {
  case SLIMRT_OP_RELU: return LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOGT, a, zero, ""), a, zero, "");
  case SLIMRT_OP_NEG: return LLVMBuildFNeg(c->b, a, "");
  case SLIMRT_OP_ADD: return LLVMBuildFAdd(c->b, a, b, "");
  case SLIMRT_OP_SUB: return LLVMBuildFSub(c->b, a, b, "");
  case SLIMRT_OP_MUL: return LLVMBuildFMul(c->b, a, b, "");
  case SLIMRT_OP_DIV: return LLVMBuildFDiv(c->b, a, b, "");
  case SLIMRT_OP_MAXIMUM: return LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOGE, a, b, ""), a, b, "");
  default: return LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOLE, a, b, ""), a, b, "");
  }
}

static void emit_inline(Cg *c, GNode *n) {
  int64_t count = gshape_count(&n->shape);
  if (count <= 0) return;
  LLVMValueRef in[2] = {NULL, NULL};
  for (int j = 0; j < n->nin; j++) in[j] = buffer(c, n->in[j]);
  LLVMValueRef out = buffer(c, n);
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
  LLVMValueRef *shapes = malloc(sizeof *shapes * (size_t)(n->nin ? n->nin : 1));
  for (int j = 0; j < n->nin; j++) {
    LLVMValueRef idx[2] = {const_i64(c, 0), const_i64(c, j)};
    LLVMValueRef p = LLVMBuildInBoundsGEP2(c->b, LLVMArrayType2(c->ptr, (uint64_t)n->nin), c->in_slot, idx, 2, "");
    LLVMBuildStore(c->b, buffer(c, n->in[j]), p);
    shapes[j] = shape_value(c, &n->in[j]->shape);
  }
  LLVMValueRef in_shapes = n->nin
      ? private_global(c, LLVMConstArray2(c->shape_ty, shapes, (uint64_t)n->nin), ".in_shape", 8)
      : LLVMConstPointerNull(c->ptr);
  free(shapes);
  store_field(c, 0, c->in_slot);
  store_field(c, 1, in_shapes);
  store_field(c, 2, const_i64(c, n->nin));
  store_field(c, 3, buffer(c, n));
  store_field(c, 4, private_global(c, shape_value(c, &n->shape), ".out_shape", 8));
  store_field(c, 5, attr_global(c, n));
  store_field(c, 6, c->pool);
  LLVMValueRef f = kernel_decl(c, sym);
  LLVMBuildCall2(c->b, LLVMGlobalGetValueType(f), f, &c->call_slot, 1, "");
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
  int maxnin = 1;
  for (int i = 0; i < c->g->nodes.n; i++) {
    GNode *n = c->g->nodes.items[i];
    if (n->nin > maxnin) maxnin = n->nin;
  }
  c->call_slot = LLVMBuildAlloca(c->b, c->call_ty, "call");
  c->in_slot = LLVMBuildAlloca(c->b, LLVMArrayType2(c->ptr, (uint64_t)maxnin), "in");
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
    emit_inline(c, n);
  } else {
    emit_call(c, n, op_info[n->op].kernel);
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
    char fname[64];
    snprintf(fname, sizeof fname, "%s.%d", name, nparts);
    begin_fn(c, fname);
    unsigned kind = LLVMGetEnumAttributeKindForName("noinline", 8);
    LLVMAddAttributeAtIndex(c->fn, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(c->ctx, kind, 0));
    for (int done = 0; i < c->g->nodes.n && done < CHUNK_OPS; i++) {
      GNode *n = c->g->nodes.items[i];
      if (!op_in_fn(n, prepare)) continue;
      emit_op(c, n, prepare);
      done++;
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
    if (cg_output_slot(c->g, n) == k || n->nbytes == 0) continue;
    LLVMValueRef dst = load_slot(c, c->io, c->g->inputs.n + k);
    LLVMBuildMemCpy(c->b, dst, 1, buffer(c, n), 1, const_i64(c, n->nbytes));
  }
  LLVMBuildRetVoid(c->b);
  return c->fn;
}

/* ---- weights and initializers ---------------------------------------------- */

static const char *ckpt_key_of(const Graph *g, const GVar *v) {
  for (int i = 0; i < g->nrestore; i++)
    if (g->restore[i].var == v) return g->restore[i].key;
  return NULL;
}

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
    diag_error(c->d, SPAN_NONE, "E0902", "cannot open checkpoint '%s': %s", c->o->checkpoint, err);
    return -1;
  }
  int rc = 0, nwanted = 0, nfound = 0;
  int nkeys = slimrt_ckpt_count(ck);
  const char **keys = malloc(sizeof *keys * (size_t)(nkeys ? nkeys : 1));
  for (int i = 0; keys && i < nkeys; i++) keys[i] = slimrt_ckpt_entry_at(ck, i)->key;
  for (int i = 0; i < c->g->vars.n; i++) {
    GVar *v = c->g->vars.items[i];
    const char *key = ckpt_key_of(c->g, v);
    if (!key) continue;
    nwanted++;
    const slimrt_ckpt_entry *e = slimrt_ckpt_find(ck, key);
    char want[128], got[128];
    gshape_str(&v->shape, want, sizeof want);
    if (!e) {
      diag_error(c->d, v->span, "E0903", "checkpoint '%s' has no key '%s' (variable '%s', expected %s %s)",
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
      diag_error(c->d, v->span, "E0904", "checkpoint '%s': key '%s' has dtype %s but the model expects %s (variable '%s')",
                 c->o->checkpoint, key, dn ? dn : "unknown", slimrt_dtype_name(v->shape.dtype), v->name);
      rc = -1;
      continue;
    }
    if (!ok || e->dtype != v->shape.dtype) {
      const char *dn = slimrt_dtype_name(e->dtype);
      diag_error(c->d, v->span, "E0904",
                 "checkpoint '%s', key '%s': expected %s %s for variable '%s', found %s %s",
                 c->o->checkpoint, key, slimrt_dtype_name(v->shape.dtype), want, v->name,
                 dn ? dn : "unknown dtype", gshape_str(&es, got, sizeof got));
      rc = -1;
      continue;
    }
    int64_t count = gshape_count(&v->shape);
    int64_t nb = v->node ? cg_nbytes(v->node) : -1;
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
      diag_error(c->d, v->span, "E0905", "checkpoint '%s', key '%s': %s", c->o->checkpoint, key, err);
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
      int64_t nb = v->node ? cg_nbytes(v->node) : 0;
      if (ckpt_key_of(c->g, v) && nb > 0) total += nb;
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
    LLVMValueRef f[3] = {cstring(c, names[i]), shape_value(c, &sh), prep};
    v[i] = LLVMConstNamedStruct(io_ty, f, 3);
  }
  LLVMValueRef gv = private_global(c, LLVMConstArray2(io_ty, v, (uint64_t)n), ".io", 8);
  free(v);
  return gv;
}

static LLVMValueRef build_desc(Cg *c, LLVMValueRef run, LLVMValueRef prepare, bool *all_embedded) {
  Graph *g = c->g;
  LLVMTypeRef io_f[3] = {c->ptr, c->shape_ty, c->ptr};
  LLVMTypeRef io_ty = LLVMStructCreateNamed(c->ctx, "slimrt_io_desc");
  LLVMStructSetBody(io_ty, io_f, 3, 0);
  LLVMTypeRef var_f[8] = {c->ptr, c->ptr, c->shape_ty, c->ptr, c->i64, LLVMArrayType2(c->f64, 2), c->ptr, c->i64};
  LLVMTypeRef var_ty = LLVMStructCreateNamed(c->ctx, "slimrt_var_desc");
  LLVMStructSetBody(var_ty, var_f, 8, 0);
  LLVMTypeRef desc_f[11] = {c->ptr, c->i64, c->i64, c->i64, c->ptr, c->ptr, c->ptr, c->i64, c->i64, c->ptr, c->ptr};
  LLVMTypeRef desc_ty = LLVMStructCreateNamed(c->ctx, "slimrt_model_desc");
  LLVMStructSetBody(desc_ty, desc_f, 11, 0);

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
      LLVMValueRef f[8] = {
          cstring(c, var->name), cstring(c, ckpt_key_of(g, var)), shape_value(c, &var->shape),
          c->embedded[i] ? c->embedded[i] : LLVMConstPointerNull(c->ptr), const_i64(c, kind),
          LLVMConstArray2(c->f64, pv, 2), values, const_i64(c, nvalues)};
      v[i] = LLVMConstNamedStruct(var_ty, f, 8);
    }
    vars = private_global(c, LLVMConstArray2(var_ty, v, (uint64_t)g->vars.n), ".vars", 8);
    free(v);
  }
  LLVMValueRef f[11] = {cstring(c, g->model_name), const_i64(c, ni), const_i64(c, no),
                        const_i64(c, g->vars.n), inputs, outputs, vars, const_i64(c, g->arena_size),
                        const_i64(c, *all_embedded), run, prepare};
  return private_global(c, LLVMConstNamedStruct(desc_ty, f, 11), "slimc_model", 8);
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
  LLVMTypeRef in_ty = LLVMArrayType2(c->ptr, (uint64_t)(ni ? ni : 1));
  LLVMTypeRef out_ty = LLVMArrayType2(c->ptr, (uint64_t)(no ? no : 1));
  LLVMValueRef ins = LLVMBuildAlloca(c->b, in_ty, "inputs");
  LLVMValueRef outs = LLVMBuildAlloca(c->b, out_ty, "outputs");
  for (int i = 0; i < ni + no; i++) {
    bool is_in = i < ni;
    LLVMValueRef idx[2] = {const_i64(c, 0), const_i64(c, is_in ? i : i - ni)};
    LLVMValueRef p = LLVMBuildInBoundsGEP2(c->b, is_in ? in_ty : out_ty, is_in ? ins : outs, idx, 2, "");
    LLVMBuildStore(c->b, LLVMGetParam(frun, (unsigned)(1 + i)), p);
  }
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
    LLVMValueRef bins = LLVMBuildAlloca(c->b, in_ty, "inputs");
    LLVMValueRef bouts = LLVMBuildAlloca(c->b, out_ty, "outputs");
    for (int i = 0; i < ni + no; i++) {
      bool is_in = i < ni;
      LLVMValueRef idx[2] = {const_i64(c, 0), const_i64(c, is_in ? i : i - ni)};
      LLVMValueRef p = LLVMBuildInBoundsGEP2(c->b, is_in ? in_ty : out_ty, is_in ? bins : bouts, idx, 2, "");
      LLVMBuildStore(c->b, LLVMGetParam(fbatch, (unsigned)(2 + i)), p);
    }
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
  LLVMTypeRef call_f[7] = {c.ptr, c.ptr, c.i64, c.ptr, c.ptr, c.ptr, c.ptr};
  c.call_ty = LLVMStructCreateNamed(c.ctx, "slimrt_call");
  LLVMStructSetBody(c.call_ty, call_f, 7, 0);
  for (int i = 0; i < g->nodes.n; i++) {
    GNode *n = g->nodes.items[i];
    if (n->id > c.maxid) c.maxid = n->id;
  }
  for (int i = 0; i < g->vars.n; i++) {
    GVar *v = g->vars.items[i];
    if (v->id > c.maxvarid) c.maxvarid = v->id;
  }
  c.const_global = calloc((size_t)c.maxid + 1, sizeof *c.const_global);
  c.var_index = calloc((size_t)c.maxvarid + 1, sizeof *c.var_index);
  c.embedded = calloc((size_t)g->vars.n + 1, sizeof *c.embedded);
  for (int i = 0; i < g->vars.n; i++) c.var_index[((GVar *)g->vars.items[i])->id] = i;

  int rc = check_data_size(&c);
  if (rc == 0 && o->checkpoint) rc = embed_weights(&c);
  if (rc == 0) {
    bool all;
    LLVMValueRef run = build_run(&c);
    LLVMValueRef prepare = build_prepare(&c);
    LLVMValueRef desc = build_desc(&c, run, prepare, &all);
    if (o->emit == EMIT_OBJ) build_c_api(&c, desc);
    else build_main(&c, desc);
    char *msg = NULL;
    if (LLVMVerifyModule(m->mod, LLVMReturnStatusAction, &msg)) {
      diag_error(d, SPAN_NONE, "E0906", "internal error: generated LLVM IR is invalid: %s", msg);
      rc = -1;
    }
    LLVMDisposeMessage(msg);
  }
  LLVMDisposeBuilder(c.b);
  free(c.const_global);
  free(c.var_index);
  free(c.embedded);
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
