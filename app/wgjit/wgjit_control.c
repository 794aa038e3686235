/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <string.h>
#include <time.h>

#include <rte_mbuf.h>
#include <rte_ring_elem.h>

#include "wgjit_app.h"
#include "wgjit_ctl.h"

#define CTL_BURST 32
/* Idle wait of the control loop: keeps one core free for the kernel. */
#define CTL_IDLE_NS 200000

/* Hooks the control object calls back (struct wgjit_ctl_hooks). */

static void
hook_release(void *arg, void *held)
{
	RTE_SET_USED(arg);
	rte_pktmbuf_free(held);
}

/* Re-inject from a worker that owns a TAP queue (worker 0 always does). */
static void
hook_reinject(void *arg, void *held)
{
	struct wgjit_app *app = arg;
	struct rte_mbuf *m = held;

	if (wgjit_lcore_post_reinject(app->workers[0], m) < 0)
		rte_pktmbuf_free(m);
}

/* Every worker keeps its own copy of the endpoint table. */
static void
hook_endpoint(void *arg, const union wgjit_endpoint *ep, bool add)
{
	struct wgjit_app *app = arg;

	for (unsigned int w = 0; w < app->nb_workers; w++)
		wgjit_lcore_post_endpoint(app->workers[w], ep, add);
}

void
wgjit_app_control_loop(struct wgjit_app *app)
{
	const struct wgjit_ctl_hooks hooks = {
		.reinject = hook_reinject,
		.release = hook_release,
		.endpoint = hook_endpoint,
		.arg = app,
	};
	struct wgjit_ctl_initiation ini[CTL_BURST];
	const struct timespec idle = { .tv_nsec = CTL_IDLE_NS };
	unsigned int n;

	while (!wgjit_lcore_stopping()) {
		n = rte_ring_sc_dequeue_burst_elem(app->to_ctl, ini,
			sizeof(ini[0]), CTL_BURST, NULL);
		app->ctl.ctl_initiations += n;
		/*
		 * ---- WGJIT-CTL: the control object goes here. ----
		 * wgjit_ctl_create(..., &hooks) once before this loop, then
		 * per pass: hand it ini[0..n) and call wgjit_ctl_poll(); it
		 * takes ownership of every ini[i].held and calls hooks.reinject
		 * or hooks.release for it, and hooks.endpoint on installs and
		 * evictions. Until then every held frame is released here.
		 */
		for (unsigned int i = 0; i < n; i++)
			if (ini[i].held != NULL)
				hooks.release(hooks.arg, ini[i].held);
		if (n == 0)
			nanosleep(&idle, NULL);
	}
	/* Referenced until the control object takes them over. */
	RTE_SET_USED(hooks.reinject);
	RTE_SET_USED(hooks.endpoint);
}

void
wgjit_app_drain_rings(struct wgjit_app *app)
{
	struct wgjit_ctl_initiation ini;
	struct wgjit_lcore_msg msg;
	void *m;

	while (rte_ring_sc_dequeue_elem(app->to_ctl, &ini, sizeof(ini)) == 0)
		rte_pktmbuf_free(ini.held);
	for (unsigned int w = 0; w < app->nb_workers; w++) {
		struct wgjit_lcore *lc = app->workers[w];

		while (rte_ring_sc_dequeue_elem(lc->p.from_ctl, &msg,
				sizeof(msg)) == 0)
			if (msg.kind == WGJIT_LCORE_MSG_REINJECT)
				rte_pktmbuf_free(msg.m);
		if (app->spread[w] != NULL)
			while (rte_ring_sc_dequeue(app->spread[w], &m) == 0)
				rte_pktmbuf_free(m);
	}
}

void
wgjit_app_ctl_counters(void *arg, struct wgjit_tel_ctl_counters *out)
{
	const struct wgjit_app *app = arg;

	/*
	 * ---- WGJIT-CTL: fill from wgjit_ctl_stats() once it exists. ----
	 * Until then only the hand-over count is real; the rest is zero.
	 */
	memset(out, 0, sizeof(*out));
	out->ctl_initiations = app->ctl.ctl_initiations;
}
