/*
 * Unit tests of the worker's person model: identity buckets (add, caps,
 * serialized form, corrupt input) and a person's contribution (users,
 * attribution, revenue, handoff) on hand-computed journeys.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fs_attrib.h"
#include "fs_day.h"
#include "fs_definition.h"
#include "fs_test.h"
#include "person.h"

#define DAY FS_DAY_MS
#define T0 1795132800000LL /* 2026-11-20T00:00:00Z */
#define SLA (7 * DAY)

static fs_definition_t *def;

static fs_event_t make(const char *id, const char *type, int64_t ms, const char *channel,
                       const char *campaign)
{
    fs_event_t ev;
    memset(&ev, 0, sizeof(ev));
    snprintf(ev.event_id, sizeof(ev.event_id), "%s", id);
    ev.type = strdup(type);
    ev.user_id = strdup("u1");
    ev.occurred_at_ms = ms;
    ev.channel = channel ? strdup(channel) : NULL;
    ev.campaign = campaign ? strdup(campaign) : NULL;
    memcpy(ev.currency, "USD", 4);
    return ev;
}

/* Adds one event; returns whether the bucket changed. */
static int add(fs_bucket_t *b, const char *id, const char *type, int64_t ms,
               const char *channel, const char *campaign)
{
    fs_event_t ev = make(id, type, ms, channel, campaign);
    int changed = -1;
    ASSERT_EQ(fs_bucket_add(b, def, &ev, 1, &changed), FS_OK);
    fs_event_clear(&ev);
    return changed;
}

static int add_sale(fs_bucket_t *b, const char *id, const char *type, int64_t ms,
                    int64_t cents, const char *currency)
{
    fs_event_t ev = make(id, type, ms, NULL, NULL);
    int changed = -1;
    if (cents >= 0) {
        ev.has_revenue = 1;
        ev.revenue_cents = cents;
    }
    memcpy(ev.currency, currency, 4);
    ASSERT_EQ(fs_bucket_add(b, def, &ev, 1, &changed), FS_OK);
    fs_event_clear(&ev);
    return changed;
}

/* The serialized bucket as a NUL-terminated string (caller frees). */
static char *ser(const fs_bucket_t *b)
{
    fs_buf_t buf = FS_BUF_INIT;
    ASSERT_EQ(fs_bucket_serialize(b, &buf), FS_OK);
    ASSERT_EQ(fs_buf_append(&buf, "", 1), FS_OK);
    return (char *)buf.data;
}

static fs_person_params_t params(void)
{
    fs_person_params_t p = {def, 30 * DAY, 7 * DAY, SLA, 0};
    return p;
}

static void contrib(const fs_bucket_t *const *buckets, size_t n, fs_contrib_t *out)
{
    fs_person_params_t p = params();
    ASSERT_EQ(fs_person_contribution(&p, buckets, n, out), FS_OK);
}

/* The value of (key, field), 0 when absent; checks order and uniqueness. */
static int64_t get(const fs_contrib_t *c, const char *key, const char *field)
{
    int64_t v = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (i > 0) {
            int k = strcmp(c->e[i - 1].key, c->e[i].key);
            ASSERT(k < 0 || (k == 0 && strcmp(c->e[i - 1].field, c->e[i].field) < 0));
        }
        ASSERT_NE(c->e[i].value, 0);
        if (strcmp(c->e[i].key, key) == 0 && strcmp(c->e[i].field, field) == 0)
            v = c->e[i].value;
    }
    return v;
}

/* Number of entries whose key starts with @p prefix. */
static size_t count_prefix(const fs_contrib_t *c, const char *prefix)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++)
        n += strncmp(c->e[i].key, prefix, strlen(prefix)) == 0;
    return n;
}

static const char *const models[] = {"first_touch",    "last_touch", "linear",
                                     "position_based", "time_decay", "w_shaped"};
static const char *const bys[] = {"channel", "campaign", "department", "type"};

/*
 * For every revenue:<day> field r:<K> / n:<K>, every model and every by:
 * attr:<day>:<model>:<by>:<K> has r: fields summing to the booked revenue
 * and c: fields to n × 1,000,000; and no attr key without booked revenue.
 */
static void check_totals(const fs_contrib_t *c)
{
    size_t checked = 0;
    for (size_t i = 0; i < c->n; i++) {
        const fs_contrib_entry_t *e = &c->e[i];
        if (strncmp(e->key, "revenue:", 8) != 0 || strncmp(e->field, "n:", 2) != 0)
            continue;
        const char *day = e->key + 8, *cur = e->field + 2;
        char rfield[16];
        snprintf(rfield, sizeof(rfield), "r:%s", cur);
        int64_t revenue = get(c, e->key, rfield);
        for (size_t m = 0; m < 6; m++)
            for (size_t by = 0; by < 4; by++) {
                char key[96];
                int64_t r = 0, cv = 0;
                snprintf(key, sizeof(key), "attr:%s:%s:%s:%s", day, models[m], bys[by],
                         cur);
                for (size_t j = 0; j < c->n; j++) {
                    if (strcmp(c->e[j].key, key) != 0)
                        continue;
                    if (c->e[j].field[0] == 'r')
                        r += c->e[j].value;
                    else if (c->e[j].field[0] == 'c')
                        cv += c->e[j].value;
                    else
                        FS_FAIL_("unexpected field %s", c->e[j].field);
                }
                ASSERT_EQ(r, revenue);
                ASSERT_EQ(cv, e->value * FS_ATTRIB_CONVERSION_UNITS);
                checked += 24;
            }
    }
    ASSERT_EQ(count_prefix(c, "attr:") > 0, checked > 0);
}

/* ------------------------------------------------------------- buckets */

static void test_bucket_add(void)
{
    fs_bucket_t *b = fs_bucket_new();
    ASSERT(b);
    char *s = ser(b);
    ASSERT_STR_EQ(s, "B1\n");
    free(s);

    ASSERT_EQ(add(b, "e1", "ad_click", T0, "paid_search", "spring"), 1);
    s = ser(b);
    ASSERT_STR_EQ(s, "B1\n"
                     "m11:s:awareness=1795132800000\n"
                     "m24:sc:awareness:paid_search=1795132800000\n"
                     "m19:sk:awareness:spring=1795132800000\n"
                     "t1795132800000 2:e18:ad_click11:paid_search6:spring\n");
    /* The same event id again (even if its copy differs) changes nothing. */
    ASSERT_EQ(add(b, "e1", "ad_click", T0 - 5, "other", NULL), 0);
    char *s2 = ser(b);
    ASSERT_STR_EQ(s2, s);
    free(s2);
    free(s);

    /* A `none` event moves the stage earlier and adds (none) fields only. */
    ASSERT_EQ(add(b, "e2", "ad_impression", T0 - 1000, NULL, NULL), 1);
    ASSERT_EQ(add(b, "e3", "ad_impression", T0 + 5, NULL, NULL), 0); /* not earlier */
    ASSERT_EQ(add(b, "e4", "identify", T0 - 9999, NULL, NULL), 0);
    ASSERT_EQ(add_sale(b, "e5", "sale", T0 + DAY, 12345, "EUR"), 1);
    ASSERT_EQ(add_sale(b, "e6", "repeat_purchase", T0 + 2 * DAY, -1, "USD"), 1);
    ASSERT_EQ(add_sale(b, "e5", "sale", T0 + DAY, 12345, "EUR"), 0);
    s = ser(b);
    ASSERT_STR_EQ(s, "B1\n"
                     "m8:s:action=1795219200000\n"
                     "m11:s:awareness=1795132799000\n"
                     "m9:s:loyalty=1795305600000\n"
                     "m16:sc:action:(none)=1795219200000\n"
                     "m19:sc:awareness:(none)=1795132799000\n"
                     "m24:sc:awareness:paid_search=1795132800000\n"
                     "m17:sc:loyalty:(none)=1795305600000\n"
                     "m16:sk:action:(none)=1795219200000\n"
                     "m19:sk:awareness:(none)=1795132799000\n"
                     "m19:sk:awareness:spring=1795132800000\n"
                     "m17:sk:loyalty:(none)=1795305600000\n"
                     "t1795132800000 2:e18:ad_click11:paid_search6:spring\n"
                     "c1795219200000 2:e54:sale12345 EUR\n"
                     "c1795305600000 2:e615:repeat_purchase0 USD\n");

    /* Unknown types and events the serialized form could not hold. */
    fs_event_t ev = make("e7", "no_such_type", T0, NULL, NULL);
    int changed = -1;
    ASSERT_EQ(fs_bucket_add(b, def, &ev, 1, &changed), FS_ERR_NOT_FOUND);
    ASSERT_EQ(changed, 0);
    fs_event_clear(&ev);
    ev = make("e7", "ad_click", T0, "bad\xff", NULL);
    ASSERT_EQ(fs_bucket_add(b, def, &ev, 1, &changed), FS_ERR_INVALID);
    fs_event_clear(&ev);
    ev = make("e7", "ad_click", -1, NULL, NULL);
    ASSERT_EQ(fs_bucket_add(b, def, &ev, 1, &changed), FS_ERR_INVALID);
    fs_event_clear(&ev);
    ev = make("e7", "sale", T0, NULL, NULL);
    ev.has_revenue = 1;
    ev.revenue_cents = -1;
    ASSERT_EQ(fs_bucket_add(b, def, &ev, 1, &changed), FS_ERR_INVALID);
    fs_event_clear(&ev);
    s2 = ser(b);
    ASSERT_STR_EQ(s2, s); /* failed adds left no trace */
    free(s2);
    free(s);
    fs_bucket_destroy(b);
    fs_bucket_destroy(NULL);
}

