/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/* Fuzz target: UAPI replies from a userspace WireGuard (get and set). */

#include <stdint.h>

#include "wgjit_uapi.h"
#include "wgjit_wg_device.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wgjit_wg_device dev;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		(void)wgjit_uapi_parse_errno((const char *)data + 1, size - 1);
		return 0;
	}
	if (wgjit_uapi_parse_get((const char *)data + 1, size - 1, &dev) == 0)
		wgjit_wg_device_free(&dev);
	return 0;
}
