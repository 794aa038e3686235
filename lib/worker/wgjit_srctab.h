/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_SRCTAB_H
#define WGJIT_SRCTAB_H

/**
 * @file
 * A fixed-size table keyed by a source address (optionally with its port):
 * 4-way set-associative, indexed by a keyed hash (SipHash, random key per
 * table), no allocation after create. Backs the per-source rate limiter
 * (which refuses a new source when its set is busy) and the worker's
 * table of known endpoints (which replaces the least recently stamped).
 *
 * Threads: one table belongs to one lcore; no locks.
 */

#include <stdbool.h>
#include <stdint.h>

#include "wgjit_peer.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A normalised source: IPv4 in the first 4 bytes, family 0 = empty. */
struct wgjit_srctab_key {
	uint8_t addr[16];
	uint16_t port;
	uint16_t family;
};

/** One slot; @p value belongs to the user of the table. */
struct wgjit_srctab_slot {
	struct wgjit_srctab_key key;
	uint64_t stamp;
	uint64_t value;
};

struct wgjit_srctab;

/**
 * Build the key of @p ep: the whole IPv4 address, the first @p v6_bytes
 * bytes of an IPv6 address (8 = a /64), and the port when @p with_port.
 * @return 0, or -EAFNOSUPPORT for a family other than AF_INET/AF_INET6.
 */
int wgjit_srctab_key_from(struct wgjit_srctab_key *key,
		const union wgjit_endpoint *ep, bool with_port,
		unsigned int v6_bytes);

/**
 * Create a table of at least @p entries slots (rounded up to a power of
 * two, at least 4). Init only. @return the table or NULL with errno set.
 */
struct wgjit_srctab *wgjit_srctab_create(unsigned int entries);

/** Free a table. NULL is allowed. */
void wgjit_srctab_free(struct wgjit_srctab *t);

/** The slot of @p key, or NULL. */
struct wgjit_srctab_slot *wgjit_srctab_lookup(struct wgjit_srctab *t,
		const struct wgjit_srctab_key *key);

/**
 * The slot of @p key; when absent, take a free slot of its set or the one
 * with the lowest stamp, set its key and zero its value (*@p created =
 * true). The caller sets the stamp. Never fails.
 */
struct wgjit_srctab_slot *wgjit_srctab_insert(struct wgjit_srctab *t,
		const struct wgjit_srctab_key *key, bool *created);

/**
 * As wgjit_srctab_insert(), but a set is full when even its least recently
 * stamped slot was stamped within @p max_age of @p now: then nothing is
 * replaced and NULL is returned. @p max_age 0 never refuses.
 */
struct wgjit_srctab_slot *wgjit_srctab_insert_stale(struct wgjit_srctab *t,
		const struct wgjit_srctab_key *key, uint64_t now,
		uint64_t max_age, bool *created);

/** Remove @p key. @return 0, or -ENOENT. */
int wgjit_srctab_remove(struct wgjit_srctab *t,
		const struct wgjit_srctab_key *key);

/** Number of slots in use. */
unsigned int wgjit_srctab_count(const struct wgjit_srctab *t);

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_SRCTAB_H */
