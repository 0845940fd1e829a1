#!/usr/bin/env python3
"""Where a `divaudit --log-level debug sweep` spent its wall time (bench/README.md, "Phases").

Usage: phases.py STDERR_LOG T0 T1
  STDERR_LOG  the sweep's stderr (text log format, UTC millisecond timestamps)
  T0, T1      Unix seconds just before the process started and just after it exited
Prints one JSON object of seconds:
  startup            T0 → the request stream starts (config, secret, database, client)
  requests           the request stream (sweep_timing requests_ms): first request → last answer
  assemble           sweep_timing assemble_ms: parsed pages → the snapshot
  audit              sweep_read → the commit starts: the rules, the findings the commit opens,
                     (when it opens any) the changed-by lookup, and evidence when configured
  commit             sweep_committed duration_ms
  finish             the commit ends → exit (sweep_done, the findings JSON on stdout, teardown)
  after_last_answer  the request stream's last logged API answer → exit (changed-by requests,
                     which come later, are part of audit)
Exit 2 when a line it needs is missing.
"""
import datetime
import json
import re
import sys

STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})Z ")


def stamp(line):
    m = STAMP.match(line)
    if not m:
        return None
    t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f")
    return t.replace(tzinfo=datetime.timezone.utc).timestamp()


def field(line, key):
    m = re.search(r"\b" + key + r"=([0-9.]+)", line)
    return float(m.group(1)) if m else None


def main():
    log, t0, t1 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    last_answer = timing = read = committed = done = None
    for line in open(log, encoding="utf-8", errors="replace"):
        t = stamp(line)
        if t is None:
            continue
        if "event=request " in line and timing is None:
            last_answer = t
        elif "event=sweep_timing " in line:
            timing = (t, field(line, "requests_ms"), field(line, "assemble_ms"))
        elif "event=sweep_read " in line:
            read = t
        elif "event=sweep_committed " in line:
            committed = (t, field(line, "duration_ms"))
        elif "event=sweep_done " in line:
            done = t
    if None in (last_answer, timing, read, committed, done):
        print(f"phases.py: {log}: missing sweep_timing, sweep_read, sweep_committed, "
              "sweep_done or request lines (run with --log-level debug)", file=sys.stderr)
        sys.exit(2)
    t_timing, requests_ms, assemble_ms = timing
    stream_end = t_timing - assemble_ms / 1000
    stream_start = stream_end - requests_ms / 1000
    t_committed, commit_ms = committed
    commit_start = t_committed - commit_ms / 1000
    r = lambda x: round(x, 3)
    print(json.dumps({
        "startup": r(stream_start - t0), "requests": r(requests_ms / 1000),
        "assemble": r(assemble_ms / 1000), "audit": r(commit_start - read),
        "commit": r(commit_ms / 1000), "finish": r(t1 - t_committed),
        "after_last_answer": r(t1 - last_answer), "total": r(t1 - t0),
    }))


if __name__ == "__main__":
    main()
