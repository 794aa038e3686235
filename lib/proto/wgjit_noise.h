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
 * backed by a store the caller provides (wgjit_replay.h);
 * wgjit_noise_accept() runs the check and then that step.
 *
 * Threads: a struct wgjit_noise_responder is read-only after init and may
 * be shared by every lcore. A struct wgjit_noise_ctx belongs to one lcore.
 * Nothing allocates after wgjit_noise_ctx_create(). Every secret on the
 * stack is cleared with sodium_memzero() on every path; a context (with
 * its static-static DH cache) lives in secret memory (wgjit_secret.h:
 * locked, out of core dumps, cleared when freed), and so should the
 * caller's struct wgjit_noise_responder.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wgjit_key.h"
#include "wgjit_mac.h"
#include "wgjit_msg.h"
#include "wgjit_replay.h"

#ifdef __cplusplus
extern "C" {
#endif

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
	WGJIT_NOISE_STRANGER,	   /**< static key skipped by the caller */
	WGJIT_NOISE_VERDICT_MAX,
};

/** The gateway's side: keys and precomputed hashes. Read-only once set. */
struct wgjit_noise_responder {
	uint8_t private_key[WGJIT_KEY_LEN];
	uint8_t public_key[WGJIT_KEY_LEN];
	uint8_t mac1_key[WGJIT_KEY_LEN];	/**< HASH("mac1----" || pub) */
	struct wgjit_mac_key mac1;		/**< mac1_key, precomputed */
	uint8_t chaining_key[WGJIT_KEY_LEN];	/**< C after the protocol name */
	uint8_t hash[WGJIT_KEY_LEN];		/**< H after prologue and pub */
	bool wireguard;				/**< WireGuard framing and mac1 */
};

/** What a check learnt from one initiation. */
struct wgjit_noise_result {
	uint8_t public_key[WGJIT_KEY_LEN];	/**< initiator static */
	uint8_t tai64n[WGJIT_MSG_TAI64N_LEN];	/**< set with WGJIT_NOISE_OK */
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

/**
 * The whole first leg as every consumer runs it: wgjit_noise_check(), then,
 * for an authenticated message, wgjit_replay_check() against @p store
 * (the timestamp is committed only then).
 * @return WGJIT_NOISE_OK with res filled in and the timestamp committed;
 *   WGJIT_NOISE_REPLAY when the timestamp is not newer, or when the store
 *   failed (nothing is accepted that cannot be recorded); or the failure
 *   of the check. res->public_key is set from WGJIT_NOISE_BAD_STATIC on.
 */
enum wgjit_noise_verdict wgjit_noise_accept(struct wgjit_noise_ctx *ctx,
		const struct wgjit_replay_store *store, const uint8_t *msg,
		size_t len, struct wgjit_noise_result *res);

/**
 * Decides, from a static key that decrypted but is not yet authenticated,
 * that the rest of the check is not worth its DH (e.g. the control plane
 * said it does not know the key). True stops the check.
 */
typedef bool (*wgjit_noise_skip_t)(void *arg,
		const uint8_t static_key[WGJIT_KEY_LEN]);

/**
 * wgjit_noise_accept(), asking @p skip (with @p arg) about the static key
 * after the first DH: a stranger costs one DH, not two.
 * @return as wgjit_noise_accept(), or WGJIT_NOISE_STRANGER when @p skip
 *   said so (res->public_key set, nothing committed).
 */
enum wgjit_noise_verdict wgjit_noise_accept_skip(struct wgjit_noise_ctx *ctx,
		const struct wgjit_replay_store *store, wgjit_noise_skip_t skip,
		void *arg, const uint8_t *msg, size_t len,
		struct wgjit_noise_result *res);

/** Cache statistics of a context (for telemetry and benchmarks). */
struct wgjit_noise_ctx_stats {
	uint64_t ss_hits;
	uint64_t ss_misses;
};
void wgjit_noise_ctx_stats(const struct wgjit_noise_ctx *ctx,
		struct wgjit_noise_ctx_stats *stats);

/** Short lower-case name of a verdict ("ok", "bad_mac1", ...). */
const char *wgjit_noise_verdict_name(enum wgjit_noise_verdict v);

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_NOISE_H */
