/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * Intake, batches and bring-up. An authenticated initiation is checked
 * against the endpoint policy, the freshness window and the replay
 * floors; then the cache decides: stage an install (hit), drop (404), or
 * wait for a fetch (returning keys ahead of never-seen ones). Each poll
 * applies every staged install in one backend call, intents first, and
 * writes the pass in one SQLite transaction. Events from the data path end
 * bring-ups; a slow device pass reconciles, evicts and refreshes the view
 * of the operator's peers.
 */

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wgjit_ctl.h"
#include "wgjit_defaults.h"
#include "wgjit_err.h"
#include "wgjit_evict.h"
#include "wgjit_floors.h"
#include "wgjit_foreign.h"
#include "wgjit_pending.h"
#include "wgjit_policy.h"
#include "wgjit_replay.h"
#include "wgjit_secret.h"
#include "wgjit_watch.h"

/* A stage of a control pass that takes this long is logged. */
#define SLOW_STAGE_MS 500
/* Device dumps while installs wait, when the data path has no events. */
#define WATCH_DUMP_PERIOD_MS 20
/* How often bring-up deadlines are looked at. */
#define DEADLINE_PERIOD_MS 100
/* The view of the operator's peers is refreshed before an install when
 * older than this; an install never goes ahead without a view. */
#define FOREIGN_MAX_AGE_MS 1000
/* Keys looked at per pass by the pacing prune. */
#define PACE_PRUNE 256

/* One install ready for the next batch. */
struct staged {
	struct wgjit_ctl_initiation in;
	struct wgjit_peer cfg;
};

/* A keepalive to put back once a bring-up is over. */
struct restore {
	uint8_t key[WGJIT_KEY_LEN];
	uint16_t keepalive;
};

/* One install record, as read from the cache for a pass. */
struct record {
	uint8_t key[WGJIT_KEY_LEN];
	union wgjit_endpoint ep;	/* AF_UNSPEC when none */
	uint64_t installed_ms;
	enum wgjit_cache_install_state state;
};

struct record_list {
	struct record *r;
	unsigned int n, size;
};

/* Reasons for log lines, each rate-limited on its own. */
enum log_reason {
	LOG_FETCH,
	LOG_POLICY,
	LOG_INSTALL,
	LOG_DB,
	LOG_DEVICE,
	LOG_ABANDON,
	LOG_FOREIGN,
	LOG_SLOW,
	LOG_NB,
};

struct log_limit {
	uint64_t last_ms;
	uint64_t held;
	bool used;
};

struct wgjit_ctl {
	struct wgjit_ctl_params p;
	struct wgjit_wg *wg;
	struct wgjit_cache *cache;
	struct wgjit_fetch *fetch;
	struct wgjit_foreign *foreign;
	struct wgjit_evict *evict;
	struct wgjit_pace *pace;
	struct wgjit_pending *pending;
	struct wgjit_floors *floors;
	struct wgjit_watch *watch;
	struct wgjit_policy policy;
	uint8_t *private_key;		/* secret memory */
	uint16_t listen_port;
	struct staged *batch;
	unsigned int nb_batch, batch_cap;
	struct wgjit_peer *peers;	/* scratch for backend calls */
	struct staged **applied;	/* scratch: entries of one call */
	struct restore *restores;
	unsigned int nb_restores;
	bool foreign_ok;		/* the last refresh worked */
	bool device_stale;		/* re-created with another identity */
	bool reconcile_due;		/* a batch failed: settle intents */
	uint64_t next_tick_ms;
	uint64_t next_watch_dump_ms;
	uint64_t next_deadline_ms;
	uint64_t last_abandon_dump_ms;
	struct log_limit logs[LOG_NB];
	struct wgjit_ctl_stats stats;
	pthread_mutex_t snap_lock;
	struct wgjit_ctl_peer_info *snap;
	unsigned int nb_snap;
};

const char *const wgjit_ctl_stats_names[] = {
	"submitted", "already_installed", "observed", "foreign",
	"ctl_replays", "stale_timestamps", "martians", "cache_hits",
	"negative_hits", "returning", "never_seen", "suppressed", "pace_full",
	"api_requests", "api_not_found", "api_errors", "policy_refused",
	"installs", "install_failures", "batches", "evictions", "abandoned",
	"reconciled", "intents_settled", "handshakes", "events",
	"events_unmatched", "pending_dropped", "pending_not_newer",
	"foreign_unknown", "device_changed", "db_errors", "peers_installed",
	"fetches_waiting", "watching",
};

_Static_assert(sizeof(wgjit_ctl_stats_names) /
	sizeof(wgjit_ctl_stats_names[0]) == WGJIT_CTL_NB_STATS,
	"one name per counter");
_Static_assert(offsetof(struct wgjit_ctl_stats, hist) ==
	WGJIT_CTL_NB_STATS * sizeof(uint64_t),
	"named counters are consecutive uint64_t");

const char *const wgjit_ctl_hist_names[] = {
	[WGJIT_CTL_HIST_RING] = "ring",
	[WGJIT_CTL_HIST_CACHE] = "cache",
	[WGJIT_CTL_HIST_FETCH] = "fetch",
	[WGJIT_CTL_HIST_APPLY] = "apply",
	[WGJIT_CTL_HIST_INSTALL] = "install",
	[WGJIT_CTL_HIST_BRINGUP] = "bringup",
	[WGJIT_CTL_HIST_HANDSHAKE] = "handshake",
};

/* --- Clocks, histograms, log ----------------------------------------- */

/* Monotonic milliseconds: every schedule. */
static uint64_t
mono_ms(const struct wgjit_ctl *ctl)
{
	return wgjit_clock_now_ms(ctl->p.clock);
}

/* Monotonic nanoseconds: latencies (the clock workers stamp with). */
static uint64_t
mono_ns(const struct wgjit_ctl *ctl)
{
	return wgjit_clock_now_ns(ctl->p.clock);
}

/* Wall-clock milliseconds: records and TAI64N freshness only. */
static uint64_t
wall_ms(const struct wgjit_ctl *ctl)
{
	return wgjit_clock_wall_now_ms(ctl->p.clock);
}

/* Count a latency from @p since_ns to @p now_ns (a log2 histogram). */
static void
hist_add(struct wgjit_ctl *ctl, enum wgjit_ctl_hist h, uint64_t since_ns,
		uint64_t now_ns)
{
	uint64_t us = now_ns > since_ns ? (now_ns - since_ns) / 1000 : 0;
	unsigned int b = 0;

	while (us > 1 && b < WGJIT_CTL_HIST_BUCKETS - 1) {
		us >>= 1;
		b++;
	}
	ctl->stats.hist[h][b]++;
}

/* One line per reason per second; the lines held back are counted. */
static void __attribute__((format(printf, 4, 5)))
ctl_log(struct wgjit_ctl *ctl, enum log_reason r,
		enum wgjit_ctl_log_level level, const char *fmt, ...)
{
	struct log_limit *l = &ctl->logs[r];
	uint64_t now = mono_ms(ctl);
	char line[384];
	va_list ap;
	int n;

