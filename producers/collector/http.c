/*
 * http.c — collector HTTP server on libmicrohttpd (see server.h).
 *
 * Threads: opts.threads libmicrohttpd worker threads run the handlers (a
 * connection stays on one worker; 1 = MHD's single internal thread).  What
 * handlers share is thread-safe: the metrics are atomics, the rate limiter
 * sits behind rl_mu, and encoding uses an encoder (codec + scratch buffer)
 * taken from a small pool for the length of one request — a codec is not
 * thread-safe.  A poll thread per producer (two with the bulk lane) only
 * serves librdkafka delivery reports and resumes suspended connections
 * (MHD_resume_connection is allowed from any thread with
 * MHD_ALLOW_SUSPEND_RESUME); the ready thread pings the broker for /readyz.
 * They are separate because a metadata request to a slow broker blocks for
 * up to a second, and delivery reports must not wait behind it (every
 * suspended connection would).
 *
 * Two producers ("lanes"): linger.ms decides how many events share a
 * produce request, and the broker's cost is mostly per request.  Single
 * events need a short linger (each waits for it before its 200); a batch of
 * a hundred does not, and with 5 ms the broker spent more CPU per event
 * than the collector (docs/BENCHMARKS.md).  So batches of
 * collector.bulk_min_events or more go to a producer lingering
 * collector.bulk_linger_ms, everything else to the 5 ms one.  Events of
 * one person may then reach their partition in another order than they
 * were received; the results do not depend on order (docs/attribution.md).
 *
 * MHD polls with poll(2), not epoll: see fs_server_new() for the stalls
 * epoll gave us.
 *
 * A request's pending count (atomic) starts at its number of events to
 * produce plus one reference held by the handler itself, so a delivery that
 * beats the handler cannot resume a connection that is not suspended yet;
 * events that could not be queued are subtracted at once.
 *
 * Order of checks on /v1/events and the pixel: method → write key (401) →
 * rate (429) → content type (415) → size (413) → body (400) → Kafka
 * (200/503).  Unauthenticated requests learn nothing about the others.
 *
 * Hostile clients (docs/security.md).  Before any of
 * that, every request's framing headers and decoded parameters pass
 * httpcheck (400 and close).  Bodies grow as bytes arrive under one budget
 * shared by all connections (body.c; 503 past it); a body past the limit
 * or the budget is refused as it streams in, by writing the answer to the
 * socket ourselves (refuse_mid_body).  A sweep thread closes connections
 * whose request has not arrived whole within the deadline (conns.c);
 * libmicrohttpd caps connections in total and per client address.  An
 * optional second daemon serves the probes (start_health).
 */
#include "server.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "body.h"
#include "conns.h"
#include "fs_buf.h"
#include "fs_hash.h"
#include "fs_httpd.h"
#include "fs_uuid.h"
#include "httpcheck.h"
#include "intake.h"
#include "metrics.h"
#include "netaddr.h"
#include "pixel.h"
#include "ratelimit.h"
#include "segment.h"
#include "tracker.h"

#define PIXEL_PATH "/v1/pixel.gif"
#define EVENTS_PATH "/v1/events"
#define MAX_PIXEL_PARAMS 64
#define MAX_HEADERS 100
#define BUDGET_MSG                                                                       \
    "request bodies: the collector holds as much as it may "                             \
    "(collector.body_budget_bytes); "                                                    \
    "retry later"

enum req_state { REQ_RECEIVING, REQ_WAITING, REQ_DONE };

typedef struct request {
    fs_server_t *srv;
    struct MHD_Connection *conn;
    fs_endpoint_t ep;
    fs_segment_call_t seg_call; /* FS_EP_SEGMENT: which call */
    enum req_state state;
    char method[8];
    int64_t start_us;    /* monotonic: for the access log */
    int64_t produced_us; /* monotonic: for the ack latency histogram */
    unsigned status;     /* of the response queued, for the access log */
    const char *origin;  /* allowed Origin to echo, or NULL (MHD's storage) */
    char rate_key[FS_RATELIMIT_KEY_MAX + 1];
    fs_conn_t *cn; /* the connection's deadline record (NULL: untracked) */
    fs_body_t body;
    int close; /* answer with Connection: close (the framing cannot be trusted) */
    fs_intake_t intake;
    atomic_int pending; /* handler reference + events awaiting a delivery report */
    pthread_mutex_t mu; /* guards failed, fail_reason until pending reaches 0 */
    int failed;
    char fail_reason[600];
} request_t;

/* What encoding needs and a codec cannot share between threads.  Taken from
 * the server's pool for one request, on the thread handling it. */
typedef struct encoder {
    struct encoder *next; /* in the free list */
    fs_codec_t *codec;    /* owned */
    fs_buf_t scratch;     /* one encoded event or dead letter */
} encoder_t;

