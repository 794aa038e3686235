/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <assert.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_jhash.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_ring_elem.h>

#include <sodium.h>

#include "wgjit_clock.h"
#include "wgjit_handoff.h"
#include "wgjit_lcore.h"
#include "wgjit_pkt.h"
#include "wgjit_ratelimit.h"
#include "wgjit_srctab.h"

#define INBOX_BURST 32
/* Frames ahead whose first line is fetched while one is classified. */
#define PREFETCH_OFFSET 4
/* Handshakes taken from the queue at a time (the budget is checked
 * between bursts). */
#define HS_BURST 4
/* Empty passes before an idle lcore starts to sleep. */
#define IDLE_PASSES 64
/* How long a queue counts as under load after it was deep (the kernel's
 * one second). */
#define LOAD_HOLD_S 1
/* Cookie replies allowed in a burst above cookie_rate. */
#define COOKIE_BURST 1024
/* After an endpoint was last marked, how long its messages are looked at
 * (longer than any bring-up the control lcore watches). */
#define WATCH_WINDOW_S 120
/* Mark of a queued initiation from a known endpoint (m->hash.usr): the
 * handshake stage only tells the control lcore its timestamp. */
#define HS_MARK_KNOWN 1u
/* The copy the stage checks stands for a frame already forwarded. */
#define HS_MARK_COPY 2u
/* Queued out of load, no mac2 checked: if the queue is under load when
 * the stage takes it, it goes back to its RX lcore for a cookie. */
#define HS_MARK_UNPROVEN 4u
/* Admitted a second time: the stage does its DH whatever the load. */
#define HS_MARK_READMIT 8u
/* Queued under load with no mac2 checked: the handshake lcore gates it
 * (its RX lcore checked mac1 alone). */
#define HS_MARK_GATE 16u
/* The RX lcore that admitted it, in the bits above. */
#define HS_MARK_RX_SHIFT 16

const char *const wgjit_lcore_stats_names[] = {
	"rx", "tx", "to_kernel", "from_kernel", "tx_drops", "no_next_hop",
	"initiations", "malformed", "martians", "known_endpoint",
	"observe_skipped", "bad_mac1",
	"mac2_valid", "mac2_invalid", "cookies_sent", "cookie_limited",
	"ratelimited", "limiter_full", "hs_queued", "hs_queue_full",
	"hs_checked", "hs_bounced", "hs_gated", "bad_static", "forged", "replays", "negative_skipped",
	"identified", "ring_full", "copy_failed", "forwarded",
	"reinjected", "inbox_msgs", "inbox_full", "events", "events_full",
	"under_load_us", "hs_depth",
};

static_assert(RTE_DIM(wgjit_lcore_stats_names) == WGJIT_LCORE_NB_STATS,
	"one name per counter");
static_assert(offsetof(struct wgjit_lcore_stats, hs_depth) ==
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

/* A TX buffer: frames for one port, sent in a burst. */
struct txbuf {
	uint16_t n;
	struct rte_mbuf *m[WGJIT_LCORE_BURST + INBOX_BURST];
};

/* The depth of a handshake queue that means load: 1/8 of its size. */
static unsigned int
load_threshold(const struct rte_ring *r)
{
	return RTE_MAX(1u, rte_ring_get_capacity(r) / 8);
}

static int
check_params(const struct wgjit_lcore_params *p)
{
	bool rx = p->queue != WGJIT_LCORE_NO_QUEUE;

	if (p->to_ctl == NULL || p->inbox == NULL || p->held_pool == NULL ||
			p->nb_hs_out > WGJIT_LCORE_MAX_HS_OUT ||
			(p->nb_hs_out > 0 && p->hs_out == NULL))
		return -EINVAL;
	/* An lcore without queues only does handshakes, and sends the
	 * frames the kernel should see through an RX lcore. */
	if (!rx && (p->hs_in == NULL || p->fwd_inbox == NULL ||
			p->nb_hs_out > 0))
		return -EINVAL;
	/* The DH work needs the responder; feeding queues needs mac1. */
	if (p->responder == NULL && (p->hs_in != NULL || p->nb_hs_out > 0))
		return -EINVAL;
	if ((p->nb_hs_out > 0 || (!rx && p->hs_in != NULL)) &&
			(p->per_source_rate == 0 ||
			p->per_source_burst == 0 || p->cookie_rate == 0))
		return -EINVAL;
	/* The handshake lcores' gate: their RX lcores have no stage. */
	if (p->hs_lcores_gate && (rx ? p->hs_in != NULL : p->hs_in == NULL))
		return -EINVAL;
	if (p->hs_in != NULL && rx && (p->hs_budget_us == 0 ||
			p->hs_share == 0 || p->hs_share > 100))
		return -EINVAL;
	return 0;
}

static struct rte_hash *
negative_create(const struct wgjit_lcore_params *p)
{
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = p->negative_entries,
		.key_len = WGJIT_KEY_LEN,
		.hash_func = rte_jhash,
		.socket_id = (int)rte_socket_id(),
	};

	snprintf(name, sizeof(name), "wgjit_neg_%u", p->index);
	/* Keys come from the network: a seed nobody knows. */
	randombytes_buf(&hp.hash_func_init_val, sizeof(hp.hash_func_init_val));
	return rte_hash_create(&hp);
}

