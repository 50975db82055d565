/*
 * gen.c — synthetic marketing & sales journeys (see gen.h).
 *
 * Owns the journey model and its randomness; knows nothing of stdout,
 * HTTP, the clock or the configuration system.  How a run unfolds:
 *
 *   - users start their journeys in order, spread evenly over the window and
 *     bent towards the busy hours of the day (a monotone warp, so starts
 *     stay sorted); each user has an own xoshiro256** stream seeded from
 *     (seed, user), so one journey never depends on another;
 *   - a journey pushes all its events into a min-heap keyed by the time the
 *     event is *written* (occurred_at, later for the late ones);
 *   - fs_gen_next() pops the heap as long as the top is not later than the
 *     start of the next journey — no later journey can produce anything
 *     earlier — so lines come out sorted by write time.
 *
 * Only integer arithmetic: doubles and libm would make "byte-identical for
 * the same seed" depend on the platform.
 */
#include "gen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_day.h"
#include "fs_rng.h"

#define SEC 1000LL
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define DAY FS_DAY_MS

/* ---- randomness: fs_splitmix64 seeds xoshiro256** (common/core/fs_rng.h) - */

static void rng_seed(fs_rng_t *r, uint64_t seed, uint64_t stream)
{
    fs_rng_seed_from(r, seed ^ (stream * 0xd1342543de82ef95ULL));
}

/* Uniform in [lo, hi] (the modulo bias is below 2^-40 for our ranges). */
static int64_t range(fs_rng_t *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(fs_rng_next(r) % (uint64_t)(hi - lo + 1));
}

/* True with probability ppm / 10^6. */
static int chance(fs_rng_t *r, uint32_t ppm)
{
    return fs_rng_next(r) % FS_GEN_PPM < ppm;
}

/* Index drawn from @p n relative weights. */
static int pick(fs_rng_t *r, const unsigned *w, int n)
{
    unsigned total = 0;
    for (int i = 0; i < n; i++)
        total += w[i];
    unsigned x = (unsigned)range(r, 0, total - 1);
    for (int i = 0; i < n; i++) {
        if (x < w[i])
            return i;
        x -= w[i];
    }
    return n - 1;
}

#define PICK(r, w) pick((r), (w), (int)(sizeof(w) / sizeof((w)[0])))

/* A duration in [lo, hi] ms, skewed towards lo (u² of a uniform u), as
 * waiting times between touches are: most come soon, a few much later. */
static int64_t skewed(fs_rng_t *r, int64_t lo, int64_t hi)
{
    uint64_t u = fs_rng_next(r) >> 32, v = (u * u) >> 32; /* v in [0, 2^32) */
    uint64_t span_s = (uint64_t)(hi - lo) / 1000;         /* seconds keep v*span < 2^63 */
    return lo + (int64_t)((v * span_s) >> 32) * 1000 + range(r, 0, 999);
}

/* ---- the vocabulary: event types and every string an event carries ---- */

#define TYPES(X)                                                                         \
    X(AD_IMPRESSION, "ad_impression")                                                    \
    X(AD_CLICK, "ad_click")                                                              \
    X(SOCIAL_ENGAGEMENT, "social_engagement")                                            \
    X(PAGE_VIEW, "page_view")                                                            \
    X(CONTENT_DOWNLOAD, "content_download")                                              \
    X(EMAIL_SIGNUP, "email_signup")                                                      \
    X(EMAIL_OPEN, "email_open")                                                          \
    X(EMAIL_CLICK, "email_click")                                                        \
    X(WEBINAR_ATTENDED, "webinar_attended")                                              \
    X(DEMO_REQUESTED, "demo_requested")                                                  \
    X(SALES_CALL, "sales_call")                                                          \
    X(DEMO_ATTENDED, "demo_attended")                                                    \
    X(QUOTE_SENT, "quote_sent")                                                          \
    X(SALE, "sale")                                                                      \
    X(REPEAT_PURCHASE, "repeat_purchase")                                                \
    X(REFERRAL, "referral")                                                              \
    X(IDENTIFY, "identify")

#define ENUM_T(e, s) T_##e,
#define NAME_T(e, s) s,
enum { TYPES(ENUM_T) T__COUNT };
static const char *const type_names[] = {TYPES(NAME_T)};

