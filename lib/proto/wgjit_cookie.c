/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <blake2.h>
#include <sodium.h>

#include "wgjit_cookie.h"

static const char label_cookie[] = "cookie--";

#define NS_PER_S 1000000000ull

_Static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES ==
	WGJIT_MSG_COOKIE_NONCE_LEN, "XChaCha20 nonce size");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES ==
	WGJIT_MSG_AEAD_TAG_LEN, "Poly1305 tag size");
_Static_assert(sizeof(((struct wgjit_cookie_checker *)0)->nonce_prefix) ==
	crypto_core_hchacha20_INPUTBYTES, "HChaCha20 takes the nonce prefix");
_Static_assert(crypto_aead_chacha20poly1305_ietf_NPUBBYTES == 4 + 8,
	"XChaCha20's IETF nonce: four zero bytes, the nonce's last eight");

/* 32 fresh bytes: keyed BLAKE2s of a counter (a generator, no syscall). */
static void
drbg(struct wgjit_cookie_checker *c, uint8_t out[WGJIT_KEY_LEN])
{
	uint64_t n = c->drbg_counter++;

	blake2s(out, &n, c->drbg_key, WGJIT_KEY_LEN, sizeof(n),
		WGJIT_KEY_LEN);
}

/* HASH("cookie--" || pub). */
static void
encryption_key(uint8_t key[WGJIT_KEY_LEN], const uint8_t pub[WGJIT_KEY_LEN])
{
	blake2s_state st;

	blake2s_init(&st, WGJIT_KEY_LEN);
	blake2s_update(&st, (const uint8_t *)label_cookie,
		sizeof(label_cookie) - 1);
	blake2s_update(&st, pub, WGJIT_KEY_LEN);
	blake2s_final(&st, key, WGJIT_KEY_LEN);
}

int
wgjit_cookie_checker_init(struct wgjit_cookie_checker *c,
		const uint8_t pub[WGJIT_KEY_LEN])
{
	if (sodium_init() < 0)
		return -EIO;
	memset(c, 0, sizeof(*c));
	encryption_key(c->encryption_key, pub);
	randombytes_buf(c->drbg_key, sizeof(c->drbg_key));
	randombytes_buf(c->nonce_prefix, sizeof(c->nonce_prefix));
	if (crypto_core_hchacha20(c->reply_subkey, c->nonce_prefix,
			c->encryption_key, NULL) != 0)
		return -EIO;
	return 0;
}

void
wgjit_cookie_checker_clear(struct wgjit_cookie_checker *c)
{
	sodium_memzero(c, sizeof(*c));
}

static void
refresh_secret(struct wgjit_cookie_checker *c, uint64_t now_ns)
{
	uint8_t secret[WGJIT_KEY_LEN];

	if (c->secret_born_ns != 0 &&
			now_ns - c->secret_born_ns <
			WGJIT_COOKIE_SECRET_MAX_AGE_S * NS_PER_S)
		return;
	if (c->secret_born_ns != 0) {
		c->prev_secret = c->secret;
		c->prev_born_ns = c->secret_born_ns;
	}
	drbg(c, secret);
	wgjit_mac_key_init(&c->secret, secret, sizeof(secret));
	sodium_memzero(secret, sizeof(secret));
	/* 0 means "none yet": a clock at 0 still gets a secret next time. */
	c->secret_born_ns = now_ns != 0 ? now_ns : 1;
}

/* The cookie of @p src under @p secret. */
static void
cookie_of(const struct wgjit_mac_key *secret, const union wgjit_endpoint *src,
		uint8_t cookie[WGJIT_MSG_MAC_LEN])
{
	uint8_t in[16 + 2];
	size_t n;

	if (src->sa.sa_family == AF_INET6) {
		memcpy(in, src->in6.sin6_addr.s6_addr, 16);
		n = 16;
	} else {
		memcpy(in, &src->in4.sin_addr, 4);
		n = 4;
	}
	/* The port as on the wire (network order) in both families. */
	memcpy(in + n, &src->in4.sin_port, sizeof(src->in4.sin_port));
	wgjit_mac(secret, in, n + sizeof(src->in4.sin_port), cookie);
}

void
wgjit_cookie_make(struct wgjit_cookie_checker *c,
		const union wgjit_endpoint *src, uint64_t now_ns,
		uint8_t cookie[WGJIT_MSG_MAC_LEN])
{
	refresh_secret(c, now_ns);
	cookie_of(&c->secret, src, cookie);
}

void
wgjit_cookie_mac2(const uint8_t cookie[WGJIT_MSG_MAC_LEN],
		const uint8_t *msg, uint8_t mac2[WGJIT_MSG_MAC_LEN])
{
	blake2s(mac2, msg, cookie, WGJIT_MSG_MAC_LEN,
		offsetof(struct wgjit_msg_initiation, mac2), WGJIT_MSG_MAC_LEN);
}