int
wgjit_lcore_init(struct wgjit_lcore *lc, const struct wgjit_lcore_params *p)
{
	bool rx = p->queue != WGJIT_LCORE_NO_QUEUE;
	int ret = check_params(p);

	if (ret < 0)
		return ret;
	memset(lc, 0, sizeof(*lc));
	lc->p = *p;
	lc->tsc_hz = rte_get_tsc_hz();
	errno = 0;
	/* A handshake lcore gates too (see wgjit_lcore.h): it needs the
	 * endpoints, the cookie and the limiters of an RX lcore. */
	if (rx || p->hs_in != NULL) {
		lc->known = wgjit_srctab_create(p->endpoint_entries);
		if (lc->known == NULL)
			goto fail;
	}
	if (p->nb_hs_out > 0 || !rx) {
		lc->rl = wgjit_ratelimit_create(p->ratelimit_entries,
			p->per_source_rate, p->per_source_burst, lc->tsc_hz,
			WGJIT_RATELIMIT_FAIL_CLOSED);
		lc->cookie_rl = wgjit_ratelimit_create(p->ratelimit_entries,
			p->per_source_rate, p->per_source_burst, lc->tsc_hz,
			WGJIT_RATELIMIT_FAIL_OPEN);
		if (lc->rl == NULL || lc->cookie_rl == NULL)
			goto fail;
		if (wgjit_cookie_checker_init(&lc->cookie,
				p->responder->public_key) < 0)
			goto fail;
		lc->cookie_interval = lc->tsc_hz / p->cookie_rate;
		randombytes_buf(&lc->spread_seed, sizeof(lc->spread_seed));
		for (unsigned int t = 0; t < p->nb_hs_out; t++)
			lc->hs_threshold[t] = load_threshold(p->hs_out[t]);
	}
	if (p->hs_in != NULL) {
		lc->noise = wgjit_noise_ctx_create(p->responder,
			p->dh_cache_entries);
		if (lc->noise == NULL)
			goto fail;
		lc->replay = wgjit_replay_table_create(p->replay_entries);
		if (lc->replay == NULL)
			goto fail;
		wgjit_replay_table_store(lc->replay, &lc->replay_store);
		if (p->negative_entries > 0) {
			lc->negative = negative_create(p);
			if (lc->negative == NULL)
				goto fail;
		}
		lc->hs_budget_tsc = RTE_MAX(UINT64_C(1),
			(uint64_t)p->hs_budget_us * lc->tsc_hz / 1000000);
		lc->hs_in_threshold = load_threshold(p->hs_in);
	}
	return 0;
fail:
	ret = errno != 0 ? -errno : -ENOMEM;
	wgjit_lcore_free(lc);
	return ret;
}

void
wgjit_lcore_free(struct wgjit_lcore *lc)
{
	wgjit_noise_ctx_free(lc->noise);
	wgjit_replay_table_free(lc->replay);
	wgjit_ratelimit_free(lc->rl);
	wgjit_ratelimit_free(lc->cookie_rl);
	wgjit_srctab_free(lc->known);
	rte_hash_free(lc->negative);
	wgjit_cookie_checker_clear(&lc->cookie);
	lc->noise = NULL;
	lc->replay = NULL;
	lc->rl = NULL;
	lc->cookie_rl = NULL;
	lc->known = NULL;
	lc->negative = NULL;
}

/* Every drop goes through here: free and count, never a silent free. */
static inline void
drop(struct rte_mbuf *m, uint64_t *counter)
{
	rte_pktmbuf_free(m);
	(*counter)++;
}

/* Send a buffer; what the queue does not take is dropped and counted.
 * @return the number sent. */
static inline uint16_t
flush(struct wgjit_lcore *lc, uint16_t port, struct txbuf *b)
{
	uint16_t sent;

	if (b->n == 0)
		return 0;
	sent = rte_eth_tx_burst(port, lc->p.queue, b->m, b->n);
	for (uint16_t i = sent; i < b->n; i++)
		drop(b->m[i], &lc->stats.tx_drops);
	b->n = 0;
	return sent;
}

static inline struct wgjit_srctab_slot *
known_endpoint(struct wgjit_lcore *lc, const union wgjit_endpoint *ep)
{
	struct wgjit_srctab_key key;

	if (wgjit_srctab_key_from(&key, ep, true, 16) < 0)
		return NULL;
	return wgjit_srctab_lookup(lc->known, &key);
}

/* A source no peer can be at, or the gateway's own address. */
static inline bool
martian(const struct wgjit_pkt_info *info)
{
	if (wgjit_endpoint_martian(&info->src))
		return true;
	if (info->src.sa.sa_family == AF_INET)
		return info->src.in4.sin_addr.s_addr ==
			info->dst.in4.sin_addr.s_addr;
	return memcmp(&info->src.in6.sin6_addr, &info->dst.in6.sin6_addr,
		sizeof(struct in6_addr)) == 0;
}

/* Events of watched endpoints (see wgjit_lcore.h) --------------------- */

static inline bool
watching(const struct wgjit_lcore *lc, uint64_t now)
{
	return now < lc->watch_until;
}

/* Report @p kind for @p ep once, if the control lcore asked for it. A
 * completion (anything but the gateway's initiation) ends the watch. */
static void
report(struct wgjit_lcore *lc, const union wgjit_endpoint *ep,
		enum wgjit_ctl_event_kind kind)
{
	struct wgjit_srctab_slot *slot = known_endpoint(lc, ep);
	struct wgjit_ctl_event ev;

