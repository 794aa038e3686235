/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * The control object with its clock injected: TTLs, the negative cache,
 * backoff after control-plane errors, eviction after the grace time, wall
 * clock steps, replay floors across eviction and restarts, waiting
 * initiations replaced only by newer ones, the allowed-IPs policy, intents
 * left by a crash, bring-up events and the abandonment of silent
 * endpoints, and returning keys ahead of minted ones, decided by stepping
 * time instead of waiting for it. Everything else is real: a wireguard-go
 * device (UAPI), the reference control plane over HTTP, a SQLite file.
 * Waits only for I/O (a fetch to finish), never for time to pass.
 *
 * usage: test_ctl_clock IFNAME CP_URL CACHE_DIR   (ctl_clock.sh sets up)
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

#include <arpa/inet.h>

#include "wgjit_cache.h"
#include "wgjit_clock.h"
#include "wgjit_ctl.h"
#include "wgjit_key.h"
#include "wgjit_test.h"

#define MS 1000000ull
#define GRACE_MS 5000
#define POSITIVE_TTL_MS 10000
#define NEGATIVE_TTL_MS 3000
#define REFETCH_MS 1000
#define BACKOFF_MIN_MS 1000
#define ABANDON_MS 7000

static const char *ifname, *cp_url, *cache_dir;
static uint64_t ts_base_sec;

/* The injected clock: tests move it. */
struct fake_clock {
	uint64_t mono_ns;
	uint64_t wall_ms;
	uint64_t step_ns;	/* added on every read: time passing inside */
};

static uint64_t
fake_mono(void *arg)
{
	struct fake_clock *fc = arg;

	fc->mono_ns += fc->step_ns;
	return fc->mono_ns;
}

static uint64_t
fake_wall(void *arg)
{
	return ((struct fake_clock *)arg)->wall_ms;
}

static void
advance(struct fake_clock *fc, uint64_t ms)
{
	fc->mono_ns += ms * MS;
	fc->wall_ms += ms;
}

struct env {
	struct fake_clock fc;
	struct wgjit_clock clock;
	struct wgjit_ctl *ctl;
	struct wgjit_wg *wg;	/* a second handle, to look at the device */
	char cache[512];
	unsigned int nb_released, nb_reinjected;
	unsigned int nb_logs;
	unsigned int nb_slow_logs;	/* "control pass: ... took" */
	char last_log[384];
};

/* What env_open() does differently per case. */
struct env_opts {
	enum wgjit_ctl_bringup bringup;
	const char *policy;
	unsigned int max_pending;
	unsigned int max_inflight;
	bool keep_cache;	/* reuse the file of the last env of this name */
};

/* POST/DELETE to the control plane's admin API. */
static int
cp_admin(const char *method, const char *path, const char *body)
{
	char url[512];
	struct curl_slist *h;
	long status = 0;
	CURL *c;
	int ret;

	snprintf(url, sizeof(url), "%s%s", cp_url, path);
	c = curl_easy_init();
	h = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body != NULL ? body : "");
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	ret = curl_easy_perform(c) == CURLE_OK ? 0 : -EIO;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return ret == 0 && status < 300 ? 0 : -EIO;
}

static void
new_key(uint8_t pub[WGJIT_KEY_LEN], char b64[WGJIT_KEY_B64_SIZE])
{
	uint8_t priv[WGJIT_KEY_LEN];

	randombytes_buf(priv, sizeof(priv));
	wgjit_key_public(pub, priv);
	sodium_memzero(priv, sizeof(priv));
	wgjit_key_to_base64(b64, pub);
}

static int
register_aips(const char *b64, const char *aips, int keepalive)
{
	char body[512];

	snprintf(body, sizeof(body), "{\"public_key\": \"%s\", "
		"\"allowed_ips\": [%s], \"persistent_keepalive\": %d}",
		b64, aips, keepalive);
	return cp_admin("POST", "/admin/peers", body);
}

static int
register_key(const char *b64, unsigned int n)
{
	char aips[64];

	snprintf(aips, sizeof(aips), "\"10.98.%u.%u/32\"", n / 250,
		1 + n % 250);
	return register_aips(b64, aips, 0);
}

/* The hooks: frames are fake (no DPDK here), only counted. */
static void
hook_release(void *arg, void *held)
{
	(void)held;
	((struct env *)arg)->nb_released++;
}

static void
hook_reinject(void *arg, void *held)
{
	(void)held;
	((struct env *)arg)->nb_reinjected++;
}

static void
hook_log(void *arg, enum wgjit_ctl_log_level level, const char *line)
{
	struct env *e = arg;

	(void)level;
	e->nb_logs++;
	if (strncmp(line, "control pass: ", 14) == 0)
		e->nb_slow_logs++;
	snprintf(e->last_log, sizeof(e->last_log), "%s", line);
	printf("  log: %s\n", line);
}

