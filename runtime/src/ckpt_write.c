/* TensorFlow checkpoint (format V2) writer.
 *
 * Tensor bytes stream into one temporary file per shard as they are added; the
 * .index (an SSTable with uncompressed blocks, restart interval 16, blocks flushed
 * at 256 KiB like TF's TableBuilder) is built at finish from the sorted entries.
 * Temporaries are renamed only once everything is written (data first, index
 * last, so a reader never sees an index without its data); any failure unlinks
 * them. The format notes, section 9, list what TF's reader requires. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "slimrt.h"
#include "ckpt_internal.h"
#include "fileio.h"

#define BLOCK_SIZE 262144
#define RESTART_INTERVAL 16

typedef struct wbuf {
  unsigned char *p;
  size_t n, cap;
  int oom;
} wbuf;

static void wb_put(wbuf *b, const void *d, size_t n) {
  if (b->oom) return;
  if (b->n + n > b->cap) {
    size_t c = b->cap ? b->cap : 256;
    while (c < b->n + n) c *= 2;
    unsigned char *q = realloc(b->p, c);
    if (!q) {
      b->oom = 1;
      return;
    }
    b->p = q;
    b->cap = c;
  }
  if (n) memcpy(b->p + b->n, d, n);
  b->n += n;
}

static void wb_varint(wbuf *b, uint64_t v) {
  unsigned char t[10];
  int n = 0;
  do {
    t[n++] = (unsigned char)((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
    v >>= 7;
  } while (v);
  wb_put(b, t, (size_t)n);
}

static void wb_fixed32(wbuf *b, uint32_t v) {
  unsigned char t[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                        (unsigned char)(v >> 24)};
  wb_put(b, t, 4);
}

/* ---- the writer ---------------------------------------------------------- */

typedef struct wentry {
  unsigned char *key;
  size_t klen;
  int dtype, rank;
  int64_t dims[SLIMRT_MAX_RANK];
  int shard;
  uint64_t offset, size;
  uint32_t crc;               /* masked */
  int nslices;                /* > 0: a partitioned tensor's full entry, no data */
  int64_t *ext;               /* nslices * rank (start, length) pairs */
} wentry;

typedef struct wshard {
  char *final;
  slimrt_out out; /* staged until finish commits the shards and the index together */
  FILE *f;        /* out's stream */
  uint64_t off;
} wshard;

struct slimrt_ckpt_writer {
  char *prefix;
  char *index_final;
  int nshards;
  wshard *shards;
  wentry *ents;
  size_t n, cap;
};

static char *make_name(const char *prefix, const char *suffix, const char *tag) {
  size_t n = strlen(prefix) + strlen(suffix) + (tag ? strlen(tag) : 0) + 1;
  char *r = malloc(n);
  if (r) snprintf(r, n, "%s%s%s", prefix, suffix, tag ? tag : "");
  return r;
}

static void writer_free(slimrt_ckpt_writer *w) {
  for (int i = 0; w->shards && i < w->nshards; i++) {
    slimrt_out_abort(&w->shards[i].out); /* a no-op once committed */
    free(w->shards[i].final);
  }
  for (size_t i = 0; i < w->n; i++) {
    free(w->ents[i].key);
    free(w->ents[i].ext);
  }
  free(w->ents);
  free(w->shards);
  free(w->index_final);
  free(w->prefix);
  free(w);
}

void slimrt_ckpt_writer_abort(slimrt_ckpt_writer *w) {
  if (w) writer_free(w);
}

slimrt_ckpt_writer *slimrt_ckpt_writer_new(const char *prefix, int num_shards, char *err, size_t errlen) {
  if (!prefix || !*prefix) {
    slimrt_errorf(err, errlen, "empty checkpoint prefix");
    return NULL;
  }
  if (num_shards < 1 || num_shards >= CKPT_MAX_SHARDS) {
    slimrt_errorf(err, errlen, "%s: invalid number of shards %d", prefix, num_shards);
    return NULL;
  }
  slimrt_ckpt_writer *w = calloc(1, sizeof *w);
  if (!w) goto oom;
  w->nshards = num_shards;
  w->prefix = make_name(prefix, "", NULL);
  w->index_final = make_name(prefix, ".index", NULL);
  w->shards = calloc((size_t)num_shards, sizeof *w->shards);
  if (!w->prefix || !w->index_final || !w->shards) goto oom;
  for (int i = 0; i < num_shards; i++) {
    char suffix[64];
    snprintf(suffix, sizeof suffix, ".data-%05d-of-%05d", i, num_shards);
    wshard *s = &w->shards[i];
    s->final = make_name(prefix, suffix, NULL);
    if (!s->final) goto oom;
    if (slimrt_out_begin(&s->out, s->final, SLIMRT_OUT_SYNC, err, errlen)) {
      writer_free(w);
      return NULL;
    }
    if (!(s->f = slimrt_out_stream(&s->out))) goto oom;
  }
  return w;
oom:
  slimrt_errorf(err, errlen, "%s: out of memory", prefix);
  if (w) writer_free(w);
  return NULL;
}

