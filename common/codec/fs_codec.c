/*
 * fs_codec.c — single-object Avro codec and schema store (see fs_codec.h).
 *
 * Owns the loaded schemas and, per codec, the avro-c values, resolvers and
 * memory reader/writer that every call reuses.  Called by producers, the
 * worker, tests and tools.  Never does I/O after fs_codec_new(), never
 * logs, never lets avro-c see a body it has not checked.
 *
 * Division of labour (docs/avro.md):
 *   - avro-c parses every schema, resolves writer versions to the reader
 *     (avro_resolved_writer_new), decodes through its generic value API and
 *     encodes dead letters; nothing here hard-codes the wire layout of
 *     JourneyEvent, so a new schema version needs no code change as long as
 *     its fields are ones fs_event_t has.
 *   - Events are encoded field by field from the slots below with
 *     fs_avro_bin.h (filling avro-c's generic value was ~80 % of an
 *     encode); fs_codec_encode_event_generic() keeps avro-c's writer as the
 *     reference the tests and fuzzers compare it with.
 *   - This file maps fs_event_t onto whatever writer/reader record it is
 *     given, by field name, once per schema (slots), so the per-event work
 *     is index lookups only.
 *   - scan_value() walks a body against its writer schema before avro-c
 *     reads it.  avro-c's reader allocates whatever a string, bytes, map or
 *     array length says before checking the bytes exist (a 10-byte record can
 *     ask for 2^62 bytes) and loops over block counts; the scan rejects any
 *     length beyond the remaining bytes, bounds item counts, checks union and
 *     enum indexes, varints, booleans and UTF-8, and requires the body to end
 *     exactly where the record does (trailing bytes are corruption).
 */
#include "fs_codec.h"

#include <avro.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_avro_bin.h"
#include "fs_embedded_schemas.h"
#include "fs_schema.h"
#include "fs_utf8.h"

#define MAGIC0 0xC3
#define MAGIC1 0x01
#define EVENT_FAMILY "journey_event"
#define DEAD_LETTER_FAMILY "dead_letter"
/* Deepest nesting scan_value() follows (recursive schemas). */
#define MAX_DEPTH 32
/* Largest schema file read from a directory. */
#define MAX_SCHEMA_FILE (1024 * 1024)

/* ---- how fs_event_t maps onto a JourneyEvent record ---------------------- */

typedef enum kind {
    K_CHARS,    /* required string into a char array of the event */
    K_STR,      /* required string, char * */
    K_OPT_STR,  /* ["null","string"], char * NULL when absent */
    K_LONG,     /* long */
    K_OPT_LONG, /* ["null","long"]: revenue_cents + has_revenue */
    K_PROPS     /* map of ["string","long","double","boolean"] */
} kind_t;

typedef struct event_field {
    const char *name;
    kind_t kind;
    size_t off; /* offset of the member in fs_event_t */
    size_t cap; /* K_CHARS: size of the array including the NUL */
} event_field_t;

#define EV_OFF(m) offsetof(fs_event_t, m)
#define EV_CAP(m) sizeof(((fs_event_t *)0)->m)

static const event_field_t event_fields[] = {
    {"event_id", K_CHARS, EV_OFF(event_id), EV_CAP(event_id)},
    {"type", K_STR, EV_OFF(type), 0},
    {"user_id", K_OPT_STR, EV_OFF(user_id), 0},
    {"anonymous_id", K_OPT_STR, EV_OFF(anonymous_id), 0},
    {"occurred_at", K_LONG, EV_OFF(occurred_at_ms), 0},
    {"received_at", K_LONG, EV_OFF(received_at_ms), 0},
    {"channel", K_OPT_STR, EV_OFF(channel), 0},
    {"campaign", K_OPT_STR, EV_OFF(campaign), 0},
    {"source", K_OPT_STR, EV_OFF(source), 0},
    {"medium", K_OPT_STR, EV_OFF(medium), 0},
    {"content", K_OPT_STR, EV_OFF(content), 0},
    {"term", K_OPT_STR, EV_OFF(term), 0},
    {"revenue_cents", K_OPT_LONG, EV_OFF(revenue_cents), 0},
    {"currency", K_CHARS, EV_OFF(currency), EV_CAP(currency)},
    {"properties", K_PROPS, EV_OFF(props), 0},
    {"ingest_source", K_OPT_STR, EV_OFF(ingest_source), 0},
};
#define N_EVENT_FIELDS (sizeof event_fields / sizeof event_fields[0])

