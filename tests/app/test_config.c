/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * Config parser: a full file is read exactly; each kind of bad input stops
 * the load with an exact message naming section.key and the value.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wgjit_config.h"
#include "wgjit_test.h"

static char path[64];

/* Write @p text as the config file. */
static int
write_file(const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -errno;
	fputs(text, f);
	fclose(f);
	return 0;
}

/* Load @p text; return the error code and leave the message in @p err. */
static int
load_text(const char *text, struct wgjit_config *cfg, char *err)
{
	if (write_file(text) < 0)
		return -EIO;
	err[0] = '\0';
	return wgjit_config_load(cfg, path, err, WGJIT_CONFIG_ERR_SIZE);
}

static int
test_defaults(void)
{
	struct wgjit_config cfg;
	char err[WGJIT_CONFIG_ERR_SIZE];

	TEST_ASSERT_EQUAL(load_text("# nothing\n", &cfg, err), 0, "%s", err);
	TEST_ASSERT(strcmp(cfg.wireguard.interface, "wg0") == 0, "%s",
		cfg.wireguard.interface);
	TEST_ASSERT_EQUAL(cfg.wireguard.backend, WGJIT_WG_KERNEL,
		"backend");
	TEST_ASSERT_EQUAL(cfg.wireguard.listen_port, 0, "listen_port");
	TEST_ASSERT(strcmp(cfg.tap.name, "wgjit0") == 0, "%s", cfg.tap.name);
	TEST_ASSERT_EQUAL(cfg.tap.port, WGJIT_CONFIG_PORT_NONE, "tap.port");
	TEST_ASSERT_EQUAL(cfg.ratelimit.per_source_rate, 20, "rate");
	TEST_ASSERT_EQUAL(cfg.ratelimit.per_source_burst, 5, "burst");
	TEST_ASSERT_EQUAL(cfg.handshake.lcores.nb, 0, "no handshake lcores");
	TEST_ASSERT_EQUAL(cfg.handshake.budget_us, 100, "budget");
	TEST_ASSERT_EQUAL(cfg.handshake.queue_size, 4096, "queue");
	TEST_ASSERT_EQUAL(cfg.handshake.cookie_rate, 500000, "cookies");
	TEST_ASSERT_EQUAL(cfg.workers.idle_sleep_us, WGJIT_CONFIG_AUTO, "auto");
	TEST_ASSERT_EQUAL(wgjit_config_idle_sleep_us(&cfg), 0, "bump: busy poll");
	TEST_ASSERT_EQUAL(cfg.uplink.mode, WGJIT_CONFIG_UPLINK_BUMP, "bump");
	TEST_ASSERT_EQUAL(cfg.bringup.mode, WGJIT_CTL_BRINGUP_INITIATE,
		"mode");
	TEST_ASSERT_EQUAL(cfg.evict.idle_timeout, 180, "idle_timeout");
	TEST_ASSERT(cfg.telemetry.enabled, "telemetry on by default");
	return TEST_SUCCESS;
}

