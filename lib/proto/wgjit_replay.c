/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wgjit_replay.h"

/* TAI64 labels count from 2^62 seconds before the epoch plus 10 s. */
#define TAI64_EPOCH_OFFSET ((UINT64_C(1) << 62) + 10)

enum { BUCKET_SLOTS = 4 };

struct replay_slot {
	uint8_t key[WGJIT_KEY_LEN];
	uint8_t ts[WGJIT_MSG_TAI64N_LEN];
	uint64_t seq;		/* 0 = empty; else insertion order */
};

struct wgjit_replay_table {
	unsigned int bucket_mask;
	uint64_t next_seq;
	uint8_t hash_key[WGJIT_KEY_HASH_SECRET_LEN];
	struct replay_slot slots[];
};

int
wgjit_replay_tai64n_cmp(const uint8_t a[WGJIT_MSG_TAI64N_LEN],
		const uint8_t b[WGJIT_MSG_TAI64N_LEN])
{
	return memcmp(a, b, WGJIT_MSG_TAI64N_LEN);
}

int64_t
wgjit_replay_tai64n_to_unix(const uint8_t t[WGJIT_MSG_TAI64N_LEN],
		uint32_t *nsec)
{
	uint64_t sec = 0;
	uint32_t ns = 0;
	int i;

	for (i = 0; i < 8; i++)
		sec = sec << 8 | t[i];
	for (i = 8; i < 12; i++)
		ns = ns << 8 | t[i];
	if (nsec != NULL)
		*nsec = ns;
	return (int64_t)(sec - TAI64_EPOCH_OFFSET);
}

int
wgjit_replay_check(const struct wgjit_replay_store *store,
		const uint8_t key[WGJIT_KEY_LEN],
		const uint8_t ts[WGJIT_MSG_TAI64N_LEN])
{
	uint8_t last[WGJIT_MSG_TAI64N_LEN];
	int ret;

	ret = store->lookup(store->arg, key, last);
	if (ret < 0)
		return ret;
	if (ret > 0 && wgjit_replay_tai64n_cmp(ts, last) <= 0)
		return WGJIT_REPLAY_SEEN;
	ret = store->commit(store->arg, key, ts);
	return ret < 0 ? ret : WGJIT_REPLAY_FRESH;
}

struct wgjit_replay_table *
wgjit_replay_table_create(unsigned int entries)
{
	struct wgjit_replay_table *t;
	unsigned int buckets = 1;

	if (entries == 0 || entries > (1u << 24)) {
		errno = EINVAL;
		return NULL;
	}
	while (buckets * BUCKET_SLOTS < entries)
		buckets <<= 1;
	t = calloc(1, sizeof(*t) +
		(size_t)buckets * BUCKET_SLOTS * sizeof(t->slots[0]));
	if (t == NULL)
		return NULL;
	t->bucket_mask = buckets - 1;
	t->next_seq = 1;
	wgjit_key_hash_secret(t->hash_key);
	return t;
}

void
wgjit_replay_table_free(struct wgjit_replay_table *t)
{
	free(t);
}

static struct replay_slot *
bucket_of(struct wgjit_replay_table *t, const uint8_t key[WGJIT_KEY_LEN])
{
	uint32_t idx = wgjit_key_hash(key, t->hash_key);

	return &t->slots[(size_t)(idx & t->bucket_mask) * BUCKET_SLOTS];
}

static int
table_lookup(void *arg, const uint8_t key[WGJIT_KEY_LEN],
		uint8_t last[WGJIT_MSG_TAI64N_LEN])
{
	struct replay_slot *b = bucket_of(arg, key);

	for (int i = 0; i < BUCKET_SLOTS; i++) {
		if (b[i].seq != 0 &&
				memcmp(b[i].key, key, WGJIT_KEY_LEN) == 0) {
			memcpy(last, b[i].ts, WGJIT_MSG_TAI64N_LEN);
			return 1;
		}
	}
	return 0;
}

static int
table_commit(void *arg, const uint8_t key[WGJIT_KEY_LEN],
		const uint8_t ts[WGJIT_MSG_TAI64N_LEN])
{
	struct wgjit_replay_table *t = arg;
	struct replay_slot *b = bucket_of(t, key);
	struct replay_slot *victim = &b[0];

	/* The key's own slot, else an empty one, else the oldest. */
	for (int i = 0; i < BUCKET_SLOTS; i++) {
		if (b[i].seq != 0 &&
				memcmp(b[i].key, key, WGJIT_KEY_LEN) == 0) {
			victim = &b[i];
			break;
		}
		if (victim->seq != 0 && b[i].seq < victim->seq)
			victim = &b[i];
	}
	memcpy(victim->key, key, WGJIT_KEY_LEN);
	memcpy(victim->ts, ts, WGJIT_MSG_TAI64N_LEN);
	victim->seq = t->next_seq++;
	return 0;
}

void
wgjit_replay_table_store(struct wgjit_replay_table *t,
		struct wgjit_replay_store *store)
{
	store->lookup = table_lookup;
	store->commit = table_commit;
	store->arg = t;
}
