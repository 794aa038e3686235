/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_telemetry.h>
#include <rte_version.h>

#include "wgjit_parse.h"
#include "wgjit_tel.h"

static struct wgjit_tel_source source;
static bool registered;
static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static bool closed;	/* under lock: the app is tearing down */

/* rte_tel_data_add_dict_u64 became _uint in 23.03 (deprecated in 23.11). */
static int
dict_u64(struct rte_tel_data *d, const char *name, uint64_t v)
{
#if RTE_VERSION >= RTE_VERSION_NUM(23, 3, 0, 0)
	return rte_tel_data_add_dict_uint(d, name, v);
#else
	return rte_tel_data_add_dict_u64(d, name, v);
#endif
}

static int
add_lcore_stats(struct rte_tel_data *d, const struct wgjit_lcore_stats *st)
{
	const uint64_t *v = (const uint64_t *)st;
	int ret;

	for (unsigned int i = 0; i < WGJIT_LCORE_NB_STATS; i++) {
		ret = dict_u64(d, wgjit_lcore_stats_names[i], v[i]);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Every group's counters, by name. */
static int
add_groups(struct rte_tel_data *d)
{
	uint64_t v[256];
	int ret = 0;

	for (unsigned int g = 0; g < source.nb_groups && ret == 0; g++) {
		const struct wgjit_tel_group *gr = &source.groups[g];

		if (gr->nb > RTE_DIM(v))
			return -E2BIG;
		gr->read(gr->arg, v);
		for (unsigned int i = 0; i < gr->nb && ret == 0; i++)
			ret = dict_u64(d, gr->names[i], v[i]);
	}
	return ret;
}

static int
handle_stats(const char *cmd __rte_unused, const char *params,
		struct rte_tel_data *d)
{
	struct wgjit_lcore_stats sum, one;
	uint64_t *s = (uint64_t *)&sum;
	const uint64_t *o = (const uint64_t *)&one;
	int ret;

	if (params != NULL && params[0] != '\0')
		return -EINVAL;
	memset(&sum, 0, sizeof(sum));
	for (unsigned int w = 0; w < source.nb_workers; w++) {
		wgjit_lcore_stats_read(source.workers[w], &one);
		for (unsigned int i = 0; i < WGJIT_LCORE_NB_STATS; i++)
			s[i] += o[i];
	}
	ret = rte_tel_data_start_dict(d);
	if (ret == 0)
		ret = add_lcore_stats(d, &sum);
	if (ret == 0)
		ret = dict_u64(d, "workers", source.nb_workers);
	if (ret == 0)
		ret = add_groups(d);
	return ret;
}

static int
handle_lcores(const char *cmd __rte_unused, const char *params,
		struct rte_tel_data *d)
{
	struct wgjit_lcore_stats st;
	char name[16];
	unsigned int lcore;
	int ret;

	if (params != NULL && params[0] != '\0') {
		if (wgjit_parse_uint(params, RTE_MAX_LCORE - 1, &lcore) < 0)
			return -EINVAL;
		for (unsigned int w = 0; w < source.nb_workers; w++) {
			if (source.worker_lcore[w] != lcore)
				continue;
			wgjit_lcore_stats_read(source.workers[w], &st);
			ret = rte_tel_data_start_dict(d);
			if (ret == 0)
				ret = dict_u64(d, "lcore", (uint64_t)lcore);
			if (ret == 0)
				ret = dict_u64(d, "worker", w);
			if (ret == 0)
				ret = add_lcore_stats(d, &st);
			return ret;
		}
		return -EINVAL;	/* not a worker lcore */
	}
	ret = rte_tel_data_start_dict(d);
	for (unsigned int w = 0; w < source.nb_workers && ret == 0; w++) {
		struct rte_tel_data *c = rte_tel_data_alloc();

		if (c == NULL)
			return -ENOMEM;
		wgjit_lcore_stats_read(source.workers[w], &st);
		ret = rte_tel_data_start_dict(c);
		if (ret == 0)
			ret = add_lcore_stats(c, &st);
		snprintf(name, sizeof(name), "%u", source.worker_lcore[w]);
		if (ret == 0)
			ret = rte_tel_data_add_dict_container(d, name, c, 0);
		if (ret < 0)
			rte_tel_data_free(c);
	}
	return ret;
}

struct config_walk {
	struct rte_tel_data *d;
	struct rte_tel_data *sec;
	const char *sec_name;
};

/* Close the section being built: hand it to the outer dict. */
static int
flush_section(struct config_walk *w)
{
	int ret;

	if (w->sec == NULL)
		return 0;
	ret = rte_tel_data_add_dict_container(w->d, w->sec_name, w->sec, 0);
	if (ret < 0)
		rte_tel_data_free(w->sec);
	w->sec = NULL;
	return ret;
}

static int
config_entry(void *arg, const char *section, const char *key,
		const char *value, bool is_number, uint64_t number)
{
	struct config_walk *w = arg;
	int ret;

	if (w->sec == NULL || strcmp(w->sec_name, section) != 0) {
		ret = flush_section(w);
		if (ret < 0)
			return ret;
		w->sec = rte_tel_data_alloc();
		if (w->sec == NULL)
			return -ENOMEM;
		w->sec_name = section;
		ret = rte_tel_data_start_dict(w->sec);
		if (ret < 0)
			return ret;
	}
	if (is_number)
		return dict_u64(w->sec, key, number);
	return rte_tel_data_add_dict_string(w->sec, key, value);
}

static int
handle_config(const char *cmd __rte_unused, const char *params,
		struct rte_tel_data *d)
{
	struct config_walk w = { .d = d };
	int ret;

	if (params != NULL && params[0] != '\0')
		return -EINVAL;
	ret = rte_tel_data_start_dict(d);
	if (ret == 0)
		ret = wgjit_config_foreach(source.cfg, config_entry, &w);
	if (ret == 0)
		return flush_section(&w);
	if (w.sec != NULL)
		rte_tel_data_free(w.sec);
	return ret;
}

/* Peers per /wgjit/peers call (a reply holds 16 KB, a peer ~220 bytes);
 * page with the first index as parameter. */
#define PEERS_PER_CALL 64

/*
 * A dict of peer dicts, keyed by the public key in hex (telemetry names
 * allow no base64), from the index given as parameter. DPDK 22.11 takes
 * dicts inside dicts but not inside arrays.
 */
static int
handle_peers(const char *cmd __rte_unused, const char *params,
		struct rte_tel_data *d)
{
	struct wgjit_tel_peer peers[PEERS_PER_CALL];	/* one per client thread */
	unsigned int first = 0, n;
	int ret;

	if (params != NULL && params[0] != '\0' &&
			wgjit_parse_uint(params, UINT32_MAX, &first) < 0)
		return -EINVAL;
	n = source.peers != NULL ?
		source.peers(source.peers_arg, first, peers, PEERS_PER_CALL) : 0;
	ret = rte_tel_data_start_dict(d);
	for (unsigned int i = 0; ret == 0 && i < n; i++) {
		struct rte_tel_data *p = rte_tel_data_alloc();

		if (p == NULL)
			return -ENOMEM;
		ret = rte_tel_data_start_dict(p);
		if (ret == 0)
			ret = rte_tel_data_add_dict_string(p, "public_key",
				peers[i].public_key);
		if (ret == 0)
			ret = rte_tel_data_add_dict_string(p, "endpoint",
				peers[i].endpoint);
		if (ret == 0)
			ret = dict_u64(p, "age_s", peers[i].age_s);
		if (ret == 0)
			ret = rte_tel_data_add_dict_int(p, "last_handshake_s",
				(int)RTE_MIN(peers[i].last_handshake_s,
					(int64_t)INT32_MAX));
		if (ret == 0)
			ret = rte_tel_data_add_dict_container(d,
				peers[i].key_hex, p, 0);
		if (ret < 0)
			rte_tel_data_free(p);
	}
	return ret;
}

/* Upper bound (us) of the bucket holding quantile @p q of @p h. */
static uint64_t
hist_quantile(const uint64_t h[WGJIT_TEL_HIST_BUCKETS], double q)
{
	uint64_t total = 0, seen = 0;

	for (unsigned int i = 0; i < WGJIT_TEL_HIST_BUCKETS; i++)
		total += h[i];
	if (total == 0)
		return 0;
	for (unsigned int i = 0; i < WGJIT_TEL_HIST_BUCKETS; i++) {
		seen += h[i];
		if ((double)seen >= q * (double)total)
			return UINT64_C(2) << i;
	}
	return UINT64_C(2) << (WGJIT_TEL_HIST_BUCKETS - 1);
}

static int
add_hist(struct rte_tel_data *d, const char *name,
		const uint64_t h[WGJIT_TEL_HIST_BUCKETS])
{
	struct rte_tel_data *a = rte_tel_data_alloc();
	int ret;

	if (a == NULL)
		return -ENOMEM;
	ret = rte_tel_data_start_array(a, RTE_TEL_U64_VAL);
	for (unsigned int i = 0; ret == 0 && i < WGJIT_TEL_HIST_BUCKETS; i++)
#if RTE_VERSION >= RTE_VERSION_NUM(23, 3, 0, 0)
		ret = rte_tel_data_add_array_uint(a, h[i]);
#else
		ret = rte_tel_data_add_array_u64(a, h[i]);
#endif
	if (ret == 0)
		ret = rte_tel_data_add_dict_container(d, name, a, 0);
	if (ret < 0)
		rte_tel_data_free(a);
	return ret;
}

/* Each histogram (bucket i counts [2^i, 2^(i+1)) us) with its p50 and
 * p99 bounds. */
static int
handle_latency(const char *cmd __rte_unused, const char *params,
		struct rte_tel_data *d)
{
	uint64_t h[8][WGJIT_TEL_HIST_BUCKETS];
	const struct wgjit_tel_hists *hs = &source.hists;
	char key[64];
	int ret;

	if (params != NULL && params[0] != '\0')
		return -EINVAL;
	if (hs->nb > RTE_DIM(h))
		return -E2BIG;
	memset(h, 0, sizeof(h));
	if (hs->nb > 0)
		hs->read(hs->arg, h);
	ret = rte_tel_data_start_dict(d);
	for (unsigned int i = 0; i < hs->nb && ret == 0; i++) {
		snprintf(key, sizeof(key), "%s_p50_us", hs->names[i]);
		ret = dict_u64(d, key, hist_quantile(h[i], .5));
		snprintf(key, sizeof(key), "%s_p99_us", hs->names[i]);
		if (ret == 0)
			ret = dict_u64(d, key, hist_quantile(h[i], .99));
		snprintf(key, sizeof(key), "%s_us_log2", hs->names[i]);
		if (ret == 0)
			ret = add_hist(d, key, h[i]);
	}
	return ret;
}

/* The commands, for registration and for dispatch under the lock. */
static const struct {
	const char *name;
	telemetry_cb fn;
	const char *help;
} cmds[] = {
	{ "/wgjit/stats", handle_stats,
		"Totals of every wgjit worker and the control lcore. No parameters" },
	{ "/wgjit/lcores", handle_lcores,
		"Counters per wgjit worker. Parameter: a worker lcore id (optional)" },
	{ "/wgjit/config", handle_config,
		"The wgjit configuration in use. No parameters" },
	{ "/wgjit/peers", handle_peers,
		"Peers wgjit installed (64 per call). Parameter: first index (optional)" },
	{ "/wgjit/latency", handle_latency,
		"Latency from the first initiation, by stage, log2 us histograms. No parameters" },
};

/*
 * Every command runs under a read lock: telemetry has one thread per
 * client, alive until rte_eal_cleanup(), and wgjit_tel_close() must be
 * able to stop them all before the app frees what they read.
 */
static int
handle_any(const char *cmd, const char *params, struct rte_tel_data *d)
{
	int ret = -EBUSY;

	pthread_rwlock_rdlock(&lock);
	if (!closed)
		for (unsigned int i = 0; i < RTE_DIM(cmds); i++)
			if (strcmp(cmd, cmds[i].name) == 0)
				ret = cmds[i].fn(cmd, params, d);
	pthread_rwlock_unlock(&lock);
	return ret;
}

int
wgjit_tel_init(const struct wgjit_tel_source *src)
{
	int ret;

	if (registered)
		return -EALREADY;
	source = *src;
	for (unsigned int i = 0; i < RTE_DIM(cmds); i++) {
		ret = rte_telemetry_register_cmd(cmds[i].name, handle_any,
			cmds[i].help);
		if (ret < 0)
			return ret;
	}
	registered = true;
	return 0;
}

void
wgjit_tel_close(void)
{
	pthread_rwlock_wrlock(&lock);
	closed = true;
	pthread_rwlock_unlock(&lock);
}
