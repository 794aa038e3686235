/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "wgjit_clock.h"
#include "wgjit_defaults.h"
#include "wgjit_fetch.h"
#include "wgjit_peer_json.h"

#define NONE UINT32_MAX
#define MAX_URL 2048
#define URL_PATH "/v1/peers/"
#define AUTH_PREFIX "Authorization: Bearer "
#define REASON_SIZE (CURL_ERROR_SIZE + 64)

/* A request, queued or in flight; found by key through a hash chain. */
struct entry {
	uint8_t key[WGJIT_KEY_LEN];
	uint32_t hash_next;	/* next in the bucket's chain */
	uint32_t next;		/* next in the FIFO or the free list */
};

/* One transfer slot: an easy handle kept for the fetcher's lifetime. */
struct xfer {
	CURL *easy;
	uint32_t entry;		/* NONE when idle */
	bool overflow;
	size_t len;
	char *body;		/* WGJIT_FETCH_MAX_BODY bytes */
	char *url;
	char errbuf[CURL_ERROR_SIZE];
};

struct wgjit_fetch {
	CURLM *multi;
	struct curl_slist *headers;
	char *base_url;
	unsigned int max_inflight, max_queued, max_per_second;
	struct xfer *xfers;
	struct entry *entries;
	uint32_t *buckets;
	uint32_t bucket_mask;
	uint32_t free_head;
	uint32_t queue_head, queue_tail;
	double tokens;
	uint64_t last_refill_ns;
	uint8_t hash_key[WGJIT_KEY_HASH_SECRET_LEN];
	struct wgjit_fetch_stats st;
};

/* --- Creation ----------------------------------------------------------- */

static int
check_base_url(const char *url)
{
	size_t len;

	if (url == NULL)
		return -EINVAL;
	len = strlen(url);
	if (len + sizeof(URL_PATH) + WGJIT_KEY_B64URL_SIZE > MAX_URL)
		return -EINVAL;
	if (strncasecmp(url, "http://", 7) != 0 &&
			strncasecmp(url, "https://", 8) != 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f)
			return -EINVAL;
	return 0;
}

/* Read the token file into "Authorization: Bearer <token>" in @p hdr. */
static int
read_token_header(const char *path, char *hdr, size_t hdrlen)
{
	char buf[WGJIT_FETCH_MAX_TOKEN + 1];
	size_t len = 0, start = 0;
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do {
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
		if (n > 0)
			len += n;
	} while (n != 0 && len < sizeof(buf));
	close(fd);
	if (ret == 0 && len == sizeof(buf))
		ret = -EINVAL;
	while (ret == 0 && len > 0 && (buf[len - 1] == '\n' ||
			buf[len - 1] == '\r' || buf[len - 1] == ' ' ||
			buf[len - 1] == '\t'))
		len--;
	while (ret == 0 && start < len && (buf[start] == ' ' ||
			buf[start] == '\t' || buf[start] == '\n' || buf[start] == '\r'))
		start++;
	if (ret == 0 && start == len)
		ret = -EINVAL;
	for (size_t i = start; ret == 0 && i < len; i++)
		if ((unsigned char)buf[i] < 0x21 || (unsigned char)buf[i] > 0x7e)
			ret = -EINVAL;
	if (ret == 0 && snprintf(hdr, hdrlen, AUTH_PREFIX "%.*s",
			(int)(len - start), buf + start) >= (int)hdrlen)
		ret = -EINVAL;
	sodium_memzero(buf, sizeof(buf));
	return ret;
}

static int
build_headers(struct wgjit_fetch *f, const char *token_file)
{
	char hdr[sizeof(AUTH_PREFIX) + WGJIT_FETCH_MAX_TOKEN];
	struct curl_slist *l;
	int ret;

	l = curl_slist_append(NULL, "Accept: application/json");
	if (l == NULL)
		return -ENOMEM;
	f->headers = l;
	if (token_file == NULL)
		return 0;
	ret = read_token_header(token_file, hdr, sizeof(hdr));
	if (ret == 0) {
		l = curl_slist_append(f->headers, hdr);
		if (l == NULL)
			ret = -ENOMEM;
	}
	sodium_memzero(hdr, sizeof(hdr));
	return ret;
}

static void
free_headers(struct curl_slist *l)
{
	for (struct curl_slist *i = l; i != NULL; i = i->next)
		sodium_memzero(i->data, strlen(i->data));
	curl_slist_free_all(l);
}

static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct xfer *x = userdata;
	size_t n = size * nmemb;

	if (n > WGJIT_FETCH_MAX_BODY - x->len) {
		x->overflow = true;
		return 0;	/* abort: CURLE_WRITE_ERROR */
	}
	memcpy(x->body + x->len, ptr, n);
	x->len += n;
	return n;
}

