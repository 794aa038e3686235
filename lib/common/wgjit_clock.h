/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_CLOCK_H
#define WGJIT_CLOCK_H

/**
 * @file
 * The clocks, in one place. Monotonic time (CLOCK_MONOTONIC) schedules
 * and measures: eviction, pacing, backoff, latencies. Wall time
 * (CLOCK_REALTIME) is only what is compared with other machines' clocks
 * or stored for people: TAI64N timestamps, records. Both read the vDSO:
 * no system call.
 *
 * A struct wgjit_clock lets a caller inject time (tests step it; the app
 * passes NULL for the system clocks), so that the control object can be
 * tested without sleeping.
 *
 * Threads: reentrant.
 */

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** CLOCK_MONOTONIC in nanoseconds. */
uint64_t wgjit_clock_mono_ns(void);

/** CLOCK_REALTIME in milliseconds since the Unix epoch. */
uint64_t wgjit_clock_wall_ms(void);

/** A source of both clocks. */
struct wgjit_clock {
	uint64_t (*mono_ns)(void *arg);
	uint64_t (*wall_ms)(void *arg);
	void *arg;
};

/** The system clocks. */
extern const struct wgjit_clock wgjit_clock_system;

/** Monotonic nanoseconds of @p c (NULL: the system clock). */
static inline uint64_t
wgjit_clock_now_ns(const struct wgjit_clock *c)
{
	return c == NULL ? wgjit_clock_mono_ns() : c->mono_ns(c->arg);
}

/** Monotonic milliseconds of @p c (NULL: the system clock). */
static inline uint64_t
wgjit_clock_now_ms(const struct wgjit_clock *c)
{
	return wgjit_clock_now_ns(c) / 1000000;
}

/** Wall-clock milliseconds of @p c (NULL: the system clock). */
static inline uint64_t
wgjit_clock_wall_now_ms(const struct wgjit_clock *c)
{
	return c == NULL ? wgjit_clock_wall_ms() : c->wall_ms(c->arg);
}

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_CLOCK_H */
