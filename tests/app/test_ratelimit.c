/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/* Per-source token bucket and the source table under it (no EAL). */

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wgjit_ratelimit.h"
#include "wgjit_srctab.h"
#include "wgjit_test.h"

#define HZ 1000	/* ticks per second in these tests */

/* "a.b.c.d:port" or "[v6]:port", parsed by the one endpoint parser. */
static union wgjit_endpoint
ep(const char *text)
{
	union wgjit_endpoint e;

	memset(&e, 0, sizeof(e));
	if (wgjit_endpoint_parse(&e, text) != 0)
		abort();
	return e;
}

/* How many of @p n attempts at time @p now pass. */
static unsigned int
allowed(struct wgjit_ratelimit *rl, const union wgjit_endpoint *ep,
		unsigned int n, uint64_t now)
{
	unsigned int ok = 0;

	for (unsigned int i = 0; i < n; i++)
		ok += wgjit_ratelimit_allow(rl, ep, now) ==
			WGJIT_RATELIMIT_ALLOW;
	return ok;
}

static int
test_burst_then_rate(void)
{
	struct wgjit_ratelimit *rl = wgjit_ratelimit_create(64, 20, 5, HZ,
		WGJIT_RATELIMIT_FAIL_CLOSED);
	union wgjit_endpoint a = ep("192.0.2.1:1000");
	uint64_t t = 5000;

	TEST_ASSERT(rl != NULL, "create");
	TEST_ASSERT_EQUAL(allowed(rl, &a, 10, t), 5, "burst of 5");
	/* 20/s = one token per 50 ticks. */
	TEST_ASSERT_EQUAL(allowed(rl, &a, 1, t + 49), 0, "too early");
	TEST_ASSERT_EQUAL(allowed(rl, &a, 3, t + 50), 1, "one token");
	/* After a long pause the bucket is full again, not fuller. */
	TEST_ASSERT_EQUAL(allowed(rl, &a, 10, t + 100000), 5, "refill");
	/* A steady 20/s passes entirely. */
	t += 200000;
	for (unsigned int i = 0; i < 100; i++)
		TEST_ASSERT_EQUAL(allowed(rl, &a, 1, t + i * 50), 1, "step %u",
			i);
	wgjit_ratelimit_free(rl);
	return TEST_SUCCESS;
}

static int
test_source_granularity(void)
{
	struct wgjit_ratelimit *rl = wgjit_ratelimit_create(64, 1, 2, HZ,
		WGJIT_RATELIMIT_FAIL_CLOSED);
	union wgjit_endpoint a1 = ep("192.0.2.1:1"), a2 = ep("192.0.2.1:2");
	union wgjit_endpoint b = ep("192.0.2.2:1");
	union wgjit_endpoint s1 = ep("[2001:db8:1:2::1]:1");
	union wgjit_endpoint s2 = ep("[2001:db8:1:2:ffff::9]:7");
	union wgjit_endpoint o = ep("[2001:db8:1:3::1]:1");
	union wgjit_endpoint bad;

	TEST_ASSERT(rl != NULL, "create");
	TEST_ASSERT_EQUAL(allowed(rl, &a1, 1, 10), 1, "a1");
	TEST_ASSERT_EQUAL(allowed(rl, &a2, 5, 10), 1, "port is ignored");
	TEST_ASSERT_EQUAL(allowed(rl, &b, 5, 10), 2, "other /32");
	TEST_ASSERT_EQUAL(allowed(rl, &s1, 1, 10), 1, "s1");
	TEST_ASSERT_EQUAL(allowed(rl, &s2, 5, 10), 1, "same /64 shares");
	TEST_ASSERT_EQUAL(allowed(rl, &o, 5, 10), 2, "other /64");
	memset(&bad, 0, sizeof(bad));
	bad.sa.sa_family = AF_UNIX;
	TEST_ASSERT_EQUAL(allowed(rl, &bad, 1, 10), 0, "not IP: refused");
	wgjit_ratelimit_free(rl);
	return TEST_SUCCESS;
}

/*
 * A full table fails closed: new sources are refused while the tracked
 * ones were seen within the last second, so that a flood of sources
 * cannot push a limited one out to reset its bucket; after a second the
 * old entries (full buckets again) are reused.
 */
static int
test_full_table(void)
{
	/* Four slots: one set. */
	struct wgjit_ratelimit *rl = wgjit_ratelimit_create(4, 1, 1, HZ,
		WGJIT_RATELIMIT_FAIL_CLOSED);
	union wgjit_endpoint e[5];
	enum wgjit_ratelimit_verdict v;
	char addr[32];

	TEST_ASSERT(rl != NULL, "create");
	for (unsigned int i = 0; i < 5; i++) {
		snprintf(addr, sizeof(addr), "203.0.113.%u:1", i + 1);
		e[i] = ep(addr);
	}
	for (unsigned int i = 0; i < 4; i++) {
		v = wgjit_ratelimit_allow(rl, &e[i], 100);
		TEST_ASSERT_EQUAL(v, WGJIT_RATELIMIT_ALLOW, "source %u", i);
	}
	v = wgjit_ratelimit_allow(rl, &e[0], 101);
	TEST_ASSERT_EQUAL(v, WGJIT_RATELIMIT_LIMITED, "source 0 limited");
	v = wgjit_ratelimit_allow(rl, &e[4], 500);
	TEST_ASSERT_EQUAL(v, WGJIT_RATELIMIT_FULL,
		"a fifth source inside the second");
	v = wgjit_ratelimit_allow(rl, &e[0], 600);
	TEST_ASSERT_EQUAL(v, WGJIT_RATELIMIT_LIMITED,
		"source 0 still tracked, still limited");
	/* Sources 1..3 were last seen at 100, source 0 at 600. */
	v = wgjit_ratelimit_allow(rl, &e[4], 100 + HZ + 1);
	TEST_ASSERT_EQUAL(v, WGJIT_RATELIMIT_ALLOW, "an idle entry is reused");
	v = wgjit_ratelimit_allow(rl, &e[0], 100 + HZ + 2);
	TEST_ASSERT_EQUAL(v, WGJIT_RATELIMIT_ALLOW,
		"source 0 kept its bucket: one token a second");
	v = wgjit_ratelimit_allow(rl, &e[0], 100 + HZ + 3);
	TEST_ASSERT_EQUAL(v, WGJIT_RATELIMIT_LIMITED, "and only one");
	wgjit_ratelimit_free(rl);
	return TEST_SUCCESS;
}

