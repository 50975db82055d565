/*
 * fs_definition.c — the funnel definition (see fs_definition.h): built-in
 * default table, the hand-edited file format, and O(1) lookup by type name.
 *
 * Called once at start-up by every program, then read concurrently by any
 * thread.  Must never change after construction, never log and never read
 * the environment; fs_definition_load() is its only I/O.
 */
#include "fs_definition.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_hash.h"
#include "fs_utf8.h"

struct fs_definition {
    fs_event_type_t *types; /* definition order */
    size_t n, cap;
    uint32_t *slots; /* open addressing: index + 1 into types, 0 = empty */
    size_t mask;     /* slots has mask + 1 entries, a power of two >= 2 * n */
};

static const fs_event_type_t default_types[] = {
    {"ad_impression", FS_STAGE_AWARENESS, FS_DEPT_MARKETING, FS_ROLE_NONE,
     FS_MILESTONE_NONE},
    {"ad_click", FS_STAGE_AWARENESS, FS_DEPT_MARKETING, FS_ROLE_TOUCH, FS_MILESTONE_NONE},
    {"social_engagement", FS_STAGE_AWARENESS, FS_DEPT_MARKETING, FS_ROLE_TOUCH,
     FS_MILESTONE_NONE},
    {"page_view", FS_STAGE_INTEREST, FS_DEPT_MARKETING, FS_ROLE_NONE, FS_MILESTONE_NONE},
    {"content_download", FS_STAGE_INTEREST, FS_DEPT_MARKETING, FS_ROLE_TOUCH,
     FS_MILESTONE_NONE},
    {"email_signup", FS_STAGE_INTEREST, FS_DEPT_MARKETING, FS_ROLE_TOUCH,
     FS_MILESTONE_LEAD},
    {"email_open", FS_STAGE_INTEREST, FS_DEPT_MARKETING, FS_ROLE_NONE, FS_MILESTONE_NONE},
    {"email_click", FS_STAGE_INTEREST, FS_DEPT_MARKETING, FS_ROLE_TOUCH,
     FS_MILESTONE_NONE},
    {"webinar_attended", FS_STAGE_DESIRE, FS_DEPT_MARKETING, FS_ROLE_TOUCH,
     FS_MILESTONE_NONE},
    {"demo_requested", FS_STAGE_DESIRE, FS_DEPT_SALES, FS_ROLE_TOUCH, FS_MILESTONE_NONE},
    {"sales_call", FS_STAGE_DESIRE, FS_DEPT_SALES, FS_ROLE_TOUCH, FS_MILESTONE_NONE},
    {"demo_attended", FS_STAGE_DESIRE, FS_DEPT_SALES, FS_ROLE_TOUCH,
     FS_MILESTONE_OPPORTUNITY},
    {"quote_sent", FS_STAGE_DESIRE, FS_DEPT_SALES, FS_ROLE_TOUCH, FS_MILESTONE_NONE},
    {"sale", FS_STAGE_ACTION, FS_DEPT_SALES, FS_ROLE_CONVERSION, FS_MILESTONE_NONE},
    {"repeat_purchase", FS_STAGE_LOYALTY, FS_DEPT_SALES, FS_ROLE_CONVERSION,
     FS_MILESTONE_NONE},
    {"referral", FS_STAGE_LOYALTY, FS_DEPT_MARKETING, FS_ROLE_TOUCH, FS_MILESTONE_NONE},
    {"identify", FS_STAGE_NONE, FS_DEPT_NONE, FS_ROLE_IDENTITY, FS_MILESTONE_NONE},
};

static const char *const stage_names[FS_STAGE__COUNT] = {"awareness", "interest",
                                                         "desire", "action", "loyalty"};
static const char *const dept_names[] = {"-", "marketing", "sales"};
static const char *const role_names[] = {"none", "touch", "conversion", "identity"};
static const char *const milestone_names[] = {"-", "lead", "opportunity"};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *fs_stage_name(fs_stage_t s)
{
    if (s == FS_STAGE_NONE)
        return "-";
    if (s < 0 || s >= FS_STAGE__COUNT)
        return "?";
    return stage_names[s];
}

const char *fs_dept_name(fs_dept_t d)
{
    return (size_t)d < NELEM(dept_names) ? dept_names[d] : "?";
}

const char *fs_role_name(fs_role_t r)
{
    return (size_t)r < NELEM(role_names) ? role_names[r] : "?";
}

const char *fs_milestone_name(fs_milestone_t m)
{
    return (size_t)m < NELEM(milestone_names) ? milestone_names[m] : "?";
}

/* Index of the word @p s (@p len bytes) in @p names, or -1. */
static int word_index(const char *const *names, size_t n, const char *s, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
            return (int)i;
    return -1;
}

