/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "wgjit_err.h"
#include "wgjit_policy.h"

static const char *const reason_names[WGJIT_POLICY_NB_REASONS] = {
	[WGJIT_POLICY_OK] = "ok",
	[WGJIT_POLICY_TOO_MANY_IPS] = "too_many_ips",
	[WGJIT_POLICY_DEFAULT_ROUTE] = "default_route",
	[WGJIT_POLICY_OUTSIDE] = "outside_policy",
	[WGJIT_POLICY_FOREIGN_OVERLAP] = "foreign_overlap",
	[WGJIT_POLICY_MARTIAN] = "martian",
	[WGJIT_POLICY_OWN_ADDRESS] = "own_address",
};

const char *
wgjit_policy_reason_name(enum wgjit_policy_reason r)
{
	return (unsigned int)r < WGJIT_POLICY_NB_REASONS ? reason_names[r] : "?";
}

static const uint8_t *
addr_of(const struct wgjit_allowed_ip *a)
{
	return a->family == AF_INET ? (const uint8_t *)&a->ip4 :
		a->ip6.s6_addr;
}

/* The first @p bits of @p a and @p b are equal. */
static bool
prefix_eq(const uint8_t *a, const uint8_t *b, unsigned int bits)
{
	unsigned int full = bits / 8, rest = bits % 8;

	if (memcmp(a, b, full) != 0)
		return false;
	return rest == 0 ||
		((a[full] ^ b[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

bool
wgjit_policy_overlap(const struct wgjit_allowed_ip *a,
		const struct wgjit_allowed_ip *b)
{
	if (a->family != b->family)
		return false;
	return prefix_eq(addr_of(a), addr_of(b),
		a->cidr < b->cidr ? a->cidr : b->cidr);
}

/* @p outer holds all of @p inner. */
static bool
contains(const struct wgjit_allowed_ip *outer,
		const struct wgjit_allowed_ip *inner)
{
	return outer->family == inner->family && outer->cidr <= inner->cidr &&
		prefix_eq(addr_of(outer), addr_of(inner), outer->cidr);
}

int
wgjit_policy_init(struct wgjit_policy *pol, const char *prefixes,
		unsigned int max_allowed_ips, char *err, size_t errlen)
{
	const char *p = prefixes;

	memset(pol, 0, sizeof(*pol));
	if (max_allowed_ips == 0 || max_allowed_ips > WGJIT_PEER_MAX_ALLOWED_IPS)
		return wgjit_errf(err, errlen, -EINVAL,
			"max_allowed_ips %u is not in 1..%d", max_allowed_ips,
			WGJIT_PEER_MAX_ALLOWED_IPS);
	pol->max_allowed_ips = max_allowed_ips;
	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, ',');
		size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
		char one[WGJIT_ALLOWED_IP_STR_SIZE];

		while (n > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == 0 || n >= sizeof(one))
			return wgjit_errf(err, errlen, -EINVAL,
				"entry %u is empty or too long", pol->nb_prefixes + 1);
		memcpy(one, p, n);
		one[n] = '\0';
		if (pol->nb_prefixes == WGJIT_POLICY_MAX_PREFIXES)
			return wgjit_errf(err, errlen, -EINVAL,
				"more than %d prefixes", WGJIT_POLICY_MAX_PREFIXES);
		if (wgjit_allowed_ip_parse(&pol->prefixes[pol->nb_prefixes],
				one) != 0)
			return wgjit_errf(err, errlen, -EINVAL,
				"\"%s\" is not a prefix (host bits must be clear)",
				one);
		pol->nb_prefixes++;
		p = end != NULL ? end + 1 : NULL;
	}
	return 0;
}

/* The policy names a default route of @p family itself. */
static bool
names_default(const struct wgjit_policy *pol, uint16_t family)
{
	for (unsigned int i = 0; i < pol->nb_prefixes; i++)
		if (pol->prefixes[i].family == family &&
				pol->prefixes[i].cidr == 0)
			return true;
	return false;
}

static enum wgjit_policy_reason
check_one(const struct wgjit_policy *pol, const struct wgjit_allowed_ip *aip,
		const struct wgjit_allowed_ip *foreign, unsigned int nb_foreign)
{
	bool inside = pol->nb_prefixes == 0;

	if (aip->cidr == 0 && !names_default(pol, aip->family))
		return WGJIT_POLICY_DEFAULT_ROUTE;
	for (unsigned int i = 0; !inside && i < pol->nb_prefixes; i++)
		inside = contains(&pol->prefixes[i], aip);
	if (!inside)
		return WGJIT_POLICY_OUTSIDE;
	for (unsigned int i = 0; i < nb_foreign; i++)
		if (wgjit_policy_overlap(aip, &foreign[i]))
			return WGJIT_POLICY_FOREIGN_OVERLAP;
	return WGJIT_POLICY_OK;
}

enum wgjit_policy_reason
wgjit_policy_check_peer(const struct wgjit_policy *pol,
		const struct wgjit_peer *peer,
		const struct wgjit_allowed_ip *foreign, unsigned int nb_foreign,
		unsigned int *bad)
{
	enum wgjit_policy_reason r;

	if (peer->nb_allowed_ips > pol->max_allowed_ips) {
		if (bad != NULL)
			*bad = pol->max_allowed_ips;
		return WGJIT_POLICY_TOO_MANY_IPS;
	}
	for (unsigned int i = 0; i < peer->nb_allowed_ips; i++) {
		r = check_one(pol, &peer->allowed_ips[i], foreign, nb_foreign);
		if (r != WGJIT_POLICY_OK) {
			if (bad != NULL)
				*bad = i;
			return r;
		}
	}
	return WGJIT_POLICY_OK;
}

static void
to_host_prefix(struct wgjit_allowed_ip *out, const union wgjit_endpoint *ep)
{
	memset(out, 0, sizeof(*out));
	out->family = ep->sa.sa_family;
	if (out->family == AF_INET) {
		out->ip4 = ep->in4.sin_addr;
		out->cidr = 32;
	} else {
		out->ip6 = ep->in6.sin6_addr;
		out->cidr = 128;
	}
}

enum wgjit_policy_reason
wgjit_policy_check_endpoint(const struct wgjit_policy *pol,
		const union wgjit_endpoint *ep)
{
	struct wgjit_allowed_ip host;

	if (wgjit_endpoint_martian(ep))
		return WGJIT_POLICY_MARTIAN;
	to_host_prefix(&host, ep);
	for (unsigned int i = 0; i < pol->nb_own; i++)
		if (contains(&pol->own[i], &host))
			return WGJIT_POLICY_OWN_ADDRESS;
	return WGJIT_POLICY_OK;
}

void
wgjit_policy_add_own(struct wgjit_policy *pol, const union wgjit_endpoint *ep)
{
	struct wgjit_allowed_ip host;

	if (ep->sa.sa_family != AF_INET && ep->sa.sa_family != AF_INET6)
		return;
	to_host_prefix(&host, ep);
	for (unsigned int i = 0; i < pol->nb_own; i++)
		if (contains(&pol->own[i], &host))
			return;
	if (pol->nb_own < WGJIT_POLICY_MAX_OWN)
		pol->own[pol->nb_own++] = host;
}
