#!/usr/bin/env python3
"""Many clients against one volmgr daemon, for tests/unit/volmgr.sh.

volmgr_clients.py CHECK SOCKET [ARGS]; prints PASS/FAIL lines.
  idle N IDLE_S   N idle connections; queries still answered at once; after
                  IDLE_S every idle one gets an error line and is closed
  two             two clients at once: one half-way through a request, one
                  answered meanwhile; then the first is answered too
  slow            a client that sends many requests and reads nothing does
                  not hold up another
  oversize MAX    a request line over MAX bytes: an error, then the close
  deep            a request nested too deep: an error, then the close
"""
import json
import socket
import sys
import time

failed = False


def result(name, ok, why=""):
    global failed
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + why), flush=True)
    failed |= not ok


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def read_line(s, timeout=10.0):
    s.settimeout(timeout)
    buf = b""
    while not buf.endswith(b"\n"):
        c = s.recv(65536)
        if not c:
            break
        buf += c
    return buf


def at_eof(s, timeout=10.0):
    s.settimeout(timeout)
    try:
        while True:
            c = s.recv(65536)
            if not c:
                return True
    except (socket.timeout, ConnectionResetError):
        return False


def call(path, method, id_=1):
    s = connect(path)
    t = time.monotonic()
    s.sendall(json.dumps({"jsonrpc": "2.0", "method": method, "id": id_}).encode() + b"\n")
    r = json.loads(read_line(s))
    s.close()
    return r, time.monotonic() - t


def idle(path, n, idle_s):
    conns = []
    for _ in range(n):
        conns.append(connect(path))
    r, dt = call(path, "storage.list_disks")
    result("a query beside %d idle connections is answered (%.1f ms)" % (n, dt * 1000),
           "result" in r and dt < 2.0, str(r)[:200])
    r, dt = call(path, "rpc.discover")
    result("rpc.discover beside %d idle connections (%.1f ms)" % (n, dt * 1000),
           "result" in r and dt < 2.0, str(r)[:200])
    time.sleep(idle_s + 2.5)
    errors = closed = 0
    for s in conns:
        line = read_line(s, 5.0)
        try:
            e = json.loads(line)["error"]
            errors += e["code"] == -32600 and "idle" in e["message"]
        except (ValueError, KeyError):
            pass
        closed += at_eof(s, 5.0)
        s.close()
    result("all %d idle connections got the idle error" % n, errors == n, "%d did" % errors)
    result("all %d idle connections were closed" % n, closed == n, "%d were" % closed)


def two(path):
    a = connect(path)
    a.sendall(b'{"jsonrpc":"2.0","method":"rpc.disc')
    r, dt = call(path, "storage.list_disks", 2)
    result("a second client is answered while the first is mid-request",
           "result" in r and r["id"] == 2, str(r)[:200])
    a.sendall(b'over","id":"a"}\n')
    r = json.loads(read_line(a))
    result("the first client's request, sent in two parts, is answered",
           r.get("id") == "a" and "methods" in r.get("result", {}), str(r)[:200])
    a.close()


def slow(path):
    a = connect(path)
    a.setblocking(False)
    req = b'{"jsonrpc":"2.0","method":"rpc.discover","id":1}\n' * 200
    sent = 0
    deadline = time.monotonic() + 2  # less than the idle limit
    while time.monotonic() < deadline:  # as much as the daemon takes in
        try:
            sent += a.send(req)
        except BlockingIOError:
            time.sleep(0.05)
        except OSError as e:
            result("a client that never reads its answers is kept", False, str(e))
            return
    r, dt = call(path, "storage.list_disks", 3)
    result("a client that never reads its answers does not hold up another (%.1f ms)" % (dt * 1000),
           "result" in r and dt < 2.0, str(r)[:200])
    a.close()


def oversize(path, maxreq):
    s = connect(path)
    s.sendall(b'{"jsonrpc":"2.0","method":"rpc.discover","params":{"x":"' + b"a" * maxreq)
    line = read_line(s)
    try:
        e = json.loads(line)["error"]
        ok = e["code"] == -32600 and "larger" in e["message"]
    except (ValueError, KeyError):
        ok = False
    result("a request over %d bytes gets -32600" % maxreq, ok, line[:200].decode(errors="replace"))
    result("... and the connection is closed", at_eof(s))
    s.close()


def deep(path):
    s = connect(path)
    s.sendall(b'{"jsonrpc":"2.0","method":"rpc.discover","params":{"x":' + b"[" * 100 +
              b"]" * 100 + b'},"id":1}\n')
    line = read_line(s)
    try:
        e = json.loads(line)["error"]
        ok = e["code"] == -32600 and "nesting" in e["message"]
    except (ValueError, KeyError):
        ok = False
    result("a request nested 100 deep gets -32600", ok, line[:200].decode(errors="replace"))
    result("... and the connection is closed", at_eof(s))
    s.close()


def main():
    check, path = sys.argv[1], sys.argv[2]
    if check == "idle":
        idle(path, int(sys.argv[3]), float(sys.argv[4]))
    elif check == "two":
        two(path)
    elif check == "slow":
        slow(path)
    elif check == "oversize":
        oversize(path, int(sys.argv[3]))
    elif check == "deep":
        deep(path)
    sys.exit(1 if failed else 0)


main()
