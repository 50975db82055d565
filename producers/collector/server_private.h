/*
 * server_private.h — what the collector's server files share (see server.h).
 *
 * Owns nothing: it declares the server (struct fs_server), one request
 * (request_t), and the functions the parts call across files:
 *   http.c    — the libmicrohttpd daemons, connections, routing, bodies;
 *   events.c  — a request's events: admit, parse, validate, produce,
 *               delivery reports, the answer once all are acknowledged;
 *   respond.c — building and queueing responses (JSON, the GIF, refusals
 *               written mid-body).
 * Only those three files include it.
 */
#ifndef FS_SERVER_PRIVATE_H
#define FS_SERVER_PRIVATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>
#include <microhttpd.h>

#include "body.h"
#include "conns.h"
#include "encoders.h"
#include "intake.h"
#include "metrics.h"
#include "ratelimit.h"
#include "segment.h"
#include "server.h"

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
    fs_encoders_t *encoders; /* one per HTTP thread is created up front */
    struct poller {          /* one delivery-report thread per lane */
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

static inline int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- respond.c: every answer goes through fs_respond_reply() --------- */

/** A response with a copy of @p body; NULL when out of memory. */
struct MHD_Response *fs_respond_make(const char *ctype, const void *body, size_t len);

/**
 * Adds the headers every response gets, queues @p r with @p status, counts
 * it and destroys @p r.  NULL @p r (out of memory) closes the connection.
 * Marks @p req answered (REQ_DONE).
 */
enum MHD_Result fs_respond_reply(request_t *req, unsigned status, struct MHD_Response *r);

/** JSON body (@p obj stolen) with an optional Retry-After and Allow. */
enum MHD_Result fs_respond_json(request_t *req, unsigned status, json_t *obj,
                                int retry_after, const char *allow);

/** {"error": @p msg} with an optional Retry-After. */
enum MHD_Result fs_respond_error(request_t *req, unsigned status, const char *msg,
                                 int retry_after);

/** 405 naming the methods of @p allow, in the body and the Allow header. */
enum MHD_Result fs_respond_405(request_t *req, const char *allow);

/** The pixel's GIF with @p status and, when @p error is set, X-Funnel-Error. */
enum MHD_Result fs_respond_gif(request_t *req, unsigned status, const char *error,
                               int retry_after);

/** The 200/400 answer of a request whose body was parsed (req->intake). */
enum MHD_Result fs_respond_result(request_t *req, unsigned status);

/**
 * Refuses a request whose body is still arriving by writing the answer to
 * the socket itself; returns MHD_NO (libmicrohttpd closes the connection).
 */
enum MHD_Result fs_respond_mid_body(request_t *req, unsigned status, const char *msg,
                                    int retry_after);

/* ---- events.c: a request's events, on the HTTP thread handling it ----- */

/**
 * Write key, then rate admission.  Returns MHD_YES with req->state still
 * REQ_RECEIVING when the request may go on; otherwise it was answered.
 */
enum MHD_Result fs_events_admit(request_t *req);

/** The whole body of /v1/events or a Segment call is in: parse, validate,
 *  dead-letter the rejects, produce the rest (or answer). */
enum MHD_Result fs_events_body(fs_server_t *srv, request_t *req);

/** The pixel's request is complete: its query becomes one event. */
enum MHD_Result fs_events_pixel(fs_server_t *srv, request_t *req);

/** Resumed: every delivery report of the request is in; answers it. */
enum MHD_Result fs_events_finish(fs_server_t *srv, request_t *req);

/** The delivery-report callback given to the producers (@p app_opaque: the
 *  server).  @locality a poll thread */
void fs_events_on_delivery(void *app_opaque, void *msg_opaque, rd_kafka_resp_err_t err);

/** A poll thread's body (@p arg: its struct poller): serves delivery
 *  reports until stop_threads. */
void *fs_events_poll_main(void *arg);

#endif
