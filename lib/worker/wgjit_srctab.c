/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include <sodium.h>

#include "wgjit_srctab.h"

#define WAYS 4

struct wgjit_srctab {
	uint32_t set_mask;
	/* SipHash key: sources come from the network, and nobody who does
	 * not know it can aim them at one set. */
	uint8_t seed[crypto_shorthash_KEYBYTES];
	unsigned int used;
	struct wgjit_srctab_slot slots[];
};

int
wgjit_srctab_key_from(struct wgjit_srctab_key *key,
		const union wgjit_endpoint *ep, bool with_port,
		unsigned int v6_bytes)
{
	memset(key, 0, sizeof(*key));
	switch (ep->sa.sa_family) {
	case AF_INET:
		memcpy(key->addr, &ep->in4.sin_addr, 4);
		key->port = with_port ? ep->in4.sin_port : 0;
		break;
	case AF_INET6:
		memcpy(key->addr, &ep->in6.sin6_addr, RTE_MIN(v6_bytes, 16u));
		key->port = with_port ? ep->in6.sin6_port : 0;
		break;
	default:
		return -EAFNOSUPPORT;
	}
	key->family = ep->sa.sa_family;
	return 0;
}

struct wgjit_srctab *
wgjit_srctab_create(unsigned int entries)
{
	struct wgjit_srctab *t;
	uint32_t n;

	if (entries == 0 || entries > (1u << 24)) {
		errno = EINVAL;
		return NULL;
	}
	n = rte_align32pow2(RTE_MAX(entries, (unsigned int)WAYS));
	t = calloc(1, sizeof(*t) + n * sizeof(t->slots[0]));
	if (t == NULL)
		return NULL;
	t->set_mask = n / WAYS - 1;
	randombytes_buf(t->seed, sizeof(t->seed));
	return t;
}

void
wgjit_srctab_free(struct wgjit_srctab *t)
{
	free(t);
}

static struct wgjit_srctab_slot *
set_of(struct wgjit_srctab *t, const struct wgjit_srctab_key *key)
{
	uint8_t out[crypto_shorthash_BYTES];
	uint32_t h;

	crypto_shorthash(out, (const uint8_t *)key, sizeof(*key), t->seed);
	memcpy(&h, out, sizeof(h));
	return &t->slots[(h & t->set_mask) * WAYS];
}

static bool
key_eq(const struct wgjit_srctab_key *a, const struct wgjit_srctab_key *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

struct wgjit_srctab_slot *
wgjit_srctab_lookup(struct wgjit_srctab *t,
		const struct wgjit_srctab_key *key)
{
	struct wgjit_srctab_slot *set = set_of(t, key);

	for (unsigned int i = 0; i < WAYS; i++)
		if (set[i].key.family != 0 && key_eq(&set[i].key, key))
			return &set[i];
	return NULL;
}

struct wgjit_srctab_slot *
wgjit_srctab_insert(struct wgjit_srctab *t,
		const struct wgjit_srctab_key *key, bool *created)
{
	return wgjit_srctab_insert_stale(t, key, UINT64_MAX, 0, created);
}

struct wgjit_srctab_slot *
wgjit_srctab_insert_stale(struct wgjit_srctab *t,
		const struct wgjit_srctab_key *key, uint64_t now,
		uint64_t max_age, bool *created)
{
	struct wgjit_srctab_slot *set = set_of(t, key), *victim = NULL;

	for (unsigned int i = 0; i < WAYS; i++) {
		struct wgjit_srctab_slot *s = &set[i];

		if (s->key.family == 0) {
			if (victim == NULL || victim->key.family != 0)
				victim = s;
			continue;
		}
		if (key_eq(&s->key, key)) {
			*created = false;
			return s;
		}
		if (victim == NULL || (victim->key.family != 0 &&
				s->stamp < victim->stamp))
			victim = s;
	}
	/* A set whose every slot was used within max_age is full. */
	if (victim->key.family != 0 && max_age != 0 &&
			now - victim->stamp <= max_age)
		return NULL;
	if (victim->key.family == 0)
		t->used++;
	victim->key = *key;
	victim->stamp = 0;
	victim->value = 0;
	*created = true;
	return victim;
}

int
wgjit_srctab_remove(struct wgjit_srctab *t,
		const struct wgjit_srctab_key *key)
{
	struct wgjit_srctab_slot *s = wgjit_srctab_lookup(t, key);

	if (s == NULL)
		return -ENOENT;
	memset(s, 0, sizeof(*s));
	t->used--;
	return 0;
}

unsigned int
wgjit_srctab_count(const struct wgjit_srctab *t)
{
	return t->used;
}
