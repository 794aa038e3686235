/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "wgjit_fetch.h"
#include "wgjit_test.h"

static char tmpdir[] = "/tmp/wgjit-fetch-api-XXXXXX";

static const char *
write_file(const char *name, const char *text, size_t len)
{
	static char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	unlink(path);
	fp = fopen(path, "w");
	if (fp == NULL)
		return NULL;
	fwrite(text, 1, len, fp);
	fchmod(fileno(fp), 0600);
	fclose(fp);
	return path;
}

static char last_err[WGJIT_FETCH_ERR_SIZE];

static int
create_fails(const struct wgjit_fetch_params *p, int want_errno)
{
	struct wgjit_fetch *f;

	errno = 0;
	last_err[0] = '\0';
	f = wgjit_fetch_create(p, last_err, sizeof(last_err));
	if (f != NULL)
		wgjit_fetch_free(f);
	if (f == NULL)
		printf("  (expected) %s\n", last_err);
	return f == NULL && errno == want_errno && last_err[0] != '\0' ? 0 : -1;
}

static int
test_bad_params(void)
{
	static const char *const bad_urls[] = {
		"", "ftp://127.0.0.1", "127.0.0.1:80", "http://a b", "file:///etc",
		"http://127.0.0.1/\r\nX: y",
	};
	struct wgjit_fetch_params p = { .base_url = "http://127.0.0.1:1" };

	TEST_ASSERT(create_fails(NULL, EINVAL) == 0, "NULL params");
	for (size_t i = 0; i < sizeof(bad_urls) / sizeof(bad_urls[0]); i++) {
		p.base_url = bad_urls[i];
		TEST_ASSERT(create_fails(&p, EINVAL) == 0, "url '%s'", bad_urls[i]);
	}
	p.base_url = NULL;
	TEST_ASSERT(create_fails(&p, EINVAL) == 0, "NULL url");
	p.base_url = "http://127.0.0.1:1";
	p.max_inflight = WGJIT_FETCH_LIMIT_INFLIGHT + 1;
	TEST_ASSERT(create_fails(&p, EINVAL) == 0, "max_inflight");
	p.max_inflight = 0;
	p.max_queued = WGJIT_FETCH_LIMIT_QUEUED + 1;
	TEST_ASSERT(create_fails(&p, EINVAL) == 0, "max_queued");
	p.max_queued = 0;
	p.new_share = 101;
	TEST_ASSERT(create_fails(&p, EINVAL) == 0, "new_share");
	p.new_share = 0;
	p.ca_file = "";
	TEST_ASSERT(create_fails(&p, EINVAL) == 0, "empty ca_file");
	return TEST_SUCCESS;
}

/* https:// unless on loopback or allowed; never a proxy from the
 * environment. */
static int
test_transport(void)
{
	static const char *const loopback[] = {
		"http://127.0.0.1:1", "http://127.9.8.7", "http://localhost:8080/x",
		"http://[::1]:80", "HTTP://LOCALHOST", "https://cp.example.net",
		"https://192.0.2.1:8443/prefix",
	};
	static const char *const remote[] = {
		"http://192.0.2.1", "http://cp.example.net:80",
		"http://[2001:db8::1]:80", "http://128.0.0.1", "http://localhost.evil",
		"http://127.0.0.1.evil.net",
	};
	struct wgjit_fetch_params p = { 0 };
	struct wgjit_fetch *f;

	for (size_t i = 0; i < sizeof(loopback) / sizeof(loopback[0]); i++) {
		p.base_url = loopback[i];
		f = wgjit_fetch_create(&p, last_err, sizeof(last_err));
		TEST_ASSERT(f != NULL, "%s refused: %s", loopback[i], last_err);
		wgjit_fetch_free(f);
	}
	for (size_t i = 0; i < sizeof(remote) / sizeof(remote[0]); i++) {
		p.base_url = remote[i];
		p.allow_http = false;
		TEST_ASSERT(create_fails(&p, EINVAL) == 0, "%s accepted",
				remote[i]);
		TEST_ASSERT(strstr(last_err, "allow_http") != NULL,
				"message names the way out: %s", last_err);
		p.allow_http = true;
		f = wgjit_fetch_create(&p, last_err, sizeof(last_err));
		TEST_ASSERT(f != NULL, "%s with allow_http: %s", remote[i],
				last_err);
		wgjit_fetch_free(f);
	}
	return TEST_SUCCESS;
}

