/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_TEL_H
#define WGJIT_TEL_H

/**
 * @file
 * Telemetry commands (over DPDK's telemetry socket, dpdk_telemetry.v2):
 *  - /wgjit/stats   totals over every worker plus the control counters;
 *  - /wgjit/lcores  every worker's counters keyed by lcore id, or one
 *                   worker's counters with the lcore id as parameter
 *                   (anything else: -EINVAL);
 *  - /wgjit/peers   the peers wgjit installed, 64 per call, keyed by
 *                   the public key in hex; the index of the first one as
 *                   parameter pages through them;
 *  - /wgjit/latency log2 histograms (microseconds) from the initiation's
 *                   arrival to the install and to the first handshake;
 *  - /wgjit/config  the loaded configuration, one dict per section.
 * Names and keys use only [a-z0-9_/].
 *
 * Threads: wgjit_tel_init() at init, before the workers run; handlers run
 * in DPDK's telemetry thread and only read counters (one writer each).
 * The source must stay valid until the process exits.
 */

#include <stdint.h>

#include "wgjit_config.h"
#include "wgjit_lcore.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Counters of the control lcore folded into /wgjit/stats. */
struct wgjit_tel_ctl_counters {
	uint64_t ctl_initiations;	/**< dequeued from the workers */
	uint64_t cache_hits;
	uint64_t api_requests;
	uint64_t api_errors;
	uint64_t installs;
	uint64_t install_failures;
	uint64_t evictions;
	uint64_t peers_installed;
	uint64_t reinject_drops;	/**< held frames the worker ring refused */
};

/** One peer wgjit installed, for /wgjit/peers. */
struct wgjit_tel_peer {
	char public_key[48];		/**< base64 */
	char key_hex[72];		/**< hex: the dict key */
	char endpoint[64];		/**< "addr:port" */
	uint64_t age_s;			/**< since install */
	int64_t last_handshake_s;	/**< seconds ago; -1 = never */
};

/** Log2 histograms of microseconds for /wgjit/latency. */
#define WGJIT_TEL_HIST_BUCKETS 24
struct wgjit_tel_latency {
	uint64_t install_us[WGJIT_TEL_HIST_BUCKETS];	/**< rx -> installed */
	uint64_t handshake_us[WGJIT_TEL_HIST_BUCKETS];	/**< rx -> handshake */
};

/** What the commands report. */
struct wgjit_tel_source {
	const struct wgjit_config *cfg;
	struct wgjit_lcore *const *workers;	/**< nb_workers entries */
	const unsigned int *worker_lcore;	/**< lcore id of each */
	unsigned int nb_workers;
	/** Fill the control counters (telemetry thread; must not block). */
	void (*ctl_counters)(void *arg, struct wgjit_tel_ctl_counters *out);
	void *ctl_arg;
	/** Copy up to @p max installed peers from index @p first; returns
	 * how many (telemetry thread; must not block long). May be NULL. */
	unsigned int (*peers)(void *arg, unsigned int first,
			struct wgjit_tel_peer *out, unsigned int max);
	/** Fill the latency histograms. May be NULL. */
	void (*latency)(void *arg, struct wgjit_tel_latency *out);
};

/**
 * Register the commands. Init only, once.
 * @return 0, -EALREADY on a second call, or the error of
 *   rte_telemetry_register_cmd().
 */
int wgjit_tel_init(const struct wgjit_tel_source *src);

/**
 * Stop serving: waits for commands in progress, and later ones get an
 * error reply. Call before freeing anything the source points to.
 */
void wgjit_tel_close(void);

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_TEL_H */
