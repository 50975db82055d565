/*
 * store.c — Redis reads of funnel-query (see store.h).
 *
 * A query of N days costs one round trip per batch of BATCH_DAYS days:
 * each day is HMGET of exactly the five stage fields of the events hash,
 * the same of the users hash, and EXISTS of the users hash (an HMGET
 * cannot tell a missing hash from missing fields).
 */
#include "store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "fs_day.h"
#include "fs_redis.h"

#define TIMEOUT_MS 5000 /* connect, and each round trip */
/* 128 days = 384 commands per round trip: the longest query (3660 days) takes 29
 * round trips, about 0.2 s against a local Redis even in the ASan build. */
#define BATCH_DAYS 128
#define FIELD_MAX 600 /* "sk:" + stage + ":" + 128 characters of up to 4 bytes */
#define KEY_MAX 128   /* namespace (<= 64) + ":v1:events:" + day */

struct fs_qstore {
    redisContext *c;
    char ns[65];
};

fs_qstore_t *fs_qstore_open(const fs_conf_t *conf, char *errstr, size_t sz)
{
    const char *ns = fs_conf_str(conf, "namespace");
    char reason[400];
    fs_qstore_t *qs = calloc(1, sizeof(*qs));
    if (!qs) {
        snprintf(errstr, sz, "out of memory");
        return NULL;
    }
    /* fs_conf_check_namespace() allows 64 characters: this cannot truncate. */
    snprintf(qs->ns, sizeof(qs->ns), "%s", ns);
    if (!(qs->c = fs_redis_connect(conf, TIMEOUT_MS, reason, sizeof(reason)))) {
        snprintf(errstr, sz, "cannot connect to Redis: %s", reason);
        fs_qstore_destroy(qs);
        return NULL;
    }
    return qs;
}

void fs_qstore_destroy(fs_qstore_t *qs)
{
    if (!qs)
        return;
    if (qs->c)
        redisFree(qs->c);
    free(qs);
}

/* The hash fields of the five stages under @p filter. */
static fs_err_t stage_fields(const fs_filter_t *filter, char fields[][FIELD_MAX],
                             char *errstr, size_t sz)
{
    for (int s = 0; s < FS_STAGE__COUNT; s++) {
        const char *stage = fs_stage_name((fs_stage_t)s);
        int n;
        if (filter->kind == FS_FILTER_CHANNEL)
            n = snprintf(fields[s], FIELD_MAX, "sc:%s:%s", stage, filter->value);
        else if (filter->kind == FS_FILTER_CAMPAIGN)
            n = snprintf(fields[s], FIELD_MAX, "sk:%s:%s", stage, filter->value);
        else
            n = snprintf(fields[s], FIELD_MAX, "s:%s", stage);
        if (n < 0 || n >= FIELD_MAX) {
            snprintf(errstr, sz, "%s: value too long",
                     filter->kind == FS_FILTER_CHANNEL ? "--channel" : "--campaign");
            return FS_ERR_INVALID;
        }
    }
    return FS_OK;
}

static void day_key(const fs_qstore_t *qs, const char *what, int64_t day,
                    char key[KEY_MAX])
{
    char d[11];
    fs_day_format(day, d);
    snprintf(key, KEY_MAX, "%s:v1:%s:%s", qs->ns, what, d);
}

static fs_err_t append_day(fs_qstore_t *qs, int64_t day, char fields[][FIELD_MAX],
                           char *errstr, size_t sz)
{
    char events_key[KEY_MAX], users_key[KEY_MAX];
    const char *argv[2 + FS_STAGE__COUNT];
    day_key(qs, "events", day, events_key);
    day_key(qs, "users", day, users_key);
    argv[0] = "HMGET";
    for (int s = 0; s < FS_STAGE__COUNT; s++)
        argv[2 + s] = fields[s];
    /* hiredis copies the arguments into its output buffer: locals may go. */
    argv[1] = events_key;
    int rc = redisAppendCommandArgv(qs->c, 2 + FS_STAGE__COUNT, argv, NULL);
    argv[1] = users_key;
    if (rc == REDIS_OK)
        rc = redisAppendCommandArgv(qs->c, 2 + FS_STAGE__COUNT, argv, NULL);
    const char *exists[2] = {"EXISTS", users_key};
    if (rc == REDIS_OK)
        rc = redisAppendCommandArgv(qs->c, 2, exists, NULL);
    if (rc != REDIS_OK) {
        snprintf(errstr, sz, "Redis: queueing reads of %s: %s", events_key,
                 qs->c->errstr);
        return FS_ERR_NOMEM; /* appending only fails when hiredis cannot allocate */
    }
    return FS_OK;
}