static int
setup_xfer(struct wgjit_fetch *f, struct xfer *x,
		const struct wgjit_fetch_params *p)
{
	long timeout = p->timeout_ms ? p->timeout_ms :
		WGJIT_DEFAULT_CP_TIMEOUT_MS;
	long ctimeout = p->connect_timeout_ms ? p->connect_timeout_ms :
		WGJIT_DEFAULT_CP_CONNECT_TIMEOUT_MS;
	CURL *e;
	int bad = 0;

	x->entry = NONE;
	x->body = malloc(WGJIT_FETCH_MAX_BODY);
	x->url = malloc(MAX_URL);
	x->easy = e = curl_easy_init();
	if (x->body == NULL || x->url == NULL || e == NULL)
		return -ENOMEM;
	bad |= curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	bad |= curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	bad |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	bad |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout);
	bad |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, ctimeout);
	bad |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, f->headers);
	bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	bad |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	bad |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	bad |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	bad |= curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
			(curl_off_t)WGJIT_FETCH_MAX_BODY);
	bad |= curl_easy_setopt(e, CURLOPT_USERAGENT, "wgjit-fetch/1");
	if (p->ca_file != NULL)
		bad |= curl_easy_setopt(e, CURLOPT_CAINFO, p->ca_file);
	return bad ? -EINVAL : 0;
}

static int
check_params(const struct wgjit_fetch_params *p)
{
	if (p == NULL || check_base_url(p->base_url) != 0)
		return -EINVAL;
	if (p->max_inflight > WGJIT_FETCH_LIMIT_INFLIGHT ||
			p->max_queued > WGJIT_FETCH_LIMIT_QUEUED)
		return -EINVAL;
	if (p->ca_file != NULL && p->ca_file[0] == '\0')
		return -EINVAL;
	return 0;
}

static int
init_tables(struct wgjit_fetch *f)
{
	uint32_t n = f->max_queued + f->max_inflight, nb = 1;

	while (nb < n)
		nb <<= 1;
	f->entries = calloc(n, sizeof(*f->entries));
	f->buckets = malloc(nb * sizeof(*f->buckets));
	f->xfers = calloc(f->max_inflight, sizeof(*f->xfers));
	if (f->entries == NULL || f->buckets == NULL || f->xfers == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < nb; i++)
		f->buckets[i] = NONE;
	f->bucket_mask = nb - 1;
	for (uint32_t i = 0; i < n; i++)
		f->entries[i].next = i + 1 < n ? i + 1 : NONE;
	f->free_head = 0;
	f->queue_head = f->queue_tail = NONE;
	wgjit_key_hash_secret(f->hash_key);
	return 0;
}

