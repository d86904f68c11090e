/*
 * details_otel — what the details pane says about a span read from someone
 * else's file (SPAN_F_FOREIGN) and about a placeholder (SPAN_F_PLACEHOLDER,
 * the marked "missing parent" / "missing root" node): everything its
 * otel_span carries, as the file gave it, and nothing of the lab's.
 *
 * The text comes out as lines (not yet wrapped to a width), each with its
 * role, through the caller's function; every piece of text from the file
 * has been through textsafe (a control character or a NUL reads \xNN), so
 * the lines are safe to draw and to compare. Pure: no curses call, the
 * set, trace and names are only read; tested without a terminal.
 */
#ifndef OBSLAB_UI_DETAILS_OTEL_H
#define OBSLAB_UI_DETAILS_OTEL_H

#include <stddef.h>

#include "draw.h"

/* Attributes of one list, events and links listed at most: a longer list
 * ends "… first 64 of 3,611,761 attributes shown" (its true count), and
 * the pane stays quick to build. */
#define DETAILS_MAX_ITEMS 64

struct otel_set;
struct span_record;
struct strtab;
struct trace;

typedef void details_line_fn(void *ctx, enum draw_role role, const char *text);

/* s is one of t's spans, foreign (otel_span_of(t->otel, s) not NULL). */
void details_foreign_span(const struct trace *t, const struct span_record *s, const struct strtab *names,
                          details_line_fn *line, void *ctx);
/* s is one of t's placeholders. */
void details_placeholder(const struct trace *t, const struct span_record *s, const struct strtab *names,
                         details_line_fn *line, void *ctx);

/* The first span under placeholder s that was cut out of a parent cycle
 * (OTEL_MARK_CYCLE), or NULL: such a placeholder stands for no missing
 * span, and its span id is obslab's own, never to be shown. */
const struct span_record *details_cycle_cut(const struct trace *t, const struct span_record *s);

/* text[0..len) made safe for a terminal (textsafe's escapes), cut with "…"
 * to fit cap; returns out. */
char *details_safe(const char *text, size_t len, char *out, size_t cap);

#endif
