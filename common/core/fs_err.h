/*
 * fs_err.h — the one error enum of funnelstream.
 *
 * Every fallible function of ours returns an fs_err_t (or NULL plus an
 * errstr sentence).  Retriable errors are those a caller may overcome by
 * trying again later (broker or Redis unavailable, a timeout); all others
 * are fatal for the input or the configuration they concern.
 */
#ifndef FS_ERR_H
#define FS_ERR_H

typedef enum fs_err {
    FS_OK = 0,
    FS_ERR_INVALID,        /* bad input or configuration: do not retry */
    FS_ERR_NOMEM,          /* allocation failed */
    FS_ERR_IO,             /* file or socket I/O failed */
    FS_ERR_TRANSIENT,      /* dependency unavailable or slow: retry later */
    FS_ERR_TIMEOUT,        /* a deadline passed: retry later */
    FS_ERR_NOT_FOUND,      /* a looked-up item does not exist */
    FS_ERR_CORRUPT,        /* bytes that do not decode */
    FS_ERR_UNKNOWN_SCHEMA, /* a record framed with a fingerprint we do not know */
    FS_ERR_FENCED,         /* another owner took over: stop using this resource */
    FS_ERR_CONFLICT,       /* an optimistic transaction lost a race: recompute, retry */
    FS_ERR_FATAL,          /* unrecoverable internal error */
    FS_ERR_OVERFLOW,       /* a value past what its store can hold: refuse the input */
    FS_ERR__COUNT
} fs_err_t;

/** Human-readable name of @p err (static storage, never NULL). */
const char *fs_err2str(fs_err_t err);

/** Non-zero when @p err may go away by retrying later. */
int fs_err_is_retriable(fs_err_t err);

#define FS_WUR __attribute__((warn_unused_result))

#endif
