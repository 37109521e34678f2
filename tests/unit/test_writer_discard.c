/* test_writer_discard.c - formats/logw.c leaves no log file behind when not
 * even its first bytes could be written (issue #16: a 0-byte log was left at
 * "disk full" on open), keeps an empty but cleanly closed log, and never
 * removes a file that is not the one it created. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "formats/logw.h"
#include "tests/unit/nt_test.h"

static char dir[] = "/tmp/nt_wdiscard.XXXXXX";

static const char *path(const char *name)
{
	static char p[256];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

/* In a child limited to a file size of LIMIT bytes (writes past it fail with
 * EFBIG, as on a full disk): open the writer, write a metadata block, abort.
 * Returns the child's exit code: 0 open ok, 1 open failed. */
static int child_write(const char *p, rlim_t limit, int meta)
{
	pid_t pid = fork();
	int st;

	if (!pid) {
		struct rlimit rl = { limit, limit };
		struct ntl_writer_opts o = { .sz = sizeof(o) };
		struct ntl_writer *w;

		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &rl);
		if (ntl_writer_open(&w, p, &o))
			_exit(1);
		if (meta)
			ntl_writer_meta(w, 1, "{\"tool\":\"t\"}", 12);
		ntl_writer_abort(w);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST(no_file_when_the_preamble_does_not_fit)
{
	struct stat st;

	CHECK_EQ_INT(child_write(path("full.ntl"), 0, 0), 1);
	CHECK(stat(path("full.ntl"), &st) && errno == ENOENT);
}

TEST(no_file_when_only_the_preamble_fits)
{
	struct stat st;

	/* the preamble (16 bytes) fits, the first block does not: aborted */
	CHECK_EQ_INT(child_write(path("pre.ntl"), 20, 1), 0);
	CHECK(stat(path("pre.ntl"), &st) && errno == ENOENT);
}

TEST(a_log_with_a_block_stays_after_abort)
{
	struct stat st;

	CHECK_EQ_INT(child_write(path("blk.ntl"), 1 << 20, 1), 0);
	CHECK_EQ_INT(stat(path("blk.ntl"), &st), 0);
	CHECK(st.st_size > 16);
}

TEST(an_empty_log_closed_cleanly_stays)
{
	struct ntl_writer_opts o = { .sz = sizeof(o) };
	struct ntl_writer *w;
	struct stat st;

	CHECK_EQ_INT(ntl_writer_open(&w, path("empty.ntl"), &o), 0);
	CHECK_EQ_INT(ntl_writer_close(w, NULL), 0);
	CHECK_EQ_INT(stat(path("empty.ntl"), &st), 0);
	CHECK_EQ_INT(st.st_size, 16);
}

TEST(a_replaced_file_is_not_removed)
{
	struct ntl_writer_opts o = { .sz = sizeof(o) };
	struct ntl_writer *w;
	struct stat st;
	FILE *f;

	CHECK_EQ_INT(ntl_writer_open(&w, path("moved.ntl"), &o), 0);
	/* someone else puts another file at the path before the abort */
	CHECK_EQ_INT(unlink(path("moved.ntl")), 0);
	f = fopen(path("moved.ntl"), "w");
	CHECK(f);
	fputs("theirs", f);
	fclose(f);
	ntl_writer_abort(w);
	CHECK_EQ_INT(stat(path("moved.ntl"), &st), 0);
	CHECK_EQ_INT(st.st_size, 6);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		printf("FAIL: test_writer_discard: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	RUN(no_file_when_the_preamble_does_not_fit);
	RUN(no_file_when_only_the_preamble_fits);
	RUN(a_log_with_a_block_stays_after_abort);
	RUN(an_empty_log_closed_cleanly_stays);
	RUN(a_replaced_file_is_not_removed);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			printf("# could not remove %s\n", dir);
	}
	TEST_EXIT();
}
