/* cli: cli_parse on good and bad command lines — commands, defaults, each
 * option's range, the usage status and its one-line message — and
 * cli_usage, whose every option the parser must accept. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"
#include "obslab/cli.h"
#include "obslab/db.h"
#include "obslab/sqltrace.h"

#define MAX_ARGS 40

struct parsed {
	int rc;
	struct cli cli;
	struct obslab_error err;
	char *argv[MAX_ARGS + 2];
};

/* Parses "obslab" followed by the NULL-terminated words. The words must
 * outlive p (struct cli points into argv): literals do. */
static int parse_v(struct parsed *p, const char *first, va_list ap)
{
	int argc = 0;
	p->argv[argc++] = (char *)"obslab";
	for (const char *w = first; w; w = va_arg(ap, const char *)) {
		assert_true(argc <= MAX_ARGS);
		p->argv[argc++] = (char *)w;
	}
	p->argv[argc] = NULL;
	memset(&p->err, 'E', sizeof p->err); /* stale text must not survive */
	p->rc = cli_parse(argc, p->argv, &p->cli, &p->err);
	assert_non_null(memchr(p->err.msg, '\0', sizeof p->err.msg));
	return p->rc;
}

static struct parsed *ok(struct parsed *p, const char *first, ...)
{
	va_list ap;
	va_start(ap, first);
	int rc = parse_v(p, first, ap);
	va_end(ap);
	if (rc != CLI_EXIT_OK)
		fail_msg("obslab %s ...: status %d, '%s'", first ? first : "", rc, p->err.msg);
	assert_string_equal(p->err.msg, "");
	return p;
}

/* A usage error whose message holds each of the NULL-terminated needles. */
static void bad(const char *const *words, const char *needle1, const char *needle2)
{
	struct parsed p;
	int argc = 0;
	p.argv[argc++] = (char *)"obslab";
	for (size_t i = 0; words[i]; i++)
		p.argv[argc++] = (char *)words[i];
	p.argv[argc] = NULL;
	memset(&p.err, 'E', sizeof p.err);
	p.rc = cli_parse(argc, p.argv, &p.cli, &p.err);
	char line[512] = "";
	for (int i = 1; i < argc; i++)
		snprintf(line + strlen(line), sizeof line - strlen(line), " %s", p.argv[i]);
	if (p.rc != CLI_EXIT_USAGE)
		fail_msg("obslab%s: status %d, want %d (usage)", line, p.rc, CLI_EXIT_USAGE);
	assert_non_null(memchr(p.err.msg, '\0', sizeof p.err.msg));
	if (!p.err.msg[0] || strchr(p.err.msg, '\n'))
		fail_msg("obslab%s: the message must be one non-empty line: '%s'", line, p.err.msg);
	const char *needles[] = { needle1, needle2 };
	for (size_t i = 0; i < 2; i++)
		if (needles[i] && !strstr(p.err.msg, needles[i]))
			fail_msg("obslab%s: '%s' does not say '%s'", line, p.err.msg, needles[i]);
}

#define BAD(n1, n2, ...) bad((const char *const[]){ __VA_ARGS__, NULL }, n1, n2)

static void no_arguments_start_the_explorer_with_the_defaults(void **state)
{
	(void)state;
	struct parsed p;
	ok(&p, NULL);
	const struct cli *c = &p.cli;
	assert_int_equal(c->command, CLI_CMD_UI);
	assert_int_equal(c->run.strategy, STRATEGY_NAIVE);
	assert_int_equal(c->run.users, 20);
	assert_int_equal(c->run.rtt_us, 200);
	assert_false(c->run.index);
	assert_int_equal(c->run.seed, 42);
	assert_true(c->run.trace);
	assert_int_equal(c->run.pace_hz, CLI_DEFAULT_UI_PACE_HZ);
	assert_string_equal(c->db_path, DB_DEFAULT_PATH);
	assert_null(c->log_file);
	assert_null(c->file);
	assert_null(c->output_path);
	assert_null(c->help_topic);
	assert_int_equal(c->frames, 0);
	assert_int_equal(c->output, CLI_OUTPUT_SUMMARY);
	assert_int_equal(c->format, SNAPSHOT_NATIVE);
	assert_string_equal(c->export_dir, ".");
	assert_int_equal(c->findings.n1_min_count, FINDINGS_DEFAULT_N1_MIN_COUNT);
	assert_int_equal(c->findings.n1_min_ns, 0);

	/* the explorer with options */
	ok(&p, "--strategy", "eager", "--users=300", "--rtt-us", "0", "--index", "on", "--seed", "9", "--db",
	   ":memory:", "--frames", "4", "--export-dir", "snaps", "--n1-min-count", "3", "--n1-min-ms", "2", NULL);
	assert_int_equal(c->command, CLI_CMD_UI);
	assert_int_equal(c->run.strategy, STRATEGY_EAGER);
	assert_int_equal(c->run.users, 300);
	assert_int_equal(c->run.rtt_us, 0);
	assert_true(c->run.index);
	assert_int_equal(c->run.seed, 9);
	assert_string_equal(c->db_path, ":memory:");
	assert_int_equal(c->frames, 4);
	assert_string_equal(c->export_dir, "snaps");
	assert_int_equal(c->findings.n1_min_count, 3);
	assert_int_equal(c->findings.n1_min_ns, 2000000);
	assert_int_equal(c->run.pace_hz, CLI_DEFAULT_UI_PACE_HZ);
}

