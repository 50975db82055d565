/*
 * fill_topic.c — fs-bench-fill: fills the events topic with synthetic,
 * deterministic journey events for the worker benchmarks (bench/worker_bench).
 *
 * Owns: a seeded event model (the default definition's types in a realistic mix:
 * ~75% counted-only views/impressions/opens, ~20% touches, ~2% conversions,
 * ~1% identify; channels, campaigns, UTM fields, revenue on conversions) and
 * a fast producer.  ~1% of the messages are exact copies of an earlier
 * message (same event_id and content), as client retries would make them.
 *
 * Not the collector's path: no validation, no acks=all.  Records are encoded
 * with fs_codec_encode_event() — the bytes a worker sees are exactly those
 * the collector would write — and produced with acks=1, linger 50 ms, lz4,
 * so filling millions of events takes seconds.  Same arguments → same
 * messages in the same order (occurred_at is derived from --end-day, never
 * from the clock).
 *
 *   fs-bench-fill --events N [--users U] [--days D] [--seed S]
 *                 [--end-day YYYY-MM-DD] [--dup-permille P] [--anon-percent A]
 *
 * Environment: FUNNEL_KAFKA_BROKERS (localhost:9092), FUNNEL_TOPIC
 * (journey.events).  Progress and the summary go to stderr; one
 * machine-readable line "fill: events=.. distinct=.. duplicates=.. touches=..
 * conversions=.. identify=.. persons=.. bytes=.. seconds=.." to stdout.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "bench_io.h"
#include "fs_buf.h"
#include "fs_codec.h"
#include "fs_day.h"
#include "fs_rng.h"
#include "fs_event.h"

/* ---- deterministic randomness: common/core/fs_rng.h ------------------------ */

/* Uniform in [0, n) (n > 0; the modulo bias is irrelevant here). */
static uint64_t below(fs_rng_t *r, uint64_t n)
{
    return fs_rng_next(r) % n;
}

/* ---- the event model ------------------------------------------------------ */

typedef struct kind {
    const char *type;
    unsigned weight;             /* per 10,000 events */
    char role;                   /* n none, t touch, c conversion, i identity */
    const char *const *channels; /* channel choices, NULL-terminated; "" = absent */
} kind_t;

static const char *const ch_ads[] = {"paid_search", "paid_search", "paid_social",
                                     "display",     "affiliate",   NULL};
static const char *const ch_social[] = {"social", "social", "paid_social", NULL};
static const char *const ch_web[] = {
    "organic_search", "direct", "paid_search", "referral", "", "social", "email", NULL};
static const char *const ch_email[] = {"email", NULL};
static const char *const ch_content[] = {"organic_search", "paid_search", "email",
                                         "social",         "partner",     NULL};
static const char *const ch_events[] = {"events", "webinar", NULL};
static const char *const ch_sales[] = {"sales_outreach", "sales_outreach", "events",
                                       "partner", NULL};
static const char *const ch_conv[] = {"", "direct", "sales_outreach", "email", NULL};
static const char *const ch_none[] = {"", NULL};

/* The default definition's types: 75.0% counted only, 20.0% touches, 2.0% conversions,
 * 3.0% identify (weights sum to 10,000). */
static const kind_t kinds[] = {
    {"ad_impression", 3500, 'n', ch_ads},
    {"page_view", 2900, 'n', ch_web},
    {"email_open", 1100, 'n', ch_email},
    {"ad_click", 600, 't', ch_ads},
    {"social_engagement", 300, 't', ch_social},
    {"content_download", 200, 't', ch_content},
    {"email_signup", 150, 't', ch_content},
    {"email_click", 300, 't', ch_email},
    {"webinar_attended", 100, 't', ch_events},
    {"demo_requested", 80, 't', ch_web},
    {"sales_call", 120, 't', ch_sales},
    {"demo_attended", 60, 't', ch_sales},
    {"quote_sent", 40, 't', ch_sales},
    {"referral", 50, 't', ch_web},
    {"sale", 150, 'c', ch_conv},
    {"repeat_purchase", 50, 'c', ch_conv},
    {"identify", 300, 'i', ch_none},
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))
#define NCAMPAIGNS 48

