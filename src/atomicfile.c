#include "obslab/atomicfile.h"
#include "obslab/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUFFER (1u << 20)

static bool fail(char *err, size_t cap, const char *what, const char *path, int error)
{
	snprintf(err, cap, "cannot %s %s: %s", what, path, strerror(error));
	return false;
}

bool atomicfile_open(struct atomicfile *af, const char *path, char *err, size_t cap)
{
	memset(af, 0, sizeof *af);
	af->fd = -1;
	if (strlen(path) >= sizeof af->path) {
		snprintf(err, cap, "the path is too long: %.60s...", path);
		return false;
	}
	strcpy(af->path, path);
	snprintf(af->tmp, sizeof af->tmp, "%s.XXXXXX", path);
	af->fd = mkstemp(af->tmp);
	if (af->fd < 0)
		return fail(err, cap, "write", path, errno);
	af->buf = xmalloc(BUFFER);
	af->cap = BUFFER;
	return true;
}

/* Writes all of buf, across short writes and signals; remembers a failure. */
static bool write_all(struct atomicfile *af, const char *buf, size_t len)
{
	for (size_t done = 0; done < len && !af->error;) {
		ssize_t n = write(af->fd, buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			af->error = n < 0 ? errno : EIO;
		else
			done += (size_t)n;
	}
	return !af->error;
}

static bool flush(struct atomicfile *af)
{
	bool ok = write_all(af, af->buf, af->len);
	af->len = 0;
	return ok;
}

bool atomicfile_write(struct atomicfile *af, const char *buf, size_t len)
{
	if (af->error)
		return false;
	if (af->len + len > af->cap && !flush(af))
		return false;
	if (len > af->cap) /* larger than the buffer: straight out */
		return write_all(af, buf, len);
	memcpy(af->buf + af->len, buf, len);
	af->len += len;
	return true;
}

void atomicfile_abort(struct atomicfile *af)
{
	if (af->fd >= 0) {
		close(af->fd);
		unlink(af->tmp);
		af->fd = -1;
	}
	free(af->buf);
	af->buf = NULL;
}

/* The rename is durable once the directory entry is on disk. */
static int sync_directory(const char *path)
{
	char copy[4096];
	snprintf(copy, sizeof copy, "%s", path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

bool atomicfile_commit(struct atomicfile *af, char *err, size_t cap)
{
	int error = flush(af) ? 0 : af->error;
	if (!error && fsync(af->fd) != 0)
		error = errno;
	if (close(af->fd) != 0 && !error)
		error = errno;
	af->fd = -1;
	free(af->buf);
	af->buf = NULL;
	if (!error && rename(af->tmp, af->path) != 0)
		error = errno;
	if (error) {
		unlink(af->tmp);
		return fail(err, cap, "write", af->path, error);
	}
	if (sync_directory(af->path) != 0)
		return fail(err, cap, "sync the directory of", af->path, errno);
	return true;
}
