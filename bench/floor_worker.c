/*
 * floor_worker.c — fs-bench-floor: how fast ANY worker could be on this box
 * that keeps the shared state in Redis (bench/worker_floor,
 * docs/BENCHMARKS.md "Worker floor").
 *
 * It does a strict subset of what funnel-worker must do per batch, each part
 * in the cheapest form Redis offers, so its rate bounds every design that
 * keeps de-duplication marks, first-reach times and aggregates in Redis:
 *
 *   read   one pipelined round trip: HMGET of the batch's event_ids in one
 *          hash per day (global de-duplication, SPEC §6: the first copy
 *          processed wins, whatever its partition), and ZMSCORE of each
 *          event's raw person (user_id, else anonymous_id) in one sorted set
 *          per stage (the earliest time per person and stage, SPEC §6 users);
 *   apply  one MULTI/EXEC (no Lua): HSET of the new ids per day, ZADD LT of
 *          the new first-reach times, one HINCRBY per distinct (key, field)
 *          of event and user counts pre-aggregated in the process (a user
 *          moving to an earlier day is -1 on the old day, +1 on the new),
 *          PFADD per (stage, day) and the partitions' offsets.
 *
 * Left out, though the real worker needs them (each would only lower this
 * rate): identity stitching (persons are raw ids), attribution, fencing
 * epochs and any check that another worker changed what was read, the
 * consumer group, dead letters, TTLs other than the de-duplication hashes'.
 * Kafka is read by explicit assignment of every partition from the
 * beginning, with rd_kafka_consume_batch_queue; records are decoded with our
 * codec (funnel-worker's decoder).  The apply of batch N runs in Redis while
 * batch N+1 is read from Kafka and decoded.
 *
 *   fs-bench-floor --max N [--batch B] [--namespace NS]
 *                  [--no-redis | --no-decode | --dedup-only] [-X prop=value]...
 *
 * --no-redis: consume and decode only (the consumer side's own ceiling);
 * --no-decode: consume only; --dedup-only: of the Redis work, only the
 * de-duplication marks (HMGET, HSET) and the offsets — the part the issue
 * requires per event whatever else a design keeps in memory.
 * Environment: FUNNEL_KAFKA_BROKERS, FUNNEL_TOPIC, FUNNEL_REDIS_URL
 * (redis://host:port[/db], no password), FUNNEL_NAMESPACE.
 * stdout: "floor: messages=.. distinct=.. seconds=.. events_per_s=..
 *          commands=.. batches=.. staged=.. firsts=.." (staged: distinct
 *          events of a stage; firsts: first-reach times written).
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

#define SEEN_TTL_S "777600" /* 9 days */
#define CHUNK 1000          /* arguments per grouped command */

/* A growable argv of borrowed or owned strings (owned when own[i]). */
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
        a->v = realloc(a->v, a->cap * sizeof(*a->v));
        a->len = realloc(a->len, a->cap * sizeof(*a->len));
        a->own = realloc(a->own, a->cap);
        if (!a->v || !a->len || !a->own) {
            fprintf(stderr, "fs-bench-floor: out of memory\n");
            exit(1);
        }
    }
    a->v[a->n] = s;
    a->len[a->n] = len;
    a->own[a->n] = (char)owned;
    a->n++;
}

static void argv_pushs(argv_t *a, const char *s)
{
    argv_push(a, s, strlen(s), 0);
}

static void argv_pushf(argv_t *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void argv_pushf(argv_t *a, const char *fmt, ...)
{
    char buf[600];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(buf)) {
        fprintf(stderr, "fs-bench-floor: argument too long\n");
        exit(1);
    }
    char *s = strdup(buf);
    if (!s)
        exit(1);
    argv_push(a, s, (size_t)n, 1);
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
}

/* Groups: one grouped command's key and its arguments, found by key. */
typedef struct groups {
    fs_strmap_t *index; /* key → slot + 1 */
    size_t n, cap;
    char **key;
    argv_t *args;
} groups_t;

