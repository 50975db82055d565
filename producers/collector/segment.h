/*
 * segment.h — Segment's HTTP Tracking API → our events (docs/segment.md).
 *
 * Owns the mapping of `POST /v1/track`, `/v1/identify`, `/v1/page` and
 * `/v1/batch` bodies (Segment's field names, as analytics.js, the Segment
 * server libraries and the RudderStack SDKs send them) onto docs/event.md
 * events, which are then validated exactly like a POSTed event; every
 * error is reported under the Segment field it came from ("messageId: ...",
 * "event: unknown event type ..."), and a rejected message keeps its
 * original text for the dead-letter topic.
 *
 * Called by the server on an HTTP thread with the whole body.  Pure: no I/O,
 * no clock; builds the mapped event over the parsed body without copying it
 * (the HTTP path's cost per event stays that of POST /v1/events).
 */
#ifndef FS_SEGMENT_H
#define FS_SEGMENT_H

#include <stddef.h>

#include "fs_validate.h"
#include "intake.h"

typedef enum fs_segment_call {
    FS_SEGMENT_TRACK,    /* POST /v1/track: one track message */
    FS_SEGMENT_IDENTIFY, /* POST /v1/identify */
    FS_SEGMENT_PAGE,     /* POST /v1/page */
    FS_SEGMENT_BATCH     /* POST /v1/batch: {"batch": [messages with "type"]} */
} fs_segment_call_t;

/**
 * The call of request path @p path ("/v1/track" ...); non-zero and
 * *@p call set when it is one of the four.
 */
int fs_segment_route(const char *path, fs_segment_call_t *call);

/**
 * Parses @p body as a @p call body and validates every message, as
 * fs_intake_parse() does for POST /v1/events: FS_ERR_INVALID when the body
 * is not of the call's shape (@p errstr says why, @p out is empty),
 * FS_ERR_NOMEM, or FS_OK even if every message was rejected.  At most
 * @p max_events messages.  @p out must be zeroed or cleared; release it
 * with fs_intake_clear().
 */
fs_err_t fs_segment_parse(const fs_validate_ctx_t *ctx, fs_segment_call_t call,
                          const char *body, size_t len, size_t max_events,
                          fs_intake_t *out, char *errstr, size_t errstr_size) FS_WUR;

#endif
