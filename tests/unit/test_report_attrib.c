/*
 * Unit tests of query/attrib_report.c (and the shared number formatting of
 * query/report.c): option checks, the sums of the per-day credit hashes,
 * the row order and the exact JSON / CSV / table renderings of docs/funnel-query.md.
 * No Redis.
 */
#include <stdio.h>
#include <string.h>

#include "attrib_report.h"
#include "fs_day.h"
#include "fs_test.h"

static int64_t day(const char *s)
{
    int64_t d = 0;
    ASSERT_EQ(fs_day_parse(s, &d), FS_OK);
    return d;
}

static const char *dec(int64_t v, unsigned decimals, int grouped)
{
    static char out[64];
    fs_report_decimal(v, decimals, grouped, out);
    return out;
}

static void test_decimal(void)
{
    ASSERT_STR_EQ(dec(0, 2, 0), "0.00");
    ASSERT_STR_EQ(dec(1, 2, 0), "0.01");
    ASSERT_STR_EQ(dec(10, 2, 0), "0.10");
    ASSERT_STR_EQ(dec(1234567, 2, 0), "12345.67");
    ASSERT_STR_EQ(dec(100000000000000LL, 2, 0), "1000000000000.00"); /* 10^14 cents */
    ASSERT_STR_EQ(dec(100000000000000LL, 2, 1), "1,000,000,000,000.00");
    ASSERT_STR_EQ(dec(0, 6, 0), "0.000000");
    ASSERT_STR_EQ(dec(1, 6, 0), "0.000001");
    ASSERT_STR_EQ(dec(42000000, 6, 0), "42.000000");
    ASSERT_STR_EQ(dec(20500000, 6, 0), "20.500000");
    ASSERT_STR_EQ(dec(-1, 2, 0), "-0.01");
    ASSERT_STR_EQ(dec(-123456, 2, 1), "-1,234.56");
    ASSERT_STR_EQ(dec(INT64_MAX, 2, 0), "92233720368547758.07");
    ASSERT_STR_EQ(dec(INT64_MIN, 2, 0), "-92233720368547758.08");
    ASSERT_STR_EQ(dec(INT64_MIN, 6, 1), "-9,223,372,036,854.775808");
    ASSERT_STR_EQ(dec(7, 0, 0), "7");
}

static void test_share(void)
{
    int64_t e4 = -1;
    ASSERT_EQ(fs_report_share_e4(1, 3, &e4), 0);
    ASSERT_EQ(e4, 3333);
    ASSERT_EQ(fs_report_share_e4(2, 3, &e4), 0);
    ASSERT_EQ(e4, 6667);
    ASSERT_EQ(fs_report_share_e4(1, 20000, &e4), 0);
    ASSERT_EQ(e4, 1); /* half rounds away from zero */
    ASSERT_EQ(fs_report_share_e4(-1, 20000, &e4), 0);
    ASSERT_EQ(e4, -1);
    ASSERT_EQ(fs_report_share_e4(INT64_MAX, INT64_MAX, &e4), 0);
    ASSERT_EQ(e4, 10000);
    ASSERT_EQ(fs_report_share_e4(5, 0, &e4), -1);
    ASSERT_EQ(fs_report_share_e4(5, -3, &e4), -1);
}

