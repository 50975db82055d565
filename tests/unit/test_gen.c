/*
 * test_gen.c — unit tests of funnel-gen's generator (producers/gen/gen.c).
 *
 * What a user of funnel-gen relies on: the same seed gives the same bytes;
 * every line is an event the collector accepts (docs/event.md fields only, default
 * types only, checked here independently and by the real validator);
 * duplicates are exact copies at the requested rate; times lie in the
 * window and journeys are plausible; revenue has at most 2 decimals.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_buf.h"
#include "fs_day.h"
#include "fs_definition.h"
#include "fs_event.h"
#include "fs_test.h"
#include "fs_validate.h"
#include "gen.h"

#define DAY_MS FS_DAY_MS

/* 2026-11-27, and "now" at 05:12 that day. */
static int64_t end_day(void)
{
    return fs_day_from_civil(2026, 11, 27);
}

static fs_gen_opts_t base_opts(uint64_t seed, uint32_t users)
{
    fs_gen_opts_t o;
    fs_gen_opts_default(&o);
    o.seed = seed;
    o.users = users;
    o.days = 14;
    o.end_day = end_day();
    o.now_ms = end_day() * DAY_MS + 5 * 3600000LL + 12 * 60000LL;
    return o;
}

/* Runs a generator to the end into @p out; returns the number of lines. */
static size_t gen_all(const fs_gen_opts_t *o, fs_buf_t *out)
{
    char err[256];
    fs_gen_t *g = fs_gen_new(o, err, sizeof(err));
    if (!g)
        FS_FAIL_("fs_gen_new: %s", err);
    size_t n = 0;
    int r;
    while ((r = fs_gen_next(g, out)) == 1)
        n++;
    ASSERT_EQ(r, 0);
    fs_gen_stats_t st;
    fs_gen_stats(g, &st);
    ASSERT_EQ(st.lines, n);
    fs_gen_destroy(g);
    return n;
}

/* Iterates over the lines of @p b: *line is NUL-terminated in a copy. */
typedef struct lines {
    char *text, *next;
} lines_t;

static void lines_init(lines_t *it, const fs_buf_t *b)
{
    it->text = malloc(b->len + 1);
    ASSERT(it->text);
    memcpy(it->text, b->data, b->len);
    it->text[b->len] = '\0';
    it->next = it->text;
}

static char *lines_next(lines_t *it)
{
    if (!*it->next)
        return NULL;
    char *line = it->next, *nl = strchr(line, '\n');
    ASSERT(nl); /* every line ends with a newline */
    *nl = '\0';
    it->next = nl + 1;
    return line;
}

static int64_t occurred_ms(json_t *ev)
{
    json_t *t = json_object_get(ev, "occurred_at");
    if (json_is_integer(t))
        return (int64_t)json_integer_value(t);
    int64_t ms = 0;
    ASSERT(json_is_string(t));
    ASSERT_EQ(fs_parse_timestamp_ms(json_string_value(t), &ms), FS_OK);
    return ms;
}

static json_t *parse(const char *line)
{
    json_error_t jerr;
    json_t *ev = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
    if (!ev || !json_is_object(ev))
        FS_FAIL_("not a JSON object: %s (%s)", line, jerr.text);
    return ev;
}

static void test_same_seed_same_bytes(void)
{
    fs_buf_t a = FS_BUF_INIT, b = FS_BUF_INIT;
    fs_gen_opts_t o = base_opts(7, 500);
    size_t na = gen_all(&o, &a), nb = gen_all(&o, &b);
    ASSERT_GT(na, 1000); /* 500 journeys are several thousand events */
    ASSERT_EQ(na, nb);
    ASSERT_EQ(a.len, b.len);
    ASSERT(memcmp(a.data, b.data, a.len) == 0);
    fs_buf_free(&a);
    fs_buf_free(&b);
}

static void test_other_seed_other_bytes(void)
{
    fs_buf_t a = FS_BUF_INIT, b = FS_BUF_INIT;
    fs_gen_opts_t o7 = base_opts(7, 200), o8 = base_opts(8, 200);
    gen_all(&o7, &a);
    gen_all(&o8, &b);
    ASSERT(a.len != b.len || memcmp(a.data, b.data, a.len) != 0);
    /* Not just the ids ("g7-" vs "g8-"): the people and times differ too. */
    const char *ua = strstr((const char *)a.data, "\"occurred_at\"");
    const char *ub = strstr((const char *)b.data, "\"occurred_at\"");
    ASSERT(ua && ub);
    ASSERT(strncmp(ua, ub, 40) != 0);
    fs_buf_free(&a);
    fs_buf_free(&b);
}

