/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_NL_PRIV_H
#define WGJIT_NL_PRIV_H

/* Shared by wgjit_nl_msg.c and wgjit_nl_dump.c; not part of the API. */

#include <stddef.h>
#include <stdint.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>

/* The generic Netlink header, aligned, after the nlmsghdr. */
#define WGJIT_NL_GENL_HDR_SIZE MNL_ALIGN(sizeof(struct genlmsghdr))

/* Largest errno a kernel error message may carry (MAX_ERRNO). */
#define WGJIT_NL_MAX_ERRNO 4095

typedef int (*wgjit_nl_msg_cb)(const struct nlmsghdr *nlh, void *data);

/*
 * Walk the messages of one received buffer: check port id, sequence and
 * NLM_F_DUMP_INTR on each, handle control messages and hand data messages
 * to @p cb. Returns 1 when more is expected, 0 on NLMSG_DONE or an ack,
 * or -errno.
 */
int wgjit_nl_run_msgs(const void *buf, size_t len, uint32_t seq,
		uint32_t portid, wgjit_nl_msg_cb cb, void *data);

#endif /* WGJIT_NL_PRIV_H */
