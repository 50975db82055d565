/*
 * respond.c — the collector's answers (server_private.h).
 *
 * Owns how a request is answered: the headers every response gets
 * (Cache-Control, CORS, Connection: close), the JSON bodies, the pixel's
 * GIF, the 200/400 result of a batch, and the refusal written straight to
 * the socket while a body is still arriving.  Every answer is counted in
 * the metrics here and only here.  Called by http.c and events.c on the
 * HTTP thread handling the request.  Decides no status itself.
 */
#include "server_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "pixel.h"

struct MHD_Response *fs_respond_make(const char *ctype, const void *body, size_t len)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (r && ctype)
        MHD_add_response_header(r, "Content-Type", ctype);
    return r;
}

/* Adds the headers every response gets, queues @p r with @p status, counts
 * it and destroys @p r.  NULL @p r (out of memory) closes the connection. */
enum MHD_Result fs_respond_reply(request_t *req, unsigned status, struct MHD_Response *r)
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
enum MHD_Result fs_respond_json(request_t *req, unsigned status, json_t *obj,
                                int retry_after, const char *allow)
{
    char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    if (!text)
        return fs_respond_reply(
            req, 500,
            fs_respond_make("application/json", "{\"error\":\"out of memory\"}", 25));
    struct MHD_Response *r = fs_respond_make("application/json", text, strlen(text));
    free(text);
    add_retry_after(r, retry_after);
    if (r && allow)
        MHD_add_response_header(r, "Allow", allow);
    return fs_respond_reply(req, status, r);
}

enum MHD_Result fs_respond_error(request_t *req, unsigned status, const char *msg,
                                 int retry_after)
{
    return fs_respond_json(req, status, json_pack("{s:s}", "error", msg), retry_after,
                           NULL);
}

enum MHD_Result fs_respond_405(request_t *req, const char *allow)
{
    char msg[64];
    snprintf(msg, sizeof(msg), "method not allowed: use %s", allow);
    return fs_respond_json(req, 405, json_pack("{s:s}", "error", msg), 0, allow);
}

/* The pixel always answers the GIF (an <img> shows nothing else); the
 * status and X-Funnel-Error tell a developer looking at the network tab. */
enum MHD_Result fs_respond_gif(request_t *req, unsigned status, const char *error,
                               int retry_after)
{
    struct MHD_Response *r =
        fs_respond_make("image/gif", fs_pixel_gif, sizeof(fs_pixel_gif));
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
    return fs_respond_reply(req, status, r);
}

/* The 200/400 body: accepted count and every rejected index with its reason. */
static json_t *result_json(const fs_intake_t *in)
{
    /* jansson's dump of the same object (keys in insertion order); the
     * common all-accepted answer is written without it in fs_respond_result(). */
    json_t *rejected = json_array();
    for (size_t i = 0; rejected && i < in->n; i++)
        if (!in->items[i].ok)
            json_array_append_new(rejected, json_pack("{s:I,s:s}", "index", (json_int_t)i,
                                                      "error", in->items[i].error));
    return json_pack("{s:I,s:o}", "accepted", (json_int_t)in->accepted, "rejected",
                     rejected);
}

/* The 200/400 answer of a request whose body was parsed. */
enum MHD_Result fs_respond_result(request_t *req, unsigned status)
{
    const fs_intake_t *in = &req->intake;
    if (in->accepted < in->n)
        return fs_respond_json(req, status, result_json(in), 0, NULL);
    if (req->ep == FS_EP_SEGMENT) /* Segment's answer (docs/segment.md) */
        return fs_respond_reply(
            req, status, fs_respond_make("application/json", "{\"success\":true}", 16));
    /* Nothing rejected (nearly every request): the bytes jansson would
     * write, without building and dumping an object for them. */
    char text[64];
    int len =
        snprintf(text, sizeof(text), "{\"accepted\":%zu,\"rejected\":[]}", in->accepted);
    return fs_respond_reply(req, status,
                            fs_respond_make("application/json", text, (size_t)len));
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
enum MHD_Result fs_respond_mid_body(request_t *req, unsigned status, const char *msg,
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