/* One field of a JourneyEvent schema, resolved once per schema. */
typedef struct slot {
    int id;          /* index in event_fields, -1: a field we do not know */
    int null_branch; /* union branch of null, -1: not a union */
    int val_branch;  /* union branch of the value, -1: not a union */
} slot_t;

/* ---- the store ---------------------------------------------------------- */

typedef struct entry {
    char *name;   /* file name, "journey_event.v2.avsc" */
    char *family; /* "journey_event" */
    long version; /* 2 */
    char *json;   /* the schema text as loaded */
    size_t json_len;
    char *canonical; /* Parsing Canonical Form */
    uint64_t fp;     /* CRC-64-AVRO of canonical */
    avro_schema_t schema;
    avro_value_iface_t *klass; /* generic class of schema */
    avro_value_t value;        /* generic instance: target of decoding */
    /* Generic instance filled by the reference encoder and dead-letter
     * encoding.  Kept apart from value so an encode never overwrites the
     * wrapped buffers avro_value_read() gave the reader value, and a decode
     * never sees what an encode left. */
    avro_value_t wvalue;
    /* Decoding data written with this schema into the family's reader: */
    /* NULL when this entry is the reader.  Its instances are made per
     * decode: avro-c 1.11's resolved map/array writers append a wrapper per
     * item to an array that neither reset nor set_dest clears, so a reused
     * instance grows without bound (measured: 200k v1 decodes did not finish
     * in 5 minutes); a fresh instance frees them when released. */
    avro_value_iface_t *resolver;
    /* avro-c 1.11 cannot fill a reader field the writer lacks from its
     * default ("Reader field X doesn't appear in writer").  For such a
     * writer the target is proj, the reader schema without those fields,
     * and dropped maps each removed field name to its reader default, which
     * decoding applies itself. */
    struct entry *proj;
    json_t *dropped;
    /* JourneyEvent entries: */
    slot_t *slots; /* one per record field */
    size_t nslots;
    int prop_branch[4]; /* union branch per fs_prop_kind_t, -1 absent */
    char *unwritable;   /* why encode_event cannot use it, NULL if it can */
} entry_t;

typedef struct family {
    entry_t *reader; /* highest version, borrowed from entries */
    entry_t *writer; /* highest version unless set_event_writer() */
} family_t;

struct fs_codec {
    entry_t *entries;
    size_t nentries, capentries;
    family_t event, dead;
    avro_reader_t reader;    /* memory reader re-pointed at each body */
    avro_writer_t writer;    /* memory writer re-pointed at each output */
    uint64_t direct_decodes; /* events read by read_direct() */
};

static void set_err(char *errstr, size_t errstr_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *errstr, size_t errstr_size, const char *fmt, ...)
{
    if (!errstr || !errstr_size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errstr, errstr_size, fmt, ap);
    va_end(ap);
}

/* ---- body pre-scan ------------------------------------------------------ */

typedef struct scan {
    const uint8_t *base, *p, *end;
    char *errstr;
    size_t errstr_size;
} scan_t;

#define SCAN_OFF(s) ((size_t)((s)->p - (s)->base))
#define SCAN_LEFT(s) ((size_t)((s)->end - (s)->p))

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

/* ---- schema shapes ------------------------------------------------------ */

