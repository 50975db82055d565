/*
 * worker.c — consumer-group loop with exactly-once application into Redis
 * (see worker.h).
 */
#include "worker.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "counters.h"
#include "fs_buf.h"
#include "fs_codec.h"
#include "fs_kafka.h"
#include "fs_producer.h"
#include "fs_signal.h"
#include "plan.h"
#include "sink.h"

#define LEAVE_TIMEOUT_S 8   /* longest a stopping worker waits to leave the group */
#define SHUTDOWN_LIMIT_S 12 /* longest the whole wind-down may take (SIGTERM → exit) */

/* A partition's two plans (each its own allocation, so that pointers the
 * sink borrows survive the growth of the partition table): one gathers
 * messages while the other is the batch in flight (fs_sink_start). */
typedef struct part {
    int64_t epoch; /* 0 when this member does not own the partition */
    fs_plan_t *slot[2];
} part_t;

struct fs_worker {
    fs_kafka_opaque_t ko; /* first: librdkafka's log lines find the sink here */
    fs_worker_opts_t opts;
    const fs_definition_t *def; /* borrowed */
    fs_log_t *lg;               /* borrowed */
    char topic[256];
    rd_kafka_t *rk;
    fs_codec_t *codec;
    fs_sink_t *sink;
    fs_producer_t *dlq;
    part_t *parts; /* indexed by partition id */
    int32_t nparts;
    int gather;               /* the slot of every part_t that gathers messages */
    fs_sink_part_t *flyparts; /* the batch in flight (slot !gather), or NULL */
    size_t nfly;
    int dlq_pending; /* dead letters sent since the last flush */
    int topic_check; /* the brokers reported the topic unknown: ask them again */
    int batch_now;   /* messages per batch for now: fs_plan_batch_size() */
    int fatal;
    fs_buf_t scratch;
    /* stats since the last stats line */
    uint64_t st_msgs, st_applied, st_dups, st_dlq, st_batches, st_persons, st_conflicts;
    double st_apply_ms;
};

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static part_t *part_get(fs_worker_t *w, int32_t p)
{
    if (p < 0)
        return NULL;
    if (p >= w->nparts) {
        int32_t n = p + 1;
        part_t *a = realloc(w->parts, (size_t)n * sizeof(*a));
        if (!a)
            return NULL;
        w->parts = a;
        for (int32_t i = w->nparts; i < n; i++) {
            a[i].epoch = 0;
            a[i].slot[0] = malloc(sizeof(fs_plan_t));
            a[i].slot[1] = malloc(sizeof(fs_plan_t));
            if (!a[i].slot[0] || !a[i].slot[1]) {
                free(a[i].slot[0]);
                free(a[i].slot[1]);
                return NULL; /* w->nparts still excludes the new entries */
            }
            fs_plan_init(a[i].slot[0], i);
            fs_plan_init(a[i].slot[1], i);
            w->nparts = i + 1;
        }
    }
    return &w->parts[p];
}

/* ---- dead letters ----------------------------------------------------- */

static void dead_letter(fs_worker_t *w, const rd_kafka_message_t *m, const char *reason)
{
    fs_dead_letter_t dl = {.reason = reason,
                           .source = "worker",
                           .at_ms = now_ms(),
                           .raw = m->payload,
                           .raw_len = m->len,
                           .topic = w->topic,
                           .partition = m->partition,
                           .offset = m->offset};
    /* Our framing: say which schema it claimed. */
    if (fs_codec_read_header(m->payload, m->len, &dl.fingerprint, NULL, 0) == FS_OK)
        dl.has_fingerprint = 1;
    char err[256];
    fs_buf_reset(&w->scratch);
    if (fs_codec_encode_dead_letter(w->codec, &dl, &w->scratch, err, sizeof(err)) ||
        fs_producer_send_dlq(w->dlq, NULL, w->scratch.data, w->scratch.len, NULL, err,
                             sizeof(err))) {
        /* Not durable: do not let the offset move past this record. */
        FS_ERROR(w->lg, "dead letter for %s [%" PRId32 "] @%" PRId64 " not written: %s",
                 w->topic, m->partition, m->offset, err);
        w->fatal = 1;
        return;
    }
    w->dlq_pending++;
    w->st_dlq++;
    fs_counters_dead_letter(w->opts.counters);
    fs_log_field_t where[] = {{"topic", w->topic, 0},
                              {"partition", NULL, m->partition},
                              {"offset", NULL, m->offset}};
    FS_LOG_FIELDS(w->lg, FS_LOG_WARN, where, 3,
                  "dead letter: %s [%" PRId32 "] @%" PRId64 ": %s", w->topic,
                  m->partition, m->offset, reason);
}

