/*
 * fs_strmap.h — a small string → pointer hash map (open addressing).
 *
 * Owns copies of its keys, not its values (the caller frees those, e.g.
 * while iterating before fs_strmap_destroy).  Used by the worker's batch
 * applier (buckets, persons and links of one batch) and funnel-query's
 * attribution sums.  Pure memory; not thread-safe.  Iteration order is
 * unspecified (it follows the hash), so callers that print rows sort them.
 */
#ifndef FS_STRMAP_H
#define FS_STRMAP_H

#include <stddef.h>

#include "fs_err.h"

typedef struct fs_strmap fs_strmap_t;

/** An empty map, or NULL when memory runs out. */
fs_strmap_t *fs_strmap_new(void);
/** Frees the map and its keys, not the values.  NULL is a no-op. */
void fs_strmap_destroy(fs_strmap_t *m);

/** The value of @p key, or NULL. */
void *fs_strmap_get(const fs_strmap_t *m, const char *key);

/**
 * The value of the @p len bytes at @p key (not NUL-terminated), or NULL.
 * The bytes must hold no NUL byte.
 */
void *fs_strmap_getn(const fs_strmap_t *m, const char *key, size_t len);

/** Sets @p key to @p value (replacing; the old value is the caller's). */
fs_err_t fs_strmap_put(fs_strmap_t *m, const char *key, void *value) FS_WUR;

/**
 * fs_strmap_put() of the @p len bytes at @p key (no NUL byte among them).
 * FS_ERR_NOMEM leaves the map's contents unchanged.
 */
fs_err_t fs_strmap_putn(fs_strmap_t *m, const char *key, size_t len, void *value) FS_WUR;

size_t fs_strmap_count(const fs_strmap_t *m);

/** Iteration: @p *pos starts at 0; returns 0 at the end. Keys are borrowed. */
int fs_strmap_next(const fs_strmap_t *m, size_t *pos, const char **key, void **value);

#endif