static int stage_parsen(const char *s, size_t len, fs_stage_t *out)
{
    if (len == 1 && s[0] == '-') {
        *out = FS_STAGE_NONE;
        return 0;
    }
    int i = word_index(stage_names, NELEM(stage_names), s, len);
    if (i < 0)
        return -1;
    *out = (fs_stage_t)i;
    return 0;
}

static int dept_parsen(const char *s, size_t len, fs_dept_t *out)
{
    int i = word_index(dept_names, NELEM(dept_names), s, len);
    if (i < 0)
        return -1;
    *out = (fs_dept_t)i;
    return 0;
}

static int role_parsen(const char *s, size_t len, fs_role_t *out)
{
    int i = word_index(role_names, NELEM(role_names), s, len);
    if (i < 0)
        return -1;
    *out = (fs_role_t)i;
    return 0;
}

static int milestone_parsen(const char *s, size_t len, fs_milestone_t *out)
{
    int i = word_index(milestone_names, NELEM(milestone_names), s, len);
    if (i < 0)
        return -1;
    *out = (fs_milestone_t)i;
    return 0;
}

int fs_stage_parse(const char *s, fs_stage_t *out)
{
    return stage_parsen(s, strlen(s), out);
}

int fs_dept_parse(const char *s, fs_dept_t *out)
{
    return dept_parsen(s, strlen(s), out);
}

int fs_role_parse(const char *s, fs_role_t *out)
{
    return role_parsen(s, strlen(s), out);
}

int fs_milestone_parse(const char *s, fs_milestone_t *out)
{
    return milestone_parsen(s, strlen(s), out);
}

static void set_err(char *errstr, size_t errstr_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *errstr, size_t errstr_size, const char *fmt, ...)
{
    if (!errstr || errstr_size == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errstr, errstr_size, fmt, ap);
    va_end(ap);
}

const fs_event_type_t *fs_definition_lookupn(const fs_definition_t *def, const char *type,
                                             size_t len)
{
    if (len > FS_TYPE_NAME_MAX)
        return NULL;
    for (size_t i = (size_t)fs_hash64(type, len) & def->mask;; i = (i + 1) & def->mask) {
        uint32_t slot = def->slots[i];
        if (slot == 0)
            return NULL;
        const fs_event_type_t *t = &def->types[slot - 1];
        if (strncmp(t->name, type, len) == 0 && t->name[len] == '\0')
            return t;
    }
}

const fs_event_type_t *fs_definition_lookup(const fs_definition_t *def, const char *type)
{
    return fs_definition_lookupn(def, type, strnlen(type, FS_TYPE_NAME_MAX + 1));
}

size_t fs_definition_count(const fs_definition_t *def)
{
    return def->n;
}

const fs_event_type_t *fs_definition_at(const fs_definition_t *def, size_t i)
{
    return i < def->n ? &def->types[i] : NULL;
}

int fs_definition_equal(const fs_definition_t *a, const fs_definition_t *b)
{
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++) {
        const fs_event_type_t *x = &a->types[i], *y = &b->types[i];
        if (strcmp(x->name, y->name) != 0 || x->stage != y->stage || x->dept != y->dept ||
            x->role != y->role || x->milestone != y->milestone)
            return 0;
    }
    return 1;
}

void fs_definition_destroy(fs_definition_t *def)
{
    if (!def)
        return;
    free(def->types);
    free(def->slots);
    free(def);
}

static fs_definition_t *def_alloc(void)
{
    return calloc(1, sizeof(fs_definition_t));
}

/* Inserts types[idx] into slots (which has room). */
static void slot_insert(fs_definition_t *def, size_t idx)
{
    const char *name = def->types[idx].name;
    size_t i = (size_t)fs_hash64(name, strlen(name)) & def->mask;
    while (def->slots[i] != 0)
        i = (i + 1) & def->mask;
    def->slots[i] = (uint32_t)(idx + 1);
}

/* Makes room for one more type: grows types and keeps slots at most half full. */
static fs_err_t def_reserve(fs_definition_t *def)
{
    if (def->n == def->cap) {
        size_t cap = def->cap ? def->cap * 2 : 32;
        fs_event_type_t *types = realloc(def->types, cap * sizeof(*types));
        if (!types)
            return FS_ERR_NOMEM;
        def->types = types;
        def->cap = cap;
    }
    if (!def->slots || 2 * (def->n + 1) > def->mask + 1) {
        size_t nslots = def->slots ? 2 * (def->mask + 1) : 64;
        uint32_t *slots = calloc(nslots, sizeof(*slots));
        if (!slots)
            return FS_ERR_NOMEM;
        free(def->slots);
        def->slots = slots;
        def->mask = nslots - 1;
        for (size_t i = 0; i < def->n; i++)
            slot_insert(def, i);
    }
    return FS_OK;
}

