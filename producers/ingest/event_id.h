/*
 * event_id.h — deterministic event ids of funnel-ingest.
 *
 * Owns the rule that names an event read from NDJSON without an event_id:
 * an RFC 9562 version-5 (name-based, SHA-1) UUID of the line, so that
 * ingesting the same file again — after a crash, a kill -9 or by mistake —
 * gives every line the id it had the first time, and the workers'
 * de-duplication by event_id (docs/aggregates.md) makes the second pass harmless.
 *
 *   event_id = UUIDv5(FS_INGEST_ID_NAMESPACE,
 *                     ID_NAMESPACE "\n" LINE_NUMBER "\n" LINE)
 *
 * ID_NAMESPACE is --id-namespace ("" by default), LINE_NUMBER the 1-based
 * line number in decimal and LINE the line's bytes without its "\n" or
 * "\r\n".  In Python: uuid.uuid5(uuid.UUID(FS_INGEST_ID_NAMESPACE_STR),
 * f"{ns}\n{n}\n{line}").  The line number is part of the name so that two
 * identical lines of one file (the same click recorded twice on purpose)
 * stay two events.
 *
 * Called by the ingest loop.  Pure: no I/O, no clock, no state.
 */
#ifndef FS_EVENT_ID_H
#define FS_EVENT_ID_H

#include <stddef.h>
#include <stdint.h>

#define FS_INGEST_ID_STRLEN 36

/* uuid5(NAMESPACE_URL, "https://funnelstream.dev/ns/funnel-ingest") */
#define FS_INGEST_ID_NAMESPACE_STR "a1aa776f-c4f4-5feb-8795-68288c102fb1"

/** SHA-1 of @p len bytes of @p data (FIPS 180-4), for the ids and checkpoints. */
void fs_sha1(const void *data, size_t len, uint8_t digest[20]);

/** Incremental SHA-1. */
typedef struct fs_sha1_ctx {
    uint32_t h[5];
    uint64_t total;
    uint8_t block[64];
    size_t used;
} fs_sha1_ctx_t;

void fs_sha1_init(fs_sha1_ctx_t *c);
void fs_sha1_update(fs_sha1_ctx_t *c, const void *data, size_t len);
void fs_sha1_final(fs_sha1_ctx_t *c, uint8_t digest[20]);

/**
 * Writes the id of line @p line_no with text @p line (@p len bytes) under
 * @p id_namespace (NUL-terminated, may be "") to @p out: 36 lowercase
 * characters and a NUL.
 */
void fs_ingest_event_id(const char *id_namespace, uint64_t line_no, const char *line,
                        size_t len, char out[FS_INGEST_ID_STRLEN + 1]);

#endif
