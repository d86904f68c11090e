/*
 * cli — the command line parsed and validated: the option table (which
 * option each command takes), each value's check with a message that says
 * what to type instead, and the defaults (the usage texts: cli_usage.c).
 */
#include "obslab/cli.h"
#include "obslab/forward.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/db.h"
#include "obslab/labdb.h"
#include "obslab/receiver.h"
#include "obslab/sqltrace.h"

static int usage_error(struct obslab_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int usage_error(struct obslab_error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	obslab_error_vset(err, fmt, ap);
	va_end(ap);
	return CLI_EXIT_USAGE;
}

/* A whole decimal number in [min, max], nothing else. */
static bool parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	if (*s < '0' || *s > '9') /* no sign, no space: strtoull would skip them */
		return false;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static bool parse_on_off(const char *s, bool *out)
{
	if (strcmp(s, "on") == 0)
		*out = true;
	else if (strcmp(s, "off") == 0)
		*out = false;
	else
		return false;
	return true;
}

enum { FOR_RUN = 1 << 0, FOR_UI = 1 << 1, FOR_COMPARE = 1 << 2, FOR_SWEEP = 1 << 3, FOR_EXPORT = 1 << 4,
       FOR_REPORT = 1 << 5, FOR_OPEN = 1 << 6, FOR_CONVERT = 1 << 7, FOR_SERVE = 1 << 8, FOR_RECEIVE = 1 << 9 };
#define FOR_LAB (FOR_RUN | FOR_UI | FOR_COMPARE | FOR_SWEEP | FOR_EXPORT | FOR_SERVE)
#define FOR_ALL (FOR_LAB | FOR_REPORT | FOR_OPEN | FOR_CONVERT | FOR_SERVE | FOR_RECEIVE)
#define FOR_MEASURE (FOR_COMPARE | FOR_SWEEP)

struct option_spec {
	const char *name; /* without the dashes */
	bool takes_value;
	unsigned commands; /* FOR_* */
};

static const struct option_spec options[] = {
	{ "strategy", true, FOR_RUN | FOR_UI | FOR_EXPORT },
	{ "users", true, FOR_RUN | FOR_UI | FOR_COMPARE | FOR_EXPORT | FOR_SERVE },
	{ "users-list", true, FOR_SWEEP },
	{ "rtt-us", true, FOR_LAB },
	{ "index", true, FOR_LAB },
	{ "seed", true, FOR_LAB },
	{ "db", true, FOR_LAB },
	{ "requests", true, FOR_RUN | FOR_MEASURE | FOR_EXPORT },
	{ "trace", true, FOR_RUN | FOR_SERVE },
	{ "json", false, FOR_RUN | FOR_MEASURE | FOR_REPORT },
	{ "report", true, FOR_RUN },
	{ "log-file", true, FOR_RUN | FOR_SERVE },
	{ "frames", true, FOR_UI | FOR_OPEN },
	{ "n1-min-count", true, FOR_RUN | FOR_UI | FOR_EXPORT | FOR_REPORT | FOR_OPEN | FOR_CONVERT },
	{ "n1-min-ms", true, FOR_RUN | FOR_UI | FOR_EXPORT | FOR_REPORT | FOR_OPEN | FOR_CONVERT },
	{ "format", true, FOR_EXPORT | FOR_CONVERT | FOR_SERVE | FOR_RECEIVE },
	{ "output", true, FOR_EXPORT | FOR_CONVERT },
	{ "export-dir", true, FOR_UI | FOR_OPEN },
	{ "help", false, FOR_ALL },
	{ "lock-wait", true, FOR_RUN | FOR_MEASURE | FOR_EXPORT | FOR_SERVE },
	{ "listen", true, FOR_SERVE | FOR_RECEIVE },
	{ "record", true, FOR_SERVE | FOR_RECEIVE },
	{ "timeout-s", true, FOR_SERVE | FOR_RECEIVE },
	{ "watch", false, FOR_RUN | FOR_UI | FOR_EXPORT },
	{ "serve", true, FOR_UI },
	{ "forward", true, FOR_RUN | FOR_UI | FOR_MEASURE | FOR_SERVE | FOR_RECEIVE },
	{ "otlp", true, FOR_UI },
	{ "lab", false, FOR_UI },
	/* receive (issue 16) */
	{ "quiet-ms", true, FOR_RECEIVE | FOR_UI },
	{ "max-queued-spans", true, FOR_RECEIVE },
};

/* In the order of enum cli_command from CLI_CMD_RUN on. */
static const char *const command_names[] = { "run", "compare", "sweep", "export", "report", "open", "convert",
                                             "serve", "receive" };

static const struct option_spec *find_option(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
		if (strlen(options[i].name) == len && strncmp(options[i].name, name, len) == 0)
			return &options[i];
	}
	return NULL;
}

