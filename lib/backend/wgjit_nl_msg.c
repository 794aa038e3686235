/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * Building and parsing of WireGuard generic Netlink messages. No socket
 * here: everything works on caller buffers, so it is unit tested (and
 * fuzzed) without a kernel.
 */

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <net/if.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/wireguard.h>

#include <libmnl/libmnl.h>
#include <sodium.h>

#include "wgjit_nl.h"

#define GENL_HDR_SIZE MNL_ALIGN(sizeof(struct genlmsghdr))

/* Largest errno a kernel error message may carry (MAX_ERRNO). */
#define NL_MAX_ERRNO 4095

/*
 * mnl_nlmsg_ok() casts nlmsg_len to int, so a length above INT_MAX
 * passes; check it unsigned.
 */
static bool
msg_ok(const struct nlmsghdr *nlh, int rem)
{
	return rem >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
		nlh->nlmsg_len <= (unsigned int)rem;
}

typedef int (*nl_msg_cb)(const struct nlmsghdr *nlh, void *data);

static struct nlmsghdr *
put_genl_header(void *buf, size_t size, uint16_t type, uint16_t flags,
		uint32_t seq, uint8_t cmd, uint8_t version)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;

	if (size < MNL_NLMSG_HDRLEN + GENL_HDR_SIZE)
		return NULL;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = version;
	return nlh;
}

static int
check_ifname(const char *ifname)
{
	size_t len;

	if (ifname == NULL)
		return -EINVAL;
	len = strnlen(ifname, IFNAMSIZ);
	if (len == 0 || len >= IFNAMSIZ)
		return -EINVAL;
	return 0;
}

/*
 * Walk the messages of one received buffer: check port id, sequence and
 * NLM_F_DUMP_INTR on each, handle control messages here and hand data
 * messages to @cb. Returns 1 when more is expected, 0 on NLMSG_DONE or an
 * ack, or -errno.
 */
static int
run_msgs(const void *buf, size_t len, uint32_t seq, uint32_t portid,
		nl_msg_cb cb, void *data)
{
	const struct nlmsghdr *nlh = buf;
	int rem, ret;

	if (buf == NULL || len > INT_MAX)
		return -EINVAL;
	rem = (int)len;
	while (msg_ok(nlh, rem)) {
		if (nlh->nlmsg_pid != portid || nlh->nlmsg_seq != seq)
			return -EPROTO;
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			return -EINTR;
		switch (nlh->nlmsg_type) {
		case NLMSG_NOOP:
			break;
		case NLMSG_OVERRUN:
			return -ENOBUFS;
		case NLMSG_ERROR: {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
			int err;

			if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
				return -EPROTO;
			memcpy(&err, &e->error, sizeof(err));
			if (err > 0 || err < -NL_MAX_ERRNO)
				return -EPROTO;
			return err;
		}
		case NLMSG_DONE: {
			int err = 0;

			if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(err))
				memcpy(&err, mnl_nlmsg_get_payload(nlh),
						sizeof(err));
			if (err > 0 || err < -NL_MAX_ERRNO)
				return -EPROTO;
			return err;
		}
		default:
			if (cb == NULL)
				return -EPROTO;
			ret = cb(nlh, data);
			if (ret < 0)
				return ret;
		}
		nlh = mnl_nlmsg_next(nlh, &rem);
	}
	if (rem > 0)
		return -EPROTO;
	return 1;
}

int
wgjit_nl_build_getfamily(void *buf, size_t size, uint32_t seq)
{
	struct nlmsghdr *nlh;

	nlh = put_genl_header(buf, size, GENL_ID_CTRL,
			NLM_F_REQUEST | NLM_F_ACK, seq, CTRL_CMD_GETFAMILY, 1);
	if (nlh == NULL || !mnl_attr_put_strz_check(nlh, size,
			CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME))
		return -EMSGSIZE;
	return nlh->nlmsg_len;
}

