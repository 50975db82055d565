/*
 * fuzz_validate.c — libFuzzer target for fs_validate_text() and the two
 * pure parsers it is built on.  Any crash, sanitizer report or leak is a
 * finding; accepted events must satisfy the docs/event.md invariants checked
 * below, survive fs_event_copy(), and encode to the same Avro bytes with
 * fs_codec_encode_event() and fs_codec_encode_valid_event().
 */
#include "fs_codec.h"
#include "fs_event.h"
#include "fs_uuid.h"
#include "fs_validate.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NOW 1795756321123LL /* 2026-11-27T05:12:01.123Z */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The one codec of the fuzzing process (a harness, not product code). */
static fs_codec_t *codec;

static void destroy_codec(void)
{
    fs_codec_destroy(codec);
    codec = NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char err[256];
    (void)argc, (void)argv;
    codec = fs_codec_new(NULL, err, sizeof err);
    if (!codec)
        abort();
    atexit(destroy_codec);
    return 0;
}

/* A validated event encodes, and the encoder that trusts the validator's
 * checks writes the same bytes as the one that repeats them. */
static void check_encodes(fs_event_t *ev)
{
    char err[256];
    fs_buf_t a = FS_BUF_INIT, b = FS_BUF_INIT;
    if (!ev->event_id[0]) { /* as the collector does */
        uint8_t rnd[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
        fs_uuid4_format(ev->event_id, rnd);
    }
    if (fs_codec_encode_event(codec, ev, &a, err, sizeof err) != FS_OK ||
        fs_codec_encode_valid_event(codec, ev, &b, err, sizeof err) != FS_OK ||
        a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
        abort();
    fs_buf_free(&a);
    fs_buf_free(&b);
}

static void check_text(const char *s)
{
    if (s && (s[0] == '\0' || strlen(s) > 4 * 128))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    fs_definition_t *def = fs_definition_new_default(err, sizeof(err));
    if (!def)
        return 0;
    fs_validate_ctx_t ctx = {def, NOW, "fuzz", NULL};
    fs_event_t ev;

    fs_err_t rc = fs_validate_text(&ctx, (const char *)data, size, &ev, err, sizeof(err));
    if (rc == FS_OK) {
        if (!ev.type || !fs_definition_lookup(def, ev.type))
            abort();
        if (!ev.user_id && !ev.anonymous_id)
            abort();
        if (ev.occurred_at_ms < FS_EPOCH_MIN_MS ||
            ev.occurred_at_ms > NOW + FS_FUTURE_SLACK_MS)
            abort();
        if (ev.has_revenue &&
            (ev.revenue_cents < 0 || ev.revenue_cents >= FS_REVENUE_LIMIT_CENTS))
            abort();
        if (strlen(ev.currency) != 3 || ev.nprops > FS_PROPS_MAX)
            abort();
        check_text(ev.user_id);
        check_text(ev.anonymous_id);
        check_text(ev.channel);
        check_text(ev.campaign);
        check_text(ev.term);
        fs_event_t copy;
        if (fs_event_copy(&copy, &ev) == FS_OK) {
            if (strcmp(copy.type, ev.type) != 0 || copy.nprops != ev.nprops)
                abort();
            fs_event_clear(&copy);
        }
        check_encodes(&ev);
        fs_event_clear(&ev);
    } else if (rc == FS_ERR_INVALID) {
        if (err[0] == '\0' || ev.type != NULL)
            abort();
    }

    /* The same bytes as a bare revenue amount and timestamp. */
    if (size < 256) {
        char s[256];
        memcpy(s, data, size);
        s[size] = '\0';
        int64_t v;
        if (fs_parse_revenue_cents(s, &v) == FS_OK &&
            (v < 0 || v >= FS_REVENUE_LIMIT_CENTS))
            abort();
        (void)fs_parse_timestamp_ms(s, &v);
    }
    fs_definition_destroy(def);
    return 0;
}