struct fs_server {
    fs_server_opts_t opts;
    struct MHD_Daemon *mhd;
    /* Borrowed.  [FS_LANE_LATENCY] takes single events, small batches and
     * dead letters; [FS_LANE_BULK] (NULL: none) batches of at least
     * opts.bulk_min_events, with a longer linger.ms (see fs_server_new). */
    fs_producer_t *lanes[FS_LANE__COUNT];
    const fs_definition_t *def; /* borrowed */
    fs_log_t *lg;               /* borrowed */
    pthread_mutex_t rl_mu;      /* guards rl */
    int rl_mu_init;
    fs_ratelimit_t *rl; /* NULL = no limit */
    fs_metrics_t *metrics;
    pthread_mutex_t enc_mu; /* guards enc_free */
    int enc_mu_init;
    encoder_t *enc_free; /* idle encoders; one per HTTP thread is created up front */
    struct poller {      /* one delivery-report thread per lane */
        fs_server_t *srv;
        fs_lane_t lane;
        pthread_t th;
        int started;
    } pollers[FS_LANE__COUNT];
    pthread_t pinger;
    int pinger_started;
    struct MHD_Daemon *health_mhd; /* opts.health_listen, or NULL */
    fs_budget_t budget;            /* request bodies, all together */
    fs_conns_t *conns;             /* open connections, for the request deadline */
    pthread_t sweeper;
    int sweeper_started;
    atomic_int stop_threads;
    atomic_int kafka_ready;
    atomic_int inflight;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- encoders --------------------------------------------------------- */

static void encoder_destroy(encoder_t *enc)
{
    if (!enc)
        return;
    fs_codec_destroy(enc->codec);
    fs_buf_free(&enc->scratch);
    free(enc);
}

/* A new encoder with a scratch buffer sized for a typical event (so the
 * first requests do not grow it piecemeal); NULL with @p errstr. */
static encoder_t *encoder_new(char *errstr, size_t sz)
{
    encoder_t *enc = calloc(1, sizeof(*enc));
    if (!enc || fs_buf_reserve(&enc->scratch, 4096) != FS_OK) {
        snprintf(errstr, sz, "out of memory");
        encoder_destroy(enc);
        return NULL;
    }
    if (!(enc->codec = fs_codec_new(NULL, errstr, sz))) {
        encoder_destroy(enc);
        return NULL;
    }
    return enc;
}

/* An idle encoder for the calling thread until encoder_put(); a new one
 * when all are busy (only if more threads run handlers than were planned
 * for).  NULL when that fails.  @locks enc_mu */
static encoder_t *encoder_get(fs_server_t *srv)
{
    pthread_mutex_lock(&srv->enc_mu);
    encoder_t *enc = srv->enc_free;
    if (enc)
        srv->enc_free = enc->next;
    pthread_mutex_unlock(&srv->enc_mu);
    if (!enc) {
        char err[256];
        if (!(enc = encoder_new(err, sizeof(err))))
            FS_ERROR(srv->lg, "cannot create an encoder: %s", err);
    }
    return enc;
}

static void encoder_put(fs_server_t *srv, encoder_t *enc)
{
    if (!enc)
        return;
    pthread_mutex_lock(&srv->enc_mu);
    enc->next = srv->enc_free;
    srv->enc_free = enc;
    pthread_mutex_unlock(&srv->enc_mu);
}

/* ---- delivery reports (poll thread) ----------------------------------- */

/* Drops @p n references; the last one resumes the connection (finish()
 * answers on its HTTP thread).  @locality any thread */
static void request_release(request_t *req, int n)
{
    if (atomic_fetch_sub_explicit(&req->pending, n, memory_order_acq_rel) == n)
        MHD_resume_connection(req->conn);
}

static void request_fail(request_t *req, const char *reason)
{
    pthread_mutex_lock(&req->mu);
    if (!req->failed) {
        req->failed = 1;
        snprintf(req->fail_reason, sizeof(req->fail_reason), "%s", reason);
    }
    pthread_mutex_unlock(&req->mu);
}

static void fs_server_on_delivery(void *app_opaque, void *msg_opaque,
                                  rd_kafka_resp_err_t err)
{
    fs_server_t *srv = app_opaque;
    request_t *req = msg_opaque;
    if (!req) { /* a dead letter: fire and forget, but counted */
        if (err)
            fs_metrics_dead_letter_failure(srv->metrics);
        return;
    }
    fs_metrics_ack_latency(srv->metrics, (double)(mono_us() - req->produced_us) / 1e6);
    if (err) {
        fs_metrics_delivery_failure(srv->metrics);
        request_fail(req, rd_kafka_err2str(err));
    }
    request_release(req, 1);
}

/* Serves delivery reports, and nothing else: see the file header. */
static void *poll_main(void *arg)
{
    struct poller *pl = arg;
    while (!atomic_load(&pl->srv->stop_threads))
        (void)fs_producer_poll(pl->srv->lanes[pl->lane], 100); /* count not needed */
    return NULL;
}

/* Readiness, off the HTTP threads (/readyz never blocks) and off the poll
 * thread (a ping may block for its whole 1 s timeout). */
static void *ping_main(void *arg)
{
    fs_server_t *srv = arg;
    int64_t next_ping = 0;
    while (!atomic_load(&srv->stop_threads)) {
        int64_t t = now_ms();
        if (t >= next_ping) {
            int ready = 1;
            for (int l = 0; l < FS_LANE__COUNT; l++)
                if (srv->lanes[l] && ready)
                    ready = fs_producer_ping(srv->lanes[l], 1000) == FS_OK;
            atomic_store(&srv->kafka_ready, ready);
            next_ping = t + 2000;
        }
        usleep(50 * 1000);
    }
    return NULL;
}

/* ---- responses -------------------------------------------------------- */

static struct MHD_Response *make(const char *ctype, const void *body, size_t len)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (r && ctype)
        MHD_add_response_header(r, "Content-Type", ctype);
    return r;
}

/* Adds the headers every response gets, queues @p r with @p status, counts
 * it and destroys @p r.  NULL @p r (out of memory) closes the connection. */
static enum MHD_Result reply(request_t *req, unsigned status, struct MHD_Response *r)
{
    fs_server_t *srv = req->srv;
    if (!r)
        return MHD_NO;
    if (!MHD_get_response_header(r, "Cache-Control")) /* t.js sets its own */
        MHD_add_response_header(r, "Cache-Control", "no-store");
    if ((req->ep == FS_EP_EVENTS || req->ep == FS_EP_PIXEL || req->ep == FS_EP_SEGMENT ||
         req->ep == FS_EP_DEFINITION) &&
        fs_cors_enabled(srv->opts.cors)) {
        MHD_add_response_header(r, "Vary", "Origin");
        if (req->origin) {
            MHD_add_response_header(r, "Access-Control-Allow-Origin", req->origin);
            MHD_add_response_header(r, "Access-Control-Expose-Headers", "Retry-After");
        }
    }
    if (req->close)
        MHD_add_response_header(r, "Connection", "close");
    enum MHD_Result ret = MHD_queue_response(req->conn, status, r);
    MHD_destroy_response(r);
    fs_conn_arrived(req->cn);
    req->status = status;
    req->state = REQ_DONE;
    fs_metrics_request(srv->metrics, req->ep, status);
    return ret;
}

static void add_retry_after(struct MHD_Response *r, int seconds)
{
    char ra[16];
    snprintf(ra, sizeof(ra), "%d", seconds);
    if (r && seconds > 0)
        MHD_add_response_header(r, "Retry-After", ra);
}

/* JSON body (stolen) with an optional Retry-After and Allow. */
static enum MHD_Result send_json(request_t *req, unsigned status, json_t *obj,
                                 int retry_after, const char *allow)
{
    char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    if (!text)
        return reply(req, 500,
                     make("application/json", "{\"error\":\"out of memory\"}", 25));
    struct MHD_Response *r = make("application/json", text, strlen(text));
    free(text);
    add_retry_after(r, retry_after);
    if (r && allow)
        MHD_add_response_header(r, "Allow", allow);
    return reply(req, status, r);
}

static enum MHD_Result send_error(request_t *req, unsigned status, const char *msg,
                                  int retry_after)
{
    return send_json(req, status, json_pack("{s:s}", "error", msg), retry_after, NULL);
}

static enum MHD_Result send_405(request_t *req, const char *allow)
{
    char msg[64];
    snprintf(msg, sizeof(msg), "method not allowed: use %s", allow);
    return send_json(req, 405, json_pack("{s:s}", "error", msg), 0, allow);
}

/* The pixel always answers the GIF (an <img> shows nothing else); the
 * status and X-Funnel-Error tell a developer looking at the network tab. */
static enum MHD_Result send_gif(request_t *req, unsigned status, const char *error,
                                int retry_after)
{
    struct MHD_Response *r = make("image/gif", fs_pixel_gif, sizeof(fs_pixel_gif));
    add_retry_after(r, retry_after);
    if (r && error) {
        char clean[512];
        size_t i = 0;
        for (; error[i] && i < sizeof(clean) - 1; i++) /* never a header injection */
            clean[i] =
                (unsigned char)error[i] < 0x20 || error[i] == 0x7f ? '?' : error[i];
        clean[i] = '\0';
        MHD_add_response_header(r, "X-Funnel-Error", clean);
    }
    return reply(req, status, r);
}

