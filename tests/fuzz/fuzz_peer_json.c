/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/* Fuzz target: the control plane's JSON answer (wgjit_peer_json_parse). */

#include <stdint.h>
#include <string.h>

#include "wgjit_peer_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t key[WGJIT_KEY_LEN];
	struct wgjit_peer peer;
	char err[128];

	/* The key of the seed answers: 32 bytes of 0x01. */
	memset(key, 1, sizeof(key));
	(void)wgjit_peer_json_parse((const char *)data, size, key, &peer, err,
		sizeof(err));
	return 0;
}
