/*
 * bench_codec.c — cost per event of fs_codec against a bare avro-c loop.
 *
 * Baseline ("bare"): what any avro-c program must do at least for the same
 * schema (journey_event.v2.avsc) and the same event: fill a reused generic
 * value through the value API and avro_value_write() it; read a body with
 * avro_value_read() into a reused generic value and fetch every field
 * (no copies).  Ours: fs_codec_encode_event() (header + the same fill +
 * write) and fs_codec_decode_event() (header, body pre-scan, read, copy into
 * an owned fs_event_t) + fs_event_clear().  Prints ns/event of each and the
 * ratio ours/bare, measured in the same process run.
 *
 *   bench_codec [ITERATIONS]
 */
#include <avro.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fs_codec.h"
#include "fs_embedded_schemas.h"

#define CHECK(c)                                                                         \
    do {                                                                                 \
        if (!(c)) {                                                                      \
            fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #c,            \
                    avro_strerror());                                                    \
            exit(1);                                                                     \
        }                                                                                \
    } while (0)

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static fs_prop_t props[] = {
    {"plan", FS_PROP_STRING, {.s = "enterprise"}}, {"seats", FS_PROP_LONG, {.l = 250}},
    {"score", FS_PROP_DOUBLE, {.d = 0.87}},        {"trial", FS_PROP_BOOL, {.b = 0}},
    {"region", FS_PROP_STRING, {.s = "emea"}},
};

static fs_event_t sample(void)
{
    fs_event_t ev;
    memset(&ev, 0, sizeof ev);
    strcpy(ev.event_id, "0b5e3c1e-7f1a-4c59-9d0e-2f6f3f3a9a01");
    ev.type = (char *)"demo_attended";
    ev.user_id = (char *)"crm-0012345678";
    ev.anonymous_id = (char *)"a9f3c2d1-77e0-4b8e-9a44-0c1d2e3f4a5b";
    ev.occurred_at_ms = 1764220321123LL;
    ev.received_at_ms = 1764220322456LL;
    ev.channel = (char *)"paid_search";
    ev.campaign = (char *)"q4_enterprise_push";
    ev.source = (char *)"google";
    ev.medium = (char *)"cpc";
    ev.has_revenue = 1;
    ev.revenue_cents = 1250000;
    memcpy(ev.currency, "USD", 4);
    ev.nprops = sizeof props / sizeof props[0];
    ev.props = props;
    ev.ingest_source = (char *)"collector";
    return ev;
}

/* ---- bare avro-c ---- */

static void set_opt(avro_value_t *rec, int idx, const char *s)
{
    avro_value_t f, b;
    CHECK(avro_value_get_by_index(rec, (size_t)idx, &f, NULL) == 0);
    if (!s) {
        CHECK(avro_value_set_branch(&f, 0, &b) == 0);
        return;
    }
    CHECK(avro_value_set_branch(&f, 1, &b) == 0);
    CHECK(avro_value_set_string_len(&b, s, strlen(s) + 1) == 0);
}

static void bare_fill(avro_value_t *rec, const fs_event_t *ev)
{
    avro_value_t f, b, e;
    CHECK(avro_value_get_by_index(rec, 0, &f, NULL) == 0);
    CHECK(avro_value_set_string_len(&f, ev->event_id, strlen(ev->event_id) + 1) == 0);
    CHECK(avro_value_get_by_index(rec, 1, &f, NULL) == 0);
    CHECK(avro_value_set_string_len(&f, ev->type, strlen(ev->type) + 1) == 0);
    set_opt(rec, 2, ev->user_id);
    set_opt(rec, 3, ev->anonymous_id);
    CHECK(avro_value_get_by_index(rec, 4, &f, NULL) == 0);
    CHECK(avro_value_set_long(&f, ev->occurred_at_ms) == 0);
    CHECK(avro_value_get_by_index(rec, 5, &f, NULL) == 0);
    CHECK(avro_value_set_long(&f, ev->received_at_ms) == 0);
    set_opt(rec, 6, ev->channel);
    set_opt(rec, 7, ev->campaign);
    set_opt(rec, 8, ev->source);
    set_opt(rec, 9, ev->medium);
    set_opt(rec, 10, ev->content);
    set_opt(rec, 11, ev->term);
    CHECK(avro_value_get_by_index(rec, 12, &f, NULL) == 0);
    CHECK(avro_value_set_branch(&f, 1, &b) == 0);
    CHECK(avro_value_set_long(&b, ev->revenue_cents) == 0);
    CHECK(avro_value_get_by_index(rec, 13, &f, NULL) == 0);
    CHECK(avro_value_set_string_len(&f, ev->currency, 4) == 0);
    CHECK(avro_value_get_by_index(rec, 14, &f, NULL) == 0);
    CHECK(avro_value_reset(&f) == 0);
    for (size_t i = 0; i < ev->nprops; i++) {
        const fs_prop_t *p = &ev->props[i];
        CHECK(avro_value_add(&f, p->key, &e, NULL, NULL) == 0);
        CHECK(avro_value_set_branch(&e, (int)p->kind, &b) == 0);
        if (p->kind == FS_PROP_STRING)
            CHECK(avro_value_set_string_len(&b, p->v.s, strlen(p->v.s) + 1) == 0);
        else if (p->kind == FS_PROP_LONG)
            CHECK(avro_value_set_long(&b, p->v.l) == 0);
        else if (p->kind == FS_PROP_DOUBLE)
            CHECK(avro_value_set_double(&b, p->v.d) == 0);
        else
            CHECK(avro_value_set_boolean(&b, p->v.b) == 0);
    }
    set_opt(rec, 15, ev->ingest_source);
}

