/*
 * ingest.h — the funnel-ingest loop: NDJSON input → validation → Kafka.
 *
 * Owns one run over one input (a file or stdin): reading it in large
 * chunks, validating each line exactly as the collector validates an event
 * (fs_validate_text), naming id-less events deterministically
 * (event_id.h), producing asynchronously to the events topic, dead-lettering
 * rejected lines, following delivery reports through the acknowledgement
 * window (ackwin.h), writing the checkpoint (checkpoint.h) and drawing the
 * progress line.  The decisions live in those pure modules; this file is
 * the thin I/O around them.  Single-threaded: delivery reports are served
 * by its own fs_producer_poll() calls.  Logs through the program's sink;
 * the progress line and nothing else is written to stderr directly.
 */
#ifndef FS_INGEST_H
#define FS_INGEST_H

#include <stddef.h>
#include <stdio.h>

#include "fs_codec.h"
#include "fs_definition.h"
#include "fs_log.h"
#include "fs_producer.h"
#include "tally.h"

/* Exit statuses of funnel-ingest (docs/funnel-ingest.md). */
#define FS_INGEST_EXIT_OK 0          /* every line accepted (or --allow-rejects) */
#define FS_INGEST_EXIT_REJECTS 1     /* some lines rejected */
#define FS_INGEST_EXIT_USAGE 2       /* bad usage, configuration, input or checkpoint */
#define FS_INGEST_EXIT_KAFKA 3       /* not every message acknowledged by Kafka */
#define FS_INGEST_EXIT_INTERRUPTED 4 /* SIGINT/SIGTERM before the end of the input */

typedef struct fs_ingest_opts {
    const char *input;        /* path, or "-" for stdin */
    const char *checkpoint;   /* checkpoint file, or NULL for none */
    int resume;               /* start from the checkpoint when it exists */
    int progress;             /* draw the progress line on stderr */
    int allow_rejects;        /* rejected lines do not make the exit status 1 */
    int timeout_s;            /* how long Kafka may take to acknowledge a message */
    int checkpoint_ms;        /* least time between two checkpoint writes */
    size_t max_in_flight;     /* lines awaiting delivery reports before reading pauses */
    const char *id_namespace; /* folded into generated ids ("" by default) */
    size_t log_rejects;       /* rejected lines logged one by one (then only counted) */
} fs_ingest_opts_t;

typedef struct fs_ingest fs_ingest_t;

/**
 * Opens the input, loads the checkpoint when resuming (checking that it
 * fits the input) and positions the input after it.  Everything is
 * borrowed and must outlive the handle; the string options are copied.
 * Installs itself as @p producer's delivery callback.
 * NULL with a sentence in @p errstr (exit status FS_INGEST_EXIT_USAGE).
 */
fs_ingest_t *fs_ingest_new(const fs_ingest_opts_t *opts, fs_producer_t *producer,
                           fs_codec_t *codec, const fs_definition_t *def, fs_log_t *lg,
                           char *errstr, size_t errstr_size);

/** Closes the input and frees the handle (the producer is the caller's).  NULL is a
 * no-op. */
void fs_ingest_destroy(fs_ingest_t *ing);

/**
 * Reads the input to its end (or a stop request, or a Kafka failure),
 * waits for every delivery report, writes the final checkpoint.  Returns
 * the exit status (FS_INGEST_EXIT_*) and logs the reason of any failure.
 */
int fs_ingest_run(fs_ingest_t *ing);

/** The counts of the run (borrowed until destroy). */
const fs_tally_t *fs_ingest_tally(const fs_ingest_t *ing);

/**
 * Writes the end-of-run summary to @p out: the text form, or with @p json
 * one JSON object on one line (tally.h).  Call after fs_ingest_run().
 */
void fs_ingest_summary(fs_ingest_t *ing, int json, FILE *out);

#endif
