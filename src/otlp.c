/*
 * otlp — the OTLP codec's entry and its small parts (otlp.h): otlp_decode
 * by encoding, the bounded arena protobuf-c allocates from, otlp_buf and
 * the shared, reference-counted otlp_batch.
 */
#include "obslab/otlp.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/xalloc.h"
#include "otlp_internal.h"

bool otlp_decode(enum otlp_encoding enc, const void *body, size_t len, struct otel_set *out,
                 struct otlp_decode_result *res, struct obslab_error *err)
{
	*res = (struct otlp_decode_result){ 0 };
	if (enc == OTLP_JSON)
		return otlp_json_decode(body, len, out, res, err);
	return otlp_pb_decode(body, len, out, res, err);
}

void otlp_reject(struct otlp_decode_result *res, const char *fmt, ...)
{
	if (res->rejected++ == 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(res->message, sizeof res->message, fmt, ap);
		va_end(ap);
	}
}

/* ---- the arena ------------------------------------------------------------------------- */

#define ARENA_ALIGN 8u            /* protobuf-c's structs hold pointers, size_t, 64-bit numbers */
#define ARENA_BLOCK (64u * 1024u) /* the first block; later ones double up to 1 MiB */
#define ARENA_LARGE 2048u         /* and above: malloc'd alone, freed when protobuf-c frees them */
#define LARGE_HEADER 16u          /* before a large allocation: its size */

struct otlp_arena_block {
	struct otlp_arena_block *next;
	size_t size;
	max_align_t data[];
};

static char large_tomb; /* a freed slot in the table of large allocations (its address only) */
#define TOMB ((void *)&large_tomb)

static size_t large_slot(const struct otlp_arena *a, const void *p)
{
	uintptr_t h = (uintptr_t)p;
	h ^= h >> 17;
	h *= (uintptr_t)0x9e3779b97f4a7c15ull;
	return (size_t)(h >> 7) & (a->large_cap - 1);
}

static void large_insert(struct otlp_arena *a, void *p)
{
	if ((a->nlarge + 1) * 2 > a->large_cap) { /* grow, dropping tombstones */
		size_t old_cap = a->large_cap;
		void **old = a->large;
		a->large_cap = old_cap ? old_cap * 2 : 64;
		a->large = xcalloc(a->large_cap, sizeof *a->large);
		for (size_t i = 0; i < old_cap; i++)
			if (old[i] && old[i] != TOMB) {
				size_t s = large_slot(a, old[i]);
				while (a->large[s])
					s = (s + 1) & (a->large_cap - 1);
				a->large[s] = old[i];
			}
		free(old);
	}
	size_t s = large_slot(a, p);
	while (a->large[s] && a->large[s] != TOMB)
		s = (s + 1) & (a->large_cap - 1);
	a->large[s] = p;
	a->nlarge++;
}

/* Removes p from the table: true if it was a large allocation. Tombstones
 * count in nlarge until the next growth, so the table never fills. */
static bool large_remove(struct otlp_arena *a, const void *p)
{
	if (!a->large_cap)
		return false;
	for (size_t s = large_slot(a, p); a->large[s]; s = (s + 1) & (a->large_cap - 1))
		if (a->large[s] == p) {
			a->large[s] = TOMB;
			return true;
		}
	return false;
}

/* Blocks kept by each thread between calls (up to ARENA_SPARE bytes): a
 * pool thread decoding one request after another reuses the same memory
 * instead of having fresh pages faulted in for every body. Freed when the
 * thread ends. */
#define ARENA_SPARE (4u * 1024u * 1024u)

struct spare {
	struct otlp_arena_block *blocks;
	size_t bytes;
};

static pthread_key_t spare_key;
static pthread_once_t spare_once = PTHREAD_ONCE_INIT;