/* The 200/400 body: accepted count and every rejected index with its reason. */
static json_t *result_json(const fs_intake_t *in)
{
    /* jansson's dump of the same object (keys in insertion order); the
     * common all-accepted answer is written without it in send_result(). */
    json_t *rejected = json_array();
    for (size_t i = 0; rejected && i < in->n; i++)
        if (!in->items[i].ok)
            json_array_append_new(rejected, json_pack("{s:I,s:s}", "index", (json_int_t)i,
                                                      "error", in->items[i].error));
    return json_pack("{s:I,s:o}", "accepted", (json_int_t)in->accepted, "rejected",
                     rejected);
}

/* The 200/400 answer of a request whose body was parsed. */
static enum MHD_Result send_result(request_t *req, unsigned status)
{
    const fs_intake_t *in = &req->intake;
    if (in->accepted < in->n)
        return send_json(req, status, result_json(in), 0, NULL);
    if (req->ep == FS_EP_SEGMENT) /* Segment's answer (docs/segment.md) */
        return reply(req, status, make("application/json", "{\"success\":true}", 16));
    /* Nothing rejected (nearly every request): the bytes jansson would
     * write, without building and dumping an object for them. */
    char text[64];
    int len =
        snprintf(text, sizeof(text), "{\"accepted\":%zu,\"rejected\":[]}", in->accepted);
    return reply(req, status, make("application/json", text, (size_t)len));
}

/* ---- checks shared by /v1/events and the pixel ------------------------ */

/* The presented write key: the Basic user name, else ?write_key=. */
static const char *presented_key(struct MHD_Connection *c, char buf[FS_WRITEKEY_MAX + 1])
{
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (auth)
        return fs_writekeys_basic_user(auth, buf) == FS_OK ? buf : NULL;
    return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "write_key");
}

/* Write key, then rate admission.  Returns MHD_YES with req->state still
 * REQ_RECEIVING when the request may go on; otherwise it was answered. */
static enum MHD_Result admit(request_t *req)
{
    fs_server_t *srv = req->srv;
    char buf[FS_WRITEKEY_MAX + 1];
    const char *key = NULL;
    if (srv->opts.write_keys && fs_writekeys_count(srv->opts.write_keys) > 0) {
        key = presented_key(req->conn, buf);
        if (!fs_writekeys_match(srv->opts.write_keys, key)) {
            if (req->ep == FS_EP_PIXEL) /* no Basic challenge: a mail client must never
                                         * pop up a login dialog for an image */
                return send_gif(req, 401, "unknown or missing write key", 0);
            static const char body[] = "{\"error\":\"unknown or missing write key\"}";
            struct MHD_Response *r = make("application/json", body, sizeof(body) - 1);
            if (r)
                MHD_add_response_header(r, "WWW-Authenticate",
                                        "Basic realm=\"funnelstream\"");
            return reply(req, 401, r);
        }
    }
    if (!srv->rl)
        return MHD_YES;
    if (key) {
        /* A digest, not the key: keys may be longer than the table's key
         * slot, and two long keys with one prefix must not share a bucket. */
        snprintf(req->rate_key, sizeof(req->rate_key), "k:%016llx",
                 (unsigned long long)fs_hash64(key, strlen(key)));
    } else {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        char ipkey[FS_NETADDR_STRLEN];
        fs_netaddr_rate_key(ci ? ci->client_addr : NULL, ipkey);
        snprintf(req->rate_key, sizeof(req->rate_key), "%s", ipkey);
    }
    int retry = 1;
    pthread_mutex_lock(&srv->rl_mu);
    int ok = fs_ratelimit_admit(srv->rl, req->rate_key, mono_us() / 1000, &retry);
    pthread_mutex_unlock(&srv->rl_mu);
    if (ok)
        return MHD_YES;
    fs_metrics_rate_limited(srv->metrics, req->ep);
    if (req->ep == FS_EP_PIXEL)
        return send_gif(req, 429, "rate limit exceeded", retry);
    char msg[160];
    snprintf(msg, sizeof(msg),
             "rate limit exceeded: %.0f events per second (burst %.0f) per %s; retry "
             "after %d s",
             srv->opts.rate_per_s, srv->opts.burst, key ? "write key" : "client address",
             retry);
    return send_error(req, 429, msg, retry);
}

/* Charges @p accepted events in full (into debt if need be) and @p refused
 * ones (rejected events, or 1 for an unparseable body) only as far as the
 * bucket holds tokens: junk costs the client its remaining burst — it is
 * dead-lettered, which is work and disk — but never locks its key out
 * beyond the next token. */
static void charge(request_t *req, size_t accepted, size_t refused)
{
    fs_server_t *srv = req->srv;
    if (!srv->rl || !req->rate_key[0])
        return;
    int64_t t = mono_us() / 1000;
    pthread_mutex_lock(&srv->rl_mu);
    fs_ratelimit_charge(srv->rl, req->rate_key, (double)accepted, t);
    fs_ratelimit_charge_capped(srv->rl, req->rate_key, (double)refused, t);
    pthread_mutex_unlock(&srv->rl_mu);
}

static int content_type_ok(struct MHD_Connection *c)
{
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    if (!ct)
        return 1; /* beacons may send none; the body must still be JSON */
    size_t n = strcspn(ct, "; ");
    return (n == 16 && !strncasecmp(ct, "application/json", n)) ||
           (n == 10 && !strncasecmp(ct, "text/plain", n));
}

static void send_dead_letter(fs_server_t *srv, encoder_t *enc, const fs_intake_item_t *it,
                             int64_t at)
{
    fs_dead_letter_t dl = {.reason = it->error,
                           .source = "collector",
                           .at_ms = at,
                           .raw = it->raw,
                           .raw_len = it->raw ? strlen(it->raw) : 0,
                           .topic = NULL,
                           .partition = -1,
                           .offset = -1};
    char err[256];
    fs_buf_reset(&enc->scratch);
    if (fs_codec_encode_dead_letter(enc->codec, &dl, &enc->scratch, err, sizeof(err)) ||
        fs_producer_send_dlq(srv->lanes[FS_LANE_LATENCY], NULL, enc->scratch.data,
                             enc->scratch.len, NULL, err, sizeof(err))) {
        fs_metrics_dead_letter_failure(srv->metrics);
        FS_WARN(srv->lg, "dead letter not written: %s", err);
    }
}

/* Dead-letters and counts the rejected events of req->intake. */
static void reject_invalid(fs_server_t *srv, request_t *req, int64_t t)
{
    fs_intake_t *in = &req->intake;
    if (in->accepted == in->n)
        return;
    encoder_t *enc = encoder_get(srv);
    for (size_t i = 0; i < in->n; i++)
        if (!in->items[i].ok) {
            fs_metrics_rejected(srv->metrics, in->items[i].error);
            if (enc)
                send_dead_letter(srv, enc, &in->items[i], t);
            else
                fs_metrics_dead_letter_failure(srv->metrics);
        }
    encoder_put(srv, enc);
}

/* Gives every accepted event without an event_id a random one, drawing
 * the bytes of up to 64 ids per getrandom(2) instead of one call per event
 * (a 100-event batch made 100 system calls).  FS_ERR_IO when the kernel has
 * no randomness for us. */
