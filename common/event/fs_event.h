/*
 * fs_event.h — the journey event as every module sees it (docs/event.md).
 *
 * A plain struct shared by the validator (JSON → event), the Avro codec
 * (event ↔ bytes), the producers and the worker.  An fs_event_t owns every
 * string it points to; fs_event_clear() frees them.  Either each string and
 * the property array are allocations of their own, or (block non-NULL) all
 * of them live inside the one allocation @c block, as the validator builds
 * them; no code replaces a string of an event once it is built.  Absent optional text
 * fields are NULL (never ""): defaults such as channel "(none)" are applied
 * by the aggregation, not stored.
 */
#ifndef FS_EVENT_H
#define FS_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "fs_err.h"

#define FS_EVENT_ID_MAX 64             /* characters of event_id */
#define FS_TEXT_MAX_CHARS 128          /* characters (code points) of a text field */
#define FS_PROPS_MAX 50                /* keys of properties */
#define FS_EVENT_MAX_BYTES (32 * 1024) /* serialized JSON size limit */
#define FS_REVENUE_LIMIT_CENTS 100000000000000LL /* 10^12 units = 10^14 cents */

typedef enum fs_prop_kind {
    FS_PROP_STRING,
    FS_PROP_LONG,
    FS_PROP_DOUBLE,
    FS_PROP_BOOL
} fs_prop_kind_t;

typedef struct fs_prop {
    char *key; /* owned */
    fs_prop_kind_t kind;
    union {
        char *s; /* owned, FS_PROP_STRING */
        int64_t l;
        double d;
        int b;
    } v;
} fs_prop_t;

typedef struct fs_event {
    char event_id[FS_EVENT_ID_MAX + 1];     /* "" until validated or generated */
    char *type;                             /* required, owned */
    char *user_id;                          /* NULL when absent */
    char *anonymous_id;                     /* NULL when absent */
    int64_t occurred_at_ms;                 /* epoch milliseconds, UTC */
    int64_t received_at_ms;                 /* when the producer accepted it */
    char *channel;                          /* NULL → "(none)" */
    char *campaign;                         /* NULL → "(none)" */
    char *source, *medium, *content, *term; /* UTM, NULL when absent */
    int has_revenue;                        /* revenue_cents valid when non-zero */
    int64_t revenue_cents;
    char currency[4]; /* ISO 4217, default "USD" */
    size_t nprops;
    fs_prop_t *props;    /* owned array of nprops */
    char *ingest_source; /* schema v2: "collector", "ingest", "gen"; NULL = unknown */
    void *block;         /* owned; when set, holds every string and props */
} fs_event_t;

/** Frees every owned string and property and zeroes @p ev (safe on a zeroed event). */
void fs_event_clear(fs_event_t *ev);

/** Deep copy of @p src into @p dst (dst is overwritten, not cleared first). */
fs_err_t fs_event_copy(fs_event_t *dst, const fs_event_t *src) FS_WUR;

/** The Kafka key of @p ev: user_id if present, else anonymous_id (borrowed). */
const char *fs_event_key(const fs_event_t *ev);

#endif