static int union_branch_of(avro_schema_t u, avro_type_t t)
{
    for (size_t i = 0; i < avro_schema_union_size(u); i++)
        if (avro_typeof(avro_schema_union_branch(u, (int)i)) == t)
            return (int)i;
    return -1;
}

/* Fills @p slot for a field of kind @p k with schema @p fs, or explains in
 * @p why (returns -1) why that schema cannot hold the field. */
static int shape_slot(entry_t *e, avro_schema_t fs, kind_t k, slot_t *slot, char *why,
                      size_t why_size)
{
    avro_type_t t = avro_typeof(fs);
    avro_type_t want = (k == K_LONG || k == K_OPT_LONG) ? AVRO_INT64 : AVRO_STRING;
    slot->null_branch = slot->val_branch = -1;
    if (k == K_PROPS) {
        avro_schema_t vs = t == AVRO_MAP ? avro_schema_map_values(fs) : NULL;
        if (!vs || avro_typeof(vs) != AVRO_UNION) {
            set_err(why, why_size, "must be a map of a union");
            return -1;
        }
        e->prop_branch[FS_PROP_STRING] = union_branch_of(vs, AVRO_STRING);
        e->prop_branch[FS_PROP_LONG] = union_branch_of(vs, AVRO_INT64);
        e->prop_branch[FS_PROP_DOUBLE] = union_branch_of(vs, AVRO_DOUBLE);
        e->prop_branch[FS_PROP_BOOL] = union_branch_of(vs, AVRO_BOOLEAN);
        return 0;
    }
    if (t == want)
        return 0;
    if ((k == K_OPT_STR || k == K_OPT_LONG) && t == AVRO_UNION) {
        slot->null_branch = union_branch_of(fs, AVRO_NULL);
        slot->val_branch = union_branch_of(fs, want);
        if (slot->null_branch >= 0 && slot->val_branch >= 0)
            return 0;
    }
    set_err(why, why_size, "must be %s%s",
            k == K_OPT_STR || k == K_OPT_LONG ? "null or " : "",
            want == AVRO_INT64 ? "long" : "string");
    return -1;
}

/* Maps the fields of a JourneyEvent schema onto fs_event_t.  A field we do
 * not know, or one of the wrong type, makes the schema unwritable (it can
 * still be read: unknown fields are skipped, mistyped ones are an error at
 * load time when the entry is the reader). */
static fs_err_t map_event_schema(entry_t *e)
{
    char why[200] = "";
    if (avro_typeof(e->schema) != AVRO_RECORD) {
        set_err(why, sizeof why, "not a record");
        goto unwritable;
    }
    e->nslots = avro_schema_record_size(e->schema);
    e->slots = calloc(e->nslots ? e->nslots : 1, sizeof *e->slots);
    if (!e->slots)
        return FS_ERR_NOMEM;
    for (int b = 0; b < 4; b++)
        e->prop_branch[b] = -1;
    for (size_t i = 0; i < e->nslots; i++) {
        const char *fname = avro_schema_record_field_name(e->schema, (int)i);
        avro_schema_t fs = avro_schema_record_field_get_by_index(e->schema, (int)i);
        slot_t *slot = &e->slots[i];
        slot->id = -1;
        slot->null_branch = slot->val_branch = -1;
        for (size_t f = 0; f < N_EVENT_FIELDS; f++)
            if (strcmp(event_fields[f].name, fname) == 0)
                slot->id = (int)f;
        if (slot->id < 0) {
            if (!why[0])
                set_err(why, sizeof why, "field %s is not part of fs_event_t", fname);
            continue;
        }
        char fwhy[120];
        if (shape_slot(e, fs, event_fields[slot->id].kind, slot, fwhy, sizeof fwhy) !=
            0) {
            slot->id = -1;
            if (!why[0])
                set_err(why, sizeof why, "field %s %s", fname, fwhy);
        }
    }
    if (!why[0])
        return FS_OK;
unwritable:
    e->unwritable = strdup(why);
    return e->unwritable ? FS_OK : FS_ERR_NOMEM;
}