static void test_option_checks(void)
{
    char err[256];
    const char *good[] = {"first_touch",    "last_touch", "linear",
                          "position_based", "time_decay", "w_shaped"};
    for (size_t i = 0; i < 6; i++)
        ASSERT_EQ(fs_attr_check_model(good[i], err, sizeof(err)), FS_OK);
    ASSERT_EQ(fs_attr_check_model("Linear", err, sizeof(err)), FS_ERR_INVALID);
    ASSERT_CONTAINS(err, "\"Linear\" is not one of first_touch,");
    ASSERT_EQ(fs_attr_check_model("", err, sizeof(err)), FS_ERR_INVALID);
    ASSERT_EQ(fs_attr_check_model("u_shaped", err, sizeof(err)), FS_ERR_INVALID);

    ASSERT_EQ(fs_attr_check_by("channel", err, sizeof(err)), FS_OK);
    ASSERT_EQ(fs_attr_check_by("campaign", err, sizeof(err)), FS_OK);
    ASSERT_EQ(fs_attr_check_by("department", err, sizeof(err)), FS_OK);
    ASSERT_EQ(fs_attr_check_by("type", err, sizeof(err)), FS_OK);
    ASSERT_EQ(fs_attr_check_by("source", err, sizeof(err)), FS_ERR_INVALID);
    ASSERT_CONTAINS(err, "channel, campaign, department, type");

    ASSERT_EQ(fs_attr_check_currency("USD", err, sizeof(err)), FS_OK);
    ASSERT_EQ(fs_attr_check_currency("EUR", err, sizeof(err)), FS_OK);
    const char *bad[] = {"usd", "US", "USDT", "", "U5D", "EUr", "ÉUR"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ASSERT_EQ(fs_attr_check_currency(bad[i], err, sizeof(err)), FS_ERR_INVALID);
    ASSERT_CONTAINS(err, "3 upper-case letters");
}

static void add(fs_attr_sums_t *s, const char *field, const char *value)
{
    char err[256] = "";
    fs_err_t e =
        fs_attr_sums_add(s, field, strlen(field), value, strlen(value), err, sizeof(err));
    if (e != FS_OK)
        fprintf(stderr, "%s\n", err);
    ASSERT_EQ(e, FS_OK);
}

static void test_sums_and_order(void)
{
    fs_attr_sums_t *s = fs_attr_sums_new();
    fs_attr_row_t *rows;
    size_t n;
    int64_t rev, conv;
    ASSERT(s);
    /* Two "days" of the same key add up; a key may contain colons. */
    add(s, "r:paid_search", "100000");
    add(s, "c:paid_search", "10250000");
    add(s, "r:paid_search", "500000");
    add(s, "c:paid_search", "10250000");
    add(s, "r:email", "600000"); /* ties with paid_search: key order */
    add(s, "c:email", "1");
    add(s, "r:a:b", "1");
    add(s, "c:a:b", "0");
    add(s, "r:(direct)", "0");
    add(s, "c:(direct)", "3000000"); /* conversions without revenue */
    add(s, "r:gone", "5");           /* retracted: sums to zero, left out */
    add(s, "r:gone", "-5");
    add(s, "n:whatever", "xyz"); /* not ours */
    add(s, "r", "12");           /* not ours: no colon */
    fs_attr_sums_total(s, &rev, &conv);
    ASSERT_EQ(rev, 1200001);
    ASSERT_EQ(conv, 23500001);
    ASSERT_EQ(fs_attr_sums_rows(s, &rows, &n), FS_OK);
    ASSERT_EQ(n, 4);
    ASSERT_STR_EQ(rows[0].key, "email");
    ASSERT_STR_EQ(rows[1].key, "paid_search");
    ASSERT_EQ(rows[1].revenue, 600000);
    ASSERT_EQ(rows[1].conversions, 20500000);
    ASSERT_STR_EQ(rows[2].key, "a:b");
    ASSERT_STR_EQ(rows[3].key, "(direct)");
    ASSERT_EQ(rows[3].conversions, 3000000);
    free(rows);
    fs_attr_sums_get(s, "paid_search", &rev, &conv);
    ASSERT_EQ(rev, 600000);
    fs_attr_sums_get(s, "nope", &rev, &conv);
    ASSERT_EQ(rev, 0);
    ASSERT_EQ(conv, 0);
    fs_attr_sums_destroy(s);
    fs_attr_sums_destroy(NULL);
}

static void test_ties_are_bytewise(void)
{
    fs_attr_sums_t *s = fs_attr_sums_new();
    fs_attr_row_t *rows;
    size_t n;
    const char *keys[] = {"b", "B", "a", "é", "ab", "A", "_"};
    for (size_t i = 0; i < 7; i++) {
        char f[16];
        snprintf(f, sizeof(f), "r:%s", keys[i]);
        add(s, f, "7");
    }
    ASSERT_EQ(fs_attr_sums_rows(s, &rows, &n), FS_OK);
    ASSERT_EQ(n, 7);
    const char *want[] = {"A", "B", "_", "a", "ab", "b", "é"};
    for (size_t i = 0; i < 7; i++)
        ASSERT_STR_EQ(rows[i].key, want[i]);
    free(rows);
    fs_attr_sums_destroy(s);
}

static void test_many_keys_grow_the_table(void)
{
    fs_attr_sums_t *s = fs_attr_sums_new();
    fs_attr_row_t *rows;
    size_t n;
    int64_t rev, conv;
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 5000; i++) {
            char f[32], v[32];
            snprintf(f, sizeof(f), "r:campaign-%d", i);
            snprintf(v, sizeof(v), "%d", i);
            add(s, f, v);
        }
    ASSERT_EQ(fs_attr_sums_rows(s, &rows, &n), FS_OK);
    ASSERT_EQ(n, 4999); /* campaign-0 sums to 0 */
    ASSERT_STR_EQ(rows[0].key, "campaign-4999");
    ASSERT_EQ(rows[0].revenue, 9998);
    ASSERT_STR_EQ(rows[4998].key, "campaign-1");
    free(rows);
    fs_attr_sums_total(s, &rev, &conv);
    ASSERT_EQ(rev, 4999LL * 5000);
    fs_attr_sums_destroy(s);
}

