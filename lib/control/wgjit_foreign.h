/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_FOREIGN_H
#define WGJIT_FOREIGN_H

/**
 * @file
 * The peers of the WireGuard device that wgjit did not install (the
 * operator's static peers, or anyone else's), as of the last device dump.
 * wgjit never touches them: an initiation for such a key goes to
 * WireGuard as it is, and nothing is installed over it.
 *
 * Threads: control lcore only.
 */

#include <stdbool.h>
#include <stdint.h>

#include "wgjit_key.h"
#include "wgjit_wg_device.h"

#ifdef __cplusplus
extern "C" {
#endif

struct wgjit_foreign;

/** An empty set. @return the set, or NULL (ENOMEM). */
struct wgjit_foreign *wgjit_foreign_create(void);

/** Free the set. NULL is allowed. */
void wgjit_foreign_free(struct wgjit_foreign *f);

/**
 * Rebuild the set from @p dev: every peer whose key is not among the
 * @p nb_ours keys of @p ours (sorted with memcmp order) is foreign.
 * @p now_ms (monotonic) is remembered as the time of the view.
 * @return 0, or -ENOMEM (the previous set is kept).
 */
int wgjit_foreign_update(struct wgjit_foreign *f,
		const struct wgjit_wg_device *dev,
		const uint8_t (*ours)[WGJIT_KEY_LEN], unsigned int nb_ours,
		uint64_t now_ms);

/** True when @p key was a foreign peer of the device at the last update. */
bool wgjit_foreign_has(const struct wgjit_foreign *f,
		const uint8_t key[WGJIT_KEY_LEN]);

/** Monotonic milliseconds of the last update; 0 before the first. */
uint64_t wgjit_foreign_updated_ms(const struct wgjit_foreign *f);

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_FOREIGN_H */
