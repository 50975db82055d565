/*
 * test_collector_segment.c — unit tests of the Segment mapping (segment.c,
 * docs/segment.md) and of the tracker's validators (tracker.c): routes,
 * field mapping, event names, body shapes, errors under Segment's names,
 * ETag matching, the definition's JSON.
 */
#include "metrics.h"
#include "segment.h"
#include "tracker.h"

#include "fs_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW 1795756321000LL

static fs_definition_t *g_def;
static fs_channel_table_t *g_ch;

/* Parses @p body as @p call; the intake stays the caller's to clear. */
static fs_err_t parse(fs_segment_call_t call, const char *body, fs_intake_t *in,
                      char *err, size_t sz)
{
    fs_validate_ctx_t ctx = {g_def, NOW, "collector", g_ch};
    memset(in, 0, sizeof(*in));
    return fs_segment_parse(&ctx, call, body, strlen(body), 500, in, err, sz);
}

static void test_routes(void)
{
    fs_segment_call_t c;
    ASSERT(fs_segment_route("/v1/track", &c) && c == FS_SEGMENT_TRACK);
    ASSERT(fs_segment_route("/v1/identify", &c) && c == FS_SEGMENT_IDENTIFY);
    ASSERT(fs_segment_route("/v1/page", &c) && c == FS_SEGMENT_PAGE);
    ASSERT(fs_segment_route("/v1/batch", &c) && c == FS_SEGMENT_BATCH);
    ASSERT(!fs_segment_route("/v1/group", &c));
    ASSERT(!fs_segment_route("/v1/track/", &c));
    ASSERT(!fs_segment_route("/v1/events", &c));
}

static void test_track_mapping(void)
{
    fs_intake_t in;
    char err[512];
    const char *body =
        "{\"type\":\"track\",\"event\":\"  Demo Attended \",\"userId\":\"u-1\","
        "\"anonymousId\":\"a-1\",\"messageId\":\"m-1\","
        "\"timestamp\":\"2026-11-27T05:12:01.123Z\",\"sentAt\":\"x\",\"integrations\":{},"
        "\"channel\":\"web\",\"properties\":{\"revenue\":\"19.99\",\"currency\":\"EUR\","
        "\"plan\":\"team\"},\"context\":{\"campaign\":{\"name\":\"spring\",\"source\":"
        "\"google\",\"medium\":\"CPC\",\"term\":\"t\",\"content\":\"c\"},\"page\":{"
        "\"referrer\":\"https://t.co/\",\"url\":\"https://shop.example/"
        "\"},\"ip\":\"1.2.3.4\"}}";
    ASSERT_EQ(parse(FS_SEGMENT_TRACK, body, &in, err, sizeof(err)), FS_OK);
    ASSERT_EQ(in.n, 1);
    ASSERT_EQ(in.accepted, 1);
    const fs_event_t *ev = &in.items[0].ev;
    ASSERT_STR_EQ(ev->event_id, "m-1");
    ASSERT_STR_EQ(ev->type, "demo_attended");
    ASSERT_STR_EQ(ev->user_id, "u-1");
    ASSERT_STR_EQ(ev->anonymous_id, "a-1");
    ASSERT_EQ(ev->occurred_at_ms, 1795756321123LL);
    ASSERT_STR_EQ(ev->campaign, "spring");
    ASSERT_STR_EQ(ev->source, "google");
    ASSERT_STR_EQ(ev->medium, "CPC");
    ASSERT_STR_EQ(ev->term, "t");
    ASSERT_STR_EQ(ev->content, "c");
    ASSERT_STR_EQ(ev->channel, "paid_search"); /* RudderStack's "web" is not ours */
    ASSERT_EQ(ev->has_revenue, 1);
    ASSERT_EQ(ev->revenue_cents, 1999);
    ASSERT_STR_EQ(ev->currency, "EUR");
    ASSERT_EQ(ev->nprops, 3); /* plan, referrer, url */
    ASSERT_STR_EQ(ev->props[0].key, "plan");
    ASSERT_STR_EQ(ev->props[1].key, "referrer");
    ASSERT_STR_EQ(ev->props[1].v.s, "https://t.co/");
    ASSERT_STR_EQ(ev->props[2].key, "url");
    fs_intake_clear(&in);
}

