/*
 * bench_intake.c — the collector's CPU per event on its request path,
 * without the network: a batch body through fs_intake_parse() (parse +
 * docs/event.md validation), then every accepted event through
 * fs_codec_encode_valid_event(), then fs_intake_clear().  The baselines,
 * timed in the same run: jansson parsing the same body alone, and yajl (the
 * parser under fs_json) lexing it with callbacks that do nothing — the
 * floor for any validation built on yajl.
 *
 *   bench_intake BODY_FILE [ITERATIONS]
 *
 * BODY_FILE is a request body such as fs-bench-encode's batch.json.  Prints
 * ns/event for each and the path's ratio to both.  Linked with the
 * collector's allocator.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <jansson.h>
#include <yajl/yajl_parse.h>

#include "fs_buf.h"
#include "fs_codec.h"
#include "fs_definition.h"
#include "intake.h"

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* The whole of @p path in a new buffer (*len bytes), or NULL. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (n > 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n)) &&
        fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = n > 0 ? (size_t)n : 0;
    return buf;
}

static int yajl_nothing(void *ctx)
{
    (void)ctx;
    return 1;
}

static int yajl_bool(void *ctx, int v)
{
    (void)ctx, (void)v;
    return 1;
}

static int yajl_number(void *ctx, const char *s, size_t n)
{
    (void)ctx, (void)s, (void)n;
    return 1;
}

static int yajl_text(void *ctx, const unsigned char *s, size_t n)
{
    (void)ctx, (void)s, (void)n;
    return 1;
}

static const yajl_callbacks nothing = {
    .yajl_null = yajl_nothing,
    .yajl_boolean = yajl_bool,
    .yajl_number = yajl_number,
    .yajl_string = yajl_text,
    .yajl_start_map = yajl_nothing,
    .yajl_map_key = yajl_text,
    .yajl_end_map = yajl_nothing,
    .yajl_start_array = yajl_nothing,
    .yajl_end_array = yajl_nothing,
};

/* yajl over @p body with callbacks that do nothing, configured as fs_json
 * configures it; 0 when it parsed. */
static int yajl_only(const char *body, size_t len)
{
    yajl_handle h = yajl_alloc(&nothing, NULL, NULL);
    int ok = h && yajl_config(h, yajl_dont_validate_strings, 1) &&
             yajl_parse(h, (const unsigned char *)body, len) == yajl_status_ok &&
             yajl_complete_parse(h) == yajl_status_ok;
    if (h)
        yajl_free(h);
    return ok ? 0 : -1;
}

/* One request's work; the number of events encoded, or -1. */
static long one_request(const fs_validate_ctx_t *ctx, fs_codec_t *codec, fs_buf_t *out,
                        const char *body, size_t len)
{
    fs_intake_t in;
    char err[512];
    long encoded = 0;
    if (fs_intake_parse(ctx, body, len, 1000, &in, err, sizeof(err)) != FS_OK) {
        fprintf(stderr, "bench_intake: %s\n", err);
        return -1;
    }
    for (size_t i = 0; i < in.n; i++) {
        if (!in.items[i].ok)
            continue;
        fs_buf_reset(out);
        if (fs_codec_encode_valid_event(codec, &in.items[i].ev, out, err, sizeof(err))) {
            fprintf(stderr, "bench_intake: %s\n", err);
            fs_intake_clear(&in);
            return -1;
        }
        encoded++;
    }
    fs_intake_clear(&in);
    return encoded;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_intake BODY_FILE [ITERATIONS]\n");
        return 2;
    }
    long n = argc > 2 ? atol(argv[2]) : 2000;
    size_t len;
    char *body = slurp(argv[1], &len);
    char err[512];
    fs_definition_t *def = fs_definition_new_default(err, sizeof(err));
    fs_codec_t *codec = def ? fs_codec_new(NULL, err, sizeof(err)) : NULL;
    fs_buf_t out = {0};
    int rc = 1;
    if (!body || !def || !codec || n <= 0) {
        fprintf(stderr, "bench_intake: %s\n",
                !body    ? "cannot read the body"
                : n <= 0 ? "bad iteration count"
                         : err);
        goto done;
    }
    fs_validate_ctx_t ctx = {def, 1795756321000LL, "collector", NULL};
    long events = one_request(&ctx, codec, &out, body, len); /* warm, and count */
    if (events <= 0)
        goto done;

    double t0 = now_ns();
    for (long i = 0; i < n; i++) {
        json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
        if (!j)
            goto done;
        json_decref(j);
    }
    double parse = (now_ns() - t0) / ((double)n * events);

    t0 = now_ns();
    for (long i = 0; i < n; i++)
        if (yajl_only(body, len) != 0)
            goto done;
    double lex = (now_ns() - t0) / ((double)n * events);

    t0 = now_ns();
    for (long i = 0; i < n; i++)
        if (one_request(&ctx, codec, &out, body, len) != events)
            goto done;
    double path = (now_ns() - t0) / ((double)n * events);

    printf("body: %zu bytes, %ld events, %ld iterations\n", len, events, n);
    printf("jansson parse alone (baseline)      %7.0f ns/event\n", parse);
    printf("yajl, callbacks doing nothing       %7.0f ns/event\n", lex);
    printf("intake + encode (collector's path)  %7.0f ns/event  (%.2f x jansson, %.2f x "
           "yajl)\n",
           path, path / parse, path / lex);
    rc = 0;
done:
    fs_buf_free(&out);
    fs_codec_destroy(codec);
    fs_definition_destroy(def);
    free(body);
    return rc;
}
