/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * wgjit [EAL options] -- --config FILE
 *
 * Roles: the main lcore is the control lcore; every other lcore of the
 * lcore list is a data-path lcore (wgjit_lcore.h). Those not named in
 * handshake.lcores take an RX/TX queue pair on the uplink and on the TAP,
 * as many as the uplink spreads (RSS, af_packet fanout); the rest only do
 * handshakes. Without handshake.lcores every lcore does the DH work of
 * the initiations it owns: each RX lcore its own when every lcore has a
 * queue, else the RX lcores spread them over all lcores by source.
 */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring_elem.h>

#include <sodium.h>

#include "wgjit_app.h"
#include "wgjit_clock.h"
#include "wgjit_config.h"
#include "wgjit_ctl.h"
#include "wgjit_defaults.h"
#include "wgjit_key.h"
#include "wgjit_lcore.h"
#include "wgjit_port.h"
#include "wgjit_secret.h"
#include "wgjit_tel.h"
#include "wgjit_xdp.h"

#define DEFAULT_CONFIG "/etc/wgjit/wgjit.conf"
/* A worker's inbox holds, beside a burst of messages, a restart's
 * announcement of a full endpoint table, posted before the lcores run. */
#define INBOX_RING_SLACK 4096
#define POOL_CACHE 256

RTE_LOG_REGISTER(wgjit_logtype_app, wgjit, INFO);
RTE_LOG_REGISTER(wgjit_logtype_ctl, wgjit.ctl, INFO);

static struct wgjit_app app;

static void
signal_handler(int signum)
{
	if (signum == SIGINT || signum == SIGTERM)
		wgjit_lcore_stop();
}

static void
usage(const char *prog)
{
	printf("Usage: %s [EAL options] -- --config FILE\n"
		"  --config FILE  INI configuration (default %s)\n",
		prog, DEFAULT_CONFIG);
}

static const char *
parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = DEFAULT_CONFIG;
	int opt;

	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'h':
			usage(argv[0]);
			exit(EXIT_SUCCESS);
		default:
			usage(argv[0]);
			rte_exit(EXIT_FAILURE, "wgjit: bad arguments\n");
		}
	}
	if (optind != argc)
		rte_exit(EXIT_FAILURE, "wgjit: unexpected argument '%s'\n",
			argv[optind]);
	return path;
}

/*
 * The control object: opens the WireGuard device (its private key and
 * listen port are read from it: the operator configures them once, with
 * wg), the SQLite cache and the control-plane client. Without a
 * control_plane.url wgjit only identifies and counts.
 */
