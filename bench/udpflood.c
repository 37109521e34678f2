// SPDX-License-Identifier: GPL-2.0
/* udpflood - a UDP traffic generator for the recording benches (bench/record.sh):
 * many small datagrams from several flows on every CPU, the sender's user-space
 * cost kept low (sendmmsg batches, one thread and socket per flow, pinned), so
 * what limits the rate is the kernel's cost per packet - the part a recorder adds.
 *
 *   udpflood send DST DPORT SECS PPS THREADS [SIZE [BATCH]]
 *       THREADS threads (thread i on CPU i % ncpu, its own socket bound to an
 *       ephemeral port and connected: one flow each) send SIZE-byte datagrams
 *       (default 64) for SECS seconds, PPS in all (0 = as fast as they can),
 *       BATCH at a time (default 32; each batch one sendmmsg).  Prints one JSON
 *       line: {"sent": N, "failed": F, "secs": S, "cpu_s": C} (C: user +
 *       system seconds of the process); a datagram the kernel refused (ENOBUFS,
 *       EPERM: a drop in the output hook) is counted failed, not sent.
 *   udpflood recv PORT IDLE_MS THREADS
 *       THREADS SO_REUSEPORT sockets on PORT count datagrams (recvmmsg) until
 *       IDLE_MS pass without one after the first, or SIGINT / SIGTERM (8 MiB
 *       receive queues).  Prints {"received": N}.
 *
 * Exit 0 when it ran, 2 on bad usage, 1 on a local error (socket, bind, thread).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXBATCH 256
#define MAXTHREADS 64

static volatile sig_atomic_t stop;
static atomic_ullong total, failed;

static struct {
	struct sockaddr_in dst;
	double secs, pps; /* per thread */
	unsigned size, batch, port, idle_ms;
} cfg;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void pin(long i)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET((int)(i % (n > 0 ? n : 1)), &set);
	sched_setaffinity(0, sizeof(set), &set); /* best effort */
}

static void *sender(void *arg)
{
	static const struct sockaddr_in any = { .sin_family = AF_INET };
	struct mmsghdr m[MAXBATCH];
	struct iovec iov[MAXBATCH];
	char buf[MAXBATCH][64];
	unsigned long long sent = 0, fail = 0;
	double t0, end;
	int fd;

	pin((long)arg);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (const struct sockaddr *)&any, sizeof(any)) ||
	    connect(fd, (const struct sockaddr *)&cfg.dst, sizeof(cfg.dst))) {
		perror("udpflood: socket");
		exit(1);
	}
	memset(m, 0, sizeof(m));
	for (unsigned i = 0; i < cfg.batch; i++) {
		memset(buf[i], 'x', sizeof(buf[i]));
		iov[i].iov_base = buf[i];
		iov[i].iov_len = cfg.size;
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = now();
	end = t0 + cfg.secs;
	while (!stop) {
		double t = now();
		int r;

		if (t >= end)
			break;
		if (cfg.pps > 0) {
			/* the schedule: batch k leaves at t0 + k * batch / pps */
			double due = t0 + (sent + fail) / cfg.pps;

			if (due > t) {
				struct timespec d = { (time_t)(due - t), (long)((due - t - (time_t)(due - t)) * 1e9) };

				nanosleep(&d, NULL);
				continue;
			}
		}
		r = sendmmsg(fd, m, cfg.batch, 0);
		if (r > 0) {
			sent += (unsigned)r;
			if ((unsigned)r < cfg.batch) /* the datagram after the last sent failed */
				fail++;
		} else if (r < 0 && errno != EINTR) {
			fail++;
		}
	}
	atomic_fetch_add(&total, sent);
	atomic_fetch_add(&failed, fail);
	close(fd);
	return NULL;
}

static void *receiver(void *arg)
{
	static char buf[MAXBATCH][2048];
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)cfg.port) };
	struct mmsghdr m[MAXBATCH];
	struct iovec iov[MAXBATCH];
	unsigned long long got = 0;
	int fd, one = 1, seen = 0, rcvbuf = 8 << 20;

	(void)arg;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    bind(fd, (const struct sockaddr *)&a, sizeof(a))) {
		perror("udpflood: socket");
		exit(1);
	}
	/* 8 MiB of queue (as root beyond rmem_max): a burst waits for the reader
	 * instead of being dropped at the socket */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	memset(m, 0, sizeof(m));
	for (unsigned i = 0; i < MAXBATCH; i++) {
		iov[i].iov_base = buf[i]; /* contents unused: shared */
		iov[i].iov_len = sizeof(buf[i]);
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	while (!stop) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, seen ? (int)cfg.idle_ms : 200);

		if (r == 0 && seen)
			break;
		if (r <= 0)
			continue;
		r = recvmmsg(fd, m, MAXBATCH, MSG_DONTWAIT, NULL);
		if (r > 0) {
			got += (unsigned)r;
			seen = 1;
		}
	}
	atomic_fetch_add(&total, got);
	stop = 1; /* one idle socket ends them all */
	close(fd);
	return NULL;
}

static int usage(void)
{
	fprintf(stderr, "usage: udpflood send DST DPORT SECS PPS THREADS [SIZE [BATCH]] | "
			"udpflood recv PORT IDLE_MS THREADS\n");
	return 2;
}

int main(int argc, char **argv)
{
	pthread_t th[MAXTHREADS];
	struct sigaction sa = { .sa_handler = on_signal };
	struct rusage ru;
	long n;
	int snd;
	double t0;

	if (argc < 5)
		return usage();
	snd = !strcmp(argv[1], "send");
	if (snd) {
		if (argc < 7 || inet_pton(AF_INET, argv[2], &cfg.dst.sin_addr) != 1)
			return usage();
		cfg.dst.sin_family = AF_INET;
		cfg.dst.sin_port = htons((uint16_t)atoi(argv[3]));
		cfg.secs = atof(argv[4]);
		n = atol(argv[6]);
		cfg.size = argc > 7 ? (unsigned)atoi(argv[7]) : 64;
		cfg.batch = argc > 8 ? (unsigned)atoi(argv[8]) : 32;
		if (n < 1 || n > MAXTHREADS || cfg.secs <= 0 || cfg.size < 1 || cfg.size > 64 ||
		    cfg.batch < 1 || cfg.batch > MAXBATCH)
			return usage();
		cfg.pps = atof(argv[5]) / (double)n;
	} else if (!strcmp(argv[1], "recv")) {
		cfg.port = (unsigned)atoi(argv[2]);
		cfg.idle_ms = (unsigned)atoi(argv[3]);
		n = atol(argv[4]);
		if (n < 1 || n > MAXTHREADS || !cfg.port)
			return usage();
	} else {
		return usage();
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	t0 = now();
	for (long i = 0; i < n; i++)
		if (pthread_create(&th[i], NULL, snd ? sender : receiver, (void *)i)) {
			fprintf(stderr, "udpflood: cannot start a thread\n");
			return 1;
		}
	for (long i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	getrusage(RUSAGE_SELF, &ru);
	if (snd)
		printf("{\"sent\": %llu, \"failed\": %llu, \"secs\": %.3f, \"cpu_s\": %.3f}\n",
		       (unsigned long long)total, (unsigned long long)failed, now() - t0,
		       ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
			       ru.ru_stime.tv_usec / 1e6);
	else
		printf("{\"received\": %llu}\n", (unsigned long long)total);
	return 0;
}
