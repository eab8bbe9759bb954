#!/usr/bin/env bash
# studygraph against PostGraphile 4 and 5 on the same PostgreSQL, same data, same load tool:
# the peer harness (../shared/bench-peer, copied, never changed in place) with studygraph as its
# external engine, on PostgreSQL in the same run as the peers and the raw-SQL reference, then on
# SQLite. Prints one table (summary.py) and keeps everything under bench/peer/results/<stamp>/.
#
#   bench/peer/run.sh                       # both scales, ~20 minutes on 2 cores
#   SCALES=small DURATION=5 bench/peer/run.sh   # quick look
#
# Knobs: SCALES ("small large"), CONNS ("16 64"), DURATION (10 s measured per cell), WARMUP (2),
# QUERIES, PEER_SRC (the harness), POOL (10: the peers' pool size). Loopback only; it stops
# every server it started. Needs PostgreSQL as the harness sets it up (it restarts it once
# with benchmark settings: do not run the test suite at the same time), root, wrk, npm.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PEER_SRC=${PEER_SRC:-$ROOT/../shared/bench-peer}
WORK=${WORK:-/tmp/studygraph-bench-peer}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${OUT:-$ROOT/bench/peer/results/$STAMP}
export SCALES=${SCALES:-small large} CONNS=${CONNS:-16 64} DURATION=${DURATION:-10} WARMUP=${WARMUP:-2}
export QUIET_BUDGET=${QUIET_BUDGET:-120} POOL=${POOL:-10}
export STATE_DIR=$WORK/state BINARY=$ROOT/target/release/studygraph
T0=$(date +%s)

[ -d "$PEER_SRC" ] || { echo "peer harness not found at $PEER_SRC (set PEER_SRC)" >&2; exit 2; }
(cd "$ROOT" && cargo build --release --quiet)
mkdir -p "$WORK" "$OUT" "$STATE_DIR"
rm -rf "$WORK/bench-peer"
cp -r "$PEER_SRC" "$WORK/bench-peer"
python3 "$ROOT/bench/peer/adapt_harness.py" "$WORK/bench-peer"
export PEER_DIR=$WORK/bench-peer

trap '"$ROOT/bench/peer/studygraph.sh" stop >/dev/null 2>&1 || true' EXIT

common=(EXT_URL=http://127.0.0.1:8080/graphql "EXT_QUERIES=$ROOT/bench/peer/queries"
        "EXT_ID_PREFIX=NCJ " EXT_ID_ADD=100000 EXT_ID_MUL=3)
version="studygraph $(cd "$ROOT" && git rev-parse --short HEAD)"

# 1. PostgreSQL: the peers, studygraph and the raw-SQL reference in one run.
env "${common[@]}" ENGINES="v4 v5 studygraph" EXT_NAME=studygraph \
  EXT_START="$ROOT/bench/peer/studygraph.sh start postgres" \
  EXT_STOP="ENGINE_NAME=studygraph OUT=$OUT/postgres $ROOT/bench/peer/studygraph.sh stop" \
  EXT_VERSION="$version on PostgreSQL, pool $POOL" OUT="$OUT/postgres" \
  "$WORK/bench-peer/run-peer.sh" >"$OUT/postgres.log" 2>&1 || { tail -30 "$OUT/postgres.log"; exit 1; }

# 2. SQLite: the same queries and load on the embedded default (large first: its data is loaded).
env "${common[@]}" ENGINES="studygraph-sqlite" EXT_NAME=studygraph-sqlite SKIP_PGBENCH=1 \
  SCALES="$(echo "$SCALES" | tr ' ' '\n' | sort | tr '\n' ' ')" \
  EXT_START="$ROOT/bench/peer/studygraph.sh start sqlite" \
  EXT_STOP="ENGINE_NAME=studygraph-sqlite OUT=$OUT/sqlite $ROOT/bench/peer/studygraph.sh stop" \
  EXT_VERSION="$version on SQLite" OUT="$OUT/sqlite" \
  "$WORK/bench-peer/run-peer.sh" >"$OUT/sqlite.log" 2>&1 || { tail -30 "$OUT/sqlite.log"; exit 1; }

{
  echo "Run $STAMP, $(( $(date +%s) - T0 )) s in all; $DURATION s measured + $WARMUP s warm-up per cell."
  cat "$OUT/postgres/versions.txt"
  sed -n 's/^\(studygraph.*\)/\1/p' "$OUT/sqlite/versions.txt"
  grep -h "same \|DIFFERS" "$OUT/postgres.log" "$OUT/sqlite.log" | sort | uniq -c | sed 's/^/answers checked against PostGraphile v4: /'
  python3 "$ROOT/bench/peer/summary.py" "$OUT/postgres" "$OUT/sqlite"
} | tee "$OUT/summary.md"
