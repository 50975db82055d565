/*
 * fs_channel.c — the channel grouping table and its decision (see fs_channel.h).
 *
 * Never allocates while deciding: the validator calls fs_channel_derive()
 * for every event without a channel, and the result is a string of the table.
 */
#include "fs_channel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_file.h"

#define TABLE_FILE_MAX (1 << 20)
#define CHANNEL_MAX 128 /* FS_TEXT_MAX_CHARS: a derived channel is a valid one */
#define HOST_MAX 253

const char FS_CHANNEL_DEFAULT_TABLE[] =
    "# Channel grouping (docs/channels.md).  One rule per line; the first\n"
    "# matching rule of its kind wins.\n"
    "#   medium VALUE CHANNEL     utm medium, compared case-insensitively\n"
    "#   referrer HOST CHANNEL    referrer host HOST or a subdomain of it;\n"
    "#                            NAME.* is NAME under any 1- or 2-label suffix\n"
    "#   other_referrer CHANNEL   any other referring site\n"
    "#   direct TYPE CHANNEL      an event of TYPE without a referrer\n"
    "medium cpc paid_search\n"
    "medium ppc paid_search\n"
    "medium paidsearch paid_search\n"
    "medium email email\n"
    "medium social social\n"
    "medium social-paid social\n"
    "medium display display\n"
    "medium banner display\n"
    "medium cpm display\n"
    "medium affiliate affiliate\n"
    "medium referral referral\n"
    "referrer google.* organic\n"
    "referrer bing.com organic\n"
    "referrer yahoo.* organic\n"
    "referrer duckduckgo.com organic\n"
    "referrer baidu.com organic\n"
    "referrer yandex.* organic\n"
    "referrer ecosia.org organic\n"
    "referrer search.brave.com organic\n"
    "referrer facebook.com social\n"
    "referrer instagram.com social\n"
    "referrer linkedin.com social\n"
    "referrer lnkd.in social\n"
    "referrer t.co social\n"
    "referrer twitter.com social\n"
    "referrer x.com social\n"
    "referrer reddit.com social\n"
    "referrer youtube.com social\n"
    "referrer pinterest.* social\n"
    "referrer tiktok.com social\n"
    "other_referrer referral\n"
    "direct page_view direct\n";

enum rule_kind { R_MEDIUM, R_REFERRER, R_DIRECT };

typedef struct rule {
    enum rule_kind kind;
    char *key;     /* owned: medium (lower case), host pattern or event type */
    char *channel; /* owned */
} rule_t;

struct fs_channel_table {
    rule_t *rules;
    size_t n, cap;
    char *other_referrer; /* owned; NULL: other sites give no channel */
};

void fs_channel_table_destroy(fs_channel_table_t *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++) {
        free(t->rules[i].key);
        free(t->rules[i].channel);
    }
    free(t->rules);
    free(t->other_referrer);
    free(t);
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static char *dup_lower(const char *s, size_t len, int fold)
{
    char *d = malloc(len + 1);
    if (!d)
        return NULL;
    for (size_t i = 0; i < len; i++)
        d[i] = fold ? (char)lower((unsigned char)s[i]) : s[i];
    d[len] = '\0';
    return d;
}

/* A channel name: printable ASCII without spaces, 1..CHANNEL_MAX bytes. */
static const char *check_channel(const char *s, size_t len)
{
    if (len > CHANNEL_MAX)
        return "channel longer than 128 characters";
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            return "channel must be printable ASCII";
    return NULL;
}

/* A host pattern: letters, digits, '-' and '.' labels, optionally ".*". */
static const char *check_host(const char *s, size_t len)
{
    size_t n = len >= 2 && s[len - 2] == '.' && s[len - 1] == '*' ? len - 2 : len;
    if (n == 0 || n > HOST_MAX || s[0] == '.' || s[n - 1] == '.')
        return "host must be a name like example.com or example.*";
    for (size_t i = 0; i < n; i++) {
        int c = lower((unsigned char)s[i]);
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
              (c == '.' && s[i + 1] != '.')))
            return "host must be a name like example.com or example.*";
    }
    if (n >= 4 && strncmp(s, "www.", 4) == 0)
        return "host must not start with www. (it is ignored when matching)";
    return NULL;
}

static fs_err_t add_rule(fs_channel_table_t *t, enum rule_kind kind, const char *key,
                         size_t klen, const char *ch, size_t chlen)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 32;
        rule_t *r = realloc(t->rules, cap * sizeof(*r));
        if (!r)
            return FS_ERR_NOMEM;
        t->rules = r;
        t->cap = cap;
    }
    rule_t *r = &t->rules[t->n];
    r->kind = kind;
    r->key = dup_lower(key, klen, kind != R_DIRECT);
    r->channel = dup_lower(ch, chlen, 0);
    if (!r->key || !r->channel) {
        free(r->key);
        free(r->channel);
        return FS_ERR_NOMEM;
    }
    t->n++;
    return FS_OK;
}

