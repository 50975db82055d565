/*
 * server.c — collector HTTP server on libmicrohttpd (see server.h).
 *
 * Threads: MHD's one internal polling thread runs every handler (so the
 * codec needs no lock); the poll thread serves librdkafka delivery reports
 * and resumes suspended connections.  A request's pending count starts at
 * its number of produced events plus one reference held by the handler
 * itself, so a delivery that beats the handler cannot resume a connection
 * that is not suspended yet.
 */
#include "server.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "fs_buf.h"
#include "fs_uuid.h"
#include "fs_url.h"
#include "intake.h"

enum req_state { REQ_RECEIVING, REQ_WAITING, REQ_DONE };

typedef struct request {
    fs_server_t *srv;
    struct MHD_Connection *conn;
    enum req_state state;
    fs_buf_t body;
    int too_large;
    fs_intake_t intake;
    pthread_mutex_t mu; /* guards pending, failed, fail_reason */
    int pending;
    int failed;
    char fail_reason[600];
} request_t;

enum { M_2XX, M_400, M_4XX, M_503, M_5XX, M__COUNT };

struct fs_server {
    fs_server_opts_t opts;
    struct MHD_Daemon *mhd;
    fs_producer_t *producer;     /* borrowed */
    fs_codec_t *codec;           /* borrowed, HTTP thread only */
    const fs_definition_t *def;  /* borrowed */
    fs_log_t *lg;                /* borrowed */
    pthread_t poller;
    int poller_started;
    atomic_int stop_poller;
    atomic_int kafka_ready;
    atomic_int inflight;
    atomic_ullong requests[M__COUNT];
    atomic_ullong events_accepted, events_rejected, delivery_failures, dlq_failures;
    fs_buf_t scratch; /* HTTP thread only: encoding buffer */
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- delivery reports (poll thread) ----------------------------------- */

static void request_release(request_t *req)
{
    pthread_mutex_lock(&req->mu);
    int left = --req->pending;
    pthread_mutex_unlock(&req->mu);
    if (left == 0)
        MHD_resume_connection(req->conn);
}

static void fs_server_on_delivery(void *app_opaque, void *msg_opaque, rd_kafka_resp_err_t err)
{
    fs_server_t *srv = app_opaque;
    request_t *req = msg_opaque;
    if (!req) { /* a dead letter: fire and forget, but counted */
        if (err)
            atomic_fetch_add(&srv->dlq_failures, 1);
        return;
    }
    if (err) {
        atomic_fetch_add(&srv->delivery_failures, 1);
        pthread_mutex_lock(&req->mu);
        if (!req->failed) {
            req->failed = 1;
            snprintf(req->fail_reason, sizeof(req->fail_reason), "%s", rd_kafka_err2str(err));
        }
        pthread_mutex_unlock(&req->mu);
    }
    request_release(req);
}

static void *poll_main(void *arg)
{
    fs_server_t *srv = arg;
    int64_t next_ping = 0;
    while (!atomic_load(&srv->stop_poller)) {
        fs_producer_poll(srv->producer, 100);
        int64_t t = now_ms();
        if (t >= next_ping) {
            /* Readiness is checked here, off the HTTP thread: /readyz never blocks. */
            atomic_store(&srv->kafka_ready, fs_producer_ping(srv->producer, 1000) == FS_OK);
            next_ping = t + 2000;
        }
    }
    return NULL;
}

/* ---- responses -------------------------------------------------------- */

static enum MHD_Result respond(fs_server_t *srv, struct MHD_Connection *c, unsigned status,
                               const char *ctype, const void *body, size_t len,
                               int retry_after)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", ctype);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (retry_after > 0) {
        char ra[16];
        snprintf(ra, sizeof(ra), "%d", retry_after);
        MHD_add_response_header(r, "Retry-After", ra);
    }
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, "Allow", "POST, OPTIONS");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    int m = status < 300 ? M_2XX : status == 400 ? M_400 : status < 500 ? M_4XX
                                 : status == 503 ? M_503 : M_5XX;
    atomic_fetch_add(&srv->requests[m], 1);
    return ret;
}

static enum MHD_Result respond_json(fs_server_t *srv, struct MHD_Connection *c,
                                    unsigned status, json_t *obj, int retry_after)
{
    char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    if (!text)
        return respond(srv, c, 500, "application/json", "{\"error\":\"out of memory\"}", 25,
                       0);
    enum MHD_Result ret =
        respond(srv, c, status, "application/json", text, strlen(text), retry_after);
    free(text);
    return ret;
}

