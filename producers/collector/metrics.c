/*
 * metrics.c — counters and Prometheus text exposition (see metrics.h).
 */
#include "metrics.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "fs_prom.h"

#define X(code) S_##code,
enum { FS_METRICS_STATUSES S_OTHER, S__COUNT };
#undef X
#define X(code) code,
static const unsigned status_codes[] = {FS_METRICS_STATUSES};
#undef X

#define X(name) R_##name,
enum { FS_METRICS_REASONS R__COUNT };
#undef X
#define X(name) #name,
static const char *const reason_names[] = {FS_METRICS_REASONS};
#undef X

static const double latency_bounds[FS_METRICS_NLATENCY] = FS_METRICS_LATENCY_BOUNDS;

static const char *const endpoint_names[FS_EP__COUNT] = {
    "events",  "pixel",   "healthz",    "readyz", "metrics",
    "segment", "tracker", "definition", "other"};

struct fs_metrics {
    atomic_ullong requests[FS_EP__COUNT][S__COUNT];
    atomic_ullong rate_limited[FS_EP__COUNT];
    atomic_ullong refused[FS_REFUSED__COUNT];
    atomic_ullong accepted;
    atomic_ullong produced[FS_LANE__COUNT];
    atomic_ullong rejected[R__COUNT];
    fs_prom_hist_t latency;
    atomic_ullong delivery_failures, dead_letter_failures;
};

const char *fs_endpoint_name(fs_endpoint_t ep)
{
    return (unsigned)ep < FS_EP__COUNT ? endpoint_names[ep] : "other";
}

fs_metrics_t *fs_metrics_new(void)
{
    fs_metrics_t *m = calloc(1, sizeof(fs_metrics_t)); /* zero bits: zeroed atomics */
    if (m)
        fs_prom_hist_init(&m->latency, latency_bounds, FS_METRICS_NLATENCY);
    return m;
}

void fs_metrics_destroy(fs_metrics_t *m)
{
    free(m);
}

void fs_metrics_request(fs_metrics_t *m, fs_endpoint_t ep, unsigned status)
{
    size_t s = S_OTHER;
    for (size_t i = 0; i < S_OTHER; i++)
        if (status_codes[i] == status)
            s = i;
    if ((unsigned)ep >= FS_EP__COUNT)
        ep = FS_EP_OTHER;
    atomic_fetch_add_explicit(&m->requests[ep][s], 1, memory_order_relaxed);
}

void fs_metrics_accepted(fs_metrics_t *m, uint64_t n)
{
    atomic_fetch_add_explicit(&m->accepted, n, memory_order_relaxed);
}

void fs_metrics_produced(fs_metrics_t *m, fs_lane_t lane, uint64_t n)
{
    if ((unsigned)lane < FS_LANE__COUNT)
        atomic_fetch_add_explicit(&m->produced[lane], n, memory_order_relaxed);
}

/* Fields as the Segment API names them in its errors (docs/segment.md) →
 * their reason class.  Its "event: ..." (the track name) stays "event". */
static const struct {
    const char *segment;
    size_t reason;
} segment_reasons[] = {
    {"messageId", R_event_id},
    {"userId", R_user_id},
    {"anonymousId", R_anonymous_id},
    {"timestamp", R_occurred_at},
    {"originalTimestamp", R_occurred_at},
    {"context.campaign.name", R_campaign},
    {"context.campaign.source", R_source},
    {"context.campaign.medium", R_medium},
    {"context.campaign.term", R_term},
    {"context.campaign.content", R_content},
    {"properties.revenue", R_revenue},
    {"properties.currency", R_currency},
    {"context.page.referrer", R_properties},
    {"context.page.url", R_properties},
    {"message", R_event},
};

static size_t reason_index(const char *error)
{
    size_t field = error ? strcspn(error, ":") : 0;
    for (size_t i = 0; i < sizeof(segment_reasons) / sizeof(segment_reasons[0]); i++)
        if (strlen(segment_reasons[i].segment) == field &&
            !strncmp(segment_reasons[i].segment, error, field))
            return segment_reasons[i].reason;
    size_t n = error ? strcspn(error, ":.") : 0;
    for (size_t i = 0; i < R__COUNT; i++)
        if (strlen(reason_names[i]) == n && !strncmp(reason_names[i], error, n))
            return i;
    return R_unknown_field;
}

const char *fs_metrics_reason_class(const char *error)
{
    return reason_names[reason_index(error)];
}

void fs_metrics_rejected(fs_metrics_t *m, const char *error)
{
    atomic_fetch_add_explicit(&m->rejected[reason_index(error)], 1, memory_order_relaxed);
}

void fs_metrics_ack_latency(fs_metrics_t *m, double seconds)
{
    fs_prom_hist_observe(&m->latency, seconds);
}

void fs_metrics_delivery_failure(fs_metrics_t *m)
{
    atomic_fetch_add_explicit(&m->delivery_failures, 1, memory_order_relaxed);
}

void fs_metrics_dead_letter_failure(fs_metrics_t *m)
{
    atomic_fetch_add_explicit(&m->dead_letter_failures, 1, memory_order_relaxed);
}

void fs_metrics_rate_limited(fs_metrics_t *m, fs_endpoint_t ep)
{
    if ((unsigned)ep >= FS_EP__COUNT)
        ep = FS_EP_OTHER;
    atomic_fetch_add_explicit(&m->rate_limited[ep], 1, memory_order_relaxed);
}

