/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * Intake and install: an authenticated initiation is checked against the
 * persistent replay store, then the cache decides: install now (hit),
 * ignore (negative or inside the re-fetch window) or fetch. A finished
 * fetch installs every initiation that waited for it.
 */

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wgjit_ctl.h"
#include "wgjit_defaults.h"
#include "wgjit_evict.h"
#include "wgjit_foreign.h"
#include "wgjit_replay.h"

/* Device dumps while installs wait for their first handshake. */
#define WATCH_PERIOD_MS 10

/* An initiation waiting for its fetch to finish. */
struct ctl_pending {
	struct wgjit_ctl_initiation in;
	bool used;
};

/* An install waiting for its first handshake. */
struct ctl_watch {
	uint8_t key[WGJIT_KEY_LEN];
	uint64_t rx_ns;
	uint64_t installed_ms;
	uint16_t keepalive;	/* configured value to restore */
	bool restore;		/* bring-up changed the keepalive */
	bool used;
};

/* One install record, as read from the cache for a pass. */
struct record {
	uint8_t key[WGJIT_KEY_LEN];
	union wgjit_endpoint ep;
	uint64_t installed_ms;
};

struct record_list {
	struct record *r;
	unsigned int n, size;
};

struct wgjit_ctl {
	struct wgjit_ctl_params p;
	struct wgjit_wg *wg;
	struct wgjit_cache *cache;
	struct wgjit_fetch *fetch;
	struct wgjit_foreign *foreign;
	struct wgjit_evict *evict;
	struct wgjit_replay_store replay;
	uint8_t private_key[WGJIT_KEY_LEN];
	uint16_t listen_port;
	struct ctl_pending *pending;
	struct ctl_watch *watch;
	unsigned int nb_watch;
	uint64_t next_tick_ms;
	uint64_t next_watch_ms;
	uint64_t now_ms;	/* wall time of the current call */
	uint64_t negative_ttl_ms;	/* the cache's */
	struct wgjit_ctl_stats stats;
	pthread_mutex_t snap_lock;
	struct wgjit_ctl_peer_info *snap;
	unsigned int nb_snap;
};

const char *const wgjit_ctl_stats_names[] = {
	"submitted", "already_installed", "foreign", "ctl_replays",
	"cache_hits", "negative_hits", "suppressed", "api_requests",
	"api_not_found", "api_errors", "installs", "install_failures",
	"evictions", "reconciled", "handshakes", "pending_dropped",
	"db_errors", "peers_installed", "fetches_waiting",
};

_Static_assert(sizeof(wgjit_ctl_stats_names) /
	sizeof(wgjit_ctl_stats_names[0]) == WGJIT_CTL_NB_STATS,
	"one name per counter");
const char *const wgjit_ctl_hist_names[] = {
	[WGJIT_CTL_HIST_INSTALL] = "install",
	[WGJIT_CTL_HIST_HANDSHAKE] = "handshake",
};

_Static_assert(offsetof(struct wgjit_ctl_stats, hist) ==
	WGJIT_CTL_NB_STATS * sizeof(uint64_t),
	"named counters are consecutive uint64_t");

/* Monotonic milliseconds: scheduling. */
static uint64_t
mono_ms(const struct wgjit_ctl *ctl)
{
	return wgjit_clock_now_ms(ctl->p.clock);
}

/* Monotonic nanoseconds: latencies (the clock workers stamp rx_ns with). */
static uint64_t
mono_ns(const struct wgjit_ctl *ctl)
{
	return wgjit_clock_now_ns(ctl->p.clock);
}

/* Count a latency in a log2 microsecond histogram. */
static void
hist_add(uint64_t hist[WGJIT_CTL_HIST_BUCKETS], uint64_t ns)
{
	uint64_t us = ns / 1000;
	unsigned int b = 0;

	while (us > 1 && b < WGJIT_CTL_HIST_BUCKETS - 1) {
		us >>= 1;
		b++;
	}
	hist[b]++;
}

static int reconcile(struct wgjit_ctl *ctl);

static void
release_held(struct wgjit_ctl *ctl, void *held)
{
	if (held != NULL && ctl->p.hooks.release != NULL)
		ctl->p.hooks.release(ctl->p.hooks.arg, held);
}

