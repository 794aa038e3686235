/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <assert.h>
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_jhash.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_ring_elem.h>

#include "wgjit_clock.h"
#include "wgjit_handoff.h"
#include "wgjit_lcore.h"
#include "wgjit_pkt.h"
#include "wgjit_ratelimit.h"
#include "wgjit_srctab.h"

#define CTL_BURST 16
/* Frames ahead whose first line is fetched while one is classified. */
#define PREFETCH_OFFSET 4

const char *const wgjit_lcore_stats_names[] = {
	"rx", "tx", "to_kernel", "from_kernel", "initiations", "malformed",
	"bad_mac1", "bad_static", "forged", "replays", "ratelimited",
	"over_budget", "skipped_known", "identified", "ring_full",
	"tx_drops", "copy_failed", "reinjected", "endpoint_updates",
	"limited_drops",
};

static_assert(RTE_DIM(wgjit_lcore_stats_names) == WGJIT_LCORE_NB_STATS,
	"one name per counter");
static_assert(offsetof(struct wgjit_lcore_stats, limited_drops) ==
	(WGJIT_LCORE_NB_STATS - 1) * sizeof(uint64_t),
	"counters are consecutive uint64_t");
static_assert(sizeof(struct wgjit_ctl_initiation) % 4 == 0,
	"ring elements are multiples of 4 bytes");
static_assert(sizeof(struct wgjit_lcore_msg) % 4 == 0,
	"ring elements are multiples of 4 bytes");

static atomic_bool stop_flag;

void
wgjit_lcore_stop(void)
{
	atomic_store_explicit(&stop_flag, true, memory_order_relaxed);
}

bool
wgjit_lcore_stopping(void)
{
	return atomic_load_explicit(&stop_flag, memory_order_relaxed);
}

int
wgjit_lcore_init(struct wgjit_lcore *lc, const struct wgjit_lcore_params *p)
{
	if (p->nb_workers == 0 || p->index >= p->nb_workers ||
			p->to_ctl == NULL || p->from_ctl == NULL ||
			p->held_pool == NULL || p->crypto_budget == 0 ||
			(p->spread_out != NULL &&
			 p->queue == WGJIT_LCORE_NO_QUEUE))
		return -EINVAL;
	memset(lc, 0, sizeof(*lc));
	lc->p = *p;
	lc->tsc_hz = rte_get_tsc_hz();
	lc->known = wgjit_srctab_create(p->endpoint_entries);
	if (lc->known == NULL)
		goto fail;
	lc->rl = wgjit_ratelimit_create(p->ratelimit_entries,
		p->per_source_rate, p->per_source_burst, lc->tsc_hz);
	if (lc->rl == NULL)
		goto fail;
	if (p->responder != NULL) {
		lc->noise = wgjit_noise_ctx_create(p->responder,
			p->dh_cache_entries);
		if (lc->noise == NULL)
			goto fail;
		lc->replay = wgjit_replay_table_create(p->replay_entries);
		if (lc->replay == NULL)
			goto fail;
		wgjit_replay_table_store(lc->replay, &lc->replay_store);
	}
	return 0;
fail:
	{
		int ret = errno != 0 ? -errno : -ENOMEM;

		wgjit_lcore_free(lc);
		return ret;
	}
}

void
wgjit_lcore_free(struct wgjit_lcore *lc)
{
	wgjit_noise_ctx_free(lc->noise);
	wgjit_replay_table_free(lc->replay);
	wgjit_ratelimit_free(lc->rl);
	wgjit_srctab_free(lc->known);
	lc->noise = NULL;
	lc->replay = NULL;
	lc->rl = NULL;
	lc->known = NULL;
}

/* Every drop goes through here: free and count, never a silent free. */
static inline void
drop(struct rte_mbuf *m, uint64_t *counter)
{
	rte_pktmbuf_free(m);
	(*counter)++;
}

/* Send a burst; what the queue does not take is dropped and counted. */
static inline uint16_t
send_burst(struct wgjit_lcore *lc, uint16_t port, struct rte_mbuf **pkts,
		uint16_t n)
{
	uint16_t sent;

	if (n == 0)
		return 0;
	sent = rte_eth_tx_burst(port, lc->p.queue, pkts, n);
	for (uint16_t i = sent; i < n; i++)
		drop(pkts[i], &lc->stats.tx_drops);
	return sent;
}

static void
count_verdict(struct wgjit_lcore_stats *st, enum wgjit_noise_verdict v)
{
	switch (v) {
	case WGJIT_NOISE_MALFORMED:
		st->malformed++;
		break;
	case WGJIT_NOISE_BAD_MAC1:
		st->bad_mac1++;
		break;
	case WGJIT_NOISE_FORGED:
		st->forged++;
		break;
	case WGJIT_NOISE_REPLAY:
		st->replays++;
		break;
	default:
		st->bad_static++;
		break;
	}
}

