/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

/*
 * Driver for fuzz targets without libFuzzer (gcc builds, ASan CI pass):
 * runs every corpus file given, then a bounded number of deterministic
 * mutations of each (bit flips, truncations, byte sets). With clang, build
 * with -Dfuzz=true instead to get coverage-guided libFuzzer.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INPUT 65536

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

int
main(int argc, char **argv)
{
	static uint8_t in[MAX_INPUT], mut[MAX_INPUT];
	unsigned long rounds = 2000, runs = 0;
	int first = 1;

	if (argc > 2 && strcmp(argv[1], "-rounds") == 0) {
		rounds = strtoul(argv[2], NULL, 10);
		first = 3;
	}
	for (int i = first; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		size_t n;

		if (f == NULL) {
			perror(argv[i]);
			return 1;
		}
		n = fread(in, 1, sizeof(in), f);
		fclose(f);
		LLVMFuzzerTestOneInput(in, n);
		runs++;
		for (unsigned long r = 0; r < rounds; r++) {
			size_t len = n;

			memcpy(mut, in, n);
			switch (rng() % 4) {
			case 0:
				if (len > 0)
					mut[rng() % len] ^= 1u << (rng() % 8);
				break;
			case 1:
				len = len > 0 ? rng() % (len + 1) : 0;
				break;
			case 2:
				if (len > 0)
					mut[rng() % len] = (uint8_t)rng();
				break;
			default:
				if (len > 1)
					mut[1 + rng() % (len - 1)] ^= 0xff;
				mut[0] = (uint8_t)rng();
				break;
			}
			LLVMFuzzerTestOneInput(mut, len);
			runs++;
		}
	}
	printf("fuzz standalone: %lu inputs run\n", runs);
	return 0;
}
