/*
 * test_validate.c — unit tests of fs_validate (docs/event.md), fs_event and
 * fs_uuid.  Table-driven: every rule has valid and invalid cases, and every
 * rejection must name its field.
 */
#include "fs_event.h"
#include "fs_test.h"
#include "fs_uuid.h"
#include "fs_validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW 1795756321123LL /* 2026-11-27T05:12:01.123Z */
#define DAY_MS 86400000LL

/* The smallest valid event, to which each case adds one field. */
#define BASE "\"type\":\"ad_click\",\"anonymous_id\":\"a1\""

static fs_definition_t *g_def; /* set up in main(), read-only */

static fs_validate_ctx_t ctx(void)
{
    fs_validate_ctx_t c = {g_def, NOW, "ingest", NULL};
    return c;
}

static fs_err_t validate(const char *json, fs_event_t *ev, char *err, size_t err_size)
{
    fs_validate_ctx_t c = ctx();
    return fs_validate_text(&c, json, strlen(json), ev, err, err_size);
}

static void expect_ok(const char *json, fs_event_t *ev)
{
    char err[1024];
    fs_err_t rc = validate(json, ev, err, sizeof(err));
    if (rc != FS_OK)
        fprintf(stderr, "unexpected rejection of %.200s: %s\n", json, err);
    ASSERT_EQ(rc, FS_OK);
}

static void expect_err(const char *json, const char *want)
{
    char err[2048];
    fs_event_t ev;
    memset(&ev, 0x5a, sizeof(ev)); /* must come back zeroed */
    fs_err_t rc = validate(json, &ev, err, sizeof(err));
    if (rc != FS_ERR_INVALID || !strstr(err, want)) {
        fprintf(stderr,
                "input %.200s\n  want error containing \"%s\"\n  got rc=%d \"%s\"\n",
                json, want, rc, rc == FS_OK ? "" : err);
        if (rc == FS_OK)
            fs_event_clear(&ev);
    }
    ASSERT_EQ(rc, FS_ERR_INVALID);
    ASSERT_CONTAINS(err, want);
    ASSERT(ev.type == NULL && ev.user_id == NULL && ev.props == NULL && ev.nprops == 0);
}

/* A string of @p n copies of @p unit, JSON-quoted, in a static buffer. */
static const char *rep(const char *unit, int n)
{
    static char buf[8192];
    size_t o = 0, ul = strlen(unit);
    buf[o++] = '"';
    for (int i = 0; i < n; i++, o += ul)
        memcpy(buf + o, unit, ul);
    buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}

/* ---- one row per rule ----------------------------------------------------------- */

