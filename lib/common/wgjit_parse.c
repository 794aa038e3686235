/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include "wgjit_parse.h"

int
wgjit_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	bool big = false;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	for (; *s != '\0'; s++) {
		unsigned int d = (unsigned int)(*s - '0');

		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - d) / 10)
			big = true;	/* keep checking the rest is digits */
		else
			v = v * 10 + d;
	}
	if (big || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int
wgjit_parse_uint(const char *s, unsigned int max, unsigned int *out)
{
	uint64_t v;
	int ret = wgjit_parse_u64(s, max, &v);

	if (ret == 0)
		*out = (unsigned int)v;
	return ret;
}
