/* atomicfile: what it refuses, the modes it gives, and no temporary left by
 * a failure or a signal, with an unnamed temporary and with a named one (what
 * filesystems without O_TMPFILE get). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "obslab/atomicfile.h"

static char dir[4096];

static int make_dir(void **state)
{
	(void)state;
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/atomicfile-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	(void)state;
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *at(const char *name)
{
	static char path[2][4200];
	static int k;
	k ^= 1;
	snprintf(path[k], sizeof path[k], "%s/%s", dir, name);
	return path[k];
}

/* The names in the directory, sorted, space-separated. */
static const char *listing(void)
{
	static char out[4096];
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "ls -A '%s' | tr '\\n' ' '", dir);
	FILE *p = popen(cmd, "r");
	out[0] = '\0';
	if (p) {
		size_t n = fread(out, 1, sizeof out - 1, p);
		out[n] = '\0';
		pclose(p);
	}
	return out;
}

static void put_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static const char *contents(const char *path)
{
	static char out[256];
	FILE *f = fopen(path, "r");
	if (!f)
		return "(missing)";
	size_t n = fread(out, 1, sizeof out - 1, f);
	out[n] = '\0';
	fclose(f);
	return out;
}

static bool write_whole(const char *path, unsigned flags, const char *text, struct obslab_error *err)
{
	struct atomicfile af;
	if (!atomicfile_open(&af, path, flags, err))
		return false;
	atomicfile_write(&af, text, strlen(text));
	return atomicfile_commit(&af, err);
}

