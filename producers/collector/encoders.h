/*
 * encoders.h — the collector's pool of Avro encoders.
 *
 * Owns: encoders (a codec and a scratch buffer each) and the list of idle
 * ones.  A codec is not thread-safe, so a request's handler takes an
 * encoder for as long as it encodes (events.c) and gives it back.  One per
 * HTTP thread is made up front; more only if more threads run handlers
 * than were planned for.
 *
 * Called by events.c (get/put) and http.c (new/destroy).  Knows nothing of
 * HTTP or Kafka.  Thread-safe: the idle list sits behind a mutex.
 */
#ifndef FS_ENCODERS_H
#define FS_ENCODERS_H

#include <stddef.h>

#include "fs_buf.h"
#include "fs_codec.h"
#include "fs_log.h"

/* What encoding needs and a codec cannot share between threads.  Taken from
 * the pool for one request, on the thread handling it. */
typedef struct fs_encoder {
    struct fs_encoder *next; /* in the idle list */
    fs_codec_t *codec;       /* owned */
    fs_buf_t scratch;        /* one encoded event or dead letter */
} fs_encoder_t;

typedef struct fs_encoders fs_encoders_t;

/**
 * A pool holding @p n idle encoders; NULL with @p errstr on failure, and
 * then nothing is allocated.
 */
fs_encoders_t *fs_encoders_new(unsigned n, char *errstr, size_t errstr_size);

/**
 * An idle encoder for the calling thread until fs_encoders_put(); a new one
 * when all are busy.  NULL when that fails (logged on @p lg).
 */
fs_encoder_t *fs_encoders_get(fs_encoders_t *pool, fs_log_t *lg);

/** Gives @p enc back to @p pool.  NULL @p enc is a no-op. */
void fs_encoders_put(fs_encoders_t *pool, fs_encoder_t *enc);

/** Frees the pool and its idle encoders (every one must be back).  NULL is a no-op. */
void fs_encoders_destroy(fs_encoders_t *pool);

#endif
