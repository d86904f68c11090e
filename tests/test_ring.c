/* ring: order, wrap-around, drops counted exactly, and a two-thread stress. */
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "obslab/ring.h"
#include "obslab/span.h"

static void rejects_bad_shapes(void **state)
{
	(void)state;
	assert_null(ring_create(0, 8));
	assert_null(ring_create(1, 8));
	assert_null(ring_create(6, 8));
	assert_null(ring_create(8, 0));
	struct ring *r = ring_create(8, 8);
	assert_non_null(r);
	assert_int_equal(ring_capacity(r), 8);
	assert_int_equal(ring_elem_size(r), 8);
	ring_destroy(r);
}

static void wraps_around_in_order(void **state)
{
	(void)state;
	struct ring *r = ring_create(4, sizeof(uint64_t));
	uint64_t next_in = 0, next_out = 0, out[3];
	/* Push 3, pop 2, many times: the indices cross the end of the slots
	 * at every phase, and each pop that straddles it is split in two copies. */
	for (int round = 0; round < 100; round++) {
		for (int i = 0; i < 3 && next_in - next_out < 4; i++) {
			assert_true(ring_push(r, &next_in));
			next_in++;
		}
		size_t n = ring_pop(r, out, 2);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(out[i], next_out++);
	}
	size_t n;
	while ((n = ring_pop(r, out, 3)) > 0)
		for (size_t i = 0; i < n; i++)
			assert_int_equal(out[i], next_out++);
	assert_int_equal(next_out, next_in);
	assert_int_equal(ring_dropped(r), 0);
	ring_destroy(r);
}

static void full_ring_drops_and_counts_exactly(void **state)
{
	(void)state;
	struct ring *r = ring_create(8, sizeof(uint32_t));
	for (uint32_t i = 0; i < 8; i++)
		assert_true(ring_push(r, &i));
	for (uint32_t i = 100; i < 113; i++)
		assert_false(ring_push(r, &i));
	assert_int_equal(ring_dropped(r), 13);
	assert_int_equal(ring_pushed(r), 8);

	uint32_t out[16];
	assert_int_equal(ring_pop(r, out, 16), 8);
	for (uint32_t i = 0; i < 8; i++)
		assert_int_equal(out[i], i); /* the dropped ones never overwrote anything */
	uint32_t more = 7;
	assert_true(ring_push(r, &more)); /* room again */
	assert_int_equal(ring_dropped(r), 13);
	ring_destroy(r);
}

/* The stress: a producer pushes numbered span records as fast as it can; the
 * consumer checks that what arrives is intact and strictly increasing, and
 * that received + dropped == sent. */
#define STRESS_RECORDS 2000000u

struct stress {
	struct ring *ring;
	uint64_t sent;
};

static void fill(struct span_record *rec, uint64_t n)
{
	memset(rec, 0, sizeof *rec);
	rec->span_id = n;
	rec->parent_id = ~n;
	rec->start_ns = (int64_t)n * 3;
	rec->end_ns = (int64_t)n * 3 + 1;
	rec->u.db.rows = (uint32_t)n ^ 0x5a5a5a5au;
}

static void *producer(void *arg)
{
	struct stress *s = arg;
	struct span_record rec;
	for (uint64_t n = 1; n <= STRESS_RECORDS; n++) {
		fill(&rec, n);
		(void)ring_push(s->ring, &rec);
	}
	s->sent = STRESS_RECORDS;
	return NULL;
}

static void two_threads_lose_nothing_silently(void **state)
{
	(void)state;
	struct stress s = { .ring = ring_create(1024, sizeof(struct span_record)) };
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, producer, &s), 0);

	struct span_record batch[64], expect;
	uint64_t received = 0, last = 0;
	for (;;) {
		size_t n = ring_pop(s.ring, batch, 64);
		for (size_t i = 0; i < n; i++) {
			uint64_t id = batch[i].span_id;
			assert_true(id > last);
			fill(&expect, id);
			assert_memory_equal(&batch[i], &expect, sizeof expect);
			last = id;
		}
		received += n;
		if (n == 0 && received + ring_dropped(s.ring) == STRESS_RECORDS)
			break;
	}
	pthread_join(t, NULL);
	assert_int_equal(s.sent, STRESS_RECORDS);
	assert_int_equal(received + ring_dropped(s.ring), STRESS_RECORDS);
	assert_int_equal(ring_pushed(s.ring), received);
	ring_destroy(s.ring);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rejects_bad_shapes),
		cmocka_unit_test(wraps_around_in_order),
		cmocka_unit_test(full_ring_drops_and_counts_exactly),
		cmocka_unit_test(two_threads_lose_nothing_silently),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
