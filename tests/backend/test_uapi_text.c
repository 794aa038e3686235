/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/* UAPI text: the get parser, the errno parser, the set builder, checks. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wgjit_uapi.h"
#include "wgjit_test.h"

#define PRIV "e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a"
#define PUB1 "b85996fecc9c7f1fc6d2572a76eda11d59bcd20be8e543b15ce4bd85a8e75a33"
#define PUB2 "58402e695ba1772b1cc9309755f043251ea77fdcf10fbe63989ceae2e5ba7d4e"
#define PSK1 "188515093e952f5f22e865cef3012e72f8b5f0b598ac0309d5dacce3b70fcf52"
#define ZERO "0000000000000000000000000000000000000000000000000000000000000000"

static const char good_reply[] =
	"private_key=" PRIV "\n"
	"listen_port=51820\n"
	"fwmark=66\n"
	"public_key=" PUB1 "\n"
	"preshared_key=" PSK1 "\n"
	"protocol_version=1\n"
	"endpoint=192.0.2.1:51820\n"
	"last_handshake_time_sec=1700000000\n"
	"last_handshake_time_nsec=5\n"
	"tx_bytes=18446744073709551615\n"
	"rx_bytes=77\n"
	"persistent_keepalive_interval=25\n"
	"allowed_ip=10.1.0.0/24\n"
	"allowed_ip=fd00:1::/64\n"
	"some_future_key=whatever\n"
	"public_key=" PUB2 "\n"
	"preshared_key=" ZERO "\n"
	"protocol_version=1\n"
	"endpoint=[2001:db8::1]:4242\n"
	"last_handshake_time_sec=0\n"
	"last_handshake_time_nsec=0\n"
	"tx_bytes=0\n"
	"rx_bytes=0\n"
	"persistent_keepalive_interval=0\n"
	"errno=0\n"
	"\n";

static int
parse_str(const char *s, struct wgjit_wg_device *dev)
{
	return wgjit_uapi_parse_get(s, strlen(s), dev);
}

static int
test_parse_good(void)
{
	struct wgjit_wg_device dev;
	uint8_t k[WGJIT_KEY_LEN], pub[WGJIT_KEY_LEN];
	char text[WGJIT_ENDPOINT_STR_SIZE];
	int ret = parse_str(good_reply, &dev);

	TEST_ASSERT_EQUAL(ret, 0, "parse");
	wgjit_key_from_hex(k, PRIV);
	TEST_ASSERT_MEM_EQUAL(dev.private_key, k, WGJIT_KEY_LEN, "priv");
	wgjit_key_public(pub, k);
	TEST_ASSERT_MEM_EQUAL(dev.public_key, pub, WGJIT_KEY_LEN, "pub");
	TEST_ASSERT_EQUAL(dev.flags, WGJIT_WG_DEVICE_HAS_PRIVATE_KEY |
			WGJIT_WG_DEVICE_HAS_PUBLIC_KEY, "dev flags");
	TEST_ASSERT_EQUAL(dev.listen_port, 51820, "port");
	TEST_ASSERT_EQUAL(dev.fwmark, 66u, "fwmark");
	TEST_ASSERT_EQUAL(dev.nb_peers, 2u, "peers");
	wgjit_key_from_hex(k, PUB1);
	TEST_ASSERT_MEM_EQUAL(dev.peers[0].public_key, k, WGJIT_KEY_LEN, "k1");
	wgjit_key_from_hex(k, PSK1);
	TEST_ASSERT_MEM_EQUAL(dev.peers[0].preshared_key, k, WGJIT_KEY_LEN,
			"psk");
	TEST_ASSERT_EQUAL(dev.peers[0].flags, WGJIT_PEER_HAS_PRESHARED_KEY |
			WGJIT_PEER_HAS_KEEPALIVE | WGJIT_PEER_HAS_ENDPOINT,
			"flags 0");
	TEST_ASSERT_EQUAL(dev.peers[0].last_handshake_sec, 1700000000, "hs");
	TEST_ASSERT(dev.peers[0].tx_bytes == UINT64_MAX, "tx");
	TEST_ASSERT_EQUAL(dev.peers[0].rx_bytes, 77u, "rx");
	TEST_ASSERT_EQUAL(dev.peers[0].persistent_keepalive, 25, "ka");
	TEST_ASSERT_EQUAL(dev.peers[0].nb_allowed_ips, 2u, "ips");
	TEST_ASSERT(wgjit_wg_peer_aips(&dev, &dev.peers[0])[1].family ==
			AF_INET6 && wgjit_wg_peer_aips(&dev,
			&dev.peers[0])[1].cidr == 64, "v6 ip");
	wgjit_endpoint_format(text, &dev.peers[0].endpoint);
	TEST_ASSERT(strcmp(text, "192.0.2.1:51820") == 0, "ep %s", text);
	TEST_ASSERT_EQUAL(dev.peers[1].flags, WGJIT_PEER_HAS_ENDPOINT,
			"flags 1");
	wgjit_endpoint_format(text, &dev.peers[1].endpoint);
	TEST_ASSERT(strcmp(text, "[2001:db8::1]:4242") == 0, "ep %s", text);
	TEST_ASSERT_EQUAL(dev.peers[1].nb_allowed_ips, 0u, "ips 1");
	wgjit_wg_device_free(&dev);
	TEST_ASSERT(dev.peers == NULL && dev.flags == 0, "not cleared");
	/* An empty device: only the errno. */
	TEST_ASSERT_EQUAL(parse_str("errno=0\n\n", &dev), 0, "empty");
	TEST_ASSERT(dev.nb_peers == 0 && dev.flags == 0, "empty dev");
	wgjit_wg_device_free(&dev);
	return TEST_SUCCESS;
}

