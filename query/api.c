/*
 * api.c — routes and parameters of the dashboard's API (see api.h).  Pure.
 */
#include "api.h"

#include <stdio.h>
#include <string.h>

#include "fs_utf8.h"

static const struct {
    const char *path; /* exact; NULL for FS_ROUTE_OTHER */
    const char *label;
} routes[FS_ROUTE__COUNT] = {
    [FS_ROUTE_PAGE] = {"/", "/"},
    [FS_ROUTE_FUNNEL] = {"/api/funnel", "/api/funnel"},
    [FS_ROUTE_ATTRIBUTION] = {"/api/attribution", "/api/attribution"},
    [FS_ROUTE_HANDOFF] = {"/api/handoff", "/api/handoff"},
    [FS_ROUTE_HANDOFF_DELAYS] = {"/api/handoff/delays", "/api/handoff/delays"},
    [FS_ROUTE_SERIES] = {"/api/series", "/api/series"},
    [FS_ROUTE_HEALTHZ] = {"/healthz", "/healthz"},
    [FS_ROUTE_READYZ] = {"/readyz", "/readyz"},
    [FS_ROUTE_METRICS] = {"/metrics", "/metrics"},
    [FS_ROUTE_OTHER] = {NULL, "other"},
};

const char *fs_api_route_name(fs_api_route_t route)
{
    return (unsigned)route < FS_ROUTE__COUNT ? routes[route].label : "other";
}

unsigned fs_api_route(const char *method, const char *path, fs_api_route_t *route)
{
    *route = FS_ROUTE_OTHER;
    for (int r = 0; r < FS_ROUTE_OTHER; r++)
        if (strcmp(path, routes[r].path) == 0) {
            *route = (fs_api_route_t)r;
            break;
        }
    if (*route == FS_ROUTE_OTHER)
        return 404;
    return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ? 200 : 405;
}

int fs_api_route_kind(fs_api_route_t route, fs_query_kind_t *kind)
{
    switch (route) {
    case FS_ROUTE_FUNNEL:
        *kind = FS_QUERY_FUNNEL;
        return 0;
    case FS_ROUTE_ATTRIBUTION:
        *kind = FS_QUERY_ATTRIBUTION;
        return 0;
    case FS_ROUTE_HANDOFF:
        *kind = FS_QUERY_HANDOFF;
        return 0;
    case FS_ROUTE_HANDOFF_DELAYS:
        *kind = FS_QUERY_HANDOFF_DELAYS;
        return 0;
    case FS_ROUTE_SERIES:
        *kind = FS_QUERY_SERIES;
        return 0;
    default:
        return -1;
    }
}

/* @p key as a printable name for messages: at most 40 bytes, '?' for the rest. */
static void shown_key(const fs_api_param_t *p, char out[48])
{
    size_t n = p->key_len > 40 ? 40 : p->key_len, o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p->key[i];
        out[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    if (p->key_len > n)
        out[o++] = '.', out[o++] = '.', out[o++] = '.';
    out[o] = '\0';
}

fs_err_t fs_api_params(const fs_api_param_t *params, size_t n, fs_query_opts_t *o,
                       char *errstr, size_t sz)
{
    size_t total = 0, longest = 0;
    char key[48];
    for (size_t i = 0; i < n; i++) {
        size_t len = params[i].key_len + params[i].value_len;
        total += len;
        if (len > params[longest].key_len + params[longest].value_len)
            longest = i;
    }
    if (total > FS_API_QUERY_MAX) {
        shown_key(&params[longest], key);
        snprintf(errstr, sz, "%s: %zu bytes; the parameters hold at most %d in all", key,
                 params[longest].key_len + params[longest].value_len, FS_API_QUERY_MAX);
        return FS_ERR_INVALID;
    }
    for (size_t i = 0; i < n; i++) {
        const fs_api_param_t *p = &params[i];
        fs_query_opt_t opt;
        char name[32];
        shown_key(p, key);
        if (p->key_len >= sizeof(name) || memchr(p->key, '\0', p->key_len)) {
            snprintf(errstr, sz, "%s: unknown parameter", key);
            return FS_ERR_INVALID;
        }
        memcpy(name, p->key, p->key_len);
        name[p->key_len] = '\0';
        if (fs_query_opt_parse(name, &opt) != 0) {
            snprintf(errstr, sz, "%s: unknown parameter", key);
            return FS_ERR_INVALID;
        }
        if (o->v[opt]) {
            snprintf(errstr, sz, "%s: given twice", key);
            return FS_ERR_INVALID;
        }
        if (!p->value || p->value_len == 0) {
            snprintf(errstr, sz, "%s: empty value", key);
            return FS_ERR_INVALID;
        }
        /* The value is used as a C string: a NUL inside would cut it short. */
        if (memchr(p->value, '\0', p->value_len) || p->value[p->value_len] != '\0') {
            snprintf(errstr, sz, "%s: contains a NUL byte", key);
            return FS_ERR_INVALID;
        }
        o->v[opt] = p->value;
    }
    return FS_OK;
}

fs_err_t fs_api_error_body(const char *msg, fs_buf_t *out)
{
    char clean[1024];
    size_t n = strlen(msg), o = 0;
    for (size_t i = 0; i < n && o + 1 < sizeof(clean);) {
        uint32_t cp;
        size_t len = fs_utf8_decode(msg + i, n - i, &cp);
        if (len == 0 || (len > 1 && o + len >= sizeof(clean))) {
            clean[o++] = '?';
            i++;
            continue;
        }
        memcpy(clean + o, msg + i, len);
        o += len;
        i += len;
    }
    clean[o] = '\0';
    fs_err_t err = fs_buf_puts(out, "{\"error\":");
    if (!err)
        err = fs_report_json_string(out, clean);
    return err ? err : fs_buf_puts(out, "}\n");
}
