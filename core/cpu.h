/* cpu.h - which instruction set extensions this CPU has, asked once. */
#ifndef BB_CPU_H
#define BB_CPU_H

#include <stdbool.h>

enum cpu_feature {
	CPU_SSSE3 = 1 << 0,
	CPU_SSE42 = 1 << 1,
	CPU_PCLMUL = 1 << 2,
	CPU_AVX2 = 1 << 3,
	CPU_AVX512BW = 1 << 4,
	CPU_GFNI = 1 << 5,
	CPU_AVX = 1 << 6,	/* VEX encoding, with the OS saving ymm state */
	CPU_VPCLMUL = 1 << 7,	/* VPCLMULQDQ: carry-less multiply on ymm/zmm */
	CPU_VBMI = 1 << 8,	/* AVX512-VBMI: VPERMB, byte shuffles across a zmm */
	/* Not an extension but a tuning fact: AMD families 19h and 1Ah (Zen 3
	 * to 5; the AVX-512 ones are Zen 4 and 5), where VPCLMULQDQ issues
	 * every other cycle and GFNI and VPERMB have pipes of their own. */
	CPU_AMD_ZEN = 1 << 9,
};

/* Features usable by this process: CPUID, and for AVX the OS's consent
 * (XGETBV). BLOCKBOX_CPU_MASK=hex in the environment clears bits, so tests
 * and benchmarks can force the portable paths. */
unsigned cpu_features(void);
static inline bool cpu_has(unsigned f) { return (cpu_features() & f) == f; }

#endif