/* ---- loading ------------------------------------------------------------ */

static void entry_done(entry_t *e)
{
    if (e->proj) {
        entry_done(e->proj);
        free(e->proj);
    }
    json_decref(e->dropped);
    free(e->json);
    if (e->resolver)
        avro_value_iface_decref(e->resolver);
    if (e->value.self)
        avro_value_decref(&e->value);
    if (e->wvalue.self)
        avro_value_decref(&e->wvalue);
    if (e->klass)
        avro_value_iface_decref(e->klass);
    if (e->schema)
        avro_schema_decref(e->schema);
    free(e->name);
    free(e->family);
    free(e->canonical);
    free(e->slots);
    free(e->unwritable);
    memset(e, 0, sizeof *e);
}

/* "journey_event.v12.avsc" → family "journey_event", version 12. */
static int parse_file_name(const char *name, char **family, long *version)
{
    size_t n = strlen(name);
    if (n < 8 || strcmp(name + n - 5, ".avsc") != 0)
        return -1;
    const char *v = NULL;
    for (const char *p = name; (p = strstr(p, ".v")) != NULL; p++)
        v = p;
    if (!v || v == name)
        return -1;
    char *end;
    errno = 0;
    long ver = strtol(v + 2, &end, 10);
    if (errno || end != name + n - 5 || end == v + 2 || ver < 1)
        return -1;
    *family = strndup(name, (size_t)(v - name));
    *version = ver;
    return *family ? 0 : -1;
}

static entry_t *find_fp(const fs_codec_t *codec, uint64_t fp)
{
    for (size_t i = 0; i < codec->nentries; i++)
        if (codec->entries[i].fp == fp)
            return &codec->entries[i];
    return NULL;
}

/* Adds schema file @p name with JSON @p json (where: for messages). */
static fs_err_t add_schema(fs_codec_t *codec, const char *name, const char *json,
                           size_t len, const char *where, char *errstr,
                           size_t errstr_size)
{
    entry_t e;
    memset(&e, 0, sizeof e);
    char why[256];
    fs_err_t err = FS_ERR_INVALID;
    if (parse_file_name(name, &e.family, &e.version) != 0) {
        set_err(errstr, errstr_size, "%s/%s: schema files are named FAMILY.vN.avsc",
                where, name);
        goto fail;
    }
    e.name = strdup(name);
    if (!e.name) {
        err = FS_ERR_NOMEM;
        goto fail;
    }
    e.json = strndup(json, len);
    e.json_len = len;
    if (!e.json) {
        err = FS_ERR_NOMEM;
        goto fail;
    }
    e.canonical = fs_schema_canonical_form(json, len, why, sizeof why);
    if (!e.canonical) {
        set_err(errstr, errstr_size, "%s/%s: %s", where, name, why);
        goto fail;
    }
    e.fp = fs_schema_fingerprint64(e.canonical, strlen(e.canonical));
    for (size_t i = 0; i < codec->nentries; i++) {
        entry_t *o = &codec->entries[i];
        if (strcmp(o->name, name) == 0 && o->fp == e.fp) {
            entry_done(&e); /* the same schema twice (dir repeats an embedded one) */
            return FS_OK;
        }
        if (strcmp(o->name, name) == 0 ||
            (strcmp(o->family, e.family) == 0 && o->version == e.version)) {
            set_err(errstr, errstr_size,
                    "%s/%s: differs from the schema %s already loaded", where, name,
                    o->name);
            goto fail;
        }
        if (o->fp == e.fp) {
            set_err(errstr, errstr_size, "%s/%s: same canonical form as %s", where, name,
                    o->name);
            goto fail;
        }
    }
    if (avro_schema_from_json_length(json, len, &e.schema) != 0) {
        set_err(errstr, errstr_size, "%s/%s: avro-c: %s", where, name, avro_strerror());
        e.schema = NULL;
        goto fail;
    }
    e.klass = avro_generic_class_from_schema(e.schema);
    if (!e.klass || avro_generic_value_new(e.klass, &e.value) != 0) {
        set_err(errstr, errstr_size, "%s/%s: avro-c: %s", where, name, avro_strerror());
        e.value.self = NULL;
        goto fail;
    }
    if (avro_generic_value_new(e.klass, &e.wvalue) != 0) {
        set_err(errstr, errstr_size, "%s/%s: avro-c: %s", where, name, avro_strerror());
        e.wvalue.self = NULL;
        goto fail;
    }
    if (strcmp(e.family, EVENT_FAMILY) == 0 && (err = map_event_schema(&e)) != FS_OK) {
        set_err(errstr, errstr_size, "out of memory");
        goto fail;
    }
    if (codec->nentries == codec->capentries) {
        size_t cap = codec->capentries ? codec->capentries * 2 : 8;
        entry_t *p = realloc(codec->entries, cap * sizeof *p);
        if (!p) {
            err = FS_ERR_NOMEM;
            set_err(errstr, errstr_size, "out of memory");
            goto fail;
        }
        codec->entries = p;
        codec->capentries = cap;
    }
    codec->entries[codec->nentries++] = e; /* now owned by codec */
    return FS_OK;
fail:
    entry_done(&e);
    return err;
}

