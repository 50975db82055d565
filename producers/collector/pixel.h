/*
 * pixel.h — the tracking pixel: query parameters → event object (docs/collector.md).
 *
 * Owns the mapping of `GET /v1/pixel.gif?...` parameters onto a docs/event.md
 * event object, which is then validated exactly like a POSTed event:
 *   - every text field of §3 by its own name (type, user_id, anonymous_id,
 *     event_id, channel, campaign, source, medium, content, term, currency);
 *   - `utm_source`, `utm_medium`, `utm_campaign`, `utm_content`, `utm_term`
 *     as aliases of source, medium, campaign, content, term (ad links carry
 *     them; giving both names of one field is an error);
 *   - `occurred_at` as epoch milliseconds when all digits, else RFC 3339;
 *     `revenue` as a decimal string;
 *   - `properties.NAME=value` as string properties;
 *   - `write_key` (authentication) and `_`, `cb` (cache busters) are not
 *     part of the event;
 *   - any other parameter becomes an unknown field, which validation
 *     rejects: typos must not silently lose data.
 * Also owns the 43-byte transparent GIF.  Pure: no I/O.
 */
#ifndef FS_PIXEL_H
#define FS_PIXEL_H

#include <stddef.h>

#include <jansson.h>

#include "fs_err.h"

/** The 1×1 transparent GIF89a every pixel request is answered with. */
extern const unsigned char fs_pixel_gif[43];

typedef struct fs_pixel_param {
    const char *name;
    const char *value; /* NULL for a bare "?name" */
} fs_pixel_param_t;

/**
 * Builds the event object of @p n parameters (already URL-decoded).
 * Always sets *@p out to a new object (owned by the caller; NULL only when
 * out of memory) holding what could be mapped, usable as the raw text of a
 * dead letter.  FS_ERR_INVALID with @p errstr ("campaign: given twice
 * (campaign, utm_campaign)") when a field is given more than once;
 * validation proper is left to fs_validate_json().
 */
fs_err_t fs_pixel_event(const fs_pixel_param_t *params, size_t n, json_t **out,
                        char *errstr, size_t errstr_size) FS_WUR;

#endif
