/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wgjit_evict.h"
#include "wgjit_keytab.h"

#define INITIAL_ENTRIES 1024

/* What the previous pass saw of a peer, and when it last showed life. */
struct activity {
	uint64_t rx_bytes;
	int64_t last_handshake_sec;
	uint64_t first_ms;	/* first seen */
	uint64_t active_ms;	/* last sign of life (or first seen) */
	uint32_t pass;		/* the last pass that checked it */
	uint32_t handshaked;	/* a handshake was ever seen */
};

struct wgjit_evict {
	struct wgjit_evict_params p;
	struct wgjit_keytab *tab;
	uint32_t pass;
};

struct wgjit_evict *
wgjit_evict_create(const struct wgjit_evict_params *p)
{
	struct wgjit_evict *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return NULL;
	e->p = *p;
	e->tab = wgjit_keytab_create(INITIAL_ENTRIES, sizeof(struct activity));
	if (e->tab == NULL) {
		free(e);
		return NULL;
	}
	return e;
}

void
wgjit_evict_free(struct wgjit_evict *e)
{
	if (e == NULL)
		return;
	wgjit_keytab_free(e->tab);
	free(e);
}

/* Twice the room, same entries. 0 or -ENOMEM (the old table stays). */
static int
grow(struct wgjit_evict *e)
{
	unsigned int cap = wgjit_keytab_capacity(e->tab), pos = 0;
	struct wgjit_keytab *t;
	const uint8_t *key;
	struct activity *a, *b;
	bool created;

	if (cap > UINT32_MAX / 4)
		return -ENOMEM;
	t = wgjit_keytab_create(cap * 2, sizeof(struct activity));
	if (t == NULL)
		return -ENOMEM;
	while ((a = wgjit_keytab_next(e->tab, &pos, &key)) != NULL) {
		b = wgjit_keytab_insert(t, key, &created);
		*b = *a;
	}
	wgjit_keytab_free(e->tab);
	e->tab = t;
	return 0;
}

static struct activity *
entry(struct wgjit_evict *e, const uint8_t key[WGJIT_KEY_LEN], bool *created)
{
	struct activity *a = wgjit_keytab_insert(e->tab, key, created);

	if (a == NULL && grow(e) == 0)
		a = wgjit_keytab_insert(e->tab, key, created);
	return a;
}

void
wgjit_evict_begin(struct wgjit_evict *e)
{
	e->pass++;
}

bool
wgjit_evict_check(struct wgjit_evict *e, const struct wgjit_wg_peer *peer,
		uint64_t now_ms)
{
	bool created;
	struct activity *a = entry(e, peer->public_key, &created);

	if (a == NULL)
		return false;
	if (created) {
		a->first_ms = a->active_ms = now_ms;
	} else if (a->rx_bytes != peer->rx_bytes ||
			a->last_handshake_sec != peer->last_handshake_sec) {
		a->active_ms = now_ms;
	}
	a->rx_bytes = peer->rx_bytes;
	a->last_handshake_sec = peer->last_handshake_sec;
	a->pass = e->pass;
	if (peer->last_handshake_sec != 0)
		a->handshaked = 1;
	if (!a->handshaked)
		return now_ms - a->first_ms > e->p.grace_ms;
	return now_ms - a->active_ms > e->p.idle_timeout_ms;
}

void
wgjit_evict_installed(struct wgjit_evict *e, const uint8_t key[WGJIT_KEY_LEN],
		uint64_t now_ms)
{
	bool created;
	struct activity *a = entry(e, key, &created);

	if (a == NULL)
		return;
	memset(a, 0, sizeof(*a));
	a->first_ms = a->active_ms = now_ms;
	a->pass = e->pass;
	/* Not "first seen" at the next check: the counters start at 0. */
	a->rx_bytes = 0;
	a->last_handshake_sec = 0;
}

void
wgjit_evict_touch(struct wgjit_evict *e, const uint8_t key[WGJIT_KEY_LEN],
		uint64_t now_ms)
{
	bool created;
	struct activity *a = entry(e, key, &created);

	if (a == NULL)
		return;
	if (created) {
		a->first_ms = now_ms;
		a->pass = e->pass;
	}
	a->active_ms = now_ms;
	a->handshaked = 1;
}

void
wgjit_evict_end(struct wgjit_evict *e)
{
	unsigned int pos = 0;
	struct activity *a;

	while ((a = wgjit_keytab_next(e->tab, &pos, NULL)) != NULL)
		if (a->pass != e->pass)
			wgjit_keytab_remove_current(e->tab, &pos);
}

unsigned int
wgjit_evict_count(const struct wgjit_evict *e)
{
	return wgjit_keytab_count(e->tab);
}
