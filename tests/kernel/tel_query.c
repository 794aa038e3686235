/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * tel_query SOCKET COMMAND: send one command to a DPDK telemetry socket
 * (dpdk_telemetry.v2) and print the JSON reply on one line. For the test
 * VM, which has no Python for wgjit_tel.py or dpdk-telemetry.py.
 * Exit 0 with a reply, 1 when the socket cannot be reached.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define REPLY_MAX (1 << 20)

static char reply[REPLY_MAX];

int
main(int argc, char **argv)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	ssize_t n;
	int fd;

	if (argc != 3 || strlen(argv[1]) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "usage: tel_query SOCKET COMMAND\n");
		return 2;
	}
	strcpy(addr.sun_path, argv[1]);
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		fprintf(stderr, "tel_query: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	/* The hello (version, pid, max_output_len), then the reply. */
	n = recv(fd, reply, sizeof(reply) - 1, 0);
	if (n > 0 && send(fd, argv[2], strlen(argv[2]), 0) > 0)
		n = recv(fd, reply, sizeof(reply) - 1, 0);
	else
		n = -1;
	close(fd);
	if (n <= 0) {
		fprintf(stderr, "tel_query: %s: no reply\n", argv[1]);
		return 1;
	}
	reply[n] = '\0';
	printf("%s\n", reply);
	return 0;
}
