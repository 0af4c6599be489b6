/* TensorFlow checkpoint (format V2, "tensor bundle") reader.
 *
 * slimrt_ckpt_open parses the whole .index at once (an SSTable: footer -> index
 * block -> data blocks, every block CRC-checked, Snappy blocks decompressed) into a
 * sorted array of entries, then memory-maps every data shard. Tensor reads verify
 * the entry's masked CRC32C before copying, so a flipped byte is an error, never a
 * silently wrong weight. Every size and offset read from a file is bounds-checked
 * with overflow-free arithmetic. See docs/checkpoints.md and the format notes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "slimrt.h"
#include "ckpt_internal.h"
#include "slimrt_checked.h"
#include "halfconv.h"
#include "fileio.h"
#include "rtio.h"

typedef struct ckpt_extent { int64_t start, length; } ckpt_extent; /* length -1: full */

typedef struct ckpt_shard {
  char *path;
  const unsigned char *map;   /* NULL when the file is empty */
  size_t len;
} ckpt_shard;

/* A slice-data entry: its key holds NUL bytes, so it is kept apart with a length. */
typedef struct ckpt_skey {
  const unsigned char *key;
  size_t klen;
  slimrt_ckpt_entry e;
} ckpt_skey;

struct slimrt_ckpt {
  char *prefix;
  char *index_path;
  int num_shards;
  ckpt_shard *shards;
  slimrt_ckpt_entry *ents;    /* sorted by key */
  int n;
  ckpt_skey *skeys;           /* sorted by key */
  int ns;
  int *slice_first;           /* per entry: index into extents of its first slice */
  ckpt_extent *extents;       /* nslices * rank per partitioned entry */
  unsigned char *keybuf;
};

/* ---- small decoding helpers ---------------------------------------------- */

static uint32_t le32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* LEB128 varint of at most 10 bytes; 0 on success. */
static int get_varint(const unsigned char **pp, const unsigned char *end, uint64_t *v) {
  const unsigned char *p = *pp;
  uint64_t r = 0;
  for (int i = 0; i < 10 && p < end; i++, p++) {
    r |= (uint64_t)(*p & 0x7f) << (7 * i);
    if (!(*p & 0x80)) {
      *v = r;
      *pp = p + 1;
      return 0;
    }
  }
  return -1;
}

/* One protobuf field: number, wire type, and its varint value or bytes. */
typedef struct pb_field {
  uint32_t num, wire;
  uint64_t v;
  const unsigned char *bytes;
  size_t len;
} pb_field;

/* Returns 1 with a field, 0 at the end, -1 if malformed. */
static int pb_next(const unsigned char **pp, const unsigned char *end, pb_field *f) {
  uint64_t tag;
  if (*pp >= end) return 0;
  if (get_varint(pp, end, &tag) || (tag >> 3) == 0 || (tag >> 3) > UINT32_MAX) return -1;
  f->num = (uint32_t)(tag >> 3);
  f->wire = (uint32_t)(tag & 7);
  f->bytes = NULL;
  f->len = 0;
  switch (f->wire) {
  case 0: return get_varint(pp, end, &f->v) ? -1 : 1;
  case 1:
    if (end - *pp < 8) return -1;
    f->v = le32(*pp) | (uint64_t)le32(*pp + 4) << 32;
    *pp += 8;
    return 1;
  case 2:
    if (get_varint(pp, end, &f->v) || f->v > (uint64_t)(end - *pp)) return -1;
    f->bytes = *pp;
    f->len = (size_t)f->v;
    *pp += f->len;
    return 1;
  case 5:
    if (end - *pp < 4) return -1;
    f->v = le32(*pp);
    *pp += 4;
    return 1;
  default: return -1;
  }
}

static char *str_dup(const char *s) {
  size_t n = strlen(s) + 1;
  char *r = malloc(n);
  if (r) memcpy(r, s, n);
  return r;
}

static char *str_printf2(const char *a, const char *b) {
  size_t n = strlen(a) + strlen(b) + 1;
  char *r = malloc(n);
  if (r) snprintf(r, n, "%s%s", a, b);
  return r;
}


/* ---- table blocks ------------------------------------------------------- */

typedef struct ckpt_block {
  const unsigned char *data;
  size_t len;
  unsigned char *owned;       /* decompressed copy, or NULL */
} ckpt_block;

/* Reads the block at HANDLE (offset, size without trailer) from the index file. */
static int read_block(const char *path, const unsigned char *file, size_t flen, uint64_t off,
                      uint64_t size, ckpt_block *b, char *err, size_t errlen) {
  b->owned = NULL;
  if (off > flen || size > flen - off || flen - off - size < CKPT_TRAILER_SIZE)
    return slimrt_errorf(err, errlen,
                         "%s: block handle (offset %llu, size %llu) lies outside the %zu-byte file",
                         path, (unsigned long long)off, (unsigned long long)size, flen);
  const unsigned char *p = file + off;
  unsigned type = p[size];
  uint32_t want = slimrt_crc32c_unmask(le32(p + size + 1));
  uint32_t got = slimrt_crc32c(slimrt_crc32c(0, p, size), p + size, 1);
  if (want != got)
    return slimrt_errorf(err, errlen,
                         "%s: block at offset %llu: CRC mismatch (stored 0x%08x, computed 0x%08x); "
                         "the index file is corrupt", path, (unsigned long long)off, want, got);
  if (type == 0) {
    b->data = p;
    b->len = (size_t)size;
    return 0;
  }
  if (type != 1)
    return slimrt_errorf(err, errlen, "%s: block at offset %llu: bad block type %u", path,
                         (unsigned long long)off, type);
  size_t ulen;
  /* Snappy expands at most ~22x (a 5-byte copy yields 64 bytes); anything larger is bogus. */
  if (slimrt_snappy_uncompressed_length(p, size, &ulen) || ulen / 22 > size + 16)
    return slimrt_errorf(err, errlen, "%s: block at offset %llu: bad Snappy header", path,
                         (unsigned long long)off);
  b->owned = malloc(ulen ? ulen : 1);
  if (!b->owned) return slimrt_errorf(err, errlen, "%s: out of memory", path);
  if (slimrt_snappy_decompress(p, size, b->owned, ulen)) {
    free(b->owned);
    b->owned = NULL;
    return slimrt_errorf(err, errlen, "%s: block at offset %llu: malformed Snappy data", path,
                         (unsigned long long)off);
  }
  b->data = b->owned;
  b->len = ulen;
  return 0;
}

