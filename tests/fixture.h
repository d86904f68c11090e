/*
 * fixture — what the engine tests share: a scratch directory, and a lab
 * wired as the program wires it (string table, span ring, tracer, sqltrace,
 * request context, store) but run synchronously on the test's thread.
 */
#ifndef OBSLAB_TEST_FIXTURE_H
#define OBSLAB_TEST_FIXTURE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "obslab/request.h"
#include "obslab/span.h"
#include "obslab/store.h"
#include "obslab/tracer.h"

struct ring;
struct store;
struct strtab;
struct sqltrace;

/* A fresh directory under $TMPDIR; fixture_path joins a name to it. */
const char *fixture_dir(void);
void fixture_path(char *out, size_t cap, const char *name);
void fixture_cleanup(void);

struct pgdb;

struct lab {
	sqlite3 *db;          /* SQLite's connection; NULL on PostgreSQL */
	struct pgdb *pg;      /* PostgreSQL's (lab_engine.h); NULL on SQLite */
	char *conninfo;       /* PostgreSQL's database, malloc'd; NULL on SQLite */
	struct strtab *names;
	struct ring *spans, *logs;
	struct tracer tracer;
	struct sqltrace *sqltrace;
	struct request_ctx *ctx;
	struct store *store;
	struct request_result result;
};

/* Opens (":memory:" or a path), seeds users, sets the index; tracing on. */
void lab_open(struct lab *lab, const char *path, uint32_t users, bool index);
void lab_close(struct lab *lab);
/* Runs one request and drains its spans into the store. */
void lab_request(struct lab *lab, enum strategy s);
/* The first column of the one row sql returns, as an integer. */
int64_t fixture_scalar(sqlite3 *db, const char *sql);
/* FNV-1a over a file's bytes, to prove a file was left unchanged. */
uint64_t file_checksum(const char *path);

/* ---- foreign traces, built as a reader builds them ------------------------
 * A trace of SPAN_F_FOREIGN records whose details are in an otel_set:
 * foreign_resource adds a resource with a service.name, foreign_span a
 * span of it (name: the span's own name, or for a database span with sql
 * the fingerprint in the record and the own name in the otel_span). Add
 * spans in start order, the root first. The trace's otel is the set. */
struct otel_set;
#define FOREIGN_MAX_SPANS 64
struct foreign {
	struct otel_set *set;
	struct strtab *names;
	struct span_record spans[FOREIGN_MAX_SPANS];
	struct trace trace;
};
void foreign_init(struct foreign *f, struct strtab *names);
void foreign_free(struct foreign *f);
uint32_t foreign_resource(struct foreign *f, const char *service); /* returns its scope */
/* Returns the record, to set rows (and known) on. */
struct span_record *foreign_span(struct foreign *f, uint32_t scope, uint64_t id, uint64_t parent, uint8_t kind,
                                 const char *name, const char *sql, int64_t start, int64_t end);

#endif
