/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * Netlink message building and parsing without a kernel: every built
 * message is parsed back with libmnl attribute by attribute, and canned
 * multi-part dumps (built here the way the kernel lays them out) are fed
 * to the dump parser.
 */

#include <arpa/inet.h>
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

/* Attribute table of one nest level, filled by parse_tb(). */
struct tb {
	const struct nlattr *a[32];
	unsigned int count[32];
};

static int
tb_cb(const struct nlattr *attr, void *data)
{
	struct tb *tb = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type < 32) {
		tb->a[type] = attr;
		tb->count[type]++;
	}
	return MNL_CB_OK;
}

static void
tb_nested(struct tb *tb, const struct nlattr *nest)
{
	memset(tb, 0, sizeof(*tb));
	mnl_attr_parse_nested(nest, tb_cb, tb);
}

static void
make_key(uint8_t key[WGJIT_KEY_LEN], uint8_t seed)
{
	for (int i = 0; i < WGJIT_KEY_LEN; i++)
		key[i] = (uint8_t)(seed + i * 7);
}

static void
make_peer(struct wgjit_peer *p, uint8_t seed, unsigned int nb_ips)
{
	char text[WGJIT_ALLOWED_IP_STR_SIZE];

	memset(p, 0, sizeof(*p));
	make_key(p->public_key, seed);
	for (unsigned int i = 0; i < nb_ips; i++) {
		if (i % 2 == 0)
			snprintf(text, sizeof(text), "10.%u.%u.0/24", seed, i);
		else
			snprintf(text, sizeof(text), "fd00:%x::%x/128", seed,
					i);
		wgjit_allowed_ip_parse(&p->allowed_ips[i], text);
	}
	p->nb_allowed_ips = nb_ips;
}

static int
aip_equal(const struct nlattr *nest, const struct wgjit_allowed_ip *want)
{
	struct tb tb;
	size_t alen = want->family == AF_INET ? 4 : 16;

	tb_nested(&tb, nest);
	if (tb.a[WGALLOWEDIP_A_FAMILY] == NULL ||
			tb.a[WGALLOWEDIP_A_IPADDR] == NULL ||
			tb.a[WGALLOWEDIP_A_CIDR_MASK] == NULL)
		return 0;
	return mnl_attr_get_u16(tb.a[WGALLOWEDIP_A_FAMILY]) == want->family &&
		mnl_attr_get_payload_len(tb.a[WGALLOWEDIP_A_IPADDR]) == alen &&
		memcmp(mnl_attr_get_payload(tb.a[WGALLOWEDIP_A_IPADDR]),
			&want->ip6, alen) == 0 &&
		mnl_attr_get_u8(tb.a[WGALLOWEDIP_A_CIDR_MASK]) == want->cidr;
}

static int
test_getfamily(void)
{
	uint8_t buf[256];
	const struct nlmsghdr *nlh = (const void *)buf;
	const struct genlmsghdr *genl;
	struct tb tb = { 0 };
	int len = wgjit_nl_build_getfamily(buf, sizeof(buf), SEQ);

	TEST_ASSERT(len > 0, "len %d", len);
	TEST_ASSERT_EQUAL(nlh->nlmsg_len, (unsigned int)len, "length");
	TEST_ASSERT_EQUAL(nlh->nlmsg_type, GENL_ID_CTRL, "type");
	TEST_ASSERT_EQUAL(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK, "flags");
	TEST_ASSERT_EQUAL(nlh->nlmsg_seq, SEQ, "seq");
	genl = mnl_nlmsg_get_payload(nlh);
	TEST_ASSERT_EQUAL(genl->cmd, CTRL_CMD_GETFAMILY, "cmd");
	mnl_attr_parse(nlh, sizeof(*genl), tb_cb, &tb);
	TEST_ASSERT(tb.a[CTRL_ATTR_FAMILY_NAME] != NULL, "no name");
	TEST_ASSERT(strcmp(mnl_attr_get_str(tb.a[CTRL_ATTR_FAMILY_NAME]),
			"wireguard") == 0, "name");
	TEST_ASSERT_EQUAL(wgjit_nl_build_getfamily(buf, 20, SEQ), -EMSGSIZE,
			"tiny buffer");
	return TEST_SUCCESS;
}

