/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * WireGuard initiations captured from real wireguard-go clients
 * (tests/data, made by tests/integration/inspect_live.sh): identification,
 * every single-bit flip, tampering behind a recomputed mac1, truncation,
 * wrong types, replays and the static-static cache.
 */

#include <stdlib.h>
#include <string.h>

#include <blake2.h>
#include <pcap/pcap.h>
#include <sodium.h>

#include "wgjit_key.h"
#include "wgjit_test_key.h"
#include "wgjit_noise.h"
#include "wgjit_pkt.h"
#include "wgjit_test.h"

#define MAX_MSGS 16
#define LEN WGJIT_MSG_INITIATION_LEN
#define MAC1_OFF 116
#define MAC2_OFF 132

static struct wgjit_noise_responder resp;
static uint8_t msgs[MAX_MSGS][LEN];
static uint8_t keys[MAX_MSGS][WGJIT_KEY_LEN];
static unsigned int nb_msgs, nb_keys;

static int
load_fixture(const char *dir)
{
	char path[512], errbuf[PCAP_ERRBUF_SIZE], line[128];
	struct wgjit_pkt_info info;
	struct pcap_pkthdr *h;
	const uint8_t *frame;
	uint8_t priv[WGJIT_KEY_LEN];
	pcap_t *pc;
	FILE *f;

	snprintf(path, sizeof(path), "%s/gateway.key", dir);
	if (wgjit_test_fixture_key(priv, path) != 0 ||
			wgjit_noise_responder_init(&resp, priv) != 0)
		return -1;
	sodium_memzero(priv, sizeof(priv));
	snprintf(path, sizeof(path), "%s/clients.pub", dir);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (nb_keys < MAX_MSGS && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (wgjit_key_from_base64(keys[nb_keys], line) == 0)
			nb_keys++;
	}
	fclose(f);
	snprintf(path, sizeof(path), "%s/wireguard-go-initiations.pcap", dir);
	pc = pcap_open_offline(path, errbuf);
	if (pc == NULL)
		return -1;
	while (nb_msgs < MAX_MSGS && pcap_next_ex(pc, &h, &frame) == 1) {
		if (wgjit_pkt_classify(frame, h->caplen, 51820, &info) ==
				WGJIT_PKT_WG_INITIATION)
			memcpy(msgs[nb_msgs++], frame + info.payload_offset,
				LEN);
	}
	pcap_close(pc);
	return nb_msgs > 0 && nb_keys > 0 ? 0 : -1;
}

static void
remac(uint8_t *m)
{
	blake2s(m + MAC1_OFF, m, resp.mac1_key, WGJIT_MSG_MAC_LEN,
		MAC1_OFF, WGJIT_KEY_LEN);
}

static int
key_index(const uint8_t *key)
{
	for (unsigned int i = 0; i < nb_keys; i++)
		if (memcmp(keys[i], key, WGJIT_KEY_LEN) == 0)
			return (int)i;
	return -1;
}

static int
test_identify_wireguard_go(void)
{
	struct wgjit_noise_ctx *ctx = wgjit_noise_ctx_create(&resp, 64);
	struct wgjit_noise_result res;
	bool seen[MAX_MSGS] = { false };
	unsigned int distinct = 0;

	TEST_ASSERT(ctx != NULL, "ctx");
	for (unsigned int i = 0; i < nb_msgs; i++) {
		int v = wgjit_noise_check_mac1(&resp, msgs[i], LEN);

		TEST_ASSERT_EQUAL(v, WGJIT_NOISE_OK, "mac1 of message %u", i);
		v = wgjit_noise_identify(ctx, msgs[i], LEN, &res);
		TEST_ASSERT_EQUAL(v, WGJIT_NOISE_IDENTIFIED, "identify %u", i);
		TEST_ASSERT(key_index(res.public_key) >= 0, "key of %u", i);
		v = wgjit_noise_check(ctx, msgs[i], LEN, &res, NULL, 0);
		TEST_ASSERT_EQUAL(v, WGJIT_NOISE_OK, "check %u", i);
		if (!seen[key_index(res.public_key)])
			distinct++;
		seen[key_index(res.public_key)] = true;
	}
	TEST_ASSERT_EQUAL(distinct, nb_keys, "every client identified");
	wgjit_noise_ctx_free(ctx);
	return TEST_SUCCESS;
}

