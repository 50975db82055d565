/* Unit tests of the small core modules: buffers, URLs, log levels, errors,
 * the string map. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_buf.h"
#include "fs_day.h"
#include "fs_err.h"
#include "fs_log.h"
#include "fs_str.h"
#include "fs_strmap.h"
#include "fs_url.h"
#include "fs_test.h"

/* fs_strmap against a plain array: keys of every length from 0 to 40
 * (many sharing prefixes, so a lookup of a prefix must not match a longer
 * key; short ones repeat), overwritten values, absent keys, growth from 64
 * slots to 32 Ki,
 * iteration. */
static void test_strmap(void)
{
    enum { N = 20000 };
    static char keys[N][48];
    static int vals[N];
    fs_strmap_t *m = fs_strmap_new();
    ASSERT(m);
    unsigned r = 12345;
    for (int i = 0; i < N; i++) {
        r = r * 1103515245u + 12345u;
        size_t len = (r >> 16) % 41;
        for (size_t k = 0; k < len; k++) { /* 3 letters: short keys repeat */
            r = r * 1103515245u + 12345u;
            keys[i][k] = (char)('a' + (r >> 24) % 3);
        }
        keys[i][len] = '\0';
    }
    size_t distinct = 0;
    for (int i = 0; i < N; i++) {
        if (!fs_strmap_get(m, keys[i]))
            distinct++;
        vals[i] = i;
        ASSERT_EQ(fs_strmap_put(m, keys[i], &vals[i]), FS_OK);
    }
    ASSERT_EQ(fs_strmap_count(m), distinct);
    for (int i = 0; i < N; i++) {
        int *v = fs_strmap_get(m, keys[i]);
        ASSERT(v);
        ASSERT_STR_EQ(keys[*v], keys[i]); /* an equal key's value... */
        if (i % 50)
            continue;
        for (int j = i + 1; j < N; j++) /* ...the last one put */
            if (!strcmp(keys[j], keys[i]))
                ASSERT(*v >= j);
        size_t len = strlen(keys[i]);
        char longer[64];
        snprintf(longer, sizeof(longer), "%s#", keys[i]);
        ASSERT(!fs_strmap_get(m, longer));
        ASSERT(fs_strmap_getn(m, longer, len) == v); /* a prefix by length */
    }
    size_t pos = 0, seen = 0;
    const char *k;
    void *v;
    while (fs_strmap_next(m, &pos, &k, &v)) {
        ASSERT(fs_strmap_get(m, k) == v);
        seen++;
    }
    ASSERT_EQ(seen, distinct);
    fs_strmap_destroy(m);
}

static void test_buf(void)
{
    fs_buf_t b = FS_BUF_INIT;
    for (int i = 0; i < 1000; i++)
        ASSERT_EQ(fs_buf_printf(&b, "%d,", i), FS_OK);
    ASSERT_EQ(b.len, 3890);
    ASSERT(b.data[b.len - 1] == ',');
    ASSERT_EQ(fs_buf_append(&b, "", 0), FS_OK);
    fs_buf_reset(&b);
    ASSERT_EQ(b.len, 0);
    ASSERT_EQ(fs_buf_puts(&b, "abc"), FS_OK);
    ASSERT_EQ(b.len, 3);
    fs_buf_free(&b);
    ASSERT(b.data == NULL);
    fs_buf_free(&b); /* twice is harmless */

    /* fs_buf_put_i64 writes what printf("%" PRId64) would */
    const int64_t vals[] = {0, 7, -5, 1234567890123, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        char want[32];
        snprintf(want, sizeof(want), "%" PRId64, vals[i]);
        fs_buf_reset(&b);
        ASSERT_EQ(fs_buf_put_i64(&b, vals[i]), FS_OK);
        ASSERT_EQ(b.len, strlen(want));
        ASSERT(memcmp(b.data, want, b.len) == 0);
    }
    fs_buf_free(&b);
}

