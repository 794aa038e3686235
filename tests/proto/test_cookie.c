/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * The cookie mechanism against an implementation nobody here wrote:
 * tests/data/wireguard-go-cookie.pcap holds a wireguard-go client's first
 * initiation, the cookie reply of a wireguard-go gateway under load
 * (tests/data/make-cookie-capture.sh), the client's next initiation with
 * a mac2, and the gateway's response. wgjit must open that reply with the
 * gateway's public key, find the client's mac2 made with the cookie in
 * it, and seal the very same reply bytes from the captured nonce. Then
 * wgjit's own checker: its replies open, its cookies bind the source, a
 * mac2 from another source or an older secret fails.
 *
 * usage: test_cookie DATA_DIR
 */

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>
#include <sodium.h>

#include "wgjit_cookie.h"
#include "wgjit_key.h"
#include "wgjit_test_key.h"
#include "wgjit_noise.h"
#include "wgjit_pkt.h"
#include "wgjit_test.h"

#define NS 1000000000ull

static uint8_t gw_pub[WGJIT_KEY_LEN];
/* The four captured messages: init1, cookie, init2 (with mac2), resp. */
static uint8_t init1[WGJIT_MSG_INITIATION_LEN];
static uint8_t reply[WGJIT_MSG_COOKIE_LEN];
static uint8_t init2[WGJIT_MSG_INITIATION_LEN];
static union wgjit_endpoint client;

static int
load_fixture(const char *dir)
{
	char path[512], errbuf[PCAP_ERRBUF_SIZE];
	uint8_t priv[WGJIT_KEY_LEN];
	struct wgjit_pkt_info info;
	struct pcap_pkthdr *h;
	const uint8_t *frame;
	unsigned int n = 0;
	pcap_t *pc;

	snprintf(path, sizeof(path), "%s/cookie-gateway.key", dir);
	if (wgjit_test_fixture_key(priv, path) != 0 ||
			wgjit_key_public(gw_pub, priv) != 0)
		return -1;
	sodium_memzero(priv, sizeof(priv));
	snprintf(path, sizeof(path), "%s/wireguard-go-cookie.pcap", dir);
	pc = pcap_open_offline(path, errbuf);
	if (pc == NULL)
		return -1;
	while (pcap_next_ex(pc, &h, &frame) == 1 && n < 3) {
		/* Port 0: every UDP frame is "other", its payload located. */
		wgjit_pkt_classify(frame, h->caplen, 0, &info);
		if (n == 0 && info.payload_len == sizeof(init1)) {
			memcpy(init1, frame + info.payload_offset, sizeof(init1));
			client = info.src;
			n++;
		} else if (n == 1 && info.payload_len == sizeof(reply)) {
			memcpy(reply, frame + info.payload_offset, sizeof(reply));
			n++;
		} else if (n == 2 && info.payload_len == sizeof(init2)) {
			memcpy(init2, frame + info.payload_offset, sizeof(init2));
			n++;
		}
	}
	pcap_close(pc);
	return n == 3 ? 0 : -1;
}

static const struct wgjit_msg_initiation *
as_init(const uint8_t *m)
{
	return (const struct wgjit_msg_initiation *)m;
}

/* wireguard-go's reply opens, and its cookie made the client's mac2. */
static int
test_wireguard_go_reply(void)
{
	const struct wgjit_msg_cookie *r = (const struct wgjit_msg_cookie *)reply;
	uint8_t cookie[WGJIT_MSG_MAC_LEN], mac2[WGJIT_MSG_MAC_LEN];
	uint8_t bad_mac1[WGJIT_MSG_MAC_LEN];
	static const uint8_t zero[WGJIT_MSG_MAC_LEN];

	TEST_ASSERT_EQUAL(r->type, WGJIT_MSG_COOKIE, "type 3");
	TEST_ASSERT_MEM_EQUAL(r->receiver_index, as_init(init1)->sender_index,
		4, "receiver = the initiation's sender");
	TEST_ASSERT_MEM_EQUAL(as_init(init1)->mac2, zero, sizeof(zero),
		"the first initiation has no mac2");
	TEST_ASSERT(memcmp(as_init(init2)->mac2, zero, sizeof(zero)) != 0,
		"the second one has");
	TEST_ASSERT_EQUAL(wgjit_cookie_open_reply(gw_pub, reply,
		as_init(init1)->mac1, cookie), 0, "opens with HASH(cookie--||pub)");
	wgjit_cookie_mac2(cookie, init2, mac2);
	TEST_ASSERT_MEM_EQUAL(mac2, as_init(init2)->mac2, sizeof(mac2),
		"the client's mac2 is MAC(cookie, initiation)");
	/* The associated data is the mac1 of the initiation answered. */
	memcpy(bad_mac1, as_init(init1)->mac1, sizeof(bad_mac1));
	bad_mac1[0] ^= 1;
	TEST_ASSERT(wgjit_cookie_open_reply(gw_pub, reply, bad_mac1,
		cookie) != 0, "another mac1 does not open it");
	TEST_ASSERT(wgjit_cookie_open_reply(gw_pub, reply, as_init(init2)->mac1,
		cookie) != 0, "nor the next initiation's");
	return TEST_SUCCESS;
}

