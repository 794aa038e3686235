/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "wgjit_mac.h"

/* Longest a test message needs to be: two blocks and a bit, so that the
 * self-test covers a final call with more than one block buffered. */
#define SELF_TEST_LEN 148

static void
mac_oneshot(const struct wgjit_mac_key *k, const void *msg, size_t len,
		uint8_t out[WGJIT_MSG_MAC_LEN])
{
	blake2s(out, msg, k->key, WGJIT_MSG_MAC_LEN, len, k->key_len);
}

static void
mac_precomputed(const struct wgjit_mac_key *k, const void *msg, size_t len,
		uint8_t out[WGJIT_MSG_MAC_LEN])
{
	blake2s_state st = k->st;

	blake2s_update(&st, msg, len);
	blake2s_final(&st, out, WGJIT_MSG_MAC_LEN);
	sodium_memzero(&st, sizeof(st));
}

/* The state after the key block, or false if libb2 does not get there. */
static bool
precompute(struct wgjit_mac_key *k)
{
	const uint8_t zero = 0;

	if (blake2s_init_key(&k->st, WGJIT_MSG_MAC_LEN, k->key,
			k->key_len) != 0)
		return false;
	/* Until the key block is compressed; the bytes fed are dropped. */
	for (unsigned int i = 0; k->st.t[0] < BLAKE2S_BLOCKBYTES; i++) {
		if (i > 2 * BLAKE2S_BLOCKBYTES)
			return false;
		blake2s_update(&k->st, &zero, 1);
	}
	if (k->st.t[0] != BLAKE2S_BLOCKBYTES || k->st.t[1] != 0)
		return false;
	k->st.buflen = 0;
	return true;
}

/* The precomputed state gives the one-shot's MAC for every length that
 * can end in a partial, a full and more than one buffered block. */
static bool
self_test(const struct wgjit_mac_key *k)
{
	uint8_t msg[SELF_TEST_LEN], a[WGJIT_MSG_MAC_LEN], b[WGJIT_MSG_MAC_LEN];
	static const size_t lens[] = { 1, 63, 64, 65, 116, 128, 132,
		SELF_TEST_LEN };

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 1);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		mac_oneshot(k, msg, lens[i], a);
		mac_precomputed(k, msg, lens[i], b);
		if (memcmp(a, b, sizeof(a)) != 0)
			return false;
	}
	return true;
}

int
wgjit_mac_key_init(struct wgjit_mac_key *k, const uint8_t *key,
		size_t key_len)
{
	if (key == NULL || key_len == 0 || key_len > WGJIT_MAC_KEY_MAX)
		return -EINVAL;
	sodium_memzero(k, sizeof(*k));
	memcpy(k->key, key, key_len);
	k->key_len = (uint8_t)key_len;
	k->precomputed = precompute(k) && self_test(k);
	return 0;
}

void
wgjit_mac_key_clear(struct wgjit_mac_key *k)
{
	sodium_memzero(k, sizeof(*k));
}

void
wgjit_mac(const struct wgjit_mac_key *k, const void *msg, size_t len,
		uint8_t out[WGJIT_MSG_MAC_LEN])
{
	/* Keyed BLAKE2s of nothing ends on the key block itself. */
	if (k->precomputed && len > 0)
		mac_precomputed(k, msg, len, out);
	else
		mac_oneshot(k, msg, len, out);
}
