/*
 * labdb_pgstub — TEMPORARY: pg.h's functions as "not built" until area pg's
 * src/pg.c is merged (then this file is deleted). Nothing here talks to a
 * server: every --db value is a SQLite path meanwhile.
 */
#include <stdio.h>

#include "obslab/pg.h"

bool pg_is_conninfo(const char *db_arg)
{
	(void)db_arg;
	return false;
}

void pg_conninfo_masked(const char *db_arg, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s", db_arg);
}

static enum db_status refuse(struct obslab_error *err)
{
	obslab_error_set(err, "PostgreSQL support is not built");
	return DB_ERROR;
}

enum db_status pg_open(const char *c, const struct pg_options *o, struct pgdb **out, struct obslab_error *err)
{
	(void)c, (void)o;
	*out = NULL;
	return refuse(err);
}

enum db_status pg_open_reader(const char *c, const struct pg_options *o, struct pgdb **out, struct obslab_error *err)
{
	(void)c, (void)o;
	*out = NULL;
	return refuse(err);
}

void pg_close(struct pgdb *db) { (void)db; }
const struct labdb_info *pg_info(const struct pgdb *db) { (void)db; return NULL; }
enum db_status pg_seed(struct pgdb *db, uint32_t u, uint64_t s, db_progress_fn *p, void *c, struct obslab_error *err)
{
	(void)db, (void)u, (void)s, (void)p, (void)c;
	return refuse(err);
}
enum db_status pg_set_index(struct pgdb *db, bool on, struct obslab_error *err) { (void)db, (void)on; return refuse(err); }
bool pg_index_serving(struct pgdb *db, char *name, size_t cap) { (void)db, (void)name, (void)cap; return false; }
bool pg_read_state(struct pgdb *db, uint32_t *u, bool *i) { (void)db, (void)u, (void)i; return false; }
uint32_t pg_seeded_users(struct pgdb *db) { (void)db; return 0; }
uint64_t pg_seeded_seed(struct pgdb *db) { (void)db; return 0; }
void pg_set_cancel(struct pgdb *db, const _Atomic uint32_t *c) { (void)db, (void)c; }
void pg_arm(struct pgdb *db) { (void)db; }
void pg_trace_attach(struct pgdb *db, struct tracer *t, struct strtab *n) { (void)db, (void)t, (void)n; }
int64_t pg_rtt_ns(const struct pgdb *db) { (void)db; return 0; }
enum db_status pg_measure_rtt(struct pgdb *db, int s, struct obslab_error *err) { (void)db, (void)s; return refuse(err); }
bool pg_connected(const struct pgdb *db) { (void)db; return false; }
enum db_status pg_reconnect(struct pgdb *db, struct obslab_error *err) { (void)db; return refuse(err); }
