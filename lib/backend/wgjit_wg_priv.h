/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_WG_PRIV_H
#define WGJIT_WG_PRIV_H

/**
 * @file
 * Helpers shared by the backends (not installed, not for other modules).
 */

#include <stddef.h>

/** printf into @p err (errlen bytes); NULL or a zero size is accepted. */
void wgjit_wg_errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* WGJIT_WG_PRIV_H */
