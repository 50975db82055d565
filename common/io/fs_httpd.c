/*
 * fs_httpd.c — listen addresses and logging of our libmicrohttpd daemons
 * (see fs_httpd.h).
 */
#include "fs_httpd.h"

#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "fs_log.h"
#include "fs_url.h"

fs_err_t fs_httpd_resolve(const char *listen, const char *key, fs_httpd_addr_t *out,
                          char *errstr, size_t sz)
{
    fs_hostport_t hp;
    struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
                             .ai_socktype = SOCK_STREAM};
    char port[8], e[256];
    memset(out, 0, sizeof(*out));
    if (fs_hostport_parse(listen, &hp, e, sizeof(e)) != FS_OK) {
        snprintf(errstr, sz, "%s: %s", key, e);
        return FS_ERR_INVALID;
    }
    snprintf(port, sizeof(port), "%d", hp.port);
    int gai = getaddrinfo(hp.host[0] ? hp.host : NULL, port, &hints, &out->ai);
    if (gai != 0) {
        snprintf(errstr, sz, "%s: %s: %s", key, listen, gai_strerror(gai));
        out->ai = NULL;
        return FS_ERR_INVALID;
    }
    out->sa = out->ai->ai_addr;
    out->port = hp.port;
    out->mhd_flags = out->ai->ai_family == AF_INET6 ? MHD_USE_IPv6 : 0;
    return FS_OK;
}

void fs_httpd_addr_free(fs_httpd_addr_t *a)
{
    if (a->ai)
        freeaddrinfo(a->ai);
    a->ai = NULL;
    a->sa = NULL;
}

void fs_httpd_log(void *cls, const char *fmt, va_list ap)
{
    fs_log_t *lg = cls;
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    FS_DEBUG(lg, "http: %s", msg);
}

int fs_httpd_port(struct MHD_Daemon *d)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : -1;
}
