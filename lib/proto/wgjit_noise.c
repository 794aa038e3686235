/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <blake2.h>
#include <sodium.h>

#include "wgjit_noise.h"
#include "wgjit_secret.h"

/* Names exactly as the WireGuard paper and the Noise framework give them. */
static const char handshake_name[] = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
static const char identifier_name[] = "WireGuard v1 zx2c4 Jason@zx2c4.com";
static const char label_mac1[] = "mac1----";

enum {
	HASH_LEN = 32,
	BLAKE2S_BLOCK = 64,
	STATIC_ENC_LEN = WGJIT_KEY_LEN + WGJIT_MSG_AEAD_TAG_LEN,
	/* Generic (headerless) first message: e || {s} || {payload}. */
	GENERIC_FIXED_LEN = WGJIT_KEY_LEN + STATIC_ENC_LEN +
		WGJIT_MSG_AEAD_TAG_LEN,
};

/* Pointers into a first message, whatever its framing. */
struct first_msg {
	const uint8_t *ephemeral;
	const uint8_t *enc_static;
	const uint8_t *enc_payload;
	size_t payload_len;	/* plaintext */
};

struct ss_entry {
	uint8_t public_key[WGJIT_KEY_LEN];
	uint8_t ss[WGJIT_KEY_LEN];
	uint8_t valid;
};

struct wgjit_noise_ctx {
	const struct wgjit_noise_responder *resp;
	unsigned int ss_mask;		/* entries - 1, or 0 with no cache */
	uint8_t ss_hash_key[WGJIT_KEY_HASH_SECRET_LEN];
	struct wgjit_noise_ctx_stats stats;
	struct ss_entry *ss_cache;
};

/* The handshake state a consumer carries from step to step. */
struct hs_state {
	uint8_t chaining_key[HASH_LEN];
	uint8_t hash[HASH_LEN];
	uint8_t key[WGJIT_KEY_LEN];
};

static void
hash2(uint8_t out[HASH_LEN], const uint8_t *a, size_t alen,
		const uint8_t *b, size_t blen)
{
	blake2s_state st;

	blake2s_init(&st, HASH_LEN);
	blake2s_update(&st, a, alen);
	blake2s_update(&st, b, blen);
	blake2s_final(&st, out, HASH_LEN);
	sodium_memzero(&st, sizeof(st));
}

/* HMAC-BLAKE2s with a key of at most one block; clears its pads. */
static void
hmac(uint8_t out[HASH_LEN], const uint8_t *key, size_t key_len,
		const uint8_t *in, size_t in_len)
{
	uint8_t pad[BLAKE2S_BLOCK];
	uint8_t inner[HASH_LEN];
	blake2s_state st;
	size_t i;

	memset(pad, 0, sizeof(pad));
	memcpy(pad, key, key_len);
	for (i = 0; i < sizeof(pad); i++)
		pad[i] ^= 0x36;
	blake2s_init(&st, HASH_LEN);
	blake2s_update(&st, pad, sizeof(pad));
	blake2s_update(&st, in, in_len);
	blake2s_final(&st, inner, HASH_LEN);
	for (i = 0; i < sizeof(pad); i++)
		pad[i] ^= 0x36 ^ 0x5c;
	blake2s_init(&st, HASH_LEN);
	blake2s_update(&st, pad, sizeof(pad));
	blake2s_update(&st, inner, HASH_LEN);
	blake2s_final(&st, out, HASH_LEN);
	sodium_memzero(pad, sizeof(pad));
	sodium_memzero(inner, sizeof(inner));
	sodium_memzero(&st, sizeof(st));
}

