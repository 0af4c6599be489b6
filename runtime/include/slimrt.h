/* libslimrt: the runtime every slimc-generated program links.
 * C11, no dependencies beyond libc, libm and pthreads. Library code never calls
 * exit(): every failure returns an error code with a one-line message in the
 * caller's buffer (ERR, ERRLEN; ERR may be NULL). */
#ifndef SLIMRT_H
#define SLIMRT_H
#include <stddef.h>
#include <stdint.h>
#include "slimrt_ops.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SLIMRT_VERSION "0.1.0"

/* Formats a message into ERR (if not NULL) and returns -1. */
int slimrt_errorf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- arrays and .npy -------------------------------------------------- */
typedef struct slimrt_array {
  int dtype;                       /* slimrt_dtype */
  int rank;
  int64_t dims[SLIMRT_MAX_RANK];
  void *data;                      /* malloc'ed, owned */
  size_t nbytes;
} slimrt_array;

int64_t slimrt_shape_count(int rank, const int64_t *dims); /* -1 on overflow or negative */
void slimrt_array_free(slimrt_array *a);
/* PATH "-" reads standard input. Versions 1-3, little-endian, C order. */
int slimrt_npy_read(const char *path, slimrt_array *out, char *err, size_t errlen);
int slimrt_npy_read_mem(const char *name, const void *buf, size_t len, slimrt_array *out,
                        char *err, size_t errlen);
/* Writes to a temporary beside PATH and renames it; "-" writes standard output. */
int slimrt_npy_write(const char *path, const slimrt_array *a, char *err, size_t errlen);
/* Serialises to a malloc'ed buffer (for .npz members). */
int slimrt_npy_encode(const slimrt_array *a, void **buf, size_t *len, char *err, size_t errlen);

/* Binary PGM (P5) / PPM (P6), maxval <= 255; result is u8 [1,H,W,C]. */
int slimrt_pnm_read(const char *path, slimrt_array *out, char *err, size_t errlen);
int slimrt_pnm_read_mem(const char *name, const void *buf, size_t len, slimrt_array *out,
                        char *err, size_t errlen);

/* ---- TensorFlow checkpoints (format V2) -------------------------------- */
typedef struct slimrt_ckpt slimrt_ckpt;

typedef struct slimrt_ckpt_entry {
  const char *key;
  int dtype;                       /* slimrt_dtype (TF's DataType number) */
  int rank;
  int64_t dims[SLIMRT_MAX_RANK];
  int32_t shard_id;
  int64_t offset, size;
  uint32_t crc32c;                 /* masked, as stored */
  int nslices;                     /* > 0: partitioned variable, data in slice entries */
} slimrt_ckpt_entry;

/* PREFIX may be a checkpoint prefix or a directory with a `checkpoint` file. */
slimrt_ckpt *slimrt_ckpt_open(const char *prefix, char *err, size_t errlen);
void slimrt_ckpt_close(slimrt_ckpt *ck);
const char *slimrt_ckpt_prefix(const slimrt_ckpt *ck);
int slimrt_ckpt_num_shards(const slimrt_ckpt *ck);  /* its data files: PREFIX.data-0000I-of-0000N */
int slimrt_ckpt_count(const slimrt_ckpt *ck);       /* tensor entries (header excluded) */
const slimrt_ckpt_entry *slimrt_ckpt_entry_at(const slimrt_ckpt *ck, int i); /* sorted by key */
const slimrt_ckpt_entry *slimrt_ckpt_find(const slimrt_ckpt *ck, const char *key); /* O(log n) */
/* Reads the whole tensor (slices reassembled) into DST of DST_SIZE bytes, raw dtype,
   after verifying the CRC32C. String tensors are not loadable. */
int slimrt_ckpt_read(const slimrt_ckpt *ck, const slimrt_ckpt_entry *e, void *dst, size_t dst_size,
                     char *err, size_t errlen);
/* Reads as float32, converting from f16/bf16/f64/ints. */
int slimrt_ckpt_read_f32(const slimrt_ckpt *ck, const slimrt_ckpt_entry *e, float *dst, size_t count,
                         char *err, size_t errlen);