/* Fetches every field (what a consumer must do to use the record). */
static size_t bare_touch(avro_value_t *v)
{
    size_t total = 0, n;
    avro_type_t t = avro_value_get_type(v);
    avro_value_t c;
    const char *s;
    int64_t l;
    double d;
    int b;
    switch (t) {
    case AVRO_RECORD:
    case AVRO_MAP:
        CHECK(avro_value_get_size(v, &n) == 0);
        for (size_t i = 0; i < n; i++) {
            CHECK(avro_value_get_by_index(v, i, &c, NULL) == 0);
            total += bare_touch(&c);
        }
        return total;
    case AVRO_UNION:
        CHECK(avro_value_get_current_branch(v, &c) == 0);
        return bare_touch(&c);
    case AVRO_STRING:
        CHECK(avro_value_get_string(v, &s, &n) == 0);
        return n;
    case AVRO_INT64:
        CHECK(avro_value_get_long(v, &l) == 0);
        return (size_t)l & 1;
    case AVRO_DOUBLE:
        CHECK(avro_value_get_double(v, &d) == 0);
        return d > 0;
    case AVRO_BOOLEAN:
        CHECK(avro_value_get_boolean(v, &b) == 0);
        return (size_t)b;
    default:
        return 0;
    }
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 300000;
    char err[256];
    fs_codec_t *codec = fs_codec_new(NULL, err, sizeof err);
    if (!codec) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    size_t v2 = 0;
    while (v2 < fs_embedded_schema_count &&
           strcmp(fs_embedded_schema_names[v2], "journey_event.v2.avsc") != 0)
        v2++;
    CHECK(v2 < fs_embedded_schema_count);
    avro_schema_t schema;
    CHECK(avro_schema_from_json_length(fs_embedded_schemas[v2],
                                       fs_embedded_schema_lens[v2], &schema) == 0);
    avro_value_iface_t *klass = avro_generic_class_from_schema(schema);
    avro_value_t wval, rval;
    CHECK(klass && avro_generic_value_new(klass, &wval) == 0 &&
          avro_generic_value_new(klass, &rval) == 0);
    static char body[4096];
    avro_writer_t writer = avro_writer_memory(body, sizeof body);
    avro_reader_t reader = avro_reader_memory(body, sizeof body);

    fs_event_t ev = sample();
    fs_buf_t buf = FS_BUF_INIT;
    double best[4] = {1e30, 1e30, 1e30,
                      1e30}; /* bare enc, ours enc, bare dec, ours dec */
    size_t sink = 0, body_len = 0;
    for (int round = 0; round < 5; round++) {
        double t0 = now_ns();
        for (long i = 0; i < iters; i++) {
            bare_fill(&wval, &ev);
            avro_writer_memory_set_dest(writer, body, sizeof body);
            CHECK(avro_value_write(writer, &wval) == 0);
        }
        body_len = (size_t)avro_writer_tell(writer);
        double t1 = now_ns();
        for (long i = 0; i < iters; i++) {
            fs_buf_reset(&buf);
            if (fs_codec_encode_event(codec, &ev, &buf, err, sizeof err) != FS_OK) {
                fprintf(stderr, "%s\n", err);
                return 1;
            }
        }
        double t2 = now_ns();
        for (long i = 0; i < iters; i++) {
            avro_reader_memory_set_source(reader, body, (int64_t)body_len);
            CHECK(avro_value_reset(&rval) == 0);
            CHECK(avro_value_read(reader, &rval) == 0);
            sink += bare_touch(&rval);
        }
        double t3 = now_ns();
        for (long i = 0; i < iters; i++) {
            fs_event_t got;
            if (fs_codec_decode_event(codec, buf.data, buf.len, &got, err, sizeof err) !=
                FS_OK) {
                fprintf(stderr, "%s\n", err);
                return 1;
            }
            sink += got.nprops;
            fs_event_clear(&got);
        }
        double t4 = now_ns();
        double t[4] = {t1 - t0, t2 - t1, t3 - t2, t4 - t3};
        for (int k = 0; k < 4; k++)
            if (t[k] / (double)iters < best[k])
                best[k] = t[k] / (double)iters;
    }
    if (buf.len != body_len + FS_CODEC_HEADER_LEN ||
        memcmp(buf.data + 10, body, body_len)) {
        fprintf(stderr, "ours and bare bodies differ\n");
        return 1;
    }
    printf("event: %zu-byte body, %zu properties; %ld iterations, best of 5 rounds\n",
           body_len, ev.nprops, iters);
    printf("encode  bare avro-c %7.0f ns/event   fs_codec %7.0f ns/event   ratio %.2f\n",
           best[0], best[1], best[1] / best[0]);
    printf("decode  bare avro-c %7.0f ns/event   fs_codec %7.0f ns/event   ratio %.2f\n",
           best[2], best[3], best[3] / best[2]);
    printf("(sink %zu)\n", sink);
    fs_buf_free(&buf);
    avro_value_decref(&wval);
    avro_value_decref(&rval);
    avro_value_iface_decref(klass);
    avro_schema_decref(schema);
    avro_writer_free(writer);
    avro_reader_free(reader);
    fs_codec_destroy(codec);
    return 0;
}
