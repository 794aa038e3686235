/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_EVICT_H
#define WGJIT_EVICT_H

/**
 * @file
 * When is a peer wgjit installed idle? After idle_timeout without a sign
 * of life; or, for a peer that never completed a handshake, after grace
 * since it was installed (or first seen, for a peer installed before a
 * restart). Signs of life: the device's receive counter or
 * its last-handshake time moving between two passes, or an event from the
 * data path (wgjit_evict_touch()).
 *
 * Every time here is the caller's monotonic milliseconds: the device's
 * last-handshake time is wall-clock time, and it is only compared with
 * its own previous value, never with a clock. So a step of the wall clock
 * neither stops eviction nor evicts everyone. A peer seen for the first
 * time (after a restart, say) gets a full idle period.
 *
 * A pass: wgjit_evict_begin(), wgjit_evict_check() once per installed
 * peer that is in the device, wgjit_evict_end(): peers not checked in the
 * pass are forgotten. The table grows as needed.
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

/** The policy; see config/wgjit.conf [evict]. */
struct wgjit_evict_params {
	uint64_t idle_timeout_ms;
	uint64_t grace_ms;
};

struct wgjit_evict;

/** @return a tracker, or NULL (ENOMEM). */
struct wgjit_evict *wgjit_evict_create(const struct wgjit_evict_params *p);

/** Free a tracker. NULL is allowed. */
void wgjit_evict_free(struct wgjit_evict *e);

/** Start a pass. */
void wgjit_evict_begin(struct wgjit_evict *e);

/**
 * Note the state of installed peer @p peer (as a device dump reports it)
 * at @p now_ms. @return true when the peer is idle. A peer the tracker
 * has no memory for (out of memory) is never idle.
 */
bool wgjit_evict_check(struct wgjit_evict *e, const struct wgjit_wg_peer *peer,
		uint64_t now_ms);

/** @p key was installed at @p now_ms: its grace time starts now. */
void wgjit_evict_installed(struct wgjit_evict *e,
		const uint8_t key[WGJIT_KEY_LEN], uint64_t now_ms);

/** @p key showed life at @p now_ms (an event from the data path). */
void wgjit_evict_touch(struct wgjit_evict *e, const uint8_t key[WGJIT_KEY_LEN],
		uint64_t now_ms);

/** End the pass: peers not checked in it are forgotten. */
void wgjit_evict_end(struct wgjit_evict *e);

/** Peers tracked now. */
unsigned int wgjit_evict_count(const struct wgjit_evict *e);

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_EVICT_H */