/* One table of strings, indexed by uint8_t in the compact ev_t. */
#define STRS(X)                                                                          \
    X(NONE, NULL)                                                                        \
    /* channels */                                                                       \
    X(PAID_SEARCH, "paid_search")                                                        \
    X(PAID_SOCIAL, "paid_social")                                                        \
    X(ORGANIC_SOCIAL, "organic_social")                                                  \
    X(EMAIL, "email")                                                                    \
    X(ORGANIC, "organic")                                                                \
    X(REFERRAL, "referral")                                                              \
    X(EVENTS, "events")                                                                  \
    X(SALES_OUTREACH, "sales_outreach")                                                  \
    X(DIRECT, "direct")                                                                  \
    /* campaigns */                                                                      \
    X(SPRING_SPA_SALE, "spring_spa_sale")                                                \
    X(BLACK_FRIDAY_SPA, "black_friday_spa_deals")                                        \
    X(RETARGETING_Q4, "retargeting_q4")                                                  \
    X(BUYERS_GUIDE, "hot_tub_buyers_guide")                                              \
    X(INSTORE_INVITE, "instore_event_invite")                                            \
    X(HOME_GARDEN_SHOW, "home_garden_show")                                              \
    X(REFER_A_FRIEND, "refer_a_friend")                                                  \
    X(OPS_SEARCH, "ops_platform_search")                                                 \
    X(LINKEDIN_ABM_Q4, "linkedin_abm_q4")                                                \
    X(GUIDE_DOWNLOAD_Q4, "guide_download_q4")                                            \
    X(WEBINAR_SCALING_OPS, "webinar_scaling_ops")                                        \
    X(NURTURE_OPS, "nurture_ops_series")                                                 \
    X(SDR_FOLLOWUP, "sdr_followup_q4")                                                   \
    X(OUTBOUND_Q4, "outbound_q4")                                                        \
    X(SAAS_SUMMIT, "saas_ops_summit")                                                    \
    X(CUSTOMER_REFERRAL, "customer_referral_program")                                    \
    /* UTM sources and media */                                                          \
    X(GOOGLE, "google")                                                                  \
    X(BING, "bing")                                                                      \
    X(FACEBOOK, "facebook")                                                              \
    X(INSTAGRAM, "instagram")                                                            \
    X(LINKEDIN, "linkedin")                                                              \
    X(HOUZZ, "houzz.com")                                                                \
    X(YELP, "yelp.com")                                                                  \
    X(G2, "g2.com")                                                                      \
    X(PARTNER_BLOG, "partner-blog")                                                      \
    X(NEWSLETTER, "newsletter")                                                          \
    X(CPC, "cpc")                                                                        \
    X(PAID_SOCIAL_M, "paid_social")                                                      \
    X(SOCIAL_M, "social")                                                                \
    X(REFERRAL_M, "referral")                                                            \
    X(EMAIL_M, "email")                                                                  \
    /* UTM content (creatives) and terms */                                              \
    X(CAROUSEL_V2, "carousel_v2")                                                        \
    X(VIDEO_15S, "video_15s")                                                            \
    X(RSA_A, "rsa_variant_a")                                                            \
    X(RSA_B, "rsa_variant_b")                                                            \
    X(CASE_STUDY_AD, "case_study_ad")                                                    \
    X(TERM_DEALER, "hot tub dealer near me")                                             \
    X(TERM_BEST, "best hot tubs 2026")                                                   \
    X(TERM_SWIM_SPA, "swim spa prices")                                                  \
    X(TERM_WORKFLOW, "workflow automation software")                                     \
    X(TERM_OPS, "operations platform pricing")                                           \
    /* property keys and values */                                                       \
    X(K_PATH, "path")                                                                    \
    X(K_ASSET, "asset")                                                                  \
    X(K_PRODUCT, "product")                                                              \
    X(K_EMAIL, "email_name")                                                             \
    X(K_FORM, "form")                                                                    \
    X(K_LOCATION, "location")                                                            \
    X(P_HOME, "/")                                                                       \
    X(P_HOT_TUBS, "/hot-tubs")                                                           \
    X(P_SERENITY, "/hot-tubs/serenity-6")                                                \
    X(P_MYTHOS, "/hot-tubs/mythos-7")                                                    \
    X(P_SWIM_SPAS, "/swim-spas")                                                         \
    X(P_FINANCING, "/financing")                                                         \
    X(P_VISIT, "/visit-our-showroom")                                                    \
    X(P_PRODUCT, "/product")                                                             \
    X(P_PRICING, "/pricing")                                                             \
    X(P_CUSTOMERS, "/customers")                                                         \
    X(P_INTEGRATIONS, "/integrations")                                                   \
    X(P_BLOG, "/blog/scaling-ops-teams")                                                 \
    X(P_DEMO, "/demo")                                                                   \
    X(A_BUYERS_GUIDE, "hot_tub_buyers_guide.pdf")                                        \
    X(A_OPS_REPORT, "ops_benchmark_report_2026.pdf")                                     \
    X(A_ROI_CALC, "roi_calculator.xlsx")                                                 \
    X(E_WET_TEST, "wet_test_invite")                                                     \
    X(E_FINANCING, "financing_offer")                                                    \
    X(E_NURTURE_1, "nurture_1_benchmarks")                                               \
    X(E_NURTURE_2, "nurture_2_case_study")                                               \
    X(E_WEBINAR_REM, "webinar_reminder")                                                 \
    X(F_GUIDE, "guide_gate")                                                             \
    X(F_WEBINAR, "webinar_registration")                                                 \
    X(F_BOOTH, "show_booth_tablet")                                                      \
    X(L_SHOWROOM, "showroom_main_st")                                                    \
    X(L_SHOW_HALL, "expo_hall_b")                                                        \
    X(PR_SERENITY, "serenity_6")                                                         \
    X(PR_MYTHOS, "mythos_7")                                                             \
    X(PR_SWIM_SPA, "swim_spa_14")                                                        \
    X(PR_COVER, "cover_lifter")                                                          \
    X(PR_CHEMICALS, "water_care_kit")                                                    \
    X(PR_TEAM, "ops_platform_team")                                                      \
    X(PR_ENTERPRISE, "ops_platform_enterprise")                                          \
    X(PR_SEATS, "additional_seats")

#define ENUM_S(e, s) S_##e,
#define NAME_S(e, s) s,
enum { STRS(ENUM_S) S__COUNT };
static const char *const strs[] = {STRS(NAME_S)};

/* ---- events and the heap -------------------------------------------- */

enum { ID_USER = 1, ID_ANON = 2, ID_B2B = 4 };    /* ev.ids */
enum { TS_Z, TS_EPOCH, TS_OFFSET };               /* ev.tsfmt */
enum { F_LATE = 1, F_DUP = 2, F_REV_NUMBER = 4 }; /* ev.flags */

/* One event, compact (56 bytes): strings are indices into strs[]. */
typedef struct ev {
    int64_t emit_ms; /* heap key: when the line is written */
    int64_t at_ms;   /* occurred_at */
    int64_t cents;   /* revenue in cents, -1 when none */
    uint64_t ord;    /* push order: ties of emit_ms break deterministically */
    uint32_t n;      /* event number: event_id "g<seed>-<n>" */
    uint32_t user;
    uint8_t type, channel, campaign, source, medium, content, term, pkey, pval;
    uint8_t ids, tsfmt, flags, cur;
} ev_t;

struct fs_gen {
    fs_gen_opts_t o;
    int64_t start_ms, end_ms; /* the window: [start of the first day, end or now) */
    ev_t *heap;
    size_t nheap, cap;
    uint64_t ord;
    uint32_t next_n;          /* next event number */
    uint32_t next_user;       /* next journey to generate */
    uint32_t next_start_user; /* next_start is the start of this journey (cache) */
    int64_t next_start;
    uint32_t currency_total;
    fs_gen_stats_t st;
};

static int ev_less(const ev_t *a, const ev_t *b)
{
    return a->emit_ms < b->emit_ms || (a->emit_ms == b->emit_ms && a->ord < b->ord);
}