	if (slot == NULL || !(slot->value & WGJIT_CTL_EV_BIT(kind)))
		return;
	slot->value = kind == WGJIT_CTL_EV_INIT_OUT ?
		slot->value & ~WGJIT_CTL_EV_BIT(kind) : 0;
	if (lc->p.events == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.worker = lc->p.index;
	ev.ep = *ep;
	ev.ns = wgjit_clock_mono_ns();
	if (rte_ring_mp_enqueue_elem(lc->p.events, &ev, sizeof(ev)) == 0)
		lc->stats.events++;
	else
		lc->stats.events_full++;
}

/* A WireGuard message from the client side: a response or data ends a
 * bring-up. @p info may be NULL (data settled by the fast path). */
static void
watch_in(struct wgjit_lcore *lc, struct rte_mbuf *m,
		const struct wgjit_pkt_info *info)
{
	const uint8_t *frame = rte_pktmbuf_mtod(m, const uint8_t *);
	struct wgjit_pkt_info parsed;

	if (info == NULL) {
		if (wgjit_pkt_classify(frame, rte_pktmbuf_data_len(m),
				lc->p.listen_port, &parsed) != WGJIT_PKT_WG_OTHER)
			return;
		info = &parsed;
	}
	switch (frame[info->payload_offset]) {
	case 2:
		report(lc, &info->src, WGJIT_CTL_EV_RESPONSE_IN);
		break;
	case 4:
		report(lc, &info->src, WGJIT_CTL_EV_DATA_IN);
		break;
	default:
		break;
	}
}

/* A frame the kernel sends: the gateway's own handshake messages. */
static void
watch_out(struct wgjit_lcore *lc, struct rte_mbuf *m)
{
	const uint8_t *frame = rte_pktmbuf_mtod(m, const uint8_t *);
	struct wgjit_pkt_info info;

	switch (wgjit_pkt_wg_sent(frame, rte_pktmbuf_data_len(m),
			lc->p.listen_port, &info)) {
	case 1:
		report(lc, &info.dst, WGJIT_CTL_EV_INIT_OUT);
		break;
	case 2:
		report(lc, &info.dst, WGJIT_CTL_EV_RESPONSE_OUT);
		break;
	default:
		break;
	}
}

/* Which of the queues fed owns this source (by address, not port). */
static inline unsigned int
owner_of(const struct wgjit_lcore *lc, const union wgjit_endpoint *src)
{
	struct wgjit_srctab_key key;

	if (lc->p.nb_hs_out == 1 ||
			wgjit_srctab_key_from(&key, src, false, 8) < 0)
		return 0;
	/* Seeded at init: nobody can aim sources at one queue. */
	return rte_jhash_32b((const uint32_t *)&key,
		sizeof(key) / sizeof(uint32_t), lc->spread_seed) % lc->p.nb_hs_out;
}

/*
 * The load rule, for both sides of a handshake queue: a queue @p depth
 * deep, @p threshold or more, is under load now and for LOAD_HOLD_S after
 * (as kernel WireGuard holds its load state); *@p until keeps the time.
 */
static inline bool
load_hold(const struct wgjit_lcore *lc, unsigned int depth,
		unsigned int threshold, uint64_t *until, uint64_t now)
{
	if (depth >= threshold)
		*until = now + LOAD_HOLD_S * lc->tsc_hz;
	return now < *until;
}

/* Under load: queue @p t, as the RX lcore feeding it sees it. */
static inline bool
under_load(struct wgjit_lcore *lc, unsigned int t, uint64_t now)
{
	return load_hold(lc, rte_ring_count(lc->p.hs_out[t]),
		lc->hs_threshold[t], &lc->load_until[t], now);
}

/*
 * May a cookie reply go to @p dst? At most cookie_rate per second in all
 * (GCRA, burst COOKIE_BURST: the lcore's time), and per destination
 * address no more than a client needs (the per-source rate): a spoofed
 * victim gets a trickle, smaller than what was sent in its name.
 */
static inline bool
cookie_take(struct wgjit_lcore *lc, const union wgjit_endpoint *dst,
		uint64_t now)
{
	uint64_t tat = RTE_MAX(lc->cookie_tat, now);

	if (tat - now > COOKIE_BURST * lc->cookie_interval ||
			wgjit_ratelimit_allow(lc->cookie_rl, dst, now) !=
			WGJIT_RATELIMIT_ALLOW)
		return false;
	lc->cookie_tat = tat + lc->cookie_interval;
	return true;
}

static void
swap_bytes(uint8_t *a, uint8_t *b, size_t n)
{
	uint8_t t;

	for (size_t i = 0; i < n; i++) {
		t = a[i];
		a[i] = b[i];
		b[i] = t;
	}
}

/*
 * Turn the initiation in @p m into the cookie reply to its sender, in
 * place: addresses and ports swapped, a 64-byte payload, lengths and
 * checksums fixed, the VLAN tag kept.
 */
static void
make_cookie_frame(struct wgjit_lcore *lc, struct rte_mbuf *m,
		struct wgjit_pkt_info *info, uint64_t now_ns)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	uint8_t *l3 = f + info->l3_offset, *udp = f + info->l4_offset;
	uint8_t reply[WGJIT_MSG_COOKIE_LEN];
	uint16_t udp_len = 8 + WGJIT_MSG_COOKIE_LEN, len;

	wgjit_cookie_reply(&lc->cookie, f + info->payload_offset, &info->src,
		now_ns, reply);
	swap_bytes(f, f + 6, 6);
	if (info->ip_version == 4) {
		uint16_t tot = (uint16_t)((l3[0] & 0xf) * 4 + udp_len);

		swap_bytes(l3 + 12, l3 + 16, 4);
		l3[2] = tot >> 8;
		l3[3] = tot & 0xff;
		l3[4] = l3[5] = 0;	/* id */
		l3[6] = 0x40;		/* DF, no fragment */
		l3[7] = 0;
		l3[8] = 64;		/* TTL */
	} else {
		swap_bytes(l3 + 8, l3 + 24, 16);
		l3[4] = udp_len >> 8;
		l3[5] = udp_len & 0xff;
		l3[7] = 64;		/* hop limit */
	}
	swap_bytes(udp, udp + 2, 2);
	udp[4] = udp_len >> 8;
	udp[5] = udp_len & 0xff;
	memcpy(f + info->payload_offset, reply, sizeof(reply));
	len = info->payload_offset + WGJIT_MSG_COOKIE_LEN;
	rte_pktmbuf_trim(m, rte_pktmbuf_data_len(m) - len);
	info->payload_len = WGJIT_MSG_COOKIE_LEN;
	wgjit_pkt_fix_checksums(f, len, info);
}

/* What the RX lcore did with an initiation. */
enum admit {
	ADMIT_FORWARD,	/* to the TAP, as any frame */
	ADMIT_QUEUED,	/* in a handshake queue */
	ADMIT_COOKIE,	/* turned into a cookie reply, to the uplink */
	ADMIT_DROPPED,
};

