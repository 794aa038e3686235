/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * Parsing of WG_CMD_GET_DEVICE dumps into struct wgjit_wg_device:
 * attributes validated before they are read, unknown ones ignored, a peer
 * split across messages merged. Works on caller buffers (no socket).
 */

#include <errno.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/wireguard.h>

#include <libmnl/libmnl.h>
#include <sodium.h>

#include "wgjit_nl.h"
#include "wgjit_nl_priv.h"

/* Dump parsing. Each level keeps the first error it meets in ctx->err. */

struct dump_ctx {
	struct wgjit_wg_device *dev;
	uint16_t family;
	int err;
	struct wgjit_wg_peer peer;	/* the peer being parsed */
	uint32_t seen;			/* WGPEER_A_* present in it */
	unsigned int aip_start;		/* its first IP in dev->aips */
	struct wgjit_allowed_ip aip;	/* the allowed IP being parsed */
	uint32_t aip_seen;
	uint16_t aip_len;		/* its address length */
};

static int
cb_fail(struct dump_ctx *ctx, int err)
{
	if (ctx->err == 0)
		ctx->err = err;
	return MNL_CB_ERROR;
}

static int
aip_attr_cb(const struct nlattr *attr, void *data)
{
	struct dump_ctx *ctx = data;
	uint16_t type = mnl_attr_get_type(attr);
	uint16_t len = mnl_attr_get_payload_len(attr);

	switch (type) {
	case WGALLOWEDIP_A_FAMILY:
		if (mnl_attr_validate(attr, MNL_TYPE_U16) < 0)
			return cb_fail(ctx, -EPROTO);
		ctx->aip.family = mnl_attr_get_u16(attr);
		break;
	case WGALLOWEDIP_A_IPADDR:
		if (len != sizeof(ctx->aip.ip4) && len != sizeof(ctx->aip.ip6))
			return cb_fail(ctx, -EPROTO);
		memcpy(&ctx->aip.ip6, mnl_attr_get_payload(attr), len);
		ctx->aip_len = len;
		break;
	case WGALLOWEDIP_A_CIDR_MASK:
		if (mnl_attr_validate(attr, MNL_TYPE_U8) < 0)
			return cb_fail(ctx, -EPROTO);
		ctx->aip.cidr = mnl_attr_get_u8(attr);
		break;
	default:
		return MNL_CB_OK;
	}
	ctx->aip_seen |= 1u << type;
	return MNL_CB_OK;
}

/* Each allowed IP goes straight to the device's array: no limit. */
static int
aips_cb(const struct nlattr *attr, void *data)
{
	struct dump_ctx *ctx = data;
	const uint32_t all = (1u << WGALLOWEDIP_A_FAMILY) |
		(1u << WGALLOWEDIP_A_IPADDR) | (1u << WGALLOWEDIP_A_CIDR_MASK);
	uint16_t addr_len;

	memset(&ctx->aip, 0, sizeof(ctx->aip));
	ctx->aip_seen = 0;
	if (mnl_attr_parse_nested(attr, aip_attr_cb, ctx) < 0)
		return cb_fail(ctx, -EPROTO);
	if ((ctx->aip_seen & all) != all)
		return cb_fail(ctx, -EPROTO);
	addr_len = ctx->aip_len;
	if (!(ctx->aip.family == AF_INET && addr_len == 4 &&
				ctx->aip.cidr <= 32) &&
			!(ctx->aip.family == AF_INET6 && addr_len == 16 &&
				ctx->aip.cidr <= 128))
		return cb_fail(ctx, -EPROTO);
	if (wgjit_wg_device_add_aip(ctx->dev, &ctx->aip) < 0)
		return cb_fail(ctx, -ENOMEM);
	return MNL_CB_OK;
}

