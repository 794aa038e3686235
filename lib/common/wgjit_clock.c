/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <time.h>

#include "wgjit_clock.h"

uint64_t
wgjit_clock_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t
wgjit_clock_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t
system_mono_ns(void *arg)
{
	(void)arg;
	return wgjit_clock_mono_ns();
}

static uint64_t
system_wall_ms(void *arg)
{
	(void)arg;
	return wgjit_clock_wall_ms();
}

const struct wgjit_clock wgjit_clock_system = {
	.mono_ns = system_mono_ns,
	.wall_ms = system_wall_ms,
	.arg = NULL,
};