static fs_err_t heap_push(fs_gen_t *g, const ev_t *e)
{
    if (g->nheap == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 1024;
        ev_t *h = realloc(g->heap, cap * sizeof(*h));
        if (!h)
            return FS_ERR_NOMEM;
        g->heap = h;
        g->cap = cap;
    }
    size_t i = g->nheap++;
    g->heap[i] = *e;
    g->heap[i].ord = g->ord++;
    while (i > 0 && ev_less(&g->heap[i], &g->heap[(i - 1) / 2])) {
        ev_t t = g->heap[i];
        g->heap[i] = g->heap[(i - 1) / 2];
        g->heap[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
    return FS_OK;
}

static ev_t heap_pop(fs_gen_t *g)
{
    ev_t top = g->heap[0];
    g->heap[0] = g->heap[--g->nheap];
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < g->nheap && ev_less(&g->heap[l], &g->heap[m]))
            m = l;
        if (r < g->nheap && ev_less(&g->heap[r], &g->heap[m]))
            m = r;
        if (m == i)
            break;
        ev_t t = g->heap[i];
        g->heap[i] = g->heap[m];
        g->heap[m] = t;
        i = m;
    }
    return top;
}

/* ---- journeys ------------------------------------------------------- */

typedef struct journey {
    fs_gen_t *g;
    fs_rng_t r;
    uint32_t user;
    int64_t t;      /* the clock of this journey */
    int b2b;        /* B2B buyer (crm_ ids) rather than a hot-tub shopper */
    int anon_first; /* browses with only an anonymous_id until identified */
    int identified;
    int eu;   /* sometimes writes local +01:00/+02:00 timestamps */
    int cur;  /* index into opts.currencies */
    int done; /* the clock passed the end of the window */
    fs_err_t err;
} journey_t;

typedef struct touch {
    uint8_t channel, campaign, source, medium, content, term, pkey, pval;
} touch_t;

static void wait_ms(journey_t *j, int64_t lo, int64_t hi)
{
    j->t += skewed(&j->r, lo, hi);
    if (j->t >= j->g->end_ms)
        j->done = 1;
}

/* Moves the clock into opening hours: [open, close) o'clock UTC, and off
 * weekends when @p weekdays (B2B sales teams; the dealer opens Saturdays). */
static void office_hours(journey_t *j, int open, int close, int weekdays)
{
    int64_t day = fs_day_from_ms(j->t), tod = j->t - day * DAY;
    if (tod >= close * HOUR)
        day++;
    if (tod < open * HOUR || tod >= close * HOUR)
        tod = open * HOUR + range(&j->r, 0, 2 * HOUR);
    int wd = (int)((day + 4) % 7); /* 0 = Sunday; 1970-01-01 was a Thursday */
    if (wd == 0)
        day += 1; /* closed on Sundays */
    else if (wd == 6 && weekdays)
        day += 2;
    j->t = day * DAY + tod;
    if (j->t >= j->g->end_ms)
        j->done = 1;
}

/* Records one event at the journey's clock.  Events after the window are
 * dropped: the journey simply goes on beyond what we observe. */
static void emit(journey_t *j, int type, touch_t tc, int64_t cents)
{
    fs_gen_t *g = j->g;
    if (j->err || j->done || j->t >= g->end_ms)
        return;
    ev_t e;
    memset(&e, 0, sizeof(e));
    e.at_ms = e.emit_ms = j->t;
    e.cents = cents;
    e.n = g->next_n++;
    e.user = j->user;
    e.type = (uint8_t)type;
    e.channel = tc.channel;
    e.campaign = tc.campaign;
    e.source = tc.source;
    e.medium = tc.medium;
    e.content = tc.content;
    e.term = tc.term;
    e.pkey = tc.pkey;
    e.pval = tc.pval;
    e.cur = (uint8_t)j->cur;
    if (j->b2b)
        e.ids |= ID_B2B;
    int web = type <= T_EMAIL_SIGNUP; /* browser-side events carry the cookie */
    if (!j->anon_first)
        e.ids |= ID_USER;
    else if (!j->identified)
        e.ids |= ID_ANON;
    else
        e.ids |= ID_USER | (web || type == T_IDENTIFY ? ID_ANON : 0);
    if (chance(&j->r, 20000))
        e.tsfmt = TS_EPOCH; /* some trackers send epoch milliseconds */
    else if (j->eu && web && chance(&j->r, 400000))
        e.tsfmt = TS_OFFSET; /* browser-local time of European visitors */
    if (cents >= 0 && chance(&j->r, 250000))
        e.flags |= F_REV_NUMBER;
    if (chance(&j->r, g->o.late_ppm)) {
        /* Written later than it happened: offline CRM sync, mobile batches. */
        e.flags |= F_LATE;
        e.emit_ms += skewed(&j->r, 10 * MIN, 3 * DAY);
    }
    if ((j->err = heap_push(g, &e)))
        return;
    if (chance(&j->r, g->o.duplicate_ppm)) {
        /* A client retry: the same event, byte for byte, a little later. */
        e.flags |= F_DUP;
        e.emit_ms += skewed(&j->r, 1 * SEC, 15 * MIN);
        j->err = heap_push(g, &e);
    }
}

static touch_t T(uint8_t ch, uint8_t camp, uint8_t src, uint8_t med)
{
    touch_t t = {ch, camp, src, med, S_NONE, S_NONE, S_NONE, S_NONE};
    return t;
}

static touch_t with_prop(touch_t t, uint8_t k, uint8_t v)
{
    t.pkey = k;
    t.pval = v;
    return t;
}

static void browse(journey_t *j, const touch_t *entry, const uint8_t *pages, int npages,
                   int max_views)
{
    int n = (int)range(&j->r, 1, max_views);
    for (int i = 0; i < n; i++) {
        touch_t p = *entry;
        p.content = p.term = S_NONE;
        p = with_prop(p, S_K_PATH, pages[range(&j->r, 0, npages - 1)]);
        emit(j, T_PAGE_VIEW, p, -1);
        wait_ms(j, 15 * SEC, 4 * MIN);
    }
}

/* Impressions, then maybe a click that lands on the site.  0 = no click. */
static int ad_touch(journey_t *j, const touch_t *ad, int max_impressions,
                    uint32_t click_ppm)
{
    int n = (int)range(&j->r, 1, max_impressions);
    for (int i = 0; i < n; i++) {
        emit(j, T_AD_IMPRESSION, *ad, -1);
        if (i + 1 < n)
            wait_ms(j, 30 * MIN, 2 * DAY);
    }
    if (!chance(&j->r, click_ppm))
        return 0;
    wait_ms(j, 2 * SEC, 90 * SEC);
    emit(j, T_AD_CLICK, *ad, -1);
    wait_ms(j, 1 * SEC, 5 * SEC);
    return 1;
}

