/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * Dump, ack and family replies: canned multi-part replies, laid out the
 * way the kernel sends them, fed to the parsers; then broken copies.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/wireguard.h>

#include <libmnl/libmnl.h>

#include "wgjit_nl.h"
#include "wgjit_test.h"

#define FAMILY 0x1d
#define SEQ 4242
#define PORTID 777

struct canned {
	uint8_t buf[65536] __attribute__((aligned(8)));
	size_t len;
};

static struct nlmsghdr *
msg_begin(struct canned *c, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(c->buf + c->len);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = SEQ;
	nlh->nlmsg_pid = PORTID;
	if (type >= NLMSG_MIN_TYPE) {
		genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
		genl->cmd = WG_CMD_GET_DEVICE;
		genl->version = WG_GENL_VERSION;
	}
	return nlh;
}

static void
msg_end(struct canned *c, struct nlmsghdr *nlh)
{
	c->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

static void
put_ctl(struct canned *c, uint16_t type, int err)
{
	struct nlmsghdr *nlh = msg_begin(c, type, NLM_F_MULTI);

	if (type == NLMSG_ERROR) {
		struct nlmsgerr *e = mnl_nlmsg_put_extra_header(nlh,
				sizeof(*e));
		e->error = err;
	} else {
		int *v = mnl_nlmsg_put_extra_header(nlh, sizeof(int));
		*v = err;
	}
	msg_end(c, nlh);
}

static void
put_aip(struct nlmsghdr *nlh, const char *text)
{
	struct wgjit_allowed_ip aip;
	struct nlattr *n = mnl_attr_nest_start(nlh, 0);

	wgjit_allowed_ip_parse(&aip, text);
	mnl_attr_put_u16(nlh, WGALLOWEDIP_A_FAMILY, aip.family);
	mnl_attr_put(nlh, WGALLOWEDIP_A_IPADDR, aip.family == AF_INET ? 4 : 16,
			&aip.ip6);
	mnl_attr_put_u8(nlh, WGALLOWEDIP_A_CIDR_MASK, aip.cidr);
	mnl_attr_nest_end(nlh, n);
}

static void
key(uint8_t k[WGJIT_KEY_LEN], uint8_t seed)
{
	for (int i = 0; i < WGJIT_KEY_LEN; i++)
		k[i] = (uint8_t)(seed ^ (i * 13));
}

/* A peer as the kernel dumps it; @full = false: a continuation. */
static void
put_peer(struct nlmsghdr *nlh, uint8_t seed, bool full, const char *ep,
		bool psk, unsigned int ip_from, unsigned int ip_to)
{
	struct nlattr *pn = mnl_attr_nest_start(nlh, 0), *an;
	uint8_t k[WGJIT_KEY_LEN] = { 0 };
	int64_t ts[2] = { 1700000000 + seed, 5 };
	union wgjit_endpoint e;
	char text[48];

	key(k, seed);
	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, WGJIT_KEY_LEN, k);
	if (full) {
		memset(k, 0, sizeof(k));
		if (psk)
			key(k, seed + 100);
		mnl_attr_put(nlh, WGPEER_A_PRESHARED_KEY, WGJIT_KEY_LEN, k);
		mnl_attr_put(nlh, WGPEER_A_LAST_HANDSHAKE_TIME, sizeof(ts), ts);
		mnl_attr_put_u16(nlh, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL,
				psk ? 25 : 0);
		mnl_attr_put_u64(nlh, WGPEER_A_TX_BYTES, 1000u + seed);
		mnl_attr_put_u64(nlh, WGPEER_A_RX_BYTES, 2000u + seed);
		mnl_attr_put_u32(nlh, WGPEER_A_PROTOCOL_VERSION, 1);
		mnl_attr_put_u32(nlh, 200, 0xdead);	/* unknown: ignored */
		if (ep != NULL) {
			wgjit_endpoint_parse(&e, ep);
			mnl_attr_put(nlh, WGPEER_A_ENDPOINT,
					e.sa.sa_family == AF_INET ?
					sizeof(e.in4) : sizeof(e.in6), &e);
		}
	}
	an = mnl_attr_nest_start(nlh, WGPEER_A_ALLOWEDIPS);
	for (unsigned int i = ip_from; i < ip_to; i++) {
		snprintf(text, sizeof(text), "10.%u.%u.%u/32", seed, i / 256,
			i % 256);
		put_aip(nlh, text);
	}
	mnl_attr_nest_end(nlh, an);
	mnl_attr_nest_end(nlh, pn);
}