static const char full_file[] =
	"# every key, none at its default\n"
	"[wireguard]\n"
	"interface = wgx7\n"
	"backend = uapi\n"
	"listen_port = 51821\n"
	"private_key_file = /etc/wgjit/private.key\n"
	"[uplink]\n"
	"port = 3\n"
	"[tap]\n"
	"name = gw-tap\n"
	"port = 1\n"
	"[control_plane]\n"
	"url = https://cp.example/api/v1\n"
	"token_file = /etc/wgjit/token\n"
	"ca_file = /etc/wgjit/ca.pem\n"
	"timeout_ms = 1500\n"
	"max_inflight = 8\n"
	"max_per_second = 50\n"
	"max_queued = 77\n"
	"new_key_share = 20\n"
	"min_refetch = 1\n"
	"allow_http = true\n"
	"proxy = http://proxy.example:3128\n"
	"[cache]\n"
	"path = /tmp/c.sqlite\n"
	"positive_ttl = 600\n"
	"negative_ttl = 60\n"
	"retention = 7200\n"
	"replay_retention = 3600\n"
	"replay_max = 1000\n"
	"[policy]\n"
	"allowed_ips = 10.0.0.0/8, fd00::/8\n"
	"max_allowed_ips = 4\n"
	"max_timestamp_age = 300\n"
	"[ratelimit]\n"
	"per_source_rate = 7\n"
	"per_source_burst = 3\n"
	"[handshake]\n"
	"lcores = 3, 5,4\n"
	"budget_us = 40\n"
	"queue_size = 512\n"
	"cookie_rate = 999\n"
	"[workers]\n"
	"idle_sleep_us = 50\n"
	"[bringup]\n"
	"mode = reinject\n"
	"abandon_ms = 9000\n"
	"[control]\n"
	"max_pending = 100\n"
	"max_watch = 200\n"
	"install_batch = 64\n"
	"ring_size = 2048\n"
	"held_frames = 999\n"
	"[evict]\n"
	"idle_timeout = 90\n"
	"grace = 0\n"
	"interval = 2\n"
	"batch = 16\n"
	"[telemetry]\n"
	"enabled = false\n";

