#!/usr/bin/env python3
"""One table from one bench run: studygraph against the better PostGraphile per cell.

    summary.py RUN_DIR...      (the result directories of bench/peer/run.sh's harness runs)

Per scale, query and connection count: requests/s and p50/p99 of PostGraphile v4 and v5 and of
studygraph on PostgreSQL and on SQLite, studygraph's ratio to the better PostGraphile (by
requests/s) and whether its p99 is lower, Q2 against half of the raw-SQL reference, SQL
statements per request (pg_stat_statements), server CPU ms per request and peak RSS.
"""
import csv
import sys
from collections import defaultdict

PEERS = ("v4", "v5")
CORES = 2


def read(path):
    try:
        with open(path) as f:
            return list(csv.DictReader(f, delimiter="\t"))
    except FileNotFoundError:
        return []


cells, statements, rss = {}, {}, defaultdict(dict)
for run in sys.argv[1:]:
    for r in read(f"{run}/results.tsv"):
        cells[(r["scale"], r["engine"], r["query"], r["conns"])] = r
    for r in read(f"{run}/sqlcount.tsv"):
        statements[(r["scale"], r["engine"], r["query"])] = r
    try:
        for line in open(f"{run}/peak-rss.tsv"):
            scale, engine, kb = line.split()
            rss[scale][engine] = max(rss[scale].get(engine, 0), int(kb))
    except FileNotFoundError:
        pass

engines = sorted({k[1] for k in cells} - set(PEERS) - {"sql(pgbench)"})
ours = [e for e in engines if e.startswith("studygraph")]
scales = [s for s in ("small", "large") if any(k[0] == s for k in cells)]
queries = ["q1-detail", "q2-list-nested", "q3-fan-out", "q4-filter"]


def fmt_cell(c):
    if not c:
        return "–", "–"
    return f"{float(c['rps']):.0f}", f"{float(c['p50_ms']):.1f} / {float(c['p99_ms']):.1f}"


def cpu_ms(c):
    rps = float(c["rps"])
    return float(c["server_cpu_pct"]) / 100 * CORES * 1000 / rps if rps else 0.0


verdicts = []
for scale in scales:
    print(f"\n#### {scale}: requests/s, p50 / p99 ms (wrk, closed loop)\n")
    head = ["query", "conns"]
    for e in PEERS + tuple(ours):
        head += [f"{e} req/s", f"{e} p50 / p99", f"{e} err"]
    head += [f"{e} ÷ best peer" for e in ours]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    conns = sorted({int(k[3]) for k in cells if k[0] == scale})
    for q in queries:
        for c in map(str, conns):
            row = [q, c]
            peer = [cells.get((scale, e, q, c)) for e in PEERS]
            best = max((p for p in peer if p), key=lambda p: float(p["rps"]), default=None)
            for e in PEERS + tuple(ours):
                cell = cells.get((scale, e, q, c))
                rps, lat = fmt_cell(cell)
                row += [rps, lat, cell["errors"] if cell else "–"]
            for e in ours:
                cell = cells.get((scale, e, q, c))
                if cell and best:
                    ratio = float(cell["rps"]) / float(best["rps"])
                    lower = float(cell["p99_ms"]) < float(best["p99_ms"])
                    ok = ratio >= 1.5 and lower and cell["errors"] == "0"
                    row.append(f"{ratio:.2f}× {'p99 lower' if lower else 'p99 HIGHER'}"
                               f"{'' if ok else ' (misses)'}")
                    if e == "studygraph":
                        verdicts.append(ok)
                else:
                    row.append("–")
            print("| " + " | ".join(row) + " |")

    print(f"\n#### {scale}: Q2 against the raw-SQL reference (pgbench), and CPU per request\n")
    print("| conns | sql(pgbench) req/s | " + " | ".join(f"{e} ÷ reference" for e in ours) + " |")
    print("|---|---:|" + "---:|" * len(ours))
    for c in map(str, conns):
        ref = cells.get((scale, "sql(pgbench)", "q2-list-nested", c))
        if not ref:
            continue
        ratios = []
        for e in ours:
            cell = cells.get((scale, e, "q2-list-nested", c))
            ratios.append(f"{float(cell['rps']) / float(ref['rps']):.2f}" if cell else "–")
        print(f"| {c} | {float(ref['rps']):.0f} | " + " | ".join(ratios) + " |")

    print(f"\n| query | conns | " + " | ".join(f"{e} server CPU ms/req" for e in PEERS + tuple(ours)) + " |")
    print("|---|---|" + "---:|" * (len(PEERS) + len(ours)))
    for q in queries:
        for c in map(str, conns):
            vals = []
            for e in PEERS + tuple(ours):
                cell = cells.get((scale, e, q, c))
                vals.append(f"{cpu_ms(cell):.2f}" if cell else "–")
            print(f"| {q} | {c} | " + " | ".join(vals) + " |")

    print(f"\n#### {scale}: SQL statements per request (PostgreSQL exec ms per request)\n")
    engines_pg = [e for e in PEERS + tuple(ours) if any(k[:2] == (scale, e) for k in statements)]
    print("| engine | " + " | ".join(queries) + " |")
    print("|---|" + "---:|" * len(queries))
    for e in engines_pg:
        vals = []
        for q in queries:
            s = statements.get((scale, e, q))
            vals.append(f"{float(s['statements_per_request']):g} ({float(s['db_exec_ms_per_request']):.2f} ms)"
                        if s and float(s["statements_per_request"]) > 0 else "–")
        print(f"| {e} | " + " | ".join(vals) + " |")

    if rss.get(scale):
        print(f"\nPeak RSS over the run ({scale}): " + ", ".join(
            f"{e} {kb / 1024:.0f} MB" for e, kb in sorted(rss[scale].items())))

if verdicts:
    print(f"\nstudygraph (PostgreSQL) meets ≥1.5× the better PostGraphile with a lower p99 and no "
          f"errors in {sum(verdicts)} of {len(verdicts)} cells.")