/*
 * A known endpoint's initiation, not under load: WireGuard gets it now;
 * a copy goes to the handshake stage for its timestamp (no copy, no
 * harm: the kernel still has the frame).
 */
static enum admit
observe(struct wgjit_lcore *lc, struct rte_mbuf *m, unsigned int t)
{
	struct rte_mbuf *c = rte_pktmbuf_copy(m, lc->p.held_pool, 0,
		UINT32_MAX);

	if (c == NULL) {
		lc->stats.observe_skipped++;
		return ADMIT_FORWARD;
	}
	c->hash.usr = HS_MARK_KNOWN | HS_MARK_COPY;
	if (rte_ring_enqueue(lc->p.hs_out[t], c) != 0)
		drop(c, &lc->stats.observe_skipped);
	return ADMIT_FORWARD;
}

/*
 * The load gate, on whichever lcore holds it: an initiation without a
 * valid mac2 becomes its cookie reply (or is dropped over the cookie
 * limits); one with a valid mac2 has proved its source and passes the
 * per-source limiter. @return ADMIT_COOKIE, ADMIT_DROPPED, or ADMIT_QUEUED
 * for one that goes on to the DH, HS_MARK_KNOWN added to *@p mark when a
 * known endpoint sent it.
 */
static enum admit
gate(struct wgjit_lcore *lc, struct rte_mbuf *m, struct wgjit_pkt_info *info,
		uint64_t now, uint64_t *now_ns, uint32_t *mark)
{
	struct wgjit_lcore_stats *st = &lc->stats;
	const uint8_t *msg = rte_pktmbuf_mtod(m, const uint8_t *) +
		info->payload_offset;

	if (*now_ns == 0)
		*now_ns = wgjit_clock_mono_ns();
	if (!wgjit_cookie_check_mac2(&lc->cookie, msg, &info->src, *now_ns)) {
		st->mac2_invalid++;
		if (!cookie_take(lc, &info->src, now)) {
			drop(m, &st->cookie_limited);
			return ADMIT_DROPPED;
		}
		make_cookie_frame(lc, m, info, *now_ns);
		st->cookies_sent++;
		return ADMIT_COOKIE;
	}
	st->mac2_valid++;
	switch (wgjit_ratelimit_allow(lc->rl, &info->src, now)) {
	case WGJIT_RATELIMIT_ALLOW:
		break;
	case WGJIT_RATELIMIT_FULL:
		drop(m, &st->limiter_full);
		return ADMIT_DROPPED;
	default:
		drop(m, &st->ratelimited);
		return ADMIT_DROPPED;
	}
	/* Looked up only now: a flood's frames cost no lookup. */
	if (known_endpoint(lc, &info->src) != NULL) {
		st->known_endpoint++;
		*mark |= HS_MARK_KNOWN;
	}
	return ADMIT_QUEUED;
}

/*
 * Cheapest check first; no DH here. @p readmit is HS_MARK_READMIT for an
 * initiation the handshake stage gave back (it was queued out of load and
 * taken under load), else 0.
 */
static enum admit
admit(struct wgjit_lcore *lc, struct rte_mbuf *m, struct wgjit_pkt_info *info,
		uint64_t now, uint64_t *now_ns, uint32_t readmit)
{
	struct wgjit_lcore_stats *st = &lc->stats;
	const uint8_t *msg = rte_pktmbuf_mtod(m, const uint8_t *) +
		info->payload_offset;
	unsigned int t;
	uint32_t mark = 0;
	bool load;

	if (martian(info)) {
		drop(m, &st->martians);
		return ADMIT_DROPPED;
	}
	if (lc->p.nb_hs_out == 0)
		return ADMIT_FORWARD;
	if (wgjit_noise_check_mac1(lc->p.responder, msg, info->payload_len) !=
			WGJIT_NOISE_OK) {
		st->bad_mac1++;
		return ADMIT_FORWARD;
	}
	t = owner_of(lc, &info->src);
	load = under_load(lc, t, now);
	if (!load && known_endpoint(lc, &info->src) != NULL) {
		st->known_endpoint++;
		return observe(lc, m, t);
	}
	if (load && lc->p.hs_lcores_gate) {
		/* Handshake lcores gate it: a flood costs this lcore mac1. */
		mark = HS_MARK_GATE;
	} else if (load) {
		enum admit a = gate(lc, m, info, now, now_ns, &mark);

		if (a != ADMIT_QUEUED)
			return a;
	}
	mark |= readmit | (uint32_t)lc->p.index << HS_MARK_RX_SHIFT;
	if (!load)
		mark |= HS_MARK_UNPROVEN;
	m->hash.usr = mark;
	if (rte_ring_enqueue(lc->p.hs_out[t], m) != 0) {
		drop(m, &st->hs_queue_full);
		return ADMIT_DROPPED;
	}
	st->hs_queued++;
	return ADMIT_QUEUED;
}

/*
 * An initiation the handshake stage gave back, admitted again on the RX
 * lcore that admitted it first (whose cookie secret its client's retry
 * will meet): under load now, it gets a cookie reply instead of a DH.
 */
static void
readmit(struct wgjit_lcore *lc, struct rte_mbuf *m, struct txbuf *to_tap,
		struct txbuf *to_uplink)
{
	struct wgjit_pkt_info info;
	uint64_t now_ns = 0;

	if (wgjit_pkt_classify(rte_pktmbuf_mtod(m, const uint8_t *),
			rte_pktmbuf_data_len(m), lc->p.listen_port, &info) !=
			WGJIT_PKT_WG_INITIATION) {
		drop(m, &lc->stats.bad_static);	/* cannot happen: admitted */
		return;
	}
	switch (admit(lc, m, &info, rte_rdtsc(), &now_ns, HS_MARK_READMIT)) {
	case ADMIT_FORWARD:
		to_tap->m[to_tap->n++] = m;
		break;
	case ADMIT_COOKIE:
		to_uplink->m[to_uplink->n++] = m;
		break;
	default:
		break;
	}
}

