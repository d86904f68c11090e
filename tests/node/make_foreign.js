// Writes the traces of a small simulated "shop" application, recorded by the
// real OpenTelemetry JavaScript SDK, as one OTLP/JSON file: an
// ExportTraceServiceRequest serialized by @opentelemetry/otlp-transformer's
// JsonTraceSerializer (what OTLPTraceExporter sends over HTTP/JSON), one
// request a line as the Collector's file exporter writes it.
//   node make_foreign.js OUT.json [--broken]
// Two services (two tracer providers, two resources): "shop-api" and
// "inventory", both querying PostgreSQL.
//   trace 1  GET /api/orders/summary, naive: 1 + 10 queries (an N+1 on
//            shop.orders), then a call to inventory (GET /stock) — status OK
//   trace 2  GET /api/orders/summary, optimized: one JOIN query — status unset
//   trace 3  POST /api/checkout: inventory refuses (status ERROR with a
//            message, an exception event, one event dropped by the event
//            limit), a link to trace 1's root, a message published
//   trace 4  inventory consumes it: a trace of its own, linked to the publish
// --broken adds what real files have: an orphan (trace 3: inventory's
// POST /release under a parent span of its own process that was never
// exported), a served request whose caller is in another process (trace 5:
// inventory's GET /health, its parent remote: flags 0x301, a root), a child
// ending 5 ns after its parent (trace 1: inventory's GET /stock, another
// host's clock), and a duplicate span id (trace 2: a second span reusing
// the query span's id).
// Every time is set explicitly (start 2026-03-02T10:00:00Z, durations below)
// and every id comes from a seeded generator: the same file every run.
'use strict';
const fs = require('fs');
const crypto = require('crypto');
const api = require('@opentelemetry/api');
const { Resource } = require('@opentelemetry/resources');
const { BasicTracerProvider, SimpleSpanProcessor, InMemorySpanExporter, AlwaysOnSampler } =
  require('@opentelemetry/sdk-trace-base');
const { JsonTraceSerializer } = require('@opentelemetry/otlp-transformer');
const { SEMRESATTRS_SERVICE_NAME, SEMRESATTRS_SERVICE_VERSION } = require('@opentelemetry/semantic-conventions');

const args = process.argv.slice(2);
const broken = args.includes('--broken');
const out = args.find((a) => !a.startsWith('--'));
if (!out || args.some((a) => a.startsWith('--') && a !== '--broken')) {
  console.error('usage: make_foreign.js OUT.json [--broken]');
  process.exit(2);
}

// The clock: nanoseconds after 2026-03-02T10:00:00Z as the SDK's HrTime.
const BASE_S = 1772445600;
const MS = 1e6, US = 1e3;
const at = (ns) => [BASE_S + Math.floor(ns / 1e9), ns % 1e9];

// Ids: a seeded sequence (sha256 of a counter), so the file is the same on
// every run; repeatSpanId() makes the next span reuse an id (the --broken
// duplicate, as a faulty generator would).
let counter = 0, repeat = null;
const hex = (n) => crypto.createHash('sha256').update('shop-' + counter++).digest('hex').slice(0, n);
const idGenerator = {
  generateTraceId: () => hex(32),
  generateSpanId: () => { if (repeat) { const id = repeat; repeat = null; return id; } return hex(16); },
};
const repeatSpanId = (id) => { repeat = id; };

// shop-api's sampler keeps everything and puts its vendor entry in the trace
// state of the traces it starts (inventory inherits it from its parent).
const shopSampler = {
  shouldSample: (ctx) => ({
    decision: api.SamplingDecision.RECORD_AND_SAMPLED,
    traceState: api.trace.getSpanContext(ctx) ? undefined : api.createTraceState('shop=r:eu;p:1'),
  }),
  toString: () => 'ShopSampler',
};

