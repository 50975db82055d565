/*
 * endpoint.h — funnel-worker's HTTP endpoint: GET /metrics, /healthz,
 * /readyz on worker.listen (FUNNEL_WORKER_LISTEN, default 127.0.0.1:9100).
 *
 * Owns a libmicrohttpd daemon with its own thread and, on that thread
 * only, one Redis connection used for PING.  Reads the worker's counters
 * (counters.h) and asks the broker for watermarks through the worker's
 * consumer handle (librdkafka calls are thread-safe).  Never touches the
 * worker's own state: a slow scrape cannot slow a batch.
 *
 *   /healthz  200 while the process serves HTTP (liveness).
 *   /readyz   200 once the worker owns partitions and Redis answers PING,
 *             else 503 with the reason.
 *   /metrics  Prometheus text (counters.h).
 */
#ifndef FS_ENDPOINT_H
#define FS_ENDPOINT_H

#include <stddef.h>

#include <librdkafka/rdkafka.h>

#include "counters.h"
#include "fs_conf.h"
#include "fs_log.h"

typedef struct fs_worker_endpoint fs_worker_endpoint_t;

/**
 * Starts serving on @p listen ("host:port").  Borrows @p conf (Redis
 * settings), @p counters, @p rk (the worker's consumer), @p topic and
 * @p lg: all must outlive the endpoint.  NULL with @p errstr saying why
 * (address in use, out of memory); nothing is left running then.
 */
fs_worker_endpoint_t *fs_worker_endpoint_new(const char *listen, const fs_conf_t *conf,
                                             fs_counters_t *counters, rd_kafka_t *rk,
                                             const char *topic, fs_log_t *lg,
                                             char *errstr, size_t errstr_size);

/** Stops the thread and closes the socket.  NULL is a no-op. */
void fs_worker_endpoint_destroy(fs_worker_endpoint_t *ep);

#endif
