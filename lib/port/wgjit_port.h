/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_PORT_H
#define WGJIT_PORT_H

/**
 * @file
 * Port setup: the uplink (any DPDK port) and the TAP exception path that
 * wgjit creates itself (net_tap with the uplink's MAC, so the kernel holds
 * the gateway address on the TAP and answers for it).
 *
 * Order, as in DPDK's l3fwd: wgjit_port_uplink_setup() (capabilities ->
 * queue count, RSS masked by the device and printed), wgjit_port_tap_create()
 * with the same queue count, then wgjit_port_start() on both, and at exit
 * wgjit_port_close().
 *
 * Threads: init and exit only (main lcore). Errors are 0 or -errno, with a
 * log line naming the call, the port and the error.
 */

#include <stdint.h>

#include <rte_ether.h>
#include <rte_mempool.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Descriptors per queue asked for (the device may adjust them). */
#define WGJIT_PORT_NB_RXD 1024
#define WGJIT_PORT_NB_TXD 1024

/**
 * Configure @p port_id with up to @p nb_workers RX/TX queue pairs: as many
 * as the device has when it also hashes IP+UDP (RSS), else one. RX queues
 * take mbufs from @p pool.
 *
 * @param[out] nb_queues  queue pairs configured (1 .. nb_workers).
 * @param[out] mac  the port's MAC address.
 * @return 0 or -errno (-ENODEV: no such port).
 */
int wgjit_port_uplink_setup(uint16_t port_id, uint16_t nb_workers,
		struct rte_mempool *pool, uint16_t *nb_queues,
		struct rte_ether_addr *mac);

/**
 * Create the TAP port (net_tap, interface @p iface, MAC @p mac) and
 * configure @p nb_queues queue pairs, no RSS.
 *
 * @param[out] port_id  the new port.
 * @return 0 or -errno (-EEXIST when the interface name is taken).
 */
int wgjit_port_tap_create(const char *iface, const struct rte_ether_addr *mac,
		uint16_t nb_queues, struct rte_mempool *pool,
		uint16_t *port_id);

/**
 * Steer mode: clear a steer program a crashed wgjit left on @p ifname,
 * then create the net_af_xdp port on it with wgjit's XDP program
 * (@p prog, or the installed one when NULL or ""), RX queues
 * @p start_queue .. + @p nb_queues - 1 of the interface. The program is
 * attached at the first queue setup (wgjit_port_uplink_setup()); it passes
 * everything until wgjit_xdp_set_port() (docs/steer.md).
 *
 * @param[out] port_id  the new port.
 * @return 0 or -errno with a reason in @p err: -EBUSY (a live wgjit's
 *   program is attached), -EPROTO (another program is attached), the
 *   vdev's error.
 */
int wgjit_port_steer_create(const char *ifname, const char *prog,
		uint16_t start_queue, uint16_t nb_queues, uint16_t *port_id,
		char *err, size_t errlen);

/**
 * Steer mode: what the kernel needs to take the initiations re-injected
 * through the TAP @p tap while their destination address lives on the
 * uplink (docs/steer.md): rp_filter 2 (loose) on the TAP, an IPv4 address
 * on it (link-local 169.254.92.1/32, without which loose still drops),
 * no ARP (the neighbours are on the uplink; the worker addresses the
 * TAP's frames), IPv6 enabled but without a link-local address or router
 * advertisements. @return 0 or -errno with the failing step.
 */
int wgjit_port_tap_steer_prepare(const char *tap, char *err, size_t errlen);

/**
 * Use the existing port @p port_id as the exception path instead of a
 * TAP (config tap.port): configure @p nb_queues queue pairs, no RSS.
 *
 * @return 0 or -errno (-ENODEV: no such port).
 */
int wgjit_port_exception_setup(uint16_t port_id, uint16_t nb_queues,
		struct rte_mempool *pool);

/**
 * Start a configured port, enable promiscuous mode where supported and
 * log the link state. @return 0 or -errno.
 */
int wgjit_port_start(uint16_t port_id);

/**
 * Stop and close a port; a TAP created here is removed with it.
 * Errors are logged and otherwise ignored (exit path).
 */
void wgjit_port_close(uint16_t port_id);

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_PORT_H */
