/*
 * cli_usage — the usage texts: the general one (`obslab --help`) and each
 * command's (`obslab help CMD`, `obslab CMD --help`). The options they list
 * are cli.c's table; test_cli checks that every option appears.
 */
#include "obslab/cli.h"

#include <stdio.h>
#include <string.h>

void cli_usage(FILE *out, const char *command)
{
	if (command && strcmp(command, "receive") == 0) { /* issue 16 */
		fputs("Usage: obslab receive [OPTION]...\n"
		      "Receive OpenTelemetry traces over OTLP/HTTP, headless, until Ctrl-C: point an\n"
		      "application's OTEL_EXPORTER_OTLP_ENDPOINT at http://127.0.0.1:4318. It takes\n"
		      "POST /v1/traces, application/x-protobuf or application/json, gzip or not, and\n"
		      "answers in the request's encoding. A span it cannot keep (a bad id, a time\n"
		      "past 2^62 ns) is refused alone in either encoding, counted in partial_success;\n"
		      "a body that does not decode as a whole is refused whole (400).\n"
		      "Every span goes through the same store and analysis as the lab's; a trace is\n"
		      "complete after --quiet-ms without new spans.\n"
		      "\n"
		      "  --listen HOST:PORT  the address to receive on; [::1]:4318 for IPv6, port 0\n"
		      "                      for any free one (127.0.0.1:4318: this machine only)\n"
		      "  --record FILE       on stop, write what was received (the newest traces) as a\n"
		      "                      snapshot, atomically; its format from FILE's name\n"
		      "  --format native|otlp|chrome|sqlite   --record's format, whatever the name\n"
		      "  --quiet-ms N        a trace is complete after N ms without spans (2000)\n"
		      "  --max-queued-spans N  decoded spans waiting for the analysis at most; past\n"
		      "                      it a request is answered 429 with Retry-After (1048576)\n"
		      "  --timeout-s T       close a connection idle or slow for T seconds (10)\n"
		      "  --forward URL       send every span received on to an OTLP/HTTP endpoint\n"
		      "\n"
		      "Limits: a body of 4 MiB as sent and 16 MiB inflated (413 beyond). Other\n"
		      "paths are 404, other methods 405, other media types or encodings (or JSON\n"
		      "in a charset other than utf-8) 415, a body that does not decode 400, a full\n"
		      "queue 429, a stop in progress 503. Browser\n"
		      "pages from localhost, 127.0.0.1 or [::1] (any port) may post (CORS); pages\n"
		      "from anywhere else get no CORS headers, so a browser does not let them.\n"
		      "On loopback (the default) a Host other than localhost, 127.x.y.z or [::1] is\n"
		      "403 (DNS rebinding); on 0.0.0.0 or a LAN address any Host is answered.\n"
		      "\n"
		      "Memory: received traces keep 256 MiB at most (the oldest go first); one\n"
		      "trace takes at most 100000 spans or 64 MiB, later spans dropped and\n"
		      "counted; a span sent again (same id, start, end and name) is dropped and\n"
		      "counted as a duplicate.\n"
		      "\n"
		      "On stop (SIGINT or SIGTERM) one line sums up: requests, spans, traces,\n"
		      "rejected spans and refused requests (busy, bad, too large, unsupported),\n"
		      "and the spans dropped (over a trace's limit, duplicates) if any. With\n"
		      "--record and nothing received, no file is written.\n"
		      "\n"
		      "Exit status: 0 on a stop by signal, 1 if receiving failed (the port in use),\n"
		      "2 for a bad command line.\n",
		      out);
		return;
	}
	if (command && strcmp(command, "serve") == 0) {
		fputs("Usage: obslab serve [OPTION]...\n"
		      "Serve the lab's endpoints over HTTP, every request traced, until Ctrl-C:\n"
		      "  GET /users/analytics            naive: 1 query + 1 per user (N+1)\n"
		      "  GET /users/analytics/optimized  one LEFT JOIN ... GROUP BY query\n"
		      "  GET /users/analytics/eager      the users, then IN (...) chunks\n"
		      "  GET /users/analytics/pipelined  naive in one pipeline (PostgreSQL only)\n"
		      "  GET /health, GET /              a health check; the endpoints as JSON\n"
		      "Each body is, byte for byte, the one obslab run prints as JSON for the\n"
		      "same strategy and database.\n"
		      "\n"
		      "  --listen HOST:PORT  the address to serve on; [::1]:8000 for IPv6, port 0\n"
		      "                      for any free one (127.0.0.1:8000: this machine only)\n"
		      "  --users N, --rtt-us R, --index on|off, --seed S, --db PATH|CONNINFO,\n"
		      "  --lock-wait S       the lab, as for run (obslab help run): a SQLite file or\n"
		      "                      a PostgreSQL database (pipelined is served there only)\n"
		      "  --trace on|off      record spans (on)\n"
		      "  --log-file PATH     append the structured log as JSON lines\n"
		      "  --record FILE       on stop, write what was served (the newest traces) as a\n"
		      "                      snapshot, atomically; its format from FILE's name\n"
		      "  --format native|otlp|chrome|sqlite   --record's format, whatever the name\n"
		      "  --timeout-s T       close a connection idle or slow for T seconds (10)\n"
		      "  --forward URL       send every span to an OTLP/HTTP endpoint (a Collector:\n"
		      "                      http://localhost:4318/v1/traces); see obslab help run\n"
		      "\n"
		      "Ctrl-C (SIGINT) or SIGTERM stops accepting, lets requests in flight finish\n"
		      "(2 s at most), writes --record and exits. One obslab drives a database at a\n"
		      "time: a second one is refused (status 1).\n"
		      "\n"
		      "Exit status: 0 on a stop by signal, 1 if serving failed, 2 for a bad command line.\n",
		      out);
		return;
	}
	if (command && strcmp(command, "convert") == 0) {
		fputs("Usage: obslab convert IN -o OUT [--format native|otlp|chrome|sqlite]\n"
		      "Read IN (a snapshot or an OTLP/JSON file, anyone's) and write its traces to OUT,\n"
		      "atomically, without a terminal. Spans from other tools are written as they\n"
		      "were read: OTLP in, OTLP out loses nothing. Without --format, OUT's name says:\n"
		      "  .json native, .otlp.json otlp, .trace.json or .chrome.json chrome,\n"
		      "  .db, .sqlite or .sqlite3 sqlite (tables docs/formats.md describes).\n"
		      "OUT naming IN (the same file) is refused.\n"
		      "\n"
		      "Exit status: 0 on success, 1 if reading or writing failed, 2 for a bad command line.\n",
		      out);
		return;
	}
	if (command && strcmp(command, "export") == 0) {
		fputs("Usage: obslab export --format native|otlp|chrome|sqlite -o FILE [OPTION]...\n"
		      "Run the lab's request K times and write the traces to FILE, atomically:\n"
		      "  native  obslab's snapshot (assets/snapshot.schema.json); obslab open reads it\n"
		      "  otlp    OTLP/JSON, as the OpenTelemetry Collector's file exporter writes it\n"
		      "  chrome  Trace Event Format, for Perfetto, chrome://tracing and speedscope\n"
		      "  sqlite  SQLite tables of spans, attributes, events (docs/formats.md)\n"
		      "Options as for run: --strategy, --users, --requests (10), --rtt-us, --index,\n"
		      "--seed, --db, --n1-min-count, --n1-min-ms, --lock-wait, --watch.\n",
		      out);
		return;
	}
	if (command && (strcmp(command, "report") == 0 || strcmp(command, "open") == 0)) {
		fputs(command[0] == 'r' ? "Usage: obslab report FILE [--json]\n"
		                          "Summarize a snapshot or OTLP/JSON file: attribution, queries, findings.\n"
		                        : "Usage: obslab open FILE [--export-dir DIR] [--frames N]\n"
		                          "Explore a snapshot or OTLP/JSON file in the trace explorer, read-only.\n",
		      out);
		return;
	}
	if (command && (strcmp(command, "compare") == 0 || strcmp(command, "sweep") == 0)) {
		bool sweep = command[0] == 's';
		fputs(sweep ? "Usage: obslab sweep [OPTION]...\n"
		              "Measure every strategy across scales: the original lab's \"with 1000 users\" claim.\n"
		            : "Usage: obslab compare [OPTION]...\n"
		              "Measure naive, optimized and eager (and pipelined on PostgreSQL) at one\n"
		              "setting: the original lab's table.\n",
		      out);
		fputs("Requests run in rounds of naive, optimized, eager, and pipelined on PostgreSQL\n"
		      "(an A/B/C burst); each row's figures are its median request's (by total time):\n"
		      "its parts add up to it. The database's index is kept unless --index says\n"
		      "otherwise (the table's header says index off or on).\n\n",
		      out);
		fputs(sweep ? "  --users-list L      ascending user counts, comma-separated (20,100,1000,10000)\n"
		              "  --requests K        requests of each strategy at each scale (3)\n"
		            : "  --users N           users in the database, 1 to 100000 (the database's, or 20)\n"
		              "  --requests K        requests of each strategy (10)\n",
		      out);
		fputs("  --rtt-us R          simulated round trip per query, microseconds (200);\n"
		      "                      none on PostgreSQL, whose round trips are measured\n"
		      "  --index on|off      index on orders.user_id (the database's, or off)\n"
		      "  --seed S, --db PATH|CONNINFO, --lock-wait S   as for run\n"
		      "  --json              print the table as JSON\n"
		      "  --forward URL       send every span to an OTLP/HTTP endpoint (a Collector:\n"
		      "                      http://localhost:4318/v1/traces); see obslab help run\n",
		      out);
		return;
	}
	if (command && strcmp(command, "run") == 0) {
		fputs("Usage: obslab run [OPTION]...\n"
		      "Run the lab's request GET /users/analytics headless and report what it cost.\n"
		      "\n"
		      "  --strategy S        how the order counts are fetched: naive (the default),\n"
		      "                      optimized, eager, or pipelined (PostgreSQL only)\n"
		      "  --users N           users in the database, 1 to 100000; left out, a seeded\n"
		      "                      database keeps its own, a new one gets 20\n"
		      "  --requests K        requests to run, 1 to 100000 (10)\n"
		      "  --rtt-us R          simulated network round trip per query, microseconds,\n"
		      "                      0 to 100000; 0 is honest embedded SQLite (200)\n"
		      "  --index on|off      index on orders.user_id (the database's, or off)\n"
		      "  --seed S            seed for the generated data (the database's, or 42)\n"
		      "  --db PATH           database file, created and seeded if absent, or :memory:\n"
		      "                      (" DB_DEFAULT_PATH "); or PostgreSQL: a libpq connection\n"
		      "                      string ('host=/run/pg dbname=lab') or URI (postgresql://...;\n"
		      "                      postgresql:// alone takes the PG* environment). The lab lives\n"
		      "                      in the schema obslab_lab; --rtt-us is SQLite's only\n"
		      "  --trace on|off      record spans; off runs the same work uninstrumented (on)\n"
		      "  --json              print the last response body, as the endpoint returned it\n"
		      "  --report json|text  print the measured figures as JSON, or as text (text)\n"
		      "  --log-file PATH     append the structured log as JSON lines\n"
		      "  --n1-min-count N    repeated queries that make an N+1 finding (5, as Sentry)\n"
		      "  --n1-min-ms T       ... and their least total time, ms (0; Sentry's hosted\n"
		      "                      default is 50, which in-process SQLite never reaches)\n"
		      "  --lock-wait S       wait this long, in seconds, for another program's lock\n"
		      "                      on the database before giving up (30)\n"
		      "  --watch             open the database read-only, as it is, even while\n"
		      "                      another obslab drives it; never seeds or indexes\n"
		      "  --forward URL       send every span to an OTLP/HTTP endpoint as it is recorded\n"
		      "                      (http://localhost:4318/v1/traces: a Collector, Jaeger,\n"
		      "                      Tempo, obslab receive); without it OTEL_EXPORTER_OTLP_ENDPOINT\n"
		      "                      (+ /v1/traces) or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT does.\n"
		      "                      OTEL_EXPORTER_OTLP_HEADERS (k=v,k2=v2), _PROTOCOL\n"
		      "                      (http/protobuf or http/json), _COMPRESSION (gzip, the\n"
		      "                      default here, or none) and OTEL_SERVICE_NAME (obslab-lab)\n"
		      "                      apply; a summary line on stderr at the end\n"
		      "\n"
		      "One obslab drives a database at a time: a second one is refused (status 1)\n"
		      "with the pid of the one that drives it; --watch works alongside.\n"
		      "\n"
		      "On PostgreSQL a lost connection is got back by itself: the request it\n"
		      "failed is a trace marked with its error, the report says \"requests failed N\n"
		      "(connection lost)\" (JSON: failed_requests), the K requests asked for are\n"
		      "still run and measured, and the exit status is 0. A server not back within\n"
		      "--lock-wait ends the run with one line, status 1.\n"
		      "\n"
		      "Exit status: 0 on success, 1 if the run failed, 2 for a bad command line.\n",
		      out);
		return;
	}
	fputs("Usage: obslab [OPTION]...          the trace explorer\n"
	      "       obslab COMMAND [OPTION]...  a headless command\n"
	      "A terminal trace explorer for the N+1 query problem: a real SQLite or\n"
	      "PostgreSQL workload, traced span by span, with latency attributed to app,\n"
	      "database and network.\n"
	      "\n"
	      "The explorer's options (press ? inside for the keys):\n"
	      "  --strategy S, --users N, --rtt-us R, --index on|off, --seed S,\n"
	      "  --db PATH|CONNINFO  as for run (obslab help run)\n"
	      "  --watch             watch the database read-only, as another obslab drives it\n"
	      "  --serve ADDR        serve the lab's endpoints over HTTP too, each request one\n"
	      "                      more trace: HOST:PORT, or PORT for 127.0.0.1:PORT (0: any\n"
	      "                      free port); Space pauses the lab, not the server\n"
	      "  --otlp ADDR         receive OTLP/HTTP traces (POST /v1/traces) from any\n"
	      "                      application instead of running the lab: HOST:PORT, or\n"
	      "                      PORT for 127.0.0.1:PORT (0: any free port)\n"
	      "  --lab               with --otlp: run the lab beside the receiver\n"
	      "  --quiet-ms N        with --otlp: a received trace is open (spans may join it)\n"
	      "                      until N ms pass without one (2000)\n"
	      "  --forward URL       send every span (the lab's, served or received) on to an\n"
	      "                      OTLP/HTTP endpoint; the status bar shows its state\n"
	      "                      (obslab help run: the URL and the environment)\n"
	      "  --frames N          draw N frames, then exit (for tests and sanitizers)\n"
	      "  --export-dir DIR    where x writes snapshots (the current directory)\n"
	      "  --n1-min-count N, --n1-min-ms T   the N+1 rule's thresholds (5 queries, 0 ms;\n"
	      "                      Sentry's hosted 50 ms is never reached in-process)\n"
	      "\n"
	      "Commands:\n"
	      "  run        run the lab's request headless and report what it cost\n"
	      "  compare    measure the strategies side by side (pipelined: PostgreSQL only)\n"
	      "  sweep      measure them across scales (20 to 10000 users)\n"
	      "  export     run the lab and write its traces: native, OTLP, Chrome or SQLite\n"
	      "  report     summarize a snapshot or OTLP/JSON file\n"
	      "  open       explore a snapshot or OTLP/JSON file in the explorer\n"
	      "  convert    write a snapshot or OTLP/JSON file as native, OTLP, Chrome or SQLite\n"
	      "  serve      serve the lab's endpoints over HTTP, every request traced\n"
	      "  receive    receive OpenTelemetry traces over OTLP/HTTP (127.0.0.1:4318)\n"
	      "  help CMD   show the options of a command\n"
	      "\n"
	      "  --keys     list the explorer's keys (Markdown)\n"
	      "  --help     show this help\n"
	      "  --version  show the version\n"
	      "\n"
	      "Exit status: 0 on success, 1 if the work failed, 2 for a bad command line\n"
	      "or when the explorer has no terminal.\n",
	      out);
}
