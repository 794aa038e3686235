/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_PARSE_H
#define WGJIT_PARSE_H

/**
 * @file
 * The one strict number parser for text wgjit reads: configuration
 * values, UAPI replies, telemetry parameters, prefixes and ports,
 * command-line options. Digits only: no sign, no blanks, no base prefix,
 * no empty string, no overflow.
 *
 * Threads: reentrant; no allocation.
 */

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Parse the NUL-terminated decimal @p s into @p out.
 * @return 0; -EINVAL when @p s is not a decimal number; -ERANGE when it
 *   is larger than @p max. @p out is untouched on failure.
 */
int wgjit_parse_u64(const char *s, uint64_t max, uint64_t *out);

/** wgjit_parse_u64() into an unsigned int, with the same returns. */
int wgjit_parse_uint(const char *s, unsigned int max, unsigned int *out);

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_PARSE_H */
