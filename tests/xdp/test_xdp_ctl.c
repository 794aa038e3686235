/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * wgjit_xdp against programs attached for real, in a network namespace
 * of its own (unshare, so nothing outside can see or disturb it): the
 * steer program on lo (generic XDP), a foreign program, an impostor
 * named like wgjit's, and real UDP over lo for the counters.
 *
 * usage: test_xdp_ctl PATH/TO/wgjit_steer.bpf.o   (root)
 */

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <linux/if_link.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "wgjit_test.h"
#include "wgjit_xdp.h"

#define PORT 51820

static const char *obj_path;
static unsigned int lo_index;
static bool skip_all;

static int
lo_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), ret;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	ret = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (ret == 0) {
		ifr.ifr_flags |= IFF_UP;
		ret = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	ret = ret < 0 ? -errno : 0;
	close(fd);
	return ret;
}

/* A two-instruction XDP program (return XDP_PASS) named @p name. */
static int
load_trivial(const char *name)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
		  .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_XDP, name, "BSD", insns, 2, NULL);
}

static uint32_t
attached_id(void)
{
	uint32_t id = 0;

	if (bpf_xdp_query_id((int)lo_index, 0, &id) != 0)
		return UINT32_MAX;
	return id;
}

static int
test_setup(void)
{
	int ret;

	if (geteuid() != 0) {
		printf("  needs root\n");
		skip_all = true;
		return TEST_SKIPPED;
	}
	TEST_ASSERT(unshare(CLONE_NEWNET) == 0, "unshare: %s",
		strerror(errno));
	ret = lo_up();
	TEST_ASSERT_EQUAL(ret, 0, "lo up");
	lo_index = if_nametoindex("lo");
	TEST_ASSERT(lo_index != 0, "lo");
	TEST_ASSERT_EQUAL(attached_id(), 0, "nothing attached in a new netns");
	return TEST_SUCCESS;
}

#define NEED_SETUP() do { \
	if (skip_all) \
		return TEST_SKIPPED; \
	TEST_ASSERT(lo_index != 0, "setup failed"); \
} while (0)

static int
test_no_program(void)
{
	NEED_SETUP();
	struct wgjit_xdp *x = (struct wgjit_xdp *)&x;
	char err[256];
	bool detached = true;

	TEST_ASSERT_EQUAL(wgjit_xdp_open("lo", &x, err, sizeof(err)),
		-ENOENT, "open without a program");
	TEST_ASSERT(x == NULL, "handle left NULL");
	printf("  %s\n", err);
	TEST_ASSERT_EQUAL(wgjit_xdp_open("wgjitnosuch0", &x, err,
		sizeof(err)), -ENODEV, "open a missing interface");
	printf("  %s\n", err);
	TEST_ASSERT_EQUAL(wgjit_xdp_detach_stale("lo", &detached, err,
		sizeof(err)), 0, "detach_stale with nothing attached");
	TEST_ASSERT(!detached, "nothing detached");
	TEST_ASSERT_EQUAL(wgjit_xdp_detach_stale("wgjitnosuch0", NULL, err,
		sizeof(err)), -ENODEV, "detach_stale, missing interface");
	return TEST_SUCCESS;
}

/* Someone else's program, and one that only borrows wgjit's name. */
static int
test_not_ours(void)
{
	NEED_SETUP();
	static const char *const names[] = { "foreign", WGJIT_XDP_PROG_NAME };
	struct wgjit_xdp *x;
	char err[256];
	bool detached;

	for (int i = 0; i < 2; i++) {
		int fd = load_trivial(names[i]);

		TEST_ASSERT(fd >= 0, "load %s: %s", names[i], strerror(-fd));
		TEST_ASSERT_EQUAL(bpf_xdp_attach((int)lo_index, fd,
			XDP_FLAGS_UPDATE_IF_NOEXIST, NULL), 0, "attach %s",
			names[i]);
		TEST_ASSERT_EQUAL(wgjit_xdp_open("lo", &x, err, sizeof(err)),
			-EPROTO, "open with %s attached", names[i]);
		printf("  %s\n", err);
		TEST_ASSERT_EQUAL(wgjit_xdp_detach_stale("lo", &detached, err,
			sizeof(err)), -EPROTO, "detach_stale leaves %s",
			names[i]);
		TEST_ASSERT(!detached && attached_id() != 0, "%s still there",
			names[i]);
		TEST_ASSERT_EQUAL(bpf_xdp_detach((int)lo_index, 0, NULL), 0,
			"detach %s", names[i]);
		close(fd);
	}
	return TEST_SUCCESS;
}

