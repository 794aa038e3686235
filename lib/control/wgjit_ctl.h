/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_CTL_H
#define WGJIT_CTL_H

/**
 * @file
 * The control lcore's work, in one object: take authenticated initiations
 * from the workers, consult the replay floors and the SQLite cache, fetch
 * unknown peers from the control plane, check answers and endpoints
 * against the policy, install peers into WireGuard in batches, bring the
 * handshake up, and evict idle peers. DPDK-free: the app passes callbacks
 * for what must go back to the data path.
 *
 * Passes: wgjit_ctl_submit() only decides and stages (a few SQLite reads,
 * no write); wgjit_ctl_poll() does the work of a pass: finished fetches,
 * then every ready install in one backend call (one Netlink message
 * sequence or one UAPI set; at most install_batch), the removals that are
 * due in another, and every SQLite write of the pass in one transaction.
 *
 * Crash consistency: an install is recorded as an intent, committed,
 * before the device is asked; the record becomes an install once the
 * device took the peer. After a crash at any point every peer wgjit put
 * in the device has a record, and the reconcile at create time settles
 * both directions: intents the device has become installs, intents and
 * installs the device lacks are dropped, and peers without a record are
 * the operator's (foreign) and never touched.
 *
 * Bring-up: events from the data path (wgjit_ctl_event(), see
 * wgjit_handoff.h) say when the gateway sent its first handshake message
 * and when the handshake completed; they restore the configured keepalive
 * and feed the latency histograms. In initiate mode a peer whose endpoint
 * has not answered within abandon_ms (one retry of WireGuard's) is
 * removed: the gateway never keeps sending to an address nobody verified.
 * Without events (params.events false) a device dump does the same while
 * installs wait: every 20 ms, or four times what the last dump took. The periodic dump (evict_interval) is
 * the slow reconcile: foreign peers, eviction, device identity.
 *
 * Held frames: a worker may withhold an initiation from the kernel and
 * pass the frame as `held`. It goes back to the kernel (hooks.reinject)
 * when WireGuard should see it: the peer is already installed (rekey,
 * roaming), the key belongs to a peer wgjit did not install, the cache
 * failed, or the bring-up mode is reinject. It is dropped (hooks.release)
 * when the gateway initiates itself, or when WireGuard would drop it
 * anyway (unknown key, replay, refused by the policy).
 *
 * Time: monotonic time (the injected clock) for every schedule, pacing,
 * backoff, eviction and latency; wall time only for the cache's records
 * and for the freshness of TAI64N timestamps.
 *
 * Threads: every function but wgjit_ctl_stats() and wgjit_ctl_peers() is
 * for the control lcore only. Nothing blocks on the network or the API;
 * backend calls (Netlink, UAPI) happen only in wgjit_ctl_poll(), a few per
 * pass at most.
 */

#include <stdbool.h>
#include <stdint.h>

#include "wgjit_cache.h"
#include "wgjit_clock.h"
#include "wgjit_fetch.h"
#include "wgjit_handoff.h"
#include "wgjit_key.h"
#include "wgjit_pace.h"
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

/** Levels of hooks.log, as syslog's. */
enum wgjit_ctl_log_level {
	WGJIT_CTL_LOG_ERR = 3,
	WGJIT_CTL_LOG_WARNING = 4,
	WGJIT_CTL_LOG_NOTICE = 5,
	WGJIT_CTL_LOG_INFO = 6,
};

/** Callbacks into the data path and the log. Each may be NULL. */
struct wgjit_ctl_hooks {
	/** Send a held frame toward WireGuard (ownership passes). */
	void (*reinject)(void *arg, void *held);
	/** Drop a held frame that will not be re-injected. Mandatory when
	 * workers hand over held frames. */
	void (*release)(void *arg, void *held);
	/** An endpoint WireGuard knows: added (again) with the events to
	 * report for it (WGJIT_CTL_EV_BIT mask, 0 for none), or gone. */
	void (*endpoint)(void *arg, const union wgjit_endpoint *ep, bool add,
			uint32_t watch);
	/** The control plane does not know @p key, for @p ttl_ms: the
	 * data path may stop its checks of that key after one DH. */
	void (*negative)(void *arg, const uint8_t key[WGJIT_KEY_LEN],
			uint32_t ttl_ms);
	/** One line for the operator (no newline), at most one per reason
	 * per second; lines held back are counted in the next one. */
	void (*log)(void *arg, enum wgjit_ctl_log_level level,
			const char *line);
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
	struct wgjit_pace_params pace;
	/** [policy] allowed_ips ("" or NULL: any) and max_allowed_ips. */
	const char *policy_allowed_ips;
	unsigned int max_allowed_ips;
	/** Refuse initiations whose timestamp is further than this from
	 * the wall clock (either way); 0: no freshness window. */
	uint64_t max_timestamp_age_ms;
	enum wgjit_ctl_bringup bringup;
	uint16_t bringup_keepalive;		/**< s; initiate mode */
	uint64_t abandon_ms;			/**< initiate: no answer */
	uint64_t idle_timeout_ms;		/**< evict after no sign of life */
	uint64_t grace_ms;			/**< evict if no handshake ever */
	uint64_t evict_interval_ms;		/**< slow reconcile period */
	unsigned int evict_batch;		/**< removals per pass */
	unsigned int install_batch;		/**< installs per pass */
	unsigned int max_pending;		/**< initiations awaiting fetch */
	unsigned int max_watch;			/**< bring-ups watched at once */
	/** The data path reports bring-up events (wgjit_ctl_event()). */
	bool events;
	struct wgjit_ctl_hooks hooks;
	/** Time source; NULL = the system clocks. Tests step their own. */
	const struct wgjit_clock *clock;
};

