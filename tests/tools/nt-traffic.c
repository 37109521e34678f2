/* nt-traffic - deterministic TCP / UDP traffic with its own counts, for the
 * per-packet truth scenario (tests/e2e/truth_router.sh and its VM twin
 * tests/vm/guest/truth.sh; the guest has no python, so this is C).
 *
 *   nt-traffic tcp-serve  PORT N [TIMEOUT_MS]
 *       accept N connections (IPv4 and IPv6, one dual-stack socket); each: read
 *       until EOF, answer "ok <bytes>", close.  Prints "served N".
 *   nt-traffic tcp-connect SPORT DST DPORT TEXT [TIMEOUT_MS]
 *       connect from the fixed source port SPORT, send TEXT, shut down the
 *       write side, read the answer.  Prints one outcome: "reply <text>",
 *       "refused" (RST or ICMP unreachable), "timeout" or "error <errno name>".
 *   nt-traffic udp-send SPORT DST DPORT COUNT [SIZE [PPS [WAIT_MS]]]
 *       send COUNT datagrams of SIZE bytes (default 64) from SPORT, paced at
 *       PPS per second (0 = as fast as possible, default).  Each payload starts
 *       with "ntseq <n>".  Then read answers until WAIT_MS pass without one
 *       (so an answer never meets a closed port).  Prints "sent N failed F
 *       replies R", and " errno NAME" (the last failure's, e.g. EPERM: an
 *       output-hook drop; ENETUNREACH: no route) when F > 0.
 *   nt-traffic udp-recv PORT IDLE_MS [reply]
 *       count datagrams until IDLE_MS pass without one (or SIGTERM / SIGINT);
 *       with "reply", answer each with the same payload.  Prints
 *       "received N replied R" (the receiver's own count).
 *
 * DST is an IPv4 or IPv6 address.  Exit 0 when the operation ran (whatever its
 * outcome), 2 on bad usage, 1 on a local error (socket, bind).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_sig(int s)
{
	(void)s;
	stop = 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: nt-traffic tcp-serve PORT N [TIMEOUT_MS] | tcp-connect SPORT DST DPORT TEXT [TIMEOUT_MS] |\n"
			"       udp-send SPORT DST DPORT COUNT [SIZE [PPS [WAIT_MS]]] | udp-recv PORT IDLE_MS [reply]\n");
	return 2;
}

static long num(const char *s, long lo, long hi)
{
	char *e;
	long v;

	errno = 0;
	v = strtol(s, &e, 10);
	if (errno || *e || e == s || v < lo || v > hi) {
		fprintf(stderr, "nt-traffic: bad number '%s' (%ld..%ld)\n", s, lo, hi);
		exit(2);
	}
	return v;
}

/* destination address -> sockaddr; returns its family */
static int addr(const char *a, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *s4 = (void *)ss;
	struct sockaddr_in6 *s6 = (void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, a, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*len = sizeof(*s4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, a, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
		return AF_INET6;
	}
	fprintf(stderr, "nt-traffic: '%s' is not an IPv4 or IPv6 address\n", a);
	exit(2);
}

/* socket of FAMILY/TYPE bound to the wildcard address and PORT (dual stack for IPv6) */
static int bound(int family, int type, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, zero = 0;
	int fd = socket(family, type, 0);

	if (fd < 0) {
		perror("nt-traffic: socket");
		exit(1);
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	addr(family == AF_INET6 ? "::" : "0.0.0.0", port, &ss, &len);
	if (bind(fd, (void *)&ss, len) < 0) {
		fprintf(stderr, "nt-traffic: bind port %d: %s\n", port, strerror(errno));
		exit(1);
	}
	return fd;
}

static int wait_fd(int fd, short ev, int ms)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int r;

	do
		r = poll(&p, 1, ms);
	while (r < 0 && errno == EINTR && !stop);
	return r;
}

static int tcp_serve(int port, int n, int ms)
{
	int ls = bound(AF_INET6, SOCK_STREAM, port), served = 0;
	char buf[4096], out[64];

	if (listen(ls, 16) < 0) {
		perror("nt-traffic: listen");
		return 1;
	}
	printf("listening %d\n", port);
	fflush(stdout);
	while (served < n && !stop) {
		long got = 0;
		ssize_t r;
		int c;

		if (wait_fd(ls, POLLIN, ms) <= 0)
			break;
		c = accept(ls, NULL, NULL);
		if (c < 0)
			continue;
		while (wait_fd(c, POLLIN, ms) > 0 && (r = read(c, buf, sizeof(buf))) > 0)
			got += r;
		snprintf(out, sizeof(out), "ok %ld\n", got);
		/* the peer may be gone: counted as served anyway */
		if (write(c, out, strlen(out)) < 0)
			got = -1;
		close(c);
		served++;
	}
	printf("served %d\n", served);
	close(ls);
	return 0;
}

static int tcp_connect(int sport, const char *dst, int dport, const char *text, int ms)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fam = addr(dst, dport, &ss, &len);
	int fd = bound(fam, SOCK_STREAM, sport), err = 0;
	char buf[256];
	ssize_t r;

	/* our own timeout: a reset or an ICMP unreachable ends the connect at
	 * once, a silent drop times out */
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (void *)&ss, len) < 0) {
		err = errno;
		goto out;
	}
	if (write(fd, text, strlen(text)) < 0) {
		err = errno;
		goto out;
	}
	shutdown(fd, SHUT_WR);
	r = read(fd, buf, sizeof(buf) - 1);
	if (r < 0) {
		err = errno;
		goto out;
	}
	buf[r] = 0;
	buf[strcspn(buf, "\n")] = 0;
	printf("reply %s\n", buf);
	/* close only after the server's FIN: closed before it arrives, the
	 * socket drops the FIN (TCP_CLOSE) and the server retransmits it, so
	 * two runs of the same traffic differed by a packet (truth_router) */
	while (r > 0) {
		char rest[256];

		r = read(fd, rest, sizeof(rest));
	}
	close(fd);
	return 0;