static enum MHD_Result respond_error(fs_server_t *srv, struct MHD_Connection *c,
                                     unsigned status, const char *msg, int retry_after)
{
    return respond_json(srv, c, status, json_pack("{s:s}", "error", msg), retry_after);
}

/* The 200/400 body: accepted count and every rejected index with its reason. */
static json_t *result_json(const fs_intake_t *in)
{
    json_t *rejected = json_array();
    for (size_t i = 0; rejected && i < in->n; i++)
        if (!in->items[i].ok)
            json_array_append_new(rejected, json_pack("{s:I,s:s}", "index", (json_int_t)i,
                                                      "error", in->items[i].error));
    return json_pack("{s:I,s:o}", "accepted", (json_int_t)in->accepted, "rejected", rejected);
}

/* ---- the events endpoint ---------------------------------------------- */

static int content_type_ok(struct MHD_Connection *c)
{
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    if (!ct)
        return 1; /* beacons may send none; the body must still be JSON */
    size_t n = strcspn(ct, "; ");
    return (n == 16 && !strncasecmp(ct, "application/json", n)) ||
           (n == 10 && !strncasecmp(ct, "text/plain", n));
}

static void send_dead_letter(fs_server_t *srv, const fs_intake_item_t *it, int64_t at)
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
    fs_buf_reset(&srv->scratch);
    if (fs_codec_encode_dead_letter(srv->codec, &dl, &srv->scratch, err, sizeof(err)) ||
        fs_producer_send_dlq(srv->producer, NULL, srv->scratch.data, srv->scratch.len, NULL,
                             err, sizeof(err))) {
        atomic_fetch_add(&srv->dlq_failures, 1);
        FS_WARN(srv->lg, "dead letter not written: %s", err);
    }
}

/* Validates, dead-letters the rejects and produces the rest.  Returns the
 * response to send now, or MHD_YES with the connection suspended. */
static enum MHD_Result start_events(fs_server_t *srv, request_t *req)
{
    int64_t t = now_ms();
    fs_validate_ctx_t vctx = {srv->def, t, "collector"};
    char err[512];
    if (fs_intake_parse(&vctx, (const char *)req->body.data, req->body.len,
                        srv->opts.max_events, &req->intake, err, sizeof(err)) != FS_OK)
        return respond_error(srv, req->conn, 400, err, 0);
    fs_buf_free(&req->body);

    fs_intake_t *in = &req->intake;
    atomic_fetch_add(&srv->events_rejected, in->n - in->accepted);
    for (size_t i = 0; i < in->n; i++)
        if (!in->items[i].ok)
            send_dead_letter(srv, &in->items[i], t);
    if (in->accepted == 0)
        return respond_json(srv, req->conn, 400, result_json(in), 0);

    req->pending = 1; /* the handler's own reference */
    req->state = REQ_WAITING;
    MHD_suspend_connection(req->conn);
    for (size_t i = 0; i < in->n; i++) {
        fs_intake_item_t *it = &in->items[i];
        if (!it->ok)
            continue;
        fs_err_t e = FS_OK;
        if (!it->ev.event_id[0])
            e = fs_uuid4_random(it->ev.event_id);
        fs_buf_reset(&srv->scratch);
        if (!e)
            e = fs_codec_encode_event(srv->codec, &it->ev, &srv->scratch, err, sizeof(err));
        if (!e) {
            pthread_mutex_lock(&req->mu);
            req->pending++;
            pthread_mutex_unlock(&req->mu);
            e = fs_producer_send(srv->producer, fs_event_key(&it->ev), srv->scratch.data,
                                 srv->scratch.len, req, err, sizeof(err));
            if (e) {
                pthread_mutex_lock(&req->mu);
                req->pending--;
                pthread_mutex_unlock(&req->mu);
            }
        }
        if (e) {
            pthread_mutex_lock(&req->mu);
            if (!req->failed) {
                req->failed = 1;
                snprintf(req->fail_reason, sizeof(req->fail_reason), "%s", err);
            }
            pthread_mutex_unlock(&req->mu);
            break; /* the request fails as a whole: nothing more to queue */
        }
    }
    request_release(req);
    return MHD_YES;
}

static enum MHD_Result finish_events(fs_server_t *srv, request_t *req)
{
    req->state = REQ_DONE;
    if (req->failed) {
        char msg[800];
        FS_WARN(srv->lg, "request of %zu events not acknowledged: %s", req->intake.accepted,
                req->fail_reason);
        snprintf(msg, sizeof(msg), "kafka did not acknowledge the events (%s); retry later "
                                   "with the same event_ids", req->fail_reason);
        return respond_error(srv, req->conn, 503, msg, srv->opts.retry_after_s);
    }
    atomic_fetch_add(&srv->events_accepted, req->intake.accepted);
    return respond_json(srv, req->conn, 200, result_json(&req->intake), 0);
}

