/*
 * person.c — identity buckets and a person's contribution (see person.h).
 *
 * Owns the in-memory and JSON forms of a bucket and the planner from a
 * person's merged buckets to every aggregate increment the person accounts
 * for.  Called by the worker, one thread per object.  Never does I/O, reads
 * a clock or logs.  Parsers treat their bytes as hostile: they come back
 * from Redis, where anything may have been written.
 */
#include "person.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_attrib.h"
#include "fs_day.h"
#include "fs_str.h"
#include "fs_utf8.h"

#define TEXT_MAX 512              /* bytes of a stored type/channel/campaign */
#define FIELD_MAX (TEXT_MAX + 16) /* bytes of an s:/sc:/sk: field */
#define CONTRIB_TEXT_MAX 1024     /* bytes of a contribution key or field */
#define MS_MAX                                                                           \
    253402300799999LL /* 9999-12-31T23:59:59.999Z: the last formattable day              \
                       */
#define NONE_VALUE "(none)"

/* A touch or a conversion of a bucket. */
typedef struct rec {
    int64_t ms;
    char *id;
    char *type;
    char *channel;  /* touches; NULL = absent */
    char *campaign; /* touches; NULL = absent */
    int64_t rev;    /* conversions: cents */
    char currency[4];
} rec_t;

/* Sorted by (ms, id), ids unique, at most `max` (the most recent). */
typedef struct recs {
    rec_t *v;
    size_t n, cap;
} recs_t;

/* Earliest occurred_at of one s:/sc:/sk: field. */
typedef struct first {
    char *field;
    int64_t ms;
} first_t;

struct fs_bucket {
    first_t *m; /* sorted by field, unique */
    size_t nm, capm;
    recs_t t; /* touches */
    recs_t c; /* conversions */
};

/* ---------------------------------------------------------------- helpers */

static void rec_free(rec_t *r)
{
    free(r->id);
    free(r->type);
    free(r->channel);
    free(r->campaign);
    memset(r, 0, sizeof(*r));
}

static void recs_free(recs_t *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        rec_free(&rs->v[i]);
    free(rs->v);
    memset(rs, 0, sizeof(*rs));
}

static int rec_cmp_time(const rec_t *a, const rec_t *b)
{
    if (a->ms != b->ms)
        return a->ms < b->ms ? -1 : 1;
    return strcmp(a->id, b->id);
}

static int qcmp_rec_time(const void *a, const void *b)
{
    return rec_cmp_time(a, b);
}

static int qcmp_rec_id(const void *a, const void *b)
{
    return strcmp(((const rec_t *)a)->id, ((const rec_t *)b)->id);
}

static int qcmp_first(const void *a, const void *b)
{
    return strcmp(((const first_t *)a)->field, ((const first_t *)b)->field);
}

/* A stored text: NULL allowed when @p nullable, else 1..max bytes of UTF-8. */
static int text_ok(const char *s, size_t max, int nullable)
{
    if (!s)
        return nullable;
    size_t len = strlen(s);
    return len > 0 && len <= max && fs_utf8_valid(s, len);
}

static int currency_ok(const char *s)
{
    for (int i = 0; i < 3; i++)
        if (s[i] < 'A' || s[i] > 'Z')
            return 0;
    return s[3] == '\0';
}

static char *dup_or_null(const char *s, int *oom)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *oom = 1;
    return d;
}

/* ------------------------------------------------------------ the bucket */

fs_bucket_t *fs_bucket_new(void)
{
    return calloc(1, sizeof(fs_bucket_t));
}

void fs_bucket_destroy(fs_bucket_t *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->nm; i++)
        free(b->m[i].field);
    free(b->m);
    recs_free(&b->t);
    recs_free(&b->c);
    free(b);
}

static fs_err_t reserve(void **v, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return FS_OK;
    size_t ncap = *cap ? *cap : 8;
    while (ncap < need)
        ncap *= 2;
    void *nv = realloc(*v, ncap * size);
    if (!nv)
        return FS_ERR_NOMEM;
    *v = nv;
    *cap = ncap;
    return FS_OK;
}

/* Index of @p field in b->m, or where it would be inserted (*found = 0). */
static size_t first_find(const fs_bucket_t *b, const char *field, int *found)
{
    size_t lo = 0, hi = b->nm;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(b->m[mid].field, field);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = 0;
    return lo;
}

/*
 * Where @p r would go in @p rs: 0 when its id is already there (nothing to
 * do), -1 when the bucket is full and @p r is older than every kept record
 * (it would be dropped at once), else 1 with *pos set.
 */
