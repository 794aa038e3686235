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

/** Verdict of the fast pre-classifier. */
enum wgjit_pkt_fast {
	WGJIT_PKT_FAST_OTHER = 0,	/**< certainly not for the WG port */
	WGJIT_PKT_FAST_WG_DATA,		/**< a well-formed WG data message */
	WGJIT_PKT_FAST_PARSE,		/**< anything else: classify it */
};

/**
 * Fast path pre-classifier: settles the common cases without filling a
 * struct wgjit_pkt_info — untagged IPv4/IPv6 that is not UDP to
 * @p listen_port (host order), and well-formed WireGuard data messages.
 * Everything else (VLAN, fragments, handshakes, odd lengths) is
 * WGJIT_PKT_FAST_PARSE, for wgjit_pkt_classify(). Agrees with it on every
 * frame it settles: OTHER is classify's OTHER or TRUNCATED, WG_DATA its
 * WG_OTHER; it never hides an initiation or a malformed message (checked
 * by the fuzz_identify target). Reads only; no stores.
 */
static inline enum wgjit_pkt_fast
wgjit_pkt_fast_class(const uint8_t *f, size_t len, uint16_t listen_port)
{
	size_t l4, plen, ip_end;

	if (len < 62)	/* Ethernet + IPv4 + UDP + a WG header at least */
		return WGJIT_PKT_FAST_PARSE;
	if (f[12] == 0x08 && f[13] == 0x00) {			/* IPv4 */
		if (f[23] != 17)
			return (f[14] >> 4) == 4 ? WGJIT_PKT_FAST_OTHER :
				WGJIT_PKT_FAST_PARSE;
		if ((f[20] & 0x3f) != 0 || f[21] != 0 || f[14] != 0x45)
			return WGJIT_PKT_FAST_PARSE;	/* fragment, options */
		l4 = 34;
		ip_end = ((size_t)f[16] << 8 | f[17]) + 14;
		if (ip_end > len)
			return WGJIT_PKT_FAST_PARSE;
	} else if (f[12] == 0x86 && f[13] == 0xdd) {		/* IPv6 */
		if (len < 82 || (f[14] >> 4) != 6)
			return WGJIT_PKT_FAST_PARSE;
		if (f[20] != 17)
			return WGJIT_PKT_FAST_OTHER;	/* or an ext. header */
		l4 = 54;
		ip_end = ((size_t)f[18] << 8 | f[19]) + 54;
		if (ip_end > len)
			return WGJIT_PKT_FAST_PARSE;
	} else if ((f[12] == 0x81 && f[13] == 0x00) ||
			(f[12] == 0x88 && f[13] == 0xa8)) {
		return WGJIT_PKT_FAST_PARSE;			/* VLAN */
	} else {
		return WGJIT_PKT_FAST_OTHER;
	}
	if (f[l4 + 2] != (listen_port >> 8) || f[l4 + 3] != (listen_port & 0xff))
		return WGJIT_PKT_FAST_OTHER;
	plen = (size_t)f[l4 + 4] << 8 | f[l4 + 5];
	if (plen < 8 || l4 + plen > ip_end)
		return WGJIT_PKT_FAST_PARSE;
	plen -= 8;
	if (f[l4 + 8] == 4 && f[l4 + 9] == 0 && f[l4 + 10] == 0 &&
			f[l4 + 11] == 0 && plen >= 32 && plen % 16 == 0)
		return WGJIT_PKT_FAST_WG_DATA;
	return WGJIT_PKT_FAST_PARSE;
}

/**
 * Parse @p frame and classify it against the WireGuard @p listen_port
 * (host order). @p info is filled as far as parsing got.
 */
enum wgjit_pkt_class wgjit_pkt_classify(const uint8_t *frame, size_t len,
		uint16_t listen_port, struct wgjit_pkt_info *info);

/**
 * The WireGuard message a frame carries from @p listen_port (host order):
 * what the gateway itself sends. Parses as wgjit_pkt_classify() does,
 * with the ports the other way round.
 * @return the message type (1 initiation, 2 response, 3 cookie reply,
 *   4 data) of a well-formed message from the port, else 0.
 */
unsigned int wgjit_pkt_wg_sent(const uint8_t *frame, size_t len,
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
