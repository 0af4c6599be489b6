/* A tensor's static shape (GShape): element count, the two spellings messages use,
 * and which shape an op's output or input has. Below the graph and the shape rules,
 * which both read shapes. */
#include <inttypes.h>
#include <stdio.h>
#include "ir/graph.h"
#include "slimrt_checked.h"

int64_t gshape_count(const GShape *s) { return slimrt_ck_count(s->rank, s->dims); }

/* Shared by both spellings; unknown dimensions print as TF prints them ("?"). */
static char *shape_text(const GShape *s, char *buf, size_t n, const char *open, const char *sep,
                        const char *close, bool tuple_comma) {
  size_t used = 0;
  int w;
#define PUT(...)                                                   \
  do {                                                             \
    w = snprintf(buf + used, used < n ? n - used : 0, __VA_ARGS__); \
    if (w > 0) used += (size_t)w;                                  \
  } while (0)
  if (n == 0) return buf;
  buf[0] = '\0';
  PUT("%s", open);
  for (int i = 0; i < s->rank; i++) {
    if (i) PUT("%s", sep);
    if (s->dims[i] < 0) PUT("?");
    else PUT("%" PRId64, s->dims[i]);
  }
  if (tuple_comma && s->rank == 1) PUT(",");
  PUT("%s", close);
#undef PUT
  if (used >= n) buf[n - 1] = '\0';
  return buf;
}

char *gshape_str(const GShape *s, char *buf, size_t n) { return shape_text(s, buf, n, "[", ",", "]", false); }

char *gshape_tf_str(const GShape *s, char *buf, size_t n) {
  return shape_text(s, buf, n, "(", ", ", ")", true);
}


const GShape *graph_out_shape(const GNode *n, int k) { return k <= 0 ? &n->shape : &n->outs[k - 1]; }

const GShape *graph_in_shape(const GNode *n, int j) {
  return graph_out_shape(n->in[j], n->in_port ? n->in_port[j] : 0);
}
