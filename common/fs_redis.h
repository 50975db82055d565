/*
 * fs_redis.h — opens one authenticated Redis connection from fs_conf.
 *
 * Reads redis.url and redis.password_file, connects with a timeout, sends
 * AUTH and SELECT.  The returned redisContext is the caller's (redisFree).
 * Knows nothing of our key layout.
 */
#ifndef FS_REDIS_H
#define FS_REDIS_H

#include <stddef.h>

#include <hiredis/hiredis.h>

#include "fs_conf.h"

/** NULL on failure with @p errstr a sentence naming the address (never the password). */
redisContext *fs_redis_connect(const fs_conf_t *conf, int timeout_ms, char *errstr,
                               size_t errstr_size);

/**
 * Checks a reply: returns 0 when @p r is non-NULL and not an error reply;
 * else fills @p errstr with what went wrong (context error or the reply's
 * error text) prefixed by @p what.  Does not free @p r.
 */
int fs_redis_reply_ok(redisContext *c, const redisReply *r, const char *what,
                      char *errstr, size_t errstr_size);

#endif