/* Let the kernel see a withheld frame after all (once: a frame whose
 * original was forwarded is only released). */
static void
give_back(struct wgjit_ctl *ctl, const struct wgjit_ctl_initiation *in)
{
	if (in->held == NULL)
		return;
	if (!in->forwarded && ctl->p.hooks.reinject != NULL)
		ctl->p.hooks.reinject(ctl->p.hooks.arg, in->held);
	else
		release_held(ctl, in->held);
}

/* Let the data path stop at one DH for a key the control plane lacks. */
static void
tell_negative(struct wgjit_ctl *ctl, const uint8_t key[WGJIT_KEY_LEN])
{
	if (ctl->p.hooks.negative != NULL)
		ctl->p.hooks.negative(ctl->p.hooks.arg, key,
			(uint32_t)ctl->negative_ttl_ms);
}

static struct ctl_pending *
pending_find(struct wgjit_ctl *ctl, const uint8_t key[WGJIT_KEY_LEN])
{
	for (unsigned int i = 0; i < ctl->p.max_pending; i++)
		if (ctl->pending[i].used && memcmp(ctl->pending[i].in.public_key,
				key, WGJIT_KEY_LEN) == 0)
			return &ctl->pending[i];
	return NULL;
}

/* Keep the newest initiation of a key while its fetch runs. */
static void
pending_put(struct wgjit_ctl *ctl, const struct wgjit_ctl_initiation *in)
{
	struct ctl_pending *slot = pending_find(ctl, in->public_key);

	for (unsigned int i = 0; slot == NULL && i < ctl->p.max_pending; i++)
		if (!ctl->pending[i].used)
			slot = &ctl->pending[i];
	if (slot == NULL) {
		ctl->stats.pending_dropped++;
		release_held(ctl, in->held);
		return;
	}
	if (slot->used)
		release_held(ctl, slot->in.held);
	slot->in = *in;
	slot->used = true;
}

static void
watch_add(struct wgjit_ctl *ctl, const struct wgjit_ctl_initiation *in,
		uint16_t keepalive, bool restore)
{
	struct ctl_watch *w = NULL;
	unsigned int max = ctl->p.max_pending;

	for (unsigned int i = 0; i < max; i++) {
		if (ctl->watch[i].used && memcmp(ctl->watch[i].key,
				in->public_key, WGJIT_KEY_LEN) == 0) {
			w = &ctl->watch[i];
			break;
		}
		if (w == NULL && !ctl->watch[i].used)
			w = &ctl->watch[i];
	}
	if (w == NULL)
		return;	/* only latency and keepalive restore are lost */
	if (!w->used)
		ctl->nb_watch++;
	memcpy(w->key, in->public_key, WGJIT_KEY_LEN);
	w->rx_ns = in->rx_ns;
	w->installed_ms = ctl->now_ms;
	w->keepalive = keepalive;
	w->restore = restore;
	w->used = true;
	if (ctl->next_watch_ms > mono_ms(ctl) + 5)
		ctl->next_watch_ms = mono_ms(ctl) + 5;
}