/* The lead milestone: the form gives an email; anonymous visitors become known. */
static void sign_up(journey_t *j, const touch_t *tc, uint8_t form)
{
    if (j->anon_first && !j->identified && chance(&j->r, 400000)) {
        j->identified = 1; /* the site's login/identify call precedes the form event */
        emit(j, T_IDENTIFY, T(S_NONE, S_NONE, S_NONE, S_NONE), -1);
        wait_ms(j, 1 * SEC, 20 * SEC);
    }
    j->identified = 1;
    emit(j, T_EMAIL_SIGNUP, with_prop(*tc, S_K_FORM, form), -1);
}

static int64_t cents_between(journey_t *j, int64_t lo_units, int64_t hi_units)
{
    return range(&j->r, lo_units * 100, hi_units * 100);
}

/* Revenue in [lo, hi) units, skewed towards lo like real deal sizes. */
static int64_t skewed_cents(journey_t *j, int64_t lo_units, int64_t hi_units)
{
    return lo_units * 100 + skewed(&j->r, 0, (hi_units - lo_units - 1) * SEC) / 10;
}

static void hot_tub(journey_t *j)
{
    static const uint8_t pages[] = {S_P_HOME,   S_P_HOT_TUBS,  S_P_SERENITY,
                                    S_P_MYTHOS, S_P_SWIM_SPAS, S_P_FINANCING,
                                    S_P_VISIT};
    static const unsigned entry_w[] = {30, 25, 20, 10, 10, 5};
    fs_rng_t *r = &j->r;
    touch_t entry;
    switch (PICK(r, entry_w)) {
    case 0: /* Facebook/Instagram ads */
        entry =
            T(S_PAID_SOCIAL, chance(r, 500000) ? S_SPRING_SPA_SALE : S_BLACK_FRIDAY_SPA,
              chance(r, 600000) ? S_FACEBOOK : S_INSTAGRAM, S_PAID_SOCIAL_M);
        entry.content = chance(r, 500000) ? S_CAROUSEL_V2 : S_VIDEO_15S;
        if (!ad_touch(j, &entry, 4, 400000))
            return;
        break;
    case 1: { /* search ads */
        static const uint8_t terms[] = {S_TERM_DEALER, S_TERM_BEST, S_TERM_SWIM_SPA};
        entry = T(S_PAID_SEARCH, S_SPRING_SPA_SALE, chance(r, 800000) ? S_GOOGLE : S_BING,
                  S_CPC);
        entry.content = chance(r, 500000) ? S_RSA_A : S_RSA_B;
        entry.term = terms[range(r, 0, 2)];
        if (!ad_touch(j, &entry, 2, 550000))
            return;
        break;
    }
    case 2:
        entry = T(S_ORGANIC, S_NONE, S_GOOGLE, S_NONE);
        break;
    case 3:
        entry = T(S_REFERRAL, S_NONE, chance(r, 500000) ? S_HOUZZ : S_YELP, S_REFERRAL_M);
        break;
    case 4:
        entry = T(S_DIRECT, S_NONE, S_NONE, S_NONE);
        break;
    default: /* met at the home & garden show: signs up at the booth */
        entry = T(S_EVENTS, S_HOME_GARDEN_SHOW, S_NONE, S_NONE);
        sign_up(j, &entry, S_F_BOOTH);
        goto nurture;
    }
    browse(j, &entry, pages, (int)sizeof(pages), 6);

    int walk_in = entry.channel != S_PAID_SOCIAL && chance(r, 80000);
    if (!walk_in && !chance(r, 400000)) {
        /* Left without the guide; some come back through retargeting. */
        if (!chance(r, 300000))
            return;
        wait_ms(j, 1 * DAY, 5 * DAY);
        touch_t rt = T(S_PAID_SOCIAL, S_RETARGETING_Q4, S_FACEBOOK, S_PAID_SOCIAL_M);
        rt.content = S_VIDEO_15S;
        if (!ad_touch(j, &rt, 3, 300000))
            return;
        entry = rt;
        browse(j, &entry, pages, (int)sizeof(pages), 3);
    }
    if (walk_in) {
        /* Shows up at the showroom without ever giving an email online. */
        wait_ms(j, 1 * DAY, 10 * DAY);
        office_hours(j, 10, 19, 0);
        j->identified = 1; /* known by the store's CRM from now on, never linked */
        goto showroom;
    }
    touch_t guide = entry;
    guide.campaign = S_BUYERS_GUIDE;
    guide.content = guide.term = S_NONE;
    emit(j, T_CONTENT_DOWNLOAD, with_prop(guide, S_K_ASSET, S_A_BUYERS_GUIDE), -1);
    wait_ms(j, 2 * SEC, 40 * SEC);
    sign_up(j, &guide, S_F_GUIDE);

nurture:;
    touch_t mail = T(S_EMAIL, S_INSTORE_INVITE, S_NEWSLETTER, S_EMAIL_M);
    int nmails = (int)range(r, 1, 4);
    for (int i = 0; i < nmails; i++) {
        wait_ms(j, 12 * HOUR, 4 * DAY);
        mail.campaign = i == 0 ? S_INSTORE_INVITE : S_SPRING_SPA_SALE;
        touch_t m = with_prop(mail, S_K_EMAIL, i == 0 ? S_E_WET_TEST : S_E_FINANCING);
        if (!chance(r, 550000))
            continue; /* not opened */
        emit(j, T_EMAIL_OPEN, m, -1);
        if (chance(r, 350000)) {
            wait_ms(j, 5 * SEC, 10 * MIN);
            emit(j, T_EMAIL_CLICK, m, -1);
            wait_ms(j, 1 * SEC, 4 * SEC);
            browse(j, &mail, pages, (int)sizeof(pages), 3);
        }
    }
    if (!chance(r, 450000))
        return;
    wait_ms(j, 1 * DAY, 10 * DAY);
    office_hours(j, 10, 19, 0);

showroom:;
    touch_t demo = with_prop(T(S_EVENTS, S_INSTORE_INVITE, S_NONE, S_NONE), S_K_LOCATION,
                             chance(r, 800000) ? S_L_SHOWROOM : S_L_SHOW_HALL);
    emit(j, T_DEMO_ATTENDED, demo, -1); /* the wet test: opportunity */
    if (!chance(r, 450000))
        return;
    static const uint8_t models[] = {S_PR_SERENITY, S_PR_MYTHOS, S_PR_SWIM_SPA};
    wait_ms(j, 1 * HOUR, 10 * DAY);
    office_hours(j, 10, 19, 0);
    touch_t sale =
        with_prop(T(S_NONE, S_NONE, S_NONE, S_NONE), S_K_PRODUCT, models[range(r, 0, 2)]);
    emit(j, T_SALE, sale, cents_between(j, 4000, 15000));

    int64_t sold = j->t;
    if (chance(r, 250000)) { /* cover lifter, chemicals */
        wait_ms(j, 2 * DAY, 30 * DAY);
        touch_t acc = with_prop(T(S_NONE, S_NONE, S_NONE, S_NONE), S_K_PRODUCT,
                                chance(r, 500000) ? S_PR_COVER : S_PR_CHEMICALS);
        emit(j, T_REPEAT_PURCHASE, acc, cents_between(j, 50, 900));
    }
    if (chance(r, 250000)) { /* a happy owner refers a neighbour */
        j->t = sold;
        j->done = 0;
        wait_ms(j, 2 * DAY, 21 * DAY);
        emit(j, T_REFERRAL, T(S_REFERRAL, S_REFER_A_FRIEND, S_NONE, S_NONE), -1);
    }
}

