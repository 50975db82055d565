/*
 * test_codec.c — unit tests of the codec (fs_codec*.c): round trips of
 * every field, schema evolution both ways, framing and body corruption
 * (every truncation, huge declared lengths, trailing bytes, bad unions),
 * unknown fingerprints, dead letters.  Under ASan a leak on any path fails the run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs_avro_bin.h"
#include "fs_codec.h"
#include "fs_rng.h"
#include "fs_schema.h"
#include "fs_test.h"

#define V1_FILE "journey_event.v1.avsc"

static fs_codec_t *new_codec(void)
{
    char err[256] = "";
    fs_codec_t *codec = fs_codec_new(NULL, err, sizeof err);
    if (!codec)
        fprintf(stderr, "fs_codec_new: %s\n", err);
    ASSERT(codec != NULL);
    return codec;
}

static uint64_t fp_of(fs_codec_t *codec, const char *file)
{
    for (size_t i = 0; i < fs_codec_schema_count(codec); i++) {
        const char *name;
        uint64_t fp;
        ASSERT_EQ(fs_codec_schema_info(codec, i, &name, NULL, &fp), FS_OK);
        if (strcmp(name, file) == 0)
            return fp;
    }
    FS_FAIL_("schema %s not loaded", file);
}

static fs_prop_t props3[] = {
    {"plan", FS_PROP_STRING, {.s = "pro \xe2\x9c\x93"}},
    {"seats", FS_PROP_LONG, {.l = -42}},
    {"score", FS_PROP_DOUBLE, {.d = -0.125}},
    {"trial", FS_PROP_BOOL, {.b = 1}},
};

/* A full event whose strings are borrowed literals (never cleared). */
static fs_event_t full_event(void)
{
    fs_event_t ev;
    memset(&ev, 0, sizeof ev);
    strcpy(ev.event_id, "0b5e3c1e-7f1a-4c59-9d0e-2f6f3f3a9a01");
    ev.type = (char *)"sale";
    ev.user_id = (char *)"user-\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80";
    ev.anonymous_id = (char *)"anon-7";
    ev.occurred_at_ms = 1764220321123LL;
    ev.received_at_ms = 1764220322456LL;
    ev.channel = (char *)"paid_search";
    ev.campaign = (char *)"spring";
    ev.source = (char *)"google";
    ev.medium = (char *)"cpc";
    ev.content = (char *)"ad-1";
    ev.term = (char *)"crm";
    ev.has_revenue = 1;
    ev.revenue_cents = 99999999999999LL;
    memcpy(ev.currency, "EUR", 4);
    ev.nprops = 4;
    ev.props = props3;
    ev.ingest_source = (char *)"collector";
    return ev;
}

static void assert_str_or_null(const char *a, const char *b)
{
    if (!a || !b)
        ASSERT(a == b);
    else
        ASSERT_STR_EQ(a, b);
}

static void assert_same(const fs_event_t *a, const fs_event_t *b, int with_ingest)
{
    ASSERT_STR_EQ(a->event_id, b->event_id);
    ASSERT_STR_EQ(a->type, b->type);
    assert_str_or_null(a->user_id, b->user_id);
    assert_str_or_null(a->anonymous_id, b->anonymous_id);
    ASSERT_EQ(a->occurred_at_ms, b->occurred_at_ms);
    ASSERT_EQ(a->received_at_ms, b->received_at_ms);
    assert_str_or_null(a->channel, b->channel);
    assert_str_or_null(a->campaign, b->campaign);
    assert_str_or_null(a->source, b->source);
    assert_str_or_null(a->medium, b->medium);
    assert_str_or_null(a->content, b->content);
    assert_str_or_null(a->term, b->term);
    ASSERT_EQ(a->has_revenue, b->has_revenue);
    if (a->has_revenue)
        ASSERT_EQ(a->revenue_cents, b->revenue_cents);
    ASSERT_STR_EQ(a->currency, b->currency);
    ASSERT_EQ(a->nprops, b->nprops);
    for (size_t i = 0; i < a->nprops; i++) {
        const fs_prop_t *p = &a->props[i], *q = NULL;
        for (size_t j = 0; j < b->nprops; j++)
            if (strcmp(b->props[j].key, p->key) == 0)
                q = &b->props[j];
        ASSERT(q != NULL);
        ASSERT_EQ(p->kind, q->kind);
        switch (p->kind) {
        case FS_PROP_STRING:
            ASSERT_STR_EQ(p->v.s, q->v.s);
            break;
        case FS_PROP_LONG:
            ASSERT_EQ(p->v.l, q->v.l);
            break;
        case FS_PROP_DOUBLE: /* the same bits: NaN payloads too */
            ASSERT(memcmp(&p->v.d, &q->v.d, sizeof p->v.d) == 0);
            break;
        case FS_PROP_BOOL:
            ASSERT_EQ(!!p->v.b, !!q->v.b);
            break;
        }
    }
    if (with_ingest)
        assert_str_or_null(a->ingest_source, b->ingest_source);
}

static void roundtrip(fs_codec_t *codec, const fs_event_t *ev)
{
    char err[256] = "";
    fs_buf_t buf = FS_BUF_INIT;
    ASSERT_EQ(fs_buf_append(&buf, "xyz", 3), FS_OK); /* encode appends */
    ASSERT_EQ(fs_codec_encode_event(codec, ev, &buf, err, sizeof err), FS_OK);
    ASSERT(memcmp(buf.data, "xyz\xc3\x01", 5) == 0);
    fs_event_t got;
    fs_err_t rc =
        fs_codec_decode_event(codec, buf.data + 3, buf.len - 3, &got, err, sizeof err);
    if (rc)
        fprintf(stderr, "decode: %s\n", err);
    ASSERT_EQ(rc, FS_OK);
    assert_same(ev, &got, 1);
    fs_event_clear(&got);
    fs_buf_free(&buf);
}

