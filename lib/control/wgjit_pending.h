/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_PENDING_H
#define WGJIT_PENDING_H

/**
 * @file
 * Initiations waiting for their key's fetch: one per key, the newest. A
 * waiting initiation is replaced only by a strictly newer one (TAI64N), so
 * a replay sent while the fetch runs can never take the client's place
 * (and its endpoint).
 *
 * Two classes share the table: keys that were valid before (the cache had
 * their configuration, or a replay floor: a returning client) and keys
 * never seen. Never-seen keys may take at most new_share percent of the
 * entries, so that a flood of minted keys leaves room for every returning
 * client.
 *
 * Held frames: an initiation put here carries its held frame; the table
 * owns it until wgjit_pending_take() gives it back, or hands it to the
 * release callback when it is replaced, refused or flushed.
 *
 * Threads: control lcore only.
 */

#include <stdbool.h>
#include <stdint.h>

#include "wgjit_handoff.h"
#include "wgjit_key.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Who is waiting. */
enum wgjit_pending_class {
	WGJIT_PENDING_RETURNING = 0,	/**< known to the cache before */
	WGJIT_PENDING_NEW = 1,		/**< never answered */
	WGJIT_PENDING_NB_CLASSES,
};

/** What wgjit_pending_put() did. */
enum wgjit_pending_result {
	WGJIT_PENDING_ADDED = 0,	/**< a new entry */
	WGJIT_PENDING_REPLACED,		/**< newer than the one waiting */
	WGJIT_PENDING_NOT_NEWER,	/**< refused: not newer (released) */
	WGJIT_PENDING_FULL,		/**< refused: no room in its class */
};

/** Called with every held frame the table lets go of. */
typedef void (*wgjit_pending_release_t)(void *arg, void *held);

struct wgjit_pending_params {
	unsigned int entries;		/**< initiations waiting at most */
	unsigned int new_share;		/**< percent for never-seen keys */
	wgjit_pending_release_t release;
	void *arg;
};

struct wgjit_pending;

/** @return the table, or NULL with errno (EINVAL, ENOMEM). */
struct wgjit_pending *wgjit_pending_create(const struct wgjit_pending_params *p);

/** Release every held frame and free. NULL is allowed. */
void wgjit_pending_free(struct wgjit_pending *pd);

/**
 * Let @p in wait for its key's fetch. A key already waiting keeps its
 * class. On NOT_NEWER and FULL @p in's held frame is released.
 */
enum wgjit_pending_result wgjit_pending_put(struct wgjit_pending *pd,
		const struct wgjit_ctl_initiation *in,
		enum wgjit_pending_class cls, uint64_t now_ns);

/** True when @p key has an initiation waiting. */
bool wgjit_pending_has(const struct wgjit_pending *pd,
		const uint8_t key[WGJIT_KEY_LEN]);

/**
 * Take the initiation waiting for @p key (its held frame is the caller's
 * now); @p since_ns (may be NULL) gets the @p now_ns of the put that
 * added the entry. @return true when there was one.
 */
bool wgjit_pending_take(struct wgjit_pending *pd,
		const uint8_t key[WGJIT_KEY_LEN], struct wgjit_ctl_initiation *out,
		uint64_t *since_ns);

/** Entries of @p cls now. */
unsigned int wgjit_pending_count(const struct wgjit_pending *pd,
		enum wgjit_pending_class cls);

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_PENDING_H */
