/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * wgjit_mac() with its precomputed key block against libb2's one-shot
 * keyed BLAKE2s, for every key length and message lengths across three
 * blocks, and that the precomputed path is the one in use here (the
 * fallback is for a libb2 that buffers otherwise; falling back silently
 * would cost every initiation a compression), and the inline compares.
 * The values on the wire are
 * checked against wireguard-go by the noise_wg and cookie tests, whose
 * mac1 and cookie checks go through wgjit_mac().
 */

#include <errno.h>
#include <string.h>

#include <blake2.h>
#include <sodium.h>

#include "wgjit_mac.h"
#include "wgjit_test.h"

static int
test_matches_oneshot(void)
{
	uint8_t key[WGJIT_MAC_KEY_MAX], msg[3 * BLAKE2S_BLOCKBYTES + 1];
	uint8_t a[WGJIT_MSG_MAC_LEN], b[WGJIT_MSG_MAC_LEN];
	struct wgjit_mac_key k;

	randombytes_buf(key, sizeof(key));
	randombytes_buf(msg, sizeof(msg));
	for (size_t kl = 1; kl <= sizeof(key); kl++) {
		TEST_ASSERT_EQUAL(wgjit_mac_key_init(&k, key, kl), 0,
			"key length %zu", kl);
		TEST_ASSERT(k.precomputed, "key length %zu: not precomputed",
			kl);
		for (size_t len = 0; len <= sizeof(msg); len++) {
			blake2s(a, msg, key, sizeof(a), len, kl);
			wgjit_mac(&k, msg, len, b);
			TEST_ASSERT_MEM_EQUAL(a, b, sizeof(a),
				"key length %zu, message length %zu", kl, len);
		}
		wgjit_mac_key_clear(&k);
	}
	return TEST_SUCCESS;
}

static int
test_bad_key(void)
{
	uint8_t key[WGJIT_MAC_KEY_MAX + 1] = { 0 };
	struct wgjit_mac_key k;

	TEST_ASSERT_EQUAL(wgjit_mac_key_init(&k, key, 0), -EINVAL, "empty");
	TEST_ASSERT_EQUAL(wgjit_mac_key_init(&k, key, sizeof(key)), -EINVAL,
		"33 bytes");
	TEST_ASSERT_EQUAL(wgjit_mac_key_init(&k, NULL, 16), -EINVAL, "NULL");
	return TEST_SUCCESS;
}

/* A copy of a key state is independent: MACs do not change the key. */
static int
test_key_unchanged(void)
{
	uint8_t key[32], msg[116], a[WGJIT_MSG_MAC_LEN], b[WGJIT_MSG_MAC_LEN];
	struct wgjit_mac_key k, before;

	randombytes_buf(key, sizeof(key));
	randombytes_buf(msg, sizeof(msg));
	TEST_ASSERT_EQUAL(wgjit_mac_key_init(&k, key, sizeof(key)), 0, "init");
	memcpy(&before, &k, sizeof(k));
	wgjit_mac(&k, msg, sizeof(msg), a);
	wgjit_mac(&k, msg, sizeof(msg), b);
	TEST_ASSERT_MEM_EQUAL(a, b, sizeof(a), "same MAC twice");
	TEST_ASSERT(memcmp(&k, &before, sizeof(k)) == 0, "key state changed");
	return TEST_SUCCESS;
}

/* The inline compares: a difference in any one bit of either half. */
static int
test_compare(void)
{
	uint8_t a[WGJIT_MSG_MAC_LEN], b[WGJIT_MSG_MAC_LEN];
	uint8_t zero[WGJIT_MSG_MAC_LEN] = { 0 };

	randombytes_buf(a, sizeof(a));
	memcpy(b, a, sizeof(b));
	TEST_ASSERT(wgjit_mac_equal(a, b), "equal MACs differ");
	TEST_ASSERT(wgjit_mac_is_zero(zero), "zeros are not zero");
	for (unsigned int bit = 0; bit < 8 * sizeof(a); bit++) {
		b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		TEST_ASSERT(!wgjit_mac_equal(a, b), "bit %u not seen", bit);
		TEST_ASSERT(!wgjit_mac_equal(b, a), "bit %u not seen (b, a)",
			bit);
		b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		zero[bit / 8] = (uint8_t)(1u << (bit % 8));
		TEST_ASSERT(!wgjit_mac_is_zero(zero), "bit %u: zero", bit);
		zero[bit / 8] = 0;
	}
	return TEST_SUCCESS;
}

int
main(void)
{
	static const struct wgjit_test_case cases[] = {
		TEST_CASE(test_matches_oneshot),
		TEST_CASE(test_bad_key),
		TEST_CASE(test_key_unchanged),
		TEST_CASE(test_compare),
		TEST_CASES_END(),
	};

	if (sodium_init() < 0)
		return 1;
	return wgjit_test_run("mac", cases);
}