static void test_schemas_loaded(void)
{
    fs_codec_t *codec = new_codec();
    ASSERT_EQ(fs_codec_schema_count(codec), 3);
    uint64_t v2 = fp_of(codec, "journey_event.v2.avsc");
    ASSERT_U64_EQ(fs_codec_event_writer_fingerprint(codec), v2);
    ASSERT_U64_EQ(fs_codec_event_reader_fingerprint(codec), v2);
    /* The stored fingerprint is that of the stored canonical form. */
    const char *canon;
    uint64_t fp;
    ASSERT_EQ(fs_codec_schema_info(codec, 0, NULL, &canon, &fp), FS_OK);
    ASSERT_U64_EQ(fs_schema_fingerprint64(canon, strlen(canon)), fp);
    uint64_t unused;
    ASSERT_EQ(fs_codec_schema_info(codec, 3, NULL, NULL, &unused), FS_ERR_NOT_FOUND);
    ASSERT_EQ(fs_codec_set_event_writer(codec, 0x1234), FS_ERR_NOT_FOUND);
    ASSERT_EQ(fs_codec_set_event_writer(codec, fp_of(codec, "dead_letter.v1.avsc")),
              FS_ERR_NOT_FOUND);
    fs_codec_destroy(codec);
    fs_codec_destroy(NULL);
}

static void test_roundtrip_fields(void)
{
    fs_codec_t *codec = new_codec();
    fs_event_t ev = full_event();
    roundtrip(codec, &ev);

    /* Every optional absent, no properties, revenue 0 vs absent. */
    fs_event_t min;
    memset(&min, 0, sizeof min);
    strcpy(min.event_id, "e");
    min.type = (char *)"page_view";
    min.anonymous_id = (char *)"a";
    memcpy(min.currency, "USD", 4);
    min.occurred_at_ms = -1; /* negative longs survive zig-zag */
    roundtrip(codec, &min);
    min.has_revenue = 1;
    min.revenue_cents = 0;
    roundtrip(codec, &min);

    /* Maximum lengths: 64-char id, 128-char texts of 4-byte characters,
     * 50 properties. */
    char big[128 * 4 + 1];
    for (int i = 0; i < 128; i++)
        memcpy(big + i * 4, "\xf0\x9f\x98\x80", 4);
    big[128 * 4] = '\0';
    fs_prop_t many[FS_PROPS_MAX];
    char keys[FS_PROPS_MAX][16];
    for (int i = 0; i < FS_PROPS_MAX; i++) {
        snprintf(keys[i], sizeof keys[i], "k%02d", i);
        many[i].key = keys[i];
        many[i].kind = (fs_prop_kind_t)(i % 4);
        if (many[i].kind == FS_PROP_STRING)
            many[i].v.s = big;
        else if (many[i].kind == FS_PROP_LONG)
            many[i].v.l = (int64_t)i * 1000000007LL;
        else if (many[i].kind == FS_PROP_DOUBLE)
            many[i].v.d = 1.0 / (i + 1);
        else
            many[i].v.b = i & 1;
    }
    ev = full_event();
    memset(ev.event_id, 'Z', FS_EVENT_ID_MAX);
    ev.event_id[FS_EVENT_ID_MAX] = '\0';
    ev.user_id = ev.campaign = ev.term = big;
    ev.nprops = FS_PROPS_MAX;
    ev.props = many;
    roundtrip(codec, &ev);
    for (int i = 0; i < 3; i++) /* reuse of the codec's values is clean */
        roundtrip(codec, &ev);
    roundtrip(codec, &min);
    fs_codec_destroy(codec);
}

static void test_encode_rejects(void)
{
    fs_codec_t *codec = new_codec();
    char err[256] = "";
    fs_buf_t buf = FS_BUF_INIT;
    fs_event_t ev = full_event();
    ev.type = NULL;
    ASSERT_EQ(fs_codec_encode_event(codec, &ev, &buf, err, sizeof err), FS_ERR_INVALID);
    ASSERT_CONTAINS(err, "type");
    ev = full_event();
    ev.channel = (char *)"bad \xff utf8";
    ASSERT_EQ(fs_codec_encode_event(codec, &ev, &buf, err, sizeof err), FS_ERR_INVALID);
    ASSERT_CONTAINS(err, "channel");
    ASSERT_EQ(buf.len, 0); /* nothing appended on failure */
    fs_buf_free(&buf);
    fs_codec_destroy(codec);
}

/* A new temporary directory holding @p len bytes of @p text as V1_FILE
 * (a schema directory for fs_codec_new_flags); remove_dir() removes it. */
static char *dir_with_v1(const char *text, size_t len)
{
    char tmpl[] = "/tmp/fs_codec_v1_XXXXXX";
    char *dir = mkdtemp(tmpl);
    ASSERT(dir != NULL);
    char path[4096];
    snprintf(path, sizeof path, "%s/" V1_FILE, dir);
    FILE *out = fopen(path, "wb");
    ASSERT(out != NULL);
    ASSERT_EQ(fwrite(text, 1, len, out), len);
    ASSERT_EQ(fclose(out), 0);
    return strdup(dir);
}

static void remove_dir(char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/" V1_FILE, dir);
    unlink(path);
    rmdir(dir);
    free(dir);
}

/* Random text for the differential test below: empty, short or long
 * (lengths past 63 need a two-byte varint), ASCII or multi-byte UTF-8, and
 * rarely an invalid byte (both writers must refuse it the same way). */
static char *rand_text(fs_rng_t *r, char *buf, size_t cap)
{
    static const char *const pieces[] = {
        "a", "Z", "7", " ", "-", "\xc3\xa9", "\xe6\x97\xa5", "\xf0\x9f\x98\x80"};
    size_t want = fs_rng_next(r) % 4 == 0 ? fs_rng_next(r) % 300 : fs_rng_next(r) % 24;
    size_t n = 0;
    while (n < want && n + 5 < cap) {
        const char *p = pieces[fs_rng_next(r) % 8];
        memcpy(buf + n, p, strlen(p));
        n += strlen(p);
    }
    if (fs_rng_next(r) % 200 == 0 && n + 1 < cap)
        buf[n++] = (char)0xff;
    buf[n] = '\0';
    return buf;
}

