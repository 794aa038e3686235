/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * The steer XDP program under BPF_PROG_TEST_RUN: crafted frames, the
 * verdict read from the per-CPU counters (xsks_map is empty here, so an
 * initiation shows as "no_xsk" and the redirect falls back to XDP_PASS),
 * and a differential run against wgjit_pkt_classify(), the worker's own
 * classifier, on mutated frames.
 *
 * usage: test_xdp_steer PATH/TO/wgjit_steer.bpf.o tests/data
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/bpf.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "wgjit_pkt.h"
#include "wgjit_test.h"
#include "wgjit_xdp.h"

#define PORT 51820
#define WG_INIT_LEN 148
#define XDP_META_MAX 32

static const char *obj_path, *data_dir;
static bool loaded, skip_all;
static struct bpf_object *obj;
static int prog_fd = -1, cfg_fd = -1, stats_fd = -1;
static int nb_cpus;

/* What to build; build() fills in a valid IPv4 initiation by default. */
struct spec {
	int ip;			/* 4 or 6 */
	int nb_tags;		/* VLAN tags, 0..2 */
	uint16_t tpid[2];
	uint8_t ihl;		/* IPv4 header words */
	uint16_t frag;		/* IPv4 flags + fragment offset */
	uint8_t proto;		/* IPv4 protocol / IPv6 next header */
	bool hop_by_hop;	/* IPv6: an 8-byte extension header first */
	uint16_t dport;
	size_t payload_len;
	uint8_t type;
	int udp_len_delta;	/* UDP length = 8 + payload_len + delta */
	int ip_len_delta;	/* IPv4 total / IPv6 payload length delta */
	size_t trailer;		/* bytes after the IP datagram */
};

static struct spec
initiation(int ip)
{
	struct spec s = {
		.ip = ip, .ihl = 5, .proto = 17, .dport = PORT,
		.payload_len = WG_INIT_LEN, .type = 1,
	};
	return s;
}

static void
wr16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Build the frame into @p f (2048 bytes); @return its length. */
static size_t
build(const struct spec *s, uint8_t *f)
{
	size_t off = 12, l3, l4, hdr_len, ip_payload, i;
	uint8_t *udp;

	memset(f, 0, 2048);
	memcpy(f, "\x02\0\0\0\0\x01\x02\0\0\0\0\x02", 12);
	for (int t = 0; t < s->nb_tags; t++) {
		wr16(f + off, s->tpid[t]);
		wr16(f + off + 2, 100 + t);
		off += 4;
	}
	wr16(f + off, s->ip == 4 ? 0x0800 : 0x86dd);
	l3 = off + 2;
	ip_payload = 8 + s->payload_len;
	if (s->ip == 4) {
		hdr_len = (size_t)s->ihl * 4;
		f[l3] = (uint8_t)(0x40 | s->ihl);
		wr16(f + l3 + 2, (unsigned int)((int)(hdr_len + ip_payload) +
			s->ip_len_delta));
		wr16(f + l3 + 6, s->frag);
		f[l3 + 8] = 64;
		f[l3 + 9] = s->proto;
		memcpy(f + l3 + 12, "\x0a\0\0\x02\x0a\0\0\x01", 8);
		for (i = 20; i < hdr_len; i++)
			f[l3 + i] = 1;	/* NOP options */
	} else {
		hdr_len = 40;
		f[l3] = 0x60;
		if (s->hop_by_hop) {
			ip_payload += 8;
			f[l3 + 6] = 0;	/* hop-by-hop */
			f[l3 + 40] = s->proto;
			hdr_len = 48;
		} else {
			f[l3 + 6] = s->proto;
		}
		wr16(f + l3 + 4, (unsigned int)((int)ip_payload +
			s->ip_len_delta));
		f[l3 + 7] = 64;
		f[l3 + 8] = 0xfd;
		f[l3 + 23] = 2;
		f[l3 + 24] = 0xfd;
		f[l3 + 39] = 1;
	}
	l4 = l3 + hdr_len;
	udp = f + l4;
	wr16(udp, 40000);
	wr16(udp + 2, s->dport);
	wr16(udp + 4, (unsigned int)((int)(8 + s->payload_len) +
		s->udp_len_delta));
	if (s->payload_len > 0)
		udp[8] = s->type;
	for (i = 4; i < s->payload_len; i++)
		udp[8 + i] = (uint8_t)(i * 7);
	return l4 + 8 + s->payload_len + s->trailer;
}