/* Dead-letters an event the batch could not store, read at @p it's offset
 * of @p partition: its record is the event encoded again (with the schema
 * the worker writes, which a resubmission reads). */
static void dead_letter_event(fs_worker_t *w, int32_t partition, const fs_plan_item_t *it,
                              const char *reason)
{
    char err[256];
    fs_buf_t raw = {0};
    if (fs_codec_encode_event(w->codec, &it->ev, &raw, err, sizeof(err))) {
        FS_ERROR(w->lg, "dead letter for %s [%" PRId32 "] @%" PRId64 ": %s", w->topic,
                 partition, it->offset, err);
        w->fatal = 1;
        fs_buf_free(&raw);
        return;
    }
    rd_kafka_message_t m = {.partition = partition,
                            .offset = it->offset,
                            .payload = raw.data,
                            .len = raw.len};
    dead_letter(w, &m, reason);
    fs_buf_free(&raw);
}

static void on_dlq_delivery(void *app, void *msg, rd_kafka_resp_err_t err)
{
    fs_worker_t *w = app;
    (void)msg;
    if (err) {
        FS_ERROR(w->lg, "dead letter delivery failed: %s", rd_kafka_err2str(err));
        w->fatal = 1;
    }
}

/* ---- one message ------------------------------------------------------ */

static void handle_message(fs_worker_t *w, rd_kafka_message_t *m)
{
    if (m->err) {
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
            return;
        FS_WARN(w->lg, "consumer: %s", rd_kafka_message_errstr(m));
        if (m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
            m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED)
            w->topic_check = 1;
        return;
    }
    part_t *pt = part_get(w, m->partition);
    if (!pt || !pt->epoch)
        return; /* not ours (any more): the owner will read it */
    w->st_msgs++;
    fs_event_t ev;
    memset(&ev, 0, sizeof(ev));
    char err[512];
    fs_err_t e =
        fs_codec_decode_event(w->codec, m->payload, m->len, &ev, err, sizeof(err));
    /* Only what the batch can store goes into it: one event it refuses
     * would stop every batch holding it (another producer may write
     * anything the schema allows). */
    if (e == FS_OK)
        e = fs_person_check_event(w->def, &ev, err, sizeof(err));
    if (e == FS_OK)
        e = fs_plan_take_event(pt->slot[w->gather], w->def, &ev, m->offset);
    if (e == FS_ERR_NOT_FOUND)
        snprintf(err, sizeof(err),
                 "type: \"%.200s\" is not in the worker's funnel "
                 "definition",
                 ev.type);
    else if (e && e != FS_ERR_CORRUPT && e != FS_ERR_UNKNOWN_SCHEMA &&
             e != FS_ERR_INVALID)
        w->fatal = 1;
    fs_event_clear(&ev);
    if (e == FS_ERR_CORRUPT || e == FS_ERR_UNKNOWN_SCHEMA || e == FS_ERR_NOT_FOUND ||
        e == FS_ERR_INVALID) {
        fs_plan_skip(pt->slot[w->gather], m->offset);
        dead_letter(w, m, err);
    }
}

/* ---- applying a batch ------------------------------------------------- */

/* The parts of slot @p slot worth applying (owned partitions with a plan),
 * in a new array (*out, NULL when none); plans of partitions no longer
 * owned are dropped. */
static size_t collect_parts(fs_worker_t *w, int slot, fs_sink_part_t **out)
{
    size_t n = 0;
    *out = NULL;
    for (int32_t p = 0; p < w->nparts; p++) {
        fs_plan_t *pl = w->parts[p].slot[slot];
        if (!w->parts[p].epoch)
            fs_plan_clear(pl);
        else if (pl->last_offset >= 0)
            n++;
    }
    if (n == 0)
        return 0;
    if (!(*out = calloc(n, sizeof(**out)))) {
        w->fatal = 1;
        return 0;
    }
    n = 0;
    for (int32_t p = 0; p < w->nparts; p++)
        if (w->parts[p].epoch && w->parts[p].slot[slot]->last_offset >= 0) {
            (*out)[n].plan = w->parts[p].slot[slot];
            (*out)[n++].epoch = w->parts[p].epoch;
        }
    return n;
}

