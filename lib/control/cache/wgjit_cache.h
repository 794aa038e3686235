/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_CACHE_H
#define WGJIT_CACHE_H

/**
 * @file
 * The control lcore's persistent memory, in one SQLite file:
 *  - peer configurations fetched from the control plane (positive TTL);
 *  - negative entries, for keys the control plane does not know (404),
 *    with their own TTL;
 *  - per-key fetch pacing: at most one fetch grant per key within the
 *    minimum re-fetch interval, and exponential backoff after transient
 *    failures (5xx, timeouts), which are never negative-cached;
 *  - the last accepted TAI64N timestamp per key, so that replay protection
 *    survives a restart;
 *  - a record of what wgjit installed into WireGuard, for eviction and for
 *    clean-up after a restart.
 *
 * Threads: everything here is for the control lcore only (one thread per
 * cache; the connection is opened without SQLite's mutexes). Nothing blocks
 * for long: the database runs in WAL mode, statements are prepared once at
 * open, and a database locked by another process makes a call fail with
 * -EBUSY after the busy timeout (a few milliseconds) instead of waiting.
 *
 * Time: every @p now_ms is wall-clock milliseconds since the Unix epoch
 * (CLOCK_REALTIME), passed in by the caller, because rows outlive the
 * process. Tests pass any value they like.
 *
 * Errors: 0 (or a count, or a verdict) on success, a negative errno on
 * failure: -EINVAL bad argument, -EBUSY database locked by someone else,
 * -EIO corrupt file or I/O error, -ENOSPC disk full, -ENOMEM.
 * wgjit_cache_errmsg() describes the last failure.
 *
 * Secrets: the file holds preshared keys. wgjit_cache_open() creates it
 * mode 0600 (and tightens an existing file to 0600); SQLite gives its -wal
 * and -shm files the same mode. secure_delete is on, so deleted rows are
 * overwritten. Preshared keys are bound straight from the caller's
 * struct (no copy of ours to clear); SQLite's own page cache holds them
 * while the file is open. A lookup that fails half-way clears the peer it
 * was filling with sodium_memzero(); the caller clears what it gets back.
 *
 * Durability: synchronous=NORMAL, so a power cut (not a crash) may lose
 * the last few writes, replay timestamps included.
 */

#include <stdint.h>
#include <stddef.h>

#include "wgjit_key.h"
#include "wgjit_peer.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Length of a TAI64N timestamp (compared as big-endian bytes). */
#define WGJIT_CACHE_TAI64N_LEN 12
/** The schema version this code writes (PRAGMA user_version). */
#define WGJIT_CACHE_SCHEMA_VERSION 1
/** Buffer size for wgjit_cache_open()'s error text. */
#define WGJIT_CACHE_ERR_SIZE 256

/**
 * Tunables; all durations in milliseconds. Zero fields take the defaults
 * of wgjit_defaults.h (WGJIT_DEFAULT_CACHE_*).
 */
struct wgjit_cache_params {
	uint64_t positive_ttl_ms;	/**< config lifetime */
	uint64_t negative_ttl_ms;	/**< 404 lifetime */
	uint64_t min_refetch_ms;	/**< one grant per key per window */
	uint64_t backoff_min_ms;	/**< first transient backoff */
	uint64_t backoff_max_ms;	/**< backoff cap */
	unsigned int busy_timeout_ms;	/**< SQLite busy timeout */
	unsigned int expire_batch;	/**< rows per wgjit_cache_expire() */
};

/** What the control lcore should do about a key. */
enum wgjit_cache_verdict {
	/** A fresh configuration was copied to the caller's peer. */
	WGJIT_CACHE_HIT = 1,
	/** The control plane does not know the key: do nothing. */
	WGJIT_CACHE_NEGATIVE = 2,
	/** Fetch now; the grant is recorded, so the next lookups WAIT. */
	WGJIT_CACHE_FETCH = 3,
	/** A fetch is in flight or backing off: do nothing. */
	WGJIT_CACHE_WAIT = 4,
};

/** Counters since open (plain reads; control lcore only). */
struct wgjit_cache_stats {
	uint64_t hits;		/**< WGJIT_CACHE_HIT verdicts */
	uint64_t negative_hits;	/**< WGJIT_CACHE_NEGATIVE verdicts */
	uint64_t fetch_grants;	/**< WGJIT_CACHE_FETCH verdicts */
	uint64_t suppressed;	/**< WGJIT_CACHE_WAIT verdicts */
	uint64_t failures;	/**< wgjit_cache_note_failure() calls */
	uint64_t expired;	/**< rows dropped by wgjit_cache_expire() */
	uint64_t db_errors;	/**< calls that failed in SQLite */
};

struct wgjit_cache;

