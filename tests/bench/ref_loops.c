#include "ref_loops.h"

#include <math.h>

void ref_matmul(const float *A, const float *B, float *C, int M, int K, int N) {
  for (int m = 0; m < M; m++)
    for (int n = 0; n < N; n++)
      C[m * N + n] = 0;
  for (int m = 0; m < M; m++)
    for (int k = 0; k < K; k++) {
      float a = A[m * K + k];
      for (int n = 0; n < N; n++)
        C[m * N + n] += a * B[k * N + n];
    }
}

void ref_softmax(const float *x, float *y, float *mx, float *e, float *den, int R, int C) {
  for (int r = 0; r < R; r++) {
    float m = -INFINITY;
    for (int c = 0; c < C; c++)
      m = fmaxf(m, x[r * C + c]);
    mx[r] = m;
  }
  for (int r = 0; r < R; r++)
    for (int c = 0; c < C; c++)
      e[r * C + c] = expf(x[r * C + c] - mx[r]);
  for (int r = 0; r < R; r++) {
    float s = 0;
    for (int c = 0; c < C; c++)
      s += e[r * C + c];
    den[r] = s;
  }
  for (int r = 0; r < R; r++)
    for (int c = 0; c < C; c++)
      y[r * C + c] = e[r * C + c] / den[r];
}

void ref_rmsnorm(const float *x, const float *w, float *y, float *ms, float *inv, int T, int D) {
  for (int t = 0; t < T; t++) {
    float s = 0;
    for (int d = 0; d < D; d++)
      s += x[t * D + d] * x[t * D + d];
    ms[t] = s / D;
  }
  for (int t = 0; t < T; t++)
    inv[t] = 1.0f / sqrtf(ms[t] + 1e-5f);
  for (int t = 0; t < T; t++)
    for (int d = 0; d < D; d++)
      y[t * D + d] = x[t * D + d] * inv[t] * w[d];
}

void ref_mamba_scan(const float *u, const float *dt, const float *Bm, const float *Cm,
                    const float *A, const float *Dskip, float *y, float *dA, float *dBu, float *h,
                    int L, int E, int N) {
  for (int l = 0; l < L; l++)
    for (int e = 0; e < E; e++)
      for (int n = 0; n < N; n++)
        dA[(l * E + e) * N + n] = expf(dt[l * E + e] * A[e * N + n]);
  for (int l = 0; l < L; l++)
    for (int e = 0; e < E; e++)
      for (int n = 0; n < N; n++)
        dBu[(l * E + e) * N + n] = dt[l * E + e] * Bm[l * N + n] * u[l * E + e];
  for (int l = 0; l < L; l++)
    for (int e = 0; e < E; e++)
      for (int n = 0; n < N; n++) {
        float prev = l > 0 ? h[((l - 1) * E + e) * N + n] : 0.0f;
        h[(l * E + e) * N + n] = dA[(l * E + e) * N + n] * prev + dBu[(l * E + e) * N + n];
      }
  for (int l = 0; l < L; l++)
    for (int e = 0; e < E; e++) {
      float s = 0;
      for (int n = 0; n < N; n++)
        s += h[(l * E + e) * N + n] * Cm[l * N + n];
      y[l * E + e] = s + Dskip[e] * u[l * E + e];
    }
}