static void b2b(journey_t *j)
{
    static const uint8_t pages[] = {S_P_HOME,      S_P_PRODUCT,      S_P_PRICING,
                                    S_P_CUSTOMERS, S_P_INTEGRATIONS, S_P_BLOG,
                                    S_P_DEMO};
    static const unsigned entry_w[] = {25, 25, 15, 15, 8, 7, 5};
    fs_rng_t *r = &j->r;
    touch_t entry;
    int known_by_sales = 0;
    switch (PICK(r, entry_w)) {
    case 0:
        entry = T(S_PAID_SEARCH, S_OPS_SEARCH, S_GOOGLE, S_CPC);
        entry.content = chance(r, 500000) ? S_RSA_A : S_RSA_B;
        entry.term = chance(r, 500000) ? S_TERM_WORKFLOW : S_TERM_OPS;
        if (!ad_touch(j, &entry, 2, 500000))
            return;
        break;
    case 1:
        entry = T(S_PAID_SOCIAL, S_LINKEDIN_ABM_Q4, S_LINKEDIN, S_PAID_SOCIAL_M);
        entry.content = S_CASE_STUDY_AD;
        if (!ad_touch(j, &entry, 5, 300000))
            return;
        break;
    case 2: /* likes/comments on a LinkedIn post, then visits */
        entry = T(S_ORGANIC_SOCIAL, S_NONE, S_LINKEDIN, S_SOCIAL_M);
        emit(j, T_SOCIAL_ENGAGEMENT, entry, -1);
        if (!chance(r, 500000))
            return;
        wait_ms(j, 1 * MIN, 2 * DAY);
        break;
    case 3:
        entry = T(S_ORGANIC, S_NONE, S_GOOGLE, S_NONE);
        break;
    case 4:
        entry = T(S_REFERRAL, S_NONE, chance(r, 600000) ? S_G2 : S_PARTNER_BLOG,
                  S_REFERRAL_M);
        break;
    case 5:
        entry = T(S_EVENTS, S_SAAS_SUMMIT, S_NONE, S_NONE);
        sign_up(j, &entry, S_F_BOOTH);
        goto nurture;
    default: /* cold outbound: the SDR found them first, by name */
        known_by_sales = 1;
        j->anon_first = 0;
        office_hours(j, 9, 17, 1);
        emit(j, T_SALES_CALL, T(S_SALES_OUTREACH, S_OUTBOUND_Q4, S_NONE, S_NONE), -1);
        if (!chance(r, 300000))
            return;
        wait_ms(j, 1 * HOUR, 3 * DAY);
        entry = T(S_DIRECT, S_NONE, S_NONE, S_NONE);
        break;
    }
    browse(j, &entry, pages, (int)sizeof(pages), 5);
    if (!chance(r, 450000)) {
        if (!chance(r, 300000))
            return;
        wait_ms(j, 1 * DAY, 6 * DAY);
        touch_t rt = T(S_PAID_SOCIAL, S_RETARGETING_Q4, S_LINKEDIN, S_PAID_SOCIAL_M);
        rt.content = S_CASE_STUDY_AD;
        if (!ad_touch(j, &rt, 3, 250000))
            return;
        entry = rt;
        browse(j, &entry, pages, (int)sizeof(pages), 3);
    }
    if (chance(r, 550000)) {
        touch_t dl = entry;
        dl.campaign = S_GUIDE_DOWNLOAD_Q4;
        dl.content = dl.term = S_NONE;
        emit(j, T_CONTENT_DOWNLOAD,
             with_prop(dl, S_K_ASSET, chance(r, 700000) ? S_A_OPS_REPORT : S_A_ROI_CALC),
             -1);
        wait_ms(j, 2 * SEC, 40 * SEC);
        sign_up(j, &dl, S_F_GUIDE);
    } else {
        touch_t web = entry;
        web.campaign = S_WEBINAR_SCALING_OPS;
        web.content = web.term = S_NONE;
        sign_up(j, &web, S_F_WEBINAR);
        wait_ms(j, 1 * DAY, 7 * DAY);
        if (chance(r, 600000))
            emit(j, T_WEBINAR_ATTENDED,
                 T(S_EVENTS, S_WEBINAR_SCALING_OPS, S_NONE, S_NONE), -1);
    }

nurture:;
    touch_t mail = T(S_EMAIL, S_NURTURE_OPS, S_NEWSLETTER, S_EMAIL_M);
    int nmails = (int)range(r, 1, 3), clicked = 0;
    for (int i = 0; i < nmails; i++) {
        wait_ms(j, 1 * DAY, 5 * DAY);
        touch_t m = with_prop(mail, S_K_EMAIL, i == 0 ? S_E_NURTURE_1 : S_E_NURTURE_2);
        if (!chance(r, 450000))
            continue;
        emit(j, T_EMAIL_OPEN, m, -1);
        if (chance(r, 300000)) {
            clicked = 1;
            wait_ms(j, 5 * SEC, 10 * MIN);
            emit(j, T_EMAIL_CLICK, m, -1);
            wait_ms(j, 1 * SEC, 4 * SEC);
            browse(j, &mail, pages, (int)sizeof(pages), 3);
        }
    }

    /* Marketing → sales handoff: an inbound demo request or an SDR call. */
    touch_t sdr = T(S_SALES_OUTREACH, S_SDR_FOLLOWUP, S_NONE, S_NONE);
    int demo;
    if (chance(r, clicked ? 550000 : 350000)) {
        wait_ms(j, 1 * MIN, 2 * DAY);
        emit(j, T_DEMO_REQUESTED,
             with_prop(T(clicked ? S_EMAIL : S_DIRECT, S_NONE, S_NONE, S_NONE), S_K_PATH,
                       S_P_DEMO),
             -1);
        wait_ms(j, 2 * HOUR, 3 * DAY);
        office_hours(j, 9, 17, 1);
        emit(j, T_SALES_CALL, sdr, -1);
        demo = chance(r, 700000);
    } else if (known_by_sales || chance(r, 300000)) {
        wait_ms(j, 1 * DAY, 8 * DAY);
        office_hours(j, 9, 17, 1);
        emit(j, T_SALES_CALL, sdr, -1);
        demo = chance(r, 350000);
    } else {
        return;
    }
    if (!demo)
        return;
    wait_ms(j, 1 * DAY, 6 * DAY);
    office_hours(j, 9, 17, 1);
    emit(j, T_DEMO_ATTENDED, sdr, -1); /* opportunity */
    if (!chance(r, 650000))
        return;
    wait_ms(j, 1 * DAY, 5 * DAY);
    office_hours(j, 9, 17, 1);
    emit(j, T_QUOTE_SENT, sdr, -1);
    if (chance(r, 500000)) { /* negotiation */
        wait_ms(j, 1 * DAY, 6 * DAY);
        office_hours(j, 9, 17, 1);
        emit(j, T_SALES_CALL, sdr, -1);
    }
    if (!chance(r, 400000))
        return;
    wait_ms(j, 2 * DAY, 15 * DAY);
    office_hours(j, 9, 17, 1);
    int enterprise = chance(r, 250000);
    /* Contract sizes skew small: most are team plans, a few are enterprise. */
    int64_t cents =
        enterprise ? skewed_cents(j, 30000, 120000) : skewed_cents(j, 5000, 30000);
    emit(j, T_SALE,
         with_prop(T(S_NONE, S_NONE, S_NONE, S_NONE), S_K_PRODUCT,
                   enterprise ? S_PR_ENTERPRISE : S_PR_TEAM),
         cents);

    int64_t sold = j->t;
    if (chance(r, 300000)) { /* seat expansion or early renewal */
        wait_ms(j, 20 * DAY, 90 * DAY);
        emit(j, T_REPEAT_PURCHASE,
             with_prop(T(S_NONE, S_NONE, S_NONE, S_NONE), S_K_PRODUCT, S_PR_SEATS),
             cents_between(j, 2000, 40000));
    }
    if (chance(r, 150000)) { /* the champion refers a peer company */
        j->t = sold;
        j->done = 0;
        wait_ms(j, 5 * DAY, 45 * DAY);
        emit(j, T_REFERRAL, T(S_REFERRAL, S_CUSTOMER_REFERRAL, S_NONE, S_NONE), -1);
    }
}

