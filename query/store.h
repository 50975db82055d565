/*
 * store.h — the aggregates funnel-query reads from Redis.
 *
 * Owns one blocking hiredis connection (opened by common/io/fs_redis.h) and
 * the knowledge of which keys and fields of docs/redis-keys.md answer a
 * query.
 * Called by query/query.c (for the CLI and the dashboard's API) and
 * query/serve.c (readiness).  Reads and never writes; knows nothing of
 * output formats (the report modules render) nor of Kafka.  Not
 * thread-safe: one caller at a time (the dashboard keeps one per request
 * in flight).
 */
#ifndef FS_QUERY_STORE_H
#define FS_QUERY_STORE_H

#include <stddef.h>

#include "fs_conf.h"
#include "fs_err.h"
#include "attrib_report.h"
#include "handoff_report.h"
#include "report.h"
#include "series.h"

typedef struct fs_qstore fs_qstore_t;

/**
 * Connects with fs_redis_connect() (redis.url, redis.password_file: AUTH
 * and SELECT) and reads keys under the configured namespace.  @p conf is
 * borrowed for the call only.
 * @returns a store the caller destroys, or NULL when Redis cannot be
 *          reached or refuses AUTH/SELECT, or memory runs out; @p errstr
 *          then says why (never with the password).
 */
fs_qstore_t *fs_qstore_open(const fs_conf_t *conf, char *errstr, size_t errstr_size);

/** Closes the connection.  NULL is a no-op. */
void fs_qstore_destroy(fs_qstore_t *qs);

/**
 * Fills r->rows with the counts of days r->from..r->to under r->filter:
 * events from `<ns>:v1:events:<day>` and, when at least one day of the
 * range has a `<ns>:v1:users:<day>` hash, users from those hashes (a day
 * without one counts zero); otherwise users_known stays 0.  Fields: `s:`
 * unfiltered, `sc:<stage>:<channel>`, `sk:<stage>:<campaign>`.  Days are
 * read in pipelined batches.
 * @returns FS_OK; FS_ERR_TRANSIENT / FS_ERR_IO when the connection fails
 *          or Redis answers an error (e.g. WRONGTYPE, NOAUTH);
 *          FS_ERR_CORRUPT when a field is not a non-negative integer or a
 *          sum overflows.  On failure @p errstr names the key, r->rows is
 *          unspecified and @p qs must only be destroyed.
 */
fs_err_t fs_qstore_read_funnel(fs_qstore_t *qs, fs_funnel_report_t *r, char *errstr,
                               size_t errstr_size) FS_WUR;

/**
 * Sums the attribution credit of days @p from..@p to (inclusive) into
 * @p sums: every field of `<ns>:v1:attr:<day>:<model>:<by>:<currency>`
 * goes through fs_attr_sums_add().  One HGETALL per day, pipelined in
 * batches; a missing hash is a day without conversions.  @p model, @p by
 * and @p currency are the validated option values.
 * @returns FS_OK; FS_ERR_TRANSIENT / FS_ERR_IO when the connection fails
 *          or Redis answers an error (WRONGTYPE ...); FS_ERR_CORRUPT for
 *          an unexpected reply or a value that is not an integer;
 *          FS_ERR_NOMEM.  On failure @p errstr names the key, @p sums is
 *          unspecified and @p qs must only be destroyed.
 */
fs_err_t fs_qstore_read_attribution(fs_qstore_t *qs, int64_t from, int64_t to,
                                    const char *model, const char *by,
                                    const char *currency, fs_attr_sums_t *sums,
                                    char *errstr, size_t errstr_size) FS_WUR;

/**
 * Fails with FS_ERR_INVALID and a message naming the setting when the
 * namespace's workers keep no attribution (`<ns>:v1:attribution` is "off":
 * FUNNEL_ATTRIBUTION=false), so an attribution or handoff query says why it
 * would be empty instead of showing zeros.  FS_OK when it is "on", unset,
 * or not readable by the connection's ACL user (NOPERM); FS_ERR_CORRUPT for
 * any other value; FS_ERR_IO / FS_ERR_TRANSIENT as the reads below.
 */
fs_err_t fs_qstore_require_attribution(fs_qstore_t *qs, char *errstr,
                                       size_t errstr_size) FS_WUR;

/**
 * Sums the handoff counts of lead days r->from..r->to into @p r (leads,
 * within_sla, delays; see fs_handoff_add()) from `<ns>:v1:handoff:<day>`,
 * one pipelined HGETALL per day, then fs_handoff_finish()es it.
 * @returns and failures as fs_qstore_read_attribution(); r->delays is
 *          the caller's to free either way.
 */
fs_err_t fs_qstore_read_handoff(fs_qstore_t *qs, fs_handoff_report_t *r, char *errstr,
                                size_t errstr_size) FS_WUR;

/**
 * Fills s->values, one per day of s->from..s->to, from the hash field
 * fs_series_source() names: one pipelined HGET per day; a missing hash or
 * field is 0.
 * @returns and failures as fs_qstore_read_attribution().
 */
fs_err_t fs_qstore_read_series(fs_qstore_t *qs, fs_series_t *s, char *errstr,
                               size_t errstr_size) FS_WUR;

/**
 * PING: whether Redis answers on this connection (the dashboard's readyz).
 * @returns FS_OK, or FS_ERR_TRANSIENT / FS_ERR_IO with @p errstr.
 */
fs_err_t fs_qstore_ping(fs_qstore_t *qs, char *errstr, size_t errstr_size) FS_WUR;

#endif
