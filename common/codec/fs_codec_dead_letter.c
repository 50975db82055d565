/*
 * fs_codec_dead_letter.c — dead letters (the DeadLetter schema) to and
 * from single-object Avro bytes, through avro-c's generic value.
 *
 * Owns nothing.  Called by the collector, funnel-ingest and the worker
 * (encode) and by tests and tools (decode).  Pure: no I/O, never logs.
 * Every field is optional by name, so any loaded DeadLetter version can be
 * written and read.
 */
#include "fs_codec.h"

#include <string.h>

#include "fs_codec_internal.h"
#include "fs_utf8.h"

/* Field @p name of record @p rec unwrapped for writing: sets a union to its
 * null branch (present == 0) or to the branch of type @p t.  Returns 1 when
 * the field does not exist, 0 when @p out is ready to be set (or nulled),
 * -1 on an avro-c error or a type mismatch. */
static int dl_field(avro_value_t *rec, const char *name, avro_type_t t, int present,
                    avro_value_t *out)
{
    avro_value_t f;
    if (avro_value_get_by_name(rec, name, &f, NULL) != 0)
        return 1;
    if (avro_value_get_type(&f) != AVRO_UNION) {
        *out = f;
        return avro_value_get_type(&f) == t && present ? 0 : -1;
    }
    avro_schema_t us = avro_value_get_schema(&f);
    int b = codec_union_branch(us, present ? t : AVRO_NULL);
    if (b < 0 || avro_value_set_branch(&f, b, out) != 0)
        return -1;
    return 0;
}

fs_err_t fs_codec_encode_dead_letter(fs_codec_t *codec, const fs_dead_letter_t *dl,
                                     fs_buf_t *out, char *errstr, size_t errstr_size)
{
    entry_t *e = codec->dead.writer;
    if (!e) {
        set_err(errstr, errstr_size, "no DeadLetter schema loaded");
        return FS_ERR_INVALID;
    }
    if (!dl->reason || !dl->source || !fs_utf8_valid(dl->reason, strlen(dl->reason)) ||
        !fs_utf8_valid(dl->source, strlen(dl->source)) ||
        (dl->topic && !fs_utf8_valid(dl->topic, strlen(dl->topic)))) {
        set_err(errstr, errstr_size,
                "dead letter: reason and source are required, text must be UTF-8");
        return FS_ERR_INVALID;
    }
    size_t raw_len = dl->raw ? dl->raw_len : 0;
    size_t kept = raw_len > FS_DEAD_LETTER_RAW_MAX ? FS_DEAD_LETTER_RAW_MAX : raw_len;
    avro_value_t *rec = &e->wvalue, v;
    int rc = 0;
    /* Each call: 1 = field absent from this version (fine), -1 = error. */
    if ((rc = dl_field(rec, "reason", AVRO_STRING, 1, &v)) == 0)
        rc = codec_set_string(&v, dl->reason, strlen(dl->reason));
    if (rc >= 0 && (rc = dl_field(rec, "source", AVRO_STRING, 1, &v)) == 0)
        rc = codec_set_string(&v, dl->source, strlen(dl->source));
    if (rc >= 0 && (rc = dl_field(rec, "at", AVRO_INT64, 1, &v)) == 0)
        rc = avro_value_set_long(&v, dl->at_ms);
    if (rc >= 0 && (rc = dl_field(rec, "raw", AVRO_BYTES, 1, &v)) == 0)
        rc = avro_value_set_bytes(&v, kept ? (void *)dl->raw : "", kept);
    if (rc >= 0 && (rc = dl_field(rec, "raw_truncated", AVRO_BOOLEAN, 1, &v)) == 0)
        rc = avro_value_set_boolean(&v, kept < raw_len);
    if (rc >= 0 && (rc = dl_field(rec, "raw_length", AVRO_INT64, 1, &v)) == 0)
        rc = avro_value_set_long(&v, (int64_t)raw_len);
    if (rc >= 0 &&
        (rc = dl_field(rec, "fingerprint", AVRO_INT64, dl->has_fingerprint, &v)) == 0 &&
        dl->has_fingerprint)
        rc = avro_value_set_long(&v, (int64_t)dl->fingerprint);
    if (rc >= 0 &&
        (rc = dl_field(rec, "topic", AVRO_STRING, dl->topic != NULL, &v)) == 0 &&
        dl->topic)
        rc = codec_set_string(&v, dl->topic, strlen(dl->topic));
    if (rc >= 0 &&
        (rc = dl_field(rec, "partition", AVRO_INT32, dl->partition >= 0, &v)) == 0 &&
        dl->partition >= 0)
        rc = avro_value_set_int(&v, dl->partition);
    if (rc >= 0 && (rc = dl_field(rec, "offset", AVRO_INT64, dl->offset >= 0, &v)) == 0 &&
        dl->offset >= 0)
        rc = avro_value_set_long(&v, dl->offset);
    if (rc < 0) {
        set_err(errstr, errstr_size, "dead letter: avro-c: %s", avro_strerror());
        return FS_ERR_FATAL;
    }
    size_t bound = 256 + strlen(dl->reason) + strlen(dl->source) + kept +
                   (dl->topic ? strlen(dl->topic) : 0);
    return codec_write_framed(codec, e, bound, out, errstr, errstr_size);
}

