/* atomicfile: whole files or none, only where a regular file may be, and no
 * temporary left behind (include/obslab/atomicfile.h has the contract). */
#define _GNU_SOURCE /* O_TMPFILE, renameat2 */
#include "obslab/atomicfile.h"
#include "obslab/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BUFFER (1u << 20)
#define NAME_TRIES 100
#define MAX_NAMED 8 /* named temporaries the signal handler knows at once */

static bool fail(struct atomicfile *af, struct obslab_error *err, const char *what, int error)
{
	af->error = error;
	obslab_error_set(err, "cannot %s %s: %s", what, af->path, strerror(error));
	return false;
}

/* ---- named temporaries, removed when a signal ends the process ---------- */

/* Every signal whose default action ends the process: those sent from
 * elsewhere first (held while a name is being made), then the faults a
 * process raises itself, which must never be blocked. */
static const int end_signals[] = {
	SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGALRM, SIGUSR1, SIGUSR2, SIGXCPU, SIGXFSZ,
	SIGPROF, SIGVTALRM, SIGIO, SIGSYS, SIGTRAP, SIGABRT, SIGBUS, SIGSEGV, SIGFPE, SIGILL,
};
#define NSIGNALS (sizeof end_signals / sizeof end_signals[0])
#define NHELD 13 /* SIGINT .. SIGSYS: the ones hold_signals blocks */
static struct sigaction saved_actions[NSIGNALS];
static atomic_bool handlers_installed;
static char named_paths[MAX_NAMED][sizeof ((struct atomicfile *)0)->tmp];
static atomic_bool named_live[MAX_NAMED];

/* Runs the handler that was there before; where that is the default (the
 * process ends), removes the named temporaries first and lets it end. */
static void on_end_signal(int sig, siginfo_t *info, void *context)
{
	size_t k = 0;
	while (k < NSIGNALS && end_signals[k] != sig)
		k++;
	if (k == NSIGNALS)
		return;
	const struct sigaction *prev = &saved_actions[k];
	if (prev->sa_flags & SA_SIGINFO) {
		prev->sa_sigaction(sig, info, context);
		return;
	}
	if (prev->sa_handler == SIG_IGN)
		return;
	if (prev->sa_handler != SIG_DFL) {
		prev->sa_handler(sig);
		return;
	}
	for (size_t i = 0; i < MAX_NAMED; i++)
		if (atomic_load(&named_live[i]))
			unlink(named_paths[i]);
	struct sigaction dfl;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
	raise(sig); /* delivered, by the default action, once this returns */
}

static void install_handlers(void)
{
	if (atomic_exchange(&handlers_installed, true))
		return;
	for (size_t k = 0; k < NSIGNALS; k++) {
		struct sigaction sa;
		if (sigaction(end_signals[k], NULL, &saved_actions[k]) != 0 ||
		    (!(saved_actions[k].sa_flags & SA_SIGINFO) && saved_actions[k].sa_handler == SIG_IGN))
			continue; /* ignored stays ignored */
		memset(&sa, 0, sizeof sa);
		sa.sa_sigaction = on_end_signal;
		sa.sa_flags = SA_SIGINFO | (saved_actions[k].sa_flags & SA_RESTART);
		sigemptyset(&sa.sa_mask);
		sigaction(end_signals[k], &sa, NULL);
	}
}

/* The ending signals are held while a name is created, registered, put in
 * place or removed, so the handler never sees a name half-way. */
