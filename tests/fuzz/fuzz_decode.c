/*
 * fuzz_decode.c — libFuzzer target of the codec's decoders: framing, body
 * pre-scan, avro-c reading, resolution (v1 → v2) and the event mapping.
 * Leaks are findings (LeakSanitizer runs with libFuzzer).
 *
 * The first input byte picks the mode so the fuzzer reaches bodies without
 * having to guess a fingerprint:
 *   0: the rest is a framed record, decoded as an event
 *   1: the rest is a body, framed with the v2 (writer) fingerprint
 *   2: the rest is a body, framed with the v1 fingerprint (resolution)
 *   3: the rest is a framed record, decoded as a dead letter
 * A decoded event must re-encode and decode to the same bytes again,
 * fs_codec_encode_event() must write what avro-c's own writer writes, and
 * fs_codec_decode_event() must read what avro-c's own reader reads.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_codec.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The one codec of the fuzzing process (a harness, not product code):
 * building it per input would spend every execution parsing schemas. */
static fs_codec_t *codec;
static uint64_t v1_fp, v2_fp;

/* Registered after LeakSanitizer's own exit check, so it runs before it:
 * what is left after destroying the codec is a real leak. */
static void destroy_codec(void)
{
    fs_codec_destroy(codec);
    codec = NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char err[256];
    codec = fs_codec_new(NULL, err, sizeof err);
    if (!codec || atexit(destroy_codec) != 0)
        abort();
    v2_fp = fs_codec_event_writer_fingerprint(codec);
    for (size_t i = 0; i < fs_codec_schema_count(codec); i++) {
        const char *name;
        uint64_t fp;
        if (fs_codec_schema_info(codec, i, &name, NULL, &fp) == FS_OK &&
            strcmp(name, "journey_event.v1.avsc") == 0)
            v1_fp = fp;
    }
    return 0;
}

static void frame(fs_buf_t *b, uint64_t fp, const uint8_t *body, size_t n)
{
    uint8_t h[FS_CODEC_HEADER_LEN];
    fs_codec_write_header(h, fp);
    if (fs_buf_append(b, h, sizeof h) != FS_OK || fs_buf_append(b, body, n) != FS_OK)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    char err[256];
    uint8_t mode = data[0] & 3;
    data++, size--;
    fs_buf_t in = FS_BUF_INIT, storage = FS_BUF_INIT;
    if (mode == 1 || mode == 2) {
        frame(&in, mode == 1 ? v2_fp : v1_fp, data, size);
        data = in.data, size = in.len;
    }
    if (mode == 3) {
        fs_dead_letter_t dl;
        if (fs_codec_decode_dead_letter(codec, data, size, &dl, &storage, err,
                                        sizeof err) == FS_OK) {
            fs_buf_t out = FS_BUF_INIT;
            if (fs_codec_encode_dead_letter(codec, &dl, &out, err, sizeof err) != FS_OK)
                abort();
            fs_buf_free(&out);
        }
    } else {
        fs_event_t ev, gen;
        fs_err_t rc = fs_codec_decode_event(codec, data, size, &ev, err, sizeof err);
        /* The direct reader and avro-c's agree on the outcome... */
        if (fs_codec_decode_event_generic(codec, data, size, &gen, err, sizeof err) !=
            rc) {
            fprintf(stderr, "direct and avro-c readers disagree: %s\n", err);
            abort();
        }
        if (rc == FS_OK) {
            /* Whatever decodes must survive a round trip unchanged. */
            fs_buf_t a = FS_BUF_INIT, b = FS_BUF_INIT;
            fs_event_t again;
            if (fs_codec_encode_event(codec, &ev, &a, err, sizeof err) != FS_OK ||
                fs_codec_decode_event(codec, a.data, a.len, &again, err, sizeof err) !=
                    FS_OK ||
                fs_codec_encode_event(codec, &again, &b, err, sizeof err) != FS_OK ||
                a.len != b.len || memcmp(a.data, b.data, a.len) != 0) {
                fprintf(stderr, "round trip failed: %s\n", err);
                abort();
            }
            /* The direct writer and avro-c's writer agree byte for byte. */
            fs_buf_t g = FS_BUF_INIT;
            if (fs_codec_encode_event_generic(codec, &ev, &g, err, sizeof err) != FS_OK ||
                g.len != a.len || memcmp(g.data, a.data, a.len) != 0) {
                fprintf(stderr, "direct and avro-c writers differ: %s\n", err);
                abort();
            }
            fs_buf_free(&g);
            /* ...and on the event: it encodes to the same bytes (properties
             * in the same order). */
            if (fs_codec_encode_event(codec, &gen, &g, err, sizeof err) != FS_OK ||
                g.len != a.len || memcmp(g.data, a.data, a.len) != 0) {
                fprintf(stderr, "direct and avro-c readers differ: %s\n", err);
                abort();
            }
            fs_buf_free(&g);
            fs_event_clear(&again);
            fs_buf_free(&a);
            fs_buf_free(&b);
        } else if (rc != FS_ERR_CORRUPT && rc != FS_ERR_UNKNOWN_SCHEMA) {
            abort();
        }
        fs_event_clear(&ev);
        fs_event_clear(&gen);
    }
    fs_buf_free(&storage);
    fs_buf_free(&in);
    return 0;
}
