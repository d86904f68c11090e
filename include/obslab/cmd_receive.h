/*
 * cmd_receive — `obslab receive`: an OTLP/HTTP receiver (receiver.h) on
 * --listen (127.0.0.1:4318), headless, until SIGINT or SIGTERM; every
 * batch received goes through the intake into a bounded store (traces
 * complete after --quiet-ms without spans), and on stop --record is written
 * and one summary line printed. Returns the process exit status; messages
 * go to err (the address received on, first).
 *
 * Threads: called on the main thread, which handles the signals (blocked
 * there and in the receiver's pool, taken with sigtimedwait) and is the
 * receiver's consumer and the store's owner.
 */
#ifndef OBSLAB_CMD_RECEIVE_H
#define OBSLAB_CMD_RECEIVE_H

#include <stdio.h>

struct cli;

int cmd_receive(const struct cli *cli, FILE *out, FILE *err);

#endif
