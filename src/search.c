/* search — which spans of a trace and which log lines hold a text (see
 * search.h): names, attributes (lab and foreign, typed), SQL, the log. */
#define _GNU_SOURCE /* memmem */
#include "obslab/search.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/attrs.h"
#include "obslab/logbook.h"
#include "obslab/otel.h"
#include "obslab/span.h"
#include "obslab/store.h"
#include "obslab/strtab.h"
#include "obslab/utf8.h"
#include "obslab/xalloc.h"

#define LAB_MEMO 64 /* names remembered in a run */

static inline unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

void search_init(struct search *s)
{
	memset(s, 0, sizeof *s);
}

void search_free(struct search *s)
{
	free(s->matches);
	free(s->span_fields);
	search_init(s);
}

bool search_set_query(struct search *s, const char *query)
{
	size_t len = strlen(query);
	if (len >= SEARCH_QUERY_MAX)
		len = utf8_cut(query, SEARCH_QUERY_MAX - 1);
	memcpy(s->query, query, len);
	s->query[len] = '\0';
	s->qlen = len;
	s->fold = true;
	s->numeric = len > 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)query[i];
		if (c >= 'A' && c <= 'Z')
			s->fold = false;
		if (!((c >= '0' && c <= '9') || c == '-' || c == '.' || c == '+'))
			s->numeric = false;
	}
	s->n = s->nspan_matches = s->current = 0;
	s->nspans = 0;
	return len > 0;
}

size_t search_find(const struct search *s, const char *text, size_t len, size_t from)
{
	size_t q = s->qlen;
	if (q == 0 || len < q || from > len - q)
		return SIZE_MAX;
	const unsigned char *t = (const unsigned char *)text, *p = (const unsigned char *)s->query;
	if (!s->fold) {
		const void *hit = memmem(t + from, len - from, p, q);
		return hit ? (size_t)((const unsigned char *)hit - t) : SIZE_MAX;
	}
	/* the query has no upper-case letter: compare the text lowered */
	unsigned char first = p[0];
	for (size_t i = from; i + q <= len; i++) {
		if (lower(t[i]) != first)
			continue;
		size_t k = 1;
		while (k < q && lower(t[i + k]) == p[k])
			k++;
		if (k == q)
			return i;
	}
	return SIZE_MAX;
}

static bool has(const struct search *s, const char *text, size_t len)
{
	return search_find(s, text, len, 0) != SIZE_MAX;
}

static bool has_str(const struct search *s, const char *text)
{
	return text && has(s, text, strlen(text));
}

/* n in decimal, written backwards ending at end (a NUL first): as "%lld". */
static const char *decimal(int64_t n, char *end)
{
	uint64_t u = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
	*--end = '\0';
	do {
		*--end = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (n < 0)
		*--end = '-';
	return end;
}

/* A lab span: its shown name, its record name (a query's fingerprint), its
 * derived attributes. */
static unsigned lab_fields(const struct search *s, const struct span_record *r, const struct strtab *names,
                           struct query_names *memo)
{
	unsigned f = 0;
	const char *name = strtab_get(names, r->name);
	if (r->flags & SPAN_F_DB) {
		if (has_str(s, name))
			f |= SEARCH_SQL;
		const struct query_names *qn = query_names_of(memo, r, names);
		if (has_str(s, qn->display))
			f |= SEARCH_NAME;
	} else if (has_str(s, name)) {
		f |= SEARCH_NAME;
	}
	struct attr attrs[ATTRS_MAX];
	size_t n = span_attributes(r, names, attrs, memo);
	for (size_t i = 0; i < n; i++) {
		if (has_str(s, attrs[i].key))
			f |= SEARCH_ATTR_KEY;
		char num[32];
		const char *v = NULL;
		switch (attrs[i].type) {
		case ATTR_STRING: v = attr_string(&attrs[i]); break;
		case ATTR_BOOL: v = attrs[i].i ? "true" : "false"; break;
		case ATTR_INT:
			if (s->numeric)
				v = decimal(attrs[i].i, num + sizeof num);
			break;
		}
		if (has_str(s, v))
			f |= SEARCH_ATTR_VALUE;
	}
	return f;
}

/* A foreign span: its own name, its record name (a database span's
 * fingerprint), its otel attributes as the file typed them. */
static unsigned foreign_fields(const struct search *s, const struct otel_set *set, const struct otel_span *sp,
                               const struct span_record *r, const struct strtab *names)
{
	unsigned f = 0;
	if (has(s, otel_text_of(set, sp->name), sp->name.len))
		f |= SEARCH_NAME;
	if ((r->flags & SPAN_F_DB) && has_str(s, strtab_get(names, r->name)))
		f |= SEARCH_SQL;
	for (uint32_t i = 0; i < sp->attrs.count; i++) {
		const struct otel_kv *kv = &set->kvs[sp->attrs.first + i];
		const char *key = otel_text_of(set, kv->key);
		if (has(s, key, kv->key.len))
			f |= SEARCH_ATTR_KEY;
		bool found;
		if (kv->value.type == OTEL_VALUE_STRING) {
			found = has(s, otel_text_of(set, kv->value.u.s), kv->value.u.s.len);
		} else {
			char buf[512];
			otel_value_format(set, &kv->value, buf, sizeof buf);
			found = has_str(s, buf);
		}
		if (found) {
			f |= SEARCH_ATTR_VALUE;
			if (strcmp(key, ATTR_KEY_DB_QUERY_TEXT) == 0 || strcmp(key, ATTR_KEY_DB_STATEMENT_OLD) == 0)
				f |= SEARCH_SQL;
		}
	}
	return f;
}

static void push(struct search *s, enum search_kind kind, unsigned fields, size_t index)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->matches = xrealloc_array(s->matches, s->cap, sizeof *s->matches);
	}
	s->matches[s->n++] = (struct search_match){ (uint8_t)kind, (uint8_t)fields, (uint32_t)index };
}

