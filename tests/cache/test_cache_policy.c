/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * Cache policy on real SQLite files: TTLs and verdicts (hit, stale for a
 * returning key, negative, miss), retention, clock steps, bounded expiry
 * of answers and replay floors, transactions, and input checks.
 */

#include <errno.h>
#include <arpa/inet.h>

#include "wgjit_test.h"
#include "cache_test_util.h"

#define T0 UINT64_C(1700000000000)	/* an arbitrary wall-clock ms */

static const struct wgjit_cache_params params = {
	.positive_ttl_ms = 10000,
	.negative_ttl_ms = 3000,
	.retention_ms = 50000,
	.replay_retention_ms = 100000,
	.replay_max = 4,
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
	struct wgjit_cache_stats st;
	char a[WGJIT_ALLOWED_IP_STR_SIZE];
	int ret;

	TEST_ASSERT(c != NULL, "open");
	make_peer(&in, 1);
	ret = wgjit_cache_lookup(c, in.public_key, T0, &out);
	TEST_ASSERT_EQUAL(ret, WGJIT_CACHE_MISS, "unknown key");
	/* A lookup writes nothing: a key nobody answered has no row. */
	TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, in.public_key, T0, &out),
			WGJIT_CACHE_MISS, "still unknown");
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

	/* Expired: a returning key, and its old config is not served. */
	memset(&out, 0x5a, sizeof(out));
	ret = wgjit_cache_lookup(c, in.public_key, T0 + 5 + 10000, &out);
	TEST_ASSERT_EQUAL(ret, WGJIT_CACHE_STALE, "expired -> stale");
	TEST_ASSERT_EQUAL(out.public_key[0], 0x5a, "out untouched");
	/* Kept for the retention, then purged: a stranger again. */
	TEST_ASSERT_EQUAL(wgjit_cache_expire(c, T0 + 5 + 59999), 0, "kept");
	TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, in.public_key, T0 + 5 + 59999,
			NULL), WGJIT_CACHE_STALE, "stale within retention");
	TEST_ASSERT_EQUAL(wgjit_cache_expire(c, T0 + 5 + 60000), 1, "purged");
	TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, in.public_key, T0 + 5 + 60000,
			NULL), WGJIT_CACHE_MISS, "gone after retention");

	/* A minimal peer: no optional field, no allowed IP. */
	memset(&in, 0, sizeof(in));
	cache_test_key(in.public_key, 2);
	TEST_ASSERT_EQUAL(wgjit_cache_store_peer(c, &in, T0), 0, "store bare");
	ret = wgjit_cache_lookup(c, in.public_key, T0 + 1, &out);
	TEST_ASSERT_EQUAL(ret, WGJIT_CACHE_HIT, "bare hit");
	TEST_ASSERT_EQUAL(out.flags, 0, "bare flags");
	TEST_ASSERT_EQUAL(out.nb_allowed_ips, 0, "bare allowed IPs");
	TEST_ASSERT(wgjit_key_is_zero(out.preshared_key), "no psk");
	wgjit_cache_stats(c, &st);
	TEST_ASSERT_EQUAL(st.hits, 2, "hits");
	TEST_ASSERT_EQUAL(st.stale, 2, "stale");
	TEST_ASSERT_EQUAL(st.misses, 3, "misses");
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
			WGJIT_CACHE_MISS, "first");
	TEST_ASSERT_EQUAL(wgjit_cache_store_negative(c, key, T0 + 10), 0, "404");
	for (uint64_t t = T0 + 10; t < T0 + 10 + 3000; t += 250)
		TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, key, t, NULL),
				WGJIT_CACHE_NEGATIVE, "known unknown at +%llu",
				(unsigned long long)(t - T0));
	TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, key, T0 + 10 + 2999, NULL),
			WGJIT_CACHE_NEGATIVE, "last ms");
	/* An expired 404 is no better than nothing: never "returning". */
	TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, key, T0 + 10 + 3000, NULL),
			WGJIT_CACHE_MISS, "negative TTL over");
	wgjit_cache_stats(c, &st);
	TEST_ASSERT_EQUAL(st.negative_hits, 13, "negative hits");
	TEST_ASSERT_EQUAL(st.misses, 2, "misses");

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

