/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_CACHE_H
#define WGJIT_CACHE_H

/**
 * @file
 * The control lcore's persistent memory, in one SQLite file, holding only
 * what the control plane or the network told us:
 *  - peer configurations the control plane returned (positive TTL), kept
 *    expired for `retention` more so that a returning key is known as one;
 *  - negative entries, for keys the control plane does not know (404),
 *    with their own TTL. A key the control plane has not answered has no
 *    row at all (fetch pacing and backoff live in memory, wgjit_pace.h):
 *    anyone can mint keys, and they must cost nothing here;
 *  - the newest TAI64N timestamp seen per authenticated key (replay
 *    floors), kept across eviction and restarts, bounded in number and
 *    pruned by age;
 *  - a record of what wgjit put into WireGuard: an intent, written before
 *    the install, that becomes an install record once the device took it.
 *    After a crash at any point every peer wgjit put in the device is
 *    still known as its own.
 *
 * Threads: everything here is for the control lcore only (one thread per
 * cache; the connection is opened without SQLite's mutexes). Nothing
 * blocks for long: WAL mode, statements prepared once at open, a busy
 * timeout of a few milliseconds. wgjit_cache_begin()/wgjit_cache_commit()
 * put a control pass's writes into one transaction.
 *
 * Time: every @p now_ms is wall-clock milliseconds since the Unix epoch
 * (CLOCK_REALTIME): rows are records and outlive the process. A row
 * written "in the future" (the clock stepped back since) counts as
 * expired, so a clock step never keeps a configuration alive.
 *
 * Errors: 0 (or a count, or a verdict) on success, a negative errno on
 * failure: -EINVAL bad argument, -EBUSY database locked by someone else,
 * -EIO corrupt file or I/O error, -ENOSPC disk full, -ENOMEM.
 * wgjit_cache_errmsg() describes the last failure. A malformed row (a NULL
 * or a blob of the wrong size, written by hand or by corruption) is
 * skipped and counted (stats.bad_rows), never dereferenced.
 *
 * Secrets: the file holds preshared keys. wgjit_cache_open() creates it
 * mode 0600 (and tightens an existing file to 0600); SQLite gives its -wal
 * and -shm files the same mode. secure_delete is on. The caller clears
 * the peers it gets back with wgjit_peer_clear().
 *
 * Durability: synchronous=NORMAL: a committed transaction survives a crash
 * of the process; a power cut may lose the last few.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wgjit_key.h"
#include "wgjit_peer.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Length of a TAI64N timestamp (compared as big-endian bytes). */
#define WGJIT_CACHE_TAI64N_LEN 12
/** The schema version this code writes (PRAGMA user_version). */
#define WGJIT_CACHE_SCHEMA_VERSION 2
/** Buffer size for wgjit_cache_open()'s error text. */
#define WGJIT_CACHE_ERR_SIZE 256

/**
 * Tunables; durations in milliseconds. Zero fields take the defaults of
 * wgjit_defaults.h (WGJIT_DEFAULT_CACHE_*).
 */
struct wgjit_cache_params {
	uint64_t positive_ttl_ms;	/**< config lifetime */
	uint64_t negative_ttl_ms;	/**< 404 lifetime */
	uint64_t retention_ms;		/**< expired configs kept this long */
	uint64_t replay_retention_ms;	/**< floors not seen this long go */
	unsigned int replay_max;	/**< floors kept at most */
	unsigned int busy_timeout_ms;	/**< SQLite busy timeout */
	unsigned int expire_batch;	/**< rows per wgjit_cache_expire() */
};

/** What the cache knows of a key. */
enum wgjit_cache_verdict {
	/** A fresh configuration was copied to the caller's peer. */
	WGJIT_CACHE_HIT = 1,
	/** The control plane does not know the key (fresh 404). */
	WGJIT_CACHE_NEGATIVE = 2,
	/** The key had a configuration that expired: a returning key. */
	WGJIT_CACHE_STALE = 3,
	/** Nothing known: a key never answered (or its 404 expired). */
	WGJIT_CACHE_MISS = 4,
};

/** State of an install record. */
enum wgjit_cache_install_state {
	/** Written before the install: the peer may be in the device. */
	WGJIT_CACHE_INTENT = 0,
	/** The device took it. */
	WGJIT_CACHE_INSTALLED = 1,
};

/** Counters since open (plain reads; control lcore only). */
struct wgjit_cache_stats {
	uint64_t hits;		/**< WGJIT_CACHE_HIT verdicts */
	uint64_t negative_hits;	/**< WGJIT_CACHE_NEGATIVE verdicts */
	uint64_t stale;		/**< WGJIT_CACHE_STALE verdicts */
	uint64_t misses;	/**< WGJIT_CACHE_MISS verdicts */
	uint64_t expired;	/**< rows dropped by wgjit_cache_expire() */
	uint64_t floors_pruned;	/**< replay floors dropped by age or number */
	uint64_t bad_rows;	/**< malformed rows skipped */
	uint64_t db_errors;	/**< calls that failed in SQLite */
};

struct wgjit_cache;

/**
 * Open or create the cache file at @p path (init, control lcore).
 * Checks the file (quick_check), the schema version (and upgrades a
 * version 1 file in place, keeping its floors, configurations and install
 * records) and WAL mode.
 *
 * @param p tunables, or NULL for the defaults.
 * @param err receives a one-line reason on failure (may be NULL); for a
 *   corrupt file it says how to salvage it (wgjit_cache_salvage()).
 * @return the cache, or NULL with errno set: EINVAL (bad parameter, not a
 *   wgjit cache, or a schema version this code does not know), EIO
 *   (corrupt or unreadable file), EBUSY (locked by another process),
 *   EACCES/ENOENT (cannot open), ENOMEM.
 */
