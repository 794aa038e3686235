/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <arpa/inet.h>
#include <net/if.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wgjit_parse.h"
#include "wgjit_peer.h"

static bool
host_bits_clear(const uint8_t *addr, unsigned int nbytes, unsigned int cidr)
{
	for (unsigned int bit = cidr; bit < nbytes * 8; bit++)
		if (addr[bit / 8] & (0x80 >> (bit % 8)))
			return false;
	return true;
}

int
wgjit_allowed_ip_parse(struct wgjit_allowed_ip *aip, const char *text)
{
	char buf[WGJIT_ALLOWED_IP_STR_SIZE];
	char *slash;
	uint64_t cidr;
	unsigned int max;

	if (text == NULL || strlen(text) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, text);
	memset(aip, 0, sizeof(*aip));
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, &aip->ip4) == 1) {
		aip->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, &aip->ip6) == 1) {
		aip->family = AF_INET6;
		max = 128;
	} else {
		return -EINVAL;
	}
	cidr = max;
	if (slash != NULL && wgjit_parse_u64(slash + 1, max, &cidr) != 0)
		return -EINVAL;
	aip->cidr = cidr;
	if (!host_bits_clear(aip->family == AF_INET ?
			(const uint8_t *)&aip->ip4 : aip->ip6.s6_addr,
			max / 8, aip->cidr))
		return -EINVAL;
	return 0;
}

void
wgjit_allowed_ip_format(char out[WGJIT_ALLOWED_IP_STR_SIZE],
		const struct wgjit_allowed_ip *aip)
{
	char addr[INET6_ADDRSTRLEN] = "?";

	inet_ntop(aip->family, aip->family == AF_INET ?
			(const void *)&aip->ip4 : (const void *)&aip->ip6,
			addr, sizeof(addr));
	snprintf(out, WGJIT_ALLOWED_IP_STR_SIZE, "%s/%u", addr, aip->cidr);
}

int
wgjit_endpoint_parse(union wgjit_endpoint *ep, const char *text)
{
	char buf[WGJIT_ENDPOINT_STR_SIZE];
	char *colon, *zone, *host = buf;
	uint64_t port;

	if (text == NULL || strlen(text) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, text);
	memset(ep, 0, sizeof(*ep));
	colon = strrchr(buf, ':');
	if (colon == NULL)
		return -EINVAL;
	*colon = '\0';
	if (wgjit_parse_u64(colon + 1, 65535, &port) != 0)
		return -EINVAL;
	if (buf[0] == '[') {
		size_t len = strlen(buf);

		if (len < 3 || buf[len - 1] != ']')
			return -EINVAL;
		buf[len - 1] = '\0';
		host = buf + 1;
		/* A link-local address may carry a zone: "%eth0" or "%2". */
		zone = strchr(host, '%');
		if (zone != NULL) {
			uint64_t idx;

			*zone++ = '\0';
			if (wgjit_parse_u64(zone, UINT32_MAX, &idx) == 0)
				ep->in6.sin6_scope_id = (uint32_t)idx;
			else
				ep->in6.sin6_scope_id = if_nametoindex(zone);
		}
		if (inet_pton(AF_INET6, host, &ep->in6.sin6_addr) != 1)
			return -EINVAL;
		ep->in6.sin6_family = AF_INET6;
		ep->in6.sin6_port = htons(port);
		return 0;
	}
	if (inet_pton(AF_INET, host, &ep->in4.sin_addr) != 1)
		return -EINVAL;
	ep->in4.sin_family = AF_INET;
	ep->in4.sin_port = htons(port);
	return 0;
}

void
wgjit_endpoint_format(char out[WGJIT_ENDPOINT_STR_SIZE],
		const union wgjit_endpoint *ep)
{
	char addr[INET6_ADDRSTRLEN] = "?";

	if (ep->sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &ep->in4.sin_addr, addr, sizeof(addr));
		snprintf(out, WGJIT_ENDPOINT_STR_SIZE, "%s:%u", addr,
				ntohs(ep->in4.sin_port));
	} else if (ep->sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &ep->in6.sin6_addr, addr, sizeof(addr));
		snprintf(out, WGJIT_ENDPOINT_STR_SIZE, "[%s]:%u", addr,
				ntohs(ep->in6.sin6_port));
	} else {
		snprintf(out, WGJIT_ENDPOINT_STR_SIZE, "(none)");
	}
}

bool
wgjit_endpoint_equal(const union wgjit_endpoint *a,
		const union wgjit_endpoint *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET)
		return a->in4.sin_port == b->in4.sin_port &&
			a->in4.sin_addr.s_addr == b->in4.sin_addr.s_addr;
	if (a->sa.sa_family == AF_INET6)
		return a->in6.sin6_port == b->in6.sin6_port &&
			memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr,
				sizeof(a->in6.sin6_addr)) == 0;
	return true;
}

void
wgjit_peer_clear(struct wgjit_peer *peer)
{
	sodium_memzero(peer, sizeof(*peer));
}

bool
wgjit_endpoint_martian(const union wgjit_endpoint *ep)
{
	static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };
	static const uint8_t zero12[12];
	const uint8_t *a;

	switch (ep->sa.sa_family) {
	case AF_INET:
		if (ep->in4.sin_port == 0)
			return true;
		a = (const uint8_t *)&ep->in4.sin_addr;
		/* 0/8 this network, 127/8 loopback, 224/4 multicast, 240/4
		 * reserved and the limited broadcast. */
		return a[0] == 0 || a[0] == 127 || a[0] >= 224;
	case AF_INET6:
		if (ep->in6.sin6_port == 0)
			return true;
		a = ep->in6.sin6_addr.s6_addr;
		/* ff00::/8 multicast; ::ffff:0:0/96 v4-mapped; ::/96 holds
		 * the unspecified address, loopback and v4-compatible. */
		return a[0] == 0xff || memcmp(a, v4mapped, 12) == 0 ||
			memcmp(a, zero12, 12) == 0;
	default:
		return true;
	}
}