/* fs_person_check_event() refuses, with the field named, exactly the
 * events fs_bucket_add() would refuse: the worker dead-letters those
 * before they can stop a batch. */
static void test_check_event(void)
{
    static char long_text[600];
    memset(long_text, 'x', sizeof(long_text) - 1);
    const struct {
        const char *type, *channel;
        int64_t ms;
        int no_user, lower_currency, bad_revenue;
        const char *want; /* NULL: storable */
    } cases[] = {
        {"ad_click", "email", T0, 0, 0, 0, NULL},
        {"no_such_type", NULL, T0, 0, 0, 0, "type: not in"},
        {"ad_click", NULL, T0, 1, 0, 0, "user_id: user_id or anonymous_id is required"},
        {"identify", NULL, T0, 1, 0, 0, "user_id: user_id or anonymous_id"},
        {"ad_click", long_text, T0, 0, 0, 0, "channel: "},
        {"ad_click", "bad\xff", T0, 0, 0, 0, "channel: "},
        {"ad_click", NULL, -1, 0, 0, 0, "occurred_at: "},
        {"sale", NULL, T0, 0, 1, 0, "currency: "},
        {"sale", NULL, T0, 0, 0, 1, "revenue_cents: "},
        {"ad_click", NULL, T0, 0, 1, 0, NULL}, /* currency matters for conversions */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fs_event_t ev = make("e1", cases[i].type, cases[i].ms, cases[i].channel, NULL);
        if (cases[i].no_user) {
            free(ev.user_id);
            ev.user_id = NULL;
        }
        if (cases[i].lower_currency)
            memcpy(ev.currency, "usd", 4);
        if (cases[i].bad_revenue) {
            ev.has_revenue = 1;
            ev.revenue_cents = FS_REVENUE_LIMIT_CENTS;
        }
        char err[256] = "";
        fs_err_t rc = fs_person_check_event(def, &ev, err, sizeof(err));
        fs_bucket_t *b = fs_bucket_new();
        int changed;
        fs_err_t add = fs_bucket_add(b, def, &ev, 1, &changed);
        if (!cases[i].want) {
            ASSERT_EQ(rc, FS_OK);
            ASSERT_EQ(add, FS_OK);
        } else {
            ASSERT_NE(rc, FS_OK);
            ASSERT_EQ(add, rc);
            ASSERT_CONTAINS(err, cases[i].want);
        }
        fs_bucket_destroy(b);
        fs_event_clear(&ev);
    }
}

/* The serialized bucket's "t" or "c" rows, in order, as a JSON array of
 * [ms, event_id] (read from the B1 text independently of the parser). */
static json_t *rows(const fs_bucket_t *b, const char *which)
{
    char *s = ser(b);
    ASSERT(strncmp(s, "B1\n", 3) == 0);
    json_t *r = json_array();
    for (char *line = s + 3; *line; line = strchr(line, '\n') + 1) {
        if (*line != which[0])
            continue;
        char *sp = strchr(line, ' ');
        long long ms = strtoll(line + 1, NULL, 10);
        size_t idlen = strtoul(sp + 1, NULL, 10);
        const char *id = strchr(sp, ':') + 1;
        ASSERT_EQ(json_array_append_new(r, json_pack("[Is#]", ms, id, idlen)), 0);
    }
    free(s);
    return r;
}

static const char *row_id(json_t *r, size_t i)
{
    return json_string_value(json_array_get(json_array_get(r, i), 1));
}

/*
 * Attribution off (keep_records 0): touches and conversions still move
 * their stage's first-reached times, but no record is kept, so the person
 * contributes users only — no attr, revenue or handoff entry.
 */
static void test_bucket_counts_only(void)
{
    fs_bucket_t *b = fs_bucket_new();
    ASSERT(b);
    const char *types[] = {"ad_click", "email_signup", "sales_call", "sale"};
    for (int i = 0; i < 4; i++) {
        char id[8];
        snprintf(id, sizeof(id), "k%d", i);
        fs_event_t ev = make(id, types[i], T0 + i * DAY, "email", "camp");
        if (i == 3) {
            ev.has_revenue = 1;
            ev.revenue_cents = 5000;
        }
        int changed = -1;
        ASSERT_EQ(fs_bucket_add(b, def, &ev, 0, &changed), FS_OK);
        ASSERT_EQ(changed, 1); /* a new stage every time */
        fs_event_clear(&ev);
    }
    fs_event_t again = make("k9", "sale", T0 + 9 * DAY, "email", "camp");
    int changed = -1;
    ASSERT_EQ(fs_bucket_add(b, def, &again, 0, &changed), FS_OK);
    ASSERT_EQ(changed, 0); /* not earlier, and no record is kept */
    fs_event_clear(&again);
    char *s = ser(b);
    ASSERT(strstr(s, "m11:s:awareness=1795132800000\n"));
    ASSERT(strstr(s, "m8:s:action=1795392000000\n"));
    ASSERT(!strstr(s, "\nt")); /* no touch lines */
    ASSERT(!strstr(s, "\nc")); /* no conversion lines */
    free(s);

    const fs_bucket_t *bs[] = {b};
    fs_contrib_t c;
    fs_contrib_init(&c);
    contrib(bs, 1, &c);
    ASSERT(c.n > 0);
    ASSERT_EQ(get(&c, "users:2026-11-23", "s:action"), 1);
    ASSERT_EQ(get(&c, "users:2026-11-20", "sc:awareness:email"), 1);
    for (size_t i = 0; i < c.n; i++)
        ASSERT(strncmp(c.e[i].key, "users:", 6) == 0);
    fs_contrib_clear(&c);
    fs_bucket_destroy(b);
}

