/* What the middle end asks of libslimrt on the chosen target (passes/passes.h's
 * PassTarget): which kernel folds an op at compile time, when a fused convolution may
 * write over its residual, when its filter can be packed at load time. The answers
 * come from the runtime itself, so the passes and the kernels cannot disagree. */
#include "llvm/cg_internal.h"

static bool is_float(int dt) { return dt == SLIMRT_F32 || dt == SLIMRT_F64 || dt == SLIMRT_F16 || dt == SLIMRT_BF16; }

/* The host runs the very kernels the generated code calls. */
static slimrt_kernel host_fold_kernel(const GNode *n) { return slimrt_op_kernel(n->op); }

/* Another architecture: the host's kernels give the target's bits only where every
   element is exact (a copy or one IEEE operation) or no float is involved. */
static bool touches_floats(const GNode *n) {
  bool f = is_float(n->shape.dtype);
  for (int j = 0; j < n->nin; j++) f = f || is_float(n->in[j]->shape.dtype);
  return f;
}

static slimrt_kernel cross_fold_kernel(const GNode *n) {
  bool exact = (slimrt_op_flags(n->op) & SLIMRT_F_EXACT) || !touches_floats(n);
  return exact ? slimrt_op_kernel(n->op) : NULL;
}

static bool conv_inplace_ok(const slimrt_attr_fconv *a, int64_t n, int64_t h, int64_t w, int64_t ci, int64_t oh,
                            int64_t ow, int64_t kh, int64_t kw) {
  return slimrt_fused_conv_inplace_ok(a, n, h, w, ci, oh, ow, kh, kw) != 0;
}

static bool conv_prepack_ok(const slimrt_attr_fconv *a, int64_t co) { return slimrt_fused_conv_prepack_ok(a, co) != 0; }

static const PassTarget host = {"libslimrt", host_fold_kernel, conv_inplace_ok, conv_prepack_ok};
static const PassTarget cross = {"libslimrt (cross)", cross_fold_kernel, conv_inplace_ok, conv_prepack_ok};

PassOptions backend_pass_options(const BackendOptions *o) {
  return (PassOptions){
      .target = o->cross ? &cross : &host,
      .dump_graph = cg_dump_has(o->dump, "graph"),
      .dump_fuse = cg_dump_has(o->dump, "fuse"),
      .dump_opt = cg_dump_has(o->dump, "opt"),
      .print_memory_plan = o->print_memory_plan,
  };
}
