/*
 * ingest.c — the funnel-ingest loop (see ingest.h).
 *
 * Flow per line: split (lines.c) → blank? skip : validate → id → encode →
 * produce (async) | dead-letter.  Every produced message carries its
 * sequence number in the acknowledgement window (ackwin.c) as its opaque,
 * with the low bit telling an event from a dead letter; delivery reports
 * retire them and move the low-water mark that checkpoints record.
 */
#include "ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ackwin.h"
#include "checkpoint.h"
#include "event_id.h"
#include "fs_signal.h"
#include "fs_validate.h"
#include "lines.h"

#define CHUNK (1024 * 1024) /* read size: 1 MiB keeps syscalls < 1% of the time */
#define POLL_EVERY 1024     /* lines between two non-blocking polls */
#define PROGRESS_MS 200     /* redraw period of the progress line */

_Static_assert(FS_LINES_MAX_LEN >= FS_DEAD_LETTER_RAW_MAX,
               "an overlong line keeps at least what a dead letter holds");

struct fs_ingest {
    fs_ingest_opts_t o;
    char *input, *checkpoint, *id_namespace; /* owned copies */
    fs_producer_t *producer;                 /* borrowed */
    fs_codec_t *codec;                       /* borrowed */
    const fs_definition_t *def;              /* borrowed */
    fs_log_t *lg;                            /* borrowed */
    int fd;
    int regular;   /* a regular file: size known, tail fingerprint possible */
    uint64_t size; /* at open, for progress; 0 when unknown */
    fs_ackwin_t *win;
    fs_lines_t lines;
    fs_tally_t tally;
    fs_buf_t scratch;
    char *chunk;
    double t0, last_progress, last_checkpoint;
    fs_ackwin_mark_t saved; /* what the checkpoint file holds */
    int progress_drawn;
    int checkpoint_warned;
    char failure[512]; /* the first delivery or produce error */
    int failed;        /* set once a message cannot be acknowledged: stop reading */
    const char *outcome;
    int exit_code;
    double duration;
};

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Delivery report: @locality inside our fs_producer_poll(). */
static void on_delivery(void *app, void *msg_opaque, rd_kafka_resp_err_t err)
{
    fs_ingest_t *ing = app;
    uintptr_t tag = (uintptr_t)msg_opaque;
    int dlq = (int)(tag & 1);
    if (fs_ackwin_ack(ing->win, (uint64_t)(tag >> 1),
                      err == RD_KAFKA_RESP_ERR_NO_ERROR) != FS_OK)
        return; /* not ours: cannot happen, every message is tagged */
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (dlq)
            ing->tally.dlq_acked++;
        else
            ing->tally.acked++;
        return;
    }
    ing->tally.failed++;
    if (!ing->failed)
        snprintf(ing->failure, sizeof(ing->failure), "%s", rd_kafka_err2str(err));
    ing->failed = 1;
}

static void clear_progress(fs_ingest_t *ing)
{
    if (ing->progress_drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        ing->progress_drawn = 0;
    }
}

static void draw_progress(fs_ingest_t *ing, double now)
{
    char line[256];
    ing->tally.bytes = ing->lines.offset - ing->tally.start_offset;
    fs_tally_progress(&ing->tally, now - ing->t0, ing->size, line, sizeof(line));
    fprintf(stderr, "\r%s\033[K", line);
    fflush(stderr);
    ing->progress_drawn = 1;
    ing->last_progress = now;
}

/* Writes the checkpoint when the mark moved (or @p force).  Returns FS_OK or
 * the error of the write, which is logged once. */
static fs_err_t save_checkpoint(fs_ingest_t *ing, double now, int force)
{
    fs_ackwin_mark_t m = fs_ackwin_mark(ing->win);
    if (!ing->checkpoint || (!force && m.offset == ing->saved.offset))
        return FS_OK;
    char err[512];
    fs_checkpoint_t cp = {.offset = m.offset, .line = m.line};
    fs_err_t e = FS_OK;
    if (ing->regular)
        e = fs_checkpoint_tail(ing->fd, &cp, err, sizeof(err));
    if (!e)
        e = fs_checkpoint_save(ing->checkpoint, &cp, err, sizeof(err));
    ing->last_checkpoint = now;
    if (e) {
        if (!ing->checkpoint_warned) {
            clear_progress(ing);
            FS_WARN(ing->lg, "checkpoint not written: %s", err);
        }
        ing->checkpoint_warned = 1;
        return e;
    }
    ing->saved = m;
    return FS_OK;
}

