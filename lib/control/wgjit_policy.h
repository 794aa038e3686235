/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_POLICY_H
#define WGJIT_POLICY_H

/**
 * @file
 * What the gateway accepts from the control plane and from the network
 * before it installs a peer:
 *  - allowed IPs: at most max_allowed_ips, each inside one of the policy's
 *    prefixes (none configured: anywhere), never a default route (0/0,
 *    ::/0) unless the policy names it, and never overlapping a prefix of a
 *    peer wgjit did not install (WireGuard would move it off that peer,
 *    and eviction would then delete it);
 *  - endpoints: never a martian source (wgjit_endpoint_martian()) nor one
 *    of the gateway's own addresses.
 *
 * Threads: a policy is read-only after init and may be shared; the
 * gateway-address set belongs to the control lcore.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wgjit_peer.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most prefixes in [policy] allowed_ips. */
#define WGJIT_POLICY_MAX_PREFIXES 64
/** Most gateway addresses remembered. */
#define WGJIT_POLICY_MAX_OWN 64

/** Why an answer or an endpoint was refused (telemetry, logs). */
enum wgjit_policy_reason {
	WGJIT_POLICY_OK = 0,
	WGJIT_POLICY_TOO_MANY_IPS,	/**< over max_allowed_ips */
	WGJIT_POLICY_DEFAULT_ROUTE,	/**< 0/0 or ::/0 not named */
	WGJIT_POLICY_OUTSIDE,		/**< not inside any allowed prefix */
	WGJIT_POLICY_FOREIGN_OVERLAP,	/**< overlaps a peer not wgjit's */
	WGJIT_POLICY_MARTIAN,		/**< endpoint no peer can be at */
	WGJIT_POLICY_OWN_ADDRESS,	/**< endpoint is the gateway's */
	WGJIT_POLICY_NB_REASONS,
};

/** The [policy] configuration, checked. */
struct wgjit_policy {
	struct wgjit_allowed_ip prefixes[WGJIT_POLICY_MAX_PREFIXES];
	unsigned int nb_prefixes;	/**< 0: any address space */
	unsigned int max_allowed_ips;	/**< 1..WGJIT_PEER_MAX_ALLOWED_IPS */
	/** The gateway's own addresses (destinations of initiations). */
	struct wgjit_allowed_ip own[WGJIT_POLICY_MAX_OWN];
	unsigned int nb_own;
};

/**
 * Parse "10.0.0.0/8, fd00::/8" (empty: any) into @p pol with the
 * @p max_allowed_ips limit. @return 0, or -EINVAL with @p err saying which
 * entry is wrong.
 */
int wgjit_policy_init(struct wgjit_policy *pol, const char *prefixes,
		unsigned int max_allowed_ips, char *err, size_t errlen);

/** True when @p a and @p b share any address. */
bool wgjit_policy_overlap(const struct wgjit_allowed_ip *a,
		const struct wgjit_allowed_ip *b);

/**
 * Check the allowed IPs of a control-plane answer. @p foreign holds the
 * @p nb_foreign prefixes of the peers wgjit did not install.
 * @return WGJIT_POLICY_OK or the first reason to refuse; @p bad (may be
 *   NULL) gets the offending entry's index.
 */
enum wgjit_policy_reason wgjit_policy_check_peer(
		const struct wgjit_policy *pol, const struct wgjit_peer *peer,
		const struct wgjit_allowed_ip *foreign, unsigned int nb_foreign,
		unsigned int *bad);

/** Check an endpoint to install or initiate toward. */
enum wgjit_policy_reason wgjit_policy_check_endpoint(
		const struct wgjit_policy *pol, const union wgjit_endpoint *ep);

/** Remember @p ep's address as one of the gateway's (no-op when known
 * or the set is full). */
void wgjit_policy_add_own(struct wgjit_policy *pol,
		const union wgjit_endpoint *ep);

/** Short name of a reason ("too_many_ips", "default_route", ...). */
const char *wgjit_policy_reason_name(enum wgjit_policy_reason r);

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_POLICY_H */
