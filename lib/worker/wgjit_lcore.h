/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_LCORE_H
#define WGJIT_LCORE_H

/**
 * @file
 * A data-path lcore. It may have two roles, picked at init and fixed for
 * its loop:
 *
 * RX (it owns queue `queue` on the uplink and on the TAP): every uplink
 * frame that is not a handshake initiation goes to the TAP at once. An
 * initiation, cheapest check first: exact length, type and reserved bytes
 * (the classifier); a martian source (wgjit_endpoint_martian(), or the
 * destination's own address): dropped; mac1 (no DH, ~0.33 us): wrong ->
 * counted, to the TAP, charged to nobody. A mac1-valid initiation is
 * queued for the handshake stage of its owner (a hash of the source
 * address picks one of `hs_out`). When that queue is deeper than 1/8 of
 * its size (or was within the last second), the gateway is under load:
 * then an initiation without a valid mac2 gets a cookie reply, sent
 * straight back out of the uplink (at most cookie_rate per second, and
 * per destination address at most the per-source rate) and is not
 * queued; one with a valid mac2 has proved its source and passes the
 * per-source limiter (IPv4 /32, IPv6 /64) before it is queued. TAP frames
 * go out on the uplink.
 *
 * Known endpoints (installed or the operator's peers): their initiations
 * (rekeys, roaming) are WireGuard's. When not under load one goes to the
 * TAP at once and a copy to the handshake stage, which tells the control
 * lcore its timestamp (the replay floor: a copy of it must never install
 * the peer anywhere after eviction). Under load they pass the cookie and
 * the limiter like any other, and go to the TAP after the DH check.
 *
 * Watches: the control lcore marks the endpoint of an install in progress
 * with the events it wants (wgjit_handoff.h). While any is marked, the RX
 * lcore looks at the WireGuard messages from those endpoints (responses,
 * data) and at the gateway's own going out of the TAP (initiations,
 * responses), and reports the first of each kind on `events`.
 *
 * Steer mode (`steer`) is the same loop: the uplink (net_af_xdp) brings
 * only initiations, since wgjit's XDP program passes the rest to the
 * kernel, and most replies leave through the kernel's own stack. What the
 * kernel still sends through the TAP goes out of the uplink: a
 * wireguard-go device answers an initiation through the interface it came
 * in by (its sticky source), the TAP. The TAP does no ARP there (the
 * neighbour is on the uplink, where the kernel cannot see its answers),
 * so its frames carry the TAP's own MAC as destination; the lcore puts in
 * the next hop's instead: the source MAC of the last frame the uplink
 * brought (the router in front of the gateway).
 *
 * Handshake (it drains `hs_in`): the DH work, never in front of data: on
 * an RX lcore at most budget_us per loop pass, and while the uplink keeps
 * it busy at most hs_share percent of its time (the queue then fills and
 * the gateway goes under load); all the time on a dedicated one. Under
 * load (its queue's depth, the same rule) an initiation that was queued
 * out of load, so never asked for a mac2, gets no DH: it goes back to the
 * RX lcore that admitted it (`rx_inboxes`; in place when that is this
 * lcore), which admits it again and so answers it with a cookie
 * (`hs_bounced`; its admission is counted a second time), as kernel
 * WireGuard decides when it takes a handshake from its queue.
 *
 * With dedicated handshake lcores (`hs_lcores_gate`), the load
 * gate moves to them, as kernel WireGuard's handshake workers hold it:
 * under load an RX lcore checks mac1 alone and queues the initiation
 * marked for the gate; the handshake lcore owning it does the mac2 check,
 * the cookie reply (sent through the inbox of the RX lcore that admitted
 * it, `rx_inboxes`) and the per-source limiter, with its own cookie
 * secret, limiters and copy of the endpoint table (`hs_gated`: answered
 * there instead of the DH). The same holds for an initiation it takes
 * under load that was queued out of load. A flood then costs the RX lcore
 * mac1 and an enqueue per frame, and the cookie replies cost the
 * handshake lcores. The rest:
 * wgjit_noise_accept() with the lcore's replay table; a
 * static key the control plane does not know (negative-cached, told by
 * the control lcore) stops after one DH. Authenticated initiations go to
 * the control lcore (`to_ctl`), with a copy of the frame when the control
 * lcore decides whether WireGuard sees it (withhold_initiations);
 * otherwise the frame goes to the TAP, from this lcore's queue or through
 * the inbox of an RX lcore (`fwd_inbox`). Rejected ones are dropped:
 * WireGuard would reject them the same way.
 *
 * Rings:
 *  - to_ctl (all lcores -> control): struct wgjit_ctl_initiation,
 *    multi-producer. Full = ring_full, the frame goes on to the TAP.
 *  - inbox (anyone -> this lcore): struct wgjit_lcore_msg, multi-producer
 *    (the control lcore; handshake lcores forwarding frames).
 *  - hs_in / hs_out (RX lcores -> handshake): mbuf pointers,
 *    multi-producer, single consumer; the depth is the load signal.
 *
 * Threads: wgjit_lcore_init()/wgjit_lcore_free() at init and exit;
 * wgjit_lcore_main() on the lcore itself; wgjit_lcore_post_*() from any
 * thread (the inbox is multi-producer); wgjit_lcore_stats_read() from any
 * thread (plain reads of counters with one writer); wgjit_lcore_stop()
 * from anywhere, including a signal handler.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_hash.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "wgjit_cookie.h"
#include "wgjit_noise.h"
#include "wgjit_peer.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Packets per RX burst. */
#define WGJIT_LCORE_BURST 32
/** "No such queue" in struct wgjit_lcore_params. */
#define WGJIT_LCORE_NO_QUEUE UINT16_MAX
/** Most handshake queues an RX lcore feeds. */
#define WGJIT_LCORE_MAX_HS_OUT 64

