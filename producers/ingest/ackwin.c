/*
 * ackwin.c — low-water mark over out-of-order acknowledgements (see ackwin.h).
 *
 * A ring indexed by sequence number: slots [tail, head) are the unfinished
 * lines in input order.  An acknowledgement marks its slot; the mark then
 * advances over the finished prefix.  Each line is pushed and retired once,
 * so the cost is O(1) amortised per line.
 */
#include "ackwin.h"

#include <stdlib.h>

enum { SLOT_PENDING, SLOT_DONE, SLOT_FAILED };

typedef struct slot {
    uint64_t end;
    uint64_t line;
    int state;
} slot_t;

struct fs_ackwin {
    slot_t *ring;
    size_t mask;   /* capacity - 1 */
    uint64_t tail; /* oldest unfinished sequence number */
    uint64_t head; /* next sequence number */
    fs_ackwin_mark_t mark;
    size_t pending;
    uint64_t failed;
};

fs_ackwin_t *fs_ackwin_new(size_t capacity, fs_ackwin_mark_t start)
{
    size_t cap = 1;
    while (cap < capacity && cap < ((size_t)1 << 30))
        cap <<= 1;
    fs_ackwin_t *w = calloc(1, sizeof(*w));
    if (!w || !(w->ring = calloc(cap, sizeof(*w->ring)))) {
        free(w);
        return NULL;
    }
    w->mask = cap - 1;
    w->mark = start;
    return w;
}

void fs_ackwin_destroy(fs_ackwin_t *w)
{
    if (!w)
        return;
    free(w->ring);
    free(w);
}

int fs_ackwin_full(const fs_ackwin_t *w)
{
    return w->head - w->tail > w->mask;
}

uint64_t fs_ackwin_next_seq(const fs_ackwin_t *w)
{
    return w->head;
}

static void advance(fs_ackwin_t *w)
{
    while (w->tail < w->head) {
        const slot_t *s = &w->ring[w->tail & w->mask];
        if (s->state != SLOT_DONE)
            break;
        w->mark.offset = s->end;
        w->mark.line = s->line;
        w->tail++;
    }
}

static fs_err_t add(fs_ackwin_t *w, uint64_t end, uint64_t line, int state, uint64_t *seq)
{
    if (fs_ackwin_full(w))
        return FS_ERR_TRANSIENT;
    slot_t *s = &w->ring[w->head & w->mask];
    s->end = end;
    s->line = line;
    s->state = state;
    if (seq)
        *seq = w->head;
    w->head++;
    return FS_OK;
}

fs_err_t fs_ackwin_push(fs_ackwin_t *w, uint64_t end, uint64_t line, uint64_t *seq)
{
    fs_err_t err = add(w, end, line, SLOT_PENDING, seq);
    if (!err)
        w->pending++;
    return err;
}

fs_err_t fs_ackwin_skip(fs_ackwin_t *w, uint64_t end, uint64_t line)
{
    if (w->tail == w->head) { /* nothing outstanding: no slot needed */
        w->mark.offset = end;
        w->mark.line = line;
        return FS_OK;
    }
    return add(w, end, line, SLOT_DONE, NULL);
}

fs_err_t fs_ackwin_ack(fs_ackwin_t *w, uint64_t seq, int ok)
{
    if (seq < w->tail || seq >= w->head)
        return FS_ERR_NOT_FOUND;
    slot_t *s = &w->ring[seq & w->mask];
    if (s->state != SLOT_PENDING)
        return FS_ERR_NOT_FOUND;
    w->pending--;
    if (!ok) {
        s->state = SLOT_FAILED;
        w->failed++;
        return FS_OK;
    }
    s->state = SLOT_DONE;
    if (seq == w->tail)
        advance(w);
    return FS_OK;
}

fs_ackwin_mark_t fs_ackwin_mark(const fs_ackwin_t *w)
{
    return w->mark;
}

size_t fs_ackwin_pending(const fs_ackwin_t *w)
{
    return w->pending;
}

uint64_t fs_ackwin_failed(const fs_ackwin_t *w)
{
    return w->failed;
}
