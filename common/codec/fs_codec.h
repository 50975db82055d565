/*
 * fs_codec.h — Avro single-object codec of journey events and dead letters,
 * and the schema store behind it (docs/event.md, docs/avro.md).
 *
 * Owns: the known schemas (every schemas/ .avsc files embedded at build time,
 * plus *.avsc from an optional directory), their Parsing Canonical Forms and
 * CRC-64-AVRO fingerprints, the choice of writer and reader schema, and the
 * avro-c values, resolvers and reader/writer reused across calls.
 *
 * Called by: the producers (encode events and dead letters), the worker
 * (decode events, encode dead letters), tests and tools.
 *
 * Never: touches Kafka or the network, logs, or trusts a length read from
 * the wire (bodies are checked against their writer schema before avro-c
 * allocates anything).  It reads files only in fs_codec_new().
 *
 * Wire format (Avro "single-object encoding"):
 *   C3 01 | 8-byte little-endian CRC-64-AVRO of the writer schema's
 *   Parsing Canonical Form | Avro binary body
 *
 * Thread-safety: a codec is NOT thread-safe (it reuses its avro values);
 * use one per thread.  Distinct codecs share nothing.
 */
#ifndef FS_CODEC_H
#define FS_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "fs_buf.h"
#include "fs_err.h"
#include "fs_event.h"

/** Length of the single-object header: 2 magic bytes + 8-byte fingerprint. */
#define FS_CODEC_HEADER_LEN 10
/** Bytes of the original input kept in a dead letter's raw field. */
#define FS_DEAD_LETTER_RAW_MAX 8192
/** Most items one Avro map or array of a decoded body may hold. */
#define FS_CODEC_MAX_ITEMS 65536

/** fs_codec_new_flags(): load no embedded schema, only those of the directory. */
#define FS_CODEC_NO_EMBEDDED 0x1u

typedef struct fs_codec fs_codec_t;

/**
 * Writes the FS_CODEC_HEADER_LEN bytes of the single-object header for
 * @p fingerprint at @p h: C3 01, then the fingerprint little-endian.
 * Pure; needs no codec.
 */
void fs_codec_write_header(uint8_t *h, uint64_t fingerprint);

/**
 * Reads the single-object header at the start of the @p len bytes at
 * @p data: the one place our framing is parsed.  Pure; needs no codec and
 * does not look the fingerprint up (fs_codec_decode_event() does).
 * @returns FS_OK and sets *fingerprint; FS_ERR_CORRUPT when @p data does
 *          not start with C3 01 or is shorter than the header, @p errstr
 *          (may be NULL) saying which; *fingerprint is then untouched.
 */
fs_err_t fs_codec_read_header(const void *data, size_t len, uint64_t *fingerprint,
                              char *errstr, size_t errstr_size) FS_WUR;

/**
 * Builds a codec with every embedded schema plus every *.avsc of
 * @p extra_dir (may be NULL).  Schema files are named FAMILY.vN.avsc; the
 * families the codec uses are journey_event (events) and dead_letter.  For
 * each family the highest version is both the writer schema and the reader
 * schema; every other version of the family is a writer the codec can read
 * (resolved to the reader by Avro rules).  Files of other families are
 * loaded and fingerprinted only.
 *
 * Fails (NULL, a sentence in @p errstr) on an unreadable directory or file,
 * an invalid schema, a file name not of the FAMILY.vN.avsc form, two
 * different schemas under one name, a version that cannot be resolved to its
 * family's reader, or a writer schema with a field the codec cannot fill.
 */
fs_codec_t *fs_codec_new(const char *extra_dir, char *errstr, size_t errstr_size);

/** fs_codec_new() with FS_CODEC_* @p flags (e.g. only the directory's schemas). */
fs_codec_t *fs_codec_new_flags(const char *extra_dir, unsigned flags, char *errstr,
                               size_t errstr_size);

/** Frees @p codec and everything it holds.  NULL is a no-op. */
void fs_codec_destroy(fs_codec_t *codec);

/**
 * Makes the loaded JourneyEvent schema with @p fingerprint the writer of
 * fs_codec_encode_event() (e.g. an old version, to test evolution).
 * @returns FS_ERR_NOT_FOUND when no loaded JourneyEvent has it.
 */
fs_err_t fs_codec_set_event_writer(fs_codec_t *codec, uint64_t fingerprint) FS_WUR;

/** Fingerprint of the schema fs_codec_encode_event() writes. */
uint64_t fs_codec_event_writer_fingerprint(const fs_codec_t *codec);

/** Fingerprint of the schema decoded events are resolved to. */
uint64_t fs_codec_event_reader_fingerprint(const fs_codec_t *codec);

/** Number of loaded schemas. */
size_t fs_codec_schema_count(const fs_codec_t *codec);

/**
 * File name, canonical form and fingerprint of loaded schema @p i (in load
 * order: embedded sorted by name, then the directory's).  The strings are
 * borrowed until fs_codec_destroy().  @returns FS_ERR_NOT_FOUND past the end.
 */
fs_err_t fs_codec_schema_info(const fs_codec_t *codec, size_t i, const char **name,
                              const char **canonical, uint64_t *fingerprint) FS_WUR;

