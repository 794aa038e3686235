/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_FLOORS_H
#define WGJIT_FLOORS_H

/**
 * @file
 * Replay floors of the control lcore: the newest TAI64N timestamp seen in
 * an authenticated initiation of each key the control plane knows, kept
 * in the SQLite cache across eviction and restarts (wgjit_cache.h). An
 * initiation at or below its key's floor is a replay.
 *
 * Raising a floor writes nothing at once: raised floors wait in a
 * bounded table in memory and go to SQLite with wgjit_floors_flush(),
 * inside the control pass's transaction (one write per pass, however many
 * rekeys it saw). A check sees the floors not yet flushed. When the table
 * is full, a raise flushes it first.
 *
 * Threads: control lcore only.
 */

#include <stdint.h>

#include "wgjit_cache.h"
#include "wgjit_key.h"

#ifdef __cplusplus
extern "C" {
#endif

struct wgjit_floors;

/** What wgjit_floors_above() found. */
enum wgjit_floors_verdict {
	WGJIT_FLOORS_REPLAY = 0,
	WGJIT_FLOORS_ABOVE = 1,
	WGJIT_FLOORS_NONE = 2,
};

/** @return the floors over @p cache, or NULL with errno. */
struct wgjit_floors *wgjit_floors_create(struct wgjit_cache *cache,
		unsigned int entries);

/** Free (the caller flushes first). NULL is allowed. */
void wgjit_floors_free(struct wgjit_floors *fl);

/**
 * Is @p ts above the floor of @p key? Nothing is raised.
 * @return WGJIT_FLOORS_ABOVE, WGJIT_FLOORS_NONE (the key has no floor:
 *   never seen authenticated, or pruned), WGJIT_FLOORS_REPLAY (at or
 *   below), or -errno from the cache (then the caller must not accept).
 */
int wgjit_floors_above(struct wgjit_floors *fl,
		const uint8_t key[WGJIT_KEY_LEN],
		const uint8_t ts[WGJIT_CACHE_TAI64N_LEN]);

/**
 * Raise the floor of @p key to @p ts (never lowered), seen at wall time
 * @p now_ms. @return 0, or -errno when a flush the full table needed
 * failed (the raise is kept in memory).
 */
int wgjit_floors_raise(struct wgjit_floors *fl,
		const uint8_t key[WGJIT_KEY_LEN],
		const uint8_t ts[WGJIT_CACHE_TAI64N_LEN], uint64_t now_ms);

/**
 * Write the raised floors to the cache. @return the number written, or
 * -errno (the floors not written stay for the next flush).
 */
int wgjit_floors_flush(struct wgjit_floors *fl);

/** Floors raised and not yet flushed. */
unsigned int wgjit_floors_dirty(const struct wgjit_floors *fl);

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_FLOORS_H */
