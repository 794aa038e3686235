/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_log.h>

#include "wgjit_err.h"
#include "wgjit_port.h"
#include "wgjit_xdp.h"

#define TAP_DEV_NAME "net_tap_wgjit"
#define STEER_DEV_NAME "net_af_xdp_wgjit"
/* The TAP's address in steer mode: link-local, a host route only. */
#define STEER_TAP_ADDR "169.254.92.1"
#define WANTED_RSS (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP)

#define PORT_LOG(level, fmt, ...) \
	RTE_LOG(level, USER1, "wgjit: port: " fmt "\n", ##__VA_ARGS__)

/* Configure @p nb_q queue pairs; RSS when @p rss_hf is not zero. */
static int
configure(uint16_t port_id, uint16_t nb_q, uint64_t rss_hf,
		struct rte_mempool *pool)
{
	struct rte_eth_conf conf;
	uint16_t nb_rxd = WGJIT_PORT_NB_RXD, nb_txd = WGJIT_PORT_NB_TXD;
	int socket = rte_eth_dev_socket_id(port_id);
	int ret;

	memset(&conf, 0, sizeof(conf));
	if (rss_hf != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = rss_hf;
	}
	ret = rte_eth_dev_configure(port_id, nb_q, nb_q, &conf);
	if (ret < 0) {
		PORT_LOG(ERR, "rte_eth_dev_configure(port %u, %u queues): %s",
			port_id, nb_q, rte_strerror(-ret));
		return ret;
	}
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &nb_rxd, &nb_txd);
	if (ret < 0) {
		PORT_LOG(ERR, "rte_eth_dev_adjust_nb_rx_tx_desc(port %u): %s",
			port_id, rte_strerror(-ret));
		return ret;
	}
	if (socket < 0)
		socket = (int)rte_socket_id();
	for (uint16_t q = 0; q < nb_q; q++) {
		ret = rte_eth_rx_queue_setup(port_id, q, nb_rxd,
			(unsigned int)socket, NULL, pool);
		if (ret < 0) {
			PORT_LOG(ERR, "rte_eth_rx_queue_setup(port %u, queue %u): %s",
				port_id, q, rte_strerror(-ret));
			return ret;
		}
		ret = rte_eth_tx_queue_setup(port_id, q, nb_txd,
			(unsigned int)socket, NULL);
		if (ret < 0) {
			PORT_LOG(ERR, "rte_eth_tx_queue_setup(port %u, queue %u): %s",
				port_id, q, rte_strerror(-ret));
			return ret;
		}
	}
	return 0;
}

int
wgjit_port_uplink_setup(uint16_t port_id, uint16_t nb_workers,
		struct rte_mempool *pool, uint16_t *nb_queues,
		struct rte_ether_addr *mac)
{
	struct rte_eth_dev_info info;
	uint64_t rss_hf = 0;
	uint16_t nb_q = 1;
	int ret;

	if (!rte_eth_dev_is_valid_port(port_id)) {
		PORT_LOG(ERR, "uplink port %u does not exist (%u ports)",
			port_id, rte_eth_dev_count_avail());
		return -ENODEV;
	}
	ret = rte_eth_dev_info_get(port_id, &info);
	if (ret < 0) {
		PORT_LOG(ERR, "rte_eth_dev_info_get(port %u): %s", port_id,
			rte_strerror(-ret));
		return ret;
	}
	/* Several queues only when the device spreads flows over them: RSS
	 * on IP+UDP, or a vdev that spreads by itself (net_af_packet's
	 * fanout hash over qpairs, net_af_xdp's queues fed by the NIC's
	 * RSS). */
	if (nb_workers > 1) {
		bool self_spreading = strcmp(info.driver_name,
				"net_af_packet") == 0 ||
			strcmp(info.driver_name, "net_af_xdp") == 0;

		rss_hf = WANTED_RSS & info.flow_type_rss_offloads;
		nb_q = RTE_MIN(nb_workers,
			RTE_MIN(info.max_rx_queues, info.max_tx_queues));
		if (rss_hf != WANTED_RSS && !self_spreading)
			PORT_LOG(NOTICE, "port %u (%s): RSS hash 0x%" PRIx64
				" asked, device has 0x%" PRIx64 ", using 0x%"
				PRIx64, port_id, info.driver_name,
				(uint64_t)WANTED_RSS,
				info.flow_type_rss_offloads, rss_hf);
		if ((rss_hf == 0 && !self_spreading) || nb_q < 2) {
			PORT_LOG(NOTICE, "port %u (%s): one queue for %u workers: worker 0 receives and spreads initiations",
				port_id, info.driver_name, nb_workers);
			nb_q = 1;
			rss_hf = 0;
		} else if (nb_q < nb_workers) {
			PORT_LOG(NOTICE, "port %u (%s): %u queues, not %u: one queue",
				port_id, info.driver_name, nb_q, nb_workers);
			nb_q = 1;
			rss_hf = 0;
		}
	}
	ret = configure(port_id, nb_q, rss_hf, pool);
	if (ret < 0)
		return ret;
	ret = rte_eth_macaddr_get(port_id, mac);
	if (ret < 0) {
		PORT_LOG(ERR, "rte_eth_macaddr_get(port %u): %s", port_id,
			rte_strerror(-ret));
		return ret;
	}
	*nb_queues = nb_q;
	PORT_LOG(INFO, "uplink port %u (%s): %u queue pair(s), RSS 0x%" PRIx64,
		port_id, info.driver_name, nb_q, rss_hf);
	return 0;
}