static int
test_parse_bad(void)
{
	static const struct {
		const char *text;
		int want;
	} cases[] = {
		{ "errno=2\n\n", -2 },
		{ "listen_port=1\nerrno=0\n", -EPROTO },	/* no blank */
		{ "listen_port=1\n\n", -EPROTO },		/* no errno */
		{ "errno=0\n\nx", -EPROTO },			/* trailing */
		{ "listen_port=65536\nerrno=0\n\n", -EPROTO },
		{ "listen_port=+1\nerrno=0\n\n", -EPROTO },
		{ "listen_port=\nerrno=0\n\n", -EPROTO },
		{ "listen_port 1\nerrno=0\n\n", -EPROTO },
		{ "private_key=abc\nerrno=0\n\n", -EPROTO },
		{ "endpoint=1.2.3.4:5\nerrno=0\n\n", -EPROTO },	/* no peer */
		{ "public_key=" PUB1 "\nlisten_port=1\nerrno=0\n\n", -EPROTO },
		{ "public_key=" PUB1 "\nallowed_ip=10.0.0.1/8\nerrno=0\n\n",
			-EPROTO },				/* host bits */
		{ "public_key=" PUB1 "\nendpoint=1.2.3.4\nerrno=0\n\n",
			-EPROTO },
		{ "public_key=" PUB1 "\nrx_bytes=18446744073709551616\n"
			"errno=0\n\n", -EPROTO },
		{ "errno=0\nlisten_port=1\n\n", -EPROTO },	/* after errno */
		{ "errno=4096\n\n", -EPROTO },
		{ "errno=-1\n\n", -EPROTO },
		{ "", -EPROTO },
	};
	struct wgjit_wg_device dev;
	char big[32768];
	size_t len;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ret = parse_str(cases[i].text, &dev);

		TEST_ASSERT_EQUAL(ret, cases[i].want, "case %zu", i);
		TEST_ASSERT(dev.peers == NULL, "leak in case %zu", i);
	}
	/* An embedded NUL. */
	TEST_ASSERT_EQUAL(wgjit_uapi_parse_get("listen_port=1\0\nerrno=0\n\n",
			24, &dev), -EPROTO, "NUL");
	/* 500 allowed IPs (a site-to-site peer), then a second peer: all
	 * kept, in order, each peer's in its own range. */
	len = (size_t)snprintf(big, sizeof(big), "public_key=%s\n", PUB1);
	for (int i = 0; i < 500; i++)
		len += (size_t)snprintf(big + len, sizeof(big) - len,
				"allowed_ip=10.0.%d.%d/32\n", i / 256, i % 256);
	len += (size_t)snprintf(big + len, sizeof(big) - len,
			"public_key=%s\nallowed_ip=10.9.9.9/32\nerrno=0\n\n", PUB2);
	TEST_ASSERT(len < sizeof(big), "buffer");
	TEST_ASSERT_EQUAL(wgjit_uapi_parse_get(big, len, &dev), 0, "500");
	TEST_ASSERT_EQUAL(dev.nb_peers, 2u, "two peers");
	TEST_ASSERT_EQUAL(dev.peers[0].nb_allowed_ips, 500u, "500 IPs");
	TEST_ASSERT_EQUAL(dev.peers[1].nb_allowed_ips, 1u, "1 IP");
	TEST_ASSERT_EQUAL(dev.peers[1].aip_first, 500u, "after the first's");
	{
		char t[WGJIT_ALLOWED_IP_STR_SIZE];

		wgjit_allowed_ip_format(t,
			&wgjit_wg_peer_aips(&dev, &dev.peers[0])[499]);
		TEST_ASSERT(strcmp(t, "10.0.1.243/32") == 0, "last: %s", t);
		wgjit_allowed_ip_format(t,
			&wgjit_wg_peer_aips(&dev, &dev.peers[1])[0]);
		TEST_ASSERT(strcmp(t, "10.9.9.9/32") == 0, "second: %s", t);
	}
	wgjit_wg_device_free(&dev);
	/* Every prefix of a good reply fails cleanly. */
	for (size_t i = 0; i < sizeof(good_reply) - 1; i++) {
		TEST_ASSERT_EQUAL(wgjit_uapi_parse_get(good_reply, i, &dev),
				-EPROTO, "prefix %zu", i);
		TEST_ASSERT(dev.peers == NULL, "leak at prefix %zu", i);
	}
	return TEST_SUCCESS;
}

