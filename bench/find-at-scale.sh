#!/usr/bin/env bash
# Finding and counting at scale: generates a synthetic graph (default 200,000 publications,
# 40,000 datasets, 400,000 links, 2,000 producers), imports it into SQLite and PostgreSQL, serves
# each on loopback and times searched + filtered + faceted first pages (bench/find.py).
# Bounded: everything it starts stops on exit. Usage: bench/find-at-scale.sh [PUBLICATIONS]
set -euo pipefail
cd "$(dirname "$0")/.."

publications=${1:-200000}
datasets=$((publications / 5))
links=$((publications * 2))
producers=2000
pg_admin=${STUDYGRAPH_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
port=18990

cargo build --release --quiet
binary=$PWD/target/release/studygraph
work=$(mktemp -d)
server=""
pg_db="studygraph_bench_$$"
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null || true
    psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

echo "== generate: $publications publications, $datasets datasets, $links links, $producers producers"
/usr/bin/time -f "generate: %e s, %M KB peak" "$binary" generate --publications "$publications" --datasets "$datasets" \
    --links "$links" --producers "$producers" --seed 7 --out "$work/graph.jsonl"

serve_and_time() {
    local label=$1 url=$2
    "$binary" serve --listen "127.0.0.1:$port" --database-url "$url" --rate-limit 0 >"$work/serve.log" 2>&1 &
    server=$!
    for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.5; done
    python3 bench/find.py "http://127.0.0.1:$port/graphql" "$label" 30
    kill "$server"; wait "$server" 2>/dev/null || true; server=""
}

echo "== SQLite"
sqlite_url="sqlite://$work/bench.db?mode=rwc"
/usr/bin/time -f "import into SQLite: %e s, %M KB peak" "$binary" import --database-url "$sqlite_url" "$work/graph.jsonl"
serve_and_time SQLite "$sqlite_url"

echo "== PostgreSQL (shared_buffers $(psql "$pg_admin" -Atc 'SHOW shared_buffers'); the peer harness's start-postgres.sh sets 2GB)"
psql "$pg_admin" -qc "CREATE DATABASE $pg_db"
pg_url=$(python3 -c 'import sys, urllib.parse as u; p = u.urlparse(sys.argv[1]); print(p._replace(path="/" + sys.argv[2]).geturl())' "$pg_admin" "$pg_db")
/usr/bin/time -f "import into PostgreSQL: %e s, %M KB peak" "$binary" import --database-url "$pg_url" "$work/graph.jsonl"
bench/vacuum.sh "$pg_url"  # what autovacuum does after a bulk load: statistics and the visibility map (index-only scans)
serve_and_time PostgreSQL "$pg_url"