	if (ctl->p.hooks.log == NULL)
		return;
	if (l->used && now - l->last_ms < 1000) {
		l->held++;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (l->held > 0 && n >= 0 && (size_t)n < sizeof(line))
		snprintf(line + n, sizeof(line) - n,
			" (and %llu more like it)", (unsigned long long)l->held);
	l->used = true;
	l->last_ms = now;
	l->held = 0;
	ctl->p.hooks.log(ctl->p.hooks.arg, level, line);
}

/* --- Hooks ------------------------------------------------------------ */

static void
release_held(struct wgjit_ctl *ctl, void *held)
{
	if (held != NULL && ctl->p.hooks.release != NULL)
		ctl->p.hooks.release(ctl->p.hooks.arg, held);
}

static void
pending_release(void *arg, void *held)
{
	release_held(arg, held);
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
			(uint32_t)wgjit_cache_negative_ttl_ms(ctl->cache));
}

static void
tell_endpoint(struct wgjit_ctl *ctl, const union wgjit_endpoint *ep,
		bool add, uint32_t watch)
{
	if (ctl->p.hooks.endpoint != NULL && ep->sa.sa_family != AF_UNSPEC)
		ctl->p.hooks.endpoint(ctl->p.hooks.arg, ep, add, watch);
}

static void
foreign_endpoint(void *arg, const union wgjit_endpoint *ep, bool add)
{
	tell_endpoint(arg, ep, add, 0);
}

static void
db_error(struct wgjit_ctl *ctl, const char *what)
{
	ctl->stats.db_errors++;
	ctl_log(ctl, LOG_DB, WGJIT_CTL_LOG_ERR, "cache %s: %s",
		what, wgjit_cache_errmsg(ctl->cache));
}

/* --- Records and device passes --------------------------------------- */

static int
dump_sorted(struct wgjit_ctl *ctl, struct wgjit_wg_device *dev)
{
	int ret = wgjit_wg_get_device(ctl->wg, dev);

	if (ret == 0) {
		wgjit_wg_device_sort(dev);
	} else {
		ctl_log(ctl, LOG_DEVICE, WGJIT_CTL_LOG_ERR,
			"cannot read WireGuard device %s: %s", ctl->p.ifname,
			wgjit_wg_errmsg(ctl->wg));
	}
	return ret;
}

static int
collect_record(void *arg, const uint8_t key[WGJIT_KEY_LEN],
		const union wgjit_endpoint *ep, uint64_t installed_ms,
		enum wgjit_cache_install_state state)
{
	struct record_list *l = arg;
	struct record *r;

	if (l->n == l->size) {
		unsigned int size = l->size ? l->size * 2 : 64;

		r = realloc(l->r, size * sizeof(*r));
		if (r == NULL)
			return -ENOMEM;
		l->r = r;
		l->size = size;
	}
	r = &l->r[l->n++];
	memcpy(r->key, key, WGJIT_KEY_LEN);
	memset(&r->ep, 0, sizeof(r->ep));
	if (ep != NULL)
		r->ep = *ep;
	r->installed_ms = installed_ms;
	r->state = state;
	return 0;
}

static int
cmp_key(const void *a, const void *b)
{
	return memcmp(a, b, WGJIT_KEY_LEN);
}

/* The device's peers without a record are someone else's; their
 * endpoints go to the data path as endpoints WireGuard knows. */
static int
note_foreign(struct wgjit_ctl *ctl, const struct wgjit_wg_device *dev,
		const struct record_list *l)
{
	uint8_t (*ours)[WGJIT_KEY_LEN] = calloc(l->n ? l->n : 1, WGJIT_KEY_LEN);
	int ret;

	if (ours == NULL)
		return -ENOMEM;
	for (unsigned int j = 0; j < l->n; j++)
		memcpy(ours[j], l->r[j].key, WGJIT_KEY_LEN);
	qsort(ours, l->n, WGJIT_KEY_LEN, cmp_key);
	ret = wgjit_foreign_update(ctl->foreign, dev, ours, l->n, mono_ms(ctl),
		foreign_endpoint, ctl);
	free(ours);
	return ret;
}

/* Drop the record of a peer that is no longer in the device. */
static void
forget(struct wgjit_ctl *ctl, const uint8_t key[WGJIT_KEY_LEN],
		const union wgjit_endpoint *ep)
{
	if (wgjit_cache_record_remove(ctl->cache, key) < 0)
		db_error(ctl, "remove install record");
	wgjit_watch_remove(ctl->watch, key);
	tell_endpoint(ctl, ep, false, 0);
}

/* /wgjit/peers: the records that stay, with the device's state. */
static void
snapshot(struct wgjit_ctl *ctl, const struct record_list *l,
		const struct wgjit_wg_device *dev, const bool *gone)
{
	struct wgjit_ctl_peer_info *s = calloc(l->n ? l->n : 1, sizeof(*s));
	unsigned int n = 0;

	if (s == NULL)
		return;
	for (unsigned int i = 0; i < l->n; i++) {
		const struct wgjit_wg_peer *peer =
			wgjit_wg_device_find(dev, l->r[i].key);

		if (peer == NULL || gone[i])
			continue;
		memcpy(s[n].public_key, l->r[i].key, WGJIT_KEY_LEN);
		s[n].endpoint = (peer->flags & WGJIT_PEER_HAS_ENDPOINT) ?
			peer->endpoint : l->r[i].ep;
		s[n].installed_ms = l->r[i].installed_ms;
		s[n].last_handshake_sec = peer->last_handshake_sec;
		n++;
	}
	ctl->stats.peers_installed = n;
	pthread_mutex_lock(&ctl->snap_lock);
	free(ctl->snap);
	ctl->snap = s;
	ctl->nb_snap = n;
	pthread_mutex_unlock(&ctl->snap_lock);
}

/* Remove @p n peers from the device in one call. 0 or -errno. */
static int
remove_peers(struct wgjit_ctl *ctl, const uint8_t (*keys)[WGJIT_KEY_LEN],
		unsigned int n)
{
	struct wgjit_peer *rm;
	int ret;

	if (n == 0)
		return 0;
	rm = calloc(n, sizeof(*rm));
	if (rm == NULL)
		return -ENOMEM;
	for (unsigned int i = 0; i < n; i++) {
		memcpy(rm[i].public_key, keys[i], WGJIT_KEY_LEN);
		rm[i].flags = WGJIT_PEER_REMOVE;
	}
	ret = wgjit_wg_set_peers(ctl->wg, rm, n);
	free(rm);
	if (ret != 0) {
		ctl->stats.install_failures++;
		ctl_log(ctl, LOG_INSTALL, WGJIT_CTL_LOG_ERR,
			"cannot remove %u peers from %s: %s", n, ctl->p.ifname,
			wgjit_wg_errmsg(ctl->wg));
	}
	return ret;
}

/* The device must still be the one the data path's responder was built
 * for: same private key, same port. */
static int
check_identity(struct wgjit_ctl *ctl, const struct wgjit_wg_device *dev)
{
	if (sodium_memcmp(dev->private_key, ctl->private_key,
			WGJIT_KEY_LEN) == 0 && dev->listen_port == ctl->listen_port)
		return 0;
	ctl->stats.device_changed++;
	ctl_log(ctl, LOG_DEVICE, WGJIT_CTL_LOG_ERR, "WireGuard device %s now "
		"has another %s: the data path must be set up again",
		ctl->p.ifname, dev->listen_port != ctl->listen_port ?
		"listen port" : "private key");
	return -ESTALE;
}

