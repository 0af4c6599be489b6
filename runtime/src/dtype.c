/* dtype names and sizes (TensorFlow's DataType numbering) and shape arithmetic. */
#include <stdint.h>
#include <string.h>
#include "slimrt.h"
#include "slimrt_checked.h"

typedef struct dtype_info {
  int dtype, size;
  const char *name;      /* TF's canonical name */
  const char *shortname; /* numpy-ish short spelling */
} dtype_info;

static const dtype_info dtypes[] = {
  {SLIMRT_F32, 4, "float32", "f32"},  {SLIMRT_F64, 8, "float64", "f64"},
  {SLIMRT_I32, 4, "int32", "i32"},    {SLIMRT_U8, 1, "uint8", "u8"},
  {SLIMRT_I16, 2, "int16", "i16"},    {SLIMRT_I8, 1, "int8", "i8"},
  {SLIMRT_STRING, 0, "string", "str"}, {SLIMRT_I64, 8, "int64", "i64"},
  {SLIMRT_BOOL, 1, "bool", "bool"},     {SLIMRT_BF16, 2, "bfloat16", "bf16"},
  {SLIMRT_U16, 2, "uint16", "u16"},   {SLIMRT_F16, 2, "float16", "f16"},
  {SLIMRT_U32, 4, "uint32", "u32"},   {SLIMRT_U64, 8, "uint64", "u64"},
};
enum { NDTYPES = sizeof dtypes / sizeof dtypes[0] };

/* Common aliases TF accepts besides the canonical names. */
static const struct { const char *alias; int dtype; } aliases[] = {
  {"float", SLIMRT_F32}, {"double", SLIMRT_F64}, {"half", SLIMRT_F16},
};

static const dtype_info *find(int dtype) {
  for (int i = 0; i < NDTYPES; i++)
    if (dtypes[i].dtype == dtype) return &dtypes[i];
  return NULL;
}

const char *slimrt_dtype_name(int dtype) {
  const dtype_info *d = find(dtype);
  return d ? d->name : NULL;
}

int slimrt_dtype_size(int dtype) {
  const dtype_info *d = find(dtype);
  return d ? d->size : 0;
}

int slimrt_dtype_from_name(const char *s) {
  if (!s) return 0;
  /* "tf.float32" and "np.float32" name the same dtype as "float32" */
  if (!strncmp(s, "tf.", 3) || !strncmp(s, "np.", 3)) s += 3;
  for (int i = 0; i < NDTYPES; i++)
    if (!strcmp(s, dtypes[i].name) || !strcmp(s, dtypes[i].shortname)) return dtypes[i].dtype;
  for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
    if (!strcmp(s, aliases[i].alias)) return aliases[i].dtype;
  return 0;
}

int64_t slimrt_shape_count(int rank, const int64_t *dims) {
  if (rank < 0 || rank > SLIMRT_MAX_RANK || (rank > 0 && !dims)) return -1;
  return slimrt_ck_count(rank, dims);
}