/* Serves delivery reports (waiting up to @p wait_ms) and does the periodic
 * work: progress line, checkpoint. */
static void tick(fs_ingest_t *ing, int wait_ms)
{
    fs_producer_poll(ing->producer, wait_ms);
    double now = mono_s();
    if (ing->o.progress && now - ing->last_progress >= PROGRESS_MS / 1000.0)
        draw_progress(ing, now);
    if (ing->checkpoint && now - ing->last_checkpoint >= ing->o.checkpoint_ms / 1000.0)
        (void)save_checkpoint(ing, now, 0);
}

/* Produces one message, backing off while librdkafka's queue or our window
 * is full.  Returns FS_OK once queued (and pushed into the window), or an
 * error when a stop request or a Kafka failure ended the wait. */
static fs_err_t produce(fs_ingest_t *ing, int dlq, const char *key, const fs_line_t *line)
{
    char err[512];
    for (;;) {
        if (fs_ackwin_full(ing->win)) {
            tick(ing, 10);
        } else {
            uint64_t seq = fs_ackwin_next_seq(ing->win);
            void *tag = (void *)(uintptr_t)(seq << 1 | (uint64_t)dlq);
            fs_err_t e =
                dlq ? fs_producer_send_dlq(ing->producer, key, ing->scratch.data,
                                           ing->scratch.len, tag, err, sizeof(err))
                    : fs_producer_send(ing->producer, key, ing->scratch.data,
                                       ing->scratch.len, tag, err, sizeof(err));
            if (e == FS_OK)
                return fs_ackwin_push(ing->win, line->end, line->line_no, &seq);
            if (e != FS_ERR_TRANSIENT) {
                if (!ing->failed)
                    snprintf(ing->failure, sizeof(ing->failure), "%s", err);
                ing->failed = 1;
                return e;
            }
            tick(ing, 10); /* queue full: let deliveries drain it, then retry */
        }
        if (ing->failed || fs_signal_stop_requested())
            return FS_ERR_TRANSIENT;
    }
}

/* Counts, logs and dead-letters a rejected line. */
static fs_err_t reject(fs_ingest_t *ing, const fs_line_t *line, const char *why)
{
    char reason[768], err[256];
    snprintf(reason, sizeof(reason), "line %" PRIu64 ": %s", line->line_no, why);
    if (ing->tally.rejected < ing->o.log_rejects) {
        clear_progress(ing);
        FS_WARN(ing->lg, "%s", reason);
    } else if (ing->tally.rejected == ing->o.log_rejects && ing->o.log_rejects) {
        clear_progress(ing);
        FS_WARN(ing->lg,
                "further rejected lines are counted and dead-lettered, not logged");
    }
    fs_dead_letter_t dl = {.reason = reason,
                           .source = "ingest",
                           .at_ms = wall_ms(),
                           .raw = line->text,
                           /* raw_length must be the full line's; the codec reads
                            * only the first FS_DEAD_LETTER_RAW_MAX bytes, which an
                            * overlong line's kept prefix always holds. */
                           .raw_len = line->overlong ? line->total : line->len,
                           .partition = -1,
                           .offset = -1};
    fs_buf_reset(&ing->scratch);
    fs_err_t e =
        fs_codec_encode_dead_letter(ing->codec, &dl, &ing->scratch, err, sizeof(err));
    if (e == FS_OK)
        e = produce(ing, 1, NULL, line);
    else if (e != FS_ERR_NOMEM) {
        clear_progress(ing);
        FS_WARN(ing->lg, "line %" PRIu64 ": dead letter not encodable: %s", line->line_no,
                err);
        e = fs_ackwin_skip(ing->win, line->end, line->line_no);
    }
    if (e == FS_OK)
        fs_tally_reject(&ing->tally, why);
    return e;
}

