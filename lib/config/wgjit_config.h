/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_CONFIG_H
#define WGJIT_CONFIG_H

/**
 * @file
 * The wgjit configuration: an INI file read with rte_cfgfile into one
 * validated struct with defaults. config/wgjit.conf documents every key.
 *
 * The backend and bring-up enums are those of the modules they configure
 * (wgjit_wg.h, wgjit_ctl.h), so the app passes them on as they are.
 *
 * Rules: '#' starts a comment; every section and key must be known; a
 * section or key may appear once; every value is checked (integers in
 * range, enums by name, prefixes by the policy's parser) and none may be
 * longer than rte_cfgfile keeps (CFG_VALUE_LEN - 1 characters: a longer
 * one would be cut silently). The first problem stops the load with a
 * message that names section.key and the bad value.
 *
 * Threads: init only (allocates while loading). The loaded struct is
 * read-only afterwards and may be read from any thread.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wgjit_ctl.h"
#include "wgjit_wg.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Room for a path or a URL, terminating NUL included. */
#define WGJIT_CONFIG_STR_SIZE 256
/** Room for an interface name (IFNAMSIZ). */
#define WGJIT_CONFIG_IFNAME_SIZE 16
/** Room for an error message from wgjit_config_load(). */
#define WGJIT_CONFIG_ERR_SIZE 512
/** tap.port unset: wgjit creates the TAP named tap.name. */
#define WGJIT_CONFIG_PORT_NONE UINT16_MAX
/** workers.idle_sleep_us unset: 0 in bump mode, WGJIT_DEFAULT_IDLE_SLEEP_STEER_US
 * in steer mode (wgjit_config_idle_sleep_us()). */
#define WGJIT_CONFIG_AUTO UINT32_MAX
/** Most lcores a list key (handshake.lcores) names. */
#define WGJIT_CONFIG_MAX_LCORES 64

/** How wgjit sits on the uplink ([uplink] mode). */
enum wgjit_config_uplink_mode {
	WGJIT_CONFIG_UPLINK_BUMP = 0,
	WGJIT_CONFIG_UPLINK_STEER,
};

/** A list of lcore ids, as "1,2,5" in the file. */
struct wgjit_config_lcores {
	unsigned int nb;
	uint16_t id[WGJIT_CONFIG_MAX_LCORES];
};

/** Every setting; times are in seconds unless the name says _ms. */
struct wgjit_config {
	struct {
		char interface[WGJIT_CONFIG_IFNAME_SIZE];
		enum wgjit_wg_kind backend;
		uint16_t listen_port;	/**< 0: read it from the device */
		/** Interface private key (base64); "" = no identification. */
		char private_key_file[WGJIT_CONFIG_STR_SIZE];
	} wireguard;
	struct {
		/** bump: DPDK owns the uplink; steer: the kernel keeps it and
		 * wgjit's XDP program sends it only the initiations. */
		enum wgjit_config_uplink_mode mode;
		uint16_t port;		/**< bump: DPDK port id of the uplink */
		/** steer: the kernel interface to attach to */
		char interface[WGJIT_CONFIG_IFNAME_SIZE];
		uint16_t start_queue;	/**< steer: first RX queue steered */
		/** steer: the XDP object ("" = the installed one) */
		char xdp_prog[WGJIT_CONFIG_STR_SIZE];
	} uplink;
	struct {
		char name[WGJIT_CONFIG_IFNAME_SIZE];
		/**
		 * An existing DPDK port used as the exception path instead
		 * of a TAP (e.g. net_null for benchmarks), or
		 * WGJIT_CONFIG_PORT_NONE. Never equal to uplink.port.
		 */
		uint16_t port;
	} tap;
	struct {
		char url[WGJIT_CONFIG_STR_SIZE];
		char token_file[WGJIT_CONFIG_STR_SIZE];
		char ca_file[WGJIT_CONFIG_STR_SIZE];
		uint32_t timeout_ms;
		uint32_t max_inflight;
		uint32_t max_per_second;
		uint32_t max_queued;
		uint32_t new_key_share;	/**< percent for never-seen keys */
		uint32_t min_refetch;
		bool allow_http;	/**< http:// beyond loopback */
		char proxy[WGJIT_CONFIG_STR_SIZE];
	} control_plane;
	struct {
		char path[WGJIT_CONFIG_STR_SIZE];
		uint32_t positive_ttl;
		uint32_t negative_ttl;
		uint32_t retention;
		uint32_t replay_retention;
		uint32_t replay_max;
	} cache;
	struct {
		/** Prefixes JIT peers may be given ("" = anywhere). */
		char allowed_ips[WGJIT_CONFIG_STR_SIZE];
		uint32_t max_allowed_ips;
		uint32_t max_timestamp_age;	/**< 0: no window */
	} policy;
	struct {
		/** Under load, per source that proved itself with mac2. */
		uint32_t per_source_rate;	/**< initiations per second */
		uint32_t per_source_burst;
	} ratelimit;
	struct {
		/** Lcores that only do the DH work; none: the workers. */
		struct wgjit_config_lcores lcores;
		uint32_t budget_us;	/**< DH time per worker loop pass */
		uint32_t share;		/**< percent of a busy worker for DH */
		uint32_t queue_size;	/**< initiations waiting per queue */
		uint32_t cookie_rate;	/**< cookie replies/s per RX lcore */
	} handshake;
	struct {
		/** 0: busy poll; WGJIT_CONFIG_AUTO: by uplink mode */
		uint32_t idle_sleep_us;
	} workers;
	struct {
		enum wgjit_ctl_bringup mode;
		uint32_t abandon_ms;	/**< initiate: silent endpoint */
	} bringup;
	struct {
		uint32_t max_pending;	/**< initiations awaiting a fetch */
		uint32_t max_watch;	/**< bring-ups watched at once */
		uint32_t install_batch;	/**< installs per backend call */
		uint32_t ring_size;	/**< workers -> control */
		uint32_t held_frames;	/**< withheld initiations at once */
	} control;
	struct {
		uint32_t idle_timeout;
		uint32_t grace;
		uint32_t interval;
		uint32_t batch;
	} evict;
	struct {
		bool enabled;
	} telemetry;
};

/** Fill @p cfg with the defaults (those in config/wgjit.conf). */
void wgjit_config_defaults(struct wgjit_config *cfg);

/**
 * Load @p path over the defaults and validate it.
 *
 * @param err  receives a one-line message on failure (may be NULL).
 * @return 0; -ENOENT/-EACCES/... when the file cannot be read; -EINVAL for
 *   a syntax error, an unknown or repeated section or key, or a bad value.
 *   On failure @p cfg holds the defaults.
 */
int wgjit_config_load(struct wgjit_config *cfg, const char *path,
		char *err, size_t err_size);

/** workers.idle_sleep_us as it applies (WGJIT_CONFIG_AUTO resolved). */
uint32_t wgjit_config_idle_sleep_us(const struct wgjit_config *cfg);

/** Name of a backend or bring-up mode, as written in the file. */
const char *wgjit_config_backend_name(enum wgjit_wg_kind b);
const char *wgjit_config_bringup_name(enum wgjit_ctl_bringup m);

/**
 * Call @p fn once per key, in file order, with the value formatted as in
 * the file (for /wgjit/config and for logging). Stops at the first
 * non-zero return and returns it; 0 otherwise.
 */
int wgjit_config_foreach(const struct wgjit_config *cfg,
		int (*fn)(void *arg, const char *section, const char *key,
			const char *value, bool is_number, uint64_t number),
		void *arg);

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_CONFIG_H */