static const char *const spec_fields[] = {
    "event_id", "type",     "user_id",  "anonymous_id", "occurred_at",
    "channel",  "campaign", "source",   "medium",       "content",
    "term",     "revenue",  "currency", "properties"};
static const char *const spec_types[] = {
    "ad_impression",    "ad_click",       "social_engagement", "page_view",
    "content_download", "email_signup",   "email_open",        "email_click",
    "webinar_attended", "demo_requested", "sales_call",        "demo_attended",
    "quote_sent",       "sale",           "repeat_purchase",   "referral",
    "identify"};

static int in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(s, list[i]))
            return 1;
    return 0;
}

static int valid_id(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-",
                    s[i]))
            return 0;
    return 1;
}

/* The literal text of "revenue" in @p line: digits with at most 2 decimals. */
static void check_revenue_literal(const char *line)
{
    const char *p = strstr(line, "\"revenue\":");
    if (!p)
        return;
    p += strlen("\"revenue\":");
    int quoted = *p == '"';
    p += quoted;
    size_t whole = strspn(p, "0123456789"), frac = 0;
    ASSERT_GT(whole, 0);
    if (p[whole] == '.') {
        frac = strspn(p + whole + 1, "0123456789");
        ASSERT(frac >= 1 && frac <= 2);
        frac++;
    }
    ASSERT(strchr(quoted ? "\"" : ",}", p[whole + frac]));
}

static void test_every_line_is_a_spec_event(void)
{
    fs_buf_t out = FS_BUF_INIT;
    fs_gen_opts_t o = base_opts(11, 1200);
    o.days = 30; /* renewals and repeat purchases come weeks after the sale */
    o.ncurrencies = 2;
    memcpy(o.currencies[0].code, "USD", 4);
    o.currencies[0].weight = 80;
    memcpy(o.currencies[1].code, "EUR", 4);
    o.currencies[1].weight = 20;
    size_t n = gen_all(&o, &out);
    char err[1024];
    fs_definition_t *def = fs_definition_new_default(err, sizeof(err));
    ASSERT(def);
    fs_validate_ctx_t ctx = {def, o.now_ms, "gen", NULL};
    size_t seen_types[17] = {0}, offsets = 0, epochs = 0, numbers = 0, eur = 0;
    lines_t it;
    lines_init(&it, &out);
    for (char *line; (line = lines_next(&it));) {
        json_t *ev = parse(line);
        const char *key;
        json_t *v;
        json_object_foreach(ev, key, v)
        {
            if (!in_list(key, spec_fields, sizeof(spec_fields) / sizeof(spec_fields[0])))
                FS_FAIL_("field \"%s\" is not an event field: %s", key, line);
            if (strcmp(key, "revenue") && strcmp(key, "occurred_at") &&
                strcmp(key, "properties"))
                ASSERT(json_is_string(v) && json_string_length(v) > 0 &&
                       json_string_length(v) <= 128);
        }
        const char *type = json_string_value(json_object_get(ev, "type"));
        ASSERT(type);
        size_t ti = 0;
        while (ti < 17 && strcmp(type, spec_types[ti]))
            ti++;
        if (ti == 17)
            FS_FAIL_("type \"%s\" is not a default event type", type);
        seen_types[ti]++;
        ASSERT(valid_id(json_string_value(json_object_get(ev, "event_id"))));
        ASSERT(json_object_get(ev, "user_id") || json_object_get(ev, "anonymous_id"));
        json_t *props = json_object_get(ev, "properties");
        if (props) {
            ASSERT(json_is_object(props));
            json_object_foreach(props, key, v)
                ASSERT(json_is_string(v) || json_is_number(v) || json_is_boolean(v));
        }
        json_t *rev = json_object_get(ev, "revenue");
        if (rev) {
            ASSERT(!strcmp(type, "sale") || !strcmp(type, "repeat_purchase"));
            numbers += json_is_number(rev);
            check_revenue_literal(line);
            const char *cur = json_string_value(json_object_get(ev, "currency"));
            ASSERT(cur && (!strcmp(cur, "USD") || !strcmp(cur, "EUR")));
            eur += !strcmp(cur, "EUR");
        }
        json_t *at = json_object_get(ev, "occurred_at");
        epochs += json_is_integer(at);
        offsets += json_is_string(at) && strstr(json_string_value(at), "+0") != NULL;

        /* And the collector's own validator accepts it as it is. */
        fs_event_t e;
        memset(&e, 0, sizeof(e));
        if (fs_validate_text(&ctx, line, strlen(line), &e, err, sizeof(err)) != FS_OK)
            FS_FAIL_("validator rejects %s: %s", line, err);
        fs_event_clear(&e);
        json_decref(ev);
    }
    free(it.text);
    /* The mixed scenario uses every type of the default funnel. */
    for (size_t i = 0; i < 17; i++)
        if (!seen_types[i])
            FS_FAIL_("no %s among %zu events", spec_types[i], n);
    ASSERT_GT(epochs, 0);  /* a few epoch-millisecond timestamps */
    ASSERT_GT(offsets, 0); /* and a few with a +01:00/+02:00 offset */
    ASSERT_GT(numbers, 0); /* revenue as a JSON number sometimes */
    ASSERT_GT(eur, 0);
    fs_definition_destroy(def);
    fs_buf_free(&out);
}

