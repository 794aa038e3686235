/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * Cache policy on real SQLite files: TTLs, negative TTLs, the re-fetch
 * window, backoff growth and cap, bounded expiry, and input checks.
 */

#include <errno.h>
#include <arpa/inet.h>

#include "wgjit_test.h"
#include "cache_test_util.h"

#define T0 UINT64_C(1700000000000)	/* an arbitrary wall-clock ms */

static const struct wgjit_cache_params params = {
	.positive_ttl_ms = 10000,
	.negative_ttl_ms = 3000,
	.min_refetch_ms = 500,
	.backoff_min_ms = 1000,
	.backoff_max_ms = 60000,
	.expire_batch = 2,
};

static struct wgjit_cache *
open_fresh(void)
{
	char err[WGJIT_CACHE_ERR_SIZE] = "";
	struct wgjit_cache *c;

	c = wgjit_cache_open(cache_test_new_path(), &params, err, sizeof(err));
	if (c == NULL)
		printf("  open: %s\n", err);
	return c;
}

/* A peer with every optional field set. */
static void
make_peer(struct wgjit_peer *p, uint8_t b)
{
	memset(p, 0, sizeof(*p));
	cache_test_key(p->public_key, b);
	memset(p->preshared_key, 0xa5, sizeof(p->preshared_key));
	p->flags = WGJIT_PEER_HAS_PRESHARED_KEY | WGJIT_PEER_HAS_KEEPALIVE |
		WGJIT_PEER_HAS_ENDPOINT | WGJIT_PEER_REPLACE_ALLOWED_IPS;
	p->persistent_keepalive = 25;
	wgjit_endpoint_parse(&p->endpoint, "[fe80::1]:51820");
	p->endpoint.in6.sin6_scope_id = 3;
	wgjit_allowed_ip_parse(&p->allowed_ips[0], "10.9.0.3/32");
	wgjit_allowed_ip_parse(&p->allowed_ips[1], "fd00:9::/64");
	p->nb_allowed_ips = 2;
}

static int
test_positive_ttl(void)
{
	struct wgjit_cache *c = open_fresh();
	struct wgjit_peer in, out;
	char a[WGJIT_ALLOWED_IP_STR_SIZE];
	int ret;

	TEST_ASSERT(c != NULL, "open");
	make_peer(&in, 1);
	ret = wgjit_cache_lookup(c, in.public_key, T0, &out);
	TEST_ASSERT_EQUAL(ret, WGJIT_CACHE_FETCH, "unknown key");
	TEST_ASSERT_EQUAL(wgjit_cache_store_peer(c, &in, T0 + 5), 0, "store");
	ret = wgjit_cache_lookup(c, in.public_key, T0 + 5 + 9999, &out);
	TEST_ASSERT_EQUAL(ret, WGJIT_CACHE_HIT, "fresh until the TTL");
	TEST_ASSERT_MEM_EQUAL(out.public_key, in.public_key, WGJIT_KEY_LEN, "key");
	TEST_ASSERT_MEM_EQUAL(out.preshared_key, in.preshared_key,
			WGJIT_KEY_LEN, "psk");
	/* Install actions are not stored, only the HAS_* flags. */
	TEST_ASSERT_EQUAL(out.flags, WGJIT_PEER_HAS_PRESHARED_KEY |
			WGJIT_PEER_HAS_KEEPALIVE | WGJIT_PEER_HAS_ENDPOINT, "flags");
	TEST_ASSERT_EQUAL(out.persistent_keepalive, 25, "keepalive");
	TEST_ASSERT(wgjit_endpoint_equal(&out.endpoint, &in.endpoint), "ep");
	TEST_ASSERT_EQUAL(out.endpoint.in6.sin6_scope_id, 3, "scope id");
	TEST_ASSERT_EQUAL(out.nb_allowed_ips, 2, "allowed IPs");
	wgjit_allowed_ip_format(a, &out.allowed_ips[1]);
	TEST_ASSERT(strcmp(a, "fd00:9::/64") == 0, "second allowed IP %s", a);
	wgjit_peer_clear(&out);

	ret = wgjit_cache_lookup(c, in.public_key, T0 + 5 + 10000, &out);
	TEST_ASSERT_EQUAL(ret, WGJIT_CACHE_FETCH, "expired -> fetch again");
	ret = wgjit_cache_lookup(c, in.public_key, T0 + 5 + 10001, &out);
	TEST_ASSERT_EQUAL(ret, WGJIT_CACHE_WAIT, "re-fetch in flight");

	/* A minimal peer: no optional field, no allowed IP. */
	memset(&in, 0, sizeof(in));
	cache_test_key(in.public_key, 2);
	TEST_ASSERT_EQUAL(wgjit_cache_store_peer(c, &in, T0), 0, "store bare");
	ret = wgjit_cache_lookup(c, in.public_key, T0 + 1, &out);
	TEST_ASSERT_EQUAL(ret, WGJIT_CACHE_HIT, "bare hit");
	TEST_ASSERT_EQUAL(out.flags, 0, "bare flags");
	TEST_ASSERT_EQUAL(out.nb_allowed_ips, 0, "bare allowed IPs");
	TEST_ASSERT(wgjit_key_is_zero(out.preshared_key), "no psk");
	wgjit_cache_close(c);
	return TEST_SUCCESS;
}

