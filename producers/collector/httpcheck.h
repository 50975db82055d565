/*
 * httpcheck.h — strict checks of an HTTP request's framing and parameters
 * (docs/security.md), in front of libmicrohttpd, which is lenient where a proxy in
 * front of the collector may not be.
 *
 * Owns nothing: pure functions over the header and parameter values
 * libmicrohttpd hands over (with their lengths, so an embedded NUL is seen).
 * Knows nothing of sockets or of libmicrohttpd itself; http.c calls it
 * once the headers are in, before anything of the request is acted on.
 *
 * Why each rule: two Content-Length headers, or a Content-Length next to
 * Transfer-Encoding, are read one way by libmicrohttpd 0.9.75 (the first
 * Content-Length wins, the rest of the body becomes a second request) and
 * maybe another way by a proxy in front — request smuggling.  A header name
 * with a space before its colon ("Content-Length : 2") is dropped by
 * libmicrohttpd but honoured by some proxies.  A NUL in a decoded parameter
 * silently cut the value short.  All of these are refused with 400 naming
 * the field.
 */
#ifndef FS_HTTPCHECK_H
#define FS_HTTPCHECK_H

#include <stddef.h>

#include "fs_err.h"

/** One header or parameter as received: not NUL-terminated for our purposes. */
typedef struct fs_httpcheck_kv {
    const char *name;
    size_t name_len;
    const char *value; /* may be NULL (a parameter without '=') */
    size_t value_len;
} fs_httpcheck_kv_t;

/**
 * Checks the request headers @p h[0..n): every name is an RFC 9110 token;
 * no value holds a control character other than tab; at most one
 * Content-Length, of 1 to 19 decimal digits; at most one Transfer-Encoding,
 * exactly "chunked" (any case), and never together with Content-Length.
 * FS_OK, or FS_ERR_INVALID with @p errstr naming the header ("Content-Length:
 * given more than once").  Duplicates are refused even when their values
 * are equal: a proxy that merges them and one that does not would still
 * disagree on where the body ends.
 */
fs_err_t fs_httpcheck_headers(const fs_httpcheck_kv_t *h, size_t n, char *errstr,
                              size_t errstr_size) FS_WUR;

/**
 * Checks one decoded query parameter: neither its name nor its value holds
 * a NUL or another control character (0x00-0x1f, 0x7f).  FS_OK, or
 * FS_ERR_INVALID with @p errstr naming the parameter ("write_key: contains
 * a control character"; an unprintable name is shown as "query").
 */
fs_err_t fs_httpcheck_param(const fs_httpcheck_kv_t *p, char *errstr,
                            size_t errstr_size) FS_WUR;

#endif