static void run_takes_every_option_in_both_spellings(void **state)
{
	(void)state;
	struct parsed p;
	const struct cli *c = &p.cli;
	ok(&p, "run", NULL);
	assert_int_equal(c->command, CLI_CMD_RUN);
	assert_int_equal(c->run.pace_hz, 0); /* headless runs go flat out */
	assert_int_equal(c->run.max_requests, 10);
	assert_int_equal(c->output, CLI_OUTPUT_SUMMARY);

	ok(&p, "run", "--strategy=optimized", "--users", "100000", "--requests=100000", "--rtt-us", "100000",
	   "--index=off", "--seed", "18446744073709551615", "--db=lab.db", "--trace", "off", "--log-file", "log.jsonl",
	   "--n1-min-count=1000", "--n1-min-ms", "600000", "--report", "json", NULL);
	assert_int_equal(c->run.strategy, STRATEGY_OPTIMIZED);
	assert_int_equal(c->run.users, CLI_MAX_USERS);
	assert_int_equal(c->run.max_requests, CLI_MAX_REQUESTS);
	assert_int_equal(c->run.rtt_us, SQLTRACE_MAX_RTT_US);
	assert_false(c->run.index);
	assert_true(c->run.seed == UINT64_MAX);
	assert_string_equal(c->db_path, "lab.db");
	assert_false(c->run.trace);
	assert_string_equal(c->log_file, "log.jsonl");
	assert_int_equal(c->findings.n1_min_count, 1000);
	assert_int_equal(c->findings.n1_min_ns, 600000LL * 1000000);
	assert_int_equal(c->output, CLI_OUTPUT_REPORT_JSON);

	/* the lower bounds, and the last of a repeated option wins */
	ok(&p, "run", "--users", "1", "--requests", "1", "--rtt-us", "0", "--seed", "0", "--n1-min-count", "2",
	   "--n1-min-ms", "0", "--users", "7", "--json", NULL);
	assert_int_equal(c->run.users, 7);
	assert_int_equal(c->run.max_requests, 1);
	assert_int_equal(c->run.seed, 0);
	assert_int_equal(c->findings.n1_min_count, 2);
	assert_int_equal(c->output, CLI_OUTPUT_BODY);
	ok(&p, "run", "--report", "text", NULL);
	assert_int_equal(c->output, CLI_OUTPUT_SUMMARY);
	/* a value may start with dashes when it is given with = or as the next word */
	ok(&p, "run", "--db", "--odd-name.db", NULL);
	assert_string_equal(c->db_path, "--odd-name.db");
}

