/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * A net_af_xdp port in steer mode on a real interface, for
 * tests/xdp/steer_veth.sh: what wgjit will do at start-up and teardown,
 * then one lcore polling every RX queue.
 *
 *   xdp_steer_port [EAL args] -- --iface IF --prog OBJ --port N
 *       [--start-queue S] [--queues Q] [--ready FILE] [--stop FILE]
 *       [--seconds T] [--no-detach] [--crash]
 *
 * Start-up: wgjit_xdp_detach_stale(), rte_vdev_init(net_af_xdp, devargs
 * from wgjit_xdp_devargs()), configure, queue setup (the PMD attaches the
 * program there), start, wgjit_xdp_open(), wgjit_xdp_set_port(). Then it
 * writes "ready" to FILE and polls until FILE --stop exists or T seconds
 * pass. Each frame received is classified with wgjit_pkt_classify().
 * At the end it prints key=value lines: what arrived (rx_initiation,
 * rx_other, rx_q<i>), the program's counters (xdp_<name>), the attach
 * mode, and after rte_eth_dev_close() whether the program is gone
 * (detached_at_close). Exit 0 when all of that worked, 1 otherwise;
 * --crash leaves with _exit(3) after the counters, closing nothing.
 */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <net/if.h>

#include <bpf/libbpf.h>

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "wgjit_pkt.h"
#include "wgjit_xdp.h"

#define MAX_QUEUES 8
#define NB_DESC 1024
#define BURST 32

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct opts {
	const char *iface, *prog, *ready, *stop;
	unsigned int port, start_queue, nb_queues, seconds;
	bool no_detach;	/* skip wgjit_xdp_detach_stale() */
	bool crash;	/* _exit() after polling, as a crash would */
};

static int
parse(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "iface", required_argument, NULL, 'i' },
		{ "prog", required_argument, NULL, 'p' },
		{ "port", required_argument, NULL, 'P' },
		{ "start-queue", required_argument, NULL, 's' },
		{ "queues", required_argument, NULL, 'q' },
		{ "ready", required_argument, NULL, 'r' },
		{ "stop", required_argument, NULL, 'S' },
		{ "seconds", required_argument, NULL, 't' },
		{ "no-detach", no_argument, NULL, 'n' },
		{ "crash", no_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->nb_queues = 1;
	o->seconds = 30;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': o->iface = optarg; break;
		case 'p': o->prog = optarg; break;
		case 'P': o->port = (unsigned int)atoi(optarg); break;
		case 's': o->start_queue = (unsigned int)atoi(optarg); break;
		case 'q': o->nb_queues = (unsigned int)atoi(optarg); break;
		case 'r': o->ready = optarg; break;
		case 'S': o->stop = optarg; break;
		case 't': o->seconds = (unsigned int)atoi(optarg); break;
		case 'n': o->no_detach = true; break;
		case 'c': o->crash = true; break;
		default: return -EINVAL;
		}
	}
	if (o->iface == NULL || o->prog == NULL || o->port == 0 ||
			o->port > 65535 || o->nb_queues == 0 ||
			o->nb_queues > MAX_QUEUES)
		return -EINVAL;
	return 0;
}