static void refuses_what_is_not_a_regular_file(void **state)
{
	(void)state;
	struct obslab_error err;
	assert_int_equal(mkdir(at("d"), 0755), 0);
	assert_int_equal(mkfifo(at("fifo"), 0644), 0);
	put_file(at("real"), "old", 0644);
	assert_int_equal(symlink("real", at("link")), 0);
	assert_int_equal(symlink("nowhere", at("dangling")), 0);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", at("sock"));
	assert_int_equal(bind(s, (struct sockaddr *)&sun, sizeof sun), 0);
	const char *before = strdup(listing());
	const char *names[] = { "d", "fifo", "link", "dangling", "sock" };
	const char *says[] = { "it is a directory, not a regular file", "it is a FIFO, not a regular file",
		               "it is a symbolic link", "it is a symbolic link", "it is a socket, not a regular file" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		for (unsigned flags = 0; flags <= ATOMICFILE_NAMED; flags += ATOMICFILE_NAMED) {
			assert_false(write_whole(at(names[i]), flags, "new", &err));
			assert_non_null(strstr(err.msg, says[i]));
			assert_false(atomicfile_check(at(names[i]), 0, &err));
		}
	}
	assert_string_equal(listing(), before);
	assert_string_equal(contents(at("real")), "old");
	struct stat st;
	assert_int_equal(lstat(at("link"), &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	close(s);
	free((void *)before);
}

/* A target that turns into a link between open and commit is not replaced. */
static void checks_the_target_again_at_commit(void **state)
{
	(void)state;
	struct obslab_error err;
	put_file(at("real"), "old", 0644);
	put_file(at("target"), "old", 0644);
	for (unsigned flags = 0; flags <= ATOMICFILE_NAMED; flags += ATOMICFILE_NAMED) {
		struct atomicfile af;
		assert_true(atomicfile_open(&af, at("target"), flags, &err));
		atomicfile_write(&af, "new", 3);
		assert_int_equal(unlink(at("target")), 0);
		assert_int_equal(symlink("real", at("target")), 0);
		assert_false(atomicfile_commit(&af, &err));
		assert_non_null(strstr(err.msg, "symbolic link"));
		assert_string_equal(listing(), "real target ");
		assert_string_equal(contents(at("real")), "old");
		assert_int_equal(unlink(at("target")), 0);
		put_file(at("target"), "old", 0644);
	}
}

static void new_files_follow_the_umask_old_ones_keep_their_mode(void **state)
{
	(void)state;
	struct obslab_error err;
	struct stat st;
	for (unsigned flags = 0; flags <= ATOMICFILE_NAMED; flags += ATOMICFILE_NAMED) {
		mode_t old = umask(022);
		assert_true(write_whole(at("a"), flags, "a", &err));
		umask(077);
		assert_true(write_whole(at("b"), flags, "b", &err));
		put_file(at("c"), "old", 0664);
		assert_true(write_whole(at("c"), flags, "c", &err));
		umask(old);
		assert_int_equal(stat(at("a"), &st), 0);
		assert_int_equal(st.st_mode & 07777, 0644);
		assert_int_equal(stat(at("b"), &st), 0);
		assert_int_equal(st.st_mode & 07777, 0600);
		assert_int_equal(stat(at("c"), &st), 0);
		assert_int_equal(st.st_mode & 07777, 0664);
		assert_string_equal(contents(at("c")), "c");
		assert_string_equal(listing(), "a b c ");
		unlink(at("a"));
		unlink(at("b"));
		unlink(at("c"));
	}
}

static void create_never_replaces_and_replace_says_so(void **state)
{
	(void)state;
	struct obslab_error err;
	for (unsigned flags = 0; flags <= ATOMICFILE_NAMED; flags += ATOMICFILE_NAMED) {
		struct atomicfile af;
		assert_true(atomicfile_open(&af, at("x"), flags | ATOMICFILE_CREATE, &err));
		atomicfile_write(&af, "first", 5);
		/* another writer takes the name meanwhile */
		put_file(at("x"), "other", 0644);
		assert_false(atomicfile_commit(&af, &err));
		assert_int_equal(af.error, EEXIST);
		assert_string_equal(contents(at("x")), "other");
		assert_false(atomicfile_open(&af, at("x"), flags | ATOMICFILE_CREATE, &err));
		assert_int_equal(af.error, EEXIST);
		assert_true(atomicfile_open(&af, at("x"), flags, &err));
		atomicfile_write(&af, "second", 6);
		assert_true(atomicfile_commit(&af, &err));
		assert_true(af.replaced);
		assert_string_equal(contents(at("x")), "second");
		assert_string_equal(listing(), "x ");
		unlink(at("x"));
	}
}

static volatile sig_atomic_t noted;
static void note_signal(int sig)
{
	noted = sig;
}

/* In a child: open with flags, write, then raise sig; the child's status.
 * with_handler: the program has its own handler (the explorer's sets a flag
 * and ends when the export is done), which still runs. */
static int signalled_mid_write(unsigned flags, int sig, bool with_handler)
{
	pid_t pid = fork();
	if (pid == 0) {
		setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 }); /* SIGQUIT, SIGABRT: no core file */
		if (with_handler)
			signal(sig, note_signal);
		struct obslab_error err;
		struct atomicfile af;
		if (!atomicfile_open(&af, at("target"), flags, &err))
			_exit(3);
		atomicfile_write(&af, "new", 3);
		raise(sig);
		if (noted != sig)
			_exit(5);
		_exit(atomicfile_commit(&af, &err) ? 0 : 4);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	return status;
}

static void no_temporary_outlives_a_signal(void **state)
{
	(void)state;
	/* every kind of ending: sent from elsewhere, or the process's own abort */
	const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGALRM, SIGUSR1, SIGXCPU, SIGABRT };
	for (unsigned flags = 0; flags <= ATOMICFILE_NAMED; flags += ATOMICFILE_NAMED) {
		for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
			put_file(at("target"), "old", 0644);
			int status = signalled_mid_write(flags, sigs[i], false);
			assert_true(WIFSIGNALED(status));
			assert_int_equal(WTERMSIG(status), sigs[i]);
			assert_string_equal(listing(), "target ");
			assert_string_equal(contents(at("target")), "old");
			/* a signal the program handles does not end it: the file goes in place */
			status = signalled_mid_write(flags, sigs[i], true);
			assert_true(WIFEXITED(status));
			assert_int_equal(WEXITSTATUS(status), 0);
			assert_string_equal(listing(), "target ");
			assert_string_equal(contents(at("target")), "new");
		}
	}
}

static void a_failure_leaves_nothing(void **state)
{
	(void)state;
	struct obslab_error err;
	for (unsigned flags = 0; flags <= ATOMICFILE_NAMED; flags += ATOMICFILE_NAMED) {
		struct atomicfile af;
		assert_true(atomicfile_open(&af, at("y"), flags, &err));
		atomicfile_write(&af, "half", 4);
		atomicfile_abort(&af);
		assert_string_equal(listing(), "");
		assert_false(atomicfile_open(&af, at("missing/y"), flags, &err));
		assert_non_null(strstr(err.msg, "No such file or directory"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* first: its children install the signal handler after the program's own */
		cmocka_unit_test_setup_teardown(no_temporary_outlives_a_signal, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(refuses_what_is_not_a_regular_file, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(checks_the_target_again_at_commit, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(new_files_follow_the_umask_old_ones_keep_their_mode, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(create_never_replaces_and_replace_says_so, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(a_failure_leaves_nothing, make_dir, remove_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