static int
test_every_bit_flip(void)
{
	struct wgjit_noise_ctx *ctx = wgjit_noise_ctx_create(&resp, 64);
	struct wgjit_replay_table *t =
		wgjit_replay_table_create(64);
	struct wgjit_replay_store store;
	struct wgjit_noise_result res;
	uint8_t m[LEN];

	TEST_ASSERT(ctx != NULL && t != NULL, "alloc");
	wgjit_replay_table_store(t, &store);
	for (unsigned int i = 0; i < nb_msgs; i++) {
		int v = wgjit_noise_check(ctx, msgs[i], LEN, &res, NULL, 0);

		TEST_ASSERT_EQUAL(v, WGJIT_NOISE_OK, "original %u", i);
		v = wgjit_replay_check(&store, res.public_key,
			res.tai64n);
		TEST_ASSERT_EQUAL(v, WGJIT_REPLAY_FRESH, "first sight %u", i);
	}
	for (unsigned int i = 0; i < nb_msgs; i++) {
		for (unsigned int bit = 0; bit < LEN * 8; bit++) {
			int v, want;

			memcpy(m, msgs[i], LEN);
			m[bit / 8] ^= 1u << (bit % 8);
			v = wgjit_noise_check(ctx, m, LEN, &res, NULL, 0);
			if (bit / 8 < 4)
				want = WGJIT_NOISE_MALFORMED;
			else if (bit / 8 < MAC2_OFF)
				want = WGJIT_NOISE_BAD_MAC1;
			else
				want = WGJIT_NOISE_OK;
			TEST_ASSERT_EQUAL(v, want, "message %u bit %u", i, bit);
			if (v != WGJIT_NOISE_OK)
				continue;
			/*
			 * mac2 is outside mac1 (it carries WireGuard's cookie,
			 * which only the WireGuard device knows), so the
			 * message still authenticates; the replay check is
			 * what rejects the altered copy.
			 */
			v = wgjit_replay_check(&store, res.public_key,
				res.tai64n);
			TEST_ASSERT_EQUAL(v, WGJIT_REPLAY_SEEN,
				"mac2 flip %u bit %u", i, bit);
		}
	}
	wgjit_replay_table_free(t);
	wgjit_noise_ctx_free(ctx);
	return TEST_SUCCESS;
}

static int
test_tamper_behind_mac1(void)
{
	struct wgjit_noise_ctx *ctx = wgjit_noise_ctx_create(&resp, 64);
	struct wgjit_noise_result res;
	static const struct {
		unsigned int from, to;
		int want;
	} regions[] = {
		{ 8, 40, WGJIT_NOISE_BAD_STATIC },	/* ephemeral */
		{ 40, 88, WGJIT_NOISE_BAD_STATIC },	/* encrypted static */
		{ 88, 116, WGJIT_NOISE_FORGED },	/* encrypted timestamp */
	};
	uint8_t m[LEN];

	TEST_ASSERT(ctx != NULL, "ctx");
	for (unsigned int r = 0; r < sizeof(regions) / sizeof(regions[0]); r++) {
		for (unsigned int byte = regions[r].from; byte < regions[r].to;
				byte++) {
			int v;

			memcpy(m, msgs[0], LEN);
			m[byte] ^= 0x01;
			remac(m);
			v = wgjit_noise_check(ctx, m, LEN, &res, NULL, 0);
			/* A flipped ephemeral bit may make a low-order
			 * point; either way nothing authenticates. */
			if (byte < 40 && v == WGJIT_NOISE_BAD_EPHEMERAL)
				continue;
			TEST_ASSERT_EQUAL(v, regions[r].want, "byte %u", byte);
		}
	}
	/* Sender index (4..7) is not authenticated by Noise: still ok. */
	memcpy(m, msgs[0], LEN);
	m[5] ^= 0xff;
	remac(m);
	TEST_ASSERT_EQUAL(wgjit_noise_check(ctx, m, LEN, &res, NULL, 0),
		WGJIT_NOISE_OK, "sender index");
	/* A low-order ephemeral (the zero point) never reaches the AEAD. */
	memcpy(m, msgs[0], LEN);
	memset(m + 8, 0, WGJIT_KEY_LEN);
	remac(m);
	TEST_ASSERT_EQUAL(wgjit_noise_check(ctx, m, LEN, &res, NULL, 0),
		WGJIT_NOISE_BAD_EPHEMERAL, "zero ephemeral");
	wgjit_noise_ctx_free(ctx);
	return TEST_SUCCESS;
}

static int
test_truncated_and_wrong_type(void)
{
	struct wgjit_noise_ctx *ctx = wgjit_noise_ctx_create(&resp, 0);
	struct wgjit_noise_result res;
	uint8_t m[LEN + 16];

	TEST_ASSERT(ctx != NULL, "ctx");
	memset(m, 0, sizeof(m));
	memcpy(m, msgs[0], LEN);
	for (size_t len = 0; len <= sizeof(m); len++) {
		if (len == LEN)
			continue;
		TEST_ASSERT_EQUAL(wgjit_noise_check(ctx, m, len, &res, NULL, 0),
			WGJIT_NOISE_MALFORMED, "length %zu", len);
	}
	TEST_ASSERT_EQUAL(wgjit_noise_check(ctx, NULL, LEN, &res, NULL, 0),
		WGJIT_NOISE_MALFORMED, "NULL");
	for (int type = 0; type < 256; type++) {
		if (type == WGJIT_MSG_INITIATION)
			continue;
		m[0] = (uint8_t)type;
		remac(m);
		TEST_ASSERT_EQUAL(wgjit_noise_check(ctx, m, LEN, &res, NULL, 0),
			WGJIT_NOISE_MALFORMED, "type %d", type);
	}
	for (int byte = 1; byte < 4; byte++) {
		memcpy(m, msgs[0], LEN);
		m[byte] = 0x80;
		remac(m);
		TEST_ASSERT_EQUAL(wgjit_noise_check(ctx, m, LEN, &res, NULL, 0),
			WGJIT_NOISE_MALFORMED, "reserved byte %d", byte);
	}
	wgjit_noise_ctx_free(ctx);
	return TEST_SUCCESS;
}