/* Reads field @p name of @p rec: 0 and *out when present and non-null. */
static int dl_get(avro_value_t *rec, const char *name, avro_type_t t, avro_value_t *out)
{
    avro_value_t f;
    if (avro_value_get_by_name(rec, name, &f, NULL) != 0)
        return -1;
    return codec_unwrap(&f, out) == t ? 0 : -1;
}

fs_err_t fs_codec_decode_dead_letter(fs_codec_t *codec, const void *data, size_t len,
                                     fs_dead_letter_t *dl, fs_buf_t *storage,
                                     char *errstr, size_t errstr_size)
{
    memset(dl, 0, sizeof *dl);
    dl->partition = -1;
    dl->offset = -1;
    fs_buf_reset(storage);
    avro_value_t *rec, v;
    entry_t *layout;
    json_t *dropped; /* absent fields keep the fs_dead_letter_t defaults */
    fs_err_t err = codec_read_framed(codec, &codec->dead, "DeadLetter", data, len,
                                     &layout, &dropped, errstr, errstr_size);
    if (err) {
        memset(dl, 0, sizeof *dl);
        return err;
    }
    rec = &layout->value;
    /* Strings are copied into @p storage; pointers are fixed up at the end
     * because appending may move the buffer. */
    static const char *const texts[] = {"reason", "source", "topic"};
    size_t offs[3] = {0, 0, 0};
    int have[3] = {0, 0, 0};
    const void *raw = NULL;
    size_t raw_len = 0, raw_off = 0;
    for (int i = 0; i < 3; i++) {
        const char *s;
        size_t size;
        if (dl_get(rec, texts[i], AVRO_STRING, &v) != 0)
            continue;
        if (avro_value_get_string(&v, &s, &size) != 0)
            goto avro_fail;
        offs[i] = storage->len;
        have[i] = 1;
        if (fs_buf_append(storage, s, size - 1) != FS_OK ||
            fs_buf_append(storage, "", 1) != FS_OK)
            goto nomem;
    }
    if (!have[0] || !have[1]) {
        set_err(errstr, errstr_size, "dead letter without reason or source");
        err = FS_ERR_CORRUPT;
        goto fail;
    }
    if (dl_get(rec, "raw", AVRO_BYTES, &v) == 0) {
        if (avro_value_get_bytes(&v, &raw, &raw_len) != 0)
            goto avro_fail;
        raw_off = storage->len;
        if (fs_buf_append(storage, raw, raw_len) != FS_OK)
            goto nomem;
    }
    int64_t l;
    int32_t i32;
    if (dl_get(rec, "at", AVRO_INT64, &v) == 0 && avro_value_get_long(&v, &l) == 0)
        dl->at_ms = l;
    dl->raw_total = raw_len;
    if (dl_get(rec, "raw_length", AVRO_INT64, &v) == 0 &&
        avro_value_get_long(&v, &l) == 0 && l >= 0)
        dl->raw_total = (size_t)l;
    if (dl_get(rec, "fingerprint", AVRO_INT64, &v) == 0 &&
        avro_value_get_long(&v, &l) == 0) {
        dl->has_fingerprint = 1;
        dl->fingerprint = (uint64_t)l;
    }
    if (dl_get(rec, "partition", AVRO_INT32, &v) == 0 &&
        avro_value_get_int(&v, &i32) == 0)
        dl->partition = i32;
    if (dl_get(rec, "offset", AVRO_INT64, &v) == 0 && avro_value_get_long(&v, &l) == 0)
        dl->offset = l;
    dl->reason = (const char *)storage->data + offs[0];
    dl->source = (const char *)storage->data + offs[1];
    dl->topic = have[2] ? (const char *)storage->data + offs[2] : NULL;
    dl->raw = raw_len ? storage->data + raw_off : NULL;
    dl->raw_len = raw_len;
    return FS_OK;
nomem:
    set_err(errstr, errstr_size, "out of memory");
    err = FS_ERR_NOMEM;
    goto fail;
avro_fail:
    set_err(errstr, errstr_size, "body: avro-c: %s", avro_strerror());
    err = FS_ERR_CORRUPT;
fail:
    memset(dl, 0, sizeof *dl);
    fs_buf_reset(storage);
    return err;
}