typedef struct ckpt_iter {
  const unsigned char *p, *end;
  unsigned char *key;
  size_t klen, kcap;
  const unsigned char *val;
  size_t vlen;
} ckpt_iter;

static int iter_init(ckpt_iter *it, const ckpt_block *b) {
  if (b->len < 4) return -1;
  uint32_t nr = le32(b->data + b->len - 4);
  if (nr > (b->len - 4) / 4) return -1;
  it->p = b->data;
  it->end = nr == 0 ? b->data : b->data + b->len - 4 - 4 * (size_t)nr;
  /* the first entry sits at restart offset 0 and must not share a prefix */
  if (nr > 0 && le32(b->data + b->len - 4 - 4 * (size_t)nr) != 0) return -1;
  it->klen = 0;
  return 0;
}

/* 1: next entry in it->key / it->val, 0: end of block, -1: malformed entry. */
static int iter_next(ckpt_iter *it) {
  uint64_t shared, nonshared, vlen;
  if (it->p >= it->end) return 0;
  if (get_varint(&it->p, it->end, &shared) || get_varint(&it->p, it->end, &nonshared) ||
      get_varint(&it->p, it->end, &vlen))
    return -1;
  if (shared > it->klen || nonshared > (uint64_t)(it->end - it->p) ||
      vlen > (uint64_t)(it->end - it->p) - nonshared)
    return -1;
  size_t need = (size_t)shared + (size_t)nonshared;
  if (need >= it->kcap) { /* >=: the buffer is never NULL, even for the empty key */
    size_t cap = it->kcap ? it->kcap : 64;
    while (cap <= need) cap *= 2;
    unsigned char *k = realloc(it->key, cap);
    if (!k) return -1;
    it->key = k;
    it->kcap = cap;
  }
  memcpy(it->key + shared, it->p, (size_t)nonshared);
  it->klen = need;
  it->p += nonshared;
  it->val = it->p;
  it->vlen = (size_t)vlen;
  it->p += vlen;
  return 1;
}

/* ---- index parsing ------------------------------------------------------- */

typedef struct raw_entry {
  size_t koff, klen;
  slimrt_ckpt_entry e;
  int ext_first;              /* into the extents array; slices are nslices * rank */
} raw_entry;

typedef struct parse_state {
  const char *path;           /* the .index, for messages */
  unsigned char *keybuf;
  size_t keylen, keycap;
  raw_entry *ents;
  size_t n, cap;
  ckpt_extent *ext;
  size_t next, extcap;
  int have_header;
  int num_shards;
} parse_state;

static int grow(void **p, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap) return 0;
  size_t c = *cap ? *cap : 16;
  while (c < need) c *= 2;
  void *q = realloc(*p, c * elem);
  if (!q) return -1;
  *p = q;
  *cap = c;
  return 0;
}

static int parse_header(parse_state *ps, const unsigned char *v, size_t n, char *err, size_t errlen) {
  const unsigned char *p = v, *end = v + n;
  pb_field f;
  int r;
  int64_t num_shards = 0, endian = 0;
  while ((r = pb_next(&p, end, &f)) > 0) {
    if (f.num == 1 && f.wire == 0) num_shards = (int64_t)f.v;
    else if (f.num == 2 && f.wire == 0) endian = (int64_t)f.v;
    else if (f.num == 3 && f.wire == 2) {
      const unsigned char *q = f.bytes, *qe = f.bytes + f.len;
      pb_field g;
      int rr;
      while ((rr = pb_next(&q, qe, &g)) > 0) {
        if (g.num == 2 && g.wire == 0 && (int64_t)g.v > 1)
          return slimrt_errorf(err, errlen, "%s: checkpoint needs a newer reader (min_consumer %lld)",
                               ps->path, (long long)g.v);
        if (g.num == 3 && g.wire == 0 && g.v == 1)
          return slimrt_errorf(err, errlen, "%s: checkpoint marks this reader version as bad",
                               ps->path);
      }
      if (rr < 0) break;
    }
  }
  if (r < 0) return slimrt_errorf(err, errlen, "%s: malformed header entry", ps->path);
  if (endian != 0)
    return slimrt_errorf(err, errlen, "%s: big-endian checkpoints are not supported", ps->path);
  if (num_shards < 1 || num_shards >= CKPT_MAX_SHARDS)
    return slimrt_errorf(err, errlen, "%s: header has an invalid shard count %lld", ps->path,
                         (long long)num_shards);
  ps->num_shards = (int)num_shards;
  return 0;
}