/* A batch (or part of one) is in Redis: stats, offsets committed to Kafka
 * (for lag tools; Redis stays the source of truth), fenced partitions
 * given up. */
static void batch_counted(fs_worker_t *w, fs_sink_part_t *parts, size_t n,
                          const fs_sink_result_t *res)
{
    w->st_batches++;
    w->st_applied += (uint64_t)res->applied;
    w->st_dups += (uint64_t)res->duplicates;
    w->st_persons += (uint64_t)res->persons;
    w->st_conflicts += (uint64_t)res->conflicts;
    w->batch_now = fs_plan_batch_size(w->batch_now, w->opts.batch_max, res->conflicts);
    w->st_apply_ms += fs_sink_last_apply_ms(w->sink);
    fs_counters_batch(w->opts.counters, res->applied, res->duplicates, res->conflicts,
                      fs_sink_last_apply_ms(w->sink) / 1000.0);
    rd_kafka_topic_partition_list_t *commit = rd_kafka_topic_partition_list_new((int)n);
    for (size_t i = 0; i < n; i++) {
        int32_t p = parts[i].plan->partition;
        if (parts[i].fenced) {
            FS_WARN(w->lg,
                    "partition %" PRId32 " was claimed by another worker; "
                    "dropping its batch",
                    p);
            w->parts[p].epoch = 0;
            fs_counters_revoked(w->opts.counters, p);
        } else {
            fs_counters_applied(w->opts.counters, p, parts[i].plan->last_offset + 1);
            if (commit)
                rd_kafka_topic_partition_list_add(commit, w->topic, p)->offset =
                    parts[i].plan->last_offset + 1;
        }
    }
    if (commit) {
        if (commit->cnt > 0)
            (void)rd_kafka_commit(w->rk, commit, 1); /* async; only delays lag */
        rd_kafka_topic_partition_list_destroy(commit);
    }
}

/* Empties the plans (slot @p slot) of @p parts. */
static void plans_clear(fs_worker_t *w, fs_sink_part_t *parts, size_t n, int slot)
{
    for (size_t i = 0; i < n; i++)
        fs_plan_clear(w->parts[parts[i].plan->partition].slot[slot]);
}

/* A batch is in Redis: counted, and its plans (slot @p slot) emptied. */
static void batch_done(fs_worker_t *w, fs_sink_part_t *parts, size_t n, int slot,
                       const fs_sink_result_t *res)
{
    batch_counted(w, parts, n, res);
    plans_clear(w, parts, n, slot);
}

/* fs_sink_apply(), retried while Redis is unreachable (and not stopping). */
static fs_err_t apply_retry(fs_worker_t *w, fs_sink_part_t *parts, size_t n,
                            fs_sink_result_t *res, char *err, size_t sz)
{
    fs_err_t e;
    int delay_ms = 100;
    while ((e = fs_sink_apply(w->sink, parts, n, res, err, sz)) == FS_ERR_TRANSIENT &&
           !fs_signal_stop_requested()) {
        FS_WARN(w->lg, "%s; retrying in %d ms", err, delay_ms);
        usleep((useconds_t)delay_ms * 1000);
        delay_ms = delay_ms < 5000 ? delay_ms * 2 : 5000;
    }
    return e;
}

/*
 * Applies the events [lo, hi) of @p part's plan, which cover the offsets up
 * to @p last, as one batch; when an event would take an aggregate past what
 * it can hold (FS_ERR_OVERFLOW: the sink wrote nothing), halves the range,
 * in offset order, down to the single event, which is dead-lettered with
 * the reason and skipped.  An event refused alone is refused on top of
 * every event before it that was applied.  A bad event costs about
 * 2 log2(n) extra transactions; the rest of its batch is applied.
 */
