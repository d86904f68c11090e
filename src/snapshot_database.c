/*
 * snapshot_database — where the lab ran (struct labdb_info, labdb.h) in
 * every snapshot format, and read back from obslab's native format:
 *   native  settings.database {system, namespace, server_address,
 *           server_port, version, display} (the keys run/compare/sweep's
 *           reports use), and "system": "postgresql" in a PostgreSQL
 *           database span's "db" object (absent: SQLite, as an older
 *           obslab wrote every span);
 *   OTLP    the lab resource's obslab.db.display (the spans keep
 *           db.system.name, db.namespace, server.* as the conventions put
 *           them on spans, attrs.c);
 *   chrome  otherData.database (the same object as native's) and a
 *           "process_labels" metadata event on the lab's process;
 *   sqlite  meta rows database.system, database.namespace,
 *           database.server_address, database.server_port,
 *           database.version, database.display.
 * A labdb_info holds no password (labdb.h), so neither does any of these.
 */
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "obslab/atomicfile.h"
#include "obslab/attrs.h"
#include "obslab/labdb.h"
#include "obslab/otel_json.h"
#include "obslab/snapshot.h"
#include "obslab/span.h"
#include "snapshot_reader.h"
#include "snapshot_writer.h"

/* ---- written ---------------------------------------------------------------- */

cJSON *snapshot_database_json(const struct labdb_info *db)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "system", db->system ? db->system : "sqlite");
	cJSON_AddStringToObject(d, "namespace", db->name_space);
	if (db->engine == LABDB_POSTGRESQL) {
		cJSON_AddStringToObject(d, "server_address", db->server_address);
		cJSON_AddNumberToObject(d, "server_port", db->server_port);
	}
	cJSON_AddStringToObject(d, "version", db->server_version);
	cJSON_AddStringToObject(d, "display", db->display);
	return d;
}

void snapshot_database_put(struct writer *w, const struct labdb_info *db)
{
	cJSON *o = snapshot_database_json(db);
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	(void)atomicfile_write(&w->af, text, strlen(text));
	cJSON_free(text);
}

void snapshot_database_otlp_resource(struct writer *w)
{
	if (!w->meta->has_database)
		return;
	static const char key[] = ",{\"key\":\"" ATTR_KEY_DB_DISPLAY "\",\"value\":{\"stringValue\":";
	(void)atomicfile_write(&w->af, key, sizeof key - 1);
	otel_json_string(&w->jo, w->meta->database.display, strlen(w->meta->database.display));
	(void)atomicfile_write(&w->af, "}}", 2);
}

bool snapshot_database_sqlite_meta(sqlite3 *db, const struct snapshot_meta *meta)
{
	if (!meta->has_database)
		return true;
	const struct labdb_info *d = &meta->database;
	char port[16];
	snprintf(port, sizeof port, "%d", d->server_port);
	const bool pg = d->engine == LABDB_POSTGRESQL;
	const char *const rows[][2] = {
		{ "database.system", d->system ? d->system : "sqlite" },
		{ "database.namespace", d->name_space },
		{ "database.server_address", pg ? d->server_address : NULL },
		{ "database.server_port", pg ? port : NULL },
		{ "database.version", d->server_version },
		{ "database.display", d->display },
	};
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "INSERT INTO meta VALUES(?,?)", -1, &st, NULL) != SQLITE_OK)
		return false;
	bool ok = true;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0] && ok; i++) {
		if (!rows[i][1])
			continue;
		sqlite3_bind_text(st, 1, rows[i][0], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, rows[i][1], -1, SQLITE_STATIC);
		ok = sqlite3_step(st) == SQLITE_DONE;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return ok;
}

/* ---- read back (native) -------------------------------------------------------- */

/* "sqlite" or "postgresql" (what obslab writes), or false. */
static bool system_of(const char *name, enum labdb_engine *engine, const char **system)
{
	if (strcmp(name, "postgresql") == 0) {
		*engine = LABDB_POSTGRESQL;
		*system = "postgresql";
		return true;
	}
	if (strcmp(name, "sqlite") == 0) {
		*engine = LABDB_SQLITE;
		*system = "sqlite";
		return true;
	}
	return false;
}

static bool take_system(struct reader *r, struct jp *jp, const char *where, const char *field,
                        enum labdb_engine *engine, const char **system)
{
	jp_peek(jp);
	const char *at = jp->p;
	char name[16];
	if (reader_take_string(jp, name, sizeof name) && system_of(name, engine, system))
		return true;
	return reader_wrong_value(r, jp, at, where, field, "\"sqlite\" or \"postgresql\"");
}

bool reader_span_db_system(struct reader *r, struct jp *jp, const char *where, uint8_t *out)
{
	enum labdb_engine engine;
	const char *system;
	if (!take_system(r, jp, where, "db.system", &engine, &system))
		return false;
	*out = engine == LABDB_POSTGRESQL ? SPAN_DB_POSTGRESQL : SPAN_DB_SQLITE;
	return true;
}

static bool take_text(struct reader *r, struct jp *jp, const char *field, char *buf, size_t cap)
{
	jp_peek(jp);
	const char *at = jp->p;
	if (reader_take_string(jp, buf, cap))
		return true;
	return reader_wrong_value(r, jp, at, NULL, field, "a string");
}

bool reader_native_database(struct reader *r, struct jp *jp, struct snapshot_meta *meta)
{
	if (jp_peek(jp) != JP_OBJECT) {
		const char *at = jp->p;
		jp_skip(jp);
		return reader_wrong_value(r, jp, at, NULL, "settings.database", "an object");
	}
	struct labdb_info *d = &meta->database;
	memset(d, 0, sizeof *d);
	d->engine = LABDB_SQLITE;
	d->system = "sqlite";
	bool has_system = false;
	const char *key;
	size_t len;
	jp_object(jp);
	while (jp_key(jp, &key, &len)) {
		bool ok = true;
		if (jp_key_is(key, len, "system")) {
			ok = take_system(r, jp, NULL, "settings.database.system", &d->engine, &d->system);
			has_system = true;
		} else if (jp_key_is(key, len, "namespace")) {
			ok = take_text(r, jp, "settings.database.namespace", d->name_space, sizeof d->name_space);
		} else if (jp_key_is(key, len, "server_address")) {
			ok = take_text(r, jp, "settings.database.server_address", d->server_address, sizeof d->server_address);
		} else if (jp_key_is(key, len, "server_port")) {
			int64_t v = 0;
			ok = reader_whole(r, jp, 65535, &v, NULL, "settings.database.server_port", "a TCP port");
			d->server_port = (int)v;
		} else if (jp_key_is(key, len, "version")) {
			ok = take_text(r, jp, "settings.database.version", d->server_version, sizeof d->server_version);
		} else if (jp_key_is(key, len, "display")) {
			ok = take_text(r, jp, "settings.database.display", d->display, sizeof d->display);
		} else {
			jp_skip(jp);
		}
		if (!ok)
			return false;
	}
	if (jp->failed)
		return false;
	if (!has_system)
		return reader_fail(r, "settings.database needs \"system\" (\"sqlite\" or \"postgresql\")");
	meta->has_database = true;
	return true;
}
