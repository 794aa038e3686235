/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_ERR_H
#define WGJIT_ERR_H

/**
 * @file
 * One-line error messages into a caller's buffer: every module that
 * reports why something failed (configuration, backends, the control
 * plane's answers) writes them the same way.
 *
 * Threads: reentrant.
 */

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * printf into @p err (@p errlen bytes, always NUL-terminated when
 * @p errlen > 0). NULL or a zero size is accepted and writes nothing.
 * @return @p ret, so that a caller can write `return wgjit_errf(...)`.
 */
int wgjit_errf(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_ERR_H */