static int
test_build_get(void)
{
	uint8_t buf[256];
	const struct nlmsghdr *nlh = (const void *)buf;
	const struct genlmsghdr *genl;
	struct tb tb = { 0 };
	int len = wgjit_nl_build_get(buf, sizeof(buf), FAMILY, SEQ, "wg0");

	TEST_ASSERT(len > 0, "len %d", len);
	TEST_ASSERT_EQUAL(nlh->nlmsg_type, FAMILY, "type");
	TEST_ASSERT_EQUAL(nlh->nlmsg_flags,
			NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, "flags");
	genl = mnl_nlmsg_get_payload(nlh);
	TEST_ASSERT_EQUAL(genl->cmd, WG_CMD_GET_DEVICE, "cmd");
	TEST_ASSERT_EQUAL(genl->version, WG_GENL_VERSION, "version");
	mnl_attr_parse(nlh, sizeof(*genl), tb_cb, &tb);
	TEST_ASSERT(strcmp(mnl_attr_get_str(tb.a[WGDEVICE_A_IFNAME]), "wg0")
			== 0, "ifname");
	TEST_ASSERT_EQUAL(wgjit_nl_build_get(buf, sizeof(buf), FAMILY, SEQ,
			"0123456789abcdef"), -EINVAL, "long name");
	TEST_ASSERT_EQUAL(wgjit_nl_build_get(buf, sizeof(buf), FAMILY, SEQ,
			""), -EINVAL, "empty name");
	return TEST_SUCCESS;
}