static void test_hostport(void)
{
    fs_hostport_t hp;
    char err[128];
    ASSERT_EQ(fs_hostport_parse("127.0.0.1:8080", &hp, err, sizeof(err)), FS_OK);
    ASSERT_STR_EQ(hp.host, "127.0.0.1");
    ASSERT_EQ(hp.port, 8080);
    ASSERT_EQ(fs_hostport_parse(":9", &hp, err, sizeof(err)), FS_OK);
    ASSERT_STR_EQ(hp.host, "");
    ASSERT_EQ(fs_hostport_parse("[::1]:443", &hp, err, sizeof(err)), FS_OK);
    ASSERT_STR_EQ(hp.host, "::1");
    ASSERT_EQ(fs_hostport_parse("host", &hp, err, sizeof(err)), FS_ERR_INVALID);
    ASSERT_CONTAINS(err, "missing");
    ASSERT_EQ(fs_hostport_parse("h:65536", &hp, err, sizeof(err)), FS_ERR_INVALID);
    ASSERT_CONTAINS(err, "65536 outside 1..65535");
    ASSERT_EQ(fs_hostport_parse("h:12a", &hp, err, sizeof(err)), FS_ERR_INVALID);
    ASSERT_EQ(fs_hostport_parse("[::1:80", &hp, err, sizeof(err)), FS_ERR_INVALID);
}

static void test_redis_url(void)
{
    fs_redis_url_t u;
    char err[128];
    ASSERT_EQ(fs_redis_url_parse("redis://127.0.0.1:6380/2", &u, err, sizeof(err)),
              FS_OK);
    ASSERT_STR_EQ(u.host, "127.0.0.1");
    ASSERT_EQ(u.port, 6380);
    ASSERT_EQ(u.db, 2);
    ASSERT_EQ(fs_redis_url_parse("redis://localhost", &u, err, sizeof(err)), FS_OK);
    ASSERT_EQ(u.port, 6379);
    ASSERT_EQ(u.db, 0);
    ASSERT_EQ(fs_redis_url_parse("redis://w:p%40ss@h:1/0", &u, err, sizeof(err)), FS_OK);
    ASSERT_STR_EQ(u.username, "w");
    ASSERT_STR_EQ(u.password, "p@ss");
    ASSERT_STR_EQ(u.host, "h");
    ASSERT_EQ(fs_redis_url_parse("redis://:secret@h", &u, err, sizeof(err)), FS_OK);
    ASSERT_STR_EQ(u.password, "secret");
    ASSERT_STR_EQ(u.username, "");
    ASSERT_EQ(fs_redis_url_parse("unix:///run/redis.sock?db=3", &u, err, sizeof(err)),
              FS_OK);
    ASSERT_STR_EQ(u.unix_path, "/run/redis.sock");
    ASSERT_EQ(u.db, 3);
    ASSERT_EQ(fs_redis_url_parse("redis://", &u, err, sizeof(err)), FS_ERR_INVALID);
    ASSERT_CONTAINS(err, "missing host");
    ASSERT_EQ(fs_redis_url_parse("redis://h/x", &u, err, sizeof(err)), FS_ERR_INVALID);
    ASSERT_CONTAINS(err, "database");
    ASSERT_EQ(fs_redis_url_parse("redis://u:%4@h", &u, err, sizeof(err)), FS_ERR_INVALID);
    ASSERT_EQ(fs_redis_url_parse("redis://u:%4", &u, err, sizeof(err)), FS_ERR_INVALID);
    ASSERT_EQ(fs_redis_url_parse("redis://h:0", &u, err, sizeof(err)), FS_ERR_INVALID);
}

static void test_log(void)
{
    fs_log_level_t lvl;
    ASSERT_EQ(fs_log_level_parse("WARN", &lvl), FS_OK);
    ASSERT_EQ(lvl, FS_LOG_WARN);
    ASSERT_EQ(fs_log_level_parse("loud", &lvl), FS_ERR_INVALID);

    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    fs_log_t *lg = fs_log_new("t", FS_LOG_INFO, 1, m);
    FS_DEBUG(lg, "hidden %d", 1);
    FS_WARN(lg, "say \"%s\"\n", "hi");
    fs_log_destroy(lg);
    fclose(m);
    ASSERT(!strstr(buf, "hidden"));
    ASSERT_CONTAINS(buf, "\"level\":\"warn\"");
    ASSERT_CONTAINS(buf, "\"msg\":\"say \\\"hi\\\"\\u000a\"");
    free(buf);
    fs_log_destroy(NULL);
}

static void test_err(void)
{
    for (int e = 0; e < FS_ERR__COUNT; e++)
        ASSERT(strcmp(fs_err2str((fs_err_t)e), "unknown error") != 0);
    ASSERT(fs_err_is_retriable(FS_ERR_TRANSIENT));
    ASSERT(!fs_err_is_retriable(FS_ERR_INVALID));
}

