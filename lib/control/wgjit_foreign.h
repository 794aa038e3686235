/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_FOREIGN_H
#define WGJIT_FOREIGN_H

/**
 * @file
 * The peers of the WireGuard device that wgjit did not install (the
 * operator's static peers, or anyone else's), as of the last device dump:
 * their keys, their allowed IPs and their endpoints. wgjit never touches
 * them: an initiation for such a key goes to WireGuard as it is, nothing
 * is installed over their prefixes, and their endpoints are announced to
 * the data path as endpoints WireGuard knows.
 *
 * Threads: control lcore only.
 */

#include <stdbool.h>
#include <stdint.h>

#include "wgjit_key.h"
#include "wgjit_peer.h"
#include "wgjit_wg_device.h"

#ifdef __cplusplus
extern "C" {
#endif

struct wgjit_foreign;

/** An empty set. @return the set, or NULL (ENOMEM). */
struct wgjit_foreign *wgjit_foreign_create(void);

/** Free the set. NULL is allowed. */
void wgjit_foreign_free(struct wgjit_foreign *f);

/** Called for each foreign endpoint that appeared (add) or went. */
typedef void (*wgjit_foreign_endpoint_cb)(void *arg,
		const union wgjit_endpoint *ep, bool add);

/**
 * Rebuild the set from @p dev: every peer whose key is not among the
 * @p nb_ours keys of @p ours (sorted with memcmp order) is foreign.
 * @p now_ms (monotonic) is remembered as the time of the view. @p cb (may
 * be NULL) hears of every foreign endpoint that changed since the last
 * update.
 * @return 0, or -ENOMEM (the previous set is kept).
 */
int wgjit_foreign_update(struct wgjit_foreign *f,
		const struct wgjit_wg_device *dev,
		const uint8_t (*ours)[WGJIT_KEY_LEN], unsigned int nb_ours,
		uint64_t now_ms, wgjit_foreign_endpoint_cb cb, void *arg);

/** The allowed IPs of all foreign peers (valid until the next update). */
const struct wgjit_allowed_ip *wgjit_foreign_prefixes(
		const struct wgjit_foreign *f, unsigned int *nb);

/** The endpoints of all foreign peers (valid until the next update). */
const union wgjit_endpoint *wgjit_foreign_endpoints(
		const struct wgjit_foreign *f, unsigned int *nb);

/** True when @p key was a foreign peer of the device at the last update. */
bool wgjit_foreign_has(const struct wgjit_foreign *f,
		const uint8_t key[WGJIT_KEY_LEN]);

/** Monotonic milliseconds of the last update; 0 before the first. */
uint64_t wgjit_foreign_updated_ms(const struct wgjit_foreign *f);

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_FOREIGN_H */
