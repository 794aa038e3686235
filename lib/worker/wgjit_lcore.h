/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_LCORE_H
#define WGJIT_LCORE_H

/**
 * @file
 * The worker lcore: uplink RX -> classify -> every frame to the TAP; a
 * handshake initiation is also identified (known endpoint? rate limit,
 * crypto budget, wgjit_noise_check(), replay table) and handed to the
 * control lcore with a copy of the frame. TAP RX -> uplink TX.
 *
 * Rings:
 *  - to_ctl (all workers -> control): struct wgjit_ctl_initiation
 *    elements, multi-producer, single consumer. Full = ring_full drop.
 *  - from_ctl (control -> one worker): struct wgjit_lcore_msg elements,
 *    single producer and consumer: endpoint-table updates and frames to
 *    re-inject toward the TAP.
 *  - spread (worker 0 -> worker i, mbuf pointers): used when the uplink
 *    has a single queue; worker 0 receives everything and passes copies of
 *    initiations to the worker chosen by a hash of the source address.
 *
 * Threads: wgjit_lcore_init()/wgjit_lcore_free() at init and exit;
 * wgjit_lcore_main() on the worker's own lcore; wgjit_lcore_post_*() on
 * the control lcore only; wgjit_lcore_stats_read() from any thread (plain
 * reads of counters with one writer); wgjit_lcore_stop() from anywhere,
 * including a signal handler.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "wgjit_noise.h"
#include "wgjit_peer.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Packets per RX burst. */
#define WGJIT_LCORE_BURST 32
/** "No such queue" in struct wgjit_lcore_params. */
#define WGJIT_LCORE_NO_QUEUE UINT16_MAX

/** Per-lcore counters. One writer (the lcore); readers sum. */
struct wgjit_lcore_stats {
	uint64_t rx;		/**< frames received on the uplink */
	uint64_t tx;		/**< frames sent on the uplink */
	uint64_t to_kernel;	/**< frames sent to the TAP */
	uint64_t from_kernel;	/**< frames received from the TAP */
	uint64_t initiations;	/**< handshake initiations seen */
	uint64_t malformed;	/**< to the WireGuard port, not valid */
	uint64_t bad_mac1;
	uint64_t bad_static;	/**< static key or ephemeral rejected */
	uint64_t forged;	/**< timestamp does not decrypt */
	uint64_t replays;	/**< timestamp not newer */
	uint64_t ratelimited;	/**< per-source bucket empty */
	uint64_t over_budget;	/**< crypto budget of the poll used up */
	uint64_t skipped_known;	/**< source is an installed endpoint */
	uint64_t identified;	/**< handed to the control lcore */
	uint64_t ring_full;	/**< control or spread ring full */
	uint64_t tx_drops;	/**< not taken by a TX queue */
	uint64_t copy_failed;	/**< no mbuf for a held copy */
	uint64_t reinjected;	/**< held frames sent to the TAP */
	uint64_t endpoint_updates; /**< messages from the control lcore */
	uint64_t limited_drops;	/**< over-limit initiations not forwarded */
} __rte_cache_aligned;

/** Names of the counters, in struct order (telemetry keys). */
extern const char *const wgjit_lcore_stats_names[];
/** Number of counters in struct wgjit_lcore_stats. */
#define WGJIT_LCORE_NB_STATS 20

/** Kinds of struct wgjit_lcore_msg. */
enum wgjit_lcore_msg_kind {
	WGJIT_LCORE_MSG_ENDPOINT_ADD = 1,
	WGJIT_LCORE_MSG_ENDPOINT_DEL,
	WGJIT_LCORE_MSG_REINJECT,
};

/** Control -> worker ring element. */
struct wgjit_lcore_msg {
	uint32_t kind;			/**< enum wgjit_lcore_msg_kind */
	union wgjit_endpoint ep;	/**< for ENDPOINT_* */
	struct rte_mbuf *m;		/**< for REINJECT */
};

/** What the app decides for one worker. */
struct wgjit_lcore_params {
	unsigned int index;		/**< 0 .. nb_workers - 1 */
	unsigned int nb_workers;
	uint16_t uplink_port;
	uint16_t tap_port;
	uint16_t queue;			/**< on both ports, or NO_QUEUE */
	uint16_t listen_port;		/**< WireGuard UDP port (host order) */
	struct rte_ring *to_ctl;
	struct rte_ring *from_ctl;
	struct rte_ring *spread_in;	/**< NULL unless spreading */
	struct rte_ring **spread_out;	/**< worker 0 only, when spreading:
					     one ring per worker (own: NULL) */
	struct rte_mempool *held_pool;	/**< copies of initiations */
	/** Shared responder, or NULL: initiations are only forwarded. */
	const struct wgjit_noise_responder *responder;
	uint32_t per_source_rate;
	uint32_t per_source_burst;
	uint32_t crypto_budget;
	bool forward_limited;		/**< forward over-limit initiations */
	/** Hand authenticated initiations from unknown endpoints to the
	 * control lcore instead of forwarding them; it re-injects them when
	 * the kernel should see them (see wgjit_ctl.h). Single-queue spread
	 * copies are always forwarded. */
	bool withhold_initiations;
	unsigned int ratelimit_entries;
	unsigned int endpoint_entries;
	unsigned int replay_entries;
	unsigned int dh_cache_entries;
};

/** One worker's state; allocate it cache-aligned (rte_zmalloc). */
struct wgjit_lcore {
	struct wgjit_lcore_stats stats;
	struct wgjit_lcore_params p;
	struct wgjit_noise_ctx *noise;
	struct wgjit_replay_table *replay;
	struct wgjit_replay_store replay_store;
	struct wgjit_ratelimit *rl;
	struct wgjit_srctab *known;
	uint64_t tsc_hz;
} __rte_cache_aligned;

/**
 * Set up @p lc from @p p: noise context, replay table, rate limiter and
 * endpoint table. Init only. @return 0 or -errno (-EINVAL for bad params).
 */
int wgjit_lcore_init(struct wgjit_lcore *lc,
		const struct wgjit_lcore_params *p);

/** Free what wgjit_lcore_init() allocated. Exit only. */
void wgjit_lcore_free(struct wgjit_lcore *lc);

/**
 * The worker loop, for rte_eal_remote_launch() with a struct wgjit_lcore.
 * Runs until wgjit_lcore_stop(). @return 0.
 */
int wgjit_lcore_main(void *arg);

/** Ask every worker loop (and the control loop) to return. */
void wgjit_lcore_stop(void);

/** True once wgjit_lcore_stop() was called. */
bool wgjit_lcore_stopping(void);

/**
 * Control lcore: tell the worker that @p ep is (add) or no longer is an
 * installed endpoint with a recent handshake. @return 0 or -ENOBUFS.
 */
int wgjit_lcore_post_endpoint(struct wgjit_lcore *lc,
		const union wgjit_endpoint *ep, bool add);

/**
 * Control lcore: send held frame @p m toward the TAP from this worker.
 * Ownership passes on success. @return 0 or -ENOBUFS (caller frees).
 */
int wgjit_lcore_post_reinject(struct wgjit_lcore *lc, struct rte_mbuf *m);

/** Copy the worker's counters (any thread). */
void wgjit_lcore_stats_read(const struct wgjit_lcore *lc,
		struct wgjit_lcore_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_LCORE_H */
