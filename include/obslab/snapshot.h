/*
 * snapshot — captured traces to files and back.
 *
 * Three formats (docs/formats.md describes each, and the reader's limits):
 *   native  obslab's own, "format": "obslab.snapshot", "version": 2, with the
 *           settings, every trace and span, attribution, findings and query
 *           statistics (assets/snapshot.schema.json describes it);
 *   otlp    OTLP/JSON as the OpenTelemetry Collector's file exporter writes
 *           it: resourceSpans > scopeSpans > spans;
 *   chrome  the Trace Event Format (Perfetto, chrome://tracing, speedscope);
 *   sqlite  SQLite tables of spans, attributes, events, links, resources
 *           (snapshot_sqlite.c; written only, never read).
 * Foreign spans (SPAN_F_FOREIGN) are written as the file they came from
 * had them (otel_json.h); placeholders (SPAN_F_PLACEHOLDER) never are.
 * Writers stream one trace at a time through an atomicfile, so memory stays
 * near one trace's worth and a failure leaves no partial file. The lab's
 * spans carry fingerprints only, never a bound value.
 *
 * The reader takes native and OTLP files (any OpenTelemetry tool's). It
 * refuses what is not what it says (not JSON, not OTLP or native, cut
 * short, invalid ids or times, UTF-8, size) and tolerates the rest as
 * Jaeger does: orphans hang under a "missing parent" placeholder, several
 * roots or none under a "missing root" one, clock skew, duplicate ids and
 * parent cycles are kept and marked (the counts below). It returns span
 * records ready for store_ingest: every trace's spans, its root last. Every
 * OTLP span is foreign: all it carries is in s->otel, its record derived
 * from that (a database span's name is its SQL fingerprint). A struct snapshot owns
 * its string table and records; snapshot_free releases them.
 *
 * Threads: the writers read the store, so they run on the thread that owns
 * it (store.h); the reader keeps its state in the call (no statics), so
 * any thread may read, one struct snapshot per call.
 */
#ifndef OBSLAB_SNAPSHOT_H
#define OBSLAB_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "obslab/clock.h"
#include "obslab/error.h"
#include "obslab/findings.h"
#include "obslab/labdb.h"
#include "obslab/span.h"
#include "obslab/workload.h"

struct otel_set;
struct span_record;
struct store;
struct strtab;

enum snapshot_format { SNAPSHOT_NATIVE, SNAPSHOT_OTLP, SNAPSHOT_CHROME, SNAPSHOT_SQLITE };

#define SNAPSHOT_FORMAT_NAME "obslab.snapshot"
#define SNAPSHOT_VERSION 2     /* what the writer writes; the reader reads 1 and 2 */

/* What a snapshot says about the run it came from. */
struct snapshot_meta {
	struct workload_config settings;
	bool has_settings;          /* false for an OTLP file */
	bool served;                /* obslab serve: each endpoint ran its own strategy, so the
	                               settings name none (native: no "strategy"; the reader sets it
	                               for native settings with no "strategy") */
	uint64_t dropped_spans;
	struct clock_anchor anchor; /* maps span times to Unix time */
	bool has_shown;             /* the explorer's x: the trace on screen, */
	uint8_t shown_trace_id[SPAN_TRACE_ID_LEN]; /* which obslab open shows first */
	/* Where the lab ran (labdb.h; never a password: labdb_info holds none).
	 * Written in every format (snapshot_database.c: native "settings.database",
	 * OTLP the lab resource's obslab.db.display, Chrome "otherData.database"
	 * and a process label, SQLite the meta table's database.* rows); read
	 * back from a native file's settings. false: not known (a file from
	 * elsewhere, or one an older obslab wrote: its lab ran on SQLite). */
	bool has_database;
	struct labdb_info database;
};

const char *snapshot_format_name(enum snapshot_format f); /* "native", "otlp", "chrome", "sqlite" */
/* The format a file name suggests (".db"/".sqlite"/".sqlite3", ".otlp.json",
 * ".trace.json"/".chrome.json", ".json"), or false. */
bool snapshot_format_from_path(const char *path, enum snapshot_format *out);
bool snapshot_format_parse(const char *name, enum snapshot_format *out);

/* Where snapshot_write_to writes (atomicfile.h: what it refuses, modes). */
struct snapshot_target {
	const char *path;
	bool create_only; /* never replace a file: one there fails, error EEXIST */
	bool replaced;    /* out: a file that was there was replaced */
	int error;        /* out: the errno of a failure, 0 on success */
};

/* Writes every trace the store holds. */
bool snapshot_write_to(struct snapshot_target *target, enum snapshot_format format, const struct store *store,
                       const struct strtab *names, const struct snapshot_meta *meta,
                       const struct findings_config *findings, struct obslab_error *err);
/* The SQLite form (snapshot_sqlite.c), as snapshot_write_to with SNAPSHOT_SQLITE:
 * the tables docs/formats.md describes, written to a temporary and put in
 * place whole (atomicfile.h). */
bool snapshot_sqlite_write(struct snapshot_target *target, const struct store *store, const struct strtab *names,
                           const struct snapshot_meta *meta, struct obslab_error *err);
/* snapshot_write_to, replacing a file at path. */
bool snapshot_write(const char *path, enum snapshot_format format, const struct store *store,
                    const struct strtab *names, const struct snapshot_meta *meta,
                    const struct findings_config *findings, struct obslab_error *err);

struct http_info;

struct snapshot {
	enum snapshot_format format;
	struct snapshot_meta meta;
	struct strtab *names;
	struct otel_set *otel;       /* the foreign spans' details (otel.h); NULL when there are none */
	struct span_record *records; /* store_ingest order */
	size_t nrecords, ntraces;
	/* What the tolerant assembly marked (otel.h's enum otel_mark), in spans;
	 * placeholders: the "missing parent" and "missing root" records added.
	 * norphans leaves out the spans of a parent cycle (counted in ncycles). */
	size_t norphans, nskewed, nduplicates, ncycles, nplaceholders;
	size_t nmultiroot; /* traces with several roots (shown under a "missing root") */
	size_t nnegative; /* foreign spans that end before they start (OTEL_MARK_NEGATIVE) */
	/* Served requests' HTTP exchanges (a native trace's "http"), each
	 * malloc'd, its trace_id its trace's, its route (if any) in names;
	 * snapshot_free frees those still here (a consumer that hands one to a
	 * store with store_attach_http sets its slot to NULL). */
	struct http_info **http;
	size_t nhttp;
};

/* Reads a file of any size the machine can hold (regular files only, not
 * one that changes while it is read); false with err filled (one line) for
 * anything it refuses, a file too large for the memory there is included. */
bool snapshot_read(const char *path, struct snapshot *out, struct obslab_error *err);
/* The same from memory (the fuzzer's way in). */
bool snapshot_parse(const char *buf, size_t len, struct snapshot *out, struct obslab_error *err);
void snapshot_free(struct snapshot *s);

/* A store holding every trace of s (the caller frees it), each served
 * trace with a copy of its http_info (store_attach_http). */
struct store *snapshot_store(const struct snapshot *s);
/* The same without a copy: the store takes s's records (s->records is NULL
 * and s->nrecords 0 afterwards) and its http infos (each slot NULL); s keeps
 * its names (the infos' routes among them) and otel set, which must outlive
 * the store. */
struct store *snapshot_take_store(struct snapshot *s);

#endif
