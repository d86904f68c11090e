# Writes the hostile snapshot files of this directory (the file fuzzer reads
# tests/hostile as seeds) and the SQL seeds of tests/fuzz/corpus/sqlfp: run
# from this directory with python3 make_files.py.
import json, os
# Every secret holds "xyzzy" (letters), or is one of the digit/hex/bit
# secrets below: the test greps every output for each.
mysql = [
    'SELECT * FROM users WHERE pw = "xyzzyHunter2"',
    "SELECT * FROM people WHERE note = 'I\\'m xyzzyJohn, SSN xyzzy123-45-6789' AND id = 7",
    "INSERT INTO t VALUES (\"a\\\"xyzzyDq\", 'b''xyzzySq', N'xyzzyNat', _utf8mb4'xyzzyCharset', b'1011101110111', X'5EC2E7AB1E', 0x5ec2e7ab1e)",
    "SELECT a # xyzzyHash comment\nFROM t /*! xyzzyBang */ /*+ xyzzyHint */ WHERE b = 31415926535 -- xyzzyDash",
    "SELECT * FROM t WHERE a = 'C:\\\\' AND b = 'xyzzyAfterBackslash'",
    "SELECT * FROM t WHERE a = 'never closed xyzzyOpenQuote",
    "SELECT * FROM t WHERE a = 1 /* never closed xyzzyOpenComment",
]
postgresql = [
    "SELECT $$my xyzzyDollar token$$, $tok$xyzzyTagged$tok$ FROM t",
    "SELECT E'esc\\'aped xyzzyEscaped' FROM t",
    "SELECT 1 /* outer /* inner */ xyzzyNested */ FROM t WHERE a = U&'d\\0061t xyzzyUnicode' AND b = B'1011101110111'",
    "SELECT * FROM t WHERE path = 'C:\\' AND b = 'xyzzyStandard'",
    "SELECT ARRAY['xyzzyArray'], arr[31415926535] FROM t WHERE x = -3.1415926535e-10",
    "SELECT $q$ never closed xyzzyOpenDollar",
]
any_dialect = [
    "SELECT * FROM t WHERE a = 'it\\'s xyzzyAmbiguous' AND b = 'xyzzyLater'",
    "SELECT * FROM t WHERE a = 'it''s xyzzyDoubled' -- xyzzyLine",
    "SELECT $$xyzzyAnyDollar$$, E'x\\'xyzzyAnyE', x # xyzzyAnyHash\n FROM t",
    "SELECT \"it\\\"s xyzzyQuotedIdent\" FROM t",
    "SELECT 0x5ec2e7ab1e, 31415926535, X'5EC2E7AB1E' /* a /* xyzzyAnyNested */ xyzzyAnyNested2 */",
    # quotes from a word processor, and Oracle's alternative quoting
    "SELECT * FROM u WHERE n = \u2018xyzzyCurly\u2019 AND m = \u201cxyzzyDouble\u201d AND o = \uff07xyzzyFull\uff07",
    "SELECT * FROM u WHERE n = Q'{xyzzy it's Oracle}' AND m = nq'[xyzzyNational]' AND k = q'!xyzzyBang!'",
]

def hexid(n, w): return format(n, '0%dx' % w)

def otlp(statements, system_key, system, attr_key, resource=()):
    spans = [{"traceId": "0123456789abcdef0123456789abcdef", "spanId": hexid(1, 16), "name": "GET /x",
              "kind": 2, "startTimeUnixNano": "1000", "endTimeUnixNano": str(1000 + 100 * (len(statements) + 1))}]
    for i, sql in enumerate(statements):
        attrs = []
        if system is not None:
            attrs.append({"key": system_key, "value": {"stringValue": system}})
        attrs.append({"key": attr_key, "value": {"stringValue": sql}})
        if i % 2:  # db.system after the statement: the order must not matter
            attrs.reverse()
        spans.append({"traceId": "0123456789abcdef0123456789abcdef", "spanId": hexid(2 + i, 16),
                      "parentSpanId": hexid(1, 16), "name": sql if i % 3 == 0 else "query",
                      "kind": 3, "startTimeUnixNano": str(1050 + 100 * i), "endTimeUnixNano": str(1100 + 100 * i),
                      "attributes": attrs})
    return {"resourceSpans": [{"resource": {"attributes": list(resource)},
                               "scopeSpans": [{"scope": {"name": "x"}, "spans": spans}]}]}