static void
setup_control(void)
{
	const struct wgjit_config *c = &app.cfg;
	struct wgjit_ctl_params p;
	char err[256];

	if (c->control_plane.url[0] == '\0') {
		APP_LOG(NOTICE, "control_plane.url not set: initiations are identified and counted, nothing is installed");
		return;
	}
	memset(&p, 0, sizeof(p));
	p.backend = c->wireguard.backend;
	p.ifname = c->wireguard.interface;
	p.cache_path = c->cache.path;
	p.cache.positive_ttl_ms = (uint64_t)c->cache.positive_ttl * 1000;
	p.cache.negative_ttl_ms = (uint64_t)c->cache.negative_ttl * 1000;
	p.cache.retention_ms = (uint64_t)c->cache.retention * 1000;
	p.cache.replay_retention_ms = (uint64_t)c->cache.replay_retention * 1000;
	p.cache.replay_max = c->cache.replay_max;
	p.fetch.base_url = c->control_plane.url;
	p.fetch.token_file = c->control_plane.token_file[0] != '\0' ?
		c->control_plane.token_file : NULL;
	p.fetch.ca_file = c->control_plane.ca_file[0] != '\0' ?
		c->control_plane.ca_file : NULL;
	p.fetch.timeout_ms = c->control_plane.timeout_ms;
	p.fetch.max_inflight = c->control_plane.max_inflight;
	p.fetch.max_per_second = c->control_plane.max_per_second;
	p.fetch.max_queued = c->control_plane.max_queued;
	p.fetch.new_share = c->control_plane.new_key_share;
	p.fetch.allow_http = c->control_plane.allow_http;
	p.fetch.proxy = c->control_plane.proxy;
	p.pace.min_refetch_ms = (uint64_t)c->control_plane.min_refetch * 1000;
	p.policy_allowed_ips = c->policy.allowed_ips;
	p.max_allowed_ips = c->policy.max_allowed_ips;
	p.max_timestamp_age_ms = (uint64_t)c->policy.max_timestamp_age * 1000;
	p.bringup = c->bringup.mode;
	p.abandon_ms = c->bringup.abandon_ms;
	p.idle_timeout_ms = (uint64_t)c->evict.idle_timeout * 1000;
	p.grace_ms = (uint64_t)c->evict.grace * 1000;
	p.evict_interval_ms = (uint64_t)c->evict.interval * 1000;
	p.evict_batch = c->evict.batch;
	p.install_batch = c->control.install_batch;
	p.max_pending = c->control.max_pending;
	p.max_watch = c->control.max_watch;
	/* In bump mode the kernel's traffic runs through the workers: they
	 * see the events. In steer mode it does not: dumps stand in. */
	p.events = c->uplink.mode == WGJIT_CONFIG_UPLINK_BUMP;
	wgjit_app_control_hooks(&app, &p.hooks);
	app.ctl_obj = wgjit_ctl_create(&p, err, sizeof(err));
	if (app.ctl_obj == NULL)
		rte_exit(EXIT_FAILURE, "wgjit: wireguard.interface %s (%s): %s\n",
			c->wireguard.interface,
			wgjit_config_backend_name(c->wireguard.backend), err);
}

/*
 * The responder: the device's key (or wireguard.private_key_file, which
 * must then be the device's), and its listen port.
 */
static void
setup_identify(void)
{
	uint8_t key[WGJIT_KEY_LEN], dev_key[WGJIT_KEY_LEN];
	char err[256] = "";
	uint16_t dev_port = 0;
	bool have_key = false;
	int ret = 0;

	if (app.ctl_obj != NULL) {
		wgjit_ctl_device_identity(app.ctl_obj, dev_key, &dev_port);
		if (app.listen_port == 0)
			app.listen_port = dev_port;
		else if (app.listen_port != dev_port)
			rte_exit(EXIT_FAILURE, "wgjit: wireguard.listen_port = %u but %s listens on %u\n",
				app.listen_port, app.cfg.wireguard.interface,
				dev_port);
		memcpy(key, dev_key, sizeof(key));
		have_key = true;
	}
	if (app.cfg.wireguard.private_key_file[0] != '\0') {
		ret = wgjit_key_read_file(key, app.cfg.wireguard.private_key_file,
			err, sizeof(err));
		if (ret == 0 && app.ctl_obj != NULL &&
				sodium_memcmp(key, dev_key, sizeof(key)) != 0)
			rte_exit(EXIT_FAILURE, "wgjit: wireguard.private_key_file %s is not the key of %s\n",
				app.cfg.wireguard.private_key_file,
				app.cfg.wireguard.interface);
		have_key = ret == 0;
	}
	if (ret == 0 && have_key) {
		app.responder = wgjit_secret_alloc(sizeof(*app.responder));
		ret = app.responder == NULL ? -ENOMEM :
			wgjit_noise_responder_init(app.responder, key);
	}
	sodium_memzero(key, sizeof(key));
	sodium_memzero(dev_key, sizeof(dev_key));
	if (ret < 0)
		rte_exit(EXIT_FAILURE, "wgjit: wireguard.private_key_file: %s\n",
			err[0] != '\0' ? err : strerror(-ret));
	if (app.listen_port == 0)
		rte_exit(EXIT_FAILURE, "wgjit: wireguard.listen_port = 0 needs the device (set control_plane.url) or a port\n");
	if (!have_key) {
		APP_LOG(NOTICE, "no private key (no control_plane.url, no wireguard.private_key_file): initiations are forwarded, not identified");
		return;
	}
	app.identify = true;
}

