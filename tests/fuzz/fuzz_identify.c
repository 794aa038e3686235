/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * Fuzz target for the worker's untrusted-bytes entry points: frame
 * classification and initiation checking. The first byte picks the mode:
 * bit 0 = a whole Ethernet frame (else a UDP payload), bit 1 = recompute
 * mac1 first so that the fuzzer reaches the DH and AEAD stages. Frames
 * also check that wgjit_pkt_fast_class() agrees with wgjit_pkt_classify(). The
 * responder key is the one the seed corpus (real wireguard-go captures in
 * tests/data) was made for.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <blake2.h>
#include <sodium.h>

#include "wgjit_noise.h"
#include "wgjit_pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* tests/data/gateway.key: a throw-away test key. */
static const char fixture_key[] =
	"6GTlooI5ANMvjDqUDigcgFXzDRP37J3XfctNL3U8iEg=";

static struct wgjit_noise_responder resp;
static struct wgjit_noise_ctx *ctx;

static void
init_once(void)
{
	uint8_t priv[WGJIT_KEY_LEN];

	if (ctx != NULL)
		return;
	if (sodium_init() < 0 ||
			wgjit_key_from_base64(priv, fixture_key) != 0 ||
			wgjit_noise_responder_init(&resp, priv) != 0)
		abort();
	ctx = wgjit_noise_ctx_create(&resp, 16);
	if (ctx == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t buf[2048];
	struct wgjit_pkt_info info;
	struct wgjit_noise_result res;
	const uint8_t *msg;
	size_t len;
	uint8_t mode;

	init_once();
	if (size < 1 || size - 1 > sizeof(buf))
		return 0;
	mode = data[0];
	len = size - 1;
	memcpy(buf, data + 1, len);
	msg = buf;
	if (mode & 1) {
		enum wgjit_pkt_class c = wgjit_pkt_classify(buf, len, 51820,
			&info);
		enum wgjit_pkt_fast fast = wgjit_pkt_fast_class(buf, len, 51820);

		/* The fast path's shortcut must agree with the full parse:
		 * it never hides an initiation or a malformed message. */
		if ((fast == WGJIT_PKT_FAST_OTHER && c != WGJIT_PKT_OTHER &&
				c != WGJIT_PKT_TRUNCATED) ||
				(fast == WGJIT_PKT_FAST_WG_DATA &&
				c != WGJIT_PKT_WG_OTHER))
			abort();

		if (c == WGJIT_PKT_OTHER || c == WGJIT_PKT_WG_OTHER)
			(void)wgjit_pkt_fix_checksums(buf, len, &info);
		if (c != WGJIT_PKT_WG_INITIATION)
			return 0;
		msg = buf + info.payload_offset;
		len = info.payload_len;
	}
	if ((mode & 2) && len == WGJIT_MSG_INITIATION_LEN)
		blake2s((uint8_t *)msg + 116, msg, resp.mac1_key, 16, 116, 32);
	(void)wgjit_noise_check(ctx, msg, len, &res, NULL, 0);
	(void)wgjit_noise_identify(ctx, msg, len, &res);
	return 0;
}
