#!/usr/bin/env python3
"""forward_sink — a tiny OTLP/HTTP target for forward_test.sh.

Listens on 127.0.0.1 (port 0: any free one, or --port P to come back on the
same one after a stop), writes "PORT" to --port-file once bound, and records
each POST in --dir: req-N.headers (one "name: value" a line, names
lowercased), req-N.body (as sent), and appends to --dir/spans.txt one line
"traceid spanid service" per span it decoded (gunzipped first when the
request says gzip; JSON with the json module, protobuf with a small walk of
the wire format: ExportTraceServiceRequest.resource_spans(1) ->
ResourceSpans.resource(1).attributes(1) and scope_spans(2) ->
ScopeSpans.spans(2) -> Span.trace_id(1), span_id(2)). A body that does not
decode is answered 400 and logged in --dir/errors.txt.

--fail N answers the first N requests 503 with Retry-After: --retry-after S
(not recorded as spans); --hang never answers at all (each request it
holds is a line in --dir/hung.txt); --reject N answers
each request with a partial success rejecting N spans. Answers 200 with an empty ExportTraceServiceResponse
in the request's content type otherwise. Stops on SIGTERM.
"""
import argparse
import gzip
import json
import os
import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer


def varint(buf, i):
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def varint_bytes(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def fields(buf):
    """(field number, wire type, value) of one message; value bytes for length-delimited."""
    i = 0
    while i < len(buf):
        key, i = varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(buf, i)
        elif wt == 1:
            v, i = buf[i:i + 8], i + 8
        elif wt == 2:
            n, i = varint(buf, i)
            v, i = buf[i:i + n], i + n
            if i > len(buf):
                raise ValueError("truncated")
        elif wt == 5:
            v, i = buf[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d" % wt)
        yield num, wt, v


def service_of_pb(resource):
    for num, _, kv in fields(resource):
        if num != 1:
            continue
        key = value = None
        for n2, _, v2 in fields(kv):
            if n2 == 1:
                key = v2.decode()
            elif n2 == 2:
                for n3, _, v3 in fields(v2):
                    if n3 == 1:
                        value = v3.decode()
        if key == "service.name":
            return value
    return "-"


def spans_pb(body):
    out = []
    for num, _, rs in fields(body):
        if num != 1:
            continue
        service = "-"
        for n2, _, v2 in fields(rs):
            if n2 == 1:
                service = service_of_pb(v2)
        for n2, _, ss in fields(rs):
            if n2 != 2:
                continue
            for n3, _, sp in fields(ss):
                if n3 != 2:
                    continue
                tid = sid = b""
                for n4, _, v4 in fields(sp):
                    if n4 == 1:
                        tid = v4
                    elif n4 == 2:
                        sid = v4
                out.append((tid.hex(), sid.hex(), service))
    return out


def spans_json(body):
    doc = json.loads(body)
    out = []
    for rs in doc.get("resourceSpans", []):
        service = "-"
        for a in rs.get("resource", {}).get("attributes", []):
            if a.get("key") == "service.name":
                service = a.get("value", {}).get("stringValue", "-")
        for ss in rs.get("scopeSpans", []):
            for sp in ss.get("spans", []):
                out.append((sp["traceId"], sp["spanId"], service))
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_POST(self):
        srv = self.server
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        srv.count += 1
        n = srv.count
        ctype = self.headers.get("Content-Type", "")
        if srv.hang:  # a dead endpoint: reads the request, never answers
            with open(os.path.join(srv.dir, "hung.txt"), "a") as f:  # a test waits for it
                f.write("%d\n" % n)
            time.sleep(3600)
        if n <= srv.fail:
            self.send_response(503)
            self.send_header("Retry-After", str(srv.retry_after))
            self.send_header("Content-Length", "0")
            self.end_headers()
            with open(os.path.join(srv.dir, "refused.txt"), "a") as f:
                f.write("%d\n" % n)
            return
        with open(os.path.join(srv.dir, "req-%d-%d.headers" % (os.getpid(), n)), "w") as f:
            for k, v in self.headers.items():
                f.write("%s: %s\n" % (k.lower(), v))
        with open(os.path.join(srv.dir, "req-%d-%d.body" % (os.getpid(), n)), "wb") as f:
            f.write(body)
        try:
            raw = gzip.decompress(body) if self.headers.get("Content-Encoding", "") == "gzip" else body
            spans = spans_json(raw) if ctype.startswith("application/json") else spans_pb(raw)
        except Exception as e:  # the test looks at errors.txt
            with open(os.path.join(srv.dir, "errors.txt"), "a") as f:
                f.write("req %d: %s\n" % (n, e))
            self.send_response(400)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        with open(os.path.join(srv.dir, "spans.txt"), "a") as f:
            for t, s, svc in spans:
                f.write("%s %s %s\n" % (t, s, svc))
        answer = b"{}" if ctype.startswith("application/json") else b""
        if srv.reject:  # a partial success: so many spans refused, and why
            why = b"span too old"
            if ctype.startswith("application/json"):
                answer = json.dumps({"partialSuccess": {"rejectedSpans": str(srv.reject),
                                                        "errorMessage": why.decode()}}).encode()
            else:
                inner = bytes([0x08]) + varint_bytes(srv.reject) + bytes([0x12, len(why)]) + why
                answer = bytes([0x0A, len(inner)]) + inner
        self.send_response(200)
        self.send_header("Content-Type", ctype or "application/x-protobuf")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file", required=True)
    p.add_argument("--fail", type=int, default=0)
    p.add_argument("--retry-after", type=int, default=1)
    p.add_argument("--hang", action="store_true")
    p.add_argument("--reject", type=int, default=0)
    a = p.parse_args()
    HTTPServer.allow_reuse_address = True
    srv = HTTPServer(("127.0.0.1", a.port), Handler)
    srv.dir, srv.fail, srv.retry_after, srv.count, srv.hang = a.dir, a.fail, a.retry_after, 0, a.hang
    srv.reject = a.reject
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
