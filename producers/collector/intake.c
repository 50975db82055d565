/*
 * intake.c — request body → validated events (see intake.h).
 */
#include "intake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fs_json.h"

#define RAW_MAX 8192 /* bytes of a rejected element kept for the dead letter */

void fs_intake_clear(fs_intake_t *in)
{
    for (size_t i = 0; i < in->n; i++) {
        fs_event_clear(&in->items[i].ev);
        free(in->items[i].raw);
    }
    free(in->items);
    memset(in, 0, sizeof(*in));
}

static void reject(fs_intake_item_t *it, json_t *elem, const char *error)
{
    it->ok = 0;
    snprintf(it->error, sizeof(it->error), "%s", error);
    char *raw = json_dumps(elem, JSON_COMPACT | JSON_ENCODE_ANY);
    if (raw && strlen(raw) > RAW_MAX)
        raw[RAW_MAX] = '\0';
    it->raw = raw; /* NULL on OOM: the dead letter then has no raw text */
}

/* Validates @p elem into @p it; non-zero when accepted. */
static int intake_item(const fs_validate_ctx_t *ctx, json_t *elem, fs_intake_item_t *it)
{
    if (!json_is_object(elem)) {
        reject(it, elem, "event: must be a JSON object");
        return 0;
    }
    /* The 32 KiB limit is on the serialized form of the event; it is only
     * serialized (counted) when a cheap bound says it might be over. */
    if (fs_json_compact_larger(elem, FS_EVENT_MAX_BYTES)) {
        reject(it, elem, "event: larger than 32 KiB");
        return 0;
    }
    if (fs_validate_json(ctx, elem, &it->ev, it->error, sizeof(it->error)) == FS_OK) {
        it->ok = 1;
        return 1;
    }
    char e[sizeof(it->error)];
    memcpy(e, it->error, sizeof(e));
    reject(it, elem, e);
    return 0;
}

fs_err_t fs_intake_object(const fs_validate_ctx_t *ctx, const json_t *obj,
                          const char *preset_error, fs_intake_t *out)
{
    memset(out, 0, sizeof(*out));
    if (!(out->items = calloc(1, sizeof(*out->items))))
        return FS_ERR_NOMEM;
    out->n = 1;
    /* jansson's API is not const-correct; obj is only read. */
    json_t *elem = (json_t *)obj;
    if (preset_error)
        reject(&out->items[0], elem, preset_error);
    else if (intake_item(ctx, elem, &out->items[0]))
        out->accepted = 1;
    return FS_OK;
}

fs_err_t fs_intake_parse(const fs_validate_ctx_t *ctx, const char *body, size_t len,
                         size_t max_events, fs_intake_t *out, char *errstr, size_t sz)
{
    char why[160];
    json_t *root = fs_json_parse(body, len, why, sizeof(why));
    json_t *list = NULL;
    fs_err_t err = FS_OK;
    memset(out, 0, sizeof(*out));
    if (!root) {
        snprintf(errstr, sz, "body: not valid JSON: %s", why);
        return FS_ERR_INVALID;
    }
    if (json_is_array(root)) {
        list = root;
    } else if (json_is_object(root) && json_object_size(root) == 1 &&
               json_object_get(root, "batch")) {
        list = json_object_get(root, "batch");
        if (!json_is_array(list)) {
            snprintf(errstr, sz, "batch: must be an array of events");
            err = FS_ERR_INVALID;
            goto done;
        }
    } else if (!json_is_object(root)) {
        snprintf(
            errstr, sz,
            "body: expected an event object, an array of events or {\"batch\": [...]}");
        err = FS_ERR_INVALID;
        goto done;
    }
    size_t n = list ? json_array_size(list) : 1;
    if (n == 0) {
        snprintf(errstr, sz, "body: no events");
        err = FS_ERR_INVALID;
        goto done;
    }
    if (n > max_events) {
        snprintf(errstr, sz, "body: %zu events, at most %zu per request", n, max_events);
        err = FS_ERR_INVALID;
        goto done;
    }
    out->items = calloc(n, sizeof(*out->items));
    if (!out->items) {
        snprintf(errstr, sz, "out of memory");
        err = FS_ERR_NOMEM;
        goto done;
    }
    out->n = n;
    for (size_t i = 0; i < n; i++)
        if (intake_item(ctx, list ? json_array_get(list, i) : root, &out->items[i]))
            out->accepted++;
done:
    json_decref(root);
    if (err)
        fs_intake_clear(out);
    return err;
}
