/*
 * findings — what a trace's spans say is wrong, with the evidence.
 *
 * N+1 (Sentry's published rule): under one parent, a source query followed
 * by at least n1_min_count sequential, non-overlapping queries with the
 * same fingerprint, whose total time is at least n1_min_ns. Its cost is
 * their total time, the wall-clock union of their intervals (sequential
 * queries: their summed durations; overlapping ones count once); the
 * saving a fix would bring is estimated as (N - 1) x the median cost of
 * one of them (one query instead of N), never more than the cost less one
 * median.
 * Batching is the fix, not the problem: a run whose queries each fetch the
 * rows of many parents (IN (...) chunks, SQLAlchemy's selectinload) is no
 * N+1. It is told apart by the parents each repetition serves: the source
 * returned at least FINDINGS_BATCH_ROWS rows per repetition (so each
 * repetition served that many parents or more), and either the repetitions
 * returned at least that many rows each on average or their statement takes
 * a list ("IN (?)", "= ANY(?)": sqlfp_takes_list), so that chunks of parents
 * with few or no rows of their own are chunks still. A loop of one query
 * per parent ("WHERE user_id = ?") returns about one row each (or serves one
 * parent each).
 *
 * Full scan in a loop: a query repeated under one parent whose statement
 * counters show full-table-scan steps: each repetition reads the whole
 * table. It names the index that would end the scans ("orders(user_id)");
 * its cost is the repetitions' database time (network excluded), and that
 * is the most an index could save.
 *
 * Foreign traces (someone else's file: SPAN_F_FOREIGN spans) are searched
 * by the same N+1 rule over their database spans (the reader gives them
 * SPAN_F_DB and their fingerprint from OpenTelemetry's db.* attributes).
 * Nothing was measured in the lab there: the cost is the file's own times,
 * and the saving is the same estimate, labelled as one
 * (finding_saving_basis). Rows count only where the file gave them
 * (SPAN_KNOWN_ROWS): unknown rows never make a run batching. The full scan
 * needs SQLite's statement counters, which no OpenTelemetry convention
 * carries: on a foreign trace it fires only where the file has obslab's own
 * counter (obslab.db.fullscan_steps, as obslab's OTLP export writes it), so
 * a lab trace exported and read back keeps its finding.
 *
 * Settings: a finding names the settings of the trace it came from, as the
 * trace records them (findings_settings_of): strategy, users and index from
 * the root's attributes, the simulated round trip from the queries' waits.
 * A foreign trace ran under no lab settings (settings.foreign): it is never
 * "old settings".
 *
 * A struct findings owns its items and their evidence (span indices into
 * the trace); findings_free releases them. Every loop found is a finding:
 * a trace of 100 handlers each looping over one query has 100. Pure: any
 * thread, the trace is only read.
 */
#ifndef OBSLAB_FINDINGS_H
#define OBSLAB_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "obslab/spantree.h"

struct strtab;
struct trace;

#define FINDINGS_DEFAULT_N1_MIN_COUNT 5
/* Rows per repetition, from the source (and from the repetitions, for a
 * statement without a list), that make a run batching. */
#define FINDINGS_BATCH_ROWS 2

struct findings_config {
	uint32_t n1_min_count; /* repeated queries needed: Sentry's default is 5 */
	int64_t n1_min_ns;     /* their total time needed: Sentry's hosted default is 50 ms */
};

enum finding_kind { FINDING_N_PLUS_ONE, FINDING_FULL_SCAN_LOOP };

struct finding {
	enum finding_kind kind;
	uint32_t fingerprint;    /* strtab id of the repeated query */
	uint32_t source;         /* N+1: the source query's span index; SPANTREE_NONE when no other query came
	                            before them (a foreign trace's group may have none): check before use */
	uint32_t count;          /* repetitions */
	size_t evidence;         /* offset of their span indices in findings.evidence */
	int64_t cost_ns;
	int64_t median_ns;       /* one repetition */
	int64_t saving_ns;       /* estimated; see above */
	uint64_t scanned_rows;   /* full scan: full-scan steps, summed */
	char index_hint[96];     /* full scan: "orders(user_id)" */
	bool foreign;            /* found on a foreign trace's spans */
};

/*
 * The settings a trace ran under, as its records say. Strategy, users and
 * index are the root's (obslab.strategy, obslab.users, obslab.index); the
 * round trip is the least simulated wait among its queries, in whole
 * microseconds: a query never waits less than the RTT, and the least wait
 * overshoots it by nanoseconds. A trace with no query has no known RTT.
 */
struct findings_settings {
	uint8_t strategy; /* enum strategy */
	uint32_t users;
	bool index;
	bool has_rtt;
	uint32_t rtt_us;
	bool foreign; /* someone else's trace: no lab settings (the rest all zero) */
};

struct findings {
	struct finding *item; /* n of them, one per loop found: no cap */
	size_t n, cap;
	struct findings_settings settings; /* of the trace the findings came from */
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

/* The settings t ran under (see struct findings_settings); t may be NULL (all zero). */
void findings_settings_of(const struct trace *t, struct findings_settings *out);
/* "naive, 1000 users, index off, RTT 200 us" (no RTT without one); a
 * foreign trace's: "its own service's settings, not the lab's". */
void findings_settings_text(const struct findings_settings *s, char *buf, size_t cap);
/* Whether a trace that ran under `ran` ran under other settings than `now`
 * (now's has_rtt false: RTT not compared); buf names ran's side of each
 * difference: "index off", "eager, 100 users", "RTT 0 us"; "" when none.
 * The RTT differs when the least wait is below now's, or above it by more
 * than a quarter plus 10 us (scheduling can delay every wait a little).
 * A foreign trace's never differ: there is nothing to compare. */
bool findings_settings_differ(const struct findings_settings *ran, const struct findings_settings *now, char *buf,
                              size_t cap);

const char *finding_name(enum finding_kind kind); /* "N+1 queries", "full scan in a loop" */
/* The kind's key in JSON output and files: "n_plus_one", "full_scan_loop". */
const char *finding_key(enum finding_kind kind);
/* How a finding's saving was obtained, for every printer to say beside it:
 * "estimated: N-1 round trips of the median call, from the file's times" for a
 * foreign N+1, "estimated: N-1 times the median query" for the lab's,
 * "the repetitions' database time (network excluded)" for a full scan. */
const char *finding_saving_basis(const struct finding *f);

#endif