static void test_day(void)
{
    char out[11];
    int64_t d;
    ASSERT_EQ(fs_day_from_ms(0), 0);
    ASSERT_EQ(fs_day_from_ms(-1), -1);
    ASSERT_EQ(fs_day_from_ms(FS_DAY_MS - 1), 0);
    fs_day_format(0, out);
    ASSERT_STR_EQ(out, "1970-01-01");
    /* 2026-11-27T05:12:01Z = 1795756321 s (date -u -d @1795756321) */
    fs_day_format(fs_day_from_ms(1795756321000LL), out);
    ASSERT_STR_EQ(out, "2026-11-27");
    ASSERT_EQ(fs_day_parse("2000-02-29", &d), FS_OK);
    fs_day_format(d, out);
    ASSERT_STR_EQ(out, "2000-02-29");
    ASSERT_EQ(d, 11016);
    ASSERT_EQ(fs_day_parse("1900-02-29", &d), FS_ERR_INVALID);
    ASSERT_EQ(fs_day_parse("2026-13-01", &d), FS_ERR_INVALID);
    ASSERT_EQ(fs_day_parse("2026-04-31", &d), FS_ERR_INVALID);
    ASSERT_EQ(fs_day_parse("2026-4-01", &d), FS_ERR_INVALID);
    ASSERT_EQ(fs_day_parse("2026-04-011", &d), FS_ERR_INVALID);
    /* every day of 1999..2031 round-trips */
    int64_t first, last;
    ASSERT_EQ(fs_day_parse("1999-01-01", &first), FS_OK);
    ASSERT_EQ(fs_day_parse("2031-12-31", &last), FS_OK);
    for (int64_t x = first; x <= last; x++) {
        fs_day_format(x, out);
        ASSERT_EQ(fs_day_parse(out, &d), FS_OK);
        ASSERT_EQ(d, x);
    }
    /* Every 13th day of years 0000..9999 round-trips; beyond, the year
     * is clamped. */
    int64_t y0 = fs_day_from_civil(0, 1, 1), y9 = fs_day_from_civil(9999, 12, 31);
    for (int64_t x = y0 - 400; x <= y9 + 400; x += 13) {
        fs_day_format(x, out);
        ASSERT_EQ(strlen(out), 10);
        if (x < y0)
            ASSERT(memcmp(out, "0000-", 5) == 0);
        else if (x > y9)
            ASSERT(memcmp(out, "9999-", 5) == 0);
        else {
            ASSERT_EQ(fs_day_parse(out, &d), FS_OK);
            ASSERT_EQ(d, x);
        }
    }
}

/* fs_str_cat against snprintf("%s%s%s") at every buffer size around the
 * result's length, including 0 and truncation in each part. */
static void test_str_cat(void)
{
    const char *parts[][3] = {{"", "", ""},
                              {"s:", "action", ""},
                              {"sc:", "awareness", ":paid_search"},
                              {"\xc3\xa9t\xc3\xa9", ":", "x"}};
    for (size_t p = 0; p < sizeof(parts) / sizeof(parts[0]); p++) {
        for (size_t size = 0; size < 32; size++) {
            char want[32], got[32];
            memset(want, '#', sizeof(want));
            memset(got, '#', sizeof(got));
            int wn = snprintf(size ? want : NULL, size, "%s%s%s", parts[p][0],
                              parts[p][1], parts[p][2]);
            size_t gn = fs_str_cat(size ? got : NULL, size, parts[p][0], parts[p][1],
                                   parts[p][2], NULL);
            ASSERT_EQ(gn, (size_t)wn);
            ASSERT(memcmp(want, got, sizeof(want)) == 0); /* nothing past the NUL */
        }
    }
    char one[8];
    ASSERT_EQ(fs_str_cat(one, sizeof(one), NULL), 0);
    ASSERT_STR_EQ(one, "");
    /* As many parts as the worker's longest key, cut in the sixth. */
    char attr[64], want[64];
    for (size_t size = 1; size <= sizeof(attr); size += 7) {
        int wn = snprintf(want, size, "attr:%s:%s:%s:%s", "2026-11-27", "linear",
                          "channel", "EUR");
        size_t gn = fs_str_cat(attr, size, "attr:", "2026-11-27", ":", "linear", ":",
                               "channel", ":", "EUR", NULL);
        ASSERT_EQ(gn, (size_t)wn);
        ASSERT_STR_EQ(attr, want);
    }
}

int main(void)
{
    RUN(test_day);
    RUN(test_str_cat);
    RUN(test_buf);
    RUN(test_strmap);
    RUN(test_hostport);
    RUN(test_redis_url);
    RUN(test_log);
    RUN(test_err);
    return 0;
}