static int
set_fault(const char *mode)
{
	char body[64];

	snprintf(body, sizeof(body), "{\"mode\": \"%s\"}", mode);
	return cp_admin("POST", "/admin/fault", body);
}

static int
env_open_with(struct env *e, const char *name, const struct env_opts *o)
{
	struct wgjit_ctl_params p;
	char err[256];

	memset(e, 0, sizeof(*e));
	/* Monotonic time starts anywhere; wall time where the rows expect. */
	e->fc.mono_ns = 1000000 * MS;
	e->fc.wall_ms = wgjit_clock_wall_ms();
	e->clock.mono_ns = fake_mono;
	e->clock.wall_ms = fake_wall;
	e->clock.arg = &e->fc;
	snprintf(e->cache, sizeof(e->cache), "%s/%s.sqlite", cache_dir, name);
	if (!o->keep_cache)
		remove(e->cache);
	memset(&p, 0, sizeof(p));
	p.backend = WGJIT_WG_UAPI;
	p.ifname = ifname;
	p.cache_path = e->cache;
	p.cache.positive_ttl_ms = POSITIVE_TTL_MS;
	p.cache.negative_ttl_ms = NEGATIVE_TTL_MS;
	p.pace.min_refetch_ms = REFETCH_MS;
	p.pace.backoff_min_ms = BACKOFF_MIN_MS;
	p.pace.backoff_max_ms = 8000;
	p.fetch.base_url = cp_url;
	/* Generous: under valgrind on a busy machine a loopback connect
	 * has taken over a second. The fake clock does not see it. */
	p.fetch.timeout_ms = 15000;
	p.fetch.connect_timeout_ms = 10000;
	p.fetch.max_inflight = o->max_inflight;
	p.policy_allowed_ips = o->policy;
	p.bringup = o->bringup;
	p.abandon_ms = ABANDON_MS;
	p.idle_timeout_ms = 20000;
	p.grace_ms = GRACE_MS;
	p.evict_interval_ms = 1000;
	p.max_pending = o->max_pending;
	p.events = true;
	p.hooks.release = hook_release;
	p.hooks.reinject = hook_reinject;
	p.hooks.log = hook_log;
	p.hooks.arg = e;
	p.clock = &e->clock;
	e->ctl = wgjit_ctl_create(&p, err, sizeof(err));
	if (e->ctl == NULL) {
		printf("  wgjit_ctl_create: %s\n", err);
		return -1;
	}
	e->wg = wgjit_wg_open(WGJIT_WG_UAPI, ifname, err, sizeof(err));
	if (e->wg == NULL) {
		printf("  wgjit_wg_open: %s\n", err);
		return -1;
	}
	return 0;
}

static int
env_open(struct env *e, const char *name)
{
	const struct env_opts o = { .bringup = WGJIT_CTL_BRINGUP_NONE };

	return env_open_with(e, name, &o);
}

/* Close; the cache file stays for a reopen (env_open_with keep_cache),
 * the device loses every peer the case put in. */
static void
env_close(struct env *e)
{
	struct wgjit_wg_device dev;
	struct wgjit_peer rm;

	wgjit_ctl_free(e->ctl);
	if (wgjit_wg_get_device(e->wg, &dev) == 0) {
		for (unsigned int i = 0; i < dev.nb_peers; i++) {
			memset(&rm, 0, sizeof(rm));
			memcpy(rm.public_key, dev.peers[i].public_key,
				WGJIT_KEY_LEN);
			rm.flags = WGJIT_PEER_REMOVE;
			wgjit_wg_set_peers(e->wg, &rm, 1);
		}
		wgjit_wg_device_free(&dev);
	}
	wgjit_wg_close(e->wg);
}

/* An initiation of @p key with timestamp @p seq from 10.77.0.@p host,
 * port 40000 + @p seq; @p known: from an endpoint WireGuard knows. */
static void
submit_from(struct env *e, const uint8_t key[WGJIT_KEY_LEN], uint8_t seq,
		uint8_t host, bool known)
{
	struct wgjit_ctl_initiation in;

	memset(&in, 0, sizeof(in));
	memcpy(in.public_key, key, WGJIT_KEY_LEN);
	/* TAI64N: the test's start (seconds) and @p seq as nanoseconds, so
	 * that the same @p seq is the same initiation whenever it is sent
	 * (a capture replayed later). */
	in.tai64n[0] = 0x40;
	for (int i = 0; i < 7; i++)
		in.tai64n[7 - i] = (uint8_t)(ts_base_sec >> (8 * i));
	in.tai64n[11] = seq;
	in.src.in4.sin_family = AF_INET;
	in.src.in4.sin_port = htons(40000 + seq);
	in.src.in4.sin_addr.s_addr = htonl(0x0a4d0000 | host);
	in.dst.in4.sin_family = AF_INET;
	in.dst.in4.sin_port = htons(51820);
	in.dst.in4.sin_addr.s_addr = htonl(0x0a4d0001);
	in.rx_ns = e->fc.mono_ns;
	in.known = known;
	in.forwarded = known;
	/* A fake held frame: only the hooks see it. */
	in.held = known ? NULL : (void *)e;
	wgjit_ctl_submit(e->ctl, &in);
}