static fs_err_t apply_range(fs_worker_t *w, fs_sink_part_t *part, size_t lo, size_t hi,
                            int64_t last, char *err, size_t sz)
{
    const fs_plan_t *pl = part->plan;
    fs_plan_t view = {.partition = pl->partition,
                      .last_offset = last,
                      .n = hi - lo,
                      .items = pl->items + lo}; /* borrowed: never cleared */
    fs_sink_part_t sp = {.plan = &view, .epoch = part->epoch};
    fs_sink_result_t res;
    fs_err_t e = apply_retry(w, &sp, 1, &res, err, sz);
    if (e == FS_OK) {
        batch_counted(w, &sp, 1, &res);
        part->fenced = sp.fenced;
        return FS_OK;
    }
    if (e != FS_ERR_OVERFLOW)
        return e;
    if (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        e = apply_range(w, part, lo, mid, pl->items[mid].offset - 1, err, sz);
        return e || part->fenced ? e : apply_range(w, part, mid, hi, last, err, sz);
    }
    if (hi == lo) { /* nothing left to refuse: a bug, not an event */
        snprintf(err + strlen(err), sz - strlen(err), " (with no event in the batch)");
        return FS_ERR_FATAL;
    }
    dead_letter_event(w, pl->partition, &pl->items[lo], err);
    if (w->fatal || fs_producer_flush(w->dlq, 30000) != FS_OK) {
        /* Not durable: the offset must not move past the event. */
        snprintf(err, sz, "dead letter for %s [%" PRId32 "] @%" PRId64 " not written",
                 w->topic, pl->partition, pl->items[lo].offset);
        return FS_ERR_FATAL;
    }
    w->dlq_pending = 0;
    view.n = 0; /* the offsets alone */
    e = apply_retry(w, &sp, 1, &res, err, sz);
    if (e == FS_OK) {
        batch_counted(w, &sp, 1, &res);
        part->fenced = sp.fenced;
    }
    return e;
}

/* Applies @p parts (slot @p slot) synchronously, retrying while Redis is
 * unreachable; a batch with an event no aggregate can take is applied
 * partition by partition, then narrowed to that event (apply_range).
 * Returns -1 when that failed (fatal, or stopping). */
static int apply_sync(fs_worker_t *w, fs_sink_part_t *parts, size_t n, int slot)
{
    fs_sink_result_t res;
    char err[1024];
    fs_err_t e = apply_retry(w, parts, n, &res, err, sizeof(err));
    if (e == FS_OK) {
        batch_done(w, parts, n, slot, &res);
        return 0;
    }
    if (e == FS_ERR_OVERFLOW) {
        FS_WARN(w->lg, "%s; narrowing the batch to find the event", err);
        e = FS_OK;
        for (size_t i = 0; i < n && !e; i++)
            e = apply_range(w, &parts[i], 0, parts[i].plan->n, parts[i].plan->last_offset,
                            err, sizeof(err));
        if (e == FS_OK) {
            plans_clear(w, parts, n, slot);
            return 0;
        }
    }
    FS_ERROR(w->lg, "applying a batch: %s", err);
    if (e != FS_ERR_TRANSIENT)
        w->fatal = 1;
    plans_clear(w, parts, n, slot); /* the next owner resumes from Redis */
    return -1;
}

/* Forgets the batch in flight (its plans were handled by the caller). */
static void fly_reset(fs_worker_t *w)
{
    free(w->flyparts);
    w->flyparts = NULL;
    w->nfly = 0;
}

/* Commits the batch in flight, if any, and reports it.  When the commit
 * fails, @p retry applies it again synchronously; otherwise it is dropped
 * (the next owner resumes from Redis).  Returns -1 when it was not applied. */
static int flush_fly(fs_worker_t *w, int retry)
{
    if (!w->nfly)
        return 0;
    int had = 0, f = !w->gather, rc = 0;
    fs_sink_result_t res;
    char err[512];
    fs_err_t e = fs_sink_flush(w->sink, &had, &res, err, sizeof(err));
    if (had) {
        batch_done(w, w->flyparts, w->nfly, f, &res);
    } else if (e && retry) {
        FS_WARN(w->lg, "%s; applying again", err);
        rc = apply_sync(w, w->flyparts, w->nfly, f);
    } else if (e) {
        rc = -1;
    }
    fly_reset(w);
    return rc;
}

