/*
 * fs_url.h — parsing of the addresses in our configuration (pure).
 *
 * Owns nothing; parses "host:port" listen addresses and redis:// URLs into
 * caller-provided structs.  Error sentences name the problem, not the key:
 * the configuration layer prefixes the key.
 */
#ifndef FS_URL_H
#define FS_URL_H

#include <stddef.h>

#include "fs_err.h"

typedef struct fs_hostport {
    char host[256]; /* "" for "any address" in ":8080" */
    int port;
} fs_hostport_t;

/** Parses "host:port", "[v6]:port" or ":port".  Port must be 1..65535. */
fs_err_t fs_hostport_parse(const char *s, fs_hostport_t *out, char *errstr,
                           size_t errstr_size) FS_WUR;

typedef struct fs_redis_url {
    char host[256];
    int port;            /* default 6379 */
    char username[128];  /* "" when absent */
    char password[256];  /* "" when absent */
    int db;              /* default 0 */
    char unix_path[256]; /* set for unix:///path; host is "" then */
} fs_redis_url_t;

/**
 * Parses redis://[user[:password]@]host[:port][/db] or unix:///path[?db=N].
 * Percent-escapes in user and password are decoded.
 */
fs_err_t fs_redis_url_parse(const char *s, fs_redis_url_t *out, char *errstr,
                            size_t errstr_size) FS_WUR;

#endif