const exporter = new InMemorySpanExporter();
function provider(attributes, extra) {
  const p = new BasicTracerProvider({ resource: new Resource(attributes), idGenerator, ...extra });
  p.addSpanProcessor(new SimpleSpanProcessor(exporter));
  return p;
}
const shop = provider({
  [SEMRESATTRS_SERVICE_NAME]: 'shop-api', [SEMRESATTRS_SERVICE_VERSION]: '2.3.1',
  'service.namespace': 'shop', 'deployment.environment.name': 'staging', 'host.name': 'api-7f9c',
}, { sampler: shopSampler });
// inventory keeps at most 3 events a span: POST /reserve's first is dropped
// (the SDK keeps the newest) and counted.
const inventory = provider({
  [SEMRESATTRS_SERVICE_NAME]: 'inventory', [SEMRESATTRS_SERVICE_VERSION]: '0.9.0',
  'service.namespace': 'shop', 'deployment.environment.name': 'staging', 'host.name': 'inv-2',
}, { sampler: new AlwaysOnSampler(), spanLimits: { eventCountLimit: 3 } });

const SCHEMA = 'https://opentelemetry.io/schemas/1.26.0';
const http = shop.getTracer('shop-api.http', '2.3.1', { schemaUrl: SCHEMA });
const pg = shop.getTracer('@opentelemetry/instrumentation-pg', '0.43.0', { schemaUrl: SCHEMA });
const inv = inventory.getTracer('inventory.handlers', '0.9.0');
const invPg = inventory.getTracer('@opentelemetry/instrumentation-pg', '0.43.0', { schemaUrl: SCHEMA });

const { SpanKind, SpanStatusCode } = api;
const under = (parent) => api.trace.setSpan(api.ROOT_CONTEXT, parent);
// As a traceparent/tracestate header carries it to another process.
const remote = (parent) => api.trace.setSpanContext(api.ROOT_CONTEXT, { ...parent.spanContext(), isRemote: true });

function span(tracer, name, kind, parentCtx, start, end, attributes = {}, opts = {}) {
  const s = tracer.startSpan(name, { kind, attributes, startTime: at(start), links: opts.links || [] },
    parentCtx || api.ROOT_CONTEXT);
  for (const [ename, offset, eattrs] of opts.events || []) s.addEvent(ename, eattrs, at(start + offset));
  if (opts.status) s.setStatus(opts.status);
  if (end !== null) s.end(at(end));
  return s;
}

const DB = { 'db.system.name': 'postgresql', 'db.namespace': 'shop', 'server.address': 'db-primary.shop.internal', 'server.port': 5432 };
function query(tracer, parent, start, dur, op, table, text, rows) {
  return span(tracer, `${op} ${table}`, SpanKind.CLIENT, under(parent), start, start + dur, {
    ...DB, 'db.operation.name': op, 'db.collection.name': table, 'db.query.text': text,
    'db.response.returned_rows': rows,
  });
}

// Trace 1: the N+1.
const USERS = 10;
const t1 = 0;
const root1 = span(http, 'GET /api/orders/summary', SpanKind.SERVER, null, t1, null, {
  'http.request.method': 'GET', 'http.route': '/api/orders/summary', 'url.path': '/api/orders/summary',
  'url.scheme': 'https', 'http.response.status_code': 200, 'user_agent.original': 'shop-web/5.1',
  'app.cache.hit_ratio': 0.25, 'app.feature.batching': false,
  'app.user.roles': ['admin', 'buyer'], 'app.retry.backoff_ms': [10, 20, 40],
}, { events: [['cache.miss', 200 * US, { 'cache.key': 'orders:summary', 'cache.ttl_s': 30 }]] });
query(pg, root1, t1 + 300 * US, 1200 * US, 'SELECT', 'shop.users',
  'SELECT id, name FROM shop.users WHERE active = $1 ORDER BY id LIMIT $2', USERS);
for (let i = 0; i < USERS; i++)
  query(pg, root1, t1 + 1600 * US + i * 1600 * US, 1500 * US, 'SELECT', 'shop.orders',
    'SELECT id, total_cents, status FROM shop.orders WHERE user_id = $1', 2 + (i % 4));
const call1 = span(http, 'GET', SpanKind.CLIENT, under(root1), t1 + 17700 * US, t1 + 21 * MS, {
  'http.request.method': 'GET', 'server.address': 'inventory.shop.internal', 'server.port': 8080,
  'url.full': 'http://inventory.shop.internal:8080/stock?skus=12', 'http.response.status_code': 200,
});
// inventory's host clock: with --broken its span ends 5 ns after the call.
const stock = span(inv, 'GET /stock', SpanKind.SERVER, remote(call1), t1 + 18 * MS,
  broken ? t1 + 21 * MS + 5 : t1 + 20600 * US,
  { 'http.request.method': 'GET', 'http.route': '/stock', 'http.response.status_code': 200 });