static wentry *new_entry(slimrt_ckpt_writer *w, const unsigned char *key, size_t klen) {
  if (w->n == w->cap) {
    size_t c = w->cap ? w->cap * 2 : 64;
    wentry *e = realloc(w->ents, c * sizeof *e);
    if (!e) return NULL;
    w->ents = e;
    w->cap = c;
  }
  wentry *e = &w->ents[w->n];
  memset(e, 0, sizeof *e);
  e->key = malloc(klen + 1);
  if (!e->key) return NULL;
  memcpy(e->key, key, klen);
  e->key[klen] = 0;
  e->klen = klen;
  w->n++;
  return e;
}

static int check_tensor(const char *prefix, const char *key, int dtype, int rank, const int64_t *dims,
                        uint64_t *nbytes, char *err, size_t errlen) {
  int esz = slimrt_ckpti_elem_size(dtype);
  if (!key || !*key) return slimrt_errorf(err, errlen, "%s: empty tensor key", prefix);
  if (esz == 0) return slimrt_errorf(err, errlen, "%s: tensor '%s': dtype %d cannot be written", prefix, key, dtype);
  if (rank < 0 || rank > SLIMRT_MAX_RANK)
    return slimrt_errorf(err, errlen, "%s: tensor '%s': rank %d is out of range", prefix, key, rank);
  uint64_t n = (uint64_t)esz;
  for (int i = 0; i < rank; i++) {
    if (dims[i] < 0 || (dims[i] && n > (uint64_t)INT64_MAX / (uint64_t)dims[i]))
      return slimrt_errorf(err, errlen, "%s: tensor '%s': invalid shape", prefix, key);
    n *= (uint64_t)dims[i];
  }
  *nbytes = n;
  return 0;
}

static int put_data(slimrt_ckpt_writer *w, wentry *e, int shard, const void *data, uint64_t nbytes,
                    char *err, size_t errlen) {
  shard %= w->nshards;
  if (shard < 0) shard += w->nshards;
  wshard *s = &w->shards[shard];
  if (nbytes && fwrite(data, 1, (size_t)nbytes, s->f) != nbytes)
    return slimrt_errorf(err, errlen, "%s: write error: %s", s->final, strerror(errno));
  e->shard = shard;
  e->offset = s->off;
  e->size = nbytes;
  e->crc = slimrt_crc32c_mask(slimrt_crc32c(0, data, (size_t)nbytes));
  s->off += nbytes;
  return 0;
}

int slimrt_ckpt_writer_add(slimrt_ckpt_writer *w, const char *key, int dtype, int rank, const int64_t *dims,
                           const void *data, int shard, char *err, size_t errlen) {
  uint64_t nbytes;
  if (check_tensor(w->prefix, key, dtype, rank, dims, &nbytes, err, errlen)) return -1;
  wentry *e = new_entry(w, (const unsigned char *)key, strlen(key));
  if (!e) return slimrt_errorf(err, errlen, "%s: out of memory", w->prefix);
  e->dtype = dtype;
  e->rank = rank;
  if (rank) memcpy(e->dims, dims, (size_t)rank * sizeof *dims);
  return put_data(w, e, shard, data, nbytes, err, errlen);
}

