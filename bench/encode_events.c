/*
 * encode_events.c — inputs of the collector benchmarks (bench/collector_bench).
 *
 * Writes, from one fixed seed:
 *   BODY_DIR/batch.json   a JSON array of --batch events (no event_id: the
 *                         collector gives each one a fresh id)
 *   BODY_DIR/single.json  the first of those events alone, as one object
 *   --kafka-out FILE      (optional) --messages Kafka messages for kcat -P:
 *                         KEY <key delimiter> VALUE <message delimiter>,
 *                         where VALUE is exactly what the collector produces
 *                         for the batch's events: each element is validated
 *                         with fs_validate_json() (ingest_source "collector",
 *                         received now), given a fresh fs_uuid4_random() id
 *                         and encoded with fs_codec_encode_event(); KEY is
 *                         fs_event_key().  Cycles through the batch.
 *
 * Avro binary can hold any byte (newlines included), so the delimiters are
 * byte strings chosen by the caller; a message that would contain one is an
 * error (never seen in practice: they start with 0xff, which UTF-8 text
 * never holds, and are 8+ bytes long).
 *
 *   fs-bench-encode --dir DIR [--batch 100] [--seed 7]
 *                   [--kafka-out FILE --messages N --delim HEX --key-delim HEX]
 *
 * HEX: the delimiter's bytes in hex ("fffe46534221fdfc"); the same bytes are
 * passed to kcat as "\xff\xfe...".
 */
#define _GNU_SOURCE /* memmem */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fs_buf.h"
#include "fs_codec.h"
#include "fs_definition.h"
#include "fs_event.h"
#include "fs_uuid.h"
#include "fs_validate.h"

static const char *const TYPES[] = {"page_view",     "page_view",     "page_view",
                                    "ad_impression", "ad_impression", "ad_click",
                                    "email_open",    "email_click",   "content_download",
                                    "email_signup",  "sales_call",    "sale"};
static const char *const CHANNELS[] = {"paid_search",    "email",  "social",
                                       "organic_search", "events", "sales_outreach"};

static void die(const char *what)
{
    fprintf(stderr, "fs-bench-encode: %s\n", what);
    exit(1);
}

static size_t unhex(const char *h, unsigned char *out, size_t cap)
{
    size_t n = strlen(h);
    if (n % 2 || n / 2 > cap || n == 0)
        die("delimiters are non-empty hex strings of at most 32 bytes");
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(h + 2 * i, "%2x", &v) != 1)
            die("bad hex delimiter");
        out[i] = (unsigned char)v;
    }
    return n / 2;
}

static uint64_t rng_state;
static uint32_t rnd(void) /* xorshift64*: deterministic for a seed */
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 2685821657736338717ULL) >> 32);
}

