/*
 * test_log_fields.c — structured fields of fs_log records, text and JSON,
 * and the JSON form of a record too long for one line.
 */
#include <stdlib.h>
#include <string.h>

#include "fs_log.h"
#include "fs_prom.h"
#include "fs_test.h"

static char *capture(int json, const fs_log_field_t *f, size_t nf, const char *msg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    ASSERT(m);
    fs_log_t *lg = fs_log_new("t", FS_LOG_INFO, json, m);
    FS_LOG_FIELDS(lg, FS_LOG_WARN, f, nf, "%s", msg);
    FS_LOG_FIELDS(lg, FS_LOG_DEBUG, f, nf, "hidden");
    fs_log_destroy(lg);
    fclose(m);
    return buf;
}

static void test_fields(void)
{
    fs_log_field_t f[] = {
        {"topic", "a\"b", 0}, {"partition", NULL, 3}, {"offset", NULL, -1}};
    char *j = capture(1, f, 3, "dead letter");
    ASSERT(!strstr(j, "hidden"));
    ASSERT_CONTAINS(j, "\"msg\":\"dead letter\",\"topic\":\"a\\\"b\",\"partition\":3,"
                       "\"offset\":-1}\n");
    free(j);
    char *t = capture(0, f, 3, "dead letter");
    ASSERT_CONTAINS(t, "warn  dead letter topic=a\"b partition=3 offset=-1\n");
    free(t);
}

static void test_long_record_stays_json(void)
{
    char big[3000];
    memset(big, '"', sizeof(big) - 1); /* each escapes to two bytes */
    big[sizeof(big) - 1] = '\0';
    fs_log_field_t f[] = {{"k", big, 0}};
    char *j = capture(1, f, 1, big);
    size_t n = strlen(j);
    ASSERT(n > 2 && j[n - 1] == '\n' && j[n - 2] == '}');
    ASSERT_EQ(strchr(j, '\n') - j, (long long)n - 1); /* one line */
    ASSERT_CONTAINS(j, "\"truncated\":true}");
    free(j);
}

static void test_prom_histogram(void)
{
    static const double bounds[] = {0.01, 0.1};
    fs_prom_hist_t h;
    memset(&h, 0, sizeof(h));
    fs_prom_hist_init(&h, bounds, 2);
    fs_prom_hist_observe(&h, 0.005);
    fs_prom_hist_observe(&h, 0.05);
    fs_prom_hist_observe(&h, 3);
    fs_buf_t b = FS_BUF_INIT;
    ASSERT_EQ(fs_prom_hist_render(&h, "x_seconds", "help.", &b), FS_OK);
    ASSERT_EQ(fs_buf_append(&b, "", 1), FS_OK);
    ASSERT_STR_EQ((const char *)b.data,
                  "# HELP x_seconds help.\n# TYPE x_seconds histogram\n"
                  "x_seconds_bucket{le=\"0.01\"} 1\n"
                  "x_seconds_bucket{le=\"0.1\"} 2\n"
                  "x_seconds_bucket{le=\"+Inf\"} 3\n"
                  "x_seconds_sum 3.055000\nx_seconds_count 3\n");
    fs_buf_free(&b);
}

int main(void)
{
    test_fields();
    test_long_record_stays_json();
    test_prom_histogram();
    return 0;
}
