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

/**
 * One structured field of a record: a string when @p s is non-NULL, else
 * the integer @p i.  In JSON it becomes a member of the record
 * ("partition":3); in text it follows the message as key=value.
 */
typedef struct fs_log_field {
    const char *key; /* borrowed; a plain identifier */
    const char *s;
    long long i;
} fs_log_field_t;

/** Writes one record with @p nfields fields after ts/level/program/msg. */
void fs_log_write_fields(fs_log_t *lg, fs_log_level_t level, const fs_log_field_t *fields,
                         size_t nfields, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/** Parses "debug", "info", "warn", "error", "off" (case-insensitive). */
fs_err_t fs_log_level_parse(const char *s, fs_log_level_t *out) FS_WUR;

#define FS_LOG(lg, level, ...)                                                           \
    do {                                                                                 \
        if (fs_log_enabled((lg), (level)))                                               \
            fs_log_write((lg), (level), __VA_ARGS__);                                    \
    } while (0)

#define FS_LOG_FIELDS(lg, level, fields, nfields, ...)                                   \
    do {                                                                                 \
        if (fs_log_enabled((lg), (level)))                                               \
            fs_log_write_fields((lg), (level), (fields), (nfields), __VA_ARGS__);        \
    } while (0)

#define FS_DEBUG(lg, ...) FS_LOG(lg, FS_LOG_DEBUG, __VA_ARGS__)
#define FS_INFO(lg, ...) FS_LOG(lg, FS_LOG_INFO, __VA_ARGS__)
#define FS_WARN(lg, ...) FS_LOG(lg, FS_LOG_WARN, __VA_ARGS__)
#define FS_ERROR(lg, ...) FS_LOG(lg, FS_LOG_ERROR, __VA_ARGS__)

#endif
