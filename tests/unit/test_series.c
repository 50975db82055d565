/*
 * Unit tests of query/series.c and query/query.c: the daily series (sources,
 * values, renderings) and the option rules the CLI and the dashboard's API
 * share (which kind takes which option, the messages naming it).  No Redis.
 */
#include <stdio.h>
#include <string.h>

#include "fs_day.h"
#include "fs_test.h"
#include "query.h"
#include "series.h"

/* @p b's bytes as a C string (a NUL is appended). */
static const char *text(fs_buf_t *b)
{
    ASSERT_EQ(fs_buf_append(b, "", 1), FS_OK);
    return (const char *)b->data;
}

static int64_t day(const char *s)
{
    int64_t d = 0;
    ASSERT_EQ(fs_day_parse(s, &d), FS_OK);
    return d;
}

static void test_sources(void)
{
    char kind[FS_SERIES_KIND_MAX], suffix[FS_SERIES_SUFFIX_MAX],
        field[FS_SERIES_FIELD_MAX];
    fs_series_t s = {.metric = FS_SERIES_EVENTS, .stage = FS_STAGE_DESIRE};
    ASSERT_EQ(fs_series_source(&s, kind, suffix, field), FS_OK);
    ASSERT_STR_EQ(kind, "events");
    ASSERT_STR_EQ(suffix, "");
    ASSERT_STR_EQ(field, "s:desire");

    s.metric = FS_SERIES_USERS;
    s.filter = (fs_filter_t){FS_FILTER_CAMPAIGN, "spring:sale"};
    ASSERT_EQ(fs_series_source(&s, kind, suffix, field), FS_OK);
    ASSERT_STR_EQ(kind, "users");
    ASSERT_STR_EQ(field, "sk:desire:spring:sale");

    s = (fs_series_t){.metric = FS_SERIES_REVENUE, .currency = "EUR"};
    ASSERT_EQ(fs_series_source(&s, kind, suffix, field), FS_OK);
    ASSERT_STR_EQ(kind, "revenue");
    ASSERT_STR_EQ(field, "r:EUR");

    s.filter = (fs_filter_t){FS_FILTER_CHANNEL, "email"};
    s.model = "w_shaped";
    ASSERT_EQ(fs_series_source(&s, kind, suffix, field), FS_OK);
    ASSERT_STR_EQ(kind, "attr");
    ASSERT_STR_EQ(suffix, "w_shaped:channel:EUR");
    ASSERT_STR_EQ(field, "r:email");

    s = (fs_series_t){.metric = FS_SERIES_LEADS};
    ASSERT_EQ(fs_series_source(&s, kind, suffix, field), FS_OK);
    ASSERT_STR_EQ(kind, "handoff");
    ASSERT_STR_EQ(field, "leads");
}