static bool
is_hs_lcore(unsigned int lcore)
{
	const struct wgjit_config_lcores *l = &app.cfg.handshake.lcores;

	for (unsigned int i = 0; i < l->nb; i++)
		if (l->id[i] == lcore)
			return true;
	return false;
}

/* The lcores: RX-capable ones first, then those of handshake.lcores. */
static void
setup_roles(void)
{
	const struct wgjit_config_lcores *l = &app.cfg.handshake.lcores;
	unsigned int lcore;

	for (unsigned int i = 0; i < l->nb; i++)
		if (!rte_lcore_is_enabled(l->id[i]) ||
				l->id[i] == rte_get_main_lcore())
			rte_exit(EXIT_FAILURE, "wgjit: handshake.lcores: lcore %u is %s\n",
				l->id[i], l->id[i] == rte_get_main_lcore() ?
				"the main (control) lcore" :
				"not in the EAL lcore list");
	RTE_LCORE_FOREACH_WORKER(lcore)
		if (!is_hs_lcore(lcore))
			app.worker_lcore[app.nb_workers++] = lcore;
	if (app.nb_workers == 0)
		rte_exit(EXIT_FAILURE, "wgjit: need a worker lcore besides the control lcore and handshake.lcores, e.g. -l 0,1\n");
	for (unsigned int i = 0; i < l->nb; i++)
		app.worker_lcore[app.nb_workers++] = l->id[i];
	app.nb_hs_only = l->nb;
	if (app.nb_hs_only > 0 && !app.identify)
		rte_exit(EXIT_FAILURE, "wgjit: handshake.lcores needs a private key (control_plane.url or wireguard.private_key_file)\n");
	APP_LOG(INFO, "control on lcore %u, %u data lcore(s), %u of them for handshakes only",
		rte_get_main_lcore(), app.nb_workers, app.nb_hs_only);
}

/* Pools sized for every descriptor ring, bursts in flight and full
 * handshake queues. */
static void
setup_pools(void)
{
	unsigned int nb_mbufs = app.nb_workers *
		(2 * (WGJIT_PORT_NB_RXD + WGJIT_PORT_NB_TXD) +
		 4 * WGJIT_LCORE_BURST + app.cfg.handshake.queue_size) +
		2 * POOL_CACHE * (app.nb_workers + 1);
	int socket = (int)rte_socket_id();

	nb_mbufs = rte_align32pow2(nb_mbufs) - 1;
	app.pkt_pool = rte_pktmbuf_pool_create("wgjit_pkt", nb_mbufs,
		POOL_CACHE, 0, RTE_MBUF_DEFAULT_BUF_SIZE, socket);
	if (app.pkt_pool == NULL)
		rte_exit(EXIT_FAILURE, "wgjit: rte_pktmbuf_pool_create(wgjit_pkt, %u mbufs): %s\n",
			nb_mbufs, rte_strerror(rte_errno));
	/* Withheld initiations and the copies of known endpoints' ones:
	 * never taken from the RX pool. */
	app.held_pool = rte_pktmbuf_pool_create("wgjit_held",
		rte_align32pow2(app.cfg.control.held_frames) - 1, 0, 0,
		RTE_MBUF_DEFAULT_BUF_SIZE, socket);
	if (app.held_pool == NULL)
		rte_exit(EXIT_FAILURE, "wgjit: rte_pktmbuf_pool_create(wgjit_held, control.held_frames %u): %s\n",
			app.cfg.control.held_frames, rte_strerror(rte_errno));
}

