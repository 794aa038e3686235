/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_NL_H
#define WGJIT_NL_H

/**
 * @file
 * Kernel WireGuard over generic Netlink (libmnl).
 *
 * Two layers:
 * - message building and parsing (wgjit_nl_msg.c): pure functions on
 *   buffers, no socket, reentrant; unit tested without a kernel;
 * - the socket side (wgjit_nl.c): a handle owning one NETLINK_GENERIC
 *   socket, used through wgjit_wg.h (wgjit_nl_ops). Control thread only,
 *   blocking.
 *
 * Errors are 0 or -errno. Buffers that held keys are cleared after use.
 */

#include <stddef.h>
#include <stdint.h>

#include "wgjit_peer.h"
#include "wgjit_wg_device.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Size of the buffer a reply is received into (dumps use up to 32 KiB). */
#define WGJIT_NL_RECV_SIZE 32768

/** Where the next WG_CMD_SET_DEVICE message continues. */
struct wgjit_nl_set_cursor {
	unsigned int peer;	/**< index of the next peer to send */
	unsigned int aip;	/**< its next allowed IP; > 0: continued peer */
};

/**
 * Build a CTRL_CMD_GETFAMILY request for the "wireguard" family.
 *
 * @return the message length, or -EMSGSIZE.
 */
int wgjit_nl_build_getfamily(void *buf, size_t size, uint32_t seq);

/**
 * Parse the replies to wgjit_nl_build_getfamily(), as received.
 *
 * @param family  set to 0 before the first call; receives the family id.
 * @return 0 done (family found), 1 more messages expected, -errno.
 */
int wgjit_nl_parse_getfamily(const void *buf, size_t len, uint32_t seq,
		uint32_t portid, uint16_t *family);

/**
 * Build a WG_CMD_GET_DEVICE dump request (NLM_F_DUMP) for @p ifname.
 *
 * @return the message length, -EINVAL (bad name) or -EMSGSIZE.
 */
int wgjit_nl_build_get(void *buf, size_t size, uint16_t family,
		uint32_t seq, const char *ifname);

/**
 * Build one WG_CMD_SET_DEVICE request (NLM_F_REQUEST | NLM_F_ACK) holding
 * as many peers, from @p cur on, as fit in @p size bytes, and advance
 * @p cur. A peer whose allowed IPs do not all fit is continued in the next
 * message with only its public key and the remaining IPs.
 * The peers must have passed wgjit_wg_peer_check().
 *
 * @return the message length (> 0); -EMSGSIZE when not even one peer
 *   fits; -EINVAL for a bad name. Done when cur->peer == n.
 */
int wgjit_nl_build_set(void *buf, size_t size, uint16_t family, uint32_t seq,
		const char *ifname, const struct wgjit_peer *peers,
		unsigned int n, struct wgjit_nl_set_cursor *cur);

/**
 * Parse received WG_CMD_GET_DEVICE dump messages into @p dev. Call once
 * per received buffer with the same @p dev (zeroed before the first).
 * Checks port id, sequence and NLM_F_DUMP_INTR; validates attributes
 * before reading them and ignores unknown ones; merges a peer split
 * across messages.
 *
 * @return 1 more messages expected, 0 done (NLMSG_DONE), -EINTR (dump
 *   interrupted: free @p dev and restart), or another -errno. On error the
 *   caller frees @p dev with wgjit_wg_device_free().
 */
int wgjit_nl_parse_dump(const void *buf, size_t len, uint32_t seq,
		uint32_t portid, uint16_t family, struct wgjit_wg_device *dev);

/**
 * Parse the acknowledgement of a request sent with NLM_F_ACK.
 *
 * @return 0 acked, 1 nothing conclusive yet, -errno from the kernel.
 */
int wgjit_nl_parse_ack(const void *buf, size_t len, uint32_t seq,
		uint32_t portid);

/*
 * The socket side (wgjit_nl.c) is the wgjit_nl_ops table of
 * wgjit_wg_backend.h: one NETLINK_GENERIC socket per handle, the
 * "wireguard" family resolved at open, dumps restarted on
 * NLM_F_DUMP_INTR (5 tries), sets sent one acked message at a time.
 */

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_NL_H */
