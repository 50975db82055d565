/*
 * tally.h — the counts of one funnel-ingest run and what is shown of them:
 * the progress line, the end-of-run summary (text or JSON) and the
 * rejection reasons by class.
 *
 * Owns the counters, the reason classes and the arithmetic of percentages,
 * rates and ETAs.  Called by the ingest loop (counting, progress) and by
 * main (summary).  Pure: the caller passes the elapsed time and the input
 * size; nothing here reads a clock, a file or a terminal, or prints.
 */
#ifndef FS_TALLY_H
#define FS_TALLY_H

#include <stddef.h>
#include <stdint.h>

#include "fs_buf.h"
#include "fs_err.h"

#define FS_TALLY_CLASS_MAX 48   /* bytes of a reason class name */
#define FS_TALLY_MAX_CLASSES 64 /* distinct classes; further ones count as "(other)" */

typedef struct fs_tally_reason {
    char name[FS_TALLY_CLASS_MAX + 1];
    uint64_t count;
} fs_tally_reason_t;

typedef struct fs_tally {
    uint64_t start_offset; /* where this run started (the resume point) */
    uint64_t start_line;
    uint64_t bytes; /* bytes consumed by this run */
    uint64_t lines; /* lines read by this run, blank ones included */
    uint64_t blank;
    uint64_t accepted;  /* valid events handed to Kafka */
    uint64_t acked;     /* ... of which Kafka acknowledged (acks=all) */
    uint64_t rejected;  /* invalid lines, each dead-lettered */
    uint64_t dlq_acked; /* dead letters acknowledged */
    uint64_t failed;    /* messages whose delivery failed */
    size_t nreasons;
    fs_tally_reason_t reasons[FS_TALLY_MAX_CLASSES + 1];
} fs_tally_t;

/** How a run ended, for the summary. */
typedef struct fs_tally_end {
    const char *input; /* file name or "-" (borrowed) */
    double duration_s;
    const char *outcome; /* "complete", "interrupted", "kafka_failure", "read_error" */
    int exit_code;
    uint64_t mark_offset;   /* everything before this byte is acknowledged */
    uint64_t mark_line;     /* ... i.e. lines 1..mark_line */
    const char *checkpoint; /* checkpoint file, or NULL */
} fs_tally_end_t;

/** Zeroes @p t for a run starting at byte @p offset after line @p line. */
void fs_tally_init(fs_tally_t *t, uint64_t offset, uint64_t line);

/**
 * The class of validation error @p error ("field: reason; ..."): the text
 * before the first ':' (at most FS_TALLY_CLASS_MAX bytes, control bytes
 * replaced by '?'), or "event" when there is none.  Writes it to @p out.
 */
void fs_tally_reason_class(const char *error, char out[FS_TALLY_CLASS_MAX + 1]);

/** Counts one rejected line with validation error @p error. */
void fs_tally_reject(fs_tally_t *t, const char *error);

/**
 * Sorts the reasons by count, highest first, then by name (the summary's
 * order).  The count of a class is never changed.
 */
void fs_tally_sort(fs_tally_t *t);

/** Events (accepted + rejected) per second over @p elapsed_s; 0 before any time passed.
 */
double fs_tally_rate(const fs_tally_t *t, double elapsed_s);

/**
 * Seconds left at the byte rate so far to reach @p total_bytes (input size);
 * -1 when unknown (no size, nothing read yet, or past the size).
 */
double fs_tally_eta(const fs_tally_t *t, double elapsed_s, uint64_t total_bytes);

/** "1:02:03" or "2:03" for @p s seconds (rounded up); "--:--" when negative. */
void fs_tally_format_duration(double s, char *out, size_t out_size);

/**
 * The progress line (no "\r", no newline): percentage, bytes, events/s,
 * accepted, rejected and ETA; without percentage and ETA when
 * @p total_bytes is 0 (a pipe).  Truncated to @p out_size - 1 bytes.
 */
void fs_tally_progress(const fs_tally_t *t, double elapsed_s, uint64_t total_bytes,
                       char *out, size_t out_size);

/**
 * APPENDS the human summary (several lines, each ending "\n") to @p out.
 * Reasons appear in their current order: call fs_tally_sort() first.
 * The input name and the reason classes are escaped by fs_text_escape()
 * and the counts aligned by terminal columns.
 */
fs_err_t fs_tally_summary_text(const fs_tally_t *t, const fs_tally_end_t *end,
                               fs_buf_t *out) FS_WUR;

/**
 * APPENDS the summary as one JSON object and "\n" to @p out:
 * {"input","outcome","exit_code","lines_read","blank_lines","accepted",
 *  "acknowledged","rejected","rejected_by_reason":{class: n, ...},
 *  "dead_letters_acknowledged","delivery_failures","duration_s",
 *  "events_per_s","start_line","acknowledged_through_line",
 *  "acknowledged_through_offset","checkpoint"}.
 */
fs_err_t fs_tally_summary_json(const fs_tally_t *t, const fs_tally_end_t *end,
                               fs_buf_t *out) FS_WUR;

#endif
