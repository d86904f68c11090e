/*
 * cmd_serve — `obslab serve`: the lab's database driven and seeded here,
 * its endpoints served by server.h's pool, every trace drained into a
 * bounded store (and the log to --log-file) on this thread, and on SIGINT
 * or SIGTERM a graceful stop: no new connections, requests in flight
 * finish (SERVER_STOP_GRACE_MS at most, then cancelled), --record written.
 * At the stop one line on stderr sums it up (a load test reads it):
 * "obslab: served N requests; N traces; dropped N spans; N unmatched".
 */
#include "obslab/cmd_serve.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "obslab/atomicfile.h"
#include "obslab/attrs.h"
#include "obslab/cli.h"
#include "obslab/cmd_common.h"
#include "obslab/clock.h"
#include "obslab/db.h"
#include "obslab/forward_cmd.h"
#include "obslab/labdb.h"
#include "obslab/log.h"
#include "obslab/server.h"
#include "obslab/snapshot.h"
#include "obslab/store.h"
#include "obslab/strtab.h"
#include "obslab/textsafe.h"

/* How often the consumer drains the workers' rings, and waits for a signal. */
#define SERVE_TICK_NS (10 * CLOCK_NS_PER_MS)
/* After the grace period, how long cancelled requests get to answer. */
#define SERVE_CANCEL_WAIT_MS 1000

struct serve {
	const struct cli *cli;
	struct strtab *names;
	struct store *store;
	struct clock_anchor anchor;
	const struct labdb_info *db_info; /* where the lab runs */
	struct log_file *log_file;
	FILE *err;     /* where a failed log write is said, once */
	int listen_fd; /* bound before the database is made; server_start takes it */
};

static void write_log(void *ctx, const struct log_record *rec)
{
	struct serve *v = ctx;
	log_file_write(v->log_file, rec, &v->anchor, v->names, v->err);
}

static void say_waiting(void *ctx)
{
	textsafe_fprintf(stderr, "obslab: %s is locked by another connection; waiting for it\n", (const char *)ctx);
}

/* Opens the database as its driver, with the settings the command line
 * left out taken from it, seeded and indexed as asked; cfg is updated to
 * what the database then holds. NULL with err filled. */
static struct labdb *drive(const char *path, struct workload_config *cfg, struct obslab_error *err)
{
	struct db_wait wait;
	db_wait_init(&wait, db_wait_limit_ns(cfg->lock_wait_ms), NULL);
	wait.on_begin = say_waiting;
	wait.ctx = (void *)(uintptr_t)path;
	struct labdb *db = NULL;
	struct labdb_options opt = { .wait = &wait };
	if (labdb_open(path, &opt, &db, err) != DB_OK)
		return NULL;
	if (labdb_engine(db) == LABDB_POSTGRESQL)
		cfg->rtt_us = 0; /* its round trips are real: none is simulated */
	uint32_t users;
	bool index;
	if (labdb_seeded_users(db) > 0 && labdb_read_state(db, &users, &index)) {
		if (cfg->users_from_db && users > 0)
			cfg->users = users;
		if (cfg->index_from_db)
			cfg->index = index;
		if (cfg->seed_from_db)
			cfg->seed = labdb_seeded_seed(db);
	}
	if (cfg->users >= 10000)
		fprintf(stderr, "obslab: seeding %u users...\n", cfg->users);
	if (labdb_seed(db, cfg->users, cfg->seed, NULL, NULL, err) != DB_OK ||
	    labdb_set_index(db, cfg->index, err) != DB_OK) {
		labdb_close(db);
		return NULL;
	}
	if (labdb_read_state(db, &users, &index)) { /* another's index serves too */
		cfg->users = users;
		cfg->index = index;
	}
	return db;
}

/* Waits up to one tick for SIGINT or SIGTERM; true if one came. */
static bool signalled(const sigset_t *stop)
{
	const struct timespec tick = { 0, SERVE_TICK_NS };
	return sigtimedwait(stop, NULL, &tick) > 0;
}

/* The stop: no new connections; requests in flight get the grace period
 * (a second signal cuts it short), then are cancelled. */