/* Uplink RX: everything to the TAP but initiations, which admit() takes.
 * @return the number of frames received. */
static unsigned int
poll_uplink(struct wgjit_lcore *lc, uint64_t now)
{
	struct rte_mbuf *pkts[WGJIT_LCORE_BURST];
	struct wgjit_lcore_stats *st = &lc->stats;
	struct txbuf to_tap, to_uplink;
	const bool watch = watching(lc, now);
	uint64_t now_ns = 0;
	uint16_t nb_rx;

	nb_rx = rte_eth_rx_burst(lc->p.uplink_port, lc->p.queue, pkts,
		WGJIT_LCORE_BURST);
	if (nb_rx == 0)
		return 0;
	st->rx += nb_rx;
	to_tap.n = to_uplink.n = 0;
	if (lc->p.steer) {
		/* The next hop of the TAP's frames (see wgjit_lcore.h). */
		memcpy(lc->next_hop, rte_pktmbuf_mtod(pkts[nb_rx - 1],
			const uint8_t *) + 6, 6);
		lc->next_hop_known = true;
	}
	for (uint16_t i = 0; i < nb_rx && i < PREFETCH_OFFSET; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (uint16_t i = 0; i < nb_rx; i++) {
		struct rte_mbuf *m = pkts[i];
		const uint8_t *frame = rte_pktmbuf_mtod(m, const uint8_t *);
		struct wgjit_pkt_info info;
		enum wgjit_pkt_class c;
		enum wgjit_pkt_fast fast;

		if (i + PREFETCH_OFFSET < nb_rx)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + PREFETCH_OFFSET],
				void *));
		/* Data messages and foreign traffic need no parse. */
		fast = wgjit_pkt_fast_class(frame, rte_pktmbuf_data_len(m),
			lc->p.listen_port);
		if (likely(fast != WGJIT_PKT_FAST_PARSE)) {
			if (unlikely(fast == WGJIT_PKT_FAST_WG_DATA && watch))
				watch_in(lc, m, NULL);
			to_tap.m[to_tap.n++] = m;
			continue;
		}
		c = wgjit_pkt_classify(frame, rte_pktmbuf_data_len(m),
			lc->p.listen_port, &info);
		if (likely(c != WGJIT_PKT_WG_INITIATION)) {
			if (unlikely(c == WGJIT_PKT_WG_MALFORMED))
				st->malformed++;
			else if (c == WGJIT_PKT_WG_OTHER && watch)
				watch_in(lc, m, &info);
			to_tap.m[to_tap.n++] = m;
			continue;
		}
		st->initiations++;
		switch (admit(lc, m, &info, now, &now_ns, 0)) {
		case ADMIT_FORWARD:
			to_tap.m[to_tap.n++] = m;
			break;
		case ADMIT_COOKIE:
			to_uplink.m[to_uplink.n++] = m;
			break;
		default:
			break;
		}
	}
	st->to_kernel += flush(lc, lc->p.tap_port, &to_tap);
	st->tx += flush(lc, lc->p.uplink_port, &to_uplink);
	return nb_rx;
}

/* Steer mode: the TAP's frames to the next hop's MAC; false when none is
 * known yet (the frames are dropped). */
static bool
next_hop(struct wgjit_lcore *lc, struct txbuf *b)
{
	if (!lc->next_hop_known) {
		for (uint16_t i = 0; i < b->n; i++)
			drop(b->m[i], &lc->stats.no_next_hop);
		b->n = 0;
		return false;
	}
	for (uint16_t i = 0; i < b->n; i++)
		memcpy(rte_pktmbuf_mtod(b->m[i], uint8_t *), lc->next_hop, 6);
	return true;
}

/* TAP RX: everything the kernel sends goes out on the uplink. */
static unsigned int
poll_tap(struct wgjit_lcore *lc, uint64_t now)
{
	struct txbuf b;

	b.n = rte_eth_rx_burst(lc->p.tap_port, lc->p.queue, b.m,
		WGJIT_LCORE_BURST);
	if (b.n == 0)
		return 0;
	lc->stats.from_kernel += b.n;
	if (lc->p.steer && !next_hop(lc, &b))
		return WGJIT_LCORE_BURST;
	if (unlikely(watching(lc, now)))
		for (uint16_t i = 0; i < b.n; i++)
			watch_out(lc, b.m[i]);
	lc->stats.tx += flush(lc, lc->p.uplink_port, &b);
	return WGJIT_LCORE_BURST;
}

/* A checked frame the kernel should see: from our own TAP queue, or
 * through an RX lcore that has one. */
static void
forward(struct wgjit_lcore *lc, struct rte_mbuf *m, struct txbuf *to_tap)
{
	struct wgjit_lcore_msg msg = {
		.kind = WGJIT_LCORE_MSG_FORWARD,
		.m = m,
	};

	lc->stats.forwarded++;
	if (lc->p.queue != WGJIT_LCORE_NO_QUEUE) {
		to_tap->m[to_tap->n++] = m;
		return;
	}
	if (rte_ring_mp_enqueue_elem(lc->p.fwd_inbox, &msg,
			sizeof(msg)) != 0)
		drop(m, &lc->stats.inbox_full);
}

/* The control plane does not know this key (a wgjit_noise_skip_t). */
static bool
is_negative(void *arg, const uint8_t key[WGJIT_KEY_LEN])
{
	struct wgjit_lcore *lc = arg;
	void *data;

	if (lc->negative == NULL ||
			rte_hash_lookup_data(lc->negative, key, &data) < 0)
		return false;
	if (rte_rdtsc() < (uint64_t)(uintptr_t)data)
		return true;
	rte_hash_del_key(lc->negative, key);	/* expired */
	return false;
}

