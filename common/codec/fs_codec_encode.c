/*
 * fs_codec_encode.c — journey events to single-object Avro bytes
 * (fs_codec_encode_event(), fs_codec_encode_valid_event(),
 * fs_codec_encode_event_generic()).
 *
 * Owns nothing; writes with the codec's writer schema.  Called by the
 * producers, tests and benchmarks.  Pure: no I/O, never logs.
 *
 * Events are encoded field by field from the schema's slots with
 * fs_avro_bin.h (filling avro-c's generic value was ~80 % of an encode);
 * fs_codec_encode_event_generic() keeps avro-c's writer as the reference
 * the tests and fuzzers compare it with.
 */
#include "fs_codec.h"

#include <stdlib.h>
#include <string.h>

#include "fs_avro_bin.h"
#include "fs_codec_internal.h"
#include "fs_utf8.h"

/* Appends the header for @p fp, then lets @p fill write the body through
 * avro-c into @p out.  @p bound is an upper bound of the body size; the
 * exact size is asked from avro-c only if it is ever exceeded. */
fs_err_t codec_write_framed(fs_codec_t *codec, entry_t *e, size_t bound, fs_buf_t *out,
                            char *errstr, size_t errstr_size)
{
    size_t start = out->len;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (fs_buf_reserve(out, FS_CODEC_HEADER_LEN + bound) != FS_OK) {
            set_err(errstr, errstr_size, "out of memory");
            return FS_ERR_NOMEM;
        }
        uint8_t *h = out->data + start;
        fs_codec_write_header(h, e->fp);
        avro_writer_memory_set_dest(codec->writer, (const char *)h + FS_CODEC_HEADER_LEN,
                                    (int64_t)bound);
        if (avro_value_write(codec->writer, &e->wvalue) == 0) {
            out->len =
                start + FS_CODEC_HEADER_LEN + (size_t)avro_writer_tell(codec->writer);
            return FS_OK;
        }
        size_t exact;
        if (attempt > 0 || avro_value_sizeof(&e->wvalue, &exact) != 0 || exact <= bound) {
            set_err(errstr, errstr_size, "avro-c: %s", avro_strerror());
            return FS_ERR_FATAL;
        }
        bound = exact;
    }
    return FS_ERR_FATAL;
}

int codec_set_string(avro_value_t *v, const char *s, size_t n)
{
    return avro_value_set_string_len(v, s, n + 1);
}

/* The text of string field @p ef of @p ev, NULL when absent. */
static const char *field_ptr(const event_field_t *ef, const fs_event_t *ev)
{
    const char *base = (const char *)ev + ef->off;
    return ef->kind == K_CHARS ? base : *(char *const *)base;
}

/* field_ptr(), and the text's length in @p *n. */
static const char *field_text(const event_field_t *ef, const fs_event_t *ev, size_t *n)
{
    const char *s = field_ptr(ef, ev);
    if (s)
        *n = ef->kind == K_CHARS ? strnlen(s, ef->cap) : strlen(s);
    return s;
}

static int str_ptr_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The first property key of @p ev that appears twice (NULL: none; @p *nomem
 * set when the check could not allocate).  Keys must be checked non-NULL. */
