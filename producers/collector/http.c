/*
 * http.c — the collector's HTTP side on libmicrohttpd (see server.h).
 *
 * Owns the server's lifecycle (fs_server_new/destroy) and everything about
 * HTTP: the main daemon and the optional health listener (start_health),
 * the connection registry and the request-deadline sweep, strict-HTTP
 * checks, routing, CORS preflight, bodies under the budget, suspend and
 * resume, the probes, /metrics, the tracker script, the definition, and
 * the access log.  Hands a request's events to events.c (admission once
 * the headers are in, the body or the pixel's query once complete, the
 * answer once resumed) and answers through respond.c.  Never parses,
 * validates or produces an event itself.
 *
 * Threads: opts.threads libmicrohttpd worker threads run the handlers (a
 * connection stays on one worker; 1 = MHD's single internal thread).  A
 * poll thread per producer (two with the bulk lane, events.c) only serves
 * librdkafka delivery reports and resumes suspended connections; the ready
 * thread pings the broker for /readyz.  They are separate because a
 * metadata request to a slow broker blocks for up to a second, and
 * delivery reports must not wait behind it (every suspended connection
 * would).
 *
 * MHD polls with poll(2), not epoll: see fs_server_new() for the stalls
 * epoll gave us.
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
 * socket ourselves (fs_respond_mid_body).  A sweep thread closes connections
 * whose request has not arrived whole within the deadline (conns.c);
 * libmicrohttpd caps connections in total and per client address.  An
 * optional second daemon serves the probes (start_health).
 */
#include "server_private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fs_buf.h"
#include "fs_httpd.h"
#include "httpcheck.h"
#include "netaddr.h"
#include "tracker.h"

#define PIXEL_PATH "/v1/pixel.gif"
#define EVENTS_PATH "/v1/events"
#define MAX_HEADERS 100
#define BUDGET_MSG                                                                       \
    "request bodies: the collector holds as much as it may "                             \
    "(collector.body_budget_bytes); "                                                    \
    "retry later"

/* ---- readiness -------------------------------------------------------- */

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

/* ---- header checks and the endpoints answered here -------------------- */

static int content_type_ok(struct MHD_Connection *c)
{
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    if (!ct)
        return 1; /* beacons may send none; the body must still be JSON */
    size_t n = strcspn(ct, "; ");
    return (n == 16 && !strncasecmp(ct, "application/json", n)) ||
           (n == 10 && !strncasecmp(ct, "text/plain", n));
}

static enum MHD_Result preflight(request_t *req)
{
    fs_server_t *srv = req->srv;
    const char *origin =
        MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Origin");
    if (!origin) { /* a plain OPTIONS, not CORS */
        struct MHD_Response *r = fs_respond_make(NULL, "", 0);
        if (r)
            MHD_add_response_header(r, "Allow", "POST, OPTIONS");
        return fs_respond_reply(req, 204, r);
    }
    if (!req->origin)
        return fs_respond_error(req, 403, "origin not allowed", 0);
    char age[16];
    snprintf(age, sizeof(age), "%d", srv->opts.cors_max_age_s);
    struct MHD_Response *r = fs_respond_make(NULL, "", 0);
    if (r) {
        MHD_add_response_header(r, "Access-Control-Allow-Methods", "POST, OPTIONS");
        MHD_add_response_header(r, "Access-Control-Allow-Headers",
                                "Content-Type, Authorization");
        MHD_add_response_header(r, "Access-Control-Max-Age", age);
    }
    return fs_respond_reply(req, 204, r);
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
        r = fs_respond_error(req, 500, "out of memory", 0);
    } else {
        struct MHD_Response *resp =
            fs_respond_make("text/plain; version=0.0.4; charset=utf-8", b.data, b.len);
        r = fs_respond_reply(req, 200, resp);
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
    struct MHD_Response *r = fs_respond_make(fresh ? NULL : ctype, body, fresh ? 0 : len);
    if (r) {
        MHD_add_response_header(r, "ETag", etag);
        MHD_add_response_header(r, "Cache-Control", FS_TRACKER_CACHE_CONTROL);
    }
    return fs_respond_reply(req, fresh ? 304 : 200, r);
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
        return fs_respond_error(req, 500, "out of memory", 0);
    enum MHD_Result r = send_cached(req, "application/json", json, strlen(json), etag);
    free(json);
    return r;
}

