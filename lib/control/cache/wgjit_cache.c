/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "wgjit_cache.h"
#include "wgjit_cache_priv.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

int
wgjit_cache_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
		return -EINVAL;
	default: /* SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_IOERR, ... */
		return -EIO;
	}
}

int
wgjit_cache_sqlite_error(struct wgjit_cache *c, int rc, const char *what)
{
	const char *msg = sqlite3_errmsg(c->db), *str = sqlite3_errstr(rc);

	if ((rc & 0xff) == SQLITE_NOTADB)
		snprintf(c->errmsg, sizeof(c->errmsg),
				"%s: not a SQLite database (%s)", what, msg);
	else if (strcmp(msg, str) == 0)
		snprintf(c->errmsg, sizeof(c->errmsg), "%s: %s", what, msg);
	else
		snprintf(c->errmsg, sizeof(c->errmsg), "%s: %s (%s)", what,
				msg, str);
	return wgjit_cache_errno(rc);
}

/* Record a SQLite failure, reset @p s (may be NULL), return -errno. */
static int
db_fail(struct wgjit_cache *c, sqlite3_stmt *s, int rc, const char *what)
{
	wgjit_cache_sqlite_error(c, rc, what);
	c->stats.db_errors++;
	if (s != NULL) {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
	}
	return wgjit_cache_errno(rc);
}

/* Record a failure that is not SQLite's; return @p err. */
static int
fail(struct wgjit_cache *c, int err, const char *what)
{
	snprintf(c->errmsg, sizeof(c->errmsg), "%s", what);
	return err;
}

static void
done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

/* Bind the key as ?1 of @p id (SQLITE_STATIC: valid until done()). */
static sqlite3_stmt *
with_key(struct wgjit_cache *c, enum stmt_id id, const uint8_t *key)
{
	sqlite3_stmt *s = c->stmt[id];

	sqlite3_bind_blob(s, 1, key, WGJIT_KEY_LEN, SQLITE_STATIC);
	return s;
}

/* Run a statement that returns no row. */
static int
run(struct wgjit_cache *c, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	if (rc != SQLITE_DONE)
		return db_fail(c, s, rc, what);
	done(s);
	return 0;
}

static socklen_t
endpoint_len(const union wgjit_endpoint *ep)
{
	if (ep->sa.sa_family == AF_INET)
		return sizeof(ep->in4);
	if (ep->sa.sa_family == AF_INET6)
		return sizeof(ep->in6);
	return 0;
}

/* Read an endpoint blob back; false when it does not hold one. */
static bool
endpoint_from_blob(union wgjit_endpoint *ep, const void *blob, int len)
{
	memset(ep, 0, sizeof(*ep));
	if (blob == NULL || len <= 0 || (size_t)len > sizeof(*ep))
		return false;
	memcpy(ep, blob, len);
	return endpoint_len(ep) == (socklen_t)len;
}

static bool
check_key(struct wgjit_cache *c, const uint8_t *key)
{
	return c != NULL && key != NULL;
}

static int
check_now(struct wgjit_cache *c, uint64_t now_ms)
{
	if (now_ms > MAX_NOW_MS)
		return fail(c, -EINVAL, "time out of range");
	return 0;
}

/* The checks every keyed, timed call starts with. */
static int
check_args(struct wgjit_cache *c, const uint8_t *key, uint64_t now_ms)
{
	if (!check_key(c, key))
		return -EINVAL;
	return check_now(c, now_ms);
}

