/* test_tracelist — the trace list's engine: summary rows of lab and foreign
 * traces, sorting by every column, and the filter language (and/or/not,
 * parentheses, durations with units, errors naming the column). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "obslab/findings.h"
#include "obslab/store.h"
#include "obslab/strtab.h"
#include "obslab/tracefilter.h"
#include "obslab/tracelist.h"

#define MS 1000000LL

static struct tracelist_row row(uint64_t seq, const char *svc, const char *root, int64_t start_ms, int64_t dur_ms,
                                uint32_t spans, uint32_t errors, uint32_t findings, unsigned kinds)
{
	struct tracelist_row r;
	memset(&r, 0, sizeof r);
	r.seq = seq;
	r.service = strdup(svc); /* the list takes them */
	r.root = strdup(root);
	r.start_ns = start_ms * MS;
	r.duration_ns = dur_ms * MS;
	r.spans = spans;
	r.errors = errors;
	r.findings = findings;
	r.finding_kinds = kinds;
	return r;
}

static void fill(struct tracelist *l)
{
	tracelist_init(l);
	struct tracelist_row rows[] = {
		row(1, "shop", "GET /cart", 30, 120, 12, 0, 1, 1u << FINDING_N_PLUS_ONE),
		row(2, "orders", "POST /checkout", 10, 40, 3, 2, 0, 0),
		row(3, "Billing", "GET /invoice", 20, 900, 150, 0, 2, (1u << FINDING_FULL_SCAN_LOOP) | 1u),
		row(4, "shop", "GET /users/analytics", 40, 5, 1, 1, 0, 0),
	};
	for (size_t i = 0; i < 4; i++)
		tracelist_add(l, &rows[i]);
}

static void order(struct tracelist *l, const uint64_t want[4])
{
	tracelist_refresh(l, NULL);
	assert_int_equal(l->nview, 4);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(tracelist_at(l, i)->seq, want[i]);
}

static void sorts_by_every_column(void **state)
{
	(void)state;
	struct tracelist l;
	fill(&l);
	tracelist_refresh(&l, NULL); /* default: by start, oldest first */
	order(&l, (const uint64_t[]){ 2, 3, 1, 4 });
	tracelist_set_sort(&l, TRACELIST_SERVICE); /* names: a to z, any case; ties in completion order */
	order(&l, (const uint64_t[]){ 3, 2, 1, 4 });
	tracelist_set_sort(&l, TRACELIST_ROOT);
	order(&l, (const uint64_t[]){ 1, 3, 4, 2 });
	tracelist_set_sort(&l, TRACELIST_DURATION); /* numbers: largest first */
	order(&l, (const uint64_t[]){ 3, 1, 2, 4 });
	tracelist_set_sort(&l, TRACELIST_SPANS);
	order(&l, (const uint64_t[]){ 3, 1, 2, 4 });
	tracelist_set_sort(&l, TRACELIST_ERRORS);
	order(&l, (const uint64_t[]){ 2, 4, 1, 3 });
	tracelist_set_sort(&l, TRACELIST_FINDINGS);
	order(&l, (const uint64_t[]){ 3, 1, 2, 4 });
	l.descending = false; /* the other way */
	order(&l, (const uint64_t[]){ 2, 4, 1, 3 });
	assert_string_equal(tracelist_col_name(TRACELIST_DURATION), "duration");
	assert_int_equal(tracelist_find(&l, 1), 2);
	assert_int_equal(tracelist_find(&l, 99), l.nview);
	/* evicted traces go, and the rest stay sorted */
	assert_true(tracelist_drop_before(&l, 3));
	assert_false(tracelist_drop_before(&l, 3));
	tracelist_refresh(&l, NULL);
	assert_int_equal(l.nview, 2);
	tracelist_free(&l);
}

/* The seqs a filter lets through, in completion order, as "1 3". */
static const char *matching(const char *text)
{
	static char out[600];
	struct tracelist l;
	fill(&l);
	struct tracefilter f;
	struct obslab_error err;
	if (!tracefilter_parse(&f, text, &err)) {
		snprintf(out, sizeof out, "%s", err.msg);
		tracelist_free(&l);
		return out;
	}
	out[0] = '\0';
	for (size_t i = 0; i < l.nrows; i++)
		if (tracefilter_match(&f, &l.rows[i]))
			snprintf(out + strlen(out), sizeof out - strlen(out), "%s%llu", out[0] ? " " : "",
			         (unsigned long long)l.rows[i].seq);
	tracelist_free(&l);
	return out;
}