/* Install @p cfg at the initiation's endpoint and bring it up. */
static void
install(struct wgjit_ctl *ctl, const struct wgjit_peer *cfg,
		const struct wgjit_ctl_initiation *in)
{
	struct wgjit_peer peer = *cfg;
	uint16_t configured = (cfg->flags & WGJIT_PEER_HAS_KEEPALIVE) ?
		cfg->persistent_keepalive : 0;
	/* Initiate needs a watch slot to put the keepalive back; without
	 * one, fall back to re-injecting the held initiation. */
	bool initiate = ctl->p.bringup == WGJIT_CTL_BRINGUP_INITIATE &&
		ctl->nb_watch < ctl->p.max_pending;
	bool reinject = !initiate &&
		ctl->p.bringup != WGJIT_CTL_BRINGUP_NONE;
	int ret;

	/* A peer the operator added since the last pass is not ours: look
	 * at the device again when that view is over a second old. */
	if (mono_ms(ctl) - wgjit_foreign_updated_ms(ctl->foreign) > 1000 &&
			reconcile(ctl) == 0 &&
			wgjit_foreign_has(ctl->foreign, in->public_key)) {
		wgjit_peer_clear(&peer);
		ctl->stats.foreign++;
		give_back(ctl, in);
		return;
	}
	memcpy(peer.public_key, in->public_key, WGJIT_KEY_LEN);
	peer.endpoint = in->src;
	peer.flags |= WGJIT_PEER_HAS_ENDPOINT | WGJIT_PEER_REPLACE_ALLOWED_IPS;
	if (initiate) {
		/* Endpoint plus keepalive 0 -> n in one set: the device sends
		 * its own initiation at once (docs/architecture.md). */
		peer.flags |= WGJIT_PEER_HAS_KEEPALIVE;
		peer.persistent_keepalive = ctl->p.bringup_keepalive;
	}
	ret = wgjit_wg_set_peers(ctl->wg, &peer, 1);
	wgjit_peer_clear(&peer);
	if (ret != 0) {
		ctl->stats.install_failures++;
		release_held(ctl, in->held);
		return;
	}
	ctl->stats.installs++;
	hist_add(ctl->stats.hist[WGJIT_CTL_HIST_INSTALL],
		mono_ns(ctl) - in->rx_ns);
	if (wgjit_cache_record_install(ctl->cache, in->public_key, &in->src,
			ctl->now_ms) != 0)
		ctl->stats.db_errors++;
	else
		ctl->stats.peers_installed++;
	if (ctl->p.hooks.endpoint != NULL)
		ctl->p.hooks.endpoint(ctl->p.hooks.arg, &in->src, true);
	if (reinject && in->held != NULL && ctl->p.hooks.reinject != NULL)
		ctl->p.hooks.reinject(ctl->p.hooks.arg, in->held);
	else
		release_held(ctl, in->held);
	watch_add(ctl, in, configured,
		initiate && configured != ctl->p.bringup_keepalive);
}

/* 1 when @p in is not newer than the last accepted initiation of its
 * key, 0 when it is, or -errno. */
static int
replay_seen(struct wgjit_ctl *ctl, const struct wgjit_ctl_initiation *in)
{
	uint8_t last[WGJIT_MSG_TAI64N_LEN];
	int ret;

	ret = wgjit_cache_replay_lookup(ctl->cache, in->public_key, last);
	if (ret <= 0)
		return ret;
	return wgjit_replay_tai64n_cmp(in->tai64n, last) <= 0;
}

/* Commit the timestamp (known peer), then install. */
static void
accept_peer(struct wgjit_ctl *ctl, const struct wgjit_peer *cfg,
		const struct wgjit_ctl_initiation *in)
{
	int ret = wgjit_replay_check(&ctl->replay, in->public_key,
		in->tai64n);

	if (ret == WGJIT_REPLAY_FRESH) {
		install(ctl, cfg, in);
		return;
	}
	if (ret == WGJIT_REPLAY_SEEN)
		ctl->stats.replays++;
	else
		ctl->stats.db_errors++;
	release_held(ctl, in->held);
}

int
wgjit_ctl_submit(struct wgjit_ctl *ctl, const struct wgjit_ctl_initiation *in)
{
	uint64_t now_ms = wgjit_clock_wall_now_ms(ctl->p.clock);
	struct wgjit_peer cfg;
	int ret;

	ctl->now_ms = now_ms;
	ctl->stats.submitted++;
	ret = wgjit_cache_is_installed(ctl->cache, in->public_key);
	if (ret > 0) {
		/* WireGuard handles rekeys and roaming of its own peers; an
		 * unauthenticated or replayed packet never moves them. */
		ctl->stats.already_installed++;
		give_back(ctl, in);
		return 0;
	}
	if (ret == 0 && wgjit_foreign_has(ctl->foreign, in->public_key)) {
		/* A static peer of the operator's: never touched. */
		ctl->stats.foreign++;
		give_back(ctl, in);
		return 0;
	}
	/* Read-only replay check first; the timestamp is committed only
	 * for a peer the control plane knows (no rows for strangers). */
	if (ret == 0)
		ret = replay_seen(ctl, in);
	if (ret > 0) {
		ctl->stats.replays++;
		release_held(ctl, in->held);
		return 0;
	}
	if (ret == 0)
		ret = wgjit_cache_lookup(ctl->cache, in->public_key, now_ms,
			&cfg);
	switch (ret) {
	case WGJIT_CACHE_HIT:
		ctl->stats.cache_hits++;
		accept_peer(ctl, &cfg, in);
		wgjit_peer_clear(&cfg);
		return 0;
	case WGJIT_CACHE_NEGATIVE:
		ctl->stats.negative_hits++;
		tell_negative(ctl, in->public_key);
		release_held(ctl, in->held);
		return 0;
	case WGJIT_CACHE_FETCH:
		ret = wgjit_fetch_request(ctl->fetch, in->public_key);
		if (ret != 0 && ret != -EALREADY) {
			ctl->stats.pending_dropped++;
			release_held(ctl, in->held);
			return 0;
		}
		pending_put(ctl, in);
		return 0;
	case WGJIT_CACHE_WAIT:
		/* A fetch is running for this key: keep the newest
		 * initiation for it; otherwise we are backing off. */
		if (pending_find(ctl, in->public_key) != NULL) {
			pending_put(ctl, in);
		} else {
			ctl->stats.suppressed++;
			release_held(ctl, in->held);
		}
		return 0;
	default:
		/* The cache failed: let WireGuard decide on its own. */
		ctl->stats.db_errors++;
		give_back(ctl, in);
		return ret < 0 ? ret : -EIO;
	}
}