static void hold_signals(sigset_t *old)
{
	sigset_t set;
	sigemptyset(&set);
	for (size_t k = 0; k < NHELD; k++)
		sigaddset(&set, end_signals[k]);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

static void release_signals(const sigset_t *old)
{
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

static void register_named(struct atomicfile *af)
{
	af->slot = -1;
	for (int i = 0; i < MAX_NAMED; i++) {
		if (atomic_load(&named_live[i]))
			continue;
		memcpy(named_paths[i], af->tmp, sizeof af->tmp);
		atomic_store(&named_live[i], true);
		af->slot = i;
		return;
	}
}

static void unregister_named(struct atomicfile *af)
{
	if (af->slot >= 0)
		atomic_store(&named_live[af->slot], false);
	af->slot = -1;
}

/* ---- names and targets -------------------------------------------------- */

/* Mixed into a temporary's name when getrandom has no entropy to give:
 * two names asked for in the same nanosecond still differ. Any thread. */
static atomic_uint name_counter;

/* dest = "PATH.XXXXXX", six random letters and digits. */
static void unique_name(const char *path, char *dest, size_t cap)
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned char r[6];
	if (getrandom(r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 20) ^ ((uint64_t)atomic_fetch_add(&name_counter, 1) << 40);
		for (size_t i = 0; i < sizeof r; i++, x >>= 8)
			r[i] = (unsigned char)x;
	}
	char suffix[sizeof r + 1];
	for (size_t i = 0; i < sizeof r; i++)
		suffix[i] = alphabet[r[i] % (sizeof alphabet - 1)];
	suffix[sizeof r] = '\0';
	snprintf(dest, cap, "%s.%s", path, suffix);
}

static const char *kind_of(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a regular file";
}

/* What is at the target, never following a link nor opening it: 0 nothing,
 * 1 a regular file the user may replace (st filled), -1 refused (err set). */
static int inspect_target(struct atomicfile *af, struct stat *st, struct obslab_error *err)
{
	if (lstat(af->path, st) != 0) {
		if (errno == ENOENT)
			return 0;
		fail(af, err, "write", errno);
		return -1;
	}
	if (S_ISLNK(st->st_mode)) {
		af->error = ELOOP;
		obslab_error_set(err, "cannot write %s: it is a symbolic link (not followed, not replaced: name the file it points to)",
		         af->path);
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		af->error = EINVAL;
		obslab_error_set(err, "cannot write %s: it is %s, not a regular file", af->path, kind_of(st->st_mode));
		return -1;
	}
	if (af->flags & ATOMICFILE_CREATE) {
		fail(af, err, "write", EEXIST);
		return -1;
	}
	if (faccessat(AT_FDCWD, af->path, W_OK, AT_EACCESS) != 0) {
		af->error = errno;
		obslab_error_set(err, "cannot write %s: %s (mode %04o)", af->path, strerror(errno),
		         (unsigned)(st->st_mode & 07777));
		return -1;
	}
	return 1;
}

bool atomicfile_check(const char *path, unsigned flags, struct obslab_error *err)
{
	struct atomicfile af = { .fd = -1, .slot = -1 }; /* only its path, flags and error */
	af.flags = flags;
	if (strlen(path) >= sizeof af.path) {
		obslab_error_set(err, "the path is too long: %.60s...", path);
		return false;
	}
	strcpy(af.path, path);
	struct stat st;
	int there = inspect_target(&af, &st, err);
	if (there != 0)
		return there > 0;
	/* Nothing there yet: the directory it would go in must be one, and
	 * writable (nothing is created to find out). */
	char dir[sizeof af.path];
	strcpy(dir, path);
	const char *d = dirname(dir);
	if (stat(d, &st) != 0)
		return fail(&af, err, "write", errno);
	if (!S_ISDIR(st.st_mode))
		return fail(&af, err, "write", ENOTDIR);
	if (faccessat(AT_FDCWD, d, W_OK | X_OK, AT_EACCESS) != 0)
		return fail(&af, err, "write", errno);
	return true;
}

/* The canonical name of a path that may not exist yet: its directory
 * resolved (symbolic links, "..", "."), then its last component. */
static bool canonical(const char *path, char *out, size_t cap)
{
	char copy[4096], dir_real[4096];
	if (strlen(path) >= sizeof copy)
		return false;
	strcpy(copy, path);
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return false;
	if (!realpath(dirname(copy), dir_real))
		return false;
	int n = snprintf(out, cap, "%s/%s", dir_real, base);
	return n > 0 && (size_t)n < cap;
}

/* Where a name that is not there leads: a symbolic link's target, read
 * (relative to the link's directory) through a chain of links until a name
 * that is not a link; the name itself otherwise. False for a chain too long
 * or a name too long. out may be path's own buffer. */
static bool follow_links(const char *path, char *out, size_t cap)
{
	char cur[4096], target[4096];
	if (strlen(path) >= sizeof cur)
		return false;
	strcpy(cur, path);
	for (int hops = 0; hops < 40; hops++) {
		struct stat st;
		if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode)) {
			if (strlen(cur) >= cap)
				return false;
			strcpy(out, cur);
			return true;
		}
		ssize_t n = readlink(cur, target, sizeof target - 1);
		if (n <= 0)
			return false;
		target[n] = '\0';
		if (target[0] == '/') {
			strcpy(cur, target);
			continue;
		}
		char *slash = strrchr(cur, '/'); /* relative to the link's directory */
		size_t dir_len = slash ? (size_t)(slash - cur) + 1 : 0;
		if (dir_len + (size_t)n >= sizeof cur)
			return false;
		memcpy(cur + dir_len, target, (size_t)n + 1);
	}
	return false; /* a loop, or a chain too long */
}

