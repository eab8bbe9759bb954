#!/usr/bin/env bash
# Fault drill: serves the demo data from a private, throwaway PostgreSQL cluster (port 55432, in a
# temporary directory; the machine's shared PostgreSQL on 5432 is never touched), holds 64
# connections of load with wrk, then stops PostgreSQL under load for ~5 s and starts it again,
# recording what clients saw and how long the gateway took to recover without a restart.
# Finally SIGTERMs the gateway and checks it exits 0. Loopback only, bounded (about 2 minutes),
# and everything it starts is stopped on exit.
# Usage: bench/fault.sh [RESULTS_FILE]   (default $TMPDIR/studygraph-fault-results.txt; needs root or the
# postgres user, wrk (installed with apt-get when missing), python3 and curl)
set -euo pipefail
cd "$(dirname "$0")/.."

results=${1:-${TMPDIR:-/tmp}/studygraph-fault-results.txt}
load_seconds=${FAULT_LOAD_SECONDS:-60}
outage_seconds=${FAULT_OUTAGE_SECONDS:-5}
pg_port=55432
http_port=18767
base="http://127.0.0.1:$http_port"

pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
[ -x "$pg_bin/initdb" ] || { echo "no PostgreSQL server binaries under /usr/lib/postgresql"; exit 1; }
if [ "$(id -u)" = 0 ]; then as_postgres=(runuser -u postgres --); else as_postgres=(); fi
command -v wrk >/dev/null || { echo "== installing wrk"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
if (exec 3<>"/dev/tcp/127.0.0.1/$pg_port") 2>/dev/null; then echo "port $pg_port is taken"; exit 1; fi
if (exec 3<>"/dev/tcp/127.0.0.1/$http_port") 2>/dev/null; then echo "port $http_port is taken"; exit 1; fi

cargo build --release --quiet
binary=$PWD/target/release/studygraph

work=$(mktemp -d /tmp/studygraph-fault.XXXXXX)
chmod 755 "$work"
mkdir "$work/pg" "$work/sock"
chown postgres "$work/pg" "$work/sock" 2>/dev/null || true
pg_ctl() { "${as_postgres[@]}" "$pg_bin/pg_ctl" -D "$work/pg/data" -l "$work/pg/postgres.log" "$@"; }
server="" wrk_pid="" poller=""
cleanup() {
    for pid in $wrk_pid $poller $server; do kill "$pid" 2>/dev/null || true; done
    pg_ctl stop -m immediate >/dev/null 2>&1 || true
    if [ "${keep_logs:-}" = 1 ]; then echo "logs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
stamp() { date +%s.%N; }

echo "== private PostgreSQL cluster on 127.0.0.1:$pg_port ($pg_bin)"
"${as_postgres[@]}" "$pg_bin/initdb" -D "$work/pg/data" -A trust -U postgres --no-sync >"$work/initdb.log"
pg_ctl -o "-p $pg_port -k $work/sock -c listen_addresses=127.0.0.1 -c fsync=off" -w -t 60 start >/dev/null
"${as_postgres[@]}" "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres studygraph

echo "== studygraph serve (release) with the demo data"
NO_COLOR=1 "$binary" serve --listen "127.0.0.1:$http_port" --rate-limit 0 --demo \
    --database-url "postgres://postgres@127.0.0.1:$pg_port/studygraph" >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 120); do curl -sf "$base/readyz" >/dev/null && break; sleep 0.5; done
curl -sf "$base/readyz" >/dev/null || { echo "the server did not become ready"; cat "$work/serve.log"; exit 1; }

echo "== phase 1: 64 connections for $load_seconds s"
phase1=$(timeout $((load_seconds + 30)) wrk -t2 -c64 -d"${load_seconds}s" --timeout 10s -s bench/fault.lua "$base/graphql" | tail -1)
echo "$phase1"

echo "== phase 2: the same load; PostgreSQL stopped for $outage_seconds s, then started again"
outage_total=$((outage_seconds + 25))
timeout $((outage_total + 30)) wrk -t2 -c64 -d"${outage_total}s" --timeout 10s -s bench/fault.lua "$base/graphql" >"$work/wrk2.txt" &
wrk_pid=$!
timeout $((outage_total + 30)) python3 bench/fault_poll.py poll "$base" "$outage_total" "$work/poll.log" &
poller=$!
sleep 5
echo "stop $(stamp)" >"$work/events"
pg_ctl stop -m fast -t 60 >/dev/null
echo "stopped $(stamp)" >>"$work/events"
sleep "$outage_seconds"
echo "start $(stamp)" >>"$work/events"
pg_ctl -o "-p $pg_port -k $work/sock -c listen_addresses=127.0.0.1 -c fsync=off" -w -t 60 start >/dev/null
echo "up $(stamp)" >>"$work/events"
wait "$poller"; poller=""
wait "$wrk_pid" || true; wrk_pid=""
phase2=$(tail -1 "$work/wrk2.txt")
echo "$phase2"
report=$(python3 bench/fault_poll.py report "$work/poll.log" "$work/events")
echo "$report"

echo "== SIGTERM"
kill -TERM "$server"
exit_code=0
for _ in $(seq 1 30); do kill -0 "$server" 2>/dev/null || break; sleep 0.5; done
if kill -0 "$server" 2>/dev/null; then
    exit_code="still running after 15 s"
else
    wait "$server" || exit_code=$?
fi
server=""
echo "exit status: $exit_code"

summary="fault drill $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, studygraph release build, PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}')
phase 1 (64 connections, ${load_seconds} s): $phase1
phase 2 (64 connections, PostgreSQL stopped with pg_ctl stop -m fast for ${outage_seconds} s): $phase2
$report
SIGTERM: exit status $exit_code; gateway errors logged: $(grep -c "ERROR" "$work/serve.log" || true)"
printf '%s\n' "$summary" >"$results"
echo
echo "== summary (also in $results)"
printf '%s\n' "$summary"
[ "$exit_code" = 0 ] || { keep_logs=1; exit 1; }
