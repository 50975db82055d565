/*
 * floor_worker.c — fs-bench-floor: how fast a worker could be on this box if
 * it kept the required shared state in Redis and did nothing else
 * (bench/worker_floor; docs/BENCHMARKS.md, "Worker floor").
 *
 * Per batch it does a subset of funnel-worker's Redis work, each part in a
 * cheap grouped form, so its rate is an upper bound for designs that keep
 * de-duplication marks and first-reach times in Redis and read them in the
 * atomic step (which exact counts need once several workers share persons):
 *
 *   read   one pipelined round trip: HMGET of the batch's event_ids in one
 *          hash per occurred_at day (funnel-worker probes one hash per
 *          processing day of the de-duplication window, more reads), and
 *          HMGET of each distinct (stage, raw person) of the batch in one
 *          hash per stage: the earliest time per person and stage (docs/aggregates.md
 *          users; persons are user_id, else anonymous_id);
 *   apply  one MULTI/EXEC (no Lua): HSET of the new ids, HSET of the
 *          first-reach times that moved, one HINCRBY per distinct (key,
 *          field) of event and user counts pre-aggregated in the process (a
 *          user moving to an earlier day is -1 on the old day, +1 on the new),
 *          PFADD of the (stage, day, person) members this process has not
 *          added before (a cache any worker could keep: adding twice changes
 *          nothing), and the partitions' offsets.
 *
 * Left out, though funnel-worker needs each (each would only lower this
 * rate): identity stitching, users per (stage, channel) and (stage,
 * campaign), attribution, fencing epochs and the check that nobody changed
 * what was read, the consumer group, dead letters (records without a person
 * or of an unknown type are skipped), TTLs other than the de-duplication
 * hashes'.  Kafka is read by explicit assignment of every partition from the
 * beginning; records are decoded by funnel-worker's decoder.  Batch N's apply
 * runs in Redis while batch N+1 is read from Kafka and decoded.
 *
 *   fs-bench-floor --max N [--batch B] [--namespace NS]
 *                  [--no-redis | --no-decode | --dedup-only | --blind] [-X prop=value]...
 *
 * --no-decode: consume only; --no-redis: consume and decode; --dedup-only: of
 * the Redis work, only the de-duplication marks and the offsets; --blind:
 * first-reach times are never read: ZADD LT of each (stage, person) into one
 * sorted set per stage and per (stage, channel) and (stage, campaign), no
 * user counts (a reader would count a day's members with ZCOUNT), and no
 * ZADD of a time not below the lowest this process already wrote for the
 * member.  That is only exact without identity links, which can move a
 * person's times later.  Exits 1
 * when the topic holds fewer than N messages (nothing for 30 s).
 * Environment: FUNNEL_KAFKA_BROKERS, FUNNEL_TOPIC, FUNNEL_REDIS_URL
 * (redis://host[:port][/db], no password), FUNNEL_NAMESPACE.
 * stdout: "floor: messages=.. distinct=.. seconds=.. events_per_s=..
 *          commands=.. batches=.. staged=.. firsts=.. hll=.. skipped=.."
 * (staged: distinct events of a stage; firsts: first-reach times written;
 * hll: HyperLogLog members sent; skipped: records without a person or type).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <librdkafka/rdkafka.h>

#include "bench_io.h"
#include "fs_codec.h"
#include "fs_day.h"
#include "fs_definition.h"
#include "fs_event.h"
#include "fs_strmap.h"

/* Ids live 7 days (docs/aggregates.md) + 2, as funnel-worker keeps them. */
#define SEEN_TTL_S "777600"
/* Arguments per grouped command: keeps each command's argv (and Redis's
 * query buffer) small; an even number, so pairs are never split. */
#define CHUNK 1000
/* Longest key or field built here: a namespace, a stage, a day and a
 * person, channel or campaign of at most 512 bytes, with separators. */
#define TEXT_MAX 1400
#define IDLE_POLLS 30 /* 1-second polls without a message before giving up */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fs-bench-floor: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void *xrealloc(void *p, size_t n)
{
    if (!(p = realloc(p, n)))
        die("out of memory");
    return p;
}