static const char *const quarters[] = {"q1", "q2", "q3", "q4"};
static const char *const themes[] = {"brand",          "retarget",        "launch",
                                     "webinar_series", "enterprise_push", "spring_sale",
                                     "partner_coop",   "nurture",         "winback",
                                     "trial_boost",    "summit",          "smb_promo"};

typedef struct opts {
    uint64_t events, users, days, seed;
    int64_t end_day;
    unsigned dup_permille, anon_percent;
} opts_t;

static const kind_t *pick_kind(fs_rng_t *r)
{
    unsigned x = (unsigned)below(r, 10000);
    for (size_t i = 0; i < NKINDS; i++) {
        if (x < kinds[i].weight)
            return &kinds[i];
        x -= kinds[i].weight;
    }
    return &kinds[0];
}

static const char *pick(fs_rng_t *r, const char *const *list)
{
    size_t n = 0;
    while (list[n])
        n++;
    return list[below(r, n)];
}

/* Persons: a skewed choice (a quarter of the persons make half the events) so
 * person state is re-read, as with real repeat visitors. */
static uint64_t pick_person(fs_rng_t *r, uint64_t users)
{
    if (below(r, 2) == 0)
        return below(r, users / 4 ? users / 4 : 1);
    return below(r, users);
}

/* Fills @p ev (pointing into @p text) with event @p i. */
static void make_event(const opts_t *o, fs_rng_t *r, uint64_t i, fs_event_t *ev,
                       char text[8][160], unsigned *role)
{
    memset(ev, 0, sizeof(*ev));
    const kind_t *k = pick_kind(r);
    *role = (unsigned char)k->role;
    uint64_t p = pick_person(r, o->users);
    /* Persons with p % 100 < anon_percent browse anonymously until they identify. */
    int anon = (p % 100) < o->anon_percent;
    snprintf(ev->event_id, sizeof(ev->event_id), "b%" PRIx64 "-%" PRIu64, o->seed, i);
    ev->type = (char *)k->type;
    snprintf(text[0], 160, "crm-%09" PRIu64, p);
    snprintf(text[1], 160, "anon-%016" PRIx64,
             (uint64_t)(p * 0x9E3779B97F4A7C15ULL ^ o->seed));
    if (k->role == 'i') {
        ev->user_id = text[0];
        ev->anonymous_id = text[1];
    } else if (anon && k->role != 'c') {
        ev->anonymous_id = text[1];
    } else {
        ev->user_id = text[0];
        if (below(r, 10) == 0)
            ev->anonymous_id = text[1];
    }
    /* Time: the run sweeps the window in order, with an hour of jitter. */
    int64_t start_ms = (o->end_day - (int64_t)o->days + 1) * FS_DAY_MS;
    int64_t span = (int64_t)o->days * FS_DAY_MS;
    int64_t t = start_ms + (int64_t)((double)i / (double)o->events * (double)span);
    t += (int64_t)below(r, 7200000) - 3600000;
    if (t < start_ms)
        t = start_ms;
    if (t >= start_ms + span)
        t = start_ms + span - 1;
    ev->occurred_at_ms = t;
    ev->received_at_ms = t + (int64_t)below(r, 2000);
    const char *ch = pick(r, k->channels);
    if (*ch)
        ev->channel = (char *)ch;
    if (k->role != 'i' && below(r, 10) < 7) {
        unsigned c = (unsigned)below(r, NCAMPAIGNS);
        snprintf(text[2], 160, "%s_%s_%u", quarters[c % 4], themes[c % 12],
                 2025 + c / 24);
        ev->campaign = text[2];
        ev->source = ev->channel ? ev->channel : "newsletter";
        ev->medium = k->role == 't' ? "cpc" : "web";
        if (below(r, 3) == 0) {
            snprintf(text[3], 160, "creative_%u", (unsigned)below(r, 20));
            ev->content = text[3];
        }
    }
    strcpy(ev->currency, "USD");
    if (k->role == 'c') {
        ev->has_revenue = 1;
        ev->revenue_cents = 4900 + (int64_t)below(r, 500000);
        if (below(r, 10) == 0)
            strcpy(ev->currency, "EUR");
    }
    ev->ingest_source = "gen";
}