/* "20,100,1000": ascending, distinct, each a valid --users. */
static int parse_users_list(struct cli *cli, const char *value, struct obslab_error *err)
{
	char buf[128];
	if (strlen(value) >= sizeof buf)
		return usage_error(err, "--users-list is too long: at most %d scales", PLAN_MAX_SCALES);
	strcpy(buf, value);
	cli->plan.nscales = 0;
	/* Every field between commas counts: "20,,100" and "20," are refused,
	 * where strtok would have merged or dropped the empty field. */
	for (char *tok = buf, *next; tok; tok = next) {
		next = strchr(tok, ',');
		if (next)
			*next++ = '\0';
		uint64_t n;
		if (!parse_u64(tok, 1, CLI_MAX_USERS, &n))
			return usage_error(err, "--users-list takes user counts from 1 to %u separated by commas, not '%s'",
			                   CLI_MAX_USERS, value);
		if (cli->plan.nscales == PLAN_MAX_SCALES)
			return usage_error(err, "--users-list takes at most %d scales", PLAN_MAX_SCALES);
		if (cli->plan.nscales > 0 && n <= cli->plan.users[cli->plan.nscales - 1])
			return usage_error(err, "--users-list must ascend, without repeats: '%s'", value);
		cli->plan.users[cli->plan.nscales++] = (uint32_t)n;
	}
	if (cli->plan.nscales == 0)
		return usage_error(err, "--users-list needs at least one user count");
	return CLI_EXIT_OK;
}

