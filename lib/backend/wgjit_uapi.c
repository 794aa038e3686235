/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * The UAPI backend: text requests to wireguard-go's unix socket, one
 * connection per call, and strict parsing of its replies.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <sodium.h>

#include "wgjit_err.h"
#include "wgjit_parse.h"
#include "wgjit_uapi.h"
#include "wgjit_wg_backend.h"

/* Longest line accepted in a reply ("private_key=" + 64 hex is 76). */
#define UAPI_LINE_MAX 256
/* Largest reply accepted: ~400 bytes a peer covers 100k peers. */
#define UAPI_REPLY_MAX (64u << 20)
#define UAPI_TIMEOUT_SEC 5
/* Largest errno wireguard-go can report (MAX_ERRNO of Linux). */
#define UAPI_MAX_ERRNO 4095

struct wgjit_uapi {
	struct sockaddr_un addr;
	char ifname[IFNAMSIZ];
	char err[WGJIT_WG_ERR_SIZE];
};

/* The strict parser; any failure is a protocol error here. */
static int
parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	return wgjit_parse_u64(s, max, out) == 0 ? 0 : -EPROTO;
}

int
wgjit_uapi_parse_errno(const char *buf, size_t len)
{
	char num[8];
	size_t n;
	uint64_t v;

	if (buf == NULL || len < sizeof("errno=\n\n") ||
			memcmp(buf, "errno=", 6) != 0 ||
			memcmp(buf + len - 2, "\n\n", 2) != 0)
		return -EPROTO;
	n = len - 8;
	if (n >= sizeof(num) || memchr(buf + 6, '\0', n) != NULL)
		return -EPROTO;
	memcpy(num, buf + 6, n);
	num[n] = '\0';
	if (parse_u64(num, UAPI_MAX_ERRNO, &v) != 0)
		return -EPROTO;
	return -(int)v;
}

struct get_state {
	struct wgjit_wg_device *dev;
	struct wgjit_wg_peer *peer;	/* the current peer, NULL before one */
	bool have_errno;
	int err;
};

static int
parse_device_line(struct get_state *st, const char *key, const char *val)
{
	struct wgjit_wg_device *dev = st->dev;
	uint64_t v;

	if (strcmp(key, "private_key") == 0) {
		if (wgjit_key_from_hex(dev->private_key, val) != 0)
			return -EPROTO;
		dev->flags |= WGJIT_WG_DEVICE_HAS_PRIVATE_KEY;
	} else if (strcmp(key, "listen_port") == 0) {
		if (parse_u64(val, UINT16_MAX, &v) != 0)
			return -EPROTO;
		dev->listen_port = (uint16_t)v;
	} else if (strcmp(key, "fwmark") == 0) {
		if (parse_u64(val, UINT32_MAX, &v) != 0)
			return -EPROTO;
		dev->fwmark = (uint32_t)v;
	}
	return 0;
}

static int
parse_peer_line(struct get_state *st, const char *key, const char *val)
{
	struct wgjit_wg_peer *p = st->peer;
	struct wgjit_allowed_ip aip;
	uint64_t v;

	if (strcmp(key, "preshared_key") == 0) {
		if (wgjit_key_from_hex(p->preshared_key, val) != 0)
			return -EPROTO;
	} else if (strcmp(key, "endpoint") == 0) {
		if (wgjit_endpoint_parse(&p->endpoint, val) != 0)
			return -EPROTO;
	} else if (strcmp(key, "persistent_keepalive_interval") == 0) {
		if (parse_u64(val, UINT16_MAX, &v) != 0)
			return -EPROTO;
		p->persistent_keepalive = (uint16_t)v;
	} else if (strcmp(key, "allowed_ip") == 0) {
		/* Any number: they go to the device's array, in order. */
		if (wgjit_allowed_ip_parse(&aip, val) != 0)
			return -EPROTO;
		if (wgjit_wg_device_add_aip(st->dev, &aip) < 0)
			return -ENOMEM;
		p->nb_allowed_ips++;
	} else if (strcmp(key, "last_handshake_time_sec") == 0) {
		if (parse_u64(val, INT64_MAX, &v) != 0)
			return -EPROTO;
		p->last_handshake_sec = (int64_t)v;
	} else if (strcmp(key, "last_handshake_time_nsec") == 0) {
		if (parse_u64(val, 999999999, &v) != 0)
			return -EPROTO;
	} else if (strcmp(key, "rx_bytes") == 0) {
		if (parse_u64(val, UINT64_MAX, &p->rx_bytes) != 0)
			return -EPROTO;
	} else if (strcmp(key, "tx_bytes") == 0) {
		if (parse_u64(val, UINT64_MAX, &p->tx_bytes) != 0)
			return -EPROTO;
	} else if (strcmp(key, "protocol_version") == 0) {
		if (parse_u64(val, UINT32_MAX, &v) != 0)
			return -EPROTO;
	}
	return 0;
}