/** Log2 histogram of microseconds: bucket i counts [2^i, 2^(i+1)) us. */
#define WGJIT_CTL_HIST_BUCKETS 24

/** The latencies measured, by stage (docs/operations.md). */
enum wgjit_ctl_hist {
	WGJIT_CTL_HIST_RING,		/**< worker -> control lcore */
	WGJIT_CTL_HIST_CACHE,		/**< the cache's verdict */
	WGJIT_CTL_HIST_FETCH,		/**< request -> answer */
	WGJIT_CTL_HIST_APPLY,		/**< one batch: intents + backend */
	WGJIT_CTL_HIST_INSTALL,		/**< initiation -> installed */
	WGJIT_CTL_HIST_BRINGUP,		/**< installed -> gateway's message */
	WGJIT_CTL_HIST_HANDSHAKE,	/**< initiation -> handshake done */
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
	uint64_t observed;		/**< of installed peers: floors kept */
	uint64_t foreign;		/**< in the device, not wgjit's: untouched */
	uint64_t replays;		/**< at or below the key's floor */
	uint64_t stale_timestamps;	/**< outside max_timestamp_age */
	uint64_t martians;		/**< endpoint nobody can be at */
	uint64_t cache_hits;
	uint64_t negative_hits;
	uint64_t returning;		/**< fetched: key valid before */
	uint64_t never_seen;		/**< fetched: key never answered */
	uint64_t suppressed;		/**< inside the re-fetch window */
	uint64_t pace_full;		/**< no room to pace a new key */
	uint64_t api_requests;
	uint64_t api_not_found;
	uint64_t api_errors;
	uint64_t policy_refused;	/**< answer outside the policy */
	uint64_t installs;
	uint64_t install_failures;
	uint64_t batches;		/**< backend calls that installed */
	uint64_t evictions;
	uint64_t abandoned;		/**< initiate: endpoint never answered */
	uint64_t reconciled;		/**< records of peers gone from device */
	uint64_t intents_settled;	/**< intents found after a crash */
	uint64_t handshakes;		/**< installs that completed one */
	uint64_t events;		/**< from the data path */
	uint64_t events_unmatched;	/**< for no watched install */
	uint64_t pending_dropped;	/**< no room to wait for a fetch */
	uint64_t pending_not_newer;	/**< a waiting one was newer */
	uint64_t foreign_unknown;	/**< no fresh device view: not installed */
	uint64_t device_changed;	/**< device key or port changed */
	uint64_t db_errors;
	uint64_t peers_installed;	/**< now */
	uint64_t fetches_waiting;	/**< now: queued or in flight */
	uint64_t watching;		/**< now: bring-ups in progress */
	/** Latency histograms, by enum wgjit_ctl_hist. */
	uint64_t hist[WGJIT_CTL_NB_HIST][WGJIT_CTL_HIST_BUCKETS];
};

/** Names of the counters of struct wgjit_ctl_stats, in order. */
extern const char *const wgjit_ctl_stats_names[];
/** Number of named counters at the start of struct wgjit_ctl_stats. */
#define WGJIT_CTL_NB_STATS 35

/** One installed peer, as /wgjit/peers shows it. */
struct wgjit_ctl_peer_info {
	uint8_t public_key[WGJIT_KEY_LEN];
	union wgjit_endpoint endpoint;
	uint64_t installed_ms;		/**< wall clock */
	int64_t last_handshake_sec;	/**< wall clock, the device's */
};

struct wgjit_ctl;

/**
 * Open the backend, read the device (private key, listen port), check the
 * policy, open the cache, create the fetcher and reconcile the install
 * records with the device. Init only.
 *
 * @return the object, or NULL with a message in @p err that names the
 *   setting at fault.
 */
struct wgjit_ctl *wgjit_ctl_create(const struct wgjit_ctl_params *p,
		char *err, size_t errlen);

/** The device's private key and listen port, read at create time. */
void wgjit_ctl_device_identity(const struct wgjit_ctl *ctl,
		uint8_t private_key[WGJIT_KEY_LEN], uint16_t *listen_port);

/**
 * Take one authenticated initiation. The held frame (if any) is passed on
 * through a hook, now or later; never leaked. Writes nothing: what the
 * initiation leads to happens in the next wgjit_ctl_poll() (a full batch
 * is applied at once).
 * @return 0, or -errno for a database error (counted).
 */
int wgjit_ctl_submit(struct wgjit_ctl *ctl,
		const struct wgjit_ctl_initiation *in);

/** Take one event from the data path. @return 0, or -ENOENT (no watch). */
int wgjit_ctl_event(struct wgjit_ctl *ctl, const struct wgjit_ctl_event *ev);

/**
 * One pass of work without blocking (see above).
 * @return 0; -EIO when the fetcher broke; -ESTALE when the device was
 *   re-created with another key or listen port (the data path's responder
 *   is then wrong: restart).
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
 * Call hooks.endpoint(add) for every endpoint WireGuard knows: the peers
 * wgjit installed and the operator's. Once the workers exist, at start.
 * @return 0 or -errno from the cache.
 */
int wgjit_ctl_announce_endpoints(struct wgjit_ctl *ctl);

/**
 * Flush what the pass has not written and close everything; installed
 * peers stay in the device. NULL is allowed.
 */
void wgjit_ctl_free(struct wgjit_ctl *ctl);

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_CTL_H */