static int recs_slot(const recs_t *rs, const rec_t *r, size_t max, size_t *pos)
{
    for (size_t i = 0; i < rs->n; i++)
        if (strcmp(rs->v[i].id, r->id) == 0)
            return 0;
    size_t lo = 0, hi = rs->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (rec_cmp_time(&rs->v[mid], r) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (rs->n >= max && lo == 0)
        return -1;
    *pos = lo;
    return 1;
}

/* Inserts @p r (its strings now owned by @p rs) at @p pos; room is reserved. */
static void recs_insert(recs_t *rs, rec_t *r, size_t pos, size_t max)
{
    if (rs->n >= max) {
        /* Full: drop the oldest, r lands just before position pos. */
        rec_free(&rs->v[0]);
        memmove(&rs->v[0], &rs->v[1], (pos - 1) * sizeof(*rs->v));
        rs->v[pos - 1] = *r;
    } else {
        memmove(&rs->v[pos + 1], &rs->v[pos], (rs->n - pos) * sizeof(*rs->v));
        rs->v[pos] = *r;
        rs->n++;
    }
    memset(r, 0, sizeof(*r));
}

/* Why @p ev (of type @p et) cannot be stored, or NULL when it can. */
static const char *refusal(const fs_event_type_t *et, const fs_event_t *ev)
{
    if (!ev->user_id && !ev->anonymous_id)
        return "user_id: user_id or anonymous_id is required";
    if (!text_ok(ev->user_id, TEXT_MAX, 1))
        return "user_id: empty, invalid UTF-8 or longer than 512 bytes";
    if (!text_ok(ev->anonymous_id, TEXT_MAX, 1))
        return "anonymous_id: empty, invalid UTF-8 or longer than 512 bytes";
    if (et->role == FS_ROLE_IDENTITY || et->stage == FS_STAGE_NONE)
        return NULL;
    if (ev->occurred_at_ms < 0 || ev->occurred_at_ms > MS_MAX)
        return "occurred_at: before 1970 or after 9999";
    if (!text_ok(ev->event_id, FS_EVENT_ID_MAX, 0))
        return "event_id: empty or invalid UTF-8";
    if (!text_ok(ev->type, TEXT_MAX, 0))
        return "type: longer than 512 bytes";
    if (!text_ok(ev->channel, TEXT_MAX, 1))
        return "channel: empty, invalid UTF-8 or longer than 512 bytes";
    if (!text_ok(ev->campaign, TEXT_MAX, 1))
        return "campaign: empty, invalid UTF-8 or longer than 512 bytes";
    if (et->role == FS_ROLE_CONVERSION && !currency_ok(ev->currency))
        return "currency: not three upper-case letters";
    if (et->role == FS_ROLE_CONVERSION && ev->has_revenue &&
        (ev->revenue_cents < 0 || ev->revenue_cents >= FS_REVENUE_LIMIT_CENTS))
        return "revenue_cents: negative or not below 10^14";
    return NULL;
}

fs_err_t fs_person_check_event(const fs_definition_t *def, const fs_event_t *ev,
                               char *errstr, size_t errstr_size)
{
    const fs_event_type_t *et = fs_definition_lookup(def, ev->type);
    const char *why = et ? refusal(et, ev) : "type: not in the funnel definition";
    if (!why)
        return FS_OK;
    fs_str_cat(errstr, errstr_size, why, NULL);
    return et ? FS_ERR_INVALID : FS_ERR_NOT_FOUND;
}

fs_err_t fs_bucket_add(fs_bucket_t *b, const fs_definition_t *def, const fs_event_t *ev,
                       int keep_records, int *changed)
{
    const fs_event_type_t *et = fs_definition_lookup(def, ev->type);
    char fields[3][FIELD_MAX + 1];
    char *fresh[3] = {NULL, NULL, NULL}; /* copies of fields[i] not yet in b->m */
    recs_t *rs = NULL;
    size_t max = 0, pos = 0;
    rec_t r;
    int any = 0, oom = 0;

    memset(&r, 0, sizeof(r));
    if (changed)
        *changed = 0;
    if (!et)
        return FS_ERR_NOT_FOUND;
    /* Refuse what the serialized form could not hold (the validator already
     * does; the worker checks events decoded from the topic with
     * fs_person_check_event() first, so this refusal never stops a batch). */
    if (refusal(et, ev))
        return FS_ERR_INVALID;
    if (et->role == FS_ROLE_IDENTITY || et->stage == FS_STAGE_NONE)
        return FS_OK;

    if (keep_records && (et->role == FS_ROLE_TOUCH || et->role == FS_ROLE_CONVERSION)) {
        rec_t probe = {.ms = ev->occurred_at_ms, .id = (char *)ev->event_id};
        rs = et->role == FS_ROLE_TOUCH ? &b->t : &b->c;
        max =
            et->role == FS_ROLE_TOUCH ? FS_BUCKET_MAX_TOUCHES : FS_BUCKET_MAX_CONVERSIONS;
        int slot = recs_slot(rs, &probe, max, &pos);
        if (slot == 0)
            return FS_OK; /* a copy of an event we hold: nothing changes */
        if (slot < 0)
            rs = NULL; /* older than all a full bucket keeps: only its stage counts */
    }

    /* Everything that can fail happens before the bucket changes. */
    const char *stage = fs_stage_name(et->stage);
    fs_str_cat(fields[0], sizeof(fields[0]), "s:", stage, NULL);
    fs_str_cat(fields[1], sizeof(fields[1]), "sc:", stage, ":",
               ev->channel ? ev->channel : NONE_VALUE, NULL);
    fs_str_cat(fields[2], sizeof(fields[2]), "sk:", stage, ":",
               ev->campaign ? ev->campaign : NONE_VALUE, NULL);
    size_t nfresh = 0;
    for (int i = 0; i < 3; i++) {
        int found;
        (void)first_find(b, fields[i], &found);
        if (!found && !(fresh[i] = strdup(fields[i])))
            goto nomem;
        nfresh += !found;
    }
    if (reserve((void **)&b->m, &b->capm, b->nm + nfresh, sizeof(*b->m)) != FS_OK)
        goto nomem;

    if (rs) {
        r.ms = ev->occurred_at_ms;
        r.id = dup_or_null(ev->event_id, &oom);
        r.type = dup_or_null(ev->type, &oom);
        if (et->role == FS_ROLE_TOUCH) {
            r.channel = dup_or_null(ev->channel, &oom);
            r.campaign = dup_or_null(ev->campaign, &oom);
        } else {
            r.rev = ev->has_revenue ? ev->revenue_cents : 0;
            memcpy(r.currency, ev->currency, sizeof(r.currency));
        }
        if (oom || reserve((void **)&rs->v, &rs->cap, rs->n + 1, sizeof(*rs->v)) != FS_OK)
            goto nomem;
    }

    /* Commit: nothing below fails. */
    for (int i = 0; i < 3; i++) {
        int found;
        size_t at = first_find(b, fields[i], &found);
        if (found) {
            if (ev->occurred_at_ms < b->m[at].ms) {
                b->m[at].ms = ev->occurred_at_ms;
                any = 1;
            }
            continue;
        }
        memmove(&b->m[at + 1], &b->m[at], (b->nm - at) * sizeof(*b->m));
        b->m[at].field = fresh[i];
        b->m[at].ms = ev->occurred_at_ms;
        fresh[i] = NULL;
        b->nm++;
        any = 1;
    }
    if (rs) {
        recs_insert(rs, &r, pos, max);
        any = 1;
    }
    if (changed)
        *changed = any;
    return FS_OK;

nomem:
    for (int i = 0; i < 3; i++)
        free(fresh[i]);
    rec_free(&r);
    return FS_ERR_NOMEM;
}

/* ------------------------------------------------------- serialized form */

/* --------------------------------------------------------- contributions */

void fs_contrib_init(fs_contrib_t *c)
{
    memset(c, 0, sizeof(*c));
}

void fs_contrib_clear(fs_contrib_t *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->e[i].key);
        free(c->e[i].field);
    }
    free(c->e);
    fs_contrib_init(c);
}

static int entry_cmp(const fs_contrib_entry_t *a, const fs_contrib_entry_t *b)
{
    int k = strcmp(a->key, b->key);
    return k ? k : strcmp(a->field, b->field);
}