static void compare_sweep_export_report_open(void **state)
{
	(void)state;
	struct parsed p;
	const struct cli *c = &p.cli;
	ok(&p, "compare", NULL);
	assert_int_equal(c->command, CLI_CMD_COMPARE);
	assert_int_equal(c->plan.nscales, 1);
	assert_int_equal(c->plan.users[0], 0); /* no --users: the database's size (20 for a new one) */
	assert_true(c->run.users_from_db);
	assert_int_equal(c->run.users, 20);
	assert_int_equal(c->plan.requests, CLI_COMPARE_REQUESTS);
	assert_int_equal(c->run.pace_hz, 0);
	ok(&p, "compare", "--users", "500", "--requests", "4", "--json", NULL);
	assert_int_equal(c->plan.users[0], 500);
	assert_int_equal(c->plan.requests, 4);
	assert_int_equal(c->output, CLI_OUTPUT_REPORT_JSON); /* --json: the table as JSON */

	ok(&p, "sweep", NULL);
	assert_int_equal(c->command, CLI_CMD_SWEEP);
	assert_int_equal(c->plan.nscales, 4);
	const uint32_t scales[] = { 20, 100, 1000, 10000 };
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(c->plan.users[i], scales[i]);
	assert_int_equal(c->plan.requests, CLI_SWEEP_REQUESTS);
	ok(&p, "sweep", "--users-list", "1,2,3,4,5,6,7,100000", "--requests=2", NULL);
	assert_int_equal(c->plan.nscales, PLAN_MAX_SCALES);
	assert_int_equal(c->plan.users[0], 1);
	assert_int_equal(c->plan.users[7], CLI_MAX_USERS);
	assert_int_equal(c->plan.requests, 2);
	ok(&p, "sweep", "--users-list=50", NULL);
	assert_int_equal(c->plan.nscales, 1);
	assert_int_equal(c->plan.users[0], 50);

	ok(&p, "export", "-o", "out.json", NULL);
	assert_int_equal(c->command, CLI_CMD_EXPORT);
	assert_string_equal(c->output_path, "out.json");
	assert_int_equal(c->format, SNAPSHOT_NATIVE);
	assert_int_equal(c->run.pace_hz, 0);
	ok(&p, "export", "--format", "otlp", "--output=o.json", "--strategy", "eager", "--requests", "3", NULL);
	assert_int_equal(c->format, SNAPSHOT_OTLP);
	assert_string_equal(c->output_path, "o.json");
	assert_int_equal(c->run.strategy, STRATEGY_EAGER);
	assert_int_equal(c->run.max_requests, 3);
	ok(&p, "export", "--format=chrome", "-o", "t.json", NULL);
	assert_int_equal(c->format, SNAPSHOT_CHROME);

	ok(&p, "report", "snap.json", NULL);
	assert_int_equal(c->command, CLI_CMD_REPORT);
	assert_string_equal(c->file, "snap.json");
	assert_int_equal(c->output, CLI_OUTPUT_SUMMARY);
	ok(&p, "report", "snap.json", "--json", "--n1-min-count", "9", NULL);
	assert_int_equal(c->output, CLI_OUTPUT_BODY);
	assert_int_equal(c->findings.n1_min_count, 9);

	ok(&p, "open", "snap.json", "--frames", "1", "--export-dir=out", NULL);
	assert_int_equal(c->command, CLI_CMD_OPEN);
	assert_string_equal(c->file, "snap.json");
	assert_int_equal(c->frames, 1);
	assert_string_equal(c->export_dir, "out");
	ok(&p, "open", "-", NULL); /* a file named like a dash is still a file */
	assert_string_equal(c->file, "-");
}

