/* matrix.h - the Reed-Solomon matrices of klauspost/reedsolomon's default
 * encoder (the one SeaweedFS uses), and solving for lost shards. */
#ifndef EC_MATRIX_H
#define EC_MATRIX_H

#include <stdint.h>

/* The (k+m) x k systematic encoding matrix: a Vandermonde matrix
 * (entry r^c) times the inverse of its top k x k square, so the top is
 * the identity and the m rows below make the parity. 0 or -1. */
int ec_rs_matrix(int k, int m, uint8_t *enc);

/* Invert the n x n matrix a in place (Gauss-Jordan). -1 when singular. */
int ec_gf_invert(uint8_t *a, int n);

/* Rows that compute shards want[0..nwant) from the k shards basis[0..k),
 * given the encoding matrix: out is nwant x k. -1 when the basis rows are
 * not independent (never, for a valid matrix and distinct shards). */
int ec_rs_solve_rows(const uint8_t *enc, int k, const int *basis, const int *want, int nwant,
		  uint8_t *out);

/* Find t (1..2) error values e at positions cols[0..t) of a parity-check
 * system: s = sum e_i * H[:, cols[i]], H is m x n (row major), s has m
 * entries. Returns 0 with e filled when the system is consistent and every
 * e_i is non-zero, -1 otherwise. */
int ec_gf_fit_errors(const uint8_t *h, int m, int n, const int *cols, int t, const uint8_t *s,
		  uint8_t *e);

#endif
