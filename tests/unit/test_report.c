/*
 * Unit tests of query/report.c: the option rules of funnel-query and the
 * exact table / JSON / CSV renderings of docs/funnel-query.md.  No Redis.
 */
#include <stdio.h>
#include <string.h>

#include "fs_day.h"
#include "fs_test.h"
#include "report.h"

static int64_t day(const char *s)
{
    int64_t d = 0;
    ASSERT_EQ(fs_day_parse(s, &d), FS_OK);
    return d;
}

/* 2026-11-01..2026-11-30, events only (the worker writes no users yet). */
static fs_funnel_report_t events_only(void)
{
    fs_funnel_report_t r;
    memset(&r, 0, sizeof(r));
    r.from = day("2026-11-01");
    r.to = day("2026-11-30");
    const uint64_t events[FS_STAGE__COUNT] = {1234, 800, 0, 17, 1234567};
    for (int s = 0; s < FS_STAGE__COUNT; s++)
        r.rows[s].events = events[s];
    return r;
}

static fs_funnel_report_t with_users(const uint64_t users[FS_STAGE__COUNT])
{
    fs_funnel_report_t r = events_only();
    for (int s = 0; s < FS_STAGE__COUNT; s++) {
        r.rows[s].users = users[s];
        r.rows[s].users_known = 1;
    }
    return r;
}

/* Renders into a NUL-terminated string the test owns (free with fs_buf_free). */
static const char *render(const fs_funnel_report_t *r, fs_report_format_t f, fs_buf_t *b)
{
    fs_buf_reset(b);
    ASSERT_EQ(fs_report_funnel_render(r, f, b), FS_OK);
    ASSERT_EQ(fs_buf_append(b, "", 1), FS_OK);
    return (const char *)b->data;
}

static void test_json_events_only(void)
{
    fs_funnel_report_t r = events_only();
    fs_buf_t b = FS_BUF_INIT;
    ASSERT_STR_EQ(
        render(&r, FS_REPORT_JSON, &b),
        "{\"from\":\"2026-11-01\",\"to\":\"2026-11-30\",\"filter\":{},\"stages\":["
        "{\"stage\":\"awareness\",\"events\":1234,\"users\":null,\"rate_from_previous\":"
        "null},"
        "{\"stage\":\"interest\",\"events\":800,\"users\":null,\"rate_from_previous\":"
        "null},"
        "{\"stage\":\"desire\",\"events\":0,\"users\":null,\"rate_from_previous\":null},"
        "{\"stage\":\"action\",\"events\":17,\"users\":null,\"rate_from_previous\":null},"
        "{\"stage\":\"loyalty\",\"events\":1234567,\"users\":null,\"rate_from_previous\":"
        "null}"
        "]}\n");
    fs_buf_free(&b);
}

static void test_json_users_and_rates(void)
{
    /* 200/456 = 0.43859 → 0.4386; desire 0 users → action's rate is null. */
    const uint64_t users[] = {456, 200, 0, 5, 10};
    fs_funnel_report_t r = with_users(users);
    fs_buf_t b = FS_BUF_INIT;
    ASSERT_STR_EQ(
        render(&r, FS_REPORT_JSON, &b),
        "{\"from\":\"2026-11-01\",\"to\":\"2026-11-30\",\"filter\":{},\"stages\":["
        "{\"stage\":\"awareness\",\"events\":1234,\"users\":456,\"rate_from_previous\":"
        "null},"
        "{\"stage\":\"interest\",\"events\":800,\"users\":200,\"rate_from_previous\":0."
        "4386},"
        "{\"stage\":\"desire\",\"events\":0,\"users\":0,\"rate_from_previous\":0.0000},"
        "{\"stage\":\"action\",\"events\":17,\"users\":5,\"rate_from_previous\":null},"
        "{\"stage\":\"loyalty\",\"events\":1234567,\"users\":10,\"rate_from_previous\":2."
        "0000}"
        "]}\n");
    fs_buf_free(&b);
}

