/*
 * fs_codec_wire.c — the bytes before avro-c sees them: the single-object
 * header (C3 01 + CRC-64-AVRO fingerprint, written and read only here) and
 * the pre-scan of a body against its writer schema.
 *
 * Pure: no I/O, no allocation.  Called by the encoder (headers), the
 * decoder and dead letters (codec_scan_framed()), the worker (to name the
 * schema a dead letter claimed) and tests.
 *
 * Why the pre-scan: avro-c's reader allocates whatever a string, bytes,
 * map or array length says before checking the bytes exist (a 10-byte
 * record can ask for 2^62 bytes) and loops over block counts.  scan_value()
 * rejects any length beyond the remaining bytes, bounds item counts, checks
 * union and enum indexes, varints, booleans and UTF-8, and requires the
 * body to end exactly where the record does (trailing bytes are
 * corruption).  Never lets a body it has not checked through.
 */
#include "fs_codec.h"

#include <inttypes.h>
#include <string.h>

#include "fs_avro_bin.h"
#include "fs_codec_internal.h"
#include "fs_utf8.h"

#define MAGIC0 0xC3
#define MAGIC1 0x01
/* Deepest nesting scan_value() follows (recursive schemas). */
#define MAX_DEPTH 32

/* ---- the single-object header ------------------------------------------- */

void fs_codec_write_header(uint8_t *h, uint64_t fingerprint)
{
    h[0] = MAGIC0;
    h[1] = MAGIC1;
    for (int i = 0; i < 8; i++)
        h[2 + i] = (uint8_t)(fingerprint >> (8 * i));
}

fs_err_t fs_codec_read_header(const void *data, size_t len, uint64_t *fingerprint,
                              char *errstr, size_t errstr_size)
{
    const uint8_t *d = data;
    if (len < 2 || d[0] != MAGIC0 || d[1] != MAGIC1) {
        set_err(errstr, errstr_size,
                "not Avro single-object encoding (%zu bytes, starting %02x %02x)", len,
                len > 0 ? d[0] : 0, len > 1 ? d[1] : 0);
        return FS_ERR_CORRUPT;
    }
    if (len < FS_CODEC_HEADER_LEN) {
        set_err(errstr, errstr_size, "truncated header: %zu of %d bytes", len,
                FS_CODEC_HEADER_LEN);
        return FS_ERR_CORRUPT;
    }
    uint64_t fp = 0;
    for (int i = 0; i < 8; i++)
        fp |= (uint64_t)d[2 + i] << (8 * i);
    *fingerprint = fp;
    return FS_OK;
}

/* ---- body pre-scan ------------------------------------------------------ */

static int scan_long(scan_t *s, int64_t *out, const char *what)
{
    size_t at = SCAN_OFF(s);
    int rc = fs_avro_get_long(&s->p, s->end, out);
    if (rc == -1)
        set_err(s->errstr, s->errstr_size, "body truncated in %s at offset %zu", what,
                at);
    else if (rc == -2)
        set_err(s->errstr, s->errstr_size, "body: %s at offset %zu overflows 64 bits",
                what, at);
    return rc ? -1 : 0;
}

static int scan_len(scan_t *s, int64_t *len, const char *what)
{
    size_t at = SCAN_OFF(s);
    if (scan_long(s, len, what) != 0)
        return -1;
    if (*len < 0 || (uint64_t)*len > SCAN_LEFT(s)) {
        set_err(s->errstr, s->errstr_size,
                "body: %s length %" PRId64 " at offset %zu exceeds the %zu bytes left",
                what, *len, at, SCAN_LEFT(s));
        return -1;
    }
    return 0;
}

static int scan_fixed(scan_t *s, size_t n, const char *what)
{
    if (SCAN_LEFT(s) < n) {
        set_err(s->errstr, s->errstr_size, "body truncated in %s at offset %zu", what,
                SCAN_OFF(s));
        return -1;
    }
    s->p += n;
    return 0;
}

static int scan_value(scan_t *s, avro_schema_t sc, int depth);

/* Map or array blocks: count (negative: followed by a byte size), items, 0. */
static int scan_blocks(scan_t *s, avro_schema_t items, int is_map, int depth)
{
    const char *what = is_map ? "map block count" : "array block count";
    uint64_t total = 0;
    for (;;) {
        int64_t count;
        size_t at = SCAN_OFF(s);
        if (scan_long(s, &count, what) != 0)
            return -1;
        if (count == 0)
            return 0;
        if (count < 0) {
            if (count == INT64_MIN) {
                set_err(s->errstr, s->errstr_size, "body: bad %s at offset %zu", what,
                        at);
                return -1;
            }
            count = -count;
            int64_t size;
            if (scan_len(s, &size, is_map ? "map block" : "array block") != 0)
                return -1;
        }
        total += (uint64_t)count;
        if (total > FS_CODEC_MAX_ITEMS) {
            set_err(s->errstr, s->errstr_size,
                    "body: %s at offset %zu declares more than %d items", what, at,
                    FS_CODEC_MAX_ITEMS);
            return -1;
        }
        for (int64_t i = 0; i < count; i++) {
            if (is_map) {
                int64_t klen;
                if (scan_len(s, &klen, "map key") != 0)
                    return -1;
                if (!fs_utf8_valid((const char *)s->p, (size_t)klen)) {
                    set_err(s->errstr, s->errstr_size,
                            "body: map key at offset %zu is not UTF-8 text", SCAN_OFF(s));
                    return -1;
                }
                s->p += klen;
            }
            if (scan_value(s, items, depth + 1) != 0)
                return -1;
        }
    }
}

