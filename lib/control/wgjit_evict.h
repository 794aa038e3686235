/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_EVICT_H
#define WGJIT_EVICT_H

/**
 * @file
 * When is a peer wgjit installed idle? After idle_timeout with neither a
 * handshake nor received data; or, for a peer that never completed a
 * handshake, after grace since its install. Received data is seen as the
 * device's receive counter moving between two passes, so this module
 * keeps each peer's counter from the previous pass.
 *
 * A pass: wgjit_evict_begin(), then wgjit_evict_check() once per installed
 * peer that is in the device, then wgjit_evict_end(). Peers not checked in
 * a pass are forgotten.
 *
 * Threads: control lcore only. Times are the caller's milliseconds.
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

/**
 * Start a pass over at most @p nb_peers installed peers.
 * @return 0, or -ENOMEM (the pass then decides nothing is idle).
 */
int wgjit_evict_begin(struct wgjit_evict *e, unsigned int nb_peers);

/**
 * Note the state of installed peer @p peer (as the device dump reports
 * it; installed at @p installed_ms) at @p now_ms.
 * @return true when the peer is idle.
 */
bool wgjit_evict_check(struct wgjit_evict *e, const struct wgjit_wg_peer *peer,
		uint64_t installed_ms, uint64_t now_ms);

/**
 * End the pass. With @p keep, the counters noted become the reference for
 * the next pass; without (the pass failed), the previous ones stay.
 */
void wgjit_evict_end(struct wgjit_evict *e, bool keep);

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_EVICT_H */
