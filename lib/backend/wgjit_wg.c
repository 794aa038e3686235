/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * The backend-neutral interface: checks peers, owns the device arrays and
 * dispatches through an ops table chosen at open time.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wgjit_nl.h"
#include "wgjit_uapi.h"
#include "wgjit_wg.h"
#include "wgjit_wg_priv.h"

struct wgjit_wg_ops {
	int (*get_device)(void *ctx, struct wgjit_wg_device *dev);
	int (*set_peers)(void *ctx, const struct wgjit_peer *peers,
			unsigned int n);
	const char *(*errmsg)(const void *ctx);
	void (*close)(void *ctx);
};

struct wgjit_wg {
	enum wgjit_wg_kind kind;
	const struct wgjit_wg_ops *ops;
	void *ctx;
	char err[WGJIT_WG_ERR_SIZE];	/* errors found before the backend */
	bool err_local;
};

void
wgjit_wg_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int
nl_get(void *ctx, struct wgjit_wg_device *dev)
{
	return wgjit_nl_get_device(ctx, dev);
}

static int
nl_set(void *ctx, const struct wgjit_peer *peers, unsigned int n)
{
	return wgjit_nl_set_peers(ctx, peers, n);
}

static const char *
nl_errmsg(const void *ctx)
{
	return wgjit_nl_errmsg(ctx);
}

static void
nl_close(void *ctx)
{
	wgjit_nl_close(ctx);
}

static int
uapi_get(void *ctx, struct wgjit_wg_device *dev)
{
	return wgjit_uapi_get_device(ctx, dev);
}

static int
uapi_set(void *ctx, const struct wgjit_peer *peers, unsigned int n)
{
	return wgjit_uapi_set_peers(ctx, peers, n);
}

static const char *
uapi_errmsg(const void *ctx)
{
	return wgjit_uapi_errmsg(ctx);
}

static void
uapi_close(void *ctx)
{
	wgjit_uapi_close(ctx);
}

static const struct wgjit_wg_ops nl_ops = {
	.get_device = nl_get,
	.set_peers = nl_set,
	.errmsg = nl_errmsg,
	.close = nl_close,
};

static const struct wgjit_wg_ops uapi_ops = {
	.get_device = uapi_get,
	.set_peers = uapi_set,
	.errmsg = uapi_errmsg,
	.close = uapi_close,
};

struct wgjit_wg *
wgjit_wg_open(enum wgjit_wg_kind kind, const char *ifname, char *err,
		size_t errlen)
{
	struct wgjit_wg *wg;
	int saved;

	if (kind != WGJIT_WG_KERNEL && kind != WGJIT_WG_UAPI) {
		wgjit_wg_errf(err, errlen, "wgjit_wg: unknown kind %d",
				(int)kind);
		errno = EINVAL;
		return NULL;
	}
	wg = calloc(1, sizeof(*wg));
	if (wg == NULL) {
		wgjit_wg_errf(err, errlen, "wgjit_wg: out of memory");
		return NULL;
	}
	wg->kind = kind;
	if (kind == WGJIT_WG_KERNEL) {
		wg->ops = &nl_ops;
		wg->ctx = wgjit_nl_open(ifname, err, errlen);
	} else {
		wg->ops = &uapi_ops;
		wg->ctx = wgjit_uapi_open(ifname, err, errlen);
	}
	if (wg->ctx == NULL) {
		saved = errno;
		free(wg);
		errno = saved;
		return NULL;
	}
	return wg;
}

void
wgjit_wg_close(struct wgjit_wg *wg)
{
	if (wg == NULL)
		return;
	wg->ops->close(wg->ctx);
	free(wg);
}

enum wgjit_wg_kind
wgjit_wg_kind(const struct wgjit_wg *wg)
{
	return wg->kind;
}

const char *
wgjit_wg_errmsg(const struct wgjit_wg *wg)
{
	return wg->err_local ? wg->err : wg->ops->errmsg(wg->ctx);
}

int
wgjit_wg_get_device(struct wgjit_wg *wg, struct wgjit_wg_device *dev)
{
	wg->err_local = false;
	return wg->ops->get_device(wg->ctx, dev);
}

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

int
wgjit_wg_set_peers(struct wgjit_wg *wg, const struct wgjit_peer *peers,
		unsigned int n)
{
	int ret;

	wg->err_local = false;
	if (n > 0 && peers == NULL)
		return -EINVAL;
	for (unsigned int i = 0; i < n; i++) {
		ret = wgjit_wg_peer_check(&peers[i]);
		if (ret < 0) {
			char b64[WGJIT_KEY_B64_SIZE];

			wgjit_key_to_base64(b64, peers[i].public_key);
			snprintf(wg->err, sizeof(wg->err),
					"wgjit_wg: peer %u (%s): bad flags, "
					"allowed IP or endpoint; nothing sent",
					i, b64);
			wg->err_local = true;
			return ret;
		}
	}
	if (n == 0)
		return 0;
	return wg->ops->set_peers(wg->ctx, peers, n);
}

struct wgjit_peer *
wgjit_wg_device_add_peer(struct wgjit_wg_device *dev)
{
	struct wgjit_peer *bigger;
	unsigned int size;

	if (dev->nb_peers == dev->peers_size) {
		size = dev->peers_size == 0 ? 16 : dev->peers_size * 2;
		if (size <= dev->peers_size)
			return NULL;
		bigger = calloc(size, sizeof(*bigger));
		if (bigger == NULL)
			return NULL;
		/* Copy and clear rather than realloc: peers hold PSKs. */
		if (dev->nb_peers > 0) {
			memcpy(bigger, dev->peers,
					dev->nb_peers * sizeof(*bigger));
			sodium_memzero(dev->peers,
					dev->peers_size * sizeof(*bigger));
		}
		free(dev->peers);
		dev->peers = bigger;
		dev->peers_size = size;
	}
	memset(&dev->peers[dev->nb_peers], 0, sizeof(dev->peers[0]));
	return &dev->peers[dev->nb_peers++];
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
	sodium_memzero(dev, sizeof(*dev));
}
