/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_RATELIMIT_H
#define WGJIT_RATELIMIT_H

/**
 * @file
 * Per-source token bucket for handshake initiations: @p rate per second
 * with a burst of @p burst, per IPv4 /32 and per IPv6 /64. Implemented as
 * GCRA (one timestamp per source) in a fixed-size wgjit_srctab.
 *
 * As in kernel WireGuard's ratelimiter, it is meant to run only under
 * load and only for sources that proved they receive (a valid mac2), so
 * a spoofed source never charges anyone's bucket. A source whose set is
 * full of sources seen within the last second is refused (fails closed:
 * a flood of real sources cannot push a limited source out to reset its
 * bucket); older entries are reused, their buckets having refilled.
 * (WGJIT_RATELIMIT_FAIL_OPEN replaces instead, for limits that must not
 * lock anyone out.)
 *
 * Threads: one limiter belongs to one lcore. Time is whatever clock the
 * caller passes (TSC cycles on an lcore), with @p hz ticks per second.
 */

#include <stdbool.h>
#include <stdint.h>

#include "wgjit_peer.h"

#ifdef __cplusplus
extern "C" {
#endif

struct wgjit_ratelimit;

/** What a limiter does when a new source finds its set busy. */
enum wgjit_ratelimit_full {
	/** Refuse the new source (the handshake limiter: nobody can reset
	 * a limited source's bucket by pushing it out). */
	WGJIT_RATELIMIT_FAIL_CLOSED = 0,
	/** Replace the least recently seen source (the cookie reply
	 * limiter, which bounds what any one address receives and must
	 * never refuse a new client its cookie). */
	WGJIT_RATELIMIT_FAIL_OPEN,
};

/**
 * Create a limiter. Init only.
 * @return the limiter, or NULL with errno = EINVAL (a zero parameter or a
 *   rate above @p hz) or ENOMEM.
 */
struct wgjit_ratelimit *wgjit_ratelimit_create(unsigned int entries,
		uint32_t rate, uint32_t burst, uint64_t hz,
		enum wgjit_ratelimit_full full);

/** Free a limiter. NULL is allowed. */
void wgjit_ratelimit_free(struct wgjit_ratelimit *rl);

/** What wgjit_ratelimit_allow() decided. */
enum wgjit_ratelimit_verdict {
	WGJIT_RATELIMIT_ALLOW = 0,
	WGJIT_RATELIMIT_LIMITED,	/**< over the source's rate */
	WGJIT_RATELIMIT_FULL,		/**< no room to track a new source */
};

/**
 * Take one token for the source of @p ep at time @p now.
 * @return the verdict; a family other than IP is LIMITED.
 */
enum wgjit_ratelimit_verdict wgjit_ratelimit_allow(struct wgjit_ratelimit *rl,
		const union wgjit_endpoint *ep, uint64_t now);

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_RATELIMIT_H */
