/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_APP_H
#define WGJIT_APP_H

/**
 * @file
 * State of the wgjit process, shared by main.c (set-up and tear-down) and
 * wgjit_control.c (the control lcore loop). Private to the app.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "wgjit_config.h"
#include "wgjit_ctl.h"
#include "wgjit_lcore.h"
#include "wgjit_noise.h"
#include "wgjit_tel.h"
#include "wgjit_xdp.h"

/** The app's log types: "wgjit" (set-up, the loop) and "wgjit.ctl" (the
 * control object's lines). --log-level=wgjit*,debug and the like. */
extern int wgjit_logtype_app;
extern int wgjit_logtype_ctl;

/** One line of the app's own, at RTE_LOG_<level>. */
#define APP_LOG(level, fmt, ...) rte_log(RTE_LOG_ ## level, \
	wgjit_logtype_app, "wgjit: " fmt "\n", ##__VA_ARGS__)

/** What the control loop and its hooks count (telemetry names below). */
struct wgjit_app_counters {
	uint64_t ctl_initiations;	/**< dequeued from the lcores */
	uint64_t reinject_drops;	/**< held frames an inbox refused */
	uint64_t inbox_drops;		/**< endpoint/negative posts refused */
};

/** Names of struct wgjit_app_counters, in order. */
extern const char *const wgjit_app_counter_names[];

/** Everything main() sets up; one instance. */
struct wgjit_app {
	struct wgjit_config cfg;
	/** The responder (private key and what derives from it), in
	 * secret memory (wgjit_secret.h): never in a core dump. */
	struct wgjit_noise_responder *responder;
	bool identify;			/**< responder is set */
	uint16_t listen_port;
	uint16_t uplink_port;
	uint16_t tap_port;
	bool tap_created;
	uint16_t nb_queues;		/**< per port: the RX lcores */
	/** Data-path lcores: the RX ones first (index < nb_queues), then
	 * those that only do handshakes. */
	unsigned int nb_workers;
	unsigned int nb_hs_only;	/**< handshake.lcores among them */
	unsigned int worker_lcore[RTE_MAX_LCORE];
	struct wgjit_lcore *workers[RTE_MAX_LCORE];
	struct rte_ring *inbox[RTE_MAX_LCORE];
	struct rte_ring *hs_queue[RTE_MAX_LCORE];	/**< NULL: none */
	/** The queues an RX lcore feeds when it hashes over executors. */
	struct rte_ring *hs_targets[RTE_MAX_LCORE];
	unsigned int nb_hs_targets;
	struct rte_mempool *pkt_pool;
	struct rte_mempool *held_pool;
	struct rte_ring *to_ctl;
	struct rte_ring *events;	/**< bring-up events, RX -> control */
	/** Steer mode: the XDP program on the uplink interface. */
	struct wgjit_xdp *xdp;
	/** Set when the process must start again (exec) after teardown. */
	bool restart;
	/** The app's own counters; written by the control lcore only. */
	struct wgjit_app_counters ctl;
	/** Cache, fetch, install, evict; NULL without control_plane.url. */
	struct wgjit_ctl *ctl_obj;
};

/** The hooks the control object calls back into the data path. */
void wgjit_app_control_hooks(struct wgjit_app *app,
		struct wgjit_ctl_hooks *hooks);

/**
 * The control lcore loop (runs on the main lcore) until
 * wgjit_lcore_stop(). Sleeps briefly when idle so it does not take a core.
 */
void wgjit_app_control_loop(struct wgjit_app *app);

/** Free frames still in the rings, after the workers have stopped. */
void wgjit_app_drain_rings(struct wgjit_app *app);

/** Installed peers for /wgjit/peers (telemetry thread). */
unsigned int wgjit_app_peers(void *arg, unsigned int first,
		struct wgjit_tel_peer *out, unsigned int max);

/** Latency histograms for /wgjit/latency (telemetry thread). */
void wgjit_app_latency(void *arg, uint64_t (*h)[WGJIT_TEL_HIST_BUCKETS]);

/** The app's counters for /wgjit/stats (telemetry thread). */
void wgjit_app_counters_read(void *arg, uint64_t *values);

/** Steer mode: the XDP program's counters (/wgjit/stats, "xdp_*"). */
#define WGJIT_APP_NB_XDP 9
extern const char *const wgjit_app_xdp_names[WGJIT_APP_NB_XDP];
void wgjit_app_xdp_stats_read(void *arg, uint64_t *values);

/** The control object's counters for /wgjit/stats (telemetry thread). */
void wgjit_app_ctl_stats_read(void *arg, uint64_t *values);

#endif /* WGJIT_APP_H */