bool atomicfile_same(const char *a, const char *b)
{
	struct stat sa, sb;
	bool has_a = stat(a, &sa) == 0, has_b = stat(b, &sb) == 0;
	if (has_a && has_b)
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	if (has_a || has_b)
		return false;
	/* Neither is there yet (or a link points nowhere): the same name once
	 * links are followed? A log opened for appending follows a dangling
	 * link and creates its target, and so does SQLite. */
	char fa[4096], fb[4096], ca[4096 + 256], cb[4096 + 256];
	if (!follow_links(a, fa, sizeof fa) || !follow_links(b, fb, sizeof fb))
		return false;
	return canonical(fa, ca, sizeof ca) && canonical(fb, cb, sizeof cb) && strcmp(ca, cb) == 0;
}

/* ---- open ------------------------------------------------------------- */

/* An unnamed file in dir; -1 with errno where that cannot be made. */
static int open_unnamed(const char *dir, mode_t mode)
{
#ifdef O_TMPFILE
	return open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
#else
	(void)dir;
	(void)mode;
	errno = EOPNOTSUPP;
	return -1;
#endif
}

static bool open_named(struct atomicfile *af, mode_t mode, struct obslab_error *err)
{
	install_handlers();
	for (int tries = 0; tries < NAME_TRIES; tries++) {
		unique_name(af->path, af->tmp, sizeof af->tmp);
		sigset_t old;
		hold_signals(&old);
		af->fd = open(af->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		int error = errno;
		if (af->fd >= 0) {
			af->named = true;
			register_named(af);
		}
		release_signals(&old);
		if (af->fd >= 0)
			return true;
		if (error != EEXIST)
			return fail(af, err, "write", error);
	}
	return fail(af, err, "write", EEXIST);
}

/* The replaced file's owner and group where allowed, then its mode. */
static bool keep_attributes(struct atomicfile *af, struct obslab_error *err)
{
	struct stat now;
	if (fstat(af->fd, &now) != 0)
		return fail(af, err, "write", errno);
	if (now.st_uid != af->uid || now.st_gid != af->gid) {
		if (fchown(af->fd, af->uid, af->gid) != 0)
			(void)!fchown(af->fd, (uid_t)-1, af->gid); /* a group of ours, at least */
	}
	if (fchmod(af->fd, af->mode) != 0)
		return fail(af, err, "write", errno);
	return true;
}

bool atomicfile_open(struct atomicfile *af, const char *path, unsigned flags, struct obslab_error *err)
{
	memset(af, 0, sizeof *af);
	af->fd = -1;
	af->slot = -1;
	af->flags = flags;
	if (strlen(path) >= sizeof af->path) {
		af->error = ENAMETOOLONG;
		obslab_error_set(err, "the path is too long: %.60s...", path);
		return false;
	}
	strcpy(af->path, path);
	struct stat st;
	int found = inspect_target(af, &st, err);
	if (found < 0)
		return false;
	af->existed = found == 1;
	/* a new file: the umask applies; a replaced one keeps its permissions
	 * (not set-user-ID or set-group-ID: the content is new) */
	af->mode = af->existed ? st.st_mode & 0777 : 0666;
	af->uid = st.st_uid;
	af->gid = st.st_gid;
	char dir[sizeof af->path];
	memcpy(dir, af->path, sizeof dir);
	if (!(flags & ATOMICFILE_NAMED)) {
		af->fd = open_unnamed(dirname(dir), af->existed ? 0600 : af->mode);
		if (af->fd < 0 && errno != EOPNOTSUPP && errno != EISDIR)
			return fail(af, err, "write", errno);
		if (af->fd >= 0 && access("/proc/self/fd", X_OK) != 0) { /* it could not be linked */
			close(af->fd);
			af->fd = -1;
		}
	}
	if (af->fd < 0 && !open_named(af, af->existed ? 0600 : af->mode, err))
		return false;
	if (af->existed && !keep_attributes(af, err)) {
		int error = af->error;
		atomicfile_abort(af);
		af->error = error;
		return false;
	}
	af->buf = xmalloc(BUFFER);
	af->cap = BUFFER;
	return true;
}

/* ---- write ------------------------------------------------------------ */

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

/* Removes the temporary (with the ending signals held) and frees. */
static void discard(struct atomicfile *af)
{
	sigset_t old;
	hold_signals(&old);
	if (af->fd >= 0)
		close(af->fd);
	af->fd = -1;
	if (af->named) {
		unlink(af->tmp);
		unregister_named(af);
		af->named = false;
	}
	release_signals(&old);
	free(af->buf);
	af->buf = NULL;
}

void atomicfile_abort(struct atomicfile *af)
{
	discard(af);
}

/* ---- commit ----------------------------------------------------------- */

/* Gives the unnamed file the name dest; errno EEXIST if dest is taken.
 * Through /proc (AT_EMPTY_PATH would need CAP_DAC_READ_SEARCH). */
static int link_unnamed(int fd, const char *dest)
{
	char proc[64];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	return linkat(AT_FDCWD, proc, AT_FDCWD, dest, AT_SYMLINK_FOLLOW);
}

/* Renames the named temporary to path, never over a file. */
static int rename_noreplace(const char *from, const char *to)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (link(from, to) != 0) /* a filesystem without RENAME_NOREPLACE */
		return -1;
	unlink(from);
	return 0;
}

