/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * wgjit_fetch against the real reference control plane
 * (devtools/wgjit-cp.py) on 127.0.0.1. Usage: test_fetch_cp PYTHON SCRIPT.
 * The server's request log goes to stderr.
 */

#include <errno.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "cp_harness.h"
#include "wgjit_fetch.h"
#include "wgjit_test.h"

/* Budget of one poll; WGJIT_TEST_MAX_POLL_MS raises it under valgrind. */
#define MAX_POLL_MS 50.0
#define MAX_DONE 64


struct done {
	int n;
	uint8_t key[MAX_DONE][WGJIT_KEY_LEN];
	enum wgjit_fetch_result r[MAX_DONE];
	struct wgjit_peer peer;		/* of the last OK */
	char reason[MAX_DONE][256];
};

static const char *python, *script;
static struct cp cp_open, cp_auth;
static double max_poll_ms = MAX_POLL_MS, slowest_poll_ms;


/* --- Driving the fetcher -------------------------------------------------- */

static void
on_done(void *arg, const uint8_t key[WGJIT_KEY_LEN], enum wgjit_fetch_result r,
		const struct wgjit_peer *cfg, const char *reason)
{
	struct done *d = arg;

	if (d->n >= MAX_DONE)
		return;
	memcpy(d->key[d->n], key, WGJIT_KEY_LEN);
	d->r[d->n] = r;
	snprintf(d->reason[d->n], sizeof(d->reason[0]), "%s",
			reason != NULL ? reason : "(null)");
	if (cfg != NULL)
		d->peer = *cfg;
	d->n++;
}

struct run_limits {
	unsigned int max_inflight;	/* assert stats.in_flight <= this */
	unsigned int per_second;	/* assert the start rate; 0: no check */
};

/*
 * Poll until @p want callbacks have come (or @p timeout_s), asserting that
 * no single poll takes MAX_POLL_MS and that the limits hold at every poll.
 */
static int
run_until(struct wgjit_fetch *f, struct done *d, int want, double timeout_s,
		const struct run_limits *lim)
{
	struct wgjit_fetch_stats st;
	double t0 = cp_now(), t, dt, max_ms = 0;
	int ret;

	while (d->n < want && cp_now() - t0 < timeout_s) {
		t = cp_now();
		ret = wgjit_fetch_poll(f, on_done, d);
		dt = (cp_now() - t) * 1000;
		if (dt > max_ms)
			max_ms = dt;
		TEST_ASSERT(ret >= 0, "poll: %d", ret);
		wgjit_fetch_stats_get(f, &st);
		if (lim != NULL && lim->max_inflight > 0)
			TEST_ASSERT(st.in_flight <= lim->max_inflight,
					"%u in flight", st.in_flight);
		if (lim != NULL && lim->per_second > 0)
			TEST_ASSERT(st.requests <= lim->per_second *
					(1 + (cp_now() - t0)) + 1,
					"%llu started after %.3f s",
					(unsigned long long)st.requests, cp_now() - t0);
		cp_pause_us(300);
	}
	TEST_ASSERT_EQUAL(d->n, want, "callbacks after %.1f s", cp_now() - t0);
	TEST_ASSERT(max_ms < max_poll_ms, "a poll took %.1f ms", max_ms);
	if (max_ms > slowest_poll_ms)
		slowest_poll_ms = max_ms;
	return TEST_SUCCESS;
}

static struct wgjit_fetch *
make_fetch(const char *url, const char *token_file, unsigned int inflight,
		unsigned int per_second, unsigned int timeout_ms)
{
	struct wgjit_fetch_params p = {
		.base_url = url,
		.token_file = token_file,
		.timeout_ms = timeout_ms,
		.connect_timeout_ms = 1000,
		.max_inflight = inflight,
		.max_per_second = per_second,
		.max_queued = 64,
	};

	return wgjit_fetch_create(&p, NULL, 0);
}

/* --- Cases ----------------------------------------------------------------- */