void fs_metrics_refused(fs_metrics_t *m, fs_refusal_t why)
{
    if ((unsigned)why < FS_REFUSED__COUNT)
        atomic_fetch_add_explicit(&m->refused[why], 1, memory_order_relaxed);
}

#define LOAD(x) ((unsigned long long)atomic_load_explicit(&(x), memory_order_relaxed))

fs_err_t fs_metrics_render(const fs_metrics_t *cm, long long kafka_queue,
                           long long inflight, fs_buf_t *out)
{
    /* Reading atomics through a const pointer: C11 atomic_load takes a
     * non-const pointer in older compilers' headers. */
    fs_metrics_t *m = (fs_metrics_t *)cm;
    fs_err_t e = fs_prom_header(out, "funnel_collector_requests_total", "counter",
                                "HTTP requests answered, by endpoint and status code.");
    for (int ep = 0; !e && ep < FS_EP__COUNT; ep++)
        for (int s = 0; !e && s < S__COUNT; s++) {
            unsigned long long v = LOAD(m->requests[ep][s]);
            if (!v)
                continue; /* absent series read as 0 in PromQL's rate()/increase() */
            if (s == S_OTHER)
                e = fs_buf_printf(out,
                                  "funnel_collector_requests_total{endpoint=\"%s\",code="
                                  "\"other\"} %llu\n",
                                  endpoint_names[ep], v);
            else
                e = fs_buf_printf(
                    out,
                    "funnel_collector_requests_total{endpoint=\"%s\",code=\"%u\"} %llu\n",
                    endpoint_names[ep], status_codes[s], v);
        }
    if (!e)
        e = fs_prom_header(out, "funnel_collector_rate_limited_total", "counter",
                           "Requests answered 429 by the per-key/per-IP rate limit.");
    for (int ep = 0; !e && ep < FS_EP__COUNT; ep++)
        if (ep == FS_EP_EVENTS || ep == FS_EP_PIXEL || ep == FS_EP_SEGMENT)
            e = fs_buf_printf(
                out, "funnel_collector_rate_limited_total{endpoint=\"%s\"} %llu\n",
                endpoint_names[ep], LOAD(m->rate_limited[ep]));
    static const char *const refusal_names[FS_REFUSED__COUNT] = {
        "body_budget", "deadline", "strict_http"};
    if (!e)
        e = fs_prom_header(
            out, "funnel_collector_refused_total", "counter",
            "Requests refused to protect the collector: body_budget (503), "
            "deadline (closed), strict_http (400).");
    for (int r = 0; !e && r < FS_REFUSED__COUNT; r++)
        e = fs_buf_printf(out, "funnel_collector_refused_total{reason=\"%s\"} %llu\n",
                          refusal_names[r], LOAD(m->refused[r]));
    if (!e)
        e = fs_prom_header(out, "funnel_collector_events_accepted_total", "counter",
                           "Events acknowledged by Kafka (acks=all) and answered 2xx.");
    if (!e)
        e = fs_buf_printf(out, "funnel_collector_events_accepted_total %llu\n",
                          LOAD(m->accepted));
    if (!e)
        e = fs_prom_header(
            out, "funnel_collector_events_produced_total", "counter",
            "Accepted events handed to Kafka, by producer lane (latency: linger.ms "
            "5; bulk: collector.bulk_linger_ms).");
    static const char *const lane_names[FS_LANE__COUNT] = {"latency", "bulk"};
    for (int l = 0; !e && l < FS_LANE__COUNT; l++)
        e = fs_buf_printf(out,
                          "funnel_collector_events_produced_total{lane=\"%s\"} %llu\n",
                          lane_names[l], LOAD(m->produced[l]));
    if (!e)
        e = fs_prom_header(
            out, "funnel_collector_events_rejected_total", "counter",
            "Events rejected by validation (dead-lettered), by the field of the first "
            "error.");
    for (int r = 0; !e && r < R__COUNT; r++)
        e = fs_buf_printf(out,
                          "funnel_collector_events_rejected_total{reason=\"%s\"} %llu\n",
                          reason_names[r], LOAD(m->rejected[r]));
    if (!e)
        e = fs_prom_hist_render(&m->latency, "funnel_collector_ack_latency_seconds",
                                "Time from producing an event to its Kafka delivery "
                                "report.",
                                out);
    if (!e)
        e = fs_prom_header(out, "funnel_collector_delivery_failures_total", "counter",
                           "Events Kafka did not acknowledge (their request got 503).");
    if (!e)
        e = fs_buf_printf(out, "funnel_collector_delivery_failures_total %llu\n",
                          LOAD(m->delivery_failures));
    if (!e)
        e = fs_prom_header(out, "funnel_collector_dead_letter_failures_total", "counter",
                           "Dead letters that could not be written.");
    if (!e)
        e = fs_buf_printf(out, "funnel_collector_dead_letter_failures_total %llu\n",
                          LOAD(m->dead_letter_failures));
    if (!e)
        e = fs_prom_header(out, "funnel_collector_kafka_queue_messages", "gauge",
                           "Messages waiting in librdkafka's queues.");
    if (!e)
        e = fs_buf_printf(out, "funnel_collector_kafka_queue_messages %lld\n",
                          kafka_queue);
    if (!e)
        e = fs_prom_header(out, "funnel_collector_inflight_requests", "gauge",
                           "Requests received and not yet answered.");
    if (!e)
        e = fs_buf_printf(out, "funnel_collector_inflight_requests %lld\n", inflight);
    return e;
}