static void
submit(struct env *e, const uint8_t key[WGJIT_KEY_LEN], uint8_t seq)
{
	submit_from(e, key, seq, 2, false);
}

static struct wgjit_ctl_stats
stats(struct env *e)
{
	struct wgjit_ctl_stats st;

	wgjit_ctl_stats(e->ctl, &st);
	return st;
}

/*
 * Poll (the fake clock stands still) until the fetches in flight are
 * done: that is I/O, which takes real time. 30 s of real time at most
 * (valgrind makes the control plane's answers slow to arrive).
 */
static void
settle(struct env *e)
{
	const struct timespec pause = { .tv_nsec = 1000000 };
	uint64_t until = wgjit_clock_mono_ns() + 30000 * MS;

	do {
		wgjit_ctl_poll(e->ctl);
		if (stats(e).fetches_waiting == 0)
			break;
		nanosleep(&pause, NULL);
	} while (wgjit_clock_mono_ns() < until);
}

/* The device's view of @p key: 1 and *@p peer filled, or 0. */
static int
device_peer(struct env *e, const uint8_t key[WGJIT_KEY_LEN],
		struct wgjit_wg_peer *peer)
{
	struct wgjit_wg_device dev;
	const struct wgjit_wg_peer *p;

	if (wgjit_wg_get_device(e->wg, &dev) != 0)
		return 0;
	wgjit_wg_device_sort(&dev);
	p = wgjit_wg_device_find(&dev, key);
	if (p != NULL && peer != NULL)
		*peer = *p;
	wgjit_wg_device_free(&dev);
	return p != NULL;
}

static bool
in_device(struct env *e, const uint8_t key[WGJIT_KEY_LEN])
{
	return device_peer(e, key, NULL) == 1;
}

/* The device has @p key at 10.77.0.@p host. */
static bool
at_host(struct env *e, const uint8_t key[WGJIT_KEY_LEN], uint8_t host)
{
	struct wgjit_wg_peer peer;

	return device_peer(e, key, &peer) == 1 &&
		peer.endpoint.sa.sa_family == AF_INET &&
		ntohl(peer.endpoint.in4.sin_addr.s_addr) == (0x0a4d0000u | host);
}

/* Positive TTL and grace: served from the cache inside the TTL, asked
 * again after it; evicted exactly after the grace time. */
static int
test_ttl_and_grace(void)
{
	uint8_t k[WGJIT_KEY_LEN];
	char b64[WGJIT_KEY_B64_SIZE];
	uint64_t stored_ms;
	struct env e;

	new_key(k, b64);
	TEST_ASSERT(register_key(b64, 1) == 0, "register");
	TEST_ASSERT(env_open(&e, "ttl") == 0, "open");
	stored_ms = e.fc.wall_ms;
	submit(&e, k, 1);
	settle(&e);
	TEST_ASSERT_EQUAL(stats(&e).api_requests, 1, "one request");
	TEST_ASSERT_EQUAL(stats(&e).installs, 1, "installed");
	TEST_ASSERT(in_device(&e, k), "in the device");

	/* One tick just before the grace time: stays. */
	advance(&e.fc, GRACE_MS - 100);
	wgjit_ctl_poll(e.ctl);
	TEST_ASSERT_EQUAL(stats(&e).evictions, 0, "inside the grace time");
	TEST_ASSERT(in_device(&e, k), "still in the device");
	/* The next tick is past it: no handshake ever, so it goes. */
	advance(&e.fc, 1100);
	wgjit_ctl_poll(e.ctl);
	TEST_ASSERT_EQUAL(stats(&e).evictions, 1, "evicted after the grace");
	TEST_ASSERT(!in_device(&e, k), "gone from the device");

	/* Back inside the positive TTL: from the cache, no request. */
	submit(&e, k, 2);
	settle(&e);
	TEST_ASSERT_EQUAL(stats(&e).cache_hits, 1, "cache hit");
	TEST_ASSERT_EQUAL(stats(&e).api_requests, 1, "no new request");
	TEST_ASSERT_EQUAL(stats(&e).installs, 2, "installed again");

	/* Past the TTL (and evicted again): the control plane is asked. */
	advance(&e.fc, GRACE_MS + 1100);
	wgjit_ctl_poll(e.ctl);
	TEST_ASSERT_EQUAL(stats(&e).evictions, 2, "evicted again");
	TEST_ASSERT(e.fc.wall_ms - stored_ms > POSITIVE_TTL_MS, "past the TTL");
	submit(&e, k, 3);
	settle(&e);
	TEST_ASSERT_EQUAL(stats(&e).api_requests, 2, "asked after the TTL");
	TEST_ASSERT_EQUAL(stats(&e).installs, 3, "installed a third time");
	env_close(&e);
	return TEST_SUCCESS;
}

