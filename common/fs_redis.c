/*
 * fs_redis.c — Redis connection set-up (see fs_redis.h).
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

static int command_ok(redisContext *c, const char *what, char *errstr, size_t sz,
                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    int rc = fs_redis_reply_ok(c, r, what, errstr, sz);
    if (r)
        freeReplyObject(r);
    return rc;
}

redisContext *fs_redis_connect(const fs_conf_t *conf, int timeout_ms, char *errstr,
                               size_t sz)
{
    fs_redis_url_t url;
    char e[256];
    if (fs_redis_url_parse(fs_conf_str(conf, "redis.url"), &url, e, sizeof(e)) != FS_OK) {
        snprintf(errstr, sz, "redis.url: %s", e);
        return NULL;
    }
    const char *pwfile = fs_conf_str(conf, "redis.password_file");
    if (pwfile &&
        read_password_file(pwfile, url.password, sizeof(url.password), errstr, sz) != 0)
        return NULL;

    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    redisContext *c = url.unix_path[0] ? redisConnectUnixWithTimeout(url.unix_path, tv)
                                       : redisConnectWithTimeout(url.host, url.port, tv);
    char addr[300];
    if (url.unix_path[0])
        snprintf(addr, sizeof(addr), "%s", url.unix_path);
    else
        snprintf(addr, sizeof(addr), "%s:%d", url.host, url.port);
    if (!c || c->err) {
        snprintf(errstr, sz, "redis %s: %s", addr, c ? c->errstr : "out of memory");
        goto fail;
    }
    if (redisSetTimeout(c, tv) != REDIS_OK) {
        snprintf(errstr, sz, "redis %s: cannot set timeout", addr);
        goto fail;
    }
    if (url.password[0]) {
        int rc = url.username[0]
                     ? command_ok(c, "AUTH", errstr, sz, "AUTH %s %s", url.username,
                                  url.password)
                     : command_ok(c, "AUTH", errstr, sz, "AUTH %s", url.password);
        if (rc)
            goto fail;
    }
    if (url.db && command_ok(c, "SELECT", errstr, sz, "SELECT %d", url.db))
        goto fail;
    return c;
fail:
    if (c)
        redisFree(c);
    return NULL;
}
