/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * The keyed table against a brute-force model: random inserts, finds and
 * removals (which shift runs back), a full table, iteration that removes
 * as it goes.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wgjit_keytab.h"
#include "wgjit_test.h"

#define N 1000

struct model {
	uint8_t key[WGJIT_KEY_LEN];
	uint32_t value;
	bool in;
};

static struct model m[N];

static int
test_against_model(void)
{
	struct wgjit_keytab *t = wgjit_keytab_create(N, sizeof(uint32_t));
	unsigned int count = 0;
	bool created;

	TEST_ASSERT(t != NULL, "create");
	for (unsigned int i = 0; i < N; i++) {
		randombytes_buf(m[i].key, WGJIT_KEY_LEN);
		m[i].in = false;
	}
	for (unsigned int round = 0; round < 20000; round++) {
		unsigned int i = randombytes_uniform(N);
		uint32_t *v;

		if (randombytes_uniform(3) != 0) {
			v = wgjit_keytab_insert(t, m[i].key, &created);
			TEST_ASSERT(v != NULL, "insert %u", i);
			TEST_ASSERT_EQUAL(created, !m[i].in, "created %u", i);
			if (created) {
				TEST_ASSERT_EQUAL(*v, 0, "zeroed value");
				count++;
			}
			*v = m[i].value = round;
			m[i].in = true;
		} else {
			TEST_ASSERT_EQUAL(wgjit_keytab_remove(t, m[i].key),
				m[i].in ? 0 : -ENOENT, "remove %u", i);
			count -= m[i].in;
			m[i].in = false;
		}
		if (round % 997 == 0)
			for (unsigned int k = 0; k < N; k++) {
				v = wgjit_keytab_find(t, m[k].key);
				TEST_ASSERT_EQUAL(v != NULL, m[k].in, "find %u", k);
				if (v != NULL)
					TEST_ASSERT_EQUAL(*v, m[k].value,
						"value %u", k);
			}
	}
	TEST_ASSERT_EQUAL(wgjit_keytab_count(t), count, "count");
	wgjit_keytab_free(t);
	return TEST_SUCCESS;
}

static int
test_full_and_iterate(void)
{
	struct wgjit_keytab *t = wgjit_keytab_create(64, sizeof(uint32_t));
	unsigned int pos = 0, seen = 0, removed = 0;
	uint8_t key[WGJIT_KEY_LEN];
	const uint8_t *k;
	uint32_t *v;
	bool created;

	TEST_ASSERT(t != NULL, "create");
	for (unsigned int i = 0; i < 64; i++) {
		randombytes_buf(m[i].key, WGJIT_KEY_LEN);
		v = wgjit_keytab_insert(t, m[i].key, &created);
		TEST_ASSERT(v != NULL && created, "insert %u", i);
		*v = i;
	}
	randombytes_buf(key, sizeof(key));
	TEST_ASSERT(wgjit_keytab_insert(t, key, &created) == NULL, "full");
	TEST_ASSERT(wgjit_keytab_insert(t, m[3].key, &created) != NULL &&
		!created, "an existing key still found when full");
	/* Remove the odd values while iterating: every even one stays, and
	 * every entry is visited. */
	while ((v = wgjit_keytab_next(t, &pos, &k)) != NULL) {
		seen++;
		if (*v % 2) {
			wgjit_keytab_remove_current(t, &pos);
			removed++;
		}
	}
	TEST_ASSERT(seen >= 64, "visited %u", seen);
	TEST_ASSERT_EQUAL(removed, 32, "odd ones");
	TEST_ASSERT_EQUAL(wgjit_keytab_count(t), 32, "even ones left");
	for (unsigned int i = 0; i < 64; i++) {
		v = wgjit_keytab_find(t, m[i].key);
		TEST_ASSERT_EQUAL(v != NULL, i % 2 == 0, "key %u", i);
	}
	wgjit_keytab_free(t);
	errno = 0;
	TEST_ASSERT(wgjit_keytab_create(0, 4) == NULL && errno == EINVAL,
		"0 entries");
	return TEST_SUCCESS;
}

/* A bounded sweep: each call looks at no more slots than allowed, and a
 * sweep (until *pos wraps to 0) sees every entry once and every slot. */
static int
test_next_within(void)
{
	struct wgjit_keytab *t = wgjit_keytab_create(1000, sizeof(uint32_t));
	unsigned int pos = 0, seen, slots = 0, found = 0, calls = 0;
	uint8_t key[WGJIT_KEY_LEN];
	uint32_t *v;
	bool created;

	TEST_ASSERT(t != NULL, "create");
	for (unsigned int i = 0; i < 10; i++) {
		randombytes_buf(key, sizeof(key));
		v = wgjit_keytab_insert(t, key, &created);
		TEST_ASSERT(v != NULL, "insert %u", i);
		*v = 0;
	}
	do {
		v = wgjit_keytab_next_within(t, &pos, 7, &seen, NULL);
		TEST_ASSERT(seen <= 7, "looked at %u slots", seen);
		slots += seen;
		if (v != NULL) {
			TEST_ASSERT_EQUAL(*v, 0, "an entry seen twice");
			*v = 1;
			found++;
		}
		TEST_ASSERT(++calls < 10000, "no end");
	} while (pos != 0);
	TEST_ASSERT_EQUAL(found, 10, "entries seen in one sweep");
	TEST_ASSERT_EQUAL(slots, 2048, "slots looked at in one sweep");
	TEST_ASSERT(wgjit_keytab_next_within(t, &pos, 0, &seen, NULL) ==
		NULL && seen == 0, "a budget of 0 looks at nothing");
	wgjit_keytab_free(t);
	return TEST_SUCCESS;
}

int
main(void)
{
	static const struct wgjit_test_case cases[] = {
		TEST_CASE(test_against_model),
		TEST_CASE(test_full_and_iterate),
		TEST_CASE(test_next_within),
		TEST_CASES_END(),
	};

	if (sodium_init() < 0)
		return 1;
	return wgjit_test_run("keytab", cases);
}