/* Appends @p t, whose name the caller checked is new. */
static fs_err_t def_add(fs_definition_t *def, const fs_event_type_t *t)
{
    fs_err_t err = def_reserve(def);
    if (err != FS_OK)
        return err;
    def->types[def->n] = *t;
    slot_insert(def, def->n);
    def->n++;
    return FS_OK;
}

fs_definition_t *fs_definition_new_default(char *errstr, size_t errstr_size)
{
    fs_definition_t *def = def_alloc();
    if (!def)
        goto fail;
    for (size_t i = 0; i < NELEM(default_types); i++)
        if (def_add(def, &default_types[i]) != FS_OK)
            goto fail;
    return def;

fail:
    fs_definition_destroy(def);
    set_err(errstr, errstr_size, "funnel definition: out of memory");
    return NULL;
}

static int is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* A column of a line: pointer into the text and its length. */
typedef struct span {
    const char *p;
    size_t len;
} span_t;

/*
 * Parses one line (without its newline) into @p t.  @returns NULL or the
 * reason it is wrong; *blank is set for lines without any column.
 */
static const char *parse_line(const char *line, size_t len, fs_event_type_t *t,
                              int *blank, char *why, size_t why_size)
{
    span_t col[6];
    size_t ncol = 0;

    *blank = 0;
    if (len > FS_DEFINITION_MAX_LINE) {
        snprintf(why, why_size, "line longer than %d bytes", FS_DEFINITION_MAX_LINE);
        return why;
    }
    /* Whole-line checks first: a comment may hold any text, but it must be UTF-8. */
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = fs_utf8_decode(line + i, len - i, &cp);
        if (n == 0)
            return "invalid UTF-8";
        if (cp == 0)
            return "NUL byte";
        i += n;
    }
    const char *hash = memchr(line, '#', len);
    if (hash)
        len = (size_t)(hash - line);

    for (size_t i = 0; i < len;) {
        while (i < len && (line[i] == ' ' || line[i] == '\t'))
            i++;
        if (i == len)
            break;
        size_t start = i;
        while (i < len && line[i] != ' ' && line[i] != '\t')
            i++;
        if (ncol == NELEM(col))
            break;
        col[ncol].p = line + start;
        col[ncol].len = i - start;
        ncol++;
    }
    if (ncol == 0) {
        *blank = 1;
        return NULL;
    }
    if (ncol < 4 || ncol > 5) {
        snprintf(
            why, why_size,
            "expected 4 or 5 columns (type stage department role [milestone]), got %s%zu",
            ncol == NELEM(col) ? "more than " : "", ncol == NELEM(col) ? ncol - 1 : ncol);
        return why;
    }

    /* Show at most 40 bytes of a bad word, and only if it is printable ASCII. */
#define BAD_WORD(what, sp, expect)                                                       \
    do {                                                                                 \
        int printable_ = 1;                                                              \
        for (size_t k_ = 0; k_ < (sp).len; k_++)                                         \
            if ((unsigned char)(sp).p[k_] < 0x21 || (unsigned char)(sp).p[k_] > 0x7e)    \
                printable_ = 0;                                                          \
        if (printable_)                                                                  \
            snprintf(why, why_size, "unknown %s \"%.*s%s\" (expected %s)", what,         \
                     (int)((sp).len > 40 ? 40 : (sp).len), (sp).p,                       \
                     (sp).len > 40 ? "..." : "", expect);                                \
        else                                                                             \
            snprintf(why, why_size, "unknown %s (expected %s)", what, expect);           \
        return why;                                                                      \
    } while (0)

    span_t name = col[0];
    if (name.len > FS_TYPE_NAME_MAX) {
        snprintf(why, why_size, "event type name longer than %d characters",
                 FS_TYPE_NAME_MAX);
        return why;
    }
    int ok = name.p[0] >= 'a' && name.p[0] <= 'z';
    for (size_t k = 0; k < name.len; k++)
        ok = ok && is_name_char(name.p[k]);
    if (!ok) {
        int printable = 1;
        for (size_t k = 0; k < name.len; k++)
            if ((unsigned char)name.p[k] < 0x21 || (unsigned char)name.p[k] > 0x7e)
                printable = 0;
        snprintf(why, why_size,
                 "invalid event type name %s%.*s%s(expected a lower-case letter, then "
                 "lower-case letters, digits or '_')",
                 printable ? "\"" : "", printable ? (int)name.len : 0, name.p,
                 printable ? "\" " : "");
        return why;
    }
    memset(t, 0, sizeof(*t));
    memcpy(t->name, name.p, name.len);
    t->name[name.len] = '\0';

    if (stage_parsen(col[1].p, col[1].len, &t->stage) != 0)
        BAD_WORD("stage", col[1], "awareness, interest, desire, action, loyalty or -");
    if (dept_parsen(col[2].p, col[2].len, &t->dept) != 0)
        BAD_WORD("department", col[2], "marketing, sales or -");
    if (role_parsen(col[3].p, col[3].len, &t->role) != 0)
        BAD_WORD("role", col[3], "touch, conversion, none or identity");
    t->milestone = FS_MILESTONE_NONE;
    if (ncol == 5 && milestone_parsen(col[4].p, col[4].len, &t->milestone) != 0)
        BAD_WORD("milestone", col[4], "lead, opportunity or -");