static void test_page_identify_batch(void)
{
    fs_intake_t in;
    char err[512];
    ASSERT_EQ(parse(FS_SEGMENT_PAGE, "{\"anonymousId\":\"a\",\"name\":\"Home\"}", &in,
                    err, sizeof(err)),
              FS_OK);
    ASSERT_STR_EQ(in.items[0].ev.type, "page_view");
    ASSERT_STR_EQ(in.items[0].ev.channel, "direct");
    ASSERT_EQ(in.items[0].ev.occurred_at_ms, NOW);
    ASSERT_STR_EQ(in.items[0].ev.event_id, ""); /* the server assigns one */
    fs_intake_clear(&in);
    ASSERT_EQ(parse(FS_SEGMENT_IDENTIFY,
                    "{\"userId\":\"u\",\"anonymousId\":\"a\",\"traits\":{\"x\":[1]}}",
                    &in, err, sizeof(err)),
              FS_OK);
    ASSERT_STR_EQ(in.items[0].ev.type, "identify");
    fs_intake_clear(&in);
    /* batch: the type of each message decides; the batch context applies
     * to messages without their own; RudderStack's originalTimestamp */
    ASSERT_EQ(
        parse(FS_SEGMENT_BATCH,
              "{\"batch\":[{\"type\":\"page\",\"userId\":\"u\"},{\"type\":\"track\","
              "\"event\":\"Ad Click\",\"userId\":\"u\",\"originalTimestamp\":"
              "\"2026-11-27T05:12:01Z\",\"context\":{}}],"
              "\"context\":{\"campaign\":{\"medium\":\"email\"}}}",
              &in, err, sizeof(err)),
        FS_OK);
    ASSERT_EQ(in.accepted, 2);
    ASSERT_STR_EQ(in.items[0].ev.channel, "email");
    ASSERT_STR_EQ(in.items[1].ev.type, "ad_click");
    ASSERT(in.items[1].ev.channel == NULL);
    ASSERT_EQ(in.items[1].ev.occurred_at_ms, 1795756321000LL);
    fs_intake_clear(&in);
}

