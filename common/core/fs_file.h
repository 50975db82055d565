/*
 * fs_file.h — a small text file (a write-key list, a channel table) read
 * whole into memory, with a size bound.  Owns nothing past the call; the
 * one piece of file I/O the configuration loaders share.
 */
#ifndef FS_FILE_H
#define FS_FILE_H

#include <stddef.h>

/**
 * Reads all of @p path, at most @p max bytes, into a new NUL-terminated
 * buffer (the caller frees it) and sets *@p len to its length.
 * @returns the buffer, or NULL with @p errstr naming @p path and the
 *          reason (cannot open, read error, larger than @p max, out of
 *          memory).
 */
char *fs_file_read(const char *path, size_t max, size_t *len, char *errstr,
                   size_t errstr_size) __attribute__((warn_unused_result));

#endif