static void
fetch_done(void *arg, const uint8_t key[WGJIT_KEY_LEN],
		enum wgjit_fetch_result result, const struct wgjit_peer *cfg,
		const char *reason)
{
	struct wgjit_ctl *ctl = arg;
	struct ctl_pending *pend = pending_find(ctl, key);
	int ret = 0;

	(void)reason;
	switch (result) {
	case WGJIT_FETCH_OK:
		ret = wgjit_cache_store_peer(ctl->cache, cfg, ctl->now_ms);
		if (pend != NULL)
			accept_peer(ctl, cfg, &pend->in);
		break;
	case WGJIT_FETCH_NOT_FOUND:
		ctl->stats.api_not_found++;
		ret = wgjit_cache_store_negative(ctl->cache, key, ctl->now_ms);
		tell_negative(ctl, key);
		if (pend != NULL)
			release_held(ctl, pend->in.held);
		break;
	default:
		ctl->stats.api_errors++;
		ret = wgjit_cache_note_failure(ctl->cache, key, ctl->now_ms) < 0;
		if (pend != NULL)
			release_held(ctl, pend->in.held);
		break;
	}
	if (ret != 0)
		ctl->stats.db_errors++;
	if (pend != NULL)
		memset(pend, 0, sizeof(*pend));
}

/* --- Device passes: handshake watch, reconcile, eviction ------------ */

static int
dump_sorted(struct wgjit_ctl *ctl, struct wgjit_wg_device *dev)
{
	int ret = wgjit_wg_get_device(ctl->wg, dev);

	if (ret == 0)
		wgjit_wg_device_sort(dev);
	return ret;
}

