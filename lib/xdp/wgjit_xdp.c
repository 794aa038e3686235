/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <linux/if_link.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "wgjit_xdp.h"
#include "wgjit_xdp_config.h"	/* WGJIT_XDP_INSTALL_PATH, from meson */

struct wgjit_xdp {
	char ifname[IF_NAMESIZE];
	unsigned int ifindex;
	uint32_t prog_id;
	enum wgjit_xdp_mode mode;
	char prog_name[16];
	int prog_fd;
	int cfg_fd;
	int stats_fd;
	uint32_t xsk_slots;
	int nb_cpus;
};

/* What wgjit_xdp_maps.h promises; checked against the kernel's view. */
struct map_spec {
	const char *name;
	uint32_t type;
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;	/* 0: any */
};

enum { SPEC_XSKS, SPEC_CFG, SPEC_STATS, SPEC_MAX };

static const struct map_spec map_specs[SPEC_MAX] = {
	[SPEC_XSKS] = { WGJIT_XDP_MAP_XSKS, BPF_MAP_TYPE_XSKMAP,
		sizeof(uint32_t), sizeof(uint32_t), 0 },
	[SPEC_CFG] = { WGJIT_XDP_MAP_CFG, BPF_MAP_TYPE_ARRAY,
		sizeof(uint32_t), sizeof(struct wgjit_xdp_cfg), 1 },
	[SPEC_STATS] = { WGJIT_XDP_MAP_STATS, BPF_MAP_TYPE_PERCPU_ARRAY,
		sizeof(uint32_t), sizeof(uint64_t), WGJIT_XDP_STAT_MAX },
};

static const char *const stat_names[WGJIT_XDP_STAT_MAX] = {
	[WGJIT_XDP_STAT_STEERED] = "steered",
	[WGJIT_XDP_STAT_NO_XSK] = "no_xsk",
	[WGJIT_XDP_STAT_PASS_DISABLED] = "pass_disabled",
	[WGJIT_XDP_STAT_PASS_NOT_IP] = "pass_not_ip",
	[WGJIT_XDP_STAT_PASS_TRUNCATED] = "pass_truncated",
	[WGJIT_XDP_STAT_PASS_NOT_UDP] = "pass_not_udp",
	[WGJIT_XDP_STAT_PASS_OTHER_PORT] = "pass_other_port",
	[WGJIT_XDP_STAT_PASS_NOT_INITIATION] = "pass_not_initiation",
};

static int __attribute__((format(printf, 4, 5)))
fail(char *err, size_t err_size, int ret, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (err == NULL || err_size == 0)
		return ret;
	va_start(ap, fmt);
	n = vsnprintf(err, err_size, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < err_size)
		snprintf(err + n, err_size - (size_t)n, ": %s", strerror(-ret));
	return ret;
}

const char *
wgjit_xdp_prog_path(void)
{
	return WGJIT_XDP_INSTALL_PATH;
}

const char *
wgjit_xdp_stat_name(enum wgjit_xdp_stat stat)
{
	if ((unsigned int)stat >= WGJIT_XDP_STAT_MAX)
		return NULL;
	return stat_names[stat];
}

int
wgjit_xdp_devargs(char *buf, size_t size, const char *ifname,
		const char *prog_path, unsigned int start_queue,
		unsigned int queue_count, char *err, size_t err_size)
{
	int n;

	if (ifname == NULL || ifname[0] == '\0' ||
			strlen(ifname) >= IF_NAMESIZE ||
			strpbrk(ifname, ",=[]") != NULL)
		return fail(err, err_size, -EINVAL, "steer devargs: interface "
			"name '%s'", ifname == NULL ? "(null)" : ifname);
	if (prog_path == NULL || prog_path[0] == '\0' ||
			strpbrk(prog_path, ",=[]") != NULL)
		return fail(err, err_size, -EINVAL, "steer devargs: program "
			"path '%s' (kvargs splits on , = [ ])",
			prog_path == NULL ? "(null)" : prog_path);
	if (queue_count == 0 || start_queue >= WGJIT_XDP_MAX_QUEUES ||
			queue_count > WGJIT_XDP_MAX_QUEUES - start_queue)
		return fail(err, err_size, -EINVAL, "steer devargs: queues "
			"%u..%u do not fit in %s (%u entries)", start_queue,
			start_queue + queue_count - 1, WGJIT_XDP_MAP_XSKS,
			WGJIT_XDP_MAX_QUEUES);
	n = snprintf(buf, size, "iface=%s,start_queue=%u,queue_count=%u,"
		"xdp_prog=%s", ifname, start_queue, queue_count, prog_path);
	if (n < 0 || (size_t)n >= size)
		return fail(err, err_size, -ENOSPC, "steer devargs for %s",
			ifname);
	return 0;
}