static int
family_attr_cb(const struct nlattr *attr, void *data)
{
	uint16_t *family = data;

	if (mnl_attr_get_type(attr) != CTRL_ATTR_FAMILY_ID)
		return MNL_CB_OK;
	if (mnl_attr_validate(attr, MNL_TYPE_U16) < 0)
		return MNL_CB_ERROR;
	*family = mnl_attr_get_u16(attr);
	return MNL_CB_OK;
}

static int
family_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	if (nlh->nlmsg_type != GENL_ID_CTRL ||
			mnl_nlmsg_get_payload_len(nlh) < GENL_HDR_SIZE)
		return -EPROTO;
	if (mnl_attr_parse(nlh, GENL_HDR_SIZE, family_attr_cb, data) < 0)
		return -EPROTO;
	return 0;
}

int
wgjit_nl_parse_getfamily(const void *buf, size_t len, uint32_t seq,
		uint32_t portid, uint16_t *family)
{
	int ret = run_msgs(buf, len, seq, portid, family_msg_cb, family);

	if (ret == 0 && *family == 0)
		return -EPROTO;
	return ret;
}

int
wgjit_nl_build_get(void *buf, size_t size, uint16_t family, uint32_t seq,
		const char *ifname)
{
	struct nlmsghdr *nlh;

	if (check_ifname(ifname) != 0)
		return -EINVAL;
	nlh = put_genl_header(buf, size, family,
			NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, seq,
			WG_CMD_GET_DEVICE, WG_GENL_VERSION);
	if (nlh == NULL || !mnl_attr_put_strz_check(nlh, size,
			WGDEVICE_A_IFNAME, ifname))
		return -EMSGSIZE;
	return nlh->nlmsg_len;
}

static bool
put_allowed_ip(struct nlmsghdr *nlh, size_t size,
		const struct wgjit_allowed_ip *aip)
{
	struct nlattr *nest = mnl_attr_nest_start_check(nlh, size, 0);
	bool v4 = aip->family == AF_INET;

	if (nest == NULL)
		return false;
	if (!mnl_attr_put_u16_check(nlh, size, WGALLOWEDIP_A_FAMILY,
				aip->family) ||
			!mnl_attr_put_check(nlh, size, WGALLOWEDIP_A_IPADDR,
				v4 ? sizeof(aip->ip4) : sizeof(aip->ip6),
				v4 ? (const void *)&aip->ip4 :
				(const void *)&aip->ip6) ||
			!mnl_attr_put_u8_check(nlh, size,
				WGALLOWEDIP_A_CIDR_MASK, aip->cidr)) {
		mnl_attr_nest_cancel(nlh, nest);
		return false;
	}
	mnl_attr_nest_end(nlh, nest);
	return true;
}

/*
 * Everything of a peer but its allowed IPs. A continued peer carries only
 * its key and WGPEER_F_UPDATE_ONLY: the first part created it (or, being
 * update-only itself, did not), so the rest must never create it.
 */
