/*
 * cmd_common — what the headless commands (run, compare, sweep, export,
 * report) print alike: milliseconds rounded to the microsecond, JSON
 * documents, and the line after a file is written. No state.
 */
#ifndef OBSLAB_CMD_COMMON_H
#define OBSLAB_CMD_COMMON_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "obslab/snapshot.h"

struct store;
struct labdb_info;

/* Nanoseconds as milliseconds, to the microsecond: 4.213, not 4.2130000001. */
double cmd_ms(int64_t ns);

/* Prints doc (indented) and a newline to out, and frees doc. */
void cmd_print_json(FILE *out, cJSON *doc);

/* "PREFIXwrote PATH: FMT, N traces, N spans" (or "replaced") and a newline:
 * the spans are the store's real ones (placeholders such as "missing root"
 * are not in the file, so not counted). prefix: "" or "obslab: ". */
void cmd_print_wrote(FILE *out, const char *prefix, bool replaced, const char *path, enum snapshot_format fmt,
                     const struct store *store);
/* Where the lab ran, as every report says it: {"system", "namespace",
 * "server_address", "server_port", "version", "display"} (the server's
 * two only for PostgreSQL), added to o as "database". */
void cmd_add_database(cJSON *o, const struct labdb_info *db);
/* The network's label: "simulated" on SQLite, "measured" on PostgreSQL. */
const char *cmd_network_kind(const struct labdb_info *db);
/* What the reports' failed_requests count (workload_failed_requests). */
#define CMD_FAILED_REQUESTS_ARE                                                                                    \
	"requests that failed because the connection to the database was lost (or the server did not answer within "  \
	"the statement time-out); each is a trace marked with its error; the command reconnected and went on, so they " \
	"are not among the requests measured"
/* "  database: DISPLAY" and a newline (terminal-safe). */
void cmd_print_database(FILE *out, const struct labdb_info *db);

/* Spans the store holds, placeholders left out: what a written file holds. */
size_t cmd_real_spans(const struct store *store);

#endif
