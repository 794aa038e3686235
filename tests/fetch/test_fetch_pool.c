/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * The fetcher against nginx (fetch_nginx.sh starts it): many requests
 * share a few kept-alive connections; over TLS, HTTP/2 streams are
 * multiplexed on them. Half the keys have an answer file, half get a 404.
 *
 * usage: test_fetch_pool URL KEYS_FILE [CA_FILE]
 *   KEYS_FILE: the base64 public keys, one per line; the first half are
 *   registered (fetch_nginx.sh wrote their answers), the rest are not.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "wgjit_fetch.h"
#include "wgjit_key.h"
#include "wgjit_test.h"

#define MAX_KEYS 1024
#define INFLIGHT 16

static uint8_t keys[MAX_KEYS][WGJIT_KEY_LEN];
static unsigned int nb_keys;
static unsigned int nb_ok, nb_404, nb_other;

static void
done(void *arg, const uint8_t key[WGJIT_KEY_LEN],
		enum wgjit_fetch_result r, const struct wgjit_peer *cfg,
		const char *reason)
{
	(void)arg;
	if (r == WGJIT_FETCH_OK && memcmp(cfg->public_key, key,
			WGJIT_KEY_LEN) == 0)
		nb_ok++;
	else if (r == WGJIT_FETCH_NOT_FOUND)
		nb_404++;
	else {
		nb_other++;
		printf("  %s\n", reason ? reason : "?");
	}
}

static int
load_keys(const char *path)
{
	char line[128];
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return -1;
	while (nb_keys < MAX_KEYS && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (wgjit_key_from_base64(keys[nb_keys], line) == 0)
			nb_keys++;
	}
	fclose(f);
	return nb_keys >= 2 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	struct wgjit_fetch_params p = { 0 };
	char err[WGJIT_FETCH_ERR_SIZE];
	struct wgjit_fetch_stats st;
	struct wgjit_fetch *f;
	struct timespec pause = { .tv_nsec = 200000 };
	bool tls;
	int ret = 1;

	if (argc < 3 || load_keys(argv[2]) != 0) {
		fprintf(stderr, "usage: %s URL KEYS_FILE [CA_FILE]\n", argv[0]);
		return 2;
	}
	tls = argc > 3;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	p.base_url = argv[1];
	p.ca_file = tls ? argv[3] : NULL;
	p.max_inflight = INFLIGHT;
	p.max_per_second = 100000;
	f = wgjit_fetch_create(&p, err, sizeof(err));
	if (f == NULL) {
		printf("FAIL create: %s\n", err);
		goto out;
	}
	for (unsigned int i = 0; i < nb_keys; i++)
		if (wgjit_fetch_request(f, keys[i], i % 2 ? WGJIT_FETCH_NEW :
				WGJIT_FETCH_RETURNING) != 0) {
			printf("FAIL request %u\n", i);
			goto out;
		}
	for (int spins = 0; nb_ok + nb_404 + nb_other < nb_keys &&
			spins < 100000; spins++) {
		if (wgjit_fetch_poll(f, done, NULL) < 0) {
			printf("FAIL poll\n");
			goto out;
		}
		nanosleep(&pause, NULL);
	}
	wgjit_fetch_stats_get(f, &st);
	printf("%s: %u requests: %u answers, %u 404, %u other; %llu "
		"connections, %llu over HTTP/2\n", tls ? "https" : "http",
		nb_keys, nb_ok, nb_404, nb_other,
		(unsigned long long)st.connects, (unsigned long long)st.http2);
	if (nb_ok != nb_keys / 2 || nb_404 != nb_keys - nb_keys / 2 ||
			nb_other != 0) {
		printf("FAIL answers\n");
		goto out;
	}
	/* Kept alive: never more connections than slots. */
	if (st.connects == 0 || st.connects > INFLIGHT) {
		printf("FAIL %llu connections for %u requests (pool %d)\n",
			(unsigned long long)st.connects, nb_keys, INFLIGHT);
		goto out;
	}
	/* Over TLS every transfer went over HTTP/2, on a few connections. */
	if (tls && (st.http2 != nb_keys || st.connects > 4)) {
		printf("FAIL HTTP/2: %llu of %u, %llu connections\n",
			(unsigned long long)st.http2, nb_keys,
			(unsigned long long)st.connects);
		goto out;
	}
	ret = 0;
out:
	wgjit_fetch_free(f);
	curl_global_cleanup();
	printf("%s\n", ret == 0 ? "1 passed, 0 failed" : "0 passed, 1 failed");
	return ret;
}
