/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_KEY_H
#define WGJIT_KEY_H

/**
 * @file
 * WireGuard keys as text: the standard base64 form that `wg` prints
 * (44 characters with one '=' of padding), the unpadded base64url form used
 * in control-plane URLs (43 characters), hex (UAPI) and key files.
 *
 * Thread safety: every function is reentrant. Nothing here allocates.
 * Secrets: wgjit_key_read_file() clears its read buffer; the caller clears
 * the key it receives with sodium_memzero().
 */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Length of a Curve25519 key, a preshared key or a hash. */
#define WGJIT_KEY_LEN 32
/** Buffer size for a standard base64 key with its NUL. */
#define WGJIT_KEY_B64_SIZE 45
/** Buffer size for an unpadded base64url key with its NUL. */
#define WGJIT_KEY_B64URL_SIZE 44
/** Buffer size for a hex key with its NUL. */
#define WGJIT_KEY_HEX_SIZE 65

/**
 * Decode a standard base64 key (exactly 44 characters, trailing '=').
 *
 * @return 0, or -EINVAL when the text is not a 32-byte base64 key.
 */
int wgjit_key_from_base64(uint8_t key[WGJIT_KEY_LEN], const char *b64);

/** Encode a key in standard base64; @p out holds WGJIT_KEY_B64_SIZE bytes. */
void wgjit_key_to_base64(char out[WGJIT_KEY_B64_SIZE],
		const uint8_t key[WGJIT_KEY_LEN]);

/** Encode a key in unpadded base64url (the control-plane URL form). */
void wgjit_key_to_base64url(char out[WGJIT_KEY_B64URL_SIZE],
		const uint8_t key[WGJIT_KEY_LEN]);

/** Encode a key as 64 lower-case hex digits (the UAPI form). */
void wgjit_key_to_hex(char out[WGJIT_KEY_HEX_SIZE],
		const uint8_t key[WGJIT_KEY_LEN]);

/**
 * Decode 64 hex digits.
 *
 * @return 0, or -EINVAL.
 */
int wgjit_key_from_hex(uint8_t key[WGJIT_KEY_LEN], const char *hex);

/**
 * Read a private key file as written by `wg genkey`: one base64 key,
 * optional surrounding white space, nothing else. The file must be a
 * secret file (wgjit_secret.h): not a symlink, mode 0600 or tighter.
 *
 * @return 0, or -errno with a one-line reason in @p err (may be NULL):
 *   -ELOOP, -EACCES, -EINVAL (as wgjit_secret_read(), or not exactly one
 *   key), or the errno of the read.
 */
int wgjit_key_read_file(uint8_t key[WGJIT_KEY_LEN], const char *path,
		char *err, size_t errlen);

/** Derive the Curve25519 public key of @p priv. Returns 0 or -EINVAL. */
int wgjit_key_public(uint8_t pub[WGJIT_KEY_LEN],
		const uint8_t priv[WGJIT_KEY_LEN]);

/** Size of the secret of wgjit_key_hash(). */
#define WGJIT_KEY_HASH_SECRET_LEN 16

/**
 * A keyed hash (SipHash-2-4) of a key, for tables indexed by keys that
 * come from the network: without @p secret (random per table, from
 * wgjit_key_hash_secret()) nobody can aim keys at one slot.
 */
uint32_t wgjit_key_hash(const uint8_t key[WGJIT_KEY_LEN],
		const uint8_t secret[WGJIT_KEY_HASH_SECRET_LEN]);

/** Fill @p secret with random bytes for wgjit_key_hash(). */
void wgjit_key_hash_secret(uint8_t secret[WGJIT_KEY_HASH_SECRET_LEN]);

/** True when all 32 bytes are zero (constant time). */
int wgjit_key_is_zero(const uint8_t key[WGJIT_KEY_LEN]);

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_KEY_H */
