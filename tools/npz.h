/* npz: the .npz (zip of .npy members) reader behind `slim-ckpt from-npz`.
 * Stored and deflate members only, no zip64; every member must be NAME.npy. */
#ifndef SLIM_NPZ_H
#define SLIM_NPZ_H
#include <stddef.h>
#include "slimrt.h"

/* Called once per member, in central-directory order, with the member name minus
 * ".npy". A is borrowed: the reader frees it after the call. Returns 0, or -1 with
 * a one-line message in ERR (passed on unchanged by npz_read_mem). */
typedef int (*npz_member_fn)(void *ctx, const char *key, const slimrt_array *a, char *err, size_t errlen);

/* Parses the LEN bytes at Z (read from PATH, which only names it in messages) and
 * hands each member to FN. Returns 0, or -1 with a one-line "PATH: ..." message in ERR. */
int npz_read_mem(const char *path, const unsigned char *z, size_t len, npz_member_fn fn, void *ctx, char *err,
                 size_t errlen);

#endif
