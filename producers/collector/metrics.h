/*
 * metrics.h — the collector's counters and their Prometheus text form.
 *
 * Owns every number /metrics shows: requests by endpoint and status code,
 * events accepted and rejected (by reason class), the produce→ack latency
 * histogram, delivery and dead-letter failures, rate-limited requests.
 * Label sets are closed enums, so cardinality is bounded whatever clients
 * send.  Counters are lock-free atomics: the HTTP thread and the Kafka poll
 * thread update them concurrently, /metrics reads them.  Pure: no I/O; the
 * gauges owned by others (librdkafka queue, in-flight requests) come in as
 * arguments of fs_metrics_render().
 */
#ifndef FS_METRICS_H
#define FS_METRICS_H

#include <stdint.h>

#include "fs_buf.h"
#include "fs_err.h"

typedef enum fs_endpoint {
    FS_EP_EVENTS, /* /v1/events */
    FS_EP_PIXEL,  /* /v1/pixel.gif */
    FS_EP_HEALTHZ,
    FS_EP_READYZ,
    FS_EP_METRICS,
    FS_EP_SEGMENT,    /* /v1/track, /v1/identify, /v1/page, /v1/batch */
    FS_EP_TRACKER,    /* /v1/t.js */
    FS_EP_DEFINITION, /* /v1/definition */
    FS_EP_OTHER,      /* anything else (404s) */
    FS_EP__COUNT
} fs_endpoint_t;

/** Label value of @p ep ("events", "pixel", ...). */
const char *fs_endpoint_name(fs_endpoint_t ep);

/** Status codes with their own series; any other code counts as "other". */
#define FS_METRICS_STATUSES                                                              \
    X(200)                                                                               \
    X(204) X(400) X(401) X(403) X(404) X(405) X(413) X(415) X(429) X(431) X(500) X(503)

/**
 * Reason classes of rejected events: the field an error names first
 * ("occurred_at: more than 24h in the future" → occurred_at).  Fields that
 * are not part of docs/event.md (unknown fields, typos) all count as
 * "unknown_field", "properties.x" counts as "properties".
 */
/* clang-format off */
#define FS_METRICS_REASONS                                                      \
    X(event) X(event_id) X(type) X(user_id) X(anonymous_id) X(occurred_at)      \
    X(channel) X(campaign) X(source) X(medium) X(content) X(term) X(revenue)    \
    X(currency) X(properties) X(query) X(unknown_field)
/* clang-format on */

/** The producer an accepted request's events went to (see collector.bulk_*). */
typedef enum fs_lane {
    FS_LANE_LATENCY, /* linger.ms 5: single events and small batches */
    FS_LANE_BULK,    /* collector.bulk_linger_ms: batches of collector.bulk_min_events+ */
    FS_LANE__COUNT
} fs_lane_t;

/** Upper bounds (seconds) of the produce→ack latency buckets, then +Inf. */
#define FS_METRICS_LATENCY_BOUNDS                                                        \
    {                                                                                    \
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30       \
    }
#define FS_METRICS_NLATENCY 14

typedef struct fs_metrics fs_metrics_t;

/** Zeroed counters; NULL when out of memory. */
fs_metrics_t *fs_metrics_new(void);
void fs_metrics_destroy(fs_metrics_t *m); /* NULL is a no-op */

/** One answered request.  @locality any thread. */
void fs_metrics_request(fs_metrics_t *m, fs_endpoint_t ep, unsigned status);
/** @p n events acknowledged by Kafka and answered with 2xx. */
void fs_metrics_accepted(fs_metrics_t *m, uint64_t n);
/** @p n events handed to the producer of @p lane. */
void fs_metrics_produced(fs_metrics_t *m, fs_lane_t lane, uint64_t n);
/** One event rejected with validation error @p error ("field: reason; ..."). */
void fs_metrics_rejected(fs_metrics_t *m, const char *error);
/** One delivery report of an event after @p seconds since it was produced. */
void fs_metrics_ack_latency(fs_metrics_t *m, double seconds);
void fs_metrics_delivery_failure(fs_metrics_t *m);
void fs_metrics_dead_letter_failure(fs_metrics_t *m);
void fs_metrics_rate_limited(fs_metrics_t *m, fs_endpoint_t ep);

/** Why a hostile or broken client was refused (docs/security.md). */
typedef enum fs_refusal {
    FS_REFUSED_BODY_BUDGET, /* 503: collector.body_budget_bytes spent */
    FS_REFUSED_DEADLINE,    /* closed: request not in by collector.request_deadline_s */
    FS_REFUSED_STRICT_HTTP, /* 400: framing or a control character in a parameter */
    FS_REFUSED__COUNT
} fs_refusal_t;

/** One request refused for @p why.  @locality any thread. */
void fs_metrics_refused(fs_metrics_t *m, fs_refusal_t why);

/** The reason class of @p error (see FS_METRICS_REASONS); never NULL. */
const char *fs_metrics_reason_class(const char *error);

/**
 * Appends the Prometheus text exposition (format 0.0.4) of every series to
 * @p out, with the gauges @p kafka_queue (messages in librdkafka's queues)
 * and @p inflight (requests being handled).  FS_ERR_NOMEM on allocation
 * failure (then @p out holds a partial text).
 */
fs_err_t fs_metrics_render(const fs_metrics_t *m, long long kafka_queue,
                           long long inflight, fs_buf_t *out) FS_WUR;

#endif
