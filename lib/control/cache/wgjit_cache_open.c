/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "wgjit_cache.h"
#include "wgjit_cache_priv.h"
#include "wgjit_defaults.h"

static const char schema_sql[] =
	"CREATE TABLE peer("
	" key BLOB PRIMARY KEY NOT NULL CHECK(length(key) = 32),"
	" kind INTEGER NOT NULL,"
	" expires_ms INTEGER NOT NULL,"
	" next_fetch_ms INTEGER NOT NULL,"
	" failures INTEGER NOT NULL,"
	" flags INTEGER NOT NULL DEFAULT 0,"
	" psk BLOB CHECK(psk IS NULL OR length(psk) = 32),"
	" keepalive INTEGER NOT NULL DEFAULT 0,"
	" endpoint BLOB,"
	" allowed_ips TEXT NOT NULL DEFAULT '') STRICT;"
	"CREATE INDEX peer_expires ON peer(expires_ms);"
	"CREATE TABLE replay("
	" key BLOB PRIMARY KEY NOT NULL CHECK(length(key) = 32),"
	" ts BLOB NOT NULL CHECK(length(ts) = 12)) STRICT;"
	"CREATE TABLE installed("
	" key BLOB PRIMARY KEY NOT NULL CHECK(length(key) = 32),"
	" endpoint BLOB,"
	" installed_ms INTEGER NOT NULL) STRICT;"
	"PRAGMA user_version = 1;";

static const char *const stmt_sql[S_COUNT] = {
	[S_PEER_GET] = "SELECT kind, expires_ms, next_fetch_ms, flags, psk,"
		" keepalive, endpoint, allowed_ips FROM peer WHERE key = ?1",
	[S_PEER_GRANT] = "INSERT INTO peer(key, kind, expires_ms,"
		" next_fetch_ms, failures) VALUES(?1, 0, 0, ?2, 0)"
		" ON CONFLICT(key) DO UPDATE SET"
		" next_fetch_ms = excluded.next_fetch_ms",
	[S_PEER_STORE] = "INSERT INTO peer(key, kind, expires_ms,"
		" next_fetch_ms, failures, flags, psk, keepalive, endpoint,"
		" allowed_ips) VALUES(?1, ?2, ?3, 0, 0, ?4, ?5, ?6, ?7, ?8)"
		" ON CONFLICT(key) DO UPDATE SET kind = excluded.kind,"
		" expires_ms = excluded.expires_ms, failures = 0,"
		" flags = excluded.flags, psk = excluded.psk,"
		" keepalive = excluded.keepalive, endpoint = excluded.endpoint,"
		" allowed_ips = excluded.allowed_ips",
	/* ?2 now, ?3 backoff min, ?4 backoff max, ?5 largest useful shift. */
	[S_PEER_FAIL] = "INSERT INTO peer(key, kind, expires_ms,"
		" next_fetch_ms, failures) VALUES(?1, 0, 0, ?2 + ?3, 1)"
		" ON CONFLICT(key) DO UPDATE SET failures = failures + 1,"
		" next_fetch_ms = max(next_fetch_ms,"
		"  ?2 + min(?4, ?3 << min(failures, ?5)))"
		" RETURNING failures",
	[S_PEER_EXPIRE] = "DELETE FROM peer WHERE rowid IN (SELECT rowid"
		" FROM peer WHERE expires_ms <= ?1 AND next_fetch_ms <= ?2"
		" LIMIT ?3)",
	[S_REPLAY_GET] = "SELECT ts FROM replay WHERE key = ?1",
	[S_REPLAY_PUT] = "INSERT INTO replay(key, ts) VALUES(?1, ?2)"
		" ON CONFLICT(key) DO UPDATE SET ts = excluded.ts"
		" WHERE excluded.ts > replay.ts",
	[S_INST_PUT] = "INSERT OR REPLACE INTO installed(key, endpoint,"
		" installed_ms) VALUES(?1, ?2, ?3)",
	[S_INST_DEL] = "DELETE FROM installed WHERE key = ?1",
	[S_INST_HAS] = "SELECT 1 FROM installed WHERE key = ?1",
	[S_INST_ALL] = "SELECT key, endpoint, installed_ms FROM installed"
		" ORDER BY installed_ms, key",
};