static int
test_full(void)
{
	struct wgjit_config cfg;
	char err[WGJIT_CONFIG_ERR_SIZE];

	TEST_ASSERT_EQUAL(load_text(full_file, &cfg, err), 0, "%s", err);
	TEST_ASSERT(strcmp(cfg.wireguard.interface, "wgx7") == 0, "iface");
	TEST_ASSERT_EQUAL(cfg.wireguard.backend, WGJIT_WG_UAPI,
		"backend");
	TEST_ASSERT_EQUAL(cfg.wireguard.listen_port, 51821, "port");
	TEST_ASSERT(strcmp(cfg.wireguard.private_key_file,
		"/etc/wgjit/private.key") == 0, "key file");
	TEST_ASSERT_EQUAL(cfg.uplink.port, 3, "uplink");
	TEST_ASSERT(strcmp(cfg.tap.name, "gw-tap") == 0, "tap");
	TEST_ASSERT_EQUAL(cfg.tap.port, 1, "tap.port");
	TEST_ASSERT(strcmp(cfg.control_plane.url,
		"https://cp.example/api/v1") == 0, "url");
	TEST_ASSERT(strcmp(cfg.control_plane.token_file,
		"/etc/wgjit/token") == 0, "token");
	TEST_ASSERT(strcmp(cfg.control_plane.ca_file,
		"/etc/wgjit/ca.pem") == 0, "ca");
	TEST_ASSERT_EQUAL(cfg.control_plane.timeout_ms, 1500, "timeout");
	TEST_ASSERT_EQUAL(cfg.control_plane.max_inflight, 8, "inflight");
	TEST_ASSERT_EQUAL(cfg.control_plane.max_per_second, 50, "mps");
	TEST_ASSERT(strcmp(cfg.cache.path, "/tmp/c.sqlite") == 0, "path");
	TEST_ASSERT_EQUAL(cfg.cache.positive_ttl, 600, "pttl");
	TEST_ASSERT_EQUAL(cfg.cache.negative_ttl, 60, "nttl");
	TEST_ASSERT_EQUAL(cfg.control_plane.max_queued, 77, "queued");
	TEST_ASSERT_EQUAL(cfg.control_plane.new_key_share, 20, "share");
	TEST_ASSERT_EQUAL(cfg.control_plane.min_refetch, 1, "refetch");
	TEST_ASSERT(cfg.control_plane.allow_http, "allow_http");
	TEST_ASSERT(strcmp(cfg.control_plane.proxy,
		"http://proxy.example:3128") == 0, "proxy");
	TEST_ASSERT_EQUAL(cfg.cache.retention, 7200, "retention");
	TEST_ASSERT_EQUAL(cfg.cache.replay_retention, 3600, "floors kept");
	TEST_ASSERT_EQUAL(cfg.cache.replay_max, 1000, "floors at most");
	TEST_ASSERT(strcmp(cfg.policy.allowed_ips, "10.0.0.0/8, fd00::/8") == 0,
		"policy");
	TEST_ASSERT_EQUAL(cfg.policy.max_allowed_ips, 4, "max ips");
	TEST_ASSERT_EQUAL(cfg.policy.max_timestamp_age, 300, "age");
	TEST_ASSERT_EQUAL(cfg.bringup.abandon_ms, 9000, "abandon");
	TEST_ASSERT_EQUAL(cfg.control.max_pending, 100, "pending");
	TEST_ASSERT_EQUAL(cfg.control.max_watch, 200, "watch");
	TEST_ASSERT_EQUAL(cfg.control.install_batch, 64, "batch");
	TEST_ASSERT_EQUAL(cfg.control.ring_size, 2048, "ring");
	TEST_ASSERT_EQUAL(cfg.control.held_frames, 999, "held");
	TEST_ASSERT_EQUAL(cfg.ratelimit.per_source_rate, 7, "rate");
	TEST_ASSERT_EQUAL(cfg.ratelimit.per_source_burst, 3, "burst");
	TEST_ASSERT_EQUAL(cfg.handshake.lcores.nb, 3, "lcores");
	TEST_ASSERT(cfg.handshake.lcores.id[0] == 3 &&
		cfg.handshake.lcores.id[1] == 5 &&
		cfg.handshake.lcores.id[2] == 4, "lcore ids in order");
	TEST_ASSERT_EQUAL(cfg.handshake.budget_us, 40, "budget");
	TEST_ASSERT_EQUAL(cfg.handshake.queue_size, 512, "queue");
	TEST_ASSERT_EQUAL(cfg.handshake.cookie_rate, 999, "cookies");
	TEST_ASSERT_EQUAL(cfg.workers.idle_sleep_us, 50, "sleep");
	TEST_ASSERT_EQUAL(cfg.bringup.mode, WGJIT_CTL_BRINGUP_REINJECT,
		"mode");
	TEST_ASSERT_EQUAL(cfg.evict.idle_timeout, 90, "idle");
	TEST_ASSERT_EQUAL(cfg.evict.grace, 0, "grace");
	TEST_ASSERT_EQUAL(cfg.evict.interval, 2, "interval");
	TEST_ASSERT_EQUAL(cfg.evict.batch, 16, "batch");
	TEST_ASSERT(!cfg.telemetry.enabled, "telemetry off");
	return TEST_SUCCESS;
}

/* Lines in the style of config/wgjit.conf: comments, blanks, spacing. */
/* Steer mode, and the idle sleep it implies. */
static int
test_steer(void)
{
	struct wgjit_config cfg;
	char err[WGJIT_CONFIG_ERR_SIZE];

	TEST_ASSERT_EQUAL(load_text("[uplink]\nmode = steer\ninterface = ens1f0\n"
		"start_queue = 2\nxdp_prog = /opt/steer.o\n", &cfg, err), 0,
		"%s", err);
	TEST_ASSERT_EQUAL(cfg.uplink.mode, WGJIT_CONFIG_UPLINK_STEER, "steer");
	TEST_ASSERT(strcmp(cfg.uplink.interface, "ens1f0") == 0, "iface");
	TEST_ASSERT_EQUAL(cfg.uplink.start_queue, 2, "queue");
	TEST_ASSERT(strcmp(cfg.uplink.xdp_prog, "/opt/steer.o") == 0, "prog");
	TEST_ASSERT_EQUAL(wgjit_config_idle_sleep_us(&cfg), 100,
		"steer sleeps when idle");
	TEST_ASSERT_EQUAL(load_text("[uplink]\nmode = steer\ninterface = e\n"
		"[workers]\nidle_sleep_us = 0\n", &cfg, err), 0, "%s", err);
	TEST_ASSERT_EQUAL(wgjit_config_idle_sleep_us(&cfg), 0, "set: as set");
	return TEST_SUCCESS;
}

