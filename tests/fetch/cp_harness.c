/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cp_harness.h"

double
cp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void
cp_pause_us(long us)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = us * 1000 };

	nanosleep(&ts, NULL);
}

/* --- The control-plane process ------------------------------------------ */

int
cp_start(struct cp *cp, const char *python, const char *script,
		const char *token)
{
	char db[96], pf[96], tf[96];
	double deadline;
	FILE *fp;
	int port = 0, st;

	snprintf(cp->dir, sizeof(cp->dir), "/tmp/wgjit-fetch-cp-XXXXXX");
	if (mkdtemp(cp->dir) == NULL)
		return -errno;
	snprintf(db, sizeof(db), "%s/peers.db", cp->dir);
	snprintf(pf, sizeof(pf), "%s/port", cp->dir);
	snprintf(tf, sizeof(tf), "%s/token", cp->dir);
	if (token != NULL) {
		fp = fopen(tf, "w");
		if (fp == NULL)
			return -errno;
		fprintf(fp, "%s\n", token);
		fclose(fp);
		snprintf(cp->token_hdr, sizeof(cp->token_hdr),
				"Authorization: Bearer %s", token);
	}
	cp->pid = fork();
	if (cp->pid < 0)
		return -errno;
	if (cp->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl(python, python, script, "serve", "--listen", "127.0.0.1:0",
				"--db", db, "--port-file", pf,
				token != NULL ? "--token" : NULL, tf, (char *)NULL);
		_exit(127);
	}
	for (deadline = cp_now() + 15; cp_now() < deadline; cp_pause_us(10000)) {
		fp = fopen(pf, "r");
		if (fp != NULL) {
			if (fscanf(fp, "%d", &port) != 1)
				port = 0;
			fclose(fp);
			break;
		}
		if (waitpid(cp->pid, &st, WNOHANG) == cp->pid) {
			cp->pid = 0;
			return -ECHILD;
		}
	}
	if (port <= 0)
		return -ETIMEDOUT;
	snprintf(cp->url, sizeof(cp->url), "http://127.0.0.1:%d", port);
	return 0;
}

void
cp_stop(struct cp *cp)
{
	char cmd[96];

	if (cp->pid > 0) {
		kill(cp->pid, SIGTERM);
		waitpid(cp->pid, NULL, 0);
		cp->pid = 0;
	}
	if (cp->dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", cp->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", cp->dir);
		cp->dir[0] = '\0';
	}
}

static size_t
collect_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	json_t **out = userdata;

	if (*out == NULL)
		*out = json_loadb(ptr, size * nmemb, JSON_DISABLE_EOF_CHECK, NULL);
	return size * nmemb;
}

/* A blocking admin call; returns the HTTP status, JSON answer in *out. */
long
cp_admin(struct cp *cp, const char *method, const char *path, const char *body,
		json_t **out)
{
	struct curl_slist *h = NULL;
	json_t *ans = NULL;
	char url[256];
	long status = -1;
	CURL *e = curl_easy_init();

	if (e == NULL)
		return -1;
	snprintf(url, sizeof(url), "%s%s", cp->url, path);
	h = curl_slist_append(h, "Content-Type: application/json");
	if (cp->token_hdr[0] != '\0')
		h = curl_slist_append(h, cp->token_hdr);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &ans);
	if (body != NULL)
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
	if (curl_easy_perform(e) == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(e);
	curl_slist_free_all(h);
	if (out != NULL)
		*out = ans;
	else
		json_decref(ans);
	return status;
}

long
cp_set_fault(struct cp *cp, const char *mode, double delay)
{
	char body[96];

	snprintf(body, sizeof(body), "{\"mode\": \"%s\", \"delay\": %.3f}",
			mode, delay);
	return cp_admin(cp, "POST", "/admin/fault", body, NULL);
}

/* Reset the server's counters and faults before a case. */
int
cp_reset(struct cp *cp)
{
	if (cp_set_fault(cp, "none", 0) != 200)
		return -1;
	return cp_admin(cp, "POST", "/admin/reset", "", NULL) == 204 ? 0 : -1;
}

/* Read one integer from /admin/stats; per_key when @p key is given. */
long long
cp_stat(struct cp *cp, const char *name, const uint8_t *key)
{
	char b64[WGJIT_KEY_B64URL_SIZE];
	json_t *st = NULL, *v;
	long long val = -1;

	if (cp_admin(cp, "GET", "/admin/stats", NULL, &st) != 200)
		return -1;
	v = json_object_get(st, name);
	if (key != NULL) {
		wgjit_key_to_base64url(b64, key);
		v = json_object_get(v, b64);
		val = v == NULL ? 0 : -1;
	}
	if (json_is_integer(v))
		val = json_integer_value(v);
	json_decref(st);
	return val;
}

long
cp_add_peer(struct cp *cp, const uint8_t key[WGJIT_KEY_LEN], const char *rest)
{
	char b64[WGJIT_KEY_B64_SIZE], body[512];

	wgjit_key_to_base64(b64, key);
	snprintf(body, sizeof(body), "{\"public_key\": \"%s\"%s}", b64, rest);
	return cp_admin(cp, "POST", "/admin/peers", body, NULL);
}
