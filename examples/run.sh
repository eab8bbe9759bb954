#!/usr/bin/env bash
# Runs the examples against a running studygraph server: installs what they need (a Python venv
# under target/examples/, `npm ci` in examples/typescript), then draws the publications-per-
# producer chart (and checks the PNG), reads an /export CSV with pandas, and runs the TypeScript
# example's `npm run check` (codegen from schema.graphql, tsc --noEmit, the query).
#
#   examples/run.sh [SERVER_URL]    (default $STUDYGRAPH_URL, else http://127.0.0.1:8000)
#
# Without python3 or npm a part is skipped with a warning, except under CI=true, where anything
# missing fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

server="${1:-${STUDYGRAPH_URL:-http://127.0.0.1:8000}}"
server="${server%/}"
work="$PWD/target/examples"
mkdir -p "$work"

fail() {
    echo "examples: FAILED: $*" >&2
    exit 1
}
missing() {
    if [ "${CI:-}" = "true" ]; then fail "$1 is needed (CI=true)"; fi
    echo "examples: WARNING: $1 is not installed: skipping the $2 examples" >&2
}

curl -sf "$server/readyz" >/dev/null ||
    fail "no studygraph server answers at $server (start one: cargo run --release)"

python="${PYTHON:-python3}"
if command -v "$python" >/dev/null; then
    echo "== examples: Python (venv in target/examples/venv)"
    venv="$work/venv"
    requirements=examples/python/requirements.txt
    # Reinstalled only when requirements.txt changes.
    if ! cmp -s "$requirements" "$venv/requirements.txt"; then
        rm -rf "$venv"
        "$python" -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" ||
            fail "pip could not install $requirements"
        cp "$requirements" "$venv/requirements.txt"
    fi
    png="$work/publications_per_producer.png"
    rm -f "$png"
    "$venv/bin/python" examples/python/publications_per_producer.py "$png" --url "$server" ||
        fail "publications_per_producer.py"
    [ -s "$png" ] || fail "publications_per_producer.py wrote no $png"
    signature=$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')
    [ "$signature" = "89504e470d0a1a0a" ] || fail "$png is not a PNG"
    echo "chart: $png ($(wc -c <"$png") bytes)"
    "$venv/bin/python" examples/python/read_export.py --url "$server" || fail "read_export.py"
else
    missing python3 Python
fi

if command -v npm >/dev/null; then
    echo "== examples: TypeScript (npm ci in examples/typescript)"
    (
        cd examples/typescript
        npm ci --no-audit --no-fund --loglevel=error
        STUDYGRAPH_URL="$server" npm run --silent check
    ) || fail "the TypeScript example (npm ci && npm run check)"
else
    missing npm TypeScript
fi

echo "examples: passed"
