#!/usr/bin/env bash
# The explorer's real-browser test: starts the given studygraph binary on a free loopback port
# with a fresh SQLite database and the demo data, runs explorer.spec.mjs in headless Chromium
# (Debian's /usr/bin/chromium through playwright-core), and stops the server. Builds nothing.
#
#   bash tests/browser/run.sh target/release/studygraph
#
# Needs Node.js with npm and Chromium. Under CI=true (or with STUDYGRAPH_INSTALL_BROWSER=1)
# a missing one is installed with apt-get; otherwise the run fails and says what to install.
# EXPLORER_SCREENSHOT sets where the screenshot goes (default target/browser/explorer.png).
set -euo pipefail

binary=${1:?usage: tests/browser/run.sh PATH/TO/studygraph}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[ -x "$binary" ] || { echo "browser test: $binary is not an executable (build it first)" >&2; exit 1; }
binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")
export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
export EXPLORER_SCREENSHOT=${EXPLORER_SCREENSHOT:-$root/target/browser/explorer.png}

may_install() { [ "${CI:-}" = true ] || [ "${STUDYGRAPH_INSTALL_BROWSER:-}" = 1 ]; }

apt_install() {
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        echo "browser test: cannot install $* (needs root and apt-get)" >&2
        return 1
    fi
    echo "browser test: installing $* with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
    if may_install; then apt_install nodejs npm; fi
    command -v npm >/dev/null || { echo "browser test FAILED: Node.js and npm are missing (apt-get install nodejs npm)" >&2; exit 1; }
fi
if [ ! -x "$CHROMIUM" ]; then
    if may_install; then apt_install chromium; fi
    [ -x "$CHROMIUM" ] || { echo "browser test FAILED: no Chromium at $CHROMIUM (apt-get install chromium)" >&2; exit 1; }
fi

# playwright-core only, as pinned in package-lock.json (it downloads no browser).
if [ ! -d "$here/node_modules/playwright-core" ] \
    || [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
    (cd "$here" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi

work=$(mktemp -d)
server=
cleanup() {
    if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
        kill -TERM "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
url="http://127.0.0.1:$port"
"$binary" serve --listen "127.0.0.1:$port" --database-url "sqlite://$work/explorer.db?mode=rwc" \
    --demo --rate-limit 0 >"$work/serve.log" 2>&1 &
server=$!
ready=
for _ in $(seq 1 120); do
    if curl -sf "$url/readyz" >/dev/null 2>&1; then ready=1; break; fi
    kill -0 "$server" 2>/dev/null || break
    sleep 0.5
done
if [ -z "$ready" ]; then
    echo "browser test FAILED: the server did not become ready on $url" >&2
    cat "$work/serve.log" >&2
    exit 1
fi
echo "browser test: server on $url, $("$CHROMIUM" --version 2>/dev/null || echo chromium)"

status=0
(cd "$root" && STUDYGRAPH_URL="$url" node "$here/explorer.spec.mjs") || status=$?
if [ "$status" != 0 ]; then
    echo "--- server log (last 40 lines)" >&2
    tail -n 40 "$work/serve.log" >&2
fi
exit "$status"