/* ---- producing -------------------------------------------------------------- */

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    if (m->err) {
        uint64_t *failed = opaque;
        if ((*failed)++ == 0)
            fprintf(stderr, "fs-bench-fill: delivery failed: %s\n",
                    rd_kafka_err2str(m->err));
    }
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end)
        return -1;
    *out = v;
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: fs-bench-fill --events N [--users U] [--days D] [--seed S]\n"
               "                     [--end-day YYYY-MM-DD] [--dup-permille P] "
               "[--anon-percent A]\n"
               "env: FUNNEL_KAFKA_BROKERS, FUNNEL_TOPIC\n");
}

#define RING 4096 /* recent messages a duplicate may copy */

int main(int argc, char **argv)
{
    opts_t o = {.events = 0,
                .users = 100000,
                .days = 30,
                .seed = 1,
                .dup_permille = 10,
                .anon_percent = 30};
    if (fs_day_parse("2025-06-30", &o.end_day))
        return 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t n = 0;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if (!v) {
            fprintf(stderr, "fs-bench-fill: %s: missing value\n", a);
            return 2;
        }
        i++;
        if (!strcmp(a, "--end-day")) {
            if (fs_day_parse(v, &o.end_day)) {
                fprintf(stderr, "fs-bench-fill: --end-day: not YYYY-MM-DD: %s\n", v);
                return 2;
            }
            continue;
        }
        if (parse_u64(v, &n)) {
            fprintf(stderr, "fs-bench-fill: %s: not a number: %s\n", a, v);
            return 2;
        }
        if (!strcmp(a, "--events"))
            o.events = n;
        else if (!strcmp(a, "--users"))
            o.users = n;
        else if (!strcmp(a, "--days"))
            o.days = n;
        else if (!strcmp(a, "--seed"))
            o.seed = n;
        else if (!strcmp(a, "--dup-permille") && n <= 1000)
            o.dup_permille = (unsigned)n;
        else if (!strcmp(a, "--anon-percent") && n <= 100)
            o.anon_percent = (unsigned)n;
        else {
            fprintf(stderr, "fs-bench-fill: unknown or out-of-range option %s\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (!o.events || !o.users || !o.days || o.days > 3650) {
        usage(stderr);
        return 2;
    }
    const char *brokers = fsb_env_or("FUNNEL_KAFKA_BROKERS", "localhost:9092");
    const char *topic = fsb_env_or("FUNNEL_TOPIC", "journey.events");

    char err[512];
    int rc = 1;
    uint64_t failed = 0;
    fs_codec_t *codec = fs_codec_new(NULL, err, sizeof(err));
    rd_kafka_t *rk = NULL;
    rd_kafka_topic_t *rkt = NULL;
    fs_buf_t buf = FS_BUF_INIT;
    /* ring of recent messages (key, value) that duplicates copy */
    fs_buf_t *ring_v = calloc(RING, sizeof(*ring_v));
    char(*ring_k)[160] = calloc(RING, sizeof(*ring_k));
    if (!codec || !ring_v || !ring_k) {
        fprintf(stderr, "fs-bench-fill: %s\n", codec ? "out of memory" : err);
        goto out;
    }
    rd_kafka_conf_t *kc = rd_kafka_conf_new();
    const char *props[] = {"bootstrap.servers",
                           brokers,
                           "acks",
                           "1",
                           "linger.ms",
                           "50",
                           "batch.size",
                           "1000000",
                           "compression.type",
                           "lz4",
                           "queue.buffering.max.messages",
                           "1000000",
                           "queue.buffering.max.kbytes",
                           "1048576",
                           NULL};
    for (int i = 0; props[i]; i += 2)
        if (rd_kafka_conf_set(kc, props[i], props[i + 1], err, sizeof(err)) !=
            RD_KAFKA_CONF_OK) {
            fprintf(stderr, "fs-bench-fill: %s: %s\n", props[i], err);
            rd_kafka_conf_destroy(kc);
            goto out;
        }
    rd_kafka_conf_set_opaque(kc, &failed);
    rd_kafka_conf_set_dr_msg_cb(kc, dr_cb);
    if (!(rk = rd_kafka_new(RD_KAFKA_PRODUCER, kc, err, sizeof(err)))) {
        fprintf(stderr, "fs-bench-fill: %s\n", err);
        rd_kafka_conf_destroy(kc);
        goto out;
    }
    rkt = rd_kafka_topic_new(rk, topic, NULL);

    fs_rng_t r;
    fs_rng_seed_from(&r, o.seed);
    uint64_t distinct = 0, dups = 0, touches = 0, convs = 0, idents = 0, bytes = 0;
    double t0 = fsb_mono_s(), last = t0;
    for (uint64_t i = 0; i < o.events; i++) {
        const void *val;
        size_t len;
        const char *key;
        if (distinct > 0 && below(&r, 1000) < o.dup_permille) {
            size_t j = (size_t)below(&r, distinct < RING ? distinct : RING);
            val = ring_v[j].data;
            len = ring_v[j].len;
            key = ring_k[j];
            dups++;
        } else {
            fs_event_t ev;
            char text[8][160];
            unsigned role;
            make_event(&o, &r, distinct, &ev, text, &role);
            touches += role == 't';
            convs += role == 'c';
            idents += role == 'i';
            size_t slot = (size_t)(distinct % RING);
            fs_buf_reset(&ring_v[slot]);
            if (fs_codec_encode_event(codec, &ev, &ring_v[slot], err, sizeof(err))) {
                fprintf(stderr, "fs-bench-fill: encode: %s\n", err);
                goto out;
            }
            snprintf(ring_k[slot], sizeof(ring_k[slot]), "%s", fs_event_key(&ev));
            val = ring_v[slot].data;
            len = ring_v[slot].len;
            key = ring_k[slot];
            distinct++;
        }
        bytes += len;
        while (rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
                                (void *)val, len, key, strlen(key), NULL) == -1) {
            rd_kafka_resp_err_t e = rd_kafka_last_error();
            if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                fprintf(stderr, "fs-bench-fill: produce: %s\n", rd_kafka_err2str(e));
                goto out;
            }
            rd_kafka_poll(rk, 10);
        }
        rd_kafka_poll(rk, 0);
        if ((i & 0xFFFF) == 0 && fsb_mono_s() - last >= 2) {
            last = fsb_mono_s();
            fprintf(stderr, "fs-bench-fill: %" PRIu64 "/%" PRIu64 " (%.0f/s)\n", i,
                    o.events, (double)i / (last - t0));
        }
        if (failed)
            goto out;
    }
    while (rd_kafka_outq_len(rk) > 0 && !failed)
        rd_kafka_poll(rk, 100);
    if (failed)
        goto out;
    double secs = fsb_mono_s() - t0;
    fprintf(stderr,
            "fs-bench-fill: %" PRIu64 " messages (%" PRIu64 " distinct, %" PRIu64
            " duplicates) to %s in %.1f s (%.0f/s, %.1f MB)\n",
            o.events, distinct, dups, topic, secs, (double)o.events / secs,
            (double)bytes / 1e6);
    printf("fill: events=%" PRIu64 " distinct=%" PRIu64 " duplicates=%" PRIu64
           " touches=%" PRIu64 " conversions=%" PRIu64 " identify=%" PRIu64
           " persons=%" PRIu64 " bytes=%" PRIu64 " seconds=%.2f\n",
           o.events, distinct, dups, touches, convs, idents, o.users, bytes, secs);
    rc = 0;
out:
    if (failed)
        fprintf(stderr, "fs-bench-fill: %" PRIu64 " messages not delivered\n", failed);
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    if (rk)
        rd_kafka_destroy(rk);
    if (ring_v)
        for (size_t i = 0; i < RING; i++)
            fs_buf_free(&ring_v[i]);
    free(ring_v);
    free(ring_k);
    fs_buf_free(&buf);
    fs_codec_destroy(codec);
    return rc;
}