/* Busy hours of the day (UTC), relative: evenings for shoppers, office hours. */
static const unsigned hour_w[24] = {2, 1, 1, 1, 1, 2, 3,  5,  7,  8, 9, 9,
                                    9, 9, 9, 9, 9, 9, 10, 11, 11, 9, 6, 3};

/* Maps a uniform time of day onto the busy-hours profile; monotone, so
 * sorted inputs stay sorted. */
static int64_t warp_day(int64_t t)
{
    int64_t day = fs_day_from_ms(t), x = (t - day * DAY), total = 0;
    for (int h = 0; h < 24; h++)
        total += hour_w[h];
    x *= total; /* position in weight·ms units */
    for (int h = 0; h < 24; h++) {
        int64_t span = (int64_t)hour_w[h] * DAY;
        if (x < span)
            return day * DAY + h * HOUR + x * HOUR / span;
        x -= span;
    }
    return day * DAY + DAY - 1;
}

static int64_t user_start(const fs_gen_t *g, uint32_t user)
{
    int64_t span = g->end_ms - g->start_ms, slot = span / g->o.users;
    fs_rng_t r;
    rng_seed(&r, g->o.seed, ((uint64_t)user << 1) | 1);
    return warp_day(g->start_ms + (int64_t)user * span / g->o.users +
                    range(&r, 0, slot > 1 ? slot - 1 : 0));
}

static fs_err_t journey(fs_gen_t *g, uint32_t user)
{
    journey_t j;
    memset(&j, 0, sizeof(j));
    j.g = g;
    j.user = user;
    j.t = user_start(g, user);
    rng_seed(&j.r, g->o.seed, (uint64_t)user << 1);
    fs_rng_t *r = &j.r;
    j.b2b = g->o.scenario == FS_GEN_B2B ||
            (g->o.scenario == FS_GEN_MIXED && chance(r, 500000));
    j.anon_first = chance(r, g->o.anonymous_ppm);
    unsigned x = (unsigned)range(r, 0, g->currency_total - 1);
    for (j.cur = 0; x >= g->o.currencies[j.cur].weight; j.cur++)
        x -= g->o.currencies[j.cur].weight;
    j.eu = !strcmp(g->o.currencies[j.cur].code, "EUR");
    if (j.t >= g->end_ms)
        return FS_OK;
    if (j.b2b)
        b2b(&j);
    else
        hot_tub(&j);
    g->st.users++;
    return j.err;
}

/* ---- rendering ------------------------------------------------------ */

static uint64_t id_hash(const fs_gen_t *g, uint32_t user, uint64_t salt)
{
    uint64_t x = g->o.seed ^ (salt << 56) ^ ((uint64_t)user * 0x9e3779b97f4a7c15ULL);
    return fs_splitmix64(&x);
}

