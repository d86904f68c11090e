/*
 * cmd_measure — `obslab compare` and `obslab sweep`: the original lab's
 * comparison table and its scale claim, measured. Runs the plan in the
 * workload thread, feeds every completed trace to a comparison, and prints
 * the medians as a table or JSON. Returns the process exit status.
 *
 * Threads: called on the main thread, which starts and stops the workload
 * thread (session.h); the comparison is fed on the main thread.
 */
#ifndef OBSLAB_CMD_MEASURE_H
#define OBSLAB_CMD_MEASURE_H

#include <stdio.h>

struct cli;

int cmd_measure(const struct cli *cli, FILE *out, FILE *err);

#endif
