/*
 * fs_codec_internal.h — what the parts of the codec share; private to
 * common/codec/ (nothing outside fs_codec*.c includes it).
 *
 * The codec is split by job, one file each:
 *   fs_codec.c              the codec object and its schema store
 *   fs_codec_wire.c         the single-object header and the pre-scan of bodies
 *   fs_codec_encode.c       events to bytes
 *   fs_codec_decode.c       bytes to events
 *   fs_codec_dead_letter.c  dead letters, both ways
 * Functions shared between them are prefixed codec_; everything else
 * stays static in its file.
 */
#ifndef FS_CODEC_INTERNAL_H
#define FS_CODEC_INTERNAL_H

#include <avro.h>
#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fs_codec.h"

/* ---- how fs_event_t maps onto a JourneyEvent record (fs_codec.c) ---------- */

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

/* Every member of fs_event_t the codec reads or writes, by schema field name. */
extern const event_field_t codec_event_fields[];
extern const size_t codec_n_event_fields;

/* One field of a JourneyEvent schema, resolved once per schema. */
typedef struct slot {
    int id;          /* index in codec_event_fields, -1: a field we do not know */
    int null_branch; /* union branch of null, -1: not a union */
    int val_branch;  /* union branch of the value, -1: not a union */
} slot_t;

/* ---- the store (fs_codec.c) --------------------------------------------- */

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

/* The loaded schema whose fingerprint is @p fp, or NULL. */
entry_t *codec_find_fp(const fs_codec_t *codec, uint64_t fp);

/* The branch of union @p u holding type @p t, or -1. */
int codec_union_branch(avro_schema_t u, avro_type_t t);

/* Writes a sentence into @p errstr (may be NULL). */
static inline void set_err(char *errstr, size_t errstr_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline void set_err(char *errstr, size_t errstr_size, const char *fmt, ...)
{
    if (!errstr || !errstr_size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errstr, errstr_size, fmt, ap);
    va_end(ap);
}

/* ---- the wire (fs_codec_wire.c) ----------------------------------------- */

/* A body being read: base..end, p the next byte; where to report. */
typedef struct scan {
    const uint8_t *base, *p, *end;
    char *errstr;
    size_t errstr_size;
} scan_t;

#define SCAN_OFF(s) ((size_t)((s)->p - (s)->base))
#define SCAN_LEFT(s) ((size_t)((s)->end - (s)->p))

/*
 * Checks the framing of @p data and scans its body against the writer
 * schema the fingerprint names, which must be of family @p fam (@p what
 * names it in errors): after FS_OK, *@p writer is that schema and the body,
 * s->base up to s->end, is well formed for it.
 */
fs_err_t codec_scan_framed(fs_codec_t *codec, family_t *fam, const char *what,
                           const void *data, size_t len, entry_t **writer, scan_t *s,
                           char *errstr, size_t errstr_size);

/* ---- encoding (fs_codec_encode.c) --------------------------------------- */

/* Sets string value @p v to the @p n bytes at @p s (copied); 0 or avro-c's error. */
int codec_set_string(avro_value_t *v, const char *s, size_t n);

/*
 * Appends the header for @p e's fingerprint and @p e->wvalue written by
 * avro-c to @p out; @p bound is an upper bound of the body size (the exact
 * size is asked from avro-c only if it is ever exceeded).  On failure
 * @p out has its previous length.
 */
fs_err_t codec_write_framed(fs_codec_t *codec, entry_t *e, size_t bound, fs_buf_t *out,
                            char *errstr, size_t errstr_size);

/* ---- decoding (fs_codec_decode.c) --------------------------------------- */

/*
 * codec_scan_framed(), then reads the body through avro-c into the generic
 * value of *@p layout (the family's reader, or a projection of it), with
 * *@p dropped the reader defaults to apply (NULL when none).
 */
fs_err_t codec_read_framed(fs_codec_t *codec, family_t *fam, const char *what,
                           const void *data, size_t len, entry_t **layout,
                           json_t **dropped, char *errstr, size_t errstr_size);

/* The value of @p v, through a union if it is one (AVRO_NULL when null or unset). */
avro_type_t codec_unwrap(avro_value_t *v, avro_value_t *out);

/* A malloc'd, NUL-terminated copy of the size_with_nul - 1 bytes at @p s. */
char *codec_dup_str(const char *s, size_t size_with_nul);

#endif