static void test_bad_values(void)
{
    fs_attr_sums_t *s = fs_attr_sums_new();
    char err[256];
    int64_t rev, conv;
    const char *bad[] = {
        "12x", "", "-", "1.5", " 1", "+1", "9223372036854775808", "99999999999999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ASSERT_EQ(
            fs_attr_sums_add(s, "r:email", 7, bad[i], strlen(bad[i]), err, sizeof(err)),
            FS_ERR_CORRUPT);
        ASSERT_CONTAINS(err, "field r:email: ");
        ASSERT_CONTAINS(err, "is not an integer");
    }
    add(s, "r:email", "-9223372036854775808"); /* INT64_MIN parses */
    ASSERT_EQ(fs_attr_sums_add(s, "r:email", 7, "-1", 2, err, sizeof(err)),
              FS_ERR_CORRUPT);
    ASSERT_CONTAINS(err, "overflows");
    fs_attr_sums_destroy(s);

    /* Overflow of the total across keys leaves the sums unchanged. */
    s = fs_attr_sums_new();
    add(s, "r:a", "9223372036854775807");
    ASSERT_EQ(fs_attr_sums_add(s, "r:b", 3, "1", 1, err, sizeof(err)), FS_ERR_CORRUPT);
    ASSERT_CONTAINS(err, "field r:b: the sum over the range overflows");
    fs_attr_sums_total(s, &rev, &conv);
    ASSERT_EQ(rev, INT64_MAX);
    fs_attr_sums_get(s, "b", &rev, &conv);
    ASSERT_EQ(rev, 0);
    ASSERT_EQ(fs_attr_sums_add(s, "r:x\0y", 5, "1", 1, err, sizeof(err)), FS_ERR_CORRUPT);
    ASSERT_CONTAINS(err, "NUL");
    fs_attr_sums_destroy(s);
}

/* A report over the docs/funnel-query.md example numbers. */
static fs_attr_sums_t *example(void)
{
    fs_attr_sums_t *s = fs_attr_sums_new();
    add(s, "r:paid_search", "600000");
    add(s, "c:paid_search", "20500000");
    add(s, "r:email", "400000");
    add(s, "c:email", "15000000");
    add(s, "r:\"quoted\", comma", "234567");
    add(s, "c:\"quoted\", comma", "6500000");
    return s;
}

