#include "fixture.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "obslab/db.h"
#include "obslab/log.h"
#include "obslab/otel.h"
#include "obslab/ring.h"
#include "obslab/sqltrace.h"
#include "obslab/store.h"
#include "obslab/strtab.h"

static char dir[256];

const char *fixture_dir(void)
{
	if (!dir[0]) {
		const char *tmp = getenv("TMPDIR");
		snprintf(dir, sizeof dir, "%s/obslab-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		assert_non_null(mkdtemp(dir));
	}
	return dir;
}

void fixture_path(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", fixture_dir(), name);
}

void fixture_cleanup(void)
{
	if (dir[0]) {
		char cmd[300];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		assert_int_equal(system(cmd), 0);
		dir[0] = '\0';
	}
}

void lab_open(struct lab *lab, const char *path, uint32_t users, bool index)
{
	memset(lab, 0, sizeof *lab);
	struct obslab_error err;
	if (db_open(path, &lab->db, &err) != DB_OK)
		fail_msg("db_open: %s", err.msg);
	if (db_seed(lab->db, users, 42, NULL, NULL, &err) != DB_OK ||
	    db_set_index(lab->db, index, &err) != DB_OK)
		fail_msg("seeding: %s", err.msg);
	lab->names = strtab_create();
	lab->spans = ring_create(1u << 18, sizeof(struct span_record));
	lab->logs = ring_create(1u << 8, sizeof(struct log_record));
	lab->store = store_create((struct store_limits){ .max_traces = 64, .max_spans = 1u << 22 });
	tracer_init(&lab->tracer, lab->spans);
	lab->sqltrace = sqltrace_attach(lab->db, &lab->tracer, lab->names);
	sqltrace_set_rtt_us(lab->sqltrace, 0);
	lab->ctx = request_ctx_create_sqlite(lab->db, &lab->tracer, lab->names, lab->logs);
	request_ctx_set_index(lab->ctx, index);
	assert_non_null(lab->ctx);
}

void lab_close(struct lab *lab)
{
	request_ctx_destroy(lab->ctx);
	sqltrace_detach(lab->sqltrace);
	db_close(lab->db);
	request_result_free(&lab->result);
	store_destroy(lab->store);
	ring_destroy(lab->spans);
	ring_destroy(lab->logs);
	strtab_destroy(lab->names);
}

void lab_request(struct lab *lab, enum strategy s)
{
	struct obslab_error err;
	if (request_run(lab->ctx, s, &lab->result, &err) != DB_OK)
		fail_msg("request: %s", err.msg);
	store_drain(lab->store, lab->spans);
}

int64_t fixture_scalar(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *stmt;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return v;
}

uint64_t file_checksum(const char *path)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	int c;
	while ((c = fgetc(f)) != EOF) {
		h ^= (unsigned char)c;
		h *= UINT64_C(0x100000001b3);
	}
	fclose(f);
	return h;
}

/* ---- foreign traces ------------------------------------------------------------ */

void foreign_init(struct foreign *f, struct strtab *names)
{
	memset(f, 0, sizeof *f);
	f->set = otel_set_create();
	f->names = names;
	f->trace = (struct trace){ .seq = 1, .spans = f->spans, .nspans = 0, .otel = f->set };
	memset(f->trace.trace_id, 0xab, sizeof f->trace.trace_id);
}

void foreign_free(struct foreign *f)
{
	otel_set_destroy(f->set);
	f->set = NULL;
}

uint32_t foreign_resource(struct foreign *f, const char *service)
{
	size_t mark = otel_kv_mark(f->set);
	struct otel_value v = { .type = OTEL_VALUE_STRING };
	v.u.s = otel_text(f->set, service, strlen(service));
	otel_kv_push(f->set, otel_text(f->set, "service.name", 12), v);
	struct otel_resource r = { 0 };
	r.attrs.first = otel_kv_commit(f->set, mark, &r.attrs.count);
	struct otel_scope sc = { .resource = otel_add_resource(f->set, &r) };
	sc.name = otel_text(f->set, "test", 4);
	return otel_add_scope(f->set, &sc);
}

struct span_record *foreign_span(struct foreign *f, uint32_t scope, uint64_t id, uint64_t parent, uint8_t kind,
                                 const char *name, const char *sql, int64_t start, int64_t end)
{
	assert_true(f->trace.nspans < FOREIGN_MAX_SPANS);
	struct otel_span sp = { .span_id = id, .parent_span_id = parent, .scope = scope, .kind = kind };
	memset(sp.trace_id, 0xab, sizeof sp.trace_id);
	sp.name = otel_text(f->set, name, strlen(name));
	sp.start_unix_ns = (uint64_t)start + UINT64_C(1700000000000000000);
	sp.end_unix_ns = (uint64_t)end + UINT64_C(1700000000000000000);
	struct span_record *r = &f->spans[f->trace.nspans++];
	memset(r, 0, sizeof *r);
	r->span_id = id;
	r->parent_id = parent;
	r->start_ns = start;
	r->end_ns = end;
	r->trace_seq = 1;
	r->kind = kind;
	r->flags = SPAN_F_FOREIGN | (sql ? SPAN_F_DB : 0);
	r->name = strtab_intern_cstr(f->names, sql ? sql : name);
	r->u.foreign.detail = otel_add_span(f->set, &sp);
	return r;
}
