/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_HANDOFF_H
#define WGJIT_HANDOFF_H

/**
 * @file
 * The worker -> control hand-over: one authenticated initiation, the
 * element of the rte_ring between a worker lcore and the control lcore.
 * Plain data, so the worker side needs no control-plane headers.
 */

#include <stdint.h>

#include "wgjit_key.h"
#include "wgjit_peer.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One authenticated initiation, as a worker hands it over (ring elem). */
struct wgjit_ctl_initiation {
	uint8_t public_key[WGJIT_KEY_LEN];
	uint8_t tai64n[12];
	uint32_t worker;		/**< lcore index of the sender */
	uint32_t forwarded;		/**< the frame itself went to the
					     kernel: never re-inject `held` */
	union wgjit_endpoint src;	/**< the client's ip:port */
	union wgjit_endpoint dst;	/**< the gateway's ip:port */
	uint64_t rx_ns;			/**< CLOCK_MONOTONIC at receive */
	void *held;			/**< held frame for re-injection, or NULL */
};

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_HANDOFF_H */