static void
count_verdict(struct wgjit_lcore_stats *st, enum wgjit_noise_verdict v)
{
	switch (v) {
	case WGJIT_NOISE_FORGED:
		st->forged++;
		break;
	case WGJIT_NOISE_REPLAY:
		st->replays++;
		break;
	case WGJIT_NOISE_STRANGER:
		st->negative_skipped++;
		break;
	default:
		st->bad_static++;
		break;
	}
}

/*
 * The DH work for one queued initiation. An authenticated one goes to the
 * control lcore; with withholding, a copy (from the held pool, so that
 * held frames never starve RX) goes instead of the frame, and the control
 * lcore re-injects it unless the gateway is about to initiate (a crossed
 * handshake would stall both sides until the 5 s retry).
 */
static void
handshake_one(struct wgjit_lcore *lc, struct rte_mbuf *m, struct txbuf *to_tap)
{
	struct wgjit_lcore_stats *st = &lc->stats;
	const uint8_t *frame = rte_pktmbuf_mtod(m, const uint8_t *);
	struct wgjit_ctl_initiation ini;
	struct wgjit_noise_result res;
	struct wgjit_pkt_info info;
	enum wgjit_noise_verdict v;
	uint32_t mark = m->hash.usr;

	st->hs_checked++;
	if (wgjit_pkt_classify(frame, rte_pktmbuf_data_len(m),
			lc->p.listen_port, &info) != WGJIT_PKT_WG_INITIATION) {
		drop(m, &st->bad_static);	/* cannot happen: admitted */
		return;
	}
	v = wgjit_noise_accept_skip(lc->noise, &lc->replay_store, is_negative,
		lc, frame + info.payload_offset, info.payload_len, &res);
	if (v != WGJIT_NOISE_OK) {
		/* WireGuard would reject it just the same. */
		count_verdict(st, v);
		rte_pktmbuf_free(m);
		return;
	}
	memset(&ini, 0, sizeof(ini));
	memcpy(ini.public_key, res.public_key, sizeof(ini.public_key));
	memcpy(ini.tai64n, res.tai64n, sizeof(ini.tai64n));
	ini.worker = lc->p.index;
	ini.src = info.src;
	ini.dst = info.dst;
	ini.rx_ns = wgjit_clock_mono_ns();
	ini.forwarded = 1;
	ini.known = (mark & HS_MARK_KNOWN) != 0;
	if (mark & HS_MARK_COPY) {
		/* The frame went to WireGuard already: only the floor. */
		if (rte_ring_mp_enqueue_elem(lc->p.to_ctl, &ini,
				sizeof(ini)) != 0)
			st->ring_full++;
		else
			st->identified++;
		rte_pktmbuf_free(m);
		return;
	}
	if (lc->p.withhold_initiations && !ini.known) {
		ini.held = rte_pktmbuf_copy(m, lc->p.held_pool, 0, UINT32_MAX);
		if (ini.held == NULL)
			st->copy_failed++;
		else
			ini.forwarded = 0;
	}
	if (rte_ring_mp_enqueue_elem(lc->p.to_ctl, &ini, sizeof(ini)) != 0) {
		rte_pktmbuf_free(ini.held);
		st->ring_full++;
		forward(lc, m, to_tap);	/* the kernel decides alone */
		return;
	}
	st->identified++;
	if (ini.forwarded)
		forward(lc, m, to_tap);
	else
		rte_pktmbuf_free(m);
}

/* The queue this lcore drains is under load: the rule of under_load(),
 * on the depth the queue had before @p taken were taken from it (the RX
 * lcore stops queueing at the threshold, so the depth after would stay
 * one short of it). */
static inline bool
stage_under_load(struct wgjit_lcore *lc, unsigned int taken, uint64_t now)
{
	return load_hold(lc, rte_ring_count(lc->p.hs_in) + taken,
		lc->hs_in_threshold, &lc->hs_in_load_until, now);
}

/*
 * Under load, an initiation queued before it (no mac2 was asked of it)
 * goes back to the RX lcore that admitted it, which answers it with a
 * cookie instead of the DH: kernel WireGuard too decides on its load when
 * it takes a handshake from its queue, so a backlog of garbage queued
 * just before a flood took over costs no DH. @return true if it went (or
 * was handled here, when this lcore is that RX lcore); false: do the DH.
 */
static bool
bounce(struct wgjit_lcore *lc, struct rte_mbuf *m, struct txbuf *to_tap,
		struct txbuf *to_uplink)
{
	const uint32_t mark = m->hash.usr;
	const unsigned int rx = mark >> HS_MARK_RX_SHIFT;
	struct wgjit_lcore_msg msg = {
		.kind = WGJIT_LCORE_MSG_READMIT,
		.m = m,
	};

	if ((mark & (HS_MARK_UNPROVEN | HS_MARK_READMIT)) != HS_MARK_UNPROVEN)
		return false;
	if (rx == lc->p.index && lc->p.queue != WGJIT_LCORE_NO_QUEUE) {
		lc->stats.hs_bounced++;
		readmit(lc, m, to_tap, to_uplink);
		return true;
	}
	if (lc->p.rx_inboxes == NULL || rx >= lc->p.nb_rx_inboxes ||
			rte_ring_mp_enqueue_elem(lc->p.rx_inboxes[rx], &msg,
			sizeof(msg)) != 0)
		return false;
	lc->stats.hs_bounced++;
	return true;
}

/*
 * A handshake lcore's gate (its RX lcores check mac1 alone under load):
 * an initiation queued under load (HS_MARK_GATE), or queued out of load
 * and taken under load (HS_MARK_UNPROVEN), passes gate() here; its cookie
 * reply leaves through the inbox of the RX lcore that admitted it.
 * @return true if it was answered or dropped; false: do the DH.
 */
