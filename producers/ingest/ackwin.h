/*
 * ackwin.h — the acknowledgement window of funnel-ingest: how far into the
 * input every message is acknowledged (the low-water mark a checkpoint
 * records).
 *
 * Owns a ring of the lines whose Kafka delivery report has not come back
 * or that wait behind one that has not.  Each line that produced a message
 * (an event or a dead letter) gets a sequence number; delivery reports
 * arrive in any order (partitions are acknowledged independently), and the
 * mark only moves past a line once it and every line before it are
 * acknowledged.  Called by the ingest loop on its own thread (delivery
 * callbacks run inside its fs_producer_poll()).  Pure: no I/O, no clock, no
 * locks.
 */
#ifndef FS_ACKWIN_H
#define FS_ACKWIN_H

#include <stddef.h>
#include <stdint.h>

#include "fs_err.h"

/** A position in the input: everything before @c offset (lines 1..line) is done. */
typedef struct fs_ackwin_mark {
    uint64_t offset; /* byte offset where the first unfinished line starts */
    uint64_t line;   /* number of the last finished line (0: none) */
} fs_ackwin_mark_t;

typedef struct fs_ackwin fs_ackwin_t;

/**
 * A window of at most @p capacity unfinished lines (rounded up to a power of
 * two), starting at @p start (the resume point, or {0, 0}).  NULL on OOM.
 */
fs_ackwin_t *fs_ackwin_new(size_t capacity, fs_ackwin_mark_t start);
void fs_ackwin_destroy(fs_ackwin_t *w);

/** Non-zero when no further line can be pushed until acknowledgements come in. */
int fs_ackwin_full(const fs_ackwin_t *w);

/** The sequence number the next fs_ackwin_push() will return (to tag a message). */
uint64_t fs_ackwin_next_seq(const fs_ackwin_t *w);

/**
 * Adds the line ending at byte @p end with number @p line, awaiting one
 * acknowledgement.  @returns FS_OK with *seq set, or FS_ERR_TRANSIENT when
 * full.  Lines must be pushed in input order.
 */
fs_err_t fs_ackwin_push(fs_ackwin_t *w, uint64_t end, uint64_t line,
                        uint64_t *seq) FS_WUR;

/**
 * Records a line that needs no acknowledgement (blank): the mark passes it
 * as soon as every line before it is acknowledged.  FS_ERR_TRANSIENT when
 * full.
 */
fs_err_t fs_ackwin_skip(fs_ackwin_t *w, uint64_t end, uint64_t line) FS_WUR;

/**
 * Delivery report for @p seq: @p ok non-zero when acknowledged.  A failed
 * line stays unfinished for good (the mark never passes it).  Unknown or
 * repeated sequence numbers are ignored and return FS_ERR_NOT_FOUND.
 */
fs_err_t fs_ackwin_ack(fs_ackwin_t *w, uint64_t seq, int ok);

/** The low-water mark: every line before it is acknowledged. */
fs_ackwin_mark_t fs_ackwin_mark(const fs_ackwin_t *w);

/** Lines pushed whose report has not come back yet. */
size_t fs_ackwin_pending(const fs_ackwin_t *w);

/** Lines whose delivery failed. */
uint64_t fs_ackwin_failed(const fs_ackwin_t *w);

#endif
