/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * The control object with its clock injected: TTLs, the negative cache,
 * backoff after control-plane errors and eviction after the grace time,
 * decided by stepping time instead of waiting for it. Everything else is
 * real: a wireguard-go device (UAPI), the reference control plane over
 * HTTP, a SQLite file. Waits only for I/O (a fetch to finish), never for
 * time to pass.
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

static const char *ifname, *cp_url, *cache_dir;

/* The injected clock: tests move it. */
struct fake_clock {
	uint64_t mono_ns;
	uint64_t wall_ms;
};

static uint64_t
fake_mono(void *arg)
{
	return ((struct fake_clock *)arg)->mono_ns;
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
register_key(const char *b64, unsigned int n)
{
	char body[256];

	snprintf(body, sizeof(body),
		"{\"public_key\": \"%s\", \"allowed_ips\": [\"10.98.%u.%u/32\"]}",
		b64, n / 250, 1 + n % 250);
	return cp_admin("POST", "/admin/peers", body);
}

static int
set_fault(const char *mode)
{
	char body[64];

	snprintf(body, sizeof(body), "{\"mode\": \"%s\"}", mode);
	return cp_admin("POST", "/admin/fault", body);
}

static int
env_open(struct env *e, const char *name)
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
	memset(&p, 0, sizeof(p));
	p.backend = WGJIT_WG_UAPI;
	p.ifname = ifname;
	p.cache_path = e->cache;
	p.cache.positive_ttl_ms = POSITIVE_TTL_MS;
	p.cache.negative_ttl_ms = NEGATIVE_TTL_MS;
	p.cache.min_refetch_ms = REFETCH_MS;
	p.cache.backoff_min_ms = BACKOFF_MIN_MS;
	p.cache.backoff_max_ms = 8000;
	p.fetch.base_url = cp_url;
	p.bringup = WGJIT_CTL_BRINGUP_NONE;
	p.idle_timeout_ms = 20000;
	p.grace_ms = GRACE_MS;
	p.evict_interval_ms = 1000;
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

static void
env_close(struct env *e)
{
	wgjit_ctl_free(e->ctl);
	wgjit_wg_close(e->wg);
	remove(e->cache);
}

static void
submit(struct env *e, const uint8_t key[WGJIT_KEY_LEN], uint8_t seq)
{
	struct wgjit_ctl_initiation in;

	memset(&in, 0, sizeof(in));
	memcpy(in.public_key, key, WGJIT_KEY_LEN);
	/* TAI64N: only the order matters to the replay check. */
	in.tai64n[0] = 0x40;
	in.tai64n[11] = seq;
	in.src.in4.sin_family = AF_INET;
	in.src.in4.sin_port = htons(40000 + seq);
	in.src.in4.sin_addr.s_addr = htonl(0x0a4d0002);
	in.rx_ns = e->fc.mono_ns;
	wgjit_ctl_submit(e->ctl, &in);
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
 * done: that is I/O, which takes real time. 5 s of real time at most.
 */
static void
settle(struct env *e)
{
	const struct timespec pause = { .tv_nsec = 1000000 };
	uint64_t until = wgjit_clock_mono_ns() + 5000 * MS;

	do {
		wgjit_ctl_poll(e->ctl);
		if (stats(e).fetches_waiting == 0)
			break;
		nanosleep(&pause, NULL);
	} while (wgjit_clock_mono_ns() < until);
}

static bool
in_device(struct env *e, const uint8_t key[WGJIT_KEY_LEN])
{
	struct wgjit_wg_device dev;
	bool found;

	if (wgjit_wg_get_device(e->wg, &dev) != 0)
		return false;
	wgjit_wg_device_sort(&dev);
	found = wgjit_wg_device_find(&dev, key) != NULL;
	wgjit_wg_device_free(&dev);
	return found;
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

int
main(int argc, char **argv)
{
	static const struct wgjit_test_case cases[] = {
		TEST_CASE(test_ttl_and_grace),
		TEST_CASE(test_negative_ttl),
		TEST_CASE(test_backoff),
		TEST_CASES_END(),
	};
	int ret;

	if (argc != 4) {
		fprintf(stderr, "usage: %s IFNAME CP_URL CACHE_DIR\n", argv[0]);
		return 2;
	}
	ifname = argv[1];
	cp_url = argv[2];
	cache_dir = argv[3];
	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return 1;
	ret = wgjit_test_run("ctl_clock", cases);
	curl_global_cleanup();
	return ret;
}
