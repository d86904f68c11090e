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

/* Nanoseconds as milliseconds, to the microsecond: 4.213, not 4.2130000001. */
double cmd_ms(int64_t ns);

/* Prints doc (indented) and a newline to out, and frees doc. */
void cmd_print_json(FILE *out, cJSON *doc);

/* "PREFIXwrote PATH: FMT, N traces, N spans" (or "replaced") and a newline:
 * the spans are the store's real ones (placeholders such as "missing root"
 * are not in the file, so not counted). prefix: "" or "obslab: ". */
void cmd_print_wrote(FILE *out, const char *prefix, bool replaced, const char *path, enum snapshot_format fmt,
                     const struct store *store);
/* Spans the store holds, placeholders left out: what a written file holds. */
size_t cmd_real_spans(const struct store *store);

#endif