static int
test_token_files(void)
{
	struct wgjit_fetch_params p = { .base_url = "https://127.0.0.1:1/" };
	char big[WGJIT_FETCH_MAX_TOKEN + 2];
	struct wgjit_fetch *f;

	p.token_file = "/nonexistent/wgjit-token";
	TEST_ASSERT(create_fails(&p, ENOENT) == 0, "missing token file");
	p.token_file = write_file("empty", " \n", 2);
	TEST_ASSERT(create_fails(&p, EINVAL) == 0, "blank token");
	p.token_file = write_file("space", "abc def\n", 8);
	TEST_ASSERT(create_fails(&p, EINVAL) == 0, "token with a space");
	p.token_file = write_file("crlf", "abc\r\nX-Evil: 1\n", 16);
	TEST_ASSERT(create_fails(&p, EINVAL) == 0, "header injection");
	memset(big, 'a', sizeof(big));
	p.token_file = write_file("big", big, sizeof(big));
	TEST_ASSERT(create_fails(&p, EFBIG) == 0, "token too long");
	p.token_file = write_file("good", "  s3cr3t-T0ken\n", 15);
	f = wgjit_fetch_create(&p, NULL, 0);
	TEST_ASSERT(f != NULL, "good token refused: %s", strerror(errno));
	wgjit_fetch_free(f);
	/* A secret others can read, or one behind a symlink, is refused. */
	chmod(p.token_file, 0640);
	TEST_ASSERT(create_fails(&p, EACCES) == 0, "group-readable token");
	TEST_ASSERT(strstr(last_err, "chmod 600") != NULL, "says how: %s",
			last_err);
	chmod(p.token_file, 0600);
	{
		char link[160];

		snprintf(link, sizeof(link), "%s/link", tmpdir);
		unlink(link);
		TEST_ASSERT(symlink(p.token_file, link) == 0, "symlink");
		p.token_file = link;
		TEST_ASSERT(create_fails(&p, ELOOP) == 0, "token via a symlink");
		TEST_ASSERT(strstr(last_err, "symlink") != NULL, "says so: %s",
				last_err);
	}
	return TEST_SUCCESS;
}

static int
test_queue_merge_full(void)
{
	struct wgjit_fetch_params p = {
		.base_url = "http://127.0.0.1:1",
		.max_queued = 4,
	};
	struct wgjit_fetch_stats st;
	uint8_t key[WGJIT_KEY_LEN] = { 0 };
	struct wgjit_fetch *f = wgjit_fetch_create(&p, NULL, 0);

	TEST_ASSERT(f != NULL, "create: %s", strerror(errno));
	for (int i = 0; i < 4; i++) {
		key[0] = i;
		TEST_ASSERT_EQUAL(wgjit_fetch_request(f, key, WGJIT_FETCH_RETURNING), 0, "request %d", i);
		TEST_ASSERT_EQUAL(wgjit_fetch_request(f, key, WGJIT_FETCH_RETURNING), -EALREADY,
				"merge %d", i);
	}
	key[0] = 4;
	TEST_ASSERT_EQUAL(wgjit_fetch_request(f, key, WGJIT_FETCH_RETURNING), -ENOBUFS, "queue full");
	key[0] = 0;
	TEST_ASSERT_EQUAL(wgjit_fetch_request(f, key, WGJIT_FETCH_RETURNING), -EALREADY,
			"merge while full");
	TEST_ASSERT_EQUAL(wgjit_fetch_request(NULL, key, WGJIT_FETCH_RETURNING), -EINVAL, "NULL f");
	TEST_ASSERT_EQUAL(wgjit_fetch_request(f, NULL, WGJIT_FETCH_RETURNING), -EINVAL, "NULL key");
	TEST_ASSERT_EQUAL(wgjit_fetch_poll(f, NULL, NULL), -EINVAL, "NULL cb");
	wgjit_fetch_stats_get(f, &st);
	TEST_ASSERT_EQUAL(st.queued, 4, "queued");
	TEST_ASSERT_EQUAL(st.merged, 5, "merged");
	TEST_ASSERT_EQUAL(st.dropped, 1, "dropped");
	TEST_ASSERT_EQUAL(st.requests, 0, "nothing started before a poll");
	TEST_ASSERT_EQUAL(st.in_flight, 0, "in flight");
	/* Free with requests pending: no callbacks, no leaks (valgrind). */
	wgjit_fetch_free(f);
	wgjit_fetch_free(NULL);
	return TEST_SUCCESS;
}

