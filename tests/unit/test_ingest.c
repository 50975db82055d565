/*
 * test_ingest.c — unit tests of funnel-ingest's pure modules: lines.c,
 * ackwin.c, tally.c, event_id.c and checkpoint.c.  No broker needed.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "ackwin.h"
#include "checkpoint.h"
#include "event_id.h"
#include "fs_test.h"
#include "lines.h"
#include "tally.h"

/* ------------------------------------------------------------ ids ---- */

static void hex20(const uint8_t d[20], char out[41])
{
    for (int i = 0; i < 20; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void test_sha1_vectors(void)
{
    uint8_t d[20];
    char hex[41];
    fs_sha1("abc", 3, d);
    hex20(d, hex);
    ASSERT_STR_EQ(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
    fs_sha1("", 0, d);
    hex20(d, hex);
    ASSERT_STR_EQ(hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    fs_sha1(m, strlen(m), d);
    hex20(d, hex);
    ASSERT_STR_EQ(hex, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    /* One million 'a' (FIPS 180 test), fed in uneven pieces. */
    static char a[1000];
    memset(a, 'a', sizeof(a));
    fs_sha1_ctx_t c;
    fs_sha1_init(&c);
    for (size_t fed = 0, step = 1; fed < 1000000; step = step % 997 + 1) {
        size_t n = step < 1000000 - fed ? step : 1000000 - fed;
        fs_sha1_update(&c, a, n);
        fed += n;
    }
    fs_sha1_final(&c, d);
    hex20(d, hex);
    ASSERT_STR_EQ(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

static void test_event_id_matches_python_uuid5(void)
{
    /* Expected values from Python: uuid.uuid5(uuid.UUID(FS_INGEST_ID_NAMESPACE_STR),
     * f"{ns}\n{n}\n{line}") — the documented rule, computed independently. */
    const char *line = "{\"type\":\"ad_click\",\"user_id\":\"u1\"}";
    char id[FS_INGEST_ID_STRLEN + 1];
    fs_ingest_event_id("", 1, line, strlen(line), id);
    ASSERT_STR_EQ(id, "bf654f1a-bb9e-5805-ad0c-c93972533cb9");
    fs_ingest_event_id("", 2, line, strlen(line), id);
    ASSERT_STR_EQ(id, "75384658-ace9-51db-9bd7-53e23941e17d");
    fs_ingest_event_id("shop-2026-11", 1, line, strlen(line), id);
    ASSERT_STR_EQ(id, "041a782a-22dd-5ae3-9a7c-8daf215fb361");
    fs_ingest_event_id("", 12345678901ULL, "\xc3\xa9t\xc3\xa9", 5, id);
    ASSERT_STR_EQ(id, "13a723b2-1089-50c3-abc6-377a8e9d8dee");
}

static void test_event_id_stable_and_distinct(void)
{
    char a[FS_INGEST_ID_STRLEN + 1], b[FS_INGEST_ID_STRLEN + 1];
    const char *line = "{\"type\":\"page_view\",\"anonymous_id\":\"a\"}";
    fs_ingest_event_id("", 7, line, strlen(line), a);
    for (int i = 0; i < 100; i++) { /* same input, same id: the resume guarantee */
        fs_ingest_event_id("", 7, line, strlen(line), b);
        ASSERT_STR_EQ(a, b);
    }
    ASSERT_EQ(strlen(a), 36);
    ASSERT_EQ(a[14], '5');                            /* version 5 */
    ASSERT(strchr("89ab", a[19]) != NULL);            /* RFC variant */
    fs_ingest_event_id("", 8, line, strlen(line), b); /* same text, another line */
    ASSERT(strcmp(a, b) != 0);
    fs_ingest_event_id("", 7, line, strlen(line) - 1, b); /* one byte less */
    ASSERT(strcmp(a, b) != 0);
    fs_ingest_event_id("x", 7, line, strlen(line), b); /* another namespace */
    ASSERT(strcmp(a, b) != 0);
    /* "1" + "2\n..." must not collide with "12" + "\n...": the separator is there. */
    fs_ingest_event_id("1", 2, "x", 1, a);
    fs_ingest_event_id("", 12, "x", 1, b);
    ASSERT(strcmp(a, b) != 0);
}

/* ---------------------------------------------------------- lines ---- */

typedef struct got {
    char text[256];
    size_t len, total;
    uint64_t no, start, end;
    int overlong;
} got_t;

/* Splits @p in fed in chunks of @p step bytes (0: all at once). */
static size_t split(const char *in, size_t len, size_t step, size_t max_len, got_t *out,
                    size_t max_out)
{
    fs_lines_t ls;
    fs_lines_init(&ls, max_len, 0, 0);
    size_t n = 0, fed = 0;
    for (;;) {
        size_t c = step && step < len - fed ? step : len - fed;
        int eof = c == 0;
        size_t pos = 0;
        fs_line_t l;
        int r;
        while ((r = fs_lines_next(&ls, in + fed, c, &pos, eof, &l)) == 1) {
            ASSERT_LT(n, max_out);
            got_t *g = &out[n++];
            ASSERT_LT(l.len, sizeof(g->text));
            memcpy(g->text, l.text, l.len);
            g->text[l.len] = '\0';
            g->len = l.len;
            g->total = l.total;
            g->no = l.line_no;
            g->start = l.start;
            g->end = l.end;
            g->overlong = l.overlong;
        }
        ASSERT_EQ(r, 0);
        ASSERT_EQ(pos, c);
        fed += c;
        if (eof)
            break;
    }
    fs_lines_free(&ls);
    return n;
}

static void test_lines_chunk_boundaries(void)
{
    const char *in = "{\"a\":1}\n\n  \r\n{\"b\":2}\r\nlast-no-newline";
    size_t len = strlen(in);
    got_t ref[8], g[8];
    size_t n = split(in, len, 0, 100, ref, 8);
    ASSERT_EQ(n, 5);
    ASSERT_STR_EQ(ref[0].text, "{\"a\":1}");
    ASSERT_EQ(ref[0].start, 0);
    ASSERT_EQ(ref[0].end, 8);
    ASSERT_STR_EQ(ref[1].text, "");
    ASSERT_STR_EQ(ref[2].text, "  "); /* the CR belongs to the terminator */
    ASSERT(fs_lines_blank(ref[2].text, ref[2].len));
    ASSERT_STR_EQ(ref[3].text, "{\"b\":2}");
    ASSERT_EQ(ref[3].end, 22);
    ASSERT_STR_EQ(ref[4].text, "last-no-newline");
    ASSERT_EQ(ref[4].end, len);
    for (size_t i = 0; i < n; i++) {
        ASSERT_EQ(ref[i].no, i + 1);
        ASSERT_EQ(ref[i].start, i ? ref[i - 1].end : 0);
    }
    /* Every chunk size gives exactly the same lines and offsets. */
    for (size_t step = 1; step <= len; step++) {
        ASSERT_EQ(split(in, len, step, 100, g, 8), n);
        for (size_t i = 0; i < n; i++) {
            ASSERT_STR_EQ(g[i].text, ref[i].text);
            ASSERT_EQ(g[i].start, ref[i].start);
            ASSERT_EQ(g[i].end, ref[i].end);
            ASSERT_EQ(g[i].no, ref[i].no);
        }
    }
    ASSERT_EQ(split("", 0, 0, 100, g, 8), 0);
    ASSERT_EQ(split("x\n", 2, 1, 100, g, 8), 1); /* no phantom line after the last \n */
}

static void test_lines_overlong(void)
{
    const size_t max = FS_LINES_MAX_LEN;
    size_t len = 3 * max + 64;
    char *in = malloc(len);
    ASSERT(in != NULL);
    /* line 1: exactly max bytes (accepted); line 2: max + 1 (overlong);
     * line 3: max bytes + CRLF (accepted); line 4: "ok". */
    size_t o = 0;
    memset(in + o, 'a', max), o += max, in[o++] = '\n';
    memset(in + o, 'b', max + 1), o += max + 1, in[o++] = '\n';
    memset(in + o, 'c', max), o += max, in[o++] = '\r', in[o++] = '\n';
    memcpy(in + o, "ok\n", 3), o += 3;
    static const size_t steps[] = {0, 1000, 4096, 65536, 65537, 7};
    for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
        fs_lines_t ls;
        fs_lines_init(&ls, max, 0, 0);
        fs_line_t l;
        uint64_t nlines = 0, fed = 0;
        for (;;) {
            size_t c = steps[s] && steps[s] < o - fed ? steps[s] : o - fed;
            size_t pos = 0;
            int r;
            while ((r = fs_lines_next(&ls, in + fed, c, &pos, c == 0, &l)) == 1) {
                nlines++;
                ASSERT_LE(l.len, max);
                switch (nlines) {
                case 1:
                    ASSERT(!l.overlong);
                    ASSERT_EQ(l.len, max);
                    break;
                case 2:
                    ASSERT(l.overlong);
                    ASSERT_EQ(l.total, max + 1);
                    ASSERT_EQ(l.len, max);
                    ASSERT_EQ(l.text[0], 'b');
                    ASSERT_EQ(l.end, 2 * max + 3);
                    break;
                case 3:
                    ASSERT(!l.overlong);
                    ASSERT_EQ(l.total, max);
                    ASSERT_EQ(l.text[max - 1], 'c');
                    break;
                case 4:
                    ASSERT_EQ(l.len, 2);
                    ASSERT(!memcmp(l.text, "ok", 2));
                    ASSERT_EQ(l.end, o);
                    break;
                }
            }
            ASSERT_EQ(r, 0);
            fed += c;
            if (c == 0)
                break;
        }
        ASSERT_EQ(nlines, 4);
        fs_lines_free(&ls);
    }
    free(in);
}

static void test_lines_resume_numbering(void)
{
    fs_lines_t ls;
    fs_lines_init(&ls, 100, 1000, 41); /* resuming after line 41 at byte 1000 */
    size_t pos = 0;
    fs_line_t l;
    ASSERT_EQ(fs_lines_next(&ls, "x\ny\n", 4, &pos, 0, &l), 1);
    ASSERT_EQ(l.line_no, 42);
    ASSERT_EQ(l.start, 1000);
    ASSERT_EQ(l.end, 1002);
    fs_lines_free(&ls);
}

/* --------------------------------------------------------- ackwin ---- */

static void test_ackwin_out_of_order(void)
{
    fs_ackwin_mark_t start = {0, 0};
    fs_ackwin_t *w = fs_ackwin_new(8, start);
    ASSERT(w != NULL);
    uint64_t s[6];
    /* Lines 1..6, each 10 bytes; line 3 is blank (no message). */
    ASSERT_EQ(fs_ackwin_push(w, 10, 1, &s[0]), FS_OK);
    ASSERT_EQ(fs_ackwin_push(w, 20, 2, &s[1]), FS_OK);
    ASSERT_EQ(fs_ackwin_skip(w, 30, 3), FS_OK);
    ASSERT_EQ(fs_ackwin_push(w, 40, 4, &s[3]), FS_OK);
    ASSERT_EQ(fs_ackwin_push(w, 50, 5, &s[4]), FS_OK);
    ASSERT_EQ(fs_ackwin_pending(w), 4);
    /* Acks arrive from different partitions in another order. */
    ASSERT_EQ(fs_ackwin_ack(w, s[4], 1), FS_OK);
    ASSERT_EQ(fs_ackwin_mark(w).line, 0); /* line 5 done, 1 not: no progress */
    ASSERT_EQ(fs_ackwin_ack(w, s[1], 1), FS_OK);
    ASSERT_EQ(fs_ackwin_mark(w).line, 0);
    ASSERT_EQ(fs_ackwin_ack(w, s[0], 1), FS_OK);
    ASSERT_EQ(fs_ackwin_mark(w).line, 3); /* 1, 2 and the blank 3 */
    ASSERT_EQ(fs_ackwin_mark(w).offset, 30);
    ASSERT_EQ(fs_ackwin_ack(w, s[0], 1), FS_ERR_NOT_FOUND); /* repeated report */
    ASSERT_EQ(fs_ackwin_ack(w, 999, 1), FS_ERR_NOT_FOUND);
    ASSERT_EQ(fs_ackwin_ack(w, s[3], 1), FS_OK);
    ASSERT_EQ(fs_ackwin_mark(w).line, 5); /* 4 released 5, acked earlier */
    ASSERT_EQ(fs_ackwin_mark(w).offset, 50);
    ASSERT_EQ(fs_ackwin_pending(w), 0);
    /* Nothing outstanding: a blank line moves the mark at once. */
    ASSERT_EQ(fs_ackwin_skip(w, 51, 6), FS_OK);
    ASSERT_EQ(fs_ackwin_mark(w).line, 6);
    fs_ackwin_destroy(w);
    fs_ackwin_destroy(NULL);
}

static void test_ackwin_failure_blocks_and_full(void)
{
    fs_ackwin_mark_t start = {500, 20};       /* resumed */
    fs_ackwin_t *w = fs_ackwin_new(3, start); /* rounded up to 4 */
    uint64_t a, b, c, d, e;
    ASSERT_EQ(fs_ackwin_mark(w).offset, 500);
    ASSERT_EQ(fs_ackwin_push(w, 510, 21, &a), FS_OK);
    ASSERT_EQ(fs_ackwin_push(w, 520, 22, &b), FS_OK);
    ASSERT_EQ(fs_ackwin_push(w, 530, 23, &c), FS_OK);
    ASSERT_EQ(fs_ackwin_push(w, 540, 24, &d), FS_OK);
    ASSERT(fs_ackwin_full(w));
    ASSERT_EQ(fs_ackwin_push(w, 550, 25, &e), FS_ERR_TRANSIENT);
    ASSERT_EQ(fs_ackwin_skip(w, 550, 25), FS_ERR_TRANSIENT);
    ASSERT_EQ(fs_ackwin_ack(w, a, 1), FS_OK);
    ASSERT(!fs_ackwin_full(w));
    ASSERT_EQ(fs_ackwin_ack(w, b, 0), FS_OK); /* delivery failed */
    ASSERT_EQ(fs_ackwin_ack(w, c, 1), FS_OK);
    ASSERT_EQ(fs_ackwin_ack(w, d, 1), FS_OK);
    /* The mark never passes the failed line: a resume sends it again. */
    ASSERT_EQ(fs_ackwin_mark(w).line, 21);
    ASSERT_EQ(fs_ackwin_mark(w).offset, 510);
    ASSERT_EQ(fs_ackwin_failed(w), 1);
    ASSERT_EQ(fs_ackwin_pending(w), 0);
    fs_ackwin_destroy(w);
}

static void test_ackwin_random_order(void)
{
    /* 10000 lines acknowledged in a shuffled order: after each ack the mark
     * is exactly the longest acknowledged prefix. */
    enum { N = 10000 };
    static uint64_t seq[N], order[N];
    static unsigned char done[N];
    fs_ackwin_mark_t start = {0, 0};
    fs_ackwin_t *w = fs_ackwin_new(N, start);
    for (uint64_t i = 0; i < N; i++) {
        ASSERT_EQ(fs_ackwin_push(w, (i + 1) * 7, i + 1, &seq[i]), FS_OK);
        order[i] = i;
    }
    uint64_t x = 88172645463325252ULL;
    for (uint64_t i = N - 1; i > 0; i--) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint64_t j = x % (i + 1), t = order[i];
        order[i] = order[j], order[j] = t;
    }
    uint64_t prefix = 0;
    for (uint64_t k = 0; k < N; k++) {
        ASSERT_EQ(fs_ackwin_ack(w, seq[order[k]], 1), FS_OK);
        done[order[k]] = 1;
        while (prefix < N && done[prefix])
            prefix++;
        ASSERT_EQ(fs_ackwin_mark(w).line, prefix);
        ASSERT_EQ(fs_ackwin_mark(w).offset, prefix * 7);
    }
    fs_ackwin_destroy(w);
}

/* ---------------------------------------------------------- tally ---- */

static void test_tally_reasons(void)
{
    char c[FS_TALLY_CLASS_MAX + 1];
    fs_tally_reason_class("occurred_at: more than 24h in the future", c);
    ASSERT_STR_EQ(c, "occurred_at");
    fs_tally_reason_class("type: required; user_id: too long", c);
    ASSERT_STR_EQ(c, "type");
    fs_tally_reason_class("no colon here", c);
    ASSERT_STR_EQ(c, "event");
    fs_tally_reason_class("bad\x01key: unknown field", c);
    ASSERT_STR_EQ(c, "bad?key");

    fs_tally_t t;
    fs_tally_init(&t, 0, 0);
    for (int i = 0; i < 3; i++)
        fs_tally_reject(&t, "type: unknown event type \"x\"");
    for (int i = 0; i < 5; i++)
        fs_tally_reject(&t, "occurred_at: before 2000-01-01");
    fs_tally_reject(&t, "event: not valid JSON");
    fs_tally_reject(&t, "currency: must be 3 upper-case letters");
    fs_tally_reject(&t, "anonymous_id: required");
    fs_tally_sort(&t);
    ASSERT_EQ(t.rejected, 11);
    ASSERT_EQ(t.nreasons, 5);
    ASSERT_STR_EQ(t.reasons[0].name, "occurred_at");
    ASSERT_EQ(t.reasons[0].count, 5);
    ASSERT_STR_EQ(t.reasons[1].name, "type");
    ASSERT_EQ(t.reasons[1].count, 3);
    /* Ties by name. */
    ASSERT_STR_EQ(t.reasons[2].name, "anonymous_id");
    ASSERT_STR_EQ(t.reasons[3].name, "currency");
    ASSERT_STR_EQ(t.reasons[4].name, "event");
}

static void test_tally_class_bound(void)
{
    fs_tally_t t;
    fs_tally_init(&t, 0, 0);
    char err[64];
    for (int i = 0; i < 1000; i++) { /* unknown fields chosen by the input */
        snprintf(err, sizeof(err), "field%d: unknown field", i);
        fs_tally_reject(&t, err);
    }
    fs_tally_reject(&t, "field3: unknown field");
    ASSERT_EQ(t.nreasons, FS_TALLY_MAX_CLASSES + 1);
    uint64_t sum = 0;
    for (size_t i = 0; i < t.nreasons; i++)
        sum += t.reasons[i].count;
    ASSERT_EQ(sum, 1001);
    fs_tally_sort(&t);
    ASSERT_STR_EQ(t.reasons[0].name, "(other)");
    ASSERT_EQ(t.reasons[0].count, 1000 - FS_TALLY_MAX_CLASSES);
}

static void test_tally_rate_eta_progress(void)
{
    fs_tally_t t;
    fs_tally_init(&t, 1000, 10); /* resumed at byte 1000 */
    t.bytes = 4000;
    t.accepted = 90;
    t.rejected = 10;
    ASSERT_EQ((long long)fs_tally_rate(&t, 2.0), 50);
    ASSERT_EQ((long long)fs_tally_rate(&t, 0), 0);
    /* 4000 bytes in 2 s; 5000 left of 10000 → 2.5 s. */
    double eta = fs_tally_eta(&t, 2.0, 10000);
    ASSERT(eta > 2.49 && eta < 2.51);
    ASSERT(fs_tally_eta(&t, 2.0, 0) < 0);    /* a pipe */
    ASSERT(fs_tally_eta(&t, 2.0, 3000) < 0); /* file shrank */
    char d[32];
    fs_tally_format_duration(2.5, d, sizeof(d));
    ASSERT_STR_EQ(d, "0:03");
    fs_tally_format_duration(3725, d, sizeof(d));
    ASSERT_STR_EQ(d, "1:02:05");
    fs_tally_format_duration(-1, d, sizeof(d));
    ASSERT_STR_EQ(d, "--:--");
    char line[256];
    fs_tally_progress(&t, 2.0, 10000, line, sizeof(line));
    ASSERT_CONTAINS(line, " 50.0%");
    ASSERT_CONTAINS(line, "50 ev/s");
    ASSERT_CONTAINS(line, "accepted 90");
    ASSERT_CONTAINS(line, "rejected 10");
    ASSERT_CONTAINS(line, "ETA 0:03");
    fs_tally_progress(&t, 2.0, 0, line, sizeof(line));
    ASSERT(strchr(line, '%') == NULL);
    ASSERT(strstr(line, "ETA") == NULL);
    ASSERT_CONTAINS(line, "4.9 KiB");
}

static void test_tally_summary(void)
{
    fs_tally_t t;
    fs_tally_init(&t, 0, 0);
    t.lines = 5031;
    t.blank = 1;
    t.accepted = 5000;
    t.acked = 5000;
    t.dlq_acked = 30;
    for (int i = 0; i < 20; i++)
        fs_tally_reject(&t, "type: required");
    for (int i = 0; i < 10; i++)
        fs_tally_reject(&t, "event: not valid JSON \"q\\\"");
    fs_tally_sort(&t);
    fs_tally_end_t end = {.input = "in \"1\".ndjson",
                          .duration_s = 2.0,
                          .outcome = "complete",
                          .exit_code = 1,
                          .mark_offset = 123456,
                          .mark_line = 5031,
                          .checkpoint = NULL};
    fs_buf_t b = FS_BUF_INIT;
    ASSERT_EQ(fs_tally_summary_text(&t, &end, &b), FS_OK);
    ASSERT_EQ(fs_buf_append(&b, "", 1), FS_OK);
    const char *s = (const char *)b.data;
    ASSERT_CONTAINS(s, "lines read    5031 (1 blank)");
    ASSERT_CONTAINS(s, "accepted      5000");
    ASSERT_CONTAINS(s, "rejected      30");
    ASSERT_CONTAINS(s, "2515 events/s");
    ASSERT(strstr(s, "type") < strstr(s, "event ")); /* by count */
    fs_buf_reset(&b);
    ASSERT_EQ(fs_tally_summary_json(&t, &end, &b), FS_OK);
    json_error_t je;
    json_t *j = json_loadb((const char *)b.data, b.len, 0, &je);
    ASSERT(j != NULL);
    ASSERT_STR_EQ(json_string_value(json_object_get(j, "input")), "in \"1\".ndjson");
    ASSERT_EQ(json_integer_value(json_object_get(j, "lines_read")), 5031);
    ASSERT_EQ(json_integer_value(json_object_get(j, "accepted")), 5000);
    ASSERT_EQ(json_integer_value(json_object_get(j, "rejected")), 30);
    ASSERT_EQ(json_integer_value(json_object_get(j, "exit_code")), 1);
    json_t *r = json_object_get(j, "rejected_by_reason");
    ASSERT_EQ(json_integer_value(json_object_get(r, "type")), 20);
    ASSERT_EQ(json_integer_value(json_object_get(r, "event")), 10);
    ASSERT(json_is_null(json_object_get(j, "checkpoint")));
    ASSERT_EQ(json_integer_value(json_object_get(j, "acknowledged_through_line")), 5031);
    json_decref(j);
    fs_buf_free(&b);
}

/* Names from the input (file, unknown fields) cannot drive the terminal. */
static void test_tally_summary_escapes(void)
{
    fs_tally_t t;
    fs_tally_init(&t, 0, 0);
    fs_tally_reject(&t, "\xe2\x80\xae"
                        "dlrow: unknown field"); /* bidi override */
    fs_tally_reject(&t, "x\xc2\x9b"
                        "2J: unknown field");                       /* C1 CSI */
    fs_tally_reject(&t, "\xe6\x97\xa5\xe6\x9c\xac: unknown field"); /* 4 columns */
    fs_tally_sort(&t);
    fs_tally_end_t end = {.input = "in\x1b]0;t\x07.ndjson", .outcome = "complete"};
    fs_buf_t b = FS_BUF_INIT;
    ASSERT_EQ(fs_tally_summary_text(&t, &end, &b), FS_OK);
    ASSERT_EQ(fs_buf_append(&b, "", 1), FS_OK);
    const char *s = (const char *)b.data;
    ASSERT_CONTAINS(s, "funnel-ingest: in\\x1b]0;t\\x07.ndjson: complete\n");
    ASSERT_CONTAINS(s, "    \\xe2\\x80\\xaedlrow"
                       "        1\n");
    ASSERT_CONTAINS(s, "    x\\xc2\\x9b2J"
                       "              1\n");
    ASSERT_CONTAINS(s, "    \xe6\x97\xa5\xe6\x9c\xac"
                       "                     1\n");
    for (const char *p = s; *p; p++)
        ASSERT((unsigned char)*p >= 0x20 || *p == '\n');
    ASSERT(!strstr(s, "\xc2\x9b") && !strstr(s, "\xe2\x80\xae"));
    fs_buf_free(&b);
}

/* ----------------------------------------------------- checkpoint ---- */

static void test_checkpoint_format_parse(void)
{
    fs_checkpoint_t cp = {.offset = 1048576, .line = 5230, .tail_len = 4096}, back;
    for (int i = 0; i < 20; i++)
        cp.tail_sha1[i] = (uint8_t)(i * 13);
    fs_buf_t b = FS_BUF_INIT;
    char err[256];
    ASSERT_EQ(fs_checkpoint_format(&cp, &b), FS_OK);
    ASSERT_EQ(fs_checkpoint_parse((const char *)b.data, b.len, &back, err, sizeof(err)),
              FS_OK);
    ASSERT_EQ(back.offset, cp.offset);
    ASSERT_EQ(back.line, cp.line);
    ASSERT_EQ(back.tail_len, cp.tail_len);
    ASSERT(!memcmp(back.tail_sha1, cp.tail_sha1, 20));
    fs_buf_free(&b);

    static const struct {
        const char *text, *err;
    } bad[] = {
        {"version 1\noffset 10\n", "missing line"},
        {"version 2\noffset 10\nline 1\n", "version 2 not supported"},
        {"version 1\noffset 1x\nline 1\n", "line 2: offset: not a valid number"},
        {"version 1\noffset 99999999999999999999999\nline 1\n", "not a valid number"},
        {"version 1\noffset 10\nline 1\ncolour red\n", "unknown key \"colour\""},
        {"version 1\noffset 10\nline 1\ntail_bytes 10\n", "inconsistent"},
        {"version 1\noffset 10\nline 1\ntail_bytes 20\ntail_sha1 "
         "0000000000000000000000000000000000000000\n",
         "inconsistent"},
        {"version 1\noffset 10\nline 1\ntail_bytes 5\ntail_sha1 00zz\n", "tail_sha1"},
        {"version 1\noffset 0\nline 3\n", "inconsistent"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        back.offset = 77;
        ASSERT_EQ(fs_checkpoint_parse(bad[i].text, strlen(bad[i].text), &back, err,
                                      sizeof(err)),
                  FS_ERR_INVALID);
        ASSERT_CONTAINS(err, bad[i].err);
        ASSERT_EQ(back.offset, 0);
    }
}

static void test_checkpoint_save_load_tail(void)
{
    char dir[] = "/tmp/fs-test-ingest-XXXXXX";
    ASSERT(mkdtemp(dir) != NULL);
    char path[128], data[128], err[512];
    snprintf(path, sizeof(path), "%s/in.ndjson.ingest-checkpoint", dir);
    snprintf(data, sizeof(data), "%s/in.ndjson", dir);
    fs_checkpoint_t cp, back;
    ASSERT_EQ(fs_checkpoint_load(path, &back, err, sizeof(err)), FS_ERR_NOT_FOUND);

    int fd = open(data, O_RDWR | O_CREAT | O_TRUNC, 0644);
    ASSERT(fd >= 0);
    const char *content = "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n";
    ASSERT_EQ(write(fd, content, strlen(content)), (long long)strlen(content));
    memset(&cp, 0, sizeof(cp));
    cp.offset = 16;
    cp.line = 2;
    ASSERT_EQ(fs_checkpoint_tail(fd, &cp, err, sizeof(err)), FS_OK);
    ASSERT_EQ(cp.tail_len, 16);
    uint8_t want[20];
    fs_sha1(content, 16, want);
    ASSERT(!memcmp(cp.tail_sha1, want, 20));
    ASSERT_EQ(fs_checkpoint_save(path, &cp, err, sizeof(err)), FS_OK);
    ASSERT_EQ(fs_checkpoint_load(path, &back, err, sizeof(err)), FS_OK);
    ASSERT_EQ(back.offset, 16);
    ASSERT_EQ(back.line, 2);
    ASSERT(!memcmp(back.tail_sha1, want, 20));
    /* Overwrite: the new values replace the old, no temporary file is left. */
    cp.offset = 24;
    cp.line = 3;
    ASSERT_EQ(fs_checkpoint_tail(fd, &cp, err, sizeof(err)), FS_OK);
    ASSERT_EQ(fs_checkpoint_save(path, &cp, err, sizeof(err)), FS_OK);
    ASSERT_EQ(fs_checkpoint_load(path, &back, err, sizeof(err)), FS_OK);
    ASSERT_EQ(back.line, 3);
    char tmp[160];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    ASSERT(access(tmp, F_OK) != 0);
    /* Past the end of the file: refused. */
    cp.offset = 1000;
    ASSERT_EQ(fs_checkpoint_tail(fd, &cp, err, sizeof(err)), FS_ERR_IO);
    /* Unwritable location. */
    char bad[160];
    snprintf(bad, sizeof(bad), "%s/no-such-dir/cp", dir);
    ASSERT_EQ(fs_checkpoint_save(bad, &back, err, sizeof(err)), FS_ERR_IO);
    ASSERT_CONTAINS(err, "no-such-dir");
    close(fd);
    unlink(data);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    RUN(test_sha1_vectors);
    RUN(test_event_id_matches_python_uuid5);
    RUN(test_event_id_stable_and_distinct);
    RUN(test_lines_chunk_boundaries);
    RUN(test_lines_overlong);
    RUN(test_lines_resume_numbering);
    RUN(test_ackwin_out_of_order);
    RUN(test_ackwin_failure_blocks_and_full);
    RUN(test_ackwin_random_order);
    RUN(test_tally_reasons);
    RUN(test_tally_class_bound);
    RUN(test_tally_rate_eta_progress);
    RUN(test_tally_summary);
    RUN(test_tally_summary_escapes);
    RUN(test_checkpoint_format_parse);
    RUN(test_checkpoint_save_load_tail);
    fprintf(stderr, "all ingest tests passed\n");
    return 0;
}
