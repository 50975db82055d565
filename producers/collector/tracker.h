/*
 * tracker.h — what the collector serves to web pages (docs/tracker.md):
 * the browser tracker `GET /v1/t.js` and the event types it may send,
 * `GET /v1/definition`.
 *
 * Owns the cache validators of both (strong ETags) and the JSON form of a
 * funnel definition.  The script itself is web/t.js, embedded at build time
 * by web/embed.cmake (tracker_js.c, generated), so the collector needs no
 * files at run time and its ETag is the SHA-256 of the bytes served.
 * Pure: no I/O.
 */
#ifndef FS_TRACKER_H
#define FS_TRACKER_H

#include <stddef.h>

#include "fs_definition.h"

#define FS_TRACKER_PATH "/v1/t.js"
#define FS_DEFINITION_PATH "/v1/definition"
/* Five minutes: a new tracker reaches every page soon after a deploy, and a
 * revalidation costs a 304 of no body. */
#define FS_TRACKER_CACHE_CONTROL "public, max-age=300"
#define FS_TRACKER_ETAG_SIZE 24 /* "\"" + 16 hex + "\"" + NUL, rounded up */

/* web/t.js as served, its length and its ETag (generated at build time). */
extern const char fs_tracker_js[];
extern const size_t fs_tracker_js_len;
extern const char fs_tracker_js_etag[];

/**
 * `{"types": [{"name": ..., "stage": ..., "department": ..., "role": ...}]}`
 * of @p def, in definition order (malloc'd; NULL when out of memory), and
 * its ETag in @p etag.
 */
char *fs_tracker_definition_json(const fs_definition_t *def,
                                 char etag[FS_TRACKER_ETAG_SIZE]);

/**
 * Non-zero when If-None-Match header value @p inm (may be NULL) names
 * @p etag: "*", or a comma list containing it (weak "W/" forms match too,
 * as RFC 9110 asks of If-None-Match).
 */
int fs_tracker_etag_matches(const char *inm, const char *etag);

#endif