static void test_rules_table(void)
{
    static const struct {
        const char *json;
        const char *err; /* NULL: must be accepted */
    } cases[] = {
        /* event_id */
        {"{" BASE ",\"event_id\":\"evt-1.A_b:c\"}", NULL},
        {"{" BASE ",\"event_id\":\"  \"}", NULL}, /* empty after trim = absent */
        {"{" BASE ",\"event_id\":null}", NULL},
        {"{" BASE ",\"event_id\":\"a b\"}", "event_id: only letters, digits and . _ : -"},
        {"{" BASE ",\"event_id\":\"caf\\u00e9\"}", "event_id: only letters"},
        {"{" BASE ",\"event_id\":\"a/b\"}", "event_id: only letters"},
        {"{" BASE ",\"event_id\":42}", "event_id: must be a string"},
        /* type */
        {"{\"type\":\" sale \",\"user_id\":\"u\"}", NULL},
        {"{\"user_id\":\"u\"}", "type: required"},
        {"{\"type\":\"\",\"user_id\":\"u\"}", "type: required"},
        {"{\"type\":null,\"user_id\":\"u\"}", "type: required"},
        {"{\"type\":\"foo\",\"user_id\":\"u\"}", "type: unknown event type \"foo\""},
        {"{\"type\":\"Sale\",\"user_id\":\"u\"}", "type: unknown event type \"Sale\""},
        {"{\"type\":[\"sale\"],\"user_id\":\"u\"}", "type: must be a string"},
        /* user_id / anonymous_id */
        {"{\"type\":\"sale\",\"user_id\":\"crm-42\"}", NULL},
        {"{\"type\":\"sale\",\"anonymous_id\":\"dev-9\"}", NULL},
        {"{\"type\":\"identify\",\"user_id\":\"u\",\"anonymous_id\":\"a\"}", NULL},
        {"{\"type\":\"sale\"}", "user_id: user_id or anonymous_id is required"},
        {"{\"type\":\"sale\",\"user_id\":\" \",\"anonymous_id\":\"\"}",
         "user_id: user_id or anonymous_id is required"},
        {"{\"type\":\"sale\",\"user_id\":null}",
         "user_id: user_id or anonymous_id is required"},
        {"{\"type\":\"sale\",\"user_id\":12345}", "user_id: must be a string"},
        {"{\"type\":\"sale\",\"user_id\":\"a\\u0001b\"}",
         "user_id: must not contain control characters"},
        {"{\"type\":\"sale\",\"user_id\":\"a\\tb\"}",
         "user_id: must not contain control"},
        {"{\"type\":\"sale\",\"user_id\":\"a\\u007fb\"}",
         "user_id: must not contain control"},
        {"{\"type\":\"sale\",\"user_id\":\"a\\u0085b\"}",
         "user_id: must not contain control"},
        {"{\"type\":\"sale\",\"user_id\":\"a\\u009fb\"}",
         "user_id: must not contain control"},
        {"{\"type\":\"sale\",\"anonymous_id\":\"a\\nb\"}",
         "anonymous_id: must not contain control characters"},
        {"{\"type\":\"sale\",\"anonymous_id\":true}", "anonymous_id: must be a string"},
        /* occurred_at */
        {"{" BASE ",\"occurred_at\":\"2026-11-27T05:12:01.123Z\"}", NULL},
        {"{" BASE ",\"occurred_at\":\"2026-11-27T10:42:01+05:30\"}", NULL},
        {"{" BASE ",\"occurred_at\":\"2026-11-26T21:12:01-08:00\"}", NULL},
        {"{" BASE ",\"occurred_at\":1795756321123}", NULL},
        {"{" BASE ",\"occurred_at\":\"1795756321123\"}", NULL},
        {"{" BASE ",\"occurred_at\":\"2000-01-01T00:00:00Z\"}", NULL},
        {"{" BASE ",\"occurred_at\":\"\"}", NULL},
        {"{" BASE ",\"occurred_at\":\"1999-12-31T23:59:59.999Z\"}",
         "occurred_at: before 2000-01-01"},
        {"{" BASE ",\"occurred_at\":946684799999}", "occurred_at: before 2000-01-01"},
        {"{" BASE ",\"occurred_at\":\"2026-11-28T05:12:01.124Z\"}",
         "occurred_at: more than 24h in the future"},
        {"{" BASE ",\"occurred_at\":\"2026-11-28T05:12:01.123Z\"}",
         NULL}, /* exactly 24 h */
        {"{" BASE ",\"occurred_at\":\"2026-11-27T05:12:01\"}",
         "occurred_at: must be an RFC 3339 timestamp with offset"},
        {"{" BASE ",\"occurred_at\":\"2026-11-27\"}", "occurred_at: must be an RFC 3339"},
        {"{" BASE ",\"occurred_at\":\"2026-02-29T00:00:00Z\"}",
         "occurred_at: must be an RFC"},
        {"{" BASE ",\"occurred_at\":\"2026-13-01T00:00:00Z\"}",
         "occurred_at: must be an RFC"},
        {"{" BASE ",\"occurred_at\":\"2026-11-27T24:00:00Z\"}",
         "occurred_at: must be an RFC"},
        {"{" BASE ",\"occurred_at\":\"2026-11-27T05:12:01.Z\"}",
         "occurred_at: must be an RFC"},
        {"{" BASE ",\"occurred_at\":\"2026-11-27T05:12:01+5:30\"}",
         "occurred_at: must be"},
        {"{" BASE ",\"occurred_at\":\"yesterday\"}", "occurred_at: must be an RFC 3339"},
        {"{" BASE ",\"occurred_at\":1.795756321e12}", "occurred_at: must be an RFC 3339"},
        {"{" BASE ",\"occurred_at\":true}", "occurred_at: must be an RFC 3339"},
        /* channel, campaign and the UTM fields */
        {"{" BASE ",\"channel\":\"email\",\"campaign\":\"bf-2026\",\"source\":\"google\","
         "\"medium\":\"cpc\",\"content\":\"banner\",\"term\":\"crm software\"}",
         NULL},
        {"{" BASE ",\"channel\":1}", "channel: must be a string"},
        {"{" BASE ",\"campaign\":{}}", "campaign: must be a string"},
        {"{" BASE ",\"source\":\"a\\u0000b\"}", "event: invalid JSON"}, /* NUL refused */
        {"{" BASE ",\"medium\":\"a\\u001bb\"}", "medium: must not contain control"},
        {"{" BASE ",\"content\":false}", "content: must be a string"},
        {"{" BASE ",\"term\":\"a\\rb\"}", "term: must not contain control"},
        /* revenue */
        {"{" BASE ",\"revenue\":19.99}", NULL},
        {"{" BASE ",\"revenue\":\"19.99\"}", NULL},
        {"{" BASE ",\"revenue\":0}", NULL},
        {"{" BASE ",\"revenue\":-1}", "revenue: must not be negative"},
        {"{" BASE ",\"revenue\":\"-1\"}", "revenue: must not be negative"},
        {"{" BASE ",\"revenue\":0.005}", "revenue: at most 2 decimals"},
        {"{" BASE ",\"revenue\":\"0.005\"}", "revenue: at most 2 decimals"},
        {"{" BASE ",\"revenue\":1e12}", "revenue: must be less than 10^12"},
        {"{" BASE ",\"revenue\":1000000000000}", "revenue: must be less than 10^12"},
        {"{" BASE ",\"revenue\":\"1000000000000\"}", "revenue: must be less than 10^12"},
        {"{" BASE ",\"revenue\":\"12,50\"}", "revenue: must be a decimal number"},
        {"{" BASE ",\"revenue\":\"1e2\"}", "revenue: must be a decimal number"},
        {"{" BASE ",\"revenue\":\".5\"}", "revenue: must be a decimal number"},
        {"{" BASE ",\"revenue\":\"5.\"}", "revenue: must be a decimal number"},
        {"{" BASE ",\"revenue\":true}", "revenue: must be a number or a decimal string"},
        {"{" BASE ",\"revenue\":[1]}", "revenue: must be a number or a decimal string"},
        /* currency */
        {"{" BASE ",\"currency\":\"EUR\"}", NULL},
        {"{" BASE ",\"currency\":\"\"}", NULL},
        {"{" BASE ",\"currency\":\"eur\"}", "currency: must be 3 upper-case letters"},
        {"{" BASE ",\"currency\":\"EURO\"}", "currency: must be 3 upper-case letters"},
        {"{" BASE ",\"currency\":\"E1R\"}", "currency: must be 3 upper-case letters"},
        {"{" BASE ",\"currency\":978}", "currency: must be a string"},
        /* properties */
        {"{" BASE ",\"properties\":{\"plan\":\"pro\",\"seats\":5,\"ratio\":0.5,"
         "\"trial\":true,\"x\":\"line1\\nline2\"}}",
         NULL},
        {"{" BASE ",\"properties\":{}}", NULL},
        {"{" BASE ",\"properties\":[]}", "properties: must be an object"},
        {"{" BASE ",\"properties\":\"plan=pro\"}", "properties: must be an object"},
        {"{" BASE ",\"properties\":{\"plan\":{\"tier\":1}}}",
         "properties.plan: nested objects and arrays are not allowed"},
        {"{" BASE ",\"properties\":{\"tags\":[\"a\"]}}",
         "properties.tags: nested objects and arrays are not allowed"},
        {"{" BASE ",\"properties\":{\"gone\":null}}",
         "properties.gone: must be a string, number or boolean"},
        {"{" BASE ",\"properties\":{\"\":1}}", "properties.: keys must not be empty"},
        {"{" BASE ",\"properties\":{\"a\\u0001\":1}}",
         "properties.a?: key must not contain control characters"},
        /* unknown top-level fields */
        {"{" BASE ",\"foo\":1}", "foo: unknown field"},
        {"{" BASE ",\"Type\":\"sale\"}", "Type: unknown field"},
        {"{" BASE ",\"userId\":\"u\"}", "userId: unknown field"},
        {"{" BASE ",\"\":1}", "(empty key): unknown field"},
        {"{" BASE ",\"a\\\"b\\u0002\":1}", "a?b?: unknown field"},
        /* the document */
        {"[{" BASE "}]", "event: must be a JSON object"},
        {"\"sale\"", "event: must be a JSON object"},
        {"{" BASE "} {}", "event: invalid JSON"},
        {"{" BASE "", "event: invalid JSON"},
        {"", "event: invalid JSON"},
        {"{" BASE ",\"type\":\"sale\"}", "event: invalid JSON: duplicate object key"},
        {"  {" BASE "}\n", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (cases[i].err) {
            expect_err(cases[i].json, cases[i].err);
        } else {
            fs_event_t ev;
            expect_ok(cases[i].json, &ev);
            fs_event_clear(&ev);
        }
    }
}

static void test_accepted_values(void)
{
    fs_event_t ev;
    expect_ok(
        "{\"event_id\":\" e-1 \",\"type\":\"  sale\",\"user_id\":\"\\u00a0u1\\u3000\","
        "\"anonymous_id\":\"\\ta1\\n\",\"occurred_at\":\"2024-02-29T12:00:00Z\","
        "\"channel\":\" email \",\"campaign\":\"bf\",\"source\":\"s\",\"medium\":\"m\","
        "\"content\":\"c\",\"term\":\"t\",\"revenue\":\"19.99\",\"currency\":\"EUR\","
        "\"properties\":{\"plan\":\"pro\",\"seats\":5,\"ratio\":0.25,\"n\":3.0,"
        "\"trial\":false}}",
        &ev);
    ASSERT_STR_EQ(ev.event_id, "e-1");
    ASSERT_STR_EQ(ev.type, "sale");
    ASSERT_STR_EQ(ev.user_id, "u1");
    ASSERT_STR_EQ(ev.anonymous_id, "a1");
    ASSERT_EQ(ev.occurred_at_ms, 1709208000000LL);
    ASSERT_EQ(ev.received_at_ms, NOW);
    ASSERT_STR_EQ(ev.channel, "email");
    ASSERT_STR_EQ(ev.campaign, "bf");
    ASSERT_STR_EQ(ev.source, "s");
    ASSERT_STR_EQ(ev.medium, "m");
    ASSERT_STR_EQ(ev.content, "c");
    ASSERT_STR_EQ(ev.term, "t");
    ASSERT(ev.has_revenue);
    ASSERT_EQ(ev.revenue_cents, 1999);
    ASSERT_STR_EQ(ev.currency, "EUR");
    ASSERT_STR_EQ(ev.ingest_source, "ingest");
    ASSERT_STR_EQ(fs_event_key(&ev), "u1");
    ASSERT_EQ(ev.nprops, 5);
    ASSERT_STR_EQ(ev.props[0].key, "plan");
    ASSERT_EQ(ev.props[0].kind, FS_PROP_STRING);
    ASSERT_STR_EQ(ev.props[0].v.s, "pro");
    ASSERT_STR_EQ(ev.props[1].key, "seats");
    ASSERT_EQ(ev.props[1].kind, FS_PROP_LONG);
    ASSERT_EQ(ev.props[1].v.l, 5);
    ASSERT_EQ(ev.props[2].kind, FS_PROP_DOUBLE);
    ASSERT(ev.props[2].v.d == 0.25);
    ASSERT_EQ(ev.props[3].kind, FS_PROP_LONG); /* 3.0 is integral */
    ASSERT_EQ(ev.props[3].v.l, 3);
    ASSERT_EQ(ev.props[4].kind, FS_PROP_BOOL);
    ASSERT_EQ(ev.props[4].v.b, 0);

    /* Deep copy is independent of the original. */
    fs_event_t copy;
    ASSERT_EQ(fs_event_copy(&copy, &ev), FS_OK);
    fs_event_clear(&ev);
    ASSERT_STR_EQ(copy.type, "sale");
    ASSERT_STR_EQ(copy.props[0].v.s, "pro");
    ASSERT_STR_EQ(copy.currency, "EUR");
    ASSERT_EQ(copy.revenue_cents, 1999);
    fs_event_clear(&copy);
    ASSERT(copy.type == NULL && copy.nprops == 0);
    fs_event_clear(&copy); /* clearing twice is safe */

    /* Defaults: absent event_id, occurred_at, currency, revenue, texts. */
    expect_ok("{" BASE "}", &ev);
    ASSERT_STR_EQ(ev.event_id, "");
    ASSERT_EQ(ev.occurred_at_ms, NOW);
    ASSERT_STR_EQ(ev.currency, "USD");
    ASSERT_EQ(ev.has_revenue, 0);
    ASSERT(ev.user_id == NULL && ev.channel == NULL && ev.campaign == NULL);
    ASSERT(ev.props == NULL && ev.nprops == 0);
    ASSERT_STR_EQ(fs_event_key(&ev), "a1");
    fs_event_clear(&ev);

    /* Empty strings and null count as absent. */
    expect_ok("{" BASE ",\"user_id\":\"  \",\"channel\":\"\",\"campaign\":null,"
              "\"revenue\":\"\",\"properties\":null}",
              &ev);
    ASSERT(ev.user_id == NULL && ev.channel == NULL && ev.campaign == NULL);
    ASSERT_EQ(ev.has_revenue, 0);
    fs_event_clear(&ev);

    /* No ingest_source in the context. */
    fs_validate_ctx_t c = {g_def, NOW, NULL, NULL};
    char err[256];
    ASSERT_EQ(
        fs_validate_text(&c, "{" BASE "}", strlen("{" BASE "}"), &ev, err, sizeof(err)),
        FS_OK);
    ASSERT(ev.ingest_source == NULL);
    fs_event_clear(&ev);
}

static void test_all_errors_reported(void)
{
    char err[1024];
    fs_event_t ev;
    const char *json =
        "{\"type\":\"foo\",\"occurred_at\":\"x\",\"revenue\":-1,\"bar\":1}";
    ASSERT_EQ(validate(json, &ev, err, sizeof(err)), FS_ERR_INVALID);
    ASSERT_STR_EQ(
        err, "bar: unknown field; type: unknown event type \"foo\"; user_id: user_id or "
             "anonymous_id is required; occurred_at: must be an RFC 3339 timestamp with "
             "offset (e.g. \"2026-11-27T05:12:01.123Z\") or integer epoch milliseconds; "
             "revenue: must not be negative");

    /* A small errstr is truncated, never overrun; NULL errstr is allowed. */
    char small[12];
    ASSERT_EQ(validate(json, &ev, small, sizeof(small)), FS_ERR_INVALID);
    ASSERT_STR_EQ(small, "bar: unknow");
    ASSERT_EQ(validate(json, &ev, NULL, 0), FS_ERR_INVALID);
    /* errstr is emptied on success. */
    strcpy(err, "stale");
    expect_ok("{" BASE "}", &ev);
    fs_event_clear(&ev);
}

static void test_revenue_exact(void)
{
    static const struct {
        const char *lit; /* JSON value as written */
        long long cents; /* -1: rejected */
    } cases[] = {
        {"19.99", 1999},
        {"\"19.99\"", 1999},
        {"0.1", 10},
        {"0.2", 20},
        {"\"0.1\"", 10},
        {"0.29", 29},
        {"1.15", 115},
        {"4.35", 435},
        {"1.005", -1},
        {"0.005", -1},
        {"1e2", 10000},
        {"1E-2", 1},
        {"1e-3", -1},
        {"100", 10000},
        {"100.0", 10000},
        {"\"100.00\"", 10000},
        {"\"19.990\"", 1999},
        {"\"19.991\"", -1},
        {"\"007.5\"", 750},
        {"\" 5 \"", 500},
        {"-1", -1},
        {"-0.01", -1},
        {"\"-1\"", -1},
        {"1e12", -1},
        {"999999999999.99", 99999999999999LL},
        {"\"999999999999.99\"", 99999999999999LL},
        {"999999999999", 99999999999900LL},
        {"\"1000000000000.00\"", -1},
        {"0.30000000000000004", -1},
        {"\"+5\"", -1},
        {"\"5 .0\"", -1},
        {"\"0x10\"", -1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char json[256], err[512];
        fs_event_t ev;
        snprintf(json, sizeof(json), "{" BASE ",\"revenue\":%s}", cases[i].lit);
        fs_err_t rc = validate(json, &ev, err, sizeof(err));
        if ((cases[i].cents < 0) != (rc != FS_OK) ||
            (rc == FS_OK && ev.revenue_cents != cases[i].cents))
            fprintf(stderr, "revenue %s: rc=%d cents=%lld err=%s\n", cases[i].lit, rc,
                    rc == FS_OK ? (long long)ev.revenue_cents : 0LL, rc ? err : "");
        if (cases[i].cents < 0) {
            ASSERT_EQ(rc, FS_ERR_INVALID);
            ASSERT_CONTAINS(err, "revenue: ");
        } else {
            ASSERT_EQ(rc, FS_OK);
            ASSERT_EQ(ev.revenue_cents, cases[i].cents);
            fs_event_clear(&ev);
        }
    }

    /* 0.1 + 0.2 in cents is exactly 30, unlike in binary floating point. */
    int64_t a, b;
    ASSERT_EQ(fs_parse_revenue_cents("0.1", &a), FS_OK);
    ASSERT_EQ(fs_parse_revenue_cents("0.2", &b), FS_OK);
    ASSERT_EQ(a + b, 30);
    int64_t c = -7;
    ASSERT_EQ(fs_parse_revenue_cents("0.001", &c), FS_ERR_INVALID);
    ASSERT_EQ(c, -7);
    ASSERT_EQ(fs_parse_revenue_cents("", &c), FS_ERR_INVALID);
    ASSERT_EQ(fs_parse_revenue_cents("00000000000000000000001.5", &c), FS_OK);
    ASSERT_EQ(c, 150);
    ASSERT_EQ(fs_parse_revenue_cents("99999999999999999999999", &c), FS_ERR_INVALID);
}

static void test_timestamps(void)
{
    static const struct {
        const char *s;
        long long ms; /* -1: rejected */
    } cases[] = {
        {"2026-11-27T05:12:01.123Z", 1795756321123LL},
        {"2026-11-27T05:12:01.123z", 1795756321123LL},
        {"2026-11-27t05:12:01.123Z", 1795756321123LL},
        {"2026-11-27 05:12:01.123Z", 1795756321123LL},
        {"2026-11-27T10:42:01.123+05:30", 1795756321123LL},
        {"2026-11-26T21:12:01.123-08:00", 1795756321123LL},
        {"2026-11-27T05:12:01.123-00:00", 1795756321123LL},
        {"2026-11-27T05:12:01Z", 1795756321000LL},
        {"2026-11-27T05:12:01.1Z", 1795756321100LL},
        {"2026-11-27T05:12:01.12Z", 1795756321120LL},
        {"2026-11-27T05:12:01.123999999Z", 1795756321123LL}, /* truncated, not rounded */
        {"2024-02-29T12:00:00Z", 1709208000000LL},
        {"2000-02-29T00:00:00Z", 951782400000LL},
        {"2100-03-01T00:00:00Z", 4107542400000LL},
        {"1970-01-01T00:00:00Z", 0},
        {"2000-01-01T00:00:00Z", 946684800000LL},
        {"9999-12-31T23:59:59.999Z", 253402300799999LL},
        {"2016-12-31T23:59:60Z", 1483228800000LL}, /* leap second → next second */
        {"2000-01-01T05:30:00+05:30", 946684800000LL},
        {"1999-12-31T16:00:00-08:00", 946684800000LL},
        {"2100-02-29T00:00:00Z", -1},
        {"2023-02-29T00:00:00Z", -1},
        {"2026-04-31T00:00:00Z", -1},
        {"2026-00-10T00:00:00Z", -1},
        {"2026-11-00T00:00:00Z", -1},
        {"2026-11-27T05:60:00Z", -1},
        {"2026-11-27T05:12:61Z", -1},
        {"2026-11-27T05:12:01", -1},
        {"2026-11-27T05:12:01+0530", -1},
        {"2026-11-27T05:12:01+24:00", -1},
        {"2026-11-27T05:12:01+05:60", -1},
        {"2026-11-27T05:12:01.Z", -1},
        {"2026-11-27T05:12:01.123Zjunk", -1},
        {"2026-11-27T05:12Z", -1},
        {"26-11-27T05:12:01Z", -1},
        {"+2026-11-27T05:12:01Z", -1},
        {"", -1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t ms = 0;
        fs_err_t rc = fs_parse_timestamp_ms(cases[i].s, &ms);
        if ((cases[i].ms == -1) != (rc != FS_OK) || (rc == FS_OK && ms != cases[i].ms))
            fprintf(stderr, "timestamp %s: rc=%d ms=%lld\n", cases[i].s, rc,
                    (long long)ms);
        if (cases[i].ms == -1) {
            ASSERT_EQ(rc, FS_ERR_INVALID);
        } else {
            ASSERT_EQ(rc, FS_OK);
            ASSERT_EQ(ms, cases[i].ms);
        }
    }

    /* Through the validator: offsets, epoch ms as integer and as digit string. */
    const char *same[] = {"\"2026-11-27T05:12:01.123Z\"",
                          "\"2026-11-27T10:42:01.123+05:30\"",
                          "\"2026-11-26T21:12:01.123-08:00\"",
                          "1795756321123",
                          "\"1795756321123\"",
                          "\" 2026-11-27T05:12:01.123Z \""};
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        char json[256];
        fs_event_t ev;
        snprintf(json, sizeof(json), "{" BASE ",\"occurred_at\":%s}", same[i]);
        expect_ok(json, &ev);
        ASSERT_EQ(ev.occurred_at_ms, NOW);
        fs_event_clear(&ev);
    }
}

static void test_text_limits_and_utf8(void)
{
    static const char *const fields[] = {"user_id", "anonymous_id", "channel", "campaign",
                                         "source",  "medium",       "content", "term"};
    /* 128 characters pass and 129 fail, whether 1, 2, 3 or 4 bytes each. */
    static const char *const units[] = {"x", "\xc3\xa9", "\xe2\x82\xac",
                                        "\xf0\x9f\x98\x80", "\\u00e9"};
    char json[8192], want[64];
    for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
        for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
            fs_event_t ev;
            const char *other =
                strcmp(fields[f], "user_id") == 0 ? "anonymous_id" : "user_id";
            snprintf(json, sizeof(json), "{\"type\":\"sale\",\"%s\":\"k\",\"%s\":%s}",
                     other, fields[f], rep(units[u], 128));
            expect_ok(json, &ev);
            fs_event_clear(&ev);
            /* Surrounding spaces do not count: "  <128 chars>\u3000 ". */
            const char *q = rep(units[u], 128);
            snprintf(json, sizeof(json),
                     "{\"type\":\"sale\",\"%s\":\"k\",\"%s\":\"  %.*s\\u3000 \"}", other,
                     fields[f], (int)strlen(q) - 2, q + 1);
            expect_ok(json, &ev);
            fs_event_clear(&ev);
            snprintf(json, sizeof(json), "{\"type\":\"sale\",\"%s\":\"k\",\"%s\":%s}",
                     other, fields[f], rep(units[u], 129));
            snprintf(want, sizeof(want), "%s: longer than 128 characters", fields[f]);
            expect_err(json, want);
        }
    }
    /* event_id: 64 characters pass, 65 fail. */
    fs_event_t ev;
    snprintf(json, sizeof(json), "{" BASE ",\"event_id\":%s}", rep("a", 64));
    expect_ok(json, &ev);
    ASSERT_EQ(strlen(ev.event_id), 64);
    fs_event_clear(&ev);
    snprintf(json, sizeof(json), "{" BASE ",\"event_id\":%s}", rep("a", 65));
    expect_err(json, "event_id: longer than 64 characters");

    /* Invalid UTF-8 cannot come through JSON text, but can through a json_t. */
    json_t *obj = json_pack("{s:s,s:s}", "type", "sale", "anonymous_id", "a");
    ASSERT(obj != NULL);
    ASSERT_EQ(
        json_object_set_new_nocheck(obj, "channel", json_stringn_nocheck("ab\xff", 3)),
        0);
    char err[256];
    fs_validate_ctx_t c = ctx();
    ASSERT_EQ(fs_validate_json(&c, obj, &ev, err, sizeof(err)), FS_ERR_INVALID);
    ASSERT_STR_EQ(err, "channel: must be valid UTF-8");
    /* Overlong encoding and a surrogate are invalid too. */
    ASSERT_EQ(
        json_object_set_new_nocheck(obj, "channel", json_stringn_nocheck("\xc0\xaf", 2)),
        0);
    ASSERT_EQ(fs_validate_json(&c, obj, &ev, err, sizeof(err)), FS_ERR_INVALID);
    ASSERT_STR_EQ(err, "channel: must be valid UTF-8");
    ASSERT_EQ(json_object_set_new_nocheck(obj, "channel",
                                          json_stringn_nocheck("\xed\xa0\x80", 3)),
              0);
    ASSERT_EQ(fs_validate_json(&c, obj, &ev, err, sizeof(err)), FS_ERR_INVALID);
    ASSERT_STR_EQ(err, "channel: must be valid UTF-8");
    /* An embedded NUL (json_stringn allows it) is a control character. */
    ASSERT_EQ(json_object_set_new(obj, "channel", json_stringn("a\0b", 3)), 0);
    ASSERT_EQ(fs_validate_json(&c, obj, &ev, err, sizeof(err)), FS_ERR_INVALID);
    ASSERT_STR_EQ(err, "channel: must not contain control characters");
    ASSERT_EQ(json_object_set_new(obj, "channel", json_string("\xc3\xa9t\xc3\xa9")), 0);
    ASSERT_EQ(fs_validate_json(&c, obj, &ev, err, sizeof(err)), FS_OK);
    ASSERT_STR_EQ(ev.channel, "\xc3\xa9t\xc3\xa9");
    fs_event_clear(&ev);
    json_decref(obj);

    /* Not an object at all, and NULL. */
    json_t *arr = json_array();
    ASSERT_EQ(fs_validate_json(&c, arr, &ev, err, sizeof(err)), FS_ERR_INVALID);
    ASSERT_STR_EQ(err, "event: must be a JSON object");
    json_decref(arr);
    ASSERT_EQ(fs_validate_json(&c, NULL, &ev, err, sizeof(err)), FS_ERR_INVALID);
}