/* snprintf into @p buf of TEXT_MAX bytes; a longer text is a bug here. */
static void fmt(char *buf, const char *f, ...) __attribute__((format(printf, 2, 3)));
static void fmt(char *buf, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int n = vsnprintf(buf, TEXT_MAX, f, ap);
    va_end(ap);
    if (n < 0 || n >= TEXT_MAX)
        die("a key or field longer than %d bytes", TEXT_MAX);
}

/* ------------------------------------------------------------- argv ---- */

/* A growable argv; entry i is owned (freed by argv_reset) when own[i]. */
typedef struct argv_s {
    size_t n, cap;
    const char **v;
    size_t *len;
    char *own;
} argv_t;

static void argv_push(argv_t *a, const char *s, size_t len, int owned)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 64;
        a->v = xrealloc(a->v, a->cap * sizeof(*a->v));
        a->len = xrealloc(a->len, a->cap * sizeof(*a->len));
        a->own = xrealloc(a->own, a->cap);
    }
    a->v[a->n] = s;
    a->len[a->n] = len;
    a->own[a->n] = (char)owned;
    a->n++;
}

/* Borrows @p s: it must outlive the argv's use. */
static void argv_pushs(argv_t *a, const char *s)
{
    argv_push(a, s, strlen(s), 0);
}

/* Pushes an owned copy of @p s. */
static void argv_pushdup(argv_t *a, const char *s)
{
    char *d = strdup(s);
    if (!d)
        die("out of memory");
    argv_push(a, d, strlen(d), 1);
}

static void argv_reset(argv_t *a)
{
    for (size_t i = 0; i < a->n; i++)
        if (a->own[i])
            free((char *)a->v[i]);
    a->n = 0;
}

static void argv_free(argv_t *a)
{
    argv_reset(a);
    free(a->v);
    free(a->len);
    free(a->own);
    memset(a, 0, sizeof(*a));
}

/* ----------------------------------------------------------- groups ---- */

/* The arguments of one grouped command per key, in first-seen key order. */
typedef struct groups {
    fs_strmap_t *index; /* key → slot + 1 */
    size_t n, cap;
    char **key;   /* owned */
    argv_t *args; /* owned */
} groups_t;

static void groups_init(groups_t *g)
{
    memset(g, 0, sizeof(*g));
    if (!(g->index = fs_strmap_new()))
        die("out of memory");
}

/* The argv of @p key's group, created empty on first use.  The pointer is
 * valid until the next group() call on @p g (the array may move). */
static argv_t *group(groups_t *g, const char *key)
{
    uintptr_t slot = (uintptr_t)fs_strmap_get(g->index, key);
    if (slot)
        return &g->args[slot - 1];
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 16;
        g->key = xrealloc(g->key, g->cap * sizeof(*g->key));
        g->args = xrealloc(g->args, g->cap * sizeof(*g->args));
    }
    if (!(g->key[g->n] = strdup(key)) ||
        fs_strmap_put(g->index, key, (void *)(uintptr_t)(g->n + 1)) != FS_OK)
        die("out of memory");
    memset(&g->args[g->n], 0, sizeof(argv_t));
    return &g->args[g->n++];
}

static void groups_free(groups_t *g)
{
    for (size_t i = 0; i < g->n; i++) {
        free(g->key[i]);
        argv_free(&g->args[i]);
    }
    free(g->key);
    free(g->args);
    fs_strmap_destroy(g->index);
    memset(g, 0, sizeof(*g));
}

/* --------------------------------------------------------- counters ---- */

/* Pre-aggregated increments: "key\x1ffield" → delta[slot]. */
typedef struct counters {
    fs_strmap_t *index; /* composite → slot + 1 */
    size_t n, cap;
    int64_t *delta;
} counters_t;