static void
put_device_head(struct nlmsghdr *nlh)
{
	uint8_t k[WGJIT_KEY_LEN];

	mnl_attr_put_u32(nlh, WGDEVICE_A_IFINDEX, 7);
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, "wg0");
	key(k, 0xa0);
	mnl_attr_put(nlh, WGDEVICE_A_PRIVATE_KEY, WGJIT_KEY_LEN, k);
	key(k, 0xb0);
	mnl_attr_put(nlh, WGDEVICE_A_PUBLIC_KEY, WGJIT_KEY_LEN, k);
	mnl_attr_put_u16(nlh, WGDEVICE_A_LISTEN_PORT, 51820);
	mnl_attr_put_u32(nlh, WGDEVICE_A_FWMARK, 0x42);
	mnl_attr_put_u32(nlh, 99, 1);		/* unknown: ignored */
}

/*
 * Two messages: [device, peer 1, peer 2 IPs 0..4] and [peer 2 IPs 5..9,
 * peer 3 with a v6 endpoint]; @nb_ips2 sets peer 2's total.
 */
static void
build_dump(struct canned *c, unsigned int nb_ips2)
{
	struct nlmsghdr *nlh;
	struct nlattr *peers;

	c->len = 0;
	nlh = msg_begin(c, FAMILY, NLM_F_MULTI);
	put_device_head(nlh);
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	put_peer(nlh, 1, true, "192.0.2.1:51820", true, 0, 2);
	put_peer(nlh, 2, true, NULL, false, 0, 5);
	mnl_attr_nest_end(nlh, peers);
	msg_end(c, nlh);
	nlh = msg_begin(c, FAMILY, NLM_F_MULTI);
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, "wg0");
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	put_peer(nlh, 2, false, NULL, false, 5, nb_ips2);
	put_peer(nlh, 3, true, "[2001:db8::7]:4242", false, 0, 1);
	mnl_attr_nest_end(nlh, peers);
	msg_end(c, nlh);
}

