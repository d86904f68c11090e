// The OpenTelemetry JavaScript SDK starting and ending spans into an
// in-memory exporter: ns per span, median of rounds. Prints one number.
'use strict';
const { BasicTracerProvider, SimpleSpanProcessor, InMemorySpanExporter } = require('@opentelemetry/sdk-trace-base');
const spans = Number(process.argv[2] || 200000);
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider();
provider.addSpanProcessor(new SimpleSpanProcessor(exporter));
const tracer = provider.getTracer('bench');
const rounds = [];
for (let r = 0; r < 7; r++) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < spans; i++) tracer.startSpan('SELECT orders').end();
  rounds.push(Number(process.hrtime.bigint() - t0) / spans);
  exporter.reset();
}
rounds.sort((a, b) => a - b);
console.log(rounds[3].toFixed(1));
