/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cfgfile.h>
#include <rte_common.h>
#include <rte_debug.h>

#include "wgjit_config.h"
#include "wgjit_defaults.h"
#include "wgjit_err.h"
#include "wgjit_parse.h"
#include "wgjit_policy.h"

/* How a value is parsed, checked and stored. */
enum key_type {
	KEY_U16,
	KEY_U32,
	KEY_STR,	/* path; may be empty */
	KEY_PATH,	/* path; must not be empty */
	KEY_URL,	/* "" or http(s)://... */
	KEY_IFNAME,
	KEY_BOOL,
	KEY_ENUM,	/* one of a table of names, stored as an enum */
	KEY_LCORES,	/* "" or a comma-separated list of lcore ids */
	KEY_PORT_OPT,	/* "" = WGJIT_CONFIG_PORT_NONE, else a port id */
	KEY_PREFIXES,	/* "" or prefixes, as [policy] allowed_ips */
	KEY_U32_AUTO,	/* "" = WGJIT_CONFIG_AUTO, else an integer */
	KEY_IFNAME_OPT,	/* "" or an interface name */
};

/* The names of an enum, indexed by value (NULL: no such value). */
struct enum_names {
	const char *const *names;
	unsigned int nb_names;
	const char *expected;	/* "expected a or b" */
};

struct key_desc {
	const char *section;
	const char *key;
	enum key_type type;
	size_t offset;
	size_t size;	/* of the field */
	uint64_t min;
	uint64_t max;
	const struct enum_names *names;	/* KEY_ENUM */
	const char *defval;	/* the default, as written in the file */
};

#define STR_(x) #x
#define STR(x) STR_(x)
#define KEY(sec, name, t, lo, hi, def) { #sec, #name, t, \
	offsetof(struct wgjit_config, sec.name), \
	sizeof(((struct wgjit_config *)NULL)->sec.name), lo, hi, NULL, def }
#define KEY_NAMED(sec, name, table, def) { #sec, #name, KEY_ENUM, \
	offsetof(struct wgjit_config, sec.name), \
	sizeof(((struct wgjit_config *)NULL)->sec.name), 0, 0, &table, def }

static const char *const backend_list[] = {
	[WGJIT_WG_KERNEL] = "kernel",
	[WGJIT_WG_UAPI] = "uapi",
};
static const struct enum_names backend_names = {
	backend_list, RTE_DIM(backend_list), "expected kernel or uapi",
};

static const char *const uplink_mode_list[] = {
	[WGJIT_CONFIG_UPLINK_BUMP] = "bump",
	[WGJIT_CONFIG_UPLINK_STEER] = "steer",
};
static const struct enum_names uplink_mode_names = {
	uplink_mode_list, RTE_DIM(uplink_mode_list), "expected bump or steer",
};

static const char *const bringup_list[] = {
	[WGJIT_CTL_BRINGUP_NONE] = "none",
	[WGJIT_CTL_BRINGUP_INITIATE] = "initiate",
	[WGJIT_CTL_BRINGUP_REINJECT] = "reinject",
};
static const struct enum_names bringup_names = {
	bringup_list, RTE_DIM(bringup_list),
	"expected initiate, reinject or none",
};