static argv_t *group(groups_t *g, const char *key)
{
    uintptr_t slot = (uintptr_t)fs_strmap_get(g->index, key);
    if (slot)
        return &g->args[slot - 1];
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 16;
        g->key = realloc(g->key, g->cap * sizeof(*g->key));
        g->args = realloc(g->args, g->cap * sizeof(*g->args));
        if (!g->key || !g->args)
            exit(1);
    }
    g->key[g->n] = strdup(key);
    memset(&g->args[g->n], 0, sizeof(argv_t));
    if (!g->key[g->n] ||
        fs_strmap_put(g->index, key, (void *)(uintptr_t)(g->n + 1)) != FS_OK)
        exit(1);
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

static void groups_init(groups_t *g)
{
    memset(g, 0, sizeof(*g));
    if (!(g->index = fs_strmap_new()))
        exit(1);
}

/* Counters: "key\x1ffield" → delta (in a parallel array). */
typedef struct counters {
    fs_strmap_t *index; /* composite → slot + 1 */
    size_t n, cap;
    int64_t *delta;
} counters_t;

static void count(counters_t *c, const char *key, const char *field, int64_t d)
{
    char comp[600];
    snprintf(comp, sizeof(comp), "%s\x1f%s", key, field);
    uintptr_t slot = (uintptr_t)fs_strmap_get(c->index, comp);
    if (!slot) {
        if (c->n == c->cap) {
            c->cap = c->cap ? c->cap * 2 : 256;
            if (!(c->delta = realloc(c->delta, c->cap * sizeof(*c->delta))))
                exit(1);
        }
        c->delta[c->n] = 0;
        slot = ++c->n;
        if (fs_strmap_put(c->index, comp, (void *)slot) != FS_OK)
            exit(1);
    }
    c->delta[slot - 1] += d;
}

typedef struct item {
    fs_event_t ev;
    int64_t day;
    int stage; /* FS_STAGE_NONE when none */
    int dup;   /* a copy earlier in this batch */
    int seen;  /* already in Redis */
} item_t;

typedef struct floor_s {
    const char *ns;
    redisContext *c;
    fs_codec_t *codec;
    fs_definition_t *def;
    int64_t offsets[1024]; /* per partition: last offset in the batch, -1 none */
    int npart;
    int inflight; /* an apply (MULTI … EXEC) whose replies are unread */
    size_t inflight_replies;
    int dedup_only; /* --dedup-only: no first-reach times, counts or HLLs */
    uint64_t commands, distinct, batches;
    uint64_t firsts, staged; /* first-reach times written; distinct stage events */
} floor_t;

static void send_argv(floor_t *f, argv_t *a)
{
    if (redisAppendCommandArgv(f->c, (int)a->n, a->v, a->len) != REDIS_OK) {
        fprintf(stderr, "fs-bench-floor: redis: %s\n", f->c->errstr);
        exit(1);
    }
    f->commands++;
}

static redisReply *reply(floor_t *f)
{
    void *r = NULL;
    if (redisGetReply(f->c, &r) != REDIS_OK || !r) {
        fprintf(stderr, "fs-bench-floor: redis: %s\n", f->c->errstr);
        exit(1);
    }
    if (((redisReply *)r)->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "fs-bench-floor: redis: %s\n", ((redisReply *)r)->str);
        exit(1);
    }
    return r;
}

static void drain_inflight(floor_t *f)
{
    for (size_t i = 0; i < f->inflight_replies; i++) {
        redisReply *r = reply(f);
        for (size_t k = 0; r->type == REDIS_REPLY_ARRAY && k < r->elements; k++)
            if (r->element[k]->type == REDIS_REPLY_ERROR) {
                fprintf(stderr, "fs-bench-floor: EXEC: %s\n", r->element[k]->str);
                exit(1);
            }
        freeReplyObject(r);
    }
    f->inflight = 0;
    f->inflight_replies = 0;
}

/* Sends KEYCMD key args… in chunks of CHUNK arguments (step: arguments per
 * element, which a chunk never splits).  Returns the commands sent. */
static size_t send_grouped(floor_t *f, const char *cmd, const char *key, const char *opt,
                           argv_t *args, size_t step)
{
    size_t sent = 0;
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
        sent++;
    }
    argv_free(&a);
    return sent;
}