/* ---- strict HTTP (docs/security.md) and routing ---------------------- */

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
            return fs_respond_405(req, "POST, OPTIONS");
        enum MHD_Result r = fs_events_admit(req);
        if (r != MHD_YES || req->state == REQ_DONE)
            return r;
        if (!content_type_ok(c))
            return fs_respond_error(
                req, 415, "Content-Type must be application/json or text/plain", 0);
        const char *cl =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        unsigned long long clen = cl ? strtoull(cl, NULL, 10) : 0;
        if (clen > srv->opts.max_body_bytes)
            return fs_respond_error(req, 413, "body: larger than 512 KiB", 0);
        /* Nothing is reserved from the announced length: memory is taken
         * as the bytes arrive (fs_body_append), under the budget.  A
         * budget already spent is answered now rather than mid-body. */
        if (srv->budget.limit &&
            fs_budget_used(&srv->budget) + 4096 > srv->budget.limit) {
            fs_metrics_refused(srv->metrics, FS_REFUSED_BODY_BUDGET);
            return fs_respond_error(req, 503, BUDGET_MSG, srv->opts.retry_after_s);
        }
        return MHD_YES;
    case FS_EP_PIXEL:
        if (!get)
            return fs_respond_405(req, "GET, HEAD");
        if (!strcmp(method, "HEAD")) /* link checkers and prefetchers: no event */
            return fs_respond_gif(req, 200, NULL, 0);
        return fs_events_admit(req); /* the event is built once the request is complete */
    case FS_EP_OTHER:
        return fs_respond_error(req, 404, "not found", 0);
    default:
        if (!get)
            return fs_respond_405(req, "GET, HEAD");
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
                return fs_respond_gif(req, 400, err, 0);
            return fs_respond_error(req, 400, err, 0);
        }
        return on_headers(srv, req, method);
    }
    if (req->state == REQ_DONE) {
        *upload_data_size = 0; /* answered already: discard the rest of the body */
        return MHD_YES;
    }
    if (req->state == REQ_WAITING) /* resumed: every delivery report is in */
        return fs_events_finish(srv, req);
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
            return fs_respond_mid_body(req, 413, "body: larger than 512 KiB", 0);
        if (e == FS_ERR_TRANSIENT) {
            fs_metrics_refused(srv->metrics, FS_REFUSED_BODY_BUDGET);
            return fs_respond_mid_body(req, 503, BUDGET_MSG, srv->opts.retry_after_s);
        }
        return e == FS_OK ? MHD_YES : MHD_NO;
    }
    fs_conn_arrived(
        req->cn); /* all in: from here on the time is ours, not the client's */
    switch (req->ep) {
    case FS_EP_SEGMENT:
    case FS_EP_EVENTS:
        return fs_events_body(srv, req);
    case FS_EP_PIXEL:
        return fs_events_pixel(srv, req);
    case FS_EP_HEALTHZ:
        return fs_respond_reply(
            req, 200, fs_respond_make("application/json", "{\"status\":\"ok\"}", 15));
    case FS_EP_READYZ:
        if (atomic_load(&srv->kafka_ready))
            return fs_respond_reply(
                req, 200,
                fs_respond_make("application/json", "{\"status\":\"ready\"}", 18));
        return fs_respond_error(req, 503, "kafka unreachable", 1);
    case FS_EP_METRICS:
        return metrics(req);
    case FS_EP_TRACKER:
        return tracker_script(req);
    case FS_EP_DEFINITION:
        return definition(srv, req);
    default:
        return fs_respond_error(req, 404, "not found", 0);
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
    if (!srv->rl_mu_init) {
        fs_httpd_addr_free(&addr);
        snprintf(errstr, sz, "cannot create a mutex");
        goto fail;
    }
    unsigned threads = opts->threads ? opts->threads : 1;
    /* One encoder per HTTP thread, up front. */
    if (!(srv->encoders = fs_encoders_new(threads, e, sizeof(e)))) {
        fs_httpd_addr_free(&addr);
        snprintf(errstr, sz, "codec: %s", e);
        goto fail;
    }
    for (int l = 0; l < FS_LANE__COUNT; l++)
        if (srv->lanes[l])
            fs_producer_set_delivery(srv->lanes[l], fs_events_on_delivery, srv);
    /* The Kafka threads first: a request accepted once the daemon runs
     * must find its delivery reports served. */
    atomic_store(&srv->kafka_ready, 0);
    for (int l = 0; l < FS_LANE__COUNT; l++) {
        struct poller *pl = &srv->pollers[l];
        if (!srv->lanes[l])
            continue;
        pl->srv = srv;
        pl->lane = (fs_lane_t)l;
        if (pthread_create(&pl->th, NULL, fs_events_poll_main, pl) != 0) {
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
    fs_encoders_destroy(srv->encoders);
    if (srv->rl_mu_init)
        pthread_mutex_destroy(&srv->rl_mu);
    fs_ratelimit_destroy(srv->rl);
    fs_metrics_destroy(srv->metrics);
    fs_conns_destroy(srv->conns);
    free(srv);
}
