/*
 * intake_batch — struct otlp_batch for the intake until otlp.h is on this
 * branch: otlp.h's own definition when it is there, else the contract's.
 */
#ifndef OBSLAB_INTAKE_BATCH_H
#define OBSLAB_INTAKE_BATCH_H

#if __has_include("obslab/otlp.h")
#include "obslab/otlp.h"
#else
#include <stddef.h>
#include <stdint.h>
struct otel_set;
struct otlp_batch {
	struct otel_set *set; /* owned */
	size_t nspans;
	int64_t received_ns; /* clock_now_ns() when it arrived */
	_Atomic unsigned refs;
};
#endif

#endif