static void
setup_ports(void)
{
	const struct wgjit_config *c = &app.cfg;
	const bool steer = c->uplink.mode == WGJIT_CONFIG_UPLINK_STEER;
	uint16_t rx_lcores = (uint16_t)(app.nb_workers - app.nb_hs_only);
	struct rte_ether_addr mac;
	char err[256];
	int ret;

	app.uplink_port = c->uplink.port;
	if (steer) {
		ret = wgjit_port_steer_create(c->uplink.interface,
			c->uplink.xdp_prog, c->uplink.start_queue, rx_lcores,
			&app.uplink_port, err, sizeof(err));
		if (ret < 0)
			rte_exit(EXIT_FAILURE, "wgjit: uplink.mode = steer on uplink.interface %s: %s\n",
				c->uplink.interface, err);
	}
	ret = wgjit_port_uplink_setup(app.uplink_port, rx_lcores, app.pkt_pool,
		&app.nb_queues, &mac);
	if (ret < 0 && steer)
		rte_exit(EXIT_FAILURE, "wgjit: uplink.mode = steer on uplink.interface %s: cannot set up the AF_XDP queues (XDP program %s not loaded or not attached; is another XDP program on the interface?): %s\n",
			c->uplink.interface, c->uplink.xdp_prog[0] ?
			c->uplink.xdp_prog : wgjit_xdp_prog_path(),
			rte_strerror(-ret));
	if (ret < 0)
		rte_exit(EXIT_FAILURE, "wgjit: uplink port %u (uplink.port): %s\n",
			app.uplink_port, rte_strerror(-ret));
	if (app.cfg.tap.port != WGJIT_CONFIG_PORT_NONE) {
		/* An existing port (net_null in benchmarks), no TAP. */
		app.tap_port = app.cfg.tap.port;
		ret = wgjit_port_exception_setup(app.tap_port, app.nb_queues,
			app.pkt_pool);
		if (ret < 0)
			rte_exit(EXIT_FAILURE, "wgjit: exception port %u (tap.port): %s\n",
				app.tap_port, rte_strerror(-ret));
	} else {
		ret = wgjit_port_tap_create(app.cfg.tap.name, &mac,
			app.nb_queues, app.pkt_pool, &app.tap_port);
		if (ret < 0)
			rte_exit(EXIT_FAILURE, "wgjit: TAP %s (tap.name): %s\n",
				app.cfg.tap.name, rte_strerror(-ret));
		/* The TAP has the uplink's MAC: re-injected frames need no
		 * new destination address. */
		if (steer && wgjit_port_tap_steer_prepare(c->tap.name, err,
				sizeof(err)) < 0)
			rte_exit(EXIT_FAILURE, "wgjit: uplink.mode = steer, TAP %s: %s\n",
				c->tap.name, err);
	}
	app.tap_created = true;
}

/* Steer mode, once the ports run: the program takes initiations to the
 * listen port from now on (until now it passed everything). */
static void
start_steering(void)
{
	char err[256];
	int ret;

	if (app.cfg.uplink.mode != WGJIT_CONFIG_UPLINK_STEER)
		return;
	ret = wgjit_xdp_open(app.cfg.uplink.interface, &app.xdp, err,
		sizeof(err));
	if (ret == 0)
		ret = wgjit_xdp_set_port(app.xdp, app.listen_port, err,
			sizeof(err));
	if (ret < 0)
		rte_exit(EXIT_FAILURE, "wgjit: uplink.mode = steer on uplink.interface %s: %s\n",
			app.cfg.uplink.interface, err);
	APP_LOG(INFO, "steering initiations to port %u on %s",
		app.listen_port, app.cfg.uplink.interface);
}

static struct rte_ring *
ring_or_exit(const char *name, unsigned int esize, unsigned int count,
		unsigned int flags)
{
	struct rte_ring *r;

	r = rte_ring_create_elem(name, esize, count, (int)rte_socket_id(),
		flags);
	if (r == NULL)
		rte_exit(EXIT_FAILURE, "wgjit: rte_ring_create_elem(%s): %s\n",
			name, rte_strerror(rte_errno));
	return r;
}