static int
peer_attr_cb(const struct nlattr *attr, void *data)
{
	struct dump_ctx *ctx = data;
	struct wgjit_wg_peer *p = &ctx->peer;
	uint16_t type = mnl_attr_get_type(attr);
	uint16_t len = mnl_attr_get_payload_len(attr);
	const void *pl = mnl_attr_get_payload(attr);
	int64_t ts[2];

	switch (type) {
	case WGPEER_A_PUBLIC_KEY:
	case WGPEER_A_PRESHARED_KEY:
		if (len != WGJIT_KEY_LEN)
			return cb_fail(ctx, -EPROTO);
		memcpy(type == WGPEER_A_PUBLIC_KEY ? p->public_key :
				p->preshared_key, pl, WGJIT_KEY_LEN);
		break;
	case WGPEER_A_ENDPOINT: {
		sa_family_t fam;

		if (len < sizeof(fam))
			return cb_fail(ctx, -EPROTO);
		memcpy(&fam, pl, sizeof(fam));
		if (!(fam == AF_INET && len == sizeof(struct sockaddr_in)) &&
				!(fam == AF_INET6 &&
				len == sizeof(struct sockaddr_in6)))
			return cb_fail(ctx, -EPROTO);
		memcpy(&p->endpoint, pl, len);
		break;
	}
	case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
		if (mnl_attr_validate(attr, MNL_TYPE_U16) < 0)
			return cb_fail(ctx, -EPROTO);
		p->persistent_keepalive = mnl_attr_get_u16(attr);
		break;
	case WGPEER_A_LAST_HANDSHAKE_TIME:
		if (len != sizeof(ts))
			return cb_fail(ctx, -EPROTO);
		memcpy(ts, pl, sizeof(ts));
		p->last_handshake_sec = ts[0];
		break;
	case WGPEER_A_RX_BYTES:
	case WGPEER_A_TX_BYTES:
		if (mnl_attr_validate(attr, MNL_TYPE_U64) < 0)
			return cb_fail(ctx, -EPROTO);
		if (type == WGPEER_A_RX_BYTES)
			p->rx_bytes = mnl_attr_get_u64(attr);
		else
			p->tx_bytes = mnl_attr_get_u64(attr);
		break;
	case WGPEER_A_ALLOWEDIPS:
		if (mnl_attr_parse_nested(attr, aips_cb, ctx) < 0)
			return cb_fail(ctx, -EPROTO);
		break;
	case WGPEER_A_FLAGS:
	case WGPEER_A_PROTOCOL_VERSION:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return cb_fail(ctx, -EPROTO);
		return MNL_CB_OK;
	default:
		return MNL_CB_OK;
	}
	ctx->seen |= 1u << type;
	return MNL_CB_OK;
}

/* Copy the fields the kernel sent in @src (per @seen) into @dst; its
 * @nb_aips allowed IPs are already at the end of the device's array. */
static void
merge_peer(struct wgjit_wg_peer *dst, const struct wgjit_wg_peer *src,
		uint32_t seen, unsigned int nb_aips)
{
#define SEEN(a) (seen & (1u << (a)))
	if (SEEN(WGPEER_A_PRESHARED_KEY))
		memcpy(dst->preshared_key, src->preshared_key, WGJIT_KEY_LEN);
	if (SEEN(WGPEER_A_ENDPOINT))
		dst->endpoint = src->endpoint;
	if (SEEN(WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL))
		dst->persistent_keepalive = src->persistent_keepalive;
	if (SEEN(WGPEER_A_LAST_HANDSHAKE_TIME))
		dst->last_handshake_sec = src->last_handshake_sec;
	if (SEEN(WGPEER_A_RX_BYTES))
		dst->rx_bytes = src->rx_bytes;
	if (SEEN(WGPEER_A_TX_BYTES))
		dst->tx_bytes = src->tx_bytes;
#undef SEEN
	dst->nb_allowed_ips += nb_aips;
	dst->flags = 0;
	if (!wgjit_key_is_zero(dst->preshared_key))
		dst->flags |= WGJIT_PEER_HAS_PRESHARED_KEY;
	if (dst->persistent_keepalive != 0)
		dst->flags |= WGJIT_PEER_HAS_KEEPALIVE;
	if (dst->endpoint.sa.sa_family != AF_UNSPEC)
		dst->flags |= WGJIT_PEER_HAS_ENDPOINT;
}

/*
 * One peer nest. Its allowed IPs are appended to the device's array as
 * they come; a peer the kernel continues from the previous message (same
 * key as the last peer, whose IPs end where these begin) is merged.
 */
