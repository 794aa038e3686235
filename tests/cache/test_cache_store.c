/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * The cache file on disk: mode 0600, replay timestamps and install records
 * across close and reopen, corrupt files, schema versions, and a second
 * connection holding the write lock. The replay store is also checked
 * behind the worker's wgjit_replay_check().
 */

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "wgjit_replay.h"
#include "wgjit_test.h"
#include "cache_test_util.h"

#define T0 UINT64_C(1700000000000)

static struct wgjit_cache *
open_path(const char *path)
{
	char err[WGJIT_CACHE_ERR_SIZE] = "";
	struct wgjit_cache *c;

	c = wgjit_cache_open(path, NULL, err, sizeof(err));
	if (c == NULL)
		printf("  open: %s\n", err);
	return c;
}

/* Run SQL on a second, plain SQLite connection. 0 or the SQLite code. */
static int
side_sql(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	int rc;

	rc = sqlite3_open(path, &db);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

static int
test_file_mode(void)
{
	char path[160], wal[176];
	struct wgjit_cache *c;
	uint8_t key[WGJIT_KEY_LEN];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s", cache_test_new_path());
	c = open_path(path);
	TEST_ASSERT(c != NULL, "open");
	cache_test_key(key, 1);
	TEST_ASSERT_EQUAL(wgjit_cache_store_negative(c, key, T0), 0, "write");
	TEST_ASSERT(stat(path, &st) == 0, "stat db");
	TEST_ASSERT_EQUAL(st.st_mode & 0777, 0600, "db mode");
	snprintf(wal, sizeof(wal), "%s-wal", path);
	TEST_ASSERT(stat(wal, &st) == 0, "WAL mode: a -wal file exists");
	TEST_ASSERT_EQUAL(st.st_mode & 0777, 0600, "wal mode");
	wgjit_cache_close(c);

	/* An existing empty file readable by others is tightened. */
	snprintf(path, sizeof(path), "%s", cache_test_new_path());
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	TEST_ASSERT(fd >= 0, "create");
	fchmod(fd, 0644);
	close(fd);
	c = open_path(path);
	TEST_ASSERT(c != NULL, "open existing empty file");
	TEST_ASSERT(stat(path, &st) == 0, "stat");
	TEST_ASSERT_EQUAL(st.st_mode & 0777, 0600, "tightened");
	wgjit_cache_close(c);
	return TEST_SUCCESS;
}

static int
test_replay_persist(void)
{
	/* ts_b > ts_a as big-endian bytes, though its byte sum is smaller. */
	static const uint8_t ts_a[12] = { 0x40, 0, 0, 0, 0x65, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t ts_b[12] = { 0x40, 0, 0, 0, 0x66 };
	char path[160];
	uint8_t key[WGJIT_KEY_LEN], other[WGJIT_KEY_LEN], last[12];
	struct wgjit_cache *c;

	snprintf(path, sizeof(path), "%s", cache_test_new_path());
	c = open_path(path);
	TEST_ASSERT(c != NULL, "open");
	cache_test_key(key, 3);
	cache_test_key(other, 4);
	TEST_ASSERT_EQUAL(wgjit_cache_replay_lookup(c, key, last), 0, "unknown");
	TEST_ASSERT_EQUAL(wgjit_cache_replay_commit(c, key, ts_a), 0, "commit a");
	TEST_ASSERT_EQUAL(wgjit_cache_replay_lookup(c, key, last), 1, "known");
	TEST_ASSERT_MEM_EQUAL(last, ts_a, 12, "a stored");
	TEST_ASSERT_EQUAL(wgjit_cache_replay_commit(c, key, ts_b), 0, "commit b");
	TEST_ASSERT_EQUAL(wgjit_cache_replay_lookup(c, key, last), 1, "known");
	TEST_ASSERT_MEM_EQUAL(last, ts_b, 12, "b replaced a");
	/* Never backwards. */
	TEST_ASSERT_EQUAL(wgjit_cache_replay_commit(c, key, ts_a), 0, "a again");
	TEST_ASSERT_EQUAL(wgjit_cache_replay_lookup(c, key, last), 1, "known");
	TEST_ASSERT_MEM_EQUAL(last, ts_b, 12, "still b");
	TEST_ASSERT_EQUAL(wgjit_cache_replay_lookup(c, other, last), 0, "other");
	wgjit_cache_close(c);

	c = open_path(path);
	TEST_ASSERT(c != NULL, "reopen");
	memset(last, 0, sizeof(last));
	TEST_ASSERT_EQUAL(wgjit_cache_replay_lookup(c, key, last), 1, "kept");
	TEST_ASSERT_MEM_EQUAL(last, ts_b, 12, "b survived the restart");
	TEST_ASSERT_EQUAL(wgjit_cache_replay_lookup(c, other, last), 0, "other");
	TEST_ASSERT_EQUAL(wgjit_cache_replay_lookup(c, key, NULL), -EINVAL,
			"NULL out");
	wgjit_cache_close(c);
	return TEST_SUCCESS;
}

/* The cache behind the worker's real replay check, across a restart. */
static int
test_replay_noise_store(void)
{
	static const uint8_t t1[12] = { 0x40, 0, 0, 0, 0x65, 0, 0, 1 };
	static const uint8_t t2[12] = { 0x40, 0, 0, 0, 0x65, 0, 0, 2 };
	struct wgjit_replay_store store = {
		.lookup = wgjit_cache_replay_lookup,
		.commit = wgjit_cache_replay_commit,
	};
	uint8_t key[WGJIT_KEY_LEN];
	char path[160];

	snprintf(path, sizeof(path), "%s", cache_test_new_path());
	cache_test_key(key, 5);
	store.arg = open_path(path);
	TEST_ASSERT(store.arg != NULL, "open");
	TEST_ASSERT_EQUAL(wgjit_replay_check(&store, key, t1),
			WGJIT_REPLAY_FRESH, "first initiation");
	TEST_ASSERT_EQUAL(wgjit_replay_check(&store, key, t1),
			WGJIT_REPLAY_SEEN, "the same one again");
	wgjit_cache_close(store.arg);

	store.arg = open_path(path);
	TEST_ASSERT(store.arg != NULL, "reopen");
	TEST_ASSERT_EQUAL(wgjit_replay_check(&store, key, t1),
			WGJIT_REPLAY_SEEN, "replayed after the restart");
	TEST_ASSERT_EQUAL(wgjit_replay_check(&store, key, t2),
			WGJIT_REPLAY_FRESH, "a newer one");
	TEST_ASSERT_EQUAL(wgjit_replay_check(&store, key, t1),
			WGJIT_REPLAY_SEEN, "older than the newest");
	wgjit_cache_close(store.arg);
	return TEST_SUCCESS;
}

struct walk {
	int n;
	uint8_t first[3];
	uint64_t ms[3];
	int nb_ep;
	struct wgjit_cache *evict_from;
};

static int
walk_cb(void *arg, const uint8_t key[WGJIT_KEY_LEN],
		const union wgjit_endpoint *ep, uint64_t installed_ms)
{
	struct walk *w = arg;

	if (w->n < 3) {
		w->first[w->n] = key[0];
		w->ms[w->n] = installed_ms;
	}
	w->n++;
	w->nb_ep += ep != NULL;
	if (ep != NULL && key[0] == 2 && (ep->sa.sa_family != AF_INET6 ||
			ntohs(ep->in6.sin6_port) != 443))
		return -100;
	/* Evict the oldest while walking. */
	if (w->evict_from != NULL && key[0] == 1 &&
			wgjit_cache_record_remove(w->evict_from, key) != 1)
		return -101;
	return 0;
}

static int
test_installed_persist(void)
{
	char path[160];
	union wgjit_endpoint e4, e6;
	uint8_t k1[WGJIT_KEY_LEN], k2[WGJIT_KEY_LEN], k3[WGJIT_KEY_LEN];
	struct wgjit_cache *c;
	struct walk w;

	snprintf(path, sizeof(path), "%s", cache_test_new_path());
	c = open_path(path);
	TEST_ASSERT(c != NULL, "open");
	cache_test_key(k1, 1);
	cache_test_key(k2, 2);
	cache_test_key(k3, 3);
	TEST_ASSERT_EQUAL(wgjit_endpoint_parse(&e4, "10.0.0.3:51820"), 0, "ep4");
	TEST_ASSERT_EQUAL(wgjit_endpoint_parse(&e6, "[fd00::3]:443"), 0, "ep6");
	TEST_ASSERT_EQUAL(wgjit_cache_record_install(c, k3, NULL, T0 + 30), 0,
			"k3 without endpoint");
	TEST_ASSERT_EQUAL(wgjit_cache_record_install(c, k2, &e4, T0 + 20), 0,
			"k2");
	TEST_ASSERT_EQUAL(wgjit_cache_record_install(c, k1, &e4, T0 + 10), 0,
			"k1");
	/* A second install of k2 replaces the first. */
	TEST_ASSERT_EQUAL(wgjit_cache_record_install(c, k2, &e6, T0 + 20), 0,
			"k2 again");
	TEST_ASSERT_EQUAL(wgjit_cache_is_installed(c, k2), 1, "k2 installed");
	wgjit_cache_close(c);

	c = open_path(path);
	TEST_ASSERT(c != NULL, "reopen");
	memset(&w, 0, sizeof(w));
	w.evict_from = c;
	TEST_ASSERT_EQUAL(wgjit_cache_installed_foreach(c, walk_cb, &w), 3,
			"three records");
	TEST_ASSERT_EQUAL(w.first[0], 1, "oldest first");
	TEST_ASSERT_EQUAL(w.first[1], 2, "then k2");
	TEST_ASSERT_EQUAL(w.first[2], 3, "then k3");
	TEST_ASSERT_EQUAL(w.ms[0], T0 + 10, "installed_ms");
	TEST_ASSERT_EQUAL(w.nb_ep, 2, "one record without endpoint");
	TEST_ASSERT_EQUAL(wgjit_cache_is_installed(c, k1), 0, "evicted");
	TEST_ASSERT_EQUAL(wgjit_cache_record_remove(c, k1), 0, "already gone");
	wgjit_cache_close(c);

	c = open_path(path);
	TEST_ASSERT(c != NULL, "reopen");
	memset(&w, 0, sizeof(w));
	TEST_ASSERT_EQUAL(wgjit_cache_installed_foreach(c, walk_cb, &w), 2,
			"eviction survived the restart");
	TEST_ASSERT_EQUAL(w.first[0], 2, "k2 first");
	/* A non-zero callback value stops the walk and comes back. */
	TEST_ASSERT_EQUAL(wgjit_cache_record_install(c, k2, &e4, T0 + 20), 0,
			"k2 with a v4 endpoint");
	memset(&w, 0, sizeof(w));
	TEST_ASSERT_EQUAL(wgjit_cache_installed_foreach(c, walk_cb, &w), -100,
			"stopped");
	TEST_ASSERT_EQUAL(w.n, 1, "after one record");
	wgjit_cache_close(c);
	return TEST_SUCCESS;
}

static int
expect_open_error(const char *path, int err_no, const char *needle)
{
	char err[WGJIT_CACHE_ERR_SIZE] = "";
	struct wgjit_cache *c;

	errno = 0;
	c = wgjit_cache_open(path, NULL, err, sizeof(err));
	if (c != NULL) {
		wgjit_cache_close(c);
		TEST_ASSERT(0, "open of %s succeeded", path);
	}
	printf("  (expected) %s\n", err);
	TEST_ASSERT_EQUAL(errno, err_no, "errno");
	TEST_ASSERT(strstr(err, needle) != NULL, "message has '%s': %s",
			needle, err);
	return TEST_SUCCESS;
}

static int
write_at(const char *path, off_t off, const char *junk, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT, 0600);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = pwrite(fd, junk, len, off);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

static int
test_corrupt(void)
{
	char path[160], junk[4096];
	uint8_t key[WGJIT_KEY_LEN];
	struct wgjit_cache *c;

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 37 + 11);
	/* Junk from the first byte. */
	snprintf(path, sizeof(path), "%s", cache_test_new_path());
	TEST_ASSERT_EQUAL(write_at(path, 0, junk, sizeof(junk)), 0, "junk");
	TEST_ASSERT_EQUAL(expect_open_error(path, EIO, "not a database"),
			TEST_SUCCESS, "junk file");

	/* A valid header, then a table page overwritten. */
	snprintf(path, sizeof(path), "%s", cache_test_new_path());
	c = open_path(path);
	TEST_ASSERT(c != NULL, "open");
	for (int i = 0; i < 200; i++) {
		cache_test_key(key, (uint8_t)i);
		TEST_ASSERT_EQUAL(wgjit_cache_store_negative(c, key, T0), 0, "row");
	}
	wgjit_cache_close(c);
	TEST_ASSERT_EQUAL(write_at(path, 4096, junk, sizeof(junk)), 0, "junk");
	TEST_ASSERT_EQUAL(expect_open_error(path, EIO, "corrupt"),
			TEST_SUCCESS, "corrupt page");
	return TEST_SUCCESS;
}

static int
test_schema_version(void)
{
	char path[160];
	struct wgjit_cache *c;

	snprintf(path, sizeof(path), "%s", cache_test_new_path());
	c = open_path(path);
	TEST_ASSERT(c != NULL, "create");
	wgjit_cache_close(c);
	TEST_ASSERT_EQUAL(side_sql(path, "PRAGMA user_version = 2"), SQLITE_OK,
			"bump");
	TEST_ASSERT_EQUAL(expect_open_error(path, EINVAL, "version 2"),
			TEST_SUCCESS, "newer schema");

	/* Some other application's database. */
	snprintf(path, sizeof(path), "%s", cache_test_new_path());
	TEST_ASSERT_EQUAL(side_sql(path, "CREATE TABLE t(x)"), SQLITE_OK, "db");
	TEST_ASSERT_EQUAL(expect_open_error(path, EINVAL, "not a wgjit cache"),
			TEST_SUCCESS, "foreign database");

	/* Version 1 without our tables. */
	snprintf(path, sizeof(path), "%s", cache_test_new_path());
	TEST_ASSERT_EQUAL(side_sql(path, "CREATE TABLE t(x);"
			"PRAGMA user_version = 1"), SQLITE_OK, "db");
	TEST_ASSERT_EQUAL(expect_open_error(path, EINVAL, "schema does not"),
			TEST_SUCCESS, "tables missing");
	return TEST_SUCCESS;
}

static double
elapsed_ms(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a->tv_sec) * 1e3 + (b.tv_nsec - a->tv_nsec) / 1e6;
}

