/*
 * The byte buffer: appending, consuming from the front, reserving and
 * committing, growth that keeps the bytes, reuse of consumed space, and
 * swapping.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <unistd.h>

#include "buf.h"

static void test_init_free(void **state)
{
    struct buf b;
    (void)state;
    memset(&b, 0xa5, sizeof(b));
    buf_init(&b);
    assert_null(b.data);
    assert_int_equal(b.off, 0);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    assert_int_equal(buf_pending(&b), 0);
    assert_int_equal(buf_append(&b, "abc", 3), 0);
    buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.cap, 0);
    assert_int_equal(buf_pending(&b), 0);
    buf_free(&b); /* twice is harmless */
}

static void test_append_consume(void **state)
{
    struct buf b;
    (void)state;
    buf_init(&b);
    assert_int_equal(buf_append(&b, "hello", 5), 0);
    assert_int_equal(buf_append(&b, ", world", 7), 0);
    assert_int_equal(buf_pending(&b), 12);
    assert_memory_equal(buf_head(&b), "hello, world", 12);
    buf_consume(&b, 7);
    assert_int_equal(buf_pending(&b), 5);
    assert_memory_equal(buf_head(&b), "world", 5);
    assert_int_equal(buf_append(&b, "!", 1), 0);
    assert_memory_equal(buf_head(&b), "world!", 6);
    /* Consuming everything rewinds to the start of the storage. */
    buf_consume(&b, 6);
    assert_int_equal(buf_pending(&b), 0);
    assert_int_equal(b.off, 0);
    assert_int_equal(b.len, 0);
    /* So does consuming more than there is. */
    assert_int_equal(buf_append(&b, "xy", 2), 0);
    buf_consume(&b, 100);
    assert_int_equal(buf_pending(&b), 0);
    assert_int_equal(b.off, 0);
    buf_free(&b);
}

static void test_reserve_commit(void **state)
{
    struct buf b;
    (void)state;
    buf_init(&b);
    uint8_t *p = buf_reserve(&b, 10);
    assert_non_null(p);
    assert_true(b.cap - b.len >= 10);
    assert_int_equal(buf_pending(&b), 0); /* reserved is not pending */
    memcpy(p, "0123456789", 10);
    buf_commit(&b, 4);
    assert_int_equal(buf_pending(&b), 4);
    assert_memory_equal(buf_head(&b), "0123", 4);
    /* The next reservation starts after the committed bytes. */
    p = buf_reserve(&b, 3);
    assert_ptr_equal(p, buf_head(&b) + 4);
    memcpy(p, "abc", 3);
    buf_commit(&b, 3);
    assert_memory_equal(buf_head(&b), "0123abc", 7);
    buf_free(&b);
}

static void test_growth_keeps_bytes(void **state)
{
    struct buf b;
    uint8_t chunk[333];
    (void)state;
    buf_init(&b);
    for (int i = 0; i < 100; i++) {
        memset(chunk, i, sizeof(chunk));
        assert_int_equal(buf_append(&b, chunk, sizeof(chunk)), 0);
    }
    assert_int_equal(buf_pending(&b), 33300);
    assert_true(b.cap >= 33300);
    for (size_t i = 0; i < 33300; i++)
        if (buf_head(&b)[i] != (uint8_t)(i / 333))
            fail_msg("byte %zu is %u", i, buf_head(&b)[i]);
    /* One large reservation at once. */
    assert_non_null(buf_reserve(&b, 1 << 20));
    assert_true(b.cap - b.len >= (size_t)1 << 20);
    assert_int_equal(buf_pending(&b), 33300);
    assert_int_equal(buf_head(&b)[33299], 99);
    buf_free(&b);
}

