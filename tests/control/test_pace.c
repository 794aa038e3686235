/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * The fetch pacer's pruning: a sweep spread over calls drops every key
 * whose window and longest backoff are over and keeps the others, and
 * one call costs a bounded number of slots however sparse the table is.
 * Before, a table holding a single key still backing off cost each call
 * a scan of all its slots for every entry it visited: ~2048 x 65536
 * slots with the default sizes, which in the qemu VM under ASan held the
 * control lcore for seconds, with a fetch waiting behind it.
 */

#include <string.h>
#include <time.h>

#include "wgjit_defaults.h"
#include "wgjit_pace.h"
#include "wgjit_test.h"

static const struct wgjit_pace_params params = {
	.min_refetch_ms = 1000,
	.backoff_min_ms = 1000,
	.backoff_max_ms = 8000,
	/* What the control lcore sizes it to by default. */
	.entries = WGJIT_DEFAULT_MAX_PENDING + WGJIT_DEFAULT_CP_MAX_INFLIGHT,
};

static void
key_of(uint8_t key[WGJIT_KEY_LEN], unsigned int i)
{
	memset(key, 0, WGJIT_KEY_LEN);
	memcpy(key, &i, sizeof(i));
	key[31] = 0x5a;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Settled keys go, a key still backing off stays, over several calls. */
static int
test_prune_sweeps(void)
{
	struct wgjit_pace *pc = wgjit_pace_create(&params);
	struct wgjit_pace_stats st;
	uint8_t key[WGJIT_KEY_LEN];
	unsigned int dropped = 0;

	TEST_ASSERT(pc != NULL, "create");
	for (unsigned int i = 0; i < 3000; i++) {
		key_of(key, i);
		TEST_ASSERT_EQUAL(wgjit_pace_grant(pc, key, 0), WGJIT_PACE_GO,
			"grant %u", i);
	}
	key_of(key, 7);
	wgjit_pace_failure(pc, key, 0);	/* backing off for a while */
	/* Past every window, not past key 7's longest backoff. */
	for (int c = 0; c < 1000 && dropped < 2999; c++)
		dropped += wgjit_pace_prune(pc, 2000, 256);
	TEST_ASSERT_EQUAL(dropped, 2999, "settled keys dropped");
	wgjit_pace_stats(pc, &st);
	TEST_ASSERT_EQUAL(st.keys, 1, "the key backing off stays");
	/* A sweep of a sparse table takes several calls (each looks at a
	 * bounded number of slots); within one sweep key 7 goes too. */
	dropped = 0;
	for (int c = 0; c < 64 && dropped == 0; c++)
		dropped = wgjit_pace_prune(pc, 1000000, 256);
	TEST_ASSERT_EQUAL(dropped, 1, "dropped once its backoff is over");
	wgjit_pace_free(pc);
	return TEST_SUCCESS;
}

/* One key left, not settled: a call costs a bounded scan, not a sweep of
 * the table per entry visited. 1000 calls took ~70 s before, and take
 * well under a millisecond each now, sanitizers included. */
static int
test_prune_sparse_is_cheap(void)
{
	struct wgjit_pace *pc = wgjit_pace_create(&params);
	uint8_t key[WGJIT_KEY_LEN];
	double t0, t;

	TEST_ASSERT(pc != NULL, "create");
	key_of(key, 1);
	TEST_ASSERT_EQUAL(wgjit_pace_grant(pc, key, 0), WGJIT_PACE_GO,
		"grant");
	t0 = now_s();
	for (int c = 0; c < 1000; c++)
		TEST_ASSERT_EQUAL(wgjit_pace_prune(pc, 10, 256), 0,
			"nothing settled yet");
	t = now_s() - t0;
	printf("  1000 prunes of a table with one unsettled key: %.1f ms\n",
		t * 1e3);
	TEST_ASSERT(t < 2.0, "1000 prunes took %.2f s", t);
	wgjit_pace_free(pc);
	return TEST_SUCCESS;
}

int
main(void)
{
	static const struct wgjit_test_case cases[] = {
		TEST_CASE(test_prune_sweeps),
		TEST_CASE(test_prune_sparse_is_cheap),
		TEST_CASES_END(),
	};

	return wgjit_test_run("pace", cases);
}
