/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * The socket side of the kernel backend: one NETLINK_GENERIC socket per
 * handle, one request in flight, every reply checked by wgjit_nl_msg.c.
 */

#include <errno.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <libmnl/libmnl.h>
#include <sodium.h>

#include "wgjit_err.h"
#include "wgjit_nl.h"
#include "wgjit_wg_backend.h"

/* Restarts of a dump the kernel marked as interrupted. */
#define NL_DUMP_TRIES 5
/* Socket send and receive timeout. */
#define NL_TIMEOUT_SEC 5

struct wgjit_nl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	uint16_t family;
	char ifname[IFNAMSIZ];
	char err[WGJIT_WG_ERR_SIZE];
	/* Netlink headers are read in place: aligned as the kernel's. */
	alignas(NLMSG_ALIGNTO) uint8_t buf[WGJIT_NL_RECV_SIZE];
};

static int
fail(struct wgjit_nl *nl, int ret, const char *what)
{
	wgjit_errf(nl->err, sizeof(nl->err), 0, "wgjit_nl: %s on %s: %s", what,
			nl->ifname, strerror(-ret));
	return ret;
}

static int
send_msg(struct wgjit_nl *nl, const void *msg, size_t len)
{
	ssize_t ret = mnl_socket_sendto(nl->sock, msg, len);

	if (ret < 0)
		return -errno;
	if ((size_t)ret != len)
		return -EIO;
	return 0;
}

/* Receive one buffer; a timeout becomes -ETIMEDOUT. */
static int
recv_buf(struct wgjit_nl *nl, size_t *len)
{
	ssize_t ret = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));

	if (ret < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ?
			-ETIMEDOUT : -errno;
	*len = (size_t)ret;
	return 0;
}

static int
resolve_family(struct wgjit_nl *nl)
{
	size_t len = 0;
	int ret;

	nl->seq++;
	ret = wgjit_nl_build_getfamily(nl->buf, sizeof(nl->buf), nl->seq);
	if (ret < 0)
		return ret;
	ret = send_msg(nl, nl->buf, ret);
	nl->family = 0;
	while (ret == 0) {
		ret = recv_buf(nl, &len);
		if (ret == 0)
			ret = wgjit_nl_parse_getfamily(nl->buf, len, nl->seq,
					nl->portid, &nl->family);
		if (ret == 1)
			ret = 0;
		else if (ret == 0)
			break;
	}
	return ret;
}

static void nl_close(void *ctx);

static void *
nl_open(const char *ifname, char *err, size_t errlen)
{
	struct timeval tv = { .tv_sec = NL_TIMEOUT_SEC };
	struct wgjit_nl *nl;
	int ret, fd;

	if (ifname == NULL || strnlen(ifname, IFNAMSIZ) == 0 ||
			strnlen(ifname, IFNAMSIZ) >= IFNAMSIZ) {
		wgjit_errf(err, errlen, 0, "wgjit_nl: bad interface name");
		errno = EINVAL;
		return NULL;
	}
	nl = calloc(1, sizeof(*nl));
	if (nl == NULL) {
		wgjit_errf(err, errlen, 0, "wgjit_nl: out of memory");
		return NULL;
	}
	strcpy(nl->ifname, ifname);
	nl->seq = (uint32_t)time(NULL);
	nl->sock = mnl_socket_open(NETLINK_GENERIC);
	if (nl->sock == NULL || mnl_socket_bind(nl->sock, 0,
			MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		wgjit_errf(err, errlen, 0, "wgjit_nl: netlink socket: %s",
				strerror(-ret));
		goto error;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	fd = mnl_socket_get_fd(nl->sock);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
			setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
				sizeof(tv)) < 0) {
		ret = -errno;
		wgjit_errf(err, errlen, 0, "wgjit_nl: socket timeout: %s",
				strerror(-ret));
		goto error;
	}
	ret = resolve_family(nl);
	if (ret < 0) {
		wgjit_errf(err, errlen, 0, "wgjit_nl: genl family \"wireguard\": %s%s",
				strerror(-ret), ret == -ENOENT ?
				" (wireguard module not loaded?)" : "");
		goto error;
	}
	if (if_nametoindex(ifname) == 0) {
		ret = -ENODEV;
		wgjit_errf(err, errlen, 0, "wgjit_nl: no interface %s", ifname);
		goto error;
	}
	return nl;
error:
	nl_close(nl);
	errno = -ret;
	return NULL;
}

