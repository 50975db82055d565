/*
 * api.h — the routes and parameters of the dashboard's HTTP API
 * (`funnel-query serve`, docs/dashboard.md).
 *
 * Owns nothing.  Maps a method and path to a route, turns the query
 * parameters of an API request into the options of query.h (so the API
 * answers exactly the CLI's JSON), and writes error bodies.  Called by
 * serve.c only.  Pure: no socket, no Redis, no clock; unit-tested in
 * tests/unit/test_api.c.
 */
#ifndef FS_QUERY_API_H
#define FS_QUERY_API_H

#include <stddef.h>

#include "fs_buf.h"
#include "fs_err.h"
#include "query.h"

/* What answers a request; also the `path` label of the metrics. */
typedef enum fs_api_route {
    FS_ROUTE_PAGE, /* GET / */
    FS_ROUTE_FUNNEL,
    FS_ROUTE_ATTRIBUTION,
    FS_ROUTE_HANDOFF,
    FS_ROUTE_HANDOFF_DELAYS,
    FS_ROUTE_SERIES,
    FS_ROUTE_HEALTHZ,
    FS_ROUTE_READYZ,
    FS_ROUTE_METRICS,
    FS_ROUTE_OTHER, /* no route: 404 */
    FS_ROUTE__COUNT
} fs_api_route_t;

/** The metrics label of @p route ("/api/funnel", ..., "other"). */
const char *fs_api_route_name(fs_api_route_t route);

/**
 * The route of @p path and whether @p method may use it.
 * @returns 200 with *route set; 404 (*route = FS_ROUTE_OTHER) for a path
 *          that is not a route; 405 for a route asked with a method other
 *          than GET or HEAD.
 */
unsigned fs_api_route(const char *method, const char *path, fs_api_route_t *route);

/** The query kind of an API route; -1 for the others. */
int fs_api_route_kind(fs_api_route_t route, fs_query_kind_t *kind);

/* One decoded query parameter; bytes borrowed, not NUL-terminated. */
typedef struct fs_api_param {
    const char *key, *value; /* value NULL for "?key" without '=' */
    size_t key_len, value_len;
} fs_api_param_t;

/* Bytes of all keys and values of one request, at most. */
#define FS_API_QUERY_MAX 2048

/**
 * Sets @p o's values from @p params (borrowed: they must outlive @p o).
 * @returns FS_OK, or FS_ERR_INVALID with a sentence in @p errstr naming
 *          the parameter: an unknown one, one given twice, an empty value,
 *          a NUL byte in a value, or parameters longer than
 *          FS_API_QUERY_MAX bytes in all (the longest is named).  Whether
 *          the route's query takes the option and the value itself are
 *          checked by fs_query_new().
 */
fs_err_t fs_api_params(const fs_api_param_t *params, size_t n, fs_query_opts_t *o,
                       char *errstr, size_t errstr_size) FS_WUR;

/**
 * Appends {"error":"@p msg"} and a newline.  Bytes of @p msg that are not
 * valid UTF-8 become '?', so a hostile parameter echoed in a message
 * still gives valid JSON.
 */
fs_err_t fs_api_error_body(const char *msg, fs_buf_t *out) FS_WUR;

#endif