static fs_err_t load_dir(fs_codec_t *codec, const char *dir, char *errstr,
                         size_t errstr_size)
{
    fs_err_t err = FS_OK;
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, alphasort);
    if (n < 0) {
        set_err(errstr, errstr_size, "schema directory %s: %s", dir, strerror(errno));
        return FS_ERR_IO;
    }
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        size_t nl = strlen(name);
        if (err || nl < 5 || strcmp(name + nl - 5, ".avsc") != 0)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        FILE *f = fopen(path, "rb");
        char *text = f ? malloc(MAX_SCHEMA_FILE) : NULL;
        size_t len = text ? fread(text, 1, MAX_SCHEMA_FILE, f) : 0;
        if (!f || !text || ferror(f) || len == MAX_SCHEMA_FILE) {
            set_err(errstr, errstr_size, "%s: %s", path,
                    !f      ? strerror(errno)
                    : !text ? "out of memory"
                            : "unreadable or over 1 MiB");
            err = !text && f ? FS_ERR_NOMEM : FS_ERR_IO;
        } else {
            err = add_schema(codec, name, text, len, dir, errstr, errstr_size);
        }
        free(text);
        if (f)
            fclose(f);
    }
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return err;
}

/* Builds e->proj/e->dropped when the reader has fields writer @p e lacks
 * (see entry_t).  A dropped field without a default makes @p e unreadable. */
