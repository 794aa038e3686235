/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * wgjit's XDP program for the "steer" uplink mode. The af_xdp PMD loads
 * this object (devarg xdp_prog=) and attaches its first program to the
 * uplink; it inserts one AF_XDP socket per RX queue into xsks_map.
 *
 * The program redirects only WireGuard handshake initiations to the
 * socket of the frame's RX queue, and passes everything else to the
 * kernel. "Initiation" means exactly what wgjit_pkt_classify() calls
 * WGJIT_PKT_WG_INITIATION (tests/xdp checks the two agree):
 *   Ethernet, at most one VLAN tag (0x8100 or 0x88a8),
 *   IPv4 with IHL >= 5, total length within the frame, no MF, offset 0;
 *   or IPv6 whose next header is UDP, payload length within the frame,
 *   UDP with 8 <= length <= the IP payload, destination port == the
 *   configured listen port, length 8 + 148, payload 01 00 00 00 ....
 * The kernel's UDP stack trims a datagram to its UDP length, so bytes
 * after it (Ethernet padding, an IP payload longer than UDP claims) do not
 * change what the kernel, WireGuard or wgjit see; they are allowed here.
 *
 * The listen port lives in wgjit_cfg (the PMD loads the object, so it
 * cannot be compiled in); until wgjit sets it, everything passes. Every
 * frame bumps one per-CPU counter in wgjit_stats. Map layout:
 * wgjit_xdp_maps.h.
 *
 * Only helpers that are not GPL-only are used (map lookup, redirect_map).
 */

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "wgjit_xdp_maps.h"

enum {
	ETH_HDR_LEN = 14,
	VLAN_HDR_LEN = 4,
	IPV4_MIN_HDR_LEN = 20,
	IPV6_HDR_LEN = 40,
	UDP_HDR_LEN = 8,
	WG_INITIATION_LEN = 148,
	IPV4_FRAG_MASK = 0x3fff,	/* MF and the fragment offset */
};

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, WGJIT_XDP_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wgjit_xdp_cfg);
} wgjit_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, WGJIT_XDP_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} wgjit_stats SEC(".maps");

/* The initiation verdict; every other value is a pass reason. */
#define VERDICT_INITIATION WGJIT_XDP_STAT_STEERED

static __always_inline __u16
rd16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static __always_inline void
count(__u32 stat)
{
	__u64 *v = bpf_map_lookup_elem(&wgjit_stats, &stat);

	/* Per-CPU, and XDP runs with migration disabled: no atomics. */
	if (v != NULL)
		*v += 1;
}

/*
 * The same checks, in the same order, as wgjit_pkt_classify(); pointer
 * comparisons only, so that the verifier sees every bound.
 */
static __always_inline __u32
classify(const __u8 *p, const __u8 *end, __u16 listen_port)
{
	const __u8 *l3, *udp;
	__u16 ethertype, udp_len;
	__u32 l4_len;

	if (p + ETH_HDR_LEN > end)
		return WGJIT_XDP_STAT_PASS_TRUNCATED;
	ethertype = rd16(p + 12);
	l3 = p + ETH_HDR_LEN;
	if (ethertype == ETH_P_8021Q || ethertype == ETH_P_8021AD) {
		if (p + ETH_HDR_LEN + VLAN_HDR_LEN > end)
			return WGJIT_XDP_STAT_PASS_TRUNCATED;
		ethertype = rd16(p + ETH_HDR_LEN + 2);
		l3 = p + ETH_HDR_LEN + VLAN_HDR_LEN;
	}

	if (ethertype == ETH_P_IP) {
		__u32 ihl, tot;

		if (l3 + IPV4_MIN_HDR_LEN > end)
			return WGJIT_XDP_STAT_PASS_TRUNCATED;
		if ((l3[0] >> 4) != 4)
			return WGJIT_XDP_STAT_PASS_NOT_IP;
		ihl = (__u32)(l3[0] & 0xf) * 4;
		tot = rd16(l3 + 2);
		if (ihl < IPV4_MIN_HDR_LEN || tot < ihl || l3 + tot > end)
			return WGJIT_XDP_STAT_PASS_TRUNCATED;
		if ((rd16(l3 + 6) & IPV4_FRAG_MASK) != 0 ||
				l3[9] != IPPROTO_UDP)
			return WGJIT_XDP_STAT_PASS_NOT_UDP;
		udp = l3 + ihl;
		l4_len = tot - ihl;
	} else if (ethertype == ETH_P_IPV6) {
		__u32 plen;

		if (l3 + IPV6_HDR_LEN > end)
			return WGJIT_XDP_STAT_PASS_TRUNCATED;
		if ((l3[0] >> 4) != 6)
			return WGJIT_XDP_STAT_PASS_NOT_IP;
		plen = rd16(l3 + 4);
		if (l3 + IPV6_HDR_LEN + plen > end)
			return WGJIT_XDP_STAT_PASS_TRUNCATED;
		/* Extension headers (hop-by-hop, fragment, ...) pass. */
		if (l3[6] != IPPROTO_UDP)
			return WGJIT_XDP_STAT_PASS_NOT_UDP;
		udp = l3 + IPV6_HDR_LEN;
		l4_len = plen;
	} else {
		return WGJIT_XDP_STAT_PASS_NOT_IP;
	}

	/* l4_len <= the frame was checked above; the verifier needs both. */
	if (l4_len < UDP_HDR_LEN || udp + UDP_HDR_LEN > end)
		return WGJIT_XDP_STAT_PASS_TRUNCATED;
	udp_len = rd16(udp + 4);
	if (udp_len < UDP_HDR_LEN || udp_len > l4_len)
		return WGJIT_XDP_STAT_PASS_TRUNCATED;
	if (rd16(udp + 2) != listen_port)
		return WGJIT_XDP_STAT_PASS_OTHER_PORT;
	if (udp_len != UDP_HDR_LEN + WG_INITIATION_LEN ||
			udp + UDP_HDR_LEN + WG_INITIATION_LEN > end)
		return WGJIT_XDP_STAT_PASS_NOT_INITIATION;
	/* Type 1 and three reserved zero bytes. */
	if (udp[8] != 1 || udp[9] != 0 || udp[10] != 0 || udp[11] != 0)
		return WGJIT_XDP_STAT_PASS_NOT_INITIATION;
	return VERDICT_INITIATION;
}

SEC("xdp")
int
wgjit_steer(struct xdp_md *ctx)
{
	const __u8 *data = (const __u8 *)(long)ctx->data;
	const __u8 *end = (const __u8 *)(long)ctx->data_end;
	const struct wgjit_xdp_cfg *cfg;
	__u32 zero = 0, verdict;
	long ret;

	cfg = bpf_map_lookup_elem(&wgjit_cfg, &zero);
	if (cfg == NULL || cfg->enabled == 0 || cfg->listen_port == 0) {
		count(WGJIT_XDP_STAT_PASS_DISABLED);
		return XDP_PASS;
	}
	verdict = classify(data, end, cfg->listen_port);
	if (verdict != VERDICT_INITIATION) {
		count(verdict);
		return XDP_PASS;
	}
	/* No socket on this queue: the flags' action, XDP_PASS. */
	ret = bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
	count(ret == XDP_REDIRECT ? WGJIT_XDP_STAT_STEERED :
		WGJIT_XDP_STAT_NO_XSK);
	return (int)ret;
}

char _license[] SEC("license") = "BSD";