static int
peers_cb(const struct nlattr *attr, void *data)
{
	struct dump_ctx *ctx = data;
	struct wgjit_wg_device *dev = ctx->dev;
	struct wgjit_wg_peer *dst = NULL;
	unsigned int nb_aips;

	sodium_memzero(&ctx->peer, sizeof(ctx->peer));
	ctx->seen = 0;
	ctx->aip_start = dev->nb_aips;
	if (mnl_attr_parse_nested(attr, peer_attr_cb, ctx) < 0)
		return cb_fail(ctx, -EPROTO);
	if (!(ctx->seen & (1u << WGPEER_A_PUBLIC_KEY)))
		return cb_fail(ctx, -EPROTO);
	nb_aips = dev->nb_aips - ctx->aip_start;
	if (dev->nb_peers > 0 && memcmp(dev->peers[dev->nb_peers - 1].public_key,
			ctx->peer.public_key, WGJIT_KEY_LEN) == 0)
		dst = &dev->peers[dev->nb_peers - 1];
	if (dst == NULL) {
		/* add_peer starts its IPs at the end: move the start back. */
		dst = wgjit_wg_device_add_peer(dev);
		if (dst == NULL)
			return cb_fail(ctx, -ENOMEM);
		memcpy(dst->public_key, ctx->peer.public_key, WGJIT_KEY_LEN);
		dst->aip_first = ctx->aip_start;
	}
	merge_peer(dst, &ctx->peer, ctx->seen, nb_aips);
	sodium_memzero(&ctx->peer, sizeof(ctx->peer));
	return MNL_CB_OK;
}

static int
device_attr_cb(const struct nlattr *attr, void *data)
{
	struct dump_ctx *ctx = data;
	struct wgjit_wg_device *dev = ctx->dev;
	uint16_t type = mnl_attr_get_type(attr);

	switch (type) {
	case WGDEVICE_A_PRIVATE_KEY:
	case WGDEVICE_A_PUBLIC_KEY:
		if (mnl_attr_get_payload_len(attr) != WGJIT_KEY_LEN)
			return cb_fail(ctx, -EPROTO);
		memcpy(type == WGDEVICE_A_PRIVATE_KEY ? dev->private_key :
				dev->public_key, mnl_attr_get_payload(attr),
				WGJIT_KEY_LEN);
		dev->flags |= type == WGDEVICE_A_PRIVATE_KEY ?
			WGJIT_WG_DEVICE_HAS_PRIVATE_KEY :
			WGJIT_WG_DEVICE_HAS_PUBLIC_KEY;
		break;
	case WGDEVICE_A_LISTEN_PORT:
		if (mnl_attr_validate(attr, MNL_TYPE_U16) < 0)
			return cb_fail(ctx, -EPROTO);
		dev->listen_port = mnl_attr_get_u16(attr);
		break;
	case WGDEVICE_A_FWMARK:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return cb_fail(ctx, -EPROTO);
		dev->fwmark = mnl_attr_get_u32(attr);
		break;
	case WGDEVICE_A_PEERS:
		if (mnl_attr_parse_nested(attr, peers_cb, ctx) < 0)
			return cb_fail(ctx, -EPROTO);
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

static int
dump_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *ctx = data;
	int ret;

	if (nlh->nlmsg_type != ctx->family ||
			mnl_nlmsg_get_payload_len(nlh) < WGJIT_NL_GENL_HDR_SIZE)
		return -EPROTO;
	ret = mnl_attr_parse(nlh, WGJIT_NL_GENL_HDR_SIZE, device_attr_cb, ctx);
	if (ret < 0)
		return ctx->err != 0 ? ctx->err : -EPROTO;
	return 0;
}

int
wgjit_nl_parse_dump(const void *buf, size_t len, uint32_t seq,
		uint32_t portid, uint16_t family, struct wgjit_wg_device *dev)
{
	struct dump_ctx ctx;
	int ret;

	memset(&ctx, 0, sizeof(ctx));
	ctx.dev = dev;
	ctx.family = family;
	ret = wgjit_nl_run_msgs(buf, len, seq, portid, dump_msg_cb, &ctx);
	sodium_memzero(&ctx.peer, sizeof(ctx.peer));
	return ret;
}
