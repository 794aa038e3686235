/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_WG_H
#define WGJIT_WG_H

/**
 * @file
 * The one interface to a WireGuard device, whatever implements it: kernel
 * WireGuard over generic Netlink (wgjit_nl.h) or wireguard-go over its UAPI
 * socket (wgjit_uapi.h). The backend is picked once, at open time; after
 * that every call goes through a small ops table.
 *
 * The device and peer types are in wgjit_wg_device.h; what a backend
 * implements is in wgjit_wg_backend.h.
 *
 * Threads: control thread only. A handle is not thread safe; calls block
 * (one Netlink round trip per message, or one UAPI connection per call,
 * each with a 5 s socket timeout). Never call from an lcore fast path.
 *
 * Errors: 0 or a negative errno; wgjit_wg_errmsg() then says what failed.
 * Secrets: buffers that held keys are cleared before they are freed;
 * wgjit_wg_device_free() clears the private and preshared keys.
 */

#include <stddef.h>
#include <stdint.h>

#include "wgjit_peer.h"
#include "wgjit_wg_device.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Which implementation talks to the device. */
enum wgjit_wg_kind {
	WGJIT_WG_KERNEL,	/**< kernel WireGuard, generic Netlink */
	WGJIT_WG_UAPI,		/**< wireguard-go, /var/run/wireguard/IF.sock */
};

struct wgjit_wg;

/**
 * Open a WireGuard device by interface name.
 *
 * Kernel: resolves the "wireguard" genl family and checks the interface
 * exists. UAPI: connects once to the interface's socket to check it.
 *
 * @param err  receives a message on failure (may be NULL).
 * @return a handle, or NULL with errno set and @p err filled.
 */
struct wgjit_wg *wgjit_wg_open(enum wgjit_wg_kind kind, const char *ifname,
		char *err, size_t errlen);

/** Close a handle; NULL is accepted. */
void wgjit_wg_close(struct wgjit_wg *wg);

/** The backend kind of an open handle. */
enum wgjit_wg_kind wgjit_wg_kind(const struct wgjit_wg *wg);

/** The message of the last failed call on this handle ("" if none). */
const char *wgjit_wg_errmsg(const struct wgjit_wg *wg);

/**
 * Read the device: keys, listen port, fwmark and every peer with its
 * state. @p dev is overwritten; free it with wgjit_wg_device_free() after
 * success. On failure nothing needs freeing.
 *
 * @return 0, or -errno (-ENODEV: no such device; -EPROTO: bad reply).
 *   Peers may have any number of allowed IPs.
 */
int wgjit_wg_get_device(struct wgjit_wg *wg, struct wgjit_wg_device *dev);

/**
 * Create, update or remove peers, following the flags of each peer.
 * Every peer is checked before anything is sent (-EINVAL, nothing
 * installed). A large set is split across several messages; it is not
 * transactional: on a device error, peers sent before it stay installed.
 *
 * When a peer gets an endpoint and a non-zero keepalive in one call, the
 * device sends a handshake initiation at once (docs/architecture.md).
 *
 * @return 0, or -errno from the device.
 */
int wgjit_wg_set_peers(struct wgjit_wg *wg, const struct wgjit_peer *peers,
		unsigned int n);

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_WG_H */
