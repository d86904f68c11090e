/*
 * source — where the explorer's traces come from, behind one interface:
 * the live lab (source_lab.c), a snapshot file (source_file.c), the lab
 * with its endpoints served over HTTP (source_serve.c, --serve), and an
 * OTLP receiver, alone or beside the lab (source_otlp.c, --otlp [--lab]):
 * each is one file with an ops table and one row in source.c's table.
 *
 * A source fills a store with traces, interning names in its string table,
 * and says which controls it offers (enum control bits from keys.h): the
 * footer and the help show only the keys it honours, and the model calls
 * its control ops only when it offers them. The source owns its store and
 * names until stop; the model reads them, the source is drained once per
 * tick on the UI thread. Errors at start are printed on stderr (one line)
 * and returned as the exit status.
 *
 * A source that runs the lab inside it (--serve, --otlp --lab) owns that
 * inner lab source in its state and points src->inner at it from the
 * inner start to its stop; the source_inner_* functions (source_lab.c)
 * pass the lab's controls and reports on through that pointer, so the
 * wrapper's ops table can name them directly.
 */
#ifndef OBSLAB_UI_SOURCE_H
#define OBSLAB_UI_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "obslab/clock.h"
#include "obslab/log.h"
#include "obslab/labdb.h"
#include "obslab/logbook.h"
#include "obslab/workload.h"

struct cli;
struct model;
struct source;

/* What a source says as it runs: the lab's log records, and its own notes. */
struct source_sink {
	void (*log)(void *ctx, const struct log_record *rec);
	void (*note)(void *ctx, enum log_level level, const char *text);
	void *ctx;
};

/* What start learned: the settings the traces were made under, the trace to
 * show first (0: follow the newest), and a line for the log. */
struct source_start {
	struct workload_config settings;
	enum labdb_engine engine; /* the lab's database's (LABDB_SQLITE unless a source says otherwise) */
	bool has_database;        /* the lab's: where it runs, as exports name it */
	struct labdb_info database;
	uint64_t show_seq;
	char note[LOGBOOK_TEXT];
};

/* The lab's settings a control op changes. */
enum source_setting { SETTING_STRATEGY, SETTING_USERS, SETTING_RTT, SETTING_INDEX, SETTING_PACE };

struct source_ops {
	const char *name;
	unsigned controls;   /* enum control bits offered */
	bool reads_only;     /* touches nothing on disk: may start before the terminal check */
	/* Pausing holds only the lab's workload: traces still arrive (the
	 * server's, --serve), so the view keeps following and the shell
	 * does not idle. */
	bool arrives_paused;
	/* Sets up src->store, names and anchor. settings holds the command
	 * line's on entry; out->settings starts as a copy of it. */
	int (*start)(struct source *src, const struct cli *cli, const struct workload_config *settings,
	             struct source_start *out);
	void (*drain)(struct source *src, const struct source_sink *sink); /* once per tick */
	void (*stop)(struct source *src); /* safe after a failed start */
	/* The status bar's line while no message is shown. */
	void (*status)(const struct source *src, const struct model *m, char *buf, size_t cap);
	/* The message for a key the source does not honour. */
	void (*refusal)(const struct source *src, char *buf, size_t cap);
	/* The empty waterfall's text before the first trace (one newline at
	 * most: where it breaks when too wide), or NULL: "waiting for the
	 * first request..." */
	void (*empty)(const struct source *src, char *buf, size_t cap);
	uint64_t (*dropped)(const struct source *src); /* spans lost before the store, or NULL */
	/* CONTROL_SETTINGS and CONTROL_PAUSE */
	void (*configure)(struct source *src, enum source_setting what, const struct workload_config *cfg);
	void (*pause)(struct source *src, bool paused);
	/* CONTROL_MEASURE: a plan of measured requests; progress returns
	 * whether it still runs, read before the drain that takes its traces. */
	void (*start_plan)(struct source *src, const struct plan *plan);
	void (*cancel_plan)(struct source *src);
	bool (*plan_progress)(const struct source *src, uint32_t *done, uint32_t *total);
	/* True, with the users and index the lab's database has now, when
	 * another process changed it since the last call; NULL for a source
	 * without a database. */
	bool (*database)(struct source *src, uint32_t *users, bool *index);
	/* The request in flight, if one runs (when it began, statements so
	 * far); NULL for a source that runs none. */
	bool (*in_flight)(const struct source *src, int64_t *started_ns, uint32_t *queries);
	/* Why the source has stopped for good (the lab's workload failed), or
	 * NULL while it runs; NULL op for a source that cannot fail so. */
	const char *(*failure)(const struct source *src);
};

struct source {
	const struct source_ops *ops;
	struct store *store;
	struct strtab *names;
	struct clock_anchor anchor;
	void *state; /* the source's own, freed by stop */
	struct forwarder *forward; /* --forward: each completed trace goes on (forward.h); NULL: none. The shell's */
	struct source *inner; /* the lab source this one runs inside its state, or NULL: none. The source's own */
};

/* The source the command line asks for (source.c's table). */
const struct source_ops *source_for(const struct cli *cli);

/* Whether src offers every control in needs. */
bool source_offers(const struct source *src, unsigned needs);

/* The lab's ops on src->inner, for a source that runs the lab inside it
 * (source_lab.c). The controls need src->inner; the rest answer as a
 * source without the lab would (false, 0, NULL) while it is NULL. */
void source_inner_configure(struct source *src, enum source_setting what, const struct workload_config *cfg);
void source_inner_pause(struct source *src, bool paused);
void source_inner_start_plan(struct source *src, const struct plan *plan);
void source_inner_cancel_plan(struct source *src);
bool source_inner_plan_progress(const struct source *src, uint32_t *done, uint32_t *total);
bool source_inner_database(struct source *src, uint32_t *users, bool *index);
bool source_inner_in_flight(const struct source *src, int64_t *started_ns, uint32_t *queries);
const char *source_inner_failure(const struct source *src);
uint64_t source_inner_dropped(const struct source *src); /* the lab's drops; 0 without it */
/* The lab's status line lab with a wrapper's segment seg after the
 * program's name (at the end if the line has no separator). */
void source_inner_splice(const char *lab, const char *seg, char *buf, size_t cap);

#endif