static int
udp_socket(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_sec = 1 };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
			setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
				sizeof(tv)) != 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

static int
send_msg(int fd, uint16_t port, uint8_t type, size_t len)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	uint8_t msg[256] = { 0 };

	msg[0] = type;
	return sendto(fd, msg, len, 0, (struct sockaddr *)&a, sizeof(a)) ==
		(ssize_t)len ? 0 : -errno;
}

/*
 * Load the steer object and attach its first program to lo, as the PMD
 * does (no mode flags: lo has no native XDP, so generic). @return the
 * program fd, or a negative errno.
 */
static int
load_and_attach(struct bpf_object **objp)
{
	struct bpf_object *obj = bpf_object__open_file(obj_path, NULL);
	int ret, fd;

	*objp = NULL;
	ret = (int)libbpf_get_error(obj);
	if (ret != 0)
		return ret;
	ret = bpf_object__load(obj);
	fd = ret == 0 ? bpf_program__fd(bpf_object__next_program(obj, NULL)) :
		ret;
	if (fd >= 0)
		ret = bpf_xdp_attach((int)lo_index, fd,
			XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	if (ret != 0) {
		bpf_object__close(obj);
		return ret;
	}
	*objp = obj;
	return fd;
}

/* The steer program itself: config, counters, fail-open, detach. */
static int
test_steer_on_lo(void)
{
	NEED_SETUP();
	struct bpf_object *obj;
	struct wgjit_xdp_stats st;
	struct wgjit_xdp_info info;
	struct wgjit_xdp *x;
	char err[256], buf[256];
	uint16_t port = 1;
	bool detached;
	int prog_fd, rx, rx2, tx, n, got = 0;

	prog_fd = load_and_attach(&obj);
	TEST_ASSERT(prog_fd >= 0, "load and attach %s: %s", obj_path,
		strerror(-prog_fd));
	/* A second attach is refused, as the PMD's would be. */
	TEST_ASSERT_EQUAL(bpf_xdp_attach((int)lo_index, prog_fd,
		XDP_FLAGS_UPDATE_IF_NOEXIST, NULL), -EBUSY, "attach again");

	TEST_ASSERT_EQUAL(wgjit_xdp_open("lo", &x, err, sizeof(err)), 0,
		"open: %s", err);
	wgjit_xdp_info(x, &info);
	TEST_ASSERT(strcmp(info.prog_name, WGJIT_XDP_PROG_NAME) == 0, "name");
	TEST_ASSERT_EQUAL(info.prog_id, attached_id(), "prog id");
	TEST_ASSERT_EQUAL(info.mode, WGJIT_XDP_MODE_SKB, "lo: generic XDP");
	TEST_ASSERT_EQUAL(info.xsk_slots, WGJIT_XDP_MAX_QUEUES, "slots");
	TEST_ASSERT_EQUAL(wgjit_xdp_get_port(x, &port, err, sizeof(err)), 0,
		"get port");
	TEST_ASSERT_EQUAL(port, 0, "as loaded: disabled");

	rx = udp_socket(PORT);
	rx2 = udp_socket(PORT + 1);
	tx = socket(AF_INET, SOCK_DGRAM, 0);
	TEST_ASSERT(rx >= 0 && rx2 >= 0 && tx >= 0, "sockets");
	/* Disabled: everything passes, counted as such. */
	TEST_ASSERT_EQUAL(send_msg(tx, PORT, 1, 148), 0, "send");
	TEST_ASSERT_EQUAL(wgjit_xdp_set_port(x, PORT, err, sizeof(err)), 0,
		"set port: %s", err);
	TEST_ASSERT_EQUAL(wgjit_xdp_get_port(x, &port, err, sizeof(err)), 0,
		"get port");
	TEST_ASSERT_EQUAL(port, PORT, "port read back");
	TEST_ASSERT_EQUAL(send_msg(tx, PORT, 1, 148), 0, "initiation");
	TEST_ASSERT_EQUAL(send_msg(tx, PORT, 1, 148), 0, "initiation");
	TEST_ASSERT_EQUAL(send_msg(tx, PORT, 2, 92), 0, "response");
	TEST_ASSERT_EQUAL(send_msg(tx, PORT + 1, 1, 148), 0, "other port");
	/* No AF_XDP socket on lo: initiations fall back to the kernel. */
	while ((n = (int)recv(rx, buf, sizeof(buf), 0)) > 0) {
		got++;
		if (got == 4)
			break;
	}
	TEST_ASSERT_EQUAL(got, 4, "the kernel got every message to the port");
	TEST_ASSERT_EQUAL(recv(rx2, buf, sizeof(buf), 0), 148, "other port");
	TEST_ASSERT_EQUAL(wgjit_xdp_read_stats(x, &st, err, sizeof(err)), 0,
		"stats: %s", err);
	TEST_ASSERT_EQUAL(st.steered, 0, "steered");
	TEST_ASSERT_EQUAL(st.no_xsk, 2, "initiations without a socket");
	TEST_ASSERT_EQUAL(st.pass_not_initiation, 1, "response");
	TEST_ASSERT_EQUAL(st.pass_other_port, 1, "other port");
	TEST_ASSERT(st.pass_disabled >= 1, "before the port was set");
	TEST_ASSERT_EQUAL(st.pass_truncated + st.pass_not_udp, 0,
		"nothing else on lo");
	TEST_ASSERT_EQUAL(st.passed, st.no_xsk + st.pass_disabled +
		st.pass_not_ip + st.pass_not_initiation + st.pass_other_port,
		"passed is the sum");
	TEST_ASSERT_EQUAL(wgjit_xdp_set_port(x, 0, err, sizeof(err)), 0,
		"port 0");
	TEST_ASSERT_EQUAL(wgjit_xdp_get_port(x, &port, err, sizeof(err)), 0,
		"get port");
	TEST_ASSERT_EQUAL(port, 0, "disabled again");
	close(tx);
	close(rx);
	close(rx2);
	wgjit_xdp_close(x);

	/*
	 * Held only by this process (as after a crash, to another one):
	 * stale. The bpf_object is closed first, as a dead process's is.
	 */
	bpf_object__close(obj);
	TEST_ASSERT_EQUAL(wgjit_xdp_detach_stale("lo", &detached, err,
		sizeof(err)), 0, "detach_stale: %s", err);
	TEST_ASSERT(detached, "detached");
	TEST_ASSERT_EQUAL(attached_id(), 0, "gone");
	return TEST_SUCCESS;
}

static int
test_live_holder(void)
{
	NEED_SETUP();
	struct bpf_object *obj;
	char err[256];
	bool detached = true;
	int fds[2], prog_fd, ret;
	pid_t child;
	char c;

	prog_fd = load_and_attach(&obj);
	TEST_ASSERT(prog_fd >= 0, "load and attach %s: %s", obj_path,
		strerror(-prog_fd));
	/* A child keeps the program fd, as a live wgjit's PMD does. */
	TEST_ASSERT_EQUAL(pipe(fds), 0, "pipe");
	child = fork();
	TEST_ASSERT(child >= 0, "fork");
	if (child == 0) {
		close(fds[1]);
		ret = (int)read(fds[0], &c, 1);
		_exit(ret < 0);
	}
	close(fds[0]);
	bpf_object__close(obj);
	ret = wgjit_xdp_detach_stale("lo", &detached, err, sizeof(err));
	printf("  %s\n", err);
	close(fds[1]);
	while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
		;
	TEST_ASSERT_EQUAL(ret, -EBUSY, "a live holder keeps it");
	TEST_ASSERT(!detached && attached_id() != 0, "still attached");
	TEST_ASSERT_EQUAL(wgjit_xdp_detach_stale("lo", &detached, err,
		sizeof(err)), 0, "holder gone: %s", err);
	TEST_ASSERT(detached && attached_id() == 0, "detached");
	return TEST_SUCCESS;
}

static const struct wgjit_test_case cases[] = {
	TEST_CASE(test_setup),
	TEST_CASE(test_no_program),
	TEST_CASE(test_not_ours),
	TEST_CASE(test_steer_on_lo),
	TEST_CASE(test_live_holder),
	TEST_CASES_END(),
};

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s wgjit_steer.bpf.o\n", argv[0]);
		return 2;
	}
	obj_path = argv[1];
	return wgjit_test_run("xdp_ctl", cases);
}
