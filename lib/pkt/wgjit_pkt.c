/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "wgjit_msg.h"
#include "wgjit_pkt.h"

enum {
	ETH_HLEN_ = 14,
	VLAN_HLEN = 4,
	IPV4_MIN_HLEN = 20,
	IPV6_HLEN = 40,
	UDP_HLEN = 8,
	ETHERTYPE_IPV4 = 0x0800,
	ETHERTYPE_IPV6 = 0x86dd,
	ETHERTYPE_VLAN = 0x8100,
	ETHERTYPE_QINQ = 0x88a8,
	PROTO_UDP = 17,
};

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Is this UDP payload a well-formed WireGuard message, and which? */
static enum wgjit_pkt_class
classify_wg(const uint8_t *p, size_t len)
{
	if (len < 4 || p[1] != 0 || p[2] != 0 || p[3] != 0)
		return WGJIT_PKT_WG_MALFORMED;
	switch (p[0]) {
	case WGJIT_MSG_INITIATION:
		return len == WGJIT_MSG_INITIATION_LEN ?
			WGJIT_PKT_WG_INITIATION : WGJIT_PKT_WG_MALFORMED;
	case WGJIT_MSG_RESPONSE:
		return len == WGJIT_MSG_RESPONSE_LEN ?
			WGJIT_PKT_WG_OTHER : WGJIT_PKT_WG_MALFORMED;
	case WGJIT_MSG_COOKIE:
		return len == WGJIT_MSG_COOKIE_LEN ?
			WGJIT_PKT_WG_OTHER : WGJIT_PKT_WG_MALFORMED;
	case WGJIT_MSG_DATA:
		return len >= WGJIT_MSG_DATA_MIN_LEN && len % 16 == 0 ?
			WGJIT_PKT_WG_OTHER : WGJIT_PKT_WG_MALFORMED;
	default:
		return WGJIT_PKT_WG_MALFORMED;
	}
}

/* Source and destination addresses; the ports come with the UDP header. */
static void
set_addrs(struct wgjit_pkt_info *info, int family, const uint8_t *src,
		const uint8_t *dst)
{
	if (family == AF_INET) {
		info->src.in4.sin_family = info->dst.in4.sin_family = AF_INET;
		memcpy(&info->src.in4.sin_addr, src, 4);
		memcpy(&info->dst.in4.sin_addr, dst, 4);
	} else {
		info->src.in6.sin6_family = info->dst.in6.sin6_family =
			AF_INET6;
		memcpy(&info->src.in6.sin6_addr, src, 16);
		memcpy(&info->dst.in6.sin6_addr, dst, 16);
	}
}

enum wgjit_pkt_class
wgjit_pkt_classify(const uint8_t *frame, size_t len, uint16_t listen_port,
		struct wgjit_pkt_info *info)
{
	size_t off = ETH_HLEN_, l4_len;
	uint16_t ethertype;
	const uint8_t *l3, *udp;

