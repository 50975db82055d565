/*
 * cors.h — which browser origins may call the collector (docs/collector.md, CORS).
 *
 * Owns the list of allowed origins from `collector.cors_origins`: a comma
 * list of serialized origins ("https://shop.example", "http://localhost:3000")
 * or "*" for any origin.  The collector echoes an allowed Origin back (never
 * "*", so caches must key on it: the response also says `Vary: Origin`).
 * Pure: no I/O.  Read-only after construction.
 */
#ifndef FS_CORS_H
#define FS_CORS_H

#include <stddef.h>

#include "fs_err.h"

typedef struct fs_cors fs_cors_t;

/**
 * Parses @p list (may be NULL or empty: no origin is allowed).  Each item
 * is "*" or scheme "://" host [":" port], without path, query or trailing
 * slash; scheme and host are compared case-insensitively.  NULL with
 * @p errstr ("item 2 \"ftp:/x\": expected scheme://host[:port]") when an
 * item is malformed or out of memory.
 */
fs_cors_t *fs_cors_new(const char *list, char *errstr, size_t errstr_size);
void fs_cors_destroy(fs_cors_t *cors); /* NULL is a no-op */

/** Non-zero when the request's Origin header value @p origin (may be NULL) is allowed. */
int fs_cors_allowed(const fs_cors_t *cors, const char *origin);

/** Non-zero when at least one origin is configured. */
int fs_cors_enabled(const fs_cors_t *cors);

/** The config check of `collector.cors_origins` (fs_conf_check_fn). */
fs_err_t fs_cors_check(const char *value, char *errstr, size_t errstr_size);

#endif
