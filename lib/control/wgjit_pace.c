/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "wgjit_defaults.h"
#include "wgjit_keytab.h"
#include "wgjit_pace.h"

/* Entries looked at by one wgjit_pace_prune() call per entry asked. */
#define PRUNE_SCAN 8

struct pace_entry {
	uint64_t next_ms;	/* no grant before */
	uint32_t failures;	/* consecutive */
};

struct wgjit_pace {
	struct wgjit_pace_params p;
	struct wgjit_keytab *tab;
	unsigned int prune_pos;
	struct wgjit_pace_stats st;
};

struct wgjit_pace *
wgjit_pace_create(const struct wgjit_pace_params *p)
{
	struct wgjit_pace *pc = calloc(1, sizeof(*pc));

	if (pc == NULL)
		return NULL;
	pc->p = *p;
	if (pc->p.min_refetch_ms == 0)
		pc->p.min_refetch_ms = WGJIT_DEFAULT_CP_MIN_REFETCH_S * 1000;
	if (pc->p.backoff_min_ms == 0)
		pc->p.backoff_min_ms = WGJIT_DEFAULT_CP_BACKOFF_MIN_MS;
	if (pc->p.backoff_max_ms == 0)
		pc->p.backoff_max_ms = WGJIT_DEFAULT_CP_BACKOFF_MAX_MS;
	if (pc->p.entries == 0)
		pc->p.entries = WGJIT_DEFAULT_CP_MAX_QUEUED +
			WGJIT_DEFAULT_CP_MAX_INFLIGHT;
	if (pc->p.backoff_min_ms > pc->p.backoff_max_ms) {
		free(pc);
		errno = EINVAL;
		return NULL;
	}
	pc->tab = wgjit_keytab_create(pc->p.entries, sizeof(struct pace_entry));
	if (pc->tab == NULL) {
		free(pc);
		return NULL;
	}
	return pc;
}

void
wgjit_pace_free(struct wgjit_pace *pc)
{
	if (pc == NULL)
		return;
	wgjit_keytab_free(pc->tab);
	free(pc);
}

/* Nothing is lost by forgetting @p e: its window is over, and it has no
 * failure to remember or its longest backoff has passed since. */
static bool
settled(const struct wgjit_pace *pc, const struct pace_entry *e,
		uint64_t now_ms)
{
	if (now_ms < e->next_ms)
		return false;
	return e->failures == 0 || now_ms - e->next_ms >= pc->p.backoff_max_ms;
}

enum wgjit_pace_verdict
wgjit_pace_grant(struct wgjit_pace *pc, const uint8_t key[WGJIT_KEY_LEN],
		uint64_t now_ms)
{
	struct pace_entry *e;
	bool created;

	e = wgjit_keytab_find(pc->tab, key);
	if (e == NULL && wgjit_keytab_count(pc->tab) ==
			wgjit_keytab_capacity(pc->tab))
		wgjit_pace_prune(pc, now_ms, 4);
	if (e == NULL)
		e = wgjit_keytab_insert(pc->tab, key, &created);
	if (e == NULL) {
		pc->st.full++;
		return WGJIT_PACE_FULL;
	}
	if (now_ms < e->next_ms) {
		pc->st.waits++;
		return WGJIT_PACE_WAIT;
	}
	e->next_ms = now_ms + pc->p.min_refetch_ms;
	pc->st.grants++;
	return WGJIT_PACE_GO;
}

uint64_t
wgjit_pace_failure(struct wgjit_pace *pc, const uint8_t key[WGJIT_KEY_LEN],
		uint64_t now_ms)
{
	struct pace_entry *e;
	uint64_t backoff;
	bool created;

	pc->st.failures++;
	e = wgjit_keytab_insert(pc->tab, key, &created);
	if (e == NULL)
		return 0;
	backoff = pc->p.backoff_min_ms;
	for (uint32_t i = 0; i < e->failures && backoff < pc->p.backoff_max_ms;
			i++)
		backoff *= 2;
	if (backoff > pc->p.backoff_max_ms)
		backoff = pc->p.backoff_max_ms;
	if (e->failures < UINT32_MAX)
		e->failures++;
	if (e->next_ms < now_ms + backoff)
		e->next_ms = now_ms + backoff;
	return backoff;
}

void
wgjit_pace_answered(struct wgjit_pace *pc, const uint8_t key[WGJIT_KEY_LEN])
{
	wgjit_keytab_remove(pc->tab, key);
}

unsigned int
wgjit_pace_prune(struct wgjit_pace *pc, uint64_t now_ms, unsigned int max)
{
	unsigned int n = 0, seen, scan = max * PRUNE_SCAN;
	unsigned int cap = wgjit_keytab_capacity(pc->tab) * 2;
	struct pace_entry *e;

	if (scan > cap)
		scan = cap;
	/*
	 * Resume where the last call stopped, so every key gets looked at;
	 * `scan` counts slots. (Counting entries made a table holding a few
	 * unsettled keys cost a scan of all its slots per entry visited:
	 * 2048 x 65536 slots, ~0.1 s of the control lcore per pass.)
	 */
	while (n < max && scan > 0 && wgjit_keytab_count(pc->tab) > 0) {
		e = wgjit_keytab_next_within(pc->tab, &pc->prune_pos, scan,
			&seen, NULL);
		scan -= seen;
		if (e == NULL)
			continue;	/* wrapped to 0, or the budget is spent */
		if (settled(pc, e, now_ms)) {
			wgjit_keytab_remove_current(pc->tab, &pc->prune_pos);
			n++;
		}
	}
	pc->st.pruned += n;
	return n;
}

void
wgjit_pace_stats(const struct wgjit_pace *pc, struct wgjit_pace_stats *st)
{
	*st = pc->st;
	st->keys = wgjit_keytab_count(pc->tab);
}