/*
 * Identify one initiation. @p m is the received frame; when @p owned it is
 * a copy this lcore may keep as the held frame (or must free). The caller
 * has checked the known-endpoint table, the rate limit and the budget.
 *
 * With withhold_initiations, an authenticated initiation is not forwarded:
 * its copy (from the held pool, so that held frames never starve RX) goes
 * to the control lcore, which re-injects it unless the gateway is about to
 * initiate (a crossed handshake would stall both sides until the 5 s
 * retry). Returns true when @p m (not owned) was freed that way.
 */
static bool
identify(struct wgjit_lcore *lc, struct rte_mbuf *m, bool owned,
		const struct wgjit_pkt_info *info)
{
	struct wgjit_lcore_stats *st = &lc->stats;
	const uint8_t *frame = rte_pktmbuf_mtod(m, const uint8_t *);
	struct wgjit_ctl_initiation ini;
	struct wgjit_noise_result res;
	enum wgjit_noise_verdict v;

	/* The frame is the first segment (pools hold a full frame). */
	v = wgjit_noise_accept(lc->noise, &lc->replay_store,
		frame + info->payload_offset, info->payload_len, &res);
	if (v != WGJIT_NOISE_OK) {
		count_verdict(st, v);
		if (owned) {
			rte_pktmbuf_free(m);
		} else if (v == WGJIT_NOISE_REPLAY &&
				lc->p.withhold_initiations) {
			/* WireGuard rejects it too; forwarded after a withheld
			 * original it could cross the gateway's initiation. */
			rte_pktmbuf_free(m);
			return true;
		}
		return false;
	}
	memset(&ini, 0, sizeof(ini));
	memcpy(ini.public_key, res.public_key, sizeof(ini.public_key));
	memcpy(ini.tai64n, res.tai64n, sizeof(ini.tai64n));
	ini.worker = lc->p.index;
	ini.src = info->src;
	ini.dst = info->dst;
	ini.rx_ns = wgjit_clock_mono_ns();
	if (owned) {
		ini.held = m;		/* a copy; the original was forwarded */
		ini.forwarded = 1;
	} else if (lc->p.withhold_initiations) {
		ini.held = rte_pktmbuf_copy(m, lc->p.held_pool, 0, UINT32_MAX);
		if (ini.held == NULL)
			st->copy_failed++;
		ini.forwarded = ini.held == NULL;
	} else {
		ini.forwarded = 1;	/* nothing to hold: it goes on now */
	}
	if (rte_ring_enqueue_elem(lc->p.to_ctl, &ini, sizeof(ini)) != 0) {
		if (ini.held != NULL)
			rte_pktmbuf_free(ini.held);
		st->ring_full++;
		return false;	/* the received frame is forwarded */
	}
	st->identified++;
	if (owned || ini.held == NULL || !lc->p.withhold_initiations)
		return false;
	rte_pktmbuf_free(m);
	return true;
}

/* What the gates before any DH decide for one initiation. */
enum gate {
	GATE_CHECK,	/* identify it */
	GATE_FORWARD,	/* only forward it */
	GATE_DROP,	/* over the per-source limit, and limited ones drop */
};

/*
 * The receiving worker's gates: known endpoint (WireGuard handles it),
 * then the per-source token bucket. The crypto budget is the identifying
 * worker's (budget_take()).
 */
static inline enum gate
gate(struct wgjit_lcore *lc, const struct wgjit_pkt_info *info, uint64_t now)
{
	struct wgjit_srctab_key key;

	if (lc->noise == NULL)
		return GATE_FORWARD;
	if (wgjit_srctab_key_from(&key, &info->src, true, 16) == 0 &&
			wgjit_srctab_lookup(lc->known, &key) != NULL) {
		lc->stats.skipped_known++;
		return GATE_FORWARD;
	}
	if (!wgjit_ratelimit_allow(lc->rl, &info->src, now)) {
		lc->stats.ratelimited++;
		return lc->p.forward_limited ? GATE_FORWARD : GATE_DROP;
	}
	return GATE_CHECK;
}

static inline bool
budget_take(struct wgjit_lcore *lc, uint32_t *budget)
{
	if (*budget == 0) {
		lc->stats.over_budget++;
		return false;
	}
	(*budget)--;
	return true;
}

