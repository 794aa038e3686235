/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_CACHE_TEST_UTIL_H
#define WGJIT_CACHE_TEST_UTIL_H

/*
 * Helpers for the cache tests: a private temporary directory per process
 * (removed at exit), one fresh database path per case, and keys.
 */

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wgjit_cache.h"

static char cache_test_dir[64];
static char cache_test_path[128];
static unsigned int cache_test_seq;

static inline void
cache_test_cleanup(void)
{
	char p[sizeof(cache_test_dir) + 260];
	struct dirent *d;
	DIR *dir;

	if (cache_test_dir[0] == '\0')
		return;
	dir = opendir(cache_test_dir);
	if (dir != NULL) {
		while ((d = readdir(dir)) != NULL) {
			if (strcmp(d->d_name, ".") == 0 ||
					strcmp(d->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", cache_test_dir, d->d_name);
			unlink(p);
		}
		closedir(dir);
	}
	rmdir(cache_test_dir);
}

/* Create the directory once; return 0 or -1. */
static inline int
cache_test_init(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(cache_test_dir, sizeof(cache_test_dir),
			"%s/wgjit-cache-XXXXXX", tmp != NULL ? tmp : "/tmp");
	if (mkdtemp(cache_test_dir) == NULL) {
		perror("mkdtemp");
		return -1;
	}
	atexit(cache_test_cleanup);
	return 0;
}

/* A new, not yet existing database path. */
static inline const char *
cache_test_new_path(void)
{
	snprintf(cache_test_path, sizeof(cache_test_path), "%s/c%u.db",
			cache_test_dir, ++cache_test_seq);
	return cache_test_path;
}

/* A key whose bytes are all @p b. */
static inline void
cache_test_key(uint8_t key[WGJIT_KEY_LEN], uint8_t b)
{
	memset(key, b, WGJIT_KEY_LEN);
}

#endif /* WGJIT_CACHE_TEST_UTIL_H */
