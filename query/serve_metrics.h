/*
 * serve_metrics.h — the dashboard's counters and their Prometheus text.
 *
 * Owns every number `GET /metrics` of `funnel-query serve` shows: requests
 * by path (the closed set of api.h routes) and status code, a request
 * latency histogram in seconds per path, and Redis errors.  Label sets are
 * closed, so cardinality is bounded whatever clients ask for.  Lock-free
 * atomics: the HTTP threads update, /metrics reads.  Pure: no I/O;
 * unit-tested in tests/unit/test_api.c.
 */
#ifndef FS_QUERY_SERVE_METRICS_H
#define FS_QUERY_SERVE_METRICS_H

#include "api.h"
#include "fs_buf.h"
#include "fs_err.h"

typedef struct fs_serve_metrics fs_serve_metrics_t;

/** Zeroed counters; NULL when out of memory. */
fs_serve_metrics_t *fs_serve_metrics_new(void);
void fs_serve_metrics_destroy(fs_serve_metrics_t *m); /* NULL is a no-op */

/** One answered request of @p route with @p status after @p seconds.  Any thread. */
void fs_serve_metrics_request(fs_serve_metrics_t *m, fs_api_route_t route,
                              unsigned status, double seconds);

/** One Redis failure (unreachable, refusing, bad data).  Any thread. */
void fs_serve_metrics_redis_error(fs_serve_metrics_t *m);

/**
 * Appends the Prometheus text exposition (format 0.0.4), # HELP and # TYPE
 * included, with the gauge @p ready (Redis answered the last check).
 * @returns FS_OK or FS_ERR_NOMEM (then @p out holds a partial text).
 */
fs_err_t fs_serve_metrics_render(const fs_serve_metrics_t *m, int ready,
                                 fs_buf_t *out) FS_WUR;

#endif