static void stop_gracefully(struct server *server, struct serve *v, const sigset_t *stop)
{
	server_quiesce(server);
	int64_t deadline = clock_now_ns() + SERVER_STOP_GRACE_MS * CLOCK_NS_PER_MS;
	bool again = false;
	while (server_in_flight(server) > 0 && clock_now_ns() < deadline && !again) {
		server_drain(server, v->store, write_log, v);
		again = signalled(stop);
	}
	if (server_in_flight(server) > 0) {
		fprintf(stderr, "obslab: %u request%s still running; cancelling\n", server_in_flight(server),
		        server_in_flight(server) == 1 ? "" : "s");
		server_cancel(server);
		deadline = clock_now_ns() + SERVE_CANCEL_WAIT_MS * CLOCK_NS_PER_MS;
		while (server_in_flight(server) > 0 && clock_now_ns() < deadline) {
			server_drain(server, v->store, write_log, v);
			const struct timespec nap = { 0, 2 * CLOCK_NS_PER_MS };
			nanosleep(&nap, NULL);
		}
	}
	server_drain(server, v->store, write_log, v);
}

static int write_record(const struct serve *v, const struct workload_config *cfg, uint64_t dropped, FILE *err)
{
	const struct cli *cli = v->cli;
	struct snapshot_meta meta = {
		.settings = *cfg,
		.has_settings = true,
		.served = true,
		.dropped_spans = dropped,
		.anchor = v->anchor,
		.has_database = v->db_info != NULL,
	};
	if (v->db_info)
		meta.database = *v->db_info;
	struct snapshot_target target = { .path = cli->record_path };
	struct obslab_error why;
	if (!snapshot_write_to(&target, cli->format, v->store, v->names, &meta, &cli->findings, &why)) {
		textsafe_fprintf(err, "obslab: %s\n", why.msg);
		return CLI_EXIT_FAILURE;
	}
	cmd_print_wrote(err, "obslab: ", target.replaced, cli->record_path, cli->format, v->store);
	return CLI_EXIT_OK;
}

/* Descriptors a served connection count needs beyond the connections: the
 * database, its readers, the pool's own. */
#define SERVE_SPARE_FDS 64

/* One line when ulimit -n is below what the connection limit needs: past
 * it, connections are refused (accept fails with EMFILE), not served. */
static void warn_few_descriptors(FILE *err)
{
	struct rlimit lim;
	rlim_t need = SERVER_DEFAULT_CONNECTIONS + SERVE_SPARE_FDS;
	if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < need)
		fprintf(err, "obslab: only %llu file descriptors (ulimit -n): past about %llu connections at once, "
		             "new ones are refused; raise it (ulimit -n %llu) for more\n",
		        (unsigned long long)lim.rlim_cur,
		        (unsigned long long)(lim.rlim_cur > SERVE_SPARE_FDS ? lim.rlim_cur - SERVE_SPARE_FDS : 0),
		        (unsigned long long)need);
}

static int serve(struct serve *v, struct workload_config *cfg, FILE *err)
{
	const struct cli *cli = v->cli;
	struct server_config sc = {
		.host = cli->listen_host,
		.port = cli->listen_port,
		.db_path = cli->db_path,
		.users = cfg->users,
		.index = cfg->index,
		.rtt_us = cfg->rtt_us,
		.trace = cfg->trace,
		.timeout_s = cli->timeout_s,
		.listen_fd = v->listen_fd,
	};
	/* Blocked here before the pool starts, so only sigtimedwait takes them. */
	sigset_t stop, old;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, &old);
	struct obslab_error why;
	struct server *server = server_start(&sc, v->names, &why);
	v->listen_fd = -1; /* taken */
	if (!server) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		textsafe_fprintf(err, "obslab: %s\n", why.msg);
		return CLI_EXIT_FAILURE;
	}
	char authority[SERVER_HOST_MAX + 16];
	server_authority(server, authority, sizeof authority);
	textsafe_fprintf(err, "obslab: serving http://%s/ (lab database %s, %u user%s); Ctrl-C stops\n", authority,
	                 v->db_info->engine == LABDB_SQLITE ? cli->db_path : v->db_info->display, cfg->users,
	                 cfg->users == 1 ? "" : "s");
	warn_few_descriptors(err);
	char warning[SERVER_HOST_MAX + 96];
	if (server_all_interfaces(authority, warning, sizeof warning))
		textsafe_fprintf(err, "obslab: %s\n", warning);
	fflush(err);
	while (!signalled(&stop))
		server_drain(server, v->store, write_log, v);
	stop_gracefully(server, v, &stop);
	uint64_t served = server_requests(server), dropped = server_dropped(server, SERVER_ALL_WORKERS);
	unsigned workers = server_workers(server);
	for (unsigned i = 0; dropped > 0 && i < workers; i++)
		fprintf(err, "obslab: worker %u dropped %llu spans (its ring was full)\n", i + 1,
		        (unsigned long long)server_dropped(server, i));
	/* The summary a load test reads: spans lost (a full ring, and the spans
	 * of a trace whose root was lost), and HTTP infos never joined to a
	 * trace (freed waiting, still waiting, or lost before the store). */
	uint64_t lost = dropped + store_spans_orphaned(v->store);
	uint64_t unmatched = store_http_unmatched(v->store) + store_http_pending(v->store) + server_http_lost(server);
	server_stop(server);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	fprintf(err, "obslab: served %llu request%s; %llu traces; dropped %llu spans; %llu unmatched\n",
	        (unsigned long long)served, served == 1 ? "" : "s", (unsigned long long)store_traces_completed(v->store),
	        (unsigned long long)lost, (unsigned long long)unmatched);
	return cli->record_path ? write_record(v, cfg, dropped, err) : CLI_EXIT_OK;
}