static int qcmp_entry(const void *a, const void *b)
{
    return entry_cmp(a, b);
}

/*
 * Accumulates (key, field) += value into c->e, with an open-addressing index
 * so that a person with many conversions and touches sums in place: the
 * entries stay as many as distinct (key, field) pairs (≤ a few thousand)
 * instead of one per credit (up to 48 per touch per conversion).
 */
typedef struct acc {
    fs_contrib_t *c;
    size_t *slot; /* index + 1 into c->e; 0 = empty */
    size_t nslot; /* power of two */
} acc_t;

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h;
}

/* Hashes of keys and of fields are computed apart and combined, so the hot
 * path (one key, the same touches' fields over and over) hashes nothing. */
static uint64_t hash_combine(uint64_t kh, uint64_t fh)
{
    return kh ^ (fh + 0x9e3779b97f4a7c15ULL + (kh << 6) + (kh >> 2));
}

static fs_err_t acc_grow(acc_t *a)
{
    size_t nslot = a->nslot ? a->nslot * 2 : 256;
    size_t *slot = calloc(nslot, sizeof(*slot));
    if (!slot)
        return FS_ERR_NOMEM;
    for (size_t i = 0; i < a->c->n; i++) {
        const fs_contrib_entry_t *e = &a->c->e[i];
        size_t h =
            (size_t)hash_combine(hash_str(e->key), hash_str(e->field)) & (nslot - 1);
        while (slot[h])
            h = (h + 1) & (nslot - 1);
        slot[h] = i + 1;
    }
    free(a->slot);
    a->slot = slot;
    a->nslot = nslot;
    return FS_OK;
}

/* (key, field) += value, given hash_str() of each. */
static fs_err_t acc_add_h(acc_t *a, const char *key, uint64_t kh, const char *field,
                          uint64_t fh, int64_t value)
{
    fs_contrib_t *c = a->c;
    if (value == 0)
        return FS_OK;
    if ((c->n + 1) * 2 > a->nslot && acc_grow(a) != FS_OK)
        return FS_ERR_NOMEM;
    size_t h = (size_t)hash_combine(kh, fh) & (a->nslot - 1);
    while (a->slot[h]) {
        fs_contrib_entry_t *e = &c->e[a->slot[h] - 1];
        if (strcmp(e->field, field) == 0 && strcmp(e->key, key) == 0)
            return __builtin_add_overflow(e->value, value, &e->value) ? FS_ERR_OVERFLOW
                                                                      : FS_OK;
        h = (h + 1) & (a->nslot - 1);
    }
    if (reserve((void **)&c->e, &c->cap, c->n + 1, sizeof(*c->e)) != FS_OK)
        return FS_ERR_NOMEM;
    fs_contrib_entry_t *e = &c->e[c->n];
    e->key = strdup(key);
    e->field = strdup(field);
    if (!e->key || !e->field) {
        free(e->key);
        free(e->field);
        return FS_ERR_NOMEM;
    }
    e->value = value;
    a->slot[h] = ++c->n;
    return FS_OK;
}

static fs_err_t acc_add(acc_t *a, const char *key, const char *field, int64_t value)
{
    return acc_add_h(a, key, hash_str(key), field, hash_str(field), value);
}

/* Drops zero entries and sorts by (key, field). */
static void acc_finish(acc_t *a)
{
    fs_contrib_t *c = a->c;
    size_t k = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (c->e[i].value == 0) {
            free(c->e[i].key);
            free(c->e[i].field);
        } else {
            c->e[k++] = c->e[i];
        }
    }
    c->n = k;
    if (k > 1)
        qsort(c->e, k, sizeof(*c->e), qcmp_entry);
    free(a->slot);
    a->slot = NULL;
    a->nslot = 0;
}

/* A touch of the merged person, with what attribution needs of its type. */
enum { BY_CHANNEL, BY_CAMPAIGN, BY_DEPARTMENT, BY_TYPE, BY__COUNT };
static const char *const by_name[BY__COUNT] = {"channel", "campaign", "department",
                                               "type"};
/* docs/attribution.md step 4: where a conversion without touches goes. */
static const char *const direct_value[BY__COUNT] = {"(direct)", NONE_VALUE,
                                                    "unattributed", NONE_VALUE};

typedef struct ptouch {
    const rec_t *r;
    const char *dept; /* fs_dept_name() */
    int is_sales;
    int is_lead;
    int is_opportunity;
    /* "r:<value>" and "c:<value>" per dimension, with their hash_str(),
     * computed once: every conversion credits the same touches. */
    const char *field[BY__COUNT][2];
    uint64_t fh[BY__COUNT][2];
} ptouch_t;

static int qcmp_rec_ptr_time(const void *a, const void *b)
{
    return rec_cmp_time(*(const rec_t *const *)a, *(const rec_t *const *)b);
}