/*
 * Which lcores drain a handshake queue, and which queues each RX lcore
 * feeds: its own when every lcore is an RX lcore doing its own DH work
 * (RSS already spread the sources), else all queues, by source.
 */
static void
setup_handshake_queues(void)
{
	bool hs_only = app.nb_hs_only > 0;
	char name[RTE_RING_NAMESIZE];

	if (!app.identify)
		return;
	for (unsigned int w = 0; w < app.nb_workers; w++) {
		if (hs_only && w < app.nb_queues)
			continue;	/* RX only: dedicated lcores do the DH */
		snprintf(name, sizeof(name), "wgjit_hs_%u", w);
		app.hs_queue[w] = rte_ring_create(name,
			rte_align32pow2(app.cfg.handshake.queue_size),
			(int)rte_socket_id(), RING_F_SC_DEQ | RING_F_EXACT_SZ);
		if (app.hs_queue[w] == NULL)
			rte_exit(EXIT_FAILURE, "wgjit: rte_ring_create(%s, handshake.queue_size %u): %s\n",
				name, app.cfg.handshake.queue_size,
				rte_strerror(rte_errno));
		app.hs_targets[app.nb_hs_targets++] = app.hs_queue[w];
	}
	if (app.nb_hs_targets > WGJIT_LCORE_MAX_HS_OUT)
		rte_exit(EXIT_FAILURE, "wgjit: %u handshake queues, at most %u\n",
			app.nb_hs_targets, WGJIT_LCORE_MAX_HS_OUT);
}

static void
setup_workers(void)
{
	const bool own_queue = app.nb_hs_only == 0 &&
		app.nb_queues == app.nb_workers;
	const struct wgjit_config *c = &app.cfg;
	char name[RTE_RING_NAMESIZE];
	int ret;

	app.to_ctl = ring_or_exit("wgjit_to_ctl",
		sizeof(struct wgjit_ctl_initiation),
		rte_align32pow2(c->control.ring_size), RING_F_SC_DEQ);
	app.events = ring_or_exit("wgjit_events",
		sizeof(struct wgjit_ctl_event),
		rte_align32pow2(c->control.ring_size), RING_F_SC_DEQ);
	for (unsigned int w = 0; w < app.nb_workers; w++) {
		snprintf(name, sizeof(name), "wgjit_inbox_%u", w);
		app.inbox[w] = ring_or_exit(name, sizeof(struct wgjit_lcore_msg),
			rte_align32pow2(WGJIT_DEFAULT_ENDPOINT_ENTRIES +
				INBOX_RING_SLACK), RING_F_SC_DEQ);
	}
	setup_handshake_queues();
	for (unsigned int w = 0; w < app.nb_workers; w++) {
		bool rx = w < app.nb_queues;
		struct wgjit_lcore_params p = {
			.index = w,
			.uplink_port = app.uplink_port,
			.tap_port = app.tap_port,
			.queue = rx ? (uint16_t)w : WGJIT_LCORE_NO_QUEUE,
			.listen_port = app.listen_port,
			.to_ctl = app.to_ctl,
			.events = rx ? app.events : NULL,
			.inbox = app.inbox[w],
			.hs_in = app.hs_queue[w],
			.fwd_inbox = rx ? NULL : app.inbox[w % app.nb_queues],
			.rx_inboxes = app.inbox,
			.nb_rx_inboxes = app.nb_queues,
			.held_pool = app.held_pool,
			.responder = app.identify ? app.responder : NULL,
			.per_source_rate = c->ratelimit.per_source_rate,
			.per_source_burst = c->ratelimit.per_source_burst,
			.hs_budget_us = c->handshake.budget_us,
			.hs_share = c->handshake.share,
			.cookie_rate = c->handshake.cookie_rate,
			.idle_sleep_us = wgjit_config_idle_sleep_us(c),
			.steer = c->uplink.mode == WGJIT_CONFIG_UPLINK_STEER,
			.hs_lcores_gate = app.nb_hs_only > 0,
			/* With a control object and a bring-up mode, it
			 * decides whether the kernel sees an initiation. */
			.withhold_initiations = app.ctl_obj != NULL &&
				c->bringup.mode != WGJIT_CTL_BRINGUP_NONE,
			.ratelimit_entries = WGJIT_DEFAULT_RATELIMIT_ENTRIES,
			.endpoint_entries = WGJIT_DEFAULT_ENDPOINT_ENTRIES,
			.replay_entries = WGJIT_DEFAULT_REPLAY_ENTRIES,
			.dh_cache_entries = WGJIT_DEFAULT_DH_CACHE_ENTRIES,
			.negative_entries = WGJIT_DEFAULT_NEGATIVE_ENTRIES,
		};

		if (rx && app.identify && own_queue) {
			p.hs_out = &app.hs_queue[w];
			p.nb_hs_out = 1;
		} else if (rx && app.identify) {
			p.hs_out = app.hs_targets;
			p.nb_hs_out = app.nb_hs_targets;
		}
		app.workers[w] = rte_zmalloc_socket("wgjit_lcore",
			sizeof(struct wgjit_lcore), RTE_CACHE_LINE_SIZE,
			(int)rte_lcore_to_socket_id(app.worker_lcore[w]));
		if (app.workers[w] == NULL)
			rte_exit(EXIT_FAILURE, "wgjit: rte_zmalloc_socket(lcore %u): out of memory\n",
				app.worker_lcore[w]);
		ret = wgjit_lcore_init(app.workers[w], &p);
		if (ret < 0)
			rte_exit(EXIT_FAILURE, "wgjit: wgjit_lcore_init(lcore %u): %s\n",
				app.worker_lcore[w], strerror(-ret));
	}
}