/* Three peers (v4 endpoint + PSK + keepalive, v6 endpoint, removal). */
static int
test_build_set_fields(void)
{
	uint8_t buf[4096];
	const struct nlmsghdr *nlh = (const void *)buf;
	struct wgjit_nl_set_cursor cur = { 0, 0 };
	struct wgjit_peer peers[3];
	const struct nlattr *pa;
	struct tb dtb = { 0 }, ptb;
	unsigned int i = 0;
	int len;

	make_peer(&peers[0], 1, 3);
	make_key(peers[0].preshared_key, 99);
	peers[0].persistent_keepalive = 25;
	wgjit_endpoint_parse(&peers[0].endpoint, "192.0.2.1:51820");
	peers[0].flags = WGJIT_PEER_HAS_PRESHARED_KEY |
		WGJIT_PEER_HAS_KEEPALIVE | WGJIT_PEER_HAS_ENDPOINT |
		WGJIT_PEER_REPLACE_ALLOWED_IPS;
	make_peer(&peers[1], 2, 1);
	wgjit_endpoint_parse(&peers[1].endpoint, "[2001:db8::1]:4242");
	peers[1].flags = WGJIT_PEER_HAS_ENDPOINT | WGJIT_PEER_UPDATE_ONLY;
	make_peer(&peers[2], 3, 2);
	peers[2].flags = WGJIT_PEER_REMOVE;

	len = wgjit_nl_build_set(buf, sizeof(buf), FAMILY, SEQ, "wg0", peers,
			3, &cur);
	TEST_ASSERT(len > 0, "len %d", len);
	TEST_ASSERT(cur.peer == 3 && cur.aip == 0, "cursor %u/%u", cur.peer,
			cur.aip);
	TEST_ASSERT_EQUAL(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK, "flags");
	TEST_ASSERT_EQUAL(((const struct genlmsghdr *)
			mnl_nlmsg_get_payload(nlh))->cmd, WG_CMD_SET_DEVICE,
			"cmd");
	mnl_attr_parse(nlh, GENL_HDRLEN, tb_cb, &dtb);
	TEST_ASSERT(dtb.a[WGDEVICE_A_PEERS] != NULL, "no peers");
	TEST_ASSERT(dtb.a[WGDEVICE_A_PRIVATE_KEY] == NULL, "private key sent");
	mnl_attr_for_each_nested(pa, dtb.a[WGDEVICE_A_PEERS]) {
		const struct wgjit_peer *p = &peers[i];
		const struct nlattr *ip;
		unsigned int j = 0;

		TEST_ASSERT(i < 3, "too many peers");
		tb_nested(&ptb, pa);
		TEST_ASSERT_MEM_EQUAL(mnl_attr_get_payload(
				ptb.a[WGPEER_A_PUBLIC_KEY]), p->public_key,
				WGJIT_KEY_LEN, "key %u", i);
		TEST_ASSERT(ptb.a[WGPEER_A_FLAGS] != NULL, "flags %u", i);
		if (i == 2) {
			TEST_ASSERT_EQUAL(mnl_attr_get_u32(ptb.a[WGPEER_A_FLAGS]),
					WGPEER_F_REMOVE_ME, "remove flag");
			TEST_ASSERT(ptb.a[WGPEER_A_ALLOWEDIPS] == NULL &&
					ptb.a[WGPEER_A_ENDPOINT] == NULL,
					"removal carries more than the key");
			i++;
			continue;
		}
		TEST_ASSERT_EQUAL(mnl_attr_get_u32(ptb.a[WGPEER_A_FLAGS]),
				i == 0 ? WGPEER_F_REPLACE_ALLOWEDIPS :
				WGPEER_F_UPDATE_ONLY, "flags %u", i);
		TEST_ASSERT_EQUAL(mnl_attr_get_payload_len(
				ptb.a[WGPEER_A_ENDPOINT]), i == 0 ?
				sizeof(struct sockaddr_in) :
				sizeof(struct sockaddr_in6), "endpoint len");
		TEST_ASSERT_MEM_EQUAL(mnl_attr_get_payload(
				ptb.a[WGPEER_A_ENDPOINT]), &p->endpoint,
				mnl_attr_get_payload_len(
				ptb.a[WGPEER_A_ENDPOINT]), "endpoint %u", i);
		if (i == 0) {
			TEST_ASSERT_MEM_EQUAL(mnl_attr_get_payload(
					ptb.a[WGPEER_A_PRESHARED_KEY]),
					p->preshared_key, WGJIT_KEY_LEN, "psk");
			TEST_ASSERT_EQUAL(mnl_attr_get_u16(ptb.a[
				WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL]), 25,
				"keepalive");
		} else {
			TEST_ASSERT(ptb.a[WGPEER_A_PRESHARED_KEY] == NULL &&
				ptb.a[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL]
				== NULL, "unflagged fields sent");
		}
		mnl_attr_for_each_nested(ip, ptb.a[WGPEER_A_ALLOWEDIPS]) {
			TEST_ASSERT(j < p->nb_allowed_ips, "extra IP");
			TEST_ASSERT(aip_equal(ip, &p->allowed_ips[j]),
					"peer %u IP %u", i, j);
			j++;
		}
		TEST_ASSERT_EQUAL(j, p->nb_allowed_ips, "IP count %u", i);
		i++;
	}
	TEST_ASSERT_EQUAL(i, 3u, "peer count");
	cur.peer = 3;
	TEST_ASSERT_EQUAL(wgjit_nl_build_set(buf, sizeof(buf), FAMILY, SEQ,
			"wg0", peers, 3, &cur), -EINVAL, "done cursor");
	return TEST_SUCCESS;
}

/*
 * Split a set over many small messages; collect every (peer, IP) in
 * order and check the continuation rules.
 */