int
wgjit_port_tap_create(const char *iface, const struct rte_ether_addr *mac,
		uint16_t nb_queues, struct rte_mempool *pool,
		uint16_t *port_id)
{
	char args[128], mac_str[RTE_ETHER_ADDR_FMT_SIZE];
	int ret;

	rte_ether_format_addr(mac_str, sizeof(mac_str), mac);
	ret = snprintf(args, sizeof(args), "iface=%s,mac=%s", iface, mac_str);
	if (ret < 0 || (size_t)ret >= sizeof(args))
		return -ENAMETOOLONG;
	ret = rte_vdev_init(TAP_DEV_NAME, args);
	if (ret < 0) {
		PORT_LOG(ERR, "rte_vdev_init(%s, %s): %s", TAP_DEV_NAME, args,
			rte_strerror(-ret));
		return ret;
	}
	ret = rte_eth_dev_get_port_by_name(TAP_DEV_NAME, port_id);
	if (ret < 0) {
		PORT_LOG(ERR, "rte_eth_dev_get_port_by_name(%s): %s",
			TAP_DEV_NAME, rte_strerror(-ret));
		rte_vdev_uninit(TAP_DEV_NAME);
		return ret;
	}
	ret = configure(*port_id, nb_queues, 0, pool);
	if (ret < 0) {
		wgjit_port_close(*port_id);
		return ret;
	}
	PORT_LOG(INFO, "TAP port %u: interface %s, MAC %s, %u queue pair(s)",
		*port_id, iface, mac_str, nb_queues);
	return 0;
}

int
wgjit_port_exception_setup(uint16_t port_id, uint16_t nb_queues,
		struct rte_mempool *pool)
{
	int ret;

	if (!rte_eth_dev_is_valid_port(port_id)) {
		PORT_LOG(ERR, "exception port %u does not exist (%u ports)",
			port_id, rte_eth_dev_count_avail());
		return -ENODEV;
	}
	ret = configure(port_id, nb_queues, 0, pool);
	if (ret < 0)
		return ret;
	PORT_LOG(INFO, "exception port %u: %u queue pair(s), no TAP",
		port_id, nb_queues);
	return 0;
}

int
wgjit_port_start(uint16_t port_id)
{
	struct rte_eth_link link;
	int ret;

	ret = rte_eth_dev_start(port_id);
	if (ret < 0) {
		PORT_LOG(ERR, "rte_eth_dev_start(port %u): %s", port_id,
			rte_strerror(-ret));
		return ret;
	}
	ret = rte_eth_promiscuous_enable(port_id);
	if (ret < 0)
		PORT_LOG(NOTICE, "port %u: no promiscuous mode: %s", port_id,
			rte_strerror(-ret));
	ret = rte_eth_link_get_nowait(port_id, &link);
	if (ret == 0)
		PORT_LOG(INFO, "port %u: link %s, %u Mbps", port_id,
			link.link_status ? "up" : "down", link.link_speed);
	return 0;
}

void
wgjit_port_close(uint16_t port_id)
{
	int ret;

	ret = rte_eth_dev_stop(port_id);
	if (ret < 0 && ret != -EINVAL)
		PORT_LOG(WARNING, "rte_eth_dev_stop(port %u): %s", port_id,
			rte_strerror(-ret));
	ret = rte_eth_dev_close(port_id);
	if (ret < 0)
		PORT_LOG(WARNING, "rte_eth_dev_close(port %u): %s", port_id,
			rte_strerror(-ret));
}

