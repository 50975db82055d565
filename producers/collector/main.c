/*
 * funnel-collector — HTTP ingest daemon (docs/collector.md).
 *
 * Wiring only: configuration → definition, codec, producer → HTTP server →
 * readiness notification → wait for SIGTERM/SIGINT → graceful drain →
 * exit 0.  The collector's settings live in config.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "config.h"
#include "fs_conf.h"
#include "fs_definition.h"
#include "fs_log.h"
#include "fs_producer.h"
#include "fs_program.h"
#include "fs_signal.h"
#include "sdnotify.h"
#include "server.h"

static const char *const shared_keys[] = {
    "kafka.brokers", "kafka.topic", "kafka.dlq_topic", "listen",
    "definition",    "log.level",   "log.json",        NULL};

static void notify(fs_log_t *lg, const char *state)
{
    if (fs_sdnotify(state) != FS_OK)
        FS_WARN(lg, "could not send %s to $NOTIFY_SOCKET", state);
}

/* Each connection is a descriptor: take the hard limit, and say so when
 * even that is below collector.max_connections (accept would fail with
 * EMFILE long before the cap). */
static void raise_fd_limit(fs_log_t *lg, unsigned max_connections)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            (void)getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)max_connections + 128)
        FS_WARN(
            lg,
            "file descriptor limit %llu is below collector.max_connections (%u) + 128: "
            "raise it (LimitNOFILE=, ulimit -n) or lower the setting",
            (unsigned long long)rl.rlim_cur, max_connections);
}

int main(int argc, char **argv)
{
    char err[512];
    int rc = 1;
    fs_log_t *lg = NULL;
    fs_definition_t *def = NULL;
    fs_producer_t *producer = NULL;
    fs_producer_t *bulk = NULL; /* NULL: collector.bulk_linger_ms 0 */
    fs_server_t *srv = NULL;
    fs_server_opts_t opts = {0};
    fs_conf_t *conf = fs_conf_new("funnel-collector", "funnel-collector [options]");
    if (!conf || fs_conf_use(conf, shared_keys) ||
        fs_conf_add(conf, fs_collector_defs, fs_collector_ndefs))
        goto fail;
    fs_conf_allow_kafka_props(conf);
    if ((rc = fs_program_start(conf, argc, argv, "funnel-collector", &lg)) >= 0)
        goto fail;
    rc = 2;
    if (fs_collector_opts(conf, &opts, err, sizeof(err)) != FS_OK) {
        fprintf(stderr, "funnel-collector: %s\n", err);
        goto fail;
    }
    const char *defpath = fs_conf_str(conf, "definition");
    def = defpath ? fs_definition_load(defpath, err, sizeof(err))
                  : fs_definition_new_default(err, sizeof(err));
    int ack_timeout_ms = (int)fs_conf_int(conf, "collector.ack_timeout_ms");
    int bulk_linger_ms = (int)fs_conf_int(conf, "collector.bulk_linger_ms");
    if (!def ||
        !(producer = fs_producer_new(conf, ack_timeout_ms, -1, err, sizeof(err))) ||
        (bulk_linger_ms > 0 &&
         !(bulk = fs_producer_new(conf, ack_timeout_ms, bulk_linger_ms, err,
                                  sizeof(err))))) {
        fprintf(stderr, "funnel-collector: %s\n", err);
        goto fail;
    }
    /* A topic that does not exist is not an outage to ride out with 503s:
     * stop now, naming it.  No answer from Kafka is (it may be starting). */
    fs_err_t te = fs_producer_check_topics(producer, 5000, err, sizeof(err));
    if (te == FS_ERR_INVALID) {
        fprintf(stderr, "funnel-collector: %s\n", err);
        goto fail;
    }
    if (te != FS_OK)
        FS_WARN(lg, "%s (Kafka unreachable at start-up; /readyz says when it is back)",
                err);
    rc = 1;
    raise_fd_limit(lg, opts.max_connections);
    if (fs_signal_install() != FS_OK)
        goto fail;
    srv = fs_server_new(&opts, producer, bulk, def, lg, err, sizeof(err));
    if (!srv) {
        FS_ERROR(lg, "%s", err);
        goto fail;
    }
    if (bulk)
        FS_INFO(lg, "requests of %zu events or more go to a producer lingering %d ms",
                opts.bulk_min_events, bulk_linger_ms);
    FS_INFO(
        lg,
        "listening on %s with %u HTTP threads, producing to %s (dead letters: %s)%s%s",
        opts.listen, opts.threads, fs_conf_str(conf, "kafka.topic"),
        fs_conf_str(conf, "kafka.dlq_topic"),
        opts.write_keys ? ", write keys required" : "",
        opts.rate_per_s > 0 ? ", rate-limited" : "");
    if (opts.health_listen)
        FS_INFO(lg, "health probes also on %s (port %d)", opts.health_listen,
                fs_server_health_port(srv));
    notify(lg, "READY=1");
    while (!fs_signal_stop_requested())
        usleep(100 * 1000);
    FS_INFO(lg, "stopping: draining in-flight requests");
    notify(lg, "STOPPING=1");
    fs_server_destroy(srv, (int)fs_conf_int(conf, "collector.drain_ms"));
    srv = NULL;
    int unflushed = fs_producer_flush(producer, 10000) != FS_OK;
    if (bulk && fs_producer_flush(bulk, 10000) != FS_OK)
        unflushed = 1;
    if (unflushed)
        FS_WARN(lg, "some messages were still queued at exit");
    rc = 0;
    FS_INFO(lg, "stopped");
fail:
    fs_server_destroy(srv, 0);
    fs_producer_destroy(producer, 0);
    fs_producer_destroy(bulk, 0);
    fs_collector_opts_clear(&opts);
    fs_definition_destroy(def);
    fs_log_destroy(lg);
    fs_conf_destroy(conf);
    return rc;
}