static int
split_and_check(size_t size, unsigned int n, unsigned int nb_ips,
		unsigned int *nb_msgs)
{
	static uint8_t buf[8192];
	struct wgjit_peer *peers = calloc(n, sizeof(*peers));
	struct wgjit_nl_set_cursor cur = { 0, 0 };
	unsigned int next_peer = 0, next_ip = 0, msgs = 0;
	int len;

	TEST_ASSERT(peers != NULL, "calloc");
	for (unsigned int i = 0; i < n; i++) {
		make_peer(&peers[i], (uint8_t)i, nb_ips);
		wgjit_endpoint_parse(&peers[i].endpoint, "10.0.0.1:1");
		peers[i].persistent_keepalive = 5;
		peers[i].flags = WGJIT_PEER_HAS_ENDPOINT |
			WGJIT_PEER_HAS_KEEPALIVE |
			WGJIT_PEER_REPLACE_ALLOWED_IPS;
	}
	while (cur.peer < n) {
		const struct nlmsghdr *nlh = (const void *)buf;
		const struct nlattr *pa, *ip;
		struct tb dtb = { 0 }, ptb;

		len = wgjit_nl_build_set(buf, size, FAMILY, SEQ, "wg0", peers,
				n, &cur);
		if (len <= 0 || (size_t)len > size || msgs > 10000) {
			free(peers);
			TEST_ASSERT(0, "build: %d (size %zu)", len, size);
		}
		msgs++;
		mnl_attr_parse(nlh, GENL_HDRLEN, tb_cb, &dtb);
		mnl_attr_for_each_nested(pa, dtb.a[WGDEVICE_A_PEERS]) {
			const struct wgjit_peer *p = &peers[next_peer];
			bool cont = next_ip > 0;

			tb_nested(&ptb, pa);
			if (memcmp(mnl_attr_get_payload(
					ptb.a[WGPEER_A_PUBLIC_KEY]),
					p->public_key, WGJIT_KEY_LEN) != 0 ||
					mnl_attr_get_u32(ptb.a[WGPEER_A_FLAGS])
					!= (cont ? WGPEER_F_UPDATE_ONLY :
					WGPEER_F_REPLACE_ALLOWEDIPS) ||
					(ptb.a[WGPEER_A_ENDPOINT] != NULL) ==
					cont) {
				free(peers);
				TEST_ASSERT(0, "peer %u head (cont %d)",
						next_peer, cont);
			}
			mnl_attr_for_each_nested(ip,
					ptb.a[WGPEER_A_ALLOWEDIPS]) {
				if (!aip_equal(ip, &p->allowed_ips[next_ip])) {
					free(peers);
					TEST_ASSERT(0, "peer %u ip %u",
							next_peer, next_ip);
				}
				next_ip++;
			}
			if (next_ip == p->nb_allowed_ips) {
				next_peer++;
				next_ip = 0;
			}
		}
	}
	free(peers);
	TEST_ASSERT_EQUAL(next_peer, n, "peers seen");
	*nb_msgs = msgs;
	return TEST_SUCCESS;
}

static int
test_build_set_split(void)
{
	unsigned int msgs;
	uint8_t buf[128];
	struct wgjit_peer p;
	struct wgjit_nl_set_cursor cur = { 0, 0 };

	/* One peer with 32 IPs in 400-byte messages: split inside it. */
	TEST_ASSERT_EQUAL(split_and_check(400, 1, 32, &msgs), TEST_SUCCESS,
			"one peer");
	TEST_ASSERT(msgs >= 4, "only %u messages", msgs);
	/* 2000 peers in page-sized messages. */
	TEST_ASSERT_EQUAL(split_and_check(4096, 2000, 3, &msgs), TEST_SUCCESS,
			"many peers");
	TEST_ASSERT(msgs > 20 && msgs < 200, "%u messages", msgs);
	TEST_ASSERT_EQUAL(split_and_check(4096, 300, 32, &msgs), TEST_SUCCESS,
			"many big peers");
	/* Not even one peer head fits. */
	make_peer(&p, 1, 1);
	TEST_ASSERT_EQUAL(wgjit_nl_build_set(buf, 64, FAMILY, SEQ, "wg0", &p,
			1, &cur), -EMSGSIZE, "tiny");
	TEST_ASSERT_EQUAL(cur.peer, 0u, "cursor moved");
	TEST_ASSERT_EQUAL(wgjit_nl_build_set(buf, 90, FAMILY, SEQ, "wg0", &p,
			1, &cur), -EMSGSIZE, "head but no IP");
	TEST_ASSERT(wgjit_nl_build_set(buf, sizeof(buf), FAMILY, SEQ, "wg0",
			&p, 1, &cur) > 0 && cur.peer == 1, "one IP fits");
	return TEST_SUCCESS;
}

int test_nl_dump_cases(void);

int
main(void)
{
	static const struct wgjit_test_case cases[] = {
		TEST_CASE(test_getfamily),
		TEST_CASE(test_build_get),
		TEST_CASE(test_build_set_fields),
		TEST_CASE(test_build_set_split),
		TEST_CASE(test_nl_dump_cases),
		TEST_CASES_END(),
	};

	return wgjit_test_run("nl_msg", cases);
}