int
wgjit_port_steer_create(const char *ifname, const char *prog,
		uint16_t start_queue, uint16_t nb_queues, uint16_t *port_id,
		char *err, size_t errlen)
{
	char devargs[512];
	bool detached = false;
	int ret;

	if (prog == NULL || prog[0] == '\0')
		prog = wgjit_xdp_prog_path();
	if (access(prog, R_OK) != 0)
		return wgjit_errf(err, errlen, -errno, "XDP program %s: %s",
			prog, strerror(errno));
	ret = wgjit_xdp_detach_stale(ifname, &detached, err, errlen);
	if (ret < 0 && ret != -ENOENT)
		return ret;
	if (detached)
		PORT_LOG(NOTICE, "removed the steer program a stopped wgjit "
			"left on %s", ifname);
	ret = wgjit_xdp_devargs(devargs, sizeof(devargs), ifname, prog,
		start_queue, nb_queues, err, errlen);
	if (ret < 0)
		return ret;
	ret = rte_vdev_init(STEER_DEV_NAME, devargs);
	if (ret < 0)
		return wgjit_errf(err, errlen, ret, "rte_vdev_init(%s, %s): %s",
			STEER_DEV_NAME, devargs, rte_strerror(-ret));
	ret = rte_eth_dev_get_port_by_name(STEER_DEV_NAME, port_id);
	if (ret < 0)
		return wgjit_errf(err, errlen, ret, "no port %s", STEER_DEV_NAME);
	return 0;
}

/* Write @p value to /proc/sys/@p path. */
static int
write_sysctl(const char *path, const char *value)
{
	char file[256];
	ssize_t n;
	int fd;

	snprintf(file, sizeof(file), "/proc/sys/%s", path);
	fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, value, strlen(value));
	close(fd);
	return n == (ssize_t)strlen(value) ? 0 : -EIO;
}

/* No ARP (nor IPv6 neighbour discovery) on @p ifname. */
static int
set_noarp(const char *ifname)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) != 0)
		ret = -errno;
	ifr.ifr_flags |= IFF_NOARP;
	if (ret == 0 && ioctl(fd, SIOCSIFFLAGS, &ifr) != 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* An IPv4 address and a /32 mask on @p ifname (ioctl, no routes). */
static int
set_ipv4(const char *ifname, const char *addr)
{
	struct ifreq ifr;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, addr, &sin->sin_addr);
	if (ioctl(fd, SIOCSIFADDR, &ifr) != 0)
		ret = -errno;
	inet_pton(AF_INET, "255.255.255.255", &sin->sin_addr);
	if (ret == 0 && ioctl(fd, SIOCSIFNETMASK, &ifr) != 0)
		ret = -errno;
	close(fd);
	return ret;
}

int
wgjit_port_tap_steer_prepare(const char *tap, char *err, size_t errlen)
{
	char path[128];
	int ret;

	snprintf(path, sizeof(path), "net/ipv4/conf/%s/rp_filter", tap);
	ret = write_sysctl(path, "2");
	if (ret < 0)
		return wgjit_errf(err, errlen, ret, "sysctl %s = 2: %s", path,
			strerror(-ret));
	ret = set_ipv4(tap, STEER_TAP_ADDR);
	if (ret < 0)
		return wgjit_errf(err, errlen, ret, "address %s/32 on %s: %s",
			STEER_TAP_ADDR, tap, strerror(-ret));
	/* The neighbours are on the uplink: the TAP asks nobody. */
	ret = set_noarp(tap);
	if (ret < 0)
		return wgjit_errf(err, errlen, ret, "no ARP on %s: %s", tap,
			strerror(-ret));
	/* IPv6 on, but quiet: no link-local address (no DAD, no router
	 * solicitations out of the uplink), no router advertisements. No
	 * IPv6 at all on the host is fine: then nothing comes by v6. */
	for (unsigned int i = 0; i < 3; i++) {
		static const char *const v6[][2] = {
			{ "addr_gen_mode", "1" }, { "accept_ra", "0" },
			{ "disable_ipv6", "0" },
		};

		snprintf(path, sizeof(path), "net/ipv6/conf/%s/%s", tap,
			v6[i][0]);
		ret = write_sysctl(path, v6[i][1]);
		if (ret < 0 && ret != -ENOENT)
			return wgjit_errf(err, errlen, ret, "sysctl %s = %s: %s",
				path, v6[i][1], strerror(-ret));
	}
	return 0;
}
