/*
 * fs_log.h — the one log sink of a program.
 *
 * Owns: the minimum level, the output format (text or JSON lines) and the
 * output stream (borrowed, normally stderr).  Called from any thread: each
 * record is formatted into a local buffer and written with one fwrite, so
 * lines never interleave.  Libraries (everything in common/) never print;
 * they return errors, and programs log them here.  Never log request
 * bodies, e-mail addresses or full IP addresses.
 */
#ifndef FS_LOG_H
#define FS_LOG_H

#include <stdio.h>

#include "fs_err.h"

typedef enum fs_log_level {
    FS_LOG_DEBUG,
    FS_LOG_INFO,
    FS_LOG_WARN,
    FS_LOG_ERROR,
    FS_LOG_OFF
} fs_log_level_t;

typedef struct fs_log fs_log_t;

/**
 * Creates a sink writing records of at least @p min_level to @p out
 * (borrowed; must outlive the sink).  @p program is copied.  @p json selects
 * JSON lines ({"ts":..,"level":..,"program":..,"msg":..}) over text.
 * Returns NULL only when out of memory.
 */
fs_log_t *fs_log_new(const char *program, fs_log_level_t min_level, int json, FILE *out);
void fs_log_destroy(fs_log_t *lg);

/** Non-zero when a record at @p level would be written (cheap; call before formatting).
 */
int fs_log_enabled(const fs_log_t *lg, fs_log_level_t level);

/** Writes one record.  Prefer FS_LOG(), which checks the level first. */
void fs_log_write(fs_log_t *lg, fs_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Parses "debug", "info", "warn", "error", "off" (case-insensitive). */
fs_err_t fs_log_level_parse(const char *s, fs_log_level_t *out) FS_WUR;

#define FS_LOG(lg, level, ...)                                                           \
    do {                                                                                 \
        if (fs_log_enabled((lg), (level)))                                               \
            fs_log_write((lg), (level), __VA_ARGS__);                                    \
    } while (0)

#define FS_DEBUG(lg, ...) FS_LOG(lg, FS_LOG_DEBUG, __VA_ARGS__)
#define FS_INFO(lg, ...) FS_LOG(lg, FS_LOG_INFO, __VA_ARGS__)
#define FS_WARN(lg, ...) FS_LOG(lg, FS_LOG_WARN, __VA_ARGS__)
#define FS_ERROR(lg, ...) FS_LOG(lg, FS_LOG_ERROR, __VA_ARGS__)

#endif