static fs_err_t assign_ids(fs_intake_t *in)
{
    size_t missing = 0;
    for (size_t i = 0; i < in->n; i++)
        missing += in->items[i].ok && !in->items[i].ev.event_id[0];
    uint8_t rnd[64 * 16];
    size_t have = 0, used = 0; /* bytes drawn into rnd, bytes given out */
    for (size_t i = 0; i < in->n && missing > 0; i++) {
        fs_intake_item_t *it = &in->items[i];
        if (!it->ok || it->ev.event_id[0])
            continue;
        if (used == have) {
            have = (missing < 64 ? missing : 64) * 16;
            used = 0;
            if (fs_random_bytes(rnd, have) != FS_OK)
                return FS_ERR_IO;
        }
        fs_uuid4_format(it->ev.event_id, rnd + used);
        used += 16;
        missing--;
    }
    return FS_OK;
}

/* Produces the accepted events of req->intake and suspends the connection
 * until every delivery report is in (finish() answers then). */
static enum MHD_Result produce(fs_server_t *srv, request_t *req)
{
    fs_intake_t *in = &req->intake;
    char err[512];
    /* The handler's own reference plus every event, set once: one atomic
     * update per request instead of a locked pair per event. */
    int unsent = (int)in->accepted;
    atomic_store_explicit(&req->pending, 1 + unsent, memory_order_relaxed);
    req->state = REQ_WAITING;
    req->produced_us = mono_us();
    MHD_suspend_connection(req->conn);
    /* Every id first: a 503 lists them all for the client's retry. */
    fs_err_t e = assign_ids(in);
    if (e)
        snprintf(err, sizeof(err), "no randomness for an event_id");
    /* A batch big enough to fill produce requests on its own goes to the
     * bulk producer: its longer linger makes fewer, larger produce requests
     * (the broker's cost is per request), at no cost to single events. */
    fs_lane_t lane = srv->lanes[FS_LANE_BULK] && in->accepted >= srv->opts.bulk_min_events
                         ? FS_LANE_BULK
                         : FS_LANE_LATENCY;
    encoder_t *enc = e ? NULL : encoder_get(srv);
    if (!e && !enc) {
        snprintf(err, sizeof(err), "out of memory (encoder)");
        e = FS_ERR_NOMEM;
    }
    /* Up to FS_PRODUCER_BATCH_MAX events are encoded into the scratch
     * buffer, one after the other, then queued with one librdkafka call. */
    fs_producer_msg_t msgs[FS_PRODUCER_BATCH_MAX];
    size_t ends[FS_PRODUCER_BATCH_MAX];
    for (size_t i = 0; i < in->n && !e;) {
        size_t k = 0;
        fs_buf_reset(&enc->scratch);
        for (; i < in->n && k < FS_PRODUCER_BATCH_MAX && !e; i++) {
            fs_intake_item_t *it = &in->items[i];
            if (!it->ok)
                continue;
            e = fs_codec_encode_valid_event(enc->codec, &it->ev, &enc->scratch, err,
                                            sizeof(err));
            msgs[k].key = fs_event_key(&it->ev);
            ends[k++] = enc->scratch.len;
        }
        if (e)
            break; /* the event being encoded is not queued, nor are the k - 1 before */
        for (size_t j = 0; j < k; j++) { /* the buffer no longer moves */
            size_t start = j ? ends[j - 1] : 0;
            msgs[j].value = enc->scratch.data + start;
            msgs[j].len = ends[j] - start;
        }
        unsent -= (int)fs_producer_send_batch(srv->lanes[lane], msgs, k, req, &e, err,
                                              sizeof(err));
    }
    encoder_put(srv, enc);
    fs_metrics_produced(srv->metrics, lane, in->accepted - (size_t)unsent);
    if (e) {
        /* E.g. librdkafka's local queue is full.  The request fails as a
         * whole: nothing is queued after the chunk with the refusal, and the
         * answer (503) waits for the events already queued, so that the
         * client's retry does not race them; their duplicates are removed
         * downstream. */
        request_fail(req, err);
    }
    request_release(req, 1 + unsent);
    return MHD_YES;
}

/* Resumed: every delivery report of the request is in. */
static enum MHD_Result finish(fs_server_t *srv, request_t *req)
{
    if (req->failed) {
        FS_WARN(srv->lg, "request of %zu events not acknowledged: %s",
                req->intake.accepted, req->fail_reason);
        if (req->ep == FS_EP_PIXEL)
            return send_gif(req, 503, "kafka did not acknowledge the event",
                            srv->opts.retry_after_s);
        char msg[900];
        snprintf(
            msg, sizeof(msg),
            "kafka did not acknowledge the events (%s): none of them is accepted; retry "
            "later with the same event_ids (duplicates are removed downstream by "
            "event_id)",
            req->fail_reason);
        json_t *ids = json_array();
        for (size_t i = 0; ids && i < req->intake.n; i++)
            if (req->intake.items[i].ok && req->intake.items[i].ev.event_id[0])
                json_array_append_new(ids, json_string(req->intake.items[i].ev.event_id));
        return send_json(req, 503, json_pack("{s:s,s:o}", "error", msg, "event_ids", ids),
                         srv->opts.retry_after_s, NULL);
    }
    fs_metrics_accepted(srv->metrics, req->intake.accepted);
    if (req->ep == FS_EP_PIXEL)
        return send_gif(req, 200, NULL, 0);
    return send_result(req, 200);
}

/* ---- the endpoints ---------------------------------------------------- */

/* The whole body is in: validate, dead-letter the rejects, produce the rest. */
static enum MHD_Result events_body(fs_server_t *srv, request_t *req)
{
    int64_t t = now_ms();
    fs_validate_ctx_t vctx = {srv->def, t, "collector", srv->opts.channels};
    char err[512];
    fs_err_t e =
        req->ep == FS_EP_SEGMENT
            ? fs_segment_parse(&vctx, req->seg_call, (const char *)req->body.data,
                               req->body.len, srv->opts.max_events, &req->intake, err,
                               sizeof(err))
            : fs_intake_parse(&vctx, (const char *)req->body.data, req->body.len,
                              srv->opts.max_events, &req->intake, err, sizeof(err));
    fs_body_free(&req->body);
    if (e == FS_ERR_NOMEM)
        return send_error(req, 500, "out of memory", 0);
    if (e != FS_OK) {
        charge(req, 0, 1);
        return send_error(req, 400, err, 0);
    }
    charge(req, req->intake.accepted, req->intake.n - req->intake.accepted);
    reject_invalid(srv, req, t);
    if (req->intake.accepted == 0)
        return send_result(req, 400);
    return produce(srv, req);
}

typedef struct params {
    fs_pixel_param_t p[MAX_PIXEL_PARAMS];
    size_t n;
    int overflow;
} params_t;

static enum MHD_Result collect_param(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    params_t *ps = cls;
    (void)kind;
    if (ps->n == MAX_PIXEL_PARAMS) {
        ps->overflow = 1;
        return MHD_NO;
    }
    ps->p[ps->n++] = (fs_pixel_param_t){key, value};
    return MHD_YES;
}

