/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * The way back from a corrupt cache: what matters in it is what cannot be
 * fetched again, the replay floors (and which peers of the device are
 * wgjit's). Both are read row by row from the damaged file, jumping over
 * what SQLite cannot read, and written into a fresh cache.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "wgjit_cache.h"
#include "wgjit_cache_priv.h"
#include "wgjit_clock.h"
#include "wgjit_err.h"

/* Resumptions after a read error before a table is given up. */
#define MAX_RESUME 64

/* Called with each readable row: key (32 bytes), one blob, an integer. */
typedef int (*row_cb)(void *arg, const uint8_t *key, const void *blob,
		int blob_len, int64_t num);

/*
 * SELECT rowid, key, X, Y FROM T WHERE rowid > ? ORDER BY rowid, as far as
 * it reads; after an error go on past the damaged rows, further each time.
 * @return rows passed to @p cb, or -errno when the table cannot be read.
 */
static int
walk(sqlite3 *db, const char *sql, row_cb cb, void *arg)
{
	sqlite3_stmt *s = NULL;
	int64_t last = 0, jump = 1;
	int n = 0, resumes = 0, rc, ret;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	for (;;) {
		sqlite3_bind_int64(s, 1, last);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			const void *key = sqlite3_column_blob(s, 1);

			last = sqlite3_column_int64(s, 0);
			if (key == NULL ||
					sqlite3_column_bytes(s, 1) != WGJIT_KEY_LEN)
				continue;
			ret = cb(arg, key, sqlite3_column_blob(s, 2),
				sqlite3_column_bytes(s, 2),
				sqlite3_column_int64(s, 3));
			if (ret < 0) {
				sqlite3_finalize(s);
				return ret;
			}
			n++;
			jump = 1;
		}
		sqlite3_reset(s);
		if (rc == SQLITE_DONE || ++resumes > MAX_RESUME)
			break;
		last += jump;
		jump *= 4;
	}
	sqlite3_finalize(s);
	return n;
}

struct salvage {
	struct wgjit_cache *fresh;
	uint64_t now_ms;
};

static int
save_floor(void *arg, const uint8_t *key, const void *ts, int len,
		int64_t seen_ms)
{
	struct salvage *sv = arg;

	(void)seen_ms;	/* pruning by age restarts from the salvage */
	if (ts == NULL || len != WGJIT_CACHE_TAI64N_LEN)
		return 0;
	return wgjit_cache_floor_raise(sv->fresh, key, ts, sv->now_ms);
}

/* Install records come back as intents: the reconcile at start keeps
 * those the device has (wgjit's own) and drops the others. */
static int
save_record(void *arg, const uint8_t *key, const void *blob, int len,
		int64_t installed_ms)
{
	struct salvage *sv = arg;
	union wgjit_endpoint ep;
	bool has_ep = false;

	memset(&ep, 0, sizeof(ep));
	if (blob != NULL && len > 0 && (size_t)len <= sizeof(ep)) {
		memcpy(&ep, blob, len);
		has_ep = (ep.sa.sa_family == AF_INET && len == sizeof(ep.in4)) ||
			(ep.sa.sa_family == AF_INET6 && len == sizeof(ep.in6));
	}
	return wgjit_cache_record(sv->fresh, key, has_ep ? &ep : NULL,
		installed_ms > 0 ? (uint64_t)installed_ms : sv->now_ms,
		WGJIT_CACHE_INTENT);
}

int
wgjit_cache_salvage(const char *corrupt, const char *fresh, char *err,
		size_t errlen)
{
	struct wgjit_cache old = { .p.busy_timeout_ms = 100 };
	struct salvage sv = { .now_ms = wgjit_clock_wall_ms() };
	int floors, records = 0, ret, fd;

	if (corrupt == NULL || fresh == NULL)
		return wgjit_errf(err, errlen, -EINVAL, "salvage: no path");
	/* The new file must not exist: nothing is ever overwritten. */
	fd = open(fresh, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		0600);
	if (fd < 0)
		return wgjit_errf(err, errlen, -errno, "salvage: create %s: %s",
			fresh, strerror(errno));
	close(fd);
	ret = wgjit_cache_open_db(&old, corrupt, SQLITE_OPEN_READONLY);
	if (ret < 0) {
		ret = wgjit_errf(err, errlen, ret, "salvage: %s", old.errmsg);
		goto out;
	}
	sv.fresh = wgjit_cache_open(fresh, NULL, err, errlen);
	if (sv.fresh == NULL) {
		ret = -errno;
		goto out;
	}
	ret = wgjit_cache_begin(sv.fresh);
	if (ret < 0)
		goto out;
	floors = walk(old.db, "SELECT rowid, key, ts, 0 FROM replay"
		" WHERE rowid > ?1 ORDER BY rowid", save_floor, &sv);
	if (floors >= 0)
		records = walk(old.db, "SELECT rowid, key, endpoint,"
			" installed_ms FROM installed WHERE rowid > ?1"
			" ORDER BY rowid", save_record, &sv);
	ret = wgjit_cache_commit(sv.fresh);
	if (floors < 0 && floors != -EIO)
		ret = floors;
	else if (records < 0 && records != -EIO)
		ret = records;
	if (ret < 0)
		wgjit_errf(err, errlen, ret, "salvage: %s",
			wgjit_cache_errmsg(sv.fresh));
	else
		ret = floors < 0 ? 0 : floors;
out:
	wgjit_cache_close(sv.fresh);
	sqlite3_close(old.db);
	if (ret < 0)
		unlink(fresh);
	return ret;
}