/* HKDF (Noise's HKDF with HMAC-BLAKE2s): one or two outputs. */
static void
kdf(uint8_t first[HASH_LEN], uint8_t second[HASH_LEN],
		const uint8_t chaining_key[HASH_LEN],
		const uint8_t *input, size_t input_len)
{
	uint8_t secret[HASH_LEN];
	uint8_t output[HASH_LEN + 1];

	hmac(secret, chaining_key, HASH_LEN, input, input_len);
	output[0] = 1;
	hmac(output, secret, HASH_LEN, output, 1);
	memcpy(first, output, HASH_LEN);
	if (second != NULL) {
		output[HASH_LEN] = 2;
		hmac(output, secret, HASH_LEN, output, HASH_LEN + 1);
		memcpy(second, output, HASH_LEN);
	}
	sodium_memzero(secret, sizeof(secret));
	sodium_memzero(output, sizeof(output));
}

/* MixHash. */
static void
mix_hash(uint8_t hash[HASH_LEN], const uint8_t *in, size_t len)
{
	hash2(hash, hash, HASH_LEN, in, len);
}

/* MixKey with a DH result: (C, k) = KDF2(C, dh). */
static void
mix_dh_result(struct hs_state *hs, const uint8_t dh[WGJIT_KEY_LEN])
{
	kdf(hs->chaining_key, hs->key, hs->chaining_key, dh, WGJIT_KEY_LEN);
}

/* DH then MixKey; fails on an all-zero (low-order) result. */
static __attribute__((warn_unused_result)) bool
mix_dh(struct hs_state *hs, const uint8_t priv[WGJIT_KEY_LEN],
		const uint8_t pub[WGJIT_KEY_LEN])
{
	uint8_t dh[WGJIT_KEY_LEN];
	bool ok;

	ok = crypto_scalarmult(dh, priv, pub) == 0;
	if (ok)
		mix_dh_result(hs, dh);
	sodium_memzero(dh, sizeof(dh));
	return ok;
}

/* DecryptAndHash with nonce 0, the handshake hash as associated data. */
static __attribute__((warn_unused_result)) bool
decrypt_and_hash(struct hs_state *hs, uint8_t *plain,
		const uint8_t *cipher, size_t cipher_len)
{
	static const uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];

	if (crypto_aead_chacha20poly1305_ietf_decrypt(plain, NULL, NULL,
			cipher, cipher_len, hs->hash, HASH_LEN, nonce,
			hs->key) != 0)
		return false;
	mix_hash(hs->hash, cipher, cipher_len);
	return true;
}

static int
responder_init(struct wgjit_noise_responder *resp,
		const uint8_t private_key[WGJIT_KEY_LEN], const char *protocol,
		const uint8_t *prologue, size_t prologue_len, bool wireguard)
{
	if (sodium_init() < 0)
		return -EINVAL;
	memset(resp, 0, sizeof(*resp));
	memcpy(resp->private_key, private_key, WGJIT_KEY_LEN);
	if (crypto_scalarmult_base(resp->public_key, private_key) != 0) {
		wgjit_noise_responder_clear(resp);
		return -EINVAL;
	}
	resp->wireguard = wireguard;
	/* Noise: a name longer than HASHLEN is hashed, else zero-padded. */
	if (strlen(protocol) <= HASH_LEN)
		memcpy(resp->chaining_key, protocol, strlen(protocol));
	else
		blake2s(resp->chaining_key, protocol, NULL, HASH_LEN,
			strlen(protocol), 0);
	hash2(resp->hash, resp->chaining_key, HASH_LEN, prologue,
		prologue_len);
	mix_hash(resp->hash, resp->public_key, WGJIT_KEY_LEN);
	hash2(resp->mac1_key, (const uint8_t *)label_mac1,
		sizeof(label_mac1) - 1, resp->public_key, WGJIT_KEY_LEN);
	return wgjit_mac_key_init(&resp->mac1, resp->mac1_key,
		WGJIT_KEY_LEN);
}

int
wgjit_noise_responder_init(struct wgjit_noise_responder *resp,
		const uint8_t private_key[WGJIT_KEY_LEN])
{
	return responder_init(resp, private_key, handshake_name,
		(const uint8_t *)identifier_name, sizeof(identifier_name) - 1,
		true);
}

