/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "wgjit_peer_json.h"
#include "wgjit_test.h"

static uint8_t key[WGJIT_KEY_LEN];
static uint8_t psk[WGJIT_KEY_LEN];
static char key_b64[WGJIT_KEY_B64_SIZE];
static char psk_b64[WGJIT_KEY_B64_SIZE];
static char err[WGJIT_PEER_JSON_ERR_SIZE];
static struct wgjit_peer peer;

static void
init_keys(void)
{
	for (int i = 0; i < WGJIT_KEY_LEN; i++) {
		key[i] = i + 1;
		psk[i] = 0xa0 + i;
	}
	wgjit_key_to_base64(key_b64, key);
	wgjit_key_to_base64(psk_b64, psk);
}

static int
parse(const char *doc)
{
	return wgjit_peer_json_parse(doc, strlen(doc), key, &peer, err,
			sizeof(err));
}

/* Parse a document with the right key put in for "%s"; expect -EINVAL and
 * an error that contains @p want. */
static int
expect_reject(const char *fmt, const char *want)
{
	char doc[1024];
	int ret;

	snprintf(doc, sizeof(doc), fmt, key_b64);
	ret = parse(doc);
	TEST_ASSERT_EQUAL(ret, -EINVAL, "document accepted: %s", doc);
	TEST_ASSERT(strstr(err, want) != NULL, "error '%s' lacks '%s' for %s",
			err, want, doc);
	TEST_ASSERT(wgjit_key_is_zero(peer.public_key) && peer.flags == 0 &&
			peer.nb_allowed_ips == 0, "peer not cleared: %s", doc);
	return TEST_SUCCESS;
}

static int
test_valid_full(void)
{
	char doc[512], txt[WGJIT_ALLOWED_IP_STR_SIZE];

	snprintf(doc, sizeof(doc), "{\"public_key\": \"%s\", \"allowed_ips\": "
			"[\"10.1.0.2/32\", \"fd00::2/128\", \"10.8.0.0/16\"], "
			"\"preshared_key\": \"%s\", \"persistent_keepalive\": 25, "
			"\"comment\": {\"ignored\": [1, 2]}}", key_b64, psk_b64);
	TEST_ASSERT_EQUAL(parse(doc), 0, "valid document rejected: %s", err);
	TEST_ASSERT_MEM_EQUAL(peer.public_key, key, WGJIT_KEY_LEN, "key");
	TEST_ASSERT_MEM_EQUAL(peer.preshared_key, psk, WGJIT_KEY_LEN, "psk");
	TEST_ASSERT_EQUAL(peer.flags, WGJIT_PEER_HAS_PRESHARED_KEY |
			WGJIT_PEER_HAS_KEEPALIVE, "flags");
	TEST_ASSERT_EQUAL(peer.persistent_keepalive, 25, "keepalive");
	TEST_ASSERT_EQUAL(peer.nb_allowed_ips, 3, "allowed ip count");
	wgjit_allowed_ip_format(txt, &peer.allowed_ips[0]);
	TEST_ASSERT(strcmp(txt, "10.1.0.2/32") == 0, "aip0 %s", txt);
	wgjit_allowed_ip_format(txt, &peer.allowed_ips[1]);
	TEST_ASSERT(strcmp(txt, "fd00::2/128") == 0, "aip1 %s", txt);
	wgjit_allowed_ip_format(txt, &peer.allowed_ips[2]);
	TEST_ASSERT(strcmp(txt, "10.8.0.0/16") == 0, "aip2 %s", txt);
	wgjit_peer_clear(&peer);
	return TEST_SUCCESS;
}

static int
test_valid_minimal(void)
{
	char doc[256];

	/* Empty list, nulls for the optional fields, not NUL-terminated. */
	snprintf(doc, sizeof(doc), "{\"public_key\":\"%s\",\"allowed_ips\":[],"
			"\"preshared_key\":null,\"persistent_keepalive\":null}XYZ",
			key_b64);
	TEST_ASSERT_EQUAL(wgjit_peer_json_parse(doc, strlen(doc) - 3, key,
			&peer, err, sizeof(err)), 0, "rejected: %s", err);
	TEST_ASSERT_EQUAL(peer.flags, 0, "no optional field");
	TEST_ASSERT_EQUAL(peer.nb_allowed_ips, 0, "no allowed ips");
	/* Boundaries of the keepalive range. */
	snprintf(doc, sizeof(doc), "{\"public_key\":\"%s\",\"allowed_ips\":[],"
			"\"persistent_keepalive\":65535}", key_b64);
	TEST_ASSERT_EQUAL(parse(doc), 0, "65535 rejected: %s", err);
	TEST_ASSERT_EQUAL(peer.persistent_keepalive, 65535, "keepalive");
	snprintf(doc, sizeof(doc), "{\"public_key\":\"%s\",\"allowed_ips\":[],"
			"\"persistent_keepalive\":0}", key_b64);
	TEST_ASSERT_EQUAL(parse(doc), 0, "0 rejected: %s", err);
	TEST_ASSERT_EQUAL(peer.flags, WGJIT_PEER_HAS_KEEPALIVE, "flag");
	return TEST_SUCCESS;
}

