/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_WG_BACKEND_H
#define WGJIT_WG_BACKEND_H

/**
 * @file
 * What a backend implements for the dispatcher (wgjit_wg.h): one table of
 * operations on an opaque handle. Kernel WireGuard (wgjit_nl.c) and
 * wireguard-go (wgjit_uapi.c) each define one; only wgjit_wg.c calls them.
 * Not for other modules.
 *
 * Every operation follows the contract of its wgjit_wg_* counterpart:
 * control thread only, blocking with socket timeouts, 0 or -errno, the
 * handle's error text describing the last failure. set_peers gets peers
 * that passed wgjit_wg_peer_check().
 */

#include <stddef.h>

#include "wgjit_wg_device.h"

#ifdef __cplusplus
extern "C" {
#endif

struct wgjit_wg_ops {
	/** Open @p ifname; NULL with errno set and @p err filled. */
	void *(*open)(const char *ifname, char *err, size_t errlen);
	void (*close)(void *ctx);
	int (*get_device)(void *ctx, struct wgjit_wg_device *dev);
	int (*set_peers)(void *ctx, const struct wgjit_peer *peers,
			unsigned int n);
	const char *(*errmsg)(const void *ctx);
};

/** Kernel WireGuard over generic Netlink. */
extern const struct wgjit_wg_ops wgjit_nl_ops;
/** wireguard-go over its UAPI socket. */
extern const struct wgjit_wg_ops wgjit_uapi_ops;

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_WG_BACKEND_H */
