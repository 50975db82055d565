/*
 * funnel-ingest — NDJSON events from a file or stdin into Kafka (docs/CONFIGURATION.md).
 *
 * Wiring only: configuration → definition, codec, producer → the ingest
 * loop (ingest.c) → summary → exit status (docs/funnel-ingest.md):
 * 0 all accepted, 1 some rejected (unless --allow-rejects), 2 bad usage,
 * configuration, input or checkpoint, 3 not every message acknowledged by
 * Kafka, 4 interrupted by SIGINT/SIGTERM.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs_codec.h"
#include "fs_conf.h"
#include "fs_definition.h"
#include "fs_log.h"
#include "fs_producer.h"
#include "fs_program.h"
#include "fs_signal.h"
#include "ingest.h"

#define PROGRAM "funnel-ingest"

static fs_err_t check_progress(const char *v, char *errstr, size_t sz)
{
    if (!strcmp(v, "auto") || !strcmp(v, "always") || !strcmp(v, "never"))
        return FS_OK;
    snprintf(errstr, sz, "\"%s\" is not one of auto, always, never", v);
    return FS_ERR_INVALID;
}

static fs_err_t check_id_namespace(const char *v, char *errstr, size_t sz)
{
    if (strlen(v) > 256 || strchr(v, '\n')) {
        snprintf(errstr, sz, "at most 256 bytes on one line");
        return FS_ERR_INVALID;
    }
    return FS_OK;
}

static const char *const shared_keys[] = {
    "kafka.brokers", "kafka.topic", "kafka.dlq_topic", "definition", "log.level",
    "log.json",      NULL};

static const fs_conf_def_t ingest_defs[] = {
    {"ingest.timeout_s", "timeout-s", "FUNNEL_INGEST_TIMEOUT_S", FS_CONF_INT, "60", 1,
     86400, NULL,
     "how long Kafka may take to acknowledge a message (retrying meanwhile) before the "
     "run fails with exit status 3"},
    {"ingest.checkpoint", "checkpoint", NULL, FS_CONF_STRING, NULL, 0, 0, NULL,
     "record here, durably, up to which line everything is acknowledged (default with "
     "--resume: FILE.ingest-checkpoint)"},
    {"ingest.resume", "resume", NULL, FS_CONF_BOOL, "false", 0, 0, NULL,
     "start after the line recorded in the checkpoint (from line 1 when there is none)"},
    {"ingest.checkpoint_interval_ms", "checkpoint-interval-ms", NULL, FS_CONF_INT, "1000",
     10, 3600000, NULL, "least time between two checkpoint writes (each one is fsynced)"},
    {"ingest.progress", "progress", NULL, FS_CONF_STRING, "auto", 0, 0, check_progress,
     "progress line on stderr: auto (when stderr is a terminal), always or never"},
    {"ingest.json_summary", "json-summary", NULL, FS_CONF_BOOL, "false", 0, 0, NULL,
     "print the summary as one JSON object on stdout instead of text on stderr"},
    {"ingest.allow_rejects", "allow-rejects", NULL, FS_CONF_BOOL, "false", 0, 0, NULL,
     "exit 0 even when lines were rejected (they are still dead-lettered and counted)"},
    {"ingest.id_namespace", "id-namespace", NULL, FS_CONF_STRING, NULL, 0, 0,
     check_id_namespace,
     "folded into the ids generated for events without event_id (UUIDv5 of namespace, "
     "line number and line); use one per distinct file whose lines may repeat"},
    {"ingest.max_in_flight", "max-in-flight", NULL, FS_CONF_INT, "100000", 1, 1000000,
     NULL, "lines awaiting their delivery report before reading pauses"},
    {"ingest.log_rejects", "log-rejects", NULL, FS_CONF_INT, "100", 0, 100000000, NULL,
     "rejected lines logged one by one; later ones are only counted and dead-lettered"},
};

int main(int argc, char **argv)
{
    char err[512];
    int rc = FS_INGEST_EXIT_USAGE;
    char *default_checkpoint = NULL;
    fs_log_t *lg = NULL;
    fs_definition_t *def = NULL;
    fs_codec_t *codec = NULL;
    fs_producer_t *producer = NULL;
    fs_ingest_t *ing = NULL;
    fs_conf_t *conf = fs_conf_new(PROGRAM, PROGRAM " [options] FILE|-");
    if (!conf || fs_conf_use(conf, shared_keys) ||
        fs_conf_add(conf, ingest_defs, sizeof(ingest_defs) / sizeof(ingest_defs[0])))
        goto fail;
    fs_conf_allow_kafka_props(conf);
    if ((rc = fs_program_start(conf, argc, argv, PROGRAM, &lg)) >= 0)
        goto fail;
    rc = FS_INGEST_EXIT_USAGE;
    if (fs_conf_npositional(conf) != 1) {
        fprintf(stderr,
                PROGRAM ": expected one input, FILE or - for stdin (see --help)\n");
        goto fail;
    }
    const char *input = fs_conf_positional(conf, 0);
    const char *progress = fs_conf_str(conf, "ingest.progress");
    fs_ingest_opts_t opts = {
        .input = input,
        .checkpoint = fs_conf_str(conf, "ingest.checkpoint"),
        .resume = fs_conf_bool(conf, "ingest.resume"),
        .progress = !strcmp(progress, "always") ||
                    (!strcmp(progress, "auto") && isatty(STDERR_FILENO)),
        .allow_rejects = fs_conf_bool(conf, "ingest.allow_rejects"),
        .timeout_s = (int)fs_conf_int(conf, "ingest.timeout_s"),
        .checkpoint_ms = (int)fs_conf_int(conf, "ingest.checkpoint_interval_ms"),
        .max_in_flight = (size_t)fs_conf_int(conf, "ingest.max_in_flight"),
        .id_namespace = fs_conf_str(conf, "ingest.id_namespace"),
        .log_rejects = (size_t)fs_conf_int(conf, "ingest.log_rejects"),
    };
    if (opts.resume && !opts.checkpoint) {
        if (!strcmp(input, "-")) {
            fprintf(stderr, PROGRAM ": --resume of stdin needs --checkpoint FILE\n");
            goto fail;
        }
        size_t n = strlen(input) + sizeof(".ingest-checkpoint");
        if (!(default_checkpoint = malloc(n)))
            goto fail;
        snprintf(default_checkpoint, n, "%s.ingest-checkpoint", input);
        opts.checkpoint = default_checkpoint;
    }
    const char *defpath = fs_conf_str(conf, "definition");
    def = defpath ? fs_definition_load(defpath, err, sizeof(err))
                  : fs_definition_new_default(err, sizeof(err));
    if (!def || !(codec = fs_codec_new(NULL, err, sizeof(err))) ||
        !(producer =
              fs_producer_new(conf, opts.timeout_s * 1000, -1, err, sizeof(err))) ||
        !(ing = fs_ingest_new(&opts, producer, codec, def, lg, err, sizeof(err)))) {
        fprintf(stderr, PROGRAM ": %s\n", err);
        goto fail;
    }
    if (fs_signal_install() != FS_OK) {
        fprintf(stderr, PROGRAM ": cannot install signal handlers\n");
        goto fail;
    }
    FS_INFO(lg, "ingesting %s into %s (dead letters: %s)",
            strcmp(input, "-") ? input : "stdin", fs_conf_str(conf, "kafka.topic"),
            fs_conf_str(conf, "kafka.dlq_topic"));
    rc = fs_ingest_run(ing);
    int json = fs_conf_bool(conf, "ingest.json_summary");
    fs_ingest_summary(ing, json, json ? stdout : stderr);
fail:
    /* The producer goes first: no delivery report may reach a freed ingest. */
    fs_producer_destroy(producer, 0);
    fs_ingest_destroy(ing);
    fs_codec_destroy(codec);
    fs_definition_destroy(def);
    free(default_checkpoint);
    fs_log_destroy(lg);
    fs_conf_destroy(conf);
    return rc;
}