static void
setup_telemetry(void)
{
	struct wgjit_tel_source src = {
		.cfg = &app.cfg,
		.workers = app.workers,
		.worker_lcore = app.worker_lcore,
		.nb_workers = app.nb_workers,
		.groups[0] = {
			.names = wgjit_app_counter_names,
			.nb = sizeof(app.ctl) / sizeof(uint64_t),
			.read = wgjit_app_counters_read,
			.arg = &app,
		},
		.nb_groups = 1,
		.peers = wgjit_app_peers,
		.peers_arg = &app,
	};
	int ret;

	if (!app.cfg.telemetry.enabled)
		return;
	if (app.cfg.uplink.mode == WGJIT_CONFIG_UPLINK_STEER)
		src.groups[src.nb_groups++] = (struct wgjit_tel_group){
			.names = wgjit_app_xdp_names,
			.nb = WGJIT_APP_NB_XDP,
			.read = wgjit_app_xdp_stats_read,
			.arg = &app,
		};
	if (app.ctl_obj != NULL) {
		src.groups[src.nb_groups++] = (struct wgjit_tel_group){
			.names = wgjit_ctl_stats_names,
			.nb = WGJIT_CTL_NB_STATS,
			.read = wgjit_app_ctl_stats_read,
			.arg = &app,
		};
		src.hists = (struct wgjit_tel_hists){
			.names = wgjit_ctl_hist_names,
			.nb = WGJIT_CTL_NB_HIST,
			.read = wgjit_app_latency,
			.arg = &app,
		};
	}
	ret = wgjit_tel_init(&src);
	if (ret < 0)
		rte_exit(EXIT_FAILURE, "wgjit: wgjit_tel_init: %s\n",
			strerror(-ret));
}

