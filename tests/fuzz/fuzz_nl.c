/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/* Fuzz target: Netlink replies (family lookup, device dump, ack). The
 * first byte picks the parser; sequence 1, port id 0, family 0x20. */

#include <stdint.h>
#include <string.h>

#include "wgjit_nl.h"
#include "wgjit_wg_device.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[65536] __attribute__((aligned(8)));
	struct wgjit_wg_device dev;
	uint16_t family;

	if (size < 1 || size - 1 > sizeof(buf))
		return 0;
	memcpy(buf, data + 1, size - 1);
	switch (data[0] % 3) {
	case 0:
		memset(&dev, 0, sizeof(dev));
		(void)wgjit_nl_parse_dump(buf, size - 1, 1, 0, 0x20, &dev);
		wgjit_wg_device_free(&dev);
		break;
	case 1:
		(void)wgjit_nl_parse_getfamily(buf, size - 1, 1, 0, &family);
		break;
	default:
		(void)wgjit_nl_parse_ack(buf, size - 1, 1, 0);
		break;
	}
	return 0;
}
