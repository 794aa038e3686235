/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_WG_DEVICE_H
#define WGJIT_WG_DEVICE_H

/**
 * @file
 * A WireGuard device as every backend reports it and every consumer reads
 * it: the interface's keys and port, and its peers (struct wgjit_peer).
 * Also the check a peer must pass before any backend installs it.
 *
 * Threads: reentrant; a device belongs to its caller.
 * Secrets: wgjit_wg_device_free() clears the private and preshared keys;
 * growing the peer array copies and clears rather than reallocates.
 */

#include <stddef.h>
#include <stdint.h>

#include "wgjit_peer.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Size of the error message buffers of every backend. */
#define WGJIT_WG_ERR_SIZE 256

/** Which fields of struct wgjit_wg_device are present. */
enum wgjit_wg_device_flags {
	WGJIT_WG_DEVICE_HAS_PRIVATE_KEY = 1u << 0,
	WGJIT_WG_DEVICE_HAS_PUBLIC_KEY = 1u << 1,
};

/**
 * A peer as the device reports it. Its allowed IPs, however many (a
 * site-to-site peer may have hundreds), are nb_allowed_ips entries of the
 * device's aips array from aip_first on. WGJIT_PEER_HAS_PRESHARED_KEY and
 * WGJIT_PEER_HAS_KEEPALIVE are set when the value is non-zero,
 * WGJIT_PEER_HAS_ENDPOINT when the device knows an endpoint.
 */
struct wgjit_wg_peer {
	uint8_t public_key[WGJIT_KEY_LEN];
	uint8_t preshared_key[WGJIT_KEY_LEN];
	uint32_t flags;			/**< WGJIT_PEER_HAS_* */
	uint16_t persistent_keepalive;	/**< seconds; 0 = off */
	union wgjit_endpoint endpoint;
	int64_t last_handshake_sec;	/**< device's unix seconds; 0 = never */
	uint64_t rx_bytes;
	uint64_t tx_bytes;
	unsigned int aip_first;		/**< index into the device's aips */
	unsigned int nb_allowed_ips;
};

/** A device and all its peers, as a backend's dump reports them. */
struct wgjit_wg_device {
	uint8_t private_key[WGJIT_KEY_LEN];
	uint8_t public_key[WGJIT_KEY_LEN];
	uint32_t flags;			/**< enum wgjit_wg_device_flags */
	uint16_t listen_port;
	uint32_t fwmark;
	struct wgjit_wg_peer *peers;	/**< allocated by the call */
	unsigned int nb_peers;
	unsigned int peers_size;	/**< allocated entries (internal) */
	struct wgjit_allowed_ip *aips;	/**< every peer's, in peer order */
	unsigned int nb_aips;
	unsigned int aips_size;		/**< allocated entries (internal) */
};

/** The allowed IPs of @p peer, a peer of @p dev. */
static inline const struct wgjit_allowed_ip *
wgjit_wg_peer_aips(const struct wgjit_wg_device *dev,
		const struct wgjit_wg_peer *peer)
{
	return dev->aips + peer->aip_first;
}

/**
 * Check one peer for installation: known flags, at most
 * WGJIT_PEER_MAX_ALLOWED_IPS allowed IPs with a known family and a valid
 * prefix length, an IPv4 or IPv6 endpoint when one is flagged.
 *
 * @return 0, or -EINVAL.
 */
int wgjit_wg_peer_check(const struct wgjit_peer *peer);

/**
 * Append a zeroed peer to @p dev (backend helper, also used by parsers);
 * its allowed IPs start at the end of the device's aips.
 *
 * @return the new peer, or NULL when memory runs out.
 */
struct wgjit_wg_peer *wgjit_wg_device_add_peer(struct wgjit_wg_device *dev);

/**
 * Append @p aip to the device's aips, for its last peer (whose
 * nb_allowed_ips the caller counts). @return 0 or -ENOMEM.
 */
int wgjit_wg_device_add_aip(struct wgjit_wg_device *dev,
		const struct wgjit_allowed_ip *aip);

/** Clear the keys of @p dev and free its peers; safe on a zeroed dev. */
void wgjit_wg_device_free(struct wgjit_wg_device *dev);

/** Sort the peers of @p dev by public key, for wgjit_wg_device_find(). */
void wgjit_wg_device_sort(struct wgjit_wg_device *dev);

/** The peer @p key of a sorted @p dev, or NULL (binary search). */
const struct wgjit_wg_peer *wgjit_wg_device_find(
		const struct wgjit_wg_device *dev,
		const uint8_t key[WGJIT_KEY_LEN]);

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_WG_DEVICE_H */