bool
wgjit_cookie_check_mac2(struct wgjit_cookie_checker *c, const uint8_t *msg,
		const union wgjit_endpoint *src, uint64_t now_ns)
{
	const struct wgjit_msg_initiation *m =
		(const struct wgjit_msg_initiation *)msg;
	uint8_t cookie[WGJIT_MSG_MAC_LEN], mac2[WGJIT_MSG_MAC_LEN];
	bool ok;

	if (wgjit_mac_is_zero(m->mac2))
		return false;
	wgjit_cookie_make(c, src, now_ns, cookie);
	wgjit_cookie_mac2(cookie, msg, mac2);
	ok = wgjit_mac_equal(mac2, m->mac2);
	/* Just after a new secret: the retry of a client that got its
	 * cookie a moment before still proves its source. */
	if (!ok && c->prev_born_ns != 0 && now_ns - c->prev_born_ns <
			(WGJIT_COOKIE_SECRET_MAX_AGE_S +
			 WGJIT_COOKIE_PREV_GRACE_S) * NS_PER_S) {
		cookie_of(&c->prev_secret, src, cookie);
		wgjit_cookie_mac2(cookie, msg, mac2);
		ok = wgjit_mac_equal(mac2, m->mac2);
	}
	sodium_memzero(cookie, sizeof(cookie));
	sodium_memzero(mac2, sizeof(mac2));
	return ok;
}

void
wgjit_cookie_seal_reply(const uint8_t key[WGJIT_KEY_LEN],
		uint32_t receiver_index_le,
		const uint8_t nonce[WGJIT_MSG_COOKIE_NONCE_LEN],
		const uint8_t cookie[WGJIT_MSG_MAC_LEN],
		const uint8_t mac1[WGJIT_MSG_MAC_LEN],
		uint8_t out[WGJIT_MSG_COOKIE_LEN])
{
	struct wgjit_msg_cookie *r = (struct wgjit_msg_cookie *)out;

	memset(r, 0, sizeof(*r));
	r->type = WGJIT_MSG_COOKIE;
	memcpy(r->receiver_index, &receiver_index_le,
		sizeof(r->receiver_index));
	memcpy(r->nonce, nonce, sizeof(r->nonce));
	crypto_aead_xchacha20poly1305_ietf_encrypt(r->encrypted_cookie, NULL,
		cookie, WGJIT_MSG_MAC_LEN, mac1, WGJIT_MSG_MAC_LEN, NULL,
		r->nonce, key);
}

void
wgjit_cookie_reply(struct wgjit_cookie_checker *c, const uint8_t *msg,
		const union wgjit_endpoint *src, uint64_t now_ns,
		uint8_t out[WGJIT_MSG_COOKIE_LEN])
{
	const struct wgjit_msg_initiation *m =
		(const struct wgjit_msg_initiation *)msg;
	struct wgjit_msg_cookie *r = (struct wgjit_msg_cookie *)out;
	uint8_t cookie[WGJIT_MSG_MAC_LEN];
	uint8_t ietf_nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES] = {0};
	uint64_t n = c->nonce_counter++;

	wgjit_cookie_make(c, src, now_ns, cookie);
	memset(r, 0, sizeof(*r));
	r->type = WGJIT_MSG_COOKIE;
	memcpy(r->receiver_index, m->sender_index, sizeof(r->receiver_index));
	memcpy(r->nonce, c->nonce_prefix, sizeof(c->nonce_prefix));
	memcpy(r->nonce + sizeof(c->nonce_prefix), &n, sizeof(n));
	/* What wgjit_cookie_seal_reply() makes of r->nonce, its HChaCha20
	 * done once at init (test_cookie compares the two). */
	memcpy(ietf_nonce + 4, &n, sizeof(n));
	crypto_aead_chacha20poly1305_ietf_encrypt(r->encrypted_cookie, NULL,
		cookie, WGJIT_MSG_MAC_LEN, m->mac1, WGJIT_MSG_MAC_LEN, NULL,
		ietf_nonce, c->reply_subkey);
	sodium_memzero(cookie, sizeof(cookie));
}

int
wgjit_cookie_open_reply(const uint8_t pub[WGJIT_KEY_LEN],
		const uint8_t reply[WGJIT_MSG_COOKIE_LEN],
		const uint8_t mac1[WGJIT_MSG_MAC_LEN],
		uint8_t cookie[WGJIT_MSG_MAC_LEN])
{
	const struct wgjit_msg_cookie *r =
		(const struct wgjit_msg_cookie *)reply;
	uint8_t key[WGJIT_KEY_LEN];
	int ret;

	encryption_key(key, pub);
	ret = crypto_aead_xchacha20poly1305_ietf_decrypt(cookie, NULL, NULL,
		r->encrypted_cookie, sizeof(r->encrypted_cookie), mac1,
		WGJIT_MSG_MAC_LEN, r->nonce, key);
	sodium_memzero(key, sizeof(key));
	return ret == 0 ? 0 : -EBADMSG;
}
