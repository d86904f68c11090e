/*
 * ring — a single-producer, single-consumer lock-free ring of fixed-size
 * records.
 *
 * Exactly one thread pushes and exactly one thread pops. ring_push never
 * blocks and never waits for the consumer: when the ring is full the record
 * is dropped and counted (ring_dropped). Records are copied in and out by
 * value, so neither side ever holds a pointer into the other's memory.
 * Capacity is a power of two; head and tail live on separate cache lines.
 * ring_create allocates, ring_destroy frees; destroy only when neither side
 * can touch the ring any more.
 */
#ifndef OBSLAB_RING_H
#define OBSLAB_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ring;

/* capacity: a power of two >= 2; elem_size: > 0. NULL on bad arguments;
 * out of memory aborts (xalloc.h). */
struct ring *ring_create(size_t capacity, size_t elem_size);
void ring_destroy(struct ring *ring);

/* Producer only. Copies elem_size bytes; false if the ring was full and the
 * record was dropped (and counted). */
bool ring_push(struct ring *ring, const void *elem);

/* Consumer only. Copies up to max records into out, oldest first, and
 * returns how many. */
size_t ring_pop(struct ring *ring, void *out, size_t max);

/* Any thread. */
uint64_t ring_dropped(const struct ring *ring);
uint64_t ring_pushed(const struct ring *ring); /* records accepted so far */
size_t ring_capacity(const struct ring *ring);
size_t ring_elem_size(const struct ring *ring);

#endif
