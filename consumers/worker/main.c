/*
 * funnel-worker — consumer-group daemon that keeps the funnel aggregates
 * in Redis exactly once (docs/aggregates.md, docs/guarantees.md).
 *
 * Wiring only: configuration → definition → worker → run until SIGTERM →
 * finish the batch, commit, leave the group → exit 0.
 */
#include <stdio.h>

#include <string.h>

#include "counters.h"
#include "endpoint.h"
#include "fs_conf.h"
#include "fs_definition.h"
#include "fs_log.h"
#include "fs_program.h"
#include "fs_signal.h"
#include "worker.h"

static const char *const shared_keys[] = {
    "kafka.brokers",  "kafka.topic", "kafka.dlq_topic",
    "kafka.group",    "redis.url",   "redis.password_file",
    "namespace",      "definition",  "lookback_days",
    "half_life_days", "sla_days",    "log.level",
    "log.json",       NULL};

/* "off" or host:port. */
static fs_err_t check_listen(const char *v, char *errstr, size_t sz)
{
    return strcmp(v, "off") == 0 ? FS_OK : fs_conf_check_hostport(v, errstr, sz);
}

static const fs_conf_def_t worker_defs[] = {
    /* Loopback by default: metrics are for the host's scraper; containers
     * and pods set 0.0.0.0:9100 (deploy/). */
    {"worker.listen", "listen", "FUNNEL_WORKER_LISTEN", FS_CONF_STRING, "127.0.0.1:9100",
     0, 0, check_listen,
     "HTTP address host:port of GET /metrics, /healthz, /readyz (off: none)"},
    /* One batch is one commit script; full batches are pipelined (see
     * sink.h).  Only a backlog fills a batch (below saturation --batch-ms
     * cuts it first).  Larger batches merge more counter increments and
     * round trips: 2,000 took 18.6-20.3 k events/s where 300 took
     * 13.0-14.9 k (docs/BENCHMARKS.md), while the script, which Redis runs
     * atomically, stays near 60 ms (estimated: 2,000 x ~31 us), the stall
     * other clients may see.  Beside other workers the batch shrinks while
     * commits conflict (fs_plan_batch_size). */
    {"worker.batch_max", "batch-max", "FUNNEL_BATCH_MAX", FS_CONF_INT, "2000", 1, 100000,
     NULL, "most messages applied to Redis in one batch (one commit script, atomic)"},
    {"worker.batch_ms", "batch-ms", "FUNNEL_BATCH_MS", FS_CONF_INT, "50", 1, 10000, NULL,
     "longest a batch gathers messages (bounds latency)"},
    {"worker.dedup_days", "dedup-days", "FUNNEL_DEDUP_DAYS", FS_CONF_INT, "8", 7, 365,
     NULL, "how long event_ids are remembered for de-duplication"},
    {"worker.person_days", "person-days", "FUNNEL_PERSON_DAYS", FS_CONF_INT, "400", 1,
     3650, NULL,
     "how long a person's first-reached times are kept after their last event"},
    /* Off: the worker keeps funnel counts and users only — no touches or
     * conversions in person state, no attr/revenue/handoff hashes.  Fixed
     * per namespace (the claim script refuses a worker of the other kind). */
    {"worker.attribution", "attribution", "FUNNEL_ATTRIBUTION", FS_CONF_BOOL, "true", 0,
     0, NULL,
     "keep attribution, revenue and handoff (false: funnel counts and users only)"},
    {"worker.stats_s", "stats-s", NULL, FS_CONF_INT, "10", 0, 3600, NULL,
     "seconds between stats log lines (0 = none)"},
};

int main(int argc, char **argv)
{
    char err[512];
    int rc = 1;
    fs_log_t *lg = NULL;
    fs_definition_t *def = NULL;
    fs_worker_t *w = NULL;
    fs_counters_t *counters = NULL;
    fs_worker_endpoint_t *ep = NULL;
    fs_conf_t *conf = fs_conf_new("funnel-worker", "funnel-worker [options]");
    if (!conf || fs_conf_use(conf, shared_keys) ||
        fs_conf_add(conf, worker_defs, sizeof(worker_defs) / sizeof(worker_defs[0])))
        goto out;
    fs_conf_allow_kafka_props(conf);
    if ((rc = fs_program_start(conf, argc, argv, "funnel-worker", &lg)) >= 0)
        goto out;
    rc = 1;
    const char *defpath = fs_conf_str(conf, "definition");
    def = defpath ? fs_definition_load(defpath, err, sizeof(err))
                  : fs_definition_new_default(err, sizeof(err));
    if (!def) {
        fprintf(stderr, "funnel-worker: %s\n", err);
        rc = 2;
        goto out;
    }
    if (fs_signal_install() != FS_OK || !(counters = fs_counters_new()))
        goto out;
    fs_worker_opts_t opts = {
        .batch_max = (int)fs_conf_int(conf, "worker.batch_max"),
        .batch_ms = (int)fs_conf_int(conf, "worker.batch_ms"),
        .dedup_ttl_s = (int)fs_conf_int(conf, "worker.dedup_days") * 86400,
        .person_ttl_s = (int)fs_conf_int(conf, "worker.person_days") * 86400,
        .stats_every_s = (int)fs_conf_int(conf, "worker.stats_s"),
        .person = {def, fs_conf_int(conf, "lookback_days") * 86400000LL,
                   fs_conf_int(conf, "half_life_days") * 86400000LL,
                   fs_conf_int(conf, "sla_days") * 86400000LL,
                   !fs_conf_bool(conf, "worker.attribution")},
        .counters = counters,
    };
    if (!(w = fs_worker_new(conf, def, lg, &opts, err, sizeof(err)))) {
        FS_ERROR(lg, "%s", err);
        goto out;
    }
    const char *listen = fs_conf_str(conf, "worker.listen");
    if (strcmp(listen, "off") != 0) {
        /* Not fatal: several workers on one host (tests, benchmarks) share
         * the default address; the first serves, the others count on. */
        if (!(ep = fs_worker_endpoint_new(listen, conf, counters, fs_worker_kafka(w),
                                          fs_conf_str(conf, "kafka.topic"), lg, err,
                                          sizeof(err))))
            FS_WARN(lg, "no /metrics, /healthz, /readyz: %s", err);
        else
            FS_INFO(lg, "serving /metrics, /healthz, /readyz on %s", listen);
    }
    FS_INFO(lg, "consuming %s in group %s", fs_conf_str(conf, "kafka.topic"),
            fs_conf_str(conf, "kafka.group"));
    rc = fs_worker_run(w);
    FS_INFO(lg, "stopped");
out:
    fs_worker_endpoint_destroy(ep); /* before the worker: it borrows its consumer */
    fs_worker_destroy(w);
    fs_counters_destroy(counters);
    fs_definition_destroy(def);
    fs_log_destroy(lg);
    fs_conf_destroy(conf);
    return rc;
}