static int
parse_line(struct get_state *st, char *line)
{
	char *val = strchr(line, '=');
	uint64_t v;

	if (val == NULL || st->have_errno)
		return -EPROTO;
	*val++ = '\0';
	if (strcmp(line, "errno") == 0) {
		if (parse_u64(val, UAPI_MAX_ERRNO, &v) != 0)
			return -EPROTO;
		st->have_errno = true;
		st->err = (int)v;
		return 0;
	}
	if (strcmp(line, "public_key") == 0) {
		st->peer = wgjit_wg_device_add_peer(st->dev);
		if (st->peer == NULL)
			return -ENOMEM;
		if (wgjit_key_from_hex(st->peer->public_key, val) != 0)
			return -EPROTO;
		return 0;
	}
	if (strcmp(line, "private_key") == 0 ||
			strcmp(line, "listen_port") == 0 ||
			strcmp(line, "fwmark") == 0)
		return st->peer != NULL ? -EPROTO :
			parse_device_line(st, line, val);
	if (st->peer == NULL)
		return strcmp(line, "preshared_key") == 0 ||
			strcmp(line, "endpoint") == 0 ||
			strcmp(line, "allowed_ip") == 0 ? -EPROTO : 0;
	return parse_peer_line(st, line, val);
}

static void
normalise_flags(struct wgjit_wg_device *dev)
{
	for (unsigned int i = 0; i < dev->nb_peers; i++) {
		struct wgjit_wg_peer *p = &dev->peers[i];

		p->flags = 0;
		if (!wgjit_key_is_zero(p->preshared_key))
			p->flags |= WGJIT_PEER_HAS_PRESHARED_KEY;
		if (p->persistent_keepalive != 0)
			p->flags |= WGJIT_PEER_HAS_KEEPALIVE;
		if (p->endpoint.sa.sa_family != AF_UNSPEC)
			p->flags |= WGJIT_PEER_HAS_ENDPOINT;
	}
}

int
wgjit_uapi_parse_get(const char *buf, size_t len, struct wgjit_wg_device *dev)
{
	struct get_state st = { .dev = dev };
	char line[UAPI_LINE_MAX];
	size_t pos = 0;
	bool ended = false;
	int ret = 0;

	memset(dev, 0, sizeof(*dev));
	if (buf == NULL)
		return -EINVAL;
	while (ret == 0 && pos < len && !ended) {
		const char *eol = memchr(buf + pos, '\n', len - pos);
		size_t ll;

		if (eol == NULL) {
			ret = -EPROTO;
			break;
		}
		ll = (size_t)(eol - (buf + pos));
		if (ll == 0) {
			ended = true;
		} else if (ll >= sizeof(line) ||
				memchr(buf + pos, '\0', ll) != NULL) {
			ret = -EPROTO;
		} else {
			memcpy(line, buf + pos, ll);
			line[ll] = '\0';
			ret = parse_line(&st, line);
		}
		pos += ll + 1;
	}
	sodium_memzero(line, sizeof(line));
	if (ret == 0 && (!ended || pos != len || !st.have_errno))
		ret = -EPROTO;
	if (ret == 0 && st.err != 0)
		ret = -st.err;
	if (ret == 0 && (dev->flags & WGJIT_WG_DEVICE_HAS_PRIVATE_KEY) &&
			wgjit_key_public(dev->public_key, dev->private_key) == 0)
		dev->flags |= WGJIT_WG_DEVICE_HAS_PUBLIC_KEY;
	if (ret != 0) {
		wgjit_wg_device_free(dev);
		return ret;
	}
	normalise_flags(dev);
	return 0;
}