static int parse_shape(const unsigned char *p, const unsigned char *end, slimrt_ckpt_entry *e,
                       const char **why) {
  pb_field f;
  int r;
  e->rank = 0;
  while ((r = pb_next(&p, end, &f)) > 0) {
    if (f.num == 2 && f.wire == 2) {
      if (e->rank >= SLIMRT_MAX_RANK) {
        *why = "rank exceeds " "8";
        return -1;
      }
      const unsigned char *q = f.bytes, *qe = f.bytes + f.len;
      pb_field g;
      int rr;
      int64_t size = 0;
      while ((rr = pb_next(&q, qe, &g)) > 0)
        if (g.num == 1 && g.wire == 0) size = (int64_t)g.v;
      if (rr < 0) return -1;
      e->dims[e->rank++] = size;
    } else if (f.num == 3 && f.wire == 0 && f.v) {
      *why = "shape has unknown rank";
      return -1;
    }
  }
  if (r < 0) return -1;
  if (slimrt_shape_count(e->rank, e->dims) < 0) {
    *why = "shape has a negative dimension or too many elements";
    return -1;
  }
  return 0;
}

/* One TensorSliceProto: its extents are appended to ps->ext. */
static int parse_slice(parse_state *ps, const unsigned char *p, const unsigned char *end, int *count) {
  pb_field f;
  int r;
  *count = 0;
  while ((r = pb_next(&p, end, &f)) > 0) {
    if (f.num != 1 || f.wire != 2) continue;
    ckpt_extent x = {0, -1};
    const unsigned char *q = f.bytes, *qe = f.bytes + f.len;
    pb_field g;
    int rr;
    while ((rr = pb_next(&q, qe, &g)) > 0) {
      if (g.num == 1 && g.wire == 0) x.start = (int64_t)g.v;
      else if (g.num == 2 && g.wire == 0) x.length = (int64_t)g.v;
    }
    if (rr < 0) return -1;
    if (grow((void **)&ps->ext, &ps->extcap, ps->next + 1, sizeof *ps->ext)) return -1;
    ps->ext[ps->next++] = x;
    ++*count;
  }
  return r < 0 ? -1 : 0;
}

static int parse_entry(parse_state *ps, const unsigned char *v, size_t n, raw_entry *re,
                       const char **why) {
  const unsigned char *p = v, *end = v + n;
  slimrt_ckpt_entry *e = &re->e;
  pb_field f;
  int r, sliced_rank_ok = 1;
  memset(e, 0, sizeof *e);
  re->ext_first = (int)ps->next;
  while ((r = pb_next(&p, end, &f)) > 0) {
    switch (f.num) {
    case 1: if (f.wire == 0) e->dtype = f.v > 1000 ? -1 : (int)f.v; break;
    case 2:
      if (f.wire == 2 && parse_shape(f.bytes, f.bytes + f.len, e, why)) return -1;
      break;
    case 3: if (f.wire == 0) e->shard_id = (int32_t)f.v; break;
    case 4: if (f.wire == 0) e->offset = (int64_t)f.v; break;
    case 5: if (f.wire == 0) e->size = (int64_t)f.v; break;
    case 6: if (f.wire == 5) e->crc32c = (uint32_t)f.v; break;
    case 7:
      if (f.wire == 2) {
        int cnt;
        if (parse_slice(ps, f.bytes, f.bytes + f.len, &cnt)) return -1;
        if (cnt != 0 && cnt != e->rank) sliced_rank_ok = 0; /* checked against rank below */
        e->nslices++;
      }
      break;
    default: break;
    }
  }
  if (r < 0) return -1;
  if (e->nslices) {
    /* the shape field may follow the slices on the wire; check the totals now */
    if (ps->next - (size_t)re->ext_first != (size_t)e->nslices * (size_t)e->rank || !sliced_rank_ok) {
      *why = "slice rank does not match the tensor's rank";
      return -1;
    }
  }
  return 0;
}

static int add_entry(parse_state *ps, const unsigned char *key, size_t klen, const unsigned char *v,
                     size_t vlen, char *err, size_t errlen) {
  /* Keys must strictly increase: that is what makes lookup a binary search. */
  if (ps->have_header) {
    const raw_entry *prev = ps->n ? &ps->ents[ps->n - 1] : NULL;
    const unsigned char *pk = prev ? ps->keybuf + prev->koff : (const unsigned char *)"";
    size_t pl = prev ? prev->klen : 0;
    size_t m = pl < klen ? pl : klen;
    int c = memcmp(pk, key, m);
    if (c > 0 || (c == 0 && pl >= klen))
      return slimrt_errorf(err, errlen, "%s: keys are not in increasing order at '%.*s'", ps->path,
                           (int)(klen > 200 ? 200 : klen), (const char *)key);
  } else {
    if (klen != 0)
      return slimrt_errorf(err, errlen, "%s: the first key is not the header entry \"\"", ps->path);
    ps->have_header = 1;
    return parse_header(ps, v, vlen, err, errlen);
  }
  if (key[0] != 0 && memchr(key, 0, klen))
    return slimrt_errorf(err, errlen, "%s: key '%.*s' contains a NUL byte", ps->path, (int)klen,
                         (const char *)key);
  if (grow((void **)&ps->ents, &ps->cap, ps->n + 1, sizeof *ps->ents) ||
      grow((void **)&ps->keybuf, &ps->keycap, ps->keylen + klen + 1, 1))
    return slimrt_errorf(err, errlen, "%s: out of memory", ps->path);
  raw_entry *re = &ps->ents[ps->n];
  const char *why = "malformed BundleEntryProto";
  if (parse_entry(ps, v, vlen, re, &why)) {
    if (key[0] == 0) return slimrt_errorf(err, errlen, "%s: slice entry: %s", ps->path, why);
    return slimrt_errorf(err, errlen, "%s: entry '%.*s': %s", ps->path, (int)klen, (const char *)key, why);
  }
  re->koff = ps->keylen;
  re->klen = klen;
  memcpy(ps->keybuf + ps->keylen, key, klen);
  ps->keybuf[ps->keylen + klen] = 0;
  ps->keylen += klen + 1;
  ps->n++;
  return 0;
}