/* Format the allowed IPs as "a/n,b/m"; each must parse back as given. */
static int
format_allowed_ips(struct wgjit_cache *c, const struct wgjit_peer *peer,
		char out[AIPS_TEXT_SIZE])
{
	size_t used = 0;

	out[0] = '\0';
	if (peer->nb_allowed_ips > WGJIT_PEER_MAX_ALLOWED_IPS)
		return fail(c, -EINVAL, "too many allowed IPs");
	for (unsigned int i = 0; i < peer->nb_allowed_ips; i++) {
		const struct wgjit_allowed_ip *aip = &peer->allowed_ips[i];
		char one[WGJIT_ALLOWED_IP_STR_SIZE];
		struct wgjit_allowed_ip back;

		if ((aip->family != AF_INET || aip->cidr > 32) &&
				(aip->family != AF_INET6 || aip->cidr > 128))
			return fail(c, -EINVAL, "allowed IP: bad family or prefix");
		wgjit_allowed_ip_format(one, aip);
		if (wgjit_allowed_ip_parse(&back, one) != 0)
			return fail(c, -EINVAL, "allowed IP: host bits set");
		used += (size_t)snprintf(out + used, AIPS_TEXT_SIZE - used,
				"%s%s", i == 0 ? "" : ",", one);
	}
	return 0;
}

static int
parse_allowed_ips(struct wgjit_peer *peer, const char *text)
{
	char buf[AIPS_TEXT_SIZE];
	char *tok, *save = NULL;

	peer->nb_allowed_ips = 0;
	if (text == NULL || strlen(text) >= sizeof(buf))
		return -EIO;
	strcpy(buf, text);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
			tok = strtok_r(NULL, ",", &save)) {
		if (peer->nb_allowed_ips == WGJIT_PEER_MAX_ALLOWED_IPS ||
				wgjit_allowed_ip_parse(
				&peer->allowed_ips[peer->nb_allowed_ips], tok) != 0)
			return -EIO;
		peer->nb_allowed_ips++;
	}
	return 0;
}

/* Fill @p out from the current S_PEER_GET row. */
static int
decode_peer(sqlite3_stmt *s, const uint8_t *key, struct wgjit_peer *out)
{
	const void *psk = sqlite3_column_blob(s, 4);

	memset(out, 0, sizeof(*out));
	memcpy(out->public_key, key, WGJIT_KEY_LEN);
	out->flags = (uint32_t)sqlite3_column_int64(s, 3) & STORED_FLAGS;
	if (out->flags & WGJIT_PEER_HAS_PRESHARED_KEY) {
		if (psk == NULL || sqlite3_column_bytes(s, 4) != WGJIT_KEY_LEN)
			return -EIO;
		memcpy(out->preshared_key, psk, WGJIT_KEY_LEN);
	}
	if (out->flags & WGJIT_PEER_HAS_KEEPALIVE) {
		int64_t ka = sqlite3_column_int64(s, 5);

		if (ka < 0 || ka > UINT16_MAX)
			return -EIO;
		out->persistent_keepalive = (uint16_t)ka;
	}
	if ((out->flags & WGJIT_PEER_HAS_ENDPOINT) &&
			!endpoint_from_blob(&out->endpoint,
				sqlite3_column_blob(s, 6),
				sqlite3_column_bytes(s, 6)))
		return -EIO;
	return parse_allowed_ips(out,
			(const char *)sqlite3_column_text(s, 7));
}

/* A row is current when it was stored at or before now and has not
 * expired: a row "from the future" (the clock went back) is not. */
static bool
current(int64_t stored, int64_t expires, int64_t now)
{
	return stored <= now && now < expires;
}

static int
verdict(struct wgjit_cache *c, enum wgjit_cache_verdict v)
{
	switch (v) {
	case WGJIT_CACHE_HIT:
		c->stats.hits++;
		break;
	case WGJIT_CACHE_NEGATIVE:
		c->stats.negative_hits++;
		break;
	case WGJIT_CACHE_STALE:
		c->stats.stale++;
		break;
	default:
		c->stats.misses++;
		break;
	}
	return v;
}

