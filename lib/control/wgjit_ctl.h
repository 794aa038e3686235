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
 * Held frames: a worker may withhold an initiation from the kernel and
 * pass the frame as `held`. It goes back to the kernel (hooks.reinject)
 * when WireGuard should see it: the peer is already installed (rekey,
 * roaming), the key belongs to a peer wgjit did not install, the cache
 * failed, or the bring-up mode is reinject. It is dropped (hooks.release)
 * when the gateway initiates itself, or when WireGuard would drop it
 * anyway (unknown key, replay).
 *
 * Threads: every function but wgjit_ctl_stats() and wgjit_ctl_peers() is
 * for the control lcore
 * only. wgjit_ctl_poll() never blocks on the network or the API; backend
 * calls (Netlink, UAPI) take about a millisecond and happen only here.
 */

#include <stdbool.h>
#include <stdint.h>

#include "wgjit_cache.h"
#include "wgjit_clock.h"
#include "wgjit_fetch.h"
#include "wgjit_handoff.h"
#include "wgjit_key.h"
#include "wgjit_peer.h"
#include "wgjit_wg.h"

#ifdef __cplusplus
extern "C" {
#endif

/** How the gateway brings the handshake up after an install. */
enum wgjit_ctl_bringup {
	WGJIT_CTL_BRINGUP_NONE = 0,	/**< wait for the client's retry */
	WGJIT_CTL_BRINGUP_INITIATE,	/**< endpoint + keepalive in one set */
	WGJIT_CTL_BRINGUP_REINJECT,	/**< re-inject the held initiation */
};

/** Callbacks into the data path. Each may be NULL. */
struct wgjit_ctl_hooks {
	/** Send a held frame toward WireGuard (ownership passes). */
	void (*reinject)(void *arg, void *held);
	/** Drop a held frame that will not be re-injected. Mandatory when
	 * workers hand over held frames. */
	void (*release)(void *arg, void *held);
	/** An installed peer's endpoint is live (add) or gone (!add). */
	void (*endpoint)(void *arg, const union wgjit_endpoint *ep, bool add);
	/** The control plane does not know @p key, for @p ttl_ms: the
	 * data path may stop its checks of that key after one DH. */
	void (*negative)(void *arg, const uint8_t key[WGJIT_KEY_LEN],
			uint32_t ttl_ms);
	void *arg;
};

/**
 * Everything the control object needs; see config/wgjit.conf. Zero fields
 * take the defaults of wgjit_defaults.h.
 */
struct wgjit_ctl_params {
	enum wgjit_wg_kind backend;
	const char *ifname;			/**< WireGuard interface */
	const char *cache_path;			/**< SQLite file */
	struct wgjit_cache_params cache;
	struct wgjit_fetch_params fetch;
	enum wgjit_ctl_bringup bringup;
	uint16_t bringup_keepalive;		/**< s; initiate mode; 0 = 25 */
	uint64_t idle_timeout_ms;		/**< evict after no handshake */
	uint64_t grace_ms;			/**< evict if none ever */
	uint64_t evict_interval_ms;		/**< device dump period */
	unsigned int evict_batch;		/**< removals per tick */
	unsigned int max_pending;		/**< initiations awaiting fetch */
	struct wgjit_ctl_hooks hooks;
	/** Time source; NULL = the system clocks. Tests step their own. */
	const struct wgjit_clock *clock;
};

/** Log2 histogram of microseconds: bucket i counts [2^i, 2^(i+1)) us. */
#define WGJIT_CTL_HIST_BUCKETS 24

/** The latencies measured, each from the initiation's arrival. */
enum wgjit_ctl_hist {
	WGJIT_CTL_HIST_INSTALL,		/**< -> installed */
	WGJIT_CTL_HIST_HANDSHAKE,	/**< -> first handshake done */
	WGJIT_CTL_NB_HIST,
};

/** Names of the histograms (telemetry keys). */
extern const char *const wgjit_ctl_hist_names[];

/**
 * Counters; one writer (the control lcore), read by anyone. The first
 * WGJIT_CTL_NB_STATS fields are consecutive uint64_t named by
 * wgjit_ctl_stats_names (telemetry keys); the histograms follow.
 */
struct wgjit_ctl_stats {
	uint64_t submitted;		/**< initiations submitted by workers */
	uint64_t already_installed;	/**< left to WireGuard */
	uint64_t foreign;		/**< in the device, not wgjit's: untouched */
	uint64_t replays;		/**< rejected by the SQLite store */
	uint64_t cache_hits;
	uint64_t negative_hits;
	uint64_t suppressed;		/**< inside the re-fetch window */
	uint64_t api_requests;
	uint64_t api_not_found;
	uint64_t api_errors;
	uint64_t installs;
	uint64_t install_failures;
	uint64_t evictions;
	uint64_t reconciled;		/**< records of peers gone from device */
	uint64_t handshakes;		/**< installs that completed one */
	uint64_t pending_dropped;	/**< no room to wait for a fetch */
	uint64_t db_errors;
	uint64_t peers_installed;	/**< now */
	uint64_t fetches_waiting;	/**< now: queued or in flight */
	/** Latency histograms, by enum wgjit_ctl_hist. */
	uint64_t hist[WGJIT_CTL_NB_HIST][WGJIT_CTL_HIST_BUCKETS];
};

/** Names of the counters of struct wgjit_ctl_stats, in order. */
extern const char *const wgjit_ctl_stats_names[];
/** Number of named counters at the start of struct wgjit_ctl_stats. */
#define WGJIT_CTL_NB_STATS 19

/** One installed peer, as /wgjit/peers shows it. */
struct wgjit_ctl_peer_info {
	uint8_t public_key[WGJIT_KEY_LEN];
	union wgjit_endpoint endpoint;
	uint64_t installed_ms;
	int64_t last_handshake_sec;
};

struct wgjit_ctl;

/**
 * Open the backend, read the device (private key, listen port), open the
 * cache, create the fetcher and reconcile install records with the
 * device. Init only.
 *
 * @return the object, or NULL with a message in @p err.
 */
struct wgjit_ctl *wgjit_ctl_create(const struct wgjit_ctl_params *p,
		char *err, size_t errlen);

/** The device's private key and listen port, read at create time. */
void wgjit_ctl_device_identity(const struct wgjit_ctl *ctl,
		uint8_t private_key[WGJIT_KEY_LEN], uint16_t *listen_port);

/**
 * Take one authenticated initiation. The held frame (if any) is passed on
 * through a hook, now or later; never leaked.
 * @return 0, or -errno for a database error (counted).
 */
int wgjit_ctl_submit(struct wgjit_ctl *ctl,
		const struct wgjit_ctl_initiation *in);

/**
 * Do pending work without blocking: finished fetches and their installs,
 * handshake watch, keepalive restore, eviction and reconciliation ticks.
 * @return 0, or -errno when the fetcher broke.
 */
int wgjit_ctl_poll(struct wgjit_ctl *ctl);

/** Copy the counters. Any thread. */
void wgjit_ctl_stats(const struct wgjit_ctl *ctl, struct wgjit_ctl_stats *st);

/**
 * Copy up to @p max installed peers, from index @p first, as of the last
 * device dump. Any thread (guarded by a mutex the control lcore takes once
 * per dump).
 * @return the number copied.
 */
unsigned int wgjit_ctl_peers(struct wgjit_ctl *ctl, unsigned int first,
		struct wgjit_ctl_peer_info *out, unsigned int max);

/**
 * Call hooks.endpoint(add) for every peer wgjit installed, e.g. once the
 * workers exist after a restart. Control lcore (or init).
 * @return 0 or -errno from the cache.
 */
int wgjit_ctl_announce_endpoints(struct wgjit_ctl *ctl);

/** Close everything; installed peers stay in the device. NULL is allowed.*/
void wgjit_ctl_free(struct wgjit_ctl *ctl);

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_CTL_H */
