/*
 * atomicfile — a file that appears whole, or not at all, and only where a
 * regular file may be.
 *
 * The target: atomicfile_open refuses, before anything is written, a path
 * that names anything but a regular file or nothing: a directory, a FIFO
 * (never opened, so never blocking), a device, a socket, and a symbolic link
 * (it is not followed, and never replaced: name the file it points to).
 * A regular file the user cannot write (access(2) with the effective ids:
 * its mode, for anyone but root) is refused too. A new file gets
 * 0666 & ~umask; a file replaced keeps its mode, and its owner and group
 * where the process may set them.
 *
 * The temporary: an unnamed file (Linux O_TMPFILE) in the target's
 * directory, so nothing is left behind whatever ends the process, SIGKILL
 * included (but for the instant between its link to a unique name and the
 * rename, when it is complete). Where the filesystem cannot make one
 * (EOPNOTSUPP, EISDIR) or /proc/self/fd is missing (to link it), or
 * with ATOMICFILE_NAMED, a named temporary "TARGET.XXXXXX" beside the target,
 * removed on every failure and when SIGINT, SIGTERM or SIGHUP ends the
 * process (a handler is installed in front of the previous one, which still
 * runs; only SIGKILL and power loss can leave such a temporary).
 *
 * atomicfile_write buffers (1 MiB) and writes with write(2).
 * atomicfile_commit flushes, fsyncs, checks the target again, puts the file
 * in place (linked to a unique name, then renamed over the target; with
 * ATOMICFILE_CREATE linked or renamed only where no file is) and fsyncs the
 * directory. If anything fails, or atomicfile_abort is called, no temporary
 * remains: a reader never sees a half-written file under the target's name,
 * and a file already there is untouched. Errors fill err with one line that
 * names the path and the cause, and leave its errno in af->error (EEXIST: a
 * file was there with ATOMICFILE_CREATE). Owns its buffer and descriptor;
 * commit or abort frees them. One thread per struct atomicfile.
 */
#ifndef OBSLAB_ATOMICFILE_H
#define OBSLAB_ATOMICFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "obslab/error.h"

enum atomicfile_flags {
	ATOMICFILE_CREATE = 1 << 0, /* never replace a file: one there fails with EEXIST */
	ATOMICFILE_NAMED = 1 << 1,  /* a named temporary even where O_TMPFILE works */
};

struct atomicfile {
	int fd;
	int error;      /* the first failure's errno: later writes are skipped */
	unsigned flags;
	bool named;     /* the temporary has a name, tmp */
	int slot;       /* its entry in the list the signal handler removes, or -1 */
	bool existed;   /* a file was at path when opened: its mode, owner, group */
	bool replaced;  /* after a commit: a file was replaced */
	mode_t mode;
	uid_t uid;
	gid_t gid;
	char *buf;
	size_t len, cap;
	char path[4096];
	char tmp[4096 + 16];
};

/* What atomicfile_open would refuse at path, checked before any work:
 * false with err filled. Nothing there yet: its directory must exist and be
 * writable. Not a promise: open and commit check again. */
bool atomicfile_check(const char *path, unsigned flags, struct obslab_error *err);
/* Whether a and b name the same file, by whatever spelling: the same inode
 * (symbolic links followed, hard links) when both exist; when neither does,
 * the same name once dangling links are followed (their targets read,
 * relative to each link's directory, through a chain) and the directories
 * resolved. A file that is there
 * and one that is not are different. Looks only; any thread. */
bool atomicfile_same(const char *a, const char *b);
bool atomicfile_open(struct atomicfile *af, const char *path, unsigned flags, struct obslab_error *err);
/* Appends len bytes; false (and remembers the cause) once a write failed. */
bool atomicfile_write(struct atomicfile *af, const char *buf, size_t len);
bool atomicfile_commit(struct atomicfile *af, struct obslab_error *err);
void atomicfile_abort(struct atomicfile *af);

#endif