static int parse_index(parse_state *ps, const unsigned char *file, size_t flen, char *err, size_t errlen) {
  const char *path = ps->path;
  if (flen < CKPT_FOOTER_SIZE)
    return slimrt_errorf(err, errlen, "%s: file is too short to be a checkpoint index (%zu bytes)", path, flen);
  const unsigned char *foot = file + flen - CKPT_FOOTER_SIZE;
  if (le32(foot + 40) != CKPT_TABLE_MAGIC_LO || le32(foot + 44) != CKPT_TABLE_MAGIC_HI)
    return slimrt_errorf(err, errlen, "%s: not a checkpoint index (bad table magic number)", path);
  const unsigned char *q = foot;
  uint64_t mo, ms, io, is;
  if (get_varint(&q, foot + 40, &mo) || get_varint(&q, foot + 40, &ms) ||
      get_varint(&q, foot + 40, &io) || get_varint(&q, foot + 40, &is))
    return slimrt_errorf(err, errlen, "%s: malformed table footer", path);
  ckpt_block ib;
  if (read_block(path, file, flen, io, is, &ib, err, errlen)) return -1;
  ckpt_iter ii = {0}, di = {0};
  int rc = -1, r;
  if (iter_init(&ii, &ib)) {
    slimrt_errorf(err, errlen, "%s: malformed index block", path);
    goto out;
  }
  while ((r = iter_next(&ii)) > 0) {
    const unsigned char *hp = ii.val, *he = ii.val + ii.vlen;
    uint64_t bo, bs;
    if (get_varint(&hp, he, &bo) || get_varint(&hp, he, &bs)) {
      slimrt_errorf(err, errlen, "%s: malformed block handle in the index block", path);
      goto out;
    }
    ckpt_block db;
    if (read_block(path, file, flen, bo, bs, &db, err, errlen)) goto out;
    int rr = 0;
    if (iter_init(&di, &db)) rr = -1;
    else
      while ((rr = iter_next(&di)) > 0)
        if (add_entry(ps, di.key, di.klen, di.val, di.vlen, err,
                      errlen)) {
          free(db.owned);
          goto out;
        }
    free(db.owned);
    if (rr < 0) {
      slimrt_errorf(err, errlen, "%s: malformed data block at offset %llu", path, (unsigned long long)bo);
      goto out;
    }
  }
  if (r < 0) {
    slimrt_errorf(err, errlen, "%s: malformed index block", path);
    goto out;
  }
  if (!ps->have_header) {
    slimrt_errorf(err, errlen, "%s: no header entry (empty table)", path);
    goto out;
  }
  rc = 0;
out:
  free(ib.owned);
  free(ii.key);
  free(di.key);
  return rc;
}

/* ---- opening -------------------------------------------------------------- */

/* The files a checkpoint is made of: 0 the index, 1.. the data shards. */
const char *slimrt_ckpt_file(const slimrt_ckpt *ck, int i) {
  if (i == 0) return ck->index_path;
  return ck->shards && i > 0 && i <= ck->num_shards ? ck->shards[i - 1].path : NULL;
}

/* DIR/checkpoint holds `model_checkpoint_path: "..."` (text-format CheckpointState);
   returns the prefix it names, joined with DIR when relative. */
static char *resolve_dir(const char *dir, char *err, size_t errlen) {
  char *cpath = str_printf2(dir, "/checkpoint");
  unsigned char *buf = NULL;
  size_t len;
  char *res = NULL;
  if (!cpath) return NULL;
  struct stat st;
  if (stat(cpath, &st) != 0) {
    slimrt_errorf(err, errlen, "%s: is a directory without a 'checkpoint' file", dir);
    free(cpath);
    return NULL;
  }
  if (slimrt_file_read(cpath, SLIMRT_LIMIT_STATE, SLIMRT_READ_REGULAR, &buf, &len, err, errlen)) {
    free(cpath);
    return NULL;
  }
  const char *field = "model_checkpoint_path";
  size_t fl = strlen(field), i = 0;
  char *val = NULL;
  while (i < len && !val) {
    size_t ls = i;
    while (i < len && buf[i] != '\n') i++;
    size_t le = i++;
    size_t j = ls;
    while (j < le && (buf[j] == ' ' || buf[j] == '\t')) j++;
    if (le - j <= fl || memcmp(buf + j, field, fl)) continue;
    j += fl;
    while (j < le && (buf[j] == ' ' || buf[j] == '\t')) j++;
    if (j >= le || buf[j] != ':') continue;
    j++;
    while (j < le && (buf[j] == ' ' || buf[j] == '\t')) j++;
    if (j >= le || (buf[j] != '"' && buf[j] != '\'')) break;
    unsigned char quote = buf[j++];
    val = malloc(le - j + 1);
    if (!val) break;
    size_t o = 0;
    int closed = 0;
    while (j < le) {
      unsigned char c = buf[j++];
      if (c == quote) { closed = 1; break; }
      if (c == '\\' && j < le) {
        c = buf[j++];
        if (c == 'n') c = '\n';
        else if (c == 't') c = '\t';
        else if (c >= '0' && c <= '7') { /* octal escape, up to 3 digits */
          int v = c - '0';
          for (int k = 0; k < 2 && j < le && buf[j] >= '0' && buf[j] <= '7'; k++) v = v * 8 + (buf[j++] - '0');
          c = (unsigned char)v;
        }
      }
      val[o++] = (char)c;
    }
    val[o] = 0;
    if (!closed || o == 0 || memchr(val, 0, o)) {
      free(val);
      val = NULL;
      break;
    }
  }
  if (!val) slimrt_errorf(err, errlen, "%s: no valid model_checkpoint_path entry", cpath);
  else if (val[0] == '/') res = val, val = NULL;
  else {
    size_t n = strlen(dir) + strlen(val) + 2;
    res = malloc(n);
    if (res) snprintf(res, n, "%s/%s", dir, val);
  }
  free(val);
  free(buf);
  free(cpath);
  return res;
}

