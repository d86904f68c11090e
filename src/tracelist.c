/* tracelist — summary rows of traces, sorted and filtered (see tracelist.h). */
#include "obslab/tracelist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "obslab/attrs.h"
#include "obslab/findings.h"
#include "obslab/otel.h"
#include "obslab/store.h"
#include "obslab/tracefilter.h"
#include "obslab/xalloc.h"

#define LAB_SERVICE "obslab"

static const char *const col_names[TRACELIST_NCOLS] = {
	[TRACELIST_START] = "start",   [TRACELIST_DURATION] = "duration", [TRACELIST_SERVICE] = "service",
	[TRACELIST_ROOT] = "root",     [TRACELIST_SPANS] = "spans",       [TRACELIST_ERRORS] = "errors",
	[TRACELIST_FINDINGS] = "findings",
};

const char *tracelist_col_name(enum tracelist_col c)
{
	return c < TRACELIST_NCOLS ? col_names[c] : "?";
}

bool tracelist_col_descends(enum tracelist_col c)
{
	return c == TRACELIST_DURATION || c == TRACELIST_SPANS || c == TRACELIST_ERRORS || c == TRACELIST_FINDINGS;
}

void tracelist_init(struct tracelist *l)
{
	memset(l, 0, sizeof *l);
	l->sort = TRACELIST_START;
}

void tracelist_row_free(struct tracelist_row *row)
{
	free(row->service);
	free(row->root);
	row->service = row->root = NULL;
}

void tracelist_free(struct tracelist *l)
{
	for (size_t i = 0; i < l->nrows; i++)
		tracelist_row_free(&l->rows[i]);
	free(l->rows);
	free(l->view);
	memset(l, 0, sizeof *l);
}

/* A heap copy of text (NULL: ""). */
static char *copy_text(const char *text)
{
	if (!text)
		text = "";
	size_t n = strlen(text) + 1;
	return memcpy(xmalloc(n), text, n);
}

void tracelist_summarize(struct tracelist_row *row, const struct trace *t, const struct strtab *names,
                         const struct findings *f)
{
	memset(row, 0, sizeof *row);
	row->seq = t->seq;
	if (t->nspans == 0)
		return;
	/* The root: the first span that is not a placeholder (a trace without a
	 * single root starts with "missing root"). */
	const struct span_record *root = &t->spans[0];
	for (size_t i = 0; i < t->nspans; i++) {
		const struct span_record *s = &t->spans[i];
		if (s->flags & SPAN_F_PLACEHOLDER)
			continue;
		if (root->flags & SPAN_F_PLACEHOLDER)
			root = s;
		row->spans++;
		if (s->flags & SPAN_F_ERROR)
			row->errors++;
	}
	/* Whole names, as the file gave them (a foreign one may hold anything:
	 * draw_text escapes it and cuts it between characters where its column
	 * ends, however wide the column is). */
	const struct otel_span *sp = t->otel ? otel_span_of(t->otel, root) : NULL;
	if (sp) {
		row->root = copy_text(otel_text_of(t->otel, sp->name));
	} else {
		char name[256]; /* a lab name: "SELECT orders", "GET /users/analytics" */
		span_display_name(root, names, name, sizeof name);
		row->root = copy_text(name);
	}
	const char *service = LAB_SERVICE;
	if (root->flags & SPAN_F_FOREIGN) {
		const char *svc = sp ? otel_service_name(t->otel, sp) : NULL;
		service = svc ? svc : "";
	} else if ((root->flags & SPAN_F_PLACEHOLDER) && t->otel) { /* a missing root: its first span's service */
		const struct otel_span *first = NULL;
		for (size_t i = 1; i < t->nspans && !first; i++)
			first = otel_span_of(t->otel, &t->spans[i]);
		const char *svc = first ? otel_service_name(t->otel, first) : NULL;
		service = svc ? svc : "";
	}
	row->open = t->open;
	row->service = copy_text(service);
	row->start_ns = t->spans[0].start_ns;
	row->duration_ns = span_duration_ns(&t->spans[0]);
	if (f) {
		row->findings = (uint32_t)f->n;
		for (size_t i = 0; i < f->n; i++)
			row->finding_kinds |= 1u << f->item[i].kind;
	}
}

