/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_TEST_CP_HARNESS_H
#define WGJIT_TEST_CP_HARNESS_H

/**
 * @file
 * Test-only: run devtools/wgjit-cp.py on 127.0.0.1 and drive its admin
 * endpoints with blocking libcurl calls. Single-threaded test code.
 */

#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "wgjit_key.h"

struct cp {
	pid_t pid;
	char dir[64];
	char url[64];
	char token_hdr[128];
};

/** Monotonic time in seconds. */
double cp_now(void);
/** Pace a polling loop. */
void cp_pause_us(long us);
/** Start the server (port 0, fresh DB in a temp dir); 0 or -errno. */
int cp_start(struct cp *cp, const char *python, const char *script,
		const char *token);
/** Kill the server and remove its directory. */
void cp_stop(struct cp *cp);
/** One admin call; returns the HTTP status (-1 on failure), JSON in *out. */
long cp_admin(struct cp *cp, const char *method, const char *path,
		const char *body, json_t **out);
/** POST /admin/fault; returns the HTTP status. */
long cp_set_fault(struct cp *cp, const char *mode, double delay);
/** Clear faults and statistics; 0 or -1. */
int cp_reset(struct cp *cp);
/** One integer of /admin/stats (per_key[key] when key is given); -1 on error. */
long long cp_stat(struct cp *cp, const char *name, const uint8_t *key);
/** POST /admin/peers with {"public_key": key<rest>}; returns the status. */
long cp_add_peer(struct cp *cp, const uint8_t key[WGJIT_KEY_LEN],
		const char *rest);

#endif /* WGJIT_TEST_CP_HARNESS_H */