static int
test_ok(void)
{
	uint8_t key[WGJIT_KEY_LEN], psk[WGJIT_KEY_LEN];
	char psk_b64[WGJIT_KEY_B64_SIZE], rest[256], txt[WGJIT_ALLOWED_IP_STR_SIZE];
	struct wgjit_fetch_stats st;
	struct done d = { 0 };
	struct wgjit_fetch *f;
	int ret;

	randombytes_buf(key, sizeof(key));
	randombytes_buf(psk, sizeof(psk));
	wgjit_key_to_base64(psk_b64, psk);
	snprintf(rest, sizeof(rest), ", \"allowed_ips\": [\"10.1.0.2/32\", "
			"\"fd00::2/128\"], \"preshared_key\": \"%s\", "
			"\"persistent_keepalive\": 25", psk_b64);
	TEST_ASSERT(cp_reset(&cp_open) == 0, "reset");
	TEST_ASSERT_EQUAL(cp_add_peer(&cp_open, key, rest), 201, "add peer");
	f = make_fetch(cp_open.url, NULL, 4, 100, 2000);
	TEST_ASSERT(f != NULL, "create: %s", strerror(errno));
	TEST_ASSERT_EQUAL(wgjit_fetch_request(f, key, WGJIT_FETCH_RETURNING), 0, "request");
	ret = run_until(f, &d, 1, 5, NULL);
	wgjit_fetch_stats_get(f, &st);
	wgjit_fetch_free(f);
	if (ret != TEST_SUCCESS)
		return ret;
	TEST_ASSERT_EQUAL(d.r[0], WGJIT_FETCH_OK, "result (%s)", d.reason[0]);
	TEST_ASSERT(strcmp(d.reason[0], "(null)") == 0, "reason %s", d.reason[0]);
	TEST_ASSERT_MEM_EQUAL(d.key[0], key, WGJIT_KEY_LEN, "callback key");
	TEST_ASSERT_MEM_EQUAL(d.peer.public_key, key, WGJIT_KEY_LEN, "peer key");
	TEST_ASSERT_MEM_EQUAL(d.peer.preshared_key, psk, WGJIT_KEY_LEN, "psk");
	TEST_ASSERT_EQUAL(d.peer.flags, WGJIT_PEER_HAS_PRESHARED_KEY |
			WGJIT_PEER_HAS_KEEPALIVE, "flags");
	TEST_ASSERT_EQUAL(d.peer.persistent_keepalive, 25, "keepalive");
	TEST_ASSERT_EQUAL(d.peer.nb_allowed_ips, 2, "allowed ips");
	wgjit_allowed_ip_format(txt, &d.peer.allowed_ips[1]);
	TEST_ASSERT(strcmp(txt, "fd00::2/128") == 0, "aip %s", txt);
	wgjit_peer_clear(&d.peer);
	TEST_ASSERT(st.requests == 1 && st.ok == 1 && st.in_flight == 0,
			"stats requests %llu ok %llu",
			(unsigned long long)st.requests, (unsigned long long)st.ok);
	TEST_ASSERT_EQUAL(cp_stat(&cp_open, "per_key", key), 1, "server count");
	return TEST_SUCCESS;
}

