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

#include <arpa/inet.h>

#include <curl/curl.h>
#include <sodium.h>

#include "wgjit_clock.h"
#include "wgjit_defaults.h"
#include "wgjit_err.h"
#include "wgjit_fetch.h"
#include "wgjit_peer_json.h"
#include "wgjit_secret.h"

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
	uint32_t cls;		/* enum wgjit_fetch_class */
};

/* One class's queue and limits. */
struct class_q {
	uint32_t head, tail;
	uint32_t queued, in_flight;
	unsigned int max_queued, max_inflight;
	double tokens, rate;
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
	struct class_q q[WGJIT_FETCH_NB_CLASSES];
	double tokens;		/* all classes */
	uint64_t last_refill_ns;
	uint8_t hash_key[WGJIT_KEY_HASH_SECRET_LEN];
	struct wgjit_fetch_stats st;
};

/* --- Creation ----------------------------------------------------------- */

/* Is the host of @p url (after the scheme) a loopback address? */
static bool
host_is_loopback(const char *url)
{
	const char *h = strstr(url, "://") + 3, *end;
	char host[256];
	struct in_addr a4;
	struct in6_addr a6;
	size_t n;

	if (*h == '[') {
		end = strchr(h, ']');
		h++;
	} else {
		end = h + strcspn(h, ":/?#");
	}
	if (end == NULL || (n = (size_t)(end - h)) == 0 || n >= sizeof(host))
		return false;
	memcpy(host, h, n);
	host[n] = '\0';
	if (strcasecmp(host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, host, &a6) == 1 &&
		IN6_IS_ADDR_LOOPBACK(&a6);
}

static int
check_base_url(const char *url, bool allow_http, char *err, size_t errlen)
{
	size_t len;

	if (url == NULL)
		return wgjit_errf(err, errlen, -EINVAL, "no URL");
	len = strlen(url);
	if (len + sizeof(URL_PATH) + WGJIT_KEY_B64URL_SIZE > MAX_URL)
		return wgjit_errf(err, errlen, -EINVAL, "URL too long");
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f)
			return wgjit_errf(err, errlen, -EINVAL,
				"URL has a space or a control character");
	if (strncasecmp(url, "https://", 8) == 0)
		return 0;
	if (strncasecmp(url, "http://", 7) != 0)
		return wgjit_errf(err, errlen, -EINVAL,
			"URL must start with https:// (or http:// on loopback)");
	if (!allow_http && !host_is_loopback(url))
		return wgjit_errf(err, errlen, -EINVAL, "http:// to a host that "
			"is not a loopback address sends the token and preshared "
			"keys in clear: use https:// (or set "
			"control_plane.allow_http = true)");
	return 0;
}

/* Read the token file into "Authorization: Bearer <token>" in @p hdr. */
static int
read_token_header(const char *path, char *hdr, size_t hdrlen, char *err,
		size_t errlen)
{
	char buf[WGJIT_FETCH_MAX_TOKEN + 1];
	size_t len, start = 0;
	int ret;

	ret = wgjit_secret_read(path, buf, sizeof(buf), err, errlen);
	len = ret > 0 ? (size_t)ret : 0;
	if (ret == 0)
		ret = wgjit_errf(err, errlen, -EINVAL, "token file %s is empty",
			path);
	else if (ret > 0)
		ret = 0;
	while (ret == 0 && len > 0 && (buf[len - 1] == '\n' ||
			buf[len - 1] == '\r' || buf[len - 1] == ' ' ||
			buf[len - 1] == '\t'))
		len--;
	while (ret == 0 && start < len && (buf[start] == ' ' ||
			buf[start] == '\t' || buf[start] == '\n' || buf[start] == '\r'))
		start++;
	if (ret == 0 && start == len)
		ret = wgjit_errf(err, errlen, -EINVAL,
			"token file %s holds only white space", path);
	for (size_t i = start; ret == 0 && i < len; i++)
		if ((unsigned char)buf[i] < 0x21 || (unsigned char)buf[i] > 0x7e)
			ret = wgjit_errf(err, errlen, -EINVAL, "token file %s: "
				"a character outside 0x21..0x7e", path);
	if (ret == 0 && snprintf(hdr, hdrlen, AUTH_PREFIX "%.*s",
			(int)(len - start), buf + start) >= (int)hdrlen)
		ret = wgjit_errf(err, errlen, -EINVAL, "token too long");
	sodium_memzero(buf, sizeof(buf));
	return ret;
}

