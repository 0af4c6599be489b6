/* Kernels of the source and view ops. Sources never run (the backend binds their
 * buffers) but exist so every table entry has a symbol; views run only when the
 * memory plan could not alias the output to the input. */
#include <string.h>
#include "kernels_common.h"

void slimrt_k_INPUT(const slimrt_call *c) { (void)c; }
void slimrt_k_CONST(const slimrt_call *c) { (void)c; }
void slimrt_k_VARIABLE(const slimrt_call *c) { (void)c; }

static void copy_view(const slimrt_call *c) {
  if (c->out == c->in[0]) return;
  size_t n = (size_t)k_count(&c->in_shape[0]) * (size_t)slimrt_dtype_size((int)c->in_shape[0].dtype);
  memmove(c->out, c->in[0], n);
}

void slimrt_k_IDENTITY(const slimrt_call *c) { copy_view(c); }
void slimrt_k_RESHAPE(const slimrt_call *c) { copy_view(c); }
