#!/usr/bin/env python3
"""Poller and report for bench/fault.sh (standard library only).

  fault_poll.py poll URL SECONDS LOG   every 50 ms (20 Hz) starts a GraphQL query POST and a
                                       GET /readyz, each in its own thread (a hanging request does
                                       not delay the next); logs `start end kind status code`
                                       (epoch seconds; code is the first GraphQL error code,
                                       `ok`, or the transport error)
  fault_poll.py report LOG EVENTS      what clients saw around the outage in EVENTS
                                       (`name epoch` lines: stop, stopped, start, up)
"""

import json
import sys
import threading
import time
import urllib.error
import urllib.request

QUERY = json.dumps({"query": '{ publication(ncjNumber: "216547") { ncjNumber } }'}).encode()
PERIOD = 0.05


def probe(kind, base):
    if kind == "query":
        request = urllib.request.Request(
            base + "/graphql", data=QUERY,
            headers={"content-type": "application/json", "accept": "application/json"})
    else:
        request = urllib.request.Request(base + "/readyz")
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as err:
        status, body = err.code, err.read()
    except Exception as err:  # connection refused, timeout: what a client would see
        return 0, type(err).__name__
    if kind == "readyz":
        return status, "ok" if status == 200 else "unready"
    try:
        errors = json.loads(body).get("errors")
    except ValueError:
        return status, "not-json"
    if errors:
        return status, errors[0].get("extensions", {}).get("code", "uncoded")
    return status, "ok"


def poll(base, seconds, log_path):
    """Starts a query probe and a /readyz probe every PERIOD, each in its own thread, so a
    request that hangs does not hide what the next ones see."""
    lock = threading.Lock()
    with open(log_path, "w") as log:
        def one(kind):
            start = time.time()
            status, code = probe(kind, base)
            end = time.time()
            with lock:
                log.write(f"{start:.3f} {end:.3f} {kind} {status} {code}\n")

        threads = []
        tick = time.time()
        deadline = tick + seconds
        while tick < deadline:
            threads = [t for t in threads if t.is_alive()]
            if len(threads) < 400:  # bounded, even if every probe hangs
                for kind in ("query", "readyz"):
                    thread = threading.Thread(target=one, args=(kind,))
                    thread.start()
                    threads.append(thread)
            tick += PERIOD
            time.sleep(max(0.0, tick - time.time()))
        for thread in threads:
            thread.join()


def report(log_path, events_path):
    events = dict(line.split() for line in open(events_path) if line.strip())
    events = {name: float(value) for name, value in events.items()}
    stop, up = events["stop"], events["up"]
    samples = []
    for line in open(log_path):
        start, end, kind, status, code = line.split()
        samples.append((float(start), float(end), kind, int(status), code))
    samples.sort()
    out = []
    out.append(f"PostgreSQL down for {up - stop:.1f} s (stop requested at t=0, back at t={up - stop:.1f})")
    for kind in ("query", "readyz"):
        mine = [s for s in samples if s[2] == kind]
        # Runs of identical answers, by start time relative to the stop.
        runs = []
        for start, end, _, status, code in mine:
            key = (status, code)
            if runs and runs[-1][0] == key:
                runs[-1][2] = end - stop
                runs[-1][3] += 1
                runs[-1][4] = max(runs[-1][4], end - start)
            else:
                runs.append([key, start - stop, end - stop, 1, end - start])
        out.append(f"{kind}: {len(mine)} samples; timeline (seconds from the stop):")
        for (status, code), first, last, count, slowest in runs:
            out.append(f"  {first:7.2f} .. {last:7.2f}  {status} {code:<24} x{count:<4} slowest {slowest:.2f} s")
        failed = [s for s in mine if s[4] != "ok"]
        if failed:
            slowest = max(s[1] - s[0] for s in failed)
            out.append(f"  failed answers: {len(failed)}, started {failed[0][0] - stop:.2f} .. "
                       f"{failed[-1][0] - stop:.2f} s, the slowest took {slowest:.2f} s")
        else:
            out.append("  failed answers: none")
        done_after = sorted((s for s in mine if s[1] > up), key=lambda s: s[1])
        first_ok = next((s for s in done_after if s[3] == 200 and s[4] == "ok"), None)
        if first_ok:
            later = [s for s in mine if s[0] > first_ok[1] and s[4] != "ok"]
            out.append(f"  first success completed after PostgreSQL was back: "
                       f"+{max(0.0, first_ok[1] - up):.2f} s ({len(later)} failures started after it)")
        else:
            out.append("  NO success after PostgreSQL was back")
    print("\n".join(out))


if __name__ == "__main__":
    if sys.argv[1] == "poll":
        poll(sys.argv[2], float(sys.argv[3]), sys.argv[4])
    elif sys.argv[1] == "report":
        report(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
