/* The explorer on someone else's spans (issue 13, the ui area): a trace of
 * foreign spans built with the otel builder — two services, a PostgreSQL
 * span with an error, typed attributes, an event, a link, an orphan under
 * its placeholder, a skewed child, a duplicate id — drawn by the real
 * waterfall and details panes on a curses screen writing to /dev/null, and
 * read back: names as the file gave them, every attribute typed, the marks,
 * nothing of the lab's. And span_attributes / span_display_name_in on it. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <cmocka.h>

#include "obslab/attrs.h"
#include "obslab/otel.h"
#include "obslab/store.h"
#include "obslab/strtab.h"
#include "ui/details_otel.h"
#include "ui/model.h"
#include "ui/pane.h"

#define FP "SELECT * FROM shop.orders WHERE id = ?"
#define MISSING 0xaa00000000000001ull

static struct otel_str txt(struct otel_set *set, const char *s)
{
	return otel_text(set, s, strlen(s));
}

static struct otel_value vstr(struct otel_set *set, const char *s)
{
	struct otel_value v = { .type = OTEL_VALUE_STRING };
	v.u.s = txt(set, s);
	return v;
}

static struct otel_value vint(int64_t i)
{
	struct otel_value v = { .type = OTEL_VALUE_INT };
	v.u.i = i;
	return v;
}

static void kv(struct otel_set *set, const char *key, struct otel_value v)
{
	otel_kv_push(set, txt(set, key), v);
}

static struct otel_attrs commit(struct otel_set *set, size_t mark, uint32_t dropped)
{
	struct otel_attrs a = { .dropped = dropped };
	a.first = otel_kv_commit(set, mark, &a.count);
	return a;
}

struct world {
	struct otel_set *set;
	struct strtab *names;
	struct store *store;
	const struct trace *t;
	struct source src;
	struct model m;
};

static uint32_t add_span(struct otel_set *set, uint32_t scope, uint64_t id, uint64_t parent, const char *name,
                         uint8_t kind, uint64_t start, uint64_t end, uint8_t marks)
{
	struct otel_span sp = { .span_id = id, .parent_span_id = parent, .scope = scope, .kind = kind, .marks = marks };
	memset(sp.trace_id, 0x5a, sizeof sp.trace_id);
	sp.name = txt(set, name);
	sp.start_unix_ns = start;
	sp.end_unix_ns = end;
	return otel_add_span(set, &sp);
}

static struct span_record rec(uint64_t id, uint64_t parent, uint32_t name, uint8_t flags, int64_t start, int64_t end,
                              uint32_t detail)
{
	struct span_record r = { .span_id = id, .parent_id = parent, .name = name, .flags = flags,
		                 .start_ns = start, .end_ns = end, .trace_seq = 1 };
	r.u.foreign.detail = detail;
	return r;
}

#define T0 1700000000000000000ull

static struct world *build(void)
{
	struct world *w = calloc(1, sizeof *w);
	assert_non_null(w);
	struct otel_set *set = w->set = otel_set_create();
	w->names = strtab_create();

	/* Two services; service.name comes second in the file, first on screen. */
	size_t mark = otel_kv_mark(set);
	kv(set, "host.name", vstr(set, "web-1"));
	kv(set, "service.name", vstr(set, "checkout"));
	struct otel_resource r0 = { .attrs = commit(set, mark, 0) };
	uint32_t res0 = otel_add_resource(set, &r0);
	mark = otel_kv_mark(set);
	kv(set, "service.name", vstr(set, "payments"));
	struct otel_resource r1 = { .attrs = commit(set, mark, 2) };
	uint32_t res1 = otel_add_resource(set, &r1);
	struct otel_scope s0 = { .resource = res0, .name = txt(set, "@opentelemetry/instrumentation-pg"),
		                 .version = txt(set, "0.41.0") };
	struct otel_scope s1 = { .resource = res1, .name = txt(set, "payments-lib") };
	uint32_t sc0 = otel_add_scope(set, &s0), sc1 = otel_add_scope(set, &s1);

	uint32_t root = add_span(set, sc0, 0x10, 0, "POST /checkout", 2, T0, T0 + 10000000, 0);
	mark = otel_kv_mark(set);
	kv(set, "http.request.method", vstr(set, "POST"));
	set->spans[root].attrs = commit(set, mark, 0);

	/* The database span: typed attributes, an error, an event, a link. */
	uint32_t db = add_span(set, sc0, 0x11, 0x10, "SELECT shop.orders", 3, T0 + 1000000, T0 + 3000000, 0);
	mark = otel_kv_mark(set);
	kv(set, "db.system.name", vstr(set, "postgresql"));
	kv(set, "db.query.text", vstr(set, "SELECT * FROM shop.orders WHERE id = $1"));
	kv(set, "db.response.returned_rows", vint(7));
	struct otel_value d = { .type = OTEL_VALUE_DOUBLE };
	d.u.d = 0.25;
	kv(set, "ratio", d);
	struct otel_value b = { .type = OTEL_VALUE_BOOL };
	b.u.b = true;
	kv(set, "cached", b);
	struct otel_value by = { .type = OTEL_VALUE_BYTES };
	by.u.s = otel_text(set, "\x00\xff", 2);
	kv(set, "payload", by);
	size_t vm = otel_value_mark(set);
	otel_value_push(set, vstr(set, "a"));
	otel_value_push(set, vstr(set, "b"));
	struct otel_value arr = { .type = OTEL_VALUE_ARRAY };
	arr.u.first = otel_value_commit(set, vm, &arr.count);
	kv(set, "tags", arr);
	size_t inner = otel_kv_mark(set);
	kv(set, "k", vint(1));
	struct otel_value list = { .type = OTEL_VALUE_KVLIST };
	list.u.first = otel_kv_commit(set, inner, &list.count);
	kv(set, "ctx", list);
	kv(set, "note", vstr(set, "bell\x07 here"));
	struct otel_value nul = { .type = OTEL_VALUE_STRING };
	nul.u.s = otel_text(set, "a\0b", 3);
	kv(set, "nul", nul);
	set->spans[db].attrs = commit(set, mark, 1);
	set->spans[db].status_code = 2;
	set->spans[db].status_message = txt(set, "connection reset");
	set->spans[db].trace_state = txt(set, "vendor=x");
	set->spans[db].has_flags = true;
	set->spans[db].flags = 1;
	mark = otel_kv_mark(set);
	kv(set, "attempt", vint(2));
	struct otel_event ev = { .time_unix_ns = T0 + 1500000, .name = txt(set, "retry"), .attrs = commit(set, mark, 0) };
	set->spans[db].events_first = otel_add_event(set, &ev);
	set->spans[db].nevents = 1;
	set->spans[db].dropped_events = 3;
	struct otel_link ln = { .span_id = 0x77 };
	memset(ln.trace_id, 0x0b, sizeof ln.trace_id);
	set->spans[db].links_first = otel_add_link(set, &ln);
	set->spans[db].nlinks = 1;

	uint32_t skew = add_span(set, sc1, 0x12, 0x10, "charge card", 2, T0 + 4000000, T0 + 10000005, OTEL_MARK_SKEW);
	uint32_t orphan = add_span(set, sc1, 0x13, MISSING, "refund", 1, T0 + 5000000, T0 + 6000000, OTEL_MARK_ORPHAN);
	uint32_t dup = add_span(set, sc0, 0x11, 0x10, "SELECT again", 1, T0 + 7000000, T0 + 8000000, OTEL_MARK_DUPLICATE);

	uint32_t fp = strtab_intern_cstr(w->names, FP);
	int64_t t0 = 1000000000;
	struct span_record recs[] = {
		rec(0x11, 0x10, fp, SPAN_F_FOREIGN | SPAN_F_DB | SPAN_F_ERROR, t0 + 1000000, t0 + 3000000, db),
		rec(0x12, 0x10, strtab_intern_cstr(w->names, "charge card"), SPAN_F_FOREIGN, t0 + 4000000, t0 + 10000005,
		    skew),
		rec(MISSING, 0x10, strtab_intern_cstr(w->names, "missing parent"), SPAN_F_PLACEHOLDER, t0 + 5000000,
		    t0 + 6000000, 0),
		rec(0x13, MISSING, strtab_intern_cstr(w->names, "refund"), SPAN_F_FOREIGN, t0 + 5000000, t0 + 6000000,
		    orphan),
		rec(0x99, 0x10, strtab_intern_cstr(w->names, "SELECT again"), SPAN_F_FOREIGN, t0 + 7000000, t0 + 8000000,
		    dup),
		rec(0x10, 0, strtab_intern_cstr(w->names, "POST /checkout"), SPAN_F_FOREIGN, t0, t0 + 10000000, root),
	};
	recs[0].kind = 3;
	recs[0].u.foreign.rows = 7;
	recs[5].kind = 2;
	w->store = store_create((struct store_limits){ .max_traces = 4, .max_spans = 64 });
	store_set_otel(w->store, set);
	store_ingest(w->store, recs, sizeof recs / sizeof recs[0]);
	assert_int_equal(store_trace_count(w->store), 1);
	w->t = store_latest(w->store);
	return w;
}