static int
test_not_found_and_merge(void)
{
	uint8_t key[WGJIT_KEY_LEN];
	struct wgjit_fetch_stats st;
	struct done d = { 0 };
	struct wgjit_fetch *f;
	int ret = TEST_SUCCESS;

	randombytes_buf(key, sizeof(key));
	TEST_ASSERT(cp_reset(&cp_open) == 0, "reset");
	f = make_fetch(cp_open.url, NULL, 4, 100, 2000);
	TEST_ASSERT(f != NULL, "create: %s", strerror(errno));
	for (int i = 0; i < 50 && ret == TEST_SUCCESS; i++)
		if (wgjit_fetch_request(f, key, WGJIT_FETCH_RETURNING) != (i == 0 ? 0 : -EALREADY))
			ret = TEST_FAILED;
	/* Merge also while in flight: poll once, then ask again. */
	if (ret == TEST_SUCCESS && (wgjit_fetch_poll(f, on_done, &d) != 0 ||
			wgjit_fetch_request(f, key, WGJIT_FETCH_RETURNING) != -EALREADY))
		ret = TEST_FAILED;
	if (ret == TEST_SUCCESS)
		ret = run_until(f, &d, 1, 5, NULL);
	/* Keep polling a while: no second callback may come. */
	for (double t = cp_now(); ret == TEST_SUCCESS && cp_now() - t < 0.2;
			cp_pause_us(1000))
		wgjit_fetch_poll(f, on_done, &d);
	wgjit_fetch_stats_get(f, &st);
	if (ret == TEST_SUCCESS && wgjit_fetch_request(f, key, WGJIT_FETCH_RETURNING) != 0)
		ret = TEST_FAILED;	/* done: a new request starts anew */
	wgjit_fetch_free(f);
	TEST_ASSERT_EQUAL(ret, TEST_SUCCESS, "request/merge sequence");
	TEST_ASSERT_EQUAL(d.n, 1, "callbacks");
	TEST_ASSERT_EQUAL(d.r[0], WGJIT_FETCH_NOT_FOUND, "result (%s)",
			d.reason[0]);
	TEST_ASSERT(strcmp(d.reason[0], "not found") == 0, "reason %s",
			d.reason[0]);
	TEST_ASSERT(st.merged == 50 && st.requests == 1 && st.not_found == 1,
			"merged %llu requests %llu", (unsigned long long)st.merged,
			(unsigned long long)st.requests);
	TEST_ASSERT_EQUAL(cp_stat(&cp_open, "requests", NULL), 1,
			"HTTP requests seen by the server");
	TEST_ASSERT_EQUAL(cp_stat(&cp_open, "per_key", key), 1, "per key");
	return TEST_SUCCESS;
}

static int
one_fault(const char *mode, double delay, const char *want, const char *url)
{
	uint8_t key[WGJIT_KEY_LEN];
	struct done d = { 0 };
	struct wgjit_fetch *f;
	int ret;

	randombytes_buf(key, sizeof(key));
	TEST_ASSERT(cp_reset(&cp_open) == 0, "reset");
	TEST_ASSERT_EQUAL(cp_add_peer(&cp_open, key,
			", \"allowed_ips\": [\"10.1.0.9/32\"]"), 201, "add peer");
	TEST_ASSERT_EQUAL(cp_set_fault(&cp_open, mode, delay), 200, "set %s", mode);
	f = make_fetch(url, NULL, 4, 100, 800);
	TEST_ASSERT(f != NULL, "create: %s", strerror(errno));
	TEST_ASSERT_EQUAL(wgjit_fetch_request(f, key, WGJIT_FETCH_RETURNING), 0, "request");
	ret = run_until(f, &d, 1, 5, NULL);
	wgjit_fetch_free(f);
	if (ret != TEST_SUCCESS)
		return ret;
	TEST_ASSERT_EQUAL(d.r[0], WGJIT_FETCH_TRANSIENT, "%s: result (%s)",
			mode, d.reason[0]);
	TEST_ASSERT(strncmp(d.reason[0], want, strlen(want)) == 0,
			"%s: reason '%s', want '%s...'", mode, d.reason[0], want);
	printf("  %s -> %s\n", mode, d.reason[0]);
	return TEST_SUCCESS;
}

