/*
 * cmd_serve — `obslab serve`: opens (creates, seeds) the lab's database as
 * its one driver, serves the lab's endpoints over HTTP (server.h) until
 * SIGINT or SIGTERM, drains every request's trace into a bounded store and
 * the log to --log-file, and on stop writes --record. Returns the process
 * exit status; messages go to err (the address served on, first).
 *
 * Threads: called on the main thread, which handles the signals (blocked
 * there and in the server's pool, taken with sigtimedwait) and is the
 * server's consumer.
 */
#ifndef OBSLAB_CMD_SERVE_H
#define OBSLAB_CMD_SERVE_H

#include <stdio.h>

struct cli;

int cmd_serve(const struct cli *cli, FILE *out, FILE *err);

#endif