struct wgjit_fetch *
wgjit_fetch_create(const struct wgjit_fetch_params *p)
{
	struct wgjit_fetch *f;
	size_t len;
	int ret;

	ret = check_params(p);
	if (ret != 0 || sodium_init() < 0) {
		errno = ret ? -ret : ENOMEM;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NULL;
	f->max_inflight = p->max_inflight ? p->max_inflight :
		WGJIT_DEFAULT_CP_MAX_INFLIGHT;
	f->max_queued = p->max_queued ? p->max_queued :
		WGJIT_DEFAULT_CP_MAX_QUEUED;
	f->max_per_second = p->max_per_second ? p->max_per_second :
		WGJIT_DEFAULT_CP_MAX_PER_SECOND;
	f->tokens = f->max_per_second;
	f->last_refill_ns = wgjit_clock_mono_ns();
	f->base_url = strdup(p->base_url);
	ret = f->base_url == NULL ? -ENOMEM : 0;
	if (ret == 0) {
		len = strlen(f->base_url);
		while (len > 0 && f->base_url[len - 1] == '/')
			f->base_url[--len] = '\0';
		ret = init_tables(f);
	}
	if (ret == 0)
		ret = build_headers(f, p->token_file);
	if (ret == 0) {
		f->multi = curl_multi_init();
		if (f->multi == NULL ||
				curl_multi_setopt(f->multi, CURLMOPT_MAXCONNECTS,
					(long)f->max_inflight) != CURLM_OK)
			ret = -ENOMEM;
	}
	for (unsigned int i = 0; ret == 0 && i < f->max_inflight; i++)
		ret = setup_xfer(f, &f->xfers[i], p);
	if (ret != 0) {
		wgjit_fetch_free(f);
		errno = -ret;
		return NULL;
	}
	return f;
}

void
wgjit_fetch_free(struct wgjit_fetch *f)
{
	if (f == NULL)
		return;
	for (unsigned int i = 0; f->xfers != NULL && i < f->max_inflight; i++) {
		struct xfer *x = &f->xfers[i];

		if (x->easy != NULL) {
			if (x->entry != NONE && f->multi != NULL)
				curl_multi_remove_handle(f->multi, x->easy);
			curl_easy_cleanup(x->easy);
		}
		if (x->body != NULL)
			sodium_memzero(x->body, WGJIT_FETCH_MAX_BODY);
		free(x->body);
		free(x->url);
	}
	if (f->multi != NULL)
		curl_multi_cleanup(f->multi);
	free_headers(f->headers);
	free(f->xfers);
	free(f->entries);
	free(f->buckets);
	free(f->base_url);
	sodium_memzero(f, sizeof(*f));
	free(f);
}

/* --- Queue and key index ---------------------------------------------- */

static uint32_t
bucket_of(const struct wgjit_fetch *f, const uint8_t key[WGJIT_KEY_LEN])
{
	/* Keyed: keys come from the network and could flood one chain. */
	return wgjit_key_hash(key, f->hash_key) & f->bucket_mask;
}

static bool
index_find(const struct wgjit_fetch *f, const uint8_t key[WGJIT_KEY_LEN])
{
	for (uint32_t i = f->buckets[bucket_of(f, key)]; i != NONE;
			i = f->entries[i].hash_next)
		if (memcmp(f->entries[i].key, key, WGJIT_KEY_LEN) == 0)
			return true;
	return false;
}

static void
index_remove(struct wgjit_fetch *f, uint32_t idx)
{
	uint32_t *link = &f->buckets[bucket_of(f, f->entries[idx].key)];

	while (*link != idx)
		link = &f->entries[*link].hash_next;
	*link = f->entries[idx].hash_next;
}

int
wgjit_fetch_request(struct wgjit_fetch *f, const uint8_t key[WGJIT_KEY_LEN])
{
	struct entry *e;
	uint32_t idx, b;

	if (f == NULL || key == NULL)
		return -EINVAL;
	if (index_find(f, key)) {
		f->st.merged++;
		return -EALREADY;
	}
	if (f->st.queued >= f->max_queued || f->free_head == NONE) {
		f->st.dropped++;
		return -ENOBUFS;
	}
	idx = f->free_head;
	e = &f->entries[idx];
	f->free_head = e->next;
	memcpy(e->key, key, WGJIT_KEY_LEN);
	b = bucket_of(f, key);
	e->hash_next = f->buckets[b];
	f->buckets[b] = idx;
	e->next = NONE;
	if (f->queue_tail == NONE)
		f->queue_head = idx;
	else
		f->entries[f->queue_tail].next = idx;
	f->queue_tail = idx;
	f->st.queued++;
	return 0;
}

/* --- Transfers ---------------------------------------------------------- */

static void
refill(struct wgjit_fetch *f)
{
	uint64_t now = wgjit_clock_mono_ns();
	double dt = (double)(now - f->last_refill_ns) / 1e9;

	f->last_refill_ns = now;
	f->tokens += dt * f->max_per_second;
	if (f->tokens > f->max_per_second)
		f->tokens = f->max_per_second;
}

static struct xfer *
idle_xfer(struct wgjit_fetch *f)
{
	for (unsigned int i = 0; i < f->max_inflight; i++)
		if (f->xfers[i].entry == NONE)
			return &f->xfers[i];
	return NULL;
}

/* Release the entry and the slot, then report. Returns 1 (one callback). */
static int
complete(struct wgjit_fetch *f, struct xfer *x, enum wgjit_fetch_result r,
		const struct wgjit_peer *cfg, const char *reason,
		wgjit_fetch_done_t cb, void *arg)
{
	uint8_t key[WGJIT_KEY_LEN];
	uint32_t idx = x->entry;

	memcpy(key, f->entries[idx].key, WGJIT_KEY_LEN);
	index_remove(f, idx);
	f->entries[idx].next = f->free_head;
	f->free_head = idx;
	sodium_memzero(x->body, x->len);
	x->len = 0;
	x->entry = NONE;
	f->st.in_flight--;
	if (r == WGJIT_FETCH_OK)
		f->st.ok++;
	else if (r == WGJIT_FETCH_NOT_FOUND)
		f->st.not_found++;
	else
		f->st.transient++;
	cb(arg, key, r, cfg, reason);
	return 1;
}

static int
start(struct wgjit_fetch *f, struct xfer *x, uint32_t idx,
		wgjit_fetch_done_t cb, void *arg)
{
	char b64[WGJIT_KEY_B64URL_SIZE];

	wgjit_key_to_base64url(b64, f->entries[idx].key);
	snprintf(x->url, MAX_URL, "%s" URL_PATH "%s", f->base_url, b64);
	x->entry = idx;
	x->len = 0;
	x->overflow = false;
	x->errbuf[0] = '\0';
	f->st.in_flight++;
	f->st.requests++;
	if (curl_easy_setopt(x->easy, CURLOPT_URL, x->url) != CURLE_OK ||
			curl_multi_add_handle(f->multi, x->easy) != CURLM_OK)
		return complete(f, x, WGJIT_FETCH_TRANSIENT, NULL,
				"transfer failed: cannot start", cb, arg);
	return 0;
}

static int
start_queued(struct wgjit_fetch *f, wgjit_fetch_done_t cb, void *arg)
{
	struct xfer *x;
	uint32_t idx;
	int done = 0;

	refill(f);
	while (f->queue_head != NONE && f->tokens >= 1.0 &&
			(x = idle_xfer(f)) != NULL) {
		idx = f->queue_head;
		f->queue_head = f->entries[idx].next;
		if (f->queue_head == NONE)
			f->queue_tail = NONE;
		f->st.queued--;
		f->tokens -= 1.0;
		done += start(f, x, idx, cb, arg);
	}
	return done;
}

static enum wgjit_fetch_result
classify(struct xfer *x, CURLcode rc, struct wgjit_peer *peer,
		const uint8_t key[WGJIT_KEY_LEN], char *reason, size_t rlen)
{
	const char *detail = x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc);
	char err[WGJIT_PEER_JSON_ERR_SIZE];
	long status = 0;

	if (x->overflow || rc == CURLE_FILESIZE_EXCEEDED) {
		snprintf(reason, rlen, "answer over %d bytes",
				WGJIT_FETCH_MAX_BODY);
		return WGJIT_FETCH_TRANSIENT;
	}
	switch (rc) {
	case CURLE_OK:
		break;
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(reason, rlen, "timeout: %s", detail);
		return WGJIT_FETCH_TRANSIENT;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		snprintf(reason, rlen, "connect failed: %s", detail);
		return WGJIT_FETCH_TRANSIENT;
	default:
		snprintf(reason, rlen, "transfer failed: %s", detail);
		return WGJIT_FETCH_TRANSIENT;
	}
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	if (status == 404) {
		snprintf(reason, rlen, "not found");
		return WGJIT_FETCH_NOT_FOUND;
	}
	if (status != 200) {
		snprintf(reason, rlen, "HTTP %ld", status);
		return WGJIT_FETCH_TRANSIENT;
	}
	if (wgjit_peer_json_parse(x->body, x->len, key, peer, err,
			sizeof(err)) != 0) {
		snprintf(reason, rlen, "bad answer: %s", err);
		return WGJIT_FETCH_TRANSIENT;
	}
	return WGJIT_FETCH_OK;
}

