/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_PKT_H
#define WGJIT_PKT_H

/**
 * @file
 * Frame classification on raw bytes: Ethernet with at most one VLAN tag
 * (802.1Q or 802.1ad), IPv4 (no fragments) or IPv6 (no extension headers),
 * then UDP. Works on a contiguous buffer, so both the DPDK fast path (first
 * mbuf segment) and wgjit-inspect (pcap records) use it.
 *
 * Threads: reentrant, no allocation, no syscalls.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wgjit_peer.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What a frame is, as far as wgjit cares. */
enum wgjit_pkt_class {
	WGJIT_PKT_OTHER = 0,	  /**< not UDP to the WireGuard port */
	WGJIT_PKT_WG_INITIATION,  /**< 148 bytes, type 1: to identify */
	WGJIT_PKT_WG_OTHER,	  /**< a well-formed response/cookie/data */
	WGJIT_PKT_WG_MALFORMED,	  /**< to the port, but no valid message */
	WGJIT_PKT_TRUNCATED,	  /**< headers claim more than the frame */
};

/** Offsets and addresses of a parsed frame. */
struct wgjit_pkt_info {
	uint16_t l3_offset;
	uint16_t l4_offset;
	uint16_t payload_offset;
	uint16_t payload_len;	  /**< UDP payload length */
	uint16_t vlan_tci;
	bool has_vlan;
	uint8_t ip_version;	  /**< 4 or 6; 0 when not IP */
	union wgjit_endpoint src; /**< set for UDP */
	union wgjit_endpoint dst; /**< set for UDP */
};

/**
 * Parse @p frame and classify it against the WireGuard @p listen_port
 * (host order). @p info is filled as far as parsing got.
 */
enum wgjit_pkt_class wgjit_pkt_classify(const uint8_t *frame, size_t len,
		uint16_t listen_port, struct wgjit_pkt_info *info);

/**
 * Recompute the IPv4 header checksum and the UDP checksum of a frame that
 * wgjit_pkt_classify() parsed (a capture may hold a partial checksum from
 * TX offload). @return 0, or -EINVAL when the frame is not UDP.
 */
int wgjit_pkt_fix_checksums(uint8_t *frame, size_t len,
		const struct wgjit_pkt_info *info);

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_PKT_H */