/* One line: FS_OK when it is handled (queued, dead-lettered or skipped). */
static fs_err_t handle_line(fs_ingest_t *ing, const fs_line_t *line)
{
    char why[512];
    fs_err_t e;
    if (!line->overlong && fs_lines_blank(line->text, line->len)) {
        while ((e = fs_ackwin_skip(ing->win, line->end, line->line_no)) ==
                   FS_ERR_TRANSIENT &&
               !ing->failed && !fs_signal_stop_requested())
            tick(ing, 10);
        if (!e)
            ing->tally.blank++;
        return e;
    }
    if (line->overlong) {
        snprintf(why, sizeof(why), "event: line of %zu bytes, longer than %d",
                 line->total, FS_LINES_MAX_LEN);
        return reject(ing, line, why);
    }
    fs_validate_ctx_t vctx = {ing->def, wall_ms(), "ingest", NULL};
    fs_event_t ev;
    e = fs_validate_text(&vctx, line->text, line->len, &ev, why, sizeof(why));
    if (e == FS_ERR_INVALID)
        return reject(ing, line, why);
    if (e)
        return e;
    if (!ev.event_id[0])
        fs_ingest_event_id(ing->id_namespace, line->line_no, line->text, line->len,
                           ev.event_id);
    fs_buf_reset(&ing->scratch);
    e = fs_codec_encode_valid_event(ing->codec, &ev, &ing->scratch, why, sizeof(why));
    if (e == FS_OK) {
        e = produce(ing, 0, fs_event_key(&ev), line);
        if (e == FS_OK)
            ing->tally.accepted++;
    } else if (e == FS_ERR_INVALID) {
        e = reject(ing, line, why);
    }
    fs_event_clear(&ev);
    return e;
}

/* Opens the input and, when resuming, moves past the checkpoint. */
static fs_err_t open_input(fs_ingest_t *ing, fs_ackwin_mark_t *start, char *errstr,
                           size_t sz)
{
    struct stat st;
    if (!strcmp(ing->input, "-")) {
        ing->fd = STDIN_FILENO;
    } else if ((ing->fd = open(ing->input, O_RDONLY | O_CLOEXEC)) < 0) {
        snprintf(errstr, sz, "%s: %s", ing->input, strerror(errno));
        return FS_ERR_IO;
    }
    if (fstat(ing->fd, &st) == 0 && S_ISREG(st.st_mode)) {
        ing->regular = 1;
        ing->size = (uint64_t)st.st_size;
    }
    memset(start, 0, sizeof(*start));
    if (!ing->o.resume)
        return FS_OK;
    fs_checkpoint_t cp, now;
    char why[512];
    fs_err_t e = fs_checkpoint_load(ing->checkpoint, &cp, why, sizeof(why));
    if (e == FS_ERR_NOT_FOUND) {
        FS_INFO(ing->lg, "no checkpoint %s yet: starting at line 1", ing->checkpoint);
        return FS_OK;
    }
    if (e) {
        snprintf(errstr, sz, "checkpoint %s", why);
        return e;
    }
    if (ing->regular) {
        now = cp;
        if (cp.offset > ing->size ||
            fs_checkpoint_tail(ing->fd, &now, why, sizeof(why)) ||
            (cp.tail_len && memcmp(now.tail_sha1, cp.tail_sha1, 20) != 0)) {
            snprintf(errstr, sz,
                     "%s does not match checkpoint %s (%s at byte %" PRIu64
                     "): not the file it was written for, or the file changed",
                     ing->input, ing->checkpoint,
                     cp.offset > ing->size ? "the file ends before" : "different content",
                     cp.offset);
            return FS_ERR_INVALID;
        }
        if (lseek(ing->fd, (off_t)cp.offset, SEEK_SET) < 0) {
            snprintf(errstr, sz, "%s: %s", ing->input, strerror(errno));
            return FS_ERR_IO;
        }
    } else { /* a pipe: read the acknowledged part again and drop it */
        uint64_t left = cp.offset, newlines = 0;
        while (left > 0) {
            ssize_t r = read(ing->fd, ing->chunk, left < CHUNK ? (size_t)left : CHUNK);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0) {
                snprintf(errstr, sz,
                         "%s: input ends before the checkpoint's byte %" PRIu64,
                         ing->input, cp.offset);
                return FS_ERR_INVALID;
            }
            for (ssize_t i = 0; i < r; i++)
                newlines += ing->chunk[i] == '\n';
            left -= (uint64_t)r;
        }
        if (newlines != cp.line && newlines + 1 != cp.line) {
            snprintf(errstr, sz,
                     "%s: %" PRIu64 " lines before byte %" PRIu64
                     ", checkpoint says %" PRIu64,
                     ing->input, newlines, cp.offset, cp.line);
            return FS_ERR_INVALID;
        }
    }
    start->offset = cp.offset;
    start->line = cp.line;
    FS_INFO(ing->lg, "resuming %s at line %" PRIu64 " (byte %" PRIu64 ")", ing->input,
            cp.line + 1, cp.offset);
    return FS_OK;
}