static int
check_dump(const struct wgjit_wg_device *dev, unsigned int nb_ips2)
{
	uint8_t k[WGJIT_KEY_LEN];
	char text[WGJIT_ENDPOINT_STR_SIZE];
	struct wgjit_allowed_ip want;

	key(k, 0xa0);
	TEST_ASSERT_MEM_EQUAL(dev->private_key, k, WGJIT_KEY_LEN, "priv");
	key(k, 0xb0);
	TEST_ASSERT_MEM_EQUAL(dev->public_key, k, WGJIT_KEY_LEN, "pub");
	TEST_ASSERT_EQUAL(dev->flags, WGJIT_WG_DEVICE_HAS_PRIVATE_KEY |
			WGJIT_WG_DEVICE_HAS_PUBLIC_KEY, "dev flags");
	TEST_ASSERT_EQUAL(dev->listen_port, 51820, "port");
	TEST_ASSERT_EQUAL(dev->fwmark, 0x42u, "fwmark");
	TEST_ASSERT_EQUAL(dev->nb_peers, 3u, "peers");
	for (unsigned int i = 0; i < 3; i++) {
		const struct wgjit_wg_peer *p = &dev->peers[i];
		const struct wgjit_allowed_ip *ips = wgjit_wg_peer_aips(dev, p);

		key(k, i + 1);
		TEST_ASSERT_MEM_EQUAL(p->public_key, k, WGJIT_KEY_LEN, "key %u",
				i);
		TEST_ASSERT_EQUAL(p->last_handshake_sec, 1700000001 + i, "hs");
		TEST_ASSERT_EQUAL(p->tx_bytes, 1001u + i, "tx %u", i);
		TEST_ASSERT_EQUAL(p->rx_bytes, 2001u + i, "rx %u", i);
		TEST_ASSERT_EQUAL(p->nb_allowed_ips, i == 0 ? 2u : i == 1 ?
				nb_ips2 : 1u, "IPs of %u", i);
		for (unsigned int j = 0; j < p->nb_allowed_ips; j++) {
			snprintf(text, sizeof(text), "10.%u.%u.%u/32", i + 1,
				j / 256, j % 256);
			wgjit_allowed_ip_parse(&want, text);
			TEST_ASSERT(ips[j].family == AF_INET &&
					ips[j].cidr == 32 &&
					ips[j].ip4.s_addr == want.ip4.s_addr,
					"peer %u IP %u", i, j);
		}
	}
	TEST_ASSERT_EQUAL(dev->peers[0].flags, WGJIT_PEER_HAS_PRESHARED_KEY |
			WGJIT_PEER_HAS_KEEPALIVE | WGJIT_PEER_HAS_ENDPOINT,
			"flags 0");
	key(k, 101);
	TEST_ASSERT_MEM_EQUAL(dev->peers[0].preshared_key, k, WGJIT_KEY_LEN,
			"psk");
	TEST_ASSERT_EQUAL(dev->peers[0].persistent_keepalive, 25, "ka");
	wgjit_endpoint_format(text, &dev->peers[0].endpoint);
	TEST_ASSERT(strcmp(text, "192.0.2.1:51820") == 0, "ep0 %s", text);
	TEST_ASSERT_EQUAL(dev->peers[1].flags, 0u, "flags 1");
	TEST_ASSERT_EQUAL(dev->peers[2].flags, WGJIT_PEER_HAS_ENDPOINT,
			"flags 2");
	wgjit_endpoint_format(text, &dev->peers[2].endpoint);
	TEST_ASSERT(strcmp(text, "[2001:db8::7]:4242") == 0, "ep2 %s", text);
	return TEST_SUCCESS;
}

static int
parse_all(struct canned *c, size_t len, struct wgjit_wg_device *dev)
{
	memset(dev, 0, sizeof(*dev));
	return wgjit_nl_parse_dump(c->buf, len, SEQ, PORTID, FAMILY, dev);
}

static int
test_dump_good(void)
{
	static struct canned c, done;
	struct wgjit_wg_device dev;
	int ret;

	build_dump(&c, 10);
	put_ctl(&done, NLMSG_DONE, 0);
	ret = parse_all(&c, c.len, &dev);
	TEST_ASSERT_EQUAL(ret, 1, "first buffer");
	ret = wgjit_nl_parse_dump(done.buf, done.len, SEQ, PORTID, FAMILY,
			&dev);
	TEST_ASSERT_EQUAL(ret, 0, "done");
	ret = check_dump(&dev, 10);
	wgjit_wg_device_free(&dev);
	TEST_ASSERT_EQUAL(ret, TEST_SUCCESS, "content");
	TEST_ASSERT(dev.peers == NULL && dev.nb_peers == 0, "not cleared");
	/* The same with DONE in the same buffer as the data. */
	put_ctl(&c, NLMSG_DONE, 0);
	TEST_ASSERT_EQUAL(parse_all(&c, c.len, &dev), 0, "one buffer");
	ret = check_dump(&dev, 10);
	wgjit_wg_device_free(&dev);
	TEST_ASSERT_EQUAL(ret, TEST_SUCCESS, "content, one buffer");
	/* A site-to-site peer with 600 allowed IPs, split across messages
	 * (the old parser failed with -E2BIG above 32, and with it every
	 * start-up, eviction and reconciliation). */
	build_dump(&c, 600);
	put_ctl(&c, NLMSG_DONE, 0);
	TEST_ASSERT_EQUAL(parse_all(&c, c.len, &dev), 0, "600 IPs");
	ret = check_dump(&dev, 600);
	TEST_ASSERT_EQUAL(dev.nb_aips, 2u + 600u + 1u, "all in the array");
	wgjit_wg_device_free(&dev);
	return ret;
}

