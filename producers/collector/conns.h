/*
 * conns.h — the open client connections and their request deadlines
 * (docs/security.md: a request must arrive whole within a deadline, whatever its
 * byte rate).
 *
 * libmicrohttpd 0.9.75's connection timeout counts idle time only: a client
 * sending one byte a second is never idle and held its connection (and its
 * share of the connection limit) for as long as it liked.  This registry
 * remembers, per connection, when the request it is receiving began; a
 * sweep hands every connection whose request is not complete by the
 * deadline to a callback, which closes it (http.c shuts the socket down,
 * and libmicrohttpd then closes the connection as if the client had gone).
 *
 * Owns the records and a mutex.  http.c adds a record when libmicrohttpd
 * reports a new connection and removes it when it reports the close —
 * before libmicrohttpd closes the socket — so a descriptor handed to the
 * callback (under the mutex) is always still the connection's own.  The
 * per-request marks are atomics, set from the HTTP threads without the lock.
 * No I/O of its own; the clock is a parameter.
 */
#ifndef FS_CONNS_H
#define FS_CONNS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "fs_err.h"

typedef struct fs_conns fs_conns_t;

typedef struct fs_conn {
    struct fs_conn *prev, *next; /* in the registry, under its mutex */
    int fd;
    atomic_llong request_start_ms; /* when the request being received began */
    atomic_int arrived;            /* 1 once it is all in (or answered) */
    int expired;                   /* handed to the callback already */
} fs_conn_t;

/** NULL when out of memory. */
fs_conns_t *fs_conns_new(void);

/** Frees the registry and any record left in it.  NULL is a no-op. */
void fs_conns_destroy(fs_conns_t *cs);

/**
 * A new record for the connection on socket @p fd, its first request
 * starting at @p now_ms.  NULL when out of memory.
 */
fs_conn_t *fs_conns_add(fs_conns_t *cs, int fd, int64_t now_ms) FS_WUR;

/** Removes and frees @p c (NULL is a no-op); its descriptor is never handed out again. */
void fs_conns_remove(fs_conns_t *cs, fs_conn_t *c);

/** The request on @p c is all in (or answered): its deadline no longer applies. */
void fs_conn_arrived(fs_conn_t *c);

/** The previous request on @p c is done; the next one's deadline runs from @p now_ms. */
void fs_conn_next_request(fs_conn_t *c, int64_t now_ms);

/** Open connections. */
size_t fs_conns_count(fs_conns_t *cs);

/**
 * Calls @p expire(@p arg, fd) once for every connection whose request
 * began more than @p deadline_ms before @p now_ms and has not arrived,
 * with the registry locked (the descriptor is valid for the call).
 * Returns how many were expired.
 */
size_t fs_conns_sweep(fs_conns_t *cs, int64_t now_ms, int64_t deadline_ms,
                      void (*expire)(void *arg, int fd), void *arg);

#endif