static bool
stage_gate(struct wgjit_lcore *lc, struct rte_mbuf *m, bool load)
{
	uint32_t mark = m->hash.usr;
	const unsigned int rx = mark >> HS_MARK_RX_SHIFT;
	struct wgjit_lcore_msg msg = {
		.kind = WGJIT_LCORE_MSG_UPLINK,
		.m = m,
	};
	struct wgjit_pkt_info info;
	uint64_t now_ns = 0;

	if ((mark & HS_MARK_GATE) == 0 &&
			!(load && (mark & (HS_MARK_UNPROVEN | HS_MARK_COPY)) ==
			HS_MARK_UNPROVEN))
		return false;
	if (wgjit_pkt_classify(rte_pktmbuf_mtod(m, const uint8_t *),
			rte_pktmbuf_data_len(m), lc->p.listen_port, &info) !=
			WGJIT_PKT_WG_INITIATION) {
		drop(m, &lc->stats.bad_static);	/* cannot happen: admitted */
		return true;
	}
	mark &= ~(HS_MARK_GATE | HS_MARK_UNPROVEN);
	switch (gate(lc, m, &info, rte_rdtsc(), &now_ns, &mark)) {
	case ADMIT_QUEUED:
		m->hash.usr = mark;
		return false;
	case ADMIT_COOKIE:
		lc->stats.hs_gated++;
		if (lc->p.rx_inboxes == NULL || rx >= lc->p.nb_rx_inboxes ||
				rte_ring_mp_enqueue_elem(lc->p.rx_inboxes[rx],
				&msg, sizeof(msg)) != 0)
			drop(m, &lc->stats.inbox_full);
		return true;
	default:
		lc->stats.hs_gated++;
		return true;
	}
}

/*
 * Drain the handshake queue until @p deadline (TSC), a few at a time.
 * @return the number of initiations taken.
 */
static unsigned int
run_handshakes(struct wgjit_lcore *lc, uint64_t deadline, unsigned int burst)
{
	struct rte_mbuf *pkts[HS_BURST];
	struct txbuf to_tap, to_uplink;
	unsigned int n, done = 0;
	bool load;

	to_tap.n = to_uplink.n = 0;
	do {
		n = rte_ring_sc_dequeue_burst(lc->p.hs_in, (void **)pkts,
			burst, NULL);
		load = n > 0 && stage_under_load(lc, n, rte_rdtsc());
		for (unsigned int i = 0; i < n; i++) {
			if (lc->p.hs_lcores_gate) {
				if (stage_gate(lc, pkts[i], load))
					continue;
			} else if (load && bounce(lc, pkts[i], &to_tap,
					&to_uplink)) {
				continue;
			}
			handshake_one(lc, pkts[i], &to_tap);
		}
		done += n;
		if (to_tap.n > WGJIT_LCORE_BURST - HS_BURST)
			lc->stats.to_kernel += flush(lc, lc->p.tap_port,
				&to_tap);
		if (to_uplink.n > WGJIT_LCORE_BURST - HS_BURST)
			lc->stats.tx += flush(lc, lc->p.uplink_port,
				&to_uplink);
	} while (n == burst && rte_rdtsc() < deadline);
	lc->stats.to_kernel += flush(lc, lc->p.tap_port, &to_tap);
	lc->stats.tx += flush(lc, lc->p.uplink_port, &to_uplink);
	return done;
}

static void
negative_add(struct wgjit_lcore *lc, const struct wgjit_lcore_msg *msg)
{
	uint64_t until = rte_rdtsc() + (uint64_t)msg->arg * lc->tsc_hz / 1000;

	/* Full: that stranger costs its second DH until room is made. */
	if (lc->negative != NULL)
		rte_hash_add_key_data(lc->negative, msg->key,
			(void *)(uintptr_t)until);
}

/* An endpoint WireGuard knows, with the events wanted of it. */
static void
endpoint_add(struct wgjit_lcore *lc, const union wgjit_endpoint *ep,
		uint32_t watch)
{
	struct wgjit_srctab_key key;
	struct wgjit_srctab_slot *slot;
	bool created;

	if (lc->known == NULL || wgjit_srctab_key_from(&key, ep, true, 16) < 0)
		return;
	slot = wgjit_srctab_insert(lc->known, &key, &created);
	slot->stamp = rte_rdtsc();
	slot->value = watch;
	if (watch != 0)
		lc->watch_until = slot->stamp + WATCH_WINDOW_S * lc->tsc_hz;
}

/* Messages from the control lcore and from handshake lcores. */
static unsigned int
poll_inbox(struct wgjit_lcore *lc)
{
	struct wgjit_lcore_msg msgs[INBOX_BURST];
	struct txbuf to_tap, reinject, to_uplink;
	struct wgjit_srctab_key key;
	struct wgjit_pkt_info info;
	unsigned int n;

	n = rte_ring_sc_dequeue_burst_elem(lc->p.inbox, msgs,
		sizeof(msgs[0]), INBOX_BURST, NULL);
	if (n == 0)
		return 0;
	lc->stats.inbox_msgs += n;
	/* Not initialised above: zeroing both arrays every pass costs. */
	to_tap.n = reinject.n = to_uplink.n = 0;
	for (unsigned int i = 0; i < n; i++) {
		struct wgjit_lcore_msg *msg = &msgs[i];
		uint8_t *frame;

		switch (msg->kind) {
		case WGJIT_LCORE_MSG_ENDPOINT_ADD:
			endpoint_add(lc, &msg->ep, msg->arg);
			break;
		case WGJIT_LCORE_MSG_ENDPOINT_DEL:
			if (lc->known != NULL && wgjit_srctab_key_from(&key,
					&msg->ep, true, 16) == 0)
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
			reinject.m[reinject.n++] = msg->m;
			break;
		case WGJIT_LCORE_MSG_FORWARD:
			to_tap.m[to_tap.n++] = msg->m;
			break;
		case WGJIT_LCORE_MSG_NEGATIVE:
			negative_add(lc, msg);
			break;
		case WGJIT_LCORE_MSG_UPLINK:
			/* Only RX lcores, which hold an uplink queue. */
			if (lc->p.queue == WGJIT_LCORE_NO_QUEUE)
				drop(msg->m, &lc->stats.inbox_full);
			else
				to_uplink.m[to_uplink.n++] = msg->m;
			break;
		case WGJIT_LCORE_MSG_READMIT:
			/* Only RX lcores that admit get these. */
			if (lc->p.queue == WGJIT_LCORE_NO_QUEUE ||
					lc->p.nb_hs_out == 0)
				drop(msg->m, &lc->stats.inbox_full);
			else
				readmit(lc, msg->m, &to_tap, &to_uplink);
			break;
		default:
			break;
		}
	}
	if (lc->p.queue != WGJIT_LCORE_NO_QUEUE) {
		lc->stats.reinjected += flush(lc, lc->p.tap_port, &reinject);
		lc->stats.to_kernel += flush(lc, lc->p.tap_port, &to_tap);
		lc->stats.tx += flush(lc, lc->p.uplink_port, &to_uplink);
	}
	return n;
}

