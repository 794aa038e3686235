/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_TEST_H
#define WGJIT_TEST_H

/**
 * @file
 * A minimal unit-test harness in the shape of DPDK's app/test/test.h:
 * cases are `static int fn(void)` built from TEST_ASSERT*(); a suite is a
 * NULL-terminated table run by wgjit_test_run(). Exit status: 0 all passed,
 * 1 a case failed, 77 (TEST_SKIPPED) when the box lacks something.
 */

#include <stdio.h>
#include <string.h>

#define TEST_SUCCESS 0
#define TEST_FAILED (-1)
#define TEST_SKIPPED 77

#define TEST_ASSERT(cond, msg, ...) do { \
	if (!(cond)) { \
		printf("  FAIL %s:%d: %s: " msg "\n", __FILE__, __LINE__, \
			#cond, ##__VA_ARGS__); \
		return TEST_FAILED; \
	} \
} while (0)

#define TEST_ASSERT_EQUAL(a, b, msg, ...) \
	TEST_ASSERT((a) == (b), msg " (%lld != %lld)", ##__VA_ARGS__, \
		(long long)(a), (long long)(b))

#define TEST_ASSERT_MEM_EQUAL(a, b, n, msg, ...) \
	TEST_ASSERT(memcmp((a), (b), (n)) == 0, msg, ##__VA_ARGS__)

struct wgjit_test_case {
	const char *name;
	int (*fn)(void);
};

#define TEST_CASE(fn) { #fn, fn }
#define TEST_CASES_END() { NULL, NULL }

static inline int
wgjit_test_run(const char *suite, const struct wgjit_test_case *cases)
{
	int passed = 0, failed = 0, skipped = 0;

	for (const struct wgjit_test_case *c = cases; c->name != NULL; c++) {
		int ret = c->fn();

		if (ret == TEST_SUCCESS)
			passed++;
		else if (ret == TEST_SKIPPED)
			skipped++;
		else
			failed++;
		printf("%s %s/%s\n", ret == TEST_SUCCESS ? "ok  " :
			ret == TEST_SKIPPED ? "skip" : "FAIL", suite, c->name);
	}
	printf("%s: %d passed, %d failed, %d skipped\n", suite, passed,
		failed, skipped);
	if (failed > 0)
		return 1;
	return passed == 0 && skipped > 0 ? TEST_SKIPPED : 0;
}

#endif /* WGJIT_TEST_H */