static fs_err_t build_projection(entry_t *e, const entry_t *reader, char *errstr,
                                 size_t errstr_size)
{
    fs_err_t err = FS_ERR_INVALID;
    json_t *root = NULL, *kept = NULL;
    char *text = NULL;
    entry_t *proj = NULL;
    if (avro_typeof(e->schema) != AVRO_RECORD ||
        avro_typeof(reader->schema) != AVRO_RECORD)
        return FS_OK; /* nothing to project: avro-c resolves the rest */
    root = json_loadb(reader->json, reader->json_len, 0, NULL);
    json_t *fields = root ? json_object_get(root, "fields") : NULL;
    if (!json_is_array(fields)) {
        set_err(errstr, errstr_size, "%s: fields unreadable", reader->name);
        goto out;
    }
    kept = json_array();
    if (!kept)
        goto nomem;
    for (size_t i = 0; i < json_array_size(fields); i++) {
        json_t *f = json_array_get(fields, i);
        const char *name = json_string_value(json_object_get(f, "name"));
        if (name && avro_schema_record_field_get_index(e->schema, name) >= 0) {
            if (json_array_append(kept, f) != 0)
                goto nomem;
            continue;
        }
        json_t *def = json_object_get(f, "default");
        if (!name || !def) {
            set_err(errstr, errstr_size,
                    "%s cannot be resolved to %s: reader field %s has no default",
                    e->name, reader->name, name ? name : "?");
            goto out;
        }
        if (!e->dropped && !(e->dropped = json_object()))
            goto nomem;
        if (json_object_set(e->dropped, name, def) != 0)
            goto nomem;
    }
    if (!e->dropped) {
        err = FS_OK; /* the writer has every reader field */
        goto out;
    }
    if (json_object_set(root, "fields", kept) != 0 ||
        !(text = json_dumps(root, JSON_COMPACT)))
        goto nomem;
    proj = calloc(1, sizeof *proj);
    if (!proj || !(proj->name = strdup(reader->name)) ||
        !(proj->family = strdup(reader->family)))
        goto nomem;
    if (avro_schema_from_json_length(text, strlen(text), &proj->schema) != 0) {
        proj->schema = NULL;
        set_err(errstr, errstr_size, "%s projected for %s: avro-c: %s", reader->name,
                e->name, avro_strerror());
        goto out;
    }
    proj->klass = avro_generic_class_from_schema(proj->schema);
    if (!proj->klass || avro_generic_value_new(proj->klass, &proj->value) != 0) {
        proj->value.self = NULL;
        set_err(errstr, errstr_size, "%s: avro-c: %s", reader->name, avro_strerror());
        goto out;
    }
    if (strcmp(proj->family, EVENT_FAMILY) == 0 && map_event_schema(proj) != FS_OK)
        goto nomem;
    e->proj = proj;
    proj = NULL; /* now owned by e */
    err = FS_OK;
    goto out;
nomem:
    set_err(errstr, errstr_size, "out of memory");
    err = FS_ERR_NOMEM;
out:
    if (proj) {
        entry_done(proj);
        free(proj);
    }
    free(text);
    json_decref(kept);
    json_decref(root);
    return err;
}

/* Picks the highest version of @p family as reader and writer and builds a
 * resolver from every other version to it. */
static fs_err_t setup_family(fs_codec_t *codec, const char *family_name, family_t *fam,
                             char *errstr, size_t errstr_size)
{
    fam->reader = fam->writer = NULL;
    for (size_t i = 0; i < codec->nentries; i++) {
        entry_t *e = &codec->entries[i];
        if (strcmp(e->family, family_name) == 0 &&
            (!fam->reader || e->version > fam->reader->version))
            fam->reader = e;
    }
    if (!fam->reader)
        return FS_OK; /* family absent: its encode/decode report it */
    fam->writer = fam->reader;
    if (fam->reader->unwritable) {
        set_err(errstr, errstr_size, "%s cannot be used for events: %s",
                fam->reader->name, fam->reader->unwritable);
        return FS_ERR_INVALID;
    }
    for (size_t i = 0; i < codec->nentries; i++) {
        entry_t *e = &codec->entries[i];
        if (e == fam->reader || strcmp(e->family, family_name) != 0)
            continue;
        fs_err_t err = build_projection(e, fam->reader, errstr, errstr_size);
        if (err)
            return err;
        entry_t *target = e->proj ? e->proj : fam->reader;
        e->resolver = avro_resolved_writer_new(e->schema, target->schema);
        if (!e->resolver) {
            set_err(errstr, errstr_size, "%s cannot be resolved to %s: avro-c: %s",
                    e->name, fam->reader->name, avro_strerror());
            return FS_ERR_INVALID;
        }
    }
    return FS_OK;
}