int
wgjit_cache_lookup(struct wgjit_cache *c, const uint8_t key[WGJIT_KEY_LEN],
		uint64_t now_ms, struct wgjit_peer *out)
{
	uint8_t k[WGJIT_KEY_LEN];
	int64_t now, kind, stored, expires;
	sqlite3_stmt *s;
	int rc, ret;

	ret = check_args(c, key, now_ms);
	if (ret < 0)
		return ret;
	now = (int64_t)now_ms;
	/* A local copy: @p key may point into @p out. */
	memcpy(k, key, WGJIT_KEY_LEN);
	s = with_key(c, S_PEER_GET, k);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		done(s);
		return verdict(c, WGJIT_CACHE_MISS);
	}
	if (rc != SQLITE_ROW)
		return db_fail(c, s, rc, "look up peer");
	kind = sqlite3_column_int64(s, 0);
	stored = sqlite3_column_int64(s, 1);
	expires = sqlite3_column_int64(s, 2);
	if (kind == KIND_NEGATIVE) {
		done(s);
		return verdict(c, current(stored, expires, now) ?
			WGJIT_CACHE_NEGATIVE : WGJIT_CACHE_MISS);
	}
	if (kind != KIND_POSITIVE) {
		done(s);
		c->stats.bad_rows++;
		return verdict(c, WGJIT_CACHE_MISS);
	}
	if (!current(stored, expires, now)) {
		done(s);
		return verdict(c, WGJIT_CACHE_STALE);
	}
	if (out != NULL) {
		ret = decode_peer(s, k, out);
		if (ret < 0) {
			/* Unreadable: fetched again, as an expired one. */
			done(s);
			wgjit_peer_clear(out);
			c->stats.bad_rows++;
			return verdict(c, WGJIT_CACHE_STALE);
		}
	}
	done(s);
	return verdict(c, WGJIT_CACHE_HIT);
}

/* S_PEER_STORE with everything but the preshared key and the endpoint
 * bound (the keepalive as 0); the caller binds those it has. */
static sqlite3_stmt *
store_row(struct wgjit_cache *c, const uint8_t *key, int64_t kind,
		uint64_t now_ms, uint64_t ttl_ms, uint64_t keep_ms,
		uint32_t flags, const char *aips)
{
	sqlite3_stmt *s = with_key(c, S_PEER_STORE, key);

	sqlite3_bind_int64(s, 2, kind);
	sqlite3_bind_int64(s, 3, (int64_t)now_ms);
	sqlite3_bind_int64(s, 4, (int64_t)(now_ms + ttl_ms));
	sqlite3_bind_int64(s, 5, (int64_t)(now_ms + ttl_ms + keep_ms));
	sqlite3_bind_int64(s, 6, flags);
	sqlite3_bind_int64(s, 8, 0);
	sqlite3_bind_text(s, 10, aips, -1, SQLITE_STATIC);
	return s;
}

int
wgjit_cache_store_peer(struct wgjit_cache *c, const struct wgjit_peer *peer,
		uint64_t now_ms)
{
	char aips[AIPS_TEXT_SIZE];
	uint32_t flags;
	sqlite3_stmt *s;
	int ret;

	ret = check_args(c, peer == NULL ? NULL : peer->public_key, now_ms);
	if (ret < 0)
		return ret;
	flags = peer->flags & STORED_FLAGS;
	if ((flags & WGJIT_PEER_HAS_ENDPOINT) &&
			endpoint_len(&peer->endpoint) == 0)
		return fail(c, -EINVAL, "endpoint: bad address family");
	ret = format_allowed_ips(c, peer, aips);
	if (ret < 0)
		return ret;
	s = store_row(c, peer->public_key, KIND_POSITIVE, now_ms,
			c->p.positive_ttl_ms, c->p.retention_ms, flags, aips);
	/* SQLITE_STATIC: SQLite reads the caller's key, no copy of ours. */
	if (flags & WGJIT_PEER_HAS_PRESHARED_KEY)
		sqlite3_bind_blob(s, 7, peer->preshared_key, WGJIT_KEY_LEN,
				SQLITE_STATIC);
	sqlite3_bind_int64(s, 8, (flags & WGJIT_PEER_HAS_KEEPALIVE) ?
			peer->persistent_keepalive : 0);
	if (flags & WGJIT_PEER_HAS_ENDPOINT)
		sqlite3_bind_blob(s, 9, &peer->endpoint,
				endpoint_len(&peer->endpoint), SQLITE_STATIC);
	return run(c, s, "store peer");
}