static const struct wgjit_cache_params defaults = {
	.positive_ttl_ms = WGJIT_DEFAULT_CACHE_POSITIVE_TTL_S * 1000,
	.negative_ttl_ms = WGJIT_DEFAULT_CACHE_NEGATIVE_TTL_S * 1000,
	.min_refetch_ms = WGJIT_DEFAULT_CACHE_MIN_REFETCH_S * 1000,
	.backoff_min_ms = WGJIT_DEFAULT_CACHE_BACKOFF_MIN_MS,
	.backoff_max_ms = WGJIT_DEFAULT_CACHE_BACKOFF_MAX_MS,
	.busy_timeout_ms = WGJIT_DEFAULT_CACHE_BUSY_TIMEOUT_MS,
	.expire_batch = WGJIT_DEFAULT_CACHE_EXPIRE_BATCH,
};

/* Fill the defaults in and check the ranges; 0 or -EINVAL. */
static int
set_params(struct wgjit_cache *c, const struct wgjit_cache_params *p)
{
	struct wgjit_cache_params *q = &c->p;
	const char *bad = NULL;

	*q = p == NULL ? defaults : *p;
#define DEFAULT_IF_ZERO(f) do { if (q->f == 0) q->f = defaults.f; } while (0)
	DEFAULT_IF_ZERO(positive_ttl_ms);
	DEFAULT_IF_ZERO(negative_ttl_ms);
	DEFAULT_IF_ZERO(min_refetch_ms);
	DEFAULT_IF_ZERO(backoff_min_ms);
	DEFAULT_IF_ZERO(backoff_max_ms);
	DEFAULT_IF_ZERO(busy_timeout_ms);
	DEFAULT_IF_ZERO(expire_batch);
#undef DEFAULT_IF_ZERO
	if (q->positive_ttl_ms > MAX_DURATION_MS)
		bad = "positive_ttl_ms too large";
	else if (q->negative_ttl_ms > MAX_DURATION_MS)
		bad = "negative_ttl_ms too large";
	else if (q->min_refetch_ms > MAX_DURATION_MS)
		bad = "min_refetch_ms too large";
	else if (q->backoff_max_ms > MAX_DURATION_MS)
		bad = "backoff_max_ms too large";
	else if (q->backoff_min_ms > q->backoff_max_ms)
		bad = "backoff_min_ms is larger than backoff_max_ms";
	else if (q->busy_timeout_ms > 1000)
		bad = "busy_timeout_ms above 1000 would stall the control lcore";
	else if (q->expire_batch > 1000000)
		bad = "expire_batch too large";
	if (bad != NULL) {
		snprintf(c->errmsg, sizeof(c->errmsg), "bad parameter: %s", bad);
		return -EINVAL;
	}
	/* The shift at which backoff_min_ms reaches backoff_max_ms. */
	c->backoff_shift_max = 0;
	while ((q->backoff_min_ms << c->backoff_shift_max) < q->backoff_max_ms)
		c->backoff_shift_max++;
	return 0;
}

/*
 * Create the file 0600 before SQLite does (SQLite would use 0644), or
 * tighten an existing one; SQLite copies the mode to -wal and -shm.
 */
static int
prepare_file(struct wgjit_cache *c, const char *path)
{
	struct stat st;
	int fd, ret = 0;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		ret = -errno;
		snprintf(c->errmsg, sizeof(c->errmsg), "open %s: %s", path,
				strerror(errno));
		return ret;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		snprintf(c->errmsg, sizeof(c->errmsg),
				"%s is not a regular file", path);
	} else if ((st.st_mode & 077) != 0 && fchmod(fd, 0600) != 0) {
		ret = -errno;
		snprintf(c->errmsg, sizeof(c->errmsg), "chmod 0600 %s: %s",
				path, strerror(errno));
	}
	close(fd);
	return ret;
}

/* Run @p sql, which returns one row; copy its first column to @p out. */
static int
query_text(struct wgjit_cache *c, const char *sql, char *out, size_t n,
		const char *what)
{
	sqlite3_stmt *s = NULL;
	int rc;

	rc = sqlite3_prepare_v2(c->db, sql, -1, &s, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			const unsigned char *t = sqlite3_column_text(s, 0);

			snprintf(out, n, "%s", t == NULL ? "" : (const char *)t);
			rc = SQLITE_OK;
		}
	}
	if (rc != SQLITE_OK)
		wgjit_cache_sqlite_error(c, rc, what);
	sqlite3_finalize(s);
	return rc == SQLITE_OK ? 0 : wgjit_cache_errno(rc);
}

static int
exec_sql(struct wgjit_cache *c, const char *sql, const char *what)
{
	int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);

	if (rc == SQLITE_OK)
		return 0;
	return wgjit_cache_sqlite_error(c, rc, what);
}