/* The wall clock steps: a row "from the future" never counts as fresh. */
static int
test_clock_step(void)
{
	struct wgjit_cache *c = open_fresh();
	uint8_t key[WGJIT_KEY_LEN];
	struct wgjit_peer p;

	TEST_ASSERT(c != NULL, "open");
	make_peer(&p, 8);
	TEST_ASSERT_EQUAL(wgjit_cache_store_peer(c, &p, T0), 0, "store");
	/* Back one hour: the config's TTL would now last an hour longer. */
	TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, p.public_key, T0 - 3600000,
			NULL), WGJIT_CACHE_STALE, "stored in the future");
	TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, p.public_key, T0 + 1, NULL),
			WGJIT_CACHE_HIT, "back in time order");
	cache_test_key(key, 9);
	TEST_ASSERT_EQUAL(wgjit_cache_store_negative(c, key, T0), 0, "404");
	TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, key, T0 - 1, NULL),
			WGJIT_CACHE_MISS, "a 404 from the future");
	/* Forward a year: everything is expired, nothing is lost early. */
	TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, p.public_key,
			T0 + UINT64_C(31536000000), NULL), WGJIT_CACHE_STALE,
			"a year on");
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
	/* One config: fresh until T0 + 10 s, kept until T0 + 60 s. */
	make_peer(&p, 20);
	TEST_ASSERT_EQUAL(wgjit_cache_store_peer(c, &p, T0), 0, "store");

	TEST_ASSERT_EQUAL(wgjit_cache_expire(c, T0 + 2999), 0, "nothing yet");
	/* The 404s are over at T0 + 3000; dropped in batches of two. */
	TEST_ASSERT_EQUAL(wgjit_cache_expire(c, T0 + 9999), 2, "batch 1");
	TEST_ASSERT_EQUAL(wgjit_cache_expire(c, T0 + 9999), 2, "batch 2");
	TEST_ASSERT_EQUAL(wgjit_cache_expire(c, T0 + 9999), 1, "batch 3");
	TEST_ASSERT_EQUAL(wgjit_cache_expire(c, T0 + 9999), 0, "done");
	TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, p.public_key, T0 + 9999, &p),
			WGJIT_CACHE_HIT, "fresh config kept");
	TEST_ASSERT_EQUAL(wgjit_cache_expire(c, T0 + 59999), 0, "retained");
	TEST_ASSERT_EQUAL(wgjit_cache_expire(c, T0 + 60000), 1, "the config");
	wgjit_peer_clear(&p);
	wgjit_cache_stats(c, &st);
	TEST_ASSERT_EQUAL(st.expired, 6, "expired counter");
	wgjit_cache_close(c);
	return TEST_SUCCESS;
}

/* Replay floors: kept through eviction and answers' expiry, pruned by
 * age, and bounded in number (oldest seen first). */