static int
test_locked(void)
{
	char path[160];
	struct wgjit_cache *c;
	struct wgjit_cache_stats st;
	struct wgjit_peer p;
	uint8_t known[WGJIT_KEY_LEN], fresh[WGJIT_KEY_LEN], ts[12] = { 1 };
	struct timespec t;
	sqlite3 *side = NULL;
	int ret;

	snprintf(path, sizeof(path), "%s", cache_test_new_path());
	c = open_path(path);
	TEST_ASSERT(c != NULL, "open");
	memset(&p, 0, sizeof(p));
	cache_test_key(p.public_key, 1);
	memcpy(known, p.public_key, WGJIT_KEY_LEN);
	cache_test_key(fresh, 2);
	TEST_ASSERT_EQUAL(wgjit_cache_store_peer(c, &p, T0), 0, "store");

	/* Another connection takes the write lock and keeps it. */
	TEST_ASSERT_EQUAL(sqlite3_open(path, &side), SQLITE_OK, "side open");
	TEST_ASSERT_EQUAL(sqlite3_exec(side, "BEGIN EXCLUSIVE;"
			"DELETE FROM replay", NULL, NULL, NULL), SQLITE_OK,
			"side lock");

	clock_gettime(CLOCK_MONOTONIC, &t);
	ret = wgjit_cache_lookup(c, fresh, T0, NULL);
	printf("  locked lookup returned %d after %.1f ms\n", ret,
			elapsed_ms(&t));
	TEST_ASSERT_EQUAL(ret, -EBUSY, "a grant needs the write lock");
	TEST_ASSERT(strstr(wgjit_cache_errmsg(c), "record fetch grant") != NULL,
			"message: %s", wgjit_cache_errmsg(c));
	TEST_ASSERT_EQUAL(wgjit_cache_replay_commit(c, fresh, ts), -EBUSY,
			"commit");
	TEST_ASSERT_EQUAL(wgjit_cache_store_negative(c, fresh, T0), -EBUSY,
			"store");
	/* WAL: reads go on while someone else writes. */
	TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, known, T0 + 1, NULL),
			WGJIT_CACHE_HIT, "hit while locked");
	/* A second cache cannot open (its schema check writes). */
	TEST_ASSERT_EQUAL(expect_open_error(path, EBUSY, "locked"),
			TEST_SUCCESS, "open while locked");
	wgjit_cache_stats(c, &st);
	TEST_ASSERT_EQUAL(st.db_errors, 3, "db errors counted");
	TEST_ASSERT_EQUAL(st.fetch_grants, 0, "no grant while locked");

	TEST_ASSERT_EQUAL(sqlite3_exec(side, "COMMIT", NULL, NULL, NULL),
			SQLITE_OK, "side unlock");
	sqlite3_close(side);
	TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, fresh, T0, NULL),
			WGJIT_CACHE_FETCH, "unlocked");
	TEST_ASSERT_EQUAL(wgjit_cache_replay_commit(c, fresh, ts), 0, "commit");
	wgjit_cache_close(c);
	return TEST_SUCCESS;
}

static const struct wgjit_test_case cases[] = {
	TEST_CASE(test_file_mode),
	TEST_CASE(test_replay_persist),
	TEST_CASE(test_replay_noise_store),
	TEST_CASE(test_installed_persist),
	TEST_CASE(test_corrupt),
	TEST_CASE(test_schema_version),
	TEST_CASE(test_locked),
	TEST_CASES_END(),
};

int
main(void)
{
	if (cache_test_init() != 0)
		return 1;
	return wgjit_test_run("cache_store", cases);
}
