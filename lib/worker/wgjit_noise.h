/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_NOISE_H
#define WGJIT_NOISE_H

/**
 * @file
 * Identification of WireGuard handshake initiations: the responder's side
 * of the first message of Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s, stopped
 * before any state is created.
 *
 * Checks run cheapest and least trusting first:
 *   length, type and reserved bytes -> mac1 (no DH for a bad mac1)
 *   -> es = DH(responder private, initiator ephemeral), all-zero rejected
 *   -> decrypt the initiator static key (WGJIT_NOISE_IDENTIFIED)
 *   -> ss = DH(responder private, initiator static), from a per-context
 *      cache when the peer is known -> decrypt the TAI64N timestamp.
 * A message whose static key was claimed without the matching private key
 * fails the timestamp step (WGJIT_NOISE_FORGED).
 *
 * Replay protection (the timestamp must grow per key) is a separate step
 * backed by a store the caller provides: wgjit_noise_replay_check().
 *
 * Threads: a struct wgjit_noise_responder is read-only after init and may
 * be shared by every lcore. A struct wgjit_noise_ctx belongs to one lcore.
 * Nothing allocates after wgjit_noise_ctx_create(). Every secret on the
 * stack is cleared with sodium_memzero() on every path.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wgjit_key.h"

#ifdef __cplusplus
extern "C" {
#endif

/** WireGuard message types (first byte; three reserved zero bytes). */
enum wgjit_noise_msg_type {
	WGJIT_NOISE_MSG_INITIATION = 1,
	WGJIT_NOISE_MSG_RESPONSE = 2,
	WGJIT_NOISE_MSG_COOKIE = 3,
	WGJIT_NOISE_MSG_DATA = 4,
};

/** Wire lengths, as in the WireGuard paper. */
enum wgjit_noise_lengths {
	WGJIT_NOISE_TAI64N_LEN = 12,
	WGJIT_NOISE_AEAD_TAG_LEN = 16,
	WGJIT_NOISE_MAC_LEN = 16,
	WGJIT_NOISE_INITIATION_LEN = 148,
	WGJIT_NOISE_RESPONSE_LEN = 92,
	WGJIT_NOISE_COOKIE_LEN = 64,
	WGJIT_NOISE_DATA_MIN_LEN = 32,
};

/** The outcome of a check; one counter each in the data path. */
enum wgjit_noise_verdict {
	WGJIT_NOISE_OK = 0,	   /**< authenticated, timestamp decrypted */
	WGJIT_NOISE_IDENTIFIED,	   /**< static recovered, not authenticated */
	WGJIT_NOISE_MALFORMED,	   /**< length, type or reserved bytes */
	WGJIT_NOISE_BAD_MAC1,	   /**< mac1 wrong: no DH was done */
	WGJIT_NOISE_BAD_EPHEMERAL, /**< DH with the ephemeral is all zero */
	WGJIT_NOISE_BAD_STATIC,	   /**< static key does not decrypt */
	WGJIT_NOISE_FORGED,	   /**< timestamp does not decrypt */
	WGJIT_NOISE_REPLAY,	   /**< timestamp not newer than the last */
	WGJIT_NOISE_VERDICT_MAX,
};

/** The gateway's side: keys and precomputed hashes. Read-only once set. */
struct wgjit_noise_responder {
	uint8_t private_key[WGJIT_KEY_LEN];
	uint8_t public_key[WGJIT_KEY_LEN];
	uint8_t mac1_key[WGJIT_KEY_LEN];	/**< HASH("mac1----" || pub) */
	uint8_t chaining_key[WGJIT_KEY_LEN];	/**< C after the protocol name */
	uint8_t hash[WGJIT_KEY_LEN];		/**< H after prologue and pub */
	bool wireguard;				/**< WireGuard framing and mac1 */
};

/** What a check learnt from one initiation. */
struct wgjit_noise_result {
	uint8_t public_key[WGJIT_KEY_LEN];	/**< initiator static */
	uint8_t tai64n[WGJIT_NOISE_TAI64N_LEN];	/**< set with WGJIT_NOISE_OK */
	uint32_t sender_index;			/**< little-endian on the wire */
};

/** Per-lcore context: scratch and the static-static DH cache. Opaque. */
struct wgjit_noise_ctx;

/**
 * Set up a WireGuard responder from the interface private key.
 *
 * @return 0, or -EINVAL for a key whose public key cannot be derived.
 */
int wgjit_noise_responder_init(struct wgjit_noise_responder *resp,
		const uint8_t private_key[WGJIT_KEY_LEN]);

/**
 * Set up a responder for a generic Noise IK(psk2) first message: the given
 * protocol name and prologue, no WireGuard header and no mac1. For
 * known-answer tests with other prologues (the Cacophony vectors).
 *
 * @return 0, or -EINVAL.
 */