static int scan_value(scan_t *s, avro_schema_t sc, int depth)
{
    if (depth > MAX_DEPTH) {
        set_err(s->errstr, s->errstr_size, "body nested deeper than %d levels",
                MAX_DEPTH);
        return -1;
    }
    int64_t v;
    size_t at = SCAN_OFF(s);
    switch (avro_typeof(sc)) {
    case AVRO_NULL:
        return 0;
    case AVRO_BOOLEAN:
        if (scan_fixed(s, 1, "boolean") != 0)
            return -1;
        if (s->p[-1] > 1) {
            set_err(s->errstr, s->errstr_size, "body: boolean byte 0x%02x at offset %zu",
                    s->p[-1], at);
            return -1;
        }
        return 0;
    case AVRO_INT32:
        if (scan_long(s, &v, "int") != 0)
            return -1;
        /* avro-c reads at most 5 bytes for an int: a longer (non-minimal)
         * encoding would make it fail half-way through a record, and a
         * failed avro_value_read() leaks what it had allocated. */
        if (v < INT32_MIN || v > INT32_MAX || SCAN_OFF(s) - at > 5) {
            set_err(s->errstr, s->errstr_size, "body: int at offset %zu out of range",
                    at);
            return -1;
        }
        return 0;
    case AVRO_INT64:
        return scan_long(s, &v, "long");
    case AVRO_FLOAT:
        return scan_fixed(s, 4, "float");
    case AVRO_DOUBLE:
        return scan_fixed(s, 8, "double");
    case AVRO_BYTES:
        if (scan_len(s, &v, "bytes") != 0)
            return -1;
        s->p += v;
        return 0;
    case AVRO_STRING:
        if (scan_len(s, &v, "string") != 0)
            return -1;
        if (!fs_utf8_valid((const char *)s->p, (size_t)v)) {
            set_err(s->errstr, s->errstr_size,
                    "body: string at offset %zu is not UTF-8 text without NUL", at);
            return -1;
        }
        s->p += v;
        return 0;
    case AVRO_FIXED:
        return scan_fixed(s, (size_t)avro_schema_fixed_size(sc), "fixed");
    case AVRO_ENUM:
        if (scan_long(s, &v, "enum index") != 0)
            return -1;
        if (v < 0 || v >= avro_schema_enum_number_of_symbols(sc)) {
            set_err(s->errstr, s->errstr_size,
                    "body: enum index %" PRId64 " at offset %zu out of range", v, at);
            return -1;
        }
        return 0;
    case AVRO_UNION:
        if (scan_long(s, &v, "union index") != 0)
            return -1;
        if (v < 0 || (uint64_t)v >= avro_schema_union_size(sc)) {
            set_err(s->errstr, s->errstr_size,
                    "body: union branch %" PRId64 " at offset %zu out of range", v, at);
            return -1;
        }
        return scan_value(s, avro_schema_union_branch(sc, (int)v), depth + 1);
    case AVRO_RECORD:
        for (size_t i = 0; i < avro_schema_record_size(sc); i++)
            if (scan_value(s, avro_schema_record_field_get_by_index(sc, (int)i),
                           depth + 1) != 0)
                return -1;
        return 0;
    case AVRO_MAP:
        return scan_blocks(s, avro_schema_map_values(sc), 1, depth);
    case AVRO_ARRAY:
        return scan_blocks(s, avro_schema_array_items(sc), 0, depth);
    case AVRO_LINK:
        return scan_value(s, avro_schema_link_target(sc), depth + 1);
    default:
        set_err(s->errstr, s->errstr_size, "body: schema type %d not supported",
                (int)avro_typeof(sc));
        return -1;
    }
}

/* ---- framed bodies ------------------------------------------------------ */

/* Checks the framing of @p data and scans its body against the writer
 * schema the fingerprint names (*@p writer): after FS_OK the body, s->base
 * up to s->end, is well formed for that schema. */
fs_err_t codec_scan_framed(fs_codec_t *codec, family_t *fam, const char *what,
                           const void *data, size_t len, entry_t **writer, scan_t *s,
                           char *errstr, size_t errstr_size)
{
    const uint8_t *d = data;
    uint64_t fp;
    fs_err_t err = fs_codec_read_header(data, len, &fp, errstr, errstr_size);
    if (err)
        return err;
    entry_t *e = codec_find_fp(codec, fp);
    if (!e) {
        set_err(errstr, errstr_size, "fingerprint 0x%016" PRIx64 " unknown", fp);
        return FS_ERR_UNKNOWN_SCHEMA;
    }
    if (!fam->reader || strcmp(e->family, fam->reader->family) != 0) {
        set_err(errstr, errstr_size, "fingerprint 0x%016" PRIx64 " is %s, not a %s", fp,
                e->name, what);
        return FS_ERR_UNKNOWN_SCHEMA;
    }
    *s = (scan_t){d + FS_CODEC_HEADER_LEN, d + FS_CODEC_HEADER_LEN, d + len, errstr,
                  errstr_size};
    if (scan_value(s, e->schema, 0) != 0)
        return FS_ERR_CORRUPT;
    if (s->p != s->end) {
        set_err(errstr, errstr_size, "%zu trailing bytes after the %s body",
                (size_t)(s->end - s->p), what);
        return FS_ERR_CORRUPT;
    }
    *writer = e;
    return FS_OK;
}
