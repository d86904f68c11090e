// Checks exported files as other tools would read them.
//   node check_files.js otlp FILE      decode as the Collector does (protobuf definitions)
//   node check_files.js schema SCHEMA FILE...   validate native snapshots against the JSON Schema
//   node check_files.js same A B       decode two OTLP files with the protobuf definitions and compare
//                                      every field of every span, its resource and scope included
// Prints "N passed, M failed" and exits non-zero on any failure.
'use strict';
const fs = require('fs');
let passed = 0, failed = 0;
const ok = () => passed++;
const bad = (msg) => { failed++; console.log('FAIL: ' + msg); };

function hexToBytes(hex, len) {
  if (typeof hex !== 'string' || hex.length !== 2 * len || !/^[0-9a-f]+$/.test(hex))
    throw new Error(`id ${JSON.stringify(hex)} is not ${2 * len} lowercase hex digits`);
  return Buffer.from(hex, 'hex');
}

function checkOtlp(file) {
  const root = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');
  const Request = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  let spans = 0;
  for (const rs of doc.resourceSpans)
    for (const ss of rs.scopeSpans)
      for (const s of ss.spans) {
        s.traceId = hexToBytes(s.traceId, 16);
        s.spanId = hexToBytes(s.spanId, 8);
        if (s.parentSpanId !== undefined) s.parentSpanId = hexToBytes(s.parentSpanId, 8);
        spans++;
      }
  const msg = Request.fromObject(doc);
  const err = Request.verify(msg);
  if (err) return bad(`${file}: verify: ${err}`);
  const wire = Request.encode(msg).finish();
  const back = Request.toObject(Request.decode(wire), { longs: String, arrays: true });
  const decoded = back.resourceSpans[0].scopeSpans[0].spans;
  if (decoded.length !== spans) return bad(`${file}: ${decoded.length} spans decoded of ${spans}`);
  const service = back.resourceSpans[0].resource.attributes.find((a) => a.key === 'service.name');
  if (!service || service.value.stringValue !== 'obslab') return bad(`${file}: no service.name on the resource`);
  for (const s of decoded) {
    if (!/^[0-9]+$/.test(s.startTimeUnixNano) || BigInt(s.endTimeUnixNano) < BigInt(s.startTimeUnixNano))
      return bad(`${file}: span ${s.name} has bad times`);
    if (![1, 2, 3].includes(s.kind)) return bad(`${file}: span ${s.name} has kind ${s.kind}`);
    const db = s.attributes.find((a) => a.key === 'db.system.name');
    if (db) {
      const keys = s.attributes.map((a) => a.key);
      for (const k of ['db.query.text', 'db.operation.name', 'db.collection.name', 'db.response.returned_rows'])
        if (!keys.includes(k)) return bad(`${file}: database span ${s.name} lacks ${k}`);
      const text = s.attributes.find((a) => a.key === 'db.query.text').value.stringValue;
      if (/@example\.com|user_\d|'\w/.test(text)) return bad(`${file}: a bound value in ${text}`);
    }
  }
  ok();
  console.log(`${file}: ${spans} spans decode as an ExportTraceServiceRequest (${wire.length} bytes of protobuf)`);
}

// An OTLP/JSON document as protobuf messages, back as plain objects: the
// encoding a collector would see (ids as bytes, int64 as decimal strings,
// bytes as base64, absent fields as their defaults).
function decodeOtlp(file) {
  const root = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');
  const Request = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  for (const rs of doc.resourceSpans || [])
    for (const ss of rs.scopeSpans || [])
      for (const s of ss.spans || []) {
        s.traceId = hexToBytes(s.traceId, 16);
        s.spanId = hexToBytes(s.spanId, 8);
        if (s.parentSpanId !== undefined && s.parentSpanId !== '') s.parentSpanId = hexToBytes(s.parentSpanId, 8);
        for (const l of s.links || []) {
          l.traceId = hexToBytes(l.traceId, 16);
          l.spanId = hexToBytes(l.spanId, 8);
        }
      }
  const msg = Request.fromObject(doc);
  const err = Request.verify(msg);
  if (err) throw new Error(`${file}: verify: ${err}`);
  const wire = Request.encode(msg).finish();
  return Request.toObject(Request.decode(wire),
    { longs: String, bytes: String, enums: Number, defaults: true, arrays: true, objects: true });
}

// JSON with sorted keys; NaN and the infinities spelled out (JSON.stringify would say null).
function canon(v) {
  if (typeof v === 'number' && !Number.isFinite(v)) return JSON.stringify(String(v));
  if (Array.isArray(v)) return '[' + v.map(canon).join(',') + ']';
  if (v && typeof v === 'object')
    return '{' + Object.keys(v).sort().map((k) => JSON.stringify(k) + ':' + canon(v[k])).join(',') + '}';
  return JSON.stringify(v);
}

// Every span with its resource and scope (and their schema URLs), keyed by
// trace id, span id and its place among spans sharing them.
function flatten(req) {
  const out = new Map();
  for (const rs of req.resourceSpans)
    for (const ss of rs.scopeSpans)
      for (const s of ss.spans) {
        const hex = (b) => Buffer.from(b, 'base64').toString('hex');
        const base = hex(s.traceId) + '/' + hex(s.spanId);
        let key = base;
        for (let n = 1; out.has(key); n++) key = base + '#' + n;
        out.set(key, { resource: rs.resource, resourceSchemaUrl: rs.schemaUrl, scope: ss.scope,
          scopeSchemaUrl: ss.schemaUrl, span: s });
      }
  return out;
}

// The first field where a and b differ, as a path, or null.
function firstDifference(a, b, path) {
  if (canon(a) === canon(b)) return null;
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of [...keys].sort()) {
      const d = firstDifference(a[k], b[k], `${path}.${k}`);
      if (d) return d;
    }
  }
  return `${path}: ${canon(a)} vs ${canon(b)}`;
}

function checkSame(fileA, fileB) {
  const a = flatten(decodeOtlp(fileA)), b = flatten(decodeOtlp(fileB));
  let fields = 0;
  if (a.size === 0) return bad(`${fileA}: no spans to compare`);
  if (a.size !== b.size) return bad(`${fileA} has ${a.size} spans, ${fileB} ${b.size}`);
  for (const [key, x] of a) {
    const y = b.get(key);
    if (!y) return bad(`${fileB}: no span ${key}`);
    const d = firstDifference(x, y, key);
    if (d) return bad(`${fileA} vs ${fileB}: ${d}`);
    fields += Object.keys(x.span).length;
  }
  ok();
  console.log(`${fileA} = ${fileB}: ${a.size} spans, ${fields} span fields, resources and scopes equal after protobuf decoding`);
}

function checkSchema(schemaFile, files) {
  const Ajv = require('ajv/dist/2020');
  const addFormats = require('ajv-formats');
  const ajv = new Ajv({ allErrors: true, strict: true });
  addFormats(ajv);
  const validate = ajv.compile(JSON.parse(fs.readFileSync(schemaFile, 'utf8')));
  for (const f of files) {
    if (validate(JSON.parse(fs.readFileSync(f, 'utf8')))) ok();
    else bad(`${f}: ${ajv.errorsText(validate.errors)}`);
  }
}

const [mode, ...args] = process.argv.slice(2);
try {
  if (mode === 'otlp') args.forEach(checkOtlp);
  else if (mode === 'schema') checkSchema(args[0], args.slice(1));
  else if (mode === 'same') checkSame(args[0], args[1]);
  else throw new Error('usage: check_files.js otlp FILE... | schema SCHEMA FILE... | same A B');
} catch (e) {
  bad(e.message);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
