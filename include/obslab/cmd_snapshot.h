/*
 * cmd_snapshot — `obslab export` (run the lab, write its traces in one of
 * the three formats, atomically) and `obslab report` (read a snapshot or
 * OTLP/JSON file and summarize it: attribution, queries, findings).
 * Each returns the process exit status.
 *
 * Threads: called on the main thread, which owns the store; export starts
 * and stops the workload thread itself (session.h).
 */
#ifndef OBSLAB_CMD_SNAPSHOT_H
#define OBSLAB_CMD_SNAPSHOT_H

#include <stdio.h>

struct cli;

int cmd_export(const struct cli *cli, FILE *out, FILE *err);
int cmd_report(const struct cli *cli, FILE *out, FILE *err);

#endif
