/*
 * fs_redis.h — opens one authenticated Redis connection from fs_conf, and
 * tells the failures retrying can fix from those it cannot.
 *
 * Reads redis.url and redis.password_file, connects with a timeout, sends
 * AUTH, SELECT and a PING (which a server that wants a password refuses).
 * The returned redisContext is the caller's (redisFree).  Knows nothing of
 * our key layout.
 */
#ifndef FS_REDIS_H
#define FS_REDIS_H

#include <stddef.h>

#include <hiredis/hiredis.h>

#include "fs_conf.h"
#include "fs_err.h"

/** NULL on failure with @p errstr a sentence naming the address (never the password). */
redisContext *fs_redis_connect(const fs_conf_t *conf, int timeout_ms, char *errstr,
                               size_t errstr_size);

/**
 * fs_redis_connect(), saying in *why (when not NULL) why it failed:
 * FS_ERR_TRANSIENT — Redis unreachable, or answering with a passing
 * condition (loading, busy...): retry later; FS_ERR_INVALID — a
 * misconfiguration retrying cannot fix: redis.url or the password file
 * unusable, the credentials refused (WRONGPASS), a password required and
 * none configured (NOAUTH), a command forbidden by the user's ACL
 * (NOPERM); @p errstr names it.
 */
redisContext *fs_redis_open(const fs_conf_t *conf, int timeout_ms, fs_err_t *why,
                            char *errstr, size_t errstr_size);

/**
 * The class of a Redis error reply's text @p msg (hiredis's r->str):
 * FS_ERR_INVALID for a misconfiguration (WRONGPASS, NOAUTH, NOPERM, and
 * the error a script gets for a command its caller's ACL forbids),
 * FS_ERR_TRANSIENT for a condition that passes (LOADING, BUSY, MASTERDOWN,
 * TRYAGAIN, READONLY, OOM, ...), FS_ERR_FATAL for anything else ("ERR ...",
 * WRONGTYPE...: a request Redis will refuse again).  Pure.
 */
fs_err_t fs_redis_error_class(const char *msg);

/**
 * A sentence for the operator about a misconfiguration that
 * fs_redis_error_class() classed FS_ERR_INVALID: which setting to fix
 * ("" for other errors; static storage).
 */
const char *fs_redis_error_hint(const char *msg);

/**
 * Checks a reply: returns 0 when @p r is non-NULL and not an error reply;
 * else fills @p errstr with what went wrong (context error or the reply's
 * error text) prefixed by @p what.  Does not free @p r.
 */
int fs_redis_reply_ok(redisContext *c, const redisReply *r, const char *what,
                      char *errstr, size_t errstr_size);

#endif
