/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * Building WireGuard generic Netlink messages, and parsing the short
 * replies (family, ack); device dumps are parsed in wgjit_nl_dump.c. No
 * socket here: everything works on caller buffers, so it is unit tested
 * (and fuzzed) without a kernel.
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
#include "wgjit_nl_priv.h"



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

static struct nlmsghdr *
put_genl_header(void *buf, size_t size, uint16_t type, uint16_t flags,
		uint32_t seq, uint8_t cmd, uint8_t version)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;

	if (size < MNL_NLMSG_HDRLEN + WGJIT_NL_GENL_HDR_SIZE)
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
int
wgjit_nl_run_msgs(const void *buf, size_t len, uint32_t seq, uint32_t portid,
		wgjit_nl_msg_cb cb, void *data)
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
			if (err > 0 || err < -WGJIT_NL_MAX_ERRNO)
				return -EPROTO;
			return err;
		}
		case NLMSG_DONE: {
			int err = 0;

			if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(err))
				memcpy(&err, mnl_nlmsg_get_payload(nlh),
						sizeof(err));
			if (err > 0 || err < -WGJIT_NL_MAX_ERRNO)
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
			mnl_nlmsg_get_payload_len(nlh) < WGJIT_NL_GENL_HDR_SIZE)
		return -EPROTO;
	if (mnl_attr_parse(nlh, WGJIT_NL_GENL_HDR_SIZE, family_attr_cb, data) < 0)
		return -EPROTO;
	return 0;
}

int
wgjit_nl_parse_getfamily(const void *buf, size_t len, uint32_t seq,
		uint32_t portid, uint16_t *family)
{
	int ret = wgjit_nl_run_msgs(buf, len, seq, portid, family_msg_cb, family);

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
	return wgjit_nl_run_msgs(buf, len, seq, portid, NULL, NULL);
}