/*
 * Reads the next reply of @p what ("HMGET key").  On success the caller
 * owns *replyp.  A NULL reply (broken connection, timeout) and
 * REDIS_REPLY_ERROR (WRONGTYPE, NOAUTH, ...) are errors.
 */
static fs_err_t next_reply(fs_qstore_t *qs, const char *what, redisReply **replyp,
                           char *errstr, size_t sz)
{
    void *p = NULL;
    char reason[400];
    *replyp = NULL;
    if (redisGetReply(qs->c, &p) != REDIS_OK)
        p = NULL; /* hiredis sets no reply then; be explicit */
    if (fs_redis_reply_ok(qs->c, p, what, reason, sizeof(reason)) != 0) {
        snprintf(errstr, sz, "Redis: %s", reason);
        if (p)
            freeReplyObject(p);
        return p ? FS_ERR_IO : FS_ERR_TRANSIENT;
    }
    *replyp = p;
    return FS_OK;
}

/* Adds the HMGET reply of @p key to @p sums (one per stage). */
static fs_err_t add_hmget(const redisReply *reply, const char *key,
                          char fields[][FIELD_MAX], uint64_t sums[], char *errstr,
                          size_t sz)
{
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != FS_STAGE__COUNT) {
        snprintf(errstr, sz, "Redis: unexpected reply type %d to HMGET %s", reply->type,
                 key);
        return FS_ERR_CORRUPT;
    }
    for (int s = 0; s < FS_STAGE__COUNT; s++) {
        const redisReply *e = reply->element[s];
        uint64_t n;
        if (e->type == REDIS_REPLY_NIL)
            continue;
        if (e->type != REDIS_REPLY_STRING ||
            fs_report_parse_count(e->str, e->len, &n) != 0) {
            snprintf(errstr, sz, "%s field %s: \"%.*s\" is not a count", key, fields[s],
                     e->type == REDIS_REPLY_STRING ? (int)(e->len > 40 ? 40 : e->len) : 0,
                     e->type == REDIS_REPLY_STRING ? e->str : "");
            return FS_ERR_CORRUPT;
        }
        if (n > UINT64_MAX - sums[s]) {
            snprintf(errstr, sz, "%s field %s: the sum over the range overflows", key,
                     fields[s]);
            return FS_ERR_CORRUPT;
        }
        sums[s] += n;
    }
    return FS_OK;
}

/* Reads the three replies of @p day (see append_day()) into the sums. */
static fs_err_t read_day(fs_qstore_t *qs, int64_t day, char fields[][FIELD_MAX],
                         uint64_t events[], uint64_t users[], int *users_exist,
                         char *errstr, size_t sz)
{
    char events_key[KEY_MAX], users_key[KEY_MAX], what[KEY_MAX + 8];
    redisReply *reply = NULL;
    fs_err_t err;
    day_key(qs, "events", day, events_key);
    day_key(qs, "users", day, users_key);

    snprintf(what, sizeof(what), "HMGET %s", events_key);
    if ((err = next_reply(qs, what, &reply, errstr, sz)))
        return err;
    err = add_hmget(reply, events_key, fields, events, errstr, sz);
    freeReplyObject(reply);
    snprintf(what, sizeof(what), "HMGET %s", users_key);
    if (err || (err = next_reply(qs, what, &reply, errstr, sz)))
        return err;
    err = add_hmget(reply, users_key, fields, users, errstr, sz);
    freeReplyObject(reply);
    snprintf(what, sizeof(what), "EXISTS %s", users_key);
    if (err || (err = next_reply(qs, what, &reply, errstr, sz)))
        return err;
    if (reply->type != REDIS_REPLY_INTEGER) {
        snprintf(errstr, sz, "Redis: unexpected reply type %d to EXISTS %s", reply->type,
                 users_key);
        err = FS_ERR_CORRUPT;
    } else if (reply->integer > 0) {
        *users_exist = 1;
    }
    freeReplyObject(reply);
    return err;
}

