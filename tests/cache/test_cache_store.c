/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * The cache file on disk: mode 0600, replay floors and install records
 * (intents and installs) across close and reopen, malformed rows written
 * behind the cache's back, the upgrade of a version 1 file, corrupt files
 * and their salvage, schema versions, and a second connection holding the
 * write lock. The floors are also checked behind the real
 * wgjit_replay_check().
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

/* A peer with one allowed IP and nothing else. */
static void
make_peer_min(struct wgjit_peer *p, uint8_t b)
{
	memset(p, 0, sizeof(*p));
	cache_test_key(p->public_key, b);
	wgjit_allowed_ip_parse(&p->allowed_ips[0], "10.9.0.9/32");
	p->nb_allowed_ips = 1;
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
	TEST_ASSERT_EQUAL(wgjit_cache_floor_get(c, key, last), 0, "unknown");
	TEST_ASSERT_EQUAL(wgjit_cache_floor_raise(c, key, ts_a, T0), 0, "commit a");
	TEST_ASSERT_EQUAL(wgjit_cache_floor_get(c, key, last), 1, "known");
	TEST_ASSERT_MEM_EQUAL(last, ts_a, 12, "a stored");
	TEST_ASSERT_EQUAL(wgjit_cache_floor_raise(c, key, ts_b, T0), 0, "commit b");
	TEST_ASSERT_EQUAL(wgjit_cache_floor_get(c, key, last), 1, "known");
	TEST_ASSERT_MEM_EQUAL(last, ts_b, 12, "b replaced a");
	/* Never backwards. */
	TEST_ASSERT_EQUAL(wgjit_cache_floor_raise(c, key, ts_a, T0), 0, "a again");
	TEST_ASSERT_EQUAL(wgjit_cache_floor_get(c, key, last), 1, "known");
	TEST_ASSERT_MEM_EQUAL(last, ts_b, 12, "still b");
	TEST_ASSERT_EQUAL(wgjit_cache_floor_get(c, other, last), 0, "other");
	wgjit_cache_close(c);

	c = open_path(path);
	TEST_ASSERT(c != NULL, "reopen");
	memset(last, 0, sizeof(last));
	TEST_ASSERT_EQUAL(wgjit_cache_floor_get(c, key, last), 1, "kept");
	TEST_ASSERT_MEM_EQUAL(last, ts_b, 12, "b survived the restart");
	TEST_ASSERT_EQUAL(wgjit_cache_floor_get(c, other, last), 0, "other");
	TEST_ASSERT_EQUAL(wgjit_cache_floor_get(c, key, NULL), -EINVAL,
			"NULL out");
	wgjit_cache_close(c);
	return TEST_SUCCESS;
}

static int
store_lookup(void *arg, const uint8_t key[WGJIT_KEY_LEN], uint8_t last[12])
{
	return wgjit_cache_floor_get(arg, key, last);
}

static int
store_commit(void *arg, const uint8_t key[WGJIT_KEY_LEN],
		const uint8_t ts[12])
{
	return wgjit_cache_floor_raise(arg, key, ts, T0);
}