static int64_t rand_long(fs_rng_t *r)
{
    static const int64_t edge[] = {0, -1, 1, 63, -64, 64, INT64_MAX, INT64_MIN};
    uint64_t x = fs_rng_next(r);
    if (x % 3 == 0)
        return edge[fs_rng_next(r) % 8];
    return (int64_t)(fs_rng_next(r) >> (x % 64));
}

/* Both decoders give the same outcome for @p data, and the same event,
 * properties in the same order. */
static void same_decodes(fs_codec_t *codec, const void *data, size_t len)
{
    char e1[256] = "", e2[256] = "";
    fs_event_t d, g;
    fs_err_t rd = fs_codec_decode_event(codec, data, len, &d, e1, sizeof e1);
    fs_err_t rg = fs_codec_decode_event_generic(codec, data, len, &g, e2, sizeof e2);
    if (rd != rg)
        fprintf(stderr, "direct: %s; generic: %s\n", e1, e2);
    ASSERT_EQ(rd, rg);
    if (rd == FS_OK) {
        assert_same(&d, &g, 1);
        for (size_t i = 0; i < d.nprops; i++)
            ASSERT_STR_EQ(d.props[i].key, g.props[i].key);
    } else {
        ASSERT_STR_EQ(e1, e2);
    }
    fs_event_clear(&d);
    fs_event_clear(&g);
}

/* Encodes @p iters random events with the codec's writer both ways: the
 * direct writer and avro-c's (the _generic reference) must give the very
 * same bytes, or the same refusal; each encoded event is decoded both ways
 * (same_decodes()).  Counts into @p n: accepted, refused, events with more
 * than 16 properties. */
static void differential(fs_codec_t *codec, fs_rng_t *r, int iters, size_t n[3])
{
    enum { TEXTS = 12, PROPS = 40 };
    static char text[TEXTS][1300];
    static char keys[PROPS][1300], vals[PROPS][1300];
    fs_prop_t props[PROPS];
    for (int iter = 0; iter < iters; iter++) {
        fs_event_t ev;
        memset(&ev, 0, sizeof ev);
        snprintf(ev.event_id, sizeof ev.event_id, "%s",
                 rand_text(r, text[0], sizeof text[0]));
        char **opt[] = {&ev.user_id,  &ev.anonymous_id, &ev.channel,
                        &ev.campaign, &ev.source,       &ev.medium,
                        &ev.content,  &ev.term,         &ev.ingest_source};
        ev.type = fs_rng_next(r) % 100 ? rand_text(r, text[1], sizeof text[1]) : NULL;
        for (size_t k = 0; k < sizeof opt / sizeof opt[0]; k++)
            *opt[k] =
                fs_rng_next(r) % 2 ? rand_text(r, text[2 + k], sizeof text[0]) : NULL;
        ev.occurred_at_ms = rand_long(r);
        ev.received_at_ms = rand_long(r);
        ev.has_revenue = (int)(fs_rng_next(r) % 2);
        ev.revenue_cents = rand_long(r);
        snprintf(ev.currency, sizeof ev.currency, "%s", fs_rng_next(r) % 2 ? "USD" : "");
        ev.nprops = fs_rng_next(r) % 4 == 0 ? fs_rng_next(r) % PROPS : 0;
        n[2] += ev.nprops > 16;
        for (size_t p = 0; p < ev.nprops; p++) {
            props[p].key = rand_text(r, keys[p], sizeof keys[p]);
            if (fs_rng_next(r) % 3) /* distinct keys, mostly */
                snprintf(keys[p], sizeof keys[p], "k%zu-%s", p,
                         rand_text(r, vals[p], 40));
            props[p].kind = (fs_prop_kind_t)(fs_rng_next(r) % 4);
            uint64_t bits = fs_rng_next(r);
            switch (props[p].kind) {
            case FS_PROP_STRING:
                props[p].v.s = rand_text(r, vals[p], sizeof vals[p]);
                break;
            case FS_PROP_LONG:
                props[p].v.l = rand_long(r);
                break;
            case FS_PROP_DOUBLE: /* any bit pattern: NaNs, infinities, -0 */
                memcpy(&props[p].v.d, &bits, sizeof bits);
                break;
            default:
                props[p].v.b = (int)(bits % 3); /* 2 must be written as true */
                break;
            }
        }
        ev.props = props;
        char e1[256] = "", e2[256] = "";
        fs_buf_t a = FS_BUF_INIT, b = FS_BUF_INIT;
        ASSERT_EQ(fs_buf_append(&a, "xy", 2), FS_OK); /* appends, keeps the prefix */
        ASSERT_EQ(fs_buf_append(&b, "xy", 2), FS_OK);
        fs_err_t ra = fs_codec_encode_event(codec, &ev, &a, e1, sizeof e1);
        fs_err_t rb = fs_codec_encode_event_generic(codec, &ev, &b, e2, sizeof e2);
        ASSERT_EQ(ra, rb);
        ASSERT_STR_EQ(e1, e2);
        ASSERT_EQ(a.len, b.len);
        ASSERT(memcmp(a.data, b.data, a.len) == 0);
        if (ra == FS_OK)
            same_decodes(codec, a.data + 2, a.len - 2);
        if (ra == FS_OK) {
            /* Text that passed the checks: the trusting encoder agrees. */
            fs_buf_t c = FS_BUF_INIT;
            ASSERT_EQ(fs_codec_encode_valid_event(codec, &ev, &c, e1, sizeof e1), FS_OK);
            ASSERT_EQ(c.len + 2, a.len);
            ASSERT(memcmp(c.data, a.data + 2, c.len) == 0);
            fs_buf_free(&c);
            n[0]++;
        } else {
            n[1]++;
            ASSERT_EQ(a.len, 2);
            /* What the schema requires is still checked without the text checks. */
            if (strstr(e1, "required by schema")) {
                fs_buf_t c = FS_BUF_INIT;
                char e3[256] = "";
                ASSERT_EQ(fs_codec_encode_valid_event(codec, &ev, &c, e3, sizeof e3),
                          FS_ERR_INVALID);
                ASSERT_CONTAINS(e3, "required by schema");
                ASSERT_EQ(c.len, 0);
            }
        }
        fs_buf_free(&a);
        fs_buf_free(&b);
    }
}

