#!/usr/bin/env python3
"""Renders bench/run's JSON as markdown: one table per case (see bench/README.md)."""
import json
import sys


# bench/phases.py's keys, in order, as table labels (from the sweep's debug log timestamps).
PHASES = [
    ("startup", "start → first request"),
    ("requests", "requests (first request → last answer)"),
    ("assemble", "assemble the snapshot"),
    ("audit", "audit + findings to open (+ changed-by)"),
    ("commit", "commit"),
    ("finish", "commit end → exit (JSON out)"),
    ("after_last_answer", "last API answer → exit"),
]


def f(x, digits=2):
    return "—" if x is None else f"{x:,.{digits}f}"


def ratio(a, b):
    return None if a in (None, 0) or b in (None, 0) else a / b


def main():
    data = json.load(open(sys.argv[1]))
    print(f"# {data['run']}\n")
    print(f"Host: {data['host']}; load average at the end: {data['load_average_at_end']}. "
          "Simulator latency 25 ms per request. All figures measured unless marked "
          "**computed, not run**.\n")
    for c in data["cases"]:
        s1, s2, peer, shape = c["sweep1"], c["sweep2"], c["peer"], c["shape"]
        limit = (f"rate limit {c['sim_rate_limit_per_min']}/min (requests_per_minute = "
                 f"{c['requests_per_minute']})" if c["sim_rate_limit_per_min"]
                 else f"no rate limit (requests_per_minute = {c['requests_per_minute']})")
        print(f"## {c['size']} users, {limit}, max_concurrency {c['max_concurrency']}\n")
        print(f"`--generate {c['generate']}`: "
              f"{shape['active_users']} active + {shape['inactive_users']} inactive users, "
              f"{shape['grants']:,} grants, {shape['subjects']:,} role subjects, "
              f"{shape['groups']} groups ({shape['granted_groups']} granted, "
              f"{shape['granted_group_members']:,} members), {shape['roles']} roles"
              + (f", {shape['queues']:,} queues ({shape['queue_members']:,} member rows)"
                 if shape.get('queues') is not None else "") + ".\n")
        mn, lb = c["minimum_requests"], c["lower_bound_seconds"]
        print("| | sweep 1 (cold DB) | sweep 2 (unchanged) |")
        print("|---|---|---|")
        print(f"| status | {s1['status']} | {s2['status']} |")
        print(f"| requests (sweep.api_requests) | {s1['api_requests']:,} | {s2['api_requests']:,} |")
        print(f"| requests (sim /sim/requests) | {s1['sim_requests']:,} | {s2['sim_requests']:,} |")
        print(f"| 429 answers | {s1['sim_429']} | {s2['sim_429']} |")
        print(f"| documented minimum | {mn:,} | {mn:,} |")
        print(f"| requests ÷ minimum | {f(ratio(s1['sim_requests'], mn), 3)} | "
              f"{f(ratio(s2['sim_requests'], mn), 3)} |")
        print(f"| wall time (s) | {f(s1['wall_seconds'])} | {f(s2['wall_seconds'])} |")
        print(f"| lower bound max(min/rate, min×latency/concurrency) (s) | {f(lb)} | {f(lb)} |")
        print(f"| wall ÷ lower bound | {f(ratio(s1['wall_seconds'], lb))} | "
              f"{f(ratio(s2['wall_seconds'], lb))} |")
        print(f"| CPU seconds (user+sys) | {f(s1['cpu_seconds'])} | {f(s2['cpu_seconds'])} |")
        print(f"| machine speed before the sweep (SHA-256 MB/s, one core) | "
              f"{f(s1.get('machine_sha256_mb_per_s'), 0)} | "
              f"{f(s2.get('machine_sha256_mb_per_s'), 0)} |")
        print(f"| peak RSS (MiB) | {f(s1['peak_rss_mib'], 1)} | {f(s2['peak_rss_mib'], 1)} |")
        print(f"| findings | {s1['findings']} | {s2['findings']} |")
        p1, p2 = s1.get("phases_seconds"), s2.get("phases_seconds")
        if p1 and p2:
            for key, label in PHASES:
                print(f"| phase: {label} (s) | {f(p1[key], 3)} | {f(p2[key], 3)} |")
        print(f"| DB size after sweep 1 (checkpointed) | {c['db_bytes_after_sweep1']:,} B | |")
        print(f"| DB growth of sweep 2 | | {c['db_growth_sweep2_bytes']:,} B |")
        if peer:
            label = "measured" if peer.get("measured") else "**computed, not run**"
            print(f"| peer requests (sim) ({label}) | {peer['sim_requests']:,} | |")
            print(f"| peer wall time (s) ({label}) | {f(peer['wall_seconds'])} | |")
            if peer.get("measured"):
                print(f"| peer CPU seconds / peak RSS (MiB) | {f(peer['cpu_seconds'])} / "
                      f"{f(peer['peak_rss_mib'], 1)} | |")
                print(f"| peer 429s / concurrency | {peer['throttled']} / {peer['concurrency']} | |")
                if peer.get("queues") is not None:
                    print(f"| peer read: subjects / queues / queue members | "
                          f"{peer['subjects']:,} / {peer['queues']:,} / "
                          f"{peer['queue_members']:,} | |")
            print(f"| divaudit advantage: requests (peer ÷ divaudit) | "
                  f"{f(ratio(peer['sim_requests'], s1['sim_requests']), 1)}× | |")
            print(f"| divaudit advantage: wall time (peer ÷ divaudit) ({label}) | "
                  f"{f(ratio(peer['wall_seconds'], s1['wall_seconds']), 1)}× | |")
        else:
            print("| peer | not run | |")
        print()


if __name__ == "__main__":
    main()