static void apply_batch(floor_t *f, item_t *it, size_t n)
{
    groups_t seen_rd, first_rd;
    groups_init(&seen_rd);
    groups_init(&first_rd);
    char key[600];
    /* De-duplicate inside the batch; group the reads. */
    fs_strmap_t *ids = fs_strmap_new();
    if (!ids)
        exit(1);
    for (size_t i = 0; i < n; i++) {
        if (fs_strmap_get(ids, it[i].ev.event_id)) {
            it[i].dup = 1;
            continue;
        }
        if (fs_strmap_put(ids, it[i].ev.event_id, &it[i]) != FS_OK)
            exit(1);
        char d[11];
        fs_day_format(it[i].day, d);
        snprintf(key, sizeof(key), "%s:f:seen:%s", f->ns, d);
        argv_pushs(group(&seen_rd, key), it[i].ev.event_id);
        if (it[i].stage != FS_STAGE_NONE && !f->dedup_only) {
            snprintf(key, sizeof(key), "%s:f:first:%s", f->ns,
                     fs_stage_name(it[i].stage));
            argv_pushs(group(&first_rd, key), fs_event_key(&it[i].ev));
        }
    }
    /* The previous apply was sent before these reads: Redis runs it first. */
    size_t nseen = 0, nfirst = 0;
    for (size_t g = 0; g < seen_rd.n; g++)
        nseen += send_grouped(f, "HMGET", seen_rd.key[g], NULL, &seen_rd.args[g], 1);
    for (size_t g = 0; g < first_rd.n; g++)
        nfirst += send_grouped(f, "ZMSCORE", first_rd.key[g], NULL, &first_rd.args[g], 1);
    drain_inflight(f);

    /* Read replies: seen flags in the groups' order; first-reach times into
     * a map "stage\x1fperson" → current earliest (boxed int64, -1 none). */
    fs_strmap_t *first = fs_strmap_new();
    if (!first)
        exit(1);
    size_t ncur = 0, capcur = n + 1;
    int64_t *cur = malloc(capcur * sizeof(*cur));
    char *changed = calloc(capcur, 1);
    if (!cur || !changed)
        exit(1);
    for (size_t g = 0; g < seen_rd.n; g++)
        for (size_t i = 0; i < seen_rd.args[g].n;) {
            redisReply *r = reply(f);
            for (size_t k = 0; k < r->elements; k++, i++)
                if (r->element[k]->type != REDIS_REPLY_NIL) {
                    item_t *x = fs_strmap_get(ids, seen_rd.args[g].v[i]);
                    x->seen = 1;
                }
            freeReplyObject(r);
        }
    for (size_t g = 0; g < first_rd.n; g++) {
        const char *stage = strrchr(first_rd.key[g], ':') + 1;
        for (size_t i = 0; i < first_rd.args[g].n;) {
            redisReply *r = reply(f);
            for (size_t k = 0; k < r->elements; k++, i++) {
                snprintf(key, sizeof(key), "%s\x1f%s", stage, first_rd.args[g].v[i]);
                if (fs_strmap_get(first, key))
                    continue;
                cur[ncur] = r->element[k]->type == REDIS_REPLY_NIL
                                ? -1
                                : (int64_t)strtod(r->element[k]->str, NULL);
                if (fs_strmap_put(first, key, (void *)(uintptr_t)(++ncur)) != FS_OK)
                    exit(1);
            }
            freeReplyObject(r);
        }
    }
    (void)nseen;
    (void)nfirst;

    /* Compute: counts, user moves, new first times, HLL members. */
    counters_t cnt = {0};
    if (!(cnt.index = fs_strmap_new()))
        exit(1);
    groups_t seen_wr, first_wr, hll;
    groups_init(&seen_wr);
    groups_init(&first_wr);
    groups_init(&hll);
    char d[11], od[11], ev_key[600];
    for (size_t i = 0; i < n; i++) {
        item_t *x = &it[i];
        if (x->dup || x->seen)
            continue;
        f->distinct++;
        fs_day_format(x->day, d);
        snprintf(key, sizeof(key), "%s:f:seen:%s", f->ns, d);
        argv_t *sw = group(&seen_wr, key);
        argv_pushs(sw, x->ev.event_id);
        argv_pushs(sw, "1");
        snprintf(ev_key, sizeof(ev_key), "%s:f:events:%s", f->ns, d);
        if (x->stage == FS_STAGE_NONE ||
            f->dedup_only) /* identity events count nowhere */
            continue;
        char field[300];
        snprintf(field, sizeof(field), "t:%s", x->ev.type);
        count(&cnt, ev_key, field, 1);
        const char *sn = fs_stage_name(x->stage);
        snprintf(field, sizeof(field), "s:%s", sn);
        count(&cnt, ev_key, field, 1);
        snprintf(field, sizeof(field), "sc:%s:%s", sn,
                 x->ev.channel ? x->ev.channel : "(none)");
        count(&cnt, ev_key, field, 1);
        snprintf(field, sizeof(field), "sk:%s:%s", sn,
                 x->ev.campaign ? x->ev.campaign : "(none)");
        count(&cnt, ev_key, field, 1);
        const char *person = fs_event_key(&x->ev);
        snprintf(key, sizeof(key), "%s:f:hll:%s:%s", f->ns, sn, d);
        argv_pushs(group(&hll, key), person);
        f->staged++;
        snprintf(key, sizeof(key), "%s\x1f%s", sn, person);
        uintptr_t slot = (uintptr_t)fs_strmap_get(first, key);
        int64_t *c = &cur[slot - 1];
        if (*c >= 0 && *c <= x->ev.occurred_at_ms)
            continue;
        snprintf(field, sizeof(field), "s:%s", sn);
        if (*c >= 0) {
            fs_day_format(fs_day_from_ms(*c), od);
            snprintf(ev_key, sizeof(ev_key), "%s:f:users:%s", f->ns, od);
            count(&cnt, ev_key, field, -1);
        }
        snprintf(ev_key, sizeof(ev_key), "%s:f:users:%s", f->ns, d);
        count(&cnt, ev_key, field, 1);
        *c = x->ev.occurred_at_ms;
        changed[slot - 1] = 1;
    }
    /* The final earliest times, one ZADD LT member each. */
    size_t pos = 0;
    const char *k;
    void *v;
    while (fs_strmap_next(first, &pos, &k, &v)) {
        if (!changed[(uintptr_t)v - 1])
            continue;
        const char *sep = strchr(k, '\x1f');
        snprintf(key, sizeof(key), "%s:f:first:%.*s", f->ns, (int)(sep - k), k);
        argv_t *fw = group(&first_wr, key);
        argv_pushf(fw, "%" PRId64, cur[(uintptr_t)v - 1]);
        f->firsts++;
        argv_pushs(fw, sep + 1);
    }

    /* Apply: one MULTI/EXEC, replies read after the next batch's reads. */
    size_t before = f->commands;
    argv_t a = {0};
    argv_pushs(&a, "MULTI");
    send_argv(f, &a);
    for (size_t g = 0; g < seen_wr.n; g++) {
        send_grouped(f, "HSET", seen_wr.key[g], NULL, &seen_wr.args[g], 2);
        a.n = 0;
        argv_pushs(&a, "EXPIRE");
        argv_pushs(&a, seen_wr.key[g]);
        argv_pushs(&a, SEEN_TTL_S);
        send_argv(f, &a);
    }
    for (size_t g = 0; g < first_wr.n; g++)
        send_grouped(f, "ZADD", first_wr.key[g], "LT", &first_wr.args[g], 2);
    pos = 0;
    while (fs_strmap_next(cnt.index, &pos, &k, &v)) {
        int64_t delta = cnt.delta[(uintptr_t)v - 1];
        if (!delta)
            continue;
        const char *sep = strchr(k, '\x1f');
        argv_reset(&a);
        argv_pushs(&a, "HINCRBY");
        argv_push(&a, k, (size_t)(sep - k), 0);
        argv_pushs(&a, sep + 1);
        argv_pushf(&a, "%" PRId64, delta);
        send_argv(f, &a);
    }
    for (size_t g = 0; g < hll.n; g++)
        send_grouped(f, "PFADD", hll.key[g], NULL, &hll.args[g], 1);
    for (int p = 0; p < f->npart; p++)
        if (f->offsets[p] >= 0) {
            argv_reset(&a);
            argv_pushs(&a, "HSET");
            argv_pushf(&a, "%s:f:offsets", f->ns);
            argv_pushf(&a, "%d", p);
            argv_pushf(&a, "%" PRId64, f->offsets[p]);
            send_argv(f, &a);
        }
    argv_reset(&a);
    argv_pushs(&a, "EXEC");
    send_argv(f, &a);
    argv_free(&a);
    if (redisBufferWrite(f->c, &(int){0}) != REDIS_OK) {
        fprintf(stderr, "fs-bench-floor: redis: %s\n", f->c->errstr);
        exit(1);
    }
    f->inflight = 1;
    f->inflight_replies = f->commands - before;
    f->batches++;

    groups_free(&seen_rd);
    groups_free(&first_rd);
    groups_free(&seen_wr);
    groups_free(&first_wr);
    groups_free(&hll);
    fs_strmap_destroy(cnt.index);
    free(cnt.delta);
    fs_strmap_destroy(first);
    fs_strmap_destroy(ids);
    free(cur);
    free(changed);
}

