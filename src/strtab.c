/*
 * strtab — the append-only string table: an arena of text that never moves,
 * entries in chunks published with release stores (readers need no lock),
 * and an open-addressing index that only writers touch, holding the mutex.
 */
#include "obslab/strtab.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/xalloc.h"

#define CHUNK_BITS 10
#define CHUNK_LEN (1u << CHUNK_BITS)
#define CHUNKS (STRTAB_MAX_STRINGS / CHUNK_LEN)
#define ARENA_BLOCK (64u * 1024u)

struct entry {
	const char *text;
	uint32_t len;
};

/* Text lives in arena blocks that are never reallocated. */
struct block {
	struct block *next;
	size_t used, size;
	char data[];
};

struct strtab {
	/* Shared with readers: entries are written, then count is released. */
	_Atomic(struct entry *) chunks[CHUNKS];
	_Atomic uint32_t count;

	/* Writers only, under lock: the lookup index and the arena. */
	pthread_mutex_t lock;
	uint32_t *slots; /* open addressing; holds ids, 0 = empty */
	uint64_t *slot_hash;
	size_t nslots;
	struct block *blocks;
};

uint64_t strtab_hash(const char *s, size_t len)
{
	const uint64_t k = UINT64_C(0x9e3779b97f4a7c15);
	uint64_t h = (uint64_t)len * k, w;
	size_t n = len;
	for (; n > 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * k;
		h ^= h >> 29;
	}
	/* The last 1 to 8 bytes read whole (overlapping what came before when
	 * the string is longer), never copied byte by byte. */
	if (len >= 8) {
		memcpy(&w, s + n - 8, 8);
	} else if (n >= 4) {
		uint32_t a, b;
		memcpy(&a, s, 4);
		memcpy(&b, s + n - 4, 4);
		w = (uint64_t)a << 32 | b;
	} else if (n == 0) {
		w = 0;
	} else {
		w = (uint64_t)(unsigned char)s[0] << 16 | (uint64_t)(unsigned char)s[n / 2] << 8 |
		    (unsigned char)s[n - 1];
	}
	h = (h ^ w) * k;
	h ^= h >> 29;
	h *= UINT64_C(0xbf58476d1ce4e5b9);
	return h ^ (h >> 32);
}

static struct entry *entry_at(const struct strtab *tab, uint32_t id)
{
	assert(id < STRTAB_MAX_STRINGS);
	struct entry *chunk = atomic_load_explicit(&tab->chunks[id >> CHUNK_BITS], memory_order_acquire);
	assert(chunk);
	return &chunk[id & (CHUNK_LEN - 1)];
}

static const char *arena_copy(struct strtab *tab, const char *s, size_t len)
{
	struct block *b = tab->blocks;
	if (!b || b->size - b->used < len + 1) {
		size_t size = len + 1 > ARENA_BLOCK ? len + 1 : ARENA_BLOCK;
		b = xmalloc(sizeof *b + size);
		b->next = tab->blocks;
		b->used = 0;
		b->size = size;
		tab->blocks = b;
	}
	char *dst = b->data + b->used;
	memcpy(dst, s, len);
	dst[len] = '\0';
	b->used += len + 1;
	return dst;
}

static void index_grow(struct strtab *tab)
{
	size_t nslots = tab->nslots ? tab->nslots * 2 : 256;
	uint32_t *slots = xcalloc(nslots, sizeof *slots);
	uint64_t *hashes = xcalloc(nslots, sizeof *hashes);
	for (size_t i = 0; i < tab->nslots; i++) {
		if (!tab->slots[i])
			continue;
		size_t j = tab->slot_hash[i] & (nslots - 1);
		while (slots[j])
			j = (j + 1) & (nslots - 1);
		slots[j] = tab->slots[i];
		hashes[j] = tab->slot_hash[i];
	}
	free(tab->slots);
	free(tab->slot_hash);
	tab->slots = slots;
	tab->slot_hash = hashes;
	tab->nslots = nslots;
}