/* Applies what was gathered, pipelined: the gathered batch becomes the one
 * in flight while the previous one's commit runs in Redis.  With @p flush,
 * the batch in flight is committed too, so everything gathered is in Redis
 * on return (low traffic, rebalancing, stopping).  Returns -1 when stopping
 * or a fatal error interrupted it (nothing is lost: the next owner resumes
 * from Redis). */
static int apply_batches(fs_worker_t *w, int flush)
{
    if (w->dlq_pending) {
        /* Dead letters must be durable before their offsets are applied. */
        if (fs_producer_flush(w->dlq, 30000) != FS_OK) {
            FS_ERROR(w->lg, "dead letters not acknowledged by Kafka in 30 s");
            w->fatal = 1;
        }
        w->dlq_pending = 0;
    }
    if (w->fatal)
        return -1;
    int rc = 0, g = w->gather, f = !w->gather;
    fs_sink_part_t *cur;
    size_t ncur = collect_parts(w, g, &cur);
    char err[512];
    if (ncur > 0) {
        int had = 0;
        fs_sink_result_t res;
        fs_err_t e = fs_sink_start(w->sink, cur, ncur, &had, &res, err, sizeof(err));
        if (had) {
            batch_done(w, w->flyparts, w->nfly, f, &res);
            fly_reset(w);
        }
        if (!e) { /* the gathered batch is in flight; the other slot gathers */
            w->flyparts = cur;
            w->nfly = ncur;
            w->gather = f;
        } else if (!had && w->nfly) {
            /* Neither batch was applied: fold the gathered one into the one
             * in flight (it follows it in every partition) and apply both. */
            FS_WARN(w->lg, "%s; applying again", err);
            for (int32_t p = 0; p < w->nparts; p++)
                if (fs_plan_take(w->parts[p].slot[f], w->parts[p].slot[g]))
                    w->fatal = 1;
            free(cur);
            fly_reset(w);
            size_t nall = collect_parts(w, f, &cur);
            rc = w->fatal ? -1 : apply_sync(w, cur, nall, f);
            free(cur);
        } else {
            FS_WARN(w->lg, "%s; applying again", err);
            rc = apply_sync(w, cur, ncur, g);
            free(cur);
        }
    }
    if (flush && !w->fatal && flush_fly(w, 1))
        rc = -1;
    return rc;
}

/* ---- rebalancing ------------------------------------------------------ */

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    fs_worker_t *w = opaque;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        /* Only partitions claimed in Redis are consumed; the others stay
         * unassigned here and go to another member when we leave. */
        rd_kafka_topic_partition_list_t *claimed =
            rd_kafka_topic_partition_list_new(parts->cnt > 0 ? parts->cnt : 1);
        if (!claimed) {
            FS_ERROR(w->lg, "out of memory for the assignment");
            w->fatal = 1;
            rd_kafka_assign(rk, NULL);
            return;
        }
        for (int i = 0; i < parts->cnt; i++) {
            rd_kafka_topic_partition_t *tp = &parts->elems[i];
            part_t *pt = part_get(w, tp->partition);
            char e[512];
            int64_t epoch = 0, next = -2;
            fs_err_t ce;
            while ((ce = fs_sink_claim(w->sink, tp->partition, &epoch, &next, e,
                                       sizeof(e))) == FS_ERR_TRANSIENT &&
                   !fs_signal_stop_requested()) {
                FS_WARN(w->lg, "claiming partition %" PRId32 ": %s; retrying",
                        tp->partition, e);
                sleep(1);
            }
            if (ce == FS_ERR_TRANSIENT && pt) {
                /* Stopping while Redis is away: not an error, we are leaving. */
                FS_INFO(w->lg, "stopping: partition %" PRId32 " left unclaimed (%s)",
                        tp->partition, e);
                continue;
            }
            if (ce || !pt) {
                FS_ERROR(w->lg, "cannot claim partition %" PRId32 ": %s", tp->partition,
                         ce ? e : "out of memory");
                w->fatal = 1;
                continue;
            }
            pt->epoch = epoch;
            fs_counters_assigned(w->opts.counters, tp->partition, next);
            fs_plan_clear(pt->slot[0]);
            fs_plan_clear(pt->slot[1]);
            rd_kafka_topic_partition_list_add(claimed, tp->topic, tp->partition)->offset =
                next;
            FS_INFO(w->lg,
                    "assigned %s [%" PRId32 "] epoch %" PRId64 " from offset %s%" PRId64,
                    w->topic, tp->partition, epoch, next < 0 ? "(beginning) " : "",
                    next < 0 ? 0 : next);
        }
        rd_kafka_assign(rk, claimed);
        rd_kafka_topic_partition_list_destroy(claimed);
    } else {
        int lost = rd_kafka_assignment_lost(rk);
        if (!lost) {
            (void)apply_batches(w, 1); /* still the owner: finish what was gathered */
        } else {
            /* Commit the batch in flight (its epochs fence it if another
             * member has claimed a partition meanwhile); drop the rest. */
            (void)flush_fly(w, 0);
        }
        for (int i = 0; i < parts->cnt; i++) {
            part_t *pt = part_get(w, parts->elems[i].partition);
            fs_counters_revoked(w->opts.counters, parts->elems[i].partition);
            if (pt) {
                pt->epoch = 0;
                fs_plan_clear(pt->slot[0]);
                fs_plan_clear(pt->slot[1]);
            }
        }
        FS_INFO(w->lg, "%s %d partitions", lost ? "lost" : "revoked", parts->cnt);
        rd_kafka_assign(rk, NULL);
    }
}