static int
test_negative_ttl(void)
{
	struct wgjit_cache *c = open_fresh();
	uint8_t key[WGJIT_KEY_LEN];
	struct wgjit_cache_stats st;

	TEST_ASSERT(c != NULL, "open");
	cache_test_key(key, 7);
	TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, key, T0, NULL),
			WGJIT_CACHE_FETCH, "first");
	TEST_ASSERT_EQUAL(wgjit_cache_store_negative(c, key, T0 + 10), 0, "404");
	for (uint64_t t = T0 + 10; t < T0 + 10 + 3000; t += 250)
		TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, key, t, NULL),
				WGJIT_CACHE_NEGATIVE, "known unknown at +%llu",
				(unsigned long long)(t - T0));
	TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, key, T0 + 10 + 2999, NULL),
			WGJIT_CACHE_NEGATIVE, "last ms");
	TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, key, T0 + 10 + 3000, NULL),
			WGJIT_CACHE_FETCH, "negative TTL over");
	wgjit_cache_stats(c, &st);
	TEST_ASSERT_EQUAL(st.negative_hits, 13, "negative hits");
	TEST_ASSERT_EQUAL(st.fetch_grants, 2, "grants");

	/* A later configuration replaces the 404. */
	{
		struct wgjit_peer p;

		make_peer(&p, 7);
		TEST_ASSERT_EQUAL(wgjit_cache_store_peer(c, &p, T0 + 3100), 0,
				"store");
		TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, key, T0 + 3101, &p),
				WGJIT_CACHE_HIT, "hit after 404");
		wgjit_peer_clear(&p);
	}
	wgjit_cache_close(c);
	return TEST_SUCCESS;
}

static int
test_refetch_window(void)
{
	struct wgjit_cache *c = open_fresh();
	uint8_t key[WGJIT_KEY_LEN];
	struct wgjit_cache_stats st;
	int fetches = 0, waits = 0;

	TEST_ASSERT(c != NULL, "open");
	cache_test_key(key, 9);
	/* A storm: 50 lookups spread over the 500 ms window. */
	for (int i = 0; i < 50; i++) {
		int v = wgjit_cache_lookup(c, key, T0 + (uint64_t)i * 10, NULL);

		TEST_ASSERT(v == WGJIT_CACHE_FETCH || v == WGJIT_CACHE_WAIT,
				"lookup %d gave %d", i, v);
		fetches += v == WGJIT_CACHE_FETCH;
		waits += v == WGJIT_CACHE_WAIT;
	}
	TEST_ASSERT_EQUAL(fetches, 1, "one API request per window");
	TEST_ASSERT_EQUAL(waits, 49, "the rest wait");
	wgjit_cache_stats(c, &st);
	TEST_ASSERT_EQUAL(st.fetch_grants, 1, "grant counter");
	TEST_ASSERT_EQUAL(st.suppressed, 49, "suppressed counter");
	/* The answer never came: the next window grants again, once. */
	TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, key, T0 + 500, NULL),
			WGJIT_CACHE_FETCH, "next window");
	TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, key, T0 + 501, NULL),
			WGJIT_CACHE_WAIT, "inside the next window");
	/* Another key is paced on its own. */
	cache_test_key(key, 10);
	TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, key, T0 + 501, NULL),
			WGJIT_CACHE_FETCH, "other key");
	wgjit_cache_close(c);
	return TEST_SUCCESS;
}

