/* Unit tests of the collector's metrics: Prometheus text format and labels. */
#include <stdio.h>

#include "fs_test.h"
#include "metrics.h"

static char *render(fs_metrics_t *m, long long queue, long long inflight)
{
    fs_buf_t b = FS_BUF_INIT;
    ASSERT_EQ(fs_metrics_render(m, queue, inflight, &b), FS_OK);
    ASSERT_EQ(fs_buf_append(&b, "", 1), FS_OK);
    return (char *)b.data;
}

static void test_reason_class(void)
{
    ASSERT_STR_EQ(fs_metrics_reason_class("occurred_at: more than 24h in the future"),
                  "occurred_at");
    ASSERT_STR_EQ(fs_metrics_reason_class(
                      "type: required; user_id: user_id or anonymous_id is required"),
                  "type");
    ASSERT_STR_EQ(fs_metrics_reason_class("properties.color: must be a string"),
                  "properties");
    ASSERT_STR_EQ(fs_metrics_reason_class("colour: unknown field"), "unknown_field");
    ASSERT_STR_EQ(fs_metrics_reason_class("typ: unknown field; type: required"),
                  "unknown_field");
    ASSERT_STR_EQ(fs_metrics_reason_class("event: must be a JSON object"), "event");
    ASSERT_STR_EQ(fs_metrics_reason_class(""), "unknown_field");
    ASSERT_STR_EQ(fs_metrics_reason_class(NULL), "unknown_field");
    ASSERT_STR_EQ(fs_metrics_reason_class("typexx: x"), "unknown_field");
}

