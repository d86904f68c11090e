/*
 * spantree — a trace's parent/child structure, built once in O(n).
 *
 * Children are kept in start order (the store sorts a trace's spans by
 * start). A span whose parent is missing from the trace hangs from the
 * root. A struct spantree owns scratch arrays it reuses across builds;
 * the trace is only read and must outlive the tree's use.
 *
 * Threads: a struct spantree belongs to one thread (the explorer's UI
 * thread, or a command's); nothing global.
 */
#ifndef OBSLAB_SPANTREE_H
#define OBSLAB_SPANTREE_H

#include <stddef.h>
#include <stdint.h>

struct trace;

#define SPANTREE_NONE UINT32_MAX

struct spantree {
	uint32_t *first_child, *last_child, *next_sibling; /* span indices, or SPANTREE_NONE */
	size_t cap;
	uint64_t *slot_key; /* span id -> index, open addressing */
	uint32_t *slot_val;
	size_t nslots;
};

void spantree_init(struct spantree *tree);
void spantree_free(struct spantree *tree);
void spantree_build(struct spantree *tree, const struct trace *t);

/* The index of the span with this id, or SPANTREE_NONE. */
uint32_t spantree_find(const struct spantree *tree, uint64_t span_id);

/* From sibling on, how many consecutive siblings are "the same query":
 * the same name, kind and database flag. */
uint32_t spantree_run(const struct spantree *tree, const struct trace *t, uint32_t sibling);

#endif
