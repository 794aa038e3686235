/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * Exercise a live WireGuard device through wgjit_wg.h.
 *
 *   test_wg_live --kind kernel|uapi --ifname IF [--keep]
 *       The device must have a private key and a listen port. Installs
 *       peers (v4/v6 endpoints, several allowed IPs, PSK, keepalive),
 *       reads them back field by field, updates, installs 2000 peers,
 *       removes singly and in a batch. --keep then leaves three sample
 *       peers installed. Prints "FAIL ..." lines; exit 1 on failure.
 *   test_wg_live --kind K --ifname IF --dump
 *       Print the device as `wg show IF dump` does.
 *   test_wg_live --kind K --ifname IF --add-peer B64 [--endpoint EP]
 *           [--keepalive N] [--allowed-ip CIDR]...
 *       Install one peer in one set and exit.
 */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "wgjit_wg.h"

#define NB_BULK 2000

static int failures;

#define CHECK(cond, fmt, ...) do { \
	if (!(cond)) { \
		printf("FAIL %s:%d: " fmt "\n", __func__, __LINE__, \
			##__VA_ARGS__); \
		failures++; \
	} \
} while (0)

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void
add_ip(struct wgjit_peer *p, const char *text)
{
	if (wgjit_allowed_ip_parse(&p->allowed_ips[p->nb_allowed_ips],
			text) != 0) {
		printf("FAIL bad allowed IP %s\n", text);
		exit(2);
	}
	p->nb_allowed_ips++;
}

static const struct wgjit_wg_peer *
find(const struct wgjit_wg_device *dev, const uint8_t key[WGJIT_KEY_LEN])
{
	for (unsigned int i = 0; i < dev->nb_peers; i++)
		if (memcmp(dev->peers[i].public_key, key, WGJIT_KEY_LEN) == 0)
			return &dev->peers[i];
	return NULL;
}

static bool
has_ip(const struct wgjit_wg_device *dev, const struct wgjit_wg_peer *p,
		const struct wgjit_allowed_ip *aip)
{
	const struct wgjit_allowed_ip *ips = wgjit_wg_peer_aips(dev, p);
	size_t alen = aip->family == AF_INET ? 4 : 16;

	for (unsigned int i = 0; i < p->nb_allowed_ips; i++)
		if (ips[i].family == aip->family && ips[i].cidr == aip->cidr &&
				memcmp(&ips[i].ip6, &aip->ip6, alen) == 0)
			return true;
	return false;
}

/* Compare what the device reports with what was installed. */
static void
compare(const struct wgjit_wg_device *dev, const struct wgjit_peer *want,
		const char *name)
{
	const struct wgjit_wg_peer *got = find(dev, want->public_key);
	const uint32_t has = WGJIT_PEER_HAS_PRESHARED_KEY |
		WGJIT_PEER_HAS_KEEPALIVE | WGJIT_PEER_HAS_ENDPOINT;
	char a[WGJIT_ENDPOINT_STR_SIZE], b[WGJIT_ENDPOINT_STR_SIZE];

	CHECK(got != NULL, "peer %s missing", name);
	if (got == NULL)
		return;
	CHECK(got->flags == (want->flags & has), "peer %s flags %#x, want %#x",
			name, got->flags, want->flags & has);
	if (want->flags & WGJIT_PEER_HAS_PRESHARED_KEY)
		CHECK(sodium_memcmp(got->preshared_key, want->preshared_key,
				WGJIT_KEY_LEN) == 0, "peer %s PSK differs",
				name);
	CHECK(got->persistent_keepalive == want->persistent_keepalive,
			"peer %s keepalive %u, want %u", name,
			got->persistent_keepalive, want->persistent_keepalive);
	if (want->flags & WGJIT_PEER_HAS_ENDPOINT) {
		wgjit_endpoint_format(a, &got->endpoint);
		wgjit_endpoint_format(b, &want->endpoint);
		CHECK(wgjit_endpoint_equal(&got->endpoint, &want->endpoint),
				"peer %s endpoint %s, want %s", name, a, b);
	}
	CHECK(got->nb_allowed_ips == want->nb_allowed_ips,
			"peer %s has %u allowed IPs, want %u", name,
			got->nb_allowed_ips, want->nb_allowed_ips);
	for (unsigned int i = 0; i < want->nb_allowed_ips; i++)
		CHECK(has_ip(dev, got, &want->allowed_ips[i]),
				"peer %s lacks allowed IP %u", name, i);
}