typedef struct slimrt_ckpt_writer slimrt_ckpt_writer;
slimrt_ckpt_writer *slimrt_ckpt_writer_new(const char *prefix, int num_shards, char *err, size_t errlen);
/* Keys may be added in any order; SHARD is taken modulo num_shards. */
int slimrt_ckpt_writer_add(slimrt_ckpt_writer *w, const char *key, int dtype, int rank,
                           const int64_t *dims, const void *data, int shard, char *err, size_t errlen);
/* Writes all files (temporaries renamed at the end) and frees W. */
/* A partitioned tensor's slice: START[i], LENGTH[i] (-1: to the end) within FULL_DIMS;
   DATA holds the slice densely. Readers reassemble the slices into one tensor. */
int slimrt_ckpt_writer_add_slice(slimrt_ckpt_writer *w, const char *key, int dtype, int rank,
                                 const int64_t *full_dims, const int64_t *start, const int64_t *length,
                                 const void *data, int shard, char *err, size_t errlen);
int slimrt_ckpt_writer_finish(slimrt_ckpt_writer *w, char *err, size_t errlen);
void slimrt_ckpt_writer_abort(slimrt_ckpt_writer *w);

uint32_t slimrt_crc32c(uint32_t crc, const void *data, size_t n);
uint32_t slimrt_crc32c_mask(uint32_t crc);
uint32_t slimrt_crc32c_unmask(uint32_t masked);
/* Snappy raw-format decompression; -1 on malformed input or if OUT is too small. */
int slimrt_snappy_uncompressed_length(const void *in, size_t n, size_t *out_len);
int slimrt_snappy_decompress(const void *in, size_t n, void *out, size_t out_len);

/* ---- thread pool -------------------------------------------------------- */
slimrt_pool *slimrt_pool_new(int nthreads);    /* nthreads <= 0: number of cores */
void slimrt_pool_free(slimrt_pool *p);
int slimrt_pool_size(const slimrt_pool *p);
/* Runs fn(ctx, i) for i in [0, n), split over the pool; returns when all are done.
   With p == NULL or n == 1 runs on the caller. */
void slimrt_parallel_for(slimrt_pool *p, int64_t n, void (*fn)(void *ctx, int64_t i), void *ctx);

/* ---- compiled models ---------------------------------------------------- */
enum slimrt_init_kind {
  SLIMRT_INIT_NONE = 0,     /* must come from a checkpoint */
  SLIMRT_INIT_ZEROS, SLIMRT_INIT_ONES,
  SLIMRT_INIT_CONSTANT,     /* p[0] scalar, or `values` (count n, last one repeated) */
  SLIMRT_INIT_UNIFORM,      /* U(p[0], p[1]) */
  SLIMRT_INIT_NORMAL,       /* N(p[0], p[1]) */
  SLIMRT_INIT_TRUNCATED_NORMAL, /* N(p[0], p[1]) redrawn beyond 2 stddev */
};

/* RUN: io = inputs then outputs (ninputs + noutputs pointers), arena of
   arena_size bytes (64-byte aligned), weights[i] for vars[i]. */
typedef void (*slimrt_run_fn)(void *const *io, void *arena, void *const *weights, slimrt_pool *pool);

/* The descriptors the generated code defines, declared from the rows of
   slimrt_abi.h (their fields, with a comment each, are there):
   slimrt_var_desc:   name, ckpt_key, shape, embedded, init_kind, init_p[2],
                      init_values, init_nvalues
   slimrt_io_desc:    name, shape, image_prep
   slimrt_entry_desc: name, fn, ninputs, noutputs, inputs, outputs; FN is called
                      with io = its inputs then its outputs
   slimrt_model_desc: name, nentries, entries, nvars, vars, arena_size,
                      weights_embedded, prepare
   prepare is NULL, or run once by slimrt_model_new after the weights are loaded
   (with the io slots NULL): it calls the prepare hooks, which may rewrite weights
   in place (embedded weights, which must live in the program image, are first
   copied to writable memory and their pages released). */
SLIMRT_ABI_DECLARE(var_desc)
SLIMRT_ABI_DECLARE(io_desc)
SLIMRT_ABI_DECLARE(entry_desc)
SLIMRT_ABI_DECLARE(model_desc)

/* D's entry point NAME, or NULL. Every model has "run" (entries[0]), which the
   calls below run. */
