/* matrix.c - small dense matrices over GF(2^8). Sizes are at most 32, so
 * plain Gaussian elimination is all that is needed. */
#include "matrix.h"
#include "gf.h"

#include <string.h>

static void swap_rows(uint8_t *a, int cols, int r1, int r2)
{
	uint8_t tmp[2 * GF_MAX_SHARDS + 1];
	if (r1 == r2)
		return;
	memcpy(tmp, a + r1 * cols, (size_t)cols);
	memcpy(a + r1 * cols, a + r2 * cols, (size_t)cols);
	memcpy(a + r2 * cols, tmp, (size_t)cols);
}

/* Reduce the rows x cols matrix a (row major) so that its first `pivots`
 * columns become the identity where possible. Returns the rank found
 * among those columns; a column without a pivot is skipped. */
static int eliminate(uint8_t *a, int rows, int cols, int pivots)
{
	int rank = 0;
	for (int c = 0; c < pivots && rank < rows; c++) {
		int p = rank;
		while (p < rows && !a[p * cols + c])
			p++;
		if (p == rows)
			continue;
		swap_rows(a, cols, rank, p);
		uint8_t *pr = a + rank * cols;
		uint8_t inv = ec_gf_inv(pr[c]);
		for (int j = 0; j < cols; j++)
			pr[j] = ec_gf_mul(pr[j], inv);
		for (int r = 0; r < rows; r++) {
			uint8_t f = a[r * cols + c];
			if (r == rank || !f)
				continue;
			for (int j = 0; j < cols; j++)
				a[r * cols + j] ^= ec_gf_mul(f, pr[j]);
		}
		rank++;
	}
	return rank;
}

int ec_gf_invert(uint8_t *a, int n)
{
	/* [a | I] -> [I | a^-1] */
	uint8_t w[GF_MAX_SHARDS * 2 * GF_MAX_SHARDS];
	int cols = 2 * n;
	if (n < 1 || n > GF_MAX_SHARDS)
		return -1;
	memset(w, 0, sizeof(w));
	for (int r = 0; r < n; r++) {
		memcpy(w + r * cols, a + r * n, (size_t)n);
		w[r * cols + n + r] = 1;
	}
	if (eliminate(w, n, cols, n) != n)
		return -1;
	for (int r = 0; r < n; r++)
		memcpy(a + r * n, w + r * cols + n, (size_t)n);
	return 0;
}

/* out (r x p) = a (r x n) * b (n x p) */
static void mat_mul(const uint8_t *a, const uint8_t *b, uint8_t *out, int r, int n, int p)
{
	for (int i = 0; i < r; i++)
		for (int j = 0; j < p; j++) {
			uint8_t acc = 0;
			for (int x = 0; x < n; x++)
				acc ^= ec_gf_mul(a[i * n + x], b[x * p + j]);
			out[i * p + j] = acc;
		}
}

int ec_rs_matrix(int k, int m, uint8_t *enc)
{
	uint8_t vm[GF_MAX_SHARDS * GF_MAX_SHARDS], top[GF_MAX_SHARDS * GF_MAX_SHARDS];
	int n = k + m;
	if (k < 1 || m < 0 || n > GF_MAX_SHARDS)
		return -1;
	for (int r = 0; r < n; r++)
		for (int c = 0; c < k; c++)
			vm[r * k + c] = ec_gf_pow((uint8_t)r, (unsigned)c);
	memcpy(top, vm, (size_t)(k * k));
	if (ec_gf_invert(top, k))
		return -1;
	mat_mul(vm, top, enc, n, k, k);
	return 0;
}

int ec_rs_solve_rows(const uint8_t *enc, int k, const int *basis, const int *want, int nwant,
		  uint8_t *out)
{
	/* basis shards = B * data, so data = B^-1 * basis shards and shard w
	 * = enc[w] * B^-1 * basis shards. */
	uint8_t b[GF_MAX_SHARDS * GF_MAX_SHARDS], w[GF_MAX_SHARDS * GF_MAX_SHARDS];
	for (int i = 0; i < k; i++)
		memcpy(b + i * k, enc + basis[i] * k, (size_t)k);
	if (ec_gf_invert(b, k))
		return -1;
	for (int i = 0; i < nwant; i++)
		memcpy(w + i * k, enc + want[i] * k, (size_t)k);
	mat_mul(w, b, out, nwant, k, k);
	return 0;
}

int ec_gf_fit_errors(const uint8_t *h, int m, int n, const int *cols, int t, const uint8_t *s,
		  uint8_t *e)
{
	/* Augmented m x (t+1) system [H(:, cols) | s]. */
	uint8_t a[GF_MAX_SHARDS * 3];
	int w = t + 1;
	if (t < 1 || t > 2 || m > GF_MAX_SHARDS)
		return -1;
	for (int r = 0; r < m; r++) {
		for (int i = 0; i < t; i++)
			a[r * w + i] = h[r * n + cols[i]];
		a[r * w + t] = s[r];
	}
	if (eliminate(a, m, w, t) != t)
		return -1;
	for (int r = t; r < m; r++)
		if (a[r * w + t])
			return -1; /* the syndrome is not explained by these columns */
	for (int i = 0; i < t; i++) {
		e[i] = a[i * w + t];
		if (!e[i])
			return -1;
	}
	return 0;
}