/* With both embedded writer schemas (v2, v1). */
static void test_direct_matches_avro_c(void)
{
    fs_codec_t *codec = new_codec();
    const uint64_t writers[2] = {fp_of(codec, "journey_event.v2.avsc"),
                                 fp_of(codec, V1_FILE)};
    fs_rng_t rng;
    fs_rng_seed_from(&rng, 20261127);
    size_t n[3] = {0, 0, 0};
    for (int w = 0; w < 2; w++) {
        ASSERT_EQ(fs_codec_set_event_writer(codec, writers[w]), FS_OK);
        uint64_t direct = fs_codec_direct_decodes(codec);
        size_t accepted = n[0];
        differential(codec, &rng, 3000, n);
        /* v2 (the reader) is read directly, every event; v1 by avro-c. */
        ASSERT_EQ(fs_codec_direct_decodes(codec) - direct, w == 0 ? n[0] - accepted : 0);
    }
    /* The draw must have exercised both outcomes and the sorted key check. */
    ASSERT_GT(n[0], 3000);
    ASSERT_GT(n[1], 100);
    ASSERT_GT(n[2], 300);
    fs_codec_destroy(codec);
}

/* A JourneyEvent schema shaped unlike ours: fields in another order, null
 * as the second union branch, user_id and revenue_cents required, the
 * property union in reverse order, fields left out. */
static const char odd_schema[] =
    "{\"type\":\"record\",\"name\":\"JourneyEvent\",\"namespace\":\"funnelstream\","
    "\"fields\":["
    "{\"name\":\"type\",\"type\":\"string\"},"
    "{\"name\":\"properties\",\"type\":{\"type\":\"map\","
    "\"values\":[\"boolean\",\"double\",\"long\",\"string\"]}},"
    "{\"name\":\"event_id\",\"type\":\"string\"},"
    "{\"name\":\"user_id\",\"type\":\"string\"},"
    "{\"name\":\"anonymous_id\",\"type\":[\"string\",\"null\"]},"
    "{\"name\":\"revenue_cents\",\"type\":\"long\"},"
    "{\"name\":\"occurred_at\",\"type\":\"long\"},"
    "{\"name\":\"received_at\",\"type\":\"long\"},"
    "{\"name\":\"channel\",\"type\":[\"string\",\"null\"]},"
    "{\"name\":\"currency\",\"type\":\"string\"}]}";

static void test_direct_matches_avro_c_odd_schema(void)
{
    char err[256] = "";
    char *dir = dir_with_v1(odd_schema, sizeof odd_schema - 1);
    fs_codec_t *codec = fs_codec_new_flags(dir, FS_CODEC_NO_EMBEDDED, err, sizeof err);
    if (!codec)
        fprintf(stderr, "fs_codec_new_flags: %s\n", err);
    ASSERT(codec != NULL);
    fs_rng_t rng;
    fs_rng_seed_from(&rng, 7);
    size_t n[3] = {0, 0, 0};
    differential(codec, &rng, 4000, n);
    ASSERT_GT(n[0], 500); /* user_id and revenue present: about a quarter */
    ASSERT_GT(n[1], 1500);
    ASSERT_GT(n[2], 200);
    fs_codec_destroy(codec);
    remove_dir(dir);
}

static void test_duplicate_property_key(void)
{
    fs_codec_t *codec = new_codec();
    char err[256] = "";
    fs_buf_t buf = FS_BUF_INIT;
    fs_event_t ev = full_event();
    static const char *const names[20] = {"a", "b", "c",     "d", "e", "f", "g",
                                          "h", "i", "seats", "k", "l", "m", "n",
                                          "o", "p", "q",     "r", "s", "t"};
    fs_prop_t twice[20];
    for (size_t n = 2; n <= 20; n += 18) { /* the pairwise and the sorted check */
        for (size_t i = 0; i < n; i++) {
            twice[i] = props3[i % 4];
            twice[i].key = (char *)(i == n - 1 ? "seats" : names[i]);
        }
        ev.props = twice;
        ev.nprops = n;
        ASSERT_EQ(fs_codec_encode_event(codec, &ev, &buf, err, sizeof err),
                  n == 2 ? FS_OK : FS_ERR_INVALID);
        if (n == 20)
            ASSERT_STR_EQ(err, "properties.seats: key given twice");
    }
    fs_buf_free(&buf);
    fs_codec_destroy(codec);
}

/* A directory holding only the v1 schema: a reader that predates v2. */
static char *v1_only_dir(void)
{
    char src[4096];
    snprintf(src, sizeof src, "%s/schemas/" V1_FILE,
             getenv("FS_SOURCE_DIR") ? getenv("FS_SOURCE_DIR") : ".");
    FILE *in = fopen(src, "rb");
    ASSERT(in != NULL);
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof text, in);
    ASSERT(n > 0 && n < sizeof text && feof(in));
    fclose(in);
    return dir_with_v1(text, n);
}

