/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_CACHE_PRIV_H
#define WGJIT_CACHE_PRIV_H

/*
 * Shared by wgjit_cache.c (the operations), wgjit_cache_open.c (file,
 * schema, statements) and wgjit_cache_salvage.c. Not installed; not part
 * of the contract.
 */

#include <sqlite3.h>

#include "wgjit_cache.h"

/* Kinds of peer rows (schema version 1 also had 0: pacing only). */
enum {
	KIND_POSITIVE = 1,
	KIND_NEGATIVE = 2,
};

/* Durations above this (about 34 years) are rejected: no overflow. */
#define MAX_DURATION_MS (UINT64_C(1) << 40)
/* Times above this are rejected, so now + duration fits in an int64. */
#define MAX_NOW_MS (UINT64_C(1) << 61)

/* The peer flags the cache keeps; install actions are not stored. */
#define STORED_FLAGS (WGJIT_PEER_HAS_PRESHARED_KEY | \
	WGJIT_PEER_HAS_KEEPALIVE | WGJIT_PEER_HAS_ENDPOINT)

#define AIPS_TEXT_SIZE (WGJIT_PEER_MAX_ALLOWED_IPS * WGJIT_ALLOWED_IP_STR_SIZE)

enum stmt_id {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_PEER_GET,
	S_PEER_STORE,
	S_PEER_EXPIRE,
	S_REPLAY_GET,
	S_REPLAY_PUT,
	S_REPLAY_AGE,
	S_REPLAY_COUNT,
	S_REPLAY_TRIM,
	S_INST_PUT,
	S_INST_DEL,
	S_INST_HAS,
	S_INST_ALL,
	S_COUNT,
};

struct wgjit_cache {
	sqlite3 *db;
	sqlite3_stmt *stmt[S_COUNT];
	struct wgjit_cache_params p;
	struct wgjit_cache_stats stats;
	unsigned int tx_depth;		/* wgjit_cache_begin() nesting */
	char errmsg[WGJIT_CACHE_ERR_SIZE];
};

/* Map a SQLite result code to a negative errno. */
int wgjit_cache_errno(int rc);

/* Describe a SQLite failure in c->errmsg; return the negative errno. */
int wgjit_cache_sqlite_error(struct wgjit_cache *c, int rc, const char *what);

/* Open @p path with the pragmas and checks of wgjit_cache_open() but
 * no schema work (salvage reads a file it must not change). */
int wgjit_cache_open_db(struct wgjit_cache *c, const char *path, int flags);

#endif /* WGJIT_CACHE_PRIV_H */
