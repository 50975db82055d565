/*
 * cors.c — allowed-origin list and matching (see cors.h).
 */
#include "cors.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct fs_cors {
    int any;
    char **origins;
    size_t n;
};

void fs_cors_destroy(fs_cors_t *cors)
{
    if (!cors)
        return;
    for (size_t i = 0; i < cors->n; i++)
        free(cors->origins[i]);
    free(cors->origins);
    free(cors);
}

/* scheme "://" host [":" digits], host of letters, digits, '-', '.', or an
 * IPv6 literal in brackets. */
static int origin_ok(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && (isalnum((unsigned char)s[i]) || strchr("+-.", s[i])))
        i++;
    if (i == 0 || !isalpha((unsigned char)s[0]) || len - i < 4 || memcmp(s + i, "://", 3))
        return 0;
    i += 3;
    size_t host = i;
    if (s[i] == '[') {
        while (i < len && s[i] != ']')
            i++;
        if (i == len)
            return 0;
        i++;
    } else {
        while (i < len && (isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '.'))
            i++;
    }
    if (i == host)
        return 0;
    if (i < len && s[i] == ':') {
        size_t d = ++i;
        while (i < len && isdigit((unsigned char)s[i]))
            i++;
        if (i == d || i - d > 5)
            return 0;
    }
    return i == len;
}

fs_cors_t *fs_cors_new(const char *list, char *errstr, size_t sz)
{
    fs_cors_t *cors = calloc(1, sizeof(*cors));
    size_t item = 0;
    if (!cors)
        goto nomem;
    for (const char *p = list; p && *p;) {
        size_t n = strcspn(p, ","), skip = n + (p[n] == ',');
        item++;
        while (n && isspace((unsigned char)*p))
            p++, n--, skip--;
        while (n && isspace((unsigned char)p[n - 1]))
            n--;
        if (n == 1 && *p == '*') {
            cors->any = 1;
        } else if (n) {
            if (!origin_ok(p, n)) {
                snprintf(errstr, sz,
                         "item %zu \"%.*s\": expected \"*\" or scheme://host[:port] "
                         "(no path, no trailing slash)",
                         item, (int)(n > 100 ? 100 : n), p);
                fs_cors_destroy(cors);
                return NULL;
            }
            char **o = realloc(cors->origins, (cors->n + 1) * sizeof(*o));
            if (!o)
                goto nomem;
            cors->origins = o;
            if (!(o[cors->n] = strndup(p, n)))
                goto nomem;
            cors->n++;
        }
        p += skip;
    }
    return cors;
nomem:
    snprintf(errstr, sz, "out of memory");
    fs_cors_destroy(cors);
    return NULL;
}

int fs_cors_enabled(const fs_cors_t *cors)
{
    return cors && (cors->any || cors->n > 0);
}

int fs_cors_allowed(const fs_cors_t *cors, const char *origin)
{
    if (!cors || !origin || !origin_ok(origin, strlen(origin)))
        return 0; /* "null" (sandboxed frames, file:) is never allowed */
    if (cors->any)
        return 1;
    for (size_t i = 0; i < cors->n; i++)
        if (!strcasecmp(cors->origins[i], origin))
            return 1;
    return 0;
}

fs_err_t fs_cors_check(const char *value, char *errstr, size_t sz)
{
    fs_cors_t *cors = fs_cors_new(value, errstr, sz);
    if (!cors)
        return FS_ERR_INVALID;
    fs_cors_destroy(cors);
    return FS_OK;
}
