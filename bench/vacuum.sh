#!/usr/bin/env bash
# VACUUM ANALYZE after a bulk load, repeated until the visibility map covers every page of the
# schema's tables (index-only scans need it): a VACUUM that runs beside an older open snapshot
# leaves the map empty, and autovacuum does not come back after an explicit VACUUM.
#
#   bench/vacuum.sh CONNINFO [SCHEMA]   ("" for psql's defaults and PG* variables; SCHEMA public)
set -euo pipefail
conn=$1 schema=${2:-public}
for _ in $(seq 1 10); do
  psql "$conn" -X -q -c "VACUUM ANALYZE" 2>/dev/null
  full=$(psql "$conn" -X -At -c "SELECT coalesce(sum(relallvisible), 0) >= coalesce(sum(relpages), 0)
    FROM pg_class WHERE relnamespace = '$schema'::regnamespace AND relkind = 'r'")
  [ "$full" = t ] && exit 0
  echo "[vacuum.sh] pages of $schema not all-visible (an older snapshot is open): again in 3 s" >&2
  sleep 3
done
echo "[vacuum.sh] the visibility map of $schema is still not full after 10 VACUUMs" >&2
