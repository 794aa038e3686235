/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_CTL_PRIV_H
#define WGJIT_CTL_PRIV_H

/* Internal state shared by wgjit_ctl.c (intake, install) and
 * wgjit_evict.c (device dumps: handshake watch, eviction, reconcile). */

#include <pthread.h>

#include "wgjit_ctl.h"
#include "wgjit_replay.h"

/* An initiation waiting for its fetch to finish. */
struct ctl_pending {
	struct wgjit_ctl_initiation in;
	bool used;
};

/* An install waiting for its first handshake. */
struct ctl_watch {
	uint8_t key[WGJIT_KEY_LEN];
	uint64_t rx_ns;
	uint64_t installed_ms;
	uint16_t keepalive;	/* configured value to restore */
	bool restore;		/* bring-up changed the keepalive */
	bool used;
};

/* Last seen receive counter of an installed peer, to tell activity. */
struct ctl_activity {
	uint8_t key[WGJIT_KEY_LEN];
	uint64_t rx_bytes;
	uint64_t active_ms;	/* when rx_bytes last moved (or first seen) */
};

struct wgjit_ctl {
	struct wgjit_ctl_params p;
	struct wgjit_wg *wg;
	struct wgjit_cache *cache;
	struct wgjit_fetch *fetch;
	struct wgjit_replay_store replay;
	uint8_t private_key[WGJIT_KEY_LEN];
	uint16_t listen_port;
	struct ctl_pending *pending;
	struct ctl_watch *watch;
	unsigned int nb_watch;
	uint64_t next_tick_ms;
	uint64_t next_watch_ms;
	uint64_t now_ms;	/* of the current poll, for callbacks */
	struct wgjit_ctl_stats stats;
	pthread_mutex_t snap_lock;
	struct wgjit_ctl_peer_info *snap;
	unsigned int nb_snap;
	struct ctl_activity *act;	/* sorted by key; previous pass */
	unsigned int nb_act;
	uint8_t (*foreign)[WGJIT_KEY_LEN]; /* sorted: device peers not ours */
	unsigned int nb_foreign;
	uint64_t foreign_mono_ms;	/* when that list was made */
};

/* Is @p key a peer of the device that wgjit did not install? */
bool wgjit_ctl_priv_is_foreign(const struct wgjit_ctl *ctl,
		const uint8_t key[WGJIT_KEY_LEN]);

/* Monotonic nanoseconds (the clock workers stamp rx_ns with). */
uint64_t wgjit_ctl_priv_mono_ns(void);

/* Count a latency in a log2 microsecond histogram. */
void wgjit_ctl_priv_hist_add(uint64_t hist[WGJIT_CTL_HIST_BUCKETS], uint64_t ns);

/* wgjit_evict.c */
int wgjit_ctl_priv_tick(struct wgjit_ctl *ctl, uint64_t now_ms);
int wgjit_ctl_priv_watch_poll(struct wgjit_ctl *ctl, uint64_t now_ms);
int wgjit_ctl_priv_reconcile(struct wgjit_ctl *ctl, uint64_t now_ms);

#endif /* WGJIT_CTL_PRIV_H */
