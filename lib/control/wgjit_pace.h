/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_PACE_H
#define WGJIT_PACE_H

/**
 * @file
 * Fetch pacing, in memory: at most one control-plane request per key
 * within min_refetch (a request whose answer never comes is granted again
 * after it), and after transient failures (5xx, timeouts, which are never
 * taken for a 404) an exponential backoff from backoff_min to
 * backoff_max. An answer (a configuration or a 404) forgets the key: the
 * cache knows it from then on.
 *
 * Nothing here touches SQLite: anyone can mint keys that pass
 * identification, and a key the control plane has not answered must cost
 * no row on disk. The table is bounded (entries); when it is full of keys
 * still inside their window, new keys are refused (WGJIT_PACE_FULL), so a
 * flood of minted keys costs at most this table.
 *
 * Time: monotonic milliseconds (wgjit_clock_now_ms()): a wall-clock step
 * neither releases nor freezes a backoff.
 * Threads: control lcore only.
 */

#include <stdint.h>

#include "wgjit_key.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Tunables; zero fields take WGJIT_DEFAULT_CP_* of wgjit_defaults.h. */
struct wgjit_pace_params {
	uint64_t min_refetch_ms;
	uint64_t backoff_min_ms;
	uint64_t backoff_max_ms;
	unsigned int entries;		/**< keys paced at once */
};

/** What wgjit_pace_grant() decided. */
enum wgjit_pace_verdict {
	WGJIT_PACE_GO = 0,	/**< ask now; the grant is recorded */
	WGJIT_PACE_WAIT,	/**< inside the window or backing off */
	WGJIT_PACE_FULL,	/**< no room to pace another key: not now */
};

/** Counters since create. */
struct wgjit_pace_stats {
	uint64_t grants;
	uint64_t waits;
	uint64_t full;
	uint64_t failures;
	uint64_t pruned;
	uint32_t keys;		/**< now */
};

struct wgjit_pace;

/** @return a pacer, or NULL with errno (EINVAL: min > max; ENOMEM). */
struct wgjit_pace *wgjit_pace_create(const struct wgjit_pace_params *p);

/** Free a pacer. NULL is allowed. */
void wgjit_pace_free(struct wgjit_pace *pc);

/** May @p key be fetched at @p now_ms? GO records the grant. */
enum wgjit_pace_verdict wgjit_pace_grant(struct wgjit_pace *pc,
		const uint8_t key[WGJIT_KEY_LEN], uint64_t now_ms);

/**
 * A transient failure for @p key: the next grant comes after the backoff,
 * doubling with each consecutive failure up to backoff_max.
 * @return the backoff in milliseconds (0 when the table had no room).
 */
uint64_t wgjit_pace_failure(struct wgjit_pace *pc,
		const uint8_t key[WGJIT_KEY_LEN], uint64_t now_ms);

/** An answer came for @p key: forget it. */
void wgjit_pace_answered(struct wgjit_pace *pc,
		const uint8_t key[WGJIT_KEY_LEN]);

/**
 * Drop up to @p max keys whose window and whose longest possible backoff
 * are over (their failure count would no longer matter). Idle time.
 * @return the number dropped.
 */
unsigned int wgjit_pace_prune(struct wgjit_pace *pc, uint64_t now_ms,
		unsigned int max);

/** Copy the counters. */
void wgjit_pace_stats(const struct wgjit_pace *pc, struct wgjit_pace_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_PACE_H */