static int
get(struct wgjit_wg *wg, struct wgjit_wg_device *dev)
{
	int ret = wgjit_wg_get_device(wg, dev);

	CHECK(ret == 0, "get_device: %d (%s)", ret, wgjit_wg_errmsg(wg));
	return ret;
}

static int
set(struct wgjit_wg *wg, const struct wgjit_peer *p, unsigned int n)
{
	int ret = wgjit_wg_set_peers(wg, p, n);

	CHECK(ret == 0, "set_peers(%u): %d (%s)", n, ret,
			wgjit_wg_errmsg(wg));
	return ret;
}

static void
make_samples(struct wgjit_peer s[3])
{
	char text[WGJIT_ALLOWED_IP_STR_SIZE];

	memset(s, 0, 3 * sizeof(s[0]));
	for (int i = 0; i < 3; i++)
		randombytes_buf(s[i].public_key, WGJIT_KEY_LEN);
	randombytes_buf(s[0].preshared_key, WGJIT_KEY_LEN);
	wgjit_endpoint_parse(&s[0].endpoint, "192.0.2.1:51820");
	s[0].persistent_keepalive = 25;
	add_ip(&s[0], "10.201.0.0/24");
	add_ip(&s[0], "10.201.1.1/32");
	add_ip(&s[0], "fd00:201::/64");
	s[0].flags = WGJIT_PEER_HAS_PRESHARED_KEY | WGJIT_PEER_HAS_KEEPALIVE |
		WGJIT_PEER_HAS_ENDPOINT | WGJIT_PEER_REPLACE_ALLOWED_IPS;
	wgjit_endpoint_parse(&s[1].endpoint, "[2001:db8::2]:4242");
	add_ip(&s[1], "10.202.0.0/16");
	add_ip(&s[1], "fd00:202::1/128");
	s[1].flags = WGJIT_PEER_HAS_ENDPOINT | WGJIT_PEER_REPLACE_ALLOWED_IPS;
	for (int i = 0; i < WGJIT_PEER_MAX_ALLOWED_IPS; i++) {
		snprintf(text, sizeof(text), "10.203.%d.0/24", i);
		add_ip(&s[2], text);
	}
}

static void
test_samples(struct wgjit_wg *wg, struct wgjit_peer s[3])
{
	static const char *const names[3] = { "A(v4,psk,ka)", "B(v6)",
		"C(32 IPs)" };
	struct wgjit_wg_device dev;
	struct wgjit_peer d, bad;

	if (set(wg, s, 3) != 0 || get(wg, &dev) != 0)
		return;
	for (int i = 0; i < 3; i++)
		compare(&dev, &s[i], names[i]);
	wgjit_wg_device_free(&dev);

	/* Replace B's allowed IPs; update-only must not create D. */
	s[1].nb_allowed_ips = 0;
	add_ip(&s[1], "10.209.0.0/24");
	memset(&d, 0, sizeof(d));
	randombytes_buf(d.public_key, WGJIT_KEY_LEN);
	add_ip(&d, "10.208.0.0/24");
	d.flags = WGJIT_PEER_UPDATE_ONLY;
	if (set(wg, &s[1], 1) != 0 || set(wg, &d, 1) != 0 ||
			get(wg, &dev) != 0)
		return;
	compare(&dev, &s[0], names[0]);
	compare(&dev, &s[1], "B after replace");
	CHECK(find(&dev, d.public_key) == NULL, "update-only created a peer");
	wgjit_wg_device_free(&dev);

	/* A bad peer is refused before anything is sent. */
	bad = d;
	bad.flags = 0;
	bad.nb_allowed_ips = WGJIT_PEER_MAX_ALLOWED_IPS + 1;
	CHECK(wgjit_wg_set_peers(wg, &bad, 1) == -EINVAL,
			"33 allowed IPs accepted");
	CHECK(strlen(wgjit_wg_errmsg(wg)) > 0, "no error message");
}

