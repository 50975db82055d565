/*
 * fs_codec_decode.c — single-object Avro bytes to journey events
 * (fs_codec_decode_event(), fs_codec_decode_event_generic()), from any
 * loaded JourneyEvent version.
 *
 * Owns nothing; reads into the codec's reader values.  Called by the
 * worker, tests, fuzzers and benchmarks.  Pure: no I/O, never logs.
 *
 * Every body is first checked by codec_scan_framed() (fs_codec_wire.c).
 * Data written with the reader schema itself is then read straight from
 * the bytes (read_direct()); anything else goes through avro-c's resolver
 * and generic value, which is also the reference the direct path is
 * tested against.
 */
#include "fs_codec.h"

#include <stdlib.h>
#include <string.h>

#include "fs_avro_bin.h"
#include "fs_codec_internal.h"

/* Reads the body @p s scanned (written with @p e) through avro-c into the
 * reader's generic value (*@p layout), with the defaults to apply
 * (*@p dropped). */
static fs_err_t read_scanned(fs_codec_t *codec, family_t *fam, entry_t *e,
                             const scan_t *s, entry_t **layout, json_t **dropped,
                             char *errstr, size_t errstr_size)
{
    /* The value read into: the reader's (directly, or through the resolver
     * when @p e is an older version) or the projection's. */
    entry_t *dest = e->proj ? e->proj : fam->reader;
    avro_value_t resolved = {NULL, NULL}, *target = &dest->value;
    if (e->resolver) {
        if (avro_resolved_writer_new_value(e->resolver, &resolved) != 0) {
            set_err(errstr, errstr_size, "avro-c: %s", avro_strerror());
            return FS_ERR_NOMEM;
        }
        avro_resolved_writer_set_dest(&resolved, &dest->value);
        target = &resolved;
    }
    avro_reader_memory_set_source(codec->reader, (const char *)s->base,
                                  (int64_t)(s->end - s->base));
    int rc = avro_value_reset(&dest->value) != 0 ||
             avro_value_read(codec->reader, target) != 0;
    if (rc)
        set_err(errstr, errstr_size, "body does not decode: avro-c: %s", avro_strerror());
    if (resolved.self)
        avro_value_decref(&resolved);
    if (rc)
        return FS_ERR_CORRUPT;
    *layout = dest;
    *dropped = e->dropped;
    return FS_OK;
}

/* Checks, scans and reads @p data through avro-c (see codec_scan_framed() and
 * read_scanned()). */
fs_err_t codec_read_framed(fs_codec_t *codec, family_t *fam, const char *what,
                           const void *data, size_t len, entry_t **layout,
                           json_t **dropped, char *errstr, size_t errstr_size)
{
    entry_t *e;
    scan_t s;
    fs_err_t err =
        codec_scan_framed(codec, fam, what, data, len, &e, &s, errstr, errstr_size);
    return err ? err
               : read_scanned(codec, fam, e, &s, layout, dropped, errstr, errstr_size);
}

/* The value of @p v, through a union if it is one.  NULL-typed or unset
 * unions give AVRO_NULL. */
avro_type_t codec_unwrap(avro_value_t *v, avro_value_t *out)
{
    avro_type_t t = avro_value_get_type(v);
    if (t != AVRO_UNION) {
        *out = *v;
        return t;
    }
    int disc = -1;
    if (avro_value_get_discriminant(v, &disc) != 0 || disc < 0 ||
        avro_value_get_current_branch(v, out) != 0)
        return AVRO_NULL;
    return avro_value_get_type(out);
}

