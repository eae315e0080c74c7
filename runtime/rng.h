/* Seeded deterministic inputs. Every target fills a tensor that was not given
 * with the same values for the same seed and tensor name:
 *
 *   state = seed XOR fnv1a64(name)            (FNV-1a, 64-bit, over the name's bytes)
 *   for each element i = 0, 1, ... in C order:
 *     state += 0x9e3779b97f4a7c15             (splitmix64)
 *     z = state
 *     z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
 *     z = (z ^ (z >> 27)) * 0x94d049bb133111eb
 *     z = z ^ (z >> 31)
 *     value[i] = ((int64)(z >> 40) - 2^23) / 2^23    (exact in binary32, in [-1, 1))
 */
#ifndef EINC_RNG_H
#define EINC_RNG_H

#include <stddef.h>
#include <stdint.h>

/* FNV-1a (64-bit) continued over a string's bytes from hash h; chaining
 * calls hashes the concatenation. arch_hash uses it too. */
#define RNG_FNV1A_BASIS 0xcbf29ce484222325ULL
uint64_t rng_fnv1a(uint64_t h, const char *s);
/* rng_fnv1a(RNG_FNV1A_BASIS, name). */
uint64_t rng_name_hash(const char *name);
/* Fills n floats with the tensor's values for this seed. */
void rng_fill(float *out, size_t n, uint64_t seed, const char *name);

#endif
