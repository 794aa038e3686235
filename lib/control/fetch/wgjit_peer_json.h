/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_PEER_JSON_H
#define WGJIT_PEER_JSON_H

/**
 * @file
 * The control plane's peer answer (docs/control-plane-api.md) as JSON,
 * parsed into struct wgjit_peer.
 *
 * Accepted document: one JSON object with
 *   - "public_key": standard base64 key, required, equal to the key asked;
 *   - "allowed_ips": array of "addr/cidr" strings, required, at most
 *     WGJIT_PEER_MAX_ALLOWED_IPS, host bits clear (may be empty);
 *   - "preshared_key": standard base64 key, optional (null = absent);
 *   - "persistent_keepalive": integer 0..65535, optional (null = absent).
 * Other members are ignored. Any present field of the wrong type or value,
 * invalid UTF-8, duplicate members, trailing data or a \u0000 escape
 * rejects the whole document.
 *
 * Thread safety: reentrant (jansson allocates per call, no global state).
 * Secrets: the preshared key text inside jansson's tree is cleared before
 * the tree is freed; the caller clears @p out with wgjit_peer_clear().
 * Error texts never quote key material.
 */

#include <stddef.h>
#include <stdint.h>

#include "wgjit_peer.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Recommended size of the error buffer. */
#define WGJIT_PEER_JSON_ERR_SIZE 128

/**
 * Parse a peer answer.
 *
 * @param buf
 *   The bytes received; need not be NUL-terminated, may be anything.
 * @param len
 *   Number of bytes in @p buf.
 * @param expect_key
 *   The public key that was asked for; "public_key" must equal it.
 * @param out
 *   Filled on success (flags: WGJIT_PEER_HAS_PRESHARED_KEY,
 *   WGJIT_PEER_HAS_KEEPALIVE as present); cleared on failure.
 * @param err
 *   On failure, a one-line reason (may be NULL).
 * @param errlen
 *   Size of @p err.
 * @return
 *   0; -EINVAL when the document is rejected; -ENOMEM when jansson could
 *   not allocate (reported as a parse error by jansson, so rare).
 */
int wgjit_peer_json_parse(const char *buf, size_t len,
		const uint8_t expect_key[WGJIT_KEY_LEN], struct wgjit_peer *out,
		char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_PEER_JSON_H */
