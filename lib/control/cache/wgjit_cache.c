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

static int
grant(struct wgjit_cache *c, const uint8_t *key, uint64_t now_ms)
{
	sqlite3_stmt *s = with_key(c, S_PEER_GRANT, key);
	int ret;

	sqlite3_bind_int64(s, 2, (int64_t)(now_ms + c->p.min_refetch_ms));
	ret = run(c, s, "record fetch grant");
	if (ret < 0)
		return ret;
	c->stats.fetch_grants++;
	return WGJIT_CACHE_FETCH;
}

int
wgjit_cache_lookup(struct wgjit_cache *c, const uint8_t key[WGJIT_KEY_LEN],
		uint64_t now_ms, struct wgjit_peer *out)
{
	uint8_t k[WGJIT_KEY_LEN];
	sqlite3_stmt *s;
	int64_t now, kind, expires, next_fetch;
	int rc, ret;

	ret = check_args(c, key, now_ms);
	if (ret < 0)
		return ret;
	now = (int64_t)now_ms;
	/* A local copy: @p key may point into @p out. */
	memcpy(k, key, WGJIT_KEY_LEN);
	key = k;
	s = with_key(c, S_PEER_GET, key);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		done(s);
		return grant(c, key, now_ms);
	}
	if (rc != SQLITE_ROW)
		return db_fail(c, s, rc, "look up peer");
	kind = sqlite3_column_int64(s, 0);
	expires = sqlite3_column_int64(s, 1);
	next_fetch = sqlite3_column_int64(s, 2);
	if (kind == KIND_POSITIVE && now < expires) {
		ret = out == NULL ? 0 : decode_peer(s, key, out);
		done(s);
		if (ret < 0) {
			wgjit_peer_clear(out);
			c->stats.db_errors++;
			snprintf(c->errmsg, sizeof(c->errmsg),
					"look up peer: corrupt row");
			return ret;
		}
		c->stats.hits++;
		return WGJIT_CACHE_HIT;
	}
	done(s);
	if (kind == KIND_NEGATIVE && now < expires) {
		c->stats.negative_hits++;
		return WGJIT_CACHE_NEGATIVE;
	}
	if (now < next_fetch) {
		c->stats.suppressed++;
		return WGJIT_CACHE_WAIT;
	}
	return grant(c, key, now_ms);
}

/* S_PEER_STORE with everything but the preshared key and the endpoint
 * bound (the keepalive as 0); the caller binds those it has. */
static sqlite3_stmt *
store_row(struct wgjit_cache *c, const uint8_t *key, int64_t kind,
		uint64_t expires_ms, uint32_t flags, const char *aips)
{
	sqlite3_stmt *s = with_key(c, S_PEER_STORE, key);

	sqlite3_bind_int64(s, 2, kind);
	sqlite3_bind_int64(s, 3, (int64_t)expires_ms);
	sqlite3_bind_int64(s, 4, flags);
	sqlite3_bind_int64(s, 6, 0);
	sqlite3_bind_text(s, 8, aips, -1, SQLITE_STATIC);
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
	s = store_row(c, peer->public_key, KIND_POSITIVE,
			now_ms + c->p.positive_ttl_ms, flags, aips);
	/* SQLITE_STATIC: SQLite reads the caller's key, no copy of ours. */
	if (flags & WGJIT_PEER_HAS_PRESHARED_KEY)
		sqlite3_bind_blob(s, 5, peer->preshared_key, WGJIT_KEY_LEN,
				SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, (flags & WGJIT_PEER_HAS_KEEPALIVE) ?
			peer->persistent_keepalive : 0);
	if (flags & WGJIT_PEER_HAS_ENDPOINT)
		sqlite3_bind_blob(s, 7, &peer->endpoint,
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
	return run(c, store_row(c, key, KIND_NEGATIVE,
			now_ms + c->p.negative_ttl_ms, 0, ""),
			"store negative entry");
}

int64_t
wgjit_cache_note_failure(struct wgjit_cache *c,
		const uint8_t key[WGJIT_KEY_LEN], uint64_t now_ms)
{
	sqlite3_stmt *s;
	int64_t failures;
	unsigned int shift;
	int rc, ret;

	ret = check_args(c, key, now_ms);
	if (ret < 0)
		return ret;
	s = with_key(c, S_PEER_FAIL, key);
	sqlite3_bind_int64(s, 2, (int64_t)now_ms);
	sqlite3_bind_int64(s, 3, (int64_t)c->p.backoff_min_ms);
	sqlite3_bind_int64(s, 4, (int64_t)c->p.backoff_max_ms);
	sqlite3_bind_int64(s, 5, c->backoff_shift_max);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW)
		return db_fail(c, s, rc, "note failure");
	failures = sqlite3_column_int64(s, 0);
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		return db_fail(c, s, rc, "note failure");
	done(s);
	c->stats.failures++;
	shift = failures - 1 < c->backoff_shift_max ?
		(unsigned int)(failures - 1) : c->backoff_shift_max;
	if ((c->p.backoff_min_ms << shift) > c->p.backoff_max_ms)
		return (int64_t)c->p.backoff_max_ms;
	return (int64_t)(c->p.backoff_min_ms << shift);
}

