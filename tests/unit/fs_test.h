/*
 * fs_test.h — minimal assertion macros for the unit tests, in the manner
 * of libuv's ASSERT_EQ: a failure prints file, line and both operands, then
 * aborts the test executable (ctest reports it).
 */
#ifndef FS_TEST_H
#define FS_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FS_FAIL_(fmt, ...)                                                               \
    do {                                                                                 \
        fprintf(stderr, "%s:%d: assertion failed: " fmt "\n", __FILE__, __LINE__,        \
                __VA_ARGS__);                                                            \
        abort();                                                                         \
    } while (0)

#define ASSERT(c)                                                                        \
    do {                                                                                 \
        if (!(c))                                                                        \
            FS_FAIL_("%s", #c);                                                          \
    } while (0)

#define ASSERT_INT_OP_(a, op, b)                                                         \
    do {                                                                                 \
        long long a_ = (long long)(a), b_ = (long long)(b);                              \
        if (!(a_ op b_))                                                                 \
            FS_FAIL_("%s %s %s (%lld vs %lld)", #a, #op, #b, a_, b_);                    \
    } while (0)

#define ASSERT_EQ(a, b) ASSERT_INT_OP_(a, ==, b)
#define ASSERT_NE(a, b) ASSERT_INT_OP_(a, !=, b)
#define ASSERT_LT(a, b) ASSERT_INT_OP_(a, <, b)
#define ASSERT_LE(a, b) ASSERT_INT_OP_(a, <=, b)
#define ASSERT_GT(a, b) ASSERT_INT_OP_(a, >, b)
#define ASSERT_GE(a, b) ASSERT_INT_OP_(a, >=, b)

#define ASSERT_U64_EQ(a, b)                                                              \
    do {                                                                                 \
        uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);                                 \
        if (a_ != b_)                                                                    \
            FS_FAIL_("%s == %s (0x%016" PRIx64 " vs 0x%016" PRIx64 ")", #a, #b, a_, b_); \
    } while (0)

#define ASSERT_STR_EQ(a, b)                                                              \
    do {                                                                                 \
        const char *a_ = (a), *b_ = (b);                                                 \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                                           \
            FS_FAIL_("%s == %s (\"%s\" vs \"%s\")", #a, #b, a_ ? a_ : "(null)",          \
                     b_ ? b_ : "(null)");                                                \
    } while (0)

/* Asserts that string @p hay contains @p needle. */
#define ASSERT_CONTAINS(hay, needle)                                                     \
    do {                                                                                 \
        const char *h_ = (hay), *n_ = (needle);                                          \
        if (!h_ || !strstr(h_, n_))                                                      \
            FS_FAIL_("\"%s\" contains \"%s\"", h_ ? h_ : "(null)", n_);                  \
    } while (0)

/* A test executable runs its cases in order; each prints its name. */
#define RUN(fn)                                                                          \
    do {                                                                                 \
        fprintf(stderr, "-- %s\n", #fn);                                                 \
        fn();                                                                            \
    } while (0)

#endif
