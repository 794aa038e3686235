/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wgjit_floors.h"
#include "wgjit_keytab.h"
#include "wgjit_replay.h"

struct floor_entry {
	uint8_t ts[WGJIT_CACHE_TAI64N_LEN];
	uint64_t seen_ms;
};

struct wgjit_floors {
	struct wgjit_cache *cache;
	struct wgjit_keytab *dirty;
};

struct wgjit_floors *
wgjit_floors_create(struct wgjit_cache *cache, unsigned int entries)
{
	struct wgjit_floors *fl;

	if (cache == NULL || entries == 0) {
		errno = EINVAL;
		return NULL;
	}
	fl = calloc(1, sizeof(*fl));
	if (fl == NULL)
		return NULL;
	fl->cache = cache;
	fl->dirty = wgjit_keytab_create(entries, sizeof(struct floor_entry));
	if (fl->dirty == NULL) {
		free(fl);
		return NULL;
	}
	return fl;
}

void
wgjit_floors_free(struct wgjit_floors *fl)
{
	if (fl == NULL)
		return;
	wgjit_keytab_free(fl->dirty);
	free(fl);
}

int
wgjit_floors_above(struct wgjit_floors *fl, const uint8_t key[WGJIT_KEY_LEN],
		const uint8_t ts[WGJIT_CACHE_TAI64N_LEN])
{
	const struct floor_entry *e = wgjit_keytab_find(fl->dirty, key);
	uint8_t stored[WGJIT_CACHE_TAI64N_LEN];
	int ret;

	/* A raised floor is at least the stored one (raise follows a
	 * check of it), so memory answers alone. */
	if (e != NULL)
		return wgjit_replay_tai64n_cmp(ts, e->ts) > 0 ?
			WGJIT_FLOORS_ABOVE : WGJIT_FLOORS_REPLAY;
	ret = wgjit_cache_floor_get(fl->cache, key, stored);
	if (ret <= 0)
		return ret < 0 ? ret : WGJIT_FLOORS_NONE;
	return wgjit_replay_tai64n_cmp(ts, stored) > 0 ?
		WGJIT_FLOORS_ABOVE : WGJIT_FLOORS_REPLAY;
}

int
wgjit_floors_raise(struct wgjit_floors *fl, const uint8_t key[WGJIT_KEY_LEN],
		const uint8_t ts[WGJIT_CACHE_TAI64N_LEN], uint64_t now_ms)
{
	struct floor_entry *e = wgjit_keytab_find(fl->dirty, key);
	bool created;
	int ret = 0;

	if (e == NULL && wgjit_keytab_count(fl->dirty) ==
			wgjit_keytab_capacity(fl->dirty))
		ret = wgjit_floors_flush(fl);
	if (e == NULL)
		e = wgjit_keytab_insert(fl->dirty, key, &created);
	if (e == NULL)		/* the flush failed: write this one alone */
		return wgjit_cache_floor_raise(fl->cache, key, ts, now_ms);
	if (created || wgjit_replay_tai64n_cmp(ts, e->ts) > 0)
		memcpy(e->ts, ts, WGJIT_CACHE_TAI64N_LEN);
	e->seen_ms = now_ms;
	return ret < 0 ? ret : 0;
}

int
wgjit_floors_flush(struct wgjit_floors *fl)
{
	const uint8_t *key;
	struct floor_entry *e;
	unsigned int pos = 0;
	int n = 0, ret;

	while ((e = wgjit_keytab_next(fl->dirty, &pos, &key)) != NULL) {
		/* The cache never lowers a floor: the max is kept there. */
		ret = wgjit_cache_floor_raise(fl->cache, key, e->ts,
			e->seen_ms);
		if (ret < 0)
			return ret;
		wgjit_keytab_remove_current(fl->dirty, &pos);
		n++;
	}
	return n;
}

unsigned int
wgjit_floors_dirty(const struct wgjit_floors *fl)
{
	return wgjit_keytab_count(fl->dirty);
}