/* wgjit seals the very bytes wireguard-go sent, from the same inputs. */
static int
test_seal_matches(void)
{
	const struct wgjit_msg_cookie *r = (const struct wgjit_msg_cookie *)reply;
	struct wgjit_cookie_checker c;
	uint8_t cookie[WGJIT_MSG_MAC_LEN], out[WGJIT_MSG_COOKIE_LEN];
	uint32_t sender;

	TEST_ASSERT_EQUAL(wgjit_cookie_open_reply(gw_pub, reply,
		as_init(init1)->mac1, cookie), 0, "open");
	TEST_ASSERT_EQUAL(wgjit_cookie_checker_init(&c, gw_pub), 0, "init");
	memcpy(&sender, as_init(init1)->sender_index, sizeof(sender));
	wgjit_cookie_seal_reply(c.encryption_key, sender, r->nonce, cookie,
		as_init(init1)->mac1, out);
	TEST_ASSERT_MEM_EQUAL(out, reply, sizeof(out),
		"byte for byte wireguard-go's reply");
	wgjit_cookie_checker_clear(&c);
	return TEST_SUCCESS;
}

/* An initiation like init1, with the mac2 of @p cookie. */
static void
with_mac2(uint8_t m[WGJIT_MSG_INITIATION_LEN],
		const uint8_t cookie[WGJIT_MSG_MAC_LEN])
{
	memcpy(m, init1, WGJIT_MSG_INITIATION_LEN);
	wgjit_cookie_mac2(cookie, m,
		((struct wgjit_msg_initiation *)m)->mac2);
}