/* obslab serve: the address, its defaults, --record's format, and what it refuses. */
static void serve_options_and_refusals(void **state)
{
	(void)state;
	struct parsed p;
	const struct cli *c = &p.cli;
	ok(&p, "serve", NULL);
	assert_int_equal(c->command, CLI_CMD_SERVE);
	assert_string_equal(c->listen_host, "127.0.0.1"); /* loopback unless told */
	assert_int_equal(c->listen_port, 8000);
	assert_null(c->record_path);
	assert_null(c->log_file);
	assert_int_equal(c->timeout_s, SERVER_DEFAULT_TIMEOUT_S);
	assert_true(c->run.trace);
	assert_string_equal(c->db_path, DB_DEFAULT_PATH);
	ok(&p, "serve", "--listen", "[::1]:0", "--users", "1000", "--rtt-us=0", "--index", "on", "--seed", "3",
	   "--db", "t.db", "--record", "out.otlp.json", "--log-file", "l.jsonl", "--timeout-s", "2", "--trace", "off", NULL);
	assert_string_equal(c->listen_host, "::1");
	assert_int_equal(c->listen_port, 0);
	assert_int_equal(c->run.users, 1000);
	assert_false(c->run.users_from_db);
	assert_int_equal(c->run.rtt_us, 0);
	assert_true(c->run.index);
	assert_int_equal(c->run.seed, 3);
	assert_string_equal(c->db_path, "t.db");
	assert_string_equal(c->record_path, "out.otlp.json");
	assert_int_equal(c->format, SNAPSHOT_OTLP); /* from the name */
	assert_string_equal(c->log_file, "l.jsonl");
	assert_int_equal(c->timeout_s, 2);
	assert_false(c->run.trace);
	ok(&p, "serve", "--listen=0.0.0.0:8080", "--record", "x.bin", "--format", "chrome", NULL);
	assert_string_equal(c->listen_host, "0.0.0.0");
	assert_int_equal(c->listen_port, 8080);
	assert_int_equal(c->format, SNAPSHOT_CHROME);
	ok(&p, "serve", "--listen", "localhost:1", "--record", "r.db", NULL);
	assert_string_equal(c->listen_host, "localhost");
	assert_int_equal(c->format, SNAPSHOT_SQLITE);
	ok(&p, "serve", "--help", NULL);
	assert_int_equal(c->command, CLI_CMD_HELP);
	assert_string_equal(c->help_topic, "serve");
	ok(&p, "help", "serve", NULL);
	assert_string_equal(c->help_topic, "serve");

	BAD("--listen", "HOST:PORT", "serve", "--listen", "8000");
	BAD("port", "70000", "serve", "--listen", "127.0.0.1:70000");
	BAD("brackets", NULL, "serve", "--listen", "::1:8000");
	BAD("--listen needs a value", NULL, "serve", "--listen");
	BAD("file", NULL, "serve", "--db", ":memory:");
	BAD("file", NULL, "serve", "--db", "file::memory:");
	BAD("cannot tell a format", "r.txt", "serve", "--record", "r.txt");
	BAD("--record", NULL, "serve", "--format", "otlp");
	BAD("--record", NULL, "serve", "--record", "");
	BAD("--timeout-s", "0", "serve", "--timeout-s", "0");
	BAD("--timeout-s", "3601", "serve", "--timeout-s", "3601");
	BAD("not an option of 'obslab serve'", NULL, "serve", "--strategy", "naive");
	BAD("not an option of 'obslab serve'", NULL, "serve", "--requests", "3");
	BAD("not an option of 'obslab serve'", NULL, "serve", "--watch");
	BAD("not an option of 'obslab serve'", NULL, "serve", "--json");
	BAD("not an option of 'obslab run'", NULL, "run", "--listen", "127.0.0.1:0");
	BAD("unexpected argument", NULL, "serve", "extra");
}

/* Left out, --users, --index and --seed are the database's (an existing
 * lab keeps what it has); --watch takes the database as it is, so it
 * refuses anything that would change it. */
static void settings_left_out_are_the_databases_and_watch_changes_nothing(void **state)
{
	(void)state;
	struct parsed p;
	const struct cli *c = &p.cli;
	ok(&p, NULL);
	assert_true(c->run.users_from_db && c->run.index_from_db && c->run.seed_from_db);
	assert_false(c->run.watch);
	ok(&p, "run", "--users", "100", "--index", "on", "--seed", "7", NULL);
	assert_false(c->run.users_from_db || c->run.index_from_db || c->run.seed_from_db);
	ok(&p, "--watch", "--db", "lab.db", NULL);
	assert_true(c->run.watch);
	ok(&p, "run", "--watch", "--strategy", "eager", "--rtt-us", "0", NULL);
	assert_true(c->run.watch);
	ok(&p, "export", "--watch", "-o", "x.json", NULL);
	assert_true(c->run.watch);
	BAD("--watch shows the database as it is", "--users", "--watch", "--users", "100");
	BAD("--watch", "--index", "run", "--index", "on", "--watch");
	BAD("--watch", "--seed", "run", "--watch", "--seed", "3");
	BAD("--watch needs a lab database file", "in-memory", "run", "--watch", "--db", ":memory:");
	/* every form SQLite reads as a database without a file */
	BAD("--watch needs a lab database file", "in-memory", "--watch", "--db", "file::memory:");
	BAD("--watch needs a lab database file", "in-memory", "run", "--watch", "--db", "file::memory:?cache=shared");
	BAD("--watch needs a lab database file", "in-memory", "--watch", "--db", "file:lab.db?mode=memory");
	BAD("--watch needs a lab database file", "in-memory", "--watch", "--db", "file:lab.db?cache=shared&mode=memory");
	BAD("--watch needs a lab database file", "in-memory", "--watch", "--db", "file:%3Amemory%3A");
	BAD("--watch needs a lab database file", "in-memory", "--watch", "--db", "file:");
	ok(&p, "--watch", "--db", "file:lab.db?mode=ro", NULL);
	ok(&p, "--watch", "--db", "file:///tmp/memory.db?modex=memory", NULL);
	ok(&p, "--watch", "--db", "./:memory:", NULL);
	BAD("not an option of 'obslab compare'", "--watch", "compare", "--watch");
	BAD("not an option of 'obslab sweep'", "--watch", "sweep", "--watch");
}