/* A 404 is remembered for the negative TTL, then asked again. */
static int
test_negative_ttl(void)
{
	uint8_t k[WGJIT_KEY_LEN];
	char b64[WGJIT_KEY_B64_SIZE];
	struct env e;

	new_key(k, b64);
	TEST_ASSERT(env_open(&e, "negative") == 0, "open");
	submit(&e, k, 1);
	settle(&e);
	TEST_ASSERT_EQUAL(stats(&e).api_not_found, 1, "404");
	advance(&e.fc, NEGATIVE_TTL_MS - 100);
	submit(&e, k, 2);
	settle(&e);
	TEST_ASSERT_EQUAL(stats(&e).negative_hits, 1, "remembered");
	TEST_ASSERT_EQUAL(stats(&e).api_requests, 1, "not asked again");
	advance(&e.fc, 200);
	submit(&e, k, 3);
	settle(&e);
	TEST_ASSERT_EQUAL(stats(&e).api_requests, 2, "asked after the TTL");
	TEST_ASSERT_EQUAL(stats(&e).api_not_found, 2, "still unknown");
	TEST_ASSERT_EQUAL(stats(&e).installs, 0, "nothing installed");
	env_close(&e);
	return TEST_SUCCESS;
}

/* Transient errors back off, doubling; the first answer after installs. */
static int
test_backoff(void)
{
	uint8_t k[WGJIT_KEY_LEN];
	char b64[WGJIT_KEY_B64_SIZE];
	struct env e;
	int ret = TEST_FAILED;

	new_key(k, b64);
	TEST_ASSERT(register_key(b64, 3) == 0, "register");
	TEST_ASSERT(env_open(&e, "backoff") == 0, "open");
	TEST_ASSERT(set_fault("500") == 0, "fault");
	submit(&e, k, 1);
	settle(&e);
	if (stats(&e).api_errors != 1) {
		printf("  FAIL: api_errors %lu after a 500\n",
			(unsigned long)stats(&e).api_errors);
		goto out;
	}
	/* Inside the first backoff (1 s): nothing is asked. */
	advance(&e.fc, BACKOFF_MIN_MS - 100);
	submit(&e, k, 2);
	settle(&e);
	if (stats(&e).api_requests != 1 || stats(&e).suppressed != 1) {
		printf("  FAIL: requests %lu suppressed %lu inside 1 s\n",
			(unsigned long)stats(&e).api_requests,
			(unsigned long)stats(&e).suppressed);
		goto out;
	}
	/* After it: asked, fails again, and the backoff doubles (2 s). */
	advance(&e.fc, 200);
	submit(&e, k, 3);
	settle(&e);
	if (stats(&e).api_requests != 2 || stats(&e).api_errors != 2) {
		printf("  FAIL: second attempt: requests %lu errors %lu\n",
			(unsigned long)stats(&e).api_requests,
			(unsigned long)stats(&e).api_errors);
		goto out;
	}
	set_fault("none");
	advance(&e.fc, 2 * BACKOFF_MIN_MS - 100);
	submit(&e, k, 4);
	settle(&e);
	if (stats(&e).api_requests != 2) {
		printf("  FAIL: asked inside the doubled backoff\n");
		goto out;
	}
	advance(&e.fc, 200);
	submit(&e, k, 5);
	settle(&e);
	if (stats(&e).api_requests != 3 || stats(&e).installs != 1 ||
			!in_device(&e, k)) {
		printf("  FAIL: after the backoff: requests %lu installs %lu\n",
			(unsigned long)stats(&e).api_requests,
			(unsigned long)stats(&e).installs);
		goto out;
	}
	ret = TEST_SUCCESS;
out:
	set_fault("none");
	env_close(&e);
	return ret;
}

/*
 * Replay after eviction: an in-session initiation (observed while the
 * peer is installed) replayed from another address after the eviction
 * installs nothing, and neither does it after a restart; a newer one
 * from the new address does.
 */