int
wgjit_cache_store_negative(struct wgjit_cache *c,
		const uint8_t key[WGJIT_KEY_LEN], uint64_t now_ms)
{
	int ret;

	ret = check_args(c, key, now_ms);
	if (ret < 0)
		return ret;
	return run(c, store_row(c, key, KIND_NEGATIVE, now_ms,
			c->p.negative_ttl_ms, 0, 0, ""),
			"store negative entry");
}

int
wgjit_cache_floor_get(struct wgjit_cache *c, const uint8_t key[WGJIT_KEY_LEN],
		uint8_t ts[WGJIT_CACHE_TAI64N_LEN])
{
	sqlite3_stmt *s;
	const void *blob;
	int rc;

	if (!check_key(c, key) || ts == NULL)
		return -EINVAL;
	s = with_key(c, S_REPLAY_GET, key);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		done(s);
		return 0;
	}
	if (rc != SQLITE_ROW)
		return db_fail(c, s, rc, "look up replay floor");
	blob = sqlite3_column_blob(s, 0);
	if (blob == NULL ||
			sqlite3_column_bytes(s, 0) != WGJIT_CACHE_TAI64N_LEN) {
		done(s);
		c->stats.bad_rows++;
		return 0;
	}
	memcpy(ts, blob, WGJIT_CACHE_TAI64N_LEN);
	done(s);
	return 1;
}

int
wgjit_cache_floor_raise(struct wgjit_cache *c,
		const uint8_t key[WGJIT_KEY_LEN],
		const uint8_t ts[WGJIT_CACHE_TAI64N_LEN], uint64_t now_ms)
{
	sqlite3_stmt *s;
	int ret;

	ret = check_args(c, key, now_ms);
	if (ret < 0)
		return ret;
	if (ts == NULL)
		return -EINVAL;
	s = with_key(c, S_REPLAY_PUT, key);
	sqlite3_bind_blob(s, 2, ts, WGJIT_CACHE_TAI64N_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (int64_t)now_ms);
	return run(c, s, "raise replay floor");
}

int
wgjit_cache_record(struct wgjit_cache *c, const uint8_t key[WGJIT_KEY_LEN],
		const union wgjit_endpoint *ep, uint64_t now_ms,
		enum wgjit_cache_install_state state)
{
	sqlite3_stmt *s;
	int ret;

	ret = check_args(c, key, now_ms);
	if (ret < 0)
		return ret;
	if (ep != NULL && endpoint_len(ep) == 0)
		return fail(c, -EINVAL, "endpoint: bad address family");
	if (state != WGJIT_CACHE_INTENT && state != WGJIT_CACHE_INSTALLED)
		return fail(c, -EINVAL, "bad install state");
	s = with_key(c, S_INST_PUT, key);
	if (ep != NULL)
		sqlite3_bind_blob(s, 2, ep, endpoint_len(ep), SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (int64_t)now_ms);
	sqlite3_bind_int64(s, 4, state);
	return run(c, s, state == WGJIT_CACHE_INTENT ? "record intent" :
		"record install");
}

int
wgjit_cache_record_remove(struct wgjit_cache *c,
		const uint8_t key[WGJIT_KEY_LEN])
{
	int ret;

	if (!check_key(c, key))
		return -EINVAL;
	ret = run(c, with_key(c, S_INST_DEL, key), "remove install record");
	if (ret < 0)
		return ret;
	return sqlite3_changes(c->db) > 0 ? 1 : 0;
}

int
wgjit_cache_is_installed(struct wgjit_cache *c,
		const uint8_t key[WGJIT_KEY_LEN])
{
	sqlite3_stmt *s;
	int rc;

	if (!check_key(c, key))
		return -EINVAL;
	s = with_key(c, S_INST_HAS, key);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(c, s, rc, "look up install record");
	done(s);
	return rc == SQLITE_ROW;
}