int slimrt_ckpt_writer_add_slice(slimrt_ckpt_writer *w, const char *key, int dtype, int rank,
                                 const int64_t *full_dims, const int64_t *start, const int64_t *length,
                                 const void *data, int shard, char *err, size_t errlen) {
  uint64_t nbytes;
  int64_t sdims[SLIMRT_MAX_RANK];
  if (check_tensor(w->prefix, key, dtype, rank, full_dims, &nbytes, err, errlen)) return -1;
  for (int i = 0; i < rank; i++) {
    sdims[i] = length[i] < 0 ? full_dims[i] - start[i] : length[i];
    if (start[i] < 0 || length[i] < -1 || start[i] > full_dims[i] || sdims[i] > full_dims[i] - start[i])
      return slimrt_errorf(err, errlen, "%s: tensor '%s': slice lies outside the tensor", w->prefix, key);
  }
  if (check_tensor(w->prefix, key, dtype, rank, sdims, &nbytes, err, errlen)) return -1;
  /* the full entry (no data), shared by all slices of KEY */
  wentry *full = NULL;
  for (size_t i = 0; i < w->n; i++)
    if (w->ents[i].nslices && !strcmp((const char *)w->ents[i].key, key)) full = &w->ents[i];
  if (full && (full->dtype != dtype || full->rank != rank ||
               memcmp(full->dims, full_dims, (size_t)rank * sizeof *full_dims)))
    return slimrt_errorf(err, errlen, "%s: tensor '%s': slices disagree on dtype or shape", w->prefix, key);
  if (!full) {
    full = new_entry(w, (const unsigned char *)key, strlen(key));
    if (!full) return slimrt_errorf(err, errlen, "%s: out of memory", w->prefix);
    full->dtype = dtype;
    full->rank = rank;
    if (rank) memcpy(full->dims, full_dims, (size_t)rank * sizeof *full_dims);
  }
  int64_t *ext = realloc(full->ext, (size_t)(full->nslices + 1) * 2 * (size_t)(rank ? rank : 1) * sizeof *ext);
  if (!ext) return slimrt_errorf(err, errlen, "%s: out of memory", w->prefix);
  full->ext = ext;
  for (int i = 0; i < rank; i++) {
    ext[(size_t)full->nslices * 2 * rank + 2 * i] = start[i];
    ext[(size_t)full->nslices * 2 * rank + 2 * i + 1] = length[i];
  }
  full->nslices++;
  size_t kcap = CKPT_SLICE_KEY_MAX(strlen(key), rank);
  unsigned char *kbuf = malloc(kcap);
  if (!kbuf) return slimrt_errorf(err, errlen, "%s: out of memory", w->prefix);
  size_t kl = slimrt_ckpti_slice_key(kbuf, kcap, key, rank, start, length);
  wentry *se = new_entry(w, kbuf, kl);
  free(kbuf);
  if (!se) return slimrt_errorf(err, errlen, "%s: out of memory", w->prefix);
  se->dtype = dtype;
  se->rank = rank;
  if (rank) memcpy(se->dims, sdims, (size_t)rank * sizeof *sdims);
  return put_data(w, se, shard, data, nbytes, err, errlen);
}

static int cmp_key(const unsigned char *a, size_t al, const unsigned char *b, size_t bl) {
  size_t m = al < bl ? al : bl;
  int c = m ? memcmp(a, b, m) : 0;
  return c ? c : (al > bl) - (al < bl);
}

static int cmp_entry(const void *x, const void *y) {
  const wentry *a = x, *b = y;
  return cmp_key(a->key, a->klen, b->key, b->klen);
}

static void encode_entry(wbuf *v, const wentry *e) {
  wbuf shape = {0}, dim = {0};
  wb_put(v, "\x08", 1);
  wb_varint(v, (uint64_t)e->dtype);
  for (int i = 0; i < e->rank; i++) {
    dim.n = 0;
    if (e->dims[i]) {
      wb_put(&dim, "\x08", 1);
      wb_varint(&dim, (uint64_t)e->dims[i]);
    }
    wb_put(&shape, "\x12", 1);
    wb_varint(&shape, dim.n);
    wb_put(&shape, dim.p, dim.n);
  }
  wb_put(v, "\x12", 1);
  wb_varint(v, shape.n);
  wb_put(v, shape.p, shape.n);
  if (e->nslices) {
    /* TensorSliceProto: an empty extent is a full dimension; length sits in a
       oneof, so it is written even when zero */
    wbuf sl = {0}, ex = {0};
    for (int s = 0; s < e->nslices; s++) {
      sl.n = 0;
      for (int i = 0; i < e->rank; i++) {
        int64_t st = e->ext[(size_t)s * 2 * e->rank + 2 * i], ln = e->ext[(size_t)s * 2 * e->rank + 2 * i + 1];
        ex.n = 0;
        if (!(st == 0 && ln == -1)) {
          if (st) {
            wb_put(&ex, "\x08", 1);
            wb_varint(&ex, (uint64_t)st);
          }
          wb_put(&ex, "\x10", 1);
          wb_varint(&ex, (uint64_t)ln);
        }
        wb_put(&sl, "\x0a", 1);
        wb_varint(&sl, ex.n);
        wb_put(&sl, ex.p, ex.n);
      }
      wb_put(v, "\x3a", 1);
      wb_varint(v, sl.n);
      wb_put(v, sl.p, sl.n);
    }
    if (sl.oom || ex.oom) v->oom = 1;
    free(sl.p);
    free(ex.p);
  } else {
    if (e->shard) {
      wb_put(v, "\x18", 1);
      wb_varint(v, (uint64_t)e->shard);
    }
    if (e->offset) {
      wb_put(v, "\x20", 1);
      wb_varint(v, e->offset);
    }
    if (e->size) {
      wb_put(v, "\x28", 1);
      wb_varint(v, e->size);
    }
    wb_put(v, "\x35", 1);
    wb_fixed32(v, e->crc);
  }
  if (shape.oom || dim.oom) v->oom = 1;
  free(shape.p);
  free(dim.p);
}