static void destroy(struct world *w)
{
	if (w->src.ops)
		model_free(&w->m);
	store_destroy(w->store);
	strtab_destroy(w->names);
	otel_set_destroy(w->set);
	free(w);
}

static const struct span_record *by_id(const struct trace *t, uint64_t id)
{
	for (size_t i = 0; i < t->nspans; i++)
		if (t->spans[i].span_id == id)
			return &t->spans[i];
	fail_msg("no span %llx", (unsigned long long)id);
	return NULL;
}

/* ---- the details' lines, without a terminal ----------------------------- */

struct text {
	char all[16384];
	size_t n;
};

static void collect(void *ctx, enum draw_role role, const char *line)
{
	(void)role;
	struct text *t = ctx;
	size_t len = strlen(line);
	assert_true(t->n + len + 2 < sizeof t->all);
	memcpy(t->all + t->n, line, len);
	t->n += len;
	t->all[t->n++] = '\n';
	t->all[t->n] = '\0';
}

static void has(const char *text, const char *want)
{
	if (!strstr(text, want))
		fail_msg("missing \"%s\" in:\n%s", want, text);
}

static void lacks(const char *text, const char *unwanted)
{
	if (strstr(text, unwanted))
		fail_msg("\"%s\" shown in:\n%s", unwanted, text);
}