static int
test_comments_and_empty(void)
{
	struct wgjit_config cfg;
	char err[WGJIT_CONFIG_ERR_SIZE];

	TEST_ASSERT_EQUAL(load_text("\n# c\n[wireguard]\n  listen_port=9 "
		"# trailing\n\n[control_plane]\nca_file =\n", &cfg, err), 0,
		"%s", err);
	TEST_ASSERT_EQUAL(cfg.wireguard.listen_port, 9, "port");
	TEST_ASSERT_EQUAL(cfg.control_plane.ca_file[0], '\0', "empty");
	return TEST_SUCCESS;
}

#define TEN "abcdefghij"
#define LONG_255 TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN \
	TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN "abcde"

struct bad_case {
	const char *text;
	/* After "config <path>: " (or "<path>:"); %u = largest port id. */
	const char *msg;
};

static const struct bad_case bad_cases[] = {
	{ "[wireguard]\nlisten_port = 65536\n",
	  "wireguard.listen_port = \"65536\": expected an integer in 0..65535" },
	{ "[wireguard]\nlisten_port = -1\n",
	  "wireguard.listen_port = \"-1\": expected an integer in 0..65535" },
	{ "[wireguard]\nlisten_port = 0x10\n",
	  "wireguard.listen_port = \"0x10\": expected an integer in 0..65535" },
	{ "[wireguard]\nlisten_port =\n",
	  "wireguard.listen_port = \"\": expected an integer in 0..65535" },
	{ "[wireguard]\nbackend = wg\n",
	  "wireguard.backend = \"wg\": expected kernel or uapi" },
	{ "[wireguard]\ninterface = a-very-long-ifname\n",
	  "wireguard.interface = \"a-very-long-ifname\": expected an interface name of 1 to 15 characters without blanks or /:,=" },
	{ "[tap]\nname = a/b\n",
	  "tap.name = \"a/b\": expected an interface name of 1 to 15 characters without blanks or /:,=" },
	{ "[tap]\nport = 99999\n",
	  "tap.port = \"99999\": expected nothing or an integer in 0..%u" },
	{ "[tap]\nport = x\n",
	  "tap.port = \"x\": expected nothing or an integer in 0..%u" },
	{ "[uplink]\nport = 2\n[tap]\nport = 2\n",
	  "tap.port = 2 is also uplink.port" },
	{ "[uplink]\nport = 99999\n",
	  "uplink.port = \"99999\": expected an integer in 0..%u" },
	{ "[control_plane]\nurl = ftp://x\n",
	  "control_plane.url = \"ftp://x\": expected an http:// or https:// URL" },
	{ "[control_plane]\ntimeout_ms = 5\n",
	  "control_plane.timeout_ms = \"5\": expected an integer in 10..600000" },
	{ "[control_plane]\nmax_inflight = 0\n",
	  "control_plane.max_inflight = \"0\": expected an integer in 1..4096" },
	{ "[cache]\npath =\n",
	  "cache.path = \"\": expected a path" },
	{ "[cache]\npositive_ttl = 99999999999999999999999\n",
	  "cache.positive_ttl = \"99999999999999999999999\": expected an integer in 1..31536000" },
	{ "[ratelimit]\nper_source_rate = 0\n",
	  "ratelimit.per_source_rate = \"0\": expected an integer in 1..1000000" },
	{ "[ratelimit]\ncrypto_budget = 5\n",
	  "unknown key ratelimit.crypto_budget" },
	{ "[handshake]\nlcores = 1,1\n",
	  "handshake.lcores = \"1,1\": expected nothing or distinct lcore ids 0..127 separated by commas" },
	{ "[handshake]\nlcores = 1,x\n",
	  "handshake.lcores = \"1,x\": expected nothing or distinct lcore ids 0..127 separated by commas" },
	{ "[handshake]\nlcores = 1,,2\n",
	  "handshake.lcores = \"1,,2\": expected nothing or distinct lcore ids 0..127 separated by commas" },
	{ "[handshake]\nqueue_size = 8\n",
	  "handshake.queue_size = \"8\": expected an integer in 64..1048576" },
	{ "[bringup]\nmode = later\n",
	  "bringup.mode = \"later\": expected initiate, reinject or none" },
	{ "[evict]\nbatch = 1.5\n",
	  "evict.batch = \"1.5\": expected an integer in 1..65536" },
	{ "[telemetry]\nenabled = maybe\n",
	  "telemetry.enabled = \"maybe\": expected true, false, yes, no, 1 or 0" },
	{ "[wireguard]\nlisten_prot = 1\n",
	  "unknown key wireguard.listen_prot" },
	{ "[wirguard]\nlisten_port = 1\n",
	  "unknown section [wirguard]" },
	{ "[evict]\nbatch = 2\nbatch = 3\n",
	  "evict.batch is set twice" },
	{ "[tap]\nname = a\n[cache]\n[tap]\n",
	  "section [tap] appears twice" },
	{ "[tap]\nname = x\n\n  name  # no value\n",
	  "4: \"name\": expected key = value" },
	{ "# top\nlisten_port = 1\n[wireguard]\n",
	  "2: \"listen_port = 1\": key before any [section]" },
	{ "[wireguard\n",
	  "1: \"[wireguard\": expected [section]" },
	{ "[policy]\nallowed_ips = 10.0.0.0/8, 10.1.2.3/8\n",
	  "policy.allowed_ips = \"10.0.0.0/8, 10.1.2.3/8\": \"10.1.2.3/8\" is not a prefix (host bits must be clear)" },
	{ "[policy]\nmax_allowed_ips = 33\n",
	  "policy.max_allowed_ips = \"33\": expected an integer in 1..32" },
	{ "[cache]\nmin_refetch = 5\n",
	  "unknown key cache.min_refetch" },
	{ "[uplink]\nmode = xdp\n",
	  "uplink.mode = \"xdp\": expected bump or steer" },
	{ "[uplink]\nmode = steer\n",
	  "uplink.mode = steer needs uplink.interface (the kernel interface wgjit's XDP program attaches to)" },
	{ "[uplink]\ninterface = eth0\n",
	  "uplink.interface = eth0 needs uplink.mode = steer (in bump mode the uplink is uplink.port)" },
	{ "[uplink]\nmode = steer\ninterface = eth0\n[tap]\nport = 1\n",
	  "uplink.mode = steer re-injects through the TAP: tap.port must be unset" },
	{ "[workers]\nidle_sleep_us = x\n",
	  "workers.idle_sleep_us = \"x\": expected nothing or an integer in 0..1000000" },
	/* rte_cfgfile would cut this path at 255 characters. */
	{ "[cache]\npath = /" LONG_255 "\n",
	  "2: path: value of 256 characters, longer than the 255 kept" },
};