/**
 * Per-lcore counters, in the order of wgjit_lcore_stats_names. One writer
 * (the lcore); readers sum. Every drop has its own counter.
 */
struct wgjit_lcore_stats {
	/* The data path. */
	uint64_t rx;		/**< frames received on the uplink */
	uint64_t tx;		/**< frames sent on the uplink */
	uint64_t to_kernel;	/**< frames sent to the TAP */
	uint64_t from_kernel;	/**< frames received from the TAP */
	uint64_t tx_drops;	/**< not taken by a TX queue */
	uint64_t no_next_hop;	/**< steer: TAP frame before any uplink one */
	/* Initiations on the RX lcore, in the order of the checks. */
	uint64_t initiations;	/**< handshake initiations seen */
	uint64_t malformed;	/**< to the WireGuard port, not valid */
	uint64_t martians;	/**< source nobody can be at: dropped */
	uint64_t known_endpoint; /**< from an endpoint WireGuard knows */
	uint64_t observe_skipped; /**< known, no copy for the floor */
	uint64_t bad_mac1;	/**< to the kernel, charged to nobody */
	uint64_t mac2_valid;	/**< under load, source proved */
	uint64_t mac2_invalid;	/**< under load, no valid mac2 */
	uint64_t cookies_sent;	/**< cookie replies sent */
	uint64_t cookie_limited; /**< no reply: over cookie_rate (dropped) */
	uint64_t ratelimited;	/**< under load, over the source's rate */
	uint64_t limiter_full;	/**< under load, no room for a new source */
	uint64_t hs_queued;	/**< into a handshake queue */
	uint64_t hs_queue_full;	/**< handshake queue full (dropped) */
	/* The handshake stage. */
	uint64_t hs_checked;	/**< taken from the queue for the DH work */
	uint64_t hs_bounced;	/**< queued out of load, taken under load:
				     back to its RX lcore, no DH */
	uint64_t hs_gated;	/**< a handshake lcore's: answered with a
				     cookie (or dropped by a limit) instead
				     of the DH */
	uint64_t bad_static;	/**< static key or ephemeral rejected */
	uint64_t forged;	/**< timestamp does not decrypt */
	uint64_t replays;	/**< timestamp not newer */
	uint64_t negative_skipped; /**< key unknown to the control plane */
	uint64_t identified;	/**< handed to the control lcore */
	uint64_t ring_full;	/**< control ring full: to the kernel */
	uint64_t copy_failed;	/**< no mbuf for a held copy */
	uint64_t forwarded;	/**< checked and sent on to the TAP */
	/* Messages. */
	uint64_t reinjected;	/**< held frames sent to the TAP */
	uint64_t inbox_msgs;	/**< messages taken from the inbox */
	uint64_t inbox_full;	/**< a frame to forward found the inbox full */
	uint64_t events;	/**< bring-up events reported */
	uint64_t events_full;	/**< events ring full: event lost */
	/* Load. */
	uint64_t under_load_us;	/**< time any queue fed was under load */
	uint64_t hs_depth;	/**< now: frames in this lcore's queue */
} __rte_cache_aligned;