/* Worker 0 with a single uplink queue: which worker checks this source. */
static inline unsigned int
owner_of(const struct wgjit_lcore *lc, const struct wgjit_pkt_info *info)
{
	struct wgjit_srctab_key key;

	if (lc->p.spread_out == NULL ||
			wgjit_srctab_key_from(&key, &info->src, false, 8) < 0)
		return lc->p.index;
	return rte_jhash_32b((const uint32_t *)&key,
		sizeof(key) / sizeof(uint32_t), 0) % lc->p.nb_workers;
}

static void
spread(struct wgjit_lcore *lc, struct rte_mbuf *m, unsigned int owner)
{
	struct rte_mbuf *copy;

	copy = rte_pktmbuf_copy(m, lc->p.held_pool, 0, UINT32_MAX);
	if (copy == NULL) {
		lc->stats.copy_failed++;
		return;
	}
	if (rte_ring_sp_enqueue(lc->p.spread_out[owner], copy) != 0)
		drop(copy, &lc->stats.ring_full);
}

/* Uplink RX: everything to the TAP; initiations are also identified. */
static void
poll_uplink(struct wgjit_lcore *lc)
{
	struct rte_mbuf *pkts[WGJIT_LCORE_BURST];
	struct wgjit_lcore_stats *st = &lc->stats;
	uint32_t budget = lc->p.crypto_budget;
	uint64_t now = 0;
	uint16_t nb_rx, nb_fwd;

	nb_rx = rte_eth_rx_burst(lc->p.uplink_port, lc->p.queue, pkts,
		WGJIT_LCORE_BURST);
	if (nb_rx == 0)
		return;
	st->rx += nb_rx;
	nb_fwd = 0;
	for (uint16_t i = 0; i < nb_rx && i < PREFETCH_OFFSET; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (uint16_t i = 0; i < nb_rx; i++) {
		struct rte_mbuf *m = pkts[i];
		const uint8_t *frame = rte_pktmbuf_mtod(m, const uint8_t *);
		struct wgjit_pkt_info info;
		enum wgjit_pkt_class c;
		unsigned int owner;

		if (i + PREFETCH_OFFSET < nb_rx)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + PREFETCH_OFFSET],
				void *));
		/* Data messages and foreign traffic need no parse. */
		if (likely(wgjit_pkt_fast_class(frame, rte_pktmbuf_data_len(m),
				lc->p.listen_port) != WGJIT_PKT_FAST_PARSE)) {
			pkts[nb_fwd++] = m;
			continue;
		}
		c = wgjit_pkt_classify(frame, rte_pktmbuf_data_len(m),
			lc->p.listen_port, &info);
		if (likely(c != WGJIT_PKT_WG_INITIATION)) {
			if (unlikely(c == WGJIT_PKT_WG_MALFORMED))
				st->malformed++;
			pkts[nb_fwd++] = m;
			continue;
		}
		st->initiations++;
		if (now == 0)
			now = rte_rdtsc();
		switch (gate(lc, &info, now)) {
		case GATE_DROP:
			drop(m, &st->limited_drops);
			continue;
		case GATE_FORWARD:
			break;
		case GATE_CHECK:
			owner = owner_of(lc, &info);
			if (owner != lc->p.index)
				spread(lc, m, owner);
			else if (budget_take(lc, &budget) &&
					identify(lc, m, false, &info))
				continue;	/* withheld: control decides */
			break;
		}
		pkts[nb_fwd++] = m;
	}
	st->to_kernel += send_burst(lc, lc->p.tap_port, pkts, nb_fwd);
}

/* Copies of initiations that worker 0 passed to this worker. */
static void
poll_spread(struct wgjit_lcore *lc)
{
	struct rte_mbuf *pkts[WGJIT_LCORE_BURST];
	uint32_t budget = lc->p.crypto_budget;
	unsigned int n;

	n = rte_ring_sc_dequeue_burst(lc->p.spread_in, (void **)pkts,
		WGJIT_LCORE_BURST, NULL);
	for (unsigned int i = 0; i < n; i++) {
		struct wgjit_pkt_info info;

		if (wgjit_pkt_classify(rte_pktmbuf_mtod(pkts[i], uint8_t *),
				rte_pktmbuf_data_len(pkts[i]),
				lc->p.listen_port, &info) !=
				WGJIT_PKT_WG_INITIATION) {
			drop(pkts[i], &lc->stats.malformed);
			continue;
		}
		/* The receiving worker passed the endpoint and rate gates. */
		if (budget_take(lc, &budget))
			(void)identify(lc, pkts[i], true, &info);
		else
			rte_pktmbuf_free(pkts[i]);
	}
}

