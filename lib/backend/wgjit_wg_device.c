/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wgjit_wg_device.h"

static bool
allowed_ip_ok(const struct wgjit_allowed_ip *aip)
{
	return (aip->family == AF_INET && aip->cidr <= 32) ||
		(aip->family == AF_INET6 && aip->cidr <= 128);
}

int
wgjit_wg_peer_check(const struct wgjit_peer *p)
{
	const uint32_t known = WGJIT_PEER_HAS_PRESHARED_KEY |
		WGJIT_PEER_HAS_KEEPALIVE | WGJIT_PEER_HAS_ENDPOINT |
		WGJIT_PEER_REPLACE_ALLOWED_IPS | WGJIT_PEER_REMOVE |
		WGJIT_PEER_UPDATE_ONLY;

	if (p->flags & ~known)
		return -EINVAL;
	if (p->flags & WGJIT_PEER_REMOVE)
		return 0;
	if (p->nb_allowed_ips > WGJIT_PEER_MAX_ALLOWED_IPS)
		return -EINVAL;
	for (unsigned int i = 0; i < p->nb_allowed_ips; i++)
		if (!allowed_ip_ok(&p->allowed_ips[i]))
			return -EINVAL;
	if ((p->flags & WGJIT_PEER_HAS_ENDPOINT) &&
			p->endpoint.sa.sa_family != AF_INET &&
			p->endpoint.sa.sa_family != AF_INET6)
		return -EINVAL;
	return 0;
}

/*
 * Grow an array of @p esize entries to hold one more, copying and clearing
 * rather than reallocating (peers hold preshared keys).
 */
static int
grow(void **arr, unsigned int nb, unsigned int *size, size_t esize)
{
	unsigned int n;
	void *bigger;

	if (nb < *size)
		return 0;
	n = *size == 0 ? 16 : *size * 2;
	if (n <= *size)
		return -ENOMEM;
	bigger = calloc(n, esize);
	if (bigger == NULL)
		return -ENOMEM;
	if (nb > 0) {
		memcpy(bigger, *arr, nb * esize);
		sodium_memzero(*arr, *size * esize);
	}
	free(*arr);
	*arr = bigger;
	*size = n;
	return 0;
}

struct wgjit_wg_peer *
wgjit_wg_device_add_peer(struct wgjit_wg_device *dev)
{
	struct wgjit_wg_peer *p;

	if (grow((void **)&dev->peers, dev->nb_peers, &dev->peers_size,
			sizeof(*dev->peers)) < 0)
		return NULL;
	p = &dev->peers[dev->nb_peers++];
	memset(p, 0, sizeof(*p));
	p->aip_first = dev->nb_aips;
	return p;
}

int
wgjit_wg_device_add_aip(struct wgjit_wg_device *dev,
		const struct wgjit_allowed_ip *aip)
{
	if (grow((void **)&dev->aips, dev->nb_aips, &dev->aips_size,
			sizeof(*dev->aips)) < 0)
		return -ENOMEM;
	dev->aips[dev->nb_aips++] = *aip;
	return 0;
}

void
wgjit_wg_device_free(struct wgjit_wg_device *dev)
{
	if (dev == NULL)
		return;
	if (dev->peers != NULL)
		sodium_memzero(dev->peers,
				dev->peers_size * sizeof(dev->peers[0]));
	free(dev->peers);
	free(dev->aips);
	sodium_memzero(dev, sizeof(*dev));
}

static int
cmp_peer(const void *a, const void *b)
{
	return memcmp(((const struct wgjit_wg_peer *)a)->public_key,
		((const struct wgjit_wg_peer *)b)->public_key, WGJIT_KEY_LEN);
}

void
wgjit_wg_device_sort(struct wgjit_wg_device *dev)
{
	if (dev->nb_peers > 1)
		qsort(dev->peers, dev->nb_peers, sizeof(*dev->peers), cmp_peer);
}

const struct wgjit_wg_peer *
wgjit_wg_device_find(const struct wgjit_wg_device *dev,
		const uint8_t key[WGJIT_KEY_LEN])
{
	struct wgjit_wg_peer k;

	if (dev->nb_peers == 0)
		return NULL;
	memcpy(k.public_key, key, WGJIT_KEY_LEN);
	return bsearch(&k, dev->peers, dev->nb_peers, sizeof(*dev->peers),
		cmp_peer);
}
