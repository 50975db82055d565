/*
 * fs_redis.c — Redis connection set-up and error classes (see fs_redis.h).
 */
#include "fs_redis.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fs_url.h"

int fs_redis_reply_ok(redisContext *c, const redisReply *r, const char *what,
                      char *errstr, size_t sz)
{
    if (!r) {
        snprintf(errstr, sz, "%s: %s", what, c && c->err ? c->errstr : "no reply");
        return -1;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        snprintf(errstr, sz, "%s: %.*s", what, (int)r->len, r->str);
        return -1;
    }
    return 0;
}

static int starts(const char *msg, const char *prefix)
{
    return !strncmp(msg, prefix, strlen(prefix));
}

/* What Redis 7 answers a script calling a command its caller's ACL
 * forbids (the caller may run EVALSHA itself). */
static const char script_noperm[] =
    "ERR The user executing the script can't run this command";

fs_err_t fs_redis_error_class(const char *msg)
{
    static const char *const misconfig[] = {"WRONGPASS", "NOAUTH", "NOPERM"};
    static const char *const fatal[] = {"ERR", "WRONGTYPE", "EXECABORT", "NOSCRIPT"};
    if (!msg)
        return FS_ERR_FATAL;
    for (size_t i = 0; i < sizeof(misconfig) / sizeof(misconfig[0]); i++)
        if (starts(msg, misconfig[i]))
            return FS_ERR_INVALID;
    if (starts(msg, script_noperm))
        return FS_ERR_INVALID;
    /* Redis at maxclients answers a new connection with an ERR: full now,
     * not misconfigured; the next try may find a free slot. */
    if (starts(msg, "ERR max number of clients reached"))
        return FS_ERR_TRANSIENT;
    for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
        if (starts(msg, fatal[i]) &&
            (msg[strlen(fatal[i])] == ' ' || !msg[strlen(fatal[i])]))
            return FS_ERR_FATAL;
    return FS_ERR_TRANSIENT;
}

const char *fs_redis_error_hint(const char *msg)
{
    if (!msg)
        return "";
    if (starts(msg, "WRONGPASS"))
        return "the user or password of redis.url / redis.password_file is refused";
    if (starts(msg, "NOAUTH"))
        return "Redis requires a password and none is configured (redis.url or "
               "redis.password_file)";
    if (starts(msg, "NOPERM") || starts(msg, script_noperm))
        return "the Redis user's ACL forbids a command this program needs "
               "(docs/redis-acl.md)";
    return "";
}

static int read_password_file(const char *path, char *out, size_t outsz, char *errstr,
                              size_t sz)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(errstr, sz, "redis.password_file: cannot open \"%s\": %s", path,
                 strerror(errno));
        return -1;
    }
    size_t n = fread(out, 1, outsz - 1, f);
    fclose(f);
    out[n] = '\0';
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
        out[--n] = '\0';
    return 0;
}

/* Sends one command; on an error fills @p errstr and *why. */
static int command_ok(redisContext *c, fs_err_t *why, const char *addr, const char *what,
                      char *errstr, size_t sz, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    char e[400];
    int rc = fs_redis_reply_ok(c, r, what, e, sizeof(e));
    if (rc) {
        *why = r ? fs_redis_error_class(r->str) : FS_ERR_TRANSIENT;
        const char *hint = r ? fs_redis_error_hint(r->str) : "";
        snprintf(errstr, sz, "redis %s: %s%s%s", addr, hint, hint[0] ? ": " : "", e);
    }
    if (r)
        freeReplyObject(r);
    return rc;
}

redisContext *fs_redis_open(const fs_conf_t *conf, int timeout_ms, fs_err_t *why_out,
                            char *errstr, size_t sz)
{
    fs_redis_url_t url;
    char e[256];
    fs_err_t why = FS_ERR_INVALID, ignored;
    redisContext *c = NULL;
    if (!why_out)
        why_out = &ignored;
    if (fs_redis_url_parse(fs_conf_str(conf, "redis.url"), &url, e, sizeof(e)) != FS_OK) {
        snprintf(errstr, sz, "redis.url: %s", e);
        goto fail;
    }
    const char *pwfile = fs_conf_str(conf, "redis.password_file");
    if (pwfile &&
        read_password_file(pwfile, url.password, sizeof(url.password), errstr, sz) != 0)
        goto fail;

    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    c = url.unix_path[0] ? redisConnectUnixWithTimeout(url.unix_path, tv)
                         : redisConnectWithTimeout(url.host, url.port, tv);
    char addr[300];
    if (url.unix_path[0])
        snprintf(addr, sizeof(addr), "%s", url.unix_path);
    else
        snprintf(addr, sizeof(addr), "%s:%d", url.host, url.port);
    why = FS_ERR_TRANSIENT;
    if (!c || c->err) {
        snprintf(errstr, sz, "redis %s: %s", addr, c ? c->errstr : "out of memory");
        goto fail;
    }
    if (redisSetTimeout(c, tv) != REDIS_OK) {
        snprintf(errstr, sz, "redis %s: cannot set timeout", addr);
        goto fail;
    }
    if (url.password[0]) {
        int rc = url.username[0] ? command_ok(c, &why, addr, "AUTH", errstr, sz,
                                              "AUTH %s %s", url.username, url.password)
                                 : command_ok(c, &why, addr, "AUTH", errstr, sz,
                                              "AUTH %s", url.password);
        if (rc)
            goto fail;
    }
    if (url.db && command_ok(c, &why, addr, "SELECT", errstr, sz, "SELECT %d", url.db))
        goto fail;
    /* Without a password, nothing so far asked Redis whether it wants one. */
    if (command_ok(c, &why, addr, "PING", errstr, sz, "PING"))
        goto fail;
    return c;
fail:
    if (c)
        redisFree(c);
    *why_out = why;
    return NULL;
}

redisContext *fs_redis_connect(const fs_conf_t *conf, int timeout_ms, char *errstr,
                               size_t sz)
{
    return fs_redis_open(conf, timeout_ms, NULL, errstr, sz);
}