/* Share of repeated event ids, in ppm of distinct events; checks the copies. */
static uint32_t duplicate_ppm_of(uint32_t requested_ppm)
{
    fs_buf_t out = FS_BUF_INIT;
    fs_gen_opts_t o = base_opts(3, 600);
    o.duplicate_ppm = requested_ppm;
    gen_all(&o, &out);
    json_t *seen = json_object(); /* event_id → the first line that carried it */
    size_t dups = 0;
    lines_t it;
    lines_init(&it, &out);
    for (char *line; (line = lines_next(&it));) {
        json_t *ev = parse(line);
        const char *id = json_string_value(json_object_get(ev, "event_id"));
        json_t *first = json_object_get(seen, id);
        if (first) {
            ASSERT_STR_EQ(line, json_string_value(first)); /* identical, byte for byte */
            dups++;
        } else {
            ASSERT_EQ(json_object_set_new(seen, id, json_string(line)), 0);
        }
        json_decref(ev);
    }
    uint32_t ppm = (uint32_t)(dups * 1000000 / json_object_size(seen));
    json_decref(seen);
    free(it.text);
    fs_buf_free(&out);
    return ppm;
}

static void test_duplicates(void)
{
    ASSERT_EQ(duplicate_ppm_of(0), 0);
    uint32_t d = duplicate_ppm_of(100000); /* 10% */
    ASSERT_GT(d, 80000);
    ASSERT_LT(d, 120000);
    d = duplicate_ppm_of(20000); /* the 2% default */
    ASSERT_GT(d, 10000);
    ASSERT_LT(d, 30000);
}

static void test_window_order_and_journeys(void)
{
    fs_buf_t out = FS_BUF_INIT;
    fs_gen_opts_t o = base_opts(5, 1000);
    o.duplicate_ppm = 0;
    o.late_ppm = 0;
    size_t n = gen_all(&o, &out);
    int64_t start = (end_day() - 13) * DAY_MS, end = (end_day() + 1) * DAY_MS, prev = 0;
    size_t sales = 0;
    json_t *demo_at = json_object(); /* user → earliest opportunity touch */
    lines_t it;
    lines_init(&it, &out);
    for (char *line; (line = lines_next(&it));) {
        json_t *ev = parse(line);
        int64_t t = occurred_ms(ev);
        ASSERT_GE(t, start);
        ASSERT_LT(t, end);
        ASSERT_LE(t, o.now_ms + 24 * 3600000LL);
        ASSERT_GE(t, prev); /* without late events, lines are in time order */
        prev = t;
        const char *type = json_string_value(json_object_get(ev, "type"));
        const char *user = json_string_value(json_object_get(ev, "user_id"));
        if (!strcmp(type, "demo_attended") && user && !json_object_get(demo_at, user))
            json_object_set_new(demo_at, user, json_integer(t));
        if (!strcmp(type, "sale")) {
            /* Every sale follows the demo (wet test or product demo) of its buyer. */
            ASSERT(user);
            json_t *d = json_object_get(demo_at, user);
            if (!d)
                FS_FAIL_("sale without an earlier demo_attended: %s", line);
            ASSERT_LT(json_integer_value(d), t);
            sales++;
        }
        json_decref(ev);
    }
    ASSERT_GT(sales, 5);
    ASSERT_GT(n, 3000);
    json_decref(demo_at);
    free(it.text);
    fs_buf_free(&out);
}