static int
test_faults(void)
{
	static const struct {
		const char *mode;
		double delay;
		const char *want;
	} faults[] = {
		{ "500", 0, "HTTP 500" },
		{ "junk", 0, "bad answer: not JSON" },
		{ "big", 0, "answer over 65536 bytes" },
		{ "wrong_key", 0, "bad answer: public_key: does not match" },
		{ "down", 0, "transfer failed: " },
		{ "slow", 3, "timeout: " },
	};
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t slen = sizeof(sin);
	char refused[64];
	int s, ret;

	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
		if (one_fault(faults[i].mode, faults[i].delay, faults[i].want,
				cp_open.url) != TEST_SUCCESS)
			return TEST_FAILED;
	/* A port bound but not listening: the connect is refused. */
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	TEST_ASSERT(s >= 0, "socket: %s", strerror(errno));
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
			getsockname(s, (struct sockaddr *)&sin, &slen) != 0) {
		close(s);
		TEST_ASSERT(0, "bind: %s", strerror(errno));
	}
	snprintf(refused, sizeof(refused), "http://127.0.0.1:%u",
			ntohs(sin.sin_port));
	ret = one_fault("none", 0, "connect failed: ", refused);
	close(s);
	return ret;
}

/* Request @p n fresh keys, unknown to the server (404 each). */
static int
request_many(struct wgjit_fetch *f, int n)
{
	uint8_t key[WGJIT_KEY_LEN];

	for (int i = 0; i < n; i++) {
		randombytes_buf(key, sizeof(key));
		if (wgjit_fetch_request(f, key, WGJIT_FETCH_RETURNING) != 0)
			return -1;
	}
	return 0;
}

static int
test_max_inflight(void)
{
	const struct run_limits lim = { .max_inflight = 3 };
	struct done d = { 0 };
	struct wgjit_fetch *f;
	double t0;
	int ret;

	TEST_ASSERT(cp_reset(&cp_open) == 0, "reset");
	/* Every answer takes 0.3 s, so 9 requests need 3 rounds of 3. */
	TEST_ASSERT_EQUAL(cp_set_fault(&cp_open, "none", 0.3), 200, "delay");
	f = make_fetch(cp_open.url, NULL, 3, 100, 2000);
	TEST_ASSERT(f != NULL, "create: %s", strerror(errno));
	t0 = cp_now();
	ret = request_many(f, 9) == 0 ? run_until(f, &d, 9, 10, &lim) : -1;
	t0 = cp_now() - t0;
	wgjit_fetch_free(f);
	TEST_ASSERT_EQUAL(ret, TEST_SUCCESS, "run");
	for (int i = 0; i < 9; i++)
		TEST_ASSERT_EQUAL(d.r[i], WGJIT_FETCH_NOT_FOUND, "result %d (%s)",
				i, d.reason[i]);
	TEST_ASSERT_EQUAL(cp_stat(&cp_open, "max_active", NULL), 3,
			"concurrent requests seen by the server");
	TEST_ASSERT_EQUAL(cp_stat(&cp_open, "requests", NULL), 9, "requests");
	TEST_ASSERT(t0 >= 0.85, "9 answers of 0.3 s in %.2f s at 3 at a time",
			t0);
	return TEST_SUCCESS;
}

static int
test_rate_limit(void)
{
	const struct run_limits lim = { .max_inflight = 32, .per_second = 10 };
	struct wgjit_fetch_stats st;
	struct done d = { 0 };
	struct wgjit_fetch *f;
	double t0;
	int ret;

	TEST_ASSERT(cp_reset(&cp_open) == 0, "reset");
	f = make_fetch(cp_open.url, NULL, 32, 10, 2000);
	TEST_ASSERT(f != NULL, "create: %s", strerror(errno));
	t0 = cp_now();
	ret = request_many(f, 25);
	/* The bucket starts full: exactly 10 start at the first poll. */
	if (ret == 0 && wgjit_fetch_poll(f, on_done, &d) < 0)
		ret = -1;
	wgjit_fetch_stats_get(f, &st);
	if (ret == 0)
		ret = run_until(f, &d, 25, 10, &lim);
	t0 = cp_now() - t0;
	wgjit_fetch_free(f);
	TEST_ASSERT_EQUAL(ret, TEST_SUCCESS, "run");
	for (int i = 0; i < 25; i++)
		TEST_ASSERT_EQUAL(d.r[i], WGJIT_FETCH_NOT_FOUND, "result %d (%s)",
				i, d.reason[i]);
	TEST_ASSERT_EQUAL(st.requests, 10, "started by the first poll");
	TEST_ASSERT_EQUAL(st.queued, 15, "left queued by the first poll");
	/* 15 more tokens at 10/s. */
	TEST_ASSERT(t0 >= 1.4, "25 requests at 10/s took only %.2f s", t0);
	TEST_ASSERT_EQUAL(cp_stat(&cp_open, "requests", NULL), 25, "requests");
	return TEST_SUCCESS;
}