static enum MHD_Result pixel(fs_server_t *srv, request_t *req)
{
    params_t ps = {.n = 0};
    json_t *obj = NULL;
    char err[512];
    int64_t t = now_ms();
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, collect_param, &ps);
    fs_err_t e = fs_pixel_event(ps.p, ps.n, &obj, err, sizeof(err));
    if (!e && ps.overflow) {
        snprintf(err, sizeof(err), "query: more than %d parameters", MAX_PIXEL_PARAMS);
        e = FS_ERR_INVALID;
    }
    fs_validate_ctx_t vctx = {srv->def, t, "collector", srv->opts.channels};
    if (e == FS_ERR_NOMEM ||
        fs_intake_object(&vctx, obj, e ? err : NULL, &req->intake) != FS_OK) {
        json_decref(obj);
        return send_gif(req, 500, "out of memory", 0);
    }
    json_decref(obj);
    charge(req, req->intake.accepted, 1 - req->intake.accepted);
    reject_invalid(srv, req, t);
    if (req->intake.accepted == 0)
        return send_gif(req, 400, req->intake.items[0].error, 0);
    return produce(srv, req);
}

static enum MHD_Result preflight(request_t *req)
{
    fs_server_t *srv = req->srv;
    const char *origin =
        MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Origin");
    if (!origin) { /* a plain OPTIONS, not CORS */
        struct MHD_Response *r = make(NULL, "", 0);
        if (r)
            MHD_add_response_header(r, "Allow", "POST, OPTIONS");
        return reply(req, 204, r);
    }
    if (!req->origin)
        return send_error(req, 403, "origin not allowed", 0);
    char age[16];
    snprintf(age, sizeof(age), "%d", srv->opts.cors_max_age_s);
    struct MHD_Response *r = make(NULL, "", 0);
    if (r) {
        MHD_add_response_header(r, "Access-Control-Allow-Methods", "POST, OPTIONS");
        MHD_add_response_header(r, "Access-Control-Allow-Headers",
                                "Content-Type, Authorization");
        MHD_add_response_header(r, "Access-Control-Max-Age", age);
    }
    return reply(req, 204, r);
}

static enum MHD_Result metrics(request_t *req)
{
    fs_server_t *srv = req->srv;
    fs_buf_t b = FS_BUF_INIT;
    enum MHD_Result r;
    long long queued = 0;
    for (int l = 0; l < FS_LANE__COUNT; l++)
        if (srv->lanes[l])
            queued += fs_producer_queue_len(srv->lanes[l]);
    if (fs_metrics_render(srv->metrics, queued, atomic_load(&srv->inflight), &b) !=
        FS_OK) {
        r = send_error(req, 500, "out of memory", 0);
    } else {
        struct MHD_Response *resp =
            make("text/plain; version=0.0.4; charset=utf-8", b.data, b.len);
        r = reply(req, 200, resp);
    }
    fs_buf_free(&b);
    return r;
}

/* ---- web tracking (docs/tracker.md) ----------------------------------- */

/* A cacheable GET answer with a strong ETag; 304 when If-None-Match has it. */
static enum MHD_Result send_cached(request_t *req, const char *ctype, const void *body,
                                   size_t len, const char *etag)
{
    const char *inm =
        MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "If-None-Match");
    int fresh = fs_tracker_etag_matches(inm, etag);
    struct MHD_Response *r = make(fresh ? NULL : ctype, body, fresh ? 0 : len);
    if (r) {
        MHD_add_response_header(r, "ETag", etag);
        MHD_add_response_header(r, "Cache-Control", FS_TRACKER_CACHE_CONTROL);
    }
    return reply(req, fresh ? 304 : 200, r);
}

static enum MHD_Result tracker_script(request_t *req)
{
    return send_cached(req, "application/javascript; charset=utf-8", fs_tracker_js,
                       fs_tracker_js_len, fs_tracker_js_etag);
}

static enum MHD_Result definition(fs_server_t *srv, request_t *req)
{
    char etag[FS_TRACKER_ETAG_SIZE];
    char *json = fs_tracker_definition_json(srv->def, etag);
    if (!json)
        return send_error(req, 500, "out of memory", 0);
    enum MHD_Result r = send_cached(req, "application/json", json, strlen(json), etag);
    free(json);
    return r;
}

/* ---- strict HTTP and mid-body refusals (docs/security.md) ------------- */

typedef struct kvs {
    fs_httpcheck_kv_t kv[MAX_HEADERS];
    size_t n;
    int overflow;
} kvs_t;

static enum MHD_Result collect_kv(void *cls, enum MHD_ValueKind kind, const char *key,
                                  size_t key_size, const char *value, size_t value_size)
{
    kvs_t *k = cls;
    (void)kind;
    if (k->n == MAX_HEADERS) {
        k->overflow = 1;
        return MHD_NO;
    }
    k->kv[k->n++] = (fs_httpcheck_kv_t){key, key_size, value, value_size};
    return MHD_YES;
}

/* The framing headers and (on /v1/events and the pixel) the decoded query
 * parameters, with their lengths as libmicrohttpd parsed them.  FS_OK, or
 * the reason of a 400 in @p err. */
static fs_err_t strict_check(request_t *req, char *err, size_t sz)
{
    kvs_t k = {.n = 0};
    MHD_get_connection_values_n(req->conn, MHD_HEADER_KIND, collect_kv, &k);
    if (k.overflow) {
        snprintf(err, sz, "header: more than %d headers", MAX_HEADERS);
        return FS_ERR_INVALID;
    }
    if (fs_httpcheck_headers(k.kv, k.n, err, sz) != FS_OK)
        return FS_ERR_INVALID;
    if (req->ep != FS_EP_EVENTS && req->ep != FS_EP_PIXEL && req->ep != FS_EP_SEGMENT)
        return FS_OK;
    k.n = 0;
    k.overflow = 0;
    MHD_get_connection_values_n(req->conn, MHD_GET_ARGUMENT_KIND, collect_kv, &k);
    for (size_t i = 0; i < k.n; i++)
        if (fs_httpcheck_param(&k.kv[i], err, sz) != FS_OK)
            return FS_ERR_INVALID;
    return FS_OK; /* more than MAX_HEADERS parameters: the pixel refuses them itself */
}

static const char *reason_phrase(unsigned status)
{
    switch (status) {
    case 413:
        return "Payload Too Large";
    case 503:
        return "Service Unavailable";
    default:
        return "Bad Request";
    }
}

/* Refuses a request whose body is still arriving.  libmicrohttpd 0.9.75
 * queues a response only once the body is all in, which for an endless
 * chunked body is never: so the answer is written to the socket here —
 * nothing else of this request was sent on it — the write side is shut
 * (the client reads the answer, then end of stream) and MHD_NO makes
 * libmicrohttpd close the connection. */