static void test_values_and_json(void)
{
    char errstr[128];
    fs_buf_t b = FS_BUF_INIT;
    fs_series_t s = {.metric = FS_SERIES_EVENTS,
                     .stage = FS_STAGE_AWARENESS,
                     .from = day("2026-11-30"),
                     .to = day("2026-12-02")};
    ASSERT_EQ(fs_series_alloc(&s), FS_OK);
    ASSERT_EQ(fs_series_set(&s, day("2026-12-01"), "1234", 4, errstr, sizeof(errstr)),
              FS_OK);
    ASSERT_EQ(fs_series_set(&s, day("2026-12-03"), "1", 1, errstr, sizeof(errstr)),
              FS_ERR_INVALID);
    ASSERT_EQ(fs_series_set(&s, day("2026-12-02"), "12x", 3, errstr, sizeof(errstr)),
              FS_ERR_CORRUPT);
    ASSERT_EQ(fs_series_set(&s, day("2026-12-02"), "-3", 2, errstr, sizeof(errstr)),
              FS_OK);
    int64_t total;
    ASSERT_EQ(fs_series_total(&s, &total), 0);
    ASSERT_EQ(total, 1231);
    ASSERT_EQ(fs_series_render(&s, FS_REPORT_JSON, &b), FS_OK);
    ASSERT_STR_EQ(text(&b),
                  "{\"metric\":\"events\",\"from\":\"2026-11-30\",\"to\":\"2026-12-"
                  "02\",\"stage\":\"awareness\",\"filter\":{},\"points\":[{\"day\":"
                  "\"2026-11-30\",\"value\":0},{\"day\":\"2026-12-01\",\"value\":"
                  "1234},{\"day\":\"2026-12-02\",\"value\":-3}]}\n");
    fs_buf_reset(&b);
    ASSERT_EQ(fs_series_render(&s, FS_REPORT_CSV, &b), FS_OK);
    ASSERT_STR_EQ(text(&b), "day,value\n2026-11-30,0\n2026-12-01,1234\n2026-12-02,-3\n");
    fs_buf_reset(&b);
    ASSERT_EQ(fs_series_render(&s, FS_REPORT_TABLE, &b), FS_OK);
    ASSERT(strstr(text(&b), "2026-12-01  1,234\n"));
    ASSERT(strstr(text(&b), "total       1,231\n"));
    fs_series_free(&s);

    /* Money: cents as decimal strings, filter and model echoed. */
    s = (fs_series_t){.metric = FS_SERIES_REVENUE,
                      .filter = {FS_FILTER_CHANNEL, "e\"mail"},
                      .model = "linear",
                      .currency = "USD",
                      .from = day("2026-12-01"),
                      .to = day("2026-12-01")};
    ASSERT_EQ(fs_series_alloc(&s), FS_OK);
    ASSERT_EQ(fs_series_set(&s, s.from, "123405", 6, errstr, sizeof(errstr)), FS_OK);
    fs_buf_reset(&b);
    ASSERT_EQ(fs_series_render(&s, FS_REPORT_JSON, &b), FS_OK);
    ASSERT_STR_EQ(text(&b),
                  "{\"metric\":\"revenue\",\"from\":\"2026-12-01\",\"to\":\"2026-12-"
                  "01\",\"currency\":\"USD\",\"model\":\"linear\",\"filter\":{"
                  "\"channel\":\"e\\\"mail\"},\"points\":[{\"day\":\"2026-12-01\","
                  "\"value\":\"1234.05\"}]}\n");
    fs_series_free(&s);
    fs_buf_free(&b);
}

/* fs_query_new()'s message for @p kind with the options @p kv (name, value, ...). */
static fs_err_t try_query(fs_query_kind_t kind, const char *prefix, char *errstr,
                          size_t sz, const char *const *kv)
{
    fs_query_opts_t o;
    fs_query_t *q = NULL;
    memset(&o, 0, sizeof(o));
    o.sla_days = 7;
    for (; kv[0]; kv += 2) {
        fs_query_opt_t opt;
        ASSERT_EQ(fs_query_opt_parse(kv[0], &opt), 0);
        o.v[opt] = kv[1];
    }
    errstr[0] = '\0';
    fs_err_t err =
        fs_query_new(kind, &o, day("2026-12-08"), FS_REPORT_JSON, prefix, &q, errstr, sz);
    ASSERT_EQ(err == FS_OK, q != NULL);
    fs_query_destroy(q);
    return err;
}

#define EXPECT(kind, prefix, msg, ...)                                                   \
    do {                                                                                 \
        const char *const kv_[] = {__VA_ARGS__, NULL};                                   \
        char e_[512];                                                                    \
        ASSERT_EQ(try_query(kind, prefix, e_, sizeof(e_), kv_), FS_ERR_INVALID);         \
        ASSERT_STR_EQ(e_, msg);                                                          \
    } while (0)

