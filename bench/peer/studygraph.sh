#!/usr/bin/env bash
# Starts and stops studygraph as the peer harness's external engine (EXT_START / EXT_STOP).
#
#   studygraph.sh start postgres|sqlite   load the peer's current data if not yet loaded, check
#                                         the answers against PostGraphile v4 (CHECK=1), serve
#                                         on 127.0.0.1:$PORT, return once it answers
#   studygraph.sh stop                    record peak RSS, stop the server
#
# The peer's tables live in catalog_bench's public schema; studygraph's own tables go to the
# schema `studygraph_<scale>` of the same database (so pg_stat_statements counts both alike), or to a
# SQLite file. Both are filled by `studygraph import` from peer_to_native.py's output and
# reloaded only when the peer's data marker changes. Environment: BINARY, PEER_DIR (the
# harness copy), STATE_DIR, OUT (the run's result directory), PORT (8080), POOL (10), CHECK.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BINARY=${BINARY:-$HERE/../../target/release/studygraph}
STATE_DIR=${STATE_DIR:-/tmp/catalog-bench}
PORT=${PORT:-8080}
POOL=${POOL:-10}
PIDFILE=$STATE_DIR/studygraph.pid
export PGHOST=127.0.0.1 PGPORT=${PGPORT:-5432} PGUSER=bench PGPASSWORD=bench PGDATABASE=catalog_bench
export PGOPTIONS="-c client_min_messages=warning"
log() { echo "[studygraph.sh] $*" >&2; }

marker() { psql -X -At -c "SELECT obj_description('public.publications'::regclass, 'pg_class')"; }
# One schema per scale (studygraph_small, studygraph_large), so a re-run imports nothing.
SCHEMA=studygraph_$(marker | sed -n 's/.*scale=\([a-z]*\).*/\1/p')
PG_URL="postgres://bench:bench@127.0.0.1:$PGPORT/catalog_bench?options=-c%20search_path%3D$SCHEMA"

# The peer's data as a native import file, converted once per marker.
native_file() {
  local m file
  m=$(marker | md5sum | cut -c1-12)
  file=$STATE_DIR/native-$m.jsonl
  if [ ! -s "$file" ]; then
    log "converting the peer's tables ($(marker))"
    python3 "$HERE/peer_to_native.py" >"$file.tmp" && mv "$file.tmp" "$file"
  fi
  echo "$file"
}

load_postgres() {
  local m
  m=$(marker)
  if [ "$(psql -X -At -c "SELECT obj_description('$SCHEMA'::regnamespace, 'pg_namespace')" 2>/dev/null)" = "$m" ]; then
    return
  fi
  local file
  file=$(native_file)
  log "importing into PostgreSQL schema $SCHEMA"
  psql -X -q -v ON_ERROR_STOP=1 -c "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" -c "CREATE SCHEMA $SCHEMA"
  /usr/bin/time -f "[studygraph.sh] import (PostgreSQL): %e s, %M KB peak" \
    "$BINARY" import --database-url "$PG_URL" "$file" 2>&1 | grep -v ' INFO ' >&2 || true
  # Statistics and the visibility map (index-only scans), as autovacuum would leave them.
  "$HERE/../vacuum.sh" "" "$SCHEMA"
  psql -X -q -v ON_ERROR_STOP=1 -c "COMMENT ON SCHEMA $SCHEMA IS '$m'"
}

load_sqlite() {
  local db file
  db=$STATE_DIR/studygraph-$(marker | md5sum | cut -c1-12).db
  if [ ! -s "$db" ]; then
    file=$(native_file)
    log "importing into SQLite $db"
    rm -f "$db.tmp"*
    /usr/bin/time -f "[studygraph.sh] import (SQLite): %e s, %M KB peak" \
      "$BINARY" import --database-url "sqlite://$db.tmp?mode=rwc" "$file" 2>&1 | grep -v ' INFO ' >&2 || true
    sqlite_done=$(python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('PRAGMA wal_checkpoint(TRUNCATE)'); print(c.execute('SELECT COUNT(*) FROM publication').fetchone()[0])" "$db.tmp")
    [ "$sqlite_done" -gt 0 ] || { log "SQLite import failed"; exit 1; }
    rm -f "$db.tmp-wal" "$db.tmp-shm"
    mv "$db.tmp" "$db"
  fi
  echo "sqlite://$db"
}

start() {
  local backend=$1 url
  mkdir -p "$STATE_DIR"
  stop_server
  case "$backend" in
    postgres) load_postgres; url=$PG_URL ;;
    sqlite) url=$(load_sqlite) ;;
    *) echo "usage: $0 start postgres|sqlite" >&2; exit 2 ;;
  esac
  "$BINARY" serve --database-url "$url" --listen "127.0.0.1:$PORT" --rate-limit 0 \
    --db-pool-size "$POOL" >"$STATE_DIR/studygraph.log" 2>&1 &
  echo $! >"$PIDFILE"
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
    sleep 0.2
  done
  curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null || { log "server did not start:"; tail -5 "$STATE_DIR/studygraph.log" >&2; exit 1; }
  log "serving $backend on 127.0.0.1:$PORT (pid $(cat "$PIDFILE"), pool $POOL)"
  if [ "${CHECK:-1}" = 1 ] && [ -n "${PEER_DIR:-}" ]; then
    # Same answers as PostGraphile v4 on this data, before anything is timed.
    (cd "$PEER_DIR" && ENGINE=v4 ./start-postgraphile.sh >/dev/null)
    local status=0
    (cd "$HERE" && python3 compare.py http://127.0.0.1:5678/graphql "$PEER_DIR/queries/v4" \
      "http://127.0.0.1:$PORT/graphql" "$HERE/queries") >&2 || status=$?
    (cd "$PEER_DIR" && ./start-postgraphile.sh stop >/dev/null)
    [ "$status" = 0 ] || { stop_server; exit 1; }
  fi
}

stop_server() {
  [ -f "$PIDFILE" ] || return 0
  local pid
  pid=$(cat "$PIDFILE")
  if kill -0 "$pid" 2>/dev/null; then
    if [ -n "${OUT:-}" ]; then
      # Peak resident memory over the server's life, for the report.
      printf '%s\t%s\t%s\n' "$(marker | sed -n 's/.*scale=\([a-z]*\).*/\1/p')" "${ENGINE_NAME:-studygraph}" \
        "$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")" >>"$OUT/peak-rss.tsv"
    fi
    kill -TERM "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$PIDFILE"
}

case "${1:-}" in
  start) start "${2:-postgres}" ;;
  stop) stop_server ;;
  *) echo "usage: $0 start postgres|sqlite | stop" >&2; exit 2 ;;
esac
