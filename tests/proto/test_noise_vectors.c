/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * Known answers from implementations we did not write: the Cacophony
 * Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s vector (tests/data/README.md), and the
 * WireGuard constants published alongside it.
 */

#include <stdlib.h>
#include <string.h>

#include <blake2.h>
#include <jansson.h>
#include <sodium.h>

#include "wgjit_noise.h"
#include "wgjit_test.h"

static const char *vectors_path;

static int
hex_field(json_t *obj, const char *name, uint8_t *out, size_t size,
		size_t *len)
{
	const char *hex = json_string_value(json_object_get(obj, name));
	size_t n = 0;

	if (hex == NULL || sodium_hex2bin(out, size, hex, strlen(hex), NULL,
			&n, NULL) != 0)
		return -1;
	if (len != NULL)
		*len = n;
	return 0;
}

static int
test_cacophony_first_message(void)
{
	struct wgjit_noise_responder resp;
	struct wgjit_noise_result res;
	struct wgjit_noise_ctx *ctx;
	uint8_t resp_priv[32], init_priv[32], init_pub[32], prologue[64];
	uint8_t msg[256], payload[64], got[64];
	size_t prologue_len, msg_len, payload_len;
	json_error_t jerr;
	json_t *root, *v, *m0;
	const char *proto;
	enum wgjit_noise_verdict verdict;

	root = json_load_file(vectors_path, 0, &jerr);
	TEST_ASSERT(root != NULL, "cannot read %s: %s", vectors_path,
		jerr.text);
	v = json_array_get(root, 0);
	proto = json_string_value(json_object_get(v, "protocol_name"));
	TEST_ASSERT(proto != NULL && strcmp(proto,
		"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s") == 0, "protocol");
	TEST_ASSERT(hex_field(v, "resp_static", resp_priv, 32, NULL) == 0,
		"resp_static");
	TEST_ASSERT(hex_field(v, "init_static", init_priv, 32, NULL) == 0,
		"init_static");
	TEST_ASSERT(hex_field(v, "resp_prologue", prologue, sizeof(prologue),
		&prologue_len) == 0, "prologue");
	m0 = json_array_get(json_object_get(v, "messages"), 0);
	TEST_ASSERT(hex_field(m0, "ciphertext", msg, sizeof(msg),
		&msg_len) == 0, "ciphertext");
	TEST_ASSERT(hex_field(m0, "payload", payload, sizeof(payload),
		&payload_len) == 0, "payload");
	TEST_ASSERT(crypto_scalarmult_base(init_pub, init_priv) == 0, "pub");

	TEST_ASSERT_EQUAL(wgjit_noise_responder_init_generic(&resp, resp_priv,
		proto, prologue, prologue_len), 0, "init");
	ctx = wgjit_noise_ctx_create(&resp, 16);
	TEST_ASSERT(ctx != NULL, "ctx");
	memset(got, 0, sizeof(got));
	verdict = wgjit_noise_check(ctx, msg, msg_len, &res, got, sizeof(got));
	TEST_ASSERT_EQUAL(verdict, WGJIT_NOISE_OK, "verdict %s",
		wgjit_noise_verdict_name(verdict));
	TEST_ASSERT_MEM_EQUAL(res.public_key, init_pub, 32, "initiator key");
	TEST_ASSERT_EQUAL(msg_len - 96, payload_len, "payload length");
	TEST_ASSERT_MEM_EQUAL(got, payload, payload_len, "payload");

	/* Identify alone recovers the same key with one DH. */
	memset(&res, 0, sizeof(res));
	verdict = wgjit_noise_identify(ctx, msg, msg_len, &res);
	TEST_ASSERT_EQUAL(verdict, WGJIT_NOISE_IDENTIFIED, "identify");
	TEST_ASSERT_MEM_EQUAL(res.public_key, init_pub, 32, "identify key");

	/* A wrong prologue must not authenticate. */
	wgjit_noise_ctx_free(ctx);
	prologue[0] ^= 1;
	TEST_ASSERT_EQUAL(wgjit_noise_responder_init_generic(&resp, resp_priv,
		proto, prologue, prologue_len), 0, "init");
	ctx = wgjit_noise_ctx_create(&resp, 16);
	verdict = wgjit_noise_check(ctx, msg, msg_len, &res, NULL, 0);
	TEST_ASSERT_EQUAL(verdict, WGJIT_NOISE_BAD_STATIC, "wrong prologue");
	wgjit_noise_ctx_free(ctx);
	wgjit_noise_responder_clear(&resp);
	json_decref(root);
	return TEST_SUCCESS;
}

static int
test_wireguard_constants(void)
{
	/* tests/data/README.md, computed from the published names. */
	static const char ck_hex[] =
		"60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36";
	static const char h_hex[] =
		"2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3";
	struct wgjit_noise_responder resp;
	uint8_t priv[32], ck[32], h0_pub[64], h[32];

	memset(priv, 0x42, sizeof(priv));
	TEST_ASSERT_EQUAL(wgjit_noise_responder_init(&resp, priv), 0, "init");
	sodium_hex2bin(ck, 32, ck_hex, 64, NULL, NULL, NULL);
	TEST_ASSERT_MEM_EQUAL(resp.chaining_key, ck, 32, "initial chain key");
	/* The responder keeps H = HASH(H0 || responder public key). */
	sodium_hex2bin(h0_pub, 32, h_hex, 64, NULL, NULL, NULL);
	memcpy(h0_pub + 32, resp.public_key, 32);
	TEST_ASSERT_EQUAL(blake2s(h, h0_pub, NULL, 32, 64, 0), 0, "blake2s");
	TEST_ASSERT_MEM_EQUAL(resp.hash, h, 32, "initial hash");
	wgjit_noise_responder_clear(&resp);
	return TEST_SUCCESS;
}

int
main(int argc, char **argv)
{
	static const struct wgjit_test_case cases[] = {
		TEST_CASE(test_cacophony_first_message),
		TEST_CASE(test_wireguard_constants),
		TEST_CASES_END(),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s VECTORS.json\n", argv[0]);
		return 2;
	}
	vectors_path = argv[1];
	if (sodium_init() < 0)
		return 1;
	return wgjit_test_run("noise_vectors", cases);
}
