/* The graph IR: node construction and the --print-graph listing.
 * Shape rules live in shape.c; this file only allocates and links nodes. */
#include "ir/graph.h"
#include "slimrt_checked.h"

#include <inttypes.h>
#include <string.h>

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

static GNode *new_node(Graph *g, int op, const char *name, Span sp) {
  GNode *n = arena_alloc(g->arena, sizeof *n);
  n->id = g->nodes.n;
  n->op = op;
  n->nout = slimrt_op_outputs(op) > 1 ? slimrt_op_outputs(op) : 1;
  if (n->nout > 1) {
    n->outs = arena_alloc(g->arena, sizeof *n->outs * (size_t)(n->nout - 1));
    for (int k = 0; k < n->nout - 1; k++) n->outs[k] = (GShape){.rank = -1};
  }
  n->name = arena_strdup(g->arena, name ? name : slimrt_op_tf_type(op));
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
  return graph_op_ports(g, op, name, in, NULL, nin, attr, sp, err, errlen);
}

GNode *graph_op_ports(Graph *g, int op, const char *name, GNode **in, const int *ports, int nin,
                      const slimrt_attr *attr, Span sp, char *err, size_t errlen) {
  if (op < 0 || op >= SLIMRT_OP_COUNT) {
    snprintf(err, errlen, "%s: unknown op %d", name ? name : "?", op);
    return NULL;
  }
  for (int j = 0; ports && j < nin; j++)
    if (ports[j] < 0 || !in[j] || ports[j] >= in[j]->nout) {
      snprintf(err, errlen, "%s: input %d reads output %d of an op with %d", name ? name : "?", j, ports[j],
               in[j] ? in[j]->nout : 0);
      return NULL;
    }
  GNode *n = make_op(g, op, name, in, nin, attr, sp);
  for (int j = 0; ports && j < nin; j++)
    if (ports[j]) {
      n->in_port = arena_alloc(g->arena, sizeof *n->in_port * (size_t)nin);
      memcpy(n->in_port, ports, sizeof *n->in_port * (size_t)nin);
      break;
    }
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

/* ---- the forward graph kept apart from its lowering ---- */

/* The clone of V; its node is set when the clone of V's VARIABLE node is made (a
   variable whose node is dead has none). */
static GVar *clone_var(const Graph *g, GVar **vm, const GVar *v) {
  if (!v) return NULL;
  if (!vm[v->id]) {
    GVar *c = arena_alloc(g->arena, sizeof *c);
    *c = *v;
    c->node = NULL;
    vm[v->id] = c;
  }
  return vm[v->id];
}

Graph *graph_clone(const Graph *g) {
  Graph *c = arena_alloc(g->arena, sizeof *c);
  *c = *g;
  c->nodes = c->vars = c->inputs = (PtrVec){0};
  int maxn = 0, maxv = 0;
  for (int i = 0; i < g->nodes.n; i++) {
    const GNode *n = g->nodes.items[i];
    if (n->id + 1 > maxn) maxn = n->id + 1;
    if (n->var && n->var->id + 1 > maxv) maxv = n->var->id + 1;
  }
  for (int i = 0; i < g->vars.n; i++) {
    const GVar *v = g->vars.items[i];
    if (v->id + 1 > maxv) maxv = v->id + 1;
  }
  for (int i = 0; i < g->nrestore; i++)
    if (g->restore[i].var->id + 1 > maxv) maxv = g->restore[i].var->id + 1;
  GNode **nm = arena_alloc(g->arena, sizeof *nm * (size_t)(maxn + 1));
  GVar **vm = arena_alloc(g->arena, sizeof *vm * (size_t)(maxv + 1));
  memset(nm, 0, sizeof *nm * (size_t)(maxn + 1));
  memset(vm, 0, sizeof *vm * (size_t)(maxv + 1));
  for (int i = 0; i < g->nodes.n; i++) {
    const GNode *n = g->nodes.items[i];
    GNode *m = arena_alloc(g->arena, sizeof *m);
    *m = *n;
    nm[n->id] = m;
    if (n->nin) {
      m->in = arena_alloc(g->arena, sizeof *m->in * (size_t)n->nin);
      for (int j = 0; j < n->nin; j++) m->in[j] = nm[n->in[j]->id]; /* inputs come first */
    }
    if (n->in_port) {
      m->in_port = arena_alloc(g->arena, sizeof *m->in_port * (size_t)n->nin);
      memcpy(m->in_port, n->in_port, sizeof *m->in_port * (size_t)n->nin);
    }
    if (n->outs) {
      m->outs = arena_alloc(g->arena, sizeof *m->outs * (size_t)(n->nout - 1));
      memcpy(m->outs, n->outs, sizeof *m->outs * (size_t)(n->nout - 1));
    }
    m->var = clone_var(g, vm, n->var);
    if (m->var && n->var->node == n) m->var->node = m;
    ptrvec_push(g->arena, &c->nodes, m);
  }
  for (int i = 0; i < g->vars.n; i++) ptrvec_push(g->arena, &c->vars, clone_var(g, vm, g->vars.items[i]));
  for (int i = 0; i < g->inputs.n; i++) ptrvec_push(g->arena, &c->inputs, nm[((GNode *)g->inputs.items[i])->id]);
  if (g->noutputs) {
    c->outputs = arena_alloc(g->arena, sizeof *c->outputs * (size_t)g->noutputs);
    for (int k = 0; k < g->noutputs; k++) c->outputs[k] = (GOutput){g->outputs[k].name, nm[g->outputs[k].node->id]};
  }
  if (g->nrestore) {
    c->restore = arena_alloc(g->arena, sizeof *c->restore * (size_t)g->nrestore);
    for (int k = 0; k < g->nrestore; k++)
      c->restore[k] = (GRestore){g->restore[k].key, clone_var(g, vm, g->restore[k].var)};
  }
  return c;
}

int64_t graph_nbytes(const GNode *n) {
  int64_t count = gshape_count(&n->shape);
  int es = slimrt_dtype_size(n->shape.dtype);
  if (count < 0 || es <= 0 || count > INT64_MAX / es) return -1;
  return count * es;
}

GNode *graph_view_root(GNode *n) {
  while ((slimrt_op_flags(n->op) & SLIMRT_F_VIEW) && n->nin > 0) n = n->in[0];
  return n;
}

int graph_output_slot(const Graph *g, const GNode *n) {
  if (slimrt_op_flags(n->op) & (SLIMRT_F_SOURCE | SLIMRT_F_VIEW)) return -1;
  for (int k = 0; k < g->noutputs; k++)
    if (g->outputs[k].node == n) return k;
  return -1;
}

void graph_print(FILE *out, const Graph *g) {
  char buf[160];
  for (int i = 0; i < g->nodes.n; i++) {
    const GNode *n = g->nodes.items[i];
    fprintf(out, "%s\t%s\t%s\t%s\t", n->name, slimrt_op_tf_type(n->op), dtype_text(n->shape.dtype),
            gshape_str(&n->shape, buf, sizeof buf));
    for (int j = 0; j < n->nin; j++) {
      fprintf(out, "%s%s", j ? "," : "", n->in[j]->name);
      if (n->in_port && n->in_port[j]) fprintf(out, ":%d", n->in_port[j]);
    }
    fputc('\n', out);
  }
}