fs_err_t fs_qstore_read_funnel(fs_qstore_t *qs, fs_funnel_report_t *r, char *errstr,
                               size_t sz)
{
    char fields[FS_STAGE__COUNT][FIELD_MAX];
    uint64_t events[FS_STAGE__COUNT] = {0}, users[FS_STAGE__COUNT] = {0};
    int users_exist = 0;
    fs_err_t err;

    if ((err = stage_fields(&r->filter, fields, errstr, sz)))
        return err;
    for (int64_t start = r->from; start <= r->to; start += BATCH_DAYS) {
        int64_t end = r->to - start >= BATCH_DAYS ? start + BATCH_DAYS - 1 : r->to;
        for (int64_t day = start; day <= end; day++)
            if ((err = append_day(qs, day, fields, errstr, sz)))
                return err;
        for (int64_t day = start; day <= end; day++)
            if ((err =
                     read_day(qs, day, fields, events, users, &users_exist, errstr, sz)))
                return err;
    }
    for (int s = 0; s < FS_STAGE__COUNT; s++) {
        r->rows[s].events = events[s];
        r->rows[s].users = users_exist ? users[s] : 0;
        r->rows[s].users_known = users_exist;
    }
    return FS_OK;
}

/* ---- whole hashes: attribution and handoff ---------------------------- */

/* Adds one field/value pair of a day's hash; fills errstr without the key. */
typedef fs_err_t (*field_fn)(void *ctx, const char *field, size_t field_len,
                             const char *value, size_t value_len, char *errstr,
                             size_t errstr_size);

/* Writes the key of @p day into @p key (HASH_KEY_MAX bytes). */
typedef void (*key_fn)(const fs_qstore_t *qs, const void *ctx, int64_t day, char *key);

/* "<ns>:v1:attr:<day>:position_based:department:XXX" with a 64-character namespace
 * is 113 bytes. */
#define HASH_KEY_MAX 160

/* Feeds one HGETALL reply of @p key to @p add. */
static fs_err_t add_hash(const redisReply *reply, const char *key, field_fn add,
                         void *ctx, char *errstr, size_t sz)
{
    char reason[512];
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements % 2 != 0) {
        snprintf(errstr, sz, "Redis: unexpected reply type %d to HGETALL %s", reply->type,
                 key);
        return FS_ERR_CORRUPT;
    }
    for (size_t i = 0; i < reply->elements; i += 2) {
        const redisReply *f = reply->element[i], *v = reply->element[i + 1];
        if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING) {
            snprintf(errstr, sz, "Redis: unexpected element type %d/%d in HGETALL %s",
                     f->type, v->type, key);
            return FS_ERR_CORRUPT;
        }
        fs_err_t err = add(ctx, f->str, f->len, v->str, v->len, reason, sizeof(reason));
        if (err) {
            snprintf(errstr, sz, "%s %s", key, reason);
            return err;
        }
    }
    return FS_OK;
}

