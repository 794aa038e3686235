/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_MAC_H
#define WGJIT_MAC_H

/**
 * @file
 * WireGuard's MAC (keyed BLAKE2s with a 16-byte output) for many messages
 * under one key: mac1 under the gateway's key, cookies under the cookie
 * secret. Keyed BLAKE2s starts with a block holding the key; doing that
 * compression once per key instead of once per message saves one of the
 * three compressions of a mac1 (the check every initiation costs, flood
 * or not).
 *
 * libb2 has no call for "compress the key block now": it holds the last
 * full block back for its final call. The key state is built by feeding
 * single bytes until the block counter shows the key block compressed,
 * then dropping the buffered bytes. That relies on how libb2 buffers, so
 * wgjit_mac_key_init() checks the state against the one-shot blake2s()
 * on a test message and, should a libb2 ever differ, MACs without the
 * precomputed state (same results, one compression more).
 *
 * Threads: a key is read-only once set; any number of threads may MAC
 * with it. The state is key material: clear it with wgjit_mac_key_clear()
 * (the per-call copy on the stack is cleared by wgjit_mac()).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <blake2.h>

#include "wgjit_msg.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most bytes of a MAC key (BLAKE2s takes up to 32). */
#define WGJIT_MAC_KEY_MAX 32

/** A key and, when the self-test passed, its precomputed state. */
struct wgjit_mac_key {
	blake2s_state st;		/**< key block compressed */
	uint8_t key[WGJIT_MAC_KEY_MAX];
	uint8_t key_len;
	bool precomputed;		/**< st is used (the self-test passed) */
};

/**
 * Set @p k to the key @p key of @p key_len bytes (1..32).
 * @return 0, or -EINVAL for a bad length.
 */
int wgjit_mac_key_init(struct wgjit_mac_key *k, const uint8_t *key,
		size_t key_len);

/** Clear @p k (sodium_memzero). */
void wgjit_mac_key_clear(struct wgjit_mac_key *k);

/**
 * out = BLAKE2s-128(key = k, @p msg of @p len bytes): the same value as
 * blake2s(out, msg, key, 16, len, key_len), for any @p len (an empty
 * message takes the one-shot path: its last block is the key block).
 */
void wgjit_mac(const struct wgjit_mac_key *k, const void *msg, size_t len,
		uint8_t out[WGJIT_MSG_MAC_LEN]);

/**
 * Whether two MACs are equal, in constant time: the two 8-byte halves
 * XORed and ORed, no branch or early exit on where they differ. Inline:
 * every initiation's mac1 takes it, and a call into libsodium's
 * byte-wise loop cost more than the compare.
 */
static inline bool
wgjit_mac_equal(const uint8_t a[WGJIT_MSG_MAC_LEN],
		const uint8_t b[WGJIT_MSG_MAC_LEN])
{
	uint64_t a0, a1, b0, b1;

	memcpy(&a0, a, sizeof(a0));
	memcpy(&a1, a + 8, sizeof(a1));
	memcpy(&b0, b, sizeof(b0));
	memcpy(&b1, b + 8, sizeof(b1));
	return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

/** Whether a MAC field is all zeros (a mac2 never asked for), as above. */
static inline bool
wgjit_mac_is_zero(const uint8_t a[WGJIT_MSG_MAC_LEN])
{
	uint64_t a0, a1;

	memcpy(&a0, a, sizeof(a0));
	memcpy(&a1, a + 8, sizeof(a1));
	return (a0 | a1) == 0;
}

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_MAC_H */