static uint32_t
mode_flag(enum wgjit_xdp_mode mode)
{
	switch (mode) {
	case WGJIT_XDP_MODE_DRV:
		return XDP_FLAGS_DRV_MODE;
	case WGJIT_XDP_MODE_SKB:
		return XDP_FLAGS_SKB_MODE;
	case WGJIT_XDP_MODE_HW:
		return XDP_FLAGS_HW_MODE;
	default:
		return 0;
	}
}

static int
map_matches(const struct bpf_map_info *mi, const struct map_spec *spec)
{
	return mi->type == spec->type && mi->key_size == spec->key_size &&
		mi->value_size == spec->value_size &&
		(spec->max_entries == 0 ||
		 mi->max_entries == spec->max_entries);
}

/*
 * Is program @p id wgjit's? On success (0) x->prog_fd, the map fds and
 * the names are set; on -EPROTO or an error every fd opened is closed.
 */
static int
check_prog(struct wgjit_xdp *x, uint32_t id, char *err, size_t err_size)
{
	struct bpf_prog_info pi;
	uint32_t len = sizeof(pi), nb_maps, i;
	uint32_t *map_ids = NULL;
	int fds[SPEC_MAX] = { -1, -1, -1 };
	int fd, ret, k;

	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return fail(err, err_size, fd, "bpf_prog_get_fd_by_id(%u) on "
			"%s", id, x->ifname);
	memset(&pi, 0, sizeof(pi));
	ret = bpf_obj_get_info_by_fd(fd, &pi, &len);
	if (ret < 0) {
		fail(err, err_size, ret, "bpf_obj_get_info_by_fd(prog %u)", id);
		goto out;
	}
	if (pi.type != BPF_PROG_TYPE_XDP ||
			strncmp(pi.name, WGJIT_XDP_PROG_NAME,
				sizeof(pi.name)) != 0) {
		ret = fail(err, err_size, -EPROTO, "%s: XDP program %u is "
			"'%.16s', not wgjit's " WGJIT_XDP_PROG_NAME, x->ifname,
			id, pi.name);
		goto out;
	}
	nb_maps = pi.nr_map_ids;
	map_ids = calloc(nb_maps == 0 ? 1 : nb_maps, sizeof(*map_ids));
	if (map_ids == NULL) {
		ret = fail(err, err_size, -ENOMEM, "map ids of prog %u", id);
		goto out;
	}
	memset(&pi, 0, sizeof(pi));
	pi.nr_map_ids = nb_maps;
	pi.map_ids = (uint64_t)(uintptr_t)map_ids;
	len = sizeof(pi);
	ret = bpf_obj_get_info_by_fd(fd, &pi, &len);
	if (ret < 0) {
		fail(err, err_size, ret, "bpf_obj_get_info_by_fd(prog %u)", id);
		goto out;
	}
	if (pi.nr_map_ids < nb_maps)
		nb_maps = pi.nr_map_ids;
	for (i = 0; i < nb_maps; i++) {
		struct bpf_map_info mi;
		uint32_t mlen = sizeof(mi);
		int mfd = bpf_map_get_fd_by_id(map_ids[i]);

		if (mfd < 0) {
			ret = fail(err, err_size, mfd,
				"bpf_map_get_fd_by_id(%u)", map_ids[i]);
			goto out;
		}
		memset(&mi, 0, sizeof(mi));
		ret = bpf_obj_get_info_by_fd(mfd, &mi, &mlen);
		if (ret < 0) {
			close(mfd);
			fail(err, err_size, ret, "bpf_obj_get_info_by_fd(map "
				"%u)", map_ids[i]);
			goto out;
		}
		for (k = 0; k < SPEC_MAX; k++)
			if (fds[k] < 0 && strncmp(mi.name, map_specs[k].name,
					sizeof(mi.name)) == 0)
				break;
		if (k == SPEC_MAX) {
			close(mfd);
			continue;
		}
		if (!map_matches(&mi, &map_specs[k])) {
			close(mfd);
			ret = fail(err, err_size, -EPROTO, "%s: program %u's "
				"map %s has type %u, key %u, value %u, %u "
				"entries: not wgjit_xdp_maps.h's", x->ifname,
				id, map_specs[k].name, mi.type, mi.key_size,
				mi.value_size, mi.max_entries);
			goto out;
		}
		if (k == SPEC_XSKS)
			x->xsk_slots = mi.max_entries;
		fds[k] = mfd;
	}
	for (k = 0; k < SPEC_MAX; k++)
		if (fds[k] < 0) {
			ret = fail(err, err_size, -EPROTO, "%s: program %u has "
				"no map %s", x->ifname, id, map_specs[k].name);
			goto out;
		}
	close(fds[SPEC_XSKS]);
	fds[SPEC_XSKS] = -1;
	x->prog_fd = fd;
	x->cfg_fd = fds[SPEC_CFG];
	x->stats_fd = fds[SPEC_STATS];
	x->prog_id = id;
	memcpy(x->prog_name, pi.name, sizeof(x->prog_name));
	x->prog_name[sizeof(x->prog_name) - 1] = '\0';
	free(map_ids);
	return 0;
out:
	for (k = 0; k < SPEC_MAX; k++)
		if (fds[k] >= 0)
			close(fds[k]);
	close(fd);
	free(map_ids);
	return ret;
}