static int
build_headers(struct wgjit_fetch *f, const char *token_file, char *err,
		size_t errlen)
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
	ret = read_token_header(token_file, hdr, sizeof(hdr), err, errlen);
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
	/* HTTP/2 over TLS when the server offers it; wait for a stream on
	 * a connection being set up rather than opening another. */
	bad |= curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
			(long)CURL_HTTP_VERSION_2TLS);
	bad |= curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	bad |= curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	bad |= curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	/* "" is no proxy at all: the environment's variables are ignored. */
	bad |= curl_easy_setopt(e, CURLOPT_PROXY,
			p->proxy != NULL ? p->proxy : "");
	if (p->ca_file != NULL)
		bad |= curl_easy_setopt(e, CURLOPT_CAINFO, p->ca_file);
	return bad ? -EINVAL : 0;
}

static int
check_params(const struct wgjit_fetch_params *p, char *err, size_t errlen)
{
	int ret;

	if (p == NULL)
		return wgjit_errf(err, errlen, -EINVAL, "no parameters");
	ret = check_base_url(p->base_url, p->allow_http, err, errlen);
	if (ret < 0)
		return ret;
	if (p->max_inflight > WGJIT_FETCH_LIMIT_INFLIGHT ||
			p->max_queued > WGJIT_FETCH_LIMIT_QUEUED ||
			p->new_share > 100)
		return wgjit_errf(err, errlen, -EINVAL, "limits out of range");
	if (p->ca_file != NULL && p->ca_file[0] == '\0')
		return wgjit_errf(err, errlen, -EINVAL, "empty CA file name");
	return 0;
}

/* A class's share of @p n, at least 1. */
static unsigned int
share(unsigned int n, unsigned int pct)
{
	unsigned int s = (unsigned int)((uint64_t)n * pct / 100);

	return s > 0 ? s : 1;
}

static void
init_classes(struct wgjit_fetch *f, unsigned int new_share)
{
	for (int c = 0; c < WGJIT_FETCH_NB_CLASSES; c++) {
		struct class_q *q = &f->q[c];
		unsigned int pct = c == WGJIT_FETCH_NEW ? new_share : 100;

		q->head = q->tail = NONE;
		q->max_queued = share(f->max_queued, pct);
		q->max_inflight = share(f->max_inflight, pct);
		q->rate = (double)share(f->max_per_second, pct);
		q->tokens = q->rate;
	}
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
	wgjit_key_hash_secret(f->hash_key);
	return 0;
}