static int nullcmp(const char *a, const char *b)
{
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

/* By id, then every other field: copies of one id in two buckets (never
 * expected) resolve the same way whatever the bucket order. */
static int qcmp_rec_ptr_id(const void *pa, const void *pb)
{
    const rec_t *a = *(const rec_t *const *)pa, *b = *(const rec_t *const *)pb;
    int k = strcmp(a->id, b->id);
    if (k == 0 && a->ms != b->ms)
        k = a->ms < b->ms ? -1 : 1;
    if (k == 0)
        k = strcmp(a->type, b->type);
    if (k == 0)
        k = nullcmp(a->channel, b->channel);
    if (k == 0)
        k = nullcmp(a->campaign, b->campaign);
    if (k == 0 && a->rev != b->rev)
        k = a->rev < b->rev ? -1 : 1;
    if (k == 0)
        k = strcmp(a->currency, b->currency);
    return k;
}

/*
 * The union of the buckets' touches (which == 't') or conversions, one per
 * event id, sorted by (ms, id).  *out is NULL when there are none.
 */
static fs_err_t merge_recs(const fs_bucket_t *const *buckets, size_t nbuckets, int which,
                           const rec_t ***out, size_t *nout)
{
    size_t n = 0, k = 0;
    const rec_t **v;

    *out = NULL;
    *nout = 0;
    for (size_t i = 0; i < nbuckets; i++)
        n += which == 't' ? buckets[i]->t.n : buckets[i]->c.n;
    if (n == 0)
        return FS_OK;
    if (!(v = malloc(n * sizeof(*v))))
        return FS_ERR_NOMEM;
    for (size_t i = 0; i < nbuckets; i++) {
        const recs_t *rs = which == 't' ? &buckets[i]->t : &buckets[i]->c;
        for (size_t j = 0; j < rs->n; j++)
            v[k++] = &rs->v[j];
    }
    if (nbuckets > 1) {
        qsort(v, n, sizeof(*v), qcmp_rec_ptr_id);
        k = 0;
        for (size_t i = 0; i < n; i++)
            if (k == 0 || strcmp(v[k - 1]->id, v[i]->id) != 0)
                v[k++] = v[i];
        n = k;
        qsort(v, n, sizeof(*v), qcmp_rec_ptr_time);
    }
    *out = v;
    *nout = n;
    return FS_OK;
}

static int qcmp_first_ptr(const void *pa, const void *pb)
{
    const first_t *a = *(const first_t *const *)pa, *b = *(const first_t *const *)pb;
    int k = strcmp(a->field, b->field);
    if (k == 0 && a->ms != b->ms)
        k = a->ms < b->ms ? -1 : 1;
    return k;
}

/* users:<day of the earliest time per field over the buckets> field += 1. */
static fs_err_t add_users(acc_t *a, const fs_bucket_t *const *buckets, size_t nbuckets)
{
    size_t n = 0, k = 0;
    const first_t **v;
    fs_err_t err = FS_OK;
    char key[32], day[11];

    for (size_t i = 0; i < nbuckets; i++)
        n += buckets[i]->nm;
    if (n == 0)
        return FS_OK;
    if (!(v = malloc(n * sizeof(*v))))
        return FS_ERR_NOMEM;
    for (size_t i = 0; i < nbuckets; i++)
        for (size_t j = 0; j < buckets[i]->nm; j++)
            v[k++] = &buckets[i]->m[j];
    qsort(v, n, sizeof(*v), qcmp_first_ptr);
    for (size_t i = 0; i < n && err == FS_OK; i++) {
        if (i > 0 && strcmp(v[i - 1]->field, v[i]->field) == 0)
            continue; /* not the earliest of its field */
        fs_day_format(fs_day_from_ms(v[i]->ms), day);
        memcpy(key, "users:", 6);
        memcpy(key + 6, day, sizeof(day)); /* with its NUL */
        err = acc_add(a, key, v[i]->field, 1);
    }
    free(v);
    return err;
}

static const char *touch_value(const ptouch_t *pt, int by)
{
    switch (by) {
    case BY_CHANNEL:
        return pt->r->channel ? pt->r->channel : NONE_VALUE;
    case BY_CAMPAIGN:
        return pt->r->campaign ? pt->r->campaign : NONE_VALUE;
    case BY_DEPARTMENT:
        return pt->dept;
    default:
        return pt->r->type;
    }
}

/* Fills pt[].field / fh from one allocation, *arena (the caller frees it). */
static fs_err_t touch_fields(ptouch_t *pt, size_t nt, char **arena)
{
    static const char prefix[2] = {'r', 'c'};
    size_t size = 0, off = 0;

    for (size_t i = 0; i < nt; i++)
        for (int by = 0; by < BY__COUNT; by++)
            size += 2 * (strlen(touch_value(&pt[i], by)) + 3);
    if (size == 0)
        return FS_OK;
    if (!(*arena = malloc(size)))
        return FS_ERR_NOMEM;
    for (size_t i = 0; i < nt; i++)
        for (int by = 0; by < BY__COUNT; by++)
            for (int rc = 0; rc < 2; rc++) {
                char *f = *arena + off;
                const char tag[3] = {prefix[rc], ':', '\0'};
                off += fs_str_cat(f, size - off, tag, touch_value(&pt[i], by), NULL) + 1;
                pt[i].field[by][rc] = f;
                pt[i].fh[by][rc] = hash_str(f);
            }
    return FS_OK;
}

/* attr:<day>:<model>:<by>:<currency> r:<value> += rev, c:<value> += conv. */
static fs_err_t add_credit(acc_t *a, const char *day, int model, int by,
                           const char *currency, const char *value, int64_t rev,
                           int64_t conv)
{
    char key[96], field[CONTRIB_TEXT_MAX];
    fs_err_t err;

    fs_str_cat(key, sizeof(key), "attr:", day, ":", fs_model_name((fs_model_t)model), ":",
               by_name[by], ":", currency, NULL);
    fs_str_cat(field, sizeof(field), "r:", value, NULL);
    if ((err = acc_add(a, key, field, rev)) != FS_OK)
        return err;
    fs_str_cat(field, sizeof(field), "c:", value, NULL);
    return acc_add(a, key, field, conv);
}

/* Index of the first of @p pt[0..n-1] (sorted by ms) with ms >= @p ms. */
static size_t lower_bound_ms(const ptouch_t *pt, size_t n, int64_t ms)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (pt[mid].r->ms < ms)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/*
 * Booked revenue and the attribution of conversion @p cv over the person's
 * touches @p pt / @p all (the same touches, sorted by (ms, id), ids unique).
 */
static fs_err_t add_conversion(acc_t *a, const fs_person_params_t *params,
                               const rec_t *cv, const ptouch_t *pt, const fs_touch_t *all,
                               size_t nt)
{
    char key[32], field[16], day[11];
    size_t idx[FS_ATTRIB_MAX_TOUCHES];
    fs_touch_t sel[FS_ATTRIB_MAX_TOUCHES];
    int64_t rev[FS_ATTRIB_MAX_TOUCHES], conv[FS_ATTRIB_MAX_TOUCHES];
    fs_err_t err;

    fs_day_format(fs_day_from_ms(cv->ms), day);
    fs_str_cat(key, sizeof(key), "revenue:", day, NULL);
    fs_str_cat(field, sizeof(field), "r:", cv->currency, NULL);
    if ((err = acc_add(a, key, field, cv->rev)) != FS_OK)
        return err;
    fs_str_cat(field, sizeof(field), "n:", cv->currency, NULL);
    if ((err = acc_add(a, key, field, 1)) != FS_OK)
        return err;

    /* Only the touches up to T can be selected, and of those only the 100
     * latest: hand fs_attrib_select() that tail, so a long history costs
     * O(100²) per conversion rather than O(touches × 100).  With unique ids
     * the (ms, id) order is strict, so its choice is unchanged. */
    size_t hi = lower_bound_ms(pt, nt, cv->ms == INT64_MAX ? cv->ms : cv->ms + 1);
    size_t lo = hi > FS_ATTRIB_MAX_TOUCHES ? hi - FS_ATTRIB_MAX_TOUCHES : 0;
    /* No touches at all: `all` is NULL, and NULL + 0 is undefined in C. */
    size_t k =
        all ? fs_attrib_select(all + lo, hi - lo, cv->ms, params->lookback_ms, idx) : 0;

    if (k == 0) {
        for (int m = 0; m < FS_MODEL__COUNT; m++)
            for (int by = 0; by < BY__COUNT; by++)
                if ((err = add_credit(a, day, m, by, cv->currency, direct_value[by],
                                      cv->rev, FS_ATTRIB_CONVERSION_UNITS)) != FS_OK)
                    return err;
        return FS_OK;
    }
    for (size_t i = 0; i < k; i++)
        sel[i] = all[lo + idx[i]];
    for (int m = 0; m < FS_MODEL__COUNT; m++) {
        if ((err = fs_attrib_credit((fs_model_t)m, sel, k, cv->ms, params->half_life_ms,
                                    cv->rev, rev)) != FS_OK ||
            (err = fs_attrib_credit((fs_model_t)m, sel, k, cv->ms, params->half_life_ms,
                                    FS_ATTRIB_CONVERSION_UNITS, conv)) != FS_OK)
            return err;
        for (int by = 0; by < BY__COUNT; by++) {
            char akey[96];
            fs_str_cat(akey, sizeof(akey), "attr:", day, ":",
                       fs_model_name((fs_model_t)m), ":", by_name[by], ":", cv->currency,
                       NULL);
            uint64_t kh = hash_str(akey);
            for (size_t i = 0; i < k; i++) {
                const ptouch_t *t = &pt[lo + idx[i]];
                if ((err = acc_add_h(a, akey, kh, t->field[by][0], t->fh[by][0],
                                     rev[i])) != FS_OK ||
                    (err = acc_add_h(a, akey, kh, t->field[by][1], t->fh[by][1],
                                     conv[i])) != FS_OK)
                    return err;
            }
        }
    }
    return FS_OK;
}

/* handoff:<lead day>: leads, within_sla, d:<seconds> of the person's first lead. */
static fs_err_t add_handoff(acc_t *a, const fs_person_params_t *params,
                            const ptouch_t *pt, size_t nt)
{
    char key[32], field[32], day[11];
    const ptouch_t *lead = NULL, *sales = NULL;
    fs_err_t err;

    for (size_t i = 0; i < nt && !lead; i++)
        if (pt[i].is_lead)
            lead = &pt[i];
    if (!lead)
        return FS_OK;
    fs_day_format(fs_day_from_ms(lead->r->ms), day);
    fs_str_cat(key, sizeof(key), "handoff:", day, NULL);
    if ((err = acc_add(a, key, "leads", 1)) != FS_OK)
        return err;
    /* The earliest sales touch in [lead, lead + SLA]: possibly one at the
     * lead's very millisecond that sorts before it by event id. */
    for (size_t i = lower_bound_ms(pt, nt, lead->r->ms); i < nt && !sales; i++) {
        if (params->sla_ms < 0 || pt[i].r->ms - lead->r->ms > params->sla_ms)
            break;
        if (pt[i].is_sales)
            sales = &pt[i];
    }
    if (!sales)
        return FS_OK;
    if ((err = acc_add(a, key, "within_sla", 1)) != FS_OK)
        return err;
    snprintf(field, sizeof(field), "d:%" PRId64, (sales->r->ms - lead->r->ms) / 1000);
    return acc_add(a, key, field, 1);
}

fs_err_t fs_person_contribution(const fs_person_params_t *params,
                                const fs_bucket_t *const *buckets, size_t nbuckets,
                                fs_contrib_t *out)
{
    const rec_t **touches = NULL, **convs = NULL;
    size_t nt = 0, nc = 0, k = 0;
    ptouch_t *pt = NULL;
    fs_touch_t *all = NULL;
    char *arena = NULL;
    acc_t a = {out, NULL, 0};
    fs_err_t err;

    fs_contrib_clear(out);
    if ((err = merge_recs(buckets, nbuckets, 't', &touches, &nt)) != FS_OK ||
        (err = merge_recs(buckets, nbuckets, 'c', &convs, &nc)) != FS_OK)
        goto done;
    if (nt > 0 &&
        (!(pt = malloc(nt * sizeof(*pt))) || !(all = malloc(nt * sizeof(*all))))) {
        err = FS_ERR_NOMEM;
        goto done;
    }
    /* A type the definition no longer has as a touch no longer earns credit
     * (the definition may change between runs; buckets outlive it). */
    for (size_t i = 0; i < nt; i++) {
        const fs_event_type_t *et = fs_definition_lookup(params->def, touches[i]->type);
        if (!et || et->role != FS_ROLE_TOUCH)
            continue;
        pt[k].r = touches[i];
        pt[k].dept = fs_dept_name(et->dept);
        pt[k].is_sales = et->dept == FS_DEPT_SALES;
        pt[k].is_lead = et->milestone == FS_MILESTONE_LEAD;
        pt[k].is_opportunity = et->milestone == FS_MILESTONE_OPPORTUNITY;
        all[k].occurred_at_ms = touches[i]->ms;
        all[k].event_id = touches[i]->id;
        all[k].is_lead = pt[k].is_lead;
        all[k].is_opportunity = pt[k].is_opportunity;
        k++;
    }
    nt = k;
    if ((err = touch_fields(pt, nt, &arena)) != FS_OK)
        goto done;

    if ((err = add_users(&a, buckets, nbuckets)) != FS_OK)
        goto done;
    for (size_t i = 0; i < nc; i++) {
        const fs_event_type_t *et = fs_definition_lookup(params->def, convs[i]->type);
        if (!et || et->role != FS_ROLE_CONVERSION)
            continue; /* as for touches above */
        if ((err = add_conversion(&a, params, convs[i], pt, all, nt)) != FS_OK)
            goto done;
    }
    err = add_handoff(&a, params, pt, nt);
done:
    acc_finish(&a);
    if (err != FS_OK)
        fs_contrib_clear(out);
    free(touches);
    free(convs);
    free(pt);
    free(all);
    free(arena);
    return err;
}

/* ------------------------------------------- contribution serialized form */

/*
 * {"<key>":{"<field>":value,...},...}: each key written once, since the
 * entries are sorted by key — about half the size of (key, field) pairs.
 */
/*
 * The stored form of a contribution (compact, no JSON: it is read, parsed
 * and rewritten for every person a batch touches):
 *
 *   "C1\n"                                    format tag
 *   "k" <len> ":" <key bytes> "\n"            a key, then its fields:
 *   "f" <len> ":" <field bytes> "=" <value> "\n"
 *
 * Lengths are decimal byte counts (1..CONTRIB_TEXT_MAX), so keys and fields
 * may hold any byte but NUL; values are non-zero decimal int64s.  Keys are
 * strictly increasing, and so are the fields of one key: the entries are
 * sorted and unique by construction, as fs_contrib_t keeps them.
 */
#define CONTRIB_TAG "C1\n"
#define BAD_TEXT "a key or field is not <length>:<1..1024 bytes of UTF-8>"

/* A cursor over the stored form.  When the whole form is UTF-8 without
 * NUL, a <str> in it (which starts after ':') is too exactly when it does
 * not end inside a character: at the end of the form, or before a byte
 * that is not a continuation byte.  scan_str() then checks that one byte
 * instead of the whole string. */
typedef struct scan {
    const char *p, *end;
    int utf8; /* the whole form is UTF-8 without NUL */
} scan_t;

static scan_t scan_start(const char *data, size_t len)
{
    scan_t s = {data, data ? data + len : NULL, data && fs_utf8_valid(data, len)};
    return s;
}

/* Both stored forms write text as <byte length> ":" <bytes>, and an
 * absent text (NULL) as "-". */
static fs_err_t put_str(fs_buf_t *out, const char *s)
{
    if (!s)
        return fs_buf_append(out, "-", 1);
    size_t len = strlen(s);
    fs_err_t err = fs_buf_put_i64(out, (int64_t)len);
    if (!err)
        err = fs_buf_append(out, ":", 1);
    if (!err)
        err = fs_buf_append(out, s, len);
    return err;
}

static int scan_eat(scan_t *s, char c)
{
    if (s->p == s->end || *s->p != c)
        return 0;
    s->p++;
    return 1;
}

/* A decimal in 0..max without leading zeros. */
static int scan_u64(scan_t *s, uint64_t max, uint64_t *v)
{
    uint64_t u = 0;
    size_t digits = 0;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
        if (digits == 1 && u == 0)
            return 0; /* leading zero */
        unsigned d = (unsigned)(*s->p++ - '0');
        if (d > max || u > (max - d) / 10)
            return 0;
        u = u * 10 + d;
        digits++;
    }
    *v = u;
    return digits > 0;
}

