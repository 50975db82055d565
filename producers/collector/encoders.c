/*
 * encoders.c — the collector's pool of Avro encoders (see encoders.h).
 *
 * Owns the encoders and their idle list; never encodes, produces or
 * answers anything itself.
 */
#include "encoders.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct fs_encoders {
    pthread_mutex_t mu; /* guards idle */
    fs_encoder_t *idle;
};

static void encoder_destroy(fs_encoder_t *enc)
{
    if (!enc)
        return;
    fs_codec_destroy(enc->codec);
    fs_buf_free(&enc->scratch);
    free(enc);
}

/* A new encoder with a scratch buffer sized for a typical event (so the
 * first requests do not grow it piecemeal); NULL with @p errstr. */
static fs_encoder_t *encoder_new(char *errstr, size_t sz)
{
    fs_encoder_t *enc = calloc(1, sizeof(*enc));
    if (!enc || fs_buf_reserve(&enc->scratch, 4096) != FS_OK) {
        snprintf(errstr, sz, "out of memory");
        encoder_destroy(enc);
        return NULL;
    }
    if (!(enc->codec = fs_codec_new(NULL, errstr, sz))) {
        encoder_destroy(enc);
        return NULL;
    }
    return enc;
}

fs_encoders_t *fs_encoders_new(unsigned n, char *errstr, size_t sz)
{
    fs_encoders_t *pool = calloc(1, sizeof(*pool));
    if (!pool) {
        snprintf(errstr, sz, "out of memory");
        return NULL;
    }
    if (pthread_mutex_init(&pool->mu, NULL) != 0) {
        snprintf(errstr, sz, "cannot create a mutex");
        free(pool);
        return NULL;
    }
    for (unsigned i = 0; i < n; i++) {
        fs_encoder_t *enc = encoder_new(errstr, sz);
        if (!enc)
            goto fail;
        fs_encoders_put(pool, enc);
    }
    return pool;
fail:
    fs_encoders_destroy(pool);
    return NULL;
}

/* @locks mu */
fs_encoder_t *fs_encoders_get(fs_encoders_t *pool, fs_log_t *lg)
{
    pthread_mutex_lock(&pool->mu);
    fs_encoder_t *enc = pool->idle;
    if (enc)
        pool->idle = enc->next;
    pthread_mutex_unlock(&pool->mu);
    if (!enc) {
        char err[256];
        if (!(enc = encoder_new(err, sizeof(err))))
            FS_ERROR(lg, "cannot create an encoder: %s", err);
    }
    return enc;
}

void fs_encoders_put(fs_encoders_t *pool, fs_encoder_t *enc)
{
    if (!enc)
        return;
    pthread_mutex_lock(&pool->mu);
    enc->next = pool->idle;
    pool->idle = enc;
    pthread_mutex_unlock(&pool->mu);
}

void fs_encoders_destroy(fs_encoders_t *pool)
{
    if (!pool)
        return;
    while (pool->idle) {
        fs_encoder_t *enc = pool->idle;
        pool->idle = enc->next;
        encoder_destroy(enc);
    }
    pthread_mutex_destroy(&pool->mu);
    free(pool);
}