static fs_err_t put_time(fs_buf_t *b, const ev_t *e)
{
    if (e->tsfmt == TS_EPOCH)
        return fs_buf_printf(b, "%lld", (long long)e->at_ms);
    int offset_min = 0;
    char date[11];
    if (e->tsfmt == TS_OFFSET) {
        fs_day_format(fs_day_from_ms(e->at_ms), date);
        int month = (date[5] - '0') * 10 + (date[6] - '0');
        offset_min = month >= 4 && month <= 10 ? 120 : 60; /* CEST : CET, roughly */
    }
    int64_t local = e->at_ms + offset_min * MIN, day = fs_day_from_ms(local);
    int64_t ms = local - day * DAY;
    fs_day_format(day, date);
    if (!offset_min)
        return fs_buf_printf(b, "\"%sT%02d:%02d:%02d.%03dZ\"", date, (int)(ms / HOUR),
                             (int)(ms / MIN % 60), (int)(ms / SEC % 60), (int)(ms % SEC));
    return fs_buf_printf(b, "\"%sT%02d:%02d:%02d.%03d+%02d:00\"", date, (int)(ms / HOUR),
                         (int)(ms / MIN % 60), (int)(ms / SEC % 60), (int)(ms % SEC),
                         offset_min / 60);
}

static fs_err_t put_field(fs_buf_t *b, const char *key, uint8_t s)
{
    if (!strs[s])
        return FS_OK; /* absent */
    return fs_buf_printf(b, ",\"%s\":\"%s\"", key, strs[s]);
}

static fs_err_t render(const fs_gen_t *g, const ev_t *e, fs_buf_t *b)
{
    fs_err_t err;
    const char *prefix = e->ids & ID_B2B ? "crm_" : "cust_";
    if ((err = fs_buf_printf(b, "{\"event_id\":\"g%llu-%lu\",\"type\":\"%s\"",
                             (unsigned long long)g->o.seed, (unsigned long)e->n,
                             type_names[e->type])))
        return err;
    if ((e->ids & ID_USER) &&
        (err = fs_buf_printf(b, ",\"user_id\":\"%s%010llx\"", prefix,
                             (unsigned long long)(id_hash(g, e->user, 1) >> 24))))
        return err;
    if ((e->ids & ID_ANON) &&
        (err = fs_buf_printf(b, ",\"anonymous_id\":\"anon_%016llx\"",
                             (unsigned long long)id_hash(g, e->user, 2))))
        return err;
    if ((err = fs_buf_puts(b, ",\"occurred_at\":")) || (err = put_time(b, e)))
        return err;
    if ((err = put_field(b, "channel", e->channel)) ||
        (err = put_field(b, "campaign", e->campaign)) ||
        (err = put_field(b, "source", e->source)) ||
        (err = put_field(b, "medium", e->medium)) ||
        (err = put_field(b, "content", e->content)) ||
        (err = put_field(b, "term", e->term)))
        return err;
    if (e->cents >= 0) {
        long long u = (long long)(e->cents / 100), c = (long long)(e->cents % 100);
        err = e->flags & F_REV_NUMBER
                  ? fs_buf_printf(b, ",\"revenue\":%lld.%02lld", u, c)
                  : fs_buf_printf(b, ",\"revenue\":\"%lld.%02lld\"", u, c);
        if (err || (err = fs_buf_printf(b, ",\"currency\":\"%s\"",
                                        g->o.currencies[e->cur].code)))
            return err;
    }
    if (strs[e->pkey] && (err = fs_buf_printf(b, ",\"properties\":{\"%s\":\"%s\"}",
                                              strs[e->pkey], strs[e->pval])))
        return err;
    return fs_buf_puts(b, "}\n");
}

/* ---- the public API ------------------------------------------------- */

void fs_gen_opts_default(fs_gen_opts_t *o)
{
    memset(o, 0, sizeof(*o));
    o->seed = 1;
    o->users = 1000;
    o->days = 14;
    o->end_day = FS_GEN_END_NOW;
    o->scenario = FS_GEN_MIXED;
    o->duplicate_ppm = 20000;
    o->late_ppm = 50000;
    o->anonymous_ppm = 300000;
    o->ncurrencies = 1;
    memcpy(o->currencies[0].code, "USD", 4);
    o->currencies[0].weight = 1;
}

fs_gen_t *fs_gen_new(const fs_gen_opts_t *opts, char *errstr, size_t sz)
{
    static const int64_t epoch_2000 = 946684800000LL;
    int64_t today = fs_day_from_ms(opts->now_ms), end_day = opts->end_day;
    if (end_day == FS_GEN_END_NOW)
        end_day = today;
    int64_t start_ms = (end_day - (int64_t)opts->days + 1) * DAY;
    int64_t end_ms = opts->end_day == FS_GEN_END_NOW ? opts->now_ms : (end_day + 1) * DAY;
    char day[11];
    fs_day_format(end_day, day);
    int ok = 0;
    if (opts->users < 1 || opts->users > FS_GEN_MAX_USERS)
        snprintf(errstr, sz, "users: %lu outside 1..%d", (unsigned long)opts->users,
                 FS_GEN_MAX_USERS);
    else if (opts->days < 1 || opts->days > 3650)
        snprintf(errstr, sz, "days: %lu outside 1..3650", (unsigned long)opts->days);
    else if (end_day > today)
        snprintf(
            errstr, sz,
            "--end (end): %s is after today (UTC): its events would lie in the future",
            day);
    else if (start_ms < epoch_2000)
        snprintf(errstr, sz, "days: the window would start before 2000-01-01");
    else if (opts->duplicate_ppm > FS_GEN_PPM || opts->late_ppm > FS_GEN_PPM ||
             opts->anonymous_ppm > FS_GEN_PPM)
        snprintf(errstr, sz, "rates: above 100%%");
    else if (opts->ncurrencies < 1 || opts->ncurrencies > FS_GEN_MAX_CURRENCIES)
        snprintf(errstr, sz, "currency_mix: needs 1..%d currencies",
                 FS_GEN_MAX_CURRENCIES);
    else
        ok = 1;
    if (!ok)
        return NULL;
    fs_gen_t *g = calloc(1, sizeof(*g));
    if (!g) {
        snprintf(errstr, sz, "out of memory");
        return NULL;
    }
    g->o = *opts;
    g->start_ms = start_ms;
    g->next_start_user = UINT32_MAX;
    g->end_ms = end_ms;
    for (size_t i = 0; i < g->o.ncurrencies; i++)
        g->currency_total += g->o.currencies[i].weight;
    if (!g->currency_total) {
        snprintf(errstr, sz, "currency_mix: weights sum to 0");
        free(g);
        return NULL;
    }
    return g;
}

