/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * wgjit-inspect: identify every WireGuard handshake initiation in a pcap
 * with the gateway's private key, as the data path would.
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <pcap/pcap.h>
#include <sodium.h>

#include "wgjit_key.h"
#include "wgjit_noise.h"
#include "wgjit_parse.h"
#include "wgjit_peer.h"
#include "wgjit_pkt.h"

#define REPLAY_ENTRIES 65536
#define SS_CACHE_ENTRIES 4096

struct inspect_opts {
	const char *key_file;
	const char *capture;
	uint16_t port;
	bool json;
};

struct inspect_state {
	struct wgjit_noise_ctx *ctx;
	struct wgjit_replay_store replay;
	uint64_t counts[WGJIT_NOISE_VERDICT_MAX];
	uint64_t total;
	bool json;
};

static void
usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s --private-key FILE [--port PORT] [--json] CAPTURE.pcap\n"
		"  Identify WireGuard handshake initiations in a capture.\n"
		"  --private-key FILE  the gateway's key (wg genkey output)\n"
		"  --port PORT         WireGuard listen port (default 51820)\n"
		"  --json              one JSON object per initiation\n",
		prog);
}

static int
parse_args(int argc, char **argv, struct inspect_opts *o)
{
	static const struct option longopts[] = {
		{ "private-key", required_argument, NULL, 'k' },
		{ "port", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int port;
	int c;

	memset(o, 0, sizeof(*o));
	o->port = 51820;
	while ((c = getopt_long(argc, argv, "k:p:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'k':
			o->key_file = optarg;
			break;
		case 'p':
			if (wgjit_parse_uint(optarg, 65535, &port) < 0 ||
					port == 0) {
				fprintf(stderr, "wgjit-inspect: --port: '%s' "
					"is not a port (1-65535)\n", optarg);
				return -1;
			}
			o->port = (uint16_t)port;
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			usage(stdout, argv[0]);
			exit(0);
		default:
			usage(stderr, argv[0]);
			return -1;
		}
	}
	if (o->key_file == NULL || optind != argc - 1) {
		usage(stderr, argv[0]);
		return -1;
	}
	o->capture = argv[optind];
	return 0;
}

static void
format_utc(char *out, size_t size, int64_t sec, long nsec, int digits)
{
	struct tm tm;
	time_t t = (time_t)sec;
	char frac[16];
	int n;

	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(out, size, "invalid");
		return;
	}
	snprintf(frac, sizeof(frac), "%09ld", nsec);
	frac[digits] = '\0';
	n = (int)strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, size - n, ".%sZ", frac);
}

static void
report(struct inspect_state *st, const struct pcap_pkthdr *h,
		const struct wgjit_pkt_info *info, int verdict,
		const struct wgjit_noise_result *res, bool has_key)
{
	char when[64], src[WGJIT_ENDPOINT_STR_SIZE];
	char dst[WGJIT_ENDPOINT_STR_SIZE], key[WGJIT_KEY_B64_SIZE] = "-";
	char ts[64] = "-";
	const char *name = wgjit_noise_verdict_name(verdict);
	bool has_ts = verdict == WGJIT_NOISE_OK ||
		verdict == WGJIT_NOISE_REPLAY;

	format_utc(when, sizeof(when), h->ts.tv_sec, h->ts.tv_usec * 1000L, 6);
	wgjit_endpoint_format(src, &info->src);
	wgjit_endpoint_format(dst, &info->dst);
	if (has_key)
		wgjit_key_to_base64(key, res->public_key);
	if (has_ts) {
		uint32_t ns;
		int64_t s = wgjit_replay_tai64n_to_unix(res->tai64n, &ns);

		format_utc(ts, sizeof(ts), s, (long)ns, 9);
	}
	if (!st->json) {
		printf("%s %s -> %s %s %s %s\n", when, src, dst, name, key, ts);
		return;
	}
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}",
		"time", when, "src", src, "dst", dst, "verdict", name,
		"public_key", has_key ? json_string(key) : json_null(),
		"timestamp", has_ts ? json_string(ts) : json_null());
	char *line = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;

	if (line != NULL)
		printf("%s\n", line);
	free(line);
	json_decref(o);
}