static int
test_parse_errno(void)
{
	TEST_ASSERT_EQUAL(wgjit_uapi_parse_errno("errno=0\n\n", 9), 0, "0");
	TEST_ASSERT_EQUAL(wgjit_uapi_parse_errno("errno=22\n\n", 10), -22,
			"22");
	TEST_ASSERT_EQUAL(wgjit_uapi_parse_errno("errno=\n\n", 8), -EPROTO,
			"empty");
	TEST_ASSERT_EQUAL(wgjit_uapi_parse_errno("errno=0\n", 8), -EPROTO,
			"one newline");
	TEST_ASSERT_EQUAL(wgjit_uapi_parse_errno("errno=1x\n\n", 10), -EPROTO,
			"junk");
	TEST_ASSERT_EQUAL(wgjit_uapi_parse_errno("errno=99999\n\n", 13),
			-EPROTO, "range");
	TEST_ASSERT_EQUAL(wgjit_uapi_parse_errno("errno=0\nfoo=1\n\n", 15),
			-EPROTO, "extra line");
	return TEST_SUCCESS;
}

static int
test_build_set(void)
{
	static const char want[] =
		"set=1\n"
		"public_key=" PUB1 "\n"
		"update_only=true\n"
		"preshared_key=" PSK1 "\n"
		"endpoint=[2001:db8::1]:4242\n"
		"replace_allowed_ips=true\n"
		"allowed_ip=10.1.0.0/24\n"
		"allowed_ip=fd00:1::/64\n"
		"persistent_keepalive_interval=25\n"
		"public_key=" PUB2 "\n"
		"remove=true\n"
		"\n";
	struct wgjit_peer p[2];
	size_t len;
	char *text;

	memset(p, 0, sizeof(p));
	wgjit_key_from_hex(p[0].public_key, PUB1);
	wgjit_key_from_hex(p[0].preshared_key, PSK1);
	wgjit_endpoint_parse(&p[0].endpoint, "[2001:db8::1]:4242");
	wgjit_allowed_ip_parse(&p[0].allowed_ips[0], "10.1.0.0/24");
	wgjit_allowed_ip_parse(&p[0].allowed_ips[1], "fd00:1::/64");
	p[0].nb_allowed_ips = 2;
	p[0].persistent_keepalive = 25;
	p[0].flags = WGJIT_PEER_HAS_PRESHARED_KEY | WGJIT_PEER_HAS_KEEPALIVE |
		WGJIT_PEER_HAS_ENDPOINT | WGJIT_PEER_REPLACE_ALLOWED_IPS |
		WGJIT_PEER_UPDATE_ONLY;
	wgjit_key_from_hex(p[1].public_key, PUB2);
	p[1].nb_allowed_ips = 1;	/* ignored on removal */
	p[1].flags = WGJIT_PEER_REMOVE | WGJIT_PEER_HAS_KEEPALIVE;
	text = wgjit_uapi_build_set(p, 2, &len);
	TEST_ASSERT(text != NULL, "build");
	TEST_ASSERT(len == strlen(want) && strcmp(text, want) == 0,
			"text:\n%s", text);
	wgjit_uapi_free_text(text, len);
	text = wgjit_uapi_build_set(p, 0, &len);
	TEST_ASSERT(text != NULL && strcmp(text, "set=1\n\n") == 0, "empty");
	wgjit_uapi_free_text(text, len);
	return TEST_SUCCESS;
}

