/*
 * fs_json.h — JSON text → a read-only document, in one pass, with the
 * acceptance rules of jansson's parser; conversions to and from jansson
 * trees; the size of a value's compact serialization, bounded without
 * serializing.
 *
 * Owns: fs_jdoc_t, an arena holding every node and string of one parsed
 * value (one allocation per few KiB instead of one per node, key and
 * string as a jansson tree needs: building and freeing that tree was
 * the larger part of the collector's CPU per event).  Values are borrowed
 * from their document until fs_jdoc_free().
 *
 * The contract is json_loadb(text, len, JSON_DECODE_ANY |
 * JSON_REJECT_DUPLICATES): the same texts are accepted, giving values that
 * convert to equal jansson trees with keys in the same order; the rest are
 * rejected with our message (the reason and a byte offset, never a newline).  Two
 * exceptions: a NUL byte outside a string is always an error here, while jansson skips
 * one after a number or literal ("10\0" → 10, "[1\0,2]" → [1,2]); and an
 * object key of 4 GiB or more is refused.
 * tests/fuzz/fuzz_json.c checks this against jansson on arbitrary input.
 * Pure and thread-safe: no global state.
 */
#ifndef FS_JSON_H
#define FS_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "fs_err.h"

/* Values nested deeper than this are rejected, as jansson does: the root
 * is level 1, and a value inside FS_JSON_MAX_DEPTH open containers is one
 * level too deep (fs_jdoc_from_json() limits containers only). */
#define FS_JSON_MAX_DEPTH 2048

typedef enum fs_jtype {
    FS_J_NULL,
    FS_J_FALSE,
    FS_J_TRUE,
    FS_J_INT, /* no '.', 'e' or 'E' in the text, as jansson's JSON_INTEGER */
    FS_J_REAL,
    FS_J_STRING,
    FS_J_ARRAY,
    FS_J_OBJECT
} fs_jtype_t;

/* One value.  Strings and keys are NUL-terminated copies; from
 * fs_jdoc_parse() they are valid UTF-8 without NUL, from
 * fs_jdoc_from_json() they are the bytes jansson held (which a program
 * may have filled with anything).  The members of an object keep their
 * order and carry their key. */
typedef struct fs_jval fs_jval_t;
struct fs_jval {
    uint32_t type; /* fs_jtype_t */
    uint32_t klen; /* bytes of key */
    size_t len;    /* FS_J_STRING: bytes; FS_J_ARRAY / FS_J_OBJECT: members */
    union {
        int64_t i;              /* FS_J_INT */
        double d;               /* FS_J_REAL */
        const char *s;          /* FS_J_STRING */
        const fs_jval_t *items; /* FS_J_ARRAY / FS_J_OBJECT: len members */
    } u;
    const char *key; /* a member of an object: its key; otherwise NULL */
};

typedef struct fs_jdoc fs_jdoc_t;

/**
 * Parses @p len bytes of @p text (need not be NUL-terminated) as one JSON
 * value with optional surrounding whitespace.
 * @returns the value, borrowed from *@p doc (a new document the caller
 *          frees with fs_jdoc_free()), or NULL (*@p doc NULL) with a
 *          one-line reason in @p errstr ("REASON (byte N)", or "out of
 *          memory").
 */
const fs_jval_t *fs_jdoc_parse(const char *text, size_t len, fs_jdoc_t **doc,
                               char *errstr, size_t errstr_size) FS_WUR;

/**
 * The value of jansson tree @p j, copied into a new document *@p doc.
 * NULL (and *@p doc NULL) when memory runs out or @p j is nested deeper
 * than FS_JSON_MAX_DEPTH.
 */
const fs_jval_t *fs_jdoc_from_json(const json_t *j, fs_jdoc_t **doc) FS_WUR;

/** Frees @p doc and every value in it.  NULL is a no-op. */
void fs_jdoc_free(fs_jdoc_t *doc);

/** A new jansson tree equal to @p v (a new reference), NULL when out of memory. */
json_t *fs_jval_to_json(const fs_jval_t *v) FS_WUR;

/**
 * fs_jdoc_parse() then fs_jval_to_json(): the jansson tree of @p text
 * (a new reference), or NULL with the reason in @p errstr.
 */
json_t *fs_json_parse(const char *text, size_t len, char *errstr,
                      size_t errstr_size) FS_WUR;

/**
 * Upper bound of the length of json_dumpb(fs_jval_to_json(@p v),
 * JSON_COMPACT | JSON_ENCODE_ANY), from string lengths alone (every byte
 * counted as a \uXXXX escape); it stops summing once above @p limit, and
 * gives limit + 1 for containers nested more than 64 levels.  O(values),
 * no serializing.
 */
size_t fs_jval_size_bound(const fs_jval_t *v, size_t limit);

/**
 * Non-zero when that serialization would be longer than @p limit bytes:
 * fs_jval_size_bound() decides when it is within @p limit (the usual event,
 * far below), jansson counts exactly otherwise.  Out of memory while
 * counting is taken as larger.
 */
int fs_jval_compact_larger(const fs_jval_t *v, size_t limit) FS_WUR;

#endif