static void
handle_frame(struct inspect_state *st, uint16_t port,
		const struct pcap_pkthdr *h, const uint8_t *frame)
{
	struct wgjit_pkt_info info;
	struct wgjit_noise_result res;
	enum wgjit_noise_verdict verdict;
	bool has_key;

	if (wgjit_pkt_classify(frame, h->caplen, port, &info) !=
			WGJIT_PKT_WG_INITIATION)
		return;
	memset(&res, 0, sizeof(res));
	verdict = wgjit_noise_accept(st->ctx, &st->replay,
		frame + info.payload_offset, info.payload_len, &res);
	has_key = verdict == WGJIT_NOISE_OK || verdict == WGJIT_NOISE_REPLAY ||
		verdict == WGJIT_NOISE_FORGED;
	st->counts[verdict]++;
	st->total++;
	report(st, h, &info, verdict, &res, has_key);
	sodium_memzero(&res, sizeof(res));
}

static void
print_summary(const struct inspect_state *st)
{
	FILE *f = st->json ? stderr : stdout;

	fprintf(f, "summary: %" PRIu64 " initiations", st->total);
	for (int v = 0; v < WGJIT_NOISE_VERDICT_MAX; v++)
		if (v != WGJIT_NOISE_IDENTIFIED)
			fprintf(f, ", %s %" PRIu64,
				wgjit_noise_verdict_name(v), st->counts[v]);
	fprintf(f, "\n");
}

int
main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct wgjit_noise_responder resp;
	struct wgjit_replay_table *table = NULL;
	struct inspect_state st;
	struct inspect_opts o;
	struct pcap_pkthdr *h;
	const uint8_t *frame;
	uint8_t priv[WGJIT_KEY_LEN];
	pcap_t *pc = NULL;
	char err[256];
	int ret, rc = 1;

	if (parse_args(argc, argv, &o) != 0)
		return 2;
	if (sodium_init() < 0) {
		fprintf(stderr, "wgjit-inspect: libsodium init failed\n");
		return 1;
	}
	memset(&st, 0, sizeof(st));
	st.json = o.json;
	ret = wgjit_key_read_file(priv, o.key_file, err, sizeof(err));
	if (ret != 0) {
		fprintf(stderr, "wgjit-inspect: --private-key: %s%s\n", err,
			ret == -EINVAL ? " (expected one base64 key as written "
			"by 'wg genkey')" : "");
		return 1;
	}
	ret = wgjit_noise_responder_init(&resp, priv);
	sodium_memzero(priv, sizeof(priv));
	if (ret != 0) {
		fprintf(stderr, "wgjit-inspect: unusable private key\n");
		return 1;
	}
	pc = pcap_open_offline(o.capture, errbuf);
	if (pc == NULL) {
		fprintf(stderr, "wgjit-inspect: %s: %s\n", o.capture, errbuf);
		goto out;
	}
	if (pcap_datalink(pc) != DLT_EN10MB) {
		fprintf(stderr, "wgjit-inspect: %s: link type %s is not "
			"supported (need Ethernet, DLT_EN10MB)\n", o.capture,
			pcap_datalink_val_to_name(pcap_datalink(pc)) ?: "?");
		goto out;
	}
	st.ctx = wgjit_noise_ctx_create(&resp, SS_CACHE_ENTRIES);
	table = wgjit_replay_table_create(REPLAY_ENTRIES);
	if (st.ctx == NULL || table == NULL) {
		fprintf(stderr, "wgjit-inspect: out of memory\n");
		goto out;
	}
	wgjit_replay_table_store(table, &st.replay);
	while ((ret = pcap_next_ex(pc, &h, &frame)) == 1)
		handle_frame(&st, o.port, h, frame);
	if (ret == PCAP_ERROR) {
		fprintf(stderr, "wgjit-inspect: %s: %s\n", o.capture,
			pcap_geterr(pc));
		goto out;
	}
	print_summary(&st);
	rc = 0;
out:
	if (pc != NULL)
		pcap_close(pc);
	wgjit_replay_table_free(table);
	wgjit_noise_ctx_free(st.ctx);
	wgjit_noise_responder_clear(&resp);
	return rc;
}