static const char *render(const fs_attr_report_t *r, fs_report_format_t f, fs_buf_t *b)
{
    fs_buf_reset(b);
    ASSERT_EQ(fs_attr_render(r, f, b), FS_OK);
    ASSERT_EQ(fs_buf_append(b, "", 1), FS_OK);
    return (const char *)b->data;
}

static fs_attr_report_t report_of(const fs_attr_sums_t *s)
{
    fs_attr_report_t r = {"linear",          "channel", "USD", day("2026-11-01"),
                          day("2026-11-30"), s,         NULL};
    return r;
}

static void test_json(void)
{
    fs_attr_sums_t *s = example();
    fs_attr_report_t r = report_of(s);
    fs_buf_t b = FS_BUF_INIT;
    ASSERT_STR_EQ(render(&r, FS_REPORT_JSON, &b),
                  "{\"model\":\"linear\",\"by\":\"channel\",\"from\":\"2026-11-01\","
                  "\"to\":\"2026-11-30\",\"currency\":\"USD\","
                  "\"total\":{\"revenue\":\"12345.67\",\"conversions\":\"42.000000\"},"
                  "\"rows\":["
                  "{\"key\":\"paid_search\",\"revenue\":\"6000.00\",\"conversions\":"
                  "\"20.500000\"},"
                  "{\"key\":\"email\",\"revenue\":\"4000.00\",\"conversions\":"
                  "\"15.000000\"},"
                  "{\"key\":\"\\\"quoted\\\", comma\",\"revenue\":\"2345.67\","
                  "\"conversions\":\"6.500000\"}]}\n");
    fs_attr_sums_destroy(s);

    /* Empty range: zeros and no rows. */
    s = fs_attr_sums_new();
    r = report_of(s);
    r.model = "w_shaped";
    r.by = "type";
    r.currency = "EUR";
    ASSERT_STR_EQ(render(&r, FS_REPORT_JSON, &b),
                  "{\"model\":\"w_shaped\",\"by\":\"type\",\"from\":\"2026-11-01\","
                  "\"to\":\"2026-11-30\",\"currency\":\"EUR\","
                  "\"total\":{\"revenue\":\"0.00\",\"conversions\":\"0.000000\"},"
                  "\"rows\":[]}\n");
    ASSERT_STR_EQ(render(&r, FS_REPORT_CSV, &b), "key,revenue,conversions,share\n");
    ASSERT_CONTAINS(render(&r, FS_REPORT_TABLE, &b), "(no conversions in this range)");
    fs_attr_sums_destroy(s);
    fs_buf_free(&b);
}

static void test_csv(void)
{
    fs_attr_sums_t *s = example();
    fs_attr_report_t r = report_of(s);
    fs_buf_t b = FS_BUF_INIT;
    ASSERT_STR_EQ(render(&r, FS_REPORT_CSV, &b),
                  "key,revenue,conversions,share\n"
                  "paid_search,6000.00,20.500000,0.4860\n"
                  "email,4000.00,15.000000,0.3240\n"
                  "\"\"\"quoted\"\", comma\",2345.67,6.500000,0.1900\n");
    fs_attr_sums_destroy(s);

    /* Conversions without revenue: no share. */
    s = fs_attr_sums_new();
    add(s, "c:(direct)", "1000000");
    r = report_of(s);
    ASSERT_STR_EQ(render(&r, FS_REPORT_CSV, &b),
                  "key,revenue,conversions,share\n(direct),0.00,1.000000,\n");
    fs_attr_sums_destroy(s);
    fs_buf_free(&b);
}

