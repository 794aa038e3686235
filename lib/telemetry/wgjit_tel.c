/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_telemetry.h>
#include <rte_version.h>

#include "wgjit_tel.h"

static struct wgjit_tel_source source;
static bool registered;

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

static int add_ctl_stats(struct rte_tel_data *d,
		const struct wgjit_tel_ctl_counters *c);

static int
handle_stats(const char *cmd __rte_unused, const char *params,
		struct rte_tel_data *d)
{
	struct wgjit_tel_ctl_counters ctl;
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
	memset(&ctl, 0, sizeof(ctl));
	if (source.ctl_counters != NULL)
		source.ctl_counters(source.ctl_arg, &ctl);
	ret = rte_tel_data_start_dict(d);
	if (ret == 0)
		ret = add_lcore_stats(d, &sum);
	if (ret == 0)
		ret = add_ctl_stats(d, &ctl);
	return ret;
}

/* The control counters, and the worker count, after the worker totals. */
static int
add_ctl_stats(struct rte_tel_data *d, const struct wgjit_tel_ctl_counters *c)
{
	const struct {
		const char *name;
		uint64_t value;
	} extra[] = {
		{ "workers", source.nb_workers },
		{ "ctl_initiations", c->ctl_initiations },
		{ "cache_hits", c->cache_hits },
		{ "api_requests", c->api_requests },
		{ "api_errors", c->api_errors },
		{ "installs", c->installs },
		{ "install_failures", c->install_failures },
		{ "evictions", c->evictions },
		{ "peers_installed", c->peers_installed },
	};
	int ret = 0;

	for (unsigned int i = 0; i < RTE_DIM(extra) && ret == 0; i++)
		ret = dict_u64(d, extra[i].name, extra[i].value);
	return ret;
}

/* Strict decimal lcore id; -1 when @p s is not one. */
static long
parse_lcore(const char *s)
{
	char *end;
	long v;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v >= RTE_MAX_LCORE)
		return -1;
	return v;
}

static int
handle_lcores(const char *cmd __rte_unused, const char *params,
		struct rte_tel_data *d)
{
	struct wgjit_lcore_stats st;
	char name[16];
	long lcore = -1;
	int ret;

	if (params != NULL && params[0] != '\0') {
		lcore = parse_lcore(params);
		if (lcore < 0)
			return -EINVAL;
		for (unsigned int w = 0; w < source.nb_workers; w++) {
			if (source.worker_lcore[w] != (unsigned long)lcore)
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

int
wgjit_tel_init(const struct wgjit_tel_source *src)
{
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
	};
	int ret;

	if (registered)
		return -EALREADY;
	source = *src;
	for (unsigned int i = 0; i < RTE_DIM(cmds); i++) {
		ret = rte_telemetry_register_cmd(cmds[i].name, cmds[i].fn,
			cmds[i].help);
		if (ret < 0)
			return ret;
	}
	registered = true;
	return 0;
}
