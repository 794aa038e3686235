/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "wgjit_err.h"
#include "wgjit_key.h"
#include "wgjit_secret.h"

_Static_assert(WGJIT_KEY_HASH_SECRET_LEN == crypto_shorthash_KEYBYTES,
	"SipHash key size");

int
wgjit_key_from_base64(uint8_t key[WGJIT_KEY_LEN], const char *b64)
{
	size_t bin_len = 0;
	const char *end = NULL;

	if (b64 == NULL || strlen(b64) != WGJIT_KEY_B64_SIZE - 1 ||
			b64[WGJIT_KEY_B64_SIZE - 2] != '=')
		return -EINVAL;
	if (sodium_base642bin(key, WGJIT_KEY_LEN, b64, WGJIT_KEY_B64_SIZE - 1,
			NULL, &bin_len, &end,
			sodium_base64_VARIANT_ORIGINAL) != 0 ||
			bin_len != WGJIT_KEY_LEN || *end != '\0')
		return -EINVAL;
	return 0;
}

void
wgjit_key_to_base64(char out[WGJIT_KEY_B64_SIZE],
		const uint8_t key[WGJIT_KEY_LEN])
{
	sodium_bin2base64(out, WGJIT_KEY_B64_SIZE, key, WGJIT_KEY_LEN,
			sodium_base64_VARIANT_ORIGINAL);
}

void
wgjit_key_to_base64url(char out[WGJIT_KEY_B64URL_SIZE],
		const uint8_t key[WGJIT_KEY_LEN])
{
	sodium_bin2base64(out, WGJIT_KEY_B64URL_SIZE, key, WGJIT_KEY_LEN,
			sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void
wgjit_key_to_hex(char out[WGJIT_KEY_HEX_SIZE], const uint8_t key[WGJIT_KEY_LEN])
{
	sodium_bin2hex(out, WGJIT_KEY_HEX_SIZE, key, WGJIT_KEY_LEN);
}

int
wgjit_key_from_hex(uint8_t key[WGJIT_KEY_LEN], const char *hex)
{
	size_t bin_len = 0;
	const char *end = NULL;

	if (hex == NULL || strlen(hex) != WGJIT_KEY_HEX_SIZE - 1)
		return -EINVAL;
	if (sodium_hex2bin(key, WGJIT_KEY_LEN, hex, WGJIT_KEY_HEX_SIZE - 1,
			NULL, &bin_len, &end) != 0 ||
			bin_len != WGJIT_KEY_LEN || *end != '\0')
		return -EINVAL;
	return 0;
}

int
wgjit_key_read_file(uint8_t key[WGJIT_KEY_LEN], const char *path, char *err,
		size_t errlen)
{
	char buf[128];
	size_t start = 0, stop;
	int n, ret = 0;

	n = wgjit_secret_read(path, buf, sizeof(buf), err, errlen);
	if (n < 0)
		return n;
	while (start < (size_t)n && isspace((unsigned char)buf[start]))
		start++;
	stop = start;
	while (stop < (size_t)n && !isspace((unsigned char)buf[stop]))
		stop++;
	for (size_t i = stop; i < (size_t)n; i++)
		if (!isspace((unsigned char)buf[i]))
			ret = -EINVAL;
	buf[stop] = '\0';
	if (ret == 0)
		ret = wgjit_key_from_base64(key, buf + start);
	if (ret < 0)
		wgjit_errf(err, errlen, ret, "%s does not hold one base64 key",
			path);
	sodium_memzero(buf, sizeof(buf));
	return ret;
}

int
wgjit_key_public(uint8_t pub[WGJIT_KEY_LEN], const uint8_t priv[WGJIT_KEY_LEN])
{
	return crypto_scalarmult_base(pub, priv) == 0 ? 0 : -EINVAL;
}

int
wgjit_key_is_zero(const uint8_t key[WGJIT_KEY_LEN])
{
	return sodium_is_zero(key, WGJIT_KEY_LEN);
}

uint32_t
wgjit_key_hash(const uint8_t key[WGJIT_KEY_LEN],
		const uint8_t secret[WGJIT_KEY_HASH_SECRET_LEN])
{
	uint8_t h[crypto_shorthash_BYTES];
	uint32_t v;

	crypto_shorthash(h, key, WGJIT_KEY_LEN, secret);
	memcpy(&v, h, sizeof(v));
	return v;
}

void
wgjit_key_hash_secret(uint8_t secret[WGJIT_KEY_HASH_SECRET_LEN])
{
	randombytes_buf(secret, WGJIT_KEY_HASH_SECRET_LEN);
}