static const rule_t *find_rule(const fs_channel_table_t *t, enum rule_kind kind,
                               const char *key, size_t klen)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->rules[i].kind == kind && strlen(t->rules[i].key) == klen &&
            memcmp(t->rules[i].key, key, klen) == 0)
            return &t->rules[i];
    return NULL;
}

typedef struct word {
    const char *p;
    size_t len;
} word_t;

/* Parses one line (no '\n') into @p t; a reason on error. */
static const char *parse_line(fs_channel_table_t *t, const char *s, size_t len,
                              int *nomem)
{
    word_t w[4];
    size_t n = 0, i = 0;
    while (i < len) {
        while (i < len && is_space(s[i]))
            i++;
        if (i == len || s[i] == '#')
            break;
        size_t start = i;
        while (i < len && !is_space(s[i]))
            i++;
        if (n == 4)
            return "too many words";
        w[n++] = (word_t){s + start, i - start};
    }
    if (n == 0)
        return NULL;
    const char *why;
    enum rule_kind kind;
#define IS(word, lit)                                                                    \
    ((word).len == sizeof(lit) - 1 && !memcmp((word).p, lit, (word).len))
    if (IS(w[0], "other_referrer")) {
        if (n != 2)
            return "expected: other_referrer CHANNEL";
        if ((why = check_channel(w[1].p, w[1].len)))
            return why;
        if (t->other_referrer)
            return "other_referrer given twice";
        if (!(t->other_referrer = dup_lower(w[1].p, w[1].len, 0)))
            *nomem = 1;
        return *nomem ? "out of memory" : NULL;
    }
    if (IS(w[0], "medium"))
        kind = R_MEDIUM;
    else if (IS(w[0], "referrer"))
        kind = R_REFERRER;
    else if (IS(w[0], "direct"))
        kind = R_DIRECT;
    else
        return "unknown rule (expected medium, referrer, other_referrer or direct)";
#undef IS
    if (n != 3)
        return kind == R_MEDIUM     ? "expected: medium VALUE CHANNEL"
               : kind == R_REFERRER ? "expected: referrer HOST CHANNEL"
                                    : "expected: direct TYPE CHANNEL";
    if ((why = check_channel(w[2].p, w[2].len)))
        return why;
    if (kind == R_REFERRER && (why = check_host(w[1].p, w[1].len)))
        return why;
    if (kind != R_REFERRER && w[1].len > CHANNEL_MAX)
        return "value longer than 128 characters";
    if (kind == R_MEDIUM || kind == R_DIRECT) {
        char key[CHANNEL_MAX + 1];
        for (size_t k = 0; k < w[1].len; k++)
            key[k] = kind == R_MEDIUM ? (char)lower((unsigned char)w[1].p[k]) : w[1].p[k];
        if (find_rule(t, kind, key, w[1].len))
            return kind == R_MEDIUM ? "medium listed twice" : "type listed twice";
    }
    if (add_rule(t, kind, w[1].p, w[1].len, w[2].p, w[2].len) != FS_OK) {
        *nomem = 1;
        return "out of memory";
    }
    return NULL;
}

fs_channel_table_t *fs_channel_table_parse(const char *text, size_t len,
                                           const char *filename, char *errstr, size_t sz)
{
    fs_channel_table_t *t = calloc(1, sizeof(*t));
    size_t line = 1;
    if (!t) {
        snprintf(errstr, sz, "out of memory");
        return NULL;
    }
    if (memchr(text, '\0', len)) {
        snprintf(errstr, sz, "%s: contains a NUL byte (not a text file)", filename);
        goto fail;
    }
    for (size_t i = 0; i < len; line++) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - text) : len;
        int nomem = 0;
        const char *why = parse_line(t, text + i, end - i, &nomem);
        if (why) {
            snprintf(errstr, sz, "%s:%zu: %s", filename, line, why);
            goto fail;
        }
        i = end + 1;
    }
    return t;
fail:
    fs_channel_table_destroy(t);
    return NULL;
}

fs_channel_table_t *fs_channel_table_default(char *errstr, size_t sz)
{
    return fs_channel_table_parse(FS_CHANNEL_DEFAULT_TABLE,
                                  sizeof(FS_CHANNEL_DEFAULT_TABLE) - 1,
                                  "(built-in table)", errstr, sz);
}

fs_channel_table_t *fs_channel_table_load(const char *path, char *errstr, size_t sz)
{
    size_t n;
    char *text = fs_file_read(path, TABLE_FILE_MAX, &n, errstr, sz);
    if (!text)
        return NULL;
    fs_channel_table_t *t = fs_channel_table_parse(text, n, path, errstr, sz);
    free(text);
    return t;
}

