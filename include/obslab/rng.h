/*
 * rng — xoshiro256** pseudo-random numbers (Blackman & Vigna).
 *
 * Two uses with opposite needs: seeding the database wants the same stream
 * for the same --seed on every machine (rng_seed), span and trace ids want
 * streams no two runs share (rng_seed_random, from getrandom(2)).
 * A struct rng belongs to one thread; there is nothing to free.
 */
#ifndef OBSLAB_RNG_H
#define OBSLAB_RNG_H

#include <stdint.h>

struct rng {
	uint64_t s[4];
};

/* Deterministic: the state is expanded from seed with splitmix64. */
void rng_seed(struct rng *r, uint64_t seed);

/* From the kernel's entropy; falls back to the clock and address-space
 * layout if getrandom(2) fails. */
void rng_seed_random(struct rng *r);

uint64_t rng_next(struct rng *r);

/* Uniform in [lo, hi], both inclusive, without modulo bias. */
uint32_t rng_range(struct rng *r, uint32_t lo, uint32_t hi);

#endif