static void test_bucket_caps(void)
{
    fs_bucket_t *b = fs_bucket_new();
    char id[16];
    /* Added newest first, so every insertion goes to the front. */
    for (int i = FS_BUCKET_MAX_TOUCHES - 1; i >= 0; i--) {
        snprintf(id, sizeof(id), "t%04d", i);
        ASSERT_EQ(add(b, id, "ad_click", T0 + i, "c", NULL), 1);
    }
    json_t *r = rows(b, "t");
    ASSERT_EQ(json_array_size(r), FS_BUCKET_MAX_TOUCHES);
    ASSERT_STR_EQ(row_id(r, 0), "t0000");
    json_decref(r);

    /* One more: the oldest goes. */
    ASSERT_EQ(add(b, "t1000", "ad_click", T0 + 1000, "c", NULL), 1);
    r = rows(b, "t");
    ASSERT_EQ(json_array_size(r), FS_BUCKET_MAX_TOUCHES);
    ASSERT_STR_EQ(row_id(r, 0), "t0001");
    ASSERT_STR_EQ(row_id(r, FS_BUCKET_MAX_TOUCHES - 1), "t1000");
    json_decref(r);
    /* Older than everything kept: not kept (and m already has T0). */
    ASSERT_EQ(add(b, "t0000", "ad_click", T0, "c", NULL), 0);
    /* Same ms as the oldest but a larger id: kept, t0001 goes. */
    ASSERT_EQ(add(b, "t0001a", "ad_click", T0 + 1, "c", NULL), 1);
    r = rows(b, "t");
    ASSERT_EQ(json_array_size(r), FS_BUCKET_MAX_TOUCHES);
    ASSERT_STR_EQ(row_id(r, 0), "t0001a");
    ASSERT_STR_EQ(row_id(r, 1), "t0002");
    json_decref(r);

    for (int i = 0; i <= FS_BUCKET_MAX_CONVERSIONS; i++) {
        snprintf(id, sizeof(id), "s%04d", i);
        ASSERT_EQ(add_sale(b, id, "sale", T0 + DAY + i, 100, "USD"), 1);
    }
    r = rows(b, "c");
    ASSERT_EQ(json_array_size(r), FS_BUCKET_MAX_CONVERSIONS);
    ASSERT_STR_EQ(row_id(r, 0), "s0001");
    json_decref(r);

    /* The round trip keeps exactly that. */
    char *s = ser(b), err[256];
    fs_bucket_t *b2 = fs_bucket_parse(s, strlen(s), err, sizeof(err));
    ASSERT(b2);
    char *s2 = ser(b2);
    ASSERT_STR_EQ(s2, s);

    /* Dropped conversions are no longer counted. */
    fs_contrib_t c;
    fs_contrib_init(&c);
    const fs_bucket_t *bs[] = {b2};
    contrib(bs, 1, &c);
    ASSERT_EQ(get(&c, "revenue:2026-11-21", "n:USD"), FS_BUCKET_MAX_CONVERSIONS);
    ASSERT_EQ(get(&c, "revenue:2026-11-21", "r:USD"), 100 * FS_BUCKET_MAX_CONVERSIONS);
    check_totals(&c);
    fs_contrib_clear(&c);
    free(s);
    free(s2);
    fs_bucket_destroy(b);
    fs_bucket_destroy(b2);
}

static void test_bucket_round_trip(void)
{
    fs_bucket_t *b = fs_bucket_new();
    char err[256];
    ASSERT_EQ(add(b, "z", "ad_click", T0, "caf\xc3\xa9 \"q\" \\ \x01", NULL), 1);
    ASSERT_EQ(add(b, "a", "ad_click", T0, NULL, "spring:2026"),
              1); /* same ms, sorts first */
    ASSERT_EQ(add(b, "m", "email_signup", T0 - DAY, "email", "x"), 1);
    ASSERT_EQ(add_sale(b, "s", "sale", T0 + DAY, 99999999999999LL, "JPY"), 1);
    char *s = ser(b);
    fs_bucket_t *b2 = fs_bucket_parse(s, strlen(s), err, sizeof(err));
    ASSERT(b2);
    char *s2 = ser(b2);
    ASSERT_STR_EQ(s2, s);
    json_t *r = rows(b2, "t");
    ASSERT_STR_EQ(row_id(r, 0), "m");
    ASSERT_STR_EQ(row_id(r, 1), "a");
    ASSERT_STR_EQ(row_id(r, 2), "z");
    json_decref(r);
    free(s2);
    fs_bucket_destroy(b2);

    /* The exact form, and that strings are length-prefixed: ':', '-' and
     * newlines inside values are data. */
    fs_bucket_t *b3 = fs_bucket_new();
    ASSERT_EQ(add(b3, "i-1", "ad_click", 5, "a:b\n-", NULL), 1);
    ASSERT_EQ(add_sale(b3, "i2", "sale", 7, 1250, "EUR"), 1);
    s2 = ser(b3);
    ASSERT_STR_EQ(s2, "B1\nm8:s:action=7\nm11:s:awareness=5\nm16:sc:action:(none)=7\n"
                      "m18:sc:awareness:a:b\n-=5\nm16:sk:action:(none)=7\n"
                      "m19:sk:awareness:(none)=5\n"
                      "t5 3:i-18:ad_click5:a:b\n--\nc7 2:i24:sale1250 EUR\n");
    free(s2);
    fs_bucket_destroy(b3);

    /* Rows and fields in any order parse to the same bucket. */
    const char *shuffled = "B1\nt2 1:b8:ad_click--\nm6:sk:x:y=5\nc9 1:s4:sale0 USD\n"
                           "t1 1:c8:ad_click--\nt2 1:a8:ad_click--\nm3:s:x=3\n";
    b2 = fs_bucket_parse(shuffled, strlen(shuffled), err, sizeof(err));
    ASSERT(b2);
    s2 = ser(b2);
    ASSERT_STR_EQ(s2,
                  "B1\nm3:s:x=3\nm6:sk:x:y=5\nt1 1:c8:ad_click--\nt2 1:a8:ad_click--\n"
                  "t2 1:b8:ad_click--\nc9 1:s4:sale0 USD\n");
    free(s2);
    fs_bucket_destroy(b2);
    free(s);
    fs_bucket_destroy(b);
}

static void expect_bad_bucket(const char *data, size_t len, const char *why)
{
    char err[256] = "";
    fs_bucket_t *b = fs_bucket_parse(data, len, err, sizeof(err));
    if (b)
        FS_FAIL_("accepted corrupt bucket %.200s", data);
    ASSERT_CONTAINS(err, "bucket:");
    if (why)
        ASSERT_CONTAINS(err, why);
}

#define BAD(lit, why) expect_bad_bucket(lit, strlen(lit), why)