static int
test_replay_after_eviction(void)
{
	const struct env_opts keep = {
		.bringup = WGJIT_CTL_BRINGUP_NONE, .keep_cache = true,
	};
	uint8_t k[WGJIT_KEY_LEN];
	char b64[WGJIT_KEY_B64_SIZE];
	struct env e;

	new_key(k, b64);
	TEST_ASSERT(register_key(b64, 4) == 0, "register");
	TEST_ASSERT(env_open(&e, "replay") == 0, "open");
	submit_from(&e, k, 5, 2, false);
	settle(&e);
	TEST_ASSERT(at_host(&e, k, 2), "installed at the client's address");
	/* A rekey while installed: WireGuard's, seen for its timestamp. */
	submit_from(&e, k, 9, 2, true);
	wgjit_ctl_poll(e.ctl);
	TEST_ASSERT_EQUAL(stats(&e).observed, 1, "observed");
	TEST_ASSERT_EQUAL(stats(&e).already_installed, 1, "left to WireGuard");
	advance(&e.fc, GRACE_MS + 1100);
	wgjit_ctl_poll(e.ctl);
	TEST_ASSERT(!in_device(&e, k), "evicted");
	/* The captured rekey, from the attacker's address. */
	submit_from(&e, k, 9, 66, false);
	settle(&e);
	TEST_ASSERT_EQUAL(stats(&e).replays, 1, "a replay");
	TEST_ASSERT(!in_device(&e, k), "nothing installed at the attacker's");
	submit_from(&e, k, 7, 66, false);
	settle(&e);
	TEST_ASSERT_EQUAL(stats(&e).replays, 2, "an older one too");
	env_close(&e);

	/* After a restart the floor still holds. */
	TEST_ASSERT(env_open_with(&e, "replay", &keep) == 0, "reopen");
	submit_from(&e, k, 9, 66, false);
	settle(&e);
	TEST_ASSERT_EQUAL(stats(&e).replays, 1, "a replay after the restart");
	TEST_ASSERT(!in_device(&e, k), "still nothing installed");
	/* The client comes back with a fresh initiation from a new place. */
	submit_from(&e, k, 10, 3, false);
	settle(&e);
	TEST_ASSERT(at_host(&e, k, 3), "a newer one installs");
	env_close(&e);
	return TEST_SUCCESS;
}

/* While a fetch runs, the waiting initiation is replaced only by a
 * strictly newer one: a replay never takes the client's endpoint. */
static int
test_pending_newer_only(void)
{
	uint8_t k[WGJIT_KEY_LEN];
	char b64[WGJIT_KEY_B64_SIZE];
	struct env e;
	int ret = TEST_FAILED;

	new_key(k, b64);
	TEST_ASSERT(register_key(b64, 5) == 0, "register");
	TEST_ASSERT(env_open(&e, "pending") == 0, "open");
	TEST_ASSERT(cp_admin("POST", "/admin/fault",
		"{\"mode\": \"slow\", \"delay\": 0.5}") == 0, "slow");
	submit_from(&e, k, 5, 2, false);
	wgjit_ctl_poll(e.ctl);
	submit_from(&e, k, 5, 66, false);	/* the same, replayed */
	submit_from(&e, k, 4, 67, false);	/* an older one */
	if (stats(&e).pending_not_newer != 2) {
		printf("  FAIL: pending_not_newer %lu\n",
			(unsigned long)stats(&e).pending_not_newer);
		goto out;
	}
	settle(&e);
	if (!at_host(&e, k, 2) || stats(&e).installs != 1) {
		printf("  FAIL: not installed at the client's address\n");
		goto out;
	}
	ret = TEST_SUCCESS;
out:
	set_fault("none");
	env_close(&e);
	return ret;
}

/* The allowed-IPs policy: default routes, prefixes outside the policy and
 * prefixes of the operator's peers are refused; nothing is installed or
 * cached, and the reason is logged. */
static int
test_policy(void)
{
	const struct env_opts with_policy = {
		.bringup = WGJIT_CTL_BRINGUP_NONE,
		.policy = "10.98.0.0/16, fd98::/32",
	};
	uint8_t k1[WGJIT_KEY_LEN], k2[WGJIT_KEY_LEN], k3[WGJIT_KEY_LEN];
	uint8_t k4[WGJIT_KEY_LEN], st[WGJIT_KEY_LEN];
	char b1[WGJIT_KEY_B64_SIZE], b2[WGJIT_KEY_B64_SIZE];
	char b3[WGJIT_KEY_B64_SIZE], b4[WGJIT_KEY_B64_SIZE];
	char bs[WGJIT_KEY_B64_SIZE];
	struct wgjit_peer stat;
	struct env e;

	new_key(k1, b1);
	new_key(k2, b2);
	new_key(k3, b3);
	new_key(k4, b4);
	new_key(st, bs);
	TEST_ASSERT(register_aips(b1, "\"10.98.7.1/32\", \"0.0.0.0/0\"", 0) == 0,
		"register 0/0");
	TEST_ASSERT(register_aips(b2, "\"10.98.200.7/32\"", 0) == 0,
		"register a static peer's address");
	TEST_ASSERT(register_aips(b3, "\"192.168.1.1/32\"", 0) == 0,
		"register an address outside");
	TEST_ASSERT(register_aips(b4, "\"10.98.9.1/32\", \"fd98::9/128\"", 0) == 0,
		"register a good one");
	TEST_ASSERT(env_open_with(&e, "policy", &with_policy) == 0, "open");
	/* The operator's static peer, added after wgjit started. */
	memset(&stat, 0, sizeof(stat));
	memcpy(stat.public_key, st, WGJIT_KEY_LEN);
	wgjit_allowed_ip_parse(&stat.allowed_ips[0], "10.98.200.0/24");
	stat.nb_allowed_ips = 1;
	TEST_ASSERT(wgjit_wg_set_peers(e.wg, &stat, 1) == 0, "static peer");
	advance(&e.fc, 1500);	/* the view of the device is now old */

	submit(&e, k1, 1);
	settle(&e);
	TEST_ASSERT(!in_device(&e, k1), "0/0 not installed");
	TEST_ASSERT(strstr(e.last_log, "default_route") != NULL,
		"logged: %s", e.last_log);
	submit(&e, k2, 1);
	settle(&e);
	TEST_ASSERT(!in_device(&e, k2), "a static peer's prefix not taken");
	TEST_ASSERT(strstr(e.last_log, "foreign_overlap") != NULL ||
		stats(&e).policy_refused == 2, "logged: %s", e.last_log);
	submit(&e, k3, 1);
	settle(&e);
	TEST_ASSERT(!in_device(&e, k3), "outside the policy");
	TEST_ASSERT_EQUAL(stats(&e).policy_refused, 3, "three refused");
	TEST_ASSERT_EQUAL(stats(&e).installs, 0, "none installed");
	submit(&e, k4, 1);
	settle(&e);
	TEST_ASSERT(in_device(&e, k4), "inside the policy: installed");
	/* Refused answers were not kept: asked again after the window. */
	advance(&e.fc, REFETCH_MS + 100);
	submit(&e, k1, 2);
	settle(&e);
	TEST_ASSERT_EQUAL(stats(&e).cache_hits, 0, "never a cache hit");
	TEST_ASSERT_EQUAL(stats(&e).policy_refused, 4, "refused again");
	/* The static peer is untouched. */
	{
		struct wgjit_wg_peer sp;

		TEST_ASSERT(device_peer(&e, st, &sp) == 1, "static peer kept");
		TEST_ASSERT_EQUAL(sp.nb_allowed_ips, 1, "with its prefix");
	}
	env_close(&e);
	return TEST_SUCCESS;
}