void fs_gen_destroy(fs_gen_t *g)
{
    if (!g)
        return;
    free(g->heap);
    free(g);
}

int fs_gen_next(fs_gen_t *g, fs_buf_t *line)
{
    if (g->o.max_events && g->st.lines >= g->o.max_events)
        return 0;
    for (;;) {
        int more_users = g->next_user < g->o.users;
        if (more_users && g->next_start_user != g->next_user) {
            g->next_start = user_start(g, g->next_user);
            g->next_start_user = g->next_user;
        }
        if (g->nheap && (!more_users || g->heap[0].emit_ms <= g->next_start)) {
            if (render(g, &g->heap[0], line) != FS_OK)
                return -1;
            ev_t e = heap_pop(g);
            g->st.lines++;
            g->st.duplicates += (e.flags & F_DUP) != 0;
            g->st.late += (e.flags & F_LATE) != 0;
            return 1;
        }
        if (!more_users)
            return 0;
        if (journey(g, g->next_user++) != FS_OK)
            return -1;
    }
}

void fs_gen_stats(const fs_gen_t *g, fs_gen_stats_t *out)
{
    *out = g->st;
}

/* ---- option parsers ------------------------------------------------- */

fs_err_t fs_gen_parse_scenario(const char *s, fs_gen_scenario_t *out, char *errstr,
                               size_t sz)
{
    if (!strcmp(s, "mixed"))
        *out = FS_GEN_MIXED;
    else if (!strcmp(s, "hot-tub"))
        *out = FS_GEN_HOT_TUB;
    else if (!strcmp(s, "b2b"))
        *out = FS_GEN_B2B;
    else {
        snprintf(errstr, sz, "\"%s\" is not one of hot-tub, b2b, mixed", s);
        return FS_ERR_INVALID;
    }
    return FS_OK;
}

fs_err_t fs_gen_parse_rate(const char *s, uint32_t *ppm, char *errstr, size_t sz)
{
    const char *p = s;
    uint64_t whole = 0, frac = 0;
    int nwhole = 0, nfrac = 0;
    for (; *p >= '0' && *p <= '9' && nwhole < 4; p++, nwhole++)
        whole = whole * 10 + (uint64_t)(*p - '0');
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9' && nfrac < 7; p++, nfrac++)
            frac = frac * 10 + (uint64_t)(*p - '0');
    int percent = *p == '%';
    p += percent;
    int scale = percent ? 4 : 6; /* decimals that still fit in a whole ppm */
    if (*p || (!nwhole && !nfrac) || nfrac > scale) {
        snprintf(errstr, sz,
                 "\"%s\" is not a share: a fraction like 0.02 (up to 6 decimals) or a "
                 "percentage like 2%% (up to 4 decimals)",
                 s);
        return FS_ERR_INVALID;
    }
    for (int i = nfrac; i < scale; i++)
        frac *= 10;
    uint64_t v = whole * (percent ? 10000 : 1000000) + frac;
    if (v > FS_GEN_PPM) {
        snprintf(errstr, sz, "\"%s\" is more than 100%%", s);
        return FS_ERR_INVALID;
    }
    *ppm = (uint32_t)v;
    return FS_OK;
}

fs_err_t fs_gen_parse_currency_mix(const char *s, fs_gen_currency_t *out, size_t *n,
                                   char *errstr, size_t sz)
{
    size_t k = 0;
    const char *p = s;
    for (;;) {
        const char *tok = p;
        if (k == FS_GEN_MAX_CURRENCIES) {
            snprintf(errstr, sz, "more than %d currencies", FS_GEN_MAX_CURRENCIES);
            return FS_ERR_INVALID;
        }
        for (int i = 0; i < 3; i++, p++)
            if (*p < 'A' || *p > 'Z') {
                snprintf(errstr, sz,
                         "\"%.*s\": expected a 3-letter ISO 4217 code like USD",
                         (int)strcspn(tok, ","), tok);
                return FS_ERR_INVALID;
            }
        memcpy(out[k].code, tok, 3);
        out[k].code[3] = '\0';
        for (size_t i = 0; i < k; i++)
            if (!strcmp(out[i].code, out[k].code)) {
                snprintf(errstr, sz, "%s listed twice", out[k].code);
                return FS_ERR_INVALID;
            }
        uint32_t w = 1;
        if (*p == ':') {
            w = 0;
            int digits = 0;
            for (p++; *p >= '0' && *p <= '9' && digits < 7; p++, digits++)
                w = w * 10 + (uint32_t)(*p - '0');
            if (!digits || !w || (*p >= '0' && *p <= '9')) {
                snprintf(errstr, sz, "%s: weight must be an integer 1..9999999",
                         out[k].code);
                return FS_ERR_INVALID;
            }
        }
        out[k++].weight = w;
        if (!*p)
            break;
        if (*p != ',') {
            snprintf(errstr, sz,
                     "expected CODE[:weight][,CODE[:weight]...] like USD:90,EUR:10");
            return FS_ERR_INVALID;
        }
        p++;
    }
    *n = k;
    return FS_OK;
}

fs_err_t fs_gen_check_day(const char *s, char *errstr, size_t sz)
{
    int64_t day;
    if (fs_day_parse(s, &day) == FS_OK)
        return FS_OK;
    snprintf(errstr, sz, "\"%s\" is not a date YYYY-MM-DD", s);
    return FS_ERR_INVALID;
}

fs_err_t fs_gen_check_scenario(const char *s, char *errstr, size_t sz)
{
    fs_gen_scenario_t sc;
    return fs_gen_parse_scenario(s, &sc, errstr, sz);
}

fs_err_t fs_gen_check_rate(const char *s, char *errstr, size_t sz)
{
    uint32_t ppm;
    return fs_gen_parse_rate(s, &ppm, errstr, sz);
}

fs_err_t fs_gen_check_currency_mix(const char *s, char *errstr, size_t sz)
{
    fs_gen_currency_t c[FS_GEN_MAX_CURRENCIES];
    size_t n;
    return fs_gen_parse_currency_mix(s, c, &n, errstr, sz);
}