static int
test_bad_values(void)
{
	char err[WGJIT_CONFIG_ERR_SIZE], want[WGJIT_CONFIG_ERR_SIZE + 64];
	char msg[256];
	struct wgjit_config cfg;

	for (unsigned int i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]);
			i++) {
		int ret = load_text(bad_cases[i].text, &cfg, err);

		snprintf(msg, sizeof(msg), bad_cases[i].msg,
			RTE_MAX_ETHPORTS - 1);
		snprintf(want, sizeof(want), "config %s:%s%s", path,
			msg[0] >= '0' && msg[0] <= '9' ? "" : " ", msg);
		TEST_ASSERT_EQUAL(ret, -EINVAL, "case %u", i);
		TEST_ASSERT(strcmp(err, want) == 0,
			"case %u:\n   got  %s\n   want %s", i, err, want);
		/* A failed load leaves the defaults. */
		TEST_ASSERT_EQUAL(cfg.evict.batch, 1024, "case %u defaults", i);
	}
	return TEST_SUCCESS;
}

static int
test_missing_file(void)
{
	char err[WGJIT_CONFIG_ERR_SIZE];
	struct wgjit_config cfg;

	TEST_ASSERT_EQUAL(wgjit_config_load(&cfg, "/nonexistent/wgjit.conf",
		err, sizeof(err)), -ENOENT, "missing file");
	TEST_ASSERT(strcmp(err, "config /nonexistent/wgjit.conf: "
		"No such file or directory") == 0, "%s", err);
	return TEST_SUCCESS;
}