/* Check the schema version; create the tables in a new file. */
static int
check_schema(struct wgjit_cache *c)
{
	char ver[32], tables[32];
	long v;
	int ret;

	ret = exec_sql(c, "BEGIN IMMEDIATE", "schema check");
	if (ret < 0)
		return ret;
	ret = query_text(c, "PRAGMA user_version", ver, sizeof(ver),
			"read schema version");
	if (ret == 0)
		ret = query_text(c, "SELECT count(*) FROM sqlite_schema",
				tables, sizeof(tables), "count tables");
	if (ret < 0)
		goto out;
	v = strtol(ver, NULL, 10);
	if (v == 0 && strcmp(tables, "0") == 0) {
		ret = exec_sql(c, schema_sql, "create schema");
	} else if (v == 0) {
		snprintf(c->errmsg, sizeof(c->errmsg),
				"not a wgjit cache (schema version 0, %s tables)",
				tables);
		ret = -EINVAL;
	} else if (v != WGJIT_CACHE_SCHEMA_VERSION) {
		snprintf(c->errmsg, sizeof(c->errmsg),
				"schema version %ld is not supported (this wgjit "
				"reads version %d)", v, WGJIT_CACHE_SCHEMA_VERSION);
		ret = -EINVAL;
	}
out:
	if (ret == 0)
		return exec_sql(c, "COMMIT", "commit schema");
	sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	return ret;
}

static int
setup_db(struct wgjit_cache *c, const char *path)
{
	char val[128];
	int rc, ret;

	rc = sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE |
			SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
			SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc != SQLITE_OK) {
		snprintf(c->errmsg, sizeof(c->errmsg), "open %s: %s", path,
				c->db == NULL ? sqlite3_errstr(rc) :
				sqlite3_errmsg(c->db));
		return wgjit_cache_errno(rc);
	}
	sqlite3_extended_result_codes(c->db, 1);
	sqlite3_busy_timeout(c->db, (int)c->p.busy_timeout_ms);
	/* The first read of the file: a junk file fails here (NOTADB). */
	ret = query_text(c, "PRAGMA journal_mode = WAL", val, sizeof(val),
			"set WAL mode");
	if (ret < 0)
		return ret;
	if (strcmp(val, "wal") != 0) {
		snprintf(c->errmsg, sizeof(c->errmsg),
				"cannot use WAL mode (journal_mode is %s)", val);
		return -EIO;
	}
	ret = exec_sql(c, "PRAGMA synchronous = NORMAL;"
			"PRAGMA secure_delete = ON;", "set pragmas");
	if (ret < 0)
		return ret;
	ret = query_text(c, "PRAGMA quick_check", val, sizeof(val),
			"check file");
	if (ret < 0)
		return ret;
	if (strcmp(val, "ok") != 0) {
		/* One line: the first problem quick_check reports. */
		char *first = val;

		if (strncmp(first, "*** ", 4) == 0 && strchr(first, '\n'))
			first = strchr(first, '\n') + 1;
		first[strcspn(first, "\n")] = '\0';
		snprintf(c->errmsg, sizeof(c->errmsg),
				"database is corrupt: %s", first);
		return -EIO;
	}
	ret = check_schema(c);
	if (ret < 0)
		return ret;
	for (int i = 0; i < S_COUNT; i++) {
		rc = sqlite3_prepare_v3(c->db, stmt_sql[i], -1,
				SQLITE_PREPARE_PERSISTENT, &c->stmt[i], NULL);
		if (rc != SQLITE_OK) {
			snprintf(c->errmsg, sizeof(c->errmsg),
					"schema does not match: %s",
					sqlite3_errmsg(c->db));
			return -EINVAL;
		}
	}
	return 0;
}

struct wgjit_cache *
wgjit_cache_open(const char *path, const struct wgjit_cache_params *p,
		char *err, size_t errlen)
{
	struct wgjit_cache *c;
	int ret;

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	if (path == NULL || path[0] == '\0' || path[0] == ':') {
		snprintf(c->errmsg, sizeof(c->errmsg),
				"cache path must name a file");
		ret = -EINVAL;
	} else {
		ret = set_params(c, p);
	}
	if (ret == 0)
		ret = prepare_file(c, path);
	if (ret == 0)
		ret = setup_db(c, path);
	if (ret == 0)
		return c;
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "wgjit cache %s: %s",
				path == NULL ? "(null)" : path, c->errmsg);
	wgjit_cache_close(c);
	errno = -ret;
	return NULL;
}

void
wgjit_cache_close(struct wgjit_cache *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(c->stmt[i]);
	/* Close, not close_v2: every statement is finalized above. */
	sqlite3_close(c->db);
	free(c);
}