out:
	if (err == ECONNREFUSED || err == ECONNRESET || err == EHOSTUNREACH || err == ENETUNREACH)
		printf("refused %s\n", strerror(err));
	else if (err == EINPROGRESS || err == ETIMEDOUT || err == EAGAIN)
		printf("timeout\n");
	else
		printf("error %s\n", strerror(err));
	close(fd);
	return 0;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int udp_send(int sport, const char *dst, int dport, long count, int size, long pps, int wait_ms)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fam = addr(dst, dport, &ss, &len);
	int fd = bound(fam, SOCK_DGRAM, sport);
	char *buf = calloc(1, size < 16 ? 16 : size);
	long sent = 0, failed = 0, replies = 0;
	int last_err = 0;
	double t0 = now();

	if (!buf)
		return 1;
	memset(buf, 'x', size);
	for (long i = 0; i < count && !stop; i++) {
		int n = snprintf(buf, 16, "ntseq %ld", i);

		buf[n] = ' ';
		if (pps > 0) {
			double due = t0 + (double)i / pps;

			while (now() < due)
				;
		}
		if (sendto(fd, buf, size, 0, (void *)&ss, len) == size) {
			sent++;
		} else {
			failed++;
			last_err = errno;
		}
	}
	/* answers are read (not left to become ICMP port unreachables) */
	while (wait_ms > 0 && replies < sent && wait_fd(fd, POLLIN, wait_ms) > 0)
		if (recv(fd, buf, size, 0) >= 0)
			replies++;
	printf("sent %ld failed %ld replies %ld", sent, failed, replies);
	if (failed)
		printf(" errno %s", strerrorname_np(last_err) ? strerrorname_np(last_err) : "?");
	putchar('\n');
	free(buf);
	close(fd);
	return 0;
}

static int udp_recv(int port, int idle_ms, int reply)
{
	int fd = bound(AF_INET6, SOCK_DGRAM, port);
	long got = 0, replied = 0;
	char buf[65536];
	/* a flood's datagrams all fit (3000 x ~1 KiB truesize): on a loaded
	 * machine a receiver that is not scheduled for a while must not make the
	 * socket drop some (truth_router's flood then counted 2913 of 3000) */
	int rcvbuf = 16 << 20;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	printf("listening %d\n", port);
	fflush(stdout);
	while (!stop && wait_fd(fd, POLLIN, idle_ms) > 0) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t r = recvfrom(fd, buf, sizeof(buf), 0, (void *)&from, &fl);

		if (r < 0)
			continue;
		got++;
		if (reply && sendto(fd, buf, r, 0, (void *)&from, fl) == r)
			replied++;
	}
	printf("received %ld replied %ld\n", got, replied);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_sig };

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "tcp-serve") && (argc == 4 || argc == 5))
		return tcp_serve(num(argv[2], 1, 65535), num(argv[3], 1, 1000000),
				 argc == 5 ? num(argv[4], 1, 600000) : 10000);
	if (!strcmp(argv[1], "tcp-connect") && (argc == 6 || argc == 7))
		return tcp_connect(num(argv[2], 0, 65535), argv[3], num(argv[4], 1, 65535), argv[5],
				   argc == 7 ? num(argv[6], 1, 600000) : 3000);
	if (!strcmp(argv[1], "udp-send") && argc >= 6 && argc <= 9)
		return udp_send(num(argv[2], 0, 65535), argv[3], num(argv[4], 1, 65535),
				num(argv[5], 1, 100000000), argc >= 7 ? num(argv[6], 16, 65000) : 64,
				argc >= 8 ? num(argv[7], 0, 10000000) : 0,
				argc == 9 ? num(argv[8], 0, 600000) : 0);
	if (!strcmp(argv[1], "udp-recv") && (argc == 4 || argc == 5))
		return udp_recv(num(argv[2], 1, 65535), num(argv[3], 1, 600000),
				argc == 5 && !strcmp(argv[4], "reply"));
	return usage();
}