static int
collect(struct wgjit_fetch *f, wgjit_fetch_done_t cb, void *arg)
{
	char reason[REASON_SIZE];
	struct wgjit_peer peer;
	enum wgjit_fetch_result r;
	struct xfer *x;
	CURLMsg *m;
	CURLcode rc;
	CURL *easy;
	int left, done = 0;

	while ((m = curl_multi_info_read(f->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		easy = m->easy_handle;
		rc = m->data.result;	/* m is invalid after remove_handle */
		x = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
		curl_multi_remove_handle(f->multi, easy);
		if (x == NULL || x->entry == NONE)
			continue;
		reason[0] = '\0';
		r = classify(x, rc, &peer, f->entries[x->entry].key, reason,
				sizeof(reason));
		done += complete(f, x, r, r == WGJIT_FETCH_OK ? &peer : NULL,
				r == WGJIT_FETCH_OK ? NULL : reason, cb, arg);
		wgjit_peer_clear(&peer);
	}
	return done;
}

int
wgjit_fetch_poll(struct wgjit_fetch *f, wgjit_fetch_done_t cb, void *arg)
{
	int running, done;

	if (f == NULL || cb == NULL)
		return -EINVAL;
	done = start_queued(f, cb, arg);
	if (curl_multi_perform(f->multi, &running) != CURLM_OK)
		return -EIO;
	done += collect(f, cb, arg);
	/* Slots freed above: start the next ones now rather than next poll. */
	if (f->queue_head != NONE && f->st.in_flight < f->max_inflight) {
		done += start_queued(f, cb, arg);
		if (curl_multi_perform(f->multi, &running) != CURLM_OK)
			return -EIO;
	}
	return done;
}

void
wgjit_fetch_stats_get(const struct wgjit_fetch *f, struct wgjit_fetch_stats *st)
{
	*st = f->st;
}

const char *
wgjit_fetch_result_str(enum wgjit_fetch_result r)
{
	switch (r) {
	case WGJIT_FETCH_OK:
		return "ok";
	case WGJIT_FETCH_NOT_FOUND:
		return "not_found";
	case WGJIT_FETCH_TRANSIENT:
		return "transient";
	}
	return "?";
}
