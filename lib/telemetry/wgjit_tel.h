/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_TEL_H
#define WGJIT_TEL_H

/**
 * @file
 * Telemetry commands (over DPDK's telemetry socket, dpdk_telemetry.v2):
 *  - /wgjit/stats   totals over every lcore plus every counter group;
 *  - /wgjit/lcores  every worker's counters keyed by lcore id, or one
 *                   worker's counters with the lcore id as parameter
 *                   (anything else: -EINVAL);
 *  - /wgjit/peers   the peers wgjit installed, 64 per call, keyed by
 *                   the public key in hex; the index of the first one as
 *                   parameter pages through them;
 *  - /wgjit/latency every histogram as NAME_us_log2 with NAME_p50_us and
 *                   NAME_p99_us (upper bounds of those buckets);
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

/** Most counter groups besides the lcores'. */
#define WGJIT_TEL_MAX_GROUPS 4

/**
 * Counters another module names and owns (one writer each), folded into
 * /wgjit/stats: a new counter is a field and a name in its own module.
 * Names are unique across all groups and the lcore counters.
 */
struct wgjit_tel_group {
	const char *const *names;
	unsigned int nb;
	/** Copy the nb current values (telemetry thread; must not block). */
	void (*read)(void *arg, uint64_t *values);
	void *arg;
};

/** One peer wgjit installed, for /wgjit/peers. */
struct wgjit_tel_peer {
	char public_key[48];		/**< base64 */
	char key_hex[72];		/**< hex: the dict key */
	char endpoint[64];		/**< "addr:port" */
	uint64_t age_s;			/**< since install */
	int64_t last_handshake_s;	/**< seconds ago; -1 = never */
};

/** Buckets of a log2 histogram: bucket i counts [2^i, 2^(i+1)) us. */
#define WGJIT_TEL_HIST_BUCKETS 24

/** Latency histograms another module names and owns. */
struct wgjit_tel_hists {
	const char *const *names;
	unsigned int nb;
	/** Copy the nb histograms (telemetry thread; must not block). */
	void (*read)(void *arg, uint64_t (*h)[WGJIT_TEL_HIST_BUCKETS]);
	void *arg;
};

/** What the commands report. */
struct wgjit_tel_source {
	const struct wgjit_config *cfg;
	struct wgjit_lcore *const *workers;	/**< nb_workers entries */
	const unsigned int *worker_lcore;	/**< lcore id of each */
	unsigned int nb_workers;
	struct wgjit_tel_group groups[WGJIT_TEL_MAX_GROUPS];
	unsigned int nb_groups;
	/** /wgjit/latency; nb = 0: none. */
	struct wgjit_tel_hists hists;
	/** Copy up to @p max installed peers from index @p first; returns
	 * how many (telemetry thread; must not block long). May be NULL. */
	unsigned int (*peers)(void *arg, unsigned int first,
			struct wgjit_tel_peer *out, unsigned int max);
	void *peers_arg;
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
