// Sends the traces of a small simulated shop to an OTLP/HTTP endpoint with
// the real OpenTelemetry JavaScript SDK, as an instrumented application
// does: one BasicTracerProvider per service (its resource), a
// BatchSpanProcessor, and the SDK's OTLPTraceExporter over protobuf
// (@opentelemetry/exporter-trace-otlp-proto, the SDKs' default) or JSON
// (@opentelemetry/exporter-trace-otlp-http).
//   node otlp_send.js [proto|json] [URL] [--gzip] [--n N] [--quiet]
// PROTOCOL defaults to what OTEL_EXPORTER_OTLP_PROTOCOL says (http/protobuf
// unless http/json), URL (http://HOST:PORT/v1/traces) to what the SDK reads
// from OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT;
// --gzip is the exporter's compression: 'gzip' (OTEL_EXPORTER_OTLP_COMPRESSION
// works too). --n is the N of the N+1 (10).
// Three services, three traces:
//   trace 1  shop-api GET /api/orders/summary (server, status OK): SELECT
//            users, then N × SELECT orders, one per user (PostgreSQL client
//            spans: an N+1), then a call to inventory's GET /stock (same
//            trace, a remote parent) with its own query
//   trace 2  shop-api POST /api/checkout: status ERROR with a message, an
//            exception event, a link to trace 1's root, an internal span,
//            a message published (producer)
//   trace 3  mailer consumes the message (consumer, linked to the publish):
//            renders an email (internal), sends it (client)
// Attributes of every type the API takes: string, int, double, bool, and
// arrays of each; events with attributes; a span limit drops one event.
// Prints on stdout, once every span is exported, a manifest: an OTLP/JSON
// document, "resourceSpans" exactly what was sent (the SDK's own
// JsonTraceSerializer), so that compare_otlp.js can compare it field by
// field with what a receiver recorded, and "sent": the protocol, the URL,
// the traces (id, root, services, spans) and each span (trace id, span id,
// parent, name, service). Exits 1 (after flushing and shutting down) when an export
// failed, 2 on a bad argument.
'use strict';
const api = require('@opentelemetry/api');
const { Resource } = require('@opentelemetry/resources');
const { BasicTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { JsonTraceSerializer } = require('@opentelemetry/otlp-transformer');
const { ExportResultCode } = require('@opentelemetry/core');

const usage = () => {
  console.error('usage: otlp_send.js [proto|json] [URL] [--gzip] [--n N] [--quiet]');
  process.exit(2);
};
const args = process.argv.slice(2);
let protocol = null, url, gzip = false, users = 10, quiet = false;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--gzip') gzip = true;
  else if (a === '--quiet') quiet = true;
  else if (a === '--n') { users = Number(args[++i]); if (!Number.isInteger(users) || users < 1 || users > 10000) usage(); }
  else if (a === 'proto' || a === 'json') { if (protocol) usage(); protocol = a; }
  else if (/^https?:\/\//.test(a) && url === undefined) url = a;
  else usage();
}
if (!protocol) {
  const env = process.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || process.env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/protobuf';
  if (env === 'http/protobuf') protocol = 'proto';
  else if (env === 'http/json') protocol = 'json';
  else { console.error(`otlp_send.js: protocol ${env} is not one this sender speaks (http/protobuf, http/json)`); process.exit(2); }
}
const { OTLPTraceExporter } = protocol === 'proto'
  ? require('@opentelemetry/exporter-trace-otlp-proto') : require('@opentelemetry/exporter-trace-otlp-http');

// Every export's outcome: what was sent, what failed and why.
const sent = [], failures = [];
class WatchedExporter {
  constructor(inner) { this.inner = inner; }
  export(spans, done) {
    this.inner.export(spans, (result) => {
      if (result.code === ExportResultCode.SUCCESS) sent.push(...spans);
      else failures.push(`${spans.length} spans: ${result.error ? result.error.message || result.error : 'failed'}`);
      done(result);
    });
  }
  shutdown() { return this.inner.shutdown(); }
  forceFlush() { return this.inner.forceFlush ? this.inner.forceFlush() : Promise.resolve(); }
}

const exporters = [];
function provider(attributes, spanLimits) {
  const p = new BasicTracerProvider({ resource: new Resource(attributes), spanLimits });
  const config = { timeoutMillis: 15000 };
  if (url !== undefined) config.url = url;
  if (gzip) config.compression = 'gzip';
  const exporter = new OTLPTraceExporter(config);
  exporters.push(exporter);
  p.addSpanProcessor(new BatchSpanProcessor(new WatchedExporter(exporter), { scheduledDelayMillis: 200 }));
  return p;
}
const shop = provider({ 'service.name': 'shop-api', 'service.version': '2.3.1', 'service.namespace': 'shop',
  'deployment.environment.name': 'staging', 'host.name': 'api-7f9c', 'process.pid': 4242 });
const inventory = provider({ 'service.name': 'inventory', 'service.version': '0.9.0', 'service.namespace': 'shop',
  'host.name': 'inv-2' });
// mailer keeps at most 2 events a span: its third is dropped and counted.
const mailer = provider({ 'service.name': 'mailer', 'service.version': '1.4.0', 'host.name': 'worker-1',
  'telemetry.sdk.language': 'nodejs' }, { eventCountLimit: 2 });

const SCHEMA = 'https://opentelemetry.io/schemas/1.26.0';
const http = shop.getTracer('shop-api.http', '2.3.1', { schemaUrl: SCHEMA });
const pg = shop.getTracer('@opentelemetry/instrumentation-pg', '0.43.0', { schemaUrl: SCHEMA });
const invHttp = inventory.getTracer('inventory.handlers', '0.9.0');
const invPg = inventory.getTracer('@opentelemetry/instrumentation-pg', '0.43.0', { schemaUrl: SCHEMA });
const work = mailer.getTracer('mailer.worker');

const { SpanKind, SpanStatusCode } = api;
const under = (parent) => api.trace.setSpan(api.ROOT_CONTEXT, parent);
// As a traceparent header carries it to another process.
const remote = (parent) => api.trace.setSpanContext(api.ROOT_CONTEXT, { ...parent.spanContext(), isRemote: true });

// The clock: explicit times from a second ago, in nanoseconds after BASE_S.
const BASE_S = Math.floor(Date.now() / 1000) - 1;
const MS = 1e6, US = 1e3;
const at = (ns) => [BASE_S + Math.floor(ns / 1e9), ns % 1e9];
function span(tracer, name, kind, parentCtx, start, end, attributes = {}, opts = {}) {
  const s = tracer.startSpan(name, { kind, attributes, startTime: at(start), links: opts.links || [] },
    parentCtx || api.ROOT_CONTEXT);
  for (const [ename, offset, eattrs] of opts.events || []) s.addEvent(ename, eattrs, at(start + offset));
  if (opts.status) s.setStatus(opts.status);
  if (end !== null) s.end(at(end));
  return s;
}
const DB = { 'db.system.name': 'postgresql', 'db.namespace': 'shop', 'server.address': 'db-primary.shop.internal',
  'server.port': 5432 };
function query(tracer, parent, start, dur, table, text, rows) {
  return span(tracer, `SELECT ${table}`, SpanKind.CLIENT, under(parent), start, start + dur, {
    ...DB, 'db.operation.name': 'SELECT', 'db.collection.name': table, 'db.query.text': text,
    'db.response.returned_rows': rows,
  });
}

// Trace 1: the N+1, then a call into inventory.
const t1 = 0;
const root1 = span(http, 'GET /api/orders/summary', SpanKind.SERVER, null, t1, null, {
  'http.request.method': 'GET', 'http.route': '/api/orders/summary', 'url.path': '/api/orders/summary',
  'url.scheme': 'http', 'http.response.status_code': 200, 'user_agent.original': 'shop-web/5.1',
  'app.cache.hit_ratio': 0.25, 'app.feature.batching': false, 'app.user.roles': ['admin', 'buyer'],
  'app.retry.backoff_ms': [10, 20, 40], 'app.weights': [0.5, 1.25], 'app.flags': [true, false],
}, { events: [['cache.miss', 200 * US, { 'cache.key': 'orders:summary', 'cache.ttl_s': 30, 'cache.cold': true }]] });
query(pg, root1, t1 + 300 * US, 1200 * US, 'users', 'SELECT id, name FROM users', users);
for (let i = 0; i < users; i++)
  query(pg, root1, t1 + 1600 * US + i * 1600 * US, 1500 * US, 'orders',
    'SELECT count(*) FROM orders WHERE user_id = $1', 1);
const tEnd = t1 + 1600 * US + users * 1600 * US;
const call1 = span(http, 'GET', SpanKind.CLIENT, under(root1), tEnd + 100 * US, tEnd + 3300 * US, {
  'http.request.method': 'GET', 'server.address': 'inventory.shop.internal', 'server.port': 8080,
  'url.full': 'http://inventory.shop.internal:8080/stock?skus=12', 'http.response.status_code': 200,
});
const stock = span(invHttp, 'GET /stock', SpanKind.SERVER, remote(call1), tEnd + 400 * US, tEnd + 3000 * US,
  { 'http.request.method': 'GET', 'http.route': '/stock', 'http.response.status_code': 200 });
query(invPg, stock, tEnd + 600 * US, 1800 * US, 'stock', 'SELECT sku, quantity FROM stock WHERE sku = ANY($1)', 12);
root1.setStatus({ code: SpanStatusCode.OK });
root1.end(at(tEnd + 3500 * US));

// Trace 2: an error with its message, an exception event, a link, a publish.
const t2 = 100 * MS;
const root2 = span(http, 'POST /api/checkout', SpanKind.SERVER, null, t2, null, {
  'http.request.method': 'POST', 'http.route': '/api/checkout', 'http.response.status_code': 409,
  'app.cart.items': 3, 'app.cart.total': 149.85,
}, { links: [{ context: root1.spanContext(), attributes: { 'app.link.reason': 'same session', 'app.link.hops': 1 } }] });
span(http, 'validate cart', SpanKind.INTERNAL, under(root2), t2 + 100 * US, t2 + 400 * US, { 'app.cart.valid': true });
query(pg, root2, t2 + 500 * US, 900 * US, 'carts', 'SELECT sku, quantity FROM carts WHERE session_id = $1', 3);
const publish = span(http, 'order.placed publish', SpanKind.PRODUCER, under(root2), t2 + 1500 * US, t2 + 1800 * US,
  { 'messaging.system': 'rabbitmq', 'messaging.operation.type': 'publish', 'messaging.destination.name': 'order.placed' });
root2.addEvent('exception', { 'exception.type': 'InsufficientStockError',
  'exception.message': 'insufficient stock for SKU-1042: 1 left, 2 asked', 'exception.escaped': false }, at(t2 + 2000 * US));
root2.setStatus({ code: SpanStatusCode.ERROR, message: 'checkout failed: insufficient stock' });
root2.end(at(t2 + 2500 * US));

// Trace 3: the worker, in a trace of its own, linked to the publish.
const t3 = 200 * MS;
const consume = span(work, 'order.placed process', SpanKind.CONSUMER, null, t3, null,
  { 'messaging.system': 'rabbitmq', 'messaging.operation.type': 'process', 'messaging.destination.name': 'order.placed' },
  { links: [{ context: publish.spanContext(), attributes: { 'messaging.message.id': 'm-7731' } }] });
span(work, 'render email', SpanKind.INTERNAL, under(consume), t3 + 100 * US, t3 + 900 * US, { 'email.template': 'order-failed' },
  { events: [['template.loaded', 50 * US, { 'template.bytes': 2048 }], ['template.cached', 60 * US, {}],
    ['template.rendered', 700 * US, { 'template.ms': 0.64 }]] }); // the first is dropped (limit 2)
span(work, 'smtp send', SpanKind.CLIENT, under(consume), t3 + 1000 * US, t3 + 4000 * US,
  { 'server.address': 'smtp.shop.internal', 'server.port': 587 }, { status: { code: SpanStatusCode.OK } });
consume.end(at(t3 + 4200 * US));

(async () => {
  const providers = [shop, inventory, mailer];
  // (a failed export rejects the flush: it is counted in failures already)
  for (const p of providers) await p.forceFlush().catch(() => {});
  for (const p of providers) await p.shutdown().catch(() => {});
  if (failures.length) {
    console.error(`otlp_send.js: export to ${exporters[0].url} failed: ${failures.join('; ')}`);
    process.exitCode = 1;
  }
  const doc = JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(sent)));
  const service = (s) => s.resource.attributes['service.name'];
  const spans = sent.map((s) => ({ traceId: s.spanContext().traceId, spanId: s.spanContext().spanId,
    parentSpanId: s.parentSpanId || '', name: s.name, service: service(s) }));
  const traces = [];
  for (const s of sent) {
    const id = s.spanContext().traceId;
    let t = traces.find((x) => x.traceId === id);
    if (!t) traces.push(t = { traceId: id, root: '', services: [], spans: 0 });
    t.spans++;
    if (!s.parentSpanId) t.root = s.name;
    if (!t.services.includes(service(s))) t.services.push(service(s));
  }
  // (an OTLP/JSON document with one more member: obslab and compare_otlp.js read it as sent)
  const manifest = { sent: { protocol, url: exporters[0].url, gzip: gzip || exporters[0].compression === 'gzip', users,
    traces, spans }, resourceSpans: doc.resourceSpans };
  if (!quiet) console.log(JSON.stringify(manifest));
  else console.log(`sent ${spans.length} spans, ${traces.length} traces to ${exporters[0].url}`);
})();
