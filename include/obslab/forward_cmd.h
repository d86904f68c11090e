/*
 * forward_cmd — the forwarder as the front ends use it (run, compare,
 * sweep, serve, the explorer, receive): started from --forward or the
 * environment, fed by the store's observer (chained in front of the
 * observer the command already had, never replacing it), stopped with a
 * few seconds' flush and, for headless commands, one summary line:
 *   obslab: forwarded N spans to URL; dropped N; retried N
 *
 * The hook is the caller's (usually on its stack) and lives as long as the
 * store it observes. Threads: the store's owner calls everything here.
 */
#ifndef OBSLAB_FORWARD_CMD_H
#define OBSLAB_FORWARD_CMD_H

#include <stdio.h>

#include "obslab/store.h"

struct clock_anchor;
struct forwarder;
struct strtab;

struct forward_hook {
	struct forwarder *f; /* NULL: nothing asks for forwarding */
	const struct strtab *names;
	const struct clock_anchor *anchor;
	store_observer_fn *next; /* the command's own observer, or NULL */
	void *next_ctx;
};

/* CLI_EXIT_OK (h->f NULL when nothing asks), CLI_EXIT_USAGE for a bad
 * configuration or CLI_EXIT_FAILURE when the forwarder cannot start, with
 * one line on err. */
int forward_hook_start(struct forward_hook *h, const char *flag_url, FILE *err);

/* Makes h store's observer in front of next (which is set directly when h
 * does not forward). names and anchor: what the store's spans are read with. */
void forward_hook_observe(struct forward_hook *h, struct store *store, const struct strtab *names,
                          const struct clock_anchor *anchor, store_observer_fn *next, void *next_ctx);

/* Stops the forwarder (FORWARD_STOP_FLUSH_NS to send what is queued), writes
 * the summary line on err unless err is NULL, frees it. No-op without one. */
void forward_hook_stop(struct forward_hook *h, FILE *err);

#endif
