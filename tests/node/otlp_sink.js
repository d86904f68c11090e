// A small OTLP/HTTP trace receiver for the tests: it decodes what a sender
// (obslab's forwarder) posts with OpenTelemetry's own protobuf definitions
// (the generated root that @opentelemetry/otlp-transformer ships), as a
// Collector would, and writes down every span it received.
//   node otlp_sink.js SPANS.jsonl [--port N] [--requests FILE]
//                     [--busy-ms MS] [--retry-after S]
// Listens on 127.0.0.1 (port 0, any free one, unless --port) and prints
//   otlp_sink: listening on http://127.0.0.1:PORT/v1/traces
// on stdout once bound. POST /v1/traces with application/x-protobuf or
// application/json, gzip when Content-Encoding says so: each span becomes a
// line of SPANS.jsonl, {"traceId", "spanId", "parentSpanId", "name", "kind",
// "service", "scope", "attributes"} (ids in hex, attributes as key -> the
// value's type and value), appended as it arrives; the answer is an empty
// ExportTraceServiceResponse in the request's encoding. Each request also
// becomes a line of --requests FILE: its content type, encoding, user agent,
// other headers, span count, the status answered and when ("ms" after the
// first POST). A body that does not
// decode is 400, another media type 415, another path 404, another method
// 405; for --busy-ms milliseconds from the first POST every POST is
// answered 503 with Retry-After: S (1). SIGTERM or SIGINT stops it (exit 0).
//   node otlp_sink.js --encode-bad-span FILE | --decode-response FILE
// are two helpers of the tests' with the same definitions (below).
'use strict';
const fs = require('fs');
const httpServer = require('http');
const zlib = require('zlib');
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');
const P = root.opentelemetry.proto;
const Request = P.collector.trace.v1.ExportTraceServiceRequest;
const Response = P.collector.trace.v1.ExportTraceServiceResponse;
const MAX_BODY = 64 << 20;

const args = process.argv.slice(2);
// Two helpers for the tests, with the same definitions:
//   --encode-bad-span FILE  the first two spans of an OTLP/JSON file as a
//                           protobuf request, the second's trace id 3 bytes
//                           long (a receiver refuses that span alone)
//   --decode-response FILE  a protobuf ExportTraceServiceResponse as JSON
if (args[0] === '--encode-bad-span' && args.length === 2) {
  const doc = JSON.parse(fs.readFileSync(args[1], 'utf8'));
  const rs = doc.resourceSpans[0], ss = rs.scopeSpans[0];
  const request = fromJson(JSON.stringify({ resourceSpans: [{ ...rs, scopeSpans: [{ ...ss, spans: ss.spans.slice(0, 2) }] }] }));
  request.resourceSpans[0].scopeSpans[0].spans[1].traceId = Buffer.from('abcdef', 'hex');
  process.stdout.write(Request.encode(request).finish());
  return;
}
if (args[0] === '--decode-response' && args.length === 2) {
  console.log(JSON.stringify(Response.toObject(Response.decode(fs.readFileSync(args[1])), { longs: String })));
  return;
}
const usage = () => { console.error('usage: otlp_sink.js SPANS.jsonl [--port N] [--requests FILE] [--busy-ms MS] [--retry-after S]'); process.exit(2); };
let out = null, port = 0, requestsFile = null, busyMs = 0, retryAfter = 1;
for (let i = 0; i < args.length; i++) {
  const a = args[i], num = () => { const v = Number(args[++i]); if (!Number.isInteger(v) || v < 0) usage(); return v; };
  if (a === '--port') port = num();
  else if (a === '--busy-ms') busyMs = num();
  else if (a === '--retry-after') retryAfter = num();
  else if (a === '--requests') { requestsFile = args[++i]; if (!requestsFile) usage(); }
  else if (!a.startsWith('--') && out === null) out = a;
  else usage();
}
if (out === null || port > 65535) usage();
let firstPost = null; // when the first POST came: --busy-ms counts from it

// An AnyValue as {type: value}, the way the definitions decode it.
function value(v) {
  if (!v) return null;
  if (v.stringValue !== undefined && v.stringValue !== null) return { string: v.stringValue };
  if (v.boolValue !== undefined && v.boolValue !== null) return { bool: v.boolValue };
  if (v.intValue !== undefined && v.intValue !== null) return { int: String(v.intValue) };
  if (v.doubleValue !== undefined && v.doubleValue !== null) return { double: v.doubleValue };
  if (v.arrayValue) return { array: (v.arrayValue.values || []).map(value) };
  if (v.kvlistValue) return { kvlist: attrs(v.kvlistValue.values) };
  if (v.bytesValue) return { bytes: Buffer.from(v.bytesValue).toString('hex') };
  return null;
}
function attrs(list) {
  const o = {};
  for (const kv of list || []) o[kv.key] = value(kv.value);
  return o;
}
const hex = (b) => Buffer.from(b || []).toString('hex');

