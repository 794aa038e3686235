/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_COOKIE_H
#define WGJIT_COOKIE_H

/**
 * @file
 * WireGuard's cookie mechanism, responder side, for a gateway under load
 * (the WireGuard paper, section 5.4.7; kernel WireGuard cookie.c):
 *
 *   cookie     = MAC(secret, source address || source port)
 *   mac2       = MAC(cookie, initiation up to mac2)
 *   reply      = type 3, receiver = the initiation's sender index,
 *                24-byte nonce, XAEAD(key, nonce, cookie, mac1)
 *   key        = HASH("cookie--" || responder public key)
 *
 * MAC is keyed BLAKE2s-128, XAEAD XChaCha20-Poly1305. An initiation whose
 * mac2 matches the cookie of its own source proves that the source can
 * receive: only then does a gateway under load spend a DH on it. The
 * secret is random and replaced every WGJIT_COOKIE_SECRET_MAX_AGE_S, which
 * invalidates every cookie handed out before.
 *
 * The cookie is this gateway's own business: the initiator stores it
 * opaquely. wgjit encodes the port big-endian (as the kernel does).
 *
 * Threads: a struct wgjit_cookie_checker belongs to one lcore (each RX
 * lcore has its own secret; a client's flow always reaches the same RX
 * lcore). No allocation, no system call: new secrets come from a
 * generator seeded once at init, reply nonces are a random prefix and a
 * counter (XChaCha20 needs them unique, not secret). Secrets on the stack are
 * cleared with sodium_memzero().
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wgjit_key.h"
#include "wgjit_mac.h"
#include "wgjit_msg.h"
#include "wgjit_peer.h"

#ifdef __cplusplus
extern "C" {
#endif

/** How long a secret lives (COOKIE_SECRET_MAX_AGE of the paper). */
#define WGJIT_COOKIE_SECRET_MAX_AGE_S 120
/**
 * For how long past its two minutes a secret still validates mac2 (it
 * makes no cookie then): one retry of WireGuard's (REKEY_TIMEOUT 5 s,
 * jitter) and its way here, so that a client that got its cookie just
 * before the change is not sent round again. Kernel WireGuard accepts the
 * current secret only.
 */
#define WGJIT_COOKIE_PREV_GRACE_S 10

/** One lcore's cookie state. The fields are private. */
struct wgjit_cookie_checker {
	uint8_t encryption_key[WGJIT_KEY_LEN];	/**< HASH("cookie--"||pub) */
	struct wgjit_mac_key secret;		/**< keys the cookies */
	struct wgjit_mac_key prev_secret;	/**< the one before */
	uint64_t secret_born_ns;		/**< caller's clock; 0 = none */
	uint64_t prev_born_ns;			/**< 0 = no previous one */
	uint8_t drbg_key[WGJIT_KEY_LEN];	/**< seeds the secrets */
	uint64_t drbg_counter;
	/** Reply nonces: a random prefix and a counter, unique per reply. */
	uint8_t nonce_prefix[WGJIT_MSG_COOKIE_NONCE_LEN - 8];
	uint64_t nonce_counter;
	/**
	 * HChaCha20(encryption_key, nonce_prefix): XChaCha20's subkey for
	 * every reply nonce, which all begin with the prefix. A reply is
	 * then ChaCha20-Poly1305 (IETF) under it with the nonce's last 8
	 * bytes, XChaCha20-Poly1305's own construction, ~40 % cheaper.
	 */
	uint8_t reply_subkey[WGJIT_KEY_LEN];
};

/**
 * Set up a checker for the responder whose static public key is @p pub.
 * Reads the system's random source once (init only). @return 0 or -EIO.
 */
int wgjit_cookie_checker_init(struct wgjit_cookie_checker *c,
		const uint8_t pub[WGJIT_KEY_LEN]);

/** Clear every secret of @p c. */
void wgjit_cookie_checker_clear(struct wgjit_cookie_checker *c);

/**
 * The cookie of @p src under the current secret, replacing the secret
 * first when it is older than WGJIT_COOKIE_SECRET_MAX_AGE_S at @p now_ns
 * (any monotonic clock, used consistently).
 */
void wgjit_cookie_make(struct wgjit_cookie_checker *c,
		const union wgjit_endpoint *src, uint64_t now_ns,
		uint8_t cookie[WGJIT_MSG_MAC_LEN]);

/**
 * True when the initiation @p msg (WGJIT_MSG_INITIATION_LEN bytes, mac1
 * already checked) carries the mac2 of @p src's current cookie (or of its cookie
 * under the previous secret, up to WGJIT_COOKIE_PREV_GRACE_S past that
 * secret's two minutes).
 * Constant-time compare; an all-zero mac2 (what an initiator without a
 * cookie sends) is refused without computing anything.
 */
bool wgjit_cookie_check_mac2(struct wgjit_cookie_checker *c,
		const uint8_t *msg, const union wgjit_endpoint *src,
		uint64_t now_ns);

/**
 * Write the cookie reply (WGJIT_MSG_COOKIE_LEN bytes) to initiation
 * @p msg from @p src into @p out. @p out may not overlap @p msg.
 */
void wgjit_cookie_reply(struct wgjit_cookie_checker *c, const uint8_t *msg,
		const union wgjit_endpoint *src, uint64_t now_ns,
		uint8_t out[WGJIT_MSG_COOKIE_LEN]);

/**
 * The initiator's side, for tests and tools: decrypt @p reply to an
 * initiation whose mac1 was @p mac1, sent to the responder @p pub.
 * @return 0 with @p cookie set, or -EBADMSG when it does not decrypt.
 */
int wgjit_cookie_open_reply(const uint8_t pub[WGJIT_KEY_LEN],
		const uint8_t reply[WGJIT_MSG_COOKIE_LEN],
		const uint8_t mac1[WGJIT_MSG_MAC_LEN],
		uint8_t cookie[WGJIT_MSG_MAC_LEN]);

/**
 * The initiator's side: the reply that @p key (the cookie encryption key
 * of wgjit_cookie_checker_init()) and @p nonce make for @p cookie and
 * @p mac1, into @p out. With a captured nonce, tests compare it with a
 * reply another implementation made.
 */
void wgjit_cookie_seal_reply(const uint8_t key[WGJIT_KEY_LEN],
		uint32_t receiver_index_le,
		const uint8_t nonce[WGJIT_MSG_COOKIE_NONCE_LEN],
		const uint8_t cookie[WGJIT_MSG_MAC_LEN],
		const uint8_t mac1[WGJIT_MSG_MAC_LEN],
		uint8_t out[WGJIT_MSG_COOKIE_LEN]);

/** mac2 of initiation @p msg under @p cookie (the initiator's side). */
void wgjit_cookie_mac2(const uint8_t cookie[WGJIT_MSG_MAC_LEN],
		const uint8_t *msg, uint8_t mac2[WGJIT_MSG_MAC_LEN]);

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_COOKIE_H */