static int
test_peer_check(void)
{
	struct wgjit_peer p;

	memset(&p, 0, sizeof(p));
	TEST_ASSERT_EQUAL(wgjit_wg_peer_check(&p), 0, "empty peer");
	p.flags = 1u << 20;
	TEST_ASSERT_EQUAL(wgjit_wg_peer_check(&p), -EINVAL, "unknown flag");
	p.flags = WGJIT_PEER_HAS_ENDPOINT;
	TEST_ASSERT_EQUAL(wgjit_wg_peer_check(&p), -EINVAL, "no family");
	wgjit_endpoint_parse(&p.endpoint, "1.2.3.4:5");
	TEST_ASSERT_EQUAL(wgjit_wg_peer_check(&p), 0, "endpoint");
	p.nb_allowed_ips = 1;
	TEST_ASSERT_EQUAL(wgjit_wg_peer_check(&p), -EINVAL, "no IP family");
	wgjit_allowed_ip_parse(&p.allowed_ips[0], "10.0.0.0/8");
	TEST_ASSERT_EQUAL(wgjit_wg_peer_check(&p), 0, "IP");
	p.allowed_ips[0].cidr = 33;
	TEST_ASSERT_EQUAL(wgjit_wg_peer_check(&p), -EINVAL, "cidr");
	p.nb_allowed_ips = WGJIT_PEER_MAX_ALLOWED_IPS + 1;
	TEST_ASSERT_EQUAL(wgjit_wg_peer_check(&p), -EINVAL, "too many");
	p.flags = WGJIT_PEER_REMOVE;
	TEST_ASSERT_EQUAL(wgjit_wg_peer_check(&p), 0, "removal");
	return TEST_SUCCESS;
}

int
main(void)
{
	static const struct wgjit_test_case cases[] = {
		TEST_CASE(test_parse_good),
		TEST_CASE(test_parse_bad),
		TEST_CASE(test_parse_errno),
		TEST_CASE(test_build_set),
		TEST_CASE(test_peer_check),
		TEST_CASES_END(),
	};

	return wgjit_test_run("uapi_text", cases);
}
