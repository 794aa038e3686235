/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * Everything that reads a device dump: the handshake watch after an
 * install (latency, keepalive restore), the eviction tick (idle peers
 * wgjit installed; never anyone else's) and reconciliation of the cache's
 * install records with what the device really holds.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wgjit_ctl_priv.h"

#define WATCH_PERIOD_MS 10

/* One install record, as read from the cache for a tick. */
struct record {
	uint8_t key[WGJIT_KEY_LEN];
	union wgjit_endpoint ep;
	uint64_t installed_ms;
};

struct record_list {
	struct record *r;
	unsigned int n, size;
};

static int
cmp_peer(const void *a, const void *b)
{
	return memcmp(((const struct wgjit_peer *)a)->public_key,
		((const struct wgjit_peer *)b)->public_key, WGJIT_KEY_LEN);
}

static const struct wgjit_peer *
dump_find(const struct wgjit_wg_device *dev, const uint8_t key[WGJIT_KEY_LEN])
{
	struct wgjit_peer k;

	memcpy(k.public_key, key, WGJIT_KEY_LEN);
	return bsearch(&k, dev->peers, dev->nb_peers, sizeof(*dev->peers),
		cmp_peer);
}

static int
dump_sorted(struct wgjit_ctl *ctl, struct wgjit_wg_device *dev)
{
	int ret = wgjit_wg_get_device(ctl->wg, dev);

	if (ret == 0 && dev->nb_peers > 1)
		qsort(dev->peers, dev->nb_peers, sizeof(*dev->peers), cmp_peer);
	return ret;
}

int
wgjit_ctl_priv_watch_poll(struct wgjit_ctl *ctl, uint64_t now_ms)
{
	struct wgjit_wg_device dev;
	uint64_t grace = ctl->p.grace_ms;
	int ret;

	ctl->next_watch_ms = wgjit_ctl_priv_mono_ns() / 1000000 +
		WATCH_PERIOD_MS;
	ret = dump_sorted(ctl, &dev);
	if (ret != 0)
		return ret;
	for (unsigned int i = 0; i < ctl->p.max_pending; i++) {
		struct ctl_watch *w = &ctl->watch[i];
		const struct wgjit_peer *peer;

		if (!w->used)
			continue;
		peer = dump_find(&dev, w->key);
		if (peer != NULL && peer->last_handshake_sec == 0 &&
				now_ms - w->installed_ms < grace)
			continue;
		if (peer != NULL && peer->last_handshake_sec != 0) {
			ctl->stats.handshakes++;
			wgjit_ctl_priv_hist_add(ctl->stats.handshake_us,
				wgjit_ctl_priv_mono_ns() - w->rx_ns);
		}
		if (peer != NULL && w->restore) {
			struct wgjit_peer upd;

			memset(&upd, 0, sizeof(upd));
			memcpy(upd.public_key, w->key, WGJIT_KEY_LEN);
			upd.flags = WGJIT_PEER_HAS_KEEPALIVE |
				WGJIT_PEER_UPDATE_ONLY;
			upd.persistent_keepalive = w->keepalive;
			if (wgjit_wg_set_peers(ctl->wg, &upd, 1) != 0)
				ctl->stats.install_failures++;
		}
		memset(w, 0, sizeof(*w));
		ctl->nb_watch--;
	}
	wgjit_wg_device_free(&dev);
	return 0;
}

static int
collect_record(void *arg, const uint8_t key[WGJIT_KEY_LEN],
		const union wgjit_endpoint *ep, uint64_t installed_ms)
{
	struct record_list *l = arg;

	if (l->n == l->size) {
		unsigned int size = l->size ? l->size * 2 : 64;
		struct record *r = realloc(l->r, size * sizeof(*r));

		if (r == NULL)
			return -ENOMEM;
		l->r = r;
		l->size = size;
	}
	memcpy(l->r[l->n].key, key, WGJIT_KEY_LEN);
	l->r[l->n].ep = *ep;
	l->r[l->n].installed_ms = installed_ms;
	l->n++;
	return 0;
}

static void
forget(struct wgjit_ctl *ctl, const struct record *r)
{
	if (wgjit_cache_record_remove(ctl->cache, r->key) < 0)
		ctl->stats.db_errors++;
	if (ctl->p.hooks.endpoint != NULL)
		ctl->p.hooks.endpoint(ctl->p.hooks.arg, &r->ep, false);
}

static int
cmp_key(const void *a, const void *b)
{
	return memcmp(a, b, WGJIT_KEY_LEN);
}

bool
wgjit_ctl_priv_is_foreign(const struct wgjit_ctl *ctl, const uint8_t key[WGJIT_KEY_LEN])
{
	return ctl->nb_foreign > 0 && bsearch(key, ctl->foreign,
		ctl->nb_foreign, WGJIT_KEY_LEN, cmp_key) != NULL;
}

/* Device peers without an install record, sorted (dev is sorted). */
static void
note_foreign(struct wgjit_ctl *ctl, const struct wgjit_wg_device *dev,
		const struct record_list *l)
{
	uint8_t (*f)[WGJIT_KEY_LEN] = calloc(dev->nb_peers ? dev->nb_peers : 1,
		WGJIT_KEY_LEN);
	uint8_t (*ours)[WGJIT_KEY_LEN] = calloc(l->n ? l->n : 1, WGJIT_KEY_LEN);
	unsigned int n = 0;

	if (f == NULL || ours == NULL) {
		free(f);
		free(ours);
		return;
	}
	for (unsigned int j = 0; j < l->n; j++)
		memcpy(ours[j], l->r[j].key, WGJIT_KEY_LEN);
	qsort(ours, l->n, WGJIT_KEY_LEN, cmp_key);
	for (unsigned int i = 0; i < dev->nb_peers; i++)
		if (bsearch(dev->peers[i].public_key, ours, l->n,
				WGJIT_KEY_LEN, cmp_key) == NULL)
			memcpy(f[n++], dev->peers[i].public_key, WGJIT_KEY_LEN);
	free(ours);
	free(ctl->foreign);
	ctl->foreign = f;
	ctl->nb_foreign = n;
	ctl->foreign_mono_ms = wgjit_ctl_priv_mono_ns() / 1000000;
}

static int
cmp_activity(const void *a, const void *b)
{
	return memcmp(((const struct ctl_activity *)a)->key,
		((const struct ctl_activity *)b)->key, WGJIT_KEY_LEN);
}

/*
 * When the peer last showed life: its receive counter moving since the
 * previous pass, else what that pass knew, else now (first sight, e.g.
 * after a restart: give it a full idle period).
 */
static uint64_t
last_active(const struct wgjit_ctl *ctl, const uint8_t key[WGJIT_KEY_LEN],
		const struct wgjit_peer *peer, uint64_t now_ms)
{
	struct ctl_activity k;
	const struct ctl_activity *prev;

	memcpy(k.key, key, WGJIT_KEY_LEN);
	prev = ctl->nb_act == 0 ? NULL : bsearch(&k, ctl->act, ctl->nb_act,
		sizeof(*ctl->act), cmp_activity);
	if (prev == NULL || prev->rx_bytes != peer->rx_bytes)
		return now_ms;
	return prev->active_ms;
}

/*
 * Idle: no handshake and no received data for idle_timeout; or, for a peer
 * that never completed a handshake, installed longer than the grace time.
 */
static bool
idle(const struct wgjit_ctl *ctl, const struct record *r,
		const struct wgjit_peer *peer, uint64_t active_ms, uint64_t now_ms)
{
	uint64_t last;

	if (peer->last_handshake_sec == 0)
		return now_ms > r->installed_ms &&
			now_ms - r->installed_ms > ctl->p.grace_ms;
	last = (uint64_t)peer->last_handshake_sec * 1000;
	if (active_ms > last)
		last = active_ms;
	return now_ms > last && now_ms - last > ctl->p.idle_timeout_ms;
}

static void
snapshot(struct wgjit_ctl *ctl, const struct record_list *l,
		const struct wgjit_wg_device *dev)
{
	struct wgjit_ctl_peer_info *s = calloc(l->n ? l->n : 1, sizeof(*s));
	unsigned int n = 0;

	if (s == NULL)
		return;
	for (unsigned int i = 0; i < l->n; i++) {
		const struct wgjit_peer *peer = dump_find(dev, l->r[i].key);

		if (peer == NULL)
			continue;
		memcpy(s[n].public_key, l->r[i].key, WGJIT_KEY_LEN);
		s[n].endpoint = (peer->flags & WGJIT_PEER_HAS_ENDPOINT) ?
			peer->endpoint : l->r[i].ep;
		s[n].installed_ms = l->r[i].installed_ms;
		s[n].last_handshake_sec = peer->last_handshake_sec;
		n++;
	}
	pthread_mutex_lock(&ctl->snap_lock);
	free(ctl->snap);
	ctl->snap = s;
	ctl->nb_snap = n;
	pthread_mutex_unlock(&ctl->snap_lock);
}

/*
 * One pass over the device: records of peers the device lost are dropped
 * (the next initiation re-installs them); with @p evict, idle peers are
 * removed, at most evict_batch of them.
 */
static int
pass(struct wgjit_ctl *ctl, uint64_t now_ms, bool evict)
{
	struct record_list l = { NULL, 0, 0 };
	struct wgjit_wg_device dev;
	struct wgjit_peer *rm = NULL;
	struct record **rm_rec = NULL;
	unsigned int nb_rm = 0, nb_act = 0, batch = ctl->p.evict_batch;
	struct ctl_activity *act = NULL;
	int ret;

	ret = dump_sorted(ctl, &dev);
	if (ret != 0)
		return ret;
	ret = wgjit_cache_installed_foreach(ctl->cache, collect_record, &l);
	if (ret < 0)
		goto out;
	ret = 0;
	rm = calloc(batch, sizeof(*rm));
	rm_rec = calloc(batch, sizeof(*rm_rec));
	act = calloc(l.n ? l.n : 1, sizeof(*act));
	if (rm == NULL || rm_rec == NULL || act == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	for (unsigned int i = 0; i < l.n; i++) {
		const struct wgjit_peer *peer = dump_find(&dev, l.r[i].key);

		if (peer == NULL) {
			forget(ctl, &l.r[i]);
			ctl->stats.reconciled++;
			continue;
		}
		memcpy(act[nb_act].key, l.r[i].key, WGJIT_KEY_LEN);
		act[nb_act].rx_bytes = peer->rx_bytes;
		act[nb_act].active_ms = last_active(ctl, l.r[i].key, peer,
			now_ms);
		nb_act++;
		if (!evict || nb_rm == batch || !idle(ctl, &l.r[i], peer,
				act[nb_act - 1].active_ms, now_ms))
			continue;
		memcpy(rm[nb_rm].public_key, l.r[i].key, WGJIT_KEY_LEN);
		rm[nb_rm].flags = WGJIT_PEER_REMOVE;
		rm_rec[nb_rm++] = &l.r[i];
	}
	if (nb_rm > 0) {
		if (wgjit_wg_set_peers(ctl->wg, rm, nb_rm) != 0) {
			ctl->stats.install_failures++;
			goto out;	/* tried again next tick */
		}
		for (unsigned int i = 0; i < nb_rm; i++) {
			forget(ctl, rm_rec[i]);
			ctl->stats.evictions++;
		}
	}
out:
	if (ret == 0 && act != NULL) {
		/* Evicted peers may stay listed: they are never looked up. */
		qsort(act, nb_act, sizeof(*act), cmp_activity);
		free(ctl->act);
		ctl->act = act;
		ctl->nb_act = nb_act;
		act = NULL;
	}
	free(act);
	if (ret == 0) {
		/* Rebuild the view from what stays. */
		struct record_list keep = { NULL, 0, 0 };

		if (wgjit_cache_installed_foreach(ctl->cache, collect_record,
				&keep) >= 0) {
			ctl->stats.peers_installed = keep.n;
			snapshot(ctl, &keep, &dev);
			/* Against the records before this pass's removals:
			 * a peer evicted just now is gone, not foreign. */
			note_foreign(ctl, &dev, &l);
		}
		free(keep.r);
	}
	free(rm);
	free(rm_rec);
	free(l.r);
	wgjit_wg_device_free(&dev);
	return ret;
}

int
wgjit_ctl_priv_reconcile(struct wgjit_ctl *ctl, uint64_t now_ms)
{
	return pass(ctl, now_ms, false);
}

int
wgjit_ctl_priv_tick(struct wgjit_ctl *ctl, uint64_t now_ms)
{
	int ret = pass(ctl, now_ms, true);

	if (wgjit_cache_expire(ctl->cache, now_ms) < 0)
		ctl->stats.db_errors++;
	return ret;
}