/* What a crash leaves: intents (the install may or may not have reached
 * the device) and records of peers that are gone. The next start keeps
 * its own peers as its own and drops the rest. */
static int
test_intents_after_crash(void)
{
	const struct env_opts keep = {
		.bringup = WGJIT_CTL_BRINGUP_NONE, .keep_cache = true,
	};
	uint8_t in_dev[WGJIT_KEY_LEN], lost[WGJIT_KEY_LEN], gone[WGJIT_KEY_LEN];
	char b64[WGJIT_KEY_B64_SIZE], path[600], err[256];
	union wgjit_endpoint ep;
	struct wgjit_cache *c;
	struct wgjit_peer p;
	struct wgjit_wg *wg;
	struct env e;

	new_key(in_dev, b64);
	new_key(lost, b64);
	new_key(gone, b64);
	snprintf(path, sizeof(path), "%s/crash.sqlite", cache_dir);
	remove(path);
	c = wgjit_cache_open(path, NULL, err, sizeof(err));
	TEST_ASSERT(c != NULL, "cache: %s", err);
	wgjit_endpoint_parse(&ep, "10.77.0.2:40001");
	TEST_ASSERT(wgjit_cache_record(c, in_dev, &ep, wgjit_clock_wall_ms(),
		WGJIT_CACHE_INTENT) == 0, "intent, then the install");
	TEST_ASSERT(wgjit_cache_record(c, lost, &ep, wgjit_clock_wall_ms(),
		WGJIT_CACHE_INTENT) == 0, "intent, killed before the install");
	TEST_ASSERT(wgjit_cache_record(c, gone, NULL, wgjit_clock_wall_ms(),
		WGJIT_CACHE_INSTALLED) == 0, "install the device lost");
	wgjit_cache_close(c);
	wg = wgjit_wg_open(WGJIT_WG_UAPI, ifname, err, sizeof(err));
	TEST_ASSERT(wg != NULL, "device: %s", err);
	memset(&p, 0, sizeof(p));
	memcpy(p.public_key, in_dev, WGJIT_KEY_LEN);
	p.endpoint = ep;
	p.flags = WGJIT_PEER_HAS_ENDPOINT;
	TEST_ASSERT(wgjit_wg_set_peers(wg, &p, 1) == 0, "the install happened");
	wgjit_wg_close(wg);

	TEST_ASSERT(env_open_with(&e, "crash", &keep) == 0, "start");
	TEST_ASSERT_EQUAL(stats(&e).intents_settled, 2, "two intents settled");
	TEST_ASSERT_EQUAL(stats(&e).reconciled, 1, "one lost install");
	TEST_ASSERT_EQUAL(stats(&e).peers_installed, 1, "one peer is ours");
	/* Ours, not the operator's: an initiation goes to WireGuard as one
	 * of wgjit's installs, and eviction will remove it. */
	submit(&e, in_dev, 1);
	wgjit_ctl_poll(e.ctl);
	TEST_ASSERT_EQUAL(stats(&e).already_installed, 1, "wgjit's own");
	TEST_ASSERT_EQUAL(stats(&e).foreign, 0, "not foreign");
	advance(&e.fc, GRACE_MS + 1100);
	wgjit_ctl_poll(e.ctl);
	TEST_ASSERT(!in_device(&e, in_dev), "evicted like any install");
	env_close(&e);
	return TEST_SUCCESS;
}

