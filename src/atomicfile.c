#include "obslab/atomicfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool fail(char *err, size_t cap, const char *what, const char *path, int error)
{
	snprintf(err, cap, "cannot %s %s: %s", what, path, strerror(error));
	return false;
}

bool atomicfile_open(struct atomicfile *af, const char *path, char *err, size_t cap)
{
	memset(af, 0, sizeof *af);
	if (strlen(path) >= sizeof af->path) {
		snprintf(err, cap, "the path is too long: %.60s...", path);
		return false;
	}
	strcpy(af->path, path);
	snprintf(af->tmp, sizeof af->tmp, "%s.XXXXXX", path);
	int fd = mkstemp(af->tmp);
	if (fd < 0)
		return fail(err, cap, "write", path, errno);
	af->fp = fdopen(fd, "w");
	if (!af->fp) {
		int e = errno;
		close(fd);
		unlink(af->tmp);
		return fail(err, cap, "write", path, e);
	}
	return true;
}

bool atomicfile_write(struct atomicfile *af, const char *buf, size_t len)
{
	if (af->error)
		return false;
	if (fwrite(buf, 1, len, af->fp) != len) {
		af->error = errno ? errno : EIO;
		return false;
	}
	return true;
}

void atomicfile_abort(struct atomicfile *af)
{
	if (af->fp) {
		fclose(af->fp);
		af->fp = NULL;
		unlink(af->tmp);
	}
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
	FILE *fp = af->fp;
	af->fp = NULL;
	int error = af->error;
	if (!error && ferror(fp))
		error = EIO;
	if (!error && fflush(fp) != 0)
		error = errno;
	if (!error && fsync(fileno(fp)) != 0)
		error = errno;
	if (fclose(fp) != 0 && !error)
		error = errno;
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
