/*
 * otel_lab — obslab's own spans (the lab's, a served request's) as
 * otel_spans in an otel_set, so that the forwarder (forward.h) and the
 * OTLP encoders (otlp.h) treat them as they treat received spans.
 *
 * The set gets one resource (service.name, service.version and the
 * telemetry.sdk.* attributes of a producer that is not an OpenTelemetry
 * SDK: name "obslab", language "c"; and obslab.db.display, where the lab
 * runs, once attrs_set_lab_database has said it) and one scope "obslab"
 * with obslab's version. Each span is what `obslab export --format otlp` writes for it:
 * the same name, ids, kind, times (monotonic stamps through the clock
 * anchor), attributes (span_attributes_http, attrs.h) and status; a served
 * root keeps its caller's parent span id, flags and tracestate.
 * Foreign spans (SPAN_F_FOREIGN) and placeholders are not converted: a
 * received span is forwarded as it came, from its own set.
 *
 * Threads: the caller owns the set; the trace and the string table are only
 * read (on the thread that owns the store).
 */
#ifndef OBSLAB_OTEL_LAB_H
#define OBSLAB_OTEL_LAB_H

#include <stddef.h>
#include <stdint.h>

struct clock_anchor;
struct otel_set;
struct strtab;
struct trace;

#define OTEL_LAB_SCOPE "obslab"
#define OTEL_LAB_SDK_NAME "obslab" /* not "opentelemetry": reserved for OpenTelemetry's SDKs */
#define OTEL_LAB_SDK_LANGUAGE "c"  /* no well-known value applies: a custom one, as the conventions allow */

/* Adds the resource (service_name as service.name) and the scope; returns
 * the scope's index. */
uint32_t otel_lab_scope(struct otel_set *set, const char *service_name);

/* Adds t's own spans (not foreign ones, not placeholders) under scope, in
 * the trace's order; returns how many. */
size_t otel_lab_add_trace(struct otel_set *set, uint32_t scope, const struct trace *t, const struct strtab *names,
                          const struct clock_anchor *anchor);

#endif
