/*
 * serve.h — the HTTP server of `funnel-query serve` (docs/dashboard.md): the page,
 * the JSON API, healthz / readyz / metrics.
 *
 * Owns the libmicrohttpd daemon, its threads, a small pool of Redis
 * connections (one per request in flight, store.h) and the counters
 * (serve_metrics.h).  Routes and parameters are api.h's, queries are
 * query.h's — exactly what the CLI runs — so this file only moves bytes
 * between sockets and those modules.  Read-only on Redis.
 *
 * Redis going away is not fatal: requests answer 503, /readyz 503, and
 * the next request after Redis is back reconnects.
 */
#ifndef FS_QUERY_SERVE_H
#define FS_QUERY_SERVE_H

#include <stddef.h>

#include "fs_conf.h"
#include "fs_log.h"

typedef struct fs_serve_opts {
    const char *listen;       /* "host:port"; borrowed for fs_serve_new() */
    unsigned max_connections; /* held at once; more wait in the listen backlog */
    unsigned threads;         /* HTTP threads */
    long long sla_days;       /* FUNNEL_SLA_DAYS, for /api/handoff */
} fs_serve_opts_t;

typedef struct fs_serve fs_serve_t;

/**
 * Starts serving.  @p conf (Redis settings, namespace) and @p lg are
 * borrowed and must outlive the server.
 * @returns the server, or NULL with @p errstr naming the setting (an
 *          address that cannot be bound, out of memory).
 */
fs_serve_t *fs_serve_new(const fs_conf_t *conf, const fs_serve_opts_t *opts, fs_log_t *lg,
                         char *errstr, size_t errstr_size);

/** The bound TCP port (useful with port 0), or -1. */
int fs_serve_port(const fs_serve_t *sv);

/** Stops accepting, finishes the requests in flight, frees everything.  NULL: no-op. */
void fs_serve_destroy(fs_serve_t *sv);

#endif