static int
stats_read(uint64_t out[WGJIT_XDP_STAT_MAX])
{
	uint64_t vals[1024];

	if (nb_cpus > 1024)
		return -E2BIG;
	for (uint32_t k = 0; k < WGJIT_XDP_STAT_MAX; k++) {
		int ret = bpf_map_lookup_elem(stats_fd, &k, vals);

		if (ret < 0)
			return ret;
		out[k] = 0;
		for (int c = 0; c < nb_cpus; c++)
			out[k] += vals[c];
	}
	return 0;
}

static int
set_cfg(uint32_t enabled, uint16_t port)
{
	struct wgjit_xdp_cfg cfg = { .enabled = enabled, .listen_port = port };
	uint32_t key = 0;

	return bpf_map_update_elem(cfg_fd, &key, &cfg, BPF_ANY);
}

/* run() of a frame below 14 bytes that the kernel refused to run. */
#define RUN_REFUSED_SHORT (-2000)

/*
 * Run the program once on @p frame. Test runs want 14 bytes of input; a
 * shorter frame is put after XDP metadata so the input is long enough,
 * but kernels since 6.x also want 14 bytes between data and data_end
 * (-EINVAL, reported as RUN_REFUSED_SHORT); real drivers drop such runts
 * before XDP too. @return the one counter it bumped, a negative errno, or
 * -1000 when not exactly one counter moved or the action was not XDP_PASS.
 */
static int
run(const uint8_t *frame, size_t len)
{
	uint8_t buf[XDP_META_MAX + 2048];
	uint64_t before[WGJIT_XDP_STAT_MAX], after[WGJIT_XDP_STAT_MAX];
	struct xdp_md ctx;
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	uint32_t meta = 0;
	int ret, hit = -1;

	if (!loaded)
		return -EBADF;

	if (len < 14)
		meta = (uint32_t)((14 - len + 3) & ~3u);
	memset(buf, 0, meta);
	memcpy(buf + meta, frame, len);
	memset(&ctx, 0, sizeof(ctx));
	ctx.data = meta;
	ctx.data_end = meta + (uint32_t)len;
	opts.data_in = buf;
	opts.data_size_in = meta + (uint32_t)len;
	opts.ctx_in = &ctx;
	opts.ctx_size_in = sizeof(ctx);
	opts.repeat = 1;
	ret = stats_read(before);
	if (ret < 0)
		return ret;
	ret = bpf_prog_test_run_opts(prog_fd, &opts);
	if (ret == -EINVAL && len < 14)
		return RUN_REFUSED_SHORT;
	if (ret < 0)
		return ret;
	ret = stats_read(after);
	if (ret < 0)
		return ret;
	for (int k = 0; k < WGJIT_XDP_STAT_MAX; k++) {
		if (after[k] == before[k])
			continue;
		if (hit >= 0 || after[k] != before[k] + 1)
			return -1000;
		hit = k;
	}
	if (opts.retval != XDP_PASS) {
		printf("  action %u, want XDP_PASS (%u)\n", opts.retval,
			XDP_PASS);
		return -1000;
	}
	return hit < 0 ? -1000 : hit;
}

static const char *
stat_name(int k)
{
	static const char *const names[] = {
		"steered", "no_xsk", "pass_disabled", "pass_not_ip",
		"pass_truncated", "pass_not_udp", "pass_other_port",
		"pass_not_initiation",
	};
	_Static_assert(sizeof(names) / sizeof(names[0]) ==
		WGJIT_XDP_STAT_MAX, "one name per counter");
	return k >= 0 && k < WGJIT_XDP_STAT_MAX ? names[k] : "(error)";
}

