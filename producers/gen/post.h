/*
 * post.h — funnel-gen's HTTP client of the collector (docs/collector.md).
 *
 * Owns one libcurl easy handle (one keep-alive connection), the batch being
 * filled and the pacing clock.  Called only by funnel-gen's main.c, from
 * one thread.  Knows nothing of how events are generated: it takes NDJSON
 * lines, posts them as JSON arrays to <url>/v1/events, and retries a batch
 * that was not accepted (429, 5xx, connection errors) with exactly the same
 * bytes — the same event_ids — so the collector's de-duplication makes the
 * retries harmless.  Never logs request bodies; logs the collector's
 * per-event errors (they name fields, not values).
 */
#ifndef FS_POST_H
#define FS_POST_H

#include <stddef.h>

#include "fs_err.h"
#include "fs_log.h"

#define FS_POST_MAX_BATCH 500 /* the collector's per-request limit */

typedef struct fs_post_opts {
    const char *url;        /* collector base URL, e.g. http://localhost:8080 (copied) */
    const char *write_key;  /* HTTP Basic user name, or NULL (copied) */
    long long rate;         /* events per second; 0 = as fast as the collector answers */
    int batch;              /* events per request, 1..FS_POST_MAX_BATCH */
    const char *user_agent; /* e.g. "funnel-gen/0.1.0" (copied) */
} fs_post_opts_t;

typedef struct fs_post_stats {
    unsigned long long sent;     /* distinct events posted (retries not counted) */
    unsigned long long accepted; /* acknowledged by the collector (durable) */
    unsigned long long rejected; /* refused by the collector, with a reason */
    unsigned long long retries;  /* requests repeated after 429/5xx/connection errors */
    unsigned long long requests; /* HTTP requests made, retries included */
} fs_post_stats_t;

typedef struct fs_post fs_post_t;

/** URL check usable in an fs_conf table: http:// or https:// with a host. */
fs_err_t fs_post_check_url(const char *url, char *errstr, size_t errstr_size);

/**
 * Creates the client (initialises libcurl globally; one client per
 * process).  @p lg is borrowed and must outlive the client.  NULL with
 * @p errstr set on failure.
 */
fs_post_t *fs_post_new(const fs_post_opts_t *opts, fs_log_t *lg, char *errstr,
                       size_t errstr_size) FS_WUR;

/** Frees the client and ends the connection; NULL is a no-op.  Unsent events are lost:
 *  call fs_post_flush() first. */
void fs_post_destroy(fs_post_t *post);

/**
 * Queues one event (@p len bytes of JSON; a trailing newline is dropped),
 * first sleeping as long as --rate requires, and posts the batch when it is
 * full or its oldest event has waited 200 ms.  Blocks while a batch is being
 * retried.
 * @returns FS_OK; FS_ERR_INVALID when the collector refused a whole batch
 * (400, 401, 413...) — @p errstr says why; FS_ERR_TRANSIENT when it stayed
 * unavailable through every retry or a stop was requested while retrying;
 * FS_ERR_NOMEM.  After an error the client must only be destroyed.
 */
fs_err_t fs_post_add(fs_post_t *post, const char *json, size_t len, char *errstr,
                     size_t errstr_size) FS_WUR;

/** Posts the queued events now (with the same retries). Same results as fs_post_add(). */
fs_err_t fs_post_flush(fs_post_t *post, char *errstr, size_t errstr_size) FS_WUR;

void fs_post_stats(const fs_post_t *post, fs_post_stats_t *out);

#endif
