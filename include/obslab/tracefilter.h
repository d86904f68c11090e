/*
 * tracefilter — the trace list's filter language, parsed once and matched
 * against summary rows (tracelist.h).
 *
 *   expr    := term ( "or" term )*
 *   term    := factor ( ["and"] factor )*       (two factors side by side: and)
 *   factor  := "not" factor | "!" factor | "(" expr ")" | test
 *   test    := FIELD OP VALUE | "error[s]" | "finding[s]" | WORD
 *   FIELD   := duration | service | root | name | spans | errors | findings | finding
 *   OP      := = | != | > | >= | < | <= | ~   (~: contains)
 *
 * duration takes a number with a unit (ns, us, ms, s, m or min: `50ms`,
 * `1.5s`); spans, errors and findings a count; service, root and name
 * (root's other name) a word or a "quoted text", compared without regard to
 * case (= whole text, ~ part of it); finding = n_plus_one | full_scan_loop.
 * `error` (or `errors`) alone means errors > 0, `finding` (or `findings`) alone findings > 0. Any other
 * word is free text: found in the root name or the service, any case.
 *
 * tracefilter_parse fills err with one line naming the column (from 1) where
 * the text went wrong and what was expected there. A tracefilter is plain
 * data (no pointers out, nothing to free); the empty text matches all.
 */
#ifndef OBSLAB_TRACEFILTER_H
#define OBSLAB_TRACEFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "obslab/error.h"
#include "obslab/tracelist.h"

#define TRACEFILTER_MAX_NODES 64
#define TRACEFILTER_TEXT 64

enum tracefilter_op { TF_EQ, TF_NE, TF_GT, TF_GE, TF_LT, TF_LE, TF_CONTAINS };

enum tracefilter_node_kind {
	TF_AND,       /* a and b */
	TF_OR,        /* a or b */
	TF_NOT,       /* not a */
	TF_NUMBER,    /* field op number (duration in ns, counts) */
	TF_TEXT,      /* field op text */
	TF_FINDING,   /* finding = kind (op: EQ or NE) */
	TF_FREE,      /* text found in root name or service */
};

struct tracefilter_node {
	enum tracefilter_node_kind kind;
	enum tracefilter_op op;
	enum tracelist_col field;
	int a, b;                     /* children (AND, OR, NOT: a) */
	int64_t number;
	char text[TRACEFILTER_TEXT];  /* lower case */
};

struct tracefilter {
	struct tracefilter_node node[TRACEFILTER_MAX_NODES];
	int nnodes;
	int root;                     /* -1: matches every row */
};

bool tracefilter_parse(struct tracefilter *f, const char *text, struct obslab_error *err);
bool tracefilter_match(const struct tracefilter *f, const struct tracelist_row *row);

#endif
