#!/usr/bin/env python3
"""Start-to-ready time and peak RSS of `switchboard console` on the built-in defaults.

Usage: cargo build --release && python3 benches/console_footprint.py [RUNS]

Each run starts the release binary in an empty temporary folder (so it runs on the built-in
defaults and creates its SQLite store), feeds it `!ping`, and measures:
  - start to ready: from spawn until stderr shows the "switchboard ready" log line;
  - start to first reply: until stdout shows `[@console] pong`;
  - peak RSS: ru_maxrss of the exited process (wait4).
Stdin is kept open until the reply arrives, then closed so the bot exits at EOF.
"""
import os
import selectors
import statistics
import subprocess
import sys
import tempfile
import time

BIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "release", "switchboard")
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 20
LIMIT_S = 10.0


def one_run():
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        proc = subprocess.Popen([BIN, "console"], cwd=folder, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        proc.stdin.write(b"!ping\n")
        proc.stdin.flush()
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ, "out")
        sel.register(proc.stderr, selectors.EVENT_READ, "err")
        ready = reply = None
        buffers = {"out": b"", "err": b""}
        while (ready is None or reply is None) and time.perf_counter() - start < LIMIT_S:
            for key, _ in sel.select(timeout=LIMIT_S):
                chunk = os.read(key.fileobj.fileno(), 65536)
                buffers[key.data] += chunk
                now = time.perf_counter()
                if ready is None and b"switchboard ready" in buffers["err"]:
                    ready = now - start
                if reply is None and b"[@console] pong" in buffers["out"]:
                    reply = now - start
        proc.stdin.close()
        _, status, usage = os.wait4(proc.pid, 0)
        if ready is None or reply is None or os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"run failed: status={status} stderr={buffers['err'].decode(errors='replace')}")
        return ready, reply, usage.ru_maxrss / 1024.0


def main():
    if not os.path.exists(BIN):
        sys.exit("build first: cargo build --release")
    results = [one_run() for _ in range(RUNS)]
    ready = sorted(r[0] * 1000 for r in results)
    reply = sorted(r[1] * 1000 for r in results)
    rss = sorted(r[2] for r in results)
    print(f"runs: {RUNS}")
    print(f"start to ready:       median {statistics.median(ready):.1f} ms, max {ready[-1]:.1f} ms (target <= 100 ms)")
    print(f"start to first reply: median {statistics.median(reply):.1f} ms, max {reply[-1]:.1f} ms")
    print(f"peak RSS:             median {statistics.median(rss):.1f} MB, max {rss[-1]:.1f} MB (target <= 20 MB)")


if __name__ == "__main__":
    main()
