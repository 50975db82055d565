/*
 * Unit tests of query/handoff_report.c: the sums of the per-lead-day
 * handoff hashes, the exact median delay, the histogram and the JSON /
 * CSV / table renderings of docs/funnel-query.md.  No Redis.
 */
#include <stdio.h>
#include <string.h>

#include "fs_day.h"
#include "fs_test.h"
#include "handoff_report.h"

static int64_t day(const char *s)
{
    int64_t d = 0;
    ASSERT_EQ(fs_day_parse(s, &d), FS_OK);
    return d;
}

static fs_handoff_report_t empty(void)
{
    fs_handoff_report_t r;
    memset(&r, 0, sizeof(r));
    r.from = day("2026-11-01");
    r.to = day("2026-11-30");
    r.sla_days = 7;
    return r;
}

static void add(fs_handoff_report_t *r, const char *field, const char *value)
{
    char err[256] = "";
    fs_err_t e =
        fs_handoff_add(r, field, strlen(field), value, strlen(value), err, sizeof(err));
    if (e != FS_OK)
        fprintf(stderr, "%s\n", err);
    ASSERT_EQ(e, FS_OK);
}

/* Sorts and merges the delays of @p r; they must not overflow. */
static void finish(fs_handoff_report_t *r)
{
    char err[256];
    ASSERT_EQ(fs_handoff_finish(r, err, sizeof(err)), FS_OK);
}

static int64_t median_e2(const fs_handoff_report_t *r)
{
    uint64_t e2;
    return fs_handoff_median_e2(r, &e2) == 0 ? (int64_t)e2 : -1;
}

static void test_median(void)
{
    fs_handoff_report_t r = empty();
    finish(&r);
    ASSERT_EQ(median_e2(&r), -1); /* no delays: null */
    fs_handoff_report_free(&r);

    /* Odd count: the middle one.  1 h, 2 h, 30.5 h (in two days' hashes) → 2 h. */
    r = empty();
    add(&r, "d:109800", "1");
    add(&r, "d:3600", "1");
    add(&r, "d:7200", "1");
    finish(&r);
    ASSERT_EQ(median_e2(&r), 200);
    fs_handoff_report_free(&r);

    /* Even count: the mean of the two middle ones.  30 h and 31 h → 30.5 h. */
    r = empty();
    add(&r, "d:108000", "1");
    add(&r, "d:111600", "1");
    add(&r, "d:0", "0"); /* a retracted delay counts for nothing */
    finish(&r);
    ASSERT_EQ(median_e2(&r), 3050);
    fs_handoff_report_free(&r);

    /* Counts, and the same delay on two days merged: 60 s ×3, 120 s ×1 → 60 s. */
    r = empty();
    add(&r, "d:120", "1");
    add(&r, "d:60", "2");
    add(&r, "d:60", "1");
    finish(&r);
    ASSERT_EQ(r.ndelays, 2);
    ASSERT_EQ(r.delays[0].count, 3);
    ASSERT_EQ(median_e2(&r), 2); /* 1 minute = 0.0166 h → 0.02 */
    fs_handoff_report_free(&r);

    /* Even count across entries: 4 × 1 s and 4 × 18001 s → 9001 s = 2.50027 h. */
    r = empty();
    add(&r, "d:1", "4");
    add(&r, "d:18001", "4");
    finish(&r);
    ASSERT_EQ(median_e2(&r), 250);
    fs_handoff_report_free(&r);

    /* Rounding half up: 30.25 h exactly and 18 s = 0.005 h → 0.01. */
    r = empty();
    add(&r, "d:108900", "1");
    finish(&r);
    ASSERT_EQ(median_e2(&r), 3025);
    fs_handoff_report_free(&r);
    r = empty();
    add(&r, "d:18", "1");
    finish(&r);
    ASSERT_EQ(median_e2(&r), 1);
    fs_handoff_report_free(&r);

    /* Huge delays and counts do not overflow. */
    r = empty();
    add(&r, "d:18446744073709551615", "9223372036854775807");
    add(&r, "d:18446744073709551614", "9223372036854775807");
    finish(&r);
    ASSERT_U64_EQ(median_e2(&r),
                  512409557603043100ULL); /* (2^64 - 1.5) s / 36, rounded */
    fs_handoff_report_free(&r);
}

