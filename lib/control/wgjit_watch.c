/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wgjit_keytab.h"
#include "wgjit_watch.h"

struct wgjit_watch {
	struct wgjit_keytab *by_key;	/* key -> struct wgjit_watch_entry */
	struct wgjit_keytab *by_ep;	/* endpoint key -> public key */
};

/* An endpoint as a table key: family, port, address; the rest zero. */
static void
ep_key(uint8_t out[WGJIT_KEY_LEN], const union wgjit_endpoint *ep)
{
	memset(out, 0, WGJIT_KEY_LEN);
	memcpy(out, &ep->sa.sa_family, sizeof(ep->sa.sa_family));
	if (ep->sa.sa_family == AF_INET) {
		memcpy(out + 2, &ep->in4.sin_port, 2);
		memcpy(out + 4, &ep->in4.sin_addr, 4);
	} else if (ep->sa.sa_family == AF_INET6) {
		memcpy(out + 2, &ep->in6.sin6_port, 2);
		memcpy(out + 4, &ep->in6.sin6_addr, 16);
	}
}

struct wgjit_watch *
wgjit_watch_create(unsigned int entries)
{
	struct wgjit_watch *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->by_key = wgjit_keytab_create(entries,
		sizeof(struct wgjit_watch_entry));
	w->by_ep = wgjit_keytab_create(entries, WGJIT_KEY_LEN);
	if (w->by_key == NULL || w->by_ep == NULL) {
		wgjit_watch_free(w);
		errno = ENOMEM;
		return NULL;
	}
	return w;
}

void
wgjit_watch_free(struct wgjit_watch *w)
{
	if (w == NULL)
		return;
	wgjit_keytab_free(w->by_key);
	wgjit_keytab_free(w->by_ep);
	free(w);
}

/* Drop the endpoint index of @p e if it still points at e's key. */
static void
unindex(struct wgjit_watch *w, const struct wgjit_watch_entry *e)
{
	uint8_t k[WGJIT_KEY_LEN];
	const uint8_t *owner;

	ep_key(k, &e->ep);
	owner = wgjit_keytab_find(w->by_ep, k);
	if (owner != NULL && memcmp(owner, e->key, WGJIT_KEY_LEN) == 0)
		wgjit_keytab_remove(w->by_ep, k);
}

struct wgjit_watch_entry *
wgjit_watch_add(struct wgjit_watch *w, const uint8_t key[WGJIT_KEY_LEN],
		const union wgjit_endpoint *ep)
{
	struct wgjit_watch_entry *e = wgjit_keytab_find(w->by_key, key);
	uint8_t k[WGJIT_KEY_LEN];
	uint8_t *owner;
	bool created;

	if (e != NULL)
		unindex(w, e);
	ep_key(k, ep);
	owner = wgjit_keytab_insert(w->by_ep, k, &created);
	if (owner == NULL)
		return NULL;
	if (e == NULL)
		e = wgjit_keytab_insert(w->by_key, key, &created);
	if (e == NULL) {
		wgjit_keytab_remove(w->by_ep, k);
		return NULL;
	}
	/* A newer install at the same endpoint takes the index over. */
	memcpy(owner, key, WGJIT_KEY_LEN);
	memset(e, 0, sizeof(*e));
	memcpy(e->key, key, WGJIT_KEY_LEN);
	e->ep = *ep;
	return e;
}

struct wgjit_watch_entry *
wgjit_watch_find(struct wgjit_watch *w, const uint8_t key[WGJIT_KEY_LEN])
{
	return wgjit_keytab_find(w->by_key, key);
}

struct wgjit_watch_entry *
wgjit_watch_find_ep(struct wgjit_watch *w, const union wgjit_endpoint *ep)
{
	uint8_t k[WGJIT_KEY_LEN];
	const uint8_t *owner;

	ep_key(k, ep);
	owner = wgjit_keytab_find(w->by_ep, k);
	return owner == NULL ? NULL : wgjit_keytab_find(w->by_key, owner);
}

void
wgjit_watch_remove(struct wgjit_watch *w, const uint8_t key[WGJIT_KEY_LEN])
{
	struct wgjit_watch_entry *e = wgjit_keytab_find(w->by_key, key);
	uint8_t k[WGJIT_KEY_LEN];

	if (e == NULL)
		return;
	/* A local copy: removal shifts entries, e among them. */
	memcpy(k, key, WGJIT_KEY_LEN);
	unindex(w, e);
	wgjit_keytab_remove(w->by_key, k);
}

unsigned int
wgjit_watch_count(const struct wgjit_watch *w)
{
	return wgjit_keytab_count(w->by_key);
}

unsigned int
wgjit_watch_capacity(const struct wgjit_watch *w)
{
	return wgjit_keytab_capacity(w->by_key);
}

struct wgjit_watch_entry *
wgjit_watch_next(struct wgjit_watch *w, unsigned int *pos)
{
	return wgjit_keytab_next(w->by_key, pos, NULL);
}

void
wgjit_watch_remove_current(struct wgjit_watch *w, unsigned int *pos)
{
	unsigned int p = *pos;
	struct wgjit_watch_entry *e;

	/* The entry next() returned last sits just before *pos. */
	p--;
	e = wgjit_keytab_next(w->by_key, &p, NULL);
	if (e != NULL)
		unindex(w, e);
	wgjit_keytab_remove_current(w->by_key, pos);
}
