// Compares two OTLP/JSON files span by span, every field, decoded with
// OpenTelemetry's own protobuf definitions (as a collector reads them), and
// checks that no span carries an attribute a tool added.
//   node compare_otlp.js same IN OUT       every span of IN is in OUT and equal
//                                          (resource, scope, schema URLs, and
//                                          every field of the span), and no other
//   node compare_otlp.js clean PREFIX FILE...   no attribute key starting with
//                                          PREFIX on any span, event, link,
//                                          resource or scope
// A span is matched by trace id and span id (duplicates as a multiset); the
// grouping into resourceSpans and scopeSpans may differ. Fields the 0.52
// definitions do not have (Span.flags, Link.flags: OTLP 1.1) are compared as
// the JSON says, absent meaning 0. Prints "N passed, M failed".
'use strict';
const fs = require('fs');
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');
const P = root.opentelemetry.proto;
const Request = P.collector.trace.v1.ExportTraceServiceRequest;
const { Span } = P.trace.v1;
const { Resource } = P.resource.v1;
const { InstrumentationScope } = P.common.v1;
let passed = 0, failed = 0;
const ok = () => passed++;
const bad = (msg) => { failed++; console.log('FAIL: ' + msg); };
const TO = { longs: String, enums: Number, bytes: String, defaults: true, arrays: true, objects: true };

function hexId(hex, len, what) {
  if (hex === undefined || hex === '') return '';
  if (typeof hex !== 'string' || hex.length !== 2 * len || !/^[0-9a-f]+$/.test(hex))
    throw new Error(`${what} ${JSON.stringify(hex)} is not ${2 * len} lowercase hex digits`);
  return Buffer.from(hex, 'hex').toString('base64');
}

// A span as the protobuf definitions decode it, ids as hex again, plus the
// fields they lack.
function canonicalSpan(s) {
  const raw = { ...s, traceId: hexId(s.traceId, 16, 'traceId'), spanId: hexId(s.spanId, 8, 'spanId'),
    parentSpanId: hexId(s.parentSpanId, 8, 'parentSpanId'),
    links: (s.links || []).map((l) => ({ ...l, traceId: hexId(l.traceId, 16, 'link traceId'), spanId: hexId(l.spanId, 8, 'link spanId') })) };
  const err = Span.verify(Span.fromObject(raw));
  if (err) throw new Error(`span ${s.name}: ${err}`);
  const o = Span.toObject(Span.fromObject(raw), TO);
  const b64hex = (v) => Buffer.from(v, 'base64').toString('hex');
  o.traceId = b64hex(o.traceId); o.spanId = b64hex(o.spanId); o.parentSpanId = b64hex(o.parentSpanId);
  o.links.forEach((l, i) => { l.traceId = b64hex(l.traceId); l.spanId = b64hex(l.spanId); l.flags = Number(s.links[i].flags || 0); });
  if (!o.status) o.status = { message: '', code: 0 };
  o.flags = Number(s.flags || 0);
  return o;
}

// Every span of a file: "traceId spanId" -> [canonical JSON of {resource, scope, span}].
function load(file) {
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (!doc || !Array.isArray(doc.resourceSpans)) throw new Error(`${file}: no resourceSpans`);
  const spans = new Map();
  let n = 0;
  for (const rs of doc.resourceSpans) {
    // An absent message is its default (status, resource, scope).
    const resource = { ...Resource.toObject(Resource.fromObject(rs.resource || {}), TO), schemaUrl: rs.schemaUrl || '' };
    for (const ss of rs.scopeSpans || []) {
      const scope = { ...InstrumentationScope.toObject(InstrumentationScope.fromObject(ss.scope || {}), TO), schemaUrl: ss.schemaUrl || '' };
      for (const s of ss.spans || []) {
        const key = `${s.traceId} ${s.spanId}`;
        if (!spans.has(key)) spans.set(key, []);
        spans.get(key).push(JSON.stringify({ resource, scope, span: canonicalSpan(s) }));
        n++;
      }
    }
  }
  return { spans, n };
}

// The paths where two canonical objects differ, for the message.
function diff(a, b, path = '', out = []) {
  if (out.length >= 6) return out;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    if (a !== b) out.push(`${path || '.'}: ${JSON.stringify(a)} != ${JSON.stringify(b)}`);
    return out;
  }
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) diff(a[k], b[k], `${path}.${k}`, out);
  return out;
}

function same(inFile, outFile) {
  const a = load(inFile), b = load(outFile);
  if (a.n !== b.n) bad(`${outFile}: ${b.n} spans, ${inFile} has ${a.n}`);
  let equal = 0;
  for (const [key, list] of a.spans) {
    const other = b.spans.get(key);
    if (!other) { bad(`${outFile}: span ${key} (${JSON.parse(list[0]).span.name}) is missing`); continue; }
    const x = [...list].sort(), y = [...other].sort();
    if (x.length !== y.length) { bad(`${outFile}: span ${key} is there ${y.length} times, ${x.length} in ${inFile}`); continue; }
    let same = true;
    for (let i = 0; i < x.length; i++)
      if (x[i] !== y[i]) {
        same = false;
        const da = JSON.parse(x[i]), db = JSON.parse(y[i]);
        bad(`${outFile}: span ${key} (${da.span.name}) differs: ${diff(da, db).join('; ')}`);
        break;
      }
    if (same) equal += x.length;
  }
  for (const key of b.spans.keys()) if (!a.spans.has(key)) bad(`${outFile}: span ${key} is not in ${inFile}`);
  // The whole request decodes and encodes as a collector would.
  const doc = JSON.parse(fs.readFileSync(outFile, 'utf8'));
  for (const rs of doc.resourceSpans) for (const ss of rs.scopeSpans || []) for (const s of ss.spans || []) {
    s.traceId = Buffer.from(s.traceId, 'hex'); s.spanId = Buffer.from(s.spanId, 'hex');
    if (s.parentSpanId) s.parentSpanId = Buffer.from(s.parentSpanId, 'hex'); else delete s.parentSpanId;
    for (const l of s.links || []) { l.traceId = Buffer.from(l.traceId, 'hex'); l.spanId = Buffer.from(l.spanId, 'hex'); }
  }
  const err = Request.verify(Request.fromObject(doc));
  if (err) bad(`${outFile}: as an ExportTraceServiceRequest: ${err}`);
  if (equal === a.n && a.n === b.n && !err) {
    ok();
    console.log(`${outFile}: all ${a.n} spans of ${inFile} equal in every field`);
  }
}

function clean(prefix, files) {
  for (const file of files) {
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    const found = new Set();
    const walk = (v) => {
      if (Array.isArray(v)) return v.forEach(walk);
      if (v && typeof v === 'object') {
        if (typeof v.key === 'string' && 'value' in v && v.key.startsWith(prefix)) found.add(v.key);
        Object.values(v).forEach(walk);
      }
    };
    walk(doc);
    if (found.size) bad(`${file}: attributes ${[...found].join(', ')}`);
    else ok();
  }
}

const [mode, ...args] = process.argv.slice(2);
try {
  if (mode === 'same' && args.length === 2) same(args[0], args[1]);
  else if (mode === 'clean' && args.length >= 2) clean(args[0], args.slice(1));
  else { console.error('usage: compare_otlp.js same IN OUT | clean PREFIX FILE...'); process.exit(2); }
} catch (e) {
  bad(e.message);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
