/*
 * span — the fixed-size record a finished span travels in, from the
 * workload thread through the ring to the store. One cache line, by value.
 *
 * Names are strtab ids: a database span's name is its SQL fingerprint, other
 * spans' names are plain ("GET /users/analytics"). A trace's spans share
 * trace_seq; only its root (parent_id == 0) carries the 128-bit trace id,
 * which the store copies to the others. Times are clock_now_ns() stamps.
 *
 * Spans read from other tools' files are SPAN_F_FOREIGN: their record is a
 * working copy (name: the fingerprint for a database span, else the span's
 * own name) and everything they carry is in an otel_set (otel.h); a
 * foreign trace's id is its spans' otel_span trace_id.
 */
#ifndef OBSLAB_SPAN_H
#define OBSLAB_SPAN_H

#include <stddef.h>
#include <stdint.h>

#include "obslab/duration.h"

/* OpenTelemetry's SpanKind numbering, as OTLP encodes it. */
enum span_kind {
	SPAN_KIND_INTERNAL = 1,
	SPAN_KIND_SERVER = 2,
	SPAN_KIND_CLIENT = 3,
};

enum span_flag {
	SPAN_F_DB = 1 << 0,    /* a database statement: u.db is valid */
	SPAN_F_INDEX = 1 << 1, /* root: the orders.user_id index existed */
	SPAN_F_ERROR = 1 << 2, /* the operation failed */
	SPAN_F_CANCELLED = 1 << 3, /* root: the request was cut short by a settings change */
	SPAN_F_MEASURED = 1 << 4,  /* root: part of a comparison or sweep (see workload plans) */
	SPAN_F_DB_CHANGED = 1 << 5, /* root: another connection changed the database during the request */
	SPAN_F_FOREIGN = 1 << 6,    /* read from someone else's data: u.foreign, details in an otel_set (otel.h) */
	SPAN_F_PLACEHOLDER = 1 << 7, /* not a span: the marked "missing parent" node obslab shows orphans
	                              * under; never written to an export */
};

/* u.foreign.known bits: which figures the file gave. */
enum span_foreign_known {
	SPAN_KNOWN_ROWS = 1 << 0, /* rows came from db.response.returned_rows */
};

/* Which engine ran a lab's database span. */
enum span_db_system {
	SPAN_DB_SQLITE = 0,
	SPAN_DB_POSTGRESQL = 1,
};

#define SPAN_TRACE_ID_LEN 16

struct span_record {
	uint64_t span_id;
	uint64_t parent_id; /* 0 for a trace's root */
	int64_t start_ns;
	int64_t end_ns;
	uint32_t trace_seq; /* the producer's trace counter, shared by a trace's spans */
	uint32_t name;      /* strtab id */
	uint8_t kind;       /* enum span_kind */
	uint8_t flags;      /* enum span_flag bits */
	union {
		uint8_t strategy;  /* root: enum strategy */
		uint8_t db_system; /* database span (SPAN_F_DB): enum span_db_system; a foreign one's
		                    * is SPAN_DB_POSTGRESQL when its db.system.name says postgresql, else 0 */
	};
	uint8_t sort_ops;   /* db: SQLITE_STMTSTATUS_SORT, saturating at 255 */
	union {
		struct {
			uint8_t trace_id[SPAN_TRACE_ID_LEN];
			uint32_t users; /* users in the database when the request ran
			                 * (a cancelled one: when it started) */
		} root;
		struct {
			uint32_t rows;           /* result rows the statement returned */
			uint32_t net_wait_ns;    /* simulated round trip actually waited */
			uint32_t fullscan_steps; /* SQLITE_STMTSTATUS_FULLSCAN_STEP */
			uint32_t vm_steps;       /* SQLITE_STMTSTATUS_VM_STEP */
			uint32_t autoindex;      /* SQLITE_STMTSTATUS_AUTOINDEX */
		} db;
		/* A foreign span (root or not, database or not). rows, net_wait_ns
		 * and fullscan_steps lie where db's do, so the analysis reads a
		 * foreign database span as it reads the lab's: rows as the file
		 * gave them (see known), no simulated wait, a scan counter only from
		 * obslab's own export. */
		struct {
			uint32_t rows;
			uint32_t net_wait_ns;    /* always 0 */
			uint32_t fullscan_steps; /* obslab.db.fullscan_steps when the file has it (obslab's
			                            own OTLP export), else 0 */
			uint32_t detail;         /* index of its otel_span */
			uint32_t known;          /* enum span_foreign_known */
		} foreign;
	} u;
};

_Static_assert(offsetof(struct span_record, u.foreign.rows) == offsetof(struct span_record, u.db.rows) &&
                   offsetof(struct span_record, u.foreign.net_wait_ns) ==
                       offsetof(struct span_record, u.db.net_wait_ns) &&
                   offsetof(struct span_record, u.foreign.fullscan_steps) ==
                       offsetof(struct span_record, u.db.fullscan_steps),
               "a foreign database span reads as a lab one");

_Static_assert(sizeof(struct span_record) == 64, "a span record is one cache line");

/* A trace id as 32 lowercase hex digits and a NUL, as OTLP writes it. */
static inline void span_trace_id_hex(const uint8_t id[SPAN_TRACE_ID_LEN], char out[2 * SPAN_TRACE_ID_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	for (int i = 0; i < SPAN_TRACE_ID_LEN; i++) {
		out[2 * i] = digits[id[i] >> 4];
		out[2 * i + 1] = digits[id[i] & 15];
	}
	out[2 * SPAN_TRACE_ID_LEN] = '\0';
}

/* Never negative, never overflowing (see duration.h). */
static inline int64_t span_duration_ns(const struct span_record *s)
{
	return duration_between(s->start_ns, s->end_ns);
}

#endif