struct text {
	char *buf;
	size_t len;
	size_t size;
	bool overflow;
};

static void __attribute__((format(printf, 2, 3)))
text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, t->size - t->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= t->size - t->len)
		t->overflow = true;
	else
		t->len += (size_t)n;
}

/* Upper bound of one peer's text; a line is at most 100 bytes. */
static size_t
peer_text_max(const struct wgjit_peer *p)
{
	return 100 * (8 + (size_t)p->nb_allowed_ips);
}

static void
add_peer_text(struct text *t, const struct wgjit_peer *p)
{
	char s[WGJIT_KEY_HEX_SIZE];
	char ep[WGJIT_ENDPOINT_STR_SIZE];
	char aip[WGJIT_ALLOWED_IP_STR_SIZE];

	wgjit_key_to_hex(s, p->public_key);
	text_add(t, "public_key=%s\n", s);
	if (p->flags & WGJIT_PEER_REMOVE) {
		text_add(t, "remove=true\n");
		return;
	}
	if (p->flags & WGJIT_PEER_UPDATE_ONLY)
		text_add(t, "update_only=true\n");
	if (p->flags & WGJIT_PEER_HAS_PRESHARED_KEY) {
		wgjit_key_to_hex(s, p->preshared_key);
		text_add(t, "preshared_key=%s\n", s);
		sodium_memzero(s, sizeof(s));
	}
	if (p->flags & WGJIT_PEER_HAS_ENDPOINT) {
		wgjit_endpoint_format(ep, &p->endpoint);
		text_add(t, "endpoint=%s\n", ep);
	}
	if (p->flags & WGJIT_PEER_REPLACE_ALLOWED_IPS)
		text_add(t, "replace_allowed_ips=true\n");
	for (unsigned int i = 0; i < p->nb_allowed_ips; i++) {
		wgjit_allowed_ip_format(aip, &p->allowed_ips[i]);
		text_add(t, "allowed_ip=%s\n", aip);
	}
	if (p->flags & WGJIT_PEER_HAS_KEEPALIVE)
		text_add(t, "persistent_keepalive_interval=%u\n",
				p->persistent_keepalive);
}

