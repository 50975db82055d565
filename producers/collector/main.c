/*
 * funnel-collector — HTTP ingest daemon (SPEC §4).
 *
 * Wiring only: configuration → definition, codec, producer → HTTP server →
 * wait for SIGTERM/SIGINT → graceful drain → exit 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fs_codec.h"
#include "fs_conf.h"
#include "fs_definition.h"
#include "fs_log.h"
#include "fs_program.h"
#include "fs_producer.h"
#include "fs_signal.h"
#include "server.h"

static const char *const shared_keys[] = {"kafka.brokers", "kafka.topic", "kafka.dlq_topic",
                                          "listen", "definition", "log.level", "log.json",
                                          NULL};

static const fs_conf_def_t collector_defs[] = {
    {"collector.ack_timeout_ms", "ack-timeout-ms", "FUNNEL_ACK_TIMEOUT_MS", FS_CONF_INT,
     "10000", 100, 300000, NULL,
     "how long Kafka may take to acknowledge events before the request gets 503"},
    {"collector.max_body_bytes", "max-body-bytes", NULL, FS_CONF_INT, "524288", 1024,
     524288, NULL, "largest request body (413 above)"},
    {"collector.max_events", "max-events", NULL, FS_CONF_INT, "500", 1, 500, NULL,
     "most events per request (400 above)"},
    {"collector.conn_timeout_s", "conn-timeout-s", NULL, FS_CONF_INT, "30", 1, 3600, NULL,
     "idle or slow client connections are closed after this"},
    {"collector.drain_ms", "drain-ms", NULL, FS_CONF_INT, "15000", 0, 600000, NULL,
     "on SIGTERM, how long in-flight requests may take to finish"},
};

int main(int argc, char **argv)
{
    char err[512];
    int rc = 1;
    fs_log_t *lg = NULL;
    fs_definition_t *def = NULL;
    fs_codec_t *codec = NULL;
    fs_producer_t *producer = NULL;
    fs_server_t *srv = NULL;
    fs_conf_t *conf = fs_conf_new("funnel-collector", "funnel-collector [options]");
    if (!conf || fs_conf_use(conf, shared_keys) ||
        fs_conf_add(conf, collector_defs, sizeof(collector_defs) / sizeof(collector_defs[0])))
        goto fail;
    fs_conf_allow_kafka_props(conf);
    if ((rc = fs_program_start(conf, argc, argv, "funnel-collector", &lg)) >= 0)
        goto fail;
    rc = 1;
    const char *defpath = fs_conf_str(conf, "definition");
    def = defpath ? fs_definition_load(defpath, err, sizeof(err))
                  : fs_definition_new_default(err, sizeof(err));
    if (!def || !(codec = fs_codec_new(NULL, err, sizeof(err))) ||
        !(producer = fs_producer_new(conf, (int)fs_conf_int(conf, "collector.ack_timeout_ms"),
                                     err, sizeof(err)))) {
        fprintf(stderr, "funnel-collector: %s\n", err);
        rc = 2;
        goto fail;
    }
    if (fs_signal_install() != FS_OK)
        goto fail;
    fs_server_opts_t opts = {
        .listen = fs_conf_str(conf, "listen"),
        .max_body_bytes = (size_t)fs_conf_int(conf, "collector.max_body_bytes"),
        .max_events = (size_t)fs_conf_int(conf, "collector.max_events"),
        .conn_timeout_s = (unsigned)fs_conf_int(conf, "collector.conn_timeout_s"),
        .retry_after_s = 2,
    };
    srv = fs_server_new(&opts, producer, codec, def, lg, err, sizeof(err));
    if (!srv) {
        FS_ERROR(lg, "%s", err);
        goto fail;
    }
    FS_INFO(lg, "listening on %s, producing to %s (dead letters: %s)", opts.listen,
            fs_conf_str(conf, "kafka.topic"), fs_conf_str(conf, "kafka.dlq_topic"));
    while (!fs_signal_stop_requested())
        usleep(100 * 1000);
    FS_INFO(lg, "stopping: draining in-flight requests");
    fs_server_destroy(srv, (int)fs_conf_int(conf, "collector.drain_ms"));
    srv = NULL;
    if (fs_producer_flush(producer, 10000) != FS_OK)
        FS_WARN(lg, "some messages were still queued at exit");
    rc = 0;
    FS_INFO(lg, "stopped");
fail:
    fs_server_destroy(srv, 0);
    fs_producer_destroy(producer, 0);
    fs_codec_destroy(codec);
    fs_definition_destroy(def);
    fs_log_destroy(lg);
    fs_conf_destroy(conf);
    return rc;
}
