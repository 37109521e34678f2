/* test_safefile.c - common/safefile.c: FIFOs, devices, sockets and (unless
 * wanted) directories are refused without blocking; reads are capped and do
 * not trust st_size (/proc files report 0). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/safefile.h"
#include "common/util.h"
#include "tests/unit/nt_test.h"

static char dir[] = "/tmp/nt_safefile.XXXXXX";

static const char *path(const char *name)
{
	static char p[256];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static void write_file(const char *name, const char *data, size_t n)
{
	FILE *f = fopen(path(name), "w");

	if (f) {
		fwrite(data, 1, n, f);
		fclose(f);
	}
}

TEST(regular_file_read_whole)
{
	char *buf = NULL;
	size_t len = 0;

	write_file("a.json", "{\"a\":1}", 7);
	CHECK_EQ_INT(nt_sf_read(path("a.json"), 1024, &buf, &len), 0);
	CHECK_EQ_INT(len, 7);
	CHECK_EQ_STR(buf, "{\"a\":1}");
	free(buf);
	write_file("empty", "", 0);
	CHECK_EQ_INT(nt_sf_read(path("empty"), 1024, &buf, &len), 0);
	CHECK_EQ_INT(len, 0);
	CHECK_EQ_STR(buf, "");
	free(buf);
}

TEST(size_cap)
{
	static char big[300000];
	char *buf = NULL;
	size_t len = 0;

	memset(big, 'k', sizeof(big));
	write_file("big", big, sizeof(big));
	CHECK_EQ_INT(nt_sf_read(path("big"), sizeof(big) - 1, &buf, &len), -EFBIG);
	CHECK_EQ_INT(nt_sf_read(path("big"), 1000, &buf, &len), -EFBIG);
	CHECK_EQ_INT(nt_sf_read(path("big"), sizeof(big), &buf, &len), 0);
	CHECK_EQ_INT(len, sizeof(big));
	free(buf);
	CHECK_EQ_INT(nt_sf_read(path("big"), 1 << 30, &buf, &len), 0);
	CHECK_EQ_INT(len, sizeof(big));
	free(buf);
	/* cap 0: only an empty file */
	CHECK_EQ_INT(nt_sf_read(path("big"), 0, &buf, &len), -EFBIG);
	CHECK_EQ_INT(nt_sf_read(path("empty"), 0, &buf, &len), 0);
	free(buf);
}

TEST(proc_file_of_size_zero)
{
	char *buf = NULL;
	size_t len = 0;
	struct stat st;

	CHECK(!stat("/proc/self/status", &st) && st.st_size == 0);
	CHECK_EQ_INT(nt_sf_read("/proc/self/status", 1 << 20, &buf, &len), 0);
	CHECK(len > 100);
	CHECK(strstr(buf, "Name:") == buf);
	free(buf);
}

TEST(fifo_refused_without_blocking)
{
	char *buf = NULL;
	size_t len;

	CHECK(!mkfifo(path("fifo"), 0600));
	alarm(5); /* a blocking open would hang here */
	CHECK_EQ_INT(nt_sf_open(path("fifo"), 0), -NT_SF_EFIFO);
	CHECK_EQ_INT(nt_sf_read(path("fifo"), 100, &buf, &len), -NT_SF_EFIFO);
	CHECK_EQ_STR(nt_sf_strerror(-NT_SF_EFIFO), "is a FIFO (named pipe), not a regular file");
	alarm(0);
}

TEST(devices_refused)
{
	char *buf = NULL;
	size_t len;

	CHECK_EQ_INT(nt_sf_read("/dev/zero", 1 << 20, &buf, &len), -NT_SF_ECHR);
	CHECK_EQ_STR(nt_sf_strerror(-NT_SF_ECHR), "is a character device, not a regular file");
	CHECK_EQ_INT(nt_sf_open("/dev/null", 0), -NT_SF_ECHR);
	CHECK_EQ_STR(nt_sf_strerror(-EFBIG), "File too large");
}

TEST(socket_refused)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM, 0), r;

	CHECK(s >= 0);
	if (strlen(path("sock")) >= sizeof(a.sun_path))
		return;
	memcpy(a.sun_path, path("sock"), strlen(path("sock")) + 1);
	CHECK(!bind(s, (struct sockaddr *)&a, sizeof(a)));
	r = nt_sf_open(path("sock"), 0);
	close(s);
	/* open(2) of a socket fails with ENXIO before any fstat */
	CHECK(r == -ENXIO || r == -NT_SF_ESOCK);
	CHECK_EQ_STR(nt_sf_strerror(r), r == -ENXIO ? strerror(ENXIO) : "is a socket, not a regular file");
}

TEST(directories_only_when_wanted)
{
	int fd;

	CHECK_EQ_INT(nt_sf_open(dir, 0), -EISDIR);
	fd = nt_sf_open(dir, NT_SF_DIR_OK);
	CHECK(fd >= 0);
	/* blocking mode again */
	CHECK(!(fcntl(fd, F_GETFL) & O_NONBLOCK));
	close(fd);
	CHECK_EQ_INT(nt_sf_open(path("missing"), 0), -ENOENT);
	CHECK_EQ_STR(nt_sf_strerror(-ENOENT), "No such file or directory");
}

/* common/util.h nt_grow: doubling from FIRST, zeroing, refusal of overflow */
TEST(grow_arrays)
{
	uint64_t *v = NULL;
	size_t cap = 0;

	CHECK_EQ_INT(nt_grow((void **)&v, &cap, 5, sizeof(*v), 4, 1), 0);
	CHECK_EQ_INT(cap, 8);
	for (size_t i = 0; i < cap; i++)
		CHECK_EQ_INT(v[i], 0);
	v[7] = 42;
	CHECK_EQ_INT(nt_grow((void **)&v, &cap, 8, sizeof(*v), 4, 1), 0); /* fits: as is */
	CHECK_EQ_INT(cap, 8);
	CHECK_EQ_INT(nt_grow((void **)&v, &cap, 33, sizeof(*v), 4, 1), 0);
	CHECK_EQ_INT(cap, 64);
	CHECK_EQ_INT(v[7], 42);
	CHECK_EQ_INT(v[8], 0);
	CHECK_EQ_INT(v[63], 0);
	CHECK_EQ_INT(nt_grow((void **)&v, &cap, SIZE_MAX / 4, sizeof(*v), 4, 1), -ENOMEM);
	CHECK_EQ_INT(cap, 64); /* unchanged on failure */
	free(v);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		printf("FAIL: test_safefile: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	RUN(grow_arrays);
	RUN(regular_file_read_whole);
	RUN(size_cap);
	RUN(proc_file_of_size_zero);
	RUN(fifo_refused_without_blocking);
	RUN(devices_refused);
	RUN(socket_refused);
	RUN(directories_only_when_wanted);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			printf("# could not remove %s\n", dir);
	}
	TEST_EXIT();
}