/* The cache behind the real replay check, across a restart. */
static int
test_replay_noise_store(void)
{
	static const uint8_t t1[12] = { 0x40, 0, 0, 0, 0x65, 0, 0, 1 };
	static const uint8_t t2[12] = { 0x40, 0, 0, 0, 0x65, 0, 0, 2 };
	struct wgjit_replay_store store = {
		.lookup = store_lookup,
		.commit = store_commit,
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
	int nb_intent;
	struct wgjit_cache *evict_from;
};

static int
walk_cb(void *arg, const uint8_t key[WGJIT_KEY_LEN],
		const union wgjit_endpoint *ep, uint64_t installed_ms,
		enum wgjit_cache_install_state state)
{
	struct walk *w = arg;

	w->nb_intent += state == WGJIT_CACHE_INTENT;
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
	TEST_ASSERT_EQUAL(wgjit_cache_record(c, k3, NULL, T0 + 30,
			WGJIT_CACHE_INTENT), 0, "k3 intent, without endpoint");
	TEST_ASSERT_EQUAL(wgjit_cache_record(c, k2, &e4, T0 + 20,
			WGJIT_CACHE_INTENT), 0, "k2 intent");
	TEST_ASSERT_EQUAL(wgjit_cache_record(c, k1, &e4, T0 + 10,
			WGJIT_CACHE_INSTALLED), 0, "k1");
	/* The install of k2 replaces its intent. */
	TEST_ASSERT_EQUAL(wgjit_cache_record(c, k2, &e6, T0 + 20,
			WGJIT_CACHE_INSTALLED), 0, "k2 installed");
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
	TEST_ASSERT_EQUAL(w.nb_intent, 1, "k3 is still an intent");
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
	TEST_ASSERT_EQUAL(wgjit_cache_record(c, k2, &e4, T0 + 20,
			WGJIT_CACHE_INSTALLED), 0, "k2 with a v4 endpoint");
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
	TEST_ASSERT_EQUAL(expect_open_error(path, EIO, "wgjit-cache salvage"),
			TEST_SUCCESS, "the way back is named");
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
	TEST_ASSERT_EQUAL(side_sql(path, "PRAGMA user_version = 3"), SQLITE_OK,
			"bump");
	TEST_ASSERT_EQUAL(expect_open_error(path, EINVAL, "version 3"),
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
	TEST_ASSERT_EQUAL(expect_open_error(path, EIO, "upgrade schema 1"),
			TEST_SUCCESS, "tables missing");
	return TEST_SUCCESS;
}

/* Rows no wgjit wrote: a hand edit, another tool, or a bad disk. None
 * crashes a lookup or the start-up walk; each is skipped and counted. */
static int
test_malformed_rows(void)
{
	char path[160], sql[1024];
	struct wgjit_cache *c;
	struct wgjit_cache_stats st;
	uint8_t key[WGJIT_KEY_LEN], got[12];
	struct walk w;

	snprintf(path, sizeof(path), "%s", cache_test_new_path());
	c = open_path(path);
	TEST_ASSERT(c != NULL, "create");
	wgjit_cache_close(c);
	snprintf(sql, sizeof(sql), "PRAGMA ignore_check_constraints = ON;"
		/* installs: a NULL endpoint, a junk endpoint, a short key,
		 * an unknown state */
		"INSERT INTO installed VALUES(zeroblob(32), NULL, 1, 1);"
		"INSERT INTO installed VALUES(x'%s', x'0200', 2, 1);"
		"INSERT INTO installed VALUES(x'0102', NULL, 3, 1);"
		"INSERT INTO installed VALUES(x'%s', NULL, 5, 9);"
		/* answers: a psk of 3 bytes, junk allowed IPs */
		"INSERT INTO peer VALUES(x'%s', 1, 0, 9e15, 9e15, 1, x'010203',"
		" 0, NULL, '');"
		"INSERT INTO peer VALUES(x'%s', 1, 0, 9e15, 9e15, 0, NULL, 0,"
		" NULL, 'not an address');"
		/* a floor of 5 bytes */
		"INSERT INTO replay VALUES(x'%s', x'0102030405', 0);",
		"11111111111111111111111111111111"
		"11111111111111111111111111111111",
		"22222222222222222222222222222222"
		"22222222222222222222222222222222",
		"33333333333333333333333333333333"
		"33333333333333333333333333333333",
		"44444444444444444444444444444444"
		"44444444444444444444444444444444",
		"55555555555555555555555555555555"
		"55555555555555555555555555555555");
	TEST_ASSERT_EQUAL(side_sql(path, sql), SQLITE_OK, "bad rows");
	c = open_path(path);
	TEST_ASSERT(c != NULL, "a file with bad rows opens");
	memset(&w, 0, sizeof(w));
	TEST_ASSERT_EQUAL(wgjit_cache_installed_foreach(c, walk_cb, &w), 3,
			"three usable install records");
	TEST_ASSERT_EQUAL(w.nb_ep, 0, "no usable endpoint among them");
	TEST_ASSERT_EQUAL(w.nb_intent, 1, "an unknown state is an intent");
	memset(&w, 0, sizeof(w));
	TEST_ASSERT_EQUAL(wgjit_cache_installed_foreach(c, walk_cb, &w), 3,
			"the unusable keys were dropped");
	memset(key, 0x33, sizeof(key));
	TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, key, T0, NULL),
			WGJIT_CACHE_HIT, "not read without an out peer");
	{
		struct wgjit_peer p;

		TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, key, T0, &p),
				WGJIT_CACHE_STALE, "short psk: fetch again");
		memset(key, 0x44, sizeof(key));
		TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, key, T0, &p),
				WGJIT_CACHE_STALE, "junk allowed IPs");
	}
	memset(key, 0x55, sizeof(key));
	TEST_ASSERT_EQUAL(wgjit_cache_floor_get(c, key, got), 0,
			"a short floor is none");
	wgjit_cache_stats(c, &st);
	TEST_ASSERT(st.bad_rows >= 6, "bad rows counted: %llu",
			(unsigned long long)st.bad_rows);
	TEST_ASSERT_EQUAL(st.db_errors, 0, "no database error");
	wgjit_cache_close(c);
	return TEST_SUCCESS;
}