static int set_option(struct cli *cli, const char *name, const char *value, struct obslab_error *err)
{
	uint64_t n;
	if (strcmp(name, "strategy") == 0) {
		if (!strategy_parse(value, &cli->run.strategy))
			return usage_error(err, "unknown strategy '%s': use naive, optimized, eager or pipelined (PostgreSQL)", value);
	} else if (strcmp(name, "users") == 0) {
		if (!parse_u64(value, 1, CLI_MAX_USERS, &n))
			return usage_error(err, "--users takes a whole number from 1 to %u, not '%s'",
			                   CLI_MAX_USERS, value);
		cli->run.users = (uint32_t)n;
		cli->run.users_from_db = false;
	} else if (strcmp(name, "requests") == 0) {
		if (!parse_u64(value, 1, CLI_MAX_REQUESTS, &n))
			return usage_error(err, "--requests takes a whole number from 1 to %u, not '%s'",
			                   CLI_MAX_REQUESTS, value);
		cli->run.max_requests = n;
	} else if (strcmp(name, "rtt-us") == 0) {
		if (!parse_u64(value, 0, SQLTRACE_MAX_RTT_US, &n))
			return usage_error(err, "--rtt-us takes microseconds from 0 to %u, not '%s'",
			                   SQLTRACE_MAX_RTT_US, value);
		cli->run.rtt_us = (uint32_t)n;
		cli->rtt_given = true;
	} else if (strcmp(name, "index") == 0) {
		if (!parse_on_off(value, &cli->run.index))
			return usage_error(err, "--index takes on or off, not '%s'", value);
		cli->run.index_from_db = false;
	} else if (strcmp(name, "trace") == 0) {
		if (!parse_on_off(value, &cli->run.trace))
			return usage_error(err, "--trace takes on or off, not '%s'", value);
	} else if (strcmp(name, "seed") == 0) {
		if (!parse_u64(value, 0, UINT64_MAX, &cli->run.seed))
			return usage_error(err, "--seed takes a whole number from 0 to %" PRIu64 ", not '%s'",
			                   UINT64_MAX, value);
		cli->run.seed_from_db = false;
	} else if (strcmp(name, "db") == 0) {
		if (!*value)
			return usage_error(err, "--db takes a file path (or :memory:), or a PostgreSQL connection string "
			                        "or postgresql:// URI, not an empty string");
		cli->db_path = value;
	} else if (strcmp(name, "log-file") == 0) {
		if (!*value)
			return usage_error(err, "--log-file takes a file path, not an empty string");
		cli->log_file = value;
	} else if (strcmp(name, "json") == 0) {
		cli->output = CLI_OUTPUT_BODY;
	} else if (strcmp(name, "report") == 0) {
		if (strcmp(value, "json") == 0)
			cli->output = CLI_OUTPUT_REPORT_JSON;
		else if (strcmp(value, "text") == 0)
			cli->output = CLI_OUTPUT_SUMMARY;
		else
			return usage_error(err, "--report takes json or text, not '%s'", value);
	} else if (strcmp(name, "format") == 0) {
		if (!snapshot_format_parse(value, &cli->format))
			return usage_error(err, "--format takes native, otlp, chrome or sqlite, not '%s'", value);
		cli->format_given = true;
	} else if (strcmp(name, "output") == 0) {
		if (!*value)
			return usage_error(err, "-o takes a file path, not an empty string");
		cli->output_path = value;
	} else if (strcmp(name, "export-dir") == 0) {
		if (!*value)
			return usage_error(err, "--export-dir takes a directory, not an empty string");
		cli->export_dir = value;
	} else if (strcmp(name, "users-list") == 0) {
		return parse_users_list(cli, value, err);
	} else if (strcmp(name, "n1-min-count") == 0) {
		if (!parse_u64(value, 2, 1000, &n))
			return usage_error(err, "--n1-min-count takes a whole number from 2 to 1000, not '%s'", value);
		cli->findings.n1_min_count = (uint32_t)n;
	} else if (strcmp(name, "n1-min-ms") == 0) {
		if (!parse_u64(value, 0, 600000, &n))
			return usage_error(err, "--n1-min-ms takes milliseconds from 0 to 600000, not '%s'", value);
		cli->findings.n1_min_ns = (int64_t)n * 1000000;
	} else if (strcmp(name, "frames") == 0) {
		if (!parse_u64(value, 1, CLI_MAX_FRAMES, &n))
			return usage_error(err, "--frames takes a whole number from 1 to %ld, not '%s'",
			                   CLI_MAX_FRAMES, value);
		cli->frames = (long)n;
	} else if (strcmp(name, "lock-wait") == 0) {
		if (!parse_u64(value, 1, 3600, &n))
			return usage_error(err, "--lock-wait takes seconds from 1 to 3600, not '%s'", value);
		cli->run.lock_wait_ms = (int64_t)n * 1000;
	} else if (strcmp(name, "listen") == 0) {
		if (!server_parse_listen(value, cli->listen_host, &cli->listen_port, err))
			return CLI_EXIT_USAGE;
	} else if (strcmp(name, "record") == 0) {
		if (!*value)
			return usage_error(err, "--record takes a file path, not an empty string");
		cli->record_path = value;
	} else if (strcmp(name, "timeout-s") == 0) {
		if (!parse_u64(value, 1, SERVER_MAX_TIMEOUT_S, &n))
			return usage_error(err, "--timeout-s takes seconds from 1 to %d, not '%s'", SERVER_MAX_TIMEOUT_S, value);
		cli->timeout_s = (unsigned)n;
	} else if (strcmp(name, "watch") == 0) {
		cli->run.watch = true;
	} else if (strcmp(name, "serve") == 0 || strcmp(name, "otlp") == 0) {
		/* HOST:PORT as --listen; a bare PORT is loopback's */
		char addr[SERVER_HOST_MAX + 16];
		bool bare = *value && strspn(value, "0123456789") == strlen(value);
		snprintf(addr, sizeof addr, "%s%s", bare ? ":" : "", value);
		if (!server_parse_listen(addr, cli->listen_host, &cli->listen_port, err)) {
			char why[sizeof err->msg];
			snprintf(why, sizeof why, "%s", err->msg); /* the parser's words, for --serve or --otlp */
			const char *rest = strncmp(why, "--listen", 8) == 0 ? why + 8 : NULL;
			return rest ? usage_error(err, "--%s%s", name, rest) : CLI_EXIT_USAGE;
		}
		if (name[0] == 's')
			cli->serve = true;
		else
			cli->otlp = true;
	} else if (strcmp(name, "lab") == 0) {
		cli->with_lab = true;
	} else if (strcmp(name, "quiet-ms") == 0) { /* receive (issue 16) */
		if (!parse_u64(value, 1, 3600000, &n))
			return usage_error(err, "--quiet-ms takes milliseconds from 1 to 3600000, not '%s'", value);
		cli->quiet_ns = (int64_t)n * 1000000;
	} else if (strcmp(name, "max-queued-spans") == 0) {
		if (!parse_u64(value, 1, (uint64_t)1 << 30, &n))
			return usage_error(err, "--max-queued-spans takes a whole number from 1 to %llu, not '%s'",
			                   1ULL << 30, value);
		cli->max_queued_spans = (size_t)n;
	} else if (strcmp(name, "forward") == 0) { /* the URL checked here; the environment when forwarding starts */
		if (!forward_url_check(value, "--forward", err))
			return CLI_EXIT_USAGE;
		cli->forward_url = value;
	} else if (strcmp(name, "help") == 0) {
		cli->help_topic = cli->command >= CLI_CMD_RUN ? command_names[cli->command - CLI_CMD_RUN] : NULL;
		cli->command = CLI_CMD_HELP;
	}
	return CLI_EXIT_OK;
}