/* <str> of 1..max bytes of UTF-8 (or "-" → NULL when @p nullable) into a
 * fresh string.  0 when malformed; *oom on allocation failure. */
static int scan_str(scan_t *s, size_t max, int nullable, char **out, int *oom)
{
    uint64_t len;
    *out = NULL;
    if (nullable && scan_eat(s, '-'))
        return 1;
    if (!scan_u64(s, max, &len) || len == 0 || !scan_eat(s, ':') ||
        (uint64_t)(s->end - s->p) < len)
        return 0;
    if (s->utf8 ? (uint64_t)(s->end - s->p) > len &&
                      fs_utf8_is_continuation((unsigned char)s->p[len])
                : !fs_utf8_valid(s->p, (size_t)len))
        return 0;
    if (!(*out = malloc((size_t)len + 1))) {
        *oom = 1;
        return 0;
    }
    memcpy(*out, s->p, (size_t)len);
    (*out)[len] = '\0';
    s->p += len;
    return 1;
}

fs_err_t fs_contrib_serialize(const fs_contrib_t *c, fs_buf_t *out)
{
    size_t len0 = out->len;
    fs_err_t err = fs_buf_append(out, CONTRIB_TAG, strlen(CONTRIB_TAG));
    for (size_t i = 0; !err && i < c->n; i++) {
        const fs_contrib_entry_t *e = &c->e[i];
        if (i == 0 || strcmp(c->e[i - 1].key, e->key) != 0) {
            err = fs_buf_append(out, "k", 1);
            if (!err)
                err = put_str(out, e->key);
            if (!err)
                err = fs_buf_append(out, "\n", 1);
        }
        if (!err)
            err = fs_buf_append(out, "f", 1);
        if (!err)
            err = put_str(out, e->field);
        if (!err)
            err = fs_buf_append(out, "=", 1);
        if (!err)
            err = fs_buf_put_i64(out, e->value);
        if (!err)
            err = fs_buf_append(out, "\n", 1);
    }
    if (err)
        out->len = len0;
    return err;
}

