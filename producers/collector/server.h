/*
 * server.h — the collector's HTTP server (docs/collector.md).
 *
 * Owns: the libmicrohttpd daemon (and the optional health listener's), the
 * in-flight requests, the Kafka poll thread, the rate limiter, the metrics,
 * the body memory budget and the request-deadline sweep; routes every endpoint of
 * docs/collector.md (events, pixel, CORS preflight, health, metrics).  A POST (or a
 * pixel) is authenticated, rate-limited, parsed and validated on the HTTP
 * thread, its events are produced, and the connection is suspended until
 * the delivery reports of all of them are in; only then is it answered
 * (200 = durable with acks=all, 503 = nothing the client can rely on, retry
 * with the same event_ids).  Rejected events go to the dead-letter topic.
 * docs/collector.md describes every status code and header.
 *
 * Borrows the producers, definition, log, write keys and origins given at
 * construction; they must outlive the server.  Owns one Avro codec per HTTP
 * thread (a codec is not thread-safe).  Handlers run on opts.threads HTTP
 * threads at once; delivery reports arrive on a poll thread per producer.
 *
 * Implemented by http.c (daemons, connections, routing, bodies, lifecycle),
 * events.c (a request's events: admission, validation, producing,
 * delivery reports, the answer) and respond.c (the responses), which share
 * server_private.h; encoders.c holds the codecs.
 */
#ifndef FS_SERVER_H
#define FS_SERVER_H

#include <librdkafka/rdkafka.h>

#include "fs_channel.h"
#include "fs_codec.h"
#include "fs_definition.h"
#include "fs_log.h"
#include "fs_producer.h"

#include "cors.h"
#include "writekeys.h"

typedef struct fs_server_opts {
    const char *listen;          /* "host:port" */
    size_t max_body_bytes;       /* 413 above */
    size_t max_events;           /* 400 above */
    unsigned conn_timeout_s;     /* idle connection timeout (libmicrohttpd's) */
    unsigned request_deadline_s; /* a request's headers and body must arrive within it */
    size_t body_budget_bytes; /* body bytes held by all requests together; 503 past it */
    unsigned max_connections; /* open connections (libmicrohttpd's limit) */
    unsigned max_conns_per_addr; /* open connections per client address; 0 = no cap */
    const char *health_listen;   /* "host:port" of a listener for /healthz, /readyz and
                                    /metrics only, or NULL */
    size_t conn_memory_limit;    /* MHD's per-connection pool: bounds headers (431) */
    unsigned threads;            /* HTTP threads (MHD thread pool); 0 or 1 = one */
    int retry_after_s;           /* Retry-After of a 503 */
    double rate_per_s;           /* events per second per key/IP; 0 = no limit */
    double burst;                /* bucket size, >= 1 when rate_per_s > 0 */
    size_t rate_table_size;      /* most clients tracked at once */
    fs_writekeys_t *write_keys;  /* borrowed; NULL or empty = no key required */
    fs_cors_t *cors;             /* borrowed; NULL = no CORS */
    int cors_max_age_s;          /* Access-Control-Max-Age of a preflight */
    size_t bulk_min_events;      /* accepted events from which a request takes the bulk
                                    producer (when there is one) */
    /* Borrowed; channel grouping of events without a channel (docs/channels.md). */
    fs_channel_table_t *channels;
} fs_server_opts_t;

typedef struct fs_server fs_server_t;

/**
 * Starts listening and takes over the delivery reports of @p producer and
 * @p bulk (NULL: @p producer takes every request); NULL with @p errstr on
 * failure (e.g. address in use), and then nothing is left running.  Requests
 * with at least opts->bulk_min_events accepted events go to @p bulk, every
 * other request and every dead letter to @p producer.
 */
fs_server_t *fs_server_new(const fs_server_opts_t *opts, fs_producer_t *producer,
                           fs_producer_t *bulk, const fs_definition_t *def, fs_log_t *lg,
                           char *errstr, size_t errstr_size);

/** The port of the health listener actually bound, or -1 without one. */
int fs_server_health_port(const fs_server_t *srv);

/** The port actually bound (useful with port 0). */
int fs_server_port(const fs_server_t *srv);

/**
 * Graceful stop: stops accepting, waits up to @p drain_ms for in-flight
 * requests to be answered; requests still waiting for Kafka then are failed
 * (librdkafka's queue is purged: they get 503).  Stops the daemon and the
 * server's threads, detaches the producer's delivery reports (a later
 * fs_producer_flush() is safe) and frees the server.  NULL is a no-op.
 */
void fs_server_destroy(fs_server_t *srv, int drain_ms);

#endif