static int
test_connection_reuse(void)
{
	struct done d = { 0 };
	struct wgjit_fetch *f;
	int ret = TEST_SUCCESS;

	TEST_ASSERT(cp_reset(&cp_open) == 0, "reset");
	f = make_fetch(cp_open.url, NULL, 2, 100, 2000);
	TEST_ASSERT(f != NULL, "create: %s", strerror(errno));
	for (int i = 0; i < 5 && ret == TEST_SUCCESS; i++)
		ret = request_many(f, 1) == 0 ? run_until(f, &d, i + 1, 5, NULL) :
			TEST_FAILED;
	wgjit_fetch_free(f);
	TEST_ASSERT_EQUAL(ret, TEST_SUCCESS, "run");
	TEST_ASSERT_EQUAL(cp_stat(&cp_open, "requests", NULL), 5, "requests");
	TEST_ASSERT_EQUAL(cp_stat(&cp_open, "api_connections", NULL), 1,
			"TCP connections that carried the fetches");
	return TEST_SUCCESS;
}

static int
fetch_with_token(const char *token_text, struct done *d,
		const uint8_t key[WGJIT_KEY_LEN])
{
	char path[128];
	struct wgjit_fetch *f;
	FILE *fp;
	int ret;

	snprintf(path, sizeof(path), "%s/client-token", cp_auth.dir);
	if (token_text != NULL) {
		fp = fopen(path, "w");
		TEST_ASSERT(fp != NULL, "%s: %s", path, strerror(errno));
		fprintf(fp, "%s\n", token_text);
		fchmod(fileno(fp), 0600);	/* a secret file */
		fclose(fp);
	}
	f = make_fetch(cp_auth.url, token_text != NULL ? path : NULL, 2, 100,
			2000);
	TEST_ASSERT(f != NULL, "create: %s", strerror(errno));
	ret = wgjit_fetch_request(f, key, WGJIT_FETCH_RETURNING) == 0 ?
		run_until(f, d, d->n + 1, 5, NULL) : TEST_FAILED;
	wgjit_fetch_free(f);
	unlink(path);
	return ret;
}

static int
test_bearer_token(void)
{
	uint8_t key[WGJIT_KEY_LEN];
	struct done d = { 0 };

	randombytes_buf(key, sizeof(key));
	TEST_ASSERT(cp_reset(&cp_auth) == 0, "reset");
	TEST_ASSERT_EQUAL(cp_add_peer(&cp_auth, key,
			", \"allowed_ips\": [\"10.2.0.1/32\"]"), 201, "add");
	TEST_ASSERT(fetch_with_token(NULL, &d, key) == TEST_SUCCESS, "none");
	TEST_ASSERT(fetch_with_token("wrong-token", &d, key) == TEST_SUCCESS,
			"wrong");
	TEST_ASSERT(fetch_with_token("t0k3n-for-wgjit", &d, key) ==
			TEST_SUCCESS, "right");
	TEST_ASSERT(d.r[0] == WGJIT_FETCH_TRANSIENT &&
			strcmp(d.reason[0], "HTTP 401") == 0,
			"no token: %s", d.reason[0]);
	TEST_ASSERT(d.r[1] == WGJIT_FETCH_TRANSIENT &&
			strcmp(d.reason[1], "HTTP 401") == 0,
			"wrong token: %s", d.reason[1]);
	TEST_ASSERT_EQUAL(d.r[2], WGJIT_FETCH_OK, "right token: %s",
			d.reason[2]);
	TEST_ASSERT_EQUAL(cp_stat(&cp_auth, "unauthorized", NULL), 2,
			"refused by the server");
	TEST_ASSERT_EQUAL(cp_stat(&cp_auth, "per_key", key), 1,
			"served by the server");
	wgjit_peer_clear(&d.peer);
	return TEST_SUCCESS;
}