static void help_version_and_keys(void **state)
{
	(void)state;
	struct parsed p;
	const struct cli *c = &p.cli;
	const char *general[] = { "--help", "-h", "help" };
	for (size_t i = 0; i < 3; i++) {
		ok(&p, general[i], NULL);
		assert_int_equal(c->command, CLI_CMD_HELP);
		assert_null(c->help_topic);
	}
	ok(&p, "help", "sweep", NULL);
	assert_int_equal(c->command, CLI_CMD_HELP);
	assert_string_equal(c->help_topic, "sweep");
	ok(&p, "--version", NULL);
	assert_int_equal(c->command, CLI_CMD_VERSION);
	ok(&p, "--keys", NULL);
	assert_int_equal(c->command, CLI_CMD_KEYS);

	/* --help after a command asks about that command, whatever else is there */
	const char *commands[] = { "run", "compare", "sweep", "export", "report", "open" };
	for (size_t i = 0; i < 6; i++) {
		ok(&p, commands[i], "--help", NULL);
		assert_int_equal(c->command, CLI_CMD_HELP);
		assert_string_equal(c->help_topic, commands[i]);
	}
	ok(&p, "run", "--users", "5", "--help", NULL);
	assert_string_equal(c->help_topic, "run");
	ok(&p, "--users", "5", "--help", NULL);
	assert_int_equal(c->command, CLI_CMD_HELP);
	assert_null(c->help_topic); /* the explorer's help is the general one */
}

static void bad_values_are_usage_errors_naming_the_value(void **state)
{
	(void)state;
	/* --users: whole numbers from 1 to 100000, nothing else */
	BAD("--users", "'0'", "run", "--users", "0");
	BAD("--users", "'100001'", "run", "--users", "100001");
	BAD("--users", "'-5'", "run", "--users", "-5");
	BAD("--users", "'+5'", "run", "--users=+5");
	BAD("--users", "' 5'", "run", "--users", " 5");
	BAD("--users", "'5x'", "run", "--users", "5x");
	BAD("--users", "'0x10'", "run", "--users", "0x10");
	BAD("--users", "''", "run", "--users=");
	BAD("--users", "'99999999999999999999'", "run", "--users", "99999999999999999999");
	BAD("--users", "'1e3'", "--users", "1e3"); /* the explorer's too */
	BAD("--requests", "'0'", "run", "--requests", "0");
	BAD("--requests", "'100001'", "compare", "--requests", "100001");
	BAD("--rtt-us", "'100001'", "run", "--rtt-us", "100001");
	BAD("--rtt-us", "'-1'", "--rtt-us", "-1");
	BAD("--seed", "'18446744073709551616'", "run", "--seed", "18446744073709551616");
	BAD("--seed", "'-1'", "run", "--seed", "-1");
	BAD("--frames", "'0'", "--frames", "0");
	BAD("--frames", "'1000001'", "open", "f.json", "--frames", "1000001");
	BAD("--n1-min-count", "'1'", "run", "--n1-min-count", "1");
	BAD("--n1-min-count", "'1001'", "report", "f.json", "--n1-min-count", "1001");
	BAD("--n1-min-ms", "'600001'", "run", "--n1-min-ms", "600001");
	/* words from a list */
	BAD("strategy", "'fast'", "run", "--strategy", "fast");
	BAD("strategy", "'Naive'", "--strategy", "Naive");
	BAD("--index", "'yes'", "run", "--index", "yes");
	BAD("--trace", "'1'", "run", "--trace", "1");
	BAD("--report", "'xml'", "run", "--report", "xml");
	BAD("--format", "'xml'", "export", "--format", "xml", "-o", "x");
	/* paths may not be empty */
	BAD("--db", "empty", "run", "--db", "");
	BAD("--log-file", "empty", "run", "--log-file=");
	BAD("--export-dir", "empty", "--export-dir", "");
	BAD("-o", "empty", "export", "-o", "");
	/* --users-list: ascending, distinct, at most PLAN_MAX_SCALES, each a --users */
	BAD("--users-list", "'100,20'", "sweep", "--users-list", "100,20");
	BAD("--users-list", "'20,20'", "sweep", "--users-list", "20,20");
	BAD("--users-list", "'20,0'", "sweep", "--users-list", "20,0");
	BAD("--users-list", "'20,abc'", "sweep", "--users-list", "20,abc");
	BAD("--users-list", "'20,100001'", "sweep", "--users-list", "20,100001");
	BAD("--users-list", "at most", "sweep", "--users-list", "1,2,3,4,5,6,7,8,9");
	BAD("--users-list", NULL, "sweep", "--users-list", "");
	BAD("--users-list", NULL, "sweep", "--users-list", ",");
	char longlist[200];
	memset(longlist, '1', sizeof longlist - 1);
	longlist[sizeof longlist - 1] = '\0';
	BAD("--users-list", "too long", "sweep", "--users-list", longlist);
}

