/*
 * tally.c — counts, progress line and summary of a run (see tally.h).
 */
#include "tally.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_text.h"

void fs_tally_init(fs_tally_t *t, uint64_t offset, uint64_t line)
{
    memset(t, 0, sizeof(*t));
    t->start_offset = offset;
    t->start_line = line;
}

void fs_tally_reason_class(const char *error, char out[FS_TALLY_CLASS_MAX + 1])
{
    const char *colon = error ? strchr(error, ':') : NULL;
    size_t n = colon ? (size_t)(colon - error) : 0;
    while (n > 0 && error[n - 1] == ' ')
        n--;
    if (n == 0) {
        snprintf(out, FS_TALLY_CLASS_MAX + 1, "event");
        return;
    }
    if (n > FS_TALLY_CLASS_MAX)
        n = FS_TALLY_CLASS_MAX;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)error[i];
        out[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    out[n] = '\0';
}

static fs_tally_reason_t *find_reason(fs_tally_t *t, const char *name)
{
    for (size_t i = 0; i < t->nreasons; i++)
        if (!strcmp(t->reasons[i].name, name))
            return &t->reasons[i];
    return NULL;
}

void fs_tally_reject(fs_tally_t *t, const char *error)
{
    char name[FS_TALLY_CLASS_MAX + 1];
    fs_tally_reason_class(error, name);
    t->rejected++;
    fs_tally_reason_t *r = find_reason(t, name);
    /* Unknown top-level fields are classes of their own and come from the
     * input: past FS_TALLY_MAX_CLASSES they share one "(other)" slot (the
     * array has room for it). */
    if (!r && t->nreasons >= FS_TALLY_MAX_CLASSES) {
        snprintf(name, sizeof(name), "(other)");
        r = find_reason(t, name);
    }
    if (!r) {
        r = &t->reasons[t->nreasons++];
        memcpy(r->name, name, sizeof(r->name));
        r->count = 0;
    }
    r->count++;
}

static int by_count(const void *a, const void *b)
{
    const fs_tally_reason_t *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->name, y->name);
}

void fs_tally_sort(fs_tally_t *t)
{
    qsort(t->reasons, t->nreasons, sizeof(t->reasons[0]), by_count);
}

double fs_tally_rate(const fs_tally_t *t, double elapsed_s)
{
    return elapsed_s > 0 ? (double)(t->accepted + t->rejected) / elapsed_s : 0;
}

double fs_tally_eta(const fs_tally_t *t, double elapsed_s, uint64_t total_bytes)
{
    uint64_t pos = t->start_offset + t->bytes;
    if (!total_bytes || !t->bytes || elapsed_s <= 0 || pos > total_bytes)
        return -1;
    return (double)(total_bytes - pos) * elapsed_s / (double)t->bytes;
}

void fs_tally_format_duration(double s, char *out, size_t sz)
{
    if (s < 0 || !isfinite(s) || s > 1e9) {
        snprintf(out, sz, "--:--");
        return;
    }
    unsigned long long n = (unsigned long long)ceil(s);
    if (n >= 3600)
        snprintf(out, sz, "%llu:%02llu:%02llu", n / 3600, n / 60 % 60, n % 60);
    else
        snprintf(out, sz, "%llu:%02llu", n / 60, n % 60);
}

/* Bytes as "12.3 MiB". */
static void human_bytes(uint64_t b, char *out, size_t sz)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)b;
    int u = 0;
    while (v >= 1024 && u < 4)
        v /= 1024, u++;
    if (u == 0)
        snprintf(out, sz, "%llu B", (unsigned long long)b);
    else
        snprintf(out, sz, "%.1f %s", v, unit[u]);
}

void fs_tally_progress(const fs_tally_t *t, double elapsed_s, uint64_t total_bytes,
                       char *out, size_t sz)
{
    char pos[32], tot[32], eta[32];
    uint64_t at = t->start_offset + t->bytes;
    human_bytes(at, pos, sizeof(pos));
    double rate = fs_tally_rate(t, elapsed_s);
    if (total_bytes) {
        double pct = at >= total_bytes ? 100.0 : 100.0 * (double)at / (double)total_bytes;
        human_bytes(total_bytes, tot, sizeof(tot));
        fs_tally_format_duration(fs_tally_eta(t, elapsed_s, total_bytes), eta,
                                 sizeof(eta));
        snprintf(out, sz,
                 "%5.1f%%  %s / %s  %.0f ev/s  accepted %llu  rejected %llu  ETA %s", pct,
                 pos, tot, rate, (unsigned long long)t->accepted,
                 (unsigned long long)t->rejected, eta);
    } else {
        snprintf(out, sz, "%s  %.0f ev/s  accepted %llu  rejected %llu", pos, rate,
                 (unsigned long long)t->accepted, (unsigned long long)t->rejected);
    }
}