struct install_rec {
	uint8_t key[WGJIT_KEY_LEN];
	bool has_ep;
	union wgjit_endpoint ep;
	uint64_t installed_ms;
	enum wgjit_cache_install_state state;
};

/* Grow *@p recs to hold @p n + 1 entries. */
static int
grow(struct install_rec **recs, size_t n, size_t *cap)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap == 0 ? 64 : *cap * 2;
	if (ncap > INT32_MAX)
		return -ENOMEM;
	p = realloc(*recs, ncap * sizeof(**recs));
	if (p == NULL)
		return -ENOMEM;
	*recs = p;
	*cap = ncap;
	return 0;
}

/* Decode the current S_INST_ALL row; false when its key is unusable. An
 * unreadable endpoint is reported as none. */
static bool
decode_record(struct wgjit_cache *c, sqlite3_stmt *s, struct install_rec *r)
{
	const void *key = sqlite3_column_blob(s, 0);
	int64_t state = sqlite3_column_int64(s, 3);

	if (key == NULL || sqlite3_column_bytes(s, 0) != WGJIT_KEY_LEN)
		return false;
	memcpy(r->key, key, WGJIT_KEY_LEN);
	r->has_ep = sqlite3_column_type(s, 1) == SQLITE_BLOB &&
		endpoint_from_blob(&r->ep, sqlite3_column_blob(s, 1),
			sqlite3_column_bytes(s, 1));
	if (!r->has_ep && sqlite3_column_type(s, 1) != SQLITE_NULL)
		c->stats.bad_rows++;
	r->installed_ms = sqlite3_column_int64(s, 2) < 0 ? 0 :
		(uint64_t)sqlite3_column_int64(s, 2);
	/* Anything but a clean "installed" is treated as an intent: the
	 * reconcile settles it against the device. */
	r->state = state == WGJIT_CACHE_INSTALLED ? WGJIT_CACHE_INSTALLED :
		WGJIT_CACHE_INTENT;
	return true;
}

/* Delete the record at @p rowid (its key is unusable). */
static void
drop_rowid(struct wgjit_cache *c, int64_t rowid)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "DELETE FROM installed WHERE rowid = %lld",
		(long long)rowid);
	if (sqlite3_exec(c->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		c->stats.db_errors++;
}

/* Read every install record into a heap array (*recs, free()d by caller). */
static int
read_installed(struct wgjit_cache *c, struct install_rec **recs)
{
	sqlite3_stmt *s = c->stmt[S_INST_ALL];
	int64_t bad[16];
	size_t n = 0, cap = 0, nb_bad = 0;
	int rc;

	*recs = NULL;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (grow(recs, n, &cap) < 0) {
			done(s);
			return fail(c, -ENOMEM, "list installs: out of memory");
		}
		if (decode_record(c, s, &(*recs)[n])) {
			n++;
			continue;
		}
		c->stats.bad_rows++;
		if (nb_bad < ARRAY_LEN(bad))
			bad[nb_bad++] = sqlite3_column_int64(s, 4);
	}
	if (rc != SQLITE_DONE)
		return db_fail(c, s, rc, "list installs");
	done(s);
	/* After the walk: a statement is not stepped while rows go. The
	 * rest of the bad rows go on the next walks. */
	for (size_t i = 0; i < nb_bad; i++)
		drop_rowid(c, bad[i]);
	return (int)n;
}

int
wgjit_cache_installed_foreach(struct wgjit_cache *c,
		wgjit_cache_installed_cb cb, void *arg)
{
	struct install_rec *recs;
	int n, ret = 0;

	if (c == NULL || cb == NULL)
		return -EINVAL;
	n = read_installed(c, &recs);
	for (int i = 0; i < n && ret == 0; i++)
		ret = cb(arg, recs[i].key, recs[i].has_ep ? &recs[i].ep : NULL,
				recs[i].installed_ms, recs[i].state);
	free(recs);
	if (n < 0 || ret != 0)
		return n < 0 ? n : ret;
	return n;
}