static int
test_bad_public_key(void)
{
	char doc[256], other_b64[WGJIT_KEY_B64_SIZE];
	uint8_t other[WGJIT_KEY_LEN];

	if (expect_reject("{\"allowed_ips\": []}%.0s", "public_key: missing") ||
			expect_reject("{\"public_key\": 5, \"allowed_ips\": []}%.0s",
				"public_key: not a base64 key") ||
			expect_reject("{\"public_key\": \"abc\", \"allowed_ips\": []}%.0s",
				"public_key: not a base64 key") ||
			expect_reject("{\"public_key\": [\"%s\"], \"allowed_ips\": []}",
				"public_key: not a base64 key") ||
			expect_reject("{\"public_key\": \"%s\", \"public_key\": \"x\", "
				"\"allowed_ips\": []}", "not JSON"))
		return TEST_FAILED;
	/* A valid key, but not the one asked. */
	memcpy(other, key, sizeof(other));
	other[31] ^= 1;
	wgjit_key_to_base64(other_b64, other);
	snprintf(doc, sizeof(doc), "{\"public_key\": \"%s\", \"allowed_ips\": []}",
			other_b64);
	TEST_ASSERT_EQUAL(parse(doc), -EINVAL, "mismatched key accepted");
	TEST_ASSERT(strstr(err, "does not match") != NULL, "err %s", err);
	/* Key text with an embedded NUL escape. */
	snprintf(doc, sizeof(doc), "{\"public_key\": \"%.43s\\u0000\", "
			"\"allowed_ips\": []}", key_b64);
	TEST_ASSERT_EQUAL(parse(doc), -EINVAL, "NUL escape accepted");
	return TEST_SUCCESS;
}