/* Idle peers of one pass, removed in one call. */
struct idle_list {
	uint8_t (*keys)[WGJIT_KEY_LEN];
	unsigned int *idx;
	unsigned int n, max;
};

/*
 * Walk the records against the device: records of peers the device lost
 * are dropped (the next initiation installs them again), intents the
 * device has become installs, and with @p evict the idle peers are noted.
 */
static void
settle(struct wgjit_ctl *ctl, struct record_list *l,
		const struct wgjit_wg_device *dev, bool *gone, bool evict,
		struct idle_list *idle)
{
	uint64_t now = mono_ms(ctl);

	wgjit_evict_begin(ctl->evict);
	for (unsigned int i = 0; i < l->n; i++) {
		struct record *r = &l->r[i];
		const struct wgjit_wg_peer *peer =
			wgjit_wg_device_find(dev, r->key);

		if (peer == NULL) {
			forget(ctl, r->key, &r->ep);
			gone[i] = true;
			if (r->state == WGJIT_CACHE_INTENT)
				ctl->stats.intents_settled++;
			else
				ctl->stats.reconciled++;
			continue;
		}
		if (r->state == WGJIT_CACHE_INTENT) {
			/* Put in before a crash or a failed batch: ours. */
			if (wgjit_cache_record(ctl->cache, r->key,
					r->ep.sa.sa_family ? &r->ep : NULL,
					r->installed_ms, WGJIT_CACHE_INSTALLED) < 0)
				db_error(ctl, "settle intent");
			ctl->stats.intents_settled++;
		}
		if (wgjit_evict_check(ctl->evict, peer, now) && evict &&
				idle->n < idle->max &&
				wgjit_watch_find(ctl->watch, r->key) == NULL) {
			memcpy(idle->keys[idle->n], r->key, WGJIT_KEY_LEN);
			idle->idx[idle->n++] = i;
		}
	}
	wgjit_evict_end(ctl->evict);
}

/*
 * One slow pass over the device: identity, records, the operator's
 * peers, and with @p evict the removal of at most evict_batch idle peers.
 */