def write(name, doc):
    with open(name, 'w') as f:
        json.dump(doc, f, indent=1)
        f.write('\n')

write('otlp-mysql.json', otlp(mysql, 'db.system', 'mysql', 'db.statement'))
write('otlp-mariadb.json', otlp(mysql, 'db.system.name', 'mariadb', 'db.query.text'))
write('otlp-postgresql.json', otlp(postgresql, 'db.system.name', 'postgresql', 'db.query.text'))
write('otlp-no-system.json', otlp(any_dialect + postgresql, None, None, 'db.query.text'))
write('otlp-other-system.json', otlp(any_dialect + postgresql, 'db.system', 'oracle.db', 'db.statement'))
write('otlp-sqlite.json', otlp(any_dialect, 'db.system.name', 'sqlite', 'db.query.text'))
write('otlp-mysql-spaced.json', otlp(mysql, 'db.system', ' MySQL ', 'db.statement'))
# MySQL named only by the resource: its spans inherit it.
write('otlp-resource-mysql.json', otlp(mysql, None, None, 'db.statement',
                                       [{"key": "db.system", "value": {"stringValue": "mysql"}}]))
# Declarations that disagree: the one that hides more wins, whatever the order.
doc = otlp(mysql, 'db.system.name', 'mysql', 'db.query.text')
for span in doc["resourceSpans"][0]["scopeSpans"][0]["spans"][1:]:
    span["attributes"].append({"key": "db.system", "value": {"stringValue": "sqlite"}})
write('otlp-conflicting-systems.json', doc)
# A span named by its SQL, with no statement attribute: the name is the SQL.
doc = otlp([], None, None, 'db.query.text')
for i, sql in enumerate(mysql):
    doc["resourceSpans"][0]["scopeSpans"][0]["spans"].append(
        {"traceId": "0123456789abcdef0123456789abcdef", "spanId": hexid(40 + i, 16), "parentSpanId": hexid(1, 16),
         "name": sql, "kind": 3, "startTimeUnixNano": "1010", "endTimeUnixNano": "1020",
         "attributes": [{"key": "db.system", "value": {"stringValue": "mysql"}}]})
write('otlp-name-only.json', doc)

# native: the name of a db span is its SQL; no dialect is named.
nat_sql = any_dialect + postgresql + [s for s in mysql if '"' not in s]
spans = [{"span_id": hexid(1, 16), "parent_span_id": None, "name": "GET /users/analytics", "kind": "server",
          "start_unix_ns": "1000", "end_unix_ns": str(1000 + 100 * (len(nat_sql) + 1)), "status": "ok"}]
for i, sql in enumerate(nat_sql):
    spans.append({"span_id": hexid(2 + i, 16), "parent_span_id": hexid(1, 16), "name": sql, "kind": "client",
                  "start_unix_ns": str(1050 + 100 * i), "end_unix_ns": str(1100 + 100 * i), "status": "ok",
                  "db": {"rows": 1, "net_wait_ns": 0, "fullscan_steps": 0, "sort_ops": 0, "autoindex_rows": 0, "vm_steps": 1}})
write('native.json', {"format": "obslab.snapshot", "version": 1, "traces": [
    {"trace_id": "0123456789abcdef0123456789abcdef", "strategy": "naive", "users": 1, "index": False, "spans": spans}]})

corpus = '../../fuzz/corpus/sqlfp'
for i, sql in enumerate(mysql + postgresql + any_dialect):
    with open(os.path.join(corpus, 'secret-%02d.sql' % (i + 1)), 'w') as f:
        f.write(sql)
