/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "wgjit_err.h"
#include "wgjit_peer_json.h"


/* A JSON string without embedded NUL; jansson already checked UTF-8. */
static const char *
plain_string(const json_t *v)
{
	const char *s;

	if (!json_is_string(v))
		return NULL;
	s = json_string_value(v);
	if (strlen(s) != json_string_length(v))
		return NULL;
	return s;
}

static int
parse_key(const json_t *v, uint8_t key[WGJIT_KEY_LEN])
{
	const char *s = plain_string(v);

	if (s == NULL)
		return -EINVAL;
	return wgjit_key_from_base64(key, s);
}

/* jansson frees strings without clearing them: clear the preshared key. */
static void
wipe_string(json_t *v)
{
	if (json_is_string(v))
		sodium_memzero((char *)(uintptr_t)json_string_value(v),
				json_string_length(v));
}

static int
parse_allowed_ips(const json_t *arr, struct wgjit_peer *out, char *err,
		size_t errlen)
{
	size_t n, i;

	if (!json_is_array(arr))
		return wgjit_errf(err, errlen, -EINVAL, "allowed_ips: not an array");
	n = json_array_size(arr);
	if (n > WGJIT_PEER_MAX_ALLOWED_IPS)
		return wgjit_errf(err, errlen, -EINVAL, "allowed_ips: %zu entries, at most %d",
				n, WGJIT_PEER_MAX_ALLOWED_IPS);
	for (i = 0; i < n; i++) {
		const char *s = plain_string(json_array_get(arr, i));

		if (s == NULL)
			return wgjit_errf(err, errlen, -EINVAL,
					"allowed_ips[%zu]: not a string", i);
		if (wgjit_allowed_ip_parse(&out->allowed_ips[i], s) != 0)
			return wgjit_errf(err, errlen, -EINVAL,
					"allowed_ips[%zu]: not a CIDR prefix", i);
	}
	out->nb_allowed_ips = n;
	return 0;
}

static int
parse_fields(json_t *root, const uint8_t expect_key[WGJIT_KEY_LEN],
		struct wgjit_peer *out, char *err, size_t errlen)
{
	json_t *v;
	json_int_t ka;
	int ret;

	if (!json_is_object(root))
		return wgjit_errf(err, errlen, -EINVAL, "answer is not a JSON object");

	v = json_object_get(root, "public_key");
	if (v == NULL)
		return wgjit_errf(err, errlen, -EINVAL, "public_key: missing");
	if (parse_key(v, out->public_key) != 0)
		return wgjit_errf(err, errlen, -EINVAL, "public_key: not a base64 key");
	if (sodium_memcmp(out->public_key, expect_key, WGJIT_KEY_LEN) != 0)
		return wgjit_errf(err, errlen, -EINVAL,
				"public_key: does not match the key asked");

	v = json_object_get(root, "allowed_ips");
	if (v == NULL)
		return wgjit_errf(err, errlen, -EINVAL, "allowed_ips: missing");
	ret = parse_allowed_ips(v, out, err, errlen);
	if (ret != 0)
		return ret;

	v = json_object_get(root, "preshared_key");
	if (v != NULL && !json_is_null(v)) {
		if (parse_key(v, out->preshared_key) != 0)
			return wgjit_errf(err, errlen, -EINVAL,
					"preshared_key: not a base64 key");
		out->flags |= WGJIT_PEER_HAS_PRESHARED_KEY;
	}

	v = json_object_get(root, "persistent_keepalive");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_integer(v))
			return wgjit_errf(err, errlen, -EINVAL,
					"persistent_keepalive: not an integer");
		ka = json_integer_value(v);
		if (ka < 0 || ka > UINT16_MAX)
			return wgjit_errf(err, errlen, -EINVAL,
					"persistent_keepalive: %lld out of 0..65535",
					(long long)ka);
		out->persistent_keepalive = ka;
		out->flags |= WGJIT_PEER_HAS_KEEPALIVE;
	}
	return 0;
}

int
wgjit_peer_json_parse(const char *buf, size_t len,
		const uint8_t expect_key[WGJIT_KEY_LEN], struct wgjit_peer *out,
		char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root;
	int ret;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (out == NULL || expect_key == NULL || (buf == NULL && len > 0))
		return wgjit_errf(err, errlen, -EINVAL, "bad arguments");
	memset(out, 0, sizeof(*out));
	if (buf == NULL)
		return wgjit_errf(err, errlen, -EINVAL, "empty answer");

	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		/* jerr.text may quote the input: report the position only. */
		if (json_error_code(&jerr) == json_error_out_of_memory) {
			return wgjit_errf(err, errlen, -ENOMEM,
					"out of memory");
		}
		return wgjit_errf(err, errlen, -EINVAL,
				"not JSON (line %d, column %d)", jerr.line,
				jerr.column);
	}
	ret = parse_fields(root, expect_key, out, err, errlen);
	if (json_is_object(root))
		wipe_string(json_object_get(root, "preshared_key"));
	json_decref(root);
	if (ret != 0)
		wgjit_peer_clear(out);
	return ret;
}