static int
port_setup(const struct opts *o, uint16_t *port_id)
{
	char devargs[512], err[256], name[64];
	struct rte_eth_conf conf;
	struct rte_mempool *mp;
	uint16_t q;
	int ret;

	ret = wgjit_xdp_devargs(devargs, sizeof(devargs), o->iface, o->prog,
		o->start_queue, o->nb_queues, err, sizeof(err));
	if (ret != 0) {
		printf("error=%s\n", err);
		return ret;
	}
	snprintf(name, sizeof(name), "net_af_xdp_%d", (int)getpid());
	ret = rte_vdev_init(name, devargs);
	if (ret != 0) {
		printf("error=rte_vdev_init(%s, %s): %s\n", name, devargs,
			rte_strerror(-ret));
		return ret;
	}
	ret = rte_eth_dev_get_port_by_name(name, port_id);
	if (ret != 0)
		return ret;
	mp = rte_pktmbuf_pool_create("steer_pool", 4096, 0, 0,
		RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (mp == NULL) {
		printf("error=rte_pktmbuf_pool_create: %s\n",
			rte_strerror(rte_errno));
		return -rte_errno;
	}
	memset(&conf, 0, sizeof(conf));
	ret = rte_eth_dev_configure(*port_id, (uint16_t)o->nb_queues,
		(uint16_t)o->nb_queues, &conf);
	if (ret != 0) {
		printf("error=rte_eth_dev_configure: %s\n", rte_strerror(-ret));
		return ret;
	}
	for (q = 0; q < o->nb_queues; q++) {
		/* The PMD attaches the program in the first RX setup. */
		ret = rte_eth_rx_queue_setup(*port_id, q, NB_DESC,
			rte_socket_id(), NULL, mp);
		if (ret != 0) {
			printf("error=rte_eth_rx_queue_setup(%u): %s\n", q,
				rte_strerror(-ret));
			return ret;
		}
		ret = rte_eth_tx_queue_setup(*port_id, q, NB_DESC,
			rte_socket_id(), NULL);
		if (ret != 0) {
			printf("error=rte_eth_tx_queue_setup(%u): %s\n", q,
				rte_strerror(-ret));
			return ret;
		}
	}
	ret = rte_eth_dev_start(*port_id);
	if (ret != 0)
		printf("error=rte_eth_dev_start: %s\n", rte_strerror(-ret));
	return ret;
}

static void
poll_port(const struct opts *o, uint16_t port_id, uint64_t *rx_q,
		uint64_t *rx_init, uint64_t *rx_other)
{
	const uint64_t deadline = rte_get_timer_cycles() +
		(uint64_t)o->seconds * rte_get_timer_hz();
	struct rte_mbuf *pkts[BURST];
	uint64_t next_check = 0;
	uint16_t q, i, n;

	while (!stop && rte_get_timer_cycles() < deadline) {
		for (q = 0; q < o->nb_queues; q++) {
			n = rte_eth_rx_burst(port_id, q, pkts, BURST);
			for (i = 0; i < n; i++) {
				struct wgjit_pkt_info info;
				const uint8_t *f = rte_pktmbuf_mtod(pkts[i],
					const uint8_t *);

				if (wgjit_pkt_classify(f,
						rte_pktmbuf_data_len(pkts[i]),
						(uint16_t)o->port, &info) ==
						WGJIT_PKT_WG_INITIATION)
					(*rx_init)++;
				else
					(*rx_other)++;
				rx_q[q]++;
				rte_pktmbuf_free(pkts[i]);
			}
		}
		if (o->stop != NULL && rte_get_timer_cycles() > next_check) {
			if (access(o->stop, F_OK) == 0)
				break;
			next_check = rte_get_timer_cycles() +
				rte_get_timer_hz() / 50;
		}
	}
}

int
main(int argc, char **argv)
{
	static const char *const mode_names[] = { "none", "drv", "skb", "hw" };
	uint64_t rx_q[MAX_QUEUES] = { 0 }, rx_init = 0, rx_other = 0;
	struct wgjit_xdp_stats st;
	struct wgjit_xdp_info info;
	struct wgjit_xdp *x = NULL;
	struct opts o;
	char err[256];
	uint16_t port_id = RTE_MAX_ETHPORTS, got_port = 0;
	uint32_t prog_id = 1;
	bool detached, ok = false;
	unsigned int ifindex;
	int ret, k;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		printf("error=rte_eal_init: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= ret;
	argv += ret;
	if (parse(argc, argv, &o) != 0) {
		fprintf(stderr, "usage: xdp_steer_port [EAL] -- --iface IF "
			"--prog OBJ --port N [--start-queue S] [--queues Q] "
			"[--ready F] [--stop F] [--seconds T]\n");
		rte_eal_cleanup();
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	/* 1. A program that a crashed wgjit left would make the attach fail. */
	if (!o.no_detach) {
		ret = wgjit_xdp_detach_stale(o.iface, &detached, err,
			sizeof(err));
		if (ret != 0) {
			printf("error=%s\n", err);
			goto out;
		}
		printf("stale_detached=%d\n", detached);
	}
	/* 2. The port; 3. the listen port. */
	if (port_setup(&o, &port_id) != 0)
		goto out;
	ret = wgjit_xdp_open(o.iface, &x, err, sizeof(err));
	if (ret != 0) {
		printf("error=%s\n", err);
		goto out;
	}
	wgjit_xdp_info(x, &info);
	prog_id = info.prog_id;
	printf("prog_name=%s\nprog_id=%u\nmode=%s\nxsk_slots=%u\n",
		info.prog_name, info.prog_id, mode_names[info.mode],
		info.xsk_slots);
	ret = wgjit_xdp_set_port(x, (uint16_t)o.port, err, sizeof(err));
	if (ret == 0)
		ret = wgjit_xdp_get_port(x, &got_port, err, sizeof(err));
	if (ret != 0 || got_port != o.port) {
		printf("error=%s (port %u)\n", err, got_port);
		goto out;
	}
	if (o.ready != NULL) {
		FILE *fp = fopen(o.ready, "w");

		if (fp == NULL || fputs("ready\n", fp) < 0 || fclose(fp) != 0) {
			printf("error=%s: %s\n", o.ready, strerror(errno));
			goto out;
		}
	}
	fflush(stdout);

	poll_port(&o, port_id, rx_q, &rx_init, &rx_other);

	ret = wgjit_xdp_read_stats(x, &st, err, sizeof(err));
	if (ret != 0) {
		printf("error=%s\n", err);
		goto out;
	}
	printf("rx_initiation=%llu\nrx_other=%llu\n",
		(unsigned long long)rx_init, (unsigned long long)rx_other);
	for (unsigned int q = 0; q < o.nb_queues; q++)
		printf("rx_q%u=%llu\n", o.start_queue + q,
			(unsigned long long)rx_q[q]);
	for (k = 0; k < WGJIT_XDP_STAT_MAX; k++)
		printf("xdp_%s=%llu\n", wgjit_xdp_stat_name(k),
			(unsigned long long)st.by_stat[k]);
	printf("xdp_passed=%llu\n", (unsigned long long)st.passed);
	if (o.crash) {
		fflush(stdout);
		_exit(3);
	}
	ok = true;
out:
	/* Teardown: our handle first, then the port (the PMD detaches). */
	wgjit_xdp_close(x);
	if (port_id != RTE_MAX_ETHPORTS) {
		rte_eth_dev_stop(port_id);
		rte_eth_dev_close(port_id);
		ifindex = if_nametoindex(o.iface);
		if (ifindex != 0 && bpf_xdp_query_id((int)ifindex, 0,
				&prog_id) == 0)
			printf("detached_at_close=%d\n", prog_id == 0);
	}
	rte_eal_cleanup();
	fflush(stdout);
	return ok ? 0 : 1;
}
