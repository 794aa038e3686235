/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * Identification cost on one core, measured side by side in one run:
 * raw X25519 (crypto_scalarmult), mac1 alone, identify (mac1 + 1 DH),
 * full check with a warm static-static cache (2nd DH cached) and cold
 * (2 DH), and what a worker under load does instead of a DH: mac1 plus a
 * mac2 check (a wrong, non-zero mac2: the full hash), mac1 plus a cookie
 * reply (cookie MAC and XChaCha20-Poly1305 seal). Prints ops/s and
 * ratios against raw X25519.
 *
 * usage: bench_identify FIXTURE_DIR [SECONDS_PER_ROUND]
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>

#include <pcap/pcap.h>
#include <sodium.h>

#include "wgjit_cookie.h"
#include "wgjit_key.h"
#include "wgjit_test_key.h"
#include "wgjit_noise.h"
#include "wgjit_pkt.h"

#define MAX_MSGS 16

static uint8_t msgs[MAX_MSGS][WGJIT_MSG_INITIATION_LEN];
static unsigned int nb_msgs;
static volatile int sink;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

enum bench_kind {
	RAW_DH, MAC1, IDENTIFY, CHECK_WARM, CHECK_COLD, MAC2, COOKIE,
	NB_KINDS
};

static double
run(enum bench_kind kind, const struct wgjit_noise_responder *resp,
		double seconds)
{
	struct wgjit_noise_ctx *ctx = wgjit_noise_ctx_create(resp,
		kind == CHECK_COLD ? 0 : 64);
	struct wgjit_noise_result res;
	struct wgjit_cookie_checker ck;
	union wgjit_endpoint src;
	uint8_t out[WGJIT_MSG_COOKIE_LEN], pub[32];
	uint8_t m2[WGJIT_MSG_INITIATION_LEN];
	unsigned long n = 0;
	double t0 = now_s(), t;
	int want = kind == IDENTIFY ? WGJIT_NOISE_IDENTIFIED : WGJIT_NOISE_OK;

	memcpy(pub, msgs[0] + 8, 32);
	if (ctx == NULL || wgjit_cookie_checker_init(&ck, resp->public_key) != 0) {
		fprintf(stderr, "bench: no context\n");
		exit(1);
	}
	memset(&src, 0, sizeof(src));
	src.in4.sin_family = AF_INET;
	src.in4.sin_addr.s_addr = htonl(0x0ac80001);
	src.in4.sin_port = htons(40000);
	do {
		for (int i = 0; i < 64; i++, n++) {
			const uint8_t *m = msgs[n % nb_msgs];
			int v = 0;

			switch (kind) {
			case RAW_DH:
				v = crypto_scalarmult(out, resp->private_key,
					pub) == 0 ? WGJIT_NOISE_OK : -1;
				pub[0] ^= out[0] & 1;
				break;
			case MAC1:
				v = wgjit_noise_check_mac1(resp, m,
					WGJIT_MSG_INITIATION_LEN);
				break;
			case IDENTIFY:
				v = wgjit_noise_identify(ctx, m,
					WGJIT_MSG_INITIATION_LEN, &res);
				break;
			case MAC2:
				/* A mac2 nobody made: the whole check runs. */
				memcpy(m2, m, sizeof(m2));
				m2[sizeof(m2) - 1] ^= 1;
				v = wgjit_noise_check_mac1(resp, m2,
					WGJIT_MSG_INITIATION_LEN);
				if (v == WGJIT_NOISE_OK &&
						wgjit_cookie_check_mac2(&ck, m2,
							&src, n))
					v = -1;
				break;
			case COOKIE:
				v = wgjit_noise_check_mac1(resp, m,
					WGJIT_MSG_INITIATION_LEN);
				if (v == WGJIT_NOISE_OK)
					wgjit_cookie_reply(&ck, m, &src, n, out);
				src.in4.sin_port ^= (uint16_t)n;
				break;
			default:
				v = wgjit_noise_check(ctx, m,
					WGJIT_MSG_INITIATION_LEN, &res,
					NULL, 0);
				break;
			}
			if (v != want) {
				fprintf(stderr, "bench: unexpected verdict %d\n",
					v);
				exit(1);
			}
			sink += out[0];
		}
		t = now_s() - t0;
	} while (t < seconds);
	wgjit_noise_ctx_free(ctx);
	wgjit_cookie_checker_clear(&ck);
	return n / t;
}

static int
load(const char *dir, struct wgjit_noise_responder *resp)
{
	char path[512], errbuf[PCAP_ERRBUF_SIZE];
	struct wgjit_pkt_info info;
	struct pcap_pkthdr *h;
	const uint8_t *frame;
	uint8_t priv[32];
	pcap_t *pc;

	snprintf(path, sizeof(path), "%s/gateway.key", dir);
	if (wgjit_test_fixture_key(priv, path) != 0 ||
			wgjit_noise_responder_init(resp, priv) != 0)
		return -1;
	sodium_memzero(priv, sizeof(priv));
	snprintf(path, sizeof(path), "%s/wireguard-go-initiations.pcap", dir);
	pc = pcap_open_offline(path, errbuf);
	if (pc == NULL)
		return -1;
	while (nb_msgs < MAX_MSGS && pcap_next_ex(pc, &h, &frame) == 1)
		if (wgjit_pkt_classify(frame, h->caplen, 51820, &info) ==
				WGJIT_PKT_WG_INITIATION)
			memcpy(msgs[nb_msgs++], frame + info.payload_offset,
				WGJIT_MSG_INITIATION_LEN);
	pcap_close(pc);
	return nb_msgs > 0 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	static const char *const names[] = {
		"raw X25519 (crypto_scalarmult)", "mac1 check",
		"identify (mac1 + 1 DH)", "full check, warm ss cache",
		"full check, cold (2 DH)", "mac1 + mac2 check (no cookie)",
		"mac1 + cookie reply",
	};
	struct wgjit_noise_responder resp;
	double rate[NB_KINDS] = { 0 }, seconds = 1.0;
	int rounds = 3;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FIXTURE_DIR [SECONDS]\n", argv[0]);
		return 2;
	}
	if (argc > 2)
		seconds = atof(argv[2]);
	if (sodium_init() < 0 || load(argv[1], &resp) != 0) {
		fprintf(stderr, "bench: cannot load fixture from %s\n", argv[1]);
		return 1;
	}
	/* Interleave the kinds so that machine noise hits each alike; keep
	 * the best round of each. */
	for (int r = 0; r < rounds; r++)
		for (int k = 0; k < NB_KINDS; k++) {
			double v = run(k, &resp, seconds);

			if (v > rate[k])
				rate[k] = v;
		}
	printf("%-34s %12s %10s\n", "operation (one core)", "ops/s",
		"x raw DH");
	for (int k = 0; k < NB_KINDS; k++)
		printf("%-34s %12.0f %10.3f\n", names[k], rate[k],
			rate[k] / rate[RAW_DH]);
	printf("identify / raw X25519 = %.3f (goal >= 0.90)\n",
		rate[IDENTIFY] / rate[RAW_DH]);
	printf("cookie replies / identifications = %.1f\n",
		rate[COOKIE] / rate[IDENTIFY]);
	wgjit_noise_responder_clear(&resp);
	return 0;
}
