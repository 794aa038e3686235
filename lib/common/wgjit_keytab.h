/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_KEYTAB_H
#define WGJIT_KEYTAB_H

/**
 * @file
 * The one table keyed by public keys that the control lcore's modules use
 * (fetch pacing, waiting initiations, handshake watches): a fixed number
 * of entries, each a key and a value of a size the user picks, found by
 * a keyed hash (wgjit_key_hash(), a random secret per table: keys come
 * from the network) with linear probing at most half full, and removal by
 * backward shift (no tombstones, so a long run never degrades it).
 *
 * Values move when others are removed: a pointer returned by find/insert
 * is valid until the next remove. Nothing allocates after create.
 *
 * Threads: a table belongs to one thread.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wgjit_key.h"

#ifdef __cplusplus
extern "C" {
#endif

struct wgjit_keytab;

/**
 * A table of at most @p entries keys with @p value_size bytes each.
 * @return the table, or NULL with errno (EINVAL, ENOMEM).
 */
struct wgjit_keytab *wgjit_keytab_create(unsigned int entries,
		size_t value_size);

/** Free a table (values are cleared first). NULL is allowed. */
void wgjit_keytab_free(struct wgjit_keytab *t);

/** The value of @p key, or NULL. */
void *wgjit_keytab_find(const struct wgjit_keytab *t,
		const uint8_t key[WGJIT_KEY_LEN]);

/**
 * The value of @p key; when absent, a new entry with a zeroed value
 * (*@p created true). @return NULL when @p key is absent and the table
 * holds its maximum.
 */
void *wgjit_keytab_insert(struct wgjit_keytab *t,
		const uint8_t key[WGJIT_KEY_LEN], bool *created);

/** Remove @p key. @return 0, or -ENOENT. */
int wgjit_keytab_remove(struct wgjit_keytab *t,
		const uint8_t key[WGJIT_KEY_LEN]);

/** Number of entries. */
unsigned int wgjit_keytab_count(const struct wgjit_keytab *t);

/** Maximum number of entries. */
unsigned int wgjit_keytab_capacity(const struct wgjit_keytab *t);

/**
 * Iterate: start with *@p pos = 0; each call returns the next entry's
 * value (and its key in *@p key when not NULL), or NULL at the end.
 */
void *wgjit_keytab_next(const struct wgjit_keytab *t, unsigned int *pos,
		const uint8_t **key);

/**
 * As wgjit_keytab_next(), for work spread over calls: looks at no more
 * than @p max_slots slots from *@p pos (*@p seen gets how many). NULL when
 * none of them holds an entry, or when the end of the table came first:
 * *@p pos is then 0 again, for the next sweep. A sparse table costs each
 * call at most max_slots, not a scan to the next entry.
 */
void *wgjit_keytab_next_within(const struct wgjit_keytab *t,
		unsigned int *pos, unsigned int max_slots, unsigned int *seen,
		const uint8_t **key);

/**
 * Remove the entry wgjit_keytab_next() just returned and step @p pos back,
 * so that an entry shifted into its place is not skipped (one that wraps
 * around the end may be visited twice).
 */
void wgjit_keytab_remove_current(struct wgjit_keytab *t, unsigned int *pos);

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_KEYTAB_H */