/* Block under construction: prefix-compressed entries plus the restart array. */
typedef struct bbuild {
  wbuf data;
  uint32_t *restarts;
  size_t nr, rcap;
  int since_restart;
  unsigned char *last;
  size_t lastlen, lastcap;
  int interval;
  int entries;
  int oom;
} bbuild;

static void bb_add(bbuild *b, const unsigned char *key, size_t klen, const unsigned char *val, size_t vlen) {
  size_t shared = 0;
  if (b->since_restart >= b->interval || b->entries == 0) {
    if (b->nr == b->rcap) {
      size_t c = b->rcap ? b->rcap * 2 : 16;
      uint32_t *r = realloc(b->restarts, c * sizeof *r);
      if (!r) {
        b->oom = 1;
        return;
      }
      b->restarts = r;
      b->rcap = c;
    }
    b->restarts[b->nr++] = (uint32_t)b->data.n;
    b->since_restart = 0;
  } else {
    size_t m = klen < b->lastlen ? klen : b->lastlen;
    while (shared < m && key[shared] == b->last[shared]) shared++;
  }
  wb_varint(&b->data, shared);
  wb_varint(&b->data, klen - shared);
  wb_varint(&b->data, vlen);
  wb_put(&b->data, key + shared, klen - shared);
  wb_put(&b->data, val, vlen);
  if (klen + 1 > b->lastcap) {
    unsigned char *l = realloc(b->last, klen + 1);
    if (!l) {
      b->oom = 1;
      return;
    }
    b->last = l;
    b->lastcap = klen + 1;
  }
  if (klen) memcpy(b->last, key, klen);
  b->lastlen = klen;
  b->since_restart++;
  b->entries++;
}

static size_t bb_estimate(const bbuild *b) { return b->data.n + 4 * b->nr + 4; }

/* Appends the finished block and its trailer to OUT; returns the handle. */
static void bb_flush(bbuild *b, wbuf *out, uint64_t *off, uint64_t *size) {
  if (b->nr == 0) wb_fixed32(&b->data, 0); /* an empty block still has restart[0] = 0 */
  for (size_t i = 0; i < b->nr; i++) wb_fixed32(&b->data, b->restarts[i]);
  wb_fixed32(&b->data, (uint32_t)(b->nr ? b->nr : 1));
  *off = out->n;
  *size = b->data.n;
  unsigned char type = 0;
  wb_put(out, b->data.p, b->data.n);
  wb_put(out, &type, 1);
  wb_fixed32(out, slimrt_crc32c_mask(slimrt_crc32c(slimrt_crc32c(0, b->data.p, b->data.n), &type, 1)));
  if (b->data.oom) b->oom = 1;
  b->data.n = 0;
  b->nr = 0;
  b->since_restart = 0;
  b->entries = 0;
}

static void bb_free(bbuild *b) {
  free(b->data.p);
  free(b->restarts);
  free(b->last);
}