static enum MHD_Result refuse_mid_body(request_t *req, unsigned status, const char *msg,
                                       int retry_after)
{
    fs_server_t *srv = req->srv;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    json_t *obj = json_pack("{s:s}", "error", msg);
    char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    char head[512], ra[32] = "", cors[300] = "";
    if (retry_after > 0)
        snprintf(ra, sizeof(ra), "Retry-After: %d\r\n", retry_after);
    if (req->origin && strlen(req->origin) < 200)
        snprintf(cors, sizeof(cors),
                 "Access-Control-Allow-Origin: %s\r\nAccess-Control-Expose-Headers: "
                 "Retry-After\r\nVary: Origin\r\n",
                 req->origin);
    int hl = snprintf(head, sizeof(head),
                      "HTTP/1.1 %u %s\r\nContent-Type: application/json\r\n"
                      "Cache-Control: no-store\r\nConnection: close\r\n%s%s"
                      "Content-Length: %zu\r\n\r\n",
                      status, reason_phrase(status), ra, cors, text ? strlen(text) : 0);
    if (ci && text && hl > 0 && (size_t)hl < sizeof(head)) {
        /* Best effort: a few hundred bytes fit any socket buffer; a client
         * that does not read loses only its own answer. */
        if (send(ci->connect_fd, head, (size_t)hl, MSG_NOSIGNAL | MSG_DONTWAIT) == hl)
            (void)send(ci->connect_fd, text, strlen(text), MSG_NOSIGNAL | MSG_DONTWAIT);
        (void)shutdown(ci->connect_fd, SHUT_WR);
    }
    free(text);
    req->status = status;
    req->state = REQ_DONE;
    fs_conn_arrived(req->cn);
    fs_metrics_request(srv->metrics, req->ep, status);
    return MHD_NO;
}

static fs_endpoint_t endpoint_of(const char *url)
{
    if (!strcmp(url, EVENTS_PATH))
        return FS_EP_EVENTS;
    if (!strcmp(url, PIXEL_PATH))
        return FS_EP_PIXEL;
    if (!strcmp(url, "/healthz"))
        return FS_EP_HEALTHZ;
    if (!strcmp(url, "/readyz"))
        return FS_EP_READYZ;
    if (!strcmp(url, "/metrics"))
        return FS_EP_METRICS;
    fs_segment_call_t call;
    if (fs_segment_route(url, &call))
        return FS_EP_SEGMENT;
    if (!strcmp(url, FS_TRACKER_PATH))
        return FS_EP_TRACKER;
    if (!strcmp(url, FS_DEFINITION_PATH))
        return FS_EP_DEFINITION;
    return FS_EP_OTHER;
}

/* The first call of a request: headers only.  Answers at once when the
 * headers decide; MHD_YES with state REQ_RECEIVING to read the body. */
static enum MHD_Result on_headers(fs_server_t *srv, request_t *req, const char *method)
{
    struct MHD_Connection *c = req->conn;
    int get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    if (req->ep == FS_EP_EVENTS || req->ep == FS_EP_PIXEL || req->ep == FS_EP_SEGMENT ||
        req->ep == FS_EP_DEFINITION) {
        const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
        if (fs_cors_allowed(srv->opts.cors, origin))
            req->origin = origin;
    }
    switch (req->ep) {
    case FS_EP_SEGMENT:
    case FS_EP_EVENTS:
        if (!strcmp(method, "OPTIONS"))
            return preflight(req);
        if (strcmp(method, "POST"))
            return send_405(req, "POST, OPTIONS");
        enum MHD_Result r = admit(req);
        if (r != MHD_YES || req->state == REQ_DONE)
            return r;
        if (!content_type_ok(c))
            return send_error(req, 415,
                              "Content-Type must be application/json or text/plain", 0);
        const char *cl =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        unsigned long long clen = cl ? strtoull(cl, NULL, 10) : 0;
        if (clen > srv->opts.max_body_bytes)
            return send_error(req, 413, "body: larger than 512 KiB", 0);
        /* Nothing is reserved from the announced length: memory is taken
         * as the bytes arrive (fs_body_append), under the budget.  A
         * budget already spent is answered now rather than mid-body. */
        if (srv->budget.limit &&
            fs_budget_used(&srv->budget) + 4096 > srv->budget.limit) {
            fs_metrics_refused(srv->metrics, FS_REFUSED_BODY_BUDGET);
            return send_error(req, 503, BUDGET_MSG, srv->opts.retry_after_s);
        }
        return MHD_YES;
    case FS_EP_PIXEL:
        if (!get)
            return send_405(req, "GET, HEAD");
        if (!strcmp(method, "HEAD")) /* link checkers and prefetchers: no event */
            return send_gif(req, 200, NULL, 0);
        return admit(req); /* the event is built once the request is complete */
    case FS_EP_OTHER:
        return send_error(req, 404, "not found", 0);
    default:
        if (!get)
            return send_405(req, "GET, HEAD");
        return MHD_YES;
    }
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version,
                              const char *upload_data, size_t *upload_data_size,
                              void **con_cls)
{
    fs_server_t *srv = cls;
    request_t *req = *con_cls;
    (void)version;

    if (!req) {
        req = calloc(1, sizeof(*req));
        if (!req || pthread_mutex_init(&req->mu, NULL) != 0) {
            free(req);
            return MHD_NO;
        }
        req->srv = srv;
        req->conn = c;
        req->start_us = mono_us();
        req->ep = endpoint_of(url);
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        req->cn = ci ? ci->socket_context : NULL;
        ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_DAEMON);
        if (srv->health_mhd && ci && ci->daemon == srv->health_mhd &&
            (req->ep == FS_EP_EVENTS || req->ep == FS_EP_PIXEL ||
             req->ep == FS_EP_SEGMENT || req->ep == FS_EP_TRACKER ||
             req->ep == FS_EP_DEFINITION))
            req->ep = FS_EP_OTHER; /* the health listener serves nothing else */
        if (req->ep == FS_EP_SEGMENT && !fs_segment_route(url, &req->seg_call))
            req->ep = FS_EP_OTHER;
        snprintf(req->method, sizeof(req->method), "%s", method);
        *con_cls = req;
        atomic_fetch_add(&srv->inflight, 1);
        char err[300];
        if (strict_check(req, err, sizeof(err)) != FS_OK) {
            /* Where this request ends is in doubt: answer, then close. */
            req->close = 1;
            fs_metrics_refused(srv->metrics, FS_REFUSED_STRICT_HTTP);
            if (req->ep == FS_EP_PIXEL)
                return send_gif(req, 400, err, 0);
            return send_error(req, 400, err, 0);
        }
        return on_headers(srv, req, method);
    }
    if (req->state == REQ_DONE) {
        *upload_data_size = 0; /* answered already: discard the rest of the body */
        return MHD_YES;
    }
    if (req->state == REQ_WAITING) /* resumed: every delivery report is in */
        return finish(srv, req);
    if (*upload_data_size) {
        if (req->ep != FS_EP_EVENTS &&
            req->ep != FS_EP_SEGMENT) { /* ignore bodies sent to other endpoints */
            *upload_data_size = 0;
            return MHD_YES;
        }
        fs_err_t e = fs_body_append(&req->body, &srv->budget, upload_data,
                                    *upload_data_size, srv->opts.max_body_bytes);
        *upload_data_size = 0;
        if (e == FS_ERR_INVALID) /* past the limit: refused now, not at its end */
            return refuse_mid_body(req, 413, "body: larger than 512 KiB", 0);
        if (e == FS_ERR_TRANSIENT) {
            fs_metrics_refused(srv->metrics, FS_REFUSED_BODY_BUDGET);
            return refuse_mid_body(req, 503, BUDGET_MSG, srv->opts.retry_after_s);
        }
        return e == FS_OK ? MHD_YES : MHD_NO;
    }
    fs_conn_arrived(
        req->cn); /* all in: from here on the time is ours, not the client's */
    switch (req->ep) {
    case FS_EP_SEGMENT:
    case FS_EP_EVENTS:
        return events_body(srv, req);
    case FS_EP_PIXEL:
        return pixel(srv, req);
    case FS_EP_HEALTHZ:
        return reply(req, 200, make("application/json", "{\"status\":\"ok\"}", 15));
    case FS_EP_READYZ:
        if (atomic_load(&srv->kafka_ready))
            return reply(req, 200,
                         make("application/json", "{\"status\":\"ready\"}", 18));
        return send_error(req, 503, "kafka unreachable", 1);
    case FS_EP_METRICS:
        return metrics(req);
    case FS_EP_TRACKER:
        return tracker_script(req);
    case FS_EP_DEFINITION:
        return definition(srv, req);
    default:
        return send_error(req, 404, "not found", 0);
    }
}