static void usage(void)
{
    fprintf(stderr, "usage: fs-bench-floor --max N [--batch B] [--namespace NS] "
                    "[--no-redis | --no-decode | --dedup-only] [-X prop=value]...\n");
    exit(2);
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
    if (!max || !batch || batch > 100000)
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
    if (!msgs || !items)
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

    uint64_t n = 0, bad = 0;
    double t0 = 0;
    while (n < max) {
        size_t want = batch < max - n ? batch : (size_t)(max - n), got = 0, ni = 0;
        for (int p = 0; p < f.npart; p++)
            f.offsets[p] = -1;
        while (got < want) {
            ssize_t r =
                rd_kafka_consume_batch_queue(q, got ? 10 : 1000, msgs + got, want - got);
            if (r < 0) {
                fprintf(stderr, "fs-bench-floor: consume failed\n");
                goto out;
            }
            if (r == 0 && got)
                break;
            got += (size_t)r;
        }
        for (size_t i = 0; i < got; i++) {
            rd_kafka_message_t *m = msgs[i];
            if (m->err) {
                rd_kafka_message_destroy(m);
                continue;
            }
            if (n == 0)
                t0 = fsb_mono_s(); /* from the first message: excludes set-up */
            n++;
            if (m->partition >= 0 && m->partition < f.npart)
                f.offsets[m->partition] = m->offset;
            item_t *x = &items[ni];
            memset(x, 0, sizeof(*x));
            if (!decode) {
                rd_kafka_message_destroy(m);
                continue;
            }
            if (fs_codec_decode_event(f.codec, m->payload, m->len, &x->ev, err,
                                      sizeof(err)) != FS_OK) {
                bad++;
                fs_event_clear(&x->ev);
                rd_kafka_message_destroy(m);
                continue;
            }
            const fs_event_type_t *et = fs_definition_lookup(f.def, x->ev.type);
            x->stage = et ? (int)et->stage : FS_STAGE_NONE;
            x->day = fs_day_from_ms(x->ev.occurred_at_ms);
            ni++;
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
            "fs-bench-floor: %" PRIu64 " messages (%" PRIu64 " undecodable), %" PRIu64
            " distinct, %" PRIu64 " batches, %" PRIu64
            " commands in %.2f s: %.0f events/s\n",
            n, bad, f.distinct, f.batches, f.commands, secs, (double)n / secs);
    printf(
        "floor: messages=%" PRIu64 " distinct=%" PRIu64 " seconds=%.3f events_per_s=%.0f"
        " commands=%" PRIu64 " batches=%" PRIu64 " staged=%" PRIu64 " firsts=%" PRIu64
        "\n",
        n, f.distinct, secs, (double)n / secs, f.commands, f.batches, f.staged, f.firsts);
    rc = 0;
out:
    for (size_t i = 0; items && i < batch; i++)
        fs_event_clear(&items[i].ev);
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
    fs_definition_destroy(f.def);
    fs_codec_destroy(f.codec);
    return rc;
}