static void spare_free(void *p)
{
	struct spare *s = p;
	for (struct otlp_arena_block *b = s->blocks, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	free(s);
}

static void spare_init(void)
{
	if (pthread_key_create(&spare_key, spare_free) != 0)
		abort(); /* only when the process is out of keys */
}

static struct spare *spare_of_thread(bool make)
{
	pthread_once(&spare_once, spare_init);
	struct spare *s = pthread_getspecific(spare_key);
	if (!s && make) {
		s = xcalloc(1, sizeof *s);
		if (pthread_setspecific(spare_key, s) != 0) {
			free(s);
			return NULL;
		}
	}
	return s;
}

/* A kept block of exactly size bytes, or NULL. */
static struct otlp_arena_block *spare_take(size_t size)
{
	struct spare *s = spare_of_thread(false);
	if (!s)
		return NULL;
	for (struct otlp_arena_block **p = &s->blocks; *p; p = &(*p)->next)
		if ((*p)->size == size) {
			struct otlp_arena_block *b = *p;
			*p = b->next;
			s->bytes -= b->size;
			return b;
		}
	return NULL;
}

static void spare_give(struct otlp_arena_block *b)
{
	struct spare *s = b->size <= ARENA_SPARE ? spare_of_thread(true) : NULL;
	if (!s || s->bytes + b->size > ARENA_SPARE) {
		free(b);
		return;
	}
	b->next = s->blocks;
	s->blocks = b;
	s->bytes += b->size;
}

static bool arena_take(struct otlp_arena *a, size_t size)
{
	if (size > a->limit - a->live) {
		a->over = true;
		return false;
	}
	a->live += size;
	if (a->live > a->peak)
		a->peak = a->live;
	return true;
}

void *otlp_arena_alloc(struct otlp_arena *a, size_t size)
{
	size = size ? (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1) : ARENA_ALIGN;
	if (size >= ARENA_LARGE) {
		if (size > SIZE_MAX / 2 || !arena_take(a, size + LARGE_HEADER))
			return NULL;
		char *p = xmalloc(size + LARGE_HEADER);
		memcpy(p, &size, sizeof size);
		large_insert(a, p + LARGE_HEADER);
		return p + LARGE_HEADER;
	}
	if ((size_t)(a->end - a->p) < size) {
		size_t want = a->blocks ? a->blocks->size * 2 : ARENA_BLOCK;
		if (want > 16 * ARENA_BLOCK)
			want = 16 * ARENA_BLOCK;
		if (want > a->limit - a->live) /* the last block: what the limit leaves */
			want = a->limit - a->live;
		if (want < size || !arena_take(a, want)) {
			a->over = true;
			return NULL;
		}
		struct otlp_arena_block *b = spare_take(want);
		if (!b) {
			b = xmalloc(sizeof *b + want);
			b->size = want;
		}
		b->next = a->blocks;
		a->blocks = b;
		a->p = (char *)b->data;
		a->end = a->p + want;
	}
	void *p = a->p;
	a->p += size;
	return p;
}

static void *pb_alloc(void *data, size_t size)
{
	return otlp_arena_alloc(data, size);
}

static void pb_free(void *data, void *p)
{
	struct otlp_arena *a = data;
	if (!p || !large_remove(a, p))
		return; /* a block's: freed with the arena */
	char *base = (char *)p - LARGE_HEADER;
	size_t size;
	memcpy(&size, base, sizeof size);
	a->live -= size + LARGE_HEADER;
	free(base);
}

void otlp_arena_init(struct otlp_arena *a, size_t limit)
{
	*a = (struct otlp_arena){ .limit = limit };
	a->allocator.alloc = pb_alloc;
	a->allocator.free = pb_free;
	a->allocator.allocator_data = a;
}

void otlp_arena_free_all(struct otlp_arena *a)
{
	for (struct otlp_arena_block *b = a->blocks, *next; b; b = next) {
		next = b->next;
		spare_give(b);
	}
	for (size_t i = 0; i < a->large_cap; i++)
		if (a->large[i] && a->large[i] != TOMB)
			free((char *)a->large[i] - LARGE_HEADER);
	free(a->large);
	otlp_arena_init(a, a->limit);
}

/* ---- otlp_buf ----------------------------------------------------------------------------- */

void otlp_buf_reserve(struct otlp_buf *b, size_t more)
{
	if (b->cap - b->len > more)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap - b->len <= more) {
		if (cap > SIZE_MAX / 2)
			cap = b->len + more + 1; /* xrealloc aborts if even that cannot be had */
		else
			cap *= 2;
	}
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

void otlp_buf_append(struct otlp_buf *b, const void *s, size_t len)
{
	otlp_buf_reserve(b, len);
	memcpy(b->data + b->len, s, len);
	b->len += len;
	b->data[b->len] = '\0'; /* reserve keeps a byte spare */
}

void otlp_buf_free(struct otlp_buf *b)
{
	free(b->data);
	*b = (struct otlp_buf){ 0 };
}

/* ---- otlp_batch ------------------------------------------------------------------------- */

struct otlp_batch *otlp_batch_new(struct otel_set *set, int64_t received_ns)
{
	struct otlp_batch *b = xmalloc(sizeof *b);
	b->set = set;
	b->nspans = set->nspans;
	b->received_ns = received_ns;
	b->via = NULL;
	atomic_init(&b->refs, 1);
	return b;
}

struct otlp_batch *otlp_batch_ref(struct otlp_batch *b)
{
	atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
	return b;
}

void otlp_batch_unref(struct otlp_batch *b)
{
	if (!b || atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) != 1)
		return;
	otel_set_destroy(b->set);
	free(b->via);
	free(b);
}