/* Find wgjit's program among those attached to x->ifindex. */
static int
find_prog(struct wgjit_xdp *x, char *err, size_t err_size)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	static const enum wgjit_xdp_mode modes[] = {
		WGJIT_XDP_MODE_DRV, WGJIT_XDP_MODE_SKB, WGJIT_XDP_MODE_HW,
	};
	uint32_t ids[3];
	unsigned int i;
	int ret;

	ret = bpf_xdp_query((int)x->ifindex, 0, &q);
	if (ret < 0)
		return fail(err, err_size, ret, "bpf_xdp_query(%s)",
			x->ifname);
	ids[0] = q.drv_prog_id;
	ids[1] = q.skb_prog_id;
	ids[2] = q.hw_prog_id;
	ret = -ENOENT;
	for (i = 0; i < 3; i++) {
		if (ids[i] == 0)
			continue;
		ret = check_prog(x, ids[i], err, err_size);
		if (ret == 0) {
			x->mode = modes[i];
			return 0;
		}
		if (ret != -EPROTO)
			return ret;
	}
	if (ret == -ENOENT)
		return fail(err, err_size, -ENOENT, "%s: no XDP program "
			"attached", x->ifname);
	return ret;
}

static int
handle_init(struct wgjit_xdp *x, const char *ifname, char *err,
		size_t err_size)
{
	memset(x, 0, sizeof(*x));
	x->prog_fd = x->cfg_fd = x->stats_fd = -1;
	if (ifname == NULL || strlen(ifname) >= sizeof(x->ifname))
		return fail(err, err_size, -ENODEV, "interface '%s'",
			ifname == NULL ? "(null)" : ifname);
	snprintf(x->ifname, sizeof(x->ifname), "%s", ifname);
	x->ifindex = if_nametoindex(ifname);
	if (x->ifindex == 0)
		return fail(err, err_size, -errno, "if_nametoindex(%s)",
			ifname);
	return 0;
}

