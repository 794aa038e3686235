/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "wgjit_cache.h"
#include "wgjit_cache_priv.h"
#include "wgjit_defaults.h"

/* Version 2. Every time is wall-clock ms (see wgjit_cache.h). */
#define PEER_TABLE \
	"CREATE TABLE peer(" \
	" key BLOB PRIMARY KEY NOT NULL CHECK(length(key) = 32)," \
	" kind INTEGER NOT NULL CHECK(kind IN (1, 2))," \
	" stored_ms INTEGER NOT NULL," \
	" expires_ms INTEGER NOT NULL," \
	" purge_ms INTEGER NOT NULL," \
	" flags INTEGER NOT NULL DEFAULT 0," \
	" psk BLOB CHECK(psk IS NULL OR length(psk) = 32)," \
	" keepalive INTEGER NOT NULL DEFAULT 0," \
	" endpoint BLOB," \
	" allowed_ips TEXT NOT NULL DEFAULT '') STRICT;" \
	"CREATE INDEX peer_purge ON peer(purge_ms);"

static const char schema_sql[] =
	PEER_TABLE
	"CREATE TABLE replay("
	" key BLOB PRIMARY KEY NOT NULL CHECK(length(key) = 32),"
	" ts BLOB NOT NULL CHECK(length(ts) = 12),"
	" seen_ms INTEGER NOT NULL DEFAULT 0) STRICT;"
	"CREATE INDEX replay_seen ON replay(seen_ms);"
	"CREATE TABLE installed("
	" key BLOB PRIMARY KEY NOT NULL CHECK(length(key) = 32),"
	" endpoint BLOB,"
	" installed_ms INTEGER NOT NULL,"
	" state INTEGER NOT NULL DEFAULT 1) STRICT;"
	"PRAGMA user_version = 2;";

/*
 * Version 1 -> 2: pacing rows go (pacing is in memory now), answers get
 * their store time (unknown: 0, never "in the future") and purge time,
 * floors their last-seen time (now: pruning by age starts today), and
 * install records their state (all were complete installs).
 */
static const char upgrade_v1_sql[] =
	"ALTER TABLE peer RENAME TO peer_v1;"
	"DROP INDEX IF EXISTS peer_expires;"
	PEER_TABLE
	"INSERT INTO peer(key, kind, stored_ms, expires_ms, purge_ms, flags,"
	" psk, keepalive, endpoint, allowed_ips)"
	" SELECT key, kind, 0, expires_ms, expires_ms, flags, psk,"
	" keepalive, endpoint, allowed_ips FROM peer_v1"
	" WHERE kind IN (1, 2) AND typeof(key) = 'blob' AND length(key) = 32;"
	"DROP TABLE peer_v1;"
	"ALTER TABLE replay ADD COLUMN seen_ms INTEGER NOT NULL DEFAULT 0;"
	"UPDATE replay SET seen_ms = CAST((julianday('now') - 2440587.5)"
	" * 86400000 AS INTEGER);"
	"CREATE INDEX replay_seen ON replay(seen_ms);"
	"ALTER TABLE installed ADD COLUMN state INTEGER NOT NULL DEFAULT 1;"
	"PRAGMA user_version = 2;";

static const char *const stmt_sql[S_COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_PEER_GET] = "SELECT kind, stored_ms, expires_ms, flags, psk,"
		" keepalive, endpoint, allowed_ips FROM peer WHERE key = ?1",
	[S_PEER_STORE] = "INSERT OR REPLACE INTO peer(key, kind, stored_ms,"
		" expires_ms, purge_ms, flags, psk, keepalive, endpoint,"
		" allowed_ips) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[S_PEER_EXPIRE] = "DELETE FROM peer WHERE rowid IN (SELECT rowid"
		" FROM peer WHERE purge_ms <= ?1 LIMIT ?2)",
	[S_REPLAY_GET] = "SELECT ts FROM replay WHERE key = ?1",
	[S_REPLAY_PUT] = "INSERT INTO replay(key, ts, seen_ms)"
		" VALUES(?1, ?2, ?3) ON CONFLICT(key) DO UPDATE SET"
		" ts = CASE WHEN excluded.ts > replay.ts THEN excluded.ts"
		" ELSE replay.ts END, seen_ms = max(replay.seen_ms,"
		" excluded.seen_ms)",
	[S_REPLAY_AGE] = "DELETE FROM replay WHERE rowid IN (SELECT rowid"
		" FROM replay WHERE seen_ms <= ?1 LIMIT ?2)",
	[S_REPLAY_COUNT] = "SELECT count(*) FROM replay",
	[S_REPLAY_TRIM] = "DELETE FROM replay WHERE rowid IN (SELECT rowid"
		" FROM replay ORDER BY seen_ms LIMIT ?1)",
	[S_INST_PUT] = "INSERT OR REPLACE INTO installed(key, endpoint,"
		" installed_ms, state) VALUES(?1, ?2, ?3, ?4)",
	[S_INST_DEL] = "DELETE FROM installed WHERE key = ?1",
	[S_INST_HAS] = "SELECT 1 FROM installed WHERE key = ?1",
	[S_INST_ALL] = "SELECT key, endpoint, installed_ms, state, rowid"
		" FROM installed ORDER BY installed_ms, rowid",
};

