/* The benchmark's reference: each cascade written as plain C loops, one loop
 * nest per Einsum with the intermediates materialized, in the loop order a
 * C programmer would pick (i-k-j for the matmul). Built with gcc -O3
 * -march=native (see tests/local.mk). */
#ifndef EINC_REF_LOOPS_H
#define EINC_REF_LOOPS_H

void ref_matmul(const float *A, const float *B, float *C, int M, int K, int N);
void ref_softmax(const float *x, float *y, float *mx, float *e, float *den, int R, int C);
void ref_rmsnorm(const float *x, const float *w, float *y, float *ms, float *inv, int T, int D);
void ref_mamba_scan(const float *u, const float *dt, const float *Bm, const float *Cm,
                    const float *A, const float *Dskip, float *y, float *dA, float *dBu, float *h,
                    int L, int E, int N);

#endif