static int
expect(struct canned *c, int want, const char *what)
{
	struct wgjit_wg_device dev;
	int ret = parse_all(c, c->len, &dev);

	wgjit_wg_device_free(&dev);
	TEST_ASSERT_EQUAL(ret, want, "%s", what);
	return TEST_SUCCESS;
}

static int
test_dump_errors(void)
{
	static struct canned c;
	struct nlmsghdr *nlh;
	struct nlattr *peers;
	uint8_t k[WGJIT_KEY_LEN] = { 0 };
	struct wgjit_wg_device dev;

	build_dump(&c, 10);
	((struct nlmsghdr *)c.buf)->nlmsg_seq = SEQ + 1;
	TEST_ASSERT_EQUAL(expect(&c, -EPROTO, "seq"), 0, "seq");
	build_dump(&c, 10);
	((struct nlmsghdr *)c.buf)->nlmsg_pid = PORTID + 1;
	TEST_ASSERT_EQUAL(expect(&c, -EPROTO, "portid"), 0, "portid");
	build_dump(&c, 10);
	((struct nlmsghdr *)c.buf)->nlmsg_flags |= NLM_F_DUMP_INTR;
	TEST_ASSERT_EQUAL(expect(&c, -EINTR, "intr"), 0, "intr");
	build_dump(&c, 10);
	((struct nlmsghdr *)c.buf)->nlmsg_type = FAMILY + 1;
	TEST_ASSERT_EQUAL(expect(&c, -EPROTO, "type"), 0, "type");
	build_dump(&c, 10);
	TEST_ASSERT_EQUAL(parse_all(&c, c.len - 3, &dev), -EPROTO, "trunc");
	wgjit_wg_device_free(&dev);
	c.len = 0;
	put_ctl(&c, NLMSG_ERROR, -ENODEV);
	TEST_ASSERT_EQUAL(expect(&c, -ENODEV, "error"), 0, "error");
	c.len = 0;
	put_ctl(&c, NLMSG_DONE, -EMSGSIZE);
	TEST_ASSERT_EQUAL(expect(&c, -EMSGSIZE, "done err"), 0, "done err");
	c.len = 0;
	put_ctl(&c, NLMSG_ERROR, 5);
	TEST_ASSERT_EQUAL(expect(&c, -EPROTO, "positive"), 0, "positive");

	/* A short key, a peer without a key, a v4 IP of 16 bytes. */
	for (int bad = 0; bad < 4; bad++) {
		c.len = 0;
		nlh = msg_begin(&c, FAMILY, NLM_F_MULTI);
		peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
		struct nlattr *pn = mnl_attr_nest_start(nlh, 0), *an, *ip;
		if (bad != 1)
			mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY,
					bad == 0 ? 31 : 32, k);
		an = mnl_attr_nest_start(nlh, WGPEER_A_ALLOWEDIPS);
		ip = mnl_attr_nest_start(nlh, 0);
		mnl_attr_put_u16(nlh, WGALLOWEDIP_A_FAMILY, AF_INET);
		mnl_attr_put(nlh, WGALLOWEDIP_A_IPADDR, bad == 2 ? 16 : 4, k);
		mnl_attr_put_u8(nlh, WGALLOWEDIP_A_CIDR_MASK, bad == 3 ? 33 : 8);
		mnl_attr_nest_end(nlh, ip);
		mnl_attr_nest_end(nlh, an);
		mnl_attr_nest_end(nlh, pn);
		mnl_attr_nest_end(nlh, peers);
		msg_end(&c, nlh);
		TEST_ASSERT_EQUAL(expect(&c, -EPROTO, "bad attr"), 0,
				"bad attr %d", bad);
	}
	return TEST_SUCCESS;
}