/* ---- lifecycle -------------------------------------------------------- */

/* librdkafka's error events (served on the caller's thread by the consumer
 * poll): logged; a topic reported unknown is checked by the run loop. */
static void on_kafka_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    fs_worker_t *w = opaque;
    (void)rk;
    FS_WARN(w->lg, "kafka: %s", reason);
    if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
        err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED)
        w->topic_check = 1;
}

/*
 * Asks the brokers whether @p topic exists (for @p key, the setting that
 * names it).  FS_ERR_INVALID, with @p errstr naming the topic and the
 * setting, when a broker answered that it does not or that this client
 * may not see it: nothing to consume or dead-letter into, and waiting
 * cannot fix it (the brokers do not create topics on demand).  FS_OK
 * when it exists, and also when no broker answered within @p timeout_ms:
 * an unreachable cluster is an outage, retried like any other.
 */
static fs_err_t topic_exists(rd_kafka_t *rk, const char *topic, const char *key,
                             int timeout_ms, char *errstr, size_t sz)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    if (!rkt)
        return FS_OK;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
    fs_err_t err = FS_OK;
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1) {
        rd_kafka_resp_err_t te = md->topics[0].err;
        if (te == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
            te == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED) {
            snprintf(
                errstr, sz, "%s: topic \"%s\" %s", key, topic,
                te == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED
                    ? "is not authorized for this client (Kafka ACL)"
                    : "does not exist on the brokers: create it, or fix the setting");
            err = FS_ERR_INVALID;
        }
    }
    if (md)
        rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    return err;
}

