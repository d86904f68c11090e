/* terminal — the check that the explorer can draw here (see terminal.h). */
#include "terminal.h"

#include <curses.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <term.h>
#include <unistd.h>

#include "obslab/cli.h"
#include "obslab/textsafe.h"

int terminal_check(void)
{
	const char *term = getenv("TERM");
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO) || !term || !*term) {
		fprintf(stderr, "obslab: the trace explorer needs a terminal (stdin and stdout a tty, TERM set); "
		                "to run the lab without one, use 'obslab run'\n");
		return CLI_EXIT_USAGE;
	}
	int found = 0;
	if (setupterm(term, STDOUT_FILENO, &found) != OK) {
		textsafe_fprintf(stderr, "obslab: cannot use the terminal type '%s'; try TERM=xterm-256color\n", term);
		return CLI_EXIT_USAGE;
	}
	char cup[] = "cup", hc[] = "hc";
	const char *move = tigetstr(cup);
	bool able = move && move != (char *)-1 && tigetflag(hc) <= 0;
	del_curterm(cur_term);
	if (!able) {
		textsafe_fprintf(stderr, "obslab: the terminal type '%s' cannot place the cursor, which the trace explorer "
		                "needs; try TERM=xterm-256color, or use 'obslab run'\n", term);
		return CLI_EXIT_USAGE;
	}
	return 0;
}
