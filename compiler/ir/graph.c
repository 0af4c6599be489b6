/* The graph IR: node construction and the --print-graph listing.
 * Shape rules live in shape.c; this file only allocates and links nodes. */
#include "ir/graph.h"
#include "slimrt_checked.h"

#include <inttypes.h>
#include <string.h>

/* TF op types straight from the op table, so the listing never drifts from it. */
static const char *const op_tf_type[] = {
#define SLIMRT_OP(ID, TF, MINI, MAXI, ATTR, FLAGS) TF,
#include "slimrt_ops.def"
#undef SLIMRT_OP
};

static const char *dtype_text(int dt) {
  const char *s = slimrt_dtype_name(dt);
  return s ? s : "invalid";
}

Graph *graph_new(Arena *a, const char *model_name) {
  Graph *g = arena_alloc(a, sizeof *g);
  g->arena = a;
  g->model_name = model_name ? arena_strdup(a, model_name) : "";
  return g;
}

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

static GNode *new_node(Graph *g, int op, const char *name, Span sp) {
  GNode *n = arena_alloc(g->arena, sizeof *n);
  n->id = g->nodes.n;
  n->op = op;
  n->name = arena_strdup(g->arena, name ? name : op_tf_type[op]);
  n->span = sp;
  n->arena_offset = -1;
  return n;
}

GNode *graph_input(Graph *g, const char *name, GShape shape, Span sp) {
  GNode *n = new_node(g, SLIMRT_OP_INPUT, name, sp);
  n->shape = shape;
  n->input_index = g->inputs.n;
  ptrvec_push(g->arena, &g->nodes, n);
  ptrvec_push(g->arena, &g->inputs, n);
  return n;
}

GNode *graph_const(Graph *g, const char *name, GShape shape, const void *data, Span sp) {
  GNode *n = new_node(g, SLIMRT_OP_CONST, name, sp);
  n->shape = shape;
  n->data = data;
  ptrvec_push(g->arena, &g->nodes, n);
  return n;
}

GVar *graph_variable(Graph *g, const char *name, GShape shape, Span sp) {
  GVar *v = arena_alloc(g->arena, sizeof *v);
  v->id = g->vars.n;
  v->name = arena_strdup(g->arena, name);
  v->shape = shape;
  v->trainable = true;
  v->is_global = true;
  v->span = sp;
  GNode *n = new_node(g, SLIMRT_OP_VARIABLE, name, sp);
  n->shape = shape;
  n->var = v;
  v->node = n;
  ptrvec_push(g->arena, &g->nodes, n);
  ptrvec_push(g->arena, &g->vars, v);
  return v;
}

/* Builds the node without registering it, so a failed op leaves no trace in the graph. */
static GNode *make_op(Graph *g, int op, const char *name, GNode **in, int nin, const slimrt_attr *attr,
                      Span sp) {
  GNode *n = new_node(g, op, name, sp);
  if (nin > 0) {
    n->in = arena_alloc(g->arena, sizeof *n->in * (size_t)nin);
    memcpy(n->in, in, sizeof *n->in * (size_t)nin);
  }
  n->nin = nin;
  if (attr) n->attr = *attr;
  return n;
}

GNode *graph_op(Graph *g, int op, const char *name, GNode **in, int nin, const slimrt_attr *attr,
                Span sp, char *err, size_t errlen) {
  if (op < 0 || op >= SLIMRT_OP_COUNT) {
    snprintf(err, errlen, "%s: unknown op %d", name ? name : "?", op);
    return NULL;
  }
  GNode *n = make_op(g, op, name, in, nin, attr, sp);
  n->shape.rank = -1; /* nothing requested: infer everything */
  char msg[512];
  if (shape_infer(n, msg, sizeof msg) != 0) {
    snprintf(err, errlen, "%s: %s", n->name, msg);
    return NULL;
  }
  ptrvec_push(g->arena, &g->nodes, n);
  return n;
}

GNode *graph_op_shaped(Graph *g, int op, const char *name, GNode **in, int nin, const slimrt_attr *attr,
                       GShape out, Span sp) {
  if (op < 0 || op >= SLIMRT_OP_COUNT) return NULL;
  GNode *n = make_op(g, op, name, in, nin, attr, sp);
  n->shape = out;
  /* The caller computed the shape; inference still checks it (element counts, ranges). */
  char msg[512];
  if (shape_infer(n, msg, sizeof msg) != 0) return NULL;
  ptrvec_push(g->arena, &g->nodes, n);
  return n;
}

void graph_print(FILE *out, const Graph *g) {
  char buf[160];
  for (int i = 0; i < g->nodes.n; i++) {
    const GNode *n = g->nodes.items[i];
    fprintf(out, "%s\t%s\t%s\t%s\t", n->name, op_tf_type[n->op], dtype_text(n->shape.dtype),
            gshape_str(&n->shape, buf, sizeof buf));
    for (int j = 0; j < n->nin; j++) fprintf(out, "%s%s", j ? "," : "", n->in[j]->name);
    fputc('\n', out);
  }
}