/* HGETALL of every day's key in pipelined batches of BATCH_DAYS. */
static fs_err_t read_hashes(fs_qstore_t *qs, int64_t from, int64_t to, key_fn key_of,
                            const void *key_ctx, field_fn add, void *ctx, char *errstr,
                            size_t sz)
{
    char key[HASH_KEY_MAX], what[HASH_KEY_MAX + 16];
    fs_err_t err;
    for (int64_t start = from; start <= to; start += BATCH_DAYS) {
        int64_t end = to - start >= BATCH_DAYS ? start + BATCH_DAYS - 1 : to;
        for (int64_t day = start; day <= end; day++) {
            const char *argv[2] = {"HGETALL", key};
            key_of(qs, key_ctx, day, key);
            if (redisAppendCommandArgv(qs->c, 2, argv, NULL) != REDIS_OK) {
                snprintf(errstr, sz, "Redis: queueing HGETALL %s: %s", key,
                         qs->c->errstr);
                return FS_ERR_NOMEM; /* appending only fails when hiredis cannot allocate
                                      */
            }
        }
        for (int64_t day = start; day <= end; day++) {
            redisReply *reply;
            key_of(qs, key_ctx, day, key);
            snprintf(what, sizeof(what), "HGETALL %s", key);
            if ((err = next_reply(qs, what, &reply, errstr, sz)))
                return err;
            err = add_hash(reply, key, add, ctx, errstr, sz);
            freeReplyObject(reply);
            if (err)
                return err;
        }
    }
    return FS_OK;
}

typedef struct attr_key {
    const char *model, *by, *currency;
} attr_key_t;

static void attr_key_of(const fs_qstore_t *qs, const void *ctx, int64_t day, char *key)
{
    const attr_key_t *a = ctx;
    char d[11];
    fs_day_format(day, d);
    snprintf(key, HASH_KEY_MAX, "%s:v1:attr:%s:%s:%s:%s", qs->ns, d, a->model, a->by,
             a->currency);
}

static fs_err_t attr_add(void *ctx, const char *f, size_t flen, const char *v,
                         size_t vlen, char *errstr, size_t sz)
{
    return fs_attr_sums_add(ctx, f, flen, v, vlen, errstr, sz);
}

fs_err_t fs_qstore_require_attribution(fs_qstore_t *qs, char *errstr, size_t sz)
{
    char key[KEY_MAX];
    snprintf(key, sizeof(key), "%s:v1:attribution", qs->ns);
    const char *argv[] = {"GET", key};
    redisReply *r = redisCommandArgv(qs->c, 2, argv, NULL);
    if (!r) {
        snprintf(errstr, sz, "Redis: GET %s: %s", key, qs->c->errstr);
        return FS_ERR_TRANSIENT;
    }
    fs_err_t err = FS_OK;
    if (r->type == REDIS_REPLY_ERROR) {
        /* NOPERM: a dashboard user of an older ACL without this key; read on. */
        if (strncmp(r->str, "NOPERM", 6) != 0) {
            snprintf(errstr, sz, "Redis: GET %s: %.*s", key, (int)r->len, r->str);
            err = FS_ERR_IO;
        }
    } else if (r->type == REDIS_REPLY_STRING && r->len == 3 &&
               !memcmp(r->str, "off", 3)) {
        snprintf(errstr, sz,
                 "namespace %s keeps no attribution: its workers run with "
                 "FUNNEL_ATTRIBUTION=false (funnel counts and users only)",
                 qs->ns);
        err = FS_ERR_INVALID;
    } else if (r->type != REDIS_REPLY_NIL && !(r->type == REDIS_REPLY_STRING &&
                                               r->len == 2 && !memcmp(r->str, "on", 2))) {
        snprintf(errstr, sz, "Redis: %s holds neither \"on\" nor \"off\"", key);
        err = FS_ERR_CORRUPT;
    }
    freeReplyObject(r);
    return err;
}

fs_err_t fs_qstore_read_attribution(fs_qstore_t *qs, int64_t from, int64_t to,
                                    const char *model, const char *by,
                                    const char *currency, fs_attr_sums_t *sums,
                                    char *errstr, size_t sz)
{
    const attr_key_t a = {model, by, currency};
    return read_hashes(qs, from, to, attr_key_of, &a, attr_add, sums, errstr, sz);
}

static void handoff_key_of(const fs_qstore_t *qs, const void *ctx, int64_t day, char *key)
{
    char d[11];
    (void)ctx;
    fs_day_format(day, d);
    snprintf(key, HASH_KEY_MAX, "%s:v1:handoff:%s", qs->ns, d);
}