static void test_table(void)
{
    fs_attr_sums_t *s = example(), *d = fs_attr_sums_new();
    add(d, "r:marketing", "1000000");
    add(d, "c:marketing", "35500000");
    add(d, "r:unattributed", "234567");
    add(d, "c:unattributed", "6500000");
    fs_attr_report_t r = report_of(s);
    r.departments = d;
    fs_buf_t b = FS_BUF_INIT;
    ASSERT_STR_EQ(render(&r, FS_REPORT_TABLE, &b),
                  "Attribution 2026-11-01 .. 2026-11-30 (UTC, by conversion day), "
                  "linear model, USD, by channel\n"
                  "\n"
                  "channel            revenue    share  conversions\n"
                  "paid_search       6,000.00   48.60%    20.500000\n"
                  "email             4,000.00   32.40%    15.000000\n"
                  "\"quoted\", comma   2,345.67   19.00%     6.500000\n"
                  "------------------------------------------------\n"
                  "total            12,345.67  100.00%    42.000000\n"
                  "\n"
                  "by department\n"
                  "marketing        10,000.00   81.00%    35.500000\n"
                  "sales                 0.00    0.00%     0.000000\n"
                  "unattributed      2,345.67   19.00%     6.500000\n");

    /* by department: the rows are the subtotals, no second block. */
    r.by = "department";
    r.sums = d;
    const char *t = render(&r, FS_REPORT_TABLE, &b);
    ASSERT_CONTAINS(t, "department      revenue    share  conversions\n"
                       "marketing     10,000.00   81.00%    35.500000\n"
                       "unattributed   2,345.67   19.00%     6.500000\n"
                       "---------------------------------------------\n"
                       "total         12,345.67  100.00%    42.000000\n");
    ASSERT(!strstr(t, "\nby department\n"));

    /* A definition file with another department: "other" closes the sum. */
    add(d, "r:support", "1");
    r.by = "channel";
    r.sums = s;
    ASSERT_CONTAINS(render(&r, FS_REPORT_TABLE, &b), "\nother ");

    /* Control bytes of a stored label never reach the terminal, shown as
     * "\x1b" (4 columns each); accents and wide characters align. */
    fs_attr_sums_t *c = fs_attr_sums_new();
    add(c, "r:\x1b[31mred", "300");
    add(c, "r:café", "200");
    add(c, "r:日本", "100");
    r.sums = c;
    r.departments = NULL;
    t = render(&r, FS_REPORT_TABLE, &b);
    ASSERT_CONTAINS(t, "channel      revenue    share  conversions\n"
                       "\\x1b[31mred     3.00   50.00%     0.000000\n"
                       "café            2.00   33.33%     0.000000\n"
                       "日本            1.00   16.67%     0.000000\n");
    ASSERT(!strchr(t, '\x1b'));
    fs_attr_sums_destroy(c);
    fs_attr_sums_destroy(d);
    fs_attr_sums_destroy(s);
    fs_buf_free(&b);
}

static void test_csv_field(void)
{
    fs_buf_t b = FS_BUF_INIT;
    ASSERT_EQ(fs_report_csv_field(&b, "plain"), FS_OK);
    ASSERT_EQ(fs_report_csv_field(&b, "|a,b|"), FS_OK);
    ASSERT_EQ(fs_report_csv_field(&b, "x\"y"), FS_OK);
    ASSERT_EQ(fs_report_csv_field(&b, "l\nf"), FS_OK);
    ASSERT_EQ(fs_report_csv_field(&b, "=1+1"), FS_OK);
    ASSERT_EQ(fs_buf_append(&b, "", 1), FS_OK);
    /* (common/event/fs_text.c and tests/unit/test_text.c have the whole table) */
    ASSERT_STR_EQ((const char *)b.data, "plain\"|a,b|\"\"x\"\"y\"l\\x0af'=1+1");
    fs_buf_free(&b);
}

int main(void)
{
    RUN(test_decimal);
    RUN(test_share);
    RUN(test_option_checks);
    RUN(test_sums_and_order);
    RUN(test_ties_are_bytewise);
    RUN(test_many_keys_grow_the_table);
    RUN(test_bad_values);
    RUN(test_json);
    RUN(test_csv);
    RUN(test_table);
    RUN(test_csv_field);
    return 0;
}
