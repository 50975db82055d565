/*
 * segment.c — Segment HTTP Tracking API bodies → validated events (see segment.h).
 *
 * A message is mapped by building a new object value whose members borrow
 * the message's own values (only the event name is rewritten, into a
 * buffer on the stack), then validated by fs_validate_jval(): no tree is
 * copied.  The mapping table is docs/segment.md.
 */
#include "segment.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fs_json.h"

#define RAW_MAX 8192 /* bytes of a rejected message kept for the dead letter */
#define TOP_MAX 16   /* members of a mapped event: the fields of docs/event.md */
#define TYPE_BUF 256 /* a longer event name is left as it is: no type is that long */
#define PROPS_CAP (FS_PROPS_MAX + 4)

int fs_segment_route(const char *path, fs_segment_call_t *call)
{
    static const struct {
        const char *path;
        fs_segment_call_t call;
    } routes[] = {{"/v1/track", FS_SEGMENT_TRACK},
                  {"/v1/identify", FS_SEGMENT_IDENTIFY},
                  {"/v1/page", FS_SEGMENT_PAGE},
                  {"/v1/batch", FS_SEGMENT_BATCH}};
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
        if (!strcmp(path, routes[i].path)) {
            *call = routes[i].call;
            return 1;
        }
    return 0;
}

/* The member @p key of object @p obj, or NULL (keys are unique: the parser
 * rejects duplicates). */
static const fs_jval_t *member(const fs_jval_t *obj, const char *key)
{
    if (!obj || obj->type != FS_J_OBJECT)
        return NULL;
    size_t kl = strlen(key);
    for (size_t i = 0; i < obj->len; i++)
        if (obj->u.items[i].klen == kl && !memcmp(obj->u.items[i].key, key, kl))
            return &obj->u.items[i];
    return NULL;
}

static int is_str(const fs_jval_t *v, const char *s)
{
    return v && v->type == FS_J_STRING && v->len == strlen(s) &&
           !memcmp(v->u.s, s, v->len);
}

/* One message mapped onto an event object, borrowing the message's values. */
typedef struct mapped {
    fs_jval_t top[TOP_MAX];
    size_t ntop;
    fs_jval_t props[PROPS_CAP];
    size_t nprops;
    char type[TYPE_BUF];
    const char *ts_name;    /* the Segment field occurred_at came from */
    const char *type_name;  /* the Segment field type came from */
    int referrer_from_page; /* properties.referrer is context.page.referrer */
    int url_from_page;      /* properties.url is context.page.url */
} mapped_t;

/* Adds @p v as member @p key (a static string) of the mapped event. */
static void put(mapped_t *m, const char *key, const fs_jval_t *v)
{
    if (!v || m->ntop == TOP_MAX)
        return;
    fs_jval_t *d = &m->top[m->ntop++];
    *d = *v;
    d->key = key;
    d->klen = (uint32_t)strlen(key);
}

static void put_prop(mapped_t *m, const fs_jval_t *v, const char *key)
{
    if (m->nprops == PROPS_CAP)
        return;
    fs_jval_t *d = &m->props[m->nprops++];
    *d = *v;
    if (key) {
        d->key = key;
        d->klen = (uint32_t)strlen(key);
    }
}

/* `event` of a track call: trimmed, ASCII lower case, spaces to '_'
 * ("Demo Attended" → "demo_attended").  Anything else is left for the
 * validator to reject under its own name. */