int wgjit_noise_responder_init_generic(struct wgjit_noise_responder *resp,
		const uint8_t private_key[WGJIT_KEY_LEN], const char *protocol,
		const uint8_t *prologue, size_t prologue_len);

/** Clear every key in @p resp. */
void wgjit_noise_responder_clear(struct wgjit_noise_responder *resp);

/**
 * Create a per-lcore context. Init only (allocates).
 *
 * @param resp  shared responder; must outlive the context.
 * @param cache_entries  static-static DH cache size, rounded up to a power
 *   of two; 0 disables the cache.
 * @return the context, or NULL with errno set.
 */
struct wgjit_noise_ctx *wgjit_noise_ctx_create(
		const struct wgjit_noise_responder *resp,
		unsigned int cache_entries);

/** Clear the DH cache and free the context. NULL is allowed. */
void wgjit_noise_ctx_free(struct wgjit_noise_ctx *ctx);

/**
 * Check mac1 only: the cheap gate before any DH.
 * @return WGJIT_NOISE_OK, WGJIT_NOISE_MALFORMED or WGJIT_NOISE_BAD_MAC1.
 */
enum wgjit_noise_verdict wgjit_noise_check_mac1(
		const struct wgjit_noise_responder *resp,
		const uint8_t *msg, size_t len);

/**
 * Identify: mac1, es and the static key (one DH). Does not authenticate.
 * @return WGJIT_NOISE_IDENTIFIED with res->public_key set, or a failure.
 */
enum wgjit_noise_verdict wgjit_noise_identify(struct wgjit_noise_ctx *ctx,
		const uint8_t *msg, size_t len, struct wgjit_noise_result *res);

/**
 * Full check: identify, then ss (cached per peer) and the timestamp.
 * For a generic responder, @p len is the Noise message and the payload
 * (its plaintext length = len - 96) is copied to @p payload when not NULL.
 * @return WGJIT_NOISE_OK with res filled in, or a failure. No replay check.
 */
enum wgjit_noise_verdict wgjit_noise_check(struct wgjit_noise_ctx *ctx,
		const uint8_t *msg, size_t len, struct wgjit_noise_result *res,
		uint8_t *payload, size_t payload_size);

/** Cache statistics of a context (for telemetry and benchmarks). */
struct wgjit_noise_ctx_stats {
	uint64_t ss_hits;
	uint64_t ss_misses;
};
void wgjit_noise_ctx_stats(const struct wgjit_noise_ctx *ctx,
		struct wgjit_noise_ctx_stats *stats);

/** Short lower-case name of a verdict ("ok", "bad_mac1", ...). */
const char *wgjit_noise_verdict_name(enum wgjit_noise_verdict v);

/* ---- TAI64N timestamps ---- */

/** memcmp-like order of two TAI64N labels (they are big-endian). */
int wgjit_noise_tai64n_cmp(const uint8_t a[WGJIT_NOISE_TAI64N_LEN],
		const uint8_t b[WGJIT_NOISE_TAI64N_LEN]);

/** Unix time of a TAI64N label (seconds; nanoseconds in *nsec if given).*/
int64_t wgjit_noise_tai64n_to_unix(const uint8_t t[WGJIT_NOISE_TAI64N_LEN],
		uint32_t *nsec);

/* ---- Replay protection, backed by the caller's store ---- */

/**
 * A store of the last accepted timestamp per key.
 * lookup: 1 and @p last set when the key is known, 0 when not, <0 error.
 * commit: store @p ts as the last accepted; 0 or <0 error.
 */
struct wgjit_noise_replay_store {
	int (*lookup)(void *arg, const uint8_t key[WGJIT_KEY_LEN],
			uint8_t last[WGJIT_NOISE_TAI64N_LEN]);
	int (*commit)(void *arg, const uint8_t key[WGJIT_KEY_LEN],
			const uint8_t ts[WGJIT_NOISE_TAI64N_LEN]);
	void *arg;
};

/**
 * Accept @p ts for @p key only when it is greater than the last accepted
 * one, and then commit it.
 * @return WGJIT_NOISE_OK or WGJIT_NOISE_REPLAY; -errno (as an int) when
 *   the store fails, in which case nothing is accepted.
 */
int wgjit_noise_replay_check(const struct wgjit_noise_replay_store *store,
		const uint8_t key[WGJIT_KEY_LEN],
		const uint8_t ts[WGJIT_NOISE_TAI64N_LEN]);

/**
 * A bounded in-memory store (open addressing, oldest-slot replacement when
 * full), for wgjit-inspect and as each worker's first line. Init only.
 * @return the table or NULL with errno set.
 */
struct wgjit_noise_replay_table *wgjit_noise_replay_table_create(
		unsigned int entries);
void wgjit_noise_replay_table_free(struct wgjit_noise_replay_table *t);
/** Fill @p store so that it is backed by @p t. */
void wgjit_noise_replay_table_store(struct wgjit_noise_replay_table *t,
		struct wgjit_noise_replay_store *store);

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_NOISE_H */