char *codec_dup_str(const char *s, size_t size_with_nul)
{
    size_t n = size_with_nul ? size_with_nul - 1 : 0;
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static fs_err_t get_props(avro_value_t *map, fs_event_t *out, char *errstr,
                          size_t errstr_size)
{
    size_t n = 0;
    if (avro_value_get_size(map, &n) != 0)
        goto avro_fail;
    if (n == 0)
        return FS_OK;
    out->props = calloc(n, sizeof *out->props);
    if (!out->props)
        goto nomem;
    for (size_t i = 0; i < n; i++) {
        avro_value_t elem, v;
        const char *key;
        if (avro_value_get_by_index(map, i, &elem, &key) != 0)
            goto avro_fail;
        fs_prop_t *p = &out->props[out->nprops];
        if (!(p->key = strdup(key)))
            goto nomem;
        out->nprops++;
        const char *s;
        size_t size;
        int b;
        switch (codec_unwrap(&elem, &v)) {
        case AVRO_STRING:
            p->kind = FS_PROP_STRING;
            if (avro_value_get_string(&v, &s, &size) != 0)
                goto avro_fail;
            if (!(p->v.s = codec_dup_str(s, size)))
                goto nomem;
            break;
        case AVRO_INT64:
            p->kind = FS_PROP_LONG;
            if (avro_value_get_long(&v, &p->v.l) != 0)
                goto avro_fail;
            break;
        case AVRO_DOUBLE:
            p->kind = FS_PROP_DOUBLE;
            if (avro_value_get_double(&v, &p->v.d) != 0)
                goto avro_fail;
            break;
        case AVRO_BOOLEAN:
            p->kind = FS_PROP_BOOL;
            if (avro_value_get_boolean(&v, &b) != 0)
                goto avro_fail;
            p->v.b = b != 0;
            break;
        default:
            set_err(errstr, errstr_size, "properties.%s: value of an unsupported type",
                    key);
            return FS_ERR_CORRUPT;
        }
    }
    return FS_OK;
nomem:
    set_err(errstr, errstr_size, "out of memory");
    return FS_ERR_NOMEM;
avro_fail:
    set_err(errstr, errstr_size, "properties: avro-c: %s", avro_strerror());
    return FS_ERR_CORRUPT;
}

/* Reader defaults of the fields an older writer lacks (see entry_t). */
static fs_err_t apply_defaults(json_t *dropped, fs_event_t *out, int *seen_type,
                               char *errstr, size_t errstr_size)
{
    const char *name;
    json_t *def;
    json_object_foreach(dropped, name, def)
    {
        const event_field_t *ef = NULL;
        for (size_t f = 0; f < codec_n_event_fields; f++)
            if (strcmp(codec_event_fields[f].name, name) == 0)
                ef = &codec_event_fields[f];
        if (!ef || json_is_null(def) || ef->kind == K_PROPS)
            continue; /* not ours, absent, or an empty map */
        char *base = (char *)out + ef->off;
        if (json_is_integer(def) && (ef->kind == K_LONG || ef->kind == K_OPT_LONG)) {
            *(int64_t *)base = json_integer_value(def);
            if (ef->kind == K_OPT_LONG)
                out->has_revenue = 1;
        } else if (json_is_string(def) && ef->kind == K_CHARS &&
                   json_string_length(def) < ef->cap) {
            memcpy(base, json_string_value(def), json_string_length(def) + 1);
        } else if (json_is_string(def) && (ef->kind == K_STR || ef->kind == K_OPT_STR)) {
            if (!(*(char **)base = strdup(json_string_value(def)))) {
                set_err(errstr, errstr_size, "out of memory");
                return FS_ERR_NOMEM;
            }
            *seen_type |= strcmp(name, "type") == 0;
        } else {
            set_err(errstr, errstr_size, "%s: default of an unsupported type", name);
            return FS_ERR_CORRUPT;
        }
    }
    return FS_OK;
}

/* ---- direct reading ------------------------------------------------------ */

/* Reading a body straight into an fs_event_t, for data written with the
 * reader schema itself (what every current producer writes): avro-c's
 * generic value and its per-field accessors were most of a decode.  It runs
 * only on bodies scan_value() accepted, so the bytes are well formed for
 * the schema; anything the generic path would treat specially (a property
 * key given twice, which avro-c's map merges; a required text longer than
 * its array; a union branch we do not map) returns DIRECT_FALLBACK and the
 * event is decoded by avro-c instead.  The rd_ functions read at r->p
 * (a copy of the scan, rewound) and never report: the scan already did. */
enum { DIRECT_OK, DIRECT_FALLBACK, DIRECT_NOMEM };

static int rd_long(scan_t *r, int64_t *v)
{
    return fs_avro_get_long(&r->p, r->end, v) ? DIRECT_FALLBACK : DIRECT_OK;
}

/* A string's bytes, borrowed from the body. */
static int rd_str(scan_t *r, const char **s, size_t *n)
{
    int64_t len;
    if (rd_long(r, &len) || len < 0 || (uint64_t)len > SCAN_LEFT(r))
        return DIRECT_FALLBACK;
    *s = (const char *)r->p;
    *n = (size_t)len;
    r->p += len;
    return DIRECT_OK;
}

static int rd_dup(scan_t *r, char **out)
{
    const char *s;
    size_t n;
    if (rd_str(r, &s, &n))
        return DIRECT_FALLBACK;
    if (!(*out = codec_dup_str(s, n + 1)))
        return DIRECT_NOMEM;
    return DIRECT_OK;
}

/* The union branch of a slot: 1 when the value follows, 0 for null. */
static int rd_present(scan_t *r, const slot_t *sl, int *present)
{
    int64_t b;
    *present = 1;
    if (sl->val_branch < 0)
        return DIRECT_OK;
    if (rd_long(r, &b) || (b != sl->null_branch && b != sl->val_branch))
        return DIRECT_FALLBACK;
    *present = b == sl->val_branch;
    return DIRECT_OK;
}

/* One property value of union branch @p b into @p p. */
static int rd_prop_value(scan_t *r, const entry_t *e, int64_t b, fs_prop_t *p)
{
    if (b == e->prop_branch[FS_PROP_STRING]) {
        p->kind = FS_PROP_STRING;
        return rd_dup(r, &p->v.s);
    }
    if (b == e->prop_branch[FS_PROP_LONG]) {
        p->kind = FS_PROP_LONG;
        return rd_long(r, &p->v.l);
    }
    if (b == e->prop_branch[FS_PROP_DOUBLE]) {
        if (SCAN_LEFT(r) < 8)
            return DIRECT_FALLBACK;
        p->kind = FS_PROP_DOUBLE;
        p->v.d = fs_avro_get_double(r->p);
        r->p += 8;
        return DIRECT_OK;
    }
    if (b == e->prop_branch[FS_PROP_BOOL] && r->p < r->end) {
        p->kind = FS_PROP_BOOL;
        p->v.b = *r->p++ != 0;
        return DIRECT_OK;
    }
    return DIRECT_FALLBACK;
}

#define DIRECT_PROPS_MAX 64 /* more: avro-c's map checks for repeated keys */

static int rd_props(scan_t *r, const entry_t *e, fs_event_t *out)
{
    for (;;) {
        int64_t count, size;
        if (rd_long(r, &count))
            return DIRECT_FALLBACK;
        if (count == 0)
            return DIRECT_OK;
        if (count < 0 && (count == INT64_MIN || rd_long(r, &size)))
            return DIRECT_FALLBACK;
        count = count < 0 ? -count : count;
        if ((uint64_t)count > DIRECT_PROPS_MAX - out->nprops)
            return DIRECT_FALLBACK;
        fs_prop_t *np = realloc(out->props, (out->nprops + (size_t)count) * sizeof *np);
        if (!np)
            return DIRECT_NOMEM;
        out->props = np;
        memset(np + out->nprops, 0, (size_t)count * sizeof *np);
        for (int64_t i = 0; i < count; i++) {
            fs_prop_t *p = &out->props[out->nprops++];
            const char *k;
            size_t kn;
            int64_t b;
            int rc = rd_str(r, &k, &kn);
            if (rc)
                return rc;
            /* strlen is exact: the scan refused keys holding a NUL. */
            for (size_t j = 0; j + 1 < out->nprops; j++)
                if (strlen(out->props[j].key) == kn &&
                    memcmp(out->props[j].key, k, kn) == 0)
                    return DIRECT_FALLBACK; /* avro-c keeps the last value */
            if (!(p->key = codec_dup_str(k, kn + 1)))
                return DIRECT_NOMEM;
            p->kind = FS_PROP_LONG; /* no string to free until set */
            if ((rc = rd_long(r, &b)) || (rc = rd_prop_value(r, e, b, p)))
                return rc;
        }
    }
}

/* One field of slot @p sl into @p out. */
static int rd_field(scan_t *r, const entry_t *e, const slot_t *sl, fs_event_t *out)
{
    const event_field_t *ef = &codec_event_fields[sl->id];
    char *base = (char *)out + ef->off;
    const char *s;
    size_t n;
    int present, rc = rd_present(r, sl, &present);
    if (rc || !present)
        return rc;
    switch (ef->kind) {
    case K_CHARS:
        if ((rc = rd_str(r, &s, &n)) || n >= ef->cap)
            return DIRECT_FALLBACK;
        memcpy(base, s, n);
        base[n] = '\0';
        return DIRECT_OK;
    case K_STR:
    case K_OPT_STR:
        return rd_dup(r, (char **)(void *)base);
    case K_LONG:
    case K_OPT_LONG:
        if ((rc = rd_long(r, (int64_t *)(void *)base)))
            return rc;
        if (ef->kind == K_OPT_LONG)
            out->has_revenue = 1;
        return DIRECT_OK;
    case K_PROPS:
        return rd_props(r, e, out);
    }
    return DIRECT_FALLBACK;
}

/* The body @p s scanned, written with reader schema @p e, into @p out. */
static int read_direct(const entry_t *e, const scan_t *s, fs_event_t *out)
{
    scan_t r = *s;
    r.p = r.base;
    for (size_t i = 0; i < e->nslots; i++) {
        int rc = rd_field(&r, e, &e->slots[i], out);
        if (rc)
            return rc;
    }
    return r.p == r.end && out->type ? DIRECT_OK : DIRECT_FALLBACK;
}

/* fs_codec_decode_event(); with @p direct, data written with the reader
 * schema is read by read_direct(). */
static fs_err_t decode_event(fs_codec_t *codec, const void *data, size_t len, int direct,
                             fs_event_t *out, char *errstr, size_t errstr_size)
{
    memset(out, 0, sizeof *out);
    entry_t *w, *r;
    json_t *dropped;
    scan_t sc;
    fs_err_t err = codec_scan_framed(codec, &codec->event, "JourneyEvent", data, len, &w,
                                     &sc, errstr, errstr_size);
    if (err)
        return err;
    if (direct && w == codec->event.reader && !w->unwritable) {
        int rc = read_direct(w, &sc, out);
        if (rc == DIRECT_OK) {
            codec->direct_decodes++;
            return FS_OK;
        }
        fs_event_clear(out);
        if (rc == DIRECT_NOMEM) {
            set_err(errstr, errstr_size, "out of memory");
            return FS_ERR_NOMEM;
        }
    }
    if ((err = read_scanned(codec, &codec->event, w, &sc, &r, &dropped, errstr,
                            errstr_size)))
        return err;
    avro_value_t *rec = &r->value;
    int seen_type = 0;
    for (size_t i = 0; i < r->nslots; i++) {
        const slot_t *sl = &r->slots[i];
        if (sl->id < 0)
            continue; /* a reader field fs_event_t does not have */
        const event_field_t *ef = &codec_event_fields[sl->id];
        char *base = (char *)out + ef->off;
        avro_value_t f, v;
        const char *s;
        size_t size;
        if (avro_value_get_by_index(rec, i, &f, NULL) != 0)
            goto avro_fail;
        avro_type_t t = codec_unwrap(&f, &v);
        if (ef->kind == K_PROPS) {
            if ((err = get_props(&f, out, errstr, errstr_size)) != FS_OK)
                goto fail;
            continue;
        }
        if (t == AVRO_NULL) {
            if (ef->kind == K_OPT_STR || ef->kind == K_OPT_LONG)
                continue;
            set_err(errstr, errstr_size, "%s: null", ef->name);
            err = FS_ERR_CORRUPT;
            goto fail;
        }
        if (t == AVRO_INT64) {
            int64_t *dst = (int64_t *)base;
            if (avro_value_get_long(&v, dst) != 0)
                goto avro_fail;
            if (ef->kind == K_OPT_LONG)
                out->has_revenue = 1;
            continue;
        }
        if (avro_value_get_string(&v, &s, &size) != 0)
            goto avro_fail;
        if (ef->kind == K_CHARS) {
            if (size > ef->cap) {
                set_err(errstr, errstr_size, "%s: %zu bytes, more than %zu", ef->name,
                        size - 1, ef->cap - 1);
                err = FS_ERR_CORRUPT;
                goto fail;
            }
            memcpy(base, s, size);
            continue;
        }
        char *copy = codec_dup_str(s, size);
        if (!copy) {
            set_err(errstr, errstr_size, "out of memory");
            err = FS_ERR_NOMEM;
            goto fail;
        }
        *(char **)base = copy;
        if (sl->id == 1)
            seen_type = 1;
    }
    if (dropped && (err = apply_defaults(dropped, out, &seen_type, errstr, errstr_size)))
        goto fail;
    if (!seen_type) {
        set_err(errstr, errstr_size, "type: missing from schema %s", r->name);
        err = FS_ERR_CORRUPT;
        goto fail;
    }
    return FS_OK;
avro_fail:
    set_err(errstr, errstr_size, "body: avro-c: %s", avro_strerror());
    err = FS_ERR_CORRUPT;
fail:
    fs_event_clear(out);
    memset(out, 0, sizeof *out);
    return err;
}

fs_err_t fs_codec_decode_event(fs_codec_t *codec, const void *data, size_t len,
                               fs_event_t *out, char *errstr, size_t errstr_size)
{
    return decode_event(codec, data, len, 1, out, errstr, errstr_size);
}

uint64_t fs_codec_direct_decodes(const fs_codec_t *codec)
{
    return codec->direct_decodes;
}

fs_err_t fs_codec_decode_event_generic(fs_codec_t *codec, const void *data, size_t len,
                                       fs_event_t *out, char *errstr, size_t errstr_size)
{
    return decode_event(codec, data, len, 0, out, errstr, errstr_size);
}