static void defaults(struct cli *cli)
{
	memset(cli, 0, sizeof *cli);
	cli->command = CLI_CMD_UI;
	cli->run = (struct workload_config){
		.strategy = STRATEGY_NAIVE,
		.users = 20,
		.rtt_us = 200,
		.index = false,
		.seed = 42,
		.pace_hz = 0,
		.max_requests = 10,
		.trace = true,
		.users_from_db = true, /* an existing lab keeps what it has */
		.index_from_db = true,
		.seed_from_db = true,
	};
	cli->db_path = DB_DEFAULT_PATH;
	cli->run.pace_hz = CLI_DEFAULT_UI_PACE_HZ; /* the explorer's; run goes flat out */
	cli->plan = (struct plan){ .users = { PLAN_SWEEP_USERS }, .nscales = 4, .requests = CLI_SWEEP_REQUESTS };
	cli->findings = (struct findings_config){ .n1_min_count = FINDINGS_DEFAULT_N1_MIN_COUNT, .n1_min_ns = 0 };
	cli->format = SNAPSHOT_NATIVE;
	cli->export_dir = ".";
	cli->output = CLI_OUTPUT_SUMMARY;
	snprintf(cli->listen_host, sizeof cli->listen_host, "%s", SERVER_DEFAULT_HOST);
	cli->listen_port = SERVER_DEFAULT_PORT;
	cli->timeout_s = SERVER_DEFAULT_TIMEOUT_S;
}