static const struct wgjit_cache_params defaults = {
	.positive_ttl_ms = WGJIT_DEFAULT_CACHE_POSITIVE_TTL_S * 1000,
	.negative_ttl_ms = WGJIT_DEFAULT_CACHE_NEGATIVE_TTL_S * 1000,
	.retention_ms = WGJIT_DEFAULT_CACHE_RETENTION_S * UINT64_C(1000),
	.replay_retention_ms = WGJIT_DEFAULT_CACHE_REPLAY_RETENTION_S * UINT64_C(1000),
	.replay_max = WGJIT_DEFAULT_CACHE_REPLAY_MAX,
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
	DEFAULT_IF_ZERO(retention_ms);
	DEFAULT_IF_ZERO(replay_retention_ms);
	DEFAULT_IF_ZERO(replay_max);
	DEFAULT_IF_ZERO(busy_timeout_ms);
	DEFAULT_IF_ZERO(expire_batch);
#undef DEFAULT_IF_ZERO
	if (q->positive_ttl_ms > MAX_DURATION_MS)
		bad = "positive_ttl_ms too large";
	else if (q->negative_ttl_ms > MAX_DURATION_MS)
		bad = "negative_ttl_ms too large";
	else if (q->retention_ms > MAX_DURATION_MS)
		bad = "retention_ms too large";
	else if (q->replay_retention_ms > MAX_DURATION_MS)
		bad = "replay_retention_ms too large";
	else if (q->replay_max > 100000000)
		bad = "replay_max too large";
	else if (q->busy_timeout_ms > 1000)
		bad = "busy_timeout_ms above 1000 would stall the control lcore";
	else if (q->expire_batch > 1000000)
		bad = "expire_batch too large";
	if (bad != NULL) {
		snprintf(c->errmsg, sizeof(c->errmsg), "bad parameter: %s", bad);
		return -EINVAL;
	}
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

/* Check the schema version; create the tables in a new file, upgrade a
 * version 1 file. */
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
	} else if (v == 1) {
		ret = exec_sql(c, upgrade_v1_sql, "upgrade schema 1 -> 2");
	} else if (v != WGJIT_CACHE_SCHEMA_VERSION) {
		snprintf(c->errmsg, sizeof(c->errmsg),
				"schema version %ld is not supported (this wgjit "
				"reads versions 1 and %d)", v,
				WGJIT_CACHE_SCHEMA_VERSION);
		ret = -EINVAL;
	}
out:
	if (ret == 0)
		return exec_sql(c, "COMMIT", "commit schema");
	sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	return ret;
}

int
wgjit_cache_open_db(struct wgjit_cache *c, const char *path, int flags)
{
	char val[128];
	int rc, ret;

	rc = sqlite3_open_v2(path, &c->db, flags | SQLITE_OPEN_NOMUTEX |
			SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc != SQLITE_OK) {
		snprintf(c->errmsg, sizeof(c->errmsg), "open %s: %s", path,
				c->db == NULL ? sqlite3_errstr(rc) :
				sqlite3_errmsg(c->db));
		return wgjit_cache_errno(rc);
	}
	sqlite3_extended_result_codes(c->db, 1);
	sqlite3_busy_timeout(c->db, (int)c->p.busy_timeout_ms);
	if (flags & SQLITE_OPEN_READONLY)
		return 0;
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
	return exec_sql(c, "PRAGMA synchronous = NORMAL;"
			"PRAGMA secure_delete = ON;", "set pragmas");
}

/* A finding of quick_check about a row's content, not the file's
 * structure: such rows are skipped and counted when read. */
static bool
row_finding(const char *t)
{
	return strncmp(t, "CHECK constraint failed", 23) == 0 ||
		strncmp(t, "NULL value in", 13) == 0 ||
		strncmp(t, "non-", 4) == 0;	/* "non-INTEGER value in ..." */
}

/* quick_check; a corrupt file gets a message that says the way back. */
static int
check_file(struct wgjit_cache *c, const char *path)
{
	char first[128] = "";
	sqlite3_stmt *s = NULL;
	int rc, nb_rows = 0;
	bool corrupt = false;

	rc = sqlite3_prepare_v2(c->db, "PRAGMA quick_check(20)", -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	for (; rc == SQLITE_ROW; rc = sqlite3_step(s)) {
		const char *t = (const char *)sqlite3_column_text(s, 0);

		if (t == NULL || strcmp(t, "ok") == 0)
			continue;
		if (row_finding(t)) {
			nb_rows++;
			continue;
		}
		if (!corrupt) {
			if (strncmp(t, "*** ", 4) == 0 && strchr(t, '\n'))
				t = strchr(t, '\n') + 1;
			snprintf(first, sizeof(first), "%s", t);
			first[strcspn(first, "\n")] = '\0';
		}
		corrupt = true;
	}
	if (rc != SQLITE_DONE) {
		corrupt = true;
		if (first[0] == '\0')
			snprintf(first, sizeof(first), "%s", sqlite3_errmsg(c->db));
	}
	sqlite3_finalize(s);
	/* Malformed rows alone do not stop the gateway: they are read as
	 * nothing (wgjit_cache.h) and counted. */
	c->stats.bad_rows += nb_rows;
	if (!corrupt)
		return 0;
	snprintf(c->errmsg, sizeof(c->errmsg), "database is corrupt (%.80s); "
			"keep its replay floors with 'wgjit-cache salvage %.64s'"
			" (docs/operations.md)", first, path);
	return -EIO;
}

static int
setup_db(struct wgjit_cache *c, const char *path)
{
	int rc, ret;

	ret = wgjit_cache_open_db(c, path, SQLITE_OPEN_READWRITE |
			SQLITE_OPEN_CREATE);
	if (ret == -EIO && strstr(c->errmsg, "not a SQLite") == NULL)
		ret = check_file(c, path);
	if (ret == 0)
		ret = check_file(c, path);
	if (ret == 0)
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
