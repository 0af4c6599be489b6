/* image_input(): the signature's image preprocessing of a float model input
 * (docs/executable.md, "Images"). Inside a model,
 *     images = image_input(images, mean=127.5, scale=1/127.5)
 * declares that an image given to the executable's --input (PNG, JPEG, PGM/PPM) feeds this
 * f32 [N,H,W,1|3] input as (pixel - mean[c]) * scale[c], pixel in 0..255 after resizing to
 * H x W; mean and scale are numbers or one number a channel. It returns the tensor unchanged:
 * the graph does not change, only the signature. uint8 inputs take images as they are. */
#include <string.h>
#include "tf/tf_lib.h"

static bool given(Value *v) { return v && v->kind != V_NONE; }

/* A number or a list/tuple of C numbers into OUT[0..C). */
static bool per_channel(Eval *ev, Value *v, int C, Span sp, const char *what, float *out) {
  if (v->kind == V_LIST || v->kind == V_TUPLE) {
    if (v->u.list.n != C) {
      eval_error(ev, sp, "E0779", "image_input(): %s has %d values, the input has %d channels", what, v->u.list.n, C);
      return false;
    }
    for (int c = 0; c < C; c++) {
      double d;
      if (!eval_to_float(ev, v->u.list.items[c], sp, what, &d)) return false;
      out[c] = (float)d;
    }
    return true;
  }
  double d;
  if (!eval_to_float(ev, v, sp, what, &d)) return false;
  for (int c = 0; c < C; c++) out[c] = (float)d;
  return true;
}

static Value *bi_image_input(Eval *ev, const Args *a, void *data) {
  (void)data;
  static const char *const params[] = {"tensor", "mean", "scale", NULL};
  Value *p[3];
  if (eval_bind_checked(ev, "image_input", params, 1, a, p) < 0) return NULL;
  TfTensor *tt = tf_tensor_of(p[0]);
  GNode *n = tt ? tt->node : NULL;
  if (!n || n->op != SLIMRT_OP_INPUT)
    return eval_error(ev, a->call_span, "E0778", "image_input() takes one of the model's input tensors, got %s",
                      tt ? "a computed tensor" : val_type_name(p[0]));
  const GShape *s = &n->shape;
  if (s->dtype != SLIMRT_F32 || s->rank != 4 || (s->dims[3] != 1 && s->dims[3] != 3))
    return eval_error(ev, a->call_span, "E0772",
                      "image_input(): input '%s' must be f32 [N,H,W,1] or [N,H,W,3] (uint8 inputs take images "
                      "as they are)", n->name);
  int C = (int)s->dims[3];
  float *prep = arena_alloc(tf_lib(ev)->arena, sizeof(float) * 2 * (size_t)C);
  for (int c = 0; c < 2 * C; c++) prep[c] = c < C ? 0.0f : 1.0f;
  if ((given(p[1]) && !per_channel(ev, p[1], C, a->call_span, "mean", prep)) ||
      (given(p[2]) && !per_channel(ev, p[2], C, a->call_span, "scale", prep + C)))
    return NULL;
  n->image_prep = prep;
  return p[0];
}

static const Builtin b_image_input = {"image_input", NULL, 0, bi_image_input, NULL, false};

void tf_image_register(TfLib *t) { eval_set_global(t->ev, "image_input", val_builtin(t->ev, &b_image_input)); }