static void count(counters_t *c, const char *key, const char *field, int64_t d)
{
    char comp[2 * TEXT_MAX];
    if (snprintf(comp, sizeof(comp), "%s\x1f%s", key, field) >= (int)sizeof(comp))
        die("a counter name longer than %zu bytes", sizeof(comp));
    uintptr_t slot = (uintptr_t)fs_strmap_get(c->index, comp);
    if (!slot) {
        if (c->n == c->cap) {
            c->cap = c->cap ? c->cap * 2 : 256;
            c->delta = xrealloc(c->delta, c->cap * sizeof(*c->delta));
        }
        c->delta[c->n] = 0;
        slot = ++c->n;
        if (fs_strmap_put(c->index, comp, (void *)slot) != FS_OK)
            die("out of memory");
    }
    c->delta[slot - 1] += d;
}

/* ------------------------------------------------------------ batch ---- */

typedef struct item {
    fs_event_t ev;
    const char *person; /* borrowed from ev: user_id, else anonymous_id */
    int64_t day;
    int stage; /* FS_STAGE_NONE for identity types */
    int dup;   /* a copy earlier in this batch */
    int seen;  /* already marked in Redis */
} item_t;

typedef struct floor_s {
    const char *ns;
    redisContext *c;
    fs_codec_t *codec;
    fs_definition_t *def;
    int dedup_only;         /* --dedup-only */
    int blind;              /* --blind: first-reach times written, never read */
    fs_strmap_t *hll_added; /* "hllkey\x1fperson" this process has sent */
    /* --blind: "zset\x1fperson" → 1 + the lowest time this process wrote;
     * a time not below it cannot lower the stored one (which only falls). */
    fs_strmap_t *blind_sent;
    int64_t offsets[1024]; /* per partition: last offset of the batch, -1 none */
    int npart;
    size_t inflight_replies; /* of the apply sent last, not read yet */
    uint64_t commands, distinct, batches, staged, firsts, hll, skipped;
} floor_t;

/* One batch: what it reads, the state read, and the writes planned. */
typedef struct batch {
    fs_strmap_t *ids;    /* event_id → its first item in the batch */
    fs_strmap_t *firsts; /* "stage\x1fperson" → slot + 1 into cur/changed */
    size_t nslot;
    int64_t *cur;  /* earliest time per slot, -1 none */
    char *changed; /* per slot: moved earlier by this batch */
    groups_t seen_rd, first_rd;
    groups_t seen_wr, first_wr, hll;
    counters_t cnt;
} batch_t;

static void batch_init(batch_t *b, size_t n)
{
    memset(b, 0, sizeof(*b));
    if (!(b->ids = fs_strmap_new()) || !(b->firsts = fs_strmap_new()) ||
        !(b->cnt.index = fs_strmap_new()))
        die("out of memory");
    /* A slot per (stage, person), or with --blind up to three per event. */
    b->cur = xrealloc(NULL, (3 * n + 1) * sizeof(*b->cur));
    b->changed = calloc(3 * n + 1, 1);
    if (!b->changed)
        die("out of memory");
    groups_init(&b->seen_rd);
    groups_init(&b->first_rd);
    groups_init(&b->seen_wr);
    groups_init(&b->first_wr);
    groups_init(&b->hll);
}

static void batch_free(batch_t *b)
{
    fs_strmap_destroy(b->ids);
    fs_strmap_destroy(b->firsts);
    free(b->cur);
    free(b->changed);
    groups_free(&b->seen_rd);
    groups_free(&b->first_rd);
    groups_free(&b->seen_wr);
    groups_free(&b->first_wr);
    groups_free(&b->hll);
    fs_strmap_destroy(b->cnt.index);
    free(b->cnt.delta);
}

/* Pure: marks copies inside the batch and groups what must be read — each
 * distinct id under its day, each distinct (stage, person) under its stage. */