static void
test_bulk_and_remove(struct wgjit_wg *wg, struct wgjit_peer s[3],
		unsigned int baseline)
{
	struct wgjit_peer *bulk = calloc(NB_BULK + 3, sizeof(*bulk));
	struct wgjit_wg_device dev;
	char text[WGJIT_ALLOWED_IP_STR_SIZE];
	unsigned int found = 0;
	double t0;

	if (bulk == NULL) {
		CHECK(0, "calloc");
		return;
	}
	for (unsigned int i = 0; i < NB_BULK; i++) {
		randombytes_buf(bulk[i].public_key, WGJIT_KEY_LEN);
		snprintf(text, sizeof(text), "10.150.%u.%u/32", i >> 8,
				i & 255);
		add_ip(&bulk[i], text);
		snprintf(text, sizeof(text), "fd00:150::%x/128", i);
		add_ip(&bulk[i], text);
	}
	t0 = now_ms();
	if (set(wg, bulk, NB_BULK) != 0)
		goto out;
	printf("ok   set %d peers in %.1f ms\n", NB_BULK, now_ms() - t0);
	t0 = now_ms();
	if (get(wg, &dev) != 0)
		goto out;
	printf("ok   dumped %u peers in %.1f ms\n", dev.nb_peers,
			now_ms() - t0);
	CHECK(dev.nb_peers == baseline + 3 + NB_BULK, "%u peers, want %u",
			dev.nb_peers, baseline + 3 + NB_BULK);
	for (unsigned int i = 0; i < NB_BULK; i++) {
		const struct wgjit_wg_peer *p = find(&dev, bulk[i].public_key);

		if (p != NULL && p->nb_allowed_ips == 2 &&
				has_ip(&dev, p, &bulk[i].allowed_ips[0]) &&
				has_ip(&dev, p, &bulk[i].allowed_ips[1]))
			found++;
	}
	CHECK(found == NB_BULK, "%u of %d bulk peers read back intact", found,
			NB_BULK);
	wgjit_wg_device_free(&dev);

	/* Remove A alone, then everything else in one batch. */
	s[0].flags = WGJIT_PEER_REMOVE;
	if (set(wg, &s[0], 1) != 0 || get(wg, &dev) != 0)
		goto out;
	CHECK(find(&dev, s[0].public_key) == NULL, "A still there");
	CHECK(find(&dev, s[1].public_key) != NULL, "B gone with A");
	CHECK(dev.nb_peers == baseline + 2 + NB_BULK, "%u peers after one",
			dev.nb_peers);
	wgjit_wg_device_free(&dev);
	bulk[NB_BULK] = s[1];
	bulk[NB_BULK + 1] = s[2];
	for (unsigned int i = 0; i < NB_BULK + 2; i++)
		bulk[i].flags = WGJIT_PEER_REMOVE;
	if (set(wg, bulk, NB_BULK + 2) != 0 || get(wg, &dev) != 0)
		goto out;
	CHECK(dev.nb_peers == baseline, "%u peers left, want %u",
			dev.nb_peers, baseline);
	wgjit_wg_device_free(&dev);
	printf("ok   removed 1 peer, then %d in one set\n", NB_BULK + 2);
out:
	sodium_memzero(bulk, (NB_BULK + 3) * sizeof(*bulk));
	free(bulk);
}

