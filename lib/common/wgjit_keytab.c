/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wgjit_keytab.h"

struct wgjit_keytab {
	unsigned int mask;		/* slots - 1 */
	unsigned int max, count;
	size_t value_size, slot_size;
	uint8_t secret[WGJIT_KEY_HASH_SECRET_LEN];
	uint8_t *slots;			/* used flag, key, value; each */
};

/* Slot layout: one byte "used", the key, then the value (aligned). */
#define SLOT_KEY 8
#define SLOT_VALUE (SLOT_KEY + WGJIT_KEY_LEN)

static uint8_t *
slot(const struct wgjit_keytab *t, unsigned int i)
{
	return t->slots + (size_t)i * t->slot_size;
}

struct wgjit_keytab *
wgjit_keytab_create(unsigned int entries, size_t value_size)
{
	struct wgjit_keytab *t;
	unsigned int n = 2;

	if (entries == 0 || entries > (1u << 24) || value_size > 4096) {
		errno = EINVAL;
		return NULL;
	}
	while (n < entries * 2)
		n <<= 1;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->mask = n - 1;
	t->max = entries;
	t->value_size = value_size;
	t->slot_size = (SLOT_VALUE + value_size + 7) & ~(size_t)7;
	t->slots = calloc(n, t->slot_size);
	if (t->slots == NULL) {
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	wgjit_key_hash_secret(t->secret);
	return t;
}

void
wgjit_keytab_free(struct wgjit_keytab *t)
{
	if (t == NULL)
		return;
	sodium_memzero(t->slots, (size_t)(t->mask + 1) * t->slot_size);
	free(t->slots);
	free(t);
}

static unsigned int
home(const struct wgjit_keytab *t, const uint8_t key[WGJIT_KEY_LEN])
{
	return wgjit_key_hash(key, t->secret) & t->mask;
}

/* The slot of @p key, or of the first free slot of its run (*@p found
 * says which). */
static unsigned int
probe(const struct wgjit_keytab *t, const uint8_t key[WGJIT_KEY_LEN],
		bool *found)
{
	unsigned int i = home(t, key);

	for (;; i = (i + 1) & t->mask) {
		const uint8_t *s = slot(t, i);

		if (!s[0]) {
			*found = false;
			return i;
		}
		if (memcmp(s + SLOT_KEY, key, WGJIT_KEY_LEN) == 0) {
			*found = true;
			return i;
		}
	}
}

void *
wgjit_keytab_find(const struct wgjit_keytab *t, const uint8_t key[WGJIT_KEY_LEN])
{
	bool found;
	unsigned int i = probe(t, key, &found);

	return found ? slot(t, i) + SLOT_VALUE : NULL;
}

void *
wgjit_keytab_insert(struct wgjit_keytab *t, const uint8_t key[WGJIT_KEY_LEN],
		bool *created)
{
	bool found;
	unsigned int i = probe(t, key, &found);
	uint8_t *s = slot(t, i);

	*created = !found;
	if (found)
		return s + SLOT_VALUE;
	if (t->count == t->max)
		return NULL;
	s[0] = 1;
	memcpy(s + SLOT_KEY, key, WGJIT_KEY_LEN);
	memset(s + SLOT_VALUE, 0, t->value_size);
	t->count++;
	return s + SLOT_VALUE;
}

/* Empty slot @p i and shift the rest of its run back (no tombstones). */
static void
remove_slot(struct wgjit_keytab *t, unsigned int i)
{
	unsigned int j = i;

	for (;;) {
		uint8_t *sj;
		unsigned int h;

		j = (j + 1) & t->mask;
		sj = slot(t, j);
		if (!sj[0])
			break;
		h = home(t, sj + SLOT_KEY);
		/* Move j back to i unless its home lies cyclically in
		 * (i, j]: then it is already as close to home as it can be. */
		if ((j > i && (h <= i || h > j)) || (j < i && h <= i && h > j)) {
			memcpy(slot(t, i), sj, t->slot_size);
			i = j;
		}
	}
	sodium_memzero(slot(t, i), t->slot_size);
	t->count--;
}

int
wgjit_keytab_remove(struct wgjit_keytab *t, const uint8_t key[WGJIT_KEY_LEN])
{
	bool found;
	unsigned int i = probe(t, key, &found);

	if (!found)
		return -ENOENT;
	remove_slot(t, i);
	return 0;
}

unsigned int
wgjit_keytab_count(const struct wgjit_keytab *t)
{
	return t->count;
}

unsigned int
wgjit_keytab_capacity(const struct wgjit_keytab *t)
{
	return t->max;
}

void *
wgjit_keytab_next(const struct wgjit_keytab *t, unsigned int *pos,
		const uint8_t **key)
{
	while (*pos <= t->mask) {
		uint8_t *s = slot(t, (*pos)++);

		if (s[0]) {
			if (key != NULL)
				*key = s + SLOT_KEY;
			return s + SLOT_VALUE;
		}
	}
	return NULL;
}

void *
wgjit_keytab_next_within(const struct wgjit_keytab *t, unsigned int *pos,
		unsigned int max_slots, unsigned int *seen, const uint8_t **key)
{
	unsigned int n = 0;
	void *v = NULL;

	while (n < max_slots) {
		uint8_t *s;

		if (*pos > t->mask) {
			*pos = 0;
			break;
		}
		s = slot(t, (*pos)++);
		n++;
		if (s[0]) {
			if (key != NULL)
				*key = s + SLOT_KEY;
			v = s + SLOT_VALUE;
			break;
		}
	}
	*seen = n;
	return v;
}

void
wgjit_keytab_remove_current(struct wgjit_keytab *t, unsigned int *pos)
{
	remove_slot(t, *pos - 1);
	(*pos)--;
}