static void
handle_release(struct wgjit_xdp *x)
{
	if (x->cfg_fd >= 0)
		close(x->cfg_fd);
	if (x->stats_fd >= 0)
		close(x->stats_fd);
	if (x->prog_fd >= 0)
		close(x->prog_fd);
	x->prog_fd = x->cfg_fd = x->stats_fd = -1;
}

int
wgjit_xdp_open(const char *ifname, struct wgjit_xdp **xp, char *err,
		size_t err_size)
{
	struct wgjit_xdp *x;
	int ret;

	*xp = NULL;
	x = malloc(sizeof(*x));
	if (x == NULL)
		return fail(err, err_size, -ENOMEM, "wgjit_xdp_open(%s)",
			ifname);
	ret = handle_init(x, ifname, err, err_size);
	if (ret == 0)
		ret = find_prog(x, err, err_size);
	if (ret == 0) {
		x->nb_cpus = libbpf_num_possible_cpus();
		if (x->nb_cpus <= 0)
			ret = fail(err, err_size, x->nb_cpus < 0 ? x->nb_cpus :
				-EINVAL, "libbpf_num_possible_cpus");
	}
	if (ret != 0) {
		handle_release(x);
		free(x);
		return ret;
	}
	*xp = x;
	return 0;
}

void
wgjit_xdp_close(struct wgjit_xdp *x)
{
	if (x == NULL)
		return;
	handle_release(x);
	free(x);
}

int
wgjit_xdp_info(const struct wgjit_xdp *x, struct wgjit_xdp_info *info)
{
	memset(info, 0, sizeof(*info));
	info->ifindex = x->ifindex;
	info->prog_id = x->prog_id;
	info->mode = x->mode;
	memcpy(info->prog_name, x->prog_name, sizeof(info->prog_name));
	info->xsk_slots = x->xsk_slots;
	return 0;
}

int
wgjit_xdp_set_port(struct wgjit_xdp *x, uint16_t listen_port, char *err,
		size_t err_size)
{
	struct wgjit_xdp_cfg cfg;
	uint32_t key = 0;
	int ret;

	memset(&cfg, 0, sizeof(cfg));
	cfg.enabled = listen_port != 0;
	cfg.listen_port = listen_port;
	ret = bpf_map_update_elem(x->cfg_fd, &key, &cfg, BPF_ANY);
	if (ret < 0)
		return fail(err, err_size, ret, "%s: update %s (port %u)",
			x->ifname, WGJIT_XDP_MAP_CFG, listen_port);
	return 0;
}

int
wgjit_xdp_get_port(const struct wgjit_xdp *x, uint16_t *listen_port,
		char *err, size_t err_size)
{
	struct wgjit_xdp_cfg cfg;
	uint32_t key = 0;
	int ret;

	ret = bpf_map_lookup_elem(x->cfg_fd, &key, &cfg);
	if (ret < 0)
		return fail(err, err_size, ret, "%s: lookup %s", x->ifname,
			WGJIT_XDP_MAP_CFG);
	*listen_port = cfg.enabled != 0 ? cfg.listen_port : 0;
	return 0;
}

int
wgjit_xdp_read_stats(const struct wgjit_xdp *x,
		struct wgjit_xdp_stats *stats, char *err, size_t err_size)
{
	uint64_t *vals;
	uint32_t key;
	int ret = 0, c;