static void test_bucket_corrupt(void)
{
    fs_bucket_t *b = fs_bucket_new();
    ASSERT_EQ(add(b, "e1", "ad_click", T0, "paid_search", "spring"), 1);
    ASSERT_EQ(add_sale(b, "e2", "sale", T0 + DAY, 100, "USD"), 1);
    char *s = ser(b);
    /* Every truncation of a valid bucket that ends inside a line. */
    for (size_t n = 0; n < strlen(s); n++)
        if (n < 3 || s[n - 1] != '\n')
            expect_bad_bucket(s, n, NULL);
    expect_bad_bucket(NULL, 0, NULL);
    free(s);
    fs_bucket_destroy(b);

    BAD("", "B1 tag");
    BAD("{\"m\":{},\"t\":[],\"c\":[]}", "B1 tag");
    BAD("B2\n", "B1 tag");
    BAD("B1\nx", "neither");
    BAD("B1\n\n", "neither");
    BAD("B1\nt1 1:a8:ad_click-", "t[0]: campaign");
    BAD("B1\nt1 1:a8:ad_click--", "t[0]: the row does not end");
    BAD("B1\nt1 1:a8:ad_click--\nt1 1:a8:ad_click--x", "t[1]");
    BAD("B1\nt 1:a8:ad_click--\n", "t[0]: occurred_at");
    BAD("B1\nt1:a8:ad_click--\n", "t[0]: occurred_at");
    BAD("B1\nt-1 1:a8:ad_click--\n", "t[0]: occurred_at");
    BAD("B1\nt01 1:a8:ad_click--\n", "t[0]: occurred_at");
    BAD("B1\nt1.5 1:a8:ad_click--\n", "t[0]: occurred_at");
    BAD("B1\nt253402300800000 1:a8:ad_click--\n", "t[0]: occurred_at");
    BAD("B1\nt99999999999999999999999 1:a8:ad_click--\n", "occurred_at");
    BAD("B1\nt1 0:8:ad_click--\n", "t[0]: event_id");
    BAD("B1\nt1 2:a8:ad_click--\n", "t[0]: type"); /* id "a8", then no type */
    BAD("B1\nt1 1:a0:--\n", "t[0]: type");
    BAD("B1\nt1 1:a9:ad_click--\n", NULL);
    BAD("B1\nt1 1:a8:ad_click3--\n", "t[0]: channel");
    BAD("B1\nt1 1:a8:ad_click-0:\n", "t[0]: campaign");
    BAD("B1\nt1 1:a8:ad_click--\nt2 1:a8:ad_click--\n", "t: an event_id appears twice");
    BAD("B1\nc1 1:a4:sale-1 USD\n", "c[0]: revenue");
    BAD("B1\nc1 1:a4:sale1.0 USD\n", "c[0]: revenue");
    BAD("B1\nc1 1:a4:sale100000000000000 USD\n", "c[0]: revenue");
    BAD("B1\nc1 1:a4:sale1 usd\n", "c[0]: currency");
    BAD("B1\nc1 1:a4:sale1 USDX\n", "c[0]: the row");
    BAD("B1\nc1 1:a4:sale1 US\n", "c[0]: currency");
    BAD("B1\nc1 1:a4:sale1 US", "c[0]: currency");
    BAD("B1\nm11:x:awareness=1\n", "m[0]: a field");
    BAD("B1\nm11:s:awareness=x\n", "m[0]: a value");
    BAD("B1\nm11:s:awareness=1\nm11:s:awareness=2\n", "m: a field appears twice");
    BAD("B1\nt1 1:a3:ad\xff--\n", "t[0]: type");
    BAD("B1\nt1 1:a3:a\xc0\x80--\n", "t[0]: type"); /* overlong NUL */
    /* Lengths that cut a character name the string they cut. */
    BAD("B1\nt1 1:a3:ad\xc3\xa9-\n", "t[0]: type");
    BAD("B1\nt1 2:a\xc3"
        "\xa9"
        "8:ad_click--\n",
        "t[0]: event_id");
    {
        static const char wide[] = "B1\nt1 1:a4:\xc3\xa9"
                                   "ad--\n";
        char err[256];
        fs_bucket_t *w = fs_bucket_parse(wide, strlen(wide), err, sizeof(err));
        ASSERT(w != NULL);
        char *back = ser(w);
        ASSERT_STR_EQ(back, wide);
        free(back);
        fs_bucket_destroy(w);
    }
    /* NUL bytes inside the data. */
    expect_bad_bucket("B1\nt1 1:\0"
                      "8:ad_click--\n",
                      20, "t[0]: event_id");
    expect_bad_bucket("B1\nm3:s:x=3\n\0", 13, "neither");

    /* Huge strings: an id of 65 bytes, a type, channel and field over the limits. */
    char *big = malloc(1 << 20);
    ASSERT(big);
    char *fill = malloc((1 << 20) - 100);
    ASSERT(fill);
    memset(fill, 'x', (1 << 20) - 101);
    fill[(1 << 20) - 101] = '\0';
    snprintf(big, 1 << 20, "B1\nt1 65:%.65s8:ad_click--\n", fill);
    BAD(big, "t[0]: event_id");
    snprintf(big, 1 << 20, "B1\nt1 64:%.64s8:ad_click--\n", fill);
    char err[256];
    fs_bucket_t *ok = fs_bucket_parse(big, strlen(big), err, sizeof(err));
    ASSERT(ok);
    fs_bucket_destroy(ok);
    snprintf(big, 1 << 20, "B1\nt1 1:a513:%.513s--\n", fill);
    BAD(big, "t[0]: type");
    snprintf(big, 1 << 20, "B1\nt1 1:a8:ad_click%zu:%s-\n", strlen(fill), fill);
    BAD(big, "t[0]: channel");
    snprintf(big, 1 << 20, "B1\nm529:sc:awareness:%.516s=1\n", fill);
    BAD(big, "m[0]: a field");
    free(fill);
    free(big);
}

/*
 * Random byte edits of a valid bucket: each parse either fails with a
 * reason or yields a bucket whose own serialized form parses back to the
 * same bytes (ASan/UBSan watch for the crash or leak).
 */
static void test_bucket_mutations(void)
{
    fs_bucket_t *b = fs_bucket_new();
    ASSERT_EQ(add(b, "e1", "ad_click", T0, "paid_search", "spring"), 1);
    ASSERT_EQ(add(b, "e2", "email_signup", T0 + 1, NULL, "x"), 1);
    ASSERT_EQ(add_sale(b, "e3", "sale", T0 + DAY, 100, "USD"), 1);
    char *s = ser(b), err[256];
    size_t len = strlen(s), accepted = 0;
    char *m = malloc(len);
    ASSERT(m);
    uint32_t x = 12345;
    static const char alphabet[] = "mtcB1:0123456789- \n\x80\xffUSD";
    for (int iter = 0; iter < 5000; iter++) {
        memcpy(m, s, len);
        for (int k = 0; k < 1 + iter % 3; k++) {
            x = x * 1103515245u + 12345u;
            m[(x >> 8) % len] = alphabet[(x >> 20) % (sizeof(alphabet) - 1)];
        }
        fs_bucket_t *p = fs_bucket_parse(m, len, err, sizeof(err));
        if (!p) {
            ASSERT_CONTAINS(err, "bucket:");
            continue;
        }
        accepted++;
        char *s1 = ser(p);
        fs_bucket_t *q = fs_bucket_parse(s1, strlen(s1), err, sizeof(err));
        ASSERT(q);
        char *s2 = ser(q);
        ASSERT_STR_EQ(s2, s1);
        free(s1);
        free(s2);
        fs_bucket_destroy(p);
        fs_bucket_destroy(q);
    }
    ASSERT_GT(accepted, 0); /* some edits (digits) stay valid */
    free(m);
    free(s);
    fs_bucket_destroy(b);
}

/* ------------------------------------------------------- contributions */

/* ad_click, email_signup (lead), sales_call, then a sale of 100.00 USD. */
static fs_bucket_t *journey(void)
{
    fs_bucket_t *b = fs_bucket_new();
    ASSERT(b);
    ASSERT_EQ(add(b, "e1", "ad_click", T0, "paid_search", "camp_a"), 1);
    ASSERT_EQ(add(b, "e2", "email_signup", T0 + DAY, "email", "camp_b"), 1);
    ASSERT_EQ(add(b, "e3", "sales_call", T0 + 2 * DAY, "sales_outreach", NULL), 1);
    ASSERT_EQ(add_sale(b, "e4", "sale", T0 + 3 * DAY, 10000, "USD"), 1);
    return b;
}

#define ATTR(model, by) "attr:2026-11-23:" model ":" by ":USD"