static void test_evolution(void)
{
    char err[256] = "";
    fs_codec_t *codec = new_codec();
    uint64_t v1 = fp_of(codec, V1_FILE);
    fs_buf_t buf = FS_BUF_INIT;
    fs_event_t ev = full_event(), got;

    /* v1 writer → v2 reader: ingest_source takes its default, null. */
    ASSERT_EQ(fs_codec_set_event_writer(codec, v1), FS_OK);
    ASSERT_U64_EQ(fs_codec_event_writer_fingerprint(codec), v1);
    ASSERT_EQ(fs_codec_encode_event(codec, &ev, &buf, err, sizeof err), FS_OK);
    ASSERT_EQ(fs_codec_decode_event(codec, buf.data, buf.len, &got, err, sizeof err),
              FS_OK);
    assert_same(&ev, &got, 0);
    ASSERT(got.ingest_source == NULL);
    fs_event_clear(&got);
    /* Repeated resolved reads reuse the resolver cleanly. */
    ASSERT_EQ(fs_codec_decode_event(codec, buf.data, buf.len, &got, err, sizeof err),
              FS_OK);
    fs_event_clear(&got);
    uint64_t v2 = fp_of(codec, "journey_event.v2.avsc");
    ASSERT_EQ(fs_codec_set_event_writer(codec, v2), FS_OK);

    /* v2 writer → a codec that only knows v1: unknown fingerprint ... */
    fs_buf_t v2buf = FS_BUF_INIT;
    ASSERT_EQ(fs_codec_encode_event(codec, &ev, &v2buf, err, sizeof err), FS_OK);
    char *dir = v1_only_dir();
    fs_codec_t *old = fs_codec_new_flags(dir, FS_CODEC_NO_EMBEDDED, err, sizeof err);
    ASSERT(old != NULL);
    ASSERT_EQ(fs_codec_schema_count(old), 1);
    ASSERT_U64_EQ(fs_codec_event_reader_fingerprint(old), v1);
    ASSERT_EQ(fs_codec_decode_event(old, v2buf.data, v2buf.len, &got, err, sizeof err),
              FS_ERR_UNKNOWN_SCHEMA);
    ASSERT_CONTAINS(err, "unknown");
    fs_codec_destroy(old);

    /* ... until it is given the v2 schema (as a deployment would): its reader
     * becomes v2; and a v1-reader codec given v2 as a writer only is what
     * "new writer → old reader" means: emulate it by reading v2 data with
     * a codec whose reader is v1 and which knows v2 from the directory. */
    char path[4096];
    snprintf(path, sizeof path, "%s/journey_event.v2.avsc", dir);
    /* Rename v1 to a higher version number so it becomes the reader while
     * v2's bytes are the writer: the extra field must be skipped. */
    char v9[4096];
    snprintf(v9, sizeof v9, "%s/journey_event.v9.avsc", dir);
    char v1path[4096];
    snprintf(v1path, sizeof v1path, "%s/" V1_FILE, dir);
    ASSERT_EQ(rename(v1path, v9), 0);
    char srcpath[4096];
    snprintf(srcpath, sizeof srcpath, "%s/schemas/journey_event.v2.avsc",
             getenv("FS_SOURCE_DIR") ? getenv("FS_SOURCE_DIR") : ".");
    FILE *in = fopen(srcpath, "rb"), *out = fopen(path, "wb");
    ASSERT(in && out);
    char chunk[8192];
    size_t n = fread(chunk, 1, sizeof chunk, in);
    ASSERT_EQ(fwrite(chunk, 1, n, out), n);
    fclose(in);
    ASSERT_EQ(fclose(out), 0);
    old = fs_codec_new_flags(dir, FS_CODEC_NO_EMBEDDED, err, sizeof err);
    if (!old)
        fprintf(stderr, "%s\n", err);
    ASSERT(old != NULL);
    ASSERT_U64_EQ(fs_codec_event_reader_fingerprint(old), v1); /* v9 = v1's text */
    ASSERT_EQ(fs_codec_decode_event(old, v2buf.data, v2buf.len, &got, err, sizeof err),
              FS_OK);
    assert_same(&ev, &got, 0);
    ASSERT(got.ingest_source == NULL); /* the v1 reader has no such field */
    fs_event_clear(&got);
    fs_codec_destroy(old);
    unlink(path);
    snprintf(v1path, sizeof v1path, "%s/" V1_FILE, dir);
    ASSERT_EQ(rename(v9, v1path), 0);
    remove_dir(dir);

    fs_buf_free(&v2buf);
    fs_buf_free(&buf);
    fs_codec_destroy(codec);
}

static void expect_decode(fs_codec_t *codec, const void *data, size_t len, fs_err_t want,
                          const char *needle)
{
    char err[256] = "";
    fs_event_t got;
    memset(&got, 0x5a, sizeof got); /* decode must not rely on a zeroed event */
    fs_err_t rc = fs_codec_decode_event(codec, data, len, &got, err, sizeof err);
    if (rc != want)
        fprintf(stderr, "len %zu: %s\n", len, err);
    ASSERT_EQ(rc, want);
    if (needle)
        ASSERT_CONTAINS(err, needle);
    if (rc != FS_OK) { /* cleared on failure */
        ASSERT(got.type == NULL && got.props == NULL && got.nprops == 0);
    }
    fs_event_clear(&got);
}

/* The framing on its own, against bytes written out by hand (docs/avro.md):
 * what the worker reads to name a dead letter's schema. */
static void test_header(void)
{
    static const uint8_t framed[] = {0xC3, 0x01, 0x88, 0x77, 0x66, 0x55,
                                     0x44, 0x33, 0x22, 0x11, 0x02};
    uint8_t h[FS_CODEC_HEADER_LEN];
    fs_codec_write_header(h, 0x1122334455667788ULL);
    ASSERT(memcmp(h, framed, sizeof h) == 0);

    char err[128] = "";
    uint64_t fp = 7;
    ASSERT_EQ(fs_codec_read_header(framed, sizeof framed, &fp, err, sizeof err), FS_OK);
    ASSERT_U64_EQ(fp, 0x1122334455667788ULL);
    fp = 7;
    ASSERT_EQ(fs_codec_read_header(framed, FS_CODEC_HEADER_LEN, &fp, NULL, 0), FS_OK);
    ASSERT_U64_EQ(fp, 0x1122334455667788ULL);

    /* Too short or not our magic: refused, *fingerprint untouched. */
    fp = 7;
    ASSERT_EQ(fs_codec_read_header(framed, FS_CODEC_HEADER_LEN - 1, &fp, err, sizeof err),
              FS_ERR_CORRUPT);
    ASSERT_CONTAINS(err, "truncated header: 9 of 10 bytes");
    ASSERT_EQ(fs_codec_read_header("{\"type\":1}", 10, &fp, err, sizeof err),
              FS_ERR_CORRUPT);
    ASSERT_CONTAINS(err, "not Avro single-object encoding (10 bytes, starting 7b 22)");
    ASSERT_EQ(fs_codec_read_header(framed, 0, &fp, NULL, 0), FS_ERR_CORRUPT);
    ASSERT_U64_EQ(fp, 7);
}