char *
wgjit_uapi_build_set(const struct wgjit_peer *peers, unsigned int n,
		size_t *len)
{
	struct text t = { .size = 16 };

	for (unsigned int i = 0; i < n; i++)
		t.size += peer_text_max(&peers[i]);
	t.buf = malloc(t.size);
	if (t.buf == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	text_add(&t, "set=1\n");
	for (unsigned int i = 0; i < n; i++)
		add_peer_text(&t, &peers[i]);
	text_add(&t, "\n");
	if (t.overflow) {
		/* Cannot happen with the bound above; fail safe anyway. */
		wgjit_uapi_free_text(t.buf, t.size);
		errno = EOVERFLOW;
		return NULL;
	}
	*len = t.len;
	return t.buf;
}

void
wgjit_uapi_free_text(char *text, size_t len)
{
	if (text == NULL)
		return;
	sodium_memzero(text, len);
	free(text);
}

/* Socket side. */

static int
uapi_fail(struct wgjit_uapi *u, int ret, const char *what)
{
	wgjit_errf(u->err, sizeof(u->err), 0, "wgjit_uapi: %s on %s: %s", what,
			u->addr.sun_path, strerror(-ret));
	return ret;
}

static int
uapi_connect(const struct wgjit_uapi *u)
{
	struct timeval tv = { .tv_sec = UAPI_TIMEOUT_SEC };
	int fd, ret;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
			setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
				sizeof(tv)) < 0 ||
			connect(fd, (const struct sockaddr *)&u->addr,
				sizeof(u->addr)) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

static int
send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Read a reply up to its blank line. The buffer grows by copying, so that
 * no old copy of a key is left behind uncleared.
 */
static int
recv_reply(int fd, char **out, size_t *outlen)
{
	size_t len = 0, size = 4096;
	char *buf = malloc(size), *bigger;
	ssize_t n;
	int ret = 0;

	if (buf == NULL)
		return -ENOMEM;
	for (;;) {
		if (len == size) {
			bigger = size < UAPI_REPLY_MAX ? malloc(size * 2) : NULL;
			if (bigger == NULL) {
				ret = size < UAPI_REPLY_MAX ? -ENOMEM :
					-EMSGSIZE;
				break;
			}
			memcpy(bigger, buf, len);
			wgjit_uapi_free_text(buf, size);
			buf = bigger;
			size *= 2;
		}
		n = recv(fd, buf + len, size - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = errno == EAGAIN ? -ETIMEDOUT : -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len >= 2 && buf[len - 2] == '\n' && buf[len - 1] == '\n')
			break;
	}
	if (ret < 0) {
		wgjit_uapi_free_text(buf, size);
		return ret;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

/* One request and its reply on a fresh connection. */
static int
transact(struct wgjit_uapi *u, const char *req, size_t len, char **reply,
		size_t *reply_len)
{
	int fd = uapi_connect(u), ret;

	if (fd < 0)
		return fd;
	ret = send_all(fd, req, len);
	if (ret == 0)
		ret = recv_reply(fd, reply, reply_len);
	close(fd);
	return ret;
}

static void *
uapi_open(const char *ifname, char *err, size_t errlen)
{
	struct wgjit_uapi *u;
	size_t len = ifname == NULL ? 0 : strnlen(ifname, IFNAMSIZ);
	int fd;

	if (len == 0 || len >= IFNAMSIZ || strchr(ifname, '/') != NULL ||
			strcmp(ifname, ".") == 0 || strcmp(ifname, "..") == 0) {
		wgjit_errf(err, errlen, 0, "wgjit_uapi: bad interface name");
		errno = EINVAL;
		return NULL;
	}
	u = calloc(1, sizeof(*u));
	if (u == NULL) {
		wgjit_errf(err, errlen, 0, "wgjit_uapi: out of memory");
		return NULL;
	}
	strcpy(u->ifname, ifname);
	u->addr.sun_family = AF_UNIX;
	snprintf(u->addr.sun_path, sizeof(u->addr.sun_path), "%s/%s.sock",
			WGJIT_UAPI_SOCK_DIR, ifname);
	fd = uapi_connect(u);
	if (fd < 0) {
		wgjit_errf(err, errlen, 0, "wgjit_uapi: connect %s: %s%s",
				u->addr.sun_path, strerror(-fd),
				fd == -ENOENT || fd == -ECONNREFUSED ?
				" (is wireguard-go running for it?)" : "");
		free(u);
		errno = -fd;
		return NULL;
	}
	close(fd);
	return u;
}

static void
uapi_close(void *ctx)
{
	free(ctx);
}

static const char *
uapi_errmsg(const void *ctx)
{
	return ((const struct wgjit_uapi *)ctx)->err;
}

static int
uapi_get_device(void *ctx, struct wgjit_wg_device *dev)
{
	struct wgjit_uapi *u = ctx;
	static const char req[] = "get=1\n\n";
	char *reply = NULL;
	size_t len = 0;
	int ret;

	memset(dev, 0, sizeof(*dev));
	ret = transact(u, req, sizeof(req) - 1, &reply, &len);
	if (ret < 0)
		return uapi_fail(u, ret, "get");
	ret = wgjit_uapi_parse_get(reply, len, dev);
	wgjit_uapi_free_text(reply, len);
	if (ret < 0)
		return uapi_fail(u, ret, "get reply");
	return 0;
}

static int
uapi_set_peers(void *ctx, const struct wgjit_peer *peers, unsigned int n)
{
	struct wgjit_uapi *u = ctx;
	char *req, *reply = NULL;
	size_t len, reply_len = 0;
	int ret;

	req = wgjit_uapi_build_set(peers, n, &len);
	if (req == NULL)
		return uapi_fail(u, -errno, "set");
	ret = transact(u, req, len, &reply, &reply_len);
	wgjit_uapi_free_text(req, len);
	if (ret == 0) {
		ret = wgjit_uapi_parse_errno(reply, reply_len);
		wgjit_uapi_free_text(reply, reply_len);
	}
	if (ret < 0)
		return uapi_fail(u, ret, "set");
	return 0;
}

const struct wgjit_wg_ops wgjit_uapi_ops = {
	.open = uapi_open,
	.close = uapi_close,
	.get_device = uapi_get_device,
	.set_peers = uapi_set_peers,
	.errmsg = uapi_errmsg,
};
