/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_REPLAY_H
#define WGJIT_REPLAY_H

/**
 * @file
 * Replay protection for handshake initiations: an initiation is accepted
 * only when its TAI64N timestamp is greater than the last one accepted for
 * the same static key. The last timestamps live in a store the caller
 * provides: a bounded in-memory table here (per worker, wgjit-inspect),
 * or the SQLite cache on the control lcore (wgjit_cache.h).
 *
 * Threads: wgjit_replay_check() is reentrant; a table belongs to one
 * thread. Nothing allocates after wgjit_replay_table_create().
 */

#include <stdint.h>

#include "wgjit_key.h"
#include "wgjit_msg.h"

#ifdef __cplusplus
extern "C" {
#endif

/** memcmp-like order of two TAI64N labels (they are big-endian). */
int wgjit_replay_tai64n_cmp(const uint8_t a[WGJIT_MSG_TAI64N_LEN],
		const uint8_t b[WGJIT_MSG_TAI64N_LEN]);

/** Unix time of a TAI64N label (seconds; nanoseconds in *nsec if given).*/
int64_t wgjit_replay_tai64n_to_unix(const uint8_t t[WGJIT_MSG_TAI64N_LEN],
		uint32_t *nsec);

/**
 * A store of the last accepted timestamp per key.
 * lookup: 1 and @p last set when the key is known, 0 when not, <0 error.
 * commit: store @p ts as the last accepted; 0 or <0 error.
 */
struct wgjit_replay_store {
	int (*lookup)(void *arg, const uint8_t key[WGJIT_KEY_LEN],
			uint8_t last[WGJIT_MSG_TAI64N_LEN]);
	int (*commit)(void *arg, const uint8_t key[WGJIT_KEY_LEN],
			const uint8_t ts[WGJIT_MSG_TAI64N_LEN]);
	void *arg;
};

/** What wgjit_replay_check() decided. */
enum wgjit_replay_result {
	WGJIT_REPLAY_FRESH = 0,	/**< newer than the last: committed */
	WGJIT_REPLAY_SEEN = 1,	/**< not newer: a replay, nothing stored */
};

/**
 * Accept @p ts for @p key only when it is greater than the last accepted
 * one, and then commit it.
 * @return WGJIT_REPLAY_FRESH or WGJIT_REPLAY_SEEN; -errno when the store
 *   fails, in which case nothing is accepted.
 */
int wgjit_replay_check(const struct wgjit_replay_store *store,
		const uint8_t key[WGJIT_KEY_LEN],
		const uint8_t ts[WGJIT_MSG_TAI64N_LEN]);

/** A bounded in-memory store: 4-way buckets, the oldest slot replaced. */
struct wgjit_replay_table;

/**
 * Create a table of at least @p entries slots. Init only.
 * @return the table or NULL with errno set.
 */
struct wgjit_replay_table *wgjit_replay_table_create(unsigned int entries);

/** Free a table. NULL is allowed. */
void wgjit_replay_table_free(struct wgjit_replay_table *t);

/** Fill @p store so that it is backed by @p t. */
void wgjit_replay_table_store(struct wgjit_replay_table *t,
		struct wgjit_replay_store *store);

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_REPLAY_H */