static void
nl_close(void *ctx)
{
	struct wgjit_nl *nl = ctx;

	if (nl == NULL)
		return;
	if (nl->sock != NULL)
		mnl_socket_close(nl->sock);
	sodium_memzero(nl->buf, sizeof(nl->buf));
	free(nl);
}

static const char *
nl_errmsg(const void *ctx)
{
	return ((const struct wgjit_nl *)ctx)->err;
}

/* True when a received buffer holds the end of a reply. */
static bool
has_end(const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	int rem = (int)len;

	for (; rem >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
			nlh->nlmsg_len <= (unsigned int)rem;
			nlh = mnl_nlmsg_next(nlh, &rem))
		if (nlh->nlmsg_type == NLMSG_DONE ||
				nlh->nlmsg_type == NLMSG_ERROR)
			return true;
	return false;
}

/*
 * Send a dump request and parse the replies into @dev. After a parse
 * error, read the rest of the dump so that the socket stays usable.
 */
static int
dump_once(struct wgjit_nl *nl, struct wgjit_wg_device *dev)
{
	size_t len = 0;
	bool end;
	int ret;

	nl->seq++;
	ret = wgjit_nl_build_get(nl->buf, sizeof(nl->buf), nl->family,
			nl->seq, nl->ifname);
	if (ret < 0)
		return ret;
	ret = send_msg(nl, nl->buf, ret);
	while (ret == 0) {
		ret = recv_buf(nl, &len);
		if (ret < 0)
			break;
		ret = wgjit_nl_parse_dump(nl->buf, len, nl->seq, nl->portid,
				nl->family, dev);
		end = has_end(nl->buf, len);
		sodium_memzero(nl->buf, len);
		if (ret == 1) {
			ret = 0;
		} else if (ret == 0) {
			break;
		} else {
			while (!end && recv_buf(nl, &len) == 0) {
				end = has_end(nl->buf, len);
				sodium_memzero(nl->buf, len);
			}
		}
	}
	return ret;
}

static int
nl_get_device(void *ctx, struct wgjit_wg_device *dev)
{
	struct wgjit_nl *nl = ctx;
	int ret = -EINTR;

	for (int i = 0; i < NL_DUMP_TRIES && ret == -EINTR; i++) {
		memset(dev, 0, sizeof(*dev));
		ret = dump_once(nl, dev);
		if (ret < 0)
			wgjit_wg_device_free(dev);
	}
	if (ret < 0)
		return fail(nl, ret, "WG_CMD_GET_DEVICE");
	return 0;
}

static int
wait_ack(struct wgjit_nl *nl)
{
	size_t len = 0;
	int ret;

	do {
		ret = recv_buf(nl, &len);
		if (ret == 0)
			ret = wgjit_nl_parse_ack(nl->buf, len, nl->seq,
					nl->portid);
		/* An error reply echoes the request, keys included. */
		sodium_memzero(nl->buf, len);
	} while (ret == 1);
	return ret;
}

static int
nl_set_peers(void *ctx, const struct wgjit_peer *peers, unsigned int n)
{
	struct wgjit_nl *nl = ctx;
	struct wgjit_nl_set_cursor cur = { 0, 0 };
	uint8_t msg[MNL_SOCKET_BUFFER_SIZE];
	int ret = 0;

	while (ret == 0 && cur.peer < n) {
		nl->seq++;
		ret = wgjit_nl_build_set(msg, sizeof(msg), nl->family, nl->seq,
				nl->ifname, peers, n, &cur);
		if (ret < 0) {
			sodium_memzero(msg, sizeof(msg));
			break;
		}
		ret = send_msg(nl, msg, ret);
		sodium_memzero(msg, sizeof(msg));
		if (ret == 0)
			ret = wait_ack(nl);
	}
	if (ret < 0)
		return fail(nl, ret, "WG_CMD_SET_DEVICE");
	return 0;
}

const struct wgjit_wg_ops wgjit_nl_ops = {
	.open = nl_open,
	.close = nl_close,
	.get_device = nl_get_device,
	.set_peers = nl_set_peers,
	.errmsg = nl_errmsg,
};
