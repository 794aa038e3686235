/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_ring_elem.h>

#include "wgjit_app.h"
#include "wgjit_clock.h"
#include "wgjit_ctl.h"

#define CTL_BURST 32
#define EVENT_BURST 64
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

	if (wgjit_lcore_post_reinject(app->workers[0], m) < 0) {
		rte_pktmbuf_free(m);
		app->ctl.reinject_drops++;
	}
}

/* Every RX lcore keeps its own copy of the endpoint table (a client's
 * frames may arrive on any queue), and so does every handshake lcore,
 * which gates under load (wgjit_lcore.h). */
static void
hook_endpoint(void *arg, const union wgjit_endpoint *ep, bool add,
		uint32_t watch)
{
	struct wgjit_app *app = arg;

	for (unsigned int w = 0; w < app->nb_workers; w++)
		if (app->workers[w] != NULL && wgjit_lcore_post_endpoint(
				app->workers[w], ep, add, watch) < 0)
			app->ctl.inbox_drops++;
}

static void
hook_log(void *arg, enum wgjit_ctl_log_level level, const char *line)
{
	RTE_SET_USED(arg);
	/* syslog levels are rte_log's plus one. */
	rte_log((uint32_t)level + 1, wgjit_logtype_ctl, "wgjit.ctl: %s\n",
		line);
}

/* Every lcore that does DH work keeps its own table of strangers. */
static void
hook_negative(void *arg, const uint8_t key[WGJIT_KEY_LEN], uint32_t ttl_ms)
{
	struct wgjit_app *app = arg;

	for (unsigned int w = 0; w < app->nb_workers; w++)
		if (app->hs_queue[w] != NULL && wgjit_lcore_post_negative(
				app->workers[w], key, ttl_ms) < 0)
			app->ctl.inbox_drops++;
}

void
wgjit_app_control_hooks(struct wgjit_app *app, struct wgjit_ctl_hooks *hooks)
{
	hooks->reinject = hook_reinject;
	hooks->release = hook_release;
	hooks->endpoint = hook_endpoint;
	hooks->negative = hook_negative;
	hooks->log = hook_log;
	hooks->arg = app;
}

/* Bring-up events first: they end watches the pass would time out. */
static unsigned int
take_events(struct wgjit_app *app)
{
	struct wgjit_ctl_event ev[EVENT_BURST];
	unsigned int n, total = 0;

	do {
		n = rte_ring_sc_dequeue_burst_elem(app->events, ev,
			sizeof(ev[0]), EVENT_BURST, NULL);
		for (unsigned int i = 0; i < n && app->ctl_obj != NULL; i++)
			wgjit_ctl_event(app->ctl_obj, &ev[i]);
		total += n;
	} while (n == EVENT_BURST);
	return total;
}

/* Up to one install batch of initiations per pass: the pass stays
 * bounded, and what is left waits in the ring for the next one. */
static unsigned int
take_initiations(struct wgjit_app *app)
{
	struct wgjit_ctl_initiation ini[CTL_BURST];
	unsigned int n, total = 0, max = app->cfg.control.install_batch;

	do {
		n = rte_ring_sc_dequeue_burst_elem(app->to_ctl, ini,
			sizeof(ini[0]), CTL_BURST, NULL);
		for (unsigned int i = 0; i < n; i++) {
			if (app->ctl_obj != NULL)
				wgjit_ctl_submit(app->ctl_obj, &ini[i]);
			else if (ini[i].held != NULL)
				hook_release(app, ini[i].held);
		}
		total += n;
	} while (n == CTL_BURST && total < max);
	app->ctl.ctl_initiations += total;
	return total;
}

void
wgjit_app_control_loop(struct wgjit_app *app)
{
	const struct timespec idle = { .tv_nsec = CTL_IDLE_NS };
	unsigned int n;

	while (!wgjit_lcore_stopping()) {
		n = take_events(app);
		n += take_initiations(app);
		/* Never blocks: curl multi, one batch, dumps only when due. */
		if (app->ctl_obj != NULL &&
				wgjit_ctl_poll(app->ctl_obj) == -ESTALE) {
			APP_LOG(ERR, "the WireGuard device changed identity: "
				"starting again");
			app->restart = true;
			wgjit_lcore_stop();
		}
		if (n == 0)
			nanosleep(&idle, NULL);
	}
}

