/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_HANDOFF_H
#define WGJIT_HANDOFF_H

/**
 * @file
 * The worker -> control hand-over, plain data so that the worker side
 * needs no control-plane headers:
 *  - one authenticated initiation, the element of the ring from the
 *    handshake stage to the control lcore;
 *  - one bring-up event, the element of the events ring: the RX lcores
 *    watch the endpoints the control lcore asked them to (an install in
 *    progress) and report the first handshake messages and data seen
 *    from or toward them.
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
	uint32_t known;			/**< from an endpoint WireGuard knows:
					     seen only to keep its replay
					     floor (held is NULL) */
	uint32_t reserved;
	union wgjit_endpoint src;	/**< the client's ip:port */
	union wgjit_endpoint dst;	/**< the gateway's ip:port */
	uint64_t rx_ns;			/**< CLOCK_MONOTONIC at receive */
	void *held;			/**< held frame for re-injection, or NULL */
};

/** What a watched endpoint did; also its bit in a watch mask. */
enum wgjit_ctl_event_kind {
	WGJIT_CTL_EV_RESPONSE_IN = 0,	/**< client's handshake response */
	WGJIT_CTL_EV_DATA_IN,		/**< client's first data message */
	WGJIT_CTL_EV_INIT_OUT,		/**< gateway's initiation to it */
	WGJIT_CTL_EV_RESPONSE_OUT,	/**< gateway's response to it */
	WGJIT_CTL_NB_EVENTS,
};

/** Watch mask bit of @p kind. */
#define WGJIT_CTL_EV_BIT(kind) (1u << (kind))
/** Every event: what an install in progress is watched for. */
#define WGJIT_CTL_EV_ALL ((1u << WGJIT_CTL_NB_EVENTS) - 1)

/** One event, as an RX lcore reports it (ring element). */
struct wgjit_ctl_event {
	uint32_t kind;			/**< enum wgjit_ctl_event_kind */
	uint32_t worker;		/**< lcore index of the sender */
	union wgjit_endpoint ep;	/**< the watched endpoint */
	uint64_t ns;			/**< CLOCK_MONOTONIC when seen */
};

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_HANDOFF_H */