	memset(stats, 0, sizeof(*stats));
	vals = calloc((size_t)x->nb_cpus, sizeof(*vals));
	if (vals == NULL)
		return fail(err, err_size, -ENOMEM, "%s: stats", x->ifname);
	for (key = 0; key < WGJIT_XDP_STAT_MAX; key++) {
		ret = bpf_map_lookup_elem(x->stats_fd, &key, vals);
		if (ret < 0) {
			fail(err, err_size, ret, "%s: lookup %s[%u]",
				x->ifname, WGJIT_XDP_MAP_STATS, key);
			break;
		}
		for (c = 0; c < x->nb_cpus; c++)
			stats->by_stat[key] += vals[c];
	}
	free(vals);
	if (ret < 0) {
		memset(stats, 0, sizeof(*stats));
		return ret;
	}
	stats->steered = stats->by_stat[WGJIT_XDP_STAT_STEERED];
	stats->no_xsk = stats->by_stat[WGJIT_XDP_STAT_NO_XSK];
	stats->pass_disabled = stats->by_stat[WGJIT_XDP_STAT_PASS_DISABLED];
	stats->pass_not_ip = stats->by_stat[WGJIT_XDP_STAT_PASS_NOT_IP];
	stats->pass_truncated = stats->by_stat[WGJIT_XDP_STAT_PASS_TRUNCATED];
	stats->pass_not_udp = stats->by_stat[WGJIT_XDP_STAT_PASS_NOT_UDP];
	stats->pass_other_port =
		stats->by_stat[WGJIT_XDP_STAT_PASS_OTHER_PORT];
	stats->pass_not_initiation =
		stats->by_stat[WGJIT_XDP_STAT_PASS_NOT_INITIATION];
	for (key = 0; key < WGJIT_XDP_STAT_MAX; key++)
		if (key != WGJIT_XDP_STAT_STEERED)
			stats->passed += stats->by_stat[key];
	return 0;
}

/* Does @p fdinfo (a /proc/PID/fdinfo/FD file) name BPF program @p id? */
static bool
fdinfo_names_prog(const char *fdinfo, uint32_t id)
{
	char line[128];
	unsigned int v;
	bool found = false;
	FILE *fp = fopen(fdinfo, "r");

	if (fp == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), fp) != NULL)
		found = sscanf(line, "prog_id: %u", &v) == 1 && v == id;
	fclose(fp);
	return found;
}

/*
 * Which other process holds an fd on program @p id? The PMD never closes
 * the bpf_object it loaded, so a live wgjit holds its program until it
 * exits, while one left by a crash is held by the netlink attachment
 * alone. @return the PID, or 0.
 */
static pid_t
prog_holder(uint32_t id)
{
	char path[64], link[64];
	struct dirent *p, *f;
	pid_t self = getpid(), pid = 0;
	DIR *procs, *fds;
	ssize_t n;

	procs = opendir("/proc");
	if (procs == NULL)
		return 0;
	while (pid == 0 && (p = readdir(procs)) != NULL) {
		pid_t cand = (pid_t)atoi(p->d_name);

		if (cand <= 0 || cand == self)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd", (int)cand);
		fds = opendir(path);
		if (fds == NULL)
			continue;
		while (pid == 0 && (f = readdir(fds)) != NULL) {
			int fd = atoi(f->d_name);

			if (f->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/%d/fd/%d",
				(int)cand, fd);
			n = readlink(path, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = '\0';
			if (strcmp(link, "anon_inode:bpf-prog") != 0)
				continue;
			snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d",
				(int)cand, fd);
			if (fdinfo_names_prog(path, id))
				pid = cand;
		}
		closedir(fds);
	}
	closedir(procs);
	return pid;
}

int
wgjit_xdp_detach_stale(const char *ifname, bool *detached, char *err,
		size_t err_size)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts);
	struct wgjit_xdp x;
	pid_t holder;
	int ret;

	if (detached != NULL)
		*detached = false;
	ret = handle_init(&x, ifname, err, err_size);
	if (ret != 0)
		return ret;
	ret = find_prog(&x, err, err_size);
	if (ret == -ENOENT) {
		if (err != NULL && err_size > 0)
			err[0] = '\0';
		return 0;
	}
	if (ret != 0)
		return ret;
	holder = prog_holder(x.prog_id);
	if (holder != 0) {
		handle_release(&x);
		return fail(err, err_size, -EBUSY, "%s: XDP program %u is in "
			"use by process %d (another wgjit?)", ifname,
			x.prog_id, (int)holder);
	}
	opts.old_prog_fd = x.prog_fd;
	ret = bpf_xdp_detach((int)x.ifindex,
		XDP_FLAGS_REPLACE | mode_flag(x.mode), &opts);
	if (ret < 0)
		fail(err, err_size, ret, "bpf_xdp_detach(%s, prog %u)",
			ifname, x.prog_id);
	else if (detached != NULL)
		*detached = true;
	handle_release(&x);
	return ret;
}