const slimrt_entry_desc *slimrt_model_entry(const slimrt_model_desc *d, const char *name);

typedef struct slimrt_model slimrt_model;

enum { SLIMRT_WEIGHTS_AUTO = 0, SLIMRT_WEIGHTS_RANDOM = 1 };
/* Weights: embedded if the model has them, else from CHECKPOINT, else (RANDOM_SEED >= 0)
   from the initializers; all-or-nothing. */
slimrt_model *slimrt_model_new(const slimrt_model_desc *d, const char *checkpoint, int64_t random_seed,
                               int nthreads, char *err, size_t errlen);
int slimrt_model_run(slimrt_model *m, const void *const *inputs, void *const *outputs);
/* A model with a '?' batch (inputs and outputs whose shape.dims[0] is -1): runs N
   items, each as a batch-1 run would (slimrt_model_run is N = 1); the batched
   buffers hold N items, the others one tensor. 0, or -1 with a message if N < 1,
   a batched buffer of N items would exceed 16 GiB, or an argument is NULL. */
int slimrt_model_run_batch(slimrt_model *m, int64_t n, const void *const *inputs, void *const *outputs, char *err,
                           size_t errlen);
/* Bytes of one item of a batched input or output (dims[0] == -1), or of the whole
   tensor otherwise; -1 for a malformed shape. */
int64_t slimrt_io_item_bytes(const slimrt_io_desc *io);
void slimrt_model_free(slimrt_model *m);

/* ---- the C API of `slimc -c` (the generated PREFIX_* wrappers call these) ----
   The generated header declares the same layouts under the model's prefix. */
typedef struct slimrt_options {
  int threads;            /* 0: one per core; 1 to 4096 */
  int random_init;        /* nonzero: variables from their initializers, seeded with SEED */
  uint64_t seed;
  const char *checkpoint; /* NULL: embedded weights (or random_init) */
} slimrt_options;
void slimrt_options_init(slimrt_options *o); /* all zero: the defaults */
/* As slimrt_model_new with O's fields (NULL O: the defaults). A model with embedded
   weights takes no checkpoint and no random_init (as the executable). */
slimrt_model *slimrt_model_new_ex(const slimrt_model_desc *d, const slimrt_options *o, char *err, size_t errlen);

/* A tensor passed with its description; inputs are never written. */
typedef struct slimrt_tensor {
  int32_t dtype;          /* slimrt_dtype */
  int32_t rank;
  const int64_t *dims;    /* RANK dimensions (a '?' batch: the run's batch) */
  void *data;
} slimrt_tensor;
enum { /* slimrt_model_run_tensors's results */
  SLIMRT_API_OK = 0,
  SLIMRT_API_ERR_ARGUMENT = 1, /* a NULL model, array, dims or data */
  SLIMRT_API_ERR_COUNT = 2,    /* not the model's number of inputs or outputs */
  SLIMRT_API_ERR_DTYPE = 3,
  SLIMRT_API_ERR_DIMS = 4,     /* a wrong rank or dimension */
  SLIMRT_API_ERR_BATCH = 5,    /* a '?' batch below 1, different across tensors, or over 16 GiB */
};
/* Checks every tensor against the descriptor, then runs (a '?' batch takes its size
   from the inputs' dimension 0). SLIMRT_API_OK, or an error code with a message and
   nothing written. */
int slimrt_model_run_tensors(slimrt_model *m, const slimrt_tensor *inputs, int64_t ninputs,
                             const slimrt_tensor *outputs, int64_t noutputs, char *err, size_t errlen);
/* An input's or output's description; the strings and SHAPE live as long as D. */
typedef struct slimrt_io_info {
  const char *name;
  int32_t dtype;          /* slimrt_dtype */
  int32_t rank;
  const int64_t *shape;   /* -1 for a '?' batch */
  const char *dtype_name; /* TF's name, as --print-signature */
} slimrt_io_info;
/* 0, or -1 if I is out of range (INFO untouched). OUTPUT: 0 inputs, 1 outputs. */
int slimrt_model_io_info(const slimrt_model_desc *d, int output, int i, slimrt_io_info *info);

/* The generated executable's main(): parses the command line of CLI.md. */
int slimrt_main(const slimrt_model_desc *d, int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif
