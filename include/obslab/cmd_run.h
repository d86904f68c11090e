/*
 * cmd_run — `obslab run`: the lab's request, headless. Opens (and if need
 * be creates and seeds) the database, runs the workload thread for the
 * requested number of requests while this thread drains its spans into a
 * store, then prints the last response body, a JSON report or a summary.
 * Returns the process exit status; messages go to err, results to out.
 *
 * Threads: called on the main thread; see above.
 */
#ifndef OBSLAB_CMD_RUN_H
#define OBSLAB_CMD_RUN_H

#include <stdio.h>

struct cli;

int cmd_run(const struct cli *cli, FILE *out, FILE *err);

#endif