struct wgjit_fetch *
wgjit_fetch_create(const struct wgjit_fetch_params *p, char *err,
		size_t errlen)
{
	struct wgjit_fetch *f;
	size_t len;
	int ret;

	ret = check_params(p, err, errlen);
	if (ret == 0 && sodium_init() < 0)
		ret = wgjit_errf(err, errlen, -ENOMEM, "sodium_init failed");
	if (ret != 0) {
		errno = -ret;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL) {
		wgjit_errf(err, errlen, -ENOMEM, "out of memory");
		return NULL;
	}
	f->max_inflight = p->max_inflight ? p->max_inflight :
		WGJIT_DEFAULT_CP_MAX_INFLIGHT;
	f->max_queued = p->max_queued ? p->max_queued :
		WGJIT_DEFAULT_CP_MAX_QUEUED;
	f->max_per_second = p->max_per_second ? p->max_per_second :
		WGJIT_DEFAULT_CP_MAX_PER_SECOND;
	f->tokens = f->max_per_second;
	f->last_refill_ns = wgjit_clock_mono_ns();
	init_classes(f, p->new_share ? p->new_share :
		WGJIT_DEFAULT_CP_NEW_KEY_SHARE);
	f->base_url = strdup(p->base_url);
	ret = f->base_url == NULL ? -ENOMEM : 0;
	if (ret == 0) {
		len = strlen(f->base_url);
		while (len > 0 && f->base_url[len - 1] == '/')
			f->base_url[--len] = '\0';
		ret = init_tables(f);
	}
	if (ret == 0)
		ret = build_headers(f, p->token_file, err, errlen);
	if (ret == 0) {
		/* The pool: max_inflight connections at most, kept open;
		 * HTTP/2 streams multiplexed on them. */
		f->multi = curl_multi_init();
		if (f->multi == NULL ||
				curl_multi_setopt(f->multi, CURLMOPT_MAXCONNECTS,
					(long)f->max_inflight) != CURLM_OK ||
				curl_multi_setopt(f->multi,
					CURLMOPT_MAX_HOST_CONNECTIONS,
					(long)f->max_inflight) != CURLM_OK ||
				curl_multi_setopt(f->multi, CURLMOPT_PIPELINING,
					(long)CURLPIPE_MULTIPLEX) != CURLM_OK)
			ret = wgjit_errf(err, errlen, -ENOMEM,
				"cannot set up libcurl");
	}
	for (unsigned int i = 0; ret == 0 && i < f->max_inflight; i++) {
		ret = setup_xfer(f, &f->xfers[i], p);
		if (ret < 0)
			wgjit_errf(err, errlen, ret, "cannot set up a transfer");
	}
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
wgjit_fetch_request(struct wgjit_fetch *f, const uint8_t key[WGJIT_KEY_LEN],
		enum wgjit_fetch_class cls)
{
	struct class_q *q;
	struct entry *e;
	uint32_t idx, b;

	if (f == NULL || key == NULL || (unsigned int)cls >= WGJIT_FETCH_NB_CLASSES)
		return -EINVAL;
	if (index_find(f, key)) {
		f->st.merged++;
		return -EALREADY;
	}
	q = &f->q[cls];
	if (q->queued >= q->max_queued || f->st.queued >= f->max_queued ||
			f->free_head == NONE) {
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
	e->cls = cls;
	if (q->tail == NONE)
		q->head = idx;
	else
		f->entries[q->tail].next = idx;
	q->tail = idx;
	q->queued++;
	f->st.queued++;
	if (cls == WGJIT_FETCH_NEW)
		f->st.queued_new++;
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
	for (int c = 0; c < WGJIT_FETCH_NB_CLASSES; c++) {
		struct class_q *q = &f->q[c];

		q->tokens += dt * q->rate;
		if (q->tokens > q->rate)
			q->tokens = q->rate;
	}
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
	f->q[f->entries[idx].cls].in_flight--;
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
	f->q[f->entries[idx].cls].in_flight++;
	f->st.requests++;
	if (curl_easy_setopt(x->easy, CURLOPT_URL, x->url) != CURLE_OK ||
			curl_multi_add_handle(f->multi, x->easy) != CURLM_OK)
		return complete(f, x, WGJIT_FETCH_TRANSIENT, NULL,
				"transfer failed: cannot start", cb, arg);
	return 0;
}

/* The class to start next: returning keys first, each within its
 * share; -1 when none may start now. */
static int
next_class(const struct wgjit_fetch *f)
{
	for (int c = 0; c < WGJIT_FETCH_NB_CLASSES; c++) {
		const struct class_q *q = &f->q[c];

		if (q->head != NONE && q->tokens >= 1.0 &&
				q->in_flight < q->max_inflight)
			return c;
	}
	return -1;
}

static int
start_queued(struct wgjit_fetch *f, wgjit_fetch_done_t cb, void *arg)
{
	struct class_q *q;
	struct xfer *x;
	uint32_t idx;
	int c, done = 0;

	refill(f);
	while (f->tokens >= 1.0 && (c = next_class(f)) >= 0 &&
			(x = idle_xfer(f)) != NULL) {
		q = &f->q[c];
		idx = q->head;
		q->head = f->entries[idx].next;
		if (q->head == NONE)
			q->tail = NONE;
		q->queued--;
		f->st.queued--;
		if (c == WGJIT_FETCH_NEW)
			f->st.queued_new--;
		f->tokens -= 1.0;
		q->tokens -= 1.0;
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

/* How the finished transfer went over the wire (stats.connects, http2). */
static void
count_connection(struct wgjit_fetch *f, CURL *easy)
{
	long connects = 0, version = 0;

	if (curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &connects) ==
			CURLE_OK && connects > 0)
		f->st.connects += (uint64_t)connects;
	if (curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &version) ==
			CURLE_OK && version == CURL_HTTP_VERSION_2_0)
		f->st.http2++;
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
		count_connection(f, easy);
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
	if (f->st.queued > 0 && f->st.in_flight < f->max_inflight) {
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