static bool
put_peer_head(struct nlmsghdr *nlh, size_t size, const struct wgjit_peer *p,
		bool continued)
{
	uint32_t flags = 0;

	if (!mnl_attr_put_check(nlh, size, WGPEER_A_PUBLIC_KEY, WGJIT_KEY_LEN,
			p->public_key))
		return false;
	if (continued)
		return mnl_attr_put_u32_check(nlh, size, WGPEER_A_FLAGS,
				WGPEER_F_UPDATE_ONLY);
	if (p->flags & WGJIT_PEER_REMOVE)
		flags |= WGPEER_F_REMOVE_ME;
	if (p->flags & WGJIT_PEER_REPLACE_ALLOWED_IPS)
		flags |= WGPEER_F_REPLACE_ALLOWEDIPS;
	if (p->flags & WGJIT_PEER_UPDATE_ONLY)
		flags |= WGPEER_F_UPDATE_ONLY;
	if (flags != 0 && !mnl_attr_put_u32_check(nlh, size, WGPEER_A_FLAGS,
			flags))
		return false;
	if (p->flags & WGJIT_PEER_REMOVE)
		return true;
	if ((p->flags & WGJIT_PEER_HAS_PRESHARED_KEY) &&
			!mnl_attr_put_check(nlh, size, WGPEER_A_PRESHARED_KEY,
				WGJIT_KEY_LEN, p->preshared_key))
		return false;
	if ((p->flags & WGJIT_PEER_HAS_ENDPOINT) &&
			!mnl_attr_put_check(nlh, size, WGPEER_A_ENDPOINT,
				p->endpoint.sa.sa_family == AF_INET ?
				sizeof(p->endpoint.in4) :
				sizeof(p->endpoint.in6), &p->endpoint))
		return false;
	if ((p->flags & WGJIT_PEER_HAS_KEEPALIVE) &&
			!mnl_attr_put_u16_check(nlh, size,
				WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL,
				p->persistent_keepalive))
		return false;
	return true;
}

/*
 * Put peer @p from allowed IP cur->aip on. Returns true when the peer was
 * put (fully, or partly with cur->aip moved on), false when nothing of it
 * fits; @cur then is unchanged.
 */
static bool
put_peer(struct nlmsghdr *nlh, size_t size, const struct wgjit_peer *p,
		struct wgjit_nl_set_cursor *cur)
{
	struct nlattr *pn, *an;
	unsigned int aip = cur->aip;
	bool more_ips = !(p->flags & WGJIT_PEER_REMOVE) &&
		aip < p->nb_allowed_ips;

	pn = mnl_attr_nest_start_check(nlh, size, 0);
	if (pn == NULL)
		return false;
	if (!put_peer_head(nlh, size, p, aip > 0))
		goto cancel;
	if (more_ips) {
		an = mnl_attr_nest_start_check(nlh, size, WGPEER_A_ALLOWEDIPS);
		if (an == NULL)
			goto cancel;
		while (aip < p->nb_allowed_ips &&
				put_allowed_ip(nlh, size, &p->allowed_ips[aip]))
			aip++;
		if (aip == cur->aip)
			goto cancel;
		mnl_attr_nest_end(nlh, an);
	}
	mnl_attr_nest_end(nlh, pn);
	if (more_ips && aip < p->nb_allowed_ips) {
		cur->aip = aip;
	} else {
		cur->peer++;
		cur->aip = 0;
	}
	return true;
cancel:
	mnl_attr_nest_cancel(nlh, pn);
	return false;
}

int
wgjit_nl_build_set(void *buf, size_t size, uint16_t family, uint32_t seq,
		const char *ifname, const struct wgjit_peer *peers,
		unsigned int n, struct wgjit_nl_set_cursor *cur)
{
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	unsigned int placed = 0;

	if (check_ifname(ifname) != 0 || cur->peer >= n)
		return -EINVAL;
	nlh = put_genl_header(buf, size, family, NLM_F_REQUEST | NLM_F_ACK,
			seq, WG_CMD_SET_DEVICE, WG_GENL_VERSION);
	if (nlh == NULL || !mnl_attr_put_strz_check(nlh, size,
			WGDEVICE_A_IFNAME, ifname))
		return -EMSGSIZE;
	nest = mnl_attr_nest_start_check(nlh, size, WGDEVICE_A_PEERS);
	if (nest == NULL)
		return -EMSGSIZE;
	while (cur->peer < n) {
		unsigned int before = cur->peer;

		if (!put_peer(nlh, size, &peers[cur->peer], cur))
			break;
		placed++;
		/* A peer continued in the next message ends this one. */
		if (cur->peer == before)
			break;
	}
	if (placed == 0)
		return -EMSGSIZE;
	mnl_attr_nest_end(nlh, nest);
	return nlh->nlmsg_len;
}