/* A version 1 file (the schema wgjit wrote before) is upgraded in
 * place: answers, floors and install records are kept, pacing rows go. */
static int
test_upgrade_v1(void)
{
	static const char v1[] =
		"CREATE TABLE peer(key BLOB PRIMARY KEY NOT NULL CHECK("
		"length(key) = 32), kind INTEGER NOT NULL, expires_ms INTEGER"
		" NOT NULL, next_fetch_ms INTEGER NOT NULL, failures INTEGER"
		" NOT NULL, flags INTEGER NOT NULL DEFAULT 0, psk BLOB CHECK("
		"psk IS NULL OR length(psk) = 32), keepalive INTEGER NOT NULL"
		" DEFAULT 0, endpoint BLOB, allowed_ips TEXT NOT NULL DEFAULT"
		" '') STRICT;"
		"CREATE INDEX peer_expires ON peer(expires_ms);"
		"CREATE TABLE replay(key BLOB PRIMARY KEY NOT NULL CHECK("
		"length(key) = 32), ts BLOB NOT NULL CHECK(length(ts) = 12))"
		" STRICT;"
		"CREATE TABLE installed(key BLOB PRIMARY KEY NOT NULL CHECK("
		"length(key) = 32), endpoint BLOB, installed_ms INTEGER NOT"
		" NULL) STRICT;"
		"PRAGMA user_version = 1;"
		"INSERT INTO peer VALUES(zeroblob(32), 0, 0, 9e15, 3, 0, NULL,"
		" 0, NULL, '');"
		"INSERT INTO peer VALUES(x'0101010101010101010101010101010101"
		"010101010101010101010101010101', 1, 9e15, 0, 0, 0, NULL, 0,"
		" NULL, '10.1.0.1/32');"
		"INSERT INTO peer VALUES(x'0202020202020202020202020202020202"
		"020202020202020202020202020202', 2, 9e15, 0, 0, 0, NULL, 0,"
		" NULL, '');"
		"INSERT INTO replay VALUES(x'030303030303030303030303030303030"
		"3030303030303030303030303030303', x'400000000000000000000007');"
		"INSERT INTO installed VALUES(x'0101010101010101010101010101010"
		"101010101010101010101010101010101', NULL, 7);";
	char path[160];
	struct wgjit_cache *c;
	uint8_t key[WGJIT_KEY_LEN], got[12];
	struct wgjit_peer p;
	struct walk w;
	sqlite3 *db;
	sqlite3_stmt *s;

	snprintf(path, sizeof(path), "%s", cache_test_new_path());
	TEST_ASSERT_EQUAL(side_sql(path, v1), SQLITE_OK, "a version 1 file");
	c = open_path(path);
	TEST_ASSERT(c != NULL, "upgraded");
	cache_test_key(key, 0);
	TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, key, T0, NULL),
			WGJIT_CACHE_MISS, "the pacing row is gone");
	cache_test_key(key, 1);
	TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, key, T0, &p), WGJIT_CACHE_HIT,
			"the answer is kept");
	TEST_ASSERT_EQUAL(p.nb_allowed_ips, 1, "with its allowed IP");
	wgjit_peer_clear(&p);
	cache_test_key(key, 2);
	TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, key, T0, NULL),
			WGJIT_CACHE_NEGATIVE, "the 404 is kept");
	cache_test_key(key, 3);
	TEST_ASSERT_EQUAL(wgjit_cache_floor_get(c, key, got), 1, "the floor");
	TEST_ASSERT_EQUAL(got[11], 7, "its value");
	memset(&w, 0, sizeof(w));
	TEST_ASSERT_EQUAL(wgjit_cache_installed_foreach(c, walk_cb, &w), 1,
			"the install record");
	TEST_ASSERT_EQUAL(w.nb_intent, 0, "a complete install");
	wgjit_cache_close(c);
	TEST_ASSERT_EQUAL(sqlite3_open(path, &db), SQLITE_OK, "side open");
	TEST_ASSERT_EQUAL(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s,
			NULL), SQLITE_OK, "prepare");
	TEST_ASSERT_EQUAL(sqlite3_step(s), SQLITE_ROW, "version row");
	TEST_ASSERT_EQUAL(sqlite3_column_int(s, 0), 2, "now version 2");
	sqlite3_finalize(s);
	sqlite3_close(db);
	return TEST_SUCCESS;
}

