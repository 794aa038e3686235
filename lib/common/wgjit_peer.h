/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_PEER_H
#define WGJIT_PEER_H

/**
 * @file
 * The peer as every module sees it: what the control plane returns, what
 * the cache stores and what a backend installs. (What a device dump
 * reports, with any number of allowed IPs, is struct wgjit_wg_peer.)
 *
 * Optional fields have a WGJIT_PEER_HAS_* flag, so zero never has to mean
 * "absent". The structures hold no pointers and can be copied by value.
 * Thread safety: every function is reentrant and allocates nothing.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "wgjit_key.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most allowed IPs one configured peer may carry; a larger control-plane
 * answer is rejected. Device dumps have no limit. */
#define WGJIT_PEER_MAX_ALLOWED_IPS 32
/** Buffer size for a formatted endpoint ("[v6addr%scope]:port"). */
#define WGJIT_ENDPOINT_STR_SIZE 64
/** Buffer size for a formatted allowed IP ("addr/cidr"). */
#define WGJIT_ALLOWED_IP_STR_SIZE 56

/** Which optional fields of struct wgjit_peer are present. */
enum wgjit_peer_flags {
	WGJIT_PEER_HAS_PRESHARED_KEY = 1u << 0,
	WGJIT_PEER_HAS_KEEPALIVE = 1u << 1,
	WGJIT_PEER_HAS_ENDPOINT = 1u << 2,
	/** Install: replace the peer's allowed IPs instead of adding. */
	WGJIT_PEER_REPLACE_ALLOWED_IPS = 1u << 3,
	/** Install: remove the peer. Only the public key is used. */
	WGJIT_PEER_REMOVE = 1u << 4,
	/** Install: only update an existing peer, never create one. */
	WGJIT_PEER_UPDATE_ONLY = 1u << 5,
};

/** One allowed IP: family AF_INET or AF_INET6, and a prefix length. */
struct wgjit_allowed_ip {
	uint16_t family;
	uint8_t cidr;
	union {
		struct in_addr ip4;
		struct in6_addr ip6;
	};
};

/** An IPv4 or IPv6 UDP endpoint (sa_family tells which). */
union wgjit_endpoint {
	struct sockaddr sa;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
};

/** A peer's configuration. */
struct wgjit_peer {
	uint8_t public_key[WGJIT_KEY_LEN];
	uint8_t preshared_key[WGJIT_KEY_LEN];
	uint32_t flags;			/**< enum wgjit_peer_flags */
	uint16_t persistent_keepalive;	/**< seconds; 0 = off */
	union wgjit_endpoint endpoint;
	unsigned int nb_allowed_ips;
	struct wgjit_allowed_ip allowed_ips[WGJIT_PEER_MAX_ALLOWED_IPS];
};

/**
 * Parse "a.b.c.d/n" or "v6addr/n". A missing "/n" means a host route.
 * Host bits beyond the prefix are rejected, as in a routing table.
 *
 * @return 0, or -EINVAL.
 */
int wgjit_allowed_ip_parse(struct wgjit_allowed_ip *aip, const char *text);

/** Format an allowed IP as "addr/cidr". */
void wgjit_allowed_ip_format(char out[WGJIT_ALLOWED_IP_STR_SIZE],
		const struct wgjit_allowed_ip *aip);

/**
 * Parse "a.b.c.d:port" or "[v6addr]:port"; a zone ("[fe80::1%eth0]:p",
 * by name or number) sets the IPv6 scope id (0 for an unknown name).
 *
 * @return 0, or -EINVAL.
 */
int wgjit_endpoint_parse(union wgjit_endpoint *ep, const char *text);

/** Format an endpoint as "a.b.c.d:port" or "[v6addr]:port". */
void wgjit_endpoint_format(char out[WGJIT_ENDPOINT_STR_SIZE],
		const union wgjit_endpoint *ep);

/** True when both endpoints have the same family, address and port. */
bool wgjit_endpoint_equal(const union wgjit_endpoint *a,
		const union wgjit_endpoint *b);

/**
 * True for a source no WireGuard peer can be at: port 0; IPv4 0/8 ("this
 * network"), 127/8, multicast 224/4, reserved 240/4 and broadcast;
 * IPv6 multicast, the unspecified and loopback addresses, v4-mapped and
 * v4-compatible addresses; any other family. (The gateway's own
 * addresses are the caller's to check.) The kernel drops such sources
 * before WireGuard sees them; wgjit never installs or initiates toward
 * one.
 */
bool wgjit_endpoint_martian(const union wgjit_endpoint *ep);

/** Clear a peer, including its preshared key, with sodium_memzero(). */
void wgjit_peer_clear(struct wgjit_peer *peer);

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_PEER_H */