static void test_errors_name_segment_fields(void)
{
    static const char *const cases[][2] = {
        {"{\"type\":\"track\",\"event\":\"X Y\",\"userId\":\"u\"}",
         "event: unknown event type"},
        {"{\"type\":\"track\",\"userId\":\"u\"}", "event: required"},
        {"{\"type\":\"track\",\"event\":7,\"userId\":\"u\"}", "event: must be a string"},
        {"{\"type\":\"page\",\"messageId\":\"a b\",\"userId\":\"u\"}", "messageId: "},
        {"{\"type\":\"page\"}", "userId: userId or anonymousId is required"},
        {"{\"type\":\"page\",\"userId\":7}", "userId: must be a string"},
        {"{\"type\":\"page\",\"anonymousId\":\"a\",\"timestamp\":\"x\"}",
         "timestamp: must be"},
        {"{\"type\":\"page\",\"anonymousId\":\"a\",\"originalTimestamp\":1}",
         "originalTimestamp: "},
        {"{\"type\":\"page\",\"anonymousId\":\"a\",\"properties\":{\"revenue\":-1}}",
         "properties.revenue: "},
        {"{\"type\":\"page\",\"anonymousId\":\"a\",\"properties\":{\"currency\":\"eur\"}"
         "}",
         "properties.currency: "},
        {"{\"type\":\"page\",\"anonymousId\":\"a\",\"properties\":7}",
         "properties: must be an object"},
        {"{\"type\":\"page\",\"anonymousId\":\"a\",\"context\":{\"campaign\":{\"term\":1}"
         "}}",
         "context.campaign.term: must be a string"},
        {"{\"type\":\"page\",\"anonymousId\":\"a\",\"context\":{\"page\":{\"referrer\":"
         "\"\\u0001x\"}}}",
         ""},
        {"{\"type\":\"group\",\"userId\":\"u\"}", "type: group calls are not supported"},
        {"{\"userId\":\"u\"}", "type: required in a batch message"},
        {"{\"type\":\"page\",\"anonymous_id\":\"a\"}",
         "anonymous_id: not a Segment field (Segment's is anonymousId)"},
        {"[]", "message: must be a JSON object"},
        /* a key quoting an error message does not disturb the renaming */
        {"{\"type\":\"page\",\"properties\":{\"user_id or anonymous_id is "
         "required\":[1]}}",
         "userId: userId or anonymousId is required; properties.user_id or anonymous_id "
         "is "
         "required: nested objects and arrays are not allowed"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char body[512], err[512];
        fs_intake_t in;
        snprintf(body, sizeof(body), "{\"batch\":[%s]}", cases[i][0]);
        ASSERT_EQ(parse(FS_SEGMENT_BATCH, body, &in, err, sizeof(err)), FS_OK);
        ASSERT_EQ(in.n, 1);
        if (!cases[i][1][0]) { /* a referrer is any string: accepted */
            ASSERT_EQ(in.accepted, 1);
        } else {
            if (in.accepted)
                fprintf(stderr, "accepted: %s\n", cases[i][0]);
            ASSERT_EQ(in.accepted, 0);
            ASSERT_CONTAINS(in.items[0].error, cases[i][1]);
            ASSERT(in.items[0].raw !=
                   NULL); /* the message as sent, for the dead letter */
            ASSERT_STR_EQ(in.items[0].raw,
                          cases[i][0]); /* compact input: the same text */
        }
        fs_intake_clear(&in);
    }
}

static void test_body_shapes(void)
{
    fs_intake_t in;
    char err[256];
    static const char *const bad[][3] = {
        {"b", "[1]", "body: expected a Segment batch object"},
        {"t", "[1]", "body: expected a Segment message object"},
        {"b", "{}", "batch: required, an array of messages"},
        {"b", "{\"batch\":{}}", "batch: required, an array of messages"},
        {"b", "{\"batch\":[]}", "batch: no messages"},
        {"t", "{", "body: not valid JSON"},
        {"t", "{\"a\":1,\"a\":2}", "body: not valid JSON"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        fs_segment_call_t call =
            bad[i][0][0] == 'b' ? FS_SEGMENT_BATCH : FS_SEGMENT_TRACK;
        ASSERT_EQ(parse(call, bad[i][1], &in, err, sizeof(err)), FS_ERR_INVALID);
        ASSERT_CONTAINS(err, bad[i][2]);
        ASSERT(in.items == NULL && in.n == 0);
    }
    /* more messages than max_events */
    fs_validate_ctx_t ctx = {g_def, NOW, "collector", g_ch};
    const char *three = "{\"batch\":[{},{},{}]}";
    memset(&in, 0, sizeof(in));
    ASSERT_EQ(fs_segment_parse(&ctx, FS_SEGMENT_BATCH, three, strlen(three), 2, &in, err,
                               sizeof(err)),
              FS_ERR_INVALID);
    ASSERT_CONTAINS(err, "batch: 3 messages, at most 2 per request");
}

/* Rejections under Segment's names count in the metric's reason classes. */
static void test_reason_classes(void)
{
    ASSERT_STR_EQ(fs_metrics_reason_class("messageId: longer than 64 characters"),
                  "event_id");
    ASSERT_STR_EQ(fs_metrics_reason_class("userId: userId or anonymousId is required"),
                  "user_id");
    ASSERT_STR_EQ(fs_metrics_reason_class("originalTimestamp: must be"), "occurred_at");
    ASSERT_STR_EQ(fs_metrics_reason_class("context.campaign.name: x"), "campaign");
    ASSERT_STR_EQ(fs_metrics_reason_class("context.campaign.term: x"), "term");
    ASSERT_STR_EQ(fs_metrics_reason_class("properties.revenue: x"), "revenue");
    ASSERT_STR_EQ(fs_metrics_reason_class("properties.plan: x"), "properties");
    ASSERT_STR_EQ(fs_metrics_reason_class("context.page.referrer: x"), "properties");
    ASSERT_STR_EQ(fs_metrics_reason_class("message: must be a JSON object"), "event");
    ASSERT_STR_EQ(fs_metrics_reason_class("user_id: not a Segment field"), "user_id");
    ASSERT_STR_EQ(fs_metrics_reason_class("contextual: x"), "unknown_field");
}

static void test_tracker(void)
{
    ASSERT(fs_tracker_js_len > 0 && fs_tracker_js_len < 10 * 1024);
    ASSERT_EQ(strlen(fs_tracker_js), fs_tracker_js_len);
    ASSERT_EQ(strlen(fs_tracker_js_etag), 18);
    const char *e = "\"0123456789abcdef\"";
    ASSERT(fs_tracker_etag_matches(e, e));
    ASSERT(fs_tracker_etag_matches("W/\"0123456789abcdef\"", e));
    ASSERT(fs_tracker_etag_matches("\"x\", \"0123456789abcdef\" ", e));
    ASSERT(fs_tracker_etag_matches("*", e));
    ASSERT(!fs_tracker_etag_matches(NULL, e));
    ASSERT(!fs_tracker_etag_matches("", e));
    ASSERT(!fs_tracker_etag_matches("\"0123456789abcde\"", e));
    ASSERT(!fs_tracker_etag_matches("0123456789abcdef", e));
    char etag[FS_TRACKER_ETAG_SIZE], etag2[FS_TRACKER_ETAG_SIZE];
    char *j = fs_tracker_definition_json(g_def, etag);
    ASSERT(j != NULL);
    ASSERT_CONTAINS(j, "{\"types\":[{\"name\":\"ad_impression\",\"stage\":\"awareness\","
                       "\"department\":\"marketing\",\"role\":\"none\"}");
    ASSERT_CONTAINS(j, "{\"name\":\"identify\",\"stage\":\"-\"");
    char *j2 = fs_tracker_definition_json(g_def, etag2);
    ASSERT_STR_EQ(etag, etag2); /* stable: caches revalidate with 304 */
    free(j);
    free(j2);
}

int main(void)
{
    char err[256];
    g_def = fs_definition_new_default(err, sizeof(err));
    g_ch = fs_channel_table_default(err, sizeof(err));
    ASSERT(g_def && g_ch);
    test_routes();
    test_track_mapping();
    test_page_identify_batch();
    test_errors_name_segment_fields();
    test_body_shapes();
    test_reason_classes();
    test_tracker();
    fs_channel_table_destroy(g_ch);
    fs_definition_destroy(g_def);
    printf("test_collector_segment: ok\n");
    return 0;
}
