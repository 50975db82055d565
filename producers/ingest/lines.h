/*
 * lines.h — NDJSON line splitting for funnel-ingest.
 *
 * Owns the state of cutting a byte stream into lines: the partial line
 * carried from one chunk to the next, line numbers and byte offsets, and
 * the bound on how much of an overlong line is kept.  Called by the ingest
 * loop (ingest.c), which reads the chunks.  Pure: no I/O, no clock, never
 * prints; a line that fits inside the chunk it ends in is returned without
 * copying.
 */
#ifndef FS_LINES_H
#define FS_LINES_H

#include <stddef.h>
#include <stdint.h>

#include "fs_buf.h"
#include "fs_err.h"

/** Longest line accepted, without its newline (docs/funnel-ingest.md). */
#define FS_LINES_MAX_LEN (64 * 1024)

typedef struct fs_line {
    const char *text; /* the line without "\n" or a trailing "\r"; borrowed until the
                         next fs_lines_next() or a change of the chunk */
    size_t len;       /* bytes at text; at most max_len (less than total when overlong) */
    size_t total;     /* full length of the line without its terminator */
    uint64_t line_no; /* 1-based line number in the whole input */
    uint64_t start;   /* byte offset of the line's first byte */
    uint64_t end;     /* byte offset just past its "\n" (where the next line starts) */
    int overlong;     /* total > max_len: text holds only the first max_len bytes */
} fs_line_t;

typedef struct fs_lines {
    size_t max_len;
    uint64_t offset;    /* offset of the next byte to be consumed */
    uint64_t line_no;   /* lines returned so far (plus the starting line) */
    fs_buf_t carry;     /* start of a line that began in an earlier chunk */
    size_t carry_total; /* its full length so far (carry keeps at most max_len) */
    char carry_last;    /* its last byte so far (a "\r" may end a CRLF line) */
    int carrying;       /* a line is in progress across chunks */
} fs_lines_t;

/**
 * Starts splitting at byte @p offset, after line @p line_no (0 at the start
 * of a file; a checkpoint's values when resuming).  @p max_len is the most
 * bytes of one line kept (FS_LINES_MAX_LEN).  Nothing is allocated yet.
 */
void fs_lines_init(fs_lines_t *ls, size_t max_len, uint64_t offset, uint64_t line_no);

/** Frees the carried bytes.  Safe on an initialised or zeroed splitter. */
void fs_lines_free(fs_lines_t *ls);

/**
 * Returns the next complete line of @p chunk (@p len bytes) starting at
 * chunk[*pos], advancing *pos past it.  Call repeatedly with the same chunk
 * until it returns 0 (the rest of the chunk, if any, is carried over:
 * feed the next chunk with *pos = 0).  With @p eof non-zero and the chunk
 * used up, a final line without "\n" is returned too.
 *
 * @returns 1 with *out filled, 0 when the chunk is used up, or -1 when out
 *          of memory (nothing consumed).
 */
int fs_lines_next(fs_lines_t *ls, const char *chunk, size_t len, size_t *pos, int eof,
                  fs_line_t *out) FS_WUR;

/** Non-zero when @p len bytes of @p text hold only spaces, tabs and "\r". */
int fs_lines_blank(const char *text, size_t len);

#endif