/* Reads a non-zero decimal int64 and the '\n' after it. */
static const char *scan_value(scan_t *s, int64_t *v)
{
    int neg = s->p < s->end && *s->p == '-';
    s->p += neg;
    uint64_t u = 0;
    size_t digits = 0;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
        if (digits == 0 && *s->p == '0')
            return "a value is zero or has a leading zero";
        unsigned d = (unsigned)(*s->p++ - '0');
        if (u > (UINT64_MAX - d) / 10)
            return "a value overflows";
        u = u * 10 + d;
        digits++;
    }
    if (digits == 0 || u > (uint64_t)INT64_MAX + (uint64_t)neg)
        return "a value is not a non-zero 64-bit integer";
    if (s->p == s->end || *s->p++ != '\n')
        return "a value is not followed by a newline";
    *v = neg ? (int64_t)(0 - u) : (int64_t)u;
    return NULL;
}

fs_err_t fs_contrib_parse(const char *data, size_t len, fs_contrib_t *out, char *errstr,
                          size_t errstr_size)
{
    scan_t s = scan_start(data, len);
    const char *why = NULL;
    char *key = NULL; /* the current key (owned until handed to an entry) */
    int oom = 0;
    size_t key_fields = 0;

    fs_contrib_clear(out);
    if (!data || len < strlen(CONTRIB_TAG) ||
        memcmp(data, CONTRIB_TAG, strlen(CONTRIB_TAG)) != 0) {
        snprintf(errstr, errstr_size, "contribution: does not start with the C1 tag");
        return FS_ERR_CORRUPT;
    }
    s.p += strlen(CONTRIB_TAG);
    while (!why && s.p < s.end) {
        char tag = *s.p++;
        if (tag == 'k') {
            char *k;
            if (key && key_fields == 0)
                why = "a key has no fields";
            else if (!scan_str(&s, CONTRIB_TEXT_MAX, 0, &k, &oom))
                why = oom ? "out of memory" : BAD_TEXT;
            else {
                if (key && strcmp(key, k) >= 0)
                    why = "keys are not in increasing order";
                else if (s.p == s.end || *s.p++ != '\n')
                    why = "a key is not followed by a newline";
                free(key);
                key = k;
                key_fields = 0;
            }
        } else if (tag == 'f') {
            char *f;
            int64_t v = 0;
            if (!key)
                why = "a field comes before any key";
            else if (!scan_str(&s, CONTRIB_TEXT_MAX, 0, &f, &oom))
                why = oom ? "out of memory" : BAD_TEXT;
            else {
                if (key_fields && strcmp(out->e[out->n - 1].field, f) >= 0)
                    why = "fields are not in increasing order";
                else if (s.p == s.end || *s.p++ != '=')
                    why = "a field is not followed by '='";
                else
                    why = scan_value(&s, &v);
                if (!why &&
                    reserve((void **)&out->e, &out->cap, out->n + 1, sizeof(*out->e)))
                    why = "out of memory";
                char *kc = why ? NULL : strdup(key);
                if (!why && !kc)
                    why = "out of memory";
                if (why) {
                    free(f);
                    free(kc);
                } else {
                    out->e[out->n++] = (fs_contrib_entry_t){kc, f, v};
                    key_fields++;
                }
            }
        } else {
            why = "a line starts with neither 'k' nor 'f'";
        }
    }
    if (!why && key && key_fields == 0)
        why = "a key has no fields";
    free(key);
    if (!why)
        return FS_OK;
    snprintf(errstr, errstr_size, "contribution: %s", why);
    fs_err_t err = strcmp(why, "out of memory") == 0 ? FS_ERR_NOMEM : FS_ERR_CORRUPT;
    fs_contrib_clear(out);
    return err;
}

