/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_FETCH_H
#define WGJIT_FETCH_H

/**
 * @file
 * Fetch peer configurations from the control plane
 * (docs/control-plane-api.md): `GET {base_url}/v1/peers/{key}` with the
 * key in unpadded base64url, over libcurl's multi interface.
 *
 * Threading: every function must be called from one thread, the control
 * lcore. Nothing here blocks: wgjit_fetch_request() only queues, and
 * wgjit_fetch_poll() runs curl_multi_perform() once (non-blocking sockets,
 * no wait), starts queued requests within max_inflight and the
 * per-second cap (a token bucket of max_per_second tokens, refilled at
 * max_per_second per second), and reports finished ones through a
 * callback. Name resolution does not block when libcurl has an
 * asynchronous resolver (Debian's has); use a literal address otherwise.
 *
 * Connections: a pool of at most max_inflight connections, kept and
 * reused (HTTP/1.1 keep-alive, TCP keep-alive); over TLS HTTP/2 is offered
 * (ALPN) and, when the server speaks it, requests are multiplexed as
 * streams on few connections. Each in-flight slot owns one easy handle for
 * the lifetime of the fetcher.
 *
 * Priority: two classes of requests, each a FIFO. Keys that were valid
 * before (WGJIT_FETCH_RETURNING) are started first; never-seen keys
 * (WGJIT_FETCH_NEW, which anyone can mint) may use at most new_share
 * percent of the queue, of the transfer slots and of the per-second
 * budget, so a flood of them never keeps a returning client waiting.
 *
 * Transport: https:// is required unless the host is a loopback address
 * (or allow_http is set: the token and the peers' preshared keys then
 * cross the network in clear). Proxy environment variables (http_proxy,
 * ALL_PROXY, ...) are ignored; only params.proxy is used.
 *
 * Secrets: the bearer token and every received body are cleared with
 * sodium_memzero() once used; the peer handed to the callback lives on the
 * stack of wgjit_fetch_poll() and is cleared when the callback returns.
 * libcurl's and the TLS library's own buffers are not under our control.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wgjit_key.h"
#include "wgjit_peer.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Largest answer body accepted; a larger one aborts the transfer. */
#define WGJIT_FETCH_MAX_BODY (64 * 1024)
/** Upper bounds on the parameters. */
#define WGJIT_FETCH_LIMIT_INFLIGHT 256
#define WGJIT_FETCH_LIMIT_QUEUED 65536
/** Largest token file. */
#define WGJIT_FETCH_MAX_TOKEN 4096

/** Outcome of one fetch, given to the callback. */
enum wgjit_fetch_result {
	/** 200 with a valid configuration for the key asked. */
	WGJIT_FETCH_OK = 0,
	/** 404: the control plane does not know the key. */
	WGJIT_FETCH_NOT_FOUND,
	/** Anything else; try again later. The reason says what. */
	WGJIT_FETCH_TRANSIENT,
};

/** Request classes, in the order they are started. */
enum wgjit_fetch_class {
	WGJIT_FETCH_RETURNING = 0,	/**< a key valid before */
	WGJIT_FETCH_NEW = 1,		/**< a key never answered */
	WGJIT_FETCH_NB_CLASSES,
};

/** Buffer size for wgjit_fetch_create()'s message. */
#define WGJIT_FETCH_ERR_SIZE 256

/** Configuration; strings are copied by wgjit_fetch_create(). */
struct wgjit_fetch_params {
	/** "http://host:port" or "https://host:port[/prefix]"; required. */
	const char *base_url;
	/** File holding the bearer token (white space trimmed); NULL: none. */
	const char *token_file;
	/** CA bundle for TLS; NULL: the system store. Peers are verified. */
	const char *ca_file;
	/* Zero fields below take the defaults of wgjit_defaults.h
	 * (WGJIT_DEFAULT_CP_*). */
	/** Whole transfer timeout. */
	unsigned int timeout_ms;
	/** Connect timeout. */
	unsigned int connect_timeout_ms;
	/** Concurrent transfers, 1..256. */
	unsigned int max_inflight;
	/** Transfers started per second (burst as large). */
	unsigned int max_per_second;
	/** Requests waiting to start, 1..65536. */
	unsigned int max_queued;
	/** Percent of queue, slots and rate for WGJIT_FETCH_NEW, 1..100. */
	unsigned int new_share;
	/** Accept http:// to a host that is not a loopback address. */
	bool allow_http;
	/** Proxy URL for libcurl; NULL or "": none, whatever the
	 * environment says. */
	const char *proxy;
};