void slimrt_ckpt_close(slimrt_ckpt *ck) {
  if (!ck) return;
  for (int i = 0; ck->shards && i < ck->num_shards; i++) {
    if (ck->shards[i].map) munmap((void *)ck->shards[i].map, ck->shards[i].len);
    free(ck->shards[i].path);
  }
  free(ck->shards);
  free(ck->ents);
  free(ck->skeys);
  free(ck->slice_first);
  free(ck->extents);
  free(ck->keybuf);
  free(ck->index_path);
  free(ck->prefix);
  free(ck);
}

static int map_shards(slimrt_ckpt *ck, char *err, size_t errlen) {
  ck->shards = calloc((size_t)ck->num_shards, sizeof *ck->shards);
  if (!ck->shards) return slimrt_errorf(err, errlen, "%s: out of memory", ck->index_path);
  size_t plen = strlen(ck->prefix) + 32;
  for (int i = 0; i < ck->num_shards; i++) {
    ckpt_shard *s = &ck->shards[i];
    s->path = malloc(plen);
    if (!s->path) return slimrt_errorf(err, errlen, "%s: out of memory", ck->index_path);
    snprintf(s->path, plen, "%s.data-%05d-of-%05d", ck->prefix, i, ck->num_shards);
    if (access(s->path, F_OK) != 0)
      return slimrt_errorf(err, errlen, "%s: cannot open data shard %d of %d: %s", s->path, i,
                           ck->num_shards, strerror(errno));
    uint64_t size;
    int fd = slimrt_file_open_regular(s->path, &size, err, errlen);
    if (fd < 0) return -1;
    if (size > SIZE_MAX) {
      close(fd);
      return slimrt_errorf(err, errlen, "%s: too large to map", s->path);
    }
    s->len = (size_t)size;
    if (s->len > 0) {
      void *m = mmap(NULL, s->len, PROT_READ, MAP_PRIVATE, fd, 0);
      if (m == MAP_FAILED) {
        close(fd);
        return slimrt_errorf(err, errlen, "%s: cannot map: %s", s->path, strerror(errno));
      }
      s->map = m;
    }
    close(fd);
  }
  return 0;
}

/* ---- partitioned variables: the slices must tile the tensor exactly ------- */

/* Slice bounds along one dimension: [lo, hi). */
static void slice_range(const ckpt_extent *x, int64_t dim, int64_t *lo, int64_t *hi) {
  *lo = x->start;
  *hi = x->length < 0 ? dim : x->start + x->length;
}

typedef struct slice_ord { const ckpt_extent *x; int64_t key; } slice_ord;
static int cmp_slice_ord(const void *a, const void *b) {
  int64_t x = ((const slice_ord *)a)->key, y = ((const slice_ord *)b)->key;
  return (x > y) - (x < y);
}

/* At most this many pairs of slices are compared per checkpoint: the slices of a
   real partitioned variable are disjoint along the sort dimension, so each one
   meets its neighbour only; a file that needs more is refused, not a hang. */
#define CKPT_MAX_SLICE_PAIRS ((int64_t)1 << 26)

/* Proves that the slices of tensor E cover every element exactly once: each lies
   inside the tensor, no two overlap, and their element counts add up to the
   tensor's. Called when the checkpoint is opened, before any data is read, so no
   reader can see a partially filled variable. */
static int check_coverage(const slimrt_ckpt *ck, const slimrt_ckpt_entry *e, const ckpt_extent *ext,
                          int64_t *pairs, char *err, size_t errlen) {
  int rank = e->rank, ns = e->nslices;
  int64_t nelem = slimrt_shape_count(rank, e->dims), covered = 0;
  for (int s = 0; s < ns; s++) {
    const ckpt_extent *x = ext + (size_t)s * (size_t)rank;
    int64_t n = 1;
    for (int d = 0; d < rank; d++) {
      if (x[d].start < 0 || x[d].length < -1 || x[d].start > e->dims[d] ||
          (x[d].length >= 0 && x[d].length > e->dims[d] - x[d].start))
        return slimrt_errorf(err, errlen, "%s: tensor '%s': slice %d lies outside the tensor", ck->index_path,
                             e->key, s);
      int64_t lo, hi;
      slice_range(&x[d], e->dims[d], &lo, &hi);
      n *= hi - lo; /* cannot overflow: at most the tensor's count, or 0 */
    }
    if (slimrt_ck_add(covered, n, &covered) || covered > nelem)
      return slimrt_errorf(err, errlen, "%s: tensor '%s': its slices hold more than its %lld elements (they overlap)",
                           ck->index_path, e->key, (long long)nelem);
  }
  if (covered != nelem)
    return slimrt_errorf(err, errlen, "%s: tensor '%s': its %d slices cover %lld of %lld elements",
                         ck->index_path, e->key, ns, (long long)covered, (long long)nelem);
  if (ns < 2 || rank == 0) return 0;
  /* Equal counts and no overlap mean no gap. Sort along the dimension whose slices
     start at the most places, then compare each slice with the ones that start
     before it ends there. */
  slice_ord *o = malloc((size_t)ns * sizeof *o);
  if (!o) return slimrt_errorf(err, errlen, "%s: out of memory", ck->index_path);
  int best = 0;
  int64_t best_distinct = -1;
  for (int d = 0; d < rank; d++) {
    for (int s = 0; s < ns; s++) o[s] = (slice_ord){ext + (size_t)s * (size_t)rank, ext[(size_t)s * (size_t)rank + d].start};
    qsort(o, (size_t)ns, sizeof *o, cmp_slice_ord);
    int64_t distinct = 1;
    for (int s = 1; s < ns; s++) distinct += o[s].key != o[s - 1].key;
    if (distinct > best_distinct) best_distinct = distinct, best = d;
  }
  for (int s = 0; s < ns; s++) o[s] = (slice_ord){ext + (size_t)s * (size_t)rank, ext[(size_t)s * (size_t)rank + best].start};
  qsort(o, (size_t)ns, sizeof *o, cmp_slice_ord);
  int rc = 0;
  for (int i = 0; i < ns && !rc; i++) {
    int64_t ilo, ihi;
    slice_range(&o[i].x[best], e->dims[best], &ilo, &ihi);
    for (int j = i + 1; j < ns && o[j].key < ihi; j++) {
      if (++*pairs > CKPT_MAX_SLICE_PAIRS) {
        rc = slimrt_errorf(err, errlen, "%s: tensor '%s': %d slices are too many to check for overlaps",
                           ck->index_path, e->key, ns);
        break;
      }
      int overlap = 1;
      for (int d = 0; d < rank && overlap; d++) {
        int64_t alo, ahi, blo, bhi;
        slice_range(&o[i].x[d], e->dims[d], &alo, &ahi);
        slice_range(&o[j].x[d], e->dims[d], &blo, &bhi);
        overlap = alo < bhi && blo < ahi && alo < ahi && blo < bhi;
      }
      if (overlap) {
        rc = slimrt_errorf(err, errlen, "%s: tensor '%s': two of its slices overlap (and leave a gap elsewhere)",
                           ck->index_path, e->key);
        break;
      }
    }
  }
  free(o);
  return rc;
}