/* Cases after test_load need the loaded program. */
#define NEED_PROG() do { \
	if (skip_all) \
		return TEST_SKIPPED; \
	TEST_ASSERT(loaded, "program not loaded"); \
} while (0)

#define EXPECT(s, want) do { \
	uint8_t f_[2048]; \
	size_t n_ = build(&(s), f_); \
	int got_ = run(f_, n_); \
	TEST_ASSERT(got_ == (want), "%s: got %s (%d), want %s", #s, \
		stat_name(got_), got_, stat_name(want)); \
} while (0)

#define EXPECT_RAW(f, n, want, what) do { \
	int got_ = run((f), (n)); \
	TEST_ASSERT(got_ == (want), "%s: got %s (%d), want %s", (what), \
		stat_name(got_), got_, stat_name(want)); \
} while (0)

static int
test_load(void)
{
	struct bpf_program *prog;
	struct bpf_map *m;
	int n = 0;

	obj = bpf_object__open_file(obj_path, NULL);
	TEST_ASSERT(libbpf_get_error(obj) == 0, "open %s", obj_path);
	/* The PMD attaches the first program: there must be one only. */
	bpf_object__for_each_program(prog, obj)
		n++;
	TEST_ASSERT_EQUAL(n, 1, "programs in the object");
	prog = bpf_object__next_program(obj, NULL);
	TEST_ASSERT(strcmp(bpf_program__name(prog), WGJIT_XDP_PROG_NAME) == 0,
		"program name %s", bpf_program__name(prog));
	TEST_ASSERT_EQUAL(bpf_program__type(prog), BPF_PROG_TYPE_XDP,
		"program type");
	/* No .bss/.rodata: three maps, named as the PMD and wgjit_xdp want. */
	n = 0;
	bpf_object__for_each_map(m, obj)
		n++;
	TEST_ASSERT_EQUAL(n, 3, "maps in the object");
	TEST_ASSERT(bpf_object__find_map_by_name(obj, "xsks_map") != NULL,
		"xsks_map");
	TEST_ASSERT_EQUAL(bpf_map__type(bpf_object__find_map_by_name(obj,
		"xsks_map")), BPF_MAP_TYPE_XSKMAP, "xsks_map type");

	n = bpf_object__load(obj);
	if (n == -EPERM) {
		printf("  bpf_object__load: %s: not root?\n", strerror(-n));
		skip_all = true;
		return TEST_SKIPPED;
	}
	TEST_ASSERT_EQUAL(n, 0, "bpf_object__load (verifier)");
	prog_fd = bpf_program__fd(prog);
	cfg_fd = bpf_map__fd(bpf_object__find_map_by_name(obj,
		WGJIT_XDP_MAP_CFG));
	stats_fd = bpf_map__fd(bpf_object__find_map_by_name(obj,
		WGJIT_XDP_MAP_STATS));
	nb_cpus = libbpf_num_possible_cpus();
	TEST_ASSERT(prog_fd >= 0 && cfg_fd >= 0 && stats_fd >= 0, "fds");
	TEST_ASSERT(nb_cpus > 0, "possible CPUs");
	loaded = true;
	return TEST_SUCCESS;
}

/* As loaded (all-zero config) and with port 0 everything passes. */
static int
test_disabled(void)
{
	NEED_PROG();
	struct spec s = initiation(4);

	EXPECT(s, WGJIT_XDP_STAT_PASS_DISABLED);
	TEST_ASSERT_EQUAL(set_cfg(1, 0), 0, "set port 0");
	EXPECT(s, WGJIT_XDP_STAT_PASS_DISABLED);
	TEST_ASSERT_EQUAL(set_cfg(0, PORT), 0, "set disabled");
	EXPECT(s, WGJIT_XDP_STAT_PASS_DISABLED);
	s = initiation(6);
	EXPECT(s, WGJIT_XDP_STAT_PASS_DISABLED);
	TEST_ASSERT_EQUAL(set_cfg(1, PORT), 0, "set port");
	return TEST_SUCCESS;
}

