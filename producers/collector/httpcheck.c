/*
 * httpcheck.c — strict request framing and parameter checks (see
 * httpcheck.h).  Pure: no I/O, no allocation.
 */
#include "httpcheck.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* RFC 9110 tchar. */
static int is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return 1;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int is_ctl(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

static int named(const fs_httpcheck_kv_t *kv, const char *name)
{
    size_t n = strlen(name);
    return kv->name_len == n && !strncasecmp(kv->name, name, n);
}

/* The name to show in a message: printable names only, at most 64 bytes. */
static void show_name(const fs_httpcheck_kv_t *kv, const char *fallback, char out[72])
{
    size_t n = kv->name_len;
    int printable = n > 0 && n <= 64;
    for (size_t i = 0; printable && i < n; i++)
        printable =
            (unsigned char)kv->name[i] > 0x20 && (unsigned char)kv->name[i] < 0x7f;
    if (printable)
        snprintf(out, 72, "%.*s", (int)n, kv->name);
    else
        snprintf(out, 72, "%s", fallback);
}

fs_err_t fs_httpcheck_headers(const fs_httpcheck_kv_t *h, size_t n, char *errstr,
                              size_t sz)
{
    const fs_httpcheck_kv_t *cl = NULL, *te = NULL;
    char name[72];
    for (size_t i = 0; i < n; i++) {
        const fs_httpcheck_kv_t *kv = &h[i];
        if (kv->name_len == 0) {
            snprintf(errstr, sz, "header: empty name");
            return FS_ERR_INVALID;
        }
        for (size_t j = 0; j < kv->name_len; j++)
            if (!is_tchar((unsigned char)kv->name[j])) {
                snprintf(errstr, sz,
                         "header: malformed name (a space, control or separator "
                         "character; \"Name : value\" is not allowed)");
                return FS_ERR_INVALID;
            }
        for (size_t j = 0; j < kv->value_len; j++)
            if (is_ctl((unsigned char)kv->value[j]) && kv->value[j] != '\t') {
                show_name(kv, "header", name);
                snprintf(errstr, sz, "%s: contains a control character", name);
                return FS_ERR_INVALID;
            }
        if (named(kv, "Content-Length")) {
            if (cl) {
                snprintf(errstr, sz, "Content-Length: given more than once");
                return FS_ERR_INVALID;
            }
            cl = kv;
            int digits = kv->value_len >= 1 && kv->value_len <= 19;
            for (size_t j = 0; digits && j < kv->value_len; j++)
                digits = kv->value[j] >= '0' && kv->value[j] <= '9';
            if (!digits) {
                snprintf(errstr, sz, "Content-Length: not a decimal number of bytes");
                return FS_ERR_INVALID;
            }
        } else if (named(kv, "Transfer-Encoding")) {
            if (te) {
                snprintf(errstr, sz, "Transfer-Encoding: given more than once");
                return FS_ERR_INVALID;
            }
            te = kv;
            if (kv->value_len != 7 || strncasecmp(kv->value, "chunked", 7)) {
                snprintf(errstr, sz, "Transfer-Encoding: only \"chunked\" is supported");
                return FS_ERR_INVALID;
            }
        }
    }
    if (cl && te) {
        snprintf(errstr, sz,
                 "Content-Length: not allowed together with Transfer-Encoding");
        return FS_ERR_INVALID;
    }
    return FS_OK;
}

fs_err_t fs_httpcheck_param(const fs_httpcheck_kv_t *p, char *errstr, size_t sz)
{
    char name[72];
    int bad = 0;
    for (size_t j = 0; !bad && j < p->name_len; j++)
        bad = is_ctl((unsigned char)p->name[j]);
    if (bad) {
        snprintf(errstr, sz, "query: a parameter name contains a control character");
        return FS_ERR_INVALID;
    }
    for (size_t j = 0; p->value && j < p->value_len; j++)
        if (is_ctl((unsigned char)p->value[j])) {
            show_name(p, "query", name);
            snprintf(errstr, sz, "%s: contains a control character", name);
            return FS_ERR_INVALID;
        }
    return FS_OK;
}
