/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wgjit_foreign.h"

struct wgjit_foreign {
	uint8_t (*keys)[WGJIT_KEY_LEN];	/* sorted */
	unsigned int nb_keys;
	struct wgjit_allowed_ip *prefixes;
	unsigned int nb_prefixes;
	union wgjit_endpoint *eps;	/* sorted by memcmp */
	unsigned int nb_eps;
	uint64_t updated_ms;
};

static int
cmp_key(const void *a, const void *b)
{
	return memcmp(a, b, WGJIT_KEY_LEN);
}

struct wgjit_foreign *
wgjit_foreign_create(void)
{
	return calloc(1, sizeof(struct wgjit_foreign));
}

void
wgjit_foreign_free(struct wgjit_foreign *f)
{
	if (f == NULL)
		return;
	free(f->keys);
	free(f->prefixes);
	free(f->eps);
	free(f);
}

static int
cmp_ep(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(union wgjit_endpoint));
}

/* Tell @p cb what is in one sorted list and not in the other. */
static void
diff_eps(const union wgjit_endpoint *old, unsigned int nb_old,
		const union wgjit_endpoint *cur, unsigned int nb_cur,
		wgjit_foreign_endpoint_cb cb, void *arg)
{
	for (unsigned int i = 0; i < nb_cur; i++)
		if (nb_old == 0 || bsearch(&cur[i], old, nb_old, sizeof(*old),
				cmp_ep) == NULL)
			cb(arg, &cur[i], true);
	for (unsigned int i = 0; i < nb_old; i++)
		if (nb_cur == 0 || bsearch(&old[i], cur, nb_cur, sizeof(*cur),
				cmp_ep) == NULL)
			cb(arg, &old[i], false);
}

int
wgjit_foreign_update(struct wgjit_foreign *f,
		const struct wgjit_wg_device *dev,
		const uint8_t (*ours)[WGJIT_KEY_LEN], unsigned int nb_ours,
		uint64_t now_ms, wgjit_foreign_endpoint_cb cb, void *arg)
{
	unsigned int n = 0, np = 0, ne = 0, slots = dev->nb_peers ? dev->nb_peers : 1;
	uint8_t (*keys)[WGJIT_KEY_LEN] = calloc(slots, WGJIT_KEY_LEN);
	struct wgjit_allowed_ip *prefixes = calloc(dev->nb_aips ? dev->nb_aips : 1,
		sizeof(*prefixes));
	union wgjit_endpoint *eps = calloc(slots, sizeof(*eps));

	if (keys == NULL || prefixes == NULL || eps == NULL) {
		free(keys);
		free(prefixes);
		free(eps);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < dev->nb_peers; i++) {
		const struct wgjit_wg_peer *p = &dev->peers[i];

		if (nb_ours > 0 && bsearch(p->public_key, ours, nb_ours,
				WGJIT_KEY_LEN, cmp_key) != NULL)
			continue;
		memcpy(keys[n++], p->public_key, WGJIT_KEY_LEN);
		memcpy(prefixes + np, wgjit_wg_peer_aips(dev, p),
			p->nb_allowed_ips * sizeof(*prefixes));
		np += p->nb_allowed_ips;
		if (p->flags & WGJIT_PEER_HAS_ENDPOINT) {
			memset(&eps[ne], 0, sizeof(eps[ne]));
			memcpy(&eps[ne++], &p->endpoint, sizeof(p->endpoint));
		}
	}
	qsort(keys, n, WGJIT_KEY_LEN, cmp_key);
	qsort(eps, ne, sizeof(*eps), cmp_ep);
	if (cb != NULL)
		diff_eps(f->eps, f->nb_eps, eps, ne, cb, arg);
	free(f->keys);
	free(f->prefixes);
	free(f->eps);
	f->keys = keys;
	f->nb_keys = n;
	f->prefixes = prefixes;
	f->nb_prefixes = np;
	f->eps = eps;
	f->nb_eps = ne;
	f->updated_ms = now_ms;
	return 0;
}

const struct wgjit_allowed_ip *
wgjit_foreign_prefixes(const struct wgjit_foreign *f, unsigned int *nb)
{
	*nb = f->nb_prefixes;
	return f->prefixes;
}

const union wgjit_endpoint *
wgjit_foreign_endpoints(const struct wgjit_foreign *f, unsigned int *nb)
{
	*nb = f->nb_eps;
	return f->eps;
}

bool
wgjit_foreign_has(const struct wgjit_foreign *f,
		const uint8_t key[WGJIT_KEY_LEN])
{
	return f->nb_keys > 0 && bsearch(key, f->keys, f->nb_keys,
		WGJIT_KEY_LEN, cmp_key) != NULL;
}

uint64_t
wgjit_foreign_updated_ms(const struct wgjit_foreign *f)
{
	return f->updated_ms;
}