/* --watch takes the database as it is: nothing that would change it. */
static int check_watch(const struct cli *cli, struct obslab_error *err)
{
	if (!cli->run.watch || cli->command == CLI_CMD_HELP)
		return CLI_EXIT_OK;
	const char *changes = !cli->run.users_from_db ? "--users" : !cli->run.index_from_db ? "--index"
	                    : !cli->run.seed_from_db ? "--seed" : NULL;
	if (changes)
		return usage_error(err, "--watch shows the database as it is; %s would change it: leave it out", changes);
	if (!labdb_arg_is_postgresql(cli->db_path) && db_path_in_memory(cli->db_path))
		return usage_error(err, "--watch needs a lab database file (--db PATH) or a PostgreSQL database, "
		                        "not an in-memory database");
	return CLI_EXIT_OK;
}

/* On PostgreSQL nothing is simulated: the round trips are real (and
 * measured), so --rtt-us is refused and the setting is 0. */
static int check_postgresql(struct cli *cli, struct obslab_error *err)
{
	if (cli->command == CLI_CMD_HELP || !labdb_arg_is_postgresql(cli->db_path))
		return CLI_EXIT_OK;
	if (cli->rtt_given)
		return usage_error(err, "PostgreSQL's round trips are real: --rtt-us simulates one on SQLite only");
	cli->run.rtt_us = 0;
	return CLI_EXIT_OK;
}

/* --strategy pipelined needs a server's round trips: refused on SQLite. */
static int check_pipelined(const struct cli *cli, struct obslab_error *err)
{
	if (cli->command == CLI_CMD_HELP || cli->run.strategy != STRATEGY_PIPELINED || labdb_arg_is_postgresql(cli->db_path))
		return CLI_EXIT_OK;
	return usage_error(err, "%s", REQUEST_PIPELINED_REFUSAL);
}

/* The options of a command: argv[0..argc) are all --name[=value] words. */
static int parse_options(int argc, char **argv, struct cli *cli, unsigned command, struct obslab_error *err)
{
	bool json = false, report = false;
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "-o") == 0)
			arg = "--output";
		if (strncmp(arg, "--", 2) != 0)
			return usage_error(err, "unexpected argument '%s' (options start with --)", arg);
		const char *name = arg + 2, *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);
		const struct option_spec *opt = find_option(name, len);
		if (!opt)
			return usage_error(err, "unknown option '%.*s'", (int)(len + 2), arg);
		if (!(opt->commands & command)) {
			if (command == FOR_UI)
				return usage_error(err, "--%s is not an option of the trace explorer (see obslab --help)", opt->name);
			const char *cmd = command_names[__builtin_ctz(command) == 0 ? 0 : __builtin_ctz(command) - 1];
			return usage_error(err, "--%s is not an option of 'obslab %s' (see obslab help %s)", opt->name, cmd, cmd);
		}
		const char *value = NULL;
		if (opt->takes_value) {
			if (eq)
				value = eq + 1;
			else if (i + 1 < argc)
				value = argv[++i];
			else
				return usage_error(err, "--%s needs a value", opt->name);
		} else if (eq) {
			return usage_error(err, "--%s takes no value", opt->name);
		}
		json |= strcmp(opt->name, "json") == 0;
		report |= strcmp(opt->name, "report") == 0;
		int rc = set_option(cli, opt->name, value ? value : "", err);
		if (rc != CLI_EXIT_OK)
			return rc;
	}
	if (json && report)
		return usage_error(err, "--json and --report are alternatives: pick one");
	int rc = check_pipelined(cli, err);
	if (rc == CLI_EXIT_OK)
		rc = check_postgresql(cli, err);
	return rc != CLI_EXIT_OK ? rc : check_watch(cli, err);
}