/*
 * The DH work of an RX lcore: what the data leaves. While the uplink
 * brings full bursts (data keeps the lcore busy), the DH work may take
 * hs_share percent of the time (a bucket of TSC ticks, refilled at that
 * share of the time that passes, at most four budgets deep); when the
 * uplink is quiet the idle time is all the DH work's. The queue then
 * grows while data is busy, which is what puts the gateway under load:
 * cookies instead of DH work for what comes next.
 */
static unsigned int
handshakes_beside_data(struct wgjit_lcore *lc, uint64_t now, bool busy)
{
	int64_t cap = (int64_t)lc->hs_budget_tsc * 4;
	uint64_t t0;
	unsigned int n;

	if (!busy) {
		lc->hs_credit = cap;
	} else {
		lc->hs_credit += (int64_t)((now - lc->hs_refill) *
			lc->p.hs_share / 100);
		if (lc->hs_credit > cap)
			lc->hs_credit = cap;
	}
	lc->hs_refill = now;
	if (lc->hs_credit <= 0)
		return 0;
	t0 = rte_rdtsc();
	n = run_handshakes(lc, t0 + RTE_MIN((uint64_t)lc->hs_credit,
		lc->hs_budget_tsc), 1);
	lc->hs_credit -= (int64_t)(rte_rdtsc() - t0);
	return n;
}

/* Time any queue this lcore feeds spent under load. */
static void
account_load(struct wgjit_lcore *lc, uint64_t now)
{
	uint64_t ticks = now - lc->last_pass;

	lc->last_pass = now;
	for (unsigned int t = 0; t < lc->p.nb_hs_out; t++) {
		if (now < lc->load_until[t]) {
			lc->load_ticks += ticks;
			lc->stats.under_load_us = lc->load_ticks /
				(lc->tsc_hz / 1000000);
			return;
		}
	}
}

static void
idle(struct wgjit_lcore *lc, unsigned int work)
{
	struct timespec ts;

	if (work > 0 || lc->p.idle_sleep_us == 0) {
		lc->idle_passes = 0;
		return;
	}
	if (++lc->idle_passes < IDLE_PASSES)
		return;
	ts.tv_sec = lc->p.idle_sleep_us / 1000000;
	ts.tv_nsec = (long)(lc->p.idle_sleep_us % 1000000) * 1000;
	nanosleep(&ts, NULL);
}

int
wgjit_lcore_main(void *arg)
{
	struct wgjit_lcore *lc = arg;
	const bool rx = lc->p.queue != WGJIT_LCORE_NO_QUEUE;
	const bool hs = lc->p.hs_in != NULL;

	RTE_LOG(INFO, USER1, "wgjit: lcore %u (index %u): %s%s%s\n",
		rte_lcore_id(), lc->p.index, rx ? "RX/TX" : "",
		rx && hs ? " + " : "", hs ? "handshakes" : "");
	lc->last_pass = rte_rdtsc();
	while (!wgjit_lcore_stopping()) {
		uint64_t now = rte_rdtsc();
		unsigned int work = 0, nb_rx = 0;

		if (rx) {
			nb_rx = poll_uplink(lc, now);
			work += nb_rx;
			work += poll_tap(lc, now);
		}
		work += poll_inbox(lc);
		/* After the data: an RX lcore gives the DH work what the data
		 * leaves, a handshake lcore one burst between inbox polls. */
		if (hs && rx)
			work += handshakes_beside_data(lc, rte_rdtsc(),
				nb_rx == WGJIT_LCORE_BURST);
		else if (hs)
			work += run_handshakes(lc, 0, HS_BURST);
		if (lc->p.nb_hs_out > 0)
			account_load(lc, now);
		idle(lc, work);
	}
	return 0;
}

static int
post(struct wgjit_lcore *lc, struct wgjit_lcore_msg *msg)
{
	return rte_ring_mp_enqueue_elem(lc->p.inbox, msg, sizeof(*msg)) == 0 ?
		0 : -ENOBUFS;
}

int
wgjit_lcore_post_endpoint(struct wgjit_lcore *lc,
		const union wgjit_endpoint *ep, bool add, uint32_t watch)
{
	struct wgjit_lcore_msg msg = {
		.kind = add ? WGJIT_LCORE_MSG_ENDPOINT_ADD :
			WGJIT_LCORE_MSG_ENDPOINT_DEL,
		.arg = add ? watch : 0,
		.ep = *ep,
	};

	return post(lc, &msg);
}

int
wgjit_lcore_post_negative(struct wgjit_lcore *lc,
		const uint8_t key[WGJIT_KEY_LEN], uint32_t ttl_ms)
{
	struct wgjit_lcore_msg msg = {
		.kind = WGJIT_LCORE_MSG_NEGATIVE,
		.arg = ttl_ms,
	};

	memcpy(msg.key, key, WGJIT_KEY_LEN);
	return post(lc, &msg);
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
	return post(lc, &msg);
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
	out->hs_depth = lc->p.hs_in != NULL ? rte_ring_count(lc->p.hs_in) : 0;
}