static void bad_shapes_are_usage_errors(void **state)
{
	(void)state;
	BAD("unknown command", "'bogus'", "bogus");
	BAD("unknown command", "'Run'", "Run");
	BAD("unknown option", "'-x'", "-x");
	BAD("unknown option", "'--bogus'", "run", "--bogus");
	BAD("unknown option", "'--bogus'", "run", "--bogus=3"); /* the name, without its value */
	BAD("unknown option", "'--bogus'", "--bogus");
	BAD("unknown option", NULL, "run", "--");
	BAD("unknown option", "'--user'", "run", "--user", "5"); /* no prefixes */
	BAD("unexpected argument", "'extra'", "run", "extra");
	BAD("unexpected argument", "'-u'", "run", "-u", "5");
	BAD("unexpected argument", "'second.json'", "report", "first.json", "second.json");
	BAD("needs a value", "--users", "run", "--users");
	BAD("needs a value", "--frames", "--frames");
	BAD("takes no value", "--json", "run", "--json=yes");
	BAD("takes no value", "--help", "run", "--help=run");
	BAD("--json", "--report", "run", "--json", "--report", "text");
	BAD("--json", "--report", "run", "--report=json", "--json");
	/* an option of another command names the command it was given to */
	BAD("--frames", "'obslab run'", "run", "--frames", "3");
	BAD("--users-list", "'obslab compare'", "compare", "--users-list", "20,100");
	BAD("--users", "'obslab sweep'", "sweep", "--users", "20");
	BAD("--json", "'obslab export'", "export", "--json", "-o", "x");
	BAD("--strategy", "'obslab report'", "report", "f.json", "--strategy", "eager");
	BAD("--json", "'obslab open'", "open", "f.json", "--json");
	BAD("--report", "'obslab compare'", "compare", "--report", "json");
	BAD("--requests", "trace explorer", "--requests", "5");
	BAD("--log-file", "trace explorer", "--log-file", "x.log");
	/* what a command cannot do without */
	BAD("export", "-o", "export");
	BAD("export", "-o", "export", "--format", "otlp");
	BAD("report", "FILE", "report");
	BAD("open", "FILE", "open");
	BAD("report", "FILE", "report", "--json");
	BAD("open", "FILE", "open", "--frames", "2");
}

static void messages_are_cut_to_one_bounded_line(void **state)
{
	(void)state;
	char huge[2000];
	memset(huge, 'z', sizeof huge - 1);
	huge[0] = huge[1] = '-';
	huge[sizeof huge - 1] = '\0';
	BAD("unknown option", NULL, huge);
	BAD("unknown command", NULL, huge + 2);
	BAD("--users", NULL, "run", "--users", huge + 2);

	/* a success clears what a failure left */
	struct parsed p;
	ok(&p, "run", NULL);
	assert_int_equal(p.err.msg[0], '\0');
}

/* Every option a usage text offers, the parser takes for that command. */
static const char *sample_value(const char *opt)
{
	static const struct { const char *name, *value; } values[] = {
		{ "strategy", "optimized" }, { "users", "5" },        { "users-list", "20,100" },
		{ "rtt-us", "0" },           { "index", "on" },        { "seed", "7" },
		{ "db", "x.db" },            { "requests", "3" },      { "trace", "off" },
		{ "report", "json" },        { "log-file", "l.txt" },  { "frames", "2" },
		{ "n1-min-count", "3" },     { "n1-min-ms", "1" },     { "format", "otlp" },
		{ "output", "o.json" },      { "export-dir", "d" },    { "lock-wait", "5" },
		{ "listen", "127.0.0.1:0" }, { "record", "r.json" },   { "timeout-s", "3" },
		{ "serve", "8000" },         { "otlp", "4318" },       { "forward", "http://127.0.0.1:4318/v1/traces" },
	};
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
		if (strcmp(values[i].name, opt) == 0)
			return values[i].value;
	return NULL; /* a flag */
}