/* TAP RX: everything the kernel sends goes out on the uplink. */
static void
poll_tap(struct wgjit_lcore *lc)
{
	struct rte_mbuf *pkts[WGJIT_LCORE_BURST];
	uint16_t nb_rx;

	nb_rx = rte_eth_rx_burst(lc->p.tap_port, lc->p.queue, pkts,
		WGJIT_LCORE_BURST);
	if (nb_rx == 0)
		return;
	lc->stats.from_kernel += nb_rx;
	lc->stats.tx += send_burst(lc, lc->p.uplink_port, pkts, nb_rx);
}

/* Messages from the control lcore. */
static void
poll_ctl(struct wgjit_lcore *lc)
{
	struct wgjit_lcore_msg msgs[CTL_BURST];
	struct rte_mbuf *out[CTL_BURST];
	struct wgjit_srctab_key key;
	uint16_t nb_out = 0;
	unsigned int n;
	bool created;

	n = rte_ring_sc_dequeue_burst_elem(lc->p.from_ctl, msgs,
		sizeof(msgs[0]), CTL_BURST, NULL);
	for (unsigned int i = 0; i < n; i++) {
		struct wgjit_lcore_msg *msg = &msgs[i];
		struct wgjit_pkt_info info;
		uint8_t *frame;

		switch (msg->kind) {
		case WGJIT_LCORE_MSG_ENDPOINT_ADD:
			lc->stats.endpoint_updates++;
			if (wgjit_srctab_key_from(&key, &msg->ep, true, 16) == 0)
				wgjit_srctab_insert(lc->known, &key,
					&created)->stamp = rte_rdtsc();
			break;
		case WGJIT_LCORE_MSG_ENDPOINT_DEL:
			lc->stats.endpoint_updates++;
			if (wgjit_srctab_key_from(&key, &msg->ep, true, 16) == 0)
				wgjit_srctab_remove(lc->known, &key);
			break;
		case WGJIT_LCORE_MSG_REINJECT:
			/* A capture may carry a partial UDP checksum. */
			frame = rte_pktmbuf_mtod(msg->m, uint8_t *);
			if (wgjit_pkt_classify(frame,
					rte_pktmbuf_data_len(msg->m),
					lc->p.listen_port, &info) !=
					WGJIT_PKT_OTHER)
				wgjit_pkt_fix_checksums(frame,
					rte_pktmbuf_data_len(msg->m), &info);
			out[nb_out++] = msg->m;
			break;
		default:
			break;
		}
	}
	lc->stats.reinjected += send_burst(lc, lc->p.tap_port, out, nb_out);
}

int
wgjit_lcore_main(void *arg)
{
	struct wgjit_lcore *lc = arg;
	const bool has_queue = lc->p.queue != WGJIT_LCORE_NO_QUEUE;
	const bool has_spread = lc->p.spread_in != NULL;

	RTE_LOG(INFO, USER1, "wgjit: worker %u on lcore %u: queue %d%s%s\n",
		lc->p.index, rte_lcore_id(), has_queue ? lc->p.queue : -1,
		has_spread ? ", identifies spread initiations" : "",
		lc->noise == NULL ? ", identification off" : "");
	while (!wgjit_lcore_stopping()) {
		if (has_queue) {
			poll_uplink(lc);
			poll_tap(lc);
		}
		if (has_spread)
			poll_spread(lc);
		/* Every worker keeps its endpoint table up to date. */
		poll_ctl(lc);
	}
	return 0;
}

int
wgjit_lcore_post_endpoint(struct wgjit_lcore *lc,
		const union wgjit_endpoint *ep, bool add)
{
	struct wgjit_lcore_msg msg = {
		.kind = add ? WGJIT_LCORE_MSG_ENDPOINT_ADD :
			WGJIT_LCORE_MSG_ENDPOINT_DEL,
		.ep = *ep,
	};

	return rte_ring_sp_enqueue_elem(lc->p.from_ctl, &msg,
		sizeof(msg)) == 0 ? 0 : -ENOBUFS;
}

int
wgjit_lcore_post_reinject(struct wgjit_lcore *lc, struct rte_mbuf *m)
{
	struct wgjit_lcore_msg msg = {
		.kind = WGJIT_LCORE_MSG_REINJECT,
		.m = m,
	};

	if (lc->p.queue == WGJIT_LCORE_NO_QUEUE)
		return -EINVAL;
	return rte_ring_sp_enqueue_elem(lc->p.from_ctl, &msg,
		sizeof(msg)) == 0 ? 0 : -ENOBUFS;
}

void
wgjit_lcore_stats_read(const struct wgjit_lcore *lc,
		struct wgjit_lcore_stats *out)
{
	const volatile uint64_t *src = (const volatile uint64_t *)&lc->stats;
	uint64_t *dst = (uint64_t *)out;

	memset(out, 0, sizeof(*out));
	for (unsigned int i = 0; i < WGJIT_LCORE_NB_STATS; i++)
		dst[i] = src[i];
}
