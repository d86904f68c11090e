/* obslab — entry point: parse the command line, dispatch, exit. */
#include <signal.h>
#include <stdio.h>

#include "obslab/cli.h"
#include "obslab/cmd_convert.h"
#include "obslab/cmd_measure.h"
#include "obslab/cmd_receive.h"
#include "obslab/cmd_run.h"
#include "obslab/cmd_serve.h"
#include "obslab/cmd_snapshot.h"
#include "obslab/forward.h"
#include "obslab/textsafe.h"
#include "ui/app.h"
#include "ui/keys.h"

int main(int argc, char **argv)
{
	/* A file past RLIMIT_FSIZE is a write error (EFBIG) to report in one
	 * line, not a signal that kills the process mid-export. */
	signal(SIGXFSZ, SIG_IGN);
	forward_global_init(); /* libcurl's, before any thread */
	struct cli cli;
	struct obslab_error err;
	if (cli_parse(argc, argv, &cli, &err) != CLI_EXIT_OK) {
		textsafe_fprintf(stderr, "obslab: %s\n", err.msg); /* it may quote argv */
		fputs("Try 'obslab --help'.\n", stderr);
		return CLI_EXIT_USAGE;
	}
	switch (cli.command) {
	case CLI_CMD_HELP:
		cli_usage(stdout, cli.help_topic);
		return CLI_EXIT_OK;
	case CLI_CMD_VERSION:
		printf("obslab %s\n", OBSLAB_VERSION);
		return CLI_EXIT_OK;
	case CLI_CMD_KEYS:
		keys_print_markdown(stdout);
		return CLI_EXIT_OK;
	case CLI_CMD_RUN:
		return cmd_run(&cli, stdout, stderr);
	case CLI_CMD_COMPARE:
	case CLI_CMD_SWEEP:
		return cmd_measure(&cli, stdout, stderr);
	case CLI_CMD_EXPORT:
		return cmd_export(&cli, stdout, stderr);
	case CLI_CMD_REPORT:
		return cmd_report(&cli, stdout, stderr);
	case CLI_CMD_CONVERT:
		return cmd_convert(&cli, stdout, stderr);
	case CLI_CMD_SERVE:
		return cmd_serve(&cli, stdout, stderr);
	case CLI_CMD_RECEIVE:
		return cmd_receive(&cli, stdout, stderr);
	case CLI_CMD_UI:
	case CLI_CMD_OPEN:
		return app_main(&cli);
	}
	return CLI_EXIT_USAGE;
}
