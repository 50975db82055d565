/*
 * counters.c — the worker's counters and their Prometheus text (see
 * counters.h).
 */
#include "counters.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "fs_prom.h"

/* Upper bounds (seconds) of the batch apply-time buckets: a batch's commit
 * script takes ~1-60 ms (docs/BENCHMARKS.md); seconds mean Redis stalls. */
static const double apply_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                      0.1,   0.25,   0.5,   1,    2.5,   10};

struct fs_counters {
    atomic_ullong applied, duplicates, dead_letters, conflicts, batches;
    fs_prom_hist_t apply;
    atomic_int owned[FS_COUNTERS_MAX_PARTITIONS];
    atomic_llong next[FS_COUNTERS_MAX_PARTITIONS]; /* < 0: nothing applied yet */
};

#define ADD(x, n) atomic_fetch_add_explicit(&(x), (n), memory_order_relaxed)
#define LOAD(x) atomic_load_explicit(&(x), memory_order_relaxed)

fs_counters_t *fs_counters_new(void)
{
    fs_counters_t *c = calloc(1, sizeof(*c)); /* zero bits: zeroed atomics */
    if (c)
        fs_prom_hist_init(&c->apply, apply_bounds,
                          sizeof(apply_bounds) / sizeof(apply_bounds[0]));
    return c;
}

void fs_counters_destroy(fs_counters_t *c)
{
    free(c);
}

void fs_counters_batch(fs_counters_t *c, int64_t applied, int64_t duplicates,
                       int64_t conflicts, double apply_seconds)
{
    if (!c)
        return;
    ADD(c->applied, (unsigned long long)(applied > 0 ? applied : 0));
    ADD(c->duplicates, (unsigned long long)(duplicates > 0 ? duplicates : 0));
    ADD(c->conflicts, (unsigned long long)(conflicts > 0 ? conflicts : 0));
    ADD(c->batches, 1);
    fs_prom_hist_observe(&c->apply, apply_seconds);
}

void fs_counters_dead_letter(fs_counters_t *c)
{
    if (c)
        ADD(c->dead_letters, 1);
}

static int in_range(const fs_counters_t *c, int32_t p)
{
    return c && p >= 0 && p < FS_COUNTERS_MAX_PARTITIONS;
}

void fs_counters_assigned(fs_counters_t *c, int32_t p, int64_t next)
{
    if (!in_range(c, p))
        return;
    atomic_store(&c->next[p], next >= 0 ? next : -1);
    atomic_store(&c->owned[p], 1);
}

void fs_counters_applied(fs_counters_t *c, int32_t p, int64_t next)
{
    if (in_range(c, p))
        atomic_store(&c->next[p], next);
}

void fs_counters_revoked(fs_counters_t *c, int32_t p)
{
    if (in_range(c, p))
        atomic_store(&c->owned[p], 0);
}

int fs_counters_owned(const fs_counters_t *cc)
{
    fs_counters_t *c = (fs_counters_t *)cc; /* atomic_load wants non-const */
    int n = 0;
    for (int p = 0; c && p < FS_COUNTERS_MAX_PARTITIONS; p++)
        n += atomic_load(&c->owned[p]) != 0;
    return n;
}

static fs_err_t counter(fs_buf_t *out, const char *name, const char *help,
                        unsigned long long v)
{
    fs_err_t e = fs_prom_header(out, name, "counter", help);
    return e ? e : fs_buf_printf(out, "%s %llu\n", name, v);
}

fs_err_t fs_counters_render(const fs_counters_t *cc, const char *topic,
                            fs_counters_watermarks_fn *wm, void *wm_ctx, int redis_up,
                            fs_buf_t *out)
{
    fs_counters_t *c = (fs_counters_t *)cc;
    fs_err_t e = counter(out, "funnel_worker_events_applied_total",
                         "Distinct events counted into Redis.", LOAD(c->applied));
    if (!e)
        e = counter(out, "funnel_worker_duplicates_total",
                    "Events skipped because their event_id was already counted.",
                    LOAD(c->duplicates));
    if (!e)
        e = counter(out, "funnel_worker_dead_letters_total",
                    "Records written to the dead-letter topic.", LOAD(c->dead_letters));
    if (!e)
        e = counter(out, "funnel_worker_commit_conflicts_total",
                    "Batch commits retried because another writer changed what the "
                    "batch had read.",
                    LOAD(c->conflicts));
    if (!e)
        e = counter(out, "funnel_worker_batches_total",
                    "Batches applied to Redis (one atomic commit script each).",
                    LOAD(c->batches));
    if (!e)
        e = fs_prom_hist_render(&c->apply, "funnel_worker_batch_apply_seconds",
                                "Time Redis took to apply one batch.", out);
    if (!e)
        e = fs_prom_header(out, "funnel_worker_partitions_owned", "gauge",
                           "Partitions of the events topic this worker owns.");
    if (!e)
        e = fs_buf_printf(out, "funnel_worker_partitions_owned %d\n",
                          fs_counters_owned(c));
    if (!e)
        e = fs_prom_header(out, "funnel_worker_redis_up", "gauge",
                           "1 when Redis answered the endpoint's last PING.");
    if (!e)
        e = fs_buf_printf(out, "funnel_worker_redis_up %d\n", redis_up ? 1 : 0);
    if (!e)
        e = fs_prom_header(
            out, "funnel_worker_consumer_lag_messages", "gauge",
            "Messages of an owned partition not yet applied to Redis (broker high "
            "watermark - next applied offset).");
    for (int32_t p = 0; !e && p < FS_COUNTERS_MAX_PARTITIONS; p++) {
        if (!atomic_load(&c->owned[p]))
            continue;
        int64_t lo = 0, hi = 0, next = atomic_load(&c->next[p]);
        if (!wm || wm(wm_ctx, p, &lo, &hi) != 0 || hi < 0)
            continue;
        int64_t from = next >= 0 ? next : lo;
        int64_t lag = hi > from ? hi - from : 0;
        /* The topic needs no escaping in a label: topic names are
         * [A-Za-z0-9._-] (fs_conf_check_topic). */
        e = fs_buf_printf(
            out,
            "funnel_worker_consumer_lag_messages{topic=\"%s\",partition=\"%" PRId32
            "\"} %" PRId64 "\n",
            topic, p, lag);
    }
    if (!e)
        e = fs_prom_header(out, "funnel_worker_applied_offset", "gauge",
                           "Next offset of an owned partition to apply (all below are "
                           "in Redis).");
    for (int32_t p = 0; !e && p < FS_COUNTERS_MAX_PARTITIONS; p++) {
        int64_t next = atomic_load(&c->next[p]);
        if (atomic_load(&c->owned[p]) && next >= 0)
            e = fs_buf_printf(
                out,
                "funnel_worker_applied_offset{topic=\"%s\",partition=\"%" PRId32
                "\"} %" PRId64 "\n",
                topic, p, next);
    }
    return e;
}