static void test_consumed_space_reused(void **state)
{
    struct buf b;
    uint8_t fill[1024];
    (void)state;
    buf_init(&b);
    for (size_t i = 0; i < sizeof(fill); i++)
        fill[i] = (uint8_t)i;
    assert_int_equal(buf_append(&b, fill, sizeof(fill)), 0);
    size_t cap = b.cap;
    uint8_t *storage = b.data;
    assert_int_equal(b.len, cap); /* full */
    buf_consume(&b, 1000);
    /* 24 bytes remain at the end; 500 more fit once they move down. */
    assert_int_equal(buf_append(&b, fill, 500), 0);
    assert_int_equal(b.cap, cap);
    assert_ptr_equal(b.data, storage);
    assert_int_equal(b.off, 0);
    assert_int_equal(buf_pending(&b), 524);
    assert_memory_equal(buf_head(&b), fill + 1000, 24);
    assert_memory_equal(buf_head(&b) + 24, fill, 500);
    buf_free(&b);
}

static void test_reset(void **state)
{
    struct buf b;
    (void)state;
    buf_init(&b);
    assert_int_equal(buf_append(&b, "abcdef", 6), 0);
    buf_consume(&b, 2);
    size_t cap = b.cap;
    buf_reset(&b);
    assert_int_equal(buf_pending(&b), 0);
    assert_int_equal(b.off, 0);
    assert_int_equal(b.cap, cap); /* the storage is kept */
    assert_int_equal(buf_append(&b, "z", 1), 0);
    assert_memory_equal(buf_head(&b), "z", 1);
    buf_free(&b);
}

static void test_swap(void **state)
{
    struct buf a, b;
    (void)state;
    buf_init(&a);
    buf_init(&b);
    assert_int_equal(buf_append(&a, "first", 5), 0);
    buf_consume(&a, 1);
    assert_int_equal(buf_append(&b, "second", 6), 0);
    buf_swap(&a, &b);
    assert_int_equal(buf_pending(&a), 6);
    assert_memory_equal(buf_head(&a), "second", 6);
    assert_int_equal(buf_pending(&b), 4);
    assert_memory_equal(buf_head(&b), "irst", 4);
    /* With an empty buffer: the bytes move, nothing is copied. */
    struct buf empty;
    buf_init(&empty);
    const uint8_t *storage = a.data;
    buf_swap(&a, &empty);
    assert_int_equal(buf_pending(&a), 0);
    assert_null(a.data);
    assert_ptr_equal(empty.data, storage);
    assert_memory_equal(buf_head(&empty), "second", 6);
    buf_free(&empty);
    buf_free(&a);
    buf_free(&b);
}

static void test_append_nothing(void **state)
{
    struct buf b;
    (void)state;
    buf_init(&b);
    assert_int_equal(buf_append(&b, "abc", 3), 0);
    assert_int_equal(buf_append(&b, "", 0), 0);
    assert_int_equal(buf_pending(&b), 3);
    buf_free(&b);
}

/* Regression (was a bug in server/buf.c, buf_reserve/buf_append): on a buffer that has never
 * held anything, buf_reserve(b, 0) returns b->data, which is NULL, and
 * buf_append(b, p, 0) then reports -ENOMEM for a zero-byte append. */
static void test_regression_append_nothing_to_empty(void **state)
{
    struct buf b;
    (void)state;
    buf_init(&b);
    assert_int_equal(buf_append(&b, "", 0), 0);
    assert_int_equal(buf_pending(&b), 0);
    buf_free(&b);
}

/* Regression (was a bug in server/buf.c, buf_reserve): for n above SIZE_MAX / 2 the capacity
 * doubling overflows to 0 and the loop never ends, instead of returning
 * NULL. On the current code SIGALRM ends the test program after 5 s. */
static void test_regression_reserve_huge(void **state)
{
    struct buf b;
    (void)state;
    buf_init(&b);
    alarm(5);
    assert_null(buf_reserve(&b, SIZE_MAX));
    alarm(0);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_free),
        cmocka_unit_test(test_append_consume),
        cmocka_unit_test(test_reserve_commit),
        cmocka_unit_test(test_growth_keeps_bytes),
        cmocka_unit_test(test_consumed_space_reused),
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_swap),
        cmocka_unit_test(test_append_nothing),
        cmocka_unit_test(test_regression_append_nothing_to_empty),
        cmocka_unit_test(test_regression_reserve_huge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
