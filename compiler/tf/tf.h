/* The TF / TF-Slim builtin library: graph semantics on top of the evaluator
 * (variable and name scopes, the variable store, collections, arg_scope, layers,
 * ops, moving averages, restore maps). Installed into an Eval; after
 * eval_run_model() the built graph and the listings are available. */
#ifndef SLIMC_TF_H
#define SLIMC_TF_H
#include <stdbool.h>
#include <stdio.h>
#include "py/eval.h"
#include "ir/graph.h"

typedef struct TfLib TfLib;

/* Registers the namespaces (tensorflow, tf_slim, ...), the prefix-free globals
   and the model hooks. */
TfLib *tf_install(Eval *ev);
/* --restore-ema: restore each model variable from NAME/ExponentialMovingAverage. */
void tf_set_restore_ema(TfLib *t, bool on);

/* After eval_run_model(): the graph with inputs, outputs, variables and the
   restore map filled in. */
Graph *tf_graph(TfLib *t);

/* The listings of ../shared/spec/CLI.md (exact formats). */
void tf_print_variables(TfLib *t, FILE *out, bool verbose);
/* Returns -1 (after an error message on stderr) if KEY is not a collection? No:
   an unknown key prints nothing, as TF's get_collection returns []. */
void tf_print_collection(TfLib *t, FILE *out, const char *key);
void tf_print_restore_map(TfLib *t, FILE *out);
void tf_print_signature(TfLib *t, FILE *out);

#endif
