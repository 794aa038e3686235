/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_CTL_H
#define WGJIT_CTL_H

/**
 * @file
 * The control lcore's work, in one object: take authenticated initiations
 * from the workers, consult the SQLite cache, fetch unknown peers from the
 * control plane, install them into WireGuard, bring the handshake up, and
 * evict idle peers. DPDK-free: the app passes callbacks for what must go
 * back to the data path (re-injection, endpoint-table updates).
 *
 * Threads: every function but wgjit_ctl_stats() is for the control lcore
 * only. wgjit_ctl_poll() never blocks on the network or the API; backend
 * calls (Netlink, UAPI) take about a millisecond and happen only here.
 */

#include <stdbool.h>
#include <stdint.h>

#include "wgjit_key.h"
#include "wgjit_peer.h"

#ifdef __cplusplus
extern "C" {
#endif

/** How the gateway brings the handshake up after an install. */
enum wgjit_ctl_bringup {
	WGJIT_CTL_BRINGUP_NONE = 0,	/**< wait for the client's retry */
	WGJIT_CTL_BRINGUP_INITIATE,	/**< endpoint + keepalive in one set */
	WGJIT_CTL_BRINGUP_REINJECT,	/**< re-inject the held initiation */
};

/** One authenticated initiation, as a worker hands it over (ring elem). */
struct wgjit_ctl_initiation {
	uint8_t public_key[WGJIT_KEY_LEN];
	uint8_t tai64n[12];
	uint32_t worker;		/**< lcore index of the sender */
	union wgjit_endpoint src;	/**< the client's ip:port */
	union wgjit_endpoint dst;	/**< the gateway's ip:port */
	uint64_t rx_ns;			/**< CLOCK_MONOTONIC at receive */
	void *held;			/**< held frame for re-injection, or NULL */
};

/** Callbacks into the data path. Each may be NULL. */
struct wgjit_ctl_hooks {
	/** Send a held frame toward WireGuard (ownership passes). */
	void (*reinject)(void *arg, void *held);
	/** Drop a held frame that will not be re-injected. */
	void (*release)(void *arg, void *held);
	/** An installed peer's endpoint is live (add) or gone (!add). */
	void (*endpoint)(void *arg, const union wgjit_endpoint *ep, bool add);
	void *arg;
};

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_CTL_H */