const struct tracelist_row *tracelist_row_of(const struct tracelist *l, uint64_t seq)
{
	if (l->nrows == 0 || seq > l->rows[l->nrows - 1].seq)
		return NULL;
	size_t lo = 0, hi = l->nrows;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (l->rows[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < l->nrows && l->rows[lo].seq == seq ? &l->rows[lo] : NULL;
}

void tracelist_add(struct tracelist *l, const struct tracelist_row *row)
{
	const struct tracelist_row *found = tracelist_row_of(l, row->seq);
	if (found) {
		struct tracelist_row *was = &l->rows[found - l->rows]; /* changed in place: its row again */
		tracelist_row_free(was);
		*was = *row;
		l->first_start_ns = l->rows[0].start_ns;
		for (size_t i = 1; i < l->nrows; i++)
			if (l->rows[i].start_ns < l->first_start_ns)
				l->first_start_ns = l->rows[i].start_ns;
		return;
	}
	if (l->nrows == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->rows = xrealloc(l->rows, l->cap * sizeof *l->rows);
	}
	if (l->nrows == 0 || row->start_ns < l->first_start_ns)
		l->first_start_ns = row->start_ns;
	l->rows[l->nrows++] = *row;
}

bool tracelist_drop_before(struct tracelist *l, uint64_t seq)
{
	size_t k = 0;
	while (k < l->nrows && l->rows[k].seq < seq)
		k++;
	if (k == 0)
		return false;
	for (size_t i = 0; i < k; i++)
		tracelist_row_free(&l->rows[i]);
	memmove(l->rows, l->rows + k, (l->nrows - k) * sizeof *l->rows);
	l->nrows -= k;
	for (size_t i = 0; i < l->nrows; i++)
		if (i == 0 || l->rows[i].start_ns < l->first_start_ns)
			l->first_start_ns = l->rows[i].start_ns;
	l->nview = 0; /* the indices moved: refresh before use */
	return true;
}

void tracelist_set_sort(struct tracelist *l, enum tracelist_col c)
{
	l->sort = c < TRACELIST_NCOLS ? c : TRACELIST_START;
	l->descending = tracelist_col_descends(l->sort);
}

static int cmp_num(int64_t a, int64_t b)
{
	return (a > b) - (a < b);
}

static int compare_rows(const struct tracelist_row *a, const struct tracelist_row *b, enum tracelist_col c)
{
	switch (c) {
	case TRACELIST_SERVICE: return strcasecmp(tracelist_service(a), tracelist_service(b));
	case TRACELIST_ROOT: return strcasecmp(tracelist_root(a), tracelist_root(b));
	case TRACELIST_START: return cmp_num(a->start_ns, b->start_ns);
	case TRACELIST_DURATION: return cmp_num(a->duration_ns, b->duration_ns);
	case TRACELIST_SPANS: return cmp_num(a->spans, b->spans);
	case TRACELIST_ERRORS: return cmp_num(a->errors, b->errors);
	case TRACELIST_FINDINGS: return cmp_num(a->findings, b->findings);
	case TRACELIST_NCOLS: break;
	}
	return 0;
}

/* qsort has no context argument: the list being sorted, one thread. */
static const struct tracelist *sorting;

static int by_column(const void *pa, const void *pb)
{
	size_t ia = *(const size_t *)pa, ib = *(const size_t *)pb;
	const struct tracelist_row *a = &sorting->rows[ia], *b = &sorting->rows[ib];
	int c = compare_rows(a, b, sorting->sort);
	if (sorting->descending)
		c = -c;
	return c ? c : cmp_num((int64_t)ia, (int64_t)ib); /* ties: completion order */
}

void tracelist_refresh(struct tracelist *l, const struct tracefilter *filter)
{
	if (l->view_cap < l->nrows) {
		l->view_cap = l->nrows;
		l->view = xrealloc(l->view, l->view_cap * sizeof *l->view);
	}
	l->nview = 0;
	for (size_t i = 0; i < l->nrows; i++)
		if (!filter || tracefilter_match(filter, &l->rows[i]))
			l->view[l->nview++] = i;
	/* The start order is the completion order, almost: sort anyway (a file's
	 * traces may complete out of start order). */
	sorting = l;
	if (l->nview > 1)
		qsort(l->view, l->nview, sizeof *l->view, by_column);
	sorting = NULL;
}

size_t tracelist_find(const struct tracelist *l, uint64_t seq)
{
	for (size_t i = 0; i < l->nview; i++)
		if (l->rows[l->view[i]].seq == seq)
			return i;
	return l->nview;
}
