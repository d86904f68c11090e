/*
 * cmd_convert — `obslab convert IN -o OUT --format F`: read a snapshot or
 * OTLP/JSON file (snapshot_read) and write its traces in another format,
 * atomically, headless. Refuses OUT when it is IN (the same file) and
 * checks OUT before reading. Returns the process exit status (cli.h):
 * 1 when reading or writing fails, with one line on err.
 */
#ifndef OBSLAB_CMD_CONVERT_H
#define OBSLAB_CMD_CONVERT_H

#include <stdio.h>

struct cli;

int cmd_convert(const struct cli *cli, FILE *out, FILE *err);

#endif