fs_err_t fs_tally_summary_text(const fs_tally_t *t, const fs_tally_end_t *end,
                               fs_buf_t *out)
{
    char dur[32];
    fs_tally_format_duration(end->duration_s, dur, sizeof(dur));
    /* The file name and the classes (unknown field names) come from the
     * input: escaped (fs_text.h) so they cannot drive the terminal. */
    fs_err_t err = fs_buf_puts(out, "funnel-ingest: ");
    if (!err)
        err = fs_text_escape(out, end->input, strlen(end->input));
    if (!err)
        err = fs_buf_printf(
            out,
            ": %s\n"
            "  lines read    %llu (%llu blank)%s\n"
            "  accepted      %llu (%llu acknowledged by Kafka)\n"
            "  rejected      %llu\n",
            end->outcome, (unsigned long long)t->lines, (unsigned long long)t->blank,
            t->start_line ? " after resuming" : "", (unsigned long long)t->accepted,
            (unsigned long long)t->acked, (unsigned long long)t->rejected);
    for (size_t i = 0; !err && i < t->nreasons; i++) {
        const char *name = t->reasons[i].name;
        size_t len = strlen(name), width = fs_text_width(name, len);
        if (!(err = fs_buf_puts(out, "    ")) && !(err = fs_text_escape(out, name, len)))
            err = fs_buf_printf(out, "%*s %llu\n", width < 24 ? (int)(24 - width) : 0, "",
                                (unsigned long long)t->reasons[i].count);
    }
    if (!err)
        err = fs_buf_printf(out, "  duration      %.3f s (%s), %.0f events/s\n",
                            end->duration_s, dur, fs_tally_rate(t, end->duration_s));
    if (!err && t->start_line)
        err = fs_buf_printf(out, "  resumed at    line %llu (byte %llu)\n",
                            (unsigned long long)t->start_line + 1,
                            (unsigned long long)t->start_offset);
    if (!err)
        err = fs_buf_printf(out, "  acknowledged  through line %llu (byte %llu)%s%s\n",
                            (unsigned long long)end->mark_line,
                            (unsigned long long)end->mark_offset,
                            end->checkpoint ? ", checkpoint " : "",
                            end->checkpoint ? end->checkpoint : "");
    return err;
}

/* Appends @p s as a JSON string (UTF-8 passed through, controls escaped). */
static fs_err_t json_str(fs_buf_t *out, const char *s)
{
    fs_err_t err = fs_buf_puts(out, "\"");
    for (const unsigned char *p = (const unsigned char *)s; !err && *p; p++) {
        if (*p == '"' || *p == '\\')
            err = fs_buf_printf(out, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            err = fs_buf_printf(out, "\\u%04x", *p);
        else
            err = fs_buf_append(out, p, 1);
    }
    return err ? err : fs_buf_puts(out, "\"");
}

fs_err_t fs_tally_summary_json(const fs_tally_t *t, const fs_tally_end_t *end,
                               fs_buf_t *out)
{
    fs_err_t err = fs_buf_puts(out, "{\"input\":");
    if (!err)
        err = json_str(out, end->input);
    if (!err)
        err = fs_buf_puts(out, ",\"outcome\":");
    if (!err)
        err = json_str(out, end->outcome);
    if (!err)
        err =
            fs_buf_printf(out,
                          ",\"exit_code\":%d,\"lines_read\":%llu,\"blank_lines\":%llu,"
                          "\"accepted\":%llu,\"acknowledged\":%llu,\"rejected\":%llu,"
                          "\"rejected_by_reason\":{",
                          end->exit_code, (unsigned long long)t->lines,
                          (unsigned long long)t->blank, (unsigned long long)t->accepted,
                          (unsigned long long)t->acked, (unsigned long long)t->rejected);
    for (size_t i = 0; !err && i < t->nreasons; i++) {
        if (i)
            err = fs_buf_puts(out, ",");
        if (!err)
            err = json_str(out, t->reasons[i].name);
        if (!err)
            err = fs_buf_printf(out, ":%llu", (unsigned long long)t->reasons[i].count);
    }
    if (!err)
        err = fs_buf_printf(
            out,
            "},\"dead_letters_acknowledged\":%llu,\"delivery_failures\":%llu,"
            "\"duration_s\":%.3f,\"events_per_s\":%.1f,\"start_line\":%llu,"
            "\"acknowledged_through_line\":%llu,\"acknowledged_through_offset\":%llu,"
            "\"checkpoint\":",
            (unsigned long long)t->dlq_acked, (unsigned long long)t->failed,
            end->duration_s, fs_tally_rate(t, end->duration_s),
            (unsigned long long)t->start_line + 1, (unsigned long long)end->mark_line,
            (unsigned long long)end->mark_offset);
    if (!err)
        err = end->checkpoint ? json_str(out, end->checkpoint) : fs_buf_puts(out, "null");
    if (!err)
        err = fs_buf_puts(out, "}\n");
    return err;
}