/* Run one bounded DELETE with ?1 = @p bound and ?2 = @p limit (or only
 * ?1 = @p limit when @p bound is negative); the rows deleted, or -errno. */
static int
delete_some(struct wgjit_cache *c, enum stmt_id id, int64_t bound,
		int64_t limit, const char *what)
{
	sqlite3_stmt *s = c->stmt[id];
	int ret;

	if (bound >= 0) {
		sqlite3_bind_int64(s, 1, bound);
		sqlite3_bind_int64(s, 2, limit);
	} else {
		sqlite3_bind_int64(s, 1, limit);
	}
	ret = run(c, s, what);
	return ret < 0 ? ret : sqlite3_changes(c->db);
}

/* Floors beyond replay_max, oldest seen first; -errno on failure. */
static int64_t
floors_over(struct wgjit_cache *c)
{
	sqlite3_stmt *s = c->stmt[S_REPLAY_COUNT];
	int64_t n;
	int rc = sqlite3_step(s);

	if (rc != SQLITE_ROW)
		return db_fail(c, s, rc, "count replay floors");
	n = sqlite3_column_int64(s, 0);
	done(s);
	return n > (int64_t)c->p.replay_max ? n - c->p.replay_max : 0;
}

int
wgjit_cache_expire(struct wgjit_cache *c, uint64_t now_ms)
{
	int64_t batch, old, over;
	int peers, floors, trimmed = 0;
	int ret;

	if (c == NULL)
		return -EINVAL;
	ret = check_now(c, now_ms);
	if (ret < 0)
		return ret;
	batch = c->p.expire_batch;
	peers = delete_some(c, S_PEER_EXPIRE, (int64_t)now_ms, batch,
		"expire peers");
	if (peers < 0)
		return peers;
	c->stats.expired += peers;
	old = now_ms > c->p.replay_retention_ms ?
		(int64_t)(now_ms - c->p.replay_retention_ms) : 0;
	floors = delete_some(c, S_REPLAY_AGE, old, batch, "prune floors");
	if (floors < 0)
		return floors;
	over = floors_over(c);
	if (over < 0)
		return (int)over;
	if (over > 0) {
		trimmed = delete_some(c, S_REPLAY_TRIM, -1,
			over < batch ? over : batch, "trim floors");
		if (trimmed < 0)
			return trimmed;
	}
	c->stats.floors_pruned += (uint64_t)floors + (uint64_t)trimmed;
	return peers + floors + trimmed;
}

/* A nesting count over one SQLite transaction. */
int
wgjit_cache_begin(struct wgjit_cache *c)
{
	int ret;

	if (c == NULL)
		return -EINVAL;
	if (c->tx_depth++ > 0)
		return 0;
	ret = run(c, c->stmt[S_BEGIN], "begin");
	if (ret < 0)
		c->tx_depth = 0;
	return ret;
}

int
wgjit_cache_commit(struct wgjit_cache *c)
{
	int ret;

	if (c == NULL || c->tx_depth == 0)
		return -EINVAL;
	if (--c->tx_depth > 0)
		return 0;
	ret = run(c, c->stmt[S_COMMIT], "commit");
	/* A failed commit must not leave the next pass inside it. */
	if (ret < 0 && !sqlite3_get_autocommit(c->db))
		run(c, c->stmt[S_ROLLBACK], "roll back");
	return ret;
}

void
wgjit_cache_stats(const struct wgjit_cache *c, struct wgjit_cache_stats *out)
{
	if (c == NULL || out == NULL)
		return;
	*out = c->stats;
}

uint64_t
wgjit_cache_negative_ttl_ms(const struct wgjit_cache *c)
{
	return c->p.negative_ttl_ms;
}

const char *
wgjit_cache_errmsg(const struct wgjit_cache *c)
{
	return c == NULL ? "no cache" : c->errmsg;
}
