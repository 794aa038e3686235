/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_WATCH_H
#define WGJIT_WATCH_H

/**
 * @file
 * Bring-ups in progress: one entry per peer wgjit just installed, until
 * its first handshake (or its deadline). Found by public key and by the
 * endpoint it was installed at, since the data path reports events by
 * endpoint (wgjit_handoff.h).
 *
 * Threads: control lcore only. Entry pointers are valid until the next
 * add or remove.
 */

#include <stdbool.h>
#include <stdint.h>

#include "wgjit_key.h"
#include "wgjit_peer.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One bring-up. The caller fills what it needs after wgjit_watch_add(). */
struct wgjit_watch_entry {
	uint8_t key[WGJIT_KEY_LEN];
	union wgjit_endpoint ep;
	uint64_t rx_ns;		/**< the initiation's arrival (monotonic) */
	uint64_t installed_ns;	/**< when the device took the peer */
	uint64_t deadline_ms;	/**< monotonic; then abandon or give up */
	uint16_t keepalive;	/**< configured value to restore */
	bool restore;		/**< bring-up changed the keepalive */
	bool initiate;		/**< the gateway sends the first message */
	bool gateway_sent;	/**< its first handshake message went out */
};

struct wgjit_watch;

/** @return a table of at most @p entries, or NULL with errno. */
struct wgjit_watch *wgjit_watch_create(unsigned int entries);

/** Free. NULL is allowed. */
void wgjit_watch_free(struct wgjit_watch *w);

/**
 * Start watching @p key at @p ep (replaces a watch of the same key).
 * @return the entry (key and ep set, the rest zero), or NULL when full.
 */
struct wgjit_watch_entry *wgjit_watch_add(struct wgjit_watch *w,
		const uint8_t key[WGJIT_KEY_LEN], const union wgjit_endpoint *ep);

/** The watch of @p key, or NULL. */
struct wgjit_watch_entry *wgjit_watch_find(struct wgjit_watch *w,
		const uint8_t key[WGJIT_KEY_LEN]);

/** The watch of the peer installed at @p ep, or NULL. */
struct wgjit_watch_entry *wgjit_watch_find_ep(struct wgjit_watch *w,
		const union wgjit_endpoint *ep);

/** Stop watching @p key. */
void wgjit_watch_remove(struct wgjit_watch *w, const uint8_t key[WGJIT_KEY_LEN]);

/** Watches now, and at most. */
unsigned int wgjit_watch_count(const struct wgjit_watch *w);
unsigned int wgjit_watch_capacity(const struct wgjit_watch *w);

/**
 * Iterate: start with *@p pos = 0; NULL at the end. An entry the caller
 * removes while iterating is removed with wgjit_watch_remove_current().
 */
struct wgjit_watch_entry *wgjit_watch_next(struct wgjit_watch *w,
		unsigned int *pos);
void wgjit_watch_remove_current(struct wgjit_watch *w, unsigned int *pos);

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_WATCH_H */