static void test_late_events(void)
{
    fs_buf_t out = FS_BUF_INIT;
    fs_gen_opts_t o = base_opts(9, 600);
    o.duplicate_ppm = 0;
    o.late_ppm = 100000; /* 10% */
    size_t n = gen_all(&o, &out), behind = 0;
    int64_t max = 0;
    lines_t it;
    lines_init(&it, &out);
    for (char *line; (line = lines_next(&it));) {
        json_t *ev = parse(line);
        int64_t t = occurred_ms(ev);
        behind += t < max;
        max = t > max ? t : max;
        json_decref(ev);
    }
    /* A late event is written after events that happened later than it. */
    ASSERT_GT(behind * 100, n * 5);
    ASSERT_LT(behind * 100, n * 15);
    free(it.text);
    fs_buf_free(&out);
}

static void test_anonymous_users(void)
{
    for (int all = 0; all <= 1; all++) {
        fs_buf_t out = FS_BUF_INIT;
        fs_gen_opts_t o = base_opts(4, 400);
        o.anonymous_ppm = all ? 1000000 : 0;
        gen_all(&o, &out);
        size_t anon_only = 0, both = 0;
        lines_t it;
        lines_init(&it, &out);
        for (char *line; (line = lines_next(&it));) {
            json_t *ev = parse(line);
            int u = json_object_get(ev, "user_id") != NULL;
            int a = json_object_get(ev, "anonymous_id") != NULL;
            anon_only += a && !u;
            both += a && u;
            json_decref(ev);
        }
        if (all) {
            ASSERT_GT(anon_only, 100);
            ASSERT_GT(both, 10); /* identify / email_signup link the ids */
        } else {
            ASSERT_EQ(anon_only, 0);
            ASSERT_EQ(both, 0);
        }
        free(it.text);
        fs_buf_free(&out);
    }
}

static void test_scenarios_and_revenue(void)
{
    static const struct {
        fs_gen_scenario_t sc;
        int64_t lo, hi; /* sale revenue in units */
        const char *must, *never;
    } cases[] = {
        {FS_GEN_HOT_TUB, 4000, 15000, "\"type\":\"demo_attended\"",
         "\"type\":\"quote_sent\""},
        {FS_GEN_B2B, 5000, 120000, "\"type\":\"quote_sent\"", "hot_tub"},
    };
    for (size_t c = 0; c < 2; c++) {
        fs_buf_t out = FS_BUF_INIT;
        fs_gen_opts_t o = base_opts(21, 1500);
        o.scenario = cases[c].sc;
        o.days = 40;
        gen_all(&o, &out);
        size_t sales = 0;
        lines_t it;
        lines_init(&it, &out); /* a NUL-terminated copy */
        ASSERT_CONTAINS(it.text, cases[c].must);
        ASSERT(!strstr(it.text, cases[c].never));
        for (char *line; (line = lines_next(&it));) {
            json_t *ev = parse(line);
            if (!strcmp(json_string_value(json_object_get(ev, "type")), "sale")) {
                json_t *rev = json_object_get(ev, "revenue");
                char text[64];
                if (json_is_string(rev))
                    snprintf(text, sizeof(text), "%s", json_string_value(rev));
                else
                    snprintf(text, sizeof(text), "%.2f", json_number_value(rev));
                int64_t cents = -1;
                ASSERT_EQ(fs_parse_revenue_cents(text, &cents), FS_OK);
                ASSERT_GE(cents, cases[c].lo * 100);
                ASSERT_LE(cents, cases[c].hi * 100);
                sales++;
            }
            json_decref(ev);
        }
        ASSERT_GT(sales, 10);
        free(it.text);
        fs_buf_free(&out);
    }
}

static void test_max_events_and_bad_options(void)
{
    char err[256];
    fs_buf_t out = FS_BUF_INIT;
    fs_gen_opts_t o = base_opts(1, 1000);
    o.max_events = 123;
    ASSERT_EQ(gen_all(&o, &out), 123);
    fs_buf_free(&out);

    o = base_opts(1, 10);
    o.end_day = end_day() + 1; /* tomorrow: events in the future */
    ASSERT(fs_gen_new(&o, err, sizeof(err)) == NULL);
    ASSERT_CONTAINS(err, "--end (end):");
    o = base_opts(1, 0);
    ASSERT(fs_gen_new(&o, err, sizeof(err)) == NULL);
    ASSERT_CONTAINS(err, "users");

    /* Without an end day the window ends at now. */
    o = base_opts(2, 300);
    o.end_day = FS_GEN_END_NOW;
    gen_all(&o, &out);
    lines_t it;
    lines_init(&it, &out);
    for (char *line; (line = lines_next(&it));) {
        json_t *ev = parse(line);
        ASSERT_LT(occurred_ms(ev), o.now_ms);
        json_decref(ev);
    }
    free(it.text);
    fs_buf_free(&out);
}