/* Every single-byte corruption of a good dump: no crash, no leak. */
static int
test_dump_corrupt(void)
{
	static struct canned good, c;
	struct wgjit_wg_device dev;
	unsigned int ok = 0;

	build_dump(&good, 10);
	put_ctl(&good, NLMSG_DONE, 0);
	for (size_t i = 0; i < good.len; i++) {
		for (unsigned int v = 0; v < 3; v++) {
			static const uint8_t vals[3] = { 0x00, 0xff, 0x01 };

			c = good;
			c.buf[i] = v == 2 ? c.buf[i] ^ vals[v] : vals[v];
			if (parse_all(&c, c.len, &dev) == 0)
				ok++;
			wgjit_wg_device_free(&dev);
		}
	}
	TEST_ASSERT(ok > 0 && ok < good.len * 3, "%u of %zu parsed", ok,
			good.len * 3);
	return TEST_SUCCESS;
}

static int
test_ack_and_family(void)
{
	static struct canned c;
	struct nlmsghdr *nlh;
	uint16_t family = 0;

	put_ctl(&c, NLMSG_ERROR, 0);
	TEST_ASSERT_EQUAL(wgjit_nl_parse_ack(c.buf, c.len, SEQ, PORTID), 0,
			"ack");
	TEST_ASSERT_EQUAL(wgjit_nl_parse_ack(c.buf, c.len, SEQ + 1, PORTID),
			-EPROTO, "ack seq");
	c.len = 0;
	put_ctl(&c, NLMSG_ERROR, -EPERM);
	TEST_ASSERT_EQUAL(wgjit_nl_parse_ack(c.buf, c.len, SEQ, PORTID),
			-EPERM, "nack");
	/* An error message too short for struct nlmsgerr. */
	((struct nlmsghdr *)c.buf)->nlmsg_len = NLMSG_HDRLEN + 4;
	TEST_ASSERT_EQUAL(wgjit_nl_parse_ack(c.buf, NLMSG_HDRLEN + 4, SEQ,
			PORTID), -EPROTO, "short error");
	c.len = 0;
	nlh = msg_begin(&c, GENL_ID_CTRL, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "wireguard");
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, FAMILY);
	msg_end(&c, nlh);
	TEST_ASSERT_EQUAL(wgjit_nl_parse_ack(c.buf, c.len, SEQ, PORTID),
			-EPROTO, "data where an ack is due");
	TEST_ASSERT_EQUAL(wgjit_nl_parse_getfamily(c.buf, c.len, SEQ, PORTID,
			&family), 1, "family, no ack yet");
	TEST_ASSERT_EQUAL(family, FAMILY, "family id");
	put_ctl(&c, NLMSG_ERROR, 0);
	family = 0;
	TEST_ASSERT_EQUAL(wgjit_nl_parse_getfamily(c.buf, c.len, SEQ, PORTID,
			&family), 0, "family + ack");
	TEST_ASSERT_EQUAL(family, FAMILY, "family id");
	c.len = 0;
	put_ctl(&c, NLMSG_ERROR, -ENOENT);
	family = 0;
	TEST_ASSERT_EQUAL(wgjit_nl_parse_getfamily(c.buf, c.len, SEQ, PORTID,
			&family), -ENOENT, "no module");
	c.len = 0;
	put_ctl(&c, NLMSG_ERROR, 0);
	TEST_ASSERT_EQUAL(wgjit_nl_parse_getfamily(c.buf, c.len, SEQ, PORTID,
			&family), -EPROTO, "ack without family");
	return TEST_SUCCESS;
}

int test_nl_dump_cases(void);

int
test_nl_dump_cases(void)
{
	static const struct wgjit_test_case cases[] = {
		TEST_CASE(test_dump_good),
		TEST_CASE(test_dump_errors),
		TEST_CASE(test_dump_corrupt),
		TEST_CASE(test_ack_and_family),
		TEST_CASES_END(),
	};

	return wgjit_test_run("nl_dump", cases) == 0 ? TEST_SUCCESS :
		TEST_FAILED;
}