/* The shipped example must load and hold exactly the defaults. */
static int
test_shipped_file(void)
{
	const char *shipped = getenv("WGJIT_CONF");
	struct wgjit_config cfg, def;
	char err[WGJIT_CONFIG_ERR_SIZE];

	if (shipped == NULL) {
		printf("  WGJIT_CONF not set\n");
		return TEST_FAILED;
	}
	TEST_ASSERT_EQUAL(wgjit_config_load(&cfg, shipped, err, sizeof(err)),
		0, "%s", err);
	wgjit_config_defaults(&def);
	TEST_ASSERT(memcmp(&cfg, &def, sizeof(cfg)) == 0,
		"config/wgjit.conf differs from the defaults");
	return TEST_SUCCESS;
}

struct walk {
	unsigned int n;
	char buf[2048];
	size_t len;
};

static int
collect(void *arg, const char *section, const char *key, const char *value,
		bool is_number, uint64_t number)
{
	struct walk *w = arg;

	(void)is_number;
	(void)number;
	w->n++;
	w->len += snprintf(w->buf + w->len, sizeof(w->buf) - w->len,
		"%s.%s=%s;", section, key, value);
	return 0;
}

static int
test_foreach(void)
{
	struct wgjit_config cfg;
	struct walk w = { 0 };

	wgjit_config_defaults(&cfg);
	TEST_ASSERT_EQUAL(wgjit_config_foreach(&cfg, collect, &w), 0, "walk");
	TEST_ASSERT_EQUAL(w.n, 51, "every key once");
	TEST_ASSERT(strncmp(w.buf, "wireguard.interface=wg0;"
		"wireguard.backend=kernel;wireguard.listen_port=0;", 72) == 0,
		"%s", w.buf);
	TEST_ASSERT(strstr(w.buf, ";telemetry.enabled=true;") != NULL, "%s",
		w.buf);
	TEST_ASSERT(strstr(w.buf, ";tap.name=wgjit0;tap.port=;") != NULL,
		"unset tap.port is empty: %s", w.buf);
	w.n = 0;
	w.len = 0;
	cfg.tap.port = 7;
	TEST_ASSERT_EQUAL(wgjit_config_foreach(&cfg, collect, &w), 0, "walk");
	TEST_ASSERT(strstr(w.buf, ";tap.port=7;") != NULL, "%s", w.buf);
	return TEST_SUCCESS;
}

static const struct wgjit_test_case cases[] = {
	TEST_CASE(test_defaults),
	TEST_CASE(test_full),
	TEST_CASE(test_steer),
	TEST_CASE(test_comments_and_empty),
	TEST_CASE(test_bad_values),
	TEST_CASE(test_missing_file),
	TEST_CASE(test_shipped_file),
	TEST_CASE(test_foreach),
	TEST_CASES_END(),
};

int
main(void)
{
	int fd, ret;

	snprintf(path, sizeof(path), "/tmp/wgjit-test-config-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0) {
		perror("mkstemp");
		return 1;
	}
	close(fd);
	ret = wgjit_test_run("config", cases);
	unlink(path);
	return ret;
}