/**
 * Open or create the cache file at @p path (init, control lcore).
 * Checks the file (quick_check), the schema version and WAL mode.
 *
 * @param p tunables, or NULL for the defaults.
 * @param err receives a one-line reason on failure (may be NULL).
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
 * What to do about @p key. On WGJIT_CACHE_FETCH the grant time is
 * recorded: further lookups inside the re-fetch window (or the backoff
 * after a failure) say WGJIT_CACHE_WAIT, until the caller reports the
 * outcome with store_peer, store_negative or note_failure. A grant whose
 * outcome never comes is granted again after the window.
 *
 * An expired configuration is not served: the verdict is FETCH (or WAIT),
 * as for an unknown key. Cost: one indexed read, plus one write on FETCH.
 *
 * @param out receives the configuration on WGJIT_CACHE_HIT, including the
 *   preshared key, and is untouched otherwise; may be NULL. The caller
 *   clears it with wgjit_peer_clear(). @p key may point into @p out.
 * @return an enum wgjit_cache_verdict, or a negative errno.
 */
int wgjit_cache_lookup(struct wgjit_cache *c, const uint8_t key[WGJIT_KEY_LEN],
		uint64_t now_ms, struct wgjit_peer *out);

/**
 * Store the control plane's configuration for peer->public_key, fresh for
 * positive_ttl_ms. Kept: allowed IPs, preshared key, keepalive, endpoint
 * (each per its WGJIT_PEER_HAS_* flag). Clears the key's failure count.
 * @return 0, -EINVAL (bad allowed IP or endpoint), or a negative errno.
 */
int wgjit_cache_store_peer(struct wgjit_cache *c, const struct wgjit_peer *peer,
		uint64_t now_ms);

/** Record a 404 for @p key, valid for negative_ttl_ms. 0 or -errno. */
int wgjit_cache_store_negative(struct wgjit_cache *c,
		const uint8_t key[WGJIT_KEY_LEN], uint64_t now_ms);

/**
 * Record a transient failure for @p key: the next grant comes after
 * backoff_min_ms, doubling with each consecutive failure up to
 * backoff_max_ms. A stored configuration or 404 is kept as it is.
 * @return the backoff applied in milliseconds (> 0), or a negative errno.
 */
int64_t wgjit_cache_note_failure(struct wgjit_cache *c,
		const uint8_t key[WGJIT_KEY_LEN], uint64_t now_ms);

/**
 * Replay store, in the shape of struct wgjit_replay_store (arg is
 * the struct wgjit_cache *).
 * lookup: 1 and @p last filled when known, 0 when not, <0 error.
 * commit: store @p ts; the stored value never moves backwards (a smaller
 * or equal @p ts leaves it unchanged). 0 or <0 error.
 */
int wgjit_cache_replay_lookup(void *arg, const uint8_t key[WGJIT_KEY_LEN],
		uint8_t last[WGJIT_CACHE_TAI64N_LEN]);
int wgjit_cache_replay_commit(void *arg, const uint8_t key[WGJIT_KEY_LEN],
		const uint8_t ts[WGJIT_CACHE_TAI64N_LEN]);

/**
 * Record that @p key was installed into WireGuard, with its endpoint
 * (NULL when none). Replaces an earlier record. 0 or -errno.
 */
int wgjit_cache_record_install(struct wgjit_cache *c,
		const uint8_t key[WGJIT_KEY_LEN],
		const union wgjit_endpoint *ep, uint64_t now_ms);

/** Forget the install record of @p key. 1 removed, 0 none, or -errno. */
int wgjit_cache_record_remove(struct wgjit_cache *c,
		const uint8_t key[WGJIT_KEY_LEN]);

/** 1 when @p key has an install record, 0 when not, or -errno. */
int wgjit_cache_is_installed(struct wgjit_cache *c,
		const uint8_t key[WGJIT_KEY_LEN]);

/**
 * Called once per install record. @p ep is NULL when none was recorded.
 * A non-zero return stops the walk and is returned by the foreach.
 */
typedef int (*wgjit_cache_installed_cb)(void *arg,
		const uint8_t key[WGJIT_KEY_LEN], const union wgjit_endpoint *ep,
		uint64_t installed_ms);

/**
 * Call @p cb for every install record, oldest first. The records are read
 * first, so @p cb may call wgjit_cache_record_remove() (eviction).
 * @return the number of records visited, cb's non-zero value, or -errno.
 */
int wgjit_cache_installed_foreach(struct wgjit_cache *c,
		wgjit_cache_installed_cb cb, void *arg);

/**
 * Drop at most expire_batch peer rows whose entry has expired and whose
 * re-fetch window and longest backoff are over. Replay and install rows
 * are never expired. Call it from the control loop's idle time.
 * @return the number of rows dropped, or -errno.
 */
int wgjit_cache_expire(struct wgjit_cache *c, uint64_t now_ms);

/** The negative TTL in use (the parameter or its default). */
uint64_t wgjit_cache_negative_ttl_ms(const struct wgjit_cache *c);

/** Copy the counters. */
void wgjit_cache_stats(const struct wgjit_cache *c,
		struct wgjit_cache_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_CACHE_H */