fs_codec_t *fs_codec_new_flags(const char *extra_dir, unsigned flags, char *errstr,
                               size_t errstr_size)
{
    fs_codec_t *codec = calloc(1, sizeof *codec);
    if (!codec) {
        set_err(errstr, errstr_size, "out of memory");
        return NULL;
    }
    if (!(flags & FS_CODEC_NO_EMBEDDED))
        for (size_t i = 0; i < fs_embedded_schema_count; i++)
            if (add_schema(codec, fs_embedded_schema_names[i], fs_embedded_schemas[i],
                           fs_embedded_schema_lens[i], "schemas", errstr,
                           errstr_size) != FS_OK)
                goto fail;
    if (extra_dir && load_dir(codec, extra_dir, errstr, errstr_size) != FS_OK)
        goto fail;
    if (setup_family(codec, EVENT_FAMILY, &codec->event, errstr, errstr_size) != FS_OK ||
        setup_family(codec, DEAD_LETTER_FAMILY, &codec->dead, errstr, errstr_size) !=
            FS_OK)
        goto fail;
    codec->reader = avro_reader_memory("", 0);
    codec->writer = avro_writer_memory("", 0);
    if (!codec->reader || !codec->writer) {
        set_err(errstr, errstr_size, "avro-c: %s", avro_strerror());
        goto fail;
    }
    return codec;
fail:
    fs_codec_destroy(codec);
    return NULL;
}

fs_codec_t *fs_codec_new(const char *extra_dir, char *errstr, size_t errstr_size)
{
    return fs_codec_new_flags(extra_dir, 0, errstr, errstr_size);
}

void fs_codec_destroy(fs_codec_t *codec)
{
    if (!codec)
        return;
    for (size_t i = 0; i < codec->nentries; i++)
        entry_done(&codec->entries[i]);
    free(codec->entries);
    if (codec->reader)
        avro_reader_free(codec->reader);
    if (codec->writer)
        avro_writer_free(codec->writer);
    free(codec);
}

fs_err_t fs_codec_set_event_writer(fs_codec_t *codec, uint64_t fingerprint)
{
    entry_t *e = find_fp(codec, fingerprint);
    if (!e || strcmp(e->family, EVENT_FAMILY) != 0)
        return FS_ERR_NOT_FOUND;
    if (e->unwritable)
        return FS_ERR_INVALID;
    codec->event.writer = e;
    return FS_OK;
}

uint64_t fs_codec_event_writer_fingerprint(const fs_codec_t *codec)
{
    return codec->event.writer ? codec->event.writer->fp : 0;
}

uint64_t fs_codec_event_reader_fingerprint(const fs_codec_t *codec)
{
    return codec->event.reader ? codec->event.reader->fp : 0;
}

size_t fs_codec_schema_count(const fs_codec_t *codec)
{
    return codec->nentries;
}

fs_err_t fs_codec_schema_info(const fs_codec_t *codec, size_t i, const char **name,
                              const char **canonical, uint64_t *fingerprint)
{
    if (i >= codec->nentries)
        return FS_ERR_NOT_FOUND;
    if (name)
        *name = codec->entries[i].name;
    if (canonical)
        *canonical = codec->entries[i].canonical;
    if (fingerprint)
        *fingerprint = codec->entries[i].fp;
    return FS_OK;
}

/* ---- encoding ----------------------------------------------------------- */

void fs_codec_write_header(uint8_t *h, uint64_t fingerprint)
{
    h[0] = MAGIC0;
    h[1] = MAGIC1;
    for (int i = 0; i < 8; i++)
        h[2 + i] = (uint8_t)(fingerprint >> (8 * i));
}

/* Appends the header for @p fp, then lets @p fill write the body through
 * avro-c into @p out.  @p bound is an upper bound of the body size; the
 * exact size is asked from avro-c only if it is ever exceeded. */
static fs_err_t write_framed(fs_codec_t *codec, entry_t *e, size_t bound, fs_buf_t *out,
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

static int set_string(avro_value_t *v, const char *s, size_t n)
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
        const event_field_t *ef = &event_fields[sl->id];
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
        const event_field_t *ef = &event_fields[sl->id];
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
        return set_string(&br, pr->v.s, n);
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
        const event_field_t *ef = &event_fields[sl->id];
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
                (s && set_string(&v, s, n) != 0))
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
    return write_framed(codec, e, bound, out, errstr, errstr_size);