slimrt_ckpt *slimrt_ckpt_open(const char *prefix, char *err, size_t errlen) {
  if (!prefix || !*prefix) {
    slimrt_errorf(err, errlen, "empty checkpoint prefix");
    return NULL;
  }
  slimrt_ckpt *ck = calloc(1, sizeof *ck);
  if (!ck) {
    slimrt_errorf(err, errlen, "%s: out of memory", prefix);
    return NULL;
  }
  struct stat st;
  size_t pl = strlen(prefix);
  while (pl > 1 && prefix[pl - 1] == '/') pl--;
  if (stat(prefix, &st) == 0 && S_ISDIR(st.st_mode)) {
    char *dir = malloc(pl + 1);
    if (dir) {
      memcpy(dir, prefix, pl);
      dir[pl] = 0;
      ck->prefix = resolve_dir(dir, err, errlen);
      free(dir);
    }
    if (!ck->prefix) goto fail;
  } else if (!(ck->prefix = str_dup(prefix))) {
    slimrt_errorf(err, errlen, "%s: out of memory", prefix);
    goto fail;
  }
  ck->index_path = str_printf2(ck->prefix, ".index");
  if (!ck->index_path) goto oom;

  unsigned char *file;
  size_t flen;
  if (slimrt_file_read(ck->index_path, SLIMRT_LIMIT_INDEX, SLIMRT_READ_REGULAR, &file, &flen, err, errlen)) goto fail;
  parse_state ps = {.path = ck->index_path};
  int rc = parse_index(&ps, file, flen, err, errlen);
  free(file);
  ck->keybuf = ps.keybuf;
  ck->extents = (ckpt_extent *)ps.ext;
  if (rc) {
    free(ps.ents);
    goto fail;
  }
  ck->num_shards = ps.num_shards;

  /* Split the sorted raw entries into tensors and slice-data entries (keys
     starting with a 0 byte sort before every name, so each part stays sorted). */
  size_t nslice = 0;
  while (nslice < ps.n && ps.ents[nslice].klen > 0 && ps.keybuf[ps.ents[nslice].koff] == 0) nslice++;
  ck->ns = (int)nslice;
  ck->n = (int)(ps.n - nslice);
  ck->ents = calloc((size_t)ck->n + 1, sizeof *ck->ents);
  ck->skeys = calloc(nslice + 1, sizeof *ck->skeys);
  ck->slice_first = calloc((size_t)ck->n + 1, sizeof *ck->slice_first);
  if (!ck->ents || !ck->skeys || !ck->slice_first) {
    free(ps.ents);
    goto oom;
  }
  for (size_t i = 0; i < ps.n; i++) {
    raw_entry *re = &ps.ents[i];
    re->e.key = (const char *)ps.keybuf + re->koff;
    if (i < nslice) {
      ck->skeys[i].key = ps.keybuf + re->koff;
      ck->skeys[i].klen = re->klen;
      ck->skeys[i].e = re->e;
    } else {
      ck->ents[i - nslice] = re->e;
      ck->slice_first[i - nslice] = re->ext_first;
    }
  }
  free(ps.ents);
  int64_t pairs = 0;
  for (int i = 0; i < ck->n; i++)
    if (ck->ents[i].nslices && check_coverage(ck, &ck->ents[i], ck->extents + ck->slice_first[i], &pairs, err, errlen))
      goto fail;
  if (map_shards(ck, err, errlen)) goto fail;
  return ck;
oom:
  slimrt_errorf(err, errlen, "%s: out of memory", prefix);
fail:
  slimrt_ckpt_close(ck);
  return NULL;
}

const char *slimrt_ckpt_prefix(const slimrt_ckpt *ck) { return ck->prefix; }
int slimrt_ckpt_num_shards(const slimrt_ckpt *ck) { return ck->num_shards; }
int slimrt_ckpt_count(const slimrt_ckpt *ck) { return ck->n; }

const slimrt_ckpt_entry *slimrt_ckpt_entry_at(const slimrt_ckpt *ck, int i) {
  return i >= 0 && i < ck->n ? &ck->ents[i] : NULL;
}

const slimrt_ckpt_entry *slimrt_ckpt_find(const slimrt_ckpt *ck, const char *key) {
  int lo = 0, hi = ck->n;
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    int c = strcmp(ck->ents[mid].key, key);
    if (c == 0) return &ck->ents[mid];
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return NULL;
}

