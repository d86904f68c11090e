/*
 * otlp_load — the receiver benchmark's load generator: CONNECTIONS
 * keep-alive connections (a thread each) POST one pre-encoded OTLP body
 * (otlp_body's) to 127.0.0.1:PORT PATH for SECONDS, each request with new
 * trace ids (the 8 bytes after every 0b51ab0b51ab0b51 mark, raw for
 * protobuf, hex for JSON, replaced by a function of the old ones and a
 * request counter, so the spans of one trace stay together), and prints
 * what came back: "requests N ok N busy N other N seconds S" (answers as
 * libmicrohttpd writes them: Content-Length and Connection spelt so).
 * Usage: otlp_load PORT PATH BODY protobuf|json CONNECTIONS SECONDS
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const uint8_t mark_raw[8] = { 0x0b, 0x51, 0xab, 0x0b, 0x51, 0xab, 0x0b, 0x51 };
static const char mark_hex[] = "0b51ab0b51ab0b51";

static char *body;
static size_t body_len, *spots, nspots;
static bool json;
static int port;
static const char *path;
static double seconds;
static _Atomic uint64_t requests, ok, busy, other;
static _Atomic uint64_t counter;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int dial(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

static void renew(char *copy, uint64_t n)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < nspots; i++) {
		char *p = copy + spots[i];
		uint64_t old;
		if (json) {
			memcpy(&old, body + spots[i], 8); /* the old text only seeds the mix */
			uint64_t v = old ^ (n * 0x9e3779b97f4a7c15ULL);
			for (int k = 0; k < 16; k++)
				p[k] = hex[(v >> (60 - 4 * k)) & 15];
		} else {
			memcpy(&old, body + spots[i], 8);
			uint64_t v = old ^ (n * 0x9e3779b97f4a7c15ULL);
			memcpy(p, &v, 8);
		}
	}
}

/* One answer read from fd: its status, or 0 when the connection ended. */
static int read_answer(int fd, char *buf, size_t cap)
{
	size_t have = 0;
	char *end = NULL;
	while (!end) {
		ssize_t n = recv(fd, buf + have, cap - 1 - have, 0);
		if (n <= 0)
			return 0;
		have += (size_t)n;
		buf[have] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (!end && have >= cap - 1)
			return 0;
	}
	int status = atoi(buf + 9);
	const char *cl = strstr(buf, "\r\nContent-Length:");
	size_t want = cl ? strtoul(cl + 17, NULL, 10) : 0, got = have - (size_t)(end + 4 - buf);
	while (got < want) {
		ssize_t n = recv(fd, buf, cap, 0);
		if (n <= 0)
			return 0;
		got += (size_t)n;
	}
	if (strstr(buf, "\r\nConnection: close"))
		return -status;
	return status;
}

static void *run(void *arg)
{
	(void)arg;
	char head[256];
	int hl = snprintf(head, sizeof head,
	                  "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/%s\r\nContent-Length: %zu\r\n\r\n",
	                  path, json ? "json" : "x-protobuf", body_len);
	char *copy = malloc(body_len);
	memcpy(copy, body, body_len);
	char buf[65536];
	int fd = dial();
	double end = now_s() + seconds;
	while (fd >= 0 && now_s() < end) {
		renew(copy, atomic_fetch_add(&counter, 1) + 1);
		if (send(fd, head, (size_t)hl, MSG_MORE | MSG_NOSIGNAL) != hl) {
			close(fd);
			fd = dial();
			continue;
		}
		size_t off = 0;
		while (off < body_len) {
			ssize_t n = send(fd, copy + off, body_len - off, MSG_NOSIGNAL);
			if (n <= 0)
				break;
			off += (size_t)n;
		}
		int status = read_answer(fd, buf, sizeof buf);
		int code = status < 0 ? -status : status;
		if (code) {
			atomic_fetch_add(&requests, 1);
			atomic_fetch_add(code == 200 ? &ok : code == 429 || code == 503 ? &busy : &other, 1);
		}
		if (status <= 0) {
			close(fd);
			fd = dial();
		}
	}
	if (fd >= 0)
		close(fd);
	free(copy);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 7) {
		fputs("usage: otlp_load PORT PATH BODY protobuf|json CONNECTIONS SECONDS\n", stderr);
		return 2;
	}
	port = atoi(argv[1]);
	path = argv[2];
	json = strcmp(argv[4], "json") == 0;
	int conns = atoi(argv[5]);
	seconds = atof(argv[6]);
	FILE *f = fopen(argv[3], "rb");
	if (!f || fseek(f, 0, SEEK_END) != 0) {
		perror(argv[3]);
		return 1;
	}
	body_len = (size_t)ftell(f);
	rewind(f);
	body = malloc(body_len + 1);
	if (fread(body, 1, body_len, f) != body_len) {
		perror(argv[3]);
		return 1;
	}
	fclose(f);
	spots = calloc(body_len / 8 + 1, sizeof *spots);
	size_t mlen = json ? 16 : 8, vlen = json ? 16 : 8;
	for (size_t i = 0; i + mlen + vlen <= body_len; i++)
		if (memcmp(body + i, json ? (const void *)mark_hex : (const void *)mark_raw, mlen) == 0)
			spots[nspots++] = i + mlen, i += mlen + vlen - 1;
	pthread_t *t = calloc((size_t)conns, sizeof *t);
	double start = now_s();
	for (int i = 0; i < conns; i++)
		pthread_create(&t[i], NULL, run, NULL);
	for (int i = 0; i < conns; i++)
		pthread_join(t[i], NULL);
	printf("requests %llu ok %llu busy %llu other %llu seconds %.2f ids %zu\n", (unsigned long long)requests,
	       (unsigned long long)ok, (unsigned long long)busy, (unsigned long long)other, now_s() - start, nspots);
	return 0;
}