static int build_index(slimrt_ckpt_writer *w, wbuf *out) {
  bbuild data = {.interval = RESTART_INTERVAL}, index = {.interval = 1}, meta = {.interval = 1};
  wbuf val = {0}, handle = {0};
  uint64_t off, size;
  /* header: num_shards, version { producer: 1 } */
  wb_put(&val, "\x08", 1);
  wb_varint(&val, (uint64_t)w->nshards);
  wb_put(&val, "\x1a\x02\x08\x01", 4);
  bb_add(&data, (const unsigned char *)"", 0, val.p, val.n);
  for (size_t i = 0; i < w->n; i++) {
    const wentry *e = &w->ents[i];
    val.n = 0;
    encode_entry(&val, e);
    /* TF flushes before a huge entry and whenever the block reaches BLOCK_SIZE */
    if (data.entries && e->klen + val.n >= 2 * BLOCK_SIZE) goto flush_before;
    bb_add(&data, e->key, e->klen, val.p, val.n);
    if (bb_estimate(&data) >= BLOCK_SIZE && i + 1 < w->n) {
      /* the block's last key is a valid separator (>= its keys, < the next block's) */
      bb_flush(&data, out, &off, &size);
      handle.n = 0;
      wb_varint(&handle, off);
      wb_varint(&handle, size);
      bb_add(&index, data.last, data.lastlen, handle.p, handle.n);
    }
    continue;
  flush_before:
    bb_flush(&data, out, &off, &size);
    handle.n = 0;
    wb_varint(&handle, off);
    wb_varint(&handle, size);
    bb_add(&index, data.last, data.lastlen, handle.p, handle.n);
    bb_add(&data, e->key, e->klen, val.p, val.n);
  }
  bb_flush(&data, out, &off, &size);
  handle.n = 0;
  wb_varint(&handle, off);
  wb_varint(&handle, size);
  bb_add(&index, data.last, data.lastlen, handle.p, handle.n);
  uint64_t moff, msize, ioff, isize;
  bb_flush(&meta, out, &moff, &msize);
  bb_flush(&index, out, &ioff, &isize);
  unsigned char foot[CKPT_FOOTER_SIZE] = {0};
  wbuf fh = {0};
  wb_varint(&fh, moff);
  wb_varint(&fh, msize);
  wb_varint(&fh, ioff);
  wb_varint(&fh, isize);
  if (!fh.oom) memcpy(foot, fh.p, fh.n);
  foot[40] = 0x57, foot[41] = 0xfb, foot[42] = 0x80, foot[43] = 0x8b;
  foot[44] = 0x24, foot[45] = 0x75, foot[46] = 0x47, foot[47] = 0xdb;
  wb_put(out, foot, sizeof foot);
  int oom = data.oom || index.oom || meta.oom || val.oom || handle.oom || fh.oom || out->oom;
  free(fh.p);
  free(val.p);
  free(handle.p);
  bb_free(&data);
  bb_free(&index);
  bb_free(&meta);
  return oom ? -1 : 0;
}

int slimrt_ckpt_writer_finish(slimrt_ckpt_writer *w, char *err, size_t errlen) {
  int rc = -1;
  wbuf out = {0};
  if (w->n) qsort(w->ents, w->n, sizeof *w->ents, cmp_entry); /* ents is NULL when empty */
  for (size_t i = 1; i < w->n; i++)
    if (!cmp_entry(&w->ents[i - 1], &w->ents[i])) {
      slimrt_errorf(err, errlen, "%s: tensor '%s' was added twice", w->index_final, (const char *)w->ents[i].key);
      goto out;
    }
  for (int i = 0; i < w->nshards; i++)
    if (slimrt_out_finish(&w->shards[i].out, err, errlen)) goto out;
  if (build_index(w, &out)) {
    slimrt_errorf(err, errlen, "%s: out of memory", w->index_final);
    goto out;
  }
  slimrt_out idx;
  if (slimrt_out_begin(&idx, w->index_final, SLIMRT_OUT_SYNC, err, errlen)) goto out;
  if (slimrt_out_write(&idx, out.p, out.n, err, errlen)) {
    slimrt_out_abort(&idx);
    goto out;
  }
  /* the data shards, then the index: all of them or none */
  slimrt_out **all = calloc((size_t)w->nshards + 1, sizeof *all);
  if (!all) {
    slimrt_out_abort(&idx);
    slimrt_errorf(err, errlen, "%s: out of memory", w->index_final);
    goto out;
  }
  for (int i = 0; i < w->nshards; i++) all[i] = &w->shards[i].out;
  all[w->nshards] = &idx;
  int bad = slimrt_out_commit_all(all, w->nshards + 1, err, errlen);
  free(all);
  if (bad) goto out;
  rc = 0;
out:
  free(out.p);
  writer_free(w);
  return rc;
}