static void test_rate_rounding(void)
{
    uint64_t users[] = {3, 1, 0, 0, 0}, rate = 0;
    fs_funnel_report_t r = with_users(users);
    ASSERT_EQ(fs_report_rate_e4(&r, FS_STAGE_AWARENESS, &rate), -1);
    ASSERT_EQ(fs_report_rate_e4(&r, FS_STAGE_INTEREST, &rate), 0);
    ASSERT_EQ(rate, 3333); /* 0.33333 */
    r.rows[1].users = 2;
    ASSERT_EQ(fs_report_rate_e4(&r, FS_STAGE_INTEREST, &rate), 0);
    ASSERT_EQ(rate, 6667); /* 0.66667 rounds up */
    r.rows[0].users = 20000;
    r.rows[1].users = 1;
    ASSERT_EQ(fs_report_rate_e4(&r, FS_STAGE_INTEREST, &rate), 0);
    ASSERT_EQ(rate, 1); /* 0.00005: half rounds up */
    r.rows[0].users = 20001;
    ASSERT_EQ(fs_report_rate_e4(&r, FS_STAGE_INTEREST, &rate), 0);
    ASSERT_EQ(rate, 0); /* 0.0000499975 */
    r.rows[0].users = UINT64_MAX;
    r.rows[1].users = UINT64_MAX;
    ASSERT_EQ(fs_report_rate_e4(&r, FS_STAGE_INTEREST, &rate), 0);
    ASSERT_EQ(rate, 10000); /* no overflow in the intermediate product */
    r.rows[1].users_known = 0;
    ASSERT_EQ(fs_report_rate_e4(&r, FS_STAGE_INTEREST, &rate), -1);
    r.rows[1].users_known = 1;
    r.rows[0].users_known = 0;
    ASSERT_EQ(fs_report_rate_e4(&r, FS_STAGE_INTEREST, &rate), -1);
}

static void test_json_filter(void)
{
    fs_funnel_report_t r = events_only();
    fs_buf_t b = FS_BUF_INIT;
    r.from = r.to = day("2026-01-05");
    r.filter.kind = FS_FILTER_CHANNEL;
    r.filter.value = "email";
    ASSERT_CONTAINS(
        render(&r, FS_REPORT_JSON, &b),
        "{\"from\":\"2026-01-05\",\"to\":\"2026-01-05\","
        "\"filter\":{\"channel\":\"email\"},\"stages\":[{\"stage\":\"awareness\"");
    r.filter.kind = FS_FILTER_CAMPAIGN;
    r.filter.value = "black \"friday\"\\2026\n\x01é";
    ASSERT_CONTAINS(
        render(&r, FS_REPORT_JSON, &b),
        "\"filter\":{\"campaign\":\"black \\\"friday\\\"\\\\2026\\n\\u0001é\"},");
    /* DEL, C1 (a one-byte CSI) and a bidi override stay exact but escaped;
     * a byte that is not UTF-8 cannot be JSON text. */
    r.filter.value = "a\x7f\xc2\x9b"
                     "2J\xe2\x80\xae\xff";
    ASSERT_CONTAINS(render(&r, FS_REPORT_JSON, &b),
                    "\"filter\":{\"campaign\":\"a\\u007f\\u009b2J\\u202e\\ufffd\"},");
    fs_buf_free(&b);
}

static void test_csv(void)
{
    fs_funnel_report_t r = events_only();
    fs_buf_t b = FS_BUF_INIT;
    ASSERT_STR_EQ(render(&r, FS_REPORT_CSV, &b), "stage,events,users,rate_from_previous\n"
                                                 "awareness,1234,,\n"
                                                 "interest,800,,\n"
                                                 "desire,0,,\n"
                                                 "action,17,,\n"
                                                 "loyalty,1234567,,\n");
    const uint64_t users[] = {456, 200, 0, 5, 10};
    r = with_users(users);
    ASSERT_STR_EQ(render(&r, FS_REPORT_CSV, &b), "stage,events,users,rate_from_previous\n"
                                                 "awareness,1234,456,\n"
                                                 "interest,800,200,0.4386\n"
                                                 "desire,0,0,0.0000\n"
                                                 "action,17,5,\n"
                                                 "loyalty,1234567,10,2.0000\n");
    fs_buf_free(&b);
}

static void test_table(void)
{
    const uint64_t users[] = {456, 200, 0, 5, 10};
    fs_funnel_report_t r = with_users(users);
    fs_buf_t b = FS_BUF_INIT;
    r.filter.kind = FS_FILTER_CHANNEL;
    r.filter.value = "paid\x1b[2Jsearch"; /* a terminal escape must not reach the TTY */
    const char *t = render(&r, FS_REPORT_TABLE, &b);
    ASSERT_CONTAINS(
        t, "Funnel 2026-11-01 .. 2026-11-30 (UTC), channel paid\\x1b[2Jsearch\n");
    ASSERT(!strchr(t, '\x1b'));
    ASSERT_CONTAINS(t, "stage         events  users  from previous\n"
                       "awareness      1,234    456              -\n"
                       "interest         800    200         43.86%\n"
                       "desire             0      0          0.00%\n"
                       "action            17      5              -\n"
                       "loyalty    1,234,567     10        200.00%\n");
    ASSERT(!strstr(t, "not recorded"));

    r = events_only();
    t = render(&r, FS_REPORT_TABLE, &b);
    ASSERT_CONTAINS(t, "awareness      1,234      -              -\n");
    ASSERT_CONTAINS(t, "users per stage are not recorded");
    fs_buf_free(&b);
}

