/*
 * fs_validate.h — docs/event.md event validation: JSON in, fs_event_t out.
 *
 * Owns the rules of what an acceptable event is (docs/event-validation.md).
 * Called by the collector (per event of a request), funnel-ingest (per
 * NDJSON line) and the DLQ tooling.  Pure: no I/O, no clock, no randomness,
 * no global state — the time received is an input, and an absent event_id
 * stays "" for the caller to fill with fs_uuid4_random().  Safe to call
 * from any number of threads at once (the definition is read-only).
 */
#ifndef FS_VALIDATE_H
#define FS_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "fs_channel.h"
#include "fs_definition.h"
#include "fs_err.h"
#include "fs_event.h"
#include "fs_json.h"

#define FS_EPOCH_MIN_MS 946684800000LL /* 2000-01-01T00:00:00Z */
#define FS_FUTURE_SLACK_MS                                                               \
    (24LL * 3600 * 1000) /* occurred_at may lead receipt by 24 h                         \
                          */

typedef struct fs_validate_ctx {
    const fs_definition_t *def; /* borrowed for the call */
    int64_t now_ms;             /* time received, epoch ms; the occurred_at default */
    const char *ingest_source;  /* copied into ev->ingest_source; may be NULL */
    /* Borrowed; NULL = none.  When set, an event without a channel gets
     * fs_channel_derive() of its type, medium and `referrer` / `url`
     * properties (the collector's channel grouping, docs/channels.md). */
    const fs_channel_table_t *channels;
} fs_validate_ctx_t;

/**
 * Validates one event object.  @p ctx (with its def) and @p out must not be
 * NULL; a NULL @p obj is reported as "event: must be a JSON object".
 *
 * On FS_OK @p out is overwritten (not cleared first) and owns its strings;
 * event_id is "" when the event had none, and received_at_ms is now_ms.
 * On FS_ERR_INVALID @p out is zeroed and @p errstr holds every problem
 * found, each "field: reason", joined by "; " (unknown fields first, in
 * object order, then the docs/event.md fields in table order), e.g.
 * "type: required; occurred_at: more than 24h in the future".
 * On FS_ERR_NOMEM @p out is zeroed.  Never crashes on any value; @p obj is
 * only read and may be freed by the caller afterwards.
 *
 * A JSON-number revenue is read back as its decimal form with 15
 * significant digits ("%.15g"), then parsed exactly: this gives the literal
 * the client wrote for every acceptable amount (they have at most 14
 * significant digits), and rejects amounts that need more; see
 * docs/event-validation.md.
 */
fs_err_t fs_validate_jval(const fs_validate_ctx_t *ctx, const fs_jval_t *obj,
                          fs_event_t *out, char *errstr, size_t errstr_size) FS_WUR;

/**
 * fs_validate_jval() of jansson tree @p obj (copied into a document
 * first: for callers that build trees, such as the pixel endpoint).
 * Same results; FS_ERR_NOMEM also when @p obj is nested deeper than
 * FS_JSON_MAX_DEPTH.
 */
fs_err_t fs_validate_json(const fs_validate_ctx_t *ctx, const json_t *obj,
                          fs_event_t *out, char *errstr, size_t errstr_size) FS_WUR;

/**
 * Parses @p len bytes of @p text as exactly one JSON object (surrounding
 * whitespace allowed; any other JSON value, duplicate keys, trailing
 * garbage or more than FS_EVENT_MAX_BYTES bytes are rejected with an
 * "event: ..." message), then validates it exactly as fs_validate_json()
 * does, with the same results and ownership rules.
 */
fs_err_t fs_validate_text(const fs_validate_ctx_t *ctx, const char *text, size_t len,
                          fs_event_t *out, char *errstr, size_t errstr_size) FS_WUR;

/**
 * Exact decimal parse of a revenue amount @p s (NUL-terminated, no
 * surrounding space): digits, optionally '.' and 1–2 more digits; value
 * below 10^12.  Never goes through a binary float.
 * @returns FS_OK with *cents set, or FS_ERR_INVALID (*cents untouched).
 */
fs_err_t fs_parse_revenue_cents(const char *s, int64_t *cents) FS_WUR;

/**
 * RFC 3339 timestamp @p s (NUL-terminated) with a mandatory offset ("Z",
 * "+hh:mm" or "-hh:mm"; 't', 'z' and a space for 'T' are accepted too) and
 * an optional fraction of any number of digits, truncated to milliseconds.
 * A leap second (:60) counts as the first second of the next minute.
 * Pure arithmetic: no timegm, no TZ.
 * @returns FS_OK with *ms = UTC epoch milliseconds, or FS_ERR_INVALID.
 */
fs_err_t fs_parse_timestamp_ms(const char *s, int64_t *ms) FS_WUR;

#endif
