/*
 * rng — xoshiro256** seeded through splitmix64, and bounded draws without
 * modulo bias (rng.h).
 */
#include "obslab/rng.h"

#include <sys/random.h>

#include "obslab/clock.h"

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

void rng_seed_random(struct rng *r)
{
	uint64_t seed;
	if (getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed)
		seed = (uint64_t)clock_now_ns() ^ (uint64_t)(uintptr_t)r;
	rng_seed(r, seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint32_t rng_range(struct rng *r, uint32_t lo, uint32_t hi)
{
	uint64_t span = (uint64_t)hi - lo + 1;
	/* Reject the top sliver of 2^64 that does not divide evenly. */
	uint64_t limit = UINT64_MAX - (UINT64_MAX % span);
	uint64_t x;
	do
		x = rng_next(r);
	while (x >= limit);
	return lo + (uint32_t)(x % span);
}