static int
test_backoff(void)
{
	static const int64_t expect[] = {
		1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000,
	};
	struct wgjit_cache *c = open_fresh();
	uint8_t key[WGJIT_KEY_LEN];
	struct wgjit_peer p;
	uint64_t now = T0;

	TEST_ASSERT(c != NULL, "open");
	cache_test_key(key, 11);
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		int64_t b;

		TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, key, now, NULL),
				WGJIT_CACHE_FETCH, "attempt %zu", i);
		b = wgjit_cache_note_failure(c, key, now);
		TEST_ASSERT_EQUAL(b, expect[i], "backoff after failure %zu", i + 1);
		TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, key, now + b - 1, NULL),
				WGJIT_CACHE_WAIT, "backing off, failure %zu", i + 1);
		now += b;
	}
	/* Transient failures never turn into a negative entry. */
	TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, key, now, NULL),
			WGJIT_CACHE_FETCH, "after the last backoff");
	/* Success resets the count. */
	make_peer(&p, 11);
	TEST_ASSERT_EQUAL(wgjit_cache_store_peer(c, &p, now), 0, "store");
	now += 10000;
	TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, key, now, NULL),
			WGJIT_CACHE_FETCH, "expired");
	TEST_ASSERT_EQUAL(wgjit_cache_note_failure(c, key, now), 1000, "reset");

	/* A failure on a key never looked up still backs off. */
	cache_test_key(key, 12);
	TEST_ASSERT_EQUAL(wgjit_cache_note_failure(c, key, T0), 1000, "new");
	TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, key, T0 + 999, NULL),
			WGJIT_CACHE_WAIT, "new key backs off");

	/* A failure while a config is fresh leaves the config alone. */
	make_peer(&p, 13);
	TEST_ASSERT_EQUAL(wgjit_cache_store_peer(c, &p, T0), 0, "store 13");
	TEST_ASSERT_EQUAL(wgjit_cache_note_failure(c, p.public_key, T0 + 1),
			1000, "failure 13");
	TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, p.public_key, T0 + 2, &p),
			WGJIT_CACHE_HIT, "still a hit");
	wgjit_peer_clear(&p);
	wgjit_cache_close(c);
	return TEST_SUCCESS;
}

static int
test_expire(void)
{
	struct wgjit_cache *c = open_fresh();
	uint8_t key[WGJIT_KEY_LEN];
	struct wgjit_cache_stats st;
	struct wgjit_peer p;

	TEST_ASSERT(c != NULL, "open");
	/* Five 404s stored at T0, expiring at T0 + 3000. */
	for (uint8_t b = 1; b <= 5; b++) {
		cache_test_key(key, b);
		TEST_ASSERT_EQUAL(wgjit_cache_store_negative(c, key, T0), 0, "neg");
	}
	/* One fresh config and one key in a long backoff. */
	make_peer(&p, 20);
	TEST_ASSERT_EQUAL(wgjit_cache_store_peer(c, &p, T0), 0, "store");
	cache_test_key(key, 21);
	for (int i = 0; i < 7; i++)
		TEST_ASSERT(wgjit_cache_note_failure(c, key, T0) > 0, "failure");

	TEST_ASSERT_EQUAL(wgjit_cache_expire(c, T0 + 2999), 0, "nothing yet");
	/* The 404s are over at T0 + 3000; dropped in batches of two. */
	TEST_ASSERT_EQUAL(wgjit_cache_expire(c, T0 + 9999), 2, "batch 1");
	TEST_ASSERT_EQUAL(wgjit_cache_expire(c, T0 + 9999), 2, "batch 2");
	TEST_ASSERT_EQUAL(wgjit_cache_expire(c, T0 + 9999), 1, "batch 3");
	TEST_ASSERT_EQUAL(wgjit_cache_expire(c, T0 + 9999), 0, "done");
	TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, p.public_key, T0 + 9999, &p),
			WGJIT_CACHE_HIT, "fresh config kept");
	wgjit_peer_clear(&p);
	/* The backed-off key: next fetch at T0 + 60 s, kept 60 s longer. */
	TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, key, T0 + 59999, NULL),
			WGJIT_CACHE_WAIT, "backoff survives expiry");
	TEST_ASSERT_EQUAL(wgjit_cache_expire(c, T0 + 119999), 1, "the config");
	TEST_ASSERT_EQUAL(wgjit_cache_expire(c, T0 + 120000), 1, "the backoff");
	TEST_ASSERT_EQUAL(wgjit_cache_note_failure(c, key, T0 + 120000), 1000,
			"backoff state gone with the row");
	wgjit_cache_stats(c, &st);
	TEST_ASSERT_EQUAL(st.expired, 7, "expired counter");
	wgjit_cache_close(c);
	return TEST_SUCCESS;
}