static int
test_steered(void)
{
	NEED_PROG();
	struct spec s = initiation(4);

	EXPECT(s, WGJIT_XDP_STAT_NO_XSK);
	s.ihl = 15;			/* 40 bytes of options */
	EXPECT(s, WGJIT_XDP_STAT_NO_XSK);
	s = initiation(6);
	EXPECT(s, WGJIT_XDP_STAT_NO_XSK);
	s = initiation(4);
	s.nb_tags = 1;
	s.tpid[0] = 0x8100;
	EXPECT(s, WGJIT_XDP_STAT_NO_XSK);
	s.tpid[0] = 0x88a8;
	EXPECT(s, WGJIT_XDP_STAT_NO_XSK);
	s = initiation(6);
	s.nb_tags = 1;
	s.tpid[0] = 0x8100;
	EXPECT(s, WGJIT_XDP_STAT_NO_XSK);
	/* The kernel trims to the UDP length; so does wgjit_pkt_classify. */
	s = initiation(4);
	s.trailer = 6;			/* Ethernet padding */
	EXPECT(s, WGJIT_XDP_STAT_NO_XSK);
	s.trailer = 1;
	s.ip_len_delta = 1;		/* IP payload longer than UDP's */
	EXPECT(s, WGJIT_XDP_STAT_NO_XSK);
	s = initiation(6);
	s.trailer = 3;
	s.ip_len_delta = 3;
	EXPECT(s, WGJIT_XDP_STAT_NO_XSK);
	/* Another port configured: now that one. */
	TEST_ASSERT_EQUAL(set_cfg(1, 443), 0, "set port 443");
	s = initiation(4);
	EXPECT(s, WGJIT_XDP_STAT_PASS_OTHER_PORT);
	s.dport = 443;
	EXPECT(s, WGJIT_XDP_STAT_NO_XSK);
	TEST_ASSERT_EQUAL(set_cfg(1, PORT), 0, "set port");
	return TEST_SUCCESS;
}

/* Other WireGuard messages and near-initiations go to the kernel. */
static int
test_not_initiation(void)
{
	NEED_PROG();
	static const struct { uint8_t type; size_t len; } msgs[] = {
		{ 4, 32 }, { 4, 148 }, { 4, 1440 },	/* data */
		{ 2, 92 }, { 2, 148 },			/* response */
		{ 3, 64 },				/* cookie */
		{ 1, 147 }, { 1, 149 }, { 1, 0 }, { 1, 3 }, { 0, 148 },
		{ 5, 148 }, { 0x81, 148 },
	};

	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		for (int ip = 4; ip <= 6; ip += 2) {
			struct spec s = initiation(ip);

			s.type = msgs[i].type;
			s.payload_len = msgs[i].len;
			EXPECT(s, WGJIT_XDP_STAT_PASS_NOT_INITIATION);
		}
	}
	/* Type 1 with a non-zero reserved byte. */
	for (int b = 1; b < 4; b++) {
		uint8_t f[2048];
		struct spec s = initiation(4);
		size_t n = build(&s, f);

		f[14 + 20 + 8 + b] = 1;
		EXPECT_RAW(f, n, WGJIT_XDP_STAT_PASS_NOT_INITIATION,
			"reserved byte");
	}
	return TEST_SUCCESS;
}