static void test_range(void)
{
    char err[256] = "";
    int64_t today = day("2026-11-30"), f = 0, t = 0;
    ASSERT_EQ(fs_report_range(NULL, NULL, today, &f, &t, err, sizeof(err)), FS_OK);
    ASSERT_EQ(f, day("2026-11-01")); /* the last 30 days, today included */
    ASSERT_EQ(t, today);
    ASSERT_EQ(fs_report_range(NULL, "2026-03-01", today, &f, &t, err, sizeof(err)),
              FS_OK);
    ASSERT_EQ(f, day("2026-01-31"));
    ASSERT_EQ(t, day("2026-03-01"));
    ASSERT_EQ(fs_report_range("2026-11-20", NULL, today, &f, &t, err, sizeof(err)),
              FS_OK);
    ASSERT_EQ(f, day("2026-11-20"));
    ASSERT_EQ(t, today);
    ASSERT_EQ(
        fs_report_range("2026-02-03", "2026-02-03", today, &f, &t, err, sizeof(err)),
        FS_OK);
    ASSERT_EQ(f, t);

    f = t = 7;
    ASSERT_EQ(
        fs_report_range("2026-02-04", "2026-02-03", today, &f, &t, err, sizeof(err)),
        FS_ERR_INVALID);
    ASSERT_STR_EQ(err, "--from: 2026-02-04 is after --to 2026-02-03");
    ASSERT_EQ(f, 7); /* untouched on failure */
    ASSERT_EQ(fs_report_range("2026-12-01", NULL, today, &f, &t, err, sizeof(err)),
              FS_ERR_INVALID);
    ASSERT_STR_EQ(err, "--from: 2026-12-01 is after today, 2026-11-30");

    /* 3660 days is the limit. */
    ASSERT_EQ(
        fs_report_range("2016-01-01", "2026-01-07", today, &f, &t, err, sizeof(err)),
        FS_OK);
    ASSERT_EQ(t - f + 1, 3660);
    ASSERT_EQ(
        fs_report_range("2016-01-01", "2026-01-08", today, &f, &t, err, sizeof(err)),
        FS_ERR_INVALID);
    ASSERT_CONTAINS(err,
                    "--from/--to: 2016-01-01..2026-01-08 spans 3661 days, at most 3660");

    ASSERT_EQ(fs_report_range("2026-02-30", NULL, today, &f, &t, err, sizeof(err)),
              FS_ERR_INVALID);
    ASSERT_CONTAINS(err, "--from: \"2026-02-30\" is not a date");
    ASSERT_EQ(fs_report_range(NULL, "yesterday", today, &f, &t, err, sizeof(err)),
              FS_ERR_INVALID);
    ASSERT_CONTAINS(err, "--to: \"yesterday\"");
}

static void test_filter_and_format(void)
{
    char err[256] = "";
    fs_filter_t f;
    ASSERT_EQ(fs_report_filter(NULL, NULL, &f, err, sizeof(err)), FS_OK);
    ASSERT_EQ(f.kind, FS_FILTER_NONE);
    ASSERT(f.value == NULL);
    ASSERT_EQ(fs_report_filter("email", NULL, &f, err, sizeof(err)), FS_OK);
    ASSERT_EQ(f.kind, FS_FILTER_CHANNEL);
    ASSERT_STR_EQ(f.value, "email");
    ASSERT_EQ(fs_report_filter(NULL, "bf26", &f, err, sizeof(err)), FS_OK);
    ASSERT_EQ(f.kind, FS_FILTER_CAMPAIGN);
    ASSERT_EQ(fs_report_filter("email", "bf26", &f, err, sizeof(err)), FS_ERR_INVALID);
    ASSERT_CONTAINS(err, "--channel and --campaign are mutually exclusive");

    fs_report_format_t fmt = FS_REPORT_CSV;
    ASSERT_EQ(fs_report_format_parse(NULL, 1, &fmt), FS_OK);
    ASSERT_EQ(fmt, FS_REPORT_TABLE);
    ASSERT_EQ(fs_report_format_parse(NULL, 0, &fmt), FS_OK);
    ASSERT_EQ(fmt, FS_REPORT_JSON);
    ASSERT_EQ(fs_report_format_parse("csv", 1, &fmt), FS_OK);
    ASSERT_EQ(fmt, FS_REPORT_CSV);
    ASSERT_EQ(fs_report_format_parse("table", 0, &fmt), FS_OK);
    ASSERT_EQ(fmt, FS_REPORT_TABLE);
    ASSERT_EQ(fs_report_format_parse("JSON", 0, &fmt), FS_ERR_INVALID);
    ASSERT_EQ(fs_report_check_format("xml", err, sizeof(err)), FS_ERR_INVALID);
    ASSERT_STR_EQ(err, "\"xml\" is not one of table, json, csv");
    ASSERT_EQ(fs_report_check_day("2026-11-31", err, sizeof(err)), FS_ERR_INVALID);
    ASSERT_EQ(fs_report_check_day("2024-02-29", err, sizeof(err)), FS_OK);
}

