/*
 * search — `/` in the explorer: which spans of one trace, and which lines of
 * the log, hold a text.
 *
 * A span matches when the text is in its name (the name the waterfall shows
 * and the record's own name), an attribute's key or value (a lab span's
 * derived attributes; a foreign span's otel attributes as the file typed
 * them, a non-string value as the details pane formats it), or its SQL (a
 * lab query's fingerprint; a foreign span's db.query.text, or its
 * fingerprint). Placeholders are no spans and never match. Case: smart, as
 * less -i: a query without an upper-case letter ignores (ASCII) case, one
 * with an upper-case letter does not. Matches are ordered: the spans in the
 * trace's order (start time), then the log's lines, oldest first; next and
 * previous wrap around.
 *
 * Ownership: a struct search owns its arrays and reuses them across runs;
 * the trace, string table and logbook are only read while search_run runs.
 * Errors: none but out of memory (xalloc.h aborts). One thread.
 */
#ifndef OBSLAB_SEARCH_H
#define OBSLAB_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct logbook;
struct strtab;
struct trace;

#define SEARCH_QUERY_MAX 1025 /* bytes of a query, its NUL included: 1024 of text */

/* Where a span matched (bits). */
enum search_field {
	SEARCH_NAME = 1 << 0,
	SEARCH_ATTR_KEY = 1 << 1,
	SEARCH_ATTR_VALUE = 1 << 2,
	SEARCH_SQL = 1 << 3,
};

enum search_kind { SEARCH_SPAN, SEARCH_LOG };

struct search_match {
	uint8_t kind;   /* enum search_kind */
	uint8_t fields; /* SEARCH_SPAN: enum search_field bits */
	uint32_t index; /* SEARCH_SPAN: into trace->spans; SEARCH_LOG: logbook_get's index */
};

struct search {
	char query[SEARCH_QUERY_MAX];
	size_t qlen;
	bool fold;    /* smart case: the query has no upper-case letter */
	bool numeric; /* the query could be in a formatted number */
	struct search_match *matches;
	size_t n, cap;
	size_t current;      /* the match shown, < n (when n > 0) */
	uint8_t *span_fields; /* per span of the last trace searched: enum search_field bits, 0 none */
	size_t nspans, spans_cap;
	size_t nspan_matches; /* matches[0 .. nspan_matches) are spans, the rest log lines */
};

void search_init(struct search *s);
void search_free(struct search *s);

/* Sets the query (cut to SEARCH_QUERY_MAX - 1 bytes, between UTF-8
 * characters) and its case rule; clears the matches. False if it is empty. */
bool search_set_query(struct search *s, const char *query);

/* Where the query is first found in text[0..len) at or after `from`:
 * its offset, or SIZE_MAX. An empty query is found nowhere. */
size_t search_find(const struct search *s, const char *text, size_t len, size_t from);

/* Searches t's spans (t may be NULL) and the logbook's lines (lb may be
 * NULL); returns the number of matches. current is kept where it was,
 * within the new count. */
size_t search_run(struct search *s, const struct trace *t, const struct strtab *names, const struct logbook *lb);

/* The next (dir > 0) or previous match, wrapping; returns current. */
size_t search_step(struct search *s, int dir);

/* Where span i of the last trace searched matched (0: it did not). */
static inline unsigned search_span_fields(const struct search *s, size_t i)
{
	return i < s->nspans ? s->span_fields[i] : 0;
}

#endif
