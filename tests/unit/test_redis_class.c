/* Unit tests of the Redis error classes (fs_redis_error_class): which
 * failures a program retries and which stop it as a misconfiguration. */
#include <stdio.h>

#include "fs_redis.h"
#include "fs_test.h"

static void test_classes(void)
{
    /* misconfigurations: no retry fixes them (docs/guarantees.md, item 9) */
    ASSERT_EQ(fs_redis_error_class("WRONGPASS invalid username-password pair or user is "
                                   "disabled."),
              FS_ERR_INVALID);
    ASSERT_EQ(fs_redis_error_class("NOAUTH Authentication required."), FS_ERR_INVALID);
    ASSERT_EQ(fs_redis_error_class("NOPERM User w has no permissions to run the 'mget' "
                                   "command"),
              FS_ERR_INVALID);
    ASSERT_EQ(fs_redis_error_class("ERR The user executing the script can't run this "
                                   "command or subcommand script: 1f0e, on "
                                   "@user_script:1."),
              FS_ERR_INVALID);
    /* passing conditions: retried */
    ASSERT_EQ(fs_redis_error_class("LOADING Redis is loading the dataset in memory"),
              FS_ERR_TRANSIENT);
    ASSERT_EQ(fs_redis_error_class("BUSY Redis is busy running a script."),
              FS_ERR_TRANSIENT);
    ASSERT_EQ(fs_redis_error_class("MASTERDOWN Link with MASTER is down"),
              FS_ERR_TRANSIENT);
    ASSERT_EQ(
        fs_redis_error_class("READONLY You can't write against a read only replica."),
        FS_ERR_TRANSIENT);
    ASSERT_EQ(fs_redis_error_class("OOM command not allowed when used memory > "
                                   "'maxmemory'."),
              FS_ERR_TRANSIENT);
    ASSERT_EQ(fs_redis_error_class("TRYAGAIN Multiple keys request during rehashing"),
              FS_ERR_TRANSIENT);
    ASSERT_EQ(fs_redis_error_class("ERR max number of clients reached"),
              FS_ERR_TRANSIENT);
    /* refusals that would repeat */
    ASSERT_EQ(fs_redis_error_class("ERR Error compiling script"), FS_ERR_FATAL);
    ASSERT_EQ(fs_redis_error_class("WRONGTYPE Operation against a key holding the wrong "
                                   "kind of value"),
              FS_ERR_FATAL);
    ASSERT_EQ(fs_redis_error_class("EXECABORT Transaction discarded"), FS_ERR_FATAL);
    ASSERT_EQ(fs_redis_error_class(NULL), FS_ERR_FATAL);
    ASSERT_EQ(fs_redis_error_class("ERRORS are not ERR"), FS_ERR_TRANSIENT);
}

static void test_hints(void)
{
    ASSERT_CONTAINS(fs_redis_error_hint("WRONGPASS invalid"), "password");
    ASSERT_CONTAINS(fs_redis_error_hint("NOAUTH Authentication required."),
                    "requires a password");
    ASSERT_CONTAINS(fs_redis_error_hint("NOPERM User w"), "ACL");
    ASSERT_CONTAINS(
        fs_redis_error_hint("ERR The user executing the script can't run this "
                            "command or subcommand"),
        "ACL");
    ASSERT_STR_EQ(fs_redis_error_hint("LOADING"), "");
    ASSERT_STR_EQ(fs_redis_error_hint(NULL), "");
}

int main(void)
{
    test_classes();
    test_hints();
    printf("test_redis_class: ok\n");
    return 0;
}