#define ACCEPT(kind, ...)                                                                \
    do {                                                                                 \
        const char *const kv_[] = {__VA_ARGS__, NULL};                                   \
        char e_[512];                                                                    \
        ASSERT_EQ(try_query(kind, "", e_, sizeof(e_), kv_), FS_OK);                      \
    } while (0)

static void test_options(void)
{
    /* The same rule, named for a flag or for a query parameter. */
    EXPECT(FS_QUERY_FUNNEL, "--", "--from: 2026-12-09 is after --to 2026-12-01", "from",
           "2026-12-09", "to", "2026-12-01");
    EXPECT(FS_QUERY_FUNNEL, "", "from: 2026-12-09 is after to 2026-12-01", "from",
           "2026-12-09", "to", "2026-12-01");
    EXPECT(FS_QUERY_FUNNEL, "", "from: \"2026-02-30\" is not a date YYYY-MM-DD", "from",
           "2026-02-30");
    EXPECT(FS_QUERY_FUNNEL, "", "model: not an option of \"funnel\"", "model", "linear");
    EXPECT(FS_QUERY_FUNNEL, "", "channel: channel and campaign are mutually exclusive",
           "channel", "a", "campaign", "b");
    EXPECT(FS_QUERY_ATTRIBUTION, "",
           "model: required, one of first_touch, last_touch, linear, position_based, "
           "time_decay, w_shaped",
           "by", "campaign");
    EXPECT(FS_QUERY_ATTRIBUTION, "",
           "currency: \"usd\" is not an ISO 4217 code of 3 "
           "upper-case letters (USD)",
           "model", "linear", "currency", "usd");
    EXPECT(FS_QUERY_HANDOFF, "", "channel: not an option of \"handoff\"", "channel", "x");
    EXPECT(FS_QUERY_SERIES, "", "metric: required, one of events, users, revenue, leads",
           "stage", "interest");
    EXPECT(FS_QUERY_SERIES, "",
           "stage: required for events and users: awareness, interest, desire, action or "
           "loyalty",
           "metric", "users");
    EXPECT(FS_QUERY_SERIES, "",
           "stage: \"lead\" is not one of awareness, interest, desire, action, loyalty",
           "metric", "users", "stage", "lead");
    EXPECT(FS_QUERY_SERIES, "", "stage: only for events and users", "metric", "leads",
           "stage", "action");
    EXPECT(FS_QUERY_SERIES, "", "currency: only for revenue", "metric", "events", "stage",
           "action", "currency", "EUR");
    EXPECT(FS_QUERY_SERIES, "",
           "channel: leads are counted per lead day only, without a "
           "filter",
           "metric", "leads", "channel", "email");
    EXPECT(FS_QUERY_SERIES, "--",
           "--model: required for revenue with --campaign, one of first_touch, "
           "last_touch, linear, position_based, time_decay, w_shaped",
           "metric", "revenue", "campaign", "c1");
    EXPECT(FS_QUERY_SERIES, "",
           "model: only for revenue with channel or campaign (booked revenue is the same "
           "under every model)",
           "metric", "revenue", "model", "linear");
    {
        const char *const kv[] = {"metric", "leads", "from", "2001-01-01", NULL};
        char e[512];
        ASSERT_EQ(try_query(FS_QUERY_SERIES, "", e, sizeof(e), kv), FS_ERR_INVALID);
        ASSERT_CONTAINS(e, "from/to: 2001-01-01..2026-12-08 spans ");
    }
    ACCEPT(FS_QUERY_SERIES, "metric", "revenue", "channel", "email", "model", "linear");
    ACCEPT(FS_QUERY_SERIES, "metric", "events", "stage", "loyalty", "campaign", "c");
    ACCEPT(FS_QUERY_FUNNEL, "from", "2026-12-01");
    ACCEPT(FS_QUERY_HANDOFF, "to", "2026-12-01");
}

int main(void)
{
    RUN(test_sources);
    RUN(test_values_and_json);
    RUN(test_options);
    return 0;
}