/* A flag value quoted in an error message is escaped and cut whole. */
static void test_quote(void)
{
    char err[256] = "", shown[FS_REPORT_QUOTE_MAX], v[200];
    ASSERT_EQ(fs_report_check_day("\x1b[2J2026", err, sizeof(err)), FS_ERR_INVALID);
    ASSERT_STR_EQ(err, "\"\\x1b[2J2026\" is not a date YYYY-MM-DD");
    ASSERT_EQ(fs_report_check_format("t\xc2\x9b", err, sizeof(err)), FS_ERR_INVALID);
    ASSERT_STR_EQ(err, "\"t\\xc2\\x9b\" is not one of table, json, csv");
    fs_report_quote("", shown);
    ASSERT_STR_EQ(shown, "");
    for (int i = 0; i < 99; i++) /* 198 bytes of "é" */
        memcpy(v + 2 * i, "\xc3\xa9", 2);
    v[198] = '\0';
    fs_report_quote(v, shown);
    ASSERT_EQ(strlen(shown), 92 + 3);
    ASSERT_STR_EQ(shown + 92, "...");
    ASSERT(!memcmp(shown, v, 92));
    v[0] = 'x'; /* "x" then "\xa9" (4 bytes): the cut falls inside "é" and moves back */
    fs_report_quote(v, shown);
    ASSERT_EQ(strlen(shown), 1 + 4 + 86 + 3);
    ASSERT_STR_EQ(shown + 91, "...");
}

static void test_check_label(void)
{
    char err[256] = "", v[600];
    ASSERT_EQ(fs_report_check_label("(none)", err, sizeof(err)), FS_OK);
    ASSERT_EQ(fs_report_check_label("a:b:c", err, sizeof(err)), FS_OK);
    ASSERT_EQ(fs_report_check_label("", err, sizeof(err)), FS_ERR_INVALID);
    ASSERT_EQ(fs_report_check_label(" email", err, sizeof(err)), FS_ERR_INVALID);
    ASSERT_CONTAINS(err, "white space");
    ASSERT_EQ(fs_report_check_label("email\n", err, sizeof(err)), FS_ERR_INVALID);
    ASSERT_EQ(fs_report_check_label("bad\xff", err, sizeof(err)), FS_ERR_INVALID);
    ASSERT_STR_EQ(err, "not valid UTF-8 (byte 4)");
    ASSERT_EQ(fs_report_check_label("\xc0\xaf", err, sizeof(err)),
              FS_ERR_INVALID); /* overlong */
    ASSERT_EQ(fs_report_check_label("\xed\xa0\x80", err, sizeof(err)), FS_ERR_INVALID);
    ASSERT_EQ(fs_report_check_label("\xe2\x82", err, sizeof(err)), FS_ERR_INVALID);

    /* 128 characters are allowed, counted as characters, not bytes. */
    v[0] = '\0';
    for (int i = 0; i < 128; i++)
        strcat(v, "\xc3\xa9"); /* é */
    ASSERT_EQ(fs_report_check_label(v, err, sizeof(err)), FS_OK);
    strcat(v, "x");
    ASSERT_EQ(fs_report_check_label(v, err, sizeof(err)), FS_ERR_INVALID);
    ASSERT_STR_EQ(err, "129 characters, at most 128");
}

int main(void)
{
    RUN(test_json_events_only);
    RUN(test_json_users_and_rates);
    RUN(test_rate_rounding);
    RUN(test_json_filter);
    RUN(test_csv);
    RUN(test_table);
    RUN(test_range);
    RUN(test_filter_and_format);
    RUN(test_check_label);
    RUN(test_quote);
    return 0;
}
