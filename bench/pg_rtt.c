/*
 * obslab-pg-rtt — the round trip to a PostgreSQL server, measured as
 * bench/pg.sh sets it beside the lab: an empty statement (PQexec of "",
 * answered by EmptyQueryResponse and ReadyForQuery: one message each way,
 * no parsing or execution on the server) timed over one connection, after
 * 100 to warm up. Prints "MEDIAN_US MIN_US" with two decimals.
 * Usage: obslab-pg-rtt CONNINFO [COUNT]   (COUNT 2000, at most 1000000)
 * Exit status: 0, 1 when the server cannot be reached, 2 for usage.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static bool empty_statement(PGconn *conn)
{
	PGresult *res = PQexec(conn, "");
	bool ok = PQresultStatus(res) == PGRES_EMPTY_QUERY;
	PQclear(res);
	return ok;
}

int main(int argc, char **argv)
{
	long count = 2000;
	if (argc == 3) {
		char *end;
		count = strtol(argv[2], &end, 10);
		if (*end || count < 1 || count > 1000000)
			argc = 0;
	}
	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: obslab-pg-rtt CONNINFO [COUNT]\n");
		return 2;
	}
	PGconn *conn = PQconnectdb(argv[1]);
	if (PQstatus(conn) != CONNECTION_OK) {
		/* libpq's message names host and port, never the password. */
		fprintf(stderr, "obslab-pg-rtt: %s", PQerrorMessage(conn));
		PQfinish(conn);
		return 1;
	}
	double *us = malloc((size_t)count * sizeof *us);
	if (!us) {
		fprintf(stderr, "obslab-pg-rtt: out of memory\n");
		PQfinish(conn);
		return 1;
	}
	for (int i = 0; i < 100; i++) {
		if (!empty_statement(conn))
			goto failed;
	}
	for (long i = 0; i < count; i++) {
		double t0 = now_us();
		if (!empty_statement(conn))
			goto failed;
		us[i] = now_us() - t0;
	}
	qsort(us, (size_t)count, sizeof *us, by_value);
	printf("%.2f %.2f\n", us[count / 2], us[0]);
	free(us);
	PQfinish(conn);
	return 0;
failed:
	fprintf(stderr, "obslab-pg-rtt: an empty statement failed: %s", PQerrorMessage(conn));
	free(us);
	PQfinish(conn);
	return 1;
}
