/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <stdarg.h>
#include <stdio.h>

#include "wgjit_err.h"

int
wgjit_errf(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return ret;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return ret;
}