fs_ingest_t *fs_ingest_new(const fs_ingest_opts_t *opts, fs_producer_t *producer,
                           fs_codec_t *codec, const fs_definition_t *def, fs_log_t *lg,
                           char *errstr, size_t sz)
{
    fs_ingest_t *ing = calloc(1, sizeof(*ing));
    fs_ackwin_mark_t start;
    if (!ing)
        goto oom;
    ing->fd = -1;
    ing->o = *opts;
    ing->producer = producer;
    ing->codec = codec;
    ing->def = def;
    ing->lg = lg;
    if (!(ing->input = strdup(opts->input)) ||
        !(ing->id_namespace = strdup(opts->id_namespace ? opts->id_namespace : "")) ||
        (opts->checkpoint && !(ing->checkpoint = strdup(opts->checkpoint))) ||
        !(ing->chunk = malloc(CHUNK)))
        goto oom;
    ing->o.resume = opts->resume && ing->checkpoint;
    if (open_input(ing, &start, errstr, sz) != FS_OK)
        goto fail;
    if (!(ing->win = fs_ackwin_new(opts->max_in_flight, start)))
        goto oom;
    fs_lines_init(&ing->lines, FS_LINES_MAX_LEN, start.offset, start.line);
    fs_tally_init(&ing->tally, start.offset, start.line);
    ing->saved = start;
    /* Write the starting point now: an unwritable checkpoint is a start-up
     * error, not something found out after an hour of ingesting. */
    if (ing->checkpoint && save_checkpoint(ing, mono_s(), 1) != FS_OK) {
        snprintf(errstr, sz, "checkpoint %s cannot be written (see the log)",
                 ing->checkpoint);
        goto fail;
    }
    fs_producer_set_delivery(producer, on_delivery, ing);
    return ing;
oom:
    snprintf(errstr, sz, "out of memory");
fail:
    fs_ingest_destroy(ing);
    return NULL;
}

void fs_ingest_destroy(fs_ingest_t *ing)
{
    if (!ing)
        return;
    if (ing->fd > STDIN_FILENO)
        close(ing->fd);
    fs_ackwin_destroy(ing->win);
    fs_lines_free(&ing->lines);
    fs_buf_free(&ing->scratch);
    free(ing->chunk);
    free(ing->input);
    free(ing->checkpoint);
    free(ing->id_namespace);
    free(ing);
}

/* Reads and handles lines until the end, a stop request or a failure. */
static fs_err_t read_all(fs_ingest_t *ing, char *errstr, size_t sz)
{
    unsigned since_poll = 0;
    for (;;) {
        if (ing->failed || fs_signal_stop_requested())
            return FS_ERR_TRANSIENT;
        if (!ing->regular) {
            /* A pipe may stall for long: keep serving delivery reports and
             * writing checkpoints meanwhile instead of blocking in read(). */
            struct pollfd pfd = {.fd = ing->fd, .events = POLLIN};
            int pr = poll(&pfd, 1, 100);
            if (pr == 0 || (pr < 0 && errno == EINTR)) {
                tick(ing, 0);
                continue;
            }
        }
        ssize_t n = read(ing->fd, ing->chunk, CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(errstr, sz, "reading %s: %s", ing->input, strerror(errno));
            return FS_ERR_IO;
        }
        size_t pos = 0;
        fs_line_t line;
        int r;
        while ((r = fs_lines_next(&ing->lines, ing->chunk, (size_t)n, &pos, n == 0,
                                  &line)) == 1) {
            fs_err_t e = handle_line(ing, &line);
            if (e)
                return e;
            ing->tally.lines++;
            if (++since_poll == POLL_EVERY) {
                since_poll = 0;
                tick(ing, 0);
                if (ing->failed || fs_signal_stop_requested())
                    return FS_ERR_TRANSIENT;
            }
        }
        if (r < 0) {
            snprintf(errstr, sz, "out of memory");
            return FS_ERR_NOMEM;
        }
        ing->tally.bytes = ing->lines.offset - ing->tally.start_offset;
        if (n == 0)
            return FS_OK;
    }
}