static int
watch_poll(struct wgjit_ctl *ctl)
{
	struct wgjit_wg_device dev;
	uint64_t grace = ctl->p.grace_ms;
	int ret;

	ctl->next_watch_ms = mono_ms(ctl) + WATCH_PERIOD_MS;
	ret = dump_sorted(ctl, &dev);
	if (ret != 0)
		return ret;
	for (unsigned int i = 0; i < ctl->p.max_pending; i++) {
		struct ctl_watch *w = &ctl->watch[i];
		const struct wgjit_wg_peer *peer;

		if (!w->used)
			continue;
		peer = wgjit_wg_device_find(&dev, w->key);
		if (peer != NULL && peer->last_handshake_sec == 0 &&
				ctl->now_ms - w->installed_ms < grace)
			continue;
		if (peer != NULL && peer->last_handshake_sec != 0) {
			ctl->stats.handshakes++;
			hist_add(ctl->stats.hist[WGJIT_CTL_HIST_HANDSHAKE],
				mono_ns(ctl) - w->rx_ns);
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

static int
cmp_key(const void *a, const void *b)
{
	return memcmp(a, b, WGJIT_KEY_LEN);
}

/* The device's peers that have no install record are someone else's. */
static void
note_foreign(struct wgjit_ctl *ctl, const struct wgjit_wg_device *dev,
		const struct record_list *l)
{
	uint8_t (*ours)[WGJIT_KEY_LEN] = calloc(l->n ? l->n : 1, WGJIT_KEY_LEN);

	if (ours == NULL)
		return;
	for (unsigned int j = 0; j < l->n; j++)
		memcpy(ours[j], l->r[j].key, WGJIT_KEY_LEN);
	qsort(ours, l->n, WGJIT_KEY_LEN, cmp_key);
	wgjit_foreign_update(ctl->foreign, dev, ours, l->n, mono_ms(ctl));
	free(ours);
}

static void
forget(struct wgjit_ctl *ctl, const struct record *r)
{
	if (wgjit_cache_record_remove(ctl->cache, r->key) < 0)
		ctl->stats.db_errors++;
	if (ctl->p.hooks.endpoint != NULL)
		ctl->p.hooks.endpoint(ctl->p.hooks.arg, &r->ep, false);
}

/* /wgjit/peers: the records that stay, with the device's state. */
static void
snapshot(struct wgjit_ctl *ctl, const struct record_list *l,
		const struct wgjit_wg_device *dev)
{
	struct wgjit_ctl_peer_info *s = calloc(l->n ? l->n : 1, sizeof(*s));
	unsigned int n = 0;

	if (s == NULL)
		return;
	for (unsigned int i = 0; i < l->n; i++) {
		const struct wgjit_wg_peer *peer =
			wgjit_wg_device_find(dev, l->r[i].key);

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

/* Remove the @p nb_rm idle peers of @p rm_rec in one set. */
static void
remove_idle(struct wgjit_ctl *ctl, struct record **rm_rec, unsigned int nb_rm)
{
	struct wgjit_peer *rm = calloc(nb_rm, sizeof(*rm));

	if (rm == NULL)
		return;		/* tried again next tick */
	for (unsigned int i = 0; i < nb_rm; i++) {
		memcpy(rm[i].public_key, rm_rec[i]->key, WGJIT_KEY_LEN);
		rm[i].flags = WGJIT_PEER_REMOVE;
	}
	if (wgjit_wg_set_peers(ctl->wg, rm, nb_rm) != 0) {
		ctl->stats.install_failures++;
	} else {
		for (unsigned int i = 0; i < nb_rm; i++) {
			forget(ctl, rm_rec[i]);
			ctl->stats.evictions++;
		}
	}
	free(rm);
}

/*
 * One pass over the device: records of peers the device lost are dropped
 * (the next initiation re-installs them); with @p evict, idle peers are
 * removed, at most evict_batch of them.
 */
static int
pass(struct wgjit_ctl *ctl, bool evict)
{
	struct record_list l = { NULL, 0, 0 }, keep = { NULL, 0, 0 };
	unsigned int nb_rm = 0, batch = ctl->p.evict_batch;
	uint64_t now_ms = ctl->now_ms;
	struct record **rm_rec = NULL;
	struct wgjit_wg_device dev;
	int ret;

	ret = dump_sorted(ctl, &dev);
	if (ret != 0)
		return ret;
	ret = wgjit_cache_installed_foreach(ctl->cache, collect_record, &l);
	if (ret < 0)
		goto out;
	ret = 0;
	/* Against the records before this pass's removals: a peer evicted
	 * just now is gone, not foreign. */
	note_foreign(ctl, &dev, &l);
	rm_rec = calloc(batch, sizeof(*rm_rec));
	if (rm_rec == NULL || wgjit_evict_begin(ctl->evict, l.n) < 0) {
		ret = -ENOMEM;
		goto out;
	}
	for (unsigned int i = 0; i < l.n; i++) {
		const struct wgjit_wg_peer *peer =
			wgjit_wg_device_find(&dev, l.r[i].key);
		bool idle;

		if (peer == NULL) {
			forget(ctl, &l.r[i]);
			ctl->stats.reconciled++;
			continue;
		}
		idle = wgjit_evict_check(ctl->evict, peer, l.r[i].installed_ms,
			now_ms);
		if (evict && idle && nb_rm < batch)
			rm_rec[nb_rm++] = &l.r[i];
	}
	if (nb_rm > 0)
		remove_idle(ctl, rm_rec, nb_rm);
	/* Evicted peers may stay in the activity table: never looked up. */
	wgjit_evict_end(ctl->evict, true);
	/* Rebuild the view from what stays. */
	if (wgjit_cache_installed_foreach(ctl->cache, collect_record,
			&keep) >= 0) {
		ctl->stats.peers_installed = keep.n;
		snapshot(ctl, &keep, &dev);
	}
out:
	if (ret != 0)
		wgjit_evict_end(ctl->evict, false);
	free(keep.r);
	free(rm_rec);
	free(l.r);
	wgjit_wg_device_free(&dev);
	return ret;
}

static int
reconcile(struct wgjit_ctl *ctl)
{
	return pass(ctl, false);
}

static void
tick(struct wgjit_ctl *ctl)
{
	pass(ctl, true);
	if (wgjit_cache_expire(ctl->cache, ctl->now_ms) < 0)
		ctl->stats.db_errors++;
}

int
wgjit_ctl_poll(struct wgjit_ctl *ctl)
{
	struct wgjit_fetch_stats fs;
	int ret;

	ctl->now_ms = wgjit_clock_wall_now_ms(ctl->p.clock);
	ret = wgjit_fetch_poll(ctl->fetch, fetch_done, ctl);
	wgjit_fetch_stats_get(ctl->fetch, &fs);
	ctl->stats.api_requests = fs.requests;
	ctl->stats.fetches_waiting = fs.in_flight + fs.queued;
	if (ret < 0)
		return ret;
	if (ctl->nb_watch > 0 && mono_ms(ctl) >= ctl->next_watch_ms)
		watch_poll(ctl);
	if (mono_ms(ctl) >= ctl->next_tick_ms) {
		tick(ctl);
		ctl->next_tick_ms = mono_ms(ctl) + ctl->p.evict_interval_ms;
	}
	return 0;
}

/* Zero parameters take the table of defaults. */
static void
fill_defaults(struct wgjit_ctl_params *p)
{
	if (p->bringup_keepalive == 0)
		p->bringup_keepalive = WGJIT_DEFAULT_BRINGUP_KEEPALIVE_S;
	if (p->max_pending == 0)
		p->max_pending = WGJIT_DEFAULT_MAX_PENDING;
	if (p->idle_timeout_ms == 0)
		p->idle_timeout_ms = WGJIT_DEFAULT_EVICT_IDLE_TIMEOUT_S * 1000;
	if (p->evict_interval_ms == 0)
		p->evict_interval_ms = WGJIT_DEFAULT_EVICT_INTERVAL_S * 1000;
	if (p->evict_batch == 0)
		p->evict_batch = WGJIT_DEFAULT_EVICT_BATCH;
	if (p->grace_ms == 0)
		p->grace_ms = WGJIT_DEFAULT_EVICT_GRACE_S * 1000;
}

struct wgjit_ctl *
wgjit_ctl_create(const struct wgjit_ctl_params *p, char *err, size_t errlen)
{
	struct wgjit_wg_device dev;
	struct wgjit_ctl *ctl;
	int ret;

	ctl = calloc(1, sizeof(*ctl));
	if (ctl == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ctl->p = *p;
	fill_defaults(&ctl->p);
	pthread_mutex_init(&ctl->snap_lock, NULL);
	ctl->pending = calloc(ctl->p.max_pending, sizeof(*ctl->pending));
	ctl->watch = calloc(ctl->p.max_pending, sizeof(*ctl->watch));
	ctl->foreign = wgjit_foreign_create();
	ctl->evict = wgjit_evict_create(&(struct wgjit_evict_params){
		.idle_timeout_ms = ctl->p.idle_timeout_ms,
		.grace_ms = ctl->p.grace_ms,
	});
	if (ctl->pending == NULL || ctl->watch == NULL ||
			ctl->foreign == NULL || ctl->evict == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	ctl->wg = wgjit_wg_open(p->backend, p->ifname, err, errlen);
	if (ctl->wg == NULL)
		goto fail;
	ret = wgjit_wg_get_device(ctl->wg, &dev);
	if (ret != 0) {
		snprintf(err, errlen, "cannot read WireGuard device %s: %s",
			p->ifname, wgjit_wg_errmsg(ctl->wg)[0] != '\0' ?
			wgjit_wg_errmsg(ctl->wg) : strerror(-ret));
		goto fail;
	}
	memcpy(ctl->private_key, dev.private_key, WGJIT_KEY_LEN);
	ctl->listen_port = dev.listen_port;
	ret = wgjit_key_is_zero(ctl->private_key);
	wgjit_wg_device_free(&dev);
	if (ret) {
		snprintf(err, errlen, "WireGuard device %s has no private key "
			"(set one with 'wg set %s private-key FILE')",
			p->ifname, p->ifname);
		goto fail;
	}
	ctl->cache = wgjit_cache_open(p->cache_path, &p->cache, err, errlen);
	if (ctl->cache == NULL)
		goto fail;
	ctl->negative_ttl_ms = wgjit_cache_negative_ttl_ms(ctl->cache);
	ctl->replay.lookup = wgjit_cache_replay_lookup;
	ctl->replay.commit = wgjit_cache_replay_commit;
	ctl->replay.arg = ctl->cache;
	ctl->fetch = wgjit_fetch_create(&p->fetch);
	if (ctl->fetch == NULL) {
		snprintf(err, errlen, "cannot set up the control-plane client "
			"for '%s': %s", p->fetch.base_url ?: "(none)",
			strerror(errno));
		goto fail;
	}
	ctl->now_ms = wgjit_clock_wall_now_ms(ctl->p.clock);
	ctl->next_watch_ms = mono_ms(ctl);
	ctl->next_tick_ms = mono_ms(ctl) + ctl->p.evict_interval_ms;
	ret = reconcile(ctl);
	if (ret < 0) {
		snprintf(err, errlen, "cannot reconcile device %s with the "
			"cache: %s", p->ifname, strerror(-ret));
		goto fail;
	}
	return ctl;
fail:
	wgjit_ctl_free(ctl);
	return NULL;
}

static int
announce_one(void *arg, const uint8_t key[WGJIT_KEY_LEN],
		const union wgjit_endpoint *ep, uint64_t installed_ms)
{
	struct wgjit_ctl *ctl = arg;

	(void)key;
	(void)installed_ms;
	if (ep != NULL && ep->sa.sa_family != AF_UNSPEC)
		ctl->p.hooks.endpoint(ctl->p.hooks.arg, ep, true);
	return 0;
}

int
wgjit_ctl_announce_endpoints(struct wgjit_ctl *ctl)
{
	int ret;

	if (ctl->p.hooks.endpoint == NULL)
		return 0;
	ret = wgjit_cache_installed_foreach(ctl->cache, announce_one, ctl);
	return ret < 0 ? ret : 0;
}

void
wgjit_ctl_device_identity(const struct wgjit_ctl *ctl,
		uint8_t private_key[WGJIT_KEY_LEN], uint16_t *listen_port)
{
	memcpy(private_key, ctl->private_key, WGJIT_KEY_LEN);
	*listen_port = ctl->listen_port;
}

void
wgjit_ctl_stats(const struct wgjit_ctl *ctl, struct wgjit_ctl_stats *st)
{
	*st = ctl->stats;
}

unsigned int
wgjit_ctl_peers(struct wgjit_ctl *ctl, unsigned int first,
		struct wgjit_ctl_peer_info *out, unsigned int max)
{
	unsigned int n = 0;

	pthread_mutex_lock(&ctl->snap_lock);
	if (first < ctl->nb_snap)
		n = ctl->nb_snap - first < max ? ctl->nb_snap - first : max;
	if (n > 0)
		memcpy(out, ctl->snap + first, n * sizeof(*out));
	pthread_mutex_unlock(&ctl->snap_lock);
	return n;
}

void
wgjit_ctl_free(struct wgjit_ctl *ctl)
{
	if (ctl == NULL)
		return;
	if (ctl->pending != NULL)
		for (unsigned int i = 0; i < ctl->p.max_pending; i++)
			if (ctl->pending[i].used)
				release_held(ctl, ctl->pending[i].in.held);
	wgjit_fetch_free(ctl->fetch);
	wgjit_cache_close(ctl->cache);
	wgjit_wg_close(ctl->wg);
	free(ctl->pending);
	free(ctl->watch);
	free(ctl->snap);
	wgjit_evict_free(ctl->evict);
	wgjit_foreign_free(ctl->foreign);
	pthread_mutex_destroy(&ctl->snap_lock);
	sodium_memzero(ctl->private_key, sizeof(ctl->private_key));
	free(ctl);
}