/**
 * APPENDS the single-object encoding of @p ev with the event writer schema to
 * @p out.  @p ev is only read.  FS_ERR_INVALID (errstr names the field) when
 * the event cannot be represented: type missing, a text field not valid
 * UTF-8, a property key given twice; FS_ERR_NOMEM.  On failure @p out has
 * its previous length.
 *
 * The body is written field by field from @p ev (fs_avro_bin.h), in the
 * order of the writer schema's fields and union branches as avro-c parsed
 * them; it does not go through avro-c's generic value.
 */
fs_err_t fs_codec_encode_event(fs_codec_t *codec, const fs_event_t *ev, fs_buf_t *out,
                               char *errstr, size_t errstr_size) FS_WUR;

/**
 * fs_codec_encode_event() for an event fs_validate_json/jval/text()
 * accepted (its event_id possibly set since to a UUID or another id of
 * [A-Za-z0-9._:-]): the same bytes, without re-checking what the validator
 * guarantees — every text valid UTF-8 without NUL, property keys distinct.
 * What the writer schema requires (a field it does not allow to be null, a
 * property kind its union lacks) is still checked.  tests/fuzz/fuzz_validate.c
 * checks that validated events encode the same both ways.
 */
fs_err_t fs_codec_encode_valid_event(fs_codec_t *codec, const fs_event_t *ev,
                                     fs_buf_t *out, char *errstr,
                                     size_t errstr_size) FS_WUR;

/**
 * fs_codec_encode_event() through avro-c's own writer: fills the writer
 * schema's generic value and lets avro_value_write() encode it.  Same
 * results, same bytes, same errors (FS_ERR_FATAL if avro-c itself fails),
 * about 5× slower.  Kept as the reference the direct writer is tested
 * against (tests/unit/test_codec.c, tests/fuzz/fuzz_decode.c).
 */
fs_err_t fs_codec_encode_event_generic(fs_codec_t *codec, const fs_event_t *ev,
                                       fs_buf_t *out, char *errstr,
                                       size_t errstr_size) FS_WUR;

/**
 * Decodes one framed event of @p len bytes into @p out (overwritten, not
 * cleared first: pass a zeroed or cleared event).  Data written with any
 * loaded JourneyEvent version is resolved to the reader schema (fields a
 * writer lacks get their defaults; fields the reader lacks are skipped).
 *
 * @returns FS_OK and *out owns its strings (free with fs_event_clear());
 *          FS_ERR_CORRUPT — not our framing, truncated, trailing bytes, or a
 *          body that does not decode (errstr says which and where);
 *          FS_ERR_UNKNOWN_SCHEMA — "fingerprint 0x... unknown" (or not a
 *          JourneyEvent); FS_ERR_NOMEM.
 *          On failure *out is cleared (zeroed, nothing allocated).
 */
fs_err_t fs_codec_decode_event(fs_codec_t *codec, const void *data, size_t len,
                               fs_event_t *out, char *errstr, size_t errstr_size) FS_WUR;

/**
 * fs_codec_decode_event() through avro-c's generic value for every body.
 * fs_codec_decode_event() reads data written with the reader schema itself
 * straight from the bytes (the worker's hot path); this is the reference
 * it is tested against (tests/unit/test_codec.c, tests/fuzz/fuzz_decode.c).
 */
fs_err_t fs_codec_decode_event_generic(fs_codec_t *codec, const void *data, size_t len,
                                       fs_event_t *out, char *errstr,
                                       size_t errstr_size) FS_WUR;

/** How many events fs_codec_decode_event() read without avro-c (the rest
 * fell back to it): lets tests see which path ran. */
uint64_t fs_codec_direct_decodes(const fs_codec_t *codec);

/** A rejected input, as written to the dead-letter topic. */
typedef struct fs_dead_letter {
    const char *reason; /* required: why, naming the field when there is one */
    const char *source; /* required: "collector", "ingest" or "worker" */
    int64_t at_ms;      /* when it was dead-lettered, epoch ms */
    const void *raw;    /* the input; encode keeps FS_DEAD_LETTER_RAW_MAX bytes */
    size_t raw_len;
    size_t raw_total;    /* decode: length of the original input; encode: ignored */
    const char *topic;   /* Kafka origin, NULL when none */
    int32_t partition;   /* -1 when absent */
    int64_t offset;      /* -1 when absent */
    int has_fingerprint; /* non-zero: raw was in our framing with this fingerprint */
    uint64_t fingerprint;
} fs_dead_letter_t;

/**
 * APPENDS the single-object encoding of @p dl (DeadLetter schema) to @p out,
 * raw truncated to FS_DEAD_LETTER_RAW_MAX bytes.  reason and source are
 * required and, like topic, must be valid UTF-8 (FS_ERR_INVALID); raw may be
 * any bytes.  On failure @p out has its previous length.
 */
fs_err_t fs_codec_encode_dead_letter(fs_codec_t *codec, const fs_dead_letter_t *dl,
                                     fs_buf_t *out, char *errstr,
                                     size_t errstr_size) FS_WUR;

/**
 * Decodes a framed dead letter into @p dl, whose pointers (reason, source,
 * raw, topic) point into @p storage: @p storage is reset first and the
 * pointers are borrowed until it is next changed or freed.  Errors as
 * fs_codec_decode_event(); on failure *dl is zeroed.
 */
fs_err_t fs_codec_decode_dead_letter(fs_codec_t *codec, const void *data, size_t len,
                                     fs_dead_letter_t *dl, fs_buf_t *storage,
                                     char *errstr, size_t errstr_size) FS_WUR;

#endif
