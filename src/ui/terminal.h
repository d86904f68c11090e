/*
 * terminal — whether the trace explorer can draw where it was started:
 * stdin and stdout a tty, TERM set, and a terminal type that can place the
 * cursor (TERM=dumb cannot). Checked before anything is opened or created,
 * so a refusal leaves the disk as it was. Kept apart from app.c because
 * <term.h> defines macros (lines, columns...) that clash with other code.
 */
#ifndef OBSLAB_UI_TERMINAL_H
#define OBSLAB_UI_TERMINAL_H

/* 0 when it can; otherwise prints one line on stderr and returns the exit
 * status (2, as a usage error). */
int terminal_check(void);

#endif
