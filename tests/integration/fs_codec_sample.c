/*
 * fs_codec_sample.c — writes a dozen varied events with fs_codec, for
 * avro_readback.py to decode with python's avro DatumReader.  Test tool only.
 *
 *   fs-codec-sample OUT.bin   → OUT.bin: per record a 4-byte big-endian
 *   length and the framed bytes; stdout: one JSON line per record,
 *   {"writer": FILE, "event": {...}} with the values that went in.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_codec.h"

static json_t *opt(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *event_json(const fs_event_t *ev)
{
    json_t *props = json_object();
    for (size_t i = 0; i < ev->nprops; i++) {
        const fs_prop_t *p = &ev->props[i];
        json_t *v = p->kind == FS_PROP_STRING   ? json_string(p->v.s)
                    : p->kind == FS_PROP_LONG   ? json_integer(p->v.l)
                    : p->kind == FS_PROP_DOUBLE ? json_real(p->v.d)
                                                : json_boolean(p->v.b);
        json_object_set_new(props, p->key, v);
    }
    return json_pack(
        "{s:s,s:s,s:o,s:o,s:I,s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:s,s:o,s:o}", "event_id",
        ev->event_id, "type", ev->type, "user_id", opt(ev->user_id), "anonymous_id",
        opt(ev->anonymous_id), "occurred_at", (json_int_t)ev->occurred_at_ms,
        "received_at", (json_int_t)ev->received_at_ms, "channel", opt(ev->channel),
        "campaign", opt(ev->campaign), "source", opt(ev->source), "medium",
        opt(ev->medium), "content", opt(ev->content), "term", opt(ev->term),
        "revenue_cents", ev->has_revenue ? json_integer(ev->revenue_cents) : json_null(),
        "currency", ev->currency, "properties", props, "ingest_source",
        opt(ev->ingest_source));
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: fs-codec-sample OUT.bin\n");
        return 2;
    }
    char err[256];
    fs_codec_t *codec = fs_codec_new(NULL, err, sizeof err);
    if (!codec) {
        fprintf(stderr, "fs_codec_new: %s\n", err);
        return 1;
    }
    FILE *out = fopen(argv[1], "wb");
    if (!out) {
        perror(argv[1]);
        fs_codec_destroy(codec);
        return 1;
    }
    uint64_t v2 = fs_codec_event_writer_fingerprint(codec), v1 = 0;
    for (size_t i = 0; i < fs_codec_schema_count(codec); i++) {
        const char *name;
        uint64_t fp;
        if (fs_codec_schema_info(codec, i, &name, NULL, &fp) == FS_OK &&
            strcmp(name, "journey_event.v1.avsc") == 0)
            v1 = fp;
    }
    char long_text[129];
    memset(long_text, 'x', 128);
    long_text[128] = '\0';
    fs_prop_t props[] = {
        {"plan", FS_PROP_STRING, {.s = "pro \xe2\x9c\x93"}},
        {"seats", FS_PROP_LONG, {.l = -9223372036854775807LL - 1}},
        {"score", FS_PROP_DOUBLE, {.d = 0.1}},
        {"trial", FS_PROP_BOOL, {.b = 1}},
        {"big", FS_PROP_DOUBLE, {.d = 1.7976931348623157e308}},
        {"off", FS_PROP_BOOL, {.b = 0}},
        {"empty", FS_PROP_STRING, {.s = ""}},
    };
    int rc = 0;
    fs_buf_t buf = FS_BUF_INIT;
    for (int i = 0; i < 12 && rc == 0; i++) {
        fs_event_t ev;
        memset(&ev, 0, sizeof ev);
        snprintf(ev.event_id, sizeof ev.event_id, "evt-%02d:%s", i,
                 i == 5 ? "a.b_c-d" : "");
        if (i == 6)
            memset(ev.event_id, 'E', FS_EVENT_ID_MAX); /* 64 characters */
        ev.type = (char *)(i % 3 == 0   ? "sale"
                           : i % 3 == 1 ? "ad_click"
                                        : "email_signup");
        ev.user_id = (char *)(i % 2 ? "user-\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80" : NULL);
        ev.anonymous_id = (char *)(i % 2 ? NULL : "anon-1");
        if (i == 4)
            ev.user_id = (char *)"u4";
        ev.occurred_at_ms = 1764220321123LL + i * 1000;
        ev.received_at_ms = i == 7 ? 0 : 1764220322000LL + i;
        ev.channel = (char *)(i % 4 ? "paid_search" : NULL);
        ev.campaign = (char *)(i == 3 ? long_text : i % 2 ? "spring" : NULL);
        ev.source = (char *)(i == 8 ? "google" : NULL);
        ev.medium = (char *)(i == 8 ? "cpc" : NULL);
        ev.content = (char *)(i == 8 ? "ad \"1\" \\ \n" : NULL);
        ev.term = (char *)(i == 8 ? "crm software" : NULL);
        ev.has_revenue = i % 3 == 0;
        ev.revenue_cents = i == 9 ? 99999999999999LL : i == 0 ? 0 : 12345;
        memcpy(ev.currency, i == 3 ? "EUR" : "USD", 4);
        ev.nprops = (size_t)(i % 8);
        ev.props = props;
        ev.ingest_source = (char *)(i == 2 ? NULL : i % 2 ? "collector" : "gen");
        uint64_t writer = i >= 10 && v1 ? v1 : v2;
        if (fs_codec_set_event_writer(codec, writer) != FS_OK) {
            fprintf(stderr, "cannot select writer\n");
            rc = 1;
            break;
        }
        fs_buf_reset(&buf);
        if (fs_codec_encode_event(codec, &ev, &buf, err, sizeof err) != FS_OK) {
            fprintf(stderr, "encode %d: %s\n", i, err);
            rc = 1;
            break;
        }
        uint8_t len[4] = {(uint8_t)(buf.len >> 24), (uint8_t)(buf.len >> 16),
                          (uint8_t)(buf.len >> 8), (uint8_t)buf.len};
        if (fwrite(len, 1, 4, out) != 4 || fwrite(buf.data, 1, buf.len, out) != buf.len) {
            perror("write");
            rc = 1;
            break;
        }
        json_t *line =
            json_pack("{s:s,s:o}", "writer",
                      writer == v2 ? "journey_event.v2.avsc" : "journey_event.v1.avsc",
                      "event", event_json(&ev));
        char *text =
            line ? json_dumps(line, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
        if (!text) {
            fprintf(stderr, "out of memory\n");
            rc = 1;
        } else {
            printf("%s\n", text);
        }
        free(text);
        json_decref(line);
    }
    fs_buf_free(&buf);
    if (fclose(out) != 0)
        rc = 1;
    fs_codec_destroy(codec);
    return rc;
}