/* The page number of the @p nth leaf page of the floors table. */
static int
replay_leaf(const char *path, int nth)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int page = -1;

	if (sqlite3_open(path, &db) == SQLITE_OK &&
			sqlite3_prepare_v2(db, "SELECT pageno FROM dbstat WHERE"
			" name = 'replay' AND pagetype = 'leaf' ORDER BY pageno"
			" LIMIT 1 OFFSET ?1", -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_int(s, 1, nth);
		if (sqlite3_step(s) == SQLITE_ROW)
			page = sqlite3_column_int(s, 0);
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	return page;
}

/* A corrupt file: salvage keeps every floor SQLite can still read and
 * the install records (as intents), never the answers. */
static int
test_salvage(void)
{
	char path[160], fresh[176], err[256] = "", junk[4096];
	uint8_t key[WGJIT_KEY_LEN], ts[12] = { 0x40 }, got[12];
	struct wgjit_cache *c;
	struct wgjit_peer p;
	struct walk w;
	int n, kept = 0, leaf;

	snprintf(path, sizeof(path), "%s", cache_test_new_path());
	c = open_path(path);
	TEST_ASSERT(c != NULL, "open");
	TEST_ASSERT_EQUAL(wgjit_cache_begin(c), 0, "begin");
	for (int i = 0; i < 2000; i++) {
		memset(key, 0, sizeof(key));
		key[0] = (uint8_t)(i >> 8);
		key[1] = (uint8_t)i;
		key[31] = 1;
		ts[10] = (uint8_t)(i >> 8);
		ts[11] = (uint8_t)i;
		TEST_ASSERT_EQUAL(wgjit_cache_floor_raise(c, key, ts, T0), 0,
				"floor");
	}
	cache_test_key(key, 0xee);
	TEST_ASSERT_EQUAL(wgjit_cache_record(c, key, NULL, T0,
			WGJIT_CACHE_INSTALLED), 0, "record");
	make_peer_min(&p, 0xee);
	TEST_ASSERT_EQUAL(wgjit_cache_store_peer(c, &p, T0), 0, "answer");
	TEST_ASSERT_EQUAL(wgjit_cache_commit(c), 0, "commit");
	wgjit_cache_close(c);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 53 + 7);
	leaf = replay_leaf(path, 3);
	TEST_ASSERT(leaf > 1, "a leaf page of the floors: %d", leaf);
	TEST_ASSERT_EQUAL(write_at(path, (off_t)(leaf - 1) * 4096, junk,
			sizeof(junk)), 0, "that page overwritten");
	TEST_ASSERT_EQUAL(expect_open_error(path, EIO, "corrupt"),
			TEST_SUCCESS, "refused");

	snprintf(fresh, sizeof(fresh), "%s.new", path);
	n = wgjit_cache_salvage(path, fresh, err, sizeof(err));
	printf("  salvaged %d of 2000 floors (%s)\n", n, err);
	/* One leaf holds well under 200 floors; the rest are read. */
	TEST_ASSERT(n >= 1800 && n < 2000, "floors salvaged: %d", n);
	TEST_ASSERT_EQUAL(wgjit_cache_salvage(path, fresh, err, sizeof(err)),
			-EEXIST, "never over an existing file");
	c = open_path(fresh);
	TEST_ASSERT(c != NULL, "the new file opens");
	for (int i = 0; i < 2000; i++) {
		memset(key, 0, sizeof(key));
		key[0] = (uint8_t)(i >> 8);
		key[1] = (uint8_t)i;
		key[31] = 1;
		if (wgjit_cache_floor_get(c, key, got) != 1)
			continue;
		TEST_ASSERT(got[10] == (uint8_t)(i >> 8) &&
				got[11] == (uint8_t)i, "floor %d intact", i);
		kept++;
	}
	TEST_ASSERT_EQUAL(kept, n, "every salvaged floor reads back");
	cache_test_key(key, 0xee);
	TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, key, T0, NULL),
			WGJIT_CACHE_MISS, "answers are fetched again");
	memset(&w, 0, sizeof(w));
	n = wgjit_cache_installed_foreach(c, walk_cb, &w);
	TEST_ASSERT(n == 0 || (n == 1 && w.nb_intent == 1),
			"install record, if readable, is an intent (%d)", n);
	wgjit_cache_close(c);
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
	ret = wgjit_cache_store_negative(c, fresh, T0);
	printf("  locked write returned %d after %.1f ms\n", ret,
			elapsed_ms(&t));
	TEST_ASSERT_EQUAL(ret, -EBUSY, "a write needs the lock");
	TEST_ASSERT(strstr(wgjit_cache_errmsg(c), "store negative") != NULL,
			"message: %s", wgjit_cache_errmsg(c));
	TEST_ASSERT_EQUAL(wgjit_cache_floor_raise(c, fresh, ts, T0), -EBUSY,
			"floor");
	/* WAL: reads go on while someone else writes; a lookup writes
	 * nothing, so a locked file never blocks the verdict. */
	TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, known, T0 + 1, NULL),
			WGJIT_CACHE_HIT, "hit while locked");
	TEST_ASSERT_EQUAL(wgjit_cache_lookup(c, fresh, T0 + 1, NULL),
			WGJIT_CACHE_MISS, "miss while locked");
	/* A second cache cannot open (its schema check writes). */
	TEST_ASSERT_EQUAL(expect_open_error(path, EBUSY, "locked"),
			TEST_SUCCESS, "open while locked");
	wgjit_cache_stats(c, &st);
	TEST_ASSERT_EQUAL(st.db_errors, 2, "db errors counted");

	TEST_ASSERT_EQUAL(sqlite3_exec(side, "COMMIT", NULL, NULL, NULL),
			SQLITE_OK, "side unlock");
	sqlite3_close(side);
	TEST_ASSERT_EQUAL(wgjit_cache_store_negative(c, fresh, T0), 0,
			"unlocked");
	TEST_ASSERT_EQUAL(wgjit_cache_floor_raise(c, fresh, ts, T0), 0, "floor");
	wgjit_cache_close(c);
	return TEST_SUCCESS;
}

static const struct wgjit_test_case cases[] = {
	TEST_CASE(test_file_mode),
	TEST_CASE(test_replay_persist),
	TEST_CASE(test_replay_noise_store),
	TEST_CASE(test_installed_persist),
	TEST_CASE(test_malformed_rows),
	TEST_CASE(test_upgrade_v1),
	TEST_CASE(test_corrupt),
	TEST_CASE(test_salvage),
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