/* The wall clock steps: eviction and pacing go by monotonic time, and a
 * configuration stored "in the future" is not served. */
static int
test_wall_clock_steps(void)
{
	uint8_t k[WGJIT_KEY_LEN];
	char b64[WGJIT_KEY_B64_SIZE];
	struct env e;

	new_key(k, b64);
	TEST_ASSERT(register_key(b64, 6) == 0, "register");
	TEST_ASSERT(env_open(&e, "steps") == 0, "open");
	submit(&e, k, 1);
	settle(&e);
	TEST_ASSERT(in_device(&e, k), "installed");
	/* A year forward: nobody is evicted for it. */
	e.fc.wall_ms += UINT64_C(365) * 86400 * 1000;
	advance(&e.fc, 1000);
	wgjit_ctl_poll(e.ctl);
	TEST_ASSERT(in_device(&e, k), "a forward step evicts nobody");
	/* A day back: eviction still comes on time. */
	e.fc.wall_ms -= UINT64_C(366) * 86400 * 1000;
	advance(&e.fc, GRACE_MS);
	wgjit_ctl_poll(e.ctl);
	TEST_ASSERT(!in_device(&e, k), "a backward step stops nothing");
	TEST_ASSERT_EQUAL(stats(&e).evictions, 1, "evicted once");
	/* The answer was stored a year "ahead": not served now. */
	submit(&e, k, 2);
	settle(&e);
	TEST_ASSERT_EQUAL(stats(&e).cache_hits, 0, "not served from the future");
	TEST_ASSERT_EQUAL(stats(&e).api_requests, 2, "asked again");
	env_close(&e);
	return TEST_SUCCESS;
}

/* A stage of a control pass that stalls is logged with its name; passes
 * that take no time log nothing. */
static int
test_slow_stage_logged(void)
{
	struct env e;

	TEST_ASSERT(env_open(&e, "slow") == 0, "open");
	for (int i = 0; i < 20; i++) {
		advance(&e.fc, 100);
		wgjit_ctl_poll(e.ctl);
	}
	TEST_ASSERT_EQUAL(e.nb_slow_logs, 0, "a pass that took no time: %s",
		e.last_log);
	/* Every read of the clock now finds 600 ms gone. */
	e.fc.step_ns = 600 * MS;
	wgjit_ctl_poll(e.ctl);
	e.fc.step_ns = 0;
	TEST_ASSERT(e.nb_slow_logs >= 1, "no stall logged (%u lines, last: %s)",
		e.nb_logs, e.last_log);
	env_close(&e);
	return TEST_SUCCESS;
}

/* Initiate mode with events: the client's response ends the bring-up
 * and the configured keepalive comes back; a peer whose endpoint never
 * answers is removed after one retry. */
static int
test_events_and_abandon(void)
{
	const struct env_opts o = { .bringup = WGJIT_CTL_BRINGUP_INITIATE };
	uint8_t k1[WGJIT_KEY_LEN], k2[WGJIT_KEY_LEN];
	char b1[WGJIT_KEY_B64_SIZE], b2[WGJIT_KEY_B64_SIZE];
	struct wgjit_ctl_event ev;
	struct wgjit_wg_peer peer;
	struct env e;

	new_key(k1, b1);
	new_key(k2, b2);
	TEST_ASSERT(register_aips(b1, "\"10.98.8.1/32\"", 0) == 0, "register");
	TEST_ASSERT(register_aips(b2, "\"10.98.8.2/32\"", 0) == 0, "register");
	TEST_ASSERT(env_open_with(&e, "events", &o) == 0, "open");
	submit_from(&e, k1, 1, 2, false);
	settle(&e);
	TEST_ASSERT(device_peer(&e, k1, &peer) == 1, "installed");
	TEST_ASSERT_EQUAL(peer.persistent_keepalive, 25, "bring-up keepalive");
	TEST_ASSERT_EQUAL(stats(&e).watching, 1, "watched");
	TEST_ASSERT_EQUAL(e.nb_released, 1, "initiate: the client's dropped");
	/* The data path saw the gateway's initiation, then the answer. */
	memset(&ev, 0, sizeof(ev));
	ev.kind = WGJIT_CTL_EV_INIT_OUT;
	ev.ep.in4.sin_family = AF_INET;
	ev.ep.in4.sin_port = htons(40001);
	ev.ep.in4.sin_addr.s_addr = htonl(0x0a4d0002);
	ev.ns = e.fc.mono_ns + 300 * 1000;
	TEST_ASSERT_EQUAL(wgjit_ctl_event(e.ctl, &ev), 0, "init out");
	ev.kind = WGJIT_CTL_EV_RESPONSE_IN;
	ev.ns += 2 * MS;
	TEST_ASSERT_EQUAL(wgjit_ctl_event(e.ctl, &ev), 0, "response in");
	wgjit_ctl_poll(e.ctl);
	TEST_ASSERT_EQUAL(stats(&e).handshakes, 1, "handshake counted");
	TEST_ASSERT_EQUAL(stats(&e).watching, 0, "watch over");
	TEST_ASSERT(device_peer(&e, k1, &peer) == 1, "still installed");
	TEST_ASSERT_EQUAL(peer.persistent_keepalive, 0, "keepalive restored");
	TEST_ASSERT_EQUAL(wgjit_ctl_event(e.ctl, &ev), -ENOENT, "once only");
	TEST_ASSERT_EQUAL(stats(&e).events_unmatched, 1, "counted");

	/* k2's endpoint never answers. */
	submit_from(&e, k2, 1, 9, false);
	settle(&e);
	TEST_ASSERT(in_device(&e, k2), "installed");
	advance(&e.fc, ABANDON_MS - 200);
	wgjit_ctl_poll(e.ctl);
	TEST_ASSERT(in_device(&e, k2), "inside one retry");
	advance(&e.fc, 400);
	wgjit_ctl_poll(e.ctl);
	TEST_ASSERT(!in_device(&e, k2), "removed after one retry");
	TEST_ASSERT_EQUAL(stats(&e).abandoned, 1, "abandoned");
	TEST_ASSERT(in_device(&e, k1), "the answered one stays");
	env_close(&e);
	return TEST_SUCCESS;
}