/* The UDP length must be 156 and the frame must hold it. */
static int
test_udp_length_lies(void)
{
	NEED_PROG();
	for (int ip = 4; ip <= 6; ip += 2) {
		struct spec s = initiation(ip);

		/* Claims 148, carries 147: the frame is shorter. */
		s.payload_len = 147;
		s.udp_len_delta = 1;
		s.ip_len_delta = 1;
		EXPECT(s, WGJIT_XDP_STAT_PASS_TRUNCATED);
		/* ... with the IP length telling the truth. */
		s.ip_len_delta = 0;
		EXPECT(s, WGJIT_XDP_STAT_PASS_TRUNCATED);
		/* Claims 148 beyond the IP payload, frame long enough. */
		s.trailer = 1;
		EXPECT(s, WGJIT_XDP_STAT_PASS_TRUNCATED);
		/* Carries 149, claims 148: what the kernel would deliver
		 * is a 148-byte initiation, and wgjit takes it as one. */
		s = initiation(ip);
		s.payload_len = 149;
		s.udp_len_delta = -1;
		EXPECT(s, WGJIT_XDP_STAT_NO_XSK);
		/* Carries 148, claims 147 or 149. */
		s = initiation(ip);
		s.udp_len_delta = -1;
		EXPECT(s, WGJIT_XDP_STAT_PASS_NOT_INITIATION);
		s.udp_len_delta = 1;
		EXPECT(s, WGJIT_XDP_STAT_PASS_TRUNCATED);
		/* UDP length below the header. */
		s.udp_len_delta = -(int)(WG_INIT_LEN + 1);
		EXPECT(s, WGJIT_XDP_STAT_PASS_TRUNCATED);
		/* IP length claims more than the frame. */
		s = initiation(ip);
		s.ip_len_delta = 1;
		EXPECT(s, WGJIT_XDP_STAT_PASS_TRUNCATED);
	}
	return TEST_SUCCESS;
}

static int
test_not_udp(void)
{
	NEED_PROG();
	struct spec s;

	s = initiation(4);
	s.dport = PORT + 1;
	EXPECT(s, WGJIT_XDP_STAT_PASS_OTHER_PORT);
	s = initiation(6);
	s.dport = PORT - 1;
	EXPECT(s, WGJIT_XDP_STAT_PASS_OTHER_PORT);
	s = initiation(4);
	s.proto = 6;			/* TCP to the port */
	EXPECT(s, WGJIT_XDP_STAT_PASS_NOT_UDP);
	s = initiation(6);
	s.proto = 6;
	EXPECT(s, WGJIT_XDP_STAT_PASS_NOT_UDP);
	s = initiation(4);
	s.frag = 0x2000;		/* MF */
	EXPECT(s, WGJIT_XDP_STAT_PASS_NOT_UDP);
	s.frag = 0x0001;		/* offset 8 */
	EXPECT(s, WGJIT_XDP_STAT_PASS_NOT_UDP);
	s.frag = 0x1fff;
	EXPECT(s, WGJIT_XDP_STAT_PASS_NOT_UDP);
	s.frag = 0x4000;		/* DF only: not a fragment */
	EXPECT(s, WGJIT_XDP_STAT_NO_XSK);
	s = initiation(6);
	s.hop_by_hop = true;		/* extension header before UDP */
	EXPECT(s, WGJIT_XDP_STAT_PASS_NOT_UDP);
	s = initiation(6);
	s.proto = 44;			/* fragment header */
	EXPECT(s, WGJIT_XDP_STAT_PASS_NOT_UDP);
	return TEST_SUCCESS;
}

static int
test_not_ip(void)
{
	NEED_PROG();
	uint8_t f[2048];
	struct spec s;
	size_t n;

	s = initiation(4);		/* QinQ: two tags */
	s.nb_tags = 2;
	s.tpid[0] = 0x88a8;
	s.tpid[1] = 0x8100;
	EXPECT(s, WGJIT_XDP_STAT_PASS_NOT_IP);
	s.tpid[0] = 0x8100;
	EXPECT(s, WGJIT_XDP_STAT_PASS_NOT_IP);
	/* ARP */
	memset(f, 0, sizeof(f));
	wr16(f + 12, 0x0806);
	EXPECT_RAW(f, 42, WGJIT_XDP_STAT_PASS_NOT_IP, "arp");
	/* IPv4 ethertype, version 6 in the header, and the reverse. */
	s = initiation(4);
	n = build(&s, f);
	f[14] = 0x65;
	EXPECT_RAW(f, n, WGJIT_XDP_STAT_PASS_NOT_IP, "v4 ethertype, v6");
	s = initiation(6);
	n = build(&s, f);
	f[14] = 0x45;
	EXPECT_RAW(f, n, WGJIT_XDP_STAT_PASS_NOT_IP, "v6 ethertype, v4");
	/* Bad IHL. */
	s = initiation(4);
	n = build(&s, f);
	f[14] = 0x44;
	EXPECT_RAW(f, n, WGJIT_XDP_STAT_PASS_TRUNCATED, "ihl 4");
	return TEST_SUCCESS;
}

