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
	free(f);
}

int
wgjit_foreign_update(struct wgjit_foreign *f,
		const struct wgjit_wg_device *dev,
		const uint8_t (*ours)[WGJIT_KEY_LEN], unsigned int nb_ours,
		uint64_t now_ms)
{
	uint8_t (*keys)[WGJIT_KEY_LEN];
	unsigned int n = 0;

	keys = calloc(dev->nb_peers > 0 ? dev->nb_peers : 1, WGJIT_KEY_LEN);
	if (keys == NULL)
		return -ENOMEM;
	for (unsigned int i = 0; i < dev->nb_peers; i++) {
		const uint8_t *k = dev->peers[i].public_key;

		if (nb_ours == 0 || bsearch(k, ours, nb_ours, WGJIT_KEY_LEN,
				cmp_key) == NULL)
			memcpy(keys[n++], k, WGJIT_KEY_LEN);
	}
	qsort(keys, n, WGJIT_KEY_LEN, cmp_key);
	free(f->keys);
	f->keys = keys;
	f->nb_keys = n;
	f->updated_ms = now_ms;
	return 0;
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
