/*
 * checkpoint.h — funnel-ingest's resume point on disk.
 *
 * Owns the checkpoint file: a few "key value" text lines saying up to which
 * byte offset and line number of the input every message was acknowledged
 * by Kafka, plus a SHA-1 of the bytes just before that offset so that a
 * resume against a different or rewritten file is refused rather than
 * silently skipping data.  fs_checkpoint_format/parse are pure;
 * fs_checkpoint_save/load/tail are the only functions that touch files.
 * Called by the ingest loop; never logs.
 *
 *   # funnel-ingest checkpoint
 *   version 1
 *   offset 1048576
 *   line 5230
 *   tail_bytes 4096
 *   tail_sha1 0123...(40 hex)
 */
#ifndef FS_CHECKPOINT_H
#define FS_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "fs_buf.h"
#include "fs_err.h"

#define FS_CHECKPOINT_TAIL 4096 /* bytes before the offset that are fingerprinted */

typedef struct fs_checkpoint {
    uint64_t offset;   /* the next line starts here */
    uint64_t line;     /* lines 1..line are done */
    uint32_t tail_len; /* bytes fingerprinted (0: none, e.g. for stdin) */
    uint8_t tail_sha1[20];
} fs_checkpoint_t;

/** APPENDS the text form of @p cp to @p out. */
fs_err_t fs_checkpoint_format(const fs_checkpoint_t *cp, fs_buf_t *out) FS_WUR;

/**
 * Parses @p len bytes of @p text.  FS_ERR_INVALID with "line N: reason" in
 * @p errstr on anything unexpected (unknown key, missing offset/line, a
 * version other than 1, tail_bytes above FS_CHECKPOINT_TAIL or beyond the
 * offset); *cp is then zeroed.
 */
fs_err_t fs_checkpoint_parse(const char *text, size_t len, fs_checkpoint_t *cp,
                             char *errstr, size_t errstr_size) FS_WUR;

/**
 * Fingerprints the min(FS_CHECKPOINT_TAIL, offset) bytes before cp->offset
 * of the regular file open at @p fd (pread: the file position is kept).
 * FS_ERR_IO when they cannot all be read (the file is shorter).
 */
fs_err_t fs_checkpoint_tail(int fd, fs_checkpoint_t *cp, char *errstr,
                            size_t errstr_size) FS_WUR;

/**
 * Writes @p cp to @p path durably: a temporary file beside it, fsync,
 * rename over @p path, fsync of the directory.  A crash at any moment
 * leaves either the old or the new checkpoint.  FS_ERR_IO with a sentence.
 */
fs_err_t fs_checkpoint_save(const char *path, const fs_checkpoint_t *cp, char *errstr,
                            size_t errstr_size) FS_WUR;

/**
 * Reads and parses @p path.  FS_ERR_NOT_FOUND when it does not exist,
 * FS_ERR_IO / FS_ERR_INVALID with "PATH: reason" otherwise.
 */
fs_err_t fs_checkpoint_load(const char *path, fs_checkpoint_t *cp, char *errstr,
                            size_t errstr_size) FS_WUR;

#endif