/* Every prefix of every kind of initiation frame passes as truncated. */
static int
test_truncated(void)
{
	NEED_PROG();
	static const struct { int ip, tags; uint16_t tpid; } kinds[] = {
		{ 4, 0, 0 }, { 6, 0, 0 }, { 4, 1, 0x8100 }, { 6, 1, 0x88a8 },
	};
	unsigned int nb_refused = 0;

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct spec s = initiation(kinds[k].ip);
		uint8_t f[2048];
		size_t n;

		s.nb_tags = kinds[k].tags;
		s.tpid[0] = kinds[k].tpid;
		n = build(&s, f);
		for (size_t len = 0; len < n; len++) {
			int got = run(f, len);

			if (got == RUN_REFUSED_SHORT) {
				nb_refused++;
				continue;
			}
			TEST_ASSERT(got == WGJIT_XDP_STAT_PASS_TRUNCATED,
				"IPv%d, %d tag(s), %zu of %zu bytes: got %s "
				"(%d)", kinds[k].ip, kinds[k].tags, len, n,
				stat_name(got), got);
		}
		EXPECT_RAW(f, n, WGJIT_XDP_STAT_NO_XSK, "whole frame");
	}
	if (nb_refused > 0)
		printf("  frames below 14 bytes: the kernel refuses to run "
			"them (%u)\n", nb_refused);
	return TEST_SUCCESS;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* Which counter wgjit_pkt_classify()'s verdict corresponds to. */
static bool
agrees(enum wgjit_pkt_class c, int stat)
{
	switch (c) {
	case WGJIT_PKT_WG_INITIATION:
		return stat == WGJIT_XDP_STAT_NO_XSK;
	case WGJIT_PKT_TRUNCATED:
		return stat == WGJIT_XDP_STAT_PASS_TRUNCATED;
	case WGJIT_PKT_WG_OTHER:
	case WGJIT_PKT_WG_MALFORMED:
		return stat == WGJIT_XDP_STAT_PASS_NOT_INITIATION;
	case WGJIT_PKT_OTHER:
		return stat == WGJIT_XDP_STAT_PASS_NOT_IP ||
			stat == WGJIT_XDP_STAT_PASS_NOT_UDP ||
			stat == WGJIT_XDP_STAT_PASS_OTHER_PORT;
	}
	return false;
}

/* Mutated frames: the program and wgjit_pkt_classify() must agree. */
static int
test_agrees_with_classify(void)
{
	NEED_PROG();
	unsigned int nb_init = 0, nb_trunc = 0, i;

	for (i = 0; i < 20000; i++) {
		static const uint16_t tpids[] = { 0x8100, 0x88a8, 0x0800 };
		struct spec s = initiation(rnd(2) ? 4 : 6);
		struct wgjit_pkt_info info;
		enum wgjit_pkt_class c;
		uint8_t f[2048];
		size_t n;
		int stat;

		s.nb_tags = (int)rnd(3) == 0 ? (int)rnd(3) : 0;
		s.tpid[0] = tpids[rnd(3)];
		s.tpid[1] = tpids[rnd(3)];
		if (rnd(4) == 0)
			s.ihl = (uint8_t)(5 + rnd(11));
		if (rnd(4) == 0)
			s.payload_len = 140 + rnd(16);
		if (rnd(4) == 0)
			s.udp_len_delta = (int)rnd(7) - 3;
		if (rnd(4) == 0)
			s.ip_len_delta = (int)rnd(7) - 3;
		if (rnd(4) == 0)
			s.trailer = rnd(8);
		if (rnd(8) == 0)
			s.frag = (uint16_t)(rnd(2) << 13 | rnd(2));
		if (rnd(8) == 0)
			s.hop_by_hop = true;
		if (rnd(8) == 0)
			s.type = (uint8_t)rnd(5);
		if (rnd(16) == 0)
			s.dport = (uint16_t)(PORT + 1);
		n = build(&s, f);
		if (rnd(4) == 0)
			f[rnd(70)] ^= (uint8_t)(1u << rnd(8));
		if (rnd(4) == 0)
			n -= rnd((uint32_t)n + 1);
		c = wgjit_pkt_classify(f, n, PORT, &info);
		stat = run(f, n);
		if (stat == RUN_REFUSED_SHORT)
			continue;
		TEST_ASSERT(agrees(c, stat), "frame %u (%zu bytes): classify "
			"%d, xdp %s", i, n, c, stat_name(stat));
		nb_init += c == WGJIT_PKT_WG_INITIATION;
		nb_trunc += c == WGJIT_PKT_TRUNCATED;
	}
	printf("  %u frames: %u initiations, %u truncated\n", i, nb_init,
		nb_trunc);
	TEST_ASSERT(nb_init > 1000 && nb_trunc > 1000, "coverage");
	return TEST_SUCCESS;
}