/* ---- the decision ----------------------------------------------------- */

static void trim(const char **s, size_t *len)
{
    while (*len && (**s == ' ' || **s == '\t' || **s == '\n' || **s == '\r')) {
        (*s)++;
        (*len)--;
    }
    while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t' ||
                    (*s)[*len - 1] == '\n' || (*s)[*len - 1] == '\r'))
        (*len)--;
}

size_t fs_channel_host(const char *url, size_t len, char *out, size_t out_size)
{
    const char *s = url;
    trim(&s, &len);
    for (size_t i = 0; i + 2 < len; i++) { /* skip "scheme://" */
        if (s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/') {
            s += i + 3;
            len -= i + 3;
            break;
        }
        if (s[i] == '/' || s[i] == '?' || s[i] == '#')
            break;
    }
    size_t end = 0;
    while (end < len && s[end] != '/' && s[end] != '?' && s[end] != '#')
        end++;
    for (size_t i = end; i > 0; i--) /* user info */
        if (s[i - 1] == '@') {
            s += i;
            end -= i;
            break;
        }
    size_t hl = 0;
    if (end > 0 && s[0] == '[') { /* IPv6 literal */
        while (hl < end && s[hl] != ']')
            hl++;
        hl = hl < end ? hl + 1 : 0;
    } else {
        while (hl < end && s[hl] != ':')
            hl++;
    }
    while (hl > 0 && s[hl - 1] == '.')
        hl--;
    if (hl >= 4 && lower((unsigned char)s[0]) == 'w' &&
        lower((unsigned char)s[1]) == 'w' && lower((unsigned char)s[2]) == 'w' &&
        s[3] == '.') {
        s += 4;
        hl -= 4;
    }
    if (hl == 0 || hl >= out_size)
        return 0;
    for (size_t i = 0; i < hl; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c == 0x7f)
            return 0; /* not a host */
        out[i] = (char)lower(c);
    }
    out[hl] = '\0';
    return hl;
}

/* Host @p h (normalized) against pattern @p p: p itself or a subdomain of
 * it; "NAME.*": a label NAME followed by one or two more labels. */
static int host_matches(const char *h, size_t hl, const char *p)
{
    size_t pl = strlen(p);
    if (pl >= 2 && p[pl - 2] == '.' && p[pl - 1] == '*') {
        size_t nl = pl - 2;
        for (size_t at = 0; at + nl < hl; at++) {
            if ((at == 0 || h[at - 1] == '.') && h[at + nl] == '.' &&
                memcmp(h + at, p, nl) == 0) {
                const char *rest = h + at + nl + 1;
                size_t rl = hl - (at + nl + 1), dots = 0;
                for (size_t i = 0; i < rl; i++)
                    dots += rest[i] == '.';
                if (rl > 0 && dots <= 1)
                    return 1;
            }
        }
        return 0;
    }
    if (hl == pl)
        return memcmp(h, p, hl) == 0;
    return hl > pl && h[hl - pl - 1] == '.' && memcmp(h + hl - pl, p, pl) == 0;
}

const char *fs_channel_derive(const fs_channel_table_t *t, const char *type,
                              const char *medium, size_t medium_len, const char *referrer,
                              size_t referrer_len, const char *page_url,
                              size_t page_url_len)
{
    if (!t)
        return NULL;
    if (medium) {
        trim(&medium, &medium_len);
        if (medium_len > 0 && medium_len <= CHANNEL_MAX) {
            char key[CHANNEL_MAX];
            for (size_t i = 0; i < medium_len; i++)
                key[i] = (char)lower((unsigned char)medium[i]);
            const rule_t *r = find_rule(t, R_MEDIUM, key, medium_len);
            if (r)
                return r->channel;
        }
    }
    char host[HOST_MAX + 1], page[HOST_MAX + 1];
    size_t hl =
        referrer ? fs_channel_host(referrer, referrer_len, host, sizeof(host)) : 0;
    if (hl > 0 && page_url) {
        size_t pl = fs_channel_host(page_url, page_url_len, page, sizeof(page));
        if (pl == hl && memcmp(page, host, hl) == 0)
            hl = 0; /* internal navigation: not a referring site */
    }
    if (hl > 0) {
        for (size_t i = 0; i < t->n; i++)
            if (t->rules[i].kind == R_REFERRER && host_matches(host, hl, t->rules[i].key))
                return t->rules[i].channel;
        return t->other_referrer;
    }
    if (type) {
        const rule_t *r = find_rule(t, R_DIRECT, type, strlen(type));
        if (r)
            return r->channel;
    }
    return NULL;
}
