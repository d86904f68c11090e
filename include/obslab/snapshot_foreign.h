/*
 * snapshot_foreign — what the writers share about foreign traces: the
 * otel_sets a store's traces name, numbered one after the other (a native
 * file's "resources"/"scopes" arrays and the SQLite tables' ids), and a
 * trace's foreign spans in the order an OTLP writer groups them.
 *
 * struct otel_bases owns its arrays (otel_bases_free); the sets stay the
 * store's. snapshot_foreign_order returns an array the caller frees.
 * Placeholders and obslab's own spans have no otel_span and are left out.
 */
#ifndef OBSLAB_SNAPSHOT_FOREIGN_H
#define OBSLAB_SNAPSHOT_FOREIGN_H

#include <stddef.h>
#include <stdint.h>

#include "obslab/otel.h"

struct otel_set;
struct store;
struct trace;

struct otel_bases {
	const struct otel_set **set;
	size_t *resource_base, *scope_base; /* the first number of each set's resources, scopes */
	size_t n, nresources, nscopes;      /* sets; resources and scopes over all of them */
};

/* Every distinct set the store's traces name, in order of first use. */
void otel_bases_collect(struct otel_bases *b, const struct store *store);
/* Which of b's sets is set (b->n when it is not one of them). */
size_t otel_bases_find(const struct otel_bases *b, const struct otel_set *set);
void otel_bases_free(struct otel_bases *b);

/* The indices (into t->otel->spans) of t's foreign spans, ordered by
 * resource, then scope, each in order of first appearance, then as in the
 * file; *n of them. NULL with *n 0 when there are none. */
uint32_t *snapshot_foreign_order(const struct trace *t, size_t *n);

/* Each attribute's occurrence of its key in a (1 the first, 2 the second
 * ...), so that a key a span repeats can be written "key (2)" where a JSON
 * object allows no duplicate keys. NULL (nothing to free) when no key
 * repeats; else an array of a.count the caller frees. */
uint32_t *snapshot_key_occurrences(const struct otel_set *set, struct otel_attrs a);

#endif