static void test_corrupt(void)
{
    fs_codec_t *codec = new_codec();
    char err[256] = "";
    fs_buf_t buf = FS_BUF_INIT;
    fs_event_t ev = full_event();
    ASSERT_EQ(fs_codec_encode_event(codec, &ev, &buf, err, sizeof err), FS_OK);

    /* Every truncation is corruption (never a crash, leak or success). */
    for (size_t n = 0; n < buf.len; n++)
        expect_decode(codec, buf.data, n, FS_ERR_CORRUPT, NULL);
    expect_decode(codec, buf.data, 5, FS_ERR_CORRUPT, "truncated header");
    expect_decode(codec, buf.data, buf.len - 1, FS_ERR_CORRUPT, "exceeds");

    uint8_t *copy = malloc(buf.len + 4);
    ASSERT(copy != NULL);
    /* Bad magic. */
    memcpy(copy, buf.data, buf.len);
    copy[0] = 0x7b;
    expect_decode(codec, copy, buf.len, FS_ERR_CORRUPT, "not Avro single-object");
    copy[0] = 0xc3;
    copy[1] = 0x02;
    expect_decode(codec, copy, buf.len, FS_ERR_CORRUPT, "not Avro single-object");
    /* Unknown fingerprint. */
    memcpy(copy, buf.data, buf.len);
    copy[9] ^= 0x80;
    expect_decode(codec, copy, buf.len, FS_ERR_UNKNOWN_SCHEMA, "fingerprint 0x");
    /* Trailing bytes. */
    memcpy(copy, buf.data, buf.len);
    copy[buf.len] = 0;
    expect_decode(codec, copy, buf.len + 1, FS_ERR_CORRUPT, "trailing");
    /* Every single-byte corruption of the body: any outcome but a crash or
     * leak (ASan); many must be reported as corrupt. */
    int corrupt = 0;
    for (size_t i = FS_CODEC_HEADER_LEN; i < buf.len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(copy, buf.data, buf.len);
            copy[i] ^= (uint8_t)(1u << bit);
            fs_event_t got;
            fs_err_t rc =
                fs_codec_decode_event(codec, copy, buf.len, &got, err, sizeof err);
            ASSERT(rc == FS_OK || rc == FS_ERR_CORRUPT);
            corrupt += rc == FS_ERR_CORRUPT;
            fs_event_clear(&got);
        }
    }
    ASSERT_GT(corrupt, 100);
    free(copy);

    /* Huge declared string length: event_id declared as 2^62 bytes in a
     * 20-byte body.  Must fail fast without a big allocation (ASan would
     * report an allocation-size-too-big). */
    uint8_t huge[32];
    memcpy(huge, buf.data, FS_CODEC_HEADER_LEN);
    size_t n = FS_CODEC_HEADER_LEN;
    uint64_t zz = (uint64_t)1 << 63; /* zig-zag of 2^62 */
    while (zz >= 0x80) {
        huge[n++] = (uint8_t)(zz | 0x80);
        zz >>= 7;
    }
    huge[n++] = (uint8_t)zz;
    memset(huge + n, 'a', 8);
    n += 8;
    expect_decode(codec, huge, n, FS_ERR_CORRUPT, "exceeds");
    /* Negative length. */
    huge[FS_CODEC_HEADER_LEN] = 0x01; /* zig-zag -1 */
    expect_decode(codec, huge, FS_CODEC_HEADER_LEN + 1, FS_ERR_CORRUPT, "length -1");
    /* Varint longer than 10 bytes. */
    memset(huge + FS_CODEC_HEADER_LEN, 0xff, 12);
    expect_decode(codec, huge, FS_CODEC_HEADER_LEN + 12, FS_ERR_CORRUPT, "64 bits");

    /* A body of a valid minimal event with a union index out of range and a
     * map declaring 2^40 entries. */
    fs_event_t min;
    memset(&min, 0, sizeof min);
    strcpy(min.event_id, "e");
    min.type = (char *)"t";
    memcpy(min.currency, "USD", 4);
    fs_buf_reset(&buf);
    ASSERT_EQ(fs_codec_encode_event(codec, &min, &buf, err, sizeof err), FS_OK);
    /* Layout: hdr | 02 'e' | 02 't' | 00 user | 00 anon | 00 occ | 00 recv |
     * 00 x6 | 00 rev | 06 USD | 00 props | 00 ingest */
    size_t user_at = FS_CODEC_HEADER_LEN + 4;
    ASSERT_EQ(buf.data[user_at], 0);
    buf.data[user_at] = 0x04; /* branch 2 of ["null","string"] */
    expect_decode(codec, buf.data, buf.len, FS_ERR_CORRUPT, "union branch 2");
    buf.data[user_at] = 0;
    size_t props_at = buf.len - 2;
    ASSERT_EQ(buf.data[props_at], 0);
    uint8_t big_map[64];
    memcpy(big_map, buf.data, props_at);
    size_t m = props_at;
    uint64_t count = (uint64_t)1 << 41; /* zig-zag of 2^40 */
    while (count >= 0x80) {
        big_map[m++] = (uint8_t)(count | 0x80);
        count >>= 7;
    }
    big_map[m++] = (uint8_t)count;
    big_map[m++] = 0;
    big_map[m++] = 0;
    expect_decode(codec, big_map, m, FS_ERR_CORRUPT, "more than");
    /* A boolean byte other than 0/1 inside properties. */
    uint8_t boolmap[64];
    memcpy(boolmap, buf.data, props_at);
    m = props_at;
    const uint8_t entry[] = {0x02, 0x02, 'k', 0x06, 0x07, 0x00, 0x00};
    memcpy(boolmap + m, entry, sizeof entry);
    m += sizeof entry;
    expect_decode(codec, boolmap, m, FS_ERR_CORRUPT, "boolean");
    boolmap[props_at + 4] = 0x01; /* valid: true */
    expect_decode(codec, boolmap, m, FS_OK, NULL);
    /* A string with an embedded NUL or invalid UTF-8. */
    buf.data[FS_CODEC_HEADER_LEN + 3] = 0x00; /* type "t" → "\0" */
    expect_decode(codec, buf.data, buf.len, FS_ERR_CORRUPT, "UTF-8");
    buf.data[FS_CODEC_HEADER_LEN + 3] = 0xC0;
    expect_decode(codec, buf.data, buf.len, FS_ERR_CORRUPT, "UTF-8");
    fs_buf_free(&buf);
    fs_codec_destroy(codec);
}

