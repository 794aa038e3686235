/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_MSG_H
#define WGJIT_MSG_H

/**
 * @file
 * WireGuard messages as they are on the wire: the message types, the
 * lengths, and the layout of the two handshake messages wgjit reads or
 * writes (the initiation and the cookie reply). Field names follow the
 * WireGuard paper. Multi-byte integers are little-endian on the wire.
 * Header only; no functions.
 */

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Message types (first byte; three reserved zero bytes follow). */
enum wgjit_msg_type {
	WGJIT_MSG_INITIATION = 1,
	WGJIT_MSG_RESPONSE = 2,
	WGJIT_MSG_COOKIE = 3,
	WGJIT_MSG_DATA = 4,
};

/** Wire lengths, as in the WireGuard paper. */
enum wgjit_msg_lengths {
	WGJIT_MSG_KEY_LEN = 32,
	WGJIT_MSG_TAI64N_LEN = 12,
	WGJIT_MSG_AEAD_TAG_LEN = 16,
	WGJIT_MSG_MAC_LEN = 16,
	WGJIT_MSG_COOKIE_NONCE_LEN = 24,
	WGJIT_MSG_INITIATION_LEN = 148,
	WGJIT_MSG_RESPONSE_LEN = 92,
	WGJIT_MSG_COOKIE_LEN = 64,
	WGJIT_MSG_DATA_MIN_LEN = 32,
};

/** The handshake initiation (148 bytes). */
struct wgjit_msg_initiation {
	uint8_t type;
	uint8_t reserved[3];
	uint8_t sender_index[4];
	uint8_t unencrypted_ephemeral[WGJIT_MSG_KEY_LEN];
	uint8_t encrypted_static[WGJIT_MSG_KEY_LEN + WGJIT_MSG_AEAD_TAG_LEN];
	uint8_t encrypted_timestamp[WGJIT_MSG_TAI64N_LEN +
		WGJIT_MSG_AEAD_TAG_LEN];
	uint8_t mac1[WGJIT_MSG_MAC_LEN];	/**< over everything before it */
	uint8_t mac2[WGJIT_MSG_MAC_LEN];	/**< over everything before it */
};

/** The cookie reply (64 bytes). */
struct wgjit_msg_cookie {
	uint8_t type;
	uint8_t reserved[3];
	uint8_t receiver_index[4];	/**< the initiation's sender_index */
	uint8_t nonce[WGJIT_MSG_COOKIE_NONCE_LEN];
	uint8_t encrypted_cookie[WGJIT_MSG_MAC_LEN + WGJIT_MSG_AEAD_TAG_LEN];
};

_Static_assert(sizeof(struct wgjit_msg_initiation) ==
	WGJIT_MSG_INITIATION_LEN, "initiation wire size");
_Static_assert(sizeof(struct wgjit_msg_cookie) == WGJIT_MSG_COOKIE_LEN,
	"cookie reply wire size");

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_MSG_H */