fs_worker_t *fs_worker_new(const fs_conf_t *conf, const fs_definition_t *def,
                           fs_log_t *lg, const fs_worker_opts_t *opts, char *errstr,
                           size_t sz)
{
    const char *const defaults[] = {
        "group.id", fs_conf_str(conf, "kafka.group"), "enable.auto.commit", "false",
        "enable.auto.offset.store", "false", "auto.offset.reset", "earliest",
        /* A stopped or partitioned member loses its partitions within 10 s. */
        "session.timeout.ms", "10000", "heartbeat.interval.ms", "2000",
        "max.poll.interval.ms", "120000", NULL};
    fs_worker_t *w = calloc(1, sizeof(*w));
    rd_kafka_conf_t *kc = NULL;
    rd_kafka_topic_partition_list_t *sub = NULL;
    if (!w) {
        snprintf(errstr, sz, "out of memory");
        return NULL;
    }
    w->opts = *opts;
    w->batch_now = opts->batch_max;
    w->def = def;
    w->lg = lg;
    w->ko.lg = lg;
    snprintf(w->topic, sizeof(w->topic), "%s", fs_conf_str(conf, "kafka.topic"));
    if (!(w->codec = fs_codec_new(NULL, errstr, sz)) ||
        !(w->sink = fs_sink_new(conf, w->topic, opts->dedup_ttl_s, opts->person_ttl_s,
                                &opts->person, errstr, sz)) ||
        !(w->dlq = fs_producer_new(conf, 30000, -1, errstr, sz)) ||
        !(kc = fs_kafka_conf_new(conf, defaults, errstr, sz)))
        goto fail;
    fs_producer_set_delivery(w->dlq, on_dlq_delivery, w);
    rd_kafka_conf_set_opaque(kc, w);
    rd_kafka_conf_set_rebalance_cb(kc, rebalance_cb);
    rd_kafka_conf_set_error_cb(kc, on_kafka_error);
    char err[512];
    if (!(w->rk = rd_kafka_new(RD_KAFKA_CONSUMER, kc, err, sizeof(err)))) {
        snprintf(errstr, sz, "kafka consumer: %s", err);
        goto fail;
    }
    kc = NULL; /* now owned by rk */
    if (topic_exists(w->rk, w->topic, "kafka.topic", 5000, errstr, sz) ||
        topic_exists(w->rk, fs_conf_str(conf, "kafka.dlq_topic"), "kafka.dlq_topic", 5000,
                     errstr, sz))
        goto fail;
    rd_kafka_poll_set_consumer(w->rk);
    sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, w->topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t se = rd_kafka_subscribe(w->rk, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    if (se) {
        snprintf(errstr, sz, "subscribe %s: %s", w->topic, rd_kafka_err2str(se));
        goto fail;
    }
    return w;
fail:
    if (kc)
        rd_kafka_conf_destroy(kc);
    fs_worker_destroy(w);
    return NULL;
}

/* Lag of each owned partition from librdkafka's cached high watermark (no
 * broker round trip): how far this member is behind, for autoscaling. */
static int64_t lag_text(fs_worker_t *w, char *out, size_t sz)
{
    int64_t total = 0;
    size_t n = 0;
    out[0] = '\0';
    for (int32_t p = 0; p < w->nparts; p++) {
        if (!w->parts[p].epoch)
            continue;
        int64_t lo = 0, hi = 0;
        rd_kafka_topic_partition_list_t *pos = rd_kafka_topic_partition_list_new(1);
        if (!pos)
            break;
        rd_kafka_topic_partition_t *tp =
            rd_kafka_topic_partition_list_add(pos, w->topic, p);
        if (rd_kafka_get_watermark_offsets(w->rk, w->topic, p, &lo, &hi) == 0 &&
            rd_kafka_position(w->rk, pos) == 0 && tp->offset >= 0 && hi >= tp->offset) {
            total += hi - tp->offset;
            if (n < sz)
                n += (size_t)snprintf(out + n, sz - n, "%s%" PRId32 ":%" PRId64,
                                      n ? "," : "", p, hi - tp->offset);
        }
        rd_kafka_topic_partition_list_destroy(pos);
    }
    return total;
}

static void stats(fs_worker_t *w, double secs)
{
    char lag[512];
    int64_t total = lag_text(w, lag, sizeof(lag));
    FS_INFO(w->lg,
            "stats: %.0f msgs/s, %" PRIu64 " counted, %" PRIu64 " duplicates, %" PRIu64
            " dead letters, %" PRIu64 " persons recomputed, %" PRIu64 " batches, %" PRIu64
            " conflicts, %.2f ms per Redis apply, lag %" PRId64 " [%s]",
            w->st_msgs / secs, w->st_applied, w->st_dups, w->st_dlq, w->st_persons,
            w->st_batches, w->st_conflicts,
            w->st_batches ? w->st_apply_ms / (double)w->st_batches : 0.0, total, lag);
    w->st_msgs = w->st_applied = w->st_dups = w->st_dlq = w->st_batches = 0;
    w->st_persons = w->st_conflicts = 0;
    w->st_apply_ms = 0;
}

/* Leaves the group: the revoke callback applies what was gathered.  The
 * close runs on a queue we serve ourselves, bounded in time: a broker that
 * does not answer must not keep a stopping worker alive (the measured case
 * was a close hanging > 15 s right after a Redis restart).  Leaving without
 * a goodbye is safe: offsets live in Redis and the partitions move to
 * another member after the session timeout. */
static void leave_group(fs_worker_t *w)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(w->rk);
    if (!q) {
        FS_WARN(w->lg, "leaving the group: out of memory");
        return;
    }
    rd_kafka_error_t *error = rd_kafka_consumer_close_queue(w->rk, q);
    if (error) {
        FS_WARN(w->lg, "leaving the group: %s", rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    } else {
        /* Served as events, not callbacks: fetched messages forwarded to this
         * queue cannot be served by a callback (librdkafka asserts). */
        double deadline = mono_s() + LEAVE_TIMEOUT_S;
        while (!rd_kafka_consumer_closed(w->rk) && mono_s() < deadline) {
            rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 100);
            if (!ev)
                continue;
            if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_REBALANCE)
                rebalance_cb(w->rk, rd_kafka_event_error(ev),
                             rd_kafka_event_topic_partition_list(ev), w);
            rd_kafka_event_destroy(ev);
        }
        if (!rd_kafka_consumer_closed(w->rk))
            FS_WARN(w->lg, "leaving the group took more than %d s; exiting anyway",
                    LEAVE_TIMEOUT_S);
    }
    rd_kafka_queue_destroy(q);
}