query(invPg, stock, t1 + 18300 * US, 1800 * US, 'SELECT', 'shop.stock',
  'SELECT sku, quantity FROM shop.stock WHERE sku = ANY($1)', 12);
root1.setStatus({ code: SpanStatusCode.OK });
root1.end(at(t1 + 22 * MS));

// Trace 2: the same request, one query.
const t2 = 1000 * MS;
const root2 = span(http, 'GET /api/orders/summary', SpanKind.SERVER, null, t2, null, {
  'http.request.method': 'GET', 'http.route': '/api/orders/summary', 'url.path': '/api/orders/summary',
  'url.scheme': 'https', 'http.response.status_code': 200, 'user_agent.original': 'shop-web/5.1',
});
const join = query(pg, root2, t2 + 300 * US, 2100 * US, 'SELECT', 'shop.users',
  'SELECT u.id, u.name, count(o.id) AS orders FROM shop.users u LEFT JOIN shop.orders o ON o.user_id = u.id ' +
  'WHERE u.active = $1 GROUP BY u.id, u.name ORDER BY u.id LIMIT $2', USERS);
if (broken) {
  repeatSpanId(join.spanContext().spanId);
  span(http, 'render summary', SpanKind.INTERNAL, under(root2), t2 + 2500 * US, t2 + 2900 * US, { 'app.rows': USERS });
}
root2.end(at(t2 + 3 * MS));

// Trace 3: an error in another service, a link, a producer and its consumer.
const t3 = 2000 * MS;
const root3 = span(http, 'POST /api/checkout', SpanKind.SERVER, null, t3, null, {
  'http.request.method': 'POST', 'http.route': '/api/checkout', 'url.path': '/api/checkout',
  'url.scheme': 'https', 'http.response.status_code': 409, 'app.cart.items': 3, 'app.cart.total': 149.85,
}, { links: [{ context: root1.spanContext(), attributes: { 'app.link.reason': 'same session' } }] });
span(http, 'validate cart', SpanKind.INTERNAL, under(root3), t3 + 100 * US, t3 + 400 * US, { 'app.cart.valid': true });
query(pg, root3, t3 + 500 * US, 900 * US, 'SELECT', 'shop.carts',
  'SELECT sku, quantity FROM shop.carts WHERE session_id = $1', 3);
const call3 = span(http, 'POST', SpanKind.CLIENT, under(root3), t3 + 1500 * US, t3 + 6 * MS, {
  'http.request.method': 'POST', 'server.address': 'inventory.shop.internal', 'server.port': 8080,
  'url.full': 'http://inventory.shop.internal:8080/reserve', 'http.response.status_code': 409,
  'error.type': '409',
}, { status: { code: SpanStatusCode.ERROR } });
const reserve = span(inv, 'POST /reserve', SpanKind.SERVER, remote(call3), t3 + 1800 * US, t3 + 5700 * US, {
  'http.request.method': 'POST', 'http.route': '/reserve', 'http.response.status_code': 409,
}, {
  status: { code: SpanStatusCode.ERROR, message: 'insufficient stock for SKU-1042: 1 left, 2 asked' },
  events: [
    ['lock.acquired', 100 * US, { 'lock.wait_ms': 0.4 }],
    ['stock.checked', 2500 * US, { 'stock.sku': 'SKU-1042', 'stock.available': 1, 'stock.asked': 2 }],
    ['exception', 2600 * US, { 'exception.type': 'InsufficientStockError',
      'exception.message': 'insufficient stock for SKU-1042: 1 left, 2 asked', 'exception.escaped': false }],
    ['lock.released', 3800 * US, {}], // the fourth: lock.acquired is dropped, counted
  ],
});
query(invPg, reserve, t3 + 2 * MS, 2 * MS, 'SELECT', 'shop.stock',
  'SELECT quantity FROM shop.stock WHERE sku = $1 FOR UPDATE', 1);
const publish = span(http, 'checkout.failed publish', SpanKind.PRODUCER, under(root3), t3 + 6200 * US, t3 + 6500 * US,
  { 'messaging.system': 'rabbitmq', 'messaging.operation.type': 'publish', 'messaging.destination.name': 'checkout.failed' });
