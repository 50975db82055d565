/* Unit tests of cpus.c: the CFS quota parsers, and the count it gives here. */
#include <sched.h>
#include <unistd.h>

#include "cpus.h"
#include "fs_test.h"

static void test_cpu_max(void)
{
    ASSERT_EQ(fs_cpus_from_cpu_max("max 100000\n"), 0); /* no limit */
    ASSERT_EQ(fs_cpus_from_cpu_max("200000 100000\n"), 2);
    ASSERT_EQ(fs_cpus_from_cpu_max("150000 100000"), 2); /* 1.5 rounds up */
    ASSERT_EQ(fs_cpus_from_cpu_max("50000 100000"), 1);
    ASSERT_EQ(fs_cpus_from_cpu_max("1 100000"), 1);
    ASSERT_EQ(fs_cpus_from_cpu_max(""), -1);
    ASSERT_EQ(fs_cpus_from_cpu_max("max"), -1);
    ASSERT_EQ(fs_cpus_from_cpu_max("12x 100000"), -1);
    ASSERT_EQ(fs_cpus_from_cpu_max("-5 100000"), -1);
    ASSERT_EQ(fs_cpus_from_cpu_max("100000 0"), -1);
    ASSERT_EQ(fs_cpus_from_cpu_max(NULL), -1);
}

static void test_cfs(void)
{
    ASSERT_EQ(fs_cpus_from_cfs(-1, 100000), 0); /* v1: -1 = no limit */
    ASSERT_EQ(fs_cpus_from_cfs(400000, 100000), 4);
    ASSERT_EQ(fs_cpus_from_cfs(250000, 100000), 3);
    ASSERT_EQ(fs_cpus_from_cfs(100000, 0), -1);
}

static void test_here(void)
{
    long n = fs_usable_cpus();
    ASSERT(n >= 1);
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    ASSERT(n <= online); /* never more than the machine has */
}

int main(void)
{
    RUN(test_cpu_max);
    RUN(test_cfs);
    RUN(test_here);
    return 0;
}