/*
 * A real wireguard-go capture (tests/data): every frame is an initiation.
 * A little-endian classic pcap read by hand: <pcap/pcap.h> and
 * <linux/bpf.h> both define struct bpf_insn.
 */
static int
test_capture(void)
{
	NEED_PROG();
	char path[4096];
	uint8_t hdr[24], rec[16], frame[2048];
	uint32_t caplen;
	FILE *fp;
	int n = 0, got;

	snprintf(path, sizeof(path), "%s/wireguard-go-initiations.pcap",
		data_dir);
	fp = fopen(path, "rb");
	TEST_ASSERT(fp != NULL, "%s: %s", path, strerror(errno));
	TEST_ASSERT(fread(hdr, sizeof(hdr), 1, fp) == 1 &&
		memcmp(hdr, "\xd4\xc3\xb2\xa1", 4) == 0 && hdr[20] == 1,
		"%s: not a little-endian Ethernet pcap", path);
	while (fread(rec, sizeof(rec), 1, fp) == 1) {
		caplen = (uint32_t)rec[8] | (uint32_t)rec[9] << 8 |
			(uint32_t)rec[10] << 16 | (uint32_t)rec[11] << 24;
		if (caplen > sizeof(frame) ||
				fread(frame, caplen, 1, fp) != 1) {
			fclose(fp);
			TEST_ASSERT(0, "record %d: bad length %u", n, caplen);
		}
		got = run(frame, caplen);
		if (got != WGJIT_XDP_STAT_NO_XSK) {
			fclose(fp);
			TEST_ASSERT(0, "frame %d: %s", n, stat_name(got));
		}
		n++;
	}
	fclose(fp);
	TEST_ASSERT_EQUAL(n, 5, "initiations in the capture");
	return TEST_SUCCESS;
}

/* Each run bumped exactly one counter; none was a real redirect. */
static int
test_counters_total(void)
{
	NEED_PROG();
	uint64_t st[WGJIT_XDP_STAT_MAX], total = 0;

	TEST_ASSERT_EQUAL(stats_read(st), 0, "read stats");
	for (int k = 0; k < WGJIT_XDP_STAT_MAX; k++)
		total += st[k];
	TEST_ASSERT_EQUAL(st[WGJIT_XDP_STAT_STEERED], 0,
		"nothing steered without a socket");
	TEST_ASSERT(total > 19000, "every run counted once (%llu)",
		(unsigned long long)total);
	return TEST_SUCCESS;
}

