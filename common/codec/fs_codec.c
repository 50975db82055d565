/*
 * fs_codec.c — the codec object and its schema store (see fs_codec.h).
 *
 * Owns the loaded schemas — their Parsing Canonical Forms and fingerprints,
 * the writer and reader of each family, the resolvers and projections that
 * take an older writer to the reader — and, per codec, the avro-c values
 * and memory reader/writer every call reuses.  Called by fs_codec_new()'s
 * callers and by the other parts of the codec (fs_codec_internal.h lists
 * them).  Never does I/O after fs_codec_new(), never logs.
 *
 * Division of labour with avro-c (docs/avro.md):
 *   - avro-c parses every schema, resolves writer versions to the reader
 *     (avro_resolved_writer_new), decodes through its generic value API and
 *     encodes dead letters; nothing here hard-codes the wire layout of
 *     JourneyEvent, so a new schema version needs no code change as long as
 *     its fields are ones fs_event_t has.
 *   - This file maps fs_event_t onto whatever writer/reader record it is
 *     given, by field name, once per schema (slots), so the per-event work
 *     is index lookups only.
 */
#include "fs_codec.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs_codec_internal.h"
#include "fs_embedded_schemas.h"
#include "fs_schema.h"

#define EVENT_FAMILY "journey_event"
#define DEAD_LETTER_FAMILY "dead_letter"
/* Largest schema file read from a directory. */
#define MAX_SCHEMA_FILE (1024 * 1024)

/* ---- how fs_event_t maps onto a JourneyEvent record ---------------------- */

#define EV_OFF(m) offsetof(fs_event_t, m)
#define EV_CAP(m) sizeof(((fs_event_t *)0)->m)

const event_field_t codec_event_fields[] = {
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
const size_t codec_n_event_fields =
    sizeof codec_event_fields / sizeof codec_event_fields[0];

/* ---- schema shapes ------------------------------------------------------ */

int codec_union_branch(avro_schema_t u, avro_type_t t)
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
        e->prop_branch[FS_PROP_STRING] = codec_union_branch(vs, AVRO_STRING);
        e->prop_branch[FS_PROP_LONG] = codec_union_branch(vs, AVRO_INT64);
        e->prop_branch[FS_PROP_DOUBLE] = codec_union_branch(vs, AVRO_DOUBLE);
        e->prop_branch[FS_PROP_BOOL] = codec_union_branch(vs, AVRO_BOOLEAN);
        return 0;
    }
    if (t == want)
        return 0;
    if ((k == K_OPT_STR || k == K_OPT_LONG) && t == AVRO_UNION) {
        slot->null_branch = codec_union_branch(fs, AVRO_NULL);
        slot->val_branch = codec_union_branch(fs, want);
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
        for (size_t f = 0; f < codec_n_event_fields; f++)
            if (strcmp(codec_event_fields[f].name, fname) == 0)
                slot->id = (int)f;
        if (slot->id < 0) {
            if (!why[0])
                set_err(why, sizeof why, "field %s is not part of fs_event_t", fname);
            continue;
        }
        char fwhy[120];
        if (shape_slot(e, fs, codec_event_fields[slot->id].kind, slot, fwhy,
                       sizeof fwhy) != 0) {
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

entry_t *codec_find_fp(const fs_codec_t *codec, uint64_t fp)
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
    entry_t *e = codec_find_fp(codec, fingerprint);
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
