/*
 * request_cases — what test_request.c (built once per engine) shares with
 * the cases only PostgreSQL has (request_pg_cases.c, in test_request_pg):
 * the engines' statement fingerprints, a helper thread that acts once a
 * request has run a number of statements, and the server-only cases.
 */
#ifndef OBSLAB_TEST_REQUEST_CASES_H
#define OBSLAB_TEST_REQUEST_CASES_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "obslab/labdb.h"

enum request_fp_kind {
	REQUEST_FP_USERS,
	REQUEST_FP_COUNT,
	REQUEST_FP_JOIN,
	REQUEST_FP_COUNT_,
};
/* The fingerprint (span name) of the engine's statement. */
const char *request_fp(enum labdb_engine e, enum request_fp_kind k);

/* A thread that waits until *progress reaches after (request_ctx_set_progress),
 * then calls act(arg) once; request_act_join waits for it and says whether
 * it acted (false: the request ended first; the thread gives up then). */
struct request_act {
	pthread_t thread;
	_Atomic uint32_t *progress;
	const _Atomic int *done; /* set by the caller once the request returned */
	uint32_t after;
	void (*act)(void *arg);
	void *arg;
	_Atomic int acted;
};
void request_act_start(struct request_act *a);
int request_act_join(struct request_act *a);

/* The cases that need a server (request_pg_cases.c). */
struct CMUnitTest;
extern const struct CMUnitTest request_pg_cases[];
extern const size_t request_pg_ncases;

#endif