/* The order here is the order of config/wgjit.conf and /wgjit/config. */
static const struct key_desc keys[] = {
	KEY(wireguard, interface, KEY_IFNAME, 0, 0, WGJIT_DEFAULT_INTERFACE),
	KEY_NAMED(wireguard, backend, backend_names, "kernel"),
	KEY(wireguard, listen_port, KEY_U16, 0, UINT16_MAX, "0"),
	KEY(wireguard, private_key_file, KEY_STR, 0, 0, ""),
	KEY_NAMED(uplink, mode, uplink_mode_names, "bump"),
	KEY(uplink, port, KEY_U16, 0, RTE_MAX_ETHPORTS - 1, "0"),
	KEY(uplink, interface, KEY_IFNAME_OPT, 0, 0, ""),
	KEY(uplink, start_queue, KEY_U16, 0, 63, "0"),
	KEY(uplink, xdp_prog, KEY_STR, 0, 0, ""),
	KEY(tap, name, KEY_IFNAME, 0, 0, WGJIT_DEFAULT_TAP_NAME),
	KEY(tap, port, KEY_PORT_OPT, 0, RTE_MAX_ETHPORTS - 1, ""),
	KEY(control_plane, url, KEY_URL, 0, 0, ""),
	KEY(control_plane, token_file, KEY_STR, 0, 0, ""),
	KEY(control_plane, ca_file, KEY_STR, 0, 0, ""),
	KEY(control_plane, timeout_ms, KEY_U32, 10, 600000,
		STR(WGJIT_DEFAULT_CP_TIMEOUT_MS)),
	KEY(control_plane, max_inflight, KEY_U32, 1, 4096,
		STR(WGJIT_DEFAULT_CP_MAX_INFLIGHT)),
	KEY(control_plane, max_per_second, KEY_U32, 1, 1000000,
		STR(WGJIT_DEFAULT_CP_MAX_PER_SECOND)),
	KEY(control_plane, max_queued, KEY_U32, 1, 65536,
		STR(WGJIT_DEFAULT_CP_MAX_QUEUED)),
	KEY(control_plane, new_key_share, KEY_U32, 1, 100,
		STR(WGJIT_DEFAULT_CP_NEW_KEY_SHARE)),
	KEY(control_plane, min_refetch, KEY_U32, 1, 86400,
		STR(WGJIT_DEFAULT_CP_MIN_REFETCH_S)),
	KEY(control_plane, allow_http, KEY_BOOL, 0, 0, "false"),
	KEY(control_plane, proxy, KEY_STR, 0, 0, ""),
	KEY(cache, path, KEY_PATH, 0, 0, WGJIT_DEFAULT_CACHE_PATH),
	KEY(cache, positive_ttl, KEY_U32, 1, 31536000,
		STR(WGJIT_DEFAULT_CACHE_POSITIVE_TTL_S)),
	KEY(cache, negative_ttl, KEY_U32, 1, 31536000,
		STR(WGJIT_DEFAULT_CACHE_NEGATIVE_TTL_S)),
	KEY(cache, retention, KEY_U32, 1, 31536000,
		STR(WGJIT_DEFAULT_CACHE_RETENTION_S)),
	KEY(cache, replay_retention, KEY_U32, 60, 315360000,
		STR(WGJIT_DEFAULT_CACHE_REPLAY_RETENTION_S)),
	KEY(cache, replay_max, KEY_U32, 1, 100000000,
		STR(WGJIT_DEFAULT_CACHE_REPLAY_MAX)),
	KEY(policy, allowed_ips, KEY_PREFIXES, 0, 0, ""),
	KEY(policy, max_allowed_ips, KEY_U32, 1, WGJIT_PEER_MAX_ALLOWED_IPS,
		STR(WGJIT_DEFAULT_POLICY_MAX_ALLOWED_IPS)),
	KEY(policy, max_timestamp_age, KEY_U32, 0, 31536000,
		STR(WGJIT_DEFAULT_POLICY_MAX_TIMESTAMP_AGE_S)),
	KEY(ratelimit, per_source_rate, KEY_U32, 1, 1000000,
		STR(WGJIT_DEFAULT_PER_SOURCE_RATE)),
	KEY(ratelimit, per_source_burst, KEY_U32, 1, 1000000,
		STR(WGJIT_DEFAULT_PER_SOURCE_BURST)),
	KEY(handshake, lcores, KEY_LCORES, 0, RTE_MAX_LCORE - 1, ""),
	KEY(handshake, budget_us, KEY_U32, 1, 1000000,
		STR(WGJIT_DEFAULT_HS_BUDGET_US)),
	KEY(handshake, share, KEY_U32, 1, 100, STR(WGJIT_DEFAULT_HS_SHARE)),
	KEY(handshake, queue_size, KEY_U32, 64, 1048576,
		STR(WGJIT_DEFAULT_HS_QUEUE_SIZE)),
	KEY(handshake, cookie_rate, KEY_U32, 1, 10000000,
		STR(WGJIT_DEFAULT_COOKIE_RATE)),
	KEY(workers, idle_sleep_us, KEY_U32_AUTO, 0, 1000000, ""),
	KEY_NAMED(bringup, mode, bringup_names, "initiate"),
	KEY(bringup, abandon_ms, KEY_U32, 100, 600000,
		STR(WGJIT_DEFAULT_BRINGUP_ABANDON_MS)),
	KEY(control, max_pending, KEY_U32, 1, 1048576,
		STR(WGJIT_DEFAULT_MAX_PENDING)),
	KEY(control, max_watch, KEY_U32, 1, 1048576,
		STR(WGJIT_DEFAULT_MAX_WATCH)),
	KEY(control, install_batch, KEY_U32, 1, 4096,
		STR(WGJIT_DEFAULT_INSTALL_BATCH)),
	KEY(control, ring_size, KEY_U32, 64, 1048576,
		STR(WGJIT_DEFAULT_CTL_RING)),
	KEY(control, held_frames, KEY_U32, 64, 1048576,
		STR(WGJIT_DEFAULT_HELD_FRAMES)),
	KEY(evict, idle_timeout, KEY_U32, 1, 31536000,
		STR(WGJIT_DEFAULT_EVICT_IDLE_TIMEOUT_S)),
	KEY(evict, grace, KEY_U32, 0, 86400, STR(WGJIT_DEFAULT_EVICT_GRACE_S)),
	KEY(evict, interval, KEY_U32, 1, 86400,
		STR(WGJIT_DEFAULT_EVICT_INTERVAL_S)),
	KEY(evict, batch, KEY_U32, 1, 65536, STR(WGJIT_DEFAULT_EVICT_BATCH)),
	KEY(telemetry, enabled, KEY_BOOL, 0, 0, "true"),
};

