/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_XDP_MAPS_H
#define WGJIT_XDP_MAPS_H

/**
 * @file
 * The map layout of wgjit's steer XDP program (wgjit_steer.bpf.c): the one
 * contract between the program, which the af_xdp PMD loads itself from
 * the object file, and wgjit_xdp.c, which finds the program on the
 * interface and talks to it through these maps. Included by both, so it
 * uses only <linux/types.h>.
 *
 * - WGJIT_XDP_MAP_XSKS ("xsks_map"): BPF_MAP_TYPE_XSKMAP, key __u32 = RX
 *   queue index, value __u32 = AF_XDP socket fd. The name is the PMD's
 *   (it looks the map up by name and inserts one socket per queue, key =
 *   start_queue + i); wgjit never writes it.
 * - WGJIT_XDP_MAP_CFG ("wgjit_cfg"): BPF_MAP_TYPE_ARRAY, one entry, key
 *   0, value struct wgjit_xdp_cfg. All zero (as loaded) = pass everything.
 * - WGJIT_XDP_MAP_STATS ("wgjit_stats"): BPF_MAP_TYPE_PERCPU_ARRAY,
 *   key = enum wgjit_xdp_stat, value __u64 per CPU. Every frame the
 *   program sees bumps exactly one entry.
 *
 * A change to any of this is an ABI change: wgjit_xdp_open() checks map
 * types, key and value sizes and entry counts, and refuses a program whose
 * maps differ.
 */

#include <linux/types.h>

#define WGJIT_XDP_PROG_NAME "wgjit_steer"	/**< BPF program name */
#define WGJIT_XDP_MAP_XSKS "xsks_map"		/**< fixed by the PMD */
#define WGJIT_XDP_MAP_CFG "wgjit_cfg"
#define WGJIT_XDP_MAP_STATS "wgjit_stats"

/** Entries of xsks_map: the highest RX queue index steered, plus one. */
#define WGJIT_XDP_MAX_QUEUES 64

/** The value of wgjit_cfg[0]. */
struct wgjit_xdp_cfg {
	__u32 enabled;		/**< 0: pass every frame to the kernel */
	__u16 listen_port;	/**< WireGuard UDP port, host order; 0: pass all */
	__u16 reserved;		/**< 0 */
};

/** Keys of wgjit_stats: why a frame was steered or passed. */
enum wgjit_xdp_stat {
	/** An initiation, redirected to the AF_XDP socket of its queue. */
	WGJIT_XDP_STAT_STEERED = 0,
	/**
	 * An initiation, but no socket on its RX queue (or none at all, as
	 * under BPF_PROG_TEST_RUN): bpf_redirect_map() fell back to
	 * XDP_PASS and the kernel got it.
	 */
	WGJIT_XDP_STAT_NO_XSK,
	/** Not enabled, or listen port 0. */
	WGJIT_XDP_STAT_PASS_DISABLED,
	/** Not IPv4/IPv6 after at most one VLAN tag (ARP, QinQ, ...). */
	WGJIT_XDP_STAT_PASS_NOT_IP,
	/** A header, or a length in one, runs past the frame. */
	WGJIT_XDP_STAT_PASS_TRUNCATED,
	/** IP, but not plain UDP: fragment, IPv6 extension header, TCP. */
	WGJIT_XDP_STAT_PASS_NOT_UDP,
	/** UDP to another port. */
	WGJIT_XDP_STAT_PASS_OTHER_PORT,
	/** UDP to the port, but not a 148-byte type 1 message. */
	WGJIT_XDP_STAT_PASS_NOT_INITIATION,
	WGJIT_XDP_STAT_MAX
};

#endif /* WGJIT_XDP_MAPS_H */
