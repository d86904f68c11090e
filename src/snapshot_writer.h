/*
 * snapshot_writer — private to the JSON writers: the state snapshot_write.c
 * keeps while it streams one file, and the writers in other files that it
 * calls with it.
 *
 * snapshot_write.c owns the struct writer (opens the atomicfile, frees the
 * findings and memo, commits); a writer called with it only appends to
 * w->af (through w->jo or atomicfile_write) and may use w->memo. Write
 * errors stay in w->af.error (a writer stops early when it is set); the
 * commit reports them.
 */
#ifndef OBSLAB_SNAPSHOT_WRITER_H
#define OBSLAB_SNAPSHOT_WRITER_H
#include "obslab/analysis.h"
#include "obslab/atomicfile.h"
#include "obslab/attrs.h"
#include "obslab/findings.h"
#include "obslab/otel_json.h"
#include "obslab/snapshot.h"
#include "obslab/snapshot_foreign.h"
#include "obslab/store.h"
#include "obslab/strtab.h"

struct writer {
	struct atomicfile af;
	const struct strtab *names;
	const struct snapshot_meta *meta;
	const struct findings_config *fcfg;
	struct findings findings;
	struct query_names memo; /* a query's operation, table and display name, once */
	struct otel_json_out jo; /* into af */
	struct otel_bases bases; /* native: where each set's resources and scopes start */
};

/* The Chrome trace event file (snapshot_chrome.c, docs/formats.md). */
void snapshot_chrome_write(struct writer *w, const struct store *store);

/* Where the lab ran, in each format (snapshot_database.c): the JSON object
 * native's settings and Chrome's otherData hold (the caller frees it);
 * the same written to w->af; the OTLP lab resource's obslab.db.display
 * attribute (a leading comma; nothing when meta has no database); the
 * SQLite meta table's database.* rows (false: SQLite failed). */
struct cJSON;
struct cJSON *snapshot_database_json(const struct labdb_info *db);
void snapshot_database_put(struct writer *w, const struct labdb_info *db);
void snapshot_database_otlp_resource(struct writer *w);
bool snapshot_database_sqlite_meta(sqlite3 *db, const struct snapshot_meta *meta);

#endif
