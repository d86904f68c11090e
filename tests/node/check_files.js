// Checks exported files as other tools would read them.
//   node check_files.js otlp FILE      decode as the Collector does (protobuf definitions)
//   node check_files.js schema SCHEMA FILE...   validate native snapshots against the JSON Schema
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
  else throw new Error('usage: check_files.js otlp FILE... | schema SCHEMA FILE...');
} catch (e) {
  bad(e.message);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
