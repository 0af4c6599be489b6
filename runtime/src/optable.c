/* Accessors for the op table: every fact comes from slimrt_ops.def through one
 * X-macro expansion per table, so adding an op touches only the .def file. */
#include <stddef.h>
#include "slimrt_ops.h"

typedef struct op_info {
  const char *name, *tf_type, *default_name, *symbol, *api;
  int min_in, max_in, nout, flags, act;
  size_t attr_size;
  slimrt_kernel kernel;
  slimrt_kernel prepare;
} op_info;

/* Source ops have kernels too (no-ops) but the table hides them: the backend
   binds their buffers and must never emit a call. */
#define SLIMRT_OP(ID, TF, NAME, MINI, MAXI, NOUT, ATTR, FLAGS, ACT, SHAPE, BATCH, API, BUILD, GRAD) \
  {#ID, TF, NAME, ((FLAGS) & SLIMRT_F_SOURCE) ? NULL : "slimrt_k_" #ID, API, MINI, MAXI, NOUT,   \
   FLAGS, SLIMRT_ACT_##ACT, sizeof(((slimrt_attr *)0)->ATTR),                                     \
   ((FLAGS) & SLIMRT_F_SOURCE) ? NULL : slimrt_k_##ID, ((FLAGS) & SLIMRT_F_PREPARE) ? slimrt_p_##ID : NULL},
static const op_info op_table[SLIMRT_OP_COUNT] = {
#include "slimrt_ops.def"
};
#undef SLIMRT_OP

static const op_info *info(int op) {
  return op >= 0 && op < SLIMRT_OP_COUNT ? &op_table[op] : NULL;
}

const char *slimrt_op_name(int op) { return info(op) ? info(op)->name : NULL; }
const char *slimrt_op_tf_type(int op) { return info(op) ? info(op)->tf_type : NULL; }
const char *slimrt_op_default_name(int op) { return info(op) ? info(op)->default_name : NULL; }
const char *slimrt_op_api(int op) { return info(op) ? info(op)->api : NULL; }
int slimrt_op_outputs(int op) { return info(op) ? info(op)->nout : 0; }
int slimrt_op_act(int op) { return info(op) ? info(op)->act : SLIMRT_ACT_NONE; }
int slimrt_op_min_inputs(int op) { return info(op) ? info(op)->min_in : 0; }
int slimrt_op_max_inputs(int op) { return info(op) ? info(op)->max_in : 0; }
int slimrt_op_flags(int op) { return info(op) ? info(op)->flags : 0; }
slimrt_kernel slimrt_op_kernel(int op) { return info(op) ? info(op)->kernel : NULL; }
const char *slimrt_op_kernel_symbol(int op) { return info(op) ? info(op)->symbol : NULL; }
slimrt_kernel slimrt_op_prepare(int op) { return info(op) ? info(op)->prepare : NULL; }
size_t slimrt_op_attr_size(int op) { return info(op) ? info(op)->attr_size : 0; }