/* Nothing of the lab's on a foreign span. */
static void nothing_of_the_lab(const char *text)
{
	static const char *const lab[] = { "VM steps", "simulated", "network", "obslab.", "strategy", "users",
		                           "index", "sqlite", "full-scan", "auto-index", "SELECT orders" };
	for (size_t i = 0; i < sizeof lab / sizeof *lab; i++)
		lacks(text, lab[i]);
}

static void details_of_a_database_span(void **state)
{
	(void)state;
	struct world *w = build();
	struct text out = { .n = 0 };
	details_foreign_span(w->t, by_id(w->t, 0x11), w->names, collect, &out);
	const char *s = out.all;
	has(s, "SELECT shop.orders  (client span)\n");
	has(s, "fingerprint " FP "\n");
	has(s, "status error: connection reset\n");
	has(s, "service checkout - scope @opentelemetry/instrumentation-pg 0.41.0\n");
	has(s, "  db.system.name = \"postgresql\" (string)\n");
	has(s, "  db.query.text = \"SELECT * FROM shop.orders WHERE id = $1\" (string)\n");
	has(s, "  db.response.returned_rows = 7 (int)\n");
	has(s, "  ratio = 0.25 (double)\n");
	has(s, "  cached = true (bool)\n");
	has(s, "  payload = 0x00ff (bytes, 2)\n");
	has(s, "  tags = [\"a\", \"b\"] (array of 2)\n");
	has(s, "  ctx = {k: 1} (kvlist of 1)\n");
	has(s, "  note = \"bell\\x07 here\" (string)\n"); /* through textsafe */
	has(s, "  nul = \"a\\x00b\" (string)\n");          /* a NUL does not end it */
	has(s, "  (1 attribute dropped by the sender)\n");
	has(s, "events (1)\n  +500us retry\n    attempt = 2 (int)\n");
	has(s, "  (3 events dropped by the sender)\n");
	has(s, "links (1)\n  trace 0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b span 0000000000000077\n");
	has(s, "resource (2 attributes)\n  service.name = \"checkout\" (string)\n  host.name = \"web-1\" (string)\n");
	has(s, "trace state vendor=x\n");
	has(s, "flags 0x00000001 (sampled)\n");
	has(s, "span 0000000000000011 - parent 0000000000000010\n");
	nothing_of_the_lab(s);
	destroy(w);
}