static size_t check_usage_of(const char *command)
{
	char path[512];
	fixture_path(path, sizeof path, "usage.txt");
	FILE *f = fopen(path, "w+");
	assert_non_null(f);
	cli_usage(f, command);
	long size = ftell(f);
	assert_true(size > 0);
	rewind(f);
	char *text = test_calloc(1, (size_t)size + 1);
	assert_int_equal(fread(text, 1, (size_t)size, f), size);
	fclose(f);
	assert_true(strncmp(text, "Usage: obslab", 13) == 0);
	assert_int_equal(text[size - 1], '\n');
	if (command) {
		char usage[64];
		snprintf(usage, sizeof usage, "Usage: obslab %s", command);
		assert_non_null(strstr(text, usage));
	}
	size_t checked = 0;
	for (const char *s = strstr(text, "--"); s; s = strstr(s, "--")) {
		s += 2;
		char name[32];
		size_t len = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-");
		if (len == 0 || len >= sizeof name)
			continue;
		memcpy(name, s, len);
		name[len] = '\0';
		struct parsed p;
		const char *value = sample_value(name);
		char opt[40];
		snprintf(opt, sizeof opt, "--%s", name);
		if (!command && (strcmp(name, "keys") == 0 || strcmp(name, "version") == 0 || strcmp(name, "help") == 0)) {
			ok(&p, opt, NULL); /* commands of their own */
		} else if (!command && strcmp(name, "quiet-ms") == 0) {
			ok(&p, "--otlp", "0", opt, "100", NULL); /* how long a received trace stays open */
			assert_int_equal(p.cli.quiet_ns, 100 * 1000000LL);
		} else if (!command && strcmp(name, "lab") == 0) {
			ok(&p, "--otlp", "0", opt, NULL); /* the lab beside the receiver */
			assert_true(p.cli.with_lab);
		} else if (!command) {
			ok(&p, opt, value, NULL);
			assert_int_equal(p.cli.command, strcmp(name, "help") ? CLI_CMD_UI : CLI_CMD_HELP);
		} else if (strcmp(command, "export") == 0) {
			ok(&p, "export", "-o", "e.json", opt, value, NULL);
		} else if (strcmp(command, "report") == 0 || strcmp(command, "open") == 0) {
			ok(&p, command, "f.json", opt, value, NULL);
		} else if (strcmp(command, "serve") == 0) {
			ok(&p, "serve", "--record", "r.otlp.json", opt, value, NULL); /* --format goes with --record */
		} else {
			ok(&p, command, opt, value, NULL);
		}
		checked++;
	}
	test_free(text);
	return checked;
}

/* The explorer's --serve: HOST:PORT as --listen, a bare PORT on loopback. */
static void explorer_serve_addresses_and_refusals(void **state)
{
	(void)state;
	struct parsed p;
	const struct cli *c = &p.cli;
	ok(&p, "--serve", "8000", NULL);
	assert_int_equal(c->command, CLI_CMD_UI);
	assert_true(c->serve);
	assert_string_equal(c->listen_host, "127.0.0.1");
	assert_int_equal(c->listen_port, 8000);
	ok(&p, "--serve=[::1]:0", "--db", "lab.db", NULL);
	assert_string_equal(c->listen_host, "::1");
	assert_int_equal(c->listen_port, 0);
	ok(&p, "--serve", "0.0.0.0:8080", NULL);
	assert_string_equal(c->listen_host, "0.0.0.0");
	assert_int_equal(c->listen_port, 8080);
	ok(&p, NULL);
	assert_false(c->serve);
	bad((const char *const[]){ "--serve", "nonsense", NULL }, "--serve", "nonsense");
	bad((const char *const[]){ "--serve", "65536", NULL }, "--serve", "65536");
	bad((const char *const[]){ "--serve", "", NULL }, "--serve", NULL);
	bad((const char *const[]){ "--serve", NULL }, "--serve", "needs a value");
	bad((const char *const[]){ "--serve", "8000", "--watch", "--db", "x.db", NULL }, "--serve", "--watch");
	bad((const char *const[]){ "--serve", "8000", "--db", ":memory:", NULL }, "--serve", "file");
	bad((const char *const[]){ "run", "--serve", "8000", NULL }, "--serve", "run");
}

