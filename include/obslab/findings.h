/*
 * findings — what a trace's spans say is wrong, with the evidence.
 *
 * N+1 (Sentry's published rule): under one parent, a source query followed
 * by at least n1_min_count sequential, non-overlapping queries with the
 * same fingerprint, whose total time is at least n1_min_ns. Its cost is
 * their total time; the saving a fix would bring is estimated as
 * (N - 1) x the median cost of one of them (one query instead of N).
 *
 * Full scan in a loop: a query repeated under one parent whose statement
 * counters show full-table-scan steps: each repetition reads the whole
 * table. It names the index that would end the scans ("orders(user_id)");
 * its cost is the repetitions' database time (network excluded), and that
 * is the most an index could save.
 *
 * A struct findings owns its evidence (span indices into the trace);
 * findings_free releases it. Pure: any thread, the trace is only read.
 */
#ifndef OBSLAB_FINDINGS_H
#define OBSLAB_FINDINGS_H

#include <stddef.h>
#include <stdint.h>

#include "obslab/spantree.h"

struct strtab;
struct trace;

#define FINDINGS_DEFAULT_N1_MIN_COUNT 5
#define FINDINGS_MAX 16

struct findings_config {
	uint32_t n1_min_count; /* repeated queries needed: Sentry's default is 5 */
	int64_t n1_min_ns;     /* their total time needed: Sentry's hosted default is 50 ms */
};

enum finding_kind { FINDING_N_PLUS_ONE, FINDING_FULL_SCAN_LOOP };

struct finding {
	enum finding_kind kind;
	uint32_t fingerprint;    /* strtab id of the repeated query */
	uint32_t source;         /* N+1: the source query's span index */
	uint32_t count;          /* repetitions */
	size_t evidence;         /* offset of their span indices in findings.evidence */
	int64_t cost_ns;
	int64_t median_ns;       /* one repetition */
	int64_t saving_ns;       /* estimated; see above */
	uint64_t scanned_rows;   /* full scan: full-scan steps, summed */
	char index_hint[96];     /* full scan: "orders(user_id)" */
};

struct findings {
	struct finding item[FINDINGS_MAX];
	size_t n;
	uint32_t *evidence; /* span indices */
	size_t evidence_len, evidence_cap;
	struct spantree tree; /* scratch */
};

void findings_init(struct findings *f);
void findings_free(struct findings *f);

/* Replaces f's findings with t's. t may be NULL (no findings). */
void findings_detect(struct findings *f, const struct trace *t, const struct findings_config *cfg,
                     const struct strtab *names);

/* The finding of this kind whose repetitions include span index i, or NULL. */
const struct finding *findings_for_span(const struct findings *f, enum finding_kind kind, uint32_t i);
/* The finding of this kind about this fingerprint, or NULL. */
const struct finding *findings_for_fingerprint(const struct findings *f, enum finding_kind kind,
                                               uint32_t fingerprint);

const char *finding_name(enum finding_kind kind); /* "N+1 queries", "full scan in a loop" */
/* The kind's key in JSON output and files: "n_plus_one", "full_scan_loop". */
const char *finding_key(enum finding_kind kind);

#endif