/* ------------------------------------------------ the bucket's stored form */

/*
 * Every batch reads, parses and rewrites the bucket of every person it
 * touches, so the stored form is a compact text, not JSON:
 *
 *   "B1\n"                                                     format tag
 *   "m" <str field> "=" <ms> "\n"                              earliest times
 *   "t" <ms> " " <str id> <str type> <nstr channel> <nstr campaign> "\n"
 *   "c" <ms> " " <str id> <str type> <revenue cents> " " <currency> "\n"
 *
 * <str> is <byte length> ":" <bytes> (UTF-8, no NUL), <nstr> a <str> or
 * "-" for absent; numbers are decimal without leading zeros; the currency
 * is 3 bytes.  fs_bucket_serialize() writes m, t, c lines in their sorted
 * order; the parser takes lines in any order and sorts, and rejects
 * anything else with the line's kind and index.
 */
#define BUCKET_TAG "B1\n"

static fs_err_t put_row(fs_buf_t *out, char kind, const rec_t *r)
{
    fs_err_t err = fs_buf_append(out, &kind, 1);
    if (!err)
        err = fs_buf_put_i64(out, r->ms);
    if (!err)
        err = fs_buf_append(out, " ", 1);
    if (!err)
        err = put_str(out, r->id);
    if (!err)
        err = put_str(out, r->type);
    if (kind == 't') {
        if (!err)
            err = put_str(out, r->channel);
        if (!err)
            err = put_str(out, r->campaign);
    } else {
        if (!err)
            err = fs_buf_put_i64(out, r->rev);
        if (!err)
            err = fs_buf_append(out, " ", 1);
        if (!err)
            err = fs_buf_append(out, r->currency, 3);
    }
    if (!err)
        err = fs_buf_append(out, "\n", 1);
    return err;
}

fs_err_t fs_bucket_serialize(const fs_bucket_t *b, fs_buf_t *out)
{
    size_t len0 = out->len;
    fs_err_t err = fs_buf_append(out, BUCKET_TAG, strlen(BUCKET_TAG));
    for (size_t i = 0; !err && i < b->nm; i++) {
        err = fs_buf_append(out, "m", 1);
        if (!err)
            err = put_str(out, b->m[i].field);
        if (!err)
            err = fs_buf_append(out, "=", 1);
        if (!err)
            err = fs_buf_put_i64(out, b->m[i].ms);
        if (!err)
            err = fs_buf_append(out, "\n", 1);
    }
    for (size_t i = 0; !err && i < b->t.n; i++)
        err = put_row(out, 't', &b->t.v[i]);
    for (size_t i = 0; !err && i < b->c.n; i++)
        err = put_row(out, 'c', &b->c.v[i]);
    if (err)
        out->len = len0;
    return err;
}

/* One "t" or "c" line after its kind byte into @p r. */
static const char *scan_row(scan_t *s, int touch, rec_t *r, int *oom)
{
    uint64_t v;
    if (!scan_u64(s, MS_MAX, &v) || !scan_eat(s, ' '))
        return "occurred_at is not an integer in 0..253402300799999";
    r->ms = (int64_t)v;
    if (!scan_str(s, FS_EVENT_ID_MAX, 0, &r->id, oom))
        return "event_id is not a string of 1..64 bytes";
    if (!scan_str(s, TEXT_MAX, 0, &r->type, oom))
        return "type is not a string of 1..512 bytes";
    if (touch) {
        if (!scan_str(s, TEXT_MAX, 1, &r->channel, oom))
            return "channel is neither absent nor a string of 1..512 bytes";
        if (!scan_str(s, TEXT_MAX, 1, &r->campaign, oom))
            return "campaign is neither absent nor a string of 1..512 bytes";
    } else {
        if (!scan_u64(s, FS_REVENUE_LIMIT_CENTS - 1, &v) || !scan_eat(s, ' '))
            return "revenue is not an integer in 0..10^14-1";
        r->rev = (int64_t)v;
        if (s->end - s->p < 3)
            return "currency is not 3 upper-case letters";
        memcpy(r->currency, s->p, 3);
        r->currency[3] = '\0';
        s->p += 3;
        if (!currency_ok(r->currency))
            return "currency is not 3 upper-case letters";
    }
    if (!scan_eat(s, '\n'))
        return "the row does not end with a newline";
    return NULL;
}