/* help TOPIC: a command that has help of its own. */
static int help_topic_known(const char *topic, struct obslab_error *err)
{
	for (size_t i = 0; i < sizeof command_names / sizeof command_names[0]; i++)
		if (strcmp(topic, command_names[i]) == 0)
			return CLI_EXIT_OK;
	return usage_error(err, "no help for '%s': the commands are run, compare, sweep, export, report, open, convert, serve and receive",
	                   topic);
}

/* serve's and receive's --record FILE [--format F]: a format only with a
 * record, and one the name tells when --format does not. */
static int check_record(struct cli *out, struct obslab_error *err)
{
	if (out->format_given && !out->record_path)
		return usage_error(err, "--format is the format of --record FILE: give --record too");
	if (out->record_path && !out->format_given && !snapshot_format_from_path(out->record_path, &out->format))
		return usage_error(err, "cannot tell a format from the name '%s': give --format native, otlp, chrome or sqlite",
		                   out->record_path);
	return CLI_EXIT_OK;
}

int cli_parse(int argc, char **argv, struct cli *out, struct obslab_error *err)
{
	defaults(out);
	err->msg[0] = '\0';
	if (argc < 2)
		return CLI_EXIT_OK;
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		out->command = CLI_CMD_HELP;
		out->help_topic = argc > 2 ? argv[2] : NULL;
		if (argc > 3)
			return usage_error(err, "unexpected argument '%s': %s takes one command at most", argv[3], cmd);
		return out->help_topic ? help_topic_known(out->help_topic, err) : CLI_EXIT_OK;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "--keys") == 0) {
		out->command = cmd[2] == 'v' ? CLI_CMD_VERSION : CLI_CMD_KEYS;
		if (argc > 2)
			return usage_error(err, "unexpected argument '%s': %s takes none", argv[2], cmd);
		return CLI_EXIT_OK;
	}
	if (strcmp(cmd, "run") == 0) {
		out->command = CLI_CMD_RUN;
		out->run.pace_hz = 0;
		return parse_options(argc - 2, argv + 2, out, FOR_RUN, err);
	}
	if (strcmp(cmd, "export") == 0) {
		out->command = CLI_CMD_EXPORT;
		out->run.pace_hz = 0;
		int rc = parse_options(argc - 2, argv + 2, out, FOR_EXPORT, err);
		if (rc == CLI_EXIT_OK && out->command == CLI_CMD_EXPORT && !out->output_path)
			return usage_error(err, "export needs -o FILE, the file to write");
		return rc;
	}
	if (strcmp(cmd, "report") == 0 || strcmp(cmd, "open") == 0) {
		bool open = cmd[0] == 'o';
		out->command = open ? CLI_CMD_OPEN : CLI_CMD_REPORT;
		if (argc < 3 || strncmp(argv[2], "--", 2) == 0)
			return strcmp(argc > 2 ? argv[2] : "", "--help") == 0
			               ? parse_options(1, argv + 2, out, open ? FOR_OPEN : FOR_REPORT, err)
			               : usage_error(err, "%s needs a FILE: a snapshot or an OTLP/JSON file", cmd);
		out->file = argv[2];
		return parse_options(argc - 3, argv + 3, out, open ? FOR_OPEN : FOR_REPORT, err);
	}
	if (strcmp(cmd, "convert") == 0) {
		out->command = CLI_CMD_CONVERT;
		if (argc < 3 || strncmp(argv[2], "--", 2) == 0 || strcmp(argv[2], "-o") == 0)
			return strcmp(argc > 2 ? argv[2] : "", "--help") == 0
			               ? parse_options(1, argv + 2, out, FOR_CONVERT, err)
			               : usage_error(err, "convert needs IN, the file to read: obslab convert IN -o OUT");
		out->file = argv[2];
		int rc = parse_options(argc - 3, argv + 3, out, FOR_CONVERT, err);
		if (rc != CLI_EXIT_OK || out->command != CLI_CMD_CONVERT)
			return rc;
		if (!out->output_path)
			return usage_error(err, "convert needs -o OUT, the file to write");
		if (!out->format_given && !snapshot_format_from_path(out->output_path, &out->format))
			return usage_error(err, "cannot tell a format from the name '%s': give --format native, otlp, chrome or sqlite",
			                   out->output_path);
		return CLI_EXIT_OK;
	}
	if (strcmp(cmd, "compare") == 0 || strcmp(cmd, "sweep") == 0) {
		bool sweep = cmd[0] == 's';
		out->command = sweep ? CLI_CMD_SWEEP : CLI_CMD_COMPARE;
		out->run.pace_hz = 0;
		out->run.max_requests = sweep ? CLI_SWEEP_REQUESTS : CLI_COMPARE_REQUESTS;
		int rc = parse_options(argc - 2, argv + 2, out, sweep ? FOR_SWEEP : FOR_COMPARE, err);
		out->plan.requests = (uint32_t)out->run.max_requests;
		if (!sweep) {
			out->plan.users[0] = out->run.users_from_db ? 0 : out->run.users; /* 0: the database's */
			out->plan.nscales = 1;
		}
		if (out->output == CLI_OUTPUT_BODY)
			out->output = CLI_OUTPUT_REPORT_JSON; /* --json: the table as JSON */
		return rc;
	}
	if (strcmp(cmd, "serve") == 0) {
		out->command = CLI_CMD_SERVE;
		int rc = parse_options(argc - 2, argv + 2, out, FOR_SERVE, err);
		if (rc != CLI_EXIT_OK || out->command != CLI_CMD_SERVE)
			return rc;
		if (!labdb_arg_is_postgresql(out->db_path) && db_path_in_memory(out->db_path))
			return usage_error(err, "serve needs a lab database file (--db PATH) or a PostgreSQL database: its "
			                        "workers open it too");
		return check_record(out, err);
	}
	if (strcmp(cmd, "receive") == 0) { /* issue 16: loopback's OTLP/HTTP port unless --listen says */
		out->command = CLI_CMD_RECEIVE;
		snprintf(out->listen_host, sizeof out->listen_host, "%s", RECEIVER_DEFAULT_HOST);
		out->listen_port = RECEIVER_DEFAULT_PORT;
		int rc = parse_options(argc - 2, argv + 2, out, FOR_RECEIVE, err);
		if (rc != CLI_EXIT_OK || out->command != CLI_CMD_RECEIVE)
			return rc;
		return check_record(out, err);
	}
	if (strncmp(cmd, "--", 2) == 0) { /* the explorer, with options */
		out->run.pace_hz = CLI_DEFAULT_UI_PACE_HZ;
		int rc = parse_options(argc - 1, argv + 1, out, FOR_UI, err);
		if (rc != CLI_EXIT_OK || out->command != CLI_CMD_UI)
			return rc;
		if (out->quiet_ns && !out->otlp)
			return usage_error(err, "--quiet-ms goes with --otlp ADDR: how long a received trace stays open");
		if (out->with_lab && !out->otlp)
			return usage_error(err, "--lab goes with --otlp ADDR (the lab beside the receiver); the explorer runs the lab by itself");
		if (out->otlp && out->serve)
			return usage_error(err, "--otlp and --serve each take the listening address: pick one");
		if (out->otlp && out->run.watch)
			return usage_error(err, "--otlp receives spans; --watch only reads a lab's database: pick one");
		if (!out->serve)
			return rc;
		if (out->run.watch)
			return usage_error(err, "--serve drives the database; --watch only reads it: pick one");
		if (!labdb_arg_is_postgresql(out->db_path) && db_path_in_memory(out->db_path))
			return usage_error(err, "--serve needs a lab database file (--db PATH) or a PostgreSQL database: the "
			                        "server's workers open it too");
		return CLI_EXIT_OK;
	}
	if (cmd[0] == '-')
		return usage_error(err, "unknown option '%s'", cmd);
	return usage_error(err, "unknown command '%s'", cmd);
}
