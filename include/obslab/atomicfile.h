/*
 * atomicfile — a file that appears whole, or not at all.
 *
 * atomicfile_open creates a temporary file beside the target (the same
 * directory, so the final rename is atomic); atomicfile_write buffers (1 MiB)
 * and writes it out with write(2). atomicfile_commit flushes, fsyncs,
 * renames the temporary over the target and fsyncs the directory. If
 * anything fails, or atomicfile_abort is called, the temporary is removed:
 * a reader never sees a half-written file under the target's name, and a
 * file already there is untouched. Errors fill err with one line that names
 * the path and the cause. Owns its buffer; commit or abort frees it.
 */
#ifndef OBSLAB_ATOMICFILE_H
#define OBSLAB_ATOMICFILE_H

#include <stdbool.h>
#include <stddef.h>

struct atomicfile {
	int fd;
	int error;      /* the first failed write's errno: later writes are skipped */
	char *buf;
	size_t len, cap;
	char path[4096];
	char tmp[4096 + 16];
};

bool atomicfile_open(struct atomicfile *af, const char *path, char *err, size_t cap);
/* Appends len bytes; false (and remembers the cause) once a write failed. */
bool atomicfile_write(struct atomicfile *af, const char *buf, size_t len);
bool atomicfile_commit(struct atomicfile *af, char *err, size_t cap);
void atomicfile_abort(struct atomicfile *af);

#endif
