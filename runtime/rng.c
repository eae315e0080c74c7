/* splitmix64 streams keyed by seed and tensor name (see rng.h). */
#include "runtime/rng.h"

uint64_t rng_fnv1a(uint64_t h, const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    h ^= *p;
    h *= 0x100000001b3ULL;
  }
  return h;
}

uint64_t rng_name_hash(const char *name) { return rng_fnv1a(RNG_FNV1A_BASIS, name); }

void rng_fill(float *out, size_t n, uint64_t seed, const char *name) {
  uint64_t state = seed ^ rng_name_hash(name);
  for (size_t i = 0; i < n; i++) {
    state += 0x9e3779b97f4a7c15ULL;
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    int64_t k = (int64_t)(z >> 40) - (INT64_C(1) << 23);
    out[i] = (float)k / 8388608.0f;
  }
}