static void test_contrib_journey(void)
{
    fs_bucket_t *b = journey();
    const fs_bucket_t *bs[] = {b};
    fs_contrib_t c;
    fs_contrib_init(&c);
    contrib(bs, 1, &c);
    check_totals(&c);

    ASSERT_EQ(get(&c, "revenue:2026-11-23", "r:USD"), 10000);
    ASSERT_EQ(get(&c, "revenue:2026-11-23", "n:USD"), 1);

    /* linear: 10000/3 — equal remainders, so the earliest touch gets the cent. */
    ASSERT_EQ(get(&c, ATTR("linear", "channel"), "r:paid_search"), 3334);
    ASSERT_EQ(get(&c, ATTR("linear", "channel"), "r:email"), 3333);
    ASSERT_EQ(get(&c, ATTR("linear", "channel"), "r:sales_outreach"), 3333);
    ASSERT_EQ(get(&c, ATTR("linear", "channel"), "c:paid_search"), 333334);
    ASSERT_EQ(get(&c, ATTR("linear", "channel"), "c:email"), 333333);
    ASSERT_EQ(get(&c, ATTR("linear", "channel"), "c:sales_outreach"), 333333);
    ASSERT_EQ(get(&c, ATTR("linear", "campaign"), "r:camp_a"), 3334);
    ASSERT_EQ(get(&c, ATTR("linear", "campaign"), "r:camp_b"), 3333);
    ASSERT_EQ(get(&c, ATTR("linear", "campaign"), "r:(none)"), 3333);
    ASSERT_EQ(get(&c, ATTR("linear", "department"), "r:marketing"), 6667);
    ASSERT_EQ(get(&c, ATTR("linear", "department"), "r:sales"), 3333);
    ASSERT_EQ(get(&c, ATTR("linear", "department"), "c:marketing"), 666667);
    ASSERT_EQ(get(&c, ATTR("linear", "type"), "r:ad_click"), 3334);
    ASSERT_EQ(get(&c, ATTR("linear", "type"), "r:email_signup"), 3333);
    ASSERT_EQ(get(&c, ATTR("linear", "type"), "r:sales_call"), 3333);

    /* first / last touch: everything to one touch, nothing (no 0 entry) to the others. */
    ASSERT_EQ(get(&c, ATTR("first_touch", "channel"), "r:paid_search"), 10000);
    ASSERT_EQ(get(&c, ATTR("first_touch", "channel"), "c:paid_search"), 1000000);
    ASSERT_EQ(count_prefix(&c, ATTR("first_touch", "channel")), 2);
    ASSERT_EQ(get(&c, ATTR("last_touch", "channel"), "r:sales_outreach"), 10000);
    ASSERT_EQ(get(&c, ATTR("last_touch", "type"), "c:sales_call"), 1000000);
    ASSERT_EQ(count_prefix(&c, ATTR("last_touch", "campaign")), 2);
    ASSERT_EQ(get(&c, ATTR("last_touch", "campaign"), "r:(none)"), 10000);

    /* position_based 0.4 / 0.2 / 0.4; w_shaped: first and lead are key (0.45 each). */
    ASSERT_EQ(get(&c, ATTR("position_based", "channel"), "r:paid_search"), 4000);
    ASSERT_EQ(get(&c, ATTR("position_based", "channel"), "r:email"), 2000);
    ASSERT_EQ(get(&c, ATTR("position_based", "channel"), "r:sales_outreach"), 4000);
    ASSERT_EQ(get(&c, ATTR("w_shaped", "channel"), "r:paid_search"), 4500);
    ASSERT_EQ(get(&c, ATTR("w_shaped", "channel"), "r:email"), 4500);
    ASSERT_EQ(get(&c, ATTR("w_shaped", "channel"), "r:sales_outreach"), 1000);
    ASSERT_EQ(get(&c, ATTR("w_shaped", "channel"), "c:sales_outreach"), 100000);

    /* time_decay, half-life 7 days, ages 3, 2, 1 days: 3009.24 / 3322.47 / 3668.30. */
    ASSERT_EQ(get(&c, ATTR("time_decay", "channel"), "r:paid_search"), 3009);
    ASSERT_EQ(get(&c, ATTR("time_decay", "channel"), "r:email"), 3323);
    ASSERT_EQ(get(&c, ATTR("time_decay", "channel"), "r:sales_outreach"), 3668);
    ASSERT_EQ(get(&c, ATTR("time_decay", "channel"), "c:paid_search"), 300924);
    ASSERT_EQ(get(&c, ATTR("time_decay", "channel"), "c:email"), 332246);
    ASSERT_EQ(get(&c, ATTR("time_decay", "channel"), "c:sales_outreach"), 366830);

    /* users: each stage on the day the person first reached it. */
    ASSERT_EQ(get(&c, "users:2026-11-20", "s:awareness"), 1);
    ASSERT_EQ(get(&c, "users:2026-11-20", "sc:awareness:paid_search"), 1);
    ASSERT_EQ(get(&c, "users:2026-11-20", "sk:awareness:camp_a"), 1);
    ASSERT_EQ(get(&c, "users:2026-11-21", "s:interest"), 1);
    ASSERT_EQ(get(&c, "users:2026-11-22", "sk:desire:(none)"), 1);
    ASSERT_EQ(get(&c, "users:2026-11-23", "sc:action:(none)"), 1);
    ASSERT_EQ(count_prefix(&c, "users:"), 12);

    /* handoff: lead on the 21st, sales call one day later. */
    ASSERT_EQ(get(&c, "handoff:2026-11-21", "leads"), 1);
    ASSERT_EQ(get(&c, "handoff:2026-11-21", "within_sla"), 1);
    ASSERT_EQ(get(&c, "handoff:2026-11-21", "d:86400"), 1);
    ASSERT_EQ(count_prefix(&c, "handoff:"), 3);

    /* 6 models × 4 dimensions × 3 values × (r, c), less first/last touch's
     * zeros and the 3rd department value (only marketing and sales). */
    ASSERT_EQ(count_prefix(&c, "attr:"), (size_t)(6 * 4 * 3 * 2 - 2 * 4 * 2 * 2 - 4 * 2));
    ASSERT_EQ(c.n, 12 + 2 + 3 + count_prefix(&c, "attr:"));
    fs_contrib_clear(&c);
    ASSERT_EQ(c.n, 0);
    fs_bucket_destroy(b);
}

static void test_contrib_direct(void)
{
    fs_bucket_t *b = fs_bucket_new();
    const fs_bucket_t *bs[] = {b};
    fs_contrib_t c;
    fs_contrib_init(&c);
    ASSERT_EQ(add(b, "p1", "page_view", T0, "web", NULL), 1); /* not a touch */
    ASSERT_EQ(add(b, "t1", "ad_click", T0 - 30 * DAY - 1, "old", NULL), 1); /* outside */
    ASSERT_EQ(add(b, "t2", "ad_click", T0 + 1, "later", NULL), 1);          /* after it */
    ASSERT_EQ(add_sale(b, "s1", "sale", T0, 5000, "USD"), 1);
    contrib(bs, 1, &c);
    check_totals(&c);
    for (size_t m = 0; m < 6; m++) {
        char key[96];
        snprintf(key, sizeof(key), "attr:2026-11-20:%s:channel:USD", models[m]);
        ASSERT_EQ(get(&c, key, "r:(direct)"), 5000);
        ASSERT_EQ(get(&c, key, "c:(direct)"), 1000000);
        snprintf(key, sizeof(key), "attr:2026-11-20:%s:campaign:USD", models[m]);
        ASSERT_EQ(get(&c, key, "r:(none)"), 5000);
        snprintf(key, sizeof(key), "attr:2026-11-20:%s:department:USD", models[m]);
        ASSERT_EQ(get(&c, key, "r:unattributed"), 5000);
        ASSERT_EQ(get(&c, key, "c:unattributed"), 1000000);
        snprintf(key, sizeof(key), "attr:2026-11-20:%s:type:USD", models[m]);
        ASSERT_EQ(get(&c, key, "r:(none)"), 5000);
    }
    ASSERT_EQ(count_prefix(&c, "attr:"), 6 * 4 * 2);
    ASSERT_EQ(count_prefix(&c, "handoff:"), 0);
    fs_contrib_clear(&c);

    /* Both window edges are in: a touch exactly lookback earlier, one at T. */
    ASSERT_EQ(add(b, "t3", "ad_click", T0 - 30 * DAY, "edge", NULL), 1);
    ASSERT_EQ(add(b, "t4", "ad_click", T0, "same_ms", NULL), 1);
    contrib(bs, 1, &c);
    check_totals(&c);
    ASSERT_EQ(get(&c, "attr:2026-11-20:linear:channel:USD", "r:edge"), 2500);
    ASSERT_EQ(get(&c, "attr:2026-11-20:linear:channel:USD", "r:same_ms"), 2500);
    ASSERT_EQ(get(&c, "attr:2026-11-20:linear:channel:USD", "r:(direct)"), 0);
    ASSERT_EQ(get(&c, "attr:2026-11-20:linear:channel:USD", "r:old"), 0);
    ASSERT_EQ(get(&c, "attr:2026-11-20:linear:channel:USD", "r:later"), 0);
    fs_contrib_clear(&c);
    fs_bucket_destroy(b);
}