static void filters(void **state)
{
	(void)state;
	assert_string_equal(matching(""), "1 2 3 4");
	assert_string_equal(matching("   "), "1 2 3 4");
	assert_string_equal(matching("duration > 50ms"), "1 3");
	assert_string_equal(matching("duration > 50 ms"), "1 3"); /* a space before the unit */
	assert_string_equal(matching("duration >= 120ms"), "1 3");
	assert_string_equal(matching("duration<0.5s"), "1 2 4");
	assert_string_equal(matching("duration <= 5000us"), "4");
	assert_string_equal(matching("duration > 40000000ns"), "1 3");
	assert_string_equal(matching("duration < 1min"), "1 2 3 4");
	assert_string_equal(matching("service = shop"), "1 4");
	assert_string_equal(matching("service = SHOP"), "1 4");
	assert_string_equal(matching("service != shop"), "2 3");
	assert_string_equal(matching("service = billing"), "3");
	assert_string_equal(matching("root ~ /users"), "4");
	assert_string_equal(matching("name = \"get /cart\""), "1");
	assert_string_equal(matching("error"), "2 4");
	assert_string_equal(matching("errors >= 2"), "2");
	assert_string_equal(matching("finding"), "1 3");
	assert_string_equal(matching("finding = n_plus_one"), "1 3");
	assert_string_equal(matching("finding = full_scan_loop"), "3");
	assert_string_equal(matching("finding != n_plus_one"), "2 4");
	assert_string_equal(matching("spans >= 100"), "3");
	assert_string_equal(matching("findings = 0"), "2 4");
	/* free text: root name or service, any case */
	assert_string_equal(matching("checkout"), "2");
	assert_string_equal(matching("ORDERS"), "2");
	assert_string_equal(matching("\"GET /\""), "1 3 4");
	/* and, or, not, parentheses, precedence (and binds tighter) */
	assert_string_equal(matching("service = shop and error"), "4");
	assert_string_equal(matching("service = shop error"), "4");
	assert_string_equal(matching("service = orders or duration > 500ms"), "2 3");
	assert_string_equal(matching("not error"), "1 3");
	assert_string_equal(matching("!error"), "1 3");
	assert_string_equal(matching("error or finding and service = shop"), "1 2 4");
	assert_string_equal(matching("(error or finding) and service = shop"), "1 4");
	assert_string_equal(matching("not (service = shop or service = orders)"), "3");
	assert_string_equal(matching("NOT error AND duration > 100ms"), "1 3");
	assert_string_equal(matching("((finding))"), "1 3");
	/* the plural alone means what the singular does, never free text */
	assert_string_equal(matching("findings"), "1 3");
	assert_string_equal(matching("FINDINGS and service = shop"), "1");
	assert_string_equal(matching("not findings"), "2 4");
	assert_string_equal(matching("errors"), "2 4");
}

static void errors_name_the_column(void **state)
{
	(void)state;
	assert_string_equal(matching("duration > 50"), "filter: at column 14: a duration needs a unit (ns, us, ms, s, min)");
	assert_string_equal(matching("duration > 50 and error"), "filter: at column 14: a duration needs a unit (ns, us, ms, s, min)");
	assert_string_equal(matching("duration > 5parsecs"), "filter: at column 13: an unknown unit: use ns, us, ms, s or min");
	assert_string_equal(matching("duration > fast"), "filter: at column 12: expected a duration (50ms, 1.5s, 200us)");
	assert_string_equal(matching("colour = red"), "filter: at column 1: an unknown field 'colour' (duration service root spans errors findings finding)");
	assert_string_equal(matching("(error or finding"), "filter: at column 1: this ( is not closed");
	assert_string_equal(matching("error)"), "filter: at column 6: a ) without its (");
	assert_string_equal(matching("error and"), "filter: at column 10: expected a test (duration > 50ms, service = shop, error, a word)");
	assert_string_equal(matching("service ="), "filter: at column 10: expected a name or a \"quoted text\"");
	assert_string_equal(matching("service > shop"), "filter: at column 9: a name takes = != or ~");
	assert_string_equal(matching("spans ~ 3"), "filter: at column 7: ~ is for names; a number takes = != > >= < <=");
	assert_string_equal(matching("spans > 3x"), "filter: at column 9: expected a count (a whole number)");
	assert_string_equal(matching("finding = slow"), "filter: at column 11: an unknown finding: n_plus_one or full_scan_loop");
	assert_string_equal(matching("name = \"open"), "filter: at column 8: a quote (\") that is not closed");
	assert_string_equal(matching("error or or"), "filter: at column 10: expected a test (duration > 50ms, service = shop, error, a word)");
	/* too many parts: refused, never overflowing */
	char big[1024] = "";
	for (int i = 0; i < 100; i++)
		strcat(big, "error or ");
	strcat(big, "error");
	assert_non_null(strstr(matching(big), "too long a filter"));
	char deep[512] = "";
	for (int i = 0; i < 200; i++)
		strcat(deep, "(");
	assert_non_null(strstr(matching(deep), "filter: at column"));
}