/** Names of the counters, in struct order (telemetry keys). */
extern const char *const wgjit_lcore_stats_names[];
/** Number of counters in struct wgjit_lcore_stats. */
#define WGJIT_LCORE_NB_STATS 38

/** Kinds of struct wgjit_lcore_msg. */
enum wgjit_lcore_msg_kind {
	WGJIT_LCORE_MSG_ENDPOINT_ADD = 1,	/**< ep: WireGuard knows it;
						     arg: events to report */
	WGJIT_LCORE_MSG_ENDPOINT_DEL,		/**< ep: no longer */
	WGJIT_LCORE_MSG_REINJECT,		/**< m: held frame to the TAP */
	WGJIT_LCORE_MSG_FORWARD,		/**< m: checked frame to the TAP */
	WGJIT_LCORE_MSG_NEGATIVE,		/**< key: 404 for ttl_ms */
	WGJIT_LCORE_MSG_READMIT,		/**< m: a queued initiation the
						     stage took under load:
						     admit it again */
	WGJIT_LCORE_MSG_UPLINK,			/**< m: a handshake lcore's
						     cookie reply, out of the
						     uplink */
};

/** Inbox ring element. */
struct wgjit_lcore_msg {
	uint32_t kind;			/**< enum wgjit_lcore_msg_kind */
	uint32_t arg;			/**< NEGATIVE: ttl_ms; ENDPOINT_ADD:
					     watch mask */
	union {
		union wgjit_endpoint ep;		/**< ENDPOINT_* */
		uint8_t key[WGJIT_KEY_LEN];		/**< NEGATIVE */
		struct rte_mbuf *m;			/**< REINJECT, FORWARD,
							     READMIT, UPLINK */
	};
};

/** What the app decides for one lcore. */
struct wgjit_lcore_params {
	unsigned int index;		/**< 0 .. nb_lcores - 1 */
	uint16_t uplink_port;
	uint16_t tap_port;
	uint16_t queue;			/**< RX and TX on both, or NO_QUEUE */
	uint16_t listen_port;		/**< WireGuard UDP port (host order) */
	struct rte_ring *to_ctl;
	/** RX: bring-up events to the control lcore, or NULL: none. */
	struct rte_ring *events;
	struct rte_ring *inbox;
	/** The handshake queue this lcore drains, or NULL. */
	struct rte_ring *hs_in;
	/** RX: the handshake queues it feeds (NULL: none, forward all). */
	struct rte_ring *const *hs_out;
	unsigned int nb_hs_out;
	/** No queue of its own: the inbox of an RX lcore, for the TAP. */
	struct rte_ring *fwd_inbox;
	/** Handshake: the inboxes of the RX lcores, by index (the one that
	 * admitted an initiation takes it back under load), or NULL. */
	struct rte_ring *const *rx_inboxes;
	unsigned int nb_rx_inboxes;
	struct rte_mempool *held_pool;	/**< copies of withheld frames */
	/** Shared responder, or NULL: initiations are only forwarded. */
	const struct wgjit_noise_responder *responder;
	uint32_t per_source_rate;	/**< under load, after mac2 */
	uint32_t per_source_burst;
	uint32_t hs_budget_us;		/**< DH time per pass of an RX lcore */
	uint32_t hs_share;		/**< percent of a busy RX lcore's time
					     the DH work may take */
	uint32_t cookie_rate;		/**< cookie replies per second */
	uint32_t idle_sleep_us;		/**< sleep when idle; 0 = busy poll */
	/** Steer mode (see above). */
	bool steer;
	/**
	 * Dedicated handshake lcores (handshake.lcores) hold the load gate:
	 * an RX lcore (then without hs_in) checks mac1 alone under load, a
	 * handshake lcore (without a queue) the mac2, the cookie and the
	 * limiters. Without it, the RX lcore gates, and a stage that takes a
	 * backlog under load bounces it back to the RX lcore (whose cookie
	 * secret checks the client's retry).
	 */
	bool hs_lcores_gate;
	/** Hand authenticated initiations to the control lcore instead of
	 * forwarding them; it re-injects them when the kernel should see
	 * them (see wgjit_ctl.h). */
	bool withhold_initiations;
	unsigned int ratelimit_entries;
	unsigned int endpoint_entries;
	unsigned int replay_entries;
	unsigned int dh_cache_entries;
	unsigned int negative_entries;
};