/* One debug line per request: no query string, body, key or full address. */
static void access_log(fs_server_t *srv, request_t *req, struct MHD_Connection *c,
                       enum MHD_RequestTerminationCode toe)
{
    if (!fs_log_enabled(srv->lg, FS_LOG_DEBUG))
        return;
    const union MHD_ConnectionInfo *ci =
        c ? MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS) : NULL;
    char ip[FS_NETADDR_STRLEN], status[16];
    fs_netaddr_log_prefix(ci ? ci->client_addr : NULL, ip);
    if (req->status)
        snprintf(status, sizeof(status), "%u", req->status);
    else
        snprintf(status, sizeof(status), "-(%s)",
                 toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? "timeout" : "closed");
    static const char *const paths[] = {EVENTS_PATH,     PIXEL_PATH,         "/healthz",
                                        "/readyz",       "/metrics",         "(segment)",
                                        FS_TRACKER_PATH, FS_DEFINITION_PATH, "(other)"};
    FS_DEBUG(srv->lg, "%s %s %s events=%zu ms=%.1f client=%s", req->method,
             paths[req->ep < FS_EP__COUNT ? req->ep : FS_EP_OTHER], status, req->intake.n,
             (double)(mono_us() - req->start_us) / 1000.0, ip);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    fs_server_t *srv = cls;
    request_t *req = *con_cls;
    if (!req)
        return;
    access_log(srv, req, c, toe);
    fs_conn_next_request(req->cn, mono_us() / 1000);
    fs_body_free(&req->body);
    fs_intake_clear(&req->intake);
    pthread_mutex_destroy(&req->mu);
    free(req);
    *con_cls = NULL;
    atomic_fetch_sub(&srv->inflight, 1);
}

/* Registers each connection for the request deadline; the record goes
 * before libmicrohttpd closes the socket (see conns.h). */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    fs_server_t *srv = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        /* Out of memory: the connection goes without a deadline (the idle
         * timeout still applies). */
        *socket_context =
            ci ? fs_conns_add(srv->conns, ci->connect_fd, mono_us() / 1000) : NULL;
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        fs_conns_remove(srv->conns, *socket_context);
        *socket_context = NULL;
    }
}

/* Past its deadline: shut the socket down; libmicrohttpd sees the end of
 * the stream on its next poll and closes the connection.  Under the
 * registry's lock, so @p fd is still the connection's. */
static void expire_fd(void *arg, int fd)
{
    (void)arg;
    (void)shutdown(fd, SHUT_RDWR);
}

static void *sweep_main(void *arg)
{
    fs_server_t *srv = arg;
    int64_t deadline_ms = (int64_t)srv->opts.request_deadline_s * 1000;
    while (!atomic_load(&srv->stop_threads)) {
        usleep(100 * 1000);
        size_t n =
            fs_conns_sweep(srv->conns, mono_us() / 1000, deadline_ms, expire_fd, srv);
        for (size_t i = 0; i < n; i++)
            fs_metrics_refused(srv->metrics, FS_REFUSED_DEADLINE);
        if (n)
            FS_DEBUG(srv->lg,
                     "closed %zu connections whose request took longer than %u s", n,
                     srv->opts.request_deadline_s);
    }
    return NULL;
}

/* ---- lifecycle -------------------------------------------------------- */

/* The health listener (opts.health_listen): its own daemon, one thread,
 * its own connection limit, so /healthz and /readyz answer when the main
 * listener is full.  It serves /healthz, /readyz and /metrics only. */
static struct MHD_Daemon *start_health(fs_server_t *srv, char *errstr, size_t sz)
{
    fs_httpd_addr_t addr;
    char e[256];
    if (fs_httpd_resolve(srv->opts.health_listen, "health_listen", &addr, e, sizeof(e)) !=
        FS_OK) {
        snprintf(errstr, sz, "%s", e);
        return NULL;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG |
                     addr.mhd_flags;
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, (uint16_t)addr.port, NULL, NULL, handle, srv, MHD_OPTION_NOTIFY_COMPLETED,
        completed, srv, MHD_OPTION_CONNECTION_TIMEOUT, 5u,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384, MHD_OPTION_SOCK_ADDR, addr.sa,
        MHD_OPTION_EXTERNAL_LOGGER, fs_httpd_log, srv->lg, MHD_OPTION_CONNECTION_LIMIT,
        64u, MHD_OPTION_END);
    fs_httpd_addr_free(&addr);
    if (!d)
        snprintf(errstr, sz, "cannot serve on %s: %s", srv->opts.health_listen,
                 errno ? strerror(errno) : "libmicrohttpd refused");
    return d;
}