static void summarizes_foreign_and_lab_traces(void **state)
{
	(void)state;
	struct strtab *names = strtab_create();
	struct foreign f;
	foreign_init(&f, names);
	uint32_t shop = foreign_resource(&f, "shop");
	foreign_span(&f, shop, 1, 0, SPAN_KIND_SERVER, "POST /checkout", NULL, 0, 80 * MS);
	struct span_record *q = foreign_span(&f, shop, 2, 1, SPAN_KIND_CLIENT, "SELECT", "SELECT * FROM t WHERE id = 1",
	                                     MS, 3 * MS);
	q->flags |= SPAN_F_ERROR;
	f.trace.seq = 7;
	struct tracelist_row r;
	tracelist_summarize(&r, &f.trace, names, NULL);
	assert_int_equal(r.seq, 7);
	assert_string_equal(r.service, "shop");
	assert_string_equal(r.root, "POST /checkout");
	assert_int_equal(r.duration_ns, 80 * MS);
	assert_int_equal(r.spans, 2);
	assert_int_equal(r.errors, 1);
	assert_int_equal(r.findings, 0);
	tracelist_row_free(&r);
	foreign_free(&f);

	struct span_record lab[2];
	memset(lab, 0, sizeof lab);
	lab[0].span_id = 1;
	lab[0].name = strtab_intern_cstr(names, "GET /users/analytics");
	lab[0].end_ns = 12 * MS;
	lab[1].span_id = 2;
	lab[1].parent_id = 1;
	lab[1].flags = SPAN_F_PLACEHOLDER;
	struct trace t = { .seq = 3, .spans = lab, .nspans = 2 };
	struct findings fs;
	findings_init(&fs);
	fs.item = calloc(1, sizeof *fs.item); /* findings_free releases it */
	assert_non_null(fs.item);
	fs.n = fs.cap = 1;
	fs.item[0].kind = FINDING_N_PLUS_ONE;
	tracelist_summarize(&r, &t, names, &fs);
	findings_free(&fs);
	assert_string_equal(r.service, "obslab");
	assert_string_equal(r.root, "GET /users/analytics");
	assert_int_equal(r.spans, 1); /* the placeholder is no span */
	assert_int_equal(r.findings, 1);
	assert_int_equal(r.finding_kinds, 1u << FINDING_N_PLUS_ONE);
	tracelist_row_free(&r);
	strtab_destroy(names);
}

/* A name from a file is kept whole, control bytes and all (draw_text
 * escapes them and cuts between characters where its column ends): never
 * cut at a fixed number of bytes inside a character, never blanked. */
static void keeps_hostile_names_whole(void **state)
{
	(void)state;
	char root[512] = "root \x1b[7m", svc[] = "svc\x1b[31m\u202eevil \xe4\xb8\xad\xe6\x96\x87";
	for (int i = 0; i < 50; i++)
		strcat(root, "\xe4\xb8\xad"); /* 中 */
	struct strtab *names = strtab_create();
	struct foreign f;
	foreign_init(&f, names);
	uint32_t res = foreign_resource(&f, svc);
	foreign_span(&f, res, 1, 0, SPAN_KIND_SERVER, root, NULL, 0, 80 * MS);
	struct tracelist_row r;
	tracelist_summarize(&r, &f.trace, names, NULL);
	assert_string_equal(r.root, root);
	assert_string_equal(r.service, svc);
	struct tracelist l;
	tracelist_init(&l);
	tracelist_add(&l, &r); /* the list owns the names now */
	struct tracefilter flt;
	assert_true(tracefilter_parse(&flt, "evil", NULL));
	tracelist_refresh(&l, &flt);
	assert_int_equal(l.nview, 1);
	assert_string_equal(tracelist_root(tracelist_at(&l, 0)), root);
	tracelist_free(&l);
	foreign_free(&f);
	strtab_destroy(names);
}

/* A received trace changes in place (issue 16): its row is replaced by seq,
 * never added twice, and the earliest start follows. */
static void replaces_a_row_changed_in_place(void **state)
{
	(void)state;
	struct tracelist l;
	fill(&l);
	struct tracelist_row r = row(2, "orders", "POST /checkout", 5, 60, 4, 0, 1, 1u << FINDING_N_PLUS_ONE);
	r.open = true;
	tracelist_add(&l, &r);
	assert_int_equal(l.nrows, 4);
	const struct tracelist_row *got = tracelist_row_of(&l, 2);
	assert_non_null(got);
	assert_true(got->open);
	assert_int_equal(got->spans, 4);
	assert_int_equal(l.first_start_ns, 5 * MS);
	assert_null(tracelist_row_of(&l, 9));
	struct tracelist_row next = row(5, "shop", "GET /", 50, 1, 1, 0, 0, 0);
	tracelist_add(&l, &next); /* a new seq: appended */
	assert_int_equal(l.nrows, 5);
	tracelist_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sorts_by_every_column),
		cmocka_unit_test(filters),
		cmocka_unit_test(keeps_hostile_names_whole),
		cmocka_unit_test(errors_name_the_column),
		cmocka_unit_test(summarizes_foreign_and_lab_traces),
		cmocka_unit_test(replaces_a_row_changed_in_place),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
