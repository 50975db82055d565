/*
 * fs_err.c — names and classes of fs_err_t.  Pure; no state.
 */
#include "fs_err.h"

const char *fs_err2str(fs_err_t err)
{
    switch (err) {
    case FS_OK:
        return "success";
    case FS_ERR_INVALID:
        return "invalid input";
    case FS_ERR_NOMEM:
        return "out of memory";
    case FS_ERR_IO:
        return "I/O error";
    case FS_ERR_TRANSIENT:
        return "temporarily unavailable";
    case FS_ERR_TIMEOUT:
        return "timed out";
    case FS_ERR_NOT_FOUND:
        return "not found";
    case FS_ERR_CORRUPT:
        return "corrupt data";
    case FS_ERR_UNKNOWN_SCHEMA:
        return "unknown schema fingerprint";
    case FS_ERR_FENCED:
        return "fenced by a newer owner";
    case FS_ERR_CONFLICT:
        return "concurrent update, retry";
    case FS_ERR_FATAL:
        return "fatal error";
    case FS_ERR_OVERFLOW:
        return "value out of range";
    case FS_ERR__COUNT:
        break;
    }
    return "unknown error";
}

int fs_err_is_retriable(fs_err_t err)
{
    return err == FS_ERR_TRANSIENT || err == FS_ERR_TIMEOUT || err == FS_ERR_IO ||
           err == FS_ERR_CONFLICT;
}