int
wgjit_nl_parse_ack(const void *buf, size_t len, uint32_t seq, uint32_t portid)
{
	return run_msgs(buf, len, seq, portid, NULL, NULL);
}

/* Dump parsing. Each level keeps the first error it meets in ctx->err. */

struct dump_ctx {
	struct wgjit_wg_device *dev;
	uint16_t family;
	int err;
	struct wgjit_peer peer;		/* the peer being parsed */
	uint32_t seen;			/* WGPEER_A_* present in it */
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

static int
aips_cb(const struct nlattr *attr, void *data)
{
	struct dump_ctx *ctx = data;
	struct wgjit_peer *p = &ctx->peer;
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
	if (p->nb_allowed_ips >= WGJIT_PEER_MAX_ALLOWED_IPS)
		return cb_fail(ctx, -E2BIG);
	p->allowed_ips[p->nb_allowed_ips++] = ctx->aip;
	return MNL_CB_OK;
}

static int
peer_attr_cb(const struct nlattr *attr, void *data)
{
	struct dump_ctx *ctx = data;
	struct wgjit_peer *p = &ctx->peer;
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

/* Copy the fields the kernel sent in @src (per @seen) into @dst. */
static int
merge_peer(struct wgjit_peer *dst, const struct wgjit_peer *src,
		uint32_t seen)
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
	if (dst->nb_allowed_ips + src->nb_allowed_ips >
			WGJIT_PEER_MAX_ALLOWED_IPS)
		return -E2BIG;
	memcpy(&dst->allowed_ips[dst->nb_allowed_ips], src->allowed_ips,
			src->nb_allowed_ips * sizeof(src->allowed_ips[0]));
	dst->nb_allowed_ips += src->nb_allowed_ips;
	dst->flags = 0;
	if (!wgjit_key_is_zero(dst->preshared_key))
		dst->flags |= WGJIT_PEER_HAS_PRESHARED_KEY;
	if (dst->persistent_keepalive != 0)
		dst->flags |= WGJIT_PEER_HAS_KEEPALIVE;
	if (dst->endpoint.sa.sa_family != AF_UNSPEC)
		dst->flags |= WGJIT_PEER_HAS_ENDPOINT;
	return 0;
}

static int
peers_cb(const struct nlattr *attr, void *data)
{
	struct dump_ctx *ctx = data;
	struct wgjit_wg_device *dev = ctx->dev;
	struct wgjit_peer *dst = NULL;
	int ret;

	wgjit_peer_clear(&ctx->peer);
	ctx->seen = 0;
	if (mnl_attr_parse_nested(attr, peer_attr_cb, ctx) < 0)
		return cb_fail(ctx, -EPROTO);
	if (!(ctx->seen & (1u << WGPEER_A_PUBLIC_KEY)))
		return cb_fail(ctx, -EPROTO);
	/* The kernel continues a peer with its key in the next message. */
	if (dev->nb_peers > 0 && memcmp(dev->peers[dev->nb_peers - 1].public_key,
			ctx->peer.public_key, WGJIT_KEY_LEN) == 0)
		dst = &dev->peers[dev->nb_peers - 1];
	if (dst == NULL) {
		dst = wgjit_wg_device_add_peer(dev);
		if (dst == NULL)
			return cb_fail(ctx, -ENOMEM);
		memcpy(dst->public_key, ctx->peer.public_key, WGJIT_KEY_LEN);
	}
	ret = merge_peer(dst, &ctx->peer, ctx->seen);
	wgjit_peer_clear(&ctx->peer);
	if (ret < 0)
		return cb_fail(ctx, ret);
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
			mnl_nlmsg_get_payload_len(nlh) < GENL_HDR_SIZE)
		return -EPROTO;
	ret = mnl_attr_parse(nlh, GENL_HDR_SIZE, device_attr_cb, ctx);
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
	ret = run_msgs(buf, len, seq, portid, dump_msg_cb, &ctx);
	wgjit_peer_clear(&ctx.peer);
	return ret;
}
