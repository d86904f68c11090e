/*
 * server_guard — deadlines for the server's connections, which
 * libmicrohttpd 0.9.75 does not have: its time-out only closes a connection
 * that sends nothing, so a client trickling a header line every few seconds
 * (slowloris) or reading its answer at a few bytes a second would hold its
 * connection for ever, and a thousand of them every connection the server
 * has. Internal to server.c.
 *
 * Every connection is registered when it opens (libmicrohttpd's connection
 * notification) and told where its request is: waiting for one (opened, or
 * its last answer sent), reading one (the request line in), handled (the
 * request read: no deadline, the lab's own work is bounded by the stop), or
 * answering (the response queued). A connection waiting, reading or
 * answering for longer than the deadline is shut down (shutdown(2): the
 * library then closes it as a peer that left). Near the connection limit (9
 * in 10 in use), each new connection shuts the one that has waited longest
 * for a complete request, so a client that sends one is served while slow
 * ones are held. Once quiesced, keep-alive connections waiting between
 * requests are shut at once (no new request starts on them).
 *
 * Threads: the reaper is a thread of the guard's (made in guard_create,
 * joined in guard_destroy; it inherits the caller's signal mask). The
 * register is under one mutex, taken when a connection opens or closes and
 * by the reaper's scan; a request's own steps are atomic stores, no lock.
 * A registered fd is shut only under the mutex and unregistered under it
 * before libmicrohttpd closes it, so a reused fd is never shut.
 */
#ifndef OBSLAB_SERVER_GUARD_H
#define OBSLAB_SERVER_GUARD_H

#include <stdbool.h>
#include <stdint.h>

struct server_guard;
struct guard_conn;

/* deadline_s: seconds a connection may wait, read or answer; max_connections:
 * libmicrohttpd's limit. NULL if the reaper thread cannot start. */
struct server_guard *guard_create(unsigned deadline_s, unsigned max_connections);
/* Joins the reaper; the register must be empty (the daemon stopped). NULL: no-op. */
void guard_destroy(struct server_guard *g);

/* A connection opened (fd) / closed; *socket_context holds its entry. */
void guard_opened(struct server_guard *g, int fd, void **socket_context);
void guard_closed(struct server_guard *g, void **socket_context);

/* A connection's steps (c may be NULL: then nothing). */
void guard_waiting(struct guard_conn *c);  /* its answer sent: the next request's deadline runs */
void guard_reading(struct guard_conn *c);  /* a request line came: the deadline for the rest runs */
void guard_handling(struct guard_conn *c); /* the request is in: no deadline */
void guard_answering(struct guard_conn *c); /* the response queued: the deadline for sending runs */

/* From now on, connections waiting between requests are closed. */
void guard_quiesce(struct server_guard *g);

/* Connections shut for a deadline, or for a newer one near the limit. */
uint64_t guard_reaped(const struct server_guard *g);

#endif