static void plan_reads(const floor_t *f, batch_t *b, item_t *it, size_t n)
{
    char key[TEXT_MAX], sp[TEXT_MAX];
    for (size_t i = 0; i < n; i++) {
        if (fs_strmap_get(b->ids, it[i].ev.event_id)) {
            it[i].dup = 1;
            continue;
        }
        if (fs_strmap_put(b->ids, it[i].ev.event_id, &it[i]) != FS_OK)
            die("out of memory");
        char d[11];
        fs_day_format(it[i].day, d);
        fmt(key, "%s:f:seen:%s", f->ns, d);
        argv_pushs(group(&b->seen_rd, key), it[i].ev.event_id);
        if (it[i].stage == FS_STAGE_NONE || f->dedup_only || f->blind)
            continue;
        const char *sn = fs_stage_name(it[i].stage);
        fmt(sp, "%s\x1f%s", sn, it[i].person);
        if (fs_strmap_get(b->firsts, sp))
            continue;
        if (fs_strmap_put(b->firsts, sp, (void *)(uintptr_t)++b->nslot) != FS_OK)
            die("out of memory");
        fmt(key, "%s:f:first:%s", f->ns, sn);
        argv_pushs(group(&b->first_rd, key), it[i].person);
    }
}

static void send_argv(floor_t *f, const argv_t *a)
{
    if (redisAppendCommandArgv(f->c, (int)a->n, a->v, a->len) != REDIS_OK)
        die("redis: %s", f->c->errstr);
    f->commands++;
}

/* The next reply; dies on a connection error or an error reply. */
static redisReply *reply(floor_t *f)
{
    void *r = NULL;
    if (redisGetReply(f->c, &r) != REDIS_OK || !r)
        die("redis: %s", f->c->errstr);
    if (((redisReply *)r)->type == REDIS_REPLY_ERROR)
        die("redis: %s", ((redisReply *)r)->str);
    return r;
}

/* Reads the replies of the apply sent last (MULTI, QUEUED…, EXEC). */
static void drain_inflight(floor_t *f)
{
    for (size_t i = 0; i < f->inflight_replies; i++) {
        redisReply *r = reply(f);
        for (size_t k = 0; r->type == REDIS_REPLY_ARRAY && k < r->elements; k++)
            if (r->element[k]->type == REDIS_REPLY_ERROR)
                die("EXEC: %s", r->element[k]->str);
        freeReplyObject(r);
    }
    f->inflight_replies = 0;
}

/* Sends CMD key [opt] args… in commands of at most CHUNK arguments; @p step
 * arguments make one element, which a command never splits. */
static void send_grouped(floor_t *f, const char *cmd, const char *key, const char *opt,
                         const argv_t *args, size_t step)
{
    argv_t a = {0};
    for (size_t i = 0; i < args->n;) {
        a.n = 0;
        argv_pushs(&a, cmd);
        argv_pushs(&a, key);
        if (opt)
            argv_pushs(&a, opt);
        for (size_t k = 0; k < CHUNK && i < args->n; k += step, i += step)
            for (size_t s = 0; s < step; s++)
                argv_push(&a, args->v[i + s], args->len[i + s], 0);
        send_argv(f, &a);
    }
    argv_free(&a);
}

/* The HMGET replies of @p g, element by element: @p fn(i-th argument, value
 * or NULL). */
static void read_grouped(floor_t *f, const groups_t *g,
                         void (*fn)(batch_t *, const char *, const char *, const char *),
                         batch_t *b)
{
    for (size_t k = 0; k < g->n; k++)
        for (size_t i = 0; i < g->args[k].n;) {
            redisReply *r = reply(f);
            size_t want = g->args[k].n - i < CHUNK ? g->args[k].n - i : CHUNK;
            if (r->type != REDIS_REPLY_ARRAY || r->elements != want)
                die("HMGET %s: unexpected reply", g->key[k]);
            for (size_t e = 0; e < r->elements; e++, i++)
                fn(b, g->key[k], g->args[k].v[i],
                   r->element[e]->type == REDIS_REPLY_STRING ? r->element[e]->str : NULL);
            freeReplyObject(r);
        }
}

static void on_seen(batch_t *b, const char *key, const char *id, const char *val)
{
    (void)key;
    if (val)
        ((item_t *)fs_strmap_get(b->ids, id))->seen = 1;
}

static void on_first(batch_t *b, const char *key, const char *person, const char *val)
{
    char sp[TEXT_MAX];
    fmt(sp, "%s\x1f%s", strrchr(key, ':') + 1, person);
    uintptr_t slot = (uintptr_t)fs_strmap_get(b->firsts, sp);
    b->cur[slot - 1] = val ? strtoll(val, NULL, 10) : -1;
}