static void put_event_name(mapped_t *m, const fs_jval_t *ev)
{
    if (!ev)
        return;
    if (ev->type != FS_J_STRING) {
        put(m, "type", ev);
        return;
    }
    const char *s = ev->u.s;
    size_t len = ev->len;
    while (len && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (len >= sizeof(m->type)) {
        put(m, "type", ev);
        return;
    }
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        m->type[i] = c == ' ' ? '_' : (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    m->type[len] = '\0';
    fs_jval_t v = {.type = FS_J_STRING, .len = len, .u.s = m->type};
    put(m, "type", &v);
}

/* The top-level fields a message is read for, found in one pass over its
 * members (a lookup per field cost a fifth of the path).  Our own names are
 * refused: a client mixing the two APIs would otherwise lose them silently;
 * for those, .ours is Segment's name to suggest. */
enum seg_field {
    S_TYPE,
    S_EVENT,
    S_USER,
    S_ANON,
    S_MESSAGE,
    S_TS,
    S_OTS,
    S_CONTEXT,
    S_PROPS,
    S__READ,
    S_OURS = S__READ /* from here on: our own names */
};
static const struct {
    const char *name;
    uint32_t len;
    const char *ours; /* Segment's name, for our own field names */
} seg_fields[] = {
#define F(n, o)                                                                          \
    {                                                                                    \
        n, sizeof(n) - 1, o                                                              \
    }
    F("type", NULL),
    F("event", NULL),
    F("userId", NULL),
    F("anonymousId", NULL),
    F("messageId", NULL),
    F("timestamp", NULL),
    F("originalTimestamp", NULL),
    F("context", NULL),
    F("properties", NULL),
    F("event_id", "messageId"),
    F("user_id", "userId"),
    F("anonymous_id", "anonymousId"),
    F("occurred_at", "timestamp"),
    F("revenue", "properties.revenue"),
    F("currency", "properties.currency"),
    F("campaign", "context.campaign.name"),
    F("medium", "context.campaign.medium"),
    F("source", "context.campaign.source"),
    F("term", "context.campaign.term"),
    F("content", "context.campaign.content"),
#undef F
};

/* Maps message @p msg of call @p call into @p m; a reason in @p why (and
 * non-zero) when it cannot be mapped at all.  @p batch_ctx (may be NULL) is
 * the context of the batch, which applies to messages without their own. */
static int map_message(fs_segment_call_t call, const fs_jval_t *msg,
                       const fs_jval_t *batch_ctx, mapped_t *m, char *why,
                       size_t why_size)
{
    static const fs_jval_t page_view = {
        .type = FS_J_STRING, .len = 9, .u.s = "page_view"};
    static const fs_jval_t identify = {.type = FS_J_STRING, .len = 8, .u.s = "identify"};
    m->ntop = m->nprops = 0;
    m->ts_name = "timestamp";
    m->type_name = "type";
    m->referrer_from_page = m->url_from_page = 0;
    if (msg->type != FS_J_OBJECT) {
        snprintf(why, why_size, "message: must be a JSON object");
        return 1;
    }
    const fs_jval_t *f[S__READ] = {0};
    for (size_t i = 0; i < msg->len; i++) {
        const fs_jval_t *v = &msg->u.items[i];
        for (size_t k = 0; k < sizeof(seg_fields) / sizeof(seg_fields[0]); k++) {
            if (seg_fields[k].len != v->klen ||
                memcmp(seg_fields[k].name, v->key, v->klen))
                continue;
            if (k >= S_OURS) {
                snprintf(why, why_size, "%s: not a Segment field (Segment's is %s)",
                         seg_fields[k].name, seg_fields[k].ours);
                return 1;
            }
            f[k] = v;
            break;
        }
    }
    if (call == FS_SEGMENT_BATCH) {
        const fs_jval_t *t = f[S_TYPE];
        if (is_str(t, "track"))
            call = FS_SEGMENT_TRACK;
        else if (is_str(t, "page"))
            call = FS_SEGMENT_PAGE;
        else if (is_str(t, "identify"))
            call = FS_SEGMENT_IDENTIFY;
        else if (is_str(t, "screen") || is_str(t, "group") || is_str(t, "alias")) {
            snprintf(why, why_size,
                     "type: %.*s calls are not supported (track, page and identify are)",
                     (int)t->len, t->u.s);
            return 1;
        } else {
            snprintf(why, why_size,
                     "type: required in a batch message: track, page or "
                     "identify");
            return 1;
        }
    }
    put(m, "event_id", f[S_MESSAGE]);
    if (call == FS_SEGMENT_TRACK) {
        m->type_name = "event";
        put_event_name(m, f[S_EVENT]);
    } else {
        put(m, "type", call == FS_SEGMENT_PAGE ? &page_view : &identify);
    }
    put(m, "user_id", f[S_USER]);
    put(m, "anonymous_id", f[S_ANON]);
    const fs_jval_t *ts = f[S_TS];
    if (!ts || ts->type == FS_J_NULL) { /* RudderStack sends only originalTimestamp */
        const fs_jval_t *ots = f[S_OTS];
        if (ots) {
            ts = ots;
            m->ts_name = "originalTimestamp";
        }
    }
    put(m, "occurred_at", ts);

    const fs_jval_t *ctx = f[S_CONTEXT];
    if (!ctx)
        ctx = batch_ctx;
    const fs_jval_t *camp = member(ctx, "campaign");
    put(m, "campaign", member(camp, "name"));
    put(m, "source", member(camp, "source"));
    put(m, "medium", member(camp, "medium"));
    put(m, "term", member(camp, "term"));
    put(m, "content", member(camp, "content"));

    const fs_jval_t *props = f[S_PROPS];
    const fs_jval_t *page = member(ctx, "page");
    const fs_jval_t *pref = member(page, "referrer"), *purl = member(page, "url");
    if (props && props->type == FS_J_OBJECT && props->len <= FS_PROPS_MAX + 2) {
        for (size_t i = 0; i < props->len; i++) {
            const fs_jval_t *p = &props->u.items[i];
            if (p->klen == 7 && !memcmp(p->key, "revenue", 7))
                put(m, "revenue", p);
            else if (p->klen == 8 && !memcmp(p->key, "currency", 8))
                put(m, "currency", p);
            else
                put_prop(m, p, NULL);
        }
    } else if (props) {
        put(m, "properties", props); /* for the validator to reject as it is */
        props = NULL;
        pref = purl = NULL;
    }
    /* The page's referrer and address drive channel grouping (docs/channels.md). */
    if (pref && pref->type == FS_J_STRING && pref->len > 0 &&
        !member(props, "referrer")) {
        put_prop(m, pref, "referrer");
        m->referrer_from_page = 1;
    }
    if (purl && purl->type == FS_J_STRING && purl->len > 0 && !member(props, "url")) {
        put_prop(m, purl, "url");
        m->url_from_page = 1;
    }
    if (m->nprops > 0 || (props && props->type == FS_J_OBJECT)) {
        fs_jval_t pv = {.type = FS_J_OBJECT, .len = m->nprops, .u.items = m->props};
        put(m, "properties", &pv);
    }
    return 0;
}

/* Rewrites @p err ("field: reason; field: reason") with Segment's field
 * names for the fields of @p m. */
static void rename_fields(const mapped_t *m, char *err, size_t size)
{
    const char *names[][2] = {
        {"event_id", "messageId"},
        {"type", m->type_name},
        {"user_id", "userId"},
        {"anonymous_id", "anonymousId"},
        {"occurred_at", m->ts_name},
        {"campaign", "context.campaign.name"},
        {"source", "context.campaign.source"},
        {"medium", "context.campaign.medium"},
        {"term", "context.campaign.term"},
        {"content", "context.campaign.content"},
        {"revenue", "properties.revenue"},
        {"currency", "properties.currency"},
        {"event", "message"},
        {"properties.referrer",
         m->referrer_from_page ? "context.page.referrer" : "properties.referrer"},
        {"properties.url", m->url_from_page ? "context.page.url" : "properties.url"},
    };
    char out[512];
    size_t o = 0;
    const char *s = err;
    while (*s && o + 1 < sizeof(out)) {
        const char *colon = strstr(s, ": ");
        const char *next = strstr(s, "; ");
        if (colon && next && next < colon)
            colon = NULL;
        size_t flen = colon ? (size_t)(colon - s) : 0;
        const char *name = NULL;
        for (size_t i = 0; colon && i < sizeof(names) / sizeof(names[0]); i++)
            if (strlen(names[i][0]) == flen && !memcmp(names[i][0], s, flen))
                name = names[i][1];
        size_t end = next ? (size_t)(next - s) + 2 : strlen(s);
        static const char ids[] = "user_id: user_id or anonymous_id is required";
        int w;
        if (end == sizeof(ids) - 1 + (next ? 2 : 0) && !memcmp(s, ids, sizeof(ids) - 1))
            w = snprintf(out + o, sizeof(out) - o,
                         "userId: userId or anonymousId is required%s", next ? "; " : "");
        else if (name)
            w = snprintf(out + o, sizeof(out) - o, "%s%.*s", name, (int)(end - flen),
                         s + flen);
        else
            w = snprintf(out + o, sizeof(out) - o, "%.*s", (int)end, s);
        if (w < 0)
            break;
        o += (size_t)w < sizeof(out) - o ? (size_t)w : sizeof(out) - o - 1;
        s += end;
    }
    out[o] = '\0';
    snprintf(err, size, "%s", out);
}

/* Rejects @p it with @p error, keeping @p msg's compact JSON text (when
 * there is memory for it) for the dead letter. */
static void reject(fs_intake_item_t *it, const fs_jval_t *msg, const char *error)
{
    it->ok = 0;
    if (error != it->error)
        snprintf(it->error, sizeof(it->error), "%s", error);
    json_t *j = fs_jval_to_json(msg);
    char *raw = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(j);
    if (raw && strlen(raw) > RAW_MAX)
        raw[RAW_MAX] = '\0';
    it->raw = raw; /* NULL on OOM: the dead letter then has no raw text */
}

/* Maps and validates @p msg into @p it; non-zero when accepted. */
static int segment_item(const fs_validate_ctx_t *ctx, fs_segment_call_t call,
                        const fs_jval_t *msg, const fs_jval_t *batch_ctx,
                        fs_intake_item_t *it)
{
    mapped_t m;
    char why[256];
    it->ok = 0;
    it->raw = NULL;
    it->error[0] = '\0';
    memset(&it->ev, 0, sizeof(it->ev));
    if (map_message(call, msg, batch_ctx, &m, why, sizeof(why))) {
        reject(it, msg, why);
        return 0;
    }
    fs_jval_t obj = {.type = FS_J_OBJECT, .len = m.ntop, .u.items = m.top};
    if (fs_validate_jval(ctx, &obj, &it->ev, it->error, sizeof(it->error)) == FS_OK) {
        it->ok = 1;
        return 1;
    }
    rename_fields(&m, it->error, sizeof(it->error));
    reject(it, msg, it->error);
    return 0;
}

fs_err_t fs_segment_parse(const fs_validate_ctx_t *ctx, fs_segment_call_t call,
                          const char *body, size_t len, size_t max_events,
                          fs_intake_t *out, char *errstr, size_t sz)
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
    if (root->type != FS_J_OBJECT) {
        snprintf(errstr, sz, "body: expected a Segment %s object",
                 call == FS_SEGMENT_BATCH ? "batch" : "message");
        err = FS_ERR_INVALID;
        goto done;
    }
    if (call == FS_SEGMENT_BATCH) {
        list = member(root, "batch");
        if (!list || list->type != FS_J_ARRAY) {
            snprintf(errstr, sz, "batch: required, an array of messages");
            err = FS_ERR_INVALID;
            goto done;
        }
    }
    size_t n = list ? list->len : 1;
    if (n == 0) {
        snprintf(errstr, sz, "batch: no messages");
        err = FS_ERR_INVALID;
        goto done;
    }
    if (n > max_events) {
        snprintf(errstr, sz, "batch: %zu messages, at most %zu per request", n,
                 max_events);
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
        if (segment_item(ctx, call, list ? &list->u.items[i] : root,
                         list ? member(root, "context") : NULL, &out->items[i]))
            out->accepted++;
done:
    fs_jdoc_free(doc);
    if (err)
        fs_intake_clear(out);
    return err;
}
