/* cpu.c - CPUID and XGETBV, for run-time selection of SIMD paths. */
#include "cpu.h"
#include "num.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

/* CPU_AMD_ZEN: the vendor string, then the family (base plus extended). */
static unsigned amd_zen(void)
{
	unsigned a, b, c, d, family;
	char vendor[12];
	if (!__get_cpuid(0, &a, &b, &c, &d))
		return 0;
	memcpy(vendor, &b, 4);
	memcpy(vendor + 4, &d, 4);
	memcpy(vendor + 8, &c, 4);
	if (memcmp(vendor, "AuthenticAMD", 12) || !__get_cpuid(1, &a, &b, &c, &d))
		return 0;
	family = (a >> 8) & 0xf;
	if (family == 0xf)
		family += (a >> 20) & 0xff;
	return family == 0x19 || family == 0x1a ? CPU_AMD_ZEN : 0;
}

static unsigned probe(void)
{
	unsigned a, b, c, d, f = 0;
	if (!__get_cpuid(1, &a, &b, &c, &d))
		return 0;
	if (c & bit_SSSE3)
		f |= CPU_SSSE3;
	if (c & bit_SSE4_2)
		f |= CPU_SSE42;
	if (c & bit_PCLMUL)
		f |= CPU_PCLMUL;
	/* AVX state must be enabled by the OS (XCR0 bits 1 and 2). */
	bool os_avx = false, os_avx512 = false;
	if ((c & bit_OSXSAVE) && (c & bit_AVX)) {
		unsigned lo, hi;
		__asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		os_avx = (lo & 6) == 6;
		os_avx512 = (lo & 0xe6) == 0xe6;
	}
	if (os_avx)
		f |= CPU_AVX;
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
		if (os_avx && (b & bit_AVX2))
			f |= CPU_AVX2;
		if (os_avx512 && (b & bit_AVX512BW) && (b & bit_AVX512F))
			f |= CPU_AVX512BW;
		if (c & bit_GFNI)
			f |= CPU_GFNI;
		if (os_avx && (c & bit_VPCLMULQDQ))
			f |= CPU_VPCLMUL;
		if (os_avx512 && (c & bit_AVX512VBMI))
			f |= CPU_VBMI;
	}
	return f | amd_zen();
}
#else
static unsigned probe(void) { return 0; }
#endif

static unsigned features;
static int probed;

__attribute__((constructor)) static void cpu_init(void)
{
	unsigned f = probe();
	const char *mask = getenv("BLOCKBOX_CPU_MASK");
	uint64_t m;
	if (mask && !num_hex_u64(mask, 0, UINT_MAX, &m, NULL))
		f &= ~(unsigned)m;
	features = f;
	probed = 1;
}

unsigned cpu_features(void)
{
	if (!probed)
		cpu_init();
	return features;
}
