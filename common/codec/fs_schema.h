/*
 * fs_schema.h — Avro Parsing Canonical Form and the CRC-64-AVRO fingerprint.
 *
 * Owns the two pure functions that give an Avro schema its identity on the
 * wire (docs/event.md: the 8-byte fingerprint after C3 01).  Called by the codec's
 * schema store (fs_codec.c) once per schema at start-up, and by tests and
 * tools.  Pure: no I/O, no avro-c, no global mutable state; the JSON is
 * parsed with jansson.  Must never be used per event.
 */
#ifndef FS_SCHEMA_H
#define FS_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

/** The CRC-64-AVRO of zero bytes, the seed of every fingerprint. */
#define FS_SCHEMA_FP_EMPTY 0xc15d213aa4d7a795ULL

/**
 * The Parsing Canonical Form (Avro 1.11 specification, "Transforming into
 * Parsing Canonical Form") of the schema JSON @p json of @p len bytes:
 * PRIMITIVES, FULLNAMES (with inherited and overridden namespaces), STRIP,
 * ORDER, STRINGS, INTEGERS and WHITESPACE.  Logical types are stripped like
 * every other attribute, so {"type":"long","logicalType":"timestamp-millis"}
 * becomes "long", as Java's SchemaNormalization does.
 *
 * Also rejects what is not a schema: invalid JSON, unknown type names,
 * named types defined twice, invalid names, missing fields/symbols/items/
 * values/size.
 *
 * @returns a NUL-terminated malloc'd string the caller frees, or NULL with
 *          a sentence in @p errstr (invalid schema or out of memory).
 */
char *fs_schema_canonical_form(const char *json, size_t len, char *errstr,
                               size_t errstr_size);

/**
 * CRC-64-AVRO (Rabin) fingerprint of @p len bytes at @p data, as the Avro
 * specification's table algorithm computes it.  Apply it to the canonical
 * form to get a schema's fingerprint.  fs_schema_fingerprint64(NULL, 0)
 * is FS_SCHEMA_FP_EMPTY.
 */
uint64_t fs_schema_fingerprint64(const void *data, size_t len);

#endif