static void details_of_marked_spans(void **state)
{
	(void)state;
	struct world *w = build();
	struct text out = { .n = 0 };
	details_foreign_span(w->t, by_id(w->t, 0x13), w->names, collect, &out);
	has(out.all, "refund  (internal span)\n");
	has(out.all, "! orphan: parent aa00000000000001 not in the file");
	has(out.all, "service payments - scope payments-lib\n");
	has(out.all, "resource (1 attribute)\n  service.name = \"payments\" (string)\n  (2 attributes dropped");
	nothing_of_the_lab(out.all);

	out.n = 0;
	details_foreign_span(w->t, by_id(w->t, 0x12), w->names, collect, &out);
	has(out.all, "! clock skew: ends 5ns after its parent");
	lacks(out.all, "orphan");

	out.n = 0;
	details_foreign_span(w->t, by_id(w->t, 0x99), w->names, collect, &out);
	has(out.all, "! duplicate span id 0000000000000011: another span of this trace has it");
	has(out.all, "(as 0000000000000099 here)");

	out.n = 0;
	details_placeholder(w->t, by_id(w->t, MISSING), w->names, collect, &out);
	has(out.all, "! missing parent aa00000000000001\n");
	has(out.all, "1 span names as their parent");
	lacks(out.all, "span)"); /* no kind: it is no span */
	destroy(w);
}

/* A span with more attributes (and events) than the pane lists: the first DETAILS_MAX_ITEMS, then the
 * true count, never a count of the pane's own lines. */
static void details_of_a_span_with_100000_attributes(void **state)
{
	(void)state;
	struct world *w = build();
	struct otel_set *set = w->set;
	struct otel_span *root = &set->spans[by_id(w->t, 0x10)->u.foreign.detail];
	size_t mark = otel_kv_mark(set);
	for (int i = 0; i < 100000; i++)
		kv(set, "a", vint(1));
	root->attrs = commit(set, mark, 0);
	root->events_first = (uint32_t)set->nevents;
	for (int i = 0; i < 70; i++)
		otel_add_event(set, &(struct otel_event){ .time_unix_ns = T0, .name = txt(set, "tick") });
	root->nevents = 70;
	struct text out = { .n = 0 };
	details_foreign_span(w->t, by_id(w->t, 0x10), w->names, collect, &out);
	has(out.all, "attributes (100000)\n  a = 1 (int)\n");
	has(out.all, "  a = 1 (int)\n  ~ first 64 of 100,000 attributes shown\n");
	size_t lines = 0;
	for (const char *p = out.all; (p = strstr(p, "  a = 1 (int)\n")) != NULL; p++)
		lines++;
	assert_int_equal(lines, DETAILS_MAX_ITEMS);
	has(out.all, "events (70)\n");
	has(out.all, "  ~ first 64 of 70 events shown\n");
	destroy(w);
}

static void attributes_and_names_are_the_files(void **state)
{
	(void)state;
	struct world *w = build();
	struct attr a[ATTRS_MAX];
	char name[128];
	for (size_t i = 0; i < w->t->nspans; i++)
		assert_int_equal(span_attributes(&w->t->spans[i], w->names, a, NULL), 0);
	const struct span_record *db = by_id(w->t, 0x11);
	span_display_name_in(w->t->otel, db, w->names, name, sizeof name);
	assert_string_equal(name, "SELECT shop.orders");
	/* Without its set a foreign span is never given a name made from its fingerprint. */
	span_display_name(db, w->names, name, sizeof name);
	assert_string_equal(name, FP);
	/* A lab query still reads as OpenTelemetry names one. */
	struct span_record lab = { .flags = SPAN_F_DB, .name = strtab_intern_cstr(w->names, "SELECT id FROM orders") };
	span_display_name_in(NULL, &lab, w->names, name, sizeof name);
	assert_string_equal(name, "SELECT orders");
	assert_true(span_attributes(&lab, w->names, a, NULL) > 5);
	destroy(w);
}

/* ---- the panes, drawn ---------------------------------------------------- */

extern const struct pane_ops pane_waterfall_ops, pane_details_ops; /* declared by layout.c's table */

static void fake_drain(struct source *src, const struct source_sink *sink)
{
	(void)src;
	(void)sink;
}

static void fake_stop(struct source *src)
{
	(void)src;
}

static void fake_status(const struct source *src, const struct model *m, char *buf, size_t cap)
{
	(void)src;
	(void)m;
	snprintf(buf, cap, "test");
}

static const struct source_ops test_ops = { .name = "test", .drain = fake_drain, .stop = fake_stop,
	                                    .status = fake_status };

static void open_model(struct world *w)
{
	w->src = (struct source){ .ops = &test_ops, .store = w->store, .names = w->names };
	struct source_start start = { .show_seq = 0 };
	struct findings_config fcfg = { .n1_min_count = 5, .n1_min_ns = 0 };
	model_init(&w->m, &w->src, &start, &fcfg, ".");
	model_tick(&w->m);
	assert_non_null(w->m.shown);
}