/* wgjit's own replies, as a client opens them, and its mac2 checks. */
static int
test_own_checker(void)
{
	struct wgjit_cookie_checker c;
	uint8_t out[WGJIT_MSG_COOKIE_LEN], out2[WGJIT_MSG_COOKIE_LEN];
	uint8_t cookie[WGJIT_MSG_MAC_LEN], made[WGJIT_MSG_MAC_LEN];
	uint8_t m[WGJIT_MSG_INITIATION_LEN];
	union wgjit_endpoint other = client, v6;
	uint64_t t = 1000 * NS;

	TEST_ASSERT_EQUAL(wgjit_cookie_checker_init(&c, gw_pub), 0, "init");
	wgjit_cookie_reply(&c, init1, &client, t, out);
	TEST_ASSERT_EQUAL(out[0], WGJIT_MSG_COOKIE, "type 3");
	TEST_ASSERT_MEM_EQUAL(out + 4, as_init(init1)->sender_index, 4,
		"receiver index");
	TEST_ASSERT_EQUAL(wgjit_cookie_open_reply(gw_pub, out,
		as_init(init1)->mac1, cookie), 0, "a client opens it");
	wgjit_cookie_make(&c, &client, t, made);
	TEST_ASSERT_MEM_EQUAL(cookie, made, sizeof(made), "the source's cookie");
	wgjit_cookie_reply(&c, init1, &client, t, out2);
	TEST_ASSERT(memcmp(out + 8, out2 + 8, WGJIT_MSG_COOKIE_NONCE_LEN) != 0,
		"a fresh nonce per reply");
	/* The reply's cached XChaCha20 subkey: the same bytes as libsodium's
	 * XChaCha20-Poly1305 makes of the reply's own nonce, whatever the
	 * counter (its high bytes too). */
	c.nonce_counter = UINT64_C(0xfffffffffffffffe);
	for (unsigned int i = 0; i < 300; i++) {
		struct wgjit_msg_cookie *r = (struct wgjit_msg_cookie *)out;
		uint8_t ref[WGJIT_MSG_COOKIE_LEN];
		uint32_t sender;

		if (i == 2)
			c.nonce_counter = UINT64_C(0x0123456789abcdef);
		other = client;
		other.in4.sin_port = htons((uint16_t)(1000 + i));
		wgjit_cookie_reply(&c, init1, &other, t, out);
		wgjit_cookie_make(&c, &other, t, made);
		memcpy(&sender, as_init(init1)->sender_index, sizeof(sender));
		wgjit_cookie_seal_reply(c.encryption_key, sender, r->nonce, made,
			as_init(init1)->mac1, ref);
		TEST_ASSERT_MEM_EQUAL(out, ref, sizeof(ref),
			"reply %u as XChaCha20-Poly1305 makes it", i);
	}
	TEST_ASSERT_EQUAL(c.nonce_counter, UINT64_C(0x0123456789abcdef) + 298,
		"one nonce per reply");

	with_mac2(m, cookie);
	TEST_ASSERT(wgjit_cookie_check_mac2(&c, m, &client, t + NS),
		"the client's next initiation proves its source");
	other.in4.sin_port = htons(ntohs(client.in4.sin_port) + 1);
	TEST_ASSERT(!wgjit_cookie_check_mac2(&c, m, &other, t + NS),
		"another port: no");
	other = client;
	other.in4.sin_addr.s_addr ^= htonl(1);
	TEST_ASSERT(!wgjit_cookie_check_mac2(&c, m, &other, t + NS),
		"another address: no");
	TEST_ASSERT(!wgjit_cookie_check_mac2(&c, init1, &client, t + NS),
		"no mac2: no");
	memset(&v6, 0, sizeof(v6));
	v6.in6.sin6_family = AF_INET6;
	v6.in6.sin6_port = client.in4.sin_port;
	memcpy(&v6.in6.sin6_addr.s6_addr[12], &client.in4.sin_addr, 4);
	TEST_ASSERT(!wgjit_cookie_check_mac2(&c, m, &v6, t + NS),
		"the same bytes as IPv6: no");
	/* Just inside the secret's two minutes, then past them. */
	TEST_ASSERT(wgjit_cookie_check_mac2(&c, m, &client,
		t + WGJIT_COOKIE_SECRET_MAX_AGE_S * NS - 1), "still valid");
	/* A new secret: the old cookie still proves its source for the
	 * grace, the new secret makes another cookie. */
	TEST_ASSERT(wgjit_cookie_check_mac2(&c, m, &client,
		t + WGJIT_COOKIE_SECRET_MAX_AGE_S * NS), "new secret, in grace");
	wgjit_cookie_make(&c, &client, t + WGJIT_COOKIE_SECRET_MAX_AGE_S * NS,
		made);
	TEST_ASSERT(memcmp(cookie, made, sizeof(made)) != 0,
		"the new secret makes another cookie");
	TEST_ASSERT(wgjit_cookie_check_mac2(&c, m, &client,
		t + (WGJIT_COOKIE_SECRET_MAX_AGE_S +
		     WGJIT_COOKIE_PREV_GRACE_S) * NS - 1), "end of the grace");
	TEST_ASSERT(!wgjit_cookie_check_mac2(&c, m, &client,
		t + (WGJIT_COOKIE_SECRET_MAX_AGE_S +
		     WGJIT_COOKIE_PREV_GRACE_S) * NS), "past the grace: stale");
	with_mac2(m, made);
	TEST_ASSERT(wgjit_cookie_check_mac2(&c, m, &client,
		t + (WGJIT_COOKIE_SECRET_MAX_AGE_S +
		     WGJIT_COOKIE_PREV_GRACE_S) * NS), "the new cookie: valid");
	wgjit_cookie_checker_clear(&c);

	/* Idle for long: a secret that outlived its grace before the next
	 * rotation does not come back as "previous". */
	TEST_ASSERT_EQUAL(wgjit_cookie_checker_init(&c, gw_pub), 0, "init");
	wgjit_cookie_make(&c, &client, t, cookie);
	with_mac2(m, cookie);
	TEST_ASSERT(!wgjit_cookie_check_mac2(&c, m, &client, t + 600 * NS),
		"ten minutes later: stale");
	wgjit_cookie_checker_clear(&c);
	return TEST_SUCCESS;
}

/* Two checkers never share a secret. */
static int
test_secret_per_checker(void)
{
	struct wgjit_cookie_checker a, b;
	uint8_t ca[WGJIT_MSG_MAC_LEN], cb[WGJIT_MSG_MAC_LEN];

	TEST_ASSERT_EQUAL(wgjit_cookie_checker_init(&a, gw_pub), 0, "a");
	TEST_ASSERT_EQUAL(wgjit_cookie_checker_init(&b, gw_pub), 0, "b");
	wgjit_cookie_make(&a, &client, NS, ca);
	wgjit_cookie_make(&b, &client, NS, cb);
	TEST_ASSERT(memcmp(ca, cb, sizeof(ca)) != 0, "different secrets");
	wgjit_cookie_checker_clear(&a);
	wgjit_cookie_checker_clear(&b);
	return TEST_SUCCESS;
}

int
main(int argc, char **argv)
{
	static const struct wgjit_test_case cases[] = {
		TEST_CASE(test_wireguard_go_reply),
		TEST_CASE(test_seal_matches),
		TEST_CASE(test_own_checker),
		TEST_CASE(test_secret_per_checker),
		TEST_CASES_END(),
	};

	if (argc != 2 || sodium_init() < 0 || load_fixture(argv[1]) != 0) {
		fprintf(stderr, "usage: %s DATA_DIR (wireguard-go-cookie.pcap)\n",
			argv[0]);
		return 1;
	}
	return wgjit_test_run("cookie", cases);
}
