/*
 * pgstat — the server's own clock for the lab's PostgreSQL requests:
 * pg_stat_statements' execution time, read after each request (outside any
 * trace), kept only when it can be told for that request alone.
 *
 * pgstat_read wraps pg_server_exec: the delta of the lab's statements'
 * total_exec_time and calls since the last reading; KNOWN when the calls
 * equal the request's queries, UNKNOWN when they differ (another connection
 * ran the same statements meanwhile, e.g. serve's readers: never a wrong
 * figure), NOT_LOADED when the extension is not in the database. The
 * workload hands each reading on as one log record (pgstat_log) naming the
 * request's trace; consumers take it back with pgstat_from_log, and a
 * pgstat_table keeps the newest readings by trace id (fixed memory, no
 * allocation, one thread). No function here blocks but pgstat_read (two
 * statements on the connection).
 */
#ifndef OBSLAB_PGSTAT_H
#define OBSLAB_PGSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "obslab/log.h"
#include "obslab/span.h"

struct pgdb;
struct ring;

enum pgstat_state {
	PGSTAT_NONE,       /* not read: SQLite, or nothing yet */
	PGSTAT_NOT_LOADED, /* pg_stat_statements is not in the database */
	PGSTAT_UNKNOWN,    /* loaded, but the calls counted were not the request's alone */
	PGSTAT_KNOWN,
};

/* How each figure is labelled wherever it is printed. */
#define PGSTAT_LABEL "server execution (pg_stat_statements)"
#define PGSTAT_NOT_LOADED_TEXT "not loaded"
#define PGSTAT_ENABLE_HINT                                                                                   \
	"to enable it: shared_preload_libraries = 'pg_stat_statements' in postgresql.conf, restart the server, " \
	"then CREATE EXTENSION pg_stat_statements in the database"
#define PGSTAT_REMAINDER_TEXT                                                                                \
	"database (client time - measured round trip) minus server execution: protocol, parse/bind and the " \
	"client library, which the server's clock does not count"

/* The log records (string literals, as log.h wants). */
#define PGSTAT_MSG_KNOWN PGSTAT_LABEL
#define PGSTAT_MSG_UNKNOWN "server execution unknown: pg_stat_statements counted other calls of the lab's statements"
#define PGSTAT_MSG_NOT_LOADED "server execution: pg_stat_statements not loaded in this database"

struct pgstat_reading {
	enum pgstat_state state;
	int64_t exec_ns;  /* KNOWN: the server's execution time of the request's statements */
	uint64_t calls;   /* the calls pg_stat_statements counted (KNOWN, UNKNOWN) */
};

/* Reads the clock after a request of `queries` statements (see above). The
 * first reading on a connection only primes it: UNKNOWN with 0 calls unless
 * queries is 0 too. */
struct pgstat_reading pgstat_read(struct pgdb *db, uint32_t queries);

/* Emits the reading as one record (logs may be NULL: nothing). KNOWN:
 * PGSTAT_MSG_KNOWN exec_us=… statements=… trace_id=…; UNKNOWN:
 * PGSTAT_MSG_UNKNOWN counted=… queries=… trace_id=…; NOT_LOADED:
 * PGSTAT_MSG_NOT_LOADED with the hint. trace_id_hex may be NULL or "". */
void pgstat_log(struct ring *logs, const struct pgstat_reading *r, uint32_t queries, const char *trace_id_hex);

/* A record pgstat_log made: its state, and for KNOWN its figures; the
 * trace id (all zero when the record names none). False for any other
 * record, or a malformed one. */
bool pgstat_from_log(const struct log_record *rec, enum pgstat_state *state, uint8_t trace_id[SPAN_TRACE_ID_LEN],
                     int64_t *exec_ns, uint32_t *statements);

/* The newest readings by trace id. */
#define PGSTAT_TABLE_MAX 256

struct pgstat_table {
	struct {
		uint8_t trace_id[SPAN_TRACE_ID_LEN];
		int64_t exec_ns;
		uint32_t statements;
		enum pgstat_state state;
	} e[PGSTAT_TABLE_MAX];
	size_t n, next;
	enum pgstat_state clock; /* the newest record's: NOT_LOADED once the workload said so */
};

void pgstat_table_init(struct pgstat_table *t);
/* Takes a record if pgstat_log made it (others are ignored); true if so. */
bool pgstat_table_note(struct pgstat_table *t, const struct log_record *rec);
/* The reading for trace_id: KNOWN (figures set), UNKNOWN, or NONE. */
enum pgstat_state pgstat_table_find(const struct pgstat_table *t, const uint8_t trace_id[SPAN_TRACE_ID_LEN],
                                    int64_t *exec_ns, uint32_t *statements);

#endif
