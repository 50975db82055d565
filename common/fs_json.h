/*
 * fs_json.h — JSON text → jansson tree, lexed by yajl; and the size of a
 * tree's compact serialization, bounded without serializing.
 *
 * jansson's own parser spends ~8 µs on a 300-byte event (a character
 * stream with per-byte buffering); yajl lexes the same text in ~1.5 µs and
 * building the tree from its callbacks brings the total to ~3.5 µs.  The
 * collector parses every request body and funnel-ingest every line, so the
 * rest of the program keeps working on jansson values and only the parse
 * is swapped.
 *
 * The contract is json_loadb(text, len, JSON_DECODE_ANY |
 * JSON_REJECT_DUPLICATES): the same texts are accepted, giving equal trees
 * with keys in the same order; the rest are rejected (with yajl's message
 * or ours, not jansson's).  One exception: a NUL byte outside a string is
 * always an error here, while jansson takes it as the end of the text
 * after a number ("10\0" → 10).  tests/fuzz/fuzz_json.c checks this against
 * jansson on arbitrary input.  Pure and thread-safe: no global state.
 */
#ifndef FS_JSON_H
#define FS_JSON_H

#include <stddef.h>

#include <jansson.h>

#include "fs_err.h"

/* Containers nested deeper than this are rejected, as jansson does. */
#define FS_JSON_MAX_DEPTH 2048

/**
 * Parses @p len bytes of @p text (need not be NUL-terminated) as one JSON
 * value with optional surrounding whitespace.
 * @returns a new reference the caller must json_decref(), or NULL with a
 *          one-line reason in @p errstr ("REASON (byte N)", or "out of
 *          memory").
 */
json_t *fs_json_parse(const char *text, size_t len, char *errstr,
                      size_t errstr_size) FS_WUR;

/**
 * Upper bound of the length of json_dumpb(@p j, JSON_COMPACT |
 * JSON_ENCODE_ANY), from string lengths alone (every byte counted as a
 * \uXXXX escape); it stops summing once above @p limit, and gives
 * limit + 1 for containers nested more than 64 levels.  O(values), no
 * serializing.
 */
size_t fs_json_size_bound(const json_t *j, size_t limit);

/**
 * Non-zero when json_dumpb(@p j, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY)
 * would be longer than @p limit bytes: fs_json_size_bound() decides when it
 * is within @p limit (the usual event, far below), json_dumpb counts
 * exactly otherwise.
 */
int fs_json_compact_larger(const json_t *j, size_t limit) FS_WUR;

#endif
