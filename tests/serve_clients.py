#!/usr/bin/env python3
"""Hostile and careful clients for serve_test.sh (raw sockets, no HTTP library).

trickle PORT N SECONDS READY: opens N connections, sends each a request line
  and a Host line, then one more header line every second (a slowloris); the
  line "connected N" goes to the file READY once they are open. After SECONDS,
  prints "closed C of N": how many the server closed meanwhile.
stop PORT READY GO: a keep-alive connection that has had its answer (idle), a
  naive request in flight, and an optimized request whose headers are not
  complete; READY is written, then once the file GO exists the optimized
  request's headers are completed. Prints what each connection got.
"""
import os
import select
import socket
import sys
import time


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.setblocking(False)
    return s


def trickle(port, n, seconds, ready):
    conns = []
    for _ in range(n):
        try:
            s = connect(port)
            s.send(b"GET /health HTTP/1.1\r\nHost: x\r\n")
            conns.append(s)
        except OSError:
            pass  # refused: the server's connection limit
    with open(ready, "w") as f:
        f.write("connected %d\n" % len(conns))
    poll = select.poll()
    by_fd = {}
    for s in conns:
        poll.register(s, select.POLLIN)
        by_fd[s.fileno()] = s
    closed = set()
    end = time.monotonic() + seconds
    next_line = time.monotonic() + 1.0
    while time.monotonic() < end:
        for fd, _ in poll.poll(100):
            try:
                data = by_fd[fd].recv(4096)
            except OSError:
                data = b""
            if not data:
                closed.add(fd)
                poll.unregister(fd)
        if time.monotonic() >= next_line:
            next_line += 1.0
            for fd, s in by_fd.items():
                if fd in closed:
                    continue
                try:
                    s.send(b"X-Slow: a\r\n")
                except OSError:
                    closed.add(fd)
                    poll.unregister(fd)
    print("closed %d of %d" % (len(closed), len(conns)))


def read_answer(s, until):
    """One HTTP response (Content-Length framed) or what came before EOF.
    Returns (bytes, eof, when)."""
    data = b""
    while time.monotonic() < until:
        r, _, _ = select.select([s], [], [], 0.05)
        if not r:
            continue
        try:
            chunk = s.recv(65536)
        except OSError:
            chunk = b""
        if not chunk:
            return data, True, time.monotonic()
        data += chunk
        head, sep, body = data.partition(b"\r\n\r\n")
        if sep:
            for line in head.split(b"\r\n")[1:]:
                k, _, v = line.partition(b":")
                if k.strip().lower() == b"content-length" and len(body) >= int(v):
                    return data, False, time.monotonic()
    return data, False, None


def summary(data):
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = lines[0].split(b" ")[1].decode() if lines[0].startswith(b"HTTP/") else "none"
    conn = "-"
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"connection":
            conn = v.strip().decode()
    return status, conn, body.decode(errors="replace")


def stop(port, ready, go):
    idle = connect(port)
    idle.send(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    data, _, _ = read_answer(idle, time.monotonic() + 10)
    print("idle first %s" % summary(data)[0])
    naive = connect(port)
    naive.send(b"GET /users/analytics HTTP/1.1\r\nHost: x\r\n\r\n")
    late = connect(port)
    late.send(b"GET /users/analytics/optimized HTTP/1.1\r\nHost: x\r\n")
    time.sleep(0.3)
    with open(ready, "w") as f:
        f.write("ready\n")
    until = time.monotonic() + 30
    while not os.path.exists(go) and time.monotonic() < until:
        time.sleep(0.01)
    late.send(b"\r\n")
    data, _, _ = read_answer(late, time.monotonic() + 30)
    status, conn, body = summary(data)
    print("late %s %s %s" % (status, conn, body))
    # the idle connection: closed by the server (EOF) while the naive one runs?
    until = time.monotonic() + 30
    idle_eof = naive_done = None
    naive_data = b""
    while time.monotonic() < until and (idle_eof is None or naive_done is None):
        r, _, _ = select.select([s for s, t in ((idle, idle_eof), (naive, naive_done)) if t is None], [], [], 0.05)
        if idle in r:
            try:
                chunk = idle.recv(4096)
            except OSError:
                chunk = b""
            if not chunk:
                idle_eof = time.monotonic()
        if naive in r:
            naive_data, _, naive_done = read_answer(naive, time.monotonic() + 30)
            naive_done = naive_done or time.monotonic()
    print("naive %s" % summary(naive_data)[0])
    print("idle closed %s" % ("yes" if idle_eof is not None else "no"))
    print("idle closed before the naive answer %s" % (
        "yes" if idle_eof is not None and naive_done is not None and idle_eof < naive_done else "no"))


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "trickle":
        trickle(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5])
    elif len(sys.argv) == 5 and sys.argv[1] == "stop":
        stop(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    else:
        sys.exit("usage: serve_clients.py trickle PORT N SECONDS READY | stop PORT READY GO")


if __name__ == "__main__":
    main()