/* Sends the batch's reads after the previous apply (Redis runs them in
 * order, so they see its writes), then reads both. */
static void read_state(floor_t *f, batch_t *b)
{
    for (size_t k = 0; k < b->seen_rd.n; k++)
        send_grouped(f, "HMGET", b->seen_rd.key[k], NULL, &b->seen_rd.args[k], 1);
    for (size_t k = 0; k < b->first_rd.n; k++)
        send_grouped(f, "HMGET", b->first_rd.key[k], NULL, &b->first_rd.args[k], 1);
    drain_inflight(f);
    read_grouped(f, &b->seen_rd, on_seen, b);
    read_grouped(f, &b->first_rd, on_first, b);
}

/* --blind: keeps the batch's earliest time of @p x's person in the sorted
 * set of @p sn (and of its channel or campaign when @p dim is "c" or "k"),
 * to be written with ZADD LT without reading it: users per day are then
 * counted by the reader (ZCOUNT over the day).  Pure. */
static void blind_first(floor_t *f, batch_t *b, const char *sn, const char *dim,
                        const char *val, const item_t *x)
{
    char key[TEXT_MAX];
    if (dim)
        fmt(key, "%s:f:first:%s:%s:%s\x1f%s", f->ns, sn, dim, val ? val : "(none)",
            x->person);
    else
        fmt(key, "%s:f:first:%s\x1f%s", f->ns, sn, x->person);
    uintptr_t slot = (uintptr_t)fs_strmap_get(b->firsts, key);
    if (!slot) {
        slot = ++b->nslot;
        if (fs_strmap_put(b->firsts, key, (void *)slot) != FS_OK)
            die("out of memory");
        b->cur[slot - 1] = x->ev.occurred_at_ms;
    } else if (x->ev.occurred_at_ms < b->cur[slot - 1]) {
        b->cur[slot - 1] = x->ev.occurred_at_ms;
    }
    b->changed[slot - 1] = 1;
}

/* Pure: from the batch and the state read, every write — new ids, counts,
 * user moves, first-reach times that moved, HyperLogLog members. */