size_t search_run(struct search *s, const struct trace *t, const struct strtab *names, const struct logbook *lb)
{
	size_t was = s->current;
	s->n = s->nspan_matches = 0;
	s->nspans = t ? t->nspans : 0;
	if (s->nspans > s->spans_cap) {
		s->spans_cap = s->nspans;
		free(s->span_fields);
		s->span_fields = xmalloc_array(s->spans_cap, 1);
	}
	if (s->nspans)
		memset(s->span_fields, 0, s->nspans);
	if (s->qlen == 0)
		return 0;
	struct query_names memo;
	query_names_init(&memo);
	/* A lab span other than the root has attributes of text that its name
	 * and flags decide (numbers apart): what they matched is remembered. */
	struct {
		bool valid;
		uint8_t flags, fields;
		uint32_t name;
	} seen[LAB_MEMO];
	memset(seen, 0, sizeof seen);
	for (size_t i = 0; i < s->nspans; i++) {
		const struct span_record *r = &t->spans[i];
		if (r->flags & SPAN_F_PLACEHOLDER)
			continue;
		const struct otel_span *sp = t->otel ? otel_span_of(t->otel, r) : NULL;
		unsigned f;
		if (sp) {
			f = foreign_fields(s, t->otel, sp, r, names);
		} else if (s->numeric || r->parent_id == 0) {
			f = lab_fields(s, r, names, &memo);
		} else {
			unsigned k = r->name % LAB_MEMO;
			if (!seen[k].valid || seen[k].name != r->name || seen[k].flags != r->flags) {
				seen[k].valid = true;
				seen[k].name = r->name;
				seen[k].flags = r->flags;
				seen[k].fields = (uint8_t)lab_fields(s, r, names, &memo);
			}
			f = seen[k].fields;
		}
		if (!f)
			continue;
		s->span_fields[i] = (uint8_t)f;
		push(s, SEARCH_SPAN, f, i);
	}
	s->nspan_matches = s->n;
	size_t nlog = lb ? logbook_count(lb) : 0;
	for (size_t i = 0; i < nlog; i++)
		if (has_str(s, logbook_get(lb, i)->text))
			push(s, SEARCH_LOG, 0, i);
	s->current = s->n == 0 ? 0 : was < s->n ? was : s->n - 1;
	return s->n;
}

size_t search_step(struct search *s, int dir)
{
	if (s->n == 0)
		return 0;
	if (dir > 0)
		s->current = s->current + 1 < s->n ? s->current + 1 : 0;
	else if (dir < 0)
		s->current = s->current > 0 ? s->current - 1 : s->n - 1;
	return s->current;
}