struct wgjit_cache *wgjit_cache_open(const char *path,
		const struct wgjit_cache_params *p, char *err, size_t errlen);

/** Finalize statements and close the file. NULL is a no-op. */
void wgjit_cache_close(struct wgjit_cache *c);

/** The last failure as text (never NULL; "" when none). */
const char *wgjit_cache_errmsg(const struct wgjit_cache *c);

/**
 * Start a transaction; wgjit_cache_commit() ends it. Nested calls count:
 * only the outermost commit writes. Writes outside one are their own.
 * @return 0 or -errno.
 */
int wgjit_cache_begin(struct wgjit_cache *c);
int wgjit_cache_commit(struct wgjit_cache *c);

/**
 * What is known of @p key at @p now_ms. Reads only; no row is written.
 * @param out receives the configuration on WGJIT_CACHE_HIT (the caller
 *   clears it with wgjit_peer_clear()); untouched otherwise; may be NULL.
 * @return an enum wgjit_cache_verdict, or a negative errno.
 */
int wgjit_cache_lookup(struct wgjit_cache *c, const uint8_t key[WGJIT_KEY_LEN],
		uint64_t now_ms, struct wgjit_peer *out);

/**
 * Store the control plane's configuration for peer->public_key, fresh for
 * positive_ttl_ms. Kept: allowed IPs, preshared key, keepalive, endpoint
 * (each per its WGJIT_PEER_HAS_* flag).
 * @return 0, -EINVAL (bad allowed IP or endpoint), or a negative errno.
 */
int wgjit_cache_store_peer(struct wgjit_cache *c, const struct wgjit_peer *peer,
		uint64_t now_ms);

/** Record a 404 for @p key, valid for negative_ttl_ms. 0 or -errno. */
int wgjit_cache_store_negative(struct wgjit_cache *c,
		const uint8_t key[WGJIT_KEY_LEN], uint64_t now_ms);

/**
 * The replay floor of @p key: 1 and @p ts filled when there is one, 0
 * when not, or -errno. A malformed row counts as none (bad_rows).
 */
int wgjit_cache_floor_get(struct wgjit_cache *c,
		const uint8_t key[WGJIT_KEY_LEN],
		uint8_t ts[WGJIT_CACHE_TAI64N_LEN]);

/**
 * Raise the floor of @p key to @p ts (a smaller or equal @p ts leaves it
 * where it is) and note @p now_ms as the time it was last seen (what age
 * pruning goes by). 0 or -errno.
 */
int wgjit_cache_floor_raise(struct wgjit_cache *c,
		const uint8_t key[WGJIT_KEY_LEN],
		const uint8_t ts[WGJIT_CACHE_TAI64N_LEN], uint64_t now_ms);

/**
 * Record that @p key is being (INTENT) or was (INSTALLED) put into
 * WireGuard, with its endpoint (NULL when none). Replaces an earlier
 * record. 0 or -errno.
 */
int wgjit_cache_record(struct wgjit_cache *c, const uint8_t key[WGJIT_KEY_LEN],
		const union wgjit_endpoint *ep, uint64_t now_ms,
		enum wgjit_cache_install_state state);

/** Forget the install record of @p key. 1 removed, 0 none, or -errno. */
int wgjit_cache_record_remove(struct wgjit_cache *c,
		const uint8_t key[WGJIT_KEY_LEN]);

/** 1 when @p key has an install record (either state), 0 when not, or
 * -errno. */
int wgjit_cache_is_installed(struct wgjit_cache *c,
		const uint8_t key[WGJIT_KEY_LEN]);

/**
 * Called once per install record. @p ep is NULL when none was recorded
 * (or the stored one is malformed). A non-zero return stops the walk and
 * is returned by the foreach.
 */
typedef int (*wgjit_cache_installed_cb)(void *arg,
		const uint8_t key[WGJIT_KEY_LEN], const union wgjit_endpoint *ep,
		uint64_t installed_ms, enum wgjit_cache_install_state state);

/**
 * Call @p cb for every install record, oldest first. The records are read
 * first, so @p cb may change them. A record whose key is malformed is
 * deleted and counted, not passed on.
 * @return the number of records visited, cb's non-zero value, or -errno.
 */
int wgjit_cache_installed_foreach(struct wgjit_cache *c,
		wgjit_cache_installed_cb cb, void *arg);

/**
 * Drop at most expire_batch rows: negative entries past their TTL,
 * configurations past TTL + retention, replay floors not seen for
 * replay_retention and the oldest floors beyond replay_max. Install
 * records are never expired. Call it from the control loop's idle time.
 * @return the number of rows dropped, or -errno.
 */
int wgjit_cache_expire(struct wgjit_cache *c, uint64_t now_ms);

/** The negative TTL in use (the parameter or its default). */
uint64_t wgjit_cache_negative_ttl_ms(const struct wgjit_cache *c);

/** Copy the counters. */
void wgjit_cache_stats(const struct wgjit_cache *c,
		struct wgjit_cache_stats *out);

/**
 * The way back from a corrupt cache: read what can still be read of the
 * replay floors (and install records) of @p corrupt, row by row, and
 * write them into a new cache at @p fresh (which must not exist). The
 * configurations are not kept: they are fetched again.
 * @return the number of floors saved, or -errno with @p err filled.
 */
int wgjit_cache_salvage(const char *corrupt, const char *fresh, char *err,
		size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_CACHE_H */