struct strtab *strtab_create(void)
{
	struct strtab *tab = xcalloc(1, sizeof *tab);
	struct entry *first = xcalloc(CHUNK_LEN, sizeof *first);
	if (pthread_mutex_init(&tab->lock, NULL) != 0)
		abort(); /* a default mutex cannot fail but for lack of memory */
	index_grow(tab);
	first[0] = (struct entry){ .text = "", .len = 0 };
	atomic_init(&tab->chunks[0], first);
	for (size_t i = 1; i < CHUNKS; i++)
		atomic_init(&tab->chunks[i], NULL);
	atomic_init(&tab->count, 1);
	return tab;
}

void strtab_destroy(struct strtab *tab)
{
	if (!tab)
		return;
	for (size_t i = 0; i < CHUNKS; i++)
		free(atomic_load_explicit(&tab->chunks[i], memory_order_relaxed));
	for (struct block *b = tab->blocks, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	free(tab->slots);
	free(tab->slot_hash);
	pthread_mutex_destroy(&tab->lock);
	free(tab);
}

/* The body of strtab_intern; the caller holds tab->lock. */
static uint32_t intern_locked(struct strtab *tab, const char *s, size_t len)
{
	/* Keep the index at most half full, so a probe always ends. */
	uint32_t count = atomic_load_explicit(&tab->count, memory_order_relaxed);
	if ((size_t)count * 2 >= tab->nslots)
		index_grow(tab);
	assert((size_t)count * 2 < tab->nslots && (tab->nslots & (tab->nslots - 1)) == 0); /* a probe ends */
	uint64_t h = strtab_hash(s, len);
	size_t j = h & (tab->nslots - 1);
	for (; tab->slots[j]; j = (j + 1) & (tab->nslots - 1)) {
		if (tab->slot_hash[j] != h)
			continue;
		const struct entry *e = entry_at(tab, tab->slots[j]);
		if (e->len == len && memcmp(e->text, s, len) == 0)
			return tab->slots[j];
	}

	uint32_t id = count;
	if (id >= STRTAB_MAX_STRINGS || len > UINT32_MAX)
		return STRTAB_NONE;
	uint32_t c = id >> CHUNK_BITS;
	if (!atomic_load_explicit(&tab->chunks[c], memory_order_relaxed)) {
		struct entry *chunk = xcalloc(CHUNK_LEN, sizeof *chunk);
		atomic_store_explicit(&tab->chunks[c], chunk, memory_order_release);
	}
	const char *text = arena_copy(tab, s, len);
	assert(tab->slots[j] == 0);
	*entry_at(tab, id) = (struct entry){ .text = text, .len = (uint32_t)len };
	tab->slots[j] = id;
	tab->slot_hash[j] = h;
	atomic_store_explicit(&tab->count, id + 1, memory_order_release);
	return id;
}

uint32_t strtab_intern(struct strtab *tab, const char *s, size_t len)
{
	if (len == 0)
		return STRTAB_NONE;
	pthread_mutex_lock(&tab->lock);
	uint32_t id = intern_locked(tab, s, len);
	pthread_mutex_unlock(&tab->lock);
	return id;
}

uint32_t strtab_intern_cstr(struct strtab *tab, const char *s)
{
	return strtab_intern(tab, s, strlen(s));
}

const char *strtab_get(const struct strtab *tab, uint32_t id)
{
	if (id >= atomic_load_explicit(&tab->count, memory_order_acquire))
		return "";
	return entry_at(tab, id)->text;
}

size_t strtab_len(const struct strtab *tab, uint32_t id)
{
	if (id >= atomic_load_explicit(&tab->count, memory_order_acquire))
		return 0;
	return entry_at(tab, id)->len;
}

uint32_t strtab_count(const struct strtab *tab)
{
	return atomic_load_explicit(&tab->count, memory_order_acquire);
}