static void test_properties_limits(void)
{
    char json[8192];
    size_t o;
    fs_event_t ev;

    for (int n = 50; n <= 51; n++) {
        o = (size_t)snprintf(json, sizeof(json), "{" BASE ",\"properties\":{");
        for (int i = 0; i < n; i++)
            o += (size_t)snprintf(json + o, sizeof(json) - o, "%s\"k%d\":%d",
                                  i ? "," : "", i, i);
        snprintf(json + o, sizeof(json) - o, "}}");
        if (n == 50) {
            expect_ok(json, &ev);
            ASSERT_EQ(ev.nprops, 50);
            ASSERT_STR_EQ(ev.props[49].key, "k49");
            ASSERT_EQ(ev.props[49].v.l, 49);
            fs_event_clear(&ev);
        } else {
            expect_err(json, "properties: more than 50 keys");
        }
    }
    /* Big and tiny numbers keep their kind. */
    expect_ok("{" BASE
              ",\"properties\":{\"big\":9007199254740993,\"neg\":-2.5,\"e\":1e300}}",
              &ev);
    ASSERT_EQ(ev.props[0].kind, FS_PROP_LONG);
    ASSERT_EQ(ev.props[0].v.l, 9007199254740993LL);
    ASSERT_EQ(ev.props[1].kind, FS_PROP_DOUBLE);
    ASSERT_EQ(ev.props[2].kind, FS_PROP_DOUBLE); /* integral but beyond 2^53 */
    fs_event_clear(&ev);
}