int
wgjit_cache_replay_lookup(void *arg, const uint8_t key[WGJIT_KEY_LEN],
		uint8_t last[WGJIT_CACHE_TAI64N_LEN])
{
	struct wgjit_cache *c = arg;
	sqlite3_stmt *s;
	int rc;

	if (!check_key(c, key) || last == NULL)
		return -EINVAL;
	s = with_key(c, S_REPLAY_GET, key);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		done(s);
		return 0;
	}
	if (rc != SQLITE_ROW)
		return db_fail(c, s, rc, "look up replay timestamp");
	if (sqlite3_column_bytes(s, 0) != WGJIT_CACHE_TAI64N_LEN) {
		done(s);
		return fail(c, -EIO, "replay timestamp: corrupt row");
	}
	memcpy(last, sqlite3_column_blob(s, 0), WGJIT_CACHE_TAI64N_LEN);
	done(s);
	return 1;
}

int
wgjit_cache_replay_commit(void *arg, const uint8_t key[WGJIT_KEY_LEN],
		const uint8_t ts[WGJIT_CACHE_TAI64N_LEN])
{
	struct wgjit_cache *c = arg;
	sqlite3_stmt *s;

	if (!check_key(c, key) || ts == NULL)
		return -EINVAL;
	s = with_key(c, S_REPLAY_PUT, key);
	sqlite3_bind_blob(s, 2, ts, WGJIT_CACHE_TAI64N_LEN, SQLITE_STATIC);
	return run(c, s, "commit replay timestamp");
}

int
wgjit_cache_record_install(struct wgjit_cache *c,
		const uint8_t key[WGJIT_KEY_LEN],
		const union wgjit_endpoint *ep, uint64_t now_ms)
{
	sqlite3_stmt *s;
	int ret;

	ret = check_args(c, key, now_ms);
	if (ret < 0)
		return ret;
	if (ep != NULL && endpoint_len(ep) == 0)
		return fail(c, -EINVAL, "endpoint: bad address family");
	s = with_key(c, S_INST_PUT, key);
	if (ep != NULL)
		sqlite3_bind_blob(s, 2, ep, endpoint_len(ep), SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (int64_t)now_ms);
	return run(c, s, "record install");
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
};

/* Read every install record into a heap array (*recs, free()d by caller). */
static int
read_installed(struct wgjit_cache *c, struct install_rec **recs)
{
	sqlite3_stmt *s = c->stmt[S_INST_ALL];
	size_t n = 0, cap = 0;
	int rc;

	*recs = NULL;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct install_rec *r;

		if (n == cap) {
			size_t ncap = cap == 0 ? 64 : cap * 2;
			void *p = realloc(*recs, ncap * sizeof(**recs));

			if (p == NULL || ncap > INT32_MAX) {
				done(s);
				return fail(c, -ENOMEM, "list installs: out of memory");
			}
			*recs = p;
			cap = ncap;
		}
		r = &(*recs)[n];
		if (sqlite3_column_bytes(s, 0) != WGJIT_KEY_LEN) {
			done(s);
			return fail(c, -EIO, "list installs: corrupt row");
		}
		memcpy(r->key, sqlite3_column_blob(s, 0), WGJIT_KEY_LEN);
		r->has_ep = sqlite3_column_type(s, 1) != SQLITE_NULL;
		if (r->has_ep && !endpoint_from_blob(&r->ep,
				sqlite3_column_blob(s, 1), sqlite3_column_bytes(s, 1))) {
			done(s);
			return fail(c, -EIO, "list installs: corrupt endpoint");
		}
		r->installed_ms = (uint64_t)sqlite3_column_int64(s, 2);
		n++;
	}
	if (rc != SQLITE_DONE)
		return db_fail(c, s, rc, "list installs");
	done(s);
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
				recs[i].installed_ms);
	free(recs);
	if (n < 0 || ret != 0)
		return n < 0 ? n : ret;
	return n;
}

int
wgjit_cache_expire(struct wgjit_cache *c, uint64_t now_ms)
{
	sqlite3_stmt *s;
	uint64_t settled;
	int ret;

	if (c == NULL)
		return -EINVAL;
	ret = check_now(c, now_ms);
	if (ret < 0)
		return ret;
	/* Keep rows whose pacing or longest backoff may still matter. */
	settled = now_ms > c->p.backoff_max_ms ? now_ms - c->p.backoff_max_ms : 0;
	s = c->stmt[S_PEER_EXPIRE];
	sqlite3_bind_int64(s, 1, (int64_t)now_ms);
	sqlite3_bind_int64(s, 2, (int64_t)settled);
	sqlite3_bind_int64(s, 3, c->p.expire_batch);
	ret = run(c, s, "expire peers");
	if (ret < 0)
		return ret;
	ret = sqlite3_changes(c->db);
	c->stats.expired += ret;
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