static int
slow_pass(struct wgjit_ctl *ctl, bool evict)
{
	struct record_list l = { NULL, 0, 0 };
	struct idle_list idle = { .max = ctl->p.evict_batch };
	struct wgjit_wg_device dev;
	bool *gone = NULL;
	int ret;

	ret = dump_sorted(ctl, &dev);
	if (ret != 0) {
		ctl->foreign_ok = false;
		return ret;
	}
	ret = check_identity(ctl, &dev);
	if (ret < 0) {
		ctl->device_stale = true;
		ctl->foreign_ok = false;
	}
	if (ret == 0)
		ret = wgjit_cache_installed_foreach(ctl->cache, collect_record, &l);
	if (ret < 0)
		goto out;
	/* Against the records before this pass's removals: a peer evicted
	 * now is gone, not foreign. */
	ret = note_foreign(ctl, &dev, &l);
	ctl->foreign_ok = ret == 0;
	gone = calloc(l.n ? l.n : 1, sizeof(*gone));
	idle.keys = calloc(idle.max, WGJIT_KEY_LEN);
	idle.idx = calloc(idle.max, sizeof(*idle.idx));
	if (ret < 0 || gone == NULL || idle.keys == NULL || idle.idx == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	settle(ctl, &l, &dev, gone, evict, &idle);
	ctl->reconcile_due = false;
	if (remove_peers(ctl, (const uint8_t (*)[WGJIT_KEY_LEN])idle.keys,
			idle.n) == 0) {
		for (unsigned int i = 0; i < idle.n; i++) {
			forget(ctl, idle.keys[i], &l.r[idle.idx[i]].ep);
			gone[idle.idx[i]] = true;
			ctl->stats.evictions++;
		}
	}
	snapshot(ctl, &l, &dev, gone);
out:
	free(idle.keys);
	free(idle.idx);
	free(gone);
	free(l.r);
	wgjit_wg_device_free(&dev);
	return ret;
}

/* --- Installs ----------------------------------------------------------- */

/* The answer @p cfg is within the policy; logs and counts when not. */
static bool
answer_allowed(struct wgjit_ctl *ctl, const struct wgjit_peer *cfg)
{
	unsigned int nb_foreign, bad = 0;
	const struct wgjit_allowed_ip *foreign =
		wgjit_foreign_prefixes(ctl->foreign, &nb_foreign);
	char b64[WGJIT_KEY_B64_SIZE], aip[WGJIT_ALLOWED_IP_STR_SIZE] = "";
	enum wgjit_policy_reason r;

	r = wgjit_policy_check_peer(&ctl->policy, cfg, foreign, nb_foreign,
		&bad);
	if (r == WGJIT_POLICY_OK)
		return true;
	if (bad < cfg->nb_allowed_ips)
		wgjit_allowed_ip_format(aip, &cfg->allowed_ips[bad]);
	wgjit_key_to_base64(b64, cfg->public_key);
	ctl->stats.policy_refused++;
	ctl_log(ctl, LOG_POLICY, WGJIT_CTL_LOG_WARNING,
		"control plane answer for peer %s refused: %s%s%s", b64,
		wgjit_policy_reason_name(r), aip[0] ? " " : "", aip);
	return false;
}

/* Check a staged install once more, just before the batch: the view of
 * the operator's peers, the policy, the endpoint and the floor may all
 * have moved since it was staged. Consumes @p s's held frame when false. */
static bool
still_good(struct wgjit_ctl *ctl, struct staged *s)
{
	int v;

	if (wgjit_foreign_has(ctl->foreign, s->in.public_key)) {
		ctl->stats.foreign++;
		give_back(ctl, &s->in);
		return false;
	}
	memcpy(s->cfg.public_key, s->in.public_key, WGJIT_KEY_LEN);
	if (!answer_allowed(ctl, &s->cfg)) {
		release_held(ctl, s->in.held);
		return false;
	}
	v = wgjit_floors_above(ctl->floors, s->in.public_key, s->in.tai64n);
	if (v == WGJIT_FLOORS_REPLAY) {
		ctl->stats.replays++;
		release_held(ctl, s->in.held);
		return false;
	}
	if (v < 0) {
		db_error(ctl, "read replay floor");
		give_back(ctl, &s->in);
		return false;
	}
	return true;
}

/* The peer to set for @p s: its config, at the initiation's endpoint,
 * and in initiate mode with the bring-up keepalive. */
static void
build_peer(struct wgjit_ctl *ctl, const struct staged *s, bool initiate,
		struct wgjit_peer *peer)
{
	*peer = s->cfg;
	memcpy(peer->public_key, s->in.public_key, WGJIT_KEY_LEN);
	peer->endpoint = s->in.src;
	peer->flags |= WGJIT_PEER_HAS_ENDPOINT | WGJIT_PEER_REPLACE_ALLOWED_IPS;
	if (initiate) {
		/* Endpoint plus keepalive 0 -> n in one set: the device sends
		 * its own initiation at once (docs/architecture.md). */
		peer->flags |= WGJIT_PEER_HAS_KEEPALIVE;
		peer->persistent_keepalive = ctl->p.bringup_keepalive;
	}
}

/* Start the bring-up of an installed peer; false when nothing watches. */
static bool
watch_start(struct wgjit_ctl *ctl, const struct staged *s, bool initiate,
		uint64_t now_ns)
{
	struct wgjit_watch_entry *w;
	uint16_t configured = (s->cfg.flags & WGJIT_PEER_HAS_KEEPALIVE) ?
		s->cfg.persistent_keepalive : 0;

	w = wgjit_watch_add(ctl->watch, s->in.public_key, &s->in.src);
	if (w == NULL)
		return false;
	w->rx_ns = s->in.rx_ns;
	w->installed_ns = now_ns;
	w->initiate = initiate;
	w->keepalive = configured;
	w->restore = initiate && configured != ctl->p.bringup_keepalive;
	w->deadline_ms = mono_ms(ctl) + (initiate ? ctl->p.abandon_ms :
		ctl->p.grace_ms);
	return true;
}

/* Is the bring-up of @p s watched through the data path's events? */
static bool
watched_by_events(struct wgjit_ctl *ctl, const struct staged *s)
{
	return ctl->p.events &&
		wgjit_watch_find(ctl->watch, s->in.public_key) != NULL;
}

/* After the device took the batch: records, bring-ups, held frames. */
static void
installed(struct wgjit_ctl *ctl, struct staged *const *done, unsigned int n,
		const bool *initiate, uint64_t now_ns)
{
	uint64_t now_wall = wall_ms(ctl);

	for (unsigned int i = 0; i < n; i++) {
		struct staged *s = done[i];

		if (wgjit_cache_record(ctl->cache, s->in.public_key, &s->in.src,
				now_wall, WGJIT_CACHE_INSTALLED) < 0)
			db_error(ctl, "record install");
		hist_add(ctl, WGJIT_CTL_HIST_INSTALL, s->in.rx_ns, now_ns);
		wgjit_evict_installed(ctl->evict, s->in.public_key, mono_ms(ctl));
		/* A watched one was told before the device took it. */
		if (!watched_by_events(ctl, s))
			tell_endpoint(ctl, &s->in.src, true, 0);
		if (!initiate[i] && ctl->p.bringup != WGJIT_CTL_BRINGUP_NONE)
			give_back(ctl, &s->in);
		else
			release_held(ctl, s->in.held);
	}
	ctl->stats.installs += n;
	ctl->stats.peers_installed += n;
}

/* One backend call for up to install_batch staged installs. */
static void
apply_chunk(struct wgjit_ctl *ctl, struct staged *chunk, unsigned int nb)
{
	bool initiate[WGJIT_DEFAULT_INSTALL_BATCH * 4];
	uint64_t t0 = mono_ns(ctl), now_wall = wall_ms(ctl);
	unsigned int n = 0;
	int ret;

	for (unsigned int i = 0; i < nb; i++) {
		struct staged *s = &chunk[i];
		bool ini = ctl->p.bringup == WGJIT_CTL_BRINGUP_INITIATE;

		if (!still_good(ctl, s))
			continue;
		/* Initiate needs a watch to put the keepalive back and to
		 * give up on a silent endpoint: else re-inject. */
		if (!watch_start(ctl, s, ini, t0))
			ini = false;
		if (wgjit_floors_raise(ctl->floors, s->in.public_key,
				s->in.tai64n, now_wall) < 0 ||
				wgjit_cache_record(ctl->cache, s->in.public_key,
				&s->in.src, now_wall, WGJIT_CACHE_INTENT) < 0)
			db_error(ctl, "record intent");
		build_peer(ctl, s, ini, &ctl->peers[n]);
		initiate[n] = ini;
		ctl->applied[n++] = s;
	}
	if (n == 0)
		return;
	/* The intents (and the floors) are on disk before the device
	 * hears of the peers: a crash from here on leaves them known. */
	if (wgjit_floors_flush(ctl->floors) < 0 ||
			wgjit_cache_commit(ctl->cache) < 0) {
		db_error(ctl, "commit intents");
		for (unsigned int i = 0; i < n; i++) {
			wgjit_watch_remove(ctl->watch, ctl->applied[i]->in.public_key);
			give_back(ctl, &ctl->applied[i]->in);
			wgjit_peer_clear(&ctl->peers[i]);
		}
		wgjit_cache_begin(ctl->cache);
		return;
	}
	wgjit_cache_begin(ctl->cache);
	/*
	 * The data path watches before the device hears of the peers: in
	 * initiate mode the device's initiation leaves during the set, and
	 * the client's response (or first data) must find the endpoint
	 * already watched, or the bring-up is never seen done and its
	 * handshake latency never counted.
	 */
	for (unsigned int i = 0; i < n; i++)
		if (watched_by_events(ctl, ctl->applied[i]))
			tell_endpoint(ctl, &ctl->applied[i]->in.src, true,
				WGJIT_CTL_EV_ALL);
	ret = wgjit_wg_set_peers(ctl->wg, ctl->peers, n);
	for (unsigned int i = 0; i < n; i++)
		wgjit_peer_clear(&ctl->peers[i]);
	if (ret != 0) {
		/* Some may be in: the next reconcile settles the intents. */
		ctl->stats.install_failures += n;
		ctl->reconcile_due = true;
		ctl_log(ctl, LOG_INSTALL, WGJIT_CTL_LOG_ERR,
			"cannot install %u peers into %s: %s", n, ctl->p.ifname,
			wgjit_wg_errmsg(ctl->wg));
		for (unsigned int i = 0; i < n; i++) {
			if (watched_by_events(ctl, ctl->applied[i]))
				tell_endpoint(ctl, &ctl->applied[i]->in.src,
					false, 0);
			wgjit_watch_remove(ctl->watch, ctl->applied[i]->in.public_key);
			give_back(ctl, &ctl->applied[i]->in);
		}
		return;
	}
	ctl->stats.batches++;
	hist_add(ctl, WGJIT_CTL_HIST_APPLY, t0, mono_ns(ctl));
	installed(ctl, ctl->applied, n, initiate, mono_ns(ctl));
}

/* Every staged install, after a fresh enough view of the operator's
 * peers; none without one (the foreign check fails closed). */
static void
apply_batch(struct wgjit_ctl *ctl)
{
	unsigned int done = 0, chunk;

	if (ctl->nb_batch == 0)
		return;
	if (!ctl->foreign_ok || mono_ms(ctl) - wgjit_foreign_updated_ms(
			ctl->foreign) > FOREIGN_MAX_AGE_MS)
		slow_pass(ctl, false);
	if (!ctl->foreign_ok) {
		ctl->stats.foreign_unknown += ctl->nb_batch;
		ctl_log(ctl, LOG_FOREIGN, WGJIT_CTL_LOG_ERR, "%u installs held "
			"back: no current view of the peers of %s",
			ctl->nb_batch, ctl->p.ifname);
		for (unsigned int i = 0; i < ctl->nb_batch; i++) {
			give_back(ctl, &ctl->batch[i].in);
			wgjit_peer_clear(&ctl->batch[i].cfg);
		}
		ctl->nb_batch = 0;
		return;
	}
	while (done < ctl->nb_batch) {
		chunk = ctl->nb_batch - done;
		if (chunk > ctl->p.install_batch)
			chunk = ctl->p.install_batch;
		apply_chunk(ctl, &ctl->batch[done], chunk);
		done += chunk;
	}
	for (unsigned int i = 0; i < ctl->nb_batch; i++)
		wgjit_peer_clear(&ctl->batch[i].cfg);
	ctl->nb_batch = 0;
}

/* Queue @p in for the next batch with configuration @p cfg. */
static void
stage(struct wgjit_ctl *ctl, const struct wgjit_ctl_initiation *in,
		const struct wgjit_peer *cfg)
{
	struct staged *s;

	if (ctl->nb_batch == ctl->batch_cap) {
		/* Only when more arrive in one pass than the app hands
		 * over: WireGuard decides alone. */
		ctl->stats.install_failures++;
		give_back(ctl, in);
		return;
	}
	s = &ctl->batch[ctl->nb_batch++];
	s->in = *in;
	s->cfg = *cfg;
}

/* --- Intake ------------------------------------------------------------- */

/* The timestamp is within max_timestamp_age of the wall clock. */
static bool
fresh_timestamp(const struct wgjit_ctl *ctl, const uint8_t ts[12])
{
	int64_t t = wgjit_replay_tai64n_to_unix(ts, NULL);
	int64_t now = (int64_t)(wall_ms(ctl) / 1000);
	uint64_t age = (uint64_t)(t > now ? t - now : now - t) * 1000;

	return ctl->p.max_timestamp_age_ms == 0 ||
		age <= ctl->p.max_timestamp_age_ms;
}

/* A fetch for @p in's key, or wait for the one running. */
static void
want_fetch(struct wgjit_ctl *ctl, const struct wgjit_ctl_initiation *in,
		enum wgjit_pending_class cls)
{
	const uint8_t *key = in->public_key;
	int ret;

	if (wgjit_pending_has(ctl->pending, key)) {
		/* A fetch runs: keep the newest initiation for it. */
		if (wgjit_pending_put(ctl->pending, in, cls, mono_ns(ctl)) ==
				WGJIT_PENDING_NOT_NEWER)
			ctl->stats.pending_not_newer++;
		return;
	}
	switch (wgjit_pace_grant(ctl->pace, key, mono_ms(ctl))) {
	case WGJIT_PACE_WAIT:
		ctl->stats.suppressed++;
		release_held(ctl, in->held);
		return;
	case WGJIT_PACE_FULL:
		ctl->stats.pace_full++;
		release_held(ctl, in->held);
		return;
	default:
		break;
	}
	if (wgjit_pending_put(ctl->pending, in, cls, mono_ns(ctl)) ==
			WGJIT_PENDING_FULL) {
		ctl->stats.pending_dropped++;
		wgjit_pace_answered(ctl->pace, key);
		return;
	}
	ret = wgjit_fetch_request(ctl->fetch, key, cls == WGJIT_PENDING_NEW ?
		WGJIT_FETCH_NEW : WGJIT_FETCH_RETURNING);
	if (ret != 0 && ret != -EALREADY) {
		struct wgjit_ctl_initiation back;

		ctl->stats.pending_dropped++;
		wgjit_pace_answered(ctl->pace, key);
		if (wgjit_pending_take(ctl->pending, key, &back, NULL))
			release_held(ctl, back.held);
		return;
	}
	if (cls == WGJIT_PENDING_NEW)
		ctl->stats.never_seen++;
	else
		ctl->stats.returning++;
}

/* An initiation of a peer wgjit installed: WireGuard's business; its
 * floor goes up so that no copy of it installs anything later. */
static void
observe(struct wgjit_ctl *ctl, const struct wgjit_ctl_initiation *in)
{
	int v = wgjit_floors_above(ctl->floors, in->public_key, in->tai64n);

	ctl->stats.already_installed++;
	if (in->known)
		ctl->stats.observed++;
	if (v > 0 && wgjit_floors_raise(ctl->floors, in->public_key,
			in->tai64n, wall_ms(ctl)) < 0)
		db_error(ctl, "raise replay floor");
	else if (v < 0)
		db_error(ctl, "read replay floor");
	give_back(ctl, in);
}

int
wgjit_ctl_submit(struct wgjit_ctl *ctl, const struct wgjit_ctl_initiation *in)
{
	uint64_t t0 = mono_ns(ctl);
	struct wgjit_peer cfg;
	int ret, floor;

	ctl->stats.submitted++;
	hist_add(ctl, WGJIT_CTL_HIST_RING, in->rx_ns, t0);
	if (in->dst.sa.sa_family == AF_INET || in->dst.sa.sa_family == AF_INET6)
		wgjit_policy_add_own(&ctl->policy, &in->dst);
	if (wgjit_policy_check_endpoint(&ctl->policy, &in->src) !=
			WGJIT_POLICY_OK) {
		ctl->stats.martians++;
		release_held(ctl, in->held);
		return 0;
	}
	if (!fresh_timestamp(ctl, in->tai64n)) {
		ctl->stats.stale_timestamps++;
		release_held(ctl, in->held);
		return 0;
	}
	ret = wgjit_cache_is_installed(ctl->cache, in->public_key);
	if (ret > 0) {
		observe(ctl, in);
		return 0;
	}
	if (ret == 0 && wgjit_foreign_has(ctl->foreign, in->public_key)) {
		/* A static peer of the operator's: never touched. */
		ctl->stats.foreign++;
		give_back(ctl, in);
		return 0;
	}
	floor = ret < 0 ? ret : wgjit_floors_above(ctl->floors,
		in->public_key, in->tai64n);
	if (floor == WGJIT_FLOORS_REPLAY) {
		ctl->stats.replays++;
		release_held(ctl, in->held);
		return 0;
	}
	ret = floor < 0 ? floor : wgjit_cache_lookup(ctl->cache,
		in->public_key, wall_ms(ctl), &cfg);
	hist_add(ctl, WGJIT_CTL_HIST_CACHE, t0, mono_ns(ctl));
	switch (ret) {
	case WGJIT_CACHE_HIT:
		ctl->stats.cache_hits++;
		stage(ctl, in, &cfg);
		wgjit_peer_clear(&cfg);
		return 0;
	case WGJIT_CACHE_NEGATIVE:
		ctl->stats.negative_hits++;
		tell_negative(ctl, in->public_key);
		release_held(ctl, in->held);
		return 0;
	case WGJIT_CACHE_STALE:
	case WGJIT_CACHE_MISS:
		/* A key with an expired answer or a floor was valid before:
		 * it goes ahead of keys anyone could have minted. */
		want_fetch(ctl, in, ret == WGJIT_CACHE_STALE ||
			floor == WGJIT_FLOORS_ABOVE ? WGJIT_PENDING_RETURNING :
			WGJIT_PENDING_NEW);
		return 0;
	default:
		/* The cache failed: let WireGuard decide on its own. */
		db_error(ctl, "look up");
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
	struct wgjit_ctl_initiation in;
	char b64[WGJIT_KEY_B64_SIZE];
	uint64_t since = 0, backoff;
	bool have;

	have = wgjit_pending_take(ctl->pending, key, &in, &since);
	if (have)
		hist_add(ctl, WGJIT_CTL_HIST_FETCH, since, mono_ns(ctl));
	switch (result) {
	case WGJIT_FETCH_OK:
		/* A refused answer is not kept: the key is asked again
		 * after the re-fetch window, never installed as given. */
		if (!answer_allowed(ctl, cfg))
			break;
		wgjit_pace_answered(ctl->pace, key);
		if (wgjit_cache_store_peer(ctl->cache, cfg, wall_ms(ctl)) < 0)
			db_error(ctl, "store peer");
		/* Checked again at the batch, against the view of the
		 * operator's peers of that moment. */
		if (have)
			stage(ctl, &in, cfg);
		return;
	case WGJIT_FETCH_NOT_FOUND:
		wgjit_pace_answered(ctl->pace, key);
		ctl->stats.api_not_found++;
		if (wgjit_cache_store_negative(ctl->cache, key, wall_ms(ctl)) < 0)
			db_error(ctl, "store 404");
		tell_negative(ctl, key);
		break;
	default:
		ctl->stats.api_errors++;
		backoff = wgjit_pace_failure(ctl->pace, key, mono_ms(ctl));
		wgjit_key_to_base64(b64, key);
		ctl_log(ctl, LOG_FETCH, WGJIT_CTL_LOG_WARNING,
			"control plane: peer %s: %s (next try in %llu ms)", b64,
			reason != NULL ? reason : "failed",
			(unsigned long long)backoff);
		break;
	}
	if (have)
		release_held(ctl, in.held);
}

/* --- Bring-up ----------------------------------------------------------- */

/* The handshake of a watched install is up at @p ns. */
static void
complete(struct wgjit_ctl *ctl, struct wgjit_watch_entry *w, uint64_t ns)
{
	ctl->stats.handshakes++;
	hist_add(ctl, WGJIT_CTL_HIST_HANDSHAKE, w->rx_ns, ns);
	wgjit_evict_touch(ctl->evict, w->key, mono_ms(ctl));
	if (w->restore && ctl->nb_restores < ctl->p.max_watch) {
		struct restore *r = &ctl->restores[ctl->nb_restores++];

		memcpy(r->key, w->key, WGJIT_KEY_LEN);
		r->keepalive = w->keepalive;
	}
	tell_endpoint(ctl, &w->ep, true, 0);
	wgjit_watch_remove(ctl->watch, w->key);
}

int
wgjit_ctl_event(struct wgjit_ctl *ctl, const struct wgjit_ctl_event *ev)
{
	struct wgjit_watch_entry *w = wgjit_watch_find_ep(ctl->watch, &ev->ep);

	ctl->stats.events++;
	if (w == NULL) {
		ctl->stats.events_unmatched++;
		return -ENOENT;
	}
	switch (ev->kind) {
	case WGJIT_CTL_EV_INIT_OUT:
		if (!w->gateway_sent)
			hist_add(ctl, WGJIT_CTL_HIST_BRINGUP, w->installed_ns,
				ev->ns);
		w->gateway_sent = true;
		return 0;
	case WGJIT_CTL_EV_RESPONSE_OUT:
		/* The gateway answered the client: its side is done. */
		if (!w->gateway_sent)
			hist_add(ctl, WGJIT_CTL_HIST_BRINGUP, w->installed_ns,
				ev->ns);
		complete(ctl, w, ev->ns);
		return 0;
	case WGJIT_CTL_EV_RESPONSE_IN:
	case WGJIT_CTL_EV_DATA_IN:
		complete(ctl, w, ev->ns);
		return 0;
	default:
		ctl->stats.events_unmatched++;
		return -EINVAL;
	}
}

/* Put the configured keepalives back, in one call. */
static void
apply_restores(struct wgjit_ctl *ctl)
{
	unsigned int n = ctl->nb_restores;
	struct wgjit_peer *upd;

	if (n == 0)
		return;
	upd = calloc(n, sizeof(*upd));
	if (upd == NULL)
		return;		/* tried again next pass */
	for (unsigned int i = 0; i < n; i++) {
		memcpy(upd[i].public_key, ctl->restores[i].key, WGJIT_KEY_LEN);
		upd[i].flags = WGJIT_PEER_HAS_KEEPALIVE | WGJIT_PEER_UPDATE_ONLY;
		upd[i].persistent_keepalive = ctl->restores[i].keepalive;
	}
	if (wgjit_wg_set_peers(ctl->wg, upd, n) != 0) {
		ctl->stats.install_failures++;
		ctl_log(ctl, LOG_INSTALL, WGJIT_CTL_LOG_ERR,
			"cannot restore the keepalive of %u peers: %s", n,
			wgjit_wg_errmsg(ctl->wg));
	}
	free(upd);
	ctl->nb_restores = 0;
}

/* Without events: the device says when a handshake is up. A dump of a
 * big device takes a while: the next one waits four times as long, so
 * that dumps never take more than a fifth of the control lcore. */
static void
watch_by_dump(struct wgjit_ctl *ctl)
{
	uint64_t t0 = mono_ms(ctl), took;
	struct wgjit_wg_device dev;
	struct wgjit_watch_entry *w;
	unsigned int pos = 0;
	int ret = dump_sorted(ctl, &dev);

	took = mono_ms(ctl) - t0;
	ctl->next_watch_dump_ms = mono_ms(ctl) + (4 * took > WATCH_DUMP_PERIOD_MS ?
		4 * took : WATCH_DUMP_PERIOD_MS);
	if (ret != 0)
		return;
	while ((w = wgjit_watch_next(ctl->watch, &pos)) != NULL) {
		const struct wgjit_wg_peer *peer =
			wgjit_wg_device_find(&dev, w->key);

		if (peer != NULL && peer->last_handshake_sec != 0) {
			/* complete() removes the watch: step back over it. */
			pos--;
			complete(ctl, w, mono_ns(ctl));
		}
	}
	wgjit_wg_device_free(&dev);
}

/* Initiate mode: remove the silent peers among @p keys, unless the
 * device saw a handshake the events missed. */
static void
abandon(struct wgjit_ctl *ctl, const uint8_t (*keys)[WGJIT_KEY_LEN],
		unsigned int n)
{
	uint8_t (*gone)[WGJIT_KEY_LEN] = calloc(n, WGJIT_KEY_LEN);
	union wgjit_endpoint *eps = calloc(n, sizeof(*eps));
	char b64[WGJIT_KEY_B64_SIZE], ep[WGJIT_ENDPOINT_STR_SIZE];
	struct wgjit_wg_device dev;
	unsigned int m = 0;

	if (gone == NULL || eps == NULL || dump_sorted(ctl, &dev) != 0) {
		free(gone);
		free(eps);
		return;		/* the deadlines stay: tried again */
	}
	ctl->last_abandon_dump_ms = mono_ms(ctl);
	for (unsigned int i = 0; i < n; i++) {
		struct wgjit_watch_entry *w = wgjit_watch_find(ctl->watch, keys[i]);
		const struct wgjit_wg_peer *peer =
			wgjit_wg_device_find(&dev, keys[i]);

		if (w == NULL)
			continue;
		if (peer != NULL && peer->last_handshake_sec != 0) {
			complete(ctl, w, mono_ns(ctl));
			continue;
		}
		memcpy(gone[m], keys[i], WGJIT_KEY_LEN);
		eps[m++] = w->ep;
		wgjit_watch_remove(ctl->watch, keys[i]);
	}
	wgjit_wg_device_free(&dev);
	if (m > 0 && remove_peers(ctl, (const uint8_t (*)[WGJIT_KEY_LEN])gone,
			m) == 0) {
		for (unsigned int i = 0; i < m; i++) {
			forget(ctl, gone[i], &eps[i]);
			ctl->stats.abandoned++;
			if (ctl->stats.peers_installed > 0)
				ctl->stats.peers_installed--;
		}
		wgjit_key_to_base64(b64, gone[0]);
		wgjit_endpoint_format(ep, &eps[0]);
		ctl_log(ctl, LOG_ABANDON, WGJIT_CTL_LOG_NOTICE, "%u peers removed:"
			" their endpoint never answered the gateway's "
			"initiation (first: %s at %s)", m, b64, ep);
	}
	free(gone);
	free(eps);
}

/* Bring-ups past their deadline: abandoned (initiate) or given up. */
static void
deadlines(struct wgjit_ctl *ctl)
{
	uint64_t now = mono_ms(ctl);
	uint8_t (*silent)[WGJIT_KEY_LEN];
	struct wgjit_watch_entry *w;
	unsigned int pos = 0, n = 0, max = ctl->p.evict_batch;

	ctl->next_deadline_ms = now + DEADLINE_PERIOD_MS;
	silent = calloc(max, WGJIT_KEY_LEN);
	if (silent == NULL)
		return;
	while ((w = wgjit_watch_next(ctl->watch, &pos)) != NULL) {
		if (now < w->deadline_ms)
			continue;
		if (w->initiate && n < max) {
			memcpy(silent[n++], w->key, WGJIT_KEY_LEN);
			continue;
		}
		if (!w->initiate) {
			/* No handshake within grace: eviction's business. */
			tell_endpoint(ctl, &w->ep, true, 0);
			wgjit_watch_remove_current(ctl->watch, &pos);
		}
	}
	/* One dump per second at most for the check. */
	if (n > 0 && now - ctl->last_abandon_dump_ms >= 1000)
		abandon(ctl, (const uint8_t (*)[WGJIT_KEY_LEN])silent, n);
	free(silent);
}

/* --- Poll ------------------------------------------------------------- */

/*
 * A stage of the pass that took long: logged with its name. Nothing here
 * should (the data path never waits for the control lcore, but fetches,
 * installs and their deadlines do), so a stall says where it is.
 */
static void
stage_done(struct wgjit_ctl *ctl, const char *stage, uint64_t *t_ms)
{
	uint64_t now = mono_ms(ctl);

	if (now - *t_ms >= SLOW_STAGE_MS)
		ctl_log(ctl, LOG_SLOW, WGJIT_CTL_LOG_WARNING,
			"control pass: %s took %llu ms", stage,
			(unsigned long long)(now - *t_ms));
	*t_ms = now;
}

int
wgjit_ctl_poll(struct wgjit_ctl *ctl)
{
	struct wgjit_fetch_stats fs;
	uint64_t t = mono_ms(ctl);
	int ret, out = 0;

	if (wgjit_cache_begin(ctl->cache) < 0)
		db_error(ctl, "begin");
	stage_done(ctl, "cache begin", &t);
	ret = wgjit_fetch_poll(ctl->fetch, fetch_done, ctl);
	stage_done(ctl, "fetch", &t);
	wgjit_fetch_stats_get(ctl->fetch, &fs);
	ctl->stats.api_requests = fs.requests;
	ctl->stats.fetches_waiting = fs.in_flight + fs.queued;
	if (ret < 0)
		out = ret;
	apply_batch(ctl);
	stage_done(ctl, "install batch", &t);
	apply_restores(ctl);
	stage_done(ctl, "keepalive restores", &t);
	if (!ctl->p.events && wgjit_watch_count(ctl->watch) > 0 &&
			mono_ms(ctl) >= ctl->next_watch_dump_ms)
		watch_by_dump(ctl);
	if (wgjit_watch_count(ctl->watch) > 0 &&
			mono_ms(ctl) >= ctl->next_deadline_ms)
		deadlines(ctl);
	stage_done(ctl, "watches", &t);
	if (ctl->reconcile_due || mono_ms(ctl) >= ctl->next_tick_ms) {
		slow_pass(ctl, !ctl->reconcile_due ||
			mono_ms(ctl) >= ctl->next_tick_ms);
		if (wgjit_cache_expire(ctl->cache, wall_ms(ctl)) < 0)
			db_error(ctl, "expire");
		wgjit_pace_prune(ctl->pace, mono_ms(ctl), PACE_PRUNE);
		ctl->next_tick_ms = mono_ms(ctl) + ctl->p.evict_interval_ms;
	}
	stage_done(ctl, "slow pass (reconcile, evict, expire)", &t);
	if (wgjit_floors_flush(ctl->floors) < 0)
		db_error(ctl, "write replay floors");
	if (wgjit_cache_commit(ctl->cache) < 0)
		db_error(ctl, "commit");
	stage_done(ctl, "cache commit", &t);
	ctl->stats.watching = wgjit_watch_count(ctl->watch);
	return ctl->device_stale ? -ESTALE : out;
}

/* --- Create and free ------------------------------------------------- */

/* Zero parameters take the table of defaults. */
static void
fill_defaults(struct wgjit_ctl_params *p)
{
#define DEFAULT_IF_ZERO(f, v) do { if (p->f == 0) p->f = (v); } while (0)
	DEFAULT_IF_ZERO(bringup_keepalive, WGJIT_DEFAULT_BRINGUP_KEEPALIVE_S);
	DEFAULT_IF_ZERO(abandon_ms, WGJIT_DEFAULT_BRINGUP_ABANDON_MS);
	DEFAULT_IF_ZERO(max_pending, WGJIT_DEFAULT_MAX_PENDING);
	DEFAULT_IF_ZERO(max_watch, WGJIT_DEFAULT_MAX_WATCH);
	DEFAULT_IF_ZERO(install_batch, WGJIT_DEFAULT_INSTALL_BATCH);
	DEFAULT_IF_ZERO(idle_timeout_ms,
		WGJIT_DEFAULT_EVICT_IDLE_TIMEOUT_S * UINT64_C(1000));
	DEFAULT_IF_ZERO(evict_interval_ms,
		WGJIT_DEFAULT_EVICT_INTERVAL_S * UINT64_C(1000));
	DEFAULT_IF_ZERO(evict_batch, WGJIT_DEFAULT_EVICT_BATCH);
	DEFAULT_IF_ZERO(grace_ms, WGJIT_DEFAULT_EVICT_GRACE_S * UINT64_C(1000));
	DEFAULT_IF_ZERO(max_allowed_ips, WGJIT_DEFAULT_POLICY_MAX_ALLOWED_IPS);
	DEFAULT_IF_ZERO(fetch.new_share, WGJIT_DEFAULT_CP_NEW_KEY_SHARE);
#undef DEFAULT_IF_ZERO
	if (p->install_batch > WGJIT_DEFAULT_INSTALL_BATCH * 4)
		p->install_batch = WGJIT_DEFAULT_INSTALL_BATCH * 4;
}

/* The tables of the control lcore, all sized at create. */
static int
create_tables(struct wgjit_ctl *ctl, char *err, size_t errlen)
{
	const struct wgjit_ctl_params *p = &ctl->p;
	struct wgjit_pace_params pace = p->pace;

	if (pace.entries == 0)
		pace.entries = p->max_pending + (p->fetch.max_inflight ?
			p->fetch.max_inflight : WGJIT_DEFAULT_CP_MAX_INFLIGHT);
	ctl->batch_cap = 2 * p->install_batch;
	ctl->batch = calloc(ctl->batch_cap, sizeof(*ctl->batch));
	ctl->peers = calloc(p->install_batch, sizeof(*ctl->peers));
	ctl->applied = calloc(p->install_batch, sizeof(*ctl->applied));
	ctl->restores = calloc(p->max_watch, sizeof(*ctl->restores));
	ctl->private_key = wgjit_secret_alloc(WGJIT_KEY_LEN);
	ctl->foreign = wgjit_foreign_create();
	ctl->evict = wgjit_evict_create(&(struct wgjit_evict_params){
		.idle_timeout_ms = p->idle_timeout_ms,
		.grace_ms = p->grace_ms,
	});
	ctl->pace = wgjit_pace_create(&pace);
	ctl->pending = wgjit_pending_create(&(struct wgjit_pending_params){
		.entries = p->max_pending,
		.new_share = p->fetch.new_share,
		.release = pending_release,
		.arg = ctl,
	});
	ctl->watch = wgjit_watch_create(p->max_watch);
	if (ctl->batch == NULL || ctl->peers == NULL || ctl->applied == NULL ||
			ctl->restores == NULL || ctl->private_key == NULL ||
			ctl->foreign == NULL || ctl->evict == NULL ||
			ctl->pace == NULL || ctl->pending == NULL ||
			ctl->watch == NULL)
		return wgjit_errf(err, errlen, -ENOMEM, "out of memory");
	return 0;
}

/* The device's identity, read once: what the data path is set up for. */
static int
read_device(struct wgjit_ctl *ctl, char *err, size_t errlen)
{
	struct wgjit_wg_device dev;
	int ret;

	ret = wgjit_wg_get_device(ctl->wg, &dev);
	if (ret != 0)
		return wgjit_errf(err, errlen, ret, "cannot read WireGuard "
			"device %s: %s", ctl->p.ifname,
			wgjit_wg_errmsg(ctl->wg)[0] != '\0' ?
			wgjit_wg_errmsg(ctl->wg) : strerror(-ret));
	memcpy(ctl->private_key, dev.private_key, WGJIT_KEY_LEN);
	ctl->listen_port = dev.listen_port;
	wgjit_wg_device_free(&dev);
	if (wgjit_key_is_zero(ctl->private_key))
		return wgjit_errf(err, errlen, -EINVAL, "WireGuard device %s has"
			" no private key (set one with 'wg set %s private-key "
			"FILE')", ctl->p.ifname, ctl->p.ifname);
	return 0;
}

struct wgjit_ctl *
wgjit_ctl_create(const struct wgjit_ctl_params *p, char *err, size_t errlen)
{
	char why[WGJIT_FETCH_ERR_SIZE] = "";
	struct wgjit_ctl *ctl;
	int ret;

	ctl = calloc(1, sizeof(*ctl));
	if (ctl == NULL) {
		wgjit_errf(err, errlen, -ENOMEM, "out of memory");
		return NULL;
	}
	ctl->p = *p;
	fill_defaults(&ctl->p);
	pthread_mutex_init(&ctl->snap_lock, NULL);
	if (wgjit_policy_init(&ctl->policy, p->policy_allowed_ips,
			ctl->p.max_allowed_ips, why, sizeof(why)) < 0) {
		wgjit_errf(err, errlen, -EINVAL, "[policy] %s", why);
		goto fail;
	}
	if (create_tables(ctl, err, errlen) < 0)
		goto fail;
	ctl->wg = wgjit_wg_open(p->backend, p->ifname, err, errlen);
	if (ctl->wg == NULL || read_device(ctl, err, errlen) < 0)
		goto fail;
	ctl->cache = wgjit_cache_open(p->cache_path, &p->cache, err, errlen);
	if (ctl->cache == NULL)
		goto fail;
	ctl->floors = wgjit_floors_create(ctl->cache,
		WGJIT_DEFAULT_FLOOR_BUFFER);
	if (ctl->floors == NULL) {
		wgjit_errf(err, errlen, -ENOMEM, "out of memory");
		goto fail;
	}
	ctl->fetch = wgjit_fetch_create(&ctl->p.fetch, why, sizeof(why));
	if (ctl->fetch == NULL) {
		wgjit_errf(err, errlen, -EINVAL, "control_plane: %s", why);
		goto fail;
	}
	ctl->next_tick_ms = mono_ms(ctl) + ctl->p.evict_interval_ms;
	/* Settle what a crash or a stop left: intents, lost peers. */
	wgjit_cache_begin(ctl->cache);
	ret = slow_pass(ctl, false);
	if (wgjit_cache_commit(ctl->cache) < 0 && ret == 0)
		ret = -EIO;
	if (ret < 0) {
		wgjit_errf(err, errlen, ret, "cannot reconcile device %s with "
			"the cache: %s", p->ifname, strerror(-ret));
		goto fail;
	}
	return ctl;
fail:
	wgjit_ctl_free(ctl);
	return NULL;
}

static int
announce_one(void *arg, const uint8_t key[WGJIT_KEY_LEN],
		const union wgjit_endpoint *ep, uint64_t installed_ms,
		enum wgjit_cache_install_state state)
{
	(void)key;
	(void)installed_ms;
	(void)state;
	if (ep != NULL)
		tell_endpoint(arg, ep, true, 0);
	return 0;
}

int
wgjit_ctl_announce_endpoints(struct wgjit_ctl *ctl)
{
	const union wgjit_endpoint *eps;
	unsigned int nb;
	int ret;

	if (ctl->p.hooks.endpoint == NULL)
		return 0;
	ret = wgjit_cache_installed_foreach(ctl->cache, announce_one, ctl);
	eps = wgjit_foreign_endpoints(ctl->foreign, &nb);
	for (unsigned int i = 0; i < nb; i++)
		tell_endpoint(ctl, &eps[i], true, 0);
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
	for (unsigned int i = 0; ctl->batch != NULL && i < ctl->nb_batch; i++) {
		release_held(ctl, ctl->batch[i].in.held);
		wgjit_peer_clear(&ctl->batch[i].cfg);
	}
	if (ctl->floors != NULL && wgjit_floors_flush(ctl->floors) < 0)
		ctl->stats.db_errors++;
	wgjit_pending_free(ctl->pending);
	wgjit_fetch_free(ctl->fetch);
	wgjit_floors_free(ctl->floors);
	wgjit_cache_close(ctl->cache);
	wgjit_wg_close(ctl->wg);
	free(ctl->batch);
	free(ctl->peers);
	free(ctl->applied);
	free(ctl->restores);
	free(ctl->snap);
	wgjit_watch_free(ctl->watch);
	wgjit_pace_free(ctl->pace);
	wgjit_evict_free(ctl->evict);
	wgjit_foreign_free(ctl->foreign);
	wgjit_secret_free(ctl->private_key);
	pthread_mutex_destroy(&ctl->snap_lock);
	free(ctl);
}