static int
test_bad_input(void)
{
	struct wgjit_cache *c = open_fresh();
	struct wgjit_peer p;
	union wgjit_endpoint ep;

	TEST_ASSERT(c != NULL, "open");
	make_peer(&p, 30);
	p.allowed_ips[0].cidr = 24;	/* 10.9.0.3/24 has host bits */
	TEST_ASSERT_EQUAL(wgjit_cache_store_peer(c, &p, T0), -EINVAL, "host");
	TEST_ASSERT(strstr(wgjit_cache_errmsg(c), "host bits") != NULL,
			"message: %s", wgjit_cache_errmsg(c));
	make_peer(&p, 30);
	p.allowed_ips[1].cidr = 129;
	TEST_ASSERT_EQUAL(wgjit_cache_store_peer(c, &p, T0), -EINVAL, "cidr");
	make_peer(&p, 30);
	p.nb_allowed_ips = WGJIT_PEER_MAX_ALLOWED_IPS + 1;
	TEST_ASSERT_EQUAL(wgjit_cache_store_peer(c, &p, T0), -EINVAL, "count");
	make_peer(&p, 30);
	p.endpoint.sa.sa_family = AF_UNIX;
	TEST_ASSERT_EQUAL(wgjit_cache_store_peer(c, &p, T0), -EINVAL, "ep");
	/* Nothing was stored by the failed calls. */
	TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, p.public_key, T0, NULL),
			WGJIT_CACHE_FETCH, "not stored");
	memset(&ep, 0, sizeof(ep));
	TEST_ASSERT_EQUAL(wgjit_cache_record_install(c, p.public_key, &ep, T0),
			-EINVAL, "install without family");
	TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, NULL, T0, NULL), -EINVAL, "key");
	TEST_ASSERT_EQUAL(wgjit_cache_lookup(NULL, p.public_key, T0, NULL),
			-EINVAL, "cache");
	TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, p.public_key, UINT64_MAX, NULL),
			-EINVAL, "time");
	TEST_ASSERT_EQUAL(wgjit_cache_store_peer(c, NULL, T0), -EINVAL, "peer");
	wgjit_cache_close(c);
	return TEST_SUCCESS;
}

static int
test_bad_params(void)
{
	struct wgjit_cache_params bad = params;
	char err[WGJIT_CACHE_ERR_SIZE] = "";

	bad.backoff_min_ms = 120000;
	errno = 0;
	TEST_ASSERT(wgjit_cache_open(cache_test_new_path(), &bad, err,
			sizeof(err)) == NULL, "open with min > max");
	TEST_ASSERT_EQUAL(errno, EINVAL, "errno");
	TEST_ASSERT(strstr(err, "backoff_min_ms") != NULL, "message: %s", err);
	bad = params;
	bad.busy_timeout_ms = 5000;
	TEST_ASSERT(wgjit_cache_open(cache_test_new_path(), &bad, err,
			sizeof(err)) == NULL, "open with a long busy timeout");
	TEST_ASSERT(strstr(err, "busy_timeout_ms") != NULL, "message: %s", err);
	TEST_ASSERT(wgjit_cache_open(":memory:", &params, err,
			sizeof(err)) == NULL, "in-memory path");
	TEST_ASSERT(wgjit_cache_open(NULL, &params, err, sizeof(err)) == NULL,
			"NULL path");
	TEST_ASSERT_EQUAL(errno, EINVAL, "errno");
	return TEST_SUCCESS;
}

static const struct wgjit_test_case cases[] = {
	TEST_CASE(test_positive_ttl),
	TEST_CASE(test_negative_ttl),
	TEST_CASE(test_refetch_window),
	TEST_CASE(test_backoff),
	TEST_CASE(test_expire),
	TEST_CASE(test_bad_input),
	TEST_CASE(test_bad_params),
	TEST_CASES_END(),
};

int
main(void)
{
	if (cache_test_init() != 0)
		return 1;
	return wgjit_test_run("cache_policy", cases);
}
