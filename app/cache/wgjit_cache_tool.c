/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * wgjit-cache salvage PATH
 *
 * With wgjit stopped: move a corrupt cache aside (PATH.corrupt-<time>,
 * with its -wal and -shm) and write a new one at PATH that keeps every
 * replay floor and install record SQLite can still read. Answers are not
 * kept: they are fetched again. See docs/operations.md.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wgjit_cache.h"

static int
usage(void)
{
	fprintf(stderr, "usage: wgjit-cache salvage PATH\n"
		"  Moves a corrupt wgjit cache to PATH.corrupt-<time> and writes\n"
		"  a new one at PATH with the replay floors and install records\n"
		"  that can still be read. Run it with wgjit stopped.\n");
	return 2;
}

/* Move PATH and its -wal and -shm to @p aside (+ the same suffixes). */
static int
move_aside(const char *path, const char *aside)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	char from[4096], to[4096];

	for (unsigned int i = 0; i < 3; i++) {
		snprintf(from, sizeof(from), "%s%s", path, suffix[i]);
		snprintf(to, sizeof(to), "%s%s", aside, suffix[i]);
		if (rename(from, to) != 0 && (i == 0 || errno != ENOENT)) {
			fprintf(stderr, "wgjit-cache: rename %s: %s\n", from,
				strerror(errno));
			return -1;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	char aside[4096], stamp[32], err[WGJIT_CACHE_ERR_SIZE] = "";
	time_t now = time(NULL);
	struct tm tm;
	int n;

	if (argc != 3 || strcmp(argv[1], "salvage") != 0)
		return usage();
	if (access(argv[2], F_OK) != 0) {
		fprintf(stderr, "wgjit-cache: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(aside, sizeof(aside), "%s.corrupt-%s", argv[2], stamp);
	if (move_aside(argv[2], aside) != 0)
		return 1;
	n = wgjit_cache_salvage(aside, argv[2], err, sizeof(err));
	if (n < 0) {
		fprintf(stderr, "wgjit-cache: %s (the damaged file is %s)\n", err,
			aside);
		return 1;
	}
	printf("wgjit-cache: %d replay floors kept in %s; the damaged file is "
		"%s\n", n, argv[2], aside);
	return 0;
}