static void test_bad_fields(void)
{
    fs_handoff_report_t r = empty();
    char err[256];
    ASSERT_EQ(fs_handoff_add(&r, "leads", 5, "-1", 2, err, sizeof(err)), FS_ERR_CORRUPT);
    ASSERT_CONTAINS(err, "field leads: \"-1\" is not a count");
    ASSERT_EQ(fs_handoff_add(&r, "within_sla", 10, "1.0", 3, err, sizeof(err)),
              FS_ERR_CORRUPT);
    ASSERT_CONTAINS(err, "field within_sla:");
    ASSERT_EQ(fs_handoff_add(&r, "d:12", 4, "x", 1, err, sizeof(err)), FS_ERR_CORRUPT);
    ASSERT_CONTAINS(err, "field d:12: \"x\" is not a count");
    ASSERT_EQ(fs_handoff_add(&r, "d:1h", 4, "1", 1, err, sizeof(err)), FS_ERR_CORRUPT);
    ASSERT_CONTAINS(err, "field d:1h: the delay is not a number of seconds");
    ASSERT_EQ(fs_handoff_add(&r, "d:", 2, "1", 1, err, sizeof(err)), FS_ERR_CORRUPT);
    add(&r, "leads", "18446744073709551615");
    ASSERT_EQ(fs_handoff_add(&r, "leads", 5, "1", 1, err, sizeof(err)), FS_ERR_CORRUPT);
    ASSERT_CONTAINS(err, "overflows");
    ASSERT_U64_EQ(r.leads, UINT64_MAX);
    add(&r, "dx", "not ours");
    add(&r, "lead", "not ours");
    add(&r, "d:5", "18446744073709551615");
    add(&r, "d:6", "1");
    ASSERT_EQ(fs_handoff_finish(&r, err, sizeof(err)), FS_ERR_CORRUPT);
    ASSERT_CONTAINS(err, "overflows");
    fs_handoff_report_free(&r);
}

static void test_histogram(void)
{
    fs_handoff_report_t r = empty();
    uint64_t counts[FS_HANDOFF_BUCKETS];
    const char *labels[FS_HANDOFF_BUCKETS];
    add(&r, "d:0", "1");
    add(&r, "d:3599", "1");
    add(&r, "d:3600", "2");  /* 1 h: 1-4h */
    add(&r, "d:14400", "3"); /* 4 h: 4-24h */
    add(&r, "d:86399", "1");
    add(&r, "d:86400", "4");  /* 1 d */
    add(&r, "d:172800", "5"); /* 2 d */
    add(&r, "d:604800", "6"); /* exactly 7 d: within the default SLA */
    add(&r, "d:604801", "7");
    finish(&r);
    fs_handoff_histogram(&r, counts, labels);
    ASSERT_STR_EQ(labels[0], "< 1h");
    ASSERT_STR_EQ(labels[5], "> 7d");
    const uint64_t want[] = {2, 2, 4, 4, 11, 7};
    for (int b = 0; b < FS_HANDOFF_BUCKETS; b++)
        ASSERT_EQ(counts[b], want[b]);
    fs_handoff_report_free(&r);
}

static const char *render(const fs_handoff_report_t *r, fs_report_format_t f, fs_buf_t *b)
{
    fs_buf_reset(b);
    ASSERT_EQ(fs_handoff_render(r, f, b), FS_OK);
    ASSERT_EQ(fs_buf_append(b, "", 1), FS_OK);
    return (const char *)b->data;
}