int fs_ingest_run(fs_ingest_t *ing)
{
    char err[512] = "";
    ing->t0 = ing->last_progress = ing->last_checkpoint = mono_s();
    fs_err_t e = read_all(ing, err, sizeof(err));
    int interrupted = e == FS_ERR_TRANSIENT && !ing->failed;
    /* Wait for every outstanding report: librdkafka fails a message after
     * message.timeout.ms (= timeout_s), so this ends; the margin covers the
     * report's own way back. */
    double deadline = mono_s() + ing->o.timeout_s + 10;
    while (fs_ackwin_pending(ing->win) > 0 && mono_s() < deadline)
        tick(ing, 100);
    ing->duration = mono_s() - ing->t0;
    clear_progress(ing);
    (void)save_checkpoint(ing, mono_s(), 0);
    fs_ackwin_mark_t m = fs_ackwin_mark(ing->win);
    size_t pending = fs_ackwin_pending(ing->win);
    const char *ckpt = ing->checkpoint ? ing->checkpoint : NULL;
    char done[128];
    if (m.line > 0)
        snprintf(done, sizeof(done),
                 "lines 1..%" PRIu64 " (bytes 0..%" PRIu64 ") are acknowledged", m.line,
                 m.offset - 1);
    else
        snprintf(done, sizeof(done), "no line is acknowledged yet");
    if (e == FS_ERR_IO) {
        ing->outcome = "read_error";
        ing->exit_code = FS_INGEST_EXIT_USAGE;
        FS_ERROR(ing->lg, "%s", err);
    } else if (e == FS_ERR_NOMEM || ing->failed || pending > 0 ||
               fs_ackwin_failed(ing->win) > 0) {
        ing->outcome = e == FS_ERR_NOMEM ? "out_of_memory" : "kafka_failure";
        ing->exit_code = FS_INGEST_EXIT_KAFKA;
        FS_ERROR(ing->lg,
                 "%s: %" PRIu64 " messages failed, %zu got no delivery report within "
                 "ingest.timeout_s=%d s (first error: %s); %s%s%s%s",
                 e == FS_ERR_NOMEM ? "out of memory"
                                   : "Kafka did not acknowledge everything",
                 fs_ackwin_failed(ing->win), pending, ing->o.timeout_s,
                 ing->failure[0] ? ing->failure : "none", done,
                 ckpt ? "; run again with --resume --checkpoint " : "", ckpt ? ckpt : "",
                 ckpt ? " to continue from there" : "");
    } else if (interrupted) {
        ing->outcome = "interrupted";
        ing->exit_code = FS_INGEST_EXIT_INTERRUPTED;
        FS_ERROR(ing->lg, "interrupted: stopped reading at line %" PRIu64 "; %s%s%s%s",
                 ing->lines.line_no, done,
                 ckpt ? "; run again with --resume --checkpoint " : "", ckpt ? ckpt : "",
                 ckpt ? " to continue" : "");
    } else {
        ing->outcome = "complete";
        ing->exit_code = ing->tally.rejected && !ing->o.allow_rejects
                             ? FS_INGEST_EXIT_REJECTS
                             : FS_INGEST_EXIT_OK;
    }
    return ing->exit_code;
}

const fs_tally_t *fs_ingest_tally(const fs_ingest_t *ing)
{
    return &ing->tally;
}

void fs_ingest_summary(fs_ingest_t *ing, int json, FILE *out)
{
    fs_ackwin_mark_t m = fs_ackwin_mark(ing->win);
    fs_tally_end_t end = {.input = ing->input,
                          .duration_s = ing->duration,
                          .outcome = ing->outcome ? ing->outcome : "not_run",
                          .exit_code = ing->exit_code,
                          .mark_offset = m.offset,
                          .mark_line = m.line,
                          .checkpoint = ing->checkpoint};
    fs_buf_t buf = FS_BUF_INIT;
    fs_tally_sort(&ing->tally);
    fs_err_t e = json ? fs_tally_summary_json(&ing->tally, &end, &buf)
                      : fs_tally_summary_text(&ing->tally, &end, &buf);
    if (e == FS_OK) {
        fwrite(buf.data, 1, buf.len, out);
        fflush(out);
    }
    fs_buf_free(&buf);
}