/** Counters since creation; in_flight and queued are current values. */
struct wgjit_fetch_stats {
	uint64_t requests;	/**< HTTP transfers started */
	uint64_t ok;		/**< finished WGJIT_FETCH_OK */
	uint64_t not_found;	/**< finished WGJIT_FETCH_NOT_FOUND */
	uint64_t transient;	/**< finished WGJIT_FETCH_TRANSIENT */
	uint64_t merged;	/**< wgjit_fetch_request() -> -EALREADY */
	uint64_t dropped;	/**< wgjit_fetch_request() -> -ENOBUFS */
	uint64_t connects;	/**< connections opened */
	uint64_t http2;		/**< transfers done over HTTP/2 */
	uint32_t in_flight;	/**< transfers running now */
	uint32_t queued;	/**< requests waiting to start */
	uint32_t queued_new;	/**< of which WGJIT_FETCH_NEW */
};

struct wgjit_fetch;

/**
 * Completion callback, called from wgjit_fetch_poll().
 *
 * @param key
 *   The key asked (valid during the call only).
 * @param cfg
 *   The configuration for WGJIT_FETCH_OK, else NULL. Valid during the call
 *   only, cleared afterwards: copy what you keep.
 * @param reason
 *   NULL for WGJIT_FETCH_OK, else a short text ("not found",
 *   "HTTP 503", "timeout: ...", "connect failed: ...", "answer over 65536
 *   bytes", "bad answer: ...", "transfer failed: ..."). Never holds keys.
 *
 * The key is no longer queued or in flight when the callback runs, so the
 * callback may call wgjit_fetch_request() (also for the same key). It must
 * not call wgjit_fetch_poll() or wgjit_fetch_free().
 */
typedef void (*wgjit_fetch_done_t)(void *arg, const uint8_t key[WGJIT_KEY_LEN],
		enum wgjit_fetch_result result, const struct wgjit_peer *cfg,
		const char *reason);

/**
 * Create a fetcher. Reads the token file now. Init only (may block on the
 * file read); call curl_global_init() before, once per process.
 *
 * @return
 *   The fetcher, or NULL with errno and a one-line reason in @p err (may
 *   be NULL): EINVAL for bad parameters (base_url not http(s)://, http://
 *   to a host not on loopback without allow_http, limits out of range,
 *   token empty, too long or with characters outside 0x21..0x7e), EACCES
 *   for a token file others may read (ELOOP: a symlink; EFBIG: larger
 *   than WGJIT_FETCH_MAX_TOKEN), the file's errno when
 *   it cannot be read, ENOMEM.
 */
struct wgjit_fetch *wgjit_fetch_create(const struct wgjit_fetch_params *p,
		char *err, size_t errlen);

/**
 * Ask for a key's configuration. Only queues; wgjit_fetch_poll() starts it.
 *
 * @return
 *   0 when queued; -EALREADY when the key is already queued or in flight
 *   (merged: its one callback will come, counted in stats.merged);
 *   -ENOBUFS when the class's share of max_queued is waiting (counted in
 *   stats.dropped); -EINVAL for NULL arguments or a bad class.
 */
int wgjit_fetch_request(struct wgjit_fetch *f, const uint8_t key[WGJIT_KEY_LEN],
		enum wgjit_fetch_class cls);

/**
 * Do the pending work without blocking: start queued requests (returning
 * keys first, FIFO in each class) within the limits, move data, and call @p cb once per finished request.
 *
 * @return
 *   The number of callbacks made (>= 0), or -EINVAL (NULL arguments), or
 *   -EIO when libcurl's multi handle failed (then the fetcher is unusable).
 */
int wgjit_fetch_poll(struct wgjit_fetch *f, wgjit_fetch_done_t cb, void *arg);

/** Copy the counters. */
void wgjit_fetch_stats_get(const struct wgjit_fetch *f,
		struct wgjit_fetch_stats *st);

/** Name of a result ("ok", "not_found", "transient"). */
const char *wgjit_fetch_result_str(enum wgjit_fetch_result r);

/**
 * Abort every transfer, drop queued requests without callbacks, clear
 * secrets and free. NULL is a no-op.
 */
void wgjit_fetch_free(struct wgjit_fetch *f);

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_FETCH_H */