#define NB_KEYS RTE_DIM(keys)

/* Enum fields are stored through an int. */
_Static_assert(sizeof(enum wgjit_wg_kind) == sizeof(int), "enum size");
_Static_assert(sizeof(enum wgjit_ctl_bringup) == sizeof(int), "enum size");

static const char *
enum_name(const struct enum_names *t, int v)
{
	return v >= 0 && (unsigned int)v < t->nb_names &&
		t->names[v] != NULL ? t->names[v] : "?";
}

const char *
wgjit_config_backend_name(enum wgjit_wg_kind b)
{
	return enum_name(&backend_names, (int)b);
}

const char *
wgjit_config_bringup_name(enum wgjit_ctl_bringup m)
{
	return enum_name(&bringup_names, (int)m);
}

static int set_value(struct wgjit_config *cfg, const struct key_desc *k,
		const char *value, char *what, size_t what_size);

/* Every key's default is written in the table, as in the file. */
void
wgjit_config_defaults(struct wgjit_config *cfg)
{
	char what[160];

	memset(cfg, 0, sizeof(*cfg));
	for (unsigned int i = 0; i < NB_KEYS; i++) {
		int ret = set_value(cfg, &keys[i], keys[i].defval, what,
			sizeof(what));

		RTE_VERIFY(ret == 0);	/* a bad default is a bug */
	}
}


