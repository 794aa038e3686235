/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_XDP_H
#define WGJIT_XDP_H

/**
 * @file
 * Control of wgjit's steer XDP program (wgjit_steer.bpf.o) once the
 * af_xdp PMD has loaded and attached it: find it on the uplink, check it
 * is wgjit's, set the WireGuard listen port, read its counters, and
 * detach one that a crashed wgjit left behind. The map layout is in
 * wgjit_xdp_maps.h; the PMD's side of the story is in docs/steer.md.
 *
 * In steer mode, at start-up:
 *   1. wgjit_xdp_detach_stale(uplink): the PMD attaches with
 *      XDP_FLAGS_UPDATE_IF_NOEXIST and fails (-EBUSY, at the first
 *      rte_eth_rx_queue_setup) if any program is attached; a netlink
 *      attachment outlives the process that made it.
 *   2. rte_vdev_init("net_af_xdp0", devargs from wgjit_xdp_devargs()),
 *      configure, set up every RX queue (the program is attached, and
 *      the sockets inserted into xsks_map, there), start.
 *   3. wgjit_xdp_open(uplink), wgjit_xdp_set_port(listen port). Until
 *      then the program passes every frame to the kernel.
 * At teardown: wgjit_xdp_close(), then rte_eth_dev_close() (the PMD
 * detaches the program from the interface).
 *
 * Threads: init and control thread only (syscalls). A handle is not
 * shared between threads without a lock. Errors: 0 or a negative errno,
 * and a one-line message in the caller's buffer (may be NULL) that names
 * the call, the interface and the error.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wgjit_xdp_maps.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A handle on the steer program attached to one interface. */
struct wgjit_xdp;

/** How the program is attached (IFLA_XDP_ATTACHED). */
enum wgjit_xdp_mode {
	WGJIT_XDP_MODE_NONE = 0,
	WGJIT_XDP_MODE_DRV,	/**< native: the driver runs it */
	WGJIT_XDP_MODE_SKB,	/**< generic: after the skb is built */
	WGJIT_XDP_MODE_HW,	/**< offloaded */
};

/** Counters summed over CPUs; see enum wgjit_xdp_stat. */
struct wgjit_xdp_stats {
	uint64_t steered;	/**< initiations redirected to an AF_XDP socket */
	uint64_t no_xsk;	/**< initiations on a queue without a socket */
	uint64_t pass_disabled;
	uint64_t pass_not_ip;
	uint64_t pass_truncated;
	uint64_t pass_not_udp;
	uint64_t pass_other_port;
	uint64_t pass_not_initiation;
	uint64_t passed;	/**< everything the kernel got: no_xsk + pass_* */
	uint64_t by_stat[WGJIT_XDP_STAT_MAX];	/**< the raw entries */
};

/** What wgjit_xdp_info() reports. */
struct wgjit_xdp_info {
	uint32_t ifindex;
	uint32_t prog_id;
	enum wgjit_xdp_mode mode;
	char prog_name[16];
	uint32_t xsk_slots;	/**< xsks_map entries: RX queues it can steer */
};

/** Where meson installs the program (libdir/wgjit/wgjit_steer.bpf.o). */
const char *wgjit_xdp_prog_path(void);

/**
 * Write the net_af_xdp devargs for steer mode into @p buf:
 * "iface=IF,start_queue=S,queue_count=N,xdp_prog=PATH". kvargs splits on
 * ',' and '=' and treats '[' ']' as a list, so a path with any of those is
 * refused.
 *
 * @return 0, -EINVAL (bad name, path or queues: start + count must fit in
 *   xsks_map) or -ENOSPC (@p size too small).
 */
int wgjit_xdp_devargs(char *buf, size_t size, const char *ifname,
		const char *prog_path, unsigned int start_queue,
		unsigned int queue_count, char *err, size_t err_size);

/**
 * Find the XDP program attached to @p ifname (in the caller's network
 * namespace) and check that it is wgjit's: a program named
 * WGJIT_XDP_PROG_NAME whose maps include the three of wgjit_xdp_maps.h
 * with the types, sizes and entry counts given there. Opens its maps.
 *
 * @param[out] xp  the handle, for wgjit_xdp_close().
 * @return 0, -ENODEV (no such interface), -ENOENT (no XDP program
 *   attached), -EPROTO (the program attached is not wgjit's, or its maps
 *   differ), -EPERM (no CAP_SYS_ADMIN/CAP_BPF), or another -errno from the
 *   bpf() or netlink calls.
 */
int wgjit_xdp_open(const char *ifname, struct wgjit_xdp **xp, char *err,
		size_t err_size);

/** Release the handle (map and program fds). NULL is a no-op. */
void wgjit_xdp_close(struct wgjit_xdp *x);

/** Fill @p info. @return 0. */
int wgjit_xdp_info(const struct wgjit_xdp *x, struct wgjit_xdp_info *info);

/**
 * Steer initiations to UDP port @p listen_port (host order); 0 passes
 * everything. Takes effect for the next frame.
 * @return 0 or -errno.
 */
int wgjit_xdp_set_port(struct wgjit_xdp *x, uint16_t listen_port, char *err,
		size_t err_size);

/**
 * Read the configuration back.
 * @param[out] listen_port  0 when disabled.
 * @return 0 or -errno.
 */
int wgjit_xdp_get_port(const struct wgjit_xdp *x, uint16_t *listen_port,
		char *err, size_t err_size);

/**
 * Sum the per-CPU counters. They count from the program's load and are
 * never reset (the PMD loads a fresh copy each time it attaches).
 * @return 0 or -errno.
 */
int wgjit_xdp_read_stats(const struct wgjit_xdp *x,
		struct wgjit_xdp_stats *stats, char *err, size_t err_size);

/**
 * Detach the XDP program on @p ifname if it is wgjit's (as in
 * wgjit_xdp_open()) and stale: left attached by a wgjit that did not
 * close its port (crash, kill -9). A live one is told apart by the fd
 * its PMD keeps on the program: if another process holds one, nothing is
 * detached. Scans /proc (init only). The detach names the program
 * (XDP_FLAGS_REPLACE), so a program attached meanwhile is left alone.
 *
 * @param[out] detached  true if a program was detached (may be NULL).
 * @return 0 (also when nothing is attached), -ENODEV, -EPROTO (another
 *   program is attached: left alone), -EBUSY (wgjit's, held by a live
 *   process) or -errno.
 */
int wgjit_xdp_detach_stale(const char *ifname, bool *detached, char *err,
		size_t err_size);

/** Name of a counter ("steered", "pass_not_udp", ...), for telemetry. */
const char *wgjit_xdp_stat_name(enum wgjit_xdp_stat stat);

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_XDP_H */