static void test_contrib_currencies(void)
{
    fs_bucket_t *b = fs_bucket_new();
    const fs_bucket_t *bs[] = {b};
    fs_contrib_t c;
    fs_contrib_init(&c);
    ASSERT_EQ(add(b, "t1", "social_engagement", T0, "social", NULL), 1);
    ASSERT_EQ(add_sale(b, "s1", "sale", T0 + 3600000, 10001, "USD"), 1);
    ASSERT_EQ(add_sale(b, "s2", "repeat_purchase", T0 + 7200000, 2000, "EUR"), 1);
    ASSERT_EQ(add_sale(b, "s3", "sale", T0 + 7200001, 7, "EUR"), 1);
    ASSERT_EQ(add_sale(b, "s4", "sale", T0 + 7200002, 0, "EUR"),
              1); /* counted, no revenue */
    contrib(bs, 1, &c);
    check_totals(&c);
    ASSERT_EQ(get(&c, "revenue:2026-11-20", "r:USD"), 10001);
    ASSERT_EQ(get(&c, "revenue:2026-11-20", "n:USD"), 1);
    ASSERT_EQ(get(&c, "revenue:2026-11-20", "r:EUR"), 2007);
    ASSERT_EQ(get(&c, "revenue:2026-11-20", "n:EUR"), 3);
    ASSERT_EQ(get(&c, "attr:2026-11-20:w_shaped:channel:USD", "r:social"), 10001);
    ASSERT_EQ(get(&c, "attr:2026-11-20:w_shaped:channel:EUR", "r:social"), 2007);
    ASSERT_EQ(get(&c, "attr:2026-11-20:w_shaped:channel:EUR", "c:social"), 3000000);
    ASSERT_EQ(get(&c, "attr:2026-11-20:time_decay:department:EUR", "r:marketing"), 2007);
    fs_contrib_clear(&c);
    fs_bucket_destroy(b);
}

static void test_contrib_users_merge(void)
{
    fs_bucket_t *u = fs_bucket_new(), *a = fs_bucket_new();
    fs_contrib_t c1, c2, c3;
    fs_contrib_init(&c1);
    fs_contrib_init(&c2);
    fs_contrib_init(&c3);
    ASSERT_EQ(add(u, "u1", "ad_click", T0 + 2 * DAY, "paid_search", NULL), 1);
    ASSERT_EQ(add(a, "a1", "ad_impression", T0, "display", NULL), 1);
    ASSERT_EQ(add(a, "a2", "ad_impression", T0 + 3 * DAY, "paid_search", NULL), 1);

    const fs_bucket_t *alone[] = {u};
    contrib(alone, 1, &c1);
    ASSERT_EQ(get(&c1, "users:2026-11-22", "s:awareness"), 1);
    ASSERT_EQ(get(&c1, "users:2026-11-22", "sc:awareness:paid_search"), 1);
    ASSERT_EQ(c1.n, 3);

    /* Linked: the anonymous bucket's earlier impression moves the day. */
    const fs_bucket_t *both[] = {u, a}, *rev[] = {a, u};
    contrib(both, 2, &c2);
    ASSERT_EQ(get(&c2, "users:2026-11-20", "s:awareness"), 1);
    ASSERT_EQ(get(&c2, "users:2026-11-20", "sc:awareness:display"), 1);
    ASSERT_EQ(get(&c2, "users:2026-11-20", "sk:awareness:(none)"), 1);
    ASSERT_EQ(get(&c2, "users:2026-11-22", "sc:awareness:paid_search"),
              1); /* u's is earlier */
    ASSERT_EQ(get(&c2, "users:2026-11-22", "s:awareness"), 0);
    ASSERT_EQ(count_prefix(&c2, "users:2026-11-23"), 0);
    ASSERT_EQ(c2.n, 4);

    /* Bucket order does not matter. */
    contrib(rev, 2, &c3);
    ASSERT_EQ(c3.n, c2.n);
    for (size_t i = 0; i < c2.n; i++) {
        ASSERT_STR_EQ(c3.e[i].key, c2.e[i].key);
        ASSERT_STR_EQ(c3.e[i].field, c2.e[i].field);
        ASSERT_EQ(c3.e[i].value, c2.e[i].value);
    }
    /* No buckets, no contribution. */
    contrib(NULL, 0, &c3);
    ASSERT_EQ(c3.n, 0);
    fs_contrib_clear(&c1);
    fs_contrib_clear(&c2);
    fs_contrib_clear(&c3);
    fs_bucket_destroy(u);
    fs_bucket_destroy(a);
}

typedef struct delta {
    char key[96], field[64];
    int64_t v;
} delta_t;

typedef struct deltas {
    delta_t d[256];
    size_t n;
    int fail_after; /* return FS_ERR_IO on this call (1-based), 0 = never */
} deltas_t;

static fs_err_t collect(void *opaque, const char *key, const char *field, int64_t delta)
{
    deltas_t *ds = opaque;
    ASSERT_LT(ds->n, 256);
    ASSERT_NE(delta, 0);
    snprintf(ds->d[ds->n].key, sizeof(ds->d[0].key), "%s", key);
    snprintf(ds->d[ds->n].field, sizeof(ds->d[0].field), "%s", field);
    ds->d[ds->n++].v = delta;
    return ds->fail_after && (int)ds->n == ds->fail_after ? FS_ERR_IO : FS_OK;
}

static int64_t delta_of(const deltas_t *ds, const char *key, const char *field)
{
    for (size_t i = 0; i < ds->n; i++)
        if (strcmp(ds->d[i].key, key) == 0 && strcmp(ds->d[i].field, field) == 0)
            return ds->d[i].v;
    return 0;
}

static size_t deltas_prefix(const deltas_t *ds, const char *prefix)
{
    size_t n = 0;
    for (size_t i = 0; i < ds->n; i++)
        n += strncmp(ds->d[i].key, prefix, strlen(prefix)) == 0;
    return n;
}