static int
test_replay_order(void)
{
	struct wgjit_replay_table *t = wgjit_replay_table_create(4);
	struct wgjit_replay_store store;
	uint8_t key[WGJIT_KEY_LEN], other[WGJIT_KEY_LEN];
	uint8_t t1[12] = { 0x40, 0, 0, 0, 0x60, 0, 0, 0, 0, 0, 0, 1 };
	uint8_t t2[12], t0[12];

	TEST_ASSERT(t != NULL, "table");
	wgjit_replay_table_store(t, &store);
	memset(key, 7, sizeof(key));
	memcpy(t2, t1, 12);
	t2[11] = 2;
	memcpy(t0, t1, 12);
	t0[11] = 0;
	TEST_ASSERT_EQUAL(wgjit_replay_check(&store, key, t1),
		WGJIT_REPLAY_FRESH, "first");
	TEST_ASSERT_EQUAL(wgjit_replay_check(&store, key, t1),
		WGJIT_REPLAY_SEEN, "same");
	TEST_ASSERT_EQUAL(wgjit_replay_check(&store, key, t0),
		WGJIT_REPLAY_SEEN, "older");
	TEST_ASSERT_EQUAL(wgjit_replay_check(&store, key, t2),
		WGJIT_REPLAY_FRESH, "newer");
	/* Fill the table beyond its size: the oldest entries go, the
	 * newest stay. */
	for (int i = 0; i < 64; i++) {
		memset(other, i + 100, sizeof(other));
		TEST_ASSERT_EQUAL(wgjit_replay_check(&store, other, t1),
			WGJIT_REPLAY_FRESH, "other %d", i);
	}
	TEST_ASSERT_EQUAL(wgjit_replay_check(&store, other, t1),
		WGJIT_REPLAY_SEEN, "newest kept");
	TEST_ASSERT_EQUAL(wgjit_replay_tai64n_to_unix(t1, NULL),
		(int64_t)0x60000000 - 10, "tai64n to unix");
	wgjit_replay_table_free(t);
	return TEST_SUCCESS;
}

static int
test_static_static_cache(void)
{
	struct wgjit_noise_ctx *ctx = wgjit_noise_ctx_create(&resp, 64);
	struct wgjit_noise_ctx_stats st;
	struct wgjit_noise_result res;
	uint8_t m[LEN];

	TEST_ASSERT(ctx != NULL, "ctx");
	TEST_ASSERT_EQUAL(wgjit_noise_check(ctx, msgs[0], LEN, &res, NULL, 0),
		WGJIT_NOISE_OK, "first");
	TEST_ASSERT_EQUAL(wgjit_noise_check(ctx, msgs[0], LEN, &res, NULL, 0),
		WGJIT_NOISE_OK, "second");
	wgjit_noise_ctx_stats(ctx, &st);
	TEST_ASSERT_EQUAL(st.ss_misses, 1, "one miss");
	TEST_ASSERT_EQUAL(st.ss_hits, 1, "one hit");
	/* A forged timestamp for an unknown static does not enter. */
	memcpy(m, msgs[1 % nb_msgs], LEN);
	m[100] ^= 1;
	remac(m);
	if (memcmp(msgs[0] + 40, m + 40, 48) != 0) {
		TEST_ASSERT_EQUAL(wgjit_noise_check(ctx, m, LEN, &res, NULL, 0),
			WGJIT_NOISE_FORGED, "forged");
		TEST_ASSERT_EQUAL(wgjit_noise_check(ctx, m, LEN, &res, NULL, 0),
			WGJIT_NOISE_FORGED, "forged again");
		wgjit_noise_ctx_stats(ctx, &st);
		TEST_ASSERT_EQUAL(st.ss_misses, 3, "forgeries never cached");
	}
	wgjit_noise_ctx_free(ctx);
	return TEST_SUCCESS;
}

int
main(int argc, char **argv)
{
	static const struct wgjit_test_case cases[] = {
		TEST_CASE(test_identify_wireguard_go),
		TEST_CASE(test_every_bit_flip),
		TEST_CASE(test_tamper_behind_mac1),
		TEST_CASE(test_truncated_and_wrong_type),
		TEST_CASE(test_replay_order),
		TEST_CASE(test_static_static_cache),
		TEST_CASES_END(),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s FIXTURE_DIR\n", argv[0]);
		return 2;
	}
	if (sodium_init() < 0 || load_fixture(argv[1]) != 0) {
		fprintf(stderr, "cannot load the fixture in %s\n", argv[1]);
		return 1;
	}
	return wgjit_test_run("noise_wg", cases);
}
