/*
 * cpus.h — how many CPUs the collector may use, for its thread default.
 *
 * Owns nothing.  fs_usable_cpus() reads the process's affinity mask and
 * its cgroup's CFS quota (cgroup v2 cpu.max, or v1 cpu.cfs_quota_us and
 * cpu.cfs_period_us): a container limited to 2 CPUs on a 96-core host
 * counts 2 either way.  The parsers are pure, for the unit tests.
 */
#ifndef FS_COLLECTOR_CPUS_H
#define FS_COLLECTOR_CPUS_H

/**
 * CPUs a cgroup v2 `cpu.max` text allows ("max 100000" → 0 = no limit,
 * "150000 100000" → 2: rounded up); -1 when @p text is not that format.
 */
long fs_cpus_from_cpu_max(const char *text);

/** The same from cgroup v1's quota and period (quota < 0: no limit → 0). */
long fs_cpus_from_cfs(long long quota_us, long long period_us);

/**
 * The smaller of the affinity mask's CPU count and the CFS quota's, at
 * least 1.  Reads /proc/self/cgroup and /sys/fs/cgroup; a file missing or
 * unreadable means no limit from it.
 */
long fs_usable_cpus(void);

#endif