/* ---- other endpoints -------------------------------------------------- */

static enum MHD_Result metrics(fs_server_t *srv, struct MHD_Connection *c)
{
    static const char *const codes[M__COUNT] = {"2xx", "400", "4xx", "503", "5xx"};
    fs_buf_t b = FS_BUF_INIT;
    fs_err_t e = fs_buf_puts(&b, "# TYPE funnel_collector_requests_total counter\n");
    for (int i = 0; !e && i < M__COUNT; i++)
        e = fs_buf_printf(&b, "funnel_collector_requests_total{status=\"%s\"} %llu\n",
                          codes[i], (unsigned long long)atomic_load(&srv->requests[i]));
    if (!e)
        e = fs_buf_printf(
            &b,
            "# TYPE funnel_collector_events_accepted_total counter\n"
            "funnel_collector_events_accepted_total %llu\n"
            "# TYPE funnel_collector_events_rejected_total counter\n"
            "funnel_collector_events_rejected_total %llu\n"
            "# TYPE funnel_collector_delivery_failures_total counter\n"
            "funnel_collector_delivery_failures_total %llu\n"
            "# TYPE funnel_collector_dead_letter_failures_total counter\n"
            "funnel_collector_dead_letter_failures_total %llu\n"
            "# TYPE funnel_collector_kafka_queue_messages gauge\n"
            "funnel_collector_kafka_queue_messages %d\n"
            "# TYPE funnel_collector_inflight_requests gauge\n"
            "funnel_collector_inflight_requests %d\n",
            (unsigned long long)atomic_load(&srv->events_accepted),
            (unsigned long long)atomic_load(&srv->events_rejected),
            (unsigned long long)atomic_load(&srv->delivery_failures),
            (unsigned long long)atomic_load(&srv->dlq_failures),
            fs_producer_queue_len(srv->producer), atomic_load(&srv->inflight));
    enum MHD_Result r = e ? respond_error(srv, c, 500, "out of memory", 0)
                          : respond(srv, c, 200, "text/plain; version=0.0.4", b.data, b.len, 0);
    fs_buf_free(&b);
    return r;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version,
                              const char *upload_data, size_t *upload_data_size,
                              void **con_cls)
{
    fs_server_t *srv = cls;
    request_t *req = *con_cls;
    (void)version;
    int is_events = !strcmp(url, "/v1/events");
    int is_post = !strcmp(method, "POST");

    if (!req) { /* first call: headers only */
        req = calloc(1, sizeof(*req));
        if (!req || pthread_mutex_init(&req->mu, NULL) != 0) {
            free(req);
            return MHD_NO;
        }
        req->srv = srv;
        req->conn = c;
        *con_cls = req;
        atomic_fetch_add(&srv->inflight, 1);
        if (is_events && is_post) {
            const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
            if (cl && strtoull(cl, NULL, 10) > srv->opts.max_body_bytes)
                return respond_error(srv, c, 413, "body: larger than 512 KiB", 0);
            if (!content_type_ok(c))
                return respond_error(srv, c, 415,
                                     "Content-Type must be application/json or text/plain", 0);
        }
        return MHD_YES;
    }
    if (req->state == REQ_DONE)
        return MHD_YES; /* a response is already queued */

    if (!is_events) {
        if (*upload_data_size) { /* ignore bodies sent to other endpoints */
            *upload_data_size = 0;
            return MHD_YES;
        }
        req->state = REQ_DONE;
        if (strcmp(method, "GET") && strcmp(method, "HEAD"))
            return respond_error(srv, c, 405, "method not allowed", 0);
        if (!strcmp(url, "/healthz"))
            return respond(srv, c, 200, "application/json", "{\"status\":\"ok\"}", 15, 0);
        if (!strcmp(url, "/readyz"))
            return atomic_load(&srv->kafka_ready)
                       ? respond(srv, c, 200, "application/json", "{\"status\":\"ready\"}",
                                 18, 0)
                       : respond_error(srv, c, 503, "kafka unreachable", 1);
        if (!strcmp(url, "/metrics"))
            return metrics(srv, c);
        return respond_error(srv, c, 404, "not found", 0);
    }
    if (!is_post) {
        req->state = REQ_DONE;
        return respond_error(srv, c, 405, "method not allowed: use POST", 0);
    }
    if (req->state == REQ_WAITING) /* resumed: every delivery report is in */
        return finish_events(srv, req);
    if (*upload_data_size) {
        if (!req->too_large && req->body.len + *upload_data_size > srv->opts.max_body_bytes) {
            req->too_large = 1;
            fs_buf_free(&req->body);
        }
        if (!req->too_large &&
            fs_buf_append(&req->body, upload_data, *upload_data_size) != FS_OK)
            return MHD_NO;
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (req->too_large) {
        req->state = REQ_DONE;
        return respond_error(srv, c, 413, "body: larger than 512 KiB", 0);
    }
    enum MHD_Result r = start_events(srv, req);
    if (req->state == REQ_RECEIVING)
        req->state = REQ_DONE; /* answered at once (400) */
    return r;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    fs_server_t *srv = cls;
    request_t *req = *con_cls;
    (void)c;
    (void)toe;
    if (!req)
        return;
    fs_buf_free(&req->body);
    fs_intake_clear(&req->intake);
    pthread_mutex_destroy(&req->mu);
    free(req);
    *con_cls = NULL;
    atomic_fetch_sub(&srv->inflight, 1);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    fs_server_t *srv = cls;
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    FS_DEBUG(srv->lg, "http: %s", msg);
}

/* ---- lifecycle -------------------------------------------------------- */

fs_server_t *fs_server_new(const fs_server_opts_t *opts, fs_producer_t *producer,
                           fs_codec_t *codec, const fs_definition_t *def, fs_log_t *lg,
                           char *errstr, size_t sz)
{
    fs_hostport_t hp;
    struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
                             .ai_socktype = SOCK_STREAM};
    struct addrinfo *ai = NULL;
    char port[8], e[256];
    if (fs_hostport_parse(opts->listen, &hp, e, sizeof(e)) != FS_OK) {
        snprintf(errstr, sz, "listen: %s", e);
        return NULL;
    }
    snprintf(port, sizeof(port), "%d", hp.port);
    int gai = getaddrinfo(hp.host[0] ? hp.host : NULL, port, &hints, &ai);
    if (gai != 0) {
        snprintf(errstr, sz, "listen: %s: %s", opts->listen, gai_strerror(gai));
        return NULL;
    }
    fs_server_t *srv = calloc(1, sizeof(*srv));
    if (!srv) {
        freeaddrinfo(ai);
        snprintf(errstr, sz, "out of memory");
        return NULL;
    }
    srv->opts = *opts;
    srv->producer = producer;
    srv->codec = codec;
    srv->def = def;
    srv->lg = lg;
    fs_producer_set_delivery(producer, fs_server_on_delivery, srv);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    srv->mhd = MHD_start_daemon(
        flags, (uint16_t)hp.port, NULL, NULL, handle, srv, MHD_OPTION_NOTIFY_COMPLETED,
        completed, srv, MHD_OPTION_CONNECTION_TIMEOUT, opts->conn_timeout_s,
        MHD_OPTION_SOCK_ADDR, ai->ai_addr, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv,
        MHD_OPTION_CONNECTION_LIMIT, 4096u, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
        MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!srv->mhd) {
        snprintf(errstr, sz, "listen: cannot serve on %s: %s", opts->listen,
                 errno ? strerror(errno) : "libmicrohttpd refused");
        goto fail;
    }
    atomic_store(&srv->kafka_ready, 0);
    if (pthread_create(&srv->poller, NULL, poll_main, srv) != 0) {
        snprintf(errstr, sz, "cannot start the Kafka poll thread");
        goto fail;
    }
    srv->poller_started = 1;
    return srv;
fail:
    fs_server_destroy(srv, 0);
    return NULL;
}

int fs_server_port(const fs_server_t *srv)
{
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : -1;
}

void fs_server_destroy(fs_server_t *srv, int drain_ms)
{
    if (!srv)
        return;
    if (srv->mhd) {
        /* Stop accepting, then let in-flight requests get their answers. */
        MHD_socket lsock = MHD_quiesce_daemon(srv->mhd);
        if (lsock != MHD_INVALID_SOCKET)
            close(lsock);
        for (int waited = 0; atomic_load(&srv->inflight) > 0 && waited < drain_ms; waited += 10)
            usleep(10 * 1000);
        MHD_stop_daemon(srv->mhd);
    }
    if (srv->poller_started) {
        atomic_store(&srv->stop_poller, 1);
        pthread_join(srv->poller, NULL);
    }
    fs_buf_free(&srv->scratch);
    free(srv);
}