static int
test_floor_pruning(void)
{
	struct wgjit_cache *c = open_fresh();
	uint8_t key[WGJIT_KEY_LEN], ts[12] = { 0x40 }, got[12];
	struct wgjit_cache_stats st;

	TEST_ASSERT(c != NULL, "open");
	/* Keys 1..3 seen at T0, key 4 at T0 + 50 s. */
	for (uint8_t b = 1; b <= 4; b++) {
		cache_test_key(key, b);
		ts[11] = b;
		TEST_ASSERT_EQUAL(wgjit_cache_floor_raise(c, key, ts,
				b == 4 ? T0 + 50000 : T0), 0, "floor %u", b);
	}
	/* Key 1 seen again later: its age restarts, its floor stays. */
	cache_test_key(key, 1);
	ts[11] = 0;
	TEST_ASSERT_EQUAL(wgjit_cache_floor_raise(c, key, ts, T0 + 60000), 0,
			"older timestamp, newer sighting");
	TEST_ASSERT_EQUAL(wgjit_cache_floor_get(c, key, got), 1, "floor 1");
	TEST_ASSERT_EQUAL(got[11], 1, "never lowered");
	TEST_ASSERT_EQUAL(wgjit_cache_expire(c, T0 + 99999), 0, "all young");
	/* At T0 + 100 s keys 2 and 3 are 100 s old: gone, in one batch. */
	TEST_ASSERT_EQUAL(wgjit_cache_expire(c, T0 + 100000), 2, "aged out");
	cache_test_key(key, 2);
	TEST_ASSERT_EQUAL(wgjit_cache_floor_get(c, key, got), 0, "2 gone");
	cache_test_key(key, 1);
	TEST_ASSERT_EQUAL(wgjit_cache_floor_get(c, key, got), 1, "1 kept");
	/* Over replay_max (4): the ones seen longest ago go first. */
	for (uint8_t b = 10; b < 15; b++) {
		cache_test_key(key, b);
		TEST_ASSERT_EQUAL(wgjit_cache_floor_raise(c, key, ts,
				T0 + 100000 + b), 0, "floor %u", b);
	}
	/* 7 floors, max 4: 3 over, batch 2. */
	TEST_ASSERT_EQUAL(wgjit_cache_expire(c, T0 + 100100), 2, "trim 1");
	TEST_ASSERT_EQUAL(wgjit_cache_expire(c, T0 + 100100), 1, "trim 2");
	TEST_ASSERT_EQUAL(wgjit_cache_expire(c, T0 + 100100), 0, "at max");
	cache_test_key(key, 4);
	TEST_ASSERT_EQUAL(wgjit_cache_floor_get(c, key, got), 0, "4 oldest");
	cache_test_key(key, 14);
	TEST_ASSERT_EQUAL(wgjit_cache_floor_get(c, key, got), 1, "14 newest");
	wgjit_cache_stats(c, &st);
	TEST_ASSERT_EQUAL(st.floors_pruned, 5, "pruned counter");
	wgjit_cache_close(c);
	return TEST_SUCCESS;
}

/* A pass's writes in one transaction; nesting counts; a rollback on a
 * failed commit leaves the next pass outside it. */
static int
test_transactions(void)
{
	struct wgjit_cache *c = open_fresh();
	uint8_t key[WGJIT_KEY_LEN];

	TEST_ASSERT(c != NULL, "open");
	TEST_ASSERT_EQUAL(wgjit_cache_commit(c), -EINVAL, "commit unopened");
	TEST_ASSERT_EQUAL(wgjit_cache_begin(c), 0, "begin");
	TEST_ASSERT_EQUAL(wgjit_cache_begin(c), 0, "nested");
	for (uint8_t b = 1; b <= 100; b++) {
		cache_test_key(key, b);
		TEST_ASSERT_EQUAL(wgjit_cache_store_negative(c, key, T0), 0, "neg");
	}
	TEST_ASSERT_EQUAL(wgjit_cache_commit(c), 0, "inner");
	TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, key, T0, NULL),
			WGJIT_CACHE_NEGATIVE, "visible to its own connection");
	TEST_ASSERT_EQUAL(wgjit_cache_commit(c), 0, "outer");
	TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, key, T0, NULL),
			WGJIT_CACHE_NEGATIVE, "committed");
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
			WGJIT_CACHE_MISS, "not stored");
	memset(&ep, 0, sizeof(ep));
	TEST_ASSERT_EQUAL(wgjit_cache_record(c, p.public_key, &ep, T0,
			WGJIT_CACHE_INSTALLED), -EINVAL, "install without family");
	TEST_ASSERT_EQUAL(wgjit_cache_record(c, p.public_key, NULL, T0, 7),
			-EINVAL, "bad state");
	TEST_ASSERT_EQUAL(wgjit_cache_floor_raise(c, p.public_key, NULL, T0),
			-EINVAL, "no timestamp");
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

	bad.retention_ms = UINT64_C(1) << 41;
	errno = 0;
	TEST_ASSERT(wgjit_cache_open(cache_test_new_path(), &bad, err,
			sizeof(err)) == NULL, "open with a huge retention");
	TEST_ASSERT_EQUAL(errno, EINVAL, "errno");
	TEST_ASSERT(strstr(err, "retention_ms") != NULL, "message: %s", err);
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
	TEST_CASE(test_clock_step),
	TEST_CASE(test_expire),
	TEST_CASE(test_floor_pruning),
	TEST_CASE(test_transactions),
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
