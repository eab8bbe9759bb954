#!/usr/bin/env python3
"""Adapts a copy of the peer harness (never the shared original) for studygraph:

    adapt_harness.py HARNESS_COPY_DIR

* Q1's random publication id reaches studygraph as that publication's natural key: with
  EXT_ID_PREFIX/EXT_ID_ADD/EXT_ID_MUL set, the external engine gets
  "<prefix><add + mul * id>" (the peer's NCJ numbers are "NCJ <100000 + 3 * id>"); v4 and v5
  keep getting the bare id. Same draw, same distribution, same record.
* SKIP_PGBENCH=1 skips the raw-SQL reference (for a second run that only adds an engine).

Every replacement must find its target, so a changed harness fails here, loudly.
"""
import pathlib
import sys

root = pathlib.Path(sys.argv[1])


def patch(relative, old, new):
    path = root / relative
    text = path.read_text()
    if old not in text:
        raise SystemExit(f"adapt_harness: {relative} no longer contains the expected text:\n{old}")
    path.write_text(text.replace(old, new, 1))


patch("wrk/graphql.lua",
      "local pre, post = body:match",
      "local id_prefix = os.getenv(\"ID_PREFIX\") or \"\"\n"
      "local id_add = tonumber(os.getenv(\"ID_ADD\") or \"0\")\n"
      "local id_mul = tonumber(os.getenv(\"ID_MUL\") or \"1\")\n"
      "local pre, post = body:match")
patch("wrk/graphql.lua",
      "pre .. q .. math.random(1, id_max) .. q .. post",
      "pre .. q .. id_prefix .. string.format(\"%d\", id_add + id_mul * math.random(1, id_max)) .. q .. post")
patch("gql.py",
      "    one = \"1\" if os.environ.get(\"ID_JSON\", \"string\") == \"number\" else '\"1\"'",
      "    one = os.environ.get(\"ID_PREFIX\", \"\") + str(int(os.environ.get(\"ID_ADD\", \"0\")) + int(os.environ.get(\"ID_MUL\", \"1\")))\n"
      "    one = one if os.environ.get(\"ID_JSON\", \"string\") == \"number\" else json.dumps(one)")
patch("run-peer.sh",
      "    v4|v5)\n      \"$HERE/start-postgraphile.sh\" stop >/dev/null",
      "    v4|v5)\n      unset ID_PREFIX ID_ADD ID_MUL\n      \"$HERE/start-postgraphile.sh\" stop >/dev/null")
patch("run-peer.sh",
      "    *)\n      ( python3 \"$HERE/cpuwatch.py\" setup --group server \"$BASHPID\"; exec bash -c \"$EXT_START\" )",
      "    *)\n      export ID_PREFIX=\"${EXT_ID_PREFIX:-}\" ID_ADD=\"${EXT_ID_ADD:-0}\" ID_MUL=\"${EXT_ID_MUL:-1}\"\n"
      "      ( python3 \"$HERE/cpuwatch.py\" setup --group server \"$BASHPID\"; exec bash -c \"$EXT_START\" )")
patch("run-peer.sh",
      "  for c in $CONNS; do\n    rm -rf \"$STATE_DIR/pgbench\"",
      "  for c in $( [ \"${SKIP_PGBENCH:-0}\" = 1 ] || echo $CONNS ); do\n    rm -rf \"$STATE_DIR/pgbench\"")
print(f"adapt_harness: {root} adapted")