int
wgjit_noise_responder_init_generic(struct wgjit_noise_responder *resp,
		const uint8_t private_key[WGJIT_KEY_LEN], const char *protocol,
		const uint8_t *prologue, size_t prologue_len)
{
	if (protocol == NULL || (prologue == NULL && prologue_len > 0))
		return -EINVAL;
	return responder_init(resp, private_key, protocol, prologue,
		prologue_len, false);
}

void
wgjit_noise_responder_clear(struct wgjit_noise_responder *resp)
{
	sodium_memzero(resp, sizeof(*resp));
}

struct wgjit_noise_ctx *
wgjit_noise_ctx_create(const struct wgjit_noise_responder *resp,
		unsigned int cache_entries)
{
	struct wgjit_noise_ctx *ctx;
	unsigned int n = 1;

	if (resp == NULL || cache_entries > (1u << 24)) {
		errno = EINVAL;
		return NULL;
	}
	/* Secret memory: the cache holds static-static DH results. */
	ctx = wgjit_secret_alloc(sizeof(*ctx));
	if (ctx == NULL)
		return NULL;
	ctx->resp = resp;
	if (cache_entries > 0) {
		while (n < cache_entries)
			n <<= 1;
		ctx->ss_cache = wgjit_secret_alloc((size_t)n *
			sizeof(*ctx->ss_cache));
		if (ctx->ss_cache == NULL) {
			wgjit_secret_free(ctx);
			return NULL;
		}
		ctx->ss_mask = n - 1;
		wgjit_key_hash_secret(ctx->ss_hash_key);
	}
	return ctx;
}

void
wgjit_noise_ctx_free(struct wgjit_noise_ctx *ctx)
{
	if (ctx == NULL)
		return;
	/* wgjit_secret_free() clears before it unmaps. */
	wgjit_secret_free(ctx->ss_cache);
	wgjit_secret_free(ctx);
}

void
wgjit_noise_ctx_stats(const struct wgjit_noise_ctx *ctx,
		struct wgjit_noise_ctx_stats *stats)
{
	*stats = ctx->stats;
}

/* The cache slot for a static key; keyed hash so peers cannot collide it. */
static struct ss_entry *
ss_slot(struct wgjit_noise_ctx *ctx, const uint8_t key[WGJIT_KEY_LEN])
{
	return &ctx->ss_cache[wgjit_key_hash(key, ctx->ss_hash_key) &
		ctx->ss_mask];
}

enum wgjit_noise_verdict
wgjit_noise_check_mac1(const struct wgjit_noise_responder *resp,
		const uint8_t *msg, size_t len)
{
	const struct wgjit_msg_initiation *m = (const struct wgjit_msg_initiation *)msg;
	uint8_t mac[WGJIT_MSG_MAC_LEN];
	uint32_t header;
	bool ok;

	if (msg == NULL || len != WGJIT_MSG_INITIATION_LEN)
		return WGJIT_NOISE_MALFORMED;
	/* Type and the three reserved bytes in one compare. */
	memcpy(&header, msg, sizeof(header));
	if (header != htole32(WGJIT_MSG_INITIATION))
		return WGJIT_NOISE_MALFORMED;
	wgjit_mac(&resp->mac1, msg, offsetof(struct wgjit_msg_initiation, mac1),
		mac);
	ok = wgjit_mac_equal(mac, m->mac1);
	return ok ? WGJIT_NOISE_OK : WGJIT_NOISE_BAD_MAC1;
}