static int
test_bad_allowed_ips(void)
{
	static const char *const cases[][2] = {
		{ "{\"public_key\": \"%s\"}", "allowed_ips: missing" },
		{ "{\"public_key\": \"%s\", \"allowed_ips\": \"10.0.0.1/32\"}",
			"allowed_ips: not an array" },
		{ "{\"public_key\": \"%s\", \"allowed_ips\": [7]}",
			"allowed_ips[0]: not a string" },
		{ "{\"public_key\": \"%s\", \"allowed_ips\": [\"10.0.0.1/32\", null]}",
			"allowed_ips[1]: not a string" },
		{ "{\"public_key\": \"%s\", \"allowed_ips\": [\"10.0.0.1/33\"]}",
			"allowed_ips[0]: not a CIDR" },
		{ "{\"public_key\": \"%s\", \"allowed_ips\": [\"10.0.0.1/24\"]}",
			"allowed_ips[0]: not a CIDR" },
		{ "{\"public_key\": \"%s\", \"allowed_ips\": [\"10.0.0.300/32\"]}",
			"allowed_ips[0]: not a CIDR" },
		{ "{\"public_key\": \"%s\", \"allowed_ips\": [\"fd00::1/-1\"]}",
			"allowed_ips[0]: not a CIDR" },
		{ "{\"public_key\": \"%s\", \"allowed_ips\": [\"\"]}",
			"allowed_ips[0]: not a CIDR" },
		{ "{\"public_key\": \"%s\", \"allowed_ips\": [\"10.0.0.1/32\\u0000\"]}",
			"not JSON" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (expect_reject(cases[i][0], cases[i][1]) != TEST_SUCCESS)
			return TEST_FAILED;
	return TEST_SUCCESS;
}

static int
test_bad_optional(void)
{
	static const char *const cases[][2] = {
		{ "{\"public_key\": \"%s\", \"allowed_ips\": [], "
			"\"preshared_key\": 1}", "preshared_key: not a base64 key" },
		{ "{\"public_key\": \"%s\", \"allowed_ips\": [], "
			"\"preshared_key\": \"short\"}", "preshared_key: not a base64" },
		{ "{\"public_key\": \"%s\", \"allowed_ips\": [], "
			"\"persistent_keepalive\": 65536}", "out of 0..65535" },
		{ "{\"public_key\": \"%s\", \"allowed_ips\": [], "
			"\"persistent_keepalive\": -1}", "out of 0..65535" },
		{ "{\"public_key\": \"%s\", \"allowed_ips\": [], "
			"\"persistent_keepalive\": 2.5}", "not an integer" },
		{ "{\"public_key\": \"%s\", \"allowed_ips\": [], "
			"\"persistent_keepalive\": \"25\"}", "not an integer" },
		{ "{\"public_key\": \"%s\", \"allowed_ips\": [], "
			"\"persistent_keepalive\": true}", "not an integer" },
		{ "{\"public_key\": \"%s\", \"allowed_ips\": [], "
			"\"persistent_keepalive\": 99999999999999999999999}", "not JSON" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (expect_reject(cases[i][0], cases[i][1]) != TEST_SUCCESS)
			return TEST_FAILED;
	return TEST_SUCCESS;
}

/* Build a document with @p n allowed IPs into @p doc; returns its length. */
static size_t
build_many(char *doc, size_t cap, int n)
{
	size_t len;

	len = snprintf(doc, cap, "{\"public_key\": \"%s\", \"allowed_ips\": [",
			key_b64);
	for (int i = 0; i < n && len < cap; i++)
		len += snprintf(doc + len, cap - len, "%s\"10.%d.%d.0/24\"",
				i ? "," : "", (i >> 8) & 0xff, i & 0xff);
	if (len < cap)
		len += snprintf(doc + len, cap - len, "]}");
	return len;
}

static int
test_huge_allowed_ips(void)
{
	static const int counts[] = { WGJIT_PEER_MAX_ALLOWED_IPS,
		WGJIT_PEER_MAX_ALLOWED_IPS + 1, 100000 };
	size_t cap = 64 + 20 * 100000, len;
	char *doc = malloc(cap);
	int ret[3];

	TEST_ASSERT(doc != NULL, "malloc");
	for (int i = 0; i < 3; i++) {
		len = build_many(doc, cap, counts[i]);
		ret[i] = len < cap ? wgjit_peer_json_parse(doc, len, key, &peer,
				err, sizeof(err)) : -E2BIG;
		if (i == 0 && ret[0] == 0 &&
				peer.nb_allowed_ips != WGJIT_PEER_MAX_ALLOWED_IPS)
			ret[0] = -ERANGE;
		if (i > 0 && strstr(err, "at most") == NULL)
			ret[i] = -ERANGE;
	}
	free(doc);
	TEST_ASSERT_EQUAL(ret[0], 0, "%d entries rejected", counts[0]);
	TEST_ASSERT_EQUAL(ret[1], -EINVAL, "%d entries accepted", counts[1]);
	TEST_ASSERT_EQUAL(ret[2], -EINVAL, "%d entries accepted", counts[2]);
	return TEST_SUCCESS;
}

static int
test_junk(void)
{
	static const char *const docs[] = {
		"",
		"null",
		"[]",
		"\"str\"",
		"42",
		"{",
		"{\"public_key\": \"\xff\xfe\"}",
		"\xff\xfe{\"public_key\": \x00junk\x80",
		"{\"a\":1} trailing",
	};
	uint8_t rnd[4096];
	uint32_t seed = 12345;

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		size_t len = i == 7 ? 25 : strlen(docs[i]);

		TEST_ASSERT_EQUAL(wgjit_peer_json_parse(docs[i], len, key, &peer,
				err, sizeof(err)), -EINVAL, "junk %zu accepted", i);
		TEST_ASSERT(err[0] != '\0', "junk %zu: empty error", i);
	}
	TEST_ASSERT_EQUAL(wgjit_peer_json_parse(NULL, 0, key, &peer, err,
			sizeof(err)), -EINVAL, "NULL accepted");
	/* Small errlen and NULL err must be safe. */
	TEST_ASSERT_EQUAL(wgjit_peer_json_parse("{", 1, key, &peer, err, 4),
			-EINVAL, "short err buffer");
	TEST_ASSERT(strlen(err) == 3, "err not truncated: %zu", strlen(err));
	TEST_ASSERT_EQUAL(wgjit_peer_json_parse("{", 1, key, &peer, NULL, 0),
			-EINVAL, "NULL err");
	/* Random bytes (fixed seed): never accepted, never crash. */
	for (int round = 0; round < 2000; round++) {
		size_t len = 1 + round % sizeof(rnd);

		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245 + 12345;
			rnd[i] = seed >> 16;
		}
		if (round % 2)
			rnd[0] = '{';
		TEST_ASSERT_EQUAL(wgjit_peer_json_parse((const char *)rnd, len,
				key, &peer, err, sizeof(err)), -EINVAL,
				"random round %d accepted", round);
	}
	return TEST_SUCCESS;
}

static int
test_error_hides_keys(void)
{
	char doc[256];

	/* A broken document right after the preshared key: the error text
	 * must not quote any of it. */
	snprintf(doc, sizeof(doc), "{\"public_key\": \"%s\", \"allowed_ips\": "
			"[], \"preshared_key\": \"%s\" junk", key_b64, psk_b64);
	TEST_ASSERT_EQUAL(parse(doc), -EINVAL, "accepted");
	TEST_ASSERT(strstr(err, "not JSON") != NULL, "err %s", err);
	TEST_ASSERT(strstr(err, psk_b64) == NULL && strstr(err, "junk") == NULL,
			"error quotes the input: %s", err);
	return TEST_SUCCESS;
}

static const struct wgjit_test_case cases[] = {
	TEST_CASE(test_valid_full),
	TEST_CASE(test_valid_minimal),
	TEST_CASE(test_bad_public_key),
	TEST_CASE(test_bad_allowed_ips),
	TEST_CASE(test_bad_optional),
	TEST_CASE(test_huge_allowed_ips),
	TEST_CASE(test_junk),
	TEST_CASE(test_error_hides_keys),
	TEST_CASES_END(),
};

int
main(void)
{
	init_keys();
	return wgjit_test_run("peer_json", cases);
}
