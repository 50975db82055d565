/*
 * fs_avro_bin.h — Avro binary encoding of primitive values, appended to an
 * fs_buf_t (Avro specification 1.11, "Binary Encoding").
 *
 * Owns nothing: every writer appends to a buffer the caller owns; every
 * reader reads from bytes the caller owns.  Pure memory, no I/O, no global
 * state; safe from any thread on distinct buffers.
 *
 * Called by fs_codec's event writer, which writes a record field by field
 * from fs_event_t instead of filling avro-c's generic value first (that
 * fill was ~80 % of the cost of an encode).  Schemas, fingerprints, reading
 * and resolution stay with avro-c; the bytes written here are checked
 * against avro-c's own writer by tests/unit/test_codec.c and the
 * fuzz_decode fuzzer.
 *
 * Encodings: long and int — zig-zag, then base-128 varint, low group first
 * (1–10 bytes); string and bytes — the length as a long, then the bytes;
 * double — the 8 bytes of the IEEE 754 value, little-endian; boolean — one
 * byte 0 or 1.  A union is its branch index as a long, then the value; a
 * map is blocks of (count, entries), ended by a count of 0.
 */
#ifndef FS_AVRO_BIN_H
#define FS_AVRO_BIN_H

#include <stddef.h>
#include <stdint.h>

#include "fs_buf.h"
#include "fs_err.h"

#define FS_AVRO_LONG_MAX 10 /* bytes of the longest encoded long */

/** Appends @p v as an Avro long.  FS_ERR_NOMEM leaves @p b unchanged. */
fs_err_t fs_avro_put_long(fs_buf_t *b, int64_t v) FS_WUR;

/** Appends @p n bytes of @p s as an Avro string (or bytes): length, then data. */
fs_err_t fs_avro_put_string(fs_buf_t *b, const char *s, size_t n) FS_WUR;

/** Appends @p d as an Avro double (its bit pattern, NaN payloads included). */
fs_err_t fs_avro_put_double(fs_buf_t *b, double d) FS_WUR;

/** Appends an Avro boolean: 1 when @p v is non-zero, else 0. */
fs_err_t fs_avro_put_boolean(fs_buf_t *b, int v) FS_WUR;

/**
 * Reads the Avro long at *@p p, never past @p end, into *@p v and moves *@p p
 * past it.
 * @returns 0; -1 when the bytes end first; -2 when it overflows 64 bits.
 */
int fs_avro_get_long(const uint8_t **p, const uint8_t *end, int64_t *v) FS_WUR;

/** The Avro double in the 8 bytes at @p p (the caller checked there are 8). */
double fs_avro_get_double(const uint8_t *p);

#endif
