/*
 * test_worker_counters.c — the worker's /metrics text: counters, the
 * apply-time histogram, owned partitions and their lag from watermarks.
 */
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "fs_test.h"

/* Partition p: low watermark 10, high watermark 100 + p; partition 2 fails. */
static int fake_wm(void *ctx, int32_t p, int64_t *lo, int64_t *hi)
{
    (void)ctx;
    if (p == 2)
        return -1;
    *lo = 10;
    *hi = 100 + p;
    return 0;
}

static char *render(fs_counters_t *c)
{
    fs_buf_t b = FS_BUF_INIT;
    ASSERT_EQ(fs_counters_render(c, "t", fake_wm, NULL, 1, &b), FS_OK);
    ASSERT_EQ(fs_buf_append(&b, "", 1), FS_OK);
    return (char *)b.data;
}

int main(void)
{
    fs_counters_t *c = fs_counters_new();
    ASSERT(c);
    fs_counters_batch(c, 7, 2, 1, 0.02);
    fs_counters_batch(c, 3, 0, 0, 0.5);
    fs_counters_dead_letter(c);
    fs_counters_assigned(c, 0, -2); /* from the beginning: lag from lo */
    fs_counters_assigned(c, 1, 50); /* resumes at 50 */
    fs_counters_assigned(c, 2, 0);  /* watermarks unknown: no lag sample */
    fs_counters_assigned(c, 3, 0);
    fs_counters_applied(c, 3, 103); /* caught up */
    fs_counters_assigned(c, 4, 0);
    fs_counters_revoked(c, 4);                              /* not ours any more */
    fs_counters_assigned(c, FS_COUNTERS_MAX_PARTITIONS, 0); /* ignored */
    ASSERT_EQ(fs_counters_owned(c), 4);

    char *t = render(c);
    ASSERT_CONTAINS(t, "# TYPE funnel_worker_events_applied_total counter\n"
                       "funnel_worker_events_applied_total 10\n");
    ASSERT_CONTAINS(t, "funnel_worker_duplicates_total 2\n");
    ASSERT_CONTAINS(t, "funnel_worker_dead_letters_total 1\n");
    ASSERT_CONTAINS(t, "funnel_worker_commit_conflicts_total 1\n");
    ASSERT_CONTAINS(t, "funnel_worker_batches_total 2\n");
    ASSERT_CONTAINS(t, "funnel_worker_batch_apply_seconds_bucket{le=\"0.025\"} 1\n");
    ASSERT_CONTAINS(t, "funnel_worker_batch_apply_seconds_bucket{le=\"0.5\"} 2\n");
    ASSERT_CONTAINS(t, "funnel_worker_batch_apply_seconds_count 2\n");
    ASSERT_CONTAINS(t, "funnel_worker_partitions_owned 4\n");
    ASSERT_CONTAINS(t, "funnel_worker_redis_up 1\n");
    ASSERT_CONTAINS(t, "lag_messages{topic=\"t\",partition=\"0\"} 90\n");
    ASSERT_CONTAINS(t, "lag_messages{topic=\"t\",partition=\"1\"} 51\n");
    ASSERT_CONTAINS(t, "lag_messages{topic=\"t\",partition=\"3\"} 0\n");
    ASSERT(!strstr(t, "partition=\"2\"} 1")); /* no lag sample */
    ASSERT(!strstr(t, "partition=\"4\""));
    ASSERT_CONTAINS(t, "applied_offset{topic=\"t\",partition=\"3\"} 103\n");
    /* every sample's family is announced */
    for (char *line = t; *line; line = strchr(line, '\n') + 1) {
        if (line[0] != '#') {
            char fam[128];
            size_t n = strcspn(line, "{ ");
            snprintf(fam, sizeof(fam), "# TYPE %.*s", (int)n, line);
            char *s = strstr(fam, "_bucket");
            if (!s)
                s = strstr(fam, "_sum");
            if (!s)
                s = strstr(fam, "_count");
            if (s && strstr(fam, "apply_seconds"))
                *s = '\0';
            ASSERT_CONTAINS(t, fam);
        }
    }
    free(t);
    fs_counters_destroy(c);
    fs_counters_destroy(NULL);
    fs_counters_batch(NULL, 1, 1, 1, 1); /* no endpoint: no-ops */
    fs_counters_dead_letter(NULL);
    return 0;
}