static void plan_writes(floor_t *f, batch_t *b, const item_t *it, size_t n)
{
    char key[TEXT_MAX], field[TEXT_MAX], d[11], od[11];
    for (size_t i = 0; i < n; i++) {
        const item_t *x = &it[i];
        if (x->dup || x->seen)
            continue;
        f->distinct++;
        fs_day_format(x->day, d);
        fmt(key, "%s:f:seen:%s", f->ns, d);
        argv_t *sw = group(&b->seen_wr, key);
        argv_pushs(sw, x->ev.event_id);
        argv_pushs(sw, "1");
        if (x->stage == FS_STAGE_NONE || f->dedup_only) /* identity counts nowhere */
            continue;
        f->staged++;
        const char *sn = fs_stage_name(x->stage);
        fmt(key, "%s:f:events:%s", f->ns, d);
        fmt(field, "t:%s", x->ev.type);
        count(&b->cnt, key, field, 1);
        fmt(field, "s:%s", sn);
        count(&b->cnt, key, field, 1);
        fmt(field, "sc:%s:%s", sn, x->ev.channel ? x->ev.channel : "(none)");
        count(&b->cnt, key, field, 1);
        fmt(field, "sk:%s:%s", sn, x->ev.campaign ? x->ev.campaign : "(none)");
        count(&b->cnt, key, field, 1);

        fmt(key, "%s:f:hll:%s:%s\x1f%s", f->ns, sn, d, x->person);
        if (!fs_strmap_get(f->hll_added, key)) {
            if (fs_strmap_put(f->hll_added, key, (void *)1) != FS_OK)
                die("out of memory");
            *strchr(key, '\x1f') = '\0';
            argv_pushs(group(&b->hll, key), x->person);
            f->hll++;
        }

        if (f->blind) {
            blind_first(f, b, sn, NULL, NULL, x);
            blind_first(f, b, sn, "c", x->ev.channel, x);
            blind_first(f, b, sn, "k", x->ev.campaign, x);
            continue;
        }
        fmt(key, "%s\x1f%s", sn, x->person);
        uintptr_t slot = (uintptr_t)fs_strmap_get(b->firsts, key);
        int64_t *c = &b->cur[slot - 1];
        if (*c >= 0 && *c <= x->ev.occurred_at_ms)
            continue;
        fmt(field, "s:%s", sn);
        if (*c >= 0) {
            fs_day_format(fs_day_from_ms(*c), od);
            fmt(key, "%s:f:users:%s", f->ns, od);
            count(&b->cnt, key, field, -1);
        }
        fmt(key, "%s:f:users:%s", f->ns, d);
        count(&b->cnt, key, field, 1);
        *c = x->ev.occurred_at_ms;
        b->changed[slot - 1] = 1;
    }
    /* The moved first-reach times, their final value once each. */
    size_t pos = 0;
    const char *k;
    void *v;
    while (fs_strmap_next(b->firsts, &pos, &k, &v)) {
        uintptr_t slot = (uintptr_t)v;
        if (!b->changed[slot - 1])
            continue;
        const char *sep = strchr(k, '\x1f');
        fmt(field, "%" PRId64, b->cur[slot - 1]);
        if (f->blind) { /* k is "<sorted set>\x1f<person>": ZADD LT score member */
            uintptr_t sent = (uintptr_t)fs_strmap_get(f->blind_sent, k);
            if (sent && (int64_t)(sent - 1) <= b->cur[slot - 1])
                continue;
            if (fs_strmap_put(f->blind_sent, k,
                              (void *)(uintptr_t)(b->cur[slot - 1] + 1)) != FS_OK)
                die("out of memory");
            fmt(key, "%.*s", (int)(sep - k), k);
            argv_t *fw = group(&b->first_wr, key);
            argv_pushdup(fw, field);
            argv_pushs(fw, sep + 1);
        } else { /* k is "<stage>\x1f<person>": HSET field value */
            fmt(key, "%s:f:first:%.*s", f->ns, (int)(sep - k), k);
            argv_t *fw = group(&b->first_wr, key);
            argv_pushs(fw, sep + 1);
            argv_pushdup(fw, field);
        }
        f->firsts++;
    }
}

/* Sends the writes as one MULTI/EXEC without waiting for its replies. */
static void send_writes(floor_t *f, batch_t *b)
{
    char buf[TEXT_MAX];
    size_t before = f->commands;
    argv_t a = {0};
    argv_pushs(&a, "MULTI");
    send_argv(f, &a);
    for (size_t g = 0; g < b->seen_wr.n; g++) {
        send_grouped(f, "HSET", b->seen_wr.key[g], NULL, &b->seen_wr.args[g], 2);
        argv_reset(&a);
        argv_pushs(&a, "EXPIRE");
        argv_pushs(&a, b->seen_wr.key[g]);
        argv_pushs(&a, SEEN_TTL_S);
        send_argv(f, &a);
    }
    for (size_t g = 0; g < b->first_wr.n; g++)
        send_grouped(f, f->blind ? "ZADD" : "HSET", b->first_wr.key[g],
                     f->blind ? "LT" : NULL, &b->first_wr.args[g], 2);
    size_t pos = 0;
    const char *k;
    void *v;
    while (fs_strmap_next(b->cnt.index, &pos, &k, &v)) {
        int64_t delta = b->cnt.delta[(uintptr_t)v - 1];
        if (!delta)
            continue;
        const char *sep = strchr(k, '\x1f');
        argv_reset(&a);
        argv_pushs(&a, "HINCRBY");
        argv_push(&a, k, (size_t)(sep - k), 0);
        argv_pushs(&a, sep + 1);
        fmt(buf, "%" PRId64, delta);
        argv_pushdup(&a, buf);
        send_argv(f, &a);
    }
    for (size_t g = 0; g < b->hll.n; g++)
        send_grouped(f, "PFADD", b->hll.key[g], NULL, &b->hll.args[g], 1);
    for (int p = 0; p < f->npart; p++)
        if (f->offsets[p] >= 0) {
            argv_reset(&a);
            argv_pushs(&a, "HSET");
            fmt(buf, "%s:f:offsets", f->ns);
            argv_pushdup(&a, buf);
            fmt(buf, "%d", p);
            argv_pushdup(&a, buf);
            fmt(buf, "%" PRId64, f->offsets[p]);
            argv_pushdup(&a, buf);
            send_argv(f, &a);
        }
    argv_reset(&a);
    argv_pushs(&a, "EXEC");
    send_argv(f, &a);
    argv_free(&a);
    int done = 0;
    while (!done)
        if (redisBufferWrite(f->c, &done) != REDIS_OK)
            die("redis: %s", f->c->errstr);
    f->inflight_replies = f->commands - before;
    f->batches++;
}

