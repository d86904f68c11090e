/*
 * cli — the command line: which command, and its options, validated.
 *
 * cli_parse never exits or prints: it fills a struct cli or an error line
 * that says what is wrong and what to do, and returns a status. Exit
 * statuses are part of the interface: CLI_EXIT_USAGE (2) for a command line
 * that cannot be used, CLI_EXIT_FAILURE (1) when the work itself fails.
 * Strings in struct cli point into argv.
 *
 * Threads: no state, any thread (the main thread parses, before any other
 * thread exists).
 */
#ifndef OBSLAB_CLI_H
#define OBSLAB_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "obslab/error.h"
#include "obslab/findings.h"
#include "obslab/server.h"
#include "obslab/snapshot.h"
#include "obslab/workload.h"

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAILURE 1
#define CLI_EXIT_USAGE 2

#define CLI_MAX_USERS ((uint32_t)WORKLOAD_MAX_USERS)
#define CLI_MAX_REQUESTS 100000u
#define CLI_COMPARE_REQUESTS PLAN_COMPARE_REQUESTS
#define CLI_SWEEP_REQUESTS PLAN_SWEEP_REQUESTS

enum cli_command {
	CLI_CMD_UI,      /* no command: the trace explorer */
	CLI_CMD_HELP,
	CLI_CMD_VERSION,
	CLI_CMD_KEYS,    /* --keys: the key bindings as Markdown */
	CLI_CMD_RUN,
	CLI_CMD_COMPARE,
	CLI_CMD_SWEEP,
	CLI_CMD_EXPORT,
	CLI_CMD_REPORT,
	CLI_CMD_OPEN,    /* the explorer, on a snapshot file */
	CLI_CMD_CONVERT, /* a file to another format, headless */
	CLI_CMD_SERVE,   /* the lab's endpoints over HTTP, headless */
	CLI_CMD_RECEIVE, /* an OTLP/HTTP receiver, headless */
};

#define CLI_DEFAULT_UI_PACE_HZ 5
#define CLI_MAX_FRAMES 1000000L

enum cli_output {
	CLI_OUTPUT_SUMMARY,     /* a short human-readable summary */
	CLI_OUTPUT_BODY,        /* --json: the last response body */
	CLI_OUTPUT_REPORT_JSON, /* --report json */
};

struct cli {
	enum cli_command command;
	const char *help_topic;   /* with CLI_CMD_HELP: the command asked about, or NULL */
	struct workload_config run; /* max_requests holds --requests */
	const char *db_path;      /* --db: a SQLite path, or a PostgreSQL connection string or URI (labdb.h) */
	bool rtt_given;           /* --rtt-us was on the command line (refused on PostgreSQL) */
	const char *log_file;     /* NULL: no log file */
	enum cli_output output;
	long frames;              /* UI: stop after this many frames; 0 = run until quit */
	struct plan plan;         /* compare: the users; sweep: --users-list */
	const char *file;         /* report, open, convert: the snapshot to read */
	const char *output_path;  /* export, convert: -o FILE */
	enum snapshot_format format; /* export, convert: --format */
	bool format_given;        /* --format was on the command line */
	const char *export_dir;   /* the explorer's x: where snapshots go (".") */
	struct findings_config findings;
	/* serve */
	char listen_host[SERVER_HOST_MAX]; /* --listen's host (SERVER_DEFAULT_HOST) */
	uint16_t listen_port;     /* --listen's port; 0: any free port */
	const char *record_path;  /* --record FILE: what was served, written on stop; NULL: none */
	unsigned timeout_s;       /* --timeout-s: an idle or slow connection's time-out */
	bool serve;               /* the explorer's --serve ADDR: the server beside the lab (listen_*) */
	/* forwarding (issue 16) */
	const char *forward_url;  /* --forward URL: every span on to an OTLP/HTTP endpoint; NULL: the environment's */
	/* issue 16, live: the explorer's --otlp ADDR (an OTLP receiver as its
	 * source, on listen_*) and --lab (the lab beside it, one store) */
	bool otlp;
	bool with_lab;
	/* receive (issue 16): --listen, --record, --format and --timeout-s as serve's */
	int64_t quiet_ns;         /* --quiet-ms: a received trace is complete after this long without spans; 0: the intake's default */
	size_t max_queued_spans;  /* --max-queued-spans: decoded spans waiting at most (429 beyond); 0: the receiver's default */
};

/* CLI_EXIT_OK, or CLI_EXIT_USAGE with err filled. */
int cli_parse(int argc, char **argv, struct cli *out, struct obslab_error *err);

/* Usage text for a command ("run"), or the general one for NULL. */
void cli_usage(FILE *out, const char *command);

#endif