/* Sorts parsed rows, rejects repeated ids, keeps the @p max most recent. */
static const char *finish_recs(recs_t *rs, size_t max)
{
    size_t n = rs->n;
    if (n <= 16) { /* the usual bucket: compare pairs, no sorting by id */
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++)
                if (strcmp(rs->v[i].id, rs->v[j].id) == 0)
                    return "an event_id appears twice";
    } else {
        qsort(rs->v, n, sizeof(*rs->v), qcmp_rec_id);
        for (size_t i = 1; i < n; i++)
            if (strcmp(rs->v[i - 1].id, rs->v[i].id) == 0)
                return "an event_id appears twice";
    }
    int sorted = 1;
    for (size_t i = 1; sorted && i < n; i++)
        sorted = rec_cmp_time(&rs->v[i - 1], &rs->v[i]) < 0;
    if (!sorted)
        qsort(rs->v, n, sizeof(*rs->v), qcmp_rec_time);
    if (n > max) { /* keep the most recent, as fs_bucket_add() does */
        for (size_t i = 0; i < n - max; i++)
            rec_free(&rs->v[i]);
        memmove(&rs->v[0], &rs->v[n - max], max * sizeof(*rs->v));
        rs->n = max;
    }
    return NULL;
}

static int field_ok(const char *f)
{
    return strncmp(f, "s:", 2) == 0 || strncmp(f, "sc:", 3) == 0 ||
           strncmp(f, "sk:", 3) == 0;
}

fs_bucket_t *fs_bucket_parse(const char *data, size_t len, char *errstr,
                             size_t errstr_size)
{
    scan_t s = scan_start(data, len);
    const char *why = NULL;
    int oom = 0;
    size_t nt = 0, nc = 0;
    char wkind = 0; /* where the error is: line kind ('o' = offset) and index */
    size_t widx = 0;

    if (!data || len < strlen(BUCKET_TAG) || memcmp(data, BUCKET_TAG, 3) != 0) {
        snprintf(errstr, errstr_size, "bucket: does not start with the B1 tag");
        return NULL;
    }
    fs_bucket_t *b = fs_bucket_new();
    if (!b) {
        snprintf(errstr, errstr_size, "bucket: out of memory");
        return NULL;
    }
    s.p += strlen(BUCKET_TAG);
    while (!why && s.p < s.end) {
        char kind = *s.p++;
        if (kind == 'm') {
            wkind = 'm', widx = b->nm;
            uint64_t ms;
            char *f = NULL;
            if (reserve((void **)&b->m, &b->capm, b->nm + 1, sizeof(*b->m))) {
                oom = 1;
            } else if (!scan_str(&s, FIELD_MAX, 0, &f, &oom) || !field_ok(f)) {
                why = "a field is not s:/sc:/sk: of at most 528 bytes";
            } else if (!scan_eat(&s, '=') || !scan_u64(&s, MS_MAX, &ms) ||
                       !scan_eat(&s, '\n')) {
                why = "a value is not an integer in 0..253402300799999";
            } else {
                b->m[b->nm].field = f;
                b->m[b->nm++].ms = (int64_t)ms;
                f = NULL;
            }
            free(f);
        } else if (kind == 't' || kind == 'c') {
            recs_t *rs = kind == 't' ? &b->t : &b->c;
            size_t *idx = kind == 't' ? &nt : &nc;
            wkind = kind, widx = (*idx)++;
            if (reserve((void **)&rs->v, &rs->cap, rs->n + 1, sizeof(*rs->v))) {
                oom = 1;
            } else {
                memset(&rs->v[rs->n], 0, sizeof(*rs->v));
                rs->n++; /* so that recs_free() frees a partly filled row */
                why = scan_row(&s, kind == 't', &rs->v[rs->n - 1], &oom);
            }
        } else {
            wkind = 'o', widx = (size_t)(s.p - 1 - data);
            why = "a line starts with neither 'm', 't' nor 'c'";
        }
        if (oom)
            why = "out of memory";
    }
    if (!why) {
        /* Our own writer emits sorted lines: sort only what is not. */
        int sorted = 1;
        for (size_t i = 1; sorted && i < b->nm; i++)
            sorted = strcmp(b->m[i - 1].field, b->m[i].field) < 0;
        if (!sorted) {
            qsort(b->m, b->nm, sizeof(*b->m), qcmp_first);
            for (size_t i = 1; !why && i < b->nm; i++)
                if (strcmp(b->m[i - 1].field, b->m[i].field) == 0)
                    wkind = 'M', why = "a field appears twice";
        }
        if (!why && (why = finish_recs(&b->t, FS_BUCKET_MAX_TOUCHES)))
            wkind = 'T';
        if (!why && (why = finish_recs(&b->c, FS_BUCKET_MAX_CONVERSIONS)))
            wkind = 'C';
    }
    if (!why)
        return b;
    if (wkind == 'o')
        snprintf(errstr, errstr_size, "bucket: offset %zu: %s", widx, why);
    else if (wkind == 'M' || wkind == 'T' || wkind == 'C')
        snprintf(errstr, errstr_size, "bucket: %c: %s", wkind - 'A' + 'a', why);
    else
        snprintf(errstr, errstr_size, "bucket: %c[%zu]: %s", wkind, widx, why);
    fs_bucket_destroy(b);
    return NULL;
}

fs_err_t fs_contrib_diff(const fs_contrib_t *old, const fs_contrib_t *new_,
                         fs_contrib_delta_fn fn, void *opaque)
{
    size_t i = 0, j = 0;
    fs_err_t err;

    while (i < old->n || j < new_->n) {
        const fs_contrib_entry_t *e;
        int64_t delta;
        int c = i == old->n ? 1 : j == new_->n ? -1 : entry_cmp(&old->e[i], &new_->e[j]);
        if (c < 0) {
            e = &old->e[i++];
            if (__builtin_sub_overflow((int64_t)0, e->value, &delta))
                return FS_ERR_OVERFLOW;
        } else if (c > 0) {
            e = &new_->e[j++];
            delta = e->value;
        } else {
            e = &new_->e[j];
            if (__builtin_sub_overflow(new_->e[j].value, old->e[i].value, &delta))
                return FS_ERR_OVERFLOW;
            i++;
            j++;
        }
        if (delta != 0 && (err = fn(opaque, e->key, e->field, delta)) != FS_OK)
            return err;
    }
    return FS_OK;
}
