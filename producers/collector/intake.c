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

/* Rejects @p it with @p error, keeping @p elem's compact JSON text (when
 * there is memory for it) for the dead letter.  Cold path: the element is
 * turned into a jansson tree for jansson's serializer. */
static void reject(fs_intake_item_t *it, const fs_jval_t *elem, const char *error)
{
    it->ok = 0;
    snprintf(it->error, sizeof(it->error), "%s", error);
    json_t *j = fs_jval_to_json(elem);
    char *raw = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(j);
    if (raw && strlen(raw) > RAW_MAX)
        raw[RAW_MAX] = '\0';
    it->raw = raw; /* NULL on OOM: the dead letter then has no raw text */
}

/* Validates @p elem into @p it (uninitialized memory); non-zero when
 * accepted. */
static int intake_item(const fs_validate_ctx_t *ctx, const fs_jval_t *elem,
                       fs_intake_item_t *it)
{
    /* Not the whole item: zeroing its 512-byte error for every event of a
     * batch showed in the collector's profile. */
    it->ok = 0;
    it->raw = NULL;
    it->error[0] = '\0';
    memset(&it->ev, 0, sizeof(it->ev));
    if (elem->type != FS_J_OBJECT) {
        reject(it, elem, "event: must be a JSON object");
        return 0;
    }
    /* The 32 KiB limit on the serialized form is the validator's: it adds
     * up a bound while it reads the fields and serializes only when the
     * bound is over (checking here first cost a second walk per event). */
    if (fs_validate_jval(ctx, elem, &it->ev, it->error, sizeof(it->error)) == FS_OK) {
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
    fs_jdoc_t *doc;
    const fs_jval_t *elem = fs_jdoc_from_json(obj, &doc);
    if (!elem || !(out->items = calloc(1, sizeof(*out->items)))) {
        fs_jdoc_free(doc);
        return FS_ERR_NOMEM;
    }
    out->n = 1;
    if (preset_error)
        reject(&out->items[0], elem, preset_error);
    else if (intake_item(ctx, elem, &out->items[0]))
        out->accepted = 1;
    fs_jdoc_free(doc);
    return FS_OK;
}

fs_err_t fs_intake_parse(const fs_validate_ctx_t *ctx, const char *body, size_t len,
                         size_t max_events, fs_intake_t *out, char *errstr, size_t sz)
{
    char why[160];
    fs_jdoc_t *doc;
    const fs_jval_t *root = fs_jdoc_parse(body, len, &doc, why, sizeof(why));
    const fs_jval_t *list = NULL;
    fs_err_t err = FS_OK;
    memset(out, 0, sizeof(*out));
    if (!root) {
        snprintf(errstr, sz, "body: not valid JSON: %s", why);
        return FS_ERR_INVALID;
    }
    if (root->type == FS_J_ARRAY) {
        list = root;
    } else if (root->type == FS_J_OBJECT && root->len == 1 &&
               strcmp(root->u.items[0].key, "batch") == 0) {
        list = &root->u.items[0];
        if (list->type != FS_J_ARRAY) {
            snprintf(errstr, sz, "batch: must be an array of events");
            err = FS_ERR_INVALID;
            goto done;
        }
    } else if (root->type != FS_J_OBJECT) {
        snprintf(
            errstr, sz,
            "body: expected an event object, an array of events or {\"batch\": [...]}");
        err = FS_ERR_INVALID;
        goto done;
    }
    size_t n = list ? list->len : 1;
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
    out->items = malloc(n * sizeof(*out->items)); /* n ≤ max_events: no overflow */
    if (!out->items) {
        snprintf(errstr, sz, "out of memory");
        err = FS_ERR_NOMEM;
        goto done;
    }
    out->n = n;
    for (size_t i = 0; i < n; i++)
        if (intake_item(ctx, list ? &list->u.items[i] : root, &out->items[i]))
            out->accepted++;
done:
    fs_jdoc_free(doc);
    if (err)
        fs_intake_clear(out);
    return err;
}
