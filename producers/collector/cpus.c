/*
 * cpus.c — CPUs the process may use (see cpus.h).
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "cpus.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

long fs_cpus_from_cfs(long long quota_us, long long period_us)
{
    if (quota_us < 0 || period_us <= 0)
        return quota_us < 0 ? 0 : -1;
    long long n = (quota_us + period_us - 1) / period_us;
    return n < 1 ? 1 : (long)n;
}

long fs_cpus_from_cpu_max(const char *text)
{
    char quota[32];
    long long period;
    if (!text || sscanf(text, "%31s %lld", quota, &period) != 2)
        return -1;
    if (!strcmp(quota, "max"))
        return period > 0 ? 0 : -1;
    char *end;
    long long q = strtoll(quota, &end, 10);
    if (*end || q <= 0)
        return -1;
    return fs_cpus_from_cfs(q, period);
}

/* The first line of @p path into @p buf; 0 when it cannot be read. */
static int read_line(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int ok = fgets(buf, (int)size, f) != NULL;
    fclose(f);
    return ok;
}

/* Whether the comma-separated @p list names @p controller. */
static int names(const char *list, const char *controller)
{
    size_t len = strlen(controller);
    for (size_t n; *list; list += n + (list[n] == ',')) {
        n = strcspn(list, ",");
        if (n == len && !strncmp(list, controller, n))
            return 1;
    }
    return 0;
}

/* The process's cgroup directory below its hierarchy's mount ("" for the
 * root) for cgroup v1 @p controller, or for cgroup v2 when "". */
static int cgroup_path(const char *controller, char *out, size_t size)
{
    FILE *f = fopen("/proc/self/cgroup", "r");
    if (!f)
        return 0;
    char line[1024];
    int found = 0;
    while (!found && fgets(line, sizeof(line), f)) {
        /* "<hierarchy id>:<controllers>:<path>" */
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c1 = *c2 = '\0';
        const char *ctrls = c1 + 1, *path = c2 + 1;
        if (*controller ? names(ctrls, controller) : !strcmp(line, "0") && !*ctrls) {
            snprintf(out, size, "%s", strcmp(path, "/\n") ? path : "");
            out[strcspn(out, "\n")] = '\0';
            found = 1;
        }
    }
    fclose(f);
    return found;
}

/* CPUs the CFS quota allows, 0 for none found. */
static long quota_cpus(void)
{
    char path[1200], text[128], rel[1024];
    if (cgroup_path("", rel, sizeof(rel))) { /* cgroup v2 */
        snprintf(path, sizeof(path), "/sys/fs/cgroup%s/cpu.max", rel);
        if (read_line(path, text, sizeof(text)) ||
            read_line("/sys/fs/cgroup/cpu.max", text, sizeof(text))) {
            long n = fs_cpus_from_cpu_max(text);
            return n > 0 ? n : 0;
        }
    }
    if (cgroup_path("cpu", rel, sizeof(rel))) { /* cgroup v1 */
        char q[64], p[64];
        snprintf(path, sizeof(path), "/sys/fs/cgroup/cpu%s/cpu.cfs_quota_us", rel);
        int ok = read_line(path, q, sizeof(q));
        snprintf(path, sizeof(path), "/sys/fs/cgroup/cpu%s/cpu.cfs_period_us", rel);
        if (ok && read_line(path, p, sizeof(p))) {
            long n = fs_cpus_from_cfs(strtoll(q, NULL, 10), strtoll(p, NULL, 10));
            return n > 0 ? n : 0;
        }
    }
    return 0;
}

long fs_usable_cpus(void)
{
    long n = 0;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) == 0)
        n = CPU_COUNT(&set);
    if (n <= 0)
        n = sysconf(_SC_NPROCESSORS_ONLN);
    long q = quota_cpus();
    if (q > 0 && (n <= 0 || q < n))
        n = q;
    return n > 0 ? n : 1;
}