static void test_option_parsers(void)
{
    char err[256];
    uint32_t ppm = 7;
    ASSERT_EQ(fs_gen_parse_rate("0.02", &ppm, err, sizeof(err)), FS_OK);
    ASSERT_EQ(ppm, 20000);
    ASSERT_EQ(fs_gen_parse_rate("2%", &ppm, err, sizeof(err)), FS_OK);
    ASSERT_EQ(ppm, 20000);
    ASSERT_EQ(fs_gen_parse_rate("0.5%", &ppm, err, sizeof(err)), FS_OK);
    ASSERT_EQ(ppm, 5000);
    ASSERT_EQ(fs_gen_parse_rate("1", &ppm, err, sizeof(err)), FS_OK);
    ASSERT_EQ(ppm, 1000000);
    ASSERT_EQ(fs_gen_parse_rate("0", &ppm, err, sizeof(err)), FS_OK);
    ASSERT_EQ(ppm, 0);
    ASSERT_EQ(fs_gen_parse_rate("100%", &ppm, err, sizeof(err)), FS_OK);
    ASSERT_EQ(ppm, 1000000);
    static const char *const bad_rates[] = {"",          "1.5", "101%",  "abc", "-0.1",
                                            "0.0000001", "2 %", "0.02x", ".",   "%"};
    for (size_t i = 0; i < sizeof(bad_rates) / sizeof(bad_rates[0]); i++) {
        err[0] = '\0';
        if (fs_gen_parse_rate(bad_rates[i], &ppm, err, sizeof(err)) != FS_ERR_INVALID)
            FS_FAIL_("rate \"%s\" accepted", bad_rates[i]);
        ASSERT(err[0]);
    }

    fs_gen_currency_t c[FS_GEN_MAX_CURRENCIES];
    size_t n = 0;
    ASSERT_EQ(fs_gen_parse_currency_mix("USD:90,EUR:10", c, &n, err, sizeof(err)), FS_OK);
    ASSERT_EQ(n, 2);
    ASSERT_STR_EQ(c[1].code, "EUR");
    ASSERT_EQ(c[1].weight, 10);
    ASSERT_EQ(fs_gen_parse_currency_mix("GBP", c, &n, err, sizeof(err)), FS_OK);
    ASSERT_EQ(n, 1);
    ASSERT_EQ(c[0].weight, 1);
    static const char *const bad_mixes[] = {
        "",     "usd:1",  "USD:0",   "USD:", "USD,USD",
        "US:1", "USD:1,", "USD;EUR", "USDX", "USD:-1"};
    for (size_t i = 0; i < sizeof(bad_mixes) / sizeof(bad_mixes[0]); i++)
        if (fs_gen_parse_currency_mix(bad_mixes[i], c, &n, err, sizeof(err)) !=
            FS_ERR_INVALID)
            FS_FAIL_("currency mix \"%s\" accepted", bad_mixes[i]);

    fs_gen_scenario_t sc;
    ASSERT_EQ(fs_gen_parse_scenario("hot-tub", &sc, err, sizeof(err)), FS_OK);
    ASSERT_EQ(sc, FS_GEN_HOT_TUB);
    ASSERT_EQ(fs_gen_parse_scenario("b2b", &sc, err, sizeof(err)), FS_OK);
    ASSERT_EQ(sc, FS_GEN_B2B);
    ASSERT_EQ(fs_gen_parse_scenario("B2B", &sc, err, sizeof(err)), FS_ERR_INVALID);
    ASSERT_CONTAINS(err, "hot-tub, b2b, mixed");
}

int main(void)
{
    RUN(test_same_seed_same_bytes);
    RUN(test_other_seed_other_bytes);
    RUN(test_every_line_is_a_spec_event);
    RUN(test_duplicates);
    RUN(test_window_order_and_journeys);
    RUN(test_late_events);
    RUN(test_anonymous_users);
    RUN(test_scenarios_and_revenue);
    RUN(test_max_events_and_bad_options);
    RUN(test_option_parsers);
    return 0;
}