static void apply_batch(floor_t *f, item_t *it, size_t n)
{
    batch_t b;
    batch_init(&b, n);
    plan_reads(f, &b, it, n);
    read_state(f, &b);
    plan_writes(f, &b, it, n);
    send_writes(f, &b);
    batch_free(&b);
}

/* ------------------------------------------------------------- main ---- */

static void usage(void)
{
    fprintf(stderr,
            "usage: fs-bench-floor --max N [--batch B] [--namespace NS] "
            "[--no-redis | --no-decode | --dedup-only | --blind] [-X prop=value]...\n");
    exit(2);
}

/* Decodes @p m into @p x; 0 when it names a person and a known type. */
static int take(floor_t *f, const rd_kafka_message_t *m, item_t *x)
{
    char err[512];
    memset(x, 0, sizeof(*x));
    if (fs_codec_decode_event(f->codec, m->payload, m->len, &x->ev, err, sizeof(err)) !=
        FS_OK)
        return -1;
    const fs_event_type_t *et = fs_definition_lookup(f->def, x->ev.type);
    if (!et || !(x->person = fs_event_key(&x->ev)))
        return -1; /* funnel-worker dead-letters these */
    x->stage = (int)et->stage;
    x->day = fs_day_from_ms(x->ev.occurred_at_ms);
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t max = 0;
    size_t batch = 2000;
    int use_redis = 1, decode = 1;
    const char *xs[16]; /* -X prop=value, passed to librdkafka */
    size_t nx = 0;
    floor_t f;
    memset(&f, 0, sizeof(f));
    f.ns = fsb_env_or("FUNNEL_NAMESPACE", "floor");
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--no-redis"))
            use_redis = 0;
        else if (!strcmp(argv[i], "--no-decode"))
            use_redis = decode = 0;
        else if (!strcmp(argv[i], "--dedup-only"))
            f.dedup_only = 1;
        else if (!strcmp(argv[i], "--blind"))
            f.blind = 1;
        else if (i + 1 >= argc)
            usage();
        else if (!strcmp(argv[i], "--max"))
            max = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--batch"))
            batch = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--namespace"))
            f.ns = argv[++i];
        else if (!strcmp(argv[i], "-X") && nx < sizeof(xs) / sizeof(xs[0]))
            xs[nx++] = argv[++i];
        else
            usage();
    }
    if (!max || !batch || batch > 100000 || strlen(f.ns) > 100)
        usage();
    const char *brokers = fsb_env_or("FUNNEL_KAFKA_BROKERS", "localhost:9092");
    const char *topic = fsb_env_or("FUNNEL_TOPIC", "journey.events");
    const char *url = fsb_env_or("FUNNEL_REDIS_URL", "redis://127.0.0.1:6379/0");
    char err[512];
    int rc = 1, bad_conf = 0;
    rd_kafka_t *rk = NULL;
    rd_kafka_queue_t *q = NULL;
    rd_kafka_message_t **msgs = calloc(batch, sizeof(*msgs));
    item_t *items = calloc(batch, sizeof(*items));
    if (!msgs || !items || !(f.hll_added = fs_strmap_new()) ||
        !(f.blind_sent = fs_strmap_new()))
        goto out;
    if (!(f.codec = fs_codec_new(NULL, err, sizeof(err))) ||
        !(f.def = fs_definition_new_default(err, sizeof(err)))) {
        fprintf(stderr, "fs-bench-floor: %s\n", err);
        goto out;
    }
    if (use_redis && !(f.c = fsb_redis_open("fs-bench-floor", url)))
        goto out;
    if (!(rk = fsb_kafka_open("fs-bench-floor", brokers, topic, xs, nx, &f.npart,
                              &bad_conf))) {
        rc = bad_conf ? 2 : 1;
        goto out;
    }
    if (f.npart > (int)(sizeof(f.offsets) / sizeof(f.offsets[0]))) {
        fprintf(stderr, "fs-bench-floor: %s has more than %zu partitions\n", topic,
                sizeof(f.offsets) / sizeof(f.offsets[0]));
        goto out;
    }
    if (!(q = rd_kafka_queue_get_consumer(rk)))
        goto out;

    uint64_t n = 0;
    double t0 = 0;
    int idle = 0;
    while (n < max) {
        size_t want = batch < max - n ? batch : (size_t)(max - n), got = 0, ni = 0;
        for (int p = 0; p < f.npart; p++)
            f.offsets[p] = -1;
        while (got < want) {
            ssize_t r =
                rd_kafka_consume_batch_queue(q, got ? 10 : 1000, msgs + got, want - got);
            if (r < 0) {
                fprintf(stderr, "fs-bench-floor: consume: %s\n",
                        rd_kafka_err2str(rd_kafka_last_error()));
                for (size_t i = 0; i < got; i++)
                    rd_kafka_message_destroy(msgs[i]);
                goto out;
            }
            if (r == 0 && got)
                break;
            if (r == 0 && ++idle >= IDLE_POLLS) {
                fprintf(stderr,
                        "fs-bench-floor: no message for %d s after %" PRIu64
                        " of %" PRIu64 "\n",
                        IDLE_POLLS, n, max);
                goto out;
            }
            if (r > 0)
                idle = 0;
            got += (size_t)r;
        }
        for (size_t i = 0; i < got; i++) {
            rd_kafka_message_t *m = msgs[i];
            if (!m->err) {
                if (n == 0)
                    t0 = fsb_mono_s(); /* from the first message: excludes set-up */
                n++;
                if (m->partition >= 0 && m->partition < f.npart)
                    f.offsets[m->partition] = m->offset;
                if (decode && take(&f, m, &items[ni]) == 0)
                    ni++;
                else if (decode) {
                    fs_event_clear(&items[ni].ev);
                    f.skipped++;
                }
            }
            rd_kafka_message_destroy(m);
        }
        if (use_redis && ni)
            apply_batch(&f, items, ni);
        else
            f.distinct += ni;
        for (size_t i = 0; i < ni; i++)
            fs_event_clear(&items[i].ev);
    }
    if (use_redis)
        drain_inflight(&f); /* the last apply is in Redis before the clock stops */
    double secs = fsb_mono_s() - t0;
    fprintf(stderr,
            "fs-bench-floor: %" PRIu64 " messages (%" PRIu64 " skipped), %" PRIu64
            " distinct, %" PRIu64 " batches, %" PRIu64
            " commands in %.2f s: %.0f events/s\n",
            n, f.skipped, f.distinct, f.batches, f.commands, secs, (double)n / secs);
    printf("floor: messages=%" PRIu64 " distinct=%" PRIu64
           " seconds=%.3f events_per_s=%.0f"
           " commands=%" PRIu64 " batches=%" PRIu64 " staged=%" PRIu64 " firsts=%" PRIu64
           " hll=%" PRIu64 " skipped=%" PRIu64 "\n",
           n, f.distinct, secs, (double)n / secs, f.commands, f.batches, f.staged,
           f.firsts, f.hll, f.skipped);
    rc = 0;
out:
    free(msgs);
    free(items);
    if (q)
        rd_kafka_queue_destroy(q);
    if (rk) {
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
    }
    if (f.c)
        redisFree(f.c);
    fs_strmap_destroy(f.hll_added);
    fs_strmap_destroy(f.blind_sent);
    fs_definition_destroy(f.def);
    fs_codec_destroy(f.codec);
    return rc;
}
