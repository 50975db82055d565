/*
 * fs_log.c — level-checked text / JSON-lines log sink (see fs_log.h).
 */
#include "fs_log.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct fs_log {
    char program[32];
    fs_log_level_t min_level;
    int json;
    FILE *out; /* borrowed */
};

static const char *const level_names[] = {"debug", "info", "warn", "error", "off"};

fs_log_t *fs_log_new(const char *program, fs_log_level_t min_level, int json, FILE *out)
{
    fs_log_t *lg = calloc(1, sizeof(*lg));
    if (!lg)
        return NULL;
    snprintf(lg->program, sizeof(lg->program), "%s", program ? program : "funnel");
    lg->min_level = min_level;
    lg->json = json;
    lg->out = out;
    return lg;
}

void fs_log_destroy(fs_log_t *lg)
{
    free(lg);
}

int fs_log_enabled(const fs_log_t *lg, fs_log_level_t level)
{
    return lg && level >= lg->min_level && level < FS_LOG_OFF;
}

/* Appends @p s to @p dst as the inside of a JSON string. */
static size_t json_escape(char *dst, size_t cap, const char *s)
{
    size_t n = 0;
    for (; *s && n + 7 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            dst[n++] = '\\';
            dst[n++] = (char)c;
        } else if (c < 0x20) {
            n += (size_t)snprintf(dst + n, cap - n, "\\u%04x", c);
        } else {
            dst[n++] = (char)c;
        }
    }
    dst[n] = '\0';
    return n;
}

static void vwrite(fs_log_t *lg, fs_log_level_t level, const fs_log_field_t *fields,
                   size_t nfields, const char *fmt, va_list ap)
{
    char msg[2048];
    vsnprintf(msg, sizeof(msg), fmt, ap);

    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[96];
    snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
             tm.tm_sec, ts.tv_nsec / 1000000);

    char line[4608];
    size_t n = 0;
    /* Appends printf output to line, never past its end (n stops at the
     * last byte, kept for the newline). */
#define PUT(...)                                                                         \
    do {                                                                                 \
        if (n < sizeof(line) - 1) {                                                      \
            int k_ = snprintf(line + n, sizeof(line) - 1 - n, __VA_ARGS__);              \
            if (k_ > 0)                                                                  \
                n += (size_t)k_ < sizeof(line) - 1 - n ? (size_t)k_                      \
                                                       : sizeof(line) - 2 - n;           \
        }                                                                                \
    } while (0)
    if (lg->json) {
        char esc[4096];
        json_escape(esc, sizeof(esc), msg);
        PUT("{\"ts\":\"%s\",\"level\":\"%s\",\"program\":\"%s\",\"msg\":\"%s\"", when,
            level_names[level], lg->program, esc);
        for (size_t i = 0; i < nfields; i++) {
            if (fields[i].s) {
                json_escape(esc, sizeof(esc), fields[i].s);
                PUT(",\"%s\":\"%s\"", fields[i].key, esc);
            } else {
                PUT(",\"%s\":%lld", fields[i].key, fields[i].i);
            }
        }
        /* A truncated record must still be one JSON object. */
        if (n >= sizeof(line) - 2) {
            n = 0;
            json_escape(esc, 1024, msg);
            PUT("{\"ts\":\"%s\",\"level\":\"%s\",\"program\":\"%s\",\"msg\":\"%s\","
                "\"truncated\":true",
                when, level_names[level], lg->program, esc);
        }
        PUT("}");
    } else {
        PUT("%s %s %-5s %s", when, lg->program, level_names[level], msg);
        for (size_t i = 0; i < nfields; i++) {
            if (fields[i].s)
                PUT(" %s=%s", fields[i].key, fields[i].s);
            else
                PUT(" %s=%lld", fields[i].key, fields[i].i);
        }
    }
#undef PUT
    line[n++] = '\n';
    /* One fwrite per record: stdio locks the stream, so lines never interleave. */
    (void)!fwrite(line, 1, n, lg->out);
    fflush(lg->out);
}

void fs_log_write(fs_log_t *lg, fs_log_level_t level, const char *fmt, ...)
{
    if (!fs_log_enabled(lg, level))
        return;
    va_list ap;
    va_start(ap, fmt);
    vwrite(lg, level, NULL, 0, fmt, ap);
    va_end(ap);
}

void fs_log_write_fields(fs_log_t *lg, fs_log_level_t level, const fs_log_field_t *fields,
                         size_t nfields, const char *fmt, ...)
{
    if (!fs_log_enabled(lg, level))
        return;
    va_list ap;
    va_start(ap, fmt);
    vwrite(lg, level, fields, nfields, fmt, ap);
    va_end(ap);
}

fs_err_t fs_log_level_parse(const char *s, fs_log_level_t *out)
{
    for (int i = 0; i <= FS_LOG_OFF; i++) {
        if (strcasecmp(s, level_names[i]) == 0) {
            *out = (fs_log_level_t)i;
            return FS_OK;
        }
    }
    if (strcasecmp(s, "warning") == 0) {
        *out = FS_LOG_WARN;
        return FS_OK;
    }
    return FS_ERR_INVALID;
}
