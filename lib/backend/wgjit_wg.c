/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * The backend-neutral interface: checks peers, owns the device arrays and
 * dispatches through an ops table chosen at open time.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wgjit_err.h"
#include "wgjit_wg.h"
#include "wgjit_wg_backend.h"

struct wgjit_wg {
	enum wgjit_wg_kind kind;
	const struct wgjit_wg_ops *ops;
	void *ctx;
	char err[WGJIT_WG_ERR_SIZE];	/* errors found before the backend */
	bool err_local;
};

struct wgjit_wg *
wgjit_wg_open(enum wgjit_wg_kind kind, const char *ifname, char *err,
		size_t errlen)
{
	struct wgjit_wg *wg;
	int saved;

	if (kind != WGJIT_WG_KERNEL && kind != WGJIT_WG_UAPI) {
		wgjit_errf(err, errlen, 0, "wgjit_wg: unknown kind %d",
				(int)kind);
		errno = EINVAL;
		return NULL;
	}
	wg = calloc(1, sizeof(*wg));
	if (wg == NULL) {
		wgjit_errf(err, errlen, 0, "wgjit_wg: out of memory");
		return NULL;
	}
	wg->kind = kind;
	wg->ops = kind == WGJIT_WG_KERNEL ? &wgjit_nl_ops : &wgjit_uapi_ops;
	wg->ctx = wg->ops->open(ifname, err, errlen);
	if (wg->ctx == NULL) {
		saved = errno;
		free(wg);
		errno = saved;
		return NULL;
	}
	return wg;
}

void
wgjit_wg_close(struct wgjit_wg *wg)
{
	if (wg == NULL)
		return;
	wg->ops->close(wg->ctx);
	free(wg);
}

enum wgjit_wg_kind
wgjit_wg_kind(const struct wgjit_wg *wg)
{
	return wg->kind;
}

const char *
wgjit_wg_errmsg(const struct wgjit_wg *wg)
{
	return wg->err_local ? wg->err : wg->ops->errmsg(wg->ctx);
}

int
wgjit_wg_get_device(struct wgjit_wg *wg, struct wgjit_wg_device *dev)
{
	wg->err_local = false;
	return wg->ops->get_device(wg->ctx, dev);
}

int
wgjit_wg_set_peers(struct wgjit_wg *wg, const struct wgjit_peer *peers,
		unsigned int n)
{
	int ret;

	wg->err_local = false;
	if (n > 0 && peers == NULL)
		return -EINVAL;
	for (unsigned int i = 0; i < n; i++) {
		ret = wgjit_wg_peer_check(&peers[i]);
		if (ret < 0) {
			char b64[WGJIT_KEY_B64_SIZE];

			wgjit_key_to_base64(b64, peers[i].public_key);
			snprintf(wg->err, sizeof(wg->err),
					"wgjit_wg: peer %u (%s): bad flags, "
					"allowed IP or endpoint; nothing sent",
					i, b64);
			wg->err_local = true;
			return ret;
		}
	}
	if (n == 0)
		return 0;
	return wg->ops->set_peers(wg->ctx, peers, n);
}

