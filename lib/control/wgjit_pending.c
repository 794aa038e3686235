/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wgjit_keytab.h"
#include "wgjit_pending.h"
#include "wgjit_replay.h"

struct pending_entry {
	struct wgjit_ctl_initiation in;
	uint64_t since_ns;
	uint32_t cls;
};

struct wgjit_pending {
	struct wgjit_pending_params p;
	struct wgjit_keytab *tab;
	unsigned int max[WGJIT_PENDING_NB_CLASSES];
	unsigned int count[WGJIT_PENDING_NB_CLASSES];
};

struct wgjit_pending *
wgjit_pending_create(const struct wgjit_pending_params *p)
{
	struct wgjit_pending *pd;

	if (p->entries == 0 || p->new_share > 100 || p->release == NULL) {
		errno = EINVAL;
		return NULL;
	}
	pd = calloc(1, sizeof(*pd));
	if (pd == NULL)
		return NULL;
	pd->p = *p;
	pd->max[WGJIT_PENDING_RETURNING] = p->entries;
	pd->max[WGJIT_PENDING_NEW] = (unsigned int)
		((uint64_t)p->entries * p->new_share / 100);
	pd->tab = wgjit_keytab_create(p->entries, sizeof(struct pending_entry));
	if (pd->tab == NULL) {
		free(pd);
		return NULL;
	}
	return pd;
}

static void
release(struct wgjit_pending *pd, void *held)
{
	if (held != NULL)
		pd->p.release(pd->p.arg, held);
}

void
wgjit_pending_free(struct wgjit_pending *pd)
{
	struct pending_entry *e;
	unsigned int pos = 0;

	if (pd == NULL)
		return;
	while ((e = wgjit_keytab_next(pd->tab, &pos, NULL)) != NULL)
		release(pd, e->in.held);
	wgjit_keytab_free(pd->tab);
	free(pd);
}

enum wgjit_pending_result
wgjit_pending_put(struct wgjit_pending *pd,
		const struct wgjit_ctl_initiation *in,
		enum wgjit_pending_class cls, uint64_t now_ns)
{
	struct pending_entry *e = wgjit_keytab_find(pd->tab, in->public_key);
	bool created;

	if (e != NULL) {
		if (wgjit_replay_tai64n_cmp(in->tai64n, e->in.tai64n) <= 0) {
			release(pd, in->held);
			return WGJIT_PENDING_NOT_NEWER;
		}
		release(pd, e->in.held);
		e->in = *in;
		return WGJIT_PENDING_REPLACED;
	}
	if (pd->count[cls] >= pd->max[cls] ||
			(e = wgjit_keytab_insert(pd->tab, in->public_key,
				&created)) == NULL) {
		release(pd, in->held);
		return WGJIT_PENDING_FULL;
	}
	e->in = *in;
	e->cls = cls;
	e->since_ns = now_ns;
	pd->count[cls]++;
	return WGJIT_PENDING_ADDED;
}

bool
wgjit_pending_has(const struct wgjit_pending *pd,
		const uint8_t key[WGJIT_KEY_LEN])
{
	return wgjit_keytab_find(pd->tab, key) != NULL;
}

bool
wgjit_pending_take(struct wgjit_pending *pd, const uint8_t key[WGJIT_KEY_LEN],
		struct wgjit_ctl_initiation *out, uint64_t *since_ns)
{
	struct pending_entry *e = wgjit_keytab_find(pd->tab, key);

	if (e == NULL)
		return false;
	*out = e->in;
	if (since_ns != NULL)
		*since_ns = e->since_ns;
	pd->count[e->cls]--;
	wgjit_keytab_remove(pd->tab, out->public_key);
	return true;
}

unsigned int
wgjit_pending_count(const struct wgjit_pending *pd,
		enum wgjit_pending_class cls)
{
	return pd->count[cls];
}