static int
test_create_errors(void)
{
	errno = 0;
	TEST_ASSERT(wgjit_ratelimit_create(64, 0, 5, HZ,
		WGJIT_RATELIMIT_FAIL_CLOSED) == NULL, "rate 0");
	TEST_ASSERT_EQUAL(errno, EINVAL, "errno");
	TEST_ASSERT(wgjit_ratelimit_create(64, 5, 0, HZ,
		WGJIT_RATELIMIT_FAIL_CLOSED) == NULL, "burst 0");
	TEST_ASSERT(wgjit_ratelimit_create(0, 5, 5, HZ,
		WGJIT_RATELIMIT_FAIL_CLOSED) == NULL, "no entries");
	TEST_ASSERT(wgjit_ratelimit_create(64, HZ + 1, 5, HZ,
		WGJIT_RATELIMIT_FAIL_CLOSED) == NULL,
		"rate above the clock");
	TEST_ASSERT(wgjit_srctab_create(0) == NULL, "srctab 0");
	wgjit_ratelimit_free(NULL);
	wgjit_srctab_free(NULL);
	return TEST_SUCCESS;
}

static int
test_srctab(void)
{
	/* Four slots: one set, so the fifth key replaces the oldest. */
	struct wgjit_srctab *t = wgjit_srctab_create(4);
	struct wgjit_srctab_key k[5];
	struct wgjit_srctab_slot *s;
	union wgjit_endpoint e;
	char addr[32];
	bool created;

	TEST_ASSERT(t != NULL, "create");
	for (unsigned int i = 0; i < 5; i++) {
		snprintf(addr, sizeof(addr), "198.51.100.%u:51820", i + 1);
		e = ep(addr);
		TEST_ASSERT_EQUAL(wgjit_srctab_key_from(&k[i], &e, true, 16),
			0, "key %u", i);
	}
	for (unsigned int i = 0; i < 4; i++) {
		s = wgjit_srctab_insert(t, &k[i], &created);
		TEST_ASSERT(created, "new %u", i);
		s->stamp = 10 + i;
		s->value = 100 + i;
	}
	TEST_ASSERT_EQUAL(wgjit_srctab_count(t), 4, "count");
	s = wgjit_srctab_insert(t, &k[2], &created);
	TEST_ASSERT(!created && s->value == 102, "existing kept");
	wgjit_srctab_lookup(t, &k[0])->stamp = 50;	/* k[1] is now oldest */
	s = wgjit_srctab_insert(t, &k[4], &created);
	TEST_ASSERT(created && s->value == 0, "replaced");
	TEST_ASSERT(wgjit_srctab_lookup(t, &k[1]) == NULL, "oldest went");
	TEST_ASSERT(wgjit_srctab_lookup(t, &k[0]) != NULL, "k0 stays");
	TEST_ASSERT_EQUAL(wgjit_srctab_count(t), 4, "still full");
	TEST_ASSERT_EQUAL(wgjit_srctab_remove(t, &k[4]), 0, "remove");
	TEST_ASSERT_EQUAL(wgjit_srctab_remove(t, &k[4]), -ENOENT, "again");
	TEST_ASSERT(wgjit_srctab_lookup(t, &k[4]) == NULL, "gone");
	TEST_ASSERT_EQUAL(wgjit_srctab_count(t), 3, "count after remove");
	/* Same address, other port: a different endpoint. */
	e = ep("198.51.100.1:51821");
	TEST_ASSERT_EQUAL(wgjit_srctab_key_from(&k[4], &e, true, 16), 0, "k");
	TEST_ASSERT(wgjit_srctab_lookup(t, &k[4]) == NULL, "port counts");
	memset(&e, 0, sizeof(e));
	TEST_ASSERT_EQUAL(wgjit_srctab_key_from(&k[4], &e, true, 16),
		-EAFNOSUPPORT, "family 0");
	wgjit_srctab_free(t);
	return TEST_SUCCESS;
}

static const struct wgjit_test_case cases[] = {
	TEST_CASE(test_burst_then_rate),
	TEST_CASE(test_source_granularity),
	TEST_CASE(test_full_table),
	TEST_CASE(test_create_errors),
	TEST_CASE(test_srctab),
	TEST_CASES_END(),
};

int
main(void)
{
	return wgjit_test_run("ratelimit", cases);
}