static const char *duplicate_key(const fs_event_t *ev, int *nomem)
{
    size_t n = ev->nprops;
    *nomem = 0;
    if (n <= 16) { /* the usual case: a handful of keys, no allocation */
        for (size_t i = 1; i < n; i++)
            for (size_t j = 0; j < i; j++)
                if (strcmp(ev->props[i].key, ev->props[j].key) == 0)
                    return ev->props[i].key;
        return NULL;
    }
    const char **keys = malloc(n * sizeof *keys);
    if (!keys) {
        *nomem = 1;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        keys[i] = ev->props[i].key;
    qsort(keys, n, sizeof *keys, str_ptr_cmp);
    const char *dup = NULL;
    for (size_t i = 1; i < n && !dup; i++)
        if (strcmp(keys[i], keys[i - 1]) == 0)
            dup = keys[i];
    free(keys);
    return dup;
}

/* Everything that makes @p ev unrepresentable with writer @p e, checked in
 * schema field order: FS_ERR_INVALID naming the field, or FS_ERR_NOMEM.
 * Both writers below call it first, so they refuse the same events with the
 * same message and afterwards can only run out of memory.  With @p texts 0
 * the text itself is taken as checked (UTF-8, no NUL, distinct property
 * keys: what the validator guarantees), and only what the schema requires
 * is checked. */
static fs_err_t check_event(const entry_t *e, const fs_event_t *ev, int texts,
                            char *errstr, size_t errstr_size)
{
    for (size_t i = 0; i < e->nslots; i++) {
        const slot_t *sl = &e->slots[i];
        const event_field_t *ef = &codec_event_fields[sl->id];
        size_t n = 0;
        const char *s;
        int nomem;
        const char *dup;
        switch (ef->kind) {
        case K_CHARS:
        case K_STR:
        case K_OPT_STR:
            s = texts ? field_text(ef, ev, &n) : field_ptr(ef, ev);
            if (!s && ef->kind != K_OPT_STR) {
                set_err(errstr, errstr_size, "%s: missing", ef->name);
                return FS_ERR_INVALID;
            }
            if (!s && sl->val_branch < 0)
                goto required;
            if (s && texts &&
                ((ef->kind == K_CHARS && n == ef->cap) || !fs_utf8_valid(s, n))) {
                set_err(errstr, errstr_size, "%s: not UTF-8 text", ef->name);
                return FS_ERR_INVALID;
            }
            break;
        case K_LONG:
            break;
        case K_OPT_LONG:
            if (!ev->has_revenue && sl->val_branch < 0)
                goto required;
            break;
        case K_PROPS:
            for (size_t p = 0; p < ev->nprops; p++) {
                const fs_prop_t *pr = &ev->props[p];
                if (!pr->key || (texts && !fs_utf8_valid(pr->key, strlen(pr->key)))) {
                    set_err(errstr, errstr_size, "properties: key %zu is not UTF-8 text",
                            p);
                    return FS_ERR_INVALID;
                }
                if ((unsigned)pr->kind > FS_PROP_BOOL || e->prop_branch[pr->kind] < 0) {
                    set_err(errstr, errstr_size,
                            "properties.%s: value kind not allowed by schema %s", pr->key,
                            e->name);
                    return FS_ERR_INVALID;
                }
                if (pr->kind == FS_PROP_STRING &&
                    (!pr->v.s || (texts && !fs_utf8_valid(pr->v.s, strlen(pr->v.s))))) {
                    set_err(errstr, errstr_size, "properties.%s: not UTF-8 text",
                            pr->key);
                    return FS_ERR_INVALID;
                }
            }
            if (!texts)
                break;
            dup = duplicate_key(ev, &nomem);
            if (nomem) {
                set_err(errstr, errstr_size, "out of memory");
                return FS_ERR_NOMEM;
            }
            if (dup) {
                set_err(errstr, errstr_size, "properties.%s: key given twice", dup);
                return FS_ERR_INVALID;
            }
            break;
        }
        continue;
    required:
        set_err(errstr, errstr_size, "%s: required by schema %s", ef->name, e->name);
        return FS_ERR_INVALID;
    }
    return FS_OK;
}

/* Appends property @p pr (checked) as a map entry of writer @p e. */
static fs_err_t write_prop(const entry_t *e, const fs_prop_t *pr, fs_buf_t *out)
{
    if (fs_avro_put_string(out, pr->key, strlen(pr->key)) != FS_OK ||
        fs_avro_put_long(out, e->prop_branch[pr->kind]) != FS_OK)
        return FS_ERR_NOMEM;
    switch (pr->kind) {
    case FS_PROP_STRING:
        return fs_avro_put_string(out, pr->v.s, strlen(pr->v.s));
    case FS_PROP_LONG:
        return fs_avro_put_long(out, pr->v.l);
    case FS_PROP_DOUBLE:
        return fs_avro_put_double(out, pr->v.d);
    default:
        return fs_avro_put_boolean(out, pr->v.b != 0);
    }
}

/* Appends the Avro binary body of checked event @p ev with writer @p e. */
static fs_err_t write_body(const entry_t *e, const fs_event_t *ev, fs_buf_t *out)
{
    for (size_t i = 0; i < e->nslots; i++) {
        const slot_t *sl = &e->slots[i];
        const event_field_t *ef = &codec_event_fields[sl->id];
        size_t n = 0;
        const char *s;
        switch (ef->kind) {
        case K_CHARS:
        case K_STR:
        case K_OPT_STR:
            s = field_text(ef, ev, &n);
            if (sl->val_branch >= 0 &&
                fs_avro_put_long(out, s ? sl->val_branch : sl->null_branch) != FS_OK)
                return FS_ERR_NOMEM;
            if (s && fs_avro_put_string(out, s, n) != FS_OK)
                return FS_ERR_NOMEM;
            break;
        case K_LONG:
            if (fs_avro_put_long(out, *(const int64_t *)((const char *)ev + ef->off)) !=
                FS_OK)
                return FS_ERR_NOMEM;
            break;
        case K_OPT_LONG:
            if (sl->val_branch >= 0 &&
                fs_avro_put_long(out, ev->has_revenue ? sl->val_branch
                                                      : sl->null_branch) != FS_OK)
                return FS_ERR_NOMEM;
            if (ev->has_revenue && fs_avro_put_long(out, ev->revenue_cents) != FS_OK)
                return FS_ERR_NOMEM;
            break;
        case K_PROPS:
            /* One block of every entry, then the empty block that ends the
             * map (avro-c writes maps the same way). */
            if (ev->nprops > 0 && fs_avro_put_long(out, (int64_t)ev->nprops) != FS_OK)
                return FS_ERR_NOMEM;
            for (size_t p = 0; p < ev->nprops; p++)
                if (write_prop(e, &ev->props[p], out) != FS_OK)
                    return FS_ERR_NOMEM;
            if (fs_avro_put_long(out, 0) != FS_OK)
                return FS_ERR_NOMEM;
            break;
        }
    }
    return FS_OK;
}

/* The event writer, once @p ev is checked representable with it
 * (check_event() with @p texts). */
static fs_err_t writer_for(fs_codec_t *codec, const fs_event_t *ev, int texts,
                           entry_t **e, char *errstr, size_t errstr_size)
{
    *e = codec->event.writer;
    if (!*e) {
        set_err(errstr, errstr_size, "no JourneyEvent schema loaded");
        return FS_ERR_INVALID;
    }
    return check_event(*e, ev, texts, errstr, errstr_size);
}

static fs_err_t encode_direct(fs_codec_t *codec, const fs_event_t *ev, int texts,
                              fs_buf_t *out, char *errstr, size_t errstr_size)
{
    entry_t *e;
    fs_err_t err = writer_for(codec, ev, texts, &e, errstr, errstr_size);
    if (err)
        return err;
    size_t start = out->len;
    if (fs_buf_reserve(out, FS_CODEC_HEADER_LEN) == FS_OK) {
        fs_codec_write_header(out->data + out->len, e->fp);
        out->len += FS_CODEC_HEADER_LEN;
        if (write_body(e, ev, out) == FS_OK)
            return FS_OK;
    }
    out->len = start;
    set_err(errstr, errstr_size, "out of memory");
    return FS_ERR_NOMEM;
}

fs_err_t fs_codec_encode_event(fs_codec_t *codec, const fs_event_t *ev, fs_buf_t *out,
                               char *errstr, size_t errstr_size)
{
    return encode_direct(codec, ev, 1, out, errstr, errstr_size);
}

fs_err_t fs_codec_encode_valid_event(fs_codec_t *codec, const fs_event_t *ev,
                                     fs_buf_t *out, char *errstr, size_t errstr_size)
{
    return encode_direct(codec, ev, 0, out, errstr, errstr_size);
}

/* Sets the Avro long of field @p f: plain, or the branch of its union. */
static int set_opt_branch(avro_value_t *f, const slot_t *sl, int present, avro_value_t *v)
{
    *v = *f;
    if (sl->val_branch < 0)
        return 0;
    return avro_value_set_branch(f, present ? sl->val_branch : sl->null_branch, v);
}

/* Fills the writer's generic value with property @p pr (checked). */
static int fill_prop(const entry_t *e, avro_value_t *map, const fs_prop_t *pr,
                     size_t *bound)
{
    avro_value_t elem, br;
    if (avro_value_add(map, pr->key, &elem, NULL, NULL) != 0 ||
        avro_value_set_branch(&elem, e->prop_branch[pr->kind], &br) != 0)
        return -1;
    *bound += strlen(pr->key) + 11 + 1 + 10;
    switch (pr->kind) {
    case FS_PROP_STRING: {
        size_t n = strlen(pr->v.s);
        *bound += n + 1;
        return codec_set_string(&br, pr->v.s, n);
    }
    case FS_PROP_LONG:
        return avro_value_set_long(&br, pr->v.l);
    case FS_PROP_DOUBLE:
        return avro_value_set_double(&br, pr->v.d);
    default:
        return avro_value_set_boolean(&br, pr->v.b != 0);
    }
}

fs_err_t fs_codec_encode_event_generic(fs_codec_t *codec, const fs_event_t *ev,
                                       fs_buf_t *out, char *errstr, size_t errstr_size)
{
    entry_t *e;
    fs_err_t err = writer_for(codec, ev, 1, &e, errstr, errstr_size);
    if (err)
        return err;
    size_t bound = 64; /* record-level slack */
    const char *field = NULL;
    for (size_t i = 0; i < e->nslots; i++) {
        const slot_t *sl = &e->slots[i];
        const event_field_t *ef = &codec_event_fields[sl->id];
        avro_value_t f, v;
        size_t n = 0;
        const char *s;
        field = ef->name;
        if (avro_value_get_by_index(&e->wvalue, i, &f, NULL) != 0)
            goto avro_fail;
        switch (ef->kind) {
        case K_CHARS:
        case K_STR:
        case K_OPT_STR:
            s = field_text(ef, ev, &n);
            if (set_opt_branch(&f, sl, s != NULL, &v) != 0 ||
                (s && codec_set_string(&v, s, n) != 0))
                goto avro_fail;
            bound += n + 11;
            break;
        case K_LONG:
            if (avro_value_set_long(&f, *(const int64_t *)((const char *)ev + ef->off)) !=
                0)
                goto avro_fail;
            bound += 10;
            break;
        case K_OPT_LONG:
            if (set_opt_branch(&f, sl, ev->has_revenue, &v) != 0 ||
                (ev->has_revenue && avro_value_set_long(&v, ev->revenue_cents) != 0))
                goto avro_fail;
            bound += 11;
            break;
        case K_PROPS:
            if (avro_value_reset(&f) != 0)
                goto avro_fail;
            for (size_t p = 0; p < ev->nprops; p++)
                if (fill_prop(e, &f, &ev->props[p], &bound) != 0)
                    goto avro_fail;
            bound += 20;
            break;
        }
    }
    return codec_write_framed(codec, e, bound, out, errstr, errstr_size);
avro_fail:
    set_err(errstr, errstr_size, "%s: avro-c: %s", field ? field : "event",
            avro_strerror());
    return FS_ERR_FATAL;
}