/* The explorer's --otlp (issue 16): addresses as --serve's, --lab beside it. */
static void explorer_otlp_addresses_and_refusals(void **state)
{
	(void)state;
	struct parsed p;
	const struct cli *c = &p.cli;
	ok(&p, "--otlp", "4318", NULL);
	assert_int_equal(c->command, CLI_CMD_UI);
	assert_true(c->otlp);
	assert_false(c->with_lab);
	assert_string_equal(c->listen_host, "127.0.0.1");
	assert_int_equal(c->listen_port, 4318);
	ok(&p, "--otlp", "[::1]:0", "--lab", "--users", "50", NULL);
	assert_true(c->with_lab);
	assert_string_equal(c->listen_host, "::1");
	assert_int_equal(c->listen_port, 0);
	bad((const char *const[]){ "--otlp", "nonsense", NULL }, "--otlp", "nonsense");
	bad((const char *const[]){ "--otlp", NULL }, "--otlp", "needs a value");
	bad((const char *const[]){ "--lab", NULL }, "--lab", "--otlp");
	bad((const char *const[]){ "--quiet-ms", "100", NULL }, "--quiet-ms", "--otlp");
	bad((const char *const[]){ "--otlp", "0", "--serve", "0", NULL }, "--otlp", "--serve");
	bad((const char *const[]){ "--otlp", "0", "--watch", NULL }, "--otlp", "--watch");
	bad((const char *const[]){ "run", "--otlp", "0", NULL }, "--otlp", "run");
}

static void every_option_in_the_usage_texts_is_accepted(void **state)
{
	(void)state;
	const char *commands[] = { NULL, "run", "compare", "sweep", "export", "report", "open", "serve" };
	const size_t at_least[] = { 13, 13, 7, 7, 9, 1, 2, 13 };
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		size_t n = check_usage_of(commands[i]);
		if (n < at_least[i])
			fail_msg("the usage of %s names %zu options, expected at least %zu", commands[i] ? commands[i] : "obslab",
			         n, at_least[i]);
	}
}

/* --forward URL: on the commands that record or serve spans, checked here
 * (http:// or https://), refused elsewhere. */
static void forward_url_where_spans_are_made(void **state)
{
	(void)state;
	struct parsed p;
	const char *url = "https://collector.example:4318/v1/traces";
	assert_string_equal(ok(&p, "run", "--forward", url, NULL)->cli.forward_url, url);
	assert_string_equal(ok(&p, "compare", "--forward", url, NULL)->cli.forward_url, url);
	assert_string_equal(ok(&p, "sweep", "--forward=http://127.0.0.1:1/v1/traces", NULL)->cli.forward_url,
	                    "http://127.0.0.1:1/v1/traces");
	assert_string_equal(ok(&p, "serve", "--forward", url, NULL)->cli.forward_url, url);
	assert_string_equal(ok(&p, "--forward", url, NULL)->cli.forward_url, url);
	assert_null(ok(&p, "run", NULL)->cli.forward_url);
	BAD("--forward", "export", "export", "-o", "x.json", "--forward", "http://c:4318/v1/traces");
	BAD("--forward", NULL, "run", "--forward", "ftp://c/v1/traces");
	BAD("--forward", NULL, "run", "--forward", "collector:4318");
	BAD("--forward", NULL, "--forward", "http://a b/");
	BAD("--forward", "needs a value", "run", "--forward");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(no_arguments_start_the_explorer_with_the_defaults),
		cmocka_unit_test(run_takes_every_option_in_both_spellings),
		cmocka_unit_test(compare_sweep_export_report_open),
		cmocka_unit_test(serve_options_and_refusals),
		cmocka_unit_test(settings_left_out_are_the_databases_and_watch_changes_nothing),
		cmocka_unit_test(help_version_and_keys),
		cmocka_unit_test(bad_values_are_usage_errors_naming_the_value),
		cmocka_unit_test(bad_shapes_are_usage_errors),
		cmocka_unit_test(messages_are_cut_to_one_bounded_line),
		cmocka_unit_test(every_option_in_the_usage_texts_is_accepted),
		cmocka_unit_test(explorer_serve_addresses_and_refusals),
		cmocka_unit_test(forward_url_where_spans_are_made),
		cmocka_unit_test(explorer_otlp_addresses_and_refusals),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	fixture_cleanup();
	return rc;
}
