/*
 * intake.h — turns one request body into validated events (docs/collector.md).
 *
 * Owns the body shapes the collector accepts: one event object, a JSON
 * array of events, or {"batch": [...]}, at most max_events of them.  Each
 * element is validated by fs_validate; an element that fails keeps its
 * error and its JSON text for the dead-letter topic.  Pure: no I/O, no
 * clock (the time received comes in the validation context).
 */
#ifndef FS_INTAKE_H
#define FS_INTAKE_H

#include <stddef.h>

#include <jansson.h>

#include "fs_event.h"
#include "fs_validate.h"

typedef struct fs_intake_item {
    int ok; /* ev is valid and owned when non-zero */
    fs_event_t ev;
    char error[512]; /* "field: reason; ..." when !ok */
    char *raw;       /* compact JSON of a rejected element (owned), or NULL */
} fs_intake_item_t;

typedef struct fs_intake {
    size_t n;
    size_t accepted;
    fs_intake_item_t *items; /* owned array of n */
} fs_intake_t;

/**
 * Parses @p body and validates every event.  FS_ERR_INVALID when the body
 * itself is not of an accepted shape (then @p errstr says why and @p out is
 * empty); FS_OK otherwise, even if every event was rejected.  @p out must
 * be zeroed or cleared; release it with fs_intake_clear().
 */
fs_err_t fs_intake_parse(const fs_validate_ctx_t *ctx, const char *body, size_t len,
                         size_t max_events, fs_intake_t *out, char *errstr,
                         size_t errstr_size) FS_WUR;

/**
 * One event given as an object (the tracking pixel's): @p out gets exactly
 * one item, validated like an element of a body, or rejected with
 * @p preset_error when that is not NULL (an error found before validation,
 * e.g. a query parameter given twice).  @p obj is only read.  FS_OK, or
 * FS_ERR_NOMEM (then @p out is empty).  @p out must be zeroed or cleared.
 */
fs_err_t fs_intake_object(const fs_validate_ctx_t *ctx, const json_t *obj,
                          const char *preset_error, fs_intake_t *out) FS_WUR;

void fs_intake_clear(fs_intake_t *in);

#endif