// Trace 4: inventory consumes the message in a trace of its own, linked to
// the publish (the messaging conventions' way: the consumer outlives it).
span(inv, 'checkout.failed process', SpanKind.CONSUMER, null, t3 + 7 * MS, t3 + 7800 * US,
  { 'messaging.system': 'rabbitmq', 'messaging.operation.type': 'process', 'messaging.destination.name': 'checkout.failed' },
  { links: [{ context: publish.spanContext(), attributes: { 'messaging.message.id': 'm-7731' } }] });
if (broken) {
  // A parent that exists nowhere in the file: a span of inventory's own
  // process, never exported (not remote: an orphan, truly missing).
  const lost = api.trace.setSpanContext(api.ROOT_CONTEXT, {
    traceId: root3.spanContext().traceId, spanId: 'badc0ffee0ddf00d', traceFlags: 1, isRemote: false,
  });
  span(inv, 'POST /release', SpanKind.SERVER, lost, t3 + 8 * MS, t3 + 8600 * US,
    { 'http.request.method': 'POST', 'http.route': '/release', 'http.response.status_code': 200 });
  // Trace 5: inventory serves a health check whose caller (the load
  // balancer, another process) sent a traceparent: its parent is remote,
  // absent from the file by nature — the trace's root, not an orphan.
  const caller = api.trace.setSpanContext(api.ROOT_CONTEXT, {
    traceId: hex(32), spanId: hex(16), traceFlags: 1, isRemote: true,
  });
  span(inv, 'GET /health', SpanKind.SERVER, caller, t3 + 9 * MS, t3 + 9300 * US,
    { 'http.request.method': 'GET', 'http.route': '/health', 'http.response.status_code': 200 });
}
root3.setStatus({ code: SpanStatusCode.ERROR, message: 'checkout failed: insufficient stock' });
root3.end(at(t3 + 9 * MS));

// Serialized by the SDK's own OTLP/JSON serializer.
const doc = JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(exporter.getFinishedSpans())));

// What this SDK version cannot produce, written into its JSON afterwards
// (each a field of OTLP that other SDKs and the Collector do write):
//  - bytes and key-value-list attribute values: the API accepts only
//    primitives and arrays of them;
//  - Span.flags and Link.flags (OTLP 1.1: sampled, and whether the parent
//    is remote): otlp-transformer 0.52 does not write them;
//  - the resource's schemaUrl (the SDK's Resource has none) and scope
//    attributes.
const spans = doc.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
// (the spans whose parent context was remote: 0x301; all others 0x101, which
// says the parent, if any, is in the same process)
const remoteParents = new Set(spans.filter((s) => ['GET /stock', 'POST /reserve', 'GET /health'].includes(s.name)).map((s) => s));
for (const s of spans) {
  s.flags = remoteParents.has(s) ? 0x301 : 0x101;
  for (const l of s.links) l.flags = 0x101;
}
const first = spans.find((s) => s.attributes.some((a) => a.key === 'app.cache.hit_ratio'));
first.attributes.push(
  { key: 'app.request.digest', value: { bytesValue: Buffer.from('c0ffee00ff10', 'hex').toString('base64') } },
  { key: 'app.request.context', value: { kvlistValue: { values: [
    { key: 'tenant', value: { stringValue: 'acme' } },
    { key: 'shard', value: { intValue: 3 } },
    { key: 'beta', value: { boolValue: true } },
  ] } } });
for (const rs of doc.resourceSpans) {
  rs.schemaUrl = SCHEMA;
  for (const ss of rs.scopeSpans)
    if (ss.scope.name === 'inventory.handlers')
      ss.scope.attributes = [{ key: 'code.namespace', value: { stringValue: 'inventory.handlers' } }];
}

fs.writeFileSync(out, JSON.stringify(doc) + '\n');
const services = doc.resourceSpans.map((rs) => rs.resource.attributes.find((a) => a.key === 'service.name').value.stringValue);
console.log(`${out}: ${spans.length} spans, ${new Set(spans.map((s) => s.traceId)).size} traces, services ${services.join(', ')}${broken ? ' (orphan, remote parent, skew, duplicate)' : ''}`);