static void
print_dump(const struct wgjit_wg_device *dev)
{
	char k[WGJIT_KEY_B64_SIZE], p[WGJIT_KEY_B64_SIZE];
	char ep[WGJIT_ENDPOINT_STR_SIZE], ip[WGJIT_ALLOWED_IP_STR_SIZE];

	wgjit_key_to_base64(k, dev->private_key);
	wgjit_key_to_base64(p, dev->public_key);
	printf("%s\t%s\t%u\t", dev->flags & WGJIT_WG_DEVICE_HAS_PRIVATE_KEY ?
			k : "(none)", dev->flags &
			WGJIT_WG_DEVICE_HAS_PUBLIC_KEY ? p : "(none)",
			dev->listen_port);
	if (dev->fwmark != 0)
		printf("0x%x\n", dev->fwmark);
	else
		printf("off\n");
	sodium_memzero(k, sizeof(k));
	for (unsigned int i = 0; i < dev->nb_peers; i++) {
		const struct wgjit_wg_peer *pe = &dev->peers[i];

		wgjit_key_to_base64(p, pe->public_key);
		wgjit_key_to_base64(k, pe->preshared_key);
		wgjit_endpoint_format(ep, &pe->endpoint);
		printf("%s\t%s\t%s\t", p, pe->flags &
				WGJIT_PEER_HAS_PRESHARED_KEY ? k : "(none)",
				pe->flags & WGJIT_PEER_HAS_ENDPOINT ? ep :
				"(none)");
		for (unsigned int j = 0; j < pe->nb_allowed_ips; j++) {
			wgjit_allowed_ip_format(ip,
				&wgjit_wg_peer_aips(dev, pe)[j]);
			printf("%s%s", j > 0 ? "," : "", ip);
		}
		printf("%s\t%lld\t%llu\t%llu\t", pe->nb_allowed_ips == 0 ?
				"(none)" : "", (long long)pe->last_handshake_sec,
				(unsigned long long)pe->rx_bytes,
				(unsigned long long)pe->tx_bytes);
		if (pe->persistent_keepalive != 0)
			printf("%u\n", pe->persistent_keepalive);
		else
			printf("off\n");
		sodium_memzero(k, sizeof(k));
	}
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "ifname", required_argument, NULL, 'i' },
		{ "dump", no_argument, NULL, 'd' },
		{ "keep", no_argument, NULL, 'K' },
		{ "add-peer", required_argument, NULL, 'a' },
		{ "endpoint", required_argument, NULL, 'e' },
		{ "keepalive", required_argument, NULL, 'p' },
		{ "allowed-ip", required_argument, NULL, 'I' },
		{ NULL, 0, NULL, 0 },
	};
	const char *kind = NULL, *ifname = NULL;
	bool dump = false, keep = false, add = false;
	struct wgjit_peer one, samples[3];
	struct wgjit_wg_device dev;
	char err[WGJIT_WG_ERR_SIZE] = "";
	struct wgjit_wg *wg;
	unsigned int baseline;
	int c;

	memset(&one, 0, sizeof(one));
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'k': kind = optarg; break;
		case 'i': ifname = optarg; break;
		case 'd': dump = true; break;
		case 'K': keep = true; break;
		case 'a':
			add = true;
			if (wgjit_key_from_base64(one.public_key, optarg) != 0)
				goto usage;
			break;
		case 'e':
			if (wgjit_endpoint_parse(&one.endpoint, optarg) != 0)
				goto usage;
			one.flags |= WGJIT_PEER_HAS_ENDPOINT;
			break;
		case 'p':
			one.persistent_keepalive = (uint16_t)atoi(optarg);
			one.flags |= WGJIT_PEER_HAS_KEEPALIVE;
			break;
		case 'I':
			if (one.nb_allowed_ips >= WGJIT_PEER_MAX_ALLOWED_IPS)
				goto usage;
			add_ip(&one, optarg);
			break;
		default:
			goto usage;
		}
	}
	if (kind == NULL || ifname == NULL || optind != argc ||
			(strcmp(kind, "kernel") != 0 && strcmp(kind, "uapi") != 0))
		goto usage;
	if (sodium_init() < 0)
		return 2;
	wg = wgjit_wg_open(strcmp(kind, "kernel") == 0 ? WGJIT_WG_KERNEL :
			WGJIT_WG_UAPI, ifname, err, sizeof(err));
	if (wg == NULL) {
		printf("FAIL open %s: %s\n", ifname, err);
		return 1;
	}
	if (dump || add) {
		if (add)
			set(wg, &one, 1);
		else if (get(wg, &dev) == 0) {
			print_dump(&dev);
			wgjit_wg_device_free(&dev);
		}
		wgjit_wg_close(wg);
		return failures > 0;
	}
	if (get(wg, &dev) != 0)
		goto done;
	CHECK(dev.flags & WGJIT_WG_DEVICE_HAS_PRIVATE_KEY, "no private key");
	CHECK(dev.flags & WGJIT_WG_DEVICE_HAS_PUBLIC_KEY, "no public key");
	CHECK(dev.listen_port != 0, "no listen port");
	baseline = dev.nb_peers;
	printf("ok   %s %s: port %u, %u peers before the test\n", kind, ifname,
			dev.listen_port, baseline);
	wgjit_wg_device_free(&dev);
	make_samples(samples);
	test_samples(wg, samples);
	test_bulk_and_remove(wg, samples, baseline);
	if (keep) {
		make_samples(samples);
		set(wg, samples, 3);
	}
done:
	sodium_memzero(samples, sizeof(samples));
	wgjit_wg_close(wg);
	printf("%s: %d failure(s)\n", failures > 0 ? "FAIL" : "ok  ", failures);
	return failures > 0;
usage:
	fprintf(stderr, "usage: %s --kind kernel|uapi --ifname IF [--keep | "
			"--dump | --add-peer B64 [--endpoint EP] "
			"[--keepalive N] [--allowed-ip CIDR]...]\n", argv[0]);
	return 2;
}
