/* The lab's statements on PostgreSQL (request_backend.h), over pg.h's one
 * execution point: the prepared statements PG_STMT_* with text parameters
 * (values never enter the query text), eager's chunks as one int array
 * parameter "{1,2,3}" each, and the pipelined counts in libpq's pipeline
 * mode. pg_exec makes the spans and measures each one's network share;
 * pg's cancel counter cuts a statement short on the server. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/error.h"
#include "obslab/pg.h"
#include "obslab/xalloc.h"
#include "request_backend.h"

/* The longest int64 in decimal, its sign and a separator. */
#define ID_TEXT_MAX 21

struct pg_backend {
	struct request_backend base;
	struct pgdb *db;
	struct obslab_error err; /* the last failure */
	char *ids;               /* scratch: ids as text (eager's array, pipelined's parameters) */
	size_t ids_cap;
	const char **values;     /* scratch: pipelined's parameter pointers */
	size_t values_cap;
};

static struct pg_backend *of(struct request_backend *b)
{
	return (struct pg_backend *)b;
}

static int64_t int_value(const struct pg_rows *r, int row, int col)
{
	size_t len;
	const char *v = pg_value(r, row, col, &len);
	return v && len ? strtoll(v, NULL, 10) : 0;
}

static size_t text_value(struct request_result *res, const struct pg_rows *r, int row, int col)
{
	size_t len = 0;
	const char *v = pg_value(r, row, col, &len);
	return request_take_text(res, v, v ? len : 0);
}

static char *ids_room(struct pg_backend *p, size_t need)
{
	if (p->ids_cap < need) {
		p->ids = xrealloc(p->ids, need);
		p->ids_cap = need;
	}
	return p->ids;
}

static enum db_status pg_users(struct request_backend *b, bool with_counts, struct request_result *res)
{
	struct pg_backend *p = of(b);
	struct pg_rows rows;
	request_count_query(b->ctx, res);
	enum db_status st = pg_exec(p->db, with_counts ? PG_STMT_JOIN : PG_STMT_USERS, 0, NULL, &rows, &p->err);
	if (st != DB_OK)
		return st;
	for (int i = 0; i < rows.nrows; i++) {
		struct user_row *u = request_push_user(res);
		u->id = int_value(&rows, i, 0);
		u->username = text_value(res, &rows, i, 1);
		u->email = text_value(res, &rows, i, 2);
		if (with_counts)
			u->order_count = int_value(&rows, i, 3);
	}
	return DB_OK;
}

static enum db_status pg_count(struct request_backend *b, struct request_result *res, size_t i)
{
	struct pg_backend *p = of(b);
	char id[ID_TEXT_MAX + 1];
	snprintf(id, sizeof id, "%" PRId64, res->users[i].id);
	const char *values[1] = { id };
	struct pg_rows rows;
	request_count_query(b->ctx, res);
	enum db_status st = pg_exec(p->db, PG_STMT_COUNT, 1, values, &rows, &p->err);
	if (st == DB_OK)
		res->users[i].order_count = rows.nrows > 0 ? int_value(&rows, 0, 0) : 0;
	return st;
}

static enum db_status pg_count_chunk(struct request_backend *b, struct request_result *res, size_t first, size_t n)
{
	struct pg_backend *p = of(b);
	char *array = ids_room(p, n * (ID_TEXT_MAX + 1) + 3);
	size_t at = 0;
	array[at++] = '{';
	for (size_t i = 0; i < n; i++) {
		int k = snprintf(array + at, ID_TEXT_MAX + 2, "%s%" PRId64, i ? "," : "", res->users[first + i].id);
		at += k > 0 ? (size_t)k : 0;
	}
	array[at++] = '}';
	array[at] = '\0';
	const char *values[1] = { array };
	struct pg_rows rows;
	request_count_query(b->ctx, res);
	enum db_status st = pg_exec(p->db, PG_STMT_COUNT_ANY, 1, values, &rows, &p->err);
	if (st != DB_OK)
		return st;
	for (int r = 0; r < rows.nrows; r++) {
		struct user_row *u = request_find_user(res, first, first + n, int_value(&rows, r, 0));
		if (u)
			u->order_count = int_value(&rows, r, 1);
	}
	return DB_OK;
}

static void take_count(void *arg, size_t i, const struct pg_rows *rows)
{
	struct request_result *res = arg;
	if (i < res->nusers)
		res->users[i].order_count = rows->nrows > 0 ? int_value(rows, 0, 0) : 0;
}

static enum db_status pg_count_pipelined(struct request_backend *b, struct request_result *res)
{
	struct pg_backend *p = of(b);
	size_t n = res->nusers;
	char *ids = ids_room(p, n * (ID_TEXT_MAX + 1));
	if (p->values_cap < n) {
		p->values = xrealloc_array(p->values, n, sizeof *p->values);
		p->values_cap = n;
	}
	for (size_t i = 0; i < n; i++) {
		char *at = ids + i * (ID_TEXT_MAX + 1);
		snprintf(at, ID_TEXT_MAX + 1, "%" PRId64, res->users[i].id);
		p->values[i] = at;
	}
	for (size_t i = 0; i < n; i++) /* all sent before the first answer */
		request_count_query(b->ctx, res);
	return pg_exec_pipelined(p->db, PG_STMT_COUNT, n, 1, p->values, take_count, res, &p->err);
}

static const char *pg_errmsg(struct request_backend *b)
{
	return of(b)->err.msg;
}

static void pg_backend_set_cancel(struct request_backend *b, const _Atomic uint32_t *counter,
                                  request_interrupt_fn *interrupt, void *arg)
{
	(void)interrupt; /* pg cancels on the server by the counter itself */
	(void)arg;
	pg_set_cancel(of(b)->db, counter);
}

static void pg_backend_arm(struct request_backend *b)
{
	pg_arm(of(b)->db);
}

static void pg_backend_destroy(struct request_backend *b)
{
	struct pg_backend *p = of(b);
	free(p->ids);
	free(p->values);
	free(p);
}

static const struct request_backend_ops pg_ops = {
	.destroy = pg_backend_destroy,
	.prepare = NULL, /* pg prepares the lab's statements on connecting */
	.users = pg_users,
	.count = pg_count,
	.count_chunk = pg_count_chunk,
	.count_pipelined = pg_count_pipelined,
	.errmsg = pg_errmsg,
	.set_cancel = pg_backend_set_cancel,
	.arm = pg_backend_arm,
	.version = NULL, /* another connection's commit is not tracked on PostgreSQL */
};

struct request_backend *request_backend_pg(struct pgdb *db)
{
	struct pg_backend *p = xcalloc(1, sizeof *p);
	p->base.ops = &pg_ops;
	p->base.count_sql = pg_stmt_sql(PG_STMT_COUNT);
	p->db = db;
	return &p->base;
}