fs_server_t *fs_server_new(const fs_server_opts_t *opts, fs_producer_t *producer,
                           fs_producer_t *bulk, const fs_definition_t *def, fs_log_t *lg,
                           char *errstr, size_t sz)
{
    fs_httpd_addr_t addr;
    char e[256];
    if (fs_httpd_resolve(opts->listen, "listen", &addr, errstr, sz) != FS_OK)
        return NULL;
    fs_server_t *srv = calloc(1, sizeof(*srv));
    if (!srv || !(srv->metrics = fs_metrics_new()) ||
        (opts->rate_per_s > 0 &&
         !(srv->rl =
               fs_ratelimit_new(opts->rate_per_s, opts->burst, opts->rate_table_size)))) {
        fs_httpd_addr_free(&addr);
        snprintf(errstr, sz, "out of memory");
        goto fail;
    }
    srv->opts = *opts;
    fs_budget_init(&srv->budget, opts->body_budget_bytes);
    if (!(srv->conns = fs_conns_new())) {
        fs_httpd_addr_free(&addr);
        snprintf(errstr, sz, "out of memory");
        goto fail;
    }
    srv->lanes[FS_LANE_LATENCY] = producer;
    srv->lanes[FS_LANE_BULK] = bulk;
    srv->def = def;
    srv->lg = lg;
    srv->rl_mu_init = pthread_mutex_init(&srv->rl_mu, NULL) == 0;
    srv->enc_mu_init = pthread_mutex_init(&srv->enc_mu, NULL) == 0;
    if (!srv->rl_mu_init || !srv->enc_mu_init) {
        fs_httpd_addr_free(&addr);
        snprintf(errstr, sz, "cannot create a mutex");
        goto fail;
    }
    unsigned threads = opts->threads ? opts->threads : 1;
    for (unsigned i = 0; i < threads; i++) { /* one per HTTP thread, up front */
        encoder_t *enc = encoder_new(e, sizeof(e));
        if (!enc) {
            fs_httpd_addr_free(&addr);
            snprintf(errstr, sz, "codec: %s", e);
            goto fail;
        }
        encoder_put(srv, enc);
    }
    for (int l = 0; l < FS_LANE__COUNT; l++)
        if (srv->lanes[l])
            fs_producer_set_delivery(srv->lanes[l], fs_server_on_delivery, srv);
    /* The Kafka threads first: a request accepted once the daemon runs
     * must find its delivery reports served. */
    atomic_store(&srv->kafka_ready, 0);
    for (int l = 0; l < FS_LANE__COUNT; l++) {
        struct poller *pl = &srv->pollers[l];
        if (!srv->lanes[l])
            continue;
        pl->srv = srv;
        pl->lane = (fs_lane_t)l;
        if (pthread_create(&pl->th, NULL, poll_main, pl) != 0) {
            fs_httpd_addr_free(&addr);
            snprintf(errstr, sz, "cannot start a Kafka poll thread");
            goto fail;
        }
        pl->started = 1;
    }
    if (pthread_create(&srv->pinger, NULL, ping_main, srv) != 0) {
        fs_httpd_addr_free(&addr);
        snprintf(errstr, sz, "cannot start the Kafka readiness thread");
        goto fail;
    }
    srv->pinger_started = 1;
    if (pthread_create(&srv->sweeper, NULL, sweep_main, srv) != 0) {
        fs_httpd_addr_free(&addr);
        snprintf(errstr, sz, "cannot start the request deadline thread");
        goto fail;
    }
    srv->sweeper_started = 1;
    /* poll(2), not epoll: with libmicrohttpd 0.9.75's epoll mode a third
     * of our closed-loop runs stalled for 1 to more than 10 s — each
     * connection's answer sent, its next request unread in the socket
     * (ss: Recv-Q 337 bytes on all 256), the MHD thread in epoll_wait(-1)
     * until an unrelated new connection woke it (a lost edge after
     * suspend/resume).  Level-triggered poll(2): 0 stalls in 14 runs, and
     * the descriptors per thread are few (hundreds). */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
                     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG | addr.mhd_flags;
    /* A pool of 1 is not MHD's single-thread mode: ask for a pool only
     * when there is more than one thread. */
    srv->mhd = MHD_start_daemon(
        flags, (uint16_t)addr.port, NULL, NULL, handle, srv, MHD_OPTION_NOTIFY_COMPLETED,
        completed, srv, MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
        MHD_OPTION_CONNECTION_TIMEOUT, opts->conn_timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, opts->conn_memory_limit, MHD_OPTION_SOCK_ADDR,
        addr.sa, MHD_OPTION_EXTERNAL_LOGGER, fs_httpd_log, lg,
        MHD_OPTION_CONNECTION_LIMIT, opts->max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, opts->max_conns_per_addr,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, opts->max_connections,
        threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, threads,
        MHD_OPTION_END);
    fs_httpd_addr_free(&addr);
    if (!srv->mhd) {
        snprintf(errstr, sz, "listen: cannot serve on %s: %s", opts->listen,
                 errno ? strerror(errno) : "libmicrohttpd refused");
        goto fail;
    }
    if (opts->health_listen && !(srv->health_mhd = start_health(srv, e, sizeof(e)))) {
        snprintf(errstr, sz, "collector.health_listen: %s", e);
        goto fail;
    }
    return srv;
fail:
    fs_server_destroy(srv, 0);
    return NULL;
}

int fs_server_health_port(const fs_server_t *srv)
{
    return srv->health_mhd ? fs_httpd_port(srv->health_mhd) : -1;
}

int fs_server_port(const fs_server_t *srv)
{
    return fs_httpd_port(srv->mhd);
}

/* Waits up to @p ms for every request to be answered; non-zero if they were. */
static int wait_answered(fs_server_t *srv, int ms)
{
    for (int waited = 0; atomic_load(&srv->inflight) > 0 && waited < ms; waited += 10)
        usleep(10 * 1000);
    return atomic_load(&srv->inflight) == 0;
}

void fs_server_destroy(fs_server_t *srv, int drain_ms)
{
    if (!srv)
        return;
    int leave_running = 0;
    if (srv->mhd) {
        /* Stop accepting, then let in-flight requests get their answers. */
        MHD_socket lsock = MHD_quiesce_daemon(srv->mhd);
        if (!wait_answered(srv, drain_ms)) {
            /* Kafka did not acknowledge them in time.  libmicrohttpd aborts
             * the process when stopped with a suspended connection, so fail
             * what librdkafka still holds: the delivery reports then answer
             * 503 (retry with the same event_ids), as for any outage. */
            FS_WARN(srv->lg,
                    "%d requests still waiting for Kafka after %d ms: failing them (503)",
                    atomic_load(&srv->inflight), drain_ms);
            for (int l = 0; l < FS_LANE__COUNT; l++) {
                if (!srv->lanes[l])
                    continue;
                rd_kafka_resp_err_t perr =
                    rd_kafka_purge(fs_producer_handle(srv->lanes[l]),
                                   RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
                if (perr)
                    FS_WARN(srv->lg, "cannot purge a producer: %s",
                            rd_kafka_err2str(perr));
            }
            leave_running = !wait_answered(srv, 5000);
        }
        if (leave_running) {
            /* Never seen; the process is exiting anyway: leave the daemon
             * (and this server, which its threads use) to the exit. */
            FS_ERROR(srv->lg, "%d requests never answered; not stopping the HTTP server",
                     atomic_load(&srv->inflight));
        } else {
            MHD_stop_daemon(srv->mhd);
            if (lsock != MHD_INVALID_SOCKET) /* only now: MHD's threads may use it */
                close(lsock);
        }
    }
    if (srv->health_mhd && !leave_running)
        MHD_stop_daemon(srv->health_mhd); /* nothing there is ever suspended */
    atomic_store(&srv->stop_threads, 1);
    for (int l = 0; l < FS_LANE__COUNT; l++)
        if (srv->pollers[l].started)
            pthread_join(srv->pollers[l].th, NULL);
    if (srv->pinger_started)
        pthread_join(srv->pinger, NULL);
    if (srv->sweeper_started)
        pthread_join(srv->sweeper, NULL);
    /* Delivery reports served later (the caller's final flush, e.g. of dead
     * letters) must not reach a freed server. */
    for (int l = 0; l < FS_LANE__COUNT; l++)
        if (srv->lanes[l])
            fs_producer_set_delivery(srv->lanes[l], NULL, NULL);
    if (leave_running)
        return;
    while (srv->enc_free) {
        encoder_t *enc = srv->enc_free;
        srv->enc_free = enc->next;
        encoder_destroy(enc);
    }
    if (srv->enc_mu_init)
        pthread_mutex_destroy(&srv->enc_mu);
    if (srv->rl_mu_init)
        pthread_mutex_destroy(&srv->rl_mu);
    fs_ratelimit_destroy(srv->rl);
    fs_metrics_destroy(srv->metrics);
    fs_conns_destroy(srv->conns);
    free(srv);
}