static void test_contrib_late_touch(void)
{
    fs_bucket_t *b = fs_bucket_new();
    const fs_bucket_t *bs[] = {b};
    fs_contrib_t old, new_;
    fs_contrib_init(&old);
    fs_contrib_init(&new_);
    ASSERT_EQ(add(b, "e1", "ad_click", T0, "paid_search", NULL), 1);
    ASSERT_EQ(add_sale(b, "e9", "sale", T0 + 3 * DAY, 9000, "USD"), 1);
    contrib(bs, 1, &old);
    check_totals(&old);

    /* An email click between them arrives late. */
    ASSERT_EQ(add(b, "e2", "email_click", T0 + DAY, "email", NULL), 1);
    contrib(bs, 1, &new_);
    check_totals(&new_);

    deltas_t ds;
    memset(&ds, 0, sizeof(ds));
    ASSERT_EQ(fs_contrib_diff(&old, &new_, collect, &ds), FS_OK);
    /* Retraction and new credit, exactly. */
    ASSERT_EQ(delta_of(&ds, ATTR("linear", "channel"), "r:paid_search"), -4500);
    ASSERT_EQ(delta_of(&ds, ATTR("linear", "channel"), "r:email"), 4500);
    ASSERT_EQ(delta_of(&ds, ATTR("linear", "channel"), "c:paid_search"), -500000);
    ASSERT_EQ(delta_of(&ds, ATTR("linear", "channel"), "c:email"), 500000);
    ASSERT_EQ(deltas_prefix(&ds, ATTR("linear", "channel")), 4);
    ASSERT_EQ(delta_of(&ds, ATTR("last_touch", "channel"), "r:paid_search"), -9000);
    ASSERT_EQ(delta_of(&ds, ATTR("last_touch", "channel"), "r:email"), 9000);
    ASSERT_EQ(delta_of(&ds, ATTR("last_touch", "channel"), "c:paid_search"), -1000000);
    ASSERT_EQ(delta_of(&ds, ATTR("last_touch", "channel"), "c:email"), 1000000);
    /* Same department (marketing): no change there; first touch unchanged. */
    ASSERT_EQ(deltas_prefix(&ds, ATTR("linear", "department")), 0);
    ASSERT_EQ(deltas_prefix(&ds, "attr:2026-11-23:first_touch:"), 0);
    ASSERT_EQ(deltas_prefix(&ds, "revenue:"), 0);
    /* The person reached interest on the 21st. */
    ASSERT_EQ(delta_of(&ds, "users:2026-11-21", "s:interest"), 1);
    ASSERT_EQ(deltas_prefix(&ds, "users:"), 3);
    /* Calls come in (key, field) order. */
    for (size_t i = 1; i < ds.n; i++) {
        int k = strcmp(ds.d[i - 1].key, ds.d[i].key);
        ASSERT(k < 0 || (k == 0 && strcmp(ds.d[i - 1].field, ds.d[i].field) < 0));
    }
    /* old + deltas == new, entry by entry. */
    for (size_t i = 0; i < new_.n; i++)
        ASSERT_EQ(get(&old, new_.e[i].key, new_.e[i].field) +
                      delta_of(&ds, new_.e[i].key, new_.e[i].field),
                  new_.e[i].value);
    for (size_t i = 0; i < old.n; i++)
        if (get(&new_, old.e[i].key, old.e[i].field) == 0)
            ASSERT_EQ(delta_of(&ds, old.e[i].key, old.e[i].field), -old.e[i].value);

    /* Reversed: exactly the opposite. */
    deltas_t back;
    memset(&back, 0, sizeof(back));
    ASSERT_EQ(fs_contrib_diff(&new_, &old, collect, &back), FS_OK);
    ASSERT_EQ(back.n, ds.n);
    for (size_t i = 0; i < ds.n; i++)
        ASSERT_EQ(back.d[i].v, -ds.d[i].v);

    /* Nothing changed: no calls.  An error stops the walk. */
    memset(&back, 0, sizeof(back));
    ASSERT_EQ(fs_contrib_diff(&new_, &new_, collect, &back), FS_OK);
    ASSERT_EQ(back.n, 0);
    back.fail_after = 2;
    ASSERT_EQ(fs_contrib_diff(&old, &new_, collect, &back), FS_ERR_IO);
    ASSERT_EQ(back.n, 2);
    /* From nothing: every entry, as is. */
    fs_contrib_t empty;
    fs_contrib_init(&empty);
    memset(&back, 0, sizeof(back));
    ASSERT_EQ(fs_contrib_diff(&empty, &old, collect, &back), FS_OK);
    ASSERT_EQ(back.n, old.n);

    fs_contrib_clear(&old);
    fs_contrib_clear(&new_);
    fs_bucket_destroy(b);
}

/* A person with a lead at T0 (id "m") and a sales touch at T0 + @p after. */
static void handoff_case(int64_t after, const char *sales_id, int within,
                         const char *dfield)
{
    fs_bucket_t *b = fs_bucket_new();
    const fs_bucket_t *bs[] = {b};
    fs_contrib_t c;
    fs_contrib_init(&c);
    ASSERT_EQ(add(b, "m", "email_signup", T0, "email", NULL), 1);
    ASSERT_EQ(add(b, "m2", "email_signup", T0 + DAY, "email", NULL),
              1);                                                   /* not the first */
    ASSERT_EQ(add(b, "x", "quote_sent", T0 - 1, "sales", NULL), 1); /* before the lead */
    ASSERT_EQ(add(b, sales_id, "demo_requested", T0 + after, "sales", NULL), 1);
    contrib(bs, 1, &c);
    ASSERT_EQ(get(&c, "handoff:2026-11-20", "leads"), 1);
    ASSERT_EQ(get(&c, "handoff:2026-11-20", "within_sla"), within);
    if (dfield)
        ASSERT_EQ(get(&c, "handoff:2026-11-20", dfield), 1);
    ASSERT_EQ(count_prefix(&c, "handoff:"), within ? 3 : 1);
    fs_contrib_clear(&c);
    fs_bucket_destroy(b);
}

static void test_contrib_handoff(void)
{
    handoff_case(SLA, "s", 1, "d:604800"); /* exactly the SLA later */
    handoff_case(SLA + 1, "s", 0, NULL);   /* one ms outside */
    handoff_case(0, "a", 1, "d:0");        /* same ms, sorts before the lead */
    handoff_case(0, "z", 1, "d:0");        /* same ms, sorts after it */
    handoff_case(1999, "s", 1, "d:1");     /* seconds, rounded down */

    /* No lead: no handoff at all, even with sales touches. */
    fs_bucket_t *b = fs_bucket_new();
    const fs_bucket_t *bs[] = {b};
    fs_contrib_t c;
    fs_contrib_init(&c);
    ASSERT_EQ(add(b, "s1", "sales_call", T0, "sales", NULL), 1);
    ASSERT_EQ(add(b, "s2", "demo_attended", T0 + 1, "sales", NULL), 1);
    contrib(bs, 1, &c);
    ASSERT_EQ(count_prefix(&c, "handoff:"), 0);
    fs_contrib_clear(&c);
    fs_bucket_destroy(b);
}

static void test_contrib_touch_cap(void)
{
    fs_bucket_t *b = fs_bucket_new();
    const fs_bucket_t *bs[] = {b};
    fs_contrib_t c;
    fs_contrib_init(&c);
    char id[16], ch[16];
    for (int i = 0; i < 150; i++) {
        snprintf(id, sizeof(id), "t%03d", i);
        snprintf(ch, sizeof(ch), "ch%03d", i);
        ASSERT_EQ(add(b, id, "ad_click", T0 + i * 60000, ch, NULL), 1);
    }
    for (int i = 0; i < 5; i++) { /* after the conversion: never selected */
        snprintf(id, sizeof(id), "late%d", i);
        ASSERT_EQ(add(b, id, "ad_click", T0 + DAY + i, "late", NULL), 1);
    }
    ASSERT_EQ(add_sale(b, "s", "sale", T0 + DAY - 1, 10000, "USD"), 1);
    contrib(bs, 1, &c);
    check_totals(&c);
    for (int i = 0; i < 150; i++) {
        snprintf(ch, sizeof(ch), "r:ch%03d", i);
        ASSERT_EQ(get(&c, "attr:2026-11-20:linear:channel:USD", ch), i < 50 ? 0 : 100);
    }
    ASSERT_EQ(get(&c, "attr:2026-11-20:first_touch:channel:USD", "r:ch050"), 10000);
    ASSERT_EQ(get(&c, "attr:2026-11-20:last_touch:channel:USD", "r:ch149"), 10000);
    ASSERT_EQ(get(&c, "attr:2026-11-20:linear:channel:USD", "r:late"), 0);
    fs_contrib_clear(&c);
    fs_bucket_destroy(b);
}

static void expect_bad_contrib(const char *data, size_t len)
{
    char err[256] = "";
    fs_contrib_t c;
    fs_contrib_init(&c);
    if (fs_contrib_parse(data, len, &c, err, sizeof(err)) == FS_OK)
        FS_FAIL_("accepted corrupt contribution %.200s", data);
    ASSERT_EQ(c.n, 0);
    ASSERT_CONTAINS(err, "contribution:");
}