void
wgjit_app_drain_rings(struct wgjit_app *app)
{
	struct wgjit_ctl_initiation ini;
	struct wgjit_ctl_event ev;
	struct wgjit_lcore_msg msg;
	void *m;

	while (rte_ring_sc_dequeue_elem(app->to_ctl, &ini, sizeof(ini)) == 0)
		rte_pktmbuf_free(ini.held);
	while (rte_ring_sc_dequeue_elem(app->events, &ev, sizeof(ev)) == 0)
		;
	for (unsigned int w = 0; w < app->nb_workers; w++) {
		while (rte_ring_sc_dequeue_elem(app->inbox[w], &msg,
				sizeof(msg)) == 0)
			if (msg.kind == WGJIT_LCORE_MSG_REINJECT ||
					msg.kind == WGJIT_LCORE_MSG_FORWARD)
				rte_pktmbuf_free(msg.m);
		while (app->hs_queue[w] != NULL &&
				rte_ring_sc_dequeue(app->hs_queue[w], &m) == 0)
			rte_pktmbuf_free(m);
	}
}

const char *const wgjit_app_counter_names[] = {
	"ctl_initiations", "reinject_drops", "inbox_drops",
};

static_assert(RTE_DIM(wgjit_app_counter_names) ==
	sizeof(struct wgjit_app_counters) / sizeof(uint64_t),
	"one name per counter");

void
wgjit_app_counters_read(void *arg, uint64_t *values)
{
	const struct wgjit_app *app = arg;

	memcpy(values, &app->ctl, sizeof(app->ctl));
}

void
wgjit_app_ctl_stats_read(void *arg, uint64_t *values)
{
	const struct wgjit_app *app = arg;
	struct wgjit_ctl_stats st;

	/* Single-writer counters, read without a lock. */
	wgjit_ctl_stats(app->ctl_obj, &st);
	memcpy(values, &st, WGJIT_CTL_NB_STATS * sizeof(uint64_t));
}

unsigned int
wgjit_app_peers(void *arg, unsigned int first, struct wgjit_tel_peer *out,
		unsigned int max)
{
	struct wgjit_app *app = arg;
	struct wgjit_ctl_peer_info all[64];
	unsigned int n;
	uint64_t now = wgjit_clock_wall_ms();

	if (app->ctl_obj == NULL)
		return 0;
	n = wgjit_ctl_peers(app->ctl_obj, first, all,
		RTE_MIN(max, (unsigned int)RTE_DIM(all)));
	for (unsigned int k = 0; k < n; k++) {
		const struct wgjit_ctl_peer_info *p = &all[k];

		wgjit_key_to_base64(out[k].public_key, p->public_key);
		wgjit_key_to_hex(out[k].key_hex, p->public_key);
		wgjit_endpoint_format(out[k].endpoint, &p->endpoint);
		out[k].age_s = now > p->installed_ms ?
			(now - p->installed_ms) / 1000 : 0;
		out[k].last_handshake_s = p->last_handshake_sec == 0 ? -1 :
			(int64_t)(now / 1000) - p->last_handshake_sec;
	}
	return n;
}

void
wgjit_app_latency(void *arg, uint64_t (*h)[WGJIT_TEL_HIST_BUCKETS])
{
	struct wgjit_app *app = arg;
	struct wgjit_ctl_stats st;

	RTE_BUILD_BUG_ON(WGJIT_TEL_HIST_BUCKETS != WGJIT_CTL_HIST_BUCKETS);
	wgjit_ctl_stats(app->ctl_obj, &st);
	memcpy(h, st.hist, sizeof(st.hist));
}

const char *const wgjit_app_xdp_names[WGJIT_APP_NB_XDP] = {
	"xdp_steered", "xdp_no_xsk", "xdp_pass_disabled", "xdp_pass_not_ip",
	"xdp_pass_truncated", "xdp_pass_not_udp", "xdp_pass_other_port",
	"xdp_pass_not_initiation", "xdp_passed",
};

void
wgjit_app_xdp_stats_read(void *arg, uint64_t *values)
{
	const struct wgjit_app *app = arg;
	struct wgjit_xdp_stats st;

	memset(values, 0, WGJIT_APP_NB_XDP * sizeof(uint64_t));
	if (app->xdp == NULL || wgjit_xdp_read_stats(app->xdp, &st, NULL, 0) < 0)
		return;
	values[0] = st.steered;
	values[1] = st.no_xsk;
	values[2] = st.pass_disabled;
	values[3] = st.pass_not_ip;
	values[4] = st.pass_truncated;
	values[5] = st.pass_not_udp;
	values[6] = st.pass_other_port;
	values[7] = st.pass_not_initiation;
	values[8] = st.passed;
}
