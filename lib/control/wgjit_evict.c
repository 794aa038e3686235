/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wgjit_evict.h"

/* Last seen receive counter of an installed peer, to tell activity. */
struct activity {
	uint8_t key[WGJIT_KEY_LEN];
	uint64_t rx_bytes;
	uint64_t active_ms;	/* when rx_bytes last moved (or first seen) */
};

struct wgjit_evict {
	struct wgjit_evict_params p;
	struct activity *act;		/* previous pass, sorted by key */
	unsigned int nb_act;
	struct activity *next;		/* this pass, in check order */
	unsigned int nb_next, size_next;
};

static int
cmp_activity(const void *a, const void *b)
{
	return memcmp(((const struct activity *)a)->key,
		((const struct activity *)b)->key, WGJIT_KEY_LEN);
}

struct wgjit_evict *
wgjit_evict_create(const struct wgjit_evict_params *p)
{
	struct wgjit_evict *e = calloc(1, sizeof(*e));

	if (e != NULL)
		e->p = *p;
	return e;
}

void
wgjit_evict_free(struct wgjit_evict *e)
{
	if (e == NULL)
		return;
	free(e->act);
	free(e->next);
	free(e);
}

int
wgjit_evict_begin(struct wgjit_evict *e, unsigned int nb_peers)
{
	free(e->next);
	e->nb_next = 0;
	e->size_next = nb_peers;
	e->next = calloc(nb_peers > 0 ? nb_peers : 1, sizeof(*e->next));
	if (e->next == NULL) {
		e->size_next = 0;
		return -ENOMEM;
	}
	return 0;
}

/*
 * When the peer last showed life: its receive counter moving since the
 * previous pass, else what that pass knew, else now (first sight, e.g.
 * after a restart: give it a full idle period).
 */
static uint64_t
last_active(const struct wgjit_evict *e, const struct wgjit_wg_peer *peer,
		uint64_t now_ms)
{
	struct activity k;
	const struct activity *prev;

	memcpy(k.key, peer->public_key, WGJIT_KEY_LEN);
	prev = e->nb_act == 0 ? NULL : bsearch(&k, e->act, e->nb_act,
		sizeof(*e->act), cmp_activity);
	if (prev == NULL || prev->rx_bytes != peer->rx_bytes)
		return now_ms;
	return prev->active_ms;
}

bool
wgjit_evict_check(struct wgjit_evict *e, const struct wgjit_wg_peer *peer,
		uint64_t installed_ms, uint64_t now_ms)
{
	uint64_t active = last_active(e, peer, now_ms), last;

	if (e->nb_next < e->size_next) {
		struct activity *a = &e->next[e->nb_next++];

		memcpy(a->key, peer->public_key, WGJIT_KEY_LEN);
		a->rx_bytes = peer->rx_bytes;
		a->active_ms = active;
	} else {
		return false;	/* no room was made: decide nothing */
	}
	if (peer->last_handshake_sec == 0)
		return now_ms > installed_ms &&
			now_ms - installed_ms > e->p.grace_ms;
	last = (uint64_t)peer->last_handshake_sec * 1000;
	if (active > last)
		last = active;
	return now_ms > last && now_ms - last > e->p.idle_timeout_ms;
}

void
wgjit_evict_end(struct wgjit_evict *e, bool keep)
{
	if (keep && e->next != NULL) {
		qsort(e->next, e->nb_next, sizeof(*e->next), cmp_activity);
		free(e->act);
		e->act = e->next;
		e->nb_act = e->nb_next;
	} else {
		free(e->next);
	}
	e->next = NULL;
	e->nb_next = e->size_next = 0;
}