#undef BAD_WORD

    if (t->role == FS_ROLE_IDENTITY) {
        if (t->stage != FS_STAGE_NONE)
            return "an identity type has no stage (write -)";
        if (t->dept != FS_DEPT_NONE)
            return "an identity type has no department (write -)";
    } else {
        if (t->stage == FS_STAGE_NONE)
            return "a stage is required unless the role is identity";
        if (t->dept == FS_DEPT_NONE)
            return "a department is required unless the role is identity";
    }
    if (t->milestone != FS_MILESTONE_NONE && t->role != FS_ROLE_TOUCH)
        return "only a touch can carry a milestone";
    return NULL;
}

fs_definition_t *fs_definition_parse(const char *text, size_t len, const char *filename,
                                     char *errstr, size_t errstr_size)
{
    fs_definition_t *def = NULL;
    uint32_t *first_line = NULL; /* line of each type, for duplicate messages */
    size_t first_cap = 0;
    size_t lineno = 0;
    char why[192];
    const char *reason = NULL;

    if (!filename)
        filename = "(funnel definition)";
    def = def_alloc();
    if (!def)
        goto nomem;

    size_t pos = 0;
    /* Editors on some systems prepend a UTF-8 byte order mark: skip it. */
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        pos = 3;
    while (pos < len) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t llen = nl ? (size_t)(nl - line) : len - pos;
        pos += llen + (nl ? 1 : 0);
        lineno++;
        if (llen > 0 && line[llen - 1] == '\r')
            llen--; /* CRLF files */

        fs_event_type_t t;
        int blank;
        reason = parse_line(line, llen, &t, &blank, why, sizeof(why));
        if (reason)
            goto invalid;
        if (blank)
            continue;

        const fs_event_type_t *prev = def->n ? fs_definition_lookup(def, t.name) : NULL;
        if (prev) {
            snprintf(why, sizeof(why),
                     "duplicate event type \"%s\" (first defined on line %u)", t.name,
                     (unsigned)first_line[prev - def->types]);
            reason = why;
            goto invalid;
        }
        if (def->n == FS_DEFINITION_MAX_TYPES) {
            snprintf(why, sizeof(why), "more than %d event types",
                     FS_DEFINITION_MAX_TYPES);
            reason = why;
            goto invalid;
        }
        if (def->n == first_cap) {
            size_t cap = first_cap ? first_cap * 2 : 32;
            uint32_t *fl = realloc(first_line, cap * sizeof(*fl));
            if (!fl)
                goto nomem;
            first_line = fl;
            first_cap = cap;
        }
        first_line[def->n] = (uint32_t)lineno;
        if (def_add(def, &t) != FS_OK)
            goto nomem;
    }
    if (def->n == 0) {
        if (lineno == 0)
            lineno = 1;
        reason = "no event types defined";
        goto invalid;
    }
    free(first_line);
    return def;

invalid:
    set_err(errstr, errstr_size, "%s:%zu: %s", filename, lineno, reason);
    goto fail;
nomem:
    set_err(errstr, errstr_size, "%s: out of memory", filename);
fail:
    free(first_line);
    fs_definition_destroy(def);
    return NULL;
}

fs_definition_t *fs_definition_load(const char *path, char *errstr, size_t errstr_size)
{
    fs_definition_t *def = NULL;
    char *text = NULL;
    size_t len = 0;
    FILE *f = fopen(path, "rb");

    if (!f) {
        set_err(errstr, errstr_size, "%s: cannot open: %s", path, strerror(errno));
        goto done;
    }
    text = malloc(FS_DEFINITION_MAX_BYTES + 1);
    if (!text) {
        set_err(errstr, errstr_size, "%s: out of memory", path);
        goto done;
    }
    len = fread(text, 1, FS_DEFINITION_MAX_BYTES + 1, f);
    if (ferror(f)) {
        set_err(errstr, errstr_size, "%s: read error: %s", path, strerror(errno));
        goto done;
    }
    if (len > FS_DEFINITION_MAX_BYTES) {
        set_err(errstr, errstr_size, "%s: larger than %d bytes", path,
                FS_DEFINITION_MAX_BYTES);
        goto done;
    }
    def = fs_definition_parse(text, len, path, errstr, errstr_size);

done:
    free(text);
    if (f)
        fclose(f);
    return def;
}