static const ckpt_skey *find_slice(const slimrt_ckpt *ck, const unsigned char *key, size_t klen) {
  int lo = 0, hi = ck->ns;
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    const ckpt_skey *s = &ck->skeys[mid];
    size_t m = s->klen < klen ? s->klen : klen;
    int c = memcmp(s->key, key, m);
    if (c == 0) c = s->klen < klen ? -1 : s->klen > klen;
    if (c == 0) return s;
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return NULL;
}

/* ---- reading tensors ------------------------------------------------------ */

static void fmt_shape(char *buf, size_t n, int rank, const int64_t *dims) {
  size_t o = 0;
  o += (size_t)snprintf(buf + o, n - o, "[");
  for (int i = 0; i < rank && o < n; i++)
    o += (size_t)snprintf(buf + o, n - o, "%s%lld", i ? "," : "", (long long)dims[i]);
  if (o < n) snprintf(buf + o, n - o, "]");
}

/* Bounds, size and CRC checks of one stored byte range; on success *BYTES points into the map. */
static int locate(const slimrt_ckpt *ck, const char *key, const slimrt_ckpt_entry *e, int64_t nbytes,
                  const unsigned char **bytes, char *err, size_t errlen) {
  if (e->shard_id < 0 || e->shard_id >= ck->num_shards)
    return slimrt_errorf(err, errlen, "%s: tensor '%s': shard %d out of range (checkpoint has %d)",
                         ck->index_path, key, (int)e->shard_id, ck->num_shards);
  const ckpt_shard *s = &ck->shards[e->shard_id];
  if (e->size != nbytes)
    return slimrt_errorf(err, errlen, "%s: tensor '%s': stored size %lld does not match its shape (%lld bytes)",
                         ck->index_path, key, (long long)e->size, (long long)nbytes);
  if (e->offset < 0 || e->size < 0 || (uint64_t)e->offset > s->len ||
      (uint64_t)e->size > s->len - (uint64_t)e->offset)
    return slimrt_errorf(err, errlen,
                         "%s: tensor '%s': bytes [%lld, +%lld) lie outside the %zu-byte file (truncated?)",
                         s->path, key, (long long)e->offset, (long long)e->size, s->len);
  const unsigned char *p = s->map ? s->map + e->offset : (const unsigned char *)"";
  uint32_t want = slimrt_crc32c_unmask(e->crc32c), got = slimrt_crc32c(0, p, (size_t)e->size);
  if (want != got)
    return slimrt_errorf(err, errlen,
                         "%s: tensor '%s': CRC32C mismatch (stored 0x%08x, computed 0x%08x); the data is corrupt",
                         s->path, key, want, got);
  *bytes = p;
  return 0;
}

/* Copies one slice (a dense [len0,len1,...] block) into the full tensor DST. */
static void copy_slice(unsigned char *dst, const unsigned char *src, int rank, const int64_t *full,
                       const int64_t *start, const int64_t *len, size_t esz) {
  if (rank == 0) {
    memcpy(dst, src, esz);
    return;
  }
  int64_t idx[SLIMRT_MAX_RANK] = {0};
  size_t row = (size_t)len[rank - 1] * esz;
  int64_t rows = 1;
  for (int d = 0; d < rank - 1; d++) rows *= len[d];
  if (row == 0) return;
  for (int64_t r = 0; r < rows; r++) {
    int64_t off = 0;
    for (int d = 0; d < rank; d++) off = off * full[d] + start[d] + (d < rank - 1 ? idx[d] : 0);
    memcpy(dst + (size_t)off * esz, src, row);
    src += row;
    for (int d = rank - 2; d >= 0; d--) {
      if (++idx[d] < len[d]) break;
      idx[d] = 0;
    }
  }
}

static int read_sliced(const slimrt_ckpt *ck, const slimrt_ckpt_entry *e, unsigned char *dst, size_t esz,
                       int64_t nelem, char *err, size_t errlen) {
  const ckpt_extent *x = ck->extents + ck->slice_first[e - ck->ents];
  size_t kcap = CKPT_SLICE_KEY_MAX(strlen(e->key), e->rank);
  unsigned char *kbuf = malloc(kcap);
  int64_t covered = 0;
  if (!kbuf) return slimrt_errorf(err, errlen, "%s: out of memory", ck->index_path);
  for (int s = 0; s < e->nslices; s++, x += e->rank) {
    int64_t start[SLIMRT_MAX_RANK], slen[SLIMRT_MAX_RANK], klen[SLIMRT_MAX_RANK];
    for (int d = 0; d < e->rank; d++) {
      start[d] = x[d].start;
      klen[d] = x[d].length;
      slen[d] = x[d].length < 0 ? e->dims[d] - x[d].start : x[d].length;
      if (x[d].start < 0 || x[d].length < -1 || x[d].start > e->dims[d] || slen[d] > e->dims[d] - x[d].start) {
        free(kbuf);
        return slimrt_errorf(err, errlen, "%s: tensor '%s': slice %d lies outside the tensor",
                             ck->index_path, e->key, s);
      }
    }
    size_t kl = slimrt_ckpti_slice_key(kbuf, kcap, e->key, e->rank, start, klen);
    const ckpt_skey *sk = find_slice(ck, kbuf, kl);
    if (!sk) {
      free(kbuf);
      return slimrt_errorf(err, errlen, "%s: tensor '%s': the data entry of slice %d is missing",
                           ck->index_path, e->key, s);
    }
    int64_t n = slimrt_shape_count(e->rank, slen);
    const unsigned char *bytes;
    if (sk->e.dtype != e->dtype || slimrt_shape_count(sk->e.rank, sk->e.dims) != n) {
      free(kbuf);
      return slimrt_errorf(err, errlen, "%s: tensor '%s': slice %d has the wrong dtype or shape",
                           ck->index_path, e->key, s);
    }
    if (locate(ck, e->key, &sk->e, n * (int64_t)esz, &bytes, err, errlen)) {
      free(kbuf);
      return -1;
    }
    copy_slice(dst, bytes, e->rank, e->dims, start, slen, esz);
    covered += n;
  }
  free(kbuf);
  if (covered != nelem)
    return slimrt_errorf(err, errlen, "%s: tensor '%s': its %d slices cover %lld of %lld elements",
                         ck->index_path, e->key, e->nslices, (long long)covered, (long long)nelem);
  return 0;
}