	memset(info, 0, sizeof(*info));
	if (len < ETH_HLEN_)
		return WGJIT_PKT_TRUNCATED;
	ethertype = rd16(frame + 12);
	if (ethertype == ETHERTYPE_VLAN || ethertype == ETHERTYPE_QINQ) {
		if (len < off + VLAN_HLEN)
			return WGJIT_PKT_TRUNCATED;
		info->has_vlan = true;
		info->vlan_tci = rd16(frame + off);
		ethertype = rd16(frame + off + 2);
		off += VLAN_HLEN;
	}
	info->l3_offset = off;
	l3 = frame + off;
	if (ethertype == ETHERTYPE_IPV4) {
		size_t ihl, tot;

		if (len < off + IPV4_MIN_HLEN)
			return WGJIT_PKT_TRUNCATED;
		if ((l3[0] >> 4) != 4)
			return WGJIT_PKT_OTHER;
		info->ip_version = 4;
		ihl = (size_t)(l3[0] & 0xf) * 4;
		tot = rd16(l3 + 2);
		if (ihl < IPV4_MIN_HLEN || tot < ihl || len < off + tot)
			return WGJIT_PKT_TRUNCATED;
		/* Fragments (MF or an offset) are left to the kernel. */
		if ((rd16(l3 + 6) & 0x3fff) != 0 || l3[9] != PROTO_UDP)
			return WGJIT_PKT_OTHER;
		set_addrs(info, AF_INET, l3 + 12, l3 + 16);
		off += ihl;
		l4_len = tot - ihl;
	} else if (ethertype == ETHERTYPE_IPV6) {
		size_t plen;

		if (len < off + IPV6_HLEN)
			return WGJIT_PKT_TRUNCATED;
		if ((l3[0] >> 4) != 6)
			return WGJIT_PKT_OTHER;
		info->ip_version = 6;
		plen = rd16(l3 + 4);
		if (len < off + IPV6_HLEN + plen)
			return WGJIT_PKT_TRUNCATED;
		if (l3[6] != PROTO_UDP)
			return WGJIT_PKT_OTHER;
		set_addrs(info, AF_INET6, l3 + 8, l3 + 24);
		off += IPV6_HLEN;
		l4_len = plen;
	} else {
		return WGJIT_PKT_OTHER;
	}
	info->l4_offset = off;
	if (l4_len < UDP_HLEN)
		return WGJIT_PKT_TRUNCATED;
	udp = frame + off;
	if (rd16(udp + 4) < UDP_HLEN || rd16(udp + 4) > l4_len)
		return WGJIT_PKT_TRUNCATED;
	/* Ports sit at the same offset in both sockaddr families. */
	info->src.in4.sin_port = htons(rd16(udp));
	info->dst.in4.sin_port = htons(rd16(udp + 2));
	info->payload_offset = off + UDP_HLEN;
	info->payload_len = rd16(udp + 4) - UDP_HLEN;
	if (rd16(udp + 2) != listen_port)
		return WGJIT_PKT_OTHER;
	return classify_wg(frame + info->payload_offset, info->payload_len);
}

unsigned int
wgjit_pkt_wg_sent(const uint8_t *frame, size_t len, uint16_t listen_port,
		struct wgjit_pkt_info *info)
{
	/* Port 0 is no destination: classify stops after the UDP header
	 * with the addresses, ports and payload filled in. */
	if (wgjit_pkt_classify(frame, len, 0, info) != WGJIT_PKT_OTHER ||
			info->ip_version == 0 || info->payload_offset == 0 ||
			ntohs(info->src.in4.sin_port) != listen_port)
		return 0;
	if (classify_wg(frame + info->payload_offset, info->payload_len) ==
			WGJIT_PKT_WG_MALFORMED)
		return 0;
	return frame[info->payload_offset];
}

static uint32_t
csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += rd16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int
wgjit_pkt_fix_checksums(uint8_t *frame, size_t len,
		const struct wgjit_pkt_info *info)
{
	uint8_t *l3 = frame + info->l3_offset;
	uint8_t *udp = frame + info->l4_offset;
	size_t udp_len;
	uint32_t sum = 0;
	uint16_t c;

	if (info->ip_version == 0 || info->payload_offset == 0 ||
			info->payload_offset + info->payload_len > len)
		return -EINVAL;
	udp_len = info->payload_len + UDP_HLEN;
	if (info->ip_version == 4) {
		size_t ihl = (size_t)(l3[0] & 0xf) * 4;

		l3[10] = l3[11] = 0;
		c = csum_fold(csum_add(0, l3, ihl));
		l3[10] = c >> 8;
		l3[11] = c & 0xff;
		sum = csum_add(sum, l3 + 12, 8);
	} else {
		sum = csum_add(sum, l3 + 8, 32);
	}
	sum += PROTO_UDP + (uint32_t)udp_len;
	udp[6] = udp[7] = 0;
	c = csum_fold(csum_add(sum, udp, udp_len));
	if (c == 0)
		c = 0xffff;	/* zero means "no checksum" in UDP */
	udp[6] = c >> 8;
	udp[7] = c & 0xff;
	return 0;
}
