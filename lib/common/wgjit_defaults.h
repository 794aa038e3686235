/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_DEFAULTS_H
#define WGJIT_DEFAULTS_H

/**
 * @file
 * The one table of defaults. The configuration (wgjit_config_defaults(),
 * config/wgjit.conf) and every library that fills a zero parameter take
 * their values from here, so that a test opening a library directly runs
 * with the same defaults as the app. Names follow the configuration key;
 * the unit is in the name.
 */

/* [wireguard] */
#define WGJIT_DEFAULT_INTERFACE			"wg0"

/* [tap] */
#define WGJIT_DEFAULT_TAP_NAME			"wgjit0"

/* [control_plane] */
#define WGJIT_DEFAULT_CP_TIMEOUT_MS		2000
#define WGJIT_DEFAULT_CP_CONNECT_TIMEOUT_MS	1000
#define WGJIT_DEFAULT_CP_MAX_INFLIGHT		256
#define WGJIT_DEFAULT_CP_MAX_PER_SECOND		5000
#define WGJIT_DEFAULT_CP_MAX_QUEUED		16384
#define WGJIT_DEFAULT_CP_NEW_KEY_SHARE		50
#define WGJIT_DEFAULT_CP_MIN_REFETCH_S		5
#define WGJIT_DEFAULT_CP_BACKOFF_MIN_MS		1000
#define WGJIT_DEFAULT_CP_BACKOFF_MAX_MS		60000

/* [cache] */
#define WGJIT_DEFAULT_CACHE_PATH		"/var/lib/wgjit/cache.sqlite"
#define WGJIT_DEFAULT_CACHE_POSITIVE_TTL_S	300
#define WGJIT_DEFAULT_CACHE_NEGATIVE_TTL_S	30
#define WGJIT_DEFAULT_CACHE_RETENTION_S		86400
#define WGJIT_DEFAULT_CACHE_REPLAY_RETENTION_S	2592000
#define WGJIT_DEFAULT_CACHE_REPLAY_MAX		1000000
#define WGJIT_DEFAULT_CACHE_BUSY_TIMEOUT_MS	5
#define WGJIT_DEFAULT_CACHE_EXPIRE_BATCH	256

/* [ratelimit]: kernel WireGuard's per-source rate */
#define WGJIT_DEFAULT_PER_SOURCE_RATE		20
#define WGJIT_DEFAULT_PER_SOURCE_BURST		5

/* [handshake] */
#define WGJIT_DEFAULT_HS_BUDGET_US		100
#define WGJIT_DEFAULT_HS_SHARE			25
#define WGJIT_DEFAULT_HS_QUEUE_SIZE		4096
#define WGJIT_DEFAULT_COOKIE_RATE		500000

/* [workers]: idle_sleep_us unset busy-polls in bump mode (the uplink
 * carries everything) and sleeps this long in steer mode (only
 * initiations arrive: an idle steer gateway should not take a core) */
#define WGJIT_DEFAULT_IDLE_SLEEP_STEER_US	100

/* [bringup]; abandon: one retry of WireGuard's (REKEY_TIMEOUT 5 s plus
 * jitter) and the time for its answer. */
#define WGJIT_DEFAULT_BRINGUP_KEEPALIVE_S	25
#define WGJIT_DEFAULT_BRINGUP_ABANDON_MS	7000

/* [control]: sized for a herd at the identify rate (tens of thousands
 * of initiations a second) */
#define WGJIT_DEFAULT_MAX_PENDING		16384
#define WGJIT_DEFAULT_MAX_WATCH			16384
#define WGJIT_DEFAULT_INSTALL_BATCH		1024
#define WGJIT_DEFAULT_CTL_RING			16384
#define WGJIT_DEFAULT_EVENT_RING		16384
#define WGJIT_DEFAULT_HELD_FRAMES		16384
#define WGJIT_DEFAULT_FLOOR_BUFFER		16384

/* [policy] */
#define WGJIT_DEFAULT_POLICY_MAX_ALLOWED_IPS	32
#define WGJIT_DEFAULT_POLICY_MAX_TIMESTAMP_AGE_S 0

/* [evict] */
#define WGJIT_DEFAULT_EVICT_IDLE_TIMEOUT_S	180
#define WGJIT_DEFAULT_EVICT_GRACE_S		30
#define WGJIT_DEFAULT_EVICT_INTERVAL_S		10
#define WGJIT_DEFAULT_EVICT_BATCH		1024

/* Worker tables (entries per worker) and rings. */
#define WGJIT_DEFAULT_RATELIMIT_ENTRIES		16384
#define WGJIT_DEFAULT_ENDPOINT_ENTRIES		16384
#define WGJIT_DEFAULT_REPLAY_ENTRIES		16384
#define WGJIT_DEFAULT_DH_CACHE_ENTRIES		4096
#define WGJIT_DEFAULT_NEGATIVE_ENTRIES		16384

#endif /* WGJIT_DEFAULTS_H */
