/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_UAPI_H
#define WGJIT_UAPI_H

/**
 * @file
 * Userspace WireGuard (wireguard-go) over its UAPI socket,
 * /var/run/wireguard/IFNAME.sock: "get=1" or "set=1", then key=value
 * lines with hex keys, a blank line ending each message; the reply ends
 * with "errno=N" and a blank line.
 *
 * Text building and parsing are pure, reentrant functions (unit tested
 * and fuzzed). The handle connects once per call; control thread only,
 * blocking, 5 s socket timeouts. Errors are 0 or -errno. Every buffer
 * that held a key is cleared before it is freed.
 */

#include <stddef.h>

#include "wgjit_peer.h"
#include "wgjit_wg_device.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Where the sockets live (shared by all network namespaces). */
#define WGJIT_UAPI_SOCK_DIR "/var/run/wireguard"

/**
 * Parse a complete "get=1" reply: device lines, then one block per peer
 * starting with public_key=, then "errno=N" and a blank line. Values are
 * parsed strictly (hex keys, decimal numbers in range, endpoints and
 * allowed IPs as wgjit_peer.h parses them); unknown keys are ignored.
 * The device public key is derived from the private key.
 *
 * @param dev  overwritten; on success free it with wgjit_wg_device_free().
 *   On error nothing needs freeing.
 * @return 0; -N when the reply says errno=N; -EPROTO for a malformed
 *   reply; -ENOMEM. Peers may have any number of allowed IPs.
 */
int wgjit_uapi_parse_get(const char *buf, size_t len,
		struct wgjit_wg_device *dev);

/**
 * Parse the reply to a set: exactly "errno=N\n\n" (digits only, N within
 * the errno range).
 *
 * @return -N (0 on success), or -EPROTO.
 */
int wgjit_uapi_parse_errno(const char *buf, size_t len);

/**
 * Build the "set=1" request for checked peers. Per peer the lines are
 * ordered so that a device acting on each line at once ends fully set up:
 * public_key, update_only or remove, preshared_key, endpoint,
 * replace_allowed_ips, allowed_ip..., and persistent_keepalive_interval
 * last (with the endpoint known, it makes the device initiate at once).
 *
 * @param len  receives the text length (without the NUL).
 * @return the text, to be freed with wgjit_uapi_free_text(); NULL with
 *   errno = ENOMEM.
 */
char *wgjit_uapi_build_set(const struct wgjit_peer *peers, unsigned int n,
		size_t *len);

/** Clear and free a text built or received by this module. */
void wgjit_uapi_free_text(char *text, size_t len);

/*
 * The socket side (wgjit_uapi.c) is the wgjit_uapi_ops table of
 * wgjit_wg_backend.h: it checks the interface's socket at open and
 * connects once per call.
 */

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_UAPI_H */