static void test_size_limit(void)
{
    /* Text longer than 32 KiB is refused before parsing. */
    size_t n = FS_EVENT_MAX_BYTES + 100;
    char *big = malloc(n + 1);
    ASSERT(big != NULL);
    int o = snprintf(big, n + 1, "{" BASE ",\"properties\":{\"blob\":\"");
    memset(big + o, 'x', n - (size_t)o - 3);
    memcpy(big + n - 3, "\"}}", 4);
    fs_event_t ev;
    char err[256];
    fs_validate_ctx_t c = ctx();
    ASSERT_EQ(fs_validate_text(&c, big, n, &ev, err, sizeof(err)), FS_ERR_INVALID);
    ASSERT_CONTAINS(err, "event: larger than 32 KiB");

    /* A json_t whose serialized form is over 32 KiB is refused too. */
    json_t *obj = json_pack("{s:s,s:s}", "type", "sale", "anonymous_id", "a");
    ASSERT(obj != NULL);
    big[FS_EVENT_MAX_BYTES] = '\0';
    memset(big, 'y', FS_EVENT_MAX_BYTES);
    ASSERT_EQ(json_object_set_new(obj, "properties", json_pack("{s:s}", "blob", big)), 0);
    ASSERT_EQ(fs_validate_json(&c, obj, &ev, err, sizeof(err)), FS_ERR_INVALID);
    ASSERT_STR_EQ(err, "event: serialized form larger than 32 KiB");
    /* ...and one just under the limit is fine. */
    big[FS_EVENT_MAX_BYTES - 200] = '\0';
    ASSERT_EQ(json_object_set_new(obj, "properties", json_pack("{s:s}", "blob", big)), 0);
    ASSERT_EQ(fs_validate_json(&c, obj, &ev, err, sizeof(err)), FS_OK);
    ASSERT_EQ(strlen(ev.props[0].v.s), FS_EVENT_MAX_BYTES - 200);
    fs_event_clear(&ev);
    json_decref(obj);
    free(big);
}

