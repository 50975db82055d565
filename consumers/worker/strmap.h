/*
 * strmap.h — a small string → pointer hash map (open addressing).
 *
 * Owns copies of its keys, not its values (the caller frees those, e.g.
 * while iterating before fs_strmap_destroy).  Used by the batch applier
 * for buckets, persons and links of one batch.  Not thread-safe.
 */
#ifndef FS_STRMAP_H
#define FS_STRMAP_H

#include <stddef.h>

#include "fs_err.h"

typedef struct fs_strmap fs_strmap_t;

fs_strmap_t *fs_strmap_new(void);
void fs_strmap_destroy(fs_strmap_t *m);

/** The value of @p key, or NULL. */
void *fs_strmap_get(const fs_strmap_t *m, const char *key);

/** Sets @p key to @p value (replacing; the old value is the caller's). */
fs_err_t fs_strmap_put(fs_strmap_t *m, const char *key, void *value) FS_WUR;

size_t fs_strmap_count(const fs_strmap_t *m);

/** Iteration: @p *pos starts at 0; returns 0 at the end. Keys are borrowed. */
int fs_strmap_next(const fs_strmap_t *m, size_t *pos, const char **key, void **value);

#endif
