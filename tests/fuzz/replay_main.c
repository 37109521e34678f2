// SPDX-License-Identifier: GPL-2.0
/*
 * replay_main.c - a main() for the fuzz targets outside libFuzzer: runs
 * LLVMFuzzerTestOneInput() once on every file given (directories: every file
 * inside, not recursive).  Built with the normal compiler (and with SAN=1
 * under ASan/UBSan) as $(O)/tests/fuzz/fuzz_<target>, used by
 * tests/golden/fuzz_regressions.sh to replay the crash reproducers and the
 * corpora.  Prints "replayed N inputs"; a crash is the test failing.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static long replayed;

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long len;
	int rc = -1;

	if (!f) {
		perror(path);
		return -1;
	}
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		goto out;
	/* exact-size heap copy, so that ASan sees reads past the end */
	buf = malloc(len ? (size_t)len : 1);
	if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len)
		goto out;
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	replayed++;
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "%s: cannot read\n", path);
	free(buf);
	fclose(f);
	return rc;
}

int main(int argc, char **argv)
{
	int err = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st)) {
			perror(argv[i]);
			err = 1;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			err |= replay_file(argv[i]) != 0;
			continue;
		}
		struct dirent **ents;
		int n = scandir(argv[i], &ents, NULL, alphasort);
		if (n < 0) {
			perror(argv[i]);
			err = 1;
			continue;
		}
		for (int j = 0; j < n; j++) {
			char p[4096];
			snprintf(p, sizeof(p), "%s/%s", argv[i], ents[j]->d_name);
			if (ents[j]->d_name[0] != '.' && !stat(p, &st) && S_ISREG(st.st_mode))
				err |= replay_file(p) != 0;
			free(ents[j]);
		}
		free(ents);
	}
	printf("replayed %ld inputs\n", replayed);
	return err;
}