/* wgjit_xdp's pure helpers: devargs and counter names. */
static int
test_devargs(void)
{
	char buf[256], err[256];

	TEST_ASSERT_EQUAL(wgjit_xdp_devargs(buf, sizeof(buf), "eth0",
		"/usr/lib/wgjit/wgjit_steer.bpf.o", 0, 2, err, sizeof(err)), 0,
		"devargs: %s", err);
	TEST_ASSERT(strcmp(buf, "iface=eth0,start_queue=0,queue_count=2,"
		"xdp_prog=/usr/lib/wgjit/wgjit_steer.bpf.o") == 0, "%s", buf);
	/* kvargs would cut these paths short or read a list. */
	static const char *const bad_paths[] = {
		"/a,b.o", "/a=b.o", "/a[0].o", "", NULL,
	};
	for (size_t i = 0; i < sizeof(bad_paths) / sizeof(bad_paths[0]); i++)
		TEST_ASSERT_EQUAL(wgjit_xdp_devargs(buf, sizeof(buf), "eth0",
			bad_paths[i], 0, 1, err, sizeof(err)), -EINVAL,
			"path %zu", i);
	TEST_ASSERT_EQUAL(wgjit_xdp_devargs(buf, sizeof(buf), "eth,0",
		"/x.o", 0, 1, err, sizeof(err)), -EINVAL, "iface with a comma");
	TEST_ASSERT_EQUAL(wgjit_xdp_devargs(buf, sizeof(buf),
		"a-very-long-ifname", "/x.o", 0, 1, err, sizeof(err)), -EINVAL,
		"iface too long");
	TEST_ASSERT_EQUAL(wgjit_xdp_devargs(buf, sizeof(buf), "eth0", "/x.o",
		0, 0, err, sizeof(err)), -EINVAL, "no queues");
	TEST_ASSERT_EQUAL(wgjit_xdp_devargs(buf, sizeof(buf), "eth0", "/x.o",
		WGJIT_XDP_MAX_QUEUES - 1, 2, err, sizeof(err)), -EINVAL,
		"past xsks_map");
	printf("  %s\n", err);
	TEST_ASSERT_EQUAL(wgjit_xdp_devargs(buf, sizeof(buf), "eth0", "/x.o",
		WGJIT_XDP_MAX_QUEUES - 1, 1, err, sizeof(err)), 0, "last queue");
	TEST_ASSERT_EQUAL(wgjit_xdp_devargs(buf, 20, "eth0", "/x.o", 0, 1,
		err, sizeof(err)), -ENOSPC, "small buffer");
	TEST_ASSERT_EQUAL(wgjit_xdp_devargs(buf, sizeof(buf), "eth0", "/x.o",
		0, 1, NULL, 0), 0, "no error buffer");
	for (int k = 0; k < WGJIT_XDP_STAT_MAX; k++)
		TEST_ASSERT(wgjit_xdp_stat_name(k) != NULL &&
			strcmp(wgjit_xdp_stat_name(k), stat_name(k)) == 0,
			"name of counter %d", k);
	TEST_ASSERT(wgjit_xdp_stat_name(WGJIT_XDP_STAT_MAX) == NULL, "max");
	TEST_ASSERT(strstr(wgjit_xdp_prog_path(), "/wgjit/wgjit_steer.bpf.o")
		!= NULL, "install path %s", wgjit_xdp_prog_path());
	return TEST_SUCCESS;
}

static const struct wgjit_test_case cases[] = {
	TEST_CASE(test_load),
	TEST_CASE(test_disabled),
	TEST_CASE(test_steered),
	TEST_CASE(test_not_initiation),
	TEST_CASE(test_udp_length_lies),
	TEST_CASE(test_not_udp),
	TEST_CASE(test_not_ip),
	TEST_CASE(test_truncated),
	TEST_CASE(test_agrees_with_classify),
	TEST_CASE(test_capture),
	TEST_CASE(test_counters_total),
	TEST_CASE(test_devargs),
	TEST_CASES_END(),
};

int
main(int argc, char **argv)
{
	int ret;

	if (argc != 3) {
		fprintf(stderr, "usage: %s wgjit_steer.bpf.o DATA_DIR\n",
			argv[0]);
		return 2;
	}
	obj_path = argv[1];
	data_dir = argv[2];
	ret = wgjit_test_run("xdp_steer", cases);
	if (obj != NULL)
		bpf_object__close(obj);
	return ret;
}
