/* Fuzzes the collector's strict header checks (httpcheck) against an
 * independent statement of the rules: the input is a header block
 * ("Name: value" lines), split the way libmicrohttpd hands it over (name
 * up to the first ':', value with leading blanks removed); whatever the
 * checker accepts must have at most one Content-Length of 1..19 digits, at
 * most one Transfer-Encoding equal to "chunked", never both, token names
 * and no control byte but tab in a value.  The last line also goes through
 * the parameter check, which must refuse exactly the values holding a
 * control byte. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "httpcheck.h"

#define MAX_KV 32

static int is_token(const char *s, size_t n)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int alnum = (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
        if (!alnum && (c == 0 || !memchr(extra, c, sizeof(extra) - 1)))
            return 0;
    }
    return 1;
}

static int eq(const fs_httpcheck_kv_t *kv, const char *name)
{
    return kv->name_len == strlen(name) && !strncasecmp(kv->name, name, kv->name_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fs_httpcheck_kv_t kv[MAX_KV];
    size_t n = 0;
    const char *p = (const char *)data, *end = p + size;
    while (p < end && n < MAX_KV) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl ? nl : end;
        const char *colon = memchr(p, ':', (size_t)(line_end - p));
        if (colon) {
            const char *v = colon + 1;
            while (v < line_end && (*v == ' ' || *v == '\t'))
                v++;
            kv[n++] =
                (fs_httpcheck_kv_t){p, (size_t)(colon - p), v, (size_t)(line_end - v)};
        }
        p = nl ? nl + 1 : end;
    }
    char err[256];
    if (fs_httpcheck_headers(kv, n, err, sizeof(err)) == FS_OK) {
        int cl = 0, te = 0;
        for (size_t i = 0; i < n; i++) {
            if (!is_token(kv[i].name, kv[i].name_len))
                abort();
            for (size_t j = 0; j < kv[i].value_len; j++) {
                unsigned char c = (unsigned char)kv[i].value[j];
                if ((c < 0x20 && c != '\t') || c == 0x7f)
                    abort();
            }
            if (eq(&kv[i], "Content-Length")) {
                cl++;
                if (kv[i].value_len < 1 || kv[i].value_len > 19)
                    abort();
                for (size_t j = 0; j < kv[i].value_len; j++)
                    if (kv[i].value[j] < '0' || kv[i].value[j] > '9')
                        abort();
            }
            if (eq(&kv[i], "Transfer-Encoding")) {
                te++;
                if (kv[i].value_len != 7 || strncasecmp(kv[i].value, "chunked", 7))
                    abort();
            }
        }
        if (cl > 1 || te > 1 || (cl && te))
            abort();
    } else if (!err[0]) {
        abort(); /* a refusal always says why */
    }
    if (n > 0) {
        const fs_httpcheck_kv_t *last = &kv[n - 1];
        int ctl = 0;
        for (size_t j = 0; j < last->name_len; j++)
            ctl |= (unsigned char)last->name[j] < 0x20 || last->name[j] == 0x7f;
        for (size_t j = 0; j < last->value_len; j++)
            ctl |= (unsigned char)last->value[j] < 0x20 || last->value[j] == 0x7f;
        if ((fs_httpcheck_param(last, err, sizeof(err)) != FS_OK) != ctl)
            abort();
    }
    return 0;
}
