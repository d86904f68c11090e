/*
 * cmd_common — what the headless commands (run, compare, sweep, export,
 * report) print alike: milliseconds rounded to the microsecond, and JSON
 * documents. No state.
 */
#ifndef OBSLAB_CMD_COMMON_H
#define OBSLAB_CMD_COMMON_H

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>

/* Nanoseconds as milliseconds, to the microsecond: 4.213, not 4.2130000001. */
double cmd_ms(int64_t ns);

/* Prints doc (indented) and a newline to out, and frees doc. */
void cmd_print_json(FILE *out, cJSON *doc);

#endif