static void test_render(void)
{
    fs_handoff_report_t r = empty();
    fs_buf_t b = FS_BUF_INIT;
    finish(&r);
    ASSERT_STR_EQ(
        render(&r, FS_REPORT_JSON, &b),
        "{\"from\":\"2026-11-01\",\"to\":\"2026-11-30\",\"sla_days\":7,"
        "\"leads\":0,\"handed_off_within_sla\":0,\"median_delay_hours\":null}\n");
    ASSERT_STR_EQ(render(&r, FS_REPORT_CSV, &b),
                  "from,to,sla_days,leads,handed_off_within_sla,median_delay_hours\n"
                  "2026-11-01,2026-11-30,7,0,0,\n");
    const char *t = render(&r, FS_REPORT_TABLE, &b);
    ASSERT_CONTAINS(t, "\nleads                           0\n");
    ASSERT_CONTAINS(t, "\nhanded off within SLA (7 days)  0\n"); /* no share of 0 leads */
    ASSERT_CONTAINS(t, "\nmedian delay                    -\n");
    ASSERT_CONTAINS(t, "(no handoff delays recorded in this range)");
    fs_handoff_report_free(&r);

    r = empty();
    r.sla_days = 3;
    add(&r, "leads", "100");
    add(&r, "leads", "20");
    add(&r, "within_sla", "80");
    add(&r, "d:108000", "40"); /* 30 h */
    add(&r, "d:111600", "40"); /* 31 h */
    add(&r, "d:1800", "1");    /* 0.5 h, 200 h: the median stays 30.5 */
    add(&r, "d:720000", "1");
    finish(&r);
    ASSERT_STR_EQ(
        render(&r, FS_REPORT_JSON, &b),
        "{\"from\":\"2026-11-01\",\"to\":\"2026-11-30\",\"sla_days\":3,"
        "\"leads\":120,\"handed_off_within_sla\":80,\"median_delay_hours\":30.5}"
        "\n");
    ASSERT_STR_EQ(render(&r, FS_REPORT_CSV, &b),
                  "from,to,sla_days,leads,handed_off_within_sla,median_delay_hours\n"
                  "2026-11-01,2026-11-30,3,120,80,30.5\n");
    ASSERT_STR_EQ(
        render(&r, FS_REPORT_TABLE, &b),
        "Marketing -> sales handoff 2026-11-01 .. 2026-11-30 (UTC, by lead day)\n"
        "\n"
        "leads                              120\n"
        "handed off within SLA (3 days)      80  (66.67% of leads)\n"
        "median delay                    30.5 h\n"
        "\n"
        "delay  handoffs\n"
        "< 1h          1  #\n"
        "1-4h          0\n"
        "4-24h         0\n"
        "1-2d         80  ########################################\n"
        "2-7d          0\n"
        "> 7d          1  #\n");
    fs_handoff_report_free(&r);

    /* Whole hours keep one decimal; quarter hours two. */
    r = empty();
    add(&r, "d:108000", "1");
    finish(&r);
    ASSERT_CONTAINS(render(&r, FS_REPORT_JSON, &b), "\"median_delay_hours\":30.0}");
    fs_handoff_report_free(&r);
    r = empty();
    add(&r, "d:108900", "1");
    finish(&r);
    ASSERT_CONTAINS(render(&r, FS_REPORT_JSON, &b), "\"median_delay_hours\":30.25}");
    fs_handoff_report_free(&r);
    fs_buf_free(&b);
}

static void test_delays(void)
{
    fs_handoff_report_t r = empty();
    fs_buf_t b = FS_BUF_INIT;
    add(&r, "d:1800", "2");
    add(&r, "d:604800", "1"); /* exactly 7 days: still 2-7d */
    add(&r, "d:604801", "4");
    finish(&r);
    fs_buf_reset(&b);
    ASSERT_EQ(fs_handoff_delays_render(&r, FS_REPORT_JSON, &b), FS_OK);
    ASSERT_EQ(fs_buf_append(&b, "", 1), FS_OK);
    ASSERT_STR_EQ(
        (const char *)b.data,
        "{\"from\":\"2026-11-01\",\"to\":\"2026-11-30\",\"sla_days\":7,"
        "\"handoffs\":7,\"buckets\":[{\"bucket\":\"< 1h\",\"handoffs\":2},{"
        "\"bucket\":\"1-4h\",\"handoffs\":0},{\"bucket\":\"4-24h\",\"handoffs\":"
        "0},{\"bucket\":\"1-2d\",\"handoffs\":0},{\"bucket\":\"2-7d\","
        "\"handoffs\":1},{\"bucket\":\"> 7d\",\"handoffs\":4}]}\n");
    fs_buf_reset(&b);
    ASSERT_EQ(fs_handoff_delays_render(&r, FS_REPORT_CSV, &b), FS_OK);
    ASSERT_EQ(fs_buf_append(&b, "", 1), FS_OK);
    ASSERT_STR_EQ((const char *)b.data,
                  "bucket,handoffs\n< 1h,2\n1-4h,0\n4-24h,0\n1-2d,0\n2-7d,1\n> 7d,4\n");
    fs_buf_reset(&b);
    ASSERT_EQ(fs_handoff_delays_render(&r, FS_REPORT_TABLE, &b), FS_OK);
    ASSERT_EQ(fs_buf_append(&b, "", 1), FS_OK);
    ASSERT_CONTAINS((const char *)b.data, "> 7d          4  ");
    fs_handoff_report_free(&r);
    fs_buf_free(&b);
}

int main(void)
{
    RUN(test_delays);
    RUN(test_median);
    RUN(test_bad_fields);
    RUN(test_histogram);
    RUN(test_render);
    return 0;
}