/* The CLI writes the same DB file the running server reads. */
static int
test_cli_add(void)
{
	char b64[WGJIT_KEY_B64_SIZE], cmd[512], txt[WGJIT_ALLOWED_IP_STR_SIZE];
	uint8_t key[WGJIT_KEY_LEN];
	struct done d = { 0 };
	struct wgjit_fetch *f;
	int ret;

	randombytes_buf(key, sizeof(key));
	wgjit_key_to_base64(b64, key);
	snprintf(cmd, sizeof(cmd), "'%s' '%s' add --db '%s/peers.db' "
			"--public-key '%s' --allowed-ips 10.3.0.0/24 --keepalive 7",
			python, script, cp_open.dir, b64);
	TEST_ASSERT_EQUAL(system(cmd), 0, "%s", cmd);
	f = make_fetch(cp_open.url, NULL, 2, 100, 2000);
	TEST_ASSERT(f != NULL, "create: %s", strerror(errno));
	ret = wgjit_fetch_request(f, key, WGJIT_FETCH_RETURNING) == 0 ? run_until(f, &d, 1, 5, NULL) :
		TEST_FAILED;
	wgjit_fetch_free(f);
	TEST_ASSERT_EQUAL(ret, TEST_SUCCESS, "run");
	TEST_ASSERT_EQUAL(d.r[0], WGJIT_FETCH_OK, "result (%s)", d.reason[0]);
	TEST_ASSERT(d.peer.flags == WGJIT_PEER_HAS_KEEPALIVE &&
			d.peer.persistent_keepalive == 7, "keepalive");
	wgjit_allowed_ip_format(txt, &d.peer.allowed_ips[0]);
	TEST_ASSERT(d.peer.nb_allowed_ips == 1 && strcmp(txt, "10.3.0.0/24") == 0,
			"allowed ip %s", txt);
	return TEST_SUCCESS;
}

static const struct wgjit_test_case cases[] = {
	TEST_CASE(test_ok),
	TEST_CASE(test_not_found_and_merge),
	TEST_CASE(test_faults),
	TEST_CASE(test_max_inflight),
	TEST_CASE(test_rate_limit),
	TEST_CASE(test_connection_reuse),
	TEST_CASE(test_bearer_token),
	TEST_CASE(test_cli_add),
	TEST_CASES_END(),
};

int
main(int argc, char **argv)
{
	int ret;

	if (argc != 3) {
		fprintf(stderr, "usage: %s PYTHON WGJIT-CP.PY\n", argv[0]);
		return 1;
	}
	python = argv[1];
	script = argv[2];
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (getenv("WGJIT_TEST_MAX_POLL_MS") != NULL)
		max_poll_ms = atof(getenv("WGJIT_TEST_MAX_POLL_MS"));
	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return 1;
	ret = cp_start(&cp_open, python, script, NULL);
	if (ret == 0)
		ret = cp_start(&cp_auth, python, script, "t0k3n-for-wgjit");
	if (ret != 0) {
		fprintf(stderr, "cannot start %s: %s\n", script, strerror(-ret));
		cp_stop(&cp_open);
		cp_stop(&cp_auth);
		return 1;
	}
	ret = wgjit_test_run("fetch_cp", cases);
	printf("slowest poll: %.2f ms (budget %.0f ms)\n", slowest_poll_ms,
			max_poll_ms);
	cp_stop(&cp_open);
	cp_stop(&cp_auth);
	curl_global_cleanup();
	return ret;
}
