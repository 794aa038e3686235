/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * The control path without DPDK, for tests: capture initiations on an
 * interface with libpcap, identify them with the worker's code, and hand
 * them to a real wgjit_ctl (SQLite cache, libcurl fetch, UAPI or Netlink
 * install). Writes the control counters as JSON on exit (SIGTERM or
 * --seconds).
 *
 * usage: ctl_live --ifname WG --capture IF --url URL --db FILE
 *        [--backend uapi|kernel] [--bringup initiate|reinject|none]
 *        [--idle-ms N] [--grace-ms N] [--seconds N] [--stats FILE]
 *        [--stop-file FILE]   (exit once FILE exists)
 */

#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>
#include <sodium.h>

#include "wgjit_ctl.h"
#include "wgjit_noise.h"
#include "wgjit_pkt.h"

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t
clock_ms(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static unsigned int nb_listed;

static void
write_stats(const char *path, const struct wgjit_ctl_stats *s)
{
	char tmp[512];
	FILE *f = stdout;

	/* Readers poll the file: write a new one and rename it into place. */
	if (path != NULL) {
		snprintf(tmp, sizeof(tmp), "%s.tmp", path);
		f = fopen(tmp, "w");
		if (f == NULL)
			return;
	}
	fprintf(f, "{");
	for (unsigned int i = 0; i < WGJIT_CTL_NB_STATS; i++)
		fprintf(f, "\"%s\": %" PRIu64 ", ", wgjit_ctl_stats_names[i],
			((const uint64_t *)s)[i]);
	fprintf(f, "\"peers_listed\": %u}\n", nb_listed);
	if (f != stdout) {
		fclose(f);
		rename(tmp, path);
	}
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ifname", required_argument, NULL, 'i' },
		{ "capture", required_argument, NULL, 'c' },
		{ "url", required_argument, NULL, 'u' },
		{ "db", required_argument, NULL, 'd' },
		{ "backend", required_argument, NULL, 'b' },
		{ "bringup", required_argument, NULL, 'm' },
		{ "idle-ms", required_argument, NULL, 'I' },
		{ "grace-ms", required_argument, NULL, 'G' },
		{ "seconds", required_argument, NULL, 's' },
		{ "stats", required_argument, NULL, 'S' },
		{ "stop-file", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	struct wgjit_ctl_params p;
	struct wgjit_noise_responder resp;
	struct wgjit_replay_table *table;
	struct wgjit_replay_store replay;
	struct wgjit_noise_ctx *nctx;
	struct wgjit_ctl_stats st;
	struct wgjit_ctl *ctl;
	const char *capture = NULL, *stats_path = NULL, *stop_file = NULL;
	char err[256], errbuf[PCAP_ERRBUF_SIZE];
	uint8_t priv[WGJIT_KEY_LEN];
	uint16_t port;
	uint64_t end_ms = 0;
	pcap_t *pc;
	int c;

	memset(&p, 0, sizeof(p));
	p.backend = WGJIT_WG_UAPI;
	p.bringup = WGJIT_CTL_BRINGUP_INITIATE;
	p.idle_timeout_ms = 180000;
	p.grace_ms = 30000;
	p.evict_interval_ms = 500;
	p.fetch.timeout_ms = 2000;
	/* The control plane is the test's own, on its own network (the
	 * qemu guest reaches it through the host): plain HTTP is fine. */
	p.fetch.allow_http = true;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': p.ifname = optarg; break;
		case 'c': capture = optarg; break;
		case 'u': p.fetch.base_url = optarg; break;
		case 'd': p.cache_path = optarg; break;
		case 'b':
			p.backend = strcmp(optarg, "kernel") == 0 ?
				WGJIT_WG_KERNEL : WGJIT_WG_UAPI;
			break;
		case 'm':
			p.bringup = strcmp(optarg, "none") == 0 ?
				WGJIT_CTL_BRINGUP_NONE :
				strcmp(optarg, "reinject") == 0 ?
				WGJIT_CTL_BRINGUP_REINJECT :
				WGJIT_CTL_BRINGUP_INITIATE;
			break;
		case 'I': p.idle_timeout_ms = strtoull(optarg, NULL, 10); break;
		case 'G': p.grace_ms = strtoull(optarg, NULL, 10); break;
		case 's': end_ms = strtoull(optarg, NULL, 10) * 1000; break;
		case 'S': stats_path = optarg; break;
		case 'T': stop_file = optarg; break;
		default: return 2;
		}
	}
	if (p.ifname == NULL || capture == NULL || p.fetch.base_url == NULL ||
			p.cache_path == NULL || sodium_init() < 0) {
		fprintf(stderr, "ctl_live: missing arguments\n");
		return 2;
	}
	ctl = wgjit_ctl_create(&p, err, sizeof(err));
	if (ctl == NULL) {
		fprintf(stderr, "ctl_live: %s\n", err);
		return 1;
	}
	wgjit_ctl_device_identity(ctl, priv, &port);
	if (wgjit_noise_responder_init(&resp, priv) != 0)
		return 1;
	sodium_memzero(priv, sizeof(priv));
	nctx = wgjit_noise_ctx_create(&resp, 256);
	table = wgjit_replay_table_create(1024);
	wgjit_replay_table_store(table, &replay);
	pc = pcap_create(capture, errbuf);
	if (pc == NULL || pcap_set_immediate_mode(pc, 1) != 0 ||
			pcap_set_timeout(pc, 1) != 0 || pcap_activate(pc) < 0 ||
			pcap_setnonblock(pc, 1, errbuf) != 0) {
		fprintf(stderr, "ctl_live: capture on %s: %s\n", capture,
			pc != NULL ? pcap_geterr(pc) : errbuf);
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if (end_ms != 0)
		end_ms += clock_ms(CLOCK_MONOTONIC);
	printf("ready port %u\n", port);
	fflush(stdout);
	while (!stop && (end_ms == 0 || clock_ms(CLOCK_MONOTONIC) < end_ms)) {
		struct pcap_pkthdr *h;
		const uint8_t *frame;
		int r;

		while ((r = pcap_next_ex(pc, &h, &frame)) == 1) {
			struct wgjit_ctl_initiation in;
			struct wgjit_noise_result res;
			struct wgjit_pkt_info info;

			if (wgjit_pkt_classify(frame, h->caplen, port, &info) !=
					WGJIT_PKT_WG_INITIATION)
				continue;
			if (wgjit_noise_accept(nctx, &replay,
					frame + info.payload_offset,
					info.payload_len, &res) != WGJIT_NOISE_OK)
				continue;
			memset(&in, 0, sizeof(in));
			memcpy(in.public_key, res.public_key, WGJIT_KEY_LEN);
			memcpy(in.tai64n, res.tai64n, sizeof(in.tai64n));
			in.src = info.src;
			in.dst = info.dst;
			in.rx_ns = mono_ns();
			wgjit_ctl_submit(ctl, &in);
		}
		wgjit_ctl_poll(ctl);
		if (stats_path != NULL) {
			struct wgjit_ctl_peer_info info[8];

			nb_listed = wgjit_ctl_peers(ctl, 0, info, 8);
			wgjit_ctl_stats(ctl, &st);
			write_stats(stats_path, &st);
		}
		if (stop_file != NULL && access(stop_file, F_OK) == 0)
			break;
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	wgjit_ctl_stats(ctl, &st);
	write_stats(stats_path, &st);
	pcap_close(pc);
	wgjit_replay_table_free(table);
	wgjit_noise_ctx_free(nctx);
	wgjit_noise_responder_clear(&resp);
	wgjit_ctl_free(ctl);
	return 0;
}