/** One lcore's state; allocate it cache-aligned (rte_zmalloc). */
struct wgjit_lcore {
	struct wgjit_lcore_stats stats;
	struct wgjit_lcore_params p;
	struct wgjit_noise_ctx *noise;
	struct wgjit_replay_table *replay;
	struct wgjit_replay_store replay_store;
	struct wgjit_cookie_checker cookie;
	struct wgjit_ratelimit *rl;	/**< handshakes, under load */
	struct wgjit_ratelimit *cookie_rl; /**< cookie replies, per address */
	struct wgjit_srctab *known;
	struct rte_hash *negative;	/**< key -> expiry (TSC) */
	uint64_t tsc_hz;
	uint64_t hs_budget_tsc;
	uint64_t cookie_interval;	/**< TSC per cookie token */
	uint64_t cookie_tat;		/**< GCRA: next token's time */
	uint64_t load_until[WGJIT_LCORE_MAX_HS_OUT]; /**< TSC, per hs_out */
	uint64_t last_pass;		/**< TSC of the previous pass */
	uint64_t watch_until;		/**< TSC: an endpoint may be watched */
	int64_t hs_credit;		/**< TSC the DH work may still take */
	uint32_t spread_seed;		/**< of the source -> queue hash */
	uint64_t hs_refill;		/**< TSC of the last refill */
	uint8_t next_hop[6];		/**< steer: MAC frames came from */
	bool next_hop_known;
	uint64_t load_ticks;		/**< TSC spent under load */
	unsigned int hs_threshold[WGJIT_LCORE_MAX_HS_OUT];
	unsigned int hs_in_threshold;	/**< 1/8 of hs_in */
	uint64_t hs_in_load_until;	/**< TSC: hs_in under load until */
	unsigned int idle_passes;
} __rte_cache_aligned;

/**
 * Set up @p lc from @p p: noise context, replay table, cookie checker,
 * rate limiter, endpoint and negative tables. Init only.
 * @return 0 or -errno (-EINVAL for bad params).
 */
int wgjit_lcore_init(struct wgjit_lcore *lc,
		const struct wgjit_lcore_params *p);

/** Free what wgjit_lcore_init() allocated. Exit only. */
void wgjit_lcore_free(struct wgjit_lcore *lc);

/**
 * The lcore loop, for rte_eal_remote_launch() with a struct wgjit_lcore.
 * Runs until wgjit_lcore_stop(). @return 0.
 */
int wgjit_lcore_main(void *arg);

/** Ask every lcore loop (and the control loop) to return. */
void wgjit_lcore_stop(void);

/** True once wgjit_lcore_stop() was called. */
bool wgjit_lcore_stopping(void);

/**
 * Tell the lcore that @p ep is (add) or no longer is an endpoint WireGuard
 * knows; with add, @p watch (WGJIT_CTL_EV_BIT mask) says which events to
 * report for it (0: none, or no more). @return 0 or -ENOBUFS.
 */
int wgjit_lcore_post_endpoint(struct wgjit_lcore *lc,
		const union wgjit_endpoint *ep, bool add, uint32_t watch);

/**
 * Tell a handshake lcore that the control plane does not know @p key, for
 * @p ttl_ms. @return 0 or -ENOBUFS.
 */
int wgjit_lcore_post_negative(struct wgjit_lcore *lc,
		const uint8_t key[WGJIT_KEY_LEN], uint32_t ttl_ms);

/**
 * Send held frame @p m toward the TAP from this lcore (which has a
 * queue). Ownership passes on success.
 * @return 0, -EINVAL (no queue) or -ENOBUFS (caller frees).
 */
int wgjit_lcore_post_reinject(struct wgjit_lcore *lc, struct rte_mbuf *m);

/** Copy the lcore's counters (any thread). */
void wgjit_lcore_stats_read(const struct wgjit_lcore *lc,
		struct wgjit_lcore_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_LCORE_H */