/* SIGALRM during shutdown: async-signal-safe write and _exit only.  Exit
 * status 0 after a requested stop (the state in Redis is consistent), 1
 * when a fatal error caused the stop. */
static volatile sig_atomic_t shutdown_status;

static void on_shutdown_timeout(int sig)
{
    static const char msg[] = "funnel-worker: shutdown took longer than the limit; "
                              "exiting (every applied batch is whole in Redis)\n";
    (void)sig;
    (void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
    _exit(shutdown_status);
}

int fs_worker_run(fs_worker_t *w)
{
    double last_stats = mono_s();
    while (!fs_signal_stop_requested() && !w->fatal) {
        double deadline = mono_s() + w->opts.batch_ms / 1000.0;
        int n = 0;
        while (n < w->batch_now && !w->fatal) {
            int left_ms = (int)((deadline - mono_s()) * 1000);
            if (left_ms <= 0)
                break;
            rd_kafka_message_t *m = rd_kafka_consumer_poll(w->rk, left_ms);
            if (!m)
                continue;
            handle_message(w, m);
            rd_kafka_message_destroy(m);
            n++;
        }
        /* A batch cut short by --batch-ms means the worker keeps up: commit
         * it now for latency.  Full batches are pipelined for throughput. */
        (void)apply_batches(w, n < w->batch_now);
        fs_producer_poll(w->dlq, 0);
        if (w->topic_check) {
            /* The topic gone (or forbidden) while running: stop, unless the
             * brokers, asked again, know it (metadata can lag a restart). */
            char err[512];
            w->topic_check = 0;
            if (topic_exists(w->rk, w->topic, "kafka.topic", 5000, err, sizeof(err))) {
                FS_ERROR(w->lg, "%s", err);
                w->fatal = 1;
            }
        }
        if (w->opts.stats_every_s && mono_s() - last_stats >= w->opts.stats_every_s) {
            stats(w, mono_s() - last_stats);
            last_stats = mono_s();
        }
    }
    shutdown_status = w->fatal ? 1 : 0;
    /* From here on the worker only winds down.  librdkafka has been seen to
     * hang while leaving the group right after a Redis restart (chaos test:
     * no "stopped" 15 s after SIGTERM); every batch in Redis is whole, so if
     * winding down takes too long, exiting is safe. */
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_shutdown_timeout;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGALRM, &sa, NULL) == 0)
        alarm(SHUTDOWN_LIMIT_S);
    if (!w->fatal)
        (void)apply_batches(w, 1);
    leave_group(w);
    return w->fatal ? 1 : 0;
}

rd_kafka_t *fs_worker_kafka(fs_worker_t *w)
{
    return w->rk;
}

void fs_worker_destroy(fs_worker_t *w)
{
    if (!w)
        return;
    if (w->rk)
        rd_kafka_destroy(w->rk);
    for (int32_t p = 0; p < w->nparts; p++)
        for (int k = 0; k < 2; k++) {
            fs_plan_clear(w->parts[p].slot[k]);
            free(w->parts[p].slot[k]);
        }
    free(w->parts);
    free(w->flyparts);
    fs_producer_destroy(w->dlq, 10000);
    fs_sink_destroy(w->sink);
    fs_codec_destroy(w->codec);
    fs_buf_free(&w->scratch);
    free(w);
}
