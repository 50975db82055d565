/*
 * events.c — a request's events, from admission to the answer (server_private.h).
 *
 * Owns the event path of /v1/events, the Segment calls and the pixel:
 * write key and rate admission, parsing and validation (intake.c,
 * segment.c, pixel.c), dead letters for rejected events, producing the
 * accepted ones, their delivery reports, and the answer once every one is
 * acknowledged (200 = durable with acks=all, 503 = nothing the client can
 * rely on, retry with the same event_ids).  Called by http.c once the
 * headers (fs_events_admit) or the whole body (fs_events_body,
 * fs_events_pixel) are in, and when a suspended connection is resumed
 * (fs_events_finish); by librdkafka's poll threads for delivery reports.
 * Never touches the daemons, connection registry or body budget, and
 * answers only through respond.c.
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
 * A request's pending count (atomic) starts at its number of events to
 * produce plus one reference held by the handler itself, so a delivery that
 * beats the handler cannot resume a connection that is not suspended yet;
 * events that could not be queued are subtracted at once.
 *
 * Threads: handlers run on the HTTP threads; the rate limiter sits behind
 * rl_mu, and encoding takes an encoder from the pool (encoders.c) for the
 * length of one request.  Delivery reports arrive on a poll thread per
 * lane, which only serves them and resumes suspended connections
 * (MHD_resume_connection is allowed from any thread with
 * MHD_ALLOW_SUSPEND_RESUME).
 */
#include "server_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_hash.h"
#include "fs_uuid.h"
#include "netaddr.h"
#include "pixel.h"

#define MAX_PIXEL_PARAMS 64

/* ---- delivery reports (poll thread) ----------------------------------- */

/* Drops @p n references; the last one resumes the connection (fs_events_finish()
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

void fs_events_on_delivery(void *app_opaque, void *msg_opaque, rd_kafka_resp_err_t err)
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

/* Serves delivery reports, and nothing else: a broker ping may block for a
 * second (http.c's ready thread), and every suspended connection would
 * wait behind it. */
void *fs_events_poll_main(void *arg)
{
    struct poller *pl = arg;
    while (!atomic_load(&pl->srv->stop_threads))
        (void)fs_producer_poll(pl->srv->lanes[pl->lane], 100); /* count not needed */
    return NULL;
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
enum MHD_Result fs_events_admit(request_t *req)
{
    fs_server_t *srv = req->srv;
    char buf[FS_WRITEKEY_MAX + 1];
    const char *key = NULL;
    if (srv->opts.write_keys && fs_writekeys_count(srv->opts.write_keys) > 0) {
        key = presented_key(req->conn, buf);
        if (!fs_writekeys_match(srv->opts.write_keys, key)) {
            if (req->ep == FS_EP_PIXEL) /* no Basic challenge: a mail client must never
                                         * pop up a login dialog for an image */
                return fs_respond_gif(req, 401, "unknown or missing write key", 0);
            static const char body[] = "{\"error\":\"unknown or missing write key\"}";
            struct MHD_Response *r =
                fs_respond_make("application/json", body, sizeof(body) - 1);
            if (r)
                MHD_add_response_header(r, "WWW-Authenticate",
                                        "Basic realm=\"funnelstream\"");
            return fs_respond_reply(req, 401, r);
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
        return fs_respond_gif(req, 429, "rate limit exceeded", retry);
    char msg[160];
    snprintf(msg, sizeof(msg),
             "rate limit exceeded: %.0f events per second (burst %.0f) per %s; retry "
             "after %d s",
             srv->opts.rate_per_s, srv->opts.burst, key ? "write key" : "client address",
             retry);
    return fs_respond_error(req, 429, msg, retry);
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

static void send_dead_letter(fs_server_t *srv, fs_encoder_t *enc,
                             const fs_intake_item_t *it, int64_t at)
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
    fs_encoder_t *enc = fs_encoders_get(srv->encoders, srv->lg);
    for (size_t i = 0; i < in->n; i++)
        if (!in->items[i].ok) {
            fs_metrics_rejected(srv->metrics, in->items[i].error);
            if (enc)
                send_dead_letter(srv, enc, &in->items[i], t);
            else
                fs_metrics_dead_letter_failure(srv->metrics);
        }
    fs_encoders_put(srv->encoders, enc);
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
 * until every delivery report is in (fs_events_finish() answers then). */
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
    fs_encoder_t *enc = e ? NULL : fs_encoders_get(srv->encoders, srv->lg);
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
    fs_encoders_put(srv->encoders, enc);
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
enum MHD_Result fs_events_finish(fs_server_t *srv, request_t *req)
{
    if (req->failed) {
        FS_WARN(srv->lg, "request of %zu events not acknowledged: %s",
                req->intake.accepted, req->fail_reason);
        if (req->ep == FS_EP_PIXEL)
            return fs_respond_gif(req, 503, "kafka did not acknowledge the event",
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
        return fs_respond_json(req, 503,
                               json_pack("{s:s,s:o}", "error", msg, "event_ids", ids),
                               srv->opts.retry_after_s, NULL);
    }
    fs_metrics_accepted(srv->metrics, req->intake.accepted);
    if (req->ep == FS_EP_PIXEL)
        return fs_respond_gif(req, 200, NULL, 0);
    return fs_respond_result(req, 200);
}

/* ---- a complete request's events ------------------------------------ */

/* The whole body is in: validate, dead-letter the rejects, produce the rest. */
enum MHD_Result fs_events_body(fs_server_t *srv, request_t *req)
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
        return fs_respond_error(req, 500, "out of memory", 0);
    if (e != FS_OK) {
        charge(req, 0, 1);
        return fs_respond_error(req, 400, err, 0);
    }
    charge(req, req->intake.accepted, req->intake.n - req->intake.accepted);
    reject_invalid(srv, req, t);
    if (req->intake.accepted == 0)
        return fs_respond_result(req, 400);
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

enum MHD_Result fs_events_pixel(fs_server_t *srv, request_t *req)
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
        return fs_respond_gif(req, 500, "out of memory", 0);
    }
    json_decref(obj);
    charge(req, req->intake.accepted, 1 - req->intake.accepted);
    reject_invalid(srv, req, t);
    if (req->intake.accepted == 0)
        return fs_respond_gif(req, 400, req->intake.items[0].error, 0);
    return produce(srv, req);
}