static int
parse_name(const char *s, const char *const *names, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (names[i] != NULL && strcmp(s, names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

static bool
valid_ifname(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len >= WGJIT_CONFIG_IFNAME_SIZE ||
			strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (; *s != '\0'; s++)
		if (*s == '/' || *s == ':' || *s == ',' || *s == '=' ||
				*s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

/* "1,2,5": distinct ids up to @p max, blanks around each allowed. */
static int
parse_lcores(const char *value, uint64_t max, struct wgjit_config_lcores *l)
{
	char tok[16];
	unsigned int id;
	const char *p = value;

	l->nb = 0;
	if (value[0] == '\0')
		return 0;
	for (;;) {
		const char *end = strchr(p, ',');
		size_t n = end != NULL ? (size_t)(end - p) : strlen(p);

		while (n > 0 && *p == ' ') {
			p++;
			n--;
		}
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n == 0 || n >= sizeof(tok) || l->nb == WGJIT_CONFIG_MAX_LCORES)
			return -EINVAL;
		memcpy(tok, p, n);
		tok[n] = '\0';
		if (wgjit_parse_uint(tok, max, &id) < 0)
			return -EINVAL;
		for (unsigned int i = 0; i < l->nb; i++)
			if (l->id[i] == id)
				return -EINVAL;
		l->id[l->nb++] = (uint16_t)id;
		if (end == NULL)
			return 0;
		p = end + 1;
	}
}

/*
 * Parse one value into its field. On error write "expected ..." into
 * @p what and return -EINVAL.
 */
static int
set_value(struct wgjit_config *cfg, const struct key_desc *k,
		const char *value, char *what, size_t what_size)
{
	void *field = (uint8_t *)cfg + k->offset;
	uint64_t v;
	int ret;

	switch (k->type) {
	case KEY_PORT_OPT:
		if (value[0] == '\0') {
			*(uint16_t *)field = WGJIT_CONFIG_PORT_NONE;
			return 0;
		}
		/* fall through */
	case KEY_U32_AUTO:
		if (k->type == KEY_U32_AUTO && value[0] == '\0') {
			*(uint32_t *)field = WGJIT_CONFIG_AUTO;
			return 0;
		}
		/* fall through */
	case KEY_U16:
	case KEY_U32:
		if (wgjit_parse_u64(value, k->max, &v) < 0 || v < k->min) {
			snprintf(what, what_size,
				"expected %san integer in %" PRIu64 "..%" PRIu64,
				k->type == KEY_PORT_OPT || k->type == KEY_U32_AUTO ?
				"nothing or " : "", k->min, k->max);
			return -EINVAL;
		}
		if (k->type == KEY_PORT_OPT || k->type == KEY_U16)
			*(uint16_t *)field = (uint16_t)v;
		else
			*(uint32_t *)field = (uint32_t)v;
		return 0;
	case KEY_BOOL:
		if (strcmp(value, "true") == 0 || strcmp(value, "yes") == 0 ||
				strcmp(value, "1") == 0) {
			*(bool *)field = true;
		} else if (strcmp(value, "false") == 0 ||
				strcmp(value, "no") == 0 ||
				strcmp(value, "0") == 0) {
			*(bool *)field = false;
		} else {
			snprintf(what, what_size,
				"expected true, false, yes, no, 1 or 0");
			return -EINVAL;
		}
		return 0;
	case KEY_LCORES:
		if (parse_lcores(value, k->max, field) < 0) {
			snprintf(what, what_size,
				"expected nothing or distinct lcore ids 0..%" PRIu64
				" separated by commas", k->max);
			return -EINVAL;
		}
		return 0;
	case KEY_ENUM:
		ret = parse_name(value, k->names->names, k->names->nb_names);
		if (ret < 0) {
			snprintf(what, what_size, "%s", k->names->expected);
			return -EINVAL;
		}
		*(int *)field = ret;
		return 0;
	case KEY_IFNAME_OPT:
		if (value[0] == '\0')
			break;
		/* fall through */
	case KEY_IFNAME:
		if (!valid_ifname(value)) {
			snprintf(what, what_size,
				"expected an interface name of 1 to %d characters without blanks or /:,=",
				WGJIT_CONFIG_IFNAME_SIZE - 1);
			return -EINVAL;
		}
		break;
	case KEY_URL:
		if (value[0] != '\0' && strncmp(value, "http://", 7) != 0 &&
				strncmp(value, "https://", 8) != 0) {
			snprintf(what, what_size,
				"expected an http:// or https:// URL");
			return -EINVAL;
		}
		break;
	case KEY_PATH:
		if (value[0] == '\0') {
			snprintf(what, what_size, "expected a path");
			return -EINVAL;
		}
		break;
	case KEY_PREFIXES: {
		struct wgjit_policy pol;
		char why[128];

		if (wgjit_policy_init(&pol, value, WGJIT_PEER_MAX_ALLOWED_IPS,
				why, sizeof(why)) < 0) {
			snprintf(what, what_size, "%s", why);
			return -EINVAL;
		}
		break;
	}
	case KEY_STR:
		break;
	}
	if (strlen(value) >= k->size) {
		snprintf(what, what_size, "expected at most %zu characters",
			k->size - 1);
		return -EINVAL;
	}
	memcpy(field, value, strlen(value) + 1);
	return 0;
}

static bool
known_section(const char *name)
{
	for (unsigned int i = 0; i < NB_KEYS; i++)
		if (strcmp(keys[i].section, name) == 0)
			return true;
	return false;
}

/* The keys of one uplink mode need the others to agree. */
static int
check_uplink(const struct wgjit_config *cfg, const char *path, char *err,
		size_t err_size)
{
	if (cfg->uplink.mode == WGJIT_CONFIG_UPLINK_BUMP) {
		if (cfg->uplink.interface[0] != '\0')
			return wgjit_errf(err, err_size, -EINVAL, "config %s: "
				"uplink.interface = %s needs uplink.mode = steer "
				"(in bump mode the uplink is uplink.port)", path,
				cfg->uplink.interface);
		return 0;
	}
	if (cfg->uplink.interface[0] == '\0')
		return wgjit_errf(err, err_size, -EINVAL, "config %s: "
			"uplink.mode = steer needs uplink.interface (the kernel "
			"interface wgjit's XDP program attaches to)", path);
	if (cfg->tap.port != WGJIT_CONFIG_PORT_NONE)
		return wgjit_errf(err, err_size, -EINVAL, "config %s: "
			"uplink.mode = steer re-injects through the TAP: tap.port "
			"must be unset", path);
	return 0;
}

uint32_t
wgjit_config_idle_sleep_us(const struct wgjit_config *cfg)
{
	if (cfg->workers.idle_sleep_us != WGJIT_CONFIG_AUTO)
		return cfg->workers.idle_sleep_us;
	return cfg->uplink.mode == WGJIT_CONFIG_UPLINK_STEER ?
		WGJIT_DEFAULT_IDLE_SLEEP_STEER_US : 0;
}

/* Walk the parsed file; the caller resets @p cfg on failure. */
static int
apply_file(struct wgjit_config *cfg, struct rte_cfgfile *file,
		const char *path, char *err, size_t err_size)
{
	bool seen[NB_KEYS] = { false };
	struct rte_cfgfile_entry *entries = NULL;
	char sec[CFG_NAME_LEN], what[160];
	int nb_sections, ret = 0;

	nb_sections = rte_cfgfile_num_sections(file, "", 0);
	for (int s = 0; s < nb_sections && ret == 0; s++) {
		int n = rte_cfgfile_section_num_entries_by_index(file, sec, s);

		if (n < 0) {
			ret = wgjit_errf(err, err_size, -EINVAL,
				"config %s: cannot read section %d", path, s);
			break;
		}
		if (!known_section(sec)) {
			ret = wgjit_errf(err, err_size, -EINVAL,
				"config %s: unknown section [%s]", path, sec);
			break;
		}
		for (int p = 0; p < s && ret == 0; p++) {
			char prev[CFG_NAME_LEN];

			rte_cfgfile_section_num_entries_by_index(file, prev, p);
			if (strcmp(prev, sec) == 0)
				ret = wgjit_errf(err, err_size, -EINVAL,
					"config %s: section [%s] appears twice",
					path, sec);
		}
		if (ret != 0)
			break;
		free(entries);
		entries = calloc(n > 0 ? n : 1, sizeof(*entries));
		if (entries == NULL) {
			ret = wgjit_errf(err, err_size, -ENOMEM,
				"config %s: out of memory", path);
			break;
		}
		n = rte_cfgfile_section_entries_by_index(file, s, sec,
			entries, n);
		for (int e = 0; e < n && ret == 0; e++) {
			const struct rte_cfgfile_entry *en = &entries[e];
			unsigned int k;

			for (k = 0; k < NB_KEYS; k++)
				if (strcmp(keys[k].section, sec) == 0 &&
						strcmp(keys[k].key, en->name) == 0)
					break;
			if (k == NB_KEYS) {
				ret = wgjit_errf(err, err_size, -EINVAL,
					"config %s: unknown key %s.%s",
					path, sec, en->name);
			} else if (seen[k]) {
				ret = wgjit_errf(err, err_size, -EINVAL,
					"config %s: %s.%s is set twice",
					path, sec, en->name);
			} else if (set_value(cfg, &keys[k], en->value, what,
					sizeof(what)) < 0) {
				ret = wgjit_errf(err, err_size, -EINVAL,
					"config %s: %s.%s = \"%s\": %s",
					path, sec, en->name, en->value, what);
			}
			if (k < NB_KEYS)
				seen[k] = true;
		}
	}
	free(entries);
	if (ret == 0 && cfg->tap.port == cfg->uplink.port &&
			cfg->uplink.mode == WGJIT_CONFIG_UPLINK_BUMP)
		ret = wgjit_errf(err, err_size, -EINVAL,
			"config %s: tap.port = %u is also uplink.port",
			path, cfg->tap.port);
	if (ret == 0)
		ret = check_uplink(cfg, path, err, err_size);
	return ret;
}

/*
 * rte_cfgfile cuts a name or a value that does not fit its buffers and
 * says nothing: a cut path or prefix list would be taken as given.
 */
static int
check_lengths(const char *line, const char *path, unsigned int nr, char *err,
		size_t err_size)
{
	const char *eq = strchr(line, '='), *v = eq + 1;
	size_t name_len = (size_t)(eq - line), value_len;

	while (name_len > 0 && (line[name_len - 1] == ' ' ||
			line[name_len - 1] == '\t'))
		name_len--;
	while (*v == ' ' || *v == '\t')
		v++;
	value_len = strlen(v);
	if (name_len >= CFG_NAME_LEN)
		return wgjit_errf(err, err_size, -EINVAL, "config %s:%u: key "
			"\"%.*s\" is longer than %d characters", path, nr,
			(int)(name_len > 40 ? 40 : name_len), line,
			CFG_NAME_LEN - 1);
	if (value_len >= CFG_VALUE_LEN)
		return wgjit_errf(err, err_size, -EINVAL, "config %s:%u: %.*s: "
			"value of %zu characters, longer than the %d kept",
			path, nr, (int)name_len, line, value_len,
			CFG_VALUE_LEN - 1);
	return 0;
}

/*
 * rte_cfgfile skips a line without '=' and reports no line numbers: check
 * the shape of every line first.
 */
static int
check_lines(FILE *f, const char *path, char *err, size_t err_size)
{
	char line[CFG_NAME_LEN + CFG_VALUE_LEN + 16];
	bool in_section = false;
	unsigned int nr = 0;
	int ret;

	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = line, *end;

		nr++;
		if (strchr(line, '\n') == NULL && !feof(f))
			return wgjit_errf(err, err_size, -EINVAL,
				"config %s:%u: line too long", path, nr);
		end = strchr(p, '#');
		if (end != NULL)
			*end = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		end = p + strlen(p);
		while (end > p && (end[-1] == '\n' || end[-1] == '\r' ||
				end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (*p == '\0')
			continue;
		if (*p == '[') {
			if (end[-1] != ']')
				return wgjit_errf(err, err_size, -EINVAL,
					"config %s:%u: \"%s\": expected [section]",
					path, nr, p);
			in_section = true;
			continue;
		}
		if (strchr(p, '=') == NULL)
			return wgjit_errf(err, err_size, -EINVAL,
				"config %s:%u: \"%s\": expected key = value",
				path, nr, p);
		ret = check_lengths(p, path, nr, err, err_size);
		if (ret < 0)
			return ret;
		if (!in_section)
			return wgjit_errf(err, err_size, -EINVAL,
				"config %s:%u: \"%s\": key before any [section]",
				path, nr, p);
	}
	return 0;
}

int
wgjit_config_load(struct wgjit_config *cfg, const char *path,
		char *err, size_t err_size)
{
	const struct rte_cfgfile_parameters params = {
		.comment_character = '#',
	};
	struct rte_cfgfile *file;
	FILE *f;
	int ret;

	wgjit_config_defaults(cfg);
	if (path == NULL)
		return wgjit_errf(err, err_size, -EINVAL, "config: no file given");
	/* rte_cfgfile does not say why a file could not be opened. */
	f = fopen(path, "r");
	if (f == NULL) {
		ret = -errno;
		return wgjit_errf(err, err_size, ret, "config %s: %s", path,
			strerror(-ret));
	}
	ret = check_lines(f, path, err, err_size);
	fclose(f);
	if (ret < 0)
		return ret;
	file = rte_cfgfile_load_with_params(path, CFG_FLAG_EMPTY_VALUES,
		&params);
	if (file == NULL)
		return wgjit_errf(err, err_size, -EINVAL,
			"config %s: syntax error (expected [section] headers and key = value lines)",
			path);
	ret = apply_file(cfg, file, path, err, err_size);
	rte_cfgfile_close(file);
	if (ret < 0)
		wgjit_config_defaults(cfg);
	return ret;
}

int
wgjit_config_foreach(const struct wgjit_config *cfg,
		int (*fn)(void *arg, const char *section, const char *key,
			const char *value, bool is_number, uint64_t number),
		void *arg)
{
	for (unsigned int i = 0; i < NB_KEYS; i++) {
		const struct key_desc *k = &keys[i];
		const void *field = (const uint8_t *)cfg + k->offset;
		char buf[WGJIT_CONFIG_MAX_LCORES * 5 + 1];
		const char *value = buf;
		uint64_t number = 0;
		bool is_number = false;
		int ret;

		switch (k->type) {
		case KEY_LCORES: {
			const struct wgjit_config_lcores *l = field;
			size_t used = 0;

			buf[0] = '\0';
			for (unsigned int j = 0; j < l->nb; j++)
				used += (size_t)snprintf(buf + used,
					sizeof(buf) - used, "%s%u",
					j > 0 ? "," : "", l->id[j]);
			break;
		}
		case KEY_U16:
			number = *(const uint16_t *)field;
			is_number = true;
			break;
		case KEY_U32:
			number = *(const uint32_t *)field;
			is_number = true;
			break;
		case KEY_BOOL:
			value = *(const bool *)field ? "true" : "false";
			break;
		case KEY_ENUM:
			value = enum_name(k->names, *(const int *)field);
			break;
		case KEY_PORT_OPT:
			number = *(const uint16_t *)field;
			is_number = number != WGJIT_CONFIG_PORT_NONE;
			value = is_number ? buf : "";
			break;
		case KEY_U32_AUTO:
			number = *(const uint32_t *)field;
			is_number = number != WGJIT_CONFIG_AUTO;
			value = is_number ? buf : "";
			break;
		default:
			value = field;
			break;
		}
		if (is_number)
			snprintf(buf, sizeof(buf), "%" PRIu64, number);
		ret = fn(arg, k->section, k->key, value, is_number, number);
		if (ret != 0)
			return ret;
	}
	return 0;
}
