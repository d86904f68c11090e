/*
 * httpd — what obslab's two libmicrohttpd servers share: `obslab serve`'s
 * lab endpoints (server.c) and the OTLP receiver (receiver.c). Internal to
 * them.
 *
 * httpd_start runs a daemon on an already bound socket (server_listen) with
 * one set of settings: a pool of threads polling with epoll, the
 * connection, time-out and per-connection memory limits, the guard's
 * deadlines (server_guard.h: slow clients) hooked to every connection, the
 * URI callback (the request line came: its deadline runs), %00 kept as it
 * came in paths. The pool's threads block every signal: the caller's thread
 * handles them. httpd_describe says what the socket is bound to.
 *
 * Ownership: the daemon takes the socket (closed by httpd_stop, quiesced
 * or not) and owns the guard. Errors: false
 * from httpd_start when libmicrohttpd refuses (the caller says so).
 */
#ifndef OBSLAB_HTTPD_H
#define OBSLAB_HTTPD_H

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "obslab/server.h"
#include "server_guard.h"

/* The address and port a socket is bound to: bound "127.0.0.1" or "::1",
 * authority "127.0.0.1:4318" or "[::1]:4318" (a URL's). */
struct httpd_bound {
	char address[INET6_ADDRSTRLEN];
	uint16_t port;
	char authority[SERVER_HOST_MAX + 16];
};
void httpd_describe(int fd, struct httpd_bound *out);

/* Pool threads: asked, or two per core and four at least; at most max. */
unsigned httpd_pool_size(unsigned asked, unsigned max);

/* A connection's entry in the guard (NULL if it has none). */
struct guard_conn *httpd_conn(struct MHD_Connection *c);

struct httpd_config {
	int fd;                  /* bound and listening; taken */
	unsigned threads, timeout_s, max_connections;
	size_t connection_memory; /* request line and headers, per connection */
	MHD_AccessHandlerCallback on_request;
	/* Called with the request line (after the guard was told); what it
	 * returns is the request's first *req_cls. NULL: none. */
	void *(*on_uri)(void *cls, const char *uri, struct MHD_Connection *c);
	MHD_RequestCompletedCallback on_completed; /* after the guard was told; NULL: none */
	void *cls;               /* the callbacks' */
};

/* The caller's (embedded in its server, outliving the daemon). */
struct httpd {
	struct MHD_Daemon *daemon;
	struct server_guard *guard; /* connection deadlines: timeout_s */
	struct httpd_config cfg;
	MHD_socket quiesced_fd;     /* handed back by the quiesce; closed once the pool is joined */
};

/* Starts h->daemon and its guard; false (the socket closed) when either
 * cannot start. */
bool httpd_start(struct httpd *h, const struct httpd_config *cfg);
/* Stops accepting: the socket is shut at once (new connections refused),
 * connections waiting between requests close; requests on open ones run. */
void httpd_quiesce(struct httpd *h);
/* Closes every connection, joins the pool and the guard. */
void httpd_stop(struct httpd *h);

#endif