/* Puts the complete temporary in place; errno on failure. */
static int put_in_place(struct atomicfile *af)
{
	bool create = af->flags & ATOMICFILE_CREATE;
	if (af->named) {
		int rc = create ? rename_noreplace(af->tmp, af->path) : rename(af->tmp, af->path);
		if (rc != 0)
			return errno;
		unregister_named(af);
		af->named = false;
		return 0;
	}
	if (create)
		return link_unnamed(af->fd, af->path) == 0 ? 0 : errno;
	/* linkat never replaces: a unique name first, then rename over the target */
	for (int tries = 0; tries < NAME_TRIES; tries++) {
		unique_name(af->path, af->tmp, sizeof af->tmp);
		if (link_unnamed(af->fd, af->tmp) != 0) {
			if (errno == EEXIST)
				continue;
			return errno;
		}
		if (rename(af->tmp, af->path) != 0) {
			int error = errno;
			unlink(af->tmp);
			return error;
		}
		return 0;
	}
	return EEXIST;
}

/* The rename is durable once the directory entry is on disk. */
static int sync_directory(const char *path)
{
	char copy[4096];
	snprintf(copy, sizeof copy, "%s", path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

bool atomicfile_commit(struct atomicfile *af, struct obslab_error *err)
{
	int error = flush(af) ? 0 : af->error;
	if (!error && fsync(af->fd) != 0)
		error = errno;
	if (!error && af->named && close(af->fd) != 0)
		error = errno;
	if (af->named)
		af->fd = -1;
	if (error) {
		discard(af);
		return fail(af, err, "write", error);
	}
	/* what is at the target now: it may have changed since the open */
	struct stat st;
	int found = inspect_target(af, &st, err);
	if (found < 0) {
		error = af->error;
		discard(af);
		af->error = error;
		return false;
	}
	sigset_t old;
	hold_signals(&old);
	error = put_in_place(af);
	release_signals(&old);
	discard(af);
	if (error)
		return fail(af, err, "write", error);
	af->replaced = found == 1;
	if (sync_directory(af->path) != 0)
		return fail(af, err, "sync the directory of", errno);
	return true;
}