/* Never-seen keys get their share of the queue; returning keys still
 * find room when those are full. */
static int
test_class_shares(void)
{
	struct wgjit_fetch_params p = {
		.base_url = "http://127.0.0.1:1",
		.max_queued = 8,
		.new_share = 25,
	};
	struct wgjit_fetch_stats st;
	uint8_t key[WGJIT_KEY_LEN] = { 0 };
	struct wgjit_fetch *f = wgjit_fetch_create(&p, NULL, 0);

	TEST_ASSERT(f != NULL, "create: %s", strerror(errno));
	for (int i = 0; i < 2; i++) {
		key[0] = 10 + i;
		TEST_ASSERT_EQUAL(wgjit_fetch_request(f, key, WGJIT_FETCH_NEW),
				0, "new %d", i);
	}
	key[0] = 12;
	TEST_ASSERT_EQUAL(wgjit_fetch_request(f, key, WGJIT_FETCH_NEW),
			-ENOBUFS, "new keys hold 25 %% of 8");
	for (int i = 0; i < 6; i++) {
		key[0] = 20 + i;
		TEST_ASSERT_EQUAL(wgjit_fetch_request(f, key,
				WGJIT_FETCH_RETURNING), 0, "returning %d", i);
	}
	key[0] = 30;
	TEST_ASSERT_EQUAL(wgjit_fetch_request(f, key, WGJIT_FETCH_RETURNING),
			-ENOBUFS, "the whole queue");
	TEST_ASSERT_EQUAL(wgjit_fetch_request(f, key, 2), -EINVAL, "class");
	wgjit_fetch_stats_get(f, &st);
	TEST_ASSERT_EQUAL(st.queued, 8, "queued");
	TEST_ASSERT_EQUAL(st.queued_new, 2, "of which new");
	wgjit_fetch_free(f);
	return TEST_SUCCESS;
}

static int
test_result_names(void)
{
	TEST_ASSERT(strcmp(wgjit_fetch_result_str(WGJIT_FETCH_OK), "ok") == 0,
			"ok");
	TEST_ASSERT(strcmp(wgjit_fetch_result_str(WGJIT_FETCH_NOT_FOUND),
			"not_found") == 0, "not_found");
	TEST_ASSERT(strcmp(wgjit_fetch_result_str(WGJIT_FETCH_TRANSIENT),
			"transient") == 0, "transient");
	return TEST_SUCCESS;
}

static const struct wgjit_test_case cases[] = {
	TEST_CASE(test_bad_params),
	TEST_CASE(test_token_files),
	TEST_CASE(test_queue_merge_full),
	TEST_CASE(test_class_shares),
	TEST_CASE(test_transport),
	TEST_CASE(test_result_names),
	TEST_CASES_END(),
};

int
main(void)
{
	char cmd[128];
	int ret;

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	ret = wgjit_test_run("fetch_api", cases);
	curl_global_cleanup();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		ret = 1;
	return ret;
}