static json_t *make_event(void)
{
    char buf[64];
    const char *type = TYPES[rnd() % (sizeof TYPES / sizeof TYPES[0])];
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string(type));
    snprintf(buf, sizeof buf, "crm-%08u", rnd() % 500000);
    json_object_set_new(o, "user_id", json_string(buf));
    snprintf(buf, sizeof buf, "anon-%08x-%04x", rnd(), rnd() & 0xffff);
    json_object_set_new(o, "anonymous_id", json_string(buf));
    json_object_set_new(
        o, "channel",
        json_string(CHANNELS[rnd() % (sizeof CHANNELS / sizeof CHANNELS[0])]));
    snprintf(buf, sizeof buf, "q4_campaign_%02u", rnd() % 40);
    json_object_set_new(o, "campaign", json_string(buf));
    json_object_set_new(o, "source", json_string("google"));
    json_object_set_new(o, "medium", json_string("cpc"));
    if (!strcmp(type, "sale")) {
        snprintf(buf, sizeof buf, "%u.%02u", 100 + rnd() % 9900, rnd() % 100);
        json_object_set_new(o, "revenue", json_string(buf));
        json_object_set_new(o, "currency", json_string("USD"));
    }
    json_t *p = json_object();
    json_object_set_new(p, "page", json_string("/pricing"));
    json_object_set_new(p, "plan", json_string("enterprise"));
    json_object_set_new(p, "seats", json_integer(5 + rnd() % 500));
    json_object_set_new(o, "properties", p);
    return o;
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *kout = NULL, *dhex = NULL, *khex = NULL;
    long batch = 100, messages = 0;
    unsigned long seed = 7;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            die("every option takes a value");
        if (!strcmp(a, "--dir"))
            dir = v;
        else if (!strcmp(a, "--batch"))
            batch = atol(v);
        else if (!strcmp(a, "--seed"))
            seed = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--kafka-out"))
            kout = v;
        else if (!strcmp(a, "--messages"))
            messages = atol(v);
        else if (!strcmp(a, "--delim"))
            dhex = v;
        else if (!strcmp(a, "--key-delim"))
            khex = v;
        else
            die("usage: fs-bench-encode --dir DIR [--batch N] [--seed S] "
                "[--kafka-out FILE --messages N --delim HEX --key-delim HEX]");
        i++;
    }
    if (!dir || batch < 1 || batch > 500)
        die("--dir is required; --batch is 1..500");
    rng_state = 0x9E3779B97F4A7C15ULL ^ (uint64_t)seed;

    json_t *arr = json_array();
    for (long i = 0; i < batch; i++)
        json_array_append_new(arr, make_event());
    char path[4096];
    snprintf(path, sizeof path, "%s/batch.json", dir);
    if (json_dump_file(arr, path, JSON_COMPACT))
        die("cannot write batch.json");
    snprintf(path, sizeof path, "%s/single.json", dir);
    if (json_dump_file(json_array_get(arr, 0), path, JSON_COMPACT))
        die("cannot write single.json");

    if (kout) {
        unsigned char d[32], k[32];
        if (!dhex || !khex || messages < 1)
            die("--kafka-out needs --messages, --delim and --key-delim");
        size_t dl = unhex(dhex, d, sizeof d), kl = unhex(khex, k, sizeof k);
        char err[1024];
        fs_definition_t *def = fs_definition_new_default(err, sizeof err);
        fs_codec_t *codec = def ? fs_codec_new(NULL, err, sizeof err) : NULL;
        if (!codec)
            die(err);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        fs_validate_ctx_t ctx = {def, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000,
                                 "collector", NULL};
        fs_event_t *evs = calloc((size_t)batch, sizeof *evs);
        if (!evs)
            die("out of memory");
        for (long i = 0; i < batch; i++)
            if (fs_validate_json(&ctx, json_array_get(arr, (size_t)i), &evs[i], err,
                                 sizeof err) != FS_OK)
                die(err);
        FILE *f = fopen(kout, "wb");
        if (!f)
            die("cannot open --kafka-out");
        fs_buf_t b;
        memset(&b, 0, sizeof b);
        size_t bytes = 0;
        for (long m = 0; m < messages; m++) {
            fs_event_t *ev = &evs[m % batch];
            if (fs_uuid4_random(ev->event_id) != FS_OK)
                die("no randomness");
            fs_buf_reset(&b);
            if (fs_codec_encode_event(codec, ev, &b, err, sizeof err) != FS_OK)
                die(err);
            if (memmem(b.data, b.len, d, dl) || memmem(b.data, b.len, k, kl))
                die("an encoded event contains a delimiter; choose other bytes");
            const char *key = fs_event_key(ev);
            fwrite(key, 1, strlen(key), f);
            fwrite(k, 1, kl, f);
            fwrite(b.data, 1, b.len, f);
            fwrite(d, 1, dl, f);
            bytes += b.len;
        }
        if (fclose(f))
            die("write failed");
        fprintf(stderr, "fs-bench-encode: %ld messages, %.1f value bytes on average\n",
                messages, (double)bytes / (double)messages);
        for (long i = 0; i < batch; i++)
            fs_event_clear(&evs[i]);
        free(evs);
        fs_buf_free(&b);
        fs_codec_destroy(codec);
        fs_definition_destroy(def);
    }
    json_decref(arr);
    return 0;
}
