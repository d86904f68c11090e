/*
 * ring — the single-producer, single-consumer ring: two monotonically
 * growing indices on separate cache lines, each side caching the other's
 * index, release/acquire ordering so a record is whole before it is seen.
 */
#include "obslab/ring.h"

#include <assert.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/xalloc.h"

#define CACHE_LINE 64

/*
 * head counts records ever pushed, tail records ever popped; both only grow
 * (64-bit: no wrap in practice), and slot = index & mask. Each side keeps a
 * private copy of the other's index and reloads it only when the copy says
 * the ring is full (producer) or empty (consumer), so in steady state the
 * two cores do not bounce each other's cache lines; the shared indices and
 * each side's private state live on separate lines.
 */
struct ring {
	alignas(CACHE_LINE) _Atomic uint64_t head; /* published by the producer */
	alignas(CACHE_LINE) _Atomic uint64_t tail; /* published by the consumer */
	alignas(CACHE_LINE) _Atomic uint64_t dropped; /* written by the producer, read by anyone */

	/* Each side's private line: its own index and its view of the other's. */
	alignas(CACHE_LINE) uint64_t next_head; /* producer: head, without reading it back */
	uint64_t tail_cache;                    /* producer's view of tail */
	alignas(CACHE_LINE) uint64_t head_cache; /* consumer's view of head */

	alignas(CACHE_LINE) uint64_t mask;         /* read-only after create */
	size_t elem_size;
	unsigned char *slots;
};

struct ring *ring_create(size_t capacity, size_t elem_size)
{
	if (capacity < 2 || (capacity & (capacity - 1)) != 0 || elem_size == 0)
		return NULL;
	struct ring *ring = xmalloc_aligned(CACHE_LINE, sizeof *ring); /* sizeof: a multiple of CACHE_LINE */
	memset(ring, 0, sizeof *ring);
	ring->slots = xmalloc_array(capacity, elem_size);
	ring->mask = capacity - 1;
	assert((capacity & ring->mask) == 0);
	ring->elem_size = elem_size;
	atomic_init(&ring->head, 0);
	atomic_init(&ring->tail, 0);
	atomic_init(&ring->dropped, 0);
	return ring;
}

void ring_destroy(struct ring *ring)
{
	if (!ring)
		return;
	free(ring->slots);
	free(ring);
}

bool ring_push(struct ring *ring, const void *elem)
{
	uint64_t head = ring->next_head;
	if (head - ring->tail_cache > ring->mask) {
		ring->tail_cache = atomic_load_explicit(&ring->tail, memory_order_acquire);
		if (head - ring->tail_cache > ring->mask) {
			atomic_store_explicit(&ring->dropped,
			                      atomic_load_explicit(&ring->dropped, memory_order_relaxed) + 1,
			                      memory_order_relaxed);
			return false;
		}
	}
	assert(head - ring->tail_cache <= ring->mask); /* a free slot */
	unsigned char *slot = ring->slots + (head & ring->mask) * ring->elem_size;
	if (ring->elem_size == CACHE_LINE)
		memcpy(slot, elem, CACHE_LINE); /* span records: a fixed size the compiler inlines */
	else
		memcpy(slot, elem, ring->elem_size);
	ring->next_head = head + 1;
	atomic_store_explicit(&ring->head, head + 1, memory_order_release);
	return true;
}

size_t ring_pop(struct ring *ring, void *out, size_t max)
{
	uint64_t tail = atomic_load_explicit(&ring->tail, memory_order_relaxed);
	if (ring->head_cache == tail) /* looks empty: only then ask the producer */
		ring->head_cache = atomic_load_explicit(&ring->head, memory_order_acquire);
	uint64_t available = ring->head_cache - tail;
	assert(available <= ring->mask + 1); /* never more than the ring holds */
	size_t n = available < max ? (size_t)available : max;
	if (n == 0)
		return 0;

	size_t capacity = (size_t)ring->mask + 1;
	size_t first = (size_t)(tail & ring->mask);
	size_t run = n < capacity - first ? n : capacity - first;
	memcpy(out, ring->slots + first * ring->elem_size, run * ring->elem_size);
	if (run < n)
		memcpy((unsigned char *)out + run * ring->elem_size, ring->slots,
		       (n - run) * ring->elem_size);
	atomic_store_explicit(&ring->tail, tail + n, memory_order_release);
	return n;
}

uint64_t ring_dropped(const struct ring *ring)
{
	return atomic_load_explicit(&ring->dropped, memory_order_relaxed);
}

uint64_t ring_pushed(const struct ring *ring)
{
	return atomic_load_explicit(&ring->head, memory_order_relaxed);
}

size_t ring_capacity(const struct ring *ring)
{
	return (size_t)ring->mask + 1;
}

size_t ring_elem_size(const struct ring *ring)
{
	return ring->elem_size;
}
