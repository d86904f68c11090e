/*
 * cmd_common — what the headless commands print alike: milliseconds
 * rounded to the microsecond, a JSON document printed through the
 * terminal-safe writer, and the "wrote FILE" line (real spans counted).
 */
#include "obslab/cmd_common.h"

#include <math.h>
#include <stdlib.h>

#include "obslab/labdb.h"
#include "obslab/store.h"
#include "obslab/textsafe.h"
#include "snapshot_writer.h"

double cmd_ms(int64_t ns)
{
	return round((double)ns / 1e3) / 1e3;
}

void cmd_print_json(FILE *out, cJSON *doc)
{
	char *text = cJSON_Print(doc);
	cJSON_Delete(doc);
	textsafe_json_fputs(out, text); /* names from files and databases */
	fputc('\n', out);
	cJSON_free(text);
}

void cmd_add_database(cJSON *o, const struct labdb_info *db)
{
	cJSON_AddItemToObject(o, "database", snapshot_database_json(db)); /* as exports write it */
}

const char *cmd_network_kind(const struct labdb_info *db)
{
	return db->engine == LABDB_POSTGRESQL ? "measured" : "simulated";
}

void cmd_print_database(FILE *out, const struct labdb_info *db)
{
	textsafe_fprintf(out, "  database: %s\n", db->display);
}

size_t cmd_real_spans(const struct store *store)
{
	size_t ns = 0;
	for (size_t i = 0; i < store_trace_count(store); i++) {
		const struct trace *t = store_trace(store, i);
		for (size_t k = 0; k < t->nspans; k++)
			ns += !(t->spans[k].flags & SPAN_F_PLACEHOLDER);
	}
	return ns;
}

void cmd_print_wrote(FILE *out, const char *prefix, bool replaced, const char *path, enum snapshot_format fmt,
                     const struct store *store)
{
	size_t nt = store_trace_count(store), ns = cmd_real_spans(store);
	textsafe_fprintf(out, "%s%s %s: %s, %zu trace%s, %zu span%s\n", prefix, replaced ? "replaced" : "wrote", path,
	                 snapshot_format_name(fmt), nt, nt == 1 ? "" : "s", ns, ns == 1 ? "" : "s");
}
