/*
 * fs_event.c — lifetime of fs_event_t (see fs_event.h): clear, deep copy,
 * Kafka key.
 *
 * Called by every module that holds events.  Pure memory: never validates
 * (that is fs_validate.c) and never encodes (that is the codec).
 */
#include "fs_event.h"

#include <stdlib.h>
#include <string.h>

static void props_free(fs_prop_t *props, size_t nprops)
{
    if (!props)
        return;
    for (size_t i = 0; i < nprops; i++) {
        free(props[i].key);
        if (props[i].kind == FS_PROP_STRING)
            free(props[i].v.s);
    }
    free(props);
}

void fs_event_clear(fs_event_t *ev)
{
    if (!ev)
        return;
    if (ev->block) {
        free(ev->block);
        memset(ev, 0, sizeof(*ev));
        return;
    }
    free(ev->type);
    free(ev->user_id);
    free(ev->anonymous_id);
    free(ev->channel);
    free(ev->campaign);
    free(ev->source);
    free(ev->medium);
    free(ev->content);
    free(ev->term);
    free(ev->ingest_source);
    props_free(ev->props, ev->nprops);
    memset(ev, 0, sizeof(*ev));
}

/* strdup that maps NULL to NULL; *failed is set when an allocation fails. */
static char *dup_opt(const char *s, int *failed)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *failed = 1;
    return d;
}

/* On FS_ERR_NOMEM nothing stays allocated and *dst is zeroed. */
fs_err_t fs_event_copy(fs_event_t *dst, const fs_event_t *src)
{
    int failed = 0;
    fs_event_t ev = *src; /* scalars and inline arrays; pointers replaced below */

    ev.type = dup_opt(src->type, &failed);
    ev.user_id = dup_opt(src->user_id, &failed);
    ev.anonymous_id = dup_opt(src->anonymous_id, &failed);
    ev.channel = dup_opt(src->channel, &failed);
    ev.campaign = dup_opt(src->campaign, &failed);
    ev.source = dup_opt(src->source, &failed);
    ev.medium = dup_opt(src->medium, &failed);
    ev.content = dup_opt(src->content, &failed);
    ev.term = dup_opt(src->term, &failed);
    ev.ingest_source = dup_opt(src->ingest_source, &failed);
    ev.props = NULL;
    ev.nprops = 0;
    ev.block = NULL; /* the copy owns its strings one by one */
    if (failed)
        goto fail;

    if (src->nprops > 0) {
        ev.props = calloc(src->nprops, sizeof(*ev.props));
        if (!ev.props)
            goto fail;
        ev.nprops = src->nprops; /* calloc'ed: props_free() is safe on a partial copy */
        for (size_t i = 0; i < src->nprops; i++) {
            const fs_prop_t *sp = &src->props[i];
            fs_prop_t *dp = &ev.props[i];
            dp->kind = sp->kind;
            dp->v = sp->v;
            if (sp->kind == FS_PROP_STRING) {
                dp->v.s = dup_opt(sp->v.s, &failed);
            }
            dp->key = dup_opt(sp->key, &failed);
            if (failed)
                goto fail;
        }
    }
    *dst = ev;
    return FS_OK;

fail:
    fs_event_clear(&ev);
    memset(dst, 0, sizeof(*dst));
    return FS_ERR_NOMEM;
}

const char *fs_event_key(const fs_event_t *ev)
{
    return ev->user_id ? ev->user_id : ev->anonymous_id;
}