static void test_uuid(void)
{
    char out[FS_UUID_STRLEN + 1];
    uint8_t zero[16] = {0}, ones[16];
    memset(ones, 0xff, sizeof(ones));
    fs_uuid4_format(out, zero);
    ASSERT_STR_EQ(out, "00000000-0000-4000-8000-000000000000");
    fs_uuid4_format(out, ones);
    ASSERT_STR_EQ(out, "ffffffff-ffff-4fff-bfff-ffffffffffff");
    uint8_t seq[16];
    for (int i = 0; i < 16; i++)
        seq[i] = (uint8_t)(i * 17);
    fs_uuid4_format(out, seq);
    ASSERT_STR_EQ(out, "00112233-4455-4677-8899-aabbccddeeff");

    char a[FS_UUID_STRLEN + 1], b[FS_UUID_STRLEN + 1];
    ASSERT_EQ(fs_uuid4_random(a), FS_OK);
    ASSERT_EQ(fs_uuid4_random(b), FS_OK);
    ASSERT(strcmp(a, b) != 0);
    ASSERT_EQ(strlen(a), 36);
    ASSERT_EQ(a[14], '4');
    ASSERT(strchr("89ab", a[19]) != NULL);
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            ASSERT_EQ(a[i], '-');
        else
            ASSERT(strchr("0123456789abcdef", a[i]) != NULL);
    }
    /* A generated id is a valid event_id. */
    char json[256];
    fs_event_t ev;
    snprintf(json, sizeof(json), "{" BASE ",\"event_id\":\"%s\"}", a);
    expect_ok(json, &ev);
    ASSERT_STR_EQ(ev.event_id, a);
    fs_event_clear(&ev);
}

int main(void)
{
    char err[256];
    g_def = fs_definition_new_default(err, sizeof(err));
    ASSERT(g_def != NULL);
    RUN(test_rules_table);
    RUN(test_accepted_values);
    RUN(test_all_errors_reported);
    RUN(test_revenue_exact);
    RUN(test_timestamps);
    RUN(test_text_limits_and_utf8);
    RUN(test_properties_limits);
    RUN(test_size_limit);
    RUN(test_uuid);
    fs_definition_destroy(g_def);
    return 0;
}
