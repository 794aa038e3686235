/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_TEST_KEY_H
#define WGJIT_TEST_KEY_H

/**
 * @file
 * Keys of the fixtures in tests/data. They are published test vectors,
 * checked out with whatever mode git gives them, so they are read here
 * without the checks wgjit_key_read_file() makes of a real secret file.
 */

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "wgjit_key.h"

/** Read the one base64 key of fixture @p path. @return 0 or -1. */
static inline int
wgjit_test_fixture_key(uint8_t key[WGJIT_KEY_LEN], const char *path)
{
	char buf[WGJIT_KEY_B64_SIZE + 8] = "";
	FILE *f = fopen(path, "r");
	int ret = -1;

	if (f == NULL)
		return -1;
	if (fgets(buf, sizeof(buf), f) != NULL) {
		buf[strcspn(buf, " \t\r\n")] = '\0';
		ret = wgjit_key_from_base64(key, buf) == 0 ? 0 : -1;
	}
	fclose(f);
	return ret;
}

#endif /* WGJIT_TEST_KEY_H */