/* A hand-made v2 body whose event_id has @p id_len bytes, whose currency
 * is @p currency and whose properties are the @p mlen bytes of @p map (a
 * complete Avro map). */
static size_t body_with(fs_codec_t *codec, uint8_t *rec, size_t id_len,
                        const char *currency, const uint8_t *map, size_t mlen)
{
    uint64_t fp = fs_codec_event_writer_fingerprint(codec);
    fs_codec_write_header(rec, fp);
    size_t n = FS_CODEC_HEADER_LEN;
    fs_buf_t b = FS_BUF_INIT;
    ASSERT_EQ(fs_avro_put_long(&b, (int64_t)id_len), FS_OK);
    memcpy(rec + n, b.data, b.len);
    n += b.len;
    memset(rec + n, 'x', id_len);
    n += id_len;
    /* type "t", 2 null ids, 2 longs, 6 null texts, null revenue */
    const uint8_t fields[] = {0x02, 't', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    memcpy(rec + n, fields, sizeof fields);
    n += sizeof fields;
    fs_buf_reset(&b);
    ASSERT_EQ(fs_avro_put_string(&b, currency, strlen(currency)), FS_OK);
    memcpy(rec + n, b.data, b.len);
    n += b.len;
    fs_buf_free(&b);
    memcpy(rec + n, map, mlen);
    n += mlen;
    rec[n++] = 0; /* null ingest_source */
    return n;
}

static size_t body_with_id(fs_codec_t *codec, uint8_t *rec, size_t id_len)
{
    static const uint8_t empty[] = {0};
    return body_with(codec, rec, id_len, "USD", empty, sizeof empty);
}

static void test_event_id_too_long(void)
{
    /* Another producer may write a 65-byte event_id: corrupt, not overflow. */
    fs_codec_t *codec = new_codec();
    uint8_t rec[256];
    size_t n = body_with_id(codec, rec, FS_EVENT_ID_MAX + 1);
    expect_decode(codec, rec, n, FS_ERR_CORRUPT, "event_id");
    n = body_with_id(codec, rec, FS_EVENT_ID_MAX);
    expect_decode(codec, rec, n, FS_OK, NULL);
    fs_codec_destroy(codec);
}

/* Bodies the encoder never writes.  Which reader ran is checked through
 * fs_codec_direct_decodes(): the direct reader takes the ordinary ones and
 * hands the rest to avro-c, and both readers agree on every one. */
static void test_decode_unusual_bodies(void)
{
    fs_codec_t *codec = new_codec();
    /* Values: union branch 1 = long (v2: string, long, double, boolean). */
    static const uint8_t twice[] = {0x04, 0x02, 'k',  0x02, 0x02,
                                    0x02, 'k',  0x02, 0x04, 0};
    static const uint8_t blocks[] = {0x02, 0x02, 'a',  0x02, 0x02, /* a = 1 */
                                     0x03, 0x10,                   /* -2 items, 8 bytes */
                                     0x02, 'b',  0x02, 0x04, 0x02, 'c', 0x02, 0x06, 0};
    static const uint8_t empty[] = {0};
    /* 65 keys "k00".."k64", each = 1: more than the direct reader takes. */
    uint8_t many[2 + 65 * 6 + 1];
    size_t m = 0;
    many[m++] = 0x80 | (130 & 0x7f); /* count 65, zig-zag 130, two bytes */
    many[m++] = 130 >> 7;
    for (int k = 0; k < 65; k++) {
        many[m++] = 0x06; /* key length 3 */
        many[m++] = 'k';
        many[m++] = (uint8_t)('0' + k / 10);
        many[m++] = (uint8_t)('0' + k % 10);
        many[m++] = 0x02; /* long */
        many[m++] = 0x02; /* 1 */
    }
    many[m++] = 0;
    const struct {
        const char *what, *currency;
        const uint8_t *map;
        size_t len;
        fs_err_t want;
        size_t nprops;
        int direct;
    } cases[] = {
        {"a key given twice (avro-c keeps one)", "USD", twice, sizeof twice, FS_OK, 1, 0},
        {"blocks, one with a negative count", "USD", blocks, sizeof blocks, FS_OK, 3, 1},
        {"65 properties", "USD", many, m, FS_OK, 65, 0},
        {"a currency of 4 bytes", "USDX", empty, sizeof empty, FS_ERR_CORRUPT, 0, 0},
        {"a currency of 3 bytes", "EUR", empty, sizeof empty, FS_OK, 0, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t rec[1024];
        size_t n =
            body_with(codec, rec, 8, cases[i].currency, cases[i].map, cases[i].len);
        same_decodes(codec, rec, n);
        char err[256] = "";
        fs_event_t ev;
        uint64_t direct = fs_codec_direct_decodes(codec);
        fs_err_t rc = fs_codec_decode_event(codec, rec, n, &ev, err, sizeof err);
        if (rc != cases[i].want)
            fprintf(stderr, "%s: %s\n", cases[i].what, err);
        ASSERT_EQ(rc, cases[i].want);
        ASSERT_EQ(ev.nprops, cases[i].nprops);
        ASSERT_EQ(fs_codec_direct_decodes(codec) - direct, (uint64_t)cases[i].direct);
        if (i == 1) {
            ASSERT_STR_EQ(ev.props[2].key, "c");
            ASSERT_EQ(ev.props[2].v.l, 3);
        }
        if (rc == FS_ERR_CORRUPT)
            ASSERT_CONTAINS(err, "currency");
        fs_event_clear(&ev);
    }
    fs_codec_destroy(codec);
}

static void test_dead_letter(void)
{
    fs_codec_t *codec = new_codec();
    char err[256] = "";
    fs_buf_t buf = FS_BUF_INIT, storage = FS_BUF_INIT;
    uint8_t raw[FS_DEAD_LETTER_RAW_MAX + 100];
    for (size_t i = 0; i < sizeof raw; i++)
        raw[i] = (uint8_t)i;
    fs_dead_letter_t dl = {.reason = "occurred_at: more than 24h in the future",
                           .source = "worker",
                           .at_ms = 1764220321123LL,
                           .raw = raw,
                           .raw_len = sizeof raw,
                           .topic = "journey.events",
                           .partition = 3,
                           .offset = 123456789012LL,
                           .has_fingerprint = 1,
                           .fingerprint = 0xfedcba9876543210ULL};
    ASSERT_EQ(fs_codec_encode_dead_letter(codec, &dl, &buf, err, sizeof err), FS_OK);
    fs_dead_letter_t got;
    ASSERT_EQ(fs_codec_decode_dead_letter(codec, buf.data, buf.len, &got, &storage, err,
                                          sizeof err),
              FS_OK);
    ASSERT_STR_EQ(got.reason, dl.reason);
    ASSERT_STR_EQ(got.source, "worker");
    ASSERT_EQ(got.at_ms, dl.at_ms);
    ASSERT_EQ(got.raw_len, FS_DEAD_LETTER_RAW_MAX); /* truncated */
    ASSERT_EQ(got.raw_total, sizeof raw);
    ASSERT(memcmp(got.raw, raw, FS_DEAD_LETTER_RAW_MAX) == 0);
    ASSERT_STR_EQ(got.topic, "journey.events");
    ASSERT_EQ(got.partition, 3);
    ASSERT_EQ(got.offset, 123456789012LL);
    ASSERT(got.has_fingerprint);
    ASSERT_U64_EQ(got.fingerprint, 0xfedcba9876543210ULL);

    /* Producer-side: no Kafka origin, no raw. */
    fs_dead_letter_t p = {
        .reason = "type: unknown", .source = "collector", .partition = -1, .offset = -1};
    fs_buf_reset(&buf);
    ASSERT_EQ(fs_codec_encode_dead_letter(codec, &p, &buf, err, sizeof err), FS_OK);
    ASSERT_EQ(fs_codec_decode_dead_letter(codec, buf.data, buf.len, &got, &storage, err,
                                          sizeof err),
              FS_OK);
    ASSERT(got.topic == NULL && got.raw == NULL && got.raw_len == 0);
    ASSERT_EQ(got.partition, -1);
    ASSERT_EQ(got.offset, -1);
    ASSERT(!got.has_fingerprint);
    /* A dead letter is not an event, and vice versa. */
    fs_event_t ev;
    ASSERT_EQ(fs_codec_decode_event(codec, buf.data, buf.len, &ev, err, sizeof err),
              FS_ERR_UNKNOWN_SCHEMA);
    ASSERT_CONTAINS(err, "dead_letter");
    for (size_t n = 0; n < buf.len; n++)
        ASSERT_EQ(fs_codec_decode_dead_letter(codec, buf.data, n, &got, &storage, err,
                                              sizeof err),
                  FS_ERR_CORRUPT);
    p.reason = NULL;
    ASSERT_EQ(fs_codec_encode_dead_letter(codec, &p, &buf, err, sizeof err),
              FS_ERR_INVALID);
    fs_buf_free(&buf);
    fs_buf_free(&storage);
    fs_codec_destroy(codec);
}

static void test_bad_schema_dir(void)
{
    char err[256] = "";
    ASSERT(fs_codec_new("/nonexistent/dir", err, sizeof err) == NULL);
    ASSERT_CONTAINS(err, "/nonexistent/dir");
    char tmpl[] = "/tmp/fs_codec_bad_XXXXXX";
    char *dir = mkdtemp(tmpl);
    ASSERT(dir != NULL);
    char path[4096];
    snprintf(path, sizeof path, "%s/journey_event.v3.avsc", dir);
    FILE *f = fopen(path, "w");
    ASSERT(f != NULL);
    fputs("{\"type\":\"record\",\"name\":\"funnelstream.JourneyEvent\",\"fields\":["
          "{\"name\":\"event_id\",\"type\":\"string\"},{\"name\":\"nope\",\"type\":"
          "\"int\"}]}",
          f);
    ASSERT_EQ(fclose(f), 0);
    ASSERT(fs_codec_new(dir, err, sizeof err) == NULL); /* highest must be writable */
    ASSERT_CONTAINS(err, "nope");
    f = fopen(path, "w");
    ASSERT(f != NULL);
    fputs("{\"type\":", f);
    ASSERT_EQ(fclose(f), 0);
    ASSERT(fs_codec_new(dir, err, sizeof err) == NULL);
    ASSERT_CONTAINS(err, "journey_event.v3.avsc");
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    RUN(test_schemas_loaded);
    RUN(test_roundtrip_fields);
    RUN(test_encode_rejects);
    RUN(test_direct_matches_avro_c);
    RUN(test_direct_matches_avro_c_odd_schema);
    RUN(test_duplicate_property_key);
    RUN(test_evolution);
    RUN(test_header);
    RUN(test_corrupt);
    RUN(test_event_id_too_long);
    RUN(test_decode_unusual_bodies);
    RUN(test_dead_letter);
    RUN(test_bad_schema_dir);
    return 0;
}