/* Drops the mapped pages lying wholly inside [P, P+N) from this process once they are
   copied out, so that loading a model costs its weights once, not twice, in peak RSS.
   The mapping is private and read-only: a later read faults the file back in. */
static void release_pages(const void *p, size_t n) {
  long pg = sysconf(_SC_PAGESIZE);
  if (pg <= 0 || n < (size_t)pg) return;
  uintptr_t lo = ((uintptr_t)p + (uintptr_t)pg - 1) & ~((uintptr_t)pg - 1);
  uintptr_t hi = ((uintptr_t)p + n) & ~((uintptr_t)pg - 1);
  if (hi > lo) madvise((void *)lo, hi - lo, MADV_DONTNEED);
}

int slimrt_ckpt_read(const slimrt_ckpt *ck, const slimrt_ckpt_entry *e, void *dst, size_t dst_size,
                     char *err, size_t errlen) {
  size_t esz = (size_t)slimrt_ckpti_elem_size(e->dtype);
  if (esz == 0)
    return slimrt_errorf(err, errlen, "%s: tensor '%s' has dtype %s, which cannot be loaded",
                         ck->index_path, e->key, e->dtype == SLIMRT_STRING ? "string" : "(unsupported)");
  int64_t nelem = slimrt_shape_count(e->rank, e->dims);
  if (nelem < 0 || (uint64_t)nelem > SIZE_MAX / esz || (size_t)nelem * esz != dst_size) {
    char sh[128];
    fmt_shape(sh, sizeof sh, e->rank, e->dims);
    return slimrt_errorf(err, errlen, "%s: tensor '%s' of shape %s needs %lld bytes, the buffer has %zu",
                         ck->index_path, e->key, sh, (long long)nelem * (long long)esz, dst_size);
  }
  if (e->nslices) return read_sliced(ck, e, dst, esz, nelem, err, errlen);
  const unsigned char *bytes;
  if (locate(ck, e->key, e, nelem * (int64_t)esz, &bytes, err, errlen)) return -1;
  if (dst_size) memcpy(dst, bytes, dst_size);
  release_pages(bytes, dst_size);
  return 0;
}


int slimrt_ckpt_read_f32(const slimrt_ckpt *ck, const slimrt_ckpt_entry *e, float *dst, size_t count,
                         char *err, size_t errlen) {
  int esz = slimrt_ckpti_elem_size(e->dtype);
  switch (e->dtype) {
  case SLIMRT_F32: case SLIMRT_F64: case SLIMRT_I32: case SLIMRT_U8: case SLIMRT_I16: case SLIMRT_I8:
  case SLIMRT_I64: case SLIMRT_BOOL: case SLIMRT_BF16: case SLIMRT_U16: case SLIMRT_F16: case SLIMRT_U32:
  case SLIMRT_U64: break;
  default:
    return slimrt_errorf(err, errlen, "%s: tensor '%s' has dtype %s, which cannot be read as float32",
                         ck->index_path, e->key, e->dtype == SLIMRT_STRING ? "string" : "(unsupported)");
  }
  int64_t nelem = slimrt_shape_count(e->rank, e->dims);
  if (nelem < 0 || (uint64_t)nelem != count)
    return slimrt_errorf(err, errlen, "%s: tensor '%s' has %lld elements, the buffer %zu",
                         ck->index_path, e->key, (long long)nelem, count);
  if (e->dtype == SLIMRT_F32) return slimrt_ckpt_read(ck, e, dst, count * 4, err, errlen);
  unsigned char *tmp = malloc(count * (size_t)esz + 1);
  if (!tmp) return slimrt_errorf(err, errlen, "%s: out of memory", ck->index_path);
  if (slimrt_ckpt_read(ck, e, tmp, count * (size_t)esz, err, errlen)) {
    free(tmp);
    return -1;
  }
  for (size_t i = 0; i < count; i++) {
    const unsigned char *p = tmp + i * (size_t)esz;
    union { double f64; int64_t i64; uint64_t u64; int32_t i32; uint32_t u32; int16_t i16;
            uint16_t u16; int8_t i8; uint8_t u8; } v;
    memcpy(&v, p, (size_t)esz);
    float f;
    switch (e->dtype) {
    case SLIMRT_F64: f = (float)v.f64; break;
    case SLIMRT_I32: f = (float)v.i32; break;
    case SLIMRT_U8: f = (float)v.u8; break;
    case SLIMRT_I16: f = (float)v.i16; break;
    case SLIMRT_I8: f = (float)v.i8; break;
    case SLIMRT_I64: f = (float)v.i64; break;
    case SLIMRT_BOOL: f = v.u8 ? 1.0f : 0.0f; break;
    case SLIMRT_U16: f = (float)v.u16; break;
    case SLIMRT_U32: f = (float)v.u32; break;
    case SLIMRT_U64: f = (float)v.u64; break;
    case SLIMRT_F16: f = slimrt_f16_to_f32(v.u16); break;
    default: f = slimrt_bf16_to_f32(v.u16); /* bfloat16 */
    }
    dst[i] = f;
  }
  free(tmp);
  return 0;
}