/* A flood of minted keys (valid initiations, keys the control plane
 * never heard of) fills their share of the waiting table; a returning
 * client still gets its place and is installed. */
static int
test_minted_flood(void)
{
	const struct env_opts o = {
		.bringup = WGJIT_CTL_BRINGUP_NONE, .max_pending = 16,
		.max_inflight = 2,
	};
	uint8_t k[WGJIT_KEY_LEN], minted[WGJIT_KEY_LEN];
	char b64[WGJIT_KEY_B64_SIZE];
	struct env e;
	int ret = TEST_FAILED;

	new_key(k, b64);
	TEST_ASSERT(register_key(b64, 7) == 0, "register");
	TEST_ASSERT(env_open_with(&e, "minted", &o) == 0, "open");
	/* The client was here before: its answer is in the cache, expired. */
	submit(&e, k, 1);
	settle(&e);
	TEST_ASSERT_EQUAL(stats(&e).installs, 1, "first visit");
	advance(&e.fc, POSITIVE_TTL_MS + 100);
	wgjit_ctl_poll(e.ctl);
	TEST_ASSERT(!in_device(&e, k), "evicted since");
	TEST_ASSERT(cp_admin("POST", "/admin/fault",
		"{\"mode\": \"slow\", \"delay\": 0.3}") == 0, "slow");
	for (int i = 0; i < 40; i++) {
		new_key(minted, b64);
		submit_from(&e, minted, 1, (uint8_t)(100 + i), false);
	}
	/* 16 places, 8 for never-seen keys: the first visit, then 8. */
	if (stats(&e).never_seen != 9 || stats(&e).pending_dropped != 32) {
		printf("  FAIL: never_seen %lu pending_dropped %lu\n",
			(unsigned long)stats(&e).never_seen,
			(unsigned long)stats(&e).pending_dropped);
		goto out;
	}
	submit(&e, k, 2);
	if (stats(&e).returning != 1) {
		printf("  FAIL: the returning client found no room\n");
		goto out;
	}
	settle(&e);
	if (!in_device(&e, k) || stats(&e).installs != 2) {
		printf("  FAIL: the returning client was not installed\n");
		goto out;
	}
	ret = TEST_SUCCESS;
out:
	set_fault("none");
	env_close(&e);
	return ret;
}

int
main(int argc, char **argv)
{
	static const struct wgjit_test_case cases[] = {
		TEST_CASE(test_ttl_and_grace),
		TEST_CASE(test_negative_ttl),
		TEST_CASE(test_backoff),
		TEST_CASE(test_replay_after_eviction),
		TEST_CASE(test_pending_newer_only),
		TEST_CASE(test_policy),
		TEST_CASE(test_intents_after_crash),
		TEST_CASE(test_wall_clock_steps),
		TEST_CASE(test_events_and_abandon),
		TEST_CASE(test_minted_flood),
		TEST_CASE(test_slow_stage_logged),
		TEST_CASES_END(),
	};
	int ret;

	if (argc != 4) {
		fprintf(stderr, "usage: %s IFNAME CP_URL CACHE_DIR\n", argv[0]);
		return 2;
	}
	ifname = argv[1];
	ts_base_sec = wgjit_clock_wall_ms() / 1000;
	cp_url = argv[2];
	cache_dir = argv[3];
	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return 1;
	ret = wgjit_test_run("ctl_clock", cases);
	curl_global_cleanup();
	return ret;
}