static void
teardown(void)
{
	/* Telemetry threads live until rte_eal_cleanup(): stop them reading
	 * the workers and the control object before those are freed. */
	if (app.cfg.telemetry.enabled)
		wgjit_tel_close();
	wgjit_app_drain_rings(&app);
	/* Before the port: the PMD detaches the program at close. */
	wgjit_xdp_close(app.xdp);
	app.xdp = NULL;
	/* Before the pools: it releases the held frames it still has.
	 * Flushes the cache; installed peers stay in the device. */
	wgjit_ctl_free(app.ctl_obj);
	app.ctl_obj = NULL;
	wgjit_port_close(app.uplink_port);
	if (app.tap_created)
		wgjit_port_close(app.tap_port);
	for (unsigned int w = 0; w < app.nb_workers; w++) {
		wgjit_lcore_free(app.workers[w]);
		rte_free(app.workers[w]);
		rte_ring_free(app.inbox[w]);
		rte_ring_free(app.hs_queue[w]);
	}
	rte_ring_free(app.to_ctl);
	rte_ring_free(app.events);
	rte_mempool_free(app.held_pool);
	rte_mempool_free(app.pkt_pool);
	if (app.responder != NULL)
		wgjit_noise_responder_clear(app.responder);
	wgjit_secret_free(app.responder);
	app.responder = NULL;
}

int
main(int argc, char **argv)
{
	char err[WGJIT_CONFIG_ERR_SIZE];
	char **orig_argv;
	const char *path;
	int ret;

	/* rte_eal_init() reorders argv: keep it as given, for a restart. */
	orig_argv = calloc((size_t)argc + 1, sizeof(*orig_argv));
	for (int i = 0; orig_argv != NULL && i < argc; i++)
		orig_argv[i] = argv[i];
	signal(SIGINT, signal_handler);
	signal(SIGTERM, signal_handler);
	ret = rte_eal_init(argc, argv);
	if (ret < 0)
		rte_exit(EXIT_FAILURE, "wgjit: rte_eal_init: %s\n",
			rte_strerror(rte_errno));
	argc -= ret;
	argv += ret;
	argv[0] = argv[-ret];

	/* All configuration is checked before any device is touched. */
	path = parse_args(argc, argv);
	if (wgjit_config_load(&app.cfg, path, err, sizeof(err)) < 0)
		rte_exit(EXIT_FAILURE, "wgjit: %s\n", err);
	if (sodium_init() < 0)
		rte_exit(EXIT_FAILURE, "wgjit: sodium_init failed\n");
	app.listen_port = app.cfg.wireguard.listen_port;
	setup_control();
	setup_identify();
	setup_roles();

	setup_pools();
	setup_ports();
	setup_workers();
	/* Peers installed before a restart: their endpoints skip the DH. */
	if (app.ctl_obj != NULL)
		wgjit_ctl_announce_endpoints(app.ctl_obj);
	setup_telemetry();
	ret = wgjit_port_start(app.uplink_port);
	if (ret == 0)
		ret = wgjit_port_start(app.tap_port);
	if (ret < 0)
		rte_exit(EXIT_FAILURE, "wgjit: cannot start ports: %s\n",
			rte_strerror(-ret));
	start_steering();

	for (unsigned int w = 0; w < app.nb_workers; w++) {
		ret = rte_eal_remote_launch(wgjit_lcore_main, app.workers[w],
			app.worker_lcore[w]);
		if (ret < 0)
			rte_exit(EXIT_FAILURE, "wgjit: rte_eal_remote_launch(lcore %u): %s\n",
				app.worker_lcore[w], rte_strerror(-ret));
	}
	APP_LOG(INFO, "running (listen port %u, TAP %s)",
		app.listen_port, app.cfg.tap.name);
	wgjit_app_control_loop(&app);
	rte_eal_mp_wait_lcore();

	APP_LOG(INFO, "stopping");
	teardown();
	ret = rte_eal_cleanup();
	if (ret < 0)
		fprintf(stderr, "wgjit: rte_eal_cleanup: %s\n",
			rte_strerror(-ret));
	if (app.restart && orig_argv != NULL) {
		/* The device was re-created with another key or port: read
		 * everything again, as a fresh start would. */
		execv("/proc/self/exe", orig_argv);
		fprintf(stderr, "wgjit: restart: execv: %s\n", strerror(errno));
		return EXIT_FAILURE;
	}
	free(orig_argv);
	return ret < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