static void test_text(void)
{
    fs_metrics_t *m = fs_metrics_new();
    ASSERT(m);
    fs_metrics_request(m, FS_EP_EVENTS, 200);
    fs_metrics_request(m, FS_EP_EVENTS, 200);
    fs_metrics_request(m, FS_EP_EVENTS, 429);
    fs_metrics_request(m, FS_EP_PIXEL, 418); /* not a known code: "other" */
    fs_metrics_request(m, FS_EP_OTHER, 404);
    fs_metrics_rate_limited(m, FS_EP_EVENTS);
    fs_metrics_refused(m, FS_REFUSED_BODY_BUDGET);
    fs_metrics_refused(m, FS_REFUSED_BODY_BUDGET);
    fs_metrics_refused(m, FS_REFUSED_STRICT_HTTP);
    fs_metrics_refused(m, FS_REFUSED__COUNT); /* out of range: ignored */
    fs_metrics_accepted(m, 7);
    fs_metrics_produced(m, FS_LANE_BULK, 100);
    fs_metrics_produced(m, FS_LANE_BULK, 20);
    fs_metrics_produced(m, FS_LANE_LATENCY, 1);
    fs_metrics_produced(m, FS_LANE__COUNT, 5); /* out of range: ignored */
    fs_metrics_rejected(m, "type: required");
    fs_metrics_rejected(m, "type: unknown event type \"x\"");
    fs_metrics_rejected(m, "nope: unknown field");
    fs_metrics_ack_latency(m, 0.003); /* le 0.005 */
    fs_metrics_ack_latency(m, 0.005); /* le 0.005 (bounds are inclusive) */
    fs_metrics_ack_latency(m, 0.2);   /* le 0.25 */
    fs_metrics_ack_latency(m, 100);   /* +Inf only */
    fs_metrics_delivery_failure(m);
    fs_metrics_dead_letter_failure(m);
    fs_metrics_dead_letter_failure(m);
    char *t = render(m, 12, 3);
    ASSERT_CONTAINS(t, "# HELP funnel_collector_requests_total ");
    ASSERT_CONTAINS(t, "# TYPE funnel_collector_requests_total counter\n");
    ASSERT_CONTAINS(
        t, "\nfunnel_collector_requests_total{endpoint=\"events\",code=\"200\"} 2\n");
    ASSERT_CONTAINS(
        t, "\nfunnel_collector_requests_total{endpoint=\"events\",code=\"429\"} 1\n");
    ASSERT_CONTAINS(
        t, "\nfunnel_collector_requests_total{endpoint=\"pixel\",code=\"other\"} 1\n");
    ASSERT_CONTAINS(
        t, "\nfunnel_collector_requests_total{endpoint=\"other\",code=\"404\"} 1\n");
    ASSERT(!strstr(t, "code=\"503\"")); /* series never seen are left out */
    ASSERT_CONTAINS(t, "\nfunnel_collector_rate_limited_total{endpoint=\"events\"} 1\n");
    ASSERT_CONTAINS(t, "\nfunnel_collector_rate_limited_total{endpoint=\"pixel\"} 0\n");
    ASSERT_CONTAINS(t, "\n# TYPE funnel_collector_refused_total counter\n");
    ASSERT_CONTAINS(t, "\nfunnel_collector_refused_total{reason=\"body_budget\"} 2\n");
    ASSERT_CONTAINS(t, "\nfunnel_collector_refused_total{reason=\"deadline\"} 0\n");
    ASSERT_CONTAINS(t, "\nfunnel_collector_refused_total{reason=\"strict_http\"} 1\n");
    ASSERT_CONTAINS(t, "\nfunnel_collector_events_accepted_total 7\n");
    ASSERT_CONTAINS(t, "\nfunnel_collector_events_produced_total{lane=\"latency\"} 1\n");
    ASSERT_CONTAINS(t, "\nfunnel_collector_events_produced_total{lane=\"bulk\"} 120\n");
    ASSERT_CONTAINS(t, "\nfunnel_collector_events_rejected_total{reason=\"type\"} 2\n");
    ASSERT_CONTAINS(
        t, "\nfunnel_collector_events_rejected_total{reason=\"unknown_field\"} 1\n");
    ASSERT_CONTAINS(t,
                    "\nfunnel_collector_events_rejected_total{reason=\"revenue\"} 0\n");
    ASSERT_CONTAINS(t, "# TYPE funnel_collector_ack_latency_seconds histogram\n");
    ASSERT_CONTAINS(t,
                    "\nfunnel_collector_ack_latency_seconds_bucket{le=\"0.0025\"} 0\n");
    ASSERT_CONTAINS(t, "\nfunnel_collector_ack_latency_seconds_bucket{le=\"0.005\"} 2\n");
    ASSERT_CONTAINS(t, "\nfunnel_collector_ack_latency_seconds_bucket{le=\"0.1\"} 2\n");
    ASSERT_CONTAINS(t, "\nfunnel_collector_ack_latency_seconds_bucket{le=\"0.25\"} 3\n");
    ASSERT_CONTAINS(t, "\nfunnel_collector_ack_latency_seconds_bucket{le=\"30\"} 3\n");
    ASSERT_CONTAINS(t, "\nfunnel_collector_ack_latency_seconds_bucket{le=\"+Inf\"} 4\n");
    ASSERT_CONTAINS(t, "\nfunnel_collector_ack_latency_seconds_sum 100.208000\n");
    ASSERT_CONTAINS(t, "\nfunnel_collector_ack_latency_seconds_count 4\n");
    ASSERT_CONTAINS(t, "\nfunnel_collector_delivery_failures_total 1\n");
    ASSERT_CONTAINS(t, "\nfunnel_collector_dead_letter_failures_total 2\n");
    ASSERT_CONTAINS(t, "# TYPE funnel_collector_kafka_queue_messages gauge\n");
    ASSERT_CONTAINS(t, "\nfunnel_collector_kafka_queue_messages 12\n");
    ASSERT_CONTAINS(t, "\nfunnel_collector_inflight_requests 3\n");
    /* exposition format: every line is a comment or "name{labels} value" */
    size_t lines = 0;
    for (char *line = t; *line; lines++) {
        char *nl = strchr(line, '\n');
        ASSERT(nl); /* the text ends with a newline */
        *nl = '\0';
        if (line[0] != '#') {
            ASSERT(!strncmp(line, "funnel_collector_", 17));
            char *sp = strrchr(line, ' ');
            ASSERT(sp && sp[1]);
            ASSERT(strspn(sp + 1, "0123456789.") == strlen(sp + 1));
        } else {
            ASSERT(!strncmp(line, "# HELP ", 7) || !strncmp(line, "# TYPE ", 7));
        }
        line = nl + 1;
    }
    ASSERT_GT(lines, 40);
    free(t);
    fs_metrics_destroy(m);
    fs_metrics_destroy(NULL);
}

int main(void)
{
    RUN(test_reason_class);
    RUN(test_text);
    return 0;
}
