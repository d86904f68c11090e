/*
 * httpd — the libmicrohttpd daemon as obslab's servers run it: the bound
 * address described, the pool's size, the guard hooked to every
 * connection, the shared limits (see httpd.h).
 */
#include "httpd.h"

#include <ctype.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void httpd_describe(int fd, struct httpd_bound *out)
{
	struct sockaddr_storage bound = { 0 };
	socklen_t len = sizeof bound;
	bool v6 = false;
	out->address[0] = '\0';
	out->port = 0;
	if (getsockname(fd, (struct sockaddr *)&bound, &len) == 0) {
		if (bound.ss_family == AF_INET6) {
			const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&bound;
			inet_ntop(AF_INET6, &a->sin6_addr, out->address, sizeof out->address);
			out->port = ntohs(a->sin6_port);
			v6 = true;
		} else {
			const struct sockaddr_in *a = (const struct sockaddr_in *)&bound;
			inet_ntop(AF_INET, &a->sin_addr, out->address, sizeof out->address);
			out->port = ntohs(a->sin_port);
		}
	}
	snprintf(out->authority, sizeof out->authority, "%s%s%s:%u", v6 ? "[" : "", out->address, v6 ? "]" : "",
	         (unsigned)out->port);
}

/* Two threads per core, four at least: a pool thread runs a request to its
 * end, and a free one is what answers meanwhile (a new connection goes to a
 * thread that is polling, not to a busy one). */
unsigned httpd_pool_size(unsigned asked, unsigned max)
{
	long cores = asked ? (long)asked : 2 * sysconf(_SC_NPROCESSORS_ONLN);
	if (!asked && cores < 4)
		cores = 4;
	if (cores < 1)
		cores = 1;
	if (cores > (long)max)
		cores = (long)max;
	return (unsigned)cores;
}

struct guard_conn *httpd_conn(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
	const struct httpd *h = cls;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (ci)
			guard_opened(h->guard, ci->connect_fd, socket_context);
	} else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		guard_closed(h->guard, socket_context);
	}
}

/* A request line came: the deadline for the rest of the request runs. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	const struct httpd *h = cls;
	guard_reading(httpd_conn(c));
	return h->cfg.on_uri ? h->cfg.on_uri(h->cfg.cls, uri, c) : NULL;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls, enum MHD_RequestTerminationCode toe)
{
	const struct httpd *h = cls;
	guard_waiting(httpd_conn(c)); /* the next request's deadline runs (keep-alive) */
	if (h->cfg.on_completed)
		h->cfg.on_completed(h->cfg.cls, c, req_cls, toe);
}

/* libmicrohttpd's unescaping of the path and the query, except %00: a NUL
 * would cut the path short ("/health%00.php" served as /health), so it
 * stays as it came, and such a path matches no route. */
static size_t on_unescape(void *cls, struct MHD_Connection *c, char *text)
{
	(void)cls;
	(void)c;
	char *w = text;
	for (const char *r = text; *r;) {
		if (r[0] == '%' && isxdigit((unsigned char)r[1]) && isxdigit((unsigned char)r[2])) {
			char hex[3] = { r[1], r[2], '\0' };
			unsigned long v = strtoul(hex, NULL, 16);
			if (v != 0) {
				*w++ = (char)v;
				r += 3;
				continue;
			}
		}
		*w++ = *r++;
	}
	*w = '\0';
	return (size_t)(w - text);
}

bool httpd_start(struct httpd *h, const struct httpd_config *cfg)
{
	h->cfg = *cfg;
	h->daemon = NULL;
	h->quiesced_fd = MHD_INVALID_SOCKET;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC;
#ifdef __linux__
	flags |= MHD_USE_EPOLL;
#else
	flags |= MHD_USE_POLL;
#endif
	/* The pool's threads and the guard's reaper block every signal: the caller's thread handles them. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	h->guard = guard_create(cfg->timeout_s, cfg->max_connections);
	if (h->guard)
		h->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, cfg->on_request, cfg->cls,
		MHD_OPTION_LISTEN_SOCKET, cfg->fd,
		MHD_OPTION_THREAD_POOL_SIZE, cfg->threads,
		MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout_s,
		MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, cfg->connection_memory,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, h,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
		MHD_OPTION_UNESCAPE_CALLBACK, on_unescape, NULL,
		MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!h->daemon) {
		guard_destroy(h->guard);
		h->guard = NULL;
		close(cfg->fd);
	}
	return h->daemon != NULL;
}

void httpd_quiesce(struct httpd *h)
{
	if (h->quiesced_fd != MHD_INVALID_SOCKET)
		return;
	/* The pool's threads drop the socket from their epoll sets only later:
	 * it is shut now (new connections are refused at once) and closed in
	 * httpd_stop, after MHD_stop_daemon joined them, as libmicrohttpd's
	 * MHD_quiesce_daemon asks. */
	h->quiesced_fd = MHD_quiesce_daemon(h->daemon);
	if (h->quiesced_fd != MHD_INVALID_SOCKET)
		shutdown(h->quiesced_fd, SHUT_RDWR);
	guard_quiesce(h->guard); /* connections waiting between requests close */
}

void httpd_stop(struct httpd *h)
{
	MHD_stop_daemon(h->daemon); /* joins the pool */
	h->daemon = NULL;
	if (h->quiesced_fd != MHD_INVALID_SOCKET)
		close(h->quiesced_fd);
	h->quiesced_fd = MHD_INVALID_SOCKET;
	guard_destroy(h->guard);
	h->guard = NULL;
}
