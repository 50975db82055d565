/*
 * fs_httpd.h — what our libmicrohttpd daemons share (the collector's
 * server, the dashboard of funnel-query serve).
 *
 * Owns one resolved listen address between its resolution and
 * MHD_start_daemon(); logs libmicrohttpd's own messages through fs_log;
 * reads a daemon's bound port.  Knows nothing of routes or requests.
 */
#ifndef FS_HTTPD_H
#define FS_HTTPD_H

#include <stdarg.h>
#include <stddef.h>

#include <microhttpd.h>

#include "fs_err.h"

typedef struct fs_httpd_addr {
    struct addrinfo *ai;       /* owned: fs_httpd_addr_free() */
    const struct sockaddr *sa; /* for MHD_OPTION_SOCK_ADDR; lives in ai */
    unsigned mhd_flags;        /* MHD_USE_IPv6 for an IPv6 address, else 0 */
    int port;
} fs_httpd_addr_t;

/**
 * Resolves @p listen ("host:port", "[v6]:port", ":port") for a passive
 * TCP socket.  @p key names the setting in messages ("listen").
 * @returns FS_OK with @p out filled (the caller frees it after
 *          MHD_start_daemon()), or FS_ERR_INVALID with @p errstr
 *          ("listen: ...") and nothing to free.
 */
fs_err_t fs_httpd_resolve(const char *listen, const char *key, fs_httpd_addr_t *out,
                          char *errstr, size_t errstr_size) FS_WUR;

/** Frees the address of @p a; a zeroed or freed one is a no-op. */
void fs_httpd_addr_free(fs_httpd_addr_t *a);

/**
 * MHD_OPTION_EXTERNAL_LOGGER callback: @p cls is the program's fs_log_t;
 * each message becomes one debug line "http: ...".
 */
void fs_httpd_log(void *cls, const char *fmt, va_list ap);

/** The TCP port @p d is bound to (useful with port 0), or -1. */
int fs_httpd_port(struct MHD_Daemon *d);

#endif
