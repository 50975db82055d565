/*
 * conns.c — open connections and their request deadlines (see conns.h).
 */
#include "conns.h"

#include <pthread.h>
#include <stdlib.h>

struct fs_conns {
    pthread_mutex_t mu; /* guards head and count, and every record's links */
    fs_conn_t *head;
    size_t count;
};

fs_conns_t *fs_conns_new(void)
{
    fs_conns_t *cs = calloc(1, sizeof(*cs));
    if (!cs)
        return NULL;
    if (pthread_mutex_init(&cs->mu, NULL) != 0) {
        free(cs);
        return NULL;
    }
    return cs;
}

void fs_conns_destroy(fs_conns_t *cs)
{
    if (!cs)
        return;
    while (cs->head) {
        fs_conn_t *c = cs->head;
        cs->head = c->next;
        free(c);
    }
    pthread_mutex_destroy(&cs->mu);
    free(cs);
}

fs_conn_t *fs_conns_add(fs_conns_t *cs, int fd, int64_t now_ms)
{
    fs_conn_t *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->fd = fd;
    atomic_init(&c->request_start_ms, now_ms);
    atomic_init(&c->arrived, 0);
    pthread_mutex_lock(&cs->mu);
    c->next = cs->head;
    if (cs->head)
        cs->head->prev = c;
    cs->head = c;
    cs->count++;
    pthread_mutex_unlock(&cs->mu);
    return c;
}

void fs_conns_remove(fs_conns_t *cs, fs_conn_t *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&cs->mu);
    if (c->prev)
        c->prev->next = c->next;
    else
        cs->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    cs->count--;
    pthread_mutex_unlock(&cs->mu);
    free(c);
}

void fs_conn_arrived(fs_conn_t *c)
{
    if (c)
        atomic_store(&c->arrived, 1);
}

void fs_conn_next_request(fs_conn_t *c, int64_t now_ms)
{
    if (!c)
        return;
    atomic_store(&c->request_start_ms, now_ms);
    atomic_store(&c->arrived, 0);
}

size_t fs_conns_count(fs_conns_t *cs)
{
    pthread_mutex_lock(&cs->mu);
    size_t n = cs->count;
    pthread_mutex_unlock(&cs->mu);
    return n;
}

size_t fs_conns_sweep(fs_conns_t *cs, int64_t now_ms, int64_t deadline_ms,
                      void (*expire)(void *arg, int fd), void *arg)
{
    size_t n = 0;
    pthread_mutex_lock(&cs->mu);
    for (fs_conn_t *c = cs->head; c; c = c->next) {
        if (c->expired || atomic_load(&c->arrived) ||
            now_ms - atomic_load(&c->request_start_ms) <= deadline_ms)
            continue;
        c->expired = 1;
        expire(arg, c->fd);
        n++;
    }
    pthread_mutex_unlock(&cs->mu);
    return n;
}