/* Locate the fields of a first message and check its outer layer. */
static enum wgjit_noise_verdict
frame_message(const struct wgjit_noise_responder *resp, const uint8_t *msg,
		size_t len, struct first_msg *fm, uint32_t *sender_index)
{
	if (resp->wireguard) {
		const struct wgjit_msg_initiation *m =
			(const struct wgjit_msg_initiation *)msg;
		enum wgjit_noise_verdict v;

		v = wgjit_noise_check_mac1(resp, msg, len);
		if (v != WGJIT_NOISE_OK)
			return v;
		fm->ephemeral = m->unencrypted_ephemeral;
		fm->enc_static = m->encrypted_static;
		fm->enc_payload = m->encrypted_timestamp;
		fm->payload_len = WGJIT_MSG_TAI64N_LEN;
		memcpy(sender_index, m->sender_index, sizeof(*sender_index));
		*sender_index = le32toh(*sender_index);
		return WGJIT_NOISE_OK;
	}
	if (msg == NULL || len < GENERIC_FIXED_LEN)
		return WGJIT_NOISE_MALFORMED;
	fm->ephemeral = msg;
	fm->enc_static = msg + WGJIT_KEY_LEN;
	fm->enc_payload = msg + WGJIT_KEY_LEN + STATIC_ENC_LEN;
	fm->payload_len = len - GENERIC_FIXED_LEN;
	*sender_index = 0;
	return WGJIT_NOISE_OK;
}

/* e, es, s: recover the initiator's static key. */
static enum wgjit_noise_verdict
consume_static(const struct wgjit_noise_responder *resp,
		const struct first_msg *fm, struct hs_state *hs,
		uint8_t static_key[WGJIT_KEY_LEN])
{
	memcpy(hs->chaining_key, resp->chaining_key, HASH_LEN);
	memcpy(hs->hash, resp->hash, HASH_LEN);

	/* e */
	mix_hash(hs->hash, fm->ephemeral, WGJIT_KEY_LEN);
	kdf(hs->chaining_key, NULL, hs->chaining_key, fm->ephemeral,
		WGJIT_KEY_LEN);

	/* es */
	if (!mix_dh(hs, resp->private_key, fm->ephemeral))
		return WGJIT_NOISE_BAD_EPHEMERAL;

	/* s */
	if (!decrypt_and_hash(hs, static_key, fm->enc_static,
			STATIC_ENC_LEN))
		return WGJIT_NOISE_BAD_STATIC;
	return WGJIT_NOISE_IDENTIFIED;
}

enum wgjit_noise_verdict
wgjit_noise_identify(struct wgjit_noise_ctx *ctx, const uint8_t *msg,
		size_t len, struct wgjit_noise_result *res)
{
	struct first_msg fm;
	struct hs_state hs;
	enum wgjit_noise_verdict v;

	v = frame_message(ctx->resp, msg, len, &fm, &res->sender_index);
	if (v == WGJIT_NOISE_OK)
		v = consume_static(ctx->resp, &fm, &hs, res->public_key);
	sodium_memzero(&hs, sizeof(hs));
	return v;
}

/* ss from the cache, or one DH; all-zero rejected. */
static bool
static_static(struct wgjit_noise_ctx *ctx,
		const uint8_t static_key[WGJIT_KEY_LEN],
		uint8_t ss[WGJIT_KEY_LEN], struct ss_entry **slot)
{
	*slot = NULL;
	if (ctx->ss_cache != NULL) {
		*slot = ss_slot(ctx, static_key);
		if ((*slot)->valid && memcmp((*slot)->public_key, static_key,
				WGJIT_KEY_LEN) == 0) {
			memcpy(ss, (*slot)->ss, WGJIT_KEY_LEN);
			ctx->stats.ss_hits++;
			*slot = NULL;	/* nothing to store */
			return true;
		}
		ctx->stats.ss_misses++;
	}
	return crypto_scalarmult(ss, ctx->resp->private_key,
		static_key) == 0;
}

