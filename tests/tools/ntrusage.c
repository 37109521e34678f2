/* ntrusage.c - run a command and report its exit status and peak RSS.
 *
 * Usage: ntrusage REPORT CMD [ARG...]
 * Forks and execs CMD, waits for it and writes "STATUS MAXRSS_KB" to the file
 * REPORT (STATUS: exit code, or 128 + signal), then exits with STATUS.
 *
 * Why not wait4() in the test driver itself: a child's ru_maxrss includes the
 * RSS of the process it was forked from (the pages it shared until exec), so a
 * command forked from python3 reports python's RSS at least.  Forked from this
 * small program, it reports its own peak within a megabyte.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct rusage ru;
	int status, code;
	pid_t pid;
	FILE *f;

	if (argc < 3) {
		fprintf(stderr, "usage: ntrusage REPORT CMD [ARG...]\n");
		return 2;
	}
	pid = fork();
	if (pid < 0) {
		perror("ntrusage: fork");
		return 2;
	}
	if (!pid) {
		execvp(argv[2], argv + 2);
		fprintf(stderr, "ntrusage: %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR) {
			perror("ntrusage: wait4");
			return 2;
		}
	code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	f = fopen(argv[1], "w");
	if (!f || fprintf(f, "%d %ld\n", code, ru.ru_maxrss) < 0 || fclose(f)) {
		perror("ntrusage: report");
		return 2;
	}
	return code;
}