avro_fail:
    set_err(errstr, errstr_size, "%s: avro-c: %s", field ? field : "event",
            avro_strerror());
    return FS_ERR_FATAL;
}

/* ---- decoding ----------------------------------------------------------- */

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

/* Checks the framing of @p data and scans its body against the writer
 * schema the fingerprint names (*@p writer): after FS_OK the body, s->base
 * up to s->end, is well formed for that schema. */
static fs_err_t scan_framed(fs_codec_t *codec, family_t *fam, const char *what,
                            const void *data, size_t len, entry_t **writer, scan_t *s,
                            char *errstr, size_t errstr_size)
{
    const uint8_t *d = data;
    uint64_t fp;
    fs_err_t err = fs_codec_read_header(data, len, &fp, errstr, errstr_size);
    if (err)
        return err;
    entry_t *e = find_fp(codec, fp);
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

/* Checks, scans and reads @p data through avro-c (see scan_framed() and
 * read_scanned()). */
static fs_err_t read_framed(fs_codec_t *codec, family_t *fam, const char *what,
                            const void *data, size_t len, entry_t **layout,
                            json_t **dropped, char *errstr, size_t errstr_size)
{
    entry_t *e;
    scan_t s;
    fs_err_t err = scan_framed(codec, fam, what, data, len, &e, &s, errstr, errstr_size);
    return err ? err
               : read_scanned(codec, fam, e, &s, layout, dropped, errstr, errstr_size);
}

/* The value of @p v, through a union if it is one.  NULL-typed or unset
 * unions give AVRO_NULL. */
static avro_type_t unwrap(avro_value_t *v, avro_value_t *out)
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

static char *dup_str(const char *s, size_t size_with_nul)
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
        switch (unwrap(&elem, &v)) {
        case AVRO_STRING:
            p->kind = FS_PROP_STRING;
            if (avro_value_get_string(&v, &s, &size) != 0)
                goto avro_fail;
            if (!(p->v.s = dup_str(s, size)))
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
        for (size_t f = 0; f < N_EVENT_FIELDS; f++)
            if (strcmp(event_fields[f].name, name) == 0)
                ef = &event_fields[f];
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
    if (!(*out = dup_str(s, n + 1)))
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
            if (!(p->key = dup_str(k, kn + 1)))
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
    const event_field_t *ef = &event_fields[sl->id];
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
    fs_err_t err = scan_framed(codec, &codec->event, "JourneyEvent", data, len, &w, &sc,
                               errstr, errstr_size);
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
        const event_field_t *ef = &event_fields[sl->id];
        char *base = (char *)out + ef->off;
        avro_value_t f, v;
        const char *s;
        size_t size;
        if (avro_value_get_by_index(rec, i, &f, NULL) != 0)
            goto avro_fail;
        avro_type_t t = unwrap(&f, &v);
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
        char *copy = dup_str(s, size);
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

/* ---- dead letters ------------------------------------------------------- */

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
    int b = union_branch_of(us, present ? t : AVRO_NULL);
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
        rc = set_string(&v, dl->reason, strlen(dl->reason));
    if (rc >= 0 && (rc = dl_field(rec, "source", AVRO_STRING, 1, &v)) == 0)
        rc = set_string(&v, dl->source, strlen(dl->source));
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
        rc = set_string(&v, dl->topic, strlen(dl->topic));
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
    return write_framed(codec, e, bound, out, errstr, errstr_size);
}

/* Reads field @p name of @p rec: 0 and *out when present and non-null. */
static int dl_get(avro_value_t *rec, const char *name, avro_type_t t, avro_value_t *out)
{
    avro_value_t f;
    if (avro_value_get_by_name(rec, name, &f, NULL) != 0)
        return -1;
    return unwrap(&f, out) == t ? 0 : -1;
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
    fs_err_t err = read_framed(codec, &codec->dead, "DeadLetter", data, len, &layout,
                               &dropped, errstr, errstr_size);
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
