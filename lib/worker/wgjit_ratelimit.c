/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <errno.h>
#include <stdlib.h>

#include "wgjit_ratelimit.h"
#include "wgjit_srctab.h"

struct wgjit_ratelimit {
	struct wgjit_srctab *tab;
	uint64_t interval;	/* ticks per token */
	uint64_t tolerance;	/* (burst - 1) * interval */
	uint64_t reuse_age;	/* an entry idle this long is reusable;
				 * 0: any (fail open) */
};

struct wgjit_ratelimit *
wgjit_ratelimit_create(unsigned int entries, uint32_t rate, uint32_t burst,
		uint64_t hz, enum wgjit_ratelimit_full full)
{
	struct wgjit_ratelimit *rl;

	if (entries == 0 || rate == 0 || burst == 0 || hz < rate) {
		errno = EINVAL;
		return NULL;
	}
	rl = calloc(1, sizeof(*rl));
	if (rl == NULL)
		return NULL;
	rl->tab = wgjit_srctab_create(entries);
	if (rl->tab == NULL) {
		free(rl);
		return NULL;
	}
	rl->interval = hz / rate;
	/* A second idle: the bucket has refilled, the entry means nothing. */
	rl->reuse_age = full == WGJIT_RATELIMIT_FAIL_OPEN ? 0 : hz;
	rl->tolerance = (uint64_t)(burst - 1) * rl->interval;
	return rl;
}

void
wgjit_ratelimit_free(struct wgjit_ratelimit *rl)
{
	if (rl == NULL)
		return;
	wgjit_srctab_free(rl->tab);
	free(rl);
}

enum wgjit_ratelimit_verdict
wgjit_ratelimit_allow(struct wgjit_ratelimit *rl,
		const union wgjit_endpoint *ep, uint64_t now)
{
	struct wgjit_srctab_key key;
	struct wgjit_srctab_slot *s;
	bool created;
	uint64_t tat;

	if (wgjit_srctab_key_from(&key, ep, false, 8) < 0)
		return WGJIT_RATELIMIT_LIMITED;
	s = wgjit_srctab_insert_stale(rl->tab, &key, now, rl->reuse_age,
		&created);
	if (s == NULL)
		return WGJIT_RATELIMIT_FULL;
	/* value = theoretical arrival time of the next token. */
	tat = created || s->value < now ? now : s->value;
	s->stamp = now;
	if (tat - now > rl->tolerance)
		return WGJIT_RATELIMIT_LIMITED;
	s->value = tat + rl->interval;
	return WGJIT_RATELIMIT_ALLOW;
}