static fs_err_t handoff_add(void *ctx, const char *f, size_t flen, const char *v,
                            size_t vlen, char *errstr, size_t sz)
{
    return fs_handoff_add(ctx, f, flen, v, vlen, errstr, sz);
}

fs_err_t fs_qstore_read_handoff(fs_qstore_t *qs, fs_handoff_report_t *r, char *errstr,
                                size_t sz)
{
    char reason[256];
    fs_err_t err =
        read_hashes(qs, r->from, r->to, handoff_key_of, NULL, handoff_add, r, errstr, sz);
    if (!err && (err = fs_handoff_finish(r, reason, sizeof(reason))))
        snprintf(errstr, sz, "%s:v1:handoff:* over the range: %s", qs->ns, reason);
    return err;
}

/* ---- one field per day: series --------------------------------------- */

/* "<ns>:v1:attr:<day>:position_based:campaign:XXX" stays under HASH_KEY_MAX. */
static void series_key(const fs_qstore_t *qs, const char *kind, const char *suffix,
                       int64_t day, char key[HASH_KEY_MAX])
{
    char d[11];
    fs_day_format(day, d);
    snprintf(key, HASH_KEY_MAX, "%s:v1:%s:%s%s%s", qs->ns, kind, d, suffix[0] ? ":" : "",
             suffix);
}

fs_err_t fs_qstore_read_series(fs_qstore_t *qs, fs_series_t *s, char *errstr, size_t sz)
{
    char kind[FS_SERIES_KIND_MAX], suffix[FS_SERIES_SUFFIX_MAX];
    char field[FS_SERIES_FIELD_MAX], key[HASH_KEY_MAX], what[HASH_KEY_MAX + 16];
    char reason[128];
    fs_err_t err;
    if (fs_series_source(s, kind, suffix, field) != FS_OK) {
        snprintf(errstr, sz, "the filter value is too long");
        return FS_ERR_INVALID;
    }
    for (int64_t start = s->from; start <= s->to; start += BATCH_DAYS) {
        int64_t end = s->to - start >= BATCH_DAYS ? start + BATCH_DAYS - 1 : s->to;
        for (int64_t day = start; day <= end; day++) {
            const char *argv[3] = {"HGET", key, field};
            series_key(qs, kind, suffix, day, key);
            if (redisAppendCommandArgv(qs->c, 3, argv, NULL) != REDIS_OK) {
                snprintf(errstr, sz, "Redis: queueing HGET %s: %s", key, qs->c->errstr);
                return FS_ERR_NOMEM;
            }
        }
        for (int64_t day = start; day <= end; day++) {
            redisReply *reply;
            series_key(qs, kind, suffix, day, key);
            snprintf(what, sizeof(what), "HGET %s", key);
            if ((err = next_reply(qs, what, &reply, errstr, sz)))
                return err;
            if (reply->type == REDIS_REPLY_STRING)
                err =
                    fs_series_set(s, day, reply->str, reply->len, reason, sizeof(reason));
            else if (reply->type != REDIS_REPLY_NIL) {
                snprintf(reason, sizeof(reason), "unexpected reply type %d", reply->type);
                err = FS_ERR_CORRUPT;
            }
            freeReplyObject(reply);
            if (err) {
                snprintf(errstr, sz, "%s field %.*s: %s", key, 100, field, reason);
                return err;
            }
        }
    }
    return FS_OK;
}

fs_err_t fs_qstore_ping(fs_qstore_t *qs, char *errstr, size_t sz)
{
    redisReply *reply;
    const char *argv[1] = {"PING"};
    if (redisAppendCommandArgv(qs->c, 1, argv, NULL) != REDIS_OK) {
        snprintf(errstr, sz, "Redis: queueing PING: %s", qs->c->errstr);
        return FS_ERR_NOMEM;
    }
    fs_err_t err = next_reply(qs, "PING", &reply, errstr, sz);
    if (!err)
        freeReplyObject(reply);
    return err;
}