/* The window as text, one line a row, trailing blanks removed. */
static void window_text(WINDOW *win, char *out, size_t cap)
{
	size_t o = 0;
	int h = getmaxy(win), width = getmaxx(win);
	for (int y = 0; y < h; y++) {
		cchar_t cells[256];
		wchar_t wide[257];
		size_t n = 0;
		mvwin_wchnstr(win, y, 0, cells, width);
		for (int x = 0; x < width; x++) {
			wchar_t wc[CCHARW_MAX + 1];
			attr_t attrs;
			short pair;
			getcchar(&cells[x], wc, &attrs, &pair, NULL);
			if (wc[0] != L'\0')
				wide[n++] = wc[0];
		}
		while (n > 0 && wide[n - 1] == L' ')
			n--;
		wide[n] = L'\0';
		size_t k = wcstombs(out + o, wide, cap - o - 2);
		assert_true(k != (size_t)-1);
		o += k;
		out[o++] = '\n';
		out[o] = '\0';
	}
}

static void draw_pane(const struct pane_ops *ops, const struct model *m, int h, int width, char *out, size_t cap)
{
	struct pane p = { .ops = ops, .priv = calloc(1, ops->private_size), .win = newwin(h, width, 0, 0), .h = h,
		          .w = width };
	assert_non_null(p.win);
	if (ops->sync)
		ops->sync(&p, m, ~0u);
	ops->draw(&p, m, true);
	window_text(p.win, out, cap);
	delwin(p.win);
	free(p.priv);
}

static size_t row_of(const struct model *m, uint64_t id)
{
	for (size_t r = 0; r < m->wf.nrows; r++)
		if (m->wf.rows[r].kind != WF_ROW_GROUP && m->shown->spans[m->wf.rows[r].span].span_id == id)
			return r;
	fail_msg("no row for %llx", (unsigned long long)id);
	return 0;
}

static void waterfall_of_a_foreign_trace(void **state)
{
	(void)state;
	static char text[65536];
	struct world *w = build();
	open_model(w);
	draw_pane(&pane_waterfall_ops, &w->m, 12, 120, text, sizeof text);
	if (getenv("SHOW"))
		fputs(text, stderr);
	has(text, "trace #1 · checkout, payments · 5 spans"); /* the placeholder is none */
	has(text, "POST /checkout");
	has(text, "SELECT shop.orders (error)");
	has(text, "charge card (clock skew)");
	has(text, "SELECT again (duplicate id)");
	has(text, "⚠ missing parent aa000000…");
	has(text, "refund");
	lacks(text, "SELECT orders");
	destroy(w);
}

static void details_pane_of_a_foreign_trace(void **state)
{
	(void)state;
	static char text[65536];
	struct world *w = build();
	open_model(w);
	model_select(&w->m, row_of(&w->m, 0x11));
	draw_pane(&pane_details_ops, &w->m, 58, 200, text, sizeof text);
	has(text, "SELECT shop.orders  (client span)");
	has(text, "fingerprint " FP);
	has(text, "service checkout · scope @opentelemetry/instrumentation-pg 0.41.0");
	has(text, "payload = 0x00ff (bytes, 2)");
	has(text, "note = \"bell\\x07 here\" (string)");
	nothing_of_the_lab(text);

	model_select(&w->m, row_of(&w->m, MISSING));
	draw_pane(&pane_details_ops, &w->m, 20, 100, text, sizeof text);
	has(text, "⚠ missing parent aa00000000000001");

	/* A small pane is cut, never broken: every row inside its frame. */
	model_select(&w->m, row_of(&w->m, 0x11));
	draw_pane(&pane_details_ops, &w->m, 8, 40, text, sizeof text);
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		wchar_t wide[256];
		size_t n = mbstowcs(wide, line, 256);
		assert_true(n != (size_t)-1 && n <= 40);
	}
	destroy(w);
}

/* The panes' tests draw on a UTF-8 curses screen; the ones before them ran
 * with draw's ASCII glyphs (before draw_init). */
static int curses_on(void **state)
{
	(void)state;
	static bool done;
	if (done)
		return 0;
	setlocale(LC_ALL, "");
	FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
	if (!out || !in || !newterm(NULL, out, in))
		return -1;
	draw_init();
	done = true;
	return draw_unicode() ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(details_of_a_database_span),
		cmocka_unit_test(details_of_marked_spans),
		cmocka_unit_test(details_of_a_span_with_100000_attributes),
		cmocka_unit_test(attributes_and_names_are_the_files),
		cmocka_unit_test_setup(waterfall_of_a_foreign_trace, curses_on),
		cmocka_unit_test_setup(details_pane_of_a_foreign_trace, curses_on),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