static enum wgjit_noise_verdict
check(struct wgjit_noise_ctx *ctx, const uint8_t *msg, size_t len,
		struct wgjit_noise_result *res, uint8_t *payload,
		size_t payload_size, wgjit_noise_skip_t skip, void *arg)
{
	uint8_t plain[WGJIT_MSG_INITIATION_LEN];
	uint8_t ss[WGJIT_KEY_LEN];
	struct ss_entry *slot = NULL;
	struct first_msg fm;
	struct hs_state hs;
	enum wgjit_noise_verdict v;

	v = frame_message(ctx->resp, msg, len, &fm, &res->sender_index);
	if (v != WGJIT_NOISE_OK)
		goto out;
	if (fm.payload_len > sizeof(plain)) {
		v = WGJIT_NOISE_MALFORMED;
		goto out;
	}
	v = consume_static(ctx->resp, &fm, &hs, res->public_key);
	if (v != WGJIT_NOISE_IDENTIFIED)
		goto out;
	if (skip != NULL && skip(arg, res->public_key)) {
		v = WGJIT_NOISE_STRANGER;
		goto out;
	}

	/* ss */
	if (!static_static(ctx, res->public_key, ss, &slot)) {
		v = WGJIT_NOISE_BAD_STATIC;
		goto out;
	}
	mix_dh_result(&hs, ss);

	/* {t} */
	if (!decrypt_and_hash(&hs, plain, fm.enc_payload,
			fm.payload_len + WGJIT_MSG_AEAD_TAG_LEN)) {
		v = WGJIT_NOISE_FORGED;
		goto out;
	}
	/* Only an authenticated peer earns a cache slot. */
	if (slot != NULL) {
		memcpy(slot->public_key, res->public_key, WGJIT_KEY_LEN);
		memcpy(slot->ss, ss, WGJIT_KEY_LEN);
		slot->valid = 1;
	}
	if (ctx->resp->wireguard)
		memcpy(res->tai64n, plain, WGJIT_MSG_TAI64N_LEN);
	if (payload != NULL)
		memcpy(payload, plain, fm.payload_len < payload_size ?
			fm.payload_len : payload_size);
	v = WGJIT_NOISE_OK;
out:
	sodium_memzero(&hs, sizeof(hs));
	sodium_memzero(ss, sizeof(ss));
	sodium_memzero(plain, sizeof(plain));
	return v;
}

enum wgjit_noise_verdict
wgjit_noise_check(struct wgjit_noise_ctx *ctx, const uint8_t *msg,
		size_t len, struct wgjit_noise_result *res,
		uint8_t *payload, size_t payload_size)
{
	return check(ctx, msg, len, res, payload, payload_size, NULL, NULL);
}

enum wgjit_noise_verdict
wgjit_noise_accept_skip(struct wgjit_noise_ctx *ctx,
		const struct wgjit_replay_store *store, wgjit_noise_skip_t skip,
		void *arg, const uint8_t *msg, size_t len,
		struct wgjit_noise_result *res)
{
	enum wgjit_noise_verdict v;

	v = check(ctx, msg, len, res, NULL, 0, skip, arg);
	if (v != WGJIT_NOISE_OK)
		return v;
	return wgjit_replay_check(store, res->public_key, res->tai64n) ==
		WGJIT_REPLAY_FRESH ? WGJIT_NOISE_OK : WGJIT_NOISE_REPLAY;
}

enum wgjit_noise_verdict
wgjit_noise_accept(struct wgjit_noise_ctx *ctx,
		const struct wgjit_replay_store *store, const uint8_t *msg,
		size_t len, struct wgjit_noise_result *res)
{
	return wgjit_noise_accept_skip(ctx, store, NULL, NULL, msg, len, res);
}

const char *
wgjit_noise_verdict_name(enum wgjit_noise_verdict v)
{
	static const char *const names[WGJIT_NOISE_VERDICT_MAX] = {
		[WGJIT_NOISE_OK] = "ok",
		[WGJIT_NOISE_IDENTIFIED] = "identified",
		[WGJIT_NOISE_MALFORMED] = "malformed",
		[WGJIT_NOISE_BAD_MAC1] = "bad_mac1",
		[WGJIT_NOISE_BAD_EPHEMERAL] = "bad_ephemeral",
		[WGJIT_NOISE_BAD_STATIC] = "bad_static",
		[WGJIT_NOISE_FORGED] = "forged",
		[WGJIT_NOISE_REPLAY] = "replay",
		[WGJIT_NOISE_STRANGER] = "stranger",
	};

	if ((unsigned int)v >= WGJIT_NOISE_VERDICT_MAX)
		return "unknown";
	return names[v];
}
