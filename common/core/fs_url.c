/*
 * fs_url.c — host:port and redis:// URL parsing (see fs_url.h).  Pure.
 */
#include "fs_url.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static fs_err_t parse_port(const char *s, size_t n, int *port, char *errstr, size_t sz)
{
    if (n == 0 || n > 9) {
        snprintf(errstr, sz, "port \"%.*s\" is not a number", (int)(n > 9 ? 9 : n), s);
        return FS_ERR_INVALID;
    }
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) {
            snprintf(errstr, sz, "port \"%.*s\" is not a number", (int)n, s);
            return FS_ERR_INVALID;
        }
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1 || v > 65535) {
        snprintf(errstr, sz, "port %ld outside 1..65535", v);
        return FS_ERR_INVALID;
    }
    *port = (int)v;
    return FS_OK;
}

/* Splits "host:port" / "[v6]:port" at @p s of length @p n. */
static fs_err_t split_host_port(const char *s, size_t n, char *host, size_t hostsz,
                                int *port, int port_required, char *errstr, size_t sz)
{
    const char *hend, *colon;
    const char *end = s + n;
    if (n > 0 && s[0] == '[') {
        hend = memchr(s, ']', n);
        if (!hend) {
            snprintf(errstr, sz, "missing ']' after IPv6 address");
            return FS_ERR_INVALID;
        }
        colon = hend + 1 < end && hend[1] == ':' ? hend + 1 : NULL;
        if (hend + 1 < end && !colon) {
            snprintf(errstr, sz, "expected ':' after ']'");
            return FS_ERR_INVALID;
        }
        s++;
    } else {
        colon = NULL;
        for (const char *p = end; p > s; p--)
            if (p[-1] == ':') {
                colon = p - 1;
                break;
            }
        hend = colon ? colon : end;
    }
    size_t hl = (size_t)(hend - s);
    if (hl >= hostsz) {
        snprintf(errstr, sz, "host name too long");
        return FS_ERR_INVALID;
    }
    memcpy(host, s, hl);
    host[hl] = '\0';
    for (size_t i = 0; i < hl; i++)
        if (isspace((unsigned char)host[i]) || host[i] == '/' || host[i] == '@') {
            snprintf(errstr, sz, "invalid character in host \"%s\"", host);
            return FS_ERR_INVALID;
        }
    if (!colon) {
        if (port_required) {
            snprintf(errstr, sz, "missing \":port\"");
            return FS_ERR_INVALID;
        }
        return FS_OK;
    }
    return parse_port(colon + 1, (size_t)(end - colon - 1), port, errstr, sz);
}

fs_err_t fs_hostport_parse(const char *s, fs_hostport_t *out, char *errstr,
                           size_t errstr_size)
{
    memset(out, 0, sizeof(*out));
    return split_host_port(s, strlen(s), out->host, sizeof(out->host), &out->port, 1,
                           errstr, errstr_size);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static fs_err_t pct_decode(const char *s, size_t n, char *dst, size_t dstsz,
                           const char *what, char *errstr, size_t sz)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= n) {
                snprintf(errstr, sz, "truncated %%-escape in %s", what);
                return FS_ERR_INVALID;
            }
            int a = hexval((unsigned char)s[i + 1]), b = hexval((unsigned char)s[i + 2]);
            if (a < 0 || b < 0) {
                snprintf(errstr, sz, "bad %%-escape in %s", what);
                return FS_ERR_INVALID;
            }
            c = a * 16 + b;
            i += 2;
        }
        if (o + 1 >= dstsz) {
            snprintf(errstr, sz, "%s too long", what);
            return FS_ERR_INVALID;
        }
        dst[o++] = (char)c;
    }
    dst[o] = '\0';
    return FS_OK;
}

static fs_err_t parse_db(const char *s, int *db, char *errstr, size_t sz)
{
    char *end;
    if (!*s)
        return FS_OK;
    long v = strtol(s, &end, 10);
    if (*end || !isdigit((unsigned char)*s) || v < 0 || v > 65535) {
        snprintf(errstr, sz, "database \"%s\" is not a number in 0..65535", s);
        return FS_ERR_INVALID;
    }
    *db = (int)v;
    return FS_OK;
}

fs_err_t fs_redis_url_parse(const char *s, fs_redis_url_t *out, char *errstr,
                            size_t errstr_size)
{
    memset(out, 0, sizeof(*out));
    out->port = 6379;
    if (strncmp(s, "unix://", 7) == 0) {
        const char *path = s + 7;
        const char *q = strchr(path, '?');
        size_t pl = q ? (size_t)(q - path) : strlen(path);
        if (pl == 0 || pl >= sizeof(out->unix_path) || path[0] != '/') {
            snprintf(errstr, errstr_size, "unix socket path must be absolute");
            return FS_ERR_INVALID;
        }
        memcpy(out->unix_path, path, pl);
        out->port = 0;
        if (q) {
            if (strncmp(q, "?db=", 4) != 0) {
                snprintf(errstr, errstr_size, "only ?db=N is understood after the path");
                return FS_ERR_INVALID;
            }
            return parse_db(q + 4, &out->db, errstr, errstr_size);
        }
        return FS_OK;
    }
    if (strncmp(s, "redis://", 8) != 0) {
        snprintf(errstr, errstr_size, "must start with redis:// or unix://");
        return FS_ERR_INVALID;
    }
    const char *p = s + 8;
    const char *slash = strchr(p, '/');
    const char *auth_end = NULL;
    const char *hp_end = slash ? slash : p + strlen(p);
    for (const char *c = p; c < hp_end; c++)
        if (*c == '@')
            auth_end = c; /* the last '@' ends the credentials */
    if (auth_end) {
        const char *colon = memchr(p, ':', (size_t)(auth_end - p));
        const char *uend = colon ? colon : auth_end;
        fs_err_t err =
            pct_decode(p, (size_t)(uend - p), out->username, sizeof(out->username),
                       "user name", errstr, errstr_size);
        if (!err && colon)
            err = pct_decode(colon + 1, (size_t)(auth_end - colon - 1), out->password,
                             sizeof(out->password), "password", errstr, errstr_size);
        if (err)
            return err;
        p = auth_end + 1;
    }
    if (p == hp_end) {
        snprintf(errstr, errstr_size, "missing host");
        return FS_ERR_INVALID;
    }
    fs_err_t err = split_host_port(p, (size_t)(hp_end - p), out->host, sizeof(out->host),
                                   &out->port, 0, errstr, errstr_size);
    if (err)
        return err;
    if (!out->host[0]) {
        snprintf(errstr, errstr_size, "missing host");
        return FS_ERR_INVALID;
    }
    if (slash)
        return parse_db(slash + 1, &out->db, errstr, errstr_size);
    return FS_OK;
}
