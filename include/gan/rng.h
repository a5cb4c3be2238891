/* Seeded, portable random numbers: xoshiro256** (Blackman & Vigna 2018)
 * seeded through splitmix64, with uniform floats, Box-Muller normals and a
 * Fisher-Yates shuffle.
 *
 * The whole state, including the cached second Box-Muller normal, is the
 * struct below, so copying it (or rng_pack/rng_unpack for a checkpoint)
 * continues the exact same sequence. Only integer arithmetic and IEEE
 * double math touch the state, so a seed gives the same numbers everywhere. */
#ifndef GAN_RNG_H
#define GAN_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t s[4];
    double spare;   /* second normal of the last Box-Muller pair */
    int has_spare;
} rng_t;

/* Size of the portable little-endian encoding of rng_t. */
#define RNG_PACKED_BYTES 44

/* Seeds r from (seed, stream): different streams of one seed are
 * independent sequences (used to keep weight init apart from data order). */
void rng_seed(rng_t *r, uint64_t seed, uint64_t stream);

uint64_t rng_next(rng_t *r);
/* Uniform in [0, 1) with 24 random bits. */
float rng_uniform(rng_t *r);
/* Uniform in [lo, hi). */
float rng_uniform_range(rng_t *r, float lo, float hi);
/* Standard normal N(0, 1). */
float rng_normal(rng_t *r);
/* Uniform integer in [0, n), n > 0, without modulo bias. */
uint32_t rng_below(rng_t *r, uint32_t n);
/* Fills a with n draws of N(mean, std^2). */
void rng_fill_normal(rng_t *r, float *a, size_t n, float mean, float std);
/* Uniformly random permutation of a[0..n) in place. */
void rng_shuffle_u32(rng_t *r, uint32_t *a, size_t n);

void rng_pack(uint8_t out[RNG_PACKED_BYTES], const rng_t *r);
/* Returns 0, or -1 if the bytes cannot be a state (has_spare not 0/1). */
int rng_unpack(rng_t *r, const uint8_t in[RNG_PACKED_BYTES]);

#endif