static void test_contrib_serialized(void)
{
    fs_bucket_t *b = journey();
    const fs_bucket_t *bs[] = {b};
    fs_contrib_t c, p;
    fs_buf_t buf = FS_BUF_INIT, buf2 = FS_BUF_INIT;
    char err[256];
    fs_contrib_init(&c);
    fs_contrib_init(&p);
    contrib(bs, 1, &c);
    ASSERT_EQ(fs_contrib_serialize(&c, &buf), FS_OK);
    ASSERT_EQ(fs_contrib_parse((const char *)buf.data, buf.len, &p, err, sizeof(err)),
              FS_OK);
    ASSERT_EQ(p.n, c.n);
    for (size_t i = 0; i < c.n; i++) {
        ASSERT_STR_EQ(p.e[i].key, c.e[i].key);
        ASSERT_STR_EQ(p.e[i].field, c.e[i].field);
        ASSERT_EQ(p.e[i].value, c.e[i].value);
    }
    ASSERT_EQ(fs_contrib_serialize(&p, &buf2), FS_OK);
    ASSERT_EQ(buf2.len, buf.len);
    ASSERT(memcmp(buf2.data, buf.data, buf.len) == 0);
    /* Parsing overwrites; the empty contribution is the bare tag. */
    ASSERT_EQ(fs_contrib_parse("C1\n", 3, &p, err, sizeof(err)), FS_OK);
    ASSERT_EQ(p.n, 0);
    fs_buf_reset(&buf2);
    ASSERT_EQ(fs_contrib_serialize(&p, &buf2), FS_OK);
    ASSERT_EQ(buf2.len, 3);

    /* Every strict prefix that ends inside a line is rejected. */
    for (size_t n = 0; n < buf.len; n++)
        if (n < 3 || ((const char *)buf.data)[n - 1] != '\n')
            expect_bad_contrib((const char *)buf.data, n);
    /* Random byte edits: rejected, or parsed into sorted unique entries. */
    uint32_t x = 777;
    char *m = malloc(buf.len);
    ASSERT(m);
    for (int iter = 0; iter < 4000; iter++) {
        memcpy(m, buf.data, buf.len);
        x = x * 1103515245u + 12345u;
        m[(x >> 8) % buf.len] = "kf:=\n-019x\xff"[(x >> 20) % 11];
        if (fs_contrib_parse(m, buf.len, &p, err, sizeof(err)) == FS_OK) {
            for (size_t i = 1; i < p.n; i++) {
                int k = strcmp(p.e[i - 1].key, p.e[i].key);
                ASSERT(k < 0 || (k == 0 && strcmp(p.e[i - 1].field, p.e[i].field) < 0));
            }
            for (size_t i = 0; i < p.n; i++)
                ASSERT(p.e[i].value != 0);
        } else {
            ASSERT_EQ(p.n, 0);
        }
    }
    free(m);

    /* Hand-written: keys and fields may hold ':' '=' '\n' (length-prefixed),
     * negative values, the int64 extremes. */
    const char good[] = "C1\nk1:a\nf3:x=y=-2\nf3:z\nz=9223372036854775807\n"
                        "k2:b:\nf1:y=-9223372036854775808\n";
    ASSERT_EQ(fs_contrib_parse(good, strlen(good), &p, err, sizeof(err)), FS_OK);
    ASSERT_EQ(p.n, 3);
    ASSERT_STR_EQ(p.e[0].key, "a");
    ASSERT_STR_EQ(p.e[0].field, "x=y");
    ASSERT_EQ(p.e[0].value, -2);
    ASSERT_STR_EQ(p.e[1].field, "z\nz");
    ASSERT_EQ(p.e[1].value, INT64_MAX);
    ASSERT_STR_EQ(p.e[2].key, "b:");
    ASSERT_EQ(p.e[2].value, INT64_MIN);
    fs_buf_reset(&buf2);
    ASSERT_EQ(fs_contrib_serialize(&p, &buf2), FS_OK);
    ASSERT_EQ(buf2.len, strlen(good));
    ASSERT(memcmp(buf2.data, good, buf2.len) == 0);

    const char *bad[] = {
        "",
        "{}",
        "C2\n",
        "C1\nf1:f=1\n",                         /* field before key */
        "C1\nk1:k\n",                           /* key without fields */
        "C1\nk1:k\nf1:f=1\nk1:l\n",             /* last key without fields */
        "C1\nk1:k\nf1:f=0\n",                   /* zero */
        "C1\nk1:k\nf1:f=01\n",                  /* leading zero */
        "C1\nk1:k\nf1:f=1.5\n",                 /* not an integer */
        "C1\nk1:k\nf1:f=-\n",                   /* no digits */
        "C1\nk1:k\nf1:f=1",                     /* no newline */
        "C1\nk1:k\nf1:f=9223372036854775808\n", /* overflow */
        "C1\nk1:k\nf1:f=-9223372036854775809\n",
        "C1\nk1:k\nf1:f=99999999999999999999\n",
        "C1\nk0:\nf1:f=1\n",                /* empty key */
        "C1\nk1:k\nf0:=1\n",                /* empty field */
        "C1\nk1:k\nf1:g=1\nf1:f=1\n",       /* fields out of order */
        "C1\nk1:k\nf1:f=1\nf1:f=2\n",       /* duplicate field */
        "C1\nk1:l\nf1:f=1\nk1:k\nf1:f=1\n", /* keys out of order */
        "C1\nk1:k\nf1:f=1\nk1:k\nf1:g=1\n", /* duplicate key */
        "C1\nk5:k\nf1:f=1\n",               /* length past the end */
        "C1\nk1:kx\nf1:f=1\n",              /* length too short */
        "C1\nk:k\nf1:f=1\n",                /* no length */
        "C1\nk1k\nf1:f=1\n",                /* no ':' */
        "C1\nk1:k\nf1:f:1\n",               /* no '=' */
        "C1\nk1:k\nx1:f=1\n",               /* unknown line */
        "C1\nk1:k\nf1:f=1\n\n",             /* stray newline */
        "C1\nk2:\xc3(\nf1:f=1\n",           /* key not UTF-8 */
        "C1\nk2:\xc3\xa9\nf1:\xc3=1\n",     /* field not UTF-8 (after a good key) */
        "C1\nk1:\xc3\xa9\nf1:f=1\n",        /* a length that cuts a character */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_bad_contrib(bad[i], strlen(bad[i]));
    expect_bad_contrib(NULL, 0);
    expect_bad_contrib("C1\nk1:\0\nf1:f=1\n", 15); /* NUL in a key */
    /* Keys and fields of more than one byte per character. */
    static const char wide[] = "C1\nk5:caf\xc3\xa9\nf3:\xe6\x97\xa5=1\n";
    ASSERT_EQ(fs_contrib_parse(wide, strlen(wide), &p, err, sizeof(err)), FS_OK);
    ASSERT(p.n == 1 && !strcmp(p.e[0].key, "caf\xc3\xa9") &&
           !strcmp(p.e[0].field, "\xe6\x97\xa5"));
    /* A key longer than 1,024 bytes. */
    char big[1200];
    memset(big, 'k', sizeof(big));
    memcpy(big, "C1\nk1025:", 9);
    memcpy(big + 9 + 1025, "\nf1:f=1\n", 8);
    expect_bad_contrib(big, 9 + 1025 + 8);
    memcpy(big, "C1\nk1024:", 9);
    memcpy(big + 9 + 1024, "\nf1:f=1\n", 8);
    ASSERT_EQ(fs_contrib_parse(big, 9 + 1024 + 8, &p, err, sizeof(err)), FS_OK);
    ASSERT_EQ(p.n, 1);

    fs_buf_free(&buf);
    fs_buf_free(&buf2);
    fs_contrib_clear(&c);
    fs_contrib_clear(&p);
    fs_bucket_destroy(b);
}

int main(void)
{
    char err[256];
    def = fs_definition_new_default(err, sizeof(err));
    ASSERT(def);
    RUN(test_bucket_add);
    RUN(test_check_event);
    RUN(test_bucket_counts_only);
    RUN(test_bucket_caps);
    RUN(test_bucket_round_trip);
    RUN(test_bucket_corrupt);
    RUN(test_bucket_mutations);
    RUN(test_contrib_journey);
    RUN(test_contrib_direct);
    RUN(test_contrib_currencies);
    RUN(test_contrib_users_merge);
    RUN(test_contrib_late_touch);
    RUN(test_contrib_handoff);
    RUN(test_contrib_touch_cap);
    RUN(test_contrib_serialized);
    fs_definition_destroy(def);
    return 0;
}