// OTLP/JSON's ids are hex, where the definitions' own JSON mapping says
// base64: turned into bytes before the definitions read the object.
function fromJson(text) {
  const doc = JSON.parse(text);
  const ids = (o, fields) => { for (const f of fields) if (typeof o[f] === 'string') o[f] = Buffer.from(o[f], 'hex'); };
  for (const rs of doc.resourceSpans || [])
    for (const ss of rs.scopeSpans || [])
      for (const s of ss.spans || []) {
        ids(s, ['traceId', 'spanId', 'parentSpanId']);
        for (const l of s.links || []) ids(l, ['traceId', 'spanId']);
      }
  const request = Request.fromObject(doc); // (longs may be strings, as OTLP/JSON writes them)
  const err = Request.verify(request);
  if (err) throw new Error(err);
  return request;
}

function answer(res, status, type, body, extra = {}) {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': body.length, ...extra });
  res.end(body);
}

function logRequest(req, entry) {
  if (!requestsFile) return;
  const headers = { ...req.headers };
  delete headers.host; delete headers['content-length']; delete headers.connection;
  fs.appendFileSync(requestsFile, JSON.stringify({ ...entry, ms: firstPost === null ? 0 : Date.now() - firstPost, headers }) + '\n');
}

const server = httpServer.createServer((req, res) => {
  const type = (req.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
  const encoding = (req.headers['content-encoding'] || 'identity').toLowerCase();
  const plain = (status, text, extra) => { logRequest(req, { status, type, encoding, spans: 0 }); answer(res, status, 'text/plain', Buffer.from(text + '\n'), extra); };
  if (req.url !== '/v1/traces') { req.resume(); return plain(404, 'not found'); }
  if (req.method !== 'POST') { req.resume(); return plain(405, 'POST only', { Allow: 'POST' }); }
  if (firstPost === null) firstPost = Date.now();
  if (Date.now() - firstPost < busyMs) { req.resume(); return plain(503, 'busy', { 'Retry-After': String(retryAfter) }); }
  const chunks = [];
  let size = 0;
  req.on('data', (c) => { size += c.length; if (size <= MAX_BODY) chunks.push(c); });
  req.on('end', () => {
    if (size > MAX_BODY) return plain(413, 'too large');
    if (type !== 'application/x-protobuf' && type !== 'application/json') return plain(415, `unsupported media type ${type}`);
    let body = Buffer.concat(chunks), request;
    try {
      if (encoding === 'gzip') body = zlib.gunzipSync(body, { maxOutputLength: MAX_BODY });
      else if (encoding !== 'identity') return plain(415, `unsupported encoding ${encoding}`);
      request = type === 'application/json' ? fromJson(body.toString('utf8')) : Request.decode(body);
    } catch (e) {
      return plain(400, `does not decode: ${e.message}`);
    }
    const lines = [];
    for (const rs of request.resourceSpans || []) {
      const resource = attrs(rs.resource && rs.resource.attributes);
      const service = resource['service.name'] ? resource['service.name'].string : null;
      for (const ss of rs.scopeSpans || [])
        for (const s of ss.spans || [])
          lines.push(JSON.stringify({ traceId: hex(s.traceId), spanId: hex(s.spanId), parentSpanId: hex(s.parentSpanId),
            name: s.name, kind: s.kind, service, scope: ss.scope ? ss.scope.name : '', attributes: attrs(s.attributes) }));
    }
    if (lines.length) fs.appendFileSync(out, lines.join('\n') + '\n');
    logRequest(req, { status: 200, type, encoding, spans: lines.length });
    const reply = Response.encode(Response.create({})).finish();
    if (type === 'application/json') answer(res, 200, 'application/json', Buffer.from('{}'));
    else answer(res, 200, 'application/x-protobuf', Buffer.from(reply));
  });
});
server.on('error', (e) => { console.error(`otlp_sink: ${e.message}`); process.exit(1); });
server.listen(port, '127.0.0.1', () => {
  fs.appendFileSync(out, '');
  if (requestsFile) fs.appendFileSync(requestsFile, '');
  console.log(`otlp_sink: listening on http://127.0.0.1:${server.address().port}/v1/traces`);
});
const stop = () => { server.close(); server.closeAllConnections && server.closeAllConnections(); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
