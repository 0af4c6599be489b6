/* The listings of CLI.md: --print-variables (+ --verbose), --print-collection=KEY,
 * --print-restore-map, --print-signature. */
#include <stdlib.h>
#include <string.h>
#include "tf/tf_lib.h"

const char *tf_dtype_name(int dtype) {
  const char *n = slimrt_dtype_name(dtype);
  return n ? n : "invalid";
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

void tf_print_variables(TfLib *t, FILE *out, bool verbose) {
  Graph *g = t->graph;
  if (!g) return;
  for (int i = 0; i < g->vars.n; i++) {
    GVar *v = g->vars.items[i];
    TfTensor *tt = tf_tensor_of(tf_wrap_var(t, v));
    char shape[256];
    gshape_str(&v->shape, shape, sizeof shape);
    fprintf(out, "%s\t%s\t%s\t", v->name, tf_dtype_name(v->shape.dtype), shape);
    int n = tt ? tt->collections.n : 0;
    const char **keys = malloc(sizeof(char *) * (n ? n : 1));
    for (int j = 0; j < n; j++) keys[j] = tt->collections.items[j];
    qsort(keys, n, sizeof *keys, cmp_str);
    for (int j = 0; j < n; j++) fprintf(out, "%s%s", j ? "," : "", keys[j]);
    free(keys);
    if (verbose) {
      fprintf(out, "\tinit=%s", v->init.text ? v->init.text : "default");
      if (v->regularizer) fprintf(out, " regularizer=%s", v->regularizer);
      if (v->device) fprintf(out, " device=%s", v->device);
    }
    fputc('\n', out);
  }
}

static void print_entries(TfLib *t, FILE *out, const char *prefix, Value *l) {
  for (int i = 0; i < l->u.list.n; i++) {
    Value *v = l->u.list.items[i];
    TfTensor *tt = tf_tensor_of(v);
    if (tt) fprintf(out, "%s%s:0\n", prefix, tt->var ? tt->var->name : tt->node->name);
    else fprintf(out, "%s%s\n", prefix, val_str_of(t->ev, v));
  }
}

/* KEY "*": every collection, `KEY<TAB>ENTRY` a line, keys in order of first use (one
   process for all of them: the random-program oracle asks this for every program). */
void tf_print_collection(TfLib *t, FILE *out, const char *key) {
  if (!t->collections) return;
  if (!strcmp(key, "*")) {
    Value *k, *l;
    for (int i = 0; dict_next(t->collections, &i, &k, &l);)
      if (k->kind == V_STR && k->u.str.s[0] != '\001' && l->kind == V_LIST) /* \001: slimc's own */
        print_entries(t, out, arena_printf(t->arena, "%s\t", k->u.str.s), l);
    return;
  }
  Value *l = dict_get_str(t->collections, key);
  if (l) print_entries(t, out, "", l);
}

void tf_print_restore_map(TfLib *t, FILE *out) {
  Graph *g = t->graph;
  if (!g) return;
  for (int i = 0; i < g->nrestore; i++) fprintf(out, "%s\t%s\n", g->restore[i].key, g->restore[i].var->name);
}

void tf_print_signature(TfLib *t, FILE *out) {
  Graph *g = t->graph;
  if (!g) return;
  char shape[256];
  for (int i = 0; i < g->inputs.n; i++) {
    GNode *n = g->inputs.items[i];
    gshape_str(&n->shape, shape, sizeof shape);
    fprintf(out, "input\t%s\t%s\t%s", n->name, tf_dtype_name(n->shape.dtype), shape);
    if (n->image_prep) { /* image_input(): a fifth column, image(mean=[...],scale=[...]) */
      int C = (int)n->shape.dims[3];
      fputs("\timage(mean=[", out);
      for (int c = 0; c < 2 * C; c++) fprintf(out, "%s%.9g", c == C ? "],scale=[" : c ? "," : "", n->image_prep[c]);
      fputs("])", out);
    }
    fputc('\n', out);
  }
  for (int i = 0; i < g->noutputs; i++) {
    GNode *n = g->outputs[i].node;
    gshape_str(&n->shape, shape, sizeof shape);
    fprintf(out, "output\t%s\t%s\t%s\n", g->outputs[i].name, tf_dtype_name(n->shape.dtype), shape);
  }
}