/* What serving would write over: the record or the log onto the served
 * database, or the log onto the record. Said and refused (status 2) before
 * anything is opened; 0 when none. */
static int refuse_overwrites(const struct cli *cli, FILE *err)
{
	const char *what = NULL, *path = NULL, *over = NULL;
	if (cli->record_path && labdb_arg_names_file(cli->db_path, cli->record_path))
		what = "--record", path = cli->record_path, over = "the lab's database";
	else if (cli->log_file && labdb_arg_names_file(cli->db_path, cli->log_file))
		what = "--log-file", path = cli->log_file, over = "the lab's database";
	else if (cli->log_file && cli->record_path && atomicfile_same(cli->log_file, cli->record_path))
		what = "--log-file", path = cli->log_file, over = "--record";
	if (!what)
		return 0;
	textsafe_fprintf(err, "obslab: %s %s is %s %s: serve never writes one over the other\n", what, path, over,
	                 over[0] == '-' ? cli->record_path : cli->db_path);
	return CLI_EXIT_USAGE;
}

int cmd_serve(const struct cli *given, FILE *out, FILE *err)
{
	(void)out;
	struct cli effective = *given; /* the settings it really serves under, once the database is open */
	struct serve v = { .cli = &effective, .err = err, .listen_fd = -1 };
	struct obslab_error why;
	int refused = refuse_overwrites(&effective, err);
	if (refused)
		return refused;
	if (effective.record_path && !atomicfile_check(effective.record_path, 0, &why)) { /* refused before serving */
		textsafe_fprintf(err, "obslab: %s\n", why.msg);
		return CLI_EXIT_FAILURE;
	}
	struct forward_hook fwd; /* a bad forwarding set-up is refused before anything is bound */
	int fwd_status = forward_hook_start(&fwd, effective.forward_url, err);
	if (fwd_status != CLI_EXIT_OK)
		return fwd_status;
	/* Bound first: a port in use or a host that does not resolve leaves no
	 * database behind. */
	v.listen_fd = server_listen(effective.listen_host, effective.listen_port, &why);
	if (v.listen_fd < 0) {
		textsafe_fprintf(err, "obslab: %s\n", why.msg);
		forward_hook_stop(&fwd, NULL);
		return CLI_EXIT_FAILURE;
	}
	if (effective.log_file) {
		v.log_file = log_file_open(effective.log_file, &why);
		if (!v.log_file) {
			textsafe_fprintf(err, "obslab: %s\n", why.msg);
			close(v.listen_fd);
			forward_hook_stop(&fwd, NULL);
			return CLI_EXIT_FAILURE;
		}
	}
	int status = CLI_EXIT_FAILURE;
	struct labdb *db = drive(effective.db_path, &effective.run, &why);
	if (!db) {
		textsafe_fprintf(err, "obslab: %s\n", why.msg);
	} else {
		v.anchor = clock_anchor();
		v.db_info = labdb_info(db);
		attrs_set_lab_database(v.db_info); /* before the lab's first span */
		v.names = strtab_create();
		struct store_limits limits = { STORE_DEFAULT_MAX_TRACES, STORE_DEFAULT_MAX_SPANS, STORE_DEFAULT_MAX_BYTES };
		if (!effective.record_path)
			limits.max_traces = 1; /* nothing to keep: only what the consumer needs */
		v.store = store_create(limits);
		forward_hook_observe(&fwd, v.store, v.names, &v.anchor, NULL, NULL);
		status = serve(&v, &effective.run, err);
		forward_hook_stop(&fwd, err); /* every served trace is in the store by now */
		store_destroy(v.store);
		strtab_destroy(v.names);
		labdb_close(db); /* after the readers (server_stop): the lab back in rollback mode; the lock goes with it */
	}
	if (v.listen_fd >= 0)
		close(v.listen_fd); /* never handed to a server */
	forward_hook_stop(&fwd, NULL); /* when the database failed: nothing was forwarded */
	if (!log_file_close(v.log_file, err)) /* a failed write was said when it failed */
		status = CLI_EXIT_FAILURE;
	return status;
}
